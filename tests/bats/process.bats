#!/usr/bin/env bats
load helpers
load process_helpers

setup() {
	da_setup
	export DA_RUNNER=record-runner RECORD_LOG="$BATS_TEST_TMPDIR/runs.log"
	: >"$RECORD_LOG"
}

teardown() {
	# never leave a runner or watcher of this test behind
	[ -n "${bg_pid:-}" ] && kill "$bg_pid" 2>/dev/null
	[ -e "$BATS_TEST_TMPDIR/go" ] || touch "$BATS_TEST_TMPDIR/go"
	true
}

@test "da-process runs a project's tasks in name order, hotfix first" {
	enqueue app 1 "first feature"
	enqueue app 2 "a bug" --type bugfix
	enqueue app 3 "urgent" --type hotfix
	run da-process
	[ "$status" -eq 0 ]
	run awk '$1 == "start" { print $3 }' "$RECORD_LOG"
	[[ "${lines[0]}" == 1-* ]]
	[[ "${lines[1]}" == 2-* ]]
	[[ "${lines[2]}" == 3-* ]]
	[ "$(count_in completed app)" -eq 3 ]
	[ "$(count_in pending)" -eq 0 ]
}

@test "da-process logs one line per event, or JSON lines with --json" {
	enqueue app 1 "plain"
	run --separate-stderr da-process --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run jq -r '.event' <<<"$output"
	[ "${lines[0]}" = started ]
	[ "${lines[1]}" = completed ]
	enqueue app 2 "plain again"
	run --separate-stderr da-process
	[[ "$stderr" == *"da-process: started app 3-"*"(pid "* ]]
	[[ "$stderr" == *"da-process: completed app 3-"*"exit 0)"* ]]
}

@test "a runner failure puts the task in failed/ with history and a failures log record" {
	enqueue app 1 "breaks exit=3"
	run da-process
	[ "$status" -eq 0 ]
	f=$(find "$DA_QUEUE/failed/app" -name '*.yaml')
	[ -n "$f" ]
	grep -q "runner failed: exit 3" "$f"
	grep -q "something broke" "$f"
	log="$DA_HOME/data/failures/app.log"
	grep -q '^exit_code: 3$' "$log"
	grep -q '^title: breaks exit=3$' "$log"
	grep -q '^error: |' "$log"
	grep -q '^  record-runner: something broke' "$log"
	[ -s "$DA_HOME/data/runs/app/$(basename "$f" .yaml)/runner.log" ]
}

@test "exit 75 puts the task back in pending with its attempts unchanged" {
	enqueue app 1 "try later exit=75"
	run da-process
	[ "$status" -eq 0 ]
	f=$(find "$DA_QUEUE/pending/app" -name '*.yaml')
	[ -n "$f" ]
	grep -q '^attempts: 0$' "$f"
	grep -q 'exit 75' "$f"
	[ "$(count_in failed)" -eq 0 ]
}

@test "a not_before written by the runner is kept and the task waits for it" {
	enqueue app 1 "later"
	run da-process
	[ "$status" -eq 0 ]
	f=$(find "$DA_QUEUE/pending/app" -name '*.yaml')
	grep -q '^not_before: ' "$f"
	: >"$RECORD_LOG"
	run da-process
	[ "$status" -eq 0 ]
	[ ! -s "$RECORD_LOG" ]
	[ -f "$f" ]
}

@test "with the pause on at start da-process says so and touches nothing" {
	enqueue app 1 "one"
	before=$(cd "$DA_QUEUE" && find . -printf '%p %s %T@\n' | sort)
	da-pause >/dev/null
	run da-process
	[ "$status" -eq 0 ]
	[[ "$output" == *paused* ]]
	[ "$(cd "$DA_QUEUE" && find . -printf '%p %s %T@\n' | sort)" = "$before" ]
	[ ! -s "$RECORD_LOG" ]
}

