/*
 * mime: composes Internet messages (RFC 5322, MIME RFC 2045-2049, RFC 2047
 * encoded-words, RFC 2231 parameters, iMIP RFC 6047).
 *
 * What libetpan writes, and what we write ourselves (and why):
 *
 * - libetpan writes the Date and Message-ID fields (mailimf_fields through
 *   mailimf_fields_write_driver: RFC 5322 date-time with weekday and zone)
 *   and every MIME-Version, Content-Type and Content-Transfer-Encoding
 *   field (mailmime_fields through mailmime_fields_write_driver: parameter
 *   values quoted, folded between parameters). Their values are ours and
 *   validated ASCII tokens, which libetpan writes correctly.
 *
 * - We write the fields that carry outside text (mimehdr.c: From, To,
 *   Reply-To,
 *   Subject, the caller's headers). libetpan 1.9's IMF writer quotes every
 *   display name that is not a single atom, so an RFC 2047-encoded name
 *   would land inside a quoted-string, where it must not be decoded (RFC
 *   2047 section 5); it refuses quoted names over 499 characters, collapses
 *   runs of white space, and mailimf_string_write cuts lines at 998 octets
 *   with a bare CRLF and no folding white space, which starts a new header
 *   line made of the caller's text. libetpan has no RFC 2047 encoder.
 *
 * - We encode bodies ourselves (below) and libetpan never sees them.
 *   Its quoted-printable writer duplicates white space before a line
 *   break ("a  \n" decodes as "a   "), passes a lone CR through raw and
 *   leaves white space at the end of the data unencoded.
 *
 * - We walk the MIME tree (its shape is fixed) instead of calling
 *   mailmime_write: libetpan writes every parameter value as a
 *   quoted-string, so it cannot write an RFC 2231 extended parameter
 *   (filename*=UTF-8''...; the quoted form is invalid and parsers flag it),
 *   which non-ASCII attachment names need. Boundaries are a few lines.
 *   (libetpan's parameter folding does not count the two quotes, so our
 *   boundaries are kept short enough that it never matters.)
 *
 * Boundaries are "=_A" or "=_M" plus 96 random bits in hex. Every body
 * is quoted-printable or base64, and neither encoding can produce "=_", so
 * a boundary can never occur inside encoded content; part headers are ours
 * and never start with "--".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/clist.h>
#include <libetpan/mailimf_types.h>
#include <libetpan/mailimf_types_helper.h>
#include <libetpan/mailimf_write_generic.h>
#include <libetpan/mailmime_types.h>
#include <libetpan/mailmime_types_helper.h>
#include <libetpan/mailmime_write_generic.h>

#include "log.h"
#include "mime.h"
#include "mimehdr.h"
#include "util.h"

/* ---- errors and small helpers ---- */

