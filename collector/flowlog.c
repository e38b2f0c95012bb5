/*
 * flowlog.c - JSON Lines and CSV flow records (see include/segwatch/flowlog.h).
 *
 * Records are built in a line buffer with small appenders instead of
 * printf: at millions of packets per second the formatting of records is
 * a visible cost. Numbers, fixed names and addresses we format ourselves
 * need no escaping; the only free text, the firewall's log prefix and
 * interface names, goes through put_text(), which JSON-escapes or
 * CSV-quotes it and replaces invalid UTF-8 with U+FFFD.
 */
#include "segwatch/flowlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sw_flowlog {
	FILE *out;
	enum sw_flowlog_format fmt;
	uint64_t count;
	time_t cached_sec;      /* the second whose text is in cached_day */
	char cached_day[24];    /* "YYYY-MM-DDTHH:MM:SS" */
};

/* A line being built. The fixed fields take under 800 bytes; the free
 * text at most 6 bytes per input byte (a \u00XX escape) of a 63-byte
 * prefix and two 15-byte interface names: 558 more. */
#define LINE_MAX_LEN 2048
struct line {
	char b[LINE_MAX_LEN];
	size_t n;
};

static void put_str(struct line *l, const char *s)
{
	size_t len = strlen(s);

	if (len > LINE_MAX_LEN - 1 - l->n)
		len = LINE_MAX_LEN - 1 - l->n;
	memcpy(l->b + l->n, s, len);
	l->n += len;
}

static void put_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof(tmp);

	tmp[--i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put_str(l, tmp + i);
}

/* v with exactly `digits` digits, zero-padded. */
static void put_u64_pad(struct line *l, uint64_t v, int digits)
{
	char tmp[24];

	tmp[digits] = '\0';
	for (int i = digits - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put_str(l, tmp);
}

/* "key":  for JSON, nothing for CSV (fields are positional there). */
static void put_key(struct line *l, enum sw_flowlog_format fmt, const char *key)
{
	if (fmt == SW_FLOWLOG_CSV) {
		if (l->n > 0)
			put_str(l, ",");
		return;
	}
	put_str(l, l->n > 1 ? ",\"" : "\"");
	put_str(l, key);
	put_str(l, "\":");
}

static const char csv_header[] =
	"flow_id,first_seen,last_seen,duration,proto,ip_proto,src_ip,src_port,dst_ip,dst_port,"
	"vlan,vlan_inner,src_pkts,src_bytes,dst_pkts,dst_bytes,src_tcp_flags,dst_tcp_flags,"
	"tcp_state,midstream,icmp_type,icmp_code,fragments,icmp_errors,end_reason,update,"
	"fw_verdict,fw_prefix,fw_group,fw_hook,fw_in,fw_out,fw_mark\n";

struct sw_flowlog *sw_flowlog_new(FILE *out, enum sw_flowlog_format fmt, struct sw_err *err)
{
	struct sw_flowlog *fl = calloc(1, sizeof(*fl));

	if (fl == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	fl->out = out;
	fl->fmt = fmt;
	fl->cached_sec = (time_t)-1;
	if (fmt == SW_FLOWLOG_CSV)
		fputs(csv_header, out);
	return fl;
}

static void day_text(time_t secs, char out[24])
{
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
}

const char *sw_format_time(uint64_t ns, char *buf, size_t len)
{
	char day[24];

	day_text((time_t)(ns / 1000000000ull), day);
	snprintf(buf, len, "%s.%09uZ", day, (unsigned)(ns % 1000000000ull));
	return buf;
}

static void put_time(struct sw_flowlog *fl, struct line *l, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ull);

	if (secs != fl->cached_sec) {
		day_text(secs, fl->cached_day);
		fl->cached_sec = secs;
	}
	if (fl->fmt == SW_FLOWLOG_JSONL)
		put_str(l, "\"");
	put_str(l, fl->cached_day);
	put_str(l, ".");
	put_u64_pad(l, ns % 1000000000ull, 9);
	put_str(l, fl->fmt == SW_FLOWLOG_JSONL ? "Z\"" : "Z");
}

/* A name: quoted in JSON, bare in CSV. */
static void put_name(struct sw_flowlog *fl, struct line *l, const char *s)
{
	if (fl->fmt == SW_FLOWLOG_CSV) {
		put_str(l, s);
		return;
	}
	put_str(l, "\"");
	put_str(l, s);
	put_str(l, "\"");
}

/* The length of the valid UTF-8 character at s (at most left bytes), or
 * 0 when the bytes there are not one (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_char_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void put_bytes(struct line *l, const char *s, size_t len)
{
	if (len > LINE_MAX_LEN - 1 - l->n)
		len = LINE_MAX_LEN - 1 - l->n;
	memcpy(l->b + l->n, s, len);
	l->n += len;
}

/* One byte of JSON string content: escaped when it must be. */
static void put_json_byte(struct line *l, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};

	switch (c) {
	case '"': put_str(l, "\\\""); return;
	case '\\': put_str(l, "\\\\"); return;
	case '\n': put_str(l, "\\n"); return;
	case '\r': put_str(l, "\\r"); return;
	case '\t': put_str(l, "\\t"); return;
	}
	if (c < 0x20 || c == 0x7f)
		put_str(l, esc);
	else
		put_bytes(l, (const char *)&c, 1);
}

