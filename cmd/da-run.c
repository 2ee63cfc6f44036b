/* da-run: the default runner. da-process calls it with an active task
 * file; it walks the task's workflow in the task's workspace and leaves a
 * verified branch. Exit 0 done, 1 failed, 2 bad input, 75 try later
 * (paused, or an agent's usage window ran out). */
#include "agent.h"
#include "clock.h"
#include "err.h"
#include "failmem.h"
#include "fsutil.h"
#include "git.h"
#include "log.h"
#include "paths.h"
#include "pipeline.h"
#include "workspace.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-run TASK_FILE\n"
		"\n"
		"Run the pipeline for one active task: its workflow's stages (design,\n"
		"implement, verify, qa, finalize) in $DA_HOME/data/work/<project>/<task>,\n"
		"recorded in $DA_HOME/data/runs/<project>/<task>. A task run again\n"
		"resumes at its first unfinished stage. da-process starts it; by hand it\n"
		"is for debugging.\n"
		"\n"
		"  --help, --version\n"
		"\n"
		"Exit: 0 done, 1 failed, 2 bad task/project/workflow, 75 paused or\n"
		"waiting for an agent's usage window.\n");
}

struct run {
	struct da_task *task;
	struct da_project *project;
	struct da_workflow *wf;
	struct da_agent_roles *roles;
	struct da_pipeline pl;
	char task_name[256];
	char task_file[256];		/* the file's name, with .yaml */
	char run_key[600];		/* <project>/<task_name> */
	char task_path[DA_PATH_MAX];
	char why_temp[512];
	char workspace[DA_PATH_MAX];
	char *branch;
	struct da_workspace_opts wo;
};

static int load(struct run *r, const char *task_path)
{
	char copy[DA_PATH_MAX];
	int rc;

	snprintf(copy, sizeof copy, "%s", task_path);
	snprintf(r->task_name, sizeof r->task_name, "%s", basename(copy));
	snprintf(r->task_file, sizeof r->task_file, "%s", r->task_name);
	snprintf(r->task_path, sizeof r->task_path, "%s", task_path);
	if (strlen(r->task_name) > 5 && !strcmp(r->task_name + strlen(r->task_name) - 5, ".yaml"))
		r->task_name[strlen(r->task_name) - 5] = '\0';
	if ((rc = da_task_read(task_path, &r->task)) < 0 || (rc = da_project_load(r->task->project, &r->project)) < 0 ||
	    (rc = da_workflow_load(r->task->type, r->project, &r->wf)) < 0 ||
	    (rc = da_agent_roles_load(r->project->name, &r->roles)) < 0)
		return rc;
	r->pl.task = r->task;
	r->pl.task_name = r->task_name;
	if ((rc = da_run_key(r->project->name, r->task_name, r->run_key, sizeof r->run_key)) < 0)
		return rc;
	r->pl.run_key = r->run_key;
	r->pl.project = r->project;
	r->pl.wf = r->wf;
	r->pl.roles = r->roles;
	da_agent_budget_init(&r->pl.budget, r->roles);
	if ((rc = da_run_state_load(r->run_key, &r->pl.state)) < 0 ||
	    (rc = da_run_summary_load(r->run_key, &r->pl.summary)) < 0 ||
	    (rc = da_run_dir(r->run_key, r->pl.run_dir, sizeof r->pl.run_dir)) < 0)
		return rc;
	/* the budget is per task, not per run: a resumed task starts with what
	 * its earlier runs spent (the summary adds up every agent run) */
	for (size_t i = 0; i < r->pl.summary->n_stages; i++) {
		r->pl.budget.spent_cost_usd += r->pl.summary->stages[i].cost_usd;
		r->pl.budget.spent_turns += r->pl.summary->stages[i].turns;
	}
	return da_mkdirs(r->pl.run_dir);
}

static int prepare_workspace(struct run *r)
{
	struct da_git *g = NULL;
	int rc;

	if (r->pl.state->branch)
		r->branch = strdup(r->pl.state->branch);
	else if ((rc = da_git_task_branch_name(r->task->issue, r->task->title, &r->branch)) < 0)
		return rc;
	if (!r->branch)
		return da_errf(DA_ERUNTIME, "out of memory");
	r->wo = (struct da_workspace_opts){
		.project = r->project->name, .task = r->task_name, .remote = r->project->remote,
		.default_branch = r->project->default_branch, .branch = r->branch,
	};
	/* failed tasks' kept workspaces older than keep_days go first */
	if (da_workspace_prune(NULL, r->project->name, (int)r->project->keep_days, NULL) < 0) {
		da_warn("%s", da_errmsg());
		da_errclear();
	}
	if ((rc = da_workspace_path(&r->wo, r->workspace, sizeof r->workspace)) < 0 ||
	    (rc = da_workspace_prepare(&r->wo, &g, NULL)) < 0)
		return rc;
	da_git_free(g);
	r->pl.workspace = r->workspace;
	r->pl.branch = r->branch;
	if ((rc = da_run_state_set_str(&r->pl.state->branch, r->branch)) < 0 ||
	    (rc = da_run_state_set_str(&r->pl.state->workspace, r->workspace)) < 0)
		return rc;
	return da_run_state_save(r->pl.state);
}

/* Write not_before into the active task file (da-process reads it back
 * when it moves the task to pending). */
