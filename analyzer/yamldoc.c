/*
 * yamldoc.c - builds the bounded, positioned node tree of yamldoc.h from
 * libyaml's event stream (walking and typed getters: yamldoc_get.c).
 *
 * The tree is built with an explicit stack (no recursion), so depth is
 * checked before libyaml has read further than one level too deep. Nodes
 * and strings live in an arena freed at once. Aliases point at the
 * anchored node; each one adds that node's subtree size to the node
 * budget, which is what bounds "billion laughs". libyaml counts marks in
 * characters, so byte offsets (for hashing an object's source) are mapped
 * back through a checkpoint table when the file is not pure ASCII.
 */
#include "segwatch/yamldoc.h"
#include "segwatch/textparse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define ARENA_BLOCK (64u * 1024)
#define SMALL_MAP 8          /* maps up to this size are checked pairwise */
#define CHECKPOINT_CHARS 256 /* characters between char->byte checkpoints */

/* ---- arena ---- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct sw_yarena {
	struct arena_block *head;
	char *name;
	char *text;
};

static void *arena_alloc(struct sw_yarena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		if (a->head != NULL && need > ARENA_BLOCK) {
			/* keep filling the current block after a big one */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

static void arena_free(struct sw_yarena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a->name);
	free(a->text);
	free(a);
}

/* ---- anchors: name -> node, open addressing ---- */

struct anchor {
	const char *name;
	struct sw_ynode *node;
};

struct anchors {
	size_t cap, n;
	struct anchor *slots;
};

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct anchor *anchor_slot(const struct anchors *t, const char *name)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)fnv1a(name, strlen(name)) & mask;

	while (t->slots[i].name != NULL && strcmp(t->slots[i].name, name) != 0)
		i = (i + 1) & mask;
	return &t->slots[i];
}

static bool anchor_put(struct anchors *t, struct sw_yarena *a, const char *name,
                       struct sw_ynode *node)
{
	struct anchor *s;

	if ((t->n + 1) * 2 > t->cap) {
		struct anchors bigger = {t->cap ? t->cap * 2 : 16, 0, NULL};
		bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
		if (bigger.slots == NULL)
			return false;
		for (size_t i = 0; i < t->cap; i++) {
			if (t->slots[i].name != NULL)
				*anchor_slot(&bigger, t->slots[i].name) = t->slots[i];
		}
		bigger.n = t->n;
		free(t->slots);
		*t = bigger;
	}
	s = anchor_slot(t, name);
	if (s->name == NULL) {
		size_t len = strlen(name) + 1;
		char *copy = arena_alloc(a, len);
		if (copy == NULL)
			return false;
		memcpy(copy, name, len);
		s->name = copy;
		t->n++;
	}
	s->node = node; /* a redefined anchor replaces the earlier one */
	return true;
}

static struct sw_ynode *anchor_get(const struct anchors *t, const char *name)
{
	if (t->cap == 0)
		return NULL;
	return anchor_slot(t, name)->node;
}

/* ---- character index -> byte offset ---- */

struct charmap {
	const char *text;
	size_t len;
	size_t base;     /* bytes of a UTF-8 byte order mark */
	bool ascii;
	size_t n_cp;
	uint32_t *cp;    /* byte offset of every CHECKPOINT_CHARS-th character */
};

