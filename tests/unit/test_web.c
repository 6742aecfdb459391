/*
 * Unit tests: the pages of rundbrief-web (web.c), called as the server
 * calls them, with requests built by hand, on a temporary database set
 * up through the modules — unsubscribe (GET changes nothing, POST and
 * the RFC 8058 one-click POST unsubscribe with one notice mail, a second
 * POST sends none), confirmation, the neutral 404 for bad tokens, the
 * calendar feeds with ETag and 304, and escaping in every page.
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
#include "event.h"
#include "subscriber.h"
#include "util.h"
#include "web.h"

#include "tmpdir.h"
#include "web_testlib.h"

static struct config *cfg;
static struct db *db;
static struct web *web;

#define EVIL "<script>alert(1)</script>"

static int64_t
scalar(const char *fmt, ...)
{
	sqlite3_stmt *st;
	char *sql;
	va_list ap;
	int64_t v = -1;

	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		sql = NULL;
	va_end(ap);
	assert_non_null(sql);
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return v;
}

static char text_buf[256];

static const char *
text(const char *fmt, const char *arg)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), fmt, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	text_buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(text_buf, sizeof(text_buf), "%s",
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return text_buf;
}

/* A summary of everything a page may change. */
static char *
db_state(void)
{
	return xasprintf("%lld/%lld/%lld/%s",
	    (long long)scalar("SELECT count(*) FROM subscribers WHERE status ="
	    " 'active'"), (long long)scalar("SELECT count(*) FROM mailings"),
	    (long long)scalar("SELECT count(*) FROM outbox"),
	    text("SELECT group_concat(status || coalesce(consent_source, '')"
	    " || coalesce(consent_at, 0), ',') FROM subscribers WHERE ? = ?",
	    "x"));
}

static void
add_sub(const char *email, const char *name, const char *lang, int active,
    char token[33])
{
	struct sub_fields f;
	char *err = NULL;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.language = lang;
	if (subscriber_add(db, email, &f, active, "test", 0, &err) != SUB_ADDED)
		fail_msg("add %s: %s", email, err);
	snprintf(token, 33, "%s", text("SELECT token FROM subscribers WHERE"
	    " email = ?", email));
	assert_int_equal(strlen(token), 32);
}

static void
call(const char *method, const char *path, const char *body,
    const char *inm, const char *accept, struct http_response *resp)
{
	web_request(web, method, path, body, "127.0.0.1", inm, accept, resp);
}

/* Every HTML page: escaped organisation name, no script, inline CSS. */
static void
check_html(const struct http_response *resp)
{
	assert_null(strstr(resp->body.data, "<script"));
	expect_in(resp->body.data, "&lt;script&gt;");
	expect_in(resp->body.data, "<meta name=\"viewport\"");
	assert_null(strstr(resp->body.data, "<link"));
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
test_unsubscribe(void **state)
{
	struct http_response r;
	char tok[33], path[64], *before, *after;

	(void)state;
	add_sub("anna@example.org", "Anna " EVIL, "de", 1, tok);
	snprintf(path, sizeof(path), "/u/%s", tok);

	/* GET and HEAD change nothing, show the masked address */
	before = db_state();
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "a…@example.org");
	assert_null(strstr(r.body.data, "anna@"));
	expect_in(r.body.data, "<form method=\"post\">");
	expect_in(r.body.data, "abmelden");
	check_html(&r);
	resp_free(&r);
	call("HEAD", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* POST (the button) unsubscribes, one notice */
	call("POST", path, "confirm=yes", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "abgemeldet");
	check_html(&r);
	resp_free(&r);
	assert_string_equal(text("SELECT status FROM subscribers WHERE email"
	    " = ?", "anna@example.org"), "unsubscribed");
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'unsubscribed'"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN mailings m"
	    " ON m.id = o.mailing_id WHERE m.kind = 'unsubscribed'"), 1);

	/* again: a calm page, no second mail */
	before = db_state();
	call("POST", path, "List-Unsubscribe=One-Click", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "bereits abgemeldet");
	resp_free(&r);
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "bereits abgemeldet");
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'unsubscribed'"), 1);
}

