/*
 * cmd_run.c - `segwatch run`: the main job. Captures (interfaces, NFLOG
 * groups, files), judges every flow when it starts, and stores flows,
 * violations and statistics in SQLite through the monitor's writer
 * thread; optionally writes EVE JSON Lines.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_opts.h"
#include "commands.h"
#include "config_file.h"
#include "policy_inputs.h"
#include "segwatch/monitor.h"
#include "segwatch/textparse.h"

static const char run_usage[] =
	"Usage: segwatch run (-i IFACE | --nflog GROUP | -r FILE)... --inventory FILE...\n"
	"                    (--policy FILE... | --compose FILE...) [--db FILE] [options]\n"
	"Monitors continuously: every flow is judged against the policies when it\n"
	"starts; violations (one per source, destination, protocol, port, reason),\n"
	"ended flows and capture statistics go to the SQLite database, committed at\n"
	"least every half second by a writer thread that never holds up capture.\n\n"
	"Policy inputs (one option may be followed by several files):\n"
	"      --inventory FILE...  inventory: Kubernetes objects, native form or\n"
	"                           docker network inspect JSON\n"
	"  -p, --policy FILE...     NetworkPolicy files (YAML or JSON)\n"
	"  -c, --compose FILE...    docker-compose files\n"
	CAPTURE_HELP
	"Storage and events:\n"
	"      --db FILE            the database (default segwatch.db; created)\n"
	"      --retain-flows DUR   keep ended flows this long (default 7d; 0 = for\n"
	"                           ever), measured against the newest flow\n"
	"      --no-flows           store violations and statistics, not flows\n"
	"      --commit-interval DUR  longest time between commits (default 500ms)\n"
	"      --max-violations N   distinct violations held (default 65536)\n"
	"      --eve FILE|-         append one EVE JSON line per new violation\n"
	"  -q, --quiet              no loader warnings, no summary line\n"
	"      --config FILE        settings from a YAML mapping of these long\n"
	"                           options (e.g. `interface: eth1`, `policy: [a, b]`);\n"
	"                           the command line adds to and overrides it\n"
	"  -h, --help               this text\n"
	"Stops at the end of the files, or on SIGINT/SIGTERM for live sources,\n"
	"storing every flow still open (end_reason shutdown).\n"
	"Exit status: 0 done, 1 a source or the database failed during the run\n"
	"(what was stored is kept), 2 bad usage or bad input.\n";

enum {
	OPT_INVENTORY = CAPTURE_OPT_LAST, OPT_DB, OPT_RETAIN, OPT_NO_FLOWS, OPT_COMMIT,
	OPT_MAX_VIOLATIONS, OPT_EVE, OPT_CONFIG
};

static const struct option run_longopts[] = {
	CAPTURE_LONG_OPTS,
	{"inventory", required_argument, NULL, OPT_INVENTORY},
	{"policy", required_argument, NULL, 'p'},
	{"compose", required_argument, NULL, 'c'},
	{"db", required_argument, NULL, OPT_DB},
	{"retain-flows", required_argument, NULL, OPT_RETAIN},
	{"no-flows", no_argument, NULL, OPT_NO_FLOWS},
	{"commit-interval", required_argument, NULL, OPT_COMMIT},
	{"max-violations", required_argument, NULL, OPT_MAX_VIOLATIONS},
	{"eve", required_argument, NULL, OPT_EVE},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

#define RETAIN_DEFAULT_NS (7ull * 86400 * 1000000000ull)

struct run_cli {
	struct capture_opts cap;
	struct policy_files inv, pol, compose;
	const char *db;
	const char *eve;
	uint64_t retain_ns;
	uint64_t commit_ns;
	size_t max_violations;
	bool no_flows;
	bool quiet;
};

/* ---- arguments ---- */

static int parse_duration_opt(const char *name, const char *arg, uint64_t min, uint64_t *out)
{
	if (sw_parse_duration(arg, out) != SW_OK || *out < min) {
		fprintf(stderr, "segwatch run: --%s: expected a duration such as 500ms, 30s, 7d, "
		        "got '%s'\n", name, arg);
		return 2;
	}
	return -1;
}

static int parse_max(struct run_cli *c, const char *arg)
{
	uint64_t v;

	if (sw_parse_u64(arg, strlen(arg), 1, SW_VIOLATIONS_LIMIT, &v) != SW_OK) {
		fprintf(stderr, "segwatch run: --max-violations: expected a number from 1 to %u, "
		        "got '%s'\n", SW_VIOLATIONS_LIMIT, arg);
		return 2;
	}
	c->max_violations = (size_t)v;
	return -1;
}

