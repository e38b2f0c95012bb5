/*
 * policy_compose.c - reads a docker-compose file and states its network
 * isolation as NetworkPolicies (origin "compose"), adding one endpoint per
 * service to the inventory.
 *
 * Project: the top-level `name:`, else the file's directory name, made
 * lowercase with only [a-z0-9_-] kept (as compose does). It is the
 * namespace of every endpoint and policy below.
 *
 * Networks: the top-level `networks:`; `internal: true` means no access to
 * or from outside. A service without `networks:` (and without
 * network_mode) is on the project's `default` network, which exists even
 * when undeclared. A service naming an undeclared network is an error.
 * network_mode: none -> on no network (isolated); service:X -> X's
 * networks; host, bridge, container:X -> not isolated by compose: the
 * service gets an endpoint but no policy (warned).
 *
 * Published ports: short syntax "80", "8080:80", "127.0.0.1:8080:80/udp",
 * "8000-8010:8000-8010", "[::1]:8080:80", a bare integer; long syntax
 * {target, published, protocol, host_ip, name}. A port published only on
 * a loopback host_ip is not reachable from outside and is not counted.
 *
 * Endpoints: "<project>/<service>", kind "service", labels
 *   com.docker.compose.project: <project>
 *   com.docker.compose.service: <service>
 *   segwatch.compose/net.<network>: "true"   for each of its networks
 * and the published container ports. Addresses come from the inventory:
 * an endpoint with the same id (its addresses and ports are kept and it is
 * replaced), else endpoints named like compose's containers
 * "<project>-<service>-<n>" / "<project>_<service>_<n>" or the service's
 * container_name (for example from `docker network inspect` without
 * compose labels; they are absorbed and removed), plus any static
 * ipv4_address/ipv6_address given under the service's networks.
 *
 * Policies: for each isolated service S, "compose-S" in the project
 * namespace selects com.docker.compose.service=S, policyTypes Ingress and
 * Egress, with
 *   ingress: per network N of S, from pods labelled
 *            segwatch.compose/net.N=true in the project namespace (a peer
 *            with both podSelector and namespaceSelector), all ports;
 *            if S is on a non-internal network and publishes ports: from
 *            ipBlock 0.0.0.0/0 and ::/0 on the published container ports;
 *   egress:  per network N of S, to the same peers, all ports;
 *            if S is on a non-internal network: to 0.0.0.0/0 and ::/0.
 * So two services may talk exactly when they share a network, and from
 * outside only published ports of services with external access answer.
 * content_hash: FNV-1a 64 of the service's text, then of the top-level
 * networks' text (32 hex digits).
 *
 * Several files of one project (same name, e.g. `docker compose -f a.yml
 * -f b.yml`, or files in one directory) merge as compose merges them, in
 * either order: networks declared in any file are known to the others
 * (recorded as labels segwatch.compose/network.<name>: internal|external
 * on the project namespace); a service defined again keeps its earlier
 * networks when the new file gives none, otherwise gets the union (an
 * earlier implicit `default` gives way to explicit networks); published
 * ports are unioned; its policy is rebuilt from the merged view.
 */
#include "segwatch/netpol.h"
#include "segwatch/textparse.h"
#include "segwatch/yamldoc.h"
#include "load_common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROJECT_MAX 128
#define NET_LABEL_PREFIX "segwatch.compose/net."
#define NS_NAME_LABEL "kubernetes.io/metadata.name"
#define NETWORK_LABEL_PREFIX "segwatch.compose/network."

static const char *const top_fields[] = {"version", "name", "services", "networks", "volumes",
                                         "secrets", "configs", "include", NULL};

struct cnet {
	const char *name;
	bool internal;
};

struct cport {
	uint16_t lo, hi;
	uint8_t proto;
	bool external;       /* published on a non-loopback address */
	const char *name;    /* long syntax name, or NULL */
};

struct csvc {
	const char *name;
	const struct sw_ynode *node;
	bool isolated;       /* false: network_mode host/bridge/container */
	const char *share;   /* network_mode service:X */
	const struct sw_ynode *share_node;
	size_t n_nets;
	size_t *nets;        /* indices into ctx.nets */
	size_t n_ports;
	struct cport *ports;
	size_t n_ips;
	struct sw_prefix *ips; /* static ipv4_address / ipv6_address */
	const char *container_name;
	bool implicit;       /* neither networks nor network_mode given */
};

struct cctx {
	const struct sw_ydoc *doc;
	struct sw_inventory *inv;
	struct sw_policy_set *out;
	sw_warn_fn warn;
	void *warn_ctx;
	struct sw_err *err;
	char project[PROJECT_MAX];
	const struct sw_ynode *networks_node;
	size_t n_nets;
	struct cnet *nets;
	size_t n_svcs;
	struct csvc *svcs;
	size_t n_owned;
	char **owned;        /* network names copied from the inventory */
};

static enum sw_status nomem(struct cctx *c)
{
	return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
}

static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* ---- project name ---- */

static void normalize_project(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < PROJECT_MAX; i++) {
		char ch = (char)tolower((unsigned char)in[i]);
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ((ch == '-' || ch == '_') && o > 0))
			out[o++] = ch;
	}
	out[o] = '\0';
}

