/*
 * eve.c - violation events as Suricata-style EVE JSON Lines (see
 * include/segwatch/eve.h). Each event is rendered whole before it is
 * written, then written and flushed in one go.
 */
#include "segwatch/eve.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/flowlog.h"
#include "segwatch/proto.h"

struct sw_eve {
	FILE *out;
	uint64_t count;
	uint64_t lost;
	enum sw_status first_error;
	int first_errno;
};

struct sw_eve *sw_eve_new(FILE *out, struct sw_err *err)
{
	struct sw_eve *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	e->out = out;
	return e;
}

/* Suricata's names for the protocols it knows; otherwise the number. */
static const char *eve_proto(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case SW_PROTO_TCP: return "TCP";
	case SW_PROTO_UDP: return "UDP";
	case SW_PROTO_SCTP: return "SCTP";
	case SW_PROTO_ICMP: return "ICMP";
	case SW_PROTO_ICMPV6: return "IPv6-ICMP";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

static int set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, value ? json_string(value) : json_null());
}

static int set_int(json_t *o, const char *key, uint64_t value)
{
	return json_object_set_new(o, key, json_integer((json_int_t)value));
}

static int set_addr(json_t *o, const char *key, const struct sw_addr *a)
{
	char buf[SW_ADDR_STRLEN];

	return set_str(o, key, sw_addr_format(a, buf, sizeof(buf)));
}

