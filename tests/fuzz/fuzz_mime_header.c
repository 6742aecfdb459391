/*
 * fuzz_mime_header: the input is text from outside (a subscriber's name,
 * an event title) on its way into a mail header, for
 * mime_clean_header_value() and mime_encode_header_words().
 *
 * The first byte chooses the column the value starts at (what a header
 * name of that length leaves, 0..79; over 65 must be refused), the rest is
 * the text.
 *
 * Checked:
 *  - clean: valid UTF-8 without C0/C1 controls, DEL or U+2028/U+2029;
 *  - encode: returns -1 exactly when col > 65 or the cleaned, trimmed text
 *    is over 16 KiB, and then leaves out alone; otherwise the output is
 *    printable ASCII in which CR and LF occur only as the fold CRLF SP,
 *    it starts with a space (unless empty; but see findings/README.md:
 *    from col 50 on it may start with a fold), ends neither in CRLF nor in a
 *    space, keeps every line (the first one counted from col) within 78
 *    characters, every encoded-word within 75 and well-formed; and
 *    decoding it the way RFC 2047 says (white space between adjacent
 *    encoded-words dropped) gives back exactly the cleaned, trimmed text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "util.h"

#include "fuzz_common.h"

#define COL_MAX		49	/* col > this is refused */
#define TEXT_MAX	16384	/* longest cleaned value */
#define LINE_SOFT	78
#define EW_MAX		75
#define EW_MIN		28	/* mimehdr.c folds before a shorter word */

static void
check_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	FUZZ_CHECK(utf8_valid(s, n));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] >= 0x20 && p[i] != 0x7f);
		if (p[i] == 0xc2 && i + 1 < n)
			FUZZ_CHECK(p[i + 1] >= 0xa0);
		if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80)
			FUZZ_CHECK(p[i + 2] != 0xa8 && p[i + 2] != 0xa9);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes the text of one encoded-word w[0..n) ("=?UTF-8?Q?...?=" or B)
 * onto out; checks its form. */
static void
decode_word(const char *w, size_t n, struct buf *out)
{
	size_t i, start = out->len, bits = 0, pad = 0;
	uint32_t acc = 0;
	int d;

	FUZZ_CHECK(n <= EW_MAX && n > 12);
	FUZZ_CHECK(w[9] == '?' && w[n - 2] == '?' && w[n - 1] == '=');
	if (w[8] == 'Q') {
		for (i = 10; i < n - 2; i++) {
			if (w[i] == '_')
				buf_putc(out, ' ');
			else if (w[i] == '=') {
				FUZZ_CHECK(i + 2 < n - 2 &&
				    hexval(w[i + 1]) >= 0 &&
				    hexval(w[i + 2]) >= 0);
				buf_putc(out, (char)(hexval(w[i + 1]) << 4 |
				    hexval(w[i + 2])));
				i += 2;
			} else {
				/* RFC 2047 5 (3): safe in a phrase too */
				FUZZ_CHECK((w[i] >= '0' && w[i] <= '9') ||
				    (w[i] >= 'a' && w[i] <= 'z') ||
				    (w[i] >= 'A' && w[i] <= 'Z') ||
				    strchr("!*+-/", w[i]) != NULL);
				buf_putc(out, w[i]);
			}
		}
	} else {
		FUZZ_CHECK(w[8] == 'B');
		FUZZ_CHECK((n - 12) % 4 == 0);
		for (i = 10; i < n - 2; i++) {
			if (w[i] == '=') {
				pad++;
				continue;
			}
			FUZZ_CHECK(pad == 0);
			d = b64val((unsigned char)w[i]);
			FUZZ_CHECK(d >= 0);
			acc = acc << 6 | (uint32_t)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_putc(out, (char)(acc >> bits & 0xff));
			}
		}
		FUZZ_CHECK(pad <= 2);
	}
	/* each word decodes to whole characters on its own */
	FUZZ_CHECK(utf8_valid(out->data + start, out->len - start));
}

/* Checks the folded output o[0..n) written from column col and returns
 * it decoded (caller frees). */
static char *
check_encoded(const char *o, size_t n, size_t col, size_t *dlen)
{
	struct buf u, d;
	size_t i, j, ws, line = col;
	int ew, prev_ew = 0;

	buf_init(&u);
	buf_init(&d);
	if (n > 0) {
		/* mime.h promises a leading space; when the first word must
		 * be encoded and col > 49, put_encoded() folds first instead
		 * (legal FWS, see tests/fuzz/findings/README.md) */
		FUZZ_CHECK(o[0] == ' ' || (n >= 3 && o[0] == '\r' &&
		    col + 1 + EW_MIN > LINE_SOFT));
		FUZZ_CHECK(o[n - 1] != ' ' && o[n - 1] != '\n');
	}
	/* unfold: CR LF only as CR LF SP; printable ASCII; line lengths */
	for (i = 0; i < n; i++) {
		if (o[i] == '\r') {
			FUZZ_CHECK(i + 2 < n && o[i + 1] == '\n' &&
			    o[i + 2] == ' ');
			i++;
			line = 0;
			continue;
		}
		FUZZ_CHECK(o[i] >= 0x20 && o[i] < 0x7f);
		FUZZ_CHECK(++line <= LINE_SOFT);
		buf_putc(&u, o[i]);
	}
	/* decode: words split at spaces; the first space after the colon is
	 * not part of the value */
	i = u.len > 0 ? 1 : 0;
	while (i < u.len) {
		ws = i;
		while (i < u.len && u.data[i] == ' ')
			i++;
		for (j = i; j < u.len && u.data[j] != ' '; j++)
			;
		ew = j - i >= 2 && u.data[i] == '=' && u.data[i + 1] == '?';
		if (ew)
			FUZZ_CHECK(j - i > 12 &&
			    memcmp(u.data + i, "=?UTF-8?", 8) == 0);
		if (!(ew && prev_ew))
			buf_append(&d, u.data + ws, i - ws);
		if (ew)
			decode_word(u.data + i, j - i, &d);
		else
			buf_append(&d, u.data + i, j - i);
		prev_ew = ew;
		i = j;
	}
	buf_free(&u);
	*dlen = d.len;
	return d.data != NULL ? buf_steal(&d) : calloc(1, 1);
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
	struct buf clean, out;
	const char *s, *t;
	char *dec;
	size_t col, len, n, dlen;
	int rc;

	if (size == 0)
		return 0;
	col = data[0] % 80;
	s = (const char *)data + 1;
	len = size - 1;

	buf_init(&clean);
	mime_clean_header_value(s, len, &clean);
	check_clean(clean.data ? clean.data : "", clean.len);
	/* trimmed as mime_encode_header_words() documents */
	t = clean.data ? clean.data : "";
	n = clean.len;
	while (n > 0 && *t == ' ') {
		t++;
		n--;
	}
	while (n > 0 && t[n - 1] == ' ')
		n--;

	buf_init(&out);
	buf_puts(&out, "X:");
	rc = mime_encode_header_words(s, len, col, &out);
	if (col > COL_MAX || n > TEXT_MAX) {
		FUZZ_CHECK(rc == -1 && out.len == 2);
	} else {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(memcmp(out.data, "X:", 2) == 0);
		FUZZ_CHECK((out.len == 2) == (n == 0));
		dec = check_encoded(out.data + 2, out.len - 2, col, &dlen);
		FUZZ_CHECK(dlen == n && memcmp(dec, t, n) == 0);
		free(dec);
	}
	buf_free(&out);
	buf_free(&clean);
	return 0;
}
