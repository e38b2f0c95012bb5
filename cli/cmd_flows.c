/*
 * cmd_flows.c - `segwatch flows`: capture files or live interfaces to flow
 * records (JSON Lines or CSV), with statistics at exit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture_opts.h"
#include "commands.h"
#include "segwatch/flowlog.h"

static const char flows_usage[] =
	"Usage: segwatch flows [options] (-r FILE | -i IFACE | --nflog GROUP)...\n"
	"Assembles bidirectional flows and writes one record per ended flow\n"
	"(and an update record for each active-timeout interval of long flows).\n"
	"Bytes are counted at the IP layer (IP header + payload).\n\n"
	CAPTURE_HELP
	"Output:\n"
	"  -o, --output FILE        write records to FILE (default: stdout)\n"
	"      --format jsonl|csv   record format (default jsonl)\n"
	"      --stats              print statistics at exit as one JSON line on stderr\n"
	"  -q, --quiet              no statistics at exit\n"
	"  -h, --help               this text\n"
	"Exit status: 0 ok, 1 a source failed part-way (records up to the failure\n"
	"are written), 2 bad usage or unreadable input.\n";

enum { OPT_FORMAT = CAPTURE_OPT_LAST, OPT_STATS };

struct flows_cli {
	struct capture_opts cap;
	const char *output;
	enum sw_flowlog_format fmt;
	bool stats_json;
	bool quiet;
};

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	sw_flowlog_write(ctx, ev, why, f);
}

static int parse_args(struct flows_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CAPTURE_LONG_OPTS,
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"stats", no_argument, NULL, OPT_STATS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	capture_opts_init(&c->cap);
	optind = 1;
	while ((opt = getopt_long(argc, argv, CAPTURE_SHORT_OPTS "o:qh", longopts, NULL)) != -1) {
		int r = capture_opts_handle(&c->cap, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'o': c->output = optarg; break;
		case 'q': c->quiet = true; break;
		case OPT_STATS: c->stats_json = true; break;
		case 'h': fputs(flows_usage, stdout); return 0;
		case OPT_FORMAT:
			if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0) {
				c->fmt = SW_FLOWLOG_JSONL;
			} else if (strcmp(optarg, "csv") == 0) {
				c->fmt = SW_FLOWLOG_CSV;
			} else {
				fprintf(stderr, "segwatch: --format: expected jsonl or csv, got '%s'\n",
				        optarg);
				return 2;
			}
			break;
		default:
			fputs("Try 'segwatch flows --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "segwatch flows: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return capture_opts_valid(&c->cap) ? -1 : 2;
}

static void print_stats(const struct flows_cli *c, struct sw_capture *cap,
                        struct sw_flowtable *ft, uint64_t records)
{
	struct sw_capture_stats cs;
	struct sw_flowtable_stats fs;
	uint64_t kdrops = 0, idrops = 0, dropped = 0;
	FILE *e = stderr;

	sw_capture_stats(cap, &cs);
	sw_flowtable_stats(ft, &fs);
	for (size_t i = 0; i < sw_capture_n_sources(cap); i++) {
		struct sw_source_stats ss;
		sw_source_stats(sw_capture_source(cap, i), &ss);
		kdrops += ss.kernel_drops;
		idrops += ss.iface_drops;
	}
	for (int r = 1; r < SW_DROP_REASON_COUNT; r++)
		dropped += cs.dropped[r];
	if (c->quiet)
		return;
	if (!c->stats_json) {
		fprintf(e, "segwatch: %" PRIu64 " packets, %" PRIu64 " decoded, %" PRIu64
		        " not decoded, %" PRIu64 " dropped by the kernel; %" PRIu64
		        " flows (%" PRIu64 " evicted), %" PRIu64 " records\n",
		        cs.frames, cs.decoded, dropped, kdrops, fs.flows_ended,
		        fs.flows_evicted, records);
		for (int r = 1; r < SW_DROP_REASON_COUNT; r++)
			if (cs.dropped[r])
				fprintf(e, "segwatch:   %-28s %" PRIu64 "\n",
				        sw_drop_reason_name((enum sw_drop_reason)r), cs.dropped[r]);
		return;
	}
	fprintf(e, "{\"packets\":%" PRIu64 ",\"decoded\":%" PRIu64 ",\"dropped\":{", cs.frames,
	        cs.decoded);
	const char *sep = "";
	for (int r = 1; r < SW_DROP_REASON_COUNT; r++) {
		if (cs.dropped[r] == 0)
			continue;
		fprintf(e, "%s\"%s\":%" PRIu64, sep, sw_drop_reason_name((enum sw_drop_reason)r),
		        cs.dropped[r]);
		sep = ",";
	}
	fprintf(e, "},\"kernel_drops\":%" PRIu64 ",\"iface_drops\":%" PRIu64
	        ",\"flows_created\":%" PRIu64 ",\"flows_ended\":%" PRIu64
	        ",\"flows_evicted\":%" PRIu64 ",\"flows_active\":%" PRIu64
	        ",\"updates\":%" PRIu64 ",\"frag_unmatched\":%" PRIu64
	        ",\"icmp_errors_matched\":%" PRIu64 ",\"source_errors\":%" PRIu64
	        ",\"records\":%" PRIu64 "}\n",
	        kdrops, idrops, fs.flows_created, fs.flows_ended, fs.flows_evicted,
	        fs.flows_active, fs.updates, fs.frag_unmatched, fs.icmp_errors_matched,
	        cs.source_errors, records);
}

static int run(const struct flows_cli *c, FILE *out)
{
	struct sw_err err;
	struct sw_flowlog *log = sw_flowlog_new(out, c->fmt, &err);
	struct sw_flowtable *ft = log ? sw_flowtable_new(&c->cap.ft, on_flow, log, &err) : NULL;
	struct sw_capture *cap = ft ? sw_capture_new(ft, &err) : NULL;
	int status = 0;

	if (cap == NULL) {
		cli_print_err(&err);
		status = 2;
	} else if (capture_opts_open(&c->cap, cap) != SW_OK ||
	           capture_opts_drop_privileges(&c->cap) != SW_OK) {
		/* out (-o FILE) was opened by cmd_flows before: nothing that is
		 * opened after the drop needs root */
		status = 2;
	} else {
		enum sw_status st = sw_capture_run(cap, &segwatch_stop, cli_warn, NULL, &err);
		sw_flowtable_flush(ft, segwatch_stop ? SW_END_SHUTDOWN : SW_END_OF_INPUT);
		if (st != SW_OK)
			status = 1;
		print_stats(c, cap, ft, sw_flowlog_count(log));
	}
	sw_capture_free(cap);
	sw_flowtable_free(ft);
	if (sw_flowlog_free(log, &err) != SW_OK) {
		cli_print_err(&err);
		status = 1;
	}
	return status;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_cli c;
	FILE *out = stdout;
	int r;

	memset(&c, 0, sizeof(c));
	r = parse_args(&c, argc, argv);
	if (r >= 0)
		return r;
	if (c.output != NULL && strcmp(c.output, "-") != 0) {
		out = fopen(c.output, "w");
		if (out == NULL) {
			fprintf(stderr, "segwatch: cannot write %s: %s\n", c.output, strerror(errno));
			return 2;
		}
	}
	static char buf[1 << 16];
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	r = run(&c, out);
	if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "segwatch: writing %s failed: %s\n", c.output, strerror(errno));
		r = 1;
	}
	return r;
}
