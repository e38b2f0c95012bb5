/*
 * inventory_k8s.c - loads Kubernetes objects into the inventory, as
 * `kubectl get namespaces,pods,deployments,statefulsets,daemonsets,
 * replicasets,jobs,cronjobs -A -o yaml|json` writes them (a List with
 * items), or as manifests (one object per document).
 *
 *   Namespace     -> a namespace with its labels (plus the automatic
 *                    kubernetes.io/metadata.name label).
 *   Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
 *                 -> an endpoint named after the workload, with its pod
 *                    template's labels and container ports
 *                    (CronJob: spec.jobTemplate.spec.template). A workload
 *                    without pods is still an endpoint, owning no address.
 *   Pod           -> its addresses (status.podIPs[].ip, status.podIP) and
 *                    container ports go to the endpoint of its top
 *                    controller, followed through metadata.ownerReferences
 *                    (the controller: true one): Pod -> ReplicaSet ->
 *                    Deployment, Pod -> Job -> CronJob. When the ReplicaSet
 *                    object is absent, a pod with a pod-template-hash label
 *                    whose ReplicaSet is named "<deployment>-<hash>" goes to
 *                    the Deployment; when the Job is absent, a Job named
 *                    "<cronjob>-<digits>" goes to that CronJob if it is in
 *                    the file. A pod without a controller (or owned by a
 *                    Node: a static pod) is its own endpoint (kind Pod).
 *                    Pods that Succeeded or Failed own no address any more;
 *                    hostNetwork pods use their node's address, which is
 *                    not theirs to own (warned, skipped).
 *   other kinds   -> warned about by kind and skipped.
 *
 * Labels: the top workload's pod-template labels; when that object is not
 * in the file, an intermediate workload's template or else the first
 * pod's labels, and the endpoint is marked provisional (a later file that
 * declares the workload merges into it). Two workloads of different kinds
 * with one name in one namespace: the later one is named "<name>-<kind>"
 * (warned). Objects without metadata.namespace are in "default".
 */
#include "segwatch/grow.h"
#include "inventory_load.h"
#include "load_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OWNER_HOPS 8

/* ---- a small string -> index map (keys owned) ---- */

