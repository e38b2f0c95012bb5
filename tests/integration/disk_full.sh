#!/bin/sh
# `segwatch run` with its database on a full disk: a 4 MiB tmpfs, filled
# with a filler file once the run has started, under live loopback traffic
# (127.0.0.4 -> 127.0.0.5, a new destination port every 40 ms: each attempt
# is a new violation of a default-deny policy, so the database shows
# exactly which attempts were stored). Then space comes back.
# Checks, for each way space comes back (delete: the filler is removed;
# remount: the tmpfs grows to 64 MiB):
#   full-warning-W   a warning naming the full disk and saying capture goes
#                    on and the batch is retried
#   full-capture-W   while the disk is full, the live counters (/api/v1/stats
#                    of --listen) keep growing and the writer counts failed
#                    batches; the process stays alive
#   full-recover-W   once space is back: "accepts writes again", SIGTERM
#                    exit 0, no sanitizer report
#   full-stored-W    PRAGMA integrity_check ok; every attempted port stored
#                    exactly once as a violation counting one flow, and as
#                    one flow row linked to it; nothing else
# Needs root (tmpfs mount, live capture); the mount is undone on every exit.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}

if [ "$(id -u)" -ne 0 ]; then
	skip disk_full "needs root (tmpfs mount, live capture on lo)"
	finish
fi
MNT="$TMPD/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m tmpfs "$MNT" 2>"$TMPD/mount.err"; then
	skip disk_full "cannot mount a tmpfs: $(cat "$TMPD/mount.err")"
	finish
