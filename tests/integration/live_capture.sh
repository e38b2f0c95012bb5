#!/bin/sh
# Live capture on the loopback interface with real sockets: segwatch
# assembles the flows of a TCP conversation and a UDP exchange, flushes
# them on SIGINT, agrees with its own reading of a tcpdump capture taken
# at the same time, uses the TPACKET_V3 ring, and explains a missing
# interface or missing privileges in one line.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	skip live "not root: live capture needs CAP_NET_RAW"
	finish
fi
PORT=$((20000 + $$ % 20000))
FILTER="port $PORT"

"$SEGWATCH" flows -i lo -f "$FILTER" -o "$TMPD/live.jsonl" --stats 2>"$TMPD/live.err" &
SW=$!
tcpdump -i lo -w "$TMPD/lo.pcap" -U --immediate-mode -Z root "$FILTER" 2>"$TMPD/tcpdump.err" &
TD=$!
# wait until both captures are up
for i in $(seq 50); do
	grep -q capturing "$TMPD/live.err" && grep -q listening "$TMPD/tcpdump.err" && break
	sleep 0.1
done
python3 - "$PORT" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
def serve():
    c, _ = srv.accept()
    for _ in range(3):
        d = c.recv(100)
        c.sendall(d * 2)
    c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("127.0.0.1", port))
for i in range(3):
    cl.sendall(b"hello %d" % i); cl.recv(100)
cl.shutdown(socket.SHUT_WR); cl.recv(100); cl.close(); t.join(); srv.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", port))
for i in range(4):
    u.sendto(b"ping", ("127.0.0.1", port)); d, a = r.recvfrom(100); r.sendto(b"pong", a); u.recvfrom(100)
PY
sleep 0.5
kill -INT $SW $TD
wait $SW; rc=$?
wait $TD
if [ $rc -ne 0 ] || sanitizer_report "$TMPD/live.err"; then
	not_ok "live exit" "exit $rc: $(cat "$TMPD/live.err")"
else
	ok "live capture exits cleanly on SIGINT"
fi
tcp=$(grep '"proto":"tcp"' "$TMPD/live.jsonl")
case "$tcp" in
*'"tcp_state":"closed"'*"\"dst_port\":$PORT"*|*"\"dst_port\":$PORT"*'"tcp_state":"closed"'*) ok "tcp flow closed, initiator is the client" ;;
*) not_ok "tcp flow" "got: $tcp" ;;
esac
udp=$(grep '"proto":"udp"' "$TMPD/live.jsonl")
case "$udp" in
*'"src_pkts":4'*'"dst_pkts":4'*'"end_reason":"shutdown"'*) ok "udp flow flushed at shutdown with 4+4 packets" ;;
*) not_ok "udp flow" "got: $udp" ;;
esac
# the same traffic read back from tcpdump's file gives the same counters
"$SEGWATCH" flows -r "$TMPD/lo.pcap" -o "$TMPD/file.jsonl" -q
strip() { sed -E 's/"(flow_id|first_seen|last_seen|duration|end_reason)":[^,]*,//g; s/"end_reason":"[a-z_]*",//' "$1" | sort; }
if [ "$(strip "$TMPD/live.jsonl")" = "$(strip "$TMPD/file.jsonl")" ] && [ -s "$TMPD/file.jsonl" ]; then
	ok "live flows equal the flows of tcpdump's capture"
else
	not_ok "live vs file" "$(strip "$TMPD/live.jsonl") <> $(strip "$TMPD/file.jsonl")"
fi
if command -v strace >/dev/null; then
	timeout 3 strace -f -e trace=setsockopt "$SEGWATCH" flows -i lo -o /dev/null -q 2>"$TMPD/strace" >/dev/null
	if grep -q 'PACKET_VERSION, \[2\]' "$TMPD/strace"; then
		ok "live capture uses the TPACKET_V3 ring"
	else
		not_ok "tpacket v3" "$(grep PACKET_VERSION "$TMPD/strace")"
	fi
else
	skip "tpacket v3" "strace not installed"
fi
# segwatch run on lo: the service map's per-minute sums of one edge come
# in two hand-overs (two bursts of connections); the second is deferred
# to the commit interval. With no violation in the run and no traffic
# after it, the map must still catch up within an interval (not wait for
# more traffic) and equal the stored flows, before and after the stop.
PORT3=$((PORT + 1))
LDB="$TMPD/live-run.db"
"$SEGWATCH" run -i lo -f "tcp port $PORT3" --inventory tests/data/check/inventory.yaml \
	-p tests/data/check/allow-all.yaml --db "$LDB" --commit-interval 2s \
	2>"$TMPD/liverun.err" &
