/* review_write: review.yaml (for programs: da-run's fix loop and PR
 * review step) and REVIEW.md (for people), both written atomically. */
#include "review.h"

#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int yaml_findings(struct da_yaml_out *w, const struct da_review *r)
{
	int rc = da_yw_str(w, "findings") | da_yw_seq_start(w);

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct da_review_finding *f = &r->findings[i];

		rc |= da_yw_map_start(w);
		rc |= da_yw_kv(w, "severity", da_review_severity_name(f->severity));
		rc |= da_yw_kv(w, "file", f->file);
		rc |= da_yw_kv_long(w, "line", f->line);
		rc |= da_yw_kv(w, "message", f->message);
		/* false: not on a diff line, so not postable as an inline comment */
		rc |= da_yw_kv_bool(w, "inline", f->inline_ok);
		rc |= da_yw_map_end(w);
	}
	return rc | da_yw_seq_end(w);
}

static int yaml_omitted(struct da_yaml_out *w, const struct da_review *r)
{
	int rc = da_yw_str(w, "omitted") | da_yw_seq_start(w);

	for (size_t i = 0; i < r->nomitted; i++) {
		rc |= da_yw_map_start(w);
		rc |= da_yw_kv(w, "path", r->omitted[i].path);
		rc |= da_yw_kv(w, "reason", r->omitted[i].reason);
		rc |= da_yw_kv_bool(w, "partial", r->omitted[i].partial);
		rc |= da_yw_map_end(w);
	}
	return rc | da_yw_seq_end(w);
}

static int write_yaml(struct da_review *r)
{
	struct da_yaml_out w;
	int rc = da_yw_begin(&w);

	rc |= da_yw_kv(&w, "verdict", da_review_verdict_name(r->verdict));
	rc |= da_yw_kv(&w, "agent_verdict", da_review_verdict_name(r->agent_verdict));
	if (r->downgrade_reason)
		rc |= da_yw_kv(&w, "downgraded", r->downgrade_reason);
	rc |= da_yw_kv(&w, "summary", r->summary);
	rc |= da_yw_kv(&w, "base", r->base_oid);
	rc |= da_yw_kv(&w, "head", r->head_oid);
	rc |= yaml_findings(&w, r);
	rc |= yaml_omitted(&w, r);
	rc |= da_yw_str(&w, "usage") | da_yw_map_start(&w);
	rc |= da_yw_kv_long(&w, "agent_runs", r->agent_runs);
	rc |= da_yw_kv_long(&w, "turns", r->turns);
	rc |= da_yw_kv_long(&w, "input_tokens", r->input_tokens);
	rc |= da_yw_kv_long(&w, "output_tokens", r->output_tokens);
	rc |= da_yw_kv_double(&w, "cost_usd", r->cost_usd);
	rc |= da_yw_map_end(&w);
	rc |= da_yw_end(&w);
	if (rc || w.failed)
		rc = da_errf(DA_ERUNTIME, "writing review.yaml: emitter failed");
	else
		rc = da_write_atomic(r->out_dir, "review.yaml", w.buf, w.len, DA_WRITE_REPLACE, NULL);
	da_yw_free(&w);
	return rc;
}

static void md_findings(FILE *f, const struct da_review *r, bool inline_ok)
{
	bool any = false;

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct da_review_finding *x = &r->findings[i];

		if (x->inline_ok != inline_ok)
			continue;
		if (!any && !inline_ok)
			fprintf(f, "\n### Not on a line of the diff (kept here, not posted inline)\n\n");
		any = true;
		if (x->line > 0)
			fprintf(f, "- **%s** `%s:%ld`: %s\n", da_review_severity_name(x->severity),
				x->file, x->line, x->message);
		else
			fprintf(f, "- **%s** `%s`: %s\n", da_review_severity_name(x->severity), x->file,
				x->message);
	}
}

static int write_md(struct da_review *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return da_errf(DA_ERUNTIME, "out of memory");
	fprintf(f, "# Review: %s\n\n", da_review_verdict_name(r->verdict));
	if (r->downgrade_reason)
		fprintf(f, "> Changed from %s: %s.\n\n", da_review_verdict_name(r->agent_verdict),
			r->downgrade_reason);
	fprintf(f, "Base `%.12s`, head `%.12s`.\n\n%s\n\n## Findings (%zu)\n\n", r->base_oid,
		r->head_oid, r->summary && r->summary[0] ? r->summary : "(no summary)", r->nfindings);
	if (!r->nfindings)
		fprintf(f, "None.\n");
	md_findings(f, r, true);
	md_findings(f, r, false);
	if (r->nomitted) {
		fprintf(f, "\n## Not shown to the reviewer in full\n\n");
		for (size_t i = 0; i < r->nomitted; i++)
			fprintf(f, "- `%s`: %s\n", r->omitted[i].path, r->omitted[i].reason);
	}
	fprintf(f, "\n---\nAgent runs %d, turns %ld, tokens in %ld / out %ld, cost %.4f USD.\n",
		r->agent_runs, r->turns, r->input_tokens, r->output_tokens, r->cost_usd);
	if (fclose(f) != 0) {
		free(buf);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	rc = da_write_atomic(r->out_dir, "REVIEW.md", buf, len, DA_WRITE_REPLACE, NULL);
	free(buf);
	return rc;
}

static char *join(const char *dir, const char *name)
{
	char path[DA_PATH_MAX];

	return da_pathf(path, sizeof path, "%s/%s", dir, name) < 0 ? NULL : strdup(path);
}

int da_review_write(struct da_review *r)
{
	int rc;

	if ((rc = da_mkdirs(r->out_dir)) < 0 || (rc = write_yaml(r)) < 0 || (rc = write_md(r)) < 0)
		return rc;
	free(r->yaml_path);
	free(r->md_path);
	r->yaml_path = join(r->out_dir, "review.yaml");
	r->md_path = join(r->out_dir, "REVIEW.md");
	return r->yaml_path && r->md_path ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

char *da_review_json(const struct da_review *r)
{
	json_t *o = json_object(), *fs = json_array();
	char *s;

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct da_review_finding *f = &r->findings[i];

		json_array_append_new(fs, json_pack("{s:s, s:s, s:I, s:s, s:b}", "severity",
						     da_review_severity_name(f->severity), "file",
						     f->file, "line", (json_int_t)f->line, "message",
						     f->message, "inline", f->inline_ok));
	}
	json_object_set_new(o, "verdict", json_string(da_review_verdict_name(r->verdict)));
	json_object_set_new(o, "agent_verdict",
			    json_string(da_review_verdict_name(r->agent_verdict)));
	json_object_set_new(o, "downgraded",
			    r->downgrade_reason ? json_string(r->downgrade_reason) : json_null());
	json_object_set_new(o, "summary", json_string(r->summary ? r->summary : ""));
	json_object_set_new(o, "findings", fs);
	json_object_set_new(o, "omitted", json_integer((json_int_t)r->nomitted));
	json_object_set_new(o, "agent_runs", json_integer(r->agent_runs));
	json_object_set_new(o, "turns", json_integer(r->turns));
	json_object_set_new(o, "cost_usd", json_real(r->cost_usd));
	json_object_set_new(o, "review_yaml", r->yaml_path ? json_string(r->yaml_path) : json_null());
	json_object_set_new(o, "review_md", r->md_path ? json_string(r->md_path) : json_null());
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	return s;
}
