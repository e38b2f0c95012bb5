/*
 * cmd_check.c - `segwatch check`: the offline audit for CI pipelines.
 * Reads captures, judges every flow against the inventory and policies
 * when it starts, and reports the deduplicated violations as a table or a
 * JSON array, optionally also as EVE JSON Lines; the exit status says
 * whether there were any.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_opts.h"
#include "commands.h"
#include "policy_inputs.h"
#include "segwatch/eve.h"
#include "segwatch/flowlog.h"
#include "segwatch/textparse.h"
#include "segwatch/violations.h"

static const char check_usage[] =
	"Usage: segwatch check -r FILE [-r FILE...] --inventory FILE... --policy FILE...\n"
	"                      [--compose FILE...] [--format table|json] [--eve FILE|-]\n"
	"Judges every flow of the captures (when it starts, initiator -> responder)\n"
	"against the inventory and the policies, and reports the violations: one\n"
	"per (source, destination, protocol, port, reason), where source and\n"
	"destination are endpoint ids or, outside the inventory, addresses.\n\n"
	"Policy inputs (one option may be followed by several files):\n"
	"      --inventory FILE...  inventory: Kubernetes objects, native form or\n"
	"                           docker network inspect JSON\n"
	"  -p, --policy FILE...     NetworkPolicy files (YAML or JSON)\n"
	"  -c, --compose FILE...    docker-compose files\n"
	"(-i is --interface here, as in `segwatch flows`, not the inventory.)\n"
	CAPTURE_HELP
	"Report:\n"
	"      --format table|json  a table sorted by reason, source, destination,\n"
	"                           port (default), or a JSON array of violations\n"
	"      --eve FILE|-         also append one EVE JSON line per violation to\n"
	"                           FILE (for SIEM shippers); '-' writes them to\n"
	"                           stdout instead of the report\n"
	"      --max-violations N   distinct violations held (default 65536); denied\n"
	"                           flows beyond are counted, not recorded\n"
	"  -q, --quiet              no loader warnings, no summary line\n"
	"  -h, --help               this text\n"
	"A summary goes to stderr: flows judged, allowed, denied, not covered by\n"
	"any policy, violations.\n"
	"Exit status: 0 no violation, 1 violations, 2 bad usage, bad input (a\n"
	"capture that cannot be read to its end, a policy or inventory error with\n"
	"file:line:column) or any failure that leaves the audit incomplete.\n";

enum { OPT_FORMAT = CAPTURE_OPT_LAST, OPT_EVE, OPT_MAX_VIOLATIONS, OPT_INVENTORY };

struct check_cli {
	struct capture_opts cap;
	struct policy_files inv, pol, compose;
	bool json;
	bool format_given;
	const char *eve;          /* NULL, a path, or "-" */
	size_t max_violations;
	bool quiet;
};

/* ---- arguments ---- */

static int set_format(struct check_cli *c, const char *arg)
{
	if (strcmp(arg, "table") != 0 && strcmp(arg, "json") != 0) {
		fprintf(stderr, "segwatch check: --format: expected table or json, got '%s'\n", arg);
		return 2;
	}
	c->json = strcmp(arg, "json") == 0;
	c->format_given = true;
	return -1;
}

/* One option that is not a capture option; -1 to go on, or an exit status. */
static int handle_opt(struct check_cli *c, int opt, int argc, char **argv)
{
	switch (opt) {
	case OPT_INVENTORY: return policy_files_take(&c->inv, optarg, true, argc, argv) ? 2 : -1;
	case 'p': return policy_files_take(&c->pol, optarg, true, argc, argv) ? 2 : -1;
	case 'c': return policy_files_take(&c->compose, optarg, true, argc, argv) ? 2 : -1;
	case OPT_FORMAT: return set_format(c, optarg);
	case OPT_MAX_VIOLATIONS:
		return policy_parse_max_violations("check", optarg, &c->max_violations) ? 2 : -1;
	case OPT_EVE: c->eve = optarg; return -1;
	case 'q': c->quiet = true; return -1;
	case 'h': fputs(check_usage, stdout); return 0;
	}
	fputs("Try 'segwatch check --help'.\n", stderr);
	return 2;
}

