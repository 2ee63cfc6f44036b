/* forge: opening a handle, checking arguments once, dispatching to the
 * backend, and what every backend shares (tokens, sealing, freeing). */
#include "forge_impl.h"
#include "err.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_names[] = { "github", "gitea", "local" };

const char *const da_forge_token_vars[] = {
	"DA_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", "DA_REVIEW_TOKEN", NULL,
};

int da_forge_kind_parse(const char *text, enum da_forge_kind *out)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
		if (text && !strcmp(text, kind_names[i])) {
			*out = (enum da_forge_kind)i;
			return 0;
		}
	}
	return da_errf(DA_EUSAGE, "forge: '%s' is not one of github, gitea, local",
		       text ? text : "");
}

const char *da_forge_kind_name(enum da_forge_kind kind)
{
	return (unsigned)kind < 3 ? kind_names[kind] : "unknown";
}

static const char *first_env(const char *const *names)
{
	for (; *names; names++) {
		const char *v = getenv(*names);

		if (v && *v)
			return v;
	}
	return NULL;
}

const char *da_forge_env_token(enum da_forge_identity identity)
{
	/* the same names as da_forge_token_vars, in order of preference */
	static const char *const writer[] = { "DA_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", NULL };
	static const char *const reviewer[] = { "DA_REVIEW_TOKEN", NULL };
	static int warned;
	const char *t;

	if (identity == DA_FORGE_REVIEWER) {
		t = first_env(reviewer);
		if (t)
			return t;
		t = first_env(writer);
		if (t && !warned++)
			da_warn("DA_REVIEW_TOKEN is not set: reviewing as the writer's account");
		return t;
	}
	return first_env(writer);
}

int da_forge_open(const struct da_forge_opts *opts, struct da_forge **out)
{
	struct da_forge *f;
	const char *slash;
	int ret;

	*out = NULL;
	if (!opts->repo || !(slash = strchr(opts->repo, '/')) || slash == opts->repo ||
	    !slash[1] || strchr(slash + 1, '/'))
		return da_errf(DA_EUSAGE, "repo '%s' is not owner/name",
			       opts->repo ? opts->repo : "");
	f = calloc(1, sizeof *f);
	if (!f)
		return da_errf(DA_ERUNTIME, "out of memory");
	f->kind = opts->kind;
	f->identity = opts->identity;
	f->owner = strndup(opts->repo, (size_t)(slash - opts->repo));
	f->name = strdup(slash + 1);
	if (!f->owner || !f->name) {
		da_forge_free(f);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	switch (opts->kind) {
	case DA_FORGE_GITHUB:
		ret = da_forge_github_init(f, opts);
		break;
	case DA_FORGE_GITEA:
		ret = da_forge_gitea_init(f, opts);
		break;
	case DA_FORGE_LOCAL:
		ret = da_forge_local_init(f, opts);
		break;
	default:
		ret = da_errf(DA_EUSAGE, "unknown forge kind %d", (int)opts->kind);
	}
	if (ret < 0) {
		da_forge_free(f);
		return ret;
	}
	*out = f;
	return 0;
}

void da_forge_free(struct da_forge *f)
{
	if (!f)
		return;
	if (f->ops && f->ops->close)
		f->ops->close(f);
	free(f->owner);
	free(f->name);
	free(f);
}

const struct da_forge_status *da_forge_status(const struct da_forge *f)
{
	return &f->status;
}

static int unsupported(const struct da_forge *f, const char *what)
{
	return da_errf(DA_EUSAGE, "the %s forge cannot %s", da_forge_kind_name(f->kind), what);
}

/* Dispatch: reset the status, refuse what the backend lacks. */
#define DISPATCH(f, op, what, ...)                                   \
	do {                                                         \
		memset(&(f)->status, 0, sizeof (f)->status);         \
		if (!(f)->ops->op)                                   \
			return unsupported((f), (what));             \
		return (f)->ops->op((f), __VA_ARGS__);               \
	} while (0)

int da_forge_get_repo(struct da_forge *f, struct da_forge_repo **out)
{
	*out = NULL;
	DISPATCH(f, get_repo, "describe the repository", out);
}

int da_forge_get_issue(struct da_forge *f, long number, struct da_forge_issue **out)
{
	*out = NULL;
	if (number <= 0)
		return da_errf(DA_EUSAGE, "issue number %ld is not positive", number);
	DISPATCH(f, get_issue, "read issues", number, out);
}

int da_forge_comment(struct da_forge *f, long number, const char *body, char **html_url_out)
{
	if (html_url_out)
		*html_url_out = NULL;
	if (number <= 0 || !body || !*body)
		return da_errf(DA_EUSAGE, "comment: need an issue number and a body");
	DISPATCH(f, comment, "comment", number, body, html_url_out);
}

int da_forge_list_comments(struct da_forge *f, long number, struct da_forge_comment **out,
			   size_t *n)
{
	*out = NULL;
	*n = 0;
	if (number <= 0)
		return da_errf(DA_EUSAGE, "comments: issue number %ld is not positive", number);
	DISPATCH(f, list_comments, "list comments", number, out, n);
}

void da_forge_comments_free(struct da_forge_comment *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].body);
		free(c[i].user);
		free(c[i].html_url);
	}
	free(c);
}