struct smap {
	size_t cap, n;
	char **keys;
	size_t *vals;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t smap_slot(const struct smap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static long smap_get(const struct smap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	i = smap_slot(m, key);
	return m->keys[i] ? (long)m->vals[i] : -1;
}

/* Takes key (malloc'd). */
static bool smap_put(struct smap *m, char *key, size_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct smap b = {m->cap ? m->cap * 2 : 64, 0, NULL, NULL};
		b.keys = calloc(b.cap, sizeof(*b.keys));
		b.vals = calloc(b.cap, sizeof(*b.vals));
		if (b.keys == NULL || b.vals == NULL) {
			free(b.keys);
			free(b.vals);
			free(key);
			return false;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (m->keys[j] != NULL) {
				size_t s = smap_slot(&b, m->keys[j]);
				b.keys[s] = m->keys[j];
				b.vals[s] = m->vals[j];
			}
		}
		b.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = b;
	}
	i = smap_slot(m, key);
	if (m->keys[i] != NULL) {
		free(key);
	} else {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return true;
}

static void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
}

/* "kind\x1fns\x1fname", malloc'd */
static char *obj_key(const char *kind, const char *ns, const char *name)
{
	size_t n = strlen(kind) + strlen(ns) + strlen(name) + 3;
	char *k = malloc(n);

	if (k != NULL)
		snprintf(k, n, "%s\x1f%s\x1f%s", kind, ns, name);
	return k;
}

/* ---- objects ---- */

struct kobj {
	const struct sw_ynode *node;
	const char *kind, *name, *ns;
	const char *owner_kind, *owner_name; /* the controller, or NULL */
	const struct sw_ynode *labels;       /* pod or pod-template labels */
	const struct sw_ynode *pod_spec;     /* pod spec or template spec */
};

/* An endpoint under construction. */
struct epb {
	const char *ns, *name, *kind;
	char *name_owned;                /* when renamed after a clash */
	const struct sw_ynode *labels;
	int labels_prio;                 /* 3 the top object, 2 a workload, 1 a pod */
	bool top_seen;                   /* the top object is in the file */
	bool hostnet_warned;
	unsigned line;
	size_t n_pfx, cap_pfx;
	struct sw_prefix *pfx;
	size_t n_ports, cap_ports;
	struct sw_named_port *ports;
};

struct k8s_ctx {
	struct sw_inventory *out;
	const struct sw_ydoc *doc;
	sw_warn_fn warn;
	void *warn_ctx;
	struct sw_err *err;
	struct kobj *objs;
	size_t n_objs, cap_objs;
	struct smap workloads;    /* obj_key -> objs index (non-Pod workloads) */
	struct epb *eps;
	size_t n_eps, cap_eps;
	struct smap ep_index;     /* obj_key of the top -> eps index */
};

static const char *const workload_kinds[] = {
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", NULL,
};

static const char *const object_fields[] = {"apiVersion", "kind", "metadata", "spec",
                                            "status", NULL};

static bool is_workload(const char *kind)
{
	for (const char *const *k = workload_kinds; *k != NULL; k++) {
		if (strcmp(kind, *k) == 0)
			return true;
	}
	return false;
}

static enum sw_status nomem(struct k8s_ctx *c)
{
	return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
}

/* An optional string; null/absent gives NULL. */
static enum sw_status opt_str(struct k8s_ctx *c, const struct sw_ynode *n, const char *what,
                              const char **out)
{
	*out = NULL;
	if (sw_ynode_is_null(n))
		return SW_OK;
	return sw_yget_str(c->doc, n, true, what, out, c->err);
}

/* The controller among metadata.ownerReferences (or the first one). */
static enum sw_status read_owner(struct k8s_ctx *c, const struct sw_ynode *md, struct kobj *o)
{
	const struct sw_ynode *refs = sw_ymap_get(md, "ownerReferences");
	const struct sw_ynode *pick = NULL;
	enum sw_status st;

	if (sw_ynode_is_null(refs))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, refs, "a list of ownerReferences", c->err);
	for (size_t i = 0; st == SW_OK && i < refs->n; i++) {
		const struct sw_ynode *r = sw_yseq_item(refs, i);
		const struct sw_ynode *ctl;
		bool is_ctl = false;
		st = sw_yexpect_map(c->doc, r, "an ownerReference ({kind, name, ...})", c->err);
		if (st != SW_OK)
			break;
		ctl = sw_ymap_get(r, "controller");
		if (!sw_ynode_is_null(ctl))
			st = sw_yget_bool(c->doc, ctl, "true or false", &is_ctl, c->err);
		if (pick == NULL || is_ctl)
			pick = r;
		if (is_ctl)
			break;
	}
	if (st != SW_OK || pick == NULL)
		return st;
	st = sw_yget_field_str(c->doc, pick, "kind", true, "an owner kind", &o->owner_kind,
	                       c->err);
	if (st == SW_OK)
		st = sw_yget_field_str(c->doc, pick, "name", true, "an owner name",
		                       &o->owner_name, c->err);
	return st;
}

/* Finds the pod template of a workload: spec.template, or for a CronJob
 * spec.jobTemplate.spec.template. */
static const struct sw_ynode *pod_template(const struct kobj *o)
{
	const struct sw_ynode *spec = sw_ymap_get(o->node, "spec");

	if (strcmp(o->kind, "CronJob") == 0)
		spec = sw_ymap_get(sw_ymap_get(spec, "jobTemplate"), "spec");
	return sw_ymap_get(spec, "template");
}

static enum sw_status add_namespace(struct k8s_ctx *c, const struct kobj *o)
{
	struct sw_labels labels = {0, NULL};
	const struct sw_ynode *md = sw_ymap_get(o->node, "metadata");
	enum sw_status st = sw_load_labels(c->doc, sw_ymap_get(md, "labels"), true,
	                                   "namespace labels", &labels, c->err);

	if (st == SW_OK)
		st = sw_inventory_add_namespace(c->out, o->name, &labels, c->err);
	sw_labels_clear(&labels);
	return st;
}

