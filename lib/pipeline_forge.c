/* pipeline_forge: the delivery steps on the forge after the push: the pull
 * request (found first, so a retry never opens a second), the reviewer's
 * review on it, the squash merge (one rebase-and-verify retry when the
 * forge refuses), the comment on the issue. Each step is checkpointed by
 * da_pipeline_deliver; what a later step needs is in the run record. */
#include "pipeline.h"
#include "forge.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_MERGE_RETRY "merge-retry"

int da_pipeline_open_forge(struct da_pipeline *pl, bool reviewer, struct da_forge **out)
{
	enum da_forge_kind kind;
	int rc;

	if ((rc = da_forge_kind_parse(pl->project->forge ? pl->project->forge : "github", &kind)) < 0)
		return rc;
	/* every request and its status (never a header or body: no token) */
	char log_path[sizeof pl->run_dir + 16];

	snprintf(log_path, sizeof log_path, "%s/forge.log", pl->run_dir);
	struct da_forge_opts o = {
		.kind = kind, .identity = reviewer ? DA_FORGE_REVIEWER : DA_FORGE_WRITER, .repo = pl->project->repo, .api_url = pl->project->api_url,
		.remote = pl->project->remote, .default_branch = pl->project->default_branch,
		.log_path = pl->run_dir[0] ? log_path : NULL,
	};

	return da_forge_open(&o, out);
}

int da_pipeline_forge_rc(struct da_pipeline *pl, const struct da_forge *f, int rc)
{
	time_t at = rc == DA_ETEMP && f ? da_forge_status(f)->not_before : 0;

	if (at > pl->not_before)
		pl->not_before = at;
	return rc;
}

int da_pipeline_check_issue(struct da_pipeline *pl, bool *closed)
{
	struct da_forge *f = NULL;
	struct da_forge_issue *issue = NULL;
	int rc;

	*closed = false;
	if ((rc = da_pipeline_open_forge(pl, false, &f)) == 0)
		rc = da_pipeline_forge_rc(pl, f, da_forge_get_issue(f, pl->task->issue, &issue));
	if (rc == 0 && !issue)
		rc = da_errf(DA_ERUNTIME, "issue #%ld is not on %s: nothing to work on", pl->task->issue,
			     pl->project->repo);
	else if (rc == 0 && issue->is_pull_request)
		rc = da_errf(DA_ERUNTIME, "#%ld on %s is a pull request, not an issue", pl->task->issue,
			     pl->project->repo);
	else if (rc == 0)
		*closed = issue->state && !strcmp(issue->state, "closed");
	else if (rc != DA_ETEMP) {
		/* a forge that cannot answer now is no reason to stop here: the
		 * delivery steps meet it again and have their own ways out */
		da_warn("issue #%ld not checked: %s", pl->task->issue, da_errmsg());
		da_errclear();
		rc = 0;
	}
	da_forge_issue_free(issue);
	da_forge_free(f);
	return rc;
}

static bool approved(struct da_pipeline *pl)
{
	char *v = da_pipeline_run_text(pl, "verdict");
	bool ok = v && !strncmp(v, "APPROVE", 7);

	free(v);
	return ok;
}

static long recorded_pr(struct da_pipeline *pl)
{
	char *num = da_pipeline_run_text(pl, "pr");
	long n = num ? strtol(num, NULL, 10) : 0;

	free(num);
	return n;
}

/* The task's PR: by the number the pr step recorded, whatever its state
 * now (merged, closed); before that, the open one for the branch. */
static int task_pr(struct da_pipeline *pl, struct da_forge *f, struct da_forge_pr **pr)
{
	long n = recorded_pr(pl);
	int rc = n > 0 ? da_forge_get_pr(f, n, pr) : da_forge_find_pr(f, pl->branch, pr);

	if (rc == 0 && !*pr)
		rc = n > 0 ? da_errf(DA_ERUNTIME, "pull request #%ld is not on the forge", n)
			   : da_errf(DA_ERUNTIME, "no open pull request for %s", pl->branch);
	return rc;
}

/* merge-outcome in the run record: "merged" or "not merged: <why>". */
static int record_outcome(struct da_pipeline *pl, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (strcmp(text, "merged"))
		da_warn("pull request %s", text);
	return da_run_write(pl->run_key, "merge-outcome", text, strlen(text));
}

/* Number and link for the later steps: a merged PR is no longer found open. */
static int record_pr(struct da_pipeline *pl, const struct da_forge_pr *pr)
{
	char rec[64];
	const char *url = pr->html_url ? pr->html_url : "";
	int rc;

	snprintf(rec, sizeof rec, "%ld\n", pr->number);
	if ((rc = da_run_write(pl->run_key, "pr", rec, strlen(rec))) == 0)
		rc = da_run_write(pl->run_key, "pr-url", url, strlen(url));
	da_info("pull request #%ld %s", pr->number, url);
	return rc;
}

