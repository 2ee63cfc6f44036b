/* git_diff: what a pull request shows, per file, with the line ranges a
 * review may point at. */
#include "git_impl.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

static int add_range(struct da_git_range **ranges, size_t *n, long start, long end)
{
	struct da_git_range *grown;

	/* contiguous added lines form one run */
	if (*n > 0 && (*ranges)[*n - 1].end + 1 >= start) {
		if (end > (*ranges)[*n - 1].end)
			(*ranges)[*n - 1].end = end;
		return 0;
	}
	grown = realloc(*ranges, (*n + 1) * sizeof *grown);
	if (!grown)
		return da_errf(DA_ERUNTIME, "out of memory");
	grown[*n].start = start;
	grown[*n].end = end;
	*ranges = grown;
	(*n)++;
	return 0;
}

static char status_letter(git_delta_t status)
{
	switch (status) {
	case GIT_DELTA_ADDED:
		return 'A';
	case GIT_DELTA_DELETED:
		return 'D';
	case GIT_DELTA_RENAMED:
		return 'R';
	default:
		return 'M';
	}
}

static int collect_hunks(git_patch *patch, struct da_git_file_diff *fd)
{
	for (size_t h = 0; h < git_patch_num_hunks(patch); h++) {
		const git_diff_hunk *hunk;
		size_t nlines;
		int rc;

		if (git_patch_get_hunk(&hunk, &nlines, patch, h) < 0)
			return da_git_fail("read hunk of %s", fd->path);
		if (hunk->new_lines > 0) {
			rc = add_range(&fd->hunks, &fd->nhunks, hunk->new_start,
				       hunk->new_start + hunk->new_lines - 1);
			if (rc < 0)
				return rc;
		}
		for (size_t l = 0; l < nlines; l++) {
			const git_diff_line *line;

			if (git_patch_get_line_in_hunk(&line, patch, h, l) < 0)
				return da_git_fail("read diff line of %s", fd->path);
			if (line->origin != GIT_DIFF_LINE_ADDITION)
				continue;
			rc = add_range(&fd->added, &fd->nadded, line->new_lineno, line->new_lineno);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int file_diff(git_diff *diff, size_t i, struct da_git_file_diff *fd)
{
	const git_diff_delta *delta = git_diff_get_delta(diff, i);
	git_patch *patch = NULL;
	git_buf buf = GIT_BUF_INIT;
	size_t adds = 0, dels = 0;
	int rc = 0;

	memset(fd, 0, sizeof fd[0]);
	fd->status = status_letter(delta->status);
	fd->path = strdup(delta->status == GIT_DELTA_DELETED ? delta->old_file.path
							     : delta->new_file.path);
	fd->old_path = strdup(delta->old_file.path);
	if (!fd->path || !fd->old_path)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (git_patch_from_diff(&patch, diff, i) < 0)
		return da_git_fail("diff of %s", fd->path);
	/* the delta's flags are final once its patch is made */
	fd->binary = (git_diff_get_delta(diff, i)->flags & GIT_DIFF_FLAG_BINARY) != 0;
	if (!patch) {
		fd->patch = strdup("");
		return fd->patch ? 0 : da_errf(DA_ERUNTIME, "out of memory");
	}
	if (git_patch_line_stats(NULL, &adds, &dels, patch) < 0 || git_patch_to_buf(&buf, patch) < 0) {
		rc = da_git_fail("diff of %s", fd->path);
		goto out;
	}
	fd->additions = (long)adds;
	fd->deletions = (long)dels;
	fd->patch = strdup(buf.ptr ? buf.ptr : "");
	if (!fd->patch) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = collect_hunks(patch, fd);
out:
	git_buf_dispose(&buf);
	git_patch_free(patch);
	return rc;
}

static int tree_diff(struct da_git *g, git_commit *old, git_commit *new, git_diff **out)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	git_tree *old_tree = NULL, *new_tree = NULL;
	int rc = 0;

	if (git_commit_tree(&old_tree, old) < 0 || git_commit_tree(&new_tree, new) < 0)
		rc = da_git_fail("read trees");
	else if (git_diff_tree_to_tree(out, g->repo, old_tree, new_tree, &opts) < 0)
		rc = da_git_fail("diff trees");
	else if (git_diff_find_similar(*out, NULL) < 0)
		rc = da_git_fail("detect renames");
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return rc;
}

int da_git_diff(struct da_git *g, const char *base, const char *head, struct da_git_diff **out)
{
	git_commit *cbase = NULL, *chead = NULL, *cmb = NULL;
	git_diff *diff = NULL;
	struct da_git_diff *d;
	git_oid mb;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof *d);
	if (!d)
		return da_errf(DA_ERUNTIME, "out of memory");
	rc = da_git_lookup_commit(g, base, &cbase);
	if (rc == 0)
		rc = da_git_lookup_commit(g, head, &chead);
	if (rc < 0)
		goto out;
	if (git_merge_base(&mb, g->repo, git_commit_id(cbase), git_commit_id(chead)) < 0 ||
	    git_commit_lookup(&cmb, g->repo, &mb) < 0) {
		rc = da_git_fail("merge base of %s and %s", base, head);
		goto out;
	}
	git_oid_tostr(d->base_oid, sizeof d->base_oid, &mb);
	git_oid_tostr(d->head_oid, sizeof d->head_oid, git_commit_id(chead));
	rc = tree_diff(g, cmb, chead, &diff);
	if (rc < 0)
		goto out;
	size_t n = git_diff_num_deltas(diff);

	d->files = calloc(n ? n : 1, sizeof *d->files);
	if (!d->files) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		d->nfiles++;
		rc = file_diff(diff, i, &d->files[i]);
		d->additions += d->files[i].additions;
		d->deletions += d->files[i].deletions;
	}
	if (rc < 0)
		da_errctx(rc, "diff %s..%s", base, head);
out:
	git_diff_free(diff);
	git_commit_free(cbase);
	git_commit_free(chead);
	git_commit_free(cmb);
	if (rc < 0)
		da_git_diff_free(d);
	else
		*out = d;
	return rc;
}

void da_git_diff_free(struct da_git_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfiles; i++) {
		free(d->files[i].path);
		free(d->files[i].old_path);
		free(d->files[i].patch);
		free(d->files[i].hunks);
		free(d->files[i].added);
	}
	free(d->files);
	free(d);
}

const struct da_git_file_diff *da_git_diff_file(const struct da_git_diff *d, const char *path)
{
	for (size_t i = 0; d && path && i < d->nfiles; i++)
		if (strcmp(d->files[i].path, path) == 0)
			return &d->files[i];
	return NULL;
}

bool da_git_diff_has_line(const struct da_git_diff *d, const char *path, long line)
{
	const struct da_git_file_diff *fd = da_git_diff_file(d, path);

	for (size_t i = 0; fd && i < fd->nhunks; i++)
		if (line >= fd->hunks[i].start && line <= fd->hunks[i].end)
			return true;
	return false;
}
