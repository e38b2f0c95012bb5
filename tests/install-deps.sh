#!/bin/sh
# Installs every build and test dependency of segwatch from Debian's
# packages. Idempotent: packages already present are left alone.
set -eu
PKGS="build-essential pkg-config strace util-linux libpcap-dev libnetfilter-log-dev libsqlite3-dev
libmicrohttpd-dev libcmocka-dev libyaml-dev libjansson-dev sqlite3 tcpdump
tshark iproute2 iptables nftables clang python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
