#!/bin/sh
# web.sh - `make bench`, part 6: the web API under load, side by side with
# nginx serving the same bytes as a static file (a ratio, not an absolute
# threshold: the machines are shared and noisy).
#
#  - a database of BENCH_WEB_ROWS violations and as many flows (default
#    1000000 each) is created with the real schema (`segwatch run` on the
#    bundled example) and filled by tests/bench/gen_store.sql; it is kept
#    in build/bench/ keyed by its parameters, so reruns skip the fill;
#  - `./segwatch serve` (the optimised build) serves it on a loopback port;
#    the body of /api/v1/violations?limit=100 is fetched once with curl and
#    written as a static file that Debian's nginx (our own minimal config,
#    worker_processes auto) serves on another loopback port;
#  - wrk -t2 -c64 --latency against both: requests/s, the ratio
#    segwatch/nginx (target >= 25 %) and p99 latencies (segwatch's target:
#    < 50 ms); then once more against segwatch with the response cache
#    defeated (a distinct since= on every request) for the uncached rate.
#
# Environment: BENCH_WEB_ROWS (rows per table, default 1000000),
# BENCH_WEB_DURATION (seconds per wrk run, default 10).
set -eu
cd "$(dirname "$0")/../.."

ROWS=${BENCH_WEB_ROWS:-1000000}
DURATION=${BENCH_WEB_DURATION:-10}
W=build/bench
PATH_Q='/api/v1/violations?limit=100'

case "$ROWS" in '' | *[!0-9]*) echo "web bench: BENCH_WEB_ROWS must be an integer" >&2; exit 2 ;; esac
case "$DURATION" in '' | *[!0-9]*) echo "web bench: BENCH_WEB_DURATION must be an integer" >&2; exit 2 ;; esac
# gen_store.sql keeps violation keys unique below 8 * 1051 * 1050 rows
if [ "$ROWS" -lt 100 ] || [ "$ROWS" -gt 8000000 ]; then
	echo "web bench: BENCH_WEB_ROWS must be from 100 to 8000000, got $ROWS" >&2
	exit 2
fi

# ---- tools -------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
missing=""
for tool in wrk:wrk nginx:nginx-light curl:curl sqlite3:sqlite3 python3:python3; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
if [ -n "$missing" ]; then
	echo "web bench: missing tools; install them with: apt-get install$missing" >&2
	exit 1
fi
if [ ! -x ./segwatch ]; then
	echo "web bench: no ./segwatch: build it with 'make segwatch'" >&2
	exit 1
fi

# ---- processes, cleaned up on every exit ------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/segwatch-webbench.XXXXXX")
SW_PID=""
NGINX_PID=""
cleanup() {
	for pid in $SW_PID $NGINX_PID; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $SW_PID $NGINX_PID; do
		wait "$pid" 2>/dev/null || true
	done
	SW_PID=""
	NGINX_PID=""
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---- the database, cached by its parameters ----------------------------
mkdir -p "$W"
DB=$W/web-$ROWS.db
KEY="rows=$ROWS $(cat tests/bench/gen_store.sql schema/*.sql examples/three-tier.pcap |
	sha256sum | cut -c1-16)"
if [ ! -f "$DB" ] || [ "$(cat "$W/web-$ROWS.params" 2>/dev/null)" != "$KEY" ]; then
	t0=$(date +%s)
	rm -f "$W"/web-*.db "$W"/web-*.db-wal "$W"/web-*.db-shm "$W"/web-*.params \
		"$W"/web-fill.db*
	FILL=$W/web-fill.db
	./segwatch run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
		-p examples/policies.yaml --db "$FILL" -q
	# the indexes of the two big tables are dropped for the fill and built
	# again after it (a sort each, instead of 2 M random B-tree inserts)
	sqlite3 "$FILL" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index'
		AND sql IS NOT NULL AND tbl_name IN ('violations', 'flows')" > "$T/indexes.sql"
	sqlite3 "$FILL" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('violations', 'flows')" > "$T/drop.sql"
	{
		echo "PRAGMA journal_mode = DELETE;"
		echo "PRAGMA journal_mode = OFF;"
		echo "PRAGMA synchronous = OFF;"
		echo "PRAGMA cache_size = -1048576;"
		echo "PRAGMA temp_store = MEMORY;"
		echo "PRAGMA mmap_size = 8589934592;"
		echo "PRAGMA threads = 4;"
		cat "$T/drop.sql"
		echo "BEGIN;"
		echo "CREATE TEMP TABLE bench_p AS SELECT $ROWS AS nv, $ROWS AS nf,"
		echo "	$(date +%s)000000000 AS now_ns;"
		cat tests/bench/gen_store.sql
		cat "$T/indexes.sql"
		echo "COMMIT;"
		echo "PRAGMA journal_mode = WAL;"
	} | sqlite3 -bail "$FILL" > /dev/null
	rm -f "$FILL-wal" "$FILL-shm"
	mv "$FILL" "$DB"
	echo "$KEY" > "$W/web-$ROWS.params"
	echo "web bench: filled $DB ($ROWS violations, $ROWS flows) in $(($(date +%s) - t0)) s" >&2
