/* da-process --watch: stay up and start a task as soon as it is enqueued.
 *
 * inotify on pending/ (new project folders), on every pending/<p>/ (a task
 * renamed into place) and on data/ (the pause switch); SIGCHLD, SIGTERM
 * and SIGINT through a signalfd; poll's timeout for the next not_before,
 * for a slot held by another da-process, and a slow rescan as a net. */
#include "process.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "queue.h"
#include "yamlutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define RESCAN_MS 30000		/* safety net: a missed event costs at most this */
#define BLOCKED_RETRY_MS 500	/* slots held by other da-process instances */

static int add_watch(int ifd, const char *path, uint32_t mask)
{
	if (inotify_add_watch(ifd, path, mask) < 0 && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "inotify %s: %s", path, strerror(errno));
	return 0;
}

/* Watch every project folder under pending/ (adding a watch twice is a no-op). */
static int watch_projects(int ifd)
{
	char **projects = NULL;
	size_t n = 0;
	int rc;

	if ((rc = da_list_projects(DA_PENDING, &projects, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char dir[DA_PATH_MAX];

		if ((rc = da_state_dir(DA_PENDING, projects[i], dir, sizeof dir)) == 0)
			rc = add_watch(ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
	}
	da_strlist_free(projects);
	return rc;
}

static int setup(int *ifd, int *sfd, sigset_t *old)
{
	char path[DA_PATH_MAX];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0 || (*sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return da_errf(DA_ERUNTIME, "signalfd: %s", strerror(errno));
	if ((*ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		return da_errf(DA_ERUNTIME, "inotify: %s", strerror(errno));
	if (da_pathf(path, sizeof path, "%s/pending", da_queue_root()) < 0 ||
	    add_watch(*ifd, path, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0)
		return DA_ERUNTIME;
	if (da_pathf(path, sizeof path, "%s/data", da_home()) < 0 || da_mkdirs(path) < 0 ||
	    add_watch(*ifd, path, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR) < 0)
		return DA_ERUNTIME;
	return watch_projects(*ifd);
}

/* Drain the signalfd; true when asked to stop. */
static bool read_signals(int sfd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop = true;
	return stop;
}

static void drain_inotify(int ifd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(ifd, buf, sizeof buf) > 0)
		;
}

static int timeout_for(const struct da_sched *s, time_t wake_at)
{
	int ms = RESCAN_MS;

	if (wake_at) {
		time_t now = time(NULL);
		long long d = wake_at > now ? (long long)(wake_at - now) * 1000 : 0;

		if (d < ms)
			ms = (int)d + 50;
	}
	if (da_sched_blocked(s) && ms > BLOCKED_RETRY_MS)
		ms = BLOCKED_RETRY_MS;
	return ms;
}

int da_process_watch(const struct da_config *c, const struct da_proc_opts *o)
{
	struct da_sched *s = da_sched_new(c, o);
	int ifd = -1, sfd = -1, rc;
	sigset_t old;
	bool stop = false, was_paused = false, recovered = false;

	if (!s)
		return DA_ERUNTIME;
	sigemptyset(&old);
	if ((rc = setup(&ifd, &sfd, &old)) < 0)
		goto out;
	while (!stop && !da_sched_limit_reached(s)) {
		time_t wake = 0;
		bool paused = da_paused();

		if (paused && !was_paused)
			da_proc_event(o, DA_EV_PAUSED, NULL, NULL, -1, -1, NULL);
		/* Recovery touches the queue: not while paused, and again after
		 * every pause (a worker may have been killed meanwhile). */
		if (!paused && (!recovered || was_paused)) {
			if ((rc = da_recover_all(c, o, NULL)) < 0)
				goto out;
			recovered = true;
		}
		was_paused = paused;
		da_sched_reap(s, false);
		/* New folders first, so a task landing in one is not missed. */
		if ((rc = watch_projects(ifd)) < 0 || (rc = da_sched_start(s, &wake)) < 0)
			goto out;
		struct pollfd pfd[2] = { { .fd = ifd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };

		if (poll(pfd, 2, timeout_for(s, wake)) < 0 && errno != EINTR) {
			rc = da_errf(DA_ERUNTIME, "poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[1].revents & POLLIN)
			stop = read_signals(sfd);
		if (pfd[0].revents & POLLIN)
			drain_inotify(ifd);
	}
	/* Workers keep running: each finishes its current runner and stops
	 * (its parent is gone); their locks guard the queue meanwhile. */
	da_sched_reap(s, false);
	if (rc == 0 && da_sched_failed(s))
		rc = da_sched_error(s);
out:
	if (ifd >= 0)
		close(ifd);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	da_sched_free(s);
	return rc;
}
