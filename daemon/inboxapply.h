/*
 * inboxapply: acting on a classified inbound message — storing an RSVP,
 * unsubscribing, counting a bounce, opening or confirming a subscription,
 * and queueing the short mail each of them sends (confirmation, welcome,
 * unsubscribed, the coordinator's "event is full") — inside the caller's
 * transaction, so the reader records the message as handled together with
 * what it did.
 */
#ifndef RUNDBRIEF_INBOXAPPLY_H
#define RUNDBRIEF_INBOXAPPLY_H

#include <time.h>

struct buf;
struct config;
struct db;
struct event;
struct inbox_msg;
struct sub_fields;
struct rsvp;
struct subscriber;

enum inbox_outcome {
	INBOX_HANDLED = 0,  /* acted on (or nothing to do): processed folder */
	INBOX_UNHANDLED     /* not for us to act on: unhandled folder */
};

/*
 * Acts on m at `now` inside the caller's transaction. *what gets one line
 * saying what was done ("accepted: anna@… for event 3 'Schulung'",
 * "unsubscribed anna@…", "hard bounce 5.1.1 for anna@…: bounced"), or
 * why nothing was (caller frees). Returns an inbox_outcome, or -1 on a
 * database error (the caller rolls back and tries the message again
 * later).
 */
int inbox_apply(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, char **what);

/*
 * THE RSVP RULE, for an answer by calendar reply and by the web page:
 * a (an answer to ev) is stored unless the stored answer of the same
 * person for the same occurrence is newer (rsvp_store()); after a stored
 * acceptance, when the fullest occurrence has as many acceptances as ev
 * has places, the coordinator gets one notice (events.full_noticed).
 * Inside the caller's transaction; appends what was done to w. Returns 0
 * (stored), 1 (outdated, nothing changed) or -1 on a database error.
 */
int inbox_rsvp(const struct config *cfg, struct db *db,
    const struct event *ev, const struct rsvp *a, time_t now, struct buf *w);

/*
 * THE UNSUBSCRIBE RULE, for every way a person asks (a reply, the
 * List-Unsubscribe mailto, the web page and its RFC 8058 one-click POST):
 * s (as loaded) becomes unsubscribed at `now` and gets one "unsubscribed"
 * notice, unless the address bounced (no mail then); someone unsubscribed
 * already is left alone (no second mail). Inside the caller's
 * transaction. What was done is appended to w (": unsubscribed, …").
 * Returns 1 when unsubscribed now, 0 when they were already, -1 on a
 * database error.
 */
int inbox_unsubscribe(const struct config *cfg, struct db *db,
    const struct subscriber *s, time_t now, struct buf *w);

/*
 * THE CONFIRMATION RULE (double opt-in): a pending s becomes active with
 * consent (source, e.g. "mail-confirmation" or "web-confirmation", at
 * now) and the welcome mail is queued. Inside the caller's transaction;
 * appends what was done to w. Returns 1 when confirmed now, 0 when active
 * already, 2 when s is unsubscribed or bounced (a confirmation does not
 * subscribe again: nothing done), -1 on a database error.
 */
int inbox_confirm(const struct config *cfg, struct db *db,
    const struct subscriber *s, const char *source, time_t now,
    struct buf *w);

/*
 * THE SUBSCRIBE RULE, for every way a person asks (a mail "anmelden", the
 * web form): a new address becomes pending with the fields of f (f's
 * default_language NULL: [general] language; a name subscriber_add()
 * refuses is dropped) and gets the confirmation request; a pending one
 * gets the request again, at most once a day; an unsubscribed or bounced
 * one is pending again (the request is new) with a request; an active one:
 * nothing, no mail. An existing subscriber keeps their fields. The request
 * is recorded with source ("mail", "web"; consent comes with the
 * confirmation). Inside the caller's transaction; appends what was done
 * to w. Returns 1 when a request was queued, 0 when nothing was to be
 * done, 2 when the address cannot be subscribed (forgotten earlier, not
 * valid, an unknown district), -1 on a database error.
 */
int inbox_subscribe(const struct config *cfg, struct db *db,
    const char *email, const struct sub_fields *f, const char *source,
    time_t now, struct buf *w);

/* Pending subscriptions older than [imap] confirm_expiry are removed.
 * Returns how many, or -1. */
long inbox_expire_pending(const struct config *cfg, struct db *db,
    time_t now);

#endif
