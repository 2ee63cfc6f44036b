#!/usr/bin/env bats
# Whole pipelines through da-process on the github and gitea forges (the
# fake server over a local bare repo): success, review asks for changes,
# gates never pass, a crash after the PR was created. Each scenario runs
# once per forge.
load helpers
load deliver-forges

teardown() { df_teardown; }

success() {
	df_setup "$1"
	enqueue_issue
	process_once
	[ "$status" -eq 0 ]
	task_in completed
	assert_one_pr
	assert_merged
	assert_reviewed_by_reviewer
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
