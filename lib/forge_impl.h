/* forge_impl: the backend side of forge.h. Only forge*.c include this.
 *
 * A backend fills a struct da_forge_ops; forge.c checks arguments once,
 * clears the status, and dispatches. An op left NULL answers DA_EUSAGE
 * "<kind> forge cannot <op>". Backends keep their state behind `priv`
 * and release it in `close`. Ops return 0 or a negative class after
 * da_errf(); on DA_ETEMP they set f->status.not_before. */
#ifndef DA_FORGE_IMPL_H
#define DA_FORGE_IMPL_H

#include "forge.h"

struct da_forge_ops {
	void (*close)(struct da_forge *f);
	int (*get_repo)(struct da_forge *f, struct da_forge_repo **out);
	int (*get_issue)(struct da_forge *f, long number, struct da_forge_issue **out);
	int (*comment)(struct da_forge *f, long number, const char *body, char **html_url);
	int (*list_labels)(struct da_forge *f, struct da_forge_label **out, size_t *n);
	int (*create_label)(struct da_forge *f, const char *name, const char *color,
			    const char *description);
	int (*add_labels)(struct da_forge *f, long number, const char *const *names, size_t n);
	int (*find_pr)(struct da_forge *f, const char *branch, struct da_forge_pr **out);
	int (*create_pr)(struct da_forge *f, const struct da_forge_pr_new *in,
			 struct da_forge_pr **out);
	int (*update_pr)(struct da_forge *f, long number, const struct da_forge_pr_update *in);
	int (*set_pr_draft)(struct da_forge *f, long number, bool draft);
	int (*create_review)(struct da_forge *f, long number, const struct da_forge_review *in,
			     long *review_id);
	int (*merge_pr)(struct da_forge *f, long number, const char *title, const char *message,
			const char *sha, enum da_forge_merge_result *result, char **sha_out);
	int (*get_file)(struct da_forge *f, const char *path, const char *ref,
			struct da_forge_file **out);
	int (*put_file)(struct da_forge *f, const char *path, const char *branch,
			const char *message, const void *content, size_t len, const char *sha);
	int (*actions_public_key)(struct da_forge *f, struct da_forge_pubkey **out);
	int (*put_secret_sealed)(struct da_forge *f, const char *name, const char *key_id,
				 const char *sealed_b64);
	int (*put_secret_plain)(struct da_forge *f, const char *name, const char *value);
};

struct da_forge {
	enum da_forge_kind kind;
	enum da_forge_identity identity;
	char *owner;		/* repo split at '/' */
	char *name;
	const struct da_forge_ops *ops;
	void *priv;
	struct da_forge_status status;
};

/* Backend constructors: fill f->ops and f->priv (f->owner/name, kind and
 * identity are already set). forge_local.c provides the third. */
int da_forge_github_init(struct da_forge *f, const struct da_forge_opts *opts);
int da_forge_gitea_init(struct da_forge *f, const struct da_forge_opts *opts);
int da_forge_local_init(struct da_forge *f, const struct da_forge_opts *opts);

/* The token for an identity, from the environment (see forge.h); NULL
 * when none is set. Warns once when the reviewer falls back. */
const char *da_forge_env_token(enum da_forge_identity identity);

#endif
