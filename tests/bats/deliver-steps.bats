#!/usr/bin/env bats
# da-run's delivery steps in detail: the PR's body, the merge and its one
# retry when the forge refuses, the issue comment's outcome and link, a
# merge that landed before a crash, the reviewer's usage window, and what
# the issue shows when an agent stage fails. The local forge for most; the
# fake GitHub server for get_pr and an injected 409.
load helpers
load pipeline_helpers

WRITER_TOKEN=ghp_writerTOKEN0123456789abcdef
REVIEW_TOKEN=ghp_reviewerTOKEN9876543210fedcba

setup() {
	da_setup
	pipeline_env
	pipeline_origin
	mkdir -p "$DA_HOME/projects"
	PROJECT="$DA_HOME/projects/demo.yaml"
	printf 'repo: me/demo\nforge: local\nremote: %s\ncommands:\n  test: %s\n' \
		"$ORIGIN" "$BATS_TEST_TMPDIR/run-tests" >"$PROJECT"
	cat >"$BATS_TEST_TMPDIR/rules" <<'R'
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	printf '%s\n' '{"verdict": "APPROVE", "summary": "Adds sum.", "findings": []}' >"$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$BATS_TEST_TMPDIR/approve"
	LF="$DA_HOME/data/local-forge/me+demo"
	mkdir -p "$LF/issues"
	printf 'number: 42\ntitle: Add sum\nbody: ""\nstate: open\n' >"$LF/issues/42.yaml"
	da-enqueue --project demo --issue 42 --title "Add sum" >/dev/null
	mkdir -p "$DA_QUEUE/active/demo"
	mv "$DA_QUEUE"/pending/demo/*.yaml "$DA_QUEUE/active/demo/"
	TASK=$(ls "$DA_QUEUE"/active/demo/*.yaml)
	NAME=$(basename "$TASK" .yaml)
	RUNS="$DA_HOME/data/runs/demo/$NAME"
}

teardown() {
	if [ -n "${FAKE:-}" ]; then
		curl -s -X POST "$FAKE/__shutdown" >/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# A field of a local-forge YAML record.
field() { # file key
	python3 -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))[sys.argv[2]]; print(v if not isinstance(v, list) else " ".join(v))' "$1" "$2"
}

# The one PR of the local forge (issues and PRs share one number sequence).
pr_file() { ls "$LF"/prs/*.yaml; }
pr_num() { basename "$(pr_file)" .yaml; }

step_status() { grep -A1 "name: $1\$" "$RUNS/state.yaml" | sed -n 's/.*status: //p'; }

# Make a step run again on the next da-run, as after a crash inside it.
reopen() { # step status
	sed -i "/name: $1\$/,+1s/status: .*/status: $2/" "$RUNS/state.yaml"
}

move_main() { # file content
	(cd "$BATS_TEST_TMPDIR/seed" && git pull -q origin main && printf '%s\n' "$2" >"$1" && git add "$1" &&
		git -c user.name=t -c user.email=t@t commit -qm "main: $1" && git push -q origin HEAD:main)
}

@test "the PR body has the summary, Closes, a capped spec excerpt, the gate results, the review and the cost" {
	spec=""
	for i in $(seq 1 60); do spec="$spec\\nspec line $i"; done
	printf 'Design success SPEC.md=# Sum%s\nImplement success sum.txt=a+b\nQA success test_sum.txt=sum(1,2)==3\n' \
		"$spec" >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	field "$(pr_file)" body >"$BATS_TEST_TMPDIR/body"
	cat "$BATS_TEST_TMPDIR/body"
	grep -q "Add sum" "$BATS_TEST_TMPDIR/body"
	grep -qx "Closes #42" "$BATS_TEST_TMPDIR/body"
	grep -q "^- [0-9a-f]\{12\} " "$BATS_TEST_TMPDIR/body"          # the branch's commits
	grep -qx "### Spec (excerpt)" "$BATS_TEST_TMPDIR/body"
	grep -qx "spec line 39" "$BATS_TEST_TMPDIR/body"
	run ! grep -qx "spec line 45" "$BATS_TEST_TMPDIR/body"
	grep -q "first 40 lines" "$BATS_TEST_TMPDIR/body"
	grep -q "^| verify | test | .* passed | [0-9.]* s |" "$BATS_TEST_TMPDIR/body"
	grep -q "^| verify-qa | test | .* passed |" "$BATS_TEST_TMPDIR/body"
	grep -qx "### Pre-push review" "$BATS_TEST_TMPDIR/body"
	grep -q "Adds sum." "$BATS_TEST_TMPDIR/body"
	grep -q "^[0-9]* turns, \$[0-9.]*, " "$BATS_TEST_TMPDIR/body"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/body")" -lt 60000 ]
}