/* One option that is not a capture option; -1 to go on, or an exit status. */
static int handle_opt(struct run_cli *c, int opt, int argc, char **argv)
{
	switch (opt) {
	case OPT_INVENTORY: return policy_files_take(&c->inv, optarg, true, argc, argv) ? 2 : -1;
	case 'p': return policy_files_take(&c->pol, optarg, true, argc, argv) ? 2 : -1;
	case 'c': return policy_files_take(&c->compose, optarg, true, argc, argv) ? 2 : -1;
	case OPT_DB: c->db = optarg; return -1;
	case OPT_RETAIN: return parse_duration_opt("retain-flows", optarg, 0, &c->retain_ns);
	case OPT_COMMIT: return parse_duration_opt("commit-interval", optarg, 1000000,
	                                           &c->commit_ns);
	case OPT_NO_FLOWS: c->no_flows = true; return -1;
	case OPT_MAX_VIOLATIONS: return parse_max(c, optarg);
	case OPT_EVE: c->eve = optarg; return -1;
	case OPT_CONFIG: return -1; /* read before parsing */
	case 'q': c->quiet = true; return -1;
	case 'h': fputs(run_usage, stdout); return 0;
	}
	fputs("Try 'segwatch run --help'.\n", stderr);
	return 2;
}

static int check_args(const struct run_cli *c, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "segwatch run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (c->pol.n + c->compose.n == 0) {
		fputs("segwatch run: no policy: give --policy FILE or --compose FILE\n"
		      "Try 'segwatch run --help'.\n", stderr);
		return 2;
	}
	return capture_opts_valid(&c->cap) ? -1 : 2;
}

static int parse_argv(struct run_cli *c, int argc, char **argv)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, CAPTURE_SHORT_OPTS "p:c:qh", run_longopts,
	                          NULL)) != -1) {
		int r = capture_opts_handle(&c->cap, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		r = handle_opt(c, opt, argc, argv);
		if (r >= 0)
			return r;
	}
	return check_args(c, argc, argv);
}

/* The config file's settings, then the command line. *all (freed by the
 * caller with config_file_args_free(*all_args... )) holds the combined
 * argv. Returns -1 to go on, or an exit status. */
static int parse_args(struct run_cli *c, int argc, char **argv, char ***cfg_args, int *n_cfg,
                      char ***all)
{
	const char *path = config_file_find(argc, argv);

	capture_opts_init(&c->cap);
	c->db = "segwatch.db";
	c->retain_ns = RETAIN_DEFAULT_NS;
	*cfg_args = NULL;
	*n_cfg = 0;
	*all = NULL;
	if (path == NULL)
		return parse_argv(c, argc, argv);
	if (config_file_args(path, run_longopts, cfg_args, n_cfg) != 0)
		return 2;
	*all = calloc((size_t)(argc + *n_cfg + 1), sizeof(char *));
	if (*all == NULL) {
		fputs("segwatch: out of memory\n", stderr);
		return 2;
	}
	(*all)[0] = argv[0];
	memcpy(*all + 1, *cfg_args, (size_t)*n_cfg * sizeof(char *));
	memcpy(*all + 1 + *n_cfg, argv + 1, (size_t)(argc - 1) * sizeof(char *));
	return parse_argv(c, argc + *n_cfg, *all);
}

/* ---- the run ---- */

struct run_state {
	struct sw_store *store;
	struct sw_monitor *mon;
	struct sw_capture *cap;
	FILE *eve;
	char sources[512];
};

static void run_state_free(struct run_state *r)
{
	sw_capture_free(r->cap); /* before the flow table it borrows */
	sw_monitor_free(r->mon);
	sw_store_close(r->store);
	if (r->eve != NULL && r->eve != stdout)
		fclose(r->eve);
}

