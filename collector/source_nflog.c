/*
 * source_nflog.c - NFLOG backend of struct sw_source: the packets that
 * iptables/nftables log rules hand to user space, read through
 * libnetfilter_log, each with the firewall facts the kernel attaches
 * (prefix, group, interfaces, mark, hook) and the verdict the prefix
 * announces (see the convention in include/segwatch/source.h).
 *
 * One source per group. Each group gets its own netlink socket, receive
 * buffer, sequence numbers and loss count, so a loss is attributed to the
 * group that suffered it and a group that cannot be bound fails alone,
 * with a message that names it.
 *
 * Reading: one recvmsg() takes a batch (one netlink datagram; the kernel
 * packs up to 64 KiB of log messages into it and flushes at least every
 * 10 ms). next() walks the batch one message at a time and hands each to
 * libnetfilter_log, whose callback fills the current frame. Frames point
 * into the batch buffer, which is refilled only when the batch is used
 * up, so a frame stays valid until the next call.
 *
 * Losses: a full receive buffer makes recvmsg() fail with ENOBUFS (the
 * kernel dropped at least one batch). Each message carries its group's
 * sequence number (NFULNL_CFG_F_SEQ), so the exact number of messages
 * lost is the sum of the gaps; that is what kernel_drops reports, and the
 * ENOBUFS events are counted separately (sw_source_overflows).
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <pcap/dlt.h>

#include "pkt_cursor.h"

#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif

/* Largest datagram: a batch of NL_BATCH_BYTES, or one message of a whole
 * 64 KiB packet plus its attributes, whichever is larger. */
#define RECV_BUF_BYTES (128u * 1024)
/* Kernel batching: up to 64 KiB or QTHRESH messages per datagram, and
 * whatever is queued is flushed after FLUSH_CS hundredths of a second. */
#define NL_BATCH_BYTES 65536u
#define QTHRESH 1024u
#define FLUSH_CS 1u
#define COPY_RANGE 0xffffu
/* Batches read per next() call at most when they hold no packet (acks). */
#define MAX_EMPTY_BATCHES 16
/* Interface names are looked up once per IFCACHE_TTL_NS per index. */
#define IFCACHE_SLOTS 64u
#define IFCACHE_TTL_NS (5ull * 1000000000ull)
/* How long closing may wait for the kernel to confirm the unbind. */
#define CLOSE_TIMEOUT_MS 500
/* Batches read at most to empty the queue before unbinding (under a
 * flood the kernel refills it as fast as it is read). */
#define CLOSE_MAX_DRAIN 4096
/* libnfnetlink's NFNL_CB_CONTINUE: let it go on with the next message. */
#define CB_CONTINUE 1

struct ifname_slot {
	uint32_t index;
	uint64_t expires_ns;
	char name[SW_FW_IFNAME_MAX];
};

struct nflog_priv {
	struct nflog_handle *h;
	struct nflog_g_handle *gh;
	uint16_t group;
	bool running;            /* false while opening/closing (see on_log) */
	uint8_t *buf;            /* the current batch */
	size_t len, pos;         /* its length; offset of the next message */
	uint64_t batch_ns;       /* clock when the batch arrived */
	bool have;               /* the callback filled frame/meta */
	struct sw_frame frame;
	struct sw_fw_meta meta;
	bool seq_on;             /* the kernel numbers the messages */
	uint32_t next_seq;       /* the number the next message should carry */
	uint64_t lost;           /* messages missing from the sequence */
	uint64_t overflows;      /* ENOBUFS from recvmsg */
	bool unmeasured;         /* an overflow whose gap has not shown yet */
	uint64_t truncated;      /* datagrams larger than the buffer (never expected) */
	struct ifname_slot ifcache[IFCACHE_SLOTS];
};

/* ---- prefix convention ---------------------------------------------------- */

static bool word_is(const char *w, size_t n, const char *lower)
{
	size_t i;

	for (i = 0; i < n && lower[i] != '\0'; i++) {
		char c = w[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[i])
			return false;
	}
	return i == n && lower[i] == '\0';
}

enum sw_fw_verdict sw_fw_verdict_parse(const char *prefix)
{
	static const struct { const char *word; enum sw_fw_verdict v; } words[] = {
		{"drop", SW_FW_DROP}, {"reject", SW_FW_REJECT}, {"accept", SW_FW_ACCEPT},
	};
	size_t n;

