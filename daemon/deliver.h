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
#include <stdio.h>
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
	DELIVER_YIELDED,        /* deliver_yield(): in-flight ones finished,
				   call again when ready */
	DELIVER_DB_BUSY,        /* the outbox could not be read (database
				   locked): try again shortly */
	DELIVER_ERROR = -1
};

struct deliver;

/* Returns NULL with *errstr when the transport cannot be set up. db may be
 * NULL to check the configuration only (deliver_run needs it). */
struct deliver *deliver_new(const struct config *cfg, struct db *db,
    char **errstr);
void deliver_free(struct deliver *d);

/* Checks what deliver_new would refuse at start (the smtp url, tls = none
 * to a host that is not loopback …), printing why to fp. 0 or -1. */
int deliver_check(const struct config *cfg, FILE *fp);

/*
 * Sends everything due now (and what becomes due while it runs). progress,
 * if not NULL, is called after every message. Returns an enum
 * deliver_status.
 */
int deliver_run(struct deliver *d, struct deliver_stats *stats,
    void (*progress)(void *arg, const struct deliver_stats *s), void *arg);

/* Milliseconds the rate limits ask to wait (after DELIVER_RATE_LIMITED). */
long deliver_wait_ms(struct deliver *d);

/* Take no new messages; finish the ones in flight. Async-signal-safe.
 * Sticky: later runs return DELIVER_STOPPED at once. */
void deliver_stop(struct deliver *d);

/* deliver_stop, and cut off the messages in flight (within about a
 * second): they stay queued. For a stop that must not wait for a hung
 * server. Async-signal-safe. */
void deliver_abort(struct deliver *d);

/* Ends the current run after the messages in flight, without stopping
 * later runs (DELIVER_YIELDED): for a reload in the middle of a long run. */
void deliver_yield(struct deliver *d);

/* fn(arg) is called at least every 100 ms while a run goes on (also
 * while an outcome waits for a locked database): for a watchdog and for
 * signal flags. It may call deliver_stop, deliver_abort, deliver_yield. */
void deliver_set_tick(struct deliver *d, void (*fn)(void *arg), void *arg);

/*
 * Composes the complete message (RFC 5322, CRLF) that mailing `mailing_id`
 * sends to the subscriber with address email, as deliver_run would.
 * msgid_local is the Message-ID's part before the @ (NULL: random).
 * Returns 0 or -1 with *errstr. (For `rundbrief preview --format eml`.)
 */
struct subscriber;
struct mailing;
struct buf;
int deliver_compose(const struct config *cfg, struct mailing *m,
    const struct subscriber *s, const char *msgid_local, struct buf *out,
    char **message_id, char **errstr);

#endif
