#!/bin/sh
# Runs every cmocka suite given on the command line; fails if any fails.
# ASan/UBSan abort the process on the first report, which counts as failure.
set -u
fail=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAILED: $t"
		fail=1
	fi
done
exit $fail
