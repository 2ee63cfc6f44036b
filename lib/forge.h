/* forge: one interface over the places where issues and pull requests live.
 *
 * Three backends behind one handle, chosen per project (`forge:` in
 * projects/<p>.yaml): github (REST v3), gitea (API v1) and local (no
 * server: a bare repo plus files under $DA_HOME/data/local-forge/).
 * Callers never see which one they talk to; backend-specific quirks
 * (GitHub seals secrets, Gitea takes them plain; Gitea labels go by id)
 * stay in forge_github.c / forge_gitea.c / forge_local.c.
 *
 * A handle is opened for one identity. The writer pushes, opens PRs,
 * comments and merges with DA_GITHUB_TOKEN (else GH_TOKEN, else
 * GITHUB_TOKEN); the reviewer posts reviews with DA_REVIEW_TOKEN, a
 * second bot account, and falls back to the writer's token with a
 * warning. Tokens are read from the environment here and nowhere else;
 * they are never logged and never handed to a child.
 *
 * Errors follow err.h. DA_ETEMP means "try later": a rate limit whose
 * reset is too far away to wait for; da_forge_status() then gives the
 * wall-clock not_before the task should carry. Not-found is not an error
 * for the lookups documented as such (*out set to NULL instead).
 *
 * Every returned struct is owned by the caller and freed with its
 * da_forge_*_free(), which accepts NULL. */
#ifndef DA_FORGE_H
#define DA_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum da_forge_kind {
	DA_FORGE_GITHUB,
	DA_FORGE_GITEA,
	DA_FORGE_LOCAL,
};

enum da_forge_identity {
	DA_FORGE_WRITER,	/* pushes, PRs, comments, labels, merges */
	DA_FORGE_REVIEWER,	/* posts reviews: an independent account */
};

/* The environment variables holding forge tokens, NULL-terminated: for
 * deny lists (da_env_copy_except) wherever a child's environment is built. */
extern const char *const da_forge_token_vars[];

/* "github" | "gitea" | "local" -> kind; DA_EUSAGE otherwise. */
int da_forge_kind_parse(const char *text, enum da_forge_kind *out);
const char *da_forge_kind_name(enum da_forge_kind kind);

struct da_forge_opts {
	enum da_forge_kind kind;
	enum da_forge_identity identity;
	const char *repo;		/* "owner/name" (a label for local) */
	const char *api_url;		/* project api_url; NULL = default.
					 * github: DA_GITHUB_API wins, default
					 * https://api.github.com. gitea: the
					 * server's root, "/api/v1" is added. */
	const char *remote;		/* local: the bare repo path */
	const char *default_branch;	/* local: branch merges land on */
	const char *state_dir;		/* local: NULL = $DA_HOME/data/local-forge */
	const char *log_path;		/* run log: one line per request
					 * (method, path, status, ms); NULL = none */
};

struct da_forge;

int da_forge_open(const struct da_forge_opts *opts, struct da_forge **out);
void da_forge_free(struct da_forge *f);

/* What the last call ended with, for callers that need more than the
 * error class: the HTTP status (0 for none / local) and, after
 * DA_ETEMP, the wall-clock time before which retrying is pointless. */
struct da_forge_status {
	long http_status;
	time_t not_before;	/* 0 when not rate-limited */
};
const struct da_forge_status *da_forge_status(const struct da_forge *f);

/* ---- repository ---- */

struct da_forge_repo {
	char *full_name;	/* "owner/name" */
	char *default_branch;
	char *clone_url;
	char *html_url;
	bool is_private;
};
int da_forge_get_repo(struct da_forge *f, struct da_forge_repo **out);
void da_forge_repo_free(struct da_forge_repo *r);

/* ---- issues and comments ---- */

struct da_forge_issue {
	long number;
	char *title;
	char *body;		/* "" when the issue has none */
	char *state;		/* "open" | "closed" */
	char *html_url;
	char **labels;		/* NULL-terminated names */
	size_t nlabels;
	bool is_pull_request;	/* GitHub serves PRs on /issues too */
};
/* Not found: returns 0 and *out = NULL. */
int da_forge_get_issue(struct da_forge *f, long number, struct da_forge_issue **out);
void da_forge_issue_free(struct da_forge_issue *i);

