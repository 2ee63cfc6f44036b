# Helpers for deliver-local.bats: a whole pipeline through da-process on
# the offline `local` forge (docs/local-forge.md): the remote is a bare
# repo, the issue a file, PRs, reviews, comments and labels are records
# under $LF. Loaded after deliver-forges.bash, whose ISSUE, BRANCH, tokens,
# task_in, process_once, wait_for and assert_no_token_leak it shares;
# descendant comes from pipeline_helpers.bash.

# The PR the task opens: issues and PRs share one sequence, and issue #7
# is the only record before it.
PR=8

# dl_setup: a private queue and home, $ORIGIN (main: one commit), issue
# #7 as a file of the local forge octo/demo, and the project demo on it.
dl_setup() {
	da_setup
	pipeline_env
	pipeline_origin
	pipeline_agents
	export DA_FAKE_LOG="$BATS_TEST_TMPDIR/agent-calls.jsonl"
	# the local forge needs no token; set, they must still reach nothing
	export DA_GITHUB_TOKEN=$WRITER_TOKEN DA_REVIEW_TOKEN=$REVIEW_TOKEN

	LF="$DA_HOME/data/local-forge/octo+demo"
	mkdir -p "$LF/issues" "$DA_HOME/projects"
	printf 'number: %s\ntitle: Add sum\nbody: Add a sum.\nstate: open\nlabels: [dev-agents]\n' \
		"$ISSUE" >"$LF/issues/$ISSUE.yaml"
	cat >"$DA_HOME/projects/demo.yaml" <<Y
repo: octo/demo
forge: local
remote: $ORIGIN
default_branch: main
commands:
  test: $BATS_TEST_TMPDIR/run-tests
Y
}

# The task, queued by hand as for any issue file of the local forge.
enqueue_local_issue() {
	run da-enqueue --project demo --issue "$ISSUE" --title "Add sum" --labels dev-agents
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == "queued demo#$ISSUE as pending/demo/"* ]] || { echo "$output"; return 1; }
}

# pr_field KEY: a top-level scalar of the PR record.
pr_field() {
	sed -n "s/^$1: //p" "$LF/prs/$PR.yaml"
}

# log_entries FILE: how many documents a comments/ or reviews/ log holds.
log_entries() {
	if [ -e "$1" ]; then grep -c '^id: ' "$1"; else echo 0; fi
}

# log_field FILE KEY: KEY of each document of a log, one a line.
log_field() {
	sed -n "s/^$2: //p" "$1"
}

# The one PR record: head is the task branch, against main.
assert_one_pr() {
	local prs
	prs=$(find "$LF/prs" -name '*.yaml' | sort)
	[ "$prs" = "$LF/prs/$PR.yaml" ] || { echo "PR records: $prs"; return 1; }
	[ "$(pr_field number)" = "$PR" ]
	[ "$(pr_field head)" = "$BRANCH" ]
	[ "$(pr_field base)" = main ]
	[ "$(pr_field title)" = "Add sum" ]
	grep -qE "Closes #$ISSUE\\b" "$LF/prs/$PR.yaml"
}

# Merged as one squash commit on main holding the work (sum.txt is $1,
# default a+b): its only parent the old tip, its message the PR's title.
assert_merged() {
	[ "$(pr_field merged)" = true ]
	[ "$(pr_field state)" = closed ]
	[ "$(pr_field draft)" = false ]
	[ "$(git -C "$ORIGIN" rev-list --count main)" -eq 2 ]
	[ "$(git -C "$ORIGIN" rev-parse main)" = "$(pr_field merge_sha)" ]
	[ "$(git -C "$ORIGIN" log -1 --format=%P main | wc -w)" -eq 1 ]
	[ "$(git -C "$ORIGIN" log -1 --format=%s main)" = "Add sum (#$PR)" ]
	[ "$(git -C "$ORIGIN" show main:sum.txt)" = "${1:-a+b}" ]
	git -C "$ORIGIN" cat-file -e main:test_sum.txt
	# the head merged is the task branch as pushed
	[ "$(git -C "$ORIGIN" rev-parse "$BRANCH")" = "$(pr_field head_sha)" ]
}

# One review on the PR, by the reviewer identity, approving, with the
# finding on a diff line inline and the one off the diff left out.
assert_reviewed_by_reviewer() {
	local log="$LF/reviews/$PR.log"
	[ "$(log_entries "$log")" -eq 1 ] || { cat "$log"; return 1; }
	[ "$(log_field "$log" user)" = dev-agents-review ]
	[ "$(log_field "$log" verdict)" = APPROVE ]
	grep -q '^- path: sum.txt$' "$log"
	grep -q '^  line: 1$' "$log"
	grep -q 'name the operands' "$log"
	run ! grep -q 'path: nowhere.c' "$log"
	# it is still in the review's text
	grep -q 'nowhere.c:9' "$log"
}

# Exactly one writer comment on the issue, naming the PR ($1: a word it
# must also hold).
assert_issue_commented() {
	local log="$LF/comments/$ISSUE.log"
	[ "$(log_entries "$log")" -eq 1 ] || { cat "$log"; return 1; }
	[ "$(log_field "$log" user)" = dev-agents ]
	grep -qE "#$PR\\b" "$log"
	grep -q "${1:-merged}" "$log"
}

