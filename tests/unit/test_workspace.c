/* Unit tests for per-task workspaces against a real bare repository. */
#include "gitfix.h"

#include "err.h"
#include "fsutil.h"
#include "git.h"
#include "paths.h"
#include "workspace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define BRANCH "dev-agents/42-add-dark-mode"

struct wfx {
	char *tmp;
	char origin[600];
	char root[600];
	char dir[1000];
	char pdir[800];
	struct da_workspace_opts o;
};

static void wfx_setup(struct wfx *f, const char *task)
{
	memset(f, 0, sizeof *f);
	f->tmp = unit_tmpdir();
	da_paths_reset();	/* DA_HOME changed */
	fx_make_origin(f->tmp);
	snprintf(f->origin, sizeof f->origin, "%s/origin.git", f->tmp);
	snprintf(f->root, sizeof f->root, "%s/home/data/work", f->tmp);
	snprintf(f->pdir, sizeof f->pdir, "%s/myapp", f->root);
	snprintf(f->dir, sizeof f->dir, "%s/%s", f->pdir, task);
	f->o.project = "myapp";
	f->o.task = task;
	f->o.remote = f->origin;
	f->o.default_branch = "main";
	f->o.branch = BRANCH;
}

static bool exists(const char *fmt, const char *a, const char *b)
{
	char path[1200];

	snprintf(path, sizeof path, fmt, a, b);
	return access(path, F_OK) == 0;
}

/* The one entry of pdir whose name starts with prefix, or NULL. */
static char *find_entry(const char *pdir, const char *prefix, const char *suffix)
{
	return fx_out("ls -A %s | grep '^%s' | grep -- '%s$' || true", pdir, prefix, suffix);
}

static void prepare(struct wfx *f, enum da_workspace_how expect)
{
	struct da_git *g = NULL;
	enum da_workspace_how how = 99;
	char *cur = NULL;

	snprintf(f->dir, sizeof f->dir, "%s/%s", f->pdir, f->o.task);
	assert_int_equal(da_workspace_prepare(&f->o, &g, &how), 0);
	assert_int_equal(how, expect);
	assert_string_equal(da_git_workdir(g), f->dir);
	assert_int_equal(da_git_current_branch(g, &cur), 0);
	assert_string_equal(cur, BRANCH);
	free(cur);
	da_git_free(g);
}

static void default_root_is_under_da_home(void **state)
{
	struct wfx f;
	char buf[700], expect[700];

	(void)state;
	wfx_setup(&f, "myapp-42");
	assert_int_equal(da_workspace_path(&f.o, buf, sizeof buf), 0);
	snprintf(expect, sizeof expect, "%s/home/data/work/myapp/myapp-42", f.tmp);
	assert_string_equal(buf, expect);
	f.o.task = "../escape";
	assert_int_equal(da_workspace_path(&f.o, buf, sizeof buf), DA_EUSAGE);
	f.o.task = "myapp-42";
	f.o.project = "a/b";
	assert_int_equal(da_workspace_path(&f.o, buf, sizeof buf), DA_EUSAGE);
	unit_rmtree(f.tmp);
}

static void prepare_clones_then_reuses_keeping_work(void **state)
{
	struct wfx f;
	char path[1200], *out, *tip;

	(void)state;
	wfx_setup(&f, "myapp-42");
	prepare(&f, DA_WORKSPACE_CREATED);
	snprintf(path, sizeof path, "%s/wip.txt", f.dir);
	fx_write(path, "unfinished\n");
	/* main moves on the remote; reuse fetches it and keeps the work */
	fx_advance_main(f.tmp, 1, "moved", NULL);
	prepare(&f, DA_WORKSPACE_REUSED);
	assert_true(access(path, F_OK) == 0);
	out = fx_out(FX_GIT " -C %s rev-parse origin/main", f.dir);
	tip = fx_out(FX_GIT " -C %s rev-parse main", f.origin);
	assert_string_equal(out, tip);
	free(out);
	free(tip);
	/* no clone leftovers */
	out = find_entry(f.pdir, "\\.", "");
	assert_string_equal(out, "");
	free(out);
	unit_rmtree(f.tmp);
}