/* "pcap:eth1 nflog:5 file:x.pcap" for the runs table. */
static void describe_sources(const struct capture_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->n_ifaces && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%spcap:%s", n ? " " : "", o->ifaces[i]);
	for (int i = 0; i < o->n_nflog && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%snflog:%u", n ? " " : "",
		                      o->nflog_groups[i]);
	for (int i = 0; i < o->n_files && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%sfile:%s", n ? " " : "", o->files[i]);
}

static int open_outputs(const struct run_cli *c, struct run_state *r)
{
	struct sw_err err;

	sw_err_clear(&err);
	r->store = sw_store_open(c->db, NULL, &err);
	if (r->store == NULL) {
		cli_print_err(&err);
		return 2;
	}
	if (c->eve != NULL) {
		r->eve = strcmp(c->eve, "-") == 0 ? stdout : fopen(c->eve, "a");
		if (r->eve == NULL) {
			fprintf(stderr, "segwatch: cannot write %s: %s\n", c->eve, strerror(errno));
			return 2;
		}
	}
	return -1;
}

static int build_pipeline(const struct run_cli *c, const struct policy_inputs *in,
                          struct run_state *r)
{
	struct sw_monitor_config mc;
	struct sw_err err;

	memset(&mc, 0, sizeof(mc));
	mc.m = in->m;
	mc.store = r->store;
	mc.ft = c->cap.ft;
	mc.max_violations = c->max_violations;
	mc.eve = r->eve;
	mc.commit_interval_ns = c->commit_ns;
	mc.retain_flows_ns = c->retain_ns;
	mc.no_flows = c->no_flows;
	mc.block_when_full = c->cap.n_ifaces + c->cap.n_nflog == 0;
	mc.warn = cli_warn;
	sw_err_clear(&err);
	r->mon = sw_monitor_new(&mc, &err);
	r->cap = r->mon ? sw_capture_new(sw_monitor_flowtable(r->mon), &err) : NULL;
	if (r->cap == NULL) {
		cli_print_err(&err);
		return 2;
	}
	if (capture_opts_open(&c->cap, r->cap) != SW_OK)
		return 2;
	sw_monitor_attach(r->mon, r->cap);
	describe_sources(&c->cap, r->sources, sizeof(r->sources));
	return -1;
}

static void print_summary(const struct run_cli *c, struct sw_monitor *mon)
{
	struct sw_monitor_stats s;

	if (c->quiet)
		return;
	sw_monitor_stats(mon, &s);
	fprintf(stderr, "segwatch: %" PRIu64 " packets, %" PRIu64 " flows judged: %" PRIu64
	        " allowed, %" PRIu64 " denied; %" PRIu64 " violation%s; stored %" PRIu64
	        " flows in %" PRIu64 " commits to %s\n", s.cap.frames, s.vt.flows_judged,
	        s.vt.allowed, s.vt.denied, s.vt.violations, s.vt.violations == 1 ? "" : "s",
	        s.flows_stored, s.store_batches, c->db);
	if (s.store_dropped)
		fprintf(stderr, "segwatch: %" PRIu64 " flow records could not be stored "
		        "(backlog full or database failing)\n", s.store_dropped);
	if (s.vt.overflow_flows)
		fprintf(stderr, "segwatch: %" PRIu64 " denied flows of further violations not "
		        "recorded: --max-violations reached\n", s.vt.overflow_flows);
}

/* Captures until the end or a signal; returns the exit status. */
static int capture_and_store(const struct run_cli *c, struct run_state *r)
{
	struct sw_err err;
	enum sw_status cap_st, fin_st;

	sw_err_clear(&err);
	if (sw_monitor_start(r->mon, r->sources, &err) != SW_OK) {
		cli_print_err(&err);
		return 2;
	}
	cap_st = sw_capture_run(r->cap, &segwatch_stop, cli_warn, NULL, &err);
	sw_flowtable_flush(sw_monitor_flowtable(r->mon),
	                   segwatch_stop ? SW_END_SHUTDOWN : SW_END_OF_INPUT);
	sw_err_clear(&err);
	fin_st = sw_monitor_finish(r->mon, &err);
	if (fin_st != SW_OK)
		cli_print_err(&err);
	print_summary(c, r->mon);
	return cap_st != SW_OK || fin_st != SW_OK ? 1 : 0;
}

static int run(const struct run_cli *c, const struct policy_inputs *in)
{
	struct run_state r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = open_outputs(c, &r);
	if (rc < 0)
		rc = build_pipeline(c, in, &r);
	if (rc < 0 && capture_opts_drop_privileges(&c->cap) != SW_OK)
		rc = 2;
	if (rc < 0)
		rc = capture_and_store(c, &r);
	run_state_free(&r);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_cli c;
	struct policy_inputs in = {NULL, NULL, NULL};
	char **cfg_args, **all;
	int n_cfg, rc;

	memset(&c, 0, sizeof(c));
	rc = parse_args(&c, argc, argv, &cfg_args, &n_cfg, &all);
	if (rc < 0 && policy_inputs_load(&in, &c.inv, &c.compose, &c.pol, c.quiet) != SW_OK)
		rc = 2;
	if (rc < 0)
		rc = run(&c, &in);
	policy_inputs_free(&in);
	policy_files_free(&c.inv);
	policy_files_free(&c.pol);
	policy_files_free(&c.compose);
	free(all);
	config_file_args_free(cfg_args, n_cfg);
	return rc;
}
