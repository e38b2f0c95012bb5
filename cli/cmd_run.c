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
#include "segwatch/sched.h"
#include "segwatch/textparse.h"
#include "web_opts.h"

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
	"      --eve FILE|-         append one EVE JSON line per new violation and\n"
	"                           anomaly\n"
	"Baseline and anomalies:\n"
	"      --learn DUR|all      learn the edges seen (source, destination,\n"
	"                           protocol, port; flows, bytes per interval) for\n"
	"                           DUR from the first flow, or for the whole run,\n"
	"                           adding to the stored baseline; then detect\n"
	"      --no-baseline        neither learn nor detect anomalies\n"
	"      --interval DUR       volume sampling interval (default 60s)\n"
	"      --volume-k K         volume anomaly above mean + K standard\n"
	"                           deviations (default 3)\n"
	"      --fanout N/DUR       fan-out anomaly: one source reaching more than N\n"
	"                           destinations or ports within DUR (default 50/60s)\n"
	"Detection needs a baseline (learned now or by earlier runs) except\n"
	"fan-out, which is always on.\n"
	"Web (dashboard, JSON API, /metrics) while monitoring:\n"
	WEB_HELP
	"                           with capture files only, serving goes on after\n"
	"                           the files end, until SIGINT/SIGTERM\n"
	"  -q, --quiet              no loader warnings, no database upgrade notice,\n"
	"                           no summary line\n"
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
	OPT_MAX_VIOLATIONS, OPT_EVE, OPT_CONFIG, OPT_LEARN, OPT_NO_BASELINE, OPT_INTERVAL,
	OPT_VOLUME_K, OPT_FANOUT
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
	{"learn", required_argument, NULL, OPT_LEARN},
	{"no-baseline", no_argument, NULL, OPT_NO_BASELINE},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"volume-k", required_argument, NULL, OPT_VOLUME_K},
	{"fanout", required_argument, NULL, OPT_FANOUT},
	WEB_LONG_OPTS,
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
	bool no_baseline;
	struct sw_baseline_config bl;
	struct web_opts web;
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

static int parse_learn(struct run_cli *c, const char *arg)
{
	if (strcmp(arg, "all") == 0) {
		c->bl.learn_ns = SW_BASELINE_LEARN_ALL;
		return -1;
	}
	return parse_duration_opt("learn", arg, 1, &c->bl.learn_ns);
}

static int parse_k(struct run_cli *c, const char *arg)
{
	uint64_t tenths;
	size_t int_len;
	const char *frac = sw_split(arg, '.', &int_len);
	uint64_t whole, f = 0;

	/* K as a decimal with at most one fractional digit: 3, 2.5 */
	if (sw_parse_u64(arg, int_len, 0, 1000, &whole) != SW_OK ||
	    (frac != NULL && sw_parse_u64(frac, strlen(frac), 0, 9, &f) != SW_OK) ||
	    (frac != NULL && strlen(frac) != 1) || (tenths = whole * 10 + f) == 0) {
		fprintf(stderr, "segwatch run: --volume-k: expected a number such as 3 or 2.5, "
		        "got '%s'\n", arg);
		return 2;
	}
	c->bl.volume_k = (double)tenths / 10.0;
	return -1;
}

static int parse_fanout(struct run_cli *c, const char *arg)
{
	size_t n_len;
	const char *dur = sw_split(arg, '/', &n_len);
	uint64_t n;

	if (dur == NULL || sw_parse_u64(arg, n_len, 1, SW_BASELINE_FANOUT_MAX, &n) != SW_OK ||
	    sw_parse_duration(dur, &c->bl.fanout_window_ns) != SW_OK ||
	    c->bl.fanout_window_ns == 0) {
		fprintf(stderr, "segwatch run: --fanout: expected N/DURATION such as 50/60s "
		        "(N from 1 to %u), got '%s'\n", SW_BASELINE_FANOUT_MAX, arg);
		return 2;
	}
	c->bl.fanout_threshold = (uint32_t)n;
	return -1;
}

