/* git: repositories, remotes and branches (see git.h). */
#include "git_impl.h"

#include "err.h"
#include "paths.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	/* Programs are short-lived; the library stays up until exit. */
	git_libgit2_init();
}

void da_git_global_init(void)
{
	pthread_once(&init_once, global_init);
}

int da_git_fail(const char *fmt, ...)
{
	char ctx[1024];
	const git_error *e = git_error_last();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	return da_errf(DA_ERUNTIME, "%s: %s", ctx, e && e->message ? e->message : "libgit2 error");
}

int da_git_signature(const struct da_git_ident *who, git_signature **out)
{
	const char *name = who && who->name && *who->name ? who->name : DA_GIT_DEFAULT_NAME;
	const char *email = who && who->email && *who->email ? who->email : DA_GIT_DEFAULT_EMAIL;

	if (git_signature_now(out, name, email) < 0)
		return da_git_fail("identity %s <%s>", name, email);
	return 0;
}

/* true when rev is only hex digits: an object id or an abbreviation */
static bool is_hex_id(const char *rev)
{
	size_t n = strspn(rev, "0123456789abcdefABCDEF");

	return n >= 4 && rev[n] == '\0';
}

/* Names are resolved as references first, and revparse only sees object
 * ids and real revision expressions (HEAD~1, main^, @{u}, :/text). For a
 * plain name that is no reference, libgit2 1.5's revparse goes on to try
 * it as `git describe` output with a regex whose match data it never
 * frees (fixed upstream after 1.5); every fresh task branch would leak. */
int da_git_lookup_commit(struct da_git *g, const char *rev, git_commit **out)
{
	git_object *obj = NULL;
	git_reference *ref = NULL;
	int rc = 0;

	*out = NULL;
	if (git_reference_dwim(&ref, g->repo, rev) == 0) {
		rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
		git_reference_free(ref);
		if (rc < 0)
			return da_git_fail("%s is not a commit", rev);
	} else if (is_hex_id(rev) || strpbrk(rev, "~^@:")) {
		if (git_revparse_single(&obj, g->repo, rev) < 0)
			return da_git_fail("resolve %s", rev);
	} else {
		git_error_set_str(GIT_ERROR_REFERENCE, "no such reference");
		return da_git_fail("resolve %s", rev);
	}
	if (git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT) < 0)
		rc = da_git_fail("%s is not a commit", rev);
	git_object_free(obj);
	return rc;
}

void da_git_paths_clear(struct da_git_paths *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->paths[i]);
	free(p->paths);
	p->paths = NULL;
	p->n = 0;
}

int da_git_paths_add(struct da_git_paths *p, const char *path)
{
	char **grown;

	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->paths[i], path) == 0)
			return 0;
	grown = realloc(p->paths, (p->n + 1) * sizeof *grown);
	if (!grown)
		return da_errf(DA_ERUNTIME, "out of memory");
	p->paths = grown;
	p->paths[p->n] = strdup(path);
	if (!p->paths[p->n])
		return da_errf(DA_ERUNTIME, "out of memory");
	p->n++;
	return 0;
}

int da_git_index_conflicts(git_index *index, struct da_git_paths *p)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	int rc = 0, err;

	if (git_index_conflict_iterator_new(&it, index) < 0)
		return da_git_fail("list conflicts");
	while ((err = git_index_conflict_next(&anc, &ours, &theirs, it)) == 0) {
		const git_index_entry *e = ours ? ours : theirs ? theirs : anc;

		rc = da_git_paths_add(p, e->path);
		if (rc < 0)
			break;
	}
	if (rc == 0 && err != GIT_ITEROVER)
		rc = da_git_fail("list conflicts");
	git_index_conflict_iterator_free(it);
	return rc;
}

char *da_git_paths_join(const struct da_git_paths *p)
{
	size_t cap = 64, shown = p->n > 10 ? 10 : p->n;
	char *s;

	for (size_t i = 0; i < shown; i++)
		cap += strlen(p->paths[i]) + 2;
	s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < shown; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, p->paths[i]);
	}
	if (p->n > shown)
		snprintf(s + strlen(s), cap - strlen(s), " and %zu more", p->n - shown);
	return s;
}

/* ---- repositories ---- */

