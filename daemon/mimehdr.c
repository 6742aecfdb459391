/*
 * mimehdr: the header-field half of the mime module (see mimehdr.h).
 *
 * A field is written as tokens separated by folding white space: every
 * token is preceded by one space, or by CRLF + space when it would pass 78
 * characters. Outside text is cleaned first (no control characters), so
 * the only line breaks in a field are the ones written here, each followed
 * by a space: no value can start a new field or end the header block.
 * Encoded-words are sized to the room left on the line, so header lines
 * stay within 78 characters; only a raw (structured) value with a word
 * longer than that can make a longer line, and never one over 998.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mimehdr.h"
#include "util.h"

#define LINE_SOFT	78	/* RFC 5322 2.1.1: SHOULD */
#define LINE_HARD	998	/* RFC 5322 2.1.1: MUST */
#define EW_MAX		75	/* RFC 2047 2: longest encoded-word */
#define EW_OVERHEAD	12	/* "=?UTF-8?Q?" and "?=" */
#define EW_MIN		28	/* fold before a shorter word */
#define PLAIN_MAX	(LINE_SOFT - 1)	/* longest word on a line */

_Static_assert(MIMEHDR_NAME_MAX + 1 + 1 + EW_MIN <= LINE_SOFT,
    "a header name leaves no room for an encoded-word on its line");

