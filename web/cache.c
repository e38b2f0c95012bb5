/*
 * cache.c - the GET response cache of one reader handle: ready
 * libmicrohttpd responses (headers included) keyed by route, id and the
 * canonical query, forgotten as a whole when the database changes (PRAGMA
 * data_version of the handle moves when another connection commits).
 * Responses are reference-counted by libmicrohttpd, so an evicted one
 * stays valid for the connections still sending it.
 */
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

struct cache_entry {
	char *key;
	size_t key_len;
	uint64_t hash;
	uint64_t created_ns;
	struct MHD_Response *r;
};

struct web_cache {
	struct cache_entry e[WEB_CACHE_ENTRIES];
	size_t next;              /* round-robin eviction */
	int64_t data_version;     /* -1: unknown */
};

struct web_cache *web_cache_new(void)
{
	struct web_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->data_version = -1;
	return c;
}

static void clear(struct web_cache *c)
{
	for (size_t i = 0; i < WEB_CACHE_ENTRIES; i++) {
		if (c->e[i].r != NULL)
			MHD_destroy_response(c->e[i].r);
		free(c->e[i].key);
		memset(&c->e[i], 0, sizeof(c->e[i]));
	}
}

void web_cache_free(struct web_cache *c)
{
	if (c == NULL)
		return;
	clear(c);
	free(c);
}

/* FNV-1a. */
static uint64_t hash_of(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
	return h;
}

struct MHD_Response *web_cache_get(struct web_cache *c, struct sw_store *st,
                                   const char *key, size_t key_len, uint64_t now_ns)
{
	int64_t v = sw_store_data_version(st);
	uint64_t h;

	if (v < 0 || v != c->data_version) {
		clear(c);
		c->data_version = v;
		return NULL;
	}
	h = hash_of(key, key_len);
	for (size_t i = 0; i < WEB_CACHE_ENTRIES; i++) {
		struct cache_entry *e = &c->e[i];
		if (e->r != NULL && e->hash == h && e->key_len == key_len &&
		    memcmp(e->key, key, key_len) == 0) {
			if (now_ns - e->created_ns < WEB_CACHE_TTL_NS)
				return e->r;
			MHD_destroy_response(e->r);
			free(e->key);
			memset(e, 0, sizeof(*e));
			return NULL;
		}
	}
	return NULL;
}

void web_cache_put(struct web_cache *c, const char *key, size_t key_len,
                   struct MHD_Response *r, uint64_t now_ns)
{
	struct cache_entry *e;
	char *k;

	if (c->data_version < 0 || (k = malloc(key_len + 1)) == NULL) {
		MHD_destroy_response(r);
		return;
	}
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	e = &c->e[c->next];
	c->next = (c->next + 1) % WEB_CACHE_ENTRIES;
	if (e->r != NULL)
		MHD_destroy_response(e->r);
	free(e->key);
	e->key = k;
	e->key_len = key_len;
	e->hash = hash_of(key, key_len);
	e->created_ns = now_ns;
	e->r = r;
}
