/* Unit tests for the git layer's history rewriting against real bare
 * repositories: rebase, restack for conflict resolution, squash merge. */
#include "gitfix.h"

#include "err.h"
#include "fsutil.h"

static void rebase_onto_moved_main_replays_the_branch(void **state)
{
	struct fx f;
	struct da_git_paths conflicts = { 0 };
	struct da_git_commit_info *log = NULL;
	char *text = NULL, path[700], tip[DA_GIT_OID_HEXSZ], mb[DA_GIT_OID_HEXSZ];
	bool rebased = false;
	size_t n = 0;

	(void)state;
	fx_setup(&f, "dev-agents/4-r");
	wfile(&f, "feature.txt", "feature\n");
	commit(&f, "feat: feature");
	assert_int_equal(da_git_push(f.g, "dev-agents/4-r", false, NULL), 0);
	fx_advance_main(f.tmp, 10, "main ten", "main.txt");
	assert_int_equal(da_git_fetch(f.g, NULL), 0);
	assert_int_equal(da_git_rebase(f.g, "origin/main", &bot, &conflicts, &rebased), 0);
	assert_true(rebased);
	assert_int_equal(conflicts.n, 0);
	assert_int_equal(da_git_resolve(f.g, "origin/main", tip), 0);
	assert_int_equal(da_git_merge_base(f.g, "HEAD", "origin/main", mb), 0);
	assert_string_equal(mb, tip);
	assert_int_equal(da_git_log(f.g, "origin/main", "HEAD", &log, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(log[0].subject, "feat: feature");
	da_git_log_free(log, n);
	/* the working tree follows the branch */
	snprintf(path, sizeof path, "%s/main.txt", f.work);
	assert_int_equal(da_read_file(path, 1 << 20, &text, NULL), 0);
	assert_string_equal(text, "from main\n");
	free(text);
	/* the rewritten branch needs force to replace the pushed one */
	assert_int_equal(da_git_push(f.g, "dev-agents/4-r", false, NULL), DA_ERUNTIME);
	assert_int_equal(da_git_push(f.g, "dev-agents/4-r", true, NULL), 0);
	/* rebasing again finds nothing to do */
	assert_int_equal(da_git_rebase(f.g, "origin/main", &bot, &conflicts, &rebased), 0);
	assert_false(rebased);
	fx_teardown(&f);
}

static void rebase_conflict_names_files_and_leaves_branch(void **state)
{
	struct fx f;
	struct da_git_paths conflicts = { 0 };
	char before[DA_GIT_OID_HEXSZ], after[DA_GIT_OID_HEXSZ], path[700], *cur = NULL, *text = NULL;
	bool dirty = true, rebased = true;

	(void)state;
	fx_setup(&f, "dev-agents/5-c");
	snprintf(path, sizeof path, "%s/a.txt", f.work);
	fx_lines(path, 30, 10, "branch ten");
	commit(&f, "branch edits ten");
	fx_advance_main(f.tmp, 10, "main ten", NULL);
	assert_int_equal(da_git_fetch(f.g, NULL), 0);
	assert_int_equal(da_git_resolve(f.g, "HEAD", before), 0);
	assert_int_equal(da_git_rebase(f.g, "origin/main", &bot, &conflicts, &rebased), DA_ERUNTIME);
	assert_false(rebased);
	assert_int_equal(conflicts.n, 1);
	assert_string_equal(conflicts.paths[0], "a.txt");
	assert_non_null(strstr(da_errmsg(), "conflicts in a.txt"));
	da_git_paths_clear(&conflicts);
	assert_int_equal(da_git_resolve(f.g, "HEAD", after), 0);
	assert_string_equal(before, after);
	assert_int_equal(da_git_current_branch(f.g, &cur), 0);
	assert_string_equal(cur, "dev-agents/5-c");
	free(cur);
	assert_int_equal(da_git_is_dirty(f.g, &dirty), 0);
	assert_false(dirty);
	assert_int_equal(da_read_file(path, 1 << 20, &text, NULL), 0);
	assert_non_null(strstr(text, "branch ten\n"));
	free(text);
	snprintf(path, sizeof path, "%s/.git/rebase-merge", f.work);
	assert_false(access(path, F_OK) == 0);
	fx_teardown(&f);
}

static void rebase_refuses_a_dirty_tree(void **state)
{
	struct fx f;

	(void)state;
	fx_setup(&f, "dev-agents/6-d");
	wfile(&f, "wip.txt", "unsaved\n");
	assert_int_equal(da_git_rebase(f.g, "origin/main", &bot, NULL, NULL), DA_ERUNTIME);
	assert_non_null(strstr(da_errmsg(), "uncommitted changes"));
	fx_teardown(&f);
}

static void squash_merge_makes_one_commit_on_the_bare_default_branch(void **state)
{
	struct fx f;
	struct da_git *bare = NULL;
	const struct da_git_ident author = { "Merger", "merger@test" };
	char oid[DA_GIT_OID_HEXSZ], *old_tip, *out;

	(void)state;
	fx_setup(&f, "dev-agents/8-s");
	wfile(&f, "one.txt", "1\n");
	commit(&f, "one");
	wfile(&f, "two.txt", "2\n");
	commit(&f, "two");
	assert_int_equal(da_git_push(f.g, "dev-agents/8-s", false, NULL), 0);
	/* main moves too, without touching the branch's files */
	fx_advance_main(f.tmp, 30, "main thirty", NULL);
	old_tip = fx_out(FX_GIT " -C %s rev-parse main", f.origin);
	assert_int_equal(da_git_open(f.origin, &bare), 0);
	assert_int_equal(da_git_squash_merge(bare, "dev-agents/8-s", NULL, "feat: s (#8)", &author,
					     "", NULL, oid),
			 0);
	out = fx_out(FX_GIT " -C %s log --format='%%H|%%P|%%s|%%an' -1 main", f.origin);
	char expect[300];

	snprintf(expect, sizeof expect, "%s|%s|feat: s (#8)|Merger", oid, old_tip);
	assert_string_equal(out, expect);
	free(out);
	out = fx_out(FX_GIT " -C %s ls-tree --name-only main | tr '\\n' ' '", f.origin);
	assert_string_equal(out, ".gitignore README a.txt one.txt two.txt ");
	free(out);
	out = fx_out(FX_GIT " -C %s show main:a.txt | sed -n 30p", f.origin);
	assert_string_equal(out, "main thirty");
	free(out);
	out = fx_out(FX_GIT " -C %s rev-list --count main", f.origin);
	assert_string_equal(out, "3");
	free(out);
	/* merging it again has nothing to bring */
	assert_int_equal(da_git_squash_merge(bare, "dev-agents/8-s", "main", "again", NULL, NULL,
					     NULL, NULL),
			 DA_ERUNTIME);
	assert_non_null(strstr(da_errmsg(), "nothing to merge"));
	/* the local forge deletes the merged head branch */
	assert_int_equal(da_git_delete_branch(bare, "dev-agents/8-s"), 0);
	out = fx_out(FX_GIT " -C %s branch --list 'dev-agents/*'", f.origin);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(da_git_delete_branch(bare, "dev-agents/8-s"), 0);
	assert_int_equal(da_git_delete_branch(bare, "main"), DA_ERUNTIME);
	free(old_tip);
	da_git_free(bare);
	fx_teardown(&f);
}

static void conflicting_squash_merge_fails_cleanly(void **state)
{
	struct fx f;
	struct da_git *bare = NULL;
	struct da_git_paths conflicts = { 0 };
	char *before, *after;

	(void)state;
	fx_setup(&f, "dev-agents/9-x");
	char path[700];

	snprintf(path, sizeof path, "%s/a.txt", f.work);
	fx_lines(path, 30, 3, "branch three");
	commit(&f, "branch three");
	assert_int_equal(da_git_push(f.g, "dev-agents/9-x", false, NULL), 0);
	fx_advance_main(f.tmp, 3, "main three", NULL);
	before = fx_out(FX_GIT " -C %s rev-parse main", f.origin);
	assert_int_equal(da_git_open(f.origin, &bare), 0);
	/* a moved head is refused before anything else */
	assert_int_equal(da_git_squash_merge(bare, "dev-agents/9-x", NULL, "m", NULL, "0000000",
					     &conflicts, NULL),
			 DA_ERUNTIME);
	assert_non_null(strstr(da_errmsg(), "moved"));
	assert_int_equal(da_git_squash_merge(bare, "dev-agents/9-x", NULL, "m", NULL, NULL,
					     &conflicts, NULL),
			 DA_ERUNTIME);
	assert_int_equal(conflicts.n, 1);
	assert_string_equal(conflicts.paths[0], "a.txt");
	assert_non_null(strstr(da_errmsg(), "conflicts in a.txt"));
	da_git_paths_clear(&conflicts);
	after = fx_out(FX_GIT " -C %s rev-parse main", f.origin);
	assert_string_equal(before, after);
	free(before);
	free(after);
	da_git_free(bare);
	fx_teardown(&f);
}

/* The branch and origin/main both changed line 10 of a.txt. */
static void conflicting_branch(struct fx *f, const char *branch)
{
	char path[700];

	fx_setup(f, branch);
	snprintf(path, sizeof path, "%s/a.txt", f->work);
	fx_lines(path, 30, 10, "branch ten");
	commit(f, "branch edits ten");
	wfile(f, "mine.txt", "mine\n");
	commit(f, "branch adds mine");
	fx_advance_main(f->tmp, 10, "main ten", NULL);
	assert_int_equal(da_git_fetch(f->g, NULL), 0);
}

static void restack_lays_out_conflicts_for_an_agent_to_resolve(void **state)
{
	struct fx f;
	struct da_git_paths conflicts = { 0 }, left = { 0 };
	struct da_git_commit_info *log = NULL;
	char path[700], *text = NULL, tip[DA_GIT_OID_HEXSZ], mb[DA_GIT_OID_HEXSZ];
	size_t n = 0;

	(void)state;
	conflicting_branch(&f, "dev-agents/10-r");
	assert_int_equal(da_git_restack(f.g, "origin/main", &conflicts), 0);
	assert_int_equal(conflicts.n, 1);
	assert_string_equal(conflicts.paths[0], "a.txt");
	snprintf(path, sizeof path, "%s/a.txt", f.work);
	assert_int_equal(da_read_file(path, 1 << 20, &text, NULL), 0);
	assert_non_null(strstr(text, "<<<<<<< "));
	assert_non_null(strstr(text, "branch ten"));
	assert_non_null(strstr(text, "main ten"));
	free(text);
	assert_int_equal(da_git_unresolved(f.g, &conflicts, &left), 0);
	assert_int_equal(left.n, 1);
	/* the agent resolves; the change becomes one commit on origin/main */
	fx_lines(path, 30, 10, "resolved ten");
	assert_int_equal(da_git_unresolved(f.g, &conflicts, &left), 0);
	assert_int_equal(left.n, 0);
	commit(&f, "rebase: resolve conflicts with main");
	assert_int_equal(da_git_resolve(f.g, "origin/main", tip), 0);
	assert_int_equal(da_git_merge_base(f.g, "HEAD", "origin/main", mb), 0);
	assert_string_equal(mb, tip);
	assert_int_equal(da_git_log(f.g, "origin/main", "HEAD", &log, &n), 0);
	assert_int_equal(n, 1);
	da_git_log_free(log, n);
	assert_int_equal(da_git_read_file(f.g, "HEAD", "mine.txt", 100, &text, NULL), 0);
	assert_string_equal(text, "mine\n");
	free(text);
	snprintf(path, sizeof path, "%s/.git/MERGE_HEAD", f.work);
	assert_false(access(path, F_OK) == 0);
	da_git_paths_clear(&conflicts);
	fx_teardown(&f);
}

static void restack_abort_restores_the_branch_and_keeps_the_attempt(void **state)
{
	struct fx f;
	struct da_git_paths conflicts = { 0 };
	char before[DA_GIT_OID_HEXSZ], after[DA_GIT_OID_HEXSZ], path[700], *text = NULL, *subj;
	bool dirty = true;

	(void)state;
	conflicting_branch(&f, "dev-agents/11-a");
	assert_int_equal(da_git_resolve(f.g, "HEAD", before), 0);
	assert_int_equal(da_git_restack(f.g, "origin/main", &conflicts), 0);
	da_git_paths_clear(&conflicts);
	wfile(&f, "half.txt", "half a resolution\n");
	assert_int_equal(da_git_restack_abort(f.g, &bot), 0);
	assert_int_equal(da_git_resolve(f.g, "HEAD", after), 0);
	assert_string_equal(before, after);
	assert_int_equal(da_git_is_dirty(f.g, &dirty), 0);
	assert_false(dirty);
	snprintf(path, sizeof path, "%s/a.txt", f.work);
	assert_int_equal(da_read_file(path, 1 << 20, &text, NULL), 0);
	assert_non_null(strstr(text, "branch ten\n"));
	assert_null(strstr(text, "<<<<<<<"));
	free(text);
	subj = fx_out(FX_GIT " -C %s log -1 --format=%%s refs/dev-agents/restack-attempt/dev-agents/11-a",
		      f.work);
	assert_string_equal(subj, "salvage: uncommitted work at restack abort");
	free(subj);
	/* a second abort has nothing saved to return to */
	assert_int_equal(da_git_restack_abort(f.g, &bot), DA_ERUNTIME);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rebase_onto_moved_main_replays_the_branch),
		cmocka_unit_test(rebase_conflict_names_files_and_leaves_branch),
		cmocka_unit_test(rebase_refuses_a_dirty_tree),
		cmocka_unit_test(restack_lays_out_conflicts_for_an_agent_to_resolve),
		cmocka_unit_test(restack_abort_restores_the_branch_and_keeps_the_attempt),
		cmocka_unit_test(squash_merge_makes_one_commit_on_the_bare_default_branch),
		cmocka_unit_test(conflicting_squash_merge_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