static int	fail(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(char **errstr, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("out of memory in mime");
	va_end(ap);
	*errstr = s;
	return -1;
}

/* Fails with a message naming an outside value, cleaned for logging. */
static int
fail_value(char **errstr, const char *what, const char *value)
{
	char *v = str_sanitize(value != NULL ? value : "(null)");

	fail(errstr, "%s \"%.200s\"", what, v);
	free(v);
	return -1;
}

static void *
chk(void *p)
{
	if (p == NULL)
		fatalx("out of memory in libetpan");
	return p;
}

/* libetpan's output callback: appends to a struct buf (0 means error). */
static int
buf_sink(void *data, const char *s, size_t n)
{
	buf_append(data, s, n);
	return 1;
}

static int
validate(const struct mime_msg *m, char **errstr)
{
	const char *dom;
	size_t i;

	if (!mime_valid_addr(m->from_addr))
		return fail_value(errstr, "invalid From address", m->from_addr);
	if (!mime_valid_addr(m->to_addr))
		return fail_value(errstr, "invalid To address", m->to_addr);
	if (m->reply_to_addr != NULL && !mime_valid_addr(m->reply_to_addr))
		return fail_value(errstr, "invalid Reply-To address",
		    m->reply_to_addr);
	dom = m->msgid_domain;
	if (dom != NULL && !mimehdr_valid_domain(dom))
		return fail_value(errstr, "invalid Message-ID domain", dom);
	if (m->text == NULL && m->html == NULL)
		return fail(errstr, "message has neither text nor HTML");
	if (m->calendar != NULL) {
		if (m->calendar_len == 0)
			return fail(errstr, "empty calendar object");
		if (m->calendar_method == NULL ||
		    !mimehdr_valid_token(m->calendar_method, 32))
			return fail_value(errstr, "invalid calendar method",
			    m->calendar_method);
	}
	for (i = 0; i < m->n_extra; i++)
		if (m->extra[i].name == NULL ||
		    !mimehdr_valid_extra_name(m->extra[i].name))
			return fail_value(errstr, "invalid or reserved header "
			    "name", m->extra[i].name);
	for (i = 0; i < m->n_att; i++) {
		if (m->att[i].filename == NULL ||
		    strlen(m->att[i].filename) > MIMEHDR_TEXT_MAX ||
		    (m->att[i].data == NULL && m->att[i].len > 0))
			return fail(errstr, "attachment %zu: no or too long "
			    "file name, or no data", i + 1);
		if (m->att[i].content_type != NULL &&
		    !mimehdr_valid_content_type(m->att[i].content_type))
			return fail_value(errstr, "invalid attachment content "
			    "type", m->att[i].content_type);
	}
	return 0;
}

/* ---- content transfer encodings ---- */

#define QP_MAX_LINE	76	/* RFC 2045 6.7 rule 5 */
#define B64_LINE_GROUPS	19	/* 19 * 4 = 76 characters a line */

static const char hexdig[] = "0123456789ABCDEF";

/* Makes room for at most n more bytes and returns where to write them. */
static char *
reserve(struct buf *out, size_t n)
{
	buf_reserve(out, n);
	return out->data + out->len;
}

/* Ends a pointer-based write started with reserve(). */
static void
commit(struct buf *out, char *end)
{
	out->len = (size_t)(end - out->data);
	out->data[out->len] = '\0';
}

/* Length of the line break at p (CRLF = 2, lone CR or LF = 1). */
static size_t
eol_len(const unsigned char *p, const unsigned char *end)
{
	if (p[0] == '\r' && p + 1 < end && p[1] == '\n')
		return 2;
	return 1;
}

/* Byte classes for quoted-printable, as a table built at compile time. */
enum { QP_LIT, QP_ESC, QP_WS, QP_EOL };
#define QPC(c)	((c) == '\r' || (c) == '\n' ? QP_EOL : \
		(c) == ' ' || (c) == '\t' ? QP_WS : \
		(c) > ' ' && (c) < 127 && (c) != '=' ? QP_LIT : QP_ESC)
#define QP4(n)	QPC(n), QPC((n) + 1), QPC((n) + 2), QPC((n) + 3)
#define QP16(n)	QP4(n), QP4((n) + 4), QP4((n) + 8), QP4((n) + 12)
#define QP64(n)	QP16(n), QP16((n) + 16), QP16((n) + 32), QP16((n) + 48)
static const unsigned char qp_class[256] = {
	QP64(0), QP64(64), QP64(128), QP64(192)
};

/* 1 if a line break or the end of the data follows p. */
static int
qp_eol_next(const unsigned char *p, const unsigned char *end)
{
	return p + 1 == end || qp_class[p[1]] == QP_EOL;
}

/* 1 if the byte at p must be encoded because it starts a line. */
static int
qp_bol_esc(const unsigned char *p, const unsigned char *end)
{
	return *p == '.' || (*p == 'F' && end - p >= 5 &&
	    memcmp(p, "From ", 5) == 0);
}

void
mime_qp_encode(const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data, *end = p + len, *run, *start;
	size_t col = 0, w;
	char *o;
	int k;

	if (len > SIZE_MAX / 4)
		fatalx("mime_qp_encode: %zu bytes is too large", len);
	/*
	 * Bound: 3 characters per input byte at most; a line break costs 2
	 * for at least 1 input byte; a soft break (3) follows at least 73
	 * characters of output, so soft breaks add less than 3 * 3n / 73,
	 * which is below n / 8.
	 */
	o = reserve(out, 3 * len + len / 8 + 16);
	while (p < end) {
		k = qp_class[*p];
		if (k == QP_EOL) {
			*o++ = '\r';
			*o++ = '\n';
			p += eol_len(p, end);
			col = 0;
			continue;
		}
		/* White space is encoded only at the end of a line. */
		if (k == QP_WS)
			k = qp_eol_next(p, end) ? QP_ESC : QP_LIT;
		if (col == 0 && qp_bol_esc(p, end))
			k = QP_ESC;
		w = k == QP_LIT ? 1 : 3;
		/* 75 characters and '=', or 76 if the line ends here. */
		if (col + w > QP_MAX_LINE - 1 && !(col + w == QP_MAX_LINE &&
		    qp_eol_next(p, end))) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			if (qp_bol_esc(p, end)) {
				k = QP_ESC;
				w = 3;
			}
		}
		if (k == QP_LIT)
			*o++ = (char)*p;
		else {
			*o++ = '=';
			*o++ = hexdig[*p >> 4];
			*o++ = hexdig[*p & 0xf];
		}
		col += w;
		p++;
		/* Fast path: a run of bytes that stay as they are. */
		if (col >= QP_MAX_LINE - 1)
			continue;
		run = (size_t)(end - p) > QP_MAX_LINE - 1 - col ?
		    p + (QP_MAX_LINE - 1 - col) : end;
		for (start = p; p < run; p++) {
			k = qp_class[*p];
			if (k != QP_LIT && (k != QP_WS || qp_eol_next(p, end)))
				break;
		}
		memcpy(o, start, (size_t)(p - start));
		o += p - start;
		col += (size_t)(p - start);
	}
	commit(out, o);
}

