#!/usr/bin/env bats
# da-agent against the fake CLIs in tests/fakes (see tests/fakes/README.md).

load helpers

# fails the test when the command succeeds ("! cmd" does not, under bats)
refute() {
	if "$@"; then
		echo "unexpectedly true: $*"
		return 1
	fi
}

setup() {
	da_setup
	export DA_AGENT_BACKOFF_MS=10
	export DA_FAKE_LOG="$BATS_TEST_TMPDIR/calls.jsonl"
	export DA_FAKE_STATE_DIR="$BATS_TEST_TMPDIR/fake-state"
	export CLAUDE_CODE_OAUTH_TOKEN=fake-oauth OPENAI_API_KEY=fake-openai GEMINI_API_KEY=fake-gemini
	export IS_SANDBOX=1
	unset ANTHROPIC_API_KEY DA_CLAUDE_BIN DA_CODEX_BIN DA_GEMINI_BIN DA_OPENCODE_BIN DA_FAKE_SCENARIO
	WS="$BATS_TEST_TMPDIR/ws"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$WS"
	printf 'Implement the greeting\n' >"$BATS_TEST_TMPDIR/prompt.md"
	agent_config ""
}

# config.yaml with the fakes' variables allow-listed, plus extra lines.
agent_config() {
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n%s\n' "$1" >"$DA_HOME/config.yaml"
}

run_agent() { # extra da-agent args
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json "$@"
}

# A field of the JSON result on the last stdout line.
field() {
	printf '%s\n' "$output" | grep '^{' | tail -1 | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===null?"null":v)})' "$1"
}

last_call() { # field of the last fake call record
	tail -1 "$DA_FAKE_LOG" | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(Array.isArray(v)?v.join("\n"):v)})' "$1"
}

@test "each backend: success edits the workspace and the result is parsed" {
	for b in claude codex gemini opencode; do
		agent_config "  implementer: { backend: $b }"
		run_agent
		[ "$status" -eq 0 ] || { echo "$b: $output"; return 1; }
		[ "$(field ok)" = true ]
		[ "$(field backend)" = "$b" ]
		[ -f "$WS/fake-$b.txt" ]
		[ "$(field session_id)" != null ]
		[ "$(field turns)" -ge 1 ]
		[ "$(field input_tokens)" -gt 0 ]
		[[ "$(field final_text)" == "Wrote fake-$b.txt." ]]
	done
	# prompt and raw stream are kept in the run dir
	grep -q 'Implement the greeting' "$RUN/implementer.prompt.md"
	grep -q '"type":"step_finish"' "$RUN/implementer.events.jsonl"
	grep -q '"type":"thread.started"' "$RUN/implementer.events.jsonl"
}

@test "claude gets the headless flags, the role's model and turn limit, and the prompt on stdin" {
	run_agent
	[ "$status" -eq 0 ]
	argv=$(last_call argv)
	for want in -p --output-format stream-json --verbose --dangerously-skip-permissions; do
		grep -qx -- "$want" <<<"$argv"
	done
	grep -A1 -x -- --model <<<"$argv" | grep -qx opus
	grep -A1 -x -- --max-turns <<<"$argv" | grep -qx 40
	[ "$(last_call prompt)" = "Implement the greeting" ]
	[ "$(field cost_usd)" = 0.0421 ]
	[ "$(field cache_read_tokens)" = 5000 ]
}

@test "human output names the session, turns and final text" {
	run "$DA_BIN/da-agent" --role qa --prompt-file "$BATS_TEST_TMPDIR/prompt.md" --cwd "$WS" --run-dir "$RUN"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok: yes"* ]]
	[[ "$output" == *"turns: 2"* ]]
	[[ "$output" == *"Wrote fake-claude.txt."* ]]
}