static enum sw_status project_name(struct cctx *c, const struct sw_ynode *root)
{
	const struct sw_ynode *n = sw_ymap_get(root, "name");
	const char *path = c->doc->file, *slash = strrchr(path, '/');
	char cwd[4096];

	if (!sw_ynode_is_null(n)) {
		const char *s;
		enum sw_status st = sw_yget_str(c->doc, n, false, "a project name", &s, c->err);
		if (st != SW_OK)
			return st;
		normalize_project(s, strlen(s), c->project);
	} else if (slash != NULL && slash != path) {
		const char *start = slash;
		while (start > path && start[-1] != '/')
			start--;
		normalize_project(start, (size_t)(slash - start), c->project);
	} else if (getcwd(cwd, sizeof(cwd)) != NULL) {
		const char *base = strrchr(cwd, '/');
		base = base ? base + 1 : cwd;
		normalize_project(base, strlen(base), c->project);
	}
	if (c->project[0] == '\0')
		return sw_yerror(c->doc, n ? n : root, c->err, SW_ERR_INVALID,
		                 "expected a project name (top-level name:, or a directory name with letters or digits)");
	return SW_OK;
}

/* ---- networks ---- */

static long net_find(const struct cctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_nets; i++) {
		if (strcmp(c->nets[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Networks that other files of the project declared. */
static enum sw_status known_networks(struct cctx *c, const struct sw_namespace *ns)
{
	size_t plen = strlen(NETWORK_LABEL_PREFIX);

	for (size_t i = 0; ns != NULL && i < ns->labels.n; i++) {
		const struct sw_label *l = &ns->labels.items[i];
		long at;
		if (strncmp(l->key, NETWORK_LABEL_PREFIX, plen) != 0)
			continue;
		at = net_find(c, l->key + plen);
		if (at < 0) {
			char *name = strdup(l->key + plen);
			if (name == NULL)
				return nomem(c);
			c->owned[c->n_owned++] = name;
			at = (long)c->n_nets++;
			c->nets[at].name = name;
		}
		c->nets[at].internal = strcmp(l->value, "internal") == 0;
	}
	return SW_OK;
}

static enum sw_status load_networks(struct cctx *c, const struct sw_ynode *root)
{
	const struct sw_ynode *nets = sw_ymap_get(root, "networks");
	const struct sw_namespace *ns = sw_inventory_find_namespace(c->inv, c->project);
	size_t n = sw_ynode_is_map(nets) ? nets->n : 0;
	size_t prior = ns != NULL ? ns->labels.n : 0;
	enum sw_status st = SW_OK;

	c->networks_node = nets;
	c->nets = alloc_n(n + prior + 1, sizeof(*c->nets));
	c->owned = alloc_n(prior, sizeof(*c->owned));
	if (c->nets == NULL || c->owned == NULL)
		return nomem(c);
	c->nets[0].name = "default";
	c->n_nets = 1;
	st = known_networks(c, ns);
	if (st != SW_OK || sw_ynode_is_null(nets))
		return st;
	st = sw_yexpect_map(c->doc, nets, "a map of networks", c->err);
	for (size_t i = 0; st == SW_OK && i < n; i++) {
		const struct sw_ynode *def = sw_ymap_value(nets, i);
		const struct sw_ynode *internal = sw_ymap_get(def, "internal");
		const char *name;
		struct cnet *net;
		long at;
		st = sw_yget_str(c->doc, sw_ymap_key(nets, i), false, "a network name", &name, c->err);
		if (st != SW_OK)
			break;
		if (!sw_ynode_is_null(def))
			st = sw_yexpect_map(c->doc, def, "a network definition ({internal, driver, ...})",
			                    c->err);
		if (st != SW_OK)
			break;
		at = net_find(c, name);
		net = at >= 0 ? &c->nets[at] : &c->nets[c->n_nets++];
		net->name = name;
		net->internal = false;
		if (!sw_ynode_is_null(internal))
			st = sw_yget_bool(c->doc, internal, "internal: true or false", &net->internal,
			                  c->err);
	}
	return st;
}

/* ---- ports ---- */

static bool is_loopback(const char *ip)
{
	struct sw_addr a;
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	if (sw_addr_parse(ip, &a) != SW_OK)
		return false;
	if (sw_addr_is_v4(&a))
		return a.b[12] == 127;
	return memcmp(a.b, lo6, 16) == 0;
}

static enum sw_status port_proto(struct cctx *c, const struct sw_ynode *n, const char *text,
                                 uint8_t *proto)
{
	if (strcasecmp(text, "tcp") == 0)
		*proto = SW_PROTO_TCP;
	else if (strcasecmp(text, "udp") == 0)
		*proto = SW_PROTO_UDP;
	else if (strcasecmp(text, "sctp") == 0)
		*proto = SW_PROTO_SCTP;
	else
		return sw_yerror(c->doc, n, c->err, SW_ERR_PARSE,
		                 "expected a protocol tcp, udp or sctp, got \"%s\"", text);
	return SW_OK;
}

static enum sw_status port_range(struct cctx *c, const struct sw_ynode *n, const char *text,
                                 size_t len, const char *what, uint16_t *lo, uint16_t *hi)
{
	char buf[32];

	if (len == 0 || len >= sizeof(buf))
		goto bad;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (sw_parse_port_range(buf, lo, hi) != SW_OK || *lo == 0)
		goto bad;
	return SW_OK;
bad:
	return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
	                 "expected %s (1-65535, or a range N-M), got \"%.*s\"", what, (int)len, text);
}

/* "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]" */
static enum sw_status short_port(struct cctx *c, const struct sw_ynode *n, struct cport *p)
{
	char text[128], ip[sizeof(text)] = "";
	char *slash, *last;
	uint16_t hlo, hhi;
	enum sw_status st;

	if (!sw_ynode_is_scalar(n) || sw_ynode_is_null(n) || n->len >= sizeof(text))
		return sw_yerror(c->doc, n, c->err, SW_ERR_PARSE,
		                 "expected a port mapping such as \"8080:80\" or {target: 80, published: 8080}");
	memcpy(text, n->str, n->len + 1);
	p->proto = SW_PROTO_TCP;
	p->external = true; /* unless bound to a loopback address below */
	slash = strrchr(text, '/');
	if (slash != NULL) {
		*slash = '\0';
		st = port_proto(c, n, slash + 1, &p->proto);
		if (st != SW_OK)
			return st;
	}
	last = strrchr(text, ':');
	st = port_range(c, n, last ? last + 1 : text, strlen(last ? last + 1 : text),
	                "a container port", &p->lo, &p->hi);
	if (st != SW_OK || last == NULL)
		return st;
	*last = '\0';
	/* text is now [HOST_IP:]HOST_PORT */
	last = strrchr(text, ':');
	if (last != NULL) {
		*last = '\0';
		snprintf(ip, sizeof(ip), "%s", text[0] == '[' ? text + 1 : text);
		if (ip[0] != '\0' && ip[strlen(ip) - 1] == ']')
			ip[strlen(ip) - 1] = '\0';
		struct sw_addr a;
		if (ip[0] != '\0' && sw_addr_parse(ip, &a) != SW_OK)
			return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
			                 "expected a host IP address in the port mapping, got \"%s\"", ip);
		last++;
	} else {
		last = text;
	}
	if (*last != '\0') {
		st = port_range(c, n, last, strlen(last), "a published host port", &hlo, &hhi);
		if (st != SW_OK)
			return st;
	}
	p->external = !is_loopback(ip);
	return SW_OK;
}

static enum sw_status long_port(struct cctx *c, const struct sw_ynode *n, struct cport *p)
{
	const struct sw_ynode *proto = sw_ymap_get(n, "protocol");
	const struct sw_ynode *ip = sw_ymap_get(n, "host_ip");
	const struct sw_ynode *published = sw_ymap_get(n, "published");
	const struct sw_ynode *name = sw_ymap_get(n, "name");
	uint64_t target;
	enum sw_status st;

	st = sw_yget_field_uint(c->doc, n, "target", 1, 65535, "a target container port (1-65535)",
	                        &target, c->err);
	if (st != SW_OK)
		return st;
	p->lo = p->hi = (uint16_t)target;
	p->proto = SW_PROTO_TCP;
	if (!sw_ynode_is_null(proto)) {
		const char *s;
		st = sw_yget_str(c->doc, proto, false, "a protocol tcp, udp or sctp", &s, c->err);
		if (st == SW_OK)
			st = port_proto(c, proto, s, &p->proto);
		if (st != SW_OK)
			return st;
	}
	if (!sw_ynode_is_null(published)) {
		const char *s;
		uint16_t lo, hi;
		st = sw_yget_str(c->doc, published, false, "a published port", &s, c->err);
		if (st == SW_OK)
			st = port_range(c, published, s, strlen(s), "a published host port", &lo, &hi);
		if (st != SW_OK)
			return st;
	}
	p->external = true;
	if (!sw_ynode_is_null(ip)) {
		const char *s;
		st = sw_yget_str(c->doc, ip, false, "a host IP address", &s, c->err);
		if (st != SW_OK)
			return st;
		p->external = !is_loopback(s);
	}
	if (!sw_ynode_is_null(name))
		return sw_yget_str(c->doc, name, false, "a port name", &p->name, c->err);
	return SW_OK;
}

static enum sw_status load_ports(struct cctx *c, struct csvc *s)
{
	const struct sw_ynode *ports = sw_ymap_get(s->node, "ports");
	enum sw_status st;

	if (sw_ynode_is_null(ports))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, ports, "a list of published ports", c->err);
	if (st != SW_OK)
		return st;
	s->ports = alloc_n(ports->n, sizeof(*s->ports));
	if (s->ports == NULL)
		return nomem(c);
	for (size_t i = 0; st == SW_OK && i < ports->n; i++) {
		const struct sw_ynode *p = sw_yseq_item(ports, i);
		s->n_ports = i + 1;
		if (sw_ynode_is_map(p))
			st = long_port(c, p, &s->ports[i]);
		else
			st = short_port(c, p, &s->ports[i]);
	}
	return st;
}

/* ---- services ---- */

static enum sw_status add_static_ip(struct cctx *c, struct csvc *s, const struct sw_ynode *n)
{
	struct sw_prefix *ips;
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	ips = realloc(s->ips, (s->n_ips + 1) * sizeof(*ips));
	if (ips == NULL)
		return nomem(c);
	s->ips = ips;
	st = sw_load_prefix(c->doc, n, true, "an IP address", &s->ips[s->n_ips], c->err);
	if (st == SW_OK && s->ips[s->n_ips].len != 128)
		st = sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		               "expected an IP address, got a CIDR");
	if (st == SW_OK)
		s->n_ips++;
	return st;
}

