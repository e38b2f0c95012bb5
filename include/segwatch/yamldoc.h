/*
 * yamldoc.h - YAML and JSON files as a bounded tree of positioned nodes.
 *
 * One loader (on libyaml) for every input segwatch reads: Kubernetes
 * manifests and `kubectl -o yaml|json` output, the native inventory form,
 * compose files and `docker network inspect` JSON. A file becomes a list
 * of documents (`---` separated); each node is a map, a sequence or a
 * scalar and knows its 1-based line and column, so every loader can say
 * `file:12:7: expected an integer port (1-65535), got "http-x"`.
 *
 * Hostile input is bounded: file size, nesting depth and node count are
 * capped, and aliases are shared (never copied) with their expanded size
 * counted against the node cap, so an alias bomb fails fast instead of
 * exhausting memory. Merge keys (`<<: *base`) are applied as YAML 1.1 and
 * go-yaml define them. A key appearing twice in one map is an error, as in
 * kubectl.
 *
 * Ownership: the document owns every node and string; all of them stay
 * valid until sw_ydoc_free(). Nodes may be shared between several parents
 * (aliases, merge keys), so the tree is a DAG: never modify it.
 */
#ifndef SEGWATCH_YAMLDOC_H
#define SEGWATCH_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"

enum sw_ytype { SW_Y_SCALAR, SW_Y_MAP, SW_Y_SEQ };

/* How a scalar was written. Only plain scalars are resolved to null,
 * booleans or numbers: "80" quoted is a string, 80 is an integer. */
enum sw_ystyle {
	SW_YS_PLAIN,
	SW_YS_SINGLE,  /* 'text' */
	SW_YS_DOUBLE,  /* "text" (every JSON string) */
	SW_YS_LITERAL, /* | block */
	SW_YS_FOLDED   /* > block */
};

/* What a scalar resolves to, by the YAML 1.1 rules go-yaml (and so
 * kubectl) applies. An explicit tag (!!str, !!int ...) overrides. */
enum sw_ykind { SW_YK_STR, SW_YK_INT, SW_YK_FLOAT, SW_YK_BOOL, SW_YK_NULL };

struct sw_ynode {
	uint8_t type;          /* enum sw_ytype */
	uint8_t style;         /* enum sw_ystyle, scalars only */
	uint8_t kind;          /* enum sw_ykind, scalars only */
	uint32_t line;         /* 1-based */
	uint32_t column;       /* 1-based, in characters */
	uint32_t start;        /* byte offsets of the node's text in the file */
	uint32_t end;
	uint32_t len;          /* scalar: bytes in str (str is NUL-terminated too) */
	uint32_t n;            /* map: number of pairs; seq: number of items */
	uint32_t size;         /* nodes in this subtree with aliases expanded
	                        * (saturating) */
	const char *str;       /* scalar text; "" for maps and sequences */
	struct sw_ynode **kids; /* map: key0, value0, key1, value1 ...; seq: items */
};

struct sw_yarena;

struct sw_ydoc {
	const char *file;         /* the name given to the loader, for messages */
	size_t n_docs;
	struct sw_ynode **docs;   /* each document's root; an empty document is
	                           * a null scalar */
	const char *text;         /* the whole file (NUL-terminated), for hashing */
	size_t text_len;
	bool json;                /* the text started with '{' or '[' */
	struct sw_yarena *arena;  /* private */
};

struct sw_ylimits {
	size_t max_bytes;     /* file size */
	unsigned max_depth;   /* nesting of maps and sequences */
	size_t max_nodes;     /* nodes built plus nodes reachable through aliases */
};

#define SW_Y_DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define SW_Y_DEFAULT_MAX_DEPTH 64u
#define SW_Y_DEFAULT_MAX_NODES (2u * 1024 * 1024)

/* Fills *lim with the defaults above. */
void sw_ylimits_default(struct sw_ylimits *lim);

/* Reads and parses a file. lim may be NULL (defaults). On success *out is
 * the document (caller frees with sw_ydoc_free). Errors: SW_ERR_IO (cannot
 * read), SW_ERR_LIMIT (too big, too deep, too many nodes), SW_ERR_PARSE
 * (not YAML, duplicate key, undefined alias), each with file:line:column. */
enum sw_status sw_ydoc_load_file(const char *path, const struct sw_ylimits *lim,
                                 struct sw_ydoc **out, struct sw_err *err) SW_WUR;

/* The same from memory; name is used in messages (copied), text borrowed
 * (copied). */
enum sw_status sw_ydoc_load_mem(const char *name, const char *text, size_t len,
                                const struct sw_ylimits *lim, struct sw_ydoc **out,
                                struct sw_err *err) SW_WUR;

