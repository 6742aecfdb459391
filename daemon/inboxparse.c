/*
 * inboxparse: what an inbound message is (inboxparse.h): the header
 * fields and the decision. The MIME tree is libetpan's, walked by
 * inboxpart.c; what the text says is read by inboxword.c (commands,
 * tokens, out-of-office subjects) and inboxdsn.c (delivery status, VERP).
 *
 * libetpan 1.9.4 notes, checked on Debian 12:
 *  - mailmime_parse() recurses once per nested message/rfc822 and runs out
 *    of stack at some ten thousand levels; a message naming "multipart" or
 *    "message/" more than NEST_MAX times is therefore not handed to it.
 *  - It builds the whole tree at once: 1.5 million empty parts in 15 MB
 *    took 6 s and 550 MB, 1.5 million header fields 2 s and 270 MB. So
 *    neither a message with more than DELIM_MAX boundary lines nor one
 *    whose header passes HEADER_MAX is parsed (their header alone is).
 *  - The tree points into the buffer it parsed; we give it a NUL-terminated
 *    copy, so nothing in libetpan can read past the end of the input.
 *  - message/delivery-status is a single part (its text is available);
 *    message/rfc822 is a MAILMIME_MESSAGE with its own header fields.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/mailimf.h>
#include <libetpan/mailmime.h>
#include <libetpan/mailmime_decode.h>

#include "ical.h"
#include "inboxparse.h"
#include "inboxparsepriv.h"
#include "util.h"

#define NEST_MAX	256	/* "multipart"/"message/" mentions we parse */
#define DELIM_MAX	4096	/* lines starting with "--" we parse */
#define HEADER_MAX	(1024 * 1024)	/* of a header we parse */
#define SUBJECT_MAX	1000	/* bytes kept of a decoded subject */
#define NAME_MAX_KEPT	200	/* of a display name */

const char *
inbox_kind_name(enum inbox_kind k)
{
	static const char *const names[] = { "unknown", "rsvp",
	    "unsubscribe", "subscribe", "confirm", "bounce", "autoreply" };

	if ((unsigned)k < sizeof(names) / sizeof(names[0]))
		return names[k];
	return "unknown";
}

void
inbox_msg_free(struct inbox_msg *m)
{
	if (m == NULL)
		return;
	free(m->message_id);
	free(m->from);
	free(m->from_name);
	free(m->subject);
	free(m->token);
	ical_reply_free(&m->rsvp);
	free(m->bounce_rcpt);
	free(m->bounce_token);
	free(m->diagnostic);
	free(m->why);
	memset(m, 0, sizeof(*m));
}

/* ---- header fields ------------------------------------------------- */

/* RFC 2047 words decoded to UTF-8 (raw 8-bit text read as UTF-8), one
 * clean line of at most max bytes; NULL for NULL or empty. */
static char *
decode_phrase(const char *raw, size_t max)
{
	char *dec = NULL, *out;
	size_t idx = 0;

	if (raw == NULL)
		return NULL;
	if (mailmime_encoded_phrase_parse("utf-8", raw, strlen(raw), &idx,
	    "utf-8", &dec) == MAILIMF_NO_ERROR && dec != NULL) {
		out = inbox_clean_line(dec, strlen(dec), max);
		free(dec);
	} else {
		free(dec);
		out = inbox_clean_line(raw, strlen(raw), max);
	}
	if (*out == '\0') {
		free(out);
		return NULL;
	}
	return out;
}

/* An addr-spec fit to compare and log: cleaned, lower-case, no spaces,
 * "<>" removed; NULL if there is nothing like an address. */
