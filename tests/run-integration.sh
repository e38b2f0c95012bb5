#!/bin/sh
# Runs every integration test (tests/integration/*.sh) against the
# sanitized binary. Each test prints "N passed, M failed[, K skipped]" as
# its last line; this script adds them up and fails if any test failed.
set -u
cd "$(dirname "$0")/.."
export SEGWATCH="${SEGWATCH:-$PWD/build/asan/segwatch}"
export SHARED="${SHARED:-$(cd .. && pwd)/shared}"
export TOOLS="$PWD/build/rel/tools"
# A sanitizer report must fail loudly and distinctly.
export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-exitcode=87:print_stacktrace=1:halt_on_error=1}"
passed=0 failed=0 skipped=0 broken=""
for t in tests/integration/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	echo "== $t"
	out=$(sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$last" ]; then
		failed=$((failed + 1))
		broken="$broken $t"
		continue
	fi
	p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$last" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		broken="$broken $t"
	fi
done
[ -n "$broken" ] && echo "integration scripts that failed without a count:$broken"
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
