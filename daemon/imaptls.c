/*
 * imaptls: TCP + verified TLS (GnuTLS) under libetpan's IMAP session. See
 * imaptls.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "imaptls.h"
#include "log.h"
#include "util.h"

/* TLS 1.2 or 1.3, GnuTLS's default ciphers. */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls {
	int fd;
	int cancel_fd;
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
};

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long
deadline_of(mailstream_low *low)
{
	unsigned long t = low->timeout ? low->timeout : 60;

	return now_ms() + (long long)t * 1000;
}

/*
 * Waits until fd is ready for ev or the deadline passes or cancel_fd
 * becomes readable. 1 ready, 0 timeout or cancelled, -1 error.
 */
static int
wait_fd(int fd, short ev, int cancel_fd, long long deadline)
{
	struct pollfd p[2];
	long long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		p[0].fd = fd;
		p[0].events = ev;
		p[0].revents = 0;
		p[1].fd = cancel_fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		r = poll(p, cancel_fd >= 0 ? 2 : 1, left > 60000 ? 60000 :
		    (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (cancel_fd >= 0 && p[1].revents)
			return 0;
		if (r > 0)
			return 1;
	}
}

static ssize_t
tls_read(mailstream_low *low, void *buf, size_t n)
{
	struct tls *t = low->data;
	long long deadline = deadline_of(low);
	ssize_t r;

	for (;;) {
		/* GnuTLS may hold a decrypted record poll() cannot see */
		if (gnutls_record_check_pending(t->s) == 0 &&
		    wait_fd(t->fd, POLLIN, t->cancel_fd, deadline) <= 0)
			return -1;
		r = gnutls_record_recv(t->s, buf, n);
		if (r >= 0)
			return r;
		/* TLS 1.3: a session ticket alone gives E_AGAIN even on a
		 * blocking socket; it is no timeout */
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		return -1;
	}
}

static ssize_t
tls_write(mailstream_low *low, const void *buf, size_t n)
{
	struct tls *t = low->data;
	long long deadline = deadline_of(low);
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = gnutls_record_send(t->s, (const char *)buf + done,
		    n - done);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if ((r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) &&
		    wait_fd(t->fd, POLLOUT, -1, deadline) > 0)
			continue;
		return -1;
	}
	return (ssize_t)n;
}

static int
tls_close(mailstream_low *low)
{
	struct tls *t = low->data;

	if (t->fd >= 0) {
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
		close(t->fd);
		t->fd = -1;
	}
	return 0;
}

static int
tls_get_fd(mailstream_low *low)
{
	return ((struct tls *)low->data)->fd;
}

static void
tls_free(mailstream_low *low)
{
	struct tls *t = low->data;

	gnutls_deinit(t->s);
	gnutls_certificate_free_credentials(t->cred);
	free(t);
	free(low);
}

static mailstream_low_driver tls_driver = {
	.mailstream_read = tls_read,
	.mailstream_write = tls_write,
	.mailstream_close = tls_close,
	.mailstream_get_fd = tls_get_fd,
	.mailstream_free = tls_free,
};

/* The transport under GnuTLS: send/recv on the socket, and a wait that
 * also ends when the cancel fd is readable (so a stop request ends a
 * handshake too). */
static ssize_t
t_push(gnutls_transport_ptr_t p, const void *b, size_t n)
{
	return send(((struct tls *)p)->fd, b, n, MSG_NOSIGNAL);
}

static ssize_t
t_pull(gnutls_transport_ptr_t p, void *b, size_t n)
{
	return recv(((struct tls *)p)->fd, b, n, 0);
}

static int
t_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tls *t = p;

	if (ms == GNUTLS_INDEFINITE_TIMEOUT)
		ms = 3600 * 1000;
	return wait_fd(t->fd, POLLIN, t->cancel_fd, now_ms() + ms);
}

static int
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/*
 * The TLS handshake on fd, verified against c. Returns the stream's low
 * layer, or NULL with *errstr; fd stays the caller's on failure.
 */
