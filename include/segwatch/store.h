/*
 * store.h - the SQLite store: runs, the inventory and policies, ended
 * flows, deduplicated violations (with triage state), and the tables for
 * baselines and anomalies. `segwatch run` writes it; the web API reads it.
 *
 * Schema: schema/NNN_name.sql, built into the binary. sw_store_open()
 * applies every migration N with PRAGMA user_version < N, each in one
 * transaction, and refuses a database whose version is newer than the
 * binary knows.
 *
 * Connection settings: WAL journal (readers never block the writer), foreign
 * keys on (a flow's are checked when its batch commits), synchronous=NORMAL: in WAL mode a commit then survives the
 * process dying at any point (SIGKILL, crash: the committed pages are in the
 * WAL, which the next open replays) and the file is never corrupted; only
 * an OS crash or power loss may lose the last commits, and fsync happens at
 * checkpoints rather than at every commit, which the batched writer needs.
 *
 * Writes go in batches: sw_store_begin_batch(), any number of put/upsert
 * calls, sw_store_commit_batch() (or sw_store_rollback_batch()). Every
 * statement is prepared once and cached in the handle; values are always
 * bound, never pasted into SQL. Put/upsert calls outside a batch run in a
 * transaction of their own.
 *
 * Times are nanoseconds since the Unix epoch. An identity is the inventory
 * endpoint id ("ns/name"), or the address text for an external address.
 *
 * Threads: a handle is used by one thread at a time. Several handles
 * (processes or threads) may open the same file: one writer at a time,
 * readers alongside it.
 */
#ifndef SEGWATCH_STORE_H
#define SEGWATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"
#include "segwatch/flowtable.h"
#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/violations.h"

#define SW_STORE_BUSY_TIMEOUT_DEFAULT_MS 5000
/* SQLite's page cache per handle: the flow indexes are written at random
 * places, and a small cache makes each insert re-read index pages. */
#define SW_STORE_CACHE_DEFAULT_MIB 64
#define SW_STORE_CACHE_MAX_MIB 4096
/* The page size of a database the store creates (an existing one keeps
 * its own): a flow goes into the table and six indexes, and with 16 KiB
 * pages these inserts touch fewer pages (schema/README.md). */
#define SW_STORE_NEW_PAGE_SIZE 16384u
/* A writer checkpoints the WAL into the database once it holds this many
 * bytes, whatever the page size (SQLite's 1000 pages would be 16 MiB: on a
 * small disk the WAL filled it before any checkpoint). */
#define SW_STORE_WAL_CHECKPOINT (1u << 20)

struct sw_store_config {
	unsigned busy_timeout_ms; /* wait for another writer's lock; 0: default */
	unsigned cache_mib;       /* page cache; 0: default; at most the max */
	bool read_only;           /* no migrations, no writes; the database must
	                           * exist at the binary's schema version */
	/* Told (may be NULL) when an existing database is about to be
	 * upgraded, and again when it is: on a large one the migrations
	 * rebuild indexes for minutes, which must not look like a hang. */
	void (*notice)(void *ctx, const char *msg);
	void *notice_ctx;
};

struct sw_store;

/* Opens path, creating it when absent (unless read_only), sets the
 * connection up and migrates it. Borrows cfg (NULL: defaults). Returns NULL
 * with err set (err->file = path, one line saying what to do):
 * SW_ERR_IO (cannot create/open/write: permissions, missing directory),
 * SW_ERR_PARSE (not a SQLite database, or corrupt), SW_ERR_BUSY (locked by
 * another process), SW_ERR_UNSUPPORTED (schema newer than this binary, or
 * read_only and older), SW_ERR_INVALID (cfg out of range), SW_ERR_NOMEM. Caller frees with sw_store_close. */
struct sw_store *sw_store_open(const char *path, const struct sw_store_config *cfg,
                               struct sw_err *err) SW_WUR;

/* Rolls back an open batch, finalizes every statement and closes. NULL is
 * a no-op. */
void sw_store_close(struct sw_store *st);

/* SQLite's data_version of this handle: it changes whenever another
 * connection commits, so a reader can tell that its cached answers are
 * stale. -1 when it cannot be read. */
int64_t sw_store_data_version(struct sw_store *st);

/* The schema version of the open database, and the newest this binary
 * knows. */
int sw_store_schema_version(const struct sw_store *st);
int sw_store_schema_latest(void);

/* ---- runs ---- */

struct sw_store_run_stats {
	uint64_t packets;
	uint64_t drops;
	uint64_t flows;
	const char *json;      /* per-source statistics as JSON text, or NULL */
};

/* Records the start of a run (sources: free text such as "pcap:eth1",
 * borrowed) and makes it the handle's current run: later flows belong to
 * it. *run_id (may be NULL) gets the run's id. Not inside a batch. */