static char *
clean_addr(const char *raw)
{
	char *a, *s, *e;
	size_t i;

	if (raw == NULL)
		return NULL;
	a = inbox_clean_line(raw, strlen(raw), 320);
	s = a;
	if ((e = strchr(s, '<')) != NULL && strchr(e, '>') != NULL) {
		s = e + 1;
		*strchr(s, '>') = '\0';
	}
	for (i = 0; s[i]; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (*s == '\0' || strchr(s, ' ') != NULL || strchr(s, '@') == NULL) {
		free(a);
		return NULL;
	}
	s = xstrdup(s);
	free(a);
	return s;
}

/* The first word of an optional field's value, lower-case ("" if the field
 * is there but empty), or NULL if there is no such field. */
static char *
opt_word(struct mailimf_fields *f, const char *name)
{
	const char *v = inbox_opt_field(f, name);
	char *w;
	size_t i;

	if (v == NULL)
		return NULL;
	w = inbox_clean_line(v, strlen(v), 64);
	w[strcspn(w, " ;(,")] = '\0';
	for (i = 0; w[i]; i++)
		w[i] = (char)tolower((unsigned char)w[i]);
	return w;
}

static void
mailbox_list_addrs(struct mailimf_mailbox_list *l, struct buf *out)
{
	clistiter *it;
	struct mailimf_mailbox *mb;

	if (l == NULL || l->mb_list == NULL)
		return;
	for (it = clist_begin(l->mb_list); it != NULL; it = clist_next(it)) {
		mb = clist_content(it);
		if (mb->mb_addr_spec != NULL) {
			buf_puts(out, mb->mb_addr_spec);
			buf_puts(out, ", ");
		}
	}
}

static void
address_list_addrs(struct mailimf_address_list *l, struct buf *out)
{
	clistiter *it;
	struct mailimf_address *ad;

	if (l == NULL || l->ad_list == NULL)
		return;
	for (it = clist_begin(l->ad_list); it != NULL; it = clist_next(it)) {
		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX &&
		    ad->ad_data.ad_mailbox->mb_addr_spec != NULL) {
			buf_puts(out, ad->ad_data.ad_mailbox->mb_addr_spec);
			buf_puts(out, ", ");
		} else if (ad->ad_type == MAILIMF_ADDRESS_GROUP)
			mailbox_list_addrs(ad->ad_data.ad_group->grp_mb_list,
			    out);
	}
}

/*
 * Every address the message was delivered to: To, Cc, and the fields
 * MTAs add (Delivered-To, X-Original-To, Envelope-To), also a To or Cc
 * libetpan could not parse, as one string.
 */
static char *
recipients(struct mailimf_fields *f)
{
	static const char *const names[] = { "To", "Cc", "Delivered-To",
	    "X-Original-To", "Envelope-To", "X-Envelope-To", NULL };
	struct mailimf_single_fields sf;
	struct buf b;
	clistiter *it;
	struct mailimf_field *fl;
	size_t i;

	buf_init(&b);
	buf_puts(&b, "");
	if (f == NULL)
		return buf_steal(&b);
	mailimf_single_fields_init(&sf, f);
	if (sf.fld_to != NULL)
		address_list_addrs(sf.fld_to->to_addr_list, &b);
	if (sf.fld_cc != NULL)
		address_list_addrs(sf.fld_cc->cc_addr_list, &b);
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		fl = clist_content(it);
		if (fl->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD ||
		    fl->fld_data.fld_optional_field->fld_name == NULL ||
		    fl->fld_data.fld_optional_field->fld_value == NULL)
			continue;
		for (i = 0; names[i] != NULL; i++)
			if (strcasecmp(fl->fld_data.fld_optional_field->fld_name,
			    names[i]) == 0) {
				buf_puts(&b,
				    fl->fld_data.fld_optional_field->fld_value);
				buf_puts(&b, ", ");
				break;
			}
		if (b.len > 64 * 1024)
			break;
	}
	return buf_steal(&b);
}

/* A subscriber token as the detail of an address: local+TOKEN@domain. */
static int
plus_token(const char *addrs, char token[INBOX_TOKEN_LEN + 1])
{
	const char *p;

	for (p = addrs; (p = strchr(p, '+')) != NULL; p++)
		if (strspn(p + 1, "0123456789abcdefABCDEF") == INBOX_TOKEN_LEN &&
		    p[1 + INBOX_TOKEN_LEN] == '@' &&
		    inbox_find_token(p + 1, INBOX_TOKEN_LEN, 0, token))
			return 1;
	token[0] = '\0';
	return 0;
}