static enum sw_status record_object(struct k8s_ctx *c, const struct sw_ynode *node);

/* A List (kind: List or *List) with items. */
static enum sw_status record_list(struct k8s_ctx *c, const struct sw_ynode *node)
{
	const struct sw_ynode *items = sw_ymap_get(node, "items");
	enum sw_status st;

	if (sw_ynode_is_null(items))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, items, "a list of items", c->err);
	for (size_t i = 0; st == SW_OK && i < items->n; i++) {
		const struct sw_ynode *it = sw_yseq_item(items, i);
		st = sw_yexpect_map(c->doc, it, "a Kubernetes object", c->err);
		if (st == SW_OK && sw_ymap_get(it, "items") != NULL &&
		    sw_ymap_get(it, "kind") != NULL)
			st = sw_yerror(c->doc, it, c->err, SW_ERR_PARSE,
			               "expected a Kubernetes object, got a List inside a List");
		if (st == SW_OK)
			st = record_object(c, it);
	}
	return st;
}

static bool is_list_kind(const char *kind)
{
	size_t n = strlen(kind);

	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static enum sw_status record_object(struct k8s_ctx *c, const struct sw_ynode *node)
{
	struct kobj o;
	const struct sw_ynode *md;
	enum sw_status st;

	memset(&o, 0, sizeof(o));
	o.node = node;
	st = sw_yget_str(c->doc, sw_ymap_get(node, "kind"), true, "an object kind", &o.kind, c->err);
	if (st != SW_OK) {
		if (sw_ymap_get(node, "kind") == NULL)
			return sw_yerror(c->doc, node, c->err, SW_ERR_PARSE,
			                 "expected a Kubernetes object with a kind");
		return st;
	}
	if (is_list_kind(o.kind))
		return record_list(c, node);
	if (strcmp(o.kind, "Namespace") != 0 && strcmp(o.kind, "Pod") != 0 && !is_workload(o.kind)) {
		sw_ywarn(c->doc, sw_ymap_get(node, "kind"), c->warn, c->warn_ctx,
		         "kind %s is not part of the inventory (skipped)%s", o.kind,
		         strcmp(o.kind, "NetworkPolicy") == 0 ? "; give policies with --policy" : "");
		return SW_OK;
	}
	sw_ywarn_unknown(c->doc, node, object_fields, o.kind, c->warn, c->warn_ctx);
	md = sw_ymap_get(node, "metadata");
	st = sw_yexpect_map(c->doc, md ? md : node, "metadata with a name", c->err);
	if (st == SW_OK && md == NULL)
		st = sw_yerror(c->doc, node, c->err, SW_ERR_PARSE, "expected metadata with a name in a %s",
		               o.kind);
	if (st == SW_OK)
		st = sw_yget_field_str(c->doc, md, "name", true, "a metadata.name", &o.name, c->err);
	if (st == SW_OK)
		st = opt_str(c, sw_ymap_get(md, "namespace"), "a metadata.namespace", &o.ns);
	if (st != SW_OK)
		return st;
	if (o.ns == NULL)
		o.ns = "default";
	if (strcmp(o.kind, "Namespace") == 0)
		return add_namespace(c, &o);
	st = read_owner(c, md, &o);
	if (st != SW_OK)
		return st;
	if (strcmp(o.kind, "Pod") == 0) {
		o.labels = sw_ymap_get(md, "labels");
		o.pod_spec = sw_ymap_get(node, "spec");
	} else {
		const struct sw_ynode *t = pod_template(&o);
		o.labels = sw_ymap_get(sw_ymap_get(t, "metadata"), "labels");
		o.pod_spec = sw_ymap_get(t, "spec");
	}
	if (!sw_grow((void **)&c->objs, &c->cap_objs, c->n_objs + 1, sizeof(*c->objs)))
		return nomem(c);
	c->objs[c->n_objs++] = o;
	if (strcmp(o.kind, "Pod") != 0) {
		char *key = obj_key(o.kind, o.ns, o.name);
		if (key == NULL)
			return nomem(c);
		if (smap_get(&c->workloads, key) >= 0) {
			free(key);
			return sw_yerror(c->doc, node, c->err, SW_ERR_INVALID,
			                 "%s %s/%s is declared twice", o.kind, o.ns, o.name);
		}
		if (!smap_put(&c->workloads, key, c->n_objs - 1))
			return nomem(c);
	}
	return SW_OK;
}

/* ---- resolving a controller to the top workload ---- */

struct top {
	const char *kind, *name;
	const struct kobj *obj;   /* NULL when not in the file */
	char *name_owned;         /* a derived name (stripped suffix) */
};

static const struct kobj *find_workload(const struct k8s_ctx *c, const char *kind,
                                        const char *ns, const char *name)
{
	char *key = obj_key(kind, ns, name);
	long i;

	if (key == NULL)
		return NULL;
	i = smap_get(&c->workloads, key);
	free(key);
	return i < 0 ? NULL : &c->objs[i];
}

/* name without its "-<suffix>" tail, or NULL when it does not end so. */
static char *strip_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s == 0 || n < s + 2 || name[n - s - 1] != '-' || strcmp(name + n - s, suffix) != 0)
		return NULL;
	return strndup(name, n - s - 1);
}

