/* forge_local: the offline forge. No server, no account: the remote is
 * a bare repository path, issues, PRs, labels, comments and reviews are
 * files under <state>/<owner>+<name>/ (forge_local_store.c has the
 * layout; docs/local-forge.md the format for writing issues by hand),
 * and a merge is a real squash commit on the bare repository's default
 * branch. It answers like GitHub where GitHub's answer is part of the
 * contract: inline review comments off the diff are refused (GitHub's
 * 422), a draft is not mergeable (405), a moved head or a conflicting
 * squash is a conflict (409). Contents and Actions secrets are left
 * NULL: the dispatcher answers "the local forge cannot ...". */
#include "forge_local_impl.h"
#include "err.h"
#include "fsutil.h"
#include "git.h"
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void lf_close(struct da_forge *f)
{
	struct lf *l = LF(f);

	if (!l)
		return;
	free(l->dir);
	free(l->remote);
	free(l->default_branch);
	free(l);
	f->priv = NULL;
}

int lf_open_bare(struct da_forge *f, struct da_git **g)
{
	int ret = da_git_open(LF(f)->remote, g);

	return ret < 0 ? da_errctx(ret, "local forge remote %s", LF(f)->remote) : 0;
}

static int lf_get_repo(struct da_forge *f, struct da_forge_repo **out)
{
	struct da_forge_repo *r = calloc(1, sizeof *r);
	struct da_git *g = NULL;
	int ret = r ? lf_open_bare(f, &g) : da_errf(DA_ERUNTIME, "out of memory");

	/* the bare repository's HEAD is the truth; the project's
	 * default_branch only stands in for a repository without one */
	if (ret == 0 && da_git_default_branch(g, NULL, &r->default_branch) < 0) {
		ret = LF(f)->default_branch ? 0 : da_errctx(DA_ERUNTIME, "default branch");
		if (ret == 0 && !(r->default_branch = strdup(LF(f)->default_branch)))
			ret = da_errf(DA_ERUNTIME, "out of memory");
	}
	if (ret == 0 && (asprintf(&r->full_name, "%s/%s", f->owner, f->name) < 0 ||
			 !(r->clone_url = strdup(LF(f)->remote)) ||
			 !(r->html_url = strdup(LF(f)->remote))))
		ret = da_errf(DA_ERUNTIME, "out of memory");
	da_git_free(g);
	if (ret < 0) {
		da_forge_repo_free(r);
		return ret;
	}
	r->is_private = true;
	*out = r;
	return 0;
}

static int merge_names(char ***labels, size_t *nlabels, const char *const *names, size_t n);

/* GitHub serves a PR on /issues too; so does this. */
static int pr_as_issue(struct da_forge *f, const struct lf_pr *p, struct da_forge_issue **out)
{
	struct da_forge_issue *i = calloc(1, sizeof *i);
	int ret = i ? 0 : da_errf(DA_ERUNTIME, "out of memory");

	if (ret == 0) {
		i->number = p->number;
		i->is_pull_request = true;
		i->title = strdup(p->title);
		i->body = strdup(p->body);
		i->state = strdup(p->state);
		i->labels = calloc(1, sizeof *i->labels);
		if (asprintf(&i->html_url, "file://%s/prs/%ld.yaml", LF(f)->dir, p->number) < 0)
			i->html_url = NULL;
		if (!i->title || !i->body || !i->state || !i->labels || !i->html_url)
			ret = da_errf(DA_ERUNTIME, "out of memory");
	}
	if (ret == 0)
		ret = merge_names(&i->labels, &i->nlabels, (const char *const *)p->labels,
				  p->nlabels);
	if (ret < 0) {
		da_forge_issue_free(i);
		return ret;
	}
	*out = i;
	return 0;
}

