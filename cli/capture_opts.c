/*
 * capture_opts.c - shared capture options of the CLI (see capture_opts.h).
 */
#include "capture_opts.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/privdrop.h"
#include "segwatch/textparse.h"

void capture_opts_init(struct capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->live.promisc = true;
	sw_flowtable_config_default(&o->ft);
}

static int bad_value(const char *opt, const char *arg, const char *expected)
{
	fprintf(stderr, "segwatch: --%s: expected %s, got '%s'\n", opt, expected, arg);
	return -1;
}

static int set_timeout(struct capture_opts *o, const char *arg)
{
	static const struct { const char *name; int cls; } classes[] = {
		{"tcp", SW_CLASS_TCP}, {"tcp_closed", SW_CLASS_TCP_CLOSED},
		{"udp", SW_CLASS_UDP}, {"icmp", SW_CLASS_ICMP}, {"other", SW_CLASS_OTHER},
		{"active", -1},
	};
	size_t head;
	const char *val = sw_split(arg, '=', &head);
	uint64_t ns;

	if (val == NULL || sw_parse_duration(val, &ns) != SW_OK)
		return bad_value("timeout", arg, "CLASS=DURATION such as udp=30s");
	for (size_t i = 0; i < SW_ARRAY_SIZE(classes); i++) {
		if (strlen(classes[i].name) != head || strncmp(arg, classes[i].name, head) != 0)
			continue;
		if (classes[i].cls < 0) {
			o->ft.active_ns = ns;
			return 1;
		}
		if (ns == 0)
			return bad_value("timeout", arg, "a positive idle timeout");
		o->ft.idle_ns[classes[i].cls] = ns;
		return 1;
	}
	return bad_value("timeout", arg,
	                 "a class among tcp, tcp_closed, udp, icmp, other, active");
}

/* "5" or "5,6,7": each a group 0..65535, none given twice. */
static int add_nflog(struct capture_opts *o, const char *arg)
{
	const char *p = arg;

	while (p != NULL) {
		size_t len;
		const char *next = sw_split(p, ',', &len);
		uint64_t g;

		if (sw_parse_u64(p, len, 0, 65535, &g) != SW_OK)
			return bad_value("nflog", arg, "NFLOG group numbers 0-65535, comma-separated");
		for (int i = 0; i < o->n_nflog; i++) {
			if (o->nflog_groups[i] == g) {
				fprintf(stderr, "segwatch: --nflog: group %u given twice\n", (unsigned)g);
				return -1;
			}
		}
		if (o->n_nflog == CAPTURE_MAX_NFLOG) {
			fprintf(stderr, "segwatch: at most %d NFLOG groups\n", CAPTURE_MAX_NFLOG);
			return -1;
		}
		o->nflog_groups[o->n_nflog++] = (uint16_t)g;
		p = next;
	}
	return 1;
}

static int add_input(const char **list, int *n, const char *arg, const char *what)
{
	if (*n == CAPTURE_MAX_INPUTS) {
		fprintf(stderr, "segwatch: at most %d %s\n", CAPTURE_MAX_INPUTS, what);
		return -1;
	}
	list[(*n)++] = arg;
	return 1;
}

int capture_opts_handle(struct capture_opts *o, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'r':
		return add_input(o->files, &o->n_files, arg, "capture files");
	case 'i':
		return add_input(o->ifaces, &o->n_ifaces, arg, "interfaces");
	case 'f':
		o->filter = arg;
		return 1;
	case OPT_NFLOG:
		return add_nflog(o, arg);
	case OPT_NFLOG_BUFFER:
		if (sw_parse_size(arg, &v) != SW_OK || v < 65536 || v > (1ull << 30))
			return bad_value("nflog-buffer-size", arg, "a size from 64k to 1G");
		o->nflog_buffer = v;
		return 1;
	case OPT_SNAPLEN:
		if (sw_parse_u64(arg, strlen(arg), 64, 262144, &v) != SW_OK)
			return bad_value("snaplen", arg, "a number from 64 to 262144");
		o->live.snaplen = (uint32_t)v;
		return 1;
	case OPT_BUFFER_SIZE:
		if (sw_parse_size(arg, &v) != SW_OK || v < 65536 || v > (1ull << 31) - 1)
			return bad_value("buffer-size", arg, "a size from 64k to 2047M");
		o->live.buffer_bytes = v;
		return 1;
	case OPT_NO_PROMISC:
		o->live.promisc = false;
		return 1;
	case OPT_IMMEDIATE:
		o->live.immediate = true;
		return 1;
	case OPT_MAX_FLOWS:
		if (sw_parse_u64(arg, strlen(arg), 1, 1u << 30, &v) != SW_OK)
			return bad_value("max-flows", arg, "a number from 1 to 1073741824");
		o->ft.max_flows = (uint32_t)v;
		return 1;
	case OPT_TIMEOUT:
		return set_timeout(o, arg);
	case OPT_USER:
		o->user = arg;
		return 1;
	}
	return 0;
}