	if (prefix == NULL)
		return SW_FW_LOG;
	while (*prefix == ' ' || *prefix == '\t')
		prefix++;
	n = strcspn(prefix, " \t:");
	for (size_t i = 0; i < SW_ARRAY_SIZE(words); i++)
		if (word_is(prefix, n, words[i].word))
			return words[i].v;
	return SW_FW_LOG;
}

const char *sw_fw_verdict_name(enum sw_fw_verdict v)
{
	static const char *const names[] = {
		[SW_FW_NONE] = "none", [SW_FW_LOG] = "log", [SW_FW_ACCEPT] = "accept",
		[SW_FW_DROP] = "drop", [SW_FW_REJECT] = "reject",
	};
	return (unsigned)v < SW_ARRAY_SIZE(names) ? names[v] : "none";
}

const char *sw_fw_hook_name(uint8_t family, uint8_t hook)
{
	/* NF_INET_* and NF_BR_* share these numbers */
	static const char *const inet[] = {"prerouting", "input", "forward", "output",
	                                   "postrouting"};
	static const char *const netdev[] = {"ingress", "egress"};
	static const char *const arp[] = {"input", "output", "forward"};

	switch (family) {
	case 2:  /* NFPROTO_IPV4 */
	case 10: /* NFPROTO_IPV6 */
	case 7:  /* NFPROTO_BRIDGE */
		return hook < SW_ARRAY_SIZE(inet) ? inet[hook] : NULL;
	case 5:  /* NFPROTO_NETDEV */
		return hook < SW_ARRAY_SIZE(netdev) ? netdev[hook] : NULL;
	case 3:  /* NFPROTO_ARP */
		return hook < SW_ARRAY_SIZE(arp) ? arp[hook] : NULL;
	default:
		return NULL;
	}
}