@test "secrets never reach the agent, even when allow-listed; HOME is private to the run" {
	agent_config "  pass_env: [DA_FAKE_*, GH_TOKEN, MY_SECRET, DEV_AGENTS_PAT]"
	DA_GITHUB_TOKEN=t1 GH_TOKEN=t2 GITHUB_TOKEN=t3 DA_REVIEW_TOKEN=t4 DEV_AGENTS_PAT=t5 MY_SECRET=s \
		run_agent
	[ "$status" -eq 0 ]
	envs=$(last_call env)
	for bad in DA_GITHUB_TOKEN GH_TOKEN GITHUB_TOKEN DA_REVIEW_TOKEN DEV_AGENTS_PAT MY_SECRET OPENAI_API_KEY GEMINI_API_KEY; do
		! grep -qx "$bad" <<<"$envs" || { echo "leaked $bad"; return 1; }
	done
	grep -qx CLAUDE_CODE_OAUTH_TOKEN <<<"$envs"
	grep -qx CLAUDE_CONFIG_DIR <<<"$envs"
	[[ "$(last_call home)" == "$RUN/agent-home/implementer/home" ]]
}

@test "the real credential file is linked into the run's private config dir" {
	unset CLAUDE_CODE_OAUTH_TOKEN
	mkdir -p "$BATS_TEST_TMPDIR/realhome/.claude"
	printf '{"claudeAiOauth":{}}\n' >"$BATS_TEST_TMPDIR/realhome/.claude/.credentials.json"
	HOME="$BATS_TEST_TMPDIR/realhome" run_agent
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	link="$RUN/agent-home/implementer/claude/.credentials.json"
	[ -L "$link" ]
	[ "$(readlink "$link")" = "$BATS_TEST_TMPDIR/realhome/.claude/.credentials.json" ]
	# nothing the agent wrote landed in the real config dir
	[ "$(ls -A "$BATS_TEST_TMPDIR/realhome/.claude")" = .credentials.json ]
}

@test "two runs at once never share a home or a config dir" {
	for i in 1 2; do
		"$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
			--cwd "$WS" --run-dir "$BATS_TEST_TMPDIR/run$i" --json >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
	done
	wait
	grep -q '"ok":true' "$BATS_TEST_TMPDIR/out1"
	grep -q '"ok":true' "$BATS_TEST_TMPDIR/out2"
	homes=$(node -e 'for (const l of require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n")) console.log(JSON.parse(l).home)' "$DA_FAKE_LOG" | sort -u)
	[ "$(printf '%s\n' "$homes" | wc -l)" -eq 2 ]
	grep -q "run1/agent-home" <<<"$homes"
	grep -q "run2/agent-home" <<<"$homes"
}

@test "ANTHROPIC_API_KEY with the subscription meant: loud warning, key withheld" {
	ANTHROPIC_API_KEY=sk-metered run_agent
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: ANTHROPIC_API_KEY is set but agents.claude_auth is subscription"* ]]
	refute grep -qx ANTHROPIC_API_KEY <<<"$(last_call env)"
	[[ "$output" != *sk-metered* ]]
}

@test "claude_auth api_key passes ANTHROPIC_API_KEY to claude only" {
	agent_config "  claude_auth: api_key"
	ANTHROPIC_API_KEY=sk-test run_agent
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	grep -qx ANTHROPIC_API_KEY <<<"$(last_call env)"
}

@test "claude result with subtype success but is_error true is a failure" {
	DA_FAKE_SCENARIO=is_error run_agent
	[ "$status" -eq 1 ]
	[ "$(field ok)" = false ]
	[ "$(field error_kind)" = auth ]
	[[ "$output" == *"Please run /login"* ]]
}

@test "each backend: auth failure is an auth error" {
	for b in codex gemini opencode; do
		agent_config "  implementer: { backend: $b }"
		DA_FAKE_SCENARIO=is_error run_agent
		[ "$status" -eq 1 ] || { echo "$b: $output"; return 1; }
		[ "$(field error_kind)" = auth ] || { echo "$b: $output"; return 1; }
	done
}

