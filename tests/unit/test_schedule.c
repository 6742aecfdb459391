/*
 * test_schedule: the schedule module's due-time arithmetic (scheddue.c):
 * the newsletter moment of a month for first-weekday, month-end, BYSETPOS,
 * INTERVAL and DST-day rules in Europe/Berlin; "offset before" in calendar
 * days across both DST changes; the reminder key parts; the grace window.
 *
 * Expected instants are worked out by hand from the calendar and the EU
 * rule (CET = UTC+1, CEST = UTC+2 from the last Sunday of March 02:00 CET
 * to the last Sunday of October 03:00 CEST: 2026-03-29..2026-10-25,
 * 2027-03-28..2027-10-31) and written as UTC text, never taken from the
 * code under test. Only the arithmetic is called, not the job table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "ical.h"
#include "schedule.h"

#define BERLIN		"Europe/Berlin"
#define FIRST_MONDAY	"FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0"
#define DAY		86400L

/* "YYYY-MM-DDTHH:MM:SSZ" as an instant (timegm, no zone data involved). */
static time_t
utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* schedule_month_due() must give want (UTC text), or 1 when want is NULL. */
static void
check_month(const char *rrule, const char *tzid, int year, int month,
    const char *want)
{
	time_t due = 12345;
	int r;

	r = schedule_month_due(rrule, tzid, year, month, &due);
	if (want == NULL) {
		if (r != 1)
			fail_msg("%s %d-%02d: want no occurrence, got %d", rrule,
			    year, month, r);
		assert_int_equal(due, 12345);	/* untouched */
		return;
	}
	if (r != 0)
		fail_msg("%s %d-%02d: want %s, got %d", rrule, year, month, want,
		    r);
	if (due != utc(want))
		fail_msg("%s %d-%02d: want %s, got %lld (%+lld s)", rrule, year,
		    month, want, (long long)due, (long long)(due - utc(want)));
}

