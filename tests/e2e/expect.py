#!/usr/bin/env python3
"""expect.py - the assertions of the end-to-end scenarios (tests/e2e/run.sh).

Reads what segwatch found, from either
  --api URL             a running `segwatch run` (the JSON API of
                        /work/api-contract.md: /api/v1/violations,
                        /api/v1/violations/{id}, /api/v1/flows, /metrics), or
  --check-json FILE     the JSON report of `segwatch check --format json`,
                        with --flows FILE (`segwatch flows` JSON Lines of the
                        same traffic) for the allowed flows,
and compares it with what the scenario did (--scenario NAME, below):
exactly the forbidden edges are violations, matched as the set of
(src, dst, proto, port, reason); each has the flow count of the clients'
connections, the firewall verdict, and an explanation naming exactly the
policies that isolate the denied side(s); allowed edges have no violation
(and, where flows are known, are seen as allowed with their flow count);
/metrics agrees with the API.

Prints one line per assertion, "PASS name" or "FAIL name: why"; run.sh
turns them into ok / not ok lines. Exit status 0 when it could read
everything (failed assertions are in the output, not in the status).
"""

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EXT = "198.51.100.10"
OUT = "198.51.100.20"
NS = "microservices"
DDA = f"{NS}/default-deny-all"
FE, BE, PG, RD, AD = (f"{NS}/{n}" for n in ("frontend", "backend-api", "postgres", "redis", "admin"))
ING = "ingress-nginx/nginx-ingress-controller"
DNS = "kube-system/kube-dns"


def k8s(fixed):
    """The Kubernetes scenario. fixed: the article's policies plus
    tests/e2e/database-ingress.yaml and backend-api-dns.yaml; otherwise the
    article's policies only. Violations: edge -> (reason, flows, egress
    policies, ingress policies) where a policy set is given for each denied
    side only (None: that side allows)."""
    fe_eg = {DDA, f"{NS}/frontend-policy"}
    be_eg = {DDA, f"{NS}/backend-api-policy"} | ({f"{NS}/backend-api-dns"} if fixed else set())
    be_in = {DDA, f"{NS}/backend-api-policy"}
    pg_in = {DDA} | ({f"{NS}/postgres-ingress"} if fixed else set())
    rd_in = {DDA} | ({f"{NS}/redis-ingress"} if fixed else set())
    denied = {
        (FE, PG, "tcp", 5432, "denied_both"): (2, fe_eg, pg_in),
        (AD, PG, "tcp", 5432, "denied_both"): (1, {DDA}, pg_in),
        (BE, EXT, "tcp", 80, "denied_egress"): (1, be_eg, None),
        (EXT, BE, "tcp", 8081, "denied_ingress"): (1, None, be_in),
        (PG, EXT, "tcp", 443, "denied_egress"): (1, {DDA}, None),
    }
    allowed = {
        (ING, FE, "tcp", 8080): 3,
        (FE, BE, "tcp", 8081): 2,
        (FE, DNS, "udp", 53): 1,
        (BE, EXT, "tcp", 443): 1,
    }
    # what the article omits: allowed only with the two fix files
    omitted = {
        (BE, PG, "tcp", 5432, "denied_ingress"): (2, None, pg_in),
        (BE, RD, "tcp", 6379, "denied_ingress"): (2, None, rd_in),
        (BE, DNS, "udp", 53, "denied_egress"): (1, be_eg, None),
    }
    if fixed:
        allowed.update({k[:4]: v[0] for k, v in omitted.items()})
    else:
        denied.update(omitted)
    return denied, allowed


def compose():
    """The seed 001 compose file as written (project "castle"). web and
    admin share the network "backend": compose lets them talk."""
    c = lambda s: f"castle/{s}"  # noqa: E731
    p = lambda s: {f"castle/compose-{s}"}  # noqa: E731
    denied = {
        (c("web"), c("db"), "tcp", 5432, "denied_both"): (1, p("web"), p("db")),
        (OUT, c("app"), "tcp", 8000, "denied_ingress"): (1, None, p("app")),
    }
    allowed = {
        (c("web"), c("app"), "tcp", 8000): 1,
        (c("app"), c("db"), "tcp", 5432): 1,
        (c("app"), c("admin"), "tcp", 8090): 1,
        (c("web"), c("admin"), "tcp", 8090): 1,
        (OUT, c("web"), "tcp", 80): 1,
    }
    return denied, allowed


