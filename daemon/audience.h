/*
 * audience: who gets which mail. Every recipient selection — newsletter,
 * invitations, announcements, updates, cancellations, reminders — is made
 * here, by one query built from fixed parts, with one test table
 * (tests/unit/test_audience.c).
 *
 * Everyone must be an active subscriber (not pending, unsubscribed,
 * bounced; forgotten people are gone) and not the organizer. Then:
 *   newsletter    their choice newsletter = yes;
 *   invitation,   their choice invitations = all, in the event's district
 *   announcement  (everyone for a county-wide event), and sharing one of
 *                 the event's topics if it has any;
 *   update,       reached by the event: an invitation, update or
 *   cancellation  announcement of it was sent or is on its way to them
 *                 (whatever their choices say now: they know of it);
 *   reminder      reached by the event, and not declined: their answer
 *                 for this occurrence if they gave one, else for the
 *                 series; a deadline, which invites nobody, reminds its
 *                 invitation audience.
 */
#ifndef RUNDBRIEF_AUDIENCE_H
#define RUNDBRIEF_AUDIENCE_H

#include <stdint.h>
#include <time.h>

struct db;
struct subscriber;

enum audience_kind {
	AUDIENCE_NEWSLETTER,
	AUDIENCE_INVITATION,
	AUDIENCE_ANNOUNCEMENT,
	AUDIENCE_UPDATE,
	AUDIENCE_CANCELLATION,
	AUDIENCE_REMINDER
};

struct audience {
	enum audience_kind kind;
	int64_t event_id;        /* every kind but the newsletter */
	const char *occurrence;  /* reminder: the occurrence's RECURRENCE-ID
	                            ("20270310T180000"), NULL: one-off */
	const char *skip;        /* never this address (the organizer) */
	int64_t mailing_id;      /* the mailing being made (not "reached") */
};

/* The audience of a mailing kind ("newsletter", "invitation", …); -1 for
 * a kind that has none (confirm, welcome, unsubscribed: one person). */
int audience_of(const char *mailing_kind);

/* Queues one outbox row per recipient of a for mailing a->mailing_id.
 * Returns how many, or -1. In the caller's transaction. */
long audience_enqueue(struct db *db, const struct audience *a, time_t now);

/* 1 when subscriber_id was reached by event_id (an invitation, update or
 * announcement of it was sent or is on its way to them: the rule of the
 * update audience), 0 when not, -1 on error. */
int audience_reached(struct db *db, int64_t event_id, int64_t subscriber_id);

/* One recipient, as audience_each() reports it. */
struct audience_member {
	int64_t id;
	const char *email;
	const char *language;
	const char *districts;   /* joined by ", ", "" for none */
};

/* Calls fn (may be NULL) for every recipient, ordered by id. Returns how
 * many, or -1. */
long audience_each(struct db *db, const struct audience *a,
    void (*fn)(void *arg, const struct audience_member *m), void *arg);

/*
 * A made-up reader who sees everything a newsletter may hold: language
 * lang, in every district, following every topic in use, active, with a
 * token that is nobody's (AUDIENCE_NOBODY_TOKEN) and the given name and
 * address (copied; "" for none). For `rundbrief preview` and the web
 * archive. NULL on a database error (db_errmsg() says which).
 */
#define AUDIENCE_NOBODY_TOKEN "0123456789abcdef0123456789abcdef"
struct subscriber *audience_everyone(struct db *db, const char *lang,
    const char *name, const char *email);

#endif
