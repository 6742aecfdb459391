/*
 * inboxpriv: what the files of the inbox module share. Private to
 * inbox.c (the session: connect, log in, one pass over the mailbox) and
 * inboxloop.c (the daemon's reader: its thread, IDLE, polling, backoff).
 * Other modules include inbox.h.
 *
 * Includes libetpan's headers, so only the inbox*.c files may include it.
 */
#ifndef RUNDBRIEF_INBOXPRIV_H
#define RUNDBRIEF_INBOXPRIV_H

#include <stdint.h>

#include <libetpan/libetpan.h>

#include "imaptls.h"
#include "inboxparse.h"

#define IO_TIMEOUT        30          /* seconds per read */

struct config;
struct db;

/* A connection to [imap] url and what it found out. */
struct sess {
	const struct config *cfg;
	struct db *db;
	mailimap *imap;
	struct imaptls_conf tc;
	char *host, *port;
	char *processed, *unhandled;  /* server names (delimiter applied) */
	int has_move, has_uidplus, has_idle;
	int warned_no_expunge;
	uint32_t uidvalidity;
	void (*line)(void *, const char *);
	void *arg;
	struct inbox_addrs addrs;
	char *own[4];
	char *unsub;
};

/* Fills s for cfg and db (nothing is connected yet); cancel_fd readable
 * makes every read fail at once (-1: none). */
void inbox_sess_init(struct sess *s, const struct config *cfg,
    struct db *db, int cancel_fd);

/* Connects, logs in, makes sure the folders exist. 0, or -1 with
 * *errstr (then inbox_sess_close()). */
int inbox_sess_open(struct sess *s, char **errstr);

/* SELECT and every message in the mailbox; 0, or -1 with *errstr (the
 * connection or the database failed; what was done stays done). */
int inbox_sess_pass(struct sess *s, char **errstr);

/* Ends the connection (polite: LOGOUT first); s can be opened again. */
void inbox_sess_close(struct sess *s, int polite);

/* inbox_sess_close() and frees what inbox_sess_init() made. */
void inbox_sess_free(struct sess *s);

/* 1 if fd (>= 0) is readable now. */
int inbox_cancelled(int fd);

#endif
