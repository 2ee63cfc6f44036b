/* forge_local_merge: reviews and merges on the local forge, the two
 * operations that look into the bare repository. A review's inline
 * comments must sit on the PR's diff (merge-base(base, head)..head), as
 * GitHub demands with its 422; a merge is one squash commit on the PR's
 * base branch whose only parent is the old tip, as GitHub's squash
 * merge makes. */
#include "forge_local_impl.h"
#include "err.h"
#include "git.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refuse the whole review when one inline comment is off the diff. */
static int check_comments(struct da_forge *f, const struct lf_pr *p, const char *commit,
			  const struct da_forge_review *in)
{
	char base[PATH_MAX];
	struct da_git *g = NULL;
	struct da_git_diff *d = NULL;
	int ret;

	if (in->ncomments == 0)
		return 0;
	snprintf(base, sizeof base, "refs/heads/%s", p->base);
	ret = lf_open_bare(f, &g);
	if (ret == 0)
		ret = da_git_diff(g, base, commit, &d);
	for (size_t i = 0; ret == 0 && i < in->ncomments; i++)
		if (!da_git_diff_has_line(d, in->comments[i].path, in->comments[i].line))
			ret = da_errf(DA_ERUNTIME,
				      "review: %s:%ld is not part of the diff of PR #%ld "
				      "(what GitHub refuses with 422)",
				      in->comments[i].path, in->comments[i].line, p->number);
	da_git_diff_free(d);
	da_git_free(g);
	return ret;
}

/* The commit a review is about: the one asked for, else the head now. */
static int review_commit(struct da_forge *f, const struct lf_pr *p, const char *asked,
			 char *sha)
{
	char ref[PATH_MAX];
	struct da_git *g = NULL;
	int ret = lf_open_bare(f, &g);

	if (ret == 0 && asked) {
		ret = da_git_resolve(g, asked, sha);
	} else if (ret == 0 && strcmp(p->state, "open")) {
		snprintf(sha, DA_GIT_OID_HEXSZ, "%s", p->head_sha ? p->head_sha : "");
	} else if (ret == 0) {
		snprintf(ref, sizeof ref, "refs/heads/%s", p->head);
		ret = da_git_resolve(g, ref, sha);
	}
	da_git_free(g);
	if (ret == 0 && !*sha)
		ret = da_errf(DA_ERUNTIME, "review: PR #%ld has no head commit", p->number);
	return ret;
}

int lf_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
		     long *review_id)
{
	char sha[DA_GIT_OID_HEXSZ] = "";
	struct lf_pr p;
	bool found = false;
	int fd = -1, ret = lf_pr_read(LF(f), number, &p, &found);

	if (ret == 0 && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no PR #%ld to review", number);
	if (ret == 0)
		ret = review_commit(f, &p, in->commit_sha, sha);
	if (ret == 0)
		ret = check_comments(f, &p, sha, in);
	if (ret == 0 && (ret = lf_lock(LF(f), &fd)) == 0) {
		ret = lf_review_append(LF(f), number, in, sha, review_id);
		lf_unlock(fd);
	}
	if (found)
		lf_pr_clear(&p);
	return ret;
}

/* "<title>\n\n<message>"; the title defaults to GitHub's "<PR title> (#n)". */
static char *merge_message(const struct lf_pr *p, const char *title, const char *message)
{
	char *out;
	int n;

	if (title && *title)
		n = asprintf(&out, "%s%s%s", title, message && *message ? "\n\n" : "",
			     message ? message : "");
	else
		n = asprintf(&out, "%s (#%ld)%s%s", p->title, p->number,
			     message && *message ? "\n\n" : "", message ? message : "");
	return n < 0 ? NULL : out;
}

/* With the lock held and the PR open and ready: squash it. */
static int squash(struct da_forge *f, struct lf_pr *p, const char *title, const char *message,
		  const char *expected, enum da_forge_merge_result *result, char **sha_out)
{
	char head[DA_GIT_OID_HEXSZ], oid[DA_GIT_OID_HEXSZ], ref[PATH_MAX];
	struct da_git_paths conflicts = { 0 };
	struct da_git *g = NULL;
	char *msg = merge_message(p, title, message);
	int ret = msg ? lf_open_bare(f, &g) : da_errf(DA_ERUNTIME, "out of memory");

	snprintf(ref, sizeof ref, "refs/heads/%s", p->head);
	if (ret == 0 && da_git_resolve(g, ref, head) < 0)
		ret = da_errf(DA_ERUNTIME, "merge: PR #%ld's branch %s is gone from %s", p->number,
			      p->head, LF(f)->remote);
	if (ret == 0 && expected && strcmp(expected, head)) {
		*result = DA_MERGE_CONFLICT;	/* GitHub's 409: head moved */
		goto out;
	}
	if (ret == 0) {
		ret = da_git_squash_merge(g, p->head, p->base, msg, NULL, head, &conflicts, oid);
		if (ret < 0 && conflicts.n > 0) {
			*result = DA_MERGE_CONFLICT;
			ret = 0;
			goto out;
		}
	}
	if (ret == 0) {
		free(p->state);
		free(p->merge_sha);
		free(p->head_sha);
		p->state = strdup("closed");
		p->merge_sha = strdup(oid);
		p->head_sha = strdup(head);
		p->merged = true;
		if (!p->state || !p->merge_sha || !p->head_sha)
			ret = da_errf(DA_ERUNTIME, "out of memory");
	}
	/* The commit is in; a record that fails to say so is an error the
	 * caller sees (a retry then finds the PR's branch already merged). */
	if (ret == 0)
		ret = lf_pr_write(LF(f), p, false);
	if (ret == 0) {
		*result = DA_MERGE_MERGED;
		if (sha_out && !(*sha_out = strdup(oid)))
			ret = da_errf(DA_ERUNTIME, "out of memory");
	}
out:
	da_git_paths_clear(&conflicts);
	da_git_free(g);
	free(msg);
	return ret;
}

int lf_merge_pr(struct da_forge *f, long number, const char *title, const char *message,
		const char *expected_sha, enum da_forge_merge_result *result, char **sha_out)
{
	struct lf_pr p;
	bool found = false;
	int fd, ret = lf_lock(LF(f), &fd);

	if (ret < 0)
		return ret;
	ret = lf_pr_read(LF(f), number, &p, &found);
	if (ret == 0 && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no PR #%ld to merge", number);
	if (ret == 0 && (p.merged || strcmp(p.state, "open") || p.draft))
		*result = DA_MERGE_NOT_MERGEABLE;	/* GitHub's 405 */
	else if (ret == 0)
		ret = squash(f, &p, title, message, expected_sha, result, sha_out);
	if (found)
		lf_pr_clear(&p);
	lf_unlock(fd);
	return ret < 0 ? da_errctx(ret, "merge PR #%ld", number) : 0;
}
