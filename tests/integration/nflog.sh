#!/bin/sh
# NFLOG source on real network namespaces: three hosts on a bridge, an
# nftables rule set in the server that logs (NFLOG group 5) what it
# accepts, drops and rejects, `segwatch flows --nflog 5` in the server and
# `segwatch flows -i br0` on the bridge at the same time. Checks the exact
# flows NFLOG gives (tuples, packet counts, fw_verdict, fw_prefix, ...),
# that they equal the bridge capture's flows packet for packet, and that
# the counts equal the rules' own counters.
#
# Topology (tests/netns/lib.sh; IPv6 off, no route out):
#
#   client 10.77.0.1 --+
#   server 10.77.0.2 --+-- br0 (namespace "sw"; segwatch -i br0 here)
#   other  10.77.0.3 --+
#
# The rules (below, nft) log on the server's input and output hooks, so
# every packet of a logged conversation is logged exactly once, in either
# direction, with no connection tracking involved; each rule also counts
# its packets. Equivalent iptables rules (iptables 1.8, any backend):
#
#   iptables -A INPUT -p tcp -s 10.77.0.1 --dport 8080 -j NFLOG --nflog-group 5 --nflog-prefix "ACCEPT client->web"
#   iptables -A INPUT -p tcp -s 10.77.0.1 --dport 5432 -j NFLOG --nflog-group 5 --nflog-prefix "DROP client->db"
#   iptables -A INPUT -p tcp -s 10.77.0.1 --dport 5432 -j DROP
#   iptables -A INPUT -p tcp -s 10.77.0.3 --dport 8080 -j NFLOG --nflog-group 5 --nflog-prefix "REJECT other->web"
#   iptables -A INPUT -p tcp -s 10.77.0.3 --dport 8080 -j REJECT --reject-with tcp-reset
#   iptables -A INPUT -p udp -s 10.77.0.1 --dport 5353 -j NFLOG --nflog-group 5 --nflog-prefix "ACCEPT dns"
#   iptables -A INPUT -p udp -s 10.77.0.1 --dport 5354 -j NFLOG --nflog-group 5 --nflog-prefix "DROP client->5354"
#   iptables -A INPUT -p udp -s 10.77.0.1 --dport 5354 -j DROP
#   iptables -A OUTPUT -p tcp -d 10.77.0.1 --sport 8080 -j NFLOG --nflog-group 5 --nflog-prefix "ACCEPT web->client"
#   iptables -A OUTPUT -p tcp -d 10.77.0.3 --sport 8080 -j NFLOG --nflog-group 5 --nflog-prefix "LOG rst->other"
#   iptables -A OUTPUT -p udp -d 10.77.0.1 --sport 5353 -j NFLOG --nflog-group 5 --nflog-prefix "ACCEPT dns reply"
#
# Traffic and what each rule sees:
#   - client -> server:8080, 3 connections with 1, 2 and 3 request/answer
#     pairs and FIN both ways: every client packet on input, every server
#     packet on output. Pure ACKs depend on timing (delayed ACKs), so the
#     counts are checked against the bridge capture and the rule counters
#     rather than against a fixed number.
#   - client -> server:5432: the SYN is logged and dropped on input; the
#     client retransmits it after 1 s and gives up at 1.5 s: exactly 2
#     SYNs, no answer: tcp_state "attempted", fw_verdict "drop".
#   - other -> server:8080: the SYN is logged and rejected with a TCP RST,
#     which leaves through output and is logged there ("LOG rst->other"):
#     1 + 1 packets, tcp_state "rejected", fw_verdict "reject" (stronger
#     than the RST's "log").
#   - client -> server:5353/udp, 3 datagrams, each answered: 3 + 3.
#   - client -> server:5354/udp, 2 datagrams logged and dropped: 2 + 0.
#   - other -> server:9000/udp, 1 datagram no rule logs: only the bridge
#     capture has this flow, and no capture-only flow has fw_* fields.
# The bridge capture keeps TCP and UDP only (-f), so the IGMP reports and
# ICMP port-unreachables of the set-up are left out of the comparison.
#
# Also: one segwatch with two kinds of sources at once (libpcap on the
# client's eth0 for TCP 5432, and NFLOG group 6, where the client's own
# output rule logs its DNS queries), and the one-line errors of --nflog
# (bad group numbers, no privileges, a group another process holds).
#
# Skipped (one line, counted as skipped) when not root, without network
# namespaces, without nft, or when the kernel has no nfnetlink_log; the
# error checks that need none of these run anyway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../netns/lib.sh"