@test "the PR body's gate table says when a gate passed only after a fix round" {
	printf '#!/bin/sh\nif [ "$(cat sum.txt)" = "a+b" ]; then echo "1 passed"; else echo "sum is wrong"; exit 1; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	cat >"$DA_FAKE_RULES" <<'R'
wrong success sum.txt=a+b
Design success SPEC.md=the spec
Implement success sum.txt=a-b
QA success test_sum.txt=sum(1,2)==3
R
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	field "$(pr_file)" body >"$BATS_TEST_TMPDIR/body"
	grep "^| verify |" "$BATS_TEST_TMPDIR/body"
	grep -q "^| verify | test | .* passed | [0-9.]* s | run 2, after 1 fix round(s): exit 0" "$BATS_TEST_TMPDIR/body"
	grep -q "^| verify-qa | test | .* passed | [0-9.]* s | exit 0" "$BATS_TEST_TMPDIR/body"
}

@test "gates that never pass: the draft PR's body says why first, then the gate table with the failed gate" {
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	run da-run "$TASK"
	[ "$status" -eq 1 ]
	[ "$(field "$(pr_file)" draft)" = True ]
	field "$(pr_file)" body >"$BATS_TEST_TMPDIR/body"
	cat "$BATS_TEST_TMPDIR/body"
	head -1 "$BATS_TEST_TMPDIR/body" | grep -q "^\*\*The pipeline failed:\*\* .*no tests ran"
	grep -qx "Closes #42" "$BATS_TEST_TMPDIR/body"
	grep -q "^| verify | test | .* failed | [0-9.]* s | run 3, after 2 fix round(s): exit 0 but no tests ran" "$BATS_TEST_TMPDIR/body"
	grep -q "^[0-9]* turns, " "$BATS_TEST_TMPDIR/body"
}

@test "a review longer than its cap is cut in the PR body, and said so" {
	# a multi-byte character (3 bytes, after "x") so a byte cap lands inside one
	long=$(for _ in $(seq 10000); do printf 'x€'; done)
	printf '{"verdict": "APPROVE", "summary": "%s", "findings": []}\n' "$long" >"$BATS_TEST_TMPDIR/approve"
	run da-run "$TASK"
	echo "${output:0:2000}"
	[ "$status" -eq 0 ]
	[ "$(wc -c <"$RUNS/REVIEW.md")" -gt 40000 ]
	field "$(pr_file)" body >"$BATS_TEST_TMPDIR/body"
	grep -q "the review is longer; the whole of it is REVIEW.md" "$BATS_TEST_TMPDIR/body"
	# cut between characters: 20 KiB of the summary kept, valid UTF-8
	[ "$(grep -o 'x€' "$BATS_TEST_TMPDIR/body" | wc -l)" -gt 5000 ]
	iconv -f UTF-8 -t UTF-8 "$(pr_file)" >/dev/null
	[ "$(wc -c <"$BATS_TEST_TMPDIR/body")" -lt 30000 ]
	grep -qx "Closes #42" "$BATS_TEST_TMPDIR/body"
}

@test "merged: the issue comment says so with the PR's link, and a resumed comment step does not post twice" {
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	[ "$(cat "$RUNS/merge-outcome")" = merged ]
	[ "$(cat "$RUNS/pr-url")" = "file://$(pr_file)" ]
	grep -q "pull request #$(pr_num) merged: file://$(pr_file)" "$LF/comments/42.log"
	# a crash after the comment was posted, before its checkpoint
	reopen comment running
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	[ "$(grep -c "pull request #" "$LF/comments/42.log")" -eq 1 ]
}

@test "merge: leave-open: the comment says the PR was left open and why" {
	echo "merge: leave-open" >>"$PROJECT"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field "$(pr_file)" merged)" = False ]
	grep -q "pull request #$(pr_num) not merged, left open: file://" "$LF/comments/42.log"
	grep -q "Why: the project says merge: leave-open" "$LF/comments/42.log"
}

@test "the review still requests changes after the last round: left open, the comment says why" {
	printf 'review_rounds: 0\n' >>"$PROJECT"
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "Wrong op.", "findings": [{"severity": "major", "file": "sum.txt", "line": 1, "message": "use minus"}]}' \
		>"$BATS_TEST_TMPDIR/approve"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field "$(pr_file)" merged)" = False ]
	grep -q "Why: the pre-push review still requests changes" "$LF/comments/42.log"
}

