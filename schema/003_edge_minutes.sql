-- 003_edge_minutes.sql - the service map's edges per minute, so that
-- /api/v1/edges sums a few rows per edge and minute instead of every flow
-- of its window. One row per (minute of the flow's last packet, src, dst,
-- protocol, destination port), added to by segwatch run's writer (which
-- sums each batch's flows per edge and minute in memory and adds the sums
-- in the batch's transaction), pruned with the flows.
CREATE TABLE edge_minutes (
	minute_ns   INTEGER NOT NULL,           -- start of the minute
	src         TEXT NOT NULL,
	dst         TEXT NOT NULL,
	proto       INTEGER NOT NULL,
	port        INTEGER NOT NULL,
	src_ns      TEXT,
	dst_ns      TEXT,
	flows       INTEGER NOT NULL,
	bytes       INTEGER NOT NULL,
	denied      INTEGER NOT NULL,           -- 1 when any of its flows was denied
	violation_id INTEGER,                   -- the latest violation of its flows
	PRIMARY KEY (minute_ns, src, dst, proto, port)
) WITHOUT ROWID;

INSERT INTO edge_minutes
	SELECT last_ns - last_ns % 60000000000, src, dst, proto, dport, src_ns, dst_ns,
	       count(*), sum(src_bytes + dst_bytes), max(verdict = 'denied'), max(violation_id)
	FROM flows GROUP BY 1, 2, 3, 4, 5;
