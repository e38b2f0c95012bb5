#!/bin/sh
# Baselines and anomalies through the real binary. The expected sets are
# computed from the flows table of each run (itself checked against
# `segwatch check` by run.sh), independently of the baseline module.
# Checks:
#   learn          `baseline learn -r A`: the baseline holds exactly the
#                  edges (src, dst, proto, port) of A's flows
#   detect         `run -r B` after learning A: new_edge anomalies are
#                  exactly B's edges to endpoints missing from the
#                  baseline; new_external exactly B's external destination
#                  addresses no baseline edge reaches (one each)
#   fanout         with --fanout N/1h (longer than the capture): exactly
#                  the sources of B reaching more than N distinct
#                  (destination, port) pairs, once each
#   eve            --eve: one anomaly line per anomaly row
#   accept         `baseline accept ID` puts the edge in the baseline
#                  (origin accepted); a new run over B no longer reports it
#   expire         `baseline expire --older-than DUR` deletes exactly the
#                  edges last seen more than DUR before the newest one
#                  (counted with SQL first); without the age it is refused
#   show-reset     `baseline show --format json` lists the edges; reset
#                  without --yes is refused, with it empties the baseline
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
TOOLS=${TOOLS:-./build/rel/tools}
D=tests/data/check
POL="--inventory $D/inventory.yaml -p $D/policies.yaml"
DB="$TMPD/b.db"
FANOUT=6

for s in 21 22; do
	if ! "$TOOLS/pcapgen" --seed $s --flows 250 --mix tcp=70,udp=25,icmp=5 --concurrent 20 \
		-o "$TMPD/cap$s.pcap" --truth "$TMPD/t$s" 2>"$TMPD/gen.err"; then
		not_ok pcapgen "$(cat "$TMPD/gen.err")"
		finish
	fi
done

# edges.py DB RUN_ID: the edges of a run's flows, one per line.
cat >"$TMPD/edges.py" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in sorted(set(db.execute(
        "SELECT src, dst, proto, CASE WHEN proto IN (6, 17, 132) THEN dport ELSE 0 END,"
        " dst_endpoint IS NULL FROM flows WHERE run_id = ?", (int(sys.argv[2]),)))):
    print("%s|%s|%d|%d|%d" % r)
EOF

run baseline learn -r "$TMPD/cap21.pcap" $POL --db "$DB" -q
if expect_rc learn 0; then
	python3 "$TMPD/edges.py" "$DB" 1 | cut -d'|' -f1-4 >"$TMPD/want"
	python3 -c 'import sqlite3,sys
for r in sorted(sqlite3.connect(sys.argv[1]).execute("SELECT src, dst, proto, port FROM baseline_edges")):
    print("%s|%s|%d|%d" % r)' "$DB" >"$TMPD/got"
	if [ -s "$TMPD/want" ] && cmp -s "$TMPD/want" "$TMPD/got"; then
		ok "learn # $(wc -l <"$TMPD/got") edges"
	else
		not_ok learn "$(diff "$TMPD/want" "$TMPD/got" | head -4)"
	fi
fi

cp "$DB" "$TMPD/learned.db"
run run -r "$TMPD/cap22.pcap" $POL --db "$DB" --fanout "$FANOUT/1h" --eve "$TMPD/eve" -q
if expect_rc detect-run 0; then
	python3 - "$DB" "$TMPD/edges.py" >"$TMPD/cmp" 2>&1 <<'EOF'
import sqlite3, subprocess, sys
db = sqlite3.connect(sys.argv[1])
base = {tuple(r) for r in db.execute(
    "SELECT src, dst, proto, port FROM baseline_edges")}
base_dsts = {r[1] for r in base}
edges = [l.split("|") for l in subprocess.run(["python3", sys.argv[2], sys.argv[1], "2"],
         capture_output=True, text=True).stdout.split()]
want_edge, want_ext = set(), set()
for src, dst, proto, port, external in edges:
    key = (src, dst, int(proto), int(port))
    if key in base:
        continue
    if external == "1" and dst not in base_dsts:
        want_ext.add(dst)
    elif external == "0" or dst in base_dsts:
        want_edge.add(key)
got_edge = {tuple(r) for r in db.execute(
    "SELECT src, dst, proto, port FROM anomalies WHERE kind = 'new_edge' AND run_id = 2")}
got_ext = [r[0] for r in db.execute("SELECT dst FROM anomalies WHERE kind = 'new_external' AND run_id = 2")]
bad = []
if got_edge != want_edge:
    bad.append("new_edge: missing %s, extra %s" % (sorted(want_edge - got_edge)[:3],
                                                   sorted(got_edge - want_edge)[:3]))
if sorted(got_ext) != sorted(want_ext):
    bad.append("new_external: got %s, want %s" % (sorted(got_ext)[:4], sorted(want_ext)[:4]))
if not want_edge and not want_ext:
    bad.append("capture B has no new edge: the test proves nothing")
