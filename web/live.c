/*
 * live.c - the rates of /api/v1/stats in run mode: a ring of samples of
 * the live counters, one a second, and the rates over the last 10 s.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

#define RATE_WINDOW_NS (10ull * 1000000000ull)
#define SAMPLE_EVERY_NS 1000000000ull
#define SAMPLES 16

struct sample {
	uint64_t t, packets, flows, violations;
};

struct web_rates {
	pthread_mutex_t mu;
	struct sample s[SAMPLES];
	size_t n, head;           /* head: the next slot */
};

struct web_rates *web_rates_new(void)
{
	struct web_rates *r = calloc(1, sizeof(*r));

	if (r != NULL)
		pthread_mutex_init(&r->mu, NULL);
	return r;
}

void web_rates_free(struct web_rates *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static struct sample sample_of(const struct sw_web_live *l, uint64_t t)
{
	struct sample s = {t, l->packets, l->flows_judged, 0};

	for (int i = 0; i < SW_REASON_COUNT; i++)
		if (i == SW_REASON_DENIED_INGRESS || i == SW_REASON_DENIED_EGRESS ||
		    i == SW_REASON_DENIED_BOTH)
			s.violations += l->denied_flows[i];
	return s;
}

void web_live_sample(struct sw_web *w)
{
	struct web_rates *r = w->rates;
	struct sw_web_live l;
	uint64_t now = web_now_ns();
	size_t last;

	if (w->live == NULL || r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	last = (r->head + SAMPLES - 1) % SAMPLES;
	if (r->n > 0 && now - r->s[last].t < SAMPLE_EVERY_NS) {
		pthread_mutex_unlock(&r->mu);
		return;
	}
	pthread_mutex_unlock(&r->mu);
	memset(&l, 0, sizeof(l));
	w->live(w->live_ctx, &l);
	pthread_mutex_lock(&r->mu);
	r->s[r->head] = sample_of(&l, now);
	r->head = (r->head + 1) % SAMPLES;
	if (r->n < SAMPLES)
		r->n++;
	pthread_mutex_unlock(&r->mu);
}

static double per_s(uint64_t now, uint64_t then, uint64_t dt_ns)
{
	return now >= then && dt_ns > 0 ? (double)(now - then) * 1e9 / (double)dt_ns : 0.0;
}

void web_live_rates(struct sw_web *w, const struct sw_web_live *l, struct json_t *o)
{
	struct web_rates *r = w->rates;
	uint64_t now = web_now_ns();
	struct sample cur = sample_of(l, now), old = cur;

	if (r != NULL) {
		pthread_mutex_lock(&r->mu);
		/* the oldest sample within the window */
		for (size_t k = r->n; k > 0; k--) {
			const struct sample *s = &r->s[(r->head + SAMPLES - k) % SAMPLES];
			if (now - s->t <= RATE_WINDOW_NS) {
				old = *s;
				break;
			}
		}
		pthread_mutex_unlock(&r->mu);
	}
	json_object_set_new(o, "rates",
	                    json_pack("{s:f, s:f, s:f}",
	                              "packets_per_s", per_s(cur.packets, old.packets, now - old.t),
	                              "flows_per_s", per_s(cur.flows, old.flows, now - old.t),
	                              "violations_per_s",
	                              per_s(cur.violations, old.violations, now - old.t)));
}
