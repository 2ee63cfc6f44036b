#!/usr/bin/env bats
# Contract test: the real codex, gemini and opencode CLIs, run through
# da-agent with a prompt over 128 KiB (more than one argv string may hold
# on Linux), send that prompt whole to a loopback model API
# (tests/fakes/prompt-recorder.js). Proves each CLI takes the argv da-agent
# builds and reads the prompt on stdin. No network beyond 127.0.0.1; the
# recorder refuses every request, so each run ends as a failed turn.
#
# Run by `make contract`, which installs the CLIs (tests/contract/package.json:
# @openai/codex, @google/gemini-cli, opencode-ai, about 850 MB) into
# tests/contract/node_modules; DA_CONTRACT_CLI_BIN points elsewhere. Not
# part of `make test`: a CLI that is absent fails its test.

load ../bats/helpers

CLI_BIN="${DA_CONTRACT_CLI_BIN:-$TESTS_DIR/contract/node_modules/.bin}"

setup() {
	da_setup
	WS="$BATS_TEST_TMPDIR/ws"
	RUN="$BATS_TEST_TMPDIR/run"
	REC_LOG="$BATS_TEST_TMPDIR/requests.jsonl"
	mkdir -p "$WS"
	node "$TESTS_DIR/fakes/prompt-recorder.js" "$BATS_TEST_TMPDIR/port" "$REC_LOG" 3>&- &
	SERVER_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	[ -s "$BATS_TEST_TMPDIR/port" ]
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
	# the real home the credential and settings files are linked from
	export HOME="$BATS_TEST_TMPDIR/realhome"
	mkdir -p "$HOME"
	unset OPENAI_API_KEY GOOGLE_API_KEY ANTHROPIC_API_KEY OPENCODE_API_KEY CODEX_HOME OPENCODE_CONFIG
	{
		printf 'CONTRACT-PROMPT-START\n'
		for i in $(seq 3600); do
			printf 'contract spec line %05d: failure memory and gate output\n' "$i"
		done
		printf 'CONTRACT-PROMPT-END\n'
	} >"$BATS_TEST_TMPDIR/prompt.md"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/prompt.md")" -gt $((128 * 1024)) ]
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
	fi
}

# agents: config for one backend and model, plus extra lines
contract_config() {
	printf 'agents:\n  retries: 0\n  implementer: { backend: %s, model: %s, hang_timeout_seconds: 120, timeout_seconds: 300 }\n%s\n' \
		"$1" "$2" "${3:-}" >"$DA_HOME/config.yaml"
}

run_agent() {
	run "$DA_BIN/da-agent" --role implementer --prompt-file "$BATS_TEST_TMPDIR/prompt.md" \
		--cwd "$WS" --run-dir "$RUN" --json
}

field() {
	printf '%s\n' "$output" | grep '^{' | tail -1 | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===null?"null":v)})' "$1"
}

# The recorder got a request carrying the whole prompt: both markers and
# every numbered line (the prompt may appear more than once in a body).
prompt_arrived_whole() {
	node -e '
		const reqs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
		const whole = reqs.filter((r) => r.start >= 1 && r.end >= 1 && r.last >= 1 && r.lines >= 3600);
		for (const r of reqs) console.log(r.method, r.url, r.bytes, r.start, r.end, r.lines);
		process.exit(whole.length ? 0 : 1);' "$REC_LOG"
}

# da-agent ran the CLI (no E2BIG, no argv error) and the CLI reported the
# recorder's refusal as the turn's failure.
ran_to_the_recorder() {
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[ "$(field error_kind)" = execution ] || { echo "$output"; return 1; }
	[[ "$(field error)" == *"recorder says no"* ]] || { echo "$output"; cat "$RUN/implementer.output.log"; return 1; }
	prompt_arrived_whole
}

@test "real codex: exec -- - reads a prompt over 128 KiB from stdin" {
	[ -x "$CLI_BIN/codex" ] || { echo "$CLI_BIN/codex is absent: run make contract"; return 1; }
	export DA_CODEX_BIN="$CLI_BIN/codex" CODEX_API_KEY=contract-dummy
	# a model provider pointing at the recorder, linked into the run's CODEX_HOME
	mkdir -p "$HOME/.codex"
	printf 'model_provider = "recorder"\n[model_providers.recorder]\nname = "recorder"\nbase_url = "http://127.0.0.1:%s/v1"\nenv_key = "CODEX_API_KEY"\nwire_api = "responses"\n' \
		"$PORT" >"$HOME/.codex/config.toml"
	contract_config codex gpt-5-codex
	run_agent
	ran_to_the_recorder
	grep -q '"type":"thread.started"' "$RUN/implementer.events.jsonl"
}

@test "real gemini: -p \"\" reads a prompt over 128 KiB from stdin" {
	[ -x "$CLI_BIN/gemini" ] || { echo "$CLI_BIN/gemini is absent: run make contract"; return 1; }
	export DA_GEMINI_BIN="$CLI_BIN/gemini" GEMINI_API_KEY=contract-dummy
	export GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:$PORT"
	mkdir -p "$HOME/.gemini"
	printf '{"security":{"auth":{"selectedType":"gemini-api-key"}}}\n' >"$HOME/.gemini/settings.json"
	contract_config gemini gemini-2.5-pro "  pass_env: [GOOGLE_GEMINI_BASE_URL]"
	run_agent
	ran_to_the_recorder
	# gemini echoes the user's input: exactly the prompt file
	node -e '
		const fs = require("fs");
		const ev = fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{"))
			.map(JSON.parse).find((e) => e.type === "message" && e.role === "user");
		process.exit(ev && ev.content === fs.readFileSync(process.argv[2], "utf8") ? 0 : 1);' \
		"$RUN/implementer.events.jsonl" "$BATS_TEST_TMPDIR/prompt.md"
}

@test "real opencode: run with no message reads a prompt over 128 KiB from stdin" {
	[ -x "$CLI_BIN/opencode" ] || { echo "$CLI_BIN/opencode is absent: run make contract"; return 1; }
	export DA_OPENCODE_BIN="$CLI_BIN/opencode"
	export OPENCODE_CONFIG="$BATS_TEST_TMPDIR/opencode.json"
	printf '{"provider":{"anthropic":{"options":{"baseURL":"http://127.0.0.1:%s/v1","apiKey":"contract-dummy"}}},"model":"anthropic/claude-sonnet-4-5","autoupdate":false,"share":"disabled"}\n' \
		"$PORT" >"$OPENCODE_CONFIG"
	# opencode wants provider/model (a bare name fails the run)
	contract_config opencode anthropic/claude-sonnet-4-5
	run_agent
	ran_to_the_recorder
}
