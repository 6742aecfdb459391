/*
 * inboxloop: the daemon's reply reader (see inbox.h): a thread with its
 * own database connection that stays connected, waits with IDLE where the
 * server has it (re-issued every 25 minutes) or polls at [imap]
 * poll_interval, and reconnects with backoff (5 s doubling to 5 minutes,
 * one log line per attempt) after errors. A pipe wakes it to stop; every
 * read of the connection watches that pipe too, so it stops at once even
 * in the middle of a command.
 *
 * IDLE is sent by hand with a private tag: libetpan 1.9.4's mailimap_idle
 * blocks until its read timeout when the server speaks before
 * "+ idling". Every wait has a limit (IDLE_START_WAIT for the "+").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "inbox.h"
#include "inboxpriv.h"
#include "log.h"
#include "util.h"

#define IDLE_START_WAIT   10          /* seconds for "+ idling" */
#define IDLE_RENEW        (25 * 60)   /* RFC 2177: before 29 minutes */
#define BACKOFF_FIRST     5
#define BACKOFF_MAX       300

struct inbox {
	pthread_t th;
	int pipe[2];
	const struct config *cfg;
};

/* Writes one command line of ours. */
static int
send_line(struct sess *s, const char *text)
{
	return mailstream_write(s->imap->imap_stream, text, strlen(text)) < 0 ||
	    mailstream_flush(s->imap->imap_stream) < 0 ? -1 : 0;
}

/*
 * Reads lines until one that starts with stop ("+" or "RBI "); untagged
 * lines before it are skipped. Returns the line (caller frees) or NULL.
 */
static char *
read_until(struct sess *s, const char *stop)
{
	MMAPString *buf = mmap_string_new("");
	char *line, *out = NULL;
	int i;

	if (buf == NULL)
		fatalx("out of memory");
	for (i = 0; i < 10000; i++) {
		/* not mailstream_read_line_remove_eol: it reads before the
		 * buffer when the connection ends without a byte */
		if (mailstream_read_line(s->imap->imap_stream, buf) == NULL ||
		    buf->len == 0)
			break;
		line = buf->str;
		while (buf->len > 0 && (line[buf->len - 1] == '\n' ||
		    line[buf->len - 1] == '\r'))
			line[--buf->len] = '\0';
		if (strncmp(line, stop, strlen(stop)) == 0) {
			out = xstrdup(line);
			break;
		}
		if (strncasecmp(line, "* BYE", 5) == 0)
			break;
	}
	mmap_string_free(buf);
	return out;
}

/*
 * IDLE by hand (a private tag "RBI" next to libetpan's numeric ones):
 * waits until the server reports something, IDLE_RENEW passes or the stop
 * pipe is written. 0 after DONE (time for a pass), 1 stop, -1 error.
 */
static int
idle_wait(struct sess *s, int wake_fd, char **errstr)
{
	struct pollfd p[2];
	char *l;
	int r;

	if (send_line(s, "RBI IDLE\r\n") < 0) {
		*errstr = xasprintf("IDLE at %s: the connection broke",
		    s->host);
		return -1;
	}
	imaptls_set_timeout(s->imap, IDLE_START_WAIT);
	l = read_until(s, "+");
	imaptls_set_timeout(s->imap, IO_TIMEOUT);
	if (l == NULL) {
		if (inbox_cancelled(wake_fd))
			return 1;
		*errstr = xasprintf("IDLE at %s: no \"+\" within %ds",
		    s->host, IDLE_START_WAIT);
		return -1;
	}
	free(l);
	if (!imaptls_pending(s->imap)) {
		p[0].fd = imaptls_fd(s->imap);
		p[0].events = POLLIN;
		p[1].fd = wake_fd;
		p[1].events = POLLIN;
		do
			r = poll(p, 2, IDLE_RENEW * 1000);
		while (r < 0 && errno == EINTR);
		if (p[1].revents)
			return 1;
	}
	if (send_line(s, "DONE\r\n") < 0 || (l = read_until(s, "RBI ")) ==
	    NULL) {
		if (inbox_cancelled(wake_fd))
			return 1;
		*errstr = xasprintf("IDLE at %s: the connection broke (no "
		    "answer to DONE)", s->host);
		return -1;
	}
	r = strncasecmp(l, "RBI OK", 6) == 0 ? 0 : -1;
	if (r < 0) {
		char *t = str_sanitize(l);

		*errstr = xasprintf("IDLE at %s: %s", s->host, t);
		free(t);
	}
	free(l);
	return r;
}