# one-line errors that need no namespace
one_line_error() { # NAME WANT_TEXT ARGS...: segwatch exits 2 with one line holding WANT_TEXT
	name=$1 want=$2
	shift 2
	"$@" >/dev/null 2>"$TMPD/e"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMPD/e")" -eq 1 ] && grep -qF "$want" "$TMPD/e" &&
		! sanitizer_report "$TMPD/e"; then
		ok "$name: one line, exit 2"
	else
		not_ok "$name" "exit $rc: $(cat "$TMPD/e")"
	fi
}
one_line_error "group out of range" "expected NFLOG group numbers 0-65535" \
	"$SEGWATCH" flows --nflog 70000
one_line_error "group not a number" "expected NFLOG group numbers 0-65535" \
	"$SEGWATCH" flows --nflog 5,x
one_line_error "group given twice" "group 5 given twice" "$SEGWATCH" flows --nflog 5,6,5
NOPRIV=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOPRIV="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"
fi
if [ "$(id -u)" -ne 0 ] || [ -n "$NOPRIV" ]; then
	one_line_error "no privileges" \
		"no permission to bind NFLOG group 5: run as root or grant CAP_NET_ADMIN" \
		$NOPRIV "$SEGWATCH" flows --nflog 5
fi

if ! netns_init; then
	skip nflog "$NETNS_WHY"
	finish
fi
netns_on_exit 'rm -rf "$TMPD"'
if ! command -v nft >/dev/null 2>&1; then
	skip nflog "nft (nftables) is not installed"
	finish
fi
GROUP=5

fail_setup() {
	not_ok "$1" "$2"
	finish
}

netns_add sw && netns_bridge sw br0 &&
	netns_host client sw br0 10.77.0.1/24 &&
	netns_host server sw br0 10.77.0.2/24 &&
	netns_host other sw br0 10.77.0.3/24 || fail_setup topology "could not build the namespaces"

netns_exec server nft -f - <<EOF || fail_setup rules "nft refused the rule set"
table inet segwatch_test {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 10.77.0.1 tcp dport 8080 counter log group $GROUP prefix "ACCEPT client->web" comment "web_in"
		ip saddr 10.77.0.1 tcp dport 5432 counter log group $GROUP prefix "DROP client->db" comment "db_in"
		ip saddr 10.77.0.1 tcp dport 5432 drop
		ip saddr 10.77.0.3 tcp dport 8080 counter log group $GROUP prefix "REJECT other->web" comment "rej_in"
		ip saddr 10.77.0.3 tcp dport 8080 reject with tcp reset
		ip saddr 10.77.0.1 udp dport 5353 counter log group $GROUP prefix "ACCEPT dns" comment "dns_in"
		ip saddr 10.77.0.1 udp dport 5354 counter log group $GROUP prefix "DROP client->5354" comment "u_in"
		ip saddr 10.77.0.1 udp dport 5354 drop
	}
	chain output {
		type filter hook output priority 0; policy accept;
		ip daddr 10.77.0.1 tcp sport 8080 counter log group $GROUP prefix "ACCEPT web->client" comment "web_out"
		ip daddr 10.77.0.3 tcp sport 8080 counter log group $GROUP prefix "LOG rst->other" comment "rej_out"
		ip daddr 10.77.0.1 udp sport 5353 counter log group $GROUP prefix "ACCEPT dns reply" comment "dns_out"
	}
}
EOF

