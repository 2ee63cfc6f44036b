#!/usr/bin/env bats
# da-onboard (./onboard) against the fake GitHub server: the six steps,
# their idempotence, --dry-run, the kept config, and the sealed secret.
load helpers

WRITER_TOKEN=ghp_onboardWRITER0123456789abcdef
PAT=github_pat_ONBOARD_secret_value_42

setup() {
	da_setup
	case "$DA_BIN" in
	*/build/san/bin) FORGE_CLI="${DA_BIN%/bin}/tests/forge_cli" ;;
	*) FORGE_CLI="$REPO_ROOT/build/release/tests/forge_cli" ;;
	esac
	[ -x "$FORGE_CLI" ] || { echo "missing $FORGE_CLI: run make build-all"; return 1; }
	export DA_HTTP_BACKOFF_MS=20 DA_HTTP_TIMEOUT_MS=5000
	export DA_GITHUB_TOKEN=$WRITER_TOKEN DA_DEV_AGENTS_REPO=me/dev-agents
	unset DEV_AGENTS_PAT
	mkdir -p "$DA_HOME/gha"
	cp "$REPO_ROOT/gha/dispatch.yml" "$DA_HOME/gha/dispatch.yml"
	make_bare
}

teardown() {
	if [ -n "${FAKE:-}" ]; then
		curl -s -X POST "$FAKE/__shutdown" >/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# A bare repository holding a small vitest project on main.
make_bare() {
	local work="$BATS_TEST_TMPDIR/work"
	BARE="$BATS_TEST_TMPDIR/myapp.git"
	git init -q --bare -b main "$BARE"
	git init -q -b main "$work"
	cp -R "$TESTS_DIR/fixtures/detect/npm-vitest/." "$work/"
	git -C "$work" add -A
	git -C "$work" -c user.name=t -c user.email=t@t commit -q -m init
	git -C "$work" push -q "$BARE" main
}

start_fake() {
	node "$TESTS_DIR/fakes/github-server.js" --port-file "$BATS_TEST_TMPDIR/port" --parent $$ \
		--tokens "$WRITER_TOKEN=writer-bot" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 300); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	FAKE="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	export DA_GITHUB_API=$FAKE
	ctl POST /__repo "{\"full_name\":\"myorg/myapp\",\"default_branch\":\"main\",\"bare\":\"$BARE\"}" >/dev/null
}

ctl() { curl -sf -X "$1" "$FAKE$2" ${3:+-d "$3"}; }
state() { ctl GET /__state | node -e "const s=JSON.parse(require('fs').readFileSync(0));console.log($1)"; }
writes() { ctl GET /__requests | node -e "console.log(JSON.parse(require('fs').readFileSync(0)).filter(r=>r.method!=='GET').length)"; }

onboard() { da-onboard myorg/myapp --remote "$BARE" "$@"; }

@test "onboarding runs the six steps: config, labels, workflow, sealed secret" {
	start_fake
	DEV_AGENTS_PAT=$PAT run onboard --runner pi-2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output"
	[[ "${lines[0]}" == "1/6 clone: done ("*"default branch main"* ]]
	[[ "${lines[1]}" == "2/6 detect: done (typescript, npm) test: npx vitest run; typecheck: npx tsc --noEmit; build: none; lint: npx eslint ." ]]
	[[ "${lines[2]}" == "3/6 config: done (wrote $DA_HOME/projects/myapp.yaml)" ]]
	[[ "${lines[3]}" == "4/6 labels: done (created dev-agents, pipeline-failed)" ]]
	[[ "${lines[4]}" == "5/6 workflow: done (created .github/workflows/dev-agents-dispatch.yml on main"* ]]
	[[ "${lines[5]}" == "6/6 secret: done (DEV_AGENTS_PAT set on myorg/myapp, sealed"* ]]
	# the config is the project file the pipeline reads
	grep -qx 'repo: myorg/myapp' "$DA_HOME/projects/myapp.yaml"
	grep -qx 'runner: pi-2' "$DA_HOME/projects/myapp.yaml"
	grep -q '^  test: "npx vitest run"' "$DA_HOME/projects/myapp.yaml"
	grep -q '^  # build: not detected' "$DA_HOME/projects/myapp.yaml"
	# labels
	run state "s.repos['myorg/myapp'].labels.map(l=>l.name).sort().join(',')"
	[ "$output" = "dev-agents,pipeline-failed" ]
	# the workflow, committed on main of the real repository, is the template filled in
	git -C "$BARE" show main:.github/workflows/dev-agents-dispatch.yml >"$BATS_TEST_TMPDIR/pushed.yml"
	sed -e 's|__DEV_AGENTS_REPO__|me/dev-agents|g' -e 's|__RUNNER_LABEL__|pi-2|g' \
		"$REPO_ROOT/gha/dispatch.yml" >"$BATS_TEST_TMPDIR/expected.yml"
	cmp "$BATS_TEST_TMPDIR/pushed.yml" "$BATS_TEST_TMPDIR/expected.yml"
	# the secret opens with the fake's private key to exactly the PAT
	box=$(state "s.repos['myorg/myapp'].secrets.DEV_AGENTS_PAT.encrypted_value")
	pk=$(ctl GET /__secret-keys | node -e "console.log(JSON.parse(require('fs').readFileSync(0)).public_key)")
	sk=$(ctl GET /__secret-keys | node -e "console.log(JSON.parse(require('fs').readFileSync(0)).private_key)")
	run "$FORGE_CLI" unseal "$box" "$pk" "$sk"
	[ "$output" = "$PAT" ]
	# the PAT is nowhere on disk in the clear
	run ! grep -rqF "$PAT" "$DA_HOME"
	run ctl GET /__violations
	[ "$output" = "[]" ]
}

