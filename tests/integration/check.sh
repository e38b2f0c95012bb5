#!/bin/sh
# `segwatch check` end to end with the sanitized binary.
#
# A capture from tests/tools/pcapgen is audited against the inventory and
# policies in tests/data/check/. The expected violations are computed here,
# independently of segwatch: a small Python evaluator of the NetworkPolicy
# semantics those files use (matchLabels pod/namespace selectors, ipBlock,
# numeric ports) judges every conversation of the generator's truth file.
# Checks:
#   violations        --format json: the set of violation keys (source,
#                     destination, protocol, port, reason), flows, packets
#                     and bytes per direction, first/last seen, samples, exit 1
#   active-updates    the same with --timeout active=1s (counters attributed
#                     through update events)
#   table             the table: a header and one row per violation, exit 1
#   summary           the stderr summary: flows judged, denied, violations
#   eve-file          --eve FILE: one parseable line per violation, agreeing
#                     with the JSON report; the table still on stdout
#   eve-stdout        --eve -: stdout holds only the events
#   clean             a policy set the capture does not violate: exit 0
#   broken-yaml       exit 2 and file:line:column
#   bad-capture, truncated-capture, usage errors: exit 2
# Prints "ok NAME" / "not ok NAME: why" per check and the count last.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
TOOLS=${TOOLS:-./build/rel/tools}
D=tests/data/check
INV="--inventory $D/inventory.yaml"
POL="-p $D/policies.yaml"
CAP="$TMPD/cap.pcap"
TRUTH="$TMPD/cap.truth.jsonl"


if ! "$TOOLS/pcapgen" --seed 11 --flows 400 --mix tcp=60,udp=30,icmp=10 --ipv6-share 30 \
	--fragments 20 --tcp-rst 10 --tcp-rejected 10 --tcp-attempt 10 --concurrent 40 \
	-o "$CAP" --truth "$TRUTH" 2>"$TMPD/gen.err"; then
	not_ok pcapgen "$(cat "$TMPD/gen.err")"
	finish
fi

# The expected violations, from the truth and the YAML files.
python3 - "$TRUTH" "$D/inventory.yaml" "$D/policies.yaml" >"$TMPD/expected.json" <<'PY'
import ipaddress, json, sys
import yaml

truth, inv_path, pol_path = sys.argv[1:4]
inv = yaml.safe_load(open(inv_path))
ns_labels = {}
for ns in inv.get("namespaces", []):
    labels = dict(ns.get("labels") or {})
    labels["kubernetes.io/metadata.name"] = ns["name"]
    ns_labels[ns["name"]] = labels
endpoints = []
for ep in inv["endpoints"]:
    ns, _ = ep["id"].split("/")
    nets = [ipaddress.ip_network(x, strict=False) for x in ep["ips"]]
    endpoints.append({"id": ep["id"], "ns": ns, "labels": ep.get("labels") or {}, "nets": nets})
pols = [p for p in yaml.safe_load_all(open(pol_path)) if p]

def owner(addr):
    best = None
    for ep in endpoints:
        for n in ep["nets"]:
            if addr.version == n.version and addr in n:
                if best is None or n.prefixlen > best[0]:
                    best = (n.prefixlen, ep)
    return best[1] if best else None

def sel_matches(sel, labels):
    sel = sel or {}
    assert set(sel) <= {"matchLabels"}, "the evaluator knows matchLabels only"
    return all(labels.get(k) == v for k, v in (sel.get("matchLabels") or {}).items())

def types_of(p):
    spec = p["spec"]
    if "policyTypes" in spec:
        return set(spec["policyTypes"])
    return {"Ingress"} | ({"Egress"} if "egress" in spec else set())

def peer_matches(peer, pol_ns, ep, addr):
    if "ipBlock" in peer:
        b = peer["ipBlock"]
        net = ipaddress.ip_network(b["cidr"])
        return (ep is None and addr.version == net.version and addr in net and
                not any(addr in ipaddress.ip_network(x) for x in b.get("except", [])))
    if ep is None:
        return False
    if "namespaceSelector" in peer:
        if not sel_matches(peer["namespaceSelector"], ns_labels.get(ep["ns"], {})):
            return False
    elif ep["ns"] != pol_ns:
        return False
    return sel_matches(peer.get("podSelector"), ep["labels"])

