/*
 * web.h - the HTTP server of segwatch (libmicrohttpd): the JSON API of
 * /work/api-contract.md (v1), Server-Sent Events, Prometheus /metrics,
 * /healthz and the embedded dashboard.
 *
 * Lifecycle: sw_web_open() validates the whole config, binds and listens,
 * reads the TLS files and opens the database (one read-only store handle
 * per worker thread, one for the event stream, one writable handle for
 * POSTs), all without starting a thread, so that a root caller can drop
 * privileges next; sw_web_run() then starts serving on libmicrohttpd's
 * thread pool. sw_web_start() does both. sw_web_stop() stops and frees.
 *
 * Threads: every callback given in the config may be called from any of
 * the server's threads, concurrently. The functions here are called from
 * one thread (the owner of the handle).
 */
#ifndef SEGWATCH_WEB_H
#define SEGWATCH_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "segwatch/decode.h"
#include "segwatch/error.h"
#include "segwatch/match.h"

/* Live statistics of `segwatch run` (the contract's last section). */
struct sw_web_live {
	uint64_t started_ns;
	char sources[256];                      /* "pcap:eth1 nflog:5" */
	uint64_t frames, packets;               /* read, decoded */
	uint64_t drops[SW_DROP_REASON_COUNT];   /* by reason; index 0 unused */
	uint64_t flows_active, flows_ended, flows_judged;
	uint64_t denied_flows[SW_REASON_COUNT]; /* judged flows by reason */
	uint64_t anomalies[4];                  /* new_edge, volume, new_external, fanout */
	uint64_t store_backlog, store_failed_batches, store_dropped;
};
/* Fills *out; must be thread-safe (called from the server's threads). */
typedef void (*sw_web_live_fn)(void *ctx, struct sw_web_live *out);

#define SW_WEB_LISTEN_DEFAULT "127.0.0.1:8080"
#define SW_WEB_MAX_CONNECTIONS_DEFAULT 256
#define SW_WEB_TIMEOUT_DEFAULT_S 30
#define SW_WEB_MAX_BODY_DEFAULT (16 * 1024)
#define SW_WEB_THREADS_DEFAULT 2
#define SW_WEB_THREADS_MAX 64
/* A bearer token shorter than this is refused. */
#define SW_WEB_TOKEN_MIN 16

/* Every string is borrowed for the sw_web_open() call only (copied). Zero
 * numbers mean the defaults above. */
struct sw_web_config {
	const char *db_path;              /* an existing database; required */
	const char *listen;               /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0";
	                                   * NULL: the default; port 0: any free port */
	const char *tls_cert_file;        /* PEM; both or neither */
	const char *tls_key_file;
	const char *token;                /* bearer token for /api; NULL: none (then
	                                   * reads are open and writes refused) */
	sw_web_live_fn live;              /* NULL in serve mode */
	void *live_ctx;
	unsigned max_connections;
	unsigned connection_timeout_s;
	size_t max_body;                  /* request bodies; larger: 413 */
	unsigned threads;                 /* libmicrohttpd's thread pool */
	sw_warn_fn log;                   /* warnings (a db that cannot be written,
	                                   * internal errors); NULL: none */
	void *log_ctx;
};

struct sw_web;

/* Validates cfg, binds and listens, reads the TLS files and opens the
 * database, without starting any thread. Returns NULL with err set:
 * SW_ERR_INVALID (config: bad listen address, token too short, only one
 * of cert/key, zero limits out of range), SW_ERR_IO (cannot listen: the
 * message is "cannot listen on ADDR: REASON"; cannot read a TLS file),
 * SW_ERR_UNSUPPORTED (TLS asked but libmicrohttpd lacks it), SW_ERR_NOTFOUND
 * (no database at db_path), or the store's errors (err->file = db_path).
 * Caller frees with sw_web_stop(). */
struct sw_web *sw_web_open(const struct sw_web_config *cfg, struct sw_err *err) SW_WUR;

/* Starts serving on libmicrohttpd's thread pool and the event-stream
 * thread. SW_ERR_IO when libmicrohttpd refuses to start (err says why). */
enum sw_status sw_web_run(struct sw_web *w, struct sw_err *err) SW_WUR;

/* sw_web_open() then sw_web_run(). */
struct sw_web *sw_web_start(const struct sw_web_config *cfg, struct sw_err *err) SW_WUR;

/* The bound port (useful with port 0). */
uint16_t sw_web_port(const struct sw_web *w);

/* Stops the threads (every stream is ended), closes the socket and the
 * database, frees w. NULL is a no-op. */
void sw_web_stop(struct sw_web *w);

/* Requests answered since start, all routes and codes. */
struct sw_web_stats {
	uint64_t requests;
	uint64_t errors_4xx, errors_5xx;
	uint64_t cache_hits, cache_misses;
	uint64_t streams;                 /* event-stream clients connected now */
};
void sw_web_stats(const struct sw_web *w, struct sw_web_stats *out);

#endif
