/* da-pause: the kill switch. `da-pause` turns it on, `da-pause off` turns
 * it off, `da-pause status` tells. The same switch as touch/rm
 * $DA_HOME/data/.pause; every program checks it. */
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-pause [on|off|status] [--json]\n"
		"\n"
		"Stop or resume all dev-agents work on this machine.\n"
		"  on       create $DA_HOME/data/.pause (the default)\n"
		"  off      remove it\n"
		"  status   print paused or running (exit 0 either way)\n"
		"\n"
		"  --json     status as {\"paused\": bool, \"path\": ...}\n"
		"  --help     this text\n"
		"  --version  the version\n"
		"\n"
		"Running pipelines stop at their next stage boundary and their tasks\n"
		"go back to pending. Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static int pause_on(const char *path)
{
	char dir[DA_PATH_MAX];

	if (da_pathf(dir, sizeof dir, "%s/data", da_home()) < 0 || da_mkdirs(dir) < 0)
		return DA_ERUNTIME;
	return da_write_atomic(dir, ".pause", "", 0, DA_WRITE_REPLACE, NULL);
}

static int pause_off(const char *path)
{
	char dir[DA_PATH_MAX];

	if (unlink(path) < 0 && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "remove %s: %s", path, strerror(errno));
	if (da_pathf(dir, sizeof dir, "%s/data", da_home()) < 0)
		return DA_ERUNTIME;
	return da_path_exists(dir) ? da_fsync_dir(dir) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	const char *verb = "on";
	char path[DA_PATH_MAX];
	int c, rc;

	da_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
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
		verb = argv[optind++];
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (da_pause_path(path, sizeof path) < 0)
		return da_err_report(DA_ERUNTIME);
	if (!strcmp(verb, "on"))
		rc = pause_on(path);
	else if (!strcmp(verb, "off"))
		rc = pause_off(path);
	else if (!strcmp(verb, "status"))
		rc = 0;
	else
		return da_usage_error("unknown verb \"%s\" (on, off or status)", verb);
	if (rc < 0)
		return da_err_report(rc);
	bool paused = da_path_exists(path);

	if (json)
		printf("{\"paused\": %s, \"path\": \"%s\"}\n", paused ? "true" : "false", path);
	else
		printf("%s\n", paused ? "paused" : "running");
	return 0;
}
