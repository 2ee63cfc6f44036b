/* git_restack: a rebase conflict laid out in the working tree for an
 * agent to resolve, and the way back when it cannot. */
#include "git_impl.h"

#include "err.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAVE_PREFIX "refs/dev-agents/pre-restack/"
#define ATTEMPT_PREFIX "refs/dev-agents/restack-attempt/"

/* Point refname at id (created or replaced). */
static int set_ref(struct da_git *g, const char *refname, const git_oid *id, const char *why)
{
	git_reference *ref = NULL;

	if (git_reference_create(&ref, g->repo, refname, id, 1, why) < 0)
		return da_git_fail("write %s", refname);
	git_reference_free(ref);
	return 0;
}

/* Merge the saved tip into the working tree (markers where it conflicts),
 * then drop the merge state so the next commit has one parent. */
static int merge_into_worktree(struct da_git *g, const git_oid *tip, struct da_git_paths *found)
{
	git_merge_options mo = GIT_MERGE_OPTIONS_INIT;
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	git_annotated_commit *ac = NULL;
	git_index *index = NULL;
	int rc = 0;

	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_ALLOW_CONFLICTS;
	if (git_annotated_commit_lookup(&ac, g->repo, tip) < 0 ||
	    git_merge(g->repo, (const git_annotated_commit **)&ac, 1, &mo, &co) < 0)
		rc = da_git_fail("lay out the branch's change in %s", g->workdir);
	else if (git_repository_index(&index, g->repo) < 0)
		rc = da_git_fail("index of %s", g->workdir);
	else if (git_index_has_conflicts(index))
		rc = da_git_index_conflicts(index, found);
	if (git_repository_state_cleanup(g->repo) < 0 && rc == 0)
		rc = da_git_fail("clear merge state in %s", g->workdir);
	git_index_free(index);
	git_annotated_commit_free(ac);
	return rc;
}

int da_git_restack(struct da_git *g, const char *onto, struct da_git_paths *conflicts)
{
	struct da_git_paths found = { 0 };
	git_commit *target = NULL;
	char *branch = NULL, save[1024], why[1024];
	git_oid tip;
	bool dirty = true;
	int rc;

	if (conflicts)
		da_git_paths_clear(conflicts);
	rc = da_git_is_dirty(g, &dirty);
	if (rc == 0 && dirty)
		rc = da_errf(DA_ERUNTIME, "restack in %s: uncommitted changes (salvage them first)",
			     g->workdir);
	if (rc == 0)
		rc = da_git_current_branch(g, &branch);
	if (rc == 0 && !branch)
		rc = da_errf(DA_ERUNTIME, "restack in %s: HEAD is not on a branch", g->workdir);
	if (rc == 0)
		rc = da_git_lookup_commit(g, onto, &target);
	if (rc == 0 && git_reference_name_to_id(&tip, g->repo, "HEAD") < 0)
		rc = da_git_fail("read HEAD of %s", g->workdir);
	if (rc < 0)
		goto out;
	snprintf(save, sizeof save, SAVE_PREFIX "%s", branch);
	snprintf(why, sizeof why, "restack onto %s", onto);
	rc = set_ref(g, save, &tip, why);
	if (rc == 0)
		rc = da_git_move_branch(g, branch, git_commit_id(target), why);
	if (rc == 0)
		rc = merge_into_worktree(g, &tip, &found);
	if (rc == 0 && conflicts) {
		*conflicts = found;
		found.paths = NULL;
		found.n = 0;
	}
out:
	da_git_paths_clear(&found);
	git_commit_free(target);
	free(branch);
	return rc;
}

/* The opening or closing line of a conflict. ("=======" alone is left
 * out: it is also a Markdown heading underline.) */
static bool has_marker(const char *text)
{
	const char *line = text;

	while (line && *line) {
		if (strncmp(line, "<<<<<<< ", 8) == 0 || strncmp(line, ">>>>>>> ", 8) == 0)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

int da_git_unresolved(struct da_git *g, const struct da_git_paths *paths,
		      struct da_git_paths *left)
{
	int rc = 0;

	da_git_paths_clear(left);
	for (size_t i = 0; rc == 0 && i < paths->n; i++) {
		char path[4096], *text = NULL;

		rc = da_pathf(path, sizeof path, "%s/%s", g->workdir, paths->paths[i]);
		if (rc < 0 || !da_path_exists(path))
			continue;	/* resolved by deleting it */
		rc = da_read_file(path, 64u << 20, &text, NULL);
		if (rc == 0 && has_marker(text))
			rc = da_git_paths_add(left, paths->paths[i]);
		free(text);
	}
	return rc;
}

int da_git_restack_abort(struct da_git *g, const struct da_git_ident *who)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	git_commit *saved = NULL;
	char *branch = NULL, save[1024], attempt[1024];
	bool salvaged = false;
	git_oid head;
	int rc;

	rc = da_git_current_branch(g, &branch);
	if (rc == 0 && !branch)
		rc = da_errf(DA_ERUNTIME, "restack abort in %s: HEAD is not on a branch", g->workdir);
	if (rc < 0)
		return rc;
	snprintf(save, sizeof save, SAVE_PREFIX "%s", branch);
	snprintf(attempt, sizeof attempt, ATTEMPT_PREFIX "%s", branch);
	rc = da_git_lookup_commit(g, save, &saved);
	if (rc < 0) {
		da_errctx(rc, "restack abort: nothing saved for %s", branch);
		goto out;
	}
	/* never destroy work: the resolution attempt stays reachable */
	rc = da_git_salvage(g, "restack abort", who, &salvaged);
	if (rc == 0 && git_reference_name_to_id(&head, g->repo, "HEAD") < 0)
		rc = da_git_fail("read HEAD of %s", g->workdir);
	if (rc == 0)
		rc = set_ref(g, attempt, &head, "restack attempt");
	if (rc < 0)
		goto out;
	/* FORCE is safe here: everything in the tree was just committed */
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(g->repo, (git_object *)saved, &co) < 0) {
		rc = da_git_fail("restack abort: check out %s", save);
		goto out;
	}
	rc = da_git_move_branch(g, branch, git_commit_id(saved), "restack abort");
	if (rc == 0 && git_reference_remove(g->repo, save) < 0)
		rc = da_git_fail("remove %s", save);
out:
	git_commit_free(saved);
	free(branch);
	return rc;
}
