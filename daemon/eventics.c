/* eventics: the published events as a METHOD:PUBLISH calendar. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "eventics.h"
#include "ical.h"
#include "util.h"

void
eventics_push(struct eventics_list *l, struct event *ev)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->ev = xrealloc(l->ev, l->cap * sizeof(*l->ev));
	}
	l->ev[l->n++] = ev;
}

void
eventics_list_free(struct eventics_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		event_free(l->ev[i]);
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

struct collect {
	struct eventics_list *l;
	time_t from, to;
	const char *district;
};

/*
 * event_each() passes every recurring event (its end_utc is the end of the
 * first occurrence); keep one only while an occurrence overlaps the range.
 * When the rule cannot be expanded the event is kept: ical_publish() then
 * says what is wrong with it.
 */
static int
recurs_in_range(const struct event *ev, time_t from, time_t to)
{
	time_t next, len = ev->end_utc - ev->start_utc;
	size_t n;

	if (ev->rrule == NULL || from == 0)
		return 1;
	/* an occurrence ends at or after from <=> starts after from-len-1 */
	if (ical_next_occurrences(ev->tzid, ev->start_local, ev->rrule,
	    from - len - 1, 1, &next, &n) < 0)
		return 1;
	return n == 1 && (to == 0 || next < to);
}

static int
collect(void *arg, const struct event *ev)
{
	struct collect *c = arg;
	struct event *copy;

	if (c->district != NULL && ev->district != NULL &&
	    strcmp(ev->district, c->district) != 0)
		return 0;
	if (!recurs_in_range(ev, c->from, c->to))
		return 0;
	copy = xmalloc(sizeof(*copy));
	event_copy(copy, ev);
	eventics_push(c->l, copy);
	return 0;
}

int
eventics_collect(struct db *db, time_t from, time_t to,
    const char *district, struct eventics_list *l)
{
	struct collect c = { l, from, to, district };

	return event_each(db, from, to, "published", collect, &c) < 0 ? -1 : 0;
}

time_t
eventics_newest(const struct eventics_list *l)
{
	time_t t = 0;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i]->updated_at > t)
			t = l->ev[i]->updated_at;
	return t;
}

char *
eventics_calendar(const struct config *cfg, const struct eventics_list *l,
    time_t now, char **errstr)
{
	struct ical_event *ies;
	struct buf *descs;
	char *text;
	size_t i;

	ies = xcalloc(l->n ? l->n : 1, sizeof(*ies));
	descs = xcalloc(l->n ? l->n : 1, sizeof(*descs));
	for (i = 0; i < l->n; i++) {
		buf_init(&descs[i]);
		event_to_ical(l->ev[i], &ies[i], &descs[i]);
	}
	text = ical_publish(ies, l->n, cfg->organizer_name,
	    cfg->organizer_email, now, errstr);
	for (i = 0; i < l->n; i++)
		buf_free(&descs[i]);
	free(descs);
	free(ies);
	return text;
}
