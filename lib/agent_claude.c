/* Claude Code: `claude -p --output-format stream-json --verbose`.
 *
 * Flags checked against claude 2.1.330 --help (--max-turns is accepted
 * but hidden from the help). The prompt goes on stdin, so a prompt larger
 * than one argv string may be (128 KiB on Linux) still works. Events:
 * system/init (session_id), assistant (one per model turn; message.id),
 * user (tool results), rate_limit_event, and the final result. */
#include "agent_backend.h"

#include <stdio.h>
#include <string.h>

static int build_argv(const struct da_agent_call *c, struct da_argv *a)
{
	char num[64];
	int rc = 0;

	rc |= da_argv_push(a, c->command);
	rc |= da_argv_push(a, "-p");
	rc |= da_argv_push(a, "--output-format");
	rc |= da_argv_push(a, "stream-json");
	rc |= da_argv_push(a, "--verbose");
	/* headless: nobody is there to answer a permission prompt. As root the
	 * CLI refuses this unless IS_SANDBOX=1 is in its environment. */
	rc |= da_argv_push(a, "--dangerously-skip-permissions");
	if (c->model) {
		rc |= da_argv_push(a, "--model");
		rc |= da_argv_push(a, c->model);
	}
	if (c->max_turns > 0) {
		snprintf(num, sizeof num, "%ld", c->max_turns);
		rc |= da_argv_push(a, "--max-turns");
		rc |= da_argv_push(a, num);
	}
	if (c->max_budget_usd > 0) {
		snprintf(num, sizeof num, "%.4f", c->max_budget_usd);
		rc |= da_argv_push(a, "--max-budget-usd");
		rc |= da_argv_push(a, num);
	}
	if (c->resume_id) {
		rc |= da_argv_push(a, "--resume");
		rc |= da_argv_push(a, c->resume_id);
	} else if (c->session_id) {
		rc |= da_argv_push(a, "--session-id");
		rc |= da_argv_push(a, c->session_id);
	}
	if (c->append_system_prompt) {
		rc |= da_argv_push(a, "--append-system-prompt");
		rc |= da_argv_push(a, c->append_system_prompt);
	}
	return rc ? -1 : 0;
}

static void on_assistant(struct da_agent_stream *s, json_t *ev)
{
	json_t *msg = json_object_get(ev, "message"), *block;
	const char *id = da_json_str(msg, "id");
	size_t i;

	/* one model response can arrive as several events with one id */
	if (!id || !s->last_msg_id || strcmp(id, s->last_msg_id) != 0) {
		s->live_turns++;
		da_agent_set_str(&s->last_msg_id, id ? id : "");
	}
	json_array_foreach(json_object_get(msg, "content"), i, block) {
		const char *text = da_json_str(block, "text");

		if (text && !strcmp(da_json_str(block, "type") ? da_json_str(block, "type") : "", "text"))
			da_agent_set_str(&s->text, text);
	}
}

static void read_usage(struct da_agent_result *r, json_t *usage)
{
	r->input_tokens = da_json_long(usage, "input_tokens");
	r->output_tokens = da_json_long(usage, "output_tokens");
	r->cache_read_tokens = da_json_long(usage, "cache_read_input_tokens");
	r->cache_creation_tokens = da_json_long(usage, "cache_creation_input_tokens");
}

