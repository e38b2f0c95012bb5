/*
 * violations.c - judged flows aggregated into deduplicated violations
 * (see include/segwatch/violations.h).
 *
 * Layout: violations are allocated one by one (their addresses are handed
 * out and must not move) and listed in creation order in `vec`; an
 * open-addressing index over their keys (linear probing, seeded hash,
 * never more than half full) finds the violation of a denied flow. A
 * denied flow that has a violation also gets a slot in `slots` holding
 * what has already been attributed of its cumulative counters, so updates
 * and the end add only the difference. Allowed flows cost nothing but the
 * bits in their `user` field.
 *
 * f->user:  bits 0-2   reason + 1 (0: never judged by us)
 *           bit  3     orientation at judgement: (src, sport) > (dst, dport)
 *           bits 4-33  violation index + 1 (0: none)
 *           bits 34-63 slot index + 1 (0: none, or released at the end)
 */
#include "segwatch/violations.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "segwatch/flowlog.h"
#include "segwatch/proto.h"

#define IDX_BITS 30
#define IDX_MASK ((1ull << IDX_BITS) - 1)
#define VIDX_SHIFT 4
#define SLOT_SHIFT (VIDX_SHIFT + IDX_BITS)
#define ORIENT_BIT (1ull << 3)
#define NONE UINT32_MAX
/* A summary names at most this many isolating policies per side. */
#define SUMMARY_POLICIES 3

/* The deduplication key. Every byte is a field, so keys hash and compare
 * as bytes; external addresses are zero for endpoints. */
struct vkey {
	struct sw_addr src;
	struct sw_addr dst;
	int64_t src_ep;
	int64_t dst_ep;
	uint16_t port;
	uint8_t proto;
	uint8_t reason;
	uint32_t zero;
};
_Static_assert(sizeof(struct vkey) == 56, "no padding in a violation key");

/* A violation and what only the table sees. pub comes first: a
 * const struct sw_violation * handed out is a struct vrec *. */
struct vrec {
	struct sw_violation pub;
	struct vkey key;
	struct sw_explanation *ex;
	char *summary;            /* owned, or NULL when pub.summary is static */
};

/* A followed denied flow: what of its counters its violation already has
 * ([0] judged source -> destination). */
struct fslot {
	uint32_t vidx;
	uint32_t next_free;
	uint64_t pkts[2];
	uint64_t bytes[2];
};

struct sw_violations {
	const struct sw_matcher *m;
	const struct sw_inventory *inv;
	struct sw_violations_config cfg;
	struct sw_violations_stats st;
	uint64_t seed;
	struct vrec **vec;
	size_t n, cap;
	uint32_t *index;          /* vidx + 1, 0 empty */
	size_t index_size;        /* power of two */
	struct fslot *slots;
	size_t n_slots, slots_cap;
	uint32_t free_slot;
};

static enum sw_status default_explain(void *ctx, const struct sw_matcher *m,
                                      const struct sw_addr *src, const struct sw_addr *dst,
                                      uint8_t proto, uint16_t dport, struct sw_explanation **out)
{
	(void)ctx;
	return sw_matcher_explain(m, src, dst, proto, dport, out);
}

struct sw_violations *sw_violations_new(const struct sw_matcher *m,
                                        const struct sw_violations_config *cfg,
                                        struct sw_err *err)
{
	struct sw_violations *vt;

	if (cfg->max_violations > SW_VIOLATIONS_LIMIT) {
		sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		           "at most %u violations can be held, asked for %zu",
		           SW_VIOLATIONS_LIMIT, cfg->max_violations);
		return NULL;
	}
	vt = calloc(1, sizeof(*vt));
	if (vt == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	vt->m = m;
	vt->inv = sw_matcher_inventory(m);
	vt->cfg = *cfg;
	if (vt->cfg.max_violations == 0)
		vt->cfg.max_violations = SW_VIOLATIONS_DEFAULT_MAX;
	if (vt->cfg.explain == NULL)
		vt->cfg.explain = default_explain;
	vt->free_slot = NONE;
	if (getrandom(&vt->seed, sizeof(vt->seed), 0) != (ssize_t)sizeof(vt->seed))
		vt->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)vt;
	return vt;
}

