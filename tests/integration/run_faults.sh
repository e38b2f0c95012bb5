#!/bin/sh
# `segwatch run` under faults, on live loopback traffic (127.0.0.2 ->
# 127.0.0.3, one new destination port every 40 ms: each attempt is a new
# violation of a default-deny policy, so the database shows exactly which
# attempts were stored).
# Checks:
#   kill-N         SIGKILL at a random moment (SW_CRASH_ROUNDS rounds,
#                  default 20): the database opens, PRAGMA integrity_check
#                  is ok, every violation of an attempt made more than
#                  LAG (commit interval + capture latency) before the kill
#                  is stored, and nothing that was not attempted
#   locked-start   another process holds an exclusive lock: exit 2 within
#                  the busy timeout, naming the file and the lock
#   locked-run     the lock is taken during a run for longer than the busy
#                  timeout: one warning, capture goes on, and once the lock
#                  is gone everything is stored (nothing lost; the
#                  service map's sums count each stored flow once)
#   map-refused    transactions fail half-way (a trigger refuses the map's
#                  rows) and are retried whole: the map counts each stored
#                  flow once
#   row-deleted    a violation's row is deleted by hand during the run: the
#                  next write of its counters stores it again, whole, and
#                  nothing fails or is lost
#   file-deleted   the database file is deleted during the run: no write
#                  goes to the unreachable file, the run says why, counts
#                  what it could not store and exits 1 (it told of success)
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
ROUNDS=${SW_CRASH_ROUNDS:-20}

if [ "$(id -u)" -ne 0 ]; then
	skip faults "needs root for live capture on lo"
	finish
fi

deny_fixture 127.0.0.2 127.0.0.3
# verify.py DB ATTEMPTS KILL_TIME LAG: integrity, and every attempt older
# than KILL_TIME - LAG stored, nothing unknown stored.
cat >"$TMPD/verify.py" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ic = db.execute("PRAGMA integrity_check").fetchone()[0]
if ic != "ok":
    print("integrity_check: %s" % ic); sys.exit(1)
kill, lag = float(sys.argv[3]), float(sys.argv[4])
attempts = [l.split() for l in open(sys.argv[2])]
made = {int(p) for p, t in attempts}
due = {int(p) for p, t in attempts if float(t) < kill - lag}
stored = {r[0] for r in db.execute(
    "SELECT port FROM violations WHERE src = 'a/client' AND dst = 'b/server'")}
missing, unknown = due - stored, stored - made
if not due:
    print("no attempt was due before the kill: the round proves nothing"); sys.exit(1)
if missing or unknown:
    print("missing %d of %d due (e.g. %s), unknown %s" % (len(missing), len(due),
          sorted(missing)[:5], sorted(unknown)[:5])); sys.exit(1)
print("%d due, %d stored" % (len(due), len(stored)))
EOF

start_run() { # DB [extra args]: segwatch run on lo in the background, pid in $RUN_PID
	db=$1
	shift
	"$SEGWATCH" run -i lo --immediate -f "host 127.0.0.3" --user root \
		--inventory "$TMPD/inv.yaml" -p "$TMPD/pol.yaml" --db "$db" \
		--commit-interval 200ms "$@" >"$TMPD/run.out" 2>"$TMPD/run.err" &
	RUN_PID=$!
	# ready when the database has its run row
	for _ in $(seq 100); do
		python3 -c 'import sqlite3,sys; sys.exit(0 if sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM runs").fetchone()[0] else 1)' "$db" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# map_counts_flows DB: the service map's sums count every stored flow
# once (and there are some); says so in $TMPD/m.
map_counts_flows() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
m, f = db.execute("SELECT (SELECT coalesce(sum(flows), 0) FROM edge_minutes),"
                  " (SELECT count(*) FROM flows)").fetchone()
print("map counts %d flows, %d stored" % (m, f)); sys.exit(m != f or f == 0)' "$1" >"$TMPD/m" 2>&1
}