static void on_result(struct da_agent_stream *s, json_t *ev)
{
	struct da_agent_result *r = s->res;
	const char *subtype = da_json_str(ev, "subtype");
	const char *text = da_json_str(ev, "result");
	json_t *errors = json_object_get(ev, "errors");
	const char *why = text;

	s->saw_final = true;
	da_agent_set_str(&r->session_id, da_json_str(ev, "session_id"));
	r->turns = da_json_long(ev, "num_turns");
	r->cost_usd = da_json_double(ev, "total_cost_usd");
	s->live_cost = r->cost_usd;
	read_usage(r, json_object_get(ev, "usage"));
	da_agent_set_str(&r->final_text, text ? text : s->text);
	if (json_is_array(errors) && json_array_size(errors) > 0 &&
	    json_is_string(json_array_get(errors, 0)))
		why = json_string_value(json_array_get(errors, 0));
	if (!subtype)
		subtype = "";
	if (!strcmp(subtype, "error_max_turns")) {
		da_agent_fail(r, DA_AGENT_MAX_TURNS, "reached the role's max_turns");
	} else if (!strcmp(subtype, "error_max_budget_usd")) {
		da_agent_fail(r, DA_AGENT_BUDGET, "the agent's cost reached --max-budget-usd");
	} else if (!strcmp(subtype, "success") && !json_is_true(json_object_get(ev, "is_error"))) {
		if (r->error_kind == DA_AGENT_OK)
			r->ok = true;
	} else {
		/* error_during_execution, unknown subtypes, and success with
		 * is_error=true (e.g. not logged in): all failures */
		time_t reset = 0;
		enum da_agent_error k = da_agent_classify_text(why, DA_AGENT_EXECUTION, &reset);

		r->ok = false;
		da_agent_fail(r, k, why ? why : subtype);
		if (k == DA_AGENT_USAGE_WINDOW && reset)
			r->reset_at = reset;
	}
}

/* status "rejected" means the subscription window is used up; resetsAt
 * (seconds since the epoch) says when it opens again. */
static void on_rate_limit(struct da_agent_stream *s, json_t *ev)
{
	json_t *info = json_object_get(ev, "rate_limit_info");
	const char *status = da_json_str(info, "status");
	char msg[160];

	if (!status || strcmp(status, "rejected") != 0)
		return;
	snprintf(msg, sizeof msg, "usage limit reached (%s)",
		 da_json_str(info, "rateLimitType") ? da_json_str(info, "rateLimitType") : "window");
	da_agent_fail(s->res, DA_AGENT_USAGE_WINDOW, msg);
	if (da_json_long(info, "resetsAt") > 0)
		s->res->reset_at = (time_t)da_json_long(info, "resetsAt");
}

static void on_event(struct da_agent_stream *s, json_t *ev)
{
	const char *type = da_json_str(ev, "type");

	if (!strcmp(type, "system")) {
		if (da_json_str(ev, "subtype") && !strcmp(da_json_str(ev, "subtype"), "init"))
			da_agent_set_str(&s->res->session_id, da_json_str(ev, "session_id"));
	} else if (!strcmp(type, "assistant")) {
		on_assistant(s, ev);
	} else if (!strcmp(type, "result")) {
		on_result(s, ev);
	} else if (!strcmp(type, "rate_limit_event")) {
		on_rate_limit(s, ev);
	}
}

static void on_exit_code(struct da_agent_stream *s, int code)
{
	(void)s;
	(void)code;	/* claude reports everything in its result event */
}

static const char *const auth_env[] = { "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY",
					"ANTHROPIC_AUTH_TOKEN", NULL };
static const char *const plain_env[] = { "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL",
					 "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
					 "DISABLE_AUTOUPDATER", "DISABLE_TELEMETRY",
					 "DISABLE_ERROR_REPORTING", "CLAUDE_CODE_USE_BEDROCK",
					 "CLAUDE_CODE_USE_VERTEX", NULL };
static const struct da_agent_cred creds[] = {
	{ "CLAUDE_CONFIG_DIR", ".credentials.json", ".credentials.json" },
	{ NULL, ".claude/.credentials.json", ".credentials.json" },
	{ NULL, NULL, NULL },
};

const struct da_agent_backend_ops da_agent_claude_ops = {
	.id = DA_BACKEND_CLAUDE,
	.name = "claude",
	.bin_env = "DA_CLAUDE_BIN",
	.auth_env = auth_env,
	.plain_env = plain_env,
	.config_env = "CLAUDE_CONFIG_DIR",
	.config_sub = "claude",
	.prompt_on_stdin = true,
	.creds = creds,
	.build_argv = build_argv,
	.on_event = on_event,
	.on_exit = on_exit_code,
};