static const char *user_of(const struct capture_opts *o)
{
	return o->user != NULL ? o->user : SW_PRIVDROP_DEFAULT_USER;
}

/* --user is checked before anything opens: it must exist, and without
 * root it can only be the current user (nothing to switch). The default
 * is not checked without root, where it is not used. */
static bool user_valid(const struct capture_opts *o)
{
	struct sw_err err;
	uid_t uid;
	gid_t gid;

	if (o->user == NULL && geteuid() != 0)
		return true;
	sw_err_clear(&err);
	if (sw_privdrop_lookup(user_of(o), &uid, &gid, &err) != SW_OK) {
		fprintf(stderr, "segwatch: --user: %s\n", err.msg);
		return false;
	}
	if (geteuid() != 0 && uid != geteuid()) {
		fprintf(stderr, "segwatch: --user needs root\n");
		return false;
	}
	return true;
}

bool capture_opts_valid(const struct capture_opts *o)
{
	if (o->n_files + o->n_ifaces + o->n_nflog == 0) {
		fprintf(stderr, "segwatch: no source: give -r FILE, -i IFACE or --nflog GROUP\n");
		return false;
	}
	return user_valid(o);
}

bool capture_opts_files_only(const struct capture_opts *o)
{
	return o->n_ifaces + o->n_nflog == 0;
}

enum sw_status capture_opts_drop_privileges(const struct capture_opts *o)
{
	struct sw_err err;
	enum sw_status st;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return SW_OK;
	sw_err_clear(&err);
	st = sw_privdrop_lookup(user_of(o), &uid, &gid, &err);
	if (st == SW_OK && uid == 0)
		return SW_OK; /* --user root: asked to keep root */
	if (st == SW_OK)
		st = sw_privdrop(user_of(o), &err);
	if (st != SW_OK)
		fprintf(stderr, "segwatch: --user %s: %s\n", user_of(o), err.msg);
	return st;
}

/* Opens source i: files first, then interfaces, then NFLOG groups. */
static enum sw_status open_one(const struct capture_opts *o, int i, struct sw_source **src,
                               struct sw_err *err)
{
	if (i < o->n_files)
		return sw_source_open_file(o->files[i], o->filter, src, err);
	i -= o->n_files;
	if (i < o->n_ifaces) {
		struct sw_live_config lc = o->live;
		lc.iface = o->ifaces[i];
		lc.filter = o->filter;
		return sw_source_open_live(&lc, src, err);
	}
	i -= o->n_ifaces;
	struct sw_nflog_config nc = {o->nflog_groups[i], o->nflog_buffer};
	enum sw_status st = sw_source_open_nflog(&nc, src, err);
	uint64_t kib = (o->nflog_buffer ? o->nflog_buffer : SW_NFLOG_DEFAULT_BUFFER) >> 10;
	if (st == SW_OK)
		fprintf(stderr, "segwatch: capturing on %s (%llu%c socket buffer)\n",
		        sw_source_name(*src),
		        (unsigned long long)(kib % 1024 == 0 ? kib >> 10 : kib),
		        kib % 1024 == 0 ? 'M' : 'k');
	return st;
}

enum sw_status capture_opts_open(const struct capture_opts *o, struct sw_capture *cap)
{
	struct sw_err err;
	struct sw_source *src;
	enum sw_status st;

	for (int i = 0; i < o->n_files + o->n_ifaces + o->n_nflog; i++) {
		bool nflog = i >= o->n_files + o->n_ifaces;
		sw_err_clear(&err);
		st = open_one(o, i, &src, &err);
		if (st == SW_OK && !sw_decode_supports_dlt(sw_source_dlt(src))) {
			const char *name = pcap_datalink_val_to_name(sw_source_dlt(src));
			sw_err_set(&err, SW_OK, sw_source_name(src), 0, 0,
			           "link type %s (%d) is not decoded; its packets are counted as %s",
			           name ? name : "unknown", sw_source_dlt(src),
			           sw_drop_reason_name(SW_DROP_LINKTYPE_UNSUPPORTED));
			cli_warn(NULL, &err);
		}
		if (st == SW_OK && sw_source_is_live(src) && !nflog)
			fprintf(stderr, "segwatch: capturing on %s (%s ring)\n", sw_source_name(src),
			        o->live.immediate ? "TPACKET_V2, immediate" : "TPACKET_V3");
		if (st == SW_OK)
			st = sw_capture_add_source(cap, src);
		if (st != SW_OK) {
			if (err.status != st)
				sw_err_set(&err, st, NULL, 0, 0, "too many sources");
			cli_print_err(&err);
			return st;
		}
	}
	return SW_OK;
}

void cli_print_err(const struct sw_err *err)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	fprintf(stderr, "segwatch: %s\n", sw_err_format(err, buf, sizeof(buf)));
}

void cli_notice(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "segwatch: %s\n", msg);
}

void cli_warn(void *ctx, const struct sw_err *w)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	(void)ctx;
	fprintf(stderr, "segwatch: warning: %s\n", sw_err_format(w, buf, sizeof(buf)));
}
