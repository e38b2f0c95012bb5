#!/usr/bin/env python3
"""compare_flows.py - checks flow records against pcapgen's truth.

Two modes (see tests/integration/README.md for the fields and conventions):

  compare_flows.py segwatch TRUTH.jsonl FLOWS.jsonl [--no-times]
      FLOWS is the output of `segwatch flows -r FILE` (JSON Lines, or CSV
      when the file's first line is a CSV header). Records with
      "update": true are ignored. Every truth conversation must appear
      exactly once (a conversation split by an idle gap appears once per
      segment), nothing else may appear, and per flow these must be
      equal: initiator (src = truth src), per-direction packets and
      IP-layer bytes, tcp_state, proto, first/last timestamps (to the
      nanosecond), fragment count and the end reason where the truth
      implies one. Each update record must belong to a final record (same
      flow, same first_seen) and count no more than it.

  compare_flows.py tshark TRUTH.jsonl CAPTURE [--conv-output FILE]
      Runs `tshark -n -r CAPTURE -q -z conv,tcp -z conv,udp` (or reads its
      saved output) and compares the TCP and UDP conversation tables with
      the truth: the same set of conversations, frames per direction
      exactly, and bytes per direction as tshark prints them (tshark
      counts link-layer frame bytes, printed exactly below 10000 and
      truncated to kB/MB/GB above; see README.md).

Exit status: 0 when everything matches, 1 on a mismatch, 2 on bad input.
"""

import argparse
import csv
import ipaddress
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

MAX_REPORTED = 25

PROTO_NUM = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}
ICMP_PROTOS = (1, 58)

SEGWATCH_REQUIRED = (
    "flow_id", "first_seen", "last_seen", "duration", "proto", "ip_proto",
    "src_ip", "src_port", "dst_ip", "dst_port", "src_pkts", "src_bytes",
    "dst_pkts", "dst_bytes", "end_reason",
)

TRUTH_REQUIRED = (
    "proto", "ip_proto", "src_ip", "src_port", "dst_ip", "dst_port", "vlan",
    "vlan_inner", "src_pkts", "src_bytes", "dst_pkts", "dst_bytes",
    "tcp_state", "first_ts", "last_ts",
)

# What a flow's end reason must be, by truth tcp_state.
END_REASON = {"closed": "tcp_close", "reset": "tcp_reset", "rejected": "tcp_reset"}


class InputError(Exception):
    """A file that is not what it should be (exit status 2)."""


def norm_ip(text, where):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as e:
        raise InputError(f"{where}: bad address {text!r}: {e}") from None


def as_int(value, where, field):
    if isinstance(value, bool):
        raise InputError(f"{where}: {field} is a boolean, expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        return int(value)
    raise InputError(f"{where}: {field} = {value!r}, expected a whole number")


def decimal_ns(text, where):
    """'1795608000.123456789' -> integer nanoseconds."""
    m = re.fullmatch(r"(\d+)(?:\.(\d{1,9}))?", text)
    if not m:
        raise InputError(f"{where}: bad decimal timestamp {text!r}")
    frac = (m.group(2) or "").ljust(9, "0")
    return int(m.group(1)) * 1_000_000_000 + int(frac)


def rfc3339_ns(text, where):
    """'2026-11-25T12:00:00.123456789Z' -> integer nanoseconds (UTC only)."""
    import calendar
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z", text)
    if not m:
        raise InputError(f"{where}: bad RFC 3339 UTC timestamp {text!r}")
    secs = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)))
    frac = (m.group(7) or "").ljust(9, "0")
    return secs * 1_000_000_000 + int(frac)


def fmt_ns(ns):
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def proto_number(rec, where):
    if "ip_proto" in rec and rec["ip_proto"] is not None:
        return as_int(rec["ip_proto"], where, "ip_proto")
    name = rec.get("proto")
    if name in PROTO_NUM:
        return PROTO_NUM[name]
    raise InputError(f"{where}: no ip_proto and unknown proto {name!r}")


def opt_vlan(rec, field, where):
    v = rec.get(field)
    if v is None or v == "":
        return None
    return as_int(v, where, field)


