/* gate: the project's verification commands, run by dev-agents itself.
 *
 * No LLM decides whether a change is verified: the commands come from
 * projects/<p>.yaml in $DA_HOME (never from the workspace, which the
 * agent can edit), run with `sh -c` in the workspace under an
 * allow-listed environment (no secrets) and a timeout, each gate's
 * output captured to <out_dir>/<prefix><gate>.log.
 *
 * "All green, nothing ran" is a known false success: the test gate's
 * output is read by recognisers for pytest, jest, vitest, go test, cargo
 * test, mocha, node's test runner and the plain "N passed" form. When a
 * format is recognised the output must show that tests ran (a positive
 * count); zero tests is a failed gate even with exit status 0. A test
 * gate is required: without one no run can show that tests ran. */
#ifndef DA_GATE_H
#define DA_GATE_H

#include "project.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum da_test_evidence {
	DA_TESTS_UNKNOWN = 0,	/* no format recognised: the exit status decides */
	DA_TESTS_RAN,		/* a recognised format with a positive count */
	DA_TESTS_NONE,		/* a recognised format that ran zero tests */
};

/* Read a test command's output. `why` gets a short explanation
 * ("pytest: 12 passed", "go test: no test files in any package"). */
int da_test_evidence(const char *output, int exit_code, char *why, size_t why_size);
const char *da_test_evidence_name(int evidence);	/* "unknown", "ran", "none" */

struct da_gate_result {
	int kind;		/* enum da_cmd_kind */
	bool configured;
	bool ran;		/* the command was started */
	bool passed;
	int evidence;		/* enum da_test_evidence (test gate only) */
	int exit_code;		/* -1 when killed or not run */
	int64_t duration_ms;
	char *command;		/* owned */
	char *log_path;		/* the captured output; owned; NULL when not run */
	char *reason;		/* one line; owned: "exit 0", "exit 0 but no tests ran (...)" */
	char *tail;		/* last output lines; owned */
};

struct da_gate_report {
	struct da_gate_result gates[DA_CMD_N];
	bool passed;		/* every configured gate passed and tests ran */
	char *reason;		/* owned; NULL when passed, else the first failure */
};

struct da_gate_opts {
	const char *cwd;	/* the workspace */
	const char *out_dir;	/* created if missing */
	const char *prefix;	/* log name prefix, e.g. "03-verify-" (NULL: "") */
	int64_t timeout_ms;	/* 0: the project's gate_timeout_seconds */
	bool stop_early;	/* skip the remaining gates after one failed (default: run all) */
};

/* Run the configured gates in order test, typecheck, build, lint.
 * Returns 0 when the gates could be run (look at rep->passed), DA_EUSAGE
 * for a missing workspace, DA_ERUNTIME when a log cannot be written. */
int da_gate_run(const struct da_project *p, const struct da_gate_opts *o, struct da_gate_report *rep);
void da_gate_report_free(struct da_gate_report *rep);

/* The failing gates' output for a fix prompt: per failed gate its name,
 * reason and the last `max_lines` lines. Caller frees. */
char *da_gate_failure_text(const struct da_gate_report *rep, int max_lines);

#endif
