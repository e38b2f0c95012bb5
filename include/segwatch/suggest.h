/*
 * suggest.h - least-privilege Kubernetes NetworkPolicies suggested from
 * the learned baseline (`segwatch policy suggest`).
 *
 * Input: an inventory and the baseline's edges (src -> dst, protocol,
 * destination port). Output: multi-document YAML, written with libyaml's
 * emitter, that allows exactly those edges plus cluster DNS:
 *  - per selected namespace: "default-deny" (podSelector {}, policyTypes
 *    Ingress and Egress) and "allow-dns-egress" (every pod may reach the
 *    cluster DNS on 53/UDP and 53/TCP: the endpoints labelled
 *    k8s-app=kube-dns in their namespace, or any pod of any namespace on
 *    port 53 when the inventory has none); in the DNS namespace also
 *    "allow-dns-ingress" (the DNS pods accept 53/UDP and 53/TCP from every
 *    pod);
 *  - per workload: "<name>-ingress" (the sources it accepts) and
 *    "<name>-egress" (the destinations it reaches). An edge A -> B:port
 *    gives an egress rule on A and an ingress rule on B, each only when
 *    its namespace is selected.
 *
 * A workload is a set of endpoints of one namespace with the same labels
 * (usually one endpoint). It is selected by matchLabels with its labels,
 * plus matchExpressions DoesNotExist for the keys that set other endpoints
 * of the namespace apart (whose labels are a superset), so the selector
 * picks exactly the workload's endpoints of the inventory; an endpoint
 * without labels is selected that way too (ipBlock never matches a pod's
 * own address, in segwatch's matcher as in several network plugins).
 * Peers in other namespaces add namespaceSelector
 * kubernetes.io/metadata.name; external addresses become ipBlock /32 or
 * /128. Peers with the same port set share one rule; ports are listed
 * exactly. Everything is sorted (namespaces, workloads, peers, ports), so
 * the same input always gives the same text.
 *
 * Skipped with a warning: edges naming an identity that is neither an
 * inventory endpoint nor an address, edges between two external
 * addresses, protocols other than TCP, UDP and SCTP, and port 0. Edges
 * to the DNS endpoints on 53/UDP or 53/TCP from an endpoint are covered
 * by the DNS policies and add no rule.
 */
#ifndef SEGWATCH_SUGGEST_H
#define SEGWATCH_SUGGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "segwatch/error.h"
#include "segwatch/inventory.h"

/* One baseline edge. src/dst: an inventory endpoint id "ns/name" or the
 * text of an address (an address that an endpoint owns counts as that
 * endpoint). */
struct sw_suggest_edge {
	const char *src;
	const char *dst;
	uint8_t proto;   /* SW_PROTO_TCP, _UDP or _SCTP */
	uint16_t port;   /* destination port, 1-65535 */
};

struct sw_suggest_options {
	/* Namespaces to write policies for (borrowed); NULL / 0: every
	 * namespace of the inventory. A name the inventory does not know is
	 * SW_ERR_NOTFOUND. */
	const char *const *namespaces;
	size_t n_namespaces;
	/* When the baseline was read, written in the header comment as UTC;
	 * 0: no time in the header. */
	uint64_t generated_ns;
	sw_warn_fn warn;  /* skipped edges, over-broad workloads; may be NULL */
	void *warn_ctx;
};

struct sw_suggest_stats {
	size_t edges;        /* edges given */
	size_t edges_used;   /* edges that gave at least one rule */
	size_t edges_dns;    /* edges covered by the DNS policies */
	size_t edges_outside; /* no end in a selected namespace */
	size_t edges_skipped; /* warned about */
	size_t policies;     /* NetworkPolicy documents written */
};

/* The YAML text of the suggestion. Borrows inv, edges and opt (opt may be
 * NULL: defaults). On SW_OK *text is a NUL-terminated string of *len
 * bytes (len may be NULL) the caller frees with free(); stats (may be
 * NULL) is filled. Errors: SW_ERR_NOMEM, SW_ERR_NOTFOUND (unknown
 * namespace), SW_ERR_INVALID (an emitter failure). */
enum sw_status sw_suggest_yaml(const struct sw_inventory *inv,
                               const struct sw_suggest_edge *edges, size_t n_edges,
                               const struct sw_suggest_options *opt, char **text,
                               size_t *len, struct sw_suggest_stats *stats,
                               struct sw_err *err) SW_WUR;

/* The same, written to out. SW_ERR_IO when writing fails. */
enum sw_status sw_suggest_write(const struct sw_inventory *inv,
                                const struct sw_suggest_edge *edges, size_t n_edges,
                                const struct sw_suggest_options *opt, FILE *out,
                                struct sw_suggest_stats *stats, struct sw_err *err) SW_WUR;

/* ---- the store side (analyzer/store_suggest.c) ---- */

struct sw_store;

/* Receives one edge; its strings are valid only during the call. A
 * status other than SW_OK stops the walk and is returned. */
typedef enum sw_status (*sw_suggest_edge_fn)(void *ctx, const struct sw_suggest_edge *e);

/* Calls fn for every row of baseline_edges, ordered by src, dst, proto,
 * port. Rows whose proto or port is out of range (not 0-255 / 0-65535)
 * are given with port 0 and proto 0, for the caller to skip. Borrows st.
 * Errors: the database's (SW_ERR_IO, SW_ERR_BUSY ...), or fn's status. */
enum sw_status sw_store_each_baseline_edge(struct sw_store *st, sw_suggest_edge_fn fn,
                                           void *ctx, struct sw_err *err) SW_WUR;

/* Adds the inventory the store holds (tables namespaces and endpoints,
 * as sw_store_put_inventory wrote them: every inventory ever loaded, rows
 * never deleted) to inv. Borrows st. Errors: the database's, SW_ERR_PARSE
 * (a labels/addresses/ports column that is not the JSON written there),
 * SW_ERR_INVALID (an endpoint id twice, from sw_inventory_add_endpoint),
 * SW_ERR_NOMEM. On error inv may hold part of the rows. */
enum sw_status sw_store_load_inventory(struct sw_store *st, struct sw_inventory *inv,
                                       struct sw_err *err) SW_WUR;

#endif
