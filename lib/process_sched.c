/* Scheduling: which projects get a worker now, and da-process --once. */
#include "process.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "queue.h"
#include "yamlutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64		/* max_parallel is at most 64 */
#define FAILED_MAX 64
#define FAILED_RETRY_MS 60000	/* a project whose worker failed or requeued rests this long */

struct worker_slot {
	pid_t pid;
	char project[128];
};

struct da_sched {
	const struct da_config *c;
	const struct da_proc_opts *o;
	struct worker_slot workers[MAX_WORKERS];
	size_t n_workers;
	struct {
		char project[128];
		int64_t at;
	} failed_projects[FAILED_MAX];
	size_t n_failed;
	bool failed;
	long started;
	bool blocked;		/* a ready project found no free slot */
	char killed[256];	/* the first worker killed by a signal, for the message */
};

struct candidate {
	char name[256];
	char *project;
};

struct da_sched *da_sched_new(const struct da_config *c, const struct da_proc_opts *o)
{
	struct da_sched *s = calloc(1, sizeof *s);

	if (!s) {
		da_errf(DA_ERUNTIME, "out of memory");
		return NULL;
	}
	s->c = c;
	s->o = o;
	return s;
}

void da_sched_free(struct da_sched *s)
{
	free(s);
}

size_t da_sched_running(const struct da_sched *s)
{
	return s->n_workers;
}

bool da_sched_failed(const struct da_sched *s)
{
	return s->failed;
}

int da_sched_error(const struct da_sched *s)
{
	if (s->killed[0])
		return da_errf(DA_ERUNTIME, "%s", s->killed);
	da_errclear(); /* the worker said why, once */
	return DA_ERUNTIME;
}

bool da_sched_limit_reached(const struct da_sched *s)
{
	return s->o->limit > 0 && s->started >= s->o->limit;
}

bool da_sched_blocked(const struct da_sched *s)
{
	return s->blocked;
}

static bool is_ours(const struct da_sched *s, const char *project)
{
	for (size_t i = 0; i < s->n_workers; i++)
		if (!strcmp(s->workers[i].project, project))
			return true;
	for (size_t i = 0; i < s->n_failed; i++)
		if (!strcmp(s->failed_projects[i].project, project) &&
		    da_monotonic_ms() - s->failed_projects[i].at < FAILED_RETRY_MS)
			return true;
	return false;
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : strcmp(x->project, y->project);
}

/* In the child: become the worker and never return. */
static void become_worker(struct da_sched *s, const char *project, int run_fd, int slot_fd, pid_t parent)
{
	sigset_t none;

	/* Own group: a Ctrl-C or a signal to da-process's group does not cut
	 * a runner short; the worker stops by itself once its parent is gone. */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	bool rested = false;
	int rc = da_worker_run(s->c, s->o, project, run_fd, slot_fd, s->o->limit > 0 ? 1 : 0, parent, &rested);

	_exit(rc < 0 ? da_err_report(rc) : rested ? DA_WORKER_EXIT_REST : 0);
}

static int start_worker(struct da_sched *s, const char *project, int run_fd, int slot_fd)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int saved = errno;

		da_lock_release(run_fd);
		da_lock_release(slot_fd);
		return da_errf(DA_ERUNTIME, "fork: %s", strerror(saved));
	}
	if (pid == 0)
		become_worker(s, project, run_fd, slot_fd, parent);
	/* The worker holds the locks now (same open file descriptions). */
	da_lock_release(run_fd);
	da_lock_release(slot_fd);
	s->workers[s->n_workers].pid = pid;
	snprintf(s->workers[s->n_workers].project, sizeof s->workers[0].project, "%s", project);
	s->n_workers++;
	s->started++;
	return 0;
}

static int gather(struct da_sched *s, char **projects, size_t n, struct candidate *cand, size_t *n_cand,
		  time_t *wake_at)
{
	time_t now = time(NULL);
	int rc;

	*n_cand = 0;
	for (size_t i = 0; i < n; i++) {
		bool found;
		time_t wake;

		if (da_check_project_name(projects[i]) < 0) {
			da_errclear();
			continue;
		}
		if (is_ours(s, projects[i]))
			continue;
		if ((rc = da_next_ready(projects[i], now, cand[*n_cand].name, sizeof cand[0].name, &found, &wake)) < 0)
			return rc;
		if (wake && (!*wake_at || wake < *wake_at))
			*wake_at = wake;
		if (found)
			cand[(*n_cand)++].project = projects[i];
	}
	qsort(cand, *n_cand, sizeof *cand, cmp_candidate);
	return 0;
}

