#!/usr/bin/env bats
# The forge layer against the fake GitHub / Gitea server: every operation,
# zero OpenAPI violations, retries, rate limits, pagination, identities,
# and no token in the run log.
load helpers

WRITER_TOKEN=ghp_writerTOKEN0123456789abcdef
REVIEW_TOKEN=ghp_reviewerTOKEN9876543210fedcba

setup() {
	da_setup
	case "$DA_BIN" in
	*/build/san/bin) FORGE_CLI="${DA_BIN%/bin}/tests/forge_cli" ;;
	*) FORGE_CLI="$REPO_ROOT/build/release/tests/forge_cli" ;;
	esac
	[ -x "$FORGE_CLI" ] || { echo "missing $FORGE_CLI: run make build-all"; return 1; }
	LOG="$BATS_TEST_TMPDIR/run.log"
	export DA_HTTP_BACKOFF_MS=20 DA_HTTP_TIMEOUT_MS=5000
	export DA_GITHUB_TOKEN=$WRITER_TOKEN DA_REVIEW_TOKEN=$REVIEW_TOKEN
	unset DA_GITEA_API
}

teardown() {
	if [ -n "${FAKE:-}" ]; then
		curl -s -X POST "$FAKE/__shutdown" >/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	# whatever a test did, no token may ever reach the run log
	if [ -f "$LOG" ] && grep -qF -e "$WRITER_TOKEN" -e "$REVIEW_TOKEN" "$LOG"; then
		echo "token found in $LOG"
		return 1
	fi
}

start_fake() { # [--gitea]
	node "$TESTS_DIR/fakes/github-server.js" --port-file "$BATS_TEST_TMPDIR/port" --parent $$ \
		--tokens "$WRITER_TOKEN=writer-bot,$REVIEW_TOKEN=review-bot" "$@" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 200); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	FAKE="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export DA_GITHUB_API=$FAKE
	ctl POST /__repo '{"full_name":"octo/demo","default_branch":"main"}' >/dev/null
	ctl POST /__issue '{"repo":"octo/demo","title":"Add a greeting","body":"Please.","labels":["dev-agents"]}' >/dev/null
}

ctl() { curl -sf -X "$1" "$FAKE$2" ${3:+-d "$3"}; }

fc() { "$FORGE_CLI" -l "$LOG" -r octo/demo "$@"; }
gfc() { "$FORGE_CLI" -k gitea -a "$FAKE" -l "$LOG" -r octo/demo "$@"; }

assert_no_violations() {
	run ctl GET /__violations
	[ "$output" = "[]" ] || { echo "violations: $output"; return 1; }
}

# node one-liner over the fake's state
state() { ctl GET /__state | node -e "const s=JSON.parse(require('fs').readFileSync(0));console.log($1)"; }

# A bare repo whose main has one commit and whose feature branch adds a file.
make_bare() {
	local work="$BATS_TEST_TMPDIR/work"
	BARE="$BATS_TEST_TMPDIR/demo.git"
	git init -q --bare -b main "$BARE"
	git init -q -b main "$work"
	git -C "$work" -c user.name=t -c user.email=t@t commit -q --allow-empty -m init
	git -C "$work" checkout -q -b feature
	echo hello >"$work/greeting.txt"
	git -C "$work" add greeting.txt
	git -C "$work" -c user.name=t -c user.email=t@t commit -q -m "add greeting"
	git -C "$work" push -q "$BARE" main feature
}