# The client logs its own DNS queries to group 6; a third segwatch there
# reads that group and, in the same process, captures TCP port 5432 on
# its eth0 with libpcap: several sources at once, each giving its flow.
netns_exec client nft -f - <<EOF || fail_setup rules "nft refused the client's rule"
table inet segwatch_test {
	chain output {
		type filter hook output priority 0; policy accept;
		ip daddr 10.77.0.2 udp dport 5353 log group 6 prefix "ACCEPT client dns out"
	}
}
EOF

T="$NETNS_DIR/traffic.py"
netns_bg server "$TMPD/web.log" python3 "$T" tcp-server --bind 10.77.0.2 --port 8080 --conns 3
netns_bg server "$TMPD/dns.log" python3 "$T" udp-server --bind 10.77.0.2 --port 5353 --count 3
netns_wait_listen server tcp 8080 && netns_wait_listen server udp 5353 ||
	fail_setup servers "servers did not start: $(cat "$TMPD/web.log" "$TMPD/dns.log")"

netns_bg server "$TMPD/nflog.err" "$SEGWATCH" flows --nflog "$GROUP" --stats -o "$TMPD/nflog.jsonl"
NF=$NETNS_LAST_PID
netns_bg sw "$TMPD/pcap.err" "$SEGWATCH" flows -i br0 -f "ip and (tcp or udp)" --stats \
	-o "$TMPD/pcap.jsonl"
PC=$NETNS_LAST_PID
if ! netns_wait_file "$TMPD/nflog.err" "capturing on nflog group $GROUP|segwatch: [^w]"; then
	fail_setup "nflog start" "segwatch --nflog did not start: $(cat "$TMPD/nflog.err")"
fi
if grep -q "no nfnetlink" "$TMPD/nflog.err"; then
	skip nflog "$(head -n 1 "$TMPD/nflog.err")"
	finish
fi
grep -q "capturing on nflog group $GROUP" "$TMPD/nflog.err" ||
	fail_setup "nflog start" "$(cat "$TMPD/nflog.err")"
netns_wait_file "$TMPD/pcap.err" "capturing on interface br0" ||
	fail_setup "pcap start" "$(cat "$TMPD/pcap.err")"
netns_bg client "$TMPD/combo.err" "$SEGWATCH" flows -i eth0 -f "tcp port 5432" --nflog 6 \
	-o "$TMPD/combo.jsonl"
CO=$NETNS_LAST_PID
netns_wait_file "$TMPD/combo.err" "capturing on nflog group 6" &&
	netns_wait_file "$TMPD/combo.err" "capturing on interface eth0" ||
	fail_setup "combined start" "$(cat "$TMPD/combo.err")"
one_line_error "group already bound" "NFLOG group $GROUP is already bound by another process" \
	timeout 10 ip netns exec "$(netns_name server)" "$SEGWATCH" flows --nflog "$GROUP"

# the traffic (the expected outcome of each client is part of the check)
traffic_ok=true
expect() { # NAME WANT NS ARGS...: runs a client and compares its report
	name=$1 want=$2 ns=$3
	shift 3
	got=$(netns_traffic "$ns" "$@" 2>&1)
	if [ "$got" != "$want" ]; then
		not_ok "traffic $name" "wanted '$want', got '$got'"
		traffic_ok=false
	fi
}
for k in 1 2 3; do
	expect "web $k" "$k requests answered" client tcp-client --to 10.77.0.2 --port 8080 --requests "$k"
done
expect db timeout client tcp-attempt --to 10.77.0.2 --port 5432 --wait 1.5
expect reject refused other tcp-attempt --to 10.77.0.2 --port 8080
expect dns "3 datagrams sent" client udp-client --to 10.77.0.2 --port 5353 --requests 3
expect udp-drop "2 datagrams sent" client udp-client --to 10.77.0.2 --port 5354 --requests 2 --no-reply
expect unlogged "1 datagrams sent" other udp-client --to 10.77.0.2 --port 9000 --requests 1 --no-reply
$traffic_ok && ok "traffic went as planned"
sleep 0.3

