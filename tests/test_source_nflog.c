/*
 * test_source_nflog.c - cmocka tests of the NFLOG source: the prefix ->
 * verdict convention (table), verdict and hook names, the one-line errors
 * (no permission, group already bound), and, as root, real round trips in
 * a private network namespace the test creates (unshare(CLONE_NEWNET)):
 * nftables rules log loopback UDP to a group, and the source hands back
 * each packet with its bytes, prefix, verdict, interfaces, mark, hook and
 * exact counts; the capture loop attaches the strongest verdict to the
 * flow; a tiny receive buffer overflows, every lost message is counted
 * through the sequence numbers and the loop warns once. Tests that need
 * root skip otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "segwatch/capture.h"
#include "segwatch/source.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define PORT_LOGGED 9999
#define PORT_FLOOD 9998
#define GROUP_TRIP 42
#define GROUP_FLOOD 43
#define GROUP_BUSY 44
#define GROUP_PERM 45
#define GROUP_LOOP 46

/* Set by main(): this process lives in a network namespace of its own
 * (root only), so groups and rules cannot collide with the host's, and
 * the rules below are loaded there (nft installed). */
static bool private_netns;
static bool rules_loaded;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- the prefix convention ------------------------------------------------ */

static void test_verdict_table(void **state)
{
	static const struct {
		const char *prefix;
		enum sw_fw_verdict want;
	} cases[] = {
		{"DROP web->db", SW_FW_DROP},
		{"drop", SW_FW_DROP},
		{"Drop:web", SW_FW_DROP},
		{"DROP: web", SW_FW_DROP},
		{"  REJECT\tssh", SW_FW_REJECT},
		{"reject:", SW_FW_REJECT},
		{"ACCEPT", SW_FW_ACCEPT},
		{"accept: dns", SW_FW_ACCEPT},
		{"AcCePt x y z", SW_FW_ACCEPT},
		{"LOG web", SW_FW_LOG},
		{"", SW_FW_LOG},
		{NULL, SW_FW_LOG},
		{"DROPPED x", SW_FW_LOG},   /* a longer word is not the keyword */
		{"DRO", SW_FW_LOG},
		{"xDROP", SW_FW_LOG},
		{"DROP-web", SW_FW_LOG},    /* '-' does not end the word */
		{":DROP", SW_FW_LOG},       /* the first word is empty */
		{"ACCEPTED", SW_FW_LOG},
		{"web DROP", SW_FW_LOG},    /* only the first word counts */
		{"[UFW BLOCK] ", SW_FW_LOG},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		enum sw_fw_verdict got = sw_fw_verdict_parse(cases[i].prefix);
		if (got != cases[i].want)
			fail_msg("prefix '%s': got %s, want %s",
			         cases[i].prefix ? cases[i].prefix : "(null)",
			         sw_fw_verdict_name(got), sw_fw_verdict_name(cases[i].want));
	}
	/* the order is the strength a flow keeps */
	assert_true(SW_FW_REJECT > SW_FW_DROP && SW_FW_DROP > SW_FW_ACCEPT &&
	            SW_FW_ACCEPT > SW_FW_LOG && SW_FW_LOG > SW_FW_NONE);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sw_fw_verdict_name(SW_FW_ACCEPT), "accept");
	assert_string_equal(sw_fw_verdict_name(SW_FW_DROP), "drop");
	assert_string_equal(sw_fw_verdict_name(SW_FW_REJECT), "reject");
	assert_string_equal(sw_fw_verdict_name(SW_FW_LOG), "log");
	assert_string_equal(sw_fw_verdict_name(SW_FW_NONE), "none");
	assert_string_equal(sw_fw_hook_name(2, 1), "input");
	assert_string_equal(sw_fw_hook_name(10, 3), "output");
	assert_string_equal(sw_fw_hook_name(2, 2), "forward");
	assert_string_equal(sw_fw_hook_name(7, 0), "prerouting");
	assert_string_equal(sw_fw_hook_name(5, 0), "ingress");
	assert_null(sw_fw_hook_name(2, 5));
	assert_null(sw_fw_hook_name(99, 0));
	assert_int_equal(sw_source_overflows(NULL), 0);
}

/* ---- errors ------------------------------------------------------------------ */

struct open_result {
	int status;
	char msg[SW_ERR_MSG_MAX];
};

