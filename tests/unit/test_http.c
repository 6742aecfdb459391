/* Unit tests for http: the form parser, the path decoder, the choice of
 * the client's address from X-Forwarded-For, and [http] listen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../daemon/http.c"

/* One case: the body, its length (0: strlen), and the expected fields as
 * "name=value" lines joined with '\n', or NULL for an error. */
struct form_case {
	const char *body;
	size_t len;
	const char *want;
};

static const struct form_case form_cases[] = {
	{ "", 0, "" },
	{ "a=1", 0, "a=1\n" },
	{ "List-Unsubscribe=One-Click", 0, "List-Unsubscribe=One-Click\n" },
	{ "name=Anna+M%C3%BCller&x=%2B%26%3d", 0,
	    "name=Anna M\xc3\xbcller\nx=+&=\n" },
	{ "a=1&&b=2&", 0, "a=1\nb=2\n" },
	{ "flag&b=", 0, "flag=\nb=\n" },
	{ "=v", 0, "=v\n" },
	{ "a=1&a=2", 0, "a=1\na=2\n" },
	{ "a=x=y", 0, "a=x=y\n" },
	{ "%41%62=%7e", 0, "Ab=~\n" },
	{ "a=%", 0, NULL },
	{ "a=%4", 0, NULL },
	{ "a=%zz", 0, NULL },
	{ "a=%G1", 0, NULL },
	{ "%=1", 0, NULL },
	{ "a=%00", 0, NULL },
	{ "a=1\0b", 5, NULL },
	{ "b=2&a=%4", 0, NULL },
};

static void
test_form_table(void **state)
{
	struct http_field *f;
	struct buf got;
	size_t i, j, n;
	int rc;

	(void)state;
	buf_init(&got);
	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		const struct form_case *c = &form_cases[i];
		size_t len = c->len ? c->len : strlen(c->body);

		rc = http_parse_form(c->body, len, &f, &n);
		if (c->want == NULL) {
			if (rc != -1)
				fail_msg("case %zu (%s): accepted", i, c->body);
			assert_null(f);
			assert_int_equal(n, 0);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu (%s): refused", i, c->body);
		buf_reset(&got);
		buf_puts(&got, "");
		for (j = 0; j < n; j++)
			buf_printf(&got, "%s=%s\n", f[j].name, f[j].value);
		if (strcmp(got.data, c->want) != 0)
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i,
			    c->body, got.data, c->want);
		http_fields_free(f, n);
	}
	buf_free(&got);
}

static void
test_form_many(void **state)
{
	struct http_request r;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 64; i++)
		buf_printf(&b, "%sk%d=v%d", i ? "&" : "", i, i);
	memset(&r, 0, sizeof(r));
	assert_int_equal(http_parse_form(b.data, b.len, &r.form, &r.nform), 0);
	assert_int_equal(r.nform, 64);
	assert_string_equal(http_form_value(&r, "k0"), "v0");
	assert_string_equal(http_form_value(&r, "k63"), "v63");
	assert_null(http_form_value(&r, "k64"));
	http_fields_free(r.form, r.nform);

	/* the 65th field is too many */
	buf_puts(&b, "&k64=v64");
	assert_int_equal(http_parse_form(b.data, b.len, &r.form, &r.nform),
	    -1);
	assert_null(r.form);
	buf_free(&b);

	/* a duplicate: the first wins */
	assert_int_equal(http_parse_form("a=1&a=2", 7, &r.form, &r.nform), 0);
	assert_string_equal(http_form_value(&r, "a"), "1");
	http_fields_free(r.form, r.nform);
}

static void
assert_path(const char *raw, const char *want)
{
	char *got = http_decode_path(raw);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: accepted as \"%s\"", raw, got);
		return;
	}
	if (got == NULL)
		fail_msg("%s: refused", raw);
	assert_string_equal(got, want);
	free(got);
}

