/*
 * mailing: one message sent to many — a month's newsletter, an event's
 * invitation, update, cancellation or reminder. Its content (editorial,
 * event data, the template files) is frozen into the database when the
 * mailing is made, so every recipient's message, rendered at send time,
 * says the same even if events or templates change meanwhile; recipients'
 * rows live in the outbox.
 */
#ifndef RUNDBRIEF_MAILING_H
#define RUNDBRIEF_MAILING_H

#include <stdint.h>
#include <time.h>

#include "render.h"

struct config;
struct db;
struct event;
struct newsletter;
struct subscriber;

/*
 * Makes the newsletter of year-month and queues it for every active
 * subscriber. With force == 0 a second newsletter for the same month is
 * refused (*errstr names the first). Returns 0 with *id and *queued, or -1.
 */
int mailing_newsletter(const struct config *cfg, struct db *db, int year,
    int month, int force, time_t now, int64_t *id, long *queued,
    char **errstr);

/*
 * Freezes the already loaded nl as the newsletter with the given key
 * (e.g. "newsletter:2026-12") and queues it for every active subscriber.
 * Returns 0 with *id and *queued, 1 when a mailing with that key exists,
 * -1 with *errstr. Nests in the caller's transaction.
 */
int mailing_newsletter_of(const struct config *cfg, struct db *db,
    const struct newsletter *nl, const char *key, time_t now, int64_t *id,
    long *queued, char **errstr);

/*
 * A copy of the newsletter nl for the coordinator (the review copy, or the
 * warning about a missing editorial): one message to rcpt, rendered as for
 * a subscriber of the default language in every district, with note on
 * top of it. Returns 0 with *id, 1 when key exists, -1 with *errstr.
 * Nests in the caller's transaction.
 */
int mailing_copy(const struct config *cfg, struct db *db,
    const struct newsletter *nl, const char *key, const char *title,
    const char *note, const char *rcpt, time_t now, int64_t *id,
    char **errstr);

/*
 * Makes an event mailing ("invitation", "announcement", "update",
 * "cancellation", "reminder") of ev — old is the previous version for an
 * update, lead the time before the start for a reminder, occurrence the
 * RECURRENCE-ID of a recurring event's occurrence a reminder is for (ev
 * is then that occurrence) or NULL — and queues it for its audience
 * (audience.h: never the organizer's own address). key, if not NULL,
 * makes it unique (e.g. one reminder per event and offset). Returns 0 with
 * *id and *queued, 1 when a mailing with that key exists already, -1 on
 * error.
 */
int mailing_event(const struct config *cfg, struct db *db, const char *kind,
    const struct event *ev, const struct event *old, long lead,
    const char *occurrence, const char *key, time_t now, int64_t *id,
    long *queued, char **errstr);

/*
 * A notice to one subscriber — "confirm" (the confirmation request of a
 * pending subscription, with their token), "welcome" (after confirming)
 * or "unsubscribed" (the confirmation of an unsubscribe) — made from the
 * shipped templates of that name, frozen like any mailing, with one outbox
 * row. Delivery sends it only while the subscriber's status is still the
 * one it was made for (pending, active, unsubscribed). Returns 0 with *id,
 * or -1 with *errstr. Nests in the caller's transaction.
 */
int mailing_notice(const struct config *cfg, struct db *db, const char *kind,
    int64_t subscriber_id, time_t now, int64_t *id, char **errstr);

/*
 * A short mail to the coordinator ([newsletter] review_to, else
 * organizer_email): a mailing of kind "notice" whose subject and plain
 * text are given (no template; the coordinator reads it in the default
 * language), about event_id (0: none), with one outbox row to that
 * address. key (may be NULL) makes it unique. Returns 0 with *id, 1 when
 * key exists, -1 with *errstr. Nests in the caller's transaction.
 */
int mailing_coordinator(const struct config *cfg, struct db *db,
    const char *key, int64_t event_id, const char *subject,
    const char *text, time_t now, int64_t *id, char **errstr);

/* Deletes notices (confirm, welcome, unsubscribed) left without an outbox
 * row (their subscriber was deleted). Returns how many, or -1. */
long mailing_drop_orphan_notices(struct db *db);

/*
 * The newsletters that went out (the web archive): mailings of kind
 * newsletter, active or done, with at least one sent row, without a note
 * (not the coordinator's review copies and warnings). fn is called for
 * every month that has one, newest first; returns 0 or -1 (db_errmsg()).
 */
int mailing_sent_months(struct db *db, void (*fn)(void *arg, int year,
    int month), void *arg);

/* The newsletter that went out for year-month (the first, if a special
 * edition followed): its id, 0 when there is none, -1 on error. */
int64_t mailing_sent_newsletter(struct db *db, int year, int month);

struct mailing;

/*
 * A mailing that exists only in memory, from the live content and
 * templates, for previews: kind "newsletter" (year, month) or an event mail
 * (ev, with ev itself as the "old" version of an update); other kinds
 * (confirm, welcome, unsubscribed) need neither. Returns 0 or -1.
 */
int mailing_preview(const struct config *cfg, struct db *db,
    const char *kind, int year, int month, const struct event *ev,
    time_t now, struct mailing **out, char **errstr);

/* Loads a mailing's frozen content. Returns 0 or -1 (*errstr). */
int mailing_load(const struct config *cfg, struct db *db, int64_t id,
    struct mailing **out, char **errstr);
void mailing_free(struct mailing *m);

const char *mailing_kind(const struct mailing *m);

/* A newsletter mailing's content (editorials, events), else NULL. */
const struct newsletter *mailing_content(const struct mailing *m);

/* What one recipient gets. calendar (invitations) is the iCalendar object
 * and calendar_method its METHOD, both NULL for other mails. */
struct mailing_msg {
	struct rendered r;
	char *calendar;
	const char *calendar_method;
};

void mailing_msg_free(struct mailing_msg *mm);

/* Renders the mail for s. Returns 0 or -1 (*errstr). */
int mailing_render(struct mailing *m, const struct subscriber *s,
    struct mailing_msg *out, char **errstr);

#endif
