#!/bin/sh
# Least privilege: started as root, `segwatch flows -i lo` opens its
# capture and its output, then runs as nobody with no capabilities
# (read from /proc/PID/status of the running process) and still captures
# loopback traffic; `check --eve FILE` still writes its events; --user root
# keeps root; an unknown user, or --user without root, is a one-line
# error with exit status 2; `run` as nobody, in a directory only root may
# enter or a sticky one, leaves an empty -wal file and a database file
# that holds everything alone. The root-only checks are skipped otherwise.
#
# LeakSanitizer still works after the drop here (a non-dumpable process
# may read its own /proc/self/maps), so the run-integration.sh
# ASAN_OPTIONS are kept unchanged.
. "$(dirname "$0")/lib.sh"

# one_line_error NAME EXPECTED_TEXT: exit 2, one line on stderr holding the text
one_line_error() {
	if [ "$RC" -eq 2 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] && has "$TMPD/err" "$2" &&
		! sanitizer_report "$TMPD/err"; then
		ok "$1"
	else
		not_ok "$1" "exit $RC: $(cat "$TMPD/err")"
	fi
}

# Without root: --user naming another user is refused before anything opens.
if [ "$(id -u)" -ne 0 ]; then
	run flows -r /dev/null --user root
	one_line_error "not root: --user refused" "--user needs root"
	skip privdrop "not root: the drop itself needs root"
	finish
fi
if ! command -v setpriv >/dev/null; then
	skip "not root" "setpriv not installed"
else
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$SEGWATCH" flows -i lo --user root >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	one_line_error "not root: --user refused" "--user needs root"
fi

run flows -i lo --user segwatch-nosuchuser
one_line_error "unknown user: one line, exit 2" "no such user 'segwatch-nosuchuser'"

NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
PORT=$((20000 + $$ % 20000))
ZERO=0000000000000000

# The output file lives in a directory only root may enter: it can only
# be written because it is opened before the drop.
mkdir -m 700 "$TMPD/rootonly"
: >"$TMPD/live.err"
"$SEGWATCH" flows -i lo -f "udp port $PORT" -o "$TMPD/rootonly/flows.jsonl" --user nobody \
	2>"$TMPD/live.err" &
SW=$!
wait_capturing "$TMPD/live.err"
# the drop follows the "capturing" line; wait until the uid changed
for i in $(seq 50); do
	grep -qE "^Uid:[[:space:]]+$NOBODY_UID[[:space:]]" /proc/$SW/status 2>/dev/null && break
	sleep 0.1
done
cp /proc/$SW/status "$TMPD/status" 2>/dev/null
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$TMPD/status"; }

ids="$(field Uid) / $(field Gid)"
want="$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID / $NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID"
[ "$ids" = "$want" ] && ok "running process: Uid and Gid all nobody's" || not_ok ids "got '$ids'"
groups=$(field Groups)
[ -z "$groups" ] && ok "running process: no supplementary groups" || not_ok groups "got '$groups'"
caps="$(field CapEff) $(field CapPrm) $(field CapInh) $(field CapAmb)"
[ "$caps" = "$ZERO $ZERO $ZERO $ZERO" ] && ok "running process: no capabilities" ||
	not_ok caps "CapEff CapPrm CapInh CapAmb = $caps"
bnd=$(field CapBnd)
[ "$bnd" = "$ZERO" ] && ok "running process: empty bounding set" ||
	skip bounding "CapBnd $bnd (no CAP_SETPCAP to drop it?)"
[ "$(field NoNewPrivs)" = 1 ] && ok "running process: NoNewPrivs 1" ||
	not_ok nnp "NoNewPrivs '$(field NoNewPrivs)'"

# traffic after the drop is still captured
python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", port))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
for i in range(5):
    u.sendto(b"after the drop", ("127.0.0.1", port)); r.recvfrom(100)
PY
sleep 0.5
kill -INT $SW
wait $SW; rc=$?
if [ $rc -ne 0 ] || sanitizer_report "$TMPD/live.err"; then
	not_ok "exit after the drop" "exit $rc: $(head -20 "$TMPD/live.err")"
else
	ok "exits cleanly on SIGINT as nobody (no sanitizer report)"
fi
udp=$(grep '"proto":"udp"' "$TMPD/rootonly/flows.jsonl" 2>/dev/null)
case "$udp" in
*"\"dst_port\":$PORT"*'"src_pkts":5'*) ok "traffic sent after the drop is captured" ;;
*) not_ok "capture after the drop" "got: $udp" ;;
esac

# --user root keeps root, as asked
: >"$TMPD/root.err"
"$SEGWATCH" flows -i lo -o /dev/null -q --user root 2>"$TMPD/root.err" &
SW=$!
wait_capturing "$TMPD/root.err"
sleep 0.2
cp /proc/$SW/status "$TMPD/status" 2>/dev/null
kill -INT $SW
wait $SW; rc=$?
uid=$(field Uid)
eff=$(field CapEff)
if [ $rc -eq 0 ] && [ "$uid" = "0 0 0 0" ] && [ "$eff" != "$ZERO" ]; then
	ok "--user root keeps root"
else
	not_ok "--user root" "exit $rc, Uid '$uid', CapEff $eff"
fi

