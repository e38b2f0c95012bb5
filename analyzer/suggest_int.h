/*
 * suggest_int.h - what the policy suggester's files share: the model of
 * the policies to write, built by suggest.c from the inventory and the
 * edges, and written as YAML by suggest_emit.c.
 */
#ifndef SEGWATCH_SUGGEST_INT_H
#define SEGWATCH_SUGGEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/inventory.h"
#include "segwatch/suggest.h"

/* A workload: endpoints of one namespace with the same labels. */
struct sg_group {
	const char *ns;                /* borrowed from the inventory */
	const struct sw_labels *labels;
	size_t n_absent;
	const char **absent;           /* DoesNotExist keys, sorted, unique */
	const char *first_name;        /* name of its first endpoint by name */
	size_t n_members;
};

enum sg_peer_kind {
	SG_PEER_GROUP,     /* a workload */
	SG_PEER_EXTERNAL,  /* an ipBlock host prefix */
	SG_PEER_DNS,       /* k8s-app=kube-dns pods of namespace dns_ns */
	SG_PEER_ANY_POD    /* namespaceSelector {}: every pod */
};

struct sg_peer {
	enum sg_peer_kind kind;
	size_t group;        /* SG_PEER_GROUP */
	struct sw_addr addr; /* SG_PEER_EXTERNAL */
	const char *dns_ns;  /* SG_PEER_DNS */
};

struct sg_port {
	uint8_t proto;
	uint16_t port;
};

struct sg_rule {
	size_t n_peers;
	struct sg_peer *peers;
	size_t n_ports;
	struct sg_port *ports;
};

enum sg_target {
	SG_TARGET_ALL,    /* podSelector {} */
	SG_TARGET_GROUP,  /* the workload's selector */
	SG_TARGET_DNS     /* k8s-app: kube-dns */
};

struct sg_policy {
	const char *ns;
	char *name;          /* owned */
	enum sg_target target;
	size_t group;        /* SG_TARGET_GROUP */
	bool ingress;        /* policyTypes */
	bool egress;
	size_t n_rules;
	struct sg_rule *rules; /* owned, with their arrays; in the direction
	                        * of the single policy type (none for
	                        * default-deny) */
};

struct sg_model {
	size_t n_groups;
	struct sg_group *groups;
	size_t n_ns;
	const char **ns;       /* selected namespaces, sorted */
	size_t n_dns_ns;
	const char **dns_ns;   /* namespaces of the DNS endpoints, sorted */
	size_t n_policies;
	struct sg_policy *policies;
	struct sw_suggest_stats stats;
};

/* Writes the model as YAML text (suggest_emit.c). On SW_OK *text is
 * malloc'd, NUL-terminated, *len bytes. */
enum sw_status sg_emit(const struct sg_model *m, uint64_t generated_ns, char **text,
                       size_t *len, struct sw_err *err);

#endif