# the run record of the one task
run_record() {
	local d
	d=$(find "$DA_HOME/data/runs/demo" -mindepth 1 -maxdepth 1 -type d)
	[ "$(printf '%s\n' "$d" | grep -c .)" -eq 1 ] || return 1
	printf '%s\n' "$d"
}

# step_done NAME: the run record says the delivery step NAME is done.
step_done() {
	local rec
	rec=$(run_record) || return 1
	grep -A1 "name: $1\$" "$rec/state.yaml" 2>/dev/null | grep -q "status: done"
}

# pids of $1 and all its descendants
process_tree() {
	local level=$1 p next
	while [ -n "$level" ]; do
		for p in $level; do echo "$p"; done
		next=""
		for p in $level; do next="$next $(pgrep -P "$p" | tr '\n' ' ')"; done
		level=$(printf '%s\n' "$next" | xargs)
	done
}

# crash_blocked_on FIFO STEP runner|all: run da-process once with FIFO in
# place of a forge file the step after STEP reads (opening a FIFO for
# reading waits for a writer, so the run cannot get past it); once the run
# record has STEP done, SIGKILL da-run (runner: da-process puts the task
# back in pending) or every process of the run at once (all: a power
# cut; the task stays in active/ for da-process to recover). The FIFO is
# removed after.
crash_blocked_on() {
	mkdir -p "$(dirname "$1")"
	mkfifo "$1"
	# fd 3 closed: bats waits for every holder of it before it ends
	da-process --once >"$BATS_TEST_TMPDIR/crashed.out" 2>&1 3>&- &
	local proc=$! runner pids
	runner=$(descendant "$proc" da-run)
	wait_for step_done "$2"
	if [ "$3" = runner ]; then
		kill -KILL "$runner"
		wait "$proc" || true
		task_in pending
	else
		pids=$(process_tree "$proc" | xargs)
		# frozen first, so none of them sees another die
		# shellcheck disable=SC2086
		kill -STOP $pids
		# shellcheck disable=SC2086
		kill -KILL $pids
		wait "$proc" || true
		task_in active
	fi
	cat "$BATS_TEST_TMPDIR/crashed.out"
	rm "$1"
}

# hold_on FIFO STEP: run da-process once in the background with FIFO in
# place of a forge file the step after STEP reads, until the run record has
# STEP done; the run waits there for release_hold.
hold_on() {
	mkdir -p "$(dirname "$1")"
	mkfifo "$1"
	da-process --once >"$BATS_TEST_TMPDIR/held.out" 2>&1 3>&- &
	HELD_PROC=$!
	wait_for step_done "$2"
}

# release_hold FIFO [TEXT]: the held run reads TEXT (default: an empty
# file) and goes on; wait for it. The FIFO leaves its path first: the
# blocked open holds it already, and a later open of the path (a log is
# read more than once) finds no file.
release_hold() {
	mv "$1" "$1.held"
	printf '%s' "${2:-}" >"$1.held"
	rm "$1.held"
	local rc=0
	wait "$HELD_PROC" || rc=$?
	cat "$BATS_TEST_TMPDIR/held.out"
	return "$rc"
}

# move_main FILE TEXT: someone else's commit on main in the bare repo.
move_main() {
	(cd "$BATS_TEST_TMPDIR/seed" && git pull -q origin main && printf '%s\n' "$2" >"$1" && git add "$1" &&
		git -c user.name=t -c user.email=t@t commit -qm "main: $1" && git push -q origin HEAD:main)
}

# teardown: a run a failed test left held is killed with all it started
dl_teardown() {
	local pids
	[ -n "${HELD_PROC:-}" ] || return 0
	pids=$(process_tree "$HELD_PROC" | xargs)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

# kill_at_dir_fsync DIR: run da-process once; da-run is held before the pr
# step (a FIFO at prs/1.yaml, which the PR lookup reads), strace attaches
# to it and is released: its first fsync of DIR, the one that makes a
# record renamed into DIR durable, is a SIGKILL. da-process puts the task
# back in pending. strace cannot run under the sanitizers (LeakSanitizer
# uses ptrace), so this skips there.
kill_at_dir_fsync() {
	case "$DA_BIN" in */san/*) skip "strace fault injection runs on the release build only" ;; esac
	command -v strace >/dev/null || skip "strace not installed"
	local runner tracer
	mkdir -p "$1"
	hold_on "$LF/prs/1.yaml" push
	runner=$(descendant "$HELD_PROC" da-run)
	strace -p "$runner" -o /dev/null -P "$(realpath "$1")" \
		-e trace=fsync -e inject=fsync:signal=SIGKILL:when=1 2>"$BATS_TEST_TMPDIR/strace.err" 3>&- &
	tracer=$!
	wait_for grep -q "Process $runner attached" "$BATS_TEST_TMPDIR/strace.err"
	# what the held PR lookup reads: someone's old closed PR (an empty
	# file would be a broken record)
	release_hold "$LF/prs/1.yaml" "$(printf '%s\n' 'number: 1' 'title: old' 'body: ""' 'head: old' \
		'base: main' 'draft: false' 'state: closed' 'merged: false' 'merge_sha: ~' 'head_sha: ~' 'labels: []')"
	wait "$tracer" || true
	grep -q "runner killed by signal 9" "$BATS_TEST_TMPDIR/held.out"
	task_in pending
}