# check: the inventory and policies are read before the drop and --eve
# FILE is opened before it (in the root-only directory); the report and
# the events are still written
E=examples
if [ -f $E/three-tier.pcap ] && [ -f $E/inventory.yaml ] && [ -f $E/policies.yaml ]; then
	run check -r $E/three-tier.pcap --inventory $E/inventory.yaml -p $E/policies.yaml \
		--eve "$TMPD/rootonly/eve.jsonl" --user nobody
	# the example holds violations: exit 1, one event per violation
	if [ "$RC" -eq 1 ] && ! sanitizer_report "$TMPD/err" && [ -s "$TMPD/out" ] &&
		[ -s "$TMPD/rootonly/eve.jsonl" ]; then
		ok "check as nobody: report written, EVE file opened before the drop"
	else
		not_ok "check as nobody" "exit $RC: $(head -5 "$TMPD/err")"
	fi
else
	skip "check as nobody" "no example capture"
fi
# run --listen: the capture, the database (in the root-only directory) and
# the listening socket are opened as root; then the process runs as nobody
# with no capabilities, still captures, stores and answers HTTP.
deny_fixture 127.0.0.2 127.0.0.3
HPORT=$((PORT + 1))
: >"$TMPD/run.err"
"$SEGWATCH" run -i lo --immediate -f "host 127.0.0.3" --inventory "$TMPD/inv.yaml" \
	-p "$TMPD/pol.yaml" --db "$TMPD/rootonly/run.db" --listen "127.0.0.1:$HPORT" \
	--commit-interval 100ms 2>"$TMPD/run.err" &
SW=$!
for i in $(seq 100); do
	grep -qE "^Uid:[[:space:]]+$NOBODY_UID[[:space:]]" /proc/$SW/status 2>/dev/null &&
		curl -sf "http://127.0.0.1:$HPORT/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
cp /proc/$SW/status "$TMPD/status" 2>/dev/null
ids="$(field Uid) / $(field Gid)"
caps="$(field CapEff) $(field CapPrm)"
python3 -c 'import socket
for p in range(31000, 31005):
    s = socket.socket(); s.bind(("127.0.0.2", 0))
    try: s.connect(("127.0.0.3", p))
    except OSError: pass
    s.close()'
n=0
for i in $(seq 50); do
	n=$(curl -sf "http://127.0.0.1:$HPORT/api/v1/violations?src=a/client" |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null)
	[ "${n:-0}" -ge 5 ] && break
	sleep 0.2
done
kill -INT $SW
wait $SW; rc=$?
if [ "$ids" = "$want" ] && [ "$caps" = "$ZERO $ZERO" ] && [ "${n:-0}" -eq 5 ] && [ $rc -eq 0 ] &&
	! sanitizer_report "$TMPD/run.err"; then
	ok "run --listen as nobody: no capabilities, captures, stores, serves"
else
	not_ok "run --listen as nobody" "ids '$ids', caps '$caps', $n violations via the API, exit $rc: $(head -5 "$TMPD/run.err")"
fi

# wal_left DB: the -wal file nobody could delete at close is empty (or
# gone), and the database file alone (copied without it) holds the runs
wal_left() {
	if [ -s "$1-wal" ]; then
		echo "$(stat -c %s "$1-wal") bytes of -wal left"
		return
	fi
	cp "$1" "$TMPD/alone.db"
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT count(*) FROM runs WHERE stats IS NOT NULL").fetchone()[0],
      c.execute("SELECT count(*) FROM violations").fetchone()[0],
      c.execute("PRAGMA integrity_check").fetchone()[0])' "$TMPD/alone.db"
	rm -f "$TMPD/alone.db" "$TMPD/alone.db-wal" "$TMPD/alone.db-shm"
}
# After the drop, nobody may not delete the -wal file root created in the
# root-only directory, nor in a sticky one like /tmp: it is emptied
got=$(wal_left "$TMPD/rootonly/run.db")
if [ "$got" = "1 5 ok" ]; then
	ok "run as nobody: the -wal it cannot delete is emptied, the database holds everything"
else
	not_ok "run as nobody: -wal emptied" "$got"
fi
mkdir -m 1777 "$TMPD/sticky"
chmod 1777 "$TMPD/sticky"
if [ -f $E/three-tier.pcap ]; then
	run run -r $E/three-tier.pcap --inventory $E/inventory.yaml -p $E/policies.yaml \
		--db "$TMPD/sticky/r.db" -q
	want_v=$("$SEGWATCH" check -r $E/three-tier.pcap --inventory $E/inventory.yaml \
		-p $E/policies.yaml --format json 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	got=$(wal_left "$TMPD/sticky/r.db")
	if [ "$RC" -eq 0 ] && [ "$got" = "1 $want_v ok" ] && ! sanitizer_report "$TMPD/err"; then
		ok "run -r as nobody in a sticky directory: -wal emptied ($want_v violations stored)"
	else
		not_ok "run -r in a sticky directory" "exit $RC, $got (want 1 $want_v ok): $(head -3 "$TMPD/err")"
	fi
	run run -r $E/three-tier.pcap --inventory $E/inventory.yaml -p $E/policies.yaml \
		--db "$TMPD/sticky/r.db" -q --user root
	if [ "$RC" -eq 0 ] && [ ! -e "$TMPD/sticky/r.db-wal" ] && [ ! -e "$TMPD/sticky/r.db-shm" ]; then
		ok "run -r --user root after it: opens the emptied -wal, and deletes it at close"
	else
		not_ok "run -r --user root after an emptied -wal" "exit $RC: $(ls "$TMPD/sticky")"
	fi
else
	skip "run -r in a sticky directory" "no example capture"
fi
finish