print("\n".join(bad) if bad else "%d new edges, %d new external" % (len(want_edge), len(want_ext)))
sys.exit(1 if bad else 0)
EOF
	if [ $? -eq 0 ]; then ok "detect # $(cat "$TMPD/cmp")"; else not_ok detect "$(cat "$TMPD/cmp")"; fi

	python3 - "$DB" "$FANOUT" >"$TMPD/cmp" 2>&1 <<'EOF'
import collections, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
targets = collections.defaultdict(set)
for src, dst, proto, port in db.execute(
        "SELECT src, dst, proto, CASE WHEN proto IN (6, 17, 132) THEN dport ELSE 0 END"
        " FROM flows WHERE run_id = 2"):
    targets[src].add((dst, port))
want = sorted(s for s, t in targets.items() if len(t) > n)
got = sorted(r[0] for r in db.execute("SELECT src FROM anomalies WHERE kind = 'fanout' AND run_id = 2"))
if got != want or not want:
    print("fanout sources: got %s, want %s" % (got[:5], want[:5])); sys.exit(1)
print("%d sources" % len(got))
EOF
	if [ $? -eq 0 ]; then ok "fanout # $(cat "$TMPD/cmp")"; else not_ok fanout "$(cat "$TMPD/cmp")"; fi

	na=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM anomalies WHERE run_id = 2").fetchone()[0])' "$DB")
	ne=$(grep -c '"event_type":"anomaly"' "$TMPD/eve")
	[ "$na" -eq "$ne" ] && [ "$na" -gt 0 ] && ok eve || not_ok eve "$ne anomaly events for $na rows"
fi

# accept one new_edge anomaly into the learned baseline, run B again
id=$(python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("SELECT id, src, dst, proto, port FROM anomalies WHERE kind = '"'new_edge'"' ORDER BY id LIMIT 1").fetchone(); print("%d %s|%s|%d|%d" % r)' "$DB")
edge=${id#* }
id=${id%% *}
run baseline accept --db "$DB" "$id"
if expect_rc accept 0; then
	origin=$(python3 -c 'import sqlite3,sys; s,d,p,o=sys.argv[2].split("|"); r=sqlite3.connect(sys.argv[1]).execute("SELECT origin FROM baseline_edges WHERE src=? AND dst=? AND proto=? AND port=?", (s,d,int(p),int(o))).fetchone(); print(r[0] if r else "none")' "$DB" "$edge")
	run run -r "$TMPD/cap22.pcap" $POL --db "$DB" -q
	again=$(python3 -c 'import sqlite3,sys; s,d,p,o=sys.argv[2].split("|"); print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM anomalies WHERE run_id = 3 AND src=? AND dst=? AND proto=? AND port=?", (s,d,int(p),int(o))).fetchone()[0])' "$DB" "$edge")
	state=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT state FROM anomalies WHERE id=?", (int(sys.argv[2]),)).fetchone()[0])' "$DB" "$id")
	if [ "$origin" = accepted ] && [ "$again" = 0 ] && [ "$state" = accepted ]; then
		ok accept
	else
		not_ok accept "origin $origin, state $state, reported again $again times"
	fi
fi

run baseline show --db "$TMPD/learned.db" --format json
if expect_rc show 0 && python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(e, list) and len(e) == int(sys.argv[2]) else 1)' "$TMPD/out" "$(wc -l <"$TMPD/want")"; then
	ok show
else
	not_ok show "not the learned edges: $(head -c 200 "$TMPD/out")"
fi
# expire: an age splitting the learned edges, the survivors counted first
cp "$TMPD/learned.db" "$TMPD/expire.db"
run baseline expire --db "$TMPD/expire.db"
if expect_rc expire-needs-age 2; then ok expire-needs-age; fi
counts=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
lo, hi = db.execute("SELECT min(last_seen_ns), max(last_seen_ns) FROM baseline_edges").fetchone()
age_s = max(1, (hi - lo) // 2 // 10**9)
keep = db.execute("SELECT count(*) FROM baseline_edges WHERE last_seen_ns >= ?", (hi - age_s * 10**9,)).fetchone()[0]
total = db.execute("SELECT count(*) FROM baseline_edges").fetchone()[0]
print(age_s, keep, total)' "$TMPD/expire.db")
set -- $counts
run baseline expire --db "$TMPD/expire.db" --older-than "${1}s"
left=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM baseline_edges").fetchone()[0])' "$TMPD/expire.db")
if expect_rc expire 0; then
	if [ "$left" = "$2" ] && [ "$2" -lt "$3" ] && [ "$2" -gt 0 ] &&
	   grep -q "expired $(( $3 - $2 )) baseline edges" "$TMPD/out"; then
		ok expire
	else
		not_ok expire "age ${1}s: $left edges left, want $2 of $3; said: $(cat "$TMPD/out")"
	fi
fi

run baseline reset --db "$TMPD/learned.db"
if expect_rc reset-needs-yes 2; then ok reset-needs-yes; fi
run baseline reset --db "$TMPD/learned.db" --yes
n=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM baseline_edges").fetchone()[0])' "$TMPD/learned.db")
if expect_rc reset 0; then
	[ "$n" = 0 ] && ok reset || not_ok reset "$n edges left"
fi
finish
