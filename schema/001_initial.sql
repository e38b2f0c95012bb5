-- 001_initial.sql - the first segwatch schema (user_version 1).
-- Times are integer nanoseconds since the Unix epoch (UTC). Identities are
-- the inventory endpoint id ("ns/name") or, for an address that belongs to
-- no endpoint, the address text; *_ns columns hold the namespace (NULL for
-- external addresses). JSON columns hold JSON text for SQLite's json_*().

-- Migrations applied to this file, written by the migration runner.
CREATE TABLE schema_meta (
	version     INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	applied_ns  INTEGER NOT NULL
);

-- One row per `segwatch run` (or other writer session).
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	started_ns  INTEGER NOT NULL,
	ended_ns    INTEGER,                    -- NULL while running or after a crash
	sources     TEXT NOT NULL DEFAULT '',   -- e.g. "pcap:eth1 nflog:5"
	packets     INTEGER NOT NULL DEFAULT 0, -- capture statistics at the end
	drops       INTEGER NOT NULL DEFAULT 0,
	flows       INTEGER NOT NULL DEFAULT 0,
	stats       TEXT                        -- JSON: per-source statistics
);
CREATE INDEX runs_started ON runs(started_ns);

-- From the inventory. Rows are kept when a later inventory drops them
-- (old flows still name them); loaded_ns tells when they were last seen.
CREATE TABLE namespaces (
	name        TEXT PRIMARY KEY,
	labels      TEXT NOT NULL DEFAULT '{}', -- JSON object
	loaded_ns   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE endpoints (
	id          TEXT PRIMARY KEY,           -- "ns/name"
	ns          TEXT NOT NULL REFERENCES namespaces(name),
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL,
	labels      TEXT NOT NULL DEFAULT '{}', -- JSON object
	addresses   TEXT NOT NULL DEFAULT '[]', -- JSON array of prefixes
	ports       TEXT NOT NULL DEFAULT '[]', -- JSON array of {name, proto, port}
	file        TEXT,
	line        INTEGER,
	loaded_ns   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX endpoints_ns ON endpoints(ns);

-- Loaded policies, one row per (namespace, name).
CREATE TABLE policies (
	id          INTEGER PRIMARY KEY,
	ns          TEXT NOT NULL,
	name        TEXT NOT NULL,
	origin      TEXT NOT NULL,              -- "k8s" or "compose"
	file        TEXT,
	line        INTEGER,
	content_hash TEXT NOT NULL,
	loaded_ns   INTEGER NOT NULL,           -- last load
	changed_ns  INTEGER NOT NULL,           -- first load of this content_hash
	UNIQUE (ns, name)
);
CREATE INDEX policies_hash ON policies(content_hash);

-- Deduplicated violations: one row per key (src, dst, proto, port, reason).
-- Counters are totals: prior_* hold what earlier runs counted (folded in
-- when a run begins), the rest is prior_* + the current run's aggregate.
CREATE TABLE violations (
	id          INTEGER PRIMARY KEY,
	src         TEXT NOT NULL,
	dst         TEXT NOT NULL,
	proto       INTEGER NOT NULL,
	port        INTEGER NOT NULL,
	reason      TEXT NOT NULL CHECK (reason IN
	                ('denied_ingress', 'denied_egress', 'denied_both')),
	src_endpoint TEXT,                      -- NULL when external
	dst_endpoint TEXT,
	src_ns      TEXT,
	dst_ns      TEXT,
	src_ip      TEXT NOT NULL,              -- address of the first flow
	dst_ip      TEXT NOT NULL,
	first_seen_ns INTEGER NOT NULL,
	last_seen_ns  INTEGER NOT NULL,
	flows       INTEGER NOT NULL DEFAULT 0,
	src_pkts    INTEGER NOT NULL DEFAULT 0,
	src_bytes   INTEGER NOT NULL DEFAULT 0,
	dst_pkts    INTEGER NOT NULL DEFAULT 0,
	dst_bytes   INTEGER NOT NULL DEFAULT 0,
	prior_flows INTEGER NOT NULL DEFAULT 0,
	prior_src_pkts  INTEGER NOT NULL DEFAULT 0,
	prior_src_bytes INTEGER NOT NULL DEFAULT 0,
	prior_dst_pkts  INTEGER NOT NULL DEFAULT 0,
	prior_dst_bytes INTEGER NOT NULL DEFAULT 0,
	fw_verdict  TEXT,                       -- NULL: no firewall log
	fw_prefix   TEXT,
	sample_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
	sample_flow_ids TEXT NOT NULL DEFAULT '[]', -- JSON array of flows.flow_id
	summary     TEXT NOT NULL DEFAULT '',
	explanation TEXT,                       -- JSON object, NULL when unknown
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN
	                ('open', 'acknowledged', 'resolved')),
	state_changed_ns INTEGER,
	acknowledged_ns  INTEGER,
	acknowledged_by  TEXT,
	resolved_ns INTEGER,
	resolved_by TEXT,
	UNIQUE (src, dst, proto, port, reason)
);
CREATE INDEX violations_last   ON violations(last_seen_ns);
CREATE INDEX violations_first  ON violations(first_seen_ns);
CREATE INDEX violations_src    ON violations(src, last_seen_ns);
CREATE INDEX violations_dst    ON violations(dst, last_seen_ns);
CREATE INDEX violations_src_ns ON violations(src_ns, last_seen_ns);
CREATE INDEX violations_dst_ns ON violations(dst_ns, last_seen_ns);
CREATE INDEX violations_reason ON violations(reason, last_seen_ns);
CREATE INDEX violations_state  ON violations(state, last_seen_ns);
CREATE INDEX violations_port   ON violations(proto, port, last_seen_ns);

-- Ended flows, under retention (sw_store_prune_flows).
CREATE TABLE flows (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER REFERENCES runs(id) ON DELETE CASCADE,
	flow_id     INTEGER NOT NULL,           -- the flow table's id within its run
	src         TEXT NOT NULL,              -- identity
	dst         TEXT NOT NULL,
	src_endpoint TEXT,
	dst_endpoint TEXT,
	src_ns      TEXT,
	dst_ns      TEXT,
	src_ip      TEXT NOT NULL,
	dst_ip      TEXT NOT NULL,
	sport       INTEGER NOT NULL,           -- ICMP: type
	dport       INTEGER NOT NULL,           -- ICMP: code
	proto       INTEGER NOT NULL,
	vlan        INTEGER,                    -- outer tag, NULL when untagged
	vlan_inner  INTEGER,
	first_ns    INTEGER NOT NULL,
	last_ns     INTEGER NOT NULL,
	src_pkts    INTEGER NOT NULL,
	src_bytes   INTEGER NOT NULL,
	dst_pkts    INTEGER NOT NULL,
	dst_bytes   INTEGER NOT NULL,
	tcp_state   TEXT,                       -- NULL when not TCP
	end_reason  TEXT NOT NULL,
	verdict     TEXT NOT NULL CHECK (verdict IN ('allowed', 'denied')),
	reason      TEXT NOT NULL,
	violation_id INTEGER REFERENCES violations(id) ON DELETE SET NULL,
	fw_verdict  TEXT,
	fw_prefix   TEXT
);
CREATE UNIQUE INDEX flows_run_flow ON flows(run_id, flow_id);
CREATE INDEX flows_last    ON flows(last_ns);
CREATE INDEX flows_src     ON flows(src, last_ns);
CREATE INDEX flows_dst     ON flows(dst, last_ns);
-- A namespace filter is a range on src/dst: identities of endpoints start
-- with "ns/" (src >= 'ns/' AND src < 'ns0'). Most flows are allowed: only
-- denied ones are indexed by reason (allowed ones are found by time).
CREATE INDEX flows_denied  ON flows(reason, last_ns) WHERE verdict = 'denied';
CREATE INDEX flows_port    ON flows(proto, dport, last_ns);
CREATE INDEX flows_violation ON flows(violation_id) WHERE violation_id IS NOT NULL;

-- Learned edges (filled by the baseline module, later).
CREATE TABLE baseline_edges (
	id          INTEGER PRIMARY KEY,
	src         TEXT NOT NULL,
	dst         TEXT NOT NULL,
	proto       INTEGER NOT NULL,
	port        INTEGER NOT NULL,
	src_ns      TEXT,
	dst_ns      TEXT,
	first_seen_ns INTEGER NOT NULL,
	last_seen_ns  INTEGER NOT NULL,
	flows       INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	interval_ns INTEGER NOT NULL DEFAULT 0, -- volume sampling interval
	intervals   INTEGER NOT NULL DEFAULT 0, -- intervals sampled
	bytes_mean  REAL NOT NULL DEFAULT 0,    -- per interval (Welford)
	bytes_m2    REAL NOT NULL DEFAULT 0,    -- sum of squared deviations
	origin      TEXT NOT NULL DEFAULT 'learned', -- or 'accepted' (from an anomaly)
	UNIQUE (src, dst, proto, port)
);
CREATE INDEX baseline_edges_dst  ON baseline_edges(dst);
CREATE INDEX baseline_edges_last ON baseline_edges(last_seen_ns);

-- Detected anomalies (filled by the anomaly module, later).
CREATE TABLE anomalies (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
	kind        TEXT NOT NULL CHECK (kind IN
	                ('new_edge', 'volume', 'new_external', 'fanout')),
	detected_ns INTEGER NOT NULL,
	src         TEXT NOT NULL,
	dst         TEXT,                       -- NULL for fan-out
	proto       INTEGER,
	port        INTEGER,
	src_ns      TEXT,
	dst_ns      TEXT,
	score       REAL,
	evidence    TEXT NOT NULL DEFAULT '{}', -- JSON object
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN
	                ('open', 'acknowledged', 'resolved', 'accepted')),
	state_changed_ns INTEGER,
	state_by    TEXT
);
CREATE INDEX anomalies_time  ON anomalies(detected_ns);
CREATE INDEX anomalies_kind  ON anomalies(kind, detected_ns);
CREATE INDEX anomalies_src   ON anomalies(src, detected_ns);
CREATE INDEX anomalies_dst   ON anomalies(dst, detected_ns);
CREATE INDEX anomalies_state ON anomalies(state, detected_ns);
CREATE INDEX anomalies_run   ON anomalies(run_id);
