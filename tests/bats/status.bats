#!/usr/bin/env bats
load helpers
load process_helpers

setup() {
	da_setup
	export DA_RUNNER=record-runner RECORD_LOG="$BATS_TEST_TMPDIR/runs.log"
}

teardown() {
	touch "$BATS_TEST_TMPDIR/go"
	[ -n "${bg_pid:-}" ] && wait "$bg_pid" 2>/dev/null
	true
}

@test "da-status on an empty queue says running and shows no project" {
	run da-status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = running ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "da-status counts tasks per state per project" {
	enqueue app 1 "ok"
	enqueue app 2 "breaks exit=3"
	enqueue app 3 "waits" --type feature
	enqueue lib 1 "ok"
	da-process --limit 2 2>/dev/null || true
	run da-status --json
	[ "$status" -eq 0 ]
	run jq -c '[.projects[] | [.project, .pending, .active, .completed, .failed]]' <<<"$output"
	[ "$output" = '[["app",2,0,1,0],["lib",0,0,1,0]]' ]
	run da-status
	[[ "${lines[1]}" == PROJECT*PENDING*ACTIVE*COMPLETED*FAILED ]]
	[[ "${lines[2]}" =~ ^app\ +2\ +0\ +1\ +0$ ]]
}

@test "da-status shows an active task with its age and live owner pid" {
	enqueue app 1 "long wait=$BATS_TEST_TMPDIR/go"
	da-process 2>/dev/null &
	bg_pid=$!
	wait_for grep -q '^start' "$RECORD_LOG"
	run da-status --json
	[ "$status" -eq 0 ]
	[ "$(jq '.active | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.active[0].lock_held' <<<"$output")" = true ]
	[ "$(jq -r '.active[0].owner_alive' <<<"$output")" = true ]
	owner=$(jq -r '.active[0].owner_pid' <<<"$output")
	[ "$owner" -gt 0 ]
	[ "$(jq -r '.active[0].age_seconds >= 0' <<<"$output")" = true ]
	run da-status
	[[ "$output" == *"active:"*"app 3-"*"age "*"owner pid $owner (running)"* ]]
	# da-status did not disturb the worker: it still holds the run lock
	run flock -n "$DA_QUEUE/locks/app.lock" true
	[ "$status" -ne 0 ]
	touch "$BATS_TEST_TMPDIR/go"
	wait "$bg_pid"
	bg_pid=
	[ "$(count_in completed app)" -eq 1 ]
}

@test "da-status lists tasks waiting for a not_before and the last failures" {
	enqueue app 1 "later"
	enqueue lib 1 "broken exit=4"
	da-process 2>/dev/null
	run da-status --json
	[ "$(jq -r '.waiting[0].project' <<<"$output")" = app ]
	[ -n "$(jq -r '.waiting[0].not_before' <<<"$output")" ]
	[ "$(jq -r '.failures[0].exit_code' <<<"$output")" = 4 ]
	[ "$(jq -r '.failures[0].title' <<<"$output")" = "broken exit=4" ]
	run da-status
	[[ "$output" == *"waiting:"*"app 3-"*"not before "* ]]
	[[ "$output" == *"last failures:"*"lib 3-"*"exit 4: runner failed: exit 4"* ]]
	run da-status --project lib --json
	[ "$(jq '.projects | length' <<<"$output")" -eq 1 ]
	[ "$(jq '.waiting | length' <<<"$output")" -eq 0 ]
}

@test "da-status shows the pause" {
	da-pause >/dev/null
	run da-status --json
	[ "$(jq -r .paused <<<"$output")" = true ]
}

@test "da-status rejects a bad project name and bad options with one line, exit 2" {
	run --separate-stderr da-status --project ../x
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-status
	run --separate-stderr da-status --failures -1
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-status
	run da-status --help
	[[ "$output" == usage:* ]]
}
