#!/usr/bin/env python3
"""mock_server.py - a stand-in for `segwatch serve` for quick dashboard work.

Serves web/assets/ as the real server does ("/" -> index.html, "/assets/NAME",
with the same Content-Security-Policy) and answers the API of
/work/api-contract.md (v1) from canned data (mock_fixture.json, built from
examples/three-tier.pcap with the example inventory and policies).

    python3 tests/browser/mock_server.py [--port 8099] [--token secret] [--demo] [--open-reads]

Like `segwatch serve --api-token-file`, every /api route (reads and the
stream too) needs "Authorization: Bearer TOKEN"; --open-reads asks it only
for writes. --demo emits a new violation or anomaly on the stream every 4 s.
It is a development aid only: the browser test runs against the real server.
"""
import argparse
import base64
import copy
import datetime as dt
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.join(HERE, "..", "..", "web", "assets")
CSP = "default-src 'self'"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
PROTOS = {"tcp", "udp", "sctp", "icmp", "icmpv6"}


class ApiError(Exception):
    def __init__(self, status, code, message, parameter=None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter


def now_ns():
    return time.time_ns()


def rfc3339(ns):
    s = dt.datetime.fromtimestamp(ns // 10**9, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return "%s.%09dZ" % (s, ns % 10**9)


def parse_time_ns(text):
    """RFC 3339 (as the fixture writes them), integer ns, or a relative duration."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = re.fullmatch(r"(\d+)(s|m|h|d)", text)
    if m:
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return now_ns() - int(m.group(1)) * mult * 10**9
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError(text)
    base = m.group(1) if m.group(1).count(":") == 2 else m.group(1) + ":00"
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    d = dt.datetime.fromisoformat(base + tz)
    frac = int((m.group(2) or "0").ljust(9, "0"))
    return int(d.timestamp()) * 10**9 + frac


class Store:
    def __init__(self, fixture):
        self.lock = threading.Lock()
        self.d = fixture
        self.cond = threading.Condition(self.lock)

    def max_ids(self):
        return (max([v["id"] for v in self.d["violations"]] or [0]),
                max([a["id"] for a in self.d["anomalies"]] or [0]))


def page(items, q, default_limit=100, max_limit=1000):
    limit = default_limit
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError:
            limit = -1
        if not 1 <= limit <= max_limit:
            raise ApiError(400, "bad_parameter", "limit: expected an integer from 1 to %d, got '%s'"
                           % (max_limit, q["limit"]), "limit")
    # keyset-like: the cursor names the last item given, so rows added
    # meanwhile (at the top) neither repeat nor skip rows
    off = 0
    if "cursor" in q:
        try:
            last = json.loads(base64.urlsafe_b64decode(q["cursor"].encode()).decode())["after"]
            off = next(i for i, it in enumerate(items) if it.get("id") == last) + 1
        except Exception:
            raise ApiError(400, "bad_parameter", "cursor: not a cursor of this list", "cursor")
    chunk = items[off:off + limit]
    nxt = None
    if off + limit < len(items):
        nxt = base64.urlsafe_b64encode(json.dumps({"after": chunk[-1].get("id")}).encode()).decode()
    return {"items": chunk, "next_cursor": nxt, "limit": limit}


def check_params(q, allowed):
    for k in q:
        if k not in allowed:
            raise ApiError(400, "unknown_parameter", "unknown parameter '%s'" % k, k)


def time_filter(items, q, field_from, field_to):
    for key, cmp in (("since", lambda t, b: t >= b), ("until", lambda t, b: t < b)):
        if key in q:
            try:
                bound = parse_time_ns(q[key])
            except ValueError:
                raise ApiError(400, "bad_parameter", "%s: expected a time, got '%s'" % (key, q[key]), key)
            field = field_to if key == "since" else field_from
            items = [i for i in items if cmp(parse_time_ns(i[field]), bound)]
    return items


def proto_port_filter(items, q, port_field):
    if "proto" in q:
        if q["proto"] not in PROTOS and not q["proto"].isdigit():
            raise ApiError(400, "bad_parameter", "proto: unknown protocol '%s'" % q["proto"], "proto")
        items = [i for i in items if i["proto"] == q["proto"]]
    if "port" in q:
        if not q["port"].isdigit() or int(q["port"]) > 65535:
            raise ApiError(400, "bad_parameter", "port: expected 0-65535, got '%s'" % q["port"], "port")
        items = [i for i in items if i[port_field] == int(q["port"])]
    return items


def field_filter(items, q, key, fields):
    if key in q:
        items = [i for i in items if any(i.get(f) == q[key] for f in fields)]
    return items


class Handler(BaseHTTPRequestHandler):
    server_version = "segwatch-mock"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # ---- plumbing ----
    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, e):
        err = {"status": e.status, "code": e.code, "message": e.message}
        if e.parameter:
            err["parameter"] = e.parameter
        extra = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
        self.send_json(e.status, {"error": err}, extra)

    def query(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        return u.path, q

    def check_auth(self):
        if self.headers.get("Authorization", "") != "Bearer " + self.server.token:
            raise ApiError(401, "unauthorized", "this route needs the header 'Authorization: Bearer TOKEN'")

    def do_GET(self):
        path, q = self.query()
        try:
            if path == "/" or path.startswith("/assets/"):
                return self.asset(path)
            if path == "/healthz":
                return self.send_json(200, {"status": "ok", "db": "ok", "schema_version": 2})
            if path.startswith("/api/") and not self.server.open_reads:
                self.check_auth()
            if path == "/api/v1/stream":
                return self.stream()
            route = ROUTES_GET.get(path)
            if route:
                return self.send_json(200, route(self, q))
            m = re.fullmatch(r"/api/v1/violations/(\d+)", path)
            if m:
                check_params(q, set())
                return self.send_json(200, self.violation_detail(int(m.group(1))))
            raise ApiError(404, "not_found", "no route %s" % path)
        except ApiError as e:
            self.send_error_json(e)

    def do_POST(self):
        path, q = self.query()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            m = re.fullmatch(r"/api/v1/(violations|anomalies)/(\d+)/(ack|resolve|reopen|accept)", path)
            if not m:
                raise ApiError(404, "not_found", "no route %s" % path)
            self.check_auth()
            try:
                doc = json.loads(body) if body else {}
            except ValueError:
                raise ApiError(400, "bad_parameter", "body: not JSON", "body")
            self.send_json(200, self.transition(m.group(1), int(m.group(2)), m.group(3), doc.get("by")))
        except ApiError as e:
            self.send_error_json(e)

    def asset(self, path):
        name = "index.html" if path == "/" else path[len("/assets/"):]
        full = os.path.join(self.server.assets, os.path.basename(name))
        if "/" in name or not os.path.isfile(full):
            raise ApiError(404, "not_found", "no asset %s" % path)
        body = open(full, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(os.path.splitext(name)[1], "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    # ---- routes ----
    def violations(self, q):
        check_params(q, {"since", "until", "src", "dst", "namespace", "policy", "reason", "state",
                         "proto", "port", "sort", "limit", "cursor"})
        with self.server.store.lock:
            items = [strip_detail(v) for v in self.server.store.d["violations"]]
        items = time_filter(items, q, "first_seen", "last_seen")
        for k in ("src", "dst", "reason", "state"):
            items = field_filter(items, q, k, [k])
        items = field_filter(items, q, "namespace", ["src_ns", "dst_ns"])
        items = proto_port_filter(items, q, "port")
        sort = q.get("sort", "-last_seen")
        key = sort.lstrip("-")
        if key not in ("last_seen", "first_seen", "flows"):
            raise ApiError(400, "bad_parameter", "sort: unknown order '%s'" % sort, "sort")
        items.sort(key=lambda i: (i[key], i["id"]), reverse=sort.startswith("-"))
        return page(items, q)

    def violation_detail(self, vid):
        with self.server.store.lock:
            v = next((x for x in self.server.store.d["violations"] if x["id"] == vid), None)
            if v is None:
                raise ApiError(404, "not_found", "no violation %d" % vid)
            out = copy.deepcopy(v)
            out["sample_flows"] = [f for f in self.server.store.d["flows"] if f["violation_id"] == vid][:5]
        return out

    def transition(self, kind, oid, action, by):
        st = self.server.store
        with st.lock:
            rows = st.d[kind]
            row = next((x for x in rows if x["id"] == oid), None)
            if row is None:
                raise ApiError(404, "not_found", "no %s %d" % (kind[:-1], oid))
            target = {"ack": "acknowledged", "resolve": "resolved", "reopen": "open",
                      "accept": "accepted"}[action]
            if kind == "violations" and action == "accept":
                raise ApiError(404, "not_found", "no route")
            if row["state"] == "resolved" and target == "acknowledged":
                raise ApiError(409, "conflict", "a resolved violation cannot be acknowledged; reopen it first")
            row["state"] = target
            row["state_changed"] = rfc3339(now_ns())
            if kind == "violations":
                if target == "acknowledged":
                    row["acknowledged_by"] = by
                elif target == "resolved":
                    row["resolved_by"] = by
            else:
                row["state_by"] = by
            return strip_detail(row)

    def flows(self, q):
        check_params(q, {"since", "until", "src", "dst", "namespace", "ip", "verdict", "reason",
                         "proto", "port", "violation", "limit", "cursor"})
        with self.server.store.lock:
            items = list(self.server.store.d["flows"])
        items = time_filter(items, q, "first_seen", "last_seen")
        for k in ("src", "dst", "verdict", "reason"):
            items = field_filter(items, q, k, [k])
        items = field_filter(items, q, "namespace", ["src_ns", "dst_ns"])
        items = field_filter(items, q, "ip", ["src_ip", "dst_ip"])
        if "violation" in q:
            items = [i for i in items if str(i["violation_id"]) == q["violation"]]
        items = proto_port_filter(items, q, "dst_port")
        return page(items, q)

    def anomalies(self, q):
        check_params(q, {"since", "until", "kind", "src", "dst", "state", "limit", "cursor"})
        with self.server.store.lock:
            items = sorted(self.server.store.d["anomalies"], key=lambda a: (a["detected"], a["id"]), reverse=True)
        for k in ("kind", "src", "dst", "state"):
            items = field_filter(items, q, k, [k])
        return page(items, q)

    def endpoints(self, q):
        check_params(q, {"namespace", "label", "ip", "limit", "cursor"})
        items = list(self.server.store.d["endpoints"])
        items = field_filter(items, q, "namespace", ["ns"])
        if "ip" in q:
            items = [e for e in items if q["ip"] in e["addresses"]]
        if "label" in q:
            k, _, v = q["label"].partition("=")
            items = [e for e in items if e["labels"].get(k) == v]
        return page(items, q)

    def policies(self, q):
        check_params(q, {"namespace", "endpoint", "limit", "cursor"})
        items = list(self.server.store.d["policies"])
        items = field_filter(items, q, "namespace", ["ns"])
        if "endpoint" in q:
            items = [p for p in items if q["endpoint"] in p["selects"]]
        return page(items, q)

    def baseline(self, q):
        check_params(q, {"src", "dst", "namespace", "limit", "cursor"})
        return page(self.server.store.d["baseline"], q)

    def edges(self, q):
        check_params(q, {"since", "until", "namespace", "limit"})
        d = self.server.store.d
        with self.server.store.lock:
            flows = time_filter(list(d["flows"]), q, "first_seen", "last_seen")
            viols = [v for v in d["violations"]]
            anoms = list(d["anomalies"])
        agg = {}
        for f in flows:
            k = (f["src"], f["dst"], f["proto"], f["dst_port"])
            e = agg.setdefault(k, {"src": k[0], "dst": k[1], "proto": k[2], "port": k[3], "flows": 0,
                                   "bytes": 0, "verdict": f["verdict"], "violation_id": f["violation_id"],
                                   "anomaly": False, "baseline": False})
            e["flows"] += 1
            e["bytes"] += f["src_bytes"] + f["dst_bytes"]
        for v in viols:
            k = (v["src"], v["dst"], v["proto"], v["port"])
            agg.setdefault(k, {"src": k[0], "dst": k[1], "proto": k[2], "port": k[3], "flows": v["flows"],
                               "bytes": v["src_bytes"] + v["dst_bytes"], "verdict": "denied",
                               "violation_id": v["id"], "anomaly": False, "baseline": False})
        for a in anoms:
            k = (a["src"], a["dst"], a["proto"], a["port"])
            if k in agg:
                agg[k]["anomaly"] = True
        for b in d["baseline"]:
            k = (b["src"], b["dst"], b["proto"], b["port"])
            if k in agg:
                agg[k]["baseline"] = True
        edges = list(agg.values())
        if "namespace" in q:
            ns = q["namespace"]
            edges = [e for e in edges if e["src"].startswith(ns + "/") or e["dst"].startswith(ns + "/")]
        eps = {e["id"]: e for e in d["endpoints"]}
        nodes = []
        for ident in sorted({e["src"] for e in edges} | {e["dst"] for e in edges}):
            if ident in eps:
                ep = eps[ident]
                nodes.append({"id": ident, "kind": "endpoint", "ns": ep["ns"], "name": ep["name"],
                              "labels": ep["labels"]})
            else:
                nodes.append({"id": ident, "kind": "external", "ns": None, "name": ident, "labels": {}})
        return {"nodes": nodes, "edges": edges, "truncated": False}

    def stats(self, q):
        check_params(q, set())
        d = self.server.store.d
        with self.server.store.lock:
            viols = list(d["violations"])
            n_anom = len(d["anomalies"])
        t = now_ns() // (60 * 10**9) * 60 * 10**9
        series = []
        for i in range(60):
            m = 59 - i
            series.append({"t": rfc3339(t - m * 60 * 10**9), "violations": (i * 7) % 5 if i > 30 else 0,
                           "flows": 3 + (i * 13) % 11})
        by_reason = {}
        for v in viols:
            by_reason[v["reason"]] = by_reason.get(v["reason"], 0) + 1
        up = (now_ns() - self.server.started) / 1e9
        return {"now": rfc3339(now_ns()),
                "run": {"id": 1, "started": rfc3339(self.server.started), "sources": "pcap:examples/three-tier.pcap",
                        "ended": None},
                "live": True, "packets": 152 + int(up * 40), "frames": 152 + int(up * 40),
                "drops": 0, "drops_by_reason": {}, "active_flows": 3, "flows_ended": len(d["flows"]),
                "flows_judged": len(d["flows"]), "violations": len(viols),
                "violations_open": sum(1 for v in viols if v["state"] == "open"),
                "violations_by_reason": by_reason, "anomalies": n_anom,
                "store": {"backlog": 0, "failed_batches": 0, "dropped_records": 0},
                "rates": {"packets_per_s": 40.0, "flows_per_s": 1.5, "violations_per_s": 0.0},
                "series": series}

    def stream(self):
        st = self.server.store
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        last = self.headers.get("Last-Event-ID")
        with st.lock:
            mv, ma = st.max_ids()
        if last and re.fullmatch(r"\d+:\d+", last):
            mv, ma = (int(x) for x in last.split(":"))
        try:
            self.wfile.write(b"retry: 2000\n\n")
            self.wfile.flush()
            while not self.server.stopping:
                with st.cond:
                    st.cond.wait(timeout=15)
                    new_v = [v for v in st.d["violations"] if v["id"] > mv]
                    new_a = [a for a in st.d["anomalies"] if a["id"] > ma]
                if not new_v and not new_a:
                    self.wfile.write(b": keepalive\n\n")
                for v in new_v:
                    mv = max(mv, v["id"])
                    self.wfile.write(("event: violation\nid: %d:%d\ndata: %s\n\n"
                                      % (mv, ma, json.dumps(strip_detail(v)))).encode())
                for a in new_a:
                    ma = max(ma, a["id"])
                    self.wfile.write(("event: anomaly\nid: %d:%d\ndata: %s\n\n" % (mv, ma, json.dumps(a))).encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


ROUTES_GET = {
    "/api/v1/violations": Handler.violations,
    "/api/v1/flows": Handler.flows,
    "/api/v1/anomalies": Handler.anomalies,
    "/api/v1/endpoints": Handler.endpoints,
    "/api/v1/policies": Handler.policies,
    "/api/v1/baseline": Handler.baseline,
    "/api/v1/edges": Handler.edges,
    "/api/v1/stats": Handler.stats,
}


def strip_detail(v):
    return {k: val for k, val in v.items() if k not in ("explanation", "sample_flows")}


def demo_loop(server):
    """Adds a synthetic violation or anomaly every 4 s (for the live feed)."""
    st = server.store
    n = 0
    while not server.stopping:
        time.sleep(4)
        n += 1
        with st.cond:
            mv, ma = st.max_ids()
            t = rfc3339(now_ns())
            if n % 2:
                v = copy.deepcopy(st.d["violations"][n % len(st.d["violations"])])
                v.update({"id": mv + 1, "first_seen": t, "last_seen": t, "state": "open",
                          "state_changed": None, "acknowledged_by": None, "resolved_by": None,
                          "port": 10000 + n})
                st.d["violations"].append(v)
            else:
                a = copy.deepcopy(st.d["anomalies"][0])
                a.update({"id": ma + 1, "detected": t, "kind": "volume", "score": 3.5})
                st.d["anomalies"].append(a)
            st.cond.notify_all()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=8099)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--token", default="secret")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--open-reads", action="store_true", help="only writes need the token")
    ap.add_argument("--assets", default=ASSETS, help="the dashboard's files (default web/assets)")
    args = ap.parse_args()
    fixture = json.load(open(os.path.join(HERE, "mock_fixture.json")))
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.store = Store(fixture)
    server.token = args.token
    server.verbose = args.verbose
    server.open_reads = args.open_reads
    server.assets = args.assets
    server.stopping = False
    server.started = now_ns()
    if args.demo:
        threading.Thread(target=demo_loop, args=(server,), daemon=True).start()
    print("mock segwatch on http://%s:%d/ (token %r)" % (args.host, args.port, args.token), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping = True


if __name__ == "__main__":
    main()
