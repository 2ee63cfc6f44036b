/* pipeline_deliver: the post-pipeline steps after the workflow's walk.
 * Each is a named entry in state.yaml, marked running before and done or
 * failed after, so a task picked up again skips what is done. */
#include "pipeline.h"
#include "err.h"
#include "fsutil.h"
#include "git.h"
#include "log.h"
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_REBASE "rebase"

static int mark(struct da_pipeline *pl, const char *step, int status, const char *why)
{
	int rc = da_run_state_mark(pl->state, step, status, NULL, why);

	if (rc == 0)
		rc = da_run_state_save(pl->state);
	return rc < 0 ? da_errctx(rc, "saving state.yaml") : 0;
}

/* "  path\n" per file, for a prompt or an error message. */
static char *path_list(const struct da_git_paths *p)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < p->n; i++)
		len += strlen(p->paths[i]) + 3;
	if (!(out = calloc(1, len)))
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		strcat(out, "  ");
		strcat(out, p->paths[i]);
		strcat(out, "\n");
	}
	return out;
}

/* The workflow's last gate stage: what verifies the branch as a whole. */
static const struct da_stage *last_gate(const struct da_pipeline *pl, size_t *index)
{
	for (size_t i = pl->wf->n_stages; i-- > 0;)
		if (pl->wf->stages[i].kind == DA_STAGE_GATE) {
			*index = i;
			return &pl->wf->stages[i];
		}
	return NULL;
}

/* Conflicts: the branch's whole change is laid onto `onto` with conflict
 * markers, the implementer resolves them once; anything still marked
 * means the attempt is undone (kept as a salvage ref) and the task fails. */
static int resolve_conflicts(struct da_pipeline *pl, struct da_git *g, const char *onto,
			     const struct da_git_paths *first)
{
	struct da_git_paths conflicts = { 0 }, left = { 0 };
	char prompt[DA_PATH_MAX], *list = NULL, *text = NULL;
	int rc;

	if ((rc = da_git_restack(g, onto, &conflicts)) < 0)
		goto out;
	list = path_list(conflicts.n ? &conflicts : first);
	if (!list || da_pathf(prompt, sizeof prompt, "%s/prompts/resolve-conflicts.md", da_workflows_dir()) < 0 ||
	    asprintf(&text, "Conflicting files:\n%s", list) < 0) {
		text = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = da_pipeline_agent(pl, pl->wf->n_stages, STEP_REBASE, "implementer", prompt, text, 1);
	if (rc == 0 && (rc = da_git_unresolved(g, &conflicts, &left)) == 0 && left.n == 0)
		rc = da_git_commit_all(g, "merge: resolve conflicts with the default branch", NULL, NULL, NULL);
	if (rc == 0 && left.n == 0)
		goto out;
	if (rc == DA_ETEMP)
		goto out;
	/* keep the attempt, go back to the branch as it was */
	char *why = strdup(rc < 0 ? da_errmsg() : "conflict markers left");
	char *files = path_list(left.n ? &left : &conflicts);

	if (da_git_restack_abort(g, NULL) < 0)
		da_warn("restack abort: %s", da_errmsg());
	rc = da_errf(DA_ERUNTIME, "rebase onto %s: conflicts not resolved (%s) in:\n%s", onto,
		     why ? why : "failed", files ? files : "");
	free(why);
	free(files);
out:
	free(list);
	free(text);
	da_git_paths_clear(&conflicts);
	da_git_paths_clear(&left);
	return rc;
}

static int rebase_step(struct da_pipeline *pl)
{
	struct da_git *g = NULL;
	struct da_git_paths conflicts = { 0 };
	char onto[512];
	bool rebased = false;
	size_t gi = 0;
	const struct da_stage *gate = last_gate(pl, &gi);
	int rc;

	snprintf(onto, sizeof onto, "origin/%s", pl->project->default_branch);
	if ((rc = da_git_open(pl->workspace, &g)) < 0 || (rc = da_git_salvage(g, STEP_REBASE, NULL, NULL)) < 0 ||
	    (rc = da_git_fetch(g, NULL)) < 0)
		goto out;
	rc = da_git_rebase(g, onto, NULL, &conflicts, &rebased);
	if (rc < 0 && conflicts.n) {
		da_errclear();
		if ((rc = resolve_conflicts(pl, g, onto, &conflicts)) == 0)
			rebased = true;
	}
	/* the default branch moved under the change: verify the result again */
	if (rc == 0 && rebased && gate)
		rc = da_pipeline_gates(pl, gi, gate);
out:
	da_git_paths_clear(&conflicts);
	da_git_free(g);
	return rc;
}

static int step(struct da_pipeline *pl, const char *name, int (*fn)(struct da_pipeline *))
{
	struct da_stage_state *ss = da_run_state_stage(pl->state, name);
	int rc;

	if (!ss)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (ss->status == DA_ST_DONE)
		return 0;
	if (da_pipeline_paused())
		return da_errf(DA_ETEMP, "paused before step %s", name);
	if ((rc = mark(pl, name, DA_ST_RUNNING, NULL)) < 0)
		return rc;
	if ((rc = fn(pl)) < 0) {
		char *why = strdup(da_errmsg());

		(void)mark(pl, name, DA_ST_FAILED, why);
		da_errf(rc, "step %s: %s", name, why ? why : "failed");
		free(why);
	} else {
		rc = mark(pl, name, DA_ST_DONE, NULL);
	}
	if (pl->summary && da_run_summary_save(pl->summary) < 0)
		da_errclear(); /* a report only */
	return rc;
}

int da_pipeline_deliver(struct da_pipeline *pl)
{
	return step(pl, STEP_REBASE, rebase_step);
}
