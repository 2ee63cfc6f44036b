/* Unit tests for the zero-test recognisers and the project file. The
 * outputs are what each tool really prints (colour removed or kept). */
#include "unit.h"

#include "err.h"
#include "fsutil.h"
#include "gate.h"
#include "paths.h"
#include "project.h"

static int ev(const char *out, int code)
{
	char why[200];

	return da_test_evidence(out, code, why, sizeof why);
}

static void pytest_counts(void **state)
{
	(void)state;
	assert_int_equal(ev("============================= test session starts ==============================\n"
			    "platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0\n"
			    "rootdir: /w\ncollected 3 items\n\ntest_a.py ...                                 [100%]\n\n"
			    "============================== 3 passed in 0.01s ===============================\n", 0),
			 DA_TESTS_RAN);
	assert_int_equal(ev("============================= test session starts ==============================\n"
			    "platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0\nrootdir: /w\n"
			    "collected 0 items\n\n============================ no tests ran in 0.00s =============================\n", 5),
			 DA_TESTS_NONE);
	assert_int_equal(ev("collected 2 items / 2 deselected\n\n"
			    "============================ 2 deselected in 0.01s ============================\n", 0),
			 DA_TESTS_NONE);
	assert_int_equal(ev("\033[1m=== \033[32m4 passed\033[0m, 1 skipped in 0.02s ===\033[0m\n", 0), DA_TESTS_RAN);
}

