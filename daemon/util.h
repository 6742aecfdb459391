/*
 * util: memory helpers that abort on exhaustion, a growing byte buffer,
 * and small string helpers shared by every module.
 *
 * Out-of-memory is fatal (STYLE.md): the x* functions never return NULL.
 */
#ifndef RUNDBRIEF_UTIL_H
#define RUNDBRIEF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing buffer. Always NUL-terminated after any append (data[len] == 0),
 * so buf.data can be used as a C string when the content has no NUL. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
/* Appends code point cp (< 0x110000, not a surrogate) as UTF-8. */
void buf_put_utf8(struct buf *b, uint32_t cp);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the content to the caller (never NULL) and re-initialises b. */
char *buf_steal(struct buf *b);

/* Copy of s fit for a log line or a terminal: control characters (including
 * CR, LF, ESC, DEL) become '?', invalid UTF-8 bytes become '?'. Caller frees. */
char *str_sanitize(const char *s);

/* A copy of s for comparing text case-insensitively, not for display:
 * letters of the Latin (with Latin-1, Extended-A and the Vietnamese and
 * Romanian letters), Greek, Cyrillic and Armenian scripts become lower
 * case, and Greek final sigma becomes sigma; everything else, including
 * invalid UTF-8 bytes, is copied as is. Never longer than s. Caller frees. */
char *utf8_fold(const char *s);

/* Trims ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);

/* 1 if s is valid UTF-8 (no overlongs, no surrogates), else 0. */
int utf8_valid(const char *s, size_t len);

/* How many valid multi-byte UTF-8 characters s[0..len) holds, and how
 * many bytes are not UTF-8 (*bad). A file with far more of the first is
 * meant to be UTF-8 even where a few bytes are broken. */
size_t utf8_multibyte_count(const char *s, size_t len, size_t *bad);

/* Fills p with n bytes from the kernel's CSPRNG (getrandom). Fatal on
 * failure: we never fall back to a weak source. */
void random_bytes(void *p, size_t n);

/* n random bytes as 2n lower-case hex characters; caller frees. */
char *random_hex(size_t n);

/* 1 if a[0..n) equals b[0..n), in a time that depends on n only (for
 * comparing secrets such as tokens), else 0. */
int mem_equal_ct(const void *a, const void *b, size_t n);

/* Lower-case hex SHA-256 of data (64 chars + NUL written to out). */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Reads a whole file into *out (NUL-terminated, length in *len if len != NULL).
 * Returns 0, or -1 with errno set. */
int file_read_all(const char *path, char **out, size_t *len);

/* Size of a buffer for tm_text(). */
#define TM_TEXT_LEN 64

struct tm;
/* "YYYY-MM-DD HH:MM" (with_time) or "YYYY-MM-DD" from a broken-down time. */
void tm_text(const struct tm *tm, int with_time, char out[TM_TEXT_LEN]);

#endif
