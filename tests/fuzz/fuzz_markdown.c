/*
 * fuzz_markdown: the input is a coordinator's Markdown file (editorial or
 * event description): md_split_front_matter(), md_to_html() and
 * md_to_text() at width 72, each on the whole input.
 *
 * md4c is Debian's build (not instrumented): coverage guidance comes from
 * markdown.c and markdown_text.c, and a read past the end inside md4c is
 * not seen by ASan (markdown.c pads md4c's input for that reason).
 *
 * Checked:
 *  - both renderers return 0 exactly for valid UTF-8 and leave out
 *    unchanged on -1; their output is valid UTF-8;
 *  - HTML: raw HTML never passes: every '<' opens or closes a tag md4c
 *    writes (p, em, a, img, table, ...), and no link or image points to a
 *    scheme we refuse, judged both by md_url_allowed() and, as a browser
 *    reads the attribute (entities decoded, blanks dropped), by a list of
 *    dangerous schemes;
 *  - text: no line ends in white space, and a non-empty text ends with
 *    exactly one newline;
 *  - front matter: keys are [a-z0-9_-]+ and unique, values valid UTF-8
 *    without control characters, the body offset is inside the input, the
 *    shortcuts match md_front_get(); on -1 an error "line N: ..." and a
 *    cleared struct.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "markdown.h"
#include "util.h"

#include "fuzz_common.h"

static const char *const tags[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol",
	"li", "hr", "pre", "code", "table", "thead", "tbody", "tr", "th", "td",
	"em", "strong", "del", "a", "img", "br", NULL
};

static int
tag_known(const char *s, size_t n)
{
	const char *const *t;

	for (t = tags; *t != NULL; t++)
		if (strlen(*t) == n && memcmp(*t, s, n) == 0)
			return 1;
	return 0;
}

/* The attribute value s[0..n) as a browser reads it: character references
 * decoded (named ones md4c writes, decimal and hex). */
static char *
attr_decode(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t i, k = 0;

	if (o == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] != '&') {
			o[k++] = s[i];
			continue;
		}
		if (n - i >= 5 && memcmp(s + i, "&amp;", 5) == 0) {
			o[k++] = '&';
			i += 4;
		} else if (n - i >= 6 && memcmp(s + i, "&quot;", 6) == 0) {
			o[k++] = '"';
			i += 5;
		} else if (n - i >= 4 && memcmp(s + i, "&lt;", 4) == 0) {
			o[k++] = '<';
			i += 3;
		} else if (n - i >= 4 && memcmp(s + i, "&gt;", 4) == 0) {
			o[k++] = '>';
			i += 3;
		} else if (n - i >= 3 && s[i + 1] == '#') {
			size_t j = i + 2;
			int hex = j < n && (s[j] == 'x' || s[j] == 'X');
			unsigned long v = 0;

			if (hex)
				j++;
			while (j < n && (hex ? isxdigit((unsigned char)s[j]) :
			    isdigit((unsigned char)s[j])) && v < 0x110000) {
				v = v * (hex ? 16 : 10) + (unsigned long)(
				    isdigit((unsigned char)s[j]) ? s[j] - '0' :
				    tolower((unsigned char)s[j]) - 'a' + 10);
				j++;
			}
			/* ASCII is all a scheme can be made of */
			o[k++] = v > 0 && v < 0x80 ? (char)v : '?';
			i = j < n && s[j] == ';' ? j : j - 1;
		} else
			o[k++] = '&';
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

/* What a browser would run or load from: leading blanks and controls are
 * skipped, tabs and line breaks inside are dropped. */
static int
url_dangerous(const char *u, size_t n)
{
	static const char *const bad[] = {
		"javascript:", "vbscript:", "data:", "file:", "livescript:",
		NULL
	};
	char scheme[16];
	const char *const *b;
	size_t i = 0, k = 0;

	while (i < n && (unsigned char)u[i] <= ' ')
		i++;
	for (; i < n && k < sizeof(scheme) - 1; i++) {
		if (u[i] == '\t' || u[i] == '\n' || u[i] == '\r')
			continue;
		scheme[k++] = (char)tolower((unsigned char)u[i]);
	}
	scheme[k] = '\0';
	for (b = bad; *b != NULL; b++)
		if (strncmp(scheme, *b, strlen(*b)) == 0)
			return 1;
	return 0;
}

