/*
 * smtpconn: the connections of the smtp module -- each a thread that owns
 * one libcurl easy handle and runs one blocking curl_easy_perform per
 * message. The handle keeps its connection from message to message (MAIL
 * FROM directly, no new EHLO/AUTH).
 *
 * Why a thread per connection: libcurl waits for the reply to the end of a
 * message inside its smtp_done without returning to the caller, under the
 * multi interface too (curl issue #8555). With one multi handle for all
 * connections that wait blocked them all: `connections` gave no
 * parallelism against a server that takes its time to accept a message,
 * and a server stalling on one connection made the others time out.
 * libcurl allows distinct easy handles in distinct threads after
 * curl_global_init (smtp_global_init), with CURLOPT_NOSIGNAL.
 *
 * One queue for all connections: smtp.c keeps a few prepared jobs queued,
 * and a connection that finishes a message reports it and takes the next
 * one at once, without waiting for the caller's thread (which renders and
 * records messages meanwhile). It wakes the caller only if the caller
 * sleeps; a caller busy rendering finds all results that came meanwhile
 * when it looks next, reports them and refills the queue in one go. Being
 * shared, the queue puts no message behind a connection that stalls:
 * whichever connection is free first takes it.
 *
 * Waking a sleeping caller for every result, rather than only when the
 * queue runs low, costs no CPU we could measure (tests/bench/send) and
 * keeps results from waiting unrecorded while their connection sends the
 * next message: after a kill -9 such a message is sent again (with a
 * low-water mark, 5 duplicates instead of 4 in half the runs of
 * test_delivery.py's kill -9 test over 4 connections).
 *
 * Acknowledgement: a connection that has finished a message takes no other
 * one until the caller has recorded the outcome (smtpconn_ack). Without
 * it a connection went on with the next message while the caller could
 * not write (the database locked by another process), and a kill -9 then
 * sent again every message that had been accepted meanwhile: up to twice
 * the connections. With it, each connection has at most one message whose
 * fate is not in the database: the bound after a crash is `connections`,
 * whatever the database does. The caller is woken for every result and
 * records it in a few tens of microseconds, so the wait costs little.
 *
 * Hold: a transaction that failed before MAIL FROM (connect, TLS,
 * greeting, AUTH), or any failed one after smtp_stop(), puts the queue on
 * hold: no connection takes a queued job until smtp.c has taken the queue
 * back (it then sends one message at a time until one gets through, as
 * after any failure to connect, or reports them as not sent).
 *
 * A failed transaction never leaves its connection for the next message.
 * libcurl keeps a connection after some failures (a timeout waiting for
 * the reply to the end of the message, for one), and the late reply to
 * the old message would then be read as the reply to the next MAIL FROM.
 * So after any failure the thread shuts the socket down (found through
 * CURLINFO_ACTIVESOCKET) and replaces its easy handle before it takes the
 * next job, which thus opens a fresh connection. The shutdown also spares
 * the QUIT exchange on the dead connection, which libcurl 7.88 waits for
 * up to the response timeout whatever CURLOPT_TIMEOUT says.
 *
 * Timeouts: CURLOPT_CONNECTTIMEOUT bounds everything before the first MAIL
 * FROM (TCP, TLS, greeting, EHLO, STARTTLS, AUTH). CURLOPT_TIMEOUT bounds
 * the whole transaction of one message and is the only limit libcurl
 * checks in every phase: MAIL/RCPT/DATA replies, the upload and the final
 * reply. A low-speed limit would only watch the upload, not a server that
 * goes quiet after RCPT. CURLOPT_SERVER_RESPONSE_TIMEOUT gets the same
 * value because it alone bounds the wait for the QUIT reply when a healthy
 * connection is closed (its default is 120 s).
 *
 * What was said is captured through the debug callback, which sees every
 * command and reply line in clear even under TLS: the stage a transaction
 * ended in and the last reply, for smtp.c to classify.
 */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "smtppriv.h"
#include "util.h"

/* ---- libcurl callbacks (in the connection's thread) ---- */