/* 1 if the Return-Path is empty ("<>", the null sender of a bounce). */
static int
null_return_path(struct mailimf_fields *f)
{
	clistiter *it;
	struct mailimf_field *fl;
	const char *v;

	if (f == NULL)
		return 0;
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		fl = clist_content(it);
		if (fl->fld_type == MAILIMF_FIELD_RETURN_PATH) {
			v = fl->fld_data.fld_return_path->ret_path->pt_addr_spec;
			return v == NULL || *v == '\0';
		}
	}
	v = inbox_opt_field(f, "Return-Path");
	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	return strncmp(v, "<>", 2) == 0;
}

/* From, display name, Subject, Message-ID into m. */
static void
header_basics(struct mailimf_fields *f, struct inbox_msg *m)
{
	struct mailimf_single_fields sf;
	struct mailimf_mailbox *mb;
	const char *v;

	if (f == NULL)
		return;
	mailimf_single_fields_init(&sf, f);
	if (sf.fld_from != NULL && sf.fld_from->frm_mb_list != NULL &&
	    sf.fld_from->frm_mb_list->mb_list != NULL &&
	    clist_begin(sf.fld_from->frm_mb_list->mb_list) != NULL) {
		mb = clist_content(clist_begin(
		    sf.fld_from->frm_mb_list->mb_list));
		m->from = clean_addr(mb->mb_addr_spec);
		m->from_name = decode_phrase(mb->mb_display_name,
		    NAME_MAX_KEPT);
	} else if ((v = inbox_opt_field(f, "From")) != NULL)
		m->from = clean_addr(v);	/* libetpan could not parse it */
	if (sf.fld_subject != NULL)
		m->subject = decode_phrase(sf.fld_subject->sbj_value,
		    SUBJECT_MAX);
	else if ((v = inbox_opt_field(f, "Subject")) != NULL)
		m->subject = decode_phrase(v, SUBJECT_MAX);
	if (sf.fld_message_id != NULL && sf.fld_message_id->mid_value != NULL) {
		m->message_id = inbox_clean_line(sf.fld_message_id->mid_value,
		    strlen(sf.fld_message_id->mid_value), 998);
		if (*m->message_id == '\0') {
			free(m->message_id);
			m->message_id = NULL;
		}
	}
}

/* ---- the decision ---------------------------------------------------- */

