#!/bin/sh
# `segwatch serve` end to end with the sanitized binary and curl.
#
# A database is made by `segwatch run` on the bundled example (three-tier
# capture, inventory, policies); the server is started on a free port.
# Checks:
#   serve-start       starts, prints its port; /healthz answers ok
#   routes            every GET route of the contract answers 200 JSON of
#                     the documented shape (items/next_cursor/limit, edges,
#                     stats), the item route answers the first listed id,
#                     runs lists the run that made the database
#   errors            404 unknown route and id, 405 with Allow, 400 naming
#                     the parameter (bad value, unknown, repeated, bad %)
#   headers           the security headers; HEAD without a body
#   writes-no-token   POST answers 401 "writes need --api-token-file"
#   token             with --api-token-file: 401 without/with a wrong token,
#                     200 with it; /healthz and /metrics stay open; a
#                     world-readable token file is warned about; ack works
#   openapi           every path and method of web/openapi.yaml answers
#                     with a status the document lists (skipped without it)
#   metrics           Prometheus text with segwatch_up and request counters
#   stream            /api/v1/stream sends retry and event lines
#   tls               --tls-cert/--tls-key: /healthz over HTTPS (needs openssl)
#   privdrop          started as root: runs as nobody and still answers
#   replaced          the database file deleted and written anew under the
#                     server (an audit rerun): reads answer from the new
#                     file, a triage write goes to it, and a connected
#                     event stream sends the new file's violations
#   usage             no database, address in use, short token: exit 2
#   stop              SIGTERM: exit 0, no sanitizer report
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
DB="$TMPD/segwatch.db"
TOKEN=0123456789abcdef0123456789abcdef

if ! "$SEGWATCH" serve --help >/dev/null 2>&1; then
	skip api "this segwatch has no 'serve' command yet"
	finish
fi
"$SEGWATCH" run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
	--policy examples/policies.yaml --db "$DB" >"$TMPD/run.out" 2>"$TMPD/run.err"
if [ ! -s "$DB" ] || [ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from violations").fetchone()[0])' "$DB" 2>/dev/null)" = "0" ]; then
	skip api "segwatch run did not write violations to a database: $(tail -n 1 "$TMPD/run.err")"
	finish
fi

# start NAME ARGS...: starts the server in the background; sets PID and URL.
start() {
	name=$1
	shift
	"$SEGWATCH" serve --db "$DB" --listen 127.0.0.1:0 "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err" &
	PID=$!
	PORT=""
	for _ in $(seq 1 100); do
		PORT=$(sed -nE 's/.*\(port ([0-9]+)\).*/\1/p' "$TMPD/$name.err" 2>/dev/null | head -n 1)
		[ -n "$PORT" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	URL="http://127.0.0.1:$PORT"
	[ -n "$PORT" ]
}

# stop NAME: SIGTERM, then the exit status and the sanitizer report.
stop() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID"
	rc=$?
	if sanitizer_report "$TMPD/$1.err"; then
		not_ok "stop-$1" "sanitizer report"
		sed 's/^/# /' "$TMPD/$1.err" | head -20
	elif [ "$rc" -ne 0 ]; then
		not_ok "stop-$1" "exit status $rc"
	else
		ok "stop-$1"
	fi
}

# get PATH [CURL ARGS...]: status in $CODE, body in $TMPD/body, head in $TMPD/head.
get() {
	p=$1
	shift
	CODE=$(curl -s -o "$TMPD/body" -D "$TMPD/head" -w '%{http_code}' "$@" "$URL$p")
}

if ! start open; then
	not_ok serve-start "no port line: $(head -c 300 "$TMPD/open.err")"
	finish
fi
get /healthz
if [ "$CODE" = 200 ] && has "$TMPD/body" '"status":"ok"'; then ok serve-start; else
	not_ok serve-start "healthz $CODE $(head -c 200 "$TMPD/body")"; fi

