#!/usr/bin/env bats
# da-review against a real local repository and the fake claude, whose
# final text each test scripts with DA_FAKE_REPLY (tests/fakes/README.md).

load helpers

setup() {
	da_setup
	export DA_AGENT_BACKOFF_MS=10
	export DA_FAKE_LOG="$BATS_TEST_TMPDIR/calls.jsonl"
	export DA_FAKE_STATE_DIR="$BATS_TEST_TMPDIR/fake-state"
	export CLAUDE_CODE_OAUTH_TOKEN=fake-oauth IS_SANDBOX=1
	unset ANTHROPIC_API_KEY DA_CLAUDE_BIN DA_FAKE_SCENARIO DA_FAKE_SEQUENCE DA_FAKE_REPLY
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n' >"$DA_HOME/config.yaml"
	export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@test \
		GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@test
	REPO="$BATS_TEST_TMPDIR/repo"
	OUT="$BATS_TEST_TMPDIR/out"
	git init -q -b main "$REPO"
	printf 'module.exports = (a, b) => a + b;\n' >"$REPO/sum.js"
	git -C "$REPO" add sum.js
	git -C "$REPO" commit -qm base
	git -C "$REPO" checkout -qb dev-agents/7-div
	printf 'module.exports = (a, b) => a / b;\n' >"$REPO/div.js"
	git -C "$REPO" add div.js
	git -C "$REPO" commit -qm "add div"
}

reply() { # name text: a reply file for the fake
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
	echo "$BATS_TEST_TMPDIR/$1"
}

review() {
	run "$DA_BIN/da-review" --repo "$REPO" --out "$OUT" "$@"
}

calls() { [ -f "$DA_FAKE_LOG" ] && grep -c . "$DA_FAKE_LOG" || echo 0; }

@test "approve: exit 0, review.yaml and REVIEW.md written" {
	DA_FAKE_REPLY=$(reply ok 'Looks right.
```json
{"verdict": "APPROVE", "summary": "Adds div.", "findings": [{"severity": "minor", "file": "div.js", "line": 1, "message": "no zero check"}]}
```')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == "APPROVE: Adds div."* ]]
	grep -qx 'verdict: APPROVE' "$OUT/review.yaml"
	grep -q 'inline: true' "$OUT/review.yaml"
	grep -q '^# Review: APPROVE' "$OUT/REVIEW.md"
	grep -q 'no zero check' "$OUT/REVIEW.md"
	[ "$(calls)" -eq 1 ]
	# the reviewer worked in the repository and saw the numbered diff
	[ "$(tail -1 "$DA_FAKE_LOG" | jq -r .cwd)" = "$(cd "$REPO" && pwd -P)" ]
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q '     1 +module.exports = (a, b) => a / b;'
}

@test "request changes: exit 1, findings in review.yaml, off-diff ones not inline" {
	DA_FAKE_REPLY=$(reply rc '{"verdict": "REQUEST_CHANGES", "summary": "Division by zero.", "findings": [
 {"severity": "major", "file": "div.js", "line": 1, "message": "b may be 0"},
 {"severity": "minor", "file": "sum.js", "line": 1, "message": "unrelated file"}]}')
	export DA_FAKE_REPLY
	review --base main --json
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[ "$(printf '%s\n' "$output" | jq -r .verdict)" = REQUEST_CHANGES ]
	[ "$(printf '%s\n' "$output" | jq '.findings | length')" -eq 2 ]
	[ "$(printf '%s\n' "$output" | jq '[.findings[] | select(.inline)] | length')" -eq 1 ]
	python3 - "$OUT/review.yaml" <<-'EOF'
		import sys, yaml
		r = yaml.safe_load(open(sys.argv[1]))
		assert r["verdict"] == "REQUEST_CHANGES", r
		f = {x["file"]: x for x in r["findings"]}
		assert f["div.js"]["severity"] == "major" and f["div.js"]["line"] == 1 and f["div.js"]["inline"] is True
		assert f["sum.js"]["inline"] is False
		assert r["usage"]["agent_runs"] == 1 and r["usage"]["turns"] >= 1
	EOF
	grep -q 'Not on a line of the diff' "$OUT/REVIEW.md"
}

@test "approve with a critical finding is a request for changes, and REVIEW.md says why" {
	DA_FAKE_REPLY=$(reply crit '{"verdict": "APPROVE", "summary": "ok", "findings": [{"severity": "critical", "file": "div.js", "line": 1, "message": "crashes"}]}')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 1 ]
	grep -qx 'verdict: REQUEST_CHANGES' "$OUT/review.yaml"
	grep -qx 'agent_verdict: APPROVE' "$OUT/review.yaml"
	grep -q 'Changed from APPROVE' "$OUT/REVIEW.md"
}

@test "malformed output twice: exit 2 after exactly one retry, nothing written" {
	DA_FAKE_REPLY=$(reply bad 'LGTM, ship it!')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 2 ]
	[[ "$output" == *"da-review: the reviewer's answer was unusable twice"* ]]
	[ "$(calls)" -eq 2 ]
	# the retry continued the first session, with the stricter reminder
	sid=$(head -1 "$DA_FAKE_LOG" | jq -r '.argv | index("--resume")')
	[ "$sid" = null ]
	tail -1 "$DA_FAKE_LOG" | jq -e '.argv | index("--resume") != null'
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q 'ONLY the JSON object'
	[ ! -e "$OUT/review.yaml" ]
	[ ! -e "$OUT/REVIEW.md" ]
}

