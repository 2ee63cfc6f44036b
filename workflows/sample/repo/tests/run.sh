#!/bin/sh
# The sample project's test suite: each tests/test_*.sh is one test.
# Prints the plain summary line dev-agents' gates recognise.
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
for t in tests/test_*.sh; do
	[ -e "$t" ] || continue
	if sh "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $t"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
