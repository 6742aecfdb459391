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

/* The times of day a..b: "18:00–20:00 Uhr", "6:00–8:00 pm", "11:00 am –
 * 1:00 pm"; one time when they are equal. */
static void
put_clock_range(const struct lang *L, const struct ymd *a,
    const struct ymd *b, struct buf *out)
{
	if (a->hour == b->hour && a->min == b->min) {
		put_time(L, a, out);
		return;
	}
	put_clock(L, a, out);
	/* One suffix when both share it, else both. */
	if (strcmp(suffix(L, a), suffix(L, b)) == 0)
		buf_puts(out, EN_DASH);
	else {
		buf_puts(out, suffix(L, a));
		buf_puts(out, " " EN_DASH " ");
	}
	put_time(L, b, out);
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
		put_clock_range(L, a, b, out);
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

/* ---- recurrence rules ---- */

#define ALL_WDAYS	0x7fu
#define WORKDAYS	0x3eu	/* Monday to Friday */

/* Numbers as words, 1..12 ("ein" makes "einmal"). */
static const char *const num_de[13] = { NULL, "ein", "zwei", "drei", "vier",
	"f\xc3\xbcnf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
	"zw\xc3\xb6lf" };
static const char *const num_en[13] = { NULL, "one", "two", "three", "four",
	"five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve" };
/* English places 1..5; German writes "2.". */
static const char *const place_en[6] = { NULL, "first", "second", "third",
	"fourth", "fifth" };
/* Places counted from the end, -1..-5. */
static const char *const last_de[6] = { NULL, "letzten", "vorletzten",
	"drittletzten", "viertletzten", "f\xc3\xbcnftletzten" };
static const char *const last_en[6] = { NULL, "last", "second-to-last",
	"third-to-last", "fourth-to-last", "fifth-to-last" };

static int
is_de(const struct lang *L)
{
	return L->id == LANG_DE;
}

/* "zwei" / "two" up to twelve, digits above. */
static void
put_number(const struct lang *L, int n, struct buf *out)
{
	if (n >= 1 && n <= 12)
		buf_puts(out, is_de(L) ? num_de[n] : num_en[n]);
	else
		buf_printf(out, "%d", n);
}

/* What goes before item i of n: nothing, ", ", or " und " / " and " (" oder"
 * / " or " when or) before the last. */
static void
put_sep(const struct lang *L, int i, int n, int or, struct buf *out)
{
	if (i == 0)
		return;
	if (i < n - 1)
		buf_puts(out, ", ");
	else if (or)
		buf_puts(out, is_de(L) ? " oder " : " or ");
	else
		buf_puts(out, is_de(L) ? " und " : " and ");
}

/* The weekdays of mask, Monday first: "Montag und Mittwoch". */
static void
put_wdays(const struct lang *L, unsigned mask, int or, struct buf *out)
{
	int days[7], n = 0, i;

	for (i = 1; i <= 7; i++)
		if (mask & (1u << (i % 7)))
			days[n++] = i % 7;
	for (i = 0; i < n; i++) {
		put_sep(L, i, n, or, out);
		buf_puts(out, L->wday[days[i]]);
	}
}

/* A place in the month: "2." / "second", "letzten" / "last". */
static void
put_place(const struct lang *L, int n, struct buf *out)
{
	if (n < 0)
		buf_puts(out, is_de(L) ? last_de[-n] : last_en[-n]);
	else if (is_de(L))
		buf_printf(out, "%d.", n);
	else
		buf_puts(out, place_en[n]);
}

static const char *
en_ordinal_suffix(int n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	}
	return "th";
}

/* "alle zwei Wochen" / "every two weeks". */
static void
put_every_n(const struct lang *L, enum datefmt_freq f, int n,
    struct buf *out)
{
	static const char *const de[4] = { "Tage", "Wochen", "Monate", "Jahre" };
	static const char *const en[4] = { "days", "weeks", "months", "years" };

	buf_puts(out, is_de(L) ? "alle " : "every ");
	put_number(L, n, out);
	buf_printf(out, " %s", is_de(L) ? de[f] : en[f]);
}

