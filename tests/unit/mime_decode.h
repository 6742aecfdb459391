/*
 * Strict decoders for the output of mime (quoted-printable, base64, RFC
 * 2047 header words), line checks and a header-block splitter, shared by
 * test_mime.c and test_mime_enc.c. Each decoder also asserts what our
 * encoders promise (line lengths, escapes, word sizes), so a test fails on
 * any deviation.
 * Include after <cmocka.h>, "util.h" and <string.h>.
 */
#ifndef RUNDBRIEF_TEST_MIME_DECODE_H
#define RUNDBRIEF_TEST_MIME_DECODE_H

#define EW_MAX	75


static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;	/* lower case is not what we write */
}

static int
b64val(int c)
{
	const char *tab =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != 0 ? strchr(tab, c) : NULL;

	return p != NULL ? (int)(p - tab) : -1;
}

/* Strict base64 decoder: CRLF between lines only, padding at the end. */
static void
b64_decode(const char *s, size_t n, struct buf *out)
{
	uint32_t v = 0;
	size_t i, bits = 0, pad = 0;
	int d;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < n && s[i + 1] == '\n');
			i++;
			continue;
		}
		if (s[i] == '=') {
			pad++;
			continue;
		}
		assert_int_equal(pad, 0);
		d = b64val((unsigned char)s[i]);
		assert_true(d >= 0);
		v = v << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)(v >> bits & 0xff));
		}
	}
}

/*
 * Strict quoted-printable decoder that also checks our encoder's promises:
 * CRLF line ends, lines of at most 76, no white space before a line end,
 * '=' only before two upper-case hex digits or a line end.
 */
static void
qp_decode(const char *s, size_t n, struct buf *out)
{
	size_t i = 0, ls, le;

	while (i < n) {
		ls = i;
		for (le = ls; le < n && s[le] != '\r' && s[le] != '\n'; le++)
			;
		assert_true(le - ls <= 76);
		if (le > ls)
			assert_true(s[le - 1] != ' ' && s[le - 1] != '\t');
		for (i = ls; i < le; i++) {
			if (s[i] == '=' && i + 1 == le)
				break;	/* soft line break */
			if (s[i] == '=') {
				assert_true(i + 2 < le || (i + 2 == le &&
				    hexval(s[i + 1]) >= 0));
				assert_true(hexval(s[i + 1]) >= 0 &&
				    hexval(s[i + 2]) >= 0);
				buf_putc(out, (char)(hexval(s[i + 1]) << 4 |
				    hexval(s[i + 2])));
				i += 2;
				continue;
			}
			assert_true((s[i] >= ' ' && s[i] < 127) ||
			    s[i] == '\t');
			buf_putc(out, s[i]);
		}
		if (le == n)
			break;
		assert_true(le + 1 < n + 1 && s[le] == '\r' &&
		    s[le + 1] == '\n');
		if (!(le > ls && s[le - 1] == '='))
			buf_append(out, "\r\n", 2);
		i = le + 2;
	}
}

/* s with every line break (CRLF, CR, LF) as CRLF. */
static void
crlf(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			buf_append(out, "\r\n", 2);
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
		} else
			buf_putc(out, s[i]);
	}
}

/* Characters RFC 2047 5 (3) allows as they are in a Q word in a phrase. */
static int
phrase_safe(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!*+-/", c) != NULL);
}

/*
 * Decodes a header value (after the colon, possibly folded) the way RFC
 * 2047 says: white space between two encoded-words is dropped. Checks that
 * every encoded-word has at most 75 characters, uses only characters
 * allowed in a phrase and decodes to valid UTF-8 on its own, and that no
 * plain word starts with "=?". Returns the decoded text (caller frees).
 */
