/*
 * capture_opts.h - the command-line options every capturing command
 * shares (-r, -i, --nflog, --filter, --snaplen, --buffer-size,
 * --nflog-buffer-size, --no-promisc, --immediate, --max-flows, --timeout,
 * --user), turning them into sources and a flow-table configuration, and
 * dropping root once the sources are open.
 */
#ifndef SEGWATCH_CLI_CAPTURE_OPTS_H
#define SEGWATCH_CLI_CAPTURE_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "segwatch/capture.h"
#include "segwatch/flowtable.h"
#include "segwatch/source.h"

#define CAPTURE_MAX_INPUTS 16
/* NFLOG groups at most (one source, one socket each). */
#define CAPTURE_MAX_NFLOG 32

enum capture_opt_id {
	OPT_SNAPLEN = 1000,
	OPT_BUFFER_SIZE,
	OPT_NO_PROMISC,
	OPT_IMMEDIATE,
	OPT_MAX_FLOWS,
	OPT_TIMEOUT,
	OPT_FILTER,
	OPT_NFLOG,
	OPT_NFLOG_BUFFER,
	OPT_USER,
	CAPTURE_OPT_LAST
};

#define CAPTURE_SHORT_OPTS "r:i:f:"
#define CAPTURE_LONG_OPTS                                            \
	{"read", required_argument, NULL, 'r'},                      \
	{"interface", required_argument, NULL, 'i'},                 \
	{"nflog", required_argument, NULL, OPT_NFLOG},               \
	{"nflog-buffer-size", required_argument, NULL, OPT_NFLOG_BUFFER}, \
	{"filter", required_argument, NULL, 'f'},                    \
	{"snaplen", required_argument, NULL, OPT_SNAPLEN},           \
	{"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},   \
	{"no-promisc", no_argument, NULL, OPT_NO_PROMISC},           \
	{"immediate", no_argument, NULL, OPT_IMMEDIATE},             \
	{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},       \
	{"timeout", required_argument, NULL, OPT_TIMEOUT},           \
	{"user", required_argument, NULL, OPT_USER}

#define CAPTURE_HELP                                                              \
	"Sources (at least one; several may be combined):\n"                      \
	"  -r, --read FILE          read a pcap/pcapng capture ('-' = stdin)\n"     \
	"  -i, --interface IFACE    capture live on IFACE (libpcap, mmap ring)\n"   \
	"      --nflog GROUP[,...]  packets that iptables/nftables rules log to\n"  \
	"                           these NFLOG groups (0-65535), with the rule's\n" \
	"                           prefix; its first word DROP, REJECT or ACCEPT\n" \
	"                           sets the flow's fw_verdict\n"                 \
	"  -f, --filter EXPR        BPF filter expression (tcpdump syntax)\n"       \
	"      --snaplen N          bytes kept per packet (default 262144)\n"       \
	"      --buffer-size SIZE   kernel ring per interface (default 64M)\n"      \
	"      --nflog-buffer-size SIZE  socket buffer per NFLOG group (64M)\n"  \
	"      --no-promisc         do not put interfaces in promiscuous mode\n"    \
	"      --immediate          deliver packets at once (lower latency)\n"      \
	"Flow table:\n"                                                           \
	"      --max-flows N        flows held at once (default 1048576);\n"        \
	"                           the longest-idle flow is evicted beyond it\n"   \
	"      --timeout CLASS=DUR  idle timeout per class: tcp (300s),\n"          \
	"                           tcp_closed (5s), udp (60s), icmp (60s),\n"      \
	"                           other (60s); or active (60s, 0 = never)\n"      \
	"                           DUR is N[ms|s|m|h|d]\n"                      \
	"Privileges:\n"                                                           \
	"      --user NAME          as root: run as NAME (default nobody) with no\n"  \
	"                           capabilities once sources and outputs are\n"   \
	"                           open; --user root keeps root. Not root:\n"     \
	"                           nothing changes; only the current user is\n"   \
	"                           accepted\n"

struct capture_opts {
	const char *files[CAPTURE_MAX_INPUTS];
	int n_files;
	const char *ifaces[CAPTURE_MAX_INPUTS];
	int n_ifaces;
	uint16_t nflog_groups[CAPTURE_MAX_NFLOG];
	int n_nflog;
	uint64_t nflog_buffer;        /* 0: SW_NFLOG_DEFAULT_BUFFER */
	const char *filter;
	struct sw_live_config live;   /* iface filled per interface */
	struct sw_flowtable_config ft;
	const char *user;             /* --user; NULL: SW_PRIVDROP_DEFAULT_USER */
};

void capture_opts_init(struct capture_opts *o);

/* Handles one getopt_long result. Returns 1 when it was a capture option
 * (applied), 0 when it is not one of ours, -1 on a bad value (message
 * printed naming the option). */
int capture_opts_handle(struct capture_opts *o, int opt, const char *arg);

/* Checks that at least one source was given and that --user names a
 * user this process can become: an existing one, and when not running as
 * root, the current user (message printed). */
bool capture_opts_valid(const struct capture_opts *o);

/* Whether every source is a capture file (none live: no interface, no
 * NFLOG group). */
bool capture_opts_files_only(const struct capture_opts *o);

/* Opens every source into cap. On failure prints one line and returns
 * the status. */
enum sw_status capture_opts_open(const struct capture_opts *o, struct sw_capture *cap);

/* To be called once every privileged resource is open (sources here, a
 * listen socket where a command has one) and every file the command
 * writes is open and every input it reads later is read: as root, drops
 * to o->user (default nobody) with no capabilities left, unless that user
 * is root itself; otherwise does nothing. On failure prints one line and
 * returns the status; the command must then stop. */
enum sw_status capture_opts_drop_privileges(const struct capture_opts *o) SW_WUR;

/* Prints an error on stderr as "segwatch: file:line:col: message". */
void cli_print_err(const struct sw_err *err);

/* A sw_warn_fn printing "segwatch: warning: ..." on stderr. */
void cli_warn(void *ctx, const struct sw_err *w);

/* A store notice (struct sw_store_config) printed as "segwatch: ..." on
 * stderr. */
void cli_notice(void *ctx, const char *msg);

#endif
