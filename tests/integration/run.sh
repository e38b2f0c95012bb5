#!/bin/sh
# `segwatch run` on capture files with the sanitized binary: what lands in
# the SQLite database must agree with `segwatch check` on the same input.
# Checks:
#   agrees-with-check  violation keys and counters (flows, packets, bytes,
#                      first/last seen) in the db equal check's JSON report
#   flows-stored       one flows row per judged flow; denied flows point at
#                      the violation of their key, allowed ones at none
#   run-row            the runs row: sources, end time, packet count
#   eve                --eve FILE: one violation event per violation
#   second-run         a second run over the same input doubles every
#                      violation's counters and keeps its id
#   config-file        --config YAML gives the same result as the options;
#                      an unknown setting is exit 2 with file:line:column
#   retention          --retain-flows 2s keeps only flows that ended within
#                      2 s of the newest
#   no-flows           --no-flows stores violations only
#   bad-db             a missing directory / a non-database file: exit 2
#                      naming the file
#   service-map        the per-minute edge sums (edge_minutes) equal the
#                      stored flows grouped by minute, src, dst, proto, port
#   integrity          PRAGMA integrity_check and foreign_key_check pass
#   same-new-db        six runs started together on one new database (run
#                      and serve in one unit do that) all succeed: each
#                      migration applied once, six runs stored, and every
#                      violation's flow count is six times check's
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
TOOLS=${TOOLS:-./build/rel/tools}
D=tests/data/check
CAP="$TMPD/cap.pcap"
DB="$TMPD/run.db"

if ! "$TOOLS/pcapgen" --seed 5 --flows 300 --mix tcp=60,udp=30,icmp=10 --ipv6-share 20 \
	--tcp-rst 10 --tcp-rejected 10 --tcp-attempt 10 --concurrent 30 --idle-gap 3 \
	-o "$CAP" --truth "$TMPD/truth.jsonl" 2>"$TMPD/gen.err"; then
	not_ok pcapgen "$(cat "$TMPD/gen.err")"
	finish
fi

run check -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --format json -q
expect_rc check-reference 1 && cp "$TMPD/out" "$TMPD/check.json"

run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$DB" \
	--eve "$TMPD/eve.jsonl" -q
expect_rc run 0 || finish

# compare.py DB CHECK_JSON MULTIPLIER: violations in the db equal the report's.
cat >"$TMPD/compare.py" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
report = json.load(open(sys.argv[2]))
mult = int(sys.argv[3])
def key(src, dst, proto, port, reason):
    return (src, dst, proto, port, reason)
names = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "sctp"}
rows = {}
for r in db.execute("SELECT src, dst, proto, port, reason, flows, src_pkts, src_bytes,"
                    " dst_pkts, dst_bytes, first_seen_ns, last_seen_ns FROM violations"):
    rows[key(r[0], r[1], names.get(r[2], str(r[2])), r[3], r[4])] = r[5:]
want = {}
for v in report:
    k = key(v["src"], v["dst"], v["proto"], v["port"], v["reason"])
    want[k] = (v["flows"] * mult, v["src_pkts"] * mult, v["src_bytes"] * mult,
               v["dst_pkts"] * mult, v["dst_bytes"] * mult)
bad = []
if set(rows) != set(want):
    bad.append("keys differ: only in db %s; only in report %s"
               % (sorted(set(rows) - set(want))[:3], sorted(set(want) - set(rows))[:3]))
for k in set(rows) & set(want):
    if rows[k][:5] != want[k]:
        bad.append("%s: db %s, report %s" % (k, rows[k][:5], want[k]))
if not want:
    bad.append("the reference report has no violations: the test proves nothing")
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)
EOF

if python3 "$TMPD/compare.py" "$DB" "$TMPD/check.json" 1 >"$TMPD/cmp" 2>&1; then
	ok agrees-with-check
else
	not_ok agrees-with-check "$(head -3 "$TMPD/cmp")"
fi

