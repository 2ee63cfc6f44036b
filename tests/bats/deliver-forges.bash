# Helpers for deliver-forges.bats: a whole pipeline through da-process on
# the github or gitea forge, the forge being the fake server
# (tests/fakes/github-server.js) whose repository is a local bare repo.

WRITER_TOKEN=ghp_writerDELIVER0123456789abcdef
REVIEW_TOKEN=ghp_reviewerDELIVER9876543210fedc
ISSUE=7
BRANCH=dev-agents/7-add-sum

# df_setup github|gitea: a private queue and home, the fake forge with
# octo/demo backed by $ORIGIN (main: one commit), issue #7 on it, and the
# project demo pointing at both.
df_setup() {
	KIND=$1
	da_setup
	pipeline_env
	pipeline_origin
	pipeline_agents
	export DA_HTTP_BACKOFF_MS=20 DA_HTTP_TIMEOUT_MS=20000
	export DA_FAKE_LOG="$BATS_TEST_TMPDIR/agent-calls.jsonl"
	export DA_GITHUB_TOKEN=$WRITER_TOKEN DA_REVIEW_TOKEN=$REVIEW_TOKEN

	start_fake
	mkdir -p "$DA_HOME/projects"
	cat >"$DA_HOME/projects/demo.yaml" <<Y
repo: octo/demo
forge: $KIND
api_url: $FAKE
remote: $ORIGIN
default_branch: main
commands:
  test: $BATS_TEST_TMPDIR/run-tests
Y
}

start_fake() {
	local gitea=()
	[ "$KIND" = gitea ] && gitea=(--gitea)
	node "$TESTS_DIR/fakes/github-server.js" --port-file "$BATS_TEST_TMPDIR/port" --parent $$ \
		--tokens "$WRITER_TOKEN=writer-bot,$REVIEW_TOKEN=review-bot" "${gitea[@]}" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 400); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
	FAKE="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	ctl POST /__repo "{\"full_name\":\"octo/demo\",\"default_branch\":\"main\",\"bare\":\"$ORIGIN\"}" >/dev/null
	ctl POST /__issue "{\"repo\":\"octo/demo\",\"number\":$ISSUE,\"title\":\"Add sum\",\"body\":\"Add a sum.\",\"labels\":[\"dev-agents\"]}" >/dev/null
}

df_teardown() {
	if [ -n "${FAKE:-}" ]; then
		curl -s -X POST "$FAKE/__shutdown" >/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

ctl() { curl -sf -X "$1" "$FAKE$2" ${3:+-d "$3"}; }

# q 'jq filter' over the fake's /__state, with $r the repository
# octo/demo, $prs its pull requests, $n the first one's number and $ic the
# comments on the issue
q() {
	ctl GET /__state | jq -r --argjson issue "$ISSUE" '.repos["octo/demo"] as $r
		| [$r.issues[] | select(.pr)] as $prs | ($prs[0].number // 0) as $n
		| [$r.comments[] | select(.number == $issue)] as $ic | '"$1"
}

# The task: on github from the webhook GitHub sends when the issue gets
# its label (a real recorded payload, made about octo/demo#7; da-enqueue
# finds the project by its repo:), on gitea by hand.
enqueue_issue() {
	if [ "$KIND" = gitea ]; then
		da-enqueue --project demo --issue "$ISSUE" --title "Add sum" >/dev/null
		return
	fi
	jq --argjson n "$ISSUE" '[.[] | select(.name == "issues").examples[] | select(.action == "labeled")][0]
		| .repository.full_name = "octo/demo" | .repository.name = "demo"
		| .issue.number = $n | .issue.title = "Add sum" | .issue.body = "Add a sum."
		| .issue.labels = [{"name": "dev-agents"}] | .label.name = "dev-agents"' \
		"$TESTS_DIR/node_modules/@octokit/webhooks-examples/api.github.com/index.json" >"$BATS_TEST_TMPDIR/event.json"
	run da-enqueue --event "$BATS_TEST_TMPDIR/event.json"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == "queued octo/demo#$ISSUE as pending/demo/"* ]] || { echo "$output"; return 1; }
}

process_once() {
	run da-process --once
	echo "$output"
}

task_in() { # STATE: the task file is in that queue state
	[ "$(find "$DA_QUEUE/$1/demo" -name '*.yaml' 2>/dev/null | wc -l)" -eq 1 ]
}

assert_no_violations() {
	run ctl GET /__violations
	[ "$output" = "[]" ] || { echo "violations: $output"; return 1; }
}

# The one PR: head is the task branch, against main, opened by the writer.
assert_one_pr() {
	[ "$(q '$prs | length')" -eq 1 ] || { echo "PRs: $(q '$prs')"; return 1; }
	[ "$(q '$prs[0].pr.head')" = "$BRANCH" ]
	[ "$(q '$prs[0].pr.base')" = main ]
	[ "$(q '$prs[0].user')" = writer-bot ]
}

