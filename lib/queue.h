/* queue: the on-disk queue's states, locks and the one way a task moves.
 *
 * Layout (queue-layout/README.md is the contract):
 *   <root>/{pending,active,completed,failed}/<project>/<task-file>
 *   <root>/locks/<project>.lock        held by the worker (and its runner)
 *                                       for as long as a task of the
 *                                       project runs
 *   <root>/locks/<project>.queue.lock  held briefly around every
 *                                       check-then-change of the project's
 *                                       queue (enqueue dedup, state moves)
 *   <root>/locks/slot.<k>.lock         one per parallel worker, k < max_parallel
 *   <root>/pending/<project>/.id-<key> symlink -> task file name: the dedup
 *                                       index, so no enqueue scans the queue
 * A task file keeps its name in every state. */
#ifndef DA_QUEUE_H
#define DA_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "task.h"

enum da_state { DA_PENDING = 0, DA_ACTIVE, DA_COMPLETED, DA_FAILED, DA_NSTATES };

const char *da_state_name(enum da_state s);

/* <root>/<state>/<project> */
int da_state_dir(enum da_state s, const char *project, char *buf, size_t size);
/* <root>/<state>/<project>/<name> */
int da_task_path(enum da_state s, const char *project, const char *name, char *buf, size_t size);

/* Create the queue root's folders (once) and refuse a root whose folders
 * sit on different filesystems (rename would fail with EXDEV). */
int da_queue_check_root(void);
/* Create the project's four state dirs and its ids dir. */
int da_queue_prepare_project(const char *project);

/* Locks. Each returns an open descriptor (close it to release). */
/* The run lock, without waiting: *fd = -1 and returns 0 when another holds it. */
int da_run_lock_try(const char *project, int *fd);
/* The short queue lock; waits (holders keep it for milliseconds). */
int da_queue_lock(const char *project, int *fd);
void da_lock_release(int fd);

/* Edit applied to a task while it moves (may be NULL). */
typedef int (*da_task_edit_fn)(struct da_task *t, void *ctx);

/* Move a task between states; the caller holds the project's queue lock.
 * The task is rewritten in place (edit, plus a history line from -> to
 * with `why`), then renamed into the target state; both directories are
 * fsynced. A crash leaves it whole in one of the two states. */
int da_task_transition(const char *project, const char *name, enum da_state from, enum da_state to,
		       const char *why, da_task_edit_fn edit, void *ctx);

/* Rewrite a task where it stands (atomic replace). */
int da_task_write_in(enum da_state s, const struct da_task *t, const char *name);

/* The dedup index entry's file name for a task id: ".id-owner+repo#N"
 * or ".id-project#N" (a dotfile: never taken for a task). */
int da_id_key(const char *id, char *buf, size_t size);
/* The folder that holds a project's index entries: pending/<project>, so
 * that the one directory fsync that makes a new task durable makes its
 * index entry durable too. */
int da_ids_dir(const char *project, char *buf, size_t size);
/* Remove a task's index entry if it still names `name` (the task left the
 * live states). Caller holds the queue lock. */
void da_id_forget(const char *project, const char *id, const char *name);

/* Sorted task file names in a state dir (NULL-terminated, caller frees with
 * da_strlist_free). A missing dir gives an empty list. */
int da_list_tasks(enum da_state s, const char *project, char ***names, size_t *n);
/* Sorted project names that have a dir under a state. */
int da_list_projects(enum da_state s, char ***names, size_t *n);

/* A task file name: ends in .yaml and does not start with '.' */
bool da_is_task_name(const char *name);

#endif
