/*
 * outbox: one row per recipient per mailing, in SQLite, so nothing is lost
 * and nothing is sent twice.
 *
 * States: queued -> sending -> sent; sending -> deferred -> sending … ;
 * sending -> failed; queued/deferred -> cancelled. A row is claimed
 * ("sending") just before its message goes out and marked "sent" only
 * after the server accepted it, each in its own transaction. After a crash,
 * outbox_recover() puts rows left in "sending" back to "queued": the only
 * possible duplicates are the messages that were on the wire.
 *
 * Temporary failures are retried with backoff (1 min, 5 min, 30 min, 2 h,
 * 6 h, then every 6 h) until the row is older than [smtp] max_age, then
 * they fail. Permanent failures fail at once and count as a hard bounce
 * (see subscriber_bounce() for when the subscriber becomes "bounced").
 */
#ifndef RUNDBRIEF_OUTBOX_H
#define RUNDBRIEF_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db;
struct subscriber;

/* Counts per state of one mailing (or all, mailing_id 0). */
struct outbox_counts {
	long queued, sending, sent, deferred, failed, cancelled;
};

/* A claimed row with what is needed to write the message. */
struct outbox_item {
	int64_t id;
	int64_t mailing_id;
	int attempts;            /* before this one */
	time_t created_at;
	struct subscriber *sub;  /* owned by the item */
};

void outbox_item_free(struct outbox_item *it);

/* Rows left in "sending" (a crash) back to "queued". *n: how many. */
int outbox_recover(struct db *db, long *n);

/*
 * Adds one queued row per recipient: status-active subscribers, for event
 * mailings only those of the event's district (district NULL: everyone),
 * never the address `skip` (the organizer). Returns the number queued, or
 * -1. Must run inside the caller's transaction.
 */
long outbox_enqueue(struct db *db, int64_t mailing_id, const char *district,
    const char *skip, time_t now);

/*
 * Queues the subscribers who were invited to event_id (an invitation or
 * update of it was sent or is on its way) and are still active, never the
 * address `skip`. occurrence is NULL for an update or cancellation; for a
 * reminder it is the occurrence's id as schedule_occurrence_id() writes
 * it ("single" for a one-off event), and those who declined it (or the
 * whole series, without an answer for the occurrence) are left out.
 * Returns the number queued, or -1. In the caller's transaction.
 */
long outbox_enqueue_invited(struct db *db, int64_t mailing_id,
    int64_t event_id, const char *skip, const char *occurrence, time_t now);

/* How many outbox_enqueue_invited() would queue now; -1 on error. */
long outbox_count_invited(struct db *db, int64_t event_id,
    const char *skip, const char *occurrence);

/* When the last mail of this kind ("confirm" …) was queued for the
 * subscriber, 0 if never. */
time_t outbox_last_notice(struct db *db, int64_t subscriber_id,
    const char *kind);

/* Queues one row for one subscriber (notices such as confirm). */
int outbox_enqueue_one(struct db *db, int64_t mailing_id,
    int64_t subscriber_id, time_t now);

/*
 * Claims up to max due rows (queued or deferred, next_attempt <= now, of
 * active mailings): marks them "sending" and returns them in *items
 * (caller frees each with outbox_item_free and the array with free).
 * Returns the number claimed, or -1.
 */
long outbox_claim(struct db *db, time_t now, size_t max,
    struct outbox_item ***items);

/* The server accepted the message. */
int outbox_sent(struct db *db, int64_t id, const char *message_id,
    const char *reply, time_t now);

/*
 * A temporary failure: deferred with backoff, or failed once the row is
 * older than max_age. Returns 0 (deferred) or 1 (failed), -1 on error.
 */
int outbox_tempfail(struct db *db, const struct outbox_item *it,
    const char *reply, long max_age, time_t now);

/* A permanent failure; bounce != 0 counts a hard bounce by the rule of
 * subscriber_bounce() (bounced at once when reply says 5.1.1, else after
 * bounce_limit of them). */
