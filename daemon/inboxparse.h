/*
 * inboxparse: what an inbound message in the organizer's mailbox is — an
 * RSVP, an unsubscribe or subscribe request, a confirmation, a bounce, an
 * auto-reply — read with libetpan's MIME parser. Pure: no database, no
 * network; the input is untrusted and may be anything (fuzzed).
 */
#ifndef RUNDBRIEF_INBOXPARSE_H
#define RUNDBRIEF_INBOXPARSE_H

#include <stddef.h>
#include <time.h>

#include "ical.h"

enum inbox_kind {
	INBOX_UNKNOWN = 0,  /* not understood: for the coordinator to read */
	INBOX_RSVP,         /* an iTIP REPLY (accept, tentative, decline) */
	INBOX_UNSUBSCRIBE,  /* by the List-Unsubscribe mailto, or by words */
	INBOX_SUBSCRIBE,    /* "anmelden" / "subscribe" */
	INBOX_CONFIRM,      /* a reply carrying a confirmation token */
	INBOX_BOUNCE,       /* a delivery status notification (RFC 3464) */
	INBOX_AUTOREPLY     /* out of office, auto-submitted, a loop: never
	                       acted on, never answered */
};

/* What the classifier needs to know about us. */
struct inbox_addrs {
	const char *envelope_from;  /* "bounces@…": VERP base, or NULL */
	const char *unsubscribe_to; /* the List-Unsubscribe mailto address */
	const char *const *own;     /* our own addresses (From, Reply-To,
	                               organizer, envelope): mail from them
	                               is a loop */
	size_t nown;
};

struct inbox_msg {
	enum inbox_kind kind;
	char *message_id;   /* without <>, or NULL */
	char *from;         /* From's addr-spec, lower-cased, or NULL */
	char *from_name;    /* decoded display name, or NULL */
	char *subject;      /* decoded (UTF-8, control characters removed) */
	char *token;        /* UNSUBSCRIBE / CONFIRM: a subscriber token seen
	                       in the To address (+TOKEN), the subject or the
	                       text, or NULL (then: by the From address) */
	struct ical_reply rsvp;  /* RSVP */
	/* BOUNCE */
	char *bounce_rcpt;  /* Final-Recipient (or Original-Recipient) */
	char *bounce_token; /* from a VERP address bounces+TOKEN@…, or NULL */
	char status[16];    /* "5.1.1"; "" when unknown */
	int permanent;      /* 1: 5.x.x / Action: failed */
	char *diagnostic;   /* Diagnostic-Code, cleaned, or NULL */
	char *why;          /* one line: what it was taken for (logs,
	                       `rundbrief inbox check`) */
};

/*
 * Classifies the raw message (RFC 5322, CRLF or LF, need not be
 * NUL-terminated). Always fills *out (kind INBOX_UNKNOWN for anything it
 * does not understand, with why saying so); free with inbox_msg_free().
 * Returns 0, or -1 only when out of memory is impossible… never: it
 * returns 0.
 */
int inbox_parse(const char *raw, size_t len, const struct inbox_addrs *a,
    struct inbox_msg *out);

void inbox_msg_free(struct inbox_msg *m);

/* "unknown", "rsvp", "unsubscribe", "subscribe", "confirm", "bounce",
 * "autoreply". */
const char *inbox_kind_name(enum inbox_kind k);

#endif
