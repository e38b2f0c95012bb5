/*
 * cmd_baseline.c - `segwatch baseline`: the learned baseline and the
 * anomalies found against it, in a database written by `segwatch run`.
 * `show` lists the edges, `reset` deletes them, `anomalies` lists
 * anomalies, `accept` takes anomalies into the baseline; `learn` (a run
 * that learns) belongs to the run pipeline: cmd_baseline_learn().
 */
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture_opts.h"
#include "commands.h"
#include "segwatch/flowlog.h"
#include "segwatch/proto.h"
#include "segwatch/store_baseline.h"
#include "segwatch/textparse.h"

#define PAGE 1000
#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000

static const char baseline_usage[] =
	"Usage: segwatch baseline learn [run options]      (see segwatch run --help)\n"
	"       segwatch baseline show --db FILE [--format table|json]\n"
	"       segwatch baseline reset --db FILE --yes\n"
	"       segwatch baseline expire --db FILE --older-than DUR\n"
	"       segwatch baseline anomalies --db FILE [--kind K] [--state S] [--limit N]\n"
	"                                   [--format table|json]\n"
	"       segwatch baseline accept --db FILE ID...\n"
	"The baseline is the set of edges (source, destination, protocol, port)\n"
	"learned from traffic, each with flows, bytes and bytes per interval (mean,\n"
	"standard deviation); `segwatch run` reports anomalies against it: new_edge,\n"
	"new_external, volume, fanout.\n\n"
	"  learn      a run that learns the baseline instead of only judging\n"
	"  show       list the baseline's edges\n"
	"  reset      delete every edge (anomalies are kept); needs --yes\n"
	"  expire     delete the edges last seen more than DUR before the newest\n"
	"             edge was (e.g. 30d): traffic that stopped is new again\n"
	"  anomalies  list anomalies, newest first\n"
	"  accept     put the edges of anomalies (new_edge, new_external, volume)\n"
	"             into the baseline and mark them accepted; all or none. A\n"
	"             running `segwatch run` learns of them at its next start.\n\n"
	"      --db FILE            the database (`segwatch run --db`)\n"
	"      --format table|json  a table (default) or a JSON array\n"
	"      --kind K             new_edge, volume, new_external or fanout\n"
	"      --state S            open, acknowledged, resolved or accepted\n"
	"      --limit N            at most N anomalies (default 100, at most 10000)\n"
	"      --yes                confirm reset\n"
	"      --older-than DUR     expire: the age (e.g. 30d, 12h)\n"
	"  -h, --help               this text\n"
	"Exit status: 0 success, 1 a database failure, 2 bad usage or bad input\n"
	"(no such database or anomaly, an anomaly that cannot be accepted).\n";

enum { OPT_DB = 256, OPT_FORMAT, OPT_KIND, OPT_STATE, OPT_LIMIT, OPT_YES, OPT_OLDER };

struct bl_cli {
	const char *sub;
	const char *db;
	bool json, format_given;
	bool yes;
	bool has_kind, has_state;
	enum sw_anomaly_kind kind;
	enum sw_anomaly_state state;
	size_t limit;
	bool limit_given;
	uint64_t older_than_ns;
	bool older_given;
	int first_arg;           /* optind after the options */
};

/* ---- arguments ---- */

static int usage_error(const char *fmt, ...) SW_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("segwatch baseline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'segwatch baseline --help'.\n", stderr);
	return 2;
}

static int handle_opt(struct bl_cli *c, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_DB: c->db = arg; return -1;
	case OPT_FORMAT:
		if (strcmp(arg, "table") != 0 && strcmp(arg, "json") != 0)
			return usage_error("--format: expected table or json, got '%s'", arg);
		c->json = strcmp(arg, "json") == 0;
		c->format_given = true;
		return -1;
	case OPT_KIND:
		if (sw_anomaly_kind_parse(arg, &c->kind) != SW_OK)
			return usage_error("--kind: expected new_edge, volume, new_external or "
			                   "fanout, got '%s'", arg);
		c->has_kind = true;
		return -1;
	case OPT_STATE:
		if (sw_anomaly_state_parse(arg, &c->state) != SW_OK)
			return usage_error("--state: expected open, acknowledged, resolved or "
			                   "accepted, got '%s'", arg);
		c->has_state = true;
		return -1;
	case OPT_LIMIT:
		if (sw_parse_u64(arg, strlen(arg), 1, LIMIT_MAX, &v) != SW_OK)
			return usage_error("--limit: expected a number from 1 to 10000, got '%s'", arg);
		c->limit = (size_t)v;
		c->limit_given = true;
		return -1;
	case OPT_YES: c->yes = true; return -1;
	case OPT_OLDER:
		if (sw_parse_duration(arg, &c->older_than_ns) != SW_OK)
			return usage_error("--older-than: expected a duration such as 30d, 12h or "
			                   "90m, got '%s'", arg);
		c->older_given = true;
		return -1;
	case 'h': fputs(baseline_usage, stdout); return 0;
	}
	fputs("Try 'segwatch baseline --help'.\n", stderr);
	return 2;
}

