#!/usr/bin/env python3
"""verify.py URL CHECK_JSON REPS SSE_DIR SECONDS: prints "ok NAME" /
"not ok NAME: WHY" lines.
  stored-equals-check  the violations the API lists (every page) have the
                       keys of `segwatch check` on one repetition, and
                       flows, packets and bytes equal REPS times its counts
  sse-N                each event-stream client got "retry:", every violation
                       row exactly once (it connected with Last-Event-ID 0:0)
                       and, for a soak of 30 s or more, keepalives"""
import json, os, sys, urllib.parse, urllib.request

url, check_path, reps, sse_dir, seconds = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                          sys.argv[4], float(sys.argv[5]))
COUNTERS = ("flows", "src_pkts", "src_bytes", "dst_pkts", "dst_bytes")

def key(v):
    return (v["src"], v["dst"], v["proto"], v["port"], v["reason"])

def api_violations():
    items, cursor = [], None
    while True:
        q = {"limit": "1000"}
        if cursor:
            q["cursor"] = cursor
        d = json.load(urllib.request.urlopen("%s/api/v1/violations?%s" %
                                             (url, urllib.parse.urlencode(q)), timeout=30))
        items += d["items"]
        cursor = d["next_cursor"]
        if not cursor:
            return items

def line(good, name, why):
    print(("ok %s" % name) if good else ("not ok %s: %s" % (name, why)), flush=True)

want = {key(v): v for v in json.load(open(check_path))}
got_items = api_violations()
got = {key(v): v for v in got_items}
missing = sorted(set(want) - set(got))
extra = sorted(set(got) - set(want))
wrong = []
for k in set(want) & set(got):
    for c in COUNTERS:
        if got[k][c] != reps * want[k][c]:
            wrong.append("%s %s: %d, want %d x %d" % ("/".join(map(str, k)), c, got[k][c],
                                                       reps, want[k][c]))
line(not missing and not extra and not wrong and len(got_items) == len(got),
     "stored-equals-check # %d violations, %d repetitions, %d flows" %
     (len(want), reps, sum(v["flows"] for v in got.values())),
     "missing %d %s, extra %d %s, wrong %d %s, rows %d for %d keys" %
     (len(missing), missing[:3], len(extra), extra[:3], len(wrong), wrong[:3],
      len(got_items), len(got)))

ids = {v["id"] for v in got_items}
bad = []
files = sorted(os.listdir(sse_dir))
for f in files:
    text = open(os.path.join(sse_dir, f), encoding="utf-8", errors="replace").read()
    seen, kind = [], None
    for l in text.split("\n"):
        if l.startswith("event: "):
            kind = l[7:]
        elif l.startswith("data: ") and kind == "violation":
            seen.append(json.loads(l[6:])["id"])
        elif l == "":
            kind = None
    why = []
    if "retry: " not in text:
        why.append("no retry line")
    if sorted(seen) != sorted(ids):
        why.append("%d violation events for %d rows (%d distinct)" % (len(seen), len(ids),
                                                                    len(set(seen))))
    if seconds >= 30 and ": keepalive" not in text:
        why.append("no keepalive")
    if why:
        bad.append("%s: %s" % (f, ", ".join(why)))
line(files and not bad, "sse # %d clients, %d events each" % (len(files), len(ids)),
     "%d clients; %s" % (len(files), "; ".join(bad[:3])))