@test "issue, comment and labels round-trip with no OpenAPI violations" {
	start_fake
	run fc repo
	[ "$status" -eq 0 ]
	[[ "$output" == *"default_branch=main"* ]]
	run fc issue 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"title=Add a greeting"* && "$output" == *"labels=dev-agents"* ]]
	run fc issue 99
	[ "$status" -eq 0 ]
	[ "$output" = none ]
	run fc comment 1 "Merged in #2"
	[ "$status" -eq 0 ]
	[[ "$output" == url=https://* ]]
	fc comment 1 "<!-- dev-agents:outcome --> second" >/dev/null
	run fc comments 1
	[ "$output" = "$(printf 'writer-bot: Merged in #2\nwriter-bot: <!-- dev-agents:outcome --> second')" ]
	run fc ensure-label pipeline-failed b60205 "The pipeline could not finish"
	[ "$output" = "created=1" ]
	run fc ensure-label Pipeline-Failed b60205 ""
	[ "$output" = "created=0" ]
	run fc add-labels 1 pipeline-failed
	[ "$status" -eq 0 ]
	run fc issue 1
	[[ "$output" == *"labels=dev-agents,pipeline-failed"* ]]
	[ "$(state 's.repos["octo/demo"].comments[0].user.login')" = writer-bot ]
	assert_no_violations
	grep -q "http POST /repos/octo/demo/issues/1/comments 201" "$LOG"
}

# A reused draft PR loses its pipeline-failed label; a rerun that removes
# it again (the label already gone) is not an error.
remove_label() { # CLI
	"$@" ensure-label pipeline-failed b60205 "" >/dev/null
	"$@" add-labels 1 pipeline-failed
	run "$@" remove-label 1 Pipeline-Failed
	[ "$status" -eq 0 ]
	run "$@" issue 1
	[[ "$output" == *"labels=dev-agents"$'\n'* || "$output" == *"labels=dev-agents" ]]
	run "$@" remove-label 1 pipeline-failed
	[ "$status" -eq 0 ]
	run "$@" remove-label 1 never-made
	[ "$status" -eq 0 ]
	assert_no_violations
}

@test "github: a label comes off an issue, and removing it again is no error" {
	start_fake
	remove_label fc
	grep -q "http DELETE /repos/octo/demo/issues/1/labels/Pipeline-Failed 200" "$LOG"
	grep -q "http DELETE /repos/octo/demo/issues/1/labels/pipeline-failed 404" "$LOG"
}

@test "gitea: a label comes off an issue by its id, and removing it again is no error" {
	start_fake --gitea
	remove_label gfc
	grep -qE "http DELETE (/api/v1)?/repos/octo/demo/issues/1/labels/[0-9]+ 204" "$LOG"
}

# What a resumed post-review step reads to find the review it posted.
list_reviews() { # CLI
	"$@" create-pr "Add a greeting" feature main "" >/dev/null
	"$@" -R review 2 comment "first <!-- dev-agents:review task=t head=h -->" >/dev/null
	"$@" -R review 2 request_changes "second" >/dev/null
	run "$@" reviews 2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "review-bot COMMENT"*": first <!-- dev-agents:review task=t head=h -->" ]]
	[[ "${lines[1]}" == "review-bot "*"CHANGES"*": second" ]]
	assert_no_violations
}

@test "github: a PR's reviews are listed with reviewer, state and body" {
	start_fake
	list_reviews fc
}

@test "gitea: a PR's reviews are listed with reviewer, state and body" {
	start_fake --gitea
	list_reviews gfc
}

@test "a renamed repository's redirect is followed" {
	start_fake
	ctl POST /__repo '{"full_name":"octo/renamed","default_branch":"trunk"}' >/dev/null
	ctl POST /__inject "{\"path\":\"^/repos/octo/demo\$\",\"status\":301,\"headers\":{\"location\":\"$FAKE/repos/octo/renamed\"}}" >/dev/null
	run fc repo
	[ "$status" -eq 0 ]
	[[ "$output" == *"default_branch=trunk"* ]]
	[ "$(ctl GET /__requests | node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log(r.map(x=>x.user).join(","))')" = "writer-bot,writer-bot" ]
	assert_no_violations
}

