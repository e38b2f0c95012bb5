#!/bin/sh
# segwatch's flows against the generator's truth, and against tshark.
#
# For each capture variant (link types, byte orders, timestamp
# resolutions, pcapng with blocks to skip, VLAN/QinQ, IPv6, fragments, TCP
# endings, idle gaps, CSV, standard input) this generates a small capture
# with tests/tools/pcapgen, runs `$SEGWATCH flows -r FILE` and checks
#   NAME         segwatch's records equal the truth (compare_flows.py
#                segwatch), its exit status is 0, no sanitizer report, and
#                --stats counts every packet as decoded with no drop;
#   NAME/tshark  tshark decodes the capture without an expert error (with
#                checksum validation on) and its conv,tcp / conv,udp tables
#                agree with the truth (compare_flows.py tshark).
# See tests/integration/README.md. Prints "ok NAME" / "not ok NAME: why"
# per check and "N passed, M failed, K skipped" last.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 2
SEGWATCH=${SEGWATCH:-./build/asan/segwatch}
TOOLS=${TOOLS:-./build/rel/tools}
PCAPGEN="$TOOLS/pcapgen"
COMPARE="python3 tests/integration/compare_flows.py"
FLOWS=${FLOWS_TRUTH_FLOWS:-300}

# Every case shares this traffic model; a case adds its own options.
BASE="--flows $FLOWS --mix tcp=60,udp=30,icmp=10 --ipv6-share 30 --fragments 20 \
--tcp-rst 10 --tcp-rejected 10 --tcp-attempt 10 --concurrent 40"

HAVE_TSHARK=0
command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=1

# Shows the first lines of file $1 as comments.
show() {
	head -n "${2:-15}" "$1" | sed 's/^/#   /'
}

# Checks segwatch's --stats line in $1: all $2 packets decoded, none dropped.
check_stats() {
	python3 - "$1" "$2" <<'PY'
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
stats = None
for line in open(path, encoding="utf-8", errors="replace"):
    line = line.strip()
    if line.startswith("{") and '"packets"' in line:
        try:
            stats = json.loads(line)
        except json.JSONDecodeError:
            pass
if stats is None:
    sys.exit("no --stats JSON line on stderr")
problems = []
if stats.get("packets") != want:
    problems.append(f"packets {stats.get('packets')}, the capture has {want}")
if stats.get("decoded") != want:
    problems.append(f"decoded {stats.get('decoded')} of {want}")
if stats.get("dropped"):
    problems.append(f"dropped {json.dumps(stats['dropped'])}")
if problems:
    sys.exit("stats: " + "; ".join(problems))
PY
}

# Total packets of a truth file.
truth_packets() {
	python3 -c 'import json,sys; print(sum(j["src_pkts"] + j["dst_pkts"] for j in map(json.loads, open(sys.argv[1]))))' "$1"
}

# run_case NAME HOW SEGWATCH_EXTRA -- PCAPGEN_OPTIONS...
# HOW is "file" (segwatch -r FILE) or "stdin" (the capture piped to -r -).
# SEGWATCH_EXTRA is added to the segwatch command line (may be empty).
run_case() {
	name=$1 how=$2 extra=$3
	shift 4
	d="$TMPD/$name"
	mkdir -p "$d"
	gen="$PCAPGEN $BASE $*"
	if ! $gen -o "$d/cap" --truth "$d/truth" 2>"$d/gen.err"; then
		not_ok "$name" "pcapgen failed"
		show "$d/gen.err"
		return
	fi
	# shellcheck disable=SC2086,SC2002 # $extra is a list of options; a pipe
	# on purpose, as -r - must not need a seekable standard input
	if [ "$how" = stdin ]; then
		cat "$d/cap" | "$SEGWATCH" flows -r - --stats $extra >"$d/flows" 2>"$d/sw.err"
	else
		"$SEGWATCH" flows -r "$d/cap" --stats $extra >"$d/flows" 2>"$d/sw.err"
	fi
	rc=$?
	if sanitizer_report "$d/sw.err" || [ $rc -ne 0 ]; then
		not_ok "$name" "segwatch exit status $rc"
		show "$d/sw.err" 25
		echo "#   reproduce: $gen -o cap --truth truth"
	elif ! $COMPARE segwatch "$d/truth" "$d/flows" >"$d/cmp" 2>&1; then
		not_ok "$name" "$(tail -n 1 "$d/cmp")"
		show "$d/cmp" 30
		echo "#   reproduce: $gen -o cap --truth truth; segwatch flows -r cap $extra" \
			"(case reads $how)"
	elif ! why=$(check_stats "$d/sw.err" "$(truth_packets "$d/truth")" 2>&1); then
		not_ok "$name" "$why"
	else
		ok "$name"
	fi
	check_tshark "$name" "$d"
}