/* Opens group g with every capability dropped: directly when we have
 * none, else in a child that switches to nobody first. */
static struct open_result open_unprivileged(uint16_t g)
{
	struct sw_nflog_config cfg = {g, 0};
	struct open_result r;
	struct sw_source *src;
	struct sw_err err;
	int fds[2];

	memset(&r, 0, sizeof(r));
	if (geteuid() != 0) {
		r.status = sw_source_open_nflog(&cfg, &src, &err);
		if (r.status == SW_OK)
			sw_source_close(src);
		else
			snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		return r;
	}
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		r.status = sw_source_open_nflog(&cfg, &src, &err);
		if (r.status == SW_OK)
			sw_source_close(src);
		else
			snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		_exit(write(fds[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 4);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	return r;
}

static void test_no_permission(void **state)
{
	struct open_result r = open_unprivileged(GROUP_PERM);

	(void)state;
	assert_int_equal(r.status, SW_ERR_PERM);
	assert_string_equal(r.msg, "no permission to bind NFLOG group 45: run as root or grant "
	                           "CAP_NET_ADMIN");
}

static void test_group_busy(void **state)
{
	struct sw_nflog_config cfg = {GROUP_BUSY, 0};
	struct sw_source *a = NULL, *b = NULL;
	struct sw_err err;

	(void)state;
	if (!private_netns)
		skip();
	assert_int_equal(sw_source_open_nflog(&cfg, &a, &err), SW_OK);
	assert_string_equal(sw_source_name(a), "nflog group 44");
	assert_true(sw_source_is_live(a));
	assert_true(sw_source_fd(a) >= 0);
	assert_int_equal(sw_source_dlt(a), DLT_RAW);
	assert_int_equal(sw_source_open_nflog(&cfg, &b, &err), SW_ERR_BUSY);
	assert_null(b);
	assert_string_equal(err.msg, "NFLOG group 44 is already bound by another process (ulogd?)");
	assert_null(strchr(err.msg, '\n'));
	sw_source_close(a);
	/* closing released the group: it binds again */
	assert_int_equal(sw_source_open_nflog(&cfg, &b, &err), SW_OK);
	sw_source_close(b);
	sw_source_close(NULL);
}

/* Closing after privileges were dropped: the unbind is refused, the
 * kernel releases the group with the socket, and nothing leaks (the
 * child's exit runs LeakSanitizer, which fails the exit status). */
static void test_close_without_privileges(void **state)
{
	struct sw_nflog_config cfg = {GROUP_BUSY, 0};

	(void)state;
	if (!private_netns)
		skip();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sw_source *src;
		struct sw_err err;
		if (sw_source_open_nflog(&cfg, &src, &err) != SW_OK)
			_exit(3);
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(4);
		sw_source_close(src);
		exit(0);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	/* the group is free again */
	struct sw_source *src;
	struct sw_err err;
	assert_int_equal(sw_source_open_nflog(&cfg, &src, &err), SW_OK);
	sw_source_close(src);
}

/* ---- round trips in the private namespace -------------------------------- */

/* Loads an nftables rule set; false when nft is missing or refuses. */
static bool nft_load(const char *rules)
{
	char path[] = "/tmp/segwatch-nft.XXXXXX";
	char cmd[128];
	int fd = mkstemp(path);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, rules, strlen(rules)) == (ssize_t)strlen(rules);
	close(fd);
	snprintf(cmd, sizeof(cmd), "nft -f %s 2>/dev/null", path);
	ok = ok && system(cmd) == 0;
	unlink(path);
	return ok;
}

static const char trip_rules[] =
	"table inet swtest {\n"
	"  chain out {\n"
	"    type filter hook output priority 0; policy accept;\n"
	"    udp dport 9999 meta mark set 42 log prefix \"ACCEPT unit out\" group 42\n"
	"    udp dport 9998 log prefix \"LOG flood\" group 43\n"
	"  }\n"
	"  chain in {\n"
	"    type filter hook input priority 0; policy accept;\n"
	"    udp dport 9999 log prefix \"DROP unit: in\" group 42\n"
	"    udp sport 9999 log prefix \"accept reply\" group 46\n"
	"  }\n"
	"}\n";

/* Sends len bytes from a fresh socket to addr:port (v4 or v6) and
 * returns the source port, or 0 when the family is unavailable. */
static uint16_t send_udp(int family, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t sl = family == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int fd = socket(family, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
	}
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len) {
		close(fd);
		return 0;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	close(fd);
	return ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
}

/* A copy of what a frame held (frames are only borrowed). */
struct got {
	uint8_t data[128];
	uint32_t caplen, wirelen;
	uint64_t ts_ns;
	int dlt;
	struct sw_fw_meta meta;
};

/* Reads up to max frames, waiting up to wait_ms for the first and
 * 200 ms for each later one. */
static int read_frames(struct sw_source *src, struct got *out, int max, int wait_ms)
{
	struct pollfd pfd = {sw_source_fd(src), POLLIN, 0};
	struct sw_frame f;
	struct sw_err err;
	int n = 0;

	while (n < max) {
		f.fw = NULL;
		int r = sw_source_next(src, &f, &err);
		assert_true(r >= 0);
		if (r == SW_NEXT_NONE) {
			if (poll(&pfd, 1, n == 0 ? wait_ms : 200) <= 0)
				break;
			continue;
		}
		assert_int_equal(r, SW_NEXT_FRAME);
		assert_non_null(f.fw);
		assert_true(f.caplen <= sizeof(out[n].data));
		memcpy(out[n].data, f.data, f.caplen);
		out[n].caplen = f.caplen;
		out[n].wirelen = f.wirelen;
		out[n].ts_ns = f.ts_ns;
		out[n].dlt = f.dlt;
		out[n].meta = *f.fw;
		n++;
	}
	return n;
}

static void check_udp(const struct got *g, int family, uint16_t sport, const char *payload)
{
	struct sw_packet p;
	size_t plen = strlen(payload);
	uint32_t hdr = family == AF_INET ? 28u : 48u;

	assert_int_equal(g->dlt, family == AF_INET ? DLT_IPV4 : DLT_IPV6);
	assert_int_equal(g->caplen, hdr + plen);
	assert_int_equal(g->wirelen, g->caplen);
	assert_memory_equal(g->data + hdr, payload, plen);
	assert_int_equal(sw_decode(g->dlt, g->data, g->caplen, g->wirelen, &p), SW_DROP_NONE);
	assert_int_equal(p.proto, SW_PROTO_UDP);
	assert_int_equal(p.sport, sport);
	assert_int_equal(p.dport, PORT_LOGGED);
	assert_int_equal(p.ip_bytes, hdr + plen);
	assert_int_equal(p.ip_version, family == AF_INET ? 4 : 6);
}

static void test_round_trip(void **state)
{
	struct sw_nflog_config cfg = {GROUP_TRIP, 0};
	struct sw_source *src;
	struct sw_source_stats st;
	struct sw_err err;
	struct got got[16];
	uint16_t sport[4];
	char payload[16];
	unsigned lo = if_nametoindex("lo");

	(void)state;
	if (!rules_loaded)
		skip();
	assert_int_equal(sw_source_open_nflog(&cfg, &src, &err), SW_OK);
	uint64_t t0 = now_ns();
	for (int i = 0; i < 3; i++) {
		snprintf(payload, sizeof(payload), "seg%d", i);
		sport[i] = send_udp(AF_INET, PORT_LOGGED, payload, 4);
		assert_true(sport[i] != 0);
	}
	sport[3] = send_udp(AF_INET6, PORT_LOGGED, "six!", 4);
	int want = sport[3] != 0 ? 8 : 6; /* IPv6 may be off in the namespace */
	int n = read_frames(src, got, (int)SW_ARRAY_SIZE(got), 2000);
	uint64_t t1 = now_ns();

	/* each datagram is logged on output, then on input (loopback) */
	assert_int_equal(n, want);
	for (int i = 0; i < n; i++) {
		const struct sw_fw *fw = &got[i].meta.fw;
		bool out = i % 2 == 0;
		int family = i < 6 ? AF_INET : AF_INET6;
		snprintf(payload, sizeof(payload), "seg%d", i / 2);
		check_udp(&got[i], family, sport[i / 2], i < 6 ? payload : "six!");
		assert_string_equal(fw->prefix, out ? "ACCEPT unit out" : "DROP unit: in");
		assert_int_equal(fw->verdict, out ? SW_FW_ACCEPT : SW_FW_DROP);
		assert_int_equal(fw->family, family == AF_INET ? 2 : 10);
		assert_string_equal(sw_fw_hook_name(fw->family, fw->hook), out ? "output" : "input");
		assert_int_equal(fw->group, GROUP_TRIP);
		assert_int_equal(fw->mark, 42); /* set on output, kept across loopback */
		assert_string_equal(fw->out, out ? "lo" : "");
		assert_string_equal(fw->in, out ? "" : "lo");
		assert_int_equal(got[i].meta.outdev, out ? lo : 0);
		assert_int_equal(got[i].meta.indev, out ? 0 : lo);
		assert_true(got[i].ts_ns >= t0 - 1000000000ull && got[i].ts_ns <= t1);
	}
	sw_source_stats(src, &st);
	assert_int_equal(st.frames, (uint64_t)want);
	assert_int_equal(st.kernel_drops, 0);
	assert_int_equal(sw_source_overflows(src), 0);
	sw_source_close(src);
}

static struct sw_flow last_flow;
static int flows_ended;

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	(void)ctx;
	(void)why;
	if (ev == SW_FLOW_END) {
		last_flow = *f;
		flows_ended++;
	}
}