def match_key(proto, vlan, vlan_inner, a, b):
    """Direction-free key: a and b are (ip, port). ICMP flows match on
    addresses only (their 'ports' are type/code, compared separately)."""
    if proto in ICMP_PROTOS:
        ends = tuple(sorted((a[0], b[0])))
    else:
        ends = tuple(sorted((a, b)))
    return (proto, vlan, vlan_inner, ends)


def describe(rec):
    vl = ""
    if rec["vlan"] is not None:
        vl = f" vlan {rec['vlan']}"
        if rec["vlan_inner"] is not None:
            vl += f"/{rec['vlan_inner']}"
    return (f"{rec['proto_name']} {rec['src'][0]}:{rec['src'][1]} -> "
            f"{rec['dst'][0]}:{rec['dst'][1]}{vl}")


# ---------------------------------------------------------------- truth

def load_truth(path):
    recs = []
    try:
        fh = open(path, encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                t = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{where}: not JSON: {e}") from None
            for f in TRUTH_REQUIRED:
                if f not in t:
                    raise InputError(f"{where}: truth record lacks {f!r}")
            proto = as_int(t["ip_proto"], where, "ip_proto")
            rec = {
                "where": where,
                "label": f"truth flow {t.get('flow', '?')}"
                         + (f" segment {t['segment']}" if t.get("segment", 1) != 1 else ""),
                "proto": proto,
                "proto_name": t["proto"],
                "src": (norm_ip(t["src_ip"], where), as_int(t["src_port"], where, "src_port")),
                "dst": (norm_ip(t["dst_ip"], where), as_int(t["dst_port"], where, "dst_port")),
                "vlan": opt_vlan(t, "vlan", where),
                "vlan_inner": opt_vlan(t, "vlan_inner", where),
                "first": decimal_ns(t["first_ts"], where),
                "last": decimal_ns(t["last_ts"], where),
                "tcp_state": t["tcp_state"],
                "segment": t.get("segment", 1),
                "raw": t,
            }
            for side in ("src", "dst"):
                for f in ("pkts", "bytes", "frame_bytes", "frags", "frag_dgrams",
                          "frag_nonlast_frame_bytes"):
                    key = f"{side}_{f}"
                    rec[key] = as_int(t.get(key, 0), where, key)
            recs.append(rec)
    return recs


# ------------------------------------------------------------- segwatch

def read_segwatch_rows(path):
    try:
        fh = open(path, encoding="utf-8", newline="")
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    with fh:
        text = fh.read()
    lines = text.splitlines()
    first = next((l for l in lines if l.strip()), "")
    if first.startswith("{") or not first:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: not JSON: {e}") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{n}: not a JSON object")
            yield f"{path}:{n}", obj
        return
    reader = csv.DictReader(lines)
    for n, row in enumerate(reader, 2):
        obj = {}
        for k, v in row.items():
            if k is None:
                raise InputError(f"{path}:{n}: more columns than the header")
            if v is None or v == "":
                continue
            if v in ("true", "false"):
                obj[k] = v == "true"
            else:
                obj[k] = v
        yield f"{path}:{n}", obj


def load_segwatch(path):
    """Returns (final records, update records)."""
    recs, updates = [], []
    for where, o in read_segwatch_rows(path):
        for f in SEGWATCH_REQUIRED:
            if f not in o:
                raise InputError(f"{where}: segwatch record lacks {f!r}")
        proto = proto_number(o, where)
        rec = {
            "where": where,
            "label": f"segwatch flow_id {o['flow_id']}",
            "proto": proto,
            "proto_name": o["proto"],
            "src": (norm_ip(o["src_ip"], where), as_int(o["src_port"], where, "src_port")),
            "dst": (norm_ip(o["dst_ip"], where), as_int(o["dst_port"], where, "dst_port")),
            "vlan": opt_vlan(o, "vlan", where),
            "vlan_inner": opt_vlan(o, "vlan_inner", where),
            "first": rfc3339_ns(o["first_seen"], where),
            "last": rfc3339_ns(o["last_seen"], where),
            "tcp_state": o.get("tcp_state"),
            "end_reason": o["end_reason"],
            "fragments": as_int(o.get("fragments", 0), where, "fragments"),
            "raw": o,
        }
        for f in ("src_pkts", "src_bytes", "dst_pkts", "dst_bytes"):
            rec[f] = as_int(o[f], where, f)
        (updates if o.get("update") is True else recs).append(rec)
    return recs, updates


