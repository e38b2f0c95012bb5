#!/bin/sh
# `segwatch policy connlist|explain|lint` end to end with the sanitized
# binary, on tests/data, the golden connlist cases and the seed articles'
# policies: exit statuses, output lines, JSON that parses, file:line:column
# errors for broken inputs (tests/data/bad/) and warnings that name an
# unknown field or kind. Run from the repository root.
. "$(dirname "$0")/lib.sh"
SEEDS=tests/data/seeds
LINT=tests/data/lint
BAD=tests/data/bad
GOLDEN=tests/golden/connlist
SEED000=$SEEDS/000_f9a3f3b2e6733b5e-1.yaml
SEED001_COMPOSE=$SEEDS/001_9e647032a7b0c2d7-1.yaml
SEED003_FIRST=$SEEDS/003_2b7e4d0cc3a9c686-1.yaml
SEED003_AGAIN=$SEEDS/003_2b7e4d0cc3a9c686-3.yaml


# ---- usage ----

run policy --help
expect_rc help 0 && { has "$TMPD/out" "segwatch policy lint" && has "$TMPD/out" "--min-severity" &&
	ok help || not_ok help "lint is missing from the help text"; }

run policy frobnicate -p "$SEED000"
expect_rc unknown-subcommand 2 && ok unknown-subcommand
run policy lint
expect_rc lint-no-input 2 && ok lint-no-input
run policy lint -p "$SEED000" --min-severity loud
expect_rc lint-bad-severity 2 && { has "$TMPD/err" "loud" && ok lint-bad-severity ||
	not_ok lint-bad-severity "the message does not quote the value"; }
run policy connlist -p "$SEED000" --min-severity high
expect_rc connlist-rejects-min-severity 2 && ok connlist-rejects-min-severity
run policy lint -p "$SEED000" --format yaml
expect_rc lint-bad-format 2 && ok lint-bad-format

# ---- connlist ----

