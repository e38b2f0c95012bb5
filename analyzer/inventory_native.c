/*
 * inventory_native.c - loads segwatch's native inventory form, for hosts
 * and containers outside Kubernetes:
 *
 *   namespaces:
 *   - name: prod
 *     labels: {env: prod}
 *   endpoints:
 *   - id: prod/backend          # namespace/name; either side may be left out
 *     namespace: prod
 *     name: backend
 *     kind: host                # optional, default "host"
 *     labels: {app: backend}
 *     ips: [10.0.2.10, 10.0.2.0/28, "fd00::10"]
 *     ports:
 *     - {port: 8081, protocol: TCP, name: http}
 *     - 9090                    # shorthand: TCP, no name
 *
 * Label values may be any scalar (written as text). Addresses and CIDRs
 * must have no bits beyond the prefix length. Unknown fields are warned
 * about and ignored.
 */
#include "inventory_load.h"
#include "load_common.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_fields[] = {"namespaces", "endpoints", NULL};
static const char *const ns_fields[] = {"name", "labels", NULL};
static const char *const ep_fields[] = {"id", "namespace", "name", "kind", "labels",
                                        "ips", "ports", NULL};
static const char *const port_fields[] = {"port", "protocol", "name", NULL};

struct native_ctx {
	struct sw_inventory *out;
	const struct sw_ydoc *doc;
	sw_warn_fn warn;
	void *warn_ctx;
	struct sw_err *err;
};

/* Reads an optional string field; absent or null leaves *out NULL. */
static enum sw_status opt_str(struct native_ctx *c, const struct sw_ynode *map,
                              const char *key, const char *what, const char **out)
{
	const struct sw_ynode *n = sw_ymap_get(map, key);

	*out = NULL;
	if (sw_ynode_is_null(n))
		return SW_OK;
	return sw_yget_str(c->doc, n, false, what, out, c->err);
}

static enum sw_status load_namespace(struct native_ctx *c, const struct sw_ynode *n)
{
	const char *name = NULL;
	struct sw_labels labels = {0, NULL};
	enum sw_status st = sw_yexpect_map(c->doc, n, "a namespace ({name, labels})", c->err);

	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, ns_fields, "a namespace", c->warn, c->warn_ctx);
	st = sw_yget_field_str(c->doc, n, "name", false, "a namespace name", &name, c->err);
	if (st == SW_OK && (name[0] == '\0' || strchr(name, '/') != NULL))
		st = sw_yerror(c->doc, sw_ymap_get(n, "name"), c->err, SW_ERR_INVALID,
		               "expected a namespace name without '/', got \"%s\"", name);
	if (st == SW_OK)
		st = sw_load_labels(c->doc, sw_ymap_get(n, "labels"), false, "namespace labels",
		                    &labels, c->err);
	if (st == SW_OK)
		st = sw_inventory_add_namespace(c->out, name, &labels, c->err);
	sw_labels_clear(&labels);
	return st;
}

static enum sw_status load_ips(struct native_ctx *c, const struct sw_ynode *n,
                               struct sw_endpoint *ep)
{
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, n, "a list of addresses or CIDRs", c->err);
	if (st != SW_OK)
		return st;
	ep->prefixes = calloc(n->n ? n->n : 1, sizeof(*ep->prefixes));
	if (ep->prefixes == NULL)
		return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
	for (size_t i = 0; i < n->n; i++) {
		st = sw_load_prefix(c->doc, sw_yseq_item(n, i), true,
		                    "an IP address or CIDR (10.0.2.10, 10.0.2.0/28, fd00::10)",
		                    &ep->prefixes[i], c->err);
		if (st != SW_OK)
			return st;
		ep->n_prefixes = i + 1;
	}
	return SW_OK;
}

static enum sw_status load_port(struct native_ctx *c, const struct sw_ynode *n,
                                struct sw_named_port *p)
{
	static const char what[] = "a port number (1-65535)";
	uint64_t v;
	const char *name = NULL;
	enum sw_status st;

	p->proto = SW_PROTO_TCP;
	if (sw_ynode_is_scalar(n) && !sw_ynode_is_null(n)) {
		st = sw_yget_uint(c->doc, n, 1, 65535, what, &v, c->err);
		p->port = (uint16_t)v;
		return st;
	}
	st = sw_yexpect_map(c->doc, n, "a port ({port, protocol, name} or a number)", c->err);
	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, port_fields, "a port", c->warn, c->warn_ctx);
	st = sw_yget_field_uint(c->doc, n, "port", 1, 65535, what, &v, c->err);
	if (st != SW_OK)
		return st;
	p->port = (uint16_t)v;
	st = sw_load_proto(c->doc, sw_ymap_get(n, "protocol"), false, &p->proto, c->err);
	if (st == SW_OK)
		st = opt_str(c, n, "name", "a port name", &name);
	if (st == SW_OK && name != NULL) {
		p->name = strdup(name);
		if (p->name == NULL)
			st = sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
	}
	return st;
}