static void jest_and_vitest_counts(void **state)
{
	(void)state;
	assert_int_equal(ev("PASS src/sum.test.js\n  \xe2\x9c\x93 adds (2 ms)\n\n"
			    "Test Suites: 1 passed, 1 total\nTests:       1 passed, 1 total\nSnapshots:   0 total\n"
			    "Time:        0.4 s\nRan all test suites.\n", 0), DA_TESTS_RAN);
	assert_int_equal(ev("No tests found, exiting with code 0\nIn /w\n  3 files checked.\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev("Test Suites: 0 total\nTests:       0 total\nSnapshots:   0 total\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev(" \xe2\x9c\x93 src/a.test.ts (3 tests) 2ms\n\n Test Files  1 passed (1)\n"
			    "      Tests  3 passed (3)\n   Start at  10:00:00\n   Duration  300ms\n", 0), DA_TESTS_RAN);
	assert_int_equal(ev("\nfilter:  \ninclude:  **/*.{test,spec}.?(c|m)[jt]s?(x)\n"
			    "No test files found, exiting with code 0\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev(" Test Files  1 skipped (1)\n      Tests  2 skipped (2)\n", 0), DA_TESTS_NONE);
}

static void go_test_counts(void **state)
{
	(void)state;
	assert_int_equal(ev("?   \texample.com/m/cmd\t[no test files]\nok  \texample.com/m/lib\t0.003s\n", 0),
			 DA_TESTS_RAN);
	assert_int_equal(ev("?   \texample.com/m\t[no test files]\n?   \texample.com/m/lib\t[no test files]\n", 0),
			 DA_TESTS_NONE);
	assert_int_equal(ev("testing: warning: no tests to run\nPASS\nok  \texample.com/m\t0.002s [no tests to run]\n", 0),
			 DA_TESTS_NONE);
	/* before go 1.22: the warning and a plain ok line */
	assert_int_equal(ev("testing: warning: no tests to run\nPASS\nok  \texample.com/m\t0.002s\n", 0), DA_TESTS_NONE);
}

static void cargo_counts(void **state)
{
	(void)state;
	assert_int_equal(ev("   Compiling m v0.1.0 (/w)\n    Finished test [unoptimized] target(s) in 0.5s\n"
			    "     Running unittests src/lib.rs (target/debug/deps/m-1)\n\nrunning 2 tests\n"
			    "test tests::a ... ok\ntest tests::b ... ok\n\n"
			    "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n"
			    "   Doc-tests m\n\nrunning 0 tests\n\n"
			    "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n", 0),
			 DA_TESTS_RAN);
	assert_int_equal(ev("     Running unittests src/main.rs (target/debug/deps/m-1)\n\nrunning 0 tests\n\n"
			    "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n", 0),
			 DA_TESTS_NONE);
}

static void plain_and_other_forms(void **state)
{
	(void)state;
	assert_int_equal(ev("0 passed, 0 failed\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev("12 passed, 0 failed\n", 0), DA_TESTS_RAN);
	assert_int_equal(ev("\n  0 passing (1ms)\n\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev("  sum\n    \xe2\x9c\x94 adds\n\n  1 passing (3ms)\n", 0), DA_TESTS_RAN);
	assert_int_equal(ev("TAP version 13\n1..0\n# tests 0\n# suites 0\n# pass 0\n# fail 0\n", 0), DA_TESTS_NONE);
	assert_int_equal(ev("\n----------------------------------------------------------------------\n"
			    "Ran 0 tests in 0.000s\n\nNO TESTS RAN\n", 5), DA_TESTS_NONE);
	assert_int_equal(ev("Ran 4 tests in 0.001s\n\nOK\n", 0), DA_TESTS_RAN);
	assert_int_equal(ev("all good\n", 0), DA_TESTS_UNKNOWN);
	assert_int_equal(ev("", 0), DA_TESTS_UNKNOWN);
}

static void a_zero_part_of_a_suite_is_none(void **state)
{
	(void)state;
	/* `pytest && go test ./...`: python ran, go had nothing */
	assert_int_equal(ev("============ 3 passed in 0.1s ============\n?   \tm\t[no test files]\n", 0), DA_TESTS_NONE);
}

static void write_project(const char *text)
{
	char dir[600];

	snprintf(dir, sizeof dir, "%s/projects", getenv("DA_HOME"));
	assert_int_equal(da_mkdirs(dir), 0);
	assert_int_equal(da_write_atomic(dir, "p.yaml", text, strlen(text), 0, NULL), 0);
}

static void project_defaults_and_overrides(void **state)
{
	char *tmp = unit_tmpdir();
	struct da_project *p;

	(void)state;
	da_paths_reset();
	write_project("repo: o/r\ncommands:\n  test: make check\nworkflows: { feature: f.yaml }\n"
		      "prompts: { implement: i.md }\nmerge: leave-open\nagents: { qa: { model: x } }\n");
	assert_int_equal(da_project_load("p", &p), 0);
	assert_string_equal(p->forge, "github");
	assert_string_equal(p->remote, "https://github.com/o/r.git");
	assert_string_equal(p->default_branch, "main");
	assert_string_equal(p->commands[DA_CMD_TEST], "make check");
	assert_null(p->commands[DA_CMD_LINT]);
	assert_int_equal(p->merge, DA_MERGE_LEAVE_OPEN);
	assert_int_equal(p->fix_attempts, 2);
	assert_int_equal(p->review_rounds, 2);
	assert_int_equal(p->keep_days, 7);
	assert_int_equal(p->gate_timeout_seconds, 1800);
	assert_string_equal(da_project_workflow_override(p, "feature"), "f.yaml");
	assert_null(da_project_workflow_override(p, "bugfix"));
	assert_string_equal(da_project_prompt_override(p, "implement"), "i.md");
	da_project_free(p);
	unit_rmtree(tmp);
}

static void project_errors_name_file_and_line(void **state)
{
	char *tmp = unit_tmpdir();
	struct da_project *p = NULL;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "projects/p.yaml"));
	write_project("repo: o/r\ncommands:\n  tests: pytest\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "p.yaml:3: commands: unknown gate \"tests\""));
	write_project("repo: o/r\nforge: gitlab\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "p.yaml:2: forge"));
	write_project("repo: o/r\nforge: local\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "remote: missing"));
	write_project("repo: o/r\nfix_attempts: -1\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "p.yaml:2: fix_attempts must be"));
	write_project("repo: nope\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	write_project("repo: o/r\nmerge: sometimes\n");
	assert_int_equal(da_project_load("p", &p), DA_EUSAGE);
	assert_null(p);
	unit_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pytest_counts),
		cmocka_unit_test(jest_and_vitest_counts),
		cmocka_unit_test(go_test_counts),
		cmocka_unit_test(cargo_counts),
		cmocka_unit_test(plain_and_other_forms),
		cmocka_unit_test(a_zero_part_of_a_suite_is_none),
		cmocka_unit_test(project_defaults_and_overrides),
		cmocka_unit_test(project_errors_name_file_and_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
