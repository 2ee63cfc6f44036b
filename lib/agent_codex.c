/* Codex: `codex exec --json … -- -` (flags checked against codex-cli 0.169.0).
 *
 * The prompt goes on stdin: `codex exec --help` says "If not provided as an
 * argument (or if `-` is used), instructions are read from stdin", and
 * `exec resume --help` "[PROMPT] … If `-` is used, read from stdin". One
 * argv string is capped at 128 KiB on Linux (MAX_ARG_STRLEN), and a prompt
 * with a large spec and gate output can be bigger. `-` rather than no
 * argument, so resume's SESSION_ID is never taken for the prompt. stdin is
 * the prompt file, never an inherited pipe (codex reads it to EOF and would
 * block on one). There is no turn-limit flag; the hang
 * detector, the wall clock and the task budget bound a run. Events:
 * thread.started (thread_id), turn.started, item.started/updated/completed
 * (agent_message carries text; type "error" items are warnings), turn.completed
 * (usage), turn.failed, error (also transient: "Reconnecting... 2/5"). */
#include "agent_backend.h"

#include <string.h>

static int push_common(const struct da_agent_call *c, struct da_argv *a)
{
	int rc = 0;

	rc |= da_argv_push(a, "--json");
	/* headless and already isolated: no approval prompts, no nested sandbox */
	rc |= da_argv_push(a, "--dangerously-bypass-approvals-and-sandbox");
	rc |= da_argv_push(a, "--skip-git-repo-check");
	if (c->model) {
		rc |= da_argv_push(a, "-m");
		rc |= da_argv_push(a, c->model);
	}
	return rc;
}

static int build_argv(const struct da_agent_call *c, struct da_argv *a)
{
	int rc = 0;

	rc |= da_argv_push(a, c->command);
	rc |= da_argv_push(a, "exec");
	if (c->resume_id) {
		/* resume takes its own options after the subcommand */
		rc |= da_argv_push(a, "resume");
		rc |= push_common(c, a);
		rc |= da_argv_push(a, "--");
		rc |= da_argv_push(a, c->resume_id);
	} else {
		rc |= push_common(c, a);
		rc |= da_argv_push(a, "--");
	}
	rc |= da_argv_push(a, "-");	/* the prompt: read from stdin */
	return rc ? -1 : 0;
}

static void add_usage(struct da_agent_result *r, json_t *usage)
{
	r->input_tokens += da_json_long(usage, "input_tokens");
	r->output_tokens += da_json_long(usage, "output_tokens");
	r->cache_read_tokens += da_json_long(usage, "cached_input_tokens");
}

static void on_error_text(struct da_agent_stream *s, const char *msg)
{
	time_t reset = 0;
	enum da_agent_error k = da_agent_classify_text(msg, DA_AGENT_EXECUTION, &reset);

	da_agent_fail(s->res, k, msg ? msg : "codex reported an error");
	if (k == DA_AGENT_USAGE_WINDOW && reset)
		s->res->reset_at = reset;
}

static void on_event(struct da_agent_stream *s, json_t *ev)
{
	const char *type = da_json_str(ev, "type");
	struct da_agent_result *r = s->res;

	if (!strcmp(type, "thread.started")) {
		da_agent_set_str(&r->session_id, da_json_str(ev, "thread_id"));
	} else if (!strcmp(type, "turn.started")) {
		s->live_turns++;
		r->turns = s->live_turns;
	} else if (!strcmp(type, "item.completed")) {
		json_t *item = json_object_get(ev, "item");
		const char *it = da_json_str(item, "type");

		if (it && !strcmp(it, "agent_message") && da_json_str(item, "text"))
			da_agent_set_str(&s->text, da_json_str(item, "text"));
	} else if (!strcmp(type, "turn.completed")) {
		s->saw_final = true;
		add_usage(r, json_object_get(ev, "usage"));
		/* a transient error the CLI recovered from does not fail the run */
		if (r->error_kind == DA_AGENT_EXECUTION || r->error_kind == DA_AGENT_RATE_LIMIT) {
			r->error_kind = DA_AGENT_OK;
			free(r->error);
			r->error = NULL;
		}
		if (r->error_kind == DA_AGENT_OK)
			r->ok = true;
		da_agent_set_str(&r->final_text, s->text);
	} else if (!strcmp(type, "turn.failed")) {
		s->saw_final = true;
		add_usage(r, json_object_get(ev, "usage"));
		r->ok = false;
		/* the turn's own verdict wins over earlier transient errors
		 * ("Reconnecting... 2/5") */
		r->error_kind = DA_AGENT_OK;
		on_error_text(s, da_json_str(json_object_get(ev, "error"), "message"));
	} else if (!strcmp(type, "error")) {
		r->ok = false;
		on_error_text(s, da_json_str(ev, "message"));
	}
}

static void on_exit_code(struct da_agent_stream *s, int code)
{
	if (code != 0 && s->res->ok) {
		s->res->ok = false;
		da_agent_fail(s->res, DA_AGENT_EXECUTION, "codex exited non-zero after its turn");
	}
}

static const char *const auth_env[] = { "OPENAI_API_KEY", "CODEX_API_KEY", NULL };
static const char *const plain_env[] = { "OPENAI_BASE_URL", NULL };
static const struct da_agent_cred creds[] = {
	{ "CODEX_HOME", "auth.json", "auth.json" },
	{ NULL, ".codex/auth.json", "auth.json" },
	{ "CODEX_HOME", "config.toml", "config.toml" },
	{ NULL, ".codex/config.toml", "config.toml" },
	{ NULL, NULL, NULL },
};

const struct da_agent_backend_ops da_agent_codex_ops = {
	.id = DA_BACKEND_CODEX,
	.name = "codex",
	.bin_env = "DA_CODEX_BIN",
	.auth_env = auth_env,
	.plain_env = plain_env,
	.config_env = "CODEX_HOME",
	.config_sub = "codex",
	.prompt_on_stdin = true,
	.creds = creds,
	.build_argv = build_argv,
	.on_event = on_event,
	.on_exit = on_exit_code,
};
