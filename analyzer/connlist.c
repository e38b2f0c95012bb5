/*
 * connlist.c - enumerates every connection a compiled matcher allows
 * (see connlist.h for the format), working on classes: the ports allowed
 * between two endpoints depend only on their classes, and those between an
 * endpoint and an external address only on the external cell's class.
 */
#include "segwatch/connlist.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static const uint8_t protos[] = {SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_SCTP};
#define N_PROTOS 3

/* Above this many endpoint classes, pair results are not cached. */
#define PAIR_CACHE_MAX_CLASSES 256

/* --- port sets ------------------------------------------------------------ */

struct pset {
	struct sw_port_range *r;
	size_t n, cap;
};

/* The ports of the three protocols between one source and one destination. */
struct connset {
	struct pset p[N_PROTOS];
};

static int pset_add(struct pset *s, uint16_t lo, uint16_t hi)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4;
		struct sw_port_range *nr = realloc(s->r, ncap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		s->r = nr;
		s->cap = ncap;
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct sw_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* Sorts, merges overlapping and adjacent ranges, and drops port 0. */
static void pset_normalize(struct pset *s)
{
	size_t n = 0;

	if (s->n == 0)
		return;
	qsort(s->r, s->n, sizeof(*s->r), cmp_range);
	for (size_t i = 0; i < s->n; i++) {
		struct sw_port_range r = s->r[i];
		if (r.lo == 0) {
			if (r.hi == 0)
				continue;
			r.lo = 1;
		}
		if (n > 0 && (uint32_t)r.lo <= (uint32_t)s->r[n - 1].hi + 1) {
			if (r.hi > s->r[n - 1].hi)
				s->r[n - 1].hi = r.hi;
			continue;
		}
		s->r[n++] = r;
	}
	s->n = n;
}

static int pset_intersect(const struct pset *a, const struct pset *b, struct pset *out)
{
	size_t i = 0, j = 0;

	out->n = 0;
	while (i < a->n && j < b->n) {
		uint16_t lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
		uint16_t hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;
		if (lo <= hi && pset_add(out, lo, hi) != 0)
			return -1;
		if (a->r[i].hi < b->r[j].hi)
			i++;
		else
			j++;
	}
	return 0;
}

static bool pset_eq(const struct pset *a, const struct pset *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->r, b->r, a->n * sizeof(*a->r)) == 0);
}

static void connset_free(struct connset *c)
{
	for (size_t i = 0; i < N_PROTOS; i++) {
		free(c->p[i].r);
		c->p[i] = (struct pset){0};
	}
}

static bool connset_eq(const struct connset *a, const struct connset *b)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (!pset_eq(&a->p[i], &b->p[i]))
			return false;
	return true;
}

static bool connset_empty(const struct connset *c)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (c->p[i].n > 0)
			return false;
	return true;
}

/* --- per-side ports --------------------------------------------------------- */

struct named_add {
	struct pset *s;
	int failed;
};

static void add_named(void *ctx, uint16_t port)
{
	struct named_add *na = ctx;

	if (pset_add(na->s, port, port) != 0)
		na->failed = 1;
}

/* The ports of proto that side dir of class t allows for peer class other,
 * with named ports resolved on class dst. */
static int side_ports(const struct sw_matcher *m, uint32_t t, int dir, uint32_t other,
                      uint32_t dst, uint8_t proto, struct pset *out)
{
	const struct mt_class *k = &m->classes[t];
	const uint32_t *ids = m->class_rules + k->rule_off[dir];
	struct named_add na = {out, 0};

	out->n = 0;
	if (!k->iso[dir])
		return pset_add(out, 1, UINT16_MAX);
	for (uint32_t i = 0; i < k->n_rules[dir]; i++) {
		const struct mt_rule *r = &m->rules[ids[i]];
		const struct mt_port *p = m->ports + r->port_off;

		if (!mt_rule_peer_matches(m, r, other))
			continue;
		if (r->all_ports && pset_add(out, 1, UINT16_MAX) != 0)
			return -1;
		for (uint32_t j = 0; !r->all_ports && j < r->n_ports; j++) {
			if (p[j].proto != proto)
				continue;
			if (p[j].named)
				mt_named_each(m, dst, p[j].name_id, proto, add_named, &na);
			else if (pset_add(out, p[j].lo, p[j].hi) != 0)
				return -1;
		}
		if (na.failed)
			return -1;
	}
	pset_normalize(out);
	return 0;
}