@test "PR creation is findable by branch and idempotent" {
	start_fake
	run fc create-pr "Add a greeting" feature main "Closes #1" draft
	[ "$status" -eq 0 ]
	[[ "$output" == *"number=2"* && "$output" == *"draft=1"* ]]
	run fc find-pr feature
	[[ "$output" == *"number=2"* ]]
	run fc find-pr other
	[ "$output" = none ]
	# a second create (a retried POST, a resumed task) gives the same PR
	run fc create-pr "Again" feature main ""
	[ "$status" -eq 0 ]
	[[ "$output" == *"number=2"* ]]
	[ "$(state 's.repos["octo/demo"].issues.length')" -eq 2 ]
	run fc set-draft 2 0
	[ "$status" -eq 0 ]
	run fc find-pr feature
	[[ "$output" == *"draft=0"* ]]
	run fc update-pr 2 "Add a friendly greeting" - -
	[ "$status" -eq 0 ]
	[ "$(state 's.repos["octo/demo"].issues[1].title')" = "Add a friendly greeting" ]
	assert_no_violations
}

@test "the reviewer identity posts reviews with inline comments" {
	start_fake
	fc create-pr "Add a greeting" feature main "" >/dev/null
	run fc -R review 2 request_changes "Two problems" "src/a.c:12:off by one" "README.md:3:typo"
	[ "$status" -eq 0 ]
	[[ "$output" == id=* ]]
	[ "$(state 's.repos["octo/demo"].reviews[0].user.login')" = review-bot ]
	[ "$(state 's.repos["octo/demo"].reviews[0].state')" = CHANGES_REQUESTED ]
	[ "$(state 'JSON.stringify(s.repos["octo/demo"].reviews[0].comments[0])')" = \
		'{"path":"src/a.c","line":12,"side":"RIGHT","body":"off by one"}' ]
	# the writer may not approve its own PR: that is why there are two accounts
	run fc review 2 approve "LGTM"
	[ "$status" -ne 0 ]
	[[ "$output" == *"own pull request"* ]]
	assert_no_violations
}

@test "without DA_REVIEW_TOKEN the reviewer falls back to the writer with a warning" {
	start_fake
	unset DA_REVIEW_TOKEN
	fc create-pr "Add a greeting" feature main "" >/dev/null
	run fc -R review 2 comment "Looks fine"
	[ "$status" -eq 0 ]
	[[ "$output" == *"DA_REVIEW_TOKEN is not set"* ]]
	[ "$(state 's.repos["octo/demo"].reviews[0].user.login')" = writer-bot ]
}

@test "a squash merge lands one commit on the bare repo's default branch" {
	make_bare
	start_fake
	ctl POST /__repo "{\"full_name\":\"octo/real\",\"bare\":\"$BARE\"}" >/dev/null
	run fc -r octo/real create-pr "Add a greeting" feature main "Closes #1"
	[ "$status" -eq 0 ]
	head_sha=$(printf '%s\n' "$output" | sed -n 's/^head_sha=//p')
	[ "$head_sha" = "$(git --git-dir="$BARE" rev-parse feature)" ]
	# inline comments must sit on the diff, or GitHub refuses the review
	run fc -r octo/real -R review 1 comment "x" "greeting.txt:7:not in the diff"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be part of the diff"* ]]
	run fc -r octo/real -R review 1 approve "ok" "greeting.txt:1:nice"
	[ "$status" -eq 0 ]
	run fc -r octo/real merge 1 "Add a greeting (#1)" "Closes #1" "$head_sha"
	[ "$status" -eq 0 ]
	[[ "$output" == *"result=merged"* ]]
	sha=$(printf '%s\n' "$output" | sed -n 's/^sha=//p')
	[ "$sha" = "$(git --git-dir="$BARE" rev-parse main)" ]
	[ "$(git --git-dir="$BARE" log -1 --format=%s main)" = "Add a greeting (#1)" ]
	[ "$(git --git-dir="$BARE" rev-list --parents -1 main | wc -w)" -eq 2 ]
	git --git-dir="$BARE" show main:greeting.txt | grep -q hello
	run fc -r octo/real merge 1 "again" ""
	[ "$output" = "$(printf 'result=not_mergeable\nsha=')" ]
	# the contents API writes commits on the bare repo too
	fc -r octo/real put-file .github/workflows/d.yml "dev-agents: dispatch" "on: issues"
	[ "$(git --git-dir="$BARE" show main:.github/workflows/d.yml)" = "on: issues" ]
	run fc -r octo/real get-file .github/workflows/d.yml
	[[ "$output" == *"sha=$(git --git-dir="$BARE" rev-parse main:.github/workflows/d.yml)"* ]]
	assert_no_violations
}