/* RFC 8058 as Gmail sends it, to an English subscriber */
static void
test_one_click(void **state)
{
	struct http_response r;
	char tok[33], path[64];

	(void)state;
	add_sub("bert@example.org", NULL, "en", 1, tok);
	snprintf(path, sizeof(path), "/u/%s", tok);
	call("POST", path, "List-Unsubscribe=One-Click", NULL, "de", &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "You are unsubscribed");
	expect_in(r.body.data, "b…@example.org");
	resp_free(&r);
	assert_string_equal(text("SELECT status FROM subscribers WHERE email"
	    " = ?", "bert@example.org"), "unsubscribed");
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN mailings m"
	    " ON m.id = o.mailing_id JOIN subscribers s ON s.id ="
	    " o.subscriber_id WHERE m.kind = 'unsubscribed' AND s.email ="
	    " 'bert@example.org'"), 1);
}

static void
test_bad_tokens(void **state)
{
	static const char *const paths[] = {
		"/u/00000000000000000000000000000000",	/* unknown */
		"/u/0000",				/* malformed */
		"/u/ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"/u/000000000000000000000000000000000", /* 33 */
		"/c/00000000000000000000000000000000",
		"/c/x",
		"/nirgends",
		"/u/",
		"/kalender/Nirgendwo.ics",
		"/e/nothing@example.org.ics",
		NULL
	};
	struct http_response r, first;
	char tok[33], upper[64], *before, *after;
	size_t i;

	(void)state;
	add_sub("carla@example.org", NULL, "de", 1, tok);
	before = db_state();
	call("GET", paths[0], NULL, NULL, NULL, &first);
	assert_int_equal(first.status, 404);
	check_html(&first);
	for (i = 0; paths[i] != NULL; i++) {
		call(i % 2 ? "POST" : "GET", paths[i], i % 2 ?
		    "List-Unsubscribe=One-Click" : NULL, NULL, NULL, &r);
		assert_int_equal(r.status, 404);
		if (strcmp(r.body.data, first.body.data) != 0)
			fail_msg("%s answers differently", paths[i]);
		resp_free(&r);
	}
	/* the real token in upper case is malformed: the same page */
	snprintf(upper, sizeof(upper), "/u/%s", tok);
	for (i = 3; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] -= 'a' - 'A';
	call("POST", upper, "List-Unsubscribe=One-Click", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body.data, first.body.data);
	resp_free(&r);
	resp_free(&first);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* an English reader gets the English page */
	call("GET", "/nirgends", NULL, NULL, "fr;q=0.9, en-GB;q=0.8, de;q=0.1",
	    &r);
	assert_int_equal(r.status, 404);
	expect_in(r.body.data, "lang=\"en\"");
	expect_in(r.body.data, "does not exist");
	resp_free(&r);
}

static void
test_confirm(void **state)
{
	struct http_response r;
	char tok[33], path[64], *before, *after;

	(void)state;
	add_sub("dora@example.org", NULL, NULL, 0, tok);
	snprintf(path, sizeof(path), "/c/%s", tok);
	before = db_state();
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "d…@example.org");
	expect_in(r.body.data, "<form method=\"post\">");
	check_html(&r);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_string_equal(text("SELECT status FROM subscribers WHERE email"
	    " = ?", "dora@example.org"), "pending");

	call("POST", path, "confirm=yes", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "jetzt angemeldet");
	check_html(&r);
	resp_free(&r);
	assert_string_equal(text("SELECT status || ' ' || consent_source FROM"
	    " subscribers WHERE email = ?", "dora@example.org"),
	    "active web-confirmation");
	assert_true(scalar("SELECT consent_at FROM subscribers WHERE email ="
	    " 'dora@example.org'") > 0);
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN mailings m"
	    " ON m.id = o.mailing_id WHERE m.kind = 'welcome'"), 1);

	/* again: confirmed already, no second welcome */
	call("POST", path, "confirm=yes", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "bereits angemeldet");
	resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'welcome'"), 1);
}