void sw_violations_free(struct sw_violations *vt)
{
	if (vt == NULL)
		return;
	for (size_t i = 0; i < vt->n; i++) {
		sw_explanation_free(vt->vec[i]->ex);
		free(vt->vec[i]->summary);
		free(vt->vec[i]);
	}
	free(vt->vec);
	free(vt->index);
	free(vt->slots);
	free(vt);
}

/* ---- the key index ---- */

static uint64_t key_hash(const struct sw_violations *vt, const struct vkey *k)
{
	uint64_t h = vt->seed, w;
	const unsigned char *p = (const unsigned char *)k;

	for (size_t i = 0; i < sizeof(*k); i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h ^ (h >> 29);
}

/* The index slot of key k: where it is, or the empty slot where it goes. */
static size_t index_find(const struct sw_violations *vt, const struct vkey *k)
{
	size_t mask = vt->index_size - 1, i = (size_t)key_hash(vt, k) & mask;

	while (vt->index[i] != 0 && memcmp(&vt->vec[vt->index[i] - 1]->key, k, sizeof(*k)) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Makes room for one more key: the index stays at most half full. */
static enum sw_status index_reserve(struct sw_violations *vt)
{
	size_t size = vt->index_size ? vt->index_size : 64;
	uint32_t *old = vt->index;
	size_t old_size = vt->index_size;

	if ((vt->n + 1) * 2 <= vt->index_size)
		return SW_OK;
	while ((vt->n + 1) * 2 > size)
		size *= 2;
	vt->index = calloc(size, sizeof(*vt->index));
	if (vt->index == NULL) {
		vt->index = old;
		return SW_ERR_NOMEM;
	}
	vt->index_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i] != 0)
			vt->index[index_find(vt, &vt->vec[old[i] - 1]->key)] = old[i];
	free(old);
	return SW_OK;
}

static enum sw_status vec_reserve(struct sw_violations *vt)
{
	size_t cap = vt->cap ? vt->cap * 2 : 64;
	struct vrec **v;

	if (vt->n < vt->cap)
		return SW_OK;
	v = realloc(vt->vec, cap * sizeof(*v));
	if (v == NULL)
		return SW_ERR_NOMEM;
	vt->vec = v;
	vt->cap = cap;
	return SW_OK;
}

/* ---- flow slots ---- */

static uint32_t slot_alloc(struct sw_violations *vt, uint32_t vidx)
{
	uint32_t s = vt->free_slot;

	if (s != NONE) {
		vt->free_slot = vt->slots[s].next_free;
	} else {
		if (vt->n_slots == IDX_MASK - 1)
			return NONE;
		if (vt->n_slots == vt->slots_cap) {
			size_t cap = vt->slots_cap ? vt->slots_cap * 2 : 256;
			struct fslot *ns = realloc(vt->slots, cap * sizeof(*ns));
			if (ns == NULL)
				return NONE;
			vt->slots = ns;
			vt->slots_cap = cap;
		}
		s = (uint32_t)vt->n_slots++;
	}
	memset(&vt->slots[s], 0, sizeof(vt->slots[s]));
	vt->slots[s].vidx = vidx;
	return s;
}

static void slot_release(struct sw_violations *vt, uint32_t s)
{
	vt->slots[s].next_free = vt->free_slot;
	vt->free_slot = s;
}

/* ---- the user field ---- */

static uint64_t user_make(enum sw_reason r, bool orient, uint32_t vidx, uint32_t slot)
{
	uint64_t u = (uint64_t)r + 1;

	if (orient)
		u |= ORIENT_BIT;
	if (vidx != NONE)
		u |= ((uint64_t)vidx + 1) << VIDX_SHIFT;
	if (slot != NONE)
		u |= ((uint64_t)slot + 1) << SLOT_SHIFT;
	return u;
}

static uint32_t user_vidx(uint64_t u)
{
	return (uint32_t)((u >> VIDX_SHIFT) & IDX_MASK) - 1; /* NONE when 0 */
}

static uint32_t user_slot(uint64_t u)
{
	return (uint32_t)((u >> SLOT_SHIFT) & IDX_MASK) - 1;
}

/* (src, sport) > (dst, dport): flips when the flow table swaps sides. */
static bool orientation(const struct sw_flow *f)
{
	int c = sw_addr_cmp(&f->src, &f->dst);

	return c > 0 || (c == 0 && f->sport > f->dport);
}

static bool has_ports(uint8_t proto)
{
	return proto == SW_PROTO_TCP || proto == SW_PROTO_UDP || proto == SW_PROTO_SCTP;
}

/* ---- text helpers ---- */

/* Length of the UTF-8 sequence at s (avail bytes left), or 0 when it is
 * not valid: a stray or overlong form, a surrogate, beyond U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Copies a firewall prefix, replacing each byte that does not start a
 * valid UTF-8 sequence with '?', so that it can go into JSON. */
static void copy_utf8(char *dst, const char *src, size_t size)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0, len = strnlen(src, size - 1);

	while (i < len) {
		size_t k = utf8_len(s + i, len - i);
		if (k == 0) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

const char *sw_violation_proto(uint8_t proto, char *buf, size_t len)
{
	const char *name = sw_proto_name(proto);

	if (name != NULL)
		return name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

const char *sw_violation_identity(const struct sw_violation *v, bool dst, char *buf,
                                  size_t len)
{
	const char *id = dst ? v->dst_id : v->src_id;

	if (id != NULL)
		return id;
	return sw_addr_format(dst ? &v->dst_addr : &v->src_addr, buf, len);
}

/* "egress of prod/web (isolated by prod/a, prod/b): no egress rule admits
 * prod/db on tcp/5432" */
static void summary_side(FILE *f, const struct sw_violation *v, const struct sw_expl_side *s,
                         bool ingress)
{
	char pb[8], ab[SW_ADDR_STRLEN];
	const char *dir = ingress ? "ingress" : "egress";
	size_t shown = s->n_policies < SUMMARY_POLICIES ? s->n_policies : SUMMARY_POLICIES;

	fprintf(f, "%s of %s (isolated by ", dir, sw_violation_identity(v, ingress, ab, sizeof(ab)));
	for (size_t i = 0; i < shown; i++)
		fprintf(f, "%s%s/%s", i ? ", " : "", s->policies[i].ns, s->policies[i].name);
	if (s->n_policies > shown)
		fprintf(f, " and %zu more", s->n_policies - shown);
	fprintf(f, "): no %s rule admits %s on %s", dir,
	        sw_violation_identity(v, !ingress, ab, sizeof(ab)),
	        sw_violation_proto(v->proto, pb, sizeof(pb)));
	if (has_ports(v->proto))
		fprintf(f, "/%u", v->port);
}

/* The one-line summary, or NULL when out of memory. */
static char *summary_make(const struct sw_violation *v, const struct sw_explanation *ex)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool eg, in;

	if (f == NULL)
		return NULL;
	eg = ex != NULL && ex->egress.isolated && !ex->egress.allowed;
	in = ex != NULL && ex->ingress.isolated && !ex->ingress.allowed;
	if (eg)
		summary_side(f, v, &ex->egress, false);
	if (eg && in)
		fputs("; ", f);
	if (in)
		summary_side(f, v, &ex->ingress, true);
	if (!eg && !in)
		fprintf(f, "%s (%s)", sw_reason_name(v->reason),
		        ex ? "the explanation finds no denying side" : "no explanation: out of memory");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- creating and counting ---- */

static void notify(struct sw_violations *vt, enum sw_violation_event ev,
                   const struct vrec *r, const struct sw_flow *f)
{
	if (vt->cfg.on_change != NULL)
		vt->cfg.on_change(vt->cfg.on_change_ctx, ev, &r->pub, f);
}

static void key_make(struct vkey *k, const struct sw_judgement *j, const struct sw_flow *f,
                     uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->src_ep = j->src_ep;
	k->dst_ep = j->dst_ep;
	if (j->src_ep < 0)
		k->src = f->src;
	if (j->dst_ep < 0)
		k->dst = f->dst;
	k->proto = f->proto;
	k->port = port;
	k->reason = (uint8_t)j->reason;
}

static const char *ep_id(const struct sw_violations *vt, long ep)
{
	return ep < 0 ? NULL : sw_inventory_endpoint(vt->inv, (size_t)ep)->id;
}

/* A new violation for key k, first seen in flow f (not yet counted). */
static struct vrec *vrec_make(struct sw_violations *vt, const struct vkey *k,
                              const struct sw_flow *f)
{
	struct vrec *r = calloc(1, sizeof(*r));
	struct sw_violation *v;

	if (r == NULL)
		return NULL;
	v = &r->pub;
	r->key = *k;
	v->id = vt->n + 1;
	v->src_ep = (long)k->src_ep;
	v->dst_ep = (long)k->dst_ep;
	v->src_id = ep_id(vt, v->src_ep);
	v->dst_id = ep_id(vt, v->dst_ep);
	v->src_addr = f->src;
	v->dst_addr = f->dst;
	v->proto = k->proto;
	v->port = k->port;
	v->reason = (enum sw_reason)k->reason;
	v->first_ns = f->first_ns;
	v->last_ns = f->last_ns;
	if (vt->cfg.explain(vt->cfg.explain_ctx, vt->m, &f->src, &f->dst, k->proto, k->port,
	                    &r->ex) != SW_OK) {
		r->ex = NULL;
		vt->st.explain_failures++;
	}
	v->explanation = r->ex;
	r->summary = summary_make(v, r->ex);
	if (r->summary == NULL && r->ex != NULL)
		vt->st.explain_failures++; /* the summary ran out of memory */
	v->summary = r->summary ? r->summary : sw_reason_name(v->reason);
	return r;
}

/* The index of k's violation, created from f when new; NONE when the cap
 * or memory does not allow it (counted). *created tells which. */
static uint32_t violation_of(struct sw_violations *vt, const struct vkey *k,
                             const struct sw_flow *f, bool *created)
{
	size_t slot;
	struct vrec *r;

	*created = false;
	if (vt->index_size != 0) {
		slot = index_find(vt, k);
		if (vt->index[slot] != 0)
			return vt->index[slot] - 1;
	}
	if (vt->n >= vt->cfg.max_violations) {
		vt->st.overflow_flows++;
		return NONE;
	}
	r = NULL;
	if (index_reserve(vt) != SW_OK || vec_reserve(vt) != SW_OK ||
	    (r = vrec_make(vt, k, f)) == NULL) {
		vt->st.nomem_flows++;
		return NONE;
	}
	vt->vec[vt->n] = r;
	vt->index[index_find(vt, k)] = (uint32_t)vt->n + 1;
	vt->n++;
	vt->st.violations = vt->n;
	*created = true;
	return (uint32_t)vt->n - 1;
}

static void sample_add(struct sw_violation *v, const struct sw_flow *f)
{
	struct sw_violation_sample *s;

	if (v->n_samples == SW_VIOLATION_SAMPLES)
		return;
	s = &v->samples[v->n_samples++];
	s->flow_id = f->id;
	s->src = f->src;
	s->dst = f->dst;
	s->sport = f->sport;
	s->dport = f->dport;
	s->proto = f->proto;
	s->first_ns = f->first_ns;
}

/* Counts a new denied flow in its violation; returns the violation index
 * or NONE. */
static uint32_t count_denied(struct sw_violations *vt, const struct sw_judgement *j,
                             const struct sw_flow *f, uint16_t port)
{
	struct vkey k;
	bool created;
	uint32_t vidx;
	struct sw_violation *v;

	key_make(&k, j, f, port);
	vidx = violation_of(vt, &k, f, &created);
	if (vidx == NONE)
		return NONE;
	v = &vt->vec[vidx]->pub;
	v->flows++;
	if (f->first_ns < v->first_ns)
		v->first_ns = f->first_ns;
	if (f->last_ns > v->last_ns)
		v->last_ns = f->last_ns;
	sample_add(v, f);
	notify(vt, created ? SW_VIOLATION_NEW : SW_VIOLATION_UPDATED, vt->vec[vidx], f);
	return vidx;
}

static void judge(struct sw_violations *vt, struct sw_flow *f)
{
	uint16_t port = has_ports(f->proto) ? f->dport : 0;
	struct sw_judgement j;
	uint32_t vidx = NONE, slot = NONE;

	sw_matcher_judge(vt->m, &f->src, &f->dst, f->proto, port, &j);
	vt->st.flows_judged++;
	vt->st.by_reason[j.reason]++;
	if (j.verdict == SW_VERDICT_ALLOWED) {
		vt->st.allowed++;
		vt->st.not_covered += j.reason == SW_REASON_NOT_ISOLATED;
	} else {
		vt->st.denied++;
		vidx = count_denied(vt, &j, f, port);
	}
	if (vidx != NONE && (slot = slot_alloc(vt, vidx)) == NONE)
		vt->st.nomem_flows++;
	f->user = user_make(j.reason, orientation(f), vidx, slot);
}

/* Adds what f's counters gained since the last event to its violation. */
static void attribute(struct sw_violations *vt, const struct sw_flow *f, uint32_t s)
{
	struct fslot *sl = &vt->slots[s];
	struct sw_violation *v = &vt->vec[sl->vidx]->pub;
	int d0 = orientation(f) != ((f->user & ORIENT_BIT) != 0); /* sides swapped */
	bool changed = false;

	for (int d = 0; d < 2; d++) {
		const struct sw_flow_dir *fd = &f->dir[d ^ d0];
		if (fd->pkts != sl->pkts[d] || fd->bytes != sl->bytes[d])
			changed = true;
		v->pkts[d] += fd->pkts - sl->pkts[d];
		v->bytes[d] += fd->bytes - sl->bytes[d];
		sl->pkts[d] = fd->pkts;
		sl->bytes[d] = fd->bytes;
	}
	if (f->last_ns > v->last_ns) {
		v->last_ns = f->last_ns;
		changed = true;
	}
	if (f->fw.verdict > v->fw_verdict) {
		v->fw_verdict = f->fw.verdict;
		copy_utf8(v->fw_prefix, f->fw.prefix, sizeof(v->fw_prefix));
		changed = true;
	}
	if (changed)
		notify(vt, SW_VIOLATION_UPDATED, vt->vec[sl->vidx], f);
}

void sw_violations_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why,
                        struct sw_flow *f)
{
	struct sw_violations *vt = ctx;
	uint32_t s;

	(void)why;
	if (ev == SW_FLOW_START || f->user == 0)
		judge(vt, f);
	if (ev == SW_FLOW_START)
		return;
	s = user_slot(f->user);
	if (s != NONE)
		attribute(vt, f, s);
	if (ev != SW_FLOW_END)
		return;
	if (orientation(f) != ((f->user & ORIENT_BIT) != 0))
		vt->st.direction_changed++;
	if (s != NONE) {
		slot_release(vt, s);
		f->user &= ~(IDX_MASK << SLOT_SHIFT);
	}
}

bool sw_violations_judgement(const struct sw_violations *vt, const struct sw_flow *f,
                             enum sw_reason *reason, const struct sw_violation **v)
{
	uint32_t vidx;

	if (f->user == 0)
		return false;
	vidx = user_vidx(f->user);
	*reason = (enum sw_reason)((f->user & 7) - 1);
	if (v != NULL)
		*v = vidx != NONE && vidx < vt->n ? &vt->vec[vidx]->pub : NULL;
	return true;
}

void sw_violations_stats(const struct sw_violations *vt, struct sw_violations_stats *out)
{
	*out = vt->st;
}

size_t sw_violations_count(const struct sw_violations *vt)
{
	return vt->n;
}

const struct sw_violation *sw_violations_get(const struct sw_violations *vt, size_t i)
{
	return i < vt->n ? &vt->vec[i]->pub : NULL;
}

/* ---- order ---- */

static int reason_rank(enum sw_reason r)
{
	switch (r) {
	case SW_REASON_DENIED_BOTH: return 0;
	case SW_REASON_DENIED_INGRESS: return 1;
	case SW_REASON_DENIED_EGRESS: return 2;
	default: return 3;
	}
}

static int side_cmp(const char *ida, const struct sw_addr *aa, const char *idb,
                    const struct sw_addr *ab)
{
	if (ida != NULL && idb != NULL)
		return strcmp(ida, idb);
	if (ida != NULL || idb != NULL)
		return ida != NULL ? -1 : 1;
	return sw_addr_cmp(aa, ab);
}

int sw_violation_cmp(const struct sw_violation *a, const struct sw_violation *b)
{
	int c = reason_rank(a->reason) - reason_rank(b->reason);

	if (c == 0)
		c = side_cmp(a->src_id, &a->src_addr, b->src_id, &b->src_addr);
	if (c == 0)
		c = side_cmp(a->dst_id, &a->dst_addr, b->dst_id, &b->dst_addr);
	if (c == 0)
		c = (int)a->proto - (int)b->proto;
	if (c == 0)
		c = (int)a->port - (int)b->port;
	if (c == 0)
		c = a->id < b->id ? -1 : a->id > b->id;
	return c;
}

static int cmp_ptr(const void *pa, const void *pb)
{
	const struct sw_violation *const *a = pa, *const *b = pb;

	return sw_violation_cmp(*a, *b);
}

enum sw_status sw_violations_sorted(const struct sw_violations *vt,
                                    const struct sw_violation ***out, size_t *n)
{
	const struct sw_violation **v;

	*out = NULL;
	*n = 0;
	if (vt->n == 0)
		return SW_OK;
	v = malloc(vt->n * sizeof(*v));
	if (v == NULL)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < vt->n; i++)
		v[i] = &vt->vec[i]->pub;
	qsort(v, vt->n, sizeof(*v), cmp_ptr);
	*out = v;
	*n = vt->n;
	return SW_OK;
}

/* ---- JSON ---- */

static json_t *json_time(uint64_t ns)
{
	char buf[SW_TIME_STRLEN];

	return json_string(sw_format_time(ns, buf, sizeof(buf)));
}

static json_t *json_addr(const struct sw_addr *a)
{
	char buf[SW_ADDR_STRLEN];

	return json_string(sw_addr_format(a, buf, sizeof(buf)));
}

static json_t *json_samples(const struct sw_violation *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < v->n_samples; i++) {
		const struct sw_violation_sample *s = &v->samples[i];
		if (json_array_append_new(arr, json_pack("{s:I, s:o, s:i, s:o, s:i, s:o}",
		        "flow_id", (json_int_t)s->flow_id, "src_ip", json_addr(&s->src),
		        "src_port", (int)s->sport, "dst_ip", json_addr(&s->dst),
		        "dst_port", (int)s->dport, "first_seen", json_time(s->first_ns))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *sw_violation_json(const struct sw_violation *v)
{
	char sb[SW_ADDR_STRLEN], db[SW_ADDR_STRLEN], pb[8];
	bool fw = v->fw_verdict != SW_FW_NONE;
	json_t *ex = v->explanation ? sw_explanation_json(v->explanation) : json_null();
	json_t *samples = json_samples(v), *o = NULL;

	if (ex != NULL && samples != NULL)
		o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:s, s:i,"
		              " s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:O, s:s, s:O}",
		              "id", (json_int_t)v->id, "reason", sw_reason_name(v->reason),
		              "src", sw_violation_identity(v, false, sb, sizeof(sb)),
		              "src_endpoint", json_str_or_null(v->src_id),
		              "src_ip", json_addr(&v->src_addr),
		              "dst", sw_violation_identity(v, true, db, sizeof(db)),
		              "dst_endpoint", json_str_or_null(v->dst_id),
		              "dst_ip", json_addr(&v->dst_addr),
		              "proto", sw_violation_proto(v->proto, pb, sizeof(pb)),
		              "port", (int)v->port,
		              "first_seen", json_time(v->first_ns), "last_seen", json_time(v->last_ns),
		              "flows", (json_int_t)v->flows,
		              "src_pkts", (json_int_t)v->pkts[0], "src_bytes", (json_int_t)v->bytes[0],
		              "dst_pkts", (json_int_t)v->pkts[1], "dst_bytes", (json_int_t)v->bytes[1],
		              "fw_verdict", fw ? json_string(sw_fw_verdict_name(v->fw_verdict))
		                               : json_null(),
		              "fw_prefix", fw ? json_string(v->fw_prefix) : json_null(),
		              "samples", samples, "summary", v->summary, "explanation", ex);
	json_decref(ex);
	json_decref(samples);
	return o;
}
