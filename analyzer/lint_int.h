/*
 * lint_int.h - what the lint checks share (private to analyzer/lint*.c):
 * the index built once per run (which endpoints each policy selects and
 * each rule's peers match, as bitsets over endpoint indices; the verdict
 * matcher over synthetic addresses), the finding builder, and the checks'
 * entry points.
 */
#ifndef SEGWATCH_LINT_INT_H
#define SEGWATCH_LINT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/lint.h"
#include "segwatch/match.h"

enum { LINT_IN = 0, LINT_EG = 1 };

/* Above this many (selected endpoint, peer endpoint) pairs a rule is not
 * examined by rule-one-sided (see "Limits" in lint.h). */
#define LINT_PAIR_CAP (1u << 20)

/* Room for one finding's message and for the texts it is built from. */
#define LINT_MSG_MAX 1024
#define LINT_TEXT_MAX 256

/* One ingress or egress rule, flattened. */
struct lint_rule {
	size_t pol;                /* policy index */
	int dir;                   /* LINT_IN or LINT_EG */
	size_t idx;                /* index within spec.ingress / spec.egress */
	const struct sw_netpol *p;
	const struct sw_rule *r;
	bool applies;              /* the policy has this direction in policyTypes */
	bool all_peers;            /* from/to absent or empty */
	bool has_ipblock;          /* some peer is an ipBlock */
	uint64_t *eps;             /* endpoints its selector peers match */
};

struct lint_ctx {
	const struct sw_matcher *m;
	const struct sw_inventory *inv;
	const struct sw_policy_set *set;
	size_t n_ep, n_pol, n_ns;
	size_t words;              /* uint64_t words per endpoint bitset */
	size_t *ep_ns;             /* namespace index of each endpoint */
	size_t *ns_off;            /* endpoints of namespace i: ns_eps[ns_off[i] .. ns_off[i+1]) */
	size_t *ns_eps;            /* ascending within a namespace */
	long *pol_ns;              /* namespace index of each policy, -1 if unknown */
	uint64_t *pol_sel;         /* n_pol bitsets: endpoints each policy selects */
	uint8_t *iso;              /* per endpoint: 1 << LINT_IN | 1 << LINT_EG */
	/* Endpoints with the same namespace, labels and declared ports are
	 * judged alike by every policy: they share a shape. */
	size_t *ep_shape;
	size_t n_shapes;
	size_t n_rules;
	struct lint_rule *rules;   /* policy order; ingress rules, then egress */
	uint64_t *rule_bits;       /* storage of every rule's eps */
	/* the verdict matcher: the same policies over a copy of the inventory
	 * in which endpoint i owns exactly shadow_addr[i] */
	struct sw_inventory *shadow_inv;
	struct sw_matcher *shadow;
	struct sw_addr *shadow_addr;
	struct sw_lint_report *rep;
	bool nomem;                /* an allocation failed: the run fails */
};

/* ---- bitsets ---- */

static inline bool lint_bit(const uint64_t *b, size_t i)
{
	return (b[i / 64] >> (i % 64)) & 1u;
}

static inline void lint_set(uint64_t *b, size_t i)
{
	b[i / 64] |= (uint64_t)1 << (i % 64);
}

size_t lint_bits_count(const uint64_t *b, size_t words);
/* Index of the first set bit at or after i, or n when none (n bits). */
size_t lint_bits_next(const uint64_t *b, size_t n, size_t i);

/* ---- the index (lint_index.c) ---- */

enum sw_status lint_index_build(struct lint_ctx *c, struct sw_err *err);
void lint_index_free(struct lint_ctx *c);

static inline const uint64_t *lint_pol_sel(const struct lint_ctx *c, size_t pol)
{
	return c->pol_sel + pol * c->words;
}

/* Endpoints matched by one peer of policy pol, ORed into out (c->words
 * words); an ipBlock matches none. */
