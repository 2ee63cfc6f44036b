/* forge_local_log: the local forge's labels and its appended logs
 * (comments/<n>.log, reviews/<n>.log); layout and why appends rewrite
 * atomically: see forge_local_store.c and docs/local-forge.md. */
#include "forge_local_impl.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "yamlutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static yaml_node_t *seq_item(struct da_yaml_doc *d, yaml_node_item_t *it)
{
	return yaml_document_get_node(&d->doc, *it);
}

int lf_labels_read(struct lf *l, struct da_forge_label **out, size_t *n)
{
	char path[PATH_MAX];
	struct da_yaml_doc d = { 0 };
	struct da_forge_label *v = NULL;
	yaml_node_t *seq;
	size_t cnt = 0;
	int ret = da_pathf(path, sizeof path, "%s/labels.yaml", l->dir);

	*out = NULL;
	*n = 0;
	if (ret < 0 || !da_path_exists(path))
		return ret;
	if ((ret = da_yaml_load_file(&d, path, LF_MAX_RECORD)) < 0)
		goto out;
	seq = da_yaml_root(&d) ? da_yaml_get(&d, da_yaml_root(&d), "labels") : NULL;
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		goto out;	/* no labels yet */
	v = calloc((size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) + 1,
		   sizeof *v);
	if (!v) {
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *m = seq_item(&d, it);
		struct da_forge_label *lb = &v[cnt++];

		if (!m || m->type != YAML_MAPPING_NODE) {
			ret = da_yaml_errat(&d, m ? m : seq, "a label is a mapping");
			goto out;
		}
		if ((ret = da_yaml_get_str(&d, m, "name", &lb->name)) < 0 ||
		    (ret = da_yaml_get_str(&d, m, "color", &lb->color)) < 0 ||
		    (ret = da_yaml_get_str(&d, m, "description", &lb->description)) < 0)
			goto out;
		if (!lb->name) {
			ret = da_yaml_errat(&d, m, "a label needs a name");
			goto out;
		}
		if ((!lb->color && !(lb->color = strdup("ededed"))) ||
		    (!lb->description && !(lb->description = strdup("")))) {
			ret = da_errf(DA_ERUNTIME, "out of memory");
			goto out;
		}
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	da_forge_labels_free(v, cnt);
	da_yaml_free(&d);
	return ret;
}

int lf_labels_write(struct lf *l, const struct da_forge_label *labels, size_t n)
{
	struct da_yaml_out w;
	int ret = 0;

	if (da_yw_begin(&w) < 0 || da_yw_str(&w, "labels") < 0 || da_yw_seq_start(&w) < 0)
		ret = DA_ERUNTIME;
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (da_yw_map_start(&w) < 0 || da_yw_kv(&w, "name", labels[i].name) < 0 ||
		    da_yw_kv(&w, "color", labels[i].color) < 0 ||
		    da_yw_kv(&w, "description", labels[i].description) < 0 ||
		    da_yw_map_end(&w) < 0)
			ret = DA_ERUNTIME;
	if (ret == 0 && (da_yw_seq_end(&w) < 0 || da_yw_end(&w) < 0))
		ret = DA_ERUNTIME;
	if (ret == 0)
		ret = da_write_atomic(l->dir, "labels.yaml", w.buf, w.len, DA_WRITE_REPLACE, NULL);
	else
		ret = da_errf(DA_ERUNTIME, "labels: could not write YAML");
	da_yw_free(&w);
	return ret;
}

/* Call fn for every document of a log file; a missing file has none. */
typedef int (*lf_doc_fn)(struct da_yaml_doc *d, yaml_node_t *root, void *ctx);

static int each_doc(const char *path, lf_doc_fn fn, void *ctx)
{
	yaml_parser_t parser;
	char *text = NULL;
	size_t len;
	int ret;

	if (!da_path_exists(path))
		return 0;
	if ((ret = da_read_file(path, LF_MAX_RECORD, &text, &len)) < 0)
		return ret;
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return da_errf(DA_ERUNTIME, "yaml parser: out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		struct da_yaml_doc d = { 0 };
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &d.doc)) {
			ret = da_errf(DA_ERUNTIME, "%s:%zu: %s", path,
				      parser.problem_mark.line + 1,
				      parser.problem ? parser.problem : "invalid YAML");
			break;
		}
		d.loaded = true;
		d.name = strdup(path);
		root = da_yaml_root(&d);
		if (!root) {	/* end of the stream */
			da_yaml_free(&d);
			break;
		}
		ret = root->type == YAML_MAPPING_NODE ? fn(&d, root, ctx)
						      : da_yaml_errat(&d, root, "not a mapping");
		da_yaml_free(&d);
		if (ret < 0)
			break;
	}
	yaml_parser_delete(&parser);
	free(text);
	return ret;
}