# ---- routes ----
bad=""
for r in violations flows anomalies baseline policies endpoints runs; do
	get "/api/v1/$r"
	python3 - "$TMPD/body" <<'PY' || bad="$bad $r:$CODE"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["items"], list) and "next_cursor" in d and "limit" in d
PY
done
get /api/v1/edges
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d["nodes"], list) and isinstance(d["edges"], list) and isinstance(d["truncated"], bool)' "$TMPD/body" || bad="$bad edges"
get /api/v1/runs
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["items"][0]; assert r["sources"] == "file:examples/three-tier.pcap" and r["packets"] == 146 and r["ended"] is not None and r["stats"]["flows_judged"] == 11, r' "$TMPD/body" || bad="$bad runs-content"
get /api/v1/stats
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["live"] is False and "rates" in d and "series" in d and "violations" in d' "$TMPD/body" || bad="$bad stats"
get "/api/v1/violations?limit=1"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["id"])' "$TMPD/body")
get "/api/v1/violations/$ID"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["id"] == int(sys.argv[2]) and "explanation" in d and "sample_flows" in d' "$TMPD/body" "$ID" || bad="$bad item"
[ -z "$bad" ] && ok routes || not_ok routes "wrong answers:$bad"

# ---- errors ----
bad=""
check() { # STATUS NEEDLE PATH [CURL ARGS]
	want=$1 needle=$2
	shift 2
	get "$@"
	if [ "$CODE" != "$want" ] || ! has "$TMPD/body" "$needle"; then
		bad="$bad [$1 -> $CODE $(head -c 120 "$TMPD/body")]"
	fi
}
check 404 '"not_found"' /api/v1/nothing
check 404 '"not_found"' /api/v1/violations/999999
check 404 '"not_found"' /api/v1/violations/0$ID
check 405 '"method_not_allowed"' /api/v1/violations -X DELETE
has "$TMPD/head" "Allow: GET, HEAD" || bad="$bad [no Allow]"
check 405 '"method_not_allowed"' "/api/v1/violations/$ID/ack"
check 400 '"parameter":"limit"' "/api/v1/violations?limit=abc"
check 400 '"unknown_parameter"' "/api/v1/violations?colour=red"
check 400 '"parameter":"limit"' "/api/v1/violations?limit=1&limit=2"
check 400 '"parameter":"src"' "/api/v1/violations?src=%G1"
check 200 '"items":[]' "/api/v1/violations?src=x%27%3B%20DROP%20TABLE%20violations%3B--"
[ -z "$bad" ] && ok errors || not_ok errors "$bad"

# ---- headers ----
bad=""
for p in /api/v1/violations / /healthz; do
	get "$p"
	for h in "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'" \
		"X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer" "X-Frame-Options: DENY"; do
		has "$TMPD/head" "$h" || bad="$bad [$p: $h]"
	done
done
get /api/v1/violations
has "$TMPD/head" "Cache-Control: no-store" || bad="$bad [no-store]"
get /api/v1/violations -I
[ "$CODE" = 200 ] && ! has "$TMPD/body" '"items"' || bad="$bad [HEAD $CODE]"
[ -z "$bad" ] && ok headers || not_ok headers "$bad"

get "/api/v1/violations/$ID/ack" -X POST
if [ "$CODE" = 401 ] && has "$TMPD/body" "writes need --api-token-file"; then ok writes-no-token; else
	not_ok writes-no-token "$CODE $(head -c 200 "$TMPD/body")"; fi

# ---- metrics, stream ----
get /metrics
if [ "$CODE" = 200 ] && has "$TMPD/body" "segwatch_up 1" && has "$TMPD/body" 'segwatch_http_requests_total{route="/api/v1/violations",code="200"}' \
	&& has "$TMPD/head" "text/plain; version=0.0.4"; then ok metrics; else
	not_ok metrics "$CODE $(head -c 200 "$TMPD/body")"; fi