int da_forge_list_labels(struct da_forge *f, struct da_forge_label **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DISPATCH(f, list_labels, "list labels", out, n);
}

int da_forge_create_label(struct da_forge *f, const char *name, const char *color,
			  const char *description)
{
	if (!name || !*name)
		return da_errf(DA_EUSAGE, "label: empty name");
	if (color && *color == '#')
		color++;
	DISPATCH(f, create_label, "create labels", name, color ? color : "ededed",
		 description ? description : "");
}

int da_forge_ensure_label(struct da_forge *f, const char *name, const char *color,
			  const char *description, bool *created)
{
	struct da_forge_label *labels;
	size_t n;
	bool found = false;
	int ret;

	if (created)
		*created = false;
	ret = da_forge_list_labels(f, &labels, &n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n && !found; i++)
		found = !strcasecmp(labels[i].name, name);
	da_forge_labels_free(labels, n);
	if (found)
		return 0;
	ret = da_forge_create_label(f, name, color, description);
	if (ret == 0 && created)
		*created = true;
	return ret;
}

int da_forge_add_labels(struct da_forge *f, long number, const char *const *names, size_t n)
{
	if (number <= 0 || n == 0)
		return da_errf(DA_EUSAGE, "add labels: need an issue number and labels");
	DISPATCH(f, add_labels, "label issues", number, names, n);
}

int da_forge_remove_label(struct da_forge *f, long number, const char *name)
{
	if (number <= 0 || !name || !*name)
		return da_errf(DA_EUSAGE, "remove label: need an issue number and a label");
	DISPATCH(f, remove_label, "remove labels", number, name);
}

int da_forge_find_pr(struct da_forge *f, const char *branch, struct da_forge_pr **out)
{
	*out = NULL;
	if (!branch || !*branch)
		return da_errf(DA_EUSAGE, "find PR: empty branch");
	DISPATCH(f, find_pr, "find pull requests", branch, out);
}

int da_forge_get_pr(struct da_forge *f, long number, struct da_forge_pr **out)
{
	*out = NULL;
	if (number <= 0)
		return da_errf(DA_EUSAGE, "get PR: number %ld is not positive", number);
	DISPATCH(f, get_pr, "read pull requests", number, out);
}

int da_forge_create_pr(struct da_forge *f, const struct da_forge_pr_new *in,
		       struct da_forge_pr **out)
{
	*out = NULL;
	if (!in->title || !*in->title || !in->head || !*in->head || !in->base || !*in->base)
		return da_errf(DA_EUSAGE, "create PR: need a title, a head and a base");
	DISPATCH(f, create_pr, "open pull requests", in, out);
}

int da_forge_update_pr(struct da_forge *f, long number, const struct da_forge_pr_update *in)
{
	if (number <= 0)
		return da_errf(DA_EUSAGE, "update PR: number %ld is not positive", number);
	DISPATCH(f, update_pr, "update pull requests", number, in);
}

