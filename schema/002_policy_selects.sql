-- 002_policy_selects.sql - which endpoints each policy selects (its
-- podSelector within its namespace), as the inventory and policies stood
-- at the last load: the API's policy view ("which policies select this
-- endpoint?") without evaluating selectors in SQL. Rewritten whole at
-- every load.
CREATE TABLE policy_selects (
	policy_id   INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
	endpoint_id TEXT NOT NULL,
	PRIMARY KEY (policy_id, endpoint_id)
) WITHOUT ROWID;
CREATE INDEX policy_selects_endpoint ON policy_selects(endpoint_id);

-- Anomalies are deduplicated by the detector within a run; this index
-- serves the stream's "rows after id N" and the violations' equivalent.
CREATE INDEX anomalies_src_ns ON anomalies(src_ns, detected_ns);