@test "merge answers 409 as conflict and a draft as not mergeable" {
	start_fake
	fc create-pr "Add a greeting" feature main "" draft >/dev/null
	run fc merge 2 "t" "m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"result=not_mergeable"* ]]
	fc set-draft 2 0
	ctl POST /__inject '{"path":"/pulls/2/merge$","status":409}' >/dev/null
	run fc merge 2 "t" "m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"result=conflict"* ]]
	run fc merge 2 "t" "m"
	[[ "$output" == *"result=merged"* ]]
	assert_no_violations
}

@test "files are created and updated through the contents API with their sha" {
	start_fake
	run fc get-file .github/workflows/dev-agents-dispatch.yml
	[ "$output" = none ]
	fc put-file .github/workflows/dev-agents-dispatch.yml "dev-agents: dispatch workflow" "on: issues"
	run fc get-file .github/workflows/dev-agents-dispatch.yml
	[[ "$output" == *"content=on: issues"* ]]
	sha=$(printf '%s\n' "$output" | sed -n 's/^sha=//p')
	[ "$sha" = "$(printf 'on: issues' | git hash-object --stdin)" ]
	run fc put-file .github/workflows/dev-agents-dispatch.yml "update" "on: [issues]"
	[ "$status" -ne 0 ]	# an update without the sha is refused
	run fc put-file .github/workflows/dev-agents-dispatch.yml "update" "on: [issues]" "$sha"
	[ "$status" -eq 0 ]
	[ "$(state 's.repos["octo/demo"].contents[".github/workflows/dev-agents-dispatch.yml"].content')" = "on: [issues]" ]
	# the failed PUT above was a forge answer, not a malformed request
	assert_no_violations
}

@test "an Actions secret is sealed so the repository's private key opens it" {
	start_fake
	run fc pubkey
	[[ "$output" == *"key_id=568250167242549743"* ]]
	FORGE_CLI_SECRET=github_pat_S3CRET run fc put-secret DEV_AGENTS_PAT
	[ "$status" -eq 0 ]
	sealed=$(state 's.repos["octo/demo"].secrets.DEV_AGENTS_PAT.encrypted_value')
	keys=$(ctl GET /__secret-keys)
	pk=$(node -e 'console.log(JSON.parse(process.argv[1]).public_key)' "$keys")
	sk=$(node -e 'console.log(JSON.parse(process.argv[1]).private_key)' "$keys")
	run "$FORGE_CLI" unseal "$sealed" "$pk" "$sk"
	[ "$status" -eq 0 ]
	[ "$output" = github_pat_S3CRET ]
	run ! grep -q S3CRET "$LOG"
	assert_no_violations
}

@test "5xx answers and timeouts are retried with backoff" {
	start_fake
	ctl POST /__inject '{"path":"/issues/1$","status":500,"count":1}' >/dev/null
	ctl POST /__inject '{"path":"/issues/1$","status":502,"count":1}' >/dev/null
	run fc issue 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"title=Add a greeting"* ]]
	[ "$(grep -c 'GET /repos/octo/demo/issues/1 ' "$LOG")" -eq 3 ]
	grep -q "issues/1 500 " "$LOG" && grep -q "issues/1 502 " "$LOG"
	ctl POST /__inject '{"path":"/issues/1$","delay_ms":8000,"count":1}' >/dev/null
	DA_HTTP_TIMEOUT_MS=2000 run fc issue 1
	[ "$status" -eq 0 ]
	grep -q "issues/1 0 .*Timeout" "$LOG"
	assert_no_violations
}

