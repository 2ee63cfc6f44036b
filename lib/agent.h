/* agent: one interface over the coding-agent CLIs (claude, codex, gemini,
 * opencode).
 *
 * A role (lead, implementer, qa, reviewer) names a backend, a model, a
 * turn limit and the clocks that bound a run. da_agent_run() starts the
 * backend's CLI headless through da_spawn_run() (own process group,
 * allow-listed environment, private agent home under the run dir,
 * wall-clock timeout, hang detection), saves the prompt and the raw event
 * stream, parses the stream with jansson into a da_agent_result, retries
 * rate limits with backoff, stops at the task's budget, and falls back to
 * the role's fallback backend when the primary fails for a reason a retry
 * cannot fix.
 *
 * Config (lib/agent_config.c), in $DA_HOME/config.yaml, overlaid per key by
 * $DA_HOME/projects/<p>.yaml:
 *
 *   agents:
 *     implementer: { backend: claude, model: opus, max_turns: 40,
 *                    timeout_seconds: 3600, hang_timeout_seconds: 600,
 *                    fallback: codex, command: /opt/claude }
 *     commands: { claude: /usr/local/bin/claude, codex: codex }
 *     claude_auth: subscription      # or api_key
 *     retries: 3                     # rate-limit retries per run
 *     backoff_ms: 10000              # first backoff; doubles, capped at 5 min
 *     pass_env: [IS_SANDBOX]         # extra names copied into the agent env
 *   budget: { max_cost_usd: 5.0, max_turns: 300 }
 *
 * A model name belongs to its backend: a layer that switches a role's
 * backend without naming a model drops the model (the CLI's default).
 *
 * Environment wins over files: DA_CLAUDE_BIN, DA_CODEX_BIN, DA_GEMINI_BIN,
 * DA_OPENCODE_BIN, DA_AGENT_BACKOFF_MS. */
#ifndef DA_AGENT_H
#define DA_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum da_agent_backend {
	DA_BACKEND_NONE = 0,
	DA_BACKEND_CLAUDE,
	DA_BACKEND_CODEX,
	DA_BACKEND_GEMINI,
	DA_BACKEND_OPENCODE,
	DA_BACKEND_COUNT,
};

enum da_agent_error {
	DA_AGENT_OK = 0,
	DA_AGENT_AUTH,		/* not logged in, bad key */
	DA_AGENT_MAX_TURNS,	/* the role's turn limit was reached */
	DA_AGENT_BUDGET,	/* the task's cost/turn budget, or the CLI's own */
	DA_AGENT_RATE_LIMIT,	/* transient 429/overloaded: retried with backoff */
	DA_AGENT_USAGE_WINDOW,	/* subscription window used up: try after reset_at */
	DA_AGENT_TIMEOUT,	/* the stage's wall clock ran out */
	DA_AGENT_HANG,		/* no output for hang_timeout */
	DA_AGENT_EXECUTION,	/* the agent said it failed, or exited non-zero */
	DA_AGENT_MALFORMED,	/* no parsable final event */
	DA_AGENT_NOT_FOUND,	/* the CLI is not installed */
};

#define DA_AGENT_ROLE_COUNT 4

struct da_agent_role {
	char name[16];			/* lead, implementer, qa, reviewer */
	enum da_agent_backend backend;
	char *model;			/* NULL: the CLI's default */
	long max_turns;			/* 0: no limit */
	long timeout_seconds;		/* wall clock of one run; 0: none */
	long hang_timeout_seconds;	/* silence that means hung; default 600 */
	enum da_agent_backend fallback;	/* DA_BACKEND_NONE: no fallback */
	char *command;			/* path override for this role; NULL: backend's */
};

