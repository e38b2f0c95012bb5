/*
 * store_query_runs.c - the SQL of /api/v1/runs: the runs that wrote the
 * database (segwatch run, baseline learn), newest first, each with its
 * sources, start and end, and the capture statistics it stored when it
 * ended (packets, drops, flows, and per source). /api/v1/stats shows only
 * the latest; this is the history, for scripts that check every capture
 * (drops, a run that never ended: a crash).
 */
#include "store_query_int.h"

static const char sql_runs[] =
	SQ_LIST("FROM runs WHERE id < :cid", "id DESC", "id",
	        "json_object('id', v.id, 'started', " SQ_TS("v.started_ns") ","
	        " 'ended', " SQ_TS("v.ended_ns") ", 'sources', v.sources,"
	        " 'packets', v.packets, 'drops', v.drops, 'flows', v.flows,"
	        " 'stats', json(v.stats))");

static const char *pick_runs(const struct qargs *a)
{
	(void)a;
	return sql_runs;
}

const struct qroute sq_runs = {
	.params = QP_BIT(QP_LIMIT) | QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_runs,
	.tag = "R",
	.desc = true,
	.cursor = CUR_ID,
};
