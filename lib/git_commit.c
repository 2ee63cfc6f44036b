/* git_commit: working-tree status, commits, salvage, reading history. */
#include "git_impl.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_workdir(struct da_git *g, const char *what)
{
	if (git_repository_is_bare(g->repo))
		return da_errf(DA_EUSAGE, "%s: %s is a bare repository", what,
			       git_repository_path(g->repo));
	return 0;
}

int da_git_is_dirty(struct da_git *g, bool *dirty)
{
	git_status_options opts = GIT_STATUS_OPTIONS_INIT;
	git_status_list *list = NULL;
	int rc = need_workdir(g, "status");

	*dirty = false;
	if (rc < 0)
		return rc;
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* untracked counts (an agent's new file is work), ignored does not */
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		     GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, g->repo, &opts) < 0)
		return da_git_fail("status of %s", g->workdir);
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

/* Stage like `git add -A` and write the tree. */
static int stage_all(struct da_git *g, git_oid *tree_id, size_t *entries)
{
	git_index *index = NULL;
	int rc = 0;

	if (git_repository_index(&index, g->repo) < 0)
		return da_git_fail("index of %s", g->workdir);
	/* another handle (or a crashed run) may have changed it on disk */
	if (git_index_read(index, 0) < 0)
		rc = da_git_fail("read index of %s", g->workdir);
	else if (git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0)
		rc = da_git_fail("stage files in %s", g->workdir);
	else if (git_index_update_all(index, NULL, NULL, NULL) < 0)
		rc = da_git_fail("stage removals in %s", g->workdir);
	else if (git_index_write(index) < 0)
		rc = da_git_fail("write index of %s", g->workdir);
	else if (git_index_write_tree(tree_id, index) < 0)
		rc = da_git_fail("write tree of %s", g->workdir);
	*entries = git_index_entrycount(index);
	git_index_free(index);
	return rc;
}

int da_git_commit_all(struct da_git *g, const char *message, const struct da_git_ident *who,
		      char *oid_out, bool *committed)
{
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, head_id, commit_id;
	size_t entries = 0;
	bool unborn;
	int rc;

	if (oid_out)
		oid_out[0] = '\0';
	if (committed)
		*committed = false;
	rc = need_workdir(g, "commit");
	if (rc < 0)
		return rc;
	if (!message || !*message)
		return da_errf(DA_EUSAGE, "commit: empty message");
	rc = stage_all(g, &tree_id, &entries);
	if (rc < 0)
		return rc;
	unborn = git_reference_name_to_id(&head_id, g->repo, "HEAD") < 0;
	if (!unborn && git_commit_lookup(&parent, g->repo, &head_id) < 0)
		return da_git_fail("read HEAD commit of %s", g->workdir);
	if (unborn ? entries == 0 : git_oid_equal(git_commit_tree_id(parent), &tree_id))
		goto out;	/* nothing to commit */
	rc = da_git_signature(who, &sig);
	if (rc < 0)
		goto out;
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		rc = da_git_fail("read tree");
		goto out;
	}
	const git_commit *parents[] = { parent };

	if (git_commit_create(&commit_id, g->repo, "HEAD", sig, sig, NULL, message, tree,
			      unborn ? 0 : 1, parents) < 0) {
		rc = da_git_fail("commit in %s", g->workdir);
		goto out;
	}
	if (oid_out)
		git_oid_tostr(oid_out, DA_GIT_OID_HEXSZ, &commit_id);
	if (committed)
		*committed = true;
out:
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(parent);
	return rc;
}

int da_git_salvage(struct da_git *g, const char *stage, const struct da_git_ident *who,
		   bool *salvaged)
{
	char message[512];
	bool committed = false;
	int rc;

	if (salvaged)
		*salvaged = false;
	snprintf(message, sizeof message, "salvage: uncommitted work at %s",
		 stage && *stage ? stage : "unknown stage");
	rc = da_git_commit_all(g, message, who, NULL, &committed);
	if (rc < 0)
		return da_errctx(rc, "salvage");
	if (salvaged)
		*salvaged = committed;
	return 0;
}

int da_git_resolve(struct da_git *g, const char *rev, char *oid_out)
{
	git_commit *commit = NULL;
	int rc = da_git_lookup_commit(g, rev, &commit);

	if (rc == 0)
		git_oid_tostr(oid_out, DA_GIT_OID_HEXSZ, git_commit_id(commit));
	git_commit_free(commit);
	return rc;
}

