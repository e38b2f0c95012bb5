/*
 * store_explain.c - the explanation text of violation rows, built once per
 * explanation shape. Violations of one shape (every external source that
 * the same rules deny, say) differ only in their addresses: the JSON text
 * (sw_explanation_json's, compact, sorted keys) is kept with the two
 * address strings cut out, and filled in for each violation. Building it
 * with jansson took about as long as storing the row.
 *
 * A shape is everything the text shows but the addresses: verdict,
 * reason, protocol, port and each side's endpoint, flags, policies and
 * rules, whose strings point into the policy set (so the cache is emptied
 * whenever policies are stored: sw_store_put_policies).
 */
#include "store_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/addr.h"

/* Shapes kept; past this, texts are built each time. */
#define EXPL_CACHE_MAX 65536
/* Stand-ins for the addresses while the text is built: one character
 * that no address contains, which jansson writes as \u0001 / \u0002. */
#define SRC_MARK "\x01"
#define DST_MARK "\x02"
#define SRC_MARK_JSON "\"\\u0001\""
#define DST_MARK_JSON "\"\\u0002\""

struct expl_shape {
	uint64_t hash;
	uint64_t *key;         /* NULL: empty slot */
	size_t n_key;
	char *text;            /* whole text with both marks */
	size_t len;            /* of text */
	size_t dst_at, src_at; /* offsets of the marks (dst comes first) */
};

struct sw_expl_cache {
	struct expl_shape *slots;  /* open addressing, cap a power of two */
	size_t cap, used;
};

/* ---- shapes ---- */

struct key_buf {
	uint64_t *w;
	size_t n, cap;
	bool nomem;
};

static void put(struct key_buf *k, uint64_t v)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		uint64_t *w = realloc(k->w, cap * sizeof(*w));
		if (w == NULL) {
			k->nomem = true;
			return;
		}
		k->w = w;
		k->cap = cap;
	}
	k->w[k->n++] = v;
}

static void put_side(struct key_buf *k, const struct sw_expl_side *s)
{
	put(k, (uint64_t)s->ep);
	put(k, (uint64_t)(uintptr_t)s->ep_id);
	put(k, (uint64_t)s->isolated << 1 | (uint64_t)s->allowed);
	put(k, s->n_policies);
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct sw_expl_policy *p = &s->policies[i];
		put(k, (uint64_t)(uintptr_t)p->ns);
		put(k, (uint64_t)(uintptr_t)p->name);
		put(k, (uint64_t)(uintptr_t)p->origin);
		put(k, (uint64_t)(uintptr_t)p->file);
		put(k, p->line);
	}
	put(k, s->n_rules);
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct sw_expl_rule *r = &s->rules[i];
		put(k, (uint64_t)(uintptr_t)r->ns);
		put(k, (uint64_t)(uintptr_t)r->name);
		put(k, r->rule_index);
		put(k, (uint64_t)(uintptr_t)r->file);
		put(k, r->line);
	}
}

/* The shape of ex as words; false when out of memory. */
static bool shape_of(const struct sw_explanation *ex, struct key_buf *k)
{
	put(k, (uint64_t)ex->j.verdict << 32 | (uint64_t)ex->j.reason);
	put(k, (uint64_t)ex->proto << 16 | ex->dport);
	put_side(k, &ex->egress);
	put_side(k, &ex->ingress);
	return !k->nomem;
}

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 1099511628211ull;
	return h ^ (h >> 31);
}

/* ---- texts ---- */

/* The text of ex with the address marks, and where they are; NULL when
 * out of memory. */
static char *marked_text(const struct sw_explanation *ex, size_t *dst_at, size_t *src_at)
{
	json_t *o = sw_explanation_json(ex);
	char *text = NULL, *d, *s;

	if (o != NULL && json_object_set_new(o, "src", json_string(SRC_MARK)) == 0 &&
	    json_object_set_new(o, "dst", json_string(DST_MARK)) == 0)
		text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		return NULL;
	d = strstr(text, DST_MARK_JSON);
	s = strstr(text, SRC_MARK_JSON);
	if (d == NULL || s == NULL || d > s) { /* (sorted keys: dst first) */
		free(text);
		return NULL;
	}
	*dst_at = (size_t)(d - text);
	*src_at = (size_t)(s - text);
	return text;
}

