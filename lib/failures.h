/* failures: the per-project failure memory, $DA_HOME/data/failures/<p>.log.
 *
 * An append-only stream of YAML documents, one per failure, in the
 * format the pipeline's prompts quote back to the agents:
 *
 *   ---
 *   date: 2026-03-10T14:22:00+00:00
 *   task: 2-20260310T140000Z-fix-auth
 *   title: Fix OAuth token refresh
 *   type: bugfix
 *   exit_code: 1
 *   error: |
 *     TypeScript error: ...
 *
 * A record is written with one O_APPEND write under an flock on the log
 * and fsynced, so concurrent writers never interleave and a reader sees
 * whole records (a crash can at worst cut the last one short; readers
 * skip a record that does not parse). */
#ifndef DA_FAILURES_H
#define DA_FAILURES_H

#include <stddef.h>
#include <time.h>

struct da_failure {
	char *date;		/* "2026-03-10T14:22:00+00:00" */
	char *project;
	char *task;		/* task file name without .yaml */
	char *title;
	char *type;
	long exit_code;		/* -1 when it did not exit (signal, stopped) */
	char *error;		/* multi-line text */
};

/* $DA_HOME/data/failures/<project>.log */
int da_failures_path(const char *project, char *buf, size_t size);

/* Append one record. `f->date` NULL means now; `task` may be given with
 * or without ".yaml". Creates the folder on demand. */
/* Open path with flags and take its exclusive lock, making sure the lock
 * is on the file the path names now (pruning replaces the log). *fd = -1
 * and 0 returned when the file does not exist and O_CREAT is not given. */
int da_failures_lock(const char *path, int flags, int *fd);

int da_failure_append(const struct da_failure *f);

/* The last `max` records of a project's log, oldest first (reads only the
 * log's tail). *out is an array of *n records; free with da_failures_free.
 * A missing log gives none. */
int da_failures_last(const char *project, size_t max, struct da_failure **out, size_t *n);
void da_failures_free(struct da_failure *list, size_t n);

/* The last `lines` lines of a project's log as text (caller frees; "" when
 * there is no log): what the pipeline injects into prompts. */
int da_failures_tail(const char *project, int lines, char **out);

#endif