# NAME/tshark: tshark decodes cleanly and its conversations match.
check_tshark() {
	if [ $HAVE_TSHARK -eq 0 ]; then
		skip "$1/tshark" "tshark is not installed"
		return
	fi
	# Application dissectors would parse the random payloads; decode every
	# port as plain data so that only link, IP and L4 problems show.
	LC_ALL=C tshark -n -r "$2/cap" -q -z expert \
		-d tcp.port==1-65535,data -d udp.port==1-65535,data \
		-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE >"$2/expert" 2>&1
	if grep -qE '^Errors \(|Malformed' "$2/expert"; then
		not_ok "$1/tshark" "tshark reports expert errors in the capture"
		show "$2/expert" 20
	elif ! $COMPARE tshark "$2/truth" "$2/cap" >"$2/tcmp" 2>&1; then
		not_ok "$1/tshark" "$(tail -n 1 "$2/tcmp")"
		show "$2/tcmp" 30
	else
		ok "$1/tshark"
	fi
}

if [ ! -x "$SEGWATCH" ] || [ ! -x "$PCAPGEN" ]; then
	not_ok setup "missing $SEGWATCH or $PCAPGEN (make segwatch build/asan/segwatch build/rel/tools/pcapgen)"
	finish
fi

#        name              how   segwatch  pcapgen options
run_case eth-le-usec       file  "" -- --seed 1
run_case eth-be-usec       file  "" -- --seed 2 --byte-order be
run_case eth-le-nsec       file  "" -- --seed 3 --nanosecond
run_case eth-be-nsec       file  "" -- --seed 4 --byte-order be --nanosecond
run_case pcapng-le         file  "" -- --seed 5 --format pcapng --pcapng-unknown-block
run_case pcapng-be-nsec    file  "" -- --seed 6 --format pcapng --byte-order be --nanosecond --pcapng-unknown-block
run_case sll               file  "" -- --seed 7 --link sll
run_case sll2              file  "" -- --seed 8 --link sll2
run_case sll2-pcapng-nsec  file  "" -- --seed 9 --link sll2 --format pcapng --nanosecond
run_case raw               file  "" -- --seed 10 --link raw
run_case null-le           file  "" -- --seed 11 --link null
run_case null-be           file  "" -- --seed 12 --link null --byte-order be
run_case loop              file  "" -- --seed 13 --link loop
run_case vlan              file  "" -- --seed 14 --vlan 42
run_case qinq              file  "" -- --seed 15 --qinq 100,200
run_case qinq-pcapng       file  "" -- --seed 16 --qinq 4094,1 --format pcapng --byte-order be
run_case ipv6-ext          file  "" -- --seed 17 --ipv6-share 100 --ipv6-ext 50
run_case ipv4-options      file  "" -- --seed 18 --ipv6-share 0 --ip-options 50
run_case fragments         file  "" -- --seed 19 --mix udp=100 --ipv6-share 0 --fragments 100
run_case tcp-endings       file  "" -- --seed 20 --mix tcp=100 --tcp-rst 30 --tcp-rejected 20 --tcp-attempt 20
run_case icmp              file  "" -- --seed 21 --mix icmp=100 --ipv6-share 50
run_case idle-gap          file  "--timeout udp=60s" -- --seed 22 --mix udp=70,tcp=30 --idle-gap 90 --idle-gap-share 50
run_case idle-gap-edge     file  "--timeout udp=60s" -- --seed 32 --mix udp=100 --idle-gap 60 --idle-gap-share 100
run_case snaplen           file  "" -- --seed 23 --snaplen 100 --fragments 0 --ip-options 20
run_case csv               file  "--format csv" -- --seed 24
run_case stdin-pcap        stdin "" -- --seed 25 --vlan 7
run_case stdin-pcapng      stdin "" -- --seed 26 --format pcapng --pcapng-unknown-block --nanosecond
finish
