/*
 * smtp: SMTP submission over libcurl's multi interface.
 *
 * One easy handle per connection slot; after each message the handle is
 * taken out of the multi handle, given the next message and put back, and
 * libcurl hands it an idle connection from the multi handle's cache, so a
 * connection carries message after message (MAIL FROM directly, no new
 * EHLO/AUTH). A failed transaction makes libcurl close its connection; the
 * next message on that slot opens a fresh one.
 *
 * Timeouts: CURLOPT_CONNECTTIMEOUT bounds everything before the first MAIL
 * FROM (TCP, TLS, greeting, EHLO, STARTTLS, AUTH). CURLOPT_TIMEOUT bounds
 * the whole transaction of one message and is the only limit libcurl
 * checks in every phase: MAIL/RCPT/DATA replies, the upload, and the final
 * reply, which libcurl waits for inside curl_multi_perform (a blocking wait
 * in its smtp_done). A low-speed limit would only watch the upload, not a
 * server that goes quiet after RCPT. CURLOPT_SERVER_RESPONSE_TIMEOUT gets
 * the same value because it alone bounds the wait for the QUIT reply when
 * libcurl closes a connection (its default is 120 s).
 *
 * Failures are classified from what the server said (captured through the
 * debug callback, which sees every reply line in clear even under TLS): a
 * 5xx to MAIL, RCPT, DATA or after the message is permanent (except 530,
 * "authentication required", a configuration error); everything else,
 * including certificate verification failures, is temporary and logged
 * once per kind, so a wrong ca_file delays mail instead of bouncing it.
 */
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp.h"
#include "util.h"

#define REPLY_MAX	512		/* bytes of reply text we keep */
#define HOUR		3600
#define MAX_INNER_WAIT	5000		/* ms smtp_run sleeps for rate limits */
#define POLL_MAX	60000		/* ms; curl's own timers cut it short */

