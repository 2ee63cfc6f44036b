#include "task.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct da_task *da_task_new(void)
{
	struct da_task *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->labels = calloc(1, sizeof *t->labels);
	if (!t->labels) {
		free(t);
		return NULL;
	}
	return t;
}

static void history_entry_free(struct da_history_entry *h)
{
	free(h->at);
	free(h->from);
	free(h->to);
	free(h->by);
	free(h->why);
}

void da_task_free(struct da_task *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->project);
	free(t->repo);
	free(t->title);
	free(t->body);
	da_strlist_free(t->labels);
	free(t->type);
	free(t->enqueued_at);
	free(t->source);
	free(t->not_before);
	for (size_t i = 0; i < t->n_history; i++)
		history_entry_free(&t->history[i]);
	free(t->history);
	free(t);
}

int da_type_priority(const char *type)
{
	if (!type)
		return 0;
	if (!strcmp(type, "hotfix"))
		return DA_PRIO_HOTFIX;
	if (!strcmp(type, "bugfix"))
		return DA_PRIO_BUGFIX;
	if (!strcmp(type, "feature"))
		return DA_PRIO_FEATURE;
	return 0;
}

const char *da_priority_type(int priority)
{
	switch (priority) {
	case DA_PRIO_HOTFIX:
		return "hotfix";
	case DA_PRIO_BUGFIX:
		return "bugfix";
	default:
		return "feature";
	}
}

char *da_task_make_id(const char *project, const char *repo, long issue)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s#%ld", repo && repo[0] ? repo : project, issue);
	return strdup(buf);
}

time_t da_task_not_before(const struct da_task *t)
{
	time_t when;

	if (!t->not_before || da_parse_utc(t->not_before, &when) < 0)
		return 0;
	return when;
}

static int require(struct da_yaml_doc *d, yaml_node_t *root, const char *key, const char *value)
{
	if (!value || !value[0])
		return da_yaml_errat(d, root, "missing field \"%s\"", key);
	return 0;
}

static int read_history(struct da_yaml_doc *d, yaml_node_t *root, struct da_task *t)
{
	yaml_node_t *seq = da_yaml_get(d, root, "history");

	if (!seq)
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return da_yaml_errat(d, seq, "history: expected a list");
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);

	t->history = calloc(n ? n : 1, sizeof *t->history);
	if (!t->history)
		return da_errf(DA_ERUNTIME, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
		struct da_history_entry *h = &t->history[t->n_history++];

		if (!e || e->type != YAML_MAPPING_NODE)
			return da_yaml_errat(d, seq, "history: entry %zu is not a mapping", i + 1);
		if (da_yaml_get_str(d, e, "at", &h->at) < 0 || da_yaml_get_str(d, e, "from", &h->from) < 0 ||
		    da_yaml_get_str(d, e, "to", &h->to) < 0 || da_yaml_get_str(d, e, "by", &h->by) < 0 ||
		    da_yaml_get_str(d, e, "why", &h->why) < 0)
			return DA_EUSAGE;
	}
	return 0;
}

static int read_fields(struct da_yaml_doc *d, yaml_node_t *root, struct da_task *t)
{
	int rc;

	if (!root || root->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, root, "a task file is a mapping");
	long priority = 0;

	if ((rc = da_yaml_get_str(d, root, "id", &t->id)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "project", &t->project)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "repo", &t->repo)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "issue", &t->issue)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "title", &t->title)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "body", &t->body)) < 0 ||
	    (rc = da_yaml_get_strlist(d, root, "labels", &t->labels, &t->n_labels)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "type", &t->type)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "priority", &priority)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "enqueued_at", &t->enqueued_at)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "source", &t->source)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "attempts", &t->attempts)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "not_before", &t->not_before)) < 0 ||
	    (rc = read_history(d, root, t)) < 0)
		return rc;
	if ((rc = require(d, root, "id", t->id)) < 0 || (rc = require(d, root, "project", t->project)) < 0 ||
	    (rc = require(d, root, "title", t->title)) < 0 || (rc = require(d, root, "type", t->type)) < 0)
		return rc;
	if (da_check_project_name(t->project) < 0)
		return da_errctx(DA_EUSAGE, "%s", d->name);
	if (t->issue <= 0)
		return da_yaml_errat(d, root, "issue must be a positive number");
	if (!da_type_priority(t->type))
		return da_yaml_errat(d, root, "unknown type \"%s\"", t->type);
	if (priority < 1 || priority > 3)
		return da_yaml_errat(d, root, "priority must be 1, 2 or 3");
	t->priority = (int)priority;
	if (!t->body && !(t->body = strdup("")))
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

