/*
 * smtp: SMTP submission with libcurl, one thread per connection.
 *
 * This file is the caller's side: the options and their checks, the EHLO
 * name, the loop of smtp_run, the rate limits and the classification of
 * results. The connections are in smtpconn.c (why threads, why a failed
 * connection is never reused, the timeouts).
 *
 * Everything here runs on the thread that calls smtp_run, the callbacks
 * included (the daemon's SQLite and rendering are single-threaded).
 * smtp_run keeps up to QUEUE_DEPTH jobs per connection handed over (one
 * being sent, one waiting in the shared queue, see smtpconn.c), so a
 * connection goes on to its next message the moment it is done with one,
 * and this thread reports all results that came since it last looked and
 * refills the queue in one go. It waits on a condition variable for
 * results, in slices of STOP_POLL ms so that smtp_stop() from a signal
 * handler, which only sets a flag, is noticed promptly.
 *
 * The queue is kept only as deep as the connections while the server is
 * unproven (no transaction of this run got past AUTH yet) and one message
 * deep after a failure to connect, so a server that is down costs no more
 * attempts than before there was a queue. Jobs that a connection refused
 * to start (the queue on hold) come back here ("pending") and go out
 * again before next() is asked for more; those still pending when the run
 * ends (server down, smtp_stop) are reported as not sent.
 *
 * Failures are classified from what the server said (smtp_classify): by
 * the phase a 5xx answered and its enhanced status code, only a refusal
 * of the recipient's mailbox is the recipient's bounce; a refusal of our
 * sender, of relaying or of our login blocks (the caller stops the
 * mailing, nobody bounces). Everything without a 5xx, including
 * certificate verification failures, is temporary and logged once per
 * kind, so a wrong ca_file delays mail instead of bouncing it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "ratelimit.h"
#include "smtppriv.h"
#include "util.h"

#define MAX_INNER_WAIT	5000		/* ms smtp_run sleeps for rate limits */
#define STOP_POLL	100		/* ms between looks at smtp_stop() */
#define QUEUE_DEPTH	2		/* jobs handed over per connection */

struct smtp {
	struct smtp_pool pool;		/* pool.mu etc. valid if sync_ok */
	int sync_ok;
	struct smtpconn *c;
	int nc;				/* connections */
	int nrun;			/* threads started */
	int nbusy;			/* jobs handed over, result not taken */
	struct smtpjob *spare;		/* jobs to reuse */
	struct smtpjob *pending;	/* taken back from the queue: first */
	struct smtpjob **pending_tail;

	char *url;			/* final URL, NULL until EHLO known */
	CURLU *urlh;			/* kept only while url is NULL */
	char *host;			/* for log lines */
	int conn_failures;		/* in a row, connect/AUTH stage */
	int proven;			/* this run got past AUTH */
	int logged;			/* kind of the last one logged */
	struct ratelimit *rl;
	void (*tick)(void *);		/* smtp_set_tick */
	void *tick_arg;
};

static const char *stage_names[] = {
	"connect", "AUTH", "MAIL", "RCPT", "DATA", "end of data"
};

const char *
smtp_stage_name(enum smtp_stage stage)
{
	if ((unsigned)stage >= sizeof(stage_names) / sizeof(stage_names[0]))
		return "?";
	return stage_names[stage];
}

