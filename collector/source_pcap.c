/*
 * source_pcap.c - libpcap backend of struct sw_source: capture files
 * (pcap/pcapng through pcap_open_offline, nanosecond precision) and live
 * interfaces (pcap_create -> set -> activate, memory-mapped ring).
 */
#include "source_internal.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SNAPLEN 262144u
#define DEFAULT_BUFFER (64ull * 1024 * 1024)
#define LIVE_TIMEOUT_MS 100
#define READ_BUFFER (1u << 20)

struct pcap_priv {
	pcap_t *p;
	char *iobuf; /* the capture file's stdio buffer, freed after pcap_close */
	bool nano;  /* timestamps are in nanoseconds */
	int dlt;
};

static int pcap_next_frame(struct sw_source *src, struct sw_frame *f, struct sw_err *err)
{
	struct pcap_priv *pp = src->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int r = pcap_next_ex(pp->p, &h, &data);

	if (r == 1) {
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
		           (uint64_t)h->ts.tv_usec * (pp->nano ? 1u : 1000u);
		f->dlt = pp->dlt;
		return SW_NEXT_FRAME;
	}
	if (r == 0)
		return SW_NEXT_NONE;
	if (r == PCAP_ERROR_BREAK)
		return SW_NEXT_EOF;
	return sw_err_set(err, SW_ERR_PARSE, src->name, 0, 0,
	                  "capture stopped after %llu packets: %s",
	                  (unsigned long long)src->frames, pcap_geterr(pp->p));
}

static void pcap_source_stats(struct sw_source *src, struct sw_source_stats *out)
{
	struct pcap_priv *pp = src->priv;
	struct pcap_stat ps;

	if (!src->live || pcap_stats(pp->p, &ps) != 0)
		return;
	out->kernel_drops = ps.ps_drop;
	out->iface_drops = ps.ps_ifdrop;
}

static void pcap_source_close(struct sw_source *src)
{
	struct pcap_priv *pp = src->priv;

	if (pp != NULL) {
		if (pp->p != NULL)
			pcap_close(pp->p);
		free(pp->iobuf);
		free(pp);
	}
}

static const struct sw_source_ops pcap_ops = {
	.next = pcap_next_frame,
	.stats = pcap_source_stats,
	.close = pcap_source_close,
};

static enum sw_status install_filter(pcap_t *p, const char *what, const char *filter,
                                     struct sw_err *err)
{
	struct bpf_program prog;

	if (filter == NULL || filter[0] == '\0')
		return SW_OK;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "invalid filter '%s': %s",
		                  filter, pcap_geterr(p));
	int r = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (r != 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "%s: cannot install filter: %s",
		                  what, pcap_geterr(p));
	return SW_OK;
}

