/* forge_rest: what the GitHub and Gitea backends share -- requests with
 * status bookkeeping, error messages from the forge's own words, URL
 * escaping, and parsers for the JSON objects both serve in one shape. */
#include "forge_impl.h"
#include "err.h"
#include "http.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int da_forge_rest(struct da_forge *f, struct da_http *h, const char *method, const char *path,
		  const json_t *body, struct da_http_resp *resp)
{
	int ret = da_http_request(h, method, path, body, resp);

	f->status.http_status = resp->status;
	if (ret == DA_ETEMP)
		f->status.not_before = da_http_not_before(h);
	return ret;
}

int da_forge_rest_post_item(struct da_forge *f, struct da_http *h, const char *path,
			    const json_t *body, const char *text, const char *list_path, long status,
			    struct da_http_resp *resp)
{
	char marker[256];
	const char *m = text ? strstr(text, "<!-- dev-agents:") : NULL;
	const char *end = m ? strstr(m, "-->") : NULL;
	struct da_http_guard g = { list_path, marker, status };
	int ret;

	if (end && (size_t)(end + 3 - m) < sizeof marker)
		snprintf(marker, sizeof marker, "%.*s", (int)(end + 3 - m), m);
	else
		end = NULL;	/* nothing to know it by: posted plainly */
	ret = da_http_request_guarded(h, "POST", path, body, end ? &g : NULL, resp);
	f->status.http_status = resp->status;
	if (ret == DA_ETEMP)
		f->status.not_before = da_http_not_before(h);
	return ret;
}

int da_forge_rest_all(struct da_forge *f, struct da_http *h, const char *path, json_t **out)
{
	struct da_http_resp last = { 0 };
	int ret = da_http_get_all(h, path, out, &last);

	f->status.http_status = last.status;
	if (ret == DA_ETEMP)
		f->status.not_before = da_http_not_before(h);
	da_http_resp_clear(&last);
	return ret;
}

int da_forge_rest_fail(const struct da_http_resp *resp, const char *what)
{
	const char *msg = json_string_value(json_object_get(resp->json, "message"));
	json_t *errs = json_object_get(resp->json, "errors");
	/* GitHub's 422 says "Validation Failed" and puts the reason in
	 * errors[0].message (or .code: "already_exists", "invalid") */
	json_t *e0 = json_array_get(errs, 0);
	const char *detail = json_is_string(e0) ? json_string_value(e0)
						: json_string_value(json_object_get(e0, "message"));
	int cls = (resp->status == 401 || resp->status == 403 || resp->status == 404)
			  ? DA_EUSAGE : DA_ERUNTIME;

	if (!detail)
		detail = json_string_value(json_object_get(e0, "code"));
	return da_errf(cls, "%s: HTTP %ld%s%s%s%s", what, resp->status, msg ? ": " : "",
		       msg ? msg : "", detail ? ": " : "", detail ? detail : "");
}

char *da_forge_urlesc(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) || (keep_slash && *p == '/')) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* ---- parsing ---- */

/* strdup of a string member, "" for null/missing when optional. */
static int str_member(const json_t *j, const char *key, bool required, char **out)
{
	const char *v = json_string_value(json_object_get(j, key));

	*out = NULL;
	if (!v && required)
		return da_errf(DA_ERUNTIME, "forge answer lacks \"%s\"", key);
	*out = strdup(v ? v : "");
	return *out ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

static int num_member(const json_t *j, const char *key, long *out)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return da_errf(DA_ERUNTIME, "forge answer lacks \"%s\"", key);
	*out = (long)json_integer_value(v);
	return 0;
}

int da_forge_parse_repo(const json_t *j, struct da_forge_repo **out)
{
	struct da_forge_repo *r = calloc(1, sizeof *r);
	int ret;

	*out = NULL;
	if (!r)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((ret = str_member(j, "full_name", true, &r->full_name)) < 0 ||
	    (ret = str_member(j, "default_branch", true, &r->default_branch)) < 0 ||
	    (ret = str_member(j, "clone_url", false, &r->clone_url)) < 0 ||
	    (ret = str_member(j, "html_url", false, &r->html_url)) < 0) {
		da_forge_repo_free(r);
		return ret;
	}
	r->is_private = json_is_true(json_object_get(j, "private"));
	*out = r;
	return 0;
}

