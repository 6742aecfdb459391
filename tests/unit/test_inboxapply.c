/*
 * Unit tests: acting on classified inbound mail (inboxapply.c) — RSVPs
 * (RFC 5546 ordering by SEQUENCE and DTSTAMP, guests, one occurrence, the
 * coordinator's "full" notice once, no reminder for who declined),
 * unsubscribing by token and by sender, bounces (the limit, 5.1.1,
 * temporary ones), double opt-in (subscribe, confirm, expiry) and
 * auto-replies. The messages are built by hand, as inbox_parse() would
 * fill them; a temporary database with the real schema.
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
#include "event.h"
#include "ical.h"
#include "inboxapply.h"
#include "inboxparse.h"
#include "mailing.h"
#include "outbox.h"
#include "rsvp.h"
#include "schedule.h"
#include "subscriber.h"
#include "util.h"

#include "tmpdir.h"

static struct config *cfg;
static struct db *db;
static time_t t0;

/* ---- helpers ---- */

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
text(const char *fmt, ...)
{
	sqlite3_stmt *st;
	char *sql;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		sql = NULL;
	va_end(ap);
	assert_non_null(sql);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
	    SQLITE_OK);
	text_buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(text_buf, sizeof(text_buf), "%s",
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	free(sql);
	return text_buf;
}

static int64_t
add_sub(const char *email, int active)
{
	struct sub_fields f;
	char *err = NULL;

	memset(&f, 0, sizeof(f));
	if (subscriber_add(db, email, &f, active, "test", 0, &err) != SUB_ADDED)
		fail_msg("add %s: %s", email, err);
	return scalar("SELECT id FROM subscribers WHERE email = '%s'", email);
}

static const char *
token_of(const char *email)
{
	return text("SELECT token FROM subscribers WHERE email = '%s'", email);
}

static const char *
status_of(const char *email)
{
	return text("SELECT status FROM subscribers WHERE email = '%s'", email);
}

/* A published event, invited to everyone active now. */
static int64_t
published_event(const char *title, const char *start, const char *rrule,
    long capacity)
{
	struct event_fields f;
	struct event *ev;
	char *err = NULL;
	int64_t id, mid;
	long queued;

	memset(&f, 0, sizeof(f));
	f.kind = "training";
	f.title = title;
	f.start = start;
	f.rrule = rrule;
	f.all_day = -1;
	f.capacity = capacity;
	if (event_add(db, "Europe/Berlin", "example.org", &f, &id, &err) < 0)
		fail_msg("event_add: %s", err);
	assert_int_equal(event_publish(db, id, &err), 0);
	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(mailing_event(cfg, db, "invitation", ev, NULL, 0, NULL,
	    t0, &mid, &queued, &err), 0);
	event_free(ev);
	return id;
}

static const char *
uid_of(int64_t event_id)
{
	return text("SELECT uid FROM events WHERE id = %lld",
	    (long long)event_id);
}

/* An RSVP as the classifier makes it (strings borrowed: not freed). */
static struct inbox_msg
reply(const char *uid, const char *attendee, const char *partstat, int seq,
    time_t dtstamp)
{
	struct inbox_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = INBOX_RSVP;
	m.from = (char *)attendee;
	m.rsvp.method = (char *)"REPLY";
	m.rsvp.uid = (char *)uid;
	m.rsvp.attendee = (char *)attendee;
	m.rsvp.partstat = (char *)partstat;
	m.rsvp.sequence = seq;
	m.rsvp.dtstamp = dtstamp;
	return m;
}

/* inbox_apply(), checking the outcome; returns the what line (static). */
static const char *
apply(const struct inbox_msg *m, time_t now, int want)
{
	static char line[512];
	char *what = NULL;
	int rc;

	rc = inbox_apply(cfg, db, m, now, &what);
	assert_non_null(what);
	snprintf(line, sizeof(line), "%s", what);
	free(what);
	if (rc != want)
		fail_msg("want outcome %d, got %d: %s", want, rc, line);
	assert_null(strchr(line, '\n'));
	return line;
}

static void
expect_in(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", hay, needle);
}

static const char *
partstat(int64_t ev, const char *occ, const char *email)
{
	return text("SELECT partstat FROM rsvps WHERE event_id = %lld AND"
	    " occurrence = '%s' AND email = '%s'", (long long)ev, occ, email);
}

