/* pipeline_forge: the delivery steps on the forge after the push: the pull
 * request (found first, so a retry never opens a second), the reviewer's
 * review on it, the squash merge, the comment on the issue. Each step is
 * checkpointed by da_pipeline_deliver. */
#include "pipeline.h"
#include "err.h"
#include "forge.h"
#include "fsutil.h"
#include "git.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

static int open_forge(struct da_pipeline *pl, enum da_forge_identity who, struct da_forge **out)
{
	enum da_forge_kind kind;
	int rc;

	if ((rc = da_forge_kind_parse(pl->project->forge ? pl->project->forge : "github", &kind)) < 0)
		return rc;
	struct da_forge_opts o = {
		.kind = kind, .identity = who, .repo = pl->project->repo, .api_url = pl->project->api_url,
		.remote = pl->project->remote, .default_branch = pl->project->default_branch,
	};

	return da_forge_open(&o, out);
}

/* The run record's file, "" when missing (a report, never fatal). */
static char *run_text(struct da_pipeline *pl, const char *name)
{
	char path[4096 + 64];
	char *text = NULL;
	size_t len;

	snprintf(path, sizeof path, "%s/%s", pl->run_dir, name);
	if (!da_path_exists(path) || da_read_file(path, 64 * 1024, &text, &len) < 0) {
		da_errclear();
		return strdup("");
	}
	return text;
}

static bool approved(struct da_pipeline *pl)
{
	char *v = run_text(pl, "verdict");
	bool ok = v && !strncmp(v, "APPROVE", 7);

	free(v);
	return ok;
}

/* The task's PR, created when there is none yet. */
static int the_pr(struct da_pipeline *pl, struct da_forge *f, bool create, struct da_forge_pr **pr)
{
	int rc = da_forge_find_pr(f, pl->branch, pr);

	/* none open: NULL without create (a merged PR is no longer found) */
	if (rc < 0 || *pr || !create)
		return rc;
	char *review = run_text(pl, "REVIEW.md"), *body = NULL, title[600];

	snprintf(title, sizeof title, "%s", pl->task->title);
	if (asprintf(&body, "Closes #%ld\n\nMade by dev-agents (task %s).\n\n%s\n", pl->task->issue, pl->task_name,
		     review ? review : "") < 0)
		body = NULL;
	free(review);
	if (!body)
		return da_errf(DA_ERUNTIME, "out of memory");
	struct da_forge_pr_new in = { .title = title, .body = body, .head = pl->branch,
				      .base = pl->project->default_branch };

	rc = da_forge_create_pr(f, &in, pr);
	free(body);
	return rc;
}

int da_pipeline_pr_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	int rc;

	if ((rc = open_forge(pl, DA_FORGE_WRITER, &f)) == 0 && (rc = the_pr(pl, f, true, &pr)) == 0) {
		char rec[64];

		/* its number for the later steps, once it is merged and no longer found open */
		snprintf(rec, sizeof rec, "%ld\n", pr->number);
		rc = da_run_write(pl->task_name, "pr", rec, strlen(rec));
		da_info("pull request #%ld %s", pr->number, pr->html_url ? pr->html_url : "");
	}
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
	*text = run_text(pl, "inline.tsv");
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

int da_pipeline_post_review_step(struct da_pipeline *pl)
{
	struct da_forge_review_comment *comments = NULL;
	char *inline_text = NULL;
	size_t ncomments = inline_comments(pl, &inline_text, &comments);
	struct da_forge *w = NULL, *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *body = run_text(pl, "REVIEW.md");
	int rc;

	if ((rc = open_forge(pl, DA_FORGE_WRITER, &w)) == 0 && (rc = the_pr(pl, w, false, &pr)) == 0 &&
	    (rc = pr ? 0 : da_errf(DA_ERUNTIME, "no open pull request for %s", pl->branch)) == 0 &&
	    (rc = open_forge(pl, DA_FORGE_REVIEWER, &f)) == 0) {
		struct da_forge_review rv = {
			.verdict = approved(pl) ? DA_REVIEW_APPROVE : DA_REVIEW_REQUEST_CHANGES,
			.body = body && body[0] ? body : "Pre-push review by dev-agents.",
			.comments = comments, .ncomments = ncomments,
		};

		rc = da_forge_create_review(f, pr->number, &rv, NULL);
	}
	free(body);
	free(comments);
	free(inline_text);
	da_forge_pr_free(pr);
	da_forge_free(f);
	da_forge_free(w);
	return rc;
}

/* Squash-merge when the project says merge: auto and the review approved;
 * otherwise (or when the forge refuses) the PR stays open, said in the log. */
