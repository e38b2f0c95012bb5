/*
 * netpol.h - declared policy, in one intermediate form: Kubernetes
 * networking.k8s.io/v1 NetworkPolicy as the API defines it.
 *
 * Kubernetes policies load into it as written; a docker-compose file is
 * translated into equivalent policies (services sharing a network may
 * talk; from outside only published ports of services on a network with
 * external access), with origin "compose" so explanations can say so.
 *
 * Absent and empty are different in the API, so every list that the API
 * distinguishes carries a `present` flag next to its count.
 *
 * Ownership: the policy set owns everything reachable from what it hands
 * out, valid until sw_policy_set_free().
 */
#ifndef SEGWATCH_NETPOL_H
#define SEGWATCH_NETPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/error.h"
#include "segwatch/inventory.h"

enum sw_sel_op { SW_SEL_IN, SW_SEL_NOT_IN, SW_SEL_EXISTS, SW_SEL_DOES_NOT_EXIST };

struct sw_sel_req {
	char *key;
	enum sw_sel_op op;
	size_t n_values;
	char **values;
};

/* A LabelSelector: matchLabels become In requirements with one value.
 * No requirements means "matches everything". */
struct sw_selector {
	size_t n_reqs;
	struct sw_sel_req *reqs;
};

struct sw_ipblock {
	struct sw_prefix cidr;
	size_t n_except;
	struct sw_prefix *except;
};

/* NetworkPolicyPeer: exactly one of ipBlock or (podSelector and/or
 * namespaceSelector). */
struct sw_peer {
	bool has_pod_sel;
	bool has_ns_sel;
	bool has_ipblock;
	struct sw_selector pod_sel;
	struct sw_selector ns_sel;
	struct sw_ipblock ipblock;
	unsigned line;
};

/* NetworkPolicyPort. */
struct sw_port_rule {
	uint8_t proto;       /* SW_PROTO_TCP (the default), _UDP or _SCTP */
	bool has_port;       /* false: all ports of proto */
	char *port_name;     /* non-NULL: a named port, resolved on the destination */
	uint16_t port;       /* numeric port when port_name is NULL */
	uint16_t end_port;   /* == port when no endPort */
	unsigned line;
};

/* NetworkPolicyIngressRule / EgressRule. */
struct sw_rule {
	bool peers_present;  /* false: from/to absent = all peers */
	size_t n_peers;      /* 0 (absent or empty): all peers, as upstream */
	struct sw_peer *peers;
	bool ports_present;  /* false or n_ports 0: all ports and protocols */
	size_t n_ports;
	struct sw_port_rule *ports;
	unsigned line;
};

struct sw_netpol {
	char *name;
	char *ns;
	char *origin;        /* "k8s" or "compose" */
	struct sw_selector pod_sel;
	bool type_ingress;   /* policyTypes, with the API's default applied */
	bool type_egress;
	size_t n_ingress;
	struct sw_rule *ingress;
	size_t n_egress;
	struct sw_rule *egress;
	char *file;
	unsigned line;
	char *content_hash;  /* change detector for the store: 16 hex digits of
	                      * FNV-1a 64 over the object's source text (compose:
	                      * 32 digits, the service's text then the top-level
	                      * networks' text); not cryptographic */
};

struct sw_policy_set;

struct sw_policy_set *sw_policy_set_new(void) SW_WUR;
void sw_policy_set_free(struct sw_policy_set *set);

/* Loads every NetworkPolicy in a file (single objects, List objects,
 * multi-document YAML, or JSON). Other kinds that are not policies are
 * warned about and skipped; a malformed policy is an error with file, line
 * and column, and nothing of the file is kept. */
enum sw_status sw_policy_set_load_file(struct sw_policy_set *set, const char *path,
                                       sw_warn_fn warn, void *warn_ctx,
                                       struct sw_err *err) SW_WUR;

/* Loads a docker-compose file: adds its services to inv as endpoints
 * (namespace = the compose project name, addresses from inv or from
 * `docker network inspect` JSON given as extra inventory) and its network
 * rules to set as origin "compose" policies. */
enum sw_status sw_policy_set_load_compose(struct sw_policy_set *set,
                                          struct sw_inventory *inv,
                                          const char *path, sw_warn_fn warn,
                                          void *warn_ctx, struct sw_err *err) SW_WUR;

size_t sw_policy_set_count(const struct sw_policy_set *set);
/* NULL when i is out of range. Valid until the next add/merge/load or
 * sw_policy_set_free(). */
const struct sw_netpol *sw_policy_set_get(const struct sw_policy_set *set, size_t i);

/* Added for the loaders (and tests): appends a deep copy of pol (every
 * string and array copied; NULL strings stay NULL except origin, which
 * defaults to "k8s", and ns, which defaults to "default"). Borrows pol.
 * Returns SW_OK or SW_ERR_NOMEM (set unchanged). */
enum sw_status sw_policy_set_add(struct sw_policy_set *set, const struct sw_netpol *pol,
                                 struct sw_err *err) SW_WUR;

/* Added: moves every policy of src to the end of dst, leaving src empty.
 * Returns SW_OK or SW_ERR_NOMEM (both unchanged). */
enum sw_status sw_policy_set_merge(struct sw_policy_set *dst, struct sw_policy_set *src,
                                   struct sw_err *err) SW_WUR;

/* Added: removes policy i; later policies move down one index. Returns
 * SW_OK or SW_ERR_NOTFOUND when i is out of range. */
enum sw_status sw_policy_set_remove(struct sw_policy_set *set, size_t i) SW_WUR;

/* Added: frees every heap member of a policy whose strings and arrays were
 * all malloc'd (as the loaders build them) and zeroes it. NULL is a no-op. */
void sw_netpol_clear(struct sw_netpol *pol);

#endif