/* ---- the thread ---- */

/* Sleeps seconds or until the pipe is written; 1 if it was. */
static int
nap(int fd, int seconds)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec end, now;
	long left;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

static void *
reader(void *arg)
{
	struct inbox *ib = arg;
	const struct config *cfg = ib->cfg;
	int wake = ib->pipe[0], backoff = BACKOFF_FIRST, connected = 0, r;
	struct sess s;
	struct db *db;
	char *err = NULL;

	while (db_open(cfg->database, DB_OPEN_EXISTING, &db, &err) < 0) {
		log_warnx("imap: the reader cannot open the database: %s; "
		    "trying again in %ds", err, BACKOFF_MAX);
		free(err);
		err = NULL;
		if (nap(wake, BACKOFF_MAX))
			return NULL;
	}
	inbox_sess_init(&s, cfg, db, wake);
	while (!inbox_cancelled(wake)) {
		if (!connected) {
			if (inbox_sess_open(&s, &err) < 0)
				goto failed;
			connected = 1;
			log_info("imap: reading %s at %s as %s (%s)",
			    cfg->imap_mailbox, s.host, cfg->imap_username,
			    s.has_idle ? "IDLE" : "polling");
		}
		if (inbox_sess_pass(&s, &err) < 0)
			goto failed;
		backoff = BACKOFF_FIRST;
		if (s.has_idle) {
			r = idle_wait(&s, wake, &err);
			if (r < 0)
				goto failed;
			if (r > 0)
				break;
		} else if (nap(wake, (int)cfg->poll_interval))
			break;
		continue;
failed:
		if (inbox_cancelled(wake)) {
			free(err);
			err = NULL;
			break;
		}
		/* one line per attempt; the attempts get rarer */
		log_warnx("imap: %s; trying again in %ds", err ? err :
		    "unknown error", backoff);
		free(err);
		err = NULL;
		inbox_sess_close(&s, 0);
		connected = 0;
		if (nap(wake, backoff))
			break;
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	inbox_sess_close(&s, 0);
	inbox_sess_free(&s);
	db_close(db);
	return NULL;
}

struct inbox *
inbox_start(const struct config *cfg, char **errstr)
{
	struct inbox *ib;
	sigset_t all, old;
	char *host = NULL, *port = NULL;
	int implicit, r;

	*errstr = NULL;
	if (cfg->imap_url == NULL)
		return NULL;
	if (imaptls_parse_url(cfg->imap_url, &host, &port, &implicit,
	    errstr) < 0)
		return NULL;
	free(host);
	free(port);
	if (cfg->imap_username == NULL || cfg->imap_password == NULL) {
		*errstr = xstrdup("[imap] needs username and password_file");
		return NULL;
	}
	ib = xcalloc(1, sizeof(*ib));
	ib->cfg = cfg;
	if (pipe2(ib->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		*errstr = xasprintf("pipe: %s", strerror(errno));
		free(ib);
		return NULL;
	}
	/* signals go to the main loop, never to the reader */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&ib->th, NULL, reader, ib);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		*errstr = xasprintf("cannot start the IMAP reader: %s",
		    strerror(r));
		close(ib->pipe[0]);
		close(ib->pipe[1]);
		free(ib);
		return NULL;
	}
	return ib;
}

void
inbox_stop(struct inbox *ib)
{
	ssize_t w;

	if (ib == NULL)
		return;
	do
		w = write(ib->pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	pthread_join(ib->th, NULL);
	close(ib->pipe[0]);
	close(ib->pipe[1]);
	free(ib);
}