static size_t utf8_width(unsigned char c)
{
	if (c < 0xc0)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

static bool charmap_init(struct charmap *m, const char *text, size_t len)
{
	size_t chars = 0;

	memset(m, 0, sizeof(*m));
	m->text = text;
	m->len = len;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		m->base = 3;
	m->ascii = true;
	for (size_t i = m->base; i < len; i++) {
		if ((unsigned char)text[i] >= 0x80) {
			m->ascii = false;
			break;
		}
	}
	if (m->ascii)
		return true;
	m->cp = malloc((len / CHECKPOINT_CHARS + 2) * sizeof(*m->cp));
	if (m->cp == NULL)
		return false;
	for (size_t i = m->base; i < len; i += utf8_width((unsigned char)text[i])) {
		if (chars % CHECKPOINT_CHARS == 0)
			m->cp[m->n_cp++] = (uint32_t)i;
		chars++;
	}
	return true;
}

static uint32_t charmap_byte(const struct charmap *m, size_t idx)
{
	size_t off, left;

	if (m->ascii) {
		off = m->base + idx;
		return (uint32_t)(off > m->len ? m->len : off);
	}
	if (idx / CHECKPOINT_CHARS >= m->n_cp)
		return (uint32_t)m->len;
	off = m->cp[idx / CHECKPOINT_CHARS];
	for (left = idx % CHECKPOINT_CHARS; left > 0 && off < m->len; left--)
		off += utf8_width((unsigned char)m->text[off]);
	return (uint32_t)(off > m->len ? m->len : off);
}

/* ---- scalar resolution (YAML 1.1 as go-yaml applies it) ---- */

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

static bool all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (strchr(set, *s) == NULL)
			return false;
	}
	return true;
}

static bool looks_int(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return all_in(s + 2, "0123456789abcdefABCDEF_");
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'o'))
		return all_in(s + 2, "01234567_");
	return *s >= '0' && *s <= '9' && all_in(s, "0123456789_");
}

