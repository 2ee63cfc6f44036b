#!/usr/bin/env bats
# Whole pipelines through da-enqueue and da-process on the offline local
# forge: success, review asks for changes, gates never pass, crashes after
# each forge write (the PR, the review, the merge, the issue comment, the
# failure's draft), main moving before the merge, leave-open, reruns;
# checked on the forge's records and the bare repository
# (docs/local-forge.md). The github and gitea twins: deliver-forges.bats.
load helpers
load pipeline_helpers
load deliver-forges
load deliver-local

setup() { dl_setup; }
teardown() { dl_teardown; }

@test "local: an issue's task ends in a squash-merged PR, reviewed by the reviewer, the issue commented" {
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented merged
	# the writer never comments on the PR itself
	[ ! -e "$LF/comments/$PR.log" ]
	# the issue record is the forge's input, left as it was
	grep -qx 'state: open' "$LF/issues/$ISSUE.yaml"
	assert_no_token_leak
}

@test "local: a completed task run again posts, opens and merges nothing twice" {
	enqueue_local_issue
	process_once
	task_in completed
	local main_sha
	main_sha=$(git -C "$ORIGIN" rev-parse main)
	# an operator puts the finished task back: every step is checkpointed done
	mv "$DA_QUEUE"/completed/demo/*.yaml "$DA_QUEUE/pending/demo/"
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$main_sha" ]
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

# The issue is queued again after its PR was merged: the implementer
# changes nothing (the work is on main), so there is nothing to deliver;
# no second PR, least of all a failed draft with an empty diff.
@test "local: the same issue queued again after its PR merged opens no second PR" {
	enqueue_local_issue
	process_once
	task_in completed
	local main_sha
	main_sha=$(git -C "$ORIGIN" rev-parse main)
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	assert_one_pr
	assert_merged
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$main_sha" ]
	run ! grep -q "the pipeline failed" "$LF/comments/$ISSUE.log"
}

@test "local: review requests changes, the implementer fixes them, the PR is merged with the fix" {
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
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	local rec
	rec=$(run_record)
	grep -qx "verdict: REQUEST_CHANGES" "$rec/review-1/review.yaml"
	grep -qx "verdict: APPROVE" "$rec/review-2/review.yaml"
	# the fix is its own commit on the pushed branch, and it went through
	# the gates again before the PR
	[ "$(git -C "$ORIGIN" log -1 --format=%s "$BRANCH")" = "fix: address review findings" ]
	[ "$(git -C "$ORIGIN" show "$BRANCH:sum.txt")" = "a+b fixed" ]
	grep -A12 "name: verify-qa\$" "$rec/summary.yaml" | grep -q "runs: 2"
	assert_one_pr
	assert_merged "a+b fixed"
	# the pre-push rounds stay local: the PR gets the final verdict only
	assert_reviewed_by_reviewer
	run ! grep -q REQUEST_CHANGES "$LF/reviews/$PR.log"
	assert_issue_commented merged
	assert_no_token_leak
}

@test "local: gates that never pass leave a draft PR labelled pipeline-failed, the issue told why" {
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	task_in failed
	# the branch is pushed and a draft PR shows it
	git -C "$ORIGIN" rev-parse -q --verify "$BRANCH"
	assert_one_pr
	[ "$(pr_field draft)" = true ]
	[ "$(pr_field state)" = open ]
	[ "$(pr_field merged)" = false ]
	[ "$(sed -n '/^labels:/,$p' "$LF/prs/$PR.yaml" | sed 1d)" = "- pipeline-failed" ]
	# the label is made on the repository
	grep -qx -- "- name: pipeline-failed" "$LF/labels.yaml"
	# nothing reviewed on the forge, nothing merged
	[ "$(log_entries "$LF/reviews/$PR.log")" -eq 0 ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	# the issue is told, with the PR's number and why
	assert_issue_commented "the pipeline failed"
	grep -q "0 passed" "$LF/comments/$ISSUE.log"
	assert_no_token_leak
}

# The run dies (SIGKILL) right after the PR record was written: the
# review step that follows blocks on reviews/<n>.log, a FIFO here (see
# crash_blocked_on), so the kill always lands after "pr" and before the
# review and the merge. Run again, the task finds that PR and merges it.
crash_after_pr() { # runner | all
	enqueue_local_issue
	crash_blocked_on "$LF/reviews/$PR.log" pr "$1"
	[ -e "$LF/prs/$PR.yaml" ]
	[ "$(pr_field merged)" = false ]
	[ ! -e "$LF/comments/$ISSUE.log" ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	run ! step_done post-review
	run ! step_done merge
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented merged
	assert_no_token_leak
}

@test "local: da-run killed right after the PR record was written, the rerun reuses that PR and merges it" {
	crash_after_pr runner
}

@test "local: everything killed right after the PR record was written, the recovered task reuses that PR and merges it" {
	crash_after_pr all
}

# Killed after the squash merge, before the issue comment (the comment
# step blocks reading comments/<issue>.log): the rerun merges nothing
# twice and still tells the issue, once.
@test "local: killed right after the merge, the rerun completes without merging or reviewing twice" {
	enqueue_local_issue
	crash_blocked_on "$LF/comments/$ISSUE.log" merge runner
	[ "$(pr_field merged)" = true ]
	local main_sha
	main_sha=$(git -C "$ORIGIN" rev-parse main)
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$main_sha" ]
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

# The failure path killed right after its draft PR record was written
# (the label step blocks reading labels.yaml): the rerun fails the task
# again with that one draft, labelled, and one comment on the issue.
@test "local: killed right after the failure's draft PR was written, the rerun labels that draft and comments once" {
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	mkfifo "$LF/labels.yaml"
	da-process --once >"$BATS_TEST_TMPDIR/crashed.out" 2>&1 3>&- &
	HELD_PROC=$!
	local runner
	runner=$(descendant "$HELD_PROC" da-run)
	wait_for test -e "$LF/prs/$PR.yaml"
	kill -KILL "$runner"
	wait "$HELD_PROC" || true
	cat "$BATS_TEST_TMPDIR/crashed.out"
	task_in pending
	rm "$LF/labels.yaml"
	[ "$(pr_field draft)" = true ]
	[ ! -e "$LF/comments/$ISSUE.log" ]
	process_once
	[ "$status" -eq 0 ]
	task_in failed
	assert_one_pr
	[ "$(pr_field draft)" = true ]
	[ "$(sed -n '/^labels:/,$p' "$LF/prs/$PR.yaml" | sed 1d)" = "- pipeline-failed" ]
	grep -qx -- "- name: pipeline-failed" "$LF/labels.yaml"
	assert_issue_commented "the pipeline failed"
}

# The review never approves: the PR is opened with the reviewer's
# REQUEST_CHANGES on it, it is not merged, and the issue says so.
@test "local: a review that never approves leaves the PR open with the reviewer's changes requested" {
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "Still wrong.", "findings": [{"severity": "major", "file": "sum.txt", "line": 1, "message": "wrong operator"}]}' \
		>"$BATS_TEST_TMPDIR/changes"
	local a="$BATS_TEST_TMPDIR/approve"
	# claude calls: design, implement, qa, then every review asks for changes
	export DA_FAKE_REPLY="$a,$a,$a,$BATS_TEST_TMPDIR/changes"
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	[ "$(pr_field state)" = open ]
	[ "$(pr_field merged)" = false ]
	[ "$(pr_field draft)" = false ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	local log="$LF/reviews/$PR.log"
	[ "$(log_entries "$log")" -eq 1 ]
	[ "$(log_field "$log" user)" = dev-agents-review ]
	[ "$(log_field "$log" verdict)" = REQUEST_CHANGES ]
	grep -q '^- path: sum.txt$' "$log"
	assert_issue_commented "not merged"
}

# An earlier attempt left its PR open (the review never approved); the
# issue is queued again and now the gates fail: that same PR becomes a
# draft labelled pipeline-failed.
@test "local: a later failure turns the task's open PR into a labelled draft" {
	printf '%s\n' '{"verdict": "REQUEST_CHANGES", "summary": "No.", "findings": []}' >"$BATS_TEST_TMPDIR/changes"
	local a="$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$a,$a,$a,$BATS_TEST_TMPDIR/changes"
	enqueue_local_issue
	process_once
	task_in completed
	[ "$(pr_field state)" = open ]
	[ "$(pr_field draft)" = false ]
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	process_once
	[ "$(find "$DA_QUEUE/failed/demo" -name '*.yaml' | wc -l)" -eq 1 ]
	assert_one_pr
	[ "$(pr_field draft)" = true ]
	[ "$(pr_field state)" = open ]
	[ "$(sed -n '/^labels:/,$p' "$LF/prs/$PR.yaml" | sed 1d)" = "- pipeline-failed" ]
	grep -qx -- "- name: pipeline-failed" "$LF/labels.yaml"
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	# the first outcome, then the failure
	[ "$(log_entries "$LF/comments/$ISSUE.log")" -eq 2 ]
	grep -q "the pipeline failed" "$LF/comments/$ISSUE.log"
}

# The issue is queued again after a failure and the gates pass now: the
# failed attempt's draft PR is the task's PR; it must be made ready, or
# the forge refuses to merge a draft.
@test "local: an issue queued again after a failure reuses the draft PR, makes it ready and merges it" {
	printf '#!/bin/sh\necho "0 passed"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	process_once
	task_in failed
	[ "$(pr_field draft)" = true ]
	printf '#!/bin/sh\nif [ -f test_sum.txt ]; then echo "2 passed"; else echo "1 passed"; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	[ "$(find "$DA_QUEUE/completed/demo" -name '*.yaml' | wc -l)" -eq 1 ]
	assert_one_pr
	assert_merged
	# made ready, and no longer labelled a failure
	[ "$(pr_field labels)" = "[]" ]
	grep -q "Closes #$ISSUE" "$LF/prs/$PR.yaml"
	run ! grep -q "The pipeline failed" "$LF/prs/$PR.yaml"
	assert_reviewed_by_reviewer
}

@test "local: the failure comment and the draft PR carry the failing gate's last lines, not an agent's log" {
	printf '#!/bin/sh\necho "0 passed"\necho "gate-tail: sum.txt is missing"\n' >"$BATS_TEST_TMPDIR/run-tests"
	enqueue_local_issue
	process_once
	task_in failed
	grep -q "gate-tail: sum.txt is missing" "$LF/comments/$ISSUE.log"
	run ! grep -q session_id "$LF/comments/$ISSUE.log"
	grep -q "gate-tail: sum.txt is missing" "$LF/prs/$PR.yaml"
	run ! grep -q session_id "$LF/prs/$PR.yaml"
}

# main moves after the PR was opened, before the merge, with a change of
# its own: the squash merge holds both, on top of the moved main.
@test "local: main moved by someone else before the merge: the squash commit sits on it and keeps both changes" {
	enqueue_local_issue
	hold_on "$LF/reviews/$PR.log" pr
	move_main other.txt "from main"
	local moved
	moved=$(git -C "$ORIGIN" rev-parse main)
	release_hold "$LF/reviews/$PR.log"
	task_in completed
	assert_one_pr
	[ "$(pr_field merged)" = true ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 3 ]
	[ "$(git -C "$ORIGIN" log -1 --format=%P main)" = "$moved" ]
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$(pr_field merge_sha)" ]
	[ "$(git -C "$ORIGIN" show main:other.txt)" = "from main" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = a+b ]
	git -C "$ORIGIN" cat-file -e main:test_sum.txt
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

# main moves with a change to the task's own file: the squash conflicts
# (409), the one retry rebases (the implementer resolves the conflict),
# verifies again, pushes and merges that head.
@test "local: main changed the task's file before the merge: one rebase, re-verify and push, then merged" {
	cat >"$DA_FAKE_RULES" <<'R'
Conflicting success sum.txt=a+b (merged with main)
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	enqueue_local_issue
	hold_on "$LF/reviews/$PR.log" pr
	move_main sum.txt "main's sum"
	local moved
	moved=$(git -C "$ORIGIN" rev-parse main)
	release_hold "$LF/reviews/$PR.log"
	task_in completed
	grep -A1 "name: merge-retry\$" "$(run_record)/state.yaml" | grep -q "status: done"
	grep -qx merged "$(run_record)/merge-outcome"
	assert_one_pr
	[ "$(pr_field merged)" = true ]
	[ "$(git -C "$ORIGIN" log -1 --format=%P main)" = "$moved" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "a+b (merged with main)" ]
	# the merged head is the rebased branch, on the moved main
	git -C "$ORIGIN" merge-base --is-ancestor "$moved" "$BRANCH"
	[ "$(git -C "$ORIGIN" rev-parse "$BRANCH")" = "$(pr_field head_sha)" ]
	assert_issue_commented merged
}

@test "local: merge: leave-open leaves the reviewed PR open, main untouched, the issue told why" {
	echo "merge: leave-open" >>"$DA_HOME/projects/demo.yaml"
	enqueue_local_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	[ "$(pr_field state)" = open ]
	[ "$(pr_field merged)" = false ]
	[ "$(pr_field merge_sha)" = "~" ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 1 ]
	assert_reviewed_by_reviewer
	assert_issue_commented "leave-open"
}

# The narrowest windows: a forge record is on disk (renamed into its
# directory), the run never heard of it: da-run is killed at the fsync of
# that directory which follows the rename, before the step is
# checkpointed (see kill_at_dir_fsync). The rerun must find what the
# killed run wrote instead of writing it twice.
@test "local: killed between writing the PR record and checkpointing it, the rerun finds that PR and merges it" {
	enqueue_local_issue
	kill_at_dir_fsync "$LF/prs"
	[ -e "$LF/prs/$PR.yaml" ]
	run ! step_done pr
	[ ! -e "$LF/comments/$ISSUE.log" ]
	[ "$(pr_field draft)" = false ]
	[ ! -e "$(run_record)/pr" ]
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

@test "local: killed between writing the review and checkpointing it, the rerun posts no second review" {
	enqueue_local_issue
	kill_at_dir_fsync "$LF/reviews"
	[ "$(log_entries "$LF/reviews/$PR.log")" -eq 1 ]
	run ! step_done post-review
	[ ! -e "$LF/comments/$ISSUE.log" ]
	[ "$(pr_field merged)" = false ]
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

@test "local: killed between writing the issue comment and checkpointing it, the rerun posts no second comment" {
	enqueue_local_issue
	kill_at_dir_fsync "$LF/comments"
	[ "$(log_entries "$LF/comments/$ISSUE.log")" -eq 1 ]
	run ! step_done comment
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
	assert_issue_commented merged
}

# Two issues of the project in one da-process run, one after the other:
# PRs take numbers after every issue (issues and PRs share one sequence),
# the second task rebases onto the first one's merge, both are merged.
@test "local: two issues in one run: two PRs numbered after the issues, both squash-merged in turn" {
	printf 'number: 9\ntitle: Multiply\nbody: Add a product.\nstate: open\n' >"$LF/issues/9.yaml"
	cat >"$DA_FAKE_RULES" <<'R'
Design success SPEC.md=the spec
QA success test_sum.txt=sum(1,2)==3
Multiply success mul.txt=a*b
Implement success sum.txt=a+b
R
	enqueue_local_issue
	run da-enqueue --project demo --issue 9 --title Multiply
	[ "$status" -eq 0 ]
	process_once
	[ "$status" -eq 0 ]
	[ "$(find "$DA_QUEUE/completed/demo" -name '*.yaml' | wc -l)" -eq 2 ]
	[ "$(find "$LF/prs" -name '*.yaml' | sort | xargs -n1 basename | xargs)" = "10.yaml 11.yaml" ]
	grep -qx "merged: true" "$LF/prs/10.yaml"
	grep -qx "merged: true" "$LF/prs/11.yaml"
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 3 ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = a+b ]
	[ "$(git -C "$ORIGIN" show main:mul.txt)" = "a*b" ]
	# each PR is its issue's branch, squashed under its own title and number
	local n7 n9
	n7=$(grep -l "^head: $BRANCH\$" "$LF"/prs/*.yaml | xargs basename -s .yaml)
	n9=$(grep -l "^head: dev-agents/9-multiply\$" "$LF"/prs/*.yaml | xargs basename -s .yaml)
	[ "$(printf '%s\n' "$n7" "$n9" | sort | xargs)" = "10 11" ]
	git -C "$ORIGIN" log --format=%s main | grep -qx "Add sum (#$n7)"
	git -C "$ORIGIN" log --format=%s main | grep -qx "Multiply (#$n9)"
	grep -qE "#$n7\b" "$LF/comments/7.log"
	grep -qE "#$n9\b" "$LF/comments/9.log"
}

# A task whose issue is not on the forge (a typo on the command line, an
# issue deleted since) fails before any agent runs, saying so.
@test "local: a task for an issue the forge does not have fails before any work" {
	rm "$LF/issues/$ISSUE.yaml"
	enqueue_local_issue
	process_once
	task_in failed
	grep -q "issue #$ISSUE is not on octo/demo" "$DA_HOME/data/failures/demo.log"
	[ ! -s "$DA_FAKE_LOG" ]
	[ ! -d "$LF/prs" ] || [ -z "$(ls "$LF/prs")" ]
	[ "$(git -C "$ORIGIN" branch --list 'dev-agents/*')" = "" ]
}

# An issue closed while its task waited in the queue: nothing to do, and
# nothing done.
@test "local: an issue closed since it was queued completes without any work" {
	enqueue_local_issue
	sed -i 's/^state: open$/state: closed/' "$LF/issues/$ISSUE.yaml"
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	[ ! -s "$DA_FAKE_LOG" ]
	[ ! -d "$LF/prs" ] || [ -z "$(ls "$LF/prs")" ]
	[ ! -e "$LF/comments/$ISSUE.log" ]
	grep -rq "was closed since it was queued" "$DA_HOME/data/runs/"
}
