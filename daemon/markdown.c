/*
 * markdown: the dialect, Markdown to HTML (md4c-html) with the link
 * policy, entities, and front matter. The plain-text renderer is in
 * markdown_text.c.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <md4c.h>
#include <md4c-html.h>

#include "markdown.h"
#include "util.h"

/* GitHub's dialect less task lists and indented code blocks; raw HTML
 * becomes escaped text. markdown_text.c uses the same dialect (with inline
 * HTML recognised, so it can drop it): keep the two in step. */
#define MD_HTML_FLAGS	(MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
	MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOINDENTEDCODEBLOCKS | \
	MD_FLAG_NOHTML)

#define UTF8_BOM	"\xef\xbb\xbf"
#define MD4C_PAD	64	/* zero bytes after md4c's input */
#define REPLACEMENT	0xfffd

/* ---- URLs ---- */

int
md_url_allowed(const char *u, size_t n, int image)
{
	static const char *const link_ok[] = {
		"http", "https", "mailto", "tel", NULL
	};
	static const char *const image_ok[] = { "http", "https", "cid", NULL };
	const char *const *ok = image ? image_ok : link_ok;
	size_t i;

	for (i = 0; i < n; i++)
		if (u[i] == ':' || u[i] == '/' || u[i] == '?' || u[i] == '#')
			break;
	if (i == n || u[i] != ':')
		return !image;
	for (; *ok != NULL; ok++)
		if (strlen(*ok) == i && strncasecmp(u, *ok, i) == 0)
			return 1;
	return 0;
}

/* Appends s to b with bytes that start no valid UTF-8 sequence replaced
 * by U+FFFD. */
static void
append_fixed(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		for (k = 1; k <= 4 && i + k <= n; k++)
			if (utf8_valid(s + i, k))
				break;
		if (k <= 4 && i + k <= n) {
			buf_append(b, s + i, k);
			i += k;
		} else {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
		}
	}
}

/* ---- entities ---- */

/* Appends the UTF-8 of c (U+FFFD for a surrogate or beyond U+10FFFF). */
static void
u8_put(struct buf *b, uint32_t c)
{
	char s[4];

	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = REPLACEMENT;
	if (c < 0x80) {
		buf_putc(b, (char)c);
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | c >> 6);
		s[1] = (char)(0x80 | (c & 0x3f));
		buf_append(b, s, 2);
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | c >> 12);
		s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		buf_append(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | c >> 18);
		s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		buf_append(b, s, 4);
	}
}

/* Names of U+00A0..U+00FF, in order. */
static const char *const latin1[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
	"uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr", "deg",
	"plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil",
	"sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
	"Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute",
	"Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc",
	"Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
	"Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc",
	"atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute",
	"ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
	"ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash",
	"ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml"
};

static const struct {
	const char	*name;
	uint32_t	 cp;
} named[] = {
	{ "quot", 0x22 }, { "amp", 0x26 }, { "apos", 0x27 }, { "lt", 0x3c },
	{ "gt", 0x3e }, { "OElig", 0x152 }, { "oelig", 0x153 },
	{ "Scaron", 0x160 }, { "scaron", 0x161 }, { "Yuml", 0x178 },
	{ "fnof", 0x192 }, { "circ", 0x2c6 }, { "tilde", 0x2dc },
	{ "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 },
	{ "zwnj", 0x200c }, { "zwj", 0x200d }, { "lrm", 0x200e },
	{ "rlm", 0x200f }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e },
	{ "dagger", 0x2020 }, { "Dagger", 0x2021 }, { "bull", 0x2022 },
	{ "hellip", 0x2026 }, { "permil", 0x2030 }, { "prime", 0x2032 },
	{ "Prime", 0x2033 }, { "lsaquo", 0x2039 }, { "rsaquo", 0x203a },
	{ "euro", 0x20ac }, { "trade", 0x2122 }, { "larr", 0x2190 },
	{ "uarr", 0x2191 }, { "rarr", 0x2192 }, { "darr", 0x2193 },
	{ "harr", 0x2194 }, { "rArr", 0x21d2 }, { "hArr", 0x21d4 },
	{ "minus", 0x2212 }, { "infin", 0x221e }, { "asymp", 0x2248 },
	{ "ne", 0x2260 }, { "le", 0x2264 }, { "ge", 0x2265 },
	{ "hearts", 0x2665 }, { "check", 0x2713 }, { "NewLine", 0x0a },
	{ "Tab", 0x09 }, { "nbhy", 0x2011 }, { "numsp", 0x2007 },
};