for p in nflog:$NF pcap:$PC combo:$CO; do
	name=${p%%:*}
	netns_stop "${p#*:}" INT
	rc=$?
	if [ $rc -ne 0 ] || sanitizer_report "$TMPD/$name.err"; then
		not_ok "$name exit" "exit $rc: $(cat "$TMPD/$name.err")"
	else
		ok "segwatch ($name) stops cleanly on SIGINT"
	fi
done
netns_exec server nft -j list table inet segwatch_test >"$TMPD/counters.json"

python3 - "$TMPD/nflog.jsonl" "$TMPD/pcap.jsonl" "$TMPD/counters.json" "$TMPD/nflog.err" \
	"$TMPD/combo.jsonl" >"$TMPD/check.out" 2>&1 <<'PY'
import json, sys

nflog_path, pcap_path, counters_path, nflog_err, combo_path = sys.argv[1:6]
C, S, O = "10.77.0.1", "10.77.0.2", "10.77.0.3"
KEY = ("proto", "src_ip", "src_port", "dst_ip", "dst_port")
SAME = ("src_pkts", "dst_pkts", "src_bytes", "dst_bytes", "src_tcp_flags",
        "dst_tcp_flags", "tcp_state")

def load(path):
    recs = [json.loads(l) for l in open(path) if l.strip()]
    return {tuple(r[k] for k in KEY): r for r in recs if not r.get("update")}, len(recs)

def result(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))

nf, n_nf = load(nflog_path)
pc, _ = load(pcap_path)
counters = {}
for item in json.load(open(counters_path))["nftables"]:
    rule = item.get("rule")
    if rule and "comment" in rule:
        for e in rule["expr"]:
            if "counter" in e:
                counters[rule["comment"]] = e["counter"]["packets"]

# the flows NFLOG must give: (tuple minus src port) -> expected fields
expected = {
    ("tcp", C, S, 5432): dict(src_pkts=2, dst_pkts=0, tcp_state="attempted",
                              fw_verdict="drop", fw_prefix="DROP client->db"),
    ("tcp", O, S, 8080): dict(src_pkts=1, dst_pkts=1, tcp_state="rejected",
                              fw_verdict="reject", fw_prefix="REJECT other->web"),
    ("udp", C, S, 5353): dict(src_pkts=3, dst_pkts=3, fw_verdict="accept",
                              fw_prefix="ACCEPT dns"),
    ("udp", C, S, 5354): dict(src_pkts=2, dst_pkts=0, fw_verdict="drop",
                              fw_prefix="DROP client->5354"),
}
web = [r for k, r in nf.items() if k[0] == "tcp" and k[1] == C and k[4] == 8080]
other = [k for k in nf if not (k[0] == "tcp" and k[1] == C and k[4] == 8080)]
result("nflog: 7 flows (3 web, db attempt, reject, dns, udp drop), no updates",
       len(web) == 3 and len(other) == 4 and n_nf == 7,
       f"{n_nf} records: {sorted(nf)}")
for (proto, src, dst, dport), want in expected.items():
    got = [r for k, r in nf.items() if k[0] == proto and k[1] == src and k[3] == dst and k[4] == dport]
    name = f"nflog {proto} {src}->{dst}:{dport}"
    if len(got) != 1:
        result(name, False, f"{len(got)} flows")
        continue
    r = got[0]
    bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
    bad.update({k: (r.get(k), v) for k, v in (("fw_group", 5), ("fw_hook", "input"),
                                              ("fw_in", "eth0")) if r.get(k) != v})
    if "fw_out" in r:
        bad["fw_out"] = (r["fw_out"], None)
    result(name + " " + " ".join(f"{k}={v}" for k, v in want.items()), not bad,
           ", ".join(f"{k}: got {g!r} want {w!r}" for k, (g, w) in bad.items()))