static bool looks_float(const char *s)
{
	static const char *const special[] = {
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
		"-.INF", ".nan", ".NaN", ".NAN", NULL,
	};
	bool digits = false;

	if (is_one_of(s, special))
		return true;
	if (*s == '+' || *s == '-')
		s++;
	for (; (*s >= '0' && *s <= '9') || *s == '_'; s++)
		digits = true;
	if (*s == '.') {
		for (s++; (*s >= '0' && *s <= '9') || *s == '_'; s++)
			digits = true;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static enum sw_ykind resolve_tag(const char *tag, enum sw_ykind dflt)
{
	static const struct { const char *tag; enum sw_ykind kind; } tags[] = {
		{"tag:yaml.org,2002:str", SW_YK_STR},   {"tag:yaml.org,2002:int", SW_YK_INT},
		{"tag:yaml.org,2002:float", SW_YK_FLOAT}, {"tag:yaml.org,2002:bool", SW_YK_BOOL},
		{"tag:yaml.org,2002:null", SW_YK_NULL},
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(tags); i++) {
		if (strcmp(tag, tags[i].tag) == 0)
			return tags[i].kind;
	}
	return dflt;
}

static enum sw_ykind resolve_plain(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true",
		"True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off",
		"Off", "OFF", NULL,
	};

	if (is_one_of(s, nulls))
		return SW_YK_NULL;
	if (is_one_of(s, bools))
		return SW_YK_BOOL;
	if (looks_int(s))
		return SW_YK_INT;
	if (looks_float(s))
		return SW_YK_FLOAT;
	return SW_YK_STR;
}

/* ---- the builder ---- */

/* A container being filled: its kids collect in a malloc'd array that is
 * copied into the arena when the container closes. */
struct frame {
	struct sw_ynode *node;
	const char *anchor; /* arena copy, registered when the node closes */
	size_t n, cap;
	struct sw_ynode **kids;
};

struct builder {
	struct sw_ydoc *doc;
	struct sw_yarena *arena;
	const struct sw_ylimits *lim;
	struct charmap cmap;
	struct anchors anchors;
	struct frame *stack;
	size_t depth;
	size_t nodes;        /* nodes built */
	uint64_t expanded;   /* nodes reachable again through aliases and merges */
	size_t n_docs, cap_docs;
	struct sw_ynode **docs;
	struct sw_ynode *root; /* the current document's root */
	struct sw_err *err;
};

static enum sw_status b_error(struct builder *b, enum sw_status st, const yaml_mark_t *m,
                              const char *fmt, ...) SW_PRINTF(4, 5);

static enum sw_status b_error(struct builder *b, enum sw_status st, const yaml_mark_t *m,
                              const char *fmt, ...)
{
	char msg[SW_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sw_err_set(b->err, st, b->doc->file, m ? (unsigned)m->line + 1 : 0,
	                  m ? (unsigned)m->column + 1 : 0, "%s", msg);
}

static enum sw_status b_nomem(struct builder *b)
{
	return sw_err_set(b->err, SW_ERR_NOMEM, b->doc->file, 0, 0, "out of memory");
}

static enum sw_status b_budget(struct builder *b, const yaml_mark_t *m)
{
	if (b->nodes + b->expanded > b->lim->max_nodes)
		return b_error(b, SW_ERR_LIMIT, m,
		               "document too large: more than %zu nodes (aliases expanded)",
		               b->lim->max_nodes);
	return SW_OK;
}

static struct sw_ynode *b_node(struct builder *b, enum sw_ytype type, const yaml_mark_t *start)
{
	struct sw_ynode *n = arena_alloc(b->arena, sizeof(*n));

	if (n == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	n->line = (uint32_t)start->line + 1;
	n->column = (uint32_t)start->column + 1;
	n->start = charmap_byte(&b->cmap, start->index);
	n->str = "";
	n->size = 1;
	b->nodes++;
	return n;
}

static const char *b_strdup(struct builder *b, const unsigned char *s)
{
	size_t len;
	char *copy;

	if (s == NULL)
		return NULL;
	len = strlen((const char *)s) + 1;
	copy = arena_alloc(b->arena, len);
	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

static uint32_t sat_add(uint32_t a, uint64_t b)
{
	uint64_t s = (uint64_t)a + b;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* Hands a finished node to its parent (or makes it the document root). */
static enum sw_status b_attach(struct builder *b, struct sw_ynode *n, const yaml_mark_t *m)
{
	struct frame *f;

	if (b->depth == 0) {
		b->root = n;
		return SW_OK;
	}
	f = &b->stack[b->depth - 1];
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct sw_ynode **k = realloc(f->kids, ncap * sizeof(*k));
		if (k == NULL)
			return b_nomem(b);
		f->kids = k;
		f->cap = ncap;
	}
	f->kids[f->n++] = n;
	(void)m;
	return SW_OK;
}

static enum sw_status b_scalar(struct builder *b, const yaml_event_t *e)
{
	struct sw_ynode *n = b_node(b, SW_Y_SCALAR, &e->start_mark);
	const char *tag = (const char *)e->data.scalar.tag;
	char *s;

	if (n == NULL)
		return b_nomem(b);
	if (e->data.scalar.length >= UINT32_MAX)
		return b_error(b, SW_ERR_LIMIT, &e->start_mark, "scalar too long");
	s = arena_alloc(b->arena, e->data.scalar.length + 1);
	if (s == NULL)
		return b_nomem(b);
	memcpy(s, e->data.scalar.value, e->data.scalar.length);
	s[e->data.scalar.length] = '\0';
	n->str = s;
	n->len = (uint32_t)e->data.scalar.length;
	n->end = charmap_byte(&b->cmap, e->end_mark.index);
	switch (e->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = SW_YS_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = SW_YS_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: n->style = SW_YS_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->style = SW_YS_FOLDED; break;
	default: n->style = SW_YS_PLAIN; break;
	}
	if (n->style == SW_YS_PLAIN && e->data.scalar.plain_implicit)
		n->kind = (uint8_t)resolve_plain(s);
	else
		n->kind = SW_YK_STR;
	if (tag != NULL && strcmp(tag, "!") != 0)
		n->kind = (uint8_t)resolve_tag(tag, (enum sw_ykind)n->kind);
	if (e->data.scalar.anchor != NULL &&
	    !anchor_put(&b->anchors, b->arena, (const char *)e->data.scalar.anchor, n))
		return b_nomem(b);
	return b_attach(b, n, &e->start_mark);
}

static enum sw_status b_open(struct builder *b, const yaml_event_t *e, enum sw_ytype type)
{
	const yaml_char_t *anchor = type == SW_Y_MAP ? e->data.mapping_start.anchor
	                                             : e->data.sequence_start.anchor;
	struct frame *f;
	struct sw_ynode *n;

	if (b->depth >= b->lim->max_depth)
		return b_error(b, SW_ERR_LIMIT, &e->start_mark,
		               "nesting deeper than %u levels", b->lim->max_depth);
	n = b_node(b, type, &e->start_mark);
	if (n == NULL)
		return b_nomem(b);
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	if (anchor != NULL) {
		f->anchor = b_strdup(b, anchor);
		if (f->anchor == NULL)
			return b_nomem(b);
	}
	return b_budget(b, &e->start_mark);
}

static bool key_is_merge(const struct sw_ynode *k)
{
	return k->type == SW_Y_SCALAR && k->style == SW_YS_PLAIN && strcmp(k->str, "<<") == 0;
}

static bool key_eq(const struct sw_ynode *a, const struct sw_ynode *b)
{
	return a->type == SW_Y_SCALAR && b->type == SW_Y_SCALAR && a->len == b->len &&
	       memcmp(a->str, b->str, a->len) == 0;
}

/* A pair candidate for the final map: priority orders explicit pairs
 * before merged ones (and earlier merge sources before later ones). */
struct cand {
	struct sw_ynode *key, *value;
	size_t prio;
	bool merged;
};

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	bool as = a->key->type == SW_Y_SCALAR, bs = b->key->type == SW_Y_SCALAR;
	int c;

	if (as != bs)
		return as ? -1 : 1;
	if (as) {
		uint32_t m = a->key->len < b->key->len ? a->key->len : b->key->len;
		c = memcmp(a->key->str, b->key->str, m);
		if (c != 0)
			return c;
		if (a->key->len != b->key->len)
			return a->key->len < b->key->len ? -1 : 1;
	}
	return a->prio < b->prio ? -1 : (a->prio > b->prio);
}

static int cand_prio_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return a->prio < b->prio ? -1 : (a->prio > b->prio);
}

static enum sw_status dup_key_error(struct builder *b, const struct sw_ynode *first,
                                    const struct sw_ynode *second)
{
	char d[64];

	return sw_err_set(b->err, SW_ERR_PARSE, b->doc->file, second->line, second->column,
	                  "duplicate key %s in a map (first at line %u)",
	                  sw_ydescribe(second, d, sizeof(d)), first->line);
}

/* Small maps without merge keys: pairwise duplicate check. */
static enum sw_status check_small(struct builder *b, struct sw_ynode **kids, size_t pairs)
{
	for (size_t i = 1; i < pairs; i++) {
		for (size_t j = 0; j < i; j++) {
			if (key_eq(kids[2 * j], kids[2 * i]))
				return dup_key_error(b, kids[2 * j], kids[2 * i]);
		}
	}
	return SW_OK;
}

/* Appends the pairs of merge source src (a map, or a sequence of maps). */
static enum sw_status add_merge_source(struct builder *b, const struct sw_ynode *src,
                                       struct cand *c, size_t *nc, size_t *prio)
{
	const struct sw_ynode *const *maps = (const struct sw_ynode *const *)&src;
	size_t n_maps = 1;

	if (src->type == SW_Y_SEQ) {
		maps = (const struct sw_ynode *const *)src->kids;
		n_maps = src->n;
	}
	for (size_t m = 0; m < n_maps; m++) {
		if (maps[m]->type != SW_Y_MAP)
			return sw_err_set(b->err, SW_ERR_PARSE, b->doc->file, maps[m]->line,
			                  maps[m]->column,
			                  "expected a map or a sequence of maps after the merge key <<");
		for (size_t i = 0; i < maps[m]->n; i++) {
			c[*nc].key = maps[m]->kids[2 * i];
			c[*nc].value = maps[m]->kids[2 * i + 1];
			c[*nc].prio = (*prio)++;
			c[*nc].merged = true;
			b->expanded += c[*nc].key->size + (uint64_t)c[*nc].value->size;
			(*nc)++;
		}
	}
	return SW_OK;
}

static size_t merged_count(const struct sw_ynode *src)
{
	size_t n = 0;

	if (src->type == SW_Y_MAP)
		return src->n;
	if (src->type != SW_Y_SEQ)
		return 0;
	for (size_t i = 0; i < src->n; i++) {
		if (src->kids[i]->type == SW_Y_MAP)
			n += src->kids[i]->n;
	}
	return n;
}

/* Sort-based duplicate check and merge-key resolution; writes the final
 * pairs into c[0 .. *nc) in priority order. */
static enum sw_status resolve_pairs(struct builder *b, struct cand *c, size_t *nc)
{
	size_t out = 0;

	qsort(c, *nc, sizeof(*c), cand_cmp);
	for (size_t i = 0; i < *nc;) {
		size_t j = i + 1;
		if (c[i].key->type == SW_Y_SCALAR) {
			while (j < *nc && c[j].key->type == SW_Y_SCALAR && key_eq(c[i].key, c[j].key)) {
				if (!c[j].merged)
					return dup_key_error(b, c[i].key, c[j].key);
				j++;
			}
		}
		c[out++] = c[i]; /* the lowest priority of a group wins */
		if (c[i].key->type != SW_Y_SCALAR)
			for (size_t k = i + 1; k < j; k++)
				c[out++] = c[k];
		i = j;
	}
	qsort(c, out, sizeof(*c), cand_prio_cmp);
	*nc = out;
	return SW_OK;
}

static enum sw_status close_map(struct builder *b, struct frame *f)
{
	size_t pairs = f->n / 2, total = 0, nc = 0, prio = 0;
	bool merges = false;
	struct cand *c;
	enum sw_status st = SW_OK;

	for (size_t i = 0; i < pairs; i++) {
		if (key_is_merge(f->kids[2 * i])) {
			merges = true;
			total += merged_count(f->kids[2 * i + 1]);
		}
	}
	if (!merges && pairs <= SMALL_MAP) {
		st = check_small(b, f->kids, pairs);
		f->node->n = (uint32_t)pairs;
		return st;
	}
	c = malloc((pairs + total + 1) * sizeof(*c));
	if (c == NULL)
		return b_nomem(b);
	for (size_t i = 0; i < pairs; i++) {
		if (key_is_merge(f->kids[2 * i]))
			continue;
		c[nc].key = f->kids[2 * i];
		c[nc].value = f->kids[2 * i + 1];
		c[nc].prio = prio++;
		c[nc].merged = false;
		nc++;
	}
	for (size_t i = 0; i < pairs && st == SW_OK; i++) {
		if (key_is_merge(f->kids[2 * i]))
			st = add_merge_source(b, f->kids[2 * i + 1], c, &nc, &prio);
	}
	if (st == SW_OK)
		st = resolve_pairs(b, c, &nc);
	if (st == SW_OK && 2 * nc > f->cap) {
		struct sw_ynode **k = realloc(f->kids, 2 * nc * sizeof(*k));
		if (k == NULL)
			st = b_nomem(b);
		else
			f->kids = k;
	}
	if (st == SW_OK) {
		for (size_t i = 0; i < nc; i++) {
			f->kids[2 * i] = c[i].key;
			f->kids[2 * i + 1] = c[i].value;
		}
		f->n = 2 * nc;
		f->node->n = (uint32_t)nc;
	}
	free(c);
	return st;
}

static enum sw_status b_close(struct builder *b, const yaml_event_t *e)
{
	struct frame *f = &b->stack[b->depth - 1];
	struct sw_ynode *n = f->node;
	enum sw_status st = SW_OK;

	n->end = charmap_byte(&b->cmap, e->end_mark.index);
	if (n->type == SW_Y_MAP)
		st = close_map(b, f);
	else
		n->n = (uint32_t)f->n;
	if (st == SW_OK && f->n > 0) {
		n->kids = arena_alloc(b->arena, f->n * sizeof(*n->kids));
		if (n->kids == NULL)
			st = b_nomem(b);
		else
			memcpy(n->kids, f->kids, f->n * sizeof(*n->kids));
	}
	for (size_t i = 0; st == SW_OK && i < f->n; i++)
		n->size = sat_add(n->size, f->kids[i]->size);
	free(f->kids);
	f->kids = NULL;
	b->depth--;
	if (st == SW_OK && f->anchor != NULL && !anchor_put(&b->anchors, b->arena, f->anchor, n))
		st = b_nomem(b);
	if (st == SW_OK)
		st = b_budget(b, &e->end_mark);
	if (st == SW_OK)
		st = b_attach(b, n, &e->start_mark);
	return st;
}

static enum sw_status b_alias(struct builder *b, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	struct sw_ynode *n = anchor_get(&b->anchors, name);

	if (n == NULL)
		return b_error(b, SW_ERR_PARSE, &e->start_mark,
		               "alias *%s refers to no anchor defined before it", name);
	b->expanded += n->size;
	if (b_budget(b, &e->start_mark) != SW_OK)
		return b_error(b, SW_ERR_LIMIT, &e->start_mark,
		               "aliases expand to more than %zu nodes (an alias bomb?)",
		               b->lim->max_nodes);
	return b_attach(b, n, &e->start_mark);
}

static enum sw_status b_doc_end(struct builder *b, const yaml_event_t *e)
{
	struct sw_ynode *root = b->root;

	if (root == NULL) {
		root = b_node(b, SW_Y_SCALAR, &e->start_mark);
		if (root == NULL)
			return b_nomem(b);
		root->kind = SW_YK_NULL;
	}
	if (b->n_docs == b->cap_docs) {
		size_t ncap = b->cap_docs ? b->cap_docs * 2 : 4;
		struct sw_ynode **d = realloc(b->docs, ncap * sizeof(*d));
		if (d == NULL)
			return b_nomem(b);
		b->docs = d;
		b->cap_docs = ncap;
	}
	b->docs[b->n_docs++] = root;
	b->root = NULL;
	return SW_OK;
}

static enum sw_status b_event(struct builder *b, const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return b_scalar(b, e);
	case YAML_SEQUENCE_START_EVENT:
		return b_open(b, e, SW_Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		return b_open(b, e, SW_Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return b_close(b, e);
	case YAML_ALIAS_EVENT:
		return b_alias(b, e);
	case YAML_DOCUMENT_START_EVENT:
		b->root = NULL;
		return SW_OK;
	case YAML_DOCUMENT_END_EVENT:
		return b_doc_end(b, e);
	default:
		return SW_OK;
	}
}

static enum sw_status parse_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "malformed input";

	if (p->error == YAML_MEMORY_ERROR)
		return b_nomem(b);
	if (p->context != NULL)
		return b_error(b, SW_ERR_PARSE, &p->problem_mark, "invalid YAML: %s %s (line %zu)",
		               problem, p->context, p->context_mark.line + 1);
	return b_error(b, SW_ERR_PARSE, &p->problem_mark, "invalid YAML: %s", problem);
}

static enum sw_status build(struct builder *b, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	enum sw_status st = SW_OK;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return b_nomem(b);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && st == SW_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			st = parse_error(b, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		st = b_event(b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return st;
}

/* ---- loading ---- */

void sw_ylimits_default(struct sw_ylimits *lim)
{
	lim->max_bytes = SW_Y_DEFAULT_MAX_BYTES;
	lim->max_depth = SW_Y_DEFAULT_MAX_DEPTH;
	lim->max_nodes = SW_Y_DEFAULT_MAX_NODES;
}

/* JSON may use tabs where YAML's block context forbids them; outside
 * strings they are plain whitespace, so they become spaces (same column). */
static void json_detab(char *text, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (text[i] == '\\')
				i++;
			else if (text[i] == '"')
				in_str = false;
		} else if (text[i] == '"') {
			in_str = true;
		} else if (text[i] == '\t') {
			text[i] = ' ';
		}
	}
}

static bool looks_json(const char *text, size_t len)
{
	size_t i = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

void sw_ydoc_free(struct sw_ydoc *doc)
{
	if (doc == NULL)
		return;
	free(doc->docs);
	arena_free(doc->arena);
	free(doc);
}

/* Takes text (malloc'd, NUL-terminated at len). */
static enum sw_status load_owned(const char *name, char *text, size_t len,
                                 const struct sw_ylimits *lim, struct sw_ydoc **out,
                                 struct sw_err *err)
{
	struct sw_ylimits dflt;
	struct builder b;
	enum sw_status st;
	struct sw_ydoc *doc = calloc(1, sizeof(*doc));
	struct sw_yarena *arena = calloc(1, sizeof(*arena));

	if (lim == NULL) {
		sw_ylimits_default(&dflt);
		lim = &dflt;
	}
	if (doc == NULL || arena == NULL || (arena->name = strdup(name)) == NULL) {
		free(doc);
		free(arena);
		free(text);
		return sw_err_set(err, SW_ERR_NOMEM, name, 0, 0, "out of memory");
	}
	arena->text = text;
	doc->arena = arena;
	doc->file = arena->name;
	doc->text = text;
	doc->text_len = len;
	doc->json = looks_json(text, len);
	memset(&b, 0, sizeof(b));
	b.doc = doc;
	b.arena = arena;
	b.lim = lim;
	b.err = err;
	if (len > lim->max_bytes || len >= UINT32_MAX) {
		st = sw_err_set(err, SW_ERR_LIMIT, name, 0, 0,
		                "file too large: %zu bytes, the limit is %zu", len, lim->max_bytes);
		goto out;
	}
	if (doc->json)
		json_detab(text, len);
	b.stack = calloc(lim->max_depth + 1, sizeof(*b.stack));
	if (b.stack == NULL || !charmap_init(&b.cmap, text, len)) {
		st = sw_err_set(err, SW_ERR_NOMEM, name, 0, 0, "out of memory");
		goto out;
	}
	st = build(&b, text, len);
out:
	for (size_t i = 0; i < b.depth; i++)
		free(b.stack[i].kids);
	free(b.stack);
	free(b.cmap.cp);
	free(b.anchors.slots);
	doc->docs = b.docs;
	doc->n_docs = b.n_docs;
	if (st != SW_OK) {
		sw_ydoc_free(doc);
		return st;
	}
	*out = doc;
	return SW_OK;
}

enum sw_status sw_ydoc_load_mem(const char *name, const char *text, size_t len,
                                const struct sw_ylimits *lim, struct sw_ydoc **out,
                                struct sw_err *err)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, name, 0, 0, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	return load_owned(name, copy, len, lim, out, err);
}

/* Reads at most max + 1 bytes, so an oversized file is detected without
 * reading it all. */
static enum sw_status read_file(const char *path, size_t max, char **text, size_t *len,
                                struct sw_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 64 * 1024, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return sw_err_set(err, SW_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
	for (;;) {
		ssize_t r;
		if (buf == NULL || n == cap) {
			char *nb;
			if (buf != NULL)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return sw_err_set(err, SW_ERR_NOMEM, path, 0, 0, "out of memory");
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return sw_err_set(err, SW_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			close(fd);
			return sw_err_set(err, SW_ERR_LIMIT, path, 0, 0,
			                  "file too large: more than %zu bytes", max);
		}
	}
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return SW_OK;
}

enum sw_status sw_ydoc_load_file(const char *path, const struct sw_ylimits *lim,
                                 struct sw_ydoc **out, struct sw_err *err)
{
	struct sw_ylimits dflt;
	char *text = NULL;
	size_t len = 0;
	enum sw_status st;

	if (lim == NULL) {
		sw_ylimits_default(&dflt);
		lim = &dflt;
	}
	st = read_file(path, lim->max_bytes, &text, &len, err);
	if (st != SW_OK)
		return st;
	return load_owned(path, text, len, lim, out, err);
}