static void
note_command(struct smtpconn *c, const char *p, size_t n)
{
#define IS(x) (n >= sizeof(x) - 1 && strncasecmp(p, x, sizeof(x) - 1) == 0)
	if (IS("MAIL FROM:"))
		c->out.stage = SMTP_STAGE_MAIL;
	else if (c->out.stage == SMTP_STAGE_AUTH)
		return;		/* SASL continuation lines */
	else if (IS("RCPT TO:"))
		c->out.stage = SMTP_STAGE_RCPT;
	else if (IS("DATA\r\n"))
		c->out.stage = SMTP_STAGE_DATA;
	else if (IS("AUTH "))
		c->out.stage = SMTP_STAGE_AUTH;
	else if (IS("EHLO ") || IS("HELO ") || IS("STARTTLS"))
		c->out.stage = SMTP_STAGE_CONNECT;
	else if (IS("QUIT"))
		c->quitting = 1;	/* libcurl closes after a failure */
#undef IS
}

static void
note_reply_line(struct smtpconn *c, const char *p, size_t n)
{
	size_t room;

	if (c->quitting)
		return;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (c->out.reply_final) {
		c->out.replylen = 0;
		c->out.reply_final = 0;
	}
	room = sizeof(c->out.reply) - 1 - c->out.replylen;
	if (c->out.replylen > 0 && room > 0) {
		c->out.reply[c->out.replylen++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(c->out.reply + c->out.replylen, p, n);
	c->out.replylen += n;
	c->out.reply[c->out.replylen] = '\0';
	if (n >= 3 && isdigit((unsigned char)p[0]) &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    (n == 3 || p[3] == ' ')) {
		c->out.reply_final = 1;
		c->out.reply_code = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
		    (p[2] - '0');
	}
}

static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtpconn *c = arg;
	const char *p = data, *e = data + size, *nl;

	(void)easy;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		note_command(c, data, size);
		break;
	case CURLINFO_DATA_OUT:
		c->out.stage = SMTP_STAGE_BODY;
		break;
	case CURLINFO_HEADER_IN:
		while (p < e) {
			nl = memchr(p, '\n', (size_t)(e - p));
			nl = nl != NULL ? nl + 1 : e;
			note_reply_line(c, p, (size_t)(nl - p));
			p = nl;
		}
		break;
	default:
		break;
	}
	return 0;
}

static size_t
read_cb(char *out, size_t size, size_t nitems, void *arg)
{
	struct smtpconn *c = arg;
	size_t n = size * nitems;

	if (n > c->job->len - c->pos)
		n = c->job->len - c->pos;
	memcpy(out, c->job->data + c->pos, n);
	c->pos += n;
	return n;
}

/* Called by libcurl about once a second, also while it waits for a
 * reply: a nonzero return cuts the transaction off (smtp_abort). */
static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct smtpconn *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return __atomic_load_n(&c->pool->aborting, __ATOMIC_RELAXED) != 0;
}

/* ---- the easy handle ---- */

#define SETOPT(e, opt, val) do {					\
	if ((*rc = curl_easy_setopt((e), (opt), (val))) != CURLE_OK)	\
		goto fail;						\
} while (0)

/* A new easy handle for c with everything but the message set, or NULL
 * with *rc set. Reads only the pool's fixed options: any thread may call. */
