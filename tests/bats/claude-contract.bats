#!/usr/bin/env bats
# Contract test: the real Claude Code CLI (tests/node_modules) run through
# da-agent against a loopback fake of the Anthropic Messages API
# (tests/fakes/anthropic-server.js). Proves the argv, the prompt on stdin,
# the headless permission bypass, and the stream-json parsing against the
# real thing, with no network beyond 127.0.0.1.

load helpers

CLAUDE="$TESTS_DIR/node_modules/.bin/claude"

# fails the test when the command succeeds ("! cmd" does not, under bats)
refute() {
	if "$@"; then
		echo "unexpectedly true: $*"
		return 1
	fi
}

setup() {
	[ -x "$CLAUDE" ] || skip "tests/node_modules/.bin/claude is absent (run tests/install-npm)"
	da_setup
	WS="$BATS_TEST_TMPDIR/ws"
	RUN="$BATS_TEST_TMPDIR/run"
	API_LOG="$BATS_TEST_TMPDIR/api.jsonl"
	mkdir -p "$WS"
	node "$TESTS_DIR/fakes/anthropic-server.js" "$BATS_TEST_TMPDIR/port" "$WS" "$API_LOG" 3>&- &
	SERVER_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	[ -s "$BATS_TEST_TMPDIR/port" ]
	unset CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_AUTH_TOKEN CLAUDE_CONFIG_DIR
	export DA_CLAUDE_BIN="$CLAUDE"
	ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export ANTHROPIC_BASE_URL
	export ANTHROPIC_API_KEY=sk-ant-contract-dummy
	# root needs IS_SANDBOX=1 for --dangerously-skip-permissions
	export IS_SANDBOX=1
	# no update checks, telemetry, error reports or other traffic
	export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
		DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1
	printf 'agents:\n  claude_auth: api_key\n  implementer: { hang_timeout_seconds: 120, timeout_seconds: 300 }\n' \
		>"$DA_HOME/config.yaml"
	printf 'CONTRACT-PROMPT: write hello.txt, then run a Bash command\n' >"$BATS_TEST_TMPDIR/prompt.md"
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
	fi
}

field() {
	printf '%s\n' "$output" | grep '^{' | tail -1 | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===null?"null":v)})' "$1"
}

@test "real claude: an IMPLEMENT run writes a file, runs Bash, and is parsed" {
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json
	[ "$status" -eq 0 ] || { echo "$output"; cat "$RUN/implementer.output.log"; return 1; }
	[ "$(cat "$WS/hello.txt")" = "hello from the contract test" ]
	[ "$(cat "$WS/bash-ran.txt")" = "bash ran" ]
	[ "$(field ok)" = true ]
	[ "$(field backend)" = claude ]
	[[ "$(field session_id)" =~ ^[0-9a-f-]{36}$ ]]
	[ "$(field turns)" -ge 3 ]
	[ "$(field input_tokens)" -gt 0 ]
	[ "$(field output_tokens)" -gt 0 ]
	[ "$(field final_text)" = "CONTRACT-DONE: wrote hello.txt and ran Bash." ]
	# the prompt reached the API on stdin, with the key we allowed
	grep -q '"has_prompt":true' "$API_LOG"
	refute grep -q '"api_key":"absent"' "$API_LOG"
	grep -q '"type":"result"' "$RUN/implementer.events.jsonl"
	grep -q '"subtype":"init"' "$RUN/implementer.events.jsonl"
}

@test "real claude: a later run resumes the session from the role's private home" {
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sid=$(field session_id)
	printf 'CONTRACT-AGAIN: anything left?\n' >"$BATS_TEST_TMPDIR/again.md"
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/again.md" \
		--cwd "$WS" --run-dir "$RUN" --resume "$sid" --json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(field session_id)" = "$sid" ]
	# the resumed request carried the first run's tool results: step 2+
	grep '"has_resume_prompt":true' "$API_LOG" | grep -q '"step":2'
}

# The API modes need the server started with them: these tests restart it.
restart_server() { # mode
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	rm -f "$BATS_TEST_TMPDIR/port"
	FAKE_API_MODE="$1" FAKE_API_RESET=1900000000 node "$TESTS_DIR/fakes/anthropic-server.js" \
		"$BATS_TEST_TMPDIR/port" "$WS" "$API_LOG" 3>&- &
	SERVER_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export ANTHROPIC_BASE_URL
	# claude's own retries off, so the 429 reaches us at once
	export CLAUDE_CODE_MAX_RETRIES=0 DA_AGENT_BACKOFF_MS=10
}

