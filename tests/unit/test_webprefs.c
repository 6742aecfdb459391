/*
 * Unit tests: the preferences page /p/TOKEN of rundbrief-web
 * (webprefs.c), called as the server calls it, with requests built by
 * hand (the form parsed by http_parse_form(), as the server does) on a
 * temporary database: GET shows the stored values and changes nothing,
 * POST changes name, language, districts, topics, newsletter and
 * invitations, invalid values change nothing and say why, names are
 * escaped, unsubscribed people see no form, a bad token gets the neutral
 * 404, and the newsletter footer links to the page.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "render.h"
#include "renderpriv.h"
#include "subscriber.h"
#include "tmplset.h"
#include "tmplvalue.h"
#include "util.h"
#include "web.h"

#include "tmpdir.h"
#include "web_testlib.h"

static struct config *cfg;
static struct db *db;
static struct web *web;

#define EVIL "<script>alert(1)</script>"

static int
setup(void **state)
{
	char *err = NULL;

	if (tmpdir_setup(state) < 0)
		return -1;
	cfg = config_defaults();
	free(cfg->database);
	cfg->database = xasprintf("%s/db.sqlite", dir);
	free(cfg->base_url);
	cfg->base_url = xstrdup("https://rundbrief.example.org/");
	if (db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0)
		return -1;
	if (district_id(db, "Nord", 1, &err) <= 0 ||
	    district_id(db, "Süd", 1, &err) <= 0 ||
	    district_id(db, "Mitte", 1, &err) <= 0)
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

/* Adds email (active) in Nord with topics Garten and Sprachcafé; its
 * token into tok, the page's path into path. */
static void
add_sub(const char *email, const char *name, char tok[33], char path[40])
{
	static const char *const d[] = { "Nord" };
	static const char *const t[] = { "Garten", "Sprachcafé" };
	struct sub_fields f;
	struct subscriber *s;
	char *err = NULL;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.language = "de";
	f.set_districts = 1;
	f.districts = d;
	f.ndistricts = 1;
	f.set_topics = 1;
	f.topics = t;
	f.ntopics = 2;
	if (subscriber_add(db, email, &f, 1, "test", 0, &err) != SUB_ADDED)
		fail_msg("add %s: %s", email, err);
	assert_int_equal(subscriber_get(db, email, &s), 0);
	snprintf(tok, 33, "%s", s->token);
	snprintf(path, 40, "/p/%s", s->token);
	subscriber_free(s);
}

/* Everything of a subscriber the page may change, as one line. */
static char *
state_of(const char *email)
{
	struct subscriber *s;
	struct buf b;
	size_t i;

	assert_int_equal(subscriber_get(db, email, &s), 0);
	buf_init(&b);
	buf_printf(&b, "%s|%s|%s|", s->name, s->language, s->status);
	for (i = 0; i < s->ndistricts; i++)
		buf_printf(&b, "%s,", s->districts[i]);
	buf_puts(&b, "|");
	for (i = 0; i < s->ntopics; i++)
		buf_printf(&b, "%s,", s->topics[i]);
	buf_printf(&b, "|%d|%s|%lld", s->newsletter, s->invitations,
	    (long long)s->updated_at);
	subscriber_free(s);
	return buf_steal(&b);
}

static void
call(const char *method, const char *path, const char *body,
    const char *accept, struct http_response *resp)
{
	web_request(web, method, path, body, "127.0.0.1", NULL, accept, resp);
}

