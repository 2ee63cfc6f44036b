#include "status.h"
#include "clock.h"
#include "err.h"
#include "failures.h"
#include "fsutil.h"
#include "paths.h"
#include "queue.h"
#include "yamlutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

int da_flock_held(const char *path, bool *held)
{
	struct stat st;
	char line[512];
	FILE *f;

	*held = false;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "stat %s: %s", path, strerror(errno));
	if (!(f = fopen("/proc/locks", "re")))
		return da_errf(DA_ERUNTIME, "open /proc/locks: %s", strerror(errno));
	while (!*held && fgets(line, sizeof line, f)) {
		char kind[16];
		unsigned maj, min;
		unsigned long ino;

		/* "1: FLOCK  ADVISORY  WRITE 123 08:01:4567 0 EOF"; waiters
		 * show as "1: -> FLOCK ..." and hold nothing. */
		if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%lu", kind, &maj, &min, &ino) == 4 &&
		    !strcmp(kind, "FLOCK") && ino == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev))
			*held = true;
	}
	fclose(f);
	return 0;
}

static int count_tasks(enum da_state s, const char *project, long *count)
{
	char dir[DA_PATH_MAX];
	DIR *d;
	struct dirent *de;

	*count = 0;
	if (da_state_dir(s, project, dir, sizeof dir) < 0)
		return DA_ERUNTIME;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (da_is_task_name(de->d_name))
			(*count)++;
	closedir(d);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every project with a folder in any state (sorted, unique). */
static int all_projects(char ***out, size_t *n)
{
	char **all = NULL;
	size_t total = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (int s = 0; s < DA_NSTATES && rc == 0; s++) {
		char **names;
		size_t k;

		if ((rc = da_list_projects((enum da_state)s, &names, &k)) < 0)
			break;
		char **grown = realloc(all, (total + k + 1) * sizeof *grown);

		if (!grown) {
			da_strlist_free(names);
			rc = da_errf(DA_ERUNTIME, "out of memory");
			break;
		}
		all = grown;
		memcpy(all + total, names, k * sizeof *names);
		total += k;
		all[total] = NULL;
		free(names); /* the strings moved into all */
	}
	if (rc < 0) {
		da_strlist_free(all);
		return rc;
	}
	if (!all && !(all = calloc(1, sizeof *all)))
		return da_errf(DA_ERUNTIME, "out of memory");
	qsort(all, total, sizeof *all, cmp_str);
	size_t u = 0;

	for (size_t i = 0; i < total; i++) {
		if (u && !strcmp(all[u - 1], all[i]) ) {
			free(all[i]);
			continue;
		}
		all[u++] = all[i];
	}
	all[u] = NULL;
	*out = all;
	*n = u;
	return 0;
}

static json_t *active_entry(const char *project, const char *name, bool lock_held)
{
	char path[DA_PATH_MAX];
	struct da_task *t = NULL;
	json_t *e = json_pack("{s:s, s:s, s:b}", "project", project, "task", name, "lock_held", lock_held);

	if (!e || da_task_path(DA_ACTIVE, project, name, path, sizeof path) < 0 || da_task_read(path, &t) < 0) {
		da_errclear();
		return e;
	}
	for (size_t i = t->n_history; i-- > 0;) {
		const struct da_history_entry *h = &t->history[i];
		time_t at;
		const char *br = strrchr(h->by, '[');

		if (strcmp(h->to, "active"))
			continue;
		json_object_set_new(e, "started_at", json_string(h->at));
		if (da_parse_utc(h->at, &at) == 0)
			json_object_set_new(e, "age_seconds", json_integer((json_int_t)(time(NULL) - at)));
		if (br) {
			long pid = strtol(br + 1, NULL, 10);

			json_object_set_new(e, "owner_pid", json_integer(pid));
			json_object_set_new(e, "owner_alive", json_boolean(pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)));
		}
		break;
	}
	da_errclear();
	da_task_free(t);
	return e;
}