static void
test_path(void **state)
{
	(void)state;
	assert_path("/", "/");
	assert_path("/healthz", "/healthz");
	assert_path("/u/abc%2Fdef", "/u/abc/def");
	assert_path("/a+b", "/a+b");
	assert_path("/archiv/2027-03", "/archiv/2027-03");
	assert_path("/kalender/S%C3%BCd.ics", "/kalender/S\xc3\xbc" "d.ics");
	assert_path("/a..b/c.", "/a..b/c.");
	assert_path("/a/%00", NULL);
	assert_path("/a/%0a", NULL);
	assert_path("/a/../b", NULL);
	assert_path("/a/%2e%2e/b", NULL);
	assert_path("/a/%2e%2e%2fb", NULL);
	assert_path("/..", NULL);
	assert_path("/./a", NULL);
	assert_path("/a/%C3", NULL);		/* cut UTF-8 */
	assert_path("/a/%ff", NULL);
	assert_path("/a/%zz", NULL);
	assert_path("/a/%", NULL);
	assert_path("a", NULL);
	assert_path("", NULL);
	assert_path(NULL, NULL);
}

static void
assert_client(const char *peer, const char *xff, const char *trusted,
    const char *want)
{
	char *got = http_client_addr(peer, xff, trusted);

	if (strcmp(got, want) != 0)
		fail_msg("peer %s, X-Forwarded-For %s, trusted %s: got %s, "
		    "want %s", peer, xff ? xff : "(none)",
		    trusted ? trusted : "(none)", got, want);
	free(got);
}

static void
test_client(void **state)
{
	(void)state;
	/* no trusted proxies, or an untrusted peer: the peer */
	assert_client("192.0.2.7", "203.0.113.9", NULL, "192.0.2.7");
	assert_client("192.0.2.7", "203.0.113.9", "127.0.0.1", "192.0.2.7");
	assert_client("::ffff:192.0.2.7", NULL, NULL, "192.0.2.7");
	/* a trusted peer: the entry it added */
	assert_client("127.0.0.1", "203.0.113.9", "127.0.0.1", "203.0.113.9");
	assert_client("127.0.0.1", "203.0.113.9", " 10.0.0.1 , 127.0.0.1 ",
	    "203.0.113.9");
	/* the client cannot forge what comes after it */
	assert_client("127.0.0.1", "6.6.6.6, 203.0.113.9", "127.0.0.1",
	    "203.0.113.9");
	/* a chain of trusted proxies is walked through */
	assert_client("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.1",
	    "127.0.0.1,10.0.0.1", "203.0.113.9");
	assert_client("127.0.0.1", "10.0.0.1", "127.0.0.1,10.0.0.1",
	    "10.0.0.1");
	/* IPv6, written differently */
	assert_client("::1", "2001:db8:0:0::1", "0:0::1", "2001:db8::1");
	/* junk stops the walk at the last proxy believed */
	assert_client("127.0.0.1", "203.0.113.9, junk", "127.0.0.1",
	    "127.0.0.1");
	assert_client("127.0.0.1", "junk, 10.0.0.1", "127.0.0.1,10.0.0.1",
	    "10.0.0.1");
	assert_client("127.0.0.1", "", "127.0.0.1", "127.0.0.1");
	assert_client("127.0.0.1", "203.0.113.9,,", "127.0.0.1",
	    "203.0.113.9");
}

static void
test_listen(void **state)
{
	static const char *const good[] = { "127.0.0.1:8080", "[::1]:8080",
	    "0.0.0.0:1", "[2001:db8::1]:65535" };
	static const char *const bad[] = { "", "localhost:8080", "127.0.0.1",
	    "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "::1:8080",
	    "[::1]", "[::1]8080", "[127.0.0.1]:80", "127.0.0.1:80x",
	    "127.0.0.1:+80", "http://127.0.0.1:80" };
	char *err = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (http_check_listen(good[i], &err) != 0)
			fail_msg("%s: refused: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (http_check_listen(bad[i], &err) != -1)
			fail_msg("%s: accepted", bad[i]);
		assert_non_null(strstr(err, "[http] listen"));
		free(err);
		err = NULL;
	}
	assert_int_equal(http_check_listen(NULL, &err), -1);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_table),
		cmocka_unit_test(test_form_many),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