def group(recs):
    out = defaultdict(list)
    for r in recs:
        out[match_key(r["proto"], r["vlan"], r["vlan_inner"], r["src"], r["dst"])].append(r)
    for v in out.values():
        v.sort(key=lambda r: r["first"])
    return out


def diff_flow(t, s, check_times):
    """Returns a list of 'field: truth X, segwatch Y' strings."""
    d = []

    def cmp(name, tv, sv):
        if tv != sv:
            d.append(f"{name}: truth {tv}, segwatch {sv}")

    if s["src"] != t["src"]:
        d.append(f"initiator: truth {t['src'][0]}:{t['src'][1]}, "
                 f"segwatch {s['src'][0]}:{s['src'][1]} (direction reversed)"
                 if s["src"] == t["dst"] or s["src"][0] == t["dst"][0] else
                 f"src: truth {t['src'][0]}:{t['src'][1]}, segwatch {s['src'][0]}:{s['src'][1]}")
        cmp("dst", f"{t['dst'][0]}:{t['dst'][1]}", f"{s['dst'][0]}:{s['dst'][1]}")
    cmp("proto", t["proto_name"], s["proto_name"])
    for f in ("src_pkts", "src_bytes", "dst_pkts", "dst_bytes"):
        cmp(f, t[f], s[f])
    cmp("tcp_state", t["tcp_state"], s["tcp_state"])
    cmp("fragments", t["src_frags"] + t["dst_frags"], s["fragments"])
    want_end = END_REASON.get(t["tcp_state"])
    if want_end is None and t.get("idle_split"):
        want_end = "idle"
    if want_end is not None:
        cmp("end_reason", want_end, s["end_reason"])
    if check_times:
        cmp("first_seen", fmt_ns(t["first"]), fmt_ns(s["first"]))
        cmp("last_seen", fmt_ns(t["last"]), fmt_ns(s["last"]))
        dur = s["raw"].get("duration")
        try:
            dur_ok = abs(float(dur) - (s["last"] - s["first"]) / 1e9) < 1e-6
        except (TypeError, ValueError):
            dur_ok = False
        if not dur_ok:
            d.append(f"duration: {dur!r} is not last_seen - first_seen "
                     f"({(s['last'] - s['first']) / 1e9:.9f})")
    return d


def mark_idle_splits(truth_groups):
    """Every segment but the last of a split conversation ends on idle."""
    for segs in truth_groups.values():
        for seg in segs[:-1]:
            seg["idle_split"] = True


COUNTERS = ("src_pkts", "src_bytes", "dst_pkts", "dst_bytes")


def check_updates(flows, updates):
    """An update is a snapshot of a flow still running: cumulative
    counters, end_reason active_timeout, superseded by a final record with
    the same key and first_seen that counts at least as much."""
    finals = {}
    for f in flows:
        finals[(match_key(f["proto"], f["vlan"], f["vlan_inner"], f["src"], f["dst"]),
                f["first"])] = f
    problems = []
    for u in updates:
        key = match_key(u["proto"], u["vlan"], u["vlan_inner"], u["src"], u["dst"])
        f = finals.get((key, u["first"]))
        if u["end_reason"] != "active_timeout":
            problems.append(f"UPDATE   {describe(u)} ({u['label']}, {u['where']}): "
                            f"end_reason {u['end_reason']!r}, expected 'active_timeout'")
        if f is None:
            problems.append(f"UPDATE   {describe(u)} ({u['label']}, {u['where']}): no final "
                            "record of the same flow with the same first_seen")
            continue
        over = [f"{c} {u[c]} > final {f[c]}" for c in COUNTERS if u[c] > f[c]]
        if u["src"] != f["src"]:
            over.append("initiator differs from the final record's")
        if over:
            problems.append(f"UPDATE   {describe(u)} ({u['label']}, {u['where']}; final "
                            f"{f['label']}): " + ", ".join(over))
    return problems


