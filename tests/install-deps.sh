#!/bin/sh
# Installs every build and test dependency of segwatch from Debian's
# packages (and playwright-core, the browser test's driver, from npm).
# Idempotent: what is already present is left alone.
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config strace util-linux libpcap-dev libnetfilter-log-dev libsqlite3-dev
libmicrohttpd-dev libcmocka-dev libyaml-dev libjansson-dev sqlite3 tcpdump
tshark iproute2 iptables nftables clang python3 curl openssl chromium fonts-dejavu-core
postgresql redis-server dnsmasq-base dnsutils socat nginx-light wrk"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node.js and npm for the browser test: Debian's, unless a node is there
# already (e.g. from NodeSource, whose nodejs package conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
else
	echo "deps: all Debian packages installed"
fi
# The servers of the end-to-end scenario are started by its tests, never
# as system services.
for svc in postgresql redis-server nginx; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		$SUDO systemctl stop "$svc" || true
	fi
done
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	echo "deps: npm ci in tests/browser (playwright-core; no browser download)"
	(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