static enum sw_status use_network(struct cctx *c, struct csvc *s, const struct sw_ynode *key,
                                  const struct sw_ynode *cfg)
{
	const char *name;
	long at;
	enum sw_status st = sw_yget_str(c->doc, key, false, "a network name", &name, c->err);

	if (st != SW_OK)
		return st;
	at = net_find(c, name);
	if (at < 0)
		return sw_yerror(c->doc, key, c->err, SW_ERR_INVALID,
		                 "service %s refers to undefined network %s", s->name, name);
	s->nets[s->n_nets++] = (size_t)at;
	if (sw_ynode_is_null(cfg))
		return SW_OK;
	st = sw_yexpect_map(c->doc, cfg, "a service network setting ({aliases, ipv4_address, ...})",
	                    c->err);
	if (st == SW_OK)
		st = add_static_ip(c, s, sw_ymap_get(cfg, "ipv4_address"));
	if (st == SW_OK)
		st = add_static_ip(c, s, sw_ymap_get(cfg, "ipv6_address"));
	return st;
}

static enum sw_status load_service_networks(struct cctx *c, struct csvc *s)
{
	const struct sw_ynode *nets = sw_ymap_get(s->node, "networks");
	enum sw_status st = SW_OK;

	s->nets = alloc_n(c->n_nets, sizeof(*s->nets));
	if (s->nets == NULL)
		return nomem(c);
	if (nets == NULL) {
		s->nets[s->n_nets++] = 0; /* default */
		s->implicit = true;
		return SW_OK;
	}
	if (sw_ynode_is_null(nets))
		return SW_OK;
	if (sw_ynode_is_seq(nets)) {
		for (size_t i = 0; st == SW_OK && i < nets->n && s->n_nets < c->n_nets; i++)
			st = use_network(c, s, sw_yseq_item(nets, i), NULL);
		return st;
	}
	st = sw_yexpect_map(c->doc, nets, "a list or map of networks", c->err);
	for (size_t i = 0; st == SW_OK && i < nets->n && s->n_nets < c->n_nets; i++)
		st = use_network(c, s, sw_ymap_key(nets, i), sw_ymap_value(nets, i));
	return st;
}