cat >"$TMPD/flows.py" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(*) FROM flows").fetchone()[0]
judged = db.execute("SELECT json_extract(stats, '$.flows_judged') FROM runs").fetchone()[0]
bad = []
if n == 0 or n != judged:
    bad.append("%d flows stored, %s judged" % (n, judged))
# a denied flow points at the violation of its own key, an allowed one at none
for r in db.execute("SELECT f.verdict, f.violation_id, f.src, f.dst, f.proto, f.reason,"
                    " v.src, v.dst, v.proto, v.reason FROM flows f"
                    " LEFT JOIN violations v ON v.id = f.violation_id"):
    if r[0] == "denied" and (r[1] is None or r[2:6] != r[6:10]):
        bad.append("denied flow without its violation: %s" % (r,))
    if r[0] == "allowed" and r[1] is not None:
        bad.append("allowed flow with a violation: %s" % (r,))
vf = db.execute("SELECT sum(flows) FROM violations").fetchone()[0]
df = db.execute("SELECT count(*) FROM flows WHERE verdict = 'denied'").fetchone()[0]
if vf != df:
    bad.append("violations count %s flows, %s denied flows stored" % (vf, df))
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)
EOF
if python3 "$TMPD/flows.py" "$DB" >"$TMPD/cmp" 2>&1; then
	ok flows-stored
else
	not_ok flows-stored "$(head -3 "$TMPD/cmp")"
fi

row=$(python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("SELECT sources, ended_ns IS NOT NULL, packets FROM runs").fetchall(); print(r)' "$DB")
frames=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1])))' "$TMPD/truth.jsonl")
case "$row" in
*"file:$CAP"*", 1, "[1-9]*) ok run-row ;;
*) not_ok run-row "runs table holds $row" ;;
esac

nv=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMPD/check.json")
ne=$(grep -c '"event_type":"violation"' "$TMPD/eve.jsonl")
if [ "$nv" -eq "$ne" ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMPD/eve.jsonl"; then
	ok eve
else
	not_ok eve "$ne EVE violation events for $nv violations"
fi

ids1=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(id) FROM (SELECT id FROM violations ORDER BY src, dst, proto, port, reason)").fetchone()[0])' "$DB")
run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$DB" -q
ids2=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(id) FROM (SELECT id FROM violations ORDER BY src, dst, proto, port, reason)").fetchone()[0])' "$DB")
if expect_rc second-run 0; then
	if python3 "$TMPD/compare.py" "$DB" "$TMPD/check.json" 2 >"$TMPD/cmp" 2>&1 && [ "$ids1" = "$ids2" ]; then
		ok second-run
	else
		not_ok second-run "$(head -3 "$TMPD/cmp") ids $ids1 / $ids2"
	fi
fi

cat >"$TMPD/run.yaml" <<EOF
read: $CAP
inventory: $D/inventory.yaml
policy:
  - $D/policies.yaml
db: $TMPD/config.db
quiet: true
EOF
run run --config "$TMPD/run.yaml"
if expect_rc config-file 0; then
	if python3 "$TMPD/compare.py" "$TMPD/config.db" "$TMPD/check.json" 1 >"$TMPD/cmp" 2>&1; then
		ok config-file
	else
		not_ok config-file "$(head -3 "$TMPD/cmp")"
	fi
fi
printf 'read: %s\npolicy: %s\ndatabase: x.db\n' "$CAP" "$D/policies.yaml" >"$TMPD/bad.yaml"
run run --config "$TMPD/bad.yaml"
if expect_rc config-unknown 2; then
	if has "$TMPD/err" "bad.yaml:3:1" && has "$TMPD/err" '"database"'; then
		ok config-unknown
	else
		not_ok config-unknown "message: $(head -2 "$TMPD/err")"
	fi
fi

run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$TMPD/ret.db" \
	--retain-flows 2s -q
if expect_rc retention 0; then
	r=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
newest, oldest, n = db.execute("SELECT max(last_ns), min(last_ns), count(*) FROM flows").fetchone()
judged = db.execute("SELECT json_extract(stats, \"$.flows_judged\") FROM runs").fetchone()[0]
print("ok" if n and n < judged and newest - oldest <= 2 * 10**9 else "bad %s %s %s %s" % (newest, oldest, n, judged))' "$TMPD/ret.db")
	[ "$r" = ok ] && ok retention || not_ok retention "$r"
fi

run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$TMPD/nf.db" \
	--no-flows -q
if expect_rc no-flows 0; then
	r=$(python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(d.execute("SELECT count(*) FROM flows").fetchone()[0], d.execute("SELECT count(*) FROM violations").fetchone()[0])' "$TMPD/nf.db")
	case "$r" in
	"0 0") not_ok no-flows "no violations stored" ;;
	"0 "*) ok no-flows ;;
	*) not_ok no-flows "flows, violations: $r" ;;
	esac
