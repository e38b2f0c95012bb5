/*
 * lint.h - posture findings on an inventory and its policies: the best
 * practices of the seed articles (deny by default, least privilege,
 * explicit egress with a DNS exception) and the common mistakes they warn
 * about (over-permissive rules, selectors that match nothing, rules that
 * cannot take effect), each as a finding with a stable check id, a
 * severity and the file:line to look at.
 *
 * The checks (id, severity; see sw_lint_check_summary for one line each):
 *
 *   ns-no-default-deny-ingress  warning  a namespace with endpoints has no
 *   ns-no-default-deny-egress   warning  policy with an empty podSelector,
 *                                        that direction in policyTypes and
 *                                        no rule admitting everything
 *   endpoint-ingress-open       high     no policy isolates the endpoint for
 *   endpoint-egress-open        warning  ingress (egress): everything passes
 *   rule-allow-all              high     a rule with no peers and no ports
 *   rule-any-peer               warning  a rule with no from/to: every peer
 *   rule-any-port               warning  a rule with no ports, or a port
 *                                        entry without a port number
 *   peer-all-namespaces         warning  namespaceSelector: {}
 *   peer-all-pods               warning  podSelector: {} alone: every pod of
 *                                        the policy's namespace
 *   peer-ipblock-all            warning  ipBlock 0.0.0.0/0 or ::/0 (with or
 *                                        without except)
 *   peer-ipblock-endpoints      warning  an ipBlock covering endpoints'
 *                                        addresses (ipBlock never matches
 *                                        them)
 *   peer-selects-nothing        warning  a selector peer matching no endpoint
 *   peer-split-selectors        warning  namespaceSelector and podSelector as
 *                                        two peers (OR) where one peer with
 *                                        both (AND) was evidently meant
 *   policy-selects-nothing      warning  a podSelector matching no endpoint
 *   policy-types-ignore-rules   warning  rules of a direction policyTypes
 *                                        leaves out (they have no effect)
 *   policy-duplicate-name       warning  two policies with one namespace/name
 *   port-name-unresolved        warning  a named port no destination declares
 *   egress-no-dns               warning  isolated for egress, with egress
 *                                        rules, but UDP/53 reaches nothing
 *   egress-dns-udp-only         info     UDP/53 reaches a resolver, TCP/53
 *                                        reaches nothing
 *   rule-one-sided              warning  every connection a rule admits is
 *                                        denied by the other side
 *   rule-redundant              info     a rule contained in another rule
 *                                        applying to the same endpoints
 *   compose-port-published      info     a compose service reachable from
 *                                        outside on published ports
 *
 * Verdicts (DNS, one-sided rules) come from compiled matchers, so lint
 * agrees with `policy explain` and `connlist`. Endpoints without addresses
 * (manifests) are judged too: the verdict between two endpoints does not
 * depend on their addresses, so lint compiles a second matcher over a copy
 * of the inventory in which every endpoint has one synthetic address.
 *
 * Where: policy findings point at the policy (its document's first line),
 * rule, peer or port entry; namespace and endpoint findings at the
 * endpoint's inventory entry (for a namespace, its first endpoint:
 * namespaces carry no position). Only rules of a direction in their
 * policy's policyTypes are examined (policy-types-ignore-rules reports the
 * others). Compose-translated policies get compose-port-published only;
 * their namespaces count as deny-by-default and their DNS as available
 * (Docker's embedded resolver).
 *
 * Limits, on purpose (conservative: no finding rather than a wrong one):
 *  - rule-redundant compares two rules at a time, from their text only
 *    (never the inventory); a rule covered only by a union of rules is not
 *    reported (analyzer/lint_redundant.c lists the exact rules);
 *  - rule-one-sided examines rules whose peers are all selectors (ipBlock
 *    and from/to-less rules reach outside addresses, whose side always
 *    allows), and skips rules with more than 2^20 (selected, peer) pairs;
 *  - egress-no-dns looks at the egress side only: a resolver refusing the
 *    query is rule-one-sided's business;
 *  - peer-ipblock-endpoints counts an endpoint when the first or last
 *    address of one of its prefixes is in the block, or it owns the
 *    block's first address.
 *
 * Ownership: a report borrows the matcher's inventory and policy set
 * (finding strings other than the message point into them); free the
 * report before them.
 */
#ifndef SEGWATCH_LINT_H
#define SEGWATCH_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "segwatch/error.h"
#include "segwatch/match.h"

enum sw_lint_severity {
	SW_LINT_INFO = 0,
	SW_LINT_WARNING = 1,
	SW_LINT_HIGH = 2
};

