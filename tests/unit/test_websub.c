/*
 * Unit tests: the subscribe form of rundbrief-web (websub.c) and its
 * limits (webguard.c), called as the server calls them, on a temporary
 * database: a new address becomes pending with one confirmation mail, a
 * known address gets the same answer byte for byte and no mail, the
 * honeypot and invalid input store nothing, the sixth POST of a client in
 * an hour and the 21st wrong token get 429, and a wrong and a malformed
 * token answer alike below the limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "http.h"
#include "subscriber.h"
#include "util.h"
#include "web.h"
#include "webguard.h"

#include "tmpdir.h"
#include "web_testlib.h"

static struct config *cfg;
static struct db *db;
static struct web *web;

#define EVIL "<script>alert(1)</script>"

static int64_t
scalar(const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char text_buf[256];

static const char *
text(const char *sql, const char *arg)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	text_buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(text_buf, sizeof(text_buf), "%s",
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return text_buf;
}

/* Everything a POST may change. */
static char *
db_state(void)
{
	return xasprintf("%lld/%lld/%lld/%s",
	    (long long)scalar("SELECT count(*) FROM subscribers", NULL),
	    (long long)scalar("SELECT count(*) FROM mailings", NULL),
	    (long long)scalar("SELECT count(*) FROM outbox", NULL),
	    text("SELECT group_concat(email || status || coalesce("
	    "consent_source, '') || updated_at, ',') FROM subscribers WHERE"
	    " ? = ?", "x"));
}

static long
confirm_mails(const char *email)
{
	return (long)scalar("SELECT count(*) FROM outbox o JOIN mailings m ON"
	    " m.id = o.mailing_id JOIN subscribers s ON s.id ="
	    " o.subscriber_id WHERE m.kind = 'confirm' AND s.email = ?",
	    email);
}

static void
add_sub(const char *email, int active)
{
	struct sub_fields f;
	char *err = NULL;

	memset(&f, 0, sizeof(f));
	if (subscriber_add(db, email, &f, active, "test", 0, &err) != SUB_ADDED)
		fail_msg("add %s: %s", email, err);
}

/* A request as the server makes it (the form parsed) from client. */
static void
call(const char *method, const char *path, const char *body,
    const char *client, struct http_response *resp)
{
	web_request(web, method, path, body, client, NULL, NULL, resp);
}