static int project_status(const char *project, json_t *root)
{
	json_t *counts = json_pack("{s:s}", "project", project);
	char lock[DA_PATH_MAX], **names = NULL;
	size_t n = 0;
	bool held = false;
	int rc = 0;

	if (!counts)
		return da_errf(DA_ERUNTIME, "out of memory");
	json_array_append_new(json_object_get(root, "projects"), counts);
	for (int s = 0; s < DA_NSTATES; s++) {
		long c;

		if ((rc = count_tasks((enum da_state)s, project, &c)) < 0)
			return rc;
		json_object_set_new(counts, da_state_name((enum da_state)s), json_integer(c));
	}
	if ((rc = da_pathf(lock, sizeof lock, "%s/locks/%s.lock", da_queue_root(), project)) < 0 ||
	    (rc = da_flock_held(lock, &held)) < 0 || (rc = da_list_tasks(DA_ACTIVE, project, &names, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(json_object_get(root, "active"), active_entry(project, names[i], held));
	da_strlist_free(names);
	if ((rc = da_list_tasks(DA_PENDING, project, &names, &n)) < 0)
		return rc;
	/* Reads each pending task: da-status is for people, not the hot path. */
	for (size_t i = 0; i < n; i++) {
		char path[DA_PATH_MAX];
		struct da_task *t = NULL;

		if (da_task_path(DA_PENDING, project, names[i], path, sizeof path) == 0 &&
		    da_task_read(path, &t) == 0 && da_task_not_before(t) > time(NULL))
			json_array_append_new(json_object_get(root, "waiting"),
					      json_pack("{s:s, s:s, s:s}", "project", project, "task", names[i],
							"not_before", t->not_before));
		da_task_free(t);
	}
	da_errclear();
	da_strlist_free(names);
	return 0;
}

static json_t *failure_json(const struct da_failure *f)
{
	return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?}", "date", f->date, "project", f->project, "task",
			 f->task, "title", f->title, "type", f->type, "exit_code", (json_int_t)f->exit_code, "error",
			 f->error);
}

static int cmp_failure_date(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	const char *dx = json_string_value(json_object_get(*x, "date"));
	const char *dy = json_string_value(json_object_get(*y, "date"));

	return strcmp(dx ? dx : "", dy ? dy : "");
}

/* The last max failures across the projects, oldest first. */
static int collect_failures(char **projects, size_t n, size_t max, json_t *out)
{
	json_t **all = NULL;
	size_t total = 0;
	int rc = 0;

	for (size_t i = 0; i < n && max; i++) {
		struct da_failure *f;
		size_t k;

		if ((rc = da_failures_last(projects[i], max, &f, &k)) < 0)
			break;
		json_t **grown = realloc(all, (total + k + 1) * sizeof *grown);

		if (!grown) {
			da_failures_free(f, k);
			rc = da_errf(DA_ERUNTIME, "out of memory");
			break;
		}
		all = grown;
		for (size_t j = 0; j < k; j++)
			all[total++] = failure_json(&f[j]);
		da_failures_free(f, k);
	}
	if (rc == 0 && total) {
		qsort(all, total, sizeof *all, cmp_failure_date);
		for (size_t i = total > max ? total - max : 0; i < total; i++)
			json_array_append(out, all[i]);
	}
	for (size_t i = 0; i < total; i++)
		json_decref(all[i]);
	free(all);
	return rc;
}

int da_status_collect(const char *project, size_t max_failures, json_t **out)
{
	char pause[DA_PATH_MAX], **projects = NULL;
	size_t n = 0;
	json_t *root;
	int rc;

	*out = NULL;
	if (project && (rc = da_check_project_name(project)) < 0)
		return rc;
	if ((rc = da_pause_path(pause, sizeof pause)) < 0)
		return rc;
	root = json_pack("{s:b, s:s, s:s, s:[], s:[], s:[], s:[]}", "paused", da_path_exists(pause), "queue",
			 da_queue_root(), "home", da_home(), "projects", "active", "waiting", "failures");
	if (!root)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (project) {
		projects = calloc(2, sizeof *projects);
		if (!projects || !(projects[0] = strdup(project))) {
			rc = da_errf(DA_ERUNTIME, "out of memory");
			goto out;
		}
		n = 1;
	} else if ((rc = all_projects(&projects, &n)) < 0) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (da_check_project_name(projects[i]) < 0) {
			da_errclear();
			continue;
		}
		if ((rc = project_status(projects[i], root)) < 0)
			goto out;
	}
	rc = collect_failures(projects, n, max_failures, json_object_get(root, "failures"));
out:
	da_strlist_free(projects);
	if (rc < 0) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return 0;
}
