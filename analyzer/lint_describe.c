/*
 * lint_describe.c - short human text for lint messages: selectors in
 * kubectl's label-query syntax, a rule's ports, lists of endpoints and
 * policies. Every function writes into a caller's buffer, truncating
 * (never overflowing) when it is too small.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "segwatch/connlist.h"
#include "lint_int.h"

struct sbuf {
	char *p;
	size_t len;
	size_t used;
};

static void sb_init(struct sbuf *b, char *buf, size_t len)
{
	b->p = buf;
	b->len = len;
	b->used = 0;
	if (len > 0)
		buf[0] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) SW_PRINTF(2, 3);

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->used += (size_t)n;
	if (b->used >= b->len)
		b->used = b->len - 1;
}

static void values_text(struct sbuf *b, const struct sw_sel_req *r)
{
	sb_printf(b, " (");
	for (size_t i = 0; i < r->n_values; i++)
		sb_printf(b, "%s%s", i ? "," : "", r->values[i]);
	sb_printf(b, ")");
}

const char *lint_sel_text(const struct sw_selector *s, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	if (s->n_reqs == 0)
		sb_printf(&b, "{}");
	for (size_t i = 0; i < s->n_reqs; i++) {
		const struct sw_sel_req *r = &s->reqs[i];
		sb_printf(&b, "%s", i ? "," : "");
		switch (r->op) {
		case SW_SEL_IN:
		case SW_SEL_NOT_IN:
			if (r->n_values == 1) {
				sb_printf(&b, "%s%s%s", r->key, r->op == SW_SEL_IN ? "=" : "!=",
				          r->values[0]);
				break;
			}
			sb_printf(&b, "%s %s", r->key, r->op == SW_SEL_IN ? "in" : "notin");
			values_text(&b, r);
			break;
		case SW_SEL_EXISTS:
			sb_printf(&b, "%s", r->key);
			break;
		case SW_SEL_DOES_NOT_EXIST:
			sb_printf(&b, "!%s", r->key);
			break;
		}
	}
	return buf;
}

static const char *proto_upper(uint8_t proto)
{
	const char *name = sw_connlist_proto_name(proto);

	return name != NULL ? name : "IP";
}

static void port_text(struct sbuf *b, const struct sw_port_rule *p)
{
	const char *proto = proto_upper(p->proto);

	if (!p->has_port)
		sb_printf(b, "every %s port", proto);
	else if (p->port_name)
		sb_printf(b, "%s port \"%s\"", proto, p->port_name);
	else if (p->end_port > p->port)
		sb_printf(b, "%s %u-%u", proto, p->port, p->end_port);
	else
		sb_printf(b, "%s %u", proto, p->port);
}

const char *lint_port_text(const struct sw_port_rule *p, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	port_text(&b, p);
	return buf;
}

const char *lint_ports_text(const struct sw_rule *r, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	if (!r->ports_present || r->n_ports == 0) {
		sb_printf(&b, "every port and protocol");
		return buf;
	}
	for (size_t i = 0; i < r->n_ports; i++) {
		sb_printf(&b, "%s", i ? ", " : "");
		port_text(&b, &r->ports[i]);
	}
	return buf;
}

#define LIST_NAMED 3

const char *lint_eps_text(const struct lint_ctx *c, const uint64_t *eps, char *buf, size_t len)
{
	struct sbuf b;
	size_t total = lint_bits_count(eps, c->words), shown = 0;

	sb_init(&b, buf, len);
	for (size_t i = lint_bits_next(eps, c->n_ep, 0); i < c->n_ep && shown < LIST_NAMED;
	     i = lint_bits_next(eps, c->n_ep, i + 1))
		sb_printf(&b, "%s%s", shown++ ? ", " : "", sw_inventory_endpoint(c->inv, i)->id);
	if (total > shown)
		sb_printf(&b, " and %zu more", total - shown);
	return buf;
}

const char *lint_pols_text(const struct lint_ctx *c, const size_t *pols, size_t n, char *buf,
                           size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	for (size_t i = 0; i < n && i < LIST_NAMED; i++) {
		const struct sw_netpol *p = sw_policy_set_get(c->set, pols[i]);
		sb_printf(&b, "%s%s/%s", i ? ", " : "", p->ns, p->name);
	}
	if (n > LIST_NAMED)
		sb_printf(&b, " and %zu more", n - LIST_NAMED);
	return buf;
}

const char *lint_dir_name(int dir)
{
	return dir == LINT_IN ? "ingress" : "egress";
}

const char *lint_peer_word(int dir)
{
	return dir == LINT_IN ? "source" : "destination";
}