/* POSTs body and checks that nothing changed and the page says why. */
static void
post_invalid(const char *email, const char *path, const char *body,
    const char *why)
{
	struct http_response r;
	char *before = state_of(email), *after;

	call("POST", path, body, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Nichts wurde geändert");
	expect_in(r.body.data, why);
	expect_in(r.body.data, "<form method=\"post\">");
	assert_null(strstr(r.body.data, "<script"));
	resp_free(&r);
	after = state_of(email);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_get_changes_nothing(void **state)
{
	struct http_response r;
	char tok[33], path[40], *before, *after;

	(void)state;
	add_sub("gina@example.org", "Gina " EVIL, tok, path);
	before = state_of("gina@example.org");
	call("GET", path, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "<form method=\"post\">");
	expect_in(r.body.data, "g…@example.org");
	assert_null(strstr(r.body.data, "gina@"));
	/* the name, escaped */
	assert_null(strstr(r.body.data, "<script"));
	expect_in(r.body.data, "value=\"Gina &lt;script&gt;");
	/* language, districts, topics, choices as stored */
	expect_in(r.body.data, "<option value=\"de\" selected>Deutsch");
	expect_in(r.body.data, "<option value=\"en\">English");
	expect_in(r.body.data, "value=\"Nord\" checked>");
	expect_in(r.body.data, "value=\"Süd\">");
	expect_in(r.body.data, "value=\"Mitte\">");
	expect_in(r.body.data, "name=\"topics\" value=\"Garten, Sprachcafé\"");
	expect_in(r.body.data, "name=\"topic\" value=\"Garten\" checked>");
	expect_in(r.body.data, "value=\"yes\" checked>");
	expect_in(r.body.data, "value=\"all\" checked>");
	expect_in(r.body.data, "<meta name=\"viewport\"");
	resp_free(&r);
	call("HEAD", path, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	after = state_of("gina@example.org");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_post_changes(void **state)
{
	struct http_response r;
	struct subscriber *s;
	char tok[33], path[40];

	(void)state;
	add_sub("paul@example.org", "Paul", tok, path);
	call("POST", path, "name=Paul+M%C3%BCller&language=en&district=S%C3%BCd"
	    "&district=Mitte&topics=Garten%2C+Kochen&topic=Garten&topic=Chor"
	    "&newsletter=no&invitations=none", NULL, &r);
	assert_int_equal(r.status, 200);
	/* the saved state, in the new language, with a note */
	expect_in(r.body.data, "Your preferences are saved.");
	expect_in(r.body.data, "value=\"Paul Müller\"");
	expect_in(r.body.data, "<option value=\"en\" selected>");
	expect_in(r.body.data, "value=\"Mitte\" checked>");
	expect_in(r.body.data, "value=\"no\" checked>");
	expect_in(r.body.data, "value=\"none\" checked>");
	resp_free(&r);
	assert_int_equal(subscriber_get(db, "paul@example.org", &s), 0);
	assert_string_equal(s->name, "Paul Müller");
	assert_string_equal(s->language, "en");
	assert_string_equal(s->status, "active");
	assert_int_equal(s->ndistricts, 2);
	assert_string_equal(s->districts[0], "Mitte");
	assert_string_equal(s->districts[1], "Süd");
	assert_int_equal(s->ntopics, 3);
	assert_true(subscriber_topics_meet(s->topics, s->ntopics,
	    (char *[]){ "Chor" }, 1));
	assert_true(subscriber_topics_meet(s->topics, s->ntopics,
	    (char *[]){ "Kochen" }, 1));
	assert_false(subscriber_topics_meet(s->topics, s->ntopics,
	    (char *[]){ "Sprachcafé" }, 1));
	assert_int_equal(s->newsletter, 0);
	assert_string_equal(s->invitations, "none");
	subscriber_free(s);

	/* back again; no district ticked is none; no topics */
	call("POST", path, "name=Paul&language=de&topics=&newsletter=yes"
	    "&invitations=all", NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Ihre Einstellungen sind gespeichert.");
	resp_free(&r);
	assert_int_equal(subscriber_get(db, "paul@example.org", &s), 0);
	assert_string_equal(s->language, "de");
	assert_int_equal(s->ndistricts, 0);
	assert_int_equal(s->ntopics, 0);
	assert_int_equal(s->newsletter, 1);
	assert_string_equal(s->invitations, "all");
	subscriber_free(s);

	/* the same again: saved, nothing changed */
	call("POST", path, "name=Paul&language=de&topics=&newsletter=yes"
	    "&invitations=all", NULL, &r);
	expect_in(r.body.data, "es hat sich nichts geändert");
	resp_free(&r);
}

static void
test_invalid(void **state)
{
	char tok[33], path[40], body[600];
	const char *e = "ines@example.org";

	(void)state;
	add_sub(e, "Ines", tok, path);
	post_invalid(e, path, "name=Ines&language=de&district=Nord"
	    "&district=Atlantis&topics=Garten&newsletter=no", "„Atlantis“");
	post_invalid(e, path, "name=Ines&language=xx&district=Nord"
	    "&newsletter=no", "Diese Sprache bieten wir nicht an");
	/* a real language without pages */
	post_invalid(e, path, "name=Ines&language=fr&district=Nord",
	    "Diese Sprache bieten wir nicht an");
	memset(body, 0, sizeof(body));
	strcpy(body, "district=Nord&newsletter=no&name=");
	memset(body + strlen(body), 'a', 201);
	post_invalid(e, path, body, "höchstens 200 Zeichen");
	post_invalid(e, path, "name=In%FFes&district=Nord&newsletter=no",
	    "höchstens 200 Zeichen");
	post_invalid(e, path, "name=In%0Aes&district=Nord", "Steuerzeichen");
	post_invalid(e, path, "name=Ines&district=S%FCd", "Stadtteil");
	post_invalid(e, path, "name=Ines&topics=Garten%2C+%FF", "Thema");
	post_invalid(e, path, "name=Ines&newsletter=maybe", "„Ja“ oder");
	post_invalid(e, path, "name=Ines&invitations=some", "„alle“ oder");
	/* the wrong district is shown escaped */
	post_invalid(e, path, "name=Ines&district=%3Cscript%3E",
	    "„&lt;script&gt;“");
}

static void
test_closed(void **state)
{
	struct http_response r;
	char tok[33], path[40], *before, *after, *err = NULL;

	(void)state;
	add_sub("ulla@example.org", "Ulla", tok, path);
	assert_true(subscriber_set_status(db, "ulla@example.org",
	    "unsubscribed", NULL, &err) >= 0);
	before = state_of("ulla@example.org");
	call("GET", path, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	expect_in(r.body.data, "Sie erhalten keine E-Mails von uns");
	assert_null(strstr(r.body.data, "<form"));
	resp_free(&r);
	call("POST", path, "name=X&newsletter=yes", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "<form"));
	resp_free(&r);
	after = state_of("ulla@example.org");
	assert_string_equal(before, after);
	free(before);
	free(after);

	add_sub("bert@example.org", "Bert", tok, path);
	assert_true(subscriber_set_status(db, "bert@example.org", "bounced",
	    NULL, &err) >= 0);
	call("GET", path, NULL, NULL, &r);
	expect_in(r.body.data, "kamen nicht an");
	assert_null(strstr(r.body.data, "<form"));
	resp_free(&r);
}

static void
test_bad_token(void **state)
{
	struct http_response nf, r;
	char tok[33], path[40];

	(void)state;
	add_sub("tina@example.org", "Tina", tok, path);
	call("GET", "/nirgends", NULL, NULL, &nf);
	assert_int_equal(nf.status, 404);
	path[3] = path[3] == '0' ? '1' : '0';
	call("GET", path, NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body.len, nf.body.len);
	assert_memory_equal(r.body.data, nf.body.data, nf.body.len);
	resp_free(&r);
	call("POST", path, "name=X", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_memory_equal(r.body.data, nf.body.data, nf.body.len);
	resp_free(&r);
	call("GET", "/p/ABC", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_memory_equal(r.body.data, nf.body.data, nf.body.len);
	resp_free(&r);
	resp_free(&nf);
}

/* The newsletter's footer links to the page (only with a base_url). */
static void
test_footer_link(void **state)
{
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *rd = render_new(cfg, ts);
	struct subscriber s;
	struct tv *v;
	const struct tv *p;
	char *b;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.email = "f@example.org";
	s.name = "F";
	s.token = "0123456789abcdef0123456789abcdef";
	v = render_person_tv(rd, "de", &s);
	p = tv_get(tv_get(v, "preferences"), "url");
	assert_string_equal(tv_str(p, NULL), "https://rundbrief.example.org/p/"
	    "0123456789abcdef0123456789abcdef");
	tv_free(v);
	render_free(rd);
	b = cfg->base_url;
	cfg->base_url = NULL;
	rd = render_new(cfg, ts);
	v = render_person_tv(rd, "de", &s);
	p = tv_get(tv_get(v, "preferences"), "url");
	assert_string_equal(tv_str(p, NULL), "");
	tv_free(v);
	render_free(rd);
	cfg->base_url = b;
	tmplset_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_changes_nothing),
		cmocka_unit_test(test_post_changes),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_bad_token),
		cmocka_unit_test(test_footer_link),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