/* "jeden Monat" / "every month", "alle zwei Jahre" / "every two years". */
static void
put_period(const struct lang *L, const struct datefmt_rule *r,
    struct buf *out)
{
	if (r->interval > 1)
		put_every_n(L, r->freq, r->interval, out);
	else if (r->freq == DATEFMT_MONTHLY)
		buf_puts(out, is_de(L) ? "jeden Monat" : "every month");
	else
		buf_puts(out, is_de(L) ? "jedes Jahr" : "every year");
}

/* "2. Dienstag", "1. und letzten Montag", "letzten Werktag" / "second
 * Tuesday", "first and last Monday", "last weekday". */
static void
put_nth_days(const struct lang *L, const struct datefmt_rule *r,
    struct buf *out)
{
	int i;

	for (i = 0; i < r->nnth; i++) {
		put_sep(L, i, r->nnth, 0, out);
		put_place(L, r->nth[i], out);
	}
	buf_putc(out, ' ');
	if (r->wdays == WORKDAYS)
		buf_puts(out, is_de(L) ? "Werktag" : "weekday");
	else
		put_wdays(L, r->wdays, 1, out);
}

/* "1. und 15." / "1st and 15th"; "1. und letzten Tag" / "1st and last
 * day" when a day counts from the end. */
static void
put_mdays(const struct lang *L, const struct datefmt_rule *r,
    struct buf *out)
{
	int i, from_end = 0;

	for (i = 0; i < r->nmday; i++) {
		put_sep(L, i, r->nmday, 0, out);
		if (r->mday[i] < 0) {
			put_place(L, r->mday[i], out);
			from_end = 1;
		} else if (is_de(L))
			buf_printf(out, "%d.", r->mday[i]);
		else
			buf_printf(out, "%d%s", r->mday[i],
			    en_ordinal_suffix(r->mday[i]));
	}
	if (from_end)
		buf_puts(out, is_de(L) ? " Tag" : " day");
}

static void
put_weekly(const struct lang *L, const struct datefmt_rule *r,
    struct buf *out)
{
	if (r->wdays == ALL_WDAYS) {
		buf_puts(out, is_de(L) ? "t\xc3\xa4glich" : "every day");
		return;
	}
	if (r->interval > 1) {
		put_every_n(L, r->freq, r->interval, out);
		buf_puts(out, r->wdays == WORKDAYS ? (is_de(L) ? " " : ", ") :
		    (is_de(L) ? " am " : " on "));
	} else if (r->wdays != WORKDAYS)
		buf_puts(out, is_de(L) ? "jeden " : "every ");
	if (r->wdays == WORKDAYS)
		buf_puts(out, is_de(L) ? "montags bis freitags" :
		    "Monday to Friday");
	else
		put_wdays(L, r->wdays, 0, out);
}

/* MONTHLY and YEARLY. */
static void
put_monthly(const struct lang *L, const struct datefmt_rule *r,
    struct buf *out)
{
	int yearly = r->freq == DATEFMT_YEARLY, i, positive = 1;
	const char *month = yearly ? L->month[r->month - 1] : NULL;

	if (r->nnth > 0) {
		if (r->interval == 1) {
			/* "jeden 2. Dienstag im Monat" */
			buf_puts(out, is_de(L) ? "jeden " : "every ");
			put_nth_days(L, r, out);
			if (yearly)
				buf_printf(out, is_de(L) ? " im %s" : " of %s",
				    month);
			else
				buf_puts(out, is_de(L) ? " im Monat" :
				    " of the month");
			return;
		}
		/* "alle zwei Monate am 2. Dienstag" */
		put_period(L, r, out);
		buf_puts(out, is_de(L) ? " am " : " on the ");
		put_nth_days(L, r, out);
		if (yearly)
			buf_printf(out, is_de(L) ? " im %s" : " of %s", month);
		return;
	}
	for (i = 0; i < r->nmday; i++)
		if (r->mday[i] < 0)
			positive = 0;
	put_period(L, r, out);
	if (yearly && positive) {
		/* "jedes Jahr am 1. und 15. Dezember" / "every year on 1 and
		 * 15 December" */
		buf_puts(out, is_de(L) ? " am " : " on ");
		for (i = 0; i < r->nmday; i++) {
			put_sep(L, i, r->nmday, 0, out);
			buf_printf(out, is_de(L) ? "%d." : "%d", r->mday[i]);
		}
		buf_printf(out, " %s", month);
		return;
	}
	/* "jeden Monat am 15." / "every month on the 15th" */
	buf_puts(out, is_de(L) ? " am " : " on the ");
	put_mdays(L, r, out);
	if (yearly)
		buf_printf(out, is_de(L) ? " im %s" : " of %s", month);
}

