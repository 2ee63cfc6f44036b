# Set-up shared by the suites that run whole pipelines on a local bare
# repository with the fake agents (run, deliver-steps, deliver-forges,
# deliver-local). Load after helpers.bash, call after da_setup.

# pipeline_env: the fake agents' environment (claude logged in, sandboxed,
# quick backoff, its state private to the test) and a config passing the
# fakes' DA_FAKE_* through; the shipped workflows and prompts.
pipeline_env() {
	export DA_AGENT_BACKOFF_MS=10
	export DA_FAKE_STATE_DIR="$BATS_TEST_TMPDIR/fake-state"
	export CLAUDE_CODE_OAUTH_TOKEN=fake-oauth IS_SANDBOX=1
	unset ANTHROPIC_API_KEY DA_CLAUDE_BIN DA_FAKE_SCENARIO DA_PAUSE_FILE DA_GITHUB_API DA_GITEA_API
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n' >"$DA_HOME/config.yaml"
	ln -s "$REPO_ROOT/workflows" "$DA_HOME/workflows"
}

# pipeline_origin: $ORIGIN, a bare repository whose main holds one commit
# (README), and $BATS_TEST_TMPDIR/run-tests, the project's test gate: one
# old test passes, and QA's test_sum.txt makes it two.
pipeline_origin() {
	ORIGIN="$BATS_TEST_TMPDIR/origin.git"
	git init -q --bare -b main "$ORIGIN"
	git clone -q "$ORIGIN" "$BATS_TEST_TMPDIR/seed" 2>/dev/null
	(cd "$BATS_TEST_TMPDIR/seed" && echo hello >README && git add README &&
		git -c user.name=t -c user.email=t@t commit -qm init && git push -q origin HEAD:main)
	printf '#!/bin/sh\nif [ -f test_sum.txt ]; then echo "2 passed"; else echo "1 passed"; fi\n' \
		>"$BATS_TEST_TMPDIR/run-tests"
	chmod +x "$BATS_TEST_TMPDIR/run-tests"
}

# pipeline_agents: what the fake agents do for the feature workflow
# (DA_FAKE_RULES), and the pre-push reviewer's answer (DA_FAKE_REPLY):
# approve, one finding on a diff line (posted inline) and one off it
# (kept out of the posted review).
pipeline_agents() {
	cat >"$BATS_TEST_TMPDIR/rules" <<'R'
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	export DA_FAKE_RULES="$BATS_TEST_TMPDIR/rules"
	printf '%s\n' '{"verdict": "APPROVE", "summary": "Adds sum.", "findings": [{"severity": "minor", "file": "sum.txt", "line": 1, "message": "name the operands"}, {"severity": "minor", "file": "nowhere.c", "line": 9, "message": "off the diff"}]}' \
		>"$BATS_TEST_TMPDIR/approve"
	export DA_FAKE_REPLY="$BATS_TEST_TMPDIR/approve"
}

# the pid of a descendant of $1 named $2 (da-process runs its runner
# from a per-project worker), polled for
descendant() {
	local p q level
	for _ in $(seq 1 600); do
		level=$1
		while [ -n "$level" ]; do
			for p in $level; do
				[ "$(ps -o comm= -p "$p" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
			done
			q=""
			for p in $level; do q="$q $(pgrep -P "$p" | tr '\n' ' ')"; done
			level=$(printf '%s\n' "$q" | xargs)
		done
		sleep 0.05
	done
	return 1
}
