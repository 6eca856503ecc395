/* engine/events: the event bus: a ring of the last EVENTS_RING events with sequence numbers;
 * stream handlers wait on a condition variable for the next ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_priv.h"
#include "store/time.h"
#include "util/str.h"

void events_init(struct engine *eng)
{
	pthread_mutex_init(&eng->ev_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&eng->ev_cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void event_clear(struct engine_event *ev)
{
	free(ev->id);
	free(ev->from);
	free(ev->action);
	json_decref(ev->attrs);
	memset(ev, 0, sizeof(*ev));
}

void events_release(struct engine *eng)
{
	for (size_t i = 0; i < EVENTS_RING; i++)
		event_clear(&eng->ring[i]);
	pthread_cond_destroy(&eng->ev_cond);
	pthread_mutex_destroy(&eng->ev_mu);
}

void engine_event_free(struct engine_event *ev)
{
	if (!ev)
		return;
	event_clear(ev);
	free(ev);
}

void engine_event_publish(struct engine *eng, const char *type, const char *action, const char *id,
			  json_t *attrs)
{
	pthread_mutex_lock(&eng->ev_mu);
	uint64_t seq = ++eng->ev_seq;
	struct engine_event *ev = &eng->ring[seq % EVENTS_RING];
	event_clear(ev);
	ev->seq = seq;
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	ev->action = str_dup(action);
	ev->id = str_dup(id);
	ev->attrs = attrs ? attrs : json_object();
	ev->time = store_time_now();
	pthread_cond_broadcast(&eng->ev_cond);
	pthread_mutex_unlock(&eng->ev_mu);
}

static struct engine_event *event_copy(const struct engine_event *src)
{
	struct engine_event *ev = xcalloc(1, sizeof(*ev));
	*ev = *src;
	ev->id = str_dup(src->id);
	ev->from = str_dup(src->from);
	ev->action = str_dup(src->action);
	ev->attrs = json_deep_copy(src->attrs);
	return ev;
}

size_t engine_events_next(struct engine *eng, uint64_t *seq, int64_t deadline_ns,
			  struct engine_event ***out, bool *closed)
{
	struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
	pthread_mutex_lock(&eng->ev_mu);
	while (eng->ev_seq <= *seq && !eng->closing) {
		int r = deadline_ns ? pthread_cond_timedwait(&eng->ev_cond, &eng->ev_mu, &ts)
				    : pthread_cond_wait(&eng->ev_cond, &eng->ev_mu);
		if (r == ETIMEDOUT)
			break;
	}
	uint64_t first = *seq + 1;
	if (eng->ev_seq >= EVENTS_RING && first <= eng->ev_seq - EVENTS_RING)
		first = eng->ev_seq - EVENTS_RING + 1; /* older ones were overwritten */
	size_t n = first <= eng->ev_seq ? (size_t)(eng->ev_seq - first + 1) : 0;
	*out = xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = event_copy(&eng->ring[(first + i) % EVENTS_RING]);
	if (n)
		*seq = eng->ev_seq;
	*closed = eng->closing;
	pthread_mutex_unlock(&eng->ev_mu);
	return n;
}

void engine_events_listener(struct engine *eng, int delta)
{
	pthread_mutex_lock(&eng->ev_mu);
	eng->ev_listeners += delta;
	pthread_mutex_unlock(&eng->ev_mu);
}

uint64_t engine_events_seq(struct engine *eng)
{
	pthread_mutex_lock(&eng->ev_mu);
	uint64_t seq = eng->ev_seq;
	pthread_mutex_unlock(&eng->ev_mu);
	return seq;
}