/* ---- character classes (ASCII, independent of the locale) ---- */

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 2045 token character */
static int
is_token(int c)
{
	return c > ' ' && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Characters a Q encoded-word may carry as they are anywhere, including
 * in a phrase (RFC 2047 5 (3)). */
static int
is_qsafe(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!*+-/", c));
}

/* RFC 2231 / RFC 5987 attr-char */
static int
is_attr_char(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

/*
 * Length of the valid UTF-8 sequence at p (n > 0 bytes available), or 0.
 * Rejects overlong forms, surrogates and code points above U+10FFFF.
 */
static size_t
u8seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Length of the UTF-8 character starting with lead byte c (valid input). */
static size_t
u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

void
mime_clean_header_value(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	char *o;

	buf_reserve(out, len);
	while (i < len) {
		if (p[i] < 0x80) {
			/* ASCII run: written through a pointer, it is the
			 * common case. */
			buf_reserve(out, len - i);
			o = out->data + out->len;
			for (; i < len && p[i] < 0x80; i++)
				*o++ = p[i] < 0x20 || p[i] == 0x7f ?
				    ' ' : (char)p[i];
			out->len = (size_t)(o - out->data);
			out->data[out->len] = '\0';
			continue;
		}
		n = u8seq(p + i, len - i);
		if (n == 0) {
			buf_append(out, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
			continue;
		}
		if ((n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) ||
		    (n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)))
			buf_putc(out, ' ');	/* C1 control, U+2028/9 */
		else
			buf_append(out, p + i, n);
		i += n;
	}
}

/* Cleans s[0..len) into tmp (reset first) and trims spaces; returns the
 * text (inside tmp) and its length in *n. */
static const unsigned char *
clean_trim(const char *s, size_t len, struct buf *tmp, size_t *n)
{
	const unsigned char *p;

	buf_reset(tmp);
	mime_clean_header_value(s, len, tmp);
	p = (const unsigned char *)tmp->data;
	len = tmp->len;
	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	while (len > 0 && p[len - 1] == ' ')
		len--;
	*n = len;
	return p;
}

/* clean_trim() of a C string that may be NULL. */
static const unsigned char *
clean_trim_str(const char *s, struct buf *tmp, size_t *n)
{
	return clean_trim(s != NULL ? s : "", s != NULL ? strlen(s) : 0, tmp,
	    n);
}

/* ---- header lines: tokens and folding ---- */

struct hw {
	struct buf	*b;
	size_t		 col;	/* length of the current line */
	int		 first;	/* nothing after the colon yet */
};

static void
hw_begin(struct hw *w, struct buf *b, const char *name)
{
	w->b = b;
	buf_puts(b, name);
	buf_putc(b, ':');
	w->col = strlen(name) + 1;
	w->first = 1;
}

static void
hw_end(struct hw *w)
{
	buf_append(w->b, "\r\n", 2);
}

/*
 * Writes one unbreakable token t[0..n) preceded by a space, folding first
 * when it would pass LINE_SOFT (never right after the colon: some parsers
 * then keep the fold's space in the value). Returns -1 (nothing written)
 * if the line would still pass LINE_HARD.
 */
static int
hw_token(struct hw *w, const void *t, size_t n)
{
	if (!w->first && w->col + 1 + n > LINE_SOFT) {
		buf_append(w->b, "\r\n", 2);
		w->col = 0;
	}
	if (w->col + 1 + n > LINE_HARD)
		return -1;
	buf_putc(w->b, ' ');
	buf_append(w->b, t, n);
	w->col += 1 + n;
	w->first = 0;
	return 0;
}

/* Length of byte c in a Q encoded-word. */
static size_t
q_cost(unsigned char c)
{
	return is_qsafe(c) || c == ' ' ? 1 : 3;
}

/*
 * Writes s[0..n) (clean UTF-8, no control characters) as RFC 2047
 * encoded-words separated by folding white space. Q or B is chosen for
 * the whole run by output size; Q leaves only characters as they are that
 * are allowed in a phrase, so the words are valid in display names as well
 * as in unstructured text. Each word is at most EW_MAX long and as long as
 * the current line allows; words end at character boundaries, so each one
 * decodes to valid UTF-8 on its own.
 */
static void
put_encoded(struct hw *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t q = 0, i, j, k, m, cl, used, room, cap;
	int b64;

	for (i = 0; i < n; i++)
		q += q_cost(s[i]);
	b64 = (n + 2) / 3 * 4 < q;
	for (i = 0; i < n; i = j) {
		room = w->col + 1 < LINE_SOFT ? LINE_SOFT - w->col - 1 : 0;
		/* The value starts after "Name:" with a space, never with a
		 * fold; MIMEHDR_NAME_MAX leaves room for a word there. */
		if (room < EW_MIN && !w->first) {
			buf_append(w->b, "\r\n", 2);
			w->col = 0;
			room = LINE_SOFT - 1;
		}
		/* cap >= EW_MIN - EW_OVERHEAD = 16: a 4-byte character
		 * needs at most 12, so every word takes one at least. */
		cap = (room < EW_MAX ? room : EW_MAX) - EW_OVERHEAD;
		for (j = i, used = 0; j < n; j += cl) {
			cl = u8len(s[j]);
			if (cl > n - j)
				cl = n - j;
			if (b64)
				k = (j + cl - i + 2) / 3 * 4;
			else
				for (k = used, m = 0; m < cl; m++)
					k += q_cost(s[j + m]);
			if (k > cap)
				break;
			used = k;
		}
		if (j < n) {
			/* Break after the last space that fits, so each
			 * encoded-word ends a word ("von_" | "Überlingen"):
			 * readers that show the break as a space then still
			 * show whole words. The space stays inside the word
			 * (as '_'); white space between encoded-words does
			 * not count. */
			for (m = j; m > i + 1 && s[m - 1] != ' '; m--)
				;
			if (m > i + 1) {
				j = m;
				if (b64)
					used = (j - i + 2) / 3 * 4;
				else
					for (used = 0, k = i; k < j; k++)
						used += q_cost(s[k]);
			}
		}
		buf_append(w->b, b64 ? " =?UTF-8?B?" : " =?UTF-8?Q?", 11);
		if (b64)
			mime_base64_encode(s + i, j - i, w->b);
		else {
			for (m = i; m < j; m++) {
				if (s[m] == ' ')
					buf_putc(w->b, '_');
				else if (is_qsafe(s[m]))
					buf_putc(w->b, (char)s[m]);
				else {
					buf_putc(w->b, '=');
					buf_putc(w->b, hex[s[m] >> 4]);
					buf_putc(w->b, hex[s[m] & 0xf]);
				}
			}
		}
		buf_append(w->b, "?=", 2);
		w->col += 1 + EW_OVERHEAD + used;
		w->first = 0;
	}
}

/* 1 if the unstructured word t[0..n) cannot be written as it is. */
static int
needs_ew(const unsigned char *t, size_t n, size_t maxplain)
{
	size_t i;

	if (n > maxplain)
		return 1;
	for (i = 0; i < n; i++)
		if (t[i] >= 0x80 || (t[i] == '=' && i + 1 < n &&
		    t[i + 1] == '?'))
			return 1;
	return 0;
}

/*
 * Writes unstructured text s[0..n) (cleaned, trimmed). Words are split at
 * spaces; the first space between two words is the folding point, further
 * spaces belong to the next word so none is lost. Words that are not
 * ASCII, look like an encoded-word or are too long for a line, together
 * with the spaces between consecutive such words, become encoded-words;
 * the rest stays readable.
 */
static void
put_unstructured(struct hw *w, const unsigned char *s, size_t n)
{
	size_t ts, te = 0, rs = 0;
	int run = 0;

	while (te < n) {
		ts = te == 0 ? 0 : te + 1;
		for (te = ts; te < n && s[te] == ' '; te++)
			;
		for (; te < n && s[te] != ' '; te++)
			;
		if (needs_ew(s + ts, te - ts, ts == 0 ?
		    LINE_SOFT - w->col - 1 : PLAIN_MAX)) {
			if (!run)
				rs = ts;
			run = 1;
			continue;
		}
		if (run)
			put_encoded(w, s + rs, ts - 1 - rs);
		run = 0;
		hw_token(w, s + ts, te - ts);	/* <= PLAIN_MAX: fits */
	}
	if (run)
		put_encoded(w, s + rs, n - rs);
}

/*
 * Writes a display name s[0..n) (cleaned, trimmed, non-empty): as atoms
 * when it is plain ASCII made of atext words, as a quoted-string when it
 * is other printable ASCII that fits on the line, and as encoded-words
 * otherwise (non-ASCII, "=?", too long).
 */
static void
put_phrase(struct hw *w, const unsigned char *s, size_t n)
{
	size_t i, j, qlen = n + 2, room;
	int atoms = 1;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80 || (s[i] == '=' && i + 1 < n &&
		    s[i + 1] == '?')) {
			put_encoded(w, s, n);
			return;
		}
		if (s[i] == ' ')
			atoms = atoms && s[i - 1] != ' ';
		else if (!is_atext(s[i]))
			atoms = 0;
		if (s[i] == '"' || s[i] == '\\')
			qlen++;
	}
	room = LINE_SOFT - w->col - 1;
	if (atoms) {
		/* Every word must fit a line, the first this one. */
		for (i = 0; i < n; i = j + 1) {
			for (j = i; j < n && s[j] != ' '; j++)
				;
			if (j - i > (i == 0 ? room : PLAIN_MAX))
				break;
		}
		if (i >= n) {
			for (i = 0; i < n; i = j + 1) {
				for (j = i; j < n && s[j] != ' '; j++)
					;
				hw_token(w, s + i, j - i);
			}
			return;
		}
	}
	if (qlen > room) {
		put_encoded(w, s, n);
		return;
	}
	buf_append(w->b, " \"", 2);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(w->b, '\\');
		buf_putc(w->b, (char)s[i]);
	}
	buf_putc(w->b, '"');
	w->col += 1 + qlen;
	w->first = 0;
}