int da_forge_set_pr_draft(struct da_forge *f, long number, bool draft)
{
	if (number <= 0)
		return da_errf(DA_EUSAGE, "PR number %ld is not positive", number);
	DISPATCH(f, set_pr_draft, "change a PR's draft state", number, draft);
}

int da_forge_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
			   long *review_id_out)
{
	if (review_id_out)
		*review_id_out = 0;
	if (number <= 0 || (unsigned)in->verdict > DA_REVIEW_COMMENT)
		return da_errf(DA_EUSAGE, "review: bad PR number or verdict");
	for (size_t i = 0; i < in->ncomments; i++)
		if (!in->comments[i].path || in->comments[i].line <= 0 || !in->comments[i].body)
			return da_errf(DA_EUSAGE, "review comment %zu: need path, line, body", i);
	DISPATCH(f, create_review, "post reviews", number, in, review_id_out);
}

int da_forge_list_reviews(struct da_forge *f, long number, struct da_forge_posted_review **out,
			  size_t *n)
{
	*out = NULL;
	*n = 0;
	if (number <= 0)
		return da_errf(DA_EUSAGE, "reviews: PR number %ld is not positive", number);
	DISPATCH(f, list_reviews, "list reviews", number, out, n);
}

void da_forge_posted_reviews_free(struct da_forge_posted_review *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].body);
		free(r[i].user);
		free(r[i].state);
		free(r[i].commit_id);
	}
	free(r);
}

/* With no DA_REVIEW_TOKEN the reviewer is the writer's account, the PR's
 * author, and the forge refuses its APPROVE or REQUEST_CHANGES (422). The
 * verdict then goes out as a COMMENT review that states it, so a
 * one-account setup still delivers (forge.h promises the fallback).
 * *body_out (caller frees) is the body to send, or NULL when unchanged. */
