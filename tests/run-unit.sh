#!/bin/sh
# Runs every cmocka suite given on the command line; fails if any fails.
# ASan/UBSan abort the process on the first report, which counts as failure.
# A suite that hangs (a deadlock) is stopped after UNIT_TIMEOUT seconds
# (default 600) and counts as failed, so CI reports it instead of waiting.
set -u
fail=0
limit=${UNIT_TIMEOUT:-600}
for t in "$@"; do
	echo "== $t"
	timeout "$limit" "$t"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		echo "FAILED: $t (stopped after $limit s: hung?)"
		fail=1
	elif [ "$rc" -ne 0 ]; then
		echo "FAILED: $t"
		fail=1
	fi
done
exit $fail
