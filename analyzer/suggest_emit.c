/*
 * suggest_emit.c - writes the suggester's model (suggest_int.h) as
 * multi-document Kubernetes NetworkPolicy YAML through libyaml's emitter,
 * after a comment header saying what it was generated from and when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#include "segwatch/proto.h"
#include "suggest_int.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"
#define MANAGED_BY_LABEL "app.kubernetes.io/managed-by"

/* ---- output buffer ---- */

struct out_buf {
	char *p;
	size_t n, cap;
	bool nomem;
};

static bool buf_add(struct out_buf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		char *np;
		while (cap < b->n + len + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->nomem = true;
			return false;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return true;
}

static bool buf_str(struct out_buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* s with control characters replaced, for a comment line. */
static bool buf_comment_text(struct out_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
		if (!buf_add(b, &c, 1))
			return false;
	}
	return true;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return buf_add(data, (const char *)buffer, size) ? 1 : 0;
}

/* ---- events ---- */

struct em {
	yaml_emitter_t e;
	const struct sg_model *m;
	bool ok;
	bool nomem; /* an event could not be built */
};

static void emit(struct em *x, int built, yaml_event_t *ev)
{
	if (!built) {
		x->ok = false;
		x->nomem = true;
		return;
	}
	if (!x->ok) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&x->e, ev))
		x->ok = false;
}

static void map_start(struct em *x)
{
	yaml_event_t ev;
	emit(x, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE),
	     &ev);
}

static void map_end(struct em *x)
{
	yaml_event_t ev;
	emit(x, yaml_mapping_end_event_initialize(&ev), &ev);
}

static void seq_start(struct em *x)
{
	yaml_event_t ev;
	emit(x, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	                                             YAML_BLOCK_SEQUENCE_STYLE), &ev);
}

static void seq_end(struct em *x)
{
	yaml_event_t ev;
	emit(x, yaml_sequence_end_event_initialize(&ev), &ev);
}

static void scalar(struct em *x, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	emit(x, yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s,
	                                     (int)strlen(s), 1, 1, style), &ev);
}

/* True when s, written plain, reads back as the same string under the
 * YAML 1.1 rules Kubernetes' loader applies: identifier-like text that is
 * not a boolean or null word. Anything else is double-quoted. */
