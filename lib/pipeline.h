/* pipeline: walking a workflow for one active task.
 *
 * The driver (da_pipeline_walk) owns the order, the checkpoints and the
 * pause switch; what a stage does is an executor behind a function
 * pointer (agent, gate, commit), so tests can drive the walk with stubs
 * and the real executors (pipeline_stages.c) stay small. Between stages
 * the pause switch is checked (DA_PAUSE_FILE, else $DA_HOME/data/.pause):
 * paused means DA_ETEMP (exit 75), the task goes back to pending and
 * resumes later at its first unfinished stage, read from state.yaml. */
#ifndef DA_PIPELINE_H
#define DA_PIPELINE_H

#include "agent.h"
#include "git.h"
#include "project.h"
#include "runrec.h"
#include "task.h"
#include "workflow.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct da_pipeline {
	const struct da_task *task;
	const char *task_name;		/* task file name without .yaml */
	const char *run_key;		/* "<project>/<task_name>": the run record's (runrec.h) */
	const struct da_project *project;
	const struct da_workflow *wf;
	const struct da_agent_roles *roles;	/* NULL only with stub executors */
	struct da_agent_budget budget;
	struct da_run_state *state;	/* loaded by the caller, saved here */
	struct da_run_summary *summary;
	const char *workspace;		/* the task's clone */
	const char *branch;
	char run_dir[4096];
	time_t not_before;		/* set when an agent's usage window ran out
					 * or a forge's rate limit is long */
	const char *review_findings;	/* {{review_findings}} of a review fix round */
	void *user;			/* for stub executors */
};

struct da_stage_ops {
	int (*agent)(struct da_pipeline *pl, size_t index, const struct da_stage *st);
	int (*gate)(struct da_pipeline *pl, size_t index, const struct da_stage *st);
	int (*commit)(struct da_pipeline *pl, size_t index, const struct da_stage *st);
};

/* The real executors: da_agent_run, da_gate_run with the fix loop, git commit. */
extern const struct da_stage_ops da_stage_ops_default;

/* true when the pause switch is on: $DA_PAUSE_FILE exists when set, else da_paused(). */
bool da_pipeline_paused(void);

/* Walk the workflow from the first stage not done. Each stage is marked
 * running (state saved) before it starts and done or failed after; the
 * summary is saved after every stage. Returns 0 when every stage is done,
 * DA_ETEMP when paused (or an agent's usage window ran out), else the
 * failing stage's error (the message names the stage). */
int da_pipeline_walk(struct da_pipeline *pl, const struct da_stage_ops *ops);

/* The template values for a stage's prompt (spec, failure memory, ...);
 * gate_output and review_findings may be NULL. Fills vars (at least 16),
 * returns how many; *owned collects strings to free with free(). */
size_t da_pipeline_vars(struct da_pipeline *pl, const char *gate_output, struct da_tmpl_var *vars,
			char **owned_spec, char **owned_memory, char *number_buf, size_t number_size);

/* One fresh agent run for a step outside the workflow's stages (the
 * delivery steps): `extra` fills {{gate_output}}; recorded like a stage's. */
int da_pipeline_agent(struct da_pipeline *pl, size_t index, const char *stage, const char *role,
		      const char *prompt_path, const char *extra, long attempt);
/* Run a gate stage (with its fix loop) again, e.g. after a rebase. */
int da_pipeline_gates(struct da_pipeline *pl, size_t index, const struct da_stage *st);

/* The delivery steps after the walk (pipeline_deliver.c), each
 * checkpointed in state.yaml under its own name and skipped once done:
 *   rebase   the task branch onto the latest origin/<default branch>; on
 *            conflicts the implementer gets one chance (restack, resolve,
 *            commit), else the task fails naming the files; a branch that
 *            moved is verified again by the workflow's last gate stage.
 *   review   the pre-push review (lib/review.h) of origin/<default>..HEAD
 *            in <run dir>/review-<round>/; REQUEST_CHANGES: the implementer
 *            fixes the critical and major findings (prompt review-fix),
 *            the last gate stage runs again, and the review again, at most
 *            review_rounds fix rounds. The last round's review.yaml holds
 *            the verdict the PR/merge steps act on (run record: verdict, REVIEW.md).
 *   push     the task branch to origin (forced: a rebase rewrites it).
 *   pr, post-review, merge, comment   on the project's forge (pipeline_forge.c). */
int da_pipeline_deliver(struct da_pipeline *pl);

/* The rebase of the delivery steps, also the merge step's one retry:
 * fetch, the task branch onto origin/<default> (conflicts: the
 * implementer's one chance, its prompt recorded under `stage`), and when
 * the branch moved the workflow's last gate stage again. */
