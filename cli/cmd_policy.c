/*
 * cmd_policy.c - `segwatch policy`: loads inventories and policies and
 * answers questions about them: `connlist` (every allowed connection),
 * `explain` (the verdict on one connection, and why) and `lint` (posture
 * findings, see segwatch/lint.h) and `suggest` (least-privilege policies
 * from the learned baseline, see segwatch/suggest.h).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands.h"
#include "policy_inputs.h"
#include "segwatch/connlist.h"
#include "segwatch/inventory.h"
#include "segwatch/lint.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/store.h"
#include "segwatch/suggest.h"
#include "segwatch/textparse.h"

static const char policy_usage[] =
	"Usage: segwatch policy connlist [options]\n"
	"       segwatch policy explain [options] SRC DST PROTO[/PORT]\n"
	"       segwatch policy lint [options] [--min-severity info|warning|high]\n"
	"       segwatch policy suggest --db FILE [--inventory FILE...] [--namespace NS...]\n"
	"                               [-o FILE]\n"
	"Loads inventories and NetworkPolicies (and docker-compose files) and\n"
	"answers with exact Kubernetes NetworkPolicy semantics.\n\n"
	"  connlist   print every allowed connection, one line per source,\n"
	"             destination and protocol: SRC DST PROTO PORTS, where SRC and\n"
	"             DST are endpoint ids (ns/name) or ext:FIRST-LAST external\n"
	"             address ranges; sorted in byte order\n"
	"  explain    judge SRC -> DST (endpoint ids or addresses; an endpoint id\n"
	"             stands for its first address) for PROTO tcp, udp, sctp (with\n"
	"             /PORT) or icmp, and say which policies and rules decide it\n"
	"  lint       report posture findings (default deny, over-broad rules, DNS\n"
	"             egress, selectors and named ports that match nothing, rules\n"
	"             that cannot take effect or are redundant), one per line:\n"
	"             FILE:LINE: SEVERITY CHECK-ID: message, then a summary\n"
	"  suggest    write least-privilege NetworkPolicy YAML allowing exactly the\n"
	"             learned baseline edges of the database (plus cluster DNS):\n"
	"             per namespace a default deny, per workload its ingress and\n"
	"             egress, selected by the inventory's labels (the files given,\n"
	"             else the inventory stored in the database)\n\n"
	"Options:\n"
	"  -i, --inventory FILE...  inventory: Kubernetes objects (YAML or JSON) or\n"
	"                           the native form; repeatable\n"
	"  -p, --policy FILE...     NetworkPolicy files; repeatable\n"
	"  -c, --compose FILE...    docker-compose files; repeatable\n"
	"      --format text|json   output format (default text)\n"
	"      --min-severity LEVEL lint: report findings of LEVEL (info, warning,\n"
	"                           high) or above (default warning)\n"
	"  -q, --quiet              do not print loader warnings\n"
	"      --db FILE            suggest: the segwatch database (read only)\n"
	"  -n, --namespace NS...    suggest: write policies for these namespaces only\n"
	"                           (default: every namespace of the inventory)\n"
	"  -o, --output FILE        suggest: write the YAML to FILE (default stdout)\n"
	"  -h, --help               this text\n"
	"With connlist and lint, one option may be followed by several files\n"
	"(--policy a.yaml b.yaml); with explain, repeat the option instead.\n"
	"suggest writes the time from SOURCE_DATE_EPOCH, when set, in its header.\n"
	"Exit status: connlist and suggest 0 ok; explain 0 allowed, 1 denied; lint 0 no\n"
	"finding at or above --min-severity, 1 findings; 1 a runtime failure; 2 bad\n"
	"usage or bad input (with file:line:column).\n";

enum { OPT_FORMAT = 256, OPT_MIN_SEVERITY, OPT_DB };

struct policy_cli {
	bool explain;
	bool lint;
	bool json;
	enum sw_lint_severity min_severity;
	bool quiet;
	struct policy_files inv, pol, compose;
	const char *pos[3];
	size_t n_pos;
};

/* Adds optarg and, for connlist, the file names that follow it. */
static int take_files(struct policy_cli *c, struct policy_files *l, int argc, char **argv)
{
	return policy_files_take(l, optarg, !c->explain, argc, argv);
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct policy_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"inventory", required_argument, NULL, 'i'},
		{"policy", required_argument, NULL, 'p'},
		{"compose", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"min-severity", required_argument, NULL, OPT_MIN_SEVERITY},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:p:c:qh", longopts, NULL)) != -1) {
		int r = 0;
		switch (opt) {
		case 'i': r = take_files(c, &c->inv, argc, argv); break;
		case 'p': r = take_files(c, &c->pol, argc, argv); break;
		case 'c': r = take_files(c, &c->compose, argc, argv); break;
		case 'q': c->quiet = true; break;
		case 'h': fputs(policy_usage, stdout); return 0;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0) {
				c->json = strcmp(optarg, "json") == 0;
				break;
			}
			fprintf(stderr, "segwatch policy: --format: expected text or json, got '%s'\n",
			        optarg);
			return 2;
		case OPT_MIN_SEVERITY:
			if (!c->lint) {
				fputs("segwatch policy: --min-severity applies to lint only\n", stderr);
				return 2;
			}
			if (sw_lint_severity_parse(optarg, &c->min_severity) == SW_OK)
				break;
			fprintf(stderr, "segwatch policy: --min-severity: expected info, warning or "
			        "high, got '%s'\n", optarg);
			return 2;
		default:
			fputs("Try 'segwatch policy --help'.\n", stderr);
			return 2;
		}
		if (r != 0)
			return 1;
	}
	for (; optind < argc; optind++) {
		if (!c->explain || c->n_pos == SW_ARRAY_SIZE(c->pos)) {
			fprintf(stderr, "segwatch policy: unexpected argument '%s'\n", argv[optind]);
			return 2;
		}
		c->pos[c->n_pos++] = argv[optind];
	}
	if (c->explain && c->n_pos != SW_ARRAY_SIZE(c->pos)) {
		fputs("segwatch policy explain: expected SRC DST PROTO[/PORT]\n"
		      "Try 'segwatch policy --help'.\n", stderr);
		return 2;
	}
	if (c->inv.n + c->pol.n + c->compose.n == 0) {
		fputs("segwatch policy: no input: give --inventory, --policy or --compose\n"
		      "Try 'segwatch policy --help'.\n", stderr);
		return 2;
	}
	return -1;
}

