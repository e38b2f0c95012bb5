/*
 * store_suggest.c - what the policy suggester reads from the store: the
 * baseline's edges, and the stored inventory (tables namespaces and
 * endpoints) rebuilt as a struct sw_inventory (see segwatch/suggest.h).
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "segwatch/proto.h"
#include "segwatch/suggest.h"
#include "store_int.h"

static const char sql_baseline_edges[] =
	"SELECT src, dst, proto, port FROM baseline_edges ORDER BY src, dst, proto, port";

enum sw_status sw_store_each_baseline_edge(struct sw_store *st, sw_suggest_edge_fn fn,
                                           void *ctx, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql_baseline_edges, err);
	enum sw_status status = SW_OK;
	int rc;

	if (s == NULL)
		return err != NULL ? err->status : SW_ERR_IO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sw_suggest_edge e;
		sqlite3_int64 proto = sqlite3_column_int64(s, 2);
		sqlite3_int64 port = sqlite3_column_int64(s, 3);

		e.src = (const char *)sqlite3_column_text(s, 0);
		e.dst = (const char *)sqlite3_column_text(s, 1);
		if (e.src == NULL || e.dst == NULL) {
			status = sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0,
			                    "out of memory reading baseline_edges");
			break;
		}
		if (proto < 0 || proto > 255 || port < 0 || port > 65535)
			proto = port = 0;
		e.proto = (uint8_t)proto;
		e.port = (uint16_t)port;
		status = fn(ctx, &e);
		if (status != SW_OK)
			break;
	}
	if (status == SW_OK && rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "read baseline_edges");
	sqlite3_reset(s);
	return status;
}

/* ---- the stored inventory ---- */

static const char sql_namespaces[] = "SELECT name, labels FROM namespaces ORDER BY name";
static const char sql_endpoints[] =
	"SELECT id, ns, name, kind, labels, addresses, ports, file, line FROM endpoints ORDER BY id";

/* Labels from a JSON object's string members; others are ignored. */
static enum sw_status labels_from_json(const char *text, struct sw_labels *out)
{
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;
	const char *key;
	json_t *v;
	enum sw_status st = SW_OK;

	if (!json_is_object(o)) {
		json_decref(o);
		return SW_ERR_PARSE;
	}
	json_object_foreach(o, key, v) {
		if (json_is_string(v) && sw_labels_set(out, key, json_string_value(v)) != SW_OK) {
			st = SW_ERR_NOMEM;
			break;
		}
	}
	json_decref(o);
	return st;
}

static enum sw_status prefixes_from_json(const char *text, struct sw_endpoint *ep)
{
	json_t *a = text != NULL ? json_loads(text, 0, NULL) : NULL;
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	enum sw_status st = json_is_array(a) ? SW_OK : SW_ERR_PARSE;

	ep->prefixes = calloc(n > 0 ? n : 1, sizeof(*ep->prefixes));
	if (ep->prefixes == NULL)
		st = SW_ERR_NOMEM;
	for (size_t i = 0; st == SW_OK && i < n; i++) {
		const char *p = json_string_value(json_array_get(a, i));
		if (p == NULL || sw_prefix_parse(p, false, &ep->prefixes[i]) != SW_OK)
			st = SW_ERR_PARSE;
		else
			ep->n_prefixes++;
	}
	json_decref(a);
	return st;
}

static uint8_t proto_from_name(const char *name)
{
	static const uint8_t protos[] = {SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_SCTP};

	for (size_t i = 0; name != NULL && i < SW_ARRAY_SIZE(protos); i++)
		if (strcasecmp(name, sw_proto_name(protos[i])) == 0)
			return protos[i];
	return SW_PROTO_TCP;
}

/* Ports as {name, proto, port}; names are borrowed from the JSON (kept
 * alive in *hold until the endpoint is added). */
static enum sw_status ports_from_json(const char *text, struct sw_endpoint *ep, json_t **hold)
{
	json_t *a = text != NULL ? json_loads(text, 0, NULL) : NULL;
	size_t n = json_is_array(a) ? json_array_size(a) : 0;