LAG=0.6
i=1
while [ "$i" -le "$ROUNDS" ]; do
	db="$TMPD/kill$i.db"
	if ! start_run "$db"; then
		not_ok "kill-$i" "segwatch run did not start: $(head -3 "$TMPD/run.err")"
		kill -9 "$RUN_PID" 2>/dev/null
		i=$((i + 1))
		continue
	fi
	python3 "$TMPD/attempts.py" "$TMPD/att$i" 6 &
	APID=$!
	sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 4.0), 2))')"
	t=$(python3 -c 'import time; print("%.6f" % time.time())')
	kill -9 "$RUN_PID"
	wait "$RUN_PID" 2>/dev/null
	kill "$APID" 2>/dev/null
	wait "$APID" 2>/dev/null
	if sanitizer_report "$TMPD/run.err"; then
		not_ok "kill-$i" "sanitizer report"
	elif python3 "$TMPD/verify.py" "$db" "$TMPD/att$i" "$t" "$LAG" >"$TMPD/v" 2>&1; then
		ok "kill-$i # $(cat "$TMPD/v")"
	else
		not_ok "kill-$i" "$(cat "$TMPD/v")"
	fi
	i=$((i + 1))
done

# lock.py DB SECONDS: holds an exclusive lock; prints "locked" once it has it.
cat >"$TMPD/lock.py" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
EOF

db="$TMPD/locked.db"
"$SEGWATCH" run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
	-p examples/policies.yaml --db "$db" -q >/dev/null 2>&1
python3 "$TMPD/lock.py" "$db" 12 >"$TMPD/lock.out" &
LPID=$!
while ! grep -q locked "$TMPD/lock.out" 2>/dev/null; do sleep 0.05; done
t0=$(date +%s)
run run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
	-p examples/policies.yaml --db "$db" -q
t1=$(date +%s)
if expect_rc locked-start 2; then
	if has "$TMPD/err" "$db" && grep -qi "lock" "$TMPD/err" && [ $((t1 - t0)) -le 9 ]; then
		ok locked-start
	else
		not_ok locked-start "after $((t1 - t0)) s: $(head -2 "$TMPD/err")"
	fi
fi
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

db="$TMPD/lockrun.db"
if start_run "$db"; then
	python3 "$TMPD/attempts.py" "$TMPD/attl" 9 &
	APID=$!
	sleep 1
	python3 "$TMPD/lock.py" "$db" 7 >/dev/null &
	LPID=$!
	wait "$APID"
	wait "$LPID"
	sleep 1.5 # the writer's backoff
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	rc=$?
	t=$(python3 -c 'import time; print(time.time())')
	if sanitizer_report "$TMPD/run.err"; then
		not_ok locked-run "sanitizer report"
	elif [ "$rc" -ne 0 ]; then
		not_ok locked-run "exit status $rc: $(head -3 "$TMPD/run.err")"
	elif ! grep -q "retried" "$TMPD/run.err" || ! grep -q "accepts writes again" "$TMPD/run.err"; then
		not_ok locked-run "no warning and recovery message: $(head -3 "$TMPD/run.err")"
	elif ! python3 "$TMPD/verify.py" "$db" "$TMPD/attl" "$t" 0 >"$TMPD/v" 2>&1; then
		not_ok locked-run "$(cat "$TMPD/v")"
	elif ! map_counts_flows "$db"; then
		not_ok locked-run "$(cat "$TMPD/m")"
	else
		ok "locked-run # $(cat "$TMPD/v"); $(cat "$TMPD/m")"
	fi
else
	not_ok locked-run "segwatch run did not start: $(head -3 "$TMPD/run.err")"
	kill -9 "$RUN_PID" 2>/dev/null
fi

