#!/bin/sh
# Allocation failures: the release binary with tests/failmalloc (LD_PRELOAD)
# failing the Nth malloc/calloc/realloc, for N spread evenly over all the
# allocations of a run on the bundled example (ALLOC_CHECK_SAMPLES values of
# N for check, default 800, ALLOC_RUN_SAMPLES for run, default 250; set
# them above the allocation counts to try every N).
# Each run must end with exit status 0, 1 or 2 (never a signal), and
#   check: exit 1 with exactly the reference report, or exit 2 with a
#          message on stderr (the audit said it is incomplete);
#   run:   exit 0 with exactly the reference violations in the database,
#          or a non-zero exit with a message on stderr.
# Nothing may be lost silently. The runs go as nobody (setpriv) when root:
# glibc's own NSS code (getpwnam_r, used only to look up --user as root)
# crashes when its allocations fail, which says nothing about segwatch.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
BIN=${SEGWATCH_REL:-./segwatch}
SHIM=${FAILMALLOC:-./build/rel/tools/libfailmalloc.so}
CHECK_SAMPLES=${ALLOC_CHECK_SAMPLES:-800}
RUN_SAMPLES=${ALLOC_RUN_SAMPLES:-250}
E=examples
IN="-r $E/three-tier.pcap --inventory $E/inventory.yaml -p $E/policies.yaml -q"

if [ ! -x "$BIN" ] || [ ! -f "$SHIM" ]; then
	not_ok setup "build $BIN and $SHIM first (make segwatch $SHIM)"
	finish
fi
AS=""
if [ "$(id -u)" -eq 0 ]; then
	AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	chmod 1777 "$TMPD" # the runs (as nobody) write the database and the count
fi

# with_failure N ARGS...: runs the binary with the Nth allocation failing.
with_failure() {
	n=$1
	shift
	$AS env FAILMALLOC_NTH="$n" FAILMALLOC_COUNT="$TMPD/count" LD_PRELOAD="$SHIM" \
		"$BIN" "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
}

# ---- check ----
with_failure 0 check $IN
cp "$TMPD/out" "$TMPD/check.ref"
total=$(cat "$TMPD/count" 2>/dev/null || echo 0)
if [ "$RC" -ne 1 ] || [ "$total" -lt 100 ]; then
	not_ok check-reference "exit $RC, $total allocations"
	finish
fi
CHECK_STRIDE=$(( (total + CHECK_SAMPLES - 1) / CHECK_SAMPLES ))
bad=0
n=1
while [ "$n" -le "$total" ]; do
	with_failure "$n" check $IN
	why=""
	if [ "$RC" -gt 2 ]; then
		why="exit $RC"
	elif [ "$RC" -eq 1 ] && ! cmp -s "$TMPD/out" "$TMPD/check.ref"; then
		why="exit 1 with a different report and no error"
	elif [ "$RC" -ne 1 ] && [ ! -s "$TMPD/err" ]; then
		why="exit $RC without a message"
	fi
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 5 ] && echo "# check, allocation $n failing: $why: $(head -c 200 "$TMPD/err")"
	fi
	n=$((n + CHECK_STRIDE))
done
[ "$bad" -eq 0 ] && ok "check # $total allocations, every ${CHECK_STRIDE}th failing in turn" ||
	not_ok check "$bad of the failing allocations were mishandled"

# ---- run (threads, SQLite) ----
# violations.py DB: the violation keys and counters, one per line.
cat >"$TMPD/violations.py" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT src, dst, proto, port, reason, flows, src_pkts, dst_pkts"
                    " FROM violations ORDER BY src, dst, proto, port, reason"):
    print(*r)
EOF
fresh() { rm -f "$TMPD/r.db" "$TMPD/r.db-wal" "$TMPD/r.db-shm"; }
fresh
with_failure 0 run $IN --db "$TMPD/r.db"
run_total=$(cat "$TMPD/count" 2>/dev/null || echo 0)
python3 "$TMPD/violations.py" "$TMPD/r.db" >"$TMPD/run.ref" 2>/dev/null
if [ "$RC" -ne 0 ] || [ ! -s "$TMPD/run.ref" ]; then
	not_ok run-reference "exit $RC: $(head -3 "$TMPD/err")"
	finish
fi
RUN_STRIDE=$(( (run_total + RUN_SAMPLES - 1) / RUN_SAMPLES ))
bad=0
n=1
while [ "$n" -le "$run_total" ]; do
	fresh
	with_failure "$n" run $IN --db "$TMPD/r.db"
	why=""
	if [ "$RC" -gt 2 ]; then
		why="exit $RC"
	elif [ "$RC" -eq 0 ]; then
		python3 "$TMPD/violations.py" "$TMPD/r.db" >"$TMPD/run.got" 2>&1
		cmp -s "$TMPD/run.got" "$TMPD/run.ref" || why="exit 0 with other violations stored"
	elif [ ! -s "$TMPD/err" ]; then
		why="exit $RC without a message"
	fi
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 5 ] && echo "# run, allocation $n failing: $why: $(head -c 200 "$TMPD/err")"
	fi
	n=$((n + RUN_STRIDE))
done
[ "$bad" -eq 0 ] && ok "run # $run_total allocations, every ${RUN_STRIDE}th failing in turn" ||
	not_ok run "$bad of the failing allocations were mishandled"
finish
