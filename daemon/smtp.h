/*
 * smtp: delivers finished messages to an SMTP submission server with
 * libcurl (the only module that includes curl's headers).
 *
 * Throughput: libcurl has no SMTP pipelining, so we keep `connections`
 * connections open and send message after message over each of them. Each
 * connection is a thread of its own (one curl easy handle each), so a
 * server that takes its time to accept a message, or stalls on one
 * connection, does not hold up the others. Messages are pulled from the
 * caller (smtp_next_fn) only to keep a short queue shared by the
 * connections filled (at most two messages per connection handed over:
 * one being sent, one waiting for the first connection to be free), so
 * memory stays flat however long the caller's queue is, and every outcome
 * is pushed back (smtp_done_fn). Both
 * callbacks run on the thread that calls smtp_run, never on another: the
 * caller needs no locking. A connection whose transaction failed is
 * closed, never used for the next message.
 *
 * Usage:
 *	smtp_global_init(&err);            once, in main(), before any thread
 *	s = smtp_new(&opts, &err);
 *	smtp_seed_hour(s, times, n);       optional: quota used before a restart
 *	r = smtp_run(s, next, done, arg);  whenever messages are due
 *	smtp_free(s);
 *	smtp_global_cleanup();             at exit
 */
#ifndef RUNDBRIEF_SMTP_H
#define RUNDBRIEF_SMTP_H

#include <stddef.h>
#include <time.h>

#define SMTP_MAX_CONNECTIONS 32

enum smtp_tls {
	SMTP_TLS_REQUIRED = 0,	/* smtp:// must STARTTLS (CURLUSESSL_ALL) */
	SMTP_TLS_NONE		/* smtp:// in clear; loopback hosts only */
};

struct smtp_opts {
	/*
	 * smtp://host[:port][/ehlo-domain] (587: STARTTLS unless tls=none) or
	 * smtps://host[:port][/ehlo-domain] (465: TLS from the first byte).
	 */
	const char *url;
	const char *username;	/* NULL: no AUTH */
	const char *password;	/* the secret itself (read from password_file) */
	enum smtp_tls tls;	/* must be REQUIRED for smtps:// */
	const char *ca_file;	/* PEM bundle for a private CA, or NULL: system */
	/*
	 * Domain we announce in EHLO. NULL: the URL's path if it has one, else
	 * the domain of the first message's envelope sender. libcurl itself
	 * would announce gethostname(), which we never want to leak.
	 */
	const char *helo;
	int connections;	/* 1..SMTP_MAX_CONNECTIONS */
	long connect_timeout;	/* seconds: TCP + TLS + greeting + EHLO + AUTH */
	long timeout;		/* seconds: whole transaction of one message */
	/* Both limits count a message when it is handed over to the
	 * connections, which may be a moment before it goes out. */
	double rate_per_second;	/* messages started per second; 0: no limit */
	long rate_per_hour;	/* messages started in any 3600 s; 0: no limit */
};

/* One message handed to smtp_run by smtp_next_fn. */
struct smtp_msg {
	const char *envelope_from; /* MAIL FROM (addr-spec or "" for <>); copied */
	const char *rcpt;	/* RCPT TO (addr-spec), exactly one; copied */
	const char *data;	/* the message, CRLF line ends, not dot-stuffed */
	size_t len;
	void *cookie;		/* handed back to smtp_done_fn */
};

enum smtp_status {
	SMTP_SENT = 0,		/* 250 after the message: the server has it */
	SMTP_TEMPFAIL,		/* try again later */
	SMTP_PERMFAIL,		/* the recipient's mailbox refused for good
				   (a hard bounce): see smtp_classify */
	SMTP_REJECTED,		/* this message refused for good, but not
				   because of the recipient (5xx after DATA,
				   other 5xx to RCPT): no bounce */
	SMTP_BLOCKED,		/* a refusal that is about us, not the
				   recipient (sender, relaying, policy,
				   login): every message would fail alike */
	SMTP_ABORTED		/* cut off by smtp_abort(): it may or may
				   not have arrived */
};

/* Where a transaction ended (for logs; the status alone decides). */
enum smtp_stage {
	SMTP_STAGE_CONNECT = 0,	/* TCP, TLS, greeting, EHLO, STARTTLS */
	SMTP_STAGE_AUTH,
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,
	SMTP_STAGE_DATA,	/* the DATA command itself */
	SMTP_STAGE_BODY		/* sending the message / its final reply */
};

struct smtp_result {
	enum smtp_status status;
	/* The reply code that decided (250 when sent, 4xx/5xx when a reply
	 * refused the message), or 0 when no reply did (network, TLS, timeout). */
	int code;
	enum smtp_stage stage;
	/* One line fit for a log: the server's reply (control characters
	 * replaced) or libcurl's error. Valid only during the callback. */
	const char *text;
	int new_connection;	/* 1 if this message opened a new connection */
};

/*
 * Fills *m with the next message to send and returns 1, or returns 0 when
 * no message is due now. Called only when the connections' queue has room
 * (up to two messages per connection are handed over at a time, fewer
 * while the server is not known to be reachable) and the rate limits allow
 * a message. m->data must stay valid and unchanged until smtp_done_fn
 * reports m->cookie (typically the callee frees it there).
 */
typedef int (*smtp_next_fn)(void *arg, struct smtp_msg *m);

/* Reports the outcome of the message whose cookie is given; exactly once
 * per message that smtp_next_fn handed out. May call smtp_stop(). */
typedef void (*smtp_done_fn)(void *arg, void *cookie,
    const struct smtp_result *r);

/*
 * curl_global_init for the whole program: call once from main() before
 * smtp_new() and before any thread exists. Returns 0, or -1 with *errstr
 * (caller frees). smtp_global_cleanup() undoes it at exit.
 */