struct slot {
	struct smtp *s;
	CURL *easy;
	struct curl_slist *rcpt;
	const char *data;
	size_t len, pos;
	void *cookie;
	int busy;
	enum smtp_stage stage;		/* from the last command we sent */
	char reply[REPLY_MAX];		/* last reply, lines joined by ' ' */
	size_t replylen;
	int reply_final;		/* reply[] holds a complete reply */
	int quitting;			/* QUIT sent: keep the reply we have */
	int reply_code;
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp {
	CURLM *multi;
	struct slot *slots;
	int nslots, nbusy;
	char *url;			/* final URL, NULL until EHLO known */
	CURLU *urlh;			/* kept only while url is NULL */
	char *host;			/* for log lines */
	volatile sig_atomic_t stopping;
	int conn_failures;		/* in a row, connect/AUTH stage */
	int logged;			/* kind of the last one logged */

	double per_second;
	double next_ok;			/* CLOCK_MONOTONIC, seconds */
	long per_hour;
	uint32_t *hour;			/* HOUR buckets of one second each */
	unsigned long hour_total;
	time_t hour_last;
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

/* ---- rate limits ---- */

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
bucket(time_t t)
{
	return (size_t)(((t % HOUR) + HOUR) % HOUR);
}

/* Moves the window's end to now, emptying the seconds that fell out. A
 * clock that steps back keeps the window where it was (we never count a
 * second twice), so quota frees up late rather than early. */
static void
hour_advance(struct smtp *s, time_t now)
{
	time_t t;

	if (now <= s->hour_last)
		return;
	if (now - s->hour_last >= HOUR) {
		memset(s->hour, 0, HOUR * sizeof(s->hour[0]));
		s->hour_total = 0;
	} else {
		for (t = s->hour_last + 1; t <= now; t++) {
			s->hour_total -= s->hour[bucket(t)];
			s->hour[bucket(t)] = 0;
		}
	}
	s->hour_last = now;
}

void
smtp_seed_hour(struct smtp *s, const time_t *times, size_t n)
{
	time_t now = time(NULL), t;
	size_t i;

	if (s->per_hour <= 0)
		return;
	hour_advance(s, now);
	for (i = 0; i < n; i++) {
		t = times[i] > s->hour_last ? s->hour_last : times[i];
		if (s->hour_last - t >= HOUR)
			continue;
		s->hour[bucket(t)]++;
		s->hour_total++;
	}
}

long
smtp_rate_wait_ms(struct smtp *s)
{
	struct timespec ts;
	unsigned long left;
	double w = 0, d;
	time_t t;

	if (s->per_second > 0 && (d = s->next_ok - mono_now()) > w)
		w = d;
	if (s->per_hour > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		hour_advance(s, ts.tv_sec);
		if (s->hour_total >= (unsigned long)s->per_hour) {
			/* The oldest seconds leave the window first: find the
			 * one whose leaving brings us under the limit. */
			left = s->hour_total;
			for (t = s->hour_last - HOUR + 1; t < s->hour_last; t++) {
				left -= s->hour[bucket(t)];
				if (left < (unsigned long)s->per_hour)
					break;
			}
			d = (double)(t + HOUR) -
			    ((double)ts.tv_sec + ts.tv_nsec / 1e9);
			if (d > w)
				w = d;
		}
	}
	return w > 0 ? (long)ceil(w * 1000) : 0;
}

static void
rate_note(struct smtp *s)
{
	double now;

	if (s->per_second > 0) {
		now = mono_now();
		if (s->next_ok < now)
			s->next_ok = now;
		s->next_ok += 1.0 / s->per_second;
	}
	if (s->per_hour > 0) {
		hour_advance(s, time(NULL));
		s->hour[bucket(s->hour_last)]++;
		s->hour_total++;
	}
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

static int
loopback_host(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 ||
	    strncmp(h, "127.", 4) == 0;
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

/* ---- the debug callback: which command, which reply ---- */

static void
note_command(struct slot *sl, const char *p, size_t n)
{
#define IS(w) (n >= sizeof(w) - 1 && strncasecmp(p, w, sizeof(w) - 1) == 0)
	if (IS("MAIL FROM:"))
		sl->stage = SMTP_STAGE_MAIL;
	else if (sl->stage == SMTP_STAGE_AUTH)
		return;		/* SASL continuation lines */
	else if (IS("RCPT TO:"))
		sl->stage = SMTP_STAGE_RCPT;
	else if (IS("DATA\r\n"))
		sl->stage = SMTP_STAGE_DATA;
	else if (IS("AUTH "))
		sl->stage = SMTP_STAGE_AUTH;
	else if (IS("EHLO ") || IS("HELO ") || IS("STARTTLS"))
		sl->stage = SMTP_STAGE_CONNECT;
	else if (IS("QUIT"))
		sl->quitting = 1;	/* libcurl closes after a failure */
#undef IS
}

static void
note_reply_line(struct slot *sl, const char *p, size_t n)
{
	size_t room;

	if (sl->quitting)
		return;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (sl->reply_final) {
		sl->replylen = 0;
		sl->reply_final = 0;
	}
	room = sizeof(sl->reply) - 1 - sl->replylen;
	if (sl->replylen > 0 && room > 0) {
		sl->reply[sl->replylen++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(sl->reply + sl->replylen, p, n);
	sl->replylen += n;
	sl->reply[sl->replylen] = '\0';
	if (n >= 3 && isdigit((unsigned char)p[0]) &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    (n == 3 || p[3] == ' ')) {
		sl->reply_final = 1;
		sl->reply_code = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
		    (p[2] - '0');
	}
}

static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
	struct slot *sl = arg;
	const char *p = data, *e = data + size, *nl;

	(void)easy;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		note_command(sl, data, size);
		break;
	case CURLINFO_DATA_OUT:
		sl->stage = SMTP_STAGE_BODY;
		break;
	case CURLINFO_HEADER_IN:
		while (p < e) {
			nl = memchr(p, '\n', (size_t)(e - p));
			nl = nl != NULL ? nl + 1 : e;
			note_reply_line(sl, p, (size_t)(nl - p));
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
	struct slot *sl = arg;
	size_t n = size * nitems;

	if (n > sl->len - sl->pos)
		n = sl->len - sl->pos;
	memcpy(out, sl->data + sl->pos, n);
	sl->pos += n;
	return n;
}

/* ---- setup ---- */

#define SETOPT(e, opt, val) do {					\
	if ((rc = curl_easy_setopt((e), (opt), (val))) != CURLE_OK)	\
		goto fail;						\
} while (0)

static int
slot_init(struct smtp *s, struct slot *sl, const struct smtp_opts *o,
    int starttls, char **errstr)
{
	CURLcode rc = CURLE_OK;
	CURL *e;

	sl->s = s;
	if ((sl->easy = e = curl_easy_init()) == NULL) {
		*errstr = xstrdup("curl_easy_init failed");
		return -1;
	}
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SETOPT(e, CURLOPT_PROXY, "");	/* ignore *_proxy from the env */
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_USE_SSL,
	    starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	SETOPT(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		SETOPT(e, CURLOPT_CAINFO, o->ca_file);
	if (o->username != NULL) {
		SETOPT(e, CURLOPT_USERNAME, o->username);
		SETOPT(e, CURLOPT_PASSWORD,
		    o->password != NULL ? o->password : "");
	}
	SETOPT(e, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	SETOPT(e, CURLOPT_TIMEOUT, o->timeout);
	SETOPT(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, o->timeout);
	SETOPT(e, CURLOPT_UPLOAD, 1L);
	SETOPT(e, CURLOPT_READFUNCTION, read_cb);
	SETOPT(e, CURLOPT_READDATA, sl);
	SETOPT(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	SETOPT(e, CURLOPT_VERBOSE, 1L);	/* feeds debug_cb, prints nothing */
	SETOPT(e, CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(e, CURLOPT_DEBUGDATA, sl);
	SETOPT(e, CURLOPT_PRIVATE, sl);
	return 0;
fail:
	*errstr = xasprintf("curl_easy_setopt: %s", curl_easy_strerror(rc));
	return -1;
}

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

struct smtp *
smtp_new(const struct smtp_opts *o, char **errstr)
{
	struct smtp *s;
	char *scheme = NULL, *path = NULL, *user = NULL;
	long n;
	int i, starttls = 0;

	*errstr = NULL;
	s = xcalloc(1, sizeof(*s));
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

	s->per_second = o->rate_per_second;
	s->per_hour = o->rate_per_hour;
	if (s->per_hour > 0)
		s->hour = xcalloc(HOUR, sizeof(s->hour[0]));

	if ((s->multi = curl_multi_init()) == NULL) {
		*errstr = xstrdup("curl_multi_init failed");
		goto fail;
	}
	n = o->connections;
	if (curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, n) ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n) ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, n)) {
		*errstr = xstrdup("curl_multi_setopt failed");
		goto fail;
	}
	s->nslots = o->connections;
	s->slots = xcalloc((size_t)s->nslots, sizeof(*s->slots));
	for (i = 0; i < s->nslots; i++)
		if (slot_init(s, &s->slots[i], o, starttls, errstr) == -1)
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
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i].busy)
			curl_multi_remove_handle(s->multi, s->slots[i].easy);
	}
	/* Closing the cached connections (QUIT) happens here. */
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i].easy != NULL)
			curl_easy_cleanup(s->slots[i].easy);
		curl_slist_free_all(s->slots[i].rcpt);
	}
	if (s->urlh != NULL)
		curl_url_cleanup(s->urlh);
	free(s->slots);
	free(s->url);
	free(s->host);
	free(s->hour);
	free(s);
}

