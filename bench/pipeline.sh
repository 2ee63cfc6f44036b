#!/usr/bin/env bash
# The pipeline benchmark (called by bench/run): a whole da-run on a local
# bare repository and the local forge, with the fake claude from tests/
# standing in for the agent, answering at once.
#
#  - orchestration overhead: da-run's wall time minus the time spent
#    inside agent processes (target under 2 s);
#  - peak RSS of da-run itself, its agents excluded (target under 16 MB),
#    read from /proc/<pid>/status VmHWM while it runs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${DA_BIN:-$here/bin}
runs=${BENCH_PIPELINE_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/da-bench-pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }

# An agent wrapper that logs how long each call of the fake takes.
mkdir -p "$work/agent"
cat >"$work/agent/claude" <<WRAP
#!/usr/bin/env bash
start=\$(date +%s%N)
"$here/tests/fakes/claude" "\$@"
code=\$?
echo \$(( \$(date +%s%N) - start )) >>"$work/agent-ns"
exit \$code
WRAP
chmod +x "$work/agent/claude"

one_run() { # $1 = index; prints "total_ns agent_ns hwm_kb"
	local d="$work/run-$1"
	export DA_HOME="$d/home" DA_QUEUE="$d/queue" NO_COLOR=1 IS_SANDBOX=1
	export CLAUDE_CODE_OAUTH_TOKEN=bench DA_CLAUDE_BIN="$work/agent/claude"
	export DA_FAKE_RULES="$d/rules" DA_AGENT_BACKOFF_MS=10
	mkdir -p "$DA_HOME/projects" "$DA_HOME/data/local-forge/bench+app/issues"
	ln -s "$here/workflows" "$DA_HOME/workflows"
	printf 'agents:\n  pass_env: [DA_FAKE_*]\n' >"$DA_HOME/config.yaml"
	git init -q --bare -b main "$d/origin.git"
	git clone -q "$d/origin.git" "$d/seed" 2>/dev/null
	(cd "$d/seed" && echo hello >README && git add README &&
		git -c user.name=b -c user.email=b@b commit -qm init && git push -q origin HEAD:main)
	printf 'repo: bench/app\nforge: local\nremote: %s\nmerge: auto\ncommands:\n  test: echo 1 passed\n' \
		"$d/origin.git" >"$DA_HOME/projects/app.yaml"
	printf 'number: 7\ntitle: Add sum\nbody: add two numbers\nlabels: [dev-agents]\n' \
		>"$DA_HOME/data/local-forge/bench+app/issues/7.yaml"
	cat >"$d/rules" <<'R'
Design success SPEC.md=the spec
Implement success sum.txt=a+b
QA success test_sum.txt=sum(1,2)==3
R
	"$bin/da-enqueue" --project app --repo bench/app --issue 7 --title "Add sum" >/dev/null
	mkdir -p "$DA_QUEUE/active/app"
	mv "$DA_QUEUE"/pending/app/*.yaml "$DA_QUEUE/active/app/"
	local task
	task=$(ls "$DA_QUEUE"/active/app/*.yaml)
	: >"$work/agent-ns"
	local start end pid hwm=0 h
	start=$(now_ns)
	PATH="$here/tests/fakes:$PATH" "$bin/da-run" "$task" >"$d/run.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		sleep 0.005
	done
	if ! wait "$pid"; then
		echo "bench: da-run failed; its log:" >&2
		cat "$d/run.log" >&2
		exit 1
	fi
	end=$(now_ns)
	echo "$((end - start)) $(awk '{ s += $1 } END { print s + 0 }' "$work/agent-ns") $hwm $(wc -l <"$work/agent-ns")"
}

echo "da-run, whole pipeline on the local forge, instant fake agent (median of $runs)"
for i in $(seq 1 "$runs"); do one_run "$i"; done >"$work/results"
sort -n -k1,1 "$work/results" | awk -v n="$runs" '
	NR == int((n + 1) / 2) {
		total = $1 / 1e6; agent = $2 / 1e6; over = total - agent
		printf "%-46s %9.0f ms\n", "wall time (" $4 " agent calls)", total
		printf "%-46s %9.0f ms\n", "of which inside the fake agent", agent
		printf "%-46s %9.0f ms  < 2000 ms: %s\n", "orchestration overhead", over, (over < 2000 ? "ok" : "MISSED")
	}'
hwm=$(sort -n -k3,3 "$work/results" | tail -n 1 | awk '{ print $3 }')
printf '%-46s %9s KB  < 16384 KB: %s\n' "peak RSS of da-run (agents excluded)" "$hwm" \
	"$([ "$hwm" -lt 16384 ] && echo ok || echo MISSED)"
