#include "log.h"
#include "err.h"
#include "version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *program_name = "da";

void da_log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	program_name = slash ? slash + 1 : progname;
	/* getopt's own messages would make a second stderr line and lack our
	 * prefix; mains report bad options with da_bad_option() instead. */
	opterr = 0;
}

int da_bad_option(char *const *argv)
{
	/* after a missing value at the end, optind may point past argv's NULL */
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;

	if ((!arg || arg[0] != '-') && optopt > ' ' && optopt < 127)
		return da_usage_error("option -%c: missing its value (see '%s --help')", optopt, program_name);
	return da_usage_error("option \"%s\": unknown or missing its value (see '%s --help')",
			      arg ? arg : "?", program_name);
}

const char *da_progname(void)
{
	return program_name;
}

bool da_use_color(int fd)
{
	const char *no_color = getenv("NO_COLOR");

	if (no_color && no_color[0])
		return false;
	return isatty(fd) == 1;
}

static void vlog(const char *color, const char *label, const char *fmt, va_list ap)
{
	char line[8192];
	bool color_on = da_use_color(STDERR_FILENO);

	vsnprintf(line, sizeof line, fmt, ap);
	if (label && color_on)
		fprintf(stderr, "%s: %s%s\033[0m: %s\n", program_name, color, label, line);
	else if (label)
		fprintf(stderr, "%s: %s: %s\n", program_name, label, line);
	else
		fprintf(stderr, "%s: %s\n", program_name, line);
}

void da_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("\033[31m", NULL, fmt, ap);
	va_end(ap);
}

void da_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("\033[33m", "warning", fmt, ap);
	va_end(ap);
}

void da_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", NULL, fmt, ap);
	va_end(ap);
}

int da_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", NULL, fmt, ap);
	va_end(ap);
	return DA_EXIT_USAGE;
}

int da_print_version(void)
{
	printf("%s (dev-agents) %s\n", program_name, DA_VERSION);
	return 0;
}
