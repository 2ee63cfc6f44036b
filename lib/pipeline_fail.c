/* pipeline_fail: what the forge shows when a task fails. The gates never
 * passed: a draft PR labelled pipeline-failed and a comment with the last
 * gate lines. An agent stage failed (max turns, budget, agent error): a
 * comment with the reason, and the same draft PR when the branch holds
 * work beyond the default branch. Paused or waiting tasks (DA_ETEMP) are
 * retried and never come here. */
#include "pipeline.h"
#include "forge.h"
#include "err.h"
#include "fsutil.h"
#include "git.h"
#include "log.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FAILED_LABEL "pipeline-failed"
#define TAIL_BYTES (4 * 1024)

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
	/* keep the tail: `lines` lines, at most TAIL_BYTES (a minified line can
	 * be megabytes; the forge refuses a comment over 65,536 characters) */
	char *p = text + len;
	for (int k = 0; p > text && k <= lines; p--)
		if (p[-1] == '\n' && ++k > lines)
			break;
	if (text + len - p > TAIL_BYTES) {
		p = text + len - TAIL_BYTES;
		while (*p && ((unsigned char)*p & 0xC0) == 0x80)
			p++; /* start on a whole character */
	}
	char *out = strdup(p);

	free(text);
	return out;
}

/* Push the branch; its PR as a draft (created or turned into one) with
 * the label. A PR of the task already merged is returned as it is. */
static int draft_pr(struct da_pipeline *pl, struct da_forge *f, const char *reason, const char *tail,
		    struct da_forge_pr **pr)
{
	static const char *const label[] = { FAILED_LABEL };
	char *body = NULL;
	int rc;

	char *num = da_pipeline_run_text(pl, "pr");
	long n = num ? strtol(num, NULL, 10) : 0;

	free(num);
	/* failed after its PR was merged (a forge error in the comment step):
	 * the work is in; a new draft PR for the merged branch would mislead */
	if (n > 0 && ((rc = da_forge_get_pr(f, n, pr)) < 0 || (*pr && (*pr)->merged)))
		return rc;
	da_forge_pr_free(*pr);
	*pr = NULL;
	if ((rc = da_pipeline_push(pl, NULL)) < 0 || (rc = da_forge_find_pr(f, pl->branch, pr)) < 0)
		return rc;
	if (*pr) {
		rc = (*pr)->draft ? 0 : da_forge_set_pr_draft(f, (*pr)->number, true);
	} else {
		/* what failed first, then what a finished PR shows (gate table,
		 * spec, cost); the parts are capped: under GitHub's 65,536 */
		char *rest = da_pipeline_pr_body(pl);

		if (asprintf(&body, "**The pipeline failed:** %.1000s\n%s%s%s\n%s", reason, *tail ? "\n```\n" : "", tail,
			     *tail ? "```\n" : "", rest ? rest : "") < 0)
			body = NULL;
		free(rest);
		struct da_forge_pr_new in = { .title = pl->task->title, .body = body ? body : reason,
					      .head = pl->branch, .base = pl->project->default_branch, .draft = true };

		rc = da_forge_create_pr(f, &in, pr);
		free(body);
	}
	if (rc == 0)
		rc = da_forge_ensure_label(f, FAILED_LABEL, "d73a4a", "dev-agents could not finish this", NULL);
	if (rc == 0)
		rc = da_forge_add_labels(f, (*pr)->number, label, 1);
	return rc;
}

/* The comment on the issue; with_pr: the draft PR first. */
static int publish(struct da_pipeline *pl, const char *reason, const char *tail, bool with_pr)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *body = NULL, where[128] = "";
	int rc;

	if ((rc = da_pipeline_open_forge(pl, false, &f)) == 0 && with_pr &&
	    (rc = draft_pr(pl, f, reason, tail, &pr)) == 0)
		snprintf(where, sizeof where, pr->merged ? " after pull request #%ld was merged"
							 : "; draft pull request #%ld", pr->number);
	if (rc == 0) {
		if (asprintf(&body, "dev-agents: the pipeline failed%s.\n\n%s\n%s%s%s", where, reason, *tail ? "\n```\n" : "",
			     tail, *tail ? "```\n" : "") < 0) {
			body = NULL;
			rc = da_errf(DA_ERUNTIME, "out of memory");
		} else {
			rc = da_forge_comment(f, pl->task->issue, body, NULL);
		}
	}
	free(body);
	da_forge_pr_free(pr);
	da_forge_free(f);
	return rc;
}

int da_pipeline_fail_publish(struct da_pipeline *pl, const char *reason)
{
	char *tail = last_gate_lines(pl, 20);
	int rc = publish(pl, reason, tail ? tail : "", true);

	free(tail);
	return rc;
}

/* Commits on the task branch beyond origin/<default>: work worth a draft PR. */
static int has_work(struct da_pipeline *pl, bool *any)
{
	struct da_git *g = NULL;
	struct da_git_commit_info *c = NULL;
	size_t n = 0;
	char base[512];
	int rc;

	snprintf(base, sizeof base, "origin/%s", pl->project->default_branch);
	if ((rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_log(g, base, "HEAD", &c, &n);
	*any = rc == 0 && n > 0;
	da_git_log_free(c, n);
	da_git_free(g);
	return rc;
}

int da_pipeline_fail_notify(struct da_pipeline *pl, const char *reason)
{
	bool work = false;
	int rc = has_work(pl, &work);

	return rc < 0 ? rc : publish(pl, reason, "", work);
}
