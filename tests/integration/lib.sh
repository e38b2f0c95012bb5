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

# wait_for_text FILE REGEX [TENTHS]: waits (up to TENTHS tenths of a
# second, default 50) until FILE has a line matching REGEX.
wait_for_text() {
	for _ in $(seq "${3:-50}"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_capturing FILE: waits (up to 5 s) until a live capture says in its
# stderr FILE that it is capturing.
wait_capturing() {
	wait_for_text "$1" capturing
}

# run ARGS...: runs segwatch; its stdout in $TMPD/out, stderr in $TMPD/err, status in $RC.
run() {
	"$SEGWATCH" "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
}

# expect_rc NAME STATUS: reports not_ok (and returns 1) on a sanitizer
# report or another exit status.
expect_rc() {
	if sanitizer_report "$TMPD/err"; then
		not_ok "$1" "sanitizer report"
		sed 's/^/# /' "$TMPD/err" | head -20
		return 1
	fi
	if [ "$RC" -ne "$2" ]; then
		not_ok "$1" "exit status $RC, expected $2"
		sed 's/^/# /' "$TMPD/err" | head -5
		return 1
	fi
	return 0
}

# has FILE TEXT: FILE holds TEXT as a fixed string.
has() {
	grep -qF -- "$2" "$1"
}

# json_ok FILE: the file is one JSON document.
json_ok() {
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}

trap 'rm -rf "$TMPD"' EXIT

# deny_fixture CLIENT SERVER: writes $TMPD/inv.yaml (a/client at CLIENT,
# b/server at SERVER, both loopback addresses), $TMPD/pol.yaml (namespace b
# denies all ingress) and $TMPD/attempts.py OUT SECONDS [FIRST_PORT]: from
# CLIENT it connects to SERVER:PORT every 40 ms, one new port each time
# from FIRST_PORT (default 20000; nothing listens, so each attempt is
# answered by a reset and is one new violation), appending "port wallclock"
# to OUT after each attempt.
deny_fixture() {
	cat >"$TMPD/inv.yaml" <<EOF
namespaces:
  - name: a
  - name: b
endpoints:
  - id: a/client
    labels: {app: client}
    ips: [$1]
  - id: b/server
    labels: {app: server}
    ips: [$2]
EOF
	cat >"$TMPD/pol.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
EOF
	cat >"$TMPD/attempts.py" <<EOF
import socket, sys, time
out = open(sys.argv[1], "a", buffering=1)
end = time.time() + float(sys.argv[2])
port = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
while time.time() < end:
    s = socket.socket()
    s.bind(("$1", 0))
    try:
        s.connect(("$2", port))
    except OSError:
        pass
    s.close()
    out.write("%d %.6f\n" % (port, time.time()))
    port += 1
    time.sleep(0.04)
EOF
}
