/* gate_evidence: did a test command really run tests?
 *
 * Each recogniser looks for its tool's own summary lines, as the tools
 * print them (pytest 7-8, jest 29, vitest 1-3, go 1.20+, cargo, mocha,
 * node --test, unittest). A recognised tool must show a positive count;
 * a recognised zero is "all green, nothing ran". The plain "N passed"
 * form is consulted only when no specific tool was recognised. */
#include "gate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verdict {
	int evidence;
	char why[160];
};

/* Copy without ANSI colour sequences; '\r' becomes '\n' (progress bars). */
static char *strip_ansi(const char *in)
{
	size_t n = strlen(in);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = in; *p; p++) {
		if (*p == '\033' && p[1] == '[') {
			p += 2;
			while (*p && !(*p >= '@' && *p <= '~'))
				p++;
			if (!*p)
				break;
			continue;
		}
		*o++ = *p == '\r' ? '\n' : *p;
	}
	*o = '\0';
	return out;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The number written just before word at line[at] ("12 passed"), or -1. */
static long number_before(const char *line, const char *at)
{
	const char *p = at;

	while (p > line && p[-1] == ' ')
		p--;
	const char *end = p;

	while (p > line && isdigit((unsigned char)p[-1]))
		p--;
	if (p == end || (p > line && isalnum((unsigned char)p[-1])))
		return -1;
	return strtol(p, NULL, 10);
}

/* Sum of "<N> <word>" in one line; *seen counts occurrences. */
static long count_in_line(const char *line, const char *word, int *seen)
{
	size_t wl = strlen(word);
	long sum = 0;

	for (const char *p = strstr(line, word); p; p = strstr(p + wl, word)) {
		long n;

		if (isalnum((unsigned char)p[wl]) || (p > line && isalpha((unsigned char)p[-1])))
			continue;
		if ((n = number_before(line, p)) < 0)
			continue;
		sum += n;
		(*seen)++;
	}
	return sum;
}

/* A number after a prefix at the start of a trimmed line ("running 3 tests"). */
static long number_after(const char *s, const char *prefix)
{
	s = skip_space(s + strlen(prefix));
	return isdigit((unsigned char)*s) ? strtol(s, NULL, 10) : -1;
}

typedef void (*line_fn)(const char *line, void *ctx);

static void each_line(char *text, line_fn fn, void *ctx)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fn(line, ctx);
}

struct counts {
	/* pytest */
	bool py_sig, py_none;
	long py_passed;
	/* jest */
	bool jest_sig, jest_none;
	long jest_passed;
	/* vitest */
	bool vi_sig, vi_none;
	long vi_passed;
	/* go */
	int go_ok_run, go_ok_none, go_nofiles, go_fail, go_warn, go_vpass;
	/* cargo */
	int cargo_bins;
	long cargo_tests;
	/* mocha, node, unittest */
	int mocha_seen, node_seen, unittest_seen;
	long mocha_passing, node_tests, unittest_ran;
	/* plain "N passed" */
	int plain_seen;
	long plain_passed;
};

static void scan_pytest(const char *line, const char *t, struct counts *c)
{
	int seen = 0;

	if (strstr(line, "test session starts") || starts(t, "collected ") || strstr(line, "no tests ran"))
		c->py_sig = true;
	if (strstr(line, "no tests ran") || strstr(line, "collected 0 items"))
		c->py_none = true;
	/* the summary: "==== 3 passed, 1 skipped in 0.12s ====" */
	if (t[0] == '=' && strstr(line, " in ")) {
		c->py_passed += count_in_line(line, "passed", &seen);
		if (seen || strstr(line, " skipped") || strstr(line, " deselected"))
			c->py_sig = true;
	}
}

static void scan_jest_vitest(const char *t, struct counts *c)
{
	int seen = 0;

	if (starts(t, "Tests:")) {	/* jest: "Tests:       2 passed, 2 total" */
		c->jest_sig = true;
		c->jest_passed += count_in_line(t, "passed", &seen);
		if (strstr(t, " 0 total"))
			c->jest_none = true;
	}
	if (starts(t, "No tests found")) {
		c->jest_sig = c->jest_none = true;
	}
	if (starts(t, "Test Files ")) /* vitest: "Test Files  1 passed (1)" */
		c->vi_sig = true;
	if (starts(t, "Tests ") && strchr(t, '(')) { /* vitest: "Tests  3 passed (3)" */
		c->vi_sig = true;
		c->vi_passed += count_in_line(t, "passed", &seen);
	}
	if (starts(t, "No test files found") || starts(t, "No test suite found"))
		c->vi_sig = c->vi_none = true;
}

static void scan_go(const char *line, const char *t, struct counts *c)
{
	if (starts(line, "ok  \t") || starts(line, "ok  ")) {
		if (strstr(line, "[no tests to run]"))
			c->go_ok_none++;
		else
			c->go_ok_run++;
	} else if (starts(line, "?   ") && strstr(line, "[no test files]")) {
		c->go_nofiles++;
	} else if (starts(line, "FAIL\t")) {
		c->go_fail++;
	} else if (starts(t, "--- PASS: ")) {
		c->go_vpass++;
	}
	if (strstr(line, "testing: warning: no tests to run"))
		c->go_warn++;
}

