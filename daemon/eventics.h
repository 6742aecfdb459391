/*
 * eventics: the published events as one public iCalendar file
 * (METHOD:PUBLISH): `rundbrief event ics` writes it, rundbrief-web serves
 * it as /kalender.ics, /kalender/DISTRICT.ics and /e/UID.ics. It names
 * the organizer and no attendee, so it carries no personal data.
 */
#ifndef RUNDBRIEF_EVENTICS_H
#define RUNDBRIEF_EVENTICS_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;
struct event;

struct eventics_list {
	struct event **ev;
	size_t n, cap;
};

/* Appends ev (the list takes it; free with eventics_list_free). */
void eventics_push(struct eventics_list *l, struct event *ev);
void eventics_list_free(struct eventics_list *l);

/*
 * Appends the published events that end at or after from and start
 * before to (0: no bound) to l, ordered by start; a recurring event while
 * one of its occurrences falls in the range. district non-NULL: only the
 * county-wide events and that district's. Returns 0 or -1.
 */
int eventics_collect(struct db *db, time_t from, time_t to,
    const char *district, struct eventics_list *l);

/* The newest updated_at of l's events (0 when empty). */
time_t eventics_newest(const struct eventics_list *l);

/*
 * The calendar of l's events (caller frees), DTSTAMP now, or NULL with
 * *errstr (caller frees) saying what is wrong with an event.
 */
char *eventics_calendar(const struct config *cfg,
    const struct eventics_list *l, time_t now, char **errstr);

#endif
