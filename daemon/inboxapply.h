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

struct config;
struct db;
struct inbox_msg;

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

/* Pending subscriptions older than [imap] confirm_expiry are removed.
 * Returns how many, or -1. */
long inbox_expire_pending(const struct config *cfg, struct db *db,
    time_t now);

#endif
