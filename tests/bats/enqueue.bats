#!/usr/bin/env bats
load helpers

EXAMPLES="$TESTS_DIR/node_modules/@octokit/webhooks-examples/api.github.com/index.json"

setup() { da_setup; }

# The real example payload of an event, by name and action.
example() { # $1 = event name, $2 = action
	jq --arg n "$1" --arg a "$2" \
		'[.[] | select(.name == $n).examples[] | select(.action == $a)][0]' "$EXAMPLES"
}

# Bad input: exit 2, one line prefixed da-enqueue:, queue unchanged.
bad() {
	local before
	before=$(queue_files)
	run --separate-stderr da-enqueue "$@"
	[ "$status" -eq 2 ] || { echo "status $status: $stderr"; return 1; }
	output=$stderr assert_one_error_line da-enqueue
	[ -z "$output" ] || { echo "stdout: $output"; return 1; }
	[ "$(queue_files)" = "$before" ]
}

@test "enqueue writes one parseable task and says where" {
	run da-enqueue --project app --issue 12 --title "Add dark mode" --repo org/app
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^queued\ org/app#12\ as\ pending/app/3-[0-9]{8}T[0-9]{6}Z-12-add-dark-mode\.yaml$ ]]
	f=$(queue_files)
	[ "$(echo "$f" | wc -l)" -eq 1 ]
	grep -q '^id: org/app#12$' "$DA_QUEUE/$f"
	grep -q '^type: feature$' "$DA_QUEUE/$f"
	[ "$(readlink "$DA_QUEUE/pending/app/.id-org+app#12")" = "$(basename "$f")" ]
}

@test "the same id twice is a duplicate and writes nothing" {
	da-enqueue --project app --issue 1 --title "One"
	run da-enqueue --project app --issue 1 --title "One again" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .result)" = duplicate ]
	[ "$(echo "$output" | jq -r .id)" = "app#1" ]
	[ "$(queue_files | wc -l)" -eq 1 ]
}

@test "every bad-input class is one line, exit 2, queue unchanged" {
	da-enqueue --project app --issue 1 --title "existing"
	bad --issue 1 --title t
	bad --project app --title t
	bad --project app --issue 1
	bad --project "" --issue 1 --title t
	bad --project app --issue 1 --title ""
	bad --project app --issue 4x --title t
	run --separate-stderr da-enqueue --project app --issue 4x --title t
	[ "$stderr" = 'da-enqueue: issue number "4x" is not a number' ]
	bad --project app --issue -3 --title t
	bad --project app --issue 0 --title t
	bad --project ../x --issue 1 --title t
	bad --project a/b --issue 1 --title t
	bad --project .hidden --issue 1 --title t
	bad --project "$(printf 'a\tb')" --issue 1 --title t
	bad --project app --issue 2 --title "$(printf 'bad \xff utf8')"
	printf 'body \xc3\x28 here' >"$BATS_TEST_TMPDIR/badbody"
	bad --project app --issue 2 --title t --body-file "$BATS_TEST_TMPDIR/badbody"
	head -c 65537 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	bad --project app --issue 2 --title t --body-file "$BATS_TEST_TMPDIR/big"
	bad --project app --issue 2 --title t --repo "not-a-repo"
	bad --project app --issue 2 --title t --type chore
	bad --project app --issue 2 --title t --priority 7
	echo '{"action": ' >"$BATS_TEST_TMPDIR/bad.json"
	bad --event "$BATS_TEST_TMPDIR/bad.json"
	example issues closed >"$BATS_TEST_TMPDIR/closed.json"
	bad --event "$BATS_TEST_TMPDIR/closed.json"
	example repository_dispatch on-demand-test >"$BATS_TEST_TMPDIR/rd.json"
	bad --event "$BATS_TEST_TMPDIR/rd.json"
	run --separate-stderr da-enqueue --event "$BATS_TEST_TMPDIR/rd.json"
	[[ "$stderr" == *'"on-demand-test" is not handled'* ]]
}

@test "a body of exactly 64 KiB is accepted" {
	head -c 65536 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/body"
	run da-enqueue --project app --issue 3 --title t --body-file - <"$BATS_TEST_TMPDIR/body"
	[ "$status" -eq 0 ]
}

@test "50 concurrent enqueues of one id give one task and 49 duplicates" {
	for i in $(seq 50); do
		da-enqueue --project app --issue 7 --title "Race" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
	done
	wait
	[ "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c '^queued ')" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c '^duplicate ')" -eq 49 ]
	[ "$(queue_files | wc -l)" -eq 1 ]
}