int
smtp_global_init(char **errstr)
{
	CURLcode rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		*errstr = xasprintf("curl_global_init: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void
smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

void
smtp_seed_hour(struct smtp *s, const time_t *times, size_t n)
{
	ratelimit_seed(s->rl, times, n);
}

long
smtp_rate_wait_ms(struct smtp *s)
{
	return ratelimit_wait_ms(s->rl);
}

/* ---- checks ---- */

/* An address we can put between < and > without changing the command. */
static int
addr_ok(const char *a)
{
	const unsigned char *p;

	if (strlen(a) > 320 || strchr(a, '@') == NULL)
		return 0;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* A host name (LDH labels) or an address literal we may send in EHLO. */
static int
helo_ok(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > 253)
		return 0;
	if (d[0] == '[')
		return d[n - 1] == ']' &&
		    strspn(d + 1, "0123456789abcdefABCDEF.:") == n - 2;
	return strspn(d, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n &&
	    d[0] != '.' && d[0] != '-' && strstr(d, "..") == NULL;
}

/* localhost, ::1 or a literal address in 127.0.0.0/8: not a name that
 * merely starts with "127." (127.example.org is anywhere). */
static int
loopback_host(const char *h)
{
	struct in_addr a4;

	if (strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 ||
	    strcmp(h, "::1") == 0)
		return 1;
	return inet_pton(AF_INET, h, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

/* The URL with the EHLO domain as its path (caller frees), or NULL. */
static char *
url_with_helo(CURLU *u, const char *helo)
{
	char *path = xasprintf("/%s", helo), *url = NULL, *r = NULL;

	if (curl_url_set(u, CURLUPART_PATH, path, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK)
		r = xstrdup(url);
	curl_free(url);
	free(path);
	return r;
}

/* Fixes the URL for good: the EHLO domain is known. 0 or -1. */
static int
set_helo(struct smtp *s, const char *helo)
{
	if ((s->url = url_with_helo(s->urlh, helo)) == NULL)
		return -1;
	curl_url_cleanup(s->urlh);
	s->urlh = NULL;
	return 0;
}

/* ---- setup ---- */

static char *
url_part(CURLU *u, CURLUPart what)
{
	char *p = NULL, *r;

	if (curl_url_get(u, what, &p, 0) != CURLUE_OK || p == NULL)
		return NULL;
	r = xstrdup(p);
	curl_free(p);
	return r;
}

/* The queue, its synchronisation and the connections. 0 or -1. */
static int
setup_pool(struct smtp *s, const struct smtp_opts *o, int starttls,
    char **errstr)
{
	struct smtp_pool *p = &s->pool;
	int i;

	p->starttls = starttls;
	p->ca_file = o->ca_file != NULL ? xstrdup(o->ca_file) : NULL;
	p->username = o->username != NULL ? xstrdup(o->username) : NULL;
	p->password = o->password != NULL ? xstrdup(o->password) : NULL;
	p->connect_timeout = o->connect_timeout;
	p->timeout = o->timeout;
	s->pending_tail = &s->pending;
	if (smtp_pool_init(p) == -1) {
		*errstr = xstrdup("smtp: cannot set up the thread "
		    "synchronisation");
		return -1;
	}
	s->sync_ok = 1;
	s->nc = o->connections;
	s->c = xcalloc((size_t)s->nc, sizeof(*s->c));
	for (i = 0; i < s->nc; i++)
		if (smtpconn_init(&s->c[i], p, errstr) == -1)
			return -1;
	return 0;
}

struct smtp *
smtp_new(const struct smtp_opts *o, char **errstr)
{
	struct smtp *s;
	char *scheme = NULL, *path = NULL, *user = NULL;
	int starttls = 0;

	*errstr = NULL;
	s = xcalloc(1, sizeof(*s));
	s->pending_tail = &s->pending;
	if (o->url == NULL || (s->urlh = curl_url()) == NULL ||
	    curl_url_set(s->urlh, CURLUPART_URL, o->url, 0) != CURLUE_OK) {
		*errstr = xasprintf("smtp url \"%s\" is not a valid URL",
		    o->url != NULL ? o->url : "");
		goto fail;
	}
	scheme = url_part(s->urlh, CURLUPART_SCHEME);
	s->host = url_part(s->urlh, CURLUPART_HOST);
	path = url_part(s->urlh, CURLUPART_PATH);
	user = url_part(s->urlh, CURLUPART_USER);
	if (scheme == NULL || s->host == NULL ||
	    (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0)) {
		*errstr = xstrdup("smtp url must be smtp://host[:port] or "
		    "smtps://host[:port]");
		goto fail;
	}
	if (user != NULL) {
		*errstr = xstrdup("smtp url must not hold credentials: use "
		    "username and password_file");
		goto fail;
	}
	if (o->tls == SMTP_TLS_NONE) {
		if (strcmp(scheme, "smtps") == 0) {
			*errstr = xstrdup("tls = none contradicts smtps://");
			goto fail;
		}
		if (!loopback_host(s->host)) {
			*errstr = xasprintf("tls = none is only allowed to a "
			    "loopback host, not %s", s->host);
			goto fail;
		}
	} else
		starttls = strcmp(scheme, "smtp") == 0;
	if (o->connections < 1 || o->connections > SMTP_MAX_CONNECTIONS ||
	    o->connect_timeout <= 0 || o->timeout <= 0 ||
	    !(o->rate_per_second >= 0) || o->rate_per_hour < 0) {
		*errstr = xasprintf("smtp options out of range (connections "
		    "1..%d, timeouts > 0, rates >= 0)", SMTP_MAX_CONNECTIONS);
		goto fail;
	}
	if (o->helo != NULL) {
		if (!helo_ok(o->helo)) {
			*errstr = xasprintf("EHLO name \"%s\" is not a host "
			    "name or address literal", o->helo);
			goto fail;
		}
		if (set_helo(s, o->helo) == -1)
			goto badurl;
	} else if (path != NULL && strcmp(path, "/") != 0 && path[0] != '\0') {
		if (!helo_ok(path + 1)) {
			*errstr = xasprintf("EHLO name \"%s\" in the smtp url "
			    "is not a host name", path + 1);
			goto fail;
		}
		if (set_helo(s, path + 1) == -1)
			goto badurl;
	}

	s->rl = ratelimit_new(o->rate_per_second, o->rate_per_hour);
	if (setup_pool(s, o, starttls, errstr) == -1)
		goto fail;
	free(scheme);
	free(path);
	return s;
badurl:
	*errstr = xstrdup("cannot build the smtp url with the EHLO name");
fail:
	free(scheme);
	free(path);
	free(user);
	smtp_free(s);
	return NULL;
}

void
smtp_free(struct smtp *s)
{
	struct smtpjob *j;
	int i;

	if (s == NULL)
		return;
	/* All connections close (QUIT) at once, then we wait for them. */
	if (s->sync_ok)
		smtpconn_quit_all(&s->pool);
	for (i = 0; i < s->nc; i++)
		smtpconn_free(&s->c[i]);
	if (s->sync_ok)
		smtp_pool_destroy(&s->pool);
	while ((j = s->spare) != NULL) {
		s->spare = j->next;
		smtpjob_free(j);
	}
	while ((j = s->pending) != NULL) {
		s->pending = j->next;
		smtpjob_free(j);
	}
	if (s->pool.password != NULL) {
		explicit_bzero(s->pool.password, strlen(s->pool.password));
		free(s->pool.password);
	}
	free(s->pool.username);
	free(s->pool.ca_file);
	if (s->urlh != NULL)
		curl_url_cleanup(s->urlh);
	ratelimit_free(s->rl);
	free(s->c);
	free(s->url);
	free(s->host);
	free(s);
}

void
smtp_stop(struct smtp *s)
{
	__atomic_store_n(&s->pool.stopping, 1, __ATOMIC_RELAXED);
}

void
smtp_abort(struct smtp *s)
{
	__atomic_store_n(&s->pool.aborting, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pool.stopping, 1, __ATOMIC_RELAXED);
}

void
smtp_set_tick(struct smtp *s, void (*fn)(void *arg), void *arg)
{
	s->tick = fn;
	s->tick_arg = arg;
}

/* The enhanced status code after "NNN " or "NNN-": class, subject and
 * detail, or 0 when there is none. */
static int
enhanced_code(const char *r, int *subject, int *detail)
{
	int cls;
	char *end;

	if (r == NULL || strlen(r) < 4 || (r[3] != ' ' && r[3] != '-'))
		return 0;
	r += 4;
	if ((*r != '2' && *r != '4' && *r != '5') || r[1] != '.')
		return 0;
	cls = *r - '0';
	*subject = (int)strtol(r + 2, &end, 10);
	if (end == r + 2 || end - (r + 2) > 3 || *end != '.')
		return 0;
	r = end + 1;
	*detail = (int)strtol(r, &end, 10);
	if (end == r || end - r > 3 || (*end != '\0' && *end != ' '))
		return 0;
	return cls;
}

enum smtp_status
smtp_classify(enum smtp_stage stage, int code, const char *reply)
{
	int cls, sub = 0, det = 0;

	if (code / 100 != 5)
		return SMTP_TEMPFAIL;
	cls = enhanced_code(reply, &sub, &det);
	if (stage <= SMTP_STAGE_MAIL || (cls == 5 && sub == 7) ||
	    (cls == 5 && sub == 1 && (det == 7 || det == 8)))
		return SMTP_BLOCKED;
	if (cls != 5 && reply != NULL && strcasestr(reply, "relay") != NULL)
		return SMTP_BLOCKED;
	if (stage != SMTP_STAGE_RCPT)
		return SMTP_REJECTED;
	if (cls == 5)
		return sub == 1 || sub == 2 ? SMTP_PERMFAIL : SMTP_REJECTED;
	return code >= 550 && code <= 553 ? SMTP_PERMFAIL : SMTP_REJECTED;
}

static int
stopping(struct smtp *s)
{
	return __atomic_load_n(&s->pool.stopping, __ATOMIC_RELAXED) != 0;
}

/* ---- the caller's side ---- */

static void
report(smtp_done_fn done, void *arg, void *cookie, enum smtp_status st,
    int code, enum smtp_stage stage, const char *text, int newconn)
{
	struct smtp_result r;
	char *clean = str_sanitize(text);

	r.status = st;
	r.code = code;
	r.stage = stage;
	r.text = clean;
	r.new_connection = newconn;
	done(arg, cookie, &r);
	free(clean);
}

/* Logs a failure that a person must fix (certificates, credentials,
 * TLS), once until a message gets past it again. */
static void
log_config_error(struct smtp *s, CURLcode rc, int code, const char *text)
{
	static const char *hints[] = {
		NULL,
		"TLS certificate of the server not accepted; check the host "
		    "name in the smtp url and ca_file",
		"authentication failed; check username and password_file",
		"the server wants AUTH or STARTTLS first; check tls, username "
		    "and password_file",
		"the server offers no STARTTLS",
	};
	int kind = 0;

	if (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM)
		kind = 1;
	else if (rc == CURLE_LOGIN_DENIED)
		kind = 2;
	else if (code == 530)
		kind = 3;
	else if (rc == CURLE_USE_SSL_FAILED)
		kind = 4;
	if (kind == 0 || s->logged == kind)
		return;
	s->logged = kind;
	log_warnx("smtp %s: %s (%s); messages stay queued", s->host,
	    hints[kind], text);
}

/* A job to fill: a spare one, or a new one. */
static struct smtpjob *
job_get(struct smtp *s)
{
	struct smtpjob *j = s->spare;

	if (j == NULL)
		return xcalloc(1, sizeof(*j));
	s->spare = j->next;
	return j;
}

/* Empties job j and keeps it for the next message. */
static void
job_put(struct smtp *s, struct smtpjob *j)
{
	free(j->url);
	free(j->from);
	curl_slist_free_all(j->rcpt);
	j->url = j->from = NULL;
	j->rcpt = NULL;
	j->next = s->spare;
	s->spare = j;
}

/* Hands a job over to the connections. */
static void
hand_over(struct smtp *s, struct smtpjob *j)
{
	s->nbusy++;
	smtpconn_queue(&s->pool, j);
}

/* Queues the message for the connections; reports at once if it cannot. */
static void
start(struct smtp *s, const struct smtp_msg *m, smtp_done_fn done, void *arg)
{
	struct smtpjob *j;
	const char *dom;
	char *url = NULL;

	if (m->envelope_from == NULL ||
	    (m->envelope_from[0] != '\0' && !addr_ok(m->envelope_from))) {
		report(done, arg, m->cookie, SMTP_BLOCKED, 0,
		    SMTP_STAGE_MAIL, "invalid envelope sender", 0);
		return;
	}
	if (m->rcpt == NULL || !addr_ok(m->rcpt)) {
		report(done, arg, m->cookie, SMTP_PERMFAIL, 0,
		    SMTP_STAGE_RCPT, "invalid recipient address", 0);
		return;
	}
	/* The first sender with a usable domain names us in EHLO; until
	 * then (a null sender, say) we say "localhost" and decide later. */
	if (s->url == NULL) {
		dom = strrchr(m->envelope_from, '@');
		if (dom != NULL && helo_ok(dom + 1))
			(void)set_helo(s, dom + 1);
		else
			url = url_with_helo(s->urlh, "localhost");
	}
	if (s->url != NULL)
		url = xstrdup(s->url);
	if (url == NULL) {
		report(done, arg, m->cookie, SMTP_TEMPFAIL, 0,
		    SMTP_STAGE_CONNECT, "cannot build the smtp URL", 0);
		return;
	}
	j = job_get(s);
	j->url = url;
	j->from = xstrdup(m->envelope_from[0] != '\0' ? m->envelope_from :
	    "<>");
	if ((j->rcpt = curl_slist_append(NULL, m->rcpt)) == NULL)
		fatalx("smtp: out of memory");
	j->data = m->data != NULL ? m->data : "";
	j->len = m->data != NULL ? m->len : 0;
	j->cookie = m->cookie;
	ratelimit_note(s->rl);
	hand_over(s, j);
}

/* A transaction ended: classify it and report it. */
static void
finish(struct smtp *s, struct smtpjob *j, smtp_done_fn done, void *arg)
{
	struct smtp_outcome *o = &j->out;
	enum smtp_status st;
	int code = 0, newconn = o->nconn > 0;
	size_t n;
	char *text;

	s->nbusy--;
	if (o->rc == CURLE_OK) {
		s->conn_failures = 0;
		s->proven = 1;
		s->logged = 0;
		code = o->reply_final ? o->reply_code : (int)o->resp;
		report(done, arg, j->cookie, SMTP_SENT, code, o->stage,
		    o->replylen > 0 ? o->reply : "sent", newconn);
		job_put(s, j);
		return;
	}
	/* Did a reply refuse the message, or did something else fail? */
	if (o->reply_final && o->reply_code >= 400)
		code = o->reply_code;
	else if (o->resp >= 400 && o->resp < 600)
		code = (int)o->resp;
	if (code != 0 && o->replylen > 0)
		text = xstrdup(o->reply);
	else {
		n = strlen(o->errbuf);
		while (n > 0 && (o->errbuf[n - 1] == '\n' ||
		    o->errbuf[n - 1] == '\r'))
			o->errbuf[--n] = '\0';
		text = xasprintf("%s%s%s", curl_easy_strerror(o->rc),
		    n > 0 ? ": " : "", o->errbuf);
	}
	if (o->rc == CURLE_ABORTED_BY_CALLBACK)
		st = SMTP_ABORTED;
	else
		st = smtp_classify(o->stage, code, code != 0 ? text : NULL);
	if (o->stage <= SMTP_STAGE_AUTH)
		s->conn_failures++;
	else {
		s->conn_failures = 0;
		s->proven = 1;
		if (code != 530)
			s->logged = 0;
	}
	log_config_error(s, o->rc, code, text);
	report(done, arg, j->cookie, st, code, o->stage, text, newconn);
	free(text);
	job_put(s, j);
}

/*
 * Waits up to ms for results (not at all if there are some), reports them
 * all and returns how many. A queue on hold is taken back (pending).
 */
static int
collect(struct smtp *s, long ms, smtp_done_fn done, void *arg)
{
	struct smtp_pool *p = &s->pool;
	struct smtpjob *list, *j;
	struct timespec ts;
	int n = 0;

	pthread_mutex_lock(&p->mu);
	if (p->done_head == NULL && ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		p->caller_waits = 1;
		(void)pthread_cond_timedwait(&p->done_cv, &p->mu, &ts);
		p->caller_waits = 0;
	}
	list = p->done_head;
	p->done_head = NULL;
	p->done_tail = &p->done_head;
	if (p->hold) {
		if (p->q_head != NULL) {
			*s->pending_tail = p->q_head;
			s->pending_tail = p->q_tail;
			s->nbusy -= p->nqueued;
		}
		p->q_head = NULL;
		p->q_tail = &p->q_head;
		p->nqueued = 0;
		p->hold = 0;
	}
	pthread_mutex_unlock(&p->mu);
	while ((j = list) != NULL) {
		struct smtpconn *c = j->conn;
		list = j->next;
		finish(s, j, done, arg);
		/* recorded: its connection may take the next message */
		smtpconn_ack(p, c);
		n++;
	}
	return n;
}

/* Reports the jobs taken back and not handed over again as not sent. */
static void
drop_pending(struct smtp *s, const char *why, smtp_done_fn done, void *arg)
{
	struct smtpjob *j;

	while ((j = s->pending) != NULL) {
		if ((s->pending = j->next) == NULL)
			s->pending_tail = &s->pending;
		report(done, arg, j->cookie, SMTP_TEMPFAIL, 0,
		    SMTP_STAGE_CONNECT, why, 0);
		job_put(s, j);
	}
}

/* How many jobs may be handed over now. */
static int
room(const struct smtp *s)
{
	/* After a failure to connect, one message at a time until one
	 * gets through or the server counts as down. */
	if (s->conn_failures > 0)
		return 1;
	return s->proven ? s->nrun * QUEUE_DEPTH : s->nrun;
}

/* Starts the connections' threads not running yet. 0 if at least one
 * runs, else -1 (logged). */
static int
start_threads(struct smtp *s)
{
	int i, e = 0;

	for (i = 0; i < s->nc && s->nrun < s->nc; i++) {
		if (s->c[i].started)
			continue;
		if ((e = smtpconn_start(&s->c[i])) != 0)
			break;
		s->nrun++;
	}
	if (e != 0) {
		errno = e;
		log_warn("smtp: %d of %d connection threads running", s->nrun,
		    s->nc);
	}
	return s->nrun > 0 ? 0 : -1;
}

int
smtp_run(struct smtp *s, smtp_next_fn next, smtp_done_fn done, void *arg)
{
	struct smtp_msg m;
	struct smtpjob *j;
	long wait, tmo;
	int want = 1, down = 0, limited = 0;

	s->conn_failures = 0;	/* each run tries the server afresh */
	s->proven = 0;
	if (stopping(s))
		return SMTP_RUN_STOPPED;
	if (start_threads(s) == -1)
		return -1;
	for (;;) {
		if (s->tick != NULL)
			s->tick(s->tick_arg);
		if (stopping(s))
			want = 0;
		if (s->conn_failures >= s->nrun && want) {
			want = 0;
			down = 1;
		}
		wait = 0;
		while (want && s->nbusy < room(s)) {
			if ((j = s->pending) != NULL) {
				/* Counted against the rate when first
				 * handed over. */
				if ((s->pending = j->next) == NULL)
					s->pending_tail = &s->pending;
				hand_over(s, j);
				continue;
			}
			if ((wait = ratelimit_wait_ms(s->rl)) > 0)
				break;
			memset(&m, 0, sizeof(m));
			if (next(arg, &m) == 0) {
				want = 0;
				break;
			}
			start(s, &m, done, arg);
			if (stopping(s))
				want = 0;
		}
		if (s->nbusy == 0) {
			if (!want)
				break;
			if (wait > MAX_INNER_WAIT) {
				limited = 1;
				break;
			}
		}
		tmo = STOP_POLL;
		if (want && wait > 0 && wait < tmo)
			tmo = wait;
		if (collect(s, tmo, done, arg) > 0 && !down)
			want = 1;
	}
	/* Taken back and not handed over again: only when the run ends
	 * early. Every message next() gave gets its done() all the same. */
	if (stopping(s)) {
		drop_pending(s, "not sent (stopping)", done, arg);
		return SMTP_RUN_STOPPED;
	}
	drop_pending(s, "not sent (server down)", done, arg);
	if (down)
		return SMTP_RUN_SERVER_DOWN;
	return limited ? SMTP_RUN_RATE_LIMITED : SMTP_RUN_DONE;
}

/* ---- VERP ---- */

char *
smtp_verp_sender(const char *from, const char *token, char **errstr)
{
	const char *at, *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789._=-";
	size_t local, tlen = strlen(token);

	*errstr = NULL;
	if ((at = strrchr(from, '@')) == NULL || at == from || at[1] == '\0' ||
	    strpbrk(from, " \t\r\n<>\"()") != NULL) {
		*errstr = xasprintf("envelope sender \"%s\" is not local@domain",
		    from);
		return NULL;
	}
	if (tlen == 0 || strspn(token, ok) != tlen) {
		*errstr = xstrdup("VERP token must be [A-Za-z0-9._=-]+");
		return NULL;
	}
	local = (size_t)(at - from);
	if (local >= 6 && strncmp(at - 6, "+TOKEN", 6) == 0)
		local -= 6;	/* "bounces+TOKEN@d": fill the placeholder */
	if (local + 1 + tlen > 64) {
		*errstr = xstrdup("VERP local part longer than 64 octets");
		return NULL;
	}
	return xasprintf("%.*s+%s%s", (int)local, from, token, at);
}
