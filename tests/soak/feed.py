#!/usr/bin/env python3
"""feed.py CAPTURE SECONDS REPS_OUT [GAP_S]: writes CAPTURE (classic pcap,
microsecond, little-endian) to stdout as one endless pcap stream, again and
again for SECONDS (at least once), every repetition shifted in time by the
capture's span plus GAP_S (default 400 s, over every idle timeout), so that
each repetition's flows have ended before the next one starts and every
repetition gives the same flows. Writes the number of complete repetitions
to REPS_OUT at the end."""
import os, struct, sys, time

def records(path):
    data = open(path, "rb").read()
    magic, = struct.unpack_from("<I", data, 0)
    if magic != 0xA1B2C3D4:
        sys.exit("feed.py: %s: expected a little-endian microsecond pcap" % path)
    header, recs, off = data[:24], [], 24
    while off + 16 <= len(data):
        sec, = struct.unpack_from("<I", data, off)
        incl, = struct.unpack_from("<I", data, off + 8)
        recs.append((sec, data[off + 4:off + 16 + incl]))
        off += 16 + incl
    return header, recs

def main():
    path, seconds, reps_out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    gap = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    header, recs = records(path)
    period = recs[-1][0] - recs[0][0] + 1 + gap
    out = os.fdopen(sys.stdout.fileno(), "wb", buffering=1 << 20)
    out.write(header)
    end = time.time() + seconds
    reps = 0
    try:
        while reps == 0 or time.time() < end:
            shift = reps * period
            out.write(b"".join(struct.pack("<I", s + shift) + rest for s, rest in recs))
            reps += 1
        out.flush()
    except BrokenPipeError:
        pass
    with open(reps_out, "w") as f:
        f.write("%d %d\n" % (reps, len(recs)))

main()