@test "max turns: claude error_max_turns and gemini exit 53" {
	DA_FAKE_SCENARIO=max_turns run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = max_turns ]
	agent_config "  implementer: { backend: gemini }"
	DA_FAKE_SCENARIO=max_turns run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = max_turns ]
	[[ "$(field error)" == *"exit 53"* ]]
}

@test "claude error_during_execution is an execution failure" {
	DA_FAKE_SCENARIO=error_during_execution run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = execution ]
	[[ "$(field error)" == *ENOSPC* ]]
}

@test "each backend: no final event is malformed" {
	for b in claude codex gemini opencode; do
		agent_config "  implementer: { backend: $b }"
		DA_FAKE_SCENARIO=malformed run_agent
		[ "$status" -eq 1 ]
		[ "$(field error_kind)" = malformed ] || { echo "$b: $output"; return 1; }
	done
}

# true while the pid is alive (and not a zombie)
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

@test "hang: silence stops the agent and its whole group, no orphan left" {
	# room for a slow node start on a loaded machine to spawn the grandchild
	agent_config "  implementer: { hang_timeout_seconds: 3 }"
	DA_FAKE_SCENARIO=hang DA_FAKE_GRANDCHILD="$BATS_TEST_TMPDIR/gc.pid" run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = hang ]
	gc=$(cat "$BATS_TEST_TMPDIR/gc.pid")
	for _ in $(seq 50); do alive "$gc" || break; sleep 0.1; done
	refute alive "$gc"
}

@test "hang: an agent ignoring SIGTERM is killed" {
	agent_config "  implementer: { hang_timeout_seconds: 3 }"
	DA_FAKE_SCENARIO=hang DA_FAKE_IGNORE_TERM=1 DA_FAKE_GRANDCHILD="$BATS_TEST_TMPDIR/gc.pid" run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = hang ]
	gc=$(cat "$BATS_TEST_TMPDIR/gc.pid")
	for _ in $(seq 50); do alive "$gc" || break; sleep 0.1; done
	refute alive "$gc"
}

@test "wall clock: a chatty agent is stopped at timeout_seconds" {
	agent_config "  implementer: { backend: codex, timeout_seconds: 1, hang_timeout_seconds: 30 }"
	DA_FAKE_SCENARIO=chatty run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = timeout ]
}

@test "rate limit then success: retried with backoff, counts summed" {
	DA_FAKE_SEQUENCE=rate_limit,success run_agent
	[ "$status" -eq 0 ]
	[ "$(field attempts)" = 2 ]
	[[ "$output" == *"rate limited"*"retry 1 of 3 in 10 ms"* ]]
	# the retry continues the session the limited attempt began
	grep -A1 -x -- --resume <<<"$(last_call argv)" | tail -1 | grep -q .
	[ "$(field input_tokens)" = 2400 ]
}

@test "rate limit that never clears: fails as rate_limit after the retries" {
	agent_config "  retries: 2"
	DA_FAKE_SCENARIO=rate_limit run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = rate_limit ]
	[ "$(field attempts)" = 3 ]
}

@test "each backend: usage window exits 75 with the reset time" {
	export DA_FAKE_RESET_AT=1900000000
	for b in claude codex opencode; do
		agent_config "  implementer: { backend: $b }"
		DA_FAKE_SCENARIO=usage_window run_agent
		[ "$status" -eq 75 ] || { echo "$b: $output"; return 1; }
		[ "$(field error_kind)" = usage_window ]
		[ "$(field reset_at)" = 2030-03-17T17:46:40Z ] || { echo "$b: $output"; return 1; }
		[[ "$output" == *"resets at 2030-03-17T17:46:40Z"* ]]
	done
	agent_config "  implementer: { backend: gemini }"
	DA_FAKE_SCENARIO=usage_window run_agent
	[ "$status" -eq 75 ]
}

