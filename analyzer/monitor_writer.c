/*
 * monitor_writer.c - the writer-thread half of the monitoring pipeline:
 * takes what the capture thread handed over, stores it in one transaction
 * (violation snapshots first, then ended flows; a stored violation's
 * counters at most once per commit interval), writes the EVE events of
 * violations once they are stored, prunes flows past retention, and on a
 * failed commit keeps the batch and retries with backoff.
 */
#include "monitor_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/eve.h"
#include "segwatch/grow.h"
#include "segwatch/sched.h"
#include "segwatch/store_baseline.h"

#define BACKOFF_MIN_NS 500000000ull
#define BACKOFF_MAX_NS 30000000000ull
#define PRUNE_EVERY_NS 60000000000ull
/* Rounds are never sized below this many flows. */
#define ROUND_FLOWS_MIN 4096

static void deadline_after(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* Merges a newer snapshot of a violation into held (one per id, found
 * through held_slot: index + 1 of each id's snapshot in held.v). */
static bool hold_snapshot(struct sw_monitor *mon, const struct viol_snap *s)
{
	uint64_t id = s->v.id;

	if (!sw_grow_zeroed((void **)&mon->held_slot, &mon->held_slot_cap, id + 1,
	                    sizeof(*mon->held_slot)))
		return false;
	if (mon->held_slot[id] != 0) {
		struct viol_snap *h = &mon->held.v.a[mon->held_slot[id] - 1];
		bool was_new = h->is_new;
		*h = *s;
		h->is_new = was_new || s->is_new;
		h->deferred = false; /* newer counters: due again */
		return true;
	}
	if (!VEC_PUSH(&mon->held.v, s))
		return false;
	mon->held_slot[id] = mon->held.v.n;
	return true;
}

/* Moves what waits in shared into held (lock held). */
static void take_shared(struct sw_monitor *mon)
{
	struct monitor_queue *q = &mon->shared;
	size_t kept = 0;

	for (size_t i = 0; i < q->v.n; i++)
		if (!hold_snapshot(mon, &q->v.a[i]))
			q->v.a[kept++] = q->v.a[i]; /* stays shared: taken next round */
	q->v.n = kept;
	if (mon->pending_at == mon->pending.n) { /* the last flows taken are used up */
		mon->pending.n = mon->pending_at = 0;
		(void)VEC_MOVE(&mon->pending, &q->f); /* into an empty vector: a swap */
	}
	mon->pending_left = mon->pending.n - mon->pending_at;
	if (!VEC_MOVE(&mon->held.e, &q->e))
		q->e.n = 0; /* the edges' later changes store them again */
	if (!VEC_MOVE(&mon->held.an, &q->an)) {
		mon->stats.store_dropped += q->an.n;
		sw_anom_clear(&q->an);
	}
	pthread_cond_broadcast(&mon->drained);
}

/* Moves the oldest pending flows into the round, up to its size; true when
 * it moved (or lost) any. Writer thread only, outside the lock: the
 * capture thread never waits on this copy. */
static bool fill_round(struct sw_monitor *mon)
{
	size_t left = mon->pending.n - mon->pending_at;
	size_t room = mon->held.f.n < mon->round_flows ? mon->round_flows - mon->held.f.n : 0;
	size_t take = left < room ? left : room;

	if (take == 0)
		return false; /* none, or a failed round still holds its flows */
	if (mon->held.f.n == 0 && mon->pending_at == 0 && take == left) {
		(void)VEC_MOVE(&mon->held.f, &mon->pending); /* a swap */
		return true;
	}
	if (!sw_vec_push((void **)&mon->held.f.a, &mon->held.f.n, &mon->held.f.cap,
	                 mon->pending.a + mon->pending_at, take, sizeof(*mon->held.f.a))) {
		pthread_mutex_lock(&mon->lock);
		mon->stats.store_dropped += left;
		pthread_mutex_unlock(&mon->lock);
		mon->pending.n = mon->pending_at = 0;
		return true;
	}
	mon->pending_at += take;
	return true;
}

/* Waits for work, a stop or the commit interval (backing off: the whole
 * wait, whatever arrives); returns with work held (possibly none).
 * *stopping tells whether the capture has finished, *drained whether
 * nothing is left waiting beyond what is held. */
static void wait_for_work(struct sw_monitor *mon, uint64_t wait_ns, bool backing_off,
                          bool *stopping, bool *drained)
{
	struct timespec until;

	deadline_after(&until, wait_ns);
	pthread_mutex_lock(&mon->lock);
	while (backing_off || (!mon->stopping && mon->shared.v.n == 0 && mon->shared.f.n == 0 &&
	                       mon->shared.e.n == 0 && mon->shared.an.n == 0 &&
	                       mon->pending_at == mon->pending.n)) {
		if (pthread_cond_timedwait(&mon->wake, &mon->lock, &until) == ETIMEDOUT)
			break;
	}
	take_shared(mon);
	*stopping = mon->stopping;
	*drained = mon->shared.f.n == 0;
	pthread_mutex_unlock(&mon->lock);
	if (fill_round(mon)) {
		/* a capture waiting for room (a file, backlog full) counts the
		 * backlog with pending_left: it must not wait on the old figure
		 * while the writer waits for it */
		pthread_mutex_lock(&mon->lock);
		mon->pending_left = mon->pending.n - mon->pending_at;
		pthread_cond_broadcast(&mon->drained);
		pthread_mutex_unlock(&mon->lock);
	}
	*drained = *drained && mon->pending_at == mon->pending.n;
}

/* Whether what is held has anything to store now: flows, baseline edges,
 * anomalies, or violation snapshots not left for a later round. */
static bool fresh_work(const struct sw_monitor *mon)
{
	if (mon->held.f.n > 0 || mon->held.e.n > 0 || mon->held.an.n > 0)
		return true;
	for (size_t i = 0; i < mon->held.v.n; i++)
		if (!mon->held.v.a[i].deferred)
			return true;
	return false;
}

/* Live sources: a round that has work but not a full load of flows
 * gathers what comes until a commit interval after the last round began
 * (the transaction is not open meanwhile), so steady traffic is committed
 * once an interval, and work after a quiet spell at once. A commit writes
 * every page its rows touched, and one per hand-over (up to 20 a second)
 * wrote the same index pages again each time. A file is stored as fast as
 * it is read: waiting would only move the work to the end of the run. */
static void gather_live(struct sw_monitor *mon, bool *stopping, bool *drained)
{
	uint64_t now = sw_monitor_mono_ns(), until_ns = mon->round_began_ns +
	                                                mon->cfg.commit_interval_ns;
	struct timespec until;

	if (!mon->cfg.live || *stopping || now >= until_ns || !fresh_work(mon) ||
	    mon->held.f.n >= mon->round_flows)
		return;
	deadline_after(&until, until_ns - now);
	pthread_mutex_lock(&mon->lock);
	while (!mon->stopping)
		if (pthread_cond_timedwait(&mon->wake, &mon->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&mon->lock);
	wait_for_work(mon, 0, false, stopping, drained);
}

/* ---- storing ---- */

static bool remember_row(struct sw_monitor *mon, uint64_t vid, int64_t row, uint64_t now)
{
	if (!sw_grow_zeroed((void **)&mon->stored, &mon->stored_cap, vid + 1,
	                    sizeof(*mon->stored)))
		return false;
	mon->stored[vid].row = row;
	mon->stored[vid].written_ns = now;
	return true;
}

static int64_t row_of(const struct sw_monitor *mon, uint64_t vid)
{
	return vid != 0 && vid < mon->stored_cap ? mon->stored[vid].row : 0;
}

/* The snapshot with the counters committed transactions already added to
 * its row taken off: what a write adds. */
static struct sw_violation unstored_part(const struct sw_monitor *mon, const struct viol_snap *h)
{
	struct sw_violation d = h->v;
	const struct viol_counts *a;

	if (h->v.id >= mon->stored_cap)
		return d;
	a = &mon->stored[h->v.id].added;
	d.flows -= a->flows;
	for (int i = 0; i < 2; i++) {
		d.pkts[i] -= a->pkts[i];
		d.bytes[i] -= a->bytes[i];
	}
	return d;
}

/* After a commit: the rows of the violations it wrote hold their
 * snapshots' counters. */
static void note_added(struct sw_monitor *mon)
{
	for (size_t i = 0; i < mon->held.v.n; i++) {
		const struct sw_violation *v = &mon->held.v.a[i].v;
		struct viol_counts *a = &mon->stored[v->id].added;

		if (mon->held.v.a[i].deferred)
			continue;
		a->flows = v->flows;
		memcpy(a->pkts, v->pkts, sizeof(a->pkts));
		memcpy(a->bytes, v->bytes, sizeof(a->bytes));
	}
}

/* A stored violation's counters are rewritten at most once per commit
 * interval: each rewrite moves its row in the eight indexes that hold
 * last_seen, and a violation hit in every round (a denied connection that
 * keeps being retried) would otherwise cost that every round, up to 20
 * times a second. New violations are stored at once; at stop, everything. */
static bool counters_due(const struct sw_monitor *mon, const struct viol_snap *h, uint64_t now)
{
	return mon->flush_counters || h->is_new ||
	       now - mon->stored[h->v.id].written_ns >= mon->cfg.commit_interval_ns;
}

static const char *endpoint_id(const struct sw_matcher *m, const struct sw_addr *a)
{
	long i = sw_matcher_endpoint_of(m, a);

	return i < 0 ? NULL : sw_inventory_endpoint(sw_matcher_inventory(m), (size_t)i)->id;
}

/* The service map: a flow's counts into the sums per edge and minute,
 * which go into edge_minutes in this or a later transaction (within a
 * commit interval; monitor_edges.c). A sum that finds no memory is counted
 * lost once the batch is committed. */
static void sum_edge(struct sw_monitor *mon, const struct sw_store_flow *sf, int64_t vrow)
{
	const struct sw_flow *f = sf->flow;
	char sb[SW_ADDR_STRLEN], db[SW_ADDR_STRLEN];
	struct sw_store_edge_minute e = {
		.minute_ns = sw_monitor_edges_minute(f->last_ns),
		.src = sf->src_id ? sf->src_id : sw_addr_format(&f->src, sb, sizeof(sb)),
		.dst = sf->dst_id ? sf->dst_id : sw_addr_format(&f->dst, db, sizeof(db)),
		.src_endpoint = sf->src_id != NULL, .dst_endpoint = sf->dst_id != NULL,
		.proto = f->proto, .port = f->dport, .flows = 1,
		.bytes = f->dir[0].bytes + f->dir[1].bytes,
		.denied = sf->reason == SW_REASON_DENIED_INGRESS ||
		          sf->reason == SW_REASON_DENIED_EGRESS ||
		          sf->reason == SW_REASON_DENIED_BOTH,
		.violation_id = vrow,
	};

	if (!sw_monitor_edges_add(mon->edges, &e))
		mon->edges_lost++;
}

/* The round's ended flows: their rows (SW_STORE_FLOWS_PER_INSERT to a
 * statement), then their counts in the map's sums. */
static enum sw_status store_flows(struct sw_monitor *mon, struct sw_err *err)
{
	size_t n = mon->held.f.n;
	struct sw_store_flow *rows;
	enum sw_status status;

	if (!sw_grow((void **)&mon->held_rows, &mon->held_rows_cap, n, sizeof(*rows)))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	rows = mon->held_rows;
	for (size_t i = 0; i < n; i++) {
		const struct flow_rec *r = &mon->held.f.a[i];

		rows[i] = (struct sw_store_flow){
			.flow = &r->f,
			.end = (enum sw_flow_end)r->why,
			.src_id = endpoint_id(mon->cfg.m, &r->f.src),
			.dst_id = endpoint_id(mon->cfg.m, &r->f.dst),
			.reason = (enum sw_reason)r->reason,
			.violation_id = row_of(mon, r->vid),
		};
		if (r->f.last_ns > mon->latest_ns)
			mon->latest_ns = r->f.last_ns;
	}
	status = sw_store_put_flows(mon->cfg.store, rows, n, err);
	for (size_t i = 0; status == SW_OK && i < n; i++)
		sum_edge(mon, &rows[i], rows[i].violation_id);
	return status;
}

/* Forgets the rows given to violations by a batch that was rolled back. */
static void forget_rows(struct sw_monitor *mon, size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		const struct viol_snap *h = &mon->held.v.a[i];
		if (h->row_assigned)
			mon->stored[h->v.id].row = 0;
	}
}

static enum sw_status store_violations(struct sw_monitor *mon, uint64_t now, size_t *done,
                                       struct sw_err *err)
{
	struct sw_store *st = mon->cfg.store;
	enum sw_status status = SW_OK;

	for (*done = 0; status == SW_OK && *done < mon->held.v.n; ++*done) {
		struct viol_snap *h = &mon->held.v.a[*done];
		int64_t row = row_of(mon, h->v.id);
		struct sw_violation part;

		h->row_assigned = false;
		h->deferred = false;
		if (row != 0) {
			h->deferred = !counters_due(mon, h, now);
			if (h->deferred)
				continue;
			part = unstored_part(mon, h);
			status = sw_store_update_violation(st, row, &part, err);
			mon->stored[h->v.id].written_ns = now;
			if (status != SW_ERR_NOTFOUND)
				continue;
			/* its row was deleted meanwhile (by hand): stored again,
			 * whole, as a new one */
			mon->stored[h->v.id] = (struct stored_violation){ 0 };
			status = SW_OK;
		}
		part = unstored_part(mon, h);
		status = sw_store_upsert_violation(st, &part, &row, err);
		if (status == SW_OK && !remember_row(mon, h->v.id, row, now))
			status = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		h->row_assigned = status == SW_OK;
	}
	return status;
}

static enum sw_status store_held(struct sw_monitor *mon, struct sw_err *err)
{
	struct sw_store *st = mon->cfg.store;
	enum sw_status status = sw_store_begin_batch(st, err);
	uint64_t now = sw_monitor_mono_ns();
	size_t done = 0;

	if (status == SW_OK &&
	    !sw_grow_zeroed((void **)&mon->held_anomaly_rows, &mon->held_anomaly_cap,
	                    mon->held.an.n, sizeof(int64_t)))
		status = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");

	if (status == SW_OK)
		status = store_violations(mon, now, &done, err);
	mon->edges_lost = 0;
	if (status == SW_OK)
		status = store_flows(mon, err);
	for (size_t i = 0; status == SW_OK && i < mon->held.e.n; i++)
		status = sw_store_upsert_edge(st, &mon->held.e.a[i], err);
	for (size_t i = 0; status == SW_OK && i < mon->held.an.n; i++)
		status = sw_store_insert_anomaly(st, &mon->held.an.a[i].a, &mon->held_anomaly_rows[i],
		                                 err);
	if (status == SW_OK)
		status = sw_monitor_edges_store(mon->edges, st, now,
		                                mon->flush_counters ? 0 : mon->cfg.commit_interval_ns,
		                                &mon->map_rows, err);
	if (status == SW_OK)
		status = sw_store_commit_batch(st, err);
	else
		sw_store_rollback_batch(st);
	if (status == SW_OK) {
		note_added(mon);
		sw_monitor_edges_committed(mon->edges, now, mon->cfg.commit_interval_ns);
	} else {
		sw_monitor_edges_rolled_back(mon->edges);
		forget_rows(mon, done);
	}
	return status;
}

/* EVE events of the violations stored for the first time. */
static void write_events(struct sw_monitor *mon, uint64_t *events)
{
	struct sw_eve *eve;
	struct sw_err err;

	*events = 0;
	if (mon->cfg.eve == NULL)
		return;
	eve = sw_eve_new(mon->cfg.eve, &err);
	if (eve == NULL)
		return;
	for (size_t i = 0; i < mon->held.v.n; i++)
		if (mon->held.v.a[i].is_new)
			sw_eve_write_violation(eve, &mon->held.v.a[i].v);
	for (size_t i = 0; i < mon->held.an.n; i++)
		sw_eve_write_anomaly(eve, &mon->held.an.a[i].a, mon->held_anomaly_rows[i]);
	*events = sw_eve_count(eve);
	if (sw_eve_free(eve, &err) != SW_OK && mon->cfg.warn != NULL)
		mon->cfg.warn(mon->cfg.warn_ctx, &err);
	fflush(mon->cfg.eve);
}

/* Moves the deferred violation snapshots of a committed round to the front
 * of held (newer snapshots merge into them) and unlists the others;
 * returns how many stay. */
static size_t keep_deferred(struct sw_monitor *mon)
{
	size_t kept = 0;

	for (size_t i = 0; i < mon->held.v.n; i++) {
		const struct viol_snap *h = &mon->held.v.a[i];

		if (!h->deferred) {
			mon->held_slot[h->v.id] = 0;
			continue;
		}
		mon->held.v.a[kept++] = *h;
		mon->held_slot[h->v.id] = kept;
	}
	return kept;
}

static void account_commit(struct sw_monitor *mon, uint64_t events, bool recovered)
{
	size_t written = mon->held.v.n, kept = keep_deferred(mon);

	written -= kept;
	pthread_mutex_lock(&mon->lock);
	mon->stats.store_batches++;
	mon->stats.flows_stored += mon->held.f.n;
	if (mon->held.f.n > mon->stats.store_round_max)
		mon->stats.store_round_max = mon->held.f.n;
	mon->stats.violations_stored += written;
	mon->stats.anomalies_stored += mon->held.an.n;
	mon->stats.edges_stored += mon->held.e.n;
	mon->stats.map_rows_stored += mon->map_rows;
	mon->stats.eve_events += events;
	mon->stats.store_dropped += mon->edges_lost;
	mon->stats.store_failing = false;
	mon->stats.store_backlog = mon->shared.f.n + (mon->pending.n - mon->pending_at);
	if (recovered)
		sw_err_clear(&mon->writer_err);
	pthread_mutex_unlock(&mon->lock);
	mon->held.v.n = kept;
	mon->held.f.n = 0;
	mon->held.e.n = 0;
	sw_anom_clear(&mon->held.an);
}

static void account_failure(struct sw_monitor *mon, const struct sw_err *err, bool first)
{
	pthread_mutex_lock(&mon->lock);
	mon->stats.store_failed_batches++;
	mon->stats.store_failing = true;
	mon->writer_err = *err;
	pthread_mutex_unlock(&mon->lock);
	if (first && mon->cfg.warn != NULL) {
		struct sw_err w = *err;
		size_t len = strlen(w.msg);
		snprintf(w.msg + len, sizeof(w.msg) - len,
		         "; capture goes on, what is not stored is kept and retried");
		mon->cfg.warn(mon->cfg.warn_ctx, &w);
	}
}

static void warn_recovered(struct sw_monitor *mon, size_t flows, size_t violations)
{
	struct sw_err w;

	if (mon->cfg.warn == NULL)
		return;
	sw_err_set(&w, SW_OK, NULL, 0, 0,
	           "the database accepts writes again: stored %zu kept flows and %zu "
	           "violations", flows, violations);
	mon->cfg.warn(mon->cfg.warn_ctx, &w);
}

static void prune(struct sw_monitor *mon)
{
	uint64_t now = sw_monitor_mono_ns(), deleted = 0;
	struct sw_err err;

	if (mon->cfg.retain_flows_ns == 0 || now < mon->next_prune_ns ||
	    mon->latest_ns <= mon->cfg.retain_flows_ns)
		return;
	mon->next_prune_ns = now + PRUNE_EVERY_NS;
	if (sw_store_prune_flows(mon->cfg.store, mon->latest_ns - mon->cfg.retain_flows_ns,
	                         &deleted, &err) != SW_OK) {
		if (mon->cfg.warn != NULL)
			mon->cfg.warn(mon->cfg.warn_ctx, &err);
		return;
	}
	pthread_mutex_lock(&mon->lock);
	mon->stats.flows_pruned += deleted;
	pthread_mutex_unlock(&mon->lock);
}

/* Sizes the next rounds from this one (flows stored in elapsed_ns, with
 * its violations): about a commit interval of writing, so commits keep
 * their pace however far the writer is behind. */
static void size_rounds(struct sw_monitor *mon, size_t flows, uint64_t elapsed_ns)
{
	double fit;

	if (flows < ROUND_FLOWS_MIN || elapsed_ns == 0)
		return; /* too small to time */
	fit = (double)flows * (double)mon->cfg.commit_interval_ns / (double)elapsed_ns;
	if (fit < ROUND_FLOWS_MIN)
		fit = ROUND_FLOWS_MIN;
	mon->round_flows = fit > (double)mon->cfg.max_round_flows ? mon->cfg.max_round_flows
	                                                           : (size_t)fit;
}

/* Whether a held violation snapshot or a map sum is to be written now (a
 * round without flows: the map's deferred sums must not wait for more
 * traffic, nor be lost at stop). */
static bool any_due(const struct sw_monitor *mon)
{
	uint64_t now = sw_monitor_mono_ns();

	for (size_t i = 0; i < mon->held.v.n; i++) {
		const struct viol_snap *h = &mon->held.v.a[i];
		if (row_of(mon, h->v.id) == 0 || counters_due(mon, h, now))
			return true;
	}
	return sw_monitor_edges_due(mon->edges, now,
	                            mon->flush_counters ? 0 : mon->cfg.commit_interval_ns);
}

/* One attempt to store what is held; returns the next wait. */
static uint64_t store_round(struct sw_monitor *mon, uint64_t *backoff, bool *failing)
{
	size_t flows = mon->held.f.n, viols = mon->held.v.n;
	size_t others = mon->held.e.n + mon->held.an.n;
	struct sw_err err;
	uint64_t events, started;

	if (flows == 0 && others == 0 && !any_due(mon))
		return mon->cfg.commit_interval_ns; /* nothing, or only deferred counters */
	sw_err_clear(&err);
	started = mon->round_began_ns = sw_monitor_mono_ns();
	if (store_held(mon, &err) != SW_OK) {
		account_failure(mon, &err, !*failing);
		*failing = true;
		*backoff = *backoff == 0 ? BACKOFF_MIN_NS : *backoff * 2;
		if (*backoff > BACKOFF_MAX_NS)
			*backoff = BACKOFF_MAX_NS;
		return *backoff;
	}
	size_rounds(mon, flows, sw_monitor_mono_ns() - started);
	write_events(mon, &events);
	account_commit(mon, events, *failing);
	if (*failing)
		warn_recovered(mon, flows, viols);
	*failing = false;
	*backoff = 0;
	prune(mon);
	return mon->cfg.commit_interval_ns;
}

/* cfg.writer_nice; a refusal is said, and the writer goes on as it is. */
static void lower_priority(struct sw_monitor *mon)
{
	struct sw_err err;

	if (mon->cfg.writer_nice > 0 &&
	    sw_sched_lower_thread(mon->cfg.writer_nice, &err) != SW_OK && mon->cfg.warn != NULL)
		mon->cfg.warn(mon->cfg.warn_ctx, &err);
}

void *sw_monitor_writer_main(void *arg)
{
	struct sw_monitor *mon = arg;
	uint64_t wait_ns = mon->cfg.commit_interval_ns, backoff = 0;
	bool stopping = false, failing = false, drained = true;

	sw_sched_name_thread("sw-writer");
	lower_priority(mon);
	mon->next_prune_ns = sw_monitor_mono_ns();
	for (;;) {
		wait_for_work(mon, wait_ns, failing, &stopping, &drained);
		if (!failing)
			gather_live(mon, &stopping, &drained);
		mon->flush_counters = stopping && drained; /* the last round */
		wait_ns = store_round(mon, &backoff, &failing);
		if (stopping && (failing ? backoff >= BACKOFF_MAX_NS / 8 : drained))
			break;
	}
	if (!failing) {
		mon->next_prune_ns = 0; /* a last pass, for what the run added */
		prune(mon);
	}
	if (failing) {
		/* given up: what is still held is lost, and counted */
		pthread_mutex_lock(&mon->lock);
		mon->stats.store_dropped += mon->held.f.n;
		pthread_mutex_unlock(&mon->lock);
	}
	return NULL;
}
