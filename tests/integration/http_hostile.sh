#!/bin/sh
# `segwatch serve` (sanitized binary) against hostile HTTP clients, over raw
# sockets (a Python helper), on a database made by `segwatch run` on the
# bundled example.
# Checks:
#   big-header, many-headers  a 100 KiB header / 3000 headers: 431 (or 413),
#                     connection closed, server alive
#   long-target       a 40 KiB request target: 414 (or 431), closed
#   body-length       POST with Content-Length over --max-body: 413 JSON at
#                     once, connection closed
#   body-chunked      a chunked POST body over the limit: 413
#   body-at-limit     a body of exactly the limit is not refused as too big
#   clen-absurd, clen-negative  Content-Length 10^23 / -1: 413 or 400, closed
#   pct-query-*       malformed percent-encoding in the query: 400 naming
#                     the parameter
#   pct-path-*        malformed percent-encoding in the path: 400
#   sql-ROUTE         SQL metacharacters (and LIKE wildcards) in every filter
#                     of every list route, and as an {id}: 400 or an empty
#                     answer (never rows, never 5xx)
#   tables-intact     every table's row count unchanged afterwards
#   unknown-routes    404 JSON not_found
#   methods           405 method_not_allowed with the right Allow
#   http09, garbage-* HTTP/0.9 and garbage request lines, each on its own
#                     connection: an error status, or the connection closed
#                     unanswered within the connection timeout; never 2xx
#                     (libmicrohttpd waits for the end of an unfinished
#                     request line); the server alive
#   slowloris-others  50 clients trickling a header byte a second (plus idle
#                     half-requests) for the connection timeout + 8 s: other
#                     clients answered every 0.5 s throughout (< 2 s each)
#   slowloris-idle    idle half-requests dropped within timeout + 5 s
#   slowloris-trickle trickling clients dropped within timeout + 5 s
#   flood             --max-connections 16, 60 connections from 10 source
#                     addresses held open: at most 16 served at once (the
#                     rest wait unserved in the listen backlog: libmicrohttpd
#                     stops accepting at the limit)
#   flood-after       the held connections closed: the server answers again
#   flood-per-address 16 connections from one address: at most 8 served
#                     (the per-address limit, half the total); another
#                     address is still served
#   final             no sanitizer report, /healthz ok, SIGTERM exit 0
# The servers run with --connection-timeout HOSTILE_TIMEOUT_S (default 10):
# idle connections and request heads slower than that are dropped.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
TIMEOUT_S=${HOSTILE_TIMEOUT_S:-10}
MAX_BODY=16384
DB="$TMPD/segwatch.db"

if ! "$SEGWATCH" serve --help >/dev/null 2>&1; then
	skip http_hostile "this segwatch has no 'serve' command"
	finish
fi
"$SEGWATCH" run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
	-p examples/policies.yaml --db "$DB" -q >"$TMPD/run.out" 2>"$TMPD/run.err"
if [ ! -s "$DB" ]; then
	not_ok setup "segwatch run made no database: $(tail -n 2 "$TMPD/run.err")"
	finish
fi

# report: turns the helper's "ok NAME" / "not ok NAME: WHY" / "# ..." lines
# into lib.sh checks.
report() {
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) n=${line#not ok }; not_ok "${n%%: *}" "${n#*: }" ;;
		*) echo "$line" ;;
		esac
	done
}