@test "budget: a runaway loop is stopped when the task's turns are crossed" {
	agent_config "budget: { max_turns: 10 }"
	DA_FAKE_SCENARIO=budget run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = budget ]
	[[ "$(field error)" == *"task budget crossed"* ]]
}

@test "budget: opencode's growing cost is watched as it streams" {
	agent_config "  implementer: { backend: opencode }
budget: { max_cost_usd: 2.0 }"
	DA_FAKE_SCENARIO=budget run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = budget ]
}

@test "budget: claude is given the remaining cost and reports error_max_budget_usd" {
	agent_config "budget: { max_cost_usd: 1.5 }"
	DA_FAKE_SCENARIO=budget run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = budget ]
	grep -A1 -x -- --max-budget-usd <<<"$(last_call argv)" | grep -qx 1.5000
}

@test "resume: a later run continues the session the first one started" {
	sid=0b0e7f3a-2c43-4f5e-9d1a-6a8d6f1c2e11
	run_agent --session-id "$sid"
	[ "$status" -eq 0 ]
	[ "$(field session_id)" = "$sid" ]
	DA_FAKE_SCENARIO=resume run_agent --resume "$sid"
	[ "$status" -eq 0 ]
	[ "$(field session_id)" = "$sid" ]
	grep -A1 -x -- --resume <<<"$(last_call argv)" | grep -qx "$sid"
	run_agent --resume 11111111-2222-3333-4444-555555555555
	[ "$status" -eq 1 ]
	[[ "$output" == *"No conversation found"* ]]
}

@test "fallback backend takes over when the primary is not installed" {
	agent_config "  implementer: { backend: claude, fallback: codex }"
	DA_CLAUDE_BIN=/nonexistent/claude run_agent
	[ "$status" -eq 0 ]
	[ "$(field backend)" = codex ]
	[[ "$output" == *"falling back to codex"* ]]
	[ -f "$WS/fake-codex.txt" ]
	# the primary's model name is not handed to another CLI
	refute grep -qx -- -m <<<"$(last_call argv)"
}

@test "fallback backend takes over on an exhausted usage window" {
	agent_config "  implementer: { backend: claude, fallback: gemini }"
	DA_FAKE_SCENARIO_CLAUDE=usage_window run_agent
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(field backend)" = gemini ]
}

@test "fake rules: a word in the prompt picks the scenario and the files written" {
	printf '# word scenario files\nDESIGN success SPEC.md=the spec\ngreeting crash\n' >"$BATS_TEST_TMPDIR/rules"
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = execution ]
	printf 'DESIGN the greeting\n' >"$BATS_TEST_TMPDIR/prompt.md"
	run_agent
	[ "$status" -eq 0 ]
	[ "$(cat "$WS/SPEC.md")" = "the spec" ]
}

@test "a missing CLI without fallback is not_found" {
	DA_CLAUDE_BIN=/nonexistent/claude run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = not_found ]
}

@test "a CLI that cannot be executed is an execution failure the fallback takes over" {
	printf '#!/nonexistent/interpreter\n' >"$BATS_TEST_TMPDIR/broken-claude"
	chmod +x "$BATS_TEST_TMPDIR/broken-claude"
	DA_CLAUDE_BIN="$BATS_TEST_TMPDIR/broken-claude" run_agent
	[ "$status" -eq 1 ]
	[ "$(field error_kind)" = execution ]
	[[ "$(field error)" == *"broken-claude"* ]]
	agent_config "  implementer: { backend: claude, fallback: codex }"
	DA_CLAUDE_BIN="$BATS_TEST_TMPDIR/broken-claude" run_agent
	[ "$status" -eq 0 ]
	[ "$(field backend)" = codex ]
}