/* The marked text with ex's addresses in place of the marks (malloc'd). */
static char *filled(const struct expl_shape *e, const struct sw_explanation *ex)
{
	char src[SW_ADDR_STRLEN], dst[SW_ADDR_STRLEN];
	size_t ls, ld, mark = strlen(SRC_MARK_JSON), len = e->len, o = 0;
	char *out;

	ls = strlen(sw_addr_format(&ex->src, src, sizeof(src)));
	ld = strlen(sw_addr_format(&ex->dst, dst, sizeof(dst)));
	out = malloc(len - 2 * mark + ls + ld + 4 + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, e->text, e->dst_at);
	o = e->dst_at;
	out[o++] = '"';
	memcpy(out + o, dst, ld);
	o += ld;
	out[o++] = '"';
	memcpy(out + o, e->text + e->dst_at + mark, e->src_at - e->dst_at - mark);
	o += e->src_at - e->dst_at - mark;
	out[o++] = '"';
	memcpy(out + o, src, ls);
	o += ls;
	out[o++] = '"';
	memcpy(out + o, e->text + e->src_at + mark, len - e->src_at - mark + 1);
	return out;
}

/* ---- the cache ---- */

static bool grow(struct sw_expl_cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 256;
	struct expl_shape *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		size_t j = c->slots[i].hash & (cap - 1);
		if (c->slots[i].key == NULL)
			continue;
		while (slots[j].key != NULL)
			j = (j + 1) & (cap - 1);
		slots[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return true;
}

/* The slot of the shape in k (found, or empty where it would go); NULL
 * when the cache is full or cannot grow. */
static struct expl_shape *slot_for(struct sw_expl_cache *c, const struct key_buf *k, uint64_t h)
{
	size_t j;

	if ((c->used + 1) * 2 > c->cap && (c->used >= EXPL_CACHE_MAX || !grow(c)))
		return NULL;
	for (j = h & (c->cap - 1); c->slots[j].key != NULL; j = (j + 1) & (c->cap - 1)) {
		struct expl_shape *e = &c->slots[j];
		if (e->hash == h && e->n_key == k->n &&
		    memcmp(e->key, k->w, k->n * sizeof(*k->w)) == 0)
			return e;
	}
	return &c->slots[j];
}

/* Fills an empty slot with a new shape (taking k's words); false when out
 * of memory. */
static bool add_shape(struct sw_expl_cache *c, struct expl_shape *e, struct key_buf *k,
                      uint64_t h, const struct sw_explanation *ex)
{
	e->text = marked_text(ex, &e->dst_at, &e->src_at);
	if (e->text == NULL)
		return false;
	e->len = strlen(e->text);
	e->hash = h;
	e->key = k->w;
	e->n_key = k->n;
	k->w = NULL;
	c->used++;
	return true;
}

char *sw_store_explanation_text(struct sw_store *st, const struct sw_explanation *ex)
{
	struct key_buf k = {0};
	struct expl_shape *e = NULL;
	char *text = NULL;

	if (st->expl == NULL)
		st->expl = calloc(1, sizeof(*st->expl));
	if (st->expl != NULL && shape_of(ex, &k)) {
		uint64_t h = hash_words(k.w, k.n);
		e = slot_for(st->expl, &k, h);
		if (e != NULL && e->key == NULL && !add_shape(st->expl, e, &k, h, ex))
			e = NULL;
	}
	free(k.w);
	if (e != NULL)
		text = filled(e, ex);
	else { /* no memory to keep it: built as it is */
		json_t *o = sw_explanation_json(ex);
		text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(o);
	}
	return text;
}

void sw_store_explanations_forget(struct sw_store *st)
{
	struct sw_expl_cache *c = st->expl;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		free(c->slots[i].key);
		free(c->slots[i].text);
	}
	free(c->slots);
	free(c);
	st->expl = NULL;
}
