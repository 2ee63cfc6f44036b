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
	int (*list_comments)(struct da_forge *f, long number, struct da_forge_comment **out,
			     size_t *n);
	int (*list_labels)(struct da_forge *f, struct da_forge_label **out, size_t *n);
	int (*create_label)(struct da_forge *f, const char *name, const char *color,
			    const char *description);
	int (*add_labels)(struct da_forge *f, long number, const char *const *names, size_t n);
	int (*remove_label)(struct da_forge *f, long number, const char *name);
	int (*find_pr)(struct da_forge *f, const char *branch, struct da_forge_pr **out);
	int (*get_pr)(struct da_forge *f, long number, struct da_forge_pr **out);
	int (*create_pr)(struct da_forge *f, const struct da_forge_pr_new *in,
			 struct da_forge_pr **out);
	int (*update_pr)(struct da_forge *f, long number, const struct da_forge_pr_update *in);
	int (*set_pr_draft)(struct da_forge *f, long number, bool draft);
	int (*create_review)(struct da_forge *f, long number, const struct da_forge_review *in,
			     long *review_id);
	int (*list_reviews)(struct da_forge *f, long number, struct da_forge_posted_review **out,
			    size_t *n);
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

/* One account only (no DA_REVIEW_TOKEN): the forges refuse the PR
 * author's APPROVE / REQUEST_CHANGES, so the verdict goes out as a
 * COMMENT review that states it. *verdict is what to send; *body_out
 * (caller frees) the body, NULL when unchanged. (forge.c) */
int da_forge_self_review(struct da_forge *f, const struct da_forge_review *in, enum da_forge_verdict *verdict,
			 char **body_out);

/* ---- shared by the REST backends (forge_rest.c) ---- */
#include <jansson.h>
struct da_http;
struct da_http_resp;

/* One request through h, recording the status (and not_before after
 * DA_ETEMP) in f->status. body may be NULL; it is not stolen. */
int da_forge_rest(struct da_forge *f, struct da_http *h, const char *method, const char *path,
		  const json_t *body, struct da_http_resp *resp);
/* POST path adding an item (comment, review) to the list at list_path.
 * When `text` carries a dev-agents marker ("<!-- dev-agents:... -->"),
 * a lost answer is checked against the list before the POST is sent
 * again (http.h, da_http_guard): never two of one comment or review.
 * `status` is the POST's success status. */
int da_forge_rest_post_item(struct da_forge *f, struct da_http *h, const char *path,
			    const json_t *body, const char *text, const char *list_path, long status,
			    struct da_http_resp *resp);
/* Every page of a list; same status bookkeeping. */
int da_forge_rest_all(struct da_forge *f, struct da_http *h, const char *path, json_t **out);
/* "what: HTTP 422: <the forge's message>" as DA_ERUNTIME (DA_EUSAGE for
 * 401/403/404, which a retry cannot fix: bad token, repo or number). */
int da_forge_rest_fail(const struct da_http_resp *resp, const char *what);
/* Percent-encode for a URL path or query; keep_slash for file paths.
 * Caller frees. */
char *da_forge_urlesc(const char *s, bool keep_slash);

/* Parsers from the forges' JSON (GitHub's shapes; Gitea follows them
 * for these objects). DA_ERUNTIME when a required field is missing. */
int da_forge_parse_repo(const json_t *j, struct da_forge_repo **out);
int da_forge_parse_issue(const json_t *j, struct da_forge_issue **out);
int da_forge_parse_pr(const json_t *j, struct da_forge_pr **out);
int da_forge_parse_labels(const json_t *array, struct da_forge_label **out, size_t *n);
int da_forge_parse_comments(const json_t *array, struct da_forge_comment **out, size_t *n);
/* A list of reviews (GET .../pulls/{n}/reviews: GitHub and Gitea agree). */
int da_forge_parse_reviews(const json_t *array, struct da_forge_posted_review **out, size_t *n);
/* A contents-API file object: base64 "content" decoded. */
int da_forge_parse_file(const json_t *j, struct da_forge_file **out);
int da_forge_parse_pubkey(const json_t *j, struct da_forge_pubkey **out);
/* Base64 (with the newlines GitHub puts in) -> bytes, NUL-terminated. */
int da_forge_b64decode(const char *b64, char **out, size_t *len);
char *da_forge_b64encode(const void *data, size_t len);

#endif
