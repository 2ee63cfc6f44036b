#!/usr/bin/env bats
# The README's first command must stay true: the demo runs the whole
# pipeline on the sample project (here with the fake claude standing in
# for Claude Code) and the task completes.
load helpers

setup() {
	da_setup
	TOP="$BATS_TEST_TMPDIR/top"
	# the demo puts $top/bin first on PATH; point it at the build under test
	mkdir -p "$TOP/bin" "$TOP/workflows"
	cp -R "$REPO_ROOT/workflows/." "$TOP/workflows/"
	for p in "$DA_BIN"/da-*; do ln -s "$p" "$TOP/bin/"; done
	export DEMO_DIR="$BATS_TEST_TMPDIR/demo"
}

write_agent_script() {
	# The fake agent's answers, by a word of each stage's prompt: code that
	# really adds --shout, and a test for it. (';' separates files here.)
	cat >"$BATS_TEST_TMPDIR/rules" <<'R'
Design success SPEC.md=--shout upper-cases the greeting
Implement success greet.sh=#!/bin/sh\nshout=\nif [ "$1" = --shout ]\nthen\n  shout=1\n  shift\nfi\nfor name in "$@"\ndo\n  line="Hello, $name!"\n  if [ -n "$shout" ]\n  then\n    line=$(echo "$line" | tr a-z A-Z)\n  fi\n  echo "$line"\ndone
QA success tests/test_shout.sh=out=$(./greet.sh --shout Ada)\n[ "$out" = "HELLO, ADA!" ]
R
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n' >"$BATS_TEST_TMPDIR/config.yaml"
	export DEMO_CONFIG="$BATS_TEST_TMPDIR/config.yaml" DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	export CLAUDE_CODE_OAUTH_TOKEN=fake-oauth IS_SANDBOX=1 DA_AGENT_BACKOFF_MS=10
}

@test "the quick-start demo runs the pipeline on the sample issue" {
	write_agent_script
	run "$TOP/workflows/sample/demo"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"queued sample/greet#1"* ]]
	run find "$DEMO_DIR/queue/completed/greet" -name '*.yaml'
	[ "${#lines[@]}" -eq 1 ]
	# the finished work is squash-merged into main: --shout and its test
	ws="$BATS_TEST_TMPDIR/main"
	git clone -q -b main "$DEMO_DIR/greet.git" "$ws"
	[ "$(git -C "$ws" rev-list --count HEAD)" -eq 2 ]
	[[ "$(git -C "$ws" log -1 --format=%s)" == *"Add a --shout option to greet.sh"* ]]
	[ "$(cd "$ws" && ./greet.sh --shout Ada)" = "HELLO, ADA!" ]
	[ "$(cd "$ws" && ./greet.sh Ada)" = "Hello, Ada!" ]
	[ -f "$ws/tests/test_shout.sh" ]
	grep -q "^2 passed, 0 failed" "$DEMO_DIR"/home/data/runs/greet/*/*verify-qa-test.log
	# and the issue was told
	grep -qi "merged" "$DEMO_DIR/home/data/local-forge/sample+greet/comments/1.log"
}

@test "the demo without an agent stops with one line naming what to install" {
	PATH="$TOP/bin:/usr/bin:/bin" run --separate-stderr "$TOP/workflows/sample/demo"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	[[ "$stderr" == "demo: no coding agent found: install Claude Code"* ]]
	[ ! -e "$DEMO_DIR" ]
}