enum sw_status sw_store_run_begin(struct sw_store *st, uint64_t started_ns,
                                  const char *sources, int64_t *run_id,
                                  struct sw_err *err) SW_WUR;
/* Records the end of the current run with its statistics (borrowed). */
enum sw_status sw_store_run_end(struct sw_store *st, uint64_t ended_ns,
                                const struct sw_store_run_stats *stats,
                                struct sw_err *err) SW_WUR;

/* Whether the file at the handle's path is no longer the one it opened
 * (deleted, moved, or replaced by another file): writes are refused then
 * (sw_store_begin_batch says why), and a server reopens the path. A path
 * this process may not look up (after dropping privileges) counts as
 * unchanged. */
bool sw_store_file_replaced(const struct sw_store *st);

/* ---- batched writes ---- */

enum sw_status sw_store_begin_batch(struct sw_store *st, struct sw_err *err) SW_WUR;
/* Commits. On failure the batch is rolled back (nothing of it is kept). */
enum sw_status sw_store_commit_batch(struct sw_store *st, struct sw_err *err) SW_WUR;
/* Discards the open batch; a no-op without one. */
void sw_store_rollback_batch(struct sw_store *st);

/* An ended flow and its judgement. Everything is borrowed for the call. */
struct sw_store_flow {
	const struct sw_flow *flow;
	enum sw_flow_end end;
	const char *src_id;    /* endpoint ids, NULL when external */
	const char *dst_id;
	enum sw_reason reason; /* the judgement: denied_* means denied */
	int64_t violation_id;  /* the store's violation row, 0 when none */
};

/* Stores the flow, and for each endpoint side the (address, identity)
 * pair that the flows API's ip filter searches by (once per handle). Its
 * foreign keys (the run, the violation) are checked when the batch
 * commits: a flow naming a violation that does not exist fails
 * sw_store_commit_batch. On failure, some of what the call stored may stay
 * in the open batch: roll it back. */
enum sw_status sw_store_put_flow(struct sw_store *st, const struct sw_store_flow *sf,
                                 struct sw_err *err) SW_WUR;

/* sw_store_put_flow for sf[0..n-1], in order, SW_STORE_FLOWS_PER_INSERT
 * rows per statement (the rest one by one): a statement opens the table
 * and its indexes once for all its rows, which makes a flow about a
 * quarter cheaper to store. */
#define SW_STORE_FLOWS_PER_INSERT 32
enum sw_status sw_store_put_flows(struct sw_store *st, const struct sw_store_flow *sf,
                                  size_t n, struct sw_err *err) SW_WUR;

/* Inserts v's key or adds to its row: v's counters are added (they are
 * what this writer has not yet stored of the key: the first time, all it
 * counted), first/last seen widen, firewall verdict, summary and
 * explanation are replaced; samples stay those the row was created with.
 * Adding, not setting, keeps the totals right when several writers (runs
 * at once on one database) count the same key. Triage state is untouched.
 * *row_id (may be NULL) gets the row's id (stable for the key). Borrows v. */
enum sw_status sw_store_upsert_violation(struct sw_store *st, const struct sw_violation *v,
                                         int64_t *row_id, struct sw_err *err) SW_WUR;

/* The cheap path for a violation this writer stored before (row_id from
 * sw_store_upsert_violation): v's counters are added, first/last seen and
 * firewall verdict change, exactly as the upsert would change them; the
 * explanation, summary and samples are left alone. SW_ERR_NOTFOUND when
 * the row is gone. Borrows v. */
enum sw_status sw_store_update_violation(struct sw_store *st, int64_t row_id,
                                         const struct sw_violation *v,
                                         struct sw_err *err) SW_WUR;

/* The service map's counts of one edge in one minute (schema 003): added
 * to the row of (minute_ns, src, dst, proto, port); denied and the
 * violation are the latest known. src/dst are identities; *_endpoint
 * tells that the identity is an endpoint id (its namespace is stored).
 * Borrows e. */
struct sw_store_edge_minute {
	uint64_t minute_ns;
	const char *src, *dst;
	bool src_endpoint, dst_endpoint;
	uint8_t proto;
	uint16_t port;
	uint64_t flows, bytes;
	bool denied;
	int64_t violation_id;  /* 0: none */
};
enum sw_status sw_store_add_edge_minute(struct sw_store *st, const struct sw_store_edge_minute *e,
                                        struct sw_err *err) SW_WUR;

/* Upserts every namespace (by name) and endpoint (by id) of inv with
 * loaded_ns; rows missing from inv are kept. Borrows inv. */
enum sw_status sw_store_put_inventory(struct sw_store *st, const struct sw_inventory *inv,
                                      uint64_t loaded_ns, struct sw_err *err) SW_WUR;

/* Upserts every policy of set by (namespace, name); changed_ns moves only
 * when the content hash changes. Borrows set. */