static void set_why(struct inbox_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* m->why, one clean line; outside text in it is cut with "%.100s" by the
 * callers (the line is cleaned again as a whole). */
static void
set_why(struct inbox_msg *m, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	free(m->why);
	m->why = inbox_clean_line(line, strlen(line), 400);
}

static int
own_address(const char *from, const struct inbox_addrs *a)
{
	char *t;
	size_t i;

	if (from == NULL || a == NULL)
		return 0;
	for (i = 0; a->own != NULL && i < a->nown; i++)
		if (a->own[i] != NULL && strcasecmp(from, a->own[i]) == 0)
			return 1;
	if (a->unsubscribe_to != NULL && strcasecmp(from, a->unsubscribe_to) == 0)
		return 1;
	if (a->envelope_from != NULL) {
		if (strcasecmp(from, a->envelope_from) == 0)
			return 1;
		if ((t = inbox_verp_token(from, a->envelope_from)) != NULL) {
			free(t);
			return 1;
		}
	}
	return 0;
}

static int
mailer_daemon(const char *from)
{
	size_t n;

	if (from == NULL)
		return 0;
	n = strcspn(from, "@");
	return (n == 13 && strncmp(from, "mailer-daemon", 13) == 0) ||
	    (n == 12 && strncmp(from, "mailerdaemon", 12) == 0) ||
	    (n == 10 && strncmp(from, "postmaster", 10) == 0);
}

static void
decide_bounce(struct inbox_msg *m, struct inbox_walk *w, const char *verp)
{
	char more[48] = "";
	const char *tokinfo;

	m->kind = INBOX_BOUNCE;
	if (verp != NULL)
		m->bounce_token = xstrdup(verp);
	if (w->returned_token != NULL) {
		m->token = w->returned_token;
		w->returned_token = NULL;
	}
	tokinfo = verp != NULL ? "VERP token " : m->token != NULL ?
	    "no VERP token; List-Unsubscribe token " : "no VERP token";
	if (!w->have_dsn) {
		set_why(m, "bounce: %s, status unknown (%s%.64s)", w->report ?
		    "a delivery report without recipients" :
		    "not a delivery status report", tokinfo,
		    verp ? verp : m->token ? m->token : "");
		return;
	}
	m->bounce_rcpt = w->dsn.rcpt;
	w->dsn.rcpt = NULL;
	m->diagnostic = w->dsn.diagnostic;
	w->dsn.diagnostic = NULL;
	memcpy(m->status, w->dsn.status, sizeof(m->status));
	m->permanent = w->dsn.permanent;
	if (w->dsn.nrcpt > 1)
		snprintf(more, sizeof(more), " (+%d more recipient%s)",
		    w->dsn.nrcpt - 1, w->dsn.nrcpt > 2 ? "s" : "");
	set_why(m, "bounce %s %s, %s, for %.100s%s (%s%.64s)",
	    m->status[0] ? m->status : "(no status)",
	    w->dsn.action ? w->dsn.action : "(no action)",
	    m->permanent ? "permanent" : "temporary",
	    m->bounce_rcpt ? m->bounce_rcpt : "(no recipient)", more, tokinfo,
	    verp ? verp : m->token ? m->token : "");
}

static void
decide_rsvp(struct inbox_msg *m)
{
	m->kind = INBOX_RSVP;
	set_why(m, "RSVP %.40s from %.100s for UID %.100s (sequence %d%s%.40s)",
	    m->rsvp.partstat, m->rsvp.attendee, m->rsvp.uid,
	    m->rsvp.sequence, m->rsvp.recurrence_id ? ", occurrence " : "",
	    m->rsvp.recurrence_id ? m->rsvp.recurrence_id : "");
}

/* The token a command or a confirmation names: the command's own, then
 * the subject, a +TOKEN recipient, the text. */
static void
pick_token(struct inbox_msg *m, const char *cmd_token, const char *rcpts,
    const char *text, size_t text_len, int skip_unsubscribe)
{
	char tok[INBOX_TOKEN_LEN + 1];

	if (cmd_token != NULL && cmd_token[0] != '\0')
		m->token = xstrdup(cmd_token);
	else if (m->subject != NULL && inbox_find_token(m->subject,
	    strlen(m->subject), skip_unsubscribe, tok))
		m->token = xstrdup(tok);
	else if (plus_token(rcpts, tok))
		m->token = xstrdup(tok);
	else if (text != NULL && inbox_find_token(text, text_len,
	    skip_unsubscribe, tok))
		m->token = xstrdup(tok);
}

/* The header that marks m as sent automatically (RFC 3834 and the
 * customs before it), or NULL. */
static const char *
auto_header(struct mailimf_fields *f)
{
	static const char *const present[] = { "X-Autoreply",
	    "X-Autorespond", "X-Autoresponder", NULL };
	const char *hdr = NULL;
	char *w;
	size_t i;

	if ((w = opt_word(f, "Auto-Submitted")) != NULL && strcmp(w, "no") != 0)
		hdr = "Auto-Submitted";
	free(w);
	if (hdr == NULL && (w = opt_word(f, "Precedence")) != NULL) {
		if (strcmp(w, "bulk") == 0 || strcmp(w, "junk") == 0 ||
		    strcmp(w, "list") == 0)
			hdr = "Precedence";
		free(w);
	}
	for (i = 0; hdr == NULL && present[i] != NULL; i++)
		if (inbox_opt_field(f, present[i]) != NULL)
			hdr = present[i];
	if (hdr == NULL && (w = opt_word(f, "X-Autogenerated")) != NULL) {
		if (strcmp(w, "reply") == 0)
			hdr = "X-Autogenerated";
		free(w);
	}
	return hdr;
}

static void
decide(struct inbox_msg *m, struct mailimf_fields *f, struct inbox_walk *w,
    const struct inbox_addrs *a)
{
	const char *envelope = a != NULL ? a->envelope_from : NULL;
	char *rcpts = recipients(f), *verp = inbox_verp_token(rcpts, envelope);
	char *first = NULL, tok[INBOX_TOKEN_LEN + 1];
	const char *text = w->text != NULL ? w->text : w->html;
	size_t text_len = w->text != NULL ? w->text_len : w->html_len;
	enum inbox_cmd cmd;
	int by_line = 0, mailto = 0;

	if (w->report) {
		decide_bounce(m, w, verp);
		goto out;
	}
	if (own_address(m->from, a)) {
		m->kind = INBOX_AUTOREPLY;
		set_why(m, "mail from our own address %.100s (a loop)",
		    m->from);
		goto out;
	}
	if (w->rsvp) {
		decide_rsvp(m);
		goto out;
	}
	if (mailer_daemon(m->from) || null_return_path(f)) {
		if (verp != NULL) {
			decide_bounce(m, w, verp);
			goto out;
		}
		m->kind = INBOX_AUTOREPLY;
		set_why(m, "mail from %.100s that is not a delivery report",
		    m->from ? m->from : "the null sender");
		goto out;
	}

	cmd = inbox_command(m->subject, tok);
	mailto = cmd == INBOX_CMD_UNSUBSCRIBE && tok[0] != '\0';
	if (!mailto) {
		const char *hdr = auto_header(f);

		if (hdr != NULL) {
			m->kind = INBOX_AUTOREPLY;
			set_why(m, "automatic reply (%s)", hdr);
			goto out;
		}
		if (inbox_ooo_subject(m->subject)) {
			m->kind = INBOX_AUTOREPLY;
			set_why(m, "out-of-office reply: %.100s", m->subject);
			goto out;
		}
	}

	if (cmd == INBOX_CMD_NONE && text != NULL &&
	    (first = inbox_first_line(text, text_len, 1000)) != NULL) {
		cmd = inbox_command(first, tok);
		by_line = cmd != INBOX_CMD_NONE;
	}
	switch (cmd) {
	case INBOX_CMD_UNSUBSCRIBE:
		m->kind = INBOX_UNSUBSCRIBE;
		pick_token(m, tok, rcpts, text, text_len, 0);
		if (mailto)
			set_why(m, "unsubscribe by the List-Unsubscribe mailto "
			    "(token %s)", m->token);
		else
			set_why(m, "unsubscribe by the %s (token %s)",
			    by_line ? "first line" : "subject",
			    m->token ? m->token : "none: by From");
		break;
	case INBOX_CMD_SUBSCRIBE:
		m->kind = INBOX_SUBSCRIBE;
		set_why(m, "subscribe by the %s from %.100s",
		    by_line ? "first line" : "subject",
		    m->from ? m->from : "(no From)");
		break;
	case INBOX_CMD_CONFIRM:
		m->kind = INBOX_CONFIRM;
		pick_token(m, tok, rcpts, text, text_len, 1);
		set_why(m, "confirmation by the %s (token %s)",
		    by_line ? "first line" : "subject",
		    m->token ? m->token : "none: by From");
		break;
	case INBOX_CMD_NONE:
		pick_token(m, NULL, rcpts, text, text_len, 1);
		if (m->token != NULL) {
			m->kind = INBOX_CONFIRM;
			set_why(m, "confirmation: a reply carrying token %s",
			    m->token);
		} else if (w->cal_other != NULL)
			set_why(m, "not understood: %.150s, no command word",
			    w->cal_other);
		else
			set_why(m, "not understood: no calendar, no command "
			    "word");
		break;
	}
out:
	if (m->kind != INBOX_RSVP)
		ical_reply_free(&m->rsvp);	/* a loop, a report: not one */
	free(first);
	free(verp);
	free(rcpts);
}

/*
 * What makes libetpan's tree large or deep, counted before it is built:
 * mentions of "multipart" and "message/" (any case; every level of
 * nesting needs one) and lines starting with "--" (every part needs one).
 * 1 if the message is within NEST_MAX and DELIM_MAX, else 0.
 */
static int
tree_fits(const char *s, size_t len)
{
	size_t i, nest = 0, delim = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '-' && (i == 0 || s[i - 1] == '\n') &&
		    i + 1 < len && s[i + 1] == '-')
			delim++;
		else if ((s[i] | 0x20) == 'm' && i + 8 <= len &&
		    (strncasecmp(s + i, "multipart", 9) == 0 ||
		    strncasecmp(s + i, "message/", 8) == 0))
			nest++;
	}
	return nest <= NEST_MAX && delim <= DELIM_MAX;
}