def ports_match(rule, proto, port):
    ports = rule.get("ports") or []
    if not ports:
        return True
    for p in ports:
        if proto.upper() == p.get("protocol", "TCP") and ("port" not in p or p["port"] == port):
            return True
    return False

def side_allows(ep, direction, peer_ep, peer_addr, proto, port):
    if ep is None:
        return True
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    sel = [p for p in pols if p["metadata"]["namespace"] == ep["ns"]
           and sel_matches(p["spec"].get("podSelector"), ep["labels"])
           and direction in types_of(p)]
    if not sel:
        return True
    for p in sel:
        for rule in p["spec"].get(key) or []:
            peers = rule.get(peers_key) or []
            if (not peers or any(peer_matches(x, p["metadata"]["namespace"], peer_ep, peer_addr)
                                 for x in peers)) and ports_match(rule, proto, port):
                return True
    return False

def rfc3339(ts):
    sec, frac = ts.split(".")
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(sec))) + "." + frac.ljust(9, "0") + "Z"

viol = {}
stats = {"flows": 0, "denied": 0}
for line in open(truth):
    t = json.loads(line)
    stats["flows"] += 1
    src, dst = ipaddress.ip_address(t["src_ip"]), ipaddress.ip_address(t["dst_ip"])
    proto = t["proto"]
    port = t["dst_port"] if proto in ("tcp", "udp", "sctp") else 0
    s, d = owner(src), owner(dst)
    if s is None and d is None:
        continue
    eg = side_allows(s, "Egress", d, dst, proto, port)
    ing = side_allows(d, "Ingress", s, src, proto, port)
    if eg and ing:
        continue
    stats["denied"] += 1
    reason = "denied_both" if not eg and not ing else "denied_egress" if not eg else "denied_ingress"
    key = (s["id"] if s else str(src), d["id"] if d else str(dst), proto, port, reason)
    v = viol.setdefault(key, {"flows": 0, "src_pkts": 0, "dst_pkts": 0, "src_bytes": 0,
                              "dst_bytes": 0, "first": None, "last": None, "tuples": []})
    v["flows"] += 1
    for k in ("src_pkts", "dst_pkts", "src_bytes", "dst_bytes"):
        v[k] += t[k]
    f, l = rfc3339(t["first_ts"]), rfc3339(t["last_ts"])
    v["first"] = f if v["first"] is None or f < v["first"] else v["first"]
    v["last"] = l if v["last"] is None or l > v["last"] else v["last"]
    v["tuples"].append([t["src_ip"], t["src_port"], t["dst_ip"], t["dst_port"]])
out = [dict(zip(("src", "dst", "proto", "port", "reason"), k), **v) for k, v in viol.items()]
json.dump({"violations": out, "flows": stats["flows"], "denied": stats["denied"]}, sys.stdout)
PY
python3 - "$TMPD/expected.json" <<'PY' && ok scenario || not_ok scenario "the expectation does not cover every reason, protocol and external identities"
import json, sys
e = json.load(open(sys.argv[1]))
reasons = {v["reason"] for v in e["violations"]}
protos = {v["proto"] for v in e["violations"]}
ext = any(not "/" in v["src"] or not "/" in v["dst"] for v in e["violations"])
ok = reasons == {"denied_ingress", "denied_egress", "denied_both"} and {"tcp", "udp", "icmp"} <= protos and ext
print("# expected: %d violations of %d denied flows out of %d" % (len(e["violations"]), e["denied"], e["flows"]))
sys.exit(0 if ok else 1)
PY

