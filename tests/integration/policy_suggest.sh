#!/bin/sh
# `segwatch policy suggest` end to end with the sanitized binary: a real
# SQLite database (created by `segwatch run` on the example capture, or
# from schema/*.sql when that fails) is filled with baseline_edges rows;
# the suggested YAML is loaded back with `segwatch policy connlist`, whose
# connections must equal exactly the edges plus the DNS rules, and with
# `segwatch policy explain`, which must allow every edge. Also: stable
# output, -o, --namespace, an empty baseline, skipped-edge warnings and
# usage errors. Run from the repository root.
. "$(dirname "$0")/lib.sh"
INV=examples/inventory.yaml
DB=$TMPD/suggest.db
export SOURCE_DATE_EPOCH=1700000000

if ! command -v sqlite3 >/dev/null 2>&1; then
	skip policy-suggest "the sqlite3 command is not installed"
	finish
fi

# ---- a database at the binary's schema version ----

"$SEGWATCH" run -q -r examples/three-tier.pcap --inventory "$INV" -p examples/policies.yaml \
	--db "$DB" >"$TMPD/out" 2>"$TMPD/err"
RC=$?
DB_FROM_RUN=1
if [ "$RC" -ne 0 ] || sanitizer_report "$TMPD/err"; then
	DB_FROM_RUN=0
	echo "# segwatch run could not create the database; applying schema/*.sql"
	rm -f "$DB"
	v=0
	for f in schema/[0-9]*.sql; do
		v=$((v + 1))
		sqlite3 "$DB" <"$f" &&
		sqlite3 "$DB" "INSERT INTO schema_meta VALUES ($v, '$(basename "$f")', 0);
			PRAGMA user_version = $v;" || not_ok create-db "applying $f failed"
	done
fi

# edges SRC DST PROTO PORT, one per line on stdin: replaces baseline_edges
set_edges() {
	{
		echo "BEGIN; DELETE FROM baseline_edges;"
		while read -r s d p n; do
			[ -z "$s" ] && continue
			echo "INSERT INTO baseline_edges (src, dst, proto, port, first_seen_ns," \
				"last_seen_ns) VALUES ('$s', '$d', $p, $n, 1, 2);"
		done
		echo "COMMIT;"
	} | sqlite3 "$DB"
}

# expect_connlist NAME FILE: the connections of $TMPD/out (connlist text),
# one per port, equal the "SRC DST PROTO PORT" lines of FILE.
expect_connlist() {
	if python3 - "$TMPD/out" "$2" >"$TMPD/diff" <<'EOF'
import sys
got = set()
for line in open(sys.argv[1]):
    src, dst, proto, ports = line.split()
    for r in ports.split(","):
        lo, _, hi = r.partition("-")
        for p in range(int(lo), int(hi or lo) + 1):
            got.add(f"{src} {dst} {proto} {p}")
want = {l.strip() for l in open(sys.argv[2]) if l.strip()}
for l in sorted(want - got):
    print("missing:", l)
for l in sorted(got - want):
    print("unexpected:", l)
sys.exit(1 if want != got else 0)
EOF
	then
		ok "$1"
	else
		not_ok "$1" "the suggestion allows other connections than the baseline"
		head -20 "$TMPD/diff" | sed 's/^/# /'
	fi
}

# DNS connections of the three-tier inventory: every endpoint to kube-dns
dns_lines() {
	for e in ingress-nginx/nginx-ingress-controller microservices/frontend \
		microservices/backend-api microservices/postgres microservices/redis \
		microservices/admin; do
		echo "$e kube-system/kube-dns TCP 53"
		echo "$e kube-system/kube-dns UDP 53"
	done
}

# ---- usage ----

run policy --help
expect_rc help 0 && { has "$TMPD/out" "policy suggest" && ok help ||
	not_ok help "suggest is missing from the help text"; }
run policy suggest -i "$INV"
expect_rc no-db 2 && { has "$TMPD/err" "--db" && ok no-db || not_ok no-db "no hint"; }
run policy suggest --db "$TMPD/missing.db" -i "$INV"
expect_rc missing-db 2 && { has "$TMPD/err" "missing.db" && ok missing-db ||
	not_ok missing-db "the message does not name the file"; }

# ---- the three-tier baseline ----

set_edges <<'EOF'
ingress-nginx/nginx-ingress-controller microservices/frontend 6 8080
microservices/frontend microservices/backend-api 6 8081
microservices/backend-api microservices/postgres 6 5432
microservices/admin microservices/postgres 6 5432
microservices/backend-api microservices/redis 6 6379
microservices/backend-api 203.0.113.10 6 443
198.51.100.7 ingress-nginx/nginx-ingress-controller 6 443
198.51.100.7 ingress-nginx/nginx-ingress-controller 6 80
microservices/frontend kube-system/kube-dns 17 53
kube-system/kube-dns 192.0.2.53 17 53
EOF
{
	dns_lines
	cat <<'EOF'
ingress-nginx/nginx-ingress-controller microservices/frontend TCP 8080
microservices/frontend microservices/backend-api TCP 8081
microservices/backend-api microservices/postgres TCP 5432
microservices/admin microservices/postgres TCP 5432
microservices/backend-api microservices/redis TCP 6379
microservices/backend-api ext:203.0.113.10-203.0.113.10 TCP 443
ext:198.51.100.7-198.51.100.7 ingress-nginx/nginx-ingress-controller TCP 443
ext:198.51.100.7-198.51.100.7 ingress-nginx/nginx-ingress-controller TCP 80
kube-system/kube-dns ext:192.0.2.53-192.0.2.53 UDP 53
EOF
} >"$TMPD/want"