/* The local wall time of t in tzid as "YYYY-MM-DD HH:MM". */
static void
local_text(const char *tzid, time_t t, char *buf, size_t size)
{
	struct tm tm;

	assert_int_equal(ical_utc_to_local(tzid, t, &tm), 0);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* ---- schedule_month_due ------------------------------------------------ */

/*
 * First Monday 09:00 local: 09:00 CET = 08:00Z in winter, 09:00 CEST =
 * 07:00Z in summer. 2026-10-01 is a Thursday (-> Mon 5th, still CEST),
 * 2026-11-01 a Sunday (-> Mon 2nd, CET), 2027-01-01 a Friday (-> 4th),
 * 2027-02-01 and 2027-03-01 are Mondays (the 1st itself), 2027-06-01 a
 * Tuesday (-> 7th, CEST).
 */
static void
test_first_monday(void **state)
{
	(void)state;
	check_month(FIRST_MONDAY, BERLIN, 2026, 10, "2026-10-05T07:00:00Z");
	check_month(FIRST_MONDAY, BERLIN, 2026, 11, "2026-11-02T08:00:00Z");
	check_month(FIRST_MONDAY, BERLIN, 2027, 1, "2027-01-04T08:00:00Z");
	check_month(FIRST_MONDAY, BERLIN, 2027, 2, "2027-02-01T08:00:00Z");
	check_month(FIRST_MONDAY, BERLIN, 2027, 3, "2027-03-01T08:00:00Z");
	check_month(FIRST_MONDAY, BERLIN, 2027, 6, "2027-06-07T07:00:00Z");
	/* The same wall time in UTC is the same clock reading. */
	check_month(FIRST_MONDAY, "UTC", 2027, 6, "2027-06-07T09:00:00Z");
	/* New York: 2027-06-07 09:00 EDT (UTC-4) = 13:00Z. */
	check_month(FIRST_MONDAY, "America/New_York", 2027, 6,
	    "2027-06-07T13:00:00Z");
}

/*
 * Month ends. Without BYHOUR the anchor's 00:00 local applies, so the
 * instant is the evening before in UTC (23:00Z in CET, 22:00Z in CEST).
 * RFC 5545: a BYMONTHDAY a month does not have is skipped, not moved.
 */
static void
test_month_ends(void **state)
{
	(void)state;
	/* BYMONTHDAY=31: January and July have one, April, February not. */
	check_month("FREQ=MONTHLY;BYMONTHDAY=31", BERLIN, 2027, 1,
	    "2027-01-30T23:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=31", BERLIN, 2027, 7,
	    "2027-07-30T22:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=31", BERLIN, 2027, 4, NULL);
	check_month("FREQ=MONTHLY;BYMONTHDAY=31", BERLIN, 2027, 2, NULL);
	check_month("FREQ=MONTHLY;BYMONTHDAY=31", BERLIN, 2028, 2, NULL);
	/* BYMONTHDAY=-1: 29 Feb 2028 (leap), 28 Feb 2027, 30 Apr 2027. */
	check_month("FREQ=MONTHLY;BYMONTHDAY=-1", BERLIN, 2028, 2,
	    "2028-02-28T23:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=-1", BERLIN, 2027, 2,
	    "2027-02-27T23:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=-1", BERLIN, 2027, 4,
	    "2027-04-29T22:00:00Z");
	/* 31 Dec 00:00 CET is 30 Dec 23:00Z: not 1 Jan's midnight. */
	check_month("FREQ=MONTHLY;BYMONTHDAY=-1", BERLIN, 2026, 12,
	    "2026-12-30T23:00:00Z");
	/* BYMONTHDAY=29 in February: only in a leap year. */
	check_month("FREQ=MONTHLY;BYMONTHDAY=29;BYHOUR=9", BERLIN, 2028, 2,
	    "2028-02-29T08:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=29;BYHOUR=9", BERLIN, 2027, 2,
	    NULL);
	check_month("FREQ=MONTHLY;BYMONTHDAY=29;BYHOUR=9", BERLIN, 2027, 3,
	    "2027-03-29T07:00:00Z");
	/*
	 * 00:00 on the 1st is the first instant of the month although it is
	 * the previous month in UTC (the window is local, and its start is
	 * included).
	 */
	check_month("FREQ=MONTHLY;BYMONTHDAY=1", BERLIN, 2027, 1,
	    "2026-12-31T23:00:00Z");
	check_month("FREQ=MONTHLY;BYMONTHDAY=1", BERLIN, 2027, 7,
	    "2027-06-30T22:00:00Z");
}

/*
 * The last weekday of the month, 09:00: 2027-05-31 is a Monday (CEST,
 * 07:00Z); 2027-02-28 is a Sunday, so Friday the 26th (CET, 08:00Z);
 * 2026-10-31 is a Saturday, so Friday the 30th -- after the change of
 * 2026-10-25, CET, 08:00Z.
 */
static void
test_bysetpos(void **state)
{
	const char *r = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;"
	    "BYHOUR=9";

	(void)state;
	check_month(r, BERLIN, 2027, 5, "2027-05-31T07:00:00Z");
	check_month(r, BERLIN, 2027, 2, "2027-02-26T08:00:00Z");
	check_month(r, BERLIN, 2026, 10, "2026-10-30T08:00:00Z");
	/* The first weekday: 2026-11-01 is a Sunday -> Monday the 2nd. */
	check_month("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1;BYHOUR=9",
	    BERLIN, 2026, 11, "2026-11-02T08:00:00Z");
}

/*
 * The last Sunday of March and of October at 02:30, in Berlin the two
 * nights of the change. 2027-03-28 02:30 does not exist (02:00 CET ->
 * 03:00 CEST): it moves forward by the gap, to 03:30 CEST = 01:30Z, as
 * ical_local_to_utc() resolves it. 2027-10-31 02:30 exists twice (03:00
 * CEST -> 02:00 CET): the earlier, 02:30 CEST = 00:30Z. Either way one
 * instant, and the next occurrence is the next month's.
 */
static void
test_dst_days(void **state)
{
	const char *r = "FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30";
	time_t t, occ[2];
	size_t n;

	(void)state;
	check_month(r, BERLIN, 2027, 3, "2027-03-28T01:30:00Z");
	assert_int_equal(ical_local_to_utc(BERLIN, "2027-03-28 02:30", &t), 0);
	assert_int_equal(t, utc("2027-03-28T01:30:00Z"));
	check_month(r, BERLIN, 2027, 10, "2027-10-31T00:30:00Z");
	assert_int_equal(ical_local_to_utc(BERLIN, "2027-10-31 02:30", &t), 0);
	assert_int_equal(t, utc("2027-10-31T00:30:00Z"));
	/* One instant per night: after each comes the next month's. */
	assert_int_equal(ical_next_occurrences(BERLIN, "2000-01-01 00:00", r,
	    utc("2027-03-27T00:00:00Z"), 2, occ, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(occ[0], utc("2027-03-28T01:30:00Z"));
	assert_int_equal(occ[1], utc("2027-04-25T00:30:00Z"));
	assert_int_equal(ical_next_occurrences(BERLIN, "2000-01-01 00:00", r,
	    utc("2027-10-30T00:00:00Z"), 2, occ, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(occ[0], utc("2027-10-31T00:30:00Z"));
	assert_int_equal(occ[1], utc("2027-11-28T01:30:00Z"));
	/* The months around them. */
	check_month(r, BERLIN, 2027, 4, "2027-04-25T00:30:00Z");
	check_month(r, BERLIN, 2027, 11, "2027-11-28T01:30:00Z");
}

/*
 * Daily at 02:30 through both changes: every local day exactly once.
 * March: 01:30Z (CET) up to the 27th, 01:30Z again on the 28th (the gap
 * time moved to 03:30 CEST), then 00:30Z (CEST). October: 00:30Z up to
 * the 31st (its earlier 02:30), then 01:30Z (CET).
 */
static void
test_daily_across_dst(void **state)
{
	static const char *const march[] = { "2027-03-26T01:30:00Z",
	    "2027-03-27T01:30:00Z", "2027-03-28T01:30:00Z",
	    "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z" };
	static const char *const october[] = { "2027-10-29T00:30:00Z",
	    "2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z",
	    "2027-11-01T01:30:00Z", "2027-11-02T01:30:00Z" };
	static const struct {
		const char *after, *const *want;
		int first_day;
	} runs[] = {
		{ "2027-03-25T12:00:00Z", march, 26 },
		{ "2027-10-28T12:00:00Z", october, 29 },
	};
	const char *r = "FREQ=DAILY;BYHOUR=2;BYMINUTE=30";
	time_t occ[5];
	size_t n, i, k;
	char l[80], want[80];
	struct tm d;

	(void)state;
	/* The month's first occurrence is plainly the 1st. */
	check_month(r, BERLIN, 2027, 3, "2027-03-01T01:30:00Z");
	check_month(r, BERLIN, 2027, 4, "2027-04-01T00:30:00Z");
	check_month(r, BERLIN, 2027, 11, "2027-11-01T01:30:00Z");
	for (k = 0; k < 2; k++) {
		assert_int_equal(ical_next_occurrences(BERLIN,
		    "2027-01-01 00:00", r, utc(runs[k].after), 5, occ, &n), 0);
		assert_int_equal(n, 5);
		for (i = 0; i < n; i++) {
			assert_int_equal(occ[i], utc(runs[k].want[i]));
			/* Local days follow each other, none skipped. */
			memset(&d, 0, sizeof(d));
			d.tm_year = 2027 - 1900;
			d.tm_mon = k == 0 ? 2 : 9;
			d.tm_mday = runs[k].first_day + (int)i;
			d.tm_hour = 12;
			{
				time_t x = timegm(&d);
				gmtime_r(&x, &d);
			}
			local_text(BERLIN, occ[i], l, sizeof(l));
			/* the gap day's reads 03:30, its nominal 02:30 */
			snprintf(want, sizeof(want), "%04d-%02d-%02d %s",
			    d.tm_year + 1900, d.tm_mon + 1, d.tm_mday,
			    k == 0 && i == 2 ? "03:30" : "02:30");
			assert_string_equal(l, want);
			if (i > 0)
				assert_true(occ[i] > occ[i - 1]);
		}
	}
}

/*
 * INTERVAL=2 from the fixed anchor 2000-01: January, March, May, ...
 * (12 is even, so every year the odd months), the others none. Also far
 * from 2000 and with INTERVAL=3 (January, April, July, October).
 */
static void
test_interval(void **state)
{
	const char *r2 = "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15;BYHOUR=9";
	const char *r3 = "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15;BYHOUR=9";

	(void)state;
	check_month(r2, BERLIN, 2026, 11, "2026-11-15T08:00:00Z");
	check_month(r2, BERLIN, 2026, 12, NULL);
	check_month(r2, BERLIN, 2027, 1, "2027-01-15T08:00:00Z");
	check_month(r2, BERLIN, 2027, 2, NULL);
	check_month(r2, BERLIN, 2027, 3, "2027-03-15T08:00:00Z");
	check_month(r2, BERLIN, 2027, 4, NULL);
	check_month(r2, BERLIN, 2029, 1, "2029-01-15T08:00:00Z");
	check_month(r2, BERLIN, 2029, 2, NULL);
	check_month(r2, BERLIN, 2060, 7, "2060-07-15T07:00:00Z");
	check_month(r2, BERLIN, 2060, 8, NULL);
	check_month(r3, BERLIN, 2029, 4, "2029-04-15T07:00:00Z");
	check_month(r3, BERLIN, 2029, 5, NULL);
	check_month(r3, BERLIN, 2029, 6, NULL);
	check_month(r3, BERLIN, 2029, 7, "2029-07-15T07:00:00Z");
	/* Rules whose gaps come from the anchor's day: WEEKLY without BYDAY
	 * is the anchor's Saturday (2030-06-01 is one), YEARLY without
	 * BYMONTH its 1 January. */
	check_month("FREQ=WEEKLY", BERLIN, 2030, 6, "2030-05-31T22:00:00Z");
	check_month("FREQ=YEARLY", BERLIN, 2030, 1, "2029-12-31T23:00:00Z");
	check_month("FREQ=YEARLY", BERLIN, 2030, 2, NULL);
	/* COUNT counts from the anchor: 300 months from 2000-01 are
	 * 2000-01..2024-12 (00:00 on the 1st, 23:00Z the day before). */
	check_month("FREQ=MONTHLY;COUNT=300;BYMONTHDAY=1", BERLIN, 2024, 12,
	    "2024-11-30T23:00:00Z");
	check_month("FREQ=MONTHLY;COUNT=300;BYMONTHDAY=1", BERLIN, 2025, 1,
	    NULL);
	check_month("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=1", BERLIN, 2027, 1,
	    NULL);
}

/*
 * schedule_month_due() for year-month must agree with expanding rrule
 * from 2000-01-01 00:00 directly.
 */
static void
check_same_as_from_2000(const char *rrule, int y, int mo)
{
	time_t from, to, ref, due;
	char first[48], next[48];
	size_t n;
	int r;

	snprintf(first, sizeof(first), "%04d-%02d-01", y, mo);
	snprintf(next, sizeof(next), "%04d-%02d-01", mo == 12 ? y + 1 : y,
	    mo == 12 ? 1 : mo + 1);
	assert_int_equal(ical_local_to_utc(BERLIN, first, &from), 0);
	assert_int_equal(ical_local_to_utc(BERLIN, next, &to), 0);
	assert_int_equal(ical_next_occurrences(BERLIN, "2000-01-01 00:00",
	    rrule, from - 1, 1, &ref, &n), 0);
	r = schedule_month_due(rrule, BERLIN, y, mo, &due);
	if (n == 0 || ref >= to) {
		if (r != 1)
			fail_msg("%s %d-%02d: want none, got %d", rrule, y, mo,
			    r);
	} else if (r != 0 || due != ref)
		fail_msg("%s %d-%02d: want %lld, got %d %lld", rrule, y, mo,
		    (long long)ref, r, (long long)due);
}

/*
 * The anchor may move forward to a later 1 January to save work; it must
 * not change a single answer. Months include Januaries (just after a
 * possible anchor) and years far from 2000. Hourly rules are checked in
 * the years after 2000 only: the reference walk from 2000 takes libical
 * ~10 us an hour, too slow under valgrind for 2030.
 */
static void
test_anchor_equivalence(void **state)
{
	static const char *const rules[] = {
		FIRST_MONDAY,
		"FREQ=DAILY;INTERVAL=2;BYHOUR=7",
		"FREQ=DAILY;INTERVAL=3;BYHOUR=7",
		"FREQ=DAILY;INTERVAL=7",
		"FREQ=DAILY;INTERVAL=10;UNTIL=20290101T000000Z",
		"FREQ=WEEKLY",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=18",
		"FREQ=WEEKLY;INTERVAL=3",
		"FREQ=WEEKLY;INTERVAL=4;WKST=SU;BYDAY=SU,MO",
		"FREQ=MONTHLY;INTERVAL=5",
		"FREQ=MONTHLY;INTERVAL=5;BYDAY=2TH",
		"FREQ=MONTHLY;INTERVAL=7;BYMONTHDAY=-1",
		"freq=monthly;interval=4;byday=1fr",
		"FREQ=YEARLY;INTERVAL=2;BYMONTH=3,9;BYDAY=-1SU",
		"FREQ=YEARLY;INTERVAL=3;BYMONTH=1,6",
		"FREQ=YEARLY;INTERVAL=4",
		"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
		"FREQ=WEEKLY;COUNT=1500;BYDAY=MO",
	};
	/* Each in a month where the anchor can move (2001, 2002, 2005). */
	static const struct {
		const char *rrule;
		int y, mo;
	} hourly[] = {
		{ "FREQ=HOURLY;INTERVAL=2;BYHOUR=9", 2003, 1 },
		{ "FREQ=HOURLY;INTERVAL=7;BYHOUR=3,13", 2006, 1 },
		{ "FREQ=HOURLY;INTERVAL=9;BYMINUTE=30", 2003, 2 },
		{ "FREQ=HOURLY;INTERVAL=16", 2002, 6 },
	};
	static const int months[][2] = { { 2001, 1 }, { 2003, 10 },
	    { 2006, 3 }, { 2026, 1 }, { 2027, 1 }, { 2027, 11 }, { 2028, 2 },
	    { 2029, 1 }, { 2030, 6 } };
	size_t i, m;

	(void)state;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		for (m = 0; m < sizeof(months) / sizeof(months[0]); m++)
			check_same_as_from_2000(rules[i], months[m][0],
			    months[m][1]);
	for (i = 0; i < sizeof(hourly) / sizeof(hourly[0]); i++)
		check_same_as_from_2000(hourly[i].rrule, hourly[i].y,
		    hourly[i].mo);
}

static void
test_invalid(void **state)
{
	time_t due = 777;

	(void)state;
	assert_int_equal(schedule_month_due("FREQ=MONTHLY;BYDAY=XX", BERLIN,
	    2027, 1, &due), -1);
	assert_int_equal(schedule_month_due("BYDAY=1MO", BERLIN, 2027, 1,
	    &due), -1);
	assert_int_equal(schedule_month_due("RRULE:FREQ=MONTHLY", BERLIN, 2027,
	    1, &due), -1);
	assert_int_equal(schedule_month_due("FREQ=MINUTELY", BERLIN, 2027, 1,
	    &due), -1);
	assert_int_equal(schedule_month_due("", BERLIN, 2027, 1, &due), -1);
	assert_int_equal(schedule_month_due(NULL, BERLIN, 2027, 1, &due), -1);
	assert_int_equal(schedule_month_due(FIRST_MONDAY, "Mars/Olympus_Mons",
	    2027, 1, &due), -1);
	assert_int_equal(schedule_month_due(FIRST_MONDAY, "../etc/passwd",
	    2027, 1, &due), -1);
	assert_int_equal(schedule_month_due(FIRST_MONDAY, NULL, 2027, 1,
	    &due), -1);
	assert_int_equal(schedule_month_due(FIRST_MONDAY, BERLIN, 2027, 0,
	    &due), -1);
	assert_int_equal(schedule_month_due(FIRST_MONDAY, BERLIN, 2027, 13,
	    &due), -1);
	assert_int_equal(due, 777);
}

/* ---- schedule_before --------------------------------------------------- */

static void
test_before(void **state)
{
	(void)state;
	/* 7d before 2027-04-02 10:00 CEST (08:00Z) is 2027-03-26 10:00 CET
	 * (09:00Z): 6 days 23 hours elapsed. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-04-02T08:00:00Z"),
	    7 * DAY), utc("2027-03-26T09:00:00Z"));
	/* 1d before 2027-10-31 10:00 CET (09:00Z) is 2027-10-30 10:00 CEST
	 * (08:00Z): 25 hours. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-10-31T09:00:00Z"),
	    DAY), utc("2027-10-30T08:00:00Z"));
	/* 1d before 2027-03-28 10:00 CEST (08:00Z): 2027-03-27 10:00 CET
	 * (09:00Z), 23 hours. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-03-28T08:00:00Z"),
	    DAY), utc("2027-03-27T09:00:00Z"));
	/* Hours are elapsed time: 2h before 04:00 CEST on the change day
	 * is 01:00 CET (00:00Z), three wall-clock hours. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-03-28T02:00:00Z"),
	    7200), utc("2027-03-28T00:00:00Z"));
	/* 129600 s = 1 calendar day, then 12 h: 2027-03-28 10:00 CEST ->
	 * 2027-03-27 10:00 CET (09:00Z) -> 21:00Z. (Elapsed: 20:00Z.) */
	assert_int_equal(schedule_before(BERLIN, utc("2027-03-28T08:00:00Z"),
	    129600), utc("2027-03-26T21:00:00Z"));
	/* 7d before 2027-04-04 02:30 CEST (00:30Z) is 2027-03-28 02:30,
	 * which does not exist: forward by the gap, 03:30 CEST = 01:30Z. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-04-04T00:30:00Z"),
	    7 * DAY), utc("2027-03-28T01:30:00Z"));
	/* 7d before 2027-11-07 02:30 CET (01:30Z) is 2027-10-31 02:30,
	 * twice: the earlier, 02:30 CEST = 00:30Z. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-11-07T01:30:00Z"),
	    7 * DAY), utc("2027-10-31T00:30:00Z"));
	/* Seconds of t are kept. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-04-02T08:00:17Z"),
	    7 * DAY), utc("2027-03-26T09:00:17Z"));
	/* Across a month and a year end. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-01-02T17:00:00Z"),
	    7 * DAY), utc("2026-12-26T17:00:00Z"));
	/* UTC: days are 86,400 s. */
	assert_int_equal(schedule_before("UTC", utc("2027-04-02T08:00:00Z"),
	    7 * DAY), utc("2027-03-26T08:00:00Z"));
	assert_int_equal(schedule_before("UTC", utc("2027-04-02T08:00:00Z"),
	    129600), utc("2027-03-31T20:00:00Z"));
	/* Nothing before. */
	assert_int_equal(schedule_before(BERLIN, utc("2027-04-02T08:00:00Z"),
	    0), utc("2027-04-02T08:00:00Z"));
	/* An unknown zone: plain elapsed time. */
	assert_int_equal(schedule_before("Nowhere/City",
	    utc("2027-04-02T08:00:00Z"), 7 * DAY),
	    utc("2027-03-26T08:00:00Z"));
}

/* ---- reminders of a recurring event ------------------------------------ */

/*
 * Wednesdays 18:00 in Berlin from 2027-03-03: 17:00Z up to the 24th,
 * 16:00Z from the 31st (after 2027-03-28). Reminders 7d and 1d before
 * stay at 18:00 local; 2h before is always 16:00 local.
 */
static void
test_recurring_reminders(void **state)
{
	static const char *const want[] = { "2027-03-03T17:00:00Z",
	    "2027-03-10T17:00:00Z", "2027-03-17T17:00:00Z",
	    "2027-03-24T17:00:00Z", "2027-03-31T16:00:00Z",
	    "2027-04-07T16:00:00Z" };
	static const struct {
		long offset;
		int days;
		const char *hm;
	} offs[] = { { 7 * DAY, 7, "18:00" }, { DAY, 1, "18:00" },
	    { 7200, 0, "16:00" } };
	time_t occ[6], r;
	size_t n, i, k;
	char l[80], w[80];
	struct tm d;

	(void)state;
	assert_int_equal(ical_next_occurrences(BERLIN, "2027-03-03 18:00",
	    "FREQ=WEEKLY;BYDAY=WE", utc("2027-03-01T00:00:00Z"), 6, occ, &n),
	    0);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_int_equal(occ[i], utc(want[i]));
		for (k = 0; k < 3; k++) {
			r = schedule_before(BERLIN, occ[i], offs[k].offset);
			memset(&d, 0, sizeof(d));
			d.tm_year = 2027 - 1900;
			d.tm_mon = 2;
			d.tm_mday = 3 + 7 * (int)i - offs[k].days;
			d.tm_hour = 12;
			{
				time_t x = timegm(&d);
				gmtime_r(&x, &d);
			}
			snprintf(w, sizeof(w), "%04d-%02d-%02d %s",
			    d.tm_year + 1900, d.tm_mon + 1, d.tm_mday,
			    offs[k].hm);
			local_text(BERLIN, r, l, sizeof(l));
			assert_string_equal(l, w);
		}
	}
	/* Over the change: 7d before Mar 31 18:00 CEST is Mar 24 18:00 CET,
	 * 17:00Z, not 16:00Z; 2h before is 14:00Z. */
	assert_int_equal(schedule_before(BERLIN, occ[4], 7 * DAY),
	    utc("2027-03-24T17:00:00Z"));
	assert_int_equal(schedule_before(BERLIN, occ[4], 7200),
	    utc("2027-03-31T14:00:00Z"));
}

/* ---- schedule_occurrence_id -------------------------------------------- */

static struct event
mkevent(const char *start, int all_day, const char *rrule)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.uid = (char *)"e1@example.org";
	ev.tzid = (char *)BERLIN;
	ev.start_local = (char *)start;
	ev.all_day = all_day;
	ev.rrule = (char *)rrule;
	return ev;
}

static void
test_occurrence_id(void **state)
{
	struct event ev;
	char buf[32];
	time_t occ[2];
	size_t n;

	(void)state;
	/* One-off. */
	ev = mkevent("2027-03-10 18:00", 0, NULL);
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-10T17:00:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "single");
	assert_int_equal(schedule_occurrence_id(&ev, 0, buf, 7), 0);
	assert_int_equal(schedule_occurrence_id(&ev, 0, buf, 6), -1);

	/* Weekly, timed: 2027-03-10 18:00 CET = 17:00Z. */
	ev = mkevent("2027-03-03 18:00", 0, "FREQ=WEEKLY;BYDAY=WE");
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-10T17:00:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20270310T180000");
	/* After the change the local hour stays: 18:00 CEST = 16:00Z. */
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-31T16:00:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20270331T180000");
	/* Exactly fits, one short. */
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-10T17:00:00Z"), buf, 16), 0);
	assert_string_equal(buf, "20270310T180000");
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-10T17:00:00Z"), buf, 15), -1);

	/* All-day: the occurrence starts at local midnight, 2027-03-10
	 * 00:00 CET = 2027-03-09T23:00Z -- the 10th, not the UTC 9th. */
	ev = mkevent("2027-03-03", 1, "FREQ=WEEKLY;BYDAY=WE");
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-09T23:00:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20270310");
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-30T22:00:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20270331");

	/* Sundays 02:30: on 2027-03-28 that wall time does not exist and the
	 * occurrence is at 03:30 CEST (01:30Z); its RECURRENCE-ID is still
	 * the rule's 02:30. */
	ev = mkevent("2027-03-21 02:30", 0, "FREQ=WEEKLY;BYDAY=SU");
	assert_int_equal(ical_next_occurrences(BERLIN, ev.start_local,
	    ev.rrule, utc("2027-03-22T00:00:00Z"), 2, occ, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(occ[0], utc("2027-03-28T01:30:00Z"));
	assert_int_equal(schedule_occurrence_id(&ev, occ[0], buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "20270328T023000");
	assert_int_equal(schedule_occurrence_id(&ev, occ[1], buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "20270404T023000");
	/* The autumn one is the earlier 02:30 (CEST, 00:30Z). */
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-10-31T00:30:00Z"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20271031T023000");

	/* An unknown zone. */
	ev = mkevent("2027-03-03 18:00", 0, "FREQ=WEEKLY;BYDAY=WE");
	ev.tzid = (char *)"Nowhere/City";
	assert_int_equal(schedule_occurrence_id(&ev,
	    utc("2027-03-10T17:00:00Z"), buf, sizeof(buf)), -1);
}

/* ---- small ones -------------------------------------------------------- */

static void
test_in_grace(void **state)
{
	time_t due = utc("2027-02-01T08:00:00Z");

	(void)state;
	assert_int_equal(schedule_in_grace(due, due, 3600), 1);
	assert_int_equal(schedule_in_grace(due, due + 1800, 3600), 1);
	assert_int_equal(schedule_in_grace(due, due + 3600, 3600), 1);
	assert_int_equal(schedule_in_grace(due, due + 3601, 3600), 0);
	assert_int_equal(schedule_in_grace(due, due - 1, 3600), 0);
	assert_int_equal(schedule_in_grace(due, due - 3600, 3600), 0);
	assert_int_equal(schedule_in_grace(due, due, 0), 1);
	assert_int_equal(schedule_in_grace(due, due + 1, 0), 0);
	assert_int_equal(schedule_in_grace(due, due + 3 * DAY, 3 * DAY), 1);
	assert_int_equal(schedule_in_grace(due, due + 3 * DAY + 1, 3 * DAY),
	    0);
}

static void
test_offset_name(void **state)
{
	static const struct {
		long offset;
		const char *want;
	} rows[] = {
		{ 7 * DAY, "7d" }, { DAY, "1d" }, { 30 * DAY, "30d" },
		{ 7200, "2h" }, { 3600, "1h" }, { 129600, "36h" },
		{ 5400, "90m" }, { 60, "1m" }, { 45, "45s" }, { 90061, "90061s" },
		{ 0, "0s" }, { 86340, "1439m" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		schedule_offset_name(rows[i].offset, buf, sizeof(buf));
		assert_string_equal(buf, rows[i].want);
	}
	/* A short buffer is cut, still terminated. */
	schedule_offset_name(5400, buf, 3);
	assert_string_equal(buf, "90");
}

static int
teardown_all(void **state)
{
	(void)state;
	ical_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_monday),
		cmocka_unit_test(test_month_ends),
		cmocka_unit_test(test_bysetpos),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_daily_across_dst),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_anchor_equivalence),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_before),
		cmocka_unit_test(test_recurring_reminders),
		cmocka_unit_test(test_occurrence_id),
		cmocka_unit_test(test_in_grace),
		cmocka_unit_test(test_offset_name),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