@test "an unknown verdict is malformed, never an approval" {
	DA_FAKE_REPLY=$(reply lgtm '{"verdict": "LGTM", "summary": "fine", "findings": []}')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 2 ]
	[ "$(calls)" -eq 2 ]
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q 'unknown verdict'
}

@test "malformed then good: exit 0 after one retry" {
	DA_FAKE_REPLY="$(reply bad 'I think it is fine.'),$(reply good '```json
{"verdict": "APPROVE", "summary": "fine now", "findings": []}
```')"
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(calls)" -eq 2 ]
	grep -q 'agent_runs: 2' "$OUT/review.yaml"
}

@test "no final event, then a good answer: exit 0" {
	export DA_FAKE_SEQUENCE=malformed,success
	DA_FAKE_REPLY=$(reply good '{"verdict": "APPROVE", "summary": "fine", "findings": []}')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(calls)" -eq 2 ]
	# the broken run had begun a session: the retry continues it
	tail -1 "$DA_FAKE_LOG" | jq -e '.argv | index("--resume") != null'
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q 'ended without a final result'
}

@test "no session to resume: the retry is a fresh run with the whole prompt and the reminder" {
	# a CLI that dies before saying anything the first time (no session id)
	cat >"$BATS_TEST_TMPDIR/claude-once-silent" <<-EOF
		#!/bin/sh
		if [ ! -e "$BATS_TEST_TMPDIR/silent-done" ]; then
			: >"$BATS_TEST_TMPDIR/silent-done"
			echo 'panic: not json'
			exit 0
		fi
		exec "$TESTS_DIR/fakes/claude" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/claude-once-silent"
	export DA_CLAUDE_BIN="$BATS_TEST_TMPDIR/claude-once-silent"
	DA_FAKE_REPLY=$(reply good '{"verdict": "APPROVE", "summary": "fine", "findings": []}')
	export DA_FAKE_REPLY
	review --base main
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -e "$BATS_TEST_TMPDIR/silent-done" ]
	[ "$(calls)" -eq 1 ]
	tail -1 "$DA_FAKE_LOG" | jq -e '.argv | index("--resume") == null'
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q '^## Diff'
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q 'ONLY the JSON object'
	grep -q 'agent_runs: 2' "$OUT/review.yaml"
}

@test "--context is shown to the reviewer" {
	DA_FAKE_REPLY=$(reply ok '{"verdict": "APPROVE", "summary": "ok", "findings": []}')
	export DA_FAKE_REPLY
	printf 'Issue #7: divide two numbers\n' >"$BATS_TEST_TMPDIR/ctx.md"
	review --base main --context "$BATS_TEST_TMPDIR/ctx.md"
	[ "$status" -eq 0 ]
	tail -1 "$DA_FAKE_LOG" | jq -r .prompt | grep -q 'Issue #7: divide two numbers'
}

@test "an agent that cannot run is an error (exit 2), not a request for changes" {
	export DA_FAKE_SCENARIO=crash
	review --base main
	[ "$status" -eq 2 ]
	[ "$(calls)" -eq 1 ]
}

@test "huge diff: the prompt stays under the bound and names what it left out" {
	DA_FAKE_REPLY=$(reply ok '{"verdict": "APPROVE", "summary": "big", "findings": []}')
	export DA_FAKE_REPLY
	mkdir -p "$REPO/src" "$REPO/node_modules/x"
	for i in 0 1 2 3 4 5 6 7 8 9; do seq -f "line %g of file $i" 500 >"$REPO/src/f$i.txt"; done
	seq -f '"dep%g": "1.0.0",' 3000 >"$REPO/package-lock.json"
	seq 2000 >"$REPO/node_modules/x/index.js"
	git -C "$REPO" add -A
	git -C "$REPO" commit -qm huge
	review --base main
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	bytes=$(wc -c <"$OUT/prompt.md")
	echo "prompt bytes: $bytes"
	[ "$bytes" -lt $((116 * 1024)) ]
	grep -q '`package-lock.json`: lock file' "$OUT/prompt.md"
	grep -q '`node_modules/x/index.js`: vendored' "$OUT/prompt.md"
	grep -q 'first 400 of 501 diff lines shown' "$OUT/prompt.md"
	grep -q 'total budget' "$OUT/prompt.md"
	grep -q 'path: package-lock.json' "$OUT/review.yaml"
	[ "$(grep -c dep2999 "$OUT/prompt.md")" -eq 0 ]
}

@test "default base and out dir: merge base with main, ./.dev-agents/review ignored by git" {
	DA_FAKE_REPLY=$(reply ok '{"verdict": "APPROVE", "summary": "ok", "findings": []}')
	export DA_FAKE_REPLY
	cd "$REPO"
	run "$DA_BIN/da-review"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -f .dev-agents/review/review.yaml ]
	grep -q "base: $(git rev-parse main)" .dev-agents/review/review.yaml
	[ -z "$(git status --porcelain)" ]
	# uncommitted edits are not reviewed, and da-review says so
	echo '// wip' >>div.js
	run "$DA_BIN/da-review"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uncommitted changes; only commits up to HEAD are reviewed"* ]]
}

@test "bad input: one line, exit 2, nothing written" {
	review --bogus
	[ "$status" -eq 2 ]
	run "$DA_BIN/da-review" --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	review --base no-such-rev
	[ "$status" -eq 2 ]
	assert_one_error_line da-review
	[ ! -e "$OUT/review.yaml" ]
	review --base HEAD
	[ "$status" -eq 2 ]
	[[ "$output" == *"nothing to review"* ]]
	[ "$(calls)" -eq 0 ]
}