/* Requests are logged with DROP and ACCEPT prefixes, replies with a
 * lower-case accept: the flow keeps the strongest, DROP, with the facts
 * of the packet that set it. */
static void test_capture_attaches_verdict(void **state)
{
	struct sw_nflog_config c1 = {GROUP_TRIP, 0}, c2 = {GROUP_LOOP, 0};
	struct sw_flowtable_config fc;
	struct sw_source *s1, *s2;
	struct sw_err err;
	volatile sig_atomic_t stop = 1;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	char buf[16];

	(void)state;
	if (!rules_loaded)
		skip();
	sw_flowtable_config_default(&fc);
	struct sw_flowtable *ft = sw_flowtable_new(&fc, on_flow, NULL, &err);
	struct sw_capture *cap = sw_capture_new(ft, &err);
	assert_non_null(cap);
	assert_int_equal(sw_source_open_nflog(&c1, &s1, &err), SW_OK);
	assert_int_equal(sw_source_open_nflog(&c2, &s2, &err), SW_OK);
	assert_int_equal(sw_capture_add_source(cap, s1), SW_OK);
	assert_int_equal(sw_capture_add_source(cap, s2), SW_OK);

	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT_LOGGED),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sendto(cli, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
		assert_int_equal(recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl), 4);
		assert_int_equal(sendto(srv, "pong!", 5, 0, (struct sockaddr *)&peer, pl), 5);
		assert_int_equal(recv(cli, buf, sizeof(buf), 0), 5);
	}
	sleep_ms(50); /* the kernel flushes its batches every 10 ms */
	/* with stop already set, the run only drains what is queued */
	assert_int_equal(sw_capture_run(cap, &stop, NULL, NULL, &err), SW_OK);
	flows_ended = 0;
	sw_flowtable_flush(ft, SW_END_SHUTDOWN);
	assert_int_equal(flows_ended, 1);
	assert_int_equal(last_flow.proto, SW_PROTO_UDP);
	assert_int_equal(last_flow.sport, ntohs(peer.sin_port));
	assert_int_equal(last_flow.dport, PORT_LOGGED);
	/* requests: output (ACCEPT) + input (DROP) = 6; replies: input = 3 */
	assert_int_equal(last_flow.dir[0].pkts, 6);
	assert_int_equal(last_flow.dir[1].pkts, 3);
	assert_int_equal(last_flow.fw.verdict, SW_FW_DROP);
	assert_string_equal(last_flow.fw.prefix, "DROP unit: in");
	assert_int_equal(last_flow.fw.group, GROUP_TRIP);
	assert_string_equal(last_flow.fw.in, "lo");
	assert_string_equal(last_flow.fw.out, "");
	assert_int_equal(last_flow.fw.mark, 42);
	struct sw_capture_stats cs;
	sw_capture_stats(cap, &cs);
	assert_int_equal(cs.frames, 9);
	assert_int_equal(cs.decoded, 9);
	close(srv);
	close(cli);
	sw_capture_free(cap);
	sw_flowtable_free(ft);
}

