# Shared helpers of the integration tests (sourced, not run).
# ok NAME / not_ok NAME REASON / skip NAME REASON, then `finish`.
PASSED=0
FAILED=0
SKIPPED=0
ok() { echo "ok $1"; PASSED=$((PASSED + 1)); }
not_ok() { echo "not ok $1: $2"; FAILED=$((FAILED + 1)); }
skip() { echo "skip $1: $2"; SKIPPED=$((SKIPPED + 1)); }
finish() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
	exit $?
}
# True when a sanitizer reported something in file $1.
sanitizer_report() {
	grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$1"
}
TMPD=$(mktemp -d /tmp/segwatch-test.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