/* ---- per-message facts ------------------------------------------------------ */

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Copies a prefix, cut to the stored size at a UTF-8 character boundary. */
static void copy_prefix(char dst[SW_FW_PREFIX_MAX], const char *src)
{
	size_t n = src != NULL ? strnlen(src, SW_FW_PREFIX_MAX) : 0;

	if (n >= SW_FW_PREFIX_MAX) {
		n = SW_FW_PREFIX_MAX - 1;
		/* src[n] is the first byte left out: if it continues a
		 * character, leave out that character's first bytes too */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The interface's name (cached), "" for index 0, "#N" when it has none. */
static void ifname(struct nflog_priv *np, uint32_t index, char out[SW_FW_IFNAME_MAX])
{
	struct ifname_slot *s = &np->ifcache[index % IFCACHE_SLOTS];
	char name[IF_NAMESIZE > SW_FW_IFNAME_MAX ? IF_NAMESIZE : SW_FW_IFNAME_MAX];

	if (index == 0) {
		out[0] = '\0';
		return;
	}
	if (s->index != index || np->batch_ns >= s->expires_ns) {
		if (if_indextoname(index, name) == NULL)
			snprintf(name, sizeof(name), "#%u", index);
		s->index = index;
		s->expires_ns = np->batch_ns + IFCACHE_TTL_NS;
		memcpy(s->name, name, SW_FW_IFNAME_MAX - 1);
		s->name[SW_FW_IFNAME_MAX - 1] = '\0';
	}
	memcpy(out, s->name, SW_FW_IFNAME_MAX);
}

/* The packet's length from its IP header when the copy was cut short
 * (a packet above the copy range); the captured length otherwise. */
static uint32_t ip_wire_len(const uint8_t *data, uint32_t caplen)
{
	struct pkt_cursor c;
	uint8_t vhl;
	uint16_t v4len, v6len;
	uint32_t len = 0;

	cur_init(&c, data, caplen);
	if (!cur_peek_u8(&c, &vhl))
		return caplen;
	if (vhl >> 4 == 4 && cur_skip(&c, 2) && cur_u16be(&c, &v4len))
		len = v4len;
	else if (vhl >> 4 == 6 && cur_skip(&c, 4) && cur_u16be(&c, &v6len) && v6len != 0)
		len = 40u + v6len;
	return len > caplen ? len : caplen;
}

static int dlt_of(const struct nfulnl_msg_packet_hdr *ph)
{
	if (ph == NULL)
		return DLT_RAW;
	switch (ntohs(ph->hw_protocol)) {
	case 0x0800:
		return DLT_IPV4;
	case 0x86dd:
		return DLT_IPV6;
	default:
		return DLT_RAW; /* the decoder goes by the version nibble */
	}
}

static void count_seq(struct nflog_priv *np, uint32_t seq)
{
	uint32_t gap = seq - np->next_seq;

	/* a number from the past (half the space behind) is no loss */
	if (gap != 0 && gap < 0x80000000u) {
		np->lost += gap;
		np->unmeasured = false;
	}
	np->next_seq = seq + 1;
}

/* The frame: the payload (raw IP), its link type and time. */
static void fill_frame(struct nflog_priv *np, struct nflog_data *nfd, const uint8_t *payload,
                       uint32_t len, const struct nfulnl_msg_packet_hdr *ph)
{
	struct timeval tv;

	np->frame.data = payload;
	np->frame.caplen = len;
	np->frame.wirelen = ip_wire_len(payload, len);
	np->frame.dlt = dlt_of(ph);
	if (nflog_get_timestamp(nfd, &tv) == 0)
		np->frame.ts_ns = (uint64_t)tv.tv_sec * 1000000000ull +
		                  (uint64_t)tv.tv_usec * 1000ull;
	else
		np->frame.ts_ns = np->batch_ns;
	np->frame.fw = &np->meta;
}

/* The firewall's facts about the packet. */
static void fill_meta(struct nflog_priv *np, struct nflog_data *nfd, uint8_t family,
                      const struct nfulnl_msg_packet_hdr *ph)
{
	struct sw_fw *fw = &np->meta.fw;
	const char *prefix = nflog_get_prefix(nfd);

	copy_prefix(fw->prefix, prefix);
	fw->verdict = (uint8_t)sw_fw_verdict_parse(prefix);
	fw->family = family;
	fw->hook = ph != NULL ? ph->hook : 0xff;
	fw->group = np->group;
	fw->mark = nflog_get_nfmark(nfd);
	np->meta.indev = nflog_get_indev(nfd);
	np->meta.outdev = nflog_get_outdev(nfd);
	ifname(np, np->meta.indev, fw->in);
	ifname(np, np->meta.outdev, fw->out);
}

/* libnetfilter_log's callback for one log message. While the source is
 * opening or closing, libnfnetlink may read messages on its own (waiting
 * for the kernel's acknowledgement of a command) and hand them here; they
 * are not delivered, and since their sequence numbers are not taken, the
 * next message delivered counts them as lost. */
static int on_log(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg, struct nflog_data *nfd,
                  void *data)
{
	struct nflog_priv *np = data;
	struct nfulnl_msg_packet_hdr *ph;
	char *payload;
	uint32_t seq;
	int len;

	(void)gh;
	if (!np->running)
		return CB_CONTINUE;
	if (np->seq_on && nflog_get_seq(nfd, &seq) == 0)
		count_seq(np, seq);
	len = nflog_get_payload(nfd, &payload);
	if (len < 0)
		return CB_CONTINUE; /* metadata only: nothing to decode */
	ph = nflog_get_msg_packet_hdr(nfd);
	fill_frame(np, nfd, (const uint8_t *)payload, (uint32_t)len, ph);
	fill_meta(np, nfd, nfmsg->nfgen_family, ph);
	np->have = true;
	return CB_CONTINUE;
}

/* ---- reading ---------------------------------------------------------------- */

/* Hands the next message of the batch to the library; true when it was a
 * logged packet (then np->frame is filled). */
static bool take_message(struct nflog_priv *np)
{
	size_t left = np->len - np->pos;
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)(np->buf + np->pos);

	if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left) {
		np->pos = np->len; /* a cut-off tail: nothing more in this batch */
		return false;
	}
	np->pos += NLMSG_ALIGN(nlh->nlmsg_len) < left ? NLMSG_ALIGN(nlh->nlmsg_len) : left;
	/* NLMSG_DONE ends a batch; errors/acks answer commands */
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_ULOG ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET)
		return false;
	np->have = false;
	nflog_handle_packet(np->h, (char *)nlh, (int)nlh->nlmsg_len);
	return np->have;
}

/* Reads one batch. Returns 1 (a batch, possibly empty), SW_NEXT_NONE
 * (nothing queued) or a negative status with err set. */
