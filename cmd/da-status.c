/* da-status: counts per state per project, the active tasks and who owns
 * them, tasks waiting for their not_before, the last failures. Reads only. */
#include "err.h"
#include "log.h"
#include "status.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_FAILURES 5

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-status [--project P] [--failures N] [--json]\n"
		"\n"
		"Show the queue: tasks per state per project, each active task with its\n"
		"age and owner pid, pending tasks waiting for a not_before time, and the\n"
		"last failures (from $DA_HOME/data/failures/<project>.log).\n"
		"  --project P   only this project\n"
		"  --failures N  how many recent failures to show (default 5, 0: none)\n"
		"  --json        the same as one JSON object\n"
		"  --help        this text\n"
		"  --version     the version\n"
		"\n"
		"Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long num(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static void print_age(long sec)
{
	if (sec >= 3600)
		printf("%ldh%02ldm", sec / 3600, sec % 3600 / 60);
	else if (sec >= 60)
		printf("%ldm%02lds", sec / 60, sec % 60);
	else
		printf("%lds", sec < 0 ? 0 : sec);
}

static void print_text(json_t *st)
{
	size_t i;
	json_t *e;

	printf("%s\n", json_is_true(json_object_get(st, "paused")) ? "paused (data/.pause exists)" : "running");
	printf("%-24s %8s %8s %10s %8s\n", "PROJECT", "PENDING", "ACTIVE", "COMPLETED", "FAILED");
	for (i = 0; (e = json_array_get(json_object_get(st, "projects"), i)) != NULL; i++)
		printf("%-24s %8ld %8ld %10ld %8ld\n", str(e, "project"), num(e, "pending"), num(e, "active"),
		       num(e, "completed"), num(e, "failed"));
	if (json_array_size(json_object_get(st, "active")))
		printf("\nactive:\n");
	for (i = 0; (e = json_array_get(json_object_get(st, "active"), i)) != NULL; i++) {
		printf("  %s %s  age ", str(e, "project"), str(e, "task"));
		print_age(num(e, "age_seconds"));
		printf("  owner pid %ld (%s)\n", num(e, "owner_pid"),
		       json_is_true(json_object_get(e, "lock_held")) ? "running" : "gone: recovered by the next da-process");
	}
	if (json_array_size(json_object_get(st, "waiting")))
		printf("\nwaiting:\n");
	for (i = 0; (e = json_array_get(json_object_get(st, "waiting"), i)) != NULL; i++)
		printf("  %s %s  not before %s\n", str(e, "project"), str(e, "task"), str(e, "not_before"));
	if (json_array_size(json_object_get(st, "failures")))
		printf("\nlast failures:\n");
	for (i = 0; (e = json_array_get(json_object_get(st, "failures"), i)) != NULL; i++) {
		const char *err = str(e, "error");
		int len = (int)strcspn(err, "\n");

		printf("  %s %s %s  exit %ld: %.*s\n", str(e, "date"), str(e, "project"), str(e, "task"),
		       num(e, "exit_code"), len, err);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "project", required_argument, NULL, 'p' }, { "failures", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },	     { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	     { NULL, 0, NULL, 0 },
	};
	const char *project = NULL;
	long failures = DEFAULT_FAILURES;
	bool json = false;
	json_t *st = NULL;
	char *end;
	int c, rc;

	da_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			project = optarg;
			break;
		case 'f':
			failures = strtol(optarg, &end, 10);
			if (!*optarg || *end || failures < 0 || failures > 1000)
				return da_usage_error("--failures wants a number from 0 to 1000, not \"%s\"", optarg);
			break;
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
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((rc = da_status_collect(project, (size_t)failures, &st)) < 0)
		return da_err_report(rc);
	if (json) {
		json_dumpf(st, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		print_text(st);
	}
	json_decref(st);
	return 0;
}