/* Windows-1252 meanings of U+0080..U+009F, as HTML reads &#150; etc. */
static const uint16_t cp1252[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178
};

/* The code point of a named entity (name without '&' and ';'), or 0. */
static uint32_t
entity_lookup(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < 96; i++)
		if (strlen(latin1[i]) == n && memcmp(latin1[i], name, n) == 0)
			return 0xa0 + (uint32_t)i;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n &&
		    memcmp(named[i].name, name, n) == 0)
			return named[i].cp;
	return 0;
}

int
md_entity_decode(const char *s, size_t n, struct buf *b)
{
	uint32_t c = 0;
	size_t i;
	int hex;

	if (n < 3 || s[0] != '&' || s[n - 1] != ';' ||
	    (s[1] != '#' && (c = entity_lookup(s + 1, n - 2)) == 0)) {
		buf_append(b, s, n);
		return 0;
	}
	if (s[1] == '#') {
		hex = s[2] == 'x' || s[2] == 'X';
		for (i = hex ? 3 : 2; i < n - 1; i++) {
			if (c > 0x10ffff)
				continue;	/* saturate */
			if (hex && isxdigit((unsigned char)s[i]))
				c = c * 16 + (uint32_t)(isdigit((unsigned char)
				    s[i]) ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
			else if (!hex && isdigit((unsigned char)s[i]))
				c = c * 10 + (uint32_t)(s[i] - '0');
		}
		if (c == 0)
			c = REPLACEMENT;
		else if (c >= 0x80 && c <= 0x9f)
			c = cp1252[c - 0x80];
	}
	if (c < 0x20 || c == 0x7f)
		c = ' ';
	u8_put(b, c);
	return 1;
}

/* ---- HTML ---- */

static void
html_collect(const MD_CHAR *s, MD_SIZE n, void *arg)
{
	buf_append(arg, s, n);
}

static int
starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/*
 * Copies md4c's HTML h to out, taking out links and images whose URL is
 * not allowed: a link keeps its text, an image leaves its alt text. With
 * raw HTML off every '<' in h is md4c's own markup, written as
 * <a href="URL"...>TEXT</a> and <img src="URL" alt="ALT"...>, with '"'
 * and '>' escaped inside attribute values; links do not nest.
 */
static void
html_filter(const char *h, size_t n, struct buf *out)
{
	const char *p = h, *end = h + n, *lt, *u, *q, *gt, *alt, *ae;
	int drop_close = 0, image;

	while ((lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		buf_append(out, p, (size_t)(lt - p));
		p = lt;
		if (drop_close && starts(p, end, "</a>")) {
			drop_close = 0;
			p += 4;
			continue;
		}
		image = starts(p, end, "<img src=\"");
		if (!image && !starts(p, end, "<a href=\"")) {
			buf_putc(out, *p++);
			continue;
		}
		u = p + (image ? 10 : 9);
		if ((q = memchr(u, '"', (size_t)(end - u))) == NULL ||
		    (gt = memchr(q, '>', (size_t)(end - q))) == NULL)
			break;
		if (md_url_allowed(u, (size_t)(q - u), image)) {
			buf_append(out, p, (size_t)(gt + 1 - p));
		} else if (image) {
			alt = memmem(q, (size_t)(gt - q), " alt=\"", 6);
			if (alt != NULL && (ae = memchr(alt + 6, '"',
			    (size_t)(gt - alt - 6))) != NULL)
				buf_append(out, alt + 6, (size_t)(ae - alt - 6));
		} else
			drop_close = 1;
		p = gt + 1;
	}
	buf_append(out, p, (size_t)(end - p));
}

/*
 * md4c 0.4.8 (Debian's) reads past the end of an input that does not end
 * with a newline, and more near permissive autolinks. It is given a copy
 * that ends with a newline (which changes no Markdown) followed by zero
 * padding; *n gets the length to parse. Caller frees.
 */
char *
md_padded_copy(const char *src, size_t len, size_t *n)
{
	char *p = xcalloc(1, len + 1 + MD4C_PAD);

	if (len > 0)
		memcpy(p, src, len);
	*n = len;
	if (len == 0 || src[len - 1] != '\n')
		p[(*n)++] = '\n';
	return p;
}

int
md_to_html(const char *src, size_t len, struct buf *out)
{
	struct buf raw, clean;
	char *in;
	size_t n;
	int rc;

	if (len >= UINT_MAX - 1 || !utf8_valid(src, len))
		return -1;
	in = md_padded_copy(src, len, &n);
	buf_init(&raw);
	buf_init(&clean);
	rc = md_html(in, (MD_SIZE)n, html_collect, &raw, MD_HTML_FLAGS,
	    MD_HTML_FLAG_SKIP_UTF8_BOM);
	free(in);
	if (rc == 0) {
		html_filter(raw.data ? raw.data : "", raw.len, &clean);
		/* md4c writes &#xD800; as an encoded surrogate */
		if (utf8_valid(clean.data ? clean.data : "", clean.len))
			buf_append(out, clean.data, clean.len);
		else
			append_fixed(out, clean.data, clean.len);
	}
	buf_free(&raw);
	buf_free(&clean);
	return rc == 0 ? 0 : -1;
}

/* ---- front matter ---- */

/* The line at p: its content ends at *end (without CR LF), the next line
 * starts at the return value. */
static size_t
line_at(const char *s, size_t len, size_t p, size_t *end)
{
	const char *nl = memchr(s + p, '\n', len - p);
	size_t e = nl ? (size_t)(nl - s) : len;

	*end = e;
	while (*end > p && (s[*end - 1] == '\r'))
		(*end)--;
	return nl ? e + 1 : len;
}

static int
is_fence(const char *s, size_t n)
{
	while (n > 3 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == 3 && memcmp(s, "---", 3) == 0;
}

static int
fm_fail(struct md_front *f, char **errstr, size_t line, const char *what,
    const char *key)
{
	char *k = key ? str_sanitize(key) : NULL;

	md_front_free(f);
	if (k != NULL)
		*errstr = xasprintf("line %zu: %s \"%s\"", line, what, k);
	else
		*errstr = xasprintf("line %zu: %s", line, what);
	free(k);
	return -1;
}

/* Parses one "key: value" line (s is a NUL-terminated copy) into f. */
static int
fm_field(struct md_front *f, char *s, size_t line, char **errstr)
{
	struct md_front_field *fl;
	char *colon, *key, *val, *p;
	size_t n;

	if ((colon = strchr(s, ':')) == NULL)
		return fm_fail(f, errstr, line, "expected \"key: value\" or "
		    "the \"---\" that ends the front matter", NULL);
	*colon = '\0';
	key = str_trim(s);
	val = str_trim(colon + 1);
	if (*key == '\0')
		return fm_fail(f, errstr, line, "missing key before ':'",
		    NULL);
	if (key[strspn(key, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")] != '\0')
		return fm_fail(f, errstr, line, "invalid key", key);
	for (p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (md_front_get(f, key) != NULL)
		return fm_fail(f, errstr, line, "duplicate key", key);
	n = strlen(val);
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
		val[n - 1] = '\0';
		val++;
		n -= 2;
	}
	for (p = val; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			break;
	if (*p != '\0' || !utf8_valid(val, n))
		return fm_fail(f, errstr, line,
		    "value is not valid UTF-8 text for key", key);
	f->fields = xrealloc(f->fields, (f->nfields + 1) * sizeof(*fl));
	fl = &f->fields[f->nfields++];
	fl->key = xstrdup(key);
	fl->value = xstrdup(val);
	return 0;
}

int
md_split_front_matter(const char *src, size_t len, struct md_front *out,
    char **errstr)
{
	size_t p = 0, e, next, line = 2;
	char *copy, *t;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len >= 3 && memcmp(src, UTF8_BOM, 3) == 0)
		p = 3;
	out->body = p;
	next = line_at(src, len, p, &e);
	if (!is_fence(src + p, e - p))
		return 0;
	for (p = next; p < len; p = next, line++) {
		next = line_at(src, len, p, &e);
		if (is_fence(src + p, e - p)) {
			out->body = next;
			out->subject = md_front_get(out, "subject");
			out->title = md_front_get(out, "title");
			out->preheader = md_front_get(out, "preheader");
			return 0;
		}
		if (memchr(src + p, '\0', e - p) != NULL)
			return fm_fail(out, errstr, line, "NUL byte", NULL);
		copy = xstrndup(src + p, e - p);
		t = str_trim(copy);
		rc = *t == '\0' || *t == '#' ? 0 :
		    fm_field(out, t, line, errstr);
		free(copy);
		if (rc != 0)
			return -1;
	}
	return fm_fail(out, errstr, 1,
	    "front matter is not closed by a \"---\" line", NULL);
}

const char *
md_front_get(const struct md_front *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].key, key) == 0)
			return f->fields[i].value;
	return NULL;
}

void
md_front_free(struct md_front *f)
{
	size_t i;

	for (i = 0; i < f->nfields; i++) {
		free(f->fields[i].key);
		free(f->fields[i].value);
	}
	free(f->fields);
	memset(f, 0, sizeof(*f));
}
