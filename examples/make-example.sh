#!/bin/sh
# Re-creates examples/three-tier.pcap: real TCP and UDP conversations
# between hosts in network namespaces on one bridge, captured on the bridge
# (the "mirror port"). Run as root from the repository root:
#     sh examples/make-example.sh
# The hosts stand for the seed article's microservices (see
# inventory.yaml): an ingress controller, frontend, backend-api, postgres,
# redis, kube-dns, an admin panel and an "external" host. 203.0.113.0/24
# (TEST-NET-3) is only ever a namespace here; nothing leaves the machine.
set -eu
NETNS_DIR="$(cd "$(dirname "$0")/../tests/netns" && pwd)"
. "$NETNS_DIR/lib.sh"
OUT="$(cd "$(dirname "$0")" && pwd)/three-tier.pcap"
TMPD=$(mktemp -d)
netns_init || { echo "make-example: $NETNS_WHY" >&2; exit 1; }
netns_on_exit 'rm -rf "$TMPD"'

netns_add sw && netns_bridge sw br0
host() { # NAME ADDR/LEN ROUTE
	netns_host "$1" sw br0 "$2"
	ip -n "$(netns_name "$1")" route add "$3" dev eth0
}
host ingress 10.30.0.2/16 203.0.113.0/24
host frontend 10.30.1.10/16 203.0.113.0/24
host backend 10.30.1.20/16 203.0.113.0/24
host postgres 10.30.1.30/16 203.0.113.0/24
host redis 10.30.1.40/16 203.0.113.0/24
host admin 10.30.1.50/16 203.0.113.0/24
host dns 10.30.2.53/16 203.0.113.0/24
host external 203.0.113.10/24 10.30.0.0/16

serve() { # HOST PROTO ADDR PORT
	netns_bg "$1" "$TMPD/$1-$4.log" python3 "$NETNS_DIR/traffic.py" "$2-server" \
		--bind "$3" --port "$4"
	netns_wait_listen "$1" "$2" "$4"
}
serve frontend tcp 10.30.1.10 8080
serve backend tcp 10.30.1.20 8081
serve postgres tcp 10.30.1.30 5432
serve redis tcp 10.30.1.40 6379
serve dns udp 10.30.2.53 53
serve external tcp 203.0.113.10 443
serve external tcp 203.0.113.10 80

netns_bg sw "$TMPD/tcpdump.log" tcpdump -i br0 -w "$OUT" -U --immediate-mode -Z root
TD=$NETNS_LAST_PID
netns_wait_file "$TMPD/tcpdump.log" "listening on"

tcp() { netns_traffic "$1" tcp-client --to "$2" --port "$3" --requests "$4" >/dev/null; }
udp() { netns_traffic "$1" udp-client --to "$2" --port "$3" --requests "$4" >/dev/null; }
# what the policies allow
tcp ingress 10.30.1.10 8080 3
udp frontend 10.30.2.53 53 2
tcp frontend 10.30.1.20 8081 4
tcp backend 10.30.1.30 5432 5
tcp backend 10.30.1.40 6379 2
tcp backend 203.0.113.10 443 2
# what they forbid
tcp frontend 10.30.1.30 5432 1
tcp admin 10.30.1.30 5432 2
tcp backend 203.0.113.10 80 1
tcp external 10.30.1.20 8081 1
tcp postgres 203.0.113.10 443 1
sleep 0.5
netns_stop "$TD" INT || true
echo "make-example: wrote $OUT"