int da_pipeline_rebase(struct da_pipeline *pl, const char *stage);
/* Force-push the task branch to origin; head_out (may be NULL) gets the
 * pushed commit id. */
int da_pipeline_push(struct da_pipeline *pl, char head_out[DA_GIT_OID_HEXSZ]);

/* Before a task's first run does any work: its issue must be on the
 * forge (not there, or a pull request: DA_ERUNTIME, the task fails
 * before an agent runs) and open (*closed says it was closed since it
 * was queued: nothing to do). A forge that does not answer is warned
 * about and passed (DA_ETEMP, with not_before, still waits). */
int da_pipeline_check_issue(struct da_pipeline *pl, bool *closed);

/* The forge steps (pipeline_forge.c), run by da_pipeline_deliver. They
 * leave in the run record: pr (the number), pr-url (its html_url) and
 * merge-outcome ("merged" or "not merged: <why>", for the comment step).
 *   merge    squash-merge with expected_head_sha when merge: auto and the
 *            review approved. The forge refusing (409 head/base moved,
 *            405 not mergeable) gets ONE retry, checkpointed as
 *            "merge-retry" in state.yaml: da_pipeline_rebase, push, merge
 *            again expecting the pushed head. Still refused, or the retry
 *            failed: the PR stays open, the reason recorded, the step
 *            (and the task) succeeds; the issue comment says why. A
 *            resumed step reads the PR by its number (da_forge_get_pr),
 *            so a merge that landed before a crash is seen as merged.
 *   comment  the outcome on the issue (merged or left open and why, with
 *            the PR's link), once: a resumed step finds its marked
 *            comment instead of posting a second. */
int da_pipeline_pr_step(struct da_pipeline *pl);
int da_pipeline_post_review_step(struct da_pipeline *pl);
int da_pipeline_merge_step(struct da_pipeline *pl);
int da_pipeline_comment_step(struct da_pipeline *pl);
/* In place of review..comment when the rebased branch holds the same files
 * as origin/<default> (its change is there already): merge-outcome says
 * "nothing to deliver: ...", the issue gets one (marked) comment saying
 * so, no pull request is opened and the task succeeds. */
int da_pipeline_nothing_step(struct da_pipeline *pl);
/* The project's forge as the writer, or the reviewer identity. (No
 * forge.h here: its verdicts share names with review.h's.) */
struct da_forge;
/* Its requests are logged (method, path, status, ms) to <run dir>/forge.log. */
int da_pipeline_open_forge(struct da_pipeline *pl, bool reviewer, struct da_forge **out);
/* Pass every forge step's result through here before freeing the handle:
 * after DA_ETEMP (a rate limit too long to wait out) the forge's reset
 * time goes into pl->not_before, which da-run writes into the task so the
 * queue waits until then. f may be NULL. Returns rc. */
int da_pipeline_forge_rc(struct da_pipeline *pl, const struct da_forge *f, int rc);
/* Whether a comment containing `marker` is on issue/PR `issue` already:
 * every comment dev-agents posts carries one, so a rerun (or a retried
 * POST that got through) never posts it twice. */
int da_pipeline_has_comment(struct da_forge *f, long issue, const char *marker, bool *found);
/* The label of a failed task's draft PR. */
#define DA_PIPELINE_FAILED_LABEL "pipeline-failed"

/* The pull request's body (pipeline_body.c): summary and commits,
 * `Closes #N`, the spec's first lines, the gate results (gates-<stage>.tsv
 * of the run record), the review (REVIEW.md), cost and turns (summary);
 * at most DA_PR_BODY_MAX bytes. NULL on out of memory; caller frees. */
#define DA_PR_BODY_MAX 60000
char *da_pipeline_pr_body(struct da_pipeline *pl);
/* <run dir>/<name>, "" when missing (reports, never fatal); caller frees. */
char *da_pipeline_run_text(struct da_pipeline *pl, const char *name);

/* The failure path (pipeline_fail.c). When the gates never passed: push
 * the branch, its PR as a draft (created or turned into one) labelled
 * pipeline-failed (the label created on the repository if missing), and
 * a comment on the issue with `reason` and the last lines of the newest
 * gate log. */
int da_pipeline_fail_publish(struct da_pipeline *pl, const char *reason);
/* When an agent stage failed (max turns, budget, agent error): a comment
 * on the issue with `reason`; and when the branch has commits beyond
 * origin/<default>, first the same draft PR + pipeline-failed label, so
 * the work done is visible. Not for DA_ETEMP: those tasks are retried. */
int da_pipeline_fail_notify(struct da_pipeline *pl, const char *reason);

#endif
