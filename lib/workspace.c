/* workspace: per-task clones (see workspace.h). */
#include "workspace.h"

#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEPT_SUFFIX ".kept"
#define CLONE_PREFIX ".clone-"
#define TRASH_PREFIX ".trash-"

int da_workspace_root(const char *root, char *buf, size_t size)
{
	if (root && *root)
		return da_pathf(buf, size, "%s", root);
	return da_pathf(buf, size, "%s/data/work", da_home());
}

static int project_dir(const struct da_workspace_opts *o, char *buf, size_t size)
{
	char root[DA_PATH_MAX];
	int rc;

	rc = da_check_project_name(o->project);
	if (rc == 0 && da_check_project_name(o->task) < 0)
		rc = da_errf(DA_EUSAGE, "bad task name '%s'", o->task ? o->task : "");
	if (rc == 0)
		rc = da_workspace_root(o->root, root, sizeof root);
	if (rc == 0)
		rc = da_pathf(buf, size, "%s/%s", root, o->project);
	return rc;
}

int da_workspace_path(const struct da_workspace_opts *o, char *buf, size_t size)
{
	char pdir[DA_PATH_MAX];
	int rc = project_dir(o, pdir, sizeof pdir);

	return rc < 0 ? rc : da_pathf(buf, size, "%s/%s", pdir, o->task);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		return errno;
	return 0;
}

static int rmtree(const char *path)
{
	int err = nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	if (err < 0 && errno == ENOENT)
		return 0;
	if (err != 0)
		return da_errf(DA_ERUNTIME, "remove %s: %s", path, strerror(err > 0 ? err : errno));
	return 0;
}

/* Rename pdir/name out of the way first, so that a crash half-way through
 * the removal leaves a .trash- folder (pruned later), never a half-deleted
 * workspace that looks reusable. */
static int remove_dir(const char *pdir, const char *name)
{
	char from[DA_PATH_MAX], to[DA_PATH_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (da_pathf(from, sizeof from, "%s/%s", pdir, name) < 0 ||
	    da_pathf(to, sizeof to, "%s/" TRASH_PREFIX "%s-%ld-%lx", pdir, name, (long)getpid(),
		     (unsigned long)ts.tv_nsec) < 0)
		return DA_ERUNTIME;
	if (rename(from, to) < 0)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "move %s aside: %s", from, strerror(errno));
	return rmtree(to);
}

static int write_marker(const char *pdir, const char *name)
{
	char marker[512], stamp[32], text[64];
	int n;

	da_utc_iso(time(NULL), stamp, sizeof stamp);
	if (da_pathf(marker, sizeof marker, "%s" KEPT_SUFFIX, name) < 0)
		return DA_ERUNTIME;
	n = snprintf(text, sizeof text, "kept: %s\n", stamp);
	return da_write_atomic(pdir, marker, text, (size_t)n, DA_WRITE_REPLACE, NULL);
}

static int drop_marker(const char *pdir, const char *name)
{
	char marker[DA_PATH_MAX];

	if (da_pathf(marker, sizeof marker, "%s/%s" KEPT_SUFFIX, pdir, name) < 0)
		return DA_ERUNTIME;
	if (unlink(marker) < 0 && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "remove %s: %s", marker, strerror(errno));
	return 0;
}

/* 0 and *out when dir is an intact workspace for o; 1 when it is not
 * (the reason in da_errmsg()); negative on a real failure. */
static int try_reuse(const struct da_workspace_opts *o, const char *dir, struct da_git **out)
{
	struct da_git *g = NULL;
	char *url = NULL, *branch = NULL;
	int rc = 1;

	*out = NULL;
	if (da_git_open(dir, &g) < 0)
		return 1;
	if (da_git_is_bare(g))
		da_errf(DA_ERUNTIME, "a bare repository");
	else if (da_git_origin_url(g, &url) < 0)
		;	/* reason recorded */
	else if (strcmp(url, o->remote) != 0)
		da_errf(DA_ERUNTIME, "a clone of %s, not of %s", url, o->remote);
	else if (da_git_current_branch(g, &branch) < 0)
		;
	else if (!branch || strcmp(branch, o->branch) != 0)
		da_errf(DA_ERUNTIME, "on %s, not on %s", branch ? branch : "no branch", o->branch);
	else
		rc = da_git_fetch(g, o->creds);
	free(url);
	free(branch);
	if (rc == 0)
		*out = g;
	else
		da_git_free(g);
	return rc;
}

/* Salvage what the unusable folder holds and move it aside as
 * <task>.broken-<stamp>. aside gets its path when it still holds the
 * task branch (to carry into the new clone), else "". */
