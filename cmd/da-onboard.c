/* da-onboard: put a repository under dev-agents (./onboard runs it).
 * Six re-runnable steps, each reported done / already done / skipped;
 * the work is in lib/onboard.c. The PAT comes from the environment or
 * stdin, never from argv (argv is world-readable in /proc). */
#include "err.h"
#include "forge.h"
#include "log.h"
#include "onboard.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-onboard OWNER/NAME [options]\n"
		"\n"
		"Clone, detect commands, write projects/NAME.yaml, create the labels,\n"
		"push the dispatch workflow and set the DEV_AGENTS_PAT secret.\n"
		"\n"
		"  --forge github|gitea|local   (default github; local writes the config only)\n"
		"  --runner LABEL        self-hosted runner label (default: the config's, else dev-agents)\n"
		"  --dev-agents-repo R   where dispatches go (default $DA_DEV_AGENTS_REPO)\n"
		"  --remote URL          clone from here (default from the forge and repo)\n"
		"  --api-url URL         forge API root (github: DA_GITHUB_API wins)\n"
		"  --name NAME           project name (default: NAME of OWNER/NAME)\n"
		"  --template FILE       dispatch workflow template (default $DA_HOME/gha/dispatch.yml)\n"
		"  --pat-stdin           read the PAT from stdin (else $DEV_AGENTS_PAT)\n"
		"  --dry-run             print the plan, change nothing\n"
		"  --force               replace an edited config, set the secret again\n"
		"  --help, --version\n"
		"\n"
		"Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

/* One line from stdin, without its newline; NULL when empty. */
static char *read_pat_stdin(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		return NULL;
	}
	return line;
}

int main(int argc, char **argv)
{
	enum { O_FORGE = 256, O_RUNNER, O_DAREPO, O_REMOTE, O_API, O_NAME, O_TPL, O_STDIN, O_DRY, O_FORCE };
	static const struct option opts[] = {
		{ "forge", required_argument, NULL, O_FORGE },
		{ "runner", required_argument, NULL, O_RUNNER },
		{ "dev-agents-repo", required_argument, NULL, O_DAREPO },
		{ "remote", required_argument, NULL, O_REMOTE },
		{ "api-url", required_argument, NULL, O_API },
		{ "name", required_argument, NULL, O_NAME },
		{ "template", required_argument, NULL, O_TPL },
		{ "pat-stdin", no_argument, NULL, O_STDIN },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "force", no_argument, NULL, O_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct da_onboard_opts o = { .forge = DA_FORGE_GITHUB };
	bool pat_stdin = false;
	char *pat = NULL;
	int c, rc;

	da_log_init(argv[0]);
	o.dev_agents_repo = getenv("DA_DEV_AGENTS_REPO");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_FORGE:
			if (da_forge_kind_parse(optarg, &o.forge) < 0)
				return da_err_report(DA_EUSAGE);
			break;
		case O_RUNNER: o.runner = optarg; break;
		case O_DAREPO: o.dev_agents_repo = optarg; break;
		case O_REMOTE: o.remote = optarg; break;
		case O_API: o.api_url = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_TPL: o.template_path = optarg; break;
		case O_STDIN: pat_stdin = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_FORCE: o.force = true; break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return da_print_version();
		default:
			return da_bad_option(argv);
		}
	}
	if (optind >= argc)
		return da_usage_error("which repository? (da-onboard OWNER/NAME)");
	o.repo = argv[optind++];
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (pat_stdin) {
		if (!(pat = read_pat_stdin()))
			return da_usage_error("--pat-stdin: nothing on stdin");
	} else if (getenv("DEV_AGENTS_PAT") && *getenv("DEV_AGENTS_PAT")) {
		pat = strdup(getenv("DEV_AGENTS_PAT"));
	}
	o.pat = pat;
	rc = da_onboard_run(&o, stdout);
	if (pat) {
		sodium_memzero(pat, strlen(pat));
		free(pat);
	}
	return da_err_report(rc);
}