SCENARIOS = {
    "k8s": lambda: k8s(True),
    "k8s-as-written": lambda: k8s(False),
    "compose": compose,
}


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, why=""):
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(why)), flush=True)
        if not ok:
            self.failed += 1
        return ok


def edge_text(k):
    return f"{k[0]} -> {k[1]} {k[2]}/{k[3]}" + (f" {k[4]}" if len(k) > 4 else "")


def side_policies(expl, side):
    """The policy ids ("ns/name") an explanation names for one side."""
    s = (expl or {}).get(side) or {}
    out = set()
    for p in s.get("policies") or []:
        if isinstance(p, str):
            out.add(p)
        elif "id" in p and "/" in str(p["id"]):
            out.add(p["id"])
        else:
            out.add(f"{p.get('namespace', p.get('ns'))}/{p.get('name')}")
    return out


# --- reading segwatch ----------------------------------------------------

TOKEN = None  # the bearer token (--token-file), sent with every request


def http_get(base, path, want_json=True):
    req = urllib.request.Request(base + path)
    if TOKEN:
        req.add_header("Authorization", "Bearer " + TOKEN)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read().decode()
        return json.loads(body) if want_json else body


def api_list(base, path):
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    while True:
        q = f"{path}{sep}limit=1000" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = http_get(base, q)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def metrics(base):
    out = {}
    for line in http_get(base, "/metrics", False).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            out.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return out


def key_of(v):
    return (v["src"], v["dst"], v["proto"], v["port"], v["reason"])


def wait_api(base, want_rows, want_flows, seconds):
    """Polls until the API shows at least the expected violations and flows
    (the store writes in batches; flows are written when they end)."""
    deadline = time.time() + seconds
    while True:
        try:
            v = api_list(base, "/api/v1/violations")
            f = api_list(base, "/api/v1/flows")
            if (len(v) >= want_rows and len(f) >= want_flows) or time.time() > deadline:
                return v, f
        except (urllib.error.URLError, OSError, ValueError):
            if time.time() > deadline:
                raise
        time.sleep(0.5)


# --- the assertions --------------------------------------------------------

def check_violations(rep, items, details, denied, allowed, fw):
    got = {key_of(v): v for v in items}
    rep.check(f"{len(items)} violation rows, one per edge", len(got) == len(items),
              f"duplicates among {sorted(map(key_of, items))}")
    missing = sorted(set(denied) - set(got))
    extra = sorted(set(got) - set(denied))
    rep.check(f"the violations are exactly the {len(denied)} forbidden edges "
              "(src, dst, proto, port, reason)", not missing and not extra,
              "; ".join([f"missing {edge_text(k)}" for k in missing] +
                        [f"unexpected {edge_text(k)}" for k in extra]))
    for k in sorted(denied):
        v = got.get(k)
        if v is None:
            continue
        nflows, eg, ing = denied[k]
        d = details.get(v.get("id"), v)
        expl = d.get("explanation")
        bad = []
        if v.get("flows") != nflows:
            bad.append(f"flows {v.get('flows')} want {nflows}")
        if v.get("fw_verdict") != fw:
            bad.append(f"fw_verdict {v.get('fw_verdict')!r} want {fw!r}")
        if not isinstance(expl, dict):
            bad.append("no explanation")
        else:
            if expl.get("reason") not in (None, k[4]):
                bad.append(f"explanation reason {expl.get('reason')}")
            for side, want in (("egress", eg), ("ingress", ing)):
                s = expl.get(side) or {}
                if want is None:
                    if s.get("allowed") is False:
                        bad.append(f"{side} side says denied")
                    continue
                if s.get("allowed") is not False:
                    bad.append(f"{side} side not denied")
                names = side_policies(expl, side)
                if names != want:
                    bad.append(f"{side} policies {sorted(names)} want {sorted(want)}")
        summary = v.get("summary") or ""
        for p in (eg or set()) | (ing or set()):
            if p not in summary:
                bad.append(f"summary does not name {p}")
        samples = d.get("sample_flows", d.get("samples")) or []
        if not samples or any(s.get("dst_port") != k[3] for s in samples):
            bad.append(f"sample flows {samples!r}")
        rep.check(f"violation {edge_text(k)}: {nflows} flow(s), fw_verdict {fw or 'null'}, "
                  f"explanation names {sorted((eg or set()) | (ing or set()))}",
                  not bad, "; ".join(bad))
    hit = [k for k in got if k[:4] in allowed]
    rep.check(f"none of the {len(allowed)} allowed edges has a violation", not hit,
              "; ".join(edge_text(k) for k in hit))