int da_forge_parse_issue(const json_t *j, struct da_forge_issue **out)
{
	struct da_forge_issue *i = calloc(1, sizeof *i);
	json_t *labels = json_object_get(j, "labels"), *l;
	size_t idx;
	int ret;

	*out = NULL;
	if (!i)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((ret = num_member(j, "number", &i->number)) < 0 ||
	    (ret = str_member(j, "title", true, &i->title)) < 0 ||
	    (ret = str_member(j, "body", false, &i->body)) < 0 ||
	    (ret = str_member(j, "state", true, &i->state)) < 0 ||
	    (ret = str_member(j, "html_url", false, &i->html_url)) < 0)
		goto fail;
	i->labels = calloc(json_array_size(labels) + 1, sizeof *i->labels);
	if (!i->labels)
		goto oom;
	json_array_foreach(labels, idx, l) {
		/* GitHub accepts labels as objects or plain names */
		const char *name = json_is_string(l) ? json_string_value(l)
						     : json_string_value(json_object_get(l, "name"));

		if (!name)
			continue;
		if (!(i->labels[i->nlabels] = strdup(name)))
			goto oom;
		i->nlabels++;
	}
	/* an issue that is a PR carries a pull_request object (GitHub) */
	i->is_pull_request = json_is_object(json_object_get(j, "pull_request"));
	*out = i;
	return 0;
oom:
	ret = da_errf(DA_ERUNTIME, "out of memory");
fail:
	da_forge_issue_free(i);
	return ret;
}

int da_forge_parse_pr(const json_t *j, struct da_forge_pr **out)
{
	struct da_forge_pr *p = calloc(1, sizeof *p);
	const json_t *head = json_object_get(j, "head"), *base = json_object_get(j, "base");
	const char *node = json_string_value(json_object_get(j, "node_id"));
	int ret;

	*out = NULL;
	if (!p)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((ret = num_member(j, "number", &p->number)) < 0 ||
	    (ret = str_member(j, "html_url", false, &p->html_url)) < 0 ||
	    (ret = str_member(j, "title", true, &p->title)) < 0 ||
	    (ret = str_member(j, "state", true, &p->state)) < 0 ||
	    (ret = str_member(head, "ref", true, &p->head)) < 0 ||
	    (ret = str_member(head, "sha", false, &p->head_sha)) < 0 ||
	    (ret = str_member(base, "ref", true, &p->base)) < 0) {
		da_forge_pr_free(p);
		return da_errctx(ret, "pull request");
	}
	if (node && !(p->node_id = strdup(node))) {
		da_forge_pr_free(p);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	p->draft = json_is_true(json_object_get(j, "draft"));
	/* list answers (pull-request-simple) have no "merged": merged_at
	 * says it there; where both exist, "merged" is the authority */
	p->merged = json_is_boolean(json_object_get(j, "merged"))
			    ? json_is_true(json_object_get(j, "merged"))
			    : json_is_string(json_object_get(j, "merged_at"));
	*out = p;
	return 0;
}

int da_forge_parse_labels(const json_t *array, struct da_forge_label **out, size_t *n)
{
	size_t count = json_array_size(array), idx;
	struct da_forge_label *ls = calloc(count + 1, sizeof *ls);
	json_t *l;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!json_is_array(array)) {
		free(ls);
		return da_errf(DA_ERUNTIME, "labels: not a JSON array");
	}
	if (!ls)
		return da_errf(DA_ERUNTIME, "out of memory");
	json_array_foreach(array, idx, l) {
		struct da_forge_label *x = &ls[idx];
		json_t *id = json_object_get(l, "id");

		x->id = json_is_integer(id) ? (long)json_integer_value(id) : 0;
		if ((ret = str_member(l, "name", true, &x->name)) < 0 ||
		    (ret = str_member(l, "color", false, &x->color)) < 0 ||
		    (ret = str_member(l, "description", false, &x->description)) < 0) {
			da_forge_labels_free(ls, idx + 1);
			return ret;
		}
		if (x->color[0] == '#')	/* Gitea writes "#rrggbb" */
			memmove(x->color, x->color + 1, strlen(x->color));
	}
	*out = ls;
	*n = count;
	return 0;
}