/* NULL is a no-op. */
void sw_ydoc_free(struct sw_ydoc *doc);

/* ---- walking ---- */

/* True for a NULL pointer and for a null scalar (plain "", ~, null). */
bool sw_ynode_is_null(const struct sw_ynode *n);
bool sw_ynode_is_map(const struct sw_ynode *n);
bool sw_ynode_is_seq(const struct sw_ynode *n);
bool sw_ynode_is_scalar(const struct sw_ynode *n);

/* The value of key in map, or NULL when map is not a map or has no such
 * (scalar) key. A present key with a null value returns the null node. */
const struct sw_ynode *sw_ymap_get(const struct sw_ynode *map, const char *key);
/* Pair i of a map (i < map->n). */
const struct sw_ynode *sw_ymap_key(const struct sw_ynode *map, size_t i);
const struct sw_ynode *sw_ymap_value(const struct sw_ynode *map, size_t i);
/* Item i of a sequence (i < seq->n). */
const struct sw_ynode *sw_yseq_item(const struct sw_ynode *seq, size_t i);

/* A short description of a node for messages: "\"http-x\"" (quoted,
 * truncated), "80", "a map", "a sequence", "null". Returns buf. */
const char *sw_ydescribe(const struct sw_ynode *n, char *buf, size_t len);

/* The byte length of text [n->start, n->end) and its FNV-1a 64-bit hash
 * as 16 hex digits plus NUL into hex[17]. */
void sw_ynode_hash(const struct sw_ydoc *doc, const struct sw_ynode *n, char hex[17]);

/* ---- typed getters: each writes *out only on SW_OK and otherwise fills
 * err with file:line:column of n and "expected WHAT, got ..." ---- */

/* n must be a map (a null node is "expected WHAT, got null"). */
enum sw_status sw_yexpect_map(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              const char *what, struct sw_err *err) SW_WUR;
enum sw_status sw_yexpect_seq(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              const char *what, struct sw_err *err) SW_WUR;

/* A string. strict: only scalars that resolve to strings (so a plain
 * `true` or `80` is an error, as kubectl decoding a string field does);
 * otherwise any non-null scalar's text. Text with a NUL byte is an error.
 * *out borrows the document's storage. */
enum sw_status sw_yget_str(const struct sw_ydoc *doc, const struct sw_ynode *n,
                           bool strict, const char *what, const char **out,
                           struct sw_err *err) SW_WUR;

/* An integer written as a plain decimal number (a quoted "80" is a string
 * and an error here), within [min, max]. */
enum sw_status sw_yget_uint(const struct sw_ydoc *doc, const struct sw_ynode *n,
                            uint64_t min, uint64_t max, const char *what,
                            uint64_t *out, struct sw_err *err) SW_WUR;

/* true/false (YAML 1.1 forms: yes/no/on/off too), plain only. */
enum sw_status sw_yget_bool(const struct sw_ydoc *doc, const struct sw_ynode *n,
                            const char *what, bool *out, struct sw_err *err) SW_WUR;

/* Required fields of a map: like sw_yget_str / sw_yget_uint on the value
 * of key, but an absent key is "missing field \"KEY\" (expected WHAT)"
 * at the map's position (and a map that is not a map is "expected a map
 * with field \"KEY\", got ..."). */
enum sw_status sw_yget_field_str(const struct sw_ydoc *doc, const struct sw_ynode *map,
                                 const char *key, bool strict, const char *what,
                                 const char **out, struct sw_err *err) SW_WUR;
enum sw_status sw_yget_field_uint(const struct sw_ydoc *doc, const struct sw_ynode *map,
                                  const char *key, uint64_t min, uint64_t max,
                                  const char *what, uint64_t *out, struct sw_err *err) SW_WUR;

/* Fills err at n's position with the formatted message; returns status. */
enum sw_status sw_yerror(const struct sw_ydoc *doc, const struct sw_ynode *n,
                         struct sw_err *err, enum sw_status status,
                         const char *fmt, ...) SW_PRINTF(5, 6);

/* Sends a warning at n's position (warn may be NULL). */
void sw_ywarn(const struct sw_ydoc *doc, const struct sw_ynode *n, sw_warn_fn warn,
              void *warn_ctx, const char *fmt, ...) SW_PRINTF(5, 6);

/* Warns "unknown field \"K\" in WHERE (ignored)" for each key of map not
 * in known (a NULL-terminated list). Non-maps are ignored. */
void sw_ywarn_unknown(const struct sw_ydoc *doc, const struct sw_ynode *map,
                      const char *const *known, const char *where, sw_warn_fn warn,
                      void *warn_ctx);

#endif
