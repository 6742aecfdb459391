/* Unit tests for datefmt: German and English dates, times and ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "datefmt.h"
#include "util.h"

#define NDASH "\xe2\x80\x93"

/* A struct tm with a deliberately wrong tm_wday, so the tests prove the
 * weekday is computed rather than read. */
static struct tm
mk(int y, int mo, int d, int h, int mi)
{
	struct tm t;

	memset(&t, 0, sizeof(t));
	t.tm_year = y - 1900;
	t.tm_mon = mo - 1;
	t.tm_mday = d;
	t.tm_hour = h;
	t.tm_min = mi;
	t.tm_wday = 6;
	t.tm_yday = 300;
	return t;
}

enum kind { DATE, TIME, DATETIME };

static void
check1(const char *lang, enum kind k, struct tm t, const char *want)
{
	struct buf b;
	int r;

	buf_init(&b);
	if (k == DATE)
		r = datefmt_date(lang, &t, &b);
	else if (k == TIME)
		r = datefmt_time(lang, &t, &b);
	else
		r = datefmt_datetime(lang, &t, &b);
	assert_int_equal(r, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
check_range(const char *lang, struct tm a, struct tm e, int all_day,
    const char *want)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(datefmt_range(lang, &a, &e, all_day, &b), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
test_datetime(void **state)
{
	(void)state;
	check1("de", DATETIME, mk(2026, 12, 3, 18, 0),
	    "Donnerstag, 3. Dezember 2026, 18:00 Uhr");
	check1("en", DATETIME, mk(2026, 12, 3, 18, 0),
	    "Thursday, 3 December 2026, 6:00 pm");
	check1("de", DATETIME, mk(2026, 3, 9, 9, 5),
	    "Montag, 9. M\xc3\xa4rz 2026, 9:05 Uhr");
	check1("en", DATETIME, mk(2026, 3, 9, 9, 5),
	    "Monday, 9 March 2026, 9:05 am");
}

static void
test_date(void **state)
{
	(void)state;
	check1("de", DATE, mk(2026, 12, 15, 0, 0), "Dienstag, 15. Dezember 2026");
	check1("en", DATE, mk(2026, 12, 15, 0, 0), "Tuesday, 15 December 2026");
	/* a date alone ignores nonsense in the time fields */
	check1("en", DATE, mk(2026, 12, 15, 99, -3), "Tuesday, 15 December 2026");
}

static void
test_weekdays(void **state)
{
	(void)state;
	check1("en", DATE, mk(2026, 10, 25, 0, 0), "Sunday, 25 October 2026");
	check1("en", DATE, mk(2027, 3, 28, 0, 0), "Sunday, 28 March 2027");
	check1("en", DATE, mk(2026, 12, 3, 0, 0), "Thursday, 3 December 2026");
	check1("de", DATE, mk(2028, 2, 29, 0, 0), "Dienstag, 29. Februar 2028");
	check1("en", DATE, mk(2028, 2, 29, 0, 0), "Tuesday, 29 February 2028");
	check1("en", DATE, mk(2000, 2, 29, 0, 0), "Tuesday, 29 February 2000");
	check1("en", DATE, mk(1970, 1, 1, 0, 0), "Thursday, 1 January 1970");
	check1("en", DATE, mk(1969, 12, 31, 0, 0), "Wednesday, 31 December 1969");
	check1("en", DATE, mk(1, 1, 1, 0, 0), "Monday, 1 January 1");
	check1("en", DATE, mk(9999, 12, 31, 0, 0), "Friday, 31 December 9999");
	check1("de", DATE, mk(2027, 1, 1, 0, 0), "Freitag, 1. Januar 2027");
	check1("de", DATE, mk(2026, 5, 2, 0, 0), "Samstag, 2. Mai 2026");
	check1("de", DATE, mk(2026, 6, 1, 0, 0), "Montag, 1. Juni 2026");
	check1("de", DATE, mk(2026, 7, 1, 0, 0), "Mittwoch, 1. Juli 2026");
}

static void
test_noon_midnight(void **state)
{
	(void)state;
	check1("en", TIME, mk(2026, 12, 3, 12, 0), "12:00 pm");
	check1("en", TIME, mk(2026, 12, 3, 0, 0), "12:00 am");
	check1("en", TIME, mk(2026, 12, 3, 0, 30), "12:30 am");
	check1("en", TIME, mk(2026, 12, 3, 11, 59), "11:59 am");
	check1("en", TIME, mk(2026, 12, 3, 12, 1), "12:01 pm");
	check1("en", TIME, mk(2026, 12, 3, 23, 59), "11:59 pm");
	check1("en", TIME, mk(2026, 12, 3, 13, 0), "1:00 pm");
	check1("de", TIME, mk(2026, 12, 3, 0, 0), "0:00 Uhr");
	check1("de", TIME, mk(2026, 12, 3, 12, 0), "12:00 Uhr");
	check1("de", TIME, mk(2026, 12, 3, 23, 59), "23:59 Uhr");
}

static void
test_range_same_day(void **state)
{
	(void)state;
	check_range("de", mk(2026, 12, 3, 18, 0), mk(2026, 12, 3, 20, 0), 0,
	    "Donnerstag, 3. Dezember 2026, 18:00" NDASH "20:00 Uhr");
	check_range("en", mk(2026, 12, 3, 18, 0), mk(2026, 12, 3, 20, 0), 0,
	    "Thursday, 3 December 2026, 6:00" NDASH "8:00 pm");
	check_range("en", mk(2026, 12, 3, 11, 0), mk(2026, 12, 3, 13, 0), 0,
	    "Thursday, 3 December 2026, 11:00 am " NDASH " 1:00 pm");
	check_range("en", mk(2026, 12, 3, 9, 0), mk(2026, 12, 3, 11, 30), 0,
	    "Thursday, 3 December 2026, 9:00" NDASH "11:30 am");
	check_range("en", mk(2026, 12, 3, 0, 0), mk(2026, 12, 3, 12, 0), 0,
	    "Thursday, 3 December 2026, 12:00 am " NDASH " 12:00 pm");
	/* start == end: a single moment */
	check_range("de", mk(2026, 12, 3, 18, 0), mk(2026, 12, 3, 18, 0), 0,
	    "Donnerstag, 3. Dezember 2026, 18:00 Uhr");
}

static void
test_range_multi_day(void **state)
{
	(void)state;
	check_range("de", mk(2026, 12, 4, 18, 0), mk(2026, 12, 5, 14, 0), 0,
	    "Freitag, 4. Dezember 2026, 18:00 Uhr " NDASH
	    " Samstag, 5. Dezember 2026, 14:00 Uhr");
	check_range("en", mk(2026, 12, 4, 18, 0), mk(2026, 12, 5, 14, 0), 0,
	    "Friday, 4 December 2026, 6:00 pm " NDASH
	    " Saturday, 5 December 2026, 2:00 pm");
	/* New Year's Eve party into the next year */
	check_range("de", mk(2026, 12, 31, 20, 0), mk(2027, 1, 1, 2, 0), 0,
	    "Donnerstag, 31. Dezember 2026, 20:00 Uhr " NDASH
	    " Freitag, 1. Januar 2027, 2:00 Uhr");
	check_range("en", mk(2026, 12, 31, 20, 0), mk(2027, 1, 1, 0, 0), 0,
	    "Thursday, 31 December 2026, 8:00 pm " NDASH
	    " Friday, 1 January 2027, 12:00 am");
}

static void
test_range_all_day(void **state)
{
	(void)state;
	check_range("de", mk(2026, 12, 15, 0, 0), mk(2026, 12, 15, 0, 0), 1,
	    "Dienstag, 15. Dezember 2026");
	check_range("en", mk(2026, 12, 15, 0, 0), mk(2026, 12, 15, 0, 0), 1,
	    "Tuesday, 15 December 2026");
	check_range("de", mk(2026, 12, 4, 0, 0), mk(2026, 12, 6, 0, 0), 1,
	    "4." NDASH "6. Dezember 2026");
	check_range("en", mk(2026, 12, 4, 0, 0), mk(2026, 12, 6, 0, 0), 1,
	    "4" NDASH "6 December 2026");
	check_range("de", mk(2026, 11, 30, 0, 0), mk(2026, 12, 2, 0, 0), 1,
	    "30. November " NDASH " 2. Dezember 2026");
	check_range("en", mk(2026, 11, 30, 0, 0), mk(2026, 12, 2, 0, 0), 1,
	    "30 November " NDASH " 2 December 2026");
	check_range("de", mk(2026, 12, 31, 0, 0), mk(2027, 1, 1, 0, 0), 1,
	    "31. Dezember 2026 " NDASH " 1. Januar 2027");
	check_range("en", mk(2026, 12, 31, 0, 0), mk(2027, 1, 1, 0, 0), 1,
	    "31 December 2026 " NDASH " 1 January 2027");
	/* all-day ignores the time fields, even when start's are later */
	check_range("en", mk(2026, 12, 4, 23, 0), mk(2026, 12, 4, 1, 0), 1,
	    "Friday, 4 December 2026");
}

static void
test_range_null_end(void **state)
{
	struct tm a = mk(2026, 12, 3, 18, 0);
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(datefmt_range("en", &a, NULL, 0, &b), 0);
	assert_string_equal(b.data, "Thursday, 3 December 2026, 6:00 pm");
	buf_reset(&b);
	assert_int_equal(datefmt_range("de", &a, NULL, 1, &b), 0);
	assert_string_equal(b.data, "Donnerstag, 3. Dezember 2026");
	buf_free(&b);
}

static void
test_month(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(datefmt_month("de", 2026, 12, &b), 0);
	assert_string_equal(b.data, "Dezember 2026");
	buf_reset(&b);
	assert_int_equal(datefmt_month("en", 2026, 12, &b), 0);
	assert_string_equal(b.data, "December 2026");
	buf_reset(&b);
	assert_int_equal(datefmt_month("de-DE", 2027, 3, &b), 0);
	assert_string_equal(b.data, "M\xc3\xa4rz 2027");
	buf_reset(&b);
	assert_int_equal(datefmt_month("en", 2027, 1, &b), 0);
	assert_string_equal(b.data, "January 2027");
	buf_reset(&b);
	assert_int_equal(datefmt_month("de", 2026, 0, &b), -1);
	assert_int_equal(datefmt_month("de", 2026, 13, &b), -1);
	assert_int_equal(datefmt_month("de", 0, 1, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_languages(void **state)
{
	struct tm t = mk(2026, 12, 3, 18, 0);
	struct buf b;

	(void)state;
	assert_true(datefmt_supported("de"));
	assert_true(datefmt_supported("en"));
	assert_true(datefmt_supported("DE"));
	assert_true(datefmt_supported("de-AT"));
	assert_true(datefmt_supported("en_GB"));
	assert_false(datefmt_supported("fr"));
	assert_false(datefmt_supported("d"));
	assert_false(datefmt_supported("deu"));
	assert_false(datefmt_supported(""));
	assert_false(datefmt_supported(NULL));

	buf_init(&b);
	buf_puts(&b, "x");
	assert_int_equal(datefmt_date("fr", &t, &b), -1);
	assert_int_equal(datefmt_time("uk", &t, &b), -1);
	assert_int_equal(datefmt_datetime("ar", &t, &b), -1);
	assert_int_equal(datefmt_range("tr", &t, &t, 0, &b), -1);
	assert_int_equal(datefmt_month("fa", 2026, 1, &b), -1);
	assert_string_equal(b.data, "x");
	assert_int_equal(datefmt_datetime("EN-us", &t, &b), 0);
	assert_string_equal(b.data, "xThursday, 3 December 2026, 6:00 pm");
	buf_free(&b);
}

static void
test_invalid_tm(void **state)
{
	struct tm bad_day = mk(2026, 2, 29, 10, 0);
	struct tm bad_mon = mk(2026, 13, 1, 10, 0);
	struct tm bad_hour = mk(2026, 2, 1, 24, 0);
	struct tm bad_min = mk(2026, 2, 1, 10, 60);
	struct tm a = mk(2026, 12, 3, 18, 0);
	struct tm before = mk(2026, 12, 3, 17, 59);
	struct tm day_before = mk(2026, 12, 2, 23, 0);
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(datefmt_date("de", &bad_day, &b), -1);
	assert_int_equal(datefmt_date("de", &bad_mon, &b), -1);
	assert_int_equal(datefmt_time("de", &bad_hour, &b), -1);
	assert_int_equal(datefmt_datetime("en", &bad_min, &b), -1);
	assert_int_equal(datefmt_date("de", NULL, &b), -1);
	/* end before start */
	assert_int_equal(datefmt_range("de", &a, &before, 0, &b), -1);
	assert_int_equal(datefmt_range("de", &a, &day_before, 1, &b), -1);
	assert_int_equal(datefmt_range("de", &a, &bad_day, 1, &b), -1);
	assert_int_equal(b.len, 0);
	/* the time part of bad_hour does not matter for a date */
	assert_int_equal(datefmt_date("de", &bad_hour, &b), 0);
	buf_free(&b);
}

static void
test_parse_valid(void **state)
{
	struct tm t;
	int has_time = -1;

	(void)state;
	assert_int_equal(datefmt_parse_local("2026-12-03 18:30", &t,
	    &has_time), 0);
	assert_int_equal(has_time, 1);
	assert_int_equal(t.tm_year, 126);
	assert_int_equal(t.tm_mon, 11);
	assert_int_equal(t.tm_mday, 3);
	assert_int_equal(t.tm_hour, 18);
	assert_int_equal(t.tm_min, 30);
	assert_int_equal(t.tm_sec, 0);
	assert_int_equal(t.tm_wday, 4);
	assert_int_equal(t.tm_yday, 336);
	assert_int_equal(t.tm_isdst, -1);

	assert_int_equal(datefmt_parse_local("2028-02-29", &t, &has_time), 0);
	assert_int_equal(has_time, 0);
	assert_int_equal(t.tm_mday, 29);
	assert_int_equal(t.tm_hour, 0);
	assert_int_equal(t.tm_wday, 2);
	assert_int_equal(t.tm_yday, 59);

	assert_int_equal(datefmt_parse_local("2026-10-25T00:00", &t, NULL), 0);
	assert_int_equal(t.tm_wday, 0);
	assert_int_equal(datefmt_parse_local("2026-12-31 23:59", &t, NULL), 0);
	assert_int_equal(t.tm_yday, 364);
	assert_int_equal(t.tm_wday, 4);
	assert_int_equal(datefmt_parse_local("2000-02-29", &t, NULL), 0);
}

static void
test_parse_invalid(void **state)
{
	static const char *bad[] = {
		"2026-02-30", "2026-02-29", "2027-02-29 10:00", "2100-02-29",
		"2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-01-32", "0000-01-01", "2026-12-03 24:00",
		"2026-12-03 23:60", "2026-12-03 7:00", "2026-12-03 07:0",
		"2026-12-03 07:00:00", "2026-12-03 ", "2026-12-03  07:00",
		" 2026-12-03", "2026-12-03x", "2026-1-03", "26-12-03",
		"2026/12/03", "20261203", "", "garbage", "2026-12-03 ab:cd",
		"2026-12-03 -1:00", "+026-12-03", "2026-12-0", "2026-12",
		NULL
	};
	struct tm t, orig;
	int has_time = 7;
	size_t i;

	(void)state;
	memset(&orig, 0x5a, sizeof(orig));
	for (i = 0; bad[i] != NULL; i++) {
		t = orig;
		if (datefmt_parse_local(bad[i], &t, &has_time) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(&t, &orig, sizeof(t));
		assert_int_equal(has_time, 7);
	}
	assert_int_equal(datefmt_parse_local(NULL, &t, NULL), -1);
}

/* Every day of 2026-2028 through the parser agrees with the formatter and
 * with the calendar (successive days advance the weekday by one). */
static void
test_parse_roundtrip(void **state)
{
	static const char *en[7] = { "Sunday", "Monday", "Tuesday",
	    "Wednesday", "Thursday", "Friday", "Saturday" };
	struct tm t;
	struct buf b;
	char s[64];
	int y, m, d, prev = -1, n = 0;

	(void)state;
	buf_init(&b);
	for (y = 2026; y <= 2028; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 31; d++) {
				snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
				if (datefmt_parse_local(s, &t, NULL) == -1)
					continue;
				n++;
				if (prev != -1)
					assert_int_equal(t.tm_wday,
					    (prev + 1) % 7);
				prev = t.tm_wday;
				buf_reset(&b);
				assert_int_equal(datefmt_date("en", &t, &b), 0);
				assert_true(strncmp(b.data, en[t.tm_wday],
				    strlen(en[t.tm_wday])) == 0);
			}
	assert_int_equal(n, 365 + 365 + 366);
	buf_free(&b);
}

/* The weekday and day of the year agree with the C library's calendar
 * for every day of 1900-2199. */
static void
test_weekday_vs_libc(void **state)
{
	struct tm t, ref;
	time_t secs;
	char s[64];
	int y, m, d;

	(void)state;
	for (y = 1900; y < 2200; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 31; d++) {
				memset(&ref, 0, sizeof(ref));
				ref.tm_year = y - 1900;
				ref.tm_mon = m - 1;
				ref.tm_mday = d;
				ref.tm_hour = 12;
				secs = timegm(&ref);
				snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
				/* timegm normalises 31 April to 1 May */
				if (ref.tm_mday != d) {
					assert_int_equal(datefmt_parse_local(s,
					    &t, NULL), -1);
					continue;
				}
				assert_true(secs != (time_t)-1);
				assert_int_equal(datefmt_parse_local(s, &t, NULL),
				    0);
				assert_int_equal(t.tm_wday, ref.tm_wday);
				assert_int_equal(t.tm_yday, ref.tm_yday);
			}
}

/* datefmt_rule() refuses a rule it cannot say, and appends nothing
 * (test_icalrule.c has the sentences). */
static void
test_rule_invalid(void **state)
{
	struct datefmt_rule ok, r;
	struct tm t = mk(2026, 12, 8, 24, 0);
	struct buf b;
	int i;

	(void)state;
	memset(&ok, 0, sizeof(ok));
	ok.freq = DATEFMT_MONTHLY;
	ok.interval = 1;
	ok.wdays = 1u << 2;
	ok.nth[0] = 2;
	ok.nnth = 1;
	buf_init(&b);
	assert_int_equal(datefmt_rule("de", &ok, NULL, NULL, &b), 0);
	assert_string_equal(b.data, "jeden 2. Dienstag im Monat");
	buf_reset(&b);
	assert_int_equal(datefmt_rule("fr", &ok, NULL, NULL, &b), -1);
	assert_int_equal(datefmt_rule("de", &ok, &t, NULL, &b), -1);
	for (i = 0; i < 11; i++) {
		r = ok;
		switch (i) {
		case 0: r.interval = 0; break;
		case 1: r.nth[0] = 6; break;
		case 2: r.nth[0] = -6; break;
		case 3: r.nth[0] = 0; break;
		case 4: r.wdays = 0; break;
		case 5: r.mday[0] = 1; r.nmday = 1; break;
		case 6: r.freq = DATEFMT_YEARLY; r.month = 13; break;
		case 7: r.freq = DATEFMT_WEEKLY; break;
		case 8: r.freq = DATEFMT_DAILY; break;
		case 9: r.until_year = 2027; r.until_month = 2;
			r.until_day = 30; break;
		case 10: r.nnth = 0; r.mday[0] = 32; r.nmday = 1; r.wdays = 0;
			break;
		}
		if (datefmt_rule("en", &r, NULL, NULL, &b) != -1)
			fail_msg("case %d: \"%s\"", i, b.data);
	}
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_weekdays),
		cmocka_unit_test(test_noon_midnight),
		cmocka_unit_test(test_range_same_day),
		cmocka_unit_test(test_range_multi_day),
		cmocka_unit_test(test_range_all_day),
		cmocka_unit_test(test_range_null_end),
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_invalid_tm),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_weekday_vs_libc),
		cmocka_unit_test(test_rule_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