@test "a merge that landed before a crash is read from the forge: merged, not merged twice, the comment says merged" {
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	commits=$(git -C "$ORIGIN" rev-list --count main)
	# the crash: merge and comment not checkpointed, nothing recorded, no comment yet
	reopen merge running
	reopen comment pending
	rm "$RUNS/merge-outcome" "$LF/comments/42.log"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$RUNS/merge-outcome")" = merged ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq "$commits" ]
	grep -q "pull request #$(pr_num) merged" "$LF/comments/42.log"
}

# The first run leaves the PR open; main then moves with a change to the
# same file, and the merge is resumed with merge: auto.
resume_merge_after_main_moved() {
	echo "merge: leave-open" >>"$PROJECT"
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	sed -i '/^merge: leave-open$/d' "$PROJECT"
	move_main sum.txt "main's sum"
	reopen merge running
	reopen comment pending
	rm -f "$LF/comments/42.log"
}

@test "the forge refuses the merge (409, main moved): rebase, the implementer resolves, gates again, push, merged" {
	resume_merge_after_main_moved
	printf 'Conflicting success sum.txt=a+b (merged with main)\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(step_status merge-retry)" = "done" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b (merged with main)" ]
	[ "$(field "$(pr_file)" merged)" = True ]
	grep -q "sum.txt" "$RUNS/07-merge-retry.prompt.md"
	# the rebased branch went through the last gate again before the push
	grep -A12 "name: verify-qa\$" "$RUNS/summary.yaml" | grep -q "runs: 2"
	grep -q "pull request #$(pr_num) merged" "$LF/comments/42.log"
}

@test "the forge refuses the merge and the retry cannot resolve it: PR left open, the comment says why, the task succeeds" {
	resume_merge_after_main_moved
	printf 'Conflicting success notes.txt=did nothing\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not merged: the forge refused the merge (409"* ]]
	[ "$(step_status merge-retry)" = failed ]
	[ "$(field "$(pr_file)" merged)" = False ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "main's sum" ]
	grep -q "not merged, left open" "$LF/comments/42.log"
	grep -q "Why: the forge refused the merge (409.*conflicts not resolved" "$LF/comments/42.log"
	# resumed again: the one retry is not repeated
	reopen merge running
	reopen comment pending
	run da-run "$TASK"
	[ "$status" -eq 0 ]
	[ "$(grep -c "merge-retry" "$RUNS/state.yaml")" -eq 1 ]
	[ ! -e "$RUNS/07-merge-retry-2.prompt.md" ]
	grep -q "also after the one rebase" "$RUNS/merge-outcome"
}

@test "a usage window inside the merge retry's conflict resolution: 75, nothing half-resolved pushed; resumed, the retry is done again and merges" {
	resume_merge_after_main_moved
	pushed=$(git -C "$ORIGIN" rev-parse dev-agents/42-add-sum)
	printf 'Conflicting usage_window\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 75 ]
	grep -q "^not_before: [0-9]\{4\}-" "$TASK"
	[ "$(step_status merge-retry)" = running ]
	[ "$(git -C "$ORIGIN" rev-parse dev-agents/42-add-sum)" = "$pushed" ]
	# the workspace holds no conflict markers, committed or not
	WS="$DA_HOME/data/work/demo/$NAME"
	[ "$(git -C "$WS" show HEAD:sum.txt)" = "a+b" ]
	[ -z "$(git -C "$WS" status --porcelain)" ]
	[ ! -e "$RUNS/restack-pending" ]
	sed -i '/^not_before:/d' "$TASK"
	printf 'Conflicting success sum.txt=a+b (merged with main)\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(step_status merge-retry)" = "done" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b (merged with main)" ]
	grep -q "pull request #$(pr_num) merged" "$LF/comments/42.log"
}

@test "a run killed inside a conflict resolution: the next run undoes the half-done resolution instead of committing its markers" {
	resume_merge_after_main_moved
	printf 'Conflicting usage_window\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	[ "$status" -eq 75 ]
	# what a SIGKILL during the implementer's resolution leaves (da_git_restack's
	# layout): the branch on main, the change over it with markers, restack-pending
	WS="$DA_HOME/data/work/demo/$NAME"
	saved=refs/dev-agents/pre-restack/dev-agents/42-add-sum
	git -C "$WS" update-ref "$saved" HEAD
	git -C "$WS" reset -q --hard origin/main
	git -C "$WS" checkout -q "$saved" -- SPEC.md test_sum.txt
	git -C "$WS" reset -q
	printf '<<<<<<< ours\nmain\n=======\nours\n>>>>>>> theirs\n' >"$WS/sum.txt"
	echo 1 >"$RUNS/restack-pending"
	sed -i '/^not_before:/d' "$TASK"
	printf 'Conflicting success sum.txt=a+b (merged with main)\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"did not finish: starting the rebase over"* ]]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b (merged with main)" ]
	[ "$(git -C "$ORIGIN" log -p main -- sum.txt | grep -c '<<<<<<<')" -eq 0 ]
}