int da_task_parse(const char *name, const char *text, size_t len, struct da_task **out)
{
	struct da_yaml_doc d;
	struct da_task *t;
	int rc;

	*out = NULL;
	rc = da_yaml_load(&d, name, text, len);
	if (rc < 0) {
		da_yaml_free(&d);
		return rc;
	}
	t = da_task_new();
	if (!t) {
		da_yaml_free(&d);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	rc = read_fields(&d, da_yaml_root(&d), t);
	da_yaml_free(&d);
	if (rc < 0) {
		da_task_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int da_task_read(const char *path, struct da_task **out)
{
	char *text;
	size_t len;
	int rc = da_read_file(path, DA_TASK_MAX_BYTES, &text, &len);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = da_task_parse(path, text, len, out);
	free(text);
	return rc;
}

static int write_history(struct da_yaml_out *w, const struct da_task *t)
{
	if (da_yw_str(w, "history") < 0 || da_yw_seq_start(w) < 0)
		return DA_ERUNTIME;
	for (size_t i = 0; i < t->n_history; i++) {
		const struct da_history_entry *h = &t->history[i];

		if (da_yw_map_start(w) < 0 || da_yw_kv(w, "at", h->at) < 0 || da_yw_kv(w, "from", h->from) < 0 ||
		    da_yw_kv(w, "to", h->to) < 0 || da_yw_kv(w, "by", h->by) < 0 ||
		    da_yw_kv(w, "why", h->why) < 0 || da_yw_map_end(w) < 0)
			return DA_ERUNTIME;
	}
	return da_yw_seq_end(w);
}

int da_task_serialize(const struct da_task *t, char **out, size_t *len)
{
	struct da_yaml_out w;
	int rc = DA_ERUNTIME;

	*out = NULL;
	if (da_yw_begin(&w) < 0 || da_yw_kv(&w, "id", t->id) < 0 || da_yw_kv(&w, "project", t->project) < 0 ||
	    da_yw_kv(&w, "repo", t->repo) < 0 || da_yw_kv_long(&w, "issue", t->issue) < 0 ||
	    da_yw_kv(&w, "title", t->title) < 0 || da_yw_kv(&w, "body", t->body ? t->body : "") < 0 ||
	    da_yw_kv_list(&w, "labels", t->labels, t->n_labels) < 0 || da_yw_kv(&w, "type", t->type) < 0 ||
	    da_yw_kv_long(&w, "priority", t->priority) < 0 ||
	    da_yw_kv(&w, "enqueued_at", t->enqueued_at) < 0 || da_yw_kv(&w, "source", t->source) < 0 ||
	    da_yw_kv_long(&w, "attempts", t->attempts) < 0)
		goto out;
	if (t->not_before && da_yw_kv(&w, "not_before", t->not_before) < 0)
		goto out;
	if (write_history(&w, t) < 0 || da_yw_end(&w) < 0)
		goto out;
	*out = w.buf;
	*len = w.len;
	w.buf = NULL;
	rc = 0;
out:
	da_yw_free(&w);
	return rc;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int da_task_add_history(struct da_task *t, const char *from, const char *to, const char *why)
{
	char at[32], by[128];
	struct da_history_entry *nh = realloc(t->history, (t->n_history + 1) * sizeof *nh);

	if (!nh)
		return da_errf(DA_ERUNTIME, "out of memory");
	t->history = nh;
	da_utc_iso(time(NULL), at, sizeof at);
	snprintf(by, sizeof by, "%s[%ld]", da_progname(), (long)getpid());
	struct da_history_entry *h = &nh[t->n_history];

	h->at = strdup(at);
	h->from = dup_or_empty(from);
	h->to = dup_or_empty(to);
	h->by = strdup(by);
	h->why = dup_or_empty(why);
	if (!h->at || !h->from || !h->to || !h->by || !h->why) {
		history_entry_free(h);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	t->n_history++;
	return 0;
}