def check_flows(rep, flows, denied, allowed, fw, api):
    """flows: API flow items or `segwatch flows` records mapped to
    identities. Allowed edges are there with their counts and verdict
    allowed; the forbidden ones with verdict denied."""
    count, verdicts = {}, {}
    for f in flows:
        if f.get("update"):
            continue
        k = (f["src"], f["dst"], f["proto"], f["dst_port"])
        count[k] = count.get(k, 0) + 1
        verdicts.setdefault(k, set()).add(f.get("verdict"))
    want = dict(allowed)
    want.update({k[:4]: v[0] for k, v in denied.items()})
    bad = [f"{edge_text(k)}: {count.get(k, 0)} flows, want {n}"
           for k, n in sorted(want.items()) if count.get(k, 0) != n]
    extra = [edge_text(k) for k in sorted(count) if k not in want]
    rep.check(f"flows: every edge of the traffic with its count ({sum(want.values())} flows), "
              "nothing else", not bad and not extra, "; ".join(bad + [f"unexpected {e}" for e in extra]))
    if api:
        vbad = [f"{edge_text(k)}: {sorted(map(str, verdicts.get(k, set())))}"
                for k in sorted(allowed) if verdicts.get(k, set()) != {"allowed"}]
        vbad += [f"{edge_text(k)}: {sorted(map(str, verdicts.get(k[:4], set())))}"
                 for k in sorted(denied) if verdicts.get(k[:4], set()) != {"denied"}]
        rep.check("flows: verdict allowed on the allowed edges, denied on the forbidden ones",
                  not vbad, "; ".join(vbad))
        fwbad = [f"{f['src']}->{f['dst']}:{f['dst_port']} {f.get('fw_verdict')}"
                 for f in flows if (f["src"], f["dst"], f["proto"], f["dst_port"]) in allowed
                 and f.get("fw_verdict") != (None if fw is None else "accept")]
        rep.check(f"flows: fw_verdict {'null' if fw is None else 'accept'} on the allowed edges",
                  not fwbad, "; ".join(fwbad[:5]))


def check_metrics(rep, base, items, denied, allowed, live):
    m = metrics(base)
    rows = {}
    for labels, val in m.get("segwatch_violations", []):
        rows[labels.get("reason")] = rows.get(labels.get("reason"), 0) + val
    by_reason = {}
    for v in items:
        by_reason[v["reason"]] = by_reason.get(v["reason"], 0) + 1
    nz = {r: int(n) for r, n in rows.items() if n}
    rep.check(f"/metrics segwatch_violations sums to the {len(items)} rows, per reason "
              f"{dict(sorted(by_reason.items()))}",
              sum(rows.values()) == len(items) and nz == by_reason, f"metrics {rows}")
    up = [val for _, val in m.get("segwatch_up", [])]
    rep.check("/metrics segwatch_up 1", up == [1.0], f"got {up}")
    if not live:
        print("# not live (segwatch serve): the live counters of /metrics are not checked")
        return
    vf = sum(val for _, val in m.get("segwatch_violation_flows_total", []))
    want_vf = sum(v[0] for v in denied.values())
    rep.check(f"/metrics segwatch_violation_flows_total = {want_vf} denied flows judged",
              vf == want_vf, f"got {vf}")
    judged = sum(val for _, val in m.get("segwatch_flows_judged_total", []))
    total = want_vf + sum(allowed.values())
    rep.check(f"/metrics segwatch_flows_judged_total = {total} flows", judged == total,
              f"got {judged}")


