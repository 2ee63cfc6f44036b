/* da-review: the pre-push review of base..HEAD by the reviewer agent,
 * written as review.yaml and REVIEW.md. The same libda call is da-run's
 * review stage. Exit 1 means REQUEST_CHANGES, so failures exit 2. */
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "review.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_MAX (256 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-review [--repo DIR] [--base REV] [--out DIR] [--project P]\n"
		"                 [--context FILE] [--json]\n"
		"\n"
		"Review the commits base..HEAD with the reviewer agent before they are pushed.\n"
		"  --repo DIR     the working clone (default: .)\n"
		"  --base REV     review from merge-base(REV, HEAD) (default: origin's\n"
		"                 default branch, else main or master)\n"
		"  --out DIR      review.yaml, REVIEW.md, prompt and agent run files\n"
		"                 (default: ./.dev-agents/review, ignored by git)\n"
		"  --project P    overlay $DA_HOME/projects/P.yaml on the agent config\n"
		"  --context FILE markdown for the reviewer: what the change is for\n"
		"  --json         the review as one JSON object\n"
		"  --help, --version\n"
		"\n"
		"Exit: 0 APPROVE, 1 REQUEST_CHANGES, 2 error (usage, repository, agent\n"
		"failure, or an answer unusable twice), 75 usage window exhausted (the\n"
		"message says when it reopens).\n");
}

static void print_human(const struct da_review *r)
{
	size_t inl = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		inl += r->findings[i].inline_ok;
	printf("%s: %s\n", da_review_verdict_name(r->verdict), r->summary);
	if (r->downgrade_reason)
		printf("note: %s\n", r->downgrade_reason);
	for (size_t i = 0; i < r->nfindings; i++)
		printf("  %-8s %s:%ld: %s\n", da_review_severity_name(r->findings[i].severity),
		       r->findings[i].file, r->findings[i].line, r->findings[i].message);
	printf("findings: %zu (%zu inline), omitted files: %zu\n", r->nfindings, inl, r->nomitted);
	printf("review: %s\n", r->md_path);
}

struct args {
	const char *context_file;
	bool json;
};

static int parse_args(int argc, char **argv, struct da_review_opts *o, struct args *a)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "base", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ "project", required_argument, NULL, 'p' },
		{ "context", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->repo = optarg; break;
		case 'b': o->base = optarg; break;
		case 'o': o->out_dir = optarg; break;
		case 'p': o->project = optarg; break;
		case 'c': a->context_file = optarg; break;
		case 'j': a->json = true; break;
		case 'h': usage(stdout); return 1;
		case 'V': da_print_version(); return 1;
		default: return da_bad_option(argv);
		}
	}
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (o->project && da_check_project_name(o->project) < 0)
		return da_usage_error("--project: %s", da_errmsg());
	return 0;
}

int main(int argc, char **argv)
{
	struct da_review_opts o = { 0 };
	struct da_review *r = NULL;
	struct args a = { 0 };
	time_t reset_at = 0;
	char *context = NULL;
	size_t len;
	int rc;

	da_log_init(argv[0]);
	/* 1: --help or --version done; DA_EXIT_USAGE: bad arguments */
	if ((rc = parse_args(argc, argv, &o, &a)) != 0)
		return rc == 1 ? 0 : rc;
	if (a.context_file && da_read_file(a.context_file, CONTEXT_MAX, &context, &len) < 0)
		return da_err_report(da_errctx(DA_EUSAGE, "--context"));
	o.context = context;
	o.reset_at = &reset_at;
	rc = da_review_run(&o, &r);
	free(context);
	if (rc == DA_ETEMP && reset_at > 0) {
		/* run by hand, the person needs to know when to try again */
		char at[32], *why = strdup(da_errmsg());

		da_utc_iso(reset_at, at, sizeof at);
		/* the agent's own message may name the time already */
		if (!why || !strstr(why, at))
			da_errf(DA_ETEMP, "%s; try again after %s", why ? why : "usage window exhausted", at);
		free(why);
	}
	if (rc < 0) {
		/* exit 1 is REQUEST_CHANGES: a failure must not look like one */
		da_err_report(rc);
		return rc == DA_ETEMP ? DA_EXIT_TEMPFAIL : DA_EXIT_USAGE;
	}
	if (a.json) {
		char *s = da_review_json(r);

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		print_human(r);
	}
	rc = r->verdict == DA_REVIEW_APPROVE ? 0 : 1;
	da_review_free(r);
	return rc;
}
