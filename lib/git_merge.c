/* git_merge: rebasing a task branch and squash-merging into a bare
 * repository. Both work in memory first, so a conflict leaves every ref,
 * index and file exactly as it was. */
#include "git_impl.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error for a conflict: the files named in the message and in *out. */
static int conflict_error(const char *what, struct da_git_paths *found, struct da_git_paths *out)
{
	char *names = da_git_paths_join(found);
	int rc = da_errf(DA_ERUNTIME, "%s: conflicts in %s", what, names ? names : "some files");

	free(names);
	if (out) {
		da_git_paths_clear(out);
		*out = *found;
	} else {
		da_git_paths_clear(found);
	}
	found->paths = NULL;
	found->n = 0;
	return rc;
}

/* Replay the branch's own commits onto `onto`; *tip gets the result. */
static int replay(struct da_git *g, const char *branch, git_annotated_commit *head,
		  git_annotated_commit *onto, const git_signature *sig,
		  struct da_git_paths *conflicts, git_oid *tip)
{
	git_rebase_options opts = GIT_REBASE_OPTIONS_INIT;
	struct da_git_paths found = { 0 };
	git_rebase *rebase = NULL;
	git_rebase_operation *op;
	int rc = 0, err;

	/* in memory: no .git/rebase-merge left behind by a crash, and the
	 * working tree is only touched once the whole rebase succeeded */
	opts.inmemory = 1;
	git_oid_cpy(tip, git_annotated_commit_id(onto));
	if (git_rebase_init(&rebase, g->repo, head, onto, NULL, &opts) < 0)
		return da_git_fail("rebase %s", branch);
	while ((err = git_rebase_next(&op, rebase)) == 0) {
		git_index *index = NULL;
		git_oid id;

		if (git_rebase_inmemory_index(&index, rebase) < 0) {
			rc = da_git_fail("rebase %s", branch);
			break;
		}
		if (git_index_has_conflicts(index))
			rc = da_git_index_conflicts(index, &found);
		git_index_free(index);
		if (rc < 0)
			break;
		if (found.n > 0) {
			char what[512];

			snprintf(what, sizeof what, "rebase %s", branch);
			rc = conflict_error(what, &found, conflicts);
			break;
		}
		err = git_rebase_commit(&id, rebase, NULL, sig, NULL, NULL);
		if (err == GIT_EAPPLIED)
			continue;	/* upstream already has this change */
		if (err < 0) {
			rc = da_git_fail("rebase %s: commit", branch);
			break;
		}
		git_oid_cpy(tip, &id);
	}
	if (rc == 0 && err != GIT_ITEROVER)
		rc = da_git_fail("rebase %s", branch);
	if (rc < 0)
		git_rebase_abort(rebase);
	else if (git_rebase_finish(rebase, sig) < 0)
		rc = da_git_fail("rebase %s: finish", branch);
	git_rebase_free(rebase);
	da_git_paths_clear(&found);
	return rc;
}

/* Check the new tip out (the tree was clean, so SAFE updates every file
 * that differs) and only then move the branch. */
int da_git_move_branch(struct da_git *g, const char *branch, const git_oid *tip, const char *why)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	git_commit *commit = NULL;
	git_reference *ref = NULL, *moved = NULL;
	char refname[1024];
	int rc = 0;

	snprintf(refname, sizeof refname, "refs/heads/%s", branch);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (git_commit_lookup(&commit, g->repo, tip) < 0)
		rc = da_git_fail("rebase %s: read result", branch);
	else if (git_checkout_tree(g->repo, (git_object *)commit, &co) < 0)
		rc = da_git_fail("rebase %s: check out result", branch);
	else if (git_reference_lookup(&ref, g->repo, refname) < 0 ||
		 git_reference_set_target(&moved, ref, tip, why) < 0)
		rc = da_git_fail("rebase %s: move branch", branch);
	git_reference_free(moved);
	git_reference_free(ref);
	git_commit_free(commit);
	return rc;
}

int da_git_rebase(struct da_git *g, const char *onto, const struct da_git_ident *who,
		  struct da_git_paths *conflicts, bool *rebased)
{
	git_annotated_commit *head = NULL, *upstream = NULL;
	git_reference *ref = NULL;
	git_signature *sig = NULL;
	char *branch = NULL;
	bool dirty = false;
	git_oid base, tip;
	int rc;

	if (rebased)
		*rebased = false;
	if (conflicts)
		da_git_paths_clear(conflicts);
	rc = da_git_is_dirty(g, &dirty);
	if (rc < 0)
		return rc;
	if (dirty)
		return da_errf(DA_ERUNTIME, "rebase in %s: uncommitted changes (salvage them first)",
			       g->workdir);
	rc = da_git_current_branch(g, &branch);
	if (rc < 0)
		return rc;
	if (!branch)
		return da_errf(DA_ERUNTIME, "rebase in %s: HEAD is not on a branch", g->workdir);
	if (git_repository_head(&ref, g->repo) < 0 ||
	    git_annotated_commit_from_ref(&head, g->repo, ref) < 0 ||
	    git_annotated_commit_from_revspec(&upstream, g->repo, onto) < 0) {
		rc = da_git_fail("rebase %s onto %s", branch, onto);
		goto out;
	}
	if (git_merge_base(&base, g->repo, git_annotated_commit_id(head),
			   git_annotated_commit_id(upstream)) < 0) {
		rc = da_git_fail("rebase %s onto %s: no common history", branch, onto);
		goto out;
	}
	if (git_oid_equal(&base, git_annotated_commit_id(upstream)))
		goto out;	/* already on top of onto */
	rc = da_git_signature(who, &sig);
	if (rc < 0)
		goto out;
	if (git_oid_equal(&base, git_annotated_commit_id(head)))
		git_oid_cpy(&tip, git_annotated_commit_id(upstream));	/* nothing of its own */
	else
		rc = replay(g, branch, head, upstream, sig, conflicts, &tip);
	if (rc == 0) {
		char why[1024];

		snprintf(why, sizeof why, "rebase onto %s", onto);
		rc = da_git_move_branch(g, branch, &tip, why);
	}
	if (rc == 0 && rebased)
		*rebased = true;
out:
	git_signature_free(sig);
	git_annotated_commit_free(head);
	git_annotated_commit_free(upstream);
	git_reference_free(ref);
	free(branch);
	return rc;
}

