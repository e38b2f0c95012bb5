/*
 * match.h - the policy engine: compiles an inventory and a policy set into
 * a matcher that judges connections with exact Kubernetes NetworkPolicy
 * (networking.k8s.io/v1) semantics, and explains its verdicts.
 *
 * Semantics, in short:
 *  - an endpoint is isolated for ingress (egress) when a policy of its
 *    namespace selects it and has Ingress (Egress) in its policyTypes; a
 *    direction that is not isolated allows everything;
 *  - a connection is allowed only when the source's egress and the
 *    destination's ingress both allow it; an external address (one that
 *    belongs to no endpoint) has no policy, its side always allows; a
 *    connection between two external addresses is not judged;
 *  - rules are a union over all policies selecting the endpoint; a rule
 *    admits a connection when a peer and a port both match; an empty
 *    from/to or ports list means the same as an absent one (all peers,
 *    all ports: the API reference's "If this field is empty or missing");
 *  - ipBlock never matches an endpoint's own addresses; named ports resolve
 *    on the destination endpoint; protocols without ports (ICMP...) match
 *    only rules without a ports list;
 *  - an endpoint's traffic to its own address is always allowed (other
 *    addresses of the same endpoint, i.e. replicas, are judged by policy).
 *
 * A matcher is immutable once built: judge() and explain() may be called
 * from several threads at once.
 */
#ifndef SEGWATCH_MATCH_H
#define SEGWATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/error.h"
#include "segwatch/inventory.h"
#include "segwatch/netpol.h"

enum sw_verdict {
	SW_VERDICT_ALLOWED = 0,
	SW_VERDICT_DENIED = 1
};

enum sw_reason {
	SW_REASON_ALLOWED_BY_POLICY = 0, /* an isolated side has a rule admitting it */
	SW_REASON_NOT_ISOLATED,          /* not covered: neither side is isolated */
	SW_REASON_SELF,                  /* an endpoint's traffic to its own address */
	SW_REASON_DENIED_INGRESS,        /* the destination's ingress denies it */
	SW_REASON_DENIED_EGRESS,         /* the source's egress denies it */
	SW_REASON_DENIED_BOTH            /* both sides deny it */
};
#define SW_REASON_COUNT 6

/* Stable snake_case names: "allowed", "denied"; "allowed_by_policy",
 * "not_isolated", "self", "denied_ingress", "denied_egress",
 * "denied_both". Unknown values give "unknown". */
const char *sw_verdict_name(enum sw_verdict v);
const char *sw_reason_name(enum sw_reason r);

/* Inverse of sw_reason_name; SW_ERR_NOTFOUND for an unknown name. */
enum sw_status sw_reason_parse(const char *name, enum sw_reason *out) SW_WUR;

struct sw_judgement {
	enum sw_verdict verdict;
	enum sw_reason reason;
	long src_ep; /* inventory index of the source endpoint, -1 external */
	long dst_ep; /* inventory index of the destination endpoint, -1 external */
};

/* An inclusive port range. */
struct sw_port_range {
	uint16_t lo;
	uint16_t hi;
};

struct sw_matcher;

/* Compiles inv and set into a matcher. Borrows both: they must outlive the
 * matcher and must not change while it exists. Returns NULL on failure
 * with err set (SW_ERR_NOMEM, or SW_ERR_LIMIT when the compiled form would
 * exceed its memory bound). Caller frees with sw_matcher_free. */
struct sw_matcher *sw_matcher_new(const struct sw_inventory *inv,
                                  const struct sw_policy_set *set,
                                  struct sw_err *err) SW_WUR;

/* NULL is a no-op. */
void sw_matcher_free(struct sw_matcher *m);

/* The hot path: judges src -> dst for IP protocol proto and destination
 * port dport (ignored for protocols without ports). Never allocates,
 * never fails. */
void sw_matcher_judge(const struct sw_matcher *m, const struct sw_addr *src,
                      const struct sw_addr *dst, uint8_t proto, uint16_t dport,
                      struct sw_judgement *out);

/* Index of the endpoint owning address a (most specific prefix wins;
 * among identical prefixes, the lowest index), or -1 when external. */
long sw_matcher_endpoint_of(const struct sw_matcher *m, const struct sw_addr *a);

