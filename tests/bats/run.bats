#!/usr/bin/env bats
# da-run: a whole feature workflow against a local bare repository and the
# fake claude, then resuming, pausing and failing.
load helpers

setup() {
	da_setup
	export DA_AGENT_BACKOFF_MS=10
	export DA_FAKE_STATE_DIR="$BATS_TEST_TMPDIR/fake-state"
	export CLAUDE_CODE_OAUTH_TOKEN=fake-oauth IS_SANDBOX=1
	unset ANTHROPIC_API_KEY DA_CLAUDE_BIN DA_FAKE_SCENARIO DA_PAUSE_FILE
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n' >"$DA_HOME/config.yaml"
	ln -s "$REPO_ROOT/workflows" "$DA_HOME/workflows"
	ORIGIN="$BATS_TEST_TMPDIR/origin.git"
	git init -q --bare -b main "$ORIGIN"
	git clone -q "$ORIGIN" "$BATS_TEST_TMPDIR/seed" 2>/dev/null
	(cd "$BATS_TEST_TMPDIR/seed" && echo hello >README && git add README &&
		git -c user.name=t -c user.email=t@t commit -qm init && git push -q origin HEAD:main)
	# the gate: one old test, and QA's once it exists
	printf '#!/bin/sh\nif [ -f test_sum.txt ]; then echo "2 passed"; else echo "1 passed"; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	chmod +x "$BATS_TEST_TMPDIR/run-tests"
	mkdir -p "$DA_HOME/projects"
	printf 'repo: me/demo\nforge: local\nremote: %s\ncommands:\n  test: %s\n' \
		"$ORIGIN" "$BATS_TEST_TMPDIR/run-tests" >"$DA_HOME/projects/demo.yaml"
	cat >"$BATS_TEST_TMPDIR/rules" <<'R'
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	da-enqueue --project demo --issue 42 --title "Add sum" >/dev/null
	mkdir -p "$DA_QUEUE/active/demo"
	mv "$DA_QUEUE"/pending/demo/*.yaml "$DA_QUEUE/active/demo/"
	TASK=$(ls "$DA_QUEUE"/active/demo/*.yaml)
	NAME=$(basename "$TASK" .yaml)
	RUNS="$DA_HOME/data/runs/$NAME"
}

@test "da-run walks the feature workflow: spec, code, tests, gates green, commit" {
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	for s in design implement verify qa verify-qa finalize; do
		grep -A1 "name: $s\$" "$RUNS/state.yaml" | grep -q "status: done"
	done
	grep -q "lead_session: ." "$RUNS/state.yaml"
	[ "$(cat "$RUNS/SPEC.md")" = "the spec" ]
	[ -f "$RUNS/02-implement.prompt.md" ]
	grep -q "Add sum" "$RUNS/02-implement.prompt.md"
	grep -q "the spec" "$RUNS/02-implement.prompt.md"
	grep -q "2 passed" "$RUNS/05-verify-qa-test.log"
	grep -q "total:" "$RUNS/summary.yaml"
	grep -A2 "name: design\$" "$RUNS/summary.yaml" | grep -q "duration_ms: [1-9]"
	WS="$DA_HOME/data/work/demo/$NAME"
	[ "$(git -C "$WS" log -1 --format=%s)" = "feat: Add sum (#42)" ]
	git -C "$WS" ls-files | grep -qx test_sum.txt
	git -C "$WS" ls-files | grep -qx sum.txt
}

@test "da-run fails when the gates never show tests ran" {
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	run da-run "$TASK"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stage verify"*"no tests ran"* ]]
	grep -A1 "name: verify\$" "$RUNS/state.yaml" | grep -q "status: failed"
	# the implementer was resumed with the failing output, fix_attempts times
	[ -f "$RUNS/03-verify-2.prompt.md" ] && [ -f "$RUNS/03-verify-3.prompt.md" ]
	grep -q "0 passed" "$RUNS/03-verify-2.prompt.md"
}

@test "da-run stops at a stage boundary when paused and resumes where it stopped" {
	export DA_PAUSE_FILE="$BATS_TEST_TMPDIR/pause"
	touch "$DA_PAUSE_FILE"
	run da-run "$TASK"
	[ "$status" -eq 75 ]
	rm "$DA_PAUSE_FILE"
	# a task whose first stages are done resumes after them
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	printf 'task: %s\nstages:\n' "$NAME" >"$RUNS/state.yaml"
	for s in design implement verify qa verify-qa; do
		printf '  - name: %s\n    status: done\n' "$s" >>"$RUNS/state.yaml"
	done
	printf 'Design fail\nImplement fail\nQA fail\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	[ "$status" -eq 0 ]
}

@test "da-run ends with 75 and a not_before in the task when the usage window is used up" {
	printf 'Design usage_window\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 75 ]
	grep -q "^not_before: ." "$TASK"
	grep -A1 "name: design\$" "$RUNS/state.yaml" | grep -q "status: failed"
	[ ! -e "$DA_HOME/data/failures/demo.log" ]
}

@test "da-run puts the project's recent failures into every prompt" {
	mkdir -p "$DA_HOME/data/failures"
	printf -- '---\ndate: 2099-01-01T00:00:00+00:00\ntask: earlier\ntitle: x\ntype: feature\nexit_code: 1\nerror: |\n  strict mode broke the build\n' \
		>"$DA_HOME/data/failures/demo.log"
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	for f in 01-design 02-implement 04-qa; do
		grep -q "These are recent pipeline failures. Learn from them" "$RUNS/$f.prompt.md"
		grep -q "strict mode broke the build" "$RUNS/$f.prompt.md"
	done
}

@test "da-process runs da-run on the task and completes it" {
	mv "$TASK" "$DA_QUEUE/pending/demo/"
	run da-process --once
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$DA_QUEUE/completed/demo/$NAME.yaml" ]
	grep -A1 "name: finalize\$" "$RUNS/state.yaml" | grep -q "status: done"
}
