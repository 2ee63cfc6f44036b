#!/usr/bin/env bats
# The README's first command must stay true: the demo runs the main job
# on the sample project and leaves a completed task.
load helpers

setup() { da_setup; }

@test "the quick-start demo completes the sample task" {
	# the demo puts $top/bin first on PATH; point it at the build under test
	mkdir -p "$BATS_TEST_TMPDIR/top/bin" "$BATS_TEST_TMPDIR/top/workflows"
	cp -R "$REPO_ROOT/workflows/sample" "$BATS_TEST_TMPDIR/top/workflows/"
	for p in "$DA_BIN"/da-*; do ln -s "$p" "$BATS_TEST_TMPDIR/top/bin/"; done
	DEMO_DIR="$BATS_TEST_TMPDIR/demo" run "$BATS_TEST_TMPDIR/top/workflows/sample/demo"
	[ "$status" -eq 0 ]
	[[ "$output" == *"queued sample/greet#1"* ]]
	run find "$BATS_TEST_TMPDIR/demo/queue/completed/greet" -name '*.yaml'
	[ "${#lines[@]}" -eq 1 ]
	run find "$BATS_TEST_TMPDIR/demo/queue/failed" -name '*.yaml'
	[ -z "$output" ]
}
