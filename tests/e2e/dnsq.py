#!/usr/bin/env python3
"""dnsq.py - a minimal DNS client for the end-to-end scenario (no dig on
the test machines): asks SERVER (UDP port 53) for the A record of each NAME
and prints "NAME ADDR" per answer. Exits 1 when a name has no A record or
the server does not answer within 2 s (one try: no retransmission, so the
flow count of the capture is known).

  dnsq.py SERVER NAME [NAME...]
"""

import random
import socket
import struct
import sys


def query(name):
    qid = random.randrange(65536)
    head = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return qid, head + qname + struct.pack("!HH", 1, 1)  # A, IN


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def answers(msg, qid):
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid or flags & 0x8000 == 0:
        raise ValueError("not an answer to the query")
    if flags & 0x000F:
        raise ValueError("rcode %d" % (flags & 0x000F))
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    server = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))  # one socket: one flow for all names
    for name in sys.argv[2:]:
        qid, msg = query(name)
        s.send(msg)
        try:
            addrs = answers(s.recv(512), qid)
        except (socket.timeout, ValueError) as e:
            sys.exit(f"dnsq: {name}: {e}")
        if not addrs:
            sys.exit(f"dnsq: {name}: no A record")
        for a in addrs:
            print(name, a)


if __name__ == "__main__":
    main()