int outbox_permfail(struct db *db, const struct outbox_item *it,
    const char *reply, int bounce, int bounce_limit, time_t now);

/* Not sent on purpose (the subscriber is no longer active …). */
int outbox_skip(struct db *db, int64_t id, const char *why, time_t now);

/* Back to queued after a claim that was never attempted (stop, rate). */
int outbox_unclaim(struct db *db, int64_t id);

/* The reminders of event_id not sent yet are cancelled (the event is).
 * Returns how many, or -1. In the caller's transaction. */
long outbox_cancel_reminders(struct db *db, int64_t event_id, time_t now);

/* Rows never tried that were queued after now (by the tool, on the real
 * clock, while the daemon runs on a simulated one) become due at now. */
int outbox_fresh_due(struct db *db, time_t now);

/* How many rows are due at now (through the due index). */
long outbox_due_count(struct db *db, time_t now);

/* The earliest next_attempt of a due-able row, 0 when there is none. */
time_t outbox_next_due(struct db *db);

/* Send times of the last hour (to seed the SMTP rate limit). */
size_t outbox_sent_since(struct db *db, time_t since, time_t **times);

/* failed -> queued, and blocked mailings active again (mailing 0: all
 * mailings). Returns the number of rows queued again, or -1. */
long outbox_retry(struct db *db, int64_t mailing_id, time_t now);

/*
 * Blocks an active mailing: nothing of it is claimed until `queue retry`.
 * reason is the server's reply or what we found. Returns 1 if it was
 * blocked now, 0 if it was not active, -1 on error.
 */
int outbox_block(struct db *db, int64_t mailing_id, const char *reason,
    time_t now);

/*
 * Takes back failures that were not the recipients' (the same refusal for
 * many recipients in a row): the rows are queued again and the bounces
 * they counted are undone. One transaction. 0 or -1.
 */
int outbox_unfail(struct db *db, const int64_t *ids, size_t n, time_t now);

/*
 * Marks every active mailing with nothing left to send (queued, sending,
 * deferred) as done, with the time, and calls fn (if not NULL) with its
 * final counts. Returns how many finished, or -1.
 */
int outbox_finish_mailings(struct db *db, time_t now,
    void (*fn)(void *arg, int64_t id, const char *kind, const char *title,
    const struct outbox_counts *c), void *arg);

/* Stops a mailing: its queued and deferred rows become cancelled.
 * Returns the number of rows cancelled, or -1 (no such mailing). */
long outbox_cancel(struct db *db, int64_t mailing_id, time_t now);

/* Counts per state of one mailing (or all, mailing_id 0). */
int outbox_counts(struct db *db, int64_t mailing_id, struct outbox_counts *c);

/* The same for the messages to subscribers only: rows to a plain address
 * (the coordinator's review copy) are left out. */
int outbox_subscriber_counts(struct db *db, int64_t mailing_id,
    struct outbox_counts *c);

/* One mailing as `rundbrief queue` shows it. */
struct outbox_mailing {
	int64_t id;
	const char *kind, *title;
	const char *state;        /* active, done, blocked, cancelled */
	const char *reason;       /* why it is blocked, or NULL */
	const char *note;         /* the coordinator's review copy or
	                             warning says so here, else NULL */
	time_t created, finished; /* finished: done or blocked, else 0 */
	struct outbox_counts c;
};

/* Calls fn for every mailing (newest first) with its counts. */
int outbox_mailings(struct db *db, void (*fn)(void *arg,
    const struct outbox_mailing *m), void *arg);

/* Every outbox row of one subscriber (for a data-access request), oldest
 * first. */
int outbox_each_for_subscriber(struct db *db, int64_t subscriber_id,
    void (*fn)(void *arg, int64_t mailing_id, const char *kind,
    const char *title, const char *state, time_t sent_at,
    const char *message_id), void *arg);

/* The n most recent failures and deferrals. */
int outbox_recent_errors(struct db *db, int n, void (*fn)(void *arg,
    int64_t mailing_id, const char *email, const char *state, int attempts,
    const char *reply, time_t when), void *arg);

#endif