# Merged by the writer as one squash commit on main holding the work
# (sum.txt is $1, default a+b).
assert_merged() {
	[ "$(q '$prs[0].pr.merged')" = true ]
	[ "$(q '$r.merges | length')" -eq 1 ]
	[ "$(q '$r.merges[0].user')" = writer-bot ]
	[ "$(q '$r.merges[0].method')" = squash ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 2 ]
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$(q '$r.merges[0].sha')" ]
	[ "$(git -C "$ORIGIN" log -1 --format=%P main | wc -w)" -eq 1 ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "${1:-a+b}" ]
	git -C "$ORIGIN" cat-file -e main:test_sum.txt
}

# Every review on the PR is the reviewer's, never the writer's; the last
# one approves.
assert_reviewed_by_reviewer() {
	[ "$(q '$r.reviews | length')" -ge 1 ]
	[ "$(q 'all($r.reviews[]; .user.login == "review-bot")')" = true ]
	[ "$(q '$r.reviews[-1].state')" = APPROVED ]
	[ "$(q '$r.reviews[-1].number')" = "$(q '$prs[0].number')" ]
}

# The last review's inline comments: path:line of each.
inline_comments() {
	q '$r.reviews[-1].comments | map("\(.path):\(.line // .new_position)") | join(" ")'
}

# Exactly one writer comment on the issue, and it names the PR.
assert_issue_commented() {
	[ "$(q '$ic | length')" -eq 1 ]
	[ "$(q '$ic[0].user.login')" = writer-bot ]
	[ "$(q '$ic[0].body | test("#\($n)\\b")')" = true ]
}

# No token in anything the run left: run records, queue, agent calls, and
# no token variable in an agent's environment.
assert_no_token_leak() {
	local hits
	hits=$(grep -rlF -e "$WRITER_TOKEN" -e "$REVIEW_TOKEN" "$DA_HOME/data" "$DA_QUEUE" \
		"$BATS_TEST_TMPDIR/agent-calls.jsonl" 2>/dev/null || true)
	[ -z "$hits" ] || { echo "token found in: $hits"; return 1; }
	[ -s "$BATS_TEST_TMPDIR/agent-calls.jsonl" ]
	run grep -E '"(DA_GITHUB_TOKEN|DA_REVIEW_TOKEN|GH_TOKEN|GITHUB_TOKEN)"' "$BATS_TEST_TMPDIR/agent-calls.jsonl"
	[ "$status" -eq 1 ]
}

# Open, a draft (Gitea has no draft flag: its drafts are "WIP:" titles),
# labelled pipeline-failed, that label made on the repository; nothing
# merged.
assert_failed_draft() {
	[ "$(q '$prs[0].state')" = open ]
	if [ "$KIND" = gitea ]; then
		[ "$(q '$prs[0].title | test("^WIP:"; "i")')" = true ]
	else
		[ "$(q '$prs[0].pr.draft')" = true ]
	fi
	[ "$(q '$prs[0].labels | join(",")')" = pipeline-failed ]
	[ "$(q 'any($r.labels[]; .name == "pipeline-failed")')" = true ]
	# made on the repository by us (not only by GitHub adding an unknown one)
	requests_made | grep -qx 'POST /repos/octo/demo/labels'
	[ "$(q '$r.merges | length')" -eq 0 ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
}

# API requests the client made, "METHOD path" (no query, no /api/v1).
requests_made() {
	ctl GET /__requests | jq -r '.[] | "\(.method) \(.path | sub("^/api/v1"; "") | sub("[?].*"; ""))"'
}

# wait_for CMD...: poll until CMD succeeds; fail after WAIT_S (60) s.
wait_for() {
	local deadline=$((SECONDS + ${WAIT_S:-60}))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
		sleep 0.05
	done
}

request_seen() { # METHOD PATH-REGEX
	requests_made | grep -qE "^$1 $2\$"
}

# crash_after METHOD PATH-REGEX: run da-process once; the forge carries
# out the first such request but holds its answer back, and da-run is
# killed (SIGKILL) right then, as a crash or a power cut would. The task
# is back in pending, the forge has acted, da-run never heard.
crash_after() {
	ctl POST /__inject "{\"path\":\"$2\",\"method\":\"$1\",\"hold_ms\":600000}" >/dev/null
	da-process --once >"$BATS_TEST_TMPDIR/crashed.out" 2>&1 &
	local proc=$! runner
	runner=$(descendant "$proc" da-run)
	wait_for request_seen "$1" "$2"
	kill -KILL "$runner"
	wait "$proc" || true
	cat "$BATS_TEST_TMPDIR/crashed.out"
	task_in pending
}
