/*
 * inventory.c - the inventory store: namespaces and endpoints, name maps
 * and the address -> endpoint lookup table (see include/segwatch/inventory.h).
 *
 * Endpoints and namespaces live in growable arrays; two open-addressing
 * hash maps give id -> index. The lookup table flattens every endpoint
 * prefix into sorted, disjoint address ranges (a more specific prefix cuts
 * a hole into the one containing it), so a lookup is one binary search.
 * File loading is dispatched from here by content to the loaders in
 * inventory_k8s.c, inventory_native.c and inventory_docker.c.
 */
#include "segwatch/grow.h"
#include "segwatch/inventory.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_load.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

/* A string -> index map; slots hold index + 1, 0 is empty. */
struct idmap {
	size_t cap; /* power of two or 0 */
	size_t *slots;
};

struct u128 {
	uint64_t hi, lo;
};

/* Sorted, disjoint ranges [lo[i], hi[i]] owned by endpoint ep[i]. */
struct lookup_table {
	bool valid;
	size_t n;
	struct u128 *lo;
	struct u128 *hi;
	long *ep;
};

struct sw_inventory {
	struct sw_namespace *ns;
	size_t n_ns, cap_ns;
	struct sw_endpoint *eps;
	size_t n_eps, cap_eps;
	struct idmap ns_map;
	struct idmap ep_map;
	/* Behind a pointer so a const lookup can build it lazily. */
	struct lookup_table *lk;
};

/* ---- small helpers ---- */