void lint_peer_eps(const struct lint_ctx *c, size_t pol, const struct sw_peer *pe,
                   uint64_t *out);

/* Namespaces (indices) a namespaceSelector matches: true when at least one;
 * any_eps set when one of them has endpoints. */
bool lint_ns_sel_matches_any(const struct lint_ctx *c, const struct sw_selector *sel,
                             bool *any_eps);

/* The endpoint's namespace index, and the namespace's endpoint range. */
static inline size_t lint_ns_count(const struct lint_ctx *c, size_t ns)
{
	return c->ns_off[ns + 1] - c->ns_off[ns];
}

/* ---- findings (lint.c) ---- */

/* Where a finding is and what it is about; fill with lint_at_*(). */
struct lint_at {
	const char *file;
	unsigned line;
	const char *ns;
	const char *policy;
	const char *direction;
	long rule, peer, port;
	struct sw_lint_related related;
};

void lint_at_endpoint(const struct lint_ctx *c, size_t ep, struct lint_at *at);
void lint_at_policy(const struct sw_netpol *p, struct lint_at *at);
void lint_at_rule(const struct lint_rule *lr, struct lint_at *at);
/* The peer's (port's) own line when known, else the rule's. */
void lint_at_peer(const struct lint_rule *lr, size_t k, struct lint_at *at);
void lint_at_port(const struct lint_rule *lr, size_t k, struct lint_at *at);
/* Sets at->related to rule lr (or, with lr NULL, to policy p). */
void lint_related_rule(const struct lint_rule *lr, struct lint_at *at);
void lint_related_policy(const struct sw_netpol *p, struct lint_at *at);

/* Adds a finding; eps (may be NULL) lists the endpoints concerned. On
 * allocation failure sets c->nomem. */
void lint_add(struct lint_ctx *c, enum sw_lint_check check, const struct lint_at *at,
              const uint64_t *eps, const char *fmt, ...) SW_PRINTF(5, 6);
/* The same for a single endpoint. */
void lint_add_ep(struct lint_ctx *c, enum sw_lint_check check, const struct lint_at *at,
                 size_t ep, const char *fmt, ...) SW_PRINTF(5, 6);

/* ---- text for messages (lint_describe.c); each returns buf ---- */

/* "app=web,tier in (a,b),!legacy" or "{}" for an empty selector. */
const char *lint_sel_text(const struct sw_selector *s, char *buf, size_t len);
/* "TCP 8080, UDP 53, TCP 8000-8010, TCP port \"http\", every TCP port", or
 * "every port and protocol" when the rule has no ports. */
const char *lint_ports_text(const struct sw_rule *r, char *buf, size_t len);
/* One entry of a rule's ports, in the same words. */
const char *lint_port_text(const struct sw_port_rule *p, char *buf, size_t len);
/* "ns/a, ns/b, ns/c and 4 more" (at most three named). */
const char *lint_eps_text(const struct lint_ctx *c, const uint64_t *eps, char *buf,
                          size_t len);
/* "ns/name, ns/name2" of the policies in pols (n_pol bits), at most three. */
const char *lint_pols_text(const struct lint_ctx *c, const size_t *pols, size_t n, char *buf,
                           size_t len);
const char *lint_dir_name(int dir);
const char *lint_peer_word(int dir); /* "source" / "destination" */

/* True for policies translated from a compose file. */
bool lint_is_compose(const struct sw_netpol *p);

/* ---- the checks, each in its own file ---- */

void lint_check_isolation(struct lint_ctx *c);  /* lint_isolation.c */
void lint_check_breadth(struct lint_ctx *c);    /* lint_breadth.c */
void lint_check_refs(struct lint_ctx *c);       /* lint_refs.c */
void lint_check_reach(struct lint_ctx *c);      /* lint_reach.c */
void lint_check_redundant(struct lint_ctx *c);  /* lint_redundant.c */

#endif
