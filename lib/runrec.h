/* runrec: a task's run record, $DA_HOME/data/runs/<task>/.
 *
 *   state.yaml     per stage: status (pending|running|done|failed), session
 *                  id, attempts, error; the lead's session id, workspace,
 *                  branch. The first stage not done is where a task that is
 *                  picked up again resumes.
 *   summary.yaml   per stage: duration, turns, tokens, cost, exit; totals.
 *   <nn>-<stage>.prompt.md, <nn>-<stage>.jsonl, <nn>-<stage>-<gate>.log
 *                  every prompt sent, each agent's raw event stream, gate
 *                  output (nn = the stage's 1-based position, two digits).
 * Every file here is written with da_write_atomic. <task> is the task
 * file's name without .yaml. */
#ifndef DA_RUNREC_H
#define DA_RUNREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum da_stage_status { DA_ST_PENDING, DA_ST_RUNNING, DA_ST_DONE, DA_ST_FAILED };

struct da_stage_state {
	char *name;
	int status;		/* enum da_stage_status */
	char *session_id;	/* the agent session the stage used; NULL */
	long attempts;		/* times the stage was started */
	char *error;		/* last failure; NULL */
};

struct da_run_state {
	char *task;
	char *lead_session;	/* the lead's one session across the task */
	char *workspace;
	char *branch;
	struct da_stage_state *stages;
	size_t n_stages;
};

struct da_stage_summary {
	char *name;
	int64_t duration_ms;
	long turns;
	long tokens_in, tokens_out, tokens_cache;
	double cost_usd;
	long exit_code;
	long runs;		/* how many runs were added up (fix attempts) */
};

struct da_run_summary {
	char *task;
	struct da_stage_summary *stages;
	size_t n_stages;
};

/* A task's run record is keyed by "<project>/<task>" (task = the task
 * file's name without .yaml): two projects may queue tasks of the same
 * name. The functions below take that key as `task` (a bare task name
 * still works, for tools and tests). */
int da_run_key(const char *project, const char *task, char *buf, size_t size);
/* $DA_HOME/data/runs/<key> (each part checked: [A-Za-z0-9._-], no leading '.') */
int da_run_dir(const char *task, char *buf, size_t size);
/* "<dir>/<nn>-<stage><suffix>", e.g. suffix ".prompt.md" (index 0-based). */
int da_run_file(const char *task, size_t index, const char *stage, const char *suffix, char *buf, size_t size);
/* Write <run dir>/<name> atomically, creating the folder. */
int da_run_write(const char *task, const char *name, const char *data, size_t len);
/* The prompt sent to a stage: <nn>-<stage>.prompt.md (an attempt > 1
 * gets "-<attempt>" before the suffix, so fix prompts do not overwrite). */
int da_run_save_prompt(const char *task, size_t index, const char *stage, long attempt, const char *prompt);

/* state.yaml; a missing file gives an empty state for the task. */
int da_run_state_load(const char *task, struct da_run_state **out);
int da_run_state_save(const struct da_run_state *s);
void da_run_state_free(struct da_run_state *s);
/* The stage's entry, added (pending) when missing; NULL on out of memory. */
struct da_stage_state *da_run_state_stage(struct da_run_state *s, const char *name);
/* Set a stage's status (and session id / error when not NULL). */
int da_run_state_mark(struct da_run_state *s, const char *name, int status, const char *session_id,
		      const char *error);
int da_run_state_set_str(char **field, const char *value);
/* Index in names[] of the first stage not done; n when all are done. */
size_t da_run_state_resume_point(const struct da_run_state *s, const char *const *names, size_t n);
const char *da_stage_status_name(int status);

/* summary.yaml; adding to a stage already present sums (fix attempts). */
int da_run_summary_load(const char *task, struct da_run_summary **out);
int da_run_summary_add(struct da_run_summary *sum, const struct da_stage_summary *st);
/* Totals over the stages (name "total", runs = number of runs). */
void da_run_summary_totals(const struct da_run_summary *sum, struct da_stage_summary *tot);
int da_run_summary_save(const struct da_run_summary *sum);
void da_run_summary_free(struct da_run_summary *sum);

#endif