void
mime_base64_encode(const void *data, size_t len, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = data;
	size_t groups, i, n;
	uint32_t v;
	char *o;

	if (len > SIZE_MAX / 2)
		fatalx("mime_base64_encode: %zu bytes is too large", len);
	groups = (len + 2) / 3;
	o = reserve(out, 4 * groups + 2 * (groups / B64_LINE_GROUPS) + 4);
	for (i = 0, n = 0; i + 3 <= len; i += 3) {
		if (n == B64_LINE_GROUPS) {
			*o++ = '\r';
			*o++ = '\n';
			n = 0;
		}
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 0x3f];
		*o++ = tab[(v >> 6) & 0x3f];
		*o++ = tab[v & 0x3f];
		n++;
	}
	if (i < len) {
		if (n == B64_LINE_GROUPS) {
			*o++ = '\r';
			*o++ = '\n';
		}
		v = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 0x3f];
		*o++ = i + 1 < len ? tab[(v >> 6) & 0x3f] : '=';
		*o++ = '=';
	}
	commit(out, o);
}

static void
crlf_normalize(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *q;
	char *o;

	if (len > SIZE_MAX / 2)
		fatalx("crlf_normalize: %zu bytes is too large", len);
	o = reserve(out, 2 * len);
	while (p < end) {
		for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
			;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		if (q == end)
			break;
		*o++ = '\r';
		*o++ = '\n';
		p = q + eol_len(q, end);
	}
	commit(out, o);
}

/* ---- fields written by libetpan ---- */

