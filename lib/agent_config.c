/* Agent roles and the task budget from $DA_HOME/config.yaml, overlaid key
 * by key by $DA_HOME/projects/<project>.yaml (format in agent.h). */
#include "agent.h"
#include "agent_backend.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdlib.h>
#include <string.h>

#define AGENT_CONFIG_MAX (256 * 1024)

static const struct {
	const char *name;
	enum da_agent_backend backend;
	const char *model;
	long max_turns, timeout;
} role_defaults[DA_AGENT_ROLE_COUNT] = {
	/* the seed's allocation: sonnet orchestrates, opus writes code */
	{ "lead", DA_BACKEND_CLAUDE, "sonnet", 100, 3600 },
	{ "implementer", DA_BACKEND_CLAUDE, "opus", 40, 3600 },
	{ "qa", DA_BACKEND_CLAUDE, "opus", 20, 1800 },
	{ "reviewer", DA_BACKEND_CLAUDE, "sonnet", 20, 1200 },
};

static const char *const backend_names[DA_BACKEND_COUNT] = {
	"none", "claude", "codex", "gemini", "opencode",
};

const char *da_agent_backend_name(enum da_agent_backend b)
{
	return (b >= 0 && b < DA_BACKEND_COUNT) ? backend_names[b] : "none";
}

enum da_agent_backend da_agent_backend_parse(const char *name)
{
	for (int b = DA_BACKEND_CLAUDE; name && b < DA_BACKEND_COUNT; b++)
		if (!strcmp(name, backend_names[b]))
			return (enum da_agent_backend)b;
	return DA_BACKEND_NONE;
}

const char *da_agent_error_name(enum da_agent_error e)
{
	static const char *const names[] = { "none", "auth", "max_turns", "budget", "rate_limit",
					     "usage_window", "timeout", "hang", "execution",
					     "malformed", "not_found" };

	return (e >= 0 && (size_t)e < sizeof names / sizeof names[0]) ? names[e] : "execution";
}

int da_agent_roles_defaults(struct da_agent_roles **out)
{
	struct da_agent_roles *r = calloc(1, sizeof *r);

	*out = NULL;
	if (!r)
		return da_errf(DA_ERUNTIME, "out of memory");
	for (int i = 0; i < DA_AGENT_ROLE_COUNT; i++) {
		struct da_agent_role *role = &r->roles[i];

		snprintf(role->name, sizeof role->name, "%s", role_defaults[i].name);
		role->backend = role_defaults[i].backend;
		role->max_turns = role_defaults[i].max_turns;
		role->timeout_seconds = role_defaults[i].timeout;
		role->hang_timeout_seconds = 600;
		if (!(role->model = strdup(role_defaults[i].model))) {
			da_agent_roles_free(r);
			return da_errf(DA_ERUNTIME, "out of memory");
		}
	}
	r->retries = 3;
	r->backoff_ms = 10000;
	*out = r;
	return 0;
}

void da_agent_roles_free(struct da_agent_roles *r)
{
	if (!r)
		return;
	for (int i = 0; i < DA_AGENT_ROLE_COUNT; i++) {
		free(r->roles[i].model);
		free(r->roles[i].command);
	}
	for (int b = 0; b < DA_BACKEND_COUNT; b++)
		free(r->commands[b]);
	da_strlist_free(r->pass_env);
	free(r);
}

const struct da_agent_role *da_agent_role_find(const struct da_agent_roles *r, const char *name)
{
	for (int i = 0; r && name && i < DA_AGENT_ROLE_COUNT; i++)
		if (!strcmp(r->roles[i].name, name))
			return &r->roles[i];
	return NULL;
}

static int get_backend(struct da_yaml_doc *d, yaml_node_t *map, const char *key,
		       enum da_agent_backend *out, bool none_ok)
{
	yaml_node_t *n = da_yaml_get(d, map, key);
	const char *s = da_yaml_scalar(n);
	enum da_agent_backend b;