/* The tree of squashing theirs onto ours, or a conflict error. */
static int merged_tree(struct da_git *g, git_commit *ours, git_commit *theirs, const git_oid *base,
		       const char *what, struct da_git_paths *conflicts, git_oid *tree_id)
{
	git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
	struct da_git_paths found = { 0 };
	git_index *index = NULL;
	int rc = 0;

	if (git_oid_equal(base, git_commit_id(ours))) {
		git_oid_cpy(tree_id, git_commit_tree_id(theirs));	/* fast-forward shape */
		return 0;
	}
	if (git_merge_commits(&index, g->repo, ours, theirs, &opts) < 0)
		return da_git_fail("%s", what);
	if (git_index_has_conflicts(index)) {
		rc = da_git_index_conflicts(index, &found);
		if (rc == 0)
			rc = conflict_error(what, &found, conflicts);
		da_git_paths_clear(&found);
	} else if (git_index_write_tree_to(tree_id, index, g->repo) < 0) {
		rc = da_git_fail("%s: write tree", what);
	}
	git_index_free(index);
	return rc;
}

static int branch_commit(struct da_git *g, const char *branch, git_commit **out)
{
	char refname[1024];

	if (snprintf(refname, sizeof refname, "refs/heads/%s", branch) >= (int)sizeof refname)
		return da_errf(DA_EUSAGE, "branch name too long");
	return da_git_lookup_commit(g, refname, out);
}

int da_git_squash_merge(struct da_git *g, const char *branch, const char *target,
			const char *message, const struct da_git_ident *who,
			const char *expected_head, struct da_git_paths *conflicts, char *oid_out)
{
	git_commit *ours = NULL, *theirs = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	char *def = NULL, what[1024], refname[1024], head_hex[DA_GIT_OID_HEXSZ];
	git_oid base, tree_id, id;
	int rc = 0;

	if (oid_out)
		oid_out[0] = '\0';
	if (conflicts)
		da_git_paths_clear(conflicts);
	if (!message || !*message)
		return da_errf(DA_EUSAGE, "squash merge: empty message");
	if (!target) {
		rc = da_git_default_branch(g, NULL, &def);
		if (rc < 0)
			return rc;
		target = def;
	}
	snprintf(what, sizeof what, "squash-merge %s into %s", branch, target);
	snprintf(refname, sizeof refname, "refs/heads/%s", target);
	rc = branch_commit(g, target, &ours);
	if (rc == 0)
		rc = branch_commit(g, branch, &theirs);
	if (rc < 0) {
		da_errctx(rc, "%s", what);
		goto out;
	}
	git_oid_tostr(head_hex, sizeof head_hex, git_commit_id(theirs));
	if (expected_head && *expected_head &&
	    strncmp(head_hex, expected_head, strlen(expected_head)) != 0) {
		rc = da_errf(DA_ERUNTIME, "%s: the branch moved (now %.12s, expected %.12s)", what,
			     head_hex, expected_head);
		goto out;
	}
	if (git_merge_base(&base, g->repo, git_commit_id(ours), git_commit_id(theirs)) < 0) {
		rc = da_git_fail("%s: no common history", what);
		goto out;
	}
	if (git_oid_equal(&base, git_commit_id(theirs))) {
		rc = da_errf(DA_ERUNTIME, "%s: nothing to merge", what);
		goto out;
	}
	rc = merged_tree(g, ours, theirs, &base, what, conflicts, &tree_id);
	if (rc < 0)
		goto out;
	if (git_oid_equal(&tree_id, git_commit_tree_id(ours))) {
		rc = da_errf(DA_ERUNTIME, "%s: nothing to merge (%s already has these changes)", what,
			     target);
		goto out;
	}
	rc = da_git_signature(who, &sig);
	if (rc < 0)
		goto out;
	const git_commit *parents[] = { ours };

	/* libgit2 refuses when refs/heads/<target> is no longer `ours`:
	 * a concurrent merge cannot be lost. */
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0 ||
	    git_commit_create(&id, g->repo, refname, sig, sig, NULL, message, tree, 1, parents) < 0) {
		rc = da_git_fail("%s", what);
		goto out;
	}
	if (oid_out)
		git_oid_tostr(oid_out, DA_GIT_OID_HEXSZ, &id);
out:
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(ours);
	git_commit_free(theirs);
	free(def);
	return rc;
}