enum sw_lint_check {
	SW_LINT_NS_NO_DEFAULT_DENY_INGRESS,
	SW_LINT_NS_NO_DEFAULT_DENY_EGRESS,
	SW_LINT_ENDPOINT_INGRESS_OPEN,
	SW_LINT_ENDPOINT_EGRESS_OPEN,
	SW_LINT_RULE_ALLOW_ALL,
	SW_LINT_RULE_ANY_PEER,
	SW_LINT_RULE_ANY_PORT,
	SW_LINT_PEER_ALL_NAMESPACES,
	SW_LINT_PEER_ALL_PODS,
	SW_LINT_PEER_IPBLOCK_ALL,
	SW_LINT_PEER_IPBLOCK_ENDPOINTS,
	SW_LINT_PEER_SELECTS_NOTHING,
	SW_LINT_PEER_SPLIT_SELECTORS,
	SW_LINT_POLICY_SELECTS_NOTHING,
	SW_LINT_POLICY_TYPES_IGNORE_RULES,
	SW_LINT_POLICY_DUPLICATE_NAME,
	SW_LINT_PORT_NAME_UNRESOLVED,
	SW_LINT_EGRESS_NO_DNS,
	SW_LINT_EGRESS_DNS_UDP_ONLY,
	SW_LINT_RULE_ONE_SIDED,
	SW_LINT_RULE_REDUNDANT,
	SW_LINT_COMPOSE_PORT_PUBLISHED,
	SW_LINT_CHECK_COUNT
};

/* "high", "warning", "info"; "unknown" for other values. */
const char *sw_lint_severity_name(enum sw_lint_severity s);
/* Inverse of sw_lint_severity_name; SW_ERR_NOTFOUND for other text. */
enum sw_status sw_lint_severity_parse(const char *name, enum sw_lint_severity *out) SW_WUR;

/* The catalogue: stable id ("egress-no-dns"), fixed severity, and a
 * one-line summary; "unknown" / SW_LINT_INFO / "" out of range. */
const char *sw_lint_check_id(enum sw_lint_check c);
enum sw_lint_severity sw_lint_check_severity(enum sw_lint_check c);
const char *sw_lint_check_summary(enum sw_lint_check c);
/* Inverse of sw_lint_check_id; SW_ERR_NOTFOUND for an unknown id. */
enum sw_status sw_lint_check_parse(const char *id, enum sw_lint_check *out) SW_WUR;

/* Another rule or policy a finding refers to (the covering rule of a
 * redundant one, the first declaration of a duplicate name, the sibling
 * peer of a split selector). policy is NULL when there is none. */
struct sw_lint_related {
	const char *ns;
	const char *policy;
	const char *direction; /* "ingress", "egress" or NULL */
	long rule;             /* 0-based index in spec.ingress/egress, or -1 */
	const char *file;
	unsigned line;
};

struct sw_lint_finding {
	enum sw_lint_check check;
	const char *id;                 /* sw_lint_check_id(check) */
	enum sw_lint_severity severity; /* sw_lint_check_severity(check) */
	const char *file;               /* "" when unknown */
	unsigned line;                  /* 0 when unknown */
	const char *message;            /* one line, no newline */
	/* What it is about; NULL or -1 when not applicable. */
	const char *ns;
	const char *policy;             /* policy name (in ns) */
	const char *direction;          /* "ingress" or "egress" */
	long rule;                      /* 0-based rule index in that direction */
	long peer;                      /* 0-based peer index in the rule */
	long port;                      /* 0-based port index in the rule */
	/* Endpoint ids concerned, in inventory order: for rule and peer
	 * breadth checks the endpoints the policy selects (those exposed);
	 * peer-ipblock-endpoints: the endpoints covered; peer-split-selectors:
	 * the pods the peers were evidently meant to select; rule-one-sided:
	 * the peers whose side refuses; port-name-unresolved: the destinations
	 * searched; endpoint and DNS checks: the endpoint. */
	size_t n_endpoints;
	const char *const *endpoints;
	struct sw_lint_related related;
};

struct sw_lint_report;

/* Runs every check on m's inventory and policy set. Borrows m during the
 * call and its inventory and policy set until the report is freed. On
 * SW_OK *out holds the findings sorted by file, line, check id (then
 * message); caller frees with sw_lint_report_free. Errors: SW_ERR_NOMEM,
 * SW_ERR_LIMIT (the verdict matcher could not be compiled, or more than
 * 2^28 endpoints), SW_ERR_INVALID (an inventory the matcher's own
 * builders would not produce). */
enum sw_status sw_lint_run(const struct sw_matcher *m, struct sw_lint_report **out,
                           struct sw_err *err) SW_WUR;

/* NULL is a no-op. */
void sw_lint_report_free(struct sw_lint_report *r);

size_t sw_lint_count(const struct sw_lint_report *r);
/* Finding i (i < count), valid until sw_lint_report_free. */
const struct sw_lint_finding *sw_lint_get(const struct sw_lint_report *r, size_t i);
/* How many findings have severity s or above. */
size_t sw_lint_count_at_least(const struct sw_lint_report *r, enum sw_lint_severity s);

/* Writes the findings of severity min or above, one per line,
 *   FILE:LINE: SEVERITY CHECK-ID: message
 * then a summary line ("3 findings (1 high, 2 warning) at or above
 * warning; 1 below warning not shown"). SW_ERR_IO when writing fails. */
enum sw_status sw_lint_write_text(const struct sw_lint_report *r, enum sw_lint_severity min,
                                  FILE *f) SW_WUR;

/* The same as one JSON object: {"findings": [{check, severity, file, line,
 * message, namespace, policy, direction, rule, peer, port, endpoints,
 * related}], "summary": {min_severity, shown, high, warning, info,
 * hidden}} where high/warning/info count the shown findings;
 * absent subjects are null. SW_ERR_IO / SW_ERR_NOMEM. */
enum sw_status sw_lint_write_json(const struct sw_lint_report *r, enum sw_lint_severity min,
                                  FILE *f) SW_WUR;

#endif
