/*
 * source.h - where frames come from: capture files, live interfaces
 * (libpcap) and, later, NFLOG groups, behind one set of operations.
 *
 * A source is opened whole (configuration validated, handle activated,
 * filter installed) or not at all; sw_source_next() then hands out one
 * frame at a time. Frames are borrowed: valid until the next call on the
 * same source.
 */
#ifndef SEGWATCH_SOURCE_H
#define SEGWATCH_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/error.h"

struct sw_frame {
	const uint8_t *data;
	uint32_t caplen;     /* bytes present in data */
	uint32_t wirelen;    /* original length on the wire */
	uint64_t ts_ns;      /* capture time, ns since the epoch */
	int dlt;             /* link type (DLT_ value) of data */
};

struct sw_source_stats {
	uint64_t frames;         /* handed out by sw_source_next */
	uint64_t kernel_drops;   /* dropped by the kernel (ring/buffer full) */
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