int da_forge_parse_comments(const json_t *array, struct da_forge_comment **out, size_t *n)
{
	size_t count = json_array_size(array), idx;
	struct da_forge_comment *cs;
	json_t *c;
	int ret;

	*out = NULL;
	*n = 0;
	if (!json_is_array(array))
		return da_errf(DA_ERUNTIME, "comments: not a JSON array");
	if (!(cs = calloc(count + 1, sizeof *cs)))
		return da_errf(DA_ERUNTIME, "out of memory");
	json_array_foreach(array, idx, c) {
		json_t *id = json_object_get(c, "id");

		cs[idx].id = json_is_integer(id) ? (long)json_integer_value(id) : 0;
		if ((ret = str_member(c, "body", false, &cs[idx].body)) < 0 ||
		    (ret = str_member(json_object_get(c, "user"), "login", false, &cs[idx].user)) < 0 ||
		    (ret = str_member(c, "html_url", false, &cs[idx].html_url)) < 0) {
			da_forge_comments_free(cs, idx + 1);
			return ret;
		}
	}
	*out = cs;
	*n = count;
	return 0;
}

int da_forge_parse_reviews(const json_t *array, struct da_forge_posted_review **out, size_t *n)
{
	size_t count = json_array_size(array), idx;
	struct da_forge_posted_review *rs;
	json_t *r;
	int ret;

	*out = NULL;
	*n = 0;
	if (!json_is_array(array))
		return da_errf(DA_ERUNTIME, "reviews: not a JSON array");
	if (!(rs = calloc(count + 1, sizeof *rs)))
		return da_errf(DA_ERUNTIME, "out of memory");
	json_array_foreach(array, idx, r) {
		json_t *id = json_object_get(r, "id");
		char **fields[] = { &rs[idx].body, &rs[idx].state, &rs[idx].commit_id };
		static const char *const keys[] = { "body", "state", "commit_id" };

		rs[idx].id = json_is_integer(id) ? (long)json_integer_value(id) : 0;
		ret = str_member(json_object_get(r, "user"), "login", false, &rs[idx].user);
		for (size_t k = 0; ret == 0 && k < 3; k++)
			ret = str_member(r, keys[k], false, fields[k]);
		if (ret < 0) {
			da_forge_posted_reviews_free(rs, idx + 1);
			return ret;
		}
	}
	*out = rs;
	*n = count;
	return 0;
}

int da_forge_b64decode(const char *b64, char **out, size_t *len)
{
	size_t max = strlen(b64) / 4 * 3 + 3;
	char *buf = malloc(max + 1);

	*out = NULL;
	*len = 0;
	if (!buf || sodium_init() < 0) {
		free(buf);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	if (sodium_base642bin((unsigned char *)buf, max, b64, strlen(b64), "\r\n ", len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(buf);
		return da_errf(DA_ERUNTIME, "bad base64 from the forge");
	}
	buf[*len] = '\0';
	*out = buf;
	return 0;
}

char *da_forge_b64encode(const void *data, size_t len)
{
	size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(blen);

	if (!b64 || sodium_init() < 0) {
		free(b64);
		return NULL;
	}
	return sodium_bin2base64(b64, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
}

int da_forge_parse_file(const json_t *j, struct da_forge_file **out)
{
	struct da_forge_file *file = calloc(1, sizeof *file);
	const char *content = json_string_value(json_object_get(j, "content"));
	const char *enc = json_string_value(json_object_get(j, "encoding"));
	int ret;

	*out = NULL;
	if (!file)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((ret = str_member(j, "sha", true, &file->sha)) < 0)
		goto fail;
	if (!content || (enc && strcmp(enc, "base64") != 0)) {
		/* a directory, a submodule or a file over 1 MB (encoding "none") */
		ret = da_errf(DA_ERUNTIME, "not a file with inline base64 content");
		goto fail;
	}
	if ((ret = da_forge_b64decode(content, &file->content, &file->len)) < 0)
		goto fail;
	*out = file;
	return 0;
fail:
	da_forge_file_free(file);
	return ret;
}

int da_forge_parse_pubkey(const json_t *j, struct da_forge_pubkey **out)
{
	struct da_forge_pubkey *k = calloc(1, sizeof *k);
	int ret;

	*out = NULL;
	if (!k)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((ret = str_member(j, "key_id", true, &k->key_id)) < 0 ||
	    (ret = str_member(j, "key", true, &k->key)) < 0) {
		da_forge_pubkey_free(k);
		return ret;
	}
	*out = k;
	return 0;
}