void
smtp_stop(struct smtp *s)
{
	s->stopping = 1;
}

/* ---- one message ---- */

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

/* Hands the message to a free slot; reports at once if it cannot. */
static void
start(struct smtp *s, const struct smtp_msg *m, smtp_done_fn done, void *arg)
{
	struct slot *sl = NULL;
	const char *dom, *url = NULL;
	char *tmpurl = NULL;
	CURLcode rc = CURLE_OK;
	int i;

	for (i = 0; i < s->nslots && sl == NULL; i++)
		if (!s->slots[i].busy)
			sl = &s->slots[i];
	if (m->envelope_from == NULL ||
	    (m->envelope_from[0] != '\0' && !addr_ok(m->envelope_from))) {
		report(done, arg, m->cookie, SMTP_PERMFAIL, 0,
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
			url = tmpurl = url_with_helo(s->urlh, "localhost");
	}
	if (s->url != NULL)
		url = s->url;
	if (url == NULL) {
		report(done, arg, m->cookie, SMTP_TEMPFAIL, 0,
		    SMTP_STAGE_CONNECT, "cannot build the smtp URL", 0);
		return;
	}
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = curl_slist_append(NULL, m->rcpt);
	if (sl->rcpt == NULL)
		fatalx("smtp: out of memory");
	sl->data = m->data != NULL ? m->data : "";
	sl->len = m->data != NULL ? m->len : 0;
	sl->pos = 0;
	sl->cookie = m->cookie;
	sl->stage = SMTP_STAGE_CONNECT;
	sl->replylen = 0;
	sl->reply[0] = '\0';
	sl->reply_final = 0;
	sl->reply_code = 0;
	sl->quitting = 0;
	sl->errbuf[0] = '\0';
	SETOPT(sl->easy, CURLOPT_URL, url);
	free(tmpurl);
	tmpurl = NULL;
	SETOPT(sl->easy, CURLOPT_MAIL_FROM,
	    m->envelope_from[0] != '\0' ? m->envelope_from : "<>");
	SETOPT(sl->easy, CURLOPT_MAIL_RCPT, sl->rcpt);
	SETOPT(sl->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sl->len);
	if (curl_multi_add_handle(s->multi, sl->easy) != CURLM_OK) {
		report(done, arg, m->cookie, SMTP_TEMPFAIL, 0,
		    SMTP_STAGE_CONNECT, "curl_multi_add_handle failed", 0);
		return;
	}
	sl->busy = 1;
	s->nbusy++;
	rate_note(s);
	return;
fail:
	free(tmpurl);
	report(done, arg, m->cookie, SMTP_TEMPFAIL, 0, SMTP_STAGE_CONNECT,
	    curl_easy_strerror(rc), 0);
}

/* A transfer ended: classify it and report it. */
static void
finish(struct smtp *s, struct slot *sl, CURLcode rc, smtp_done_fn done,
    void *arg)
{
	enum smtp_status st;
	long resp = 0, nconn = 0;
	int code = 0;
	size_t n;
	char *text;

	curl_multi_remove_handle(s->multi, sl->easy);
	sl->busy = 0;
	s->nbusy--;
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &resp);
	curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &nconn);

	if (rc == CURLE_OK) {
		s->conn_failures = 0;
		s->logged = 0;
		code = sl->reply_final ? sl->reply_code : (int)resp;
		report(done, arg, sl->cookie, SMTP_SENT, code, sl->stage,
		    sl->replylen > 0 ? sl->reply : "sent", nconn > 0);
		return;
	}
	/* Did a reply refuse the message, or did something else fail? */
	if (sl->reply_final && sl->reply_code >= 400)
		code = sl->reply_code;
	else if (resp >= 400 && resp < 600)
		code = (int)resp;
	if (code != 0 && sl->replylen > 0)
		text = xstrdup(sl->reply);
	else {
		n = strlen(sl->errbuf);
		while (n > 0 && (sl->errbuf[n - 1] == '\n' ||
		    sl->errbuf[n - 1] == '\r'))
			sl->errbuf[--n] = '\0';
		text = xasprintf("%s%s%s", curl_easy_strerror(rc),
		    n > 0 ? ": " : "", sl->errbuf);
	}
	st = SMTP_TEMPFAIL;
	if (code / 100 == 5 && code != 530 && sl->stage >= SMTP_STAGE_MAIL)
		st = SMTP_PERMFAIL;
	if (sl->stage <= SMTP_STAGE_AUTH)
		s->conn_failures++;
	else {
		s->conn_failures = 0;
		if (code != 530)
			s->logged = 0;
	}
	log_config_error(s, rc, code, text);
	report(done, arg, sl->cookie, st, code, sl->stage, text, nconn > 0);
	free(text);
}