static void scan_line(const char *line, void *ctx)
{
	struct counts *c = ctx;
	const char *t = skip_space(line);
	int seen = 0;
	long n;

	scan_pytest(line, t, c);
	scan_jest_vitest(t, c);
	scan_go(line, t, c);
	if (starts(t, "running ") && (n = number_after(t, "running")) >= 0 && strstr(t, " test")) {
		c->cargo_bins++;
		c->cargo_tests += n;
	}
	c->mocha_passing += count_in_line(t, "passing", &c->mocha_seen);
	if ((starts(t, "# tests ") && (n = number_after(t, "# tests")) >= 0) ||
	    (starts(t, "\xe2\x84\xb9 tests ") && (n = number_after(t, "\xe2\x84\xb9 tests")) >= 0)) {
		c->node_seen++;
		c->node_tests += n;
	}
	if (starts(t, "Ran ") && (n = number_after(t, "Ran")) >= 0 && strstr(t, " test")) {
		c->unittest_seen++;
		c->unittest_ran += n;
	}
	c->plain_passed += count_in_line(t, "passed", &seen);
	c->plain_seen += seen;
}

static void set(struct verdict *v, int evidence, const char *fmt, long n)
{
	/* a zero verdict wins over a positive one: part of the suite ran nothing */
	if (v->evidence == DA_TESTS_NONE || (v->evidence == DA_TESTS_RAN && evidence != DA_TESTS_NONE))
		return;
	v->evidence = evidence;
	snprintf(v->why, sizeof v->why, fmt, n);
}

static void judge_js_py(const struct counts *c, int exit_code, struct verdict *v)
{
	if (c->py_sig) {
		if (c->py_none || exit_code == 5)
			set(v, DA_TESTS_NONE, "pytest: no tests ran%.0ld", 0);
		else if (c->py_passed > 0)
			set(v, DA_TESTS_RAN, "pytest: %ld passed", c->py_passed);
		else if (exit_code == 0)
			set(v, DA_TESTS_NONE, "pytest: %ld passed", 0);
	}
	if (c->jest_sig) {
		if (c->jest_none)
			set(v, DA_TESTS_NONE, "jest: no tests found%.0ld", 0);
		else if (c->jest_passed > 0)
			set(v, DA_TESTS_RAN, "jest: %ld passed", c->jest_passed);
		else if (exit_code == 0)
			set(v, DA_TESTS_NONE, "jest: %ld passed", 0);
	}
	if (c->vi_sig) {
		if (c->vi_none)
			set(v, DA_TESTS_NONE, "vitest: no test files found%.0ld", 0);
		else if (c->vi_passed > 0)
			set(v, DA_TESTS_RAN, "vitest: %ld passed", c->vi_passed);
		else if (exit_code == 0)
			set(v, DA_TESTS_NONE, "vitest: %ld passed", 0);
	}
}

static void judge_others(const struct counts *c, struct verdict *v)
{
	int go_seen = c->go_ok_run + c->go_ok_none + c->go_nofiles + c->go_fail + c->go_warn + c->go_vpass;
	/* before go 1.22 a package without matching tests printed the
	 * warning and a plain "ok" line; newer ones mark the ok line */
	int unmarked_warnings = c->go_warn > c->go_ok_none ? c->go_warn - c->go_ok_none : 0;
	long go_ran = c->go_ok_run - unmarked_warnings;

	if (go_seen) {
		if (go_ran > 0 || c->go_fail > 0 || c->go_vpass > 0)
			set(v, DA_TESTS_RAN, "go test: %ld packages with tests", go_ran > 0 ? go_ran : 1);
		else
			set(v, DA_TESTS_NONE, "go test: no test files or no tests to run in any package%.0ld", 0);
	}
	if (c->cargo_bins) {
		if (c->cargo_tests > 0)
			set(v, DA_TESTS_RAN, "cargo test: %ld tests", c->cargo_tests);
		else
			set(v, DA_TESTS_NONE, "cargo test: running 0 tests in every test binary%.0ld", 0);
	}
	if (c->mocha_seen)
		set(v, c->mocha_passing > 0 ? DA_TESTS_RAN : DA_TESTS_NONE, "mocha: %ld passing", c->mocha_passing);
	if (c->node_seen)
		set(v, c->node_tests > 0 ? DA_TESTS_RAN : DA_TESTS_NONE, "node --test: %ld tests", c->node_tests);
	if (c->unittest_seen)
		set(v, c->unittest_ran > 0 ? DA_TESTS_RAN : DA_TESTS_NONE, "unittest: ran %ld tests", c->unittest_ran);
}

int da_test_evidence(const char *output, int exit_code, char *why, size_t why_size)
{
	struct verdict v = { DA_TESTS_UNKNOWN, "" };
	struct counts c;
	char *text = strip_ansi(output ? output : "");

	memset(&c, 0, sizeof c);
	if (text)
		each_line(text, scan_line, &c);
	free(text);
	judge_js_py(&c, exit_code, &v);
	judge_others(&c, &v);
	if (v.evidence == DA_TESTS_UNKNOWN && c.plain_seen)
		set(&v, c.plain_passed > 0 ? DA_TESTS_RAN : DA_TESTS_NONE, "%ld passed", c.plain_passed);
	if (v.evidence == DA_TESTS_UNKNOWN)
		snprintf(v.why, sizeof v.why, "no test summary recognised");
	if (why && why_size)
		snprintf(why, why_size, "%s", v.why);
	return v.evidence;
}

const char *da_test_evidence_name(int evidence)
{
	return evidence == DA_TESTS_RAN ? "ran" : evidence == DA_TESTS_NONE ? "none" : "unknown";
}