static char *dup_str(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- labels ---- */

static long labels_find(const struct sw_labels *labels, const char *key, size_t *pos)
{
	size_t lo = 0, hi = labels->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(labels->items[mid].key, key);
		if (c == 0) {
			*pos = mid;
			return (long)mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return -1;
}

const char *sw_labels_get(const struct sw_labels *labels, const char *key)
{
	size_t pos;

	if (labels == NULL || labels->n == 0)
		return NULL;
	if (labels_find(labels, key, &pos) < 0)
		return NULL;
	return labels->items[pos].value;
}

enum sw_status sw_labels_set(struct sw_labels *labels, const char *key, const char *value)
{
	size_t pos;
	char *v = dup_str(value ? value : "");
	char *k;
	struct sw_label *items;

	if (v == NULL)
		return SW_ERR_NOMEM;
	if (labels->n > 0 && labels_find(labels, key, &pos) >= 0) {
		free(labels->items[pos].value);
		labels->items[pos].value = v;
		return SW_OK;
	}
	if (labels->n == 0)
		pos = 0;
	k = dup_str(key);
	items = realloc(labels->items, (labels->n + 1) * sizeof(*items));
	if (k == NULL || items == NULL) {
		free(k);
		free(v);
		if (items != NULL)
			labels->items = items;
		return SW_ERR_NOMEM;
	}
	labels->items = items;
	memmove(items + pos + 1, items + pos, (labels->n - pos) * sizeof(*items));
	items[pos].key = k;
	items[pos].value = v;
	labels->n++;
	return SW_OK;
}

void sw_labels_clear(struct sw_labels *labels)
{
	if (labels == NULL)
		return;
	for (size_t i = 0; i < labels->n; i++) {
		free(labels->items[i].key);
		free(labels->items[i].value);
	}
	free(labels->items);
	labels->items = NULL;
	labels->n = 0;
}

/* Copies src (any order, later duplicates win) into an empty dst. */
static enum sw_status labels_copy(struct sw_labels *dst, const struct sw_labels *src)
{
	if (src == NULL)
		return SW_OK;
	for (size_t i = 0; i < src->n; i++) {
		if (src->items[i].key == NULL)
			continue;
		if (sw_labels_set(dst, src->items[i].key, src->items[i].value) != SW_OK) {
			sw_labels_clear(dst);
			return SW_ERR_NOMEM;
		}
	}
	return SW_OK;
}

/* ---- id maps ---- */

typedef const char *(*key_at_fn)(const struct sw_inventory *inv, size_t i);

static const char *ns_key(const struct sw_inventory *inv, size_t i)
{
	return inv->ns[i].name;
}

static const char *ep_key(const struct sw_inventory *inv, size_t i)
{
	return inv->eps[i].id;
}

static long idmap_find(const struct idmap *m, const struct sw_inventory *inv,
                       key_at_fn key_at, const char *key)
{
	size_t mask, i;

	if (m->cap == 0 || key == NULL)
		return -1;
	mask = m->cap - 1;
	for (i = (size_t)hash_str(key) & mask; m->slots[i] != 0; i = (i + 1) & mask) {
		if (strcmp(key_at(inv, m->slots[i] - 1), key) == 0)
			return (long)(m->slots[i] - 1);
	}
	return -1;
}

static void idmap_place(struct idmap *m, const char *key, size_t idx)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hash_str(key) & mask;

	while (m->slots[i] != 0)
		i = (i + 1) & mask;
	m->slots[i] = idx + 1;
}

/* Makes room for n entries at load <= 1/2, rehashing from the arrays. */
static bool idmap_reserve(struct idmap *m, const struct sw_inventory *inv,
                          key_at_fn key_at, size_t n)
{
	size_t ncap = m->cap ? m->cap : 32;
	size_t *slots;

	if (n * 2 <= m->cap)
		return true;
	while (n * 2 > ncap)
		ncap *= 2;
	slots = calloc(ncap, sizeof(*slots));
	if (slots == NULL)
		return false;
	free(m->slots);
	m->slots = slots;
	m->cap = ncap;
	for (size_t i = 0; i + 1 < n; i++)
		idmap_place(m, key_at(inv, i), i);
	return true;
}

/* ---- lifetime ---- */

struct sw_inventory *sw_inventory_new(void)
{
	struct sw_inventory *inv = calloc(1, sizeof(*inv));

	if (inv == NULL)
		return NULL;
	inv->lk = calloc(1, sizeof(*inv->lk));
	if (inv->lk == NULL) {
		free(inv);
		return NULL;
	}
	return inv;
}

static void lookup_reset(struct lookup_table *lk)
{
	free(lk->lo);
	free(lk->hi);
	free(lk->ep);
	memset(lk, 0, sizeof(*lk));
}

static void endpoint_clear(struct sw_endpoint *ep)
{
	free(ep->id);
	free(ep->ns);
	free(ep->name);
	free(ep->kind);
	sw_labels_clear(&ep->labels);
	free(ep->prefixes);
	for (size_t i = 0; i < ep->n_ports; i++)
		free(ep->ports[i].name);
	free(ep->ports);
	free(ep->file);
	memset(ep, 0, sizeof(*ep));
}

static void namespace_clear(struct sw_namespace *ns)
{
	free(ns->name);
	sw_labels_clear(&ns->labels);
	memset(ns, 0, sizeof(*ns));
}

/* Empties inv but keeps the handle usable. */
static void inventory_clear(struct sw_inventory *inv)
{
	for (size_t i = 0; i < inv->n_ns; i++)
		namespace_clear(&inv->ns[i]);
	for (size_t i = 0; i < inv->n_eps; i++)
		endpoint_clear(&inv->eps[i]);
	free(inv->ns);
	free(inv->eps);
	free(inv->ns_map.slots);
	free(inv->ep_map.slots);
	inv->ns = NULL;
	inv->eps = NULL;
	inv->n_ns = inv->cap_ns = inv->n_eps = inv->cap_eps = 0;
	memset(&inv->ns_map, 0, sizeof(inv->ns_map));
	memset(&inv->ep_map, 0, sizeof(inv->ep_map));
	lookup_reset(inv->lk);
}

void sw_inventory_free(struct sw_inventory *inv)
{
	if (inv == NULL)
		return;
	inventory_clear(inv);
	free(inv->lk);
	free(inv);
}

/* ---- accessors ---- */

size_t sw_inventory_n_namespaces(const struct sw_inventory *inv)
{
	return inv->n_ns;
}

const struct sw_namespace *sw_inventory_namespace(const struct sw_inventory *inv, size_t i)
{
	return i < inv->n_ns ? &inv->ns[i] : NULL;
}

const struct sw_namespace *sw_inventory_find_namespace(const struct sw_inventory *inv,
                                                       const char *name)
{
	long i = idmap_find(&inv->ns_map, inv, ns_key, name);

	return i < 0 ? NULL : &inv->ns[i];
}

size_t sw_inventory_n_endpoints(const struct sw_inventory *inv)
{
	return inv->n_eps;
}

const struct sw_endpoint *sw_inventory_endpoint(const struct sw_inventory *inv, size_t i)
{
	return i < inv->n_eps ? &inv->eps[i] : NULL;
}

long sw_inventory_find_endpoint(const struct sw_inventory *inv, const char *id)
{
	return idmap_find(&inv->ep_map, inv, ep_key, id);
}

/* ---- builders ---- */

enum sw_status sw_inventory_add_namespace(struct sw_inventory *inv, const char *name,
                                          const struct sw_labels *labels,
                                          struct sw_err *err)
{
	long i;
	struct sw_namespace *ns;

	if (name == NULL || name[0] == '\0')
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "a namespace needs a non-empty name");
	i = idmap_find(&inv->ns_map, inv, ns_key, name);
	if (i < 0) {
		if (!sw_grow((void **)&inv->ns, &inv->cap_ns, inv->n_ns + 1, sizeof(*inv->ns)) ||
		    !idmap_reserve(&inv->ns_map, inv, ns_key, inv->n_ns + 1))
			goto nomem;
		ns = &inv->ns[inv->n_ns];
		memset(ns, 0, sizeof(*ns));
		ns->name = dup_str(name);
		if (ns->name == NULL ||
		    sw_labels_set(&ns->labels, NS_NAME_LABEL, name) != SW_OK) {
			namespace_clear(ns);
			goto nomem;
		}
		idmap_place(&inv->ns_map, ns->name, inv->n_ns);
		inv->n_ns++;
	} else {
		ns = &inv->ns[i];
	}
	for (size_t k = 0; labels != NULL && k < labels->n; k++) {
		if (labels->items[k].key == NULL ||
		    strcmp(labels->items[k].key, NS_NAME_LABEL) == 0)
			continue; /* the API server keeps this one equal to the name */
		if (sw_labels_set(&ns->labels, labels->items[k].key,
		                  labels->items[k].value) != SW_OK)
			goto nomem;
	}
	return SW_OK;
nomem:
	return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* Fills id/ns/name of dst from whichever of them src gives. */
static enum sw_status endpoint_names(struct sw_endpoint *dst, const struct sw_endpoint *src,
                                     struct sw_err *err)
{
	const char *file = src->file;

	if (src->id != NULL) {
		size_t nslen;
		const char *slash = strchr(src->id, '/');
		if (slash == NULL || slash == src->id || slash[1] == '\0' ||
		    strchr(slash + 1, '/') != NULL)
			return sw_err_set(err, SW_ERR_INVALID, file, src->line, 0,
			                  "expected an endpoint id \"namespace/name\", got \"%s\"",
			                  src->id);
		nslen = (size_t)(slash - src->id);
		if ((src->ns != NULL && (strlen(src->ns) != nslen ||
		                          strncmp(src->ns, src->id, nslen) != 0)) ||
		    (src->name != NULL && strcmp(src->name, slash + 1) != 0))
			return sw_err_set(err, SW_ERR_INVALID, file, src->line, 0,
			                  "endpoint id \"%s\" does not equal namespace/name \"%s/%s\"",
			                  src->id, src->ns ? src->ns : src->id,
			                  src->name ? src->name : slash + 1);
		dst->id = dup_str(src->id);
		dst->ns = strndup(src->id, nslen);
		dst->name = dup_str(slash + 1);
	} else {
		size_t n;
		if (src->ns == NULL || src->name == NULL || src->ns[0] == '\0' ||
		    src->name[0] == '\0' || strchr(src->ns, '/') || strchr(src->name, '/'))
			return sw_err_set(err, SW_ERR_INVALID, file, src->line, 0,
			                  "an endpoint needs an id \"namespace/name\" or both a namespace and a name without '/'");
		n = strlen(src->ns) + strlen(src->name) + 2;
		dst->id = malloc(n);
		if (dst->id != NULL) {
			memcpy(dst->id, src->ns, strlen(src->ns));
			dst->id[strlen(src->ns)] = '/';
			memcpy(dst->id + strlen(src->ns) + 1, src->name, strlen(src->name) + 1);
		}
		dst->ns = dup_str(src->ns);
		dst->name = dup_str(src->name);
	}
	if (dst->id == NULL || dst->ns == NULL || dst->name == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	return SW_OK;
}

static void prefix_clear_host(struct sw_prefix *p)
{
	for (unsigned bit = p->len; bit < 128; bit++)
		p->addr.b[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

/* Deep copy of src into zeroed dst, names validated. */
static enum sw_status endpoint_copy(struct sw_endpoint *dst, const struct sw_endpoint *src,
                                    struct sw_err *err)
{
	enum sw_status st = endpoint_names(dst, src, err);

	if (st != SW_OK)
		goto fail;
	st = SW_ERR_NOMEM;
	dst->kind = dup_str(src->kind ? src->kind : "host");
	dst->file = dup_str(src->file);
	dst->line = src->line;
	dst->provisional = src->provisional;
	if (dst->kind == NULL || (src->file != NULL && dst->file == NULL) ||
	    labels_copy(&dst->labels, &src->labels) != SW_OK)
		goto nomem;
	if (src->n_prefixes > 0) {
		dst->prefixes = malloc(src->n_prefixes * sizeof(*dst->prefixes));
		if (dst->prefixes == NULL)
			goto nomem;
		memcpy(dst->prefixes, src->prefixes, src->n_prefixes * sizeof(*dst->prefixes));
		dst->n_prefixes = src->n_prefixes;
		for (size_t i = 0; i < dst->n_prefixes; i++) {
			if (dst->prefixes[i].len > 128)
				dst->prefixes[i].len = 128;
			prefix_clear_host(&dst->prefixes[i]);
		}
	}
	if (src->n_ports > 0) {
		dst->ports = calloc(src->n_ports, sizeof(*dst->ports));
		if (dst->ports == NULL)
			goto nomem;
		dst->n_ports = src->n_ports;
		for (size_t i = 0; i < src->n_ports; i++) {
			dst->ports[i] = src->ports[i];
			dst->ports[i].name = dup_str(src->ports[i].name);
			if (src->ports[i].name != NULL && dst->ports[i].name == NULL)
				goto nomem;
		}
	}
	return SW_OK;
nomem:
	st = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
fail:
	endpoint_clear(dst);
	return st;
}

static enum sw_status endpoint_store(struct sw_inventory *inv, const struct sw_endpoint *ep,
                                     bool replace, struct sw_err *err)
{
	struct sw_endpoint tmp;
	enum sw_status st;
	long old;

	memset(&tmp, 0, sizeof(tmp));
	st = endpoint_copy(&tmp, ep, err);
	if (st != SW_OK)
		return st;
	old = sw_inventory_find_endpoint(inv, tmp.id);
	if (old >= 0 && !replace) {
		const struct sw_endpoint *o = &inv->eps[old];
		st = sw_err_set(err, SW_ERR_INVALID, tmp.file, tmp.line, 0,
		                "endpoint \"%s\" is declared twice (first at %s:%u)",
		                tmp.id, o->file ? o->file : "?", o->line);
		endpoint_clear(&tmp);
		return st;
	}
	st = sw_inventory_add_namespace(inv, tmp.ns, NULL, err);
	if (st != SW_OK) {
		endpoint_clear(&tmp);
		return st;
	}
	if (old >= 0) {
		endpoint_clear(&inv->eps[old]);
		inv->eps[old] = tmp;
	} else {
		if (!sw_grow((void **)&inv->eps, &inv->cap_eps, inv->n_eps + 1, sizeof(*inv->eps)) ||
		    !idmap_reserve(&inv->ep_map, inv, ep_key, inv->n_eps + 1)) {
			endpoint_clear(&tmp);
			return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		}
		inv->eps[inv->n_eps] = tmp;
		idmap_place(&inv->ep_map, inv->eps[inv->n_eps].id, inv->n_eps);
		inv->n_eps++;
	}
	inv->lk->valid = false;
	return SW_OK;
}

enum sw_status sw_inventory_add_endpoint(struct sw_inventory *inv, const struct sw_endpoint *ep,
                                         struct sw_err *err)
{
	return endpoint_store(inv, ep, false, err);
}

enum sw_status sw_inventory_put_endpoint(struct sw_inventory *inv, const struct sw_endpoint *ep,
                                         struct sw_err *err)
{
	return endpoint_store(inv, ep, true, err);
}

enum sw_status sw_inventory_remove_endpoint(struct sw_inventory *inv, size_t i)
{
	if (i >= inv->n_eps)
		return SW_ERR_NOTFOUND;
	endpoint_clear(&inv->eps[i]);
	memmove(&inv->eps[i], &inv->eps[i + 1], (inv->n_eps - i - 1) * sizeof(*inv->eps));
	inv->n_eps--;
	/* rebuild the id map: every later index changed */
	memset(inv->ep_map.slots, 0, inv->ep_map.cap * sizeof(*inv->ep_map.slots));
	for (size_t k = 0; k < inv->n_eps; k++)
		idmap_place(&inv->ep_map, inv->eps[k].id, k);
	inv->lk->valid = false;
	return SW_OK;
}

enum sw_status sw_inventory_merge(struct sw_inventory *dst, struct sw_inventory *src,
                                  struct sw_err *err)
{
	enum sw_status st;

	for (size_t i = 0; i < src->n_eps; i++) {
		long o = sw_inventory_find_endpoint(dst, src->eps[i].id);
		if (o >= 0)
			return sw_err_set(err, SW_ERR_INVALID, src->eps[i].file, src->eps[i].line, 0,
			                  "endpoint \"%s\" is declared twice (first at %s:%u)",
			                  src->eps[i].id, dst->eps[o].file ? dst->eps[o].file : "?",
			                  dst->eps[o].line);
	}
	for (size_t i = 0; i < src->n_ns; i++) {
		st = sw_inventory_add_namespace(dst, src->ns[i].name, &src->ns[i].labels, err);
		if (st != SW_OK)
			return st;
	}
	for (size_t i = 0; i < src->n_eps; i++) {
		st = sw_inventory_add_endpoint(dst, &src->eps[i], err);
		if (st != SW_OK)
			return st;
	}
	inventory_clear(src);
	return SW_OK;
}

/* ---- address lookup ---- */

static struct u128 to_u128(const struct sw_addr *a)
{
	struct u128 v = {0, 0};

	for (int i = 0; i < 8; i++) {
		v.hi = (v.hi << 8) | a->b[i];
		v.lo = (v.lo << 8) | a->b[8 + i];
	}
	return v;
}

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static bool u128_inc(struct u128 *a)
{
	if (++a->lo != 0)
		return true;
	return ++a->hi != 0;
}

static struct u128 u128_dec(struct u128 a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

struct pfx_item {
	struct u128 first, last;
	unsigned len;
	long ep;
};

static int pfx_item_cmp(const void *pa, const void *pb)
{
	const struct pfx_item *a = pa, *b = pb;
	int c = u128_cmp(a->first, b->first);

	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1; /* containing prefix first */
	return a->ep < b->ep ? -1 : (a->ep > b->ep);
}

/* An IPv6 prefix shorter than /96 (::/0, say) contains, in the unified
 * 128-bit space, the IPv4-mapped block ::ffff:0:0/96; but an IPv6 prefix
 * never owns IPv4 addresses. A sentinel item for that block, owned by no
 * endpoint, cuts it out of such prefixes. */
#define LK_HOLE LONG_MAX

/* Appends [lo, hi] -> ep, merging with the previous range when adjacent. */
static void lk_emit(struct lookup_table *lk, struct u128 lo, struct u128 hi, long ep)
{
	if (ep == LK_HOLE)
		return;
	if (lk->n > 0 && lk->ep[lk->n - 1] == ep) {
		struct u128 next = lk->hi[lk->n - 1];
		if (u128_inc(&next) && u128_cmp(next, lo) == 0) {
			lk->hi[lk->n - 1] = hi;
			return;
		}
	}
	lk->lo[lk->n] = lo;
	lk->hi[lk->n] = hi;
	lk->ep[lk->n] = ep;
	lk->n++;
}

/* Sweep state: the stack of nested prefixes enclosing the cursor. */
struct sweep {
	struct lookup_table *lk;
	const struct pfx_item **stack;
	size_t depth;
	struct u128 cursor;
	bool done; /* the cursor wrapped past the last address */
};

static void sweep_pop(struct sweep *s)
{
	const struct pfx_item *top = s->stack[--s->depth];

	if (!s->done && u128_cmp(s->cursor, top->last) <= 0)
		lk_emit(s->lk, s->cursor, top->last, top->ep);
	s->cursor = top->last;
	s->done = !u128_inc(&s->cursor);
}

static void sweep_push(struct sweep *s, const struct pfx_item *p)
{
	while (s->depth > 0 && u128_cmp(s->stack[s->depth - 1]->last, p->first) < 0)
		sweep_pop(s);
	if (s->depth > 0) {
		const struct pfx_item *top = s->stack[s->depth - 1];
		if (u128_cmp(top->first, p->first) == 0 && top->len == p->len)
			return; /* the same prefix again: the earlier endpoint keeps it */
		if (u128_cmp(s->cursor, p->first) < 0)
			lk_emit(s->lk, s->cursor, u128_dec(p->first), top->ep);
	}
	s->cursor = p->first;
	s->done = false;
	s->stack[s->depth++] = p;
}

static enum sw_status lookup_build(const struct sw_inventory *inv, struct lookup_table *lk)
{
	size_t n = 0, k = 0;
	struct pfx_item *items;
	struct sweep s;

	lookup_reset(lk);
	for (size_t i = 0; i < inv->n_eps; i++)
		n += inv->eps[i].n_prefixes;
	n++; /* the IPv4-mapped hole */
	items = malloc(n * sizeof(*items));
	s.stack = malloc(n * sizeof(*s.stack));
	/* each prefix emits at most two ranges (before and after a child) */
	lk->lo = malloc((2 * n + 1) * sizeof(*lk->lo));
	lk->hi = malloc((2 * n + 1) * sizeof(*lk->hi));
	lk->ep = malloc((2 * n + 1) * sizeof(*lk->ep));
	if (items == NULL || s.stack == NULL || lk->lo == NULL || lk->hi == NULL ||
	    lk->ep == NULL) {
		free(items);
		free(s.stack);
		lookup_reset(lk);
		return SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < inv->n_eps; i++) {
		for (size_t j = 0; j < inv->eps[i].n_prefixes; j++) {
			const struct sw_prefix *p = &inv->eps[i].prefixes[j];
			struct sw_addr a;
			sw_prefix_first(p, &a);
			items[k].first = to_u128(&a);
			sw_prefix_last(p, &a);
			items[k].last = to_u128(&a);
			items[k].len = p->len;
			items[k].ep = (long)i;
			k++;
		}
	}
	items[k].first.hi = 0;
	items[k].first.lo = 0xffff00000000ull;
	items[k].last.hi = 0;
	items[k].last.lo = 0xffffffffffffull;
	items[k].len = 96;
	items[k].ep = LK_HOLE; /* sorts after a real 0.0.0.0/0, which then wins */
	qsort(items, n, sizeof(*items), pfx_item_cmp);
	s.lk = lk;
	s.depth = 0;
	s.done = false;
	s.cursor.hi = s.cursor.lo = 0;
	for (size_t i = 0; i < n; i++)
		sweep_push(&s, &items[i]);
	while (s.depth > 0)
		sweep_pop(&s);
	free(items);
	free(s.stack);
	lk->valid = true;
	return SW_OK;
}

enum sw_status sw_inventory_build_index(struct sw_inventory *inv)
{
	if (inv->lk->valid)
		return SW_OK;
	return lookup_build(inv, inv->lk);
}

/* Fallback when the table cannot be built: longest prefix by linear scan. */
static long lookup_linear(const struct sw_inventory *inv, const struct sw_addr *a)
{
	long best = -1;
	int best_len = -1;
	bool v4 = sw_addr_is_v4(a);

	for (size_t i = 0; i < inv->n_eps; i++) {
		for (size_t j = 0; j < inv->eps[i].n_prefixes; j++) {
			const struct sw_prefix *p = &inv->eps[i].prefixes[j];
			if (p->len < 96 && v4)
				continue; /* see LK_HOLE */
			if ((int)p->len > best_len && sw_prefix_contains(p, a)) {
				best = (long)i;
				best_len = p->len;
			}
		}
	}
	return best;
}

long sw_inventory_lookup(const struct sw_inventory *inv, const struct sw_addr *a)
{
	const struct lookup_table *lk = inv->lk;
	struct u128 v = to_u128(a);
	size_t lo = 0, hi;

	if (!lk->valid && lookup_build(inv, inv->lk) != SW_OK)
		return lookup_linear(inv, a);
	hi = lk->n;
	/* first range whose lo is greater than v */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u128_cmp(lk->lo[mid], v) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || u128_cmp(v, lk->hi[lo - 1]) > 0)
		return -1;
	return lk->ep[lo - 1];
}

/* ---- file loading ---- */

/* Containers seen in several `docker network inspect` files are one
 * endpoint, and so is a workload inferred from its pods in one file and
 * declared in another: their addresses and ports are unioned. Anything
 * else declared twice is an error. Checked whole before anything of src
 * is moved. */
static bool union_ok(const struct sw_endpoint *a, const struct sw_endpoint *b)
{
	if (strcmp(a->kind, b->kind) != 0)
		return false;
	return strcmp(a->kind, "container") == 0 || a->provisional || b->provisional;
}

static bool has_port(const struct sw_endpoint *e, size_t n, const struct sw_named_port *p)
{
	for (size_t i = 0; i < n; i++) {
		const struct sw_named_port *q = &e->ports[i];
		if (q->port == p->port && q->proto == p->proto &&
		    ((q->name == NULL && p->name == NULL) ||
		     (q->name != NULL && p->name != NULL && strcmp(q->name, p->name) == 0)))
			return true;
	}
	return false;
}

static enum sw_status union_endpoint(struct sw_inventory *dst, long o,
                                     const struct sw_endpoint *add, struct sw_err *err)
{
	struct sw_endpoint u = dst->eps[o];
	size_t np = u.n_prefixes + add->n_prefixes;
	size_t nq = u.n_ports + add->n_ports;
	struct sw_prefix *p = malloc((np ? np : 1) * sizeof(*p));
	struct sw_named_port *q = malloc((nq ? nq : 1) * sizeof(*q));
	enum sw_status st;

	if (p == NULL || q == NULL) {
		free(p);
		free(q);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	if (u.n_prefixes > 0)
		memcpy(p, u.prefixes, u.n_prefixes * sizeof(*p));
	if (add->n_prefixes > 0)
		memcpy(p + u.n_prefixes, add->prefixes, add->n_prefixes * sizeof(*p));
	if (u.n_ports > 0)
		memcpy(q, u.ports, u.n_ports * sizeof(*q));
	nq = u.n_ports;
	for (size_t i = 0; i < add->n_ports; i++) {
		if (!has_port(&u, u.n_ports, &add->ports[i]))
			q[nq++] = add->ports[i];
	}
	if (u.provisional && !add->provisional) {
		/* the workload object itself: its identity and labels win */
		u.labels = add->labels;
		u.file = add->file;
		u.line = add->line;
	}
	u.provisional = u.provisional && add->provisional;
	u.prefixes = p;
	u.n_prefixes = np;
	u.ports = q;
	u.n_ports = nq;
	st = sw_inventory_put_endpoint(dst, &u, err);
	free(p);
	free(q);
	return st;
}

static enum sw_status inventory_commit(struct sw_inventory *dst, struct sw_inventory *src,
                                       struct sw_err *err)
{
	enum sw_status st;
	struct sw_inventory *rest;

	for (size_t i = 0; i < src->n_eps; i++) {
		long o = sw_inventory_find_endpoint(dst, src->eps[i].id);
		if (o >= 0 && !union_ok(&dst->eps[o], &src->eps[i]))
			return sw_err_set(err, SW_ERR_INVALID, src->eps[i].file, src->eps[i].line, 0,
			                  "endpoint \"%s\" is declared twice (first at %s:%u)",
			                  src->eps[i].id, dst->eps[o].file ? dst->eps[o].file : "?",
			                  dst->eps[o].line);
	}
	rest = sw_inventory_new();
	if (rest == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	st = SW_OK;
	for (size_t i = 0; i < src->n_ns && st == SW_OK; i++)
		st = sw_inventory_add_namespace(rest, src->ns[i].name, &src->ns[i].labels, err);
	for (size_t i = 0; i < src->n_eps && st == SW_OK; i++) {
		long o = sw_inventory_find_endpoint(dst, src->eps[i].id);
		if (o >= 0)
			st = union_endpoint(dst, o, &src->eps[i], err);
		else
			st = sw_inventory_add_endpoint(rest, &src->eps[i], err);
	}
	if (st == SW_OK)
		st = sw_inventory_merge(dst, rest, err);
	sw_inventory_free(rest);
	return st;
}

enum sw_status sw_inventory_load_file(struct sw_inventory *inv, const char *path,
                                      sw_warn_fn warn, void *warn_ctx,
                                      struct sw_err *err)
{
	struct sw_inventory *tmp = sw_inventory_new();
	enum sw_status st;

	if (tmp == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, path, 0, 0, "out of memory");
	st = sw_inv_load_dispatch(tmp, path, warn, warn_ctx, err);
	if (st == SW_OK)
		st = inventory_commit(inv, tmp, err);
	sw_inventory_free(tmp);
	return st;
}