static enum sw_status load_network_mode(struct cctx *c, struct csvc *s, bool *handled)
{
	const struct sw_ynode *mode = sw_ymap_get(s->node, "network_mode");
	const char *m;
	enum sw_status st;

	*handled = false;
	if (sw_ynode_is_null(mode))
		return SW_OK;
	st = sw_yget_str(c->doc, mode, false, "a network_mode", &m, c->err);
	if (st != SW_OK)
		return st;
	if (sw_ymap_get(s->node, "networks") != NULL)
		return sw_yerror(c->doc, mode, c->err, SW_ERR_INVALID,
		                 "service %s has both network_mode and networks", s->name);
	*handled = true;
	s->nets = alloc_n(c->n_nets, sizeof(*s->nets));
	if (s->nets == NULL)
		return nomem(c);
	if (strcmp(m, "none") == 0)
		return SW_OK;
	if (strncmp(m, "service:", 8) == 0) {
		s->share = m + 8;
		s->share_node = mode;
		return SW_OK;
	}
	s->isolated = false;
	sw_ywarn(c->doc, mode, c->warn, c->warn_ctx,
	         "service %s uses network_mode %s: compose does not isolate it, so no policy covers it",
	         s->name, m);
	return SW_OK;
}

static enum sw_status load_service(struct cctx *c, const struct sw_ynode *key,
                                   const struct sw_ynode *node, struct csvc *s)
{
	const struct sw_ynode *cn;
	bool handled;
	enum sw_status st = sw_yget_str(c->doc, key, false, "a service name", &s->name, c->err);

	if (st != SW_OK)
		return st;
	if (strchr(s->name, '/') != NULL || s->name[0] == '\0')
		return sw_yerror(c->doc, key, c->err, SW_ERR_INVALID,
		                 "expected a service name without '/', got \"%s\"", s->name);
	s->node = node;
	s->isolated = true;
	if (!sw_ynode_is_null(node)) {
		st = sw_yexpect_map(c->doc, node, "a service definition", c->err);
		if (st != SW_OK)
			return st;
	}
	cn = sw_ymap_get(node, "container_name");
	if (!sw_ynode_is_null(cn)) {
		st = sw_yget_str(c->doc, cn, false, "a container name", &s->container_name, c->err);
		if (st != SW_OK)
			return st;
	}
	st = load_network_mode(c, s, &handled);
	if (st == SW_OK && !handled)
		st = load_service_networks(c, s);
	if (st == SW_OK)
		st = load_ports(c, s);
	return st;
}

