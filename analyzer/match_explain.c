/*
 * match_explain.c - explanations of verdicts: evaluates a connection
 * directly against the policies (a slow reference path, independent of the
 * compiled tables) and records which policies select each side and which
 * rules admit it; renders the result as text or JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/match.h"

/* "tcp", "udp", ... or the protocol number (in buf). */
static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case SW_PROTO_TCP:
		return "tcp";
	case SW_PROTO_UDP:
		return "udp";
	case SW_PROTO_SCTP:
		return "sctp";
	case SW_PROTO_ICMP:
		return "icmp";
	case SW_PROTO_ICMPV6:
		return "icmpv6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* --- evaluation ------------------------------------------------------------ */

struct peer_ctx {
	const struct sw_inventory *inv;
	long ep;                   /* the peer endpoint, -1 when external */
	const struct sw_addr *addr;
};

static bool peer_matches(const struct peer_ctx *pc, const struct sw_netpol *p,
                         const struct sw_peer *pe)
{
	const struct sw_endpoint *ep;

	if (pe->has_ipblock)
		return pc->ep < 0 && sw_ipblock_contains(&pe->ipblock, pc->addr);
	if (pc->ep < 0 || (!pe->has_pod_sel && !pe->has_ns_sel))
		return false;
	ep = sw_inventory_endpoint(pc->inv, (size_t)pc->ep);
	if (pe->has_ns_sel) {
		const struct sw_namespace *ns = sw_inventory_find_namespace(pc->inv, ep->ns);
		if (ns == NULL || !sw_selector_matches(&pe->ns_sel, &ns->labels))
			return false;
	} else if (strcmp(ep->ns, p->ns) != 0) {
		return false;
	}
	return !pe->has_pod_sel || sw_selector_matches(&pe->pod_sel, &ep->labels);
}

static bool named_port_is(const struct sw_endpoint *dst, const char *name, uint8_t proto,
                          uint16_t port)
{
	for (size_t i = 0; dst != NULL && i < dst->n_ports; i++) {
		const struct sw_named_port *np = &dst->ports[i];
		if (np->name && strcmp(np->name, name) == 0 && np->proto == proto && np->port == port)
			return true;
	}
	return false;
}

static bool port_matches(const struct sw_rule *r, const struct sw_endpoint *dst,
                         uint8_t proto, uint16_t port)
{
	if (!r->ports_present || r->n_ports == 0) /* empty = absent, as upstream */
		return true;
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct sw_port_rule *pr = &r->ports[i];
		uint16_t hi = pr->end_port >= pr->port ? pr->end_port : pr->port;
		if (pr->proto != proto)
			continue;
		if (!pr->has_port)
			return true;
		if (pr->port_name ? named_port_is(dst, pr->port_name, proto, port)
		                  : (port >= pr->port && port <= hi))
			return true;
	}
	return false;
}

static bool rule_matches(const struct peer_ctx *pc, const struct sw_netpol *p,
                         const struct sw_rule *r, const struct sw_endpoint *dst,
                         uint8_t proto, uint16_t port)
{
	bool peer = !r->peers_present || r->n_peers == 0; /* empty = absent */

	for (size_t i = 0; !peer && i < r->n_peers; i++)
		peer = peer_matches(pc, p, &r->peers[i]);
	return peer && port_matches(r, dst, proto, port);
}

static int push_policy(struct sw_expl_side *s, size_t idx, const struct sw_netpol *p)
{
	struct sw_expl_policy *np = realloc(s->policies, (s->n_policies + 1) * sizeof(*np));

	if (np == NULL)
		return -1;
	s->policies = np;
	np[s->n_policies++] = (struct sw_expl_policy){
		.index = idx, .ns = p->ns, .name = p->name, .origin = p->origin,
		.file = p->file, .line = p->line,
	};
	return 0;
}

static int push_rule(struct sw_expl_side *s, size_t idx, const struct sw_netpol *p,
                     size_t ri, const struct sw_rule *r)
{
	struct sw_expl_rule *nr = realloc(s->rules, (s->n_rules + 1) * sizeof(*nr));

	if (nr == NULL)
		return -1;
	s->rules = nr;
	nr[s->n_rules++] = (struct sw_expl_rule){
		.policy = idx, .ns = p->ns, .name = p->name, .rule_index = ri,
		.file = p->file, .line = r->line ? r->line : p->line,
	};
	return 0;
}

/* Evaluates one side: target endpoint s->ep, direction ingress or egress,
 * against peer pc; named ports resolve on dst. */
