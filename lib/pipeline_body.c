/* pipeline_body: the pull request's body, from the run record: a summary
 * (the issue and the branch's commits), `Closes #N`, an excerpt of the
 * spec, the gate results, the pre-push review and what the agents cost.
 * Every part is capped so the whole stays far below GitHub's 65,536
 * characters; what a cap leaves out is said, never silently dropped. */
#include "pipeline.h"
#include "err.h"
#include "fsutil.h"
#include "git.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_LINES 40
#define SPEC_BYTES (4 * 1024)
#define REVIEW_BYTES (24 * 1024)
#define COMMITS_LISTED 20

char *da_pipeline_run_text(struct da_pipeline *pl, const char *name)
{
	char path[4096 + 300];
	char *text = NULL;
	size_t len;

	snprintf(path, sizeof path, "%s/%s", pl->run_dir, name);
	if (!da_path_exists(path) || da_read_file(path, 1024 * 1024, &text, &len) < 0) {
		da_errclear();
		return strdup("");
	}
	return text;
}

/* The length of text's first `lines` lines, at most `bytes` (cut at a
 * line end when one is near, else between characters). */
static size_t head_len(const char *text, int lines, size_t bytes, bool *cut)
{
	size_t n = 0, last_nl = 0;
	int seen = 0;

	for (; n < bytes && seen < lines && text[n]; n++)
		if (text[n] == '\n') {
			seen++;
			last_nl = n + 1;
		}
	*cut = text[n] != '\0';
	if (*cut && last_nl && n - last_nl < 1024)
		return last_nl;	/* a line end close to the cap */
	while (*cut && n && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--; /* one long line: never split a UTF-8 sequence */
	return n;
}

static void summary_part(struct da_pipeline *pl, FILE *f)
{
	struct da_git *g = NULL;
	struct da_git_commit_info *commits = NULL;
	size_t n = 0;
	char base[512];

	fprintf(f, "dev-agents' change for #%ld: %s (task %s, branch `%s`).\n", pl->task->issue, pl->task->title,
		pl->task_name, pl->branch ? pl->branch : "");
	snprintf(base, sizeof base, "origin/%s", pl->project->default_branch);
	if (pl->workspace && da_git_open(pl->workspace, &g) == 0 && da_git_log(g, base, "HEAD", &commits, &n) == 0 &&
	    n) {
		fputs("\nCommits:\n", f);
		for (size_t i = 0; i < n && i < COMMITS_LISTED; i++)
			fprintf(f, "- %.12s %s\n", commits[i].oid, commits[i].subject ? commits[i].subject : "");
		if (n > COMMITS_LISTED)
			fprintf(f, "- … and %zu more\n", n - COMMITS_LISTED);
	}
	da_errclear(); /* the summary is a report: a repository we cannot read leaves it short */
	da_git_log_free(commits, n);
	da_git_free(g);
}

static void spec_part(struct da_pipeline *pl, FILE *f)
{
	char *spec = da_pipeline_run_text(pl, "SPEC.md"), path[4096 + 16];
	size_t len;
	bool cut;

	/* the run record keeps the design stage's copy; else the workspace's */
	if (spec && !spec[0] && pl->workspace) {
		free(spec);
		spec = NULL;
		snprintf(path, sizeof path, "%s/SPEC.md", pl->workspace);
		if (!da_path_exists(path) || da_read_file(path, 1024 * 1024, &spec, &len) < 0) {
			da_errclear();
			spec = NULL;
		}
	}
	if (spec && spec[0]) {
		size_t n = head_len(spec, SPEC_LINES, SPEC_BYTES, &cut);

		fprintf(f, "\n### Spec (excerpt)\n\n%.*s%s", (int)n, spec, n && spec[n - 1] == '\n' ? "" : "\n");
		if (cut)
			fprintf(f, "\n… (first %d lines or %d KiB; the whole spec is SPEC.md in the run record)\n",
				SPEC_LINES, SPEC_BYTES / 1024);
	}
	free(spec);
}

/* One table row per gate of each gate stage's last run (gates-<stage>.tsv). */
static void gates_part(struct da_pipeline *pl, FILE *f)
{
	bool any = false;

	for (size_t i = 0; i < pl->wf->n_stages; i++) {
		const struct da_stage *st = &pl->wf->stages[i];
		char name[300], *save = NULL;

		if (st->kind != DA_STAGE_GATE)
			continue;
		snprintf(name, sizeof name, "gates-%s.tsv", st->name);
		char *tsv = da_pipeline_run_text(pl, name);

		for (char *line = tsv ? strtok_r(tsv, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			char *result = strchr(line, '\t'), *ms = result ? strchr(result + 1, '\t') : NULL;
			char *attempt = ms ? strchr(ms + 1, '\t') : NULL;
			char *reason = attempt ? strchr(attempt + 1, '\t') : NULL;

			if (!reason)
				continue;
			*result++ = *ms++ = *attempt++ = *reason++ = '\0';
			long nth = strtol(attempt, NULL, 10);
			if (!any)
				fputs("\n### Gates\n\n| stage | gate | result | time | detail |\n|---|---|---|---|---|\n", f);
			any = true;
			fprintf(f, "| %s | %s | %s | %.1f s | ", st->name, line,
				!strcmp(result, "passed") ? "✅ passed" : "❌ failed", strtod(ms, NULL) / 1000.0);
			if (nth > 1)
				fprintf(f, "run %ld, after %ld fix round(s): ", nth, nth - 1);
			/* a '|' in the detail would end the cell */
			for (size_t k = 0; k < 200 && reason[k]; k++) {
				if (reason[k] == '|')
					fputc('\\', f);
				fputc(reason[k], f);
			}
			fputs(" |\n", f);
		}
		free(tsv);
	}
}

static void review_part(struct da_pipeline *pl, FILE *f)
{
	char *md = da_pipeline_run_text(pl, "REVIEW.md");
	size_t n;

	if (md && md[0]) {
		bool cut;

		n = head_len(md, 1 << 30, REVIEW_BYTES, &cut);
		fprintf(f, "\n### Pre-push review\n\n%.*s\n", (int)n, md);
		if (cut)
			fputs("\n… (the review is longer; the whole of it is REVIEW.md in the run record)\n", f);
	}
	free(md);
}

static void cost_part(struct da_pipeline *pl, FILE *f)
{
	struct da_stage_summary tot;

	if (!pl->summary)
		return;
	da_run_summary_totals(pl->summary, &tot);
	fprintf(f, "\n### Cost\n\n%ld turns, $%.2f, %ld tokens in, %ld out, %ld cached; %ld runs, %.0f s in stages.\n",
		tot.turns, tot.cost_usd, tot.tokens_in, tot.tokens_out, tot.tokens_cache, tot.runs,
		(double)tot.duration_ms / 1000.0);
}

char *da_pipeline_pr_body(struct da_pipeline *pl)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	summary_part(pl, f);
	fprintf(f, "\nCloses #%ld\n", pl->task->issue);
	spec_part(pl, f);
	gates_part(pl, f);
	review_part(pl, f);
	cost_part(pl, f);
	fprintf(f, "\n<!-- dev-agents:task %s -->\n", pl->task_name);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	/* the parts are capped; this is the last guard under GitHub's 65,536 */
	if (out && len > DA_PR_BODY_MAX) {
		static const char note[] = "\n\n… (cut to fit the forge's limit)\n";
		size_t keep = DA_PR_BODY_MAX - sizeof note;

		while (keep && ((unsigned char)out[keep] & 0xC0) == 0x80)
			keep--; /* never split a UTF-8 sequence */
		memcpy(out + keep, note, sizeof note);
	}
	return out;
}
