/* Gemini CLI: `gemini -p "" -o stream-json --yolo --skip-trust <prompt`
 * (flags checked against gemini 0.61.0).
 *
 * --skip-trust: a fresh workspace is not in trustedFolders.json, and
 * headless gemini exits 55 (FatalUntrustedWorkspaceError) without it.
 * The prompt goes on stdin: one argv string is capped at 128 KiB on Linux
 * (MAX_ARG_STRLEN). `--help` says of -p "Run in non-interactive (headless)
 * mode with the given prompt. Appended to input on stdin (if any)"; the
 * CLI reads a non-terminal stdin (up to 8 MiB) and sends "STDIN\n\nP",
 * or STDIN alone when P is empty. So -p is given, empty: it keeps the run
 * headless and adds nothing to the prompt. (Only gemini's own sandbox
 * relaunch, which we never ask for, would put stdin back into argv.)
 * There is no turn-limit flag (the limit is a settings key); exit 53
 * still means the turn limit was hit. Events: init (session_id), message
 * (role, content, delta), tool_use, tool_result, error, result (status,
 * error, stats). Exit codes: 41 auth, 42 input, 44 sandbox, 52 config,
 * 53 turn limit, 54 tool, 55 untrusted, 130 cancel. */
#include "agent_backend.h"

#include <stdlib.h>
#include <string.h>

static int build_argv(const struct da_agent_call *c, struct da_argv *a)
{
	int rc = 0;

	rc |= da_argv_push(a, c->command);
	rc |= da_argv_push(a, "-p");
	rc |= da_argv_push(a, "");	/* the prompt itself is stdin */
	rc |= da_argv_push(a, "-o");
	rc |= da_argv_push(a, "stream-json");
	rc |= da_argv_push(a, "--yolo");
	rc |= da_argv_push(a, "--skip-trust");
	if (c->model) {
		rc |= da_argv_push(a, "-m");
		rc |= da_argv_push(a, c->model);
	}
	if (c->resume_id) {
		rc |= da_argv_push(a, "--resume");
		rc |= da_argv_push(a, c->resume_id);
	} else if (c->session_id) {
		rc |= da_argv_push(a, "--session-id");
		rc |= da_argv_push(a, c->session_id);
	}
	return rc ? -1 : 0;
}

static void on_result(struct da_agent_stream *s, json_t *ev)
{
	struct da_agent_result *r = s->res;
	json_t *stats = json_object_get(ev, "stats");
	const char *status = da_json_str(ev, "status");

	s->saw_final = true;
	r->input_tokens = da_json_long(stats, "input_tokens");
	r->output_tokens = da_json_long(stats, "output_tokens");
	r->cache_read_tokens = da_json_long(stats, "cached");
	r->turns = s->live_turns;
	da_agent_set_str(&r->final_text, s->text);
	if (status && !strcmp(status, "success")) {
		if (r->error_kind == DA_AGENT_OK)
			r->ok = true;
	} else {
		const char *msg = da_json_str(json_object_get(ev, "error"), "message");
		time_t reset = 0;
		enum da_agent_error k = da_agent_classify_text(msg, DA_AGENT_EXECUTION, &reset);

		r->ok = false;
		da_agent_fail(r, k, msg ? msg : "gemini reported an error");
		if (k == DA_AGENT_USAGE_WINDOW && reset)
			r->reset_at = reset;
	}
}

static void on_event(struct da_agent_stream *s, json_t *ev)
{
	const char *type = da_json_str(ev, "type");

	if (!strcmp(type, "init")) {
		da_agent_set_str(&s->res->session_id, da_json_str(ev, "session_id"));
	} else if (!strcmp(type, "message")) {
		const char *role = da_json_str(ev, "role"), *content = da_json_str(ev, "content");

		if (!role || strcmp(role, "assistant") != 0 || !content)
			return;
		/* deltas of one reply arrive back to back; a reply after a tool
		 * result is the next turn, and its text replaces the last one */
		if (!s->last_msg_id) {
			s->live_turns++;
			free(s->text);
			s->text = NULL;
			da_agent_set_str(&s->last_msg_id, "assistant");
		}
		da_agent_append_text(s, content);
	} else if (!strcmp(type, "tool_use") || !strcmp(type, "tool_result")) {
		free(s->last_msg_id);
		s->last_msg_id = NULL;
	} else if (!strcmp(type, "result")) {
		on_result(s, ev);
	}
}

static void on_exit_code(struct da_agent_stream *s, int code)
{
	struct da_agent_result *r = s->res;

	switch (code) {
	case 0:
		return;
	case 41:
		r->ok = false;
		da_agent_fail(r, DA_AGENT_AUTH, "gemini: authentication failed (exit 41)");
		return;
	case 42:
		r->ok = false;
		da_agent_fail(r, DA_AGENT_EXECUTION, "gemini: input error (exit 42)");
		return;
	case 53:
		r->ok = false;
		r->error_kind = DA_AGENT_OK;	/* the exit code is more precise than the text */
		da_agent_fail(r, DA_AGENT_MAX_TURNS, "gemini: turn limit exceeded (exit 53)");
		return;
	case 55:
		r->ok = false;
		da_agent_fail(r, DA_AGENT_EXECUTION, "gemini: workspace not trusted (exit 55)");
		return;
	default:
		if (r->ok) {
			r->ok = false;
			da_agent_fail(r, DA_AGENT_EXECUTION, "gemini exited non-zero");
		}
	}
}

static const char *const auth_env[] = { "GEMINI_API_KEY", "GOOGLE_API_KEY",
					"GOOGLE_APPLICATION_CREDENTIALS", NULL };
static const char *const plain_env[] = { "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
					 "GOOGLE_GENAI_USE_VERTEXAI", "GEMINI_MODEL", NULL };
static const struct da_agent_cred creds[] = {
	{ NULL, ".gemini/oauth_creds.json", ".gemini/oauth_creds.json" },
	{ NULL, ".gemini/google_accounts.json", ".gemini/google_accounts.json" },
	{ NULL, ".gemini/settings.json", ".gemini/settings.json" },
	{ NULL, NULL, NULL },
};

const struct da_agent_backend_ops da_agent_gemini_ops = {
	.id = DA_BACKEND_GEMINI,
	.name = "gemini",
	.bin_env = "DA_GEMINI_BIN",
	.auth_env = auth_env,
	.plain_env = plain_env,
	.config_env = "GEMINI_CLI_HOME",
	.config_sub = "gemini",
	.prompt_on_stdin = true,
	.creds = creds,
	.build_argv = build_argv,
	.on_event = on_event,
	.on_exit = on_exit_code,
};
