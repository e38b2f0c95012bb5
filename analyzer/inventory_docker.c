/*
 * inventory_docker.c - loads `docker network inspect` output (a JSON array
 * of networks) into the inventory: one endpoint per compose service (or
 * per container when its name does not follow compose's pattern), owning
 * the container addresses.
 *
 * The compose project comes from the network's com.docker.compose.project
 * label, else from a network name "<project>_<network>". A container named
 * "<project>-<service>-<n>" (compose v2) or "<project>_<service>_<n>" (v1)
 * becomes endpoint "<project>/<service>" with labels
 * com.docker.compose.project and com.docker.compose.service; replicas
 * (n = 1, 2 ...) and the same container seen on several networks are one
 * endpoint with all their addresses. Any other container becomes
 * "<project or docker>/<container name>". Endpoints are of kind
 * "container"; addresses come from IPv4Address/IPv6Address, whose prefix
 * length (the network's) is dropped: the container owns one address.
 */
#include "inventory_load.h"
#include "load_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256

struct dk_ep {
	char ns[NAME_MAX_LEN];
	char name[NAME_MAX_LEN];
	char service[NAME_MAX_LEN];   /* "" when not a compose service */
	unsigned line;
	size_t n, cap;
	struct sw_prefix *pfx;
};

struct dk_ctx {
	const struct sw_ydoc *doc;
	sw_warn_fn warn;
	void *warn_ctx;
	struct sw_err *err;
	size_t n, cap;
	struct dk_ep *eps;
};

static enum sw_status nomem(struct dk_ctx *c)
{
	return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
}

/* The compose project of a network, or "" when unknown. */
static void network_project(const struct sw_ynode *net, char *out, size_t len)
{
	const struct sw_ynode *labels = sw_ymap_get(net, "Labels");
	const struct sw_ynode *p = sw_ymap_get(labels, "com.docker.compose.project");
	const struct sw_ynode *name = sw_ymap_get(net, "Name");
	const char *us;

	out[0] = '\0';
	if (sw_ynode_is_scalar(p) && !sw_ynode_is_null(p)) {
		snprintf(out, len, "%s", p->str);
		return;
	}
	if (sw_ynode_is_scalar(name) && (us = strchr(name->str, '_')) != NULL &&
	    us != name->str && (size_t)(us - name->str) < len)
		snprintf(out, len, "%.*s", (int)(us - name->str), name->str);
}

/* Splits a compose container name into its service, given the project:
 * "<project>[-_]<service>[-_]<digits>". Returns false when it does not
 * fit. */
static bool compose_service(const char *cname, const char *project, char *svc, size_t len)
{
	size_t pl = strlen(project), n = strlen(cname), end = n;

	if (pl == 0 || n <= pl + 1 || strncmp(cname, project, pl) != 0 ||
	    (cname[pl] != '-' && cname[pl] != '_'))
		return false;
	while (end > pl + 1 && cname[end - 1] >= '0' && cname[end - 1] <= '9')
		end--;
	if (end == n || end <= pl + 2 || cname[end - 1] != cname[pl])
		return false;
	if (end - 1 - (pl + 1) >= len)
		return false;
	snprintf(svc, len, "%.*s", (int)(end - 1 - (pl + 1)), cname + pl + 1);
	return true;
}

static struct dk_ep *find_or_add(struct dk_ctx *c, const char *ns, const char *name,
                                 unsigned line)
{
	struct dk_ep *e;

	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->eps[i].ns, ns) == 0 && strcmp(c->eps[i].name, name) == 0)
			return &c->eps[i];
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		struct dk_ep *p = realloc(c->eps, ncap * sizeof(*p));
		if (p == NULL)
			return NULL;
		c->eps = p;
		c->cap = ncap;
	}
	e = &c->eps[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->ns, sizeof(e->ns), "%s", ns);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->line = line;
	return e;
}

static enum sw_status add_address(struct dk_ctx *c, struct dk_ep *e, const struct sw_ynode *n)
{
	const char *s;
	char host[SW_ADDR_STRLEN];
	const char *slash;
	struct sw_prefix p;