int smtp_global_init(char **errstr);
void smtp_global_cleanup(void);

/*
 * Checks the options (scheme smtp/smtps, tls=none only to a loopback host,
 * ranges, EHLO name) and sets up the handles; connects nothing yet.
 * Returns the handle, or NULL with *errstr set (caller frees).
 */
struct smtp *smtp_new(const struct smtp_opts *o, char **errstr);

/*
 * Counts messages sent at the given times (e.g. read back from the outbox
 * after a restart) into the per-hour window, so a restart does not reset
 * the quota. Times older than an hour are ignored, future ones count as
 * now. No-op when rate_per_hour is 0.
 */
void smtp_seed_hour(struct smtp *s, const time_t *times, size_t n);

#define SMTP_RUN_DONE		0	/* next() said 0 and nothing is in flight */
#define SMTP_RUN_STOPPED	1	/* smtp_stop(): in-flight ones finished */
#define SMTP_RUN_SERVER_DOWN	2	/* as many failures before MAIL FROM
					   (connect, TLS, greeting, AUTH) in a
					   row as there are connections: the
					   rest stays with the caller; back
					   off. Messages already handed over
					   but not tried are reported
					   SMTP_TEMPFAIL, code 0, stage
					   connect, "not sent (server down)" */
#define SMTP_RUN_RATE_LIMITED	3	/* nothing in flight and the limits allow
					   no message for a while: see
					   smtp_rate_wait_ms() */

/*
 * Sends messages until next() has none, over up to `connections` reused
 * connections at once, within the rate limits. Short waits for the rate
 * limits (up to 5 s) happen inside; longer ones end the call with
 * SMTP_RUN_RATE_LIMITED so the caller's loop can sleep on all its work.
 * A connection that is done with a message starts the next one waiting in
 * the queue at once. Until a message of this call gets past AUTH the queue
 * holds no more than one message per connection, and after a failure to
 * connect messages go one at a time until one gets through, so a server
 * that is down costs each call at most `connections` connection attempts,
 * as without a queue (messages queued behind a refused connection are not
 * tried: see SMTP_RUN_SERVER_DOWN). Connections stay open between calls
 * (until smtp_free, or until the server or libcurl's idle limit closes
 * them). The first call starts the connections' threads (all signals
 * blocked in them, so signals reach the calling thread); callbacks run on
 * the calling thread only.
 * Returns one of SMTP_RUN_*, or -1 if not one thread could be started
 * (logged; no message was taken).
 * Not reentrant: do not call smtp_run or smtp_free from the callbacks.
 */
int smtp_run(struct smtp *s, smtp_next_fn next, smtp_done_fn done,
    void *arg);

/*
 * Milliseconds until the rate limits allow the next message (0: now).
 */
long smtp_rate_wait_ms(struct smtp *s);

/*
 * Asks smtp_run to take no new messages and to return SMTP_RUN_STOPPED once
 * the ones in flight are done (smtp_run notices within 0.1 s). In flight
 * means handed over: the one each connection is sending and those waiting
 * in the queue (at most one per connection), which healthy connections
 * still send; a connection whose transaction fails after the stop starts
 * no more, and messages left in the queue then are reported SMTP_TEMPFAIL,
 * code 0, stage connect, "not sent (stopping)" (the caller defers them
 * like any temporary failure). Sticky: later smtp_run calls return at
 * once. Only stores a lock-free atomic int, so it is safe from the
 * callbacks, from any thread and from a signal handler (SIGTERM: finish
 * in-flight messages, then exit).
 */
void smtp_stop(struct smtp *s);

/* Closes the connections (QUIT, all at once, each waiting up to `timeout`
 * for the reply), ends their threads and frees everything. NULL is fine. */
void smtp_free(struct smtp *s);

/*
 * VERP envelope sender: "bounces@example.org" + "TOKEN" gives
 * "bounces+TOKEN@example.org"; a sender whose local part ends in the
 * literal "+TOKEN" has that placeholder replaced instead. The token may
 * hold only [A-Za-z0-9._=-] and the local part stays within 64 octets.
 * Returns a new string (caller frees), or NULL with *errstr set.
 */
char *smtp_verp_sender(const char *envelope_from, const char *token,
    char **errstr);

/*
 * What a reply means for the message, by the phase it answered and its
 * enhanced status code (RFC 3463) when it has one:
 *   - 4xx, or no reply (code 0): SMTP_TEMPFAIL;
 *   - 5xx before MAIL FROM (greeting, AUTH) or to MAIL FROM, any 5.7.x
 *     (relaying, policy, authentication), 5.1.7/5.1.8 (our sender), or a
 *     reply without an enhanced code that speaks of relaying: SMTP_BLOCKED;
 *   - 5xx to RCPT TO with 5.1.x or 5.2.x, or without an enhanced code
 *     550, 551, 552 or 553: SMTP_PERMFAIL (the recipient's bounce);
 *   - any other 5xx (to RCPT, to DATA, after the message): SMTP_REJECTED.
 */
enum smtp_status smtp_classify(enum smtp_stage stage, int code,
    const char *reply);

/* Cuts off the transactions in flight at once (within about a second);
 * they are reported SMTP_ABORTED. Implies smtp_stop(). Async-signal-safe
 * like smtp_stop. */
void smtp_abort(struct smtp *s);

/* fn(arg) is called from smtp_run's loop at least every 100 ms (for a
 * watchdog and for signal flags). NULL: none. */
void smtp_set_tick(struct smtp *s, void (*fn)(void *arg), void *arg);

/* "connect", "AUTH", "MAIL", "RCPT", "DATA" or "end of data". */
const char *smtp_stage_name(enum smtp_stage stage);

#endif
