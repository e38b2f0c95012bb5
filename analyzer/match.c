/*
 * match.c - judging connections with a compiled matcher (the hot path):
 * address to endpoint/class lookup, the per-side rule test, verdict and
 * reason. The compiled form is built by match_compile.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static const char *const reason_names[SW_REASON_COUNT] = {
	[SW_REASON_ALLOWED_BY_POLICY] = "allowed_by_policy",
	[SW_REASON_NOT_ISOLATED] = "not_isolated",
	[SW_REASON_SELF] = "self",
	[SW_REASON_DENIED_INGRESS] = "denied_ingress",
	[SW_REASON_DENIED_EGRESS] = "denied_egress",
	[SW_REASON_DENIED_BOTH] = "denied_both",
};

const char *sw_verdict_name(enum sw_verdict v)
{
	switch (v) {
	case SW_VERDICT_ALLOWED:
		return "allowed";
	case SW_VERDICT_DENIED:
		return "denied";
	}
	return "unknown";
}

const char *sw_reason_name(enum sw_reason r)
{
	if ((unsigned)r >= SW_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

enum sw_status sw_reason_parse(const char *name, enum sw_reason *out)
{
	for (unsigned i = 0; i < SW_REASON_COUNT; i++) {
		if (strcmp(reason_names[i], name) == 0) {
			*out = (enum sw_reason)i;
			return SW_OK;
		}
	}
	return SW_ERR_NOTFOUND;
}

void sw_matcher_free(struct sw_matcher *m)
{
	if (m == NULL)
		return;
	free(m->ep_class);
	free(m->classes);
	free(m->peerbits);
	free(m->rules);
	free(m->ports);
	free(m->class_rules);
	free(m->named);
	free(m->starts);
	free(m->owners);
	free(m->v4_l1);
	free(m->v4_l2);
	free(m->v4_l3);
	free(m);
}

const struct sw_inventory *sw_matcher_inventory(const struct sw_matcher *m)
{
	return m->inv;
}

const struct sw_policy_set *sw_matcher_policies(const struct sw_matcher *m)
{
	return m->set;
}

void sw_matcher_get_stats(const struct sw_matcher *m, struct sw_matcher_stats *out)
{
	out->endpoints = m->n_ep;
	out->policies = sw_policy_set_count(m->set);
	out->endpoint_classes = m->n_ep_classes;
	out->external_classes = m->n_classes - m->n_ep_classes;
	out->address_ranges = m->n_ranges;
	out->peer_lists = m->n_lists;
	out->rules = m->n_rules;
	out->bytes = m->bytes;
}

/* --- address lookup -------------------------------------------------------- */

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t mt_range_of(const struct sw_matcher *m, mt_u128 v)
{
	size_t lo = 0, hi = m->n_ranges - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (m->starts[mid] <= v)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static inline size_t range_of_addr(const struct sw_matcher *m, const struct sw_addr *a)
{
	if (memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0) {
		uint32_t v = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
		             (uint32_t)a->b[14] << 8 | a->b[15];
		uint32_t e = m->v4_l1[v >> 16];

		if (e & MT_V4_NEXT) {
			e = m->v4_l2[(size_t)(e & ~MT_V4_NEXT) * 256 + (v >> 8 & 0xff)];
			if (e & MT_V4_NEXT)
				e = m->v4_l3[(size_t)(e & ~MT_V4_NEXT) * 256 + (v & 0xff)];
		}
		return m->v4_first + e;
	}
	return mt_range_of(m, mt_addr_to_u128(a));
}

long sw_matcher_endpoint_of(const struct sw_matcher *m, const struct sw_addr *a)
{
	return m->owners[range_of_addr(m, a)].ep;
}

/* --- named ports ------------------------------------------------------------ */

bool mt_named_has(const struct sw_matcher *m, uint32_t cls, uint32_t name_id,
                  uint8_t proto, uint16_t port)
{
	const struct mt_class *k = &m->classes[cls];
	const struct mt_named *n = m->named + k->named_off;

	for (uint32_t i = 0; i < k->n_named; i++)
		if (n[i].name_id == name_id && n[i].proto == proto && n[i].port == port)
			return true;
	return false;
}

void mt_named_each(const struct sw_matcher *m, uint32_t cls, uint32_t name_id,
                   uint8_t proto, void (*fn)(void *ctx, uint16_t port), void *ctx)
{
	const struct mt_class *k = &m->classes[cls];
	const struct mt_named *n = m->named + k->named_off;

	for (uint32_t i = 0; i < k->n_named; i++)
		if (n[i].name_id == name_id && n[i].proto == proto)
			fn(ctx, n[i].port);
}

/* --- judging ---------------------------------------------------------------- */

static bool rule_port_matches(const struct sw_matcher *m, const struct mt_rule *r,
                              uint32_t dst, uint8_t proto, uint16_t port)
{
	const struct mt_port *p;

	if (r->all_ports)
		return true;
	if (r->n_ports == 0)
		return false;
	p = m->ports + r->port_off; /* m->ports is NULL when no rule names a port */
	for (uint32_t j = 0; j < r->n_ports; j++) {
		if (p[j].proto != proto)
			continue;
		if (p[j].named ? mt_named_has(m, dst, p[j].name_id, proto, port)
		               : (port >= p[j].lo && port <= p[j].hi))
			return true;
	}
	return false;
}

/* True when one of target class t's rules for dir admits peer class other
 * on proto/port; named ports resolve on class dst (the destination). The
 * peer test comes first: it rejects most rules with one bit test, and
 * measured faster than testing ports first (a named port reads the
 * destination's port table). */
static bool side_allows(const struct sw_matcher *m, uint32_t t, int dir, uint32_t other,
                        uint32_t dst, uint8_t proto, uint16_t port)
{
	const struct mt_class *k = &m->classes[t];
	const uint32_t *ids = m->class_rules + k->rule_off[dir];

	for (uint32_t i = 0; i < k->n_rules[dir]; i++) {
		const struct mt_rule *r = &m->rules[ids[i]];

		if (mt_rule_peer_matches(m, r, other) && rule_port_matches(m, r, dst, proto, port))
			return true;
	}
	return false;
}

void sw_matcher_judge(const struct sw_matcher *m, const struct sw_addr *src,
                      const struct sw_addr *dst, uint8_t proto, uint16_t dport,
                      struct sw_judgement *out)
{
	const struct mt_owner *os = &m->owners[range_of_addr(m, src)];
	const struct mt_owner *od = &m->owners[range_of_addr(m, dst)];
	bool eg_iso, in_iso, eg_ok, in_ok;

	out->src_ep = os->ep;
	out->dst_ep = od->ep;
	out->verdict = SW_VERDICT_ALLOWED;
	if (os->ep < 0 && od->ep < 0) {
		out->reason = SW_REASON_NOT_ISOLATED;
		return;
	}
	if (os->ep >= 0 && memcmp(src->b, dst->b, sizeof(src->b)) == 0) {
		out->reason = SW_REASON_SELF;
		return;
	}
	eg_iso = m->classes[os->cls].iso[MT_EGRESS];
	in_iso = m->classes[od->cls].iso[MT_INGRESS];
	eg_ok = !eg_iso || side_allows(m, os->cls, MT_EGRESS, od->cls, od->cls, proto, dport);
	in_ok = !in_iso || side_allows(m, od->cls, MT_INGRESS, os->cls, od->cls, proto, dport);
	if (eg_ok && in_ok) {
		out->reason = eg_iso || in_iso ? SW_REASON_ALLOWED_BY_POLICY : SW_REASON_NOT_ISOLATED;
		return;
	}
	out->verdict = SW_VERDICT_DENIED;
	if (!eg_ok && !in_ok)
		out->reason = SW_REASON_DENIED_BOTH;
	else
		out->reason = in_ok ? SW_REASON_DENIED_EGRESS : SW_REASON_DENIED_INGRESS;
}
