#!/usr/bin/env bats
# Whole pipelines through da-process on the github and gitea forges (the
# fake server over a local bare repo): success, review asks for changes,
# gates never pass, a crash after the PR was created. Each scenario runs
# once per forge.
load helpers
load pipeline_helpers
load deliver-forges

teardown() { df_teardown; }

success() {
	df_setup "$1"
	if [ "$1" = github ]; then
		# the other way to point at a GitHub: the environment, no api_url
		sed -i '/^api_url: /d' "$DA_HOME/projects/demo.yaml"
		export DA_GITHUB_API=$FAKE
	else
		# the writer's token under the gh CLI's name
		unset DA_GITHUB_TOKEN
		export GH_TOKEN=$WRITER_TOKEN
	fi
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	[ "$(inline_comments)" = sum.txt:1 ]
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: an issue's task ends in a squash-merged PR, reviewed by the reviewer, the issue commented" {
	success github
}

@test "gitea: an issue's task ends in a squash-merged PR, reviewed by the reviewer, the issue commented" {
	success gitea
}

review_changes_then_approve() {
	df_setup "$1"
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "Wrong op.", "findings": [{"severity": "major", "file": "sum.txt", "line": 1, "message": "use plus-sign-fixed"}]}' \
		>"$BATS_TEST_TMPDIR/changes"
	cat >"$DA_FAKE_RULES" <<'R'
plus-sign-fixed success sum.txt=a+b fixed
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	# claude calls: design, implement, qa, review 1, fix, review 2
	local a="$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$a,$a,$a,$BATS_TEST_TMPDIR/changes,$a,$a"
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	# the fix went through the gates again before the PR
	grep -rqx "verdict: REQUEST_CHANGES" "$DA_HOME"/data/runs/demo/*/review-1/review.yaml
	grep -rqx "verdict: APPROVE" "$DA_HOME"/data/runs/demo/*/review-2/review.yaml
	[ "$(git -C "$ORIGIN" log -1 --format=%s "$BRANCH")" = "fix: address review findings" ]
	assert_one_pr
	assert_merged "a+b fixed"
	# the pre-push rounds stay local: the PR gets the final verdict only
	[ "$(q '$r.reviews | length')" -eq 1 ]
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: review requests changes, the implementer fixes them, the PR is merged with the fix" {
	review_changes_then_approve github
}

@test "gitea: review requests changes, the implementer fixes them, the PR is merged with the fix" {
	review_changes_then_approve gitea
}

