/* The worker: one project's tasks, one at a time, while it holds the
 * project's run lock and a slot lock. See queue-layout/processing.md. */
#include "process.h"
#include "clock.h"
#include "env.h"
#include "err.h"
#include "failures.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "queue.h"
#include "runrec.h"
#include "spawn.h"
#include "yamlutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNNER_ARGS_MAX 32
#define FAIL_TAIL_LINES 20
#define TERM_GRACE_MS 10000

struct worker {
	const struct da_config *c;
	const struct da_proc_opts *o;
	const char *project;
	int run_fd, slot_fd;
	char *runner_copy;
	const char *argv[RUNNER_ARGS_MAX + 2];
	size_t argc;
	struct da_env *env;
	int64_t paused_since;	/* monotonic ms; 0 while the switch is off */
	const char *task;	/* the task running now, for the start event */
};

/* Split the runner command on spaces (no quoting: a wrapper script is the
 * way to pass anything fancier). */
static int split_runner(struct worker *w)
{
	char *save = NULL;

	if (!(w->runner_copy = strdup(w->c->runner)))
		return da_errf(DA_ERUNTIME, "out of memory");
	for (char *tok = strtok_r(w->runner_copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (w->argc == RUNNER_ARGS_MAX)
			return da_errf(DA_EUSAGE, "runner \"%s\" has more than %d words", w->c->runner, RUNNER_ARGS_MAX);
		w->argv[w->argc++] = tok;
	}
	if (!w->argc)
		return da_errf(DA_EUSAGE, "the runner command is empty");
	return 0;
}

static int worker_env(struct worker *w)
{
	static const char *const none[] = { NULL };
	char pause[DA_PATH_MAX];

	if (!(w->env = da_env_new()))
		return da_errf(DA_ERUNTIME, "out of memory");
	if (da_env_copy_except(w->env, none) < 0 || da_pause_path(pause, sizeof pause) < 0 ||
	    da_env_set(w->env, "DA_PAUSE_FILE", pause) < 0 || da_env_set(w->env, "DA_QUEUE", da_queue_root()) < 0 ||
	    da_env_set(w->env, "DA_HOME", da_home()) < 0)
		return DA_ERUNTIME;
	return 0;
}

/* The spawn tick: a pause gives the runner pause_grace_seconds to stop by
 * itself (it sees DA_PAUSE_FILE and returns 75 at a stage boundary);
 * after that spawn sends SIGTERM to its group, then SIGKILL. */
static bool pause_tick(void *ctx)
{
	struct worker *w = ctx;
	int64_t now = da_monotonic_ms();

	if (!da_paused()) {
		w->paused_since = 0;
		return false;
	}
	if (!w->paused_since)
		w->paused_since = now;
	return now - w->paused_since >= w->c->pause_grace_seconds * 1000;
}

static void on_runner_start(pid_t pid, void *ctx)
{
	struct worker *w = ctx;

	da_proc_event(w->o, DA_EV_STARTED, w->project, w->task, (long)pid, -1, NULL);
}

struct outcome_ctx {
	long add_attempts;
};

static int add_attempts(struct da_task *t, void *ctx)
{
	t->attempts += ((struct outcome_ctx *)ctx)->add_attempts;
	return 0;
}

/* Move the task after its runner ended, and tell. */
static int settle(struct worker *w, const char *name, const struct da_spawn_result *res, bool paused,
		  bool *requeued)
{
	char path[DA_PATH_MAX], how[160], why[4096];
	struct da_task *t = NULL;
	struct outcome_ctx oc = { 0 };
	enum da_state to;
	enum da_proc_event ev;
	int qfd = -1, rc;
	bool ok = !res->term_signal && !res->stopped && !res->timed_out && res->exit_code == 0;

	da_spawn_describe(res, how, sizeof how);
	if (da_task_path(DA_ACTIVE, w->project, name, path, sizeof path) < 0)
		return DA_ERUNTIME;
	if ((rc = da_task_read(path, &t)) < 0)
		return da_errctx(rc, "after its runner");
	if (ok) {
		to = DA_COMPLETED, ev = DA_EV_COMPLETED;
		snprintf(why, sizeof why, "runner finished (exit 0)");
	} else if (paused || res->stopped) {
		to = DA_PENDING, ev = DA_EV_REQUEUED;
		snprintf(why, sizeof why, "paused: runner %s", how);
	} else if (!res->term_signal && res->exit_code == DA_EXIT_TEMPFAIL && !res->timed_out) {
		to = DA_PENDING, ev = DA_EV_REQUEUED;
		snprintf(why, sizeof why, "runner asked to try later (exit 75)");
	} else if (res->timed_out || res->term_signal) {
		/* Stale, or killed by someone else (OOM killer, an operator): a
		 * crash of the machinery rather than the task's verdict, so it is
		 * retried like an orphan, up to max_attempts. */
		oc.add_attempts = 1;
		bool give_up = t->attempts + 1 >= w->c->max_attempts;

		to = give_up ? DA_FAILED : DA_PENDING, ev = give_up ? DA_EV_FAILED : DA_EV_REQUEUED;
		if (res->timed_out)
			snprintf(why, sizeof why, "stale: runner ran longer than stale_hours (%g), %s", w->c->stale_hours,
				 how);
		else
			snprintf(why, sizeof why, "runner %s", how);
		size_t used = strlen(why);

		snprintf(why + used, sizeof why - used, "; attempt %ld of %ld%s", t->attempts + 1, w->c->max_attempts,
			 give_up ? ", giving up" : "");
	} else {
		to = DA_FAILED, ev = DA_EV_FAILED;
		snprintf(why, sizeof why, "runner failed: %s\n%s", how,
			 res->tail ? da_last_lines(res->tail, FAIL_TAIL_LINES) : "");
	}
	if ((rc = da_queue_lock(w->project, &qfd)) < 0)
		goto out;
	rc = da_task_transition(w->project, name, DA_ACTIVE, to, why, add_attempts, &oc);
	da_lock_release(qfd);
	if (rc < 0)
		goto out;
	if (to == DA_FAILED) {
		struct da_failure f = { .project = (char *)w->project, .task = (char *)name, .title = t->title,
					.type = t->type, .error = why,
					.exit_code = res->term_signal || res->timed_out ? -1 : res->exit_code };

		if ((rc = da_failure_append(&f)) < 0)
			goto out;
	}
	/* Put back for a pause: the worker stops anyway, and the task should
	 * start again as soon as the pause is lifted. */
	*requeued = to == DA_PENDING && !paused && !res->stopped;
	da_proc_event(w->o, ev, w->project, name, (long)res->pid,
		      res->term_signal || res->stopped || res->timed_out ? -1 : res->exit_code,
		      to == DA_COMPLETED ? NULL : strtok(why, "\n"));
out:
	da_task_free(t);
	return rc;
}

/* A pending task that does not parse cannot run: put it aside in failed/. */
static int set_aside(struct worker *w, const char *name)
{
	char from[DA_PATH_MAX], to[DA_PATH_MAX], why[1024];
	struct da_failure f = { .project = (char *)w->project, .task = (char *)name, .exit_code = -1, .error = why };
	int rc;

	snprintf(why, sizeof why, "unreadable task file: %s", da_errmsg());
	if ((rc = da_state_dir(DA_PENDING, w->project, from, sizeof from)) < 0 ||
	    (rc = da_state_dir(DA_FAILED, w->project, to, sizeof to)) < 0 || (rc = da_mkdirs(to)) < 0 ||
	    (rc = da_move(from, to, name, NULL)) < 0 || (rc = da_failure_append(&f)) < 0)
		return rc;
	da_proc_event(w->o, DA_EV_FAILED, w->project, name, -1, -1, why);
	return 0;
}

static int run_one(struct worker *w, const char *name, bool *requeued)
{
	char task_path[DA_PATH_MAX], log_dir[DA_PATH_MAX], log_path[DA_PATH_MAX], stem[256], key[600];
	struct da_spawn_result res;
	int qfd = -1, rc;
	int keep[2] = { w->run_fd, w->slot_fd };

	snprintf(stem, sizeof stem, "%.*s", (int)(strlen(name) - 5), name);
	if ((rc = da_task_path(DA_ACTIVE, w->project, name, task_path, sizeof task_path)) < 0 ||
	    (rc = da_run_key(w->project, stem, key, sizeof key)) < 0 ||
	    (rc = da_run_dir(key, log_dir, sizeof log_dir)) < 0 ||
	    (rc = da_pathf(log_path, sizeof log_path, "%s/runner.log", log_dir)) < 0 || (rc = da_mkdirs(log_dir)) < 0)
		return rc;
	if ((rc = da_queue_lock(w->project, &qfd)) < 0)
		return rc;
	rc = da_task_transition(w->project, name, DA_PENDING, DA_ACTIVE, "started", NULL, NULL);
	da_lock_release(qfd);
	if (rc == DA_EUSAGE)
		return set_aside(w, name);
	if (rc < 0)
		return rc;
	w->argv[w->argc] = task_path;
	w->argv[w->argc + 1] = NULL;
	w->paused_since = 0;
	w->task = name;
	if ((rc = da_env_set(w->env, "DA_TASK_FILE", task_path)) < 0)
		return rc;
	/* The runner inherits both locks: they are held while it lives, even
	 * if we die. It writes its log itself, so our death is no SIGPIPE. */
	struct da_spawn_opts so = {
		.argv = w->argv, .envp = da_env_strings(w->env), .output_path = log_path, .direct_output = true,
		.timeout_ms = (int64_t)(w->c->stale_hours * 3600.0 * 1000.0), .term_grace_ms = TERM_GRACE_MS,
		.keep_fds = keep, .n_keep_fds = 2, .tick = pause_tick, .tick_ctx = w,
		.tick_ms = w->o->tick_ms > 0 ? w->o->tick_ms : 250, .on_start = on_runner_start, .start_ctx = w,
	};

	if ((rc = da_spawn_run(&so, &res)) < 0) {
		/* The runner cannot start (missing, not executable): a setup
		 * problem, not the task's. Put the task back untouched. */
		int saved = rc;
		char msg[1024];

		snprintf(msg, sizeof msg, "%s", da_errmsg());
		if (da_queue_lock(w->project, &qfd) == 0) {
			da_task_transition(w->project, name, DA_ACTIVE, DA_PENDING, msg, NULL, NULL);
			da_lock_release(qfd);
		}
		return da_errf(saved, "%s", msg);
	}
	rc = settle(w, name, &res, da_paused(), requeued);
	da_spawn_result_free(&res);
	return rc;
}

static void release_locks(struct worker *w)
{
	da_lock_release(w->run_fd);
	da_lock_release(w->slot_fd);
	w->run_fd = w->slot_fd = -1;
}

int da_worker_run(const struct da_config *c, const struct da_proc_opts *o, const char *project, int run_fd,
		  int slot_fd, long max_tasks, pid_t parent_pid, bool *rested)
{
	struct worker w = { .c = c, .o = o, .project = project, .run_fd = run_fd, .slot_fd = slot_fd };
	char name[256];
	long done = 0;
	int rc;

	*rested = false;

	if ((rc = split_runner(&w)) < 0 || (rc = worker_env(&w)) < 0)
		goto out;
	for (;;) {
		bool found = false;
		time_t wake;

		while (w.run_fd >= 0) {
			if (da_paused()) {
				da_proc_event(o, DA_EV_PAUSED, project, NULL, -1, -1, NULL);
				goto out;
			}
			if ((rc = da_next_ready(project, time(NULL), name, sizeof name, &found, &wake)) < 0)
				goto out;
			if (!found)
				break;
			if ((rc = run_one(&w, name, rested)) < 0)
				goto out;
			/* A task put back (try later, stale, killed) is not run again
			 * at once: the project rests until the next look. */
			if (*rested)
				goto out;
			if ((max_tasks > 0 && ++done >= max_tasks) || (parent_pid && getppid() != parent_pid))
				goto out;
		}
		release_locks(&w);
		/* A task enqueued after our last look but before the release
		 * would wait for the next da-process: look once more. */
		if ((rc = da_next_ready(project, time(NULL), name, sizeof name, &found, &wake)) < 0 || !found)
			goto out;
		if ((rc = da_slot_lock_try(c->max_parallel, &w.slot_fd)) < 0 || w.slot_fd < 0)
			goto out;
		if ((rc = da_run_lock_try(project, &w.run_fd)) < 0 || w.run_fd < 0)
			goto out;
	}
out:
	release_locks(&w);
	da_env_free(w.env);
	free(w.runner_copy);
	return rc;
}