/* Outbox rows of notices of this kind for this address. */
static int64_t
notices(const char *kind, const char *email)
{
	return scalar("SELECT count(*) FROM outbox o JOIN mailings m ON"
	    " m.id = o.mailing_id JOIN subscribers s ON s.id = o.subscriber_id"
	    " WHERE m.kind = '%s' AND s.email = '%s'", kind, email);
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
	cfg->review_to = xstrdup("koordination@example.org");
	if (db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0)
		return -1;
	t0 = time(NULL);
	return 0;
}

static int
teardown(void **state)
{
	db_close(db);
	config_free(cfg);
	return tmpdir_teardown(state);
}

/* ---- RSVPs ---- */

static void
test_rsvp_ordering(void **state)
{
	struct inbox_msg m;
	const char *w;
	int64_t ev;
	char uid[128];

	(void)state;
	add_sub("anna@example.org", 1);
	add_sub("Bert@Example.org", 1);
	ev = published_event("Schulung", "2027-05-10 18:00", NULL, 0);
	snprintf(uid, sizeof(uid), "%s", uid_of(ev));

	m = reply(uid, "anna@example.org", "ACCEPTED", 0, t0 - 100);
	w = apply(&m, t0, INBOX_HANDLED);
	expect_in(w, "accepted: anna@example.org for event");
	expect_in(w, "'Schulung'");
	assert_string_equal(partstat(ev, "", "anna@example.org"), "accepted");
	assert_int_equal(scalar("SELECT subscriber_id FROM rsvps WHERE email ="
	    " 'anna@example.org'"), scalar("SELECT id FROM subscribers WHERE"
	    " email = 'anna@example.org'"));
	/* an older DTSTAMP does not overwrite */
	m = reply(uid, "anna@example.org", "DECLINED", 0, t0 - 200);
	expect_in(apply(&m, t0, INBOX_HANDLED), "outdated");
	assert_string_equal(partstat(ev, "", "anna@example.org"), "accepted");
	/* a later one does, with the time it came */
	m = reply(uid, "anna@example.org", "TENTATIVE", 0, t0 - 50);
	apply(&m, t0 + 5, INBOX_HANDLED);
	assert_string_equal(partstat(ev, "", "anna@example.org"), "tentative");
	assert_int_equal(scalar("SELECT received_at FROM rsvps WHERE email ="
	    " 'anna@example.org'"), t0 + 5);
	/* the ATTENDEE matches the subscriber whatever the case */
	m = reply(uid, "bert@example.org", "DECLINED", 0, t0);
	w = apply(&m, t0, INBOX_HANDLED);
	assert_null(strstr(w, "guest"));
	assert_int_equal(scalar("SELECT subscriber_id IS NOT NULL FROM rsvps"
	    " WHERE email = 'bert@example.org'"), 1);

	/* the event moved (SEQUENCE 1): a reply to SEQUENCE 0 is outdated,
	 * also one whose DTSTAMP is new */
	assert_int_equal(scalar("UPDATE events SET sequence = 1 WHERE id = %lld"
	    " RETURNING sequence", (long long)ev), 1);
	m = reply(uid, "anna@example.org", "DECLINED", 0, t0 + 1000);
	expect_in(apply(&m, t0, INBOX_HANDLED), "outdated (SEQUENCE 0");
	assert_string_equal(partstat(ev, "", "anna@example.org"), "tentative");
	/* a reply to SEQUENCE 1 wins over a stored one of SEQUENCE 0 even
	 * with an older DTSTAMP (a client that stamps badly) */
	m = reply(uid, "anna@example.org", "DECLINED", 1, t0 - 1000);
	apply(&m, t0, INBOX_HANDLED);
	assert_string_equal(partstat(ev, "", "anna@example.org"), "declined");
	/* ... and then one of SEQUENCE 0 loses, whatever its DTSTAMP */
	assert_int_equal(scalar("UPDATE events SET sequence = 0 WHERE id = %lld"
	    " RETURNING sequence", (long long)ev), 0);
	m = reply(uid, "anna@example.org", "ACCEPTED", 0, t0 + 2000);
	expect_in(apply(&m, t0, INBOX_HANDLED), "outdated");
	assert_string_equal(partstat(ev, "", "anna@example.org"), "declined");

	/* DELEGATED, NEEDS-ACTION: handled, nothing stored */
	m = reply(uid, "bert@example.org", "DELEGATED", 0, t0 + 10);
	expect_in(apply(&m, t0, INBOX_HANDLED), "nothing stored");
	m = reply(uid, "bert@example.org", "NEEDS-ACTION", 0, t0 + 10);
	expect_in(apply(&m, t0, INBOX_HANDLED), "nothing stored");
	assert_string_equal(partstat(ev, "", "bert@example.org"), "declined");

	/* an unknown UID is for the coordinator, and so is a COUNTER */
	m = reply("nope@example.org", "anna@example.org", "ACCEPTED", 0, t0);
	expect_in(apply(&m, t0, INBOX_UNHANDLED), "unknown event");
	m = reply(uid, "anna@example.org", "ACCEPTED", 0, t0 + 3000);
	m.rsvp.method = (char *)"COUNTER";
	apply(&m, t0, INBOX_UNHANDLED);
	assert_int_equal(scalar("SELECT count(*) FROM rsvps"), 2);
}