static mailstream_low *
tls_open(int fd, const struct imaptls_conf *c, char **errstr)
{
	struct tls *t = xcalloc(1, sizeof(*t));
	mailstream_low *low;
	gnutls_datum_t txt;
	const char *where = NULL;
	unsigned status;
	int r;

	t->fd = fd;
	t->cancel_fd = c->cancel_fd;
	if ((r = gnutls_certificate_allocate_credentials(&t->cred)) < 0) {
		*errstr = xasprintf("TLS: %s", gnutls_strerror(r));
		free(t);
		return NULL;
	}
	if (c->ca_file != NULL) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, c->ca_file,
		    GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			*errstr = xasprintf("[imap] ca_file %s: %s", c->ca_file,
			    r < 0 ? gnutls_strerror(r) : "no certificates in it");
			gnutls_certificate_free_credentials(t->cred);
			free(t);
			return NULL;
		}
	} else if (c->verify &&
	    gnutls_certificate_set_x509_system_trust(t->cred) <= 0) {
		*errstr = xstrdup("TLS: the system trust store has no "
		    "certificates (install ca-certificates, or set [imap] "
		    "ca_file)");
		gnutls_certificate_free_credentials(t->cred);
		free(t);
		return NULL;
	}
	if ((r = gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0) {
		*errstr = xasprintf("TLS: %s", gnutls_strerror(r));
		gnutls_certificate_free_credentials(t->cred);
		free(t);
		return NULL;
	}
	if ((r = gnutls_priority_set_direct(t->s, PRIORITY, NULL)) < 0 ||
	    (r = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0) {
		*errstr = xasprintf("TLS: %s", gnutls_strerror(r));
		goto fail;
	}
	if (!is_ip_literal(c->host))
		gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, c->host,
		    strlen(c->host));
	if (c->verify)
		/* chain and host name (or IP address) during the handshake:
		 * a failure ends it before a byte of IMAP is sent */
		gnutls_session_set_verify_cert(t->s, c->host, 0);
	else
		log_warnx("imap: [imap] tls_verify = no: the certificate of "
		    "%s is not checked (for tests only)", c->host);
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_push_function(t->s, t_push);
	gnutls_transport_set_pull_function(t->s, t_pull);
	gnutls_transport_set_pull_timeout_function(t->s, t_pull_timeout);
	gnutls_handshake_set_timeout(t->s, (unsigned)c->timeout * 1000);
	do
		r = gnutls_handshake(t->s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(t->s);
		if (gnutls_certificate_verification_status_print(status,
		    gnutls_certificate_type_get(t->s), &txt, 0) == 0) {
			*errstr = xasprintf("TLS: the certificate of %s is not "
			    "accepted: %s", c->host, (char *)txt.data);
			gnutls_free(txt.data);
		} else
			*errstr = xasprintf("TLS: the certificate of %s is not "
			    "accepted", c->host);
		goto fail;
	}
	if (r < 0) {
		where = r == GNUTLS_E_TIMEDOUT || r == GNUTLS_E_PULL_ERROR ?
		    " (no answer in time?)" : "";
		*errstr = xasprintf("TLS handshake with %s: %s%s", c->host,
		    gnutls_strerror(r), where);
		goto fail;
	}
	low = mailstream_low_new(t, &tls_driver);
	if (low == NULL)
		fatalx("out of memory");
	mailstream_low_set_timeout(low, (time_t)c->timeout);
	return low;
fail:
	gnutls_deinit(t->s);
	gnutls_certificate_free_credentials(t->cred);
	free(t);
	return NULL;
}

/* A TCP connection to host:port within timeout seconds, with read and
 * write timeouts on the socket as a backstop. -1 with *errstr. */