static int64_t
add_event(const char *title, const char *district, const char *start)
{
	struct event_fields f;
	char *err = NULL;
	int64_t id;

	memset(&f, 0, sizeof(f));
	f.kind = "training";
	f.title = title;
	f.start = start;
	f.all_day = -1;
	f.capacity = -1;
	f.district = district;
	if (event_add(db, "Europe/Berlin", "example.org", &f, &id, &err) < 0)
		fail_msg("event_add: %s", err);
	assert_int_equal(event_publish(db, id, &err), 0);
	return id;
}

static void
test_feeds(void **state)
{
	struct http_response r;
	char *err = NULL, *etag, path[300];
	int64_t a;

	(void)state;
	assert_true(district_id(db, "Nord", 1, &err) > 0);
	assert_true(district_id(db, "Süd", 1, &err) > 0);
	a = add_event("Kreisweit " EVIL, NULL, "2030-05-10 18:00");
	add_event("Im Norden", "Nord", "2030-05-11 18:00");
	add_event("Im Süden", "Süd", "2030-05-12 18:00");
	add_event("Vorbei", NULL, "2020-05-12 18:00");

	call("GET", "/kalender.ics", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/calendar; charset=utf-8");
	expect_in(r.body.data, "METHOD:PUBLISH");
	expect_in(r.body.data, "SUMMARY:Kreisweit " EVIL);
	expect_in(r.body.data, "SUMMARY:Im Norden");
	expect_in(r.body.data, "SUMMARY:Im Süden");
	assert_null(strstr(r.body.data, "Vorbei"));
	assert_null(strstr(r.body.data, "ATTENDEE"));
	assert_non_null(r.etag);
	assert_true(r.last_modified > 0);
	etag = xstrdup(r.etag);
	resp_free(&r);

	/* the same file again: the same tag; If-None-Match gives 304 */
	call("GET", "/kalender.ics", NULL, NULL, NULL, &r);
	assert_string_equal(r.etag, etag);
	resp_free(&r);
	call("GET", "/kalender.ics", NULL, etag, NULL, &r);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.body.len, 0);
	resp_free(&r);
	snprintf(path, sizeof(path), "\"x\", W/%s", etag);
	call("GET", "/kalender.ics", NULL, path, NULL, &r);
	assert_int_equal(r.status, 304);
	resp_free(&r);
	call("GET", "/kalender.ics", NULL, "\"other\"", NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	free(etag);

	call("GET", "/kalender/Nord.ics", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "SUMMARY:Kreisweit");
	expect_in(r.body.data, "SUMMARY:Im Norden");
	assert_null(strstr(r.body.data, "Im Süden"));
	resp_free(&r);
	call("GET", "/kalender/Süd.ics", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "SUMMARY:Im Süden");
	assert_null(strstr(r.body.data, "Im Norden"));
	resp_free(&r);
	call("GET", "/kalender/West.ics", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	/* feeds are GET only */
	call("POST", "/kalender.ics", "a=b", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);

	/* one event */
	snprintf(path, sizeof(path), "/e/%s.ics", text("SELECT uid FROM events"
	    " WHERE title LIKE ?", "Kreisweit%"));
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "METHOD:PUBLISH");
	expect_in(r.body.data, "SUMMARY:Kreisweit");
	assert_null(strstr(r.body.data, "Im Norden"));
	assert_non_null(r.etag);
	resp_free(&r);
	/* a cancelled event is not published any more */
	assert_int_equal(event_cancel(db, a, &err), 0);
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsubscribe),
		cmocka_unit_test(test_one_click),
		cmocka_unit_test(test_bad_tokens),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_feeds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
