/* process: draining the queue — recovery, workers, scheduling.
 *
 * queue-layout/processing.md is the design. In short: a worker is a
 * forked child of da-process that holds its project's run lock
 * (locks/<p>.lock) and one machine-wide slot lock (locks/slot.<k>.lock,
 * k < max_parallel), both taken without waiting BEFORE any task of the
 * project moves to active/. The runner inherits both descriptors, so the
 * locks live exactly as long as the job: a SIGKILLed da-process or worker
 * leaves them held until the runner exits, and a free run lock proves that
 * nothing of the project runs. */
#ifndef DA_PROCESS_H
#define DA_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

struct da_proc_opts {
	bool json;		/* events as JSON lines on stdout, else log lines on stderr */
	bool watch;		/* stay up (inotify) instead of draining once */
	long limit;		/* >0: start at most this many tasks (one per worker), then stop */
	long tick_ms;		/* how often a worker checks the pause switch (0: 250) */
};

enum da_proc_event {
	DA_EV_STARTED,
	DA_EV_COMPLETED,
	DA_EV_FAILED,
	DA_EV_REQUEUED,
	DA_EV_RECOVERED,
	DA_EV_PAUSED,
};

/* One event: "da-process: completed myapp 3-...yaml (exit 0)" on stderr,
 * or {"event":"completed","project":...} on stdout with --json. pid and
 * exit_code < 0 and NULL strings are left out. One write per line, so
 * lines from concurrent workers never interleave. */
void da_proc_event(const struct da_proc_opts *o, enum da_proc_event ev, const char *project,
		   const char *task, long pid, int exit_code, const char *why);

/* Recovery: for every project with tasks in active/ whose run lock is
 * free, each such task is orphaned: attempts+1 and back to pending/, or to
 * failed/ once attempts reaches max_attempts. Stale temp files in the
 * project's pending/ and active/ folders are removed. *recovered counts
 * moved tasks (may be NULL). */
int da_recover_all(const struct da_config *c, const struct da_proc_opts *o, size_t *recovered);
/* The same for one project whose run lock the caller holds. */
int da_recover_project_locked(const struct da_config *c, const struct da_proc_opts *o, const char *project,
			      size_t *recovered);

/* The first pending task of the project that may start at `now` (name
 * order; a future not_before is skipped). *found false when none; when
 * some wait for a not_before, *wake_at is the earliest (else 0). */
int da_next_ready(const char *project, time_t now, char *name, size_t size, bool *found, time_t *wake_at);

/* A free slot lock among max_parallel, without waiting: *fd = -1 when all
 * are taken. */
int da_slot_lock_try(long max_parallel, int *fd);

/* The worker: runs the project's ready tasks in name order while holding
 * run_fd and slot_fd (it owns and closes them), then releases them, looks
 * once more and starts over if a task came in meanwhile and the locks are
 * free. Stops after max_tasks (>0) tasks, when paused, or when its parent
 * (parent_pid, 0: never) is gone. */
int da_worker_run(const struct da_config *c, const struct da_proc_opts *o, const char *project, int run_fd,
		  int slot_fd, long max_tasks, pid_t parent_pid, bool *rested);
/* *rested: the worker put a task back to pending (exit 75, stale, killed)
 * and stopped, so that the task is not run again at once; its process
 * exits with DA_WORKER_EXIT_REST and the scheduler lets the project rest. */
#define DA_WORKER_EXIT_REST 3

/* da-process --once / --watch (o->watch). Returns 0, or the first error of
 * a worker (the worker printed it) as DA_ERUNTIME. */
int da_process(const struct da_config *c, const struct da_proc_opts *o);

/* Scheduling step shared by --once and --watch (process_watch.c). */
struct da_sched;
struct da_sched *da_sched_new(const struct da_config *c, const struct da_proc_opts *o);
void da_sched_free(struct da_sched *s);
/* Start workers for ready projects while slots are free. *wake_at: the
 * earliest not_before still waiting (0: none). */
int da_sched_start(struct da_sched *s, time_t *wake_at);
/* Reap finished workers (block: wait for one). Returns how many ran. */
size_t da_sched_reap(struct da_sched *s, bool block);
size_t da_sched_running(const struct da_sched *s);
bool da_sched_failed(const struct da_sched *s);
/* After a failed worker: DA_ERUNTIME, with a message only when the worker
 * could not give one itself (killed by a signal). */
int da_sched_error(const struct da_sched *s);
bool da_sched_limit_reached(const struct da_sched *s);
/* The last start found a ready project but no free slot. */
bool da_sched_blocked(const struct da_sched *s);

/* da-process --watch (process_watch.c). */
int da_process_watch(const struct da_config *c, const struct da_proc_opts *o);

#endif
