#include "queue.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_names[DA_NSTATES] = { "pending", "active", "completed", "failed" };

const char *da_state_name(enum da_state s)
{
	return s < DA_NSTATES ? state_names[s] : "unknown";
}

int da_state_dir(enum da_state s, const char *project, char *buf, size_t size)
{
	return da_pathf(buf, size, "%s/%s/%s", da_queue_root(), da_state_name(s), project);
}

int da_task_path(enum da_state s, const char *project, const char *name, char *buf, size_t size)
{
	return da_pathf(buf, size, "%s/%s/%s/%s", da_queue_root(), da_state_name(s), project, name);
}

int da_ids_dir(const char *project, char *buf, size_t size)
{
	return da_state_dir(DA_PENDING, project, buf, size);
}

int da_queue_check_root(void)
{
	const char *root = da_queue_root();
	static const char *const subdirs[] = { "pending", "active", "completed", "failed", "locks" };
	char path[DA_PATH_MAX];

	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		bool same = true;

		if (da_pathf(path, sizeof path, "%s/%s", root, subdirs[i]) < 0 || da_mkdirs(path) < 0)
			return da_errctx(DA_ERUNTIME, "queue %s", root);
		if (da_same_fs(root, path, &same) < 0)
			return DA_ERUNTIME;
		if (!same)
			return da_errf(DA_ERUNTIME,
				       "queue %s: %s is on another filesystem; every queue folder must be on one "
				       "filesystem so that moves are atomic renames",
				       root, path);
	}
	return 0;
}

int da_queue_prepare_project(const char *project)
{
	char path[DA_PATH_MAX];

	for (int s = 0; s < DA_NSTATES; s++) {
		bool same = true;

		if (da_state_dir((enum da_state)s, project, path, sizeof path) < 0 || da_mkdirs(path) < 0)
			return DA_ERUNTIME;
		if (da_same_fs(da_queue_root(), path, &same) < 0)
			return DA_ERUNTIME;
		if (!same)
			return da_errf(DA_ERUNTIME, "queue folder %s is on another filesystem than %s", path,
				       da_queue_root());
	}
	return 0;
}

static int open_lock_file(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		if (errno == ENOENT) {
			char dir[DA_PATH_MAX];

			if (da_pathf(dir, sizeof dir, "%s/locks", da_queue_root()) < 0 || da_mkdirs(dir) < 0)
				return DA_ERUNTIME;
			*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		}
		if (*fd < 0)
			return da_errf(DA_ERUNTIME, "open lock %s: %s", path, strerror(errno));
	}
	return 0;
}

int da_run_lock_try(const char *project, int *fd)
{
	char path[DA_PATH_MAX];

	if (da_pathf(path, sizeof path, "%s/locks/%s.lock", da_queue_root(), project) < 0 ||
	    open_lock_file(path, fd) < 0)
		return DA_ERUNTIME;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	int saved = errno;

	close(*fd);
	*fd = -1;
	if (saved == EWOULDBLOCK)
		return 0;
	return da_errf(DA_ERUNTIME, "lock %s: %s", path, strerror(saved));
}

int da_queue_lock(const char *project, int *fd)
{
	char path[DA_PATH_MAX];

	if (da_pathf(path, sizeof path, "%s/locks/%s.queue.lock", da_queue_root(), project) < 0 ||
	    open_lock_file(path, fd) < 0)
		return DA_ERUNTIME;
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int saved = errno;

		close(*fd);
		*fd = -1;
		return da_errf(DA_ERUNTIME, "lock %s: %s", path, strerror(saved));
	}
	return 0;
}

void da_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

int da_task_write_in(enum da_state s, const struct da_task *t, const char *name)
{
	char dir[DA_PATH_MAX];
	char *text;
	size_t len;
	int rc;

	if (da_state_dir(s, t->project, dir, sizeof dir) < 0)
		return DA_ERUNTIME;
	if ((rc = da_task_serialize(t, &text, &len)) < 0)
		return rc;
	rc = da_write_atomic(dir, name, text, len, DA_WRITE_REPLACE, NULL);
	free(text);
	return rc;
}