/* A Job created by a CronJob is named "<cronjob>-<minutes>". */
static char *strip_digits(const char *name)
{
	size_t n = strlen(name), i = n;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (i == n || i < 2 || name[i - 1] != '-')
		return NULL;
	return strndup(name, i - 1);
}

/* Follows controllers from (kind, name) up. hash is the pod's
 * pod-template-hash label (or NULL). Fills *t; t->name_owned must be
 * freed. Returns false on out of memory. */
static bool resolve_top(const struct k8s_ctx *c, const char *ns, const char *kind,
                        const char *name, const char *hash, struct top *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->name = name;
	for (int hop = 0; hop < MAX_OWNER_HOPS; hop++) {
		const struct kobj *o = find_workload(c, t->kind, ns, t->name);
		char *derived = NULL;
		const char *next_kind = NULL;
		if (o != NULL) {
			t->obj = o;
			if (o->owner_kind == NULL || strcmp(o->owner_kind, "Node") == 0)
				return true;
			next_kind = o->owner_kind;
			derived = strdup(o->owner_name);
		} else if (strcmp(t->kind, "ReplicaSet") == 0 && hash != NULL &&
		           (derived = strip_suffix(t->name, hash)) != NULL) {
			next_kind = "Deployment";
		} else if (strcmp(t->kind, "Job") == 0 && (derived = strip_digits(t->name)) != NULL &&
		           find_workload(c, "CronJob", ns, derived) != NULL) {
			next_kind = "CronJob";
		} else {
			free(derived);
			t->obj = NULL;
			return true;
		}
		if (derived == NULL)
			return false;
		free(t->name_owned);
		t->name_owned = derived;
		t->kind = next_kind;
		t->name = derived;
		t->obj = NULL;
	}
	return true;
}

/* ---- endpoint builders ---- */

static long epb_get(struct k8s_ctx *c, const char *ns, const struct top *t, unsigned line)
{
	char *key = obj_key(t->kind, ns, t->name);
	long i;
	struct epb *e;

	if (key == NULL)
		return -1;
	i = smap_get(&c->ep_index, key);
	if (i >= 0) {
		free(key);
		return i;
	}
	if (!sw_grow((void **)&c->eps, &c->cap_eps, c->n_eps + 1, sizeof(*c->eps))) {
		free(key);
		return -1;
	}
	e = &c->eps[c->n_eps];
	memset(e, 0, sizeof(*e));
	e->ns = ns;
	e->kind = t->kind;
	e->name_owned = strdup(t->name);
	e->name = e->name_owned;
	e->line = line;
	if (e->name_owned == NULL || !smap_put(&c->ep_index, key, c->n_eps)) {
		free(e->name_owned);
		return -1;
	}
	return (long)c->n_eps++;
}

