-- gen_store.sql - fills a segwatch database (created by `segwatch run`,
-- so with the real schema) with synthetic but realistic-looking
-- violations and flows for the web benchmark (tests/bench/web.sh).
--
-- The caller creates the temp table bench_p(nv, nf, now_ns) first: nv
-- violations, nf flows, times over the 7 days before now_ns. Everything
-- is derived from the row number by fixed hashes (no random()), so two
-- fills with the same parameters differ only by now_ns.
--
-- Identities: 20 namespaces x 50 workloads (1000 endpoints, addresses
-- 10.NS.W.x) plus 51 external addresses, S = 1051 in all. Violation i:
-- src = i mod S; r = i / S picks the service port (r mod 8) and the
-- distance from src to dst (a bijection of r / 8 onto 1 .. S - 1), so
-- (src, dst, proto, port, reason) is unique while nv < 8 * S * (S - 1)
-- (about 8.8 M); external to external pairs move to node ports. Flows:
-- the even ones are denied and belong to the most recent violations (so
-- sample_flow_ids point at stored flows), the odd ones are allowed
-- traffic between endpoints.

PRAGMA foreign_keys = OFF;

-- The example run's few rows make way (ids below are 1..nv).
DELETE FROM flows;
DELETE FROM violations;

CREATE TEMP TABLE bench_ns(k INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO bench_ns(k, name) SELECT key, value FROM json_each(
	'["payments","checkout","catalog","orders","shipping","identity","search",' ||
	'"recommendations","notifications","analytics","billing","inventory",' ||
	'"reporting","gateway","monitoring","logging","kube-system","ingress-nginx",' ||
	'"data-platform","ml-serving"]');

CREATE TEMP TABLE bench_wl(k INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO bench_wl(k, name) SELECT key, value FROM json_each(
	'["frontend","backend-api","auth","users","cart","pricing","ledger",' ||
	'"invoices","mailer","sms-gateway","events","kafka","zookeeper","postgres",' ||
	'"redis","elasticsearch","grafana","prometheus","fluentd","scheduler",' ||
	'"importer","exporter","reports","audit","webhooks","session-store",' ||
	'"rate-limiter","feature-flags","geo","tax","fraud-check","refunds",' ||
	'"warehouse","label-printer","tracking","oauth-proxy","ldap-sync","indexer",' ||
	'"query-api","ranker","push","email-render","etl","spark-driver",' ||
	'"model-server","batch-jobs","coredns","metrics-server","ingress","cron"]');

-- The identities: k < 1000 endpoints, the rest external addresses.
CREATE TEMP TABLE bench_id(k INTEGER PRIMARY KEY, id TEXT NOT NULL, ep TEXT,
                           ns TEXT, ip TEXT NOT NULL);
INSERT INTO bench_id
SELECT n.k * 50 + w.k, n.name || '/' || w.name, n.name || '/' || w.name, n.name,
       printf('10.%d.%d.%d', 20 + n.k, w.k, 10 + (n.k * 7 + w.k) % 200)
FROM bench_ns n, bench_wl w;
INSERT INTO bench_id
SELECT 1000 + value,
       CASE value % 3 WHEN 0 THEN printf('203.0.113.%d', 10 + value)
                      WHEN 1 THEN printf('198.51.100.%d', 20 + value)
                      ELSE printf('192.0.2.%d', 30 + value) END,
       NULL, NULL, ''
FROM generate_series(0, 50);
UPDATE bench_id SET ip = id WHERE ep IS NULL;

CREATE TEMP TABLE bench_port(k INTEGER PRIMARY KEY, proto INTEGER, port INTEGER,
                             pname TEXT, pon TEXT, pjson TEXT);
INSERT INTO bench_port(k, proto, port, pname) VALUES (0, 6, 5432, 'tcp'), (1, 6, 6379, 'tcp'),
	(2, 6, 443, 'tcp'), (3, 6, 8080, 'tcp'), (4, 6, 9090, 'tcp'), (5, 17, 53, 'udp'),
	(6, 6, 3306, 'tcp'), (7, 6, 9200, 'tcp');
-- k + 8: the node ports of the same services (external to external
-- pairs are moved onto them, below)
INSERT INTO bench_port(k, proto, port, pname)
SELECT k + 8, proto, 30000 + port % 1000, pname FROM bench_port;
UPDATE bench_port SET pon = ' on ' || pname || '/' || port,
	pjson = ',"port":' || port || ',"proto":"' || pname || '",';

-- Per identity, the pieces of the judge's explanation and summary (built
-- once here: formatting them per row would dominate the fill). eg_*: the
-- egress side when src, allowed or denied; in_*: the ingress side when dst.
ALTER TABLE bench_id ADD COLUMN eg_ok TEXT;
ALTER TABLE bench_id ADD COLUMN eg_deny TEXT;
ALTER TABLE bench_id ADD COLUMN in_ok TEXT;
ALTER TABLE bench_id ADD COLUMN in_deny TEXT;
ALTER TABLE bench_id ADD COLUMN sum_eg TEXT;
ALTER TABLE bench_id ADD COLUMN sum_in TEXT;
UPDATE bench_id SET
	eg_ok = '{"allowed":true,"isolated":false,"policies":[],"rules":[]}',
	eg_deny = '{"allowed":true,"isolated":false,"policies":[],"rules":[]}',
	in_ok = '{"allowed":true,"isolated":false,"policies":[],"rules":[]}',
	in_deny = '{"allowed":true,"isolated":false,"policies":[],"rules":[]}',
	sum_eg = '', sum_in = ''
WHERE ep IS NULL;
UPDATE bench_id SET
	eg_ok = printf('{"allowed":true,"endpoint":"%s","isolated":true,"policies":[%s,%s],' ||
		'"rules":[{"direction":"egress","file":"policies/%s.yaml","index":%d,' ||
		'"line":%d,"name":"%s-policy","namespace":"%s"}]}', ep, pol_deny, pol_own,
		ns, k % 3, 40 + (k % 50) * 31, substr(ep, length(ns) + 2), ns),
	eg_deny = printf('{"allowed":false,"endpoint":"%s","isolated":true,"policies":[%s,%s],' ||
		'"rules":[]}', ep, pol_deny, pol_own),
	in_ok = printf('{"allowed":true,"endpoint":"%s","isolated":true,"policies":[%s,%s],' ||
		'"rules":[{"direction":"ingress","file":"policies/%s.yaml","index":%d,' ||
		'"line":%d,"name":"%s-policy","namespace":"%s"}]}', ep, pol_deny, pol_own,
		ns, k % 2, 30 + (k % 50) * 31, substr(ep, length(ns) + 2), ns),
	in_deny = printf('{"allowed":false,"endpoint":"%s","isolated":true,"policies":[%s],' ||
		'"rules":[]}', ep, pol_deny),
	sum_eg = printf('egress of %s (isolated by %s/default-deny-all, %s/%s-policy): ' ||
		'no egress rule admits ', ep, ns, ns, substr(ep, length(ns) + 2)),
	sum_in = printf('ingress of %s (isolated by %s/default-deny-all): ' ||
		'no ingress rule admits ', ep, ns)
FROM (SELECT k AS pk,
	printf('{"file":"policies/%s.yaml","line":5,"name":"default-deny-all",' ||
	       '"namespace":"%s","origin":"k8s"}', ns, ns) AS pol_deny,
	printf('{"file":"policies/%s.yaml","line":%d,"name":"%s-policy",' ||
	       '"namespace":"%s","origin":"k8s"}', ns, 20 + (k % 50) * 31,
	       substr(ep, length(ns) + 2), ns) AS pol_own
	FROM bench_id WHERE ep IS NOT NULL) AS x
WHERE bench_id.k = x.pk;

INSERT OR IGNORE INTO namespaces(name, labels, loaded_ns)
SELECT name, json_object('kubernetes.io/metadata.name', name, 'team',
                         'team-' || (k % 6)), (SELECT now_ns FROM bench_p)
FROM bench_ns;
INSERT OR IGNORE INTO endpoints(id, ns, name, kind, labels, addresses, ports, file, line,
                                loaded_ns)
SELECT id, ns, substr(id, length(ns) + 2), 'pod',
       json_object('app', substr(id, length(ns) + 2), 'tier',
                   CASE k % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'api' ELSE 'data' END),
       json_array(ip || '/32'), '[]', 'inventory/' || ns || '.yaml', 1 + (k % 50) * 12,
       (SELECT now_ns FROM bench_p)
FROM bench_id WHERE ep IS NOT NULL;

INSERT INTO runs(id, started_ns, ended_ns, sources, packets, drops, flows, stats)
SELECT 1000, now_ns - 7 * 86400000000000, now_ns, 'pcap:eth1 nflog:5',
       nf * 37, nf / 1000, nf, '{}'
FROM bench_p;

-- Violations. h1..h3: fixed hashes of the row number.
INSERT INTO violations(id, src, dst, proto, port, reason, src_endpoint, dst_endpoint,
	src_ns, dst_ns, src_ip, dst_ip, first_seen_ns, last_seen_ns, flows, src_pkts,
	src_bytes, dst_pkts, dst_bytes, fw_verdict, fw_prefix, sample_run_id,
	sample_flow_ids, summary, explanation, state, state_changed_ns, acknowledged_ns,
	acknowledged_by, resolved_ns, resolved_by)
SELECT v.i + 1, s.id, d.id, pt.proto, pt.port, v.reason, s.ep, d.ep, s.ns, d.ns, s.ip,
	d.ip, v.first_ns, v.last_ns, v.flows, v.flows * (3 + v.h2 % 20),
	v.flows * (180 + v.h1 % 9000), v.flows * (2 + v.h3 % 15),
	v.flows * (60 + v.h2 % 30000),
	CASE WHEN v.h3 % 5 = 0 THEN 'drop' END,
	CASE WHEN v.h3 % 5 = 0 THEN 'SEGWATCH-DROP ' END,
	CASE WHEN 2 * (p.nv - 1 - v.i) < p.nf THEN 1000 END,
	CASE WHEN 2 * (p.nv - 1 - v.i) < p.nf THEN '[' || (2 * (p.nv - 1 - v.i) + 1) || ']'
	     ELSE '[]' END,
	-- summary, as the judge words it
	CASE v.reason
		WHEN 'denied_ingress' THEN d.sum_in || s.id || pt.pon
		WHEN 'denied_egress' THEN s.sum_eg || d.id || pt.pon
		ELSE s.sum_eg || d.id || pt.pon || '; ' || d.sum_in || s.id || pt.pon END,
	-- explanation: the judge's object, about 500 to 900 bytes
	'{"dst":"' || d.ip || '","egress":' ||
		CASE WHEN v.reason = 'denied_ingress' THEN s.eg_ok ELSE s.eg_deny END ||
		',"ingress":' ||
		CASE WHEN v.reason = 'denied_egress' THEN d.in_ok ELSE d.in_deny END ||
		pt.pjson || '"reason":"' || v.reason || '","src":"' || s.ip ||
		'","verdict":"denied"}',
	v.state,
	CASE WHEN v.state <> 'open' THEN v.last_ns - v.h2 % 3600000000000 END,
	CASE WHEN v.state <> 'open' THEN v.last_ns - v.h2 % 3600000000000 - 60000000000 END,
	CASE WHEN v.state <> 'open' THEN
		json_extract('["alice","bob","carol","dave","erin","oncall-bot"]',
		             '$[' || (v.h3 % 6) || ']') END,
	CASE WHEN v.state = 'resolved' THEN v.last_ns - v.h2 % 3600000000000 END,
	CASE WHEN v.state = 'resolved' THEN
		json_extract('["alice","bob","carol","dave"]', '$[' || (v.h1 % 4) || ']') END
FROM bench_p p,
	(SELECT g.i, a, h1, h2, h3,
		-- an external source reaching an external address judges nothing:
		-- such a pair becomes the external source on a node port of an
		-- endpoint (unique still: those ports occur nowhere else)
		CASE WHEN a >= 1000 AND b0 >= 1000 THEN (b0 - 1000) * 19 % 1000 ELSE b0 END AS b,
		CASE WHEN a >= 1000 AND b0 >= 1000 THEN pk0 + 8 ELSE pk0 END AS pk,
		CASE WHEN a >= 1000 THEN 'denied_ingress'
		     WHEN b0 >= 1000 THEN 'denied_egress'
		     WHEN h1 % 10 < 6 THEN 'denied_ingress'
		     WHEN h1 % 10 < 9 THEN 'denied_egress'
		     ELSE 'denied_both' END AS reason,
		CASE WHEN h2 % 100 < 80 THEN 'open'
		     WHEN h2 % 100 < 93 THEN 'acknowledged'
		     ELSE 'resolved' END AS state,
		1 + (h3 % 97) * (h1 % 11) + h2 % 5 AS flows,
		first_ns,
		first_ns + (h1 % 1000) * ((now_ns - first_ns) / 1000) AS last_ns
	FROM (SELECT value AS i, value % 1051 AS a,
		(value % 1051 + 1 + ((value / 1051 / 8) * 389) % 1050) % 1051 AS b0,
		(value / 1051) % 8 AS pk0,
		(value * 2654435761) % 4294967291 AS h1,
		(value * 40503 + 7) % 65521 AS h2,
		(value * 69069 + 1) % 1000003 AS h3,
		bench_p.now_ns AS now_ns,
		bench_p.now_ns - 7 * 86400000000000 +
			(7 * 86400000000000 / bench_p.nv) * value AS first_ns
		FROM bench_p, generate_series(0, bench_p.nv - 1)) AS g) AS v
JOIN bench_id s ON s.k = v.a
JOIN bench_id d ON d.k = v.b
JOIN bench_port pt ON pt.k = v.pk;

-- Flows: even j denied (violation nv - j/2, newest first, while there are
-- violations left), odd j allowed traffic between endpoints.
INSERT INTO flows(run_id, flow_id, src, dst, src_endpoint, dst_endpoint, src_ns, dst_ns,
	src_ip, dst_ip, sport, dport, proto, vlan, vlan_inner, first_ns, last_ns, src_pkts,
	src_bytes, dst_pkts, dst_bytes, tcp_state, end_reason, verdict, reason, violation_id,
	fw_verdict, fw_prefix)
SELECT 1000, f.j + 1, v.src, v.dst, v.src_endpoint, v.dst_endpoint, v.src_ns, v.dst_ns,
	v.src_ip, v.dst_ip, 32768 + f.h % 28000, v.port, v.proto,
	CASE WHEN f.h % 7 = 0 THEN 100 + f.h % 4 END, NULL,
	v.last_seen_ns - (f.h % 2000000000), v.last_seen_ns, 1 + f.h % 9, 60 + f.h % 600,
	f.h % 4, (f.h % 4) * 60,
	CASE WHEN v.proto = 6 THEN CASE f.h % 3 WHEN 0 THEN 'rejected' WHEN 1 THEN 'attempted'
	                                        ELSE 'reset' END END,
	CASE WHEN v.proto = 6 THEN CASE f.h % 3 WHEN 2 THEN 'tcp_reset' ELSE 'idle' END
	     ELSE 'idle' END,
	'denied', v.reason, v.id, v.fw_verdict, v.fw_prefix
FROM (SELECT value AS j, (value * 2654435761) % 4294967291 AS h, bench_p.nv AS nv
      FROM bench_p, generate_series(0, bench_p.nf - 1)
      WHERE value % 2 = 0 AND value / 2 < bench_p.nv) AS f
JOIN violations v ON v.id = f.nv - f.j / 2;

INSERT INTO flows(run_id, flow_id, src, dst, src_endpoint, dst_endpoint, src_ns, dst_ns,
	src_ip, dst_ip, sport, dport, proto, vlan, vlan_inner, first_ns, last_ns, src_pkts,
	src_bytes, dst_pkts, dst_bytes, tcp_state, end_reason, verdict, reason, violation_id,
	fw_verdict, fw_prefix)
SELECT 1000, f.j + 1, s.id, d.id, s.ep, d.ep, s.ns, d.ns, s.ip, d.ip,
	32768 + f.h % 28000, pt.port, pt.proto, CASE WHEN f.h % 7 = 0 THEN 100 + f.h % 4 END,
	NULL, f.last_ns - (f.h % 30000000000), f.last_ns, 2 + f.h % 400,
	120 + f.h % 90000, 2 + f.h % 300, 120 + (f.h / 7) % 900000,
	CASE WHEN pt.proto = 6 THEN 'closed' END,
	CASE WHEN pt.proto = 6 THEN 'tcp_close' ELSE 'idle' END,
	'allowed', 'allowed_by_policy', NULL, NULL, NULL
FROM (SELECT value AS j, (value * 2654435761) % 4294967291 AS h,
	value % 1000 AS a, (value % 1000 + 1 + (value / 1000) % 40) % 1000 AS b,
	(value / 7) % 8 AS pk,
	bench_p.now_ns - (7 * 86400000000000 / bench_p.nf) * (bench_p.nf - value) AS last_ns
      FROM bench_p, generate_series(0, bench_p.nf - 1)
      WHERE value % 2 = 1 OR value / 2 >= bench_p.nv) AS f
JOIN bench_id s ON s.k = f.a
JOIN bench_id d ON d.k = f.b
JOIN bench_port pt ON pt.k = f.pk;