int
mimehdr_mailbox(struct buf *b, struct buf *tmp, const char *hdr,
    const char *name, const char *addr)
{
	char tok[260];
	const unsigned char *t;
	struct hw w;
	size_t n;

	t = clean_trim_str(name, tmp, &n);
	if (n > MIMEHDR_TEXT_MAX)
		return MIMEHDR_TOO_LONG;
	hw_begin(&w, b, hdr);
	if (n == 0)
		hw_token(&w, addr, strlen(addr));
	else {
		put_phrase(&w, t, n);
		/* A valid address has at most 254 characters. */
		hw_token(&w, tok, (size_t)snprintf(tok, sizeof(tok), "<%s>",
		    addr));
	}
	hw_end(&w);
	return 0;
}

int
mimehdr_field(struct buf *b, struct buf *tmp, const char *hdr,
    const char *value, int raw)
{
	const unsigned char *t;
	struct hw w;
	size_t n, i, ts, te;

	t = clean_trim_str(value, tmp, &n);
	if (n > MIMEHDR_TEXT_MAX)
		return MIMEHDR_TOO_LONG;
	for (i = 0; raw && i < n; i++)
		if (t[i] >= 0x80)
			return MIMEHDR_NOT_ASCII;
	hw_begin(&w, b, hdr);
	if (!raw)
		put_unstructured(&w, t, n);
	else {
		/* Tokens as in put_unstructured(), none encoded. */
		for (te = 0; te < n; ) {
			ts = te == 0 ? 0 : te + 1;
			for (te = ts; te < n && t[te] == ' '; te++)
				;
			for (; te < n && t[te] != ' '; te++)
				;
			if (hw_token(&w, t + ts, te - ts) == -1)
				return MIMEHDR_UNFOLDABLE;
		}
	}
	hw_end(&w);
	return 0;
}

