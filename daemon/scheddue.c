/*
 * scheddue: the schedule module's due-time arithmetic (schedule.h, "the
 * arithmetic"): the newsletter moment of a month, "offset before" in
 * calendar days, the names in job keys, the grace window. Pure functions
 * of their arguments; the zone data comes through the ical module.
 *
 * Contracts beyond schedule.h:
 *  - schedule_month_due() expands the rule from a fixed DTSTART,
 *    2000-01-01 00:00 local, so an INTERVAL keeps its phase from month
 *    to month and a rule that does not say the time of day takes 00:00.
 *    A COUNT counts from there too, and months before 2000 have no
 *    occurrence. A wall time in a DST gap or overlap resolves as
 *    ical_local_to_utc() does (gap: moved forward by its length; overlap:
 *    the earlier instant).
 *  - schedule_before() with an unknown zone, or a time outside the
 *    ical module's years, counts the days as 86,400 s each.
 *  - schedule_occurrence_id() fails (-1) also for an unknown zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "event.h"
#include "ical.h"
#include "schedule.h"

#define DAY		86400L
#define ANCHOR_YEAR	2000

/*
 * The value of the part `name` of rrule (case-insensitive, as RFC 5545
 * allows), its length in *len; NULL when the rule has no such part.
 */
static const char *
rule_part(const char *rrule, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = rrule, *end;

	for (;;) {
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > nl && p[nl] == '=' &&
		    strncasecmp(p, name, nl) == 0) {
			*len = (size_t)(end - p) - nl - 1;
			return p + nl + 1;
		}
		if (*end == '\0')
			return NULL;
		p = end + 1;
	}
}

/*
 * Days from 1 January 2000 to 1 January of year (a calendar without DST:
 * wall-clock rules count whole days).
 */
static long
days_since_anchor(int year)
{
	/* 365 a year, plus a day for each leap year in between. */
	long y = year - 1, a = ANCHOR_YEAR - 1;

	return 365L * (year - ANCHOR_YEAR) + (y / 4 - y / 100 + y / 400) -
	    (a / 4 - a / 100 + a / 400);
}

/*
 * The year of the DTSTART (1 January, 00:00) to expand rrule from for a
 * month of `year`. Expanding from 2000 every time walks over every
 * occurrence since (a daily rule ~10,000 steps, an hourly one ~230,000),
 * so the anchor moves to 1 January of a later year, at least a year
 * before the month, where that cannot change a single occurrence: what a
 * rule takes from DTSTART (its time, day and month; for WEEKLY also its
 * weekday) stays the same, and the periods since 2000 -- years, months,
 * weeks, days or hours -- must be a multiple of the INTERVAL so its phase
 * stays too. Not with COUNT, which counts from the anchor.
 */
static int
anchor_year(const char *rrule, int year)
{
	static const char *const freqs[] = { "YEARLY", "MONTHLY", "WEEKLY",
	    "DAILY", "HOURLY" };
	const char *v;
	size_t len, f;
	long interval = 1, periods;
	int a;

	if (rule_part(rrule, "COUNT", &len) != NULL ||
	    (v = rule_part(rrule, "FREQ", &len)) == NULL)
		return ANCHOR_YEAR;
	for (f = 0; f < sizeof(freqs) / sizeof(freqs[0]); f++)
		if (strlen(freqs[f]) == len && strncasecmp(v, freqs[f], len) == 0)
			break;
	if ((v = rule_part(rrule, "INTERVAL", &len)) != NULL)
		interval = strtol(v, NULL, 10);
	if (f == sizeof(freqs) / sizeof(freqs[0]) || interval < 1)
		return ANCHOR_YEAR;
	for (a = year - 1; a > ANCHOR_YEAR; a--) {
		switch (f) {
		case 0:
			periods = a - ANCHOR_YEAR;
			break;
		case 1:
			periods = 12L * (a - ANCHOR_YEAR);
			break;
		case 2:	/* whole weeks, so the same weekday */
			if (days_since_anchor(a) % 7 != 0)
				continue;
			periods = days_since_anchor(a) / 7;
			break;
		case 3:
			periods = days_since_anchor(a);
			break;
		default:
			periods = 24 * days_since_anchor(a);
			break;
		}
		if (periods % interval == 0)
			return a;
	}
	return ANCHOR_YEAR;
}

