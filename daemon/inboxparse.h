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
	                       text, or NULL (then: by the From address).
	                       BOUNCE: the token of the List-Unsubscribe
	                       header of the returned message, if the report
	                       includes it (a bounce without VERP) */
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
 * The command words of a subject or a first line (any case, after any
 * number of Re:/AW:/Antw:/WG:/Fwd: prefixes; a token may follow, then
 * only punctuation). NULL-terminated. The templates' footers and the
 * confirmation mail name words from these lists (render.c's
 * "abmelden"/"unsubscribe" and "bestaetigen"/"confirm" + TOKEN).
 */
extern const char *const inbox_unsubscribe_words[];
extern const char *const inbox_subscribe_words[];
extern const char *const inbox_confirm_words[];

/* A larger message is classified by its header alone: kind
 * INBOX_UNKNOWN, why "message too large …" (the reader moves it to the
 * unhandled folder; its own limit may be lower). */
#define INBOX_PARSE_MAX	(16 * 1024 * 1024)

/*
 * Classifies the raw message (RFC 5322, CRLF or LF, need not be
 * NUL-terminated, may contain NUL; never read beyond len). Always fills
 * *out (kind INBOX_UNKNOWN for anything it does not understand, with why
 * saying so); free with inbox_msg_free(). a (and its members) may be
 * NULL. Returns 0 (out of memory is fatal, as everywhere).
 *
 * The order of the decision:
 *  1. a delivery status report (multipart/report;
 *     report-type=delivery-status) is a BOUNCE, although it is
 *     auto-submitted;
 *  2. mail from one of our own addresses is an AUTOREPLY (a loop);
 *  3. an iTIP REPLY anywhere in the message is an RSVP, even with
 *     Auto-Submitted or Precedence (calendar servers and Exchange's
 *     automatic processing set them on genuine replies);
 *  4. mail from MAILER-DAEMON / postmaster or with an empty Return-Path
 *     that is not a report: a BOUNCE with status unknown if a VERP
 *     address names the token, else an AUTOREPLY;
 *  5. Auto-Submitted other than "no", Precedence bulk/junk/list,
 *     X-Autoreply, X-Autorespond, an out-of-office subject: AUTOREPLY --
 *     except the List-Unsubscribe mailto request itself (subject
 *     "unsubscribe TOKEN"), which some clients send automatically;
 *  6. command words in the subject, then in the first non-empty line of
 *     the text: UNSUBSCRIBE, SUBSCRIBE, CONFIRM;
 *  7. a subscriber token in the subject, a To/Cc address (+TOKEN) or the
 *     text (not one after an unsubscribe word: a quoted newsletter
 *     footer): CONFIRM;
 *  8. anything else: UNKNOWN.
 */
int inbox_parse(const char *raw, size_t len, const struct inbox_addrs *a,
    struct inbox_msg *out);

void inbox_msg_free(struct inbox_msg *m);

/* "unknown", "rsvp", "unsubscribe", "subscribe", "confirm", "bounce",
 * "autoreply". */
const char *inbox_kind_name(enum inbox_kind k);

#endif
