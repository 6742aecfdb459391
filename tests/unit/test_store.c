/* Unit tests: database schema, subscribers, tombstones, events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
#include "subscriber.h"
#include "topic.h"
#include "util.h"

#include "tmpdir.h"


static struct db *
fresh_db(const char *name)
{
	char path[512], *err = NULL;
	struct db *db;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (db_open(path, DB_OPEN_MIGRATE, &db, &err) < 0)
		fail_msg("db_open: %s", err);
	return db;
}

static int64_t
count(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_schema_and_pragmas(void **state)
{
	struct db *db = fresh_db("schema.db");
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_int_equal(count(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), "PRAGMA journal_mode",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	db_close(db);
}

/* A database at schema version 1 with data upgrades and keeps the data. */
static void
test_migration_from_v1(void **state)
{
	char path[512], *err = NULL;
	struct db *db;
	struct sub_fields f;
	struct subscriber *s;

	(void)state;
	snprintf(path, sizeof(path), "%s/old.db", dir);
	unlink(path);
	/* an empty file is version 0: refused until init */
	{
		sqlite3 *h;
		assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
		sqlite3_close(h);
	}
	assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), -1);
	assert_non_null(strstr(err, "older"));
	free(err);
	err = NULL;
	/* build the version-1 schema as an old release wrote it */
	assert_int_equal(db_open(path, DB_OPEN_ANY, &db, &err), 0);
	assert_int_equal(db_migrate(db, 1, &err), 0);
	assert_int_equal(db_schema_version(db), 1);
	assert_int_equal(sqlite3_exec(db_handle(db), "INSERT INTO subscribers"
	    "(email, name, language, status, token, created_at, updated_at)"
	    " VALUES ('old@example.org', 'Old Timer', 'de', 'active',"
	    " 'tok', 1, 1)", NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(db_open(path, DB_OPEN_MIGRATE, &db, &err), 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_int_equal(subscriber_get(db, "OLD@example.org", &s), 0);
	assert_string_equal(s->name, "Old Timer");
	assert_int_equal(s->bounces, 0); /* column added by version 2 */
	subscriber_free(s);
	/* version 2 features work on the upgraded database */
	memset(&f, 0, sizeof(f));
	assert_int_equal(subscriber_forget(db, "old@example.org", &err), 0);
	assert_int_equal(subscriber_is_forgotten(db, "Old@Example.org"), 1);
	db_close(db);
}

static void
test_newer_schema_refused(void **state)
{
	struct db *db = fresh_db("newer.db");
	char path[512], *err = NULL;

	(void)state;
	assert_int_equal(sqlite3_exec(db_handle(db), "PRAGMA user_version = 999",
	    NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	snprintf(path, sizeof(path), "%s/newer.db", dir);
	assert_int_equal(db_open(path, DB_OPEN_MIGRATE, &db, &err), -1);
	assert_non_null(strstr(err, "newer than this program"));
	free(err);
}

static void
test_subscriber_add_and_case(void **state)
{
	struct db *db = fresh_db("subs.db");
	struct sub_fields f;
	struct subscriber *a, *b;
	const char *d[] = { "Nord", "Süd" };
	char *err = NULL;
	size_t i;

	(void)state;
	assert_int_equal(district_add(db, "Nord", &err), 1);
	assert_int_equal(district_add(db, "Süd", &err), 1);
	assert_int_equal(district_add(db, "nord", &err), 0); /* exists */
	memset(&f, 0, sizeof(f));
	f.name = "Anna Schneider";
	f.language = "de";
	f.set_districts = 1;
	f.districts = d;
	f.ndistricts = 2;
	assert_int_equal(subscriber_add(db, "Anna@Example.org", &f, 1, "test",
	    0, &err), SUB_ADDED);
	assert_int_equal(subscriber_add(db, "anna@example.ORG", &f, 1, "test",
	    0, &err), SUB_ERR_EXISTS);
	free(err);
	err = NULL;
	assert_int_equal(subscriber_get(db, "ANNA@example.org", &a), 0);
	assert_string_equal(a->status, "active");
	assert_string_equal(a->consent_source, "test");
	assert_true(a->consent_at > 0);
	assert_int_equal(a->ndistricts, 2);
	assert_int_equal(strlen(a->token), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", a->token[i]));
	/* pending without --confirmed; tokens differ */
	f.name = "Bob";
	f.set_districts = 0;
	assert_int_equal(subscriber_add(db, "bob@example.org", &f, 0, NULL, 0,
	    &err), SUB_ADDED);
	assert_int_equal(subscriber_get(db, "bob@example.org", &b), 0);
	assert_string_equal(b->status, "pending");
	assert_null(b->consent_source);
	assert_string_not_equal(a->token, b->token);
	subscriber_free(a);
	subscriber_free(b);
	/* invalid input changes nothing */
	f.language = "xx";
	assert_int_equal(subscriber_add(db, "carl@example.org", &f, 0, NULL, 0,
	    &err), SUB_ERR_INVALID);
	assert_non_null(strstr(err, "ISO 639-1"));
	free(err);
	err = NULL;
	f.language = "de";
	assert_int_equal(subscriber_add(db, "not-an-address", &f, 0, NULL, 0,
	    &err), SUB_ERR_INVALID);
	free(err);
	err = NULL;
	/* unknown district: error, and no half-added subscriber */
	{
		const char *bad[] = { "Nord", "Nrod" };
		f.set_districts = 1;
		f.districts = bad;
		f.ndistricts = 2;
		assert_int_equal(subscriber_add(db, "dora@example.org", &f, 1,
		    "t", 0, &err), SUB_ERR_DISTRICT);
		assert_non_null(strstr(err, "Nrod"));
		free(err);
		err = NULL;
		assert_int_equal(count(db, "SELECT count(*) FROM subscribers "
		    "WHERE email = 'dora@example.org'"), 0);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM subscribers"), 2);
	db_close(db);
}

static void
test_upsert_semantics(void **state)
{
	struct db *db = fresh_db("upsert.db");
	struct sub_fields f;
	struct subscriber *s;
	const char *t1[] = { "Sprachcafé", "Patenschaften" };
	const char *t2[] = { "patenschaften", "sprachcafé" };
	char *err = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.name = "Eva";
	f.set_topics = 1;
	f.topics = t1;
	f.ntopics = 2;
	f.default_language = "en";
	assert_int_equal(subscriber_upsert(db, "eva@example.org", &f, 0, "imp",
	    0, &err), SUB_ADDED);
	assert_int_equal(subscriber_get(db, "eva@example.org", &s), 0);
	assert_string_equal(s->language, "en");
	subscriber_free(s);
	/* same data again: unchanged (topics compare case-insensitively
	 * for ASCII; order does not matter) */
	f.topics = t1;
	assert_int_equal(subscriber_upsert(db, "eva@example.org", &f, 0, "imp",
	    0, &err), SUB_UNCHANGED);
	f.topics = t2;
	(void)t2;
	f.name = "Eva Lang";
	assert_int_equal(subscriber_upsert(db, "EVA@example.org", &f, 0, "imp",
	    0, &err), SUB_UPDATED);
	/* confirmed import activates a pending subscriber… */
	assert_int_equal(subscriber_upsert(db, "eva@example.org", &f, 1, "imp",
	    0, &err), SUB_UPDATED);
	assert_int_equal(subscriber_get(db, "eva@example.org", &s), 0);
	assert_string_equal(s->status, "active");
	assert_string_equal(s->name, "Eva Lang");
	subscriber_free(s);
	/* …but never re-subscribes someone who unsubscribed */
	assert_int_equal(subscriber_set_status(db, "eva@example.org",
	    "unsubscribed", NULL, &err), SUB_UPDATED);
	assert_int_equal(subscriber_upsert(db, "eva@example.org", &f, 1, "imp",
	    0, &err), SUB_SKIPPED);
	assert_int_equal(subscriber_get(db, "eva@example.org", &s), 0);
	assert_string_equal(s->status, "unsubscribed");
	subscriber_free(s);
	/* active needs consent */
	assert_int_equal(subscriber_set_status(db, "eva@example.org", "active",
	    NULL, &err), SUB_ERR_INVALID);
	free(err);
	db_close(db);
}

/* The newsletter and invitations choices: defaults, set, kept by an
 * import that does not name them, invalid values change nothing. */
static void
test_preferences_round_trip(void **state)
{
	struct db *db = fresh_db("prefs.db");
	struct sub_fields f;
	struct subscriber *s;
	const char *t[] = { "Sprachcafé" };
	char *err = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(subscriber_add(db, "fay@example.org", &f, 1, "t", 0,
	    &err), SUB_ADDED);
	assert_int_equal(subscriber_get(db, "fay@example.org", &s), 0);
	assert_int_equal(s->newsletter, 1);
	assert_string_equal(s->invitations, "all");
	subscriber_free(s);
	/* set both; the same again is unchanged */
	f.set_newsletter = 1;
	f.newsletter = 0;
	f.invitations = "none";
	assert_int_equal(subscriber_update(db, "fay@example.org", &f, 0, &err),
	    SUB_UPDATED);
	assert_int_equal(subscriber_update(db, "fay@example.org", &f, 0, &err),
	    SUB_UNCHANGED);
	assert_int_equal(subscriber_get(db, "fay@example.org", &s), 0);
	assert_int_equal(s->newsletter, 0);
	assert_string_equal(s->invitations, "none");
	subscriber_free(s);
	/* one at a time, the other stays */
	memset(&f, 0, sizeof(f));
	f.invitations = "all";
	assert_int_equal(subscriber_update(db, "fay@example.org", &f, 0, &err),
	    SUB_UPDATED);
	assert_int_equal(subscriber_get(db, "fay@example.org", &s), 0);
	assert_int_equal(s->newsletter, 0);
	assert_string_equal(s->invitations, "all");
	subscriber_free(s);
	/* an import row without the columns keeps the choices */
	memset(&f, 0, sizeof(f));
	f.set_topics = 1;
	f.topics = t;
	f.ntopics = 1;
	assert_int_equal(subscriber_upsert(db, "fay@example.org", &f, 1, "imp",
	    0, &err), SUB_UPDATED);
	assert_int_equal(subscriber_get(db, "fay@example.org", &s), 0);
	assert_int_equal(s->newsletter, 0);
	assert_string_equal(s->invitations, "all");
	subscriber_free(s);
	/* a new subscriber from an import with the columns */
	f.set_newsletter = 1;
	f.newsletter = 0;
	f.invitations = "none";
	assert_int_equal(subscriber_upsert(db, "gus@example.org", &f, 0, "imp",
	    0, &err), SUB_ADDED);
	assert_int_equal(subscriber_get(db, "gus@example.org", &s), 0);
	assert_int_equal(s->newsletter, 0);
	assert_string_equal(s->invitations, "none");
	subscriber_free(s);
	/* invalid choices are refused and change nothing */
	memset(&f, 0, sizeof(f));
	f.invitations = "some";
	assert_int_equal(subscriber_update(db, "gus@example.org", &f, 0, &err),
	    SUB_ERR_INVALID);
	assert_non_null(strstr(err, "all, none"));
	free(err);
	err = NULL;
	f.invitations = NULL;
	f.set_newsletter = 1;
	f.newsletter = 2;
	assert_int_equal(subscriber_add(db, "hal@example.org", &f, 1, "t", 0,
	    &err), SUB_ERR_INVALID);
	free(err);
	assert_int_equal(count(db, "SELECT count(*) FROM subscribers WHERE "
	    "newsletter = 0 AND invitations = 'none'"), 1);
	db_close(db);
}

/* Topics match without regard to case, also beyond ASCII. */
static void
test_topics_meet_and_known(void **state)
{
	struct db *db = fresh_db("topics.db");
	struct sub_fields f;
	char *a[] = { "Ökologie", "Sprachcafé" }, *b[] = { "SPRACHCAFÉ" },
	    *c[] = { "Kultur" };
	const char *t[] = { "Ökologie" };
	char *err = NULL;

	(void)state;
	assert_int_equal(subscriber_topics_meet(a, 2, b, 1), 1);
	assert_int_equal(subscriber_topics_meet(b, 1, a, 2), 1);
	assert_int_equal(subscriber_topics_meet(a, 2, c, 1), 0);
	assert_int_equal(subscriber_topics_meet(a, 0, c, 1), 0);
	assert_int_equal(subscriber_topics_meet(a, 2, NULL, 0), 0);
	assert_int_equal(subscriber_topic_known(db, "Ökologie"), 0);
	memset(&f, 0, sizeof(f));
	f.set_topics = 1;
	f.topics = t;
	f.ntopics = 1;
	assert_int_equal(subscriber_add(db, "ida@example.org", &f, 0, NULL, 0,
	    &err), SUB_ADDED);
	assert_int_equal(subscriber_topic_known(db, "Ökologie"), 1);
	assert_int_equal(subscriber_topic_known(db, "ÖKOLOGIE"), 1);
	assert_int_equal(subscriber_topic_known(db, "ökologie"), 1);
	assert_int_equal(subscriber_topic_known(db, "Oekologie"), 0);
	/* two spellings of one topic in a set: the first is kept */
	{
		const char *two[] = { "ökologie", "ÖKOLOGIE", "Kultur" };
		struct subscriber *s;
		f.topics = two;
		f.ntopics = 3;
		assert_int_equal(subscriber_update(db, "ida@example.org", &f,
		    0, &err), SUB_UPDATED);
		assert_int_equal(subscriber_get(db, "ida@example.org", &s), 0);
		assert_int_equal(s->ntopics, 2);
		assert_string_equal(s->topics[0], "Kultur");
		assert_string_equal(s->topics[1], "ökologie");
		subscriber_free(s);
		f.ntopics = 2;  /* the same, as far as topics go */
		f.topics = two + 1;
		assert_int_equal(subscriber_update(db, "ida@example.org", &f,
		    0, &err), SUB_UNCHANGED);
	}
	db_close(db);
}

static void
topic_seen(void *arg, const struct topic_use *t)
{
	buf_printf(arg, "%s %ld/%ld %ld/%ld\n", t->name, t->active_subscribers,
	    t->subscribers, t->published_events, t->events);
}

/* topic list: subscriber and event topics merged without regard to
 * case, counted by status, ordered by folded name. */
static void
test_topic_list(void **state)
{
	struct db *db = fresh_db("topiclist.db");
	struct sub_fields f;
	const char *t1[] = { "Sprachcafé", "Kultur" }, *t2[] = { "SPRACHCAFÉ" },
	    *t3[] = { "Ökologie" };
	char *err = NULL;
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(topic_list(db, topic_seen, &b), 0);
	assert_int_equal(b.len, 0);
	memset(&f, 0, sizeof(f));
	f.set_topics = 1;
	f.topics = t1;
	f.ntopics = 2;
	assert_int_equal(subscriber_add(db, "a@example.org", &f, 1, "t", 0,
	    &err), SUB_ADDED);
	f.topics = t2;
	f.ntopics = 1;
	assert_int_equal(subscriber_add(db, "b@example.org", &f, 0, NULL, 0,
	    &err), SUB_ADDED);
	assert_int_equal(subscriber_add(db, "c@example.org", &f, 1, "t", 0,
	    &err), SUB_ADDED);
	f.topics = t3;
	assert_int_equal(subscriber_add(db, "d@example.org", &f, 1, "t", 0,
	    &err), SUB_ADDED);
	assert_int_equal(sqlite3_exec(db_handle(db), "INSERT INTO events(uid,"
	    " kind, title, tzid, start_local, end_local, start_utc, end_utc,"
	    " status, created_at, updated_at) VALUES"
	    " ('u1', 'training', 'T', 'UTC', '2027-01-01 10:00',"
	    "  '2027-01-01 11:00', 1, 2, 'published', 1, 1),"
	    " ('u2', 'training', 'T', 'UTC', '2027-01-01 10:00',"
	    "  '2027-01-01 11:00', 1, 2, 'draft', 1, 1);"
	    "INSERT INTO event_topics VALUES (1, 'sprachcafé'), (2, 'Kultur'),"
	    " (1, 'Sprachcafe'), (2, 'ÖKOLOGIE')", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(topic_list(db, topic_seen, &b), 0);
	assert_string_equal(b.data,
	    "Kultur 1/1 0/1\n"
	    "Sprachcafe 0/0 1/1\n"
	    "SPRACHCAFÉ 2/3 1/1\n"
	    "Ökologie 1/1 0/1\n");
	buf_free(&b);
	db_close(db);
}

static void
test_forget_tombstone(void **state)
{
	struct db *db = fresh_db("forget.db");
	struct sub_fields f;
	struct subscriber *s;
	const char *t[] = { "Sprachcafé" };
	char *err = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.name = "Frank Private";
	f.set_topics = 1;
	f.topics = t;
	f.ntopics = 1;
	assert_int_equal(subscriber_add(db, "frank@example.org", &f, 1, "t", 0,
	    &err), SUB_ADDED);
	assert_int_equal(subscriber_forget(db, "Frank@example.org", &err), 0);
	/* personal data is gone, everywhere */
	assert_int_equal(count(db, "SELECT count(*) FROM subscribers"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM subscriber_topics"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM tombstones WHERE "
	    "hash LIKE '%frank%'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM tombstones"), 1);
	assert_int_equal(count(db, "SELECT length(hash) FROM tombstones"), 64);
	assert_int_equal(subscriber_is_forgotten(db, "frank@EXAMPLE.org"), 1);
	assert_int_equal(subscriber_is_forgotten(db, "frank2@example.org"), 0);
	/* an import does not bring them back */
	assert_int_equal(subscriber_upsert(db, "frank@example.org", &f, 1,
	    "imp", 0, &err), SUB_ERR_FORGOTTEN);
	free(err);
	err = NULL;
	/* nor a plain add */
	assert_int_equal(subscriber_add(db, "frank@example.org", &f, 0, NULL, 0,
	    &err), SUB_ERR_FORGOTTEN);
	assert_non_null(strstr(err, "--confirmed"));
	free(err);
	err = NULL;
	/* an explicit confirmed add does, and clears the tombstone */
	assert_int_equal(subscriber_add(db, "frank@example.org", &f, 1, "cli",
	    0, &err), SUB_ADDED);
	assert_int_equal(subscriber_get(db, "frank@example.org", &s), 0);
	assert_string_equal(s->status, "active");
	subscriber_free(s);
	assert_int_equal(subscriber_is_forgotten(db, "frank@example.org"), 0);
	assert_int_equal(subscriber_forget(db, "nobody@example.org", &err),
	    SUB_ERR_NOTFOUND);
	free(err);
	db_close(db);
}

/* The salt differs per database, so tombstones are not comparable across
 * databases (no global rainbow table of hashed addresses). */
static void
test_tombstone_salted(void **state)
{
	struct db *a = fresh_db("salt-a.db"), *b = fresh_db("salt-b.db");
	struct sub_fields f;
	char *err = NULL;
	sqlite3_stmt *st;
	char ha[65] = "", hb[65] = "";

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(subscriber_add(a, "x@example.org", &f, 1, "t", 0, &err),
	    SUB_ADDED);
	assert_int_equal(subscriber_add(b, "x@example.org", &f, 1, "t", 0, &err),
	    SUB_ADDED);
	assert_int_equal(subscriber_forget(a, "x@example.org", &err), 0);
	assert_int_equal(subscriber_forget(b, "x@example.org", &err), 0);
	sqlite3_prepare_v2(db_handle(a), "SELECT hash FROM tombstones", -1, &st,
	    NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(ha, sizeof(ha), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db_handle(b), "SELECT hash FROM tombstones", -1, &st,
	    NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(hb, sizeof(hb), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_string_not_equal(ha, hb);
	db_close(a);
	db_close(b);
}

static void
test_language_codes(void **state)
{
	(void)state;
	assert_true(subscriber_valid_language("de"));
	assert_true(subscriber_valid_language("uk"));
	assert_true(subscriber_valid_language("fa"));
	assert_true(subscriber_valid_language("ar"));
	assert_false(subscriber_valid_language("xx"));
	assert_false(subscriber_valid_language("DE"));
	assert_false(subscriber_valid_language("deu"));
	assert_false(subscriber_valid_language(""));
}

static void
test_events_sequence_and_zones(void **state)
{
	struct db *db = fresh_db("events.db");
	struct event_fields f;
	struct event *ev;
	int64_t id;
	int changed;
	char *err = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.all_day = -1;
	f.capacity = -1;
	f.kind = "welcome_conference";
	f.title = "Willkommenskonferenz";
	f.start = "2026-10-25 10:00"; /* the autumn DST day */
	f.end = "2026-10-25 12:30";
	assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f, &id,
	    &err), 0);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(ev->start_utc, 1792918800); /* 09:00Z (CET) */
	assert_int_equal(ev->end_utc - ev->start_utc, 9000);
	assert_string_equal(ev->status, "draft");
	assert_int_equal(ev->sequence, 0);
	assert_non_null(strstr(ev->uid, "@example.org"));
	event_free(ev);

	/* a draft's changes do not raise SEQUENCE (nobody has it yet) */
	memset(&f, 0, sizeof(f));
	f.all_day = -1;
	f.capacity = -1;
	f.location = "Kreishaus";
	assert_int_equal(event_update(db, id, &f, &changed, &err), 0);
	assert_true(changed & EVENT_CHANGED_LOCATION);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(ev->sequence, 0);
	event_free(ev);

	assert_int_equal(event_publish(db, id, &err), 0);
	/* title only: same SEQUENCE */
	f.location = NULL;
	f.title = "Willkommenskonferenz 2026";
	assert_int_equal(event_update(db, id, &f, &changed, &err), 0);
	assert_int_equal(changed, EVENT_CHANGED_TEXT);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(ev->sequence, 0);
	event_free(ev);
	/* new start: SEQUENCE + 1, the length (2 h 30) is kept */
	f.title = NULL;
	f.start = "2027-03-28 10:00"; /* the spring DST day */
	assert_int_equal(event_update(db, id, &f, &changed, &err), 0);
	assert_true(changed & EVENT_CHANGED_TIME);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(ev->sequence, 1);
	assert_int_equal(ev->start_utc, 1806220800); /* 08:00Z (CEST) */
	assert_string_equal(ev->end_local, "2027-03-28 12:30");
	assert_int_equal(ev->end_utc - ev->start_utc, 9000);
	event_free(ev);
	/* the same value again: nothing changes */
	assert_int_equal(event_update(db, id, &f, &changed, &err), 0);
	assert_int_equal(changed, 0);
	/* cancel: SEQUENCE + 1, and no more changes */
	assert_int_equal(event_cancel(db, id, &err), 0);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_string_equal(ev->status, "cancelled");
	assert_int_equal(ev->sequence, 2);
	event_free(ev);
	f.start = "2027-04-01 10:00";
	assert_int_equal(event_update(db, id, &f, &changed, &err), -1);
	free(err);
	db_close(db);
}

/* Moving an event keeps its length unless a new end is given. */
static void
test_event_move_keeps_length(void **state)
{
	struct db *db = fresh_db("move.db");
	struct event_fields f;
	struct event *ev;
	int64_t timed, fair;
	int changed;
	char *err = NULL;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.all_day = -1;
	f.capacity = -1;
	f.kind = "network_meeting";
	f.title = "Netzwerktreffen";
	f.start = "2026-11-20 15:00";
	f.end = "2026-11-20 18:00";
	assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f,
	    &timed, &err), 0);
	f.kind = "volunteer_fair";
	f.title = "Ehrenamtsmesse";
	f.all_day = 1;
	f.start = "2026-11-20"; /* Friday to Sunday: three days */
	f.end = "2026-11-22";
	assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f,
	    &fair, &err), 0);

	memset(&f, 0, sizeof(f));
	f.all_day = -1;
	f.capacity = -1;
	/* 15:00-18:00 moved to 14:00 the next day: 14:00-17:00 */
	f.start = "2026-11-21 14:00";
	assert_int_equal(event_update(db, timed, &f, &changed, &err), 0);
	assert_true(changed & EVENT_CHANGED_TIME);
	assert_int_equal(event_get(db, timed, &ev), 0);
	assert_string_equal(ev->end_local, "2026-11-21 17:00");
	assert_int_equal(ev->end_utc - ev->start_utc, 3 * 3600);
	event_free(ev);
	/* across the spring DST change: still 15:00-18:00 on the wall clock */
	f.start = "2027-03-28 01:00";
	assert_int_equal(event_update(db, timed, &f, &changed, &err), 0);
	assert_int_equal(event_get(db, timed, &ev), 0);
	assert_string_equal(ev->end_local, "2027-03-28 04:00");
	event_free(ev);
	/* an explicit end still wins, and an end before the start fails */
	f.start = "2026-12-01 10:00";
	f.end = "2026-12-01 11:30";
	assert_int_equal(event_update(db, timed, &f, &changed, &err), 0);
	assert_int_equal(event_get(db, timed, &ev), 0);
	assert_string_equal(ev->end_local, "2026-12-01 11:30");
	event_free(ev);
	f.end = "2026-12-01 09:00";
	assert_int_equal(event_update(db, timed, &f, &changed, &err), -1);
	assert_non_null(strstr(err, "must come after"));
	free(err);
	err = NULL;

	/* the three-day fair moved by a week stays three days, over a
	 * month end */
	f.start = "2026-11-27";
	f.end = NULL;
	assert_int_equal(event_update(db, fair, &f, &changed, &err), 0);
	assert_int_equal(event_get(db, fair, &ev), 0);
	assert_string_equal(ev->start_local, "2026-11-27");
	assert_string_equal(ev->end_local, "2026-11-29");
	event_free(ev);
	f.start = "2026-12-30";
	assert_int_equal(event_update(db, fair, &f, &changed, &err), 0);
	assert_int_equal(event_get(db, fair, &ev), 0);
	assert_string_equal(ev->end_local, "2027-01-01");
	event_free(ev);
	/* turned into a timed event without an end: one hour */
	f.start = "2027-01-05 10:00";
	f.all_day = 0;
	assert_int_equal(event_update(db, fair, &f, &changed, &err), 0);
	assert_int_equal(event_get(db, fair, &ev), 0);
	assert_string_equal(ev->end_local, "2027-01-05 11:00");
	event_free(ev);
	db_close(db);
}

static void
test_events_invalid_input(void **state)
{
	struct db *db = fresh_db("events-bad.db");
	struct event_fields f;
	int64_t id;
	char *err = NULL;
	static const struct {
		const char *kind, *start, *end, *url, *rrule, *district, *want;
		int all_day;
	} cases[] = {
		{ "party", "2026-12-01 10:00", NULL, NULL, NULL, NULL,
		  "not an event kind", 0 },
		{ "training", "2026-02-30 10:00", NULL, NULL, NULL, NULL,
		  "not a date", 0 },
		{ "training", "2026-12-01", NULL, NULL, NULL, NULL,
		  "no time of day", 0 },
		{ "training", "2026-12-01 10:00", "2026-12-01 09:00", NULL,
		  NULL, NULL, "must come after", 0 },
		{ "training", "2026-12-01 10:00", NULL, "ftp://x.example", NULL,
		  NULL, "not a web address", 0 },
		{ "training", "2026-12-01 10:00", NULL, NULL, "FREQ=SOMETIMES",
		  NULL, "bad RRULE", 0 },
		{ "training", "2026-12-01 10:00", NULL, NULL, NULL, "Atlantis",
		  "unknown district", 0 },
		{ "deadline", "2026-12-03", "2026-12-01", NULL, NULL, NULL,
		  "must come after", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.capacity = -1;
		f.title = "T";
		f.kind = cases[i].kind;
		f.start = cases[i].start;
		f.end = cases[i].end;
		f.online_url = cases[i].url;
		f.rrule = cases[i].rrule;
		f.district = cases[i].district;
		f.all_day = cases[i].all_day;
		assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f,
		    &id, &err), -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].want);
		free(err);
		err = NULL;
	}
	assert_int_equal(count(db, "SELECT count(*) FROM events"), 0);
	/* all-day: end date inclusive, UTC span to the next local midnight */
	memset(&f, 0, sizeof(f));
	f.capacity = -1;
	f.kind = "deadline";
	f.title = "Antragsfrist";
	f.start = "2026-12-15";
	f.all_day = 1;
	assert_int_equal(event_add(db, "Europe/Berlin", "example.org", &f, &id,
	    &err), 0);
	{
		struct event *ev;
		assert_int_equal(event_get(db, id, &ev), 0);
		assert_string_equal(ev->end_local, "2026-12-15");
		assert_int_equal(ev->start_utc, 1797289200); /* 23:00Z on 14th */
		assert_int_equal(ev->end_utc - ev->start_utc, 86400);
		event_free(ev);
	}
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_pragmas),
		cmocka_unit_test(test_migration_from_v1),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_subscriber_add_and_case),
		cmocka_unit_test(test_upsert_semantics),
		cmocka_unit_test(test_preferences_round_trip),
		cmocka_unit_test(test_topics_meet_and_known),
		cmocka_unit_test(test_topic_list),
		cmocka_unit_test(test_forget_tombstone),
		cmocka_unit_test(test_tombstone_salted),
		cmocka_unit_test(test_language_codes),
		cmocka_unit_test(test_events_sequence_and_zones),
		cmocka_unit_test(test_event_move_keeps_length),
		cmocka_unit_test(test_events_invalid_input),
	};

	return cmocka_run_group_tests_name("store", tests, tmpdir_setup,
	    tmpdir_teardown);
}