	if (!n)
		return 0;
	if (none_ok && s && (!strcmp(s, "none") || !s[0])) {
		*out = DA_BACKEND_NONE;
		return 0;
	}
	if ((b = da_agent_backend_parse(s)) == DA_BACKEND_NONE)
		return da_yaml_errat(d, n, "%s: unknown backend \"%s\" (claude, codex, gemini or opencode)",
				     key, s ? s : "");
	*out = b;
	return 0;
}

static int read_role(struct da_yaml_doc *d, yaml_node_t *map, struct da_agent_role *role)
{
	enum da_agent_backend was = role->backend;
	int rc;

	if (map->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, map, "agents.%s: a mapping of settings", role->name);
	if ((rc = get_backend(d, map, "backend", &role->backend, false)) < 0)
		return rc;
	/* a model name belongs to its backend ("opus" means nothing to codex):
	 * a backend switched without a model runs on that CLI's default */
	if (role->backend != was && !da_yaml_get(d, map, "model")) {
		free(role->model);
		role->model = NULL;
	}
	if ((rc = get_backend(d, map, "fallback", &role->fallback, true)) < 0 ||
	    (rc = da_yaml_get_str(d, map, "model", &role->model)) < 0 ||
	    (rc = da_yaml_get_str(d, map, "command", &role->command)) < 0 ||
	    (rc = da_yaml_get_long(d, map, "max_turns", &role->max_turns)) < 0 ||
	    (rc = da_yaml_get_long(d, map, "timeout_seconds", &role->timeout_seconds)) < 0 ||
	    (rc = da_yaml_get_long(d, map, "hang_timeout_seconds", &role->hang_timeout_seconds)) < 0)
		return rc;
	if (role->max_turns < 0 || role->max_turns > 10000)
		return da_yaml_errat(d, map, "agents.%s.max_turns must be between 0 and 10000", role->name);
	if (role->timeout_seconds < 0)
		return da_yaml_errat(d, map, "agents.%s.timeout_seconds must not be negative", role->name);
	if (role->hang_timeout_seconds < 0)
		return da_yaml_errat(d, map, "agents.%s.hang_timeout_seconds must not be negative",
				     role->name);
	if (role->fallback == role->backend)
		return da_yaml_errat(d, map, "agents.%s.fallback is the role's own backend", role->name);
	return 0;
}

static int read_agents(struct da_yaml_doc *d, yaml_node_t *agents, struct da_agent_roles *r)
{
	yaml_node_t *commands = da_yaml_get(d, agents, "commands");
	char *auth = NULL;
	int rc = 0;

	if (agents->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, agents, "agents: a mapping of roles and settings");
	for (int i = 0; i < DA_AGENT_ROLE_COUNT; i++) {
		yaml_node_t *m = da_yaml_get(d, agents, r->roles[i].name);

		if (m && (rc = read_role(d, m, &r->roles[i])) < 0)
			return rc;
	}
	for (int b = DA_BACKEND_CLAUDE; commands && b < DA_BACKEND_COUNT; b++)
		if ((rc = da_yaml_get_str(d, commands, backend_names[b], &r->commands[b])) < 0)
			return rc;
	if ((rc = da_yaml_get_long(d, agents, "retries", &r->retries)) < 0 ||
	    (rc = da_yaml_get_long(d, agents, "backoff_ms", &r->backoff_ms)) < 0 ||
	    (rc = da_yaml_get_strlist(d, agents, "pass_env", &r->pass_env, NULL)) < 0 ||
	    (rc = da_yaml_get_str(d, agents, "claude_auth", &auth)) < 0)
		goto out;
	if (r->retries < 0 || r->retries > 20)
		rc = da_yaml_errat(d, agents, "agents.retries must be between 0 and 20");
	else if (r->backoff_ms < 0)
		rc = da_yaml_errat(d, agents, "agents.backoff_ms must not be negative");
	else if (auth && strcmp(auth, "subscription") && strcmp(auth, "api_key"))
		rc = da_yaml_errat(d, da_yaml_get(d, agents, "claude_auth"),
				   "agents.claude_auth must be subscription or api_key");
	else if (auth)
		r->claude_auth_api_key = !strcmp(auth, "api_key");
out:
	free(auth);
	return rc;
}

