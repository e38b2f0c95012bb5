/*
 * monitor.c - the capture-thread half of the monitoring pipeline: builds
 * the flow table and the violations table, judges every flow as it starts
 * (through sw_violations_flow), collects what changed (violations marked
 * dirty, ended flows) and hands it over to the writer thread at every
 * capture tick. The writer half is monitor_writer.c.
 */
#include "monitor_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/grow.h"
#include "segwatch/store_baseline.h"

/* Hand over at least this often, and when this many flows are waiting. */
#define HANDOVER_NS 50000000ull
#define HANDOVER_FLOWS 4096
/* Ended flows the writer takes in its first rounds, before it has timed one. */
#define ROUND_FLOWS_FIRST 16384

uint64_t sw_monitor_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sw_monitor_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool sw_grow_zeroed(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t old = *cap;

	if (!sw_grow(arr, cap, need, elem))
		return false;
	if (*cap > old)
		memset((char *)*arr + old * elem, 0, (*cap - old) * elem);
	return true;
}

bool sw_vec_push(void **a, size_t *n, size_t *cap, const void *items, size_t count,
                 size_t elem)
{
	if (count == 0)
		return true;
	if (!sw_grow(a, cap, *n + count, elem))
		return false;
	memcpy((char *)*a + *n * elem, items, count * elem);
	*n += count;
	return true;
}

bool sw_vec_move(void **da, size_t *dn, size_t *dcap, void **sa, size_t *sn, size_t *scap,
                 size_t elem)
{
	if (*dn == 0) {
		void *ta = *da;
		size_t tcap = *dcap;
		*da = *sa;
		*dn = *sn;
		*dcap = *scap;
		*sa = ta;
		*scap = tcap;
		*sn = 0;
		return true;
	}
	if (!sw_vec_push(da, dn, dcap, *sa, *sn, elem))
		return false;
	*sn = 0;
	return true;
}

void sw_anom_clear(struct anom_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->a[i].text);
	v->n = 0;
}

void sw_monitor_queue_free(struct monitor_queue *q)
{
	sw_anom_clear(&q->an);
	free(q->v.a);
	free(q->f.a);
	free(q->e.a);
	free(q->an.a);
	memset(q, 0, sizeof(*q));
}

/* ---- collecting (capture thread) ---- */

static void mark_violation(struct sw_monitor *mon, const struct sw_violation *v, bool is_new)
{
	uint64_t id = v->id;

	if (!sw_grow_zeroed((void **)&mon->vflags, &mon->vflags_cap, id + 1, 1)) {
		mon->resync = true;
		return;
	}
	if (is_new)
		mon->vflags[id] |= VF_NEW;
	if (mon->vflags[id] & VF_DIRTY)
		return;
	if (!sw_grow((void **)&mon->dirty, &mon->dirty_cap, mon->n_dirty + 1,
	             sizeof(*mon->dirty))) {
		mon->resync = true;
		return;
	}
	mon->vflags[id] |= VF_DIRTY;
	mon->dirty[mon->n_dirty++] = v;
}

static void on_violation(void *ctx, enum sw_violation_event ev, const struct sw_violation *v,
                         const struct sw_flow *f)
{
	(void)f;
	mark_violation(ctx, v, ev == SW_VIOLATION_NEW);
}

static void handover(struct sw_monitor *mon);

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	struct sw_monitor *mon = ctx;
	const struct sw_violation *v = NULL;
	enum sw_reason reason = SW_REASON_NOT_ISOLATED;
	struct flow_rec r;

	sw_violations_flow(mon->vt, ev, why, f);
	if (mon->bl != NULL)
		sw_baseline_flow(mon->bl, ev, why, f);
	if (ev != SW_FLOW_END || mon->cfg.no_flows)
		return;
	sw_violations_judgement(mon->vt, f, &reason, &v);
	r.f = *f;
	r.why = (uint8_t)why;
	r.reason = (uint8_t)reason;
	r.vid = v != NULL ? v->id : 0;
	if (!VEC_PUSH(&mon->local.f, &r))
		mon->nomem = true;
	if (mon->local.f.n >= HANDOVER_FLOWS)
		handover(mon);
}

/* Snapshots of the dirty violations go into the local queue. */
static void snapshot_dirty(struct sw_monitor *mon)
{
	size_t i;

	if (mon->resync) {
		/* a mark was lost to memory: every violation is marked again */
		mon->resync = false;
		for (size_t k = 0; k < sw_violations_count(mon->vt); k++)
			mark_violation(mon, sw_violations_get(mon->vt, k), false);
	}
	for (i = 0; i < mon->n_dirty; i++) {
		const struct sw_violation *v = mon->dirty[i];
		struct viol_snap s = { .v = *v, .is_new = (mon->vflags[v->id] & VF_NEW) != 0 };

		if (!VEC_PUSH(&mon->local.v, &s))
			break; /* this one and the rest stay dirty: taken next time */
		mon->vflags[v->id] = 0;
	}
	if (i > 0 && i < mon->n_dirty)
		memmove(mon->dirty, mon->dirty + i, (mon->n_dirty - i) * sizeof(*mon->dirty));
	mon->n_dirty -= i;
}

