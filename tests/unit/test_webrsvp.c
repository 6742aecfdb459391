/*
 * Unit tests: the answer page /r/TOKEN/EVENT of rundbrief-web
 * (webrsvp.c), called as the server calls it, on a temporary database
 * set up through the modules (an event, its invitation queued) — a GET
 * changes nothing, each answer is stored in rsvps, a later one replaces
 * it, capacity reached offers only declining and refuses an acceptance
 * (the coordinator is told once), someone not invited gets the same 404
 * as a bad token, a cancelled event shows no buttons, titles are escaped.
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
#include "http.h"
#include "mailing.h"
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

static char text_bufs[2][1024];
static int text_n;

static const char *
text(const char *fmt, const char *arg)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), fmt, -1, &st, NULL),
	    SQLITE_OK);
	char *text_buf = text_bufs[text_n++ % 2];

	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, arg, -1, SQLITE_STATIC);
	text_buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(text_buf, 1024, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return text_buf;
}

/* A summary of everything a page may change. */
static char *
db_state(void)
{
	return xasprintf("%lld/%lld/%lld/%lld/%s/%s",
	    (long long)scalar("SELECT count(*) FROM subscribers WHERE status ="
	    " 'active'"), (long long)scalar("SELECT count(*) FROM mailings"),
	    (long long)scalar("SELECT count(*) FROM outbox"),
	    (long long)scalar("SELECT sum(full_noticed) FROM events"),
	    text("SELECT group_concat(email || partstat || dtstamp, ',')"
	    " FROM rsvps WHERE ? = ?", "x"),
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

/* Each test on a database of its own, in the group's directory. */
static int
setup(void **state)
{
	static int n;
	char *err = NULL;

	(void)state;
	cfg = config_defaults();
	free(cfg->database);
	cfg->database = xasprintf("%s/db%d.sqlite", dir, ++n);
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
	(void)state;
	web_free(web);
	db_close(db);
	config_free(cfg);
	return 0;
}

/* A published event with capacity places (0: no limit). */
static int64_t
add_event(const char *title, long capacity)
{
	struct event_fields f;
	char *err = NULL;
	int64_t id;

	memset(&f, 0, sizeof(f));
	f.kind = "training";
	f.title = title;
	f.start = "2031-05-10 18:00";
	f.location = "Rathaus, Saal 2";
	f.all_day = -1;
	f.capacity = capacity > 0 ? capacity : -1;
	if (event_add(db, "Europe/Berlin", "example.org", &f, &id, &err) < 0)
		fail_msg("event_add: %s", err);
	assert_int_equal(event_publish(db, id, &err), 0);
	return id;
}

/* The invitation of event id, queued for its audience (as publishing). */
static void
invite(int64_t id)
{
	struct event *ev;
	char *err = NULL;
	int64_t mid;
	long n;

	assert_int_equal(event_get(db, id, &ev), 0);
	if (mailing_event(cfg, db, "invitation", ev, NULL, 0, NULL, NULL,
	    time(NULL), &mid, &n, &err) != 0)
		fail_msg("mailing_event: %s", err);
	assert_true(n > 0);
	event_free(ev);
}

static char *
rpath(const char *tok, int64_t id)
{
	return xasprintf("/r/%s/%lld", tok, (long long)id);
}

static const char *
answer_of(const char *email, int64_t id)
{
	char *q = xasprintf("SELECT partstat FROM rsvps WHERE event_id = %lld"
	    " AND occurrence = '' AND email = ?", (long long)id);
	const char *t = text(q, email);

	free(q);
	return t;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_answers(void **state)
{
	struct http_response r;
	char tok[33], *path, *before, *after;
	int64_t id;
	time_t first;

	(void)state;
	add_sub("anna@example.org", "Anna", "de", 1, tok);
	id = add_event("Schulung " EVIL, 0);
	invite(id);
	path = rpath(tok, id);

	/* GET and HEAD show the event and three buttons, change nothing */
	before = db_state();
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	check_html(&r);
	expect_in(r.body.data, "Schulung &lt;script&gt;alert(1)&lt;/script&gt;");
	expect_in(r.body.data, "Samstag, 10. Mai 2031, 18:00–19:00 Uhr");
	expect_in(r.body.data, "Rathaus, Saal 2");
	expect_in(r.body.data, "a…@example.org");
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 3);
	expect_in(r.body.data, "value=\"accepted\">Zusagen<");
	expect_in(r.body.data, "value=\"tentative\"");
	expect_in(r.body.data, ">Vielleicht<");
	expect_in(r.body.data, ">Absagen<");
	resp_free(&r);
	call("HEAD", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* GET with a body changes nothing either */
	call("GET", path, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(scalar("SELECT count(*) FROM rsvps"), 0);

	/* each answer is stored, the later replaces the earlier */
	call("POST", path, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	check_html(&r);
	expect_in(r.body.data, "Danke");
	expect_in(r.body.data, "Sie sind dabei");
	resp_free(&r);
	assert_string_equal(answer_of("anna@example.org", id), "accepted");
	first = (time_t)scalar("SELECT dtstamp FROM rsvps");
	assert_true(first > 0);
	assert_int_equal(scalar("SELECT subscriber_id = (SELECT id FROM"
	    " subscribers WHERE email = 'anna@example.org') FROM rsvps"), 1);

	call("POST", path, "answer=tentative", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Vielleicht.");
	resp_free(&r);
	assert_string_equal(answer_of("anna@example.org", id), "tentative");

	call("POST", path, "answer=declined", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "nicht dabei");
	resp_free(&r);
	assert_string_equal(answer_of("anna@example.org", id), "declined");
	assert_int_equal(scalar("SELECT count(*) FROM rsvps"), 1);
	assert_true(scalar("SELECT dtstamp FROM rsvps") >= first);

	/* the page shows the answer given */
	call("GET", path, NULL, NULL, NULL, &r);
	expect_in(r.body.data, "<strong>abgesagt</strong>");
	resp_free(&r);

	/* an answer that is none: nothing stored, the buttons again */
	before = db_state();
	call("POST", path, "answer=maybe-later", NULL, NULL, &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 3);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);

	free(path);
}

static void
test_english(void **state)
{
	struct http_response r;
	char tok[33], *path;
	int64_t id;

	(void)state;
	add_sub("bert@example.org", NULL, "en", 1, tok);
	id = add_event("Training", 0);
	invite(id);
	path = rpath(tok, id);
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "lang=\"en\"");
	expect_in(r.body.data, "Saturday, 10 May 2031, 6:00–7:00 pm");
	expect_in(r.body.data, ">Accept<");
	expect_in(r.body.data, ">Maybe<");
	expect_in(r.body.data, ">Decline<");
	resp_free(&r);
	call("POST", path, "answer=tentative", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Thank you");
	resp_free(&r);
	assert_string_equal(answer_of("bert@example.org", id), "tentative");
	free(path);
}

static void
test_capacity(void **state)
{
	struct http_response r;
	char ta[33], tb[33], tc[33], *pa, *pb, *pc, *before, *after;
	int64_t id;

	(void)state;
	add_sub("anna@example.org", NULL, "de", 1, ta);
	add_sub("bert@example.org", NULL, "de", 1, tb);
	add_sub("carla@example.org", NULL, "de", 1, tc);
	id = add_event("Zwei Plätze", 2);
	invite(id);
	pa = rpath(ta, id);
	pb = rpath(tb, id);
	pc = rpath(tc, id);

	call("POST", pa, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'notice'"), 0);
	call("POST", pb, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* full now: the coordinator is told, once */
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'notice'"), 1);
	assert_int_equal(scalar("SELECT full_noticed FROM events WHERE id ="
	    " %lld", (long long)id), 1);

	/* carla: the page says so and offers only "Absagen" */
	call("GET", pc, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Alle Plätze sind vergeben");
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 1);
	expect_in(r.body.data, ">Absagen<");
	assert_null(strstr(r.body.data, ">Zusagen<"));
	assert_null(strstr(r.body.data, ">Vielleicht<"));
	resp_free(&r);
	/* her acceptance is refused, nothing changes */
	before = db_state();
	call("POST", pc, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 409);
	expect_in(r.body.data, "Alle Plätze sind vergeben");
	expect_in(r.body.data, "nicht mehr angenommen");
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 1);
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_string_equal(answer_of("carla@example.org", id), "");
	/* declining is taken */
	call("POST", pc, "answer=declined", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_string_equal(answer_of("carla@example.org", id), "declined");

	/* anna accepted already: she keeps all three buttons, and
	 * accepting again is no refusal and no second notice */
	call("GET", pa, NULL, NULL, NULL, &r);
	assert_null(strstr(r.body.data, "Alle Plätze sind vergeben"));
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 3);
	resp_free(&r);
	call("POST", pa, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* bert frees his place: carla may accept; full again, no notice */
	call("POST", pb, "answer=declined", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	call("GET", pc, NULL, NULL, NULL, &r);
	assert_int_equal(count(r.body.data, "<form method=\"post\""), 3);
	resp_free(&r);
	call("POST", pc, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_string_equal(answer_of("carla@example.org", id), "accepted");
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE kind ="
	    " 'notice'"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN mailings m"
	    " ON m.id = o.mailing_id WHERE m.kind = 'notice'"), 1);
	free(pa);
	free(pb);
	free(pc);
}

static void
test_not_invited(void **state)
{
	struct http_response r, first;
	char ta[33], tl[33], *p, *before, *after, *paths[8];
	int64_t id, draft;
	struct event_fields f;
	char *err = NULL;
	size_t i;

	(void)state;
	add_sub("anna@example.org", NULL, "de", 1, ta);
	id = add_event("Eingeladen", 0);
	invite(id);
	/* lena came after the invitation: not reached */
	add_sub("lena@example.org", NULL, "de", 1, tl);
	memset(&f, 0, sizeof(f));
	f.kind = "training";
	f.title = "Entwurf";
	f.start = "2031-06-10 18:00";
	f.all_day = -1;
	f.capacity = -1;
	assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f,
	    &draft, &err), 0);

	before = db_state();
	call("GET", "/r/00000000000000000000000000000000/1", NULL, NULL, NULL,
	    &first);
	assert_int_equal(first.status, 404);
	i = 0;
	paths[i++] = rpath(tl, id);                      /* not invited */
	paths[i++] = rpath(ta, draft);                   /* a draft */
	paths[i++] = rpath(ta, 999);                     /* no such event */
	paths[i++] = xasprintf("/r/%s/%lldx", ta, (long long)id);
	paths[i++] = xasprintf("/r/%s/0%lld", ta, (long long)id);
	paths[i++] = xasprintf("/r/%s", ta);
	paths[i++] = xasprintf("/r/%s/%lld/x", ta, (long long)id);
	paths[i++] = xasprintf("/r/xyz/%lld", (long long)id);
	for (i = 0; i < 8; i++) {
		call(i % 2 ? "GET" : "POST", paths[i], i % 2 ? NULL :
		    "answer=accepted", NULL, NULL, &r);
		assert_int_equal(r.status, 404);
		if (strcmp(r.body.data, first.body.data) != 0)
			fail_msg("%s answers differently", paths[i]);
		resp_free(&r);
		free(paths[i]);
	}
	resp_free(&first);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* anna was invited */
	p = rpath(ta, id);
	call("GET", p, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	free(p);
}

static void
test_cancelled(void **state)
{
	struct http_response r;
	char tok[33], *path, *before, *after, *err = NULL;
	int64_t id;

	(void)state;
	add_sub("anna@example.org", NULL, "de", 1, tok);
	id = add_event("Fällt aus", 0);
	invite(id);
	assert_int_equal(event_cancel(db, id, &err), 0);
	path = rpath(tok, id);
	before = db_state();
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "abgesagt");
	expect_in(r.body.data, "Fällt aus");
	assert_null(strstr(r.body.data, "<form"));
	assert_null(strstr(r.body.data, "<button"));
	resp_free(&r);
	call("POST", path, "answer=accepted", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "<form"));
	resp_free(&r);
	after = db_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_english, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_invited, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancelled, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
