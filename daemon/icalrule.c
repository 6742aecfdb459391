/*
 * icalrule: an event's RRULE in words (ical_rule_text()). libical reads
 * the rule into struct icalrecurrencetype; this file decides whether a
 * sentence can say it and fills a struct datefmt_rule, whose words are
 * datefmt.c's.
 */
#include <string.h>
#include <time.h>

#include "datefmt.h"
#include "ical.h"
#include "icalpriv.h"
#include "util.h"

/* What a rule's BY* parts hold, counted. */
struct parts {
	int nday, nmday, nmonth, nsetpos;
	unsigned wdays;			/* BYDAY's weekdays, bit 0 Sunday */
	int positioned;			/* BYDAY entries with a place (2TU) */
	int daypos[ICAL_BY_DAY_SIZE];	/* their places */
};

/* The number of values in a libical BY* array. */
static int
nvalues(const short *a, int size)
{
	int n = 0;

	while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

/* Sort key: 1, 2, ... 31, then -5 ... -1 (the last at the end). */
static int
place_key(int v)
{
	return v > 0 ? v : 100 + v;
}

/*
 * Copies the n places v into out (DATEFMT_RULE_LIST long), sorted, without
 * duplicates. Returns 0, or -1 when one is outside 1..max and -5..-1.
 */
static int
places(const int *v, int n, int max, int *out, int *nout)
{
	int i, j, x;

	*nout = 0;
	for (i = 0; i < n; i++) {
		x = v[i];
		if (x == 0 || x < -5 || x > max)
			return -1;
		for (j = 0; j < *nout && out[j] != x; j++)
			;
		if (j < *nout)
			continue;
		if (*nout == DATEFMT_RULE_LIST)
			return -1;
		for (j = *nout; j > 0 && place_key(out[j - 1]) > place_key(x);
		    j--)
			out[j] = out[j - 1];
		out[j] = x;
		(*nout)++;
	}
	return 0;
}

/* places() of a libical array. */
static int
places_of(const short *a, int n, int max, int *out, int *nout)
{
	int v[ICAL_BY_YEARDAY_SIZE], i;

	for (i = 0; i < n; i++)
		v[i] = a[i];
	return places(v, n, max, out, nout);
}

static int
parts_read(const struct icalrecurrencetype *r, struct parts *p)
{
	int i, wd;

	memset(p, 0, sizeof(*p));
	if (nvalues(r->by_second, ICAL_BY_SECOND_SIZE) ||
	    nvalues(r->by_minute, ICAL_BY_MINUTE_SIZE) ||
	    nvalues(r->by_hour, ICAL_BY_HOUR_SIZE) ||
	    nvalues(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
	    nvalues(r->by_week_no, ICAL_BY_WEEKNO_SIZE))
		return -1;
	p->nday = nvalues(r->by_day, ICAL_BY_DAY_SIZE);
	p->nmday = nvalues(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
	p->nmonth = nvalues(r->by_month, ICAL_BY_MONTH_SIZE);
	p->nsetpos = nvalues(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
	for (i = 0; i < p->nday; i++) {
		wd = icalrecurrencetype_day_day_of_week(r->by_day[i]);
		if (wd < ICAL_SUNDAY_WEEKDAY || wd > ICAL_SATURDAY_WEEKDAY)
			return -1;
		p->wdays |= 1u << (wd - ICAL_SUNDAY_WEEKDAY);
		p->daypos[i] = icalrecurrencetype_day_position(r->by_day[i]);
		if (p->daypos[i] != 0)
			p->positioned++;
	}
	/* no sentence for 1MO,TU or 1MO,3WE */
	if (p->positioned != 0 && (p->positioned != p->nday ||
	    (p->wdays & (p->wdays - 1)) != 0))
		return -1;
	return 0;
}

/* The days in the month of a MONTHLY or YEARLY rule. */
static int
month_days(const struct icalrecurrencetype *r, const struct parts *p,
    const struct wall *start, struct datefmt_rule *dr)
{
	if (p->nsetpos > 0) {
		/* BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 */
		if (p->nday == 0 || p->positioned || p->nmday)
			return -1;
		dr->wdays = p->wdays;
		return places_of(r->by_set_pos, p->nsetpos, 5, dr->nth,
		    &dr->nnth);
	}
	if (p->positioned) {
		/* BYDAY=2TU, BYDAY=1MO,3MO */
		if (p->nmday)
			return -1;
		dr->wdays = p->wdays;
		return places(p->daypos, p->nday, 5, dr->nth, &dr->nnth);
	}
	if (p->nday > 0) {
		/* every Monday of every month: a weekly rule */
		if (p->nmday || dr->freq != DATEFMT_MONTHLY || dr->interval != 1)
			return -1;
		dr->freq = DATEFMT_WEEKLY;
		dr->wdays = p->wdays;
		return 0;
	}
	if (p->nmday)
		return places_of(r->by_month_day, p->nmday, 31, dr->mday,
		    &dr->nmday);
	dr->mday[0] = start->d;
	dr->nmday = 1;
	return 0;
}

/* The sentence's parts of r for an event starting at `start`. */
static int
rule_parts(const struct icalrecurrencetype *r, const struct wall *start,
    struct datefmt_rule *dr)
{
	struct parts p;
	int wday;

	memset(dr, 0, sizeof(*dr));
	if (parts_read(r, &p) < 0)
		return -1;
	dr->interval = r->interval > 0 ? r->interval : 1;
	dr->count = r->count > 0 ? r->count : 0;
	if (!icaltime_is_null_time(r->until)) {
		dr->until_year = r->until.year;
		dr->until_month = r->until.month;
		dr->until_day = r->until.day;
	}
	wday = icaltime_day_of_week(ical_wall_to_ical(start)) -
	    ICAL_SUNDAY_WEEKDAY;
	switch (r->freq) {
	case ICAL_DAILY_RECURRENCE:
		if (p.nmday || p.nmonth || p.nsetpos || p.positioned)
			return -1;
		dr->freq = DATEFMT_DAILY;
		if (p.nday == 0)
			return 0;
		/* BYDAY=MO,WE: a weekly rule, unless every other day */
		if (dr->interval != 1)
			return -1;
		dr->freq = DATEFMT_WEEKLY;
		dr->wdays = p.wdays;
		return 0;
	case ICAL_WEEKLY_RECURRENCE:
		if (p.nmday || p.nmonth || p.nsetpos || p.positioned)
			return -1;
		dr->freq = DATEFMT_WEEKLY;
		dr->wdays = p.nday ? p.wdays : 1u << wday;
		return 0;
	case ICAL_MONTHLY_RECURRENCE:
		if (p.nmonth)
			return -1;
		dr->freq = DATEFMT_MONTHLY;
		return month_days(r, &p, start, dr);
	case ICAL_YEARLY_RECURRENCE:
		/* BYDAY or BYMONTHDAY alone count in the year (or in every
		 * month): no sentence */
		if (p.nmonth > 1 ||
		    (p.nmonth == 0 && (p.nday || p.nmday || p.nsetpos)))
			return -1;
		dr->freq = DATEFMT_YEARLY;
		dr->month = start->mo;
		if (p.nmonth == 1) {
			if (icalrecurrencetype_month_is_leap(r->by_month[0]))
				return -1;
			dr->month = icalrecurrencetype_month_month(
			    r->by_month[0]);
		}
		return month_days(r, &p, start, dr);
	default:
		return -1;
	}
}

int
ical_rule_text(const char *lang, const char *rrule, const char *tzid,
    const char *start_local, const char *end_local, struct buf *out)
{
	struct icalrecurrencetype prop, iter;
	struct datefmt_rule dr;
	icaltimezone *z = NULL;
	struct wall s, e;
	struct tm ts, te;
	int times;

	if (rrule == NULL || ical_parse_wall(start_local, &s) < 0)
		return -1;
	if (!s.is_date && (z = ical_zone_get(tzid)) == NULL)
		return -1;
	/* iter.until: UNTIL as a wall time (or date) in the event's zone */
	if (ical_recur_prepare(rrule, z, s.is_date, &prop, &iter, NULL) < 0 ||
	    rule_parts(&iter, &s, &dr) < 0)
		return -1;
	/* the times of day, for an event that ends on the day it starts */
	times = !s.is_date && (end_local == NULL ||
	    (ical_parse_wall(end_local, &e) == 0 && !e.is_date &&
	    e.y == s.y && e.mo == s.mo && e.d == s.d));
	memset(&ts, 0, sizeof(ts));
	ts.tm_hour = s.h;
	ts.tm_min = s.mi;
	te = ts;
	if (times && end_local != NULL) {
		te.tm_hour = e.h;
		te.tm_min = e.mi;
	}
	return datefmt_rule(lang, &dr, times ? &ts : NULL, times ? &te : NULL,
	    out);
}