static int
places_ok(const int *v, int n, int max)
{
	int i;

	if (n < 0 || n > DATEFMT_RULE_LIST)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] == 0 || v[i] < -5 || v[i] > max)
			return 0;
	return 1;
}

static int
rule_ok(const struct datefmt_rule *r)
{
	if (r->interval < 1 || r->count < 0 || (r->wdays & ~ALL_WDAYS) ||
	    !places_ok(r->nth, r->nnth, 5) ||
	    !places_ok(r->mday, r->nmday, 31))
		return 0;
	if (r->until_year != 0 &&
	    !date_valid(r->until_year, r->until_month, r->until_day))
		return 0;
	switch (r->freq) {
	case DATEFMT_DAILY:
		return r->wdays == 0 && r->nnth == 0 && r->nmday == 0;
	case DATEFMT_WEEKLY:
		return r->wdays != 0 && r->nnth == 0 && r->nmday == 0 &&
		    !(r->wdays == ALL_WDAYS && r->interval > 1);
	case DATEFMT_YEARLY:
		if (r->month < 1 || r->month > 12)
			return 0;
		/* FALLTHROUGH */
	case DATEFMT_MONTHLY:
		return r->nnth > 0 ? r->wdays != 0 && r->nmday == 0 :
		    r->wdays == 0 && r->nmday > 0;
	}
	return 0;
}

/* The hour and minute of t, or -1 when out of range. */
static int
clock_of(const struct tm *t, struct ymd *v)
{
	memset(v, 0, sizeof(*v));
	v->hour = t->tm_hour;
	v->min = t->tm_min;
	return v->hour < 0 || v->hour > 23 || v->min < 0 || v->min > 59 ?
	    -1 : 0;
}

int
datefmt_rule(const char *lang, const struct datefmt_rule *r,
    const struct tm *start, const struct tm *end, struct buf *out)
{
	const struct lang *L = lang_find(lang);
	struct ymd a, b, u;

	if (L == NULL || r == NULL || !rule_ok(r))
		return -1;
	if (start != NULL && (clock_of(start, &a) == -1 ||
	    clock_of(end != NULL ? end : start, &b) == -1))
		return -1;
	if (r->freq == DATEFMT_DAILY && r->interval == 1)
		buf_puts(out, is_de(L) ? "t\xc3\xa4glich" : "every day");
	else if (r->freq == DATEFMT_DAILY)
		put_every_n(L, r->freq, r->interval, out);
	else if (r->freq == DATEFMT_WEEKLY)
		put_weekly(L, r, out);
	else
		put_monthly(L, r, out);
	if (start != NULL) {
		buf_puts(out, ", ");
		put_clock_range(L, &a, &b, out);
	}
	if (r->count > 0) {
		buf_puts(out, ", ");
		if (is_de(L) && r->count <= 12)
			buf_printf(out, "%smal", num_de[r->count]);
		else if (is_de(L))
			buf_printf(out, "%d-mal", r->count);
		else if (r->count <= 2)
			buf_puts(out, r->count == 1 ? "once" : "twice");
		else {
			put_number(L, r->count, out);
			buf_puts(out, " times");
		}
	}
	if (r->until_year != 0) {
		memset(&u, 0, sizeof(u));
		u.year = r->until_year;
		u.month = r->until_month;
		u.day = r->until_day;
		buf_puts(out, is_de(L) ? ", bis " : ", until ");
		put_day_month(L, &u, 1, out);
	}
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
