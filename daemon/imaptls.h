/*
 * imaptls: the connection under the IMAP session — TCP with timeouts, and
 * TLS done by us with GnuTLS (libetpan's own TLS checks no certificate):
 * the chain and the host name are verified inside the handshake, against
 * the system trust store or [imap] ca_file, so nothing, not even LOGIN, is
 * sent to a server that fails. imaps:// (TLS from the first byte) or
 * imap:// with STARTTLS (anything the server sent before the handshake is
 * refused: CVE-2020-15953). The TLS stream is a libetpan mailstream_low
 * driver; every read waits with poll() on the socket and on a cancel fd,
 * so a stop request ends a blocked read at once.
 *
 * Only inbox.c uses this; GnuTLS stays inside imaptls.c.
 */
#ifndef RUNDBRIEF_IMAPTLS_H
#define RUNDBRIEF_IMAPTLS_H

struct mailimap;

struct imaptls_conf {
	const char *host;
	const char *port;
	int implicit;          /* 1: imaps://, 0: imap:// + STARTTLS */
	const char *ca_file;   /* NULL: the system trust store */
	int verify;            /* 0 only for tests ([imap] tls_verify = no) */
	int timeout;           /* seconds for connect and for each read */
	int cancel_fd;         /* readable: give up (reads fail), or -1 */
};

/*
 * Splits "imaps://host[:port][/]" or "imap://…" ([v6]:port allowed) into
 * *host and *port (993 / 143 by default), caller frees. Returns 0, or -1
 * with *errstr.
 */
int imaptls_parse_url(const char *url, char **host, char **port,
    int *implicit, char **errstr);

/*
 * Connects imap (from mailimap_new) to the server: TCP, TLS (verified),
 * the greeting; for STARTTLS also the upgrade and a fresh CAPABILITY.
 * Returns 0, or -1 with *errstr; on failure the stream is closed without
 * a word to the server (imap is still to be freed with imaptls_drop()).
 */
int imaptls_connect(struct mailimap *imap, const struct imaptls_conf *c,
    char **errstr);

/* Sets the per-read timeout of the connection (seconds). */
void imaptls_set_timeout(struct mailimap *imap, int seconds);

/* 1 if data the server sent is already buffered (libetpan's buffer or a
 * decrypted TLS record not read yet), so a poll() would wait wrongly. */
int imaptls_pending(struct mailimap *imap);

/* The socket, for poll() during IDLE; -1 if not connected. */
int imaptls_fd(struct mailimap *imap);

/* Closes the connection without LOGOUT (after an error, or when the state
 * is unknown) and frees imap. NULL is fine. */
void imaptls_drop(struct mailimap *imap);

#endif
