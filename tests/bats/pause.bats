#!/usr/bin/env bats
load helpers

setup() { da_setup; }

@test "da-pause turns the switch on, off, and reports it" {
	run da-pause status
	[ "$status" -eq 0 ]
	[ "$output" = "running" ]
	run da-pause
	[ "$status" -eq 0 ]
	[ -f "$DA_HOME/data/.pause" ]
	run da-pause status --json
	[ "$output" = "{\"paused\": true, \"path\": \"$DA_HOME/data/.pause\"}" ]
	run da-pause off
	[ "$status" -eq 0 ]
	[ ! -e "$DA_HOME/data/.pause" ]
	run da-pause off
	[ "$status" -eq 0 ]
}

@test "da-pause sees a pause made by hand with touch" {
	mkdir -p "$DA_HOME/data" && touch "$DA_HOME/data/.pause"
	run da-pause status
	[ "$output" = "paused" ]
}

@test "da-pause rejects an unknown verb with one line and exit 2" {
	run --separate-stderr da-pause sideways
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-pause
}

@test "da-pause has --help and --version" {
	run da-pause --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run da-pause --version
	[[ "$output" == "da-pause (dev-agents) "* ]]
}
