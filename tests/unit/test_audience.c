/* Unit tests: who gets which mail (audience.c), as one table: status,
 * district, county-wide, topics, preferences, reached, declined (series
 * and occurrence), bounced, forgotten, the organizer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "db.h"
#include "subscriber.h"
#include "util.h"
#include "tmpdir.h"

static struct db *db;

/* The people: what the table below is about. */
static const struct person {
	const char *email, *status, *districts, *topics;
	int newsletter;
	const char *invitations;
} people[] = {
	{ "a@x.org", "active", "Nord", "Sprachcafé", 1, "all" },
	{ "b@x.org", "active", "Süd", NULL, 1, "all" },
	{ "c@x.org", "active", "Nord", NULL, 0, "all" },
	{ "d@x.org", "active", "Nord", "Sprachcafé", 1, "none" },
	{ "e@x.org", "pending", "Nord", "Sprachcafé", 1, "all" },
	{ "f@x.org", "unsubscribed", "Nord", NULL, 1, "all" },
	{ "g@x.org", "bounced", "Nord", NULL, 1, "all" },
	{ "h@x.org", "active", NULL, "SPRACHCAFÉ", 1, "all" },
	{ "org@x.org", "active", "Nord", NULL, 1, "all" },
	{ "i@x.org", "active", "Nord,Süd", "Patenschaft", 1, "all" },
	{ "j@x.org", "active", "Süd", NULL, 1, "all" },
};

/* The events: 1 county-wide, 2 Nord + Sprachcafé, 3 a deadline in Süd,
 * 4 Nord + Patenschaft (recurring). */
static const struct ev {
	const char *kind, *district, *topic;
} events[] = {
	{ "training", NULL, NULL },
	{ "training", "Nord", "Sprachcafé" },
	{ "deadline", "Süd", NULL },
	{ "network_meeting", "Nord", "Patenschaft" },
};

