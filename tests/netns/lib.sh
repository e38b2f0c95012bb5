# tests/netns/lib.sh - test hosts in network namespaces (sourced, POSIX sh).
#
# Builds throw-away "hosts" (network namespaces) joined by veth pairs and
# bridges, gives them addresses, starts servers and clients in them, and
# tears everything down on exit, also when a test fails or is interrupted.
# Traffic never leaves: the namespaces have no route out and no link to
# the machine's own interfaces. See tests/netns/README.md for the
# functions; tests/integration/nflog.sh is an example.
#
# Every namespace of a run is named "swt-<pid>-<random>-<name>", so runs
# in parallel never collide, and a later run removes what a killed run
# left behind (namespaces whose <pid> no longer exists).
#
# Needs root, iproute2 (ip, ss) and python3 (tests/netns/traffic.py).

# The harness's own directory: by default the script sourcing it lives in
# a sibling directory (tests/integration/); set NETNS_DIR otherwise.
NETNS_DIR=${NETNS_DIR:-$(cd "$(dirname "$0")/../netns" && pwd)}
NETNS_RUN=""          # "swt-<pid>-<random>", set by netns_init
NETNS_LIST=""         # full names of the namespaces created, for cleanup
NETNS_PIDS=""         # background processes started by netns_bg
NETNS_ON_EXIT=""      # extra cleanup commands (netns_on_exit)
NETNS_WHY=""          # why netns_init failed, one line
NETNS_LAST_PID=""     # pid of the last netns_bg

# netns_init: checks that namespaces can be made here and arms the
# cleanup trap. Returns 1 with a one-line reason in NETNS_WHY when not
# root, when iproute2 is missing or the kernel has no network namespaces.
netns_init() {
	if [ "$(id -u)" -ne 0 ]; then
		NETNS_WHY="not root: network namespaces need CAP_SYS_ADMIN"
		return 1
	fi
	if ! command -v ip >/dev/null 2>&1; then
		NETNS_WHY="iproute2 (ip) is not installed"
		return 1
	fi
	NETNS_RUN="swt-$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
	netns_gc
	if ! err=$(ip netns add "$NETNS_RUN-probe" 2>&1); then
		NETNS_WHY="no network namespaces: $(echo "$err" | head -n 1)"
		return 1
	fi
	ip netns del "$NETNS_RUN-probe"
	trap 'netns_cleanup' EXIT
	trap 'netns_cleanup; trap - EXIT; exit 130' INT
	trap 'netns_cleanup; trap - EXIT; exit 143' TERM
	return 0
}

# netns_on_exit CMD: runs CMD (a shell string) at cleanup, after the
# namespaces are gone. Use it for what an EXIT trap of your own would do
# (netns_init owns the EXIT trap).
netns_on_exit() {
	NETNS_ON_EXIT="$NETNS_ON_EXIT
$1"
}

# netns_name NAME: the full name of the run's namespace NAME.
netns_name() {
	echo "$NETNS_RUN-$1"
}

# netns_add NAME [ipv6]: creates namespace NAME with its loopback up.
# IPv6 is switched off unless the second argument is "ipv6", so that no
# router solicitation or DAD packet shows up in captures.
netns_add() {
	ns=$(netns_name "$1")
	ip netns add "$ns" || return 1
	NETNS_LIST="$NETNS_LIST $ns"
	if [ "${2:-}" != ipv6 ]; then
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	fi
	ip -n "$ns" link set lo up
}

# netns_bridge NS BRIDGE: creates and brings up BRIDGE (no STP: ports
# forward at once) in namespace NS.
netns_bridge() {
	ns=$(netns_name "$1")
	ip -n "$ns" link add "$2" type bridge stp_state 0 forward_delay 0 &&
		ip -n "$ns" link set "$2" up
}

# netns_veth NS_A IF_A NS_B IF_B: a veth pair, IF_A in NS_A and IF_B in
# NS_B, both up. Interface names: at most 15 characters.
netns_veth() {
	a=$(netns_name "$1")
	b=$(netns_name "$3")
	ip -n "$a" link add "$2" type veth peer name "$4" netns "$b" &&
		ip -n "$a" link set "$2" up && ip -n "$b" link set "$4" up
}