int da_git_merge_base(struct da_git *g, const char *a, const char *b, char *oid_out)
{
	git_commit *ca = NULL, *cb = NULL;
	git_oid base;
	int rc;

	rc = da_git_lookup_commit(g, a, &ca);
	if (rc == 0)
		rc = da_git_lookup_commit(g, b, &cb);
	if (rc == 0 && git_merge_base(&base, g->repo, git_commit_id(ca), git_commit_id(cb)) < 0)
		rc = da_git_fail("merge base of %s and %s", a, b);
	if (rc == 0)
		git_oid_tostr(oid_out, DA_GIT_OID_HEXSZ, &base);
	git_commit_free(ca);
	git_commit_free(cb);
	return rc;
}

int da_git_same_tree(struct da_git *g, const char *a, const char *b, bool *same)
{
	git_commit *ca = NULL, *cb = NULL;
	int rc = da_git_lookup_commit(g, a, &ca);

	if (rc == 0 && (rc = da_git_lookup_commit(g, b, &cb)) == 0)
		*same = git_oid_equal(git_commit_tree_id(ca), git_commit_tree_id(cb));
	git_commit_free(ca);
	git_commit_free(cb);
	return rc;
}

int da_git_read_file(struct da_git *g, const char *rev, const char *path, size_t max_len,
		     char **out, size_t *len)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc, err;

	*out = NULL;
	if (len)
		*len = 0;
	rc = da_git_lookup_commit(g, rev, &commit);
	if (rc < 0)
		return rc;
	if (git_commit_tree(&tree, commit) < 0) {
		rc = da_git_fail("tree of %s", rev);
		goto out;
	}
	err = git_tree_entry_bypath(&entry, tree, path);
	if (err == GIT_ENOTFOUND)
		goto out;
	if (err < 0 || git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = err < 0 ? da_git_fail("%s:%s", rev, path)
			     : da_errf(DA_EUSAGE, "%s:%s is not a file", rev, path);
		goto out;
	}
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry)) < 0) {
		rc = da_git_fail("read %s:%s", rev, path);
		goto out;
	}
	git_object_size_t size = git_blob_rawsize(blob);

	if (size > max_len) {
		rc = da_errf(DA_EUSAGE, "%s:%s is larger than %zu bytes", rev, path, max_len);
		goto out;
	}
	*out = malloc((size_t)size + 1);
	if (!*out) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	memcpy(*out, git_blob_rawcontent(blob), (size_t)size);
	(*out)[size] = '\0';
	if (len)
		*len = (size_t)size;
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

static int add_commit_info(struct da_git *g, const git_oid *id, struct da_git_commit_info **list,
			   size_t *n)
{
	git_commit *commit = NULL;
	struct da_git_commit_info *grown, *ci;
	const git_signature *author;
	const char *summary;

	if (git_commit_lookup(&commit, g->repo, id) < 0)
		return da_git_fail("read commit");
	grown = realloc(*list, (*n + 1) * sizeof *grown);
	if (!grown) {
		git_commit_free(commit);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	*list = grown;
	ci = &grown[(*n)++];
	memset(ci, 0, sizeof *ci);
	git_oid_tostr(ci->oid, sizeof ci->oid, id);
	summary = git_commit_summary(commit);
	author = git_commit_author(commit);
	ci->subject = strdup(summary ? summary : "");
	size_t alen = strlen(author->name) + strlen(author->email) + 4;

	ci->author = malloc(alen);
	if (ci->author)
		snprintf(ci->author, alen, "%s <%s>", author->name, author->email);
	git_commit_free(commit);
	if (!ci->subject || !ci->author)
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

int da_git_log(struct da_git *g, const char *base, const char *head,
	       struct da_git_commit_info **out, size_t *n)
{
	git_commit *cbase = NULL, *chead = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc, err;

	*out = NULL;
	*n = 0;
	rc = da_git_lookup_commit(g, base, &cbase);
	if (rc == 0)
		rc = da_git_lookup_commit(g, head, &chead);
	if (rc < 0)
		goto out;
	if (git_revwalk_new(&walk, g->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, git_commit_id(chead)) < 0 ||
	    git_revwalk_hide(walk, git_commit_id(cbase)) < 0) {
		rc = da_git_fail("walk %s..%s", base, head);
		goto out;
	}
	while ((err = git_revwalk_next(&id, walk)) == 0) {
		rc = add_commit_info(g, &id, out, n);
		if (rc < 0)
			break;
	}
	if (rc == 0 && err != GIT_ITEROVER)
		rc = da_git_fail("walk %s..%s", base, head);
out:
	if (rc < 0) {
		da_git_log_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	git_revwalk_free(walk);
	git_commit_free(cbase);
	git_commit_free(chead);
	return rc;
}

void da_git_log_free(struct da_git_commit_info *commits, size_t n)
{
	if (!commits)
		return;
	for (size_t i = 0; i < n; i++) {
		free(commits[i].subject);
		free(commits[i].author);
	}
	free(commits);
}