static CURL *
easy_new(struct smtpconn *c, CURLcode *rc)
{
	const struct smtp_pool *p = c->pool;
	CURL *e;

	if ((e = curl_easy_init()) == NULL) {
		*rc = CURLE_OUT_OF_MEMORY;
		return NULL;
	}
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SETOPT(e, CURLOPT_PROXY, "");	/* ignore *_proxy from the env */
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_USE_SSL,
	    p->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	SETOPT(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file != NULL)
		SETOPT(e, CURLOPT_CAINFO, p->ca_file);
	if (p->username != NULL) {
		SETOPT(e, CURLOPT_USERNAME, p->username);
		SETOPT(e, CURLOPT_PASSWORD,
		    p->password != NULL ? p->password : "");
	}
	SETOPT(e, CURLOPT_CONNECTTIMEOUT, p->connect_timeout);
	SETOPT(e, CURLOPT_TIMEOUT, p->timeout);
	SETOPT(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, p->timeout);
	SETOPT(e, CURLOPT_UPLOAD, 1L);
	SETOPT(e, CURLOPT_READFUNCTION, read_cb);
	SETOPT(e, CURLOPT_READDATA, c);
	SETOPT(e, CURLOPT_ERRORBUFFER, c->out.errbuf);
	SETOPT(e, CURLOPT_VERBOSE, 1L);	/* feeds debug_cb, prints nothing */
	SETOPT(e, CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(e, CURLOPT_DEBUGDATA, c);
	SETOPT(e, CURLOPT_NOPROGRESS, 0L);
	SETOPT(e, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(e, CURLOPT_XFERINFODATA, c);
	return e;
fail:
	curl_easy_cleanup(e);
	return NULL;
}

#undef SETOPT

/* Throws the handle away with any connection it keeps, waiting for
 * nothing from the server. */
static void
easy_discard(struct smtpconn *c)
{
	curl_socket_t sock = CURL_SOCKET_BAD;

	/* The connection libcurl kept for the next transfer, if any: shut
	 * down, it is neither reused nor closed with a QUIT exchange. */
	if (curl_easy_getinfo(c->easy, CURLINFO_ACTIVESOCKET, &sock) ==
	    CURLE_OK && sock != CURL_SOCKET_BAD)
		(void)shutdown(sock, SHUT_RDWR);
	/* Keep the reply we have; and the workaround for curl issue #4015
	 * (no wait for a QUIT reply) where a libcurl honours it. */
	(void)curl_easy_setopt(c->easy, CURLOPT_VERBOSE, 0L);
	(void)curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, 1L);
	curl_easy_cleanup(c->easy);
	c->easy = NULL;
}

#define SETOPT(opt, val) do {						\
	if ((rc = curl_easy_setopt(c->easy, (opt), (val))) != CURLE_OK)	\
		goto out;						\
} while (0)

/* Runs c->job; leaves the outcome in c->job->out. */
static void
transact(struct smtpconn *c)
{
	struct smtpjob *j = c->job;
	CURLcode rc = CURLE_OK;

	c->pos = 0;
	c->quitting = 0;
	c->out.stage = SMTP_STAGE_CONNECT;
	c->out.replylen = 0;
	c->out.reply[0] = '\0';
	c->out.reply_final = 0;
	c->out.reply_code = 0;
	c->out.errbuf[0] = '\0';
	c->out.resp = c->out.nconn = 0;
	if (c->easy == NULL && (c->easy = easy_new(c, &rc)) == NULL)
		goto out;
	SETOPT(CURLOPT_URL, j->url);
	SETOPT(CURLOPT_MAIL_FROM, j->from);
	SETOPT(CURLOPT_MAIL_RCPT, j->rcpt);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	rc = curl_easy_perform(c->easy);
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->out.resp);
	curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &c->out.nconn);
out:
	c->out.rc = rc;
	/* Never reused: the next job opens a new connection. */
	if (rc != CURLE_OK && c->easy != NULL)
		easy_discard(c);
	j->out = c->out;
}

#undef SETOPT

/* ---- the thread ---- */

static int
stopping(struct smtp_pool *p)
{
	return __atomic_load_n(&p->stopping, __ATOMIC_RELAXED) != 0;
}

/* Puts c's finished job on the done list and wakes a sleeping caller.
 * Under p->mu. */
static void
report_job(struct smtp_pool *p, struct smtpconn *c)
{
	struct smtpjob *j = c->job;

	c->job = NULL;
	c->unacked = 1;
	j->next = NULL;
	*p->done_tail = j;
	p->done_tail = &j->next;
	if (j->out.rc != CURLE_OK &&
	    (j->out.stage <= SMTP_STAGE_AUTH || stopping(p)))
		p->hold = 1;
	/* A result for a caller that sleeps: it records it at once. */
	if (p->caller_waits)
		pthread_cond_signal(&p->done_cv);
}

