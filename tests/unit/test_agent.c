/* Unit tests for the agent layer: event-stream parsing per backend from
 * recorded lines, argv building, the environment allow-list, budget and
 * backoff arithmetic, role config loading. */
#include "unit.h"

#include "agent.h"
#include "agent_backend.h"
#include "env.h"
#include "err.h"

#include <sys/stat.h>

/* Feed recorded lines to a backend's parser. */
static void parse(enum da_agent_backend b, const char *const *lines, struct da_agent_result *r)
{
	struct da_agent_stream s;

	memset(r, 0, sizeof *r);
	da_agent_stream_init(&s, r);
	for (size_t i = 0; lines[i]; i++)
		da_agent_stream_line(da_agent_ops(b), &s, lines[i], strlen(lines[i]));
	if (!r->final_text && s.text)
		da_agent_set_str(&r->final_text, s.text);
	if (!r->turns)
		r->turns = s.live_turns;
	da_agent_stream_free(&s);
}

static void claude_success_stream_gives_session_turns_tokens_cost(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s-1\",\"model\":\"opus\"}",
		"{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"tool_use\",\"name\":\"Write\"}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\"}]}}",
		"{\"type\":\"assistant\",\"message\":{\"id\":\"m2\",\"content\":[{\"type\":\"text\",\"text\":\"All done\"}]}}",
		"{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":3,\"result\":\"All done\","
		"\"session_id\":\"s-1\",\"total_cost_usd\":0.25,\"usage\":{\"input_tokens\":100,\"output_tokens\":20,"
		"\"cache_read_input_tokens\":300,\"cache_creation_input_tokens\":40}}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CLAUDE, lines, &r);
	assert_true(r.ok);
	assert_string_equal(r.session_id, "s-1");
	assert_int_equal(r.turns, 3);
	assert_int_equal(r.input_tokens, 100);
	assert_int_equal(r.output_tokens, 20);
	assert_int_equal(r.cache_read_tokens, 300);
	assert_int_equal(r.cache_creation_tokens, 40);
	assert_true(r.cost_usd > 0.249 && r.cost_usd < 0.251);
	assert_string_equal(r.final_text, "All done");
	da_agent_result_free(&r);
}

static void claude_success_with_is_error_is_a_failure(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"num_turns\":1,"
		"\"result\":\"Invalid API key \\u00b7 Please run /login\",\"session_id\":\"s\"}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CLAUDE, lines, &r);
	assert_false(r.ok);
	assert_int_equal(r.error_kind, DA_AGENT_AUTH);
	da_agent_result_free(&r);
}