static void
test_rsvp_guest_and_counts(void **state)
{
	struct inbox_msg m;
	struct rsvp_counts c;
	int64_t ev;
	char uid[128];

	(void)state;
	ev = published_event("Netzwerktreffen", "2027-06-01 17:00", NULL, 0);
	snprintf(uid, sizeof(uid), "%s", uid_of(ev));
	/* a forwarded invitation answered by a colleague */
	m = reply(uid, "kollegin@example.net", "ACCEPTED", 0, t0);
	m.rsvp.attendee_name = (char *)"Kollegin K.";
	m.from = (char *)"anna@example.org";   /* never matched by From */
	expect_in(apply(&m, t0, INBOX_HANDLED), "(guest)");
	assert_int_equal(scalar("SELECT subscriber_id IS NULL FROM rsvps"
	    " WHERE email = 'kollegin@example.net'"), 1);
	assert_string_equal(text("SELECT name FROM rsvps WHERE email ="
	    " 'kollegin@example.net'"), "Kollegin K.");
	m = reply(uid, "anna@example.org", "ACCEPTED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	m = reply(uid, "gast2@example.net", "DECLINED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	assert_int_equal(rsvp_counts(db, ev, &c), 0);
	assert_int_equal(c.accepted, 1);
	assert_int_equal(c.guests_accepted, 1);
	assert_int_equal(c.guests_declined, 1);
	assert_int_equal(c.declined + c.tentative + c.guests_tentative, 0);
}

static int64_t
full_notices(int64_t ev)
{
	return scalar("SELECT count(*) FROM mailings m JOIN outbox o ON"
	    " o.mailing_id = m.id WHERE m.kind = 'notice' AND m.event_id = %lld"
	    " AND o.rcpt = 'koordination@example.org'", (long long)ev);
}

static void
test_capacity_notice_once(void **state)
{
	struct inbox_msg m;
	struct mailing *ml;
	struct mailing_msg mm;
	struct subscriber nobody;
	char uid[128], *err = NULL;
	int64_t ev, mid;

	(void)state;
	ev = published_event("Kleine Schulung", "2027-07-01 18:00", NULL, 3);
	snprintf(uid, sizeof(uid), "%s", uid_of(ev));
	m = reply(uid, "anna@example.org", "ACCEPTED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	m = reply(uid, "bert@example.org", "TENTATIVE", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	m = reply(uid, "gast@example.net", "ACCEPTED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	assert_int_equal(full_notices(ev), 0);
	/* the third acceptance (a guest takes a place too) fills it */
	m = reply(uid, "bert@example.org", "ACCEPTED", 0, t0 + 1);
	expect_in(apply(&m, t0, INBOX_HANDLED), "full (3 of 3 places)");
	assert_int_equal(full_notices(ev), 1);
	assert_int_equal(scalar("SELECT full_noticed FROM events WHERE id ="
	    " %lld", (long long)ev), 1);
	/* more acceptances, or the same again: no second notice */
	m = reply(uid, "gast3@example.net", "ACCEPTED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	m = reply(uid, "bert@example.org", "ACCEPTED", 0, t0 + 2);
	apply(&m, t0, INBOX_HANDLED);
	assert_int_equal(full_notices(ev), 1);

	/* what the coordinator reads */
	mid = scalar("SELECT id FROM mailings WHERE kind = 'notice' AND"
	    " event_id = %lld", (long long)ev);
	assert_int_equal(mailing_load(cfg, db, mid, &ml, &err), 0);
	memset(&nobody, 0, sizeof(nobody));
	nobody.email = (char *)"koordination@example.org";
	nobody.name = nobody.language = nobody.token = (char *)"";
	nobody.status = (char *)"active";
	assert_int_equal(mailing_render(ml, &nobody, &mm, &err), 0);
	assert_string_equal(mm.r.subject, "Ausgebucht: Kleine Schulung");
	expect_in(mm.r.text.data, "3 Zusagen bei 3 Plätzen");
	expect_in(mm.r.text.data, "rundbrief event attendees");
	mailing_msg_free(&mm);
	mailing_free(ml);
}

/* The occurrence of ev at the local time `local`, as schedule.c makes it
 * for a reminder. */
static struct event *
occurrence(int64_t id, const char *local, time_t *occ)
{
	struct event *ev;
	char s[32];

	assert_int_equal(event_get(db, id, &ev), 0);
	assert_int_equal(ical_local_to_utc(ev->tzid, local, occ), 0);
	free(ev->rrule);
	ev->rrule = NULL;
	free(ev->start_local);
	free(ev->end_local);
	snprintf(s, sizeof(s), "%s", local);
	ev->start_local = xstrdup(s);
	ev->end_local = xstrdup(s);
	ev->end_utc = *occ + 7200;
	ev->start_utc = *occ;
	return ev;
}

static long
reminder(int64_t id, const char *local)
{
	struct event *oe;
	char *err = NULL;
	int64_t mid;
	long queued = -1;
	time_t occ;

	oe = occurrence(id, local, &occ);
	assert_int_equal(mailing_event(cfg, db, "reminder", oe, NULL, 86400,
	    NULL, t0, &mid, &queued, &err), 0);
	event_free(oe);
	assert_int_equal(scalar("SELECT count(*) FROM outbox WHERE mailing_id"
	    " = %lld", (long long)mid), queued);
	return queued;
}

static long
count_invited(int64_t id, const char *local)
{
	struct event *series;
	char occid[48];
	time_t occ;

	assert_int_equal(event_get(db, id, &series), 0);
	assert_int_equal(ical_local_to_utc(series->tzid, local, &occ), 0);
	assert_int_equal(schedule_occurrence_id(series, occ, occid,
	    sizeof(occid)), 0);
	event_free(series);
	return outbox_count_invited(db, id, cfg->organizer_email, occid);
}

static void
test_occurrence_and_declined_reminders(void **state)
{
	struct inbox_msg m;
	struct event *oe;
	char uid[128], *err = NULL;
	int64_t ev, one, mid;
	long queued;
	time_t occ2, occ3;

	(void)state;
	add_sub("carla@example.org", 1);
	/* anna, bert, carla and the earlier ones are invited */
	ev = published_event("Sprachcafé", "2027-01-12 18:00",
	    "FREQ=WEEKLY;COUNT=4", 0);
	snprintf(uid, sizeof(uid), "%s", uid_of(ev));
	queued = reminder(ev, "2027-01-12 18:00");
	assert_int_equal(queued, 3);

	/* anna declines the series; bert the second evening only; carla
	 * declines the series but comes to the third */
	m = reply(uid, "anna@example.org", "DECLINED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	oe = occurrence(ev, "2027-01-19 18:00", &occ2);
	event_free(oe);
	m = reply(uid, "bert@example.org", "DECLINED", 0, t0);
	m.rsvp.recurrence_id = (char *)"20270119T170000Z";
	m.rsvp.recurrence_utc = occ2;
	expect_in(apply(&m, t0, INBOX_HANDLED), "(occurrence 20270119T180000)");
	assert_string_equal(partstat(ev, "20270119T180000", "bert@example.org"),
	    "declined");
	assert_string_equal(partstat(ev, "", "bert@example.org"), "");
	m = reply(uid, "carla@example.org", "DECLINED", 0, t0);
	apply(&m, t0, INBOX_HANDLED);
	oe = occurrence(ev, "2027-01-26 18:00", &occ3);
	event_free(oe);
	m = reply(uid, "carla@example.org", "ACCEPTED", 0, t0);
	m.rsvp.recurrence_id = (char *)"20270126T180000";
	m.rsvp.recurrence_tzid = (char *)"Europe/Berlin";
	m.rsvp.recurrence_utc = occ3;
	apply(&m, t0, INBOX_HANDLED);

	/* who gets which reminder */
	assert_int_equal(count_invited(ev, "2027-01-19 18:00"), 0);
	assert_int_equal(reminder(ev, "2027-01-19 18:00"), 0);
	assert_int_equal(count_invited(ev, "2027-01-26 18:00"), 2);
	assert_int_equal(reminder(ev, "2027-01-26 18:00"), 2);
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN subscribers"
	    " s ON s.id = o.subscriber_id WHERE o.mailing_id = (SELECT max(id)"
	    " FROM mailings) AND s.email IN ('bert@example.org',"
	    " 'carla@example.org')"), 2);
	assert_int_equal(reminder(ev, "2027-02-02 18:00"), 1);   /* bert */

	/* an update still goes to everyone invited, who declined too */
	assert_int_equal(event_get(db, ev, &oe), 0);
	assert_int_equal(mailing_event(cfg, db, "update", oe, oe, 0, NULL, t0,
	    &mid, &queued, &err), 0);
	event_free(oe);
	assert_int_equal(queued, 3);

	/* a one-off event: the series answer is the answer (anna and bert
	 * declined the Schulung) */
	one = scalar("SELECT id FROM events WHERE title = 'Schulung'");
	assert_string_equal(partstat(one, "", "anna@example.org"), "declined");
	assert_int_equal(outbox_count_invited(db, one, cfg->organizer_email,
	    "single"), 0);
	assert_int_equal(outbox_count_invited(db, one, cfg->organizer_email,
	    NULL), 2);
}

/* ---- unsubscribing ---- */

static struct inbox_msg
msg(enum inbox_kind kind, const char *from, const char *token)
{
	struct inbox_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.from = (char *)from;
	m.token = (char *)token;
	m.message_id = (char *)"abc@mail.example.net";
	return m;
}

static void
test_unsubscribe(void **state)
{
	struct inbox_msg m;
	char tok[64];

	(void)state;
	add_sub("ute@example.org", 1);
	add_sub("viktor@example.org", 1);
	/* by token, from whatever address */
	snprintf(tok, sizeof(tok), "%s", token_of("ute@example.org"));
	m = msg(INBOX_UNSUBSCRIBE, "someone.else@example.net", tok);
	expect_in(apply(&m, t0, INBOX_HANDLED), "unsubscribe ute@example.org "
	    "(by token): unsubscribed");
	assert_string_equal(status_of("ute@example.org"), "unsubscribed");
	assert_int_equal(notices("unsubscribed", "ute@example.org"), 1);
	/* again: handled, no second mail */
	expect_in(apply(&m, t0, INBOX_HANDLED), "already");
	assert_int_equal(notices("unsubscribed", "ute@example.org"), 1);
	/* without a token: the sender, if a subscriber */
	m = msg(INBOX_UNSUBSCRIBE, "viktor@example.org", NULL);
	apply(&m, t0, INBOX_HANDLED);
	assert_string_equal(status_of("viktor@example.org"), "unsubscribed");
	assert_int_equal(notices("unsubscribed", "viktor@example.org"), 1);
	/* nobody we know */
	m = msg(INBOX_UNSUBSCRIBE, "fremd@example.net", NULL);
	expect_in(apply(&m, t0, INBOX_UNHANDLED), "no subscriber");
	m = msg(INBOX_UNSUBSCRIBE, "fremd@example.net",
	    "ffffffffffffffffffffffffffffffff");
	apply(&m, t0, INBOX_UNHANDLED);
}

/* ---- bounces ---- */

static struct inbox_msg
dsn(const char *rcpt, const char *token, const char *status, int permanent)
{
	struct inbox_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = INBOX_BOUNCE;
	m.from = (char *)"mailer-daemon@mx.example.org";
	m.bounce_rcpt = (char *)rcpt;
	m.bounce_token = (char *)token;
	snprintf(m.status, sizeof(m.status), "%s", status);
	m.permanent = permanent;
	m.diagnostic = (char *)"smtp; 550 mailbox unavailable";
	m.message_id = (char *)"dsn1@mx.example.org";
	return m;
}

static void
test_bounces(void **state)
{
	struct inbox_msg m;
	char tok[64];

	(void)state;
	add_sub("voll@example.org", 1);
	add_sub("weg@example.org", 1);
	/* temporary: recorded, not counted */
	m = dsn("voll@example.org", NULL, "4.2.2", 0);
	expect_in(apply(&m, t0, INBOX_HANDLED), "temporary failure 4.2.2 for "
	    "voll@example.org: recorded");
	assert_int_equal(scalar("SELECT bounces FROM subscribers WHERE email ="
	    " 'voll@example.org'"), 0);
	/* hard bounces: bounced at the third ([imap] bounce_limit) */
	m = dsn("VOLL@example.org", NULL, "5.2.2", 1);
	expect_in(apply(&m, t0, INBOX_HANDLED), ": 1 of 3");
	m = dsn("voll@example.org", NULL, "5.2.2", 1);
	expect_in(apply(&m, t0, INBOX_HANDLED), ": 2 of 3");
	assert_string_equal(status_of("voll@example.org"), "active");
	/* the third by its VERP token (the recipient field says otherwise) */
	snprintf(tok, sizeof(tok), "%s", token_of("voll@example.org"));
	m = dsn("alias@example.org", tok, "5.0.0", 1);
	expect_in(apply(&m, t0, INBOX_HANDLED), "bounced");
	assert_string_equal(status_of("voll@example.org"), "bounced");
	assert_int_equal(scalar("SELECT count(*) FROM bounces b JOIN subscribers"
	    " s ON s.id = b.subscriber_id WHERE s.email = 'voll@example.org'"),
	    4);
	assert_int_equal(scalar("SELECT count(*) FROM bounces WHERE status ="
	    " '4.2.2' AND permanent = 0 AND message_id ="
	    " 'dsn1@mx.example.org'"), 1);
	/* user unknown: at once */
	m = dsn("weg@example.org", NULL, "5.1.1", 1);
	expect_in(apply(&m, t0, INBOX_HANDLED), "hard bounce 5.1.1 for "
	    "weg@example.org: bounced");
	assert_string_equal(status_of("weg@example.org"), "bounced");
	/* nobody of ours */
	m = dsn("unbekannt@example.org", NULL, "5.1.1", 1);
	apply(&m, t0, INBOX_UNHANDLED);
	assert_int_equal(scalar("SELECT count(*) FROM bounces"), 5);
}

/* The same rule for refusals while sending (outbox_permfail). */
static void
test_smtp_time_bounces(void **state)
{
	struct outbox_item it;
	struct subscriber s;
	int64_t mid;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.id = add_sub("smtp@example.org", 1);
	memset(&it, 0, sizeof(it));
	it.sub = &s;
	mid = scalar("INSERT INTO mailings(kind, title, created_at) VALUES"
	    " ('newsletter', 'x', 1) RETURNING id");
	for (i = 0; i < 2; i++) {
		it.id = scalar("INSERT INTO outbox(mailing_id, rcpt,"
		    " next_attempt, created_at, updated_at) VALUES (%lld,"
		    " 'x@example.org', 1, 1, 1) RETURNING id", (long long)mid);
		assert_int_equal(outbox_permfail(db, &it, "552 5.2.2 mailbox "
		    "full", 1, cfg->bounce_limit, t0), 0);
		assert_string_equal(status_of("smtp@example.org"), "active");
	}
	it.id = scalar("INSERT INTO outbox(mailing_id, rcpt, next_attempt,"
	    " created_at, updated_at) VALUES (%lld, 'x@example.org', 1, 1, 1)"
	    " RETURNING id", (long long)mid);
	assert_int_equal(outbox_permfail(db, &it, "550-5.1.1 no such user", 1,
	    cfg->bounce_limit, t0), 0);
	assert_string_equal(status_of("smtp@example.org"), "bounced");
	assert_int_equal(subscriber_user_unknown("5.1.1"), 1);
	assert_int_equal(subscriber_user_unknown("550 5.1.10 x"), 0);
	assert_int_equal(subscriber_user_unknown("5.1.2"), 0);
	assert_int_equal(subscriber_user_unknown(NULL), 0);
}

/* ---- double opt-in ---- */

static void
test_subscribe_confirm(void **state)
{
	struct inbox_msg m;
	struct mailing *ml;
	struct mailing_msg mm;
	struct subscriber *s;
	char tok[64], *err = NULL;
	int64_t mid;

	(void)state;
	m = msg(INBOX_SUBSCRIBE, "neu@example.org", NULL);
	m.from_name = (char *)"Nora Neu";
	expect_in(apply(&m, t0, INBOX_HANDLED), "subscribe neu@example.org: "
	    "new, pending, confirmation request queued");
	assert_string_equal(status_of("neu@example.org"), "pending");
	assert_string_equal(text("SELECT consent_source FROM subscribers"
	    " WHERE email = 'neu@example.org'"), "mail");
	assert_int_equal(scalar("SELECT consent_at IS NULL FROM subscribers"
	    " WHERE email = 'neu@example.org'"), 1);
	assert_string_equal(text("SELECT name || '/' || language FROM"
	    " subscribers WHERE email = 'neu@example.org'"), "Nora Neu/de");
	assert_int_equal(notices("confirm", "neu@example.org"), 1);

	/* the confirmation request carries the token and says how to reply */
	snprintf(tok, sizeof(tok), "%s", token_of("neu@example.org"));
	mid = scalar("SELECT m.id FROM mailings m JOIN outbox o ON"
	    " o.mailing_id = m.id WHERE m.kind = 'confirm'");
	assert_int_equal(mailing_load(cfg, db, mid, &ml, &err), 0);
	assert_int_equal(subscriber_get(db, "neu@example.org", &s), 0);
	assert_int_equal(mailing_render(ml, s, &mm, &err), 0);
	expect_in(mm.r.subject, tok);
	expect_in(mm.r.text.data, tok);
	expect_in(mm.r.text.data, "Hallo Nora Neu,");
	mailing_msg_free(&mm);
	mailing_free(ml);
	subscriber_free(s);

	/* asked again the same day: no second request; the next day: one */
	expect_in(apply(&m, t0 + 3600, INBOX_HANDLED), "within the last day");
	assert_int_equal(notices("confirm", "neu@example.org"), 1);
	apply(&m, t0 + 86400 + 60, INBOX_HANDLED);
	assert_int_equal(notices("confirm", "neu@example.org"), 2);

	/* the reply with the token confirms */
	m = msg(INBOX_CONFIRM, "nora@other.example.net", tok);
	expect_in(apply(&m, t0 + 90000, INBOX_HANDLED), "confirm "
	    "neu@example.org: active, welcome mail queued");
	assert_string_equal(status_of("neu@example.org"), "active");
	assert_string_equal(text("SELECT consent_source FROM subscribers"
	    " WHERE email = 'neu@example.org'"), "mail-confirmation");
	assert_int_equal(scalar("SELECT consent_at FROM subscribers WHERE"
	    " email = 'neu@example.org'"), t0 + 90000);
	assert_int_equal(notices("welcome", "neu@example.org"), 1);
	/* again: nothing */
	expect_in(apply(&m, t0 + 90001, INBOX_HANDLED), "active already");
	assert_int_equal(notices("welcome", "neu@example.org"), 1);
	m = msg(INBOX_CONFIRM, "x@example.net", "0123456789abcdef0123456789abcdef");
	apply(&m, t0, INBOX_UNHANDLED);
	m = msg(INBOX_CONFIRM, "x@example.net", NULL);
	apply(&m, t0, INBOX_UNHANDLED);

	/* subscribed already: nothing */
	m = msg(INBOX_SUBSCRIBE, "neu@example.org", NULL);
	expect_in(apply(&m, t0, INBOX_HANDLED), "subscribed already");
	assert_int_equal(notices("confirm", "neu@example.org"), 2);
	/* unsubscribed, then asks again: pending with a new request */
	m = msg(INBOX_UNSUBSCRIBE, "neu@example.org", NULL);
	apply(&m, t0 + 100000, INBOX_HANDLED);
	m = msg(INBOX_SUBSCRIBE, "neu@example.org", NULL);
	expect_in(apply(&m, t0 + 100100, INBOX_HANDLED), "was unsubscribed, "
	    "pending again");
	assert_string_equal(status_of("neu@example.org"), "pending");
	assert_int_equal(scalar("SELECT consent_at IS NULL FROM subscribers"
	    " WHERE email = 'neu@example.org'"), 1);
	assert_int_equal(notices("confirm", "neu@example.org"), 3);
	/* no sender address */
	m = msg(INBOX_SUBSCRIBE, NULL, NULL);
	apply(&m, t0, INBOX_UNHANDLED);
	/* a display name with control characters: the address without it,
	 * and the line is clean */
	m = msg(INBOX_SUBSCRIBE, "esc@example.org", NULL);
	m.from_name = (char *)"Evil\x1b[31m\nName";
	assert_null(strchr(apply(&m, t0, INBOX_HANDLED), '\x1b'));
	assert_string_equal(status_of("esc@example.org"), "pending");
	assert_string_equal(text("SELECT name FROM subscribers WHERE email ="
	    " 'esc@example.org'"), "");
}

static void
test_expiry(void **state)
{
	struct inbox_msg m;
	long before;

	(void)state;
	add_sub("alt@example.org", 0);         /* pending since now */
	m = msg(INBOX_SUBSCRIBE, "spaet@example.org", NULL);
	apply(&m, t0, INBOX_HANDLED);
	/* asked again 10 days later: counts from then */
	m = msg(INBOX_SUBSCRIBE, "esc@example.org", NULL);
	apply(&m, t0 + 10 * 86400, INBOX_HANDLED);
	before = scalar("SELECT count(*) FROM subscribers");
	assert_int_equal(inbox_expire_pending(cfg, db, t0 + 13 * 86400), 0);
	/* 15 days on: alt and spaet go (neu was pending again since
	 * t0 + 100100 and got a request then, esc 10 days ago) */
	assert_int_equal(inbox_expire_pending(cfg, db, t0 + 15 * 86400), 2);
	assert_int_equal(scalar("SELECT count(*) FROM subscribers"), before - 2);
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE email"
	    " IN ('alt@example.org','spaet@example.org')"), 0);
	assert_string_equal(status_of("esc@example.org"), "pending");
	/* nothing of theirs is kept: the request mailing is gone too */
	assert_int_equal(scalar("SELECT count(*) FROM mailings m WHERE kind IN"
	    " ('confirm','welcome','unsubscribed') AND NOT EXISTS (SELECT 1"
	    " FROM outbox o WHERE o.mailing_id = m.id)"), 0);
	/* active ones never expire */
	assert_int_equal(inbox_expire_pending(cfg, db, t0 + 400 * 86400), 2);
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE status"
	    " = 'pending'"), 0);
	assert_string_equal(status_of("anna@example.org"), "active");
}

static void
test_autoreply_and_unknown(void **state)
{
	struct inbox_msg m;
	int64_t rows = scalar("SELECT count(*) FROM outbox");

	(void)state;
	m = msg(INBOX_AUTOREPLY, "anna@example.org", NULL);
	m.why = (char *)"Auto-Submitted: auto-replied";
	expect_in(apply(&m, t0, INBOX_HANDLED), "auto-reply");
	m = msg(INBOX_UNKNOWN, "anna@example.org", NULL);
	m.why = (char *)"no command\x07 found";
	assert_null(strchr(apply(&m, t0, INBOX_UNHANDLED), '\x07'));
	assert_int_equal(scalar("SELECT count(*) FROM outbox"), rows);
	assert_string_equal(status_of("anna@example.org"), "active");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsvp_ordering),
		cmocka_unit_test(test_rsvp_guest_and_counts),
		cmocka_unit_test(test_capacity_notice_once),
		cmocka_unit_test(test_occurrence_and_declined_reminders),
		cmocka_unit_test(test_unsubscribe),
		cmocka_unit_test(test_bounces),
		cmocka_unit_test(test_smtp_time_bounces),
		cmocka_unit_test(test_subscribe_confirm),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_autoreply_and_unknown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