int da_git_wrap(git_repository *repo, struct da_git **out)
{
	struct da_git *g = calloc(1, sizeof *g);
	const char *wd = git_repository_workdir(repo);

	if (!g) {
		git_repository_free(repo);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	g->repo = repo;
	g->workdir = strdup(wd ? wd : "");
	if (!g->workdir) {
		da_git_free(g);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	/* libgit2 ends workdirs with '/'; callers join paths themselves */
	size_t len = strlen(g->workdir);

	if (len > 1 && g->workdir[len - 1] == '/')
		g->workdir[len - 1] = '\0';
	*out = g;
	return 0;
}

int da_git_open(const char *dir, struct da_git **out)
{
	git_repository *repo = NULL;

	*out = NULL;
	da_git_global_init();
	/* NO_SEARCH: a broken workspace must never open the repository of a
	 * folder above it. */
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return da_git_fail("open repository %s", dir);
	return da_git_wrap(repo, out);
}

void da_git_free(struct da_git *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->workdir);
	free(g);
}

const char *da_git_workdir(const struct da_git *g)
{
	return g->workdir;
}

bool da_git_is_bare(const struct da_git *g)
{
	return git_repository_is_bare(g->repo);
}

int da_git_strip_prefix_dup(const char *name, const char *prefix, char **out)
{
	size_t len = strlen(prefix);

	if (strncmp(name, prefix, len) == 0)
		name += len;
	*out = strdup(name);
	return *out ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

/* ---- branches ---- */

int da_git_task_branch_name(long issue, const char *title, char **out)
{
	char slug[41];

	*out = NULL;
	if (issue <= 0)
		return da_errf(DA_EUSAGE, "task branch: bad issue number %ld", issue);
	da_slug(title ? title : "", sizeof slug - 1, slug, sizeof slug);
	size_t len = strlen(DA_GIT_BRANCH_PREFIX) + 24 + sizeof slug;

	*out = malloc(len);
	if (!*out)
		return da_errf(DA_ERUNTIME, "out of memory");
	snprintf(*out, len, DA_GIT_BRANCH_PREFIX "%ld-%s", issue, slug);
	return 0;
}

int da_git_current_branch(struct da_git *g, char **out)
{
	git_reference *head = NULL;
	int rc = 0;

	*out = NULL;
	if (git_reference_lookup(&head, g->repo, "HEAD") < 0)
		return da_git_fail("read HEAD of %s", g->workdir);
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    strncmp(git_reference_symbolic_target(head), "refs/heads/", 11) == 0) {
		git_reference *target = NULL;

		/* an unborn branch (a half-made clone) counts as none */
		if (git_reference_lookup(&target, g->repo, git_reference_symbolic_target(head)) == 0)
			rc = da_git_strip_prefix_dup(git_reference_symbolic_target(head), "refs/heads/", out);
		git_reference_free(target);
	}
	git_reference_free(head);
	return rc;
}

/* The commit a new task branch starts from. */
static int branch_start(struct da_git *g, const char *branch, const char *base, git_commit **out)
{
	char rev[1024];

	snprintf(rev, sizeof rev, "refs/remotes/origin/%s", branch);
	if (da_git_lookup_commit(g, rev, out) == 0)
		return 0;
	snprintf(rev, sizeof rev, "refs/remotes/origin/%s", base);
	if (da_git_lookup_commit(g, rev, out) == 0)
		return 0;
	return da_errf(DA_ERUNTIME, "create branch %s: origin has no branch %s (fetch first?)",
		       branch, base);
}

int da_git_checkout_branch(struct da_git *g, const char *branch, const char *base)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	git_reference *ref = NULL;
	git_commit *commit = NULL;
	char *current = NULL;
	char refname[1024];
	int rc;

	if (snprintf(refname, sizeof refname, "refs/heads/%s", branch) >= (int)sizeof refname)
		return da_errf(DA_EUSAGE, "branch name too long");
	rc = da_git_current_branch(g, &current);
	if (rc < 0 || (current && strcmp(current, branch) == 0))
		goto out;
	if (git_branch_lookup(&ref, g->repo, branch, GIT_BRANCH_LOCAL) == 0) {
		rc = da_git_lookup_commit(g, refname, &commit);
	} else {
		rc = branch_start(g, branch, base, &commit);
		if (rc == 0 && git_branch_create(&ref, g->repo, branch, commit, 0) < 0)
			rc = da_git_fail("create branch %s", branch);
	}
	if (rc < 0)
		goto out;
	/* SAFE: a file changed in the working tree stops the checkout
	 * instead of being overwritten. */
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (git_checkout_tree(g->repo, (git_object *)commit, &co) < 0)
		rc = da_git_fail("check out %s", branch);
	else if (git_repository_set_head(g->repo, refname) < 0)
		rc = da_git_fail("switch HEAD to %s", branch);
out:
	free(current);
	git_commit_free(commit);
	git_reference_free(ref);
	return rc;
}

int da_git_delete_branch(struct da_git *g, const char *branch)
{
	git_reference *ref = NULL;
	int rc = 0, err;

	err = git_branch_lookup(&ref, g->repo, branch, GIT_BRANCH_LOCAL);
	if (err == GIT_ENOTFOUND)
		return 0;
	/* git_reference_delete, not git_branch_delete: the latter also drops
	 * branch.<name>.* from the config through the PCRE2 path that leaks
	 * in libgit2 1.5 (see git_remote.c); we never write that section. */
	if (err < 0)
		rc = da_git_fail("delete branch %s", branch);
	else if (git_branch_is_head(ref) == 1)
		rc = da_errf(DA_ERUNTIME, "delete branch %s: it is the current HEAD", branch);
	else if (git_reference_delete(ref) < 0)
		rc = da_git_fail("delete branch %s", branch);
	git_reference_free(ref);
	return rc;
}