static int create_pr(struct da_pipeline *pl, struct da_forge *f, struct da_forge_pr **pr)
{
	char *body = da_pipeline_pr_body(pl);
	int rc;

	if (!body)
		return da_errf(DA_ERUNTIME, "out of memory");
	struct da_forge_pr_new in = { .title = pl->task->title, .body = body, .head = pl->branch,
				      .base = pl->project->default_branch };

	rc = da_forge_create_pr(f, &in, pr);
	free(body);
	return rc;
}

/* A PR found open for the branch: a crash after creating it, or an
 * earlier attempt's (a failed one left it a draft labelled
 * pipeline-failed). It becomes this run's PR: its body now, the failure
 * label off, ready for review, or the forge refuses to merge a draft.
 * Each call is idempotent, so a crash in between is redone whole. */
static int reuse_pr(struct da_pipeline *pl, struct da_forge *f, struct da_forge_pr *pr)
{
	char *body = da_pipeline_pr_body(pl);
	int rc;

	if (!body)
		return da_errf(DA_ERUNTIME, "out of memory");
	da_info("reusing pull request #%ld%s", pr->number, pr->draft ? " (a draft: made ready)" : "");
	rc = da_forge_update_pr(f, pr->number, &(struct da_forge_pr_update){ .body = body });
	free(body);
	if (rc == 0)
		rc = da_forge_remove_label(f, pr->number, DA_PIPELINE_FAILED_LABEL);
	if (rc == 0 && pr->draft && (rc = da_forge_set_pr_draft(f, pr->number, false)) == 0)
		pr->draft = false;
	return rc;
}

int da_pipeline_pr_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	int rc;

	if ((rc = da_pipeline_open_forge(pl, false, &f)) == 0 && (rc = da_forge_find_pr(f, pl->branch, &pr)) == 0)
		rc = pr ? reuse_pr(pl, f, pr) : create_pr(pl, f, &pr);
	if (rc == 0)
		rc = pr ? record_pr(pl, pr) : da_errf(DA_ERUNTIME, "the forge returned no pull request");
	rc = da_pipeline_forge_rc(pl, f, rc);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

/* inline.tsv back into review comments; the strings point into *text. */
static size_t inline_comments(struct da_pipeline *pl, char **text, struct da_forge_review_comment **out)
{
	size_t n = 0, cap = 0;
	char *save = NULL;

	*out = NULL;
	*text = da_pipeline_run_text(pl, "inline.tsv");
	for (char *line = *text ? strtok_r(*text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		if (!t2)
			continue;
		if (n == cap) {
			struct da_forge_review_comment *m = realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof *m);

			if (!m)
				break;
			*out = m;
		}
		*t1 = *t2 = '\0';
		(*out)[n++] = (struct da_forge_review_comment){ .path = line, .line = strtol(t1 + 1, NULL, 10),
							       .body = t2 + 1 };
	}
	return n;
}

/* Whether a review carrying `marker` is already on the PR: a rerun after
 * a crash between the POST and the checkpoint, or a retried POST that got
 * through, must not post a second. */
static int has_review(struct da_forge *f, long number, const char *marker, bool *found)
{
	struct da_forge_posted_review *r = NULL;
	size_t n = 0;
	int rc = da_forge_list_reviews(f, number, &r, &n);

	*found = false;
	for (size_t i = 0; rc == 0 && i < n && !*found; i++)
		*found = r[i].body && strstr(r[i].body, marker);
	da_forge_posted_reviews_free(r, n);
	return rc;
}

int da_pipeline_post_review_step(struct da_pipeline *pl)
{
	struct da_forge_review_comment *comments = NULL;
	char *inline_text = NULL;
	size_t ncomments = inline_comments(pl, &inline_text, &comments);
	struct da_forge *w = NULL, *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *review = da_pipeline_run_text(pl, "REVIEW.md"), *body = NULL, marker[400];
	bool posted = false;
	int rc;

	if ((rc = da_pipeline_open_forge(pl, false, &w)) == 0 && (rc = task_pr(pl, w, &pr)) == 0 &&
	    (rc = da_pipeline_open_forge(pl, true, &f)) == 0) {
		/* hidden in the rendered review: which task and head it is for */
		snprintf(marker, sizeof marker, "<!-- dev-agents:review task=%s head=%s -->", pl->task_name,
			 pr->head_sha ? pr->head_sha : "");
		rc = has_review(f, pr->number, marker, &posted);
	}
	if (rc == 0 && !posted &&
	    asprintf(&body, "%s\n\n%s\n", review && review[0] ? review : "Pre-push review by dev-agents.", marker) < 0) {
		body = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
	}
	if (rc == 0 && !posted) {
		struct da_forge_review rv = {
			.verdict = approved(pl) ? DA_REVIEW_APPROVE : DA_REVIEW_REQUEST_CHANGES,
			.body = body, .comments = comments, .ncomments = ncomments,
		};

		rc = da_forge_create_review(f, pr->number, &rv, NULL);
	} else if (rc == 0) {
		da_info("the review of pull request #%ld is already posted", pr->number);
	}
	rc = da_pipeline_forge_rc(pl, w, da_pipeline_forge_rc(pl, f, rc));
	free(review);
	free(body);
	free(comments);
	free(inline_text);
	da_forge_pr_free(pr);
	da_forge_free(f);
	da_forge_free(w);
	return rc;
}