@test "a pause during a run sends the task back to pending, not failed" {
	enqueue app 1 "pausable"
	da-process 2>"$BATS_TEST_TMPDIR/err" &
	bg_pid=$!
	wait_for grep -q '^start' "$RECORD_LOG"
	da-pause >/dev/null
	wait "$bg_pid"
	[ "$(count_in pending app)" -eq 1 ]
	[ "$(count_in failed)" -eq 0 ]
	grep -q "paused" "$(find "$DA_QUEUE/pending/app" -name '*.yaml')"
	grep -q "requeued app" "$BATS_TEST_TMPDIR/err"
}

@test "a paused runner that does not stop by itself is stopped after the grace and requeued" {
	queue_config pause_grace_seconds 0
	enqueue app 1 "stubborn wait=$BATS_TEST_TMPDIR/never"
	da-process 2>/dev/null &
	bg_pid=$!
	wait_for grep -q '^start' "$RECORD_LOG"
	da-pause >/dev/null
	wait "$bg_pid"
	[ "$(count_in pending app)" -eq 1 ]
	[ "$(count_in failed)" -eq 0 ]
}

@test "an orphaned active task is recovered at once with attempts+1" {
	enqueue app 1 "orphan"
	mkdir -p "$DA_QUEUE/active/app"
	mv "$DA_QUEUE"/pending/app/*.yaml "$DA_QUEUE/active/app/"
	: >"$DA_QUEUE/active/app/.tmp-dead-writer"
	run da-process
	[ "$status" -eq 0 ]
	[[ "$output" == *"recovered app"* ]]
	f=$(find "$DA_QUEUE/completed/app" -name '*.yaml')
	grep -q '^attempts: 1$' "$f"
	grep -q 'run lock free' "$f"
	[ "$(temps_left)" -eq 0 ]
}

@test "after max_attempts recoveries the task goes to failed with the reason" {
	queue_config max_attempts 2
	enqueue app 1 "orphan"
	mkdir -p "$DA_QUEUE/active/app"
	f=$(basename "$(find "$DA_QUEUE/pending/app" -name '*.yaml')")
	sed -i 's/^attempts: 0$/attempts: 1/' "$DA_QUEUE/pending/app/$f"
	mv "$DA_QUEUE/pending/app/$f" "$DA_QUEUE/active/app/"
	run da-process
	[ "$status" -eq 0 ]
	[ -f "$DA_QUEUE/failed/app/$f" ]
	grep -q 'giving up' "$DA_QUEUE/failed/app/$f"
	grep -q 'giving up' "$DA_HOME/data/failures/app.log"
	[ ! -s "$RECORD_LOG" ]
}

@test "a live runner's task is not recovered, even with the clock 5 hours ahead" {
	enqueue app 1 "long wait=$BATS_TEST_TMPDIR/go"
	da-process 2>/dev/null &
	bg_pid=$!
	wait_for grep -q '^start' "$RECORD_LOG"
	# (the sanitizer build must let libfaketime's LD_PRELOAD come first)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" run faketime -f +5h da-process
	[ "$status" -eq 0 ]
	[[ "$output" != *recovered* ]]
	[ "$(count_in active app)" -eq 1 ]
	grep -q '^attempts: 0$' "$DA_QUEUE"/active/app/*.yaml
	touch "$BATS_TEST_TMPDIR/go"
	wait "$bg_pid"
	[ "$(count_in completed app)" -eq 1 ]
	[ "$(grep -c '^start' "$RECORD_LOG")" -eq 1 ]
}

@test "a runner outliving a SIGKILLed da-process keeps the lock until it ends" {
	enqueue app 1 "long wait=$BATS_TEST_TMPDIR/go"
	da-process 2>/dev/null &
	bg_pid=$!
	wait_for grep -q '^start' "$RECORD_LOG"
	worker=$(pgrep -P "$bg_pid")
	kill -KILL "$bg_pid" "$worker"
	wait "$bg_pid" || true
	run da-process
	[ "$status" -eq 0 ]
	[ "$(count_in active app)" -eq 1 ]
	touch "$BATS_TEST_TMPDIR/go"
	runner=$(awk '$1 == "start" { print $4 }' "$RECORD_LOG")
	# the runner is gone now: the next da-process recovers and reruns it
	wait_for sh -c "! kill -0 $runner 2>/dev/null"
	run da-process
	[ "$status" -eq 0 ]
	[ "$(count_in completed app)" -eq 1 ]
	[ "$(count_in active)" -eq 0 ]
}

@test "5 concurrent da-process over 20 projects: each task once, one per project, max_parallel overall" {
	queue_config max_parallel 3
	for p in $(seq -w 1 20); do
		enqueue "p$p" 1 "one"
		enqueue "p$p" 2 "two"
		enqueue "p$p" 3 "three"
	done
	export RECORD_SLEEP=0.02
	pids=()
	for _ in 1 2 3 4 5; do
		da-process 2>/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	run da-process
	[ "$(count_in completed)" -eq 60 ]
	[ "$(grep -c '^start' "$RECORD_LOG")" -eq 60 ]
	[ "$(awk '$1 == "start" { print $2, $3 }' "$RECORD_LOG" | sort | uniq -d | wc -l)" -eq 0 ]
	check_overlap 3 "$RECORD_LOG"
}

@test "random SIGKILLs of da-process, workers and runners lose and duplicate nothing" {
	queue_config max_attempts 1000
	for p in a b c d; do
		for i in 1 2 3 4 5; do enqueue "$p" "$i" "task $i"; done
	done
	export RECORD_SLEEP=0.05
	for _ in $(seq 1 25); do
		da-process 2>/dev/null &
		bg_pid=$!
		sleep "0.0$((RANDOM % 10))"
		# da-process, its workers, the runners of this queue: two at random
		victims=$( (pgrep -P "$bg_pid"; pgrep -f "record-runner $DA_QUEUE") | shuf -n 2 || true)
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL "$bg_pid" $victims 2>/dev/null || true
		wait "$bg_pid" 2>/dev/null || true
		# orphaned workers finish their current task; look when all is still
		wait_for run_locks_free
		check_invariant 20
	done
	wait_for no_runners_left
	wait_for run_locks_free # orphaned workers finish their task and stop
	run da-process
	[ "$status" -eq 0 ]
	check_invariant 20
	[ "$(count_in completed)" -eq 20 ]
	[ "$(temps_left)" -eq 0 ]
}

@test "bad arguments: one line, exit 2" {
	run --separate-stderr da-process --limit x
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-process
	run --separate-stderr da-process extra
	[ "$status" -eq 2 ]
	run da-process --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run da-process --version
	[[ "$output" == "da-process (dev-agents) "* ]]
}

@test "stale_hours: the worker stops a runner that runs too long and retries it, then fails it" {
	queue_config stale_hours 0.0003 max_attempts 2
	enqueue app 1 "hangs wait=$BATS_TEST_TMPDIR/never"
	run da-process
	[ "$status" -eq 0 ]
	[[ "$output" == *"requeued app"*"stale"* ]]
	f=$(find "$DA_QUEUE/pending/app" -name '*.yaml')
	grep -q '^attempts: 1$' "$f"
	run da-process
	[ "$status" -eq 0 ]
	[ "$(count_in failed app)" -eq 1 ]
	grep -q 'giving up' "$DA_HOME/data/failures/app.log"
}

# One task, DA_RUNNER=true, strace injecting $1 into da-process and all
# its children; then the invariant, then a clean run must finish the task.
fault_round() { # inject-spec
	rm -rf "$DA_QUEUE"
	enqueue app 1 "one"
	# LeakSanitizer cannot work under ptrace
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
		run --separate-stderr strace -f -o /dev/null -e inject="$1" da-process --json
	echo "inject=$1 status=$status stderr=$stderr"
	fault_status=$status
	check_invariant 1
	if [ "$status" -ne 0 ] && [ "$status" -ne 137 ]; then
		[ "$status" -eq 1 ]
		output=$stderr assert_one_error_line da-process
	fi
	wait_for run_locks_free
	run da-process
	[ "$status" -eq 0 ]
	check_invariant 1
	[ "$(count_in completed)" -eq 1 ]
	[ "$(temps_left)" -eq 0 ]
}

@test "SIGKILL at each write, fsync and rename of the state moves leaves a consistent queue" {
	export DA_RUNNER=true
	# N = 1, 2, ... until no process of the run meets its N-th call any more
	for n in $(seq 1 30); do
		fault_round "write,fsync,rename,renameat2:signal=SIGKILL:when=$n"
		[ "$fault_status" -ne 0 ] || break
	done
	[ "$n" -gt 5 ] # the kills did hit the state moves before that
}

@test "ENOSPC and EIO on write, fsync and rename: exit 1, one line, no partial file" {
	export DA_RUNNER=true
	for n in 1 2 3 4 5 6 7 8; do
		fault_round "fsync:error=EIO:when=$n"
	done
	for n in 1 3 5; do
		fault_round "write:error=ENOSPC:when=$n"
	done
	for n in 1 2 3 4; do
		fault_round "rename,renameat2:error=EIO:when=$n"
	done
}

@test "--watch starts a newly enqueued task, honours a pause, and ends cleanly on SIGTERM" {
	da-process --watch --json >"$BATS_TEST_TMPDIR/events" 2>"$BATS_TEST_TMPDIR/err" &
	bg_pid=$!
	enqueue app 1 "first"
	wait_for grep -q '"event":"completed"' "$BATS_TEST_TMPDIR/events"
	# a project folder made after the watch began is watched too
	enqueue newproj 1 "in a new folder"
	wait_for sh -c "[ \$(find '$DA_QUEUE/completed/newproj' -name '*.yaml' 2>/dev/null | wc -l) -eq 1 ]"
	da-pause >/dev/null
	wait_for grep -q '"event":"paused"' "$BATS_TEST_TMPDIR/events"
	enqueue app 2 "while paused"
	sleep 1 # a negative check needs some time to fail in
	[ "$(count_in pending app)" -eq 1 ]
	da-pause off >/dev/null
	wait_for sh -c "[ \$(find '$DA_QUEUE/completed/app' -name '*.yaml' | wc -l) -eq 2 ]"
	kill -TERM "$bg_pid"
	wait "$bg_pid"
	bg_pid=
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "a runner that cannot start: exit 1, one line, the task stays pending" {
	enqueue app 1 "one"
	DA_RUNNER="$BATS_TEST_TMPDIR/no-such-runner" run --separate-stderr da-process
	[ "$status" -eq 1 ]
	output=$stderr assert_one_error_line da-process
	[[ "$stderr" == *"cannot run"* ]]
	[ "$(count_in pending app)" -eq 1 ]
	grep -q '^attempts: 0$' "$DA_QUEUE"/pending/app/*.yaml
}

@test "a pending task file that does not parse is set aside in failed/" {
	enqueue app 2 "good"
	printf 'id: [broken\n' >"$DA_QUEUE/pending/app/1-20200101T000000Z-1-bad.yaml"
	run da-process
	[ "$status" -eq 0 ]
	[ -f "$DA_QUEUE/failed/app/1-20200101T000000Z-1-bad.yaml" ]
	[ "$(count_in completed app)" -eq 1 ]
	grep -q 'unreadable task file' "$DA_HOME/data/failures/app.log"
}

@test "a finished task's dedup index entry goes with it; a live one's stays" {
	da-enqueue --project app --issue 1 --title one >/dev/null
	da-enqueue --project app --issue 2 --title "two exit=3" >/dev/null
	[ -L "$DA_QUEUE/pending/app/.id-app#1" ]
	DA_RUNNER="$TESTS_DIR/fakes/record-runner" run da-process --once
	[ -n "$(ls "$DA_QUEUE/failed/app")" ]
	[ ! -e "$DA_QUEUE/pending/app/.id-app#1" ]
	[ ! -e "$DA_QUEUE/pending/app/.id-app#2" ]
	run da-enqueue --project app --issue 1 --title one
	[[ "$output" == queued* ]]
	[ -L "$DA_QUEUE/pending/app/.id-app#1" ]
}
