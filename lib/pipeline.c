#include "pipeline.h"
#include "err.h"
#include "failmem.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool da_pipeline_paused(void)
{
	const char *file = getenv("DA_PAUSE_FILE");

	if (file && file[0])
		return da_path_exists(file);
	return da_paused();
}

size_t da_pipeline_vars(struct da_pipeline *pl, const char *gate_output, struct da_tmpl_var *vars,
			char **owned_spec, char **owned_memory, char *number_buf, size_t number_size)
{
	char path[DA_PATH_MAX];
	size_t len, n = 0;
	const char *type = pl->task->type ? pl->task->type : "feature";

	*owned_spec = NULL;
	*owned_memory = NULL;
	snprintf(number_buf, number_size, "%ld", pl->task->issue);
	/* SPEC.md from the workspace as the design stage left it; absent for bugfixes */
	if (pl->workspace && da_pathf(path, sizeof path, "%s/SPEC.md", pl->workspace) == 0 &&
	    da_path_exists(path) && da_read_file(path, 256 * 1024, owned_spec, &len) < 0)
		da_errclear();
	/* failure memory is advice: a log we cannot read must not stop the task */
	if (da_failmem_prompt(pl->project->name, DA_FAILMEM_LINES, owned_memory) < 0) {
		da_warn("failure memory: %s", da_errmsg());
		da_errclear();
	}
	vars[n++] = (struct da_tmpl_var){ "issue_number", number_buf };
	vars[n++] = (struct da_tmpl_var){ "issue_title", pl->task->title };
	vars[n++] = (struct da_tmpl_var){ "issue_body", pl->task->body };
	vars[n++] = (struct da_tmpl_var){ "spec", *owned_spec };
	vars[n++] = (struct da_tmpl_var){ "failure_memory", *owned_memory };
	vars[n++] = (struct da_tmpl_var){ "gate_output", gate_output };
	vars[n++] = (struct da_tmpl_var){ "review_findings", pl->review_findings };
	vars[n++] = (struct da_tmpl_var){ "branch", pl->branch };
	vars[n++] = (struct da_tmpl_var){ "repo", pl->project->repo };
	vars[n++] = (struct da_tmpl_var){ "commit_type", strcmp(type, "feature") ? "fix" : "feat" };
	return n;
}

static int save_state(struct da_pipeline *pl)
{
	int rc = da_run_state_save(pl->state);

	return rc < 0 ? da_errctx(rc, "saving state.yaml") : 0;
}

static int run_stage(struct da_pipeline *pl, const struct da_stage_ops *ops, size_t i)
{
	const struct da_stage *st = &pl->wf->stages[i];
	int (*fn)(struct da_pipeline *, size_t, const struct da_stage *) =
		st->kind == DA_STAGE_AGENT ? ops->agent : st->kind == DA_STAGE_GATE ? ops->gate : ops->commit;

	if (!fn)
		return da_errf(DA_ERUNTIME, "no executor for %s stages", da_stage_kind_name(st->kind));
	return fn(pl, i, st);
}

int da_pipeline_walk(struct da_pipeline *pl, const struct da_stage_ops *ops)
{
	size_t n = pl->wf->n_stages, start;
	const char **names = calloc(n ? n : 1, sizeof *names);
	int rc = 0;

	if (!names)
		return da_errf(DA_ERUNTIME, "out of memory");
	for (size_t i = 0; i < n; i++)
		names[i] = pl->wf->stages[i].name;
	start = da_run_state_resume_point(pl->state, names, n);
	for (size_t i = start; i < n && rc == 0; i++) {
		const char *name = names[i];

		/* a stage already done (resumed task) is never repeated */
		struct da_stage_state *ss = da_run_state_stage(pl->state, name);

		if (!ss) {
			rc = da_errf(DA_ERUNTIME, "out of memory");
			break;
		}
		if (ss->status == DA_ST_DONE)
			continue;
		if (da_pipeline_paused()) {
			rc = da_errf(DA_ETEMP, "paused before stage %s", name);
			break;
		}
		if ((rc = da_run_state_mark(pl->state, name, DA_ST_RUNNING, NULL, NULL)) < 0 ||
		    (rc = save_state(pl)) < 0)
			break;
		rc = run_stage(pl, ops, i);
		if (rc < 0)
			da_errctx(rc, "stage %s", name);
		/* keep the message: marking and saving may record their own */
		char *why = rc < 0 ? strdup(da_errmsg()) : NULL;
		int mrc = da_run_state_mark(pl->state, name, rc < 0 ? DA_ST_FAILED : DA_ST_DONE, NULL, why);

		if (mrc == 0)
			mrc = save_state(pl);
		if (mrc == 0 && pl->summary)
			mrc = da_run_summary_save(pl->summary);
		if (rc < 0 && why)
			da_errf(rc, "%s", why);
		else if (rc == 0)
			rc = mrc;
		free(why);
	}
	free(names);
	return rc;
}