static const char *refusal(enum da_forge_merge_result res)
{
	return res == DA_MERGE_CONFLICT ? "409: the base or head moved" : "405: not mergeable";
}

/* The one retry after a refusal, checkpointed as merge-retry: rebase onto
 * the moved default branch, verify again, push, merge expecting that
 * head. A retry already done (or failed) before a crash is not repeated. */
/* The PR as the forge has it now: merged turns *res into DA_MERGE_MERGED. */
static int merged_meanwhile(struct da_forge *f, long number, enum da_forge_merge_result *res)
{
	struct da_forge_pr *pr = NULL;
	int rc = da_forge_get_pr(f, number, &pr);

	if (rc == 0 && pr && pr->merged)
		*res = DA_MERGE_MERGED;
	da_forge_pr_free(pr);
	return rc;
}

static int merge_retry(struct da_pipeline *pl, struct da_forge *f, long number, const char *title,
		       enum da_forge_merge_result first)
{
	struct da_stage_state *ss = da_run_state_stage(pl->state, STEP_MERGE_RETRY);
	enum da_forge_merge_result res = first;
	char head[DA_GIT_OID_HEXSZ] = "";
	int rc;

	if (!ss)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (ss->status == DA_ST_DONE || ss->status == DA_ST_FAILED)
		return record_outcome(pl, "not merged: the forge refused the merge (%s), also after the one rebase and re-verify%s%s",
				      refusal(res), ss->error ? ": " : "", ss->error ? ss->error : "");
	da_info("the forge refused the merge (%s): rebase, verify again, push, merge again", refusal(res));
	if ((rc = da_run_state_mark(pl->state, STEP_MERGE_RETRY, DA_ST_RUNNING, NULL, NULL)) < 0 ||
	    (rc = da_run_state_save(pl->state)) < 0)
		return rc;
	if ((rc = da_pipeline_rebase(pl, STEP_MERGE_RETRY)) == 0 && (rc = da_pipeline_push(pl, head)) == 0 &&
	    (rc = da_forge_merge_pr(f, number, title, NULL, head, &res, NULL)) == 0 && res != DA_MERGE_MERGED)
		rc = merged_meanwhile(f, number, &res);
	if (rc == DA_ETEMP)
		return rc; /* paused or a usage window: merge-retry stays running and is done again */
	char *why = rc < 0 ? strdup(da_errmsg()) : NULL;

	da_errclear();
	if ((rc = da_run_state_mark(pl->state, STEP_MERGE_RETRY, why ? DA_ST_FAILED : DA_ST_DONE, NULL, why)) == 0)
		rc = da_run_state_save(pl->state);
	if (rc == 0 && why)
		rc = record_outcome(pl, "not merged: the forge refused the merge (%s) and the retry failed: %s", refusal(first),
				    why);
	else if (rc == 0)
		rc = res == DA_MERGE_MERGED ? record_outcome(pl, "merged")
					    : record_outcome(pl, "not merged: the forge refused the merge (%s), also after a rebase and re-verify",
							     refusal(res));
	free(why);
	return rc;
}

/* Merged. A retry that a crash interrupted after its push (still marked
 * running) did its work: the merge went through on its head. */
static int merged(struct da_pipeline *pl)
{
	for (size_t i = 0; i < pl->state->n_stages; i++)
		if (!strcmp(pl->state->stages[i].name, STEP_MERGE_RETRY) &&
		    pl->state->stages[i].status == DA_ST_RUNNING &&
		    (da_run_state_mark(pl->state, STEP_MERGE_RETRY, DA_ST_DONE, NULL, NULL) < 0 ||
		     da_run_state_save(pl->state) < 0))
			return da_errctx(DA_ERUNTIME, "saving state.yaml");
	return record_outcome(pl, "merged");
}

/* Squash-merge when the project says merge: auto and the review approved;
 * otherwise (or when the forge refuses twice) the PR stays open and
 * merge-outcome says why. */
