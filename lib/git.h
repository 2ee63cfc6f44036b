/* git: every git operation of dev-agents, over libgit2.
 *
 * lib/git*.c are the only files that include <git2.h>; nothing in
 * dev-agents runs the git command line. A struct da_git is one open
 * repository: a task's working clone, or (for the offline `local` forge)
 * a bare repository.
 *
 * Network calls (clone, fetch, push) take the credentials per call. The
 * token is handed to libgit2 for HTTPS only, as user "x-access-token"
 * (what GitHub and Gitea accept for tokens); it is never read from the
 * environment here, never logged and never stored in the repository.
 * A remote may be a path to a bare repository, a file:// or an https URL.
 *
 * Errors follow err.h: 0 or a negative class after da_errf(), with
 * libgit2's own message appended. Conflicts are DA_ERUNTIME and name the
 * conflicting files. Every struct returned is owned by the caller and
 * freed with its _free(), which accepts NULL. */
#ifndef DA_GIT_H
#define DA_GIT_H

#include <stdbool.h>
#include <stddef.h>

/* A hex object id plus NUL. */
#define DA_GIT_OID_HEXSZ 41
#define DA_GIT_BRANCH_PREFIX "dev-agents/"
#define DA_GIT_DEFAULT_NAME "dev-agents"
#define DA_GIT_DEFAULT_EMAIL "dev-agents@localhost"

struct da_git_creds {
	const char *token;	/* HTTPS token; NULL = anonymous */
	const char *username;	/* NULL = "x-access-token" */
};

/* Author and committer of the commits we make. NULL (or NULL fields)
 * means "dev-agents <dev-agents@localhost>". */
struct da_git_ident {
	const char *name;
	const char *email;
};

/* A list of paths (conflicting files). Owned; freed with da_git_paths_clear. */
struct da_git_paths {
	char **paths;
	size_t n;
};
void da_git_paths_clear(struct da_git_paths *p);

struct da_git;

/* ---- repositories (git.c, git_remote.c) ---- */

/* Clone `url` into `dir` (which must not exist or be empty) and check out
 * `branch` (NULL = the remote's default branch); origin/HEAD records the
 * remote's default branch. On failure a partial repository may remain in
 * dir: clone into a temporary name and rename (as workspace.c does).
 * url.<x>.insteadOf rewriting is not applied (see git_remote.c). */
int da_git_clone(const char *url, const char *dir, const char *branch,
		 const struct da_git_creds *creds, struct da_git **out);
/* Open an existing repository (working clone or bare) at exactly `dir`. */
int da_git_open(const char *dir, struct da_git **out);
void da_git_free(struct da_git *g);

/* The working directory ("" for a bare repository); borrowed. */
const char *da_git_workdir(const struct da_git *g);
bool da_git_is_bare(const struct da_git *g);
/* URL of remote "origin"; caller frees. DA_ERUNTIME when there is none. */
int da_git_origin_url(struct da_git *g, char **out);

/* Fetch every branch of origin (refs/remotes/origin/<b>), pruning none. */
int da_git_fetch(struct da_git *g, const struct da_git_creds *creds);
/* Fetch `branch` from another repository (path or URL) into the local
 * branch of the same name, forcing it: how work salvaged in a broken
 * clone is carried into a fresh one. Missing branch there: DA_ERUNTIME. */
int da_git_fetch_branch_from(struct da_git *g, const char *url, const char *branch);

/* The default branch, without "refs/heads/"; caller frees. A bare
 * repository: where its HEAD points. A clone: origin's HEAD as the
 * remote advertises it (connecting with creds), else the local
 * refs/remotes/origin/HEAD left by the clone. */
int da_git_default_branch(struct da_git *g, const struct da_git_creds *creds, char **out);

/* The default branch a remote (path or URL) advertises, without a
 * clone: for onboarding and for checking a project's default_branch. */
int da_git_remote_default_branch(const char *url, const struct da_git_creds *creds, char **out);

/* Push refs/heads/<branch> to origin's branch of the same name. `force`
 * replaces a diverged remote branch (after a rebase). A rejection by the
 * remote is an error carrying the remote's reason. */
int da_git_push(struct da_git *g, const char *branch, bool force,
		const struct da_git_creds *creds);

/* ---- branches ---- */

/* "dev-agents/<issue>-<slug>", the slug made from `title`: lower-case
 * ASCII letters and digits, runs of anything else as one '-', at most 40
 * bytes, no trailing '-'; "task" when nothing is left. Caller frees. */
int da_git_task_branch_name(long issue, const char *title, char **out);
/* Check out `branch`, creating it when missing: from origin/<branch> when
 * the remote already has it (a retry after a push), else from
 * origin/<base>. An existing local branch is reused as it is. Fetch first
 * so that origin/<base> is up to date. */
int da_git_checkout_branch(struct da_git *g, const char *branch, const char *base);
/* Delete the local branch (in a bare repository: the branch). A missing
 * branch is not an error; the branch HEAD is on cannot be deleted. */
int da_git_delete_branch(struct da_git *g, const char *branch);
/* The branch HEAD is on, without "refs/heads/"; caller frees. A detached
 * or unborn HEAD answers *out = NULL (not an error). */
int da_git_current_branch(struct da_git *g, char **out);

/* ---- changes and commits (git_commit.c) ---- */

/* Any change in the working tree or index against HEAD, untracked files
 * included, ignored files (.gitignore) excluded. */
int da_git_is_dirty(struct da_git *g, bool *dirty);
/* Stage everything (add -A: new, modified, removed; ignored files stay
 * out) and commit on HEAD. *committed false and oid_out "" when the tree
 * is unchanged ("nothing to commit"), which is not an error. oid_out
 * (DA_GIT_OID_HEXSZ bytes) and committed may be NULL. */