@test "a second run changes nothing and says every step was already done" {
	start_fake
	DEV_AGENTS_PAT=$PAT run onboard --runner pi-2
	[ "$status" -eq 0 ]
	before=$(writes)
	cp "$DA_HOME/projects/myapp.yaml" "$BATS_TEST_TMPDIR/before.yaml"
	DEV_AGENTS_PAT=$PAT run onboard
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output"
	[[ "${lines[0]}" == "1/6 clone: done"* ]]	# a fresh temp clone each time: not a change
	[[ "${lines[1]}" == "2/6 detect: done"* ]]
	[[ "${lines[2]}" == "3/6 config: already done"* ]]
	[[ "${lines[3]}" == "4/6 labels: already done"* ]]
	[[ "${lines[4]}" == "5/6 workflow: already done"* ]]
	[[ "${lines[5]}" == "6/6 secret: already done"* ]]
	[ "$(writes)" -eq "$before" ]
	cmp "$DA_HOME/projects/myapp.yaml" "$BATS_TEST_TMPDIR/before.yaml"
}

@test "--dry-run prints the plan and writes nothing" {
	start_fake
	DEV_AGENTS_PAT=$PAT run onboard --dry-run
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"3/6 config: would write $DA_HOME/projects/myapp.yaml"* ]]
	[[ "$output" == *"4/6 labels: would do (would create dev-agents, pipeline-failed)"* ]]
	[[ "$output" == *"5/6 workflow: would create .github/workflows/dev-agents-dispatch.yml on main"* ]]
	[[ "$output" == *"6/6 secret: would set DEV_AGENTS_PAT"* ]]
	[ ! -e "$DA_HOME/projects" ]
	[ ! -e "$DA_HOME/data" ]
	[ "$(writes)" -eq 0 ]
	run git -C "$BARE" show main:.github/workflows/dev-agents-dispatch.yml
	[ "$status" -ne 0 ]
}

@test "an edited config is kept and its differences shown; --force replaces it" {
	start_fake
	run onboard
	[ "$status" -eq 0 ]
	sed -i -e 's|^runner: dev-agents|runner: pi-1|' -e 's|npx vitest run|npx vitest run --coverage|' \
		"$DA_HOME/projects/myapp.yaml"
	cp "$DA_HOME/projects/myapp.yaml" "$BATS_TEST_TMPDIR/edited.yaml"
	run onboard
	[ "$status" -eq 0 ]
	[[ "$output" == *"3/6 config: already done (kept your $DA_HOME/projects/myapp.yaml; it differs from a fresh one in:"* ]]
	[[ "$output" == *'  commands.test: yours "npx vitest run --coverage", onboarding would write "npx vitest run"'* ]]
	# the user's runner is the one the workflow is updated to
	[[ "$output" == *"5/6 workflow: done (updated"*"runner pi-1)"* ]]
	cmp "$DA_HOME/projects/myapp.yaml" "$BATS_TEST_TMPDIR/edited.yaml"
	run onboard --force --runner pi-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"3/6 config: done (replaced"* ]]
	grep -q '^  test: "npx vitest run"   #' "$DA_HOME/projects/myapp.yaml"
}

@test "without a PAT the exact gh secret set command is printed" {
	start_fake
	run onboard
	[ "$status" -eq 0 ]
	[[ "$output" == *"6/6 secret: skipped (no PAT given in DEV_AGENTS_PAT or on stdin); run:"*"  gh secret set DEV_AGENTS_PAT --repo myorg/myapp"* ]]
	run state "Object.keys(s.repos['myorg/myapp'].secrets || {}).length"
	[ "$output" = 0 ]
}

@test "the PAT can come on stdin" {
	start_fake
	run bash -c "echo '$PAT' | da-onboard myorg/myapp --remote '$BARE' --pat-stdin"
	[ "$status" -eq 0 ]
	[[ "$output" == *"6/6 secret: done"* ]]
}

