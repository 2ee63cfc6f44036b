#!/usr/bin/env bats
# Conventions every program keeps: --help, --version, one prefixed line
# and exit 2 for a bad option, a man page in docs/.
load helpers

setup() { da_setup; }

programs() {
	local p
	for p in "$REPO_ROOT"/cmd/da-*.c; do basename "$p" .c; done
}

@test "every program prints usage for --help and exits 0" {
	for p in $(programs); do
		run "$DA_BIN/$p" --help
		[ "$status" -eq 0 ] || { echo "$p --help: exit $status"; return 1; }
		[[ "$output" == usage:* ]] || { echo "$p --help: $output"; return 1; }
	done
}

@test "every program prints its version" {
	for p in $(programs); do
		run "$DA_BIN/$p" --version
		[ "$status" -eq 0 ] || { echo "$p --version: exit $status"; return 1; }
		[[ "$output" == "$p (dev-agents) "[0-9]* ]] || { echo "$p: $output"; return 1; }
	done
}

@test "every program rejects an unknown option with one line and exit 2" {
	for p in $(programs); do
		run --separate-stderr "$DA_BIN/$p" --no-such-option
		[ "$status" -eq 2 ] || { echo "$p: exit $status"; return 1; }
		[ -z "$output" ] || { echo "$p wrote to stdout: $output"; return 1; }
		output=$stderr assert_one_error_line "$p"
		[[ "$stderr" == *"--no-such-option"* ]] || { echo "$p: $stderr"; return 1; }
	done
}

@test "every program has a man page" {
	for p in $(programs); do
		[ -f "$REPO_ROOT/docs/$p.1" ] || { echo "no docs/$p.1"; return 1; }
		run man -l "$REPO_ROOT/docs/$p.1"
		[ "$status" -eq 0 ] || { echo "docs/$p.1 does not render"; return 1; }
	done
}