static void claude_error_subtypes_map_to_kinds(void **state)
{
	static const struct { const char *line; enum da_agent_error kind; } cases[] = {
		{ "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":false}", DA_AGENT_MAX_TURNS },
		{ "{\"type\":\"result\",\"subtype\":\"error_max_budget_usd\"}", DA_AGENT_BUDGET },
		{ "{\"type\":\"result\",\"subtype\":\"error_during_execution\",\"errors\":[\"boom\"]}", DA_AGENT_EXECUTION },
		{ "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":\"API Error: 429 rate_limit_error\"}",
		  DA_AGENT_RATE_LIMIT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *lines[] = { cases[i].line, NULL };
		struct da_agent_result r;

		parse(DA_BACKEND_CLAUDE, lines, &r);
		assert_false(r.ok);
		assert_int_equal(r.error_kind, cases[i].kind);
		da_agent_result_free(&r);
	}
}

static void claude_rejected_rate_limit_event_is_a_usage_window(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"allowed_warning\",\"resetsAt\":5}}",
		"{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"rejected\",\"resetsAt\":1900000000,"
		"\"rateLimitType\":\"five_hour\"}}",
		"{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":\"limit\"}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CLAUDE, lines, &r);
	assert_false(r.ok);
	assert_int_equal(r.error_kind, DA_AGENT_USAGE_WINDOW);
	assert_int_equal((long)r.reset_at, 1900000000L);
	da_agent_result_free(&r);
}

static void codex_stream_sums_turn_usage(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"thread.started\",\"thread_id\":\"th-9\"}",
		"{\"type\":\"turn.started\"}",
		"not json: a warning line",
		"{\"type\":\"error\",\"message\":\"Reconnecting... 1/5\"}",
		"{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"fixed\"}}",
		"{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":50,\"cached_input_tokens\":10,\"output_tokens\":7}}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CODEX, lines, &r);
	assert_true(r.ok);
	assert_string_equal(r.session_id, "th-9");
	assert_int_equal(r.turns, 1);
	assert_int_equal(r.input_tokens, 50);
	assert_int_equal(r.cache_read_tokens, 10);
	assert_string_equal(r.final_text, "fixed");
	da_agent_result_free(&r);
}

static void codex_usage_limit_error_carries_reset(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"turn.failed\",\"error\":{\"message\":\"You've hit your usage limit. {\\\"resets_at\\\":1800000000}\"}}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CODEX, lines, &r);
	assert_int_equal(r.error_kind, DA_AGENT_USAGE_WINDOW);
	assert_int_equal((long)r.reset_at, 1800000000L);
	da_agent_result_free(&r);
}

static void codex_turn_failed_wins_over_transient_errors(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"error\",\"message\":\"Reconnecting... 1/5 (429 Too Many Requests)\"}",
		"{\"type\":\"turn.failed\",\"error\":{\"message\":\"unexpected status 401 Unauthorized\"}}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_CODEX, lines, &r);
	assert_false(r.ok);
	assert_int_equal(r.error_kind, DA_AGENT_AUTH);
	da_agent_result_free(&r);
}

static void gemini_deltas_join_and_exit_codes_classify(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"init\",\"session_id\":\"g-1\",\"model\":\"gemini-2.5-pro\"}",
		"{\"type\":\"message\",\"role\":\"user\",\"content\":\"do it\"}",
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"Let me\",\"delta\":true}",
		"{\"type\":\"tool_use\",\"tool_name\":\"write_file\",\"tool_id\":\"t\",\"parameters\":{}}",
		"{\"type\":\"tool_result\",\"tool_id\":\"t\",\"status\":\"success\"}",
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"Done \",\"delta\":true}",
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"now.\",\"delta\":true}",
		"{\"type\":\"result\",\"status\":\"success\",\"stats\":{\"input_tokens\":30,\"output_tokens\":4,\"cached\":2}}",
		NULL,
	};
	struct da_agent_result r;
	struct da_agent_stream s;

	(void)state;
	parse(DA_BACKEND_GEMINI, lines, &r);
	assert_true(r.ok);
	assert_string_equal(r.session_id, "g-1");
	assert_string_equal(r.final_text, "Done now.");
	assert_int_equal(r.turns, 2);
	assert_int_equal(r.input_tokens, 30);
	da_agent_stream_init(&s, &r);
	da_agent_gemini_ops.on_exit(&s, 53);
	assert_false(r.ok);
	assert_int_equal(r.error_kind, DA_AGENT_MAX_TURNS);
	da_agent_result_free(&r);
	memset(&r, 0, sizeof r);
	da_agent_gemini_ops.on_exit(&s, 41);
	assert_int_equal(r.error_kind, DA_AGENT_AUTH);
	da_agent_result_free(&r);
	da_agent_stream_free(&s);
}

static void opencode_steps_add_cost_and_tokens(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"step_start\",\"sessionID\":\"ses_1\",\"part\":{\"type\":\"step-start\"}}",
		"{\"type\":\"step_finish\",\"sessionID\":\"ses_1\",\"part\":{\"type\":\"step-finish\",\"reason\":\"tool-calls\","
		"\"cost\":0.5,\"tokens\":{\"input\":10,\"output\":2,\"reasoning\":1,\"cache\":{\"read\":3,\"write\":4}}}}",
		"{\"type\":\"text\",\"sessionID\":\"ses_1\",\"part\":{\"type\":\"text\",\"text\":\"ok\"}}",
		"{\"type\":\"step_finish\",\"sessionID\":\"ses_1\",\"part\":{\"type\":\"step-finish\",\"reason\":\"stop\","
		"\"cost\":0.25,\"tokens\":{\"input\":10,\"output\":2,\"reasoning\":0,\"cache\":{\"read\":3,\"write\":0}}}}",
		NULL,
	};
	struct da_agent_result r;

	(void)state;
	parse(DA_BACKEND_OPENCODE, lines, &r);
	assert_true(r.ok);
	assert_string_equal(r.session_id, "ses_1");
	assert_int_equal(r.turns, 2);
	assert_true(r.cost_usd > 0.749 && r.cost_usd < 0.751);
	assert_int_equal(r.input_tokens, 20);
	assert_int_equal(r.output_tokens, 5);
	assert_int_equal(r.cache_read_tokens, 6);
	assert_int_equal(r.cache_creation_tokens, 4);
	assert_string_equal(r.final_text, "ok");
	da_agent_result_free(&r);
}