/* Add one document to a log: read, append, rewrite atomically. */
static int log_append(struct lf *l, const char *sub, long n, const struct da_yaml_out *w)
{
	char dir[PATH_MAX], path[PATH_MAX], name[48];
	char *old = NULL, *all = NULL;
	size_t oldlen = 0;
	int ret;

	snprintf(name, sizeof name, "%ld.log", n);
	if ((ret = da_pathf(dir, sizeof dir, "%s/%s", l->dir, sub)) < 0 ||
	    (ret = da_pathf(path, sizeof path, "%s/%s", dir, name)) < 0 ||
	    (ret = da_mkdirs(dir)) < 0)
		return ret;
	if (da_path_exists(path) && (ret = da_read_file(path, LF_MAX_RECORD, &old, &oldlen)) < 0)
		return ret;
	all = malloc(oldlen + w->len + 8);
	if (!all) {
		free(old);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	memcpy(all, old ? old : "", oldlen);
	memcpy(all + oldlen, "---\n", 4);
	memcpy(all + oldlen + 4, w->buf, w->len);
	ret = da_write_atomic(dir, name, all, oldlen + 4 + w->len, DA_WRITE_REPLACE, NULL);
	free(old);
	free(all);
	return ret;
}

static int count_doc(struct da_yaml_doc *d, yaml_node_t *root, void *ctx)
{
	(void)d;
	(void)root;
	(*(long *)ctx)++;
	return 0;
}

/* The next entry id of a log: entries are numbered from 1 in order. */
static int next_id(struct lf *l, const char *sub, long n, long *id)
{
	char path[PATH_MAX];
	int ret = da_pathf(path, sizeof path, "%s/%s/%ld.log", l->dir, sub, n);

	*id = 0;
	if (ret == 0)
		ret = each_doc(path, count_doc, id);
	(*id)++;
	return ret;
}

static void now_iso(char *buf, size_t size)
{
	da_utc_iso(time(NULL), buf, size);
}

int lf_comment_append(struct lf *l, long n, const char *body, long *id_out)
{
	struct da_yaml_out w;
	char now[40];
	long id;
	int ret = next_id(l, "comments", n, &id);

	if (ret < 0)
		return ret;
	now_iso(now, sizeof now);
	if (da_yw_begin(&w) < 0 || da_yw_kv_long(&w, "id", id) < 0 ||
	    da_yw_kv(&w, "time", now) < 0 || da_yw_kv(&w, "user", l->user) < 0 ||
	    da_yw_kv(&w, "body", body) < 0 || da_yw_end(&w) < 0)
		ret = da_errf(DA_ERUNTIME, "comment: could not write YAML");
	else
		ret = log_append(l, "comments", n, &w);
	da_yw_free(&w);
	if (ret == 0 && id_out)
		*id_out = id;
	return ret;
}

struct comments_acc {
	struct da_forge_comment *v;
	size_t n, cap;
	const char *url;
};

static int add_comment(struct da_yaml_doc *d, yaml_node_t *root, void *ctx)
{
	struct comments_acc *a = ctx;
	struct da_forge_comment *c;
	int ret;

	if (a->n == a->cap) {
		struct da_forge_comment *nv = realloc(a->v, (a->cap = a->cap ? a->cap * 2 : 8) *
							       sizeof *nv);
		if (!nv)
			return da_errf(DA_ERUNTIME, "out of memory");
		a->v = nv;
	}
	c = &a->v[a->n++];
	memset(c, 0, sizeof *c);
	if ((ret = da_yaml_get_long(d, root, "id", &c->id)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "body", &c->body)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "user", &c->user)) < 0)
		return ret;
	if ((!c->body && !(c->body = dup_or_empty(NULL))) ||
	    (!c->user && !(c->user = dup_or_empty(NULL))) ||
	    asprintf(&c->html_url, "%s#comment-%ld", a->url, c->id) < 0) {
		c->html_url = NULL;
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	return 0;
}

