/* util: allocation, buffers, strings, randomness, hashing, files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("out of memory in xasprintf");
	va_end(ap);
	return s;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
	b->data[b->len] = '\0';
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_put_utf8(struct buf *b, uint32_t cp)
{
	unsigned char *o;
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, i;

	buf_reserve(b, n);
	o = (unsigned char *)b->data + b->len;
	/* Continuation bytes from the end, then the lead byte 110xxxxx,
	 * 1110xxxx or 11110xxx. */
	for (i = n - 1; i > 0; i--, cp >>= 6)
		o[i] = (unsigned char)(0x80 | (cp & 0x3f));
	o[0] = (unsigned char)(n == 1 ? cp : (0xf00 >> n & 0xff) | cp);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("buf_printf: bad format");
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_steal(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		return xstrdup("");
	p = b->data;
	buf_init(b);
	return p;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid; its code
 * point in *cpout if cpout is not NULL. */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cpout)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		if (cpout != NULL)
			*cpout = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cpout != NULL)
		*cpout = cp;
	return len;
}

size_t
utf8_multibyte_count(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, count = 0;

	*bad = 0;
	while (i < len) {
		n = utf8_seq(p + i, len - i, NULL);
		count += n > 1;
		*bad += n == 0;
		i += n ? n : 1;
	}
	return count;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(p + i, len - i, NULL);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
str_sanitize(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, len);
	while (i < len) {
		n = utf8_seq(p + i, len - i, NULL);
		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			buf_putc(&b, '?');
			i += n ? n : 1;
			continue;
		}
		buf_append(&b, p + i, n);
		i += n;
	}
	return buf_steal(&b);
}

/* The lower-case (case-folded) form of a letter of the Latin, Greek,
 * Cyrillic and Armenian scripts; any other code point is returned as is. */
static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;			/* Latin-1: À..Þ but × */
	switch (c) {
	case 0x130: return 'i';			/* İ */
	case 0x178: return 0xff;		/* Ÿ */
	case 0x18f: return 0x259;		/* Ə (Azerbaijani) */
	case 0x1e9e: return 0xdf;		/* ẞ */
	case 0x386: return 0x3ac;		/* Ά */
	case 0x38c: return 0x3cc;		/* Ό */
	case 0x3c2: return 0x3c3;		/* final ς folds to σ */
	case 0x4c0: return 0x4cf;		/* Ӏ */
	}
	/* Pairs with the capital letter at the even code point. */
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177) ||
	    (c >= 0x200 && c <= 0x21f) || (c >= 0x222 && c <= 0x233) ||
	    (c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	    (c >= 0x4d0 && c <= 0x52f) || (c >= 0x1e00 && c <= 0x1e95) ||
	    (c >= 0x1ea0 && c <= 0x1eff))
		return c | 1;
	/* Pairs with the capital letter at the odd code point. */
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e) ||
	    (c >= 0x4c1 && c <= 0x4ce))
		return c & 1 ? c + 1 : c;
	if ((c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||	/* Α..Ϋ */
	    (c >= 0x410 && c <= 0x42f))				/* А..Я */
		return c + 32;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;			/* Έ Ή Ί */
	if (c == 0x38e || c == 0x38f)
		return c + 63;			/* Ύ Ώ */
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;			/* Ѐ..Џ */
	if (c >= 0x531 && c <= 0x556)
		return c + 48;			/* Armenian */
	return c;
}

char *
utf8_fold(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, len);
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			buf_putc(&b, (char)p[i++]);
			continue;
		}
		buf_put_utf8(&b, fold_cp(cp));
		i += n;
	}
	return buf_steal(&b);
}

char *
str_trim(char *s)
{
	char *e;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

void
random_bytes(void *p, size_t n)
{
	unsigned char *q = p;
	ssize_t r;

	while (n > 0) {
		r = getrandom(q, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		q += r;
		n -= (size_t)r;
	}
}

char *
random_hex(size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *raw = xmalloc(n);
	char *out = xmalloc(2 * n + 1);
	size_t i;

	random_bytes(raw, n);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * n] = '\0';
	free(raw);
	return out;
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	size_t i;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[64] = '\0';
}

int
file_read_all(const char *path, char **out, size_t *lenp)
{
	struct buf b;
	char chunk[65536];
	ssize_t r;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	buf_init(&b);
	buf_reserve(&b, 0);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			buf_free(&b);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	if (lenp != NULL)
		*lenp = b.len;
	*out = buf_steal(&b);
	return 0;
}

void
tm_text(const struct tm *tm, int with_time, char out[TM_TEXT_LEN])
{
	if (with_time)
		snprintf(out, TM_TEXT_LEN, "%04d-%02d-%02d %02d:%02d",
		    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
		    tm->tm_hour, tm->tm_min);
	else
		snprintf(out, TM_TEXT_LEN, "%04d-%02d-%02d", tm->tm_year + 1900,
		    tm->tm_mon + 1, tm->tm_mday);
}

int
mem_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
