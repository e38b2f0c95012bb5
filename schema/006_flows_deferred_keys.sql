-- 006_flows_deferred_keys.sql - the flows table's foreign keys are
-- checked when the transaction commits (DEFERRABLE INITIALLY DEFERRED)
-- instead of after each statement, so that the writer can store many flows
-- with one INSERT. With keys checked per statement, SQLite keeps a
-- statement journal for a multi-row INSERT (a copy of every page it
-- touches, to undo just that statement), which cost more than the
-- statement saves; deferred, a dangling reference still fails the commit
-- and the writer rolls its whole batch back, as before. The ON DELETE
-- actions (a run's flows go with it, a deleted violation's flows keep a
-- NULL) are unchanged.
--
-- SQLite cannot alter a constraint: the table is rebuilt by the
-- create-copy-drop-rename sequence of its ALTER TABLE documentation, with
-- the same columns, ids and indexes (on a large database this takes a
-- while, once). A reference to a row that no longer exists (only possible
-- in a database edited with foreign keys off) is copied as NULL, as
-- ON DELETE SET NULL would have left it, so that the copy commits.
CREATE TABLE flows_new (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER REFERENCES runs(id) ON DELETE CASCADE
	                    DEFERRABLE INITIALLY DEFERRED,
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
	violation_id INTEGER REFERENCES violations(id) ON DELETE SET NULL
	                    DEFERRABLE INITIALLY DEFERRED,
	fw_verdict  TEXT,
	fw_prefix   TEXT
);

INSERT INTO flows_new
	SELECT f.id,
	       CASE WHEN EXISTS (SELECT 1 FROM runs r WHERE r.id = f.run_id) THEN f.run_id END,
	       f.flow_id, f.src, f.dst, f.src_endpoint, f.dst_endpoint, f.src_ns, f.dst_ns,
	       f.src_ip, f.dst_ip, f.sport, f.dport, f.proto, f.vlan, f.vlan_inner,
	       f.first_ns, f.last_ns, f.src_pkts, f.src_bytes, f.dst_pkts, f.dst_bytes,
	       f.tcp_state, f.end_reason, f.verdict, f.reason,
	       CASE WHEN EXISTS (SELECT 1 FROM violations v WHERE v.id = f.violation_id)
	            THEN f.violation_id END,
	       f.fw_verdict, f.fw_prefix
	FROM flows f ORDER BY f.id;

DROP TABLE flows;
ALTER TABLE flows_new RENAME TO flows;

-- the indexes of 001 and 004, as they were
CREATE INDEX flows_last    ON flows(last_ns);
CREATE INDEX flows_src     ON flows(src, last_ns);
CREATE INDEX flows_dst     ON flows(dst, last_ns);
CREATE INDEX flows_denied  ON flows(reason, last_ns) WHERE verdict = 'denied';
CREATE INDEX flows_port    ON flows(proto, dport, last_ns);
CREATE INDEX flows_violation ON flows(violation_id, run_id, flow_id)
	WHERE violation_id IS NOT NULL;