int lf_comments_read(struct lf *l, long n, struct da_forge_comment **out, size_t *count)
{
	char path[PATH_MAX];
	struct comments_acc a = { 0 };
	int ret = da_pathf(path, sizeof path, "%s/comments/%ld.log", l->dir, n);

	a.url = path;
	if (ret == 0)
		ret = each_doc(path, add_comment, &a);
	if (ret < 0) {
		da_forge_comments_free(a.v, a.n);
		return ret;
	}
	*out = a.v;
	*count = a.n;
	return 0;
}

struct reviews_acc {
	struct da_forge_posted_review *v;
	size_t n, cap;
};

static int add_review(struct da_yaml_doc *d, yaml_node_t *root, void *ctx)
{
	struct reviews_acc *a = ctx;
	struct da_forge_posted_review *r;
	int ret;

	if (a->n == a->cap) {
		struct da_forge_posted_review *nv = realloc(a->v, (a->cap = a->cap ? a->cap * 2 : 8) * sizeof *nv);

		if (!nv)
			return da_errf(DA_ERUNTIME, "out of memory");
		a->v = nv;
	}
	r = &a->v[a->n++];
	memset(r, 0, sizeof *r);
	if ((ret = da_yaml_get_long(d, root, "id", &r->id)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "body", &r->body)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "user", &r->user)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "verdict", &r->state)) < 0 ||
	    (ret = da_yaml_get_str(d, root, "commit", &r->commit_id)) < 0)
		return ret;
	if ((!r->body && !(r->body = dup_or_empty(NULL))) || (!r->user && !(r->user = dup_or_empty(NULL))) ||
	    (!r->state && !(r->state = dup_or_empty(NULL))) ||
	    (!r->commit_id && !(r->commit_id = dup_or_empty(NULL))))
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

int lf_reviews_read(struct lf *l, long n, struct da_forge_posted_review **out, size_t *count)
{
	char path[PATH_MAX];
	struct reviews_acc a = { 0 };
	int ret = da_pathf(path, sizeof path, "%s/reviews/%ld.log", l->dir, n);

	if (ret == 0)
		ret = each_doc(path, add_review, &a);
	if (ret < 0) {
		da_forge_posted_reviews_free(a.v, a.n);
		return ret;
	}
	*out = a.v;
	*count = a.n;
	return 0;
}

static const char *verdict_name(enum da_forge_verdict v)
{
	return v == DA_REVIEW_APPROVE ? "APPROVE"
	       : v == DA_REVIEW_REQUEST_CHANGES ? "REQUEST_CHANGES" : "COMMENT";
}

int lf_review_append(struct lf *l, long n, const struct da_forge_review *in,
		     const char *commit, long *id_out)
{
	struct da_yaml_out w;
	char now[40];
	long id;
	int ret = next_id(l, "reviews", n, &id), bad = 0;

	if (ret < 0)
		return ret;
	now_iso(now, sizeof now);
	bad |= da_yw_begin(&w) < 0 || da_yw_kv_long(&w, "id", id) < 0 ||
	       da_yw_kv(&w, "time", now) < 0 || da_yw_kv(&w, "user", l->user) < 0 ||
	       da_yw_kv(&w, "verdict", verdict_name(in->verdict)) < 0 ||
	       da_yw_kv(&w, "commit", commit) < 0 ||
	       da_yw_kv(&w, "body", in->body ? in->body : "") < 0 ||
	       da_yw_str(&w, "comments") < 0 || da_yw_seq_start(&w) < 0;
	for (size_t i = 0; !bad && i < in->ncomments; i++)
		bad |= da_yw_map_start(&w) < 0 || da_yw_kv(&w, "path", in->comments[i].path) < 0 ||
		       da_yw_kv_long(&w, "line", in->comments[i].line) < 0 ||
		       da_yw_kv(&w, "body", in->comments[i].body) < 0 || da_yw_map_end(&w) < 0;
	bad |= bad || da_yw_seq_end(&w) < 0 || da_yw_end(&w) < 0;
	if (bad)
		ret = da_errf(DA_ERUNTIME, "review: could not write YAML");
	else
		ret = log_append(l, "reviews", n, &w);
	da_yw_free(&w);
	if (ret == 0 && id_out)
		*id_out = id;
	return ret;
}
