/* forge_gitea: Gitea API v1 behind forge.h. Where Gitea differs from
 * GitHub: labels are added by id, reviews say APPROVED and place inline
 * comments with new_position, merge is POST {Do: squash} and returns no
 * sha, drafts are a "WIP: " title prefix, file creation is POST and
 * update PUT, and Actions secrets are stored plain (no sealing). */
#include "forge_impl.h"
#include "err.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WIP "WIP: "

struct gt {
	struct da_http *http;
	char *repo;	/* "/repos/owner/name", escaped */
};

#define GT(f) ((struct gt *)(f)->priv)

static void gt_close(struct da_forge *f)
{
	struct gt *g = GT(f);

	if (!g)
		return;
	da_http_free(g->http);
	free(g->repo);
	free(g);
	f->priv = NULL;
}

static int call(struct da_forge *f, const char *method, const json_t *body,
		struct da_http_resp *resp, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int call(struct da_forge *f, const char *method, const json_t *body,
		struct da_http_resp *resp, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	int n;

	memset(resp, 0, sizeof *resp);
	va_start(ap, fmt);
	n = vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof path)
		return da_errf(DA_EUSAGE, "request path too long");
	return da_forge_rest(f, GT(f)->http, method, path, body, resp);
}

/* Most answers: expect one status, parse or fail. */
static int expect(int ret, const struct da_http_resp *r, long want, const char *what)
{
	if (ret < 0 || r->status == want)
		return ret;
	return da_forge_rest_fail(r, what);
}

