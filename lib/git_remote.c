/* git_remote: clone, fetch, push, the remote's default branch.
 *
 * Every network call goes through an in-memory remote made from the URL
 * in remote.origin.url, with url.<x>.insteadOf rewriting skipped. Why:
 * libgit2 1.5 leaks PCRE2 match data for each config entry its
 * insteadOf scan does not match (fixed upstream in libgit2 PR #6382,
 * after 1.5), and git_remote_lookup, git_remote_create and git_clone all
 * run that scan. A runner's workspaces have no business being rewritten
 * by a user's insteadOf anyway. For the same reason da_git_clone is
 * init + config + fetch + checkout rather than git_clone(). */
#include "git_impl.h"

#include "err.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN_FETCHSPEC "+refs/heads/*:refs/remotes/origin/*"

/* Payload shared by the callbacks of one network operation. */
struct net_payload {
	const struct da_git_creds *creds;
	int attempts;
	char *rejected;		/* push: the remote's reason for refusing a ref */
};

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct net_payload *np = payload;
	const char *user;

	(void)url;
	(void)user_from_url;
	if (!np->creds || !np->creds->token || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
		return GIT_PASSTHROUGH;
	/* libgit2 asks again after a 401: a second ask means the token was
	 * refused, and asking forever would hang the task. */
	if (np->attempts++ > 0) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed: the token was refused");
		return GIT_EAUTH;
	}
	user = np->creds->username ? np->creds->username : "x-access-token";
	return git_credential_userpass_plaintext_new(out, user, np->creds->token);
}

static void callbacks_for(git_remote_callbacks *cb, struct net_payload *np)
{
	cb->credentials = credentials_cb;
	cb->payload = np;
}

/* An unnamed remote for url, bound to the repository. */
static int remote_for_url(struct da_git *g, const char *url, git_remote **out)
{
	git_remote_create_options opts = GIT_REMOTE_CREATE_OPTIONS_INIT;

	opts.repository = g->repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(out, url, &opts) < 0)
		return da_git_fail("remote %s", url);
	return 0;
}

int da_git_origin_url(struct da_git *g, char **out)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (git_repository_config_snapshot(&cfg, g->repo) < 0)
		return da_git_fail("config of %s", g->workdir);
	if (git_config_get_string_buf(&buf, cfg, "remote.origin.url") < 0)
		rc = da_git_fail("remote origin of %s", g->workdir);
	else if (!(*out = strdup(buf.ptr)))
		rc = da_errf(DA_ERUNTIME, "out of memory");
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return rc;
}

static int origin_remote(struct da_git *g, git_remote **out)
{
	char *url = NULL;
	int rc = da_git_origin_url(g, &url);

	if (rc == 0)
		rc = remote_for_url(g, url, out);
	free(url);
	return rc;
}

/* Fetch origin's branches; *def (may be NULL) gets the branch its HEAD
 * names, which the remote advertises during the same connection. */
static int fetch_origin(struct da_git *g, const struct da_git_creds *creds, char **def)
{
	git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
	struct net_payload np = { .creds = creds };
	git_remote *remote = NULL;
	git_buf buf = GIT_BUF_INIT;
	char *specs[] = { ORIGIN_FETCHSPEC };
	git_strarray refspecs = { specs, 1 };
	int rc;

	rc = origin_remote(g, &remote);
	if (rc < 0)
		return rc;
	callbacks_for(&opts.callbacks, &np);
	if (git_remote_fetch(remote, &refspecs, &opts, "fetch origin") < 0)
		rc = da_git_fail("fetch origin (%s)", git_remote_url(remote));
	else if (def && git_remote_default_branch(&buf, remote) < 0)
		rc = da_git_fail("default branch of %s", git_remote_url(remote));
	else if (def)
		rc = da_git_strip_prefix_dup(buf.ptr, "refs/heads/", def);
	git_buf_dispose(&buf);
	git_remote_free(remote);
	return rc;
}

int da_git_fetch(struct da_git *g, const struct da_git_creds *creds)
{
	return fetch_origin(g, creds, NULL);
}