static char *
decode_words(const char *v, size_t n)
{
	struct buf u, out, w;
	size_t i, j, ws, k;
	int prev_ew = 0, ew;

	buf_init(&u);
	buf_init(&out);
	buf_init(&w);
	for (i = 0; i < n; i++) {
		if (v[i] == '\r') {
			assert_true(i + 2 < n && v[i + 1] == '\n' &&
			    v[i + 2] == ' ');
			i++;
			continue;
		}
		assert_true(v[i] != '\n');
		buf_putc(&u, v[i]);
	}
	i = 0;
	while (i < u.len && u.data[i] == ' ')
		i++;
	while (i < u.len) {
		ws = i;
		while (i < u.len && u.data[i] == ' ')
			i++;
		for (j = i; j < u.len && u.data[j] != ' '; j++)
			;
		ew = j - i >= 12 && strncmp(u.data + i, "=?UTF-8?", 8) == 0;
		if (!ew)
			assert_false(j - i >= 2 && u.data[i] == '=' &&
			    u.data[i + 1] == '?');
		if (!(ew && prev_ew))
			buf_append(&out, u.data + ws, i - ws);
		if (ew) {
			assert_true(j - i <= EW_MAX);
			assert_true(u.data[i + 9] == '?' &&
			    u.data[j - 2] == '?' && u.data[j - 1] == '=');
			buf_reset(&w);
			if (u.data[i + 8] == 'B')
				b64_decode(u.data + i + 10, j - i - 12, &w);
			else {
				assert_int_equal(u.data[i + 8], 'Q');
				for (k = i + 10; k < j - 2; k++) {
					if (u.data[k] == '_')
						buf_putc(&w, ' ');
					else if (u.data[k] == '=') {
						buf_putc(&w, (char)(hexval(
						    u.data[k + 1]) << 4 |
						    hexval(u.data[k + 2])));
						k += 2;
					} else {
						assert_true(phrase_safe(
						    u.data[k]));
						buf_putc(&w, u.data[k]);
					}
				}
			}
			assert_true(utf8_valid(w.data ? w.data : "", w.len));
			buf_append(&out, w.data, w.len);
		} else
			buf_append(&out, u.data + i, j - i);
		prev_ew = ew;
		i = j;
	}
	buf_free(&u);
	buf_free(&w);
	return buf_steal(&out);
}

/* Every line ends with CRLF and has at most 998 octets. */
static void
check_lines(const char *s, size_t n)
{
	size_t i, col = 0;

	assert_true(n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n');
	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < n && s[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		assert_true(s[i] != '\n');
		assert_true(++col <= 998);
	}
}

#define MAX_HDRS 32

struct hdrs {
	char	 name[MAX_HDRS][80];
	size_t	 vstart[MAX_HDRS], vend[MAX_HDRS];
	size_t	 n;
	size_t	 body;	/* offset after the empty line */
};

/*
 * Splits the header block at the first empty line. Every line before it
 * is a "Name:" line or a continuation starting with a space; header lines
 * are at most maxline long.
 */
static void
parse_headers(const char *s, size_t len, struct hdrs *h, size_t maxline)
{
	const char *e, *colon;
	size_t pos = 0, ll;

	h->n = 0;
	for (;;) {
		e = memmem(s + pos, len - pos, "\r\n", 2);
		assert_non_null(e);
		ll = (size_t)(e - (s + pos));
		if (ll == 0) {
			h->body = pos + 2;
			return;
		}
		assert_true(ll <= maxline);
		if (s[pos] == ' ') {
			assert_true(h->n > 0);
			h->vend[h->n - 1] = (size_t)(e - s);
		} else {
			colon = memchr(s + pos, ':', ll);
			assert_non_null(colon);
			assert_true(h->n < MAX_HDRS);
			assert_true(colon - (s + pos) < 80);
			memcpy(h->name[h->n], s + pos, (size_t)(colon -
			    (s + pos)));
			h->name[h->n][colon - (s + pos)] = '\0';
			h->vstart[h->n] = (size_t)(colon - s) + 1;
			h->vend[h->n] = (size_t)(e - s);
			h->n++;
		}
		pos = (size_t)(e - s) + 2;
	}
}

/* The names in h are exactly the NULL-terminated list, in order. */
static void
assert_names(const struct hdrs *h, const char *const *names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		assert_true(i < h->n);
		assert_string_equal(h->name[i], names[i]);
	}
	assert_int_equal(i, h->n);
}

/* Index of header name in h (must be there). */
static size_t
hidx(const struct hdrs *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->name[i], name) == 0)
			return i;
	fail_msg("no header %s", name);
	return 0;
}

#endif
