/*
 * flowlog.c - JSON Lines and CSV flow records (see include/segwatch/flowlog.h).
 *
 * Every value written is a number, a fixed name or an address formatted
 * by us, so no string needs JSON or CSV escaping.
 */
#include "segwatch/flowlog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sw_flowlog {
	FILE *out;
	enum sw_flowlog_format fmt;
	uint64_t count;
};

static const char csv_header[] =
	"flow_id,first_seen,last_seen,duration,proto,ip_proto,src_ip,src_port,dst_ip,dst_port,"
	"vlan,vlan_inner,src_pkts,src_bytes,dst_pkts,dst_bytes,src_tcp_flags,dst_tcp_flags,"
	"tcp_state,midstream,end_reason,update,icmp_type,icmp_code,fragments,icmp_errors\n";

struct sw_flowlog *sw_flowlog_new(FILE *out, enum sw_flowlog_format fmt, struct sw_err *err)
{
	struct sw_flowlog *fl = calloc(1, sizeof(*fl));

	if (fl == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	fl->out = out;
	fl->fmt = fmt;
	if (fmt == SW_FLOWLOG_CSV)
		fputs(csv_header, out);
	return fl;
}

const char *sw_format_time(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char day[24];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09uZ", day, (unsigned)(ns % 1000000000ull));
	return buf;
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

struct rec_text {
	char first[SW_TIME_STRLEN], last[SW_TIME_STRLEN], src[SW_ADDR_STRLEN], dst[SW_ADDR_STRLEN];
	char proto[8], fl0[9], fl1[9];
	double duration;
	bool icmp, tcp;
};

static void rec_prepare(const struct sw_flow *f, struct rec_text *t)
{
	const char *pn = sw_proto_name(f->proto);

	sw_format_time(f->first_ns, t->first, sizeof(t->first));
	sw_format_time(f->last_ns, t->last, sizeof(t->last));
	sw_addr_format(&f->src, t->src, sizeof(t->src));
	sw_addr_format(&f->dst, t->dst, sizeof(t->dst));
	if (pn != NULL)
		snprintf(t->proto, sizeof(t->proto), "%s", pn);
	else
		snprintf(t->proto, sizeof(t->proto), "%u", f->proto);
	flag_letters(f->dir[0].tcp_flags, t->fl0);
	flag_letters(f->dir[1].tcp_flags, t->fl1);
	t->duration = (double)(f->last_ns - f->first_ns) / 1e9;
	t->icmp = f->proto == SW_PROTO_ICMP || f->proto == SW_PROTO_ICMPV6;
	t->tcp = f->proto == SW_PROTO_TCP;
}

static void write_json(FILE *o, enum sw_flow_event ev, enum sw_flow_end why,
                       const struct sw_flow *f, const struct rec_text *t)
{
	fprintf(o, "{\"flow_id\":%" PRIu64 ",\"first_seen\":\"%s\",\"last_seen\":\"%s\","
	        "\"duration\":%.9f,\"proto\":\"%s\",\"ip_proto\":%u,"
	        "\"src_ip\":\"%s\",\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u,",
	        f->id, t->first, t->last, t->duration, t->proto, f->proto,
	        t->src, f->sport, t->dst, f->dport);
	if (f->vlan[0] != 0)
		fprintf(o, "\"vlan\":%u,", f->vlan[0]);
	if (f->vlan[1] != 0)
		fprintf(o, "\"vlan_inner\":%u,", f->vlan[1]);
	fprintf(o, "\"src_pkts\":%" PRIu64 ",\"src_bytes\":%" PRIu64 ",\"dst_pkts\":%" PRIu64
	        ",\"dst_bytes\":%" PRIu64 ",",
	        f->dir[0].pkts, f->dir[0].bytes, f->dir[1].pkts, f->dir[1].bytes);
	if (t->tcp)
		fprintf(o, "\"src_tcp_flags\":\"%s\",\"dst_tcp_flags\":\"%s\",\"tcp_state\":\"%s\","
		        "\"midstream\":%s,", t->fl0, t->fl1, sw_tcp_state_name(f->tcp_state),
		        f->midstream ? "true" : "false");
	if (t->icmp)
		fprintf(o, "\"icmp_type\":%u,\"icmp_code\":%u,", f->sport, f->dport);
	if (f->fragments)
		fprintf(o, "\"fragments\":%u,", f->fragments);
	if (f->icmp_errors)
		fprintf(o, "\"icmp_errors\":%u,", f->icmp_errors);
	fprintf(o, "\"end_reason\":\"%s\",\"update\":%s}\n",
	        sw_flow_end_name(why), ev == SW_FLOW_UPDATE ? "true" : "false");
}

static void write_csv(FILE *o, enum sw_flow_event ev, enum sw_flow_end why,
                      const struct sw_flow *f, const struct rec_text *t)
{
	fprintf(o, "%" PRIu64 ",%s,%s,%.9f,%s,%u,%s,%u,%s,%u,", f->id, t->first, t->last,
	        t->duration, t->proto, f->proto, t->src, f->sport, t->dst, f->dport);
	if (f->vlan[0] != 0)
		fprintf(o, "%u", f->vlan[0]);
	fputc(',', o);
	if (f->vlan[1] != 0)
		fprintf(o, "%u", f->vlan[1]);
	fprintf(o, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%s,%s,%s,",
	        f->dir[0].pkts, f->dir[0].bytes, f->dir[1].pkts, f->dir[1].bytes,
	        t->tcp ? t->fl0 : "", t->tcp ? t->fl1 : "",
	        t->tcp ? sw_tcp_state_name(f->tcp_state) : "",
	        t->tcp ? (f->midstream ? "true" : "false") : "",
	        sw_flow_end_name(why), ev == SW_FLOW_UPDATE ? "true" : "false");
	if (t->icmp)
		fprintf(o, "%u,%u", f->sport, f->dport);
	else
		fputc(',', o);
	fprintf(o, ",%u,%u\n", f->fragments, f->icmp_errors);
}

void sw_flowlog_write(struct sw_flowlog *fl, enum sw_flow_event ev, enum sw_flow_end why,
                      const struct sw_flow *f)
{
	struct rec_text t;

	if (ev == SW_FLOW_START)
		return;
	rec_prepare(f, &t);
	if (fl->fmt == SW_FLOWLOG_CSV)
		write_csv(fl->out, ev, why, f, &t);
	else
		write_json(fl->out, ev, why, f, &t);
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