static long svc_find(const struct cctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_svcs; i++) {
		if (strcmp(c->svcs[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* network_mode service:X -> X's networks (one level, as X must not share
 * in turn). */
static enum sw_status resolve_shares(struct cctx *c)
{
	for (size_t i = 0; i < c->n_svcs; i++) {
		struct csvc *s = &c->svcs[i];
		long x;
		if (s->share == NULL)
			continue;
		x = svc_find(c, s->share);
		if (x < 0 || c->svcs[x].share != NULL)
			return sw_yerror(c->doc, s->share_node, c->err, SW_ERR_INVALID,
			                 "network_mode service:%s names no service with its own network",
			                 s->share);
		s->isolated = c->svcs[x].isolated;
		s->n_nets = c->svcs[x].n_nets;
		memcpy(s->nets, c->svcs[x].nets, s->n_nets * sizeof(*s->nets));
	}
	return SW_OK;
}

static enum sw_status load_services(struct cctx *c, const struct sw_ynode *root)
{
	const struct sw_ynode *svcs = sw_ymap_get(root, "services");
	enum sw_status st;

	if (svcs == NULL)
		return sw_yerror(c->doc, root, c->err, SW_ERR_PARSE,
		                 "missing field \"services\" (expected a compose file)");
	st = sw_yexpect_map(c->doc, svcs, "a map of services", c->err);
	if (st != SW_OK)
		return st;
	c->svcs = alloc_n(svcs->n, sizeof(*c->svcs));
	if (c->svcs == NULL)
		return nomem(c);
	for (size_t i = 0; st == SW_OK && i < svcs->n; i++) {
		c->n_svcs = i + 1;
		st = load_service(c, sw_ymap_key(svcs, i), sw_ymap_value(svcs, i), &c->svcs[i]);
	}
	if (st == SW_OK)
		st = resolve_shares(c);
	return st;
}

/* ---- endpoints ---- */

/* Does an inventory endpoint look like one of s's containers? */
static bool is_container_of(const struct cctx *c, const struct csvc *s, const char *name)
{
	size_t pl = strlen(c->project), sl = strlen(s->name), n = strlen(name);
	const char *tail;

	if (s->container_name != NULL && strcmp(name, s->container_name) == 0)
		return true;
	if (n < pl + sl + 3 || strncmp(name, c->project, pl) != 0)
		return false;
	if ((name[pl] != '-' && name[pl] != '_') || strncmp(name + pl + 1, s->name, sl) != 0 ||
	    name[pl + 1 + sl] != name[pl])
		return false;
	tail = name + pl + sl + 2;
	if (*tail == '\0')
		return false;
	for (; *tail; tail++) {
		if (*tail < '0' || *tail > '9')
			return false;
	}
	return true;
}

struct pfx_buf {
	size_t n, cap;
	struct sw_prefix *p;
};

static bool pfx_add(struct pfx_buf *b, const struct sw_prefix *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t ncap = (b->n + n) * 2 + 4;
		struct sw_prefix *q = realloc(b->p, ncap * sizeof(*q));
		if (q == NULL)
			return false;
		b->p = q;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->n, p, n * sizeof(*p));
	b->n += n;
	return true;
}

static enum sw_status service_labels(struct cctx *c, const struct csvc *s, struct sw_labels *l)
{
	char key[256];

	if (sw_labels_set(l, "com.docker.compose.project", c->project) != SW_OK ||
	    sw_labels_set(l, "com.docker.compose.service", s->name) != SW_OK)
		return nomem(c);
	for (size_t i = 0; i < s->n_nets; i++) {
		snprintf(key, sizeof(key), NET_LABEL_PREFIX "%s", c->nets[s->nets[i]].name);
		if (sw_labels_set(l, key, "true") != SW_OK)
			return nomem(c);
	}
	return SW_OK;
}

/* Collects the addresses of s from the inventory, removing container
 * endpoints that it absorbs. */
static enum sw_status service_addresses(struct cctx *c, const struct csvc *s, const char *id,
                                        struct pfx_buf *b)
{
	long same = sw_inventory_find_endpoint(c->inv, id);

	if (same >= 0) {
		const struct sw_endpoint *e = sw_inventory_endpoint(c->inv, (size_t)same);
		if (!pfx_add(b, e->prefixes, e->n_prefixes))
			return nomem(c);
	}
	for (size_t i = sw_inventory_n_endpoints(c->inv); i-- > 0;) {
		const struct sw_endpoint *e = sw_inventory_endpoint(c->inv, i);
		if ((long)i == same || !is_container_of(c, s, e->name))
			continue;
		if (!pfx_add(b, e->prefixes, e->n_prefixes))
			return nomem(c);
		if (sw_inventory_remove_endpoint(c->inv, i) != SW_OK)
			return nomem(c);
		if (same > (long)i)
			same--;
	}
	if (!pfx_add(b, s->ips, s->n_ips))
		return nomem(c);
	return SW_OK;
}

static enum sw_status add_endpoint(struct cctx *c, const struct csvc *s)
{
	struct sw_endpoint ep;
	struct pfx_buf b = {0, 0, NULL};
	char id[PROJECT_MAX + 256];
	struct sw_named_port *ports = alloc_n(s->n_ports, sizeof(*ports));
	enum sw_status st;

	if (ports == NULL)
		return nomem(c);
	snprintf(id, sizeof(id), "%s/%s", c->project, s->name);
	memset(&ep, 0, sizeof(ep));
	st = service_labels(c, s, &ep.labels);
	if (st == SW_OK)
		st = service_addresses(c, s, id, &b);
	for (size_t i = 0; i < s->n_ports; i++) {
		ports[i].port = s->ports[i].lo;
		ports[i].proto = s->ports[i].proto;
		ports[i].name = (char *)(uintptr_t)s->ports[i].name; /* copied by the builder */
	}
	if (st == SW_OK) {
		ep.id = id;
		ep.kind = (char *)(uintptr_t)"service";
		ep.prefixes = b.p;
		ep.n_prefixes = b.n;
		ep.ports = ports;
		ep.n_ports = s->n_ports;
		ep.file = (char *)(uintptr_t)c->doc->file;
		ep.line = s->node ? s->node->line : 0;
		st = sw_inventory_put_endpoint(c->inv, &ep, c->err);
	}
	sw_labels_clear(&ep.labels);
	free(b.p);
	free(ports);
	return st;
}

/* ---- policies ---- */

static bool one_req(struct sw_selector *sel, const char *key, const char *value)
{
	sel->reqs = calloc(1, sizeof(*sel->reqs));
	if (sel->reqs == NULL)
		return false;
	sel->n_reqs = 1;
	sel->reqs[0].op = SW_SEL_IN;
	sel->reqs[0].key = strdup(key);
	sel->reqs[0].values = calloc(1, sizeof(char *));
	if (sel->reqs[0].key == NULL || sel->reqs[0].values == NULL)
		return false;
	sel->reqs[0].n_values = 1;
	sel->reqs[0].values[0] = strdup(value);
	return sel->reqs[0].values[0] != NULL;
}

static bool network_rule(const struct cctx *c, const char *net, unsigned line, struct sw_rule *r)
{
	char key[256];

	snprintf(key, sizeof(key), NET_LABEL_PREFIX "%s", net);
	r->line = line;
	r->peers_present = true;
	r->peers = calloc(1, sizeof(*r->peers));
	if (r->peers == NULL)
		return false;
	r->n_peers = 1;
	r->peers[0].line = line;
	r->peers[0].has_pod_sel = true;
	r->peers[0].has_ns_sel = true;
	return one_req(&r->peers[0].pod_sel, key, "true") &&
	       one_req(&r->peers[0].ns_sel, NS_NAME_LABEL, c->project);
}

/* Peers 0.0.0.0/0 and ::/0; with ports (the published ones) when ports. */
static bool outside_rule(const struct csvc *s, bool with_ports, unsigned line, struct sw_rule *r)
{
	static const char *const all[] = {"0.0.0.0/0", "::/0"};

	r->line = line;
	r->peers_present = true;
	r->peers = calloc(SW_ARRAY_SIZE(all), sizeof(*r->peers));
	if (r->peers == NULL)
		return false;
	r->n_peers = SW_ARRAY_SIZE(all);
	for (size_t i = 0; i < SW_ARRAY_SIZE(all); i++) {
		r->peers[i].line = line;
		r->peers[i].has_ipblock = true;
		if (sw_prefix_parse(all[i], true, &r->peers[i].ipblock.cidr) != SW_OK)
			return false;
	}
	if (!with_ports)
		return true;
	r->ports_present = true;
	r->ports = alloc_n(s->n_ports, sizeof(*r->ports));
	if (r->ports == NULL)
		return false;
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct cport *p = &s->ports[i];
		if (!p->external)
			continue;
		struct sw_port_rule *pr = &r->ports[r->n_ports++];
		pr->proto = p->proto;
		pr->has_port = true;
		pr->port = p->lo;
		pr->end_port = p->hi;
		pr->line = line;
	}
	return true;
}

static bool has_external_port(const struct csvc *s)
{
	for (size_t i = 0; i < s->n_ports; i++) {
		if (s->ports[i].external)
			return true;
	}
	return false;
}

static bool build_rules(const struct cctx *c, const struct csvc *s, struct sw_netpol *p)
{
	bool outside = false;
	unsigned line = p->line;

	for (size_t i = 0; i < s->n_nets; i++)
		outside = outside || !c->nets[s->nets[i]].internal;
	p->ingress = alloc_n(s->n_nets + 1, sizeof(*p->ingress));
	p->egress = alloc_n(s->n_nets + 1, sizeof(*p->egress));
	if (p->ingress == NULL || p->egress == NULL)
		return false;
	for (size_t i = 0; i < s->n_nets; i++) {
		const char *net = c->nets[s->nets[i]].name;
		p->n_ingress++;
		p->n_egress++;
		if (!network_rule(c, net, line, &p->ingress[i]) ||
		    !network_rule(c, net, line, &p->egress[i]))
			return false;
	}
	if (outside && has_external_port(s) &&
	    !outside_rule(s, true, line, &p->ingress[p->n_ingress++]))
		return false;
	if (outside && !outside_rule(s, false, line, &p->egress[p->n_egress++]))
		return false;
	return true;
}

static enum sw_status add_policy(struct cctx *c, const struct csvc *s, struct sw_policy_set *set)
{
	struct sw_netpol p;
	char name[300], h1[17], h2[17] = "", hash[40];
	enum sw_status st = SW_OK;

	memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "compose-%s", s->name);
	if (s->node != NULL)
		sw_ynode_hash(c->doc, s->node, h1);
	else
		snprintf(h1, sizeof(h1), "%016x", 0);
	if (c->networks_node != NULL)
		sw_ynode_hash(c->doc, c->networks_node, h2);
	else
		snprintf(h2, sizeof(h2), "%016x", 0);
	snprintf(hash, sizeof(hash), "%s%s", h1, h2);
	p.line = s->node ? s->node->line : 0;
	p.type_ingress = p.type_egress = true;
	p.name = strdup(name);
	p.ns = strdup(c->project);
	p.origin = strdup("compose");
	p.file = strdup(c->doc->file);
	p.content_hash = strdup(hash);
	if (p.name == NULL || p.ns == NULL || p.origin == NULL || p.file == NULL ||
	    p.content_hash == NULL || !one_req(&p.pod_sel, "com.docker.compose.service", s->name) ||
	    !build_rules(c, s, &p))
		st = nomem(c);
	if (st == SW_OK)
		st = sw_policy_set_add(set, &p, c->err);
	sw_netpol_clear(&p);
	return st;
}