/* The next job for c, or NULL if it may take none now. Under p->mu. */
static struct smtpjob *
take_job(struct smtp_pool *p, struct smtpconn *c)
{
	struct smtpjob *next;

	if (c->unacked || p->hold || p->quit || (next = p->q_head) == NULL)
		return NULL;
	if ((p->q_head = next->next) == NULL)
		p->q_tail = &p->q_head;
	p->nqueued--;
	next->conn = c;
	return next;
}

static void *
conn_main(void *arg)
{
	struct smtpconn *c = arg;
	struct smtp_pool *p = c->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (c->job != NULL)
			report_job(p, c);
		if ((c->job = take_job(p, c)) != NULL) {
			pthread_mutex_unlock(&p->mu);
			transact(c);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->quit)
			break;
		p->nidle++;
		pthread_cond_wait(&p->work_cv, &p->mu);
		p->nidle--;
	}
	pthread_mutex_unlock(&p->mu);
	/* QUIT on a healthy connection, bounded by the response timeout;
	 * after smtp_abort no wait at all. */
	if (c->easy != NULL) {
		if (__atomic_load_n(&p->aborting, __ATOMIC_RELAXED))
			easy_discard(c);
		else
			curl_easy_cleanup(c->easy);
	}
	c->easy = NULL;
	return NULL;
}

void
smtpconn_ack(struct smtp_pool *p, struct smtpconn *c)
{
	pthread_mutex_lock(&p->mu);
	c->unacked = 0;
	if (p->q_head != NULL && !p->hold)
		pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

int
smtp_pool_init(struct smtp_pool *p)
{
	pthread_condattr_t ca;
	int ok;

	p->q_tail = &p->q_head;
	p->done_tail = &p->done_head;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&p->done_cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!ok)
		return -1;
	if (pthread_cond_init(&p->work_cv, NULL) != 0) {
		pthread_cond_destroy(&p->done_cv);
		return -1;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		pthread_cond_destroy(&p->work_cv);
		pthread_cond_destroy(&p->done_cv);
		return -1;
	}
	return 0;
}

void
smtp_pool_destroy(struct smtp_pool *p)
{
	struct smtpjob *j;

	/* Jobs left only if smtp_run never got to report them. */
	while ((j = p->q_head) != NULL) {
		p->q_head = j->next;
		smtpjob_free(j);
	}
	while ((j = p->done_head) != NULL) {
		p->done_head = j->next;
		smtpjob_free(j);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
}

int
smtpconn_init(struct smtpconn *c, struct smtp_pool *pool, char **errstr)
{
	CURLcode rc = CURLE_OK;

	c->pool = pool;
	if ((c->easy = easy_new(c, &rc)) == NULL) {
		*errstr = xasprintf("curl_easy_setopt: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

int
smtpconn_start(struct smtpconn *c)
{
	sigset_t all, old;
	int e;

	/* Signals go to the caller's thread, where the handlers set flags
	 * that its loops look at. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&c->tid, NULL, conn_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e == 0)
		c->started = 1;
	return e;
}

void
smtpconn_queue(struct smtp_pool *p, struct smtpjob *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	*p->q_tail = j;
	p->q_tail = &j->next;
	p->nqueued++;
	/* A busy connection takes it when done; only an idle one needs
	 * waking. Idle ones waiting for their acknowledgement cannot take
	 * it, so all are woken and the free one takes it. */
	if (p->nidle > 0 && !p->hold)
		pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

void
smtpconn_quit_all(struct smtp_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

void
smtpconn_free(struct smtpconn *c)
{
	if (c->started) {
		pthread_join(c->tid, NULL);
		c->started = 0;
	} else if (c->easy != NULL) {
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
	}
}

void
smtpjob_free(struct smtpjob *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->from);
	curl_slist_free_all(j->rcpt);
	free(j);
}