# netns_addr NS IF ADDR/LEN: adds an address (IPv4, or IPv6 when the
# namespace was made with "ipv6").
netns_addr() {
	ip -n "$(netns_name "$1")" addr add "$3" dev "$2"
}

# netns_host NAME SWITCH BRIDGE ADDR/LEN [ipv6]: a host on a bridge:
# namespace NAME whose eth0 has ADDR and is wired to port "p-NAME" of
# BRIDGE in namespace SWITCH. NAME: at most 13 characters.
netns_host() {
	netns_add "$1" "${5:-}" &&
		netns_veth "$1" eth0 "$2" "p-$1" &&
		ip -n "$(netns_name "$2")" link set "p-$1" master "$3" &&
		netns_addr "$1" eth0 "$4"
}

# netns_exec NS CMD [ARGS...]: runs CMD in namespace NS, in the foreground.
netns_exec() {
	ns=$(netns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# netns_bg NS LOG CMD [ARGS...]: starts CMD in namespace NS in the
# background, stdout and stderr to LOG. Its pid is in NETNS_LAST_PID;
# cleanup kills it if it is still running.
netns_bg() {
	ns=$(netns_name "$1")
	log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	NETNS_LAST_PID=$!
	NETNS_PIDS="$NETNS_PIDS $NETNS_LAST_PID"
}

# netns_stop PID [SIGNAL]: sends SIGNAL (default INT) to a process from
# netns_bg and waits for it; returns its exit status.
netns_stop() {
	kill "-${2:-INT}" "$1" 2>/dev/null
	wait "$1"
}

# netns_wait_file FILE PATTERN [SECONDS]: waits until FILE holds a line
# matching the extended regular expression PATTERN (default 5 s).
netns_wait_file() {
	n=$(( ${3:-5} * 10 ))
	while [ "$n" -gt 0 ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# netns_wait_listen NS tcp|udp PORT [SECONDS]: waits until something in
# NS listens on PORT (default 5 s).
netns_wait_listen() {
	n=$(( ${4:-5} * 10 ))
	flag=-t
	[ "$2" = udp ] && flag=-u
	while [ "$n" -gt 0 ]; do
		netns_exec "$1" ss -Hln "$flag" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# netns_traffic NS ARGS...: runs tests/netns/traffic.py in NS (servers
# and clients with known packet patterns; `traffic.py --help`).
netns_traffic() {
	ns=$1
	shift
	netns_exec "$ns" python3 "$NETNS_DIR/traffic.py" "$@"
}

# netns_http_server NS LOG ADDR PORT DIR: python3's http.server serving
# DIR on ADDR:PORT in NS, in the background (waits until it listens).
netns_http_server() {
	netns_bg "$1" "$2" python3 -m http.server --bind "$3" --directory "$5" "$4"
	netns_wait_listen "$1" tcp "$4"
}

# Kills what is left in namespace $1 (every process there was started by
# this run or a run that died), by pid.
netns_kill_inside() {
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
}

# netns_cleanup: stops the background processes, kills whatever still
# runs inside the namespaces, deletes the namespaces (and so their veths
# and bridges), then runs the netns_on_exit commands. Idempotent.
netns_cleanup() {
	for p in $NETNS_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $NETNS_PIDS; do
		n=20
		while [ "$n" -gt 0 ] && kill -0 "$p" 2>/dev/null; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	NETNS_PIDS=""
	for ns in $NETNS_LIST; do
		netns_kill_inside "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_LIST=""
	if [ -n "$NETNS_ON_EXIT" ]; then
		cmds=$NETNS_ON_EXIT
		NETNS_ON_EXIT=""
		eval "$cmds"
	fi
}

# netns_gc: removes namespaces left by runs that died without cleaning up
# (their creator's pid is gone). Called by netns_init.
netns_gc() {
	for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(swt-[0-9][0-9]*-[0-9a-f]*-[^ ]*\).*/\1/p'); do
		pid=$(echo "$ns" | cut -d- -f2)
		if ! kill -0 "$pid" 2>/dev/null; then
			netns_kill_inside "$ns"
			ip netns del "$ns" 2>/dev/null
		fi
	done
}
