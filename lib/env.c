#include "env.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

struct da_env {
	char **vars;	/* "K=V", NULL-terminated */
	size_t count, cap;
};

struct da_env *da_env_new(void)
{
	struct da_env *env = calloc(1, sizeof *env);

	if (!env)
		return NULL;
	env->cap = 16;
	env->vars = calloc(env->cap, sizeof *env->vars);
	if (!env->vars) {
		free(env);
		return NULL;
	}
	return env;
}

void da_env_free(struct da_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->count; i++)
		free(env->vars[i]);
	free(env->vars);
	free(env);
}

int da_env_match(const char *name, size_t name_len, const char *const *patterns)
{
	for (size_t i = 0; patterns && patterns[i]; i++) {
		size_t plen = strlen(patterns[i]);

		if (plen > 0 && patterns[i][plen - 1] == '*') {
			if (name_len >= plen - 1 && strncmp(name, patterns[i], plen - 1) == 0)
				return 1;
		} else if (plen == name_len && strncmp(name, patterns[i], plen) == 0) {
			return 1;
		}
	}
	return 0;
}

static ssize_t find(const struct da_env *env, const char *name, size_t name_len)
{
	for (size_t i = 0; i < env->count; i++)
		if (strncmp(env->vars[i], name, name_len) == 0 && env->vars[i][name_len] == '=')
			return (ssize_t)i;
	return -1;
}

static int put(struct da_env *env, char *entry, size_t name_len)
{
	ssize_t at = find(env, entry, name_len);

	if (at >= 0) {
		free(env->vars[at]);
		env->vars[at] = entry;
		return 0;
	}
	if (env->count + 1 >= env->cap) {
		char **nv = realloc(env->vars, env->cap * 2 * sizeof *nv);

		if (!nv) {
			free(entry);
			return da_errf(DA_ERUNTIME, "environment: out of memory");
		}
		env->vars = nv;
		env->cap *= 2;
	}
	env->vars[env->count++] = entry;
	env->vars[env->count] = NULL;
	return 0;
}

int da_env_set(struct da_env *env, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	char *entry = malloc(nlen + vlen + 2);

	if (!entry)
		return da_errf(DA_ERUNTIME, "environment: out of memory");
	memcpy(entry, name, nlen);
	entry[nlen] = '=';
	memcpy(entry + nlen + 1, value, vlen + 1);
	return put(env, entry, nlen);
}

void da_env_unset(struct da_env *env, const char *name)
{
	ssize_t at = find(env, name, strlen(name));

	if (at < 0)
		return;
	free(env->vars[at]);
	memmove(&env->vars[at], &env->vars[at + 1], (env->count - (size_t)at) * sizeof *env->vars);
	env->count--;
}

const char *da_env_get(const struct da_env *env, const char *name)
{
	size_t nlen = strlen(name);
	ssize_t at = find(env, name, nlen);

	return at < 0 ? NULL : env->vars[at] + nlen + 1;
}

static int copy_filtered(struct da_env *env, const char *const *patterns, int want_match)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq)
			continue;
		size_t nlen = (size_t)(eq - *e);

		if (da_env_match(*e, nlen, patterns) != want_match)
			continue;
		char *entry = strdup(*e);

		if (!entry || put(env, entry, nlen) < 0)
			return da_errf(DA_ERUNTIME, "environment: out of memory");
	}
	return 0;
}

int da_env_copy_allowed(struct da_env *env, const char *const *patterns)
{
	return copy_filtered(env, patterns, 1);
}

int da_env_copy_except(struct da_env *env, const char *const *patterns)
{
	return copy_filtered(env, patterns, 0);
}

const char *const *da_env_strings(struct da_env *env)
{
	return (const char *const *)env->vars;
}