/* ---- merging with earlier files of the project ---- */

static long prior_policy(const struct cctx *c, const struct csvc *s)
{
	char name[300];

	snprintf(name, sizeof(name), "compose-%s", s->name);
	for (size_t i = 0; i < sw_policy_set_count(c->out); i++) {
		const struct sw_netpol *p = sw_policy_set_get(c->out, i);
		if (strcmp(p->origin, "compose") == 0 && strcmp(p->ns, c->project) == 0 &&
		    strcmp(p->name, name) == 0)
			return (long)i;
	}
	return -1;
}

static bool has_net(const struct csvc *s, size_t net)
{
	for (size_t i = 0; i < s->n_nets; i++) {
		if (s->nets[i] == net)
			return true;
	}
	return false;
}

/* Merges the earlier definition's networks (its endpoint's labels): a
 * file without networks for the service keeps them; explicit networks
 * replace an earlier lone `default` and are unioned with anything else. */
static void merge_networks(struct cctx *c, struct csvc *s, const struct sw_endpoint *e)
{
	size_t plen = strlen(NET_LABEL_PREFIX), n_prior = 0;
	bool only_default = true;

	for (size_t i = 0; i < e->labels.n; i++) {
		const char *key = e->labels.items[i].key;
		if (strncmp(key, NET_LABEL_PREFIX, plen) == 0 && net_find(c, key + plen) >= 0) {
			n_prior++;
			only_default = only_default && net_find(c, key + plen) == 0;
		}
	}
	if (n_prior == 0 || (!s->implicit && only_default))
		return;
	if (s->implicit)
		s->n_nets = 0;
	for (size_t i = 0; i < e->labels.n; i++) {
		const char *key = e->labels.items[i].key;
		long at = strncmp(key, NET_LABEL_PREFIX, plen) == 0 ? net_find(c, key + plen) : -1;
		if (at >= 0 && !has_net(s, (size_t)at) && s->n_nets < c->n_nets)
			s->nets[s->n_nets++] = (size_t)at;
	}
}

