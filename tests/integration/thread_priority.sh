#!/bin/sh
# The priorities of segwatch run's threads, read from /proc while it runs:
#   replay-serving   a replay of a capture (here a FIFO held open) that
#                    serves the dashboard (--listen): the capture thread
#                    (the main one) and the writer (named sw-writer) are
#                    nice 5, every other thread (the web server's) nice 0,
#                    and the API answers meanwhile
#   replay-alone     the same replay without --listen: every thread nice 0
#   live-serving     a live capture (lo) that serves: every thread nice 0
#                    (a live capture must keep up with the wire); root only
. "$(dirname "$0")/lib.sh"
EX=examples

# nice_of TASKDIR: the thread's nice value (field 19 of stat; the name,
# in parentheses, may hold spaces)
nice_of() {
	sed 's/.*) //' "$1/stat" | cut -d' ' -f17
}

# threads PID: "main:NICE" then "NAME:NICE" of every other thread, sorted,
# each followed by a space
threads() {
	echo "main:$(nice_of "/proc/$1/task/$1") " | tr -d '\n'
	for t in /proc/"$1"/task/*; do
		[ "$(basename "$t")" = "$1" ] || echo "$(cat "$t/comm"):$(nice_of "$t")"
	done | sort | tr '\n' ' '
}

# start_replay NAME ARGS...: segwatch run ARGS on the example (a FIFO fed
# the example capture, then held open ~20 s); its pid in $RUN_PID
start_replay() {
	name=$1
	shift
	mkfifo "$TMPD/$name.fifo"
	(cat "$EX/three-tier.pcap"; sleep 20) >"$TMPD/$name.fifo" &
	FEED_PID=$!
	"$SEGWATCH" run -r "$TMPD/$name.fifo" --inventory "$EX/inventory.yaml" \
		-p "$EX/policies.yaml" --db "$TMPD/$name.db" "$@" 2>"$TMPD/$name.err" &
	RUN_PID=$!
}

stop_run() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	kill "$FEED_PID" 2>/dev/null
	wait "$FEED_PID" 2>/dev/null
}

# whether THREADS has a writer and every thread at nice 0
none_lowered() {
	echo "$1" | grep -q 'sw-writer:0 ' && ! echo "$1" | grep -q ':[1-9]'
}

# whether every thread but main and sw-writer in THREADS is at nice 0
others_at_zero() {
	! echo "$1" | tr ' ' '\n' | grep -v -e '^main:' -e '^sw-writer:' -e '^$' | grep -qv ':0$'
}

# ---- a replay that serves: capture and writer yield to the web server ----
start_replay serving --listen 127.0.0.1:0
if ! wait_for_text "$TMPD/serving.err" "port [0-9]" 100; then
	not_ok replay-serving "no web server: $(head -n 3 "$TMPD/serving.err")"
else
	sleep 1 # the capture thread lowers itself once the web server runs
	port=$(sed -nE 's/.*\(port ([0-9]+)\).*/\1/p' "$TMPD/serving.err" | head -n 1)
	got=$(threads "$RUN_PID")
	code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/api/v1/violations")
	if echo "$got" | grep -q '^main:5 ' && echo "$got" | grep -q 'sw-writer:5 ' &&
		others_at_zero "$got" && [ "$code" = 200 ]; then
		ok "replay-serving # $got"
	else
		not_ok replay-serving "threads (name:nice) $got; /api/v1/violations $code"
	fi
fi
stop_run
if sanitizer_report "$TMPD/serving.err"; then
	not_ok replay-serving-clean "$(head -n 20 "$TMPD/serving.err")"
fi

# ---- the same replay without the web server: nothing lowered ----
start_replay alone
sleep 1.5
got=$(threads "$RUN_PID")
if none_lowered "$got"; then
	ok "replay-alone # $got"
else
	not_ok replay-alone "threads (name:nice) $got"
fi
stop_run

# ---- a live capture that serves: nothing lowered ----
if [ "$(id -u)" -ne 0 ]; then
	skip live-serving "not root: live capture needs CAP_NET_RAW"
	finish
fi
"$SEGWATCH" run -i lo -f "host 127.0.0.9" --inventory "$EX/inventory.yaml" \
	-p "$EX/policies.yaml" --db "$TMPD/live.db" --listen 127.0.0.1:0 2>"$TMPD/live.err" &
RUN_PID=$!
FEED_PID=""
if ! wait_capturing "$TMPD/live.err" || ! wait_for_text "$TMPD/live.err" "port [0-9]" 100; then
	not_ok live-serving "did not start: $(head -n 3 "$TMPD/live.err")"
else
	sleep 0.5
	got=$(threads "$RUN_PID")
	if none_lowered "$got"; then
		ok "live-serving # $got"
	else
		not_ok live-serving "threads (name:nice) $got"
	fi
fi
kill -INT "$RUN_PID" 2>/dev/null
wait "$RUN_PID" 2>/dev/null
finish