int da_pipeline_merge_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	enum da_forge_merge_result res = DA_MERGE_NOT_MERGEABLE;
	char title[700];
	int rc;

	if (pl->project->merge != DA_MERGE_AUTO || !approved(pl)) {
		da_info("pull request left open: %s", pl->project->merge != DA_MERGE_AUTO ? "merge: leave-open"
												: "the review did not approve");
		return 0;
	}
	if ((rc = open_forge(pl, DA_FORGE_WRITER, &f)) < 0 || (rc = the_pr(pl, f, false, &pr)) < 0)
		goto out;
	if (!pr || pr->merged)
		goto out; /* a retry after the merge: nothing to do */
	snprintf(title, sizeof title, "%s (#%ld)", pl->task->title, pr->number);
	if ((rc = da_forge_merge_pr(f, pr->number, title, NULL, NULL, &res, NULL)) == 0 && res != DA_MERGE_MERGED)
		da_warn("pull request #%ld left open: the forge refused the merge (%s)", pr->number,
			res == DA_MERGE_CONFLICT ? "409, base or head moved" : "405, not mergeable");
out:
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

int da_pipeline_comment_step(struct da_pipeline *pl)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *body = NULL;
	int rc;

	if ((rc = open_forge(pl, DA_FORGE_WRITER, &f)) == 0 && (rc = the_pr(pl, f, false, &pr)) == 0) {
		char *num = run_text(pl, "pr");
		long n = pr ? pr->number : (num ? strtol(num, NULL, 10) : 0);

		free(num);
		/* not open any more after our merge step: merged */
		if (asprintf(&body, "dev-agents: pull request #%ld %s (branch %s).", n,
			     pr && !pr->merged ? "opened, not merged" : "merged", pl->branch) < 0)
			rc = da_errf(DA_ERUNTIME, "out of memory"), body = NULL;
		else
			rc = da_forge_comment(f, pl->task->issue, body, NULL);
	}
	free(body);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

/* The last lines of the newest gate log of the run record ("" if none). */
static char *last_gate_lines(struct da_pipeline *pl, int lines)
{
	char path[4096 + 300], *text = NULL, *best = NULL;
	size_t len;
	time_t newest = 0;
	DIR *d = opendir(pl->run_dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct stat st;
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".log") || !strcmp(e->d_name, "runner.log"))
			continue;
		snprintf(path, sizeof path, "%s/%s", pl->run_dir, e->d_name);
		if (stat(path, &st) == 0 && st.st_mtime >= newest) {
			newest = st.st_mtime;
			free(best);
			best = strdup(path);
		}
	}
	if (d)
		closedir(d);
	if (!best || da_read_file(best, 4 * 1024 * 1024, &text, &len) < 0) {
		da_errclear();
		free(best);
		return strdup("");
	}
	free(best);
	/* keep the tail */
	char *p = text + len;
	for (int k = 0; p > text && k <= lines; p--)
		if (p[-1] == '\n' && ++k > lines)
			break;
	char *out = strdup(p);

	free(text);
	return out;
}

int da_pipeline_fail_publish(struct da_pipeline *pl, const char *reason)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	struct da_git *g = NULL;
	char *tail = last_gate_lines(pl, 20), *body = NULL;
	static const char *const label[] = { "pipeline-failed" };
	int rc;

	if ((rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_push(g, pl->branch, true, NULL);
	da_git_free(g);
	if (rc == 0 && (rc = open_forge(pl, DA_FORGE_WRITER, &f)) == 0 && (rc = da_forge_find_pr(f, pl->branch, &pr)) == 0) {
		if (pr)
			rc = pr->draft ? 0 : da_forge_set_pr_draft(f, pr->number, true);
		else {
			if (asprintf(&body, "Closes #%ld\n\nThe pipeline failed: %s\n\n```\n%s```\n", pl->task->issue,
				     reason, tail ? tail : "") < 0)
				body = NULL;
			struct da_forge_pr_new in = { .title = pl->task->title, .body = body ? body : reason,
						      .head = pl->branch, .base = pl->project->default_branch,
						      .draft = true };

			rc = da_forge_create_pr(f, &in, &pr);
			free(body);
			body = NULL;
		}
	}
	if (rc == 0)
		rc = da_forge_ensure_label(f, label[0], "d73a4a", "dev-agents could not finish this", NULL);
	if (rc == 0)
		rc = da_forge_add_labels(f, pr->number, label, 1);
	if (rc == 0 && asprintf(&body, "dev-agents: the pipeline failed; draft pull request #%ld.\n\n%s\n\n```\n%s```\n",
				pr->number, reason, tail ? tail : "") >= 0)
		rc = da_forge_comment(f, pl->task->issue, body, NULL);
	free(body);
	free(tail);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}
