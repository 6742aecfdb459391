/*
 * inboxparsepriv: what the files of inbox_parse() share. Private to
 * inboxparse.c (header fields, the decision), inboxpart.c (the walk over
 * the MIME parts; both with libetpan, whose types are only named here),
 * inboxword.c
 * (command words, reply prefixes, out-of-office subjects, tokens) and
 * inboxdsn.c (RFC 3464 delivery-status fields, VERP addresses). The last
 * two work on decoded text only and need no libetpan.
 *
 * Text passed in here is UTF-8 (or what remained of it) and
 * NUL-terminated unless a length is given.
 */
#ifndef RUNDBRIEF_INBOXPARSEPRIV_H
#define RUNDBRIEF_INBOXPARSEPRIV_H

#include <stddef.h>

struct inbox_msg;
struct mailimf_fields;
struct mailmime;

#define INBOX_TOKEN_LEN	32	/* subscriber tokens: 32 lower-case hex */

enum inbox_cmd {
	INBOX_CMD_NONE = 0,
	INBOX_CMD_UNSUBSCRIBE,
	INBOX_CMD_SUBSCRIBE,
	INBOX_CMD_CONFIRM
};

/* s after any number of reply/forward prefixes ("Re:", "AW: ", "Antw:",
 * "WG:", "Fwd:", "Fw:", "Re[2]:", "RE :" ...) and leading white space. */
const char *inbox_strip_prefixes(const char *s);

/*
 * What the line s (a subject or the first line of a body) asks for: after
 * the prefixes, one of the words of inbox_unsubscribe_words /
 * inbox_subscribe_words / inbox_confirm_words (any case), optionally a
 * token (after white space, ':' or "%20"), then nothing but punctuation
 * and white space. Quotes around it are tolerated (people copy the
 * subject out of the footer). The token, if any, is written lower-case to
 * token (else token[0] = '\0').
 */
enum inbox_cmd inbox_command(const char *s, char token[INBOX_TOKEN_LEN + 1]);

/* 1 if the subject reads like an out-of-office or other automatic reply
 * ("Automatische Antwort: …", "Out of Office", "Abwesenheitsnotiz",
 * "Urlaub …"), else 0. */
int inbox_ooo_subject(const char *subject);

/*
 * The first subscriber token in s[0..len): 32 hex digits not inside a
 * longer run of letters and digits, and not followed by "@" (that is a
 * Message-ID or UID). With skip_unsubscribe, a token right
 * after an unsubscribe word or path ("abmelden TOKEN", "unsubscribe%20TOKEN",
 * ".../unsubscribe/TOKEN": a quoted newsletter footer) is passed over.
 * Returns 1 and writes it lower-case to token, or 0.
 */
int inbox_find_token(const char *s, size_t len, int skip_unsubscribe,
    char token[INBOX_TOKEN_LEN + 1]);

/* The first non-empty line of text[0..len) (white space, including
 * U+00A0, trimmed), at most max bytes, as a new string; NULL if none. */
char *inbox_first_line(const char *text, size_t len, size_t max);

/* One RFC 3464 report, the recipient that matters most. */
struct inbox_dsn {
	char *rcpt;		/* Final- (else Original-) Recipient, or NULL */
	char *action;		/* "failed", "delayed", … lower-case, or NULL */
	char status[16];	/* "5.1.1", or "" */
	char *diagnostic;	/* Diagnostic-Code, unfolded and cleaned */
	int permanent;		/* Action failed or status 5.x.x */
	int nrcpt;		/* recipient blocks seen */
};

/*
 * Reads a message/delivery-status body (transfer-decoded) into d (zeroed
 * first): the per-message block, then one block per recipient. Of several
 * recipients the first permanent failure wins, else the first with an
 * Action. Returns 0 if at least one recipient block was found, else -1
 * (d still usable and freed by inbox_dsn_free()).
 */
int inbox_dsn_parse(const char *text, size_t len, struct inbox_dsn *d);
void inbox_dsn_free(struct inbox_dsn *d);

/*
 * The VERP token in the address text s (a header value: any number of
 * addresses, angle brackets, names): the part after '+' of a local part
 * that is envelope_from's local part (with a "+TOKEN" placeholder
 * removed), at envelope_from's domain, both compared case-insensitively.
 * The token is [A-Za-z0-9._=-], 1..64 characters, returned lower-case
 * (caller frees), or NULL.
 */
char *inbox_verp_token(const char *s, const char *envelope_from);

/* A copy of s[0..len) for one line of text: control characters and line
 * breaks become spaces, runs of spaces one, trimmed, invalid UTF-8 becomes
 * U+FFFD, cut (at a character boundary, with "…") to at most max bytes.
 * Caller frees. */
char *inbox_clean_line(const char *s, size_t len, size_t max);

/* What the walk over the parts found. */
struct inbox_walk {
	int nparts;
	int report;		/* multipart/report; delivery-status at top */
	int have_dsn;
	struct inbox_dsn dsn;
	char *returned_token;	/* List-Unsubscribe token of the original */
	int rsvp;		/* m->rsvp holds an iTIP REPLY */
	char *cal_other;	/* a calendar that was not a REPLY: why */
	char *text;		/* the first text/plain body, UTF-8 */
	size_t text_len;
	char *html;		/* the first text/html body, as text */
	size_t html_len;
};

/*
 * Walks the parts below mm (the body of the top-level message; w zeroed
 * by the caller): the first iTIP REPLY goes to m->rsvp; a delivery-status
 * part counts only inside a multipart/report at the top; text bodies only
 * outside attached or forwarded messages and attachments. At most 16
 * levels and 256 parts are looked at. Free w with inbox_walk_free().
 */
void inbox_walk(struct mailmime *mm, struct inbox_walk *w,
    struct inbox_msg *m);
void inbox_walk_free(struct inbox_walk *w);

/* The raw value of the first header field name that libetpan keeps as an
 * optional field (Auto-Submitted, Delivered-To, …), or NULL. */
const char *inbox_opt_field(struct mailimf_fields *f, const char *name);

#endif