static enum sw_status merge_ports(struct cctx *c, struct csvc *s, const struct sw_netpol *p)
{
	for (size_t r = 0; r < p->n_ingress; r++) {
		const struct sw_rule *rule = &p->ingress[r];
		struct cport *ports;
		if (rule->n_peers == 0 || !rule->peers[0].has_ipblock)
			continue;
		ports = realloc(s->ports, (s->n_ports + rule->n_ports + 1) * sizeof(*ports));
		if (ports == NULL)
			return nomem(c);
		s->ports = ports;
		for (size_t i = 0; i < rule->n_ports; i++) {
			const struct sw_port_rule *pr = &rule->ports[i];
			bool dup = false;
			for (size_t k = 0; k < s->n_ports && !dup; k++)
				dup = s->ports[k].external && s->ports[k].proto == pr->proto &&
				      s->ports[k].lo == pr->port && s->ports[k].hi == pr->end_port;
			if (dup)
				continue;
			memset(&s->ports[s->n_ports], 0, sizeof(*s->ports));
			s->ports[s->n_ports].lo = pr->port;
			s->ports[s->n_ports].hi = pr->end_port;
			s->ports[s->n_ports].proto = pr->proto;
			s->ports[s->n_ports].external = true;
			s->n_ports++;
		}
	}
	return SW_OK;
}

/* Merges the service with its definition in an earlier file of the same
 * project, if any, and drops the earlier policy (rebuilt by the caller). */
