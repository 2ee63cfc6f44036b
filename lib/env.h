/* env: building the environment a child gets.
 *
 * Agents and gates get an allow-listed environment: only names the caller
 * lists (a trailing '*' is a prefix match) are copied from ours, then
 * explicit values are set. Secrets are never on an allow list. */
#ifndef DA_ENV_H
#define DA_ENV_H

#include <stddef.h>

struct da_env;

struct da_env *da_env_new(void);
void da_env_free(struct da_env *env);

/* Copy from our environment each variable matching one of the patterns. */
int da_env_copy_allowed(struct da_env *env, const char *const *patterns);
/* Copy everything except names matching the patterns. */
int da_env_copy_except(struct da_env *env, const char *const *patterns);
int da_env_set(struct da_env *env, const char *name, const char *value);
void da_env_unset(struct da_env *env, const char *name);
const char *da_env_get(const struct da_env *env, const char *name);

/* NULL-terminated "K=V" array owned by env (valid until the next change). */
const char *const *da_env_strings(struct da_env *env);

/* true when name matches one of the patterns */
int da_env_match(const char *name, size_t name_len, const char *const *patterns);

#endif
