/*
 * capture.c - the collector loop: sources -> decoder -> flow table
 * (see include/segwatch/capture.h). Firewall metadata of NFLOG frames is
 * passed on with the packet; kernel drops of live sources are reported
 * once per source as they first appear.
 */
#include "segwatch/capture.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SOURCES 64
#define POLL_MS 100
/* Frames read from one source before looking at the others and at *stop. */
#define BURST 4096
/* How often live sources are asked whether the kernel dropped packets. */
#define DROP_CHECK_NS 1000000000ull

struct src_slot {
	struct sw_source *src;
	bool done;
	bool drops_reported;
};

/* Decoded packets handed to the flow table together, so it can prefetch
 * their flow entries (see sw_flowtable_add_batch). */
#define BATCH 32

struct sw_capture {
	struct sw_flowtable *ft;
	struct sw_packet batch[BATCH];
	unsigned n_batch;
	struct src_slot slots[MAX_SOURCES];
	size_t n;
	uint64_t next_drop_check_ns;
	struct sw_capture_stats st;
	sw_capture_tick_fn tick;
	void *tick_ctx;
};

struct sw_capture *sw_capture_new(struct sw_flowtable *ft, struct sw_err *err)
{
	struct sw_capture *cap = calloc(1, sizeof(*cap));