static enum sw_status merge_prior(struct cctx *c, struct csvc *s)
{
	char id[PROJECT_MAX + 256];
	const struct sw_endpoint *e;
	const char *proj;
	long at, pi;
	enum sw_status st = SW_OK;

	snprintf(id, sizeof(id), "%s/%s", c->project, s->name);
	at = sw_inventory_find_endpoint(c->inv, id);
	if (at < 0)
		return SW_OK;
	e = sw_inventory_endpoint(c->inv, (size_t)at);
	proj = sw_labels_get(&e->labels, "com.docker.compose.project");
	if (strcmp(e->kind, "service") != 0 || proj == NULL || strcmp(proj, c->project) != 0)
		return SW_OK; /* not a compose service: only its addresses are used */
	pi = prior_policy(c, s);
	if (s->implicit)
		s->isolated = pi >= 0;
	if (s->isolated && s->share == NULL)
		merge_networks(c, s, e);
	if (pi >= 0) {
		st = merge_ports(c, s, sw_policy_set_get(c->out, (size_t)pi));
		if (st == SW_OK && sw_policy_set_remove(c->out, (size_t)pi) != SW_OK)
			st = nomem(c);
	}
	return st;
}

/* Records the project's networks on its namespace for later files. */
static enum sw_status record_networks(struct cctx *c)
{
	struct sw_labels l = {0, NULL};
	char key[256];
	enum sw_status st = SW_OK;

	for (size_t i = 0; i < c->n_nets && st == SW_OK; i++) {
		snprintf(key, sizeof(key), NETWORK_LABEL_PREFIX "%s", c->nets[i].name);
		if (sw_labels_set(&l, key, c->nets[i].internal ? "internal" : "external") != SW_OK)
			st = nomem(c);
	}
	if (st == SW_OK)
		st = sw_inventory_add_namespace(c->inv, c->project, &l, c->err);
	sw_labels_clear(&l);
	return st;
}

/* ---- entry ---- */

static void ctx_free(struct cctx *c)
{
	for (size_t i = 0; i < c->n_svcs; i++) {
		free(c->svcs[i].nets);
		free(c->svcs[i].ports);
		free(c->svcs[i].ips);
	}
	free(c->svcs);
	free(c->nets);
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
}

static enum sw_status load_root(struct cctx *c, const struct sw_ynode *root)
{
	enum sw_status st = sw_yexpect_map(c->doc, root, "a compose file (a map with services:)",
	                                   c->err);
	struct sw_policy_set *tmp;

	if (st != SW_OK)
		return st;
	for (size_t i = 0; i < root->n; i++) {
		const struct sw_ynode *k = sw_ymap_key(root, i);
		if (sw_ynode_is_scalar(k) && strncmp(k->str, "x-", 2) == 0)
			continue; /* extension fields */
		bool known = false;
		for (const char *const *f = top_fields; *f && !known; f++)
			known = strcmp(k->str, *f) == 0;
		if (!known)
			sw_ywarn(c->doc, k, c->warn, c->warn_ctx,
			         "unknown field \"%s\" in a compose file (ignored)", k->str);
	}
	st = project_name(c, root);
	if (st == SW_OK)
		st = load_networks(c, root);
	if (st == SW_OK)
		st = load_services(c, root);
	if (st != SW_OK)
		return st;
	/* everything validated: now change the inventory and the set */
	tmp = sw_policy_set_new();
	if (tmp == NULL)
		return nomem(c);
	st = record_networks(c);
	for (size_t i = 0; st == SW_OK && i < c->n_svcs; i++) {
		st = merge_prior(c, &c->svcs[i]);
		if (st == SW_OK)
			st = add_endpoint(c, &c->svcs[i]);
		if (st == SW_OK && c->svcs[i].isolated)
			st = add_policy(c, &c->svcs[i], tmp);
	}
	if (st == SW_OK)
		st = sw_policy_set_merge(c->out, tmp, c->err);
	sw_policy_set_free(tmp);
	return st;
}

enum sw_status sw_policy_set_load_compose(struct sw_policy_set *set,
                                          struct sw_inventory *inv,
                                          const char *path, sw_warn_fn warn,
                                          void *warn_ctx, struct sw_err *err)
{
	struct sw_ydoc *doc = NULL;
	struct cctx c;
	const struct sw_ynode *root = NULL;
	enum sw_status st = sw_ydoc_load_file(path, NULL, &doc, err);

	if (st != SW_OK)
		return st;
	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.inv = inv;
	c.out = set;
	c.warn = warn;
	c.warn_ctx = warn_ctx;
	c.err = err;
	for (size_t i = 0; i < doc->n_docs; i++) {
		if (sw_ynode_is_null(doc->docs[i]))
			continue;
		if (root != NULL) {
			sw_ywarn(doc, doc->docs[i], warn, warn_ctx,
			         "a compose file has one document; this one is ignored");
			break;
		}
		root = doc->docs[i];
	}
	if (root == NULL)
		st = sw_err_set(err, SW_ERR_PARSE, path, 0, 0,
		                "expected a compose file with services:, got an empty file");
	else
		st = load_root(&c, root);
	ctx_free(&c);
	sw_ydoc_free(doc);
	return st;
}