@test "a forge that is not there ends with exit 1 after the retries" {
	start_fake
	port=$(cat "$BATS_TEST_TMPDIR/port")
	ctl POST /__shutdown >/dev/null
	wait "$FAKE_PID" || true
	FAKE=
	DA_GITHUB_API="http://127.0.0.1:$port" run fc issue 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"(after 4 attempts)"* ]]
	[ "$(grep -c 'GET /repos/octo/demo/issues/1 0 ' "$LOG")" -eq 4 ]
}

@test "a forge that keeps failing ends with exit 1 after the last attempt" {
	start_fake
	ctl POST /__inject '{"path":"/issues/1$","status":503,"count":10}' >/dev/null
	run fc issue 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP 503 (after 4 attempts)"* ]]
}

@test "a short secondary rate limit (403 + retry-after) is waited out" {
	start_fake
	ctl POST /__inject '{"path":"/comments$","status":403,"retry_after":1,"body":{"message":"You have exceeded a secondary rate limit"}}' >/dev/null
	start=$(date +%s%N)
	run fc comment 1 "hello"
	[ "$status" -eq 0 ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ]
	[ "$(state 's.repos["octo/demo"].comments.length')" -eq 1 ]
}

@test "a long secondary rate limit ends with exit 75 and a not_before" {
	start_fake
	ctl POST /__inject '{"path":"/comments$","status":403,"retry_after":3600}' >/dev/null
	now=$(date +%s)
	run fc comment 1 "hello"
	[ "$status" -eq 75 ]
	nb=$(printf '%s\n' "$output" | sed -n 's/^not_before=//p')
	[ "$nb" -ge $((now + 3590)) ]
	[ "$nb" -le $((now + 3700)) ]
	[ "$(state 's.repos["octo/demo"].comments.length')" -eq 0 ]
	# a bare 403 that says "secondary rate limit" means a minute at least
	ctl POST /__inject '{"path":"/comments$","status":403,"body":{"message":"You have exceeded a secondary rate limit."}}' >/dev/null
	DA_HTTP_MAX_WAIT=10 run fc comment 1 "hello"
	[ "$status" -eq 75 ]
	# while a bare 403 without that is a permission answer
	ctl POST /__inject '{"path":"/comments$","status":403,"body":{"message":"Resource not accessible by integration"}}' >/dev/null
	run fc comment 1 "hello"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not accessible"* ]]
}

@test "the primary rate limit waits for x-ratelimit-reset or gives not_before" {
	start_fake
	reset=$(( $(date +%s) + 7200 ))
	ctl POST /__inject "{\"path\":\"/labels\",\"status\":403,\"headers\":{\"x-ratelimit-remaining\":\"0\",\"x-ratelimit-reset\":\"$reset\"}}" >/dev/null
	run fc labels
	[ "$status" -eq 75 ]
	[ "$(printf '%s\n' "$output" | sed -n 's/^not_before=//p')" -ge $((reset - 5)) ]
	ctl POST /__inject '{"path":"/issues/1$","status":429,"retry_after":1}' >/dev/null
	run fc issue 1
	[ "$status" -eq 0 ]
	grep -q "issues/1 429 " "$LOG"
}

@test "label listing follows Link pagination across pages" {
	start_fake
	names=$(for i in $(seq 1 230); do printf '"l%03d",' "$i"; done)
	ctl POST /__label "{\"repo\":\"octo/demo\",\"names\":[${names%,}]}" >/dev/null
	run fc labels
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 231 ]	# + dev-agents
	grep -q "GET /repos/octo/demo/labels?per_page=100&page=3 200" "$LOG"
	assert_no_violations
}