# compare_json NAME: segwatch's JSON report ($TMPD/out) against the expectation.
compare_json() {
	python3 - "$TMPD/expected.json" "$TMPD/out" >"$TMPD/cmp" 2>&1 <<'PY'
import ipaddress, json, sys
exp = json.load(open(sys.argv[1]))["violations"]
got = json.load(open(sys.argv[2]))

def ident(x):
    try:
        return str(ipaddress.ip_address(x))
    except ValueError:
        return x

def key(v):
    return (ident(v["src"]), ident(v["dst"]), v["proto"], v["port"], v["reason"])

E = {key(v): v for v in exp}
G = {}
problems = []
for v in got:
    if key(v) in G:
        problems.append("duplicate %s" % (key(v),))
    G[key(v)] = v
for k in sorted(set(E) - set(G)):
    problems.append("MISSING %s" % (k,))
for k in sorted(set(G) - set(E)):
    problems.append("EXTRA %s" % (k,))
for k in sorted(set(E) & set(G)):
    e, g = E[k], G[k]
    for f in ("flows", "src_pkts", "dst_pkts", "src_bytes", "dst_bytes"):
        if e[f] != g[f]:
            problems.append("MISMATCH %s %s: %s, expected %s" % (k, f, g[f], e[f]))
    if (g["first_seen"], g["last_seen"]) != (e["first"], e["last"]):
        problems.append("MISMATCH %s seen %s..%s, expected %s..%s" %
                        (k, g["first_seen"], g["last_seen"], e["first"], e["last"]))
    if len(g["samples"]) != min(5, e["flows"]):
        problems.append("MISMATCH %s: %d samples" % (k, len(g["samples"])))
    tuples = [[ident(a), b, ident(c), d] for a, b, c, d in e["tuples"]]
    for s in g["samples"]:
        if [ident(s["src_ip"]), s["src_port"], ident(s["dst_ip"]), s["dst_port"]] not in tuples:
            problems.append("MISMATCH %s: sample %s is not one of its flows" % (k, s))
    x = g.get("explanation") or {}
    if x.get("reason") != k[4] or not g.get("summary"):
        problems.append("MISMATCH %s: explanation %s" % (k, x.get("reason")))
    if g["id"] < 1 or g["fw_verdict"] is not None:
        problems.append("MISMATCH %s: id %s fw_verdict %s" % (k, g["id"], g["fw_verdict"]))
order = [(["denied_both", "denied_ingress", "denied_egress"].index(v["reason"])) for v in got]
if order != sorted(order):
    problems.append("not sorted by reason")
for p in problems[:20]:
    print("#  ", p)
print("# %d violations, %d expected, %d problems" % (len(G), len(E), len(problems)))
sys.exit(1 if problems else 0)
PY
	if [ $? -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1" "the violations differ from the expectation"
		cat "$TMPD/cmp"
	fi
}

N_EXPECTED=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["violations"]))' \
	"$TMPD/expected.json")

# ---- the violations ----

# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --format json
expect_rc violations 1 && compare_json violations
cp "$TMPD/out" "$TMPD/report.json"

# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --format json --timeout active=1s
expect_rc active-updates 1 && compare_json active-updates

# summary line: flows judged, denied, violations
python3 - "$TMPD/expected.json" "$TMPD/err" >"$TMPD/cmp" <<'PY'
import json, re, sys
e = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
m = re.search(r"(\d+) flows judged: (\d+) allowed, (\d+) denied, (\d+) not covered by any "
              r"policy; (\d+) violations?", text)
if not m:
    sys.exit("# no summary line on stderr")
judged, allowed, denied, nc, viol = map(int, m.groups())
want = (e["flows"], e["denied"], len(e["violations"]))
if (judged, denied, viol) != want or allowed + denied != judged:
    sys.exit("# summary %s, expected judged/denied/violations %s" % (m.group(0), want))
PY
[ $? -eq 0 ] && ok summary || { not_ok summary "wrong summary"; cat "$TMPD/cmp"; }

# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL
if expect_rc table 1; then
	rows=$(wc -l <"$TMPD/out")
	if [ "$rows" -eq $((N_EXPECTED + 1)) ] && head -n 1 "$TMPD/out" | grep -q '^REASON  *SRC  *DST'; then
		ok table
	else
		not_ok table "$rows lines for $N_EXPECTED violations"
		head -3 "$TMPD/out" | sed 's/^/# /'
	fi
fi

# ---- EVE ----