int
schedule_month_due(const char *rrule, const char *tzid, int year,
    int month, time_t *due)
{
	char anchor[32], first[16], next[16];
	time_t from, to, occ;
	size_t n;

	if (rrule == NULL || *rrule == '\0' || month < 1 || month > 12 ||
	    year < 1900 || year > 2498)
		return -1;
	snprintf(first, sizeof(first), "%04d-%02d-01", year, month);
	snprintf(next, sizeof(next), "%04d-%02d-01", month == 12 ? year + 1 :
	    year, month == 12 ? 1 : month + 1);
	snprintf(anchor, sizeof(anchor), "%04d-01-01 00:00",
	    anchor_year(rrule, year));
	if (ical_local_to_utc(tzid, first, &from) < 0 ||
	    ical_local_to_utc(tzid, next, &to) < 0)
		return -1;
	/* Occurrences come strictly after `after`: from 00:00 on the 1st. */
	if (ical_next_occurrences(tzid, anchor, rrule, from - 1, 1, &occ,
	    &n) < 0)
		return -1;
	if (n == 0 || occ >= to)
		return 1;
	*due = occ;
	return 0;
}

time_t
schedule_before(const char *tzid, time_t t, long offset)
{
	long days = offset / DAY, rest = offset % DAY;
	char local[80];
	struct tm tm, d;
	time_t day, r;

	if (days == 0)
		return t - rest;
	if (ical_utc_to_local(tzid, t, &tm) < 0)
		return t - offset;
	/* The date `days` earlier, counted on a calendar without DST. */
	memset(&d, 0, sizeof(d));
	d.tm_year = tm.tm_year;
	d.tm_mon = tm.tm_mon;
	d.tm_mday = tm.tm_mday;
	d.tm_hour = 12;
	day = timegm(&d) - (time_t)days * DAY;
	if (gmtime_r(&day, &d) == NULL)
		return t - offset;
	snprintf(local, sizeof(local), "%04d-%02d-%02d %02d:%02d:%02d",
	    d.tm_year + 1900, d.tm_mon + 1, d.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (ical_local_to_utc(tzid, local, &r) < 0)
		return t - offset;
	return r - rest;
}

void
schedule_offset_name(long offset, char *buf, size_t size)
{
	if (offset != 0 && offset % DAY == 0)
		snprintf(buf, size, "%ldd", offset / DAY);
	else if (offset != 0 && offset % 3600 == 0)
		snprintf(buf, size, "%ldh", offset / 3600);
	else if (offset != 0 && offset % 60 == 0)
		snprintf(buf, size, "%ldm", offset / 60);
	else
		snprintf(buf, size, "%lds", offset);
}

/*
 * The wall time of a timed occurrence as the rule made it. Normally the
 * local time of occ; but an occurrence whose wall time fell into a DST gap
 * was moved forward (02:30 -> 03:30 CEST), and its RECURRENCE-ID is still
 * the 02:30 of the rule: when the start's time of day on occ's date
 * resolves to occ, that is the one.
 */
static void
nominal_wall(const struct event *ev, time_t occ, struct tm *tm)
{
	char local[80];
	int h, mi;
	time_t t;

	if (ev->start_local == NULL || strlen(ev->start_local) != 16 ||
	    sscanf(ev->start_local + 11, "%2d:%2d", &h, &mi) != 2 ||
	    (h == tm->tm_hour && mi == tm->tm_min))
		return;
	snprintf(local, sizeof(local), "%04d-%02d-%02d %02d:%02d",
	    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, h, mi);
	if (ical_local_to_utc(ev->tzid, local, &t) == 0 && t == occ) {
		tm->tm_hour = h;
		tm->tm_min = mi;
		tm->tm_sec = 0;
	}
}

int
schedule_occurrence_id(const struct event *ev, time_t occ, char *buf,
    size_t size)
{
	struct tm tm;
	int n;

	if (ev->rrule == NULL || *ev->rrule == '\0')
		n = snprintf(buf, size, "single");
	else if (ical_utc_to_local(ev->tzid, occ, &tm) < 0)
		return -1;
	else if (ev->all_day)
		n = snprintf(buf, size, "%04d%02d%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	else {
		nominal_wall(ev, occ, &tm);
		n = snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
schedule_in_grace(time_t due, time_t now, long grace)
{
	return due <= now && now - due <= grace;
}