static int
setup(void **state)
{
	char *err = NULL;

	if (tmpdir_setup(state) < 0)
		return -1;
	cfg = config_defaults();
	free(cfg->database);
	cfg->database = xasprintf("%s/db.sqlite", dir);
	free(cfg->organisation);
	cfg->organisation = xstrdup("Netz " EVIL);
	free(cfg->base_url);
	cfg->base_url = xstrdup("https://rundbrief.example.org/");
	if (db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0)
		return -1;
	if (district_add(db, "Nord", &err) < 0 ||
	    district_add(db, "Süd " EVIL, &err) < 0)
		return -1;
	if ((web = web_new(cfg, &err)) == NULL) {
		fprintf(stderr, "web_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	web_free(web);
	db_close(db);
	config_free(cfg);
	return tmpdir_teardown(state);
}

static void
test_form(void **state)
{
	struct http_response r;
	char *before = db_state(), *after;

	(void)state;
	call("GET", "/anmelden", NULL, "10.0.1.1", &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "<form method=\"post\">");
	expect_in(r.body.data, "name=\"email\"");
	expect_in(r.body.data, "value=\"Nord\"");
	/* every value escaped, no script, the honeypot hidden from all */
	assert_null(strstr(r.body.data, "<script"));
	expect_in(r.body.data, "Süd &lt;script&gt;");
	expect_in(r.body.data, "dass Netz &lt;script&gt;");
	expect_in(r.body.data, "<div class=\"hp\" aria-hidden=\"true\">");
	expect_in(r.body.data, "name=\"website\"");
	resp_free(&r);
	call("GET", "/subscribe", NULL, "10.0.1.1", &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "name=\"website\"");
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_new_and_known(void **state)
{
	struct http_response fresh, r;
	char *before, *after;

	(void)state;
	call("POST", "/anmelden", "email=+neu%40example.org+&name=Neu+"
	    "Mensch&language=de&district=Nord&website=", "10.0.2.1", &fresh);
	assert_int_equal(fresh.status, 200);
	expect_in(fresh.body.data, "n…@example.org");
	assert_string_equal(text("SELECT status || ' ' || consent_source ||"
	    " ' ' || name || ' ' || language FROM subscribers WHERE email ="
	    " ?", "neu@example.org"), "pending web Neu Mensch de");
	assert_int_equal(scalar("SELECT count(*) FROM subscriber_districts",
	    NULL) >= 1, 1);
	assert_int_equal(confirm_mails("neu@example.org"), 1);

	/* an active subscriber: the same answer, byte for byte, no mail */
	add_sub("nina@example.org", 1);
	before = db_state();
	call("POST", "/anmelden", "email=nina%40example.org&name=Neu+Mensch&"
	    "language=de&district=Nord&website=", "10.0.2.1", &r);
	assert_int_equal(r.status, fresh.status);
	assert_string_equal(r.body.data, fresh.body.data);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* a pending one asking again within the day: the same, no mail */
	before = db_state();
	call("POST", "/subscribe", "email=neu%40example.org&name=Neu+Mensch&"
	    "language=de&district=Nord", "10.0.2.1", &r);
	assert_string_equal(r.body.data, fresh.body.data);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(confirm_mails("neu@example.org"), 1);
	resp_free(&fresh);
}

static void
test_honeypot(void **state)
{
	struct http_response r, real;
	char *before, *after;

	(void)state;
	call("POST", "/anmelden", "email=hanna%40example.org&language=de",
	    "10.0.3.1", &real);
	assert_int_equal(real.status, 200);
	before = db_state();
	call("POST", "/anmelden", "email=hugo%40example.org&language=de&"
	    "website=http%3A%2F%2Fspam.example", "10.0.3.2", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, real.body.data);
	resp_free(&r);
	resp_free(&real);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE email"
	    " = ?", "hugo@example.org"), 0);
}

static void
test_invalid(void **state)
{
	static const char *const bodies[] = {
		"email=kein-at-zeichen&language=de",
		"email=&language=de",
		"email=ok%40example.org&language=xx",
		"email=ok%40example.org&language=de&district=Nirgendwo",
		"email=ok%40example.org&language=de&topic=Unbekannt",
		"email=ok%40example.org&language=de&name=a%01b",
		NULL
	};
	struct http_response r;
	char *before = db_state(), *after;
	size_t i;

	(void)state;
	for (i = 0; bodies[i] != NULL; i++) {
		call("POST", "/anmelden", bodies[i], "10.0.4.1", &r);
		assert_int_equal(r.status, 400);
		expect_in(r.body.data, "class=\"error\"");
		expect_in(r.body.data, "<form method=\"post\">");
		resp_free(&r);
		/* the client limit counts every POST */
		if (i == 3)
			break;
	}
	call("POST", "/anmelden", "email=%3Cscript%3E&language=en",
	    "10.0.4.2", &r);
	assert_int_equal(r.status, 400);
	expect_in(r.body.data, "valid e-mail address");
	expect_in(r.body.data, "value=\"&lt;script&gt;\"");
	assert_null(strstr(r.body.data, "<script"));
	resp_free(&r);
	for (i = 4; bodies[i] != NULL; i++) {
		call("POST", "/anmelden", bodies[i], "10.0.4.3", &r);
		assert_int_equal(r.status, 400);
		resp_free(&r);
	}
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_client_limit(void **state)
{
	struct http_response r;
	char body[128];
	int i;

	(void)state;
	for (i = 1; i <= 6; i++) {
		snprintf(body, sizeof(body), "email=lim%d%%40example.org&"
		    "language=de", i);
		call("POST", "/anmelden", body, "10.0.5.1", &r);
		assert_int_equal(r.status, i <= 5 ? 200 : 429);
		resp_free(&r);
	}
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE email"
	    " = ?", "lim6@example.org"), 0);
	assert_int_equal(confirm_mails("lim5@example.org"), 1);
	/* a GET of the form still works; another client is not limited */
	call("GET", "/anmelden", NULL, "10.0.5.1", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	call("POST", "/anmelden", "email=lim6%40example.org&language=de",
	    "10.0.5.2", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
}

static void
test_address_limit(void **state)
{
	struct http_response r;
	char client[32];
	int i;

	(void)state;
	/* unsubscribed: each request makes them pending again with a mail,
	 * but at most three requests a day per address are acted on */
	for (i = 1; i <= 5; i++) {
		snprintf(client, sizeof(client), "10.0.6.%d", i);
		call("POST", "/anmelden", "email=Opfer%40Example.org&language=de",
		    client, &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
		assert_true(subscriber_set_status(db, "opfer@example.org",
		    "unsubscribed", NULL, NULL) > 0);
	}
	assert_int_equal(confirm_mails("opfer@example.org"), 3);
}

static void
test_tokens(void **state)
{
	struct http_response wrong, bad, r;
	const char *c = "10.0.7.1";
	int i;

	(void)state;
	call("GET", "/u/0123456789abcdef0123456789abcdef", NULL, c, &wrong);
	call("POST", "/c/0123-malformed", "confirm=yes", c, &bad);
	assert_int_equal(wrong.status, 404);
	assert_int_equal(bad.status, 404);
	assert_string_equal(wrong.body.data, bad.body.data);
	for (i = 3; i <= 20; i++) {
		call("GET", i % 2 ? "/p/x" : "/u/ffffffffffffffffffffffffffffffff",
		    NULL, c, &r);
		assert_int_equal(r.status, 404);
		assert_string_equal(r.body.data, wrong.body.data);
		resp_free(&r);
	}
	call("GET", "/c/ffffffffffffffffffffffffffffffff", NULL, c, &r);
	assert_int_equal(r.status, 429);
	assert_null(strstr(r.body.data, "ffff"));
	resp_free(&r);
	/* over the limit even a right token gets 429: nothing to learn */
	add_sub("tina@example.org", 1);
	{
		char path[64];

		snprintf(path, sizeof(path), "/u/%s", text("SELECT token FROM"
		    " subscribers WHERE email = ?", "tina@example.org"));
		call("GET", path, NULL, c, &r);
		assert_int_equal(r.status, 429);
		resp_free(&r);
		call("GET", path, NULL, "10.0.7.2", &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	/* other pages, and other clients, go on */
	call("GET", "/u/0123456789abcdef0123456789abcdef", NULL, "10.0.7.2",
	    &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body.data, wrong.body.data);
	resp_free(&r);
	call("GET", "/anmelden", NULL, c, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	resp_free(&wrong);
	resp_free(&bad);
}

static void
test_guard(void **state)
{
	struct webguard *g = webguard_new(2);

	(void)state;
	assert_int_equal(webguard_hit(g, "k", "a", 1, 60, 1000), 0);
	assert_int_equal(webguard_over(g, "k", "A", 1, 60, 1001), 1);
	assert_int_equal(webguard_hit(g, "k", "A", 1, 60, 1001), 1);
	/* another kind is another counter; the window ends */
	assert_int_equal(webguard_hit(g, "j", "a", 1, 60, 1002), 0);
	assert_int_equal(webguard_hit(g, "k", "a", 1, 60, 1060), 0);
	/* a full table forgets the least recently used key */
	assert_int_equal(webguard_hit(g, "k", "b", 1, 60, 1061), 0);
	assert_int_equal(webguard_over(g, "k", "a", 1, 60, 1062), 1);
	assert_int_equal(webguard_over(g, "j", "a", 1, 60, 1062), 0);
	webguard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_new_and_known),
		cmocka_unit_test(test_honeypot),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_client_limit),
		cmocka_unit_test(test_address_limit),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
