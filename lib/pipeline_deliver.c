/* pipeline_deliver: the post-pipeline steps after the workflow's walk.
 * Each is a named entry in state.yaml, marked running before and done or
 * failed after, so a task picked up again skips what is done. */
#include "pipeline.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "git.h"
#include "review.h"
#include "log.h"
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP_REBASE "rebase"
#define STEP_REVIEW "review"
#define STEP_PUSH "push"
#define CONTEXT_MAX (256 * 1024)

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

#define RESTACK_PENDING "restack-pending"

/* restack-pending in the run record while a conflict resolution is laid
 * out in the workspace: a run that stops inside it (paused, usage window,
 * crash) must not salvage the markers into a commit and push them. */
static int restack_mark(struct da_pipeline *pl, bool pending)
{
	char path[DA_PATH_MAX];
	int rc;

	if (pending)
		return da_run_write(pl->run_key, RESTACK_PENDING, "1\n", 2);
	if ((rc = da_pathf(path, sizeof path, "%s/" RESTACK_PENDING, pl->run_dir)) < 0)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "remove %s: %s", path, strerror(errno));
	return 0;
}

/* A resolution left half done by an earlier run: back to the branch as it
 * was (the attempt kept at refs/dev-agents/restack-attempt/), so the
 * rebase starts over. */
static int restack_recover(struct da_pipeline *pl, struct da_git *g)
{
	char path[DA_PATH_MAX];
	int rc;

	if ((rc = da_pathf(path, sizeof path, "%s/" RESTACK_PENDING, pl->run_dir)) < 0 || !da_path_exists(path))
		return rc;
	da_warn("an earlier conflict resolution did not finish: starting the rebase over");
	if ((rc = da_git_restack_abort(g, NULL)) < 0)
		return da_errctx(rc, "undo the unfinished conflict resolution");
	return restack_mark(pl, false);
}

/* Conflicts: the branch's whole change is laid onto `onto` with conflict
 * markers, the implementer resolves them once; anything still marked
 * means the attempt is undone (kept as a salvage ref) and the task fails.
 * Stopped in between (DA_ETEMP) it is undone too, and done again later. */