static int
tcp_connect(const struct imaptls_conf *c, char **errstr)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv;
	socklen_t len;
	int fd = -1, r, err = 0, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(c->host, c->port, &hints, &res);
	if (r != 0) {
		*errstr = xasprintf("%s: %s", c->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, c->cancel_fd, now_ms() +
			    (long long)c->timeout * 1000);
			len = sizeof(err);
			if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == 0 && err == 0)
				break;
			if (r == 0)
				err = ETIMEDOUT;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*errstr = xasprintf("cannot connect to %s port %s: %s", c->host,
		    c->port, strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	tv.tv_sec = c->timeout;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The server's last response text, cleaned, for an error message. */
static char *
server_said(mailimap *imap)
{
	if (imap->imap_response != NULL && imap->imap_response[0] != '\0')
		return str_sanitize(imap->imap_response);
	return xstrdup("no answer");
}

static int
starttls(mailimap *imap, const struct imaptls_conf *c, char **errstr)
{
	struct mailimap_capability_data *cap = NULL;
	mailstream_low *old, *low;
	char *said;
	int r;

	/* what the server says before TLS is not trusted; STARTTLS is only
	 * asked for so the error is clear */
	if (mailimap_capability(imap, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
	if (!mailimap_has_extension(imap, "STARTTLS")) {
		*errstr = xasprintf("%s does not offer STARTTLS (use imaps:// "
		    "if it has TLS on its own port)", c->host);
		return -1;
	}
	r = mailimap_starttls(imap);
	if (r != MAILIMAP_NO_ERROR) {
		said = server_said(imap);
		*errstr = r == MAILIMAP_ERROR_STARTTLS &&
		    imap->imap_stream->read_buffer_len != 0 ?
		    xasprintf("%s sent data before the TLS handshake; refused",
		    c->host) :
		    xasprintf("STARTTLS at %s failed (%d): %s", c->host, r,
		    said);
		free(said);
		return -1;
	}
	/* CVE-2020-15953: nothing may be waiting from before the handshake */
	if (imap->imap_stream->read_buffer_len != 0) {
		*errstr = xasprintf("%s sent data before the TLS handshake; "
		    "refused", c->host);
		return -1;
	}
	old = mailstream_get_low(imap->imap_stream);
	low = tls_open(mailstream_low_get_fd(old), c, errstr);
	if (low == NULL)
		return -1;
	/* frees the plain socket layer; the fd lives on under TLS */
	mailstream_low_free(old);
	mailstream_set_low(imap->imap_stream, low);
	/* forget the capabilities from before TLS */
	if (mailimap_capability(imap, &cap) != MAILIMAP_NO_ERROR) {
		*errstr = xasprintf("CAPABILITY at %s failed after STARTTLS",
		    c->host);
		return -1;
	}
	mailimap_capability_data_free(cap);
	return 0;
}

static void
close_stream(mailimap *imap)
{
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
}

int
imaptls_connect(mailimap *imap, const struct imaptls_conf *c, char **errstr)
{
	mailstream_low *low;
	mailstream *s;
	int fd, r;

	fd = tcp_connect(c, errstr);
	if (fd < 0)
		return -1;
	if (c->implicit) {
		low = tls_open(fd, c, errstr);
		if (low == NULL) {
			close(fd);
			return -1;
		}
		s = mailstream_new(low, 8192);
		if (s == NULL)
			fatalx("out of memory");
	} else {
		s = mailstream_socket_open_timeout(fd, (time_t)c->timeout);
		if (s == NULL) {
			close(fd);
			*errstr = xstrdup("out of memory");
			return -1;
		}
	}
	r = mailimap_connect(imap, s);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/* the stream is imap's now, even on failure */
		*errstr = xasprintf("%s did not greet as an IMAP server (%d)",
		    c->host, r);
		close_stream(imap);
		return -1;
	}
	if (!c->implicit && starttls(imap, c, errstr) < 0) {
		close_stream(imap);
		return -1;
	}
	return 0;
}

static struct tls *
tls_of(mailimap *imap)
{
	mailstream_low *low;

	if (imap == NULL || imap->imap_stream == NULL)
		return NULL;
	low = mailstream_get_low(imap->imap_stream);
	if (low == NULL || low->driver != &tls_driver)
		return NULL;
	return low->data;
}

void
imaptls_set_timeout(mailimap *imap, int seconds)
{
	if (imap != NULL && imap->imap_stream != NULL)
		mailstream_low_set_timeout(mailstream_get_low(imap->imap_stream),
		    (time_t)seconds);
}

int
imaptls_pending(mailimap *imap)
{
	struct tls *t = tls_of(imap);

	if (imap == NULL || imap->imap_stream == NULL)
		return 0;
	return imap->imap_stream->read_buffer_len > 0 ||
	    (t != NULL && gnutls_record_check_pending(t->s) > 0);
}

int
imaptls_fd(mailimap *imap)
{
	if (imap == NULL || imap->imap_stream == NULL)
		return -1;
	return mailstream_low_get_fd(mailstream_get_low(imap->imap_stream));
}

void
imaptls_drop(mailimap *imap)
{
	if (imap == NULL)
		return;
	close_stream(imap);
	mailimap_free(imap);
}

int
imaptls_parse_url(const char *url, char **host, char **port, int *implicit,
    char **errstr)
{
	const char *p, *end, *colon = NULL;
	size_t n;

	if (strncasecmp(url, "imaps://", 8) == 0) {
		*implicit = 1;
		p = url + 8;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		*implicit = 0;
		p = url + 7;
	} else {
		*errstr = xasprintf("[imap] url %s: must start with imaps:// or "
		    "imap://", url);
		return -1;
	}
	n = strcspn(p, "/?#");
	end = p + n;
	if (*end != '\0' && strcmp(end, "/") != 0) {
		*errstr = xasprintf("[imap] url %s: no path may follow the host "
		    "(the mailbox is [imap] mailbox)", url);
		return -1;
	}
	if (*p == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL || rb == p + 1 || (rb + 1 != end &&
		    rb[1] != ':')) {
			*errstr = xasprintf("[imap] url %s: bad address", url);
			return -1;
		}
		*host = xstrndup(p + 1, (size_t)(rb - p - 1));
		colon = rb + 1 != end ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', n);
		*host = xstrndup(p, colon ? (size_t)(colon - p) : n);
	}
	if (**host == '\0' || (colon != NULL && (colon + 1 == end ||
	    strspn(colon + 1, "0123456789") != (size_t)(end - colon - 1) ||
	    end - colon - 1 > 5 || atoi(colon + 1) < 1 ||
	    atoi(colon + 1) > 65535))) {
		*errstr = xasprintf("[imap] url %s: bad host or port", url);
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = colon ? xstrndup(colon + 1, (size_t)(end - colon - 1)) :
	    xstrdup(*implicit ? "993" : "143");
	return 0;
}