static bool epb_add_prefix(struct epb *e, const struct sw_prefix *p)
{
	for (size_t i = 0; i < e->n_pfx; i++) {
		if (e->pfx[i].len == p->len && sw_addr_cmp(&e->pfx[i].addr, &p->addr) == 0)
			return true;
	}
	if (!sw_grow((void **)&e->pfx, &e->cap_pfx, e->n_pfx + 1, sizeof(*e->pfx)))
		return false;
	e->pfx[e->n_pfx++] = *p;
	return true;
}

/* Adds a port unless present; name is borrowed from the document. */
static bool epb_add_port(struct epb *e, uint16_t port, uint8_t proto, const char *name)
{
	for (size_t i = 0; i < e->n_ports; i++) {
		const struct sw_named_port *q = &e->ports[i];
		if (q->port == port && q->proto == proto &&
		    ((q->name == NULL && name == NULL) ||
		     (q->name != NULL && name != NULL && strcmp(q->name, name) == 0)))
			return true;
	}
	if (!sw_grow((void **)&e->ports, &e->cap_ports, e->n_ports + 1, sizeof(*e->ports)))
		return false;
	e->ports[e->n_ports].port = port;
	e->ports[e->n_ports].proto = proto;
	e->ports[e->n_ports].name = (char *)(uintptr_t)name; /* copied by the builder */
	e->n_ports++;
	return true;
}

static enum sw_status add_container_ports(struct k8s_ctx *c, struct epb *e,
                                          const struct sw_ynode *spec)
{
	const struct sw_ynode *containers = sw_ymap_get(spec, "containers");
	enum sw_status st = SW_OK;

	if (sw_ynode_is_null(containers))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, containers, "a list of containers", c->err);
	for (size_t i = 0; st == SW_OK && i < containers->n; i++) {
		const struct sw_ynode *ports = sw_ymap_get(sw_yseq_item(containers, i), "ports");
		if (sw_ynode_is_null(ports))
			continue;
		st = sw_yexpect_seq(c->doc, ports, "a list of container ports", c->err);
		for (size_t j = 0; st == SW_OK && j < ports->n; j++) {
			const struct sw_ynode *p = sw_yseq_item(ports, j);
			uint64_t port = 0;
			uint8_t proto = SW_PROTO_TCP;
			const char *name = NULL;
			st = sw_yexpect_map(c->doc, p, "a container port ({containerPort, protocol, name})",
			                    c->err);
			if (st == SW_OK)
				st = sw_yget_field_uint(c->doc, p, "containerPort", 1, 65535,
				                        "an integer containerPort (1-65535)", &port,
				                        c->err);
			if (st == SW_OK)
				st = sw_load_proto(c->doc, sw_ymap_get(p, "protocol"), true, &proto, c->err);
			if (st == SW_OK)
				st = opt_str(c, sw_ymap_get(p, "name"), "a port name", &name);
			if (st == SW_OK && !epb_add_port(e, (uint16_t)port, proto, name))
				st = nomem(c);
		}
	}
	return st;
}

static void epb_labels(struct epb *e, const struct sw_ynode *labels, int prio)
{
	if (prio > e->labels_prio) {
		e->labels = labels;
		e->labels_prio = prio;
	}
}

static enum sw_status add_workload(struct k8s_ctx *c, const struct kobj *o)
{
	struct top t;
	long i;
	struct epb *e;
	enum sw_status st;

	if (!resolve_top(c, o->ns, o->kind, o->name, NULL, &t))
		return nomem(c);
	i = epb_get(c, o->ns, &t, o->node->line);
	free(t.name_owned);
	if (i < 0)
		return nomem(c);
	e = &c->eps[i];
	if (t.obj != NULL)
		e->top_seen = true;
	if (t.obj == o) {
		e->line = o->node->line;
		epb_labels(e, o->labels, 3);
	} else {
		epb_labels(e, o->labels, 2);
	}
	st = add_container_ports(c, e, o->pod_spec);
	return st;
}

/* A pod's addresses, unless it no longer owns them. */
static enum sw_status add_pod_ips(struct k8s_ctx *c, struct epb *e, const struct kobj *o)
{
	const struct sw_ynode *status = sw_ymap_get(o->node, "status");
	const struct sw_ynode *ips = sw_ymap_get(status, "podIPs");
	const struct sw_ynode *phase = sw_ymap_get(status, "phase");
	const struct sw_ynode *hostnet = sw_ymap_get(o->pod_spec, "hostNetwork");
	bool host = false;
	struct sw_prefix p;
	enum sw_status st;
	static const char what[] = "a pod IP address";