int da_sched_start(struct da_sched *s, time_t *wake_at)
{
	char **projects = NULL;
	struct candidate *cand = NULL;
	size_t n = 0, n_cand = 0;
	int rc;

	*wake_at = 0;
	s->blocked = false;
	if (da_sched_limit_reached(s) || s->n_workers >= MAX_WORKERS || da_paused())
		return 0;
	if ((rc = da_list_projects(DA_PENDING, &projects, &n)) < 0)
		return rc;
	if (n && !(cand = calloc(n, sizeof *cand))) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if (n && (rc = gather(s, projects, n, cand, &n_cand, wake_at)) < 0)
		goto out;
	/* Best task first across projects: hotfixes before bugfixes before features. */
	for (size_t i = 0; i < n_cand && !da_sched_limit_reached(s) && s->n_workers < MAX_WORKERS; i++) {
		int slot_fd = -1, run_fd = -1;

		if ((rc = da_slot_lock_try(s->c->max_parallel, &slot_fd)) < 0)
			goto out;
		if (slot_fd < 0) {
			s->blocked = true;
			break;
		}
		if ((rc = da_run_lock_try(cand[i].project, &run_fd)) < 0 || run_fd < 0) {
			da_lock_release(slot_fd); /* another da-process works on it */
			if (rc < 0)
				goto out;
			continue;
		}
		if ((rc = start_worker(s, cand[i].project, run_fd, slot_fd)) < 0)
			goto out;
	}
out:
	free(cand);
	da_strlist_free(projects);
	return rc;
}

static void forget_worker(struct da_sched *s, size_t i, int status)
{
	bool rest = WIFEXITED(status) && WEXITSTATUS(status) == DA_WORKER_EXIT_REST;

	if (rest || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		s->failed = s->failed || !rest;
		/* A worker that exits non-zero said why itself; a killed one could not. */
		if (WIFSIGNALED(status) && !s->killed[0])
			snprintf(s->killed, sizeof s->killed, "the worker for %s (pid %ld) was killed by signal %d",
				 s->workers[i].project, (long)s->workers[i].pid, WTERMSIG(status));
		size_t k = s->n_failed < FAILED_MAX ? s->n_failed++ : FAILED_MAX - 1;

		memcpy(s->failed_projects[k].project, s->workers[i].project, sizeof s->workers[i].project);
		s->failed_projects[k].at = da_monotonic_ms();
	}
	s->workers[i] = s->workers[--s->n_workers];
}

size_t da_sched_reap(struct da_sched *s, bool block)
{
	size_t reaped = 0;

	while (s->n_workers) {
		int status;
		pid_t pid = waitpid(-1, &status, block && !reaped ? 0 : WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		for (size_t i = 0; i < s->n_workers; i++)
			if (s->workers[i].pid == pid) {
				forget_worker(s, i, status);
				reaped++;
				break;
			}
	}
	return reaped;
}

int da_process(const struct da_config *c, const struct da_proc_opts *o)
{
	struct da_sched *s;
	int rc;

	if ((rc = da_queue_check_root()) < 0)
		return rc;
	if (o->watch)
		return da_process_watch(c, o); /* recovers whenever it is not paused */
	if ((rc = da_recover_all(c, o, NULL)) < 0)
		return rc;
	if (!(s = da_sched_new(c, o)))
		return DA_ERUNTIME;
	for (;;) {
		time_t wake;

		if ((rc = da_sched_start(s, &wake)) < 0)
			break;
		if (!da_sched_running(s))
			break;
		da_sched_reap(s, true);
	}
	/* Never leave a worker unreaped, even after an error of ours. */
	while (da_sched_running(s))
		da_sched_reap(s, true);
	if (rc == 0 && da_sched_failed(s))
		rc = da_sched_error(s);
	da_sched_free(s);
	return rc;
}