static int read_batch(struct sw_source *src, struct sw_err *err)
{
	struct nflog_priv *np = src->priv;
	struct sockaddr_nl peer;
	struct iovec iov = {np->buf, RECV_BUF_BYTES};
	struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof(peer),
	                     .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(src->fd, &msg, 0);

	np->len = np->pos = 0;
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return SW_NEXT_NONE;
		if (errno == ENOBUFS) {
			/* the gap in the sequence numbers will say how many
			 * messages this cost, once a later one arrives */
			np->overflows++;
			np->unmeasured = true;
			return 1;
		}
		return sw_err_set(err, SW_ERR_IO, src->name, 0, 0,
		                  "reading log messages failed after %llu packets: %s",
		                  (unsigned long long)src->frames, strerror(errno));
	}
	if (msg.msg_namelen != sizeof(peer) || peer.nl_pid != 0)
		return 1; /* only the kernel may speak here */
	if (msg.msg_flags & MSG_TRUNC)
		np->truncated++;
	np->len = (size_t)n;
	np->batch_ns = clock_ns();
	return 1;
}

static int nflog_next(struct sw_source *src, struct sw_frame *f, struct sw_err *err)
{
	struct nflog_priv *np = src->priv;

	for (int batches = 0; batches < MAX_EMPTY_BATCHES; batches++) {
		while (np->pos < np->len) {
			if (take_message(np)) {
				*f = np->frame;
				return SW_NEXT_FRAME;
			}
		}
		int r = read_batch(src, err);
		if (r != 1)
			return r;
	}
	return SW_NEXT_NONE;
}

static void nflog_stats(struct sw_source *src, struct sw_source_stats *out)
{
	struct nflog_priv *np = src->priv;

	/* an overflow costs at least one message: until its gap shows, count
	 * that one; without sequence numbers, one per overflow */
	out->kernel_drops = np->seq_on ? np->lost + np->unmeasured : np->overflows;
}

/* Unbinds the group so that libnetfilter_log frees its handle. The unbind
 * waits for the kernel's acknowledgement behind whatever is queued, so
 * the queue is emptied first and the wait is bounded. */
static void unbind(struct nflog_priv *np, int fd)
{
	struct timeval tmo = {0, CLOSE_TIMEOUT_MS * 1000};
	int flags = fcntl(fd, F_GETFL);

	np->running = false;
	for (int i = 0; i < CLOSE_MAX_DRAIN; i++)
		if (recv(fd, np->buf, RECV_BUF_BYTES, MSG_DONTWAIT) < 0 && errno != ENOBUFS &&
		    errno != EINTR)
			break;
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (nflog_unbind_group(np->gh) == 0)
		np->gh = NULL;
}

static void nflog_close_source(struct sw_source *src)
{
	struct nflog_priv *np = src->priv;

	if (np == NULL)
		return;
	if (np->gh != NULL)
		unbind(np, src->fd);
	/* closing the socket releases the group in the kernel in any case */
	nflog_close(np->h);
	/* The unbind failed (no CAP_NET_ADMIN any more after privileges were
	 * dropped, or no acknowledgement in time): the library keeps its
	 * group handle, a calloc()ed block only nflog_unbind_group() frees;
	 * free it here so nothing leaks. */
	free(np->gh);
	free(np->buf);
	free(np);
}

static const struct sw_source_ops nflog_ops = {
	.next = nflog_next,
	.stats = nflog_stats,
	.close = nflog_close_source,
};

uint64_t sw_source_overflows(const struct sw_source *src)
{
	if (src == NULL || src->ops != &nflog_ops)
		return 0;
	return ((const struct nflog_priv *)src->priv)->overflows;
}

/* ---- opening ---------------------------------------------------------------- */

/* One line that says what went wrong and what to do. have_admin: the
 * kernel accepted a command from us before, so we hold CAP_NET_ADMIN
 * (the kernel answers EPERM both to the unprivileged and to a bind of a
 * group another socket holds). */
static enum sw_status bind_error(int e, bool have_admin, uint16_t group, struct sw_err *err)
{
	switch (e) {
	case EPERM:
	case EACCES:
		if (have_admin)
			return sw_err_set(err, SW_ERR_BUSY, NULL, 0, 0,
			                  "NFLOG group %u is already bound by another process "
			                  "(ulogd?)", group);
		return sw_err_set(err, SW_ERR_PERM, NULL, 0, 0,
		                  "no permission to bind NFLOG group %u: run as root or grant "
		                  "CAP_NET_ADMIN", group);
	case EBUSY:
	case EEXIST:
		return sw_err_set(err, SW_ERR_BUSY, NULL, 0, 0,
		                  "NFLOG group %u is already bound by another process (ulogd?)",
		                  group);
	case EINVAL:
	case EOPNOTSUPP:
	case ENOENT:
		return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0,
		                  "cannot bind NFLOG group %u: this kernel has no nfnetlink_log "
		                  "(modprobe nfnetlink_log, or CONFIG_NETFILTER_NETLINK_LOG)", group);
	default:
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot bind NFLOG group %u: %s",
		                  group, strerror(e));
	}
}

