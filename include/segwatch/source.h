/*
 * source.h - where frames come from: capture files, live interfaces
 * (libpcap) and NFLOG groups (libnetfilter_log), behind one set of
 * operations.
 *
 * A source is opened whole (configuration validated, handle activated,
 * filter installed) or not at all; sw_source_next() then hands out one
 * frame at a time. Frames are borrowed: valid until the next call on the
 * same source.
 *
 * NFLOG frames carry what the firewall rule that logged them said
 * (struct sw_fw_meta): the rule's prefix, the verdict read from it, the
 * group, interfaces, mark and hook.
 */
#ifndef SEGWATCH_SOURCE_H
#define SEGWATCH_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/error.h"

/* ---- firewall metadata (NFLOG) ------------------------------------------
 *
 * Prefix convention: the first word of a rule's log prefix says what the
 * rule does with the packets it logs. The word is compared without regard
 * to case and ends at a space, a tab, a ':' or the end of the prefix
 * (leading blanks are skipped):
 *   "DROP ..."   -> SW_FW_DROP     (the packet was dropped)
 *   "REJECT ..." -> SW_FW_REJECT   (dropped with an ICMP error / TCP RST)
 *   "ACCEPT ..." -> SW_FW_ACCEPT   (the packet passed)
 *   anything else, "LOG ..." or no prefix -> SW_FW_LOG (verdict unknown)
 * e.g. "DROP web->db", "accept: dns", "REJECT". "DROPPED x" is SW_FW_LOG.
 */
enum sw_fw_verdict {
	SW_FW_NONE = 0,  /* no firewall log seen (a flow seen only by libpcap) */
	SW_FW_LOG,       /* logged; the prefix does not say the verdict */
	SW_FW_ACCEPT,
	SW_FW_DROP,
	SW_FW_REJECT     /* strongest: a flow keeps the strongest verdict seen */
};

/* Stored prefix bytes, including the NUL. iptables' NFLOG target allows
 * 63 characters; longer (nft) prefixes are cut at a UTF-8 boundary. */
#define SW_FW_PREFIX_MAX 64
/* Interface names, including the NUL (the kernel's IFNAMSIZ). */
#define SW_FW_IFNAME_MAX 16

/* What a firewall log rule said about one packet; kept per flow from the
 * packet that set the flow's verdict. Strings are NUL-terminated, "" when
 * absent. */
struct sw_fw {
	uint8_t verdict;   /* enum sw_fw_verdict */
	uint8_t family;    /* NFPROTO_ of the hook: 2 IPv4, 10 IPv6, 7 bridge, 5 netdev */
	uint8_t hook;      /* hook number within the family (see sw_fw_hook_name) */
	uint8_t spare;
	uint16_t group;    /* NFLOG group */
	uint32_t mark;     /* packet mark (0: none) */
	char prefix[SW_FW_PREFIX_MAX];
	char in[SW_FW_IFNAME_MAX];   /* input interface name, "" when none */
	char out[SW_FW_IFNAME_MAX];  /* output interface name, "" when none */
};

/* Per-frame NFLOG metadata: the flow-level facts plus interface indexes. */
struct sw_fw_meta {
	struct sw_fw fw;
	uint32_t indev;    /* input ifindex, 0 when none */
	uint32_t outdev;   /* output ifindex, 0 when none */
};

/* The verdict a log prefix announces (convention above). prefix may be
 * NULL (SW_FW_LOG). Borrows prefix. */
enum sw_fw_verdict sw_fw_verdict_parse(const char *prefix);

/* "accept", "drop", "reject", "log", or "none". */
const char *sw_fw_verdict_name(enum sw_fw_verdict v);

/* The hook's name for its family: "prerouting", "input", "forward",
 * "output", "postrouting" (IPv4, IPv6, bridge), "ingress"/"egress"
 * (netdev); NULL when unknown. */
const char *sw_fw_hook_name(uint8_t family, uint8_t hook);

/* ---- frames and sources ------------------------------------------------ */

struct sw_frame {
	const uint8_t *data;
	uint32_t caplen;     /* bytes present in data */
	uint32_t wirelen;    /* original length on the wire */
	uint64_t ts_ns;      /* capture time, ns since the epoch */
	int dlt;             /* link type (DLT_ value) of data */
	/* Firewall metadata, set by NFLOG sources (borrowed like data);
	 * sources without any leave it untouched, so callers set it to NULL
	 * before calling sw_source_next(). */
	const struct sw_fw_meta *fw;
};