/* One option that is not a capture option; -1 to go on, or an exit status. */
static int handle_opt(struct run_cli *c, int opt, int argc, char **argv)
{
	int r = web_opts_handle(&c->web, "run", opt == 'l' ? WEB_OPT_LISTEN : opt, optarg);

	if (r != 0)
		return r > 0 ? -1 : 2;
	switch (opt) {
	case OPT_INVENTORY: return policy_files_take(&c->inv, optarg, true, argc, argv) ? 2 : -1;
	case 'p': return policy_files_take(&c->pol, optarg, true, argc, argv) ? 2 : -1;
	case 'c': return policy_files_take(&c->compose, optarg, true, argc, argv) ? 2 : -1;
	case OPT_DB: c->db = optarg; return -1;
	case OPT_RETAIN: return parse_duration_opt("retain-flows", optarg, 0, &c->retain_ns);
	case OPT_COMMIT: return parse_duration_opt("commit-interval", optarg, 1000000,
	                                           &c->commit_ns);
	case OPT_NO_FLOWS: c->no_flows = true; return -1;
	case OPT_MAX_VIOLATIONS:
		return policy_parse_max_violations("run", optarg, &c->max_violations) ? 2 : -1;
	case OPT_EVE: c->eve = optarg; return -1;
	case OPT_CONFIG: return -1; /* read before parsing */
	case OPT_LEARN: return parse_learn(c, optarg);
	case OPT_NO_BASELINE: c->no_baseline = true; return -1;
	case OPT_INTERVAL: return parse_duration_opt("interval", optarg, 1000000,
	                                             &c->bl.interval_ns);
	case OPT_VOLUME_K: return parse_k(c, optarg);
	case OPT_FANOUT: return parse_fanout(c, optarg);
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
	if (!policy_inputs_given("run", &c->pol, &c->compose))
		return 2;
	if (c->no_baseline && c->bl.learn_ns != 0) {
		fputs("segwatch run: --learn and --no-baseline exclude each other\n", stderr);
		return 2;
	}
	if (!web_opts_valid(&c->web, "run"))
		return 2;
	return capture_opts_valid(&c->cap) ? -1 : 2;
}

static int parse_argv(struct run_cli *c, int argc, char **argv)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, CAPTURE_SHORT_OPTS "p:c:l:qh", run_longopts,
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
	sw_baseline_config_default(&c->bl);
	web_opts_init(&c->web);
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
	struct sw_web *web;
	FILE *eve;
	char sources[512];
};

