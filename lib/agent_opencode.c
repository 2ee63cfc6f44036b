/* opencode: `opencode run --format json <prompt` (flags checked against
 * opencode 1.18.33).
 *
 * The prompt goes on stdin, with no message argument: one argv string is
 * capped at 128 KiB on Linux (MAX_ARG_STRLEN). `run --help` does not say
 * so, but `opencode run` reads a non-terminal stdin to EOF and sends
 * "MESSAGE\n" + STDIN, or STDIN alone when no message is given (checked in
 * the 1.18.33 binary, and by a run against a loopback provider that got a
 * 220 KiB stdin prompt whole). It would also quote a message argument
 * holding a space, so stdin is the faithful channel as well.
 *
 * --auto approves permissions that are not explicitly denied (headless:
 * nobody answers a prompt). No turn-limit flag. Events: step_start,
 * text (part.text), tool_use (part.state), step_finish (part.cost,
 * part.tokens {input, output, reasoning, cache {read, write}}), error
 * (error {name, data {message}}); every event carries sessionID. Cost and
 * steps arrive per step, so the budget watch sees them as they grow. */
#include "agent_backend.h"

#include <string.h>

static int build_argv(const struct da_agent_call *c, struct da_argv *a)
{
	int rc = 0;

	rc |= da_argv_push(a, c->command);
	rc |= da_argv_push(a, "run");
	rc |= da_argv_push(a, "--format");
	rc |= da_argv_push(a, "json");
	rc |= da_argv_push(a, "--auto");
	if (c->model) {
		rc |= da_argv_push(a, "-m");
		rc |= da_argv_push(a, c->model);
	}
	if (c->resume_id) {
		rc |= da_argv_push(a, "--session");
		rc |= da_argv_push(a, c->resume_id);
	}
	return rc ? -1 : 0;
}

static void on_step_finish(struct da_agent_stream *s, json_t *part)
{
	struct da_agent_result *r = s->res;
	json_t *tokens = json_object_get(part, "tokens");
	json_t *cache = json_object_get(tokens, "cache");
	const char *reason = da_json_str(part, "reason");

	s->live_turns++;
	r->turns = s->live_turns;
	r->cost_usd += da_json_double(part, "cost");
	s->live_cost = r->cost_usd;
	r->input_tokens += da_json_long(tokens, "input");
	r->output_tokens += da_json_long(tokens, "output") + da_json_long(tokens, "reasoning");
	r->cache_read_tokens += da_json_long(cache, "read");
	r->cache_creation_tokens += da_json_long(cache, "write");
	/* "tool-calls" means another step follows; "stop" ends the answer */
	if (reason && strcmp(reason, "tool-calls") != 0) {
		s->saw_final = true;
		da_agent_set_str(&r->final_text, s->text);
		if (r->error_kind == DA_AGENT_OK)
			r->ok = true;
	}
}

static void on_event(struct da_agent_stream *s, json_t *ev)
{
	const char *type = da_json_str(ev, "type");
	json_t *part = json_object_get(ev, "part");

	da_agent_set_str(&s->res->session_id, da_json_str(ev, "sessionID"));
	if (!strcmp(type, "text")) {
		if (da_json_str(part, "text"))
			da_agent_set_str(&s->text, da_json_str(part, "text"));
	} else if (!strcmp(type, "step_finish")) {
		on_step_finish(s, part);
	} else if (!strcmp(type, "error")) {
		json_t *err = json_object_get(ev, "error");
		const char *msg = da_json_str(json_object_get(err, "data"), "message");
		time_t reset = 0;
		enum da_agent_error k;

		if (!msg)
			msg = da_json_str(err, "name");
		k = da_agent_classify_text(msg, DA_AGENT_EXECUTION, &reset);
		s->res->ok = false;
		da_agent_fail(s->res, k, msg ? msg : "opencode reported an error");
		if (k == DA_AGENT_USAGE_WINDOW && reset)
			s->res->reset_at = reset;
	}
}

static void on_exit_code(struct da_agent_stream *s, int code)
{
	if (code != 0 && s->res->ok) {
		s->res->ok = false;
		da_agent_fail(s->res, DA_AGENT_EXECUTION, "opencode exited non-zero");
	}
}

static const char *const auth_env[] = { "ANTHROPIC_API_KEY", "OPENAI_API_KEY",
					"OPENROUTER_API_KEY", "OPENCODE_API_KEY", NULL };
static const char *const plain_env[] = { "OPENCODE_CONFIG", NULL };
static const struct da_agent_cred creds[] = {
	{ NULL, ".local/share/opencode/auth.json", "data/opencode/auth.json" },
	{ NULL, ".config/opencode/opencode.json", "config/opencode/opencode.json" },
	{ NULL, NULL, NULL },
};

const struct da_agent_backend_ops da_agent_opencode_ops = {
	.id = DA_BACKEND_OPENCODE,
	.name = "opencode",
	.bin_env = "DA_OPENCODE_BIN",
	.auth_env = auth_env,
	.plain_env = plain_env,
	.config_env = NULL,	/* XDG_* under the agent home, set in agent_env.c */
	.config_sub = "opencode",
	.prompt_on_stdin = true,
	.creds = creds,
	.build_argv = build_argv,
	.on_event = on_event,
	.on_exit = on_exit_code,
};