static int dir_is_empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			rc = da_errf(DA_EUSAGE, "clone into %s: the directory is not empty", dir);
			break;
		}
	closedir(d);
	return rc;
}

static int init_clone(const char *url, const char *dir, struct da_git **out)
{
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc;

	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	if (git_repository_init_ext(&repo, dir, &io) < 0)
		return da_git_fail("create repository %s", dir);
	rc = da_git_wrap(repo, out);
	if (rc < 0)
		return rc;
	if (git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "remote.origin.url", url) < 0 ||
	    git_config_set_string(cfg, "remote.origin.fetch", ORIGIN_FETCHSPEC) < 0)
		rc = da_git_fail("configure origin in %s", dir);
	git_config_free(cfg);
	return rc;
}

/* refs/remotes/origin/HEAD -> origin/<def>, as git clone leaves it. */
static int set_origin_head(struct da_git *g, const char *def)
{
	git_reference *ref = NULL;
	char target[1024];

	snprintf(target, sizeof target, "refs/remotes/origin/%s", def);
	if (git_reference_symbolic_create(&ref, g->repo, "refs/remotes/origin/HEAD", target, 1,
					  "clone") < 0)
		return da_git_fail("record origin's default branch");
	git_reference_free(ref);
	return 0;
}

int da_git_clone(const char *url, const char *dir, const char *branch,
		 const struct da_git_creds *creds, struct da_git **out)
{
	struct da_git *g = NULL;
	char *def = NULL;
	int rc;

	*out = NULL;
	da_git_global_init();
	rc = dir_is_empty_or_missing(dir);
	if (rc == 0)
		rc = init_clone(url, dir, &g);
	if (rc == 0)
		rc = fetch_origin(g, creds, &def);
	if (rc == 0)
		rc = set_origin_head(g, def);
	if (rc == 0)
		rc = da_git_checkout_branch(g, branch ? branch : def, branch ? branch : def);
	free(def);
	if (rc < 0) {
		da_git_free(g);
		return da_errctx(rc, "clone %s", url);
	}
	*out = g;
	return 0;
}

int da_git_fetch_branch_from(struct da_git *g, const char *url, const char *branch)
{
	git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
	git_remote *remote = NULL;
	git_reference *ref = NULL;
	char spec[1024];
	char *specs[] = { spec };
	git_strarray refspecs = { specs, 1 };
	int rc;

	if (snprintf(spec, sizeof spec, "+refs/heads/%s:refs/heads/%s", branch, branch) >=
	    (int)sizeof spec)
		return da_errf(DA_EUSAGE, "branch name too long");
	rc = remote_for_url(g, url, &remote);
	if (rc < 0)
		return rc;
	if (git_remote_fetch(remote, &refspecs, &opts, "fetch salvaged work") < 0)
		rc = da_git_fail("fetch %s from %s", branch, url);
	else if (git_branch_lookup(&ref, g->repo, branch, GIT_BRANCH_LOCAL) < 0)
		rc = da_errf(DA_ERUNTIME, "fetch %s from %s: no such branch there", branch, url);
	git_reference_free(ref);
	git_remote_free(remote);
	return rc;
}

/* Where a symbolic ref (HEAD, refs/remotes/origin/HEAD) points. */
static int symbolic_target(struct da_git *g, const char *refname, const char *prefix, char **out)
{
	git_reference *ref = NULL;
	int rc;

	if (git_reference_lookup(&ref, g->repo, refname) < 0)
		return da_git_fail("read %s", refname);
	if (git_reference_type(ref) != GIT_REFERENCE_SYMBOLIC)
		rc = da_errf(DA_ERUNTIME, "%s does not name a branch", refname);
	else
		rc = da_git_strip_prefix_dup(git_reference_symbolic_target(ref), prefix, out);
	git_reference_free(ref);
	return rc;
}