int
mime_encode_header_words(const char *s, size_t len, size_t col,
    struct buf *out)
{
	struct buf tmp;
	struct hw w = { out, col, 1 };
	const unsigned char *t;
	size_t n;

	if (col > MIMEHDR_NAME_MAX + 1)
		return -1;
	buf_init(&tmp);
	t = clean_trim(s, len, &tmp, &n);
	if (n > MIMEHDR_TEXT_MAX) {
		buf_free(&tmp);
		return -1;
	}
	put_unstructured(&w, t, n);
	buf_free(&tmp);
	return 0;
}

/*
 * Content-Disposition: attachment with the filename
 * parameter: a quoted-string for short printable ASCII, otherwise RFC 2231
 * (filename*=UTF-8''%XX..., split into filename*0*, filename*1*, ...
 * sections at character boundaries when it does not fit a line).
 */
void
mimehdr_disposition(struct buf *b, struct buf *tmp, const char *filename)
{
	static const char hex[] = "0123456789ABCDEF";
	char tok[LINE_SOFT + 1];
	const unsigned char *t;
	struct hw w;
	size_t n, i, j, k, m, cl, tl, elen, qlen;
	int ascii = 1, single;

	t = clean_trim_str(filename, tmp, &n);
	hw_begin(&w, b, "Content-Disposition");
	if (n == 0) {
		hw_token(&w, "attachment", 10);
		hw_end(&w);
		return;
	}
	hw_token(&w, "attachment;", 11);
	qlen = n + 2;
	elen = 7;	/* UTF-8'' */
	for (i = 0; i < n; i++) {
		/* Many readers decode encoded-words even inside quoted
		 * strings: a name like one goes the RFC 2231 way. */
		if (t[i] >= 0x80 || (t[i] == '=' && i + 1 < n &&
		    t[i + 1] == '?'))
			ascii = 0;
		if (t[i] == '"' || t[i] == '\\')
			qlen++;
		elen += is_attr_char(t[i]) ? 1 : 3;
	}
	if (ascii && 9 + qlen <= PLAIN_MAX) {
		tl = (size_t)snprintf(tok, sizeof(tok), "filename=\"");
		for (i = 0; i < n; i++) {
			if (t[i] == '"' || t[i] == '\\')
				tok[tl++] = '\\';
			tok[tl++] = (char)t[i];
		}
		tok[tl++] = '"';
		hw_token(&w, tok, tl);
		hw_end(&w);
		return;
	}
	single = 10 + elen <= PLAIN_MAX;
	for (i = 0, k = 0; i < n; k++) {
		if (single)
			tl = (size_t)snprintf(tok, sizeof(tok),
			    "filename*=UTF-8''");
		else
			tl = (size_t)snprintf(tok, sizeof(tok),
			    "filename*%zu*=%s", k, k == 0 ? "UTF-8''" : "");
		/* Whole characters while the section and ';' fit. */
		for (j = i; j < n; j += cl) {
			cl = u8len(t[j]);
			if (cl > n - j)
				cl = n - j;
			for (m = 0, elen = 0; m < cl; m++)
				elen += is_attr_char(t[j + m]) ? 1 : 3;
			if (tl + elen + 1 > PLAIN_MAX)
				break;
			for (m = 0; m < cl; m++) {
				if (is_attr_char(t[j + m]))
					tok[tl++] = (char)t[j + m];
				else {
					tok[tl++] = '%';
					tok[tl++] = hex[t[j + m] >> 4];
					tok[tl++] = hex[t[j + m] & 0xf];
				}
			}
		}
		i = j;
		if (i < n)
			tok[tl++] = ';';
		hw_token(&w, tok, tl);
	}
	hw_end(&w);
}