struct da_agent_roles {
	struct da_agent_role roles[DA_AGENT_ROLE_COUNT];
	char *commands[DA_BACKEND_COUNT];	/* per backend; NULL: name on PATH */
	bool claude_auth_api_key;	/* claude_auth: api_key (default subscription) */
	long retries;			/* rate-limit retries per run (default 3) */
	long backoff_ms;		/* first backoff (default 10000) */
	char **pass_env;		/* extra allow-listed names; NULL-terminated */
	double max_cost_usd;		/* budget per task; 0: none */
	long max_turns;			/* budget per task; 0: none */
};

/* Per-task budget accumulator; the caller persists spent_* across runs. */
struct da_agent_budget {
	double max_cost_usd;	/* 0: no cost limit */
	long max_turns;		/* 0: no turn limit */
	double spent_cost_usd;
	long spent_turns;
};

struct da_agent_result {
	bool ok;
	enum da_agent_error error_kind;
	enum da_agent_backend backend;	/* the backend that produced this result */
	char *session_id;
	long turns;
	long input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens;
	double cost_usd;
	char *final_text;
	time_t reset_at;	/* usage window: when to try again; 0 unknown */
	char *error;		/* one line: why it failed; NULL when ok */
	char exit_desc[128];	/* how the process ended ("exit 0", "timed out…") */
	int attempts;		/* processes started, retries included */
};

struct da_agent_request {
	const struct da_agent_roles *cfg;
	const struct da_agent_role *role;
	const char *prompt;
	const char *cwd;			/* where the agent works; NULL: ours */
	const char *resume_id;			/* continue this session */
	const char *session_id;			/* start a new session with this id */
	const char *append_system_prompt;	/* claude only */
	const char *run_dir;			/* required: prompt, events, agent homes */
	const char *name;			/* file stem in run_dir; NULL: the role */
	struct da_agent_budget *budget;		/* NULL: no task budget; updated */
};

/* Roles from $DA_HOME/config.yaml overlaid by projects/<project>.yaml
 * (project may be NULL). DA_EUSAGE names file:line for bad values. */
int da_agent_roles_load(const char *project, struct da_agent_roles **out);
void da_agent_roles_free(struct da_agent_roles *r);
/* Built-in defaults only (no files, no environment). */
int da_agent_roles_defaults(struct da_agent_roles **out);
/* The role by name, or NULL. */
const struct da_agent_role *da_agent_role_find(const struct da_agent_roles *r, const char *name);
/* The command for a backend (role override, DA_<B>_BIN, config, name). */
const char *da_agent_command(const struct da_agent_roles *r, const struct da_agent_role *role,
			     enum da_agent_backend b);

const char *da_agent_backend_name(enum da_agent_backend b);
enum da_agent_backend da_agent_backend_parse(const char *name);	/* NONE if unknown */
const char *da_agent_error_name(enum da_agent_error e);

/* Initialise a budget from the config's limits with nothing spent. */
void da_agent_budget_init(struct da_agent_budget *b, const struct da_agent_roles *r);
/* true when spending cost/turns more would cross the budget */
bool da_agent_budget_exceeded(const struct da_agent_budget *b, double cost, long turns);

/* One agent run with every safeguard. Writes <run_dir>/<name>.prompt.md and
 * <name>.events.jsonl (raw stdout of every attempt) and <name>.stderr.log.
 * Returns 0 when the agent succeeded; DA_ETEMP for an exhausted usage
 * window (res->reset_at says when to retry); DA_ERUNTIME when the agent
 * failed (res->error_kind and res->error say why); DA_EUSAGE for a bad
 * request. res is always filled; free it with da_agent_result_free(). */
int da_agent_run(const struct da_agent_request *req, struct da_agent_result *res);
void da_agent_result_free(struct da_agent_result *res);

/* The result as one JSON object (ok, error_kind, backend, session_id, turns,
 * tokens, cost_usd, final_text, reset_at as ISO time or null, error,
 * exit, attempts). Caller frees. */
char *da_agent_result_json(const struct da_agent_result *res);

/* Backoff before rate-limit retry n (1-based): min(base * 2^(n-1), 5 min). */
long da_agent_backoff_ms(long base_ms, int n);

#endif
