/*
 * fuzz_http_form: the input is a request body for http_parse_form() (an
 * application/x-www-form-urlencoded POST) and, read as a path, for the
 * server's path decoder; the part after the first newline is also an
 * X-Forwarded-For header for the choice of the client's address. The
 * target includes daemon/http.c to reach its static functions.
 *
 * Form: accepted exactly when every '%' is followed by two hex digits,
 * no byte is NUL (raw or %00) and there are at most 64 non-empty
 * '&'-pieces; then there is one field per piece, and encoding the fields
 * again and parsing that gives the same fields.
 * Path: an accepted path starts with '/', is valid UTF-8 without control
 * bytes and has no "." or ".." segment; encoded again byte by byte it
 * decodes to itself.
 * Client: the answer is always a parseable address (the peer's or one
 * from the header), and with no trusted proxies always the peer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/http.c"

#include "fuzz_common.h"

static int
is_hex(unsigned char c)
{
	return hexval(c) >= 0;
}

/* The documented grammar, read independently: -1 or the field count. */
static long
expect_fields(const uint8_t *d, size_t n)
{
	size_t i, pieces = 0, plen = 0;

	for (i = 0; i < n; i++) {
		if (d[i] == '\0')
			return -1;
		if (d[i] == '%') {
			if (i + 2 >= n || !is_hex(d[i + 1]) ||
			    !is_hex(d[i + 2]))
				return -1;
			if (d[i + 1] == '0' && d[i + 2] == '0')
				return -1;
		}
		if (d[i] == '&') {
			pieces += plen > 0;
			plen = 0;
		} else
			plen++;
	}
	pieces += plen > 0;
	return pieces > 64 ? -1 : (long)pieces;
}

static void
encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')
			buf_putc(b, (char)c);
		else if (c == ' ')
			buf_putc(b, '+');
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

static void
check_form(const uint8_t *data, size_t size)
{
	struct http_field *f, *g;
	struct buf b;
	size_t n, m, i;
	long want = expect_fields(data, size);
	int rc = http_parse_form((const char *)data, size, &f, &n);

	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == -1) == (want == -1));
	if (rc < 0) {
		FUZZ_CHECK(f == NULL && n == 0);
		return;
	}
	FUZZ_CHECK((long)n == want);
	buf_init(&b);
	buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, '&');
		FUZZ_CHECK(f[i].name != NULL && f[i].value != NULL);
		encode(&b, f[i].name);
		buf_putc(&b, '=');
		encode(&b, f[i].value);
	}
	/* an empty name and value encode as "=", still one piece */
	FUZZ_CHECK(http_parse_form(b.data, b.len, &g, &m) == 0);
	FUZZ_CHECK(m == n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(strcmp(f[i].name, g[i].name) == 0);
		FUZZ_CHECK(strcmp(f[i].value, g[i].value) == 0);
	}
	http_fields_free(g, m);
	http_fields_free(f, n);
	buf_free(&b);
}

static void
check_path(const char *raw)
{
	struct buf b;
	char *p = http_decode_path(raw), *again;
	const char *s;
	size_t i;

	if (p == NULL)
		return;
	FUZZ_CHECK(p[0] == '/');
	FUZZ_CHECK(utf8_valid(p, strlen(p)));
	for (i = 0; p[i]; i++)
		FUZZ_CHECK((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
	for (s = p; s != NULL; s = strchr(s + 1, '/')) {
		FUZZ_CHECK(strncmp(s, "/./", 3) != 0 && strcmp(s, "/.") != 0);
		FUZZ_CHECK(strncmp(s, "/../", 4) != 0 &&
		    strcmp(s, "/..") != 0);
	}
	buf_init(&b);
	buf_putc(&b, '/');
	encode(&b, p + 1);
	again = http_decode_path(b.data);
	/* '+' is no space in a path: encode() wrote "+" for ' ' */
	for (i = 0; p[i]; i++)
		if (p[i] == ' ')
			p[i] = '+';
	FUZZ_CHECK(again != NULL && strcmp(again, p) == 0);
	free(again);
	buf_free(&b);
	free(p);
}

static void
check_client(const char *xff)
{
	char norm[INET6_ADDRSTRLEN], *c;

	c = http_client_addr("192.0.2.1", xff, NULL);
	FUZZ_CHECK(strcmp(c, "192.0.2.1") == 0);
	free(c);
	c = http_client_addr("127.0.0.1", xff, "127.0.0.1, ::1,10.0.0.1");
	FUZZ_CHECK(addr_norm(c, strlen(c), norm) == 0 && strcmp(c, norm) == 0);
	free(c);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char *nl = strchr(s, '\n');

	check_form(data, size);
	if (nl != NULL) {
		*nl = '\0';
		check_client(nl + 1);
	}
	check_path(s);
	free(s);
	return 0;
}
