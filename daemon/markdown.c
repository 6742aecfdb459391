/*
 * markdown: the dialect, Markdown to HTML (md4c-html) with the link
 * policy, and front matter. The plain-text renderer is in markdown_text.c.
 */
#include <ctype.h>
#include <limits.h>
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
static char *
md4c_input(const char *src, size_t len, size_t *n)
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
	in = md4c_input(src, len, &n);
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
	for (p = key; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return fm_fail(f, errstr, line, "invalid key", key);
		*p = (char)tolower((unsigned char)*p);
	}
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
