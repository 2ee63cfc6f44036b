/* failmem: the failure memory's read side for prompts, and its pruning.
 *
 * Records are appended by failures.c (da_failure_append). Here: the
 * {{failure_memory}} text (the log's last 50 lines under the seed's
 * header) and pruning records older than 30 days when tasks complete.
 * Pruning rewrites the log with da_write_atomic under the same flock the
 * appender takes, keeps records whose date cannot be read (never destroy
 * what we do not understand), and does not touch the file when nothing
 * is old enough. */
#ifndef DA_FAILMEM_H
#define DA_FAILMEM_H

#include <stddef.h>
#include <time.h>

#define DA_FAILMEM_LINES 50
#define DA_FAILMEM_MAX_AGE_DAYS 30
#define DA_FAILMEM_HEADER \
	"These are recent pipeline failures. Learn from them \xe2\x80\x94 do NOT repeat the same mistakes."

/* "" when the project has no failures, else header, blank line and the
 * last `lines` lines of the log. Caller frees. */
int da_failmem_prompt(const char *project, int lines, char **out);

/* Records of `text` dated before `cutoff` removed (pure; for tests and
 * for da_failmem_prune). Caller frees *out; *removed counts records. */
int da_failmem_prune_text(const char *text, time_t cutoff, char **out, size_t *removed);

/* Prune the project's log of records older than max_age_days before now.
 * A missing log is fine. *removed (may be NULL) counts records. */
int da_failmem_prune(const char *project, time_t now, int max_age_days, size_t *removed);

#endif
