/*
 * store_identities.c - the store's record of which endpoint identities
 * each address has had in stored flows (table ip_identities, schema 005),
 * which lets the flows API find an address's flows through the src/dst
 * indexes. sw_store_put_flow notes each endpoint side of a flow; a pair
 * is inserted once per handle (a set remembers the pairs written), and the
 * set is dropped when a batch rolls back (its inserts went with it) or
 * grows past PAIRS_MAX (the database ignores a pair it holds).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "segwatch/hash.h"

/* Pairs remembered at most; then the set starts over. */
#define PAIRS_MAX 65536

struct pair_slot {
	uint64_t hash;
	char *text;                 /* "ip\0identity\0"; NULL: empty */
};

struct sw_identity_pairs {
	struct pair_slot *slots;    /* open addressing, linear probing */
	size_t cap, used;
};

static const char sql_note[] =
	"INSERT OR IGNORE INTO ip_identities (ip, identity) VALUES (?1, ?2)";

void sw_store_identities_forget(struct sw_store *st)
{
	struct sw_identity_pairs *set = st->pairs;

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].text);
	free(set->slots);
	free(set);
	st->pairs = NULL;
}

static bool same_pair(const struct pair_slot *s, uint64_t h, const char *ip, const char *identity)
{
	return s->hash == h && strcmp(s->text, ip) == 0 &&
	       strcmp(s->text + strlen(s->text) + 1, identity) == 0;
}

/* The slot of the pair, or the empty slot where it goes. */
static struct pair_slot *find(const struct sw_identity_pairs *set, uint64_t h, const char *ip,
                              const char *identity)
{
	size_t j = h & (set->cap - 1);

	while (set->slots[j].text != NULL && !same_pair(&set->slots[j], h, ip, identity))
		j = (j + 1) & (set->cap - 1);
	return &set->slots[j];
}

static bool grow(struct sw_identity_pairs *set)
{
	size_t cap = set->cap ? set->cap * 2 : 256;
	struct pair_slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < set->cap; i++) {
		size_t j;
		if (set->slots[i].text == NULL)
			continue;
		for (j = set->slots[i].hash & (cap - 1); slots[j].text != NULL; j = (j + 1) & (cap - 1))
			;
		slots[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return true;
}

/* Remembers the pair as written (without the memory, it is only written
 * again next time). */
static void remember(struct sw_store *st, uint64_t h, const char *ip, const char *identity)
{
	struct sw_identity_pairs *set = st->pairs;
	size_t li = strlen(ip) + 1, ld = strlen(identity) + 1;
	struct pair_slot *s;

	if (set != NULL && set->used >= PAIRS_MAX)
		sw_store_identities_forget(st);
	if (st->pairs == NULL && (st->pairs = calloc(1, sizeof(*st->pairs))) == NULL)
		return;
	set = st->pairs;
	if ((set->used + 1) * 2 > set->cap && !grow(set))
		return;
	s = find(set, h, ip, identity);
	if ((s->text = malloc(li + ld)) == NULL)
		return;
	memcpy(s->text, ip, li);
	memcpy(s->text + li, identity, ld);
	s->hash = h;
	set->used++;
}

enum sw_status sw_store_note_identity(struct sw_store *st, const char *ip, const char *identity,
                                      struct sw_err *err)
{
	uint64_t h = sw_hash_two_strings(SW_HASH_SEED, ip, identity);
	enum sw_status status = SW_OK;
	sqlite3_stmt *s;

	if (st->pairs != NULL && st->pairs->cap > 0 && find(st->pairs, h, ip, identity)->text != NULL)
		return SW_OK;
	s = sw_store_sql(st, sql_note, err);
	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sqlite3_bind_text(s, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, identity, -1, SQLITE_STATIC);
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "store an address's identity");
	sw_sql_reset(s);
	if (status == SW_OK)
		remember(st, h, ip, identity);
	return status;
}
