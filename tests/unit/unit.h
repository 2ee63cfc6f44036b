/* Shared helpers for the cmocka unit tests. */
#ifndef DA_TEST_UNIT_H
#define DA_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh temp dir; DA_QUEUE and DA_HOME point into it. Caller frees. */
static inline char *unit_tmpdir(void)
{
	char tmpl[] = "/tmp/da-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char buf[512];

	if (!dir) {
		perror("mkdtemp");
		abort();
	}
	snprintf(buf, sizeof buf, "%s/queue", dir);
	setenv("DA_QUEUE", buf, 1);
	snprintf(buf, sizeof buf, "%s/home", dir);
	setenv("DA_HOME", buf, 1);
	char *copy = strdup(dir);

	if (!copy)
		abort();
	return copy;
}

static inline void unit_rmtree(char *dir)
{
	char cmd[600];

	if (!dir)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(dir);
}

#endif