@test "same title in the same second for different issues gives distinct names" {
	for i in 1 2 3; do da-enqueue --project app --issue "$i" --title "Same"; done
	[ "$(queue_files | wc -l)" -eq 3 ]
}

@test "a task moved to completed may be enqueued again, under a new name" {
	da-enqueue --project app --issue 9 --title "Again"
	f=$(queue_files)
	mv "$DA_QUEUE/$f" "$DA_QUEUE/completed/app/"
	run da-enqueue --project app --issue 9 --title "Again"
	[ "$status" -eq 0 ]
	[[ "$output" == "queued app#9 as pending/app/"* ]]
	[ "$(queue_files | wc -l)" -eq 2 ]
	[ "$(ls "$DA_QUEUE/pending/app")" != "$(ls "$DA_QUEUE/completed/app")" ]
	run da-enqueue --project app --issue 9 --title "Again"
	[[ "$output" == "duplicate app#9: already pending/app/"* ]]
}

@test "an active task is a duplicate too" {
	da-enqueue --project app --issue 4 --title "Busy"
	mv "$DA_QUEUE/pending/app/"*.yaml "$DA_QUEUE/active/app/"
	run da-enqueue --project app --issue 4 --title "Busy"
	[[ "$output" == "duplicate app#4: already active/app/"* ]]
}

@test "labels pick the type; explicit flags win; config maps labels" {
	run da-enqueue --project app --issue 1 --title a --labels "ui, bug"
	[[ "$output" == *" as pending/app/2-"* ]]
	run da-enqueue --project app --issue 2 --title b --labels hotfix
	[[ "$output" == *" as pending/app/1-"* ]]
	run da-enqueue --project app --issue 3 --title c --labels bug --type feature
	[[ "$output" == *" as pending/app/3-"* ]]
	run da-enqueue --project app --issue 4 --title d --type hotfix --priority 3
	[[ "$output" == *" as pending/app/3-"* ]]
	grep -q '^type: hotfix$' "$DA_QUEUE"/pending/app/3-*-4-d.yaml
	printf 'type_labels:\n  hotfix: [urgent]\n  bugfix: [defect]\n' >"$DA_HOME/config.yaml"
	run da-enqueue --project app --issue 5 --title e --labels defect
	[[ "$output" == *" as pending/app/2-"* ]]
	run da-enqueue --project app --issue 6 --title f --labels bug
	[[ "$output" == *" as pending/app/3-"* ]]
}

@test "real issues.labeled and issues.opened payloads are queued" {
	example issues labeled >"$BATS_TEST_TMPDIR/l.json"
	run da-enqueue --event "$BATS_TEST_TMPDIR/l.json" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .id)" = "Codertocat/Hello-World#1" ]
	[ "$(echo "$output" | jq -r .project)" = "Hello-World" ]
	[[ "$(echo "$output" | jq -r .file)" == pending/Hello-World/2-*-1-spelling-error-in-the-readme-file.yaml ]]
	example issues opened | da-enqueue --event - >"$BATS_TEST_TMPDIR/o.out"
	grep -q '^duplicate Codertocat/Hello-World#1' "$BATS_TEST_TMPDIR/o.out"
}

@test "a repository_dispatch payload maps to the project whose config names the repo" {
	mkdir -p "$DA_HOME/projects"
	printf 'repo: octo-org/octo-repo\n' >"$DA_HOME/projects/octo.yaml"
	example repository_dispatch on-demand-test |
		jq '.action = "dev-agents" | .client_payload = {issue: "7", title: "Hot fix", labels: [{name: "hotfix"}], body: "b"}' \
			>"$BATS_TEST_TMPDIR/d.json"
	run da-enqueue --event "$BATS_TEST_TMPDIR/d.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "queued octo-org/octo-repo#7 as pending/octo/1-"*"-7-hot-fix.yaml" ]]
	jq '.client_payload.project = "../x"' "$BATS_TEST_TMPDIR/d.json" >"$BATS_TEST_TMPDIR/e.json"
	bad --event "$BATS_TEST_TMPDIR/e.json"
}

@test "enqueueing while paused is allowed and says so" {
	da-pause
	run da-enqueue --project app --issue 1 --title t
	[ "$status" -eq 0 ]
	[[ "$output" == *"(paused"* ]]
}