/* The connection set from class s to class d. */
static int conn_between(const struct sw_matcher *m, uint32_t s, uint32_t d, struct connset *out)
{
	struct pset eg = {0}, in = {0};
	int rc = 0;

	for (size_t i = 0; i < N_PROTOS && rc == 0; i++) {
		rc = side_ports(m, s, MT_EGRESS, d, d, protos[i], &eg);
		if (rc == 0)
			rc = side_ports(m, d, MT_INGRESS, s, d, protos[i], &in);
		if (rc == 0)
			rc = pset_intersect(&eg, &in, &out->p[i]);
	}
	free(eg.r);
	free(in.r);
	return rc;
}

/* --- the list ------------------------------------------------------------------ */

struct rec {
	char *src, *dst, *line;
	struct sw_conn conn;
	struct sw_port_range *ranges;
};

struct sw_connlist {
	struct rec *v;
	size_t n, cap;
};

const char *sw_connlist_proto_name(uint8_t proto)
{
	switch (proto) {
	case SW_PROTO_TCP:
		return "TCP";
	case SW_PROTO_UDP:
		return "UDP";
	case SW_PROTO_SCTP:
		return "SCTP";
	}
	return NULL;
}

static char *ports_text(const struct pset *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		fprintf(f, "%s%u", i ? "," : "", s->r[i].lo);
		if (s->r[i].hi != s->r[i].lo)
			fprintf(f, "-%u", s->r[i].hi);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int emit_one(struct sw_connlist *cl, const char *src, const char *dst, uint8_t proto,
                    const struct pset *s)
{
	struct rec *r;
	char *ports;
	int len;

	if (s->n == 0)
		return 0;
	if (cl->n == cl->cap) {
		size_t ncap = cl->cap ? cl->cap * 2 : 64;
		struct rec *nv = realloc(cl->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		cl->v = nv;
		cl->cap = ncap;
	}
	r = &cl->v[cl->n];
	memset(r, 0, sizeof(*r));
	ports = ports_text(s);
	r->src = strdup(src);
	r->dst = strdup(dst);
	r->ranges = malloc(s->n * sizeof(*r->ranges));
	len = ports ? asprintf(&r->line, "%s %s %s %s", src, dst, sw_connlist_proto_name(proto),
	                       ports)
	            : -1;
	free(ports);
	if (len < 0)
		r->line = NULL;
	if (!r->src || !r->dst || !r->ranges || !r->line) {
		free(r->src);
		free(r->dst);
		free(r->ranges);
		free(r->line);
		return -1;
	}
	memcpy(r->ranges, s->r, s->n * sizeof(*r->ranges));
	r->conn = (struct sw_conn){r->src, r->dst, proto, s->n, r->ranges, r->line};
	cl->n++;
	return 0;
}

static int emit(struct sw_connlist *cl, const char *src, const char *dst, const struct connset *c)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (emit_one(cl, src, dst, protos[i], &c->p[i]) != 0)
			return -1;
	return 0;
}

/* --- endpoint pairs ---------------------------------------------------------- */

struct pairs {
	const struct sw_matcher *m;
	struct connset *cache; /* n_ep_classes^2 when small enough */
	bool *done;
	struct connset scratch;
};

static const struct connset *pair_get(struct pairs *p, uint32_t s, uint32_t d)
{
	struct connset *c = &p->scratch;

	if (p->cache != NULL) {
		size_t at = (size_t)s * p->m->n_ep_classes + d;
		c = &p->cache[at];
		if (p->done[at])
			return c;
		p->done[at] = true;
	}
	return conn_between(p->m, s, d, c) == 0 ? c : NULL;
}

static int endpoint_pairs(const struct sw_matcher *m, struct sw_connlist *cl)
{
	struct pairs p = {m, NULL, NULL, {{{0}}}};
	size_t nc = m->n_ep_classes;
	int rc = 0;

	if (nc > 0 && nc <= PAIR_CACHE_MAX_CLASSES) {
		p.cache = calloc(nc * nc, sizeof(*p.cache));
		p.done = calloc(nc * nc, sizeof(*p.done));
		if (p.cache == NULL || p.done == NULL)
			rc = -1;
	}
	for (size_t a = 0; a < m->n_ep && rc == 0; a++) {
		const char *ida = sw_inventory_endpoint(m->inv, a)->id;
		for (size_t b = 0; b < m->n_ep && rc == 0; b++) {
			const struct connset *c;
			if (a == b)
				continue;
			c = pair_get(&p, m->ep_class[a], m->ep_class[b]);
			rc = c ? emit(cl, ida, sw_inventory_endpoint(m->inv, b)->id, c) : -1;
		}
	}
	if (p.cache != NULL)
		for (size_t i = 0; i < nc * nc; i++)
			connset_free(&p.cache[i]);
	free(p.cache);
	free(p.done);
	connset_free(&p.scratch);
	return rc;
}

/* --- endpoint to and from the external space --------------------------------- */

struct extwalk {
	const struct sw_matcher *m;
	struct sw_connlist *cl;
	const char *ep_id;
	uint32_t ep_cls;
	bool outbound;           /* endpoint -> external, else external -> endpoint */
	struct connset *cache;   /* per external class */
	bool *done;
	/* the open run */
	bool open;
	mt_u128 first, last;
	const struct connset *set;
};

static const struct connset *ext_set(struct extwalk *w, uint32_t cls)
{
	size_t x = cls - w->m->n_ep_classes;

	if (!w->done[x]) {
		w->done[x] = true;
		int rc = w->outbound ? conn_between(w->m, w->ep_cls, cls, &w->cache[x])
		                     : conn_between(w->m, cls, w->ep_cls, &w->cache[x]);
		if (rc != 0)
			return NULL;
	}
	return &w->cache[x];
}

static int run_close(struct extwalk *w)
{
	char a[SW_ADDR_STRLEN], b[SW_ADDR_STRLEN], name[2 * SW_ADDR_STRLEN + 8];
	struct sw_addr fa, la;

	if (!w->open)
		return 0;
	w->open = false;
	if (connset_empty(w->set))
		return 0;
	mt_u128_to_addr(w->first, &fa);
	mt_u128_to_addr(w->last, &la);
	snprintf(name, sizeof(name), "ext:%s-%s", sw_addr_format(&fa, a, sizeof(a)),
	         sw_addr_format(&la, b, sizeof(b)));
	return w->outbound ? emit(w->cl, w->ep_id, name, w->set) : emit(w->cl, name, w->ep_id, w->set);
}

static mt_u128 range_last(const struct sw_matcher *m, size_t i)
{
	return i + 1 < m->n_ranges ? m->starts[i + 1] - 1 : ~(mt_u128)0;
}

/* Walks intervals [from, to) of one family, extending or closing runs. */
static int walk(struct extwalk *w, size_t from, size_t to)
{
	const struct sw_matcher *m = w->m;

	for (size_t i = from; i < to; i++) {
		const struct connset *s;
		if (m->owners[i].ep >= 0) {
			if (run_close(w) != 0)
				return -1;
			continue;
		}
		s = ext_set(w, m->owners[i].cls);
		if (s == NULL)
			return -1;
		if (w->open && (s == w->set || connset_eq(s, w->set))) {
			w->last = range_last(m, i);
			continue;
		}
		if (run_close(w) != 0)
			return -1;
		w->open = true;
		w->first = m->starts[i];
		w->last = range_last(m, i);
		w->set = s;
	}
	return 0;
}

static int external_side(const struct sw_matcher *m, struct sw_connlist *cl, size_t ep,
                         bool outbound, struct connset *cache, bool *done)
{
	size_t n_x = m->n_classes - m->n_ep_classes, v4_end = m->v4_first + m->n_v4;
	struct extwalk w = {
		.m = m, .cl = cl, .ep_id = sw_inventory_endpoint(m->inv, ep)->id,
		.ep_cls = m->ep_class[ep], .outbound = outbound, .cache = cache, .done = done,
	};
	int rc;

	for (size_t i = 0; i < n_x; i++)
		done[i] = false;
	rc = walk(&w, m->v4_first, v4_end);
	if (rc == 0)
		rc = run_close(&w);
	/* IPv6: below and above the mapped IPv4 block, as one sequence */
	if (rc == 0)
		rc = walk(&w, 0, m->v4_first);
	if (rc == 0)
		rc = walk(&w, v4_end, m->n_ranges);
	if (rc == 0)
		rc = run_close(&w);
	return rc;
}

static int external_pairs(const struct sw_matcher *m, struct sw_connlist *cl)
{
	size_t n_x = m->n_classes - m->n_ep_classes;
	struct connset *cache = calloc(n_x + 1, sizeof(*cache));
	bool *done = calloc(n_x + 1, sizeof(*done));
	int rc = cache && done ? 0 : -1;

	for (size_t e = 0; e < m->n_ep && rc == 0; e++) {
		rc = external_side(m, cl, e, true, cache, done);
		if (rc == 0)
			rc = external_side(m, cl, e, false, cache, done);
	}
	for (size_t i = 0; cache && i < n_x; i++)
		connset_free(&cache[i]);
	free(cache);
	free(done);
	return rc;
}

/* --- public --------------------------------------------------------------------- */

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->line, ((const struct rec *)b)->line);
}