static int check_args(const struct check_cli *c, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "segwatch check: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!policy_inputs_given("check", &c->pol, &c->compose))
		return 2;
	if (c->eve != NULL && strcmp(c->eve, "-") == 0 && c->format_given) {
		fputs("segwatch check: --eve - writes events to stdout, where the report would "
		      "go: drop --format, or give --eve a file\n", stderr);
		return 2;
	}
	return capture_opts_valid(&c->cap) ? -1 : 2;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(struct check_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CAPTURE_LONG_OPTS,
		{"inventory", required_argument, NULL, OPT_INVENTORY},
		{"policy", required_argument, NULL, 'p'},
		{"compose", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"eve", required_argument, NULL, OPT_EVE},
		{"max-violations", required_argument, NULL, OPT_MAX_VIOLATIONS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	capture_opts_init(&c->cap);
	optind = 1;
	while ((opt = getopt_long(argc, argv, CAPTURE_SHORT_OPTS "p:c:qh", longopts, NULL)) != -1) {
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

/* ---- the table ---- */

enum { COL_REASON, COL_SRC, COL_DST, COL_PROTO, COL_PORT, COL_FLOWS, COL_PKTS, COL_BYTES,
       COL_FIRST, COL_LAST, COL_FW, N_COLS };
/* Longer than any endpoint id (63-byte namespace, 253-byte name). */
#define CELL_MAX 400

static const char *const col_names[N_COLS] = {
	"REASON", "SRC", "DST", "PROTO", "PORT", "FLOWS", "PACKETS", "BYTES",
	"FIRST SEEN", "LAST SEEN", "FW",
};

/* RFC 3339 to the millisecond: the table is for people. */
static void cell_time(char *cell, uint64_t ns)
{
	char buf[SW_TIME_STRLEN];

	sw_format_time(ns, buf, sizeof(buf));
	snprintf(cell, CELL_MAX, "%.23sZ", buf);
}

static void cells_of(const struct sw_violation *v, char cell[N_COLS][CELL_MAX])
{
	char buf[SW_ADDR_STRLEN];
	bool ported = v->proto == SW_PROTO_TCP || v->proto == SW_PROTO_UDP ||
	              v->proto == SW_PROTO_SCTP;

	snprintf(cell[COL_REASON], CELL_MAX, "%s", sw_reason_name(v->reason));
	snprintf(cell[COL_SRC], CELL_MAX, "%s", sw_violation_identity(v, false, buf, sizeof(buf)));
	snprintf(cell[COL_DST], CELL_MAX, "%s", sw_violation_identity(v, true, buf, sizeof(buf)));
	snprintf(cell[COL_PROTO], CELL_MAX, "%s", sw_violation_proto(v->proto, buf, sizeof(buf)));
	snprintf(cell[COL_PORT], CELL_MAX, ported ? "%u" : "-", v->port);
	snprintf(cell[COL_FLOWS], CELL_MAX, "%" PRIu64, v->flows);
	snprintf(cell[COL_PKTS], CELL_MAX, "%" PRIu64, v->pkts[0] + v->pkts[1]);
	snprintf(cell[COL_BYTES], CELL_MAX, "%" PRIu64, v->bytes[0] + v->bytes[1]);
	cell_time(cell[COL_FIRST], v->first_ns);
	cell_time(cell[COL_LAST], v->last_ns);
	snprintf(cell[COL_FW], CELL_MAX, "%s",
	         v->fw_verdict ? sw_fw_verdict_name(v->fw_verdict) : "-");
}

static void print_row(FILE *out, const size_t width[N_COLS], char cell[N_COLS][CELL_MAX],
                      const char *why)
{
	for (int i = 0; i < N_COLS; i++)
		fprintf(out, "%-*s  ", (int)width[i], cell[i]);
	fprintf(out, "%s\n", why);
}

static void write_table(FILE *out, const struct sw_violation *const *v, size_t n)
{
	char cell[N_COLS][CELL_MAX];
	size_t width[N_COLS];

	if (n == 0) {
		fputs("no violations\n", out);
		return;
	}
	for (int i = 0; i < N_COLS; i++)
		width[i] = strlen(col_names[i]);
	for (size_t k = 0; k < n; k++) {
		cells_of(v[k], cell);
		for (int i = 0; i < N_COLS; i++)
			if (strlen(cell[i]) > width[i])
				width[i] = strlen(cell[i]);
	}
	for (int i = 0; i < N_COLS; i++)
		snprintf(cell[i], CELL_MAX, "%s", col_names[i]);
	print_row(out, width, cell, "WHY");
	for (size_t k = 0; k < n; k++) {
		cells_of(v[k], cell);
		print_row(out, width, cell, v[k]->summary);
	}
}

static int write_json(FILE *out, const struct sw_violation *const *v, size_t n)
{
	json_t *arr = json_array();
	int bad = arr == NULL;

	for (size_t k = 0; !bad && k < n; k++)
		bad = json_array_append_new(arr, sw_violation_json(v[k])) != 0;
	bad = bad || json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
	json_decref(arr);
	return bad || fputc('\n', out) == EOF ? -1 : 0;
}

/* The report on stdout; 0 or -1 (message printed). */
static int report(const struct check_cli *c, const struct sw_violations *vt)
{
	const struct sw_violation **v = NULL;
	size_t n = 0;
	int bad = 0;

	if (sw_violations_sorted(vt, &v, &n) != SW_OK) {
		fputs("segwatch: out of memory\n", stderr);
		return -1;
	}
	if (c->json)
		bad = write_json(stdout, v, n);
	else
		write_table(stdout, v, n);
	free(v);
	if (bad || fflush(stdout) != 0 || ferror(stdout)) {
		fputs("segwatch: cannot write the report\n", stderr);
		return -1;
	}
	return 0;
}

/* ---- EVE ---- */

/* One event per violation, in order of appearance, to out (takes it:
 * closed here unless it is stdout). 0 or -1 (printed). */
static int write_eve(const struct check_cli *c, FILE *out, const struct sw_violations *vt)
{
	bool to_stdout = out == stdout;
	struct sw_err err;
	struct sw_eve *eve;
	enum sw_status st;

	sw_err_clear(&err);
	eve = sw_eve_new(out, &err);
	for (size_t i = 0; eve != NULL && i < sw_violations_count(vt); i++)
		sw_eve_write_violation(eve, sw_violations_get(vt, i));
	st = eve ? sw_eve_free(eve, &err) : err.status;
	if (!to_stdout && fclose(out) != 0 && st == SW_OK)
		st = sw_err_set(&err, SW_ERR_IO, c->eve, 0, 0, "cannot write the events");
	if (st != SW_OK) {
		if (err.file[0] == '\0')
			snprintf(err.file, sizeof(err.file), "%s", to_stdout ? "stdout" : c->eve);
		cli_print_err(&err);
		return -1;
	}
	return 0;
}

/* ---- the run ---- */

static void print_summary(const struct sw_capture *cap, const struct sw_violations *vt)
{
	struct sw_violations_stats s;
	struct sw_capture_stats cs;

	sw_violations_stats(vt, &s);
	sw_capture_stats(cap, &cs);
	fprintf(stderr, "segwatch: %" PRIu64 " packets, %" PRIu64 " flows judged: %" PRIu64
	        " allowed, %" PRIu64 " denied, %" PRIu64 " not covered by any policy; %" PRIu64
	        " violation%s\n", cs.frames, s.flows_judged, s.allowed, s.denied, s.not_covered,
	        s.violations, s.violations == 1 ? "" : "s");
	if (s.overflow_flows)
		fprintf(stderr, "segwatch: %" PRIu64 " denied flows of further violations not "
		        "recorded: --max-violations reached\n", s.overflow_flows);
}

/* The judging pipeline: capture -> flow table -> violations. */
struct check_run {
	struct sw_violations *vt;
	struct sw_flowtable *ft;
	struct sw_capture *cap;
	FILE *eve;                /* --eve: stdout, or the file opened before the run */
	bool ran;                 /* the sources were opened and read */
};

static void check_run_free(struct check_run *r)
{
	if (r->eve != NULL && r->eve != stdout)
		fclose(r->eve); /* not written: the run failed before the events */
	sw_capture_free(r->cap); /* before the flow table it borrows */
	sw_flowtable_free(r->ft);
	sw_violations_free(r->vt);
}

/* Builds the pipeline and judges every flow of the sources. Returns 0 when
 * the sources were read to their end (live sources: until SIGINT/SIGTERM),
 * 2 otherwise (message printed). */
static int judge_captures(const struct check_cli *c, const struct policy_inputs *in,
                          struct check_run *r)
{
	struct sw_violations_config vc = {.max_violations = c->max_violations};
	struct sw_err err;
	enum sw_status st;

	sw_err_clear(&err);
	r->vt = sw_violations_new(in->m, &vc, &err);
	r->ft = r->vt ? sw_flowtable_new(&c->cap.ft, sw_violations_flow, r->vt, &err) : NULL;
	r->cap = r->ft ? sw_capture_new(r->ft, &err) : NULL;
	if (r->cap == NULL) {
		cli_print_err(&err);
		return 2;
	}
	if (capture_opts_open(&c->cap, r->cap) != SW_OK)
		return 2;
	/* Everything written later is opened now, as the starting user: the
	 * report goes to stdout, the events to r->eve. The inventory and the
	 * policies were read before (cmd_check). */
	if (c->eve != NULL) {
		r->eve = strcmp(c->eve, "-") == 0 ? stdout : fopen(c->eve, "a");
		if (r->eve == NULL) {
			fprintf(stderr, "segwatch: cannot write %s: %s\n", c->eve, strerror(errno));
			return 2;
		}
	}
	if (capture_opts_drop_privileges(&c->cap) != SW_OK)
		return 2;
	/* a source that breaks part-way is reported through cli_warn */
	r->ran = true;
	st = sw_capture_run(r->cap, &segwatch_stop, cli_warn, NULL, &err);
	sw_flowtable_flush(r->ft, segwatch_stop ? SW_END_SHUTDOWN : SW_END_OF_INPUT);
	if (st != SW_OK) {
		fputs("segwatch: the audit is incomplete: it covers what was read up to the "
		      "failure\n", stderr);
		return 2;
	}
	if (segwatch_stop && capture_opts_files_only(&c->cap)) {
		fputs("segwatch: interrupted: the audit is incomplete\n", stderr);
		return 2;
	}
	return 0;
}

static int run(const struct check_cli *c, const struct policy_inputs *in)
{
	struct check_run r = {NULL, NULL, NULL, NULL, false};
	struct sw_violations_stats s;
	bool eve_stdout = c->eve != NULL && strcmp(c->eve, "-") == 0;
	int rc = judge_captures(c, in, &r);

	if (!r.ran) {
		check_run_free(&r);
		return rc;
	}
	sw_violations_stats(r.vt, &s);
	if (s.nomem_flows || s.explain_failures) {
		fputs("segwatch: out of memory: the audit is incomplete\n", stderr);
		rc = 2;
	}
	if (!eve_stdout && report(c, r.vt) != 0)
		rc = 2;
	if (r.eve != NULL && write_eve(c, r.eve, r.vt) != 0)
		rc = 2;
	r.eve = NULL; /* closed by write_eve */
	if (!c->quiet)
		print_summary(r.cap, r.vt);
	if (rc == 0 && (s.violations > 0 || s.overflow_flows > 0))
		rc = 1;
	check_run_free(&r);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_cli c;
	struct policy_inputs in = {NULL, NULL, NULL};
	int rc;

	memset(&c, 0, sizeof(c));
	rc = parse_args(&c, argc, argv);
	if (rc < 0 && policy_inputs_load(&in, &c.inv, &c.compose, &c.pol, c.quiet) != SW_OK)
		rc = 2;
	if (rc < 0)
		rc = run(&c, &in);
	policy_inputs_free(&in);
	policy_files_free(&c.inv);
	policy_files_free(&c.pol);
	policy_files_free(&c.compose);
	return rc;
}