static int eval_side(const struct sw_matcher *m, struct sw_expl_side *s, bool ingress,
                     const struct peer_ctx *pc, const struct sw_endpoint *dst,
                     uint8_t proto, uint16_t port)
{
	const struct sw_policy_set *set = sw_matcher_policies(m);
	const struct sw_endpoint *me;

	s->allowed = true;
	if (s->ep < 0)
		return 0;
	me = sw_inventory_endpoint(sw_matcher_inventory(m), (size_t)s->ep);
	s->ep_id = me->id;
	for (size_t i = 0; i < sw_policy_set_count(set); i++) {
		const struct sw_netpol *p = sw_policy_set_get(set, i);
		size_t n = ingress ? p->n_ingress : p->n_egress;
		const struct sw_rule *rs = ingress ? p->ingress : p->egress;

		if (!(ingress ? p->type_ingress : p->type_egress) || strcmp(p->ns, me->ns) != 0 ||
		    !sw_selector_matches(&p->pod_sel, &me->labels))
			continue;
		s->isolated = true;
		if (push_policy(s, i, p) != 0)
			return -1;
		for (size_t ri = 0; ri < n; ri++)
			if (rule_matches(pc, p, &rs[ri], dst, proto, port) && push_rule(s, i, p, ri, &rs[ri]) != 0)
				return -1;
	}
	s->allowed = !s->isolated || s->n_rules > 0;
	return 0;
}

static void set_verdict(struct sw_explanation *ex)
{
	struct sw_judgement *j = &ex->j;
	bool eg = ex->egress.allowed, in = ex->ingress.allowed;

	j->verdict = eg && in ? SW_VERDICT_ALLOWED : SW_VERDICT_DENIED;
	if (eg && in)
		j->reason = ex->egress.isolated || ex->ingress.isolated ? SW_REASON_ALLOWED_BY_POLICY
		                                                          : SW_REASON_NOT_ISOLATED;
	else if (!eg && !in)
		j->reason = SW_REASON_DENIED_BOTH;
	else
		j->reason = eg ? SW_REASON_DENIED_INGRESS : SW_REASON_DENIED_EGRESS;
}

enum sw_status sw_matcher_explain(const struct sw_matcher *m, const struct sw_addr *src,
                                  const struct sw_addr *dst, uint8_t proto, uint16_t dport,
                                  struct sw_explanation **out)
{
	const struct sw_inventory *inv = sw_matcher_inventory(m);
	struct sw_explanation *ex = calloc(1, sizeof(*ex));
	struct peer_ctx to_dst, from_src;
	const struct sw_endpoint *dst_ep = NULL;

	if (ex == NULL)
		return SW_ERR_NOMEM;
	ex->src = *src;
	ex->dst = *dst;
	ex->proto = proto;
	ex->dport = dport;
	ex->j.src_ep = ex->egress.ep = sw_matcher_endpoint_of(m, src);
	ex->j.dst_ep = ex->ingress.ep = sw_matcher_endpoint_of(m, dst);
	ex->egress.allowed = ex->ingress.allowed = true;
	if (ex->egress.ep >= 0)
		ex->egress.ep_id = sw_inventory_endpoint(inv, (size_t)ex->egress.ep)->id;
	if (ex->ingress.ep >= 0) {
		dst_ep = sw_inventory_endpoint(inv, (size_t)ex->ingress.ep);
		ex->ingress.ep_id = dst_ep->id;
	}
	ex->j.verdict = SW_VERDICT_ALLOWED;
	ex->j.reason = SW_REASON_NOT_ISOLATED;
	if (ex->egress.ep < 0 && ex->ingress.ep < 0) {
		*out = ex;
		return SW_OK;
	}
	if (ex->egress.ep >= 0 && sw_addr_cmp(src, dst) == 0) {
		ex->j.reason = SW_REASON_SELF;
		*out = ex;
		return SW_OK;
	}
	to_dst = (struct peer_ctx){inv, ex->ingress.ep, dst};
	from_src = (struct peer_ctx){inv, ex->egress.ep, src};
	if (eval_side(m, &ex->egress, false, &to_dst, dst_ep, proto, dport) != 0 ||
	    eval_side(m, &ex->ingress, true, &from_src, dst_ep, proto, dport) != 0) {
		sw_explanation_free(ex);
		return SW_ERR_NOMEM;
	}
	set_verdict(ex);
	*out = ex;
	return SW_OK;
}

void sw_explanation_free(struct sw_explanation *ex)
{
	if (ex == NULL)
		return;
	free(ex->egress.policies);
	free(ex->egress.rules);
	free(ex->ingress.policies);
	free(ex->ingress.rules);
	free(ex);
}

/* --- text ------------------------------------------------------------------ */

static void text_party(FILE *f, const struct sw_addr *a, const char *ep_id)
{
	char buf[SW_ADDR_STRLEN];

	fprintf(f, "%s (%s)", sw_addr_format(a, buf, sizeof(buf)), ep_id ? ep_id : "external");
}

static void text_where(FILE *f, const char *file, unsigned line)
{
	if (file && *file && line)
		fprintf(f, " (%s:%u)", file, line);
	else if (file && *file)
		fprintf(f, " (%s)", file);
}

