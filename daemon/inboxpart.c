/*
 * inboxpart: the walk over a message's MIME parts for inbox_parse() --
 * calendar parts (iTIP replies), the delivery-status part of a report,
 * the returned message's List-Unsubscribe, the first text body --
 * transfer-decoded and converted to UTF-8 with libetpan
 * (inboxparsepriv.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/charconv.h>
#include <libetpan/mailimf.h>
#include <libetpan/mailmime.h>
#include <libetpan/mailmime_decode.h>
#include <libetpan/mailmime_types_helper.h>

#include "ical.h"
#include "inboxparse.h"
#include "inboxparsepriv.h"
#include "util.h"

#define DEPTH_MAX	16	/* MIME levels we walk */
#define PARTS_MAX	256	/* parts we look at */
#define CAL_MAX		(4 * 1024 * 1024)	/* ical_parse_reply()'s limit */
#define TEXT_MAX	(1024 * 1024)	/* of a text body, for commands */

/* The value of the first optional (unknown to libetpan) field name. */
const char *
inbox_opt_field(struct mailimf_fields *f, const char *name)
{
	clistiter *it;
	struct mailimf_field *fl;

	if (f == NULL || f->fld_list == NULL)
		return NULL;
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		fl = clist_content(it);
		if (fl->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD &&
		    fl->fld_data.fld_optional_field->fld_name != NULL &&
		    strcasecmp(fl->fld_data.fld_optional_field->fld_name,
		    name) == 0)
			return fl->fld_data.fld_optional_field->fld_value;
	}
	return NULL;
}

/* ---- parts ---------------------------------------------------------- */

/* 1 if ct is type/subtype (case-insensitive); a part without a content
 * type is text/plain. */
static int
ct_is(struct mailmime_content *ct, const char *type, const char *subtype)
{
	const char *t = NULL;
	struct mailmime_type *tp;

	if (ct == NULL)
		return strcmp(type, "text") == 0 && strcmp(subtype, "plain") == 0;
	tp = ct->ct_type;
	if (tp == NULL || ct->ct_subtype == NULL ||
	    strcasecmp(ct->ct_subtype, subtype) != 0)
		return 0;
	if (tp->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		switch (tp->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application"; break;
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			t = tp->tp_data.tp_discrete_type->dt_extension;
			break;
		default: t = "other"; break;
		}
	} else if (tp->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		switch (tp->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: t = "message"; break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART: t = "multipart"; break;
		case MAILMIME_COMPOSITE_TYPE_EXTENSION:
			t = tp->tp_data.tp_composite_type->ct_token;
			break;
		default: t = "other"; break;
		}
	}
	return t != NULL && strcasecmp(t, type) == 0;
}

/* 1 if name ends in ".ics" (case-insensitive). */
static int
ics_name(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	return n > 4 && strcasecmp(name + n - 4, ".ics") == 0;
}

/*
 * The body of a single part, transfer-decoded (base64, quoted-printable)
 * and, with to_utf8, converted from its charset to UTF-8; at most max
 * bytes, NUL-terminated, *len its length. NULL if the part has no body.
 */
static char *
part_text(struct mailmime *mm, size_t max, int to_utf8, size_t *len)
{
	struct mailmime_data *d = mm->mm_data.mm_single;
	const char *cs;
	char *dec = NULL, *out, *conv = NULL;
	size_t idx = 0, n = 0, in;
	int enc;

	*len = 0;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return NULL;
	enc = mm->mm_mime_fields != NULL ?
	    mailmime_transfer_encoding_get(mm->mm_mime_fields) :
	    MAILMIME_MECHANISM_8BIT;
	in = d->dt_data.dt_text.dt_length;
	if (in > max / 3 * 4 + 1024)
		in = max / 3 * 4 + 1024;	/* enough for max decoded */
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, in, &idx, enc,
	    &dec, &n) != MAILIMF_NO_ERROR || dec == NULL)
		return NULL;
	if (n > max)
		n = max;
	out = xmalloc(n + 1);
	memcpy(out, dec, n);
	out[n] = '\0';
	mailmime_decoded_part_free(dec);
	*len = n;
	if (!to_utf8 || mm->mm_content_type == NULL)
		return out;
	cs = mailmime_content_charset_get(mm->mm_content_type);
	if (cs == NULL || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0)
		return out;
	if (charconv("utf-8", cs, out, n, &conv) == MAIL_CHARCONV_NO_ERROR &&
	    conv != NULL) {
		free(out);
		out = xstrdup(conv);
		*len = strlen(out);
	}
	free(conv);
	return out;
}

/* An HTML body as text for the first-line rule: tags dropped (block tags
 * end a line), head, style and script skipped, a few entities. */