/* Comment on an issue or a PR (same numbering). html_url_out may be
 * NULL; otherwise the caller frees it. */
int da_forge_comment(struct da_forge *f, long number, const char *body, char **html_url_out);

struct da_forge_comment {
	long id;
	char *body;
	char *user;		/* login of the author */
	char *html_url;
};
/* Every comment on an issue or PR, oldest first, across all pages: lets a
 * resumed step see that its comment (marked, e.g. with an HTML comment
 * "<!-- dev-agents:... -->") is already there instead of posting twice. */
int da_forge_list_comments(struct da_forge *f, long number, struct da_forge_comment **out,
			   size_t *n);
void da_forge_comments_free(struct da_forge_comment *c, size_t n);

/* ---- labels ---- */

struct da_forge_label {
	long id;		/* Gitea needs ids; 0 where unused */
	char *name;
	char *color;		/* "rrggbb", no '#' */
	char *description;
};
/* Every label of the repository, across all pages. */
int da_forge_list_labels(struct da_forge *f, struct da_forge_label **out, size_t *n);
void da_forge_labels_free(struct da_forge_label *labels, size_t n);
int da_forge_create_label(struct da_forge *f, const char *name, const char *color,
			  const char *description);
/* Create the label unless one with that name (case-insensitive, as the
 * forges compare) exists; *created (may be NULL) says which happened. */
int da_forge_ensure_label(struct da_forge *f, const char *name, const char *color,
			  const char *description, bool *created);
/* Add existing labels to an issue or PR (others it has are kept). */
int da_forge_add_labels(struct da_forge *f, long number, const char *const *names, size_t n);
/* Take one label off an issue or PR (the label stays in the repository).
 * Not there (on the issue or in the repository) is not an error: a
 * rerun removes what an earlier run already removed. */
int da_forge_remove_label(struct da_forge *f, long number, const char *name);

/* ---- pull requests ---- */

struct da_forge_pr {
	long number;
	char *html_url;
	char *title;
	char *state;		/* "open" | "closed" */
	char *head;		/* branch name */
	char *head_sha;
	char *base;
	char *node_id;		/* GitHub GraphQL id; NULL elsewhere */
	bool draft;
	bool merged;
};
/* The open PR whose head is `branch` in this repository, or *out = NULL:
 * how PR creation stays idempotent across a crash. */
int da_forge_find_pr(struct da_forge *f, const char *branch, struct da_forge_pr **out);
/* The PR with that number whatever its state (open, closed, merged): a
 * resumed step reads from here whether its merge landed, where
 * find_pr no longer sees the PR. Not found: returns 0 and *out = NULL. */
int da_forge_get_pr(struct da_forge *f, long number, struct da_forge_pr **out);

struct da_forge_pr_new {
	const char *title;
	const char *body;
	const char *head;	/* branch in this repository */
	const char *base;
	bool draft;
};
/* Idempotent: when the forge says a PR for this head is already open (a
 * retried POST that got through, a task resumed after a crash), that PR
 * is returned instead of an error. */
int da_forge_create_pr(struct da_forge *f, const struct da_forge_pr_new *in,
		       struct da_forge_pr **out);

/* NULL fields are left as they are. state: "open" | "closed". */
struct da_forge_pr_update {
	const char *title;
	const char *body;
	const char *state;
};
int da_forge_update_pr(struct da_forge *f, long number, const struct da_forge_pr_update *in);
/* Mark a PR draft or ready for review. (GitHub has no REST call for this;
 * its backend uses the GraphQL mutations with the PR's node_id.) */
int da_forge_set_pr_draft(struct da_forge *f, long number, bool draft);
void da_forge_pr_free(struct da_forge_pr *pr);

/* ---- reviews ---- */

enum da_forge_verdict {
	DA_REVIEW_APPROVE,
	DA_REVIEW_REQUEST_CHANGES,
	DA_REVIEW_COMMENT,
};

/* An inline comment on the new side ("RIGHT") of the PR's diff. The line
 * must be inside a diff hunk: the forge rejects the whole review
 * otherwise, so callers filter findings to lines the diff touches. */