const char *
mimehdr_name_param(const char *filename, struct buf *tmp)
{
	const unsigned char *t;
	size_t i, n;

	t = clean_trim_str(filename, tmp, &n);
	if (n == 0 || n > 60)
		return NULL;
	for (i = 0; i < n; i++)
		if (t[i] >= 127 || (t[i] == '=' && i + 1 < n &&
		    t[i + 1] == '?'))
			return NULL;	/* not ASCII, or an encoded-word */
	memmove(tmp->data, t, n);	/* t points into tmp */
	tmp->data[n] = '\0';
	tmp->len = n;
	return tmp->data;
}

/* ---- validation ---- */

int
mimehdr_valid_domain(const char *d)
{
	size_t i, label = 0, n = strlen(d);

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_alnum(d[i]) || d[i] == '-') {
			if (label == 0 && d[i] == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && d[n - 1] != '-';
}

int
mime_valid_addr(const char *addr)
{
	const char *at;
	size_t i, ln;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return 0;
	ln = (size_t)(at - addr);
	if (ln == 0 || ln > 64 || strlen(addr) > 254)
		return 0;
	/* dot-atom: atext runs separated by single dots */
	for (i = 0; i < ln; i++) {
		if (addr[i] == '.') {
			if (i == 0 || i == ln - 1 || addr[i - 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)addr[i]))
			return 0;
	}
	return mimehdr_valid_domain(at + 1);
}

int
mimehdr_valid_token(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || !is_token((unsigned char)s[i]))
			return 0;
	return i > 0;
}

int
mimehdr_valid_content_type(const char *ct)
{
	const char *slash = strchr(ct, '/');
	char type[128];
	size_t n = strlen(ct);

	if (slash == NULL || n > sizeof(type) - 1 ||
	    strncasecmp(ct, "multipart/", 10) == 0 ||
	    strncasecmp(ct, "message/", 8) == 0)
		return 0;
	memcpy(type, ct, (size_t)(slash - ct));
	type[slash - ct] = '\0';
	return mimehdr_valid_token(type, n) &&
	    mimehdr_valid_token(slash + 1, n);
}

int
mimehdr_valid_extra_name(const char *name)
{
	static const char *const ours[] = { "Date", "Message-ID", "From",
	    "Reply-To", "To", "Subject", "MIME-Version" };
	const unsigned char *p = (const unsigned char *)name;
	size_t i, n = strlen(name);

	if (n == 0 || n > MIMEHDR_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == ':')
			return 0;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strcasecmp(name, ours[i]) == 0)
			return 0;
	return strncasecmp(name, "Content-", 8) != 0;
}
