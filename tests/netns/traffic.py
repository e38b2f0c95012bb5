#!/usr/bin/env python3
"""traffic.py - servers and clients with known packet patterns, for tests
that run in network namespaces (tests/netns/lib.sh: netns_traffic).

Every command exits 0 when the exchange went as asked and prints one line
saying what happened; anything else exits 1 with the reason on stderr.

  tcp-server --bind ADDR --port P [--conns N]
      Accepts connections (N, then exits; default: until killed). On each,
      answers every line "X\\n" with "ok X\\n"; when the client half-closes,
      closes too.
  tcp-client --to ADDR --port P [--requests K] [--sport S]
      Connects (from source port S if given), sends K lines one at a time,
      waiting for each answer, then half-closes and reads to the end. With
      the server above: a handshake, K request/answer pairs, FIN both ways.
  tcp-attempt --to ADDR --port P [--wait SECONDS]
      Starts a connection and gives up after SECONDS (default 1.5). Prints
      "timeout" (no answer: the SYN is retransmitted after 1 s, so 1.5 s
      means exactly 2 SYNs), "refused" (an RST came back) or "connected"
      (exit 1: the connection should not have worked).
  udp-server --bind ADDR --port P [--count N]
      Answers each datagram D with "re:" + D (N datagrams, then exits;
      default: until killed).
  udp-client --to ADDR --port P [--requests K] [--no-reply]
      Sends K datagrams one at a time; waits up to 2 s for each answer,
      unless --no-reply (then only sends, 50 ms apart).
"""

import argparse
import errno
import select
import socket
import sys
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_server(a):
    srv = socket.socket(family_of(a.bind), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, a.port))
    srv.listen(16)
    served = 0
    while a.conns is None or served < a.conns:
        conn, _ = srv.accept()
        with conn, conn.makefile("rwb", buffering=0) as f:
            for line in f:
                f.write(b"ok " + line)
        served += 1
    print(f"served {served} connections")


def tcp_client(a):
    s = socket.socket(family_of(a.to), socket.SOCK_STREAM)
    if a.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", a.sport))
    s.settimeout(5)
    s.connect((a.to, a.port))
    f = s.makefile("rwb", buffering=0)
    for i in range(a.requests):
        f.write(b"request %d\n" % i)
        answer = f.readline()
        if answer != b"ok request %d\n" % i:
            sys.exit(f"tcp-client: unexpected answer {answer!r}")
    s.shutdown(socket.SHUT_WR)
    rest = s.recv(100)
    if rest:
        sys.exit(f"tcp-client: data after the last answer: {rest!r}")
    f.close()
    s.close()
    print(f"{a.requests} requests answered")


def tcp_attempt(a):
    s = socket.socket(family_of(a.to), socket.SOCK_STREAM)
    s.setblocking(False)
    r = s.connect_ex((a.to, a.port))
    if r not in (errno.EINPROGRESS, 0):
        print("refused" if r == errno.ECONNREFUSED else errno.errorcode.get(r, str(r)))
        return
    _, w, _ = select.select([], [s], [], a.wait)
    if not w:
        print("timeout")
        s.close()
        return
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    s.close()
    if err == 0:
        sys.exit("connected")
    print("refused" if err == errno.ECONNREFUSED else errno.errorcode.get(err, str(err)))


def udp_server(a):
    s = socket.socket(family_of(a.bind), socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    n = 0
    while a.count is None or n < a.count:
        data, peer = s.recvfrom(65535)
        s.sendto(b"re:" + data, peer)
        n += 1
    print(f"answered {n} datagrams")


def udp_client(a):
    s = socket.socket(family_of(a.to), socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(a.requests):
        msg = b"datagram %d" % i
        s.sendto(msg, (a.to, a.port))
        if a.no_reply:
            time.sleep(0.05)
            continue
        data = s.recv(65535)
        if data != b"re:" + msg:
            sys.exit(f"udp-client: unexpected answer {data!r}")
    print(f"{a.requests} datagrams sent")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("tcp-server")
    c.add_argument("--bind", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--conns", type=int)
    c = sub.add_parser("tcp-client")
    c.add_argument("--to", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--requests", type=int, default=1)
    c.add_argument("--sport", type=int, default=0)
    c = sub.add_parser("tcp-attempt")
    c.add_argument("--to", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--wait", type=float, default=1.5)
    c = sub.add_parser("udp-server")
    c.add_argument("--bind", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int)
    c = sub.add_parser("udp-client")
    c.add_argument("--to", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--requests", type=int, default=1)
    c.add_argument("--no-reply", action="store_true")
    a = p.parse_args()
    try:
        {"tcp-server": tcp_server, "tcp-client": tcp_client, "tcp-attempt": tcp_attempt,
         "udp-server": udp_server, "udp-client": udp_client}[a.cmd](a)
    except OSError as e:
        sys.exit(f"{a.cmd}: {e}")


if __name__ == "__main__":
    main()