def api_mode(rep, a, denied, allowed, fw):
    base = a.api.rstrip("/")
    want_flows = sum(allowed.values()) + sum(v[0] for v in denied.values())
    items, flows = wait_api(base, len(denied), want_flows, a.wait)
    details = {}
    for v in items:
        try:
            details[v["id"]] = http_get(base, f"/api/v1/violations/{v['id']}")
        except urllib.error.HTTPError as e:
            rep.check(f"GET /api/v1/violations/{v['id']}", False, f"HTTP {e.code}")
    check_violations(rep, items, details, denied, allowed, fw)
    for v in items:
        d = details.get(v["id"], {})
        same = all(d.get(f) == v.get(f) for f in ("src", "dst", "proto", "port", "reason", "flows"))
        if not same:
            rep.check(f"/api/v1/violations/{v['id']} repeats the list item", False,
                      f"{d} vs {v}")
    for reason in ("denied_ingress", "denied_egress", "denied_both"):
        sub = api_list(base, f"/api/v1/violations?reason={reason}")
        want = sorted(k for k in denied if k[4] == reason)
        rep.check(f"/api/v1/violations?reason={reason}: {len(want)} rows",
                  sorted(map(key_of, sub)) == want, f"got {sorted(map(key_of, sub))}")
    named = {}
    for k, (_, eg, ing) in denied.items():
        for p in (eg or set()) | (ing or set()):
            named.setdefault(p, set()).add(k)
    for p, want in sorted(named.items()):
        sub = {key_of(v) for v in api_list(base, f"/api/v1/violations?policy={urllib.parse.quote(p)}")}
        rep.check(f"/api/v1/violations?policy={p}: the {len(want)} violation(s) naming it",
                  sub == want, f"got {sorted(sub)}")
    check_flows(rep, flows, denied, allowed, fw, True)
    check_metrics(rep, base, items, denied, allowed, a.live)
    st = http_get(base, "/api/v1/stats")
    want_judged = sum(allowed.values()) + sum(v[0] for v in denied.values())
    bad = []
    if st.get("violations") != len(items):
        bad.append(f"violations {st.get('violations')} want {len(items)}")
    if a.live and st.get("live") is not True:
        bad.append(f"live {st.get('live')!r}")
    if a.live and st.get("flows_judged") != want_judged:
        bad.append(f"flows_judged {st.get('flows_judged')} want {want_judged}")
    rep.check(f"/api/v1/stats agrees: {len(items)} violation rows"
              + (f", {want_judged} flows judged, live" if a.live else ""), not bad, "; ".join(bad))


def check_mode(rep, a, denied, allowed, fw):
    items = json.load(open(a.check_json))
    check_violations(rep, items, {}, denied, allowed, fw)
    if a.flows:
        ids = identities(a.inventory)
        recs = []
        for line in open(a.flows):
            if line.strip():
                r = json.loads(line)
                r["src"] = ids.get(r["src_ip"], r["src_ip"])
                r["dst"] = ids.get(r["dst_ip"], r["dst_ip"])
                recs.append(r)
        check_flows(rep, recs, denied, allowed, fw, False)


def identities(path):
    """address -> endpoint id, from a native inventory (the e2e ones)."""
    out, cur = {}, None
    for line in open(path):
        m = re.match(r"^- id: (\S+)", line)
        if m:
            cur = m.group(1)
        m = re.match(r"^\s+ips: \[([^\]]*)\]", line)
        if m and cur:
            for ip in m.group(1).split(","):
                out[ip.strip()] = cur
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--api")
    ap.add_argument("--check-json")
    ap.add_argument("--flows")
    ap.add_argument("--inventory")
    ap.add_argument("--token-file", help="the server's --api-token-file")
    ap.add_argument("--live", action="store_true",
                    help="the API is served by segwatch run: live counters in /metrics")
    ap.add_argument("--fw", default=None, help="expected fw_verdict of the violations")
    ap.add_argument("--wait", type=float, default=20)
    ap.add_argument("--diff-from", choices=sorted(SCENARIOS),
                    help="also assert which edges differ from this scenario's violations")
    a = ap.parse_args()
    global TOKEN
    if a.token_file:
        TOKEN = open(a.token_file).readline().strip()
    denied, allowed = SCENARIOS[a.scenario]()
    rep = Report()
    if a.diff_from:
        other, _ = SCENARIOS[a.diff_from]()
        extra = sorted(set(denied) - set(other))
        print("# edges denied only by the policies as written: " +
              "; ".join(edge_text(k) for k in extra))
    if a.api:
        api_mode(rep, a, denied, allowed, a.fw)
    else:
        check_mode(rep, a, denied, allowed, a.fw)
    if a.diff_from:
        ids = {key_of(v) for v in json.load(open(a.check_json))} if a.check_json else set()
        other, _ = SCENARIOS[a.diff_from]()
        rep.check("the as-written policies add exactly backend-api -> postgres/5432, "
                  "-> redis/6379 (denied_ingress) and -> kube-dns udp/53 (denied_egress)",
                  ids - set(other) == {(BE, PG, "tcp", 5432, "denied_ingress"),
                                       (BE, RD, "tcp", 6379, "denied_ingress"),
                                       (BE, DNS, "udp", 53, "denied_egress")},
                  f"got {sorted(ids - set(other))}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - one FAIL line, whatever broke
        print(f"FAIL expect.py could not read segwatch's answer: {e!r}")
