/*
 * store_query_inventory.c - the SQL of /api/v1/policies (id order, with
 * the endpoints each selects, from policy_selects) and /api/v1/endpoints
 * (endpoint id order; filters on labels and addresses read the JSON
 * columns). Both tables hold thousands of rows, not millions: one
 * statement each.
 */
#include "store_query_int.h"

static const char sql_policies[] =
	SQ_LIST("FROM policies WHERE id > :cid AND (:ns IS NULL OR ns = :ns)"
	        " AND (:endpoint IS NULL OR id IN"
	        "      (SELECT policy_id FROM policy_selects WHERE endpoint_id = :endpoint))",
	        "id", "id",
	        "json_object('id', v.id, 'ns', v.ns, 'name', v.name, 'origin', v.origin,"
	        " 'file', v.file, 'line', v.line, 'content_hash', v.content_hash,"
	        " 'loaded', " SQ_TS("v.loaded_ns") ", 'changed', " SQ_TS("v.changed_ns") ","
	        " 'selects', (SELECT json_group_array(endpoint_id) FROM (SELECT endpoint_id"
	        "   FROM policy_selects WHERE policy_id = v.id ORDER BY endpoint_id)))");

static const char *pick_policies(const struct qargs *a)
{
	(void)a;
	return sql_policies;
}

const struct qroute sq_policies = {
	.params = QP_BIT(QP_NAMESPACE) | QP_BIT(QP_ENDPOINT) | QP_BIT(QP_LIMIT) |
	          QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_policies,
	.tag = "P",
	.desc = false,
	.cursor = CUR_ID,
};

static const char sql_endpoints[] =
	SQ_LIST("FROM endpoints WHERE id > :ctext AND (:ns IS NULL OR ns = :ns)"
	        " AND (:lkey IS NULL OR EXISTS (SELECT 1 FROM json_each(labels)"
	        "      WHERE key = :lkey AND value = :lval))"
	        " AND (:ip IS NULL OR EXISTS (SELECT 1 FROM json_each(addresses)"
	        "      WHERE value IN (:ip, :ip || '/32', :ip || '/128')))",
	        "id", "hex(id)",
	        "json_object('id', v.id, 'ns', v.ns, 'name', v.name, 'kind', v.kind,"
	        " 'labels', json(v.labels), 'addresses', json(v.addresses),"
	        " 'ports', json(v.ports), 'file', v.file, 'line', v.line,"
	        " 'loaded', " SQ_TS("v.loaded_ns") ")");

static const char *pick_endpoints(const struct qargs *a)
{
	(void)a;
	return sql_endpoints;
}

const struct qroute sq_endpoints = {
	.params = QP_BIT(QP_NAMESPACE) | QP_BIT(QP_LABEL) | QP_BIT(QP_IP) | QP_BIT(QP_LIMIT) |
	          QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_endpoints,
	.tag = "E",
	.desc = false,
	.cursor = CUR_TEXT,
};
