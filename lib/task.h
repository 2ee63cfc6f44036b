/* task: one task file, read into a typed struct and written back.
 *
 * The file is YAML written with libyaml's emitter; the on-disk contract
 * is queue-layout/README.md. Reading validates once at the edge: a
 * task struct that came out of da_task_read() can be trusted inside. */
#ifndef DA_TASK_H
#define DA_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DA_TASK_MAX_BYTES (512 * 1024)	/* a task file; the body alone is capped lower */
#define DA_BODY_MAX_BYTES (64 * 1024)
#define DA_TITLE_MAX_BYTES 1024

enum da_priority { DA_PRIO_HOTFIX = 1, DA_PRIO_BUGFIX = 2, DA_PRIO_FEATURE = 3 };

struct da_history_entry {
	char *at;	/* ISO UTC */
	char *from;	/* state or "new" */
	char *to;
	char *by;	/* "da-process[1234]" */
	char *why;
};

struct da_task {
	char *id;		/* owner/repo#N or project#N */
	char *project;
	char *repo;		/* owner/name or NULL */
	long issue;
	char *title;
	char *body;		/* may be "" */
	char **labels;		/* NULL-terminated, never NULL after read/new */
	size_t n_labels;
	char *type;		/* feature | bugfix | hotfix */
	int priority;		/* 1..3 */
	char *enqueued_at;	/* ISO UTC */
	char *source;		/* cli | repository_dispatch | issues | ... */
	long attempts;
	char *not_before;	/* ISO UTC or NULL: do not start before */
	struct da_history_entry *history;
	size_t n_history;
};

struct da_task *da_task_new(void);
void da_task_free(struct da_task *t);

/* Parse and validate a task file. DA_EUSAGE for a malformed one. */
int da_task_read(const char *path, struct da_task **out);
int da_task_parse(const char *name, const char *text, size_t len, struct da_task **out);

/* Serialize (caller frees *out). */
int da_task_serialize(const struct da_task *t, char **out, size_t *len);

/* Append a history line stamped now, by "<prog>[pid]". */
int da_task_add_history(struct da_task *t, const char *from, const char *to, const char *why);

/* Map a type name to its priority; 0 when unknown. */
int da_type_priority(const char *type);
const char *da_priority_type(int priority);

/* Task id for a repo or a project: "owner/repo#N" / "project#N". Caller frees. */
char *da_task_make_id(const char *project, const char *repo, long issue);

/* not_before as time_t; 0 when unset or unreadable. */
time_t da_task_not_before(const struct da_task *t);

#endif
