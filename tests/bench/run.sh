#!/bin/sh
# `make bench`: performance measured side by side in one run (ratios, not
# absolute thresholds: the machines are shared and noisy).
#  1. collector: a bare pcap_next_ex loop vs `segwatch flows` on the same
#     generated capture (2 M packets, 50 k flows), packets/s, ratio, RSS;
#  2. flow table: 1 M concurrent flows, peak RSS;
#  3. policy engine: compile time and lookups/s (when built).
set -eu
cd "$(dirname "$0")/../.."
T=build/rel/tools
W=build/bench
mkdir -p "$W"
PACKETS=${BENCH_PACKETS:-2000000}
FLOWS=${BENCH_FLOWS:-50000}
if [ ! -f "$W/bench.pcap" ] || [ "$(cat "$W/bench.params" 2>/dev/null)" != "$PACKETS $FLOWS" ]; then
	"$T/pcapgen" --flows "$FLOWS" --packets "$PACKETS" --concurrent 2000 --payload-max 600 \
		--seed 7 -o "$W/bench.pcap" --truth "$W/bench.truth" >/dev/null
	echo "$PACKETS $FLOWS" > "$W/bench.params"
fi
cat "$W/bench.pcap" > /dev/null   # warm the page cache for both readers
python3 - "$T" "$W" <<'PY'
import resource, subprocess, sys, time
tools, work = sys.argv[1], sys.argv[2]
cap = work + "/bench.pcap"

def timed(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, out

def best(cmd, n=3):
    return min(timed(cmd)[0] for _ in range(n))

def bare_read(*extra):
    runs = []
    for _ in range(3):
        _, out = timed([tools + "/bench_pcap_read", cap, *extra])
        kv = dict(x.split("=") for x in out.stdout.split())
        runs.append((float(kv["seconds"]), int(kv["packets"])))
    return min(runs)

bare_s, packets = bare_read()
bare_big_s, _ = bare_read(str(1 << 20))
sw_s = best(["./segwatch", "flows", "-r", cap, "-o", "/dev/null", "-q"])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"collector: {packets} packets, best of 3 runs each")
print(f"  bare pcap_next_ex             {packets / bare_s / 1e6:8.2f} M packets/s (libpcap's default stdio buffer)")
print(f"  bare pcap_next_ex, 1 MiB buf  {packets / bare_big_s / 1e6:8.2f} M packets/s (the buffer segwatch uses)")
print(f"  segwatch flows                {packets / sw_s / 1e6:8.2f} M packets/s (whole process, JSON records to /dev/null)")
print(f"  ratio segwatch/bare           {bare_s / sw_s * 100:8.1f} %  (target >= 50 %)")
print(f"  ratio segwatch/bare 1 MiB     {bare_big_s / sw_s * 100:8.1f} %  (same reading path)")
print(f"  peak RSS of segwatch          {rss / 1024:8.1f} MiB")
_, out = timed([tools + "/bench_flowtable", "1000000"])
kv = dict(x.split("=") for x in out.stdout.split())
print(f"flow table: {kv['flows']} concurrent flows held, peak RSS {int(kv['peak_rss_kib']) / 1024:.1f} MiB"
      f" (target < 512 MiB), {int(kv['flows']) / float(kv['seconds']) / 1e6:.2f} M inserts/s")
PY
if [ -x "$T/bench_match" ]; then
	"$T/bench_match"
fi

# 4. the store: ingest of ended flows, segwatch's writer path against a
#    bare loop (one prepared INSERT, one transaction, same schema).
"$T/bench_store" "$W" 200000 | python3 -c '
import sys
kv = dict(x.split("=") for x in sys.stdin.read().split())
print("store ingest: %s flows" % kv["rows"])
print("  bare INSERT loop              %10.0f flows/s" % float(kv["bare_rows_per_s"]))
print("  sw_store_put_flow, batched    %10.0f flows/s (target >= 100000)" % float(kv["store_rows_per_s"]))
print("  ratio store/bare              %10.1f %%  (target >= 50 %%)" % (float(kv["ratio"]) * 100))'

# 5. the pipeline: `segwatch run -r` (judging, violations, flows into
#    SQLite) against `segwatch flows` on the same capture.
python3 - "$W" <<'PY'
import os, subprocess, sys, time
work = sys.argv[1]
cap = work + "/bench.pcap"
pol = ["--inventory", "tests/data/check/inventory.yaml", "-p", "tests/data/check/policies.yaml"]

def timed(cmd, before=None):
    best = None
    for _ in range(3):
        if before:
            before()
        t0 = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True)
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return best

def fresh_db():
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(work + "/bench-run.db" + suffix)
        except FileNotFoundError:
            pass

# three policy sets: a typical one (3 % of the flows denied, 932
# violations), one under which 81 % are (13,774 distinct violations: the
# adversarial case, every violation row written with its explanation), and
# one under which none is (the store then holds flows only)
allow = ["--inventory", "tests/data/check/inventory.yaml", "-p", "tests/data/check/allow-all.yaml"]
typical = ["--inventory", "tests/data/check/inventory.yaml", "-p", "tests/bench/policies-typical.yaml"]
flows_s = timed(["./segwatch", "flows", "-r", cap, "-o", "/dev/null", "-q"])
check_s = timed(["./segwatch", "check", "-r", cap, *pol, "-q"])
run_typical_s = timed(["./segwatch", "run", "-r", cap, *typical, "--db", work + "/bench-run.db",
                       "-q"], fresh_db)
run_s = timed(["./segwatch", "run", "-r", cap, *pol, "--db", work + "/bench-run.db", "-q"], fresh_db)
run_allow_s = timed(["./segwatch", "run", "-r", cap, *allow, "--db", work + "/bench-run.db", "-q"],
                    fresh_db)
print("pipeline: the same capture, best of 3")
print(f"  segwatch flows                     {flows_s:8.2f} s")
print(f"  segwatch check (judging)           {check_s:8.2f} s")
print(f"  segwatch run, typical (3 % denied) {run_typical_s:8.2f} s")
print(f"  segwatch run, 81 % denied          {run_s:8.2f} s")
print(f"  segwatch run, nothing denied       {run_allow_s:8.2f} s")
print(f"  ratio run/flows, typical           {flows_s / run_typical_s * 100:8.1f} %  (target >= 60 %)")
print(f"  ratio run/flows, 81 % denied       {flows_s / run_s * 100:8.1f} %  (target >= 60 %)")
print(f"  ratio run/flows, nothing denied    {flows_s / run_allow_s * 100:8.1f} %  (target >= 60 %)")
PY