@test "a backend switched without a model runs on that CLI's default model" {
	agent_config "  implementer: { backend: codex }"
	run_agent
	[ "$status" -eq 0 ]
	[ "$(field backend)" = codex ]
	# the implementer's default (Claude's opus) is not handed to codex
	refute grep -qx -- -m <<<"$(last_call argv)"
	agent_config "  implementer: { backend: codex, model: gpt-5-codex }"
	run_agent
	[ "$status" -eq 0 ]
	grep -A1 -x -- -m <<<"$(last_call argv)" | grep -qx gpt-5-codex
}

@test "the command path comes from the config" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -s "$TESTS_DIR/fakes/codex" "$BATS_TEST_TMPDIR/bin/my-codex"
	agent_config "  implementer: { backend: codex }
  commands: { codex: $BATS_TEST_TMPDIR/bin/my-codex }"
	run_agent
	[ "$status" -eq 0 ]
	[ "$(field backend)" = codex ]
}

@test "as root without IS_SANDBOX claude refuses, and the error says what to do" {
	[ "$(id -u)" -eq 0 ] || skip "only meaningful as root"
	unset IS_SANDBOX
	run_agent
	[ "$status" -eq 1 ]
	[[ "$(field error)" == *"root/sudo"*"IS_SANDBOX=1"* ]]
}

@test "unknown role: one line, exit 2" {
	run "$DA_BIN/da-agent" --role boss --prompt-file "$BATS_TEST_TMPDIR/prompt.md"
	[ "$status" -eq 2 ]
	assert_one_error_line da-agent
}

@test "missing prompt file: exit 2, nothing run" {
	run "$DA_BIN/da-agent" --role qa --prompt-file "$BATS_TEST_TMPDIR/nope.md" --run-dir "$RUN"
	[ "$status" -eq 2 ]
	assert_one_error_line da-agent
	[ ! -e "$DA_FAKE_LOG" ]
}

@test "bad config value: exit 2 naming file and line" {
	agent_config "  qa: { backend: clippy }"
	run "$DA_BIN/da-agent" --role qa --prompt-file "$BATS_TEST_TMPDIR/prompt.md"
	[ "$status" -eq 2 ]
	assert_one_error_line da-agent
	[[ "$output" == *"config.yaml:3"*"unknown backend"* ]]
}

@test "project file overlays the global roles" {
	mkdir -p "$DA_HOME/projects"
	printf 'agents:\n  implementer: { backend: opencode }\n' >"$DA_HOME/projects/app.yaml"
	run_agent --project app
	[ "$status" -eq 0 ]
	[ "$(field backend)" = opencode ]
	run_agent --project nope
	[ "$status" -eq 2 ]
}

# A prompt the size a big spec, the failure memory and gate output make:
# over 128 KiB, the most one argv string may hold on Linux.
big_prompt() {
	{
		printf 'Implement the greeting\n'
		for i in $(seq 3600); do
			printf 'spec line %05d: failure memory and gate output, long enough\n' "$i"
		done
		printf 'THE-END\n'
	} >"$BATS_TEST_TMPDIR/prompt.md"
}

@test "each backend: a prompt over 200 KiB reaches the CLI whole, on stdin" {
	big_prompt
	size=$(stat -c %s "$BATS_TEST_TMPDIR/prompt.md")
	[ "$size" -gt $((200 * 1024)) ]
	sum=$(sha256sum "$BATS_TEST_TMPDIR/prompt.md" | cut -d' ' -f1)
	for b in claude codex gemini opencode; do
		agent_config "  implementer: { backend: $b }"
		run_agent
		[ "$status" -eq 0 ] || { echo "$b: $output"; return 1; }
		[ "$(last_call cli)" = "$b" ]
		[ "$(last_call prompt_bytes)" = "$size" ] || { echo "$b: $(last_call prompt_bytes) bytes"; return 1; }
		[ "$(last_call prompt_sha256)" = "$sum" ]
		[ "$(last_call argv_bytes)" -lt 4096 ]
		[ "$(last_call stdin_is_tty)" = false ]
	done
}

