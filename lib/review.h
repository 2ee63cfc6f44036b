/* review: the pre-push review (da-review, and da-run's review stage).
 *
 * The diff base..HEAD (what the pull request will show) goes, bounded,
 * into a prompt for the reviewer role's agent, which must answer with one
 * JSON object:
 *
 *   {"verdict": "APPROVE" | "REQUEST_CHANGES", "summary": "...",
 *    "findings": [{"severity": "critical" | "major" | "minor",
 *                  "file": "...", "line": N, "message": "..."}]}
 *
 * (possibly inside a ```json fence, possibly with prose around it). The
 * answer is validated with jansson; an unusable answer gets ONE retry
 * with a stricter reminder (the same session when the backend gave an
 * id), then the review fails. There is no silent approve: an unknown
 * verdict is malformed, and APPROVE with a critical finding becomes
 * REQUEST_CHANGES. Findings whose line is not in the diff's hunks are
 * kept but flagged inline=false (a forge refuses inline comments there).
 *
 * Files written in the out dir (da_write_atomic): review.yaml (libyaml
 * emitter), REVIEW.md, prompt.md (the bounded prompt as first sent), and
 * the agent's run files (review.prompt.md, review.events.jsonl, ...,
 * agent-home/). */
#ifndef DA_REVIEW_H
#define DA_REVIEW_H

#include "agent.h"
#include "git.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum da_review_verdict {
	DA_REVIEW_NONE = 0,
	DA_REVIEW_APPROVE,
	DA_REVIEW_REQUEST_CHANGES,
};

enum da_review_severity {
	DA_REVIEW_CRITICAL = 0,
	DA_REVIEW_MAJOR,
	DA_REVIEW_MINOR,
};

/* Default bounds of the prompt's diff: a 5,000-line diff costs about
 * what a 500-line one does; the reviewer may read the rest with git. */
#define DA_REVIEW_FILE_LINES 400L		/* diff lines shown per file */
#define DA_REVIEW_TOTAL_LINES 800L		/* diff lines shown in all */
#define DA_REVIEW_TOTAL_BYTES (100L * 1024)	/* bytes of diff shown in all */
#define DA_REVIEW_OMITTED_LISTED 50		/* omitted files named one by one */

struct da_review_limits {
	long file_lines;	/* 0: DA_REVIEW_FILE_LINES */
	long total_lines;	/* 0: DA_REVIEW_TOTAL_LINES */
	long total_bytes;	/* 0: DA_REVIEW_TOTAL_BYTES */
};

/* A file left out of the prompt, whole or in part. */
struct da_review_omission {
	char *path;
	char *reason;		/* "lock file", "first 400 of 2310 lines shown", ... */
	bool partial;		/* part of the file was shown */
};

struct da_review_prompt {
	char *text;		/* the whole prompt; owned */
	size_t len;
	long diff_lines;	/* diff lines shown */
	long diff_bytes;	/* bytes of diff shown */
	struct da_review_omission *omitted;
	size_t nomitted;
};

struct da_review_finding {
	enum da_review_severity severity;
	char *file;
	long line;		/* new-side line; 0: the file as a whole */
	char *message;
	bool inline_ok;		/* the line lies in the diff's hunks */
};

struct da_review {
	enum da_review_verdict verdict;		/* what counts */
	enum da_review_verdict agent_verdict;	/* what the agent said */
	char *downgrade_reason;			/* NULL unless verdict != agent_verdict */
	char *summary;
	struct da_review_finding *findings;
	size_t nfindings;
	char base_oid[DA_GIT_OID_HEXSZ];	/* merge base reviewed from */
	char head_oid[DA_GIT_OID_HEXSZ];
	struct da_review_omission *omitted;	/* what the prompt left out */
	size_t nomitted;
	/* usage of every agent run of this review, retry included */
	long turns, input_tokens, output_tokens;
	double cost_usd;
	int agent_runs;				/* 1, or 2 after a retry */
	char *session_id;
	char *out_dir, *yaml_path, *md_path;	/* the files written */
};

struct da_review_opts {
	const char *repo;		/* NULL: "." */
	const char *base;		/* NULL: da_review_default_base() */
	const char *head;		/* NULL: "HEAD" */
	const char *out_dir;		/* NULL: ./.dev-agents/review (ignored by git) */
	const char *project;		/* overlay projects/<p>.yaml on the roles */
	const struct da_agent_roles *roles;	/* NULL: loaded for `project` */
	struct da_agent_budget *budget;	/* NULL: the config's budget, fresh */
	const char *context;		/* extra markdown for the prompt (issue, spec) */
	struct da_review_limits limits;
	time_t *reset_at;		/* may be NULL; after DA_ETEMP for a used-up
					 * usage window: when it reopens (0: unknown) */
};

/* The whole review: diff, prompt, agent (one retry on unusable output),
 * validation, review.yaml + REVIEW.md. 0 with *out set (the verdict is
 * in it); DA_EUSAGE for bad options, an empty diff or an answer unusable
 * twice; DA_ERUNTIME when the agent or the repository failed; DA_ETEMP
 * for an exhausted usage window (o->reset_at, when given, gets its reset). */
int da_review_run(const struct da_review_opts *o, struct da_review **out);
void da_review_free(struct da_review *r);

/* The base when none is given, without touching the network: the merge
 * base of HEAD and the first of origin/HEAD, origin/main, origin/master,
 * main, master that exists. Caller frees. */
int da_review_default_base(struct da_git *g, char **out);

/* ---- prompt (review_prompt.c) ---- */

/* The bounded prompt for a diff. Lock, generated, vendored and binary
 * files are left out by rule, long files cut, and the total bounded by
 * the limits; every omission is listed in the prompt and in out. */
int da_review_build_prompt(const struct da_git_diff *d, const struct da_review_limits *lim,
			   const char *context, struct da_review_prompt *out);
void da_review_prompt_clear(struct da_review_prompt *p);
/* Why a file is left out by rule (NULL: it is not). `patch` may be NULL. */
const char *da_review_skip_reason(const char *path, const char *patch);
/* The reminder sent with the retry; `why` says what was wrong. Caller frees. */
char *da_review_reminder(const char *why);

/* ---- answer (review_parse.c) ---- */

/* Find and validate the JSON answer in an agent's final text. On success
 * fills verdict, agent_verdict, summary and findings of r (applying the
 * approve-with-critical downgrade). DA_EUSAGE with a one-line reason in
 * da_errmsg() when the text holds no usable answer; r is then unchanged. */
int da_review_parse(const char *final_text, struct da_review *r);
/* Mark each finding inline_ok when its line lies in the diff's hunks
 * (a leading "a/", "b/" or "./" on the file name is dropped). */
void da_review_classify(struct da_review *r, const struct da_git_diff *d);
/* The findings a forge can post inline, in order; *out is a new array
 * of borrowed pointers (caller frees the array only). */
int da_review_inline_findings(const struct da_review *r, const struct da_review_finding ***out,
			      size_t *n);

const char *da_review_verdict_name(enum da_review_verdict v);	/* "APPROVE", ... "NONE" */
const char *da_review_severity_name(enum da_review_severity s);	/* "critical", ... */

/* ---- output (review_write.c) ---- */

/* review.yaml and REVIEW.md in r->out_dir; sets r->yaml_path, r->md_path. */
int da_review_write(struct da_review *r);
/* The review as one JSON object (for --json). Caller frees. */
char *da_review_json(const struct da_review *r);

#endif