static int gt_get_repo(struct da_forge *f, struct da_forge_repo **out)
{
	struct da_http_resp r;
	int ret = expect(call(f, "GET", NULL, &r, "%s", GT(f)->repo), &r, 200, "get repository");

	if (ret == 0)
		ret = da_forge_parse_repo(r.json, out);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_get_issue(struct da_forge *f, long number, struct da_forge_issue **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/issues/%ld", GT(f)->repo, number);

	if (ret == 0 && r.status != 404)
		ret = r.status == 200 ? da_forge_parse_issue(r.json, out)
				      : da_forge_rest_fail(&r, "get issue");
	da_http_resp_clear(&r);
	return ret;
}

static int gt_comment(struct da_forge *f, long number, const char *body, char **html_url)
{
	json_t *req = json_pack("{s:s}", "body", body);
	struct da_http_resp r = { 0 };
	char path[1024];
	int ret;

	/* the comment list comes whole: it is its own list path */
	snprintf(path, sizeof path, "%s/issues/%ld/comments", GT(f)->repo, number);
	ret = expect(da_forge_rest_post_item(f, GT(f)->http, path, req, body, path, 201, &r), &r, 201,
		     "comment");

	if (ret == 0 && html_url) {
		const char *u = json_string_value(json_object_get(r.json, "html_url"));

		if (!(*html_url = strdup(u ? u : "")))
			ret = da_errf(DA_ERUNTIME, "out of memory");
	}
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_list_comments(struct da_forge *f, long number, struct da_forge_comment **out,
			     size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	/* Gitea answers this list whole (no paging parameters) */
	snprintf(path, sizeof path, "%s/issues/%ld/comments", GT(f)->repo, number);
	ret = da_forge_rest_all(f, GT(f)->http, path, &all);
	if (ret == 0)
		ret = da_forge_parse_comments(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list comments") : 0;
}

static int gt_list_labels(struct da_forge *f, struct da_forge_label **out, size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	snprintf(path, sizeof path, "%s/labels?limit=50", GT(f)->repo);
	ret = da_forge_rest_all(f, GT(f)->http, path, &all);
	if (ret == 0)
		ret = da_forge_parse_labels(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list labels") : 0;
}

static int gt_create_label(struct da_forge *f, const char *name, const char *color,
			   const char *description)
{
	char hex[16];
	json_t *req;
	struct da_http_resp r;
	int ret;

	snprintf(hex, sizeof hex, "#%.6s", color);
	req = json_pack("{s:s,s:s,s:s}", "name", name, "color", hex, "description", description);
	ret = expect(call(f, "POST", req, &r, "%s/labels", GT(f)->repo), &r, 201, "create label");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

/* Gitea adds labels by id: resolve the names first. */
static int gt_add_labels(struct da_forge *f, long number, const char *const *names, size_t n)
{
	struct da_forge_label *labels = NULL;
	size_t nl = 0;
	json_t *ids = json_array(), *req = NULL;
	struct da_http_resp r = { 0 };
	int ret = gt_list_labels(f, &labels, &nl);

	for (size_t i = 0; ret == 0 && i < n; i++) {
		size_t k = 0;

		while (k < nl && strcasecmp(labels[k].name, names[i]) != 0)
			k++;
		if (k == nl)
			ret = da_errf(DA_EUSAGE, "add labels: no label '%s' in the repository",
				      names[i]);
		else
			json_array_append_new(ids, json_integer(labels[k].id));
	}
	if (ret == 0) {
		req = json_pack("{s:O}", "labels", ids);
		ret = expect(call(f, "POST", req, &r, "%s/issues/%ld/labels", GT(f)->repo, number),
			     &r, 200, "add labels");
	}
	da_forge_labels_free(labels, nl);
	json_decref(ids);
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

/* Gitea removes labels by id; a label the repository lacks is not on
 * the issue either, and 404 means it was not on the issue: done. */
static int gt_remove_label(struct da_forge *f, long number, const char *name)
{
	struct da_forge_label *labels = NULL;
	size_t nl = 0, k = 0;
	struct da_http_resp r = { 0 };
	int ret = gt_list_labels(f, &labels, &nl);

	while (ret == 0 && k < nl && strcasecmp(labels[k].name, name) != 0)
		k++;
	if (ret == 0 && k < nl) {
		ret = call(f, "DELETE", NULL, &r, "%s/issues/%ld/labels/%ld", GT(f)->repo, number, labels[k].id);
		if (ret == 0 && r.status != 204 && r.status != 200 && r.status != 404)
			ret = da_forge_rest_fail(&r, "remove label");
	}
	da_forge_labels_free(labels, nl);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_list_reviews(struct da_forge *f, long number, struct da_forge_posted_review **out, size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	snprintf(path, sizeof path, "%s/pulls/%ld/reviews?limit=50", GT(f)->repo, number);
	if ((ret = da_forge_rest_all(f, GT(f)->http, path, &all)) == 0)
		ret = da_forge_parse_reviews(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list reviews") : 0;
}

/* Gitea keeps drafts as a "WIP: " title prefix. */
static int parse_pr(const json_t *j, struct da_forge_pr **out)
{
	int ret = da_forge_parse_pr(j, out);

	if (ret == 0 && !strncasecmp((*out)->title, WIP, strlen(WIP)))
		(*out)->draft = true;
	return ret;
}

/* A head branch in this repository. A fork's branch may bear the same
 * name (ours are predictable): taking its PR for the task's would have the
 * reviewer approve, and the writer merge, a stranger's code. Gitea's
 * list cannot filter by head repository, so we check; a deleted fork's
 * PR has no head repo and is not ours either. */
static bool head_is_ours(const struct da_forge *f, const json_t *head)
{
	const char *full = json_string_value(json_object_get(json_object_get(head, "repo"), "full_name"));
	size_t n = strlen(f->owner);

	return full && !strncasecmp(full, f->owner, n) && full[n] == '/' && !strcasecmp(full + n + 1, f->name);
}

static int gt_find_pr(struct da_forge *f, const char *branch, struct da_forge_pr **out)
{
	char path[1024];
	json_t *all = NULL, *p;
	size_t i;
	int ret;

	/* no head filter in the API: list the open ones and pick */
	snprintf(path, sizeof path, "%s/pulls?state=open&limit=50", GT(f)->repo);
	ret = da_forge_rest_all(f, GT(f)->http, path, &all);
	json_array_foreach(all, i, p) {
		const json_t *head = json_object_get(p, "head");
		const char *ref = json_string_value(json_object_get(head, "ref"));

		if (ret == 0 && ref && !strcmp(ref, branch) && head_is_ours(f, head)) {
			ret = parse_pr(p, out);
			break;
		}
	}
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "find pull request") : 0;
}

static int gt_create_pr(struct da_forge *f, const struct da_forge_pr_new *in,
			struct da_forge_pr **out)
{
	char *title = NULL;
	json_t *req = NULL;
	struct da_http_resp r = { 0 };
	int ret;

	if (asprintf(&title, "%s%s", in->draft ? WIP : "", in->title) < 0)
		return da_errf(DA_ERUNTIME, "out of memory");
	req = json_pack("{s:s,s:s,s:s,s:s}", "title", title, "body", in->body ? in->body : "",
			"head", in->head, "base", in->base);
	ret = expect(call(f, "POST", req, &r, "%s/pulls", GT(f)->repo), &r, 201,
		     "create pull request");
	if (ret == 0)
		ret = parse_pr(r.json, out);
	/* 409: one is open for this head already (a retried POST, a crash
	 * after creating): that one is the answer */
	else if (r.status == 409 && gt_find_pr(f, in->head, out) == 0 && *out)
		ret = 0;
	free(title);
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_update_pr(struct da_forge *f, long number, const struct da_forge_pr_update *in)
{
	json_t *req = json_object();
	struct da_http_resp r;
	int ret;

	if (in->title)
		json_object_set_new(req, "title", json_string(in->title));
	if (in->body)
		json_object_set_new(req, "body", json_string(in->body));
	if (in->state)
		json_object_set_new(req, "state", json_string(in->state));
	ret = expect(call(f, "PATCH", req, &r, "%s/pulls/%ld", GT(f)->repo, number), &r, 201,
		     "update pull request");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_get_pr(struct da_forge *f, long number, struct da_forge_pr **out)
{
	struct da_http_resp r;
	int ret = expect(call(f, "GET", NULL, &r, "%s/pulls/%ld", GT(f)->repo, number), &r, 200,
			 "get pull request");

	if (ret == 0)
		ret = parse_pr(r.json, out);
	da_http_resp_clear(&r);
	return ret;
}

/* forge.h's get_pr: a number with no PR behind it is NULL, not an error */
static int gt_get_pr_or_null(struct da_forge *f, long number, struct da_forge_pr **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/pulls/%ld", GT(f)->repo, number);

	if (ret == 0 && r.status != 404)
		ret = r.status == 200 ? parse_pr(r.json, out) : da_forge_rest_fail(&r, "get pull request");
	da_http_resp_clear(&r);
	return ret;
}

static int gt_set_pr_draft(struct da_forge *f, long number, bool draft)
{
	struct da_forge_pr *pr = NULL;
	char *title = NULL;
	int ret = gt_get_pr(f, number, &pr);

	if (ret < 0 || pr->draft == draft)
		goto out;
	if (draft ? asprintf(&title, WIP "%s", pr->title) < 0
		  : !(title = strdup(pr->title + strlen(WIP)))) {
		title = NULL;
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	ret = gt_update_pr(f, number, &(struct da_forge_pr_update){ .title = title });
out:
	free(title);
	da_forge_pr_free(pr);
	return ret;
}

static int gt_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
			    long *review_id)
{
	static const char *const events[] = { "APPROVED", "REQUEST_CHANGES", "COMMENT" };
	enum da_forge_verdict verdict;
	char *body = NULL, path[1024], list[1100];
	json_t *comments, *req;
	struct da_http_resp r = { 0 };
	int ret = da_forge_self_review(f, in, &verdict, &body);

	if (ret < 0)
		return ret;
	comments = json_array();
	for (size_t i = 0; i < in->ncomments; i++)
		json_array_append_new(comments, json_pack("{s:s,s:s,s:I}", "path",
							  in->comments[i].path, "body",
							  in->comments[i].body, "new_position",
							  (json_int_t)in->comments[i].line));
	req = json_pack("{s:s,s:s,s:o}", "event", events[verdict], "body",
			body ? body : in->body ? in->body : "", "comments", comments);
	free(body);
	if (in->commit_sha)
		json_object_set_new(req, "commit_id", json_string(in->commit_sha));
	snprintf(path, sizeof path, "%s/pulls/%ld/reviews", GT(f)->repo, number);
	snprintf(list, sizeof list, "%s?limit=50", path);
	ret = expect(da_forge_rest_post_item(f, GT(f)->http, path, req,
					     json_string_value(json_object_get(req, "body")), list, 200, &r),
		     &r, 200, "create review");
	if (ret == 0 && review_id)
		*review_id = (long)json_integer_value(json_object_get(r.json, "id"));
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gt_merge_pr(struct da_forge *f, long number, const char *title, const char *message,
		       const char *sha, enum da_forge_merge_result *result, char **sha_out)
{
	json_t *req = json_pack("{s:s}", "Do", "squash");
	struct da_http_resp r;
	int ret;

	if (title)
		json_object_set_new(req, "MergeTitleField", json_string(title));
	if (message)
		json_object_set_new(req, "MergeMessageField", json_string(message));
	if (sha)
		json_object_set_new(req, "head_commit_id", json_string(sha));
	ret = call(f, "POST", req, &r, "%s/pulls/%ld/merge", GT(f)->repo, number);
	json_decref(req);
	if (ret == 0 && r.status == 405)
		*result = DA_MERGE_NOT_MERGEABLE;
	else if (ret == 0 && r.status == 409)
		*result = DA_MERGE_CONFLICT;
	else if (ret == 0 && r.status != 200)
		ret = da_forge_rest_fail(&r, "merge");
	else if (ret == 0)
		*result = DA_MERGE_MERGED;
	da_http_resp_clear(&r);
	if (ret == 0 && *result == DA_MERGE_MERGED && sha_out) {
		/* the merge answer is empty: the commit is on the PR */
		ret = call(f, "GET", NULL, &r, "%s/pulls/%ld", GT(f)->repo, number);
		if (ret == 0) {
			const char *s = json_string_value(json_object_get(r.json,
									  "merge_commit_sha"));

			if (!(*sha_out = strdup(s ? s : "")))
				ret = da_errf(DA_ERUNTIME, "out of memory");
		}
		da_http_resp_clear(&r);
	}
	return ret;
}

static int gt_get_file(struct da_forge *f, const char *path, const char *ref,
		       struct da_forge_file **out)
{
	char *p = da_forge_urlesc(path, true), *rf = ref ? da_forge_urlesc(ref, false) : NULL;
	struct da_http_resp r = { 0 };
	int ret = !p || (ref && !rf) ? da_errf(DA_ERUNTIME, "out of memory")
				     : call(f, "GET", NULL, &r, "%s/contents/%s%s%s", GT(f)->repo,
					    p, rf ? "?ref=" : "", rf ? rf : "");

	if (ret == 0 && r.status != 404)
		ret = r.status == 200 ? da_forge_parse_file(r.json, out)
				      : da_forge_rest_fail(&r, "get file");
	free(p);
	free(rf);
	da_http_resp_clear(&r);
	return ret < 0 ? da_errctx(ret, "%s", path) : 0;
}

static int gt_put_file(struct da_forge *f, const char *path, const char *branch,
		       const char *message, const void *content, size_t len, const char *sha)
{
	char *b64 = da_forge_b64encode(content ? content : "", len);
	char *p = da_forge_urlesc(path, true);
	json_t *req = b64 ? json_pack("{s:s,s:s}", "message", message, "content", b64) : NULL;
	struct da_http_resp r = { 0 };
	int ret;

	if (!req || !p) {
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if (sha)
		json_object_set_new(req, "sha", json_string(sha));
	if (branch)
		json_object_set_new(req, "branch", json_string(branch));
	/* create is POST (201), update is PUT (200) */
	ret = expect(call(f, sha ? "PUT" : "POST", req, &r, "%s/contents/%s", GT(f)->repo, p), &r,
		     sha ? 200 : 201, "put file");
out:
	free(b64);
	free(p);
	json_decref(req);
	da_http_resp_clear(&r);
	return ret < 0 ? da_errctx(ret, "%s", path) : 0;
}

static int gt_put_secret_plain(struct da_forge *f, const char *name, const char *value)
{
	json_t *req = json_pack("{s:s}", "data", value);
	char *n = da_forge_urlesc(name, false);
	struct da_http_resp r = { 0 };
	int ret = n ? call(f, "PUT", req, &r, "%s/actions/secrets/%s", GT(f)->repo, n)
		    : da_errf(DA_ERUNTIME, "out of memory");

	if (ret == 0 && r.status != 201 && r.status != 204)
		ret = da_forge_rest_fail(&r, "put Actions secret");
	free(n);
	/* the request held the plain value: wipe it before freeing */
	json_t *v = json_object_get(req, "data");

	if (v)
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static const struct da_forge_ops gitea_ops = {
	.close = gt_close,
	.get_repo = gt_get_repo,
	.get_issue = gt_get_issue,
	.comment = gt_comment,
	.list_comments = gt_list_comments,
	.list_labels = gt_list_labels,
	.create_label = gt_create_label,
	.add_labels = gt_add_labels,
	.remove_label = gt_remove_label,
	.find_pr = gt_find_pr,
	.get_pr = gt_get_pr_or_null,
	.create_pr = gt_create_pr,
	.update_pr = gt_update_pr,
	.set_pr_draft = gt_set_pr_draft,
	.create_review = gt_create_review,
	.list_reviews = gt_list_reviews,
	.merge_pr = gt_merge_pr,
	.get_file = gt_get_file,
	.put_file = gt_put_file,
	.put_secret_plain = gt_put_secret_plain,
};

int da_forge_gitea_init(struct da_forge *f, const struct da_forge_opts *opts)
{
	const char *env = getenv("DA_GITEA_API");
	const char *root = env && *env ? env : opts->api_url;
	const char *token = da_forge_env_token(f->identity);
	struct gt *g = calloc(1, sizeof *g);
	char *owner = da_forge_urlesc(f->owner, false), *name = da_forge_urlesc(f->name, false);
	char *base = NULL, *auth = NULL;
	int ret;

	f->ops = &gitea_ops;
	f->priv = g;
	if (!g || !owner || !name)
		goto oom;
	if (!root || !*root) {
		ret = da_errf(DA_EUSAGE, "gitea forge: set api_url (the server's address)");
		goto out;
	}
	if (!token) {
		ret = da_errf(DA_EUSAGE, "no Gitea token: set DA_GITHUB_TOKEN (or GH_TOKEN)");
		goto out;
	}
	if (asprintf(&base, "%s/api/v1", root) < 0)
		base = NULL;
	if (asprintf(&auth, "token %s", token) < 0)
		auth = NULL;
	if (asprintf(&g->repo, "/repos/%s/%s", owner, name) < 0)
		g->repo = NULL;
	if (!base || !auth || !g->repo)
		goto oom;
	/* "https://host/" + "/api/v1": drop the doubled slash */
	size_t n = strlen(root);

	if (n > 0 && root[n - 1] == '/')
		memmove(base + n - 1, base + n, strlen(base + n) + 1);
	{
		struct da_http_opts o = { .base_url = base, .auth = auth,
					  .log_path = opts->log_path, .flavour = DA_HTTP_PLAIN };

		ret = da_http_new(&o, &g->http);
	}
	goto out;
oom:
	ret = da_errf(DA_ERUNTIME, "out of memory");
out:
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(base);
	free(owner);
	free(name);
	return ret;
}