static bool has_arg(const struct da_argv *a, const char *want, const char *next)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], want) && (!next || (i + 1 < a->n && !strcmp(a->v[i + 1], next))))
			return true;
	return false;
}

static void argv_per_backend(void **state)
{
	struct da_agent_call c = { .command = "/x/cli", .prompt = "-do it", .model = "opus",
				   .max_turns = 40, .resume_id = "abc" };
	struct da_argv a = { 0 };

	(void)state;
	assert_int_equal(da_agent_claude_ops.build_argv(&c, &a), 0);
	assert_true(has_arg(&a, "-p", NULL) && has_arg(&a, "--output-format", "stream-json"));
	assert_true(has_arg(&a, "--verbose", NULL) && has_arg(&a, "--max-turns", "40"));
	assert_true(has_arg(&a, "--resume", "abc") && has_arg(&a, "--model", "opus"));
	assert_false(has_arg(&a, "-do it", NULL));	/* claude reads the prompt on stdin */
	assert_true(da_agent_claude_ops.prompt_on_stdin);
	da_argv_free(&a);

	/* codex, gemini and opencode read the prompt on stdin too: one argv
	 * string is capped at 128 KiB on Linux */
	assert_int_equal(da_agent_codex_ops.build_argv(&c, &a), 0);
	assert_string_equal(a.v[1], "exec");
	assert_string_equal(a.v[2], "resume");
	assert_true(has_arg(&a, "--json", NULL) && has_arg(&a, "--", "abc"));
	assert_string_equal(a.v[a.n - 1], "-");	/* "-": read the prompt from stdin */
	assert_false(has_arg(&a, "-do it", NULL));
	assert_true(da_agent_codex_ops.prompt_on_stdin);
	da_argv_free(&a);

	assert_int_equal(da_agent_gemini_ops.build_argv(&c, &a), 0);
	assert_true(has_arg(&a, "-p", "") && has_arg(&a, "-o", "stream-json"));
	assert_true(has_arg(&a, "--yolo", NULL) && has_arg(&a, "--skip-trust", NULL));
	assert_true(has_arg(&a, "--resume", "abc"));
	assert_false(has_arg(&a, "-do it", NULL));
	assert_true(da_agent_gemini_ops.prompt_on_stdin);
	da_argv_free(&a);

	assert_int_equal(da_agent_opencode_ops.build_argv(&c, &a), 0);
	assert_string_equal(a.v[1], "run");
	assert_true(has_arg(&a, "--format", "json") && has_arg(&a, "--session", "abc"));
	assert_false(has_arg(&a, "-do it", NULL) || has_arg(&a, "--", NULL));
	assert_true(da_agent_opencode_ops.prompt_on_stdin);
	da_argv_free(&a);
}

/* Whatever the prompt's size, every backend's argv stays small: the
 * prompt travels on stdin. */
static void big_prompt_never_enters_argv(void **state)
{
	const struct da_agent_backend_ops *ops[] = { &da_agent_claude_ops, &da_agent_codex_ops,
						     &da_agent_gemini_ops, &da_agent_opencode_ops };
	size_t big = 300 * 1024;
	char *prompt = malloc(big + 1);

	(void)state;
	assert_non_null(prompt);
	memset(prompt, 'x', big);
	prompt[big] = '\0';
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		struct da_agent_call c = { .command = "/x/cli", .prompt = prompt, .model = "m",
					   .resume_id = i % 2 ? "abc" : NULL };
		struct da_argv a = { 0 };
		size_t total = 0;

		assert_int_equal(ops[i]->build_argv(&c, &a), 0);
		for (size_t j = 0; j < a.n; j++)
			total += strlen(a.v[j]) + 1;
		assert_true(total < 1024);
		assert_true(ops[i]->prompt_on_stdin);
		da_argv_free(&a);
	}
	free(prompt);
}