# Transactions that fail half-way (a trigger refuses the service map's
# rows while a row of "refuse" exists) are rolled back and stored again
# whole once it is gone: every flow, each counted once in the map.
db="$TMPD/refused.db"
if start_run "$db"; then
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.executescript("""CREATE TABLE refuse (x); INSERT INTO refuse VALUES (1);
CREATE TRIGGER refuse_map BEFORE INSERT ON edge_minutes WHEN EXISTS (SELECT 1 FROM refuse)
BEGIN SELECT RAISE(ABORT, "refused by the test"); END;""")' "$db"
	# the flows end 5 s after their reset (tcp_closed linger): from 5 s on
	python3 "$TMPD/attempts.py" "$TMPD/attr" 4 &
	APID=$!
	sleep 7
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("DELETE FROM refuse"); db.commit()' "$db"
	wait "$APID"
	sleep 4 # the last flows end, the writer's backoff
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	rc=$?
	if sanitizer_report "$TMPD/run.err"; then
		not_ok map-refused "sanitizer report"
	elif [ "$rc" -ne 0 ]; then
		not_ok map-refused "exit status $rc: $(head -3 "$TMPD/run.err")"
	elif ! grep -q "refused by the test" "$TMPD/run.err" ||
	     ! grep -q "accepts writes again" "$TMPD/run.err"; then
		not_ok map-refused "no failure and recovery message: $(head -3 "$TMPD/run.err")"
	elif ! map_counts_flows "$db"; then
		not_ok map-refused "$(cat "$TMPD/m")"
	else
		ok "map-refused # $(cat "$TMPD/m")"
	fi
else
	not_ok map-refused "segwatch run did not start: $(head -3 "$TMPD/run.err")"
	kill -9 "$RUN_PID" 2>/dev/null
fi

# same_port N: N connection attempts from the client to the server's port
# 31999, one key: a/client -> b/server tcp/31999, denied by ingress.
same_port() {
	python3 -c 'import socket, sys, time
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.2", 0))
    try: s.connect(("127.0.0.3", 31999))
    except OSError: pass
    s.close(); time.sleep(0.04)' "$1"
}
# row_flows DB: the flows count of the key's violation row, or "none".
row_flows() {
	python3 -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1], timeout=10).execute(
    "SELECT flows FROM violations WHERE port = 31999").fetchone()
print(r[0] if r else "none")' "$1"
}
db="$TMPD/deleted.db"
if start_run "$db"; then
	same_port 3
	for _ in $(seq 50); do [ "$(row_flows "$db")" = 3 ] && break; sleep 0.1; done
	before=$(row_flows "$db")
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("DELETE FROM violations WHERE port = 31999"); db.commit()' "$db"
	same_port 4
	sleep 1 # the counters' next write (commit interval 200 ms)
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	rc=$?
	got=$(python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT flows FROM violations WHERE port = 31999").fetchone()[0],
      db.execute("SELECT count(*) FROM flows WHERE dport = 31999").fetchone()[0],
      db.execute("SELECT count(*) FROM flows WHERE dport = 31999 AND violation_id ="
                 " (SELECT id FROM violations WHERE port = 31999)").fetchone()[0])' "$db" 2>&1)
	if sanitizer_report "$TMPD/run.err"; then
		not_ok row-deleted "sanitizer report"
	elif [ "$rc" -ne 0 ] || grep -q "retried" "$TMPD/run.err"; then
		not_ok row-deleted "exit status $rc: $(head -3 "$TMPD/run.err")"
	elif [ "$before" != 3 ] || [ "$got" != "7 7 7" ]; then
		not_ok row-deleted "flows before the delete $before; after: row, flows, flows in it: $got (want 7 7 7)"
	else
		ok "row-deleted # stored again with the run's 7 flows"
	fi
else
	not_ok row-deleted "segwatch run did not start: $(head -3 "$TMPD/run.err")"
	kill -9 "$RUN_PID" 2>/dev/null
fi

db="$TMPD/gone.db"
if start_run "$db"; then
	same_port 2
	sleep 0.5
	rm -f "$db" "$db-wal" "$db-shm"
	same_port 3
	sleep 0.5
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	rc=$?
	if sanitizer_report "$TMPD/run.err"; then
		not_ok file-deleted "sanitizer report"
	elif [ "$rc" -ne 1 ] || ! grep -q "database file was deleted, moved or replaced" "$TMPD/run.err" ||
	     ! grep -q "could not be stored" "$TMPD/run.err"; then
		not_ok file-deleted "exit status $rc: $(grep -v capturing "$TMPD/run.err" | head -3)"
	else
		ok "file-deleted # $(grep -o '[0-9]* records' "$TMPD/run.err") not stored, said so, exit 1"
	fi
else
	not_ok file-deleted "segwatch run did not start: $(head -3 "$TMPD/run.err")"
	kill -9 "$RUN_PID" 2>/dev/null
fi
finish