/* Options that only some subcommands take. */
static int check_args(const struct bl_cli *c, int argc)
{
	bool show = strcmp(c->sub, "show") == 0, list = strcmp(c->sub, "anomalies") == 0;
	bool accept = strcmp(c->sub, "accept") == 0, reset = strcmp(c->sub, "reset") == 0;
	bool expire = strcmp(c->sub, "expire") == 0;

	if (c->db == NULL)
		return usage_error("%s: --db FILE is required", c->sub);
	if (c->format_given && !show && !list)
		return usage_error("%s takes no --format", c->sub);
	if ((c->has_kind || c->has_state || c->limit_given) && !list)
		return usage_error("%s takes no --kind, --state or --limit", c->sub);
	if (c->yes && !reset)
		return usage_error("%s takes no --yes", c->sub);
	if (c->older_given != expire)
		return usage_error(expire ? "%s: --older-than DUR is required"
		                          : "%s takes no --older-than", c->sub);
	if (accept && c->first_arg >= argc)
		return usage_error("%s: give the ids of the anomalies to accept", c->sub);
	return -1;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct bl_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"kind", required_argument, NULL, OPT_KIND},
		{"state", required_argument, NULL, OPT_STATE},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"yes", no_argument, NULL, OPT_YES},
		{"older-than", required_argument, NULL, OPT_OLDER},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, r;

	c->sub = argv[0];
	c->limit = LIMIT_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		if ((r = handle_opt(c, opt, optarg)) >= 0)
			return r;
	c->first_arg = optind;
	if (strcmp(c->sub, "accept") != 0 && optind < argc) {
		fprintf(stderr, "segwatch baseline %s: unexpected argument '%s'\n"
		        "Try 'segwatch baseline --help'.\n", c->sub, argv[optind]);
		return 2;
	}
	return check_args(c, argc);
}

/* ---- the database ---- */

/* Reports a failed store call. Exit status: 2 when the input is at
 * fault (no usable database at --db, an unknown or unacceptable anomaly),
 * 1 for a failure of the database at work (busy, disk full, memory). */
static int store_error(const struct bl_cli *c, const struct sw_err *err, bool opening)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	fprintf(stderr, "segwatch baseline %s: %s\n", c->sub, sw_err_format(err, buf, sizeof(buf)));
	switch (err->status) {
	case SW_ERR_NOTFOUND:
	case SW_ERR_INVALID:
	case SW_ERR_PARSE:
	case SW_ERR_UNSUPPORTED:
		return 2;
	case SW_ERR_IO:
		return opening ? 2 : 1;
	default:
		return 1;
	}
}

static struct sw_store *open_db(const struct bl_cli *c, bool read_only, int *status)
{
	struct sw_store_config cfg = { .read_only = read_only, .notice = cli_notice };
	struct sw_err err;
	struct sw_store *st;

	sw_err_clear(&err);
	st = sw_store_open(c->db, &cfg, &err);
	if (st == NULL)
		*status = store_error(c, &err, true);
	return st;
}

