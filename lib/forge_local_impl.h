/* forge_local_impl: what forge_local.c (the ops) and forge_local_store.c
 * (records on disk) share. Only those two files include this. The
 * on-disk layout is described in docs/local-forge.md and at the top of
 * forge_local_store.c. */
#ifndef DA_FORGE_LOCAL_IMPL_H
#define DA_FORGE_LOCAL_IMPL_H

#include "forge_impl.h"

#include <stdbool.h>
#include <stddef.h>

struct lf {
	char *dir;		/* <state>/<owner>+<name> */
	char *remote;		/* the bare repository */
	char *default_branch;	/* NULL = where the bare repo's HEAD points */
	const char *user;	/* "dev-agents" or "dev-agents-review" */
};

#define LF(f) ((struct lf *)(f)->priv)
#define LF_WRITER_LOGIN "dev-agents"
#define LF_REVIEWER_LOGIN "dev-agents-review"
/* Records are small; anything bigger is not ours. */
#define LF_MAX_RECORD (16u << 20)

/* A PR as stored in prs/<n>.yaml. */
struct lf_pr {
	long number;
	char *title, *body, *head, *base, *state, *merge_sha, *head_sha;
	char **labels;		/* NULL-terminated (may be NULL when none) */
	size_t nlabels;
	bool draft, merged;
};
void lf_pr_clear(struct lf_pr *p);

struct da_git;
/* The bare repository (opts->remote), opened; caller frees. */
int lf_open_bare(struct da_forge *f, struct da_git **g);

/* forge_local_merge.c: reviews (inline comments checked against the
 * diff) and squash merges into the bare repository. */
int lf_create_review(struct da_forge *f, long number, const struct da_forge_review *in,
		     long *review_id);
int lf_merge_pr(struct da_forge *f, long number, const char *title, const char *message,
		const char *expected_sha, enum da_forge_merge_result *result, char **sha_out);

/* The repository's state lock (flock on <dir>/lock), held around every
 * read-modify-write so two processes never take one number or lose an
 * appended comment. */
int lf_lock(struct lf *l, int *fd);
void lf_unlock(int fd);

/* max(issue numbers, PR numbers) + 1; call with the lock held. */
int lf_next_number(struct lf *l, long *out);

/* Issues: absent -> 0 and *out NULL. */
int lf_issue_read(struct lf *l, long n, struct da_forge_issue **out);
int lf_issue_write(struct lf *l, const struct da_forge_issue *i);

/* PRs: absent -> 0 and *found false. */
int lf_pr_read(struct lf *l, long n, struct lf_pr *out, bool *found);
/* create: the number is new (the file must not exist yet). */
int lf_pr_write(struct lf *l, const struct lf_pr *p, bool create);
/* Every PR number, ascending; caller frees. */
int lf_pr_numbers(struct lf *l, long **out, size_t *n);

int lf_labels_read(struct lf *l, struct da_forge_label **out, size_t *n);
int lf_labels_write(struct lf *l, const struct da_forge_label *labels, size_t n);

/* Comments on issue/PR n: read all; append one (lock held). */
int lf_comments_read(struct lf *l, long n, struct da_forge_comment **out, size_t *count);
int lf_comment_append(struct lf *l, long n, const char *body, long *id_out);

/* Every review of PR n from reviews/<n>.log, oldest first. */
int lf_reviews_read(struct lf *l, long n, struct da_forge_posted_review **out, size_t *count);
/* Append one review to reviews/<n>.log (lock held). */
int lf_review_append(struct lf *l, long n, const struct da_forge_review *in,
		     const char *commit, long *id_out);

#endif
