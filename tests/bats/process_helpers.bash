# Helpers for the da-process / da-status suites.

# enqueue PROJECT ISSUE TITLE [da-enqueue options...]
enqueue() {
	local p=$1 i=$2 t=$3
	shift 3
	da-enqueue --project "$p" --issue "$i" --title "$t" "$@" >/dev/null
}

# queue_config KEY VALUE...: the queue: section of $DA_HOME/config.yaml
queue_config() {
	{
		echo "queue:"
		while [ $# -gt 1 ]; do
			echo "  $1: $2"
			shift 2
		done
	} >"$DA_HOME/config.yaml"
}

# wait_for CMD...: poll (50 ms) until CMD succeeds; fail after WAIT_S (10) s.
wait_for() {
	local deadline=$((SECONDS + ${WAIT_S:-10}))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
		sleep 0.05
	done
}

count_in() { # STATE [PROJECT]
	find "$DA_QUEUE/$1/${2:-}" -name '*.yaml' 2>/dev/null | wc -l
}

# The queue invariant: every task file parses as a task, each id stands in
# exactly one place, and nothing but temp files is left besides tasks.
check_invariant() { # expected number of ids
	python3 - "$DA_QUEUE" "$1" <<'PY'
import os, sys, yaml
root, want = sys.argv[1], int(sys.argv[2])
ids = {}
for state in ("pending", "active", "completed", "failed"):
    base = os.path.join(root, state)
    for project in (os.listdir(base) if os.path.isdir(base) else []):
        for name in os.listdir(os.path.join(base, project)):
            path = os.path.join(base, project, name)
            if name.startswith(".tmp-"):
                continue
            if name.startswith(".id-"):  # dedup index entry: a symlink to a name
                if not os.path.islink(path) or "/" in os.readlink(path):
                    sys.exit("bad index entry %s" % path)
                continue
            if not name.endswith(".yaml"):
                sys.exit("stray file %s" % path)
            with open(path) as f:
                t = yaml.safe_load(f)
            for key in ("id", "project", "title", "type", "priority", "attempts", "history"):
                if key not in t:
                    sys.exit("%s: no %s" % (path, key))
            ids.setdefault(t["id"], []).append(path)
dups = {k: v for k, v in ids.items() if len(v) != 1}
if dups:
    sys.exit("in more than one place: %r" % dups)
if len(ids) != want:
    sys.exit("expected %d ids, found %d: %r" % (want, len(ids), sorted(ids)))
PY
}

temps_left() {
	find "$DA_QUEUE" -name '.tmp-*' | wc -l
}

# From a record-runner log: fail when a project ran two tasks at once or
# more than $1 ran at once machine-wide.
check_overlap() { # max_parallel log
	awk -v max="$1" '
		$1 == "start" { if (running[$2]++) { print "two at once in " $2; bad = 1 }
				if (++total > max) { print total " at once"; bad = 1 } }
		$1 == "end"   { running[$2]--; total-- }
		END { exit bad }' "$2"
}

# No record-runner of this test's queue is alive (a function, so that
# pgrep does not see its own command line).
no_runners_left() {
	! pgrep -f "record-runner $DA_QUEUE" >/dev/null
}

# No run lock of this queue is held (probes each without waiting).
run_locks_free() {
	local f
	for f in "$DA_QUEUE"/locks/*.lock; do
		[ -e "$f" ] || continue
		flock -n "$f" true || return 1
	done
}
