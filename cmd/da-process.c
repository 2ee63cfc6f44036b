/* da-process: drain the queue (cron's entry point), or stay up and watch
 * it. The design is queue-layout/processing.md. */
#include "config.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "process.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-process [--once | --watch] [--limit N] [--json]\n"
		"\n"
		"Run queued tasks: per project one at a time in name order (hotfix,\n"
		"bugfix, feature; oldest first), different projects in parallel up to\n"
		"queue.max_parallel. Orphaned active tasks are recovered first.\n"
		"  --once     drain what is ready, then exit (the default)\n"
		"  --watch    stay up and start tasks as they are enqueued\n"
		"  --limit N  start at most N tasks, then exit\n"
		"  --json     one JSON object per event on stdout\n"
		"  --help     this text\n"
		"  --version  the version\n"
		"\n"
		"The runner (DA_RUNNER, config runner:, default da-run) gets the active\n"
		"task file as its argument: exit 0 completed, 75 back to pending, else\n"
		"failed. With $DA_HOME/data/.pause present nothing starts.\n"
		"Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static int parse_limit(const char *text, long *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (!*text || *end || v < 1)
		return da_usage_error("--limit wants a positive number, not \"%s\"", text);
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },	 { "watch", no_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'l' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	 { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct da_proc_opts o = { 0 };
	struct da_config *c = NULL;
	int ch, rc;

	da_log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.watch = false;
			break;
		case 'w':
			o.watch = true;
			break;
		case 'l':
			if (parse_limit(optarg, &o.limit) != 0)
				return DA_EXIT_USAGE;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return da_print_version();
		default:
			return da_bad_option(argv);
		}
	}
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	/* A reader that went away must not kill us between two state moves. */
	signal(SIGPIPE, SIG_IGN);
	if (da_paused() && !o.watch) {
		char path[DA_PATH_MAX];

		if (o.json)
			da_proc_event(&o, DA_EV_PAUSED, NULL, NULL, -1, -1, NULL);
		else if (da_pause_path(path, sizeof path) == 0)
			da_info("paused (%s exists); nothing done", path);
		return 0;
	}
	if ((rc = da_config_load(&c)) < 0)
		return da_err_report(rc);
	rc = da_process(c, &o);
	da_config_free(c);
	if (rc < 0 && !da_errmsg()[0])
		return da_err_exit_code(rc); /* a worker already said why */
	return da_err_report(rc);
}