@test "codex, gemini, opencode: a normal prompt comes on stdin, never in argv" {
	for b in codex gemini opencode; do
		agent_config "  implementer: { backend: $b }"
		run_agent
		[ "$status" -eq 0 ] || { echo "$b: $output"; return 1; }
		[ "$(last_call prompt)" = "Implement the greeting" ] || { echo "$b: $(last_call prompt)"; return 1; }
		argv=$(last_call argv)
		refute grep -q greeting <<<"$argv"
		case $b in
		codex) [ "$(tail -1 <<<"$argv")" = - ] ;;	# "-": read stdin
		gemini) [ "$(grep -A1 -x -- -p <<<"$argv" | sed -n 2p)" = "" ]
			[ "$(grep -A1 -x -- -p <<<"$argv" | wc -l)" -eq 2 ] ;;
		opencode) refute grep -qx -- -- <<<"$argv" ;;	# no message argument
		esac
	done
}

@test "codex resume: the session id, then - for the prompt on stdin" {
	agent_config "  implementer: { backend: codex }"
	run_agent
	[ "$status" -eq 0 ]
	sid=$(field session_id)
	DA_FAKE_SCENARIO=resume run_agent --resume "$sid"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	argv=$(last_call argv)
	[ "$(sed -n 2p <<<"$argv")" = resume ]
	[ "$(tail -2 <<<"$argv" | head -1)" = "$sid" ]
	[ "$(tail -1 <<<"$argv")" = - ]
	[ "$(last_call prompt)" = "Implement the greeting" ]
}

# The fakes read stdin as the real CLIs do (codex-cli 0.169.0, gemini 0.61.0,
# opencode 1.18.33 were run with these argv and stdin to see what they do).
@test "fake codex: - reads stdin, empty stdin or an extra argument is refused" {
	export CODEX_HOME="$BATS_TEST_TMPDIR/codex-home"
	cd "$WS"
	run codex exec --json -- - </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "No prompt provided via stdin." ]
	run codex exec --json -- one two </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == "error: unexpected argument 'two' found"* ]]
	run codex exec --json -- - <<<"from stdin"
	[ "$status" -eq 0 ]
	[ "$(last_call prompt)" = "from stdin" ]
	# an argument and a piped stdin: stdin is appended as a <stdin> block
	run codex exec --json -- "the task" <<<"more"
	[ "$status" -eq 0 ]
	[ "$(last_call prompt)" = "$(printf 'the task\n<stdin>\nmore')" ]
}

@test "fake gemini: stdin comes first, then -p's text; no input at all is exit 42" {
	export GEMINI_CLI_HOME="$BATS_TEST_TMPDIR/gemini-home"
	cd "$WS"
	run gemini -p "" -o stream-json --skip-trust </dev/null
	[ "$status" -eq 42 ]
	[[ "$output" == "No input provided via stdin."* ]]
	run gemini -p "the tail" -o stream-json --skip-trust <<<"the head"
	[ "$status" -eq 0 ]
	[ "$(last_call prompt)" = "$(printf 'the head\n\n\nthe tail')" ]
	run gemini -p "the task" -o stream-json --skip-trust extra </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "Cannot use both a positional prompt and the --prompt (-p) flag together" ]
}

@test "fake opencode: stdin is the message, or follows it on a new line" {
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/xdg-data"
	cd "$WS"
	run opencode run --format json </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"You must provide a message or a command"* ]]
	run opencode run --format json <<<"from stdin"
	[ "$status" -eq 0 ]
	[ "$(last_call prompt)" = "from stdin" ]
	# the real CLI quotes a message argument that holds a space
	run opencode run --format json -- "do it" now <<<"details"
	[ "$status" -eq 0 ]
	[ "$(last_call prompt)" = "$(printf '"do it" now\ndetails')" ]
}