/* The length of the top-level header block (to the empty line). */
static size_t
header_len(const char *s, size_t len)
{
	const char *e1 = memmem(s, len, "\n\n", 2),
	    *e2 = memmem(s, len, "\n\r\n", 3);

	if (e1 == NULL && e2 == NULL)
		return len;
	if (e1 == NULL || (e2 != NULL && e2 < e1))
		return (size_t)(e2 - s) + 1;
	return (size_t)(e1 - s) + 1;
}

/* The header alone (a message too large or nested too deeply). */
static void
header_only(const char *copy, size_t len, struct inbox_msg *m)
{
	struct mailimf_fields *f = NULL;
	size_t idx = 0, hlen = len < HEADER_MAX ? len : HEADER_MAX;
	const char *e;

	if ((e = memmem(copy, hlen, "\n\n", 2)) != NULL ||
	    (e = memmem(copy, hlen, "\r\n\r\n", 4)) != NULL)
		hlen = (size_t)(e - copy) + (*e == '\r' ? 2 : 1);
	if (mailimf_fields_parse(copy, hlen, &idx, &f) == MAILIMF_NO_ERROR &&
	    f != NULL) {
		header_basics(f, m);
		mailimf_fields_free(f);
	}
}

int
inbox_parse(const char *raw, size_t len, const struct inbox_addrs *a,
    struct inbox_msg *out)
{
	struct mailmime *root = NULL;
	struct mailimf_fields *f = NULL;
	struct inbox_walk w;
	char *copy;
	size_t idx = 0;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	out->kind = INBOX_UNKNOWN;
	if (raw == NULL || len == 0) {
		out->why = xstrdup("not understood: empty message");
		return 0;
	}
	/* libetpan gets a NUL-terminated copy: it cannot read past it */
	copy = xmalloc(len + 1);
	memcpy(copy, raw, len);
	copy[len] = '\0';
	if (len > INBOX_PARSE_MAX) {
		header_only(copy, len, out);
		out->why = xasprintf("not understood: message too large (%zu "
		    "bytes), not parsed", len);
		goto done;
	}
	if (header_len(copy, len) > HEADER_MAX) {
		header_only(copy, len, out);
		out->why = xstrdup("not understood: header too large, not "
		    "parsed");
		goto done;
	}
	if (!tree_fits(copy, len)) {
		header_only(copy, len, out);
		out->why = xstrdup("not understood: too many MIME parts or "
		    "levels, not parsed");
		goto done;
	}
	if (mailmime_parse(copy, len, &idx, &root) != MAILIMF_NO_ERROR ||
	    root == NULL) {
		header_only(copy, len, out);
		out->why = xstrdup("not understood: not a MIME message");
		goto done;
	}
	if (root->mm_type == MAILMIME_MESSAGE)
		f = root->mm_data.mm_message.mm_fields;
	header_basics(f, out);
	inbox_walk(root->mm_type == MAILMIME_MESSAGE ?
	    root->mm_data.mm_message.mm_msg_mime : root, &w, out);
	decide(out, f, &w, a);
done:
	if (root != NULL)
		mailmime_free(root);
	free(copy);
	inbox_walk_free(&w);
	if (out->why == NULL)
		out->why = xstrdup("not understood");
	return 0;
}