run policy suggest --db "$DB" -i "$INV"
if expect_rc suggest 0; then
	cp "$TMPD/out" "$TMPD/suggested.yaml"
	has "$TMPD/out" "# 10 baseline edges" && has "$TMPD/out" "2023-11-14T22:13:20Z" &&
		ok suggest-header || not_ok suggest-header "no edge count or time"
	n=$(grep -c '^kind: NetworkPolicy' "$TMPD/out")
	# 3 x (default-deny, allow-dns-egress) + allow-dns-ingress + 10 workload
	# policies: ingress of frontend, backend-api, postgres, redis, the nginx
	# controller; egress of those but postgres and redis, plus kube-dns's
	[ "$n" = 17 ] && ok suggest-count || not_ok suggest-count "$n policies, expected 17"
fi

run policy connlist -q -i "$INV" -p "$TMPD/suggested.yaml"
expect_rc round-trip-connlist 0 && expect_connlist round-trip-connlist "$TMPD/want"

allowed=0
while read -r s d p n; do
	[ "$p" = 6 ] && pr=tcp/$n || pr=udp/$n
	run policy explain -q -i "$INV" -p "$TMPD/suggested.yaml" "$s" "$d" "$pr"
	if [ "$RC" -ne 0 ]; then
		not_ok round-trip-explain "$s -> $d $pr: exit status $RC"
		allowed=1
	fi
done <<'EOF'
ingress-nginx/nginx-ingress-controller microservices/frontend 6 8080
microservices/backend-api 203.0.113.10 6 443
198.51.100.7 ingress-nginx/nginx-ingress-controller 6 80
microservices/admin microservices/postgres 6 5432
microservices/frontend kube-system/kube-dns 17 53
EOF
[ "$allowed" = 0 ] && ok round-trip-explain
run policy explain -q -i "$INV" -p "$TMPD/suggested.yaml" microservices/frontend \
	microservices/postgres tcp/5432
expect_rc round-trip-denied 1 && ok round-trip-denied

# ---- stable output, -o ----

run policy suggest -q --db "$DB" -i "$INV" -o "$TMPD/again.yaml"
expect_rc output-file 0 && { cmp -s "$TMPD/again.yaml" "$TMPD/suggested.yaml" &&
	[ ! -s "$TMPD/out" ] && ok output-file ||
	not_ok output-file "-o differs from stdout, or stdout is not empty"; }

sqlite3 "$DB" "CREATE TABLE t AS SELECT * FROM baseline_edges ORDER BY id DESC;
	DELETE FROM baseline_edges; INSERT INTO baseline_edges SELECT * FROM t; DROP TABLE t;"
run policy suggest -q --db "$DB" -i "$INV"
expect_rc stable 0 && { cmp -s "$TMPD/out" "$TMPD/suggested.yaml" && ok stable ||
	not_ok stable "another row order gives other text"; }

# ---- the inventory stored by `segwatch run` instead of --inventory ----

run policy suggest -q --db "$DB"
if [ "$DB_FROM_RUN" = 1 ]; then
	expect_rc inventory-from-db 0 && { cmp -s "$TMPD/out" "$TMPD/suggested.yaml" &&
		ok inventory-from-db || not_ok inventory-from-db "differs from --inventory's"; }
else
	expect_rc inventory-from-db-empty 2 && { has "$TMPD/err" "--inventory" &&
		ok inventory-from-db-empty || not_ok inventory-from-db-empty "no hint"; }
fi

# ---- lint does not choke on it ----

run policy lint -q -i "$INV" -p "$TMPD/suggested.yaml"
if sanitizer_report "$TMPD/err"; then
	not_ok lint-suggestion "sanitizer report"
elif [ "$RC" -le 1 ]; then
	ok lint-suggestion
	grep -E ' (high|warning) ' "$TMPD/out" | head -5 | sed 's/^/# lint: /'
else
	not_ok lint-suggestion "exit status $RC"
fi

# ---- --namespace ----

run policy suggest -q --db "$DB" -i "$INV" --namespace microservices
if expect_rc namespace 0; then
	others=$(grep '^  namespace:' "$TMPD/out" | grep -vc 'namespace: microservices$')
	has "$TMPD/out" "kubernetes.io/metadata.name: ingress-nginx" && [ "$others" = 0 ] &&
		ok namespace || not_ok namespace "policies outside microservices, or no ingress rule"
fi
run policy suggest -q --db "$DB" -i "$INV" --namespace nope
expect_rc namespace-unknown 2 && { has "$TMPD/err" "nope" && ok namespace-unknown ||
	not_ok namespace-unknown "the message does not name it"; }

# ---- skipped edges ----

set_edges <<'EOF'
gone/workload microservices/frontend 6 8080
microservices/frontend microservices/backend-api 6 8081
EOF
run policy suggest --db "$DB" -i "$INV"
expect_rc skipped-warning 0 && { has "$TMPD/err" "gone/workload" && ok skipped-warning ||
	not_ok skipped-warning "no warning naming the edge"; }
run policy suggest -q --db "$DB" -i "$INV"
expect_rc skipped-quiet 0 && { [ ! -s "$TMPD/err" ] && ok skipped-quiet ||
	not_ok skipped-quiet "-q still prints"; }

# ---- an empty baseline: default deny and DNS only ----

set_edges </dev/null
run policy suggest -q --db "$DB" -i "$INV" -o "$TMPD/empty.yaml"
expect_rc empty-baseline 0 && ok empty-baseline
run policy connlist -q -i "$INV" -p "$TMPD/empty.yaml"
dns_lines >"$TMPD/want"
expect_rc empty-baseline-connlist 0 && expect_connlist empty-baseline-connlist "$TMPD/want"

finish