for r in sorted(web, key=lambda r: r["src_pkts"]):
    bad = []
    for k, v in (("tcp_state", "closed"), ("fw_verdict", "accept"),
                 ("fw_prefix", "ACCEPT client->web"), ("fw_hook", "input"), ("fw_in", "eth0")):
        if r.get(k) != v:
            bad.append(f"{k}: got {r.get(k)!r} want {v!r}")
    if r["src_pkts"] < 4 or r["dst_pkts"] < 3:
        bad.append(f"too few packets {r['src_pkts']}+{r['dst_pkts']}")
    result(f"nflog web flow :{r['src_port']} closed, accept, {r['src_pkts']}+{r['dst_pkts']} packets",
           not bad, "; ".join(bad))
# the rules' counters: every logged packet is in exactly one flow
sums = {
    "web_in": sum(r["src_pkts"] for r in web), "web_out": sum(r["dst_pkts"] for r in web),
}
for k, (proto, src, dport), side in (("db_in", ("tcp", C, 5432), "src_pkts"),
                                      ("rej_in", ("tcp", O, 8080), "src_pkts"),
                                      ("rej_out", ("tcp", O, 8080), "dst_pkts"),
                                      ("dns_in", ("udp", C, 5353), "src_pkts"),
                                      ("dns_out", ("udp", C, 5353), "dst_pkts"),
                                      ("u_in", ("udp", C, 5354), "src_pkts")):
    sums[k] = sum(r[side] for kk, r in nf.items() if (kk[0], kk[1], kk[4]) == (proto, src, dport))
diff = {k: (sums[k], counters.get(k)) for k in sums if sums[k] != counters.get(k)}
result("nflog packet counts equal the nft rule counters " +
       " ".join(f"{k}={v}" for k, v in sorted(sums.items())), not diff,
       ", ".join(f"{k}: segwatch {a} nft {b}" for k, (a, b) in diff.items()))
# the bridge capture: the same flows, packet for packet, plus the unlogged one
for k, r in sorted(nf.items()):
    p = pc.get(k)
    bad = [f"{f}: nflog {r.get(f)!r} pcap {p.get(f)!r}" for f in SAME if p and r.get(f) != p.get(f)]
    result(f"pcap on br0 agrees with nflog on {k[0]} {k[1]}:{k[2]}->{k[3]}:{k[4]}",
           p is not None and not bad, "; ".join(bad) if p else "missing from the capture")
extra = [k for k in pc if k not in nf]
result("pcap has exactly one flow nflog has not: other->server:9000/udp",
       len(extra) == 1 and extra[0][0] == "udp" and extra[0][1] == O and extra[0][4] == 9000
       and pc[extra[0]]["src_pkts"] == 1, str(extra))
fw_in_pcap = [k for k, r in pc.items() if any(f.startswith("fw_") for f in r)]
result("pcap records have no fw_* fields", not fw_in_pcap, str(fw_in_pcap))
combo, _ = load(combo_path)
want = {("tcp", 5432): (2, 0, None, None), ("udp", 5353): (3, 0, "accept", "eth0")}
got = {(k[0], k[4]): (r["src_pkts"], r["dst_pkts"], r.get("fw_verdict"), r.get("fw_out"))
       for k, r in combo.items()}
result("one process, libpcap on eth0 + NFLOG group 6: the 5432 attempt without fw_*, "
       "the DNS queries logged on output", got == want, f"got {got}")
stats = json.loads(open(nflog_err).read().strip().splitlines()[-1])
result("nflog stats: 0 kernel drops, every packet decoded",
       stats["kernel_drops"] == 0 and stats["packets"] == stats["decoded"] > 0, str(stats))
PY
while IFS= read -r line; do
	case "$line" in
	"PASS "*) ok "${line#PASS }" ;;
	"FAIL "*) name=${line#FAIL }; not_ok "${name%%: *}" "${name#*: }" ;;
	*) not_ok "check script" "$line" ;;
	esac
done <"$TMPD/check.out"
if [ ! -s "$TMPD/check.out" ]; then
	not_ok "check script" "no output"
fi
finish