static char *
html_text(const char *h, size_t len, size_t *outlen)
{
	static const char *const skip[] = { "head", "style", "script", NULL };
	static const char *const blocks[] = { "br", "p", "/p", "div", "/div",
	    "tr", "/tr", "li", "h1", "h2", "h3", "/h1", "/h2", "/h3",
	    "blockquote", "table", NULL };
	static const struct { const char *ent, *txt; } ents[] = {
		{ "&nbsp;", " " }, { "&amp;", "&" }, { "&lt;", "<" },
		{ "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
	};
	struct buf b;
	const char *p = h, *end = h + len, *q;
	size_t i, n;

	buf_init(&b);
	buf_puts(&b, "");
	while (p < end) {
		if (*p == '<') {
			if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
				q = memmem(p, (size_t)(end - p), "-->", 3);
				p = q != NULL ? q + 3 : end;
				continue;
			}
			for (i = 0; skip[i] != NULL; i++) {
				n = strlen(skip[i]);
				if ((size_t)(end - p) > n + 1 &&
				    strncasecmp(p + 1, skip[i], n) == 0 &&
				    !isalnum((unsigned char)p[1 + n]))
					break;
			}
			if (skip[i] != NULL) {
				char close[16];

				snprintf(close, sizeof(close), "</%s", skip[i]);
				for (q = p + 1; q < end; q++)
					if ((size_t)(end - q) >= strlen(close) &&
					    strncasecmp(q, close,
					    strlen(close)) == 0)
						break;
				p = q;
			}
			for (i = 0; blocks[i] != NULL; i++) {
				n = strlen(blocks[i]);
				if ((size_t)(end - p) > n + 1 &&
				    strncasecmp(p + 1, blocks[i], n) == 0 &&
				    !isalnum((unsigned char)p[1 + n])) {
					buf_putc(&b, '\n');
					break;
				}
			}
			q = memchr(p, '>', (size_t)(end - p));
			p = q != NULL ? q + 1 : end;
			continue;
		}
		if (*p == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				n = strlen(ents[i].ent);
				if ((size_t)(end - p) >= n &&
				    strncasecmp(p, ents[i].ent, n) == 0)
					break;
			}
			if (i < sizeof(ents) / sizeof(ents[0])) {
				buf_puts(&b, ents[i].txt);
				p += strlen(ents[i].ent);
				continue;
			}
		}
		buf_putc(&b, *p == '\0' ? ' ' : *p);
		p++;
	}
	*outlen = b.len;
	return buf_steal(&b);
}

/* A calendar part: an iTIP REPLY goes to m->rsvp (the first one wins). */
static void
calendar_part(struct mailmime *mm, struct inbox_walk *w, struct inbox_msg *m)
{
	struct ical_reply r;
	const char *mime_method = NULL;
	char *cal, *err = NULL;
	size_t len;
	int is_reply;

	if (w->rsvp)
		return;
	if ((cal = part_text(mm, CAL_MAX, 1, &len)) == NULL)
		return;
	if (mm->mm_content_type != NULL)
		mime_method = mailmime_content_param_get(mm->mm_content_type,
		    "method");
	if (ical_parse_reply(cal, len, &r, &err) < 0) {
		if (w->cal_other == NULL)
			w->cal_other = xasprintf("calendar not readable: %s",
			    err != NULL ? err : "?");
		free(err);
		free(cal);
		return;
	}
	free(cal);
	if (r.method != NULL)
		is_reply = strcmp(r.method, "REPLY") == 0;
	else if (mime_method != NULL)
		is_reply = strcasecmp(mime_method, "REPLY") == 0;
	else
		is_reply = strcmp(r.partstat, "NEEDS-ACTION") != 0;
	if (is_reply) {
		m->rsvp = r;
		w->rsvp = 1;
		return;
	}
	if (w->cal_other == NULL) {
		char *meth = inbox_clean_line(r.method != NULL ? r.method :
		    mime_method != NULL ? mime_method : "none",
		    strlen(r.method != NULL ? r.method : mime_method != NULL ?
		    mime_method : "none"), 20);

		w->cal_other = xasprintf("a calendar that is not a reply "
		    "(METHOD %s)", meth);
		free(meth);
	}
	ical_reply_free(&r);
}

/* text/rfc822-headers of a report: the List-Unsubscribe token. */
static void
returned_headers_text(const char *t, size_t len, struct inbox_walk *w)
{
	const char *p = t, *end = t + len, *eol;
	char tok[INBOX_TOKEN_LEN + 1];

	while (p < end && w->returned_token == NULL) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > 17 &&
		    strncasecmp(p, "List-Unsubscribe:", 17) == 0 &&
		    inbox_find_token(p, (size_t)(eol - p), 0, tok))
			w->returned_token = xstrdup(tok);
		p = eol < end ? eol + 1 : end;
	}
}