SW=$!
wait_capturing "$TMPD/liverun.err"
python3 - "$PORT3" <<'PY'
import socket, sys, threading, time
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(16)
def serve():
    for _ in range(8):
        c, _ = srv.accept(); c.recv(10); c.close()
t = threading.Thread(target=serve); t.start()
for burst in range(2):
    for _ in range(4):
        cl = socket.create_connection(("127.0.0.1", port)); cl.sendall(b"x")
        cl.recv(10); cl.close()
    time.sleep(0.7)
t.join(); srv.close()
PY
# closed TCP flows end after a 5 s linger, the map within an interval more
map_flows() {
	sqlite3 "$LDB" "SELECT coalesce((SELECT sum(flows) FROM edge_minutes), 0) || ' ' ||
		(SELECT count(*) FROM flows)" 2>/dev/null
}
got=""
for i in $(seq 60); do
	got=$(map_flows)
	[ "$got" = "8 8" ] && break
	sleep 0.25
done
if [ "$got" = "8 8" ]; then
	ok "live run: the map catches up with the flows while idle"
else
	not_ok "live run map while idle" "map sum, flows: $got"
fi
kill -INT $SW
wait $SW; rc=$?
got=$(map_flows)
if [ $rc -ne 0 ] || sanitizer_report "$TMPD/liverun.err"; then
	not_ok "live run exit" "exit $rc: $(cat "$TMPD/liverun.err")"
elif [ "$got" != "8 8" ]; then
	not_ok "live run map at stop" "map sum, flows: $got"
else
	ok "live run: the map equals the flows after the stop"
fi
# segwatch run on lo, a new denied connection every 40 ms for 3 s: with
# --commit-interval 1s, a round gathers what comes until an interval after
# the previous one began, so the run commits about once a second (a commit
# per hand-over was one per capture tick, ~10 a second), and every
# attempt is stored, once, as a violation and a flow.
deny_fixture 127.0.0.6 127.0.0.7
GDB="$TMPD/gather.db"
"$SEGWATCH" run -i lo --immediate -f "host 127.0.0.7" --inventory "$TMPD/inv.yaml" \
	-p "$TMPD/pol.yaml" --db "$GDB" --commit-interval 1s 2>"$TMPD/gather.err" &
SW=$!
wait_capturing "$TMPD/gather.err"
: >"$TMPD/gather.att"
python3 "$TMPD/attempts.py" "$TMPD/gather.att" 3 30000
sleep 1
kill -INT $SW
wait $SW; rc=$?
made=$(wc -l <"$TMPD/gather.att")
commits=$(sed -n 's/.* in \([0-9]*\) commits.*/\1/p' "$TMPD/gather.err")
stored=$(sqlite3 "$GDB" "SELECT count(*) || ' ' || sum(flows) || ' ' ||
	(SELECT count(*) FROM flows WHERE violation_id IS NOT NULL) FROM violations" 2>&1)
if [ $rc -ne 0 ] || sanitizer_report "$TMPD/gather.err"; then
	not_ok "live run gathers commits" "exit $rc: $(cat "$TMPD/gather.err")"
elif [ "$stored" != "$made $made $made" ]; then
	not_ok "live run gathers commits" "$made attempts; violations, their flows, linked flows: $stored"
elif [ -z "$commits" ] || [ "$commits" -gt 10 ]; then
	not_ok "live run gathers commits" "$made attempts in 3 s stored in '$commits' commits (at most 10)"
else
	ok "live run: $made attempts in 3 s stored in $commits commits"
fi
"$SEGWATCH" flows -i nosuch0 2>"$TMPD/e1"; rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$TMPD/e1")" -eq 1 ] && grep -q "does not exist" "$TMPD/e1"; then
	ok "missing interface: one line, exit 2"
else
	not_ok "missing interface" "exit $rc: $(cat "$TMPD/e1")"
fi
if command -v setpriv >/dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$SEGWATCH" flows -i lo 2>"$TMPD/e2"; rc=$?
	if [ $rc -eq 2 ] && grep -q "no permission.*CAP_NET_RAW" "$TMPD/e2"; then
		ok "missing privileges: says what to do"
	else
		not_ok "missing privileges" "exit $rc: $(cat "$TMPD/e2")"
	fi
fi
finish