static void
check_url(const char *tag, const char *end, const char *attr, int image)
{
	const char *v, *q;
	char *url;
	size_t n;

	v = memmem(tag, (size_t)(end - tag), attr, strlen(attr));
	if (v == NULL)
		return;
	v += strlen(attr);
	q = memchr(v, '"', (size_t)(end - v));
	FUZZ_CHECK(q != NULL);
	url = attr_decode(v, (size_t)(q - v), &n);
	FUZZ_CHECK(md_url_allowed(url, n, image));
	FUZZ_CHECK(!url_dangerous(url, n));
	free(url);
}

static void
check_html(const char *h, size_t n)
{
	const char *p = h, *end = h + n, *lt, *name, *gt;
	size_t len;

	FUZZ_CHECK(utf8_valid(h, n));
	while ((lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		name = lt + 1;
		if (name < end && *name == '/')
			name++;
		for (len = 0; name + len < end &&
		    isalnum((unsigned char)name[len]); len++)
			;
		FUZZ_CHECK(tag_known(name, len));
		FUZZ_CHECK(name + len < end && (name[len] == '>' ||
		    name[len] == ' ' || name[len] == '/'));
		gt = memchr(name, '>', (size_t)(end - name));
		FUZZ_CHECK(gt != NULL);
		/* no '<' inside a tag: attribute values are escaped */
		FUZZ_CHECK(memchr(name, '<', (size_t)(gt - name)) == NULL);
		if (lt[1] != '/') {
			if (len == 1 && name[0] == 'a')
				check_url(lt, gt, " href=\"", 0);
			else if (len == 3 && memcmp(name, "img", 3) == 0)
				check_url(lt, gt, " src=\"", 1);
		}
		p = gt + 1;
	}
}

static void
check_text(const char *s, size_t n)
{
	size_t i;

	FUZZ_CHECK(utf8_valid(s, n));
	if (n == 0)
		return;
	FUZZ_CHECK(s[n - 1] == '\n');
	FUZZ_CHECK(n == 1 || s[n - 2] != '\n');
	for (i = 0; i < n; i++)
		if (s[i] == '\n' && i > 0)
			FUZZ_CHECK(s[i - 1] != ' ' && s[i - 1] != '\t');
}

static void
check_front(const uint8_t *data, size_t size)
{
	struct md_front f;
	char *err = NULL;
	const char *k;
	size_t i, j;

	if (md_split_front_matter((const char *)data, size, &f, &err) != 0) {
		FUZZ_CHECK(err != NULL && strncmp(err, "line ", 5) == 0);
		FUZZ_CHECK(f.fields == NULL && f.nfields == 0);
		free(err);
		return;
	}
	FUZZ_CHECK(err == NULL);
	FUZZ_CHECK(f.body <= size);
	FUZZ_CHECK(f.nfields == 0 || f.fields != NULL);
	for (i = 0; i < f.nfields; i++) {
		k = f.fields[i].key;
		FUZZ_CHECK(*k != '\0');
		for (; *k; k++)
			FUZZ_CHECK((*k >= 'a' && *k <= 'z') ||
			    (*k >= '0' && *k <= '9') || *k == '_' || *k == '-');
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(f.fields[i].key,
			    f.fields[j].key) != 0);
		k = f.fields[i].value;
		FUZZ_CHECK(utf8_valid(k, strlen(k)));
		for (; *k; k++)
			FUZZ_CHECK(((unsigned char)*k >= 0x20 || *k == '\t') &&
			    *k != 0x7f);
	}
	FUZZ_CHECK(f.subject == md_front_get(&f, "subject"));
	FUZZ_CHECK(f.title == md_front_get(&f, "title"));
	FUZZ_CHECK(f.preheader == md_front_get(&f, "preheader"));
	md_front_free(&f);
	FUZZ_CHECK(f.fields == NULL && f.nfields == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct buf out;
	int valid = utf8_valid(src, size), rc;

	check_front(data, size);

	buf_init(&out);
	buf_puts(&out, "kept");		/* the renderers append */
	rc = md_to_html(src, size, &out);
	FUZZ_CHECK(rc == (valid ? 0 : -1));
	FUZZ_CHECK(out.len >= 4 && memcmp(out.data, "kept", 4) == 0);
	if (rc == 0)
		check_html(out.data + 4, out.len - 4);
	else
		FUZZ_CHECK(out.len == 4);

	buf_reset(&out);
	rc = md_to_text(src, size, 72, &out);
	FUZZ_CHECK(rc == (valid ? 0 : -1));
	if (rc == 0)
		check_text(out.data ? out.data : "", out.len);
	else
		FUZZ_CHECK(out.len == 0);
	buf_free(&out);
	return 0;
}