for d in "$GOLDEN"/*/; do
	name=connlist-golden-$(basename "$d")
	run policy connlist -q -i "$d/inventory.yaml" -p "$d/policy.yaml"
	expect_rc "$name" 0 || continue
	if cmp -s "$TMPD/out" "$d/expected.txt"; then
		ok "$name"
	else
		not_ok "$name" "output differs from expected.txt"
		diff "$d/expected.txt" "$TMPD/out" | head -10 | sed 's/^/# /'
	fi
done

run policy connlist -q -i "$GOLDEN/named-ports/inventory.yaml" -p "$GOLDEN/named-ports/policy.yaml" \
	--format json
if expect_rc connlist-json 0; then
	n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$TMPD/out" \
		2>/dev/null)
	want=$(wc -l <"$GOLDEN/named-ports/expected.txt")
	[ "$n" = "$want" ] && ok connlist-json || not_ok connlist-json "$n entries, expected $want"
fi

# several files after one option
run policy connlist -q -i "$LINT/seed000-inventory.yaml" "$LINT/seed003-inventory.yaml" \
	-p "$SEED000" "$SEED003_FIRST"
expect_rc connlist-several-files 0 &&
	{ has "$TMPD/out" "microservices/frontend microservices/backend-api TCP 8081" &&
	has "$TMPD/out" "production/frontend production/backend TCP 1-65535" &&
	ok connlist-several-files || not_ok connlist-several-files "missing connections"; }

# ---- explain ----

NP="-i $GOLDEN/named-ports/inventory.yaml -p $GOLDEN/named-ports/policy.yaml"
# shellcheck disable=SC2086
run policy explain -q $NP shop/client shop/web tcp/8080
expect_rc explain-allowed 0 && { has "$TMPD/out" "allowed" && ok explain-allowed ||
	not_ok explain-allowed "no verdict"; }
# shellcheck disable=SC2086
run policy explain -q $NP shop/client shop/web tcp/9090
expect_rc explain-denied 1 && { has "$TMPD/out" "denied" && ok explain-denied ||
	not_ok explain-denied "no verdict"; }
# shellcheck disable=SC2086
run policy explain -q $NP --format json shop/client shop/api tcp/9090
expect_rc explain-json 0 && { json_ok "$TMPD/out" && ok explain-json ||
	not_ok explain-json "not JSON"; }
# shellcheck disable=SC2086
run policy explain -q $NP shop/nobody shop/web tcp/8080
expect_rc explain-unknown-endpoint 2 && ok explain-unknown-endpoint
# shellcheck disable=SC2086
run policy explain -q $NP shop/client shop/web tcp/70000
expect_rc explain-bad-port 2 && ok explain-bad-port

# seed 000: what lint's rule-one-sided says about backend-api -> postgres
S0="-i $LINT/seed000-inventory.yaml -p $SEED000"
# shellcheck disable=SC2086
run policy explain -q $S0 microservices/frontend microservices/backend-api tcp/8081
expect_rc explain-seed000-frontend 0 && ok explain-seed000-frontend
# shellcheck disable=SC2086
run policy explain -q $S0 microservices/backend-api microservices/postgres tcp/5432
expect_rc explain-seed000-postgres 1 && { has "$TMPD/out" "denied_ingress" &&
	ok explain-seed000-postgres || not_ok explain-seed000-postgres "not denied by ingress"; }

# ---- lint ----

# shellcheck disable=SC2086
run policy lint -q $S0
if expect_rc lint-seed000 1; then
	missing=""
	for line in \
		"$SEED000:36: warning peer-split-selectors: " \
		"$SEED000:56: warning peer-split-selectors: " \
		"$SEED000:65: warning egress-no-dns: microservices/backend-api " \
		"$SEED000:88: warning rule-one-sided: " \
		"$SEED000:96: warning rule-one-sided: " \
		"$SEED000:105: warning peer-ipblock-all: " \
		"$LINT/seed000-inventory.yaml:33: high endpoint-ingress-open: kube-system/kube-dns " \
		"14 findings (2 high, 12 warning) at or above warning; 1 below warning not shown"; do
		has "$TMPD/out" "$line" || missing="$missing [$line]"
	done
	if has "$TMPD/out" "egress-dns-udp-only"; then
		missing="$missing [info shown below --min-severity]"
	fi
	[ -z "$missing" ] && ok lint-seed000 || not_ok lint-seed000 "missing:$missing"
fi

# shellcheck disable=SC2086
run policy lint -q $S0 --min-severity info
expect_rc lint-seed000-info 1 && { has "$TMPD/out" \
	"$SEED000:18: info egress-dns-udp-only: microservices/frontend " && ok lint-seed000-info ||
	not_ok lint-seed000-info "the info finding is missing"; }

# shellcheck disable=SC2086
run policy lint -q $S0 --min-severity high
if expect_rc lint-seed000-high 1; then
	n=$(grep -c ': high ' "$TMPD/out")
	others=$(grep -cE ': (warning|info) ' "$TMPD/out")
	[ "$n" -eq 2 ] && [ "$others" -eq 0 ] && ok lint-seed000-high ||
		not_ok lint-seed000-high "$n high and $others other lines"
fi

# shellcheck disable=SC2086
run policy lint -q $S0 --format json --min-severity info
if expect_rc lint-seed000-json 1; then
	if python3 - "$TMPD/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"]
assert len(f) == 15 and d["summary"]["shown"] == 15, len(f)
assert all(k in x for x in f for k in ("check", "severity", "file", "line", "message",
                                         "namespace", "policy", "endpoints", "related"))
dns = [x for x in f if x["check"] == "egress-no-dns"]
assert len(dns) == 1 and dns[0]["line"] == 65 and dns[0]["endpoints"] == ["microservices/backend-api"]
EOF
	then ok lint-seed000-json; else not_ok lint-seed000-json "unexpected JSON"; fi
fi

run policy lint -q -i "$LINT/clean-inventory.yaml" -p "$LINT/clean-policies.yaml" \
	--min-severity info
expect_rc lint-clean 0 && { has "$TMPD/out" "0 findings" && ok lint-clean ||
	not_ok lint-clean "no summary"; }

run policy lint -q -c "$SEED001_COMPOSE"
expect_rc lint-compose-default 0 && ok lint-compose-default
run policy lint -q -c "$SEED001_COMPOSE" --min-severity info
expect_rc lint-compose-info 1 && { has "$TMPD/out" \
	"$SEED001_COMPOSE:7: info compose-port-published: service web publishes TCP 80" &&
	ok lint-compose-info || not_ok lint-compose-info "no published-port finding"; }

run policy lint -q -i "$LINT/seed003-inventory.yaml" -p "$SEED003_FIRST" "$SEED003_AGAIN" \
	--min-severity info
expect_rc lint-seed003-twice 1 && { has "$TMPD/out" \
	"$SEED003_AGAIN:5: warning policy-duplicate-name: " && has "$TMPD/out" \
	"$SEED003_AGAIN:15: info rule-redundant: " && ok lint-seed003-twice ||
	not_ok lint-seed003-twice "duplicate or redundant rule not reported"; }

# ---- broken inputs: exit 2 and file:line:column, for every subcommand ----

for spec in \
	"policy-syntax.yaml:12:1:invalid YAML" \
	"policy-wrong-type.yaml:9:12:expected a list of ingress rules" \
	"policy-bad-cidr.yaml:12:15:10.0.0.0/33" \
	"policy-port-70000.yaml:12:13:70000" \
	"policy-endport-below-port.yaml:13:16:endPort 8000" \
	"policy-kind-not-string.yaml:3:7:object kind"; do
	file=${spec%%:*}
	rest=${spec#*:}
	pos=${rest%:*}
	what=${rest#*:*:}
	for cmd in connlist lint explain; do
		name=bad-$cmd-${file%.yaml}
		if [ "$cmd" = explain ]; then
			run policy explain -p "$BAD/$file" 10.0.0.1 10.0.0.2 tcp/80
		else
			run policy "$cmd" -p "$BAD/$file"
		fi
		expect_rc "$name" 2 || continue
		if has "$TMPD/err" "$BAD/$file:$pos: " && has "$TMPD/err" "$what"; then
			ok "$name"
		else
			not_ok "$name" "expected '$BAD/$file:$pos: ...$what...'"
			sed 's/^/# /' "$TMPD/err" | head -3
		fi
	done
done

run policy lint -i "$BAD/inventory-bad-ip.yaml"
expect_rc bad-inventory-address 2 && { has "$TMPD/err" "$BAD/inventory-bad-ip.yaml:6:9: " &&
	has "$TMPD/err" "10.0.0.300" && ok bad-inventory-address ||
	not_ok bad-inventory-address "no position"; }

# ---- warnings ----

run policy connlist -p "$BAD/policy-unknown-field.yaml"
expect_rc unknown-field-warns 0 && { has "$TMPD/err" \
	"warning: $BAD/policy-unknown-field.yaml:9:3: unknown field \"ingres\"" &&
	ok unknown-field-warns || not_ok unknown-field-warns "no warning naming the field"; }
run policy connlist -q -p "$BAD/policy-unknown-field.yaml"
expect_rc unknown-field-quiet 0 && { [ ! -s "$TMPD/err" ] && ok unknown-field-quiet ||
	not_ok unknown-field-quiet "-q still warns"; }

# A misspelt kind of a Kubernetes API group is an error with its position
# (a typo of NetworkPolicy must not be skipped silently); kinds of other API
# groups (Istio's, in the seed) and built-in kinds are warned about and
# skipped.
run policy lint -p "$BAD/policy-unknown-kind.yaml"
expect_rc unknown-kind-exit-2 2 && { has "$TMPD/err" \
	"$BAD/policy-unknown-kind.yaml:3:7: unknown kind \"NetworkPolicyy\"" &&
	ok unknown-kind-exit-2 || not_ok unknown-kind-exit-2 "no file:line:col error naming the kind"; }
run policy connlist -p "$SEEDS/000_f9a3f3b2e6733b5e-1.yaml"
expect_rc other-group-kind-skipped 0 && { has "$TMPD/err" \
	"kind PeerAuthentication (security.istio.io/v1beta1) is not a Kubernetes NetworkPolicy (skipped)" &&
	ok other-group-kind-skipped || not_ok other-group-kind-skipped "no warning for the Istio kind"; }

# 10,000 policies (one per workload of 100 namespaces, with ingress rules
# between them) and the example capture: loaded, compiled and judged
# without trouble; check answers as with few policies.
python3 - "$TMPD/many.yaml" "$TMPD/many-inv.yaml" <<'PY'
import sys
pol, inv = open(sys.argv[1], "w"), open(sys.argv[2], "w")
inv.write("namespaces:\n")
for n in range(100):
    inv.write("- name: ns%d\n  labels: {team: t%d}\n" % (n, n % 7))
inv.write("endpoints:\n")
for n in range(100):
    for w in range(100):
        inv.write("- id: ns%d/w%d\n  labels: {app: w%d}\n  ips: [10.%d.%d.1]\n" % (n, w, w, n, w))
for n in range(100):
    for w in range(100):
        pol.write("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                  "metadata: {name: p%d, namespace: ns%d}\nspec:\n"
                  "  podSelector: {matchLabels: {app: w%d}}\n  policyTypes: [Ingress]\n"
                  "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: t%d}}\n"
                  "      podSelector: {matchLabels: {app: w%d}}\n    ports: [{port: %d}]\n"
                  % (w, n, w, (n + 1) % 7, (w + 1) % 100, 8000 + w))
PY
run check -r examples/three-tier.pcap --inventory "$TMPD/many-inv.yaml" -p "$TMPD/many.yaml" -q
expect_rc many-policies 0 && ok "many-policies # 10,000 policies, 10,000 endpoints loaded and judged"

finish