static enum sw_status open_error(int e, struct sw_err *err)
{
	if (e == EPROTONOSUPPORT || e == EAFNOSUPPORT)
		return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0,
		                  "cannot open NFLOG: this kernel has no nfnetlink "
		                  "(CONFIG_NETFILTER_NETLINK)");
	if (e == EPERM || e == EACCES)
		return sw_err_set(err, SW_ERR_PERM, NULL, 0, 0,
		                  "no permission to open a netfilter socket: run as root or "
		                  "grant CAP_NET_ADMIN");
	return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot open NFLOG: %s",
	                  e != 0 ? strerror(e) : "libnetfilter_log failed");
}

/* Sets the receive buffer (beyond rmem_max: SO_RCVBUFFORCE needs
 * CAP_NET_ADMIN, which binding required anyway). */
static enum sw_status set_rcvbuf(int fd, uint64_t bytes, uint16_t group, struct sw_err *err)
{
	int v = bytes > INT32_MAX / 2 ? INT32_MAX / 2 : (int)bytes;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0)
		return SW_OK;
	return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
	                  "NFLOG group %u: cannot set a %llu-byte receive buffer: %s", group,
	                  (unsigned long long)bytes, strerror(errno));
}

/* Binds and configures the group; the socket stays blocking meanwhile
 * because each command waits for the kernel's acknowledgement. */
static enum sw_status configure(struct nflog_priv *np, const struct sw_nflog_config *cfg,
                                struct sw_err *err)
{
	uint64_t bytes = cfg->buffer_bytes ? cfg->buffer_bytes : SW_NFLOG_DEFAULT_BUFFER;
	int fd = nflog_fd(np->h);
	bool have_admin;

	errno = 0;
	/* a no-op since Linux 3.8 but needed before; it also tells whether
	 * the kernel takes commands from us at all */
	have_admin = nflog_bind_pf(np->h, AF_INET) == 0;
	have_admin |= nflog_bind_pf(np->h, AF_INET6) == 0;
	np->gh = nflog_bind_group(np->h, cfg->group);
	if (np->gh == NULL)
		return bind_error(errno, have_admin, cfg->group, err);
	nflog_callback_register(np->gh, on_log, np);
	/* the buffer size comes after nlbufsiz, which resets it */
	if (nflog_set_mode(np->gh, NFULNL_COPY_PACKET, COPY_RANGE) < 0 ||
	    nflog_set_nlbufsiz(np->gh, NL_BATCH_BYTES) < 0 ||
	    nflog_set_qthresh(np->gh, QTHRESH) < 0 ||
	    nflog_set_timeout(np->gh, FLUSH_CS) < 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot configure NFLOG group %u: %s",
		                  cfg->group, strerror(errno));
	np->seq_on = nflog_set_flags(np->gh, NFULNL_CFG_F_SEQ) == 0;
	if (set_rcvbuf(fd, bytes, cfg->group, err) != SW_OK)
		return err != NULL ? err->status : SW_ERR_IO;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "NFLOG group %u: %s", cfg->group,
		                  strerror(errno));
	return SW_OK;
}

enum sw_status sw_source_open_nflog(const struct sw_nflog_config *cfg,
                                    struct sw_source **out, struct sw_err *err)
{
	struct nflog_priv *np = calloc(1, sizeof(*np));
	enum sw_status st;

	*out = NULL;
	if (np == NULL || (np->buf = malloc(RECV_BUF_BYTES)) == NULL) {
		free(np);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	np->group = cfg->group;
	errno = 0;
	np->h = nflog_open();
	if (np->h == NULL) {
		st = open_error(errno, err);
		free(np->buf);
		free(np);
		return st;
	}
	st = configure(np, cfg, err);
	if (st == SW_OK) {
		*out = sw_source_alloc(&nflog_ops, np, nflog_fd(np->h), true, "nflog group %u",
		                       cfg->group);
		if (*out == NULL)
			st = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	if (st != SW_OK) {
		struct sw_source tmp = {.ops = &nflog_ops, .priv = np, .fd = nflog_fd(np->h)};
		nflog_close_source(&tmp);
		return st;
	}
	(*out)->dlt = DLT_RAW;
	np->running = true;
	return SW_OK;
}