/* Copies an anomaly (its strings die with the callback) into the local
 * queue. */
static void on_anomaly(void *ctx, const struct sw_anomaly *a)
{
	struct sw_monitor *mon = ctx;
	const char *parts[5] = {a->src, a->dst, a->src_ns, a->dst_ns, a->evidence};
	const char **fields[5];
	struct anomaly_rec r;
	size_t len = 0, at = 0;

	r.a = *a;
	fields[0] = &r.a.src, fields[1] = &r.a.dst, fields[2] = &r.a.src_ns;
	fields[3] = &r.a.dst_ns, fields[4] = &r.a.evidence;
	for (int i = 0; i < 5; i++)
		len += parts[i] ? strlen(parts[i]) + 1 : 0;
	r.text = malloc(len ? len : 1);
	if (r.text == NULL) {
		mon->nomem = true;
		return;
	}
	for (int i = 0; i < 5; i++) {
		if (parts[i] == NULL)
			continue;
		size_t n = strlen(parts[i]) + 1;
		memcpy(r.text + at, parts[i], n);
		*fields[i] = r.text + at;
		at += n;
	}
	if (!VEC_PUSH(&mon->local.an, &r)) {
		free(r.text);
		mon->nomem = true;
	}
}

static enum sw_status collect_edge(void *ctx, const struct sw_baseline_edge *e)
{
	struct sw_monitor *mon = ctx;

	return VEC_PUSH(&mon->local.e, e) ? SW_OK : SW_ERR_NOMEM;
}

/* Called with the lock held: refreshes the statistics snapshot. */
static void publish_stats(struct sw_monitor *mon)
{
	if (mon->cap != NULL)
		sw_capture_stats(mon->cap, &mon->stats.cap);
	sw_flowtable_stats(mon->ft, &mon->stats.ft);
	sw_violations_stats(mon->vt, &mon->stats.vt);
	if (mon->bl != NULL)
		sw_baseline_stats(mon->bl, &mon->stats.bl);
	mon->stats.store_backlog = mon->shared.f.n + mon->pending_left;
}

/* Waits (lock held) while the backlog is full and the writer is healthy;
 * true when the flows may be queued, false when they must be dropped. */
static bool room_for_flows(struct sw_monitor *mon, size_t n)
{
	size_t waiting;

	while ((waiting = mon->shared.f.n + mon->pending_left) + n > mon->cfg.max_backlog &&
	       waiting > 0) {
		if (!mon->cfg.block_when_full || mon->stats.store_failing || mon->stopping)
			return false;
		pthread_cond_wait(&mon->drained, &mon->lock);
	}
	return true;
}

/* Hands everything collected over to the writer, violations first. */
static void handover(struct sw_monitor *mon)
{
	snapshot_dirty(mon);
	if (mon->bl != NULL && sw_baseline_take_dirty(mon->bl, collect_edge, mon) != SW_OK)
		mon->nomem = true; /* the rest stays dirty: taken next time */
	pthread_mutex_lock(&mon->lock);
	/* snapshots and edges that cannot move now stay local for the next
	 * hand-over (the last one, in sw_monitor_finish, counts what is left) */
	(void)VEC_MOVE(&mon->shared.v, &mon->local.v);
	(void)VEC_MOVE(&mon->shared.e, &mon->local.e);
	if (!VEC_MOVE(&mon->shared.an, &mon->local.an))
		mon->nomem = true;
	if (mon->local.f.n > 0) {
		if (!room_for_flows(mon, mon->local.f.n)) {
			mon->stats.store_dropped += mon->local.f.n;
			mon->local.f.n = 0;
		} else if (!VEC_MOVE(&mon->shared.f, &mon->local.f)) {
			mon->nomem = true;
		}
	}
	if (mon->nomem) {
		/* flows and anomalies that could not be queued are lost: counted */
		mon->stats.store_dropped += mon->local.f.n + mon->local.an.n;
		mon->local.f.n = 0;
		sw_anom_clear(&mon->local.an);
		mon->nomem = false;
	}
	publish_stats(mon);
	pthread_cond_signal(&mon->wake);
	pthread_mutex_unlock(&mon->lock);
	mon->next_handover_ns = sw_monitor_mono_ns() + HANDOVER_NS;
}

static void on_tick(void *ctx, struct sw_capture *cap)
{
	struct sw_monitor *mon = ctx;

	(void)cap;
	if (sw_monitor_mono_ns() < mon->next_handover_ns)
		return;
	if (mon->bl != NULL && mon->cfg.live)
		sw_baseline_advance(mon->bl, sw_monitor_wall_ns());
	handover(mon);
}

