#!/bin/sh
# The dashboard in a real browser: builds a database from the example
# capture with `segwatch run`, serves it with `segwatch serve` (sanitized
# binary, a bearer token file), and runs tests/browser/dashboard.test.mjs
# in Debian's headless Chromium through playwright-core. The browser test
# compares what the page shows with what the same server's API answers,
# and the API's violations with those of `segwatch check` on the same
# inputs. Its checks are reported here one by one; the screenshots go to
# $DASHBOARD_SCREENSHOT (default build/dashboard.png, plus -map/-overview).
#
# Node.js, chromium and playwright-core are required: a missing one is a
# failure that says how to install it, not a skip.
# Run from the repository root.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
BROWSER_DIR=tests/browser
SHOT=${DASHBOARD_SCREENSHOT:-build/dashboard.png}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PCAP=examples/three-tier.pcap
INV=examples/inventory.yaml
POL=examples/policies.yaml
DB=$TMPD/segwatch.db
SERVER_PID=""

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_RC=$?
	SERVER_PID=""
}
trap 'stop_server; rm -rf "$TMPD"' EXIT
trap 'exit 130' INT TERM

# ---- prerequisites: a failure, with the way to install, when missing ----
prereq_ok=1
if ! command -v node >/dev/null 2>&1; then
	not_ok prerequisites "node is not installed: apt-get install -y --no-install-recommends nodejs npm"
	prereq_ok=0
elif ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
	not_ok prerequisites "node $(node --version) is too old: Node.js 18 or later is needed"
	prereq_ok=0
fi
if [ ! -x "$CHROMIUM" ]; then
	not_ok prerequisites "$CHROMIUM is missing: apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
	prereq_ok=0
fi
if [ "$prereq_ok" -eq 1 ] && [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
	# the lock file pins it; no browser is ever downloaded
	echo "# installing playwright-core in $BROWSER_DIR (npm ci)"
	if ! (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
		>"$TMPD/npm.log" 2>&1); then
		not_ok prerequisites "playwright-core is not installed and 'npm ci' failed: run 'cd $BROWSER_DIR && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci'"
		sed 's/^/# /' "$TMPD/npm.log" | tail -5
		prereq_ok=0
	fi
fi
[ "$prereq_ok" -eq 1 ] || finish

# ---- the database ----
run run -r "$PCAP" --inventory "$INV" --policy "$POL" --db "$DB"
if ! expect_rc build-db 0; then
	finish
fi
ok build-db
# what `check` finds on the same inputs: the API must list exactly these
run check -r "$PCAP" --inventory "$INV" --policy "$POL" --format json
if expect_rc check-json 1 && json_ok "$TMPD/out"; then
	cp "$TMPD/out" "$TMPD/check.json"
	ok check-json
else
	finish
fi

# ---- the server ----
TOKEN_FILE=$TMPD/token
python3 -c 'import secrets; print(secrets.token_hex(24))' >"$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$SEGWATCH" serve --db "$DB" --listen "127.0.0.1:$PORT" --api-token-file "$TOKEN_FILE" \
	>"$TMPD/serve.out" 2>"$TMPD/serve.err" &
SERVER_PID=$!
if python3 - "$URL/healthz" "$SERVER_PID" <<'EOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        with open("/proc/%s/stat" % sys.argv[2]) as f:
            if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                sys.exit(1)  # the server exited
    except OSError:
        sys.exit(1)
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
then
	ok server-starts
else
	not_ok server-starts "segwatch serve exited, or no answer from $URL/healthz within 10 s"
	sed 's/^/# /' "$TMPD/serve.err" | head -10
	finish
fi

# ---- the browser test: its ok/not ok lines become ours ----
# While the page is open, the same capture judged against default-deny-all
# alone (the first policy of the example) adds violations for the flows the
# example allows: the live feed must show them.
sed -n '1,/^---/p' "$POL" | sed '$d' >"$TMPD/deny-all.yaml"
LIVE_CMD="'$SEGWATCH' run -r '$PCAP' --inventory '$INV' --policy '$TMPD/deny-all.yaml' --db '$DB'"
mkdir -p "$(dirname "$SHOT")"
node "$BROWSER_DIR/dashboard.test.mjs" --url "$URL" --token-file "$TOKEN_FILE" \
	--screenshot "$SHOT" --check-json "$TMPD/check.json" --chromium "$CHROMIUM" \
	--live-cmd "$LIVE_CMD" \
	>"$TMPD/browser.out" 2>"$TMPD/browser.err"
BROWSER_RC=$?
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "dashboard/${line#ok }" ;;
	"not ok "*)
		rest=${line#not ok }
		not_ok "dashboard/${rest%%: *}" "${rest#*: }"
		;;
	"#"*) echo "$line" ;;
	esac
done <"$TMPD/browser.out"
if [ "$BROWSER_RC" -ne 0 ] && ! grep -q '^not ok ' "$TMPD/browser.out"; then
	not_ok browser-test "exit status $BROWSER_RC"
	sed 's/^/# /' "$TMPD/browser.err" | tail -15
fi

# ---- the server stops cleanly, without a sanitizer report ----
stop_server
if sanitizer_report "$TMPD/serve.err"; then
	not_ok server-clean "sanitizer report"
	sed 's/^/# /' "$TMPD/serve.err" | head -20
elif [ "$SERVER_RC" -ne 0 ]; then
	not_ok server-clean "segwatch serve exited with $SERVER_RC on SIGTERM"
	sed 's/^/# /' "$TMPD/serve.err" | tail -5
else
	ok server-clean
fi
finish