int da_task_transition(const char *project, const char *name, enum da_state from, enum da_state to,
		       const char *why, da_task_edit_fn edit, void *ctx)
{
	char from_dir[DA_PATH_MAX], to_dir[DA_PATH_MAX], path[DA_PATH_MAX];
	struct da_task *t = NULL;
	int rc;

	if (da_state_dir(from, project, from_dir, sizeof from_dir) < 0 ||
	    da_state_dir(to, project, to_dir, sizeof to_dir) < 0 ||
	    da_task_path(from, project, name, path, sizeof path) < 0)
		return DA_ERUNTIME;
	if ((rc = da_task_read(path, &t)) < 0)
		return rc;
	if (edit && (rc = edit(t, ctx)) < 0)
		goto out;
	if ((rc = da_task_add_history(t, da_state_name(from), da_state_name(to), why)) < 0)
		goto out;
	/* Rewrite first, then rename: the rename is the state change, and a
	 * crash before it leaves the task whole where it was. */
	if ((rc = da_task_write_in(from, t, name)) < 0)
		goto out;
	if ((rc = da_mkdirs(to_dir)) < 0)
		goto out;
	if ((rc = da_move(from_dir, to_dir, name, NULL)) == 0 && (to == DA_COMPLETED || to == DA_FAILED))
		da_id_forget(project, t->id, name);
out:
	da_task_free(t);
	return rc;
}

int da_id_key(const char *id, char *buf, size_t size)
{
	size_t len = strlen(id);

	if (len + 5 > size)
		return da_errf(DA_EUSAGE, "task id too long");
	memcpy(buf, ".id-", 4);
	for (size_t i = 0; i <= len; i++)
		buf[4 + i] = id[i] == '/' ? '+' : id[i];
	return 0;
}

void da_id_forget(const char *project, const char *id, const char *name)
{
	char key[300], entry[DA_PATH_MAX], dir[DA_PATH_MAX], target[256];
	ssize_t n;

	if (da_id_key(id, key, sizeof key) < 0 || da_ids_dir(project, dir, sizeof dir) < 0 ||
	    da_pathf(entry, sizeof entry, "%s/%s", dir, key) < 0)
		return;
	n = readlink(entry, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	/* Not fsynced: a leftover entry names a task in no live state, which
	 * the next enqueue of the id reads as free. */
	if (strcmp(target, name) == 0)
		unlink(entry);
}

bool da_is_task_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Some filesystems leave d_type unknown; ask them then. */
static bool is_dir_entry(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static int list_dir(const char *dir, bool want_dirs, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **list = NULL;
	size_t count = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if (!d && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while (d && (de = readdir(d)) != NULL) {
		if (want_dirs ? (de->d_name[0] == '.' || !is_dir_entry(d, de)) : !da_is_task_name(de->d_name))
			continue;
		if (count + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			char **nl = realloc(list, cap * sizeof *nl);

			if (!nl)
				goto oom;
			list = nl;
		}
		if (!(list[count] = strdup(de->d_name)))
			goto oom;
		list[++count] = NULL;
	}
	if (d)
		closedir(d);
	if (!list && !(list = calloc(1, sizeof *list)))
		return da_errf(DA_ERUNTIME, "out of memory");
	qsort(list, count, sizeof *list, cmp_str);
	*names = list;
	*n = count;
	return 0;
oom:
	if (d)
		closedir(d);
	da_strlist_free(list);
	return da_errf(DA_ERUNTIME, "out of memory");
}

int da_list_tasks(enum da_state s, const char *project, char ***names, size_t *n)
{
	char dir[DA_PATH_MAX];

	if (da_state_dir(s, project, dir, sizeof dir) < 0)
		return DA_ERUNTIME;
	return list_dir(dir, false, names, n);
}

int da_list_projects(enum da_state s, char ***names, size_t *n)
{
	char dir[DA_PATH_MAX];

	if (da_pathf(dir, sizeof dir, "%s/%s", da_queue_root(), da_state_name(s)) < 0)
		return DA_ERUNTIME;
	return list_dir(dir, true, names, n);
}