	*hold = a;
	if (!json_is_array(a))
		return SW_ERR_PARSE;
	ep->ports = calloc(n > 0 ? n : 1, sizeof(*ep->ports));
	if (ep->ports == NULL)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		json_int_t port = json_integer_value(json_object_get(o, "port"));
		struct sw_named_port *np = &ep->ports[ep->n_ports];

		if (port < 1 || port > 65535)
			return SW_ERR_PARSE;
		np->port = (uint16_t)port;
		np->proto = proto_from_name(json_string_value(json_object_get(o, "proto")));
		np->name = (char *)(uintptr_t)json_string_value(json_object_get(o, "name"));
		ep->n_ports++;
	}
	return SW_OK;
}

static enum sw_status load_namespaces(struct sw_store *st, struct sw_inventory *inv,
                                      struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql_namespaces, err);
	enum sw_status status = SW_OK;
	int rc = SQLITE_DONE;

	if (s == NULL)
		return err != NULL ? err->status : SW_ERR_IO;
	while (status == SW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		struct sw_labels labels = {0, NULL};

		status = labels_from_json((const char *)sqlite3_column_text(s, 1), &labels);
		if (status == SW_ERR_PARSE)
			status = sw_err_set(err, SW_ERR_PARSE, st->path, 0, 0,
			                    "namespaces: the labels of \"%s\" are not a JSON object",
			                    name != NULL ? name : "");
		else if (status == SW_OK)
			status = sw_inventory_add_namespace(inv, name, &labels, err);
		sw_labels_clear(&labels);
	}
	if (status == SW_OK && rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "read namespaces");
	sqlite3_reset(s);
	return status;
}

static enum sw_status add_endpoint_row(struct sw_store *st, sqlite3_stmt *s,
                                       struct sw_inventory *inv, struct sw_err *err)
{
	struct sw_endpoint ep;
	json_t *ports = NULL;
	enum sw_status status;
	const char *what = "labels";

	memset(&ep, 0, sizeof(ep));
	ep.id = (char *)(uintptr_t)sqlite3_column_text(s, 0);
	ep.ns = (char *)(uintptr_t)sqlite3_column_text(s, 1);
	ep.name = (char *)(uintptr_t)sqlite3_column_text(s, 2);
	ep.kind = (char *)(uintptr_t)sqlite3_column_text(s, 3);
	status = labels_from_json((const char *)sqlite3_column_text(s, 4), &ep.labels);
	if (status == SW_OK) {
		what = "addresses";
		status = prefixes_from_json((const char *)sqlite3_column_text(s, 5), &ep);
	}
	if (status == SW_OK) {
		what = "ports";
		status = ports_from_json((const char *)sqlite3_column_text(s, 6), &ep, &ports);
	}
	ep.file = (char *)(uintptr_t)sqlite3_column_text(s, 7);
	ep.line = (unsigned)sqlite3_column_int(s, 8);
	if (status == SW_OK)
		status = sw_inventory_add_endpoint(inv, &ep, err);
	else if (status == SW_ERR_PARSE)
		status = sw_err_set(err, SW_ERR_PARSE, st->path, 0, 0,
		                    "endpoints: the %s of \"%s\" are not valid JSON of their form",
		                    what, ep.id != NULL ? ep.id : "");
	else
		status = sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0, "out of memory");
	sw_labels_clear(&ep.labels);
	free(ep.prefixes);
	free(ep.ports);
	json_decref(ports);
	return status;
}

enum sw_status sw_store_load_inventory(struct sw_store *st, struct sw_inventory *inv,
                                       struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status = load_namespaces(st, inv, err);
	int rc = SQLITE_DONE;

	if (status != SW_OK)
		return status;
	s = sw_store_sql(st, sql_endpoints, err);
	if (s == NULL)
		return err != NULL ? err->status : SW_ERR_IO;
	while (status == SW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		status = add_endpoint_row(st, s, inv, err);
	if (status == SW_OK && rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "read endpoints");
	sqlite3_reset(s);
	return status;
}