/* Connect remote for fetching and ask which branch its HEAD names. */
static int ask_default(git_remote *remote, const struct da_git_creds *creds, char **out)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	struct net_payload np = { .creds = creds };
	git_buf buf = GIT_BUF_INIT;
	int rc = 0;

	callbacks_for(&cb, &np);
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0)
		rc = da_git_fail("connect to %s", git_remote_url(remote));
	else if (git_remote_default_branch(&buf, remote) < 0)
		rc = da_git_fail("default branch of %s", git_remote_url(remote));
	else
		rc = da_git_strip_prefix_dup(buf.ptr, "refs/heads/", out);
	git_buf_dispose(&buf);
	return rc;
}

static int advertised_default(struct da_git *g, const struct da_git_creds *creds, char **out)
{
	git_remote *remote = NULL;
	int rc = origin_remote(g, &remote);

	if (rc == 0)
		rc = ask_default(remote, creds, out);
	git_remote_free(remote);
	return rc;
}

int da_git_remote_default_branch(const char *url, const struct da_git_creds *creds, char **out)
{
	git_remote *remote = NULL;
	int rc;

	*out = NULL;
	da_git_global_init();
	/* detached: no repository, so no config and no insteadOf scan */
	if (git_remote_create_detached(&remote, url) < 0)
		return da_git_fail("remote %s", url);
	rc = ask_default(remote, creds, out);
	git_remote_free(remote);
	return rc;
}

int da_git_default_branch(struct da_git *g, const struct da_git_creds *creds, char **out)
{
	*out = NULL;
	if (git_repository_is_bare(g->repo))
		return symbolic_target(g, "HEAD", "refs/heads/", out);
	if (advertised_default(g, creds, out) == 0)
		return 0;
	if (symbolic_target(g, "refs/remotes/origin/HEAD", "refs/remotes/origin/", out) == 0)
		return 0;
	return da_errf(DA_ERUNTIME, "default branch of origin of %s: unknown", g->workdir);
}

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
	struct net_payload *np = payload;

	if (status && !np->rejected) {
		size_t len = strlen(refname) + strlen(status) + 3;

		np->rejected = malloc(len);
		if (np->rejected)
			snprintf(np->rejected, len, "%s: %s", refname, status);
	}
	return 0;
}

/* An unnamed remote updates no tracking ref; keep origin/<branch> true
 * so that a later checkout or diff against it sees what was pushed. */
static int update_tracking_ref(struct da_git *g, const char *branch)
{
	git_reference *local = NULL, *tracking = NULL;
	char name[1024];
	int rc = 0;

	snprintf(name, sizeof name, "refs/remotes/origin/%s", branch);
	if (git_branch_lookup(&local, g->repo, branch, GIT_BRANCH_LOCAL) < 0 ||
	    git_reference_create(&tracking, g->repo, name, git_reference_target(local), 1,
				 "push") < 0)
		rc = da_git_fail("update %s", name);
	git_reference_free(tracking);
	git_reference_free(local);
	return rc;
}

int da_git_push(struct da_git *g, const char *branch, bool force,
		const struct da_git_creds *creds)
{
	git_push_options opts = GIT_PUSH_OPTIONS_INIT;
	struct net_payload np = { .creds = creds };
	git_remote *remote = NULL;
	char spec[1024];
	char *specs[] = { spec };
	git_strarray refspecs = { specs, 1 };
	int rc;

	if (snprintf(spec, sizeof spec, "%srefs/heads/%s:refs/heads/%s", force ? "+" : "", branch,
		     branch) >= (int)sizeof spec)
		return da_errf(DA_EUSAGE, "branch name too long");
	rc = origin_remote(g, &remote);
	if (rc < 0)
		return rc;
	callbacks_for(&opts.callbacks, &np);
	opts.callbacks.push_update_reference = push_ref_cb;
	if (git_remote_push(remote, &refspecs, &opts) < 0)
		rc = da_git_fail("push %s to %s", branch, git_remote_url(remote));
	else if (np.rejected)
		rc = da_errf(DA_ERUNTIME, "push %s to %s: rejected %s", branch, git_remote_url(remote),
			     np.rejected);
	else
		rc = update_tracking_ref(g, branch);
	free(np.rejected);
	git_remote_free(remote);
	return rc;
}