/* ---- life cycle ---- */

static enum sw_status check_config(const struct sw_monitor_config *cfg, struct sw_err *err)
{
	if (cfg->m == NULL || cfg->store == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "the monitor needs a matcher and a store");
	return SW_OK;
}

struct edge_loader {
	struct sw_baseline *bl;
	struct sw_err *err;
};

static enum sw_status load_edge(void *ctx, const struct sw_store_edge *e)
{
	struct edge_loader *l = ctx;

	return sw_baseline_add(l->bl, &e->e, l->err);
}

/* The baseline, with the edges stored by earlier runs. */
static enum sw_status open_baseline(struct sw_monitor *mon, struct sw_err *err)
{
	struct sw_baseline_config bc = mon->cfg.baseline;
	struct edge_loader l;

	bc.on_anomaly = on_anomaly;
	bc.on_anomaly_ctx = mon;
	mon->bl = sw_baseline_new(mon->cfg.m, &bc, err);
	if (mon->bl == NULL)
		return err ? err->status : SW_ERR_NOMEM;
	l.bl = mon->bl;
	l.err = err;
	return sw_store_list_edges(mon->cfg.store, NULL, load_edge, &l, NULL, err);
}

struct sw_monitor *sw_monitor_new(const struct sw_monitor_config *cfg, struct sw_err *err)
{
	struct sw_violations_config vc;
	struct sw_monitor *mon;

	if (check_config(cfg, err) != SW_OK)
		return NULL;
	mon = calloc(1, sizeof(*mon));
	if (mon == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	mon->cfg = *cfg;
	if (mon->cfg.commit_interval_ns == 0)
		mon->cfg.commit_interval_ns = SW_MONITOR_COMMIT_DEFAULT_NS;
	if (mon->cfg.max_backlog == 0)
		mon->cfg.max_backlog = SW_MONITOR_BACKLOG_DEFAULT;
	if (mon->cfg.max_round_flows == 0)
		mon->cfg.max_round_flows = SW_MONITOR_ROUND_FLOWS_DEFAULT;
	/* the first rounds are small, then sized by how fast they went */
	mon->round_flows = mon->cfg.max_round_flows < ROUND_FLOWS_FIRST ? mon->cfg.max_round_flows
	                                                                : ROUND_FLOWS_FIRST;
	pthread_mutex_init(&mon->lock, NULL);
	pthread_cond_init(&mon->wake, NULL);
	pthread_cond_init(&mon->drained, NULL);
	memset(&vc, 0, sizeof(vc));
	vc.max_violations = cfg->max_violations;
	vc.on_change = on_violation;
	vc.on_change_ctx = mon;
	mon->vt = sw_violations_new(cfg->m, &vc, err);
	mon->ft = mon->vt ? sw_flowtable_new(&cfg->ft, on_flow, mon, err) : NULL;
	mon->edges = mon->ft ? sw_monitor_edges_new() : NULL;
	if (mon->ft != NULL && mon->edges == NULL)
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (mon->edges == NULL || (cfg->baseline_on && open_baseline(mon, err) != SW_OK)) {
		sw_monitor_free(mon);
		return NULL;
	}
	return mon;
}

struct sw_flowtable *sw_monitor_flowtable(struct sw_monitor *mon)
{
	return mon->ft;
}

const struct sw_violations *sw_monitor_violations(const struct sw_monitor *mon)
{
	return mon->vt;
}

void sw_monitor_attach(struct sw_monitor *mon, struct sw_capture *cap)
{
	mon->cap = cap;
	sw_capture_set_tick(cap, on_tick, mon);
}

static enum sw_status store_inputs(struct sw_monitor *mon, uint64_t now, struct sw_err *err)
{
	const struct sw_inventory *inv = sw_matcher_inventory(mon->cfg.m);
	const struct sw_policy_set *set = sw_matcher_policies(mon->cfg.m);
	struct sw_store *st = mon->cfg.store;
	enum sw_status status = sw_store_begin_batch(st, err);

	if (status == SW_OK)
		status = sw_store_put_inventory(st, inv, now, err);
	if (status == SW_OK)
		status = sw_store_put_policies(st, set, now, err);
	if (status == SW_OK)
		status = sw_store_put_selections(st, set, inv, err);
	if (status == SW_OK)
		return sw_store_commit_batch(st, err);
	sw_store_rollback_batch(st);
	return status;
}

enum sw_status sw_monitor_start(struct sw_monitor *mon, const char *sources, struct sw_err *err)
{
	uint64_t now = sw_monitor_wall_ns();
	enum sw_status status = store_inputs(mon, now, err);
	int64_t run_id = 0;