static enum sw_status load_ports(struct native_ctx *c, const struct sw_ynode *n,
                                 struct sw_endpoint *ep)
{
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, n, "a list of ports", c->err);
	if (st != SW_OK)
		return st;
	ep->ports = calloc(n->n ? n->n : 1, sizeof(*ep->ports));
	if (ep->ports == NULL)
		return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
	for (size_t i = 0; i < n->n; i++) {
		ep->n_ports = i + 1;
		st = load_port(c, sw_yseq_item(n, i), &ep->ports[i]);
		if (st != SW_OK)
			return st;
	}
	return SW_OK;
}

static void endpoint_release(struct sw_endpoint *ep)
{
	sw_labels_clear(&ep->labels);
	free(ep->prefixes);
	for (size_t i = 0; i < ep->n_ports; i++)
		free(ep->ports[i].name);
	free(ep->ports);
}

static enum sw_status load_endpoint(struct native_ctx *c, const struct sw_ynode *n)
{
	struct sw_endpoint ep;
	const char *id = NULL, *ns = NULL, *name = NULL, *kind = NULL;
	enum sw_status st = sw_yexpect_map(c->doc, n, "an endpoint ({id, namespace, name, ...})",
	                                   c->err);

	if (st != SW_OK)
		return st;
	memset(&ep, 0, sizeof(ep));
	sw_ywarn_unknown(c->doc, n, ep_fields, "an endpoint", c->warn, c->warn_ctx);
	st = opt_str(c, n, "id", "an endpoint id \"namespace/name\"", &id);
	if (st == SW_OK)
		st = opt_str(c, n, "namespace", "a namespace name", &ns);
	if (st == SW_OK)
		st = opt_str(c, n, "name", "an endpoint name", &name);
	if (st == SW_OK)
		st = opt_str(c, n, "kind", "an endpoint kind (host, container, ...)", &kind);
	if (st == SW_OK)
		st = sw_load_labels(c->doc, sw_ymap_get(n, "labels"), false, "endpoint labels",
		                    &ep.labels, c->err);
	if (st == SW_OK)
		st = load_ips(c, sw_ymap_get(n, "ips"), &ep);
	if (st == SW_OK)
		st = load_ports(c, sw_ymap_get(n, "ports"), &ep);
	if (st == SW_OK) {
		ep.id = (char *)(uintptr_t)id; /* the builder copies and never writes */
		ep.ns = (char *)(uintptr_t)ns;
		ep.name = (char *)(uintptr_t)name;
		ep.kind = (char *)(uintptr_t)(kind ? kind : "host");
		ep.file = (char *)(uintptr_t)c->doc->file;
		ep.line = n->line;
		st = sw_inventory_add_endpoint(c->out, &ep, c->err);
		if (st != SW_OK && c->err != NULL) {
			/* the builder knows no column: point at the entry */
			c->err->line = n->line;
			c->err->column = n->column;
		}
	}
	endpoint_release(&ep);
	return st;
}

static enum sw_status load_list(struct native_ctx *c, const struct sw_ynode *root,
                                const char *key, const char *what,
                                enum sw_status (*one)(struct native_ctx *,
                                                      const struct sw_ynode *))
{
	const struct sw_ynode *list = sw_ymap_get(root, key);
	enum sw_status st;

	if (sw_ynode_is_null(list))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, list, what, c->err);
	for (size_t i = 0; st == SW_OK && i < list->n; i++)
		st = one(c, sw_yseq_item(list, i));
	return st;
}

enum sw_status sw_inv_load_native(struct sw_inventory *out, const struct sw_ydoc *doc,
                                  const struct sw_ynode *root, sw_warn_fn warn,
                                  void *warn_ctx, struct sw_err *err)
{
	struct native_ctx c = {out, doc, warn, warn_ctx, err};
	enum sw_status st;

	sw_ywarn_unknown(doc, root, top_fields, "the inventory", warn, warn_ctx);
	st = load_list(&c, root, "namespaces", "a list of namespaces", load_namespace);
	if (st == SW_OK)
		st = load_list(&c, root, "endpoints", "a list of endpoints", load_endpoint);
	return st;
}
