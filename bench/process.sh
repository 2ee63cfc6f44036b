#!/usr/bin/env bash
# Processing benchmark (called by bench/run; runs alone too):
#  - pick latency: one `da-process --limit 1` with an instant runner (true)
#    claiming and finishing one task, with 10, 1,000 and 10,000 pending
#    tasks over 100 projects and with 100,000 files in completed/
#    (target: flat within 1.3x);
#  - --watch pickup latency: enqueue -> "started" event (target < 200 ms);
#  - peak RSS of da-process (target < 4 MB).
# Prints a table. BENCH_ROUNDS (default 7) runs per figure; the median counts.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${DA_BIN:-$here/bin}
rounds=${BENCH_ROUNDS:-7}
work=$(mktemp -d "${TMPDIR:-/tmp}/da-bench-process.XXXXXX")
watch_pid=
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export DA_HOME="$work/home" DA_RUNNER=true NO_COLOR=1
mkdir -p "$DA_HOME"

now_ns() { date +%s%N; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# fill QUEUE TASKS: TASKS pending tasks spread over 100 projects, written
# with awk from one real task file (enqueueing 10,000 one by one would
# measure da-enqueue, not this).
fill() {
	export DA_QUEUE="$1"
	local n=$2
	"$bin/da-enqueue" --project p000 --issue 1 --title bench >/dev/null
	local tmpl
	tmpl=$(find "$DA_QUEUE/pending/p000" -name '*.yaml' | head -n 1)
	rm -f "$tmpl.copy"
	awk -v n="$n" -v root="$DA_QUEUE" '
		{ line[NR] = $0 }
		END {
			for (p = 0; p < 100; p++) {
				proj = sprintf("p%03d", p)
				system("mkdir -p " root "/pending/" proj)
			}
			for (i = 0; i < n; i++) {
				proj = sprintf("p%03d", i % 100)
				f = sprintf("%s/pending/%s/3-20260101T000000Z-%d-bench.yaml", root, proj, i + 2)
				for (k = 1; k <= NR; k++) {
					l = line[k]
					if (l ~ /^id: /) l = "id: " proj "#" (i + 2)
					else if (l ~ /^project: /) l = "project: " proj
					else if (l ~ /^issue: /) l = "issue: " (i + 2)
					print l > f
				}
				close(f)
			}
		}' "$tmpl"
	rm -f "$tmpl"
}

# pick_us QUEUE: wall time of one `da-process --limit 1` on QUEUE, in us
pick_us() {
	local t0 t1
	export DA_QUEUE="$1"
	t0=$(now_ns)
	"$bin/da-process" --limit 1 2>/dev/null
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000))
}

sizes=(10 1000 10000 "done")
for size in 10 1000 10000; do
	fill "$work/q$size" "$size"
done
fill "$work/qdone" 10
mkdir -p "$DA_QUEUE/completed/p000"
(cd "$DA_QUEUE/completed/p000" && seq -f 'done-%06g.yaml' 1 100000 | xargs touch)
# The queues take turns, one pick each per round: fsync latency on a disk
# shared with other work drifts within a minute, and taking turns spreads
# the drift over every row instead of charging it to one.
declare -A samples_of pick
for ((r = 0; r < rounds; r++)); do
	for size in "${sizes[@]}"; do
		samples_of[$size]+="$(pick_us "$work/q$size")"$'\n'
	done
done
for size in "${sizes[@]}"; do
	pick[$size]=$(printf '%s' "${samples_of[$size]}" | median | awk '{ printf "%.2f", $1 / 1000 }')
done
export DA_QUEUE="$work/qdone"

# Peak RSS: GNU time's maximum resident set (the largest of da-process and
# its children; the runner is `true`).
rss_kb=$( { /usr/bin/time -f '%M' "$bin/da-process" --limit 1 2>&1 >/dev/null; } | tail -n 1)

# --watch pickup: from the end of an enqueue to the "started" event.
export DA_QUEUE="$work/qwatch"
mkdir -p "$DA_QUEUE/pending"
mkfifo "$work/events"
"$bin/da-process" --watch --json >"$work/events" 2>/dev/null &
watch_pid=$!
exec 3<"$work/events"
samples=()
for ((i = 1; i <= rounds; i++)); do
	"$bin/da-enqueue" --project "w$i" --issue "$i" --title watch >/dev/null
	t0=$(now_ns)
	while read -r line <&3; do
		case $line in *'"event":"started"'*) break ;; esac
	done
	t1=$(now_ns)
	samples+=($(((t1 - t0) / 1000)))
	while read -r line <&3; do # its completion, before the next sample
		case $line in *'"event":"completed"'*) break ;; esac
	done
done
watch_ms=$(printf '%s\n' "${samples[@]}" | median | awk '{ printf "%.2f", $1 / 1000 }')
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null || true
watch_pid=

base=${pick[10]}
ratio() { awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2fx", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "ok" : "MISSED" }'; }
worst=$(printf '%s\n' "${pick[1000]}" "${pick[10000]}" "${pick[done]}" | sort -n | tail -n 1)

echo "da-process (median of $rounds)"
printf '%-46s %12s %10s %s\n' "measure" "value" "vs 10" "target"
printf '%-46s %9s ms %10s\n' "pick, 10 pending / 100 projects" "${pick[10]}" "1.00x"
printf '%-46s %9s ms %10s\n' "pick, 1,000 pending / 100 projects" "${pick[1000]}" "$(ratio "${pick[1000]}")"
printf '%-46s %9s ms %10s\n' "pick, 10,000 pending / 100 projects" "${pick[10000]}" "$(ratio "${pick[10000]}")"
printf '%-46s %9s ms %10s %s\n' "pick, 10 pending + 100,000 completed" "${pick[done]}" "$(ratio "${pick[done]}")" \
	"flat within 1.3x: $(verdict "$(awk -v a="$worst" -v b="$base" 'BEGIN { print a / b }')" 1.3)"
printf '%-46s %9s ms %10s %s\n' "--watch pickup (enqueue -> started)" "$watch_ms" "" \
	"< 200 ms: $(verdict "$watch_ms" 200)"
printf '%-46s %9s KB %10s %s\n' "peak RSS of da-process" "$rss_kb" "" "< 4096 KB: $(verdict "$rss_kb" 4096)"
