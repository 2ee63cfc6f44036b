/* agent_backend: what each CLI backend provides to lib/agent.c (internal
 * to the agent layer; callers use agent.h). A backend builds its argv,
 * names its environment (auth variables, config-dir variables, credential
 * files), and turns its event stream into a da_agent_result. */
#ifndef DA_AGENT_BACKEND_H
#define DA_AGENT_BACKEND_H

#include "agent.h"
#include "env.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct da_argv {
	char **v;	/* NULL-terminated */
	size_t n, cap;
};

int da_argv_push(struct da_argv *a, const char *s);
void da_argv_free(struct da_argv *a);

/* What one invocation asks for. */
struct da_agent_call {
	const char *command;		/* resolved program path */
	const char *prompt;
	const char *model;		/* NULL: CLI default */
	long max_turns;			/* 0: none */
	double max_budget_usd;		/* 0: none (claude enforces it itself) */
	const char *resume_id;
	const char *session_id;
	const char *append_system_prompt;
	const char *cwd;
};

/* Parse state of one attempt. */
struct da_agent_stream {
	struct da_agent_result *res;
	bool saw_final;		/* the stream's terminal event arrived */
	long live_turns;	/* turns seen so far (for the budget watch) */
	double live_cost;	/* cost seen so far */
	char *last_msg_id;	/* claude: turns are distinct assistant message ids */
	char *text;		/* assistant text gathered (gemini deltas, opencode parts) */
	long bad_lines;		/* lines that were not JSON objects */
};

/* A credential file or directory linked read-only into the agent home:
 * `from` is relative to the real home (or to env var `from_env` when set),
 * `to` is relative to the agent's config dir. */
struct da_agent_cred {
	const char *from_env;	/* e.g. CLAUDE_CONFIG_DIR; NULL: $HOME */
	const char *from;
	const char *to;
};

struct da_agent_backend_ops {
	enum da_agent_backend id;
	const char *name;
	const char *bin_env;			/* DA_CLAUDE_BIN */
	const char *const *auth_env;		/* the backend's own secrets */
	const char *const *plain_env;		/* non-secret settings it reads */
	const char *config_env;			/* CLAUDE_CONFIG_DIR etc.; NULL: none */
	const char *config_sub;			/* path under the agent home it points to */
	bool prompt_on_stdin;			/* the prompt file is the child's stdin */
	const struct da_agent_cred *creds;	/* terminated by .from == NULL */
	int (*build_argv)(const struct da_agent_call *c, struct da_argv *out);
	void (*on_event)(struct da_agent_stream *s, json_t *ev);
	/* After exit: classify by exit code what the stream left open. */
	void (*on_exit)(struct da_agent_stream *s, int exit_code);
};

const struct da_agent_backend_ops *da_agent_ops(enum da_agent_backend b);

extern const struct da_agent_backend_ops da_agent_claude_ops;
extern const struct da_agent_backend_ops da_agent_codex_ops;
extern const struct da_agent_backend_ops da_agent_gemini_ops;
extern const struct da_agent_backend_ops da_agent_opencode_ops;

/* Shared stream helpers (agent_stream.c). */
void da_agent_stream_init(struct da_agent_stream *s, struct da_agent_result *res);
void da_agent_stream_free(struct da_agent_stream *s);
/* Feed one stdout line; non-JSON lines are counted, not fatal. */
void da_agent_stream_line(const struct da_agent_backend_ops *ops, struct da_agent_stream *s,
			  const char *line, size_t len);
/* Record a failure once: the first kind wins unless `kind` is more specific
 * than EXECUTION/MALFORMED. The message is reduced to one line. */
void da_agent_fail(struct da_agent_result *res, enum da_agent_error kind, const char *msg);
/* Kind of an error message by its words: rate limit, usage window (with the
 * reset time when the text carries one), auth; else `fallback`. */
enum da_agent_error da_agent_classify_text(const char *msg, enum da_agent_error fallback,
					   time_t *reset_at);
void da_agent_set_str(char **dst, const char *src);
void da_agent_append_text(struct da_agent_stream *s, const char *text);
long da_json_long(json_t *obj, const char *key);
double da_json_double(json_t *obj, const char *key);
const char *da_json_str(json_t *obj, const char *key);

/* The allow-listed environment of one run (agent_env.c): base names,
 * cfg->pass_env, the backend's own plain and auth variables, HOME and the
 * backend's config dir pointing into agent_home (created, credentials
 * linked in). Names that look secret (*TOKEN*, *SECRET*, *KEY*, *PASSWORD*,
 * *_PAT) are dropped unless they are this backend's own auth variable. */
int da_agent_build_env(const struct da_agent_roles *cfg, const struct da_agent_backend_ops *ops,
		       const char *agent_home, struct da_env **out);

#endif
