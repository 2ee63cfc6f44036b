/* The environment and private home of one agent run.
 *
 * Two runs at once must never share CLI state (session files, caches,
 * settings written back), so each gets HOME and the backend's config dir
 * under its run dir. The real credential files are symlinked in: the
 * agent can read the login, and nothing it writes lands in the real
 * config dir except through that one link. */
#include "agent_backend.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const base_env[] = {
	"PATH", "LANG", "LC_*", "TERM", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR",
	"IS_SANDBOX", "NO_COLOR", NULL,
};

/* Never passed, whatever an allow list says. */
static const char *const secret_words[] = { "TOKEN", "SECRET", "KEY", "PASSWORD", "PASSWD",
					    "CREDENTIAL", NULL };
static bool is_secret_name(const char *name, size_t len)
{
	char buf[256];

	if (len >= sizeof buf)
		return true;
	memcpy(buf, name, len);
	buf[len] = 0;
	for (size_t i = 0; secret_words[i]; i++)
		if (strstr(buf, secret_words[i]))
			return true;
	/* personal access tokens: DEV_AGENTS_PAT, GITEA_PAT, ... */
	return len >= 4 && !memcmp(name + len - 4, "_PAT", 4);
}

static int copy_list(struct da_env *env, const char *const *names)
{
	return names ? da_env_copy_allowed(env, names) : 0;
}

/* Drop every secret-looking name that is not the backend's own auth. */
static void scrub(struct da_env *env, const struct da_agent_backend_ops *ops)
{
	const char *const *vars;
	bool again = true;

	while (again) {
		again = false;
		vars = da_env_strings(env);
		for (size_t i = 0; vars && vars[i]; i++) {
			const char *eq = strchr(vars[i], '=');
			size_t len = eq ? (size_t)(eq - vars[i]) : strlen(vars[i]);
			char name[256];

			if (!is_secret_name(vars[i], len) || da_env_match(vars[i], len, ops->auth_env))
				continue;
			snprintf(name, sizeof name, "%.*s", (int)len, vars[i]);
			da_env_unset(env, name);
			again = true;	/* the array changed under us */
			break;
		}
	}
}

static int link_creds(const struct da_agent_backend_ops *ops, const char *confdir)
{
	const char *home = getenv("HOME");
	char from[DA_PATH_MAX], to[DA_PATH_MAX], dir[DA_PATH_MAX];

	for (const struct da_agent_cred *c = ops->creds; c && c->from; c++) {
		const char *base = c->from_env ? getenv(c->from_env) : home;

		if (!base || !base[0])
			continue;
		if (da_pathf(from, sizeof from, "%s/%s", base, c->from) < 0 ||
		    da_pathf(to, sizeof to, "%s/%s", confdir, c->to) < 0)
			return DA_ERUNTIME;
		if (!da_path_exists(from) || da_path_exists(to))
			continue;	/* first source found wins */
		snprintf(dir, sizeof dir, "%s", to);
		if (da_mkdirs(dirname(dir)) < 0)
			return DA_ERUNTIME;
		if (symlink(from, to) < 0 && errno != EEXIST)
			return da_errf(DA_ERUNTIME, "link %s: %s", to, strerror(errno));
	}
	return 0;
}

static int set_dirs(struct da_env *env, const struct da_agent_backend_ops *ops,
		    const char *agent_home, const char *confdir)
{
	char path[DA_PATH_MAX], tmp[DA_PATH_MAX];
	int rc = 0;

	if (da_pathf(path, sizeof path, "%s/home", agent_home) < 0 || da_mkdirs(path) < 0 ||
	    da_mkdirs(confdir) < 0)
		return DA_ERUNTIME;
	rc |= da_env_set(env, "HOME", path);
	if (ops->config_env)
		rc |= da_env_set(env, ops->config_env, confdir);
	if (ops->id == DA_BACKEND_OPENCODE) {
		/* opencode keeps auth in XDG_DATA_HOME and settings in XDG_CONFIG_HOME */
		if (da_pathf(tmp, sizeof tmp, "%s/data", confdir) < 0)
			return DA_ERUNTIME;
		rc |= da_env_set(env, "XDG_DATA_HOME", tmp);
		if (da_pathf(tmp, sizeof tmp, "%s/config", confdir) < 0)
			return DA_ERUNTIME;
		rc |= da_env_set(env, "XDG_CONFIG_HOME", tmp);
		if (da_pathf(tmp, sizeof tmp, "%s/cache", confdir) < 0)
			return DA_ERUNTIME;
		rc |= da_env_set(env, "XDG_CACHE_HOME", tmp);
	}
	return rc ? da_errf(DA_ERUNTIME, "out of memory") : 0;
}

int da_agent_build_env(const struct da_agent_roles *cfg, const struct da_agent_backend_ops *ops,
		       const char *agent_home, struct da_env **out)
{
	struct da_env *env = da_env_new();
	char confdir[DA_PATH_MAX];
	int rc;

	*out = NULL;
	if (!env)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = copy_list(env, base_env)) < 0 ||
	    (rc = copy_list(env, (const char *const *)cfg->pass_env)) < 0 ||
	    (rc = copy_list(env, ops->plain_env)) < 0 || (rc = copy_list(env, ops->auth_env)) < 0)
		goto fail;
	if (ops->id == DA_BACKEND_CLAUDE && !cfg->claude_auth_api_key &&
	    da_env_get(env, "ANTHROPIC_API_KEY")) {
		/* seed 000's token gotcha: the key silently wins over the
		 * subscription token and every token is billed */
		da_warn("ANTHROPIC_API_KEY is set but agents.claude_auth is subscription: "
			"NOT passing it to claude (it would switch to metered API billing); "
			"unset it, or set claude_auth: api_key if billing per token is meant");
		da_env_unset(env, "ANTHROPIC_API_KEY");
	}
	scrub(env, ops);
	if ((rc = da_pathf(confdir, sizeof confdir, "%s/%s", agent_home, ops->config_sub)) < 0 ||
	    (rc = set_dirs(env, ops, agent_home, confdir)) < 0 || (rc = link_creds(ops, confdir)) < 0)
		goto fail;
	*out = env;
	return 0;
fail:
	da_env_free(env);
	return rc < 0 ? rc : DA_ERUNTIME;
}
