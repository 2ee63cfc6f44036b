# Shared set-up for the program tests: a private queue and home per test,
bats_require_minimum_version 1.5.0
# the programs under test first on PATH.
: "${DA_BIN:?}"
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$TESTS_DIR/.." && pwd)
export TESTS_DIR REPO_ROOT

da_setup() {
	export DA_QUEUE="$BATS_TEST_TMPDIR/queue"
	export DA_HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$DA_HOME"
	export PATH="$DA_BIN:$TESTS_DIR/fakes:$PATH"
	export NO_COLOR=1
	unset DA_RUNNER DA_GITHUB_TOKEN GH_TOKEN GITHUB_TOKEN DA_REVIEW_TOKEN
}

# Every task file in the queue, one "state/project/name" per line.
queue_files() {
	(cd "$DA_QUEUE" 2>/dev/null && find pending active completed failed -name '*.yaml' 2>/dev/null | sort)
}

# A single line on stderr, prefixed with the program name.
assert_one_error_line() { # $1 = program
	local lines
	lines=$(printf '%s\n' "$output" | grep -c .)
	[ "$lines" -eq 1 ] || { echo "expected one line, got: $output"; return 1; }
	[[ "$output" == "$1: "* ]] || { echo "not prefixed with $1: $output"; return 1; }
}