/* ---- loading ---- */

static int load_error(const struct sw_err *err)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	fprintf(stderr, "segwatch: %s\n", sw_err_format(err, buf, sizeof(buf)));
	return err->status == SW_ERR_NOMEM ? 1 : 2;
}

/* Inventories first, then compose files (which add endpoints), then
 * policies; then compile (see policy_inputs.h). Returns -1 on success or
 * an exit status. */
static int load_inputs(struct policy_cli *c, struct policy_inputs *in)
{
	enum sw_status st = policy_inputs_load(in, &c->inv, &c->compose, &c->pol, c->quiet);

	return st == SW_OK ? -1 : st == SW_ERR_NOMEM ? 1 : 2;
}

/* ---- connlist ---- */

static int run_connlist(const struct policy_cli *c, const struct policy_inputs *in)
{
	struct sw_connlist *cl = NULL;
	struct sw_err err;
	enum sw_status st;

	if (sw_connlist_build(in->m, &cl, &err) != SW_OK)
		return load_error(&err);
	st = c->json ? sw_connlist_write_json(cl, stdout) : sw_connlist_write_text(cl, stdout);
	sw_connlist_free(cl);
	if (st != SW_OK) {
		fprintf(stderr, "segwatch: writing the connection list: %s\n", sw_status_str(st));
		return 1;
	}
	return 0;
}

/* ---- lint ---- */