def compare_segwatch(truth, flows, updates, check_times, out):
    tg, sg = group(truth), group(flows)
    mark_idle_splits(tg)
    problems = check_updates(flows, updates)
    missing = extra = mismatched = 0
    for key in sorted(set(tg) | set(sg), key=str):
        ts, ss = tg.get(key, []), sg.get(key, [])
        for t, s in zip(ts, ss):
            d = diff_flow(t, s, check_times)
            if d:
                mismatched += 1
                problems.append(f"MISMATCH {describe(t)} ({t['label']}; {s['label']}, "
                                f"{s['where']}):\n    " + "\n    ".join(d))
        for t in ts[len(ss):]:
            missing += 1
            problems.append(f"MISSING  {describe(t)} ({t['label']}, {t['where']}): "
                            f"{t['src_pkts']}+{t['dst_pkts']} packets, not in segwatch's output"
                            + (f" (segwatch has {len(ss)} record(s) for it, truth {len(ts)})"
                               if ss else ""))
        for s in ss[len(ts):]:
            extra += 1
            problems.append(f"EXTRA    {describe(s)} ({s['label']}, {s['where']}): "
                            f"{s['src_pkts']}+{s['dst_pkts']} packets, not in the truth"
                            + (f" (truth has {len(ts)} record(s) for it, segwatch {len(ss)})"
                               if ts else ""))
    for p in problems[:MAX_REPORTED]:
        print(p, file=out)
    if len(problems) > MAX_REPORTED:
        print(f"... and {len(problems) - MAX_REPORTED} more", file=out)
    print(f"segwatch vs truth: {len(truth)} truth flows, {len(flows)} segwatch records "
          f"(and {len(updates)} update records): {missing} missing, {extra} extra, "
          f"{mismatched} mismatched, {len(problems) - missing - extra - mismatched} "
          "bad updates", file=out)
    return not problems


# --------------------------------------------------------------- tshark

SIZE = r"([\d,.' ]*\d) (bytes|[kMGTP]B)"
ROW = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+" + SIZE + r"\s+(\d+)\s+" + SIZE +
                 r"\s+(\d+)\s+" + SIZE + r"\s+(\S+)\s+(\S+)\s*$")
UNIT = {"bytes": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}


def split_endpoint(text, where):
    """'10.0.0.1:80', 'fd00::1:80' or '[fd00::1]:80' -> (ip, port)."""
    addr, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise InputError(f"{where}: cannot split address:port in {text!r} "
                         "(port names? tshark must run with -n)")
    return norm_ip(addr.strip("[]"), where), int(port)


def parse_size(num, unit):
    """tshark's size text -> (value, unit multiplier)."""
    return int(re.sub(r"\D", "", num)), UNIT[unit]


def parse_tshark_conv(text, source):
    convs = []
    section = None
    for n, line in enumerate(text.splitlines(), 1):
        where = f"{source}:{n}"
        m = re.fullmatch(r"(\S+) Conversations", line.strip())
        if m:
            section = m.group(1).lower()
            continue
        if section not in ("tcp", "udp") or "<->" not in line:
            continue
        r = ROW.match(line)
        if not r:
            raise InputError(f"{where}: unrecognised conversation row: {line!r}")
        g = r.groups()
        convs.append({
            "where": where,
            "proto": PROTO_NUM[section],
            "proto_name": section,
            "a": split_endpoint(g[0], where),
            "b": split_endpoint(g[1], where),
            # "<-" is frames B -> A (tshark's rx), "->" is A -> B (tx);
            # A is the source of the first frame tshark counted.
            "ba_frames": int(g[2]), "ba_size": parse_size(g[3], g[4]),
            "ab_frames": int(g[5]), "ab_size": parse_size(g[6], g[7]),
        })
    return convs


def truth_tshark_view(truth):
    """Per (proto, endpoints): what tshark's table should count. tshark has
    no VLAN in its key and one conversation for idle-split segments;
    a fragmented datagram counts once, in the frame of its last fragment."""
    out = {}
    for t in truth:
        if t["proto"] not in (6, 17):
            continue
        key = match_key(t["proto"], None, None, t["src"], t["dst"])
        v = out.setdefault(key, {"t": t, "labels": [], "src": t["src"],
                                 "src_frames": 0, "dst_frames": 0,
                                 "src_bytes": 0, "dst_bytes": 0})
        v["labels"].append(t["label"])
        for side in ("src", "dst"):
            v[f"{side}_frames"] += (t[f"{side}_pkts"] - t[f"{side}_frags"]
                                    + t[f"{side}_frag_dgrams"])
            v[f"{side}_bytes"] += (t[f"{side}_frame_bytes"]
                                   - t[f"{side}_frag_nonlast_frame_bytes"])
    return out


