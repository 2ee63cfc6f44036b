/* summary.yaml of a run record: what each stage cost. */
#include "runrec.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdlib.h>
#include <string.h>

#define SUMMARY_MAX_BYTES (1024 * 1024)

void da_run_summary_free(struct da_run_summary *sum)
{
	if (!sum)
		return;
	for (size_t i = 0; i < sum->n_stages; i++)
		free(sum->stages[i].name);
	free(sum->stages);
	free(sum->task);
	free(sum);
}

int da_run_summary_add(struct da_run_summary *sum, const struct da_stage_summary *st)
{
	struct da_stage_summary *to = NULL;

	for (size_t i = 0; i < sum->n_stages; i++)
		if (!strcmp(sum->stages[i].name, st->name))
			to = &sum->stages[i];
	if (!to) {
		struct da_stage_summary *grown = realloc(sum->stages, (sum->n_stages + 1) * sizeof *grown);

		if (!grown)
			return da_errf(DA_ERUNTIME, "out of memory");
		sum->stages = grown;
		to = &grown[sum->n_stages];
		memset(to, 0, sizeof *to);
		if (!(to->name = strdup(st->name)))
			return da_errf(DA_ERUNTIME, "out of memory");
		sum->n_stages++;
	}
	to->duration_ms += st->duration_ms;
	to->turns += st->turns;
	to->tokens_in += st->tokens_in;
	to->tokens_out += st->tokens_out;
	to->tokens_cache += st->tokens_cache;
	to->cost_usd += st->cost_usd;
	to->exit_code = st->exit_code;	/* the last run's */
	to->runs += st->runs > 0 ? st->runs : 1;
	return 0;
}

void da_run_summary_totals(const struct da_run_summary *sum, struct da_stage_summary *tot)
{
	memset(tot, 0, sizeof *tot);
	tot->name = "total";
	for (size_t i = 0; i < sum->n_stages; i++) {
		const struct da_stage_summary *s = &sum->stages[i];

		tot->duration_ms += s->duration_ms;
		tot->turns += s->turns;
		tot->tokens_in += s->tokens_in;
		tot->tokens_out += s->tokens_out;
		tot->tokens_cache += s->tokens_cache;
		tot->cost_usd += s->cost_usd;
		tot->runs += s->runs;
		if (s->exit_code != 0)
			tot->exit_code = s->exit_code;
	}
}

static int read_stage(struct da_yaml_doc *d, yaml_node_t *n, struct da_stage_summary *s)
{
	long ms = 0;
	int rc;

	if ((rc = da_yaml_get_long(d, n, "duration_ms", &ms)) < 0 || (rc = da_yaml_get_long(d, n, "turns", &s->turns)) < 0 ||
	    (rc = da_yaml_get_long(d, n, "tokens_in", &s->tokens_in)) < 0 ||
	    (rc = da_yaml_get_long(d, n, "tokens_out", &s->tokens_out)) < 0 ||
	    (rc = da_yaml_get_long(d, n, "tokens_cache", &s->tokens_cache)) < 0 ||
	    (rc = da_yaml_get_double(d, n, "cost_usd", &s->cost_usd)) < 0 ||
	    (rc = da_yaml_get_long(d, n, "exit_code", &s->exit_code)) < 0 || (rc = da_yaml_get_long(d, n, "runs", &s->runs)) < 0)
		return rc;
	s->duration_ms = ms;
	return 0;
}

int da_run_summary_load(const char *task, struct da_run_summary **out)
{
	struct da_run_summary *sum = calloc(1, sizeof *sum);
	struct da_yaml_doc d;
	char dir[DA_PATH_MAX], path[DA_PATH_MAX];
	int rc;

	*out = NULL;
	memset(&d, 0, sizeof d);
	if (!sum || !(sum->task = strdup(task))) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if ((rc = da_run_dir(task, dir, sizeof dir)) < 0 || (rc = da_pathf(path, sizeof path, "%s/summary.yaml", dir)) < 0 ||
	    !da_path_exists(path) || (rc = da_yaml_load_file(&d, path, SUMMARY_MAX_BYTES)) < 0)
		goto out;
	yaml_node_t *seq = da_yaml_get(&d, da_yaml_root(&d), "stages");

	if (seq && seq->type != YAML_SEQUENCE_NODE) {
		rc = da_yaml_errat(&d, seq, "stages: expected a list");
		goto out;
	}
	for (yaml_node_item_t *it = seq ? seq->data.sequence.items.start : NULL; seq && it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(&d.doc, *it);
		struct da_stage_summary st = { .name = (char *)da_yaml_scalar(da_yaml_get(&d, n, "name")) };

		if (!st.name) {
			rc = da_yaml_errat(&d, n, "a stage needs a name");
			goto out;
		}
		if ((rc = read_stage(&d, n, &st)) < 0 || (rc = da_run_summary_add(sum, &st)) < 0)
			goto out;
	}
out:
	da_yaml_free(&d);
	if (rc < 0)
		da_run_summary_free(sum);
	else
		*out = sum;
	return rc;
}

static int write_stage(struct da_yaml_out *w, const struct da_stage_summary *s)
{
	if (da_yw_kv(w, "name", s->name) < 0 || da_yw_kv_long(w, "duration_ms", (long)s->duration_ms) < 0 ||
	    da_yw_kv_long(w, "turns", s->turns) < 0 || da_yw_kv_long(w, "tokens_in", s->tokens_in) < 0 ||
	    da_yw_kv_long(w, "tokens_out", s->tokens_out) < 0 || da_yw_kv_long(w, "tokens_cache", s->tokens_cache) < 0 ||
	    da_yw_kv_double(w, "cost_usd", s->cost_usd) < 0 || da_yw_kv_long(w, "exit_code", s->exit_code) < 0 ||
	    da_yw_kv_long(w, "runs", s->runs) < 0)
		return DA_ERUNTIME;
	return 0;
}

int da_run_summary_save(const struct da_run_summary *sum)
{
	struct da_stage_summary tot;
	struct da_yaml_out w;
	int rc = DA_ERUNTIME;

	da_run_summary_totals(sum, &tot);
	if (da_yw_begin(&w) < 0 || da_yw_kv(&w, "task", sum->task) < 0 || da_yw_str(&w, "stages") < 0 ||
	    da_yw_seq_start(&w) < 0)
		goto out;
	for (size_t i = 0; i < sum->n_stages; i++)
		if (da_yw_map_start(&w) < 0 || write_stage(&w, &sum->stages[i]) < 0 || da_yw_map_end(&w) < 0)
			goto out;
	if (da_yw_seq_end(&w) < 0 || da_yw_str(&w, "total") < 0 || da_yw_map_start(&w) < 0 ||
	    write_stage(&w, &tot) < 0 || da_yw_map_end(&w) < 0 || da_yw_end(&w) < 0)
		goto out;
	rc = da_run_write(sum->task, "summary.yaml", w.buf, w.len);
out:
	da_yw_free(&w);
	return rc;
}