long
mime_utc_offset(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* "Date: ..." and "Message-ID: <msgid>". Returns -1 if t is out of range. */
static int
put_date_msgid(struct buf *b, time_t t, long off, const char *msgid)
{
	struct mailimf_date_time *dt;
	struct mailimf_fields *f;
	struct tm tm;
	time_t lt;
	long a;
	int col = 0, zone, r;

	/* Years 1900 to 9999 (libetpan's weekday formula needs > 1752). */
	if (off <= -86400 || off >= 86400 || (long long)t < -2208988800LL ||
	    (long long)t > 253402214400LL)
		return -1;
	lt = t + off;
	if (gmtime_r(&lt, &tm) == NULL)
		return -1;
	a = off < 0 ? -off : off;
	zone = (int)(a / 3600 * 100 + a % 3600 / 60);
	dt = chk(mailimf_date_time_new(tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? -zone : zone));
	f = chk(mailimf_fields_new_with_data_all(dt, NULL, NULL, NULL, NULL,
	    NULL, NULL, xstrdup(msgid), NULL, NULL, NULL));
	r = mailimf_fields_write_driver(buf_sink, b, &col, f);
	mailimf_fields_free(f);
	if (r != MAILIMF_NO_ERROR)
		fatalx("libetpan cannot write Date/Message-ID (%d)", r);
	return 0;
}

struct ctparam {
	const char	*name;
	const char	*value;
};

static void
add_mime_field(struct mailmime_fields *f, int type,
    struct mailmime_content *ct, struct mailmime_mechanism *enc,
    uint32_t version)
{
	struct mailmime_field *fld;

	fld = chk(mailmime_field_new(type, ct, enc, NULL, NULL, version, NULL,
	    NULL, NULL));
	if (mailmime_fields_add(f, fld) != MAILIMF_NO_ERROR)
		fatalx("out of memory in libetpan");
}

/*
 * Writes [MIME-Version,] Content-Type (type with parameters) and, if
 * mechanism is not 0, Content-Transfer-Encoding. type, parameter names
 * and values are ours or validated tokens.
 */
static void
put_mime_fields(struct buf *b, int version, const char *type,
    const struct ctparam *par, size_t npar, int mechanism)
{
	struct mailmime_fields *f;
	struct mailmime_content *ct;
	struct mailmime_parameter *p;
	size_t i;
	int col = 0;

	f = chk(mailmime_fields_new_empty());
	if (version)
		add_mime_field(f, MAILMIME_FIELD_VERSION, NULL, NULL, 1 << 16);
	ct = mailmime_content_new_with_str(type);
	if (ct == NULL || ct->ct_parameters == NULL)
		fatalx("libetpan cannot parse content type %s", type);
	for (i = 0; i < npar; i++) {
		p = chk(mailmime_param_new_with_data((char *)par[i].name,
		    (char *)par[i].value));
		if (clist_append(ct->ct_parameters, p) < 0)
			fatalx("out of memory in libetpan");
	}
	add_mime_field(f, MAILMIME_FIELD_TYPE, ct, NULL, 0);
	if (mechanism != 0)
		add_mime_field(f, MAILMIME_FIELD_TRANSFER_ENCODING, NULL,
		    chk(mailmime_mechanism_new(mechanism, NULL)), 0);
	if (mailmime_fields_write_driver(buf_sink, b, &col, f) !=
	    MAILIMF_NO_ERROR)
		fatalx("libetpan cannot write the MIME fields of %s", type);
	mailmime_fields_free(f);
}

/* ---- body ---- */

static const struct ctparam utf8_param = { "charset", "UTF-8" };

/* A text part: headers, empty line, quoted-printable content. */
static void
put_text_part(struct buf *b, int version, const char *type,
    const char *data, size_t len)
{
	put_mime_fields(b, version, type, &utf8_param, 1,
	    MAILMIME_MECHANISM_QUOTED_PRINTABLE);
	buf_append(b, "\r\n", 2);
	mime_qp_encode(data, len, b);
}

/* A dash-boundary line; all but the first start with the CRLF that
 * belongs to the delimiter (RFC 2046 5.1.1). */
static void
put_delim(struct buf *b, const char *bnd, int first)
{
	buf_printf(b, "%s--%s\r\n", first ? "" : "\r\n", bnd);
}

/* The parts of multipart/alternative, up to its close-delimiter. */
static void
put_alternative(struct buf *b, const struct mime_msg *m, const char *bnd,
    const struct buf *cal)
{
	struct ctparam cp[2] = { { "charset", "UTF-8" },
	    { "method", m->calendar_method } };
	int first = 1;

	if (m->text != NULL) {
		put_delim(b, bnd, first);
		put_text_part(b, 0, "text/plain", m->text, m->text_len);
		first = 0;
	}
	if (m->html != NULL) {
		put_delim(b, bnd, first);
		put_text_part(b, 0, "text/html", m->html, m->html_len);
		first = 0;
	}
	if (m->calendar != NULL) {
		put_delim(b, bnd, first);
		put_mime_fields(b, 0, "text/calendar", cp, 2,
		    MAILMIME_MECHANISM_BASE64);
		buf_append(b, "\r\n", 2);
		mime_base64_encode(cal->data, cal->len, b);
	}
	buf_printf(b, "\r\n--%s--", bnd);
}

/* An attachment part of multipart/mixed (after its delimiter). */
static void
put_attachment(struct buf *b, struct buf *tmp, const char *type,
    const char *filename, const void *data, size_t len)
{
	struct ctparam np = { "name", mimehdr_name_param(filename, tmp) };

	put_mime_fields(b, 0, type, &np, np.value != NULL ? 1 : 0,
	    MAILMIME_MECHANISM_BASE64);
	mimehdr_disposition(b, tmp, filename);
	buf_append(b, "\r\n", 2);
	mime_base64_encode(data, len, b);
}

int
mime_build(const struct mime_msg *m, struct buf *out, char **message_id,
    char **errstr)
{
	struct buf tmp, cal;
	struct ctparam bp = { "boundary", NULL };
	const struct mime_header *h;
	char *rnd, *msgid, balt[40], bmix[40];
	const char *dom;
	size_t start = out->len, i;
	int alt, mixed;

	if (validate(m, errstr) == -1)
		return -1;
	dom = m->msgid_domain != NULL ? m->msgid_domain :
	    strrchr(m->from_addr, '@') + 1;
	/* One getrandom() for the Message-ID (128 bits) and both
	 * boundaries (96 bits each). */
	rnd = random_hex(16 + 12 + 12);
	msgid = xasprintf("%.32s@%s", m->msgid_local != NULL ?
	    m->msgid_local : rnd, dom);
	snprintf(balt, sizeof(balt), "=_A%.24s", rnd + 32);
	snprintf(bmix, sizeof(bmix), "=_M%.24s", rnd + 56);
	free(rnd);
	buf_init(&tmp);
	buf_init(&cal);

	if (put_date_msgid(out, m->date, m->utc_offset, msgid) == -1) {
		fail(errstr, "date or UTC offset out of range");
		goto bad;
	}
	if (mimehdr_mailbox(out, &tmp, "From", m->from_name,
	    m->from_addr) != 0) {
		fail(errstr, "From display name is too long");
		goto bad;
	}
	if (m->reply_to_addr != NULL)
		mimehdr_mailbox(out, &tmp, "Reply-To", NULL, m->reply_to_addr);
	if (mimehdr_mailbox(out, &tmp, "To", m->to_name, m->to_addr) != 0) {
		fail(errstr, "To display name is too long");
		goto bad;
	}
	if (m->subject != NULL &&
	    mimehdr_field(out, &tmp, "Subject", m->subject, 0) != 0) {
		fail(errstr, "subject is too long");
		goto bad;
	}
	for (h = m->extra; h < m->extra + m->n_extra; h++) {
		switch (mimehdr_field(out, &tmp, h->name, h->value,
		    h->flags & MIME_HDR_RAW)) {
		case 0:
			continue;
		case MIMEHDR_NOT_ASCII:
			fail(errstr, "header %s: structured value is not "
			    "ASCII", h->name);
			break;
		case MIMEHDR_UNFOLDABLE:
			fail(errstr, "header %s: a word is too long to fold",
			    h->name);
			break;
		default:
			fail(errstr, "header %s is too long", h->name);
			break;
		}
		goto bad;
	}

	if (m->calendar != NULL)
		crlf_normalize(m->calendar, m->calendar_len, &cal);
	mixed = m->calendar != NULL || m->n_att > 0;
	alt = (m->text != NULL && m->html != NULL) || m->calendar != NULL;
	if (!mixed && !alt) {
		if (m->text != NULL)
			put_text_part(out, 1, "text/plain", m->text,
			    m->text_len);
		else
			put_text_part(out, 1, "text/html", m->html,
			    m->html_len);
		if (out->len - start < 2 ||
		    memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
			buf_append(out, "\r\n", 2);
		goto done;
	}
	bp.value = mixed ? bmix : balt;
	put_mime_fields(out, 1, mixed ? "multipart/mixed" :
	    "multipart/alternative", &bp, 1, 0);
	buf_append(out, "\r\n", 2);
	if (!mixed) {
		put_alternative(out, m, balt, &cal);
		buf_append(out, "\r\n", 2);
		goto done;
	}
	put_delim(out, bmix, 1);
	if (alt) {
		bp.value = balt;
		put_mime_fields(out, 0, "multipart/alternative", &bp, 1, 0);
		buf_append(out, "\r\n", 2);
		put_alternative(out, m, balt, &cal);
	} else if (m->text != NULL)
		put_text_part(out, 0, "text/plain", m->text, m->text_len);
	else
		put_text_part(out, 0, "text/html", m->html, m->html_len);
	if (m->calendar != NULL) {
		put_delim(out, bmix, 0);
		put_attachment(out, &tmp, "application/ics", "invite.ics",
		    cal.data, cal.len);
	}
	for (i = 0; i < m->n_att; i++) {
		put_delim(out, bmix, 0);
		put_attachment(out, &tmp, m->att[i].content_type != NULL ?
		    m->att[i].content_type : "application/octet-stream",
		    m->att[i].filename, m->att[i].data, m->att[i].len);
	}
	buf_printf(out, "\r\n--%s--\r\n", bmix);
done:
	buf_free(&tmp);
	buf_free(&cal);
	if (message_id != NULL)
		*message_id = msgid;
	else
		free(msgid);
	return 0;
bad:
	buf_free(&tmp);
	buf_free(&cal);
	free(msgid);
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}