enum sw_status sw_connlist_build(const struct sw_matcher *m, struct sw_connlist **out,
                                 struct sw_err *err)
{
	struct sw_connlist *cl = calloc(1, sizeof(*cl));

	if (cl == NULL || endpoint_pairs(m, cl) != 0 || external_pairs(m, cl) != 0) {
		sw_connlist_free(cl);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0,
		                  "out of memory while listing connections");
	}
	if (cl->n > 0)
		qsort(cl->v, cl->n, sizeof(*cl->v), cmp_rec);
	for (size_t i = 0; i < cl->n; i++) {
		struct rec *r = &cl->v[i];
		r->conn = (struct sw_conn){r->src, r->dst, r->conn.proto, r->conn.n_ranges, r->ranges,
		                           r->line};
	}
	*out = cl;
	return SW_OK;
}

void sw_connlist_free(struct sw_connlist *cl)
{
	if (cl == NULL)
		return;
	for (size_t i = 0; i < cl->n; i++) {
		free(cl->v[i].src);
		free(cl->v[i].dst);
		free(cl->v[i].line);
		free(cl->v[i].ranges);
	}
	free(cl->v);
	free(cl);
}

size_t sw_connlist_count(const struct sw_connlist *cl)
{
	return cl->n;
}

const struct sw_conn *sw_connlist_get(const struct sw_connlist *cl, size_t i)
{
	return &cl->v[i].conn;
}