@test "a queue whose subfolder is another filesystem is refused" {
	mkdir -p "$DA_QUEUE/failed"
	if ! mount -t tmpfs -o size=1m tmpfs "$DA_QUEUE/failed" 2>/dev/null; then
		skip "cannot mount a tmpfs here (not root?)"
	fi
	run --separate-stderr da-enqueue --project app --issue 1 --title t
	umount "$DA_QUEUE/failed"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another filesystem"* ]]
	[ -z "$(queue_files)" ]
}

# The sanitizer runtime adds hundreds of system calls and LeakSanitizer
# cannot run under ptrace: the strace tests run against the release build.
skip_under_sanitizers() {
	case "$DA_BIN" in */san/*) skip "strace fault injection runs on the release build only" ;; esac
	command -v strace >/dev/null || skip "strace not installed"
}

# (when=1: only the first call fails, so the error line itself can be written)
# After any interruption: each task parses (da-enqueue of its id reports a
# duplicate naming that very file), no id stands twice, leftovers are temps.
check_queue_consistent() {
	local f ids
	ids=$(cd "$DA_QUEUE" && grep -h '^id: ' pending/*/*.yaml active/*/*.yaml 2>/dev/null | sort)
	[ "$(echo "$ids" | uniq -d)" = "" ] || { echo "id twice: $ids"; return 1; }
	for f in $(queue_files); do
		grep -q '^history:' "$DA_QUEUE/$f" || { echo "partial $f"; return 1; }
	done
	f=$(cd "$DA_QUEUE" && find . -type f ! -name '*.yaml' ! -name '.tmp-*' ! -name '*.lock')
	[ -z "$f" ] || { echo "leftover: $f"; return 1; }
}

@test "killed at every system call, the queue stays consistent" {
	skip_under_sanitizers
	da-enqueue --project app --issue 1 --title warm >/dev/null
	local n=1 done=0
	while [ "$done" -eq 0 ] && [ "$n" -lt 400 ]; do
		rm -rf "$DA_QUEUE/pending/app"
		if (strace -f -o /dev/null -e inject=all:signal=SIGKILL:when=$n \
			da-enqueue --project app --issue 2 --title crash) >/dev/null 2>&1; then
			done=1
		fi
		check_queue_consistent
		# the next run sees either the task (duplicate) or nothing (queued), once
		run da-enqueue --project app --issue 2 --title crash
		[ "$status" -eq 0 ]
		[ "$(cd "$DA_QUEUE" && ls pending/app/*.yaml | wc -l)" -eq 1 ]
		n=$((n + 1))
	done
	[ "$done" -eq 1 ]
}

@test "ENOSPC and EIO on write, fsync, rename and symlink: exit 1, one line, no partial task" {
	skip_under_sanitizers
	local i=0 spec
	for spec in write:error=ENOSPC write:error=EIO fsync:error=EIO fsync:error=ENOSPC \
		renameat2:error=EIO renameat2:error=ENOSPC symlink:error=ENOSPC; do
		i=$((i + 1))
		run --separate-stderr strace -f -o /dev/null -e inject="$spec:when=1" \
			da-enqueue --project app --issue "$i" --title fault
		[ "$status" -eq 1 ] || { echo "$spec: status $status $stderr"; return 1; }
		output=$stderr assert_one_error_line da-enqueue
		[ -z "$(cd "$DA_QUEUE" && ls pending/app/ 2>/dev/null)" ] || { echo "$spec left a task"; return 1; }
		check_queue_consistent
		[ -z "$(cd "$DA_QUEUE" && find pending -name '.tmp-*')" ]
	done
	run da-enqueue --project app --issue 1 --title fault
	[[ "$output" == "queued "* ]]
}

@test "da-enqueue does not link libgit2 or libcurl" {
	run ldd "$DA_BIN/da-enqueue"
	[[ "$output" != *libgit2* ]]
	[[ "$output" != *libcurl* ]]
	# the release build is static: no git or curl code linked in either
	run nm "$DA_BIN/da-enqueue"
	[ "$status" -eq 0 ]
	[[ "$output" == *da_enqueue* ]]
	[[ "$output" != *git_repository_open* ]]
	[[ "$output" != *curl_easy_init* ]]
}

@test "da-enqueue has --help and --version" {
	run da-enqueue --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run da-enqueue --version
	[[ "$output" == "da-enqueue (dev-agents) "* ]]
}