	if (status == SW_OK)
		status = sw_store_run_begin(mon->cfg.store, now, sources, &run_id, err);
	if (status != SW_OK)
		return status;
	mon->stats.started_ns = now;
	mon->stats.run_id = run_id;
	mon->next_handover_ns = sw_monitor_mono_ns() + HANDOVER_NS;
	if (pthread_create(&mon->writer, NULL, sw_monitor_writer_main, mon) != 0)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "cannot start the writer thread");
	mon->writer_running = true;
	return SW_OK;
}

static void stop_writer(struct sw_monitor *mon)
{
	if (!mon->writer_running)
		return;
	pthread_mutex_lock(&mon->lock);
	mon->stopping = true;
	pthread_cond_broadcast(&mon->wake);
	pthread_cond_broadcast(&mon->drained);
	pthread_mutex_unlock(&mon->lock);
	pthread_join(mon->writer, NULL);
	mon->writer_running = false;
}

/* The run's statistics as JSON text for the runs table (malloc'd). */
static char *run_stats_json(const struct sw_monitor_stats *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "{\"frames\":%llu,\"decoded\":%llu,\"flows_created\":%llu,"
	        "\"flows_evicted\":%llu,\"flows_judged\":%llu,\"denied\":%llu,"
	        "\"violations\":%llu,\"flows_stored\":%llu,\"store_dropped\":%llu,"
	        "\"store_failed_batches\":%llu,\"flows_pruned\":%llu}",
	        (unsigned long long)s->cap.frames, (unsigned long long)s->cap.decoded,
	        (unsigned long long)s->ft.flows_created, (unsigned long long)s->ft.flows_evicted,
	        (unsigned long long)s->vt.flows_judged, (unsigned long long)s->vt.denied,
	        (unsigned long long)s->vt.violations, (unsigned long long)s->flows_stored,
	        (unsigned long long)s->store_dropped,
	        (unsigned long long)s->store_failed_batches,
	        (unsigned long long)s->flows_pruned);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static uint64_t drops_total(const struct sw_capture_stats *c)
{
	uint64_t n = 0;

	for (size_t i = 1; i < SW_DROP_REASON_COUNT; i++)
		n += c->dropped[i];
	return n;
}

enum sw_status sw_monitor_finish(struct sw_monitor *mon, struct sw_err *err)
{
	struct sw_monitor_stats s;
	struct sw_store_run_stats rs;
	enum sw_status status = SW_OK;
	char *json;

	handover(mon);
	stop_writer(mon);
	pthread_mutex_lock(&mon->lock);
	/* whatever the writer could not take or store is lost: counted */
	mon->stats.store_dropped += mon->n_dirty + mon->local.v.n + mon->local.e.n +
	                            (mon->resync ? 1 : 0) + mon->shared.v.n + mon->shared.f.n +
	                            mon->shared.e.n + mon->shared.an.n + mon->held.v.n +
	                            mon->held.e.n + mon->held.an.n +
	                            (mon->pending.n - mon->pending_at);
	pthread_mutex_unlock(&mon->lock);
	sw_monitor_stats(mon, &s);
	if (mon->writer_err.status != SW_OK) {
		if (err != NULL)
			*err = mon->writer_err;
		status = mon->writer_err.status;
	}
	json = run_stats_json(&s);
	rs.packets = s.cap.frames;
	rs.drops = drops_total(&s.cap);
	rs.flows = s.ft.flows_created;
	rs.json = json;
	if (sw_store_run_end(mon->cfg.store, sw_monitor_wall_ns(), &rs,
	                     status == SW_OK ? err : NULL) != SW_OK && status == SW_OK)
		status = err ? err->status : SW_ERR_IO;
	free(json);
	mon->cap = NULL;
	return status;
}

void sw_monitor_stats(struct sw_monitor *mon, struct sw_monitor_stats *out)
{
	pthread_mutex_lock(&mon->lock);
	*out = mon->stats;
	pthread_mutex_unlock(&mon->lock);
}

void sw_monitor_free(struct sw_monitor *mon)
{
	if (mon == NULL)
		return;
	stop_writer(mon);
	sw_flowtable_free(mon->ft);
	sw_violations_free(mon->vt);
	sw_baseline_free(mon->bl);
	sw_monitor_edges_free(mon->edges);
	sw_monitor_queue_free(&mon->local);
	sw_monitor_queue_free(&mon->shared);
	sw_monitor_queue_free(&mon->held);
	free(mon->pending.a);
	free(mon->vflags);
	free(mon->dirty);
	free(mon->stored);
	free(mon->held_slot);
	free(mon->held_rows);
	free(mon->held_anomaly_rows);
	pthread_cond_destroy(&mon->drained);
	pthread_cond_destroy(&mon->wake);
	pthread_mutex_destroy(&mon->lock);
	free(mon);
}
