/*
 * inbox: the reply reader. Reads [imap] mailbox over verified TLS (imaps://
 * or imap:// with STARTTLS; libetpan for IMAP, our own GnuTLS session for
 * the TLS so the certificate chain and host name are checked during the
 * handshake), hands each new message to inbox_parse() and inbox_apply(),
 * records it as handled in the same transaction (inbox_state, inbox_seen),
 * then moves it to [imap] processed_folder or unhandled_folder.
 */
#ifndef RUNDBRIEF_INBOX_H
#define RUNDBRIEF_INBOX_H

struct config;
struct db;

/*
 * One pass over the mailbox: connect, handle every new message, move it,
 * disconnect. line (may be NULL) gets one line per message: what it was
 * taken for and what was done. Returns 0, or -1 with *errstr (connection,
 * TLS, login …; what was handled before stays handled).
 */
int inbox_check(const struct config *cfg, struct db *db,
    void (*line)(void *arg, const char *text), void *arg, char **errstr);

/*
 * The daemon's reader: a thread with its own database connection that
 * stays connected, waits with IDLE where the server has it (else polls at
 * [imap] poll_interval) and reconnects with backoff after errors. The
 * daemon's other work never waits for it. NULL with *errstr if it cannot
 * start; without [imap] url there is nothing to start (NULL, *errstr
 * NULL).
 */
struct inbox *inbox_start(const struct config *cfg, char **errstr);

/* Stops the thread (within a few seconds) and frees it; NULL is fine. */
void inbox_stop(struct inbox *ib);

#endif