int da_forge_self_review(struct da_forge *f, const struct da_forge_review *in, enum da_forge_verdict *verdict,
			 char **body_out)
{
	const char *mine = da_forge_env_token(f->identity), *writer = da_forge_env_token(DA_FORGE_WRITER);

	*verdict = in->verdict;
	*body_out = NULL;
	if (in->verdict == DA_REVIEW_COMMENT || f->identity != DA_FORGE_REVIEWER || !mine || !writer ||
	    strcmp(mine, writer))
		return 0;
	*verdict = DA_REVIEW_COMMENT;
	if (asprintf(body_out, "Verdict: %s (a comment: the reviewer is the author's account; set DA_REVIEW_TOKEN "
		     "for a second one).\n\n%s", in->verdict == DA_REVIEW_APPROVE ? "APPROVE" : "REQUEST_CHANGES",
		     in->body ? in->body : "") < 0) {
		*body_out = NULL;
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	return 0;
}

int da_forge_merge_pr(struct da_forge *f, long number, const char *commit_title,
		      const char *commit_message, const char *expected_head_sha,
		      enum da_forge_merge_result *result, char **sha_out)
{
	if (sha_out)
		*sha_out = NULL;
	if (number <= 0)
		return da_errf(DA_EUSAGE, "merge: PR number %ld is not positive", number);
	DISPATCH(f, merge_pr, "merge", number, commit_title, commit_message, expected_head_sha,
		 result, sha_out);
}

int da_forge_get_file(struct da_forge *f, const char *path, const char *ref,
		      struct da_forge_file **out)
{
	*out = NULL;
	if (!path || !*path || *path == '/')
		return da_errf(DA_EUSAGE, "get file: '%s' is not a repository path",
			       path ? path : "");
	DISPATCH(f, get_file, "read files", path, ref, out);
}

int da_forge_put_file(struct da_forge *f, const char *path, const char *branch,
		      const char *message, const void *content, size_t len, const char *sha)
{
	if (!path || !*path || *path == '/' || !message || !*message || (!content && len))
		return da_errf(DA_EUSAGE, "put file: need a repository path and a message");
	DISPATCH(f, put_file, "write files", path, branch, message, content, len, sha);
}

int da_forge_actions_public_key(struct da_forge *f, struct da_forge_pubkey **out)
{
	*out = NULL;
	DISPATCH(f, actions_public_key, "seal Actions secrets", out);
}

int da_forge_put_secret_sealed(struct da_forge *f, const char *name, const char *key_id,
			       const char *sealed_b64)
{
	if (!name || !*name || !key_id || !sealed_b64)
		return da_errf(DA_EUSAGE, "secret: need a name, key id and sealed value");
	DISPATCH(f, put_secret_sealed, "store sealed Actions secrets", name, key_id, sealed_b64);
}

int da_forge_seal_secret(const char *pubkey_b64, const char *value, char **sealed_b64_out)
{
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	size_t pklen, vlen = strlen(value), clen = crypto_box_SEALBYTES + vlen, blen;
	unsigned char *cipher;
	char *b64;

	*sealed_b64_out = NULL;
	if (sodium_init() < 0)
		return da_errf(DA_ERUNTIME, "libsodium failed to initialise");
	if (sodium_base642bin(pk, sizeof pk, pubkey_b64, strlen(pubkey_b64), NULL, &pklen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || pklen != sizeof pk)
		return da_errf(DA_ERUNTIME, "the repository's public key is not 32 bytes of base64");
	cipher = malloc(clen);
	blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(blen);
	if (!cipher || !b64 ||
	    crypto_box_seal(cipher, (const unsigned char *)value, vlen, pk) != 0) {
		free(cipher);
		free(b64);
		return da_errf(DA_ERUNTIME, "sealing the secret failed");
	}
	sodium_bin2base64(b64, blen, cipher, clen, sodium_base64_VARIANT_ORIGINAL);
	free(cipher);
	*sealed_b64_out = b64;
	return 0;
}

int da_forge_put_secret(struct da_forge *f, const char *name, const char *value)
{
	struct da_forge_pubkey *key = NULL;
	char *sealed = NULL;
	int ret;

	memset(&f->status, 0, sizeof f->status);
	if (!name || !*name || !value)
		return da_errf(DA_EUSAGE, "secret: need a name and a value");
	if (f->ops->put_secret_plain)
		return f->ops->put_secret_plain(f, name, value);
	ret = da_forge_actions_public_key(f, &key);
	if (ret == 0)
		ret = da_forge_seal_secret(key->key, value, &sealed);
	if (ret == 0)
		ret = da_forge_put_secret_sealed(f, name, key->key_id, sealed);
	da_forge_pubkey_free(key);
	free(sealed);
	return ret;
}

/* ---- freeing ---- */

void da_forge_repo_free(struct da_forge_repo *r)
{
	if (!r)
		return;
	free(r->full_name);
	free(r->default_branch);
	free(r->clone_url);
	free(r->html_url);
	free(r);
}

void da_forge_issue_free(struct da_forge_issue *i)
{
	if (!i)
		return;
	free(i->title);
	free(i->body);
	free(i->state);
	free(i->html_url);
	for (size_t k = 0; i->labels && i->labels[k]; k++)
		free(i->labels[k]);
	free(i->labels);
	free(i);
}

void da_forge_labels_free(struct da_forge_label *labels, size_t n)
{
	for (size_t i = 0; labels && i < n; i++) {
		free(labels[i].name);
		free(labels[i].color);
		free(labels[i].description);
	}
	free(labels);
}

void da_forge_pr_free(struct da_forge_pr *pr)
{
	if (!pr)
		return;
	free(pr->html_url);
	free(pr->title);
	free(pr->state);
	free(pr->head);
	free(pr->head_sha);
	free(pr->base);
	free(pr->node_id);
	free(pr);
}

void da_forge_file_free(struct da_forge_file *file)
{
	if (!file)
		return;
	free(file->content);
	free(file->sha);
	free(file);
}

void da_forge_pubkey_free(struct da_forge_pubkey *k)
{
	if (!k)
		return;
	free(k->key_id);
	free(k->key);
	free(k);
}