/* Takes p and iobuf (may be NULL). */
static enum sw_status wrap(pcap_t *p, char *iobuf, bool live, int fd, const char *kind,
                           const char *name, struct sw_source **out, struct sw_err *err)
{
	struct pcap_priv *pp = calloc(1, sizeof(*pp));

	if (pp == NULL) {
		pcap_close(p);
		free(iobuf);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	pp->p = p;
	pp->iobuf = iobuf;
	pp->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	pp->dlt = pcap_datalink(p);
	*out = sw_source_alloc(&pcap_ops, pp, fd, live, "%s%s", kind, name);
	if (*out != NULL)
		(*out)->dlt = pp->dlt;
	if (*out == NULL) {
		pcap_close(p);
		free(iobuf);
		free(pp);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	return SW_OK;
}

/* Opens path (or standard input) with a large stdio buffer for regular
 * files: libpcap reads each record with two small freads, and glibc's
 * default buffer would make that a read system call every 4 KiB. glibc
 * ignores the size given to setvbuf without a buffer, so the buffer is
 * ours (*iobuf, freed after pcap_close). Standard input keeps its own. */
static FILE *open_input(const char *path, bool is_stdin, char **iobuf)
{
	FILE *fp;

	*iobuf = NULL;
	if (is_stdin)
		return stdin;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	*iobuf = malloc(READ_BUFFER);
	if (*iobuf != NULL && setvbuf(fp, *iobuf, _IOFBF, READ_BUFFER) != 0) {
		free(*iobuf);
		*iobuf = NULL;
	}
	return fp;
}

/* Closes what open_file made so far, returning st. */
static enum sw_status open_file_fail(pcap_t *p, FILE *fp, bool is_stdin, char *iobuf,
                                     enum sw_status st)
{
	if (p != NULL)
		pcap_close(p); /* closes fp too */
	else if (fp != NULL && !is_stdin)
		fclose(fp);
	free(iobuf);
	return st;
}

enum sw_status sw_source_open_file(const char *path, const char *filter,
                                   struct sw_source **out, struct sw_err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = strcmp(path, "-") == 0;
	const char *shown = is_stdin ? "standard input" : path;
	char *iobuf;
	FILE *fp = open_input(path, is_stdin, &iobuf);
	pcap_t *p;
	enum sw_status st;

	*out = NULL;
	if (fp == NULL)
		return sw_err_set(err, SW_ERR_PARSE, shown, 0, 0,
		                  "not a readable pcap or pcapng capture: %s", strerror(errno));
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (p == NULL)
		return open_file_fail(NULL, fp, is_stdin, iobuf,
		                      sw_err_set(err, SW_ERR_PARSE, shown, 0, 0,
		                                 "not a readable pcap or pcapng capture: %s",
		                                 errbuf));
	st = install_filter(p, shown, filter, err);
	if (st != SW_OK)
		return open_file_fail(p, fp, is_stdin, iobuf, st);
	if (pcap_datalink(p) < 0 || pcap_datalink(p) > 0xffff)
		/* the upper bits of the link-type field are reserved */
		return open_file_fail(p, fp, is_stdin, iobuf,
		                      sw_err_set(err, SW_ERR_PARSE, shown, 0, 0,
		                                 "invalid link type %d in the file header "
		                                 "(reserved bits set)", pcap_datalink(p)));
	return wrap(p, iobuf, false, -1, "", shown, out, err);
}

/* One line that says what went wrong and what to do about it. */
static enum sw_status activate_error(pcap_t *p, int r, const char *iface, struct sw_err *err)
{
	switch (r) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return sw_err_set(err, SW_ERR_NOTFOUND, NULL, 0, 0,
		                  "interface '%s' does not exist (list interfaces with `ip link`)",
		                  iface);
	case PCAP_ERROR_PERM_DENIED:
		return sw_err_set(err, SW_ERR_PERM, NULL, 0, 0,
		                  "no permission to capture on '%s': run as root or grant "
		                  "CAP_NET_RAW and CAP_NET_ADMIN "
		                  "(setcap cap_net_raw,cap_net_admin=eip segwatch)", iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "interface '%s' is down (bring it up with `ip link set %s up`)",
		                  iface, iface);
	default:
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot capture on '%s': %s",
		                  iface, pcap_geterr(p));
	}
}

static enum sw_status live_configure(pcap_t *p, const struct sw_live_config *cfg)
{
	uint64_t buf = cfg->buffer_bytes ? cfg->buffer_bytes : DEFAULT_BUFFER;

	if (buf > INT32_MAX)
		buf = INT32_MAX;
	if (pcap_set_snaplen(p, cfg->snaplen ? (int)cfg->snaplen : (int)DEFAULT_SNAPLEN) != 0 ||
	    pcap_set_promisc(p, cfg->promisc) != 0 ||
	    pcap_set_timeout(p, LIVE_TIMEOUT_MS) != 0 ||
	    pcap_set_buffer_size(p, (int)buf) != 0 ||
	    pcap_set_immediate_mode(p, cfg->immediate) != 0 ||
	    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0)
		return SW_ERR_INVALID;
	return SW_OK;
}

enum sw_status sw_source_open_live(const struct sw_live_config *cfg,
                                   struct sw_source **out, struct sw_err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int r;

	*out = NULL;
	if (cfg->snaplen > DEFAULT_SNAPLEN)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "snap length must be at most %u, got %u", DEFAULT_SNAPLEN,
		                  cfg->snaplen);
	p = pcap_create(cfg->iface, errbuf);
	if (p == NULL)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot capture on '%s': %s",
		                  cfg->iface, errbuf);
	if (live_configure(p, cfg) != SW_OK) {
		pcap_close(p);
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "cannot configure capture on '%s'", cfg->iface);
	}
	r = pcap_activate(p);
	if (r < 0) {
		enum sw_status st = activate_error(p, r, cfg->iface, err);
		pcap_close(p);
		return st;
	}
	enum sw_status st = install_filter(p, cfg->iface, cfg->filter, err);
	if (st == SW_OK && pcap_setnonblock(p, 1, errbuf) != 0)
		st = sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "%s: %s", cfg->iface, errbuf);
	if (st != SW_OK) {
		pcap_close(p);
		return st;
	}
	return wrap(p, NULL, true, pcap_get_selectable_fd(p), "interface ", cfg->iface, out, err);
}