	if (sw_ynode_is_scalar(phase) &&
	    (strcmp(phase->str, "Succeeded") == 0 || strcmp(phase->str, "Failed") == 0))
		return SW_OK;
	if (!sw_ynode_is_null(hostnet)) {
		st = sw_yget_bool(c->doc, hostnet, "true or false", &host, c->err);
		if (st != SW_OK)
			return st;
	}
	if (host) {
		if (!e->hostnet_warned && (sw_ymap_get(status, "podIP") || ips))
			sw_ywarn(c->doc, o->node, c->warn, c->warn_ctx,
			         "pod %s/%s uses the host network: its address is the node's and is not attributed to %s/%s",
			         o->ns, o->name, e->ns, e->name);
		e->hostnet_warned = true;
		return SW_OK;
	}
	if (!sw_ynode_is_null(ips)) {
		st = sw_yexpect_seq(c->doc, ips, "a list of podIPs", c->err);
		for (size_t i = 0; st == SW_OK && i < ips->n; i++) {
			const struct sw_ynode *ip = sw_ymap_get(sw_yseq_item(ips, i), "ip");
			if (ip == NULL)
				return sw_yerror(c->doc, sw_yseq_item(ips, i), c->err, SW_ERR_PARSE,
				                 "expected a podIPs entry {ip: ADDRESS}");
			st = sw_load_prefix(c->doc, ip, true, what, &p, c->err);
			if (st == SW_OK && p.len != 128)
				st = sw_yerror(c->doc, ip, c->err, SW_ERR_INVALID,
				               "expected a pod IP address, got a CIDR");
			if (st == SW_OK && !epb_add_prefix(e, &p))
				st = nomem(c);
		}
		if (st != SW_OK)
			return st;
	}
	if (!sw_ynode_is_null(sw_ymap_get(status, "podIP"))) {
		st = sw_load_prefix(c->doc, sw_ymap_get(status, "podIP"), true, what, &p, c->err);
		if (st == SW_OK && p.len != 128)
			st = sw_yerror(c->doc, sw_ymap_get(status, "podIP"), c->err, SW_ERR_INVALID,
			               "expected a pod IP address, got a CIDR");
		if (st != SW_OK)
			return st;
		if (!epb_add_prefix(e, &p))
			return nomem(c);
	}
	return SW_OK;
}

static enum sw_status add_pod(struct k8s_ctx *c, const struct kobj *o)
{
	struct top t;
	long i;
	struct epb *e;
	enum sw_status st;
	const char *hash = NULL;
	const struct sw_ynode *h = sw_ymap_get(o->labels, "pod-template-hash");

	if (sw_ynode_is_scalar(h) && !sw_ynode_is_null(h))
		hash = h->str;
	if (o->owner_kind != NULL && strcmp(o->owner_kind, "Node") != 0) {
		if (!resolve_top(c, o->ns, o->owner_kind, o->owner_name, hash, &t))
			return nomem(c);
	} else {
		memset(&t, 0, sizeof(t));
		t.kind = "Pod";
		t.name = o->name;
		t.obj = o;
	}
	i = epb_get(c, o->ns, &t, o->node->line);
	free(t.name_owned);
	if (i < 0)
		return nomem(c);
	e = &c->eps[i];
	if (t.obj != NULL)
		e->top_seen = true;
	epb_labels(e, o->labels, t.obj == o ? 3 : 1);
	st = add_container_ports(c, e, o->pod_spec);
	if (st == SW_OK)
		st = add_pod_ips(c, e, o);
	return st;
}

/* ---- emitting ---- */

static void lower_into(char *dst, const char *src)
{
	for (; *src; src++)
		*dst++ = (char)(*src >= 'A' && *src <= 'Z' ? *src - 'A' + 'a' : *src);
	*dst = '\0';
}