struct sw_source_stats {
	uint64_t frames;         /* handed out by sw_source_next */
	uint64_t kernel_drops;   /* dropped by the kernel (ring/buffer full);
	                          * NFLOG: messages lost, from sequence gaps */
	uint64_t iface_drops;    /* dropped by the interface/driver */
};

struct sw_live_config {
	const char *iface;       /* borrowed */
	const char *filter;      /* BPF expression or NULL; borrowed */
	uint32_t snaplen;        /* 0: 262144 */
	uint64_t buffer_bytes;   /* kernel ring size; 0: 64 MiB */
	bool promisc;
	bool immediate;          /* deliver each packet at once */
};

enum sw_next {
	SW_NEXT_FRAME = 1,       /* *frame is filled */
	SW_NEXT_NONE = 0,        /* nothing right now (live source, timeout) */
	SW_NEXT_EOF = 2          /* a file has ended */
};

struct sw_source;

/* Opens a capture file (pcap or pcapng, any byte order, micro- or
 * nanosecond), or standard input when path is "-". filter may be NULL. */
enum sw_status sw_source_open_file(const char *path, const char *filter,
                                   struct sw_source **out, struct sw_err *err) SW_WUR;

/* Opens and activates a live capture. Uses libpcap's memory-mapped ring
 * (TPACKET_V3 on Linux; libpcap picks TPACKET_V2 in immediate mode). */
enum sw_status sw_source_open_live(const struct sw_live_config *cfg,
                                   struct sw_source **out, struct sw_err *err) SW_WUR;

#define SW_NFLOG_DEFAULT_BUFFER (64ull * 1024 * 1024)

struct sw_nflog_config {
	uint16_t group;          /* NFLOG group, 0..65535 */
	uint64_t buffer_bytes;   /* socket receive buffer; 0: 64 MiB */
};

/* Binds one NFLOG group (libnetfilter_log) in the caller's network
 * namespace (groups are per namespace): whole packets (copy range
 * 0xffff), sequence numbers on, batches of up to 64 KiB flushed at least
 * every 10 ms, a socket receive buffer of cfg->buffer_bytes
 * (SO_RCVBUFFORCE; the kernel doubles it for its bookkeeping). Frames are
 * raw IP (source dlt DLT_RAW; per frame DLT_IPV4 or DLT_IPV6 as the
 * kernel says) with frame->fw set. Timestamps are the kernel's where it
 * gives one (prerouting, input, forward), else the clock when the batch
 * arrived (output, postrouting: up to 10 ms late). Borrows cfg; the
 * caller closes *out with sw_source_close().
 * Errors, each one line saying what to do: SW_ERR_PERM (not root / no
 * CAP_NET_ADMIN), SW_ERR_BUSY (group bound by another socket, e.g.
 * ulogd), SW_ERR_UNSUPPORTED (no nfnetlink / nfnetlink_log in the
 * kernel), SW_ERR_IO otherwise. Lost messages (netlink ENOBUFS) are
 * counted in kernel_drops, never an error. */
enum sw_status sw_source_open_nflog(const struct sw_nflog_config *cfg,
                                    struct sw_source **out, struct sw_err *err) SW_WUR;

/* NFLOG only: receive-buffer overflows (netlink ENOBUFS) seen so far;
 * 0 for other sources. kernel_drops says how many messages they cost. */
uint64_t sw_source_overflows(const struct sw_source *src);

/* Returns SW_NEXT_FRAME, SW_NEXT_NONE or SW_NEXT_EOF; or a negative
 * enum sw_status with err set (a broken file: what was read stays valid).
 * Live sources never block longer than about 100 ms. */
int sw_source_next(struct sw_source *src, struct sw_frame *frame, struct sw_err *err);

/* A descriptor to poll for readability, or -1 (files). */
int sw_source_fd(const struct sw_source *src);
bool sw_source_is_live(const struct sw_source *src);
/* The link type (DLT_ value) of the frames the source delivers. */
int sw_source_dlt(const struct sw_source *src);
/* The file's path, or "interface NAME": for messages and statistics. */
const char *sw_source_name(const struct sw_source *src);
void sw_source_stats(struct sw_source *src, struct sw_source_stats *out);
/* Closes and frees. NULL is a no-op. */
void sw_source_close(struct sw_source *src);

#endif