static int set_not_before(struct run *r)
{
	char at[32], dir[DA_PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	da_utc_iso(r->pl.not_before, at, sizeof at);
	free(r->task->not_before);
	if (!(r->task->not_before = strdup(at)))
		return da_errf(DA_ERUNTIME, "out of memory");
	snprintf(dir, sizeof dir, "%s", r->task_path);
	if ((rc = da_task_serialize(r->task, &text, &len)) == 0)
		rc = da_write_atomic(dirname(dir), r->task_file, text, len, DA_WRITE_REPLACE, NULL);
	free(text);
	return rc;
}

/* The first stage of the workflow not done: where the task stopped. */
static const char *stopped_at(const struct run *r)
{
	for (size_t i = 0; i < r->wf->n_stages; i++) {
		const char *name = r->wf->stages[i].name;

		for (size_t j = 0; j < r->pl.state->n_stages; j++)
			if (!strcmp(r->pl.state->stages[j].name, name) && r->pl.state->stages[j].status != DA_ST_DONE)
				return name;
	}
	return "end";
}

/* Never lose work: whatever the agents left uncommitted goes into a
 * salvage commit on the task branch before the task stops (failed,
 * paused or waiting). A warning only: the outcome is already decided. */
static void salvage(struct run *r)
{
	struct da_git *g = NULL;
	bool any = false;

	if (!r->pl.workspace)
		return;
	if (da_git_open(r->pl.workspace, &g) < 0 || da_git_salvage(g, stopped_at(r), NULL, &any) < 0)
		da_warn("salvage: %s", da_errmsg());
	else if (any)
		da_info("uncommitted work salvaged on %s", r->branch);
	da_git_free(g);
}

/* The task stopped in a gate stage, or in a delivery step that runs the
 * gates again: the case for a draft PR that shows what failed. */
static bool gates_failed(const struct run *r)
{
	const char *at = stopped_at(r);
	int i = da_workflow_stage_index(r->wf, at);

	if (i >= 0)
		return r->wf->stages[i].kind == DA_STAGE_GATE;
	for (size_t j = 0; j < r->pl.state->n_stages; j++) {
		const struct da_stage_state *ss = &r->pl.state->stages[j];

		if (ss->status == DA_ST_FAILED && (!strcmp(ss->name, "rebase") || !strcmp(ss->name, "review")))
			return true;
	}
	return false;
}

/* After the walk: pruning, the workspace kept or left for delivery. Errors here
 * are warnings: the task's outcome is already decided. */
static void finish(struct run *r, int rc)
{
	if (rc == 0) {
		/* the branch is pushed: the clone has nothing left to lose
		 * (da_workspace_remove keeps it if anything is uncommitted) */
		bool kept = false;

		if (da_workspace_remove(&r->wo, &kept) < 0)
			da_warn("%s", da_errmsg());
		else if (kept)
			da_warn("workspace kept: it had uncommitted changes (salvaged)");
		if (da_failmem_prune(r->project->name, time(NULL), DA_FAILMEM_MAX_AGE_DAYS, NULL) < 0)
			da_warn("%s", da_errmsg());
		return;
	}
	if (rc == DA_ETEMP) {
		snprintf(r->why_temp, sizeof r->why_temp, "%s", da_errmsg());
		salvage(r);
		/* paused or waiting: the workspace is resumed later; a known
		 * reset time goes into the task so the queue waits until then */
		if (r->pl.not_before && set_not_before(r) < 0)
			da_warn("%s", da_errmsg());
		da_errf(DA_ETEMP, "%s", r->why_temp);
		return;
	}
	/* the failure record itself is da-process's (lib/failures.c): it
	 * appends every runner failure with our last stderr lines, and two
	 * writers would record each failure twice */
	char *why = strdup(da_errmsg());

	salvage(r);
	/* the issue says what happened: a draft PR with the gate output when
	 * the gates never passed; after an agent's failure a comment, and the
	 * draft PR only when the branch holds work */
	if (r->pl.workspace) {
		bool gates = gates_failed(r);
		int prc = gates ? da_pipeline_fail_publish(&r->pl, why ? why : "failed")
				: da_pipeline_fail_notify(&r->pl, why ? why : "failed");

		if (prc < 0)
			da_warn("failure path: %s", da_errmsg());
	}
	if (r->pl.workspace && da_workspace_keep(&r->wo) < 0)
		da_warn("%s", da_errmsg());
	da_errf(rc, "%s", why ? why : "failed");
	free(why);
}

static void run_free(struct run *r)
{
	da_run_state_free(r->pl.state);
	da_run_summary_free(r->pl.summary);
	da_agent_roles_free(r->roles);
	da_workflow_free(r->wf);
	da_project_free(r->project);
	da_task_free(r->task);
	free(r->branch);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	struct run r;
	int c, rc;

	da_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'V': return da_print_version();
		default: return da_bad_option(argv);
		}
	}
	if (optind + 1 != argc)
		return da_usage_error("expected one task file");
	if (da_pipeline_paused())
		return da_err_report(da_errf(DA_ETEMP, "paused"));
	memset(&r, 0, sizeof r);
	if ((rc = load(&r, argv[optind])) == 0) {
		bool closed = false;

		/* a first run checks the issue is there and open before any work */
		if (r.pl.state->n_stages == 0 && (rc = da_pipeline_check_issue(&r.pl, &closed)) == 0 && closed) {
			printf("%s: issue #%ld was closed since it was queued: nothing to do\n", r.task_name,
			       r.task->issue);
			run_free(&r);
			return 0;
		}
		if (rc == 0 && (rc = prepare_workspace(&r)) == 0)
			rc = da_pipeline_walk(&r.pl, &da_stage_ops_default);
		if (rc == 0)
			rc = da_pipeline_deliver(&r.pl);
		finish(&r, rc);
	}
	if (rc == 0)
		printf("%s: done, branch %s\n", r.task_name, r.branch);
	else if (rc == DA_ETEMP && r.pl.not_before) {
		char at[32];

		da_utc_iso(r.pl.not_before, at, sizeof at);
		da_info("not before %s", at);
	}
	run_free(&r);
	return da_err_report(rc);
}