@test "a run killed after the merge retry's push: the resumed merge takes the pushed head, the retry is not done again" {
	resume_merge_after_main_moved
	# the retry's resolution and push happened (by hand here), then the kill
	(cd "$BATS_TEST_TMPDIR/seed" && git fetch -q origin && git checkout -q -B resolved origin/main &&
		git checkout -q origin/dev-agents/42-add-sum -- SPEC.md test_sum.txt && echo "a+b (by hand)" >sum.txt &&
		git add -A && git -c user.name=t -c user.email=t@t commit -qm resolved &&
		git push -q -f origin HEAD:dev-agents/42-add-sum)
	printf -- '- name: merge-retry\n  status: running\n' >>"$RUNS/state.yaml"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(step_status merge-retry)" = "done" ]
	[ ! -e "$RUNS/07-merge-retry.prompt.md" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b (by hand)" ]
	grep -q "pull request #$(pr_num) merged" "$LF/comments/42.log"
}

@test "the reviewer's usage window ends the task with 75 and a not_before, no failure comment" {
	printf 'REQUEST_CHANGES usage_window\n' >"$BATS_TEST_TMPDIR/review-rule"
	cat "$BATS_TEST_TMPDIR/review-rule" "$DA_FAKE_RULES" >"$BATS_TEST_TMPDIR/rules2"
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules2"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 75 ]
	grep -q "^not_before: [0-9]\{4\}-" "$TASK"
	[ "$(step_status review)" = failed ]
	[ ! -e "$LF/comments/42.log" ]
	[ ! -d "$LF/prs" ] || [ -z "$(ls "$LF/prs")" ]
}

@test "an agent stage fails before any commit: the issue gets a comment with the reason, no PR" {
	printf 'Design max_turns\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "the pipeline failed" "$LF/comments/42.log"
	grep -qi "turns" "$LF/comments/42.log"
	[ ! -d "$LF/prs" ] || [ -z "$(ls "$LF/prs")" ]
}

@test "an agent stage fails after work was committed: draft PR labelled pipeline-failed and a comment" {
	printf 'Design success SPEC.md=the spec\nImplement success sum.txt=a+b\nQA max_turns\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(field "$(pr_file)" draft)" = True ]
	[[ "$(field "$(pr_file)" labels)" == *pipeline-failed* ]]
	git -C "$ORIGIN" show "$(field "$(pr_file)" head):sum.txt"
	grep -q "the pipeline failed; draft pull request #$(pr_num)" "$LF/comments/42.log"
}

@test "a used-up usage window in an agent stage posts nothing: the task is retried" {
	printf 'Design usage_window\n' >"$DA_FAKE_RULES"
	run da-run "$TASK"
	[ "$status" -eq 75 ]
	[ ! -e "$LF/comments/42.log" ]
}

# ---- the fake GitHub server ----

forge_cli() {
	case "$DA_BIN" in
	*/build/san/bin) echo "${DA_BIN%/bin}/tests/forge_cli" ;;
	*) echo "$REPO_ROOT/build/release/tests/forge_cli" ;;
	esac
}

start_fake() { # [--gitea]
	node "$TESTS_DIR/fakes/github-server.js" --port-file "$BATS_TEST_TMPDIR/port" --parent $$ \
		--tokens "$WRITER_TOKEN=writer-bot,$REVIEW_TOKEN=review-bot" "$@" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 300); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	FAKE="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export DA_GITHUB_API=$FAKE
	export DA_GITHUB_TOKEN=$WRITER_TOKEN DA_REVIEW_TOKEN=$REVIEW_TOKEN DA_HTTP_BACKOFF_MS=20
	ctl POST /__repo "{\"full_name\":\"octo/demo\",\"default_branch\":\"main\",\"bare\":\"$ORIGIN\"}" >/dev/null
}

ctl() { curl -sf -X "$1" "$FAKE$2" ${3:+-d "$3"}; }

assert_no_violations() {
	run ctl GET /__violations
	[ "$output" = "[]" ] || { echo "violations: $output"; return 1; }
}

state() { ctl GET /__state | node -e "const s=JSON.parse(require('fs').readFileSync(0));console.log($1)"; }

