/* pipeline_stages: the real stage executors behind da_stage_ops_default. */
#include "pipeline.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "gate.h"
#include "git.h"
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define FIX_OUTPUT_LINES 80

/* A random UUID (v4): claude wants one for --session-id. */
static void new_uuid(char out[37])
{
	unsigned char b[16] = { 0 };

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		memset(b, 0x5a, sizeof b); /* never hit on Linux >= 3.17; still a valid id */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void add_summary(struct da_pipeline *pl, const char *stage, const struct da_agent_result *r,
			int64_t duration_ms)
{
	struct da_stage_summary s = {
		.name = (char *)stage, .duration_ms = duration_ms, .turns = r->turns, .tokens_in = r->input_tokens,
		.tokens_out = r->output_tokens, .tokens_cache = r->cache_read_tokens + r->cache_creation_tokens,
		.cost_usd = r->cost_usd, .exit_code = r->ok ? 0 : 1,
	};

	if (pl->summary && da_run_summary_add(pl->summary, &s) < 0)
		da_errclear(); /* the summary is a report; losing a line must not fail the task */
}

/* The last session of a role in this task, to resume it for a fix. */
static const char *role_session(const struct da_pipeline *pl, const char *role)
{
	const char *found = NULL;

	for (size_t i = 0; i < pl->wf->n_stages; i++) {
		const struct da_stage *st = &pl->wf->stages[i];

		for (size_t j = 0; st->role && !strcmp(st->role, role) && j < pl->state->n_stages; j++)
			if (!strcmp(pl->state->stages[j].name, st->name) && pl->state->stages[j].session_id)
				found = pl->state->stages[j].session_id;
	}
	if (!strcmp(role, "lead") && pl->state->lead_session)
		found = pl->state->lead_session;
	return found;
}

/* One agent run for a stage: render, run, record. `resume` continues that
 * session (fix rounds); a lead stage resumes the task's lead session. */
static int run_agent(struct da_pipeline *pl, size_t index, const char *stage, const char *role_name,
		     const char *prompt_path, bool lead, const char *resume, const char *gate_output, long attempt)
{
	struct da_tmpl_var vars[16];
	char num[32], uuid[37];
	char *spec, *memory, *prompt = NULL;
	size_t n = da_pipeline_vars(pl, gate_output, vars, &spec, &memory, num, sizeof num);
	const struct da_agent_role *role = da_agent_role_find(pl->roles, role_name);
	struct da_agent_result res = { 0 };
	int rc;

	if (!role) {
		rc = da_errf(DA_EUSAGE, "no agent configured for role %s", role_name);
		goto out;
	}
	if ((rc = da_template_render_file(prompt_path, vars, n, &prompt)) < 0)
		goto out;
	/* the numbered copy of every prompt; the agent's own files are named
	 * by role because its private home (where a resumed session lives) is */
	if ((rc = da_run_save_prompt(pl->run_key, index, stage, attempt, prompt)) < 0)
		goto out;
	if (lead && !resume && !(resume = pl->state->lead_session))
		new_uuid(uuid);
	struct da_agent_request req = {
		.cfg = pl->roles, .role = role, .prompt = prompt, .cwd = pl->workspace, .resume_id = resume,
		.session_id = resume ? NULL : (lead ? uuid : NULL), .run_dir = pl->run_dir, .name = role_name,
		.budget = &pl->budget,
	};

	int64_t started = da_monotonic_ms();

	rc = da_agent_run(&req, &res);
	add_summary(pl, stage, &res, da_monotonic_ms() - started);
	if (res.session_id) {
		struct da_stage_state *ss = da_run_state_stage(pl->state, stage);

		if (!ss || da_run_state_set_str(&ss->session_id, res.session_id) < 0 ||
		    (lead && da_run_state_set_str(&pl->state->lead_session, res.session_id) < 0))
			rc = da_errf(DA_ERUNTIME, "out of memory");
	}
	if (rc == DA_ETEMP)
		pl->not_before = res.reset_at;
	if (rc < 0 && res.error)
		da_errf(rc, "%s agent: %s (%s)", role_name, res.error, da_agent_error_name(res.error_kind));
out:
	da_agent_result_free(&res);
	free(prompt);
	free(spec);
	free(memory);
	return rc;
}

static int agent_stage(struct da_pipeline *pl, size_t index, const struct da_stage *st)
{
	char path[DA_PATH_MAX];
	int rc = run_agent(pl, index, st->name, st->role, st->prompt_path, st->session == DA_SESSION_LEAD, NULL,
			   NULL, 1);

	if (rc < 0 || !st->writes)
		return rc;
	if ((rc = da_pathf(path, sizeof path, "%s/%s", pl->workspace, st->writes)) < 0)
		return rc;
	if (!da_path_exists(path))
		return da_errf(DA_ERUNTIME, "the %s agent did not write %s", st->role, st->writes);
	/* the run record keeps its own copy (SPEC.md) */
	char *text;
	size_t len;

	if ((rc = da_read_file(path, 1024 * 1024, &text, &len)) < 0)
		return rc;
	rc = da_run_write(pl->run_key, st->writes, text, len);
	free(text);
	return rc;
}

/* gates-<stage>.tsv in the run record, replaced by each attempt: per
 * configured gate "name TAB passed|failed TAB duration_ms TAB attempt TAB reason",
 * the gate results the pull request's body shows. A report only. */
static void record_gates(struct da_pipeline *pl, const struct da_stage *st, const struct da_gate_report *rep,
			 long attempt)
{
	char name[300], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return;
	for (int k = 0; k < DA_CMD_N; k++) {
		const struct da_gate_result *g = &rep->gates[k];

		if (!g->configured)
			continue;
		fprintf(f, "%s\t%s\t%lld\t%ld\t", da_cmd_name(g->kind), g->passed ? "passed" : "failed",
			(long long)g->duration_ms, attempt);
		for (const char *c = g->reason ? g->reason : ""; *c; c++)
			fputc(*c == '\t' || *c == '\n' ? ' ' : *c, f);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(name, sizeof name, "gates-%s.tsv", st->name);
	if (out && da_run_write(pl->run_key, name, out, len) < 0)
		da_errclear();
	free(out);
}

static int gate_stage(struct da_pipeline *pl, size_t index, const struct da_stage *st)
{
	char prefix[300];
	int rc;

	for (long attempt = 0;; attempt++) {
		struct da_gate_report rep;
		struct da_stage_summary s = { .name = (char *)st->name };

		snprintf(prefix, sizeof prefix, attempt ? "%02zu-%s-%ld-" : "%02zu-%s-", index + 1, st->name, attempt + 1);
		if ((rc = da_gate_run(pl->project, &(struct da_gate_opts){ .cwd = pl->workspace, .out_dir = pl->run_dir,
									     .prefix = prefix }, &rep)) < 0)
			return rc;
		for (int k = 0; k < DA_CMD_N; k++)
			s.duration_ms += rep.gates[k].duration_ms;
		s.exit_code = rep.passed ? 0 : 1;
		record_gates(pl, st, &rep, attempt + 1);
		if (pl->summary)
			(void)da_run_summary_add(pl->summary, &s);
		if (rep.passed) {
			da_gate_report_free(&rep);
			return 0;
		}
		if (!st->fix_role || attempt >= pl->project->fix_attempts) {
			rc = da_errf(DA_ERUNTIME, "%s%s", rep.reason ? rep.reason : "gates failed",
				     st->fix_role ? " (fix attempts used up)" : "");
			da_gate_report_free(&rep);
			return rc;
		}
		char *failure = da_gate_failure_text(&rep, FIX_OUTPUT_LINES);

		da_gate_report_free(&rep);
		if (!failure)
			return da_errf(DA_ERUNTIME, "out of memory");
		rc = run_agent(pl, index, st->name, st->fix_role, st->fix_prompt_path, !strcmp(st->fix_role, "lead"),
			       role_session(pl, st->fix_role), failure, attempt + 2);
		free(failure);
		if (rc < 0)
			return rc;
	}
}

static int commit_stage(struct da_pipeline *pl, size_t index, const struct da_stage *st)
{
	struct da_tmpl_var vars[16];
	char num[32];
	char *spec, *memory, *msg = NULL;
	size_t n = da_pipeline_vars(pl, NULL, vars, &spec, &memory, num, sizeof num);
	struct da_git *g = NULL;
	int rc;

	(void)index;
	if ((rc = da_template_render(pl->wf->path, st->message, vars, n, &msg)) == 0 &&
	    (rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_commit_all(g, msg, NULL, NULL, NULL);
	da_git_free(g);
	free(msg);
	free(spec);
	free(memory);
	return rc;
}

int da_pipeline_agent(struct da_pipeline *pl, size_t index, const char *stage, const char *role,
		      const char *prompt_path, const char *extra, long attempt)
{
	return run_agent(pl, index, stage, role, prompt_path, !strcmp(role, "lead"), NULL, extra, attempt);
}

int da_pipeline_gates(struct da_pipeline *pl, size_t index, const struct da_stage *st)
{
	return gate_stage(pl, index, st);
}

const struct da_stage_ops da_stage_ops_default = {
	.agent = agent_stage,
	.gate = gate_stage,
	.commit = commit_stage,
};