@test "a bad token is a clear usage error, and the log never holds it" {
	start_fake
	DA_GITHUB_TOKEN=ghp_wrongTOKEN run fc issue 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"HTTP 401: Bad credentials"* ]]
	run ! grep -q ghp_wrongTOKEN "$LOG"
	unset DA_GITHUB_TOKEN
	run fc issue 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"no GitHub token"* ]]
}

@test "gitea: labels by id, WIP drafts, reviews, squash merge, contents, plain secrets" {
	make_bare
	start_fake --gitea
	ctl POST /__repo "{\"full_name\":\"octo/real\",\"bare\":\"$BARE\"}" >/dev/null
	ctl POST /__issue '{"repo":"octo/real","title":"Greet"}' >/dev/null
	# more labels than one Gitea page holds: ensure must look at them all
	names=$(for i in $(seq 1 60); do printf '"l%03d",' "$i"; done)
	ctl POST /__label "{\"repo\":\"octo/real\",\"names\":[${names%,}],\"color\":\"00ff00\"}" >/dev/null
	run gfc -r octo/real ensure-label l060 b60205 ""
	[ "$output" = created=0 ]
	grep -q "GET /repos/octo/real/labels?limit=50&page=2 200" "$LOG"
	run gfc -r octo/real ensure-label pipeline-failed b60205 "failed"
	[ "$output" = created=1 ]
	gfc -r octo/real comment 1 "on it" >/dev/null
	run gfc -r octo/real comments 1
	[ "$output" = "writer-bot: on it" ]
	run gfc -r octo/real add-labels 1 pipeline-failed
	[ "$status" -eq 0 ]
	run gfc -r octo/real issue 1
	[[ "$output" == *"labels=pipeline-failed"* ]]
	run gfc -r octo/real create-pr "Greet" feature main "Closes #1" draft
	[[ "$output" == *"number=2"* && "$output" == *"draft=1"* ]]
	run gfc -r octo/real create-pr "Greet" feature main "again"
	[ "$status" -eq 0 ]
	[[ "$output" == *"number=2"* ]]
	run gfc -r octo/real merge 2 "Greet (#2)" ""
	[[ "$output" == *"result=not_mergeable"* ]]
	gfc -r octo/real set-draft 2 0
	run gfc -r octo/real find-pr feature
	[[ "$output" == *"draft=0"* ]]
	run gfc -r octo/real -R review 2 approve "ok" "greeting.txt:1:nice"
	[ "$status" -eq 0 ]
	[ "$(state 's.repos["octo/real"].reviews[0].comments[0].new_position')" = 1 ]
	run gfc -r octo/real merge 2 "Greet (#2)" "Closes #1"
	[[ "$output" == *"result=merged"* ]]
	[ "$(git --git-dir="$BARE" log -1 --format=%s main)" = "Greet (#2)" ]
	gfc -r octo/real put-file a.yml "add" "x: 1"
	sha=$(gfc -r octo/real get-file a.yml | sed -n 's/^sha=//p')
	gfc -r octo/real put-file a.yml "update" "x: 2" "$sha"
	# with a bare repo behind it, each file write is a commit on main
	[ "$(git --git-dir="$BARE" show main:a.yml)" = "x: 2" ]
	[ "$(git --git-dir="$BARE" log -1 --format=%s main)" = update ]
	git --git-dir="$BARE" show main:greeting.txt | grep -q hello
	FORGE_CLI_SECRET=plainvalue run gfc -r octo/real put-secret DEV_AGENTS_PAT
	[ "$status" -eq 0 ]
	[ "$(state 's.repos["octo/real"].secrets.DEV_AGENTS_PAT.data')" = plainvalue ]
	run gfc -r octo/real pubkey
	[ "$status" -eq 2 ]
	assert_no_violations
}
