#!/usr/bin/env bats
# da-run: a whole feature workflow against a local bare repository and the
# fake claude, then resuming, pausing and failing.
load helpers
load pipeline_helpers

setup() {
	da_setup
	pipeline_env
	pipeline_origin
	mkdir -p "$DA_HOME/projects"
	printf 'repo: me/demo\nforge: local\nremote: %s\ncommands:\n  test: %s\n' \
		"$ORIGIN" "$BATS_TEST_TMPDIR/run-tests" >"$DA_HOME/projects/demo.yaml"
	cat >"$BATS_TEST_TMPDIR/rules" <<'R'
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	# the pre-push reviewer's answer (the final text of every fake success)
	printf '%s\n' '{"verdict": "APPROVE", "summary": "Adds sum.", "findings": []}' >"$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$BATS_TEST_TMPDIR/approve"
	# the issue on the local forge
	mkdir -p "$DA_HOME/data/local-forge/me+demo/issues"
	printf 'number: 42\ntitle: Add sum\nbody: ""\nstate: open\n' >"$DA_HOME/data/local-forge/me+demo/issues/42.yaml"
	da-enqueue --project demo --issue 42 --title "Add sum" >/dev/null
	mkdir -p "$DA_QUEUE/active/demo"
	mv "$DA_QUEUE"/pending/demo/*.yaml "$DA_QUEUE/active/demo/"
	TASK=$(ls "$DA_QUEUE"/active/demo/*.yaml)
	NAME=$(basename "$TASK" .yaml)
	RUNS="$DA_HOME/data/runs/demo/$NAME"
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
	# pushed, and the clone removed
	[ ! -e "$DA_HOME/data/work/demo/$NAME" ]
	grep -A1 "name: push\$" "$RUNS/state.yaml" | grep -q "status: done"
	[ "$(git -C "$ORIGIN" log -1 --format=%s dev-agents/42-add-sum)" = "feat: Add sum (#42)" ]
	git -C "$ORIGIN" ls-tree -r --name-only dev-agents/42-add-sum | grep -qx test_sum.txt
	git -C "$ORIGIN" ls-tree -r --name-only dev-agents/42-add-sum | grep -qx sum.txt
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
	# the failure path: the branch pushed, a draft PR labelled
	# pipeline-failed, the issue told why with the gate's last lines
	LF="$DA_HOME/data/local-forge/me+demo"
	git -C "$ORIGIN" rev-parse -q --verify dev-agents/42-add-sum
	grep -q "draft: true" "$LF"/prs/*.yaml
	grep -q "pipeline-failed" "$LF"/prs/*.yaml
	grep -q "pipeline-failed" "$LF/labels.yaml"
	grep -q "the pipeline failed" "$LF/comments/42.log"
	grep -q "0 passed" "$LF/comments/42.log"
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
}

@test "da-run stops at a stage boundary when paused and resumes where it stopped" {
	echo "merge: leave-open" >>"$DA_HOME/projects/demo.yaml"
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

# --- whole runs through da-process (the way the queue runs a task) ---

process_once() {
	mv "$TASK" "$DA_QUEUE/pending/demo/" 2>/dev/null || true
	run da-process --once
	echo "$output"
}

@test "da-process + da-run: verification fails, the resumed implementer's fix passes" {
	printf '#!/bin/sh\nif grep -q "a+b" sum.txt; then echo "1 passed"; else echo "FAILED wrongsum: 1 failed"; exit 1; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	cat >"$DA_FAKE_RULES" <<'R'
wrongsum success sum.txt=a+b
Design success SPEC.md=the spec
Implement success sum.txt=a-b
QA success test_sum.txt=sum(1,2)==3
R
	process_once
	[ "$status" -eq 0 ]
	[ -f "$DA_QUEUE/completed/demo/$NAME.yaml" ]
	grep -q "wrongsum" "$RUNS/03-verify-2.prompt.md"
	[ ! -e "$RUNS/03-verify-3.prompt.md" ]
	grep -q "FAILED wrongsum" "$RUNS"/03-verify-test.log
	WS="$ORIGIN"  # pushed; the clone is gone
	[ "$(git -C "$WS" show dev-agents/42-add-sum:sum.txt)" = "a+b" ]
	git -C "$WS" ls-tree -r --name-only dev-agents/42-add-sum | grep -qx test_sum.txt
}

@test "da-process + da-run: max turns fails the task with the reason and one failure record" {
	printf 'Implement max_turns\nDesign success SPEC.md=the spec\n' >"$DA_FAKE_RULES"
	process_once
	[ -f "$DA_QUEUE/failed/demo/$NAME.yaml" ]
	grep -q "max_turns" "$DA_HOME/data/failures/demo.log"
	[ "$(grep -c '^---' "$DA_HOME/data/failures/demo.log")" -eq 1 ]
	grep -A1 "name: implement\$" "$RUNS/state.yaml" | grep -q "status: failed"
	# the workspace is kept for a look; the design's uncommitted work is
	# in a salvage commit on the task branch
	WS="$DA_HOME/data/work/demo/$NAME"
	[ -f "$WS/SPEC.md" ]
	[[ "$(git -C "$WS" log -1 --format=%s)" == salvage* ]]
	[ "$(git -C "$WS" show HEAD:SPEC.md)" = "the spec" ]
	[ -z "$(git -C "$WS" status --porcelain)" ]
}

@test "da-process + da-run: a used-up usage window puts the task back in pending with not_before" {
	printf 'Design usage_window\n' >"$DA_FAKE_RULES"
	process_once
	[ -f "$DA_QUEUE/pending/demo/$NAME.yaml" ]
	grep -q "^not_before: ." "$DA_QUEUE/pending/demo/$NAME.yaml"
	[ ! -e "$DA_HOME/data/failures/demo.log" ]
}

@test "da-process + da-run: crossing the task's budget fails it with that reason" {
	printf 'agents:\n  pass_env: [DA_FAKE_*]\nbudget: { max_cost_usd: 1.0 }\n' >"$DA_HOME/config.yaml"
	printf 'Implement budget\nDesign success SPEC.md=the spec\n' >"$DA_FAKE_RULES"
	process_once
	[ -f "$DA_QUEUE/failed/demo/$NAME.yaml" ]
	grep -qi "budget" "$DA_HOME/data/failures/demo.log"
}

@test "da-process + da-run: pausing during a stage stops at the next boundary; the task waits in pending" {
	printf 'Design success SPEC.md=the spec;%s/data/.pause=1\n' "$DA_HOME" >"$DA_FAKE_RULES"
	process_once
	[ -f "$DA_QUEUE/pending/demo/$NAME.yaml" ]
	grep -A1 "name: design\$" "$RUNS/state.yaml" | grep -q "status: done"
	run ! grep -q "name: implement\$" "$RUNS/state.yaml"
	rm "$DA_HOME/data/.pause"
	cat >"$DA_FAKE_RULES" <<'R'
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	run da-process --once
	[ -f "$DA_QUEUE/completed/demo/$NAME.yaml" ]
	# the design was not run again: one design prompt, the spec kept
	[ "$(ls "$RUNS" | grep -c design.prompt)" -eq 1 ]
	[ "$(git -C "$ORIGIN" show dev-agents/42-add-sum:SPEC.md)" = "the spec" ]
}

@test "da-process + da-run: SIGKILL mid-stage, then da-process again resumes at that stage with the lead's session" {
	cat >"$DA_FAKE_RULES" <<'R'
Design success SPEC.md=the spec
Implement hang
R
	mv "$TASK" "$DA_QUEUE/pending/demo/"
	da-process --once >"$BATS_TEST_TMPDIR/p1.out" 2>&1 &
	local proc=$! runner agent
	for _ in $(seq 1 600); do
		grep -A1 "name: implement\$" "$RUNS/state.yaml" 2>/dev/null | grep -q "status: running" && break
		sleep 0.05
	done
	grep -A1 "name: implement\$" "$RUNS/state.yaml" | grep -q "status: running"
	runner=$(descendant "$proc" da-run)
	agent=$(descendant "$runner" node)
	lead=$(sed -n 's/^lead_session: //p' "$RUNS/state.yaml")
	[ -n "$lead" ]
	kill -KILL "$runner"
	kill -KILL -- "-$agent" 2>/dev/null || kill -KILL "$agent"
	wait "$proc" || true
	[ -f "$DA_QUEUE/pending/demo/$NAME.yaml" ]
	cat >"$DA_FAKE_RULES" <<'R'
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	run da-process --once
	echo "$output"
	[ -f "$DA_QUEUE/completed/demo/$NAME.yaml" ]
	[ "$(sed -n 's/^lead_session: //p' "$RUNS/state.yaml")" = "$lead" ]
	[ "$(ls "$RUNS" | grep -c design.prompt)" -eq 1 ]
	WS="$ORIGIN"  # pushed; the clone is gone
	[ "$(git -C "$WS" show dev-agents/42-add-sum:SPEC.md)" = "the spec" ]
	[ "$(git -C "$WS" show dev-agents/42-add-sum:sum.txt)" = "a+b" ]
	git -C "$WS" ls-tree -r --name-only dev-agents/42-add-sum | grep -qx test_sum.txt
}

# main moves while the task is paused after its design
move_main() {
	(cd "$BATS_TEST_TMPDIR/seed" && printf '%s\n' "$2" >"$1" && git add "$1" &&
		git -c user.name=t -c user.email=t@t commit -qm "main: $1" && git push -q origin HEAD:main)
}

pause_after_design() {
	printf 'Design success SPEC.md=the spec;%s/data/.pause=1\n' "$DA_HOME" >"$DA_FAKE_RULES"
	run da-run "$TASK"
	[ "$status" -eq 75 ]
	rm "$DA_HOME/data/.pause"
}

@test "da-run rebases the finished branch onto the moved default branch and verifies it again" {
	pause_after_design
	move_main other.txt "from main"
	printf 'Implement success sum.txt=a+b\nQA success test_sum.txt=sum(1,2)==3\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	WS="$ORIGIN"  # pushed; the clone is gone
	git -C "$WS" merge-base --is-ancestor main~1 dev-agents/42-add-sum
	[ "$(git -C "$WS" show dev-agents/42-add-sum:other.txt)" = "from main" ]
	grep -A1 "name: rebase\$" "$RUNS/state.yaml" | grep -q "status: done"
	# the rebased branch went through the last gate again
	grep -A12 "name: verify-qa\$" "$RUNS/summary.yaml" | grep -q "runs: 2"
}

@test "da-run: a rebase conflict gets one implementer attempt; resolved, the branch is on main" {
	pause_after_design
	move_main sum.txt "main's sum"
	cat >"$DA_FAKE_RULES" <<'R'
Conflicting success sum.txt=a+b (merged with main)
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	WS="$ORIGIN"  # pushed; the clone is gone
	git -C "$WS" merge-base --is-ancestor main~1 dev-agents/42-add-sum
	[ "$(git -C "$WS" show dev-agents/42-add-sum:sum.txt)" = "a+b (merged with main)" ]
	grep -q "sum.txt" "$RUNS/07-rebase.prompt.md"
}

@test "da-run: an unresolved rebase conflict fails the task naming the files" {
	pause_after_design
	move_main sum.txt "main's sum"
	cat >"$DA_FAKE_RULES" <<'R'
Conflicting success notes.txt=did nothing
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step rebase"*"sum.txt"* ]]
	grep -A1 "name: rebase\$" "$RUNS/state.yaml" | grep -q "status: failed"
	# the branch is back as it was, with the implementation
	WS="$DA_HOME/data/work/demo/$NAME"
	[ "$(git -C "$WS" show HEAD:sum.txt)" = "a+b" ]
}

@test "da-run: the pre-push review approves; its review.yaml is in the run record" {
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "verdict: APPROVE" "$RUNS/review-1/review.yaml"
	grep -A1 "name: review\$" "$RUNS/state.yaml" | grep -q "status: done"
	[ ! -e "$RUNS/review-2" ]
}

@test "da-run: review requests changes, the implementer fixes them, the gates and the review run again" {
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "Wrong op.", "findings": [{"severity": "major", "file": "sum.txt", "line": 1, "message": "use plus-sign-fixed"}]}' \
		>"$BATS_TEST_TMPDIR/changes"
	cat >"$DA_FAKE_RULES" <<'R'
plus-sign-fixed success sum.txt=a+b fixed
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	# claude calls: design, implement, qa, review 1, fix, review 2
	export DA_FAKE_REPLY="$BATS_TEST_TMPDIR/approve,$BATS_TEST_TMPDIR/approve,$BATS_TEST_TMPDIR/approve,$BATS_TEST_TMPDIR/changes,$BATS_TEST_TMPDIR/approve,$BATS_TEST_TMPDIR/approve"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "verdict: REQUEST_CHANGES" "$RUNS/review-1/review.yaml"
	grep -qx "verdict: APPROVE" "$RUNS/review-2/review.yaml"
	grep -q "use plus-sign-fixed" "$RUNS/08-review-2.prompt.md"
	WS="$ORIGIN"  # pushed; the clone is gone
	[ "$(git -C "$WS" show dev-agents/42-add-sum:sum.txt)" = "a+b fixed" ]
	[ "$(git -C "$WS" log -1 --format=%s dev-agents/42-add-sum)" = "fix: address review findings" ]
	grep -A12 "name: verify-qa\$" "$RUNS/summary.yaml" | grep -q "runs: 2"
}

@test "da-run delivers on the local forge: PR, review posted, squash-merged into main, issue commented" {
	printf '%s\n' '{"verdict": "APPROVE", "summary": "Adds sum.", "findings": [{"severity": "minor", "file": "sum.txt", "line": 1, "message": "name the operands"}, {"severity": "minor", "file": "nowhere.c", "line": 9, "message": "off the diff"}]}' \
		>"$BATS_TEST_TMPDIR/approve"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	LF="$DA_HOME/data/local-forge/me+demo"
	for s in push pr post-review merge comment; do
		grep -A1 "name: $s\$" "$RUNS/state.yaml" | grep -q "status: done"
	done
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b" ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 2 ]
	grep -q "Add sum" <(git -C "$ORIGIN" log -1 --format=%s main)
	ls "$LF"/prs/*.yaml
	[ "$(ls "$LF"/prs/*.yaml | wc -l)" -eq 1 ]
	grep -q "merged: true" "$LF"/prs/*.yaml
	grep -q "APPROVE" "$LF"/reviews/*.log
	# the finding on a diff line is an inline comment; the other is not
	grep -q "path: sum.txt" "$LF"/reviews/*.log
	grep -q "name the operands" "$LF"/reviews/*.log
	run ! grep -q "path: nowhere.c" "$LF"/reviews/*.log
	grep -q "pull request #.* merged" "$LF/comments/42.log"
	# a rerun after everything is done changes nothing: no second PR or comment
	run da-run "$TASK"
	[ "$(ls "$LF"/prs/*.yaml | wc -l)" -eq 1 ]
	[ "$(grep -c "pull request #" "$LF/comments/42.log")" -eq 1 ]
}

@test "da-run: a crash after the PR was created resumes without a second PR and merges it" {
	# the first run stops after the PR (leave-open stands in for the crash)
	echo "merge: leave-open" >>"$DA_HOME/projects/demo.yaml"
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	LF="$DA_HOME/data/local-forge/me+demo"
	grep -q "merged: false" "$LF"/prs/*.yaml
	sed -i '/^merge: leave-open$/d' "$DA_HOME/projects/demo.yaml"
	sed -i -e '/name: merge$/,+1s/status: done/status: running/' \
		-e '/name: comment$/,+1s/status: done/status: pending/' "$RUNS/state.yaml"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ls "$LF"/prs/*.yaml | wc -l)" -eq 1 ]
	grep -q "merged: true" "$LF"/prs/*.yaml
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b" ]
}
