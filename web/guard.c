/*
 * guard.c - the slow-client guard. libmicrohttpd's connection timeout
 * counts only idle time, so a client sending a header byte now and then
 * (slowloris) would hold its connection for hours. The guard gives every
 * request head a deadline: from the connection's start, or from the end of
 * its previous request, the head must be complete within deadline_s. A
 * thread checks once a second and shuts down (shutdown(2), never close:
 * the socket stays libmicrohttpd's) the sockets past their deadline, which
 * libmicrohttpd then sees as closed. Requests being answered (an event
 * stream, a body upload) have no deadline.
 */
#include "web_int.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct guard_conn {
	int fd;
	uint64_t deadline_ns;     /* 0: a request is being answered */
	bool shut;
	struct guard_conn *prev, *next;
};

struct web_guard {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	uint64_t deadline_ns;
	struct guard_conn *head;
	uint64_t dropped;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sweep(struct web_guard *g)
{
	uint64_t now = mono_ns();

	for (struct guard_conn *k = g->head; k != NULL; k = k->next) {
		if (k->shut || k->deadline_ns == 0 || now < k->deadline_ns)
			continue;
		shutdown(k->fd, SHUT_RDWR);
		k->shut = true;
		g->dropped++;
	}
}

static void *guard_main(void *arg)
{
	struct web_guard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&g->wake, &g->mu, &ts);
		sweep(g);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct web_guard *web_guard_new(unsigned deadline_s)
{
	struct web_guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->deadline_ns = (uint64_t)deadline_s * 1000000000ull;
	return g;
}

bool web_guard_start(struct web_guard *g)
{
	g->running = pthread_create(&g->thread, NULL, guard_main, g) == 0;
	return g->running;
}

void web_guard_free(struct web_guard *g)
{
	if (g == NULL)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->mu);
		g->stopping = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	while (g->head != NULL) {
		struct guard_conn *k = g->head;
		g->head = k->next;
		free(k);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void *web_guard_opened(struct web_guard *g, int fd)
{
	struct guard_conn *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL; /* unguarded; the idle timeout still applies */
	k->fd = fd;
	pthread_mutex_lock(&g->mu);
	k->deadline_ns = mono_ns() + g->deadline_ns;
	k->next = g->head;
	if (g->head != NULL)
		g->head->prev = k;
	g->head = k;
	pthread_mutex_unlock(&g->mu);
	return k;
}

void web_guard_closed(struct web_guard *g, void *conn)
{
	struct guard_conn *k = conn;

	if (k == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		g->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&g->mu);
	free(k);
}

void web_guard_request(struct web_guard *g, void *conn, bool answering)
{
	struct guard_conn *k = conn;

	if (k == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	k->deadline_ns = answering ? 0 : mono_ns() + g->deadline_ns;
	pthread_mutex_unlock(&g->mu);
}

uint64_t web_guard_dropped(struct web_guard *g)
{
	uint64_t n;

	pthread_mutex_lock(&g->mu);
	n = g->dropped;
	pthread_mutex_unlock(&g->mu);
	return n;
}