/* A receive buffer far too small: the kernel drops whole batches, and
 * the sequence numbers account for every message lost. */
static void test_overflow_counted(void **state)
{
	struct sw_nflog_config cfg = {GROUP_FLOOD, 4096};
	struct sw_source *src;
	struct sw_source_stats st;
	struct sw_err err;
	static struct got got[512];
	const int n_sent = 3000;
	uint64_t seen = 0;
	int fd;

	(void)state;
	if (!rules_loaded)
		skip();
	assert_int_equal(sw_source_open_nflog(&cfg, &src, &err), SW_OK);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT_FLOOD),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < n_sent; i++)
		assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	sleep_ms(50);
	int r;
	while ((r = read_frames(src, got, (int)SW_ARRAY_SIZE(got), 100)) > 0)
		seen += (uint64_t)r;
	/* a loss at the very end shows in the sequence numbers only when a
	 * later message arrives; until then it counts as one */
	sw_source_stats(src, &st);
	assert_true(st.kernel_drops > 0);
	assert_int_equal(sendto(fd, "!", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	while ((r = read_frames(src, got, (int)SW_ARRAY_SIZE(got), 500)) > 0)
		seen += (uint64_t)r;
	close(fd);
	sw_source_stats(src, &st);
	assert_int_equal(st.frames, seen);
	assert_true(st.kernel_drops > 0);
	assert_true(sw_source_overflows(src) > 0);
	assert_int_equal(seen + st.kernel_drops, (uint64_t)n_sent + 1);
	assert_string_equal(got[0].meta.fw.prefix, "LOG flood");
	sw_source_close(src);
}

struct warnings {
	int n;
	struct sw_err last;
};

static void on_warn(void *ctx, const struct sw_err *w)
{
	struct warnings *ws = ctx;

	ws->n++;
	ws->last = *w;
}

/* The capture loop warns once, naming the group, when the kernel drops. */
static void test_overflow_warned(void **state)
{
	struct sw_nflog_config cfg = {GROUP_FLOOD, 4096};
	struct sw_flowtable_config fc;
	struct sw_source *src;
	struct sw_err err;
	struct warnings ws = {0};
	volatile sig_atomic_t stop = 1;

	(void)state;
	if (!rules_loaded)
		skip();
	sw_flowtable_config_default(&fc);
	fc.max_flows = 64;
	struct sw_flowtable *ft = sw_flowtable_new(&fc, NULL, NULL, &err);
	struct sw_capture *cap = sw_capture_new(ft, &err);
	assert_int_equal(sw_source_open_nflog(&cfg, &src, &err), SW_OK);
	assert_int_equal(sw_capture_add_source(cap, src), SW_OK);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT_FLOOD),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	close(fd);
	sleep_ms(50);
	assert_int_equal(sw_capture_run(cap, &stop, on_warn, &ws, &err), SW_OK);
	assert_int_equal(ws.n, 1);
	assert_string_equal(ws.last.file, "nflog group 43");
	assert_non_null(strstr(ws.last.msg, "the kernel dropped packets that were not read in time ("));
	assert_non_null(strstr(ws.last.msg, "receive-buffer overflow"));
	/* once only */
	assert_int_equal(sw_capture_run(cap, &stop, on_warn, &ws, &err), SW_OK);
	assert_int_equal(ws.n, 1);
	sw_capture_free(cap);
	sw_flowtable_free(ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_permission),
		cmocka_unit_test(test_group_busy),
		cmocka_unit_test(test_close_without_privileges),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_capture_attaches_verdict),
		cmocka_unit_test(test_overflow_counted),
		cmocka_unit_test(test_overflow_warned),
	};

	/* NFLOG groups belong to a network namespace: as root, take one of
	 * our own, with only a loopback interface, for the round trips */
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    system("ip link set lo up 2>/dev/null") == 0)
		private_netns = true;
	else
		fprintf(stderr, "test_source_nflog: not root or no network namespaces: "
		                "the NFLOG tests that need them are skipped\n");
	rules_loaded = private_netns && nft_load(trip_rules);
	if (private_netns && !rules_loaded)
		fprintf(stderr, "test_source_nflog: nft missing or refused the rules: "
		                "the NFLOG round trips are skipped\n");
	return cmocka_run_group_tests_name("source_nflog", tests, NULL, NULL);
}