fi

run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$TMPD/no/such/dir.db"
if expect_rc bad-db-dir 2; then
	has "$TMPD/err" "$TMPD/no/such/dir.db" && ok bad-db-dir || not_ok bad-db-dir "$(head -2 "$TMPD/err")"
fi
echo "not a database, just text that is long enough to look like a header........." \
	>"$TMPD/text.db"
run run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml --db "$TMPD/text.db"
if expect_rc bad-db-file 2; then
	has "$TMPD/err" "$TMPD/text.db" && ok bad-db-file || not_ok bad-db-file "$(head -2 "$TMPD/err")"
fi

r=$(python3 - "$DB" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
want = sorted(db.execute(
    "SELECT last_ns - last_ns % 60000000000, src, dst, proto, dport, count(*),"
    " sum(src_bytes + dst_bytes), max(verdict = 'denied') FROM flows GROUP BY 1, 2, 3, 4, 5"))
got = sorted(db.execute(
    "SELECT minute_ns, src, dst, proto, port, flows, bytes, denied FROM edge_minutes"))
print("ok" if want and want == got else "%d sums for %d groups; first differences %s" % (
    len(got), len(want), [x for x in zip(want, got) if x[0] != x[1]][:2]))
EOF
)
[ "$r" = ok ] && ok service-map || not_ok service-map "$r"

r=$(python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(d.execute("PRAGMA integrity_check").fetchone()[0], len(d.execute("PRAGMA foreign_key_check").fetchall()))' "$DB")
[ "$r" = "ok 0" ] && ok integrity || not_ok integrity "$r"

# Six runs at once on one new database: each must wait for the others'
# switch to WAL and their migrations, and none may apply one twice.
SHARED_DB="$TMPD/shared.db"
for i in 1 2 3 4 5 6; do
	"$SEGWATCH" run -r "$CAP" --inventory $D/inventory.yaml -p $D/policies.yaml \
		--db "$SHARED_DB" -q >/dev/null 2>"$TMPD/same$i.err" &
	eval "pid$i=\$!"
done
failed=""
for i in 1 2 3 4 5 6; do
	eval "wait \$pid$i" || failed="$failed run $i exit $?: $(head -2 "$TMPD/same$i.err");"
	sanitizer_report "$TMPD/same$i.err" && failed="$failed run $i sanitizer report;"
done
r=$(python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*), count(DISTINCT version) FROM schema_meta").fetchone(),
      db.execute("SELECT count(*) FROM runs WHERE ended_ns IS NOT NULL").fetchone()[0],
      db.execute("PRAGMA integrity_check").fetchone()[0])' "$SHARED_DB")
python3 "$TMPD/compare.py" "$SHARED_DB" "$TMPD/check.json" 6 >"$TMPD/cmp" 2>&1 ||
	failed="$failed counters: $(head -3 "$TMPD/cmp");"
latest=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$SHARED_DB")
if [ -z "$failed" ] && [ "$r" = "($latest, $latest) 6 ok" ]; then
	ok "same-new-db # 6 runs, schema $latest"
else
	not_ok same-new-db "$failed $r"
fi
finish