curl -sN --max-time 2 -H "Last-Event-ID: 0:0" "$URL/api/v1/stream" >"$TMPD/stream" 2>/dev/null
if has "$TMPD/stream" "retry: 2000" && has "$TMPD/stream" "event: violation" && has "$TMPD/stream" "id: 1:0"; then
	ok stream; else not_ok stream "$(head -c 300 "$TMPD/stream")"; fi

# ---- openapi.yaml ----
if [ -f web/openapi.yaml ]; then
	if python3 - web/openapi.yaml "$URL" "$ID" >"$TMPD/openapi.out" 2>&1 <<'PY'
import json, sys, urllib.request, urllib.error
import yaml
doc = yaml.safe_load(open(sys.argv[1]))
url, vid = sys.argv[2], sys.argv[3]
bad = []
for path, ops in doc.get("paths", {}).items():
    for method, op in ops.items():
        if method not in ("get", "post", "head"):
            continue
        if path.endswith("/stream"):
            continue
        p = path.replace("{id}", vid)
        req = urllib.request.Request(url + p, method=method.upper(),
                                     data=b"" if method == "post" else None)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                code, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            code, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        listed = {str(k) for k in (op.get("responses") or {})}
        if str(code) not in listed and "default" not in listed:
            bad.append(f"{method.upper()} {path}: {code} not in {sorted(listed)}")
        if "json" in ctype:
            json.loads(body)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	then ok openapi; else not_ok openapi "$(head -c 600 "$TMPD/openapi.out")"; fi
else
	skip openapi "web/openapi.yaml is not there yet"
fi
stop open

# ---- with a token ----
printf '%s\n' "$TOKEN" >"$TMPD/token"
chmod 644 "$TMPD/token"
if start token --api-token-file "$TMPD/token"; then
	bad=""
	has "$TMPD/token.err" "readable by every user" || bad="$bad [no warning]"
	check 401 '"unauthorized"' /api/v1/violations
	has "$TMPD/head" "WWW-Authenticate: Bearer" || bad="$bad [no WWW-Authenticate]"
	check 401 '"unauthorized"' /api/v1/violations -H "Authorization: Bearer wrong-token-0123456789"
	check 200 '"items"' /api/v1/violations -H "Authorization: Bearer $TOKEN"
	check 200 '"ok"' /healthz
	check 200 'segwatch_up' /metrics
	check 200 '"state":"acknowledged"' "/api/v1/violations/$ID/ack" -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"by":"ci"}'
	check 200 '"acknowledged_by":"ci"' "/api/v1/violations/$ID" -H "Authorization: Bearer $TOKEN"
	head -c 20000 /dev/zero | tr '\0' ' ' >"$TMPD/big"
	check 413 '"payload_too_large"' "/api/v1/violations/$ID/ack" -X POST \
		-H "Authorization: Bearer $TOKEN" --data-binary "@$TMPD/big"
	[ -z "$bad" ] && ok token || not_ok token "$bad"
	stop token
else
	not_ok token "did not start: $(head -c 300 "$TMPD/token.err")"
fi