static int lf_get_issue(struct da_forge *f, long number, struct da_forge_issue **out)
{
	struct lf_pr p;
	bool found = false;
	int ret = lf_issue_read(LF(f), number, out);

	if (ret == 0 && !*out && (ret = lf_pr_read(LF(f), number, &p, &found)) == 0 && found)
		ret = pr_as_issue(f, &p, out);
	if (found)
		lf_pr_clear(&p);
	return ret;
}

/* An issue or a PR with this number exists (comments go on either). */
static int must_exist(struct da_forge *f, long number)
{
	struct da_forge_issue *i = NULL;
	struct lf_pr p;
	bool found = false;
	int ret = lf_issue_read(LF(f), number, &i);

	if (ret == 0 && !i)
		ret = lf_pr_read(LF(f), number, &p, &found);
	if (found)
		lf_pr_clear(&p);
	if (ret == 0 && !i && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no issue or PR #%ld", number);
	da_forge_issue_free(i);
	return ret;
}

static int lf_comment(struct da_forge *f, long number, const char *body, char **html_url)
{
	long id = 0;
	int fd, ret = must_exist(f, number);

	if (ret == 0 && (ret = lf_lock(LF(f), &fd)) == 0) {
		ret = lf_comment_append(LF(f), number, body, &id);
		lf_unlock(fd);
	}
	if (ret == 0 && html_url &&
	    asprintf(html_url, "file://%s/comments/%ld.log#comment-%ld", LF(f)->dir, number, id) < 0) {
		*html_url = NULL;
		ret = da_errf(DA_ERUNTIME, "out of memory");
	}
	return ret < 0 ? da_errctx(ret, "comment on #%ld", number) : 0;
}

static int lf_list_comments(struct da_forge *f, long number, struct da_forge_comment **out,
			    size_t *n)
{
	return lf_comments_read(LF(f), number, out, n);
}

static int lf_list_labels(struct da_forge *f, struct da_forge_label **out, size_t *n)
{
	return lf_labels_read(LF(f), out, n);
}

static int lf_create_label(struct da_forge *f, const char *name, const char *color,
			   const char *description)
{
	struct da_forge_label *v = NULL, *nv;
	size_t n = 0;
	int fd, ret = lf_lock(LF(f), &fd);

	if (ret < 0)
		return ret;
	ret = lf_labels_read(LF(f), &v, &n);
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (!strcasecmp(v[i].name, name))
			goto out;	/* exists already: what GitHub's 422 means */
	if (ret == 0 && !(nv = realloc(v, (n + 1) * sizeof *v)))
		ret = da_errf(DA_ERUNTIME, "out of memory");
	if (ret == 0) {
		v = nv;
		v[n].id = 0;
		v[n].name = strdup(name);
		v[n].color = strdup(color);
		v[n].description = strdup(description);
		n++;
		ret = v[n - 1].name && v[n - 1].color && v[n - 1].description
			      ? lf_labels_write(LF(f), v, n)
			      : da_errf(DA_ERUNTIME, "out of memory");
	}
out:
	lf_unlock(fd);
	da_forge_labels_free(v, n);
	return ret;
}

static int lf_find_pr_locked(struct da_forge *f, const char *branch, struct lf_pr *out,
			     bool *found)
{
	long *nums = NULL;
	size_t n = 0;
	int ret = lf_pr_numbers(LF(f), &nums, &n);

	*found = false;
	for (size_t i = 0; ret == 0 && i < n && !*found; i++) {
		struct lf_pr p;
		bool there;

		ret = lf_pr_read(LF(f), nums[i], &p, &there);
		if (ret == 0 && there && !strcmp(p.state, "open") && !strcmp(p.head, branch)) {
			*out = p;
			*found = true;
		} else if (there) {
			lf_pr_clear(&p);
		}
	}
	free(nums);
	return ret;
}

/* The record as forge.h's struct, head_sha live from the bare repo while open. */
static int to_pr(struct da_forge *f, const struct lf_pr *p, struct da_forge_pr **out)
{
	struct da_forge_pr *r = calloc(1, sizeof *r);
	char sha[DA_GIT_OID_HEXSZ] = "", ref[PATH_MAX];
	struct da_git *g = NULL;

	if (!r)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (!strcmp(p->state, "open") && lf_open_bare(f, &g) == 0) {
		snprintf(ref, sizeof ref, "refs/heads/%s", p->head);
		if (da_git_resolve(g, ref, sha) < 0)
			sha[0] = '\0';
	}
	da_git_free(g);
	r->number = p->number;
	r->draft = p->draft;
	r->merged = p->merged;
	r->title = strdup(p->title);
	r->state = strdup(p->state);
	r->head = strdup(p->head);
	r->base = strdup(p->base);
	r->head_sha = strdup(*sha ? sha : p->head_sha ? p->head_sha : "");
	if (asprintf(&r->html_url, "file://%s/prs/%ld.yaml", LF(f)->dir, p->number) < 0)
		r->html_url = NULL;
	if (!r->title || !r->state || !r->head || !r->base || !r->head_sha || !r->html_url) {
		da_forge_pr_free(r);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	*out = r;
	return 0;
}

static int lf_find_pr(struct da_forge *f, const char *branch, struct da_forge_pr **out)
{
	struct lf_pr p;
	bool found;
	int ret = lf_find_pr_locked(f, branch, &p, &found);

	if (ret == 0 && found)
		ret = to_pr(f, &p, out);
	if (found)
		lf_pr_clear(&p);
	return ret;
}

static int lf_get_pr(struct da_forge *f, long number, struct da_forge_pr **out)
{
	struct lf_pr p;
	bool found = false;
	int ret = lf_pr_read(LF(f), number, &p, &found);

	if (ret == 0 && found)
		ret = to_pr(f, &p, out);
	if (found)
		lf_pr_clear(&p);
	return ret;
}

static int create_record(struct da_forge *f, const struct da_forge_pr_new *in,
			 const char *head_sha, struct lf_pr *p)
{
	int ret = lf_next_number(LF(f), &p->number);

	if (ret < 0)
		return ret;
	p->title = strdup(in->title);
	p->body = strdup(in->body ? in->body : "");
	p->head = strdup(in->head);
	p->base = strdup(in->base);
	p->state = strdup("open");
	p->head_sha = strdup(head_sha);
	p->draft = in->draft;
	if (!p->title || !p->body || !p->head || !p->base || !p->state || !p->head_sha)
		return da_errf(DA_ERUNTIME, "out of memory");
	return lf_pr_write(LF(f), p, true);
}

static int lf_create_pr(struct da_forge *f, const struct da_forge_pr_new *in,
			struct da_forge_pr **out)
{
	char sha[DA_GIT_OID_HEXSZ], ref[PATH_MAX];
	struct da_git *g = NULL;
	struct lf_pr p = { 0 };
	bool found = false;
	int fd = -1, ret = lf_open_bare(f, &g);

	/* like GitHub's 422: the head must have been pushed, the base exist */
	if (ret == 0 && (ret = da_pathf(ref, sizeof ref, "refs/heads/%s", in->base)) == 0 &&
	    da_git_resolve(g, ref, sha) < 0)
		ret = da_errf(DA_EUSAGE, "create PR: base branch '%s' is not in %s", in->base,
			      LF(f)->remote);
	if (ret == 0 && (ret = da_pathf(ref, sizeof ref, "refs/heads/%s", in->head)) == 0 &&
	    da_git_resolve(g, ref, sha) < 0)
		ret = da_errf(DA_EUSAGE, "create PR: branch '%s' was not pushed to %s", in->head,
			      LF(f)->remote);
	da_git_free(g);
	if (ret == 0)
		ret = lf_lock(LF(f), &fd);
	if (ret == 0)
		ret = lf_find_pr_locked(f, in->head, &p, &found);
	if (ret == 0 && !found)
		ret = create_record(f, in, sha, &p);
	lf_unlock(fd);
	if (ret == 0)
		ret = to_pr(f, &p, out);
	lf_pr_clear(&p);
	return ret < 0 ? da_errctx(ret, "local forge") : 0;
}

/* Read PR n under the lock, let change() edit it, write it back. */
static int pr_edit(struct da_forge *f, long number,
		   int (*change)(struct lf_pr *p, const void *arg), const void *arg)
{
	struct lf_pr p;
	bool found = false;
	int fd, ret = lf_lock(LF(f), &fd);

	if (ret < 0)
		return ret;
	ret = lf_pr_read(LF(f), number, &p, &found);
	if (ret == 0 && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no PR #%ld", number);
	if (ret == 0 && (ret = change(&p, arg)) == 0)
		ret = lf_pr_write(LF(f), &p, false);
	if (found)
		lf_pr_clear(&p);
	lf_unlock(fd);
	return ret;
}

static int replace(char **field, const char *value)
{
	char *v;

	if (!value)
		return 0;
	if (!(v = strdup(value)))
		return da_errf(DA_ERUNTIME, "out of memory");
	free(*field);
	*field = v;
	return 0;
}

static int apply_update(struct lf_pr *p, const void *arg)
{
	const struct da_forge_pr_update *in = arg;
	int ret;

	if (in->state && strcmp(in->state, "open") && strcmp(in->state, "closed"))
		return da_errf(DA_EUSAGE, "update PR: state '%s' is not open or closed", in->state);
	if (p->merged && in->state && !strcmp(in->state, "open"))
		return da_errf(DA_EUSAGE, "update PR: #%ld is merged and cannot reopen", p->number);
	if ((ret = replace(&p->title, in->title)) < 0 || (ret = replace(&p->body, in->body)) < 0)
		return ret;
	return replace(&p->state, in->state);
}

static int lf_update_pr(struct da_forge *f, long number, const struct da_forge_pr_update *in)
{
	return pr_edit(f, number, apply_update, in);
}

static int apply_draft(struct lf_pr *p, const void *arg)
{
	p->draft = *(const bool *)arg;
	return 0;
}

static int lf_set_pr_draft(struct da_forge *f, long number, bool draft)
{
	return pr_edit(f, number, apply_draft, &draft);
}

/* Add the names not already there (case-insensitive) to a
 * NULL-terminated list. */
static int merge_names(char ***labels, size_t *nlabels, const char *const *names, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		bool has = false;
		char **nl;

		for (size_t j = 0; j < *nlabels && !has; j++)
			has = !strcasecmp((*labels)[j], names[k]);
		if (has)
			continue;
		if (!(nl = realloc(*labels, (*nlabels + 2) * sizeof *nl)))
			return da_errf(DA_ERUNTIME, "out of memory");
		*labels = nl;
		nl[*nlabels + 1] = NULL;
		if (!(nl[*nlabels] = strdup(names[k])))
			return da_errf(DA_ERUNTIME, "out of memory");
		(*nlabels)++;
	}
	return 0;
}

/* Issues and PRs share numbers and both carry labels (the failure path
 * labels its draft PR pipeline-failed). */
static int lf_add_labels(struct da_forge *f, long number, const char *const *names, size_t n)
{
	struct da_forge_issue *i = NULL;
	struct lf_pr p;
	bool found = false;
	int fd, ret = lf_lock(LF(f), &fd);

	if (ret < 0)
		return ret;
	ret = lf_issue_read(LF(f), number, &i);
	if (ret == 0 && i && (ret = merge_names(&i->labels, &i->nlabels, names, n)) == 0)
		ret = lf_issue_write(LF(f), i);
	if (ret == 0 && !i && (ret = lf_pr_read(LF(f), number, &p, &found)) == 0 && found &&
	    (ret = merge_names(&p.labels, &p.nlabels, names, n)) == 0)
		ret = lf_pr_write(LF(f), &p, false);
	if (ret == 0 && !i && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no issue or PR #%ld to label", number);
	if (found)
		lf_pr_clear(&p);
	lf_unlock(fd);
	da_forge_issue_free(i);
	return ret;
}

/* Drop the name (case-insensitive) from a NULL-terminated list. */
static void drop_name(char **labels, size_t *nlabels, const char *name)
{
	for (size_t j = 0; labels && j < *nlabels; j++) {
		if (strcasecmp(labels[j], name))
			continue;
		free(labels[j]);
		memmove(&labels[j], &labels[j + 1], (*nlabels - j) * sizeof *labels);
		(*nlabels)--;
		return;
	}
}

/* Not on the issue or PR: nothing to do, as GitHub's 404 is for us. */
static int lf_remove_label(struct da_forge *f, long number, const char *name)
{
	struct da_forge_issue *i = NULL;
	struct lf_pr p;
	bool found = false;
	int fd, ret = lf_lock(LF(f), &fd);

	if (ret < 0)
		return ret;
	ret = lf_issue_read(LF(f), number, &i);
	if (ret == 0 && i) {
		drop_name(i->labels, &i->nlabels, name);
		ret = lf_issue_write(LF(f), i);
	}
	if (ret == 0 && !i && (ret = lf_pr_read(LF(f), number, &p, &found)) == 0 && found) {
		drop_name(p.labels, &p.nlabels, name);
		ret = lf_pr_write(LF(f), &p, false);
	}
	if (ret == 0 && !i && !found)
		ret = da_errf(DA_EUSAGE, "local forge: no issue or PR #%ld to unlabel", number);
	if (found)
		lf_pr_clear(&p);
	lf_unlock(fd);
	da_forge_issue_free(i);
	return ret;
}

static int lf_list_reviews(struct da_forge *f, long number, struct da_forge_posted_review **out, size_t *n)
{
	int ret = must_exist(f, number);

	return ret < 0 ? ret : lf_reviews_read(LF(f), number, out, n);
}

int da_forge_local_init(struct da_forge *f, const struct da_forge_opts *opts)
{
	static const struct da_forge_ops ops = {
		.close = lf_close,
		.get_repo = lf_get_repo,
		.get_issue = lf_get_issue,
		.comment = lf_comment,
		.list_comments = lf_list_comments,
		.list_labels = lf_list_labels,
		.create_label = lf_create_label,
		.add_labels = lf_add_labels,
		.remove_label = lf_remove_label,
		.find_pr = lf_find_pr,
		.get_pr = lf_get_pr,
		.create_pr = lf_create_pr,
		.update_pr = lf_update_pr,
		.set_pr_draft = lf_set_pr_draft,
		.create_review = lf_create_review,
		.list_reviews = lf_list_reviews,
		.merge_pr = lf_merge_pr,
	};
	struct lf *l;
	char state[PATH_MAX];
	int ret;

	if (!opts->remote || !*opts->remote)
		return da_errf(DA_EUSAGE, "local forge: no remote (the bare repository's path)");
	if (opts->state_dir)
		ret = da_pathf(state, sizeof state, "%s", opts->state_dir);
	else
		ret = da_pathf(state, sizeof state, "%s/data/local-forge", da_home());
	if (ret < 0)
		return ret;
	if (!(l = calloc(1, sizeof *l)))
		return da_errf(DA_ERUNTIME, "out of memory");
	f->priv = l;
	f->ops = &ops;
	l->user = f->identity == DA_FORGE_REVIEWER ? LF_REVIEWER_LOGIN : LF_WRITER_LOGIN;
	if (asprintf(&l->dir, "%s/%s+%s", state, f->owner, f->name) < 0)
		l->dir = NULL;
	l->remote = strdup(opts->remote);
	if (opts->default_branch && *opts->default_branch)
		l->default_branch = strdup(opts->default_branch);
	if (!l->dir || !l->remote ||
	    (opts->default_branch && *opts->default_branch && !l->default_branch))
		return da_errf(DA_ERUNTIME, "out of memory");
	ret = da_mkdirs(l->dir);
	return ret < 0 ? da_errctx(ret, "local forge state") : 0;
}
