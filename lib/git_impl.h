/* git_impl: what lib/git*.c share. Only those files include this (and
 * with it <git2.h>). */
#ifndef DA_GIT_IMPL_H
#define DA_GIT_IMPL_H

#include "git.h"

#include <git2.h>

/* libgit2's *_INIT macros name only the version field. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct da_git {
	git_repository *repo;
	char *workdir;		/* "" when bare */
};

/* git_libgit2_init() once per process. */
void da_git_global_init(void);

/* da_errf(DA_ERUNTIME, "<context>: <libgit2's last message>"). */
int da_git_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A signature "now" for who (defaults filled in). */
int da_git_signature(const struct da_git_ident *who, git_signature **out);

/* Resolve rev to a commit object (peeling tags). */
int da_git_lookup_commit(struct da_git *g, const char *rev, git_commit **out);

/* Wrap an open repository (taken over, freed on failure). */
int da_git_wrap(git_repository *repo, struct da_git **out);

/* strdup(name without prefix when it has it). */
int da_git_strip_prefix_dup(const char *name, const char *prefix, char **out);

/* Check out `tip` (SAFE: the tree must be clean) and then point
 * refs/heads/<branch> at it, with `why` in the reflog. */
int da_git_move_branch(struct da_git *g, const char *branch, const git_oid *tip, const char *why);

/* Add a copy of path to a list (deduplicated). */
int da_git_paths_add(struct da_git_paths *p, const char *path);
/* Collect the conflicting paths of an index into p. */
int da_git_index_conflicts(git_index *index, struct da_git_paths *p);
/* "a, b, c" (at most a few names, then "and N more"); caller frees. */
char *da_git_paths_join(const struct da_git_paths *p);

#endif