fi
RUN_PID=""
APID=""
cleanup() {
	[ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deny_fixture 127.0.0.4 127.0.0.5
# verify.py DB ATTEMPTS: integrity; every attempted port once, one flow each.
cat >"$TMPD/verify.py" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ic = db.execute("PRAGMA integrity_check").fetchone()[0]
if ic != "ok":
    print("integrity_check: %s" % ic); sys.exit(1)
made = {int(l.split()[0]) for l in open(sys.argv[2])}
rows = db.execute("SELECT port, count(*), sum(flows) FROM violations"
                  " WHERE src = 'a/client' AND dst = 'b/server' GROUP BY port").fetchall()
stored = {r[0] for r in rows}
twice = [r[0] for r in rows if r[1] != 1]
multi = [r[0] for r in rows if r[2] != 1]
other = db.execute("SELECT count(*) FROM violations WHERE NOT (src = 'a/client'"
                   " AND dst = 'b/server')").fetchone()[0]
missing, unknown = made - stored, stored - made
# the flows too: one row per attempt, linked to its port's violation
frows = db.execute("SELECT f.dport, count(*), min(v.port = f.dport) FROM flows f"
                   " LEFT JOIN violations v ON v.id = f.violation_id"
                   " WHERE f.dst_ip = '127.0.0.5' GROUP BY f.dport").fetchall()
fbad = [r[0] for r in frows if r[1] != 1 or r[2] != 1]
fmissing = made - {r[0] for r in frows}
if fbad or fmissing:
    print("flows: %d ports missing (e.g. %s), %d not exactly one linked row (e.g. %s)"
          % (len(fmissing), sorted(fmissing)[:5], len(fbad), fbad[:5])); sys.exit(1)
if missing or unknown or twice or multi or other:
    print("attempted %d: missing %d (e.g. %s), unknown %s, rows twice %s, flows != 1 %s,"
          " other rows %d" % (len(made), len(missing), sorted(missing)[:5], sorted(unknown)[:5],
                              twice[:5], multi[:5], other)); sys.exit(1)
print("%d attempted, %d violations and flows stored once" % (len(made), len(stored)))
EOF
# stats.py PORT: "packets failed_batches" from /api/v1/stats.
cat >"$TMPD/stats.py" <<'EOF'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/stats" % sys.argv[1], timeout=5))
print(d["packets"], d["store"]["failed_batches"])
EOF

# round WAY: one run through a full disk, space back by WAY.
round() {
	way=$1
	db="$MNT/$way.db"
	att="$TMPD/att-$way"
	: >"$att"
	"$SEGWATCH" run -i lo --immediate -f "host 127.0.0.5" --user root \
		--inventory "$TMPD/inv.yaml" -p "$TMPD/pol.yaml" --db "$db" \
		--commit-interval 200ms --listen 127.0.0.1:0 >"$TMPD/run.out" 2>"$TMPD/run.err" &
	RUN_PID=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -nE 's/.*\(port ([0-9]+)\).*/\1/p' "$TMPD/run.err" | head -n 1)
		[ -n "$port" ] && break
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		not_ok "full-capture-$way" "segwatch run did not start: $(head -n 3 "$TMPD/run.err")"
		kill -9 "$RUN_PID" 2>/dev/null
		RUN_PID=""
		return
	fi
	# some violations stored before the disk fills
	python3 "$TMPD/attempts.py" "$att" 1 20000
	sleep 0.5
	dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1
	used=$(df -k "$MNT" | awk 'NR == 2 {print $5}')
	python3 "$TMPD/attempts.py" "$att" 6 21000 &
	APID=$!
	sleep 2
	s1=$(python3 "$TMPD/stats.py" "$port" 2>/dev/null)
	wait "$APID"
	APID=""
	s2=$(python3 "$TMPD/stats.py" "$port" 2>/dev/null)
	alive=yes
	kill -0 "$RUN_PID" 2>/dev/null || alive=no
	# the warning
	if grep -qiE 'full' "$TMPD/run.err" && grep -q 'retried' "$TMPD/run.err" &&
		grep -q 'capture goes on' "$TMPD/run.err"; then
		ok "full-warning-$way # $(grep -i full "$TMPD/run.err" | head -n 1 | cut -c1-150)"
	else
		not_ok "full-warning-$way" "no disk-full warning (disk $used used): $(head -n 3 "$TMPD/run.err")"
	fi
	p1=${s1% *} f1=${s1#* } p2=${s2% *} f2=${s2#* }
	if [ "$alive" = yes ] && [ -n "$s1" ] && [ -n "$s2" ] && [ "$p2" -gt "$p1" ] &&
		[ "$f2" -gt 0 ]; then
		ok "full-capture-$way # packets $p1 -> $p2 while full, failed batches $f2"
	else
		not_ok "full-capture-$way" "alive $alive, stats '$s1' then '$s2' (packets failed_batches)"
	fi
	# space comes back
	if [ "$way" = delete ]; then
		rm -f "$MNT/filler"
	else
		mount -o remount,size=64m "$MNT"
	fi
	for _ in $(seq 80); do
		grep -q 'accepts writes again' "$TMPD/run.err" && break
		sleep 0.5
	done
	python3 "$TMPD/attempts.py" "$att" 1 22000
	sleep 1
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	rc=$?
	RUN_PID=""
	if sanitizer_report "$TMPD/run.err"; then
		not_ok "full-recover-$way" "sanitizer report"
		grep -A 15 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' \
			"$TMPD/run.err" | head -n 20 | sed 's/^/# /'
	elif [ "$rc" -ne 0 ] || ! grep -q 'accepts writes again' "$TMPD/run.err"; then
		not_ok "full-recover-$way" "exit status $rc; $(grep -E 'again|error|fail' "$TMPD/run.err" | head -n 3)"
	else
		ok "full-recover-$way # $(grep 'accepts writes again' "$TMPD/run.err" | head -n 1 | cut -c1-120)"
	fi
	if python3 "$TMPD/verify.py" "$db" "$att" >"$TMPD/v" 2>&1; then
		ok "full-stored-$way # $(cat "$TMPD/v")"
	else
		not_ok "full-stored-$way" "$(cat "$TMPD/v")"
	fi
	rm -f "$MNT/filler" "$db" "$db-wal" "$db-shm"
}

round delete
# the tmpfs back to 4 MiB for the second way
mount -o remount,size=4m "$MNT"
round remount
finish