# check_eve NAME FILE: one event per violation of the JSON report, agreeing with it.
check_eve() {
	python3 - "$TMPD/report.json" "$2" >"$TMPD/cmp" 2>&1 <<'PY'
import json, sys
report = {v["id"]: v for v in json.load(open(sys.argv[1]))}
problems, seen = [], set()
for n, line in enumerate(open(sys.argv[2]), 1):
    try:
        ev = json.loads(line)
    except ValueError:
        problems.append("line %d is not JSON: %s" % (n, line[:80]))
        continue
    m = ev.get("violation", {})
    v = report.get(m.get("id"))
    if ev.get("event_type") != "violation" or v is None or m["id"] in seen:
        problems.append("line %d: unknown or repeated violation %s" % (n, m.get("id")))
        continue
    seen.add(m["id"])
    want = {"timestamp": v["first_seen"], "flow_id": v["samples"][0]["flow_id"],
            "src_ip": v["samples"][0]["src_ip"], "dest_ip": v["samples"][0]["dst_ip"],
            "proto": {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "IPv6-ICMP"}[v["proto"]]}
    if v["proto"] in ("tcp", "udp"):
        want["src_port"] = v["samples"][0]["src_port"]
        want["dest_port"] = v["port"]
    for k, w in want.items():
        if ev.get(k) != w:
            problems.append("line %d: %s %r, expected %r" % (n, k, ev.get(k), w))
    for a, b in (("reason", "reason"), ("src", "src"), ("dest", "dst"), ("summary", "summary")):
        if m.get(a) != v[b]:
            problems.append("line %d: violation.%s %r, expected %r" % (n, a, m.get(a), v[b]))
if len(seen) != len(report):
    problems.append("%d events for %d violations" % (len(seen), len(report)))
for p in problems[:10]:
    print("#  ", p)
sys.exit(1 if problems else 0)
PY
	if [ $? -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1" "events differ from the report"
		cat "$TMPD/cmp"
	fi
}

rm -f "$TMPD/eve.jsonl"
# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --eve "$TMPD/eve.jsonl"
if expect_rc eve-file 1; then
	rows=$(wc -l <"$TMPD/out")
	[ "$rows" -eq $((N_EXPECTED + 1)) ] && check_eve eve-file "$TMPD/eve.jsonl" ||
		not_ok eve-file "the table is not on stdout ($rows lines)"
fi

# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --eve -
expect_rc eve-stdout 1 && check_eve eve-stdout "$TMPD/out"

# ---- no violations ----

# shellcheck disable=SC2086
run check -r "$CAP" $INV -p "$D/allow-all.yaml"
expect_rc clean 0 && { grep -qx 'no violations' "$TMPD/out" && grep -q '; 0 violations' "$TMPD/err" &&
	ok clean || not_ok clean "output: $(head -c 200 "$TMPD/out")"; }
# shellcheck disable=SC2086
run check -r "$CAP" $INV -p "$D/allow-all.yaml" --format json
expect_rc clean-json 0 && { [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])))' \
	"$TMPD/out")" = "[]" ] && ok clean-json || not_ok clean-json "not an empty array"; }

# ---- bad input ----

# shellcheck disable=SC2086
run check -r "$CAP" $INV -p "$D/policies.yaml" "$D/broken.yaml"
expect_rc broken-yaml 2 && { grep -qE "$D/broken.yaml:[0-9]+:[0-9]+: " "$TMPD/err" &&
	ok broken-yaml || not_ok broken-yaml "no file:line:column: $(head -c 200 "$TMPD/err")"; }

# shellcheck disable=SC2086
run check -r "$TMPD/missing.pcap" $INV $POL
expect_rc bad-capture 2 && { grep -q "missing.pcap" "$TMPD/err" && ok bad-capture ||
	not_ok bad-capture "the error does not name the file"; }

head -c 20000 "$CAP" >"$TMPD/cut.pcap"
# shellcheck disable=SC2086
run check -r "$TMPD/cut.pcap" $INV $POL
expect_rc truncated-capture 2 && { grep -q "cut.pcap" "$TMPD/err" && ok truncated-capture ||
	not_ok truncated-capture "the error does not name the file"; }

# shellcheck disable=SC2086
run check -r "$CAP" $INV
expect_rc usage-no-policy 2 && ok usage-no-policy
# shellcheck disable=SC2086
run check $INV $POL
expect_rc usage-no-capture 2 && ok usage-no-capture
# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --format yaml
expect_rc usage-bad-format 2 && ok usage-bad-format
# shellcheck disable=SC2086
run check -r "$CAP" $INV $POL --eve - --format json
expect_rc usage-eve-stdout-format 2 && ok usage-eve-stdout-format
run check --help
expect_rc help 0 && { grep -q -- "--eve FILE" "$TMPD/out" && ok help || not_ok help "no --eve"; }

finish