/* The inputs the matcher borrows. */
const struct sw_inventory *sw_matcher_inventory(const struct sw_matcher *m);
const struct sw_policy_set *sw_matcher_policies(const struct sw_matcher *m);

/* Compile statistics, for benchmarks and --stats output. */
struct sw_matcher_stats {
	size_t endpoints;
	size_t policies;
	size_t endpoint_classes; /* groups of endpoints that behave identically */
	size_t external_classes; /* groups of external cells that behave identically */
	size_t address_ranges;   /* elementary address intervals */
	size_t peer_lists;       /* distinct from/to lists */
	size_t rules;
	size_t bytes;            /* approximate size of the compiled form */
};
void sw_matcher_get_stats(const struct sw_matcher *m, struct sw_matcher_stats *out);

/* --- selector and peer primitives (shared with lint) --------------------- */

/* True when labels satisfy every requirement of sel (In, NotIn - an absent
 * key satisfies NotIn -, Exists, DoesNotExist); an empty selector matches
 * everything. */
bool sw_selector_matches(const struct sw_selector *sel, const struct sw_labels *labels);

/* True when a lies in b's cidr and in none of its except prefixes. An IPv6
 * prefix never contains IPv4 addresses (and vice versa), even ::/0. This
 * does not know about endpoints: callers must not apply it to an
 * endpoint's own address (ipBlock never matches pods). */
bool sw_ipblock_contains(const struct sw_ipblock *b, const struct sw_addr *a);

/* True when prefix p is an IPv4 prefix (an IPv4-mapped address, len >= 96). */
bool sw_prefix_is_v4(const struct sw_prefix *p);

/* --- explanations --------------------------------------------------------- */

/* A policy that selects (isolates) one side. Strings point into the policy
 * set. */
struct sw_expl_policy {
	size_t index;      /* in the policy set */
	const char *ns;
	const char *name;
	const char *origin; /* "k8s" or "compose" */
	const char *file;
	unsigned line;
};

/* A rule that admits the connection. */
struct sw_expl_rule {
	size_t policy;     /* index in the policy set */
	const char *ns;
	const char *name;
	size_t rule_index; /* 0-based index in spec.ingress / spec.egress */
	const char *file;
	unsigned line;
};

/* One side of a connection: the source's egress or the destination's
 * ingress. */
struct sw_expl_side {
	long ep;            /* endpoint index, -1 for an external address */
	const char *ep_id;  /* "ns/name", NULL when external */
	bool isolated;      /* some policy selects ep for this direction */
	bool allowed;       /* this side lets the connection through */
	size_t n_policies;
	struct sw_expl_policy *policies; /* those isolating ep, in set order */
	size_t n_rules;
	struct sw_expl_rule *rules;      /* those admitting the connection */
};

struct sw_explanation {
	struct sw_judgement j;
	struct sw_addr src;
	struct sw_addr dst;
	uint8_t proto;
	uint16_t dport;
	struct sw_expl_side egress;  /* the source side */
	struct sw_expl_side ingress; /* the destination side */
};

/* Judges src -> dst like sw_matcher_judge, and records why: which
 * policies select each side, which rules admit the connection. Computed
 * from the policies directly (not from the compiled form), so it also
 * serves as a reference for the fast path. On SW_OK *out is set; caller
 * frees with sw_explanation_free. Errors: SW_ERR_NOMEM. */
enum sw_status sw_matcher_explain(const struct sw_matcher *m, const struct sw_addr *src,
                                  const struct sw_addr *dst, uint8_t proto,
                                  uint16_t dport, struct sw_explanation **out) SW_WUR;

/* NULL is a no-op. */
void sw_explanation_free(struct sw_explanation *ex);

/* The explanation as human text, several lines ending with '\n'. Returns a
 * string the caller frees with free(), or NULL when out of memory. */
char *sw_explanation_text(const struct sw_explanation *ex);

/* The explanation as a jansson object (new reference, caller releases with
 * json_decref), or NULL when out of memory. Fields: verdict, reason, src,
 * dst, proto, port, egress and ingress, each {endpoint, isolated, allowed,
 * policies:[{namespace, name, origin, file, line}], rules:[{namespace,
 * name, direction, index, file, line}]}. */
struct json_t;
struct json_t *sw_explanation_json(const struct sw_explanation *ex);

#endif
