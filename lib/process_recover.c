/* Recovery of orphaned tasks, readiness of pending tasks, slot locks. */
#include "process.h"
#include "err.h"
#include "failures.h"
#include "fsutil.h"
#include "paths.h"
#include "queue.h"
#include "yamlutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct attempt_ctx {
	long attempts;		/* the value after the edit */
};

static int bump_attempts(struct da_task *t, void *ctx)
{
	struct attempt_ctx *a = ctx;

	t->attempts++;
	a->attempts = t->attempts;
	return 0;
}

/* Move one orphaned active task back to pending (or to failed). */
static int recover_task(const struct da_config *c, const struct da_proc_opts *o, const char *project,
			const char *name)
{
	char path[DA_PATH_MAX], why[256];
	struct da_task *t = NULL;
	struct attempt_ctx a = { 0 };
	int rc;

	if (da_task_path(DA_ACTIVE, project, name, path, sizeof path) < 0)
		return DA_ERUNTIME;
	if ((rc = da_task_read(path, &t)) < 0) {
		/* An unreadable task can never run: keep it for a human in failed/. */
		char from[DA_PATH_MAX], to[DA_PATH_MAX];

		if (rc != DA_EUSAGE || da_state_dir(DA_ACTIVE, project, from, sizeof from) < 0 ||
		    da_state_dir(DA_FAILED, project, to, sizeof to) < 0 || da_mkdirs(to) < 0)
			return rc;
		da_proc_event(o, DA_EV_FAILED, project, name, -1, -1, da_errmsg());
		return da_move(from, to, name, NULL);
	}
	bool give_up = t->attempts + 1 >= c->max_attempts;

	snprintf(why, sizeof why, "recovered: its worker is gone (run lock free); attempt %ld of %ld%s",
		 t->attempts + 1, c->max_attempts, give_up ? ", giving up" : "");
	rc = da_task_transition(project, name, DA_ACTIVE, give_up ? DA_FAILED : DA_PENDING, why, bump_attempts, &a);
	if (rc == 0 && give_up) {
		struct da_failure f = { .project = (char *)project, .task = (char *)name, .title = t->title,
					.type = t->type, .exit_code = -1, .error = why };

		rc = da_failure_append(&f);
	}
	if (rc == 0)
		da_proc_event(o, give_up ? DA_EV_FAILED : DA_EV_RECOVERED, project, name, -1, -1, why);
	da_task_free(t);
	return rc;
}

int da_recover_project_locked(const struct da_config *c, const struct da_proc_opts *o, const char *project,
			      size_t *recovered)
{
	char dir[DA_PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	int qfd = -1, rc;

	if ((rc = da_queue_lock(project, &qfd)) < 0)
		return rc;
	/* Holding the run lock and the queue lock, nobody writes in active/<p>
	 * or pending/<p>: any temp file there is a dead writer's. */
	if ((rc = da_state_dir(DA_ACTIVE, project, dir, sizeof dir)) < 0 || (rc = da_clean_temps(dir, 0)) < 0 ||
	    (rc = da_state_dir(DA_PENDING, project, dir, sizeof dir)) < 0 || (rc = da_clean_temps(dir, 0)) < 0)
		goto out;
	if ((rc = da_list_tasks(DA_ACTIVE, project, &names, &n)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = recover_task(c, o, project, names[i])) < 0)
			goto out;
		if (recovered)
			(*recovered)++;
	}
out:
	da_strlist_free(names);
	da_lock_release(qfd);
	return rc;
}

/* Does the folder hold task files or temp files? */
static int dir_needs_look(const char *dir, bool *needs)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*needs = false;
	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while (!*needs && (de = readdir(d)) != NULL)
		*needs = da_is_task_name(de->d_name) ||
			 !strncmp(de->d_name, DA_TEMP_PREFIX, strlen(DA_TEMP_PREFIX));
	closedir(d);
	return 0;
}

