/*
 * rsvp: the answers attendees sent to an event's invitation (iTIP REPLY),
 * one per event, occurrence and attendee address.
 *
 * occurrence is "" for an answer to the whole series (and to a one-off
 * event), else the occurrence as schedule_occurrence_id() names it in the
 * event's zone ("20270112T180000", all-day "20270112"), so it compares
 * with the reminder of that occurrence. An answer for one occurrence
 * overrides the series answer for that occurrence only.
 *
 * A guest (subscriber_id 0) is someone who answered a forwarded
 * invitation: counted, shown separately.
 */
#ifndef RUNDBRIEF_RSVP_H
#define RUNDBRIEF_RSVP_H

#include <stdint.h>
#include <time.h>

struct db;

struct rsvp {
	int64_t event_id;
	const char *occurrence;  /* "" = the series */
	const char *email;       /* the ATTENDEE address, lower-cased */
	int64_t subscriber_id;   /* 0: a guest */
	const char *name;        /* CN, or NULL */
	const char *partstat;    /* accepted, tentative, declined */
	int sequence;
	time_t dtstamp;
	const char *comment;     /* or NULL */
	time_t received_at;
};

/*
 * Stores r unless the stored answer of the same attendee for the same
 * occurrence is newer (RFC 5546 3.2.3: a higher SEQUENCE, or the same
 * SEQUENCE and a later DTSTAMP). Returns 0 (stored), 1 (outdated, nothing
 * changed) or -1.
 */
int rsvp_store(struct db *db, const struct rsvp *r);

/*
 * The stored answer of email (lower-cased) to event_id for occurrence
 * ("" = the series): 0 and *partstat (caller frees), 1 when there is
 * none, -1 on error.
 */
int rsvp_get(struct db *db, int64_t event_id, const char *occurrence,
    const char *email, char **partstat);

/* The answers to an event, all occurrences together. */
struct rsvp_counts {
	long accepted, tentative, declined;                   /* subscribers */
	long guests_accepted, guests_tentative, guests_declined;
};

int rsvp_counts(struct db *db, int64_t event_id, struct rsvp_counts *c);

/*
 * The occurrence of event_id with the most attendees who accepted it (an
 * occurrence's own answers plus the series acceptances of those who gave
 * none for it; "" stands for every occurrence without own answers, and
 * for a one-off event): *n and, if occurrence is not NULL, its name
 * (caller frees). Returns 0 or -1.
 */
int rsvp_fullest(struct db *db, int64_t event_id, long *n,
    char **occurrence);

/* Calls fn for every answer to event_id: by occurrence, guests after
 * subscribers, then by address. Returns 0 or -1. */
int rsvp_each(struct db *db, int64_t event_id,
    void (*fn)(void *arg, const struct rsvp *r), void *arg);

#endif
