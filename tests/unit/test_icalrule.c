/*
 * test_icalrule: RRULEs in words (ical_rule_text(), with datefmt_rule()'s
 * German and English), table-driven: every supported form in both
 * languages, the rules without a sentence, UNTIL in the event's zone, and
 * a check against libical's expansion that the sentence says what the
 * rule does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "util.h"

#define NDASH	"\xe2\x80\x93"
#define BERLIN	"Europe/Berlin"

struct row {
	const char *rrule;
	const char *start, *end;	/* local, as struct event has them */
	const char *de, *en;		/* NULL: no sentence */
};

/* 2026-12-08 is a Tuesday, 2026-12-04 a Friday. */
#define TUE	"2026-12-08 17:00", "2026-12-08 19:00"
#define DE_TUE	", 17:00" NDASH "19:00 Uhr"
#define EN_TUE	", 5:00" NDASH "7:00 pm"

static const struct row rows[] = {
	/* DAILY, INTERVAL */
	{ "FREQ=DAILY", "2026-12-01 09:00", "2026-12-01 10:00",
	  "t\xc3\xa4glich, 9:00" NDASH "10:00 Uhr",
	  "every day, 9:00" NDASH "10:00 am" },
	{ "FREQ=DAILY;INTERVAL=1", "2026-12-01", "2026-12-01",
	  "t\xc3\xa4glich", "every day" },
	{ "FREQ=DAILY;INTERVAL=2", "2026-12-01", NULL,
	  "alle zwei Tage", "every two days" },
	{ "FREQ=DAILY;INTERVAL=12", "2026-12-01", NULL,
	  "alle zw\xc3\xb6lf Tage", "every twelve days" },
	{ "FREQ=DAILY;INTERVAL=13", "2026-12-01", NULL,
	  "alle 13 Tage", "every 13 days" },
	{ "FREQ=DAILY;BYDAY=MO,WE", TUE,
	  "jeden Montag und Mittwoch" DE_TUE,
	  "every Monday and Wednesday" EN_TUE },

	/* WEEKLY: the start's weekday, BYDAY lists, INTERVAL */
	{ "FREQ=WEEKLY", TUE, "jeden Dienstag" DE_TUE,
	  "every Tuesday" EN_TUE },
	{ "FREQ=WEEKLY;INTERVAL=1", TUE, "jeden Dienstag" DE_TUE,
	  "every Tuesday" EN_TUE },
	{ "FREQ=WEEKLY;INTERVAL=2", TUE,
	  "alle zwei Wochen am Dienstag" DE_TUE,
	  "every two weeks on Tuesday" EN_TUE },
	{ "FREQ=WEEKLY;BYDAY=WE,MO", TUE,
	  "jeden Montag und Mittwoch" DE_TUE,
	  "every Monday and Wednesday" EN_TUE },
	{ "FREQ=WEEKLY;BYDAY=SU,MO", TUE,
	  "jeden Montag und Sonntag" DE_TUE,
	  "every Monday and Sunday" EN_TUE },
	{ "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=10", TUE,
	  "jeden Montag, Mittwoch und Freitag" DE_TUE ", zehnmal",
	  "every Monday, Wednesday and Friday" EN_TUE ", ten times" },
	{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", TUE,
	  "alle zwei Wochen am Montag und Mittwoch" DE_TUE,
	  "every two weeks on Monday and Wednesday" EN_TUE },
	{ "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-12-08 09:00",
	  "2026-12-08 17:00",
	  "montags bis freitags, 9:00" NDASH "17:00 Uhr",
	  "Monday to Friday, 9:00 am " NDASH " 5:00 pm" },
	{ "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TU,WE,TH,FR", "2026-12-08", NULL,
	  "alle drei Wochen montags bis freitags",
	  "every three weeks, Monday to Friday" },
	{ "FREQ=WEEKLY;BYDAY=SU,MO,TU,WE,TH,FR,SA", "2026-12-08", NULL,
	  "t\xc3\xa4glich", "every day" },

	/* MONTHLY with a weekday's place */
	{ "FREQ=MONTHLY;BYDAY=2TU", TUE,
	  "jeden 2. Dienstag im Monat" DE_TUE,
	  "every second Tuesday of the month" EN_TUE },
	{ "FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU", TUE,
	  "jeden 2. Dienstag im Monat" DE_TUE,
	  "every second Tuesday of the month" EN_TUE },
	{ "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU", TUE,
	  "alle zwei Monate am 2. Dienstag" DE_TUE,
	  "every two months on the second Tuesday" EN_TUE },
	{ "FREQ=MONTHLY;BYDAY=-1FR", "2026-12-25 18:00", "2026-12-25 20:00",
	  "jeden letzten Freitag im Monat, 18:00" NDASH "20:00 Uhr",
	  "every last Friday of the month, 6:00" NDASH "8:00 pm" },
	{ "FREQ=MONTHLY;BYDAY=-2TH", "2026-12-24", NULL,
	  "jeden vorletzten Donnerstag im Monat",
	  "every second-to-last Thursday of the month" },
	{ "FREQ=MONTHLY;BYDAY=-5MO", "2026-12-24", NULL,
	  "jeden f\xc3\xbcnftletzten Montag im Monat",
	  "every fifth-to-last Monday of the month" },
	{ "FREQ=MONTHLY;BYDAY=5MO", "2027-03-29", NULL,
	  "jeden 5. Montag im Monat", "every fifth Monday of the month" },
	{ "FREQ=MONTHLY;BYDAY=3MO,1MO", "2026-12-07", NULL,
	  "jeden 1. und 3. Montag im Monat",
	  "every first and third Monday of the month" },
	{ "FREQ=MONTHLY;BYDAY=-1MO,1MO,-2MO", "2026-12-07", NULL,
	  "jeden 1., vorletzten und letzten Montag im Monat",
	  "every first, second-to-last and last Monday of the month" },
	{ "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", TUE,
	  "jeden 2. Dienstag im Monat" DE_TUE,
	  "every second Tuesday of the month" EN_TUE },

	/* MONTHLY with BYSETPOS over a weekday list */
	{ "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2026-12-31 15:00",
	  "2026-12-31 16:00",
	  "jeden letzten Werktag im Monat, 15:00" NDASH "16:00 Uhr",
	  "every last weekday of the month, 3:00" NDASH "4:00 pm" },
	{ "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1", "2026-12-01",
	  NULL, "jeden 1. und letzten Werktag im Monat",
	  "every first and last weekday of the month" },
	{ "FREQ=MONTHLY;BYDAY=SA,SU;BYSETPOS=1", "2026-12-05", NULL,
	  "jeden 1. Samstag oder Sonntag im Monat",
	  "every first Saturday or Sunday of the month" },
	{ "FREQ=MONTHLY;INTERVAL=3;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
	  "2026-12-31", NULL, "alle drei Monate am letzten Werktag",
	  "every three months on the last weekday" },

	/* MONTHLY on days of the month */
	{ "FREQ=MONTHLY", "2026-12-15 18:00", "2026-12-15 19:30",
	  "jeden Monat am 15., 18:00" NDASH "19:30 Uhr",
	  "every month on the 15th, 6:00" NDASH "7:30 pm" },
	{ "FREQ=MONTHLY;INTERVAL=6;COUNT=4", "2027-01-21 15:00",
	  "2027-01-21 18:00",
	  "alle sechs Monate am 21., 15:00" NDASH "18:00 Uhr, viermal",
	  "every six months on the 21st, 3:00" NDASH "6:00 pm, four times" },
	{ "FREQ=MONTHLY;BYMONTHDAY=15,1", "2026-12-01", NULL,
	  "jeden Monat am 1. und 15.", "every month on the 1st and 15th" },
	{ "FREQ=MONTHLY;BYMONTHDAY=2,3,22,23,11,12,13", "2026-12-02", NULL,
	  "jeden Monat am 2., 3., 11., 12., 13., 22. und 23.",
	  "every month on the 2nd, 3rd, 11th, 12th, 13th, 22nd and 23rd" },
	{ "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-12-31", NULL,
	  "jeden Monat am letzten Tag", "every month on the last day" },
	{ "FREQ=MONTHLY;BYMONTHDAY=1,-1", "2026-12-01", NULL,
	  "jeden Monat am 1. und letzten Tag",
	  "every month on the 1st and last day" },
	{ "FREQ=MONTHLY;BYDAY=MO", "2026-12-07", NULL,
	  "jeden Montag", "every Monday" },

	/* YEARLY */
	{ "FREQ=YEARLY", "2026-12-03 18:00", "2026-12-03 21:00",
	  "jedes Jahr am 3. Dezember, 18:00" NDASH "21:00 Uhr",
	  "every year on 3 December, 6:00" NDASH "9:00 pm" },
	{ "FREQ=YEARLY;BYMONTH=9", "2026-09-12", NULL,
	  "jedes Jahr am 12. September", "every year on 12 September" },
	{ "FREQ=YEARLY;INTERVAL=2;BYMONTH=6;BYMONTHDAY=1,15", "2027-06-01",
	  NULL, "alle zwei Jahre am 1. und 15. Juni",
	  "every two years on 1 and 15 June" },
	{ "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", "2027-02-28", NULL,
	  "jedes Jahr am letzten Tag im Februar",
	  "every year on the last day of February" },
	{ "FREQ=YEARLY;BYMONTH=11;BYDAY=-1FR", "2026-11-27", NULL,
	  "jeden letzten Freitag im November",
	  "every last Friday of November" },
	{ "FREQ=YEARLY;INTERVAL=3;BYMONTH=3;BYDAY=2SA", "2027-03-13", NULL,
	  "alle drei Jahre am 2. Samstag im M\xc3\xa4rz",
	  "every three years on the second Saturday of March" },
	{ "FREQ=YEARLY;BYMONTH=12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
	  "2026-12-31", NULL, "jeden letzten Werktag im Dezember",
	  "every last weekday of December" },

	/* COUNT */
	{ "FREQ=WEEKLY;COUNT=1", TUE, "jeden Dienstag" DE_TUE ", einmal",
	  "every Tuesday" EN_TUE ", once" },
	{ "FREQ=WEEKLY;COUNT=2", TUE, "jeden Dienstag" DE_TUE ", zweimal",
	  "every Tuesday" EN_TUE ", twice" },
	{ "FREQ=WEEKLY;COUNT=12", TUE,
	  "jeden Dienstag" DE_TUE ", zw\xc3\xb6lfmal",
	  "every Tuesday" EN_TUE ", twelve times" },
	{ "FREQ=WEEKLY;COUNT=13", TUE, "jeden Dienstag" DE_TUE ", 13-mal",
	  "every Tuesday" EN_TUE ", 13 times" },

	/* UNTIL, as its day in the event's zone */
	{ "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270630", TUE,
	  "jeden 2. Dienstag im Monat" DE_TUE ", bis 30. Juni 2027",
	  "every second Tuesday of the month" EN_TUE ", until 30 June 2027" },
	{ "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270630T215959Z", TUE,
	  "jeden 2. Dienstag im Monat" DE_TUE ", bis 30. Juni 2027",
	  "every second Tuesday of the month" EN_TUE ", until 30 June 2027" },
	/* 23:30 UTC is 00:30 the next day in Berlin */
	{ "FREQ=WEEKLY;UNTIL=20261231T233000Z", TUE,
	  "jeden Dienstag" DE_TUE ", bis 1. Januar 2027",
	  "every Tuesday" EN_TUE ", until 1 January 2027" },
	{ "FREQ=WEEKLY;UNTIL=20270630T180000", TUE,
	  "jeden Dienstag" DE_TUE ", bis 30. Juni 2027",
	  "every Tuesday" EN_TUE ", until 30 June 2027" },
	{ "FREQ=YEARLY;UNTIL=20301203", "2026-12-03", "2026-12-03",
	  "jedes Jahr am 3. Dezember, bis 3. Dezember 2030",
	  "every year on 3 December, until 3 December 2030" },

	/* times: across noon, no end, over midnight (none said) */
	{ "FREQ=WEEKLY", "2026-12-08 11:00", "2026-12-08 13:00",
	  "jeden Dienstag, 11:00" NDASH "13:00 Uhr",
	  "every Tuesday, 11:00 am " NDASH " 1:00 pm" },
	{ "FREQ=WEEKLY", "2026-12-08 00:00", "2026-12-08 12:00",
	  "jeden Dienstag, 0:00" NDASH "12:00 Uhr",
	  "every Tuesday, 12:00 am " NDASH " 12:00 pm" },
	{ "FREQ=WEEKLY", "2026-12-08 18:00", NULL,
	  "jeden Dienstag, 18:00 Uhr", "every Tuesday, 6:00 pm" },
	{ "FREQ=WEEKLY", "2026-12-08 18:00", "2026-12-08 18:00",
	  "jeden Dienstag, 18:00 Uhr", "every Tuesday, 6:00 pm" },
	{ "FREQ=WEEKLY", "2026-12-04 18:00", "2026-12-05 14:00",
	  "jeden Freitag", "every Friday" },
	{ "FREQ=YEARLY", "2026-12-04", "2026-12-06",
	  "jedes Jahr am 4. Dezember", "every year on 4 December" },

	/* no sentence: the caller's generic text */
	{ "FREQ=DAILY;BYHOUR=9,17", TUE, NULL, NULL },
	{ "FREQ=WEEKLY;BYMINUTE=30", TUE, NULL, NULL },
	{ "FREQ=HOURLY", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYWEEKNO=20", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYYEARDAY=100", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYDAY=20MO", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYMONTHDAY=1", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYMONTH=1,7", TUE, NULL, NULL },
	{ "FREQ=YEARLY;BYMONTH=12;BYDAY=TU", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYMONTH=1,7", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYDAY=1MO,3WE", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYDAY=1MO,TU", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYDAY=2TU;BYSETPOS=1", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYMONTHDAY=-10", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=6", TUE, NULL, NULL },
	{ "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO", TUE, NULL, NULL },
	{ "FREQ=DAILY;INTERVAL=2;BYDAY=MO", TUE, NULL, NULL },
	{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO,TU,WE,TH,FR,SA", TUE, NULL,
	  NULL },
	{ "FREQ=MINUTELY", TUE, NULL, NULL },
	{ "FREQ=WEEKLY;COUNT=2;UNTIL=20270101", TUE, NULL, NULL },
	{ "FREQ=FORTNIGHTLY", TUE, NULL, NULL },
	{ "", TUE, NULL, NULL },
};

static void
test_sentences(void **state)
{
	static const char *const langs[2] = { "de", "en" };
	struct buf b;
	size_t i, l;
	int rc;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (l = 0; l < 2; l++) {
			const struct row *r = &rows[i];
			const char *want = l == 0 ? r->de : r->en;

			buf_reset(&b);
			buf_puts(&b, "> ");
			rc = ical_rule_text(langs[l], r->rrule, BERLIN,
			    r->start, r->end, &b);
			if (want == NULL && (rc != -1 || b.len != 2))
				fail_msg("%s %s (%s): got \"%s\", want none",
				    langs[l], r->rrule, r->start, b.data);
			if (want != NULL && (rc != 0 ||
			    strcmp(b.data + 2, want) != 0))
				fail_msg("%s %s (%s): got %d \"%s\", want "
				    "\"%s\"", langs[l], r->rrule, r->start, rc,
				    b.data + 2, want);
		}
	buf_free(&b);
}

/* UNTIL in UTC is said as its day in the event's zone. */
static void
test_until_in_event_zone(void **state)
{
	static const struct {
		const char *tz, *rrule, *want;
	} z[] = {
		/* 03:00Z is still 30 June in New York */
		{ "America/New_York", "FREQ=WEEKLY;UNTIL=20270701T030000Z",
		  "every Tuesday, 5:00" NDASH "7:00 pm, until 30 June 2027" },
		{ "UTC", "FREQ=WEEKLY;UNTIL=20270701T030000Z",
		  "every Tuesday, 5:00" NDASH "7:00 pm, until 1 July 2027" },
		/* 11:00Z is 1 July in Auckland (NZST, UTC+12) */
		{ "Pacific/Auckland", "FREQ=WEEKLY;UNTIL=20270630T120000Z",
		  "every Tuesday, 5:00" NDASH "7:00 pm, until 1 July 2027" },
		{ BERLIN, "FREQ=WEEKLY;UNTIL=20270630T215959Z",
		  "every Tuesday, 5:00" NDASH "7:00 pm, until 30 June 2027" },
		{ BERLIN, "FREQ=WEEKLY;UNTIL=20270630T220000Z",
		  "every Tuesday, 5:00" NDASH "7:00 pm, until 1 July 2027" },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		buf_reset(&b);
		assert_int_equal(ical_rule_text("en", z[i].rrule, z[i].tz,
		    "2026-12-08 17:00", "2026-12-08 19:00", &b), 0);
		if (strcmp(b.data, z[i].want) != 0)
			fail_msg("%s %s: \"%s\"", z[i].tz, z[i].rrule, b.data);
	}
	buf_free(&b);
}

static void
test_bad_input(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	/* a language datefmt does not know, a zone, a start */
	assert_int_equal(ical_rule_text("fr", "FREQ=WEEKLY", BERLIN,
	    "2026-12-08 17:00", NULL, &b), -1);
	assert_int_equal(ical_rule_text("de", "FREQ=WEEKLY", "Mars/Olympus",
	    "2026-12-08 17:00", NULL, &b), -1);
	assert_int_equal(ical_rule_text("de", "FREQ=WEEKLY", BERLIN,
	    "8.12.2026", NULL, &b), -1);
	assert_int_equal(ical_rule_text("de", NULL, BERLIN,
	    "2026-12-08 17:00", NULL, &b), -1);
	assert_int_equal(b.len, 0);
	/* a region subtag is fine; an all-day event needs no zone */
	assert_int_equal(ical_rule_text("de-AT", "FREQ=WEEKLY", NULL,
	    "2026-12-08", NULL, &b), 0);
	assert_string_equal(b.data, "jeden Dienstag");
	buf_free(&b);
}

/*
 * The sentence says what libical does: the first occurrences of some of
 * the rules above, expanded (local dates in Berlin).
 */
static void
test_sentence_matches_expansion(void **state)
{
	static const struct {
		const char *rrule, *start, *dates[3];
	} x[] = {
		/* the last weekday: Thu 31 Dec, Fri 29 Jan, Fri 26 Feb */
		{ "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		  "2026-12-01 15:00",
		  { "2026-12-31", "2027-01-29", "2027-02-26" } },
		{ "FREQ=MONTHLY;BYDAY=5MO", "2026-12-01 15:00",
		  { "2027-03-29", "2027-05-31", "2027-08-30" } },
		{ "FREQ=MONTHLY;BYDAY=-1FR", "2026-12-01 15:00",
		  { "2026-12-25", "2027-01-29", "2027-02-26" } },
		{ "FREQ=YEARLY;BYMONTH=11;BYDAY=-1FR", "2026-01-01 15:00",
		  { "2026-11-27", "2027-11-26", "2028-11-24" } },
		{ "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", "2027-01-01 15:00",
		  { "2027-02-28", "2028-02-29", "2029-02-28" } },
		{ "FREQ=MONTHLY;BYDAY=SA,SU;BYSETPOS=1", "2026-12-01 15:00",
		  { "2026-12-05", "2027-01-02", "2027-02-06" } },
		{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", "2026-12-07 15:00",
		  { "2026-12-07", "2026-12-09", "2026-12-21" } },
	};
	time_t t[3];
	size_t i, j, n;
	struct tm tm;
	char day[16];

	(void)state;
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		assert_int_equal(ical_next_occurrences(BERLIN, x[i].start,
		    x[i].rrule, 0, 3, t, &n), 0);
		assert_int_equal(n, 3);
		for (j = 0; j < 3; j++) {
			assert_int_equal(ical_utc_to_local(BERLIN, t[j], &tm),
			    0);
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
			if (strcmp(day, x[i].dates[j]) != 0)
				fail_msg("%s: occurrence %zu is %s, want %s",
				    x[i].rrule, j, day, x[i].dates[j]);
		}
	}
}

static int
teardown(void **state)
{
	(void)state;
	ical_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_until_in_event_zone),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_sentence_matches_expansion),
	};

	return cmocka_run_group_tests_name("icalrule", tests, NULL, teardown);
}