static void interrupted_clone_and_half_made_workspace_are_recovered(void **state)
{
	struct wfx f;
	char path[1200], *aside, *out;

	(void)state;
	wfx_setup(&f, "myapp-43");
	/* a crash during the clone left its temp folder */
	fx_sh("mkdir -p %s/.clone-myapp-43/.git && echo junk > %s/.clone-myapp-43/x", f.pdir, f.pdir);
	/* and an older run left a repository that never got a commit */
	fx_sh(FX_GIT " init -q %s && echo notes > %s/notes.txt", f.dir, f.dir);
	prepare(&f, DA_WORKSPACE_RECOVERED);
	assert_false(exists("%s/.clone-%s", f.pdir, "myapp-43"));
	aside = find_entry(f.pdir, "myapp-43.broken-", "[0-9TZ]");
	assert_true(strlen(aside) > 0);
	/* nothing destroyed: the old folder's file is still there, and the
	 * aside folder has a marker so pruning can take it later */
	snprintf(path, sizeof path, "%s/%s/notes.txt", f.pdir, aside);
	assert_true(access(path, F_OK) == 0);
	assert_true(exists("%s/%s.kept", f.pdir, aside));
	free(aside);
	out = fx_out(FX_GIT " -C %s status --porcelain", f.dir);
	assert_string_equal(out, "");
	free(out);
	unit_rmtree(f.tmp);
}

static void wrong_branch_is_salvaged_and_task_branch_carried_over(void **state)
{
	struct wfx f;
	char path[1200], *aside, *out;

	(void)state;
	wfx_setup(&f, "myapp-44");
	prepare(&f, DA_WORKSPACE_CREATED);
	snprintf(path, sizeof path, "%s/done.txt", f.dir);
	fx_write(path, "committed work\n");
	fx_sh("cd %s && " FX_GIT " add -A && " FX_GIT " commit -qm 'work on the branch' && "
	      FX_GIT " checkout -q main", f.dir);
	snprintf(path, sizeof path, "%s/loose.txt", f.dir);
	fx_write(path, "uncommitted\n");
	prepare(&f, DA_WORKSPACE_RECOVERED);
	/* the branch's commit came along into the fresh clone */
	out = fx_out(FX_GIT " -C %s log -1 --format=%%s", f.dir);
	assert_string_equal(out, "work on the branch");
	free(out);
	snprintf(path, sizeof path, "%s/done.txt", f.dir);
	assert_true(access(path, F_OK) == 0);
	/* the loose file was committed in the folder set aside */
	aside = find_entry(f.pdir, "myapp-44.broken-", "[0-9TZ]");
	out = fx_out(FX_GIT " -C %s/%s log -1 --format=%%s main -- loose.txt", f.pdir, aside);
	assert_string_equal(out, "salvage: uncommitted work at workspace recovery");
	free(out);
	free(aside);
	unit_rmtree(f.tmp);
}

static void fetch_failure_of_intact_workspace_moves_nothing(void **state)
{
	struct wfx f;
	struct da_git *g = (struct da_git *)1;
	char *out;

	(void)state;
	wfx_setup(&f, "myapp-45");
	prepare(&f, DA_WORKSPACE_CREATED);
	fx_sh("mv %s %s.gone", f.origin, f.origin);
	assert_int_equal(da_workspace_prepare(&f.o, &g, NULL), DA_ERUNTIME);
	assert_null(g);
	assert_non_null(strstr(da_errmsg(), "fetch"));
	assert_true(access(f.dir, F_OK) == 0);
	out = find_entry(f.pdir, "myapp-45.", "");
	assert_string_equal(out, "");
	free(out);
	unit_rmtree(f.tmp);
}

