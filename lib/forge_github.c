/* forge_github: GitHub REST v3 (and GitHub Enterprise, and the tests'
 * fake server) behind forge.h. Paths and bodies follow GitHub's OpenAPI
 * description; the fake server in tests/ checks every request against
 * it. */
#include "forge_impl.h"
#include "err.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gh {
	struct da_http *http;
	struct da_http *graphql;	/* lazily, for draft <-> ready */
	char *graphql_base;
	char *auth;			/* kept for the GraphQL handle; wiped */
	char *log_path;
	char *repo;			/* "/repos/owner/name", escaped */
};

#define GH(f) ((struct gh *)(f)->priv)

static void gh_close(struct da_forge *f)
{
	struct gh *g = GH(f);

	if (!g)
		return;
	da_http_free(g->http);
	da_http_free(g->graphql);
	if (g->auth) {
		explicit_bzero(g->auth, strlen(g->auth));
		free(g->auth);
	}
	free(g->graphql_base);
	free(g->log_path);
	free(g->repo);
	free(g);
	f->priv = NULL;
}

/* Run one request, build the path from a format. */
static int call(struct da_forge *f, const char *method, const json_t *body,
		struct da_http_resp *resp, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int call(struct da_forge *f, const char *method, const json_t *body,
		struct da_http_resp *resp, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof path)
		return da_errf(DA_EUSAGE, "request path too long");
	return da_forge_rest(f, GH(f)->http, method, path, body, resp);
}

static int gh_get_repo(struct da_forge *f, struct da_forge_repo **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s", GH(f)->repo);

	if (ret == 0)
		ret = r.status == 200 ? da_forge_parse_repo(r.json, out)
				      : da_forge_rest_fail(&r, "get repository");
	da_http_resp_clear(&r);
	return ret;
}

static int gh_get_issue(struct da_forge *f, long number, struct da_forge_issue **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/issues/%ld", GH(f)->repo, number);

	if (ret == 0 && r.status == 404)
		ret = 0;	/* *out stays NULL: no such issue */
	else if (ret == 0)
		ret = r.status == 200 ? da_forge_parse_issue(r.json, out)
				      : da_forge_rest_fail(&r, "get issue");
	da_http_resp_clear(&r);
	return ret;
}

/* Copy a string member of the answer to *out when out is wanted. */
static int want_str(const json_t *j, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(j, key));

	if (!out)
		return 0;
	*out = strdup(v ? v : "");
	return *out ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