static void env_never_carries_secrets(void **state)
{
	char *dir = unit_tmpdir();
	struct da_agent_roles *cfg;
	struct da_env *env;
	char home[600];
	static char *pass[] = { "GH_TOKEN", "MY_SECRET", "DA_*", NULL };

	(void)state;
	setenv("DA_GITHUB_TOKEN", "t", 1);
	setenv("GH_TOKEN", "t", 1);
	setenv("GITHUB_TOKEN", "t", 1);
	setenv("DA_REVIEW_TOKEN", "t", 1);
	setenv("DEV_AGENTS_PAT", "t", 1);
	setenv("MY_SECRET", "t", 1);
	setenv("CLAUDE_CODE_OAUTH_TOKEN", "oauth", 1);
	setenv("OPENAI_API_KEY", "sk", 1);
	assert_int_equal(da_agent_roles_defaults(&cfg), 0);
	cfg->pass_env = pass;	/* even allow-listed, secrets stay out */
	snprintf(home, sizeof home, "%s/agent", dir);
	assert_int_equal(da_agent_build_env(cfg, &da_agent_claude_ops, home, &env), 0);
	assert_null(da_env_get(env, "DA_GITHUB_TOKEN"));
	assert_null(da_env_get(env, "GH_TOKEN"));
	assert_null(da_env_get(env, "GITHUB_TOKEN"));
	assert_null(da_env_get(env, "DA_REVIEW_TOKEN"));
	assert_null(da_env_get(env, "DEV_AGENTS_PAT"));
	assert_null(da_env_get(env, "MY_SECRET"));
	assert_null(da_env_get(env, "OPENAI_API_KEY"));
	assert_string_equal(da_env_get(env, "CLAUDE_CODE_OAUTH_TOKEN"), "oauth");
	assert_non_null(strstr(da_env_get(env, "HOME"), "/agent/home"));
	assert_non_null(strstr(da_env_get(env, "CLAUDE_CONFIG_DIR"), "/agent/claude"));
	da_env_free(env);
	/* another backend does not see claude's token */
	assert_int_equal(da_agent_build_env(cfg, &da_agent_codex_ops, home, &env), 0);
	assert_null(da_env_get(env, "CLAUDE_CODE_OAUTH_TOKEN"));
	assert_string_equal(da_env_get(env, "OPENAI_API_KEY"), "sk");
	da_env_free(env);
	cfg->pass_env = NULL;
	da_agent_roles_free(cfg);
	unsetenv("CLAUDE_CODE_OAUTH_TOKEN");
	unsetenv("OPENAI_API_KEY");
	unit_rmtree(dir);
}

static void budget_and_backoff_arithmetic(void **state)
{
	struct da_agent_budget b = { .max_cost_usd = 5.0, .max_turns = 100,
				     .spent_cost_usd = 4.0, .spent_turns = 90 };

	(void)state;
	assert_false(da_agent_budget_exceeded(&b, 1.0, 10));
	assert_true(da_agent_budget_exceeded(&b, 1.01, 0));
	assert_true(da_agent_budget_exceeded(&b, 0, 11));
	assert_false(da_agent_budget_exceeded(NULL, 1e9, 1000000));
	b.max_cost_usd = 0;	/* no cost limit */
	assert_false(da_agent_budget_exceeded(&b, 1e9, 0));
	assert_int_equal(da_agent_backoff_ms(10000, 1), 10000);
	assert_int_equal(da_agent_backoff_ms(10000, 2), 20000);
	assert_int_equal(da_agent_backoff_ms(10000, 5), 160000);
	assert_int_equal(da_agent_backoff_ms(10000, 6), 300000);
	assert_int_equal(da_agent_backoff_ms(10000, 40), 300000);
}