static int resolve_conflicts(struct da_pipeline *pl, struct da_git *g, const char *onto,
			     const struct da_git_paths *first, const char *stage)
{
	struct da_git_paths conflicts = { 0 }, left = { 0 };
	char prompt[DA_PATH_MAX], *list = NULL, *text = NULL;
	int rc;

	if ((rc = restack_mark(pl, true)) < 0 || (rc = da_git_restack(g, onto, &conflicts)) < 0)
		goto out;
	list = path_list(conflicts.n ? &conflicts : first);
	if (!list || da_pathf(prompt, sizeof prompt, "%s/prompts/resolve-conflicts.md", da_workflows_dir()) < 0 ||
	    asprintf(&text, "Conflicting files:\n%s", list) < 0) {
		text = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = da_pipeline_agent(pl, pl->wf->n_stages, stage, "implementer", prompt, text, 1);
	if (rc == 0 && (rc = da_git_unresolved(g, &conflicts, &left)) == 0 && left.n == 0)
		rc = da_git_commit_all(g, "merge: resolve conflicts with the default branch", NULL, NULL, NULL);
	if (rc == 0 && left.n == 0) {
		rc = restack_mark(pl, false);
		goto out;
	}
	/* keep the attempt, go back to the branch as it was */
	int cls = rc == DA_ETEMP ? DA_ETEMP : DA_ERUNTIME;
	char *why = strdup(rc < 0 ? da_errmsg() : "conflict markers left");
	char *files = path_list(left.n ? &left : &conflicts);

	if (da_git_restack_abort(g, NULL) < 0 || restack_mark(pl, false) < 0)
		da_warn("restack abort: %s", da_errmsg());
	if (cls == DA_ETEMP)
		rc = da_errf(DA_ETEMP, "%s", why ? why : "stopped while resolving conflicts");
	else
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

int da_pipeline_rebase(struct da_pipeline *pl, const char *stage)
{
	struct da_git *g = NULL;
	struct da_git_paths conflicts = { 0 };
	char onto[512];
	bool rebased = false;
	size_t gi = 0;
	const struct da_stage *gate = last_gate(pl, &gi);
	int rc;

	snprintf(onto, sizeof onto, "origin/%s", pl->project->default_branch);
	if ((rc = da_git_open(pl->workspace, &g)) < 0 || (rc = restack_recover(pl, g)) < 0 ||
	    (rc = da_git_salvage(g, stage, NULL, NULL)) < 0 ||
	    (rc = da_git_fetch(g, NULL)) < 0)
		goto out;
	rc = da_git_rebase(g, onto, NULL, &conflicts, &rebased);
	if (rc < 0 && conflicts.n) {
		da_errclear();
		if ((rc = resolve_conflicts(pl, g, onto, &conflicts, stage)) == 0)
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

static int rebase_step(struct da_pipeline *pl)
{
	return da_pipeline_rebase(pl, STEP_REBASE);
}

/* The critical and major findings as a list for the implementer. */
static char *findings_text(const struct da_review *rv)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < rv->nfindings; i++) {
		const struct da_review_finding *x = &rv->findings[i];

		if (x->severity != DA_REVIEW_MINOR)
			fprintf(f, "- [%s] %s:%ld: %s\n", da_review_severity_name(x->severity), x->file, x->line,
				x->message);
	}
	if (rv->summary)
		fprintf(f, "\nReviewer's summary: %s\n", rv->summary);
	fclose(f);
	return out;
}

static void add_review_summary(struct da_pipeline *pl, const struct da_review *rv, int64_t ms)
{
	struct da_stage_summary s = {
		.name = (char *)STEP_REVIEW, .duration_ms = ms, .turns = rv->turns, .tokens_in = rv->input_tokens,
		.tokens_out = rv->output_tokens, .cost_usd = rv->cost_usd,
		.exit_code = rv->verdict == DA_REVIEW_APPROVE ? 0 : 1,
	};

	if (pl->summary && da_run_summary_add(pl->summary, &s) < 0)
		da_errclear(); /* a report only */
}

/* One review round in <run dir>/review-<round>. */
static int review_once(struct da_pipeline *pl, long round, const char *context, struct da_review **out)
{
	char dir[DA_PATH_MAX], base[512];
	int64_t started = da_monotonic_ms();
	int rc;

	snprintf(base, sizeof base, "origin/%s", pl->project->default_branch);
	if ((rc = da_pathf(dir, sizeof dir, "%s/review-%ld", pl->run_dir, round)) < 0)
		return rc;
	struct da_review_opts o = {
		.repo = pl->workspace, .base = base, .out_dir = dir, .project = pl->project->name,
		.roles = pl->roles, .budget = &pl->budget, .context = context, .reset_at = &pl->not_before,
	};

	if ((rc = da_review_run(&o, out)) < 0)
		return da_errctx(rc, "review round %ld", round);
	add_review_summary(pl, *out, da_monotonic_ms() - started);
	return 0;
}

/* A review fix round: the implementer, a commit, the gates again. */
static int review_fix(struct da_pipeline *pl, const struct da_review *rv, long round)
{
	char prompt[DA_PATH_MAX];
	char *text = findings_text(rv);
	struct da_git *g = NULL;
	size_t gi = 0;
	const struct da_stage *gate = last_gate(pl, &gi);
	int rc;

	if (!text)
		return da_errf(DA_ERUNTIME, "out of memory");
	pl->review_findings = text;
	if ((rc = da_pathf(prompt, sizeof prompt, "%s/prompts/review-fix.md", da_workflows_dir())) == 0)
		rc = da_pipeline_agent(pl, pl->wf->n_stages + 1, STEP_REVIEW, "implementer", prompt, NULL, round);
	pl->review_findings = NULL;
	free(text);
	if (rc == 0 && (rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_commit_all(g, "fix: address review findings", NULL, NULL, NULL);
	da_git_free(g);
	if (rc == 0 && gate)
		rc = da_pipeline_gates(pl, gi, gate);
	return rc;
}

/* The findings that lie on diff lines, for the inline comments of the
 * posted review: inline.tsv, one "path TAB line TAB message" a line
 * (tabs and newlines in a message become spaces). */
static int record_inline(struct da_pipeline *pl, const struct da_review *rv)
{
	const struct da_review_finding **list = NULL;
	size_t n = 0, len = 0;
	char *out = NULL;
	FILE *f;
	int rc = da_review_inline_findings(rv, &list, &n);

	if (rc < 0)
		return rc;
	if (!(f = open_memstream(&out, &len))) {
		free(list);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\t%ld\t[%s] ", list[i]->file, list[i]->line, da_review_severity_name(list[i]->severity));
		for (const char *c = list[i]->message; c && *c; c++)
			fputc(*c == '\t' || *c == '\n' || *c == '\r' ? ' ' : *c, f);
		fputc('\n', f);
	}
	fclose(f);
	free(list);
	rc = da_run_write(pl->run_key, "inline.tsv", out ? out : "", len);
	free(out);
	return rc;
}

/* The last round's verdict and REVIEW.md, for the PR steps (also after a resume). */
static int record_review(struct da_pipeline *pl, const struct da_review *rv)
{
	const char *v = da_review_verdict_name(rv->verdict);
	char *md = NULL;
	size_t len = 0;
	int rc = da_run_write(pl->run_key, "verdict", v, strlen(v));

	if (rc == 0 && rv->md_path && da_read_file(rv->md_path, 64 * 1024, &md, &len) == 0) {
		rc = da_run_write(pl->run_key, "REVIEW.md", md, len);
		free(md);
	}
	return rc == 0 ? record_inline(pl, rv) : rc;
}

static char *review_context(struct da_pipeline *pl)
{
	struct da_tmpl_var vars[16];
	char num[32], path[DA_PATH_MAX];
	char *spec, *memory, *out = NULL;
	size_t n = da_pipeline_vars(pl, NULL, vars, &spec, &memory, num, sizeof num);

	/* the context is advice for the reviewer: without it the review still runs */
	if (da_pathf(path, sizeof path, "%s/prompts/review.md", da_workflows_dir()) < 0 ||
	    da_template_render_file(path, vars, n, &out) < 0) {
		da_warn("review context: %s", da_errmsg());
		da_errclear();
		out = NULL;
	}
	free(spec);
	free(memory);
	return out;
}

static int review_step(struct da_pipeline *pl)
{
	char *context = review_context(pl);
	int rc = 0;

	for (long round = 1;; round++) {
		struct da_review *rv = NULL;

		if ((rc = review_once(pl, round, context, &rv)) < 0)
			break;
		bool approve = rv->verdict == DA_REVIEW_APPROVE;

		da_info("review round %ld: %s", round, da_review_verdict_name(rv->verdict));
		/* changes still requested after the last round: the PR is opened
		 * but not merged (review.yaml keeps the verdict) */
		if (approve || round > pl->project->review_rounds) {
			rc = record_review(pl, rv);
			da_review_free(rv);
			break;
		}
		rc = review_fix(pl, rv, round + 1);
		da_review_free(rv);
		if (rc < 0)
			break;
	}
	free(context);
	return rc;
}

/* The branch to origin (replacing what an earlier, interrupted run pushed
 * before a rebase); from here on the work is safe outside the workspace. */
int da_pipeline_push(struct da_pipeline *pl, char head_out[DA_GIT_OID_HEXSZ])
{
	struct da_git *g = NULL;
	int rc;

	if ((rc = da_git_open(pl->workspace, &g)) == 0 && (rc = da_git_push(g, pl->branch, true, NULL)) == 0 &&
	    head_out)
		rc = da_git_resolve(g, "HEAD", head_out);
	da_git_free(g);
	return rc;
}

static int push_step(struct da_pipeline *pl)
{
	return da_pipeline_push(pl, NULL);
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

/* After the rebase the branch holds the same files as origin/<default>:
 * its change is there already (the issue queued again after its PR
 * merged, or fixed by hand). Nothing to review (an empty diff), push or
 * open a pull request for. Asked only until the push: later a resumed run
 * whose merge landed must go on to its comment. */
static int nothing_to_deliver(struct da_pipeline *pl, bool *nothing)
{
	struct da_git *g = NULL;
	char base[512];
	int rc;

	*nothing = false;
	for (size_t i = 0; i < pl->state->n_stages; i++)
		if (!strcmp(pl->state->stages[i].name, STEP_PUSH) && pl->state->stages[i].status == DA_ST_DONE)
			return 0;
	snprintf(base, sizeof base, "origin/%s", pl->project->default_branch);
	if ((rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_same_tree(g, base, "HEAD", nothing);
	da_git_free(g);
	return rc;
}

int da_pipeline_deliver(struct da_pipeline *pl)
{
	bool nothing = false;
	int rc = step(pl, STEP_REBASE, rebase_step);

	if (rc == 0 && (rc = nothing_to_deliver(pl, &nothing)) == 0 && nothing)
		return step(pl, "comment", da_pipeline_nothing_step);
	if (rc == 0)
		rc = step(pl, STEP_REVIEW, review_step);
	if (rc == 0)
		rc = step(pl, STEP_PUSH, push_step);
	if (rc == 0)
		rc = step(pl, "pr", da_pipeline_pr_step);
	if (rc == 0)
		rc = step(pl, "post-review", da_pipeline_post_review_step);
	if (rc == 0)
		rc = step(pl, "merge", da_pipeline_merge_step);
	return rc < 0 ? rc : step(pl, "comment", da_pipeline_comment_step);
}
