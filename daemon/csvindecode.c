/*
 * csvindecode: the first two steps of reading a CSV file (see csvin.h):
 * the bytes become UTF-8 text, and the separator is found.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvinpriv.h"
#include "util.h"

/* Windows-1252 0x80..0x9F, 0 for the five undefined bytes; 0xA0..0xFF
 * are U+00A0..U+00FF. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* Offset just past the line break (CRLF, LF or CR) that ends the line
 * starting at off, or len if the line has none. */
size_t
csvin_next_break(const char *s, size_t off, size_t len)
{
	size_t i;

	for (i = off; i < len; i++) {
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == '\r')
			return i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
	}
	return len;
}

/* 1-based physical line that holds byte off of s[0..len). */
static size_t
line_at(const char *s, size_t len, size_t off)
{
	size_t line = 1, i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n' || (s[i] == '\r' &&
		    (i + 1 >= len || s[i + 1] != '\n')))
			line++;
	return line;
}

static int
decode_cp1252(const char *s, size_t len, struct buf *out, char **errstr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	uint32_t cp;

	buf_reserve(out, 3 * len);	/* 0x80..0x9F become 3 bytes */
	for (i = 0; i < len; i++) {
		cp = p[i];
		if (cp >= 0x80 && cp < 0xa0) {
			cp = cp1252_c1[cp - 0x80];
			if (cp == 0) {
				*errstr = xasprintf("line %zu: byte 0x%02X is "
				    "neither UTF-8 nor Windows-1252; save the "
				    "file as \"CSV UTF-8\"", line_at(s, len, i),
				    p[i]);
				return -1;
			}
		}
		buf_put_utf8(out, cp);
	}
	out->data[out->len] = '\0';
	return 0;
}

static int
decode_utf16(const char *s, size_t len, int le, struct buf *out,
    char **errstr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	uint32_t u, lo;

	if (len % 2 != 0) {
		*errstr = xstrdup("the file starts with a UTF-16 byte order "
		    "mark but has an odd number of bytes");
		return -1;
	}
	buf_reserve(out, len / 2 * 3);	/* a unit becomes at most 3 bytes */
	for (i = 2; i < len; i += 2) {
		u = le ? (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 :
		    (uint32_t)p[i] << 8 | p[i + 1];
		if (u >= 0xd800 && u <= 0xdfff) {
			lo = 0;
			if (u <= 0xdbff && i + 3 < len)
				lo = le ? (uint32_t)p[i + 2] |
				    (uint32_t)p[i + 3] << 8 :
				    (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff) {
				*errstr = xasprintf("line %zu: invalid UTF-16 "
				    "(unpaired surrogate)",
				    line_at(out->data, out->len, out->len));
				return -1;
			}
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		buf_put_utf8(out, u);
	}
	out->data[out->len] = '\0';
	return 0;
}

/* The first line of s[0..len) that is not valid UTF-8 (a multi-byte
 * sequence never holds a CR or LF byte, so lines can be checked alone). */
static size_t
bad_utf8_line(const char *s, size_t len)
{
	size_t off = 0, end, line = 1;

	while (off < len) {
		end = csvin_next_break(s, off, len);
		if (!utf8_valid(s + off, end - off))
			break;
		off = end;
		line++;
	}
	return line;
}

int
csvin_decode(const char *data, size_t len, struct buf *conv,
    const char **text, size_t *tlen, enum csvin_encoding *enc, char **errstr)
{
	const unsigned char *p = (const unsigned char *)data;
	const char *nul;
	size_t bad;

	if ((len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) ||
	    (len >= 8 && memcmp(data, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
	    8) == 0)) {
		*errstr = xstrdup("this is a spreadsheet workbook (.xlsx, "
		    ".xls, .ods), not a CSV file; save it as \"CSV UTF-8\"");
		return -1;
	}
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
	    (p[0] == 0xfe && p[1] == 0xff))) {
		*enc = p[0] == 0xff ? CSVIN_UTF16LE : CSVIN_UTF16BE;
		if (decode_utf16(data, len, p[0] == 0xff, conv, errstr) == -1)
			return -1;
		*text = conv->data;
		*tlen = conv->len;
	} else if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		*enc = CSVIN_UTF8_BOM;
		*text = data + 3;
		*tlen = len - 3;
		if (!utf8_valid(*text, *tlen)) {
			*errstr = xasprintf("line %zu: invalid UTF-8 although "
			    "the file starts with a UTF-8 byte order mark",
			    bad_utf8_line(*text, *tlen));
			return -1;
		}
	} else if (utf8_valid(data, len)) {
		*enc = CSVIN_UTF8;
		*text = data;
		*tlen = len;
	} else if (utf8_multibyte_count(data, len, &bad) > 2 * bad) {
		/* UTF-8 but for a few bytes: decoding it all as Windows-1252
		 * would garble every umlaut that is right */
		*errstr = xasprintf("line %zu: invalid UTF-8 in a file that is "
		    "otherwise UTF-8; correct that line or save the file as "
		    "\"CSV UTF-8\" again", bad_utf8_line(data, len));
		return -1;
	} else {
		*enc = CSVIN_CP1252;
		if (decode_cp1252(data, len, conv, errstr) == -1)
			return -1;
		*text = conv->data;
		*tlen = conv->len;
	}
	if ((nul = memchr(*text, '\0', *tlen)) != NULL) {
		*errstr = xasprintf("line %zu: the file contains NUL bytes, so "
		    "it is not a CSV text file (UTF-16 without byte order "
		    "mark, or a spreadsheet workbook?)",
		    line_at(*text, *tlen, (size_t)(nul - *text)));
		return -1;
	}
	return 0;
}

static int
is_sep(char c)
{
	return c == ',' || c == ';' || c == '\t';
}

char
csvin_detect_sep(const char *s, size_t len, size_t *off, size_t *line,
    int *hint)
{
	size_t i, end, comma = 0, semi = 0, tab = 0;
	int inq = 0;

	*off = 0;
	*line = 1;
	*hint = 0;
	end = csvin_next_break(s, 0, len);
	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	if (end == 5 && strncasecmp(s, "sep=", 4) == 0 && is_sep(s[4])) {
		*off = csvin_next_break(s, 0, len);
		*line = 2;
		*hint = 1;
		return s[4];
	}

	/* Skip lines that hold no content (they are empty records). */
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' ||
		    is_sep(s[i]))
			continue;
		break;
	}
	while (i > 0 && s[i - 1] != '\n' && s[i - 1] != '\r')
		i--;
	for (; i < len; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (inq)
			continue;
		else if (s[i] == '\n' || s[i] == '\r')
			break;
		else if (s[i] == ',')
			comma++;
		else if (s[i] == ';')
			semi++;
		else if (s[i] == '\t')
			tab++;
	}
	if (semi > comma && semi > tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}