int da_recover_all(const struct da_config *c, const struct da_proc_opts *o, size_t *recovered)
{
	char **projects = NULL;
	size_t n = 0;
	int rc;

	if ((rc = da_list_projects(DA_ACTIVE, &projects, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char dir[DA_PATH_MAX];
		bool needs;
		int fd = -1;

		if (da_check_project_name(projects[i]) < 0) {
			da_errclear();
			continue; /* not ours: never touch a folder we would not create */
		}
		if ((rc = da_state_dir(DA_ACTIVE, projects[i], dir, sizeof dir)) < 0 ||
		    (rc = dir_needs_look(dir, &needs)) < 0 || !needs)
			continue;
		/* Never waits: a held lock means a live owner (a worker or its runner). */
		if ((rc = da_run_lock_try(projects[i], &fd)) < 0 || fd < 0)
			continue;
		rc = da_recover_project_locked(c, o, projects[i], recovered);
		da_lock_release(fd);
	}
	da_strlist_free(projects);
	return rc;
}

static bool task_ready(const char *project, const char *name, time_t now, time_t *wake_at)
{
	char path[DA_PATH_MAX];
	struct da_task *t = NULL;

	if (da_task_path(DA_PENDING, project, name, path, sizeof path) < 0 || da_task_read(path, &t) < 0) {
		da_errclear();
		return true; /* let the worker meet it and put it aside */
	}
	time_t nb = da_task_not_before(t);

	da_task_free(t);
	if (nb <= now)
		return true;
	if (!*wake_at || nb < *wake_at)
		*wake_at = nb;
	return false;
}

/* The smallest task name in the folder (cheap: no list, no sort). */
static int min_task_name(const char *dir, char *name, size_t size, bool *found, bool *temps)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*found = *temps = false;
	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!da_is_task_name(de->d_name)) {
			if (!strncmp(de->d_name, DA_TEMP_PREFIX, strlen(DA_TEMP_PREFIX)))
				*temps = true;
			continue;
		}
		if (strlen(de->d_name) >= size)
			continue;
		if (!*found || strcmp(de->d_name, name) < 0) {
			strcpy(name, de->d_name);
			*found = true;
		}
	}
	closedir(d);
	return 0;
}

int da_next_ready(const char *project, time_t now, char *name, size_t size, bool *found, time_t *wake_at)
{
	char dir[DA_PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	bool temps;
	int rc;

	*wake_at = 0;
	if ((rc = da_state_dir(DA_PENDING, project, dir, sizeof dir)) < 0 ||
	    (rc = min_task_name(dir, name, size, found, &temps)) < 0)
		return rc;
	if (temps) {
		int qfd = -1;

		/* Enqueue writes under the queue lock, so under it a temp file
		 * is a dead writer's. */
		if (da_queue_lock(project, &qfd) == 0) {
			da_clean_temps(dir, 0);
			da_lock_release(qfd);
		}
		da_errclear();
	}
	if (!*found || task_ready(project, name, now, wake_at))
		return 0;
	/* The first one waits for its not_before: look further, in order. */
	*found = false;
	if ((rc = da_list_tasks(DA_PENDING, project, &names, &n)) < 0)
		return rc;
	for (size_t i = 1; i < n && !*found; i++)
		if (task_ready(project, names[i], now, wake_at) && strlen(names[i]) < size) {
			strcpy(name, names[i]);
			*found = true;
		}
	da_strlist_free(names);
	return 0;
}

int da_slot_lock_try(long max_parallel, int *fd)
{
	char path[DA_PATH_MAX];

	*fd = -1;
	for (long k = 0; k < max_parallel; k++) {
		int lfd;

		if (da_pathf(path, sizeof path, "%s/locks/slot.%ld.lock", da_queue_root(), k) < 0)
			return DA_ERUNTIME;
		lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lfd < 0)
			return da_errf(DA_ERUNTIME, "open lock %s: %s", path, strerror(errno));
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
			*fd = lfd;
			return 0;
		}
		int saved = errno;

		close(lfd);
		if (saved != EWOULDBLOCK)
			return da_errf(DA_ERUNTIME, "lock %s: %s", path, strerror(saved));
	}
	return 0;
}