	if (cap == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	cap->ft = ft;
	return cap;
}

void sw_capture_free(struct sw_capture *cap)
{
	if (cap == NULL)
		return;
	for (size_t i = 0; i < cap->n; i++)
		sw_source_close(cap->slots[i].src);
	free(cap);
}

enum sw_status sw_capture_add_source(struct sw_capture *cap, struct sw_source *src)
{
	if (cap->n == MAX_SOURCES) {
		sw_source_close(src);
		return SW_ERR_LIMIT;
	}
	cap->slots[cap->n++].src = src;
	return SW_OK;
}

static void flush(struct sw_capture *cap)
{
	sw_flowtable_add_batch(cap->ft, cap->batch, cap->n_batch);
	cap->n_batch = 0;
}

/* Decodes a frame into the batch. Packets that borrow the frame's
 * firewall metadata are accounted at once: it lives only until the
 * source's next frame. */
static void account(struct sw_capture *cap, const struct sw_frame *f)
{
	struct sw_packet *pkt = &cap->batch[cap->n_batch];
	enum sw_drop_reason why = sw_decode(f->dlt, f->data, f->caplen, f->wirelen, pkt);

	cap->st.frames++;
	if (why != SW_DROP_NONE) {
		cap->st.dropped[why]++;
		flush(cap);
		sw_flowtable_advance(cap->ft, f->ts_ns);
		return;
	}
	cap->st.decoded++;
	pkt->ts_ns = f->ts_ns;
	pkt->fw = f->fw;
	if (++cap->n_batch == BATCH || f->fw != NULL)
		flush(cap);
}

/* Reads up to BURST frames from one source; marks it done at its end or
 * on an error (reported, first error kept in *first). Returns frames read. */
static unsigned drain(struct sw_capture *cap, struct src_slot *s, sw_warn_fn warn,
                      void *warn_ctx, struct sw_err *first)
{
	struct sw_frame f;
	struct sw_err e;
	unsigned n = 0;

	while (n < BURST) {
		int r = sw_source_next(s->src, &f, &e);
		if (r == SW_NEXT_FRAME) {
			account(cap, &f);
			n++;
			continue;
		}
		if (r < 0) {
			cap->st.source_errors++;
			if (warn != NULL)
				warn(warn_ctx, &e);
			if (first->status == SW_OK)
				*first = e;
		}
		if (r < 0 || r == SW_NEXT_EOF)
			s->done = true;
		break;
	}
	flush(cap);
	return n;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits until a live source is readable (or POLL_MS passes). */
static void wait_live(struct sw_capture *cap)
{
	struct pollfd pfd[MAX_SOURCES];
	nfds_t n = 0;

	for (size_t i = 0; i < cap->n; i++) {
		int fd = sw_source_fd(cap->slots[i].src);
		if (!cap->slots[i].done && fd >= 0) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			n++;
		}
	}
	if (n > 0 && poll(pfd, n, POLL_MS) < 0 && errno != EINTR)
		return;
}

/* Warns once per live source when its kernel first reports drops (a
 * ring or socket buffer that overflowed); later drops are only counted
 * (sw_source_stats). */
static void report_drops(struct sw_capture *cap, sw_warn_fn warn, void *warn_ctx)
{
	for (size_t i = 0; i < cap->n; i++) {
		struct src_slot *s = &cap->slots[i];
		struct sw_source_stats ss;
		struct sw_err w;
		char how[64] = "";

		if (s->drops_reported || !sw_source_is_live(s->src))
			continue;
		memset(&ss, 0, sizeof(ss));
		sw_source_stats(s->src, &ss);
		uint64_t over = sw_source_overflows(s->src);
		if (ss.kernel_drops == 0)
			continue;
		s->drops_reported = true;
		if (warn == NULL)
			continue;
		if (over != 0)
			snprintf(how, sizeof(how), ", %" PRIu64 " receive-buffer overflow%s", over,
			         over == 1 ? "" : "s");
		sw_err_set(&w, SW_OK, sw_source_name(s->src), 0, 0,
		           "the kernel dropped packets that were not read in time (%" PRIu64
		           " so far%s); later drops are counted in kernel_drops, not reported "
		           "again; a larger --buffer-size / --nflog-buffer-size helps",
		           ss.kernel_drops, how);
		warn(warn_ctx, &w);
	}
}

/* On shutdown, packets may still sit in a ring block the kernel has not
 * handed over yet; it does so within the block timeout, so wait for that
 * and read what arrived, leaving nothing behind. */
static void final_drain(struct sw_capture *cap, sw_warn_fn warn, void *warn_ctx,
                        struct sw_err *first)
{
	for (int round = 0; round < 3; round++) {
		wait_live(cap);
		for (size_t i = 0; i < cap->n; i++) {
			struct src_slot *s = &cap->slots[i];
			if (!s->done && sw_source_is_live(s->src))
				while (drain(cap, s, warn, warn_ctx, first) == BURST)
					;
		}
	}
}

enum sw_status sw_capture_run(struct sw_capture *cap, const volatile sig_atomic_t *stop,
                              sw_warn_fn warn, void *warn_ctx, struct sw_err *err)
{
	struct sw_err first;

	sw_err_clear(&first);
	while (!*stop) {
		bool live_left = false, file_left = false;
		unsigned got = 0;
		for (size_t i = 0; i < cap->n && !*stop; i++) {
			struct src_slot *s = &cap->slots[i];
			if (s->done)
				continue;
			bool live = sw_source_is_live(s->src);
			got += drain(cap, s, warn, warn_ctx, &first);
			if (!s->done) {
				live_left |= live;
				file_left |= !live;
			}
			if (!live) /* files are read to their end before the next source */
				break;
		}
		if (cap->tick != NULL)
			cap->tick(cap->tick_ctx, cap);
		if (!live_left && !file_left)
			break;
		if (live_left && !file_left && got == 0) {
			wait_live(cap);
			sw_flowtable_advance(cap->ft, wall_ns());
		}
		if (live_left && wall_ns() >= cap->next_drop_check_ns) {
			report_drops(cap, warn, warn_ctx);
			cap->next_drop_check_ns = wall_ns() + DROP_CHECK_NS;
		}
	}
	if (*stop)
		final_drain(cap, warn, warn_ctx, &first);
	report_drops(cap, warn, warn_ctx);
	if (first.status != SW_OK) {
		if (err != NULL)
			*err = first;
		return first.status;
	}
	return SW_OK;
}

void sw_capture_set_tick(struct sw_capture *cap, sw_capture_tick_fn fn, void *ctx)
{
	cap->tick = fn;
	cap->tick_ctx = ctx;
}

void sw_capture_stats(const struct sw_capture *cap, struct sw_capture_stats *out)
{
	*out = cap->st;
}

size_t sw_capture_n_sources(const struct sw_capture *cap)
{
	return cap->n;
}

struct sw_source *sw_capture_source(const struct sw_capture *cap, size_t i)
{
	return i < cap->n ? cap->slots[i].src : NULL;
}