int da_git_commit_all(struct da_git *g, const char *message, const struct da_git_ident *who,
		      char *oid_out, bool *committed);
/* Before any reset or cleanup: commit whatever is uncommitted as
 * "salvage: uncommitted work at <stage>" on the current branch.
 * *salvaged (may be NULL) says whether there was anything. */
int da_git_salvage(struct da_git *g, const char *stage, const struct da_git_ident *who,
		   bool *salvaged);

/* Resolve a revision ("HEAD", "origin/main", an id) to a commit id. */
int da_git_resolve(struct da_git *g, const char *rev, char *oid_out);
/* The merge base of two revisions. */
int da_git_merge_base(struct da_git *g, const char *a, const char *b, char *oid_out);

/* Whether two revisions hold the same files (equal trees): a branch whose
 * change is already on the default branch, whatever its history says. */
int da_git_same_tree(struct da_git *g, const char *a, const char *b, bool *same);

/* The bytes of `path` at `rev`. Not there: 0 and *out = NULL. A blob
 * larger than max_len is DA_EUSAGE. *out is NUL-terminated; caller frees. */
int da_git_read_file(struct da_git *g, const char *rev, const char *path, size_t max_len,
		     char **out, size_t *len);

struct da_git_commit_info {
	char oid[DA_GIT_OID_HEXSZ];
	char *subject;		/* first paragraph, lines joined */
	char *author;		/* "Name <email>" */
};
/* Commits reachable from head but not from base, oldest first. */
int da_git_log(struct da_git *g, const char *base, const char *head,
	       struct da_git_commit_info **out, size_t *n);
void da_git_log_free(struct da_git_commit_info *commits, size_t n);

/* ---- diffs (git_diff.c) ---- */

struct da_git_range {
	long start, end;	/* new-side line numbers, inclusive */
};

struct da_git_file_diff {
	char *path;		/* new path (the old one for a deletion) */
	char *old_path;		/* differs from path only for a rename */
	char status;		/* 'A' added, 'M' modified, 'D' deleted, 'R' renamed */
	bool binary;
	long additions, deletions;
	char *patch;		/* unified diff text of this file */
	/* Hunks on the new side: the lines a forge accepts inline review
	 * comments on (context lines inside a hunk included). */
	struct da_git_range *hunks;
	size_t nhunks;
	/* Runs of added lines on the new side. */
	struct da_git_range *added;
	size_t nadded;
};

struct da_git_diff {
	char base_oid[DA_GIT_OID_HEXSZ];	/* the merge base diffed from */
	char head_oid[DA_GIT_OID_HEXSZ];
	struct da_git_file_diff *files;
	size_t nfiles;
	long additions, deletions;
};

/* What a pull request of head against base shows: the diff from
 * merge-base(base, head) to head, renames detected. */
int da_git_diff(struct da_git *g, const char *base, const char *head, struct da_git_diff **out);
void da_git_diff_free(struct da_git_diff *d);
/* The file's entry, or NULL. */
const struct da_git_file_diff *da_git_diff_file(const struct da_git_diff *d, const char *path);
/* true when new-side `line` of `path` lies inside one of its hunks. */
bool da_git_diff_has_line(const struct da_git_diff *d, const char *path, long line);

/* ---- rebase and merge (git_merge.c) ---- */

/* Rebase the current branch onto `onto` (e.g. "origin/main"), in memory,
 * then move the branch and check out the result. The working tree must
 * be clean (salvage first). On a conflict nothing is changed: the
 * branch, index and files are as they were; DA_ERUNTIME names the files
 * and `conflicts` (may be NULL) receives them. *rebased (may be NULL)
 * is false when the branch already contained `onto`. */
int da_git_rebase(struct da_git *g, const char *onto, const struct da_git_ident *who,
		  struct da_git_paths *conflicts, bool *rebased);

/* For a BARE repository (the local forge): squash `branch` into `target`
 * (NULL = the default branch): one new commit whose tree is the merge of
 * both and whose only parent is target's old tip. expected_head (may be
 * NULL) refuses when branch's tip moved. A conflict is DA_ERUNTIME
 * naming the files (also in `conflicts`, may be NULL); a branch with
 * nothing new is DA_ERUNTIME "nothing to merge". oid_out may be NULL. */
int da_git_squash_merge(struct da_git *g, const char *branch, const char *target,
			const char *message, const struct da_git_ident *who,
			const char *expected_head, struct da_git_paths *conflicts, char *oid_out);

/* ---- conflicts for an agent to resolve (git_restack.c) ---- */

/* When da_git_rebase reports conflicts and someone (the implementer) is
 * to resolve them: the current branch moves to `onto` and the working
 * tree gets the merge of the branch's whole change into it, with
 * conflict markers in the files listed in `conflicts` (may be NULL).
 * Nothing is committed; da_git_commit_all afterwards makes the branch
 * `onto` plus one commit (the PR is squash-merged anyway). The old tip
 * is kept at refs/dev-agents/pre-restack/<branch> for da_git_restack_abort.
 * The working tree must be clean. Returns 0 whether or not there were
 * conflicts. */
int da_git_restack(struct da_git *g, const char *onto, struct da_git_paths *conflicts);
/* Files of `paths` whose working-tree copy still holds a conflict marker
 * line ("<<<<<<< " or ">>>>>>> ") go into `left` (cleared first). */
int da_git_unresolved(struct da_git *g, const struct da_git_paths *paths,
		      struct da_git_paths *left);
/* Give up a restack: whatever is in the working tree is committed as a
 * salvage commit kept at refs/dev-agents/restack-attempt/<branch>, then
 * the branch, index and files return to the saved old tip. */
int da_git_restack_abort(struct da_git *g, const struct da_git_ident *who);

#endif