static int set_aside(const struct da_workspace_opts *o, const char *pdir, const char *dir,
		     char *aside, size_t size)
{
	char reason[512], name[256], stamp[32], oid[DA_GIT_OID_HEXSZ], ref[1024], path[DA_PATH_MAX];
	struct da_git *g = NULL;
	bool has_branch = false;
	int rc;

	snprintf(reason, sizeof reason, "%s", da_errmsg());
	aside[0] = '\0';
	if (rmdir(dir) == 0)
		return 0;	/* an empty folder holds nothing to keep */
	if (da_git_open(dir, &g) == 0 && !da_git_is_bare(g)) {
		/* best effort: the folder is kept whatever happens here */
		if (da_git_salvage(g, "workspace recovery", o->ident, NULL) < 0)
			da_warn("workspace %s: %s", dir, da_errmsg());
		snprintf(ref, sizeof ref, "refs/heads/%s", o->branch);
		has_branch = da_git_resolve(g, ref, oid) == 0;
	}
	da_git_free(g);
	da_utc_compact(time(NULL), stamp, sizeof stamp);
	for (int i = 0;; i++) {
		if (i == 0)
			rc = da_pathf(name, sizeof name, "%s.broken-%s", o->task, stamp);
		else
			rc = da_pathf(name, sizeof name, "%s.broken-%s-%d", o->task, stamp, i);
		if (rc == 0)
			rc = da_pathf(path, sizeof path, "%s/%s", pdir, name);
		if (rc < 0)
			return rc;
		if (renameat2(AT_FDCWD, dir, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST || i > 100)
			return da_errf(DA_ERUNTIME, "move %s aside: %s", dir, strerror(errno));
	}
	rc = write_marker(pdir, name);
	if (rc < 0)
		return rc;
	da_warn("workspace %s was not usable (%s); kept as %s", dir, reason, path);
	if (has_branch && da_pathf(aside, size, "%s", path) < 0)
		aside[0] = '\0';
	return 0;
}

/* Clone into .clone-<task>, put the task branch in place, rename. */
static int fresh_clone(const struct da_workspace_opts *o, const char *pdir, const char *dir,
		       const char *aside)
{
	char tmp[DA_PATH_MAX];
	struct da_git *g = NULL;
	int rc;

	rc = da_pathf(tmp, sizeof tmp, "%s/" CLONE_PREFIX "%s", pdir, o->task);
	if (rc < 0)
		return rc;
	rc = rmtree(tmp);	/* a clone a crash interrupted: nothing of ours in it */
	if (rc == 0)
		rc = da_git_clone(o->remote, tmp, o->default_branch, o->creds, &g);
	if (rc == 0 && *aside && da_git_fetch_branch_from(g, aside, o->branch) < 0)
		da_warn("workspace %s: could not carry %s over from %s: %s", dir, o->branch, aside,
			da_errmsg());
	if (rc == 0)
		rc = da_git_checkout_branch(g, o->branch, o->default_branch);
	da_git_free(g);
	if (rc == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		rc = da_errf(DA_ERUNTIME, "rename %s to %s: %s", tmp, dir, strerror(errno));
	if (rc == 0)
		rc = da_fsync_dir(pdir);
	if (rc < 0) {
		char msg[1024];

		/* keep the clone's error, not a cleanup's */
		snprintf(msg, sizeof msg, "%s", da_errmsg());
		rmtree(tmp);
		da_errf(rc, "%s", msg);
	}
	return rc;
}

static int check_opts(const struct da_workspace_opts *o)
{
	if (!o->remote || !*o->remote || !o->default_branch || !*o->default_branch || !o->branch ||
	    !*o->branch)
		return da_errf(DA_EUSAGE, "workspace: remote, default branch and task branch are required");
	return 0;
}

int da_workspace_prepare(const struct da_workspace_opts *o, struct da_git **out,
			 enum da_workspace_how *how)
{
	char pdir[DA_PATH_MAX], dir[DA_PATH_MAX], aside[DA_PATH_MAX] = "";
	enum da_workspace_how result = DA_WORKSPACE_CREATED;
	int rc;

	*out = NULL;
	rc = check_opts(o);
	if (rc == 0)
		rc = project_dir(o, pdir, sizeof pdir);
	if (rc == 0)
		rc = da_pathf(dir, sizeof dir, "%s/%s", pdir, o->task);
	if (rc == 0)
		rc = da_mkdirs(pdir);
	if (rc < 0)
		return rc;
	if (da_path_exists(dir)) {
		rc = try_reuse(o, dir, out);
		if (rc < 0)
			return da_errctx(rc, "workspace %s", dir);
		if (rc == 0) {
			if (how)
				*how = DA_WORKSPACE_REUSED;
			return drop_marker(pdir, o->task);
		}
		rc = set_aside(o, pdir, dir, aside, sizeof aside);
		if (rc < 0)
			return rc;
		result = DA_WORKSPACE_RECOVERED;
	}
	rc = fresh_clone(o, pdir, dir, aside);
	if (rc == 0)
		rc = da_git_open(dir, out);
	if (rc == 0)
		rc = drop_marker(pdir, o->task);
	if (rc < 0) {
		da_git_free(*out);
		*out = NULL;
		return da_errctx(rc, "workspace %s", dir);
	}
	if (how)
		*how = result;
	return 0;
}

int da_workspace_keep(const struct da_workspace_opts *o)
{
	char pdir[DA_PATH_MAX], dir[DA_PATH_MAX];
	int rc = project_dir(o, pdir, sizeof pdir);

	if (rc == 0)
		rc = da_pathf(dir, sizeof dir, "%s/%s", pdir, o->task);
	if (rc < 0 || !da_path_exists(dir))
		return rc;
	return write_marker(pdir, o->task);
}

int da_workspace_remove(const struct da_workspace_opts *o, bool *kept)
{
	char pdir[DA_PATH_MAX], dir[DA_PATH_MAX];
	struct da_git *g = NULL;
	bool dirty = true;
	int rc;

	if (kept)
		*kept = false;
	rc = project_dir(o, pdir, sizeof pdir);
	if (rc == 0)
		rc = da_pathf(dir, sizeof dir, "%s/%s", pdir, o->task);
	if (rc < 0 || !da_path_exists(dir))
		return rc;
	/* never destroy work: only a clean repository goes */
	if (da_git_open(dir, &g) == 0 && !da_git_is_bare(g) && da_git_is_dirty(g, &dirty) == 0 &&
	    dirty && da_git_salvage(g, "workspace removal", o->ident, NULL) < 0)
		da_warn("workspace %s: %s", dir, da_errmsg());
	da_git_free(g);
	if (dirty) {
		if (kept)
			*kept = true;
		return write_marker(pdir, o->task);
	}
	rc = remove_dir(pdir, o->task);
	if (rc == 0)
		rc = drop_marker(pdir, o->task);
	return rc;
}

/* One project folder: expired kept workspaces and interrupted removals. */
static int prune_project(const char *pdir, int64_t max_age, time_t now, int *pruned)
{
	DIR *d = opendir(pdir);
	struct dirent *de;
	size_t slen = strlen(KEPT_SUFFIX);
	int rc = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR
			       ? 0
			       : da_errf(DA_ERUNTIME, "open %s: %s", pdir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char path[DA_PATH_MAX], name[256];
		size_t len = strlen(de->d_name);
		struct stat st;

		if (strncmp(de->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0) {
			if (da_pathf(path, sizeof path, "%s/%s", pdir, de->d_name) == 0)
				rc = rmtree(path);
			continue;
		}
		if (len <= slen || strcmp(de->d_name + len - slen, KEPT_SUFFIX) != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (int64_t)(now - st.st_mtime) < max_age || len - slen >= sizeof name)
			continue;
		memcpy(name, de->d_name, len - slen);
		name[len - slen] = '\0';
		rc = remove_dir(pdir, name);
		if (rc == 0)
			rc = drop_marker(pdir, name);
		if (rc == 0 && pruned)
			(*pruned)++;
	}
	closedir(d);
	return rc;
}

int da_workspace_prune(const char *root, const char *project, int keep_days, int *pruned)
{
	char base[DA_PATH_MAX];
	time_t now = time(NULL);
	DIR *d;
	struct dirent *de;
	int rc;

	if (pruned)
		*pruned = 0;
	if (keep_days < 0)
		return da_errf(DA_EUSAGE, "keep_days must not be negative (%d)", keep_days);
	if (project && da_check_project_name(project) < 0)
		return DA_EUSAGE;
	rc = da_workspace_root(root, base, sizeof base);
	if (rc < 0)
		return rc;
	if (project) {
		char pdir[DA_PATH_MAX];

		rc = da_pathf(pdir, sizeof pdir, "%s/%s", base, project);
		return rc < 0 ? rc : prune_project(pdir, (int64_t)keep_days * 86400, now, pruned);
	}
	d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", base, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char pdir[DA_PATH_MAX];

		if (de->d_name[0] == '.' || da_pathf(pdir, sizeof pdir, "%s/%s", base, de->d_name) < 0)
			continue;
		rc = prune_project(pdir, (int64_t)keep_days * 86400, now, pruned);
	}
	closedir(d);
	return rc;
}
