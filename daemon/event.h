/*
 * event: welcome conferences, volunteer fairs, trainings, network meetings,
 * deadlines and other events, in the event's own time zone.
 *
 * Start and end are kept as local wall-clock text ("YYYY-MM-DD HH:MM", or
 * "YYYY-MM-DD" for all-day events, the end date inclusive) next to their UTC
 * instants (all-day: local midnights, end exclusive) for queries.
 *
 * SEQUENCE rule (RFC 5546): a published event's SEQUENCE rises when its
 * start, end, all-day flag, recurrence, location or online link changes,
 * and when it is cancelled. Title, description, capacity or district
 * changes keep the SEQUENCE (calendars take them as they come).
 */
#ifndef RUNDBRIEF_EVENT_H
#define RUNDBRIEF_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct db;
struct sqlite3_stmt;
struct ical_event;

struct event {
	int64_t id;
	char *uid;
	char *kind;        /* see event_kind_valid() */
	char *title;
	char *description; /* Markdown */
	char *location;    /* NULL if none */
	char *online_url;  /* NULL if none */
	char *tzid;
	int all_day;
	char *start_local;
	char *end_local;
	time_t start_utc;
	time_t end_utc;
	char *rrule;       /* NULL if none */
	long capacity;     /* 0 = unlimited */
	char *district;    /* NULL = county-wide */
	char *status;      /* draft, published, cancelled */
	int sequence;
	time_t created_at;
	time_t updated_at;
};

/*
 * Input for add and update: NULL = leave as is (update) or default (add);
 * "" clears an optional text field (location, online_url, rrule, district).
 * all_day: -1 leave, 0/1 set. capacity: -1 leave, 0 clear, > 0 set.
 */
struct event_fields {
	const char *kind;
	const char *title;
	const char *description;
	const char *location;
	const char *online_url;
	const char *start;
	const char *end;
	int all_day;
	const char *rrule;
	long capacity;
	const char *district;
};

/* What an update changed (bit mask). */
enum {
	EVENT_CHANGED_TIME = 1 << 0,     /* start, end or all-day */
	EVENT_CHANGED_RRULE = 1 << 1,
	EVENT_CHANGED_LOCATION = 1 << 2, /* location or online link */
	EVENT_CHANGED_TEXT = 1 << 3,     /* title or description */
	EVENT_CHANGED_OTHER = 1 << 4,    /* kind, capacity, district */
	EVENT_CHANGED_SEQUENCE = EVENT_CHANGED_TIME | EVENT_CHANGED_RRULE |
	    EVENT_CHANGED_LOCATION
};

/* 1 if kind is one of welcome_conference, volunteer_fair, training,
 * network_meeting, deadline, other. */
int event_kind_valid(const char *kind);

/*
 * Adds a draft event in zone tzid; uid_domain makes the UID
 * ("<random>@uid_domain"). Returns 0 and *id, or -1 with *errstr saying
 * what is wrong with the input.
 */
int event_add(struct db *db, const char *tzid, const char *uid_domain,
    const struct event_fields *f, int64_t *id, char **errstr);

/*
 * Changes an event. *changed gets the EVENT_CHANGED_* mask (0: nothing
 * changed). A cancelled event cannot be changed. Returns 0 or -1.
 */
int event_update(struct db *db, int64_t id, const struct event_fields *f,
    int *changed, char **errstr);

/* draft -> published. Returns 0 (also when already published) or -1. */
int event_publish(struct db *db, int64_t id, char **errstr);
/* -> cancelled, SEQUENCE + 1 if it was published. Returns 0 or -1. */
int event_cancel(struct db *db, int64_t id, char **errstr);

/* The id of the event with this UID: 0 and *id, 1 when there is none, -1
 * on error. */
int event_find_uid(struct db *db, const char *uid, int64_t *id);

/* Records that the coordinator was told the event is full (once): 1 when
 * marked now, 0 when it was already, -1 on error. */
int event_mark_full(struct db *db, int64_t id);

/* 0 and *out, 1 when there is no such event, -1 on error. */
int event_get(struct db *db, int64_t id, struct event **out);
void event_free(struct event *ev);
/*
 * Fills ev from the current row of st, whose first 20 columns are, in
 * order: id, uid, kind, title, description, location, online_url, tzid,
 * all_day, start_local, end_local, start_utc, end_utc, rrule, capacity,
 * district name, status, sequence, created_at, updated_at (for the tables
 * that keep event rows, such as a mailing's frozen copy). Release with
 * event_clear.
 */
void event_from_row(struct sqlite3_stmt *st, struct event *ev);

/* Deep copy of src into dst (release with event_clear). */
void event_copy(struct event *dst, const struct event *src);
/* Frees what an event holds, not the struct itself. */
void event_clear(struct event *ev);

/*
 * The event as the ical module wants it (pointers into ev, which must
 * outlive ie); desc receives the Markdown description as plain text
 * (wrapped at 72 characters, as a calendar shows it).
 */
void event_to_ical(const struct event *ev, struct ical_event *ie,
    struct buf *desc);

/*
 * The start (UTC) of ev's first occurrence that ends after `after` (a
 * one-off event: its start if it ends after `after`), or 0 when none does
 * or the rule cannot be expanded.
 */
time_t event_next_start(const struct event *ev, time_t after);

/*
 * Streams events that end at or after `from` and start before `to` (0 = no
 * bound), ordered by start; status NULL = all. fn returns non-zero to stop.
 */
int event_each(struct db *db, time_t from, time_t to, const char *status,
    int (*fn)(void *arg, const struct event *ev), void *arg);

#endif