# ---- the database file replaced under the server ----
# first_flows: the flows of the newest violation, read through the server
first_flows() {
	curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/v1/violations?limit=1" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["flows"])' 2>/dev/null
}
# as root, both keep root: nobody could not look the files up in $TMPD
AS_ROOT=""
[ "$(id -u)" -eq 0 ] && AS_ROOT="--user root"
audit() { # an audit of the example into $1
	"$SEGWATCH" run -r examples/three-tier.pcap --inventory examples/inventory.yaml \
		--policy examples/policies.yaml --db "$1" -q $AS_ROOT >/dev/null 2>&1
}
RDB="$TMPD/audit.db"
audit "$RDB"
KEEP_DB=$DB
DB=$RDB
if start replaced --api-token-file "$TMPD/token" $AS_ROOT; then
	bad=""
	before=$(first_flows)
	curl -sN -m 60 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: 0:0" \
		"$URL/api/v1/stream" >"$TMPD/rstream" &
	SPID=$!
	wait_for_text "$TMPD/rstream" "id: 7:0" 100 || bad="$bad [the stream sent no 7 violations]"
	rm -f "$RDB" "$RDB-wal" "$RDB-shm"
	audit "$RDB" # the same audit twice: each violation counts 2 flows
	audit "$RDB"
	after=$(first_flows)
	[ "$before" = 1 ] && [ "$after" = 2 ] || bad="$bad [flows $before then $after, want 1 then 2]"
	# the stream follows the new file: its 7 violations come again
	for _ in $(seq 50); do
		[ "$(grep -c '^event: violation' "$TMPD/rstream")" -ge 14 ] && break
		sleep 0.1
	done
	n=$(grep -c '^event: violation' "$TMPD/rstream")
	[ "$n" -eq 14 ] || bad="$bad [the stream sent $n violation events, want 7 then 7 more]"
	has "$TMPD/replaced.err" "the event stream follows the new one" || bad="$bad [no stream log line]"
	kill "$SPID" 2>/dev/null
	check 200 '"state":"acknowledged"' "/api/v1/violations/$ID/ack" -X POST \
		-H "Authorization: Bearer $TOKEN"
	state=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT state FROM violations WHERE id = ?",
      (int(sys.argv[2]),)).fetchone()[0])' "$RDB" "$ID")
	[ "$state" = acknowledged ] || bad="$bad [the new file says $state]"
	has "$TMPD/replaced.err" "the database file was replaced: reopened" || bad="$bad [no log line]"
	[ -z "$bad" ] && ok replaced || not_ok replaced "$bad"
	stop replaced
else
	not_ok replaced "did not start: $(head -c 300 "$TMPD/replaced.err")"
fi
DB=$KEEP_DB

# ---- TLS ----
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" \
		-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1; then
	if start tls --tls-cert "$TMPD/cert.pem" --tls-key "$TMPD/key.pem"; then
		c=$(curl -sk -o "$TMPD/body" -w '%{http_code}' "https://127.0.0.1:$PORT/healthz")
		if [ "$c" = 200 ] && has "$TMPD/tls.err" "https://"; then ok tls; else
			not_ok tls "https status $c"; fi
		stop tls
	elif has "$TMPD/tls.err" "without TLS"; then
		skip tls "libmicrohttpd without TLS (the error says so)"
	else
		not_ok tls "$(head -c 300 "$TMPD/tls.err")"
	fi
else
	skip tls "no openssl to make a certificate"
fi

# ---- privileges: as root, serving goes on as nobody ----
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$TMPD"
	if start priv; then
		uid=$(awk '/^Uid:/ {print $3}' "/proc/$PID/status")
		get /api/v1/violations
		if [ "$uid" = "$(id -u nobody)" ] && [ "$CODE" = 200 ]; then ok privdrop; else
			not_ok privdrop "euid $uid, status $CODE"; fi
		stop priv
	else
		not_ok privdrop "did not start: $(head -c 300 "$TMPD/priv.err")"
	fi
	chmod 700 "$TMPD"
else
	skip privdrop "not root"
fi

# ---- usage errors ----
run serve --db "$TMPD/none.db" --listen 127.0.0.1:0
if expect_rc no-db 2 && has "$TMPD/err" "none.db"; then ok no-db; fi
if start busy; then
	run serve --db "$DB" --listen "127.0.0.1:$PORT"
	if expect_rc addr-in-use 2 && has "$TMPD/err" "cannot listen on 127.0.0.1:$PORT: Address already in use"; then
		ok addr-in-use; fi
	stop busy
fi
printf 'short\n' >"$TMPD/short"
run serve --db "$DB" --api-token-file "$TMPD/short"
expect_rc short-token 2 && ok short-token
finish
