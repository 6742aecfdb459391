/*
 * fuzz_datefmt_parse: the input is a local date or date-time as typed by
 * a coordinator ("2026-12-03 18:00") for datefmt_parse_local().
 *
 * The result is compared with an independent reading of the documented
 * grammar: "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" ('T' for the space), nothing
 * before or after, year 0001..9999, a day that exists in the proleptic
 * Gregorian calendar, hour 00..23, minute 00..59. On success the fields,
 * the weekday and the day of the year (checked against timegm()) must
 * match, a failure must leave *out and *has_time alone, and the parsed
 * time must format in both languages.
 *
 * An input "A|B" is also read as a range: A and B are parsed on their
 * own and, when both parse, datefmt_range() must refuse B before A and
 * accept the rest, timed and all day, in both languages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datefmt.h"
#include "util.h"

#include "fuzz_common.h"

struct want {
	int	 ok, y, m, d, hh, mm, timed;
};

static int
num(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static void
expect(const char *s, struct want *w)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	size_t n = strlen(s);
	int leap, dim;

	memset(w, 0, sizeof(*w));
	if (n != 10 && n != 16)
		return;
	if (!num(s, 4, &w->y) || s[4] != '-' || !num(s + 5, 2, &w->m) ||
	    s[7] != '-' || !num(s + 8, 2, &w->d))
		return;
	if (n == 16) {
		if ((s[10] != ' ' && s[10] != 'T') || !num(s + 11, 2, &w->hh) ||
		    s[13] != ':' || !num(s + 14, 2, &w->mm))
			return;
		w->timed = 1;
	}
	if (w->y < 1 || w->m < 1 || w->m > 12 || w->hh > 23 || w->mm > 59)
		return;
	leap = w->y % 4 == 0 && (w->y % 100 != 0 || w->y % 400 == 0);
	dim = mdays[w->m - 1] + (w->m == 2 && leap);
	w->ok = w->d >= 1 && w->d <= dim;
}

static void
check_formats(const struct tm *t)
{
	static const char *const langs[] = { "de", "en" };
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < 2; i++) {
		FUZZ_CHECK(datefmt_date(langs[i], t, &b) == 0);
		FUZZ_CHECK(datefmt_time(langs[i], t, &b) == 0);
		FUZZ_CHECK(datefmt_datetime(langs[i], t, &b) == 0);
		FUZZ_CHECK(datefmt_month(langs[i], t->tm_year + 1900,
		    t->tm_mon + 1, &b) == 0);
	}
	FUZZ_CHECK(utf8_valid(b.data, b.len));
	buf_free(&b);
}

/* Parses s and checks the outcome; 1 and *out when it parsed. */
static int
parse_one(const char *s, struct tm *out)
{
	struct tm t, g;
	struct want w;
	time_t secs;
	int has_time = 42, rc;

	memset(&t, 0x5a, sizeof(t));
	rc = datefmt_parse_local(s, &t, &has_time);
	expect(s, &w);
	FUZZ_CHECK(rc == (w.ok ? 0 : -1));
	if (rc != 0) {
		struct tm untouched;

		memset(&untouched, 0x5a, sizeof(untouched));
		FUZZ_CHECK(memcmp(&t, &untouched, sizeof(t)) == 0);
		FUZZ_CHECK(has_time == 42);
		return 0;
	}
	FUZZ_CHECK(has_time == w.timed);
	FUZZ_CHECK(t.tm_year == w.y - 1900 && t.tm_mon == w.m - 1 &&
	    t.tm_mday == w.d && t.tm_hour == w.hh && t.tm_min == w.mm &&
	    t.tm_sec == 0 && t.tm_isdst == -1);
	memset(&g, 0, sizeof(g));
	g.tm_year = t.tm_year;
	g.tm_mon = t.tm_mon;
	g.tm_mday = t.tm_mday;
	secs = timegm(&g);
	FUZZ_CHECK(gmtime_r(&secs, &g) != NULL);
	FUZZ_CHECK(t.tm_wday == g.tm_wday && t.tm_yday == g.tm_yday);
	/* a NULL has_time is allowed */
	FUZZ_CHECK(datefmt_parse_local(s, &g, NULL) == 0);
	check_formats(&t);
	*out = t;
	return 1;
}

static long
key(const struct tm *t, int with_time)
{
	long k = ((long)(t->tm_year + 1900) * 12 + t->tm_mon) * 31 + t->tm_mday;

	return with_time ? k * 1440 + t->tm_hour * 60 + t->tm_min : k;
}

static void
check_range(const struct tm *a, const struct tm *b)
{
	static const char *const langs[] = { "de", "en" };
	struct buf out;
	size_t i;
	int all_day, rc;

	buf_init(&out);
	for (i = 0; i < 2; i++)
		for (all_day = 0; all_day < 2; all_day++) {
			rc = datefmt_range(langs[i], a, b, all_day, &out);
			FUZZ_CHECK(rc == (key(b, !all_day) < key(a, !all_day) ?
			    -1 : 0));
			FUZZ_CHECK(datefmt_range(langs[i], a, NULL, all_day,
			    &out) == 0);
		}
	FUZZ_CHECK(utf8_valid(out.data, out.len));
	buf_free(&out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size), *bar;
	struct tm a, b;

	parse_one(s, &a);
	if ((bar = strchr(s, '|')) != NULL) {
		*bar = '\0';
		if (parse_one(s, &a) & parse_one(bar + 1, &b))
			check_range(&a, &b);
	}
	free(s);
	return 0;
}