static void classify_text_tells_limits_apart(void **state)
{
	time_t at = 0;

	(void)state;
	assert_int_equal(da_agent_classify_text("Claude AI usage limit reached|1750000000", DA_AGENT_EXECUTION, &at),
			 DA_AGENT_USAGE_WINDOW);
	assert_int_equal((long)at, 1750000000L);
	assert_int_equal(da_agent_classify_text("You've hit your 5-hour limit \u00b7 resets 5pm", DA_AGENT_EXECUTION, NULL),
			 DA_AGENT_USAGE_WINDOW);
	assert_int_equal(da_agent_classify_text("429 Too Many Requests", DA_AGENT_EXECUTION, NULL),
			 DA_AGENT_RATE_LIMIT);
	assert_int_equal(da_agent_classify_text("Overloaded", DA_AGENT_EXECUTION, NULL), DA_AGENT_RATE_LIMIT);
	assert_int_equal(da_agent_classify_text("Invalid API key", DA_AGENT_EXECUTION, NULL), DA_AGENT_AUTH);
	assert_int_equal(da_agent_classify_text("segfault", DA_AGENT_EXECUTION, NULL), DA_AGENT_EXECUTION);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void roles_load_defaults_overlay_and_errors(void **state)
{
	char *dir = unit_tmpdir();
	struct da_agent_roles *r;
	const struct da_agent_role *role;
	char path[600];

	(void)state;
	unsetenv("DA_AGENT_BACKOFF_MS");
	assert_int_equal(da_agent_roles_load(NULL, &r), 0);	/* no file: the seed's defaults */
	role = da_agent_role_find(r, "lead");
	assert_int_equal(role->backend, DA_BACKEND_CLAUDE);
	assert_string_equal(role->model, "sonnet");
	assert_int_equal(role->max_turns, 100);
	assert_int_equal(role->hang_timeout_seconds, 600);
	assert_int_equal(da_agent_role_find(r, "implementer")->max_turns, 40);
	assert_string_equal(da_agent_role_find(r, "qa")->model, "opus");
	assert_int_equal(da_agent_role_find(r, "reviewer")->max_turns, 20);
	da_agent_roles_free(r);

	snprintf(path, sizeof path, "%s/home", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/home/projects", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/home/config.yaml", dir);
	write_text(path, "agents:\n  qa: { model: haiku, max_turns: 7 }\n  commands: { codex: /opt/codex }\n"
		   "budget: { max_cost_usd: 5.0, max_turns: 300 }\n");
	snprintf(path, sizeof path, "%s/home/projects/app.yaml", dir);
	write_text(path, "agents:\n  qa: { backend: codex, fallback: gemini }\nbudget: { max_turns: 50 }\n");
	assert_int_equal(da_agent_roles_load("app", &r), 0);
	role = da_agent_role_find(r, "qa");
	assert_int_equal(role->backend, DA_BACKEND_CODEX);
	assert_int_equal(role->fallback, DA_BACKEND_GEMINI);
	/* haiku is a Claude model: switched to codex without a model, the
	 * role runs on codex's default; max_turns still overlays */
	assert_null(role->model);
	assert_int_equal(role->max_turns, 7);
	assert_int_equal(r->max_turns, 50);
	assert_true(r->max_cost_usd > 4.99);
	assert_string_equal(da_agent_command(r, role, DA_BACKEND_CODEX), "/opt/codex");
	da_agent_roles_free(r);

	write_text(path, "agents:\n  implementer: { backend: gemini }\n  lead: { backend: codex, model: gpt-5 }\n"
		   "  reviewer: { backend: claude }\n");
	assert_int_equal(da_agent_roles_load("app", &r), 0);
	assert_null(da_agent_role_find(r, "implementer")->model);
	assert_string_equal(da_agent_role_find(r, "lead")->model, "gpt-5");
	assert_string_equal(da_agent_role_find(r, "reviewer")->model, "sonnet");	/* same backend */
	da_agent_roles_free(r);

	write_text(path, "agents:\n  qa:\n    max_turns: -3\n");
	assert_int_equal(da_agent_roles_load("app", &r), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "app.yaml:3"));
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(claude_success_stream_gives_session_turns_tokens_cost),
		cmocka_unit_test(claude_success_with_is_error_is_a_failure),
		cmocka_unit_test(claude_error_subtypes_map_to_kinds),
		cmocka_unit_test(claude_rejected_rate_limit_event_is_a_usage_window),
		cmocka_unit_test(codex_stream_sums_turn_usage),
		cmocka_unit_test(codex_usage_limit_error_carries_reset),
		cmocka_unit_test(codex_turn_failed_wins_over_transient_errors),
		cmocka_unit_test(gemini_deltas_join_and_exit_codes_classify),
		cmocka_unit_test(opencode_steps_add_cost_and_tokens),
		cmocka_unit_test(big_prompt_never_enters_argv),
		cmocka_unit_test(argv_per_backend),
		cmocka_unit_test(env_never_carries_secrets),
		cmocka_unit_test(budget_and_backoff_arithmetic),
		cmocka_unit_test(classify_text_tells_limits_apart),
		cmocka_unit_test(roles_load_defaults_overlay_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
