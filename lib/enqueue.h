/* enqueue: put one task into the queue, once.
 *
 * The request is validated whole before anything is touched (bad input
 * is DA_EUSAGE and leaves the queue as it was). Dedup never scans the
 * queue: under the project's queue lock the index entry
 * <root>/pending/<project>/.id-<key> (a symlink whose target is the task
 * file name) is read and the name is looked up in pending/ and active/ — two
 * stats. The index entry is written before the task file, so a crash
 * never leaves a task without its entry (an entry without its task is
 * harmless: it points at nothing pending or active). queue-layout/README.md
 * is the on-disk contract. */
#ifndef DA_ENQUEUE_H
#define DA_ENQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "queue.h"

#define DA_SLUG_MAX 48		/* title part of a task file name */
#define DA_LABEL_MAX_BYTES 100
#define DA_LABELS_MAX 100
#define DA_ID_MAX 320

struct da_enqueue_req {
	const char *project;
	const char *repo;	/* owner/name, or NULL */
	long issue;		/* > 0 */
	const char *title;
	const char *body;	/* NULL is "" */
	size_t body_len;	/* bytes of body (it may not be NUL-terminated early) */
	char *const *labels;	/* n_labels strings (NULL when none) */
	size_t n_labels;
	const char *type;	/* feature|bugfix|hotfix; NULL: from labels */
	int priority;		/* 1..3; 0: from type */
	const char *source;	/* cli, repository_dispatch, issues; NULL is "cli" */
	time_t now;		/* 0: the current time (tests pin it) */
};

struct da_enqueue_result {
	bool duplicate;		/* nothing written: the id is already queued */
	bool paused;		/* queued while data/.pause exists */
	enum da_state state;	/* where the task stands: pending (or active for a duplicate) */
	char id[DA_ID_MAX];
	char project[128];
	char name[256];		/* task file name */
	char path[4096];	/* full path of the task file */
};

/* Validate, dedup and write. Returns 0 for both created and duplicate
 * (see res->duplicate), DA_EUSAGE for bad input, DA_ERUNTIME for I/O. */
int da_enqueue(const struct da_enqueue_req *req, struct da_enqueue_result *res);

/* Validation only (what da_enqueue does first). */
int da_enqueue_validate(const struct da_enqueue_req *req);

/* "42" -> 42. Anything but a positive decimal number is DA_EUSAGE:
 * `issue number "4x" is not a number`. */
int da_parse_issue(const char *text, long *out);

/* "a, b,c" -> {"a","b","c",NULL}; empty items dropped. Caller frees with
 * da_strlist_free. */
int da_split_labels(const char *csv, char ***out, size_t *n);

/* owner/name, each part [A-Za-z0-9._-]+ not starting with '.'; DA_EUSAGE. */
int da_check_repo(const char *repo);

/* Title -> file-name part: lowercase ASCII letters, digits and single
 * '-', at most DA_SLUG_MAX bytes; "task" when nothing is left. */
void da_title_slug(const char *title, char *buf, size_t size);

#endif