enum sw_status sw_store_put_policies(struct sw_store *st, const struct sw_policy_set *set,
                                     uint64_t loaded_ns, struct sw_err *err) SW_WUR;

/* Records which endpoints of inv each policy of set selects (same
 * namespace, podSelector matches the labels), replacing every earlier
 * record; policies must have been stored (sw_store_put_policies) first.
 * Borrows both. */
enum sw_status sw_store_put_selections(struct sw_store *st, const struct sw_policy_set *set,
                                       const struct sw_inventory *inv,
                                       struct sw_err *err) SW_WUR;

/* Retention: deletes flows that ended (last packet) before older_than_ns;
 * *deleted (may be NULL) gets how many. Not inside a batch. */
enum sw_status sw_store_prune_flows(struct sw_store *st, uint64_t older_than_ns,
                                    uint64_t *deleted, struct sw_err *err) SW_WUR;

/* ---- triage ---- */

enum sw_triage { SW_TRIAGE_OPEN = 0, SW_TRIAGE_ACKNOWLEDGED, SW_TRIAGE_RESOLVED };
#define SW_TRIAGE_COUNT 3

/* "open", "acknowledged", "resolved"; NULL for other values. */
const char *sw_triage_name(enum sw_triage t);
/* SW_ERR_NOTFOUND for an unknown name. */
enum sw_status sw_triage_parse(const char *name, enum sw_triage *out) SW_WUR;

/* Moves violation id to state, recording when (now_ns) and who (borrowed,
 * may be NULL). Transitions: open -> acknowledged | resolved,
 * acknowledged -> open | resolved, resolved -> open (reopen); the same
 * state again is a no-op. Errors: SW_ERR_INVALID (not a state, or
 * resolved -> acknowledged), SW_ERR_NOTFOUND (no such violation). */
enum sw_status sw_store_set_violation_state(struct sw_store *st, int64_t id,
                                            enum sw_triage state, const char *who,
                                            uint64_t now_ns, struct sw_err *err) SW_WUR;

/* ---- reads ---- */

/* Which violations: every field set narrows (AND). Order: last seen
 * descending, then id descending. Borrows its strings. */
struct sw_store_vfilter {
	uint64_t since_ns;     /* last seen >= since; 0: no bound */
	uint64_t until_ns;     /* first seen <= until; 0: no bound */
	const char *src;       /* identity, exact; NULL: any */
	const char *dst;
	const char *ns;        /* either side's namespace */
	bool has_reason;
	enum sw_reason reason;
	bool has_state;
	enum sw_triage state;
	bool has_proto;
	uint8_t proto;
	bool has_port;         /* needs has_proto */
	uint16_t port;
	size_t limit;          /* list only; 0: 100; at most 10000 */
	/* keyset cursor: rows strictly after (cursor_last_ns, cursor_id) in
	 * the order above; cursor_id 0: from the start */
	uint64_t cursor_last_ns;
	int64_t cursor_id;
};

/* A violation row; strings valid only during the callback. */
struct sw_store_violation {
	int64_t id;
	const char *src, *dst;
	const char *src_endpoint, *dst_endpoint; /* NULL when external */
	const char *src_ip, *dst_ip;
	uint8_t proto;
	uint16_t port;
	enum sw_reason reason;
	uint64_t first_seen_ns, last_seen_ns;
	uint64_t flows, src_pkts, src_bytes, dst_pkts, dst_bytes;
	const char *fw_verdict, *fw_prefix;    /* NULL when none */
	const char *sample_flow_ids;           /* JSON array */
	const char *summary;
	const char *explanation;               /* JSON, NULL when unknown */
	enum sw_triage state;
	uint64_t state_changed_ns;             /* 0 when never changed */
	const char *acknowledged_by, *resolved_by; /* NULL when not set */
};

typedef void (*sw_store_violation_fn)(void *ctx, const struct sw_store_violation *v);

enum sw_status sw_store_count_violations(struct sw_store *st,
                                         const struct sw_store_vfilter *f,
                                         uint64_t *count, struct sw_err *err) SW_WUR;

/* Calls fn for each matching row, at most f->limit. *more (may be NULL)
 * tells whether rows remain after the last one given; the caller's next
 * cursor is the last row's (last_seen_ns, id). */
enum sw_status sw_store_list_violations(struct sw_store *st, const struct sw_store_vfilter *f,
                                        sw_store_violation_fn fn, void *ctx, bool *more,
                                        struct sw_err *err) SW_WUR;

/* The query plan SQLite chooses for the list query of f (EXPLAIN QUERY
 * PLAN details, one per line), for diagnostics and tests: a malloc'd
 * string the caller frees with free(). */
enum sw_status sw_store_violations_plan(struct sw_store *st, const struct sw_store_vfilter *f,
                                        char **plan, struct sw_err *err) SW_WUR;

#endif