/* Gives the later of two same-named workloads of different kinds the
 * name "<name>-<kind>". */
static enum sw_status rename_clashes(struct k8s_ctx *c)
{
	struct smap names = {0, 0, NULL, NULL};
	enum sw_status st = SW_OK;

	for (size_t i = 0; i < c->n_eps && st == SW_OK; i++) {
		struct epb *e = &c->eps[i];
		char *key = obj_key("", e->ns, e->name);
		if (key == NULL) {
			st = nomem(c);
			break;
		}
		if (smap_get(&names, key) >= 0) {
			size_t n = strlen(e->name) + strlen(e->kind) + 2;
			char *renamed = malloc(n);
			free(key);
			if (renamed == NULL) {
				st = nomem(c);
				break;
			}
			snprintf(renamed, n, "%s-", e->name);
			lower_into(renamed + strlen(e->name) + 1, e->kind);
			sw_ywarn(c->doc, NULL, c->warn, c->warn_ctx,
			         "two workloads are named %s/%s; the %s (line %u) becomes endpoint %s/%s",
			         e->ns, e->name, e->kind, e->line, e->ns, renamed);
			free(e->name_owned);
			e->name_owned = renamed;
			e->name = renamed;
			key = obj_key("", e->ns, e->name);
			if (key == NULL) {
				st = nomem(c);
				break;
			}
		}
		if (!smap_put(&names, key, i))
			st = nomem(c);
	}
	smap_free(&names);
	return st;
}

static enum sw_status emit(struct k8s_ctx *c, struct epb *e)
{
	struct sw_endpoint ep;
	enum sw_status st;

	memset(&ep, 0, sizeof(ep));
	st = sw_load_labels(c->doc, e->labels, true, "pod labels", &ep.labels, c->err);
	if (st != SW_OK)
		return st;
	ep.ns = (char *)(uintptr_t)e->ns; /* the builder copies and never writes */
	ep.name = e->name_owned;
	ep.kind = (char *)(uintptr_t)e->kind;
	ep.prefixes = e->pfx;
	ep.n_prefixes = e->n_pfx;
	ep.ports = e->ports;
	ep.n_ports = e->n_ports;
	ep.file = (char *)(uintptr_t)c->doc->file;
	ep.line = e->line;
	ep.provisional = !e->top_seen;
	st = sw_inventory_add_endpoint(c->out, &ep, c->err);
	sw_labels_clear(&ep.labels);
	return st;
}

static void ctx_free(struct k8s_ctx *c)
{
	for (size_t i = 0; i < c->n_eps; i++) {
		free(c->eps[i].name_owned);
		free(c->eps[i].pfx);
		free(c->eps[i].ports);
	}
	free(c->eps);
	free(c->objs);
	smap_free(&c->workloads);
	smap_free(&c->ep_index);
}

enum sw_status sw_inv_load_k8s(struct sw_inventory *out, const struct sw_ydoc *doc,
                               sw_warn_fn warn, void *warn_ctx, struct sw_err *err)
{
	struct k8s_ctx c;
	enum sw_status st = SW_OK;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.doc = doc;
	c.warn = warn;
	c.warn_ctx = warn_ctx;
	c.err = err;
	for (size_t i = 0; st == SW_OK && i < doc->n_docs; i++) {
		if (!sw_ynode_is_null(doc->docs[i]))
			st = record_object(&c, doc->docs[i]);
	}
	/* workloads first, so pods find their controllers' endpoints */
	for (size_t i = 0; st == SW_OK && i < c.n_objs; i++) {
		if (strcmp(c.objs[i].kind, "Pod") != 0)
			st = add_workload(&c, &c.objs[i]);
	}
	for (size_t i = 0; st == SW_OK && i < c.n_objs; i++) {
		if (strcmp(c.objs[i].kind, "Pod") == 0)
			st = add_pod(&c, &c.objs[i]);
	}
	if (st == SW_OK)
		st = rename_clashes(&c);
	for (size_t i = 0; st == SW_OK && i < c.n_eps; i++)
		st = emit(&c, &c.eps[i]);
	ctx_free(&c);
	return st;
}