/* The "violation" member. */
static json_t *violation_member(const struct sw_violation *v)
{
	char sb[SW_ADDR_STRLEN], db[SW_ADDR_STRLEN];
	json_t *o = json_object();
	int bad = o == NULL;

	bad = bad || set_int(o, "id", v->id);
	bad = bad || set_str(o, "reason", sw_reason_name(v->reason));
	bad = bad || set_str(o, "verdict", sw_verdict_name(SW_VERDICT_DENIED));
	bad = bad || set_str(o, "src", sw_violation_identity(v, false, sb, sizeof(sb)));
	bad = bad || set_str(o, "src_endpoint", v->src_id);
	bad = bad || set_str(o, "dest", sw_violation_identity(v, true, db, sizeof(db)));
	bad = bad || set_str(o, "dest_endpoint", v->dst_id);
	bad = bad || set_str(o, "summary", v->summary);
	if (v->fw_verdict != SW_FW_NONE) {
		bad = bad || set_str(o, "fw_verdict", sw_fw_verdict_name(v->fw_verdict));
		bad = bad || set_str(o, "fw_prefix", v->fw_prefix);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The 5-tuple fields of the first flow (or of the key without one). */
static int set_tuple(json_t *o, const struct sw_violation *v)
{
	const struct sw_violation_sample *s = v->n_samples ? &v->samples[0] : NULL;
	bool icmp = v->proto == SW_PROTO_ICMP || v->proto == SW_PROTO_ICMPV6;
	bool ported = v->proto == SW_PROTO_TCP || v->proto == SW_PROTO_UDP ||
	              v->proto == SW_PROTO_SCTP;
	char pb[8];
	int bad;

	bad = set_addr(o, "src_ip", s ? &s->src : &v->src_addr);
	if (ported && s)
		bad = bad || set_int(o, "src_port", s->sport);
	bad = bad || set_addr(o, "dest_ip", s ? &s->dst : &v->dst_addr);
	if (ported)
		bad = bad || set_int(o, "dest_port", v->port);
	bad = bad || set_str(o, "proto", eve_proto(v->proto, pb, sizeof(pb)));
	if (icmp && s) {
		bad = bad || set_int(o, "icmp_type", s->sport);
		bad = bad || set_int(o, "icmp_code", s->dport);
	}
	return bad;
}

json_t *sw_eve_violation_json(const struct sw_violation *v)
{
	char tb[SW_TIME_STRLEN];
	json_t *o = json_object(), *member = violation_member(v);
	int bad = o == NULL || member == NULL;

	bad = bad || set_str(o, "timestamp", sw_format_time(v->first_ns, tb, sizeof(tb)));
	if (v->n_samples)
		bad = bad || set_int(o, "flow_id", v->samples[0].flow_id);
	bad = bad || set_str(o, "event_type", "violation");
	bad = bad || set_tuple(o, v);
	bad = bad || json_object_set(o, "violation", member);
	json_decref(member);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void lost(struct sw_eve *e, enum sw_status st, int errnum)
{
	if (e->lost++ == 0) {
		e->first_error = st;
		e->first_errno = errnum;
	}
}

/* Writes o as one line (taking the reference). */
static void write_event(struct sw_eve *e, json_t *o)
{
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t len = line ? strlen(line) : 0;

	json_decref(o);
	if (line == NULL) {
		lost(e, SW_ERR_NOMEM, 0);
		return;
	}
	line[len] = '\n'; /* replaces the NUL; written by length */
	errno = 0;
	if (fwrite(line, 1, len + 1, e->out) != len + 1 || fflush(e->out) != 0)
		lost(e, SW_ERR_IO, errno);
	else
		e->count++;
	free(line);
}

void sw_eve_write_violation(struct sw_eve *e, const struct sw_violation *v)
{
	write_event(e, sw_eve_violation_json(v));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The "anomaly" member; NULL when out of memory. */
static json_t *anomaly_member(const struct sw_anomaly *a, int64_t id)
{
	json_t *m = json_object();
	json_t *ev = a->evidence ? json_loads(a->evidence, 0, NULL) : NULL;
	int bad = m == NULL;

	/* the _new setters take their value's reference even when failing */
	bad = json_object_set_new(m, "evidence", ev ? ev : json_object()) || bad;
	bad = bad || set_str(m, "kind", sw_anomaly_kind_name(a->kind)) ||
	      json_object_set_new(m, "id", json_integer(id)) || set_str(m, "src", a->src) ||
	      json_object_set_new(m, "dest", str_or_null(a->dst)) ||
	      json_object_set_new(m, "src_namespace", str_or_null(a->src_ns)) ||
	      json_object_set_new(m, "dest_namespace", str_or_null(a->dst_ns)) ||
	      json_object_set_new(m, "score", json_real(a->score));
	if (bad) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *sw_eve_anomaly_json(const struct sw_anomaly *a, int64_t id)
{
	char ts[SW_TIME_STRLEN], proto[8];
	json_t *o = json_object();
	int bad = o == NULL;

	sw_format_time(a->detected_ns, ts, sizeof(ts));
	bad = bad || set_str(o, "timestamp", ts) || set_str(o, "event_type", "anomaly");
	if (!bad && a->dst != NULL)
		bad = set_str(o, "proto", eve_proto(a->proto, proto, sizeof(proto))) ||
		      set_int(o, "dest_port", a->port);
	bad = bad || json_object_set_new(o, "anomaly", anomaly_member(a, id));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void sw_eve_write_anomaly(struct sw_eve *e, const struct sw_anomaly *a, int64_t id)
{
	write_event(e, sw_eve_anomaly_json(a, id));
}

uint64_t sw_eve_count(const struct sw_eve *e)
{
	return e->count;
}

enum sw_status sw_eve_free(struct sw_eve *e, struct sw_err *err)
{
	enum sw_status st = SW_OK;

	if (e == NULL)
		return SW_OK;
	if (fflush(e->out) != 0 && e->lost == 0)
		lost(e, SW_ERR_IO, errno);
	if (e->lost != 0) {
		st = sw_err_set(err, e->first_error, NULL, 0, 0,
		                "%llu violation event%s not written: %s",
		                (unsigned long long)e->lost, e->lost == 1 ? "" : "s",
		                e->first_error == SW_ERR_NOMEM ? "out of memory"
		                : e->first_errno ? strerror(e->first_errno) : "write error");
	}
	free(e);
	return st;
}