fi
# started as root, `segwatch serve` drops to nobody: the database (and its
# directory, for the -shm file of WAL mode) must stay readable to it
chmod a+rX "$W" "$DB" 2>/dev/null || true
cat "$DB" > /dev/null   # warm the page cache
chmod 755 "$T"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- segwatch serve ----------------------------------------------------
NCPU=$(nproc)
THREADS=$NCPU
[ "$THREADS" -le 64 ] || THREADS=64
SW_PORT=$(free_port)
./segwatch serve --db "$DB" --listen "127.0.0.1:$SW_PORT" --threads "$THREADS" \
	2> "$T/serve.log" &
SW_PID=$!
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$SW_PORT/healthz"; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$SW_PID" 2>/dev/null; then
		echo "web bench: segwatch serve did not start:" >&2
		cat "$T/serve.log" >&2
		exit 1
	fi
	sleep 0.1
done

mkdir -p "$T/www/api/v1"
curl -sf -o "$T/www/api/v1/violations" "http://127.0.0.1:$SW_PORT$PATH_Q"
chmod -R a+rX "$T/www"
ITEMS=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["items"]))' \
	"$T/www/api/v1/violations")
BYTES=$(wc -c < "$T/www/api/v1/violations")

# ---- nginx, our own minimal config ------------------------------------
# Debian's tuning (sendfile, tcp_nopush): its best rate, so the ratio is
# the stricter one; TCP_CORK costs it delayed-ACK stalls of about 40 ms on
# some answers, which is what its p99 shows. reuseport: both workers get
# connections (without it one worker takes most of wrk's 64).
NG_PORT=$(free_port)
mkdir -p "$T/nginx"
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/json;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$NG_PORT reuseport;
		root $T/www;
	}
}
EOF
nginx -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" -g 'daemon off;' \
	2> "$T/nginx/stderr.log" &
NGINX_PID=$!
i=0
until curl -sf -o "$T/nginx.body" "http://127.0.0.1:$NG_PORT$PATH_Q"; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		echo "web bench: nginx did not start:" >&2
		cat "$T/nginx/stderr.log" "$T/nginx/error.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done
cmp -s "$T/nginx.body" "$T/www/api/v1/violations" || {
	echo "web bench: nginx does not serve the body fetched from segwatch" >&2
	exit 1
}

# ---- the runs ----------------------------------------------------------
# a distinct since= per request and thread: a time long before every row,
# so each answer holds the same 100 violations, computed afresh. Built as
# text: Lua's numbers are doubles, too coarse for nanoseconds.
SINCE_S=$(( $(date +%s) - 30 * 86400 ))
cat > "$T/uncached.lua" <<EOF
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
function init(args)
	n = 0
end
function request()
	n = n + 1
	return wrk.format(nil, string.format("%s&since=$SINCE_S%d%08d", "$PATH_Q", tid, n % 100000000))
end
EOF

run_wrk() { # name url [script]: wrk's output in $T/NAME.out (after a 2 s warm-up)
	name=$1
	url=$2
	shift 2
	wrk -t2 -c64 -d2s "$@" "$url" > /dev/null
	wrk -t2 -c64 -d"${DURATION}s" --latency "$@" "$url" > "$T/$name.out"
}
run_wrk nginx "http://127.0.0.1:$NG_PORT$PATH_Q"
run_wrk cached "http://127.0.0.1:$SW_PORT$PATH_Q"
run_wrk uncached "http://127.0.0.1:$SW_PORT$PATH_Q" -s "$T/uncached.lua"
curl -sf -o /dev/null "http://127.0.0.1:$SW_PORT/healthz" || {
	echo "web bench: segwatch serve stopped answering:" >&2
	cat "$T/serve.log" >&2
	exit 1
}

python3 - "$T" "$ROWS" "$ITEMS" "$BYTES" "$NCPU" "$THREADS" "$DURATION" <<'PY'
import re, sys
work, rows, items, size, ncpu, threads, duration = sys.argv[1:]

def parse(name):
    text = open(f"{work}/{name}.out").read()
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    errors = []
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if m:
        errors.append(f"{m.group(1)} non-2xx answers")
    m = re.search(r"Socket errors: (.*)", text)
    if m:
        errors.append("socket errors: " + m.group(1).strip())
    return rps, p99, errors

ng = parse("nginx")
sw = parse("cached")
un = parse("uncached")

def line(label, r, note=""):
    rps, p99, errors = r
    extra = f"  ({'; '.join(errors)})" if errors else ""
    print(f"  {label:<38} {rps:10.0f} req/s   p99 {p99:8.2f} ms{note}{extra}")

print(f"web API: GET /api/v1/violations?limit=100 ({items} items, {int(size) / 1024:.1f} KiB)"
      f" over {int(rows):,} violations and {int(rows):,} flows;")
print(f"  wrk -t2 -c64 -d{duration}s --latency on {ncpu} CPUs (shared with wrk);"
      f" segwatch serve --threads {threads}, nginx worker_processes auto")
line("nginx, the same bytes as a static file", ng, "  (tcp_nopush: 40 ms ACK stalls)")
line("segwatch serve (response cache)", sw, "  (target < 50 ms)")
line("segwatch serve, cache defeated", un, "  (since= differs on every request)")
print(f"  {'ratio segwatch/nginx':<38} {sw[0] / ng[0] * 100:10.1f} %       (target >= 25 %)")
print(f"  {'ratio segwatch uncached/nginx':<38} {un[0] / ng[0] * 100:10.1f} %")
if ng[2] or sw[2] or un[2]:
    print("web bench: some requests failed (see above)", file=sys.stderr)
    sys.exit(1)
PY