static bool csv_needs_quotes(const char *s)
{
	return s[strcspn(s, ",\"\r\n")] != '\0' || s[0] == ' ' ||
	       (s[0] != '\0' && s[strlen(s) - 1] == ' ');
}

/* Free text: a JSON string, or a CSV field quoted when it holds a comma,
 * quote, line break or edge blank (quotes doubled, RFC 4180). Invalid
 * UTF-8 bytes become U+FFFD in both. */
static void put_text(struct sw_flowlog *fl, struct line *l, const char *s)
{
	bool json = fl->fmt == SW_FLOWLOG_JSONL;
	bool quote = json || csv_needs_quotes(s);
	size_t len = strlen(s);

	if (quote)
		put_str(l, "\"");
	for (size_t i = 0; i < len;) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t n = utf8_char_len(u, len - i);
		if (n == 0) {
			put_str(l, "\xef\xbf\xbd");
			i++;
		} else if (n == 1 && json) {
			put_json_byte(l, u[0]);
			i++;
		} else if (n == 1 && u[0] == '"') {
			put_str(l, "\"\"");
			i++;
		} else {
			put_bytes(l, s + i, n);
			i += n;
		}
	}
	if (quote)
		put_str(l, "\"");
}

/* TCP flags as letters in the order F S R P A U E C. */
static const char *flag_letters(uint8_t flags, char buf[9])
{
	static const char letters[] = "FSRPAUEC";
	int n = 0;

	for (int i = 0; i < 8; i++) {
		if (flags & (1u << i))
			buf[n++] = letters[i];
	}
	buf[n] = '\0';
	return buf;
}

/* An optional numeric field: omitted in JSON when absent, empty in CSV. */
static void put_opt_u64(struct sw_flowlog *fl, struct line *l, const char *key, bool present,
                        uint64_t v)
{
	if (!present && fl->fmt == SW_FLOWLOG_JSONL)
		return;
	put_key(l, fl->fmt, key);
	if (present)
		put_u64(l, v);
}

static void put_opt_name(struct sw_flowlog *fl, struct line *l, const char *key, bool present,
                         const char *v)
{
	if (!present && fl->fmt == SW_FLOWLOG_JSONL)
		return;
	put_key(l, fl->fmt, key);
	if (present)
		put_name(fl, l, v);
}

static void put_identity(struct sw_flowlog *fl, struct line *l, const struct sw_flow *f)
{
	enum sw_flowlog_format m = fl->fmt;
	char addr[SW_ADDR_STRLEN], pnum[8];
	const char *pn = sw_proto_name(f->proto);
	uint64_t d = f->last_ns - f->first_ns;

	put_key(l, m, "flow_id"), put_u64(l, f->id);
	put_key(l, m, "first_seen"), put_time(fl, l, f->first_ns);
	put_key(l, m, "last_seen"), put_time(fl, l, f->last_ns);
	put_key(l, m, "duration"), put_u64(l, d / 1000000000ull);
	put_str(l, "."), put_u64_pad(l, d % 1000000000ull, 9);
	if (pn == NULL) {
		snprintf(pnum, sizeof(pnum), "%u", f->proto);
		pn = pnum;
	}
	put_key(l, m, "proto"), put_name(fl, l, pn);
	put_key(l, m, "ip_proto"), put_u64(l, f->proto);
	put_key(l, m, "src_ip"), put_name(fl, l, sw_addr_format(&f->src, addr, sizeof(addr)));
	put_key(l, m, "src_port"), put_u64(l, f->sport);
	put_key(l, m, "dst_ip"), put_name(fl, l, sw_addr_format(&f->dst, addr, sizeof(addr)));
	put_key(l, m, "dst_port"), put_u64(l, f->dport);
	put_opt_u64(fl, l, "vlan", f->vlan[0] != 0, f->vlan[0]);
	put_opt_u64(fl, l, "vlan_inner", f->vlan[1] != 0, f->vlan[1]);
}