static bool plain_safe(const char *s)
{
	static const char *const words[] = {"y", "n", "yes", "no", "true", "false", "on", "off",
	                                    "null"};

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (const char *c = s; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '/'))
			return false;
	for (size_t i = 0; i < SW_ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

static void str(struct em *x, const char *s)
{
	scalar(x, s, plain_safe(s) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void num(struct em *x, unsigned v)
{
	char b[16];

	snprintf(b, sizeof(b), "%u", v);
	scalar(x, b, YAML_PLAIN_SCALAR_STYLE);
}

static void kv(struct em *x, const char *k, const char *v)
{
	str(x, k);
	str(x, v);
}

/* ---- selectors and peers ---- */

/* A selector with matchLabels labels (n may be 0) and DoesNotExist keys. */
static void selector(struct em *x, const struct sw_labels *labels, const char *const *absent,
                     size_t n_absent)
{
	map_start(x);
	if (labels != NULL && labels->n > 0) {
		str(x, "matchLabels");
		map_start(x);
		for (size_t i = 0; i < labels->n; i++)
			kv(x, labels->items[i].key, labels->items[i].value);
		map_end(x);
	}
	if (n_absent > 0) {
		str(x, "matchExpressions");
		seq_start(x);
		for (size_t i = 0; i < n_absent; i++) {
			map_start(x);
			kv(x, "key", absent[i]);
			kv(x, "operator", "DoesNotExist");
			map_end(x);
		}
		seq_end(x);
	}
	map_end(x);
}

static void one_label_selector(struct em *x, const char *key, const char *value)
{
	struct sw_label l;
	struct sw_labels ls;

	l.key = (char *)(uintptr_t)key;
	l.value = (char *)(uintptr_t)value;
	ls.n = 1;
	ls.items = &l;
	selector(x, &ls, NULL, 0);
}

static void group_selector(struct em *x, const struct sg_group *g)
{
	selector(x, g->labels, g->absent, g->n_absent);
}

static void ns_selector(struct em *x, const char *ns)
{
	str(x, "namespaceSelector");
	one_label_selector(x, NS_NAME_LABEL, ns);
}

static void peer(struct em *x, const char *policy_ns, const struct sg_peer *p)
{
	char buf[SW_PREFIX_STRLEN];
	struct sw_prefix pfx;

	map_start(x);
	switch (p->kind) {
	case SG_PEER_GROUP: {
		const struct sg_group *g = &x->m->groups[p->group];
		if (strcmp(g->ns, policy_ns) != 0)
			ns_selector(x, g->ns);
		str(x, "podSelector");
		group_selector(x, g);
		break;
	}
	case SG_PEER_EXTERNAL:
		pfx.addr = p->addr;
		pfx.len = 128;
		str(x, "ipBlock");
		map_start(x);
		str(x, "cidr");
		scalar(x, sw_prefix_format(&pfx, buf, sizeof(buf)), YAML_ANY_SCALAR_STYLE);
		map_end(x);
		break;
	case SG_PEER_DNS:
		ns_selector(x, p->dns_ns);
		str(x, "podSelector");
		one_label_selector(x, "k8s-app", "kube-dns");
		break;
	case SG_PEER_ANY_POD:
		str(x, "namespaceSelector");
		selector(x, NULL, NULL, 0);
		break;
	}
	map_end(x);
}

static void rule(struct em *x, const struct sg_policy *pol, const struct sg_rule *r)
{
	map_start(x);
	str(x, pol->ingress ? "from" : "to");
	seq_start(x);
	for (size_t i = 0; i < r->n_peers; i++)
		peer(x, pol->ns, &r->peers[i]);
	seq_end(x);
	str(x, "ports");
	seq_start(x);
	for (size_t i = 0; i < r->n_ports; i++) {
		const char *proto = r->ports[i].proto == SW_PROTO_UDP    ? "UDP"
		                    : r->ports[i].proto == SW_PROTO_SCTP ? "SCTP"
		                                                         : "TCP";
		map_start(x);
		kv(x, "protocol", proto);
		str(x, "port");
		num(x, r->ports[i].port);
		map_end(x);
	}
	seq_end(x);
	map_end(x);
}

/* ---- documents ---- */

static void metadata(struct em *x, const struct sg_policy *p)
{
	str(x, "metadata");
	map_start(x);
	kv(x, "name", p->name);
	kv(x, "namespace", p->ns);
	str(x, "labels");
	map_start(x);
	kv(x, MANAGED_BY_LABEL, "segwatch");
	map_end(x);
	map_end(x);
}

static void spec(struct em *x, const struct sg_policy *p)
{
	str(x, "spec");
	map_start(x);
	str(x, "podSelector");
	if (p->target == SG_TARGET_GROUP)
		group_selector(x, &x->m->groups[p->group]);
	else if (p->target == SG_TARGET_DNS)
		one_label_selector(x, "k8s-app", "kube-dns");
	else
		selector(x, NULL, NULL, 0);
	str(x, "policyTypes");
	seq_start(x);
	if (p->ingress)
		str(x, "Ingress");
	if (p->egress)
		str(x, "Egress");
	seq_end(x);
	if (p->n_rules > 0) {
		str(x, p->ingress ? "ingress" : "egress");
		seq_start(x);
		for (size_t i = 0; i < p->n_rules; i++)
			rule(x, p, &p->rules[i]);
		seq_end(x);
	}
	map_end(x);
}

static void document(struct em *x, const struct sg_policy *p)
{
	yaml_event_t ev;

	emit(x, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0), &ev);
	map_start(x);
	kv(x, "apiVersion", "networking.k8s.io/v1");
	kv(x, "kind", "NetworkPolicy");
	metadata(x, p);
	spec(x, p);
	map_end(x);
	emit(x, yaml_document_end_event_initialize(&ev, 1), &ev);
}

static bool header(struct out_buf *b, const struct sg_model *m, uint64_t generated_ns)
{
	char line[256];
	const struct sw_suggest_stats *s = &m->stats;
	bool ok;

	snprintf(line, sizeof(line),
	         "# NetworkPolicies suggested by `segwatch policy suggest`, generated from\n"
	         "# %zu baseline edges (%zu used, %zu covered by the DNS rules, %zu skipped)",
	         s->edges, s->edges_used, s->edges_dns, s->edges_skipped);
	ok = buf_str(b, line);
	if (generated_ns > 0) {
		time_t t = (time_t)(generated_ns / 1000000000u);
		struct tm tm;
		char when[32];
		if (gmtime_r(&t, &tm) != NULL && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		                                          &tm) > 0)
			ok = ok && buf_str(b, " at ") && buf_str(b, when);
	}
	ok = ok && buf_str(b, ".\n# Namespaces:");
	for (size_t i = 0; i < m->n_ns; i++)
		ok = ok && buf_str(b, " ") && buf_comment_text(b, m->ns[i]);
	ok = ok && buf_str(b, m->n_dns_ns > 0 ? ".\n# Cluster DNS: k8s-app=kube-dns in"
	                                      : ".\n# Cluster DNS: not in the inventory; port 53 "
	                                        "of any pod");
	for (size_t i = 0; i < m->n_dns_ns; i++)
		ok = ok && buf_str(b, " ") && buf_comment_text(b, m->dns_ns[i]);
	return ok && buf_str(b, ".\n# Review before applying: only traffic the baseline saw is "
	                        "allowed.\n");
}

static enum sw_status emit_all(struct em *x, struct sw_err *err)
{
	yaml_event_t ev;

	emit(x, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING), &ev);
	for (size_t i = 0; i < x->m->n_policies && x->ok; i++)
		document(x, &x->m->policies[i]);
	emit(x, yaml_stream_end_event_initialize(&ev), &ev);
	if (x->ok && !yaml_emitter_flush(&x->e))
		x->ok = false;
	if (x->ok)
		return SW_OK;
	if (x->nomem || x->e.error == YAML_MEMORY_ERROR || x->e.error == YAML_WRITER_ERROR)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory writing YAML");
	return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "YAML emitter: %s",
	                  x->e.problem != NULL ? x->e.problem : "unknown error");
}

enum sw_status sg_emit(const struct sg_model *m, uint64_t generated_ns, char **text,
                       size_t *len, struct sw_err *err)
{
	struct out_buf b = {NULL, 0, 0, false};
	struct em x;
	enum sw_status st;

	memset(&x, 0, sizeof(x));
	if (!header(&b, m, generated_ns)) {
		free(b.p);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory writing YAML");
	}
	if (!yaml_emitter_initialize(&x.e)) {
		free(b.p);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory writing YAML");
	}
	x.m = m;
	x.ok = true;
	yaml_emitter_set_output(&x.e, write_handler, &b);
	yaml_emitter_set_unicode(&x.e, 1);
	yaml_emitter_set_width(&x.e, -1);
	yaml_emitter_set_indent(&x.e, 2);
	st = emit_all(&x, err);
	yaml_emitter_delete(&x.e);
	if (st != SW_OK) {
		free(b.p);
		return st;
	}
	*text = b.p;
	*len = b.n;
	return SW_OK;
}
