#!/usr/bin/env bats
# da-gate against tiny fake test tools that print each real tool's
# summary and exit with its real status.
load helpers

setup() {
	da_setup
	WS="$BATS_TEST_TMPDIR/ws"
	mkdir -p "$WS" "$DA_HOME/projects" "$BATS_TEST_TMPDIR/tools"
}

# fake_tool NAME EXIT <<< output
fake_tool() {
	local f="$BATS_TEST_TMPDIR/tools/$1"
	cat > "$f.out"
	printf '#!/bin/sh\ncat "%s"\nexit %s\n' "$f.out" "$2" > "$f"
	chmod +x "$f"
}

project() { # $1 = test command, $2 = lint command (optional)
	{
		printf 'repo: me/demo\nforge: local\nremote: /nowhere.git\ncommands:\n  test: %s\n' "$1"
		[ -z "${2:-}" ] || printf '  lint: %s\n' "$2"
	} > "$DA_HOME/projects/demo.yaml"
}

@test "da-gate passes when the tests ran and every gate is green" {
	fake_tool pytest 0 <<'OUT'
============================= test session starts ==============================
collected 3 items

test_a.py ...                                                            [100%]

============================== 3 passed in 0.01s ===============================
OUT
	project "$BATS_TEST_TMPDIR/tools/pytest" "true"
	run da-gate --cwd "$WS" --out "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"test       PASS"*"pytest: 3 passed"* ]]
	grep -q "3 passed" "$BATS_TEST_TMPDIR/out/test.log"
	[ -f "$BATS_TEST_TMPDIR/out/lint.log" ]
}

@test "da-gate fails pytest exit 5: no tests ran" {
	fake_tool pytest 5 <<'OUT'
collected 0 items

============================ no tests ran in 0.00s =============================
OUT
	project "$BATS_TEST_TMPDIR/tools/pytest"
	run da-gate --cwd "$WS"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL"* ]]
}

@test "da-gate fails an all-green run where nothing ran (jest --passWithNoTests, go, cargo)" {
	fake_tool jest 0 <<'OUT'
No tests found, exiting with code 0
OUT
	project "$BATS_TEST_TMPDIR/tools/jest"
	run da-gate --cwd "$WS" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.gates[0].tests' <<<"$output")" = none ]
	[[ "$(jq -r '.gates[0].reason' <<<"$output")" == "exit 0 but no tests ran"* ]]
	printf '?   \texample.com/m\t[no test files]\n' | fake_tool go 0
	project "$BATS_TEST_TMPDIR/tools/go"
	run da-gate --cwd "$WS"
	[ "$status" -eq 1 ]
	printf 'running 0 tests\n\ntest result: ok. 0 passed; 0 failed\n' | fake_tool cargo 0
	project "$BATS_TEST_TMPDIR/tools/cargo"
	run da-gate --cwd "$WS"
	[ "$status" -eq 1 ]
}

@test "da-gate fails a failing lint gate and still runs the others" {
	printf 'Tests:       2 passed, 2 total\n' | fake_tool jest 0
	printf 'x.js:1:1 error no-undef\n' | fake_tool eslint 1
	project "$BATS_TEST_TMPDIR/tools/jest" "$BATS_TEST_TMPDIR/tools/eslint"
	run da-gate --cwd "$WS" --json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.gates[0].passed' <<<"$output")" = true ]
	[ "$(jq -r '.gates[1].passed' <<<"$output")" = false ]
	[ "$(jq -r '.reason' <<<"$output")" = "gate lint failed: exit 1" ]
}

@test "da-gate runs commands from the project config, not the workspace, without secrets" {
	printf '#!/bin/sh\necho "1 passed"; echo "token=${DA_GITHUB_TOKEN:-none} gh=${GH_TOKEN:-none} pwd=$(pwd)"\n' \
		> "$BATS_TEST_TMPDIR/tools/t"
	chmod +x "$BATS_TEST_TMPDIR/tools/t"
	printf 'commands:\n  test: "false"\n' > "$WS/demo.yaml"
	project "$BATS_TEST_TMPDIR/tools/t"
	DA_GITHUB_TOKEN=sekrit GH_TOKEN=sekrit2 run da-gate --cwd "$WS" --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 0 ]
	grep -q "token=none gh=none pwd=$WS" "$BATS_TEST_TMPDIR/o/test.log"
}

@test "da-gate without a test gate fails: nothing shows tests ran" {
	printf 'repo: me/demo\nforge: local\nremote: /x.git\ncommands:\n  lint: "true"\n' > "$DA_HOME/projects/demo.yaml"
	run da-gate --cwd "$WS"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no test gate configured"* ]]
}

@test "da-gate rejects a bad project file and a missing one with exit 2" {
	printf 'repo: me/demo\ncommands:\n  tests: pytest\n' > "$DA_HOME/projects/demo.yaml"
	run --separate-stderr da-gate --cwd "$WS"
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-gate
	[[ "$stderr" == *"demo.yaml:3:"* ]]
	run --separate-stderr da-gate --project nope --cwd "$WS"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"projects/nope.yaml"* ]]
	run --separate-stderr da-gate --bogus
	[ "$status" -eq 2 ]
}

@test "da-gate stops a gate that runs past its timeout" {
	printf 'repo: me/demo\nforge: local\nremote: /x.git\ngate_timeout_seconds: 1\ncommands:\n  test: sleep 30\n' \
		> "$DA_HOME/projects/demo.yaml"
	run da-gate --cwd "$WS"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timed out"* ]]
}