static void put_counters(struct sw_flowlog *fl, struct line *l, const struct sw_flow *f)
{
	enum sw_flowlog_format m = fl->fmt;
	bool tcp = f->proto == SW_PROTO_TCP;
	bool icmp = f->proto == SW_PROTO_ICMP || f->proto == SW_PROTO_ICMPV6;
	char fl0[9], fl1[9];

	put_key(l, m, "src_pkts"), put_u64(l, f->dir[0].pkts);
	put_key(l, m, "src_bytes"), put_u64(l, f->dir[0].bytes);
	put_key(l, m, "dst_pkts"), put_u64(l, f->dir[1].pkts);
	put_key(l, m, "dst_bytes"), put_u64(l, f->dir[1].bytes);
	put_opt_name(fl, l, "src_tcp_flags", tcp, flag_letters(f->dir[0].tcp_flags, fl0));
	put_opt_name(fl, l, "dst_tcp_flags", tcp, flag_letters(f->dir[1].tcp_flags, fl1));
	put_opt_name(fl, l, "tcp_state", tcp, sw_tcp_state_name(f->tcp_state));
	if (tcp || m == SW_FLOWLOG_CSV) {
		put_key(l, m, "midstream");
		if (tcp)
			put_str(l, f->midstream ? "true" : "false");
	}
	put_opt_u64(fl, l, "icmp_type", icmp, f->sport);
	put_opt_u64(fl, l, "icmp_code", icmp, f->dport);
	put_opt_u64(fl, l, "fragments", f->fragments != 0 || m == SW_FLOWLOG_CSV, f->fragments);
	put_opt_u64(fl, l, "icmp_errors", f->icmp_errors != 0 || m == SW_FLOWLOG_CSV,
	            f->icmp_errors);
}

/* An optional text field: omitted in JSON when absent, empty in CSV. */
static void put_opt_text(struct sw_flowlog *fl, struct line *l, const char *key, bool present,
                         const char *v)
{
	if (!present && fl->fmt == SW_FLOWLOG_JSONL)
		return;
	put_key(l, fl->fmt, key);
	if (present)
		put_text(fl, l, v);
}

/* The firewall's facts (NFLOG): only for flows a log rule saw. */
static void put_firewall(struct sw_flowlog *fl, struct line *l, const struct sw_flow *f)
{
	const struct sw_fw *fw = &f->fw;
	bool set = fw->verdict != SW_FW_NONE;
	const char *hook = set ? sw_fw_hook_name(fw->family, fw->hook) : NULL;

	put_opt_name(fl, l, "fw_verdict", set, sw_fw_verdict_name(fw->verdict));
	put_opt_text(fl, l, "fw_prefix", set && fw->prefix[0] != '\0', fw->prefix);
	put_opt_u64(fl, l, "fw_group", set, fw->group);
	put_opt_name(fl, l, "fw_hook", hook != NULL, hook);
	put_opt_text(fl, l, "fw_in", set && fw->in[0] != '\0', fw->in);
	put_opt_text(fl, l, "fw_out", set && fw->out[0] != '\0', fw->out);
	put_opt_u64(fl, l, "fw_mark", set && fw->mark != 0, fw->mark);
}

void sw_flowlog_write(struct sw_flowlog *fl, enum sw_flow_event ev, enum sw_flow_end why,
                      const struct sw_flow *f)
{
	struct line l;

	if (ev == SW_FLOW_START)
		return;
	l.n = 0;
	if (fl->fmt == SW_FLOWLOG_JSONL)
		put_str(&l, "{");
	put_identity(fl, &l, f);
	put_counters(fl, &l, f);
	put_key(&l, fl->fmt, "end_reason"), put_name(fl, &l, sw_flow_end_name(why));
	put_key(&l, fl->fmt, "update"), put_str(&l, ev == SW_FLOW_UPDATE ? "true" : "false");
	put_firewall(fl, &l, f);
	put_str(&l, fl->fmt == SW_FLOWLOG_JSONL ? "}\n" : "\n");
	fwrite(l.b, 1, l.n, fl->out);
	fl->count++;
}

uint64_t sw_flowlog_count(const struct sw_flowlog *fl)
{
	return fl->count;
}

enum sw_status sw_flowlog_free(struct sw_flowlog *fl, struct sw_err *err)
{
	enum sw_status st = SW_OK;

	if (fl == NULL)
		return SW_OK;
	if (fflush(fl->out) != 0 || ferror(fl->out))
		st = sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                "writing flow records failed: %s", strerror(errno));
	free(fl);
	return st;
}
