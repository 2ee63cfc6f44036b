/* status: what the queue holds and who works on it, for da-status.
 *
 * Reads only: it never takes a run lock (a probe could make a
 * concurrent da-process skip a project). Whether a project's run lock is
 * held comes from /proc/locks; the owner of an active task is the pid in
 * its last "to: active" history line (the worker that started it). */
#ifndef DA_STATUS_H
#define DA_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Collect the status as a JSON object (caller json_decref's):
 *   { "paused": bool, "queue": path, "home": path,
 *     "projects": [ {"project", "pending", "active", "completed", "failed"} ],
 *     "active":   [ {"project", "task", "started_at", "age_seconds",
 *                    "owner_pid", "owner_alive", "lock_held"} ],
 *     "waiting":  [ {"project", "task", "not_before"} ],
 *     "failures": [ {"date", "project", "task", "title", "type",
 *                    "exit_code", "error"} ]   (the last max_failures, oldest first) }
 * project NULL: all projects; else only that one (checked as a name). */
int da_status_collect(const char *project, size_t max_failures, json_t **out);

/* Is the flock on this file held by anyone? (/proc/locks; false when the
 * file does not exist). */
int da_flock_held(const char *path, bool *held);

#endif