int da_pipeline_merge_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	enum da_forge_merge_result res = DA_MERGE_NOT_MERGEABLE;
	char title[700];
	int rc;

	if (pl->project->merge != DA_MERGE_AUTO)
		return record_outcome(pl, "not merged: the project says merge: leave-open");
	if (!approved(pl))
		return record_outcome(pl, "not merged: the pre-push review still requests changes after %ld fix round(s)",
				      pl->project->review_rounds);
	if ((rc = da_pipeline_open_forge(pl, false, &f)) < 0 || (rc = task_pr(pl, f, &pr)) < 0)
		goto out;
	/* a resumed step whose merge landed before the crash */
	if (pr->merged) {
		rc = merged(pl);
		goto out;
	}
	if (strcmp(pr->state, "open")) {
		rc = record_outcome(pl, "not merged: the pull request was closed on the forge");
		goto out;
	}
	snprintf(title, sizeof title, "%s (#%ld)", pl->task->title, pr->number);
	/* the head the gates and the review saw: a head moved since is refused */
	if ((rc = da_forge_merge_pr(f, pr->number, title, NULL, pr->head_sha && *pr->head_sha ? pr->head_sha : NULL,
				    &res, NULL)) < 0)
		goto out;
	/* a refusal may answer a repeat of a merge whose first answer was
	 * lost: the PR read back says whether it is merged already */
	if (res != DA_MERGE_MERGED && (rc = merged_meanwhile(f, pr->number, &res)) < 0)
		goto out;
	rc = res == DA_MERGE_MERGED ? merged(pl) : merge_retry(pl, f, pr->number, title, res);
out:
	rc = da_pipeline_forge_rc(pl, f, rc);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

int da_pipeline_has_comment(struct da_forge *f, long issue, const char *marker, bool *found)
{
	struct da_forge_comment *c = NULL;
	size_t n = 0;
	int rc = da_forge_list_comments(f, issue, &c, &n);

	*found = false;
	for (size_t i = 0; rc == 0 && i < n && !*found; i++)
		*found = c[i].body && strstr(c[i].body, marker);
	da_forge_comments_free(c, n);
	return rc;
}

/* The outcome as the forge has it (merged is read, not guessed), the
 * PR's link, and the reason it stayed open. */
int da_pipeline_comment_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *body = NULL, *outcome = da_pipeline_run_text(pl, "merge-outcome"), marker[300];
	bool posted = false;
	int rc;

	if ((rc = da_pipeline_open_forge(pl, false, &f)) < 0 || (rc = task_pr(pl, f, &pr)) < 0)
		goto out;
	/* one comment per outcome: a later run that merges what an earlier left open says so too */
	snprintf(marker, sizeof marker, "<!-- dev-agents:outcome %s %s -->", pl->task_name,
		 pr->merged ? "merged" : "open");
	if ((rc = da_pipeline_has_comment(f, pl->task->issue, marker, &posted)) < 0 || posted)
		goto out;
	const char *url = pr->html_url ? pr->html_url : "";
	const char *why = outcome && !strncmp(outcome, "not merged: ", 12) ? outcome + 12
			  : "the forge does not show it merged";
	int n = pr->merged ? asprintf(&body, "dev-agents: pull request #%ld merged: %s (branch `%s`).\n\n%s\n", pr->number,
				      url, pl->branch, marker)
			   : asprintf(&body, "dev-agents: pull request #%ld not merged, %s: %s (branch `%s`).\n\n"
					     "Why: %s\n\n%s\n", pr->number, strcmp(pr->state, "open") ? "closed" : "left open",
				     url, pl->branch, why, marker);

	if (n < 0) {
		body = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = da_forge_comment(f, pl->task->issue, body, NULL);
out:
	rc = da_pipeline_forge_rc(pl, f, rc);
	free(outcome);
	free(body);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

/* The branch's change is on the default branch already: no PR; the issue
 * is told once (marked) why nothing was opened. */
int da_pipeline_nothing_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	char *body = NULL, marker[300], why[700];
	bool posted = false;
	int rc;

	snprintf(why, sizeof why, "nothing to deliver: branch %s holds no change beyond %s", pl->branch,
		 pl->project->default_branch);
	da_info("%s", why);
	snprintf(marker, sizeof marker, "<!-- dev-agents:outcome %s nothing -->", pl->task_name);
	if ((rc = da_run_write(pl->run_key, "merge-outcome", why, strlen(why))) < 0 ||
	    (rc = da_pipeline_open_forge(pl, false, &f)) < 0 ||
	    (rc = da_pipeline_has_comment(f, pl->task->issue, marker, &posted)) < 0 || posted)
		goto out;
	if (asprintf(&body, "dev-agents: %s (its change is already there), so no pull request was opened.\n\n%s\n",
		     why, marker) < 0) {
		body = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = da_forge_comment(f, pl->task->issue, body, NULL);
out:
	rc = da_pipeline_forge_rc(pl, f, rc);
	free(body);
	da_forge_free(f);
	return rc;
}