# start NAME ARGS...: a server on a free port; PID, PORT.
start() {
	name=$1
	shift
	"$SEGWATCH" serve --db "$DB" --listen 127.0.0.1:0 --connection-timeout "$TIMEOUT_S" \
		"$@" >"$TMPD/$name.out" \
		2>"$TMPD/$name.err" &
	PID=$!
	PORT=""
	for _ in $(seq 1 100); do
		PORT=$(sed -nE 's/.*\(port ([0-9]+)\).*/\1/p' "$TMPD/$name.err" | head -n 1)
		[ -n "$PORT" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$PORT" ]
}

# stop NAME: the final checks of one server.
stop() {
	if curl -s -m 5 "http://127.0.0.1:$PORT/healthz" | grep -q '"status":"ok"'; then
		ok "healthz-after-$1"
	else
		not_ok "healthz-after-$1" "no ok from /healthz"
	fi
	kill -TERM "$PID" 2>/dev/null
	wait "$PID"
	rc=$?
	if sanitizer_report "$TMPD/$1.err"; then
		not_ok "stop-$1" "sanitizer report"
		grep -A 20 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' \
			"$TMPD/$1.err" | head -n 25 | sed 's/^/# /'
	elif [ "$rc" -ne 0 ]; then
		not_ok "stop-$1" "exit status $rc after SIGTERM"
	else
		ok "stop-$1"
	fi
}

cat >"$TMPD/hostile.py" <<'EOF'
import json, socket, sqlite3, sys, threading, time, urllib.parse

PORT = int(sys.argv[2])

def conn(src=None, timeout=5.0):
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    return s

def exchange(data, timeout=5.0, src=None):
    """Sends data, reads until the server closes or timeout. Returns
    (status or None, headers dict, body bytes, closed)."""
    s = conn(src, timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    buf, closed = b"", False
    try:
        while True:
            x = s.recv(65536)
            if not x:
                closed = True
                break
            buf += x
            if b"Connection: close" not in buf and response_complete(buf):
                break
    except socket.timeout:
        pass
    except OSError:
        closed = True
    s.close()
    return parse(buf) + (closed,)

def response_complete(buf):
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for l in head.split(b"\r\n")[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v.strip())
    return False

def parse(buf):
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = None
    if lines and lines[0].startswith(b"HTTP/1."):
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            pass
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return status, hdrs, body

def get(target, method="GET", extra=b"", body=b"", src=None):
    req = (method.encode() + b" " + target.encode("latin-1") + b" HTTP/1.1\r\nHost: t\r\n"
           b"Connection: close\r\n" + extra + b"\r\n" + body)
    return exchange(req, src=src)

def line(ok, name, why=""):
    print("ok %s" % name if ok else "not ok %s: %s" % (name, why), flush=True)

def alive():
    st, _, body, _ = get("/healthz")
    return st == 200 and b'"status":"ok"' in body

# ---- limits ----------------------------------------------------------------
def limits(max_body):
    cases = [
        ("big-header", b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 102400 +
         b"\r\n\r\n", (431, 413)),
        ("many-headers", b"GET /healthz HTTP/1.1\r\nHost: t\r\n" +
         b"".join(b"X-%d: v\r\n" % i for i in range(3000)) + b"\r\n", (431, 413)),
        ("long-target", b"GET /" + b"a" * 40960 + b" HTTP/1.1\r\nHost: t\r\n\r\n", (414, 431)),
        ("body-length", b"POST /api/v1/violations/1/ack HTTP/1.1\r\nHost: t\r\n"
         b"Content-Length: %d\r\n\r\n" % (max_body + 1) + b"{", (413,)),
        ("body-chunked", b"POST /api/v1/violations/1/ack HTTP/1.1\r\nHost: t\r\n"
         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
         b"".join(b"1000\r\n" + b" " * 4096 + b"\r\n" for _ in range(max_body // 4096 + 1)) +
         b"0\r\n\r\n", (413,)),
        ("clen-absurd", b"POST /api/v1/violations/1/ack HTTP/1.1\r\nHost: t\r\n"
         b"Content-Length: 99999999999999999999999\r\n\r\n", (413, 400)),
        ("clen-negative", b"POST /api/v1/violations/1/ack HTTP/1.1\r\nHost: t\r\n"
         b"Content-Length: -1\r\n\r\n", (400, 413)),
    ]
    for name, req, want in cases:
        st, hdrs, body, closed = exchange(req)
        why = "status %s (want %s), closed %s" % (st, "/".join(map(str, want)), closed)
        good = st in want and closed
        if good and name.startswith("body-"):
            good = b'"payload_too_large"' in body
            why += ", body %r" % body[:80]
        line(good and alive(), name, why + ("" if alive() else ", server not answering"))
    # exactly the limit: not too big (no token configured, so 401)
    st, _, body, _ = get("/api/v1/violations/1/ack", "POST",
                         b"Content-Length: %d\r\n" % max_body, b" " * max_body)
    line(st == 401, "body-at-limit", "status %s, want 401 (writes need a token)" % st)

# ---- percent-encoding --------------------------------------------------------
def percent():
    for name, target in [("pct-query-bad-hex", "/api/v1/violations?src=%zz"),
                         ("pct-query-truncated", "/api/v1/violations?src=a%2"),
                         ("pct-query-nul", "/api/v1/flows?ip=%00"),
                         ("pct-query-name", "/api/v1/violations?s%Grc=a")]:
        st, _, body, _ = get(target)
        line(st == 400 and b'"bad_parameter"' in body and b'"parameter"' in body, name,
             "status %s body %r" % (st, body[:120]))
    for name, target in [("pct-path-bad-hex", "/api/v1/violations%zz"),
                         ("pct-path-truncated", "/api/v1/violations/%2"),
                         ("pct-path-nul", "/healthz%00")]:
        st, _, body, _ = get(target)
        line(st == 400, name, "status %s, want 400 (body %r)" % (st, body[:80]))

# ---- SQL metacharacters ----------------------------------------------------
FILTERS = {
    "violations": "since until src dst namespace policy reason state proto port sort limit cursor",
    "flows": "since until src dst namespace ip verdict reason proto port violation limit cursor",
    "edges": "since until namespace limit",
    "anomalies": "since until kind src dst state limit cursor",
    "baseline": "src dst namespace limit cursor",
    "policies": "namespace endpoint",
    "endpoints": "namespace label ip limit cursor",
}
PAYLOADS = ["' OR '1'='1", "1' OR 1=1 --", "\" OR \"\"=\"", "1; DROP TABLE violations; --",
            "') UNION SELECT * FROM violations --", "%", "_", "*", "prod/%", "\\", "1 OR 1=1",
            "app=web' OR '1'='1", "tcp' --", "0x7fffffff; --", "$(id)", "\u00e9' --"]

def counts(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    tables = [r[0] for r in c.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    r = {t: c.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in tables}
    c.close()
    return r

def rows_of(route, doc):
    if route == "edges":
        return len(doc.get("edges", [])) + len(doc.get("nodes", []))
    return len(doc.get("items", []))

def sql(db):
    before = counts(db)
    for route in ("violations", "flows", "endpoints", "policies"):
        st, _, body, _ = get("/api/v1/" + route)
        if st != 200 or not json.loads(body).get("items"):
            line(False, "sql-" + route, "the unfiltered list is empty: the check proves nothing")
    for route, names in FILTERS.items():
        bad = []
        tried = 0
        for name in names.split():
            for p in PAYLOADS:
                q = urllib.parse.urlencode({name: p})
                st, _, body, _ = get("/api/v1/%s?%s" % (route, q))
                tried += 1
                if st == 400:
                    continue
                if st == 200:
                    try:
                        n = rows_of(route, json.loads(body))
                    except ValueError:
                        n = "unparsable"
                    if n == 0:
                        continue
                    bad.append("%s=%r: 200 with %s rows" % (name, p, n))
                else:
                    bad.append("%s=%r: status %s" % (name, p, st))
        line(not bad, "sql-" + route, "; ".join(bad[:4]) + (" (%d in all)" % len(bad)))
        if not bad:
            print("# sql-%s: %d requests" % (route, tried))
    bad = []
    for p in PAYLOADS:
        st, _, _, _ = get("/api/v1/violations/" + urllib.parse.quote(p, safe=""))
        if st != 404:
            bad.append("%r: %s" % (p, st))
    line(not bad, "sql-id", "; ".join(bad[:4]))
    after = counts(db)
    line(after == before, "tables-intact", "before %s after %s" % (before, after))

# ---- routes and methods ----------------------------------------------------
def routes():
    bad = []
    for t in ["/nope", "/api/v2/violations", "/api/v1/violations/abc", "/api/v1/violations/0",
              "/api/v1/violations/01", "/api/v1/violations/1/nope", "/api/v1/../healthz",
              "/assets/../../etc/passwd", "/assets/.hidden", "//healthz", "/healthz/",
              "/api/v1/violations/99999999999999999999"]:
        st, hdrs, body, _ = get(t)
        if st != 404 or b'"not_found"' not in body:
            bad.append("%s: %s" % (t, st))
    line(not bad, "unknown-routes", "; ".join(bad))
    bad = []
    for m, t, allow in [("PUT", "/api/v1/violations", "GET, HEAD"),
                        ("DELETE", "/api/v1/flows", "GET, HEAD"),
                        ("PATCH", "/healthz", "GET, HEAD"),
                        ("OPTIONS", "/api/v1/stats", "GET, HEAD"),
                        ("GET", "/api/v1/violations/1/ack", "POST"),
                        ("PUT", "/api/v1/anomalies/1/accept", "POST"),
                        ("FOO", "/metrics", "GET, HEAD")]:
        st, hdrs, body, _ = get(t, m)
        if st != 405 or hdrs.get("allow") != allow or b'"method_not_allowed"' not in body:
            bad.append("%s %s: %s Allow %r" % (m, t, st, hdrs.get("allow")))
    line(not bad, "methods", "; ".join(bad))

def garbage(timeout_s):
    """Each case on its own connection, at once: an error status (4xx/5xx)
    or the connection closed unanswered, within the connection timeout;
    never 2xx. libmicrohttpd waits for the end of an unfinished request
    line, so some cases are only closed by the timeout."""
    cases = [("http09", b"GET /healthz\r\n"),
             ("garbage-tls-hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xff" * 64),
             ("garbage-words", b"garbage\r\n\r\n"),
             ("garbage-version", b"GET / HTTP/9.9\r\nHost: t\r\n\r\n"),
             ("garbage-no-target", b"GET  HTTP/1.1\r\n\r\n"),
             ("garbage-extra-word", b"GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n"),
             ("garbage-header-no-colon", b"GET /healthz HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n"),
             ("garbage-empty-lines", b"\r\n\r\n\r\n\r\n"),
             ("garbage-binary", bytes(range(256)) * 4)]
    res = {}

    def one(name, req):
        t = time.time()
        res[name] = exchange(req, timeout=timeout_s + 5) + (time.time() - t,)
    ths = [threading.Thread(target=one, args=c) for c in cases]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    up = alive()
    for name, _ in cases:
        st, _, body, closed, took = res[name]
        good = (st is not None and st >= 400) or (st is None and closed)
        line(good and up, name, "status %s, closed %s after %.1fs (%r)%s" %
             (st, closed, took, body[:60], "" if up else ", server not answering"))

# ---- slowloris -------------------------------------------------------------
def slowloris(n, timeout_s):
    duration = timeout_s + 8
    t0 = time.time()
    trickle, idle = [], []
    for i in range(n):
        s = conn("127.0.0.20", 2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        trickle.append([s, None])
    for i in range(10):
        s = conn("127.0.0.20", 2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n" if i % 2 else b"GE")
        idle.append([s, None])
    for s, _ in trickle + idle:
        s.setblocking(False)
    lat, failures = [], []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            a = time.time()
            try:
                st, _, body, _ = get("/healthz", src="127.0.0.21")
                if st != 200:
                    failures.append("status %s at +%.1fs" % (st, a - t0))
            except OSError as e:
                failures.append("%s at +%.1fs" % (e, a - t0))
            lat.append(time.time() - a)
            time.sleep(0.5)
    th = threading.Thread(target=probe)
    th.start()
    while time.time() - t0 < duration:
        now = time.time() - t0
        for c in trickle:
            if c[1] is None:
                try:
                    c[0].send(b"a")
                except OSError:
                    c[1] = now
        for c in trickle + idle:
            if c[1] is None:
                try:
                    if c[0].recv(4096) == b"":
                        c[1] = now
                except BlockingIOError:
                    pass
                except OSError:
                    c[1] = now
        time.sleep(1)
    stop.set()
    th.join()
    limit = timeout_s + 5
    line(not failures and lat and max(lat) < 2.0, "slowloris-others",
         "%d probes, %d failed (%s), slowest %.2fs" % (len(lat), len(failures),
                                                     "; ".join(failures[:3]), max(lat or [0])))
    print("# slowloris: %d probes of /healthz, slowest %.3fs" % (len(lat), max(lat or [0])))
    late = [c[1] for c in idle if c[1] is None or c[1] > limit]
    line(not late, "slowloris-idle", "%d of %d idle half-requests still open after %ds"
         % (len(late), len(idle), limit))
    late = [c[1] for c in trickle if c[1] is None or c[1] > limit]
    closed = sorted(c[1] for c in trickle if c[1] is not None)
    line(not late, "slowloris-trickle",
         "%d of %d clients sending a header byte a second still connected after %.0fs "
         "(connection timeout %ds; closed: %d)" % (len(late), n, duration, timeout_s, len(closed)))
    for s, _ in trickle + idle:
        s.close()

# ---- connection flood --------------------------------------------------------
def answered(socks, seconds):
    """Reads every socket for up to seconds; returns how many got a 200."""
    import selectors
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    served = 0
    end = time.time() + seconds
    while bufs and time.time() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                x = s.recv(4096)
            except OSError:
                x = b""
            bufs[s] += x
            if not x or response_complete(bufs[s]):
                served += parse(bufs[s])[0] == 200
                sel.unregister(s)
                del bufs[s]
    sel.close()
    return served

def hold(n, srcs):
    socks = []
    for i in range(n):
        s = conn(srcs[i % len(srcs)], 3)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        socks.append(s)
    return socks

def flood(n, limit):
    """libmicrohttpd stops accepting at the limit: the connections beyond
    it wait in the listen backlog, unserved, until a slot frees."""
    socks = hold(n, ["127.0.0.%d" % (30 + i) for i in range(10)])
    served = answered(socks, 3)
    line(1 <= served <= limit, "flood",
         "%d connections held: %d served at once (limit %d)" % (n, served, limit))
    print("# flood: %d connections held, %d served at once, %d waiting" % (n, served, n - served))
    for s in socks:
        s.close()
    time.sleep(0.5)
    line(alive(), "flood-after", "not answering once the flood is gone")
    # one address alone gets at most half the limit; another is still served
    socks = hold(limit, ["127.0.0.50"])
    mine = answered(socks, 3)
    other = hold(1, ["127.0.0.51"])
    theirs = answered(other, 3)
    line(mine <= limit // 2 and theirs == 1, "flood-per-address",
         "%d connections from one address: %d served (per-address limit %d); "
         "another address served: %s" % (limit, mine, limit // 2, theirs == 1))
    for s in socks + other:
        s.close()

cmd = sys.argv[1]
if cmd == "limits":
    limits(int(sys.argv[3]))
elif cmd == "percent":
    percent()
elif cmd == "sql":
    sql(sys.argv[3])
elif cmd == "routes":
    routes()
elif cmd == "garbage":
    garbage(int(sys.argv[3]))
elif cmd == "slowloris":
    slowloris(int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "flood":
    flood(int(sys.argv[3]), int(sys.argv[4]))
EOF

if ! start main; then
	not_ok serve-start "$(head -n 3 "$TMPD/main.err")"
	kill "$PID" 2>/dev/null
	finish
fi
H="python3 $TMPD/hostile.py"
# the slow clients run alongside every other check
# the slow clients and the garbage run alongside every other check
$H slowloris "$PORT" 50 "$TIMEOUT_S" >"$TMPD/slow.out" 2>&1 &
SLOW=$!
$H garbage "$PORT" "$TIMEOUT_S" >"$TMPD/garbage.out" 2>&1 &
GARBAGE=$!
sleep 1
for part in limits percent sql routes; do
	case $part in
	limits) $H limits "$PORT" "$MAX_BODY" ;;
	sql) $H sql "$PORT" "$DB" ;;
	*) $H "$part" "$PORT" ;;
	esac >"$TMPD/$part.out" 2>&1
	report <"$TMPD/$part.out"
done
wait "$GARBAGE"
report <"$TMPD/garbage.out"
wait "$SLOW"
report <"$TMPD/slow.out"
stop main

if start flood --max-connections 16; then
	$H flood "$PORT" 60 16 >"$TMPD/flood.out" 2>&1
	report <"$TMPD/flood.out"
	stop flood
else
	not_ok flood "serve --max-connections 16 did not start: $(head -n 2 "$TMPD/flood.err")"
fi
finish