@test "get_pr reads a PR whatever its state (merged: find_pr no longer sees it) on GitHub and Gitea; none for an unknown number" {
	git clone -q "$ORIGIN" "$BATS_TEST_TMPDIR/w"
	(cd "$BATS_TEST_TMPDIR/w" && git checkout -q -b feature && echo hi >f.txt && git add f.txt &&
		git -c user.name=t -c user.email=t@t commit -qm feat && git push -q origin feature)
	FC=$(forge_cli)
	for face in github gitea; do
		if [ "$face" = gitea ]; then
			curl -s -X POST "$FAKE/__shutdown" >/dev/null; wait "$FAKE_PID" 2>/dev/null || true
			rm -f "$BATS_TEST_TMPDIR/port"
			start_fake --gitea
			args=(-k gitea -a "$FAKE")
		else
			start_fake
			args=()
		fi
		ctl POST /__issue '{"repo":"octo/demo","title":"Add f"}' >/dev/null
		run "$FC" "${args[@]}" -r octo/demo create-pr "Add f" feature main "body"
		[ "$status" -eq 0 ]
		n=$(printf '%s\n' "$output" | sed -n 's/^number=//p')
		run "$FC" "${args[@]}" -r octo/demo get-pr "$n"
		[ "$status" -eq 0 ]
		[[ "$output" == *"merged=0"* && "$output" == *"state=open"* ]]
		run "$FC" "${args[@]}" -r octo/demo merge "$n" "Add f" ""
		echo "$output"
		[ "$status" -eq 0 ]
		run "$FC" "${args[@]}" -r octo/demo find-pr feature
		[ "$output" = none ]
		run "$FC" "${args[@]}" -r octo/demo get-pr "$n"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"merged=1"* && "$output" == *"state=closed"* ]]
		run "$FC" "${args[@]}" -r octo/demo get-pr 99
		[ "$status" -eq 0 ]
		[ "$output" = none ]
		[ "$face" = gitea ] || assert_no_violations
	done
}

# A project on the fake GitHub whose remote is the bare repo the fake merges into.
github_project() {
	start_fake
	printf 'repo: octo/demo\nforge: github\nremote: %s\ncommands:\n  test: %s\n' \
		"$ORIGIN" "$BATS_TEST_TMPDIR/run-tests" >"$PROJECT"
	ctl POST /__issue '{"repo":"octo/demo","title":"Add sum","number":42}' >/dev/null
}

comments_on_42() { state 's.repos["octo/demo"].comments.filter(c => c.number == 42).map(c => c.body).join("\n---\n")'; }

@test "github: a 409 on the merge gets one retry (rebase, verify, push, merge expecting the head) and merges" {
	github_project
	ctl POST /__inject '{"path":"/pulls/[0-9]+/merge$","status":409,"body":{"message":"Head branch was modified. Review and try the merge again."}}' >/dev/null
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(step_status merge-retry)" = "done" ]
	[ "$(cat "$RUNS/merge-outcome")" = merged ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b" ]
	[ "$(state 's.repos["octo/demo"].merges.length')" -eq 1 ]
	run comments_on_42
	echo "$output"
	[[ "$output" == *"pull request #"*" merged: http"* ]]
	assert_no_violations
}

@test "github: the merge refused again after the retry leaves the PR open; the comment says why; exit 0" {
	github_project
	ctl POST /__inject '{"path":"/pulls/[0-9]+/merge$","status":405,"count":2,"body":{"message":"Pull Request is not mergeable"}}' >/dev/null
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(step_status merge-retry)" = "done" ]
	grep -q "not merged: the forge refused the merge (405" "$RUNS/merge-outcome"
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	run comments_on_42
	echo "$output"
	[[ "$output" == *"not merged, left open: http"* ]]
	[[ "$output" == *"Why: the forge refused the merge (405: not mergeable), also after a rebase and re-verify"* ]]
	assert_no_violations
}

@test "github: a task failing in the comment step after its PR merged opens no draft PR for the merged branch" {
	github_project
	ctl POST /__inject '{"path":"/issues/42/comments$","status":500,"count":1000}' >/dev/null
	run da-run "$TASK"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step comment"* ]]
	[ "$(cat "$RUNS/merge-outcome")" = merged ]
	[ "$(state 's.repos["octo/demo"].issues.filter(i => i.pr).length')" -eq 1 ]
	[ "$(state 's.repos["octo/demo"].merges.length')" -eq 1 ]
	[ "$(state 's.repos["octo/demo"].labels.filter(l => l.name == "pipeline-failed").length')" -eq 0 ]
	assert_no_violations
}
