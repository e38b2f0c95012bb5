#!/bin/sh
# Replays the fuzz corpus and every regression input (tests/fuzz/corpus/,
# tests/fuzz/regressions/) through each fuzz target built with gcc and
# ASan/UBSan and a plain main() (tests/fuzz/run.sh --replay): one ok per
# target whose inputs all ran clean. Run from the repository root.
. "$(dirname "$0")/lib.sh"

sh tests/fuzz/run.sh --replay >"$TMPD/out" 2>&1
RC=$?
targets=$(sed -nE 's/^(fuzz_[a-z_]+): [0-9]+ inputs clean, [0-9]+ failed$/\1/p' "$TMPD/out")
if [ -z "$targets" ]; then
	not_ok fuzz_replay "no target replayed (exit $RC)"
	sed 's/^/# /' "$TMPD/out" | tail -n 20
fi
for t in $targets; do
	line=$(grep -E "^$t: " "$TMPD/out")
	clean=$(echo "$line" | sed -E 's/^[^:]+: ([0-9]+) inputs clean.*/\1/')
	bad=$(echo "$line" | sed -E 's/.*clean, ([0-9]+) failed$/\1/')
	if [ "$bad" -eq 0 ] && [ "$clean" -gt 0 ]; then
		ok "$t ($clean inputs)"
	else
		not_ok "$t" "$bad of $((clean + bad)) inputs failed"
	fi
done
if grep -q '^not ok build' "$TMPD/out"; then
	not_ok fuzz_build "$(grep '^not ok build' "$TMPD/out" | tr '\n' ' ')"
fi
# what failed, with the sanitizer's words
grep -E '^FAIL |^# ' "$TMPD/out" | head -n 40 | sed 's/^/# /'
if [ "$RC" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
	not_ok fuzz_replay "run.sh --replay exited $RC"
fi
finish