static void run_state_free(struct run_state *r)
{
	sw_web_stop(r->web); /* before the monitor its live statistics read */
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
	const struct sw_store_config sc = { .notice = c->quiet ? NULL : cli_notice };
	struct sw_err err;

	sw_err_clear(&err);
	r->store = sw_store_open(c->db, &sc, &err);
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

/* A replay of capture files that serves the dashboard runs its capture
 * and writer threads this much nicer than the web server's: a person at
 * the dashboard is answered first, the replay takes the CPU that is left
 * (a replay runs as fast as the CPU allows; a live capture, which must
 * keep up with the wire, is never lowered). */
#define REPLAY_NICE 5

static bool replay_while_serving(const struct run_cli *c)
{
	return capture_opts_files_only(&c->cap) && c->web.listen_given;
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
	mc.block_when_full = capture_opts_files_only(&c->cap);
	mc.live = !mc.block_when_full;
	mc.writer_nice = replay_while_serving(c) ? REPLAY_NICE : 0;
	mc.baseline_on = !c->no_baseline;
	mc.baseline = c->bl;
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
	if (s.vt.overflow_flows)
		fprintf(stderr, "segwatch: %" PRIu64 " denied flows of further violations not "
		        "recorded: --max-violations reached\n", s.vt.overflow_flows);
}

/* Whether something was lost (memory, backlog, a failing database); said
 * on stderr even with --quiet. */
static bool lost_something(struct sw_monitor *mon)
{
	struct sw_monitor_stats s;

	sw_monitor_stats(mon, &s);
	if (s.store_dropped)
		fprintf(stderr, "segwatch: %" PRIu64 " records (flows, violation updates, baseline "
		        "edges, anomalies) could not be stored: backlog full, database failing or "
		        "out of memory\n", s.store_dropped);
	if (s.vt.nomem_flows == 0 && s.vt.explain_failures == 0 && s.bl.nomem == 0)
		return s.store_dropped != 0;
	fprintf(stderr, "segwatch: out of memory: %" PRIu64 " denied flows not followed, %" PRIu64
	        " violations without explanation, %" PRIu64 " baseline updates lost\n",
	        s.vt.nomem_flows, s.vt.explain_failures, s.bl.nomem);
	return true;
}

/* The web server's view of the run (called from its threads). */
static void live_stats(void *ctx, struct sw_web_live *out)
{
	struct run_state *r = ctx;
	struct sw_monitor_stats s;

	sw_monitor_stats(r->mon, &s);
	memset(out, 0, sizeof(*out));
	out->started_ns = s.started_ns;
	snprintf(out->sources, sizeof(out->sources), "%.255s", r->sources);
	out->frames = s.cap.frames;
	out->packets = s.cap.decoded;
	memcpy(out->drops, s.cap.dropped, sizeof(out->drops));
	out->flows_active = s.ft.flows_active;
	out->flows_ended = s.ft.flows_ended;
	out->flows_judged = s.vt.flows_judged;
	memcpy(out->denied_flows, s.vt.by_reason, sizeof(out->denied_flows));
	memcpy(out->anomalies, s.bl.anomalies, sizeof(out->anomalies));
	out->store_backlog = s.store_backlog;
	out->store_failed_batches = s.store_failed_batches;
	out->store_dropped = s.store_dropped;
}

/* Binds the web server (before privileges are dropped). */
static int open_web(struct run_cli *c, struct run_state *r)
{
	if (!c->web.listen_given)
		return -1;
	c->web.web.live = live_stats;
	c->web.web.live_ctx = r;
	r->web = web_opts_open(&c->web, "run", c->db);
	return r->web ? -1 : 2;
}

/* Captures until the end or a signal; returns the exit status. */
static int capture_and_store(struct run_cli *c, struct run_state *r)
{
	struct sw_err err;
	enum sw_status cap_st, fin_st;

	sw_err_clear(&err);
	if (sw_monitor_start(r->mon, r->sources, &err) != SW_OK) {
		cli_print_err(&err);
		return 2;
	}
	if (r->web != NULL && sw_web_run(r->web, &err) != SW_OK) {
		fprintf(stderr, "segwatch run: %s\n", err.msg);
		return 1;
	}
	if (r->web != NULL && !c->quiet)
		fprintf(stderr, "segwatch: dashboard and API on %s://%s (port %u)\n",
		        c->web.web.tls_cert_file ? "https" : "http",
		        c->web.web.listen ? c->web.web.listen : SW_WEB_LISTEN_DEFAULT,
		        sw_web_port(r->web));
	/* the web server's threads exist by now, at the priority they keep */
	if (replay_while_serving(c) && sw_sched_lower_thread(REPLAY_NICE, &err) != SW_OK)
		cli_warn(NULL, &err);
	sw_err_clear(&err);
	cap_st = sw_capture_run(r->cap, &segwatch_stop, cli_warn, NULL, &err);
	sw_flowtable_flush(sw_monitor_flowtable(r->mon),
	                   segwatch_stop ? SW_END_SHUTDOWN : SW_END_OF_INPUT);
	sw_err_clear(&err);
	fin_st = sw_monitor_finish(r->mon, &err);
	if (fin_st != SW_OK)
		cli_print_err(&err);
	print_summary(c, r->mon);
	if (lost_something(r->mon))
		fin_st = SW_ERR_NOMEM;
	if (r->web != NULL && capture_opts_files_only(&c->cap) && !segwatch_stop) {
		if (!c->quiet)
			fputs("segwatch: the capture files are done; serving until SIGINT/SIGTERM\n",
			      stderr);
		cli_wait_for_stop();
	}
	return cap_st != SW_OK || fin_st != SW_OK ? 1 : 0;
}

static int run(struct run_cli *c, const struct policy_inputs *in)
{
	struct run_state r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = open_outputs(c, &r);
	if (rc < 0)
		rc = build_pipeline(c, in, &r);
	if (rc < 0)
		rc = open_web(c, &r);
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
	if (rc < 0 && !web_opts_read_token(&c.web, "run"))
		rc = 2;
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
	web_opts_clear(&c.web);
	return rc;
}

/* `segwatch baseline learn ...`: a run that learns from its whole input
 * (argv[0] is "learn"). */
int cmd_baseline_learn(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 3, sizeof(char *));
	char learn[] = "--learn=all";
	int rc;

	if (args == NULL) {
		fputs("segwatch: out of memory\n", stderr);
		return 1;
	}
	memcpy(args, argv, (size_t)argc * sizeof(char *));
	args[argc] = learn;
	rc = cmd_run(argc + 1, args);
	free(args);
	return rc;
}