	if (sw_ynode_is_null(n) || (sw_ynode_is_scalar(n) && n->len == 0))
		return SW_OK;
	if (sw_yget_str(c->doc, n, false, "a container address (172.18.0.2/16)", &s, c->err) != SW_OK)
		return SW_ERR_PARSE;
	slash = strchr(s, '/');
	snprintf(host, sizeof(host), "%.*s", (int)(slash ? (size_t)(slash - s) : strlen(s)), s);
	if (sw_prefix_parse(host, true, &p) != SW_OK)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "expected a container address (172.18.0.2/16), got \"%s\"", s);
	for (size_t i = 0; i < e->n; i++) {
		if (sw_addr_cmp(&e->pfx[i].addr, &p.addr) == 0)
			return SW_OK;
	}
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 4;
		struct sw_prefix *q = realloc(e->pfx, ncap * sizeof(*q));
		if (q == NULL)
			return nomem(c);
		e->pfx = q;
		e->cap = ncap;
	}
	e->pfx[e->n++] = p;
	return SW_OK;
}

static enum sw_status load_container(struct dk_ctx *c, const char *project,
                                     const struct sw_ynode *ct)
{
	const char *cname;
	char svc[NAME_MAX_LEN];
	struct dk_ep *e;
	enum sw_status st;

	st = sw_yexpect_map(c->doc, ct, "a container ({Name, IPv4Address, IPv6Address})", c->err);
	if (st == SW_OK)
		st = sw_yget_field_str(c->doc, ct, "Name", false, "a container name", &cname, c->err);
	if (st != SW_OK)
		return st;
	while (*cname == '/')
		cname++;
	if (compose_service(cname, project, svc, sizeof(svc))) {
		e = find_or_add(c, project, svc, ct->line);
		if (e != NULL)
			snprintf(e->service, sizeof(e->service), "%s", svc);
	} else {
		e = find_or_add(c, project[0] ? project : "docker", cname, ct->line);
	}
	if (e == NULL)
		return nomem(c);
	if (strchr(e->name, '/') != NULL || e->name[0] == '\0')
		return sw_yerror(c->doc, sw_ymap_get(ct, "Name"), c->err, SW_ERR_INVALID,
		                 "expected a container name without '/', got \"%s\"", cname);
	st = add_address(c, e, sw_ymap_get(ct, "IPv4Address"));
	if (st == SW_OK)
		st = add_address(c, e, sw_ymap_get(ct, "IPv6Address"));
	return st;
}

static enum sw_status load_network(struct dk_ctx *c, const struct sw_ynode *net)
{
	char project[NAME_MAX_LEN];
	const struct sw_ynode *cts;
	enum sw_status st = sw_yexpect_map(c->doc, net, "a docker network ({Name, Containers, ...})",
	                                   c->err);

	if (st != SW_OK)
		return st;
	network_project(net, project, sizeof(project));
	cts = sw_ymap_get(net, "Containers");
	if (sw_ynode_is_null(cts))
		return SW_OK;
	st = sw_yexpect_map(c->doc, cts, "a map of Containers", c->err);
	for (size_t i = 0; st == SW_OK && i < cts->n; i++)
		st = load_container(c, project, sw_ymap_value(cts, i));
	return st;
}

static enum sw_status emit(struct dk_ctx *c, struct sw_inventory *out, const struct dk_ep *e)
{
	struct sw_endpoint ep;
	enum sw_status st = SW_OK;

	memset(&ep, 0, sizeof(ep));
	if (e->service[0] != '\0') {
		if (sw_labels_set(&ep.labels, "com.docker.compose.project", e->ns) != SW_OK ||
		    sw_labels_set(&ep.labels, "com.docker.compose.service", e->service) != SW_OK)
			st = nomem(c);
	}
	ep.ns = (char *)(uintptr_t)e->ns; /* the builder copies and never writes */
	ep.name = (char *)(uintptr_t)e->name;
	ep.kind = (char *)(uintptr_t)"container";
	ep.prefixes = e->pfx;
	ep.n_prefixes = e->n;
	ep.file = (char *)(uintptr_t)c->doc->file;
	ep.line = e->line;
	if (st == SW_OK)
		st = sw_inventory_add_endpoint(out, &ep, c->err);
	sw_labels_clear(&ep.labels);
	return st;
}

enum sw_status sw_inv_load_docker(struct sw_inventory *out, const struct sw_ydoc *doc,
                                  const struct sw_ynode *root, sw_warn_fn warn,
                                  void *warn_ctx, struct sw_err *err)
{
	struct dk_ctx c = {doc, warn, warn_ctx, err, 0, 0, NULL};
	enum sw_status st = sw_yexpect_seq(doc, root, "a list of docker networks", err);

	for (size_t i = 0; st == SW_OK && i < root->n; i++)
		st = load_network(&c, sw_yseq_item(root, i));
	for (size_t i = 0; st == SW_OK && i < c.n; i++)
		st = emit(&c, out, &c.eps[i]);
	for (size_t i = 0; i < c.n; i++)
		free(c.eps[i].pfx);
	free(c.eps);
	return st;
}