@test "real claude: an API 429 is a rate limit, retried by da-agent" {
	restart_server rate_limit
	printf 'agents:\n  claude_auth: api_key\n  retries: 1\n  pass_env: [CLAUDE_CODE_MAX_RETRIES]\n' >"$DA_HOME/config.yaml"
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[ "$(field error_kind)" = rate_limit ]
	[ "$(field attempts)" = 2 ]
}

@test "real claude: a used-up subscription window exits 75 with its reset time" {
	restart_server usage_window
	unset ANTHROPIC_API_KEY
	export CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-contract-dummy
	printf 'agents:\n  pass_env: [CLAUDE_CODE_MAX_RETRIES]\n' >"$DA_HOME/config.yaml"
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json
	[ "$status" -eq 75 ] || { echo "$output"; return 1; }
	[ "$(field error_kind)" = usage_window ]
	[ "$(field reset_at)" = 2030-03-17T17:46:40Z ]
	grep -q '"type":"rate_limit_event"' "$RUN/implementer.events.jsonl"
}

@test "real claude: a whole da-run with a real IMPLEMENT stage, reviewed and merged on the local forge" {
	# the project's workflow: implement (real claude), verify, finalize
	origin="$BATS_TEST_TMPDIR/origin.git"
	git init -q --bare -b main "$origin"
	git clone -q "$origin" "$BATS_TEST_TMPDIR/seed" 2>/dev/null
	(cd "$BATS_TEST_TMPDIR/seed" && echo hello >README && git add README &&
		git -c user.name=t -c user.email=t@t commit -qm init && git push -q origin HEAD:main)
	ln -s "$REPO_ROOT/workflows" "$DA_HOME/workflows"
	cat >"$BATS_TEST_TMPDIR/implement-only.yaml" <<'W'
stages:
  - name: implement
    kind: agent
    role: implementer
    session: fresh
    prompt: implement
  - name: verify
    kind: gate
  - name: finalize
    kind: commit
    message: "{{commit_type}}: {{issue_title}} (#{{issue_number}})"
W
	mkdir -p "$DA_HOME/projects" "$DA_HOME/data/local-forge/me+app/issues"
	printf 'repo: me/app\nforge: local\nremote: %s\nmerge: auto\ncommands:\n  test: test -f hello.txt && echo "1 passed"\nworkflows:\n  feature: %s\n' \
		"$origin" "$BATS_TEST_TMPDIR/implement-only.yaml" >"$DA_HOME/projects/app.yaml"
	printf 'number: 5\ntitle: Say hello\nbody: write hello.txt\nlabels: [dev-agents]\n' \
		>"$DA_HOME/data/local-forge/me+app/issues/5.yaml"
	printf '  reviewer: { hang_timeout_seconds: 120, timeout_seconds: 300 }\n' >>"$DA_HOME/config.yaml"
	run da-enqueue --project app --repo me/app --issue 5 --title "Say hello"
	[ "$status" -eq 0 ]
	name=$(basename "$(ls "$DA_QUEUE"/pending/app/*.yaml)" .yaml)
	# the API fake writes into the task's workspace, where da-run clones
	kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
	rm -f "$BATS_TEST_TMPDIR/port"
	ws="$DA_HOME/data/work/app/$name"
	node "$TESTS_DIR/fakes/anthropic-server.js" "$BATS_TEST_TMPDIR/port" "$ws" "$API_LOG" 3>&- &
	SERVER_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export ANTHROPIC_BASE_URL
	run da-process --once
	runs="$DA_HOME/data/runs/app/$name"
	[ -n "$(ls "$DA_QUEUE/completed/app")" ] || { echo "$output"; cat "$runs/runner.log"; return 1; }
	# the stage ran the real CLI: its event stream was parsed into the summary
	grep -A8 "name: implement\$" "$runs/summary.yaml" | grep -q "turns: [1-9]"
	grep -q '"type":"result"' "$runs"/implementer.events.jsonl
	# and the work reached main through review and a squash merge
	git clone -q -b main "$origin" "$BATS_TEST_TMPDIR/main"
	[ "$(cat "$BATS_TEST_TMPDIR/main/hello.txt")" = "hello from the contract test" ]
	[ -f "$BATS_TEST_TMPDIR/main/bash-ran.txt" ]
	grep -q "APPROVE" "$runs"/review-1/review.yaml
}
