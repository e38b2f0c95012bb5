/*
 * inventory.h - who is who: namespaces and endpoints (workloads, pods,
 * hosts, containers) with their labels, addresses and declared ports.
 *
 * Loaded from Kubernetes objects (kubectl -o yaml / -o json, manifests,
 * List objects), from segwatch's native YAML form, or built by the compose
 * loader. An address that belongs to no endpoint is external.
 *
 * Ownership: the inventory owns every string and array reachable from the
 * structs it hands out; they stay valid until sw_inventory_free().
 */
#ifndef SEGWATCH_INVENTORY_H
#define SEGWATCH_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/error.h"
#include "segwatch/proto.h"


struct sw_label {
	char *key;
	char *value;
};

/* Sorted by key, keys unique. */
struct sw_labels {
	size_t n;
	struct sw_label *items;
};

/* Returns the value of key, or NULL when absent. Binary search. */
const char *sw_labels_get(const struct sw_labels *labels, const char *key);

/* Added for the loaders: sets key to value (both copied), keeping the
 * items sorted and keys unique (an existing key gets the new value).
 * Returns SW_OK or SW_ERR_NOMEM (labels unchanged). */
enum sw_status sw_labels_set(struct sw_labels *labels, const char *key,
                             const char *value) SW_WUR;
/* Added: frees the items of labels built with sw_labels_set and leaves
 * it empty. NULL is a no-op. */
void sw_labels_clear(struct sw_labels *labels);

struct sw_named_port {
	uint16_t port;
	uint8_t proto;  /* SW_PROTO_TCP, _UDP or _SCTP */
	char *name;     /* NULL when the port has no name */
};

struct sw_namespace {
	char *name;
	struct sw_labels labels; /* always holds kubernetes.io/metadata.name */
};

struct sw_endpoint {
	char *id;       /* "namespace/name" */
	char *ns;       /* namespace name */
	char *name;
	char *kind;     /* "Deployment", "Pod", "StatefulSet", "host", "service" ... */
	struct sw_labels labels;
	size_t n_prefixes;
	struct sw_prefix *prefixes; /* its addresses (host prefixes or ranges) */
	size_t n_ports;
	struct sw_named_port *ports;
	char *file;     /* where it was declared */
	unsigned line;
	/* Added: true when the endpoint was inferred from pods (or a
	 * ReplicaSet/Job) whose owning workload object was not in the file.
	 * A later file declaring the same id with the same kind then merges
	 * into it (addresses and ports unioned, the workload's labels win)
	 * instead of being a duplicate. */
	bool provisional;
};

struct sw_inventory;

/* Returns an empty inventory or NULL when out of memory. */
struct sw_inventory *sw_inventory_new(void) SW_WUR;
/* Frees everything. NULL is a no-op. */
void sw_inventory_free(struct sw_inventory *inv);

/* Adds the namespaces and endpoints of one file, detecting its form
 * (Kubernetes objects in YAML or JSON, the native form, or `docker network
 * inspect` JSON; see analyzer/inventory_{k8s,native,docker}.c). Unknown
 * fields and kinds are reported through warn (may be NULL) and skipped.
 * An endpoint id already known is an error, except that a provisional
 * workload (see sw_endpoint.provisional) and docker containers merge with
 * a later declaration of the same id and kind. On error nothing of the
 * file is kept and err holds file, line and column. */
enum sw_status sw_inventory_load_file(struct sw_inventory *inv, const char *path,
                                      sw_warn_fn warn, void *warn_ctx,
                                      struct sw_err *err) SW_WUR;

/* Accessors. Pointers returned below stay valid until the next builder
 * call (add/put/merge/load) or sw_inventory_free(). */
size_t sw_inventory_n_namespaces(const struct sw_inventory *inv);
const struct sw_namespace *sw_inventory_namespace(const struct sw_inventory *inv, size_t i);
/* NULL when no namespace of that name is known. */
const struct sw_namespace *sw_inventory_find_namespace(const struct sw_inventory *inv,
                                                       const char *name);

size_t sw_inventory_n_endpoints(const struct sw_inventory *inv);
const struct sw_endpoint *sw_inventory_endpoint(const struct sw_inventory *inv, size_t i);
/* Index of the endpoint with that id, or -1. */
long sw_inventory_find_endpoint(const struct sw_inventory *inv, const char *id);

/* Index of the endpoint owning address a (most specific prefix wins; the
 * same prefix declared by two endpoints goes to the one added first),
 * or -1 when the address is external. O(log n) on a sorted table of
 * disjoint address ranges, built by sw_inventory_build_index() or by the
 * first lookup after a change (so call sw_inventory_build_index() before
 * sharing the inventory between threads). */
long sw_inventory_lookup(const struct sw_inventory *inv, const struct sw_addr *a);

/* Added: builds the lookup table now (it is rebuilt after any change).
 * Returns SW_OK or SW_ERR_NOMEM (lookups then fall back to a linear scan). */
enum sw_status sw_inventory_build_index(struct sw_inventory *inv) SW_WUR;

/* Builders, for the loaders (and tests). Each copies its arguments.
 * A namespace added twice merges labels; an endpoint id added twice is
 * SW_ERR_INVALID. Namespaces referenced by endpoints are created on
 * demand with only the kubernetes.io/metadata.name label. */
enum sw_status sw_inventory_add_namespace(struct sw_inventory *inv, const char *name,
                                          const struct sw_labels *labels,
                                          struct sw_err *err) SW_WUR;
enum sw_status sw_inventory_add_endpoint(struct sw_inventory *inv,
                                         const struct sw_endpoint *ep,
                                         struct sw_err *err) SW_WUR;
/* In sw_inventory_add_endpoint: id may be NULL when ns and name are given
 * (id becomes "ns/name"); ns and name may be NULL when id is "ns/name";
 * when all three are given id must equal ns/name. kind NULL means "host".
 * Prefixes get their host bits cleared. file may be NULL. */

/* Added: like sw_inventory_add_endpoint, but an endpoint with the same id
 * is replaced (its index is kept) instead of being an error. Used by the
 * compose and docker loaders to enrich what another file declared. */
enum sw_status sw_inventory_put_endpoint(struct sw_inventory *inv,
                                         const struct sw_endpoint *ep,
                                         struct sw_err *err) SW_WUR;

/* Added: removes endpoint i; the endpoints after it move down one index.
 * Returns SW_OK or SW_ERR_NOTFOUND when i is out of range. */
enum sw_status sw_inventory_remove_endpoint(struct sw_inventory *inv, size_t i) SW_WUR;

/* Added: moves everything of src into dst (namespaces merge labels).
 * An endpoint id present in both is SW_ERR_INVALID naming the id and both
 * places, and then dst is unchanged. src is left empty on SW_OK. */
enum sw_status sw_inventory_merge(struct sw_inventory *dst, struct sw_inventory *src,
                                  struct sw_err *err) SW_WUR;

#endif
