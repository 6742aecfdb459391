/* datefmt: dates and times in German and English, without locales. */
#include <string.h>
#include <time.h>

#include "datefmt.h"
#include "util.h"

#define EN_DASH		"\xe2\x80\x93"	/* U+2013 */

enum lang_id {
	LANG_DE,
	LANG_EN
};

struct lang {
	const char	*code;
	enum lang_id	 id;
	const char	*wday[7];	/* Sunday first, as tm_wday */
	const char	*month[12];
};

static const struct lang langs[] = {
	{ "de", LANG_DE,
	    { "Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag",
	    "Freitag", "Samstag" },
	    { "Januar", "Februar", "M\xc3\xa4rz", "April", "Mai", "Juni",
	    "Juli", "August", "September", "Oktober", "November",
	    "Dezember" } },
	{ "en", LANG_EN,
	    { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
	    "Friday", "Saturday" },
	    { "January", "February", "March", "April", "May", "June",
	    "July", "August", "September", "October", "November",
	    "December" } },
};

/* A validated date (and time): the only fields the formatters use. */
struct ymd {
	int	year;	/* 1..9999 */
	int	month;	/* 1..12 */
	int	day;	/* 1..days_in_month */
	int	hour;
	int	min;
	int	wday;	/* 0 = Sunday */
};