enum sw_status sw_connlist_write_text(const struct sw_connlist *cl, FILE *f)
{
	for (size_t i = 0; i < cl->n; i++)
		if (fputs(cl->v[i].line, f) == EOF || fputc('\n', f) == EOF)
			return SW_ERR_IO;
	return fflush(f) == 0 ? SW_OK : SW_ERR_IO;
}

static json_t *conn_json(const struct sw_conn *c)
{
	json_t *ports = json_array();
	int bad = ports == NULL;

	for (size_t i = 0; !bad && i < c->n_ranges; i++)
		bad |= json_array_append_new(ports, json_pack("[i, i]", (int)c->ranges[i].lo,
		                                              (int)c->ranges[i].hi));
	if (bad) {
		json_decref(ports);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "src", c->src, "dst", c->dst, "proto",
	                 sw_connlist_proto_name(c->proto), "ports", ports);
}

/* One object per line, so that the JSON diffs as well as the text. */
enum sw_status sw_connlist_write_json(const struct sw_connlist *cl, FILE *f)
{
	if (fputs(cl->n ? "[\n" : "[", f) == EOF)
		return SW_ERR_IO;
	for (size_t i = 0; i < cl->n; i++) {
		json_t *o = conn_json(&cl->v[i].conn);
		int bad;

		if (o == NULL)
			return SW_ERR_NOMEM;
		bad = fputs("  ", f) == EOF || json_dumpf(o, f, JSON_PRESERVE_ORDER) != 0 ||
		      fputs(i + 1 < cl->n ? ",\n" : "\n", f) == EOF;
		json_decref(o);
		if (bad)
			return SW_ERR_IO;
	}
	return fputs("]\n", f) == EOF || fflush(f) != 0 ? SW_ERR_IO : SW_OK;
}