static void remove_after_success_keeps_uncommitted_work(void **state)
{
	struct wfx f;
	char path[1200], *out;
	bool kept = true;

	(void)state;
	wfx_setup(&f, "myapp-46");
	prepare(&f, DA_WORKSPACE_CREATED);
	assert_int_equal(da_workspace_remove(&f.o, &kept), 0);
	assert_false(kept);
	assert_false(access(f.dir, F_OK) == 0);
	out = find_entry(f.pdir, "", "");
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(da_workspace_remove(&f.o, &kept), 0);	/* gone: fine */

	prepare(&f, DA_WORKSPACE_CREATED);
	snprintf(path, sizeof path, "%s/late.txt", f.dir);
	fx_write(path, "late\n");
	assert_int_equal(da_workspace_remove(&f.o, &kept), 0);
	assert_true(kept);
	assert_true(access(f.dir, F_OK) == 0);
	assert_true(exists("%s/%s.kept", f.pdir, "myapp-46"));
	out = fx_out(FX_GIT " -C %s log -1 --format=%%s", f.dir);
	assert_string_equal(out, "salvage: uncommitted work at workspace removal");
	free(out);
	unit_rmtree(f.tmp);
}

static void age_marker(const char *pdir, const char *name, int days)
{
	char path[900];
	struct timespec times[2];

	snprintf(path, sizeof path, "%s/%s.kept", pdir, name);
	times[0].tv_sec = times[1].tv_sec = time(NULL) - (time_t)days * 86400 - 60;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void prune_removes_only_expired_kept_workspaces(void **state)
{
	struct wfx f;
	int pruned = -1;

	(void)state;
	wfx_setup(&f, "myapp-old");
	prepare(&f, DA_WORKSPACE_CREATED);
	assert_int_equal(da_workspace_keep(&f.o), 0);
	age_marker(f.pdir, "myapp-old", 8);
	f.o.task = "myapp-new";
	prepare(&f, DA_WORKSPACE_CREATED);
	assert_int_equal(da_workspace_keep(&f.o), 0);
	f.o.task = "myapp-active";
	prepare(&f, DA_WORKSPACE_CREATED);	/* no marker: in use, never pruned */
	fx_sh("mkdir -p %s/.trash-myapp-x-1-2/sub", f.pdir);

	/* another project's keep_days does not touch this one */
	assert_int_equal(da_workspace_prune(f.root, "other", 0, &pruned), 0);
	assert_int_equal(pruned, 0);
	assert_true(exists("%s/%s", f.pdir, "myapp-old"));
	assert_int_equal(da_workspace_prune(f.root, "myapp", 7, &pruned), 0);
	assert_int_equal(pruned, 1);
	assert_false(exists("%s/%s", f.pdir, "myapp-old"));
	assert_false(exists("%s/%s.kept", f.pdir, "myapp-old"));
	assert_true(exists("%s/%s", f.pdir, "myapp-new"));
	assert_true(exists("%s/%s.kept", f.pdir, "myapp-new"));
	assert_true(exists("%s/%s", f.pdir, "myapp-active"));
	assert_false(exists("%s/%s", f.pdir, ".trash-myapp-x-1-2"));

	/* a kept workspace picked up again loses its marker */
	f.o.task = "myapp-new";
	prepare(&f, DA_WORKSPACE_REUSED);
	assert_false(exists("%s/%s.kept", f.pdir, "myapp-new"));
	assert_int_equal(da_workspace_prune(NULL, NULL, 0, &pruned), 0);
	assert_int_equal(pruned, 0);
	assert_int_equal(da_workspace_prune(f.root, NULL, -1, &pruned), DA_EUSAGE);
	assert_int_equal(da_workspace_prune(f.root, "../x", 1, &pruned), DA_EUSAGE);
	unit_rmtree(f.tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_root_is_under_da_home),
		cmocka_unit_test(prepare_clones_then_reuses_keeping_work),
		cmocka_unit_test(interrupted_clone_and_half_made_workspace_are_recovered),
		cmocka_unit_test(wrong_branch_is_salvaged_and_task_branch_carried_over),
		cmocka_unit_test(fetch_failure_of_intact_workspace_moves_nothing),
		cmocka_unit_test(remove_after_success_keeps_uncommitted_work),
		cmocka_unit_test(prune_removes_only_expired_kept_workspaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