static void
single_part(struct mailmime *mm, int nested, int in_report, struct inbox_walk *w,
    struct inbox_msg *m)
{
	struct mailmime_single_fields sf;
	struct mailmime_content *ct = mm->mm_content_type;
	char *t;
	size_t len;
	int attachment;

	mailmime_single_fields_init(&sf, mm->mm_mime_fields, ct);
	attachment = sf.fld_disposition != NULL &&
	    sf.fld_disposition->dsp_type != NULL &&
	    sf.fld_disposition->dsp_type->dsp_type ==
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	if (ct_is(ct, "text", "calendar") || ct_is(ct, "application", "ics") ||
	    (ct_is(ct, "application", "octet-stream") &&
	    (ics_name(sf.fld_content_name) ||
	    ics_name(sf.fld_disposition_filename)))) {
		calendar_part(mm, w, m);
		return;
	}
	if (in_report && !w->have_dsn &&
	    (ct_is(ct, "message", "delivery-status") ||
	    ct_is(ct, "message", "global-delivery-status"))) {
		if ((t = part_text(mm, TEXT_MAX, 0, &len)) != NULL) {
			w->have_dsn = inbox_dsn_parse(t, len, &w->dsn) == 0;
			if (!w->have_dsn)
				inbox_dsn_free(&w->dsn);
			free(t);
		}
		return;
	}
	if (in_report && (ct_is(ct, "text", "rfc822-headers") ||
	    ct_is(ct, "message", "rfc822-headers"))) {
		if ((t = part_text(mm, TEXT_MAX, 0, &len)) != NULL) {
			returned_headers_text(t, len, w);
			free(t);
		}
		return;
	}
	if (nested > 0 || attachment)
		return;
	if (w->text == NULL && ct_is(ct, "text", "plain"))
		w->text = part_text(mm, TEXT_MAX, 1, &w->text_len);
	else if (w->html == NULL && ct_is(ct, "text", "html") &&
	    (t = part_text(mm, TEXT_MAX, 1, &len)) != NULL) {
		w->html = html_text(t, len, &w->html_len);
		free(t);
	}
}

/* Walks the tree below mm. nested: message/rfc822 levels above (their
 * text is someone else's); in_report: inside the top multipart/report. */
static void
walk_part(struct mailmime *mm, int depth, int nested, int in_report,
    struct inbox_walk *w, struct inbox_msg *m)
{
	clistiter *it;
	const char *rt;

	if (mm == NULL || depth > DEPTH_MAX || ++w->nparts > PARTS_MAX)
		return;
	switch (mm->mm_type) {
	case MAILMIME_SINGLE:
		single_part(mm, nested, in_report, w, m);
		break;
	case MAILMIME_MULTIPLE:
		if (nested == 0 && depth <= 1 && mm->mm_content_type != NULL &&
		    ct_is(mm->mm_content_type, "multipart", "report") &&
		    (rt = mailmime_content_param_get(mm->mm_content_type,
		    "report-type")) != NULL &&
		    (strcasecmp(rt, "delivery-status") == 0 ||
		    strcasecmp(rt, "global-delivery-status") == 0)) {
			w->report = 1;
			in_report = 1;
		}
		if (mm->mm_data.mm_multipart.mm_mp_list == NULL)
			break;
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it))
			walk_part(clist_content(it), depth + 1, nested, in_report,
			    w, m);
		break;
	case MAILMIME_MESSAGE:
		if (in_report && w->returned_token == NULL &&
		    mm->mm_data.mm_message.mm_fields != NULL) {
			const char *lu = inbox_opt_field(
			    mm->mm_data.mm_message.mm_fields,
			    "List-Unsubscribe");
			char tok[INBOX_TOKEN_LEN + 1];

			if (lu != NULL && inbox_find_token(lu, strlen(lu), 0,
			    tok))
				w->returned_token = xstrdup(tok);
		}
		walk_part(mm->mm_data.mm_message.mm_msg_mime, depth + 1,
		    nested + 1, 0, w, m);
		break;
	}
}

void
inbox_walk(struct mailmime *mm, struct inbox_walk *w, struct inbox_msg *m)
{
	walk_part(mm, 0, 0, 0, w, m);
}

void
inbox_walk_free(struct inbox_walk *w)
{
	inbox_dsn_free(&w->dsn);
	free(w->returned_token);
	free(w->cal_other);
	free(w->text);
	free(w->html);
	memset(w, 0, sizeof(*w));
}