gates_never_pass() {
	df_setup "$1"
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in failed
	# the branch is pushed and a draft PR shows it
	git -C "$ORIGIN" rev-parse -q --verify "$BRANCH"
	assert_one_pr
	assert_failed_draft
	[ "$(q '$r.reviews | length')" -eq 0 ]
	# the issue is told, with the PR's number and the gate's last lines
	[ "$(q '$ic | length')" -eq 1 ]
	[ "$(q '$ic[0].user.login')" = writer-bot ]
	[ "$(q '$ic[0].body | test("#\($n)\\b")')" = true ]
	[ "$(q '$ic[0].body | contains("0 passed")')" = true ]
	assert_no_violations
	assert_no_token_leak
}

@test "github: gates that never pass leave a draft PR labelled pipeline-failed, the issue told why" {
	gates_never_pass github
}

@test "gitea: gates that never pass leave a draft PR labelled pipeline-failed, the issue told why" {
	gates_never_pass gitea
}

# The run is killed right after the forge created the PR, before da-run
# heard of it; run again, it finds that PR instead of opening a second.
crash_after_pr_created() {
	df_setup "$1"
	enqueue_issue
	crash_after POST '/repos/octo/demo/pulls'
	[ "$(q '$prs | length')" -eq 1 ]
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	[ "$(requests_made | grep -c '^POST /repos/octo/demo/pulls$')" -eq 1 ]
	assert_merged
	assert_reviewed_by_reviewer
	[ "$(q '$r.reviews | length')" -eq 1 ]
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: killed right after the PR was created, the task resumes with that PR and merges it" {
	crash_after_pr_created github
}

@test "gitea: killed right after the PR was created, the task resumes with that PR and merges it" {
	crash_after_pr_created gitea
}

# Killed after the forge merged, before da-run heard: the rerun merges
# nothing twice and still tells the issue.
crash_after_merge() {
	df_setup "$1"
	enqueue_issue
	crash_after "$2" '/repos/octo/demo/pulls/[0-9]+/merge'
	[ "$(q '$prs[0].pr.merged')" = true ]
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	[ "$(q '$r.reviews | length')" -eq 1 ]
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: killed right after the merge, the task completes without merging or reviewing twice" {
	crash_after_merge github PUT
}

@test "gitea: killed right after the merge, the task completes without merging or reviewing twice" {
	crash_after_merge gitea POST
}

@test "github: the failure comment and the draft PR carry the failing gate's last lines, not an agent's log" {
	df_setup github
	printf '#!/bin/sh\necho "0 passed"\necho "gate-tail: sum.txt is missing"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_issue
	process_once
	task_in failed
	[ "$(q '$ic[0].body | contains("gate-tail: sum.txt is missing")')" = true ]
	[ "$(q '$ic[0].body | contains("session_id")')" = false ]
	[ "$(q '$prs[0].body | contains("gate-tail: sum.txt is missing")')" = true ]
	[ "$(q '$prs[0].body | contains("session_id")')" = false ]
}

# The issue is queued again after the failure and the gates pass now: the
# failed attempt's draft PR is the task's PR; it must be made ready for
# review, or the forge refuses to merge a draft.
retried_after_failure() {
	df_setup "$1"
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_issue
	process_once
	task_in failed
	assert_failed_draft
	printf '#!/bin/sh\nif [ -f test_sum.txt ]; then echo "2 passed"; else echo "1 passed"; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	[ "$(q '$prs[0].pr.draft or ($prs[0].title | test("^WIP:"; "i"))')" = false ]
	[ "$(q '$prs[0].title')" = "Add sum" ]
	# no longer labelled failed, and its body is this run's, not the failure's
	[ "$(q '$prs[0].labels | length')" -eq 0 ]
	[ "$(q '$prs[0].body | contains("The pipeline failed")')" = false ]
	[ "$(q '$prs[0].body | contains("Closes #7")')" = true ]
	assert_merged
	assert_reviewed_by_reviewer
	assert_no_violations
	assert_no_token_leak
}

@test "github: an issue queued again after a failure reuses the draft PR, makes it ready and merges it" {
	retried_after_failure github
}

@test "gitea: an issue queued again after a failure reuses the draft PR, makes it ready and merges it" {
	retried_after_failure gitea
}

# The issue is queued again after its PR merged: the implementer changes
# nothing (the work is on main), so there is nothing to deliver: no second
# PR (least of all a failed draft with an empty diff), the issue told why.
queued_again_after_merge() {
	df_setup "$1"
	enqueue_issue
	process_once
	task_in completed
	local main_sha
	main_sha=$(git -C "$ORIGIN" rev-parse main)
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	[ "$(find "$DA_QUEUE/completed/demo" -name '*.yaml' | wc -l)" -eq 2 ]
	assert_one_pr
	assert_merged
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$main_sha" ]
	[ "$(q '$r.reviews | length')" -eq 1 ]
	[ "$(q '$ic | length')" -eq 2 ]
	[ "$(q '$ic[1].body | contains("nothing to deliver")')" = true ]
	[ "$(q '[$ic[].body | select(contains("pipeline failed"))] | length')" -eq 0 ]
	assert_no_violations
	assert_no_token_leak
}

@test "github: the same issue queued again after its PR merged opens no second PR" {
	queued_again_after_merge github
}

@test "gitea: the same issue queued again after its PR merged opens no second PR" {
	queued_again_after_merge gitea
}

@test "github: a long rate limit during delivery puts the task back with not_before; later it resumes with one PR and one review" {
	df_setup github
	ctl POST /__inject '{"path":"/pulls/[0-9]+/reviews$","method":"POST","status":403,"retry_after":3600,"body":{"message":"You have exceeded a secondary rate limit"}}' >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in pending
	local task at
	task=$(find "$DA_QUEUE/pending/demo" -name '*.yaml')
	at=$(sed -n 's/^not_before: //p' "$task")
	[ -n "$at" ]
	# about an hour from now, as the forge said
	[ "$(($(date -d "$at" +%s) - $(date +%s)))" -gt 3000 ]
	[ "$(q '$prs | length')" -eq 1 ]
	[ "$(q '$r.reviews | length')" -eq 0 ]
	# the hour is over
	sed -i '/^not_before: /d' "$task"
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	[ "$(q '$r.reviews | length')" -eq 1 ]
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

forge_requests_logged() {
	df_setup "$1"
	enqueue_issue
	process_once
	task_in completed
	local runs="$DA_HOME/data/runs"
	grep -rqE "http GET (/api/v1)?/repos/octo/demo/pulls[^ ]* 200" "$runs"
	grep -rqE "http POST (/api/v1)?/repos/octo/demo/pulls 201" "$runs"
	grep -rqE "http POST (/api/v1)?/repos/octo/demo/pulls/8/reviews 200" "$runs"
	grep -rqE "http (PUT|POST) (/api/v1)?/repos/octo/demo/pulls/8/merge 200" "$runs"
	grep -rqE "http POST (/api/v1)?/repos/octo/demo/issues/7/comments 201" "$runs"
	assert_no_token_leak
}

@test "github: every forge request of the delivery is in the run record, with its status and no token" {
	forge_requests_logged github
}

@test "gitea: every forge request of the delivery is in the run record, with its status and no token" {
	forge_requests_logged gitea
}

# One bot account only: the forge refuses a verdict on its own PR, so the
# review goes out as a comment review that states the verdict.
one_account() {
	df_setup "$1"
	unset DA_REVIEW_TOKEN
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	grep -q "DA_REVIEW_TOKEN is not set" "$DA_HOME"/data/runs/demo/*/runner.log
	assert_one_pr
	assert_merged
	[ "$(q '$r.reviews | length')" -eq 1 ]
	[ "$(q '$r.reviews[0].user.login')" = writer-bot ]
	[[ "$(q '$r.reviews[0].state')" == COMMENT* ]]
	[ "$(q '$r.reviews[0].body | contains("APPROVE")')" = true ]
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: with one bot account the verdict is posted as a comment review and the PR is merged" {
	one_account github
}

@test "gitea: with one bot account the verdict is posted as a comment review and the PR is merged" {
	one_account gitea
}

# The review never approves: the PR is opened and carries the reviewer's
# REQUEST_CHANGES, it is not merged, and the issue says so.
review_never_approves() {
	df_setup "$1"
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "Still wrong.", "findings": [{"severity": "major", "file": "sum.txt", "line": 1, "message": "wrong operator"}]}' \
		>"$BATS_TEST_TMPDIR/changes"
	local a="$BATS_TEST_TMPDIR/approve" c="$BATS_TEST_TMPDIR/changes"
	# claude calls: design, implement, qa, then review, fix, review, fix, review
	export DA_FAKE_REPLY="$a,$a,$a,$c"
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	assert_one_pr
	[ "$(q '$prs[0].state')" = open ]
	[ "$(q '$r.merges | length')" -eq 0 ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	[ "$(q '$r.reviews | length')" -eq 1 ]
	[ "$(q '$r.reviews[0].user.login')" = review-bot ]
	[[ "$(q '$r.reviews[0].state')" == *CHANGES* ]]
	[ "$(inline_comments)" = sum.txt:1 ]
	assert_issue_commented
	[ "$(q '$ic[0].body | test("not merged"; "i")')" = true ]
	assert_no_violations
	assert_no_token_leak
}

@test "github: a review that never approves leaves the PR open with the reviewer's changes requested" {
	review_never_approves github
}

@test "gitea: a review that never approves leaves the PR open with the reviewer's changes requested" {
	review_never_approves gitea
}

# The forge creates the PR but its answer never arrives in time: the
# client's retried POST meets "already exists" and takes that PR.
pr_answer_lost() {
	df_setup "$1"
	# short enough for a quick test, long enough for a loaded machine
	export DA_HTTP_TIMEOUT_MS=5000
	ctl POST /__inject '{"path":"/repos/octo/demo/pulls$","method":"POST","hold_ms":60000}' >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	[ "$(requests_made | grep -c '^POST /repos/octo/demo/pulls$')" -ge 2 ]
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: the PR creation's answer times out, the retried POST takes the PR it made" {
	pr_answer_lost github
}

@test "gitea: the PR creation's answer times out, the retried POST takes the PR it made" {
	pr_answer_lost gitea
}

# The forge takes the issue comment (or the review) but its answer never
# arrives in time: before posting again the client looks for the one it
# sent (its dev-agents marker) and finds it, so there is one, not two.
post_answer_lost() { # KIND PATH-REGEX
	df_setup "$1"
	export DA_HTTP_TIMEOUT_MS=5000
	ctl POST /__inject "{\"path\":\"$2\",\"method\":\"POST\",\"hold_ms\":60000}" >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	[ "$(requests_made | grep -cE "^POST $2")" -eq 1 ]
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
}

@test "github: the issue comment's answer times out; the comment is found, not posted twice" {
	post_answer_lost github '/repos/octo/demo/issues/7/comments$'
}

@test "gitea: the issue comment's answer times out; the comment is found, not posted twice" {
	post_answer_lost gitea '/repos/octo/demo/issues/7/comments$'
}

@test "github: the review's answer times out; the review is found, not posted twice" {
	post_answer_lost github '/repos/octo/demo/pulls/8/reviews$'
}

@test "gitea: the review's answer times out; the review is found, not posted twice" {
	post_answer_lost gitea '/repos/octo/demo/pulls/8/reviews$'
}

# The forge merges but its answer is lost; the repeated PUT meets "not
# mergeable" (it is merged). The PR is read back: merged, said so, and no
# rebase-and-retry of a merged branch.
merge_answer_lost() {
	df_setup "$1"
	export DA_HTTP_TIMEOUT_MS=5000
	local method=PUT
	[ "$1" = gitea ] && method=POST
	ctl POST /__inject "{\"path\":\"/repos/octo/demo/pulls/8/merge\$\",\"method\":\"$method\",\"hold_ms\":60000}" >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_issue_commented
	[ "$(q '$ic[0].body | test("not merged")')" = false ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 2 ]
	[ "$(requests_made | grep -cE "^$method /repos/octo/demo/pulls/8/merge")" -eq 2 ]
	run ! grep -rq "rebase, verify again" "$DA_HOME/data/runs/demo/"
	assert_no_violations
}

@test "github: the merge's answer is lost; the PR is read back as merged, nothing merged twice" {
	merge_answer_lost github
}

@test "gitea: the merge's answer is lost; the PR is read back as merged, nothing merged twice" {
	merge_answer_lost gitea
}

# Killed after the forge took the review (or the issue comment), before
# da-run heard: the rerun must not post it twice.
crash_after_post() { # KIND PATH-REGEX
	df_setup "$1"
	enqueue_issue
	crash_after POST "$2"
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	[ "$(q '$r.reviews | length')" -eq 1 ]
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: killed right after the review was posted, the rerun posts no second review" {
	crash_after_post github '/repos/octo/demo/pulls/[0-9]+/reviews'
}

@test "gitea: killed right after the review was posted, the rerun posts no second review" {
	crash_after_post gitea '/repos/octo/demo/pulls/[0-9]+/reviews'
}

@test "github: killed right after the issue comment was posted, the rerun posts no second comment" {
	crash_after_post github '/repos/octo/demo/issues/7/comments'
}

@test "gitea: killed right after the issue comment was posted, the rerun posts no second comment" {
	crash_after_post gitea '/repos/octo/demo/issues/7/comments'
}

# An earlier attempt left its PR open (the review never approved); the
# issue is queued again and now the gates fail: that same PR is turned
# into a draft (GitHub: GraphQL; Gitea: a "WIP:" title) and labelled.
open_pr_then_failure() {
	df_setup "$1"
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "No.", "findings": []}' >"$BATS_TEST_TMPDIR/changes"
	local a="$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$a,$a,$a,$BATS_TEST_TMPDIR/changes"
	enqueue_issue
	process_once
	task_in completed
	[ "$(q '$prs[0].state')" = open ]
	[ "$(q '$prs[0].pr.draft or ($prs[0].title | test("^WIP:"; "i"))')" = false ]
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_issue
	process_once
	[ "$(find "$DA_QUEUE/failed/demo" -name '*.yaml' | wc -l)" -eq 1 ]
	assert_one_pr
	assert_failed_draft
	[ "$(q '$prs[0].title | sub("^WIP: *"; "")')" = "Add sum" ]
	assert_no_violations
	assert_no_token_leak
}

@test "github: a later failure turns the task's open PR into a labelled draft" {
	open_pr_then_failure github
}

@test "gitea: a later failure turns the task's open PR into a labelled draft" {
	open_pr_then_failure gitea
}

# Passing trouble on the forge: a 502 on the PR creation, a 429 with a
# one-second retry-after on the merge, a 500 on the issue comment. Each
# request is retried (after the wait the forge asked for) and the
# delivery ends as if nothing happened.
transient_errors() {
	df_setup "$1"
	ctl POST /__inject '{"path":"/repos/octo/demo/pulls$","method":"POST","status":502}' >/dev/null
	ctl POST /__inject '{"path":"/repos/octo/demo/pulls/[0-9]+/merge$","status":429,"retry_after":1}' >/dev/null
	ctl POST /__inject '{"path":"/repos/octo/demo/issues/7/comments$","method":"POST","status":500}' >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	[ "$(requests_made | grep -c '^POST /repos/octo/demo/pulls$')" -eq 2 ]
	[ "$(requests_made | grep -cE '^(PUT|POST) /repos/octo/demo/pulls/[0-9]+/merge$')" -eq 2 ]
	[ "$(requests_made | grep -c '^POST /repos/octo/demo/issues/7/comments$')" -eq 2 ]
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented
	assert_no_violations
	assert_no_token_leak
}

@test "github: a 502, a 429 with retry-after and a 500 during delivery are retried; one PR, merged, one comment" {
	transient_errors github
}

@test "gitea: a 502, a 429 with retry-after and a 500 during delivery are retried; one PR, merged, one comment" {
	transient_errors gitea
}

# Someone's fork has a branch of the same name with a PR open against the
# repository: it is not the task's PR. The task opens its own, reviews and
# merges that one, and never touches the stranger's.
fork_pr_same_branch() {
	df_setup "$1"
	ctl POST /__pr "{\"repo\":\"octo/demo\",\"title\":\"Not ours\",\"head\":\"$BRANCH\",\"head_repo\":\"mallory/demo\"}" >/dev/null
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	[ "$(q '$prs | length')" -eq 2 ]
	[ "$(q '$prs[0] | .title, .state, .pr.merged' | xargs)" = "Not ours open false" ]
	[ "$(q '[$r.reviews[] | select(.number == $prs[0].number)] | length')" -eq 0 ]
	[ "$(q '$prs[1] | .user, .pr.head, .pr.headRepo' | xargs)" = "writer-bot $BRANCH null" ]
	[ "$(q '$prs[1].pr.merged')" = true ]
	[ "$(q '$r.reviews[-1].number')" = "$(q '$prs[1].number')" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b" ]
	[ "$(q '$ic[0].body | test("#\($prs[1].number)\\b")')" = true ]
	assert_no_violations
}

@test "github: a fork's PR from a branch of the same name is not taken for the task's" {
	fork_pr_same_branch github
}

@test "gitea: a fork's PR from a branch of the same name is not taken for the task's" {
	fork_pr_same_branch gitea
}