static void
exec(const char *fmt, ...)
{
	char *sql, *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (sqlite3_exec(db_handle(db), sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	free(sql);
}

static int
setup(void **state)
{
	char path[600], *err = NULL, *copy, *tok, *save;
	size_t i;

	if (tmpdir_setup(state) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/a.db", dir);
	if (db_open(path, DB_OPEN_MIGRATE, &db, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	exec("INSERT INTO districts(name, created_at) VALUES ('Nord', 0),"
	    " ('Süd', 0)");
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		const struct person *p = &people[i];

		exec("INSERT INTO subscribers(email, status, token, created_at,"
		    " updated_at, newsletter, invitations) VALUES ('%s', '%s',"
		    " 't%zu', 0, 0, %d, '%s')", p->email, p->status, i,
		    p->newsletter, p->invitations);
		if (p->districts != NULL) {
			copy = xstrdup(p->districts);
			for (tok = strtok_r(copy, ",", &save); tok; tok =
			    strtok_r(NULL, ",", &save))
				exec("INSERT INTO subscriber_districts SELECT"
				    " s.id, d.id FROM subscribers s, districts d"
				    " WHERE s.email = '%s' AND d.name = '%s'",
				    p->email, tok);
			free(copy);
		}
		if (p->topics != NULL)
			exec("INSERT INTO subscriber_topics SELECT id, '%s'"
			    " FROM subscribers WHERE email = '%s'", p->topics,
			    p->email);
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		const struct ev *e = &events[i];

		exec("INSERT INTO events(id, uid, kind, title, tzid, start_local,"
		    " end_local, start_utc, end_utc, district_id, status,"
		    " created_at, updated_at) VALUES (%zu, 'u%zu', '%s', 'E',"
		    " 'Europe/Berlin', '2027-03-10 18:00', '2027-03-10 20:00',"
		    " 0, 0, (SELECT id FROM districts WHERE name = %s%s%s),"
		    " 'published', 0, 0)", i + 1, i + 1, e->kind,
		    e->district ? "'" : "", e->district ? e->district : "NULL",
		    e->district ? "'" : "");
		if (e->topic != NULL)
			exec("INSERT INTO event_topics VALUES (%zu, '%s')", i + 1,
			    e->topic);
	}
	return 0;
}

static int
teardown(void **state)
{
	db_close(db);
	return tmpdir_teardown(state);
}

static void
collect(void *arg, const struct audience_member *m)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_putc(b, ' ');
	buf_append(b, m->email, strcspn(m->email, "@"));
}

/* The recipients' local parts, ordered by subscriber id. */
static char *
who(enum audience_kind kind, int64_t event, const char *occurrence,
    const char *skip, int64_t mailing)
{
	struct audience a;
	struct buf b;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.event_id = event;
	a.occurrence = occurrence;
	a.skip = skip;
	a.mailing_id = mailing;
	buf_init(&b);
	buf_puts(&b, "");
	assert_true(audience_each(db, &a, collect, &b) >= 0);
	return buf_steal(&b);
}

/* A mailing of kind for event, queued for its audience (as mailing.c). */
static int64_t
queue(const char *kind, int64_t event)
{
	struct audience a;
	int64_t mid;

	exec("INSERT INTO mailings(kind, title, event_id, created_at)"
	    " VALUES ('%s', 'E', %lld, 0)", kind, (long long)event);
	mid = sqlite3_last_insert_rowid(db_handle(db));
	memset(&a, 0, sizeof(a));
	a.kind = (enum audience_kind)audience_of(kind);
	a.event_id = event;
	a.skip = "org@x.org";
	a.mailing_id = mid;
	assert_true(audience_enqueue(db, &a, 0) >= 0);
	return mid;
}

struct row {
	const char *what;
	enum audience_kind kind;
	int64_t event;
	const char *occurrence;
	const char *skip;
	const char *want;
};

static void
check(const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *got = who(rows[i].kind, rows[i].event,
		    rows[i].occurrence, rows[i].skip, 999);

		if (strcmp(got, rows[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", rows[i].what,
			    got, rows[i].want);
		free(got);
	}
}

static void
test_before_anything_is_sent(void **state)
{
	static const struct row rows[] = {
		/* active and wanting it; the organizer may read it too */
		{ "newsletter", AUDIENCE_NEWSLETTER, 0, NULL, NULL,
		    "a b d h org i j" },
		{ "newsletter without the organizer", AUDIENCE_NEWSLETTER, 0,
		    NULL, "ORG@x.org", "a b d h i j" },
		/* county-wide, no topics: everyone active wanting invitations */
		{ "invitation, county-wide", AUDIENCE_INVITATION, 1, NULL,
		    "org@x.org", "a b c h i j" },
		/* Nord + topic: only Nord people with the topic (any case,
		 * also beyond ASCII: SPRACHCAFÉ);
		 * d wants no invitations, h has no district */
		{ "invitation, Nord, Sprachcafé", AUDIENCE_INVITATION, 2, NULL,
		    "org@x.org", "a" },
		{ "announcement, Nord, Sprachcafé", AUDIENCE_ANNOUNCEMENT, 2,
		    NULL, "org@x.org", "a" },
		{ "invitation, Nord, Patenschaft", AUDIENCE_INVITATION, 4, NULL,
		    "org@x.org", "i" },
		/* nobody was reached yet */
		{ "update before any invitation", AUDIENCE_UPDATE, 1, NULL,
		    "org@x.org", "" },
		{ "reminder before any invitation", AUDIENCE_REMINDER, 1, NULL,
		    "org@x.org", "" },
		/* a deadline invites nobody: its reminder goes to its
		 * invitation audience (Süd) */
		{ "deadline reminder", AUDIENCE_REMINDER, 3, NULL, "org@x.org",
		    "b i j" },
	};

	(void)state;
	check(rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_after_invitations_and_replies(void **state)
{
	static const struct row rows[] = {
		/* reached: whatever they chose since, they know of it */
		{ "update", AUDIENCE_UPDATE, 1, NULL, "org@x.org",
		    "a c h i" },
		{ "cancellation", AUDIENCE_CANCELLATION, 1, NULL, "org@x.org",
		    "a c h i" },
		/* a declined the series, h one occurrence only (which a
		 * reminder without an occurrence is not) */
		{ "reminder, no occurrence named", AUDIENCE_REMINDER, 1, NULL,
		    "org@x.org", "c h i" },
		{ "reminder, the declined occurrence", AUDIENCE_REMINDER, 1,
		    "20270310T180000", "org@x.org", "c i" },
		{ "reminder, another occurrence", AUDIENCE_REMINDER, 1,
		    "20270317T180000", "org@x.org", "c h i" },
		/* the event 4 invitation reached i, who then declined it */
		{ "reminder, declined by its only guest", AUDIENCE_REMINDER, 4,
		    NULL, "org@x.org", "" },
		/* b unsubscribed, j bounced, c chose no newsletter */
		{ "newsletter afterwards", AUDIENCE_NEWSLETTER, 0, NULL, NULL,
		    "a d h org i" },
	};

	(void)state;
	queue("invitation", 1);
	queue("invitation", 4);
	/* b and j stop getting mail; c does not want invitations any more
	 * (but was reached) */
	exec("UPDATE subscribers SET status = 'unsubscribed' WHERE email ="
	    " 'b@x.org'");
	exec("UPDATE subscribers SET status = 'bounced' WHERE email ="
	    " 'j@x.org'");
	exec("UPDATE subscribers SET invitations = 'none', newsletter = 0"
	    " WHERE email = 'c@x.org'");
	exec("INSERT INTO rsvps(event_id, occurrence, email, subscriber_id,"
	    " partstat, sequence, dtstamp, received_at) SELECT 1, '', email,"
	    " id, 'declined', 0, 0, 0 FROM subscribers WHERE email ="
	    " 'a@x.org'");
	exec("INSERT INTO rsvps(event_id, occurrence, email, subscriber_id,"
	    " partstat, sequence, dtstamp, received_at) SELECT 1,"
	    " '20270310T180000', email, id, 'declined', 0, 0, 0 FROM"
	    " subscribers WHERE email = 'h@x.org'");
	exec("INSERT INTO rsvps(event_id, occurrence, email, subscriber_id,"
	    " partstat, sequence, dtstamp, received_at) SELECT 4, '', email,"
	    " id, 'declined', 0, 0, 0 FROM subscribers WHERE email ="
	    " 'i@x.org'");
	/* an accepted or tentative answer changes nothing */
	exec("INSERT INTO rsvps(event_id, occurrence, email, subscriber_id,"
	    " partstat, sequence, dtstamp, received_at) SELECT 1, '', email,"
	    " id, 'tentative', 0, 0, 0 FROM subscribers WHERE email ="
	    " 'c@x.org'");
	check(rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_forgotten_people_are_gone(void **state)
{
	static const struct row rows[] = {
		{ "update", AUDIENCE_UPDATE, 1, NULL, "org@x.org", "a c h" },
		{ "invitation, Nord, Patenschaft", AUDIENCE_INVITATION, 4, NULL,
		    "org@x.org", "" },
		{ "newsletter", AUDIENCE_NEWSLETTER, 0, NULL, NULL,
		    "a d h org" },
	};
	char *err = NULL;

	(void)state;
	assert_int_equal(subscriber_forget(db, "i@x.org", &err), 0);
	check(rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_enqueue_matches_each(void **state)
{
	int64_t mid;
	char *want;
	sqlite3_stmt *st;
	struct buf got;

	(void)state;
	want = who(AUDIENCE_INVITATION, 1, NULL, "org@x.org", 0);
	mid = queue("invitation", 1);
	buf_init(&got);
	buf_puts(&got, "");
	sqlite3_prepare_v2(db_handle(db), "SELECT s.email FROM outbox o JOIN"
	    " subscribers s ON s.id = o.subscriber_id WHERE o.mailing_id = ?"
	    " ORDER BY s.id", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, mid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);

		if (got.len > 0)
			buf_putc(&got, ' ');
		buf_append(&got, e, strcspn(e, "@"));
	}
	sqlite3_finalize(st);
	assert_string_equal(got.data, want);
	assert_string_equal(want, "a h");
	buf_free(&got);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_anything_is_sent),
		cmocka_unit_test(test_after_invitations_and_replies),
		cmocka_unit_test(test_forgotten_people_are_gone),
		cmocka_unit_test(test_enqueue_matches_each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