static void text_side(FILE *f, const struct sw_explanation *ex, const struct sw_expl_side *s,
                      bool ingress)
{
	const char *dir = ingress ? "ingress" : "egress";
	const struct sw_addr *peer = ingress ? &ex->src : &ex->dst;
	const char *peer_id = ingress ? ex->egress.ep_id : ex->ingress.ep_id;
	char pbuf[8];

	if (s->ep < 0) {
		fprintf(f, "  %s: external address, no policy applies: allowed\n", dir);
		return;
	}
	if (!s->isolated) {
		fprintf(f, "  %s of %s: no policy selects it for %s: allowed\n", dir, s->ep_id, dir);
		return;
	}
	fprintf(f, "  %s of %s: isolated by", dir, s->ep_id);
	for (size_t i = 0; i < s->n_policies; i++) {
		fprintf(f, "%s %s/%s", i ? "," : "", s->policies[i].ns, s->policies[i].name);
		text_where(f, s->policies[i].file, s->policies[i].line);
	}
	fprintf(f, "\n");
	for (size_t i = 0; i < s->n_rules; i++) {
		fprintf(f, "    allowed by %s/%s %s[%zu]", s->rules[i].ns, s->rules[i].name, dir,
		        s->rules[i].rule_index);
		text_where(f, s->rules[i].file, s->rules[i].line);
		fprintf(f, "\n");
	}
	if (s->n_rules == 0) {
		fprintf(f, "    denied: no %s rule of these policies admits ", dir);
		text_party(f, peer, peer_id);
		fprintf(f, " on %s", proto_name(ex->proto, pbuf, sizeof(pbuf)));
		if (ex->proto == SW_PROTO_TCP || ex->proto == SW_PROTO_UDP || ex->proto == SW_PROTO_SCTP)
			fprintf(f, "/%u", ex->dport);
		fprintf(f, "\n");
	}
}

char *sw_explanation_text(const struct sw_explanation *ex)
{
	char *text = NULL;
	size_t len = 0;
	char pbuf[8];
	FILE *f = open_memstream(&text, &len);
	bool ported = ex->proto == SW_PROTO_TCP || ex->proto == SW_PROTO_UDP ||
	              ex->proto == SW_PROTO_SCTP;

	if (f == NULL)
		return NULL;
	text_party(f, &ex->src, ex->egress.ep_id);
	fprintf(f, " -> ");
	text_party(f, &ex->dst, ex->ingress.ep_id);
	fprintf(f, " %s", proto_name(ex->proto, pbuf, sizeof(pbuf)));
	if (ported)
		fprintf(f, "/%u", ex->dport);
	fprintf(f, ": %s (%s)\n", sw_verdict_name(ex->j.verdict), sw_reason_name(ex->j.reason));
	if (ex->j.reason == SW_REASON_SELF) {
		fprintf(f, "  an endpoint's traffic to its own address is always allowed\n");
	} else if (ex->egress.ep < 0 && ex->ingress.ep < 0) {
		fprintf(f, "  both addresses are external: no policy applies\n");
	} else {
		text_side(f, ex, &ex->egress, false);
		text_side(f, ex, &ex->ingress, true);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* --- JSON ------------------------------------------------------------------- */

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *json_side(const struct sw_expl_side *s, const char *dir)
{
	json_t *o = json_object(), *pols = json_array(), *rules = json_array();
	int bad = o == NULL || pols == NULL || rules == NULL;

	for (size_t i = 0; !bad && i < s->n_policies; i++) {
		const struct sw_expl_policy *p = &s->policies[i];
		bad |= json_array_append_new(pols, json_pack("{s:s?, s:s?, s:s?, s:s?, s:I}",
		        "namespace", p->ns, "name", p->name, "origin", p->origin, "file", p->file,
		        "line", (json_int_t)p->line));
	}
	for (size_t i = 0; !bad && i < s->n_rules; i++) {
		const struct sw_expl_rule *r = &s->rules[i];
		bad |= json_array_append_new(rules, json_pack("{s:s?, s:s?, s:s, s:I, s:s?, s:I}",
		        "namespace", r->ns, "name", r->name, "direction", dir,
		        "index", (json_int_t)r->rule_index, "file", r->file,
		        "line", (json_int_t)r->line));
	}
	if (!bad) {
		bad |= json_object_set_new(o, "endpoint", json_str_or_null(s->ep_id));
		bad |= json_object_set_new(o, "isolated", json_boolean(s->isolated));
		bad |= json_object_set_new(o, "allowed", json_boolean(s->allowed));
		bad |= json_object_set(o, "policies", pols);
		bad |= json_object_set(o, "rules", rules);
	}
	json_decref(pols);
	json_decref(rules);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct json_t *sw_explanation_json(const struct sw_explanation *ex)
{
	char src[SW_ADDR_STRLEN], dst[SW_ADDR_STRLEN], pbuf[8];
	json_t *eg = json_side(&ex->egress, "egress");
	json_t *in = json_side(&ex->ingress, "ingress");
	json_t *o = NULL;

	if (eg && in)
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:O, s:O}",
		              "verdict", sw_verdict_name(ex->j.verdict),
		              "reason", sw_reason_name(ex->j.reason),
		              "src", sw_addr_format(&ex->src, src, sizeof(src)),
		              "dst", sw_addr_format(&ex->dst, dst, sizeof(dst)),
		              "proto", proto_name(ex->proto, pbuf, sizeof(pbuf)),
		              "port", (int)ex->dport, "egress", eg, "ingress", in);
	json_decref(eg);
	json_decref(in);
	return o;
}
