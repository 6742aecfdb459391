/*
 * deliver: takes what is due from the outbox, renders each recipient's
 * message from its mailing's frozen content, composes it (MIME) and hands
 * it to the transport — SMTP ([smtp] url) or the Maildir file transport —
 * then records the outcome in the outbox. Used by `rundbrief queue run`
 * and by the daemon.
 */
#ifndef RUNDBRIEF_DELIVER_H
#define RUNDBRIEF_DELIVER_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;

struct deliver_stats {
	long sent, deferred, failed, skipped;
};

enum deliver_status {
	DELIVER_IDLE = 0,       /* nothing is due any more */
	DELIVER_STOPPED,        /* deliver_stop() was called */
	DELIVER_SERVER_DOWN,    /* the server cannot be reached now */
	DELIVER_RATE_LIMITED,   /* the rate limits ask to wait */
	DELIVER_ERROR = -1
};

struct deliver;

/* Returns NULL with *errstr when the transport cannot be set up. */
struct deliver *deliver_new(const struct config *cfg, struct db *db,
    char **errstr);
void deliver_free(struct deliver *d);

/*
 * Sends everything due now (and what becomes due while it runs). progress,
 * if not NULL, is called after every message. Returns an enum
 * deliver_status.
 */
int deliver_run(struct deliver *d, struct deliver_stats *stats,
    void (*progress)(void *arg, const struct deliver_stats *s), void *arg);

/* Milliseconds the rate limits ask to wait (after DELIVER_RATE_LIMITED). */
long deliver_wait_ms(struct deliver *d);

/* Take no new messages; finish the ones in flight. Async-signal-safe. */
void deliver_stop(struct deliver *d);

/*
 * Composes the complete message (RFC 5322, CRLF) that mailing `mailing_id`
 * sends to the subscriber with address email, as deliver_run would.
 * Returns 0 or -1 with *errstr. (For `rundbrief preview --format eml`.)
 */
struct subscriber;
struct mailing;
struct buf;
int deliver_compose(const struct config *cfg, struct mailing *m,
    const struct subscriber *s, struct buf *out, char **message_id,
    char **errstr);

#endif