@test "the local forge writes the config only" {
	run da-onboard local/myapp --forge local --remote "$BARE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"3/6 config: done"* ]]
	[[ "$output" == *"4/6 labels: skipped (local forge"* ]]
	[[ "$output" == *"5/6 workflow: skipped (local forge"* ]]
	[[ "$output" == *"6/6 secret: skipped (local forge"* ]]
	grep -qx 'forge: local' "$DA_HOME/projects/myapp.yaml"
	grep -qx "remote: \"$BARE\"" "$DA_HOME/projects/myapp.yaml"
}

@test "an unknown stack gets an explicit not-detected config, no guessed command" {
	local work="$BATS_TEST_TMPDIR/plain"
	BARE="$BATS_TEST_TMPDIR/plain.git"
	git init -q --bare -b main "$BARE"
	git init -q -b main "$work"
	echo "notes" >"$work/README.md"
	git -C "$work" add -A && git -C "$work" -c user.name=t -c user.email=t@t commit -q -m init
	git -C "$work" push -q "$BARE" main
	run da-onboard local/plain --forge local --remote "$BARE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2/6 detect: done: NOT detected (unknown stack"* ]]
	grep -q '^# Commands were NOT detected: unknown stack' "$DA_HOME/projects/plain.yaml"
	grep -qx 'commands: {}' "$DA_HOME/projects/plain.yaml"
	run ! grep -q '^  [a-z]*: "' "$DA_HOME/projects/plain.yaml"
}

@test "bad input is one line and exit 2, nothing written" {
	run --separate-stderr da-onboard 'myorg/../x' --remote "$BARE"
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-onboard
	run --separate-stderr da-onboard myorg/myapp --runner 'a b' --remote "$BARE"
	[ "$status" -eq 2 ]
	run --separate-stderr da-onboard myorg/myapp --forge svn
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line da-onboard
	[ ! -e "$DA_HOME/projects" ]
}

@test "the dispatch target defaults to the origin of the dev-agents checkout" {
	start_fake
	unset DA_DEV_AGENTS_REPO
	run onboard --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dev-agents-repo OWNER/NAME"* ]]
	git init -q "$DA_HOME"
	git -C "$DA_HOME" remote add origin git@github.com:team/dev-agents.git
	run onboard
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	git -C "$BARE" show main:.github/workflows/dev-agents-dispatch.yml | grep -qx '          DEV_AGENTS_REPO: team/dev-agents'
}

@test "./onboard runs da-onboard" {
	DA_ONBOARD_NO_BUILD=1 run "$REPO_ROOT/onboard" local/myapp --forge local --remote "$BARE" --dry-run
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "${lines[0]}" == "dry run: nothing is changed"* ]]
	[[ "$output" == *"3/6 config: would write $DA_HOME/projects/myapp.yaml"* ]]
	[ ! -e "$DA_HOME/projects" ]
	run "$REPO_ROOT/onboard" --help
	[[ "$output" == *"--install-cron"* ]]
}

@test "onboarding against gitea: labels, workflow and the secret (plain, as Gitea takes it)" {
	node "$TESTS_DIR/fakes/github-server.js" --port-file "$BATS_TEST_TMPDIR/port" --parent $$ --gitea \
		--tokens "$WRITER_TOKEN=writer-bot" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 300); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	FAKE="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	ctl POST /__repo "{\"full_name\":\"myorg/myapp\",\"default_branch\":\"main\",\"bare\":\"$BARE\"}" >/dev/null
	DEV_AGENTS_PAT=$PAT run onboard --forge gitea --api-url "$FAKE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[3]}" == "4/6 labels: done (created dev-agents, pipeline-failed)" ]]
	[[ "${lines[4]}" == "5/6 workflow: done"* ]]
	[[ "${lines[5]}" == "6/6 secret: done"* ]]
	grep -qx 'forge: gitea' "$DA_HOME/projects/myapp.yaml"
	run state "s.repos['myorg/myapp'].labels.map(l=>l.name).sort().join(',')"
	[ "$output" = "dev-agents,pipeline-failed" ]
	git -C "$BARE" show main:.github/workflows/dev-agents-dispatch.yml | grep -q "me/dev-agents"
	run state "s.repos['myorg/myapp'].secrets.DEV_AGENTS_PAT.data"
	[ "$output" = "$PAT" ]
	# and a second run is all "already done"
	DEV_AGENTS_PAT=$PAT run onboard --forge gitea --api-url "$FAKE"
	[ "$status" -eq 0 ]
	[[ "${lines[2]}" == "3/6 config: already done"* ]]
	[[ "${lines[3]}" == "4/6 labels: already done"* ]]
	[[ "${lines[4]}" == "5/6 workflow: already done"* ]]
	[[ "${lines[5]}" == "6/6 secret: already done"* ]]
}
