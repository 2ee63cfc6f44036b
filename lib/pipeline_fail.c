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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TAIL_BYTES (4 * 1024)

/* Newer by the nanosecond: a gate stage's gates can end within a second. */
static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* The log of the gate that failed last. Each gate stage's last run is in
 * gates-<stage>.tsv ("gate TAB passed|failed TAB ms TAB attempt TAB
 * reason"), its logs named by gate_stage's prefix:
 * <NN>-<stage>-[<attempt>-]<gate>.log. Only those: the run record also
 * holds the agents' event streams (<role>.output.log), which say nothing
 * of why the gates failed. NULL when no gate failed; caller frees. */
static char *failed_gate_log(struct da_pipeline *pl)
{
	struct timespec newest = { 0, 0 };
	char *best = NULL;

	for (size_t i = 0; i < pl->wf->n_stages; i++) {
		const struct da_stage *st = &pl->wf->stages[i];
		char name[300], *save = NULL, *tsv;

		if (st->kind != DA_STAGE_GATE)
			continue;
		snprintf(name, sizeof name, "gates-%s.tsv", st->name);
		tsv = da_pipeline_run_text(pl, name);
		for (char *line = tsv ? strtok_r(tsv, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			char *result = strchr(line, '\t'), *ms = result ? strchr(result + 1, '\t') : NULL;
			char *attempt = ms ? strchr(ms + 1, '\t') : NULL, path[sizeof pl->run_dir + 600];
			struct stat sb;

			if (!attempt || strncmp(result + 1, "failed\t", 7))
				continue;
			*result = '\0';
			long nth = strtol(attempt + 1, NULL, 10);
			if (nth > 1)
				snprintf(path, sizeof path, "%s/%02zu-%s-%ld-%s.log", pl->run_dir, i + 1, st->name, nth, line);
			else
				snprintf(path, sizeof path, "%s/%02zu-%s-%s.log", pl->run_dir, i + 1, st->name, line);
			if (stat(path, &sb) == 0 && (!best || newer(&sb.st_mtim, &newest))) {
				char *dup = strdup(path);

				if (dup) {
					free(best);
					best = dup;
					newest = sb.st_mtim;
				}
			}
		}
		free(tsv);
	}
	return best;
}

/* The last lines of the failing gate's log ("" if none). */
static char *last_gate_lines(struct da_pipeline *pl, int lines)
{
	char *text = NULL, *best = pl->wf ? failed_gate_log(pl) : NULL;
	size_t len;

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
	static const char *const label[] = { DA_PIPELINE_FAILED_LABEL };
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
	/* what failed first, then what a finished PR shows (gate table, spec,
	 * cost); the parts are capped: under GitHub's 65,536 */
	char *rest = da_pipeline_pr_body(pl);

	if (asprintf(&body, "**The pipeline failed:** %.1000s\n%s%s%s\n%s", reason, *tail ? "\n```\n" : "", tail,
		     *tail ? "```\n" : "", rest ? rest : "") < 0)
		body = NULL;
	free(rest);
	if (*pr) {
		/* an earlier attempt's PR: it now says why this one failed */
		rc = da_forge_update_pr(f, (*pr)->number, &(struct da_forge_pr_update){ .body = body ? body : reason });
		if (rc == 0 && !(*pr)->draft)
			rc = da_forge_set_pr_draft(f, (*pr)->number, true);
	} else {
		struct da_forge_pr_new in = { .title = pl->task->title, .body = body ? body : reason,
					      .head = pl->branch, .base = pl->project->default_branch, .draft = true };

		rc = da_forge_create_pr(f, &in, pr);
	}
	free(body);
	if (rc == 0)
		rc = da_forge_ensure_label(f, DA_PIPELINE_FAILED_LABEL, "d73a4a", "dev-agents could not finish this", NULL);
	if (rc == 0)
		rc = da_forge_add_labels(f, (*pr)->number, label, 1);
	return rc;
}

/* The comment on the issue; with_pr: the draft PR first. */
static int publish(struct da_pipeline *pl, const char *reason, const char *tail, bool with_pr)
{
	struct da_forge *f = NULL;
	struct da_forge_pr *pr = NULL;
	char *body = NULL, where[128] = "", marker[300];
	bool posted = false;
	int rc;

	/* one failure comment per task: a rerun of the failure path (or a
	 * retried POST that got through) finds it instead of posting again */
	snprintf(marker, sizeof marker, "<!-- dev-agents:failed %s -->", pl->task_name);
	if ((rc = da_pipeline_open_forge(pl, false, &f)) == 0 && with_pr &&
	    (rc = draft_pr(pl, f, reason, tail, &pr)) == 0)
		snprintf(where, sizeof where, pr->merged ? " after pull request #%ld was merged"
							 : "; draft pull request #%ld", pr->number);
	if (rc == 0 && (rc = da_pipeline_has_comment(f, pl->task->issue, marker, &posted)) == 0 && !posted) {
		if (asprintf(&body, "dev-agents: the pipeline failed%s.\n\n%s\n%s%s%s\n%s\n", where, reason,
			     *tail ? "\n```\n" : "", tail, *tail ? "```\n" : "", marker) < 0) {
			body = NULL;
			rc = da_errf(DA_ERUNTIME, "out of memory");
		} else {
			rc = da_forge_comment(f, pl->task->issue, body, NULL);
		}
	}
	rc = da_pipeline_forge_rc(pl, f, rc);
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

/* Work worth a draft PR: the task branch holds files other than
 * origin/<default>'s. Trees, not commits: a branch whose change is on the
 * default branch already (rebased onto it, or commits that cancel out)
 * has commits and nothing to show. */
static int has_work(struct da_pipeline *pl, bool *any)
{
	struct da_git *g = NULL;
	char base[512];
	bool same = true;
	int rc;

	snprintf(base, sizeof base, "origin/%s", pl->project->default_branch);
	if ((rc = da_git_open(pl->workspace, &g)) == 0)
		rc = da_git_same_tree(g, base, "HEAD", &same);
	*any = rc == 0 && !same;
	da_git_free(g);
	return rc;
}

int da_pipeline_fail_notify(struct da_pipeline *pl, const char *reason)
{
	bool work = false;
	int rc = has_work(pl, &work);

	return rc < 0 ? rc : publish(pl, reason, "", work);
}