def size_matches(exact, size):
    value, mult = size
    return exact // mult == value


def size_text(size):
    value, mult = size
    unit = next(u for u, m in UNIT.items() if m == mult)
    return f"{value} {unit}"


def compare_tshark(truth, convs, out):
    want = truth_tshark_view(truth)
    got = {}
    problems = []
    for c in convs:
        key = match_key(c["proto"], None, None, c["a"], c["b"])
        if key in got:
            problems.append(f"DUPLICATE {c['proto_name']} {c['a']} <-> {c['b']} "
                            f"({c['where']}): tshark split one conversation")
        got[key] = c
    missing = extra = mismatched = 0
    for key in sorted(set(want) | set(got), key=str):
        w, c = want.get(key), got.get(key)
        if c is None:
            missing += 1
            t = w["t"]
            problems.append(f"MISSING  {describe(t)} ({', '.join(w['labels'])}): "
                            "not in tshark's table")
            continue
        if w is None:
            extra += 1
            problems.append(f"EXTRA    {c['proto_name']} {c['a'][0]}:{c['a'][1]} <-> "
                            f"{c['b'][0]}:{c['b'][1]} ({c['where']}): not in the truth")
            continue
        # Orient tshark's A/B onto the truth's initiator (src).
        if c["a"] == w["src"]:
            fwd, rev = ("ab_frames", "ab_size"), ("ba_frames", "ba_size")
        else:
            fwd, rev = ("ba_frames", "ba_size"), ("ab_frames", "ab_size")
        d = []
        for side, (fk, sk) in (("src->dst", fwd), ("dst->src", rev)):
            pre = "src" if side == "src->dst" else "dst"
            if c[fk] != w[f"{pre}_frames"]:
                d.append(f"{side} frames: truth {w[f'{pre}_frames']}, tshark {c[fk]}")
            if not size_matches(w[f"{pre}_bytes"], c[sk]):
                d.append(f"{side} bytes: truth {w[f'{pre}_bytes']} frame bytes, "
                         f"tshark {size_text(c[sk])}")
        if d:
            mismatched += 1
            problems.append(f"MISMATCH {describe(w['t'])} ({', '.join(w['labels'])}; "
                            f"{c['where']}):\n    " + "\n    ".join(d))
    for p in problems[:MAX_REPORTED]:
        print(p, file=out)
    if len(problems) > MAX_REPORTED:
        print(f"... and {len(problems) - MAX_REPORTED} more", file=out)
    print(f"tshark vs truth: {len(want)} TCP/UDP truth conversations, {len(convs)} tshark "
          f"rows: {missing} missing, {extra} extra, {mismatched} mismatched", file=out)
    return not problems


def run_tshark(capture):
    env = dict(os.environ, LC_ALL="C")
    cmd = ["tshark", "-n", "-r", capture, "-q", "-z", "conv,tcp", "-z", "conv,udp"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    except OSError as e:
        raise InputError(f"cannot run tshark: {e.strerror}") from None
    if p.returncode != 0:
        raise InputError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


# ----------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("segwatch", help="compare segwatch's flow records with the truth")
    s.add_argument("truth")
    s.add_argument("flows", help="segwatch's JSONL (or CSV) output")
    s.add_argument("--no-times", action="store_true",
                   help="do not compare first/last timestamps and duration")
    t = sub.add_parser("tshark", help="compare tshark's conv,tcp/conv,udp with the truth")
    t.add_argument("truth")
    t.add_argument("capture")
    t.add_argument("--conv-output", help="tshark's saved output instead of running it")
    args = ap.parse_args(argv)
    try:
        truth = load_truth(args.truth)
        if args.mode == "segwatch":
            flows, updates = load_segwatch(args.flows)
            ok = compare_segwatch(truth, flows, updates, not args.no_times, sys.stdout)
        else:
            if args.conv_output:
                with open(args.conv_output, encoding="utf-8") as fh:
                    text, source = fh.read(), args.conv_output
            else:
                text, source = run_tshark(args.capture), "tshark"
            ok = compare_tshark(truth, parse_tshark_conv(text, source), sys.stdout)
    except InputError as e:
        print(f"compare_flows: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"compare_flows: {e}", file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