static int gh_comment(struct da_forge *f, long number, const char *body, char **html_url)
{
	json_t *req = json_pack("{s:s}", "body", body);
	struct da_http_resp r;
	char path[1024], list[1100];
	int ret;

	snprintf(path, sizeof path, "%s/issues/%ld/comments", GH(f)->repo, number);
	snprintf(list, sizeof list, "%s?per_page=100", path);
	ret = da_forge_rest_post_item(f, GH(f)->http, path, req, body, list, 201, &r);
	if (ret == 0)
		ret = r.status == 201 ? want_str(r.json, "html_url", html_url)
				      : da_forge_rest_fail(&r, "comment");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_list_comments(struct da_forge *f, long number, struct da_forge_comment **out,
			     size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	snprintf(path, sizeof path, "%s/issues/%ld/comments?per_page=100", GH(f)->repo, number);
	ret = da_forge_rest_all(f, GH(f)->http, path, &all);
	if (ret == 0)
		ret = da_forge_parse_comments(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list comments") : 0;
}

static int gh_list_labels(struct da_forge *f, struct da_forge_label **out, size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	snprintf(path, sizeof path, "%s/labels?per_page=100", GH(f)->repo);
	ret = da_forge_rest_all(f, GH(f)->http, path, &all);
	if (ret == 0)
		ret = da_forge_parse_labels(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list labels") : 0;
}

/* 422 "already_exists": someone created it between our list and create. */
static bool already_exists(const struct da_http_resp *r)
{
	json_t *errs = json_object_get(r->json, "errors"), *e;
	size_t i;

	json_array_foreach(errs, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));

		if (code && !strcmp(code, "already_exists"))
			return true;
	}
	return false;
}

static int gh_create_label(struct da_forge *f, const char *name, const char *color,
			   const char *description)
{
	json_t *req = json_pack("{s:s,s:s,s:s}", "name", name, "color", color, "description",
				description);
	struct da_http_resp r;
	int ret = call(f, "POST", req, &r, "%s/labels", GH(f)->repo);

	if (ret == 0 && r.status != 201 && !(r.status == 422 && already_exists(&r)))
		ret = da_forge_rest_fail(&r, "create label");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_add_labels(struct da_forge *f, long number, const char *const *names, size_t n)
{
	json_t *arr = json_array(), *req;
	struct da_http_resp r;
	int ret;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(names[i]));
	req = json_pack("{s:o}", "labels", arr);
	ret = call(f, "POST", req, &r, "%s/issues/%ld/labels", GH(f)->repo, number);
	if (ret == 0 && r.status != 200)
		ret = da_forge_rest_fail(&r, "add labels");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

/* 404: the label is not on the issue (or not in the repository): done. */
static int gh_remove_label(struct da_forge *f, long number, const char *name)
{
	char *esc = da_forge_urlesc(name, false);
	struct da_http_resp r = { 0 };
	int ret = esc ? call(f, "DELETE", NULL, &r, "%s/issues/%ld/labels/%s", GH(f)->repo, number, esc)
		      : da_errf(DA_ERUNTIME, "out of memory");

	if (ret == 0 && r.status != 200 && r.status != 204 && r.status != 404)
		ret = da_forge_rest_fail(&r, "remove label");
	free(esc);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_list_reviews(struct da_forge *f, long number, struct da_forge_posted_review **out, size_t *n)
{
	char path[1024];
	json_t *all = NULL;
	int ret;

	snprintf(path, sizeof path, "%s/pulls/%ld/reviews?per_page=100", GH(f)->repo, number);
	if ((ret = da_forge_rest_all(f, GH(f)->http, path, &all)) == 0)
		ret = da_forge_parse_reviews(all, out, n);
	json_decref(all);
	return ret < 0 ? da_errctx(ret, "list reviews") : 0;
}

static int gh_find_pr(struct da_forge *f, const char *branch, struct da_forge_pr **out)
{
	char *owner = da_forge_urlesc(f->owner, false), *br = da_forge_urlesc(branch, false);
	struct da_http_resp r = { 0 };
	int ret;

	if (!owner || !br)
		ret = da_errf(DA_ERUNTIME, "out of memory");
	else
		ret = call(f, "GET", NULL, &r, "%s/pulls?head=%s:%s&state=open&per_page=100",
			   GH(f)->repo, owner, br);
	if (ret == 0 && (r.status != 200 || !json_is_array(r.json)))
		ret = da_forge_rest_fail(&r, "find pull request");
	else if (ret == 0 && json_array_size(r.json) > 0)
		ret = da_forge_parse_pr(json_array_get(r.json, 0), out);
	free(owner);
	free(br);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_create_pr(struct da_forge *f, const struct da_forge_pr_new *in,
			struct da_forge_pr **out)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:s,s:b}", "title", in->title, "body",
				in->body ? in->body : "", "head", in->head, "base", in->base,
				"draft", in->draft);
	struct da_http_resp r;
	int ret = call(f, "POST", req, &r, "%s/pulls", GH(f)->repo);

	if (ret == 0 && r.status == 201) {
		ret = da_forge_parse_pr(r.json, out);
	} else if (ret == 0) {
		ret = da_forge_rest_fail(&r, "create pull request");
		/* A retried POST whose first attempt got through, or a crash
		 * after creating: the open PR for this head is the answer. */
		if (r.status == 422 && strstr(da_errmsg(), "already exists") &&
		    gh_find_pr(f, in->head, out) == 0 && *out)
			ret = 0;
	}
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_update_pr(struct da_forge *f, long number, const struct da_forge_pr_update *in)
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
	ret = call(f, "PATCH", req, &r, "%s/pulls/%ld", GH(f)->repo, number);
	if (ret == 0 && r.status != 200)
		ret = da_forge_rest_fail(&r, "update pull request");
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_get_pr(struct da_forge *f, long number, struct da_forge_pr **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/pulls/%ld", GH(f)->repo, number);

	if (ret == 0)
		ret = r.status == 200 ? da_forge_parse_pr(r.json, out)
				      : da_forge_rest_fail(&r, "get pull request");
	da_http_resp_clear(&r);
	return ret;
}

/* forge.h's get_pr: a number with no PR behind it is NULL, not an error */
static int gh_get_pr_or_null(struct da_forge *f, long number, struct da_forge_pr **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/pulls/%ld", GH(f)->repo, number);

	if (ret == 0 && r.status != 404)
		ret = r.status == 200 ? da_forge_parse_pr(r.json, out)
				      : da_forge_rest_fail(&r, "get pull request");
	da_http_resp_clear(&r);
	return ret;
}

/* REST cannot change a PR's draft state; GraphQL can. */
static int gh_set_pr_draft(struct da_forge *f, long number, bool draft)
{
	static const char *const q_ready =
		"mutation($id:ID!){markPullRequestReadyForReview(input:{pullRequestId:$id})"
		"{pullRequest{isDraft}}}";
	static const char *const q_draft =
		"mutation($id:ID!){convertPullRequestToDraft(input:{pullRequestId:$id})"
		"{pullRequest{isDraft}}}";
	struct gh *g = GH(f);
	struct da_forge_pr *pr = NULL;
	struct da_http_resp r = { 0 };
	json_t *req = NULL;
	int ret = gh_get_pr(f, number, &pr);

	if (ret < 0 || pr->draft == draft)
		goto out;
	if (!pr->node_id) {
		ret = da_errf(DA_ERUNTIME, "pull request #%ld has no node_id", number);
		goto out;
	}
	if (!g->graphql) {
		struct da_http_opts o = { .base_url = g->graphql_base, .auth = g->auth,
					  .log_path = g->log_path, .flavour = DA_HTTP_GITHUB };

		if ((ret = da_http_new(&o, &g->graphql)) < 0)
			goto out;
	}
	req = json_pack("{s:s,s:{s:s}}", "query", draft ? q_draft : q_ready, "variables", "id",
			pr->node_id);
	ret = da_forge_rest(f, g->graphql, "POST", "/graphql", req, &r);
	if (ret == 0 && (r.status != 200 || json_object_get(r.json, "errors")))
		ret = da_errf(DA_ERUNTIME, "mark pull request #%ld %s: HTTP %ld%s", number,
			      draft ? "draft" : "ready", r.status,
			      json_object_get(r.json, "errors") ? ": GraphQL errors" : "");
out:
	json_decref(req);
	da_http_resp_clear(&r);
	da_forge_pr_free(pr);
	return ret;
}

static int gh_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
			    long *review_id)
{
	static const char *const events[] = { "APPROVE", "REQUEST_CHANGES", "COMMENT" };
	enum da_forge_verdict verdict;
	char *body = NULL, path[1024], list[1100];
	json_t *comments, *req;
	struct da_http_resp r;
	int ret = da_forge_self_review(f, in, &verdict, &body);

	if (ret < 0)
		return ret;
	comments = json_array();
	for (size_t i = 0; i < in->ncomments; i++)
		json_array_append_new(comments, json_pack("{s:s,s:I,s:s,s:s}", "path",
							  in->comments[i].path, "line",
							  (json_int_t)in->comments[i].line, "side",
							  "RIGHT", "body", in->comments[i].body));
	req = json_pack("{s:s,s:s,s:o}", "body", body ? body : in->body ? in->body : "", "event",
			events[verdict], "comments", comments);
	free(body);
	if (in->commit_sha)
		json_object_set_new(req, "commit_id", json_string(in->commit_sha));
	snprintf(path, sizeof path, "%s/pulls/%ld/reviews", GH(f)->repo, number);
	snprintf(list, sizeof list, "%s?per_page=100", path);
	ret = da_forge_rest_post_item(f, GH(f)->http, path, req,
				      json_string_value(json_object_get(req, "body")), list, 200, &r);
	if (ret == 0 && r.status != 200)
		ret = da_forge_rest_fail(&r, "create review");
	else if (ret == 0 && review_id)
		*review_id = (long)json_integer_value(json_object_get(r.json, "id"));
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_merge_pr(struct da_forge *f, long number, const char *title, const char *message,
		       const char *sha, enum da_forge_merge_result *result, char **sha_out)
{
	json_t *req = json_pack("{s:s}", "merge_method", "squash");
	struct da_http_resp r;
	int ret;

	if (title)
		json_object_set_new(req, "commit_title", json_string(title));
	if (message)
		json_object_set_new(req, "commit_message", json_string(message));
	if (sha)
		json_object_set_new(req, "sha", json_string(sha));
	ret = call(f, "PUT", req, &r, "%s/pulls/%ld/merge", GH(f)->repo, number);
	if (ret == 0) {
		switch (r.status) {
		case 200:
			*result = DA_MERGE_MERGED;
			ret = want_str(r.json, "sha", sha_out);
			break;
		case 405:
			*result = DA_MERGE_NOT_MERGEABLE;
			break;
		case 409:
			*result = DA_MERGE_CONFLICT;
			break;
		default:
			ret = da_forge_rest_fail(&r, "merge");
		}
	}
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_get_file(struct da_forge *f, const char *path, const char *ref,
		       struct da_forge_file **out)
{
	char *p = da_forge_urlesc(path, true), *rf = ref ? da_forge_urlesc(ref, false) : NULL;
	struct da_http_resp r = { 0 };
	int ret;

	if (!p || (ref && !rf))
		ret = da_errf(DA_ERUNTIME, "out of memory");
	else
		ret = call(f, "GET", NULL, &r, "%s/contents/%s%s%s", GH(f)->repo, p,
			   rf ? "?ref=" : "", rf ? rf : "");
	if (ret == 0 && r.status == 404)
		ret = 0;
	else if (ret == 0)
		ret = r.status == 200 ? da_forge_parse_file(r.json, out)
				      : da_forge_rest_fail(&r, "get file");
	if (ret < 0)
		da_errctx(ret, "%s", path);
	free(p);
	free(rf);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_put_file(struct da_forge *f, const char *path, const char *branch,
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
	ret = call(f, "PUT", req, &r, "%s/contents/%s", GH(f)->repo, p);
	if (ret == 0 && r.status != 200 && r.status != 201)
		ret = da_forge_rest_fail(&r, "put file");
	if (ret < 0)
		da_errctx(ret, "%s", path);
out:
	free(b64);
	free(p);
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static int gh_public_key(struct da_forge *f, struct da_forge_pubkey **out)
{
	struct da_http_resp r;
	int ret = call(f, "GET", NULL, &r, "%s/actions/secrets/public-key", GH(f)->repo);

	if (ret == 0)
		ret = r.status == 200 ? da_forge_parse_pubkey(r.json, out)
				      : da_forge_rest_fail(&r, "get Actions public key");
	da_http_resp_clear(&r);
	return ret;
}

static int gh_put_secret_sealed(struct da_forge *f, const char *name, const char *key_id,
				const char *sealed_b64)
{
	json_t *req = json_pack("{s:s,s:s}", "encrypted_value", sealed_b64, "key_id", key_id);
	char *n = da_forge_urlesc(name, false);
	struct da_http_resp r = { 0 };
	int ret = n ? call(f, "PUT", req, &r, "%s/actions/secrets/%s", GH(f)->repo, n)
		    : da_errf(DA_ERUNTIME, "out of memory");

	if (ret == 0 && r.status != 201 && r.status != 204)
		ret = da_forge_rest_fail(&r, "put Actions secret");
	free(n);
	json_decref(req);
	da_http_resp_clear(&r);
	return ret;
}

static const struct da_forge_ops github_ops = {
	.close = gh_close,
	.get_repo = gh_get_repo,
	.get_issue = gh_get_issue,
	.comment = gh_comment,
	.list_comments = gh_list_comments,
	.list_labels = gh_list_labels,
	.create_label = gh_create_label,
	.add_labels = gh_add_labels,
	.remove_label = gh_remove_label,
	.find_pr = gh_find_pr,
	.get_pr = gh_get_pr_or_null,
	.create_pr = gh_create_pr,
	.update_pr = gh_update_pr,
	.set_pr_draft = gh_set_pr_draft,
	.create_review = gh_create_review,
	.list_reviews = gh_list_reviews,
	.merge_pr = gh_merge_pr,
	.get_file = gh_get_file,
	.put_file = gh_put_file,
	.actions_public_key = gh_public_key,
	.put_secret_sealed = gh_put_secret_sealed,
};

/* GitHub Enterprise serves REST under /api/v3 and GraphQL at /api/graphql;
 * api.github.com serves both at the root. */
static char *graphql_base_for(const char *base)
{
	size_t n = strlen(base);

	if (n >= 7 && !strcmp(base + n - 7, "/api/v3"))
		return strndup(base, n - 3);
	return strdup(base);
}

int da_forge_github_init(struct da_forge *f, const struct da_forge_opts *opts)
{
	const char *env = getenv("DA_GITHUB_API");
	const char *base = env && *env ? env : opts->api_url && *opts->api_url
						      ? opts->api_url : "https://api.github.com";
	const char *token = da_forge_env_token(f->identity);
	struct gh *g = calloc(1, sizeof *g);
	char *owner = da_forge_urlesc(f->owner, false), *name = da_forge_urlesc(f->name, false);
	int ret;

	f->ops = &github_ops;
	f->priv = g;
	if (!g || !owner || !name)
		goto oom;
	if (!token) {
		ret = da_errf(DA_EUSAGE, "no GitHub token: set DA_GITHUB_TOKEN (or GH_TOKEN)");
		goto out;
	}
	if (asprintf(&g->auth, "Bearer %s", token) < 0) {
		g->auth = NULL;
		goto oom;
	}
	if (asprintf(&g->repo, "/repos/%s/%s", owner, name) < 0) {
		g->repo = NULL;
		goto oom;
	}
	g->graphql_base = graphql_base_for(base);
	g->log_path = opts->log_path ? strdup(opts->log_path) : NULL;
	if (!g->graphql_base || (opts->log_path && !g->log_path))
		goto oom;
	{
		struct da_http_opts o = { .base_url = base, .auth = g->auth,
					  .log_path = opts->log_path, .flavour = DA_HTTP_GITHUB };

		ret = da_http_new(&o, &g->http);
	}
	goto out;
oom:
	ret = da_errf(DA_ERUNTIME, "out of memory");
out:
	free(owner);
	free(name);
	return ret;
}