static int run_lint(const struct policy_cli *c, const struct policy_inputs *in)
{
	struct sw_lint_report *rep = NULL;
	struct sw_err err;
	enum sw_status st;
	int rc;

	sw_err_clear(&err);
	if (sw_lint_run(in->m, &rep, &err) != SW_OK)
		return load_error(&err);
	st = c->json ? sw_lint_write_json(rep, c->min_severity, stdout)
	             : sw_lint_write_text(rep, c->min_severity, stdout);
	rc = sw_lint_count_at_least(rep, c->min_severity) > 0 ? 1 : 0;
	sw_lint_report_free(rep);
	if (st != SW_OK) {
		fprintf(stderr, "segwatch: writing the lint report: %s\n", sw_status_str(st));
		return 1;
	}
	return rc;
}

/* ---- explain ---- */

/* An endpoint id (its first address) or an address. */
static int resolve(const struct policy_inputs *in, const char *what, const char *text,
                   struct sw_addr *out)
{
	long ep = sw_inventory_find_endpoint(in->inv, text);

	if (ep >= 0) {
		const struct sw_endpoint *e = sw_inventory_endpoint(in->inv, (size_t)ep);
		if (e->n_prefixes == 0) {
			fprintf(stderr, "segwatch policy explain: %s: endpoint %s has no address\n", what,
			        text);
			return -1;
		}
		sw_prefix_first(&e->prefixes[0], out);
		return 0;
	}
	if (sw_addr_parse(text, out) == SW_OK)
		return 0;
	fprintf(stderr, "segwatch policy explain: %s: '%s' is neither an endpoint id nor an "
	        "address\n", what, text);
	return -1;
}

static int parse_proto_port(const char *text, bool v6, uint8_t *proto, uint16_t *port)
{
	static const struct { const char *name; uint8_t proto; bool ported; } protos[] = {
		{"tcp", SW_PROTO_TCP, true},   {"udp", SW_PROTO_UDP, true},
		{"sctp", SW_PROTO_SCTP, true}, {"icmp", SW_PROTO_ICMP, false},
		{"icmpv6", SW_PROTO_ICMPV6, false},
	};
	size_t len;
	const char *num = sw_split(text, '/', &len);
	uint64_t v;

	for (size_t i = 0; i < SW_ARRAY_SIZE(protos); i++) {
		if (strlen(protos[i].name) != len || strncasecmp(text, protos[i].name, len) != 0)
			continue;
		*proto = protos[i].proto;
		*port = 0;
		if (!protos[i].ported) {
			if (*proto == SW_PROTO_ICMP && v6)
				*proto = SW_PROTO_ICMPV6;
			if (num == NULL)
				return 0;
			break;
		}
		if (num == NULL || sw_parse_u64(num, strlen(num), 0, 65535, &v) != SW_OK)
			break;
		*port = (uint16_t)v;
		return 0;
	}
	fprintf(stderr, "segwatch policy explain: PROTO[/PORT]: expected tcp/N, udp/N, sctp/N or "
	        "icmp (N in 0..65535), got '%s'\n", text);
	return -1;
}