static const char *proto_text(uint8_t proto, char *buf, size_t len)
{
	const char *name = sw_proto_name(proto);

	if (name != NULL)
		return name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* RFC 3339 to the second, for tables. */
static const char *short_time(uint64_t ns, char *buf, size_t len)
{
	char *dot;

	sw_format_time(ns, buf, len);
	dot = strchr(buf, '.');
	if (dot != NULL) {
		dot[0] = 'Z';
		dot[1] = '\0';
	}
	return buf;
}

static json_t *json_time(uint64_t ns)
{
	char buf[SW_TIME_STRLEN];

	return json_string(sw_format_time(ns, buf, sizeof(buf)));
}

/* ---- show ---- */

struct show {
	json_t *arr;             /* JSON output, or NULL for the table */
	size_t n;
	bool nomem;
	int64_t last_id;
};

static json_t *edge_json(const struct sw_store_edge *se)
{
	const struct sw_baseline_edge *e = &se->e;
	char pb[8];

	return json_pack("{s:I, s:s, s:s, s:s, s:i, s:s?, s:s?, s:o, s:o, s:I, s:I, s:I, s:f,"
	                 " s:f, s:s}",
	                 "id", (json_int_t)se->id, "src", e->src, "dst", e->dst,
	                 "proto", proto_text(e->proto, pb, sizeof(pb)), "port", (int)e->port,
	                 "src_ns", e->src_ns, "dst_ns", e->dst_ns,
	                 "first_seen", json_time(e->first_seen_ns),
	                 "last_seen", json_time(e->last_seen_ns),
	                 "flows", (json_int_t)e->flows, "bytes", (json_int_t)e->bytes,
	                 "intervals", (json_int_t)e->intervals, "bytes_mean", e->bytes_mean,
	                 "bytes_stddev", sw_baseline_edge_stddev(e),
	                 "origin", e->origin ? e->origin : "learned");
}

static enum sw_status show_edge(void *ctx, const struct sw_store_edge *se)
{
	struct show *s = ctx;
	const struct sw_baseline_edge *e = &se->e;
	char pb[8], tb[SW_TIME_STRLEN];

	s->n++;
	s->last_id = se->id;
	if (s->arr != NULL) {
		if (json_array_append_new(s->arr, edge_json(se)) != 0) {
			s->nomem = true;
			return SW_ERR_NOMEM;
		}
		return SW_OK;
	}
	printf("%-28s %-28s %5s/%-5u %8" PRIu64 " %12" PRIu64 " %12.0f %12.0f %6" PRIu64
	       " %-8s %s\n", e->src, e->dst, proto_text(e->proto, pb, sizeof(pb)), e->port,
	       e->flows, e->bytes, e->bytes_mean, sw_baseline_edge_stddev(e), e->intervals,
	       e->origin ? e->origin : "learned", short_time(e->last_seen_ns, tb, sizeof(tb)));
	return SW_OK;
}

static int print_json(json_t *arr)
{
	int rc = json_dumpf(arr, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;

	json_decref(arr);
	putchar('\n');
	if (rc != 0 || fflush(stdout) != 0) {
		fputs("segwatch baseline: cannot write the report to stdout\n", stderr);
		return 1;
	}
	return 0;
}

static int cmd_show(const struct bl_cli *c)
{
	struct show s = {0};
	struct sw_store_efilter f = {0};
	struct sw_store *st;
	struct sw_err err;
	int status = 0;
	bool more = true;

	if ((st = open_db(c, true, &status)) == NULL)
		return status;
	if (c->json && (s.arr = json_array()) == NULL)
		s.nomem = true;
	if (!c->json)
		printf("%-28s %-28s %11s %8s %12s %12s %12s %6s %-8s %s\n", "SOURCE", "DESTINATION",
		       "PROTO/PORT", "FLOWS", "BYTES", "MEAN/IVL", "STDDEV", "IVLS", "ORIGIN",
		       "LAST SEEN");
	f.limit = PAGE;
	sw_err_clear(&err);
	while (status == 0 && more && !s.nomem) {
		if (sw_store_list_edges(st, &f, show_edge, &s, &more, &err) != SW_OK && !s.nomem)
			status = store_error(c, &err, false);
		f.cursor_id = s.last_id;
	}
	sw_store_close(st);
	if (s.nomem) {
		json_decref(s.arr);
		fputs("segwatch baseline show: out of memory\n", stderr);
		return 1;
	}
	if (status != 0) {
		json_decref(s.arr);
		return status;
	}
	if (c->json)
		return print_json(s.arr);
	fprintf(stderr, "segwatch baseline: %zu edges in %s\n", s.n, c->db);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- reset ---- */

static int cmd_reset(const struct bl_cli *c)
{
	struct sw_store *st;
	struct sw_err err;
	uint64_t deleted = 0;
	int status = 0;

	if (!c->yes) {
		fprintf(stderr, "segwatch baseline reset: this deletes every baseline edge of %s; "
		        "give --yes to confirm\n", c->db);
		return 2;
	}
	if ((st = open_db(c, false, &status)) == NULL)
		return status;
	sw_err_clear(&err);
	if (sw_store_reset_baseline(st, &deleted, &err) != SW_OK)
		status = store_error(c, &err, false);
	sw_store_close(st);
	if (status == 0)
		printf("deleted %" PRIu64 " baseline edges from %s\n", deleted, c->db);
	return status;
}

/* ---- expire ---- */

static int cmd_expire(const struct bl_cli *c)
{
	struct sw_store *st;
	struct sw_err err;
	uint64_t deleted = 0;
	int status = 0;

	if ((st = open_db(c, false, &status)) == NULL)
		return status;
	sw_err_clear(&err);
	if (sw_store_expire_baseline(st, c->older_than_ns, &deleted, &err) != SW_OK)
		status = store_error(c, &err, false);
	sw_store_close(st);
	if (status == 0)
		printf("expired %" PRIu64 " baseline edges from %s\n", deleted, c->db);
	return status;
}

/* ---- anomalies ---- */

struct listing {
	json_t *arr;
	bool nomem;
	size_t n;
};

static json_t *anomaly_json(const struct sw_store_anomaly *a)
{
	char pb[8];
	json_t *ev = json_loads(a->evidence, 0, NULL);

	if (ev == NULL)
		ev = json_object();
	return json_pack("{s:I, s:s, s:o, s:s, s:s?, s:o, s:o, s:s?, s:s?, s:o, s:o, s:s,"
	                 " s:o, s:s?}",
	                 "id", (json_int_t)a->id, "kind", sw_anomaly_kind_name(a->kind),
	                 "detected", json_time(a->detected_ns), "src", a->src, "dst", a->dst,
	                 "proto", a->has_port ? json_string(proto_text(a->proto, pb, sizeof(pb)))
	                                      : json_null(),
	                 "port", a->has_port ? json_integer(a->port) : json_null(),
	                 "src_ns", a->src_ns, "dst_ns", a->dst_ns,
	                 "score", a->has_score ? json_real(a->score) : json_null(),
	                 "evidence", ev, "state", sw_anomaly_state_name(a->state),
	                 "state_changed", a->state_changed_ns ? json_time(a->state_changed_ns)
	                                                      : json_null(),
	                 "state_by", a->state_by);
}

static void list_one(void *ctx, const struct sw_store_anomaly *a)
{
	struct listing *l = ctx;
	char pp[16], pb[8], tb[SW_TIME_STRLEN];

	l->n++;
	if (l->arr != NULL) {
		if (json_array_append_new(l->arr, anomaly_json(a)) != 0)
			l->nomem = true;
		return;
	}
	if (a->has_port)
		snprintf(pp, sizeof(pp), "%s/%u", proto_text(a->proto, pb, sizeof(pb)), a->port);
	else
		snprintf(pp, sizeof(pp), "-");
	printf("%6" PRId64 " %s %-12s %-28s %-28s %-11s %8.2f %s\n", a->id,
	       short_time(a->detected_ns, tb, sizeof(tb)), sw_anomaly_kind_name(a->kind), a->src,
	       a->dst ? a->dst : "-", pp, a->has_score ? a->score : 0.0,
	       sw_anomaly_state_name(a->state));
}

static int cmd_anomalies(const struct bl_cli *c)
{
	struct listing l = {0};
	struct sw_store_afilter f = {0};
	struct sw_store *st;
	struct sw_err err;
	int status = 0;
	bool more = false;

	if ((st = open_db(c, true, &status)) == NULL)
		return status;
	f.has_kind = c->has_kind;
	f.kind = c->kind;
	f.has_state = c->has_state;
	f.state = c->state;
	f.limit = c->limit;
	if (c->json && (l.arr = json_array()) == NULL)
		l.nomem = true;
	if (!c->json)
		printf("%6s %-20s %-12s %-28s %-28s %-11s %8s %s\n", "ID", "DETECTED", "KIND",
		       "SOURCE", "DESTINATION", "PROTO/PORT", "SCORE", "STATE");
	sw_err_clear(&err);
	if (!l.nomem && sw_store_list_anomalies(st, &f, list_one, &l, &more, &err) != SW_OK)
		status = store_error(c, &err, false);
	sw_store_close(st);
	if (l.nomem || status != 0) {
		json_decref(l.arr);
		if (l.nomem)
			fputs("segwatch baseline anomalies: out of memory\n", stderr);
		return l.nomem ? 1 : status;
	}
	if (more)
		fprintf(stderr, "segwatch baseline: showing the newest %zu anomalies; "
		        "more with --limit\n", l.n);
	if (c->json)
		return print_json(l.arr);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- accept ---- */

static uint64_t wall_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_accepted(void *ctx, const struct sw_store_anomaly *a)
{
	char pb[8];

	(void)ctx;
	printf("accepted anomaly %" PRId64 " (%s): %s -> %s %s/%u\n", a->id,
	       sw_anomaly_kind_name(a->kind), a->src, a->dst ? a->dst : "-",
	       proto_text(a->proto, pb, sizeof(pb)), a->port);
}

/* Parses every id first: a typo accepts nothing. */
static int parse_ids(const struct bl_cli *c, int argc, char **argv, int64_t *ids)
{
	for (int i = c->first_arg; i < argc; i++) {
		uint64_t v;
		if (sw_parse_u64(argv[i], strlen(argv[i]), 1, INT64_MAX, &v) != SW_OK) {
			fprintf(stderr, "segwatch baseline accept: expected an anomaly id (a number "
			        "from 1), got '%s'\n", argv[i]);
			return 2;
		}
		ids[i - c->first_arg] = (int64_t)v;
	}
	return -1;
}

static int accept_all(const struct bl_cli *c, struct sw_store *st, const int64_t *ids,
                      size_t n)
{
	const char *who = getenv("USER");
	uint64_t now = wall_ns();
	struct sw_err err;

	sw_err_clear(&err);
	if (sw_store_begin_batch(st, &err) != SW_OK)
		return store_error(c, &err, false);
	for (size_t i = 0; i < n; i++)
		if (sw_store_set_anomaly_state(st, ids[i], SW_ANOMALY_ACCEPTED,
		                               who && *who ? who : "cli", now, &err) != SW_OK) {
			sw_store_rollback_batch(st);
			fprintf(stderr, "segwatch baseline accept: nothing accepted\n");
			return store_error(c, &err, false);
		}
	if (sw_store_commit_batch(st, &err) != SW_OK)
		return store_error(c, &err, false);
	for (size_t i = 0; i < n; i++)
		if (sw_store_get_anomaly(st, ids[i], print_accepted, NULL, &err) != SW_OK)
			return store_error(c, &err, false);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_accept(const struct bl_cli *c, int argc, char **argv)
{
	size_t n = (size_t)(argc - c->first_arg);
	int64_t *ids = calloc(n, sizeof(*ids));
	struct sw_store *st;
	int status;

	if (ids == NULL) {
		fputs("segwatch baseline accept: out of memory\n", stderr);
		return 1;
	}
	status = parse_ids(c, argc, argv, ids);
	if (status < 0 && (st = open_db(c, false, &status)) != NULL) {
		status = accept_all(c, st, ids, n);
		sw_store_close(st);
	}
	free(ids);
	return status;
}

/* ---- dispatch ---- */

int cmd_baseline(int argc, char **argv)
{
	struct bl_cli c;
	int r;

	if (argc < 2) {
		fputs(baseline_usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(baseline_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "learn") == 0)
		return cmd_baseline_learn(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "reset") != 0 &&
	    strcmp(argv[1], "expire") != 0 && strcmp(argv[1], "accept") != 0 &&
	    strcmp(argv[1], "anomalies") != 0)
		return usage_error("unknown subcommand '%s' (learn, show, reset, expire, anomalies, "
		                   "accept)", argv[1]);
	memset(&c, 0, sizeof(c));
	if ((r = parse_args(&c, argc - 1, argv + 1)) >= 0)
		return r;
	if (strcmp(c.sub, "show") == 0)
		return cmd_show(&c);
	if (strcmp(c.sub, "reset") == 0)
		return cmd_reset(&c);
	if (strcmp(c.sub, "expire") == 0)
		return cmd_expire(&c);
	if (strcmp(c.sub, "anomalies") == 0)
		return cmd_anomalies(&c);
	return cmd_accept(&c, argc - 1, argv + 1);
}