int
smtp_run(struct smtp *s, smtp_next_fn next, smtp_done_fn done, void *arg)
{
	struct smtp_msg m;
	struct slot *sl;
	CURLMsg *cm;
	CURLMcode mc;
	CURLcode rc;
	long wait = 0, tmo;
	int want = 1, down = 0, limited = 0, running, left, finished;

	s->conn_failures = 0;	/* each run tries the server afresh */
	for (;;) {
		if (s->stopping)
			want = 0;
		if (s->conn_failures >= s->nslots && want) {
			want = 0;
			down = 1;
		}
		wait = 0;
		while (want && s->nbusy < s->nslots) {
			if ((wait = smtp_rate_wait_ms(s)) > 0)
				break;
			memset(&m, 0, sizeof(m));
			if (next(arg, &m) == 0) {
				want = 0;
				break;
			}
			start(s, &m, done, arg);
			if (s->stopping)
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
		if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
			goto fail;
		finished = 0;
		while ((cm = curl_multi_info_read(s->multi, &left)) != NULL) {
			if (cm->msg != CURLMSG_DONE)
				continue;
			rc = cm->data.result;
			curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE, &sl);
			finish(s, sl, rc, done, arg);
			finished = 1;
			if (!down)
				want = 1;
		}
		if (finished)
			continue;
		tmo = POLL_MAX;
		if (want && s->nbusy < s->nslots && wait > 0 && wait < tmo)
			tmo = wait;
		if ((mc = curl_multi_poll(s->multi, NULL, 0, (int)tmo,
		    NULL)) != CURLM_OK)
			goto fail;
	}
	if (s->stopping)
		return SMTP_RUN_STOPPED;
	if (down)
		return SMTP_RUN_SERVER_DOWN;
	return limited ? SMTP_RUN_RATE_LIMITED : SMTP_RUN_DONE;
fail:
	log_warnx("smtp: %s", curl_multi_strerror(mc));
	for (left = 0; left < s->nslots; left++) {
		sl = &s->slots[left];
		if (!sl->busy)
			continue;
		curl_multi_remove_handle(s->multi, sl->easy);
		sl->busy = 0;
		s->nbusy--;
		report(done, arg, sl->cookie, SMTP_TEMPFAIL, 0, sl->stage,
		    curl_multi_strerror(mc), 0);
	}
	return -1;
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