struct da_forge_review_comment {
	const char *path;
	long line;
	const char *body;
};

struct da_forge_review {
	enum da_forge_verdict verdict;
	const char *body;
	const char *commit_sha;	/* NULL = the PR's head */
	const struct da_forge_review_comment *comments;
	size_t ncomments;
};
/* Post a review as this handle's identity (open with DA_FORGE_REVIEWER).
 * review_id_out may be NULL. Note GitHub refuses APPROVE /
 * REQUEST_CHANGES from the PR's own author (422): that is why the
 * reviewer is a second account. */
int da_forge_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
			   long *review_id_out);

/* A review already on a PR, as the forge shows it. */
struct da_forge_posted_review {
	long id;
	char *body;		/* "" when none */
	char *user;		/* login of the reviewer */
	char *state;		/* the forge's word: APPROVED, CHANGES_REQUESTED,
				 * REQUEST_CHANGES, COMMENTED, COMMENT, ... */
	char *commit_id;	/* the head it reviewed; "" when unknown */
};
/* Every review on PR `number`, oldest first, across all pages: a
 * resumed step finds the review it posted (marked in its body) instead
 * of posting a second. */
int da_forge_list_reviews(struct da_forge *f, long number, struct da_forge_posted_review **out,
			  size_t *n);
void da_forge_posted_reviews_free(struct da_forge_posted_review *r, size_t n);

/* ---- merging ---- */

enum da_forge_merge_result {
	DA_MERGE_MERGED,
	DA_MERGE_NOT_MERGEABLE,	/* 405: checks, draft, protection, or "try later" */
	DA_MERGE_CONFLICT,	/* 409: head moved / base moved; rebase and retry */
};
/* Squash-merge. Returns 0 with *result set for the three outcomes above
 * (405 and 409 are answers, not failures); any other failure is an
 * error. sha_out (may be NULL) gets the merge commit on success.
 * expected_head_sha (may be NULL) makes the forge refuse with 409 when
 * the PR's head moved since it was verified. */
int da_forge_merge_pr(struct da_forge *f, long number, const char *commit_title,
		      const char *commit_message, const char *expected_head_sha,
		      enum da_forge_merge_result *result, char **sha_out);

/* ---- repository contents (onboarding) ---- */

struct da_forge_file {
	char *content;		/* decoded bytes, NUL-terminated */
	size_t len;
	char *sha;		/* blob sha: pass back to update */
};
/* ref may be NULL (default branch). Not found: 0 and *out = NULL. */
int da_forge_get_file(struct da_forge *f, const char *path, const char *ref,
		      struct da_forge_file **out);
/* Create (sha NULL) or update (sha from get_file) path on branch (NULL =
 * default branch) with one commit. */
int da_forge_put_file(struct da_forge *f, const char *path, const char *branch,
		      const char *message, const void *content, size_t len, const char *sha);
void da_forge_file_free(struct da_forge_file *file);

/* ---- Actions secrets (onboarding) ---- */

struct da_forge_pubkey {
	char *key_id;
	char *key;		/* base64 of the 32-byte X25519 public key */
};
/* GitHub only (Gitea takes secrets plain): DA_EUSAGE elsewhere. */
int da_forge_actions_public_key(struct da_forge *f, struct da_forge_pubkey **out);
void da_forge_pubkey_free(struct da_forge_pubkey *k);
/* PUT a value the caller sealed with crypto_box_seal against key_id's key
 * (base64). GitHub only. */
int da_forge_put_secret_sealed(struct da_forge *f, const char *name, const char *key_id,
			       const char *sealed_b64);
/* The one call onboarding needs: github fetches the key, seals with
 * libsodium and PUTs; gitea PUTs the plain value over TLS; local has no
 * Actions (DA_EUSAGE). The value is wiped from our buffers after use. */
int da_forge_put_secret(struct da_forge *f, const char *name, const char *value);
/* crypto_box_seal(value) for a base64 public key, base64 out; caller frees. */
int da_forge_seal_secret(const char *pubkey_b64, const char *value, char **sealed_b64_out);

#endif