static const struct lang *
lang_find(const char *code)
{
	size_t i;
	char c0, c1;

	if (code == NULL || code[0] == '\0' || code[1] == '\0')
		return NULL;
	if (code[2] != '\0' && code[2] != '-' && code[2] != '_')
		return NULL;
	c0 = (char)(code[0] | 0x20);
	c1 = (char)(code[1] | 0x20);
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (langs[i].code[0] == c0 && langs[i].code[1] == c1)
			return &langs[i];
	return NULL;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (year >= 1). The
 * year is shifted to start in March so the leap day is the last day. */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = y / 400;		/* y >= 0 here, so no rounding issue */
	yoe = y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
weekday(int y, int m, int d)
{
	long days = days_from_civil(y, m, d);

	/* 1970-01-01 was a Thursday (4). */
	return (int)(((days % 7) + 7 + 4) % 7);
}

static int
date_valid(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= days_in_month(y, m);
}

/* Copies the fields of t into *v; -1 if the date (and, when with_time, the
 * time) is out of range. */
static int
ymd_from_tm(const struct tm *t, int with_time, struct ymd *v)
{
	if (t == NULL || t->tm_year < 1 - 1900 || t->tm_year > 9999 - 1900)
		return -1;
	v->year = t->tm_year + 1900;
	v->month = t->tm_mon + 1;
	v->day = t->tm_mday;
	if (t->tm_mon < 0 || t->tm_mon > 11 ||
	    !date_valid(v->year, v->month, v->day))
		return -1;
	v->hour = with_time ? t->tm_hour : 0;
	v->min = with_time ? t->tm_min : 0;
	if (v->hour < 0 || v->hour > 23 || v->min < 0 || v->min > 59)
		return -1;
	v->wday = weekday(v->year, v->month, v->day);
	return 0;
}

static int
same_day(const struct ymd *a, const struct ymd *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day;
}

/* <0, 0, >0 as a is before, equal to, after b. */
static int
ymd_cmp(const struct ymd *a, const struct ymd *b)
{
	long ka, kb;

	ka = (((long)a->year * 13 + a->month) * 32 + a->day) * 1440 +
	    a->hour * 60 + a->min;
	kb = (((long)b->year * 13 + b->month) * 32 + b->day) * 1440 +
	    b->hour * 60 + b->min;
	return (ka > kb) - (ka < kb);
}

/* "3. Dezember" / "3 December", with " 2026" when with_year. */
static void
put_day_month(const struct lang *L, const struct ymd *v, int with_year,
    struct buf *out)
{
	if (L->id == LANG_DE)
		buf_printf(out, "%d. %s", v->day, L->month[v->month - 1]);
	else
		buf_printf(out, "%d %s", v->day, L->month[v->month - 1]);
	if (with_year)
		buf_printf(out, " %d", v->year);
}

/* "Donnerstag, 3. Dezember 2026" / "Thursday, 3 December 2026". */
static void
put_date(const struct lang *L, const struct ymd *v, struct buf *out)
{
	buf_puts(out, L->wday[v->wday]);
	buf_puts(out, ", ");
	put_day_month(L, v, 1, out);
}

/* English hour on the 12-hour clock: 0 -> 12 (am), 13 -> 1 (pm). */
static int
hour12(int h)
{
	return h % 12 == 0 ? 12 : h % 12;
}

/* The clock time without its suffix: "18:00" / "6:00". */
static void
put_clock(const struct lang *L, const struct ymd *v, struct buf *out)
{
	if (L->id == LANG_DE)
		buf_printf(out, "%d:%02d", v->hour, v->min);
	else
		buf_printf(out, "%d:%02d", hour12(v->hour), v->min);
}

static const char *
suffix(const struct lang *L, const struct ymd *v)
{
	if (L->id == LANG_DE)
		return " Uhr";
	return v->hour < 12 ? " am" : " pm";
}

/* "18:00 Uhr" / "6:00 pm". */
static void
put_time(const struct lang *L, const struct ymd *v, struct buf *out)
{
	put_clock(L, v, out);
	buf_puts(out, suffix(L, v));
}

static void
put_datetime(const struct lang *L, const struct ymd *v, struct buf *out)
{
	put_date(L, v, out);
	buf_puts(out, ", ");
	put_time(L, v, out);
}

int
datefmt_supported(const char *lang)
{
	return lang_find(lang) != NULL;
}

int
datefmt_date(const char *lang, const struct tm *t, struct buf *out)
{
	const struct lang *L = lang_find(lang);
	struct ymd v;

	if (L == NULL || ymd_from_tm(t, 0, &v) == -1)
		return -1;
	put_date(L, &v, out);
	return 0;
}

int
datefmt_time(const char *lang, const struct tm *t, struct buf *out)
{
	const struct lang *L = lang_find(lang);
	struct ymd v;

	if (L == NULL || ymd_from_tm(t, 1, &v) == -1)
		return -1;
	put_time(L, &v, out);
	return 0;
}

int
datefmt_datetime(const char *lang, const struct tm *t, struct buf *out)
{
	const struct lang *L = lang_find(lang);
	struct ymd v;

	if (L == NULL || ymd_from_tm(t, 1, &v) == -1)
		return -1;
	put_datetime(L, &v, out);
	return 0;
}

static void
put_day_range(const struct lang *L, const struct ymd *a, const struct ymd *b,
    struct buf *out)
{
	if (same_day(a, b)) {
		put_date(L, a, out);
	} else if (a->year == b->year && a->month == b->month) {
		/* "4.–6. Dezember 2026" / "4–6 December 2026" */
		buf_printf(out, L->id == LANG_DE ? "%d." : "%d", a->day);
		buf_puts(out, EN_DASH);
		put_day_month(L, b, 1, out);
	} else {
		put_day_month(L, a, a->year != b->year, out);
		buf_puts(out, " " EN_DASH " ");
		put_day_month(L, b, 1, out);
	}
}

static void
put_time_range(const struct lang *L, const struct ymd *a, const struct ymd *b,
    struct buf *out)
{
	if (ymd_cmp(a, b) == 0) {
		put_datetime(L, a, out);
	} else if (same_day(a, b)) {
		put_date(L, a, out);
		buf_puts(out, ", ");
		put_clock(L, a, out);
		/* One suffix when both share it ("18:00–20:00 Uhr",
		 * "6:00–8:00 pm"), else "11:00 am – 1:00 pm". */
		if (strcmp(suffix(L, a), suffix(L, b)) == 0)
			buf_puts(out, EN_DASH);
		else {
			buf_puts(out, suffix(L, a));
			buf_puts(out, " " EN_DASH " ");
		}
		put_time(L, b, out);
	} else {
		put_datetime(L, a, out);
		buf_puts(out, " " EN_DASH " ");
		put_datetime(L, b, out);
	}
}

int
datefmt_range(const char *lang, const struct tm *start, const struct tm *end,
    int all_day, struct buf *out)
{
	const struct lang *L = lang_find(lang);
	struct ymd a, b;

	if (L == NULL || ymd_from_tm(start, !all_day, &a) == -1)
		return -1;
	if (end == NULL)
		b = a;
	else if (ymd_from_tm(end, !all_day, &b) == -1)
		return -1;
	if (ymd_cmp(&b, &a) < 0)
		return -1;
	if (all_day)
		put_day_range(L, &a, &b, out);
	else
		put_time_range(L, &a, &b, out);
	return 0;
}

int
datefmt_month(const char *lang, int year, int month, struct buf *out)
{
	const struct lang *L = lang_find(lang);

	if (L == NULL || year < 1 || year > 9999 || month < 1 || month > 12)
		return -1;
	buf_printf(out, "%s %d", L->month[month - 1], year);
	return 0;
}

/* Reads exactly n decimal digits at *s; -1 if there are not n of them. */
static int
digits(const char **s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	return v;
}

int
datefmt_parse_local(const char *s, struct tm *out, int *has_time)
{
	int y, m, d, hh = 0, mm = 0, timed = 0;
	struct tm t;

	if (s == NULL)
		return -1;
	if ((y = digits(&s, 4)) == -1 || *s++ != '-' ||
	    (m = digits(&s, 2)) == -1 || *s++ != '-' ||
	    (d = digits(&s, 2)) == -1)
		return -1;
	if (*s == ' ' || *s == 'T') {
		s++;
		if ((hh = digits(&s, 2)) == -1 || *s++ != ':' ||
		    (mm = digits(&s, 2)) == -1)
			return -1;
		timed = 1;
	}
	if (*s != '\0' || !date_valid(y, m, d) || hh > 23 || mm > 59)
		return -1;

	memset(&t, 0, sizeof(t));
	t.tm_year = y - 1900;
	t.tm_mon = m - 1;
	t.tm_mday = d;
	t.tm_hour = hh;
	t.tm_min = mm;
	t.tm_wday = weekday(y, m, d);
	t.tm_yday = (int)(days_from_civil(y, m, d) - days_from_civil(y, 1, 1));
	t.tm_isdst = -1;
	*out = t;
	if (has_time != NULL)
		*has_time = timed;
	return 0;
}