static int read_budget(struct da_yaml_doc *d, yaml_node_t *budget, struct da_agent_roles *r)
{
	int rc;

	if (budget->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, budget, "budget: a mapping {max_cost_usd, max_turns}");
	if ((rc = da_yaml_get_double(d, budget, "max_cost_usd", &r->max_cost_usd)) < 0 ||
	    (rc = da_yaml_get_long(d, budget, "max_turns", &r->max_turns)) < 0)
		return rc;
	if (r->max_cost_usd < 0)
		return da_yaml_errat(d, budget, "budget.max_cost_usd must not be negative");
	if (r->max_turns < 0)
		return da_yaml_errat(d, budget, "budget.max_turns must not be negative");
	return 0;
}

static int read_file(const char *path, struct da_agent_roles *r)
{
	struct da_yaml_doc d;
	yaml_node_t *root, *n;
	int rc;

	if ((rc = da_yaml_load_file(&d, path, AGENT_CONFIG_MAX)) < 0)
		goto out;
	if (!(root = da_yaml_root(&d)))
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		rc = da_yaml_errat(&d, root, "the config is a mapping of settings");
		goto out;
	}
	if ((n = da_yaml_get(&d, root, "agents")) && (rc = read_agents(&d, n, r)) < 0)
		goto out;
	if ((n = da_yaml_get(&d, root, "budget")) && (rc = read_budget(&d, n, r)) < 0)
		goto out;
out:
	da_yaml_free(&d);
	return rc;
}

static int read_env(struct da_agent_roles *r)
{
	const char *v = getenv("DA_AGENT_BACKOFF_MS");
	char *end;

	if (!v || !v[0])
		return 0;
	r->backoff_ms = strtol(v, &end, 10);
	if (*end || r->backoff_ms < 0)
		return da_errf(DA_EUSAGE, "DA_AGENT_BACKOFF_MS: not a number of milliseconds: \"%s\"", v);
	return 0;
}

int da_agent_roles_load(const char *project, struct da_agent_roles **out)
{
	struct da_agent_roles *r;
	char path[DA_PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = da_agent_roles_defaults(&r)) < 0)
		return rc;
	if ((rc = da_pathf(path, sizeof path, "%s/config.yaml", da_home())) < 0)
		goto fail;
	if (da_path_exists(path) && (rc = read_file(path, r)) < 0)
		goto fail;
	if (project) {
		if ((rc = da_check_project_name(project)) < 0 ||
		    (rc = da_pathf(path, sizeof path, "%s/projects/%s.yaml", da_home(), project)) < 0)
			goto fail;
		if (!da_path_exists(path)) {
			rc = da_errf(DA_EUSAGE, "unknown project \"%s\": no %s", project, path);
			goto fail;
		}
		if ((rc = read_file(path, r)) < 0)
			goto fail;
	}
	if ((rc = read_env(r)) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	da_agent_roles_free(r);
	return rc;
}

const char *da_agent_command(const struct da_agent_roles *r, const struct da_agent_role *role,
			     enum da_agent_backend b)
{
	const struct da_agent_backend_ops *ops = da_agent_ops(b);
	const char *env = ops ? getenv(ops->bin_env) : NULL;

	if (role && role->command && role->backend == b)
		return role->command;
	if (env && env[0])
		return env;
	if (r && b > DA_BACKEND_NONE && b < DA_BACKEND_COUNT && r->commands[b])
		return r->commands[b];
	return da_agent_backend_name(b);
}

void da_agent_budget_init(struct da_agent_budget *b, const struct da_agent_roles *r)
{
	memset(b, 0, sizeof *b);
	b->max_cost_usd = r ? r->max_cost_usd : 0;
	b->max_turns = r ? r->max_turns : 0;
}

bool da_agent_budget_exceeded(const struct da_agent_budget *b, double cost, long turns)
{
	if (!b)
		return false;
	if (b->max_cost_usd > 0 && b->spent_cost_usd + cost > b->max_cost_usd)
		return true;
	return b->max_turns > 0 && b->spent_turns + turns > b->max_turns;
}
