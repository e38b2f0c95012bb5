-- 005_ip_identities.sql - which endpoint identities each address has had
-- in stored flows, so that the flows API's ip filter finds an address's
-- flows through the src/dst indexes: a flow's side that is no endpoint has
-- its address as identity (src = src_ip), and one that is has a row here
-- (ip, identity). Written by the store with the flows (a pair once);
-- kept when flows are pruned (a pair left over only widens the search).
CREATE TABLE ip_identities (
	ip          TEXT NOT NULL,
	identity    TEXT NOT NULL,
	PRIMARY KEY (ip, identity)
) WITHOUT ROWID;

INSERT OR IGNORE INTO ip_identities
	SELECT src_ip, src FROM flows WHERE src_endpoint IS NOT NULL
	UNION SELECT dst_ip, dst FROM flows WHERE dst_endpoint IS NOT NULL;
