/* da-gate: run a project's verification gates in a directory, by hand
 * or from a script; the same code da-run's gate stages use. Exit 0 only
 * when every configured gate passed and the tests really ran. */
#include "err.h"
#include "fsutil.h"
#include "gate.h"
#include "log.h"
#include "paths.h"
#include "project.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-gate [--project P] [--cwd DIR] [--out DIR] [--json]\n"
		"\n"
		"Run the project's gates (test, typecheck, build, lint: those set under\n"
		"commands: in $DA_HOME/projects/P.yaml) in DIR, no LLM involved.\n"
		"A test gate whose output shows that zero tests ran fails.\n"
		"\n"
		"  --project P  the project (default: the only one in $DA_HOME/projects)\n"
		"  --cwd DIR    the workspace to verify (default: .)\n"
		"  --out DIR    where each gate's output goes (default: a new temp dir)\n"
		"  --json       the results as JSON on stdout\n"
		"  --help, --version\n"
		"\n"
		"Exit: 0 all gates passed and tests ran, 1 a gate failed or could not\n"
		"run, 2 usage or a bad project file.\n");
}

/* The single project file in $DA_HOME/projects, or a usage error. */
static int only_project(char *name, size_t size)
{
	char dir[DA_PATH_MAX];
	DIR *d;
	struct dirent *e;
	int found = 0;

	if (da_pathf(dir, sizeof dir, "%s/projects", da_home()) < 0)
		return DA_ERUNTIME;
	if (!(d = opendir(dir)))
		return da_errf(DA_EUSAGE, "no projects in %s; give --project", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		if (found++ == 0)
			snprintf(name, size, "%.*s", (int)(len - 5), e->d_name);
	}
	closedir(d);
	if (found != 1)
		return da_errf(DA_EUSAGE, "%s projects in %s; give --project", found ? "several" : "no", dir);
	return 0;
}

static void print_text(const struct da_gate_report *rep, const char *out_dir)
{
	for (int k = 0; k < DA_CMD_N; k++) {
		const struct da_gate_result *g = &rep->gates[k];

		if (!g->configured)
			continue;
		if (!g->ran)
			printf("%-10s skipped\n", da_cmd_name(k));
		else
			printf("%-10s %s  %.1f s  %s\n", da_cmd_name(k), g->passed ? "PASS" : "FAIL",
			       (double)g->duration_ms / 1000.0, g->reason ? g->reason : "");
	}
	printf("%s  (output in %s)\n", rep->passed ? "gates passed" : rep->reason, out_dir);
}

static void print_json(const struct da_gate_report *rep, const char *project, const char *out_dir)
{
	json_t *gates = json_array();
	json_t *root = json_pack("{s:b, s:s, s:s, s:s?}", "passed", rep->passed, "project", project,
				 "out_dir", out_dir, "reason", rep->reason);

	for (int k = 0; k < DA_CMD_N; k++) {
		const struct da_gate_result *g = &rep->gates[k];

		if (!g->configured)
			continue;
		json_array_append_new(gates, json_pack("{s:s, s:s, s:b, s:b, s:i, s:I, s:s, s:s?, s:s?}",
			"name", da_cmd_name(k), "command", g->command, "ran", g->ran, "passed", g->passed,
			"exit_code", g->exit_code, "duration_ms", (json_int_t)g->duration_ms,
			"tests", k == DA_CMD_TEST ? da_test_evidence_name(g->evidence) : "n/a",
			"reason", g->reason, "log", g->log_path));
	}
	json_object_set_new(root, "gates", gates);
	json_dumpf(root, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(root);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "project", required_argument, NULL, 'p' }, { "cwd", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },     { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *project = NULL, *cwd = ".", *out = NULL;
	char name[128], tmpl[DA_PATH_MAX];
	struct da_project *p = NULL;
	struct da_gate_report rep = { 0 };
	bool json = false;
	int c, rc;

	da_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': project = optarg; break;
		case 'C': cwd = optarg; break;
		case 'o': out = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': return da_print_version();
		default: return da_bad_option(argv);
		}
	}
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!project) {
		if ((rc = only_project(name, sizeof name)) < 0)
			return da_err_report(rc);
		project = name;
	}
	if ((rc = da_project_load(project, &p)) < 0)
		return da_err_report(rc);
	if (!out) {
		const char *tmp = getenv("TMPDIR");

		snprintf(tmpl, sizeof tmpl, "%s/da-gate-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!(out = mkdtemp(tmpl))) {
			da_project_free(p);
			return da_err_report(da_errf(DA_ERUNTIME, "mkdtemp %s: failed", tmpl));
		}
	}
	rc = da_gate_run(p, &(struct da_gate_opts){ .cwd = cwd, .out_dir = out }, &rep);
	if (rc == 0) {
		if (json)
			print_json(&rep, project, out);
		else
			print_text(&rep, out);
		if (!rep.passed)
			rc = 1; /* a failed gate, already told on stdout */
	}
	da_gate_report_free(&rep);
	da_project_free(p);
	return rc == 1 ? DA_EXIT_RUNTIME : da_err_report(rc);
}
