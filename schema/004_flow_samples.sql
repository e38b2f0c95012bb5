-- 004_flow_samples.sql - a violation's sample flows are found through the
-- flows that point at it: flows_violation holds (violation_id, run_id,
-- flow_id), and flows_run_flow, whose only use that lookup was, goes.
-- Every flow stored paid for an entry in flows_run_flow; only denied flows
-- have one in flows_violation.
DROP INDEX flows_violation;
CREATE INDEX flows_violation ON flows(violation_id, run_id, flow_id)
	WHERE violation_id IS NOT NULL;
DROP INDEX flows_run_flow;