static int print_explanation(const struct policy_cli *c, const struct sw_explanation *ex)
{
	if (c->json) {
		json_t *j = sw_explanation_json(ex);
		int bad = j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
		json_decref(j);
		if (bad || fputc('\n', stdout) == EOF)
			return -1;
	} else {
		char *text = sw_explanation_text(ex);
		int bad = text == NULL || fputs(text, stdout) == EOF;
		free(text);
		if (bad)
			return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int run_explain(const struct policy_cli *c, const struct policy_inputs *in)
{
	struct sw_addr src, dst;
	struct sw_explanation *ex = NULL;
	uint8_t proto;
	uint16_t port;
	int rc;

	if (resolve(in, "SRC", c->pos[0], &src) != 0 || resolve(in, "DST", c->pos[1], &dst) != 0 ||
	    parse_proto_port(c->pos[2], !sw_addr_is_v4(&dst), &proto, &port) != 0)
		return 2;
	if (sw_matcher_explain(in->m, &src, &dst, proto, port, &ex) != SW_OK) {
		fputs("segwatch: out of memory\n", stderr);
		return 1;
	}
	rc = ex->j.verdict == SW_VERDICT_ALLOWED ? 0 : 1;
	if (print_explanation(c, ex) != 0) {
		fputs("segwatch: cannot write the explanation\n", stderr);
		rc = 1;
	}
	sw_explanation_free(ex);
	return rc;
}

/* ---- suggest ---- */

struct suggest_cli {
	const char *db;
	const char *out;
	bool quiet;
	struct policy_files inv, ns;
};

/* The edges read from the store, with copies of their strings. */
struct edge_list {
	struct sw_suggest_edge *v;
	size_t n, cap;
};

static int suggest_parse(struct suggest_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"inventory", required_argument, NULL, 'i'},
		{"namespace", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:n:o:qh", longopts, NULL)) != -1) {
		int r = 0;
		switch (opt) {
		case OPT_DB: c->db = optarg; break;
		case 'i': r = policy_files_take(&c->inv, optarg, true, argc, argv); break;
		case 'n': r = policy_files_take(&c->ns, optarg, true, argc, argv); break;
		case 'o': c->out = optarg; break;
		case 'q': c->quiet = true; break;
		case 'h': fputs(policy_usage, stdout); return 0;
		default:
			fputs("Try 'segwatch policy --help'.\n", stderr);
			return 2;
		}
		if (r != 0)
			return 1;
	}
	if (optind < argc) {
		fprintf(stderr, "segwatch policy suggest: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (c->db == NULL) {
		fputs("segwatch policy suggest: give --db FILE\n"
		      "Try 'segwatch policy --help'.\n", stderr);
		return 2;
	}
	return -1;
}

static enum sw_status keep_edge(void *ctx, const struct sw_suggest_edge *e)
{
	struct edge_list *l = ctx;
	struct sw_suggest_edge *ne;

	if (l->n == l->cap) {
		size_t cap = l->cap > 0 ? l->cap * 2 : 64;
		ne = realloc(l->v, cap * sizeof(*ne));
		if (ne == NULL)
			return SW_ERR_NOMEM;
		l->v = ne;
		l->cap = cap;
	}
	ne = &l->v[l->n];
	*ne = *e;
	ne->src = strdup(e->src);
	ne->dst = strdup(e->dst);
	if (ne->src == NULL || ne->dst == NULL) {
		free((void *)(uintptr_t)ne->src);
		free((void *)(uintptr_t)ne->dst);
		return SW_ERR_NOMEM;
	}
	l->n++;
	return SW_OK;
}

static void edge_list_free(struct edge_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((void *)(uintptr_t)l->v[i].src);
		free((void *)(uintptr_t)l->v[i].dst);
	}
	free(l->v);
}

/* Reads the edges and, without --inventory files, the stored inventory
 * into in->inv. Returns -1 on success or an exit status. */
static int read_db(const struct suggest_cli *c, struct policy_inputs *in, struct edge_list *l)
{
	struct sw_store_config cfg = { .read_only = true };
	struct sw_err err;
	struct sw_store *st;
	enum sw_status s;

	sw_err_clear(&err);
	st = sw_store_open(c->db, &cfg, &err);
	if (st == NULL)
		return load_error(&err);
	s = sw_store_each_baseline_edge(st, keep_edge, l, &err);
	if (s == SW_OK && in->inv == NULL) {
		in->inv = sw_inventory_new();
		s = in->inv == NULL ? SW_ERR_NOMEM : sw_store_load_inventory(st, in->inv, &err);
	}
	sw_store_close(st);
	if (s == SW_ERR_NOMEM) {
		fputs("segwatch: out of memory\n", stderr);
		return 1;
	}
	if (s != SW_OK)
		return load_error(&err);
	if (sw_inventory_n_endpoints(in->inv) == 0 && sw_inventory_n_namespaces(in->inv) == 0) {
		fprintf(stderr, "segwatch policy suggest: %s holds no inventory: give --inventory "
		        "FILE\n", c->db);
		return 2;
	}
	return -1;
}

/* SOURCE_DATE_EPOCH (reproducible output) or the wall clock. */
static uint64_t suggest_time_ns(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	struct timespec ts;

	if (sde != NULL && sw_parse_u64(sde, strlen(sde), 1, UINT64_MAX / 1000000000u, &v) == SW_OK)
		return v * 1000000000u;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void suggest_warning(void *ctx, const struct sw_err *w)
{
	const bool *quiet = ctx;

	if (!*quiet)
		fprintf(stderr, "segwatch: warning: %s\n", w->msg);
}

static int write_text(const char *path, const char *text, size_t len)
{
	FILE *f = path != NULL ? fopen(path, "w") : stdout;
	int bad;

	if (f == NULL) {
		fprintf(stderr, "segwatch: cannot create %s: %s\n", path, strerror(errno));
		return 1;
	}
	bad = fwrite(text, 1, len, f) != len || fflush(f) != 0;
	if (path != NULL && fclose(f) != 0)
		bad = 1;
	if (bad) {
		fprintf(stderr, "segwatch: cannot write %s\n", path != NULL ? path : "the output");
		return 1;
	}
	return 0;
}

static int run_suggest(const struct suggest_cli *c, const struct policy_inputs *in,
                       const struct edge_list *edges)
{
	struct sw_suggest_options opt;
	struct sw_suggest_stats stats;
	struct sw_err err;
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(&opt, 0, sizeof(opt));
	opt.namespaces = c->ns.v;
	opt.n_namespaces = c->ns.n;
	opt.generated_ns = suggest_time_ns();
	opt.warn = suggest_warning;
	opt.warn_ctx = (void *)(uintptr_t)&c->quiet;
	sw_err_clear(&err);
	if (sw_suggest_yaml(in->inv, edges->v, edges->n, &opt, &text, &len, &stats, &err) != SW_OK)
		return load_error(&err);
	rc = write_text(c->out, text, len);
	free(text);
	if (rc == 0 && !c->quiet)
		fprintf(stderr, "segwatch: %zu policies from %zu baseline edges (%zu used, %zu "
		        "covered by DNS, %zu skipped, %zu outside the namespaces)\n", stats.policies,
		        stats.edges, stats.edges_used, stats.edges_dns, stats.edges_skipped,
		        stats.edges_outside);
	return rc;
}

static int cmd_policy_suggest(int argc, char **argv)
{
	struct suggest_cli c;
	struct policy_inputs in = {NULL, NULL, NULL};
	struct policy_files none = {NULL, 0};
	struct edge_list edges = {NULL, 0, 0};
	int rc;

	memset(&c, 0, sizeof(c));
	rc = suggest_parse(&c, argc, argv);
	if (rc < 0 && c.inv.n > 0) {
		enum sw_status st = policy_inputs_load(&in, &c.inv, &none, &none, c.quiet);
		rc = st == SW_OK ? -1 : st == SW_ERR_NOMEM ? 1 : 2;
	}
	if (rc < 0)
		rc = read_db(&c, &in, &edges);
	if (rc < 0)
		rc = run_suggest(&c, &in, &edges);
	edge_list_free(&edges);
	policy_inputs_free(&in);
	policy_files_free(&c.inv);
	policy_files_free(&c.ns);
	return rc;
}

int cmd_policy(int argc, char **argv)
{
	struct policy_cli c;
	struct policy_inputs in = {NULL, NULL, NULL};
	int rc;

	memset(&c, 0, sizeof(c));
	c.min_severity = SW_LINT_WARNING;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(policy_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "suggest") == 0)
		return cmd_policy_suggest(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0) {
		c.explain = true;
	} else if (strcmp(argv[1], "lint") == 0) {
		c.lint = true;
	} else if (strcmp(argv[1], "connlist") != 0) {
		fprintf(stderr, "segwatch policy: unknown subcommand '%s'\n"
		        "Try 'segwatch policy --help'.\n", argv[1]);
		return 2;
	}
	rc = parse_args(&c, argc - 1, argv + 1);
	if (rc < 0)
		rc = load_inputs(&c, &in);
	if (rc < 0)
		rc = c.explain ? run_explain(&c, &in)
		     : c.lint  ? run_lint(&c, &in)
		               : run_connlist(&c, &in);
	policy_inputs_free(&in);
	policy_files_free(&c.inv);
	policy_files_free(&c.pol);
	policy_files_free(&c.compose);
	return rc;
}
