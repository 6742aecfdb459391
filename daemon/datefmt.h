/*
 * datefmt: dates and times written the way each language writes them,
 * without system locales (no setlocale, no strftime %A/%B).
 *
 * Supported languages: "de" and "en" (British order: "3 December 2026").
 * A language code may carry a region ("de-DE", "de_AT", "en-GB"); only the
 * primary subtag counts, case-insensitively.
 *
 *   de  Donnerstag, 3. Dezember 2026, 18:00 Uhr
 *   en  Thursday, 3 December 2026, 6:00 pm
 *
 * Every struct tm is a broken-down LOCAL time in the event's time zone
 * (the caller converts from UTC). Only tm_year, tm_mon, tm_mday and, for
 * times, tm_hour and tm_min are read; the weekday is computed from the date
 * (tm_wday and tm_yday are ignored).
 *
 * The formatting functions APPEND to out. They return 0, or -1 (and append
 * nothing) when the language is not supported or a field is out of range
 * (tm_year + 1900 outside 1..9999, an impossible day of month, hour outside
 * 0..23, minute outside 0..59). Ranges use the en dash U+2013.
 */
#ifndef RUNDBRIEF_DATEFMT_H
#define RUNDBRIEF_DATEFMT_H

#include <time.h>

#include "util.h"

/* 1 if lang is supported by the functions below, 0 if not (NULL: 0). */
int datefmt_supported(const char *lang);

/* "Donnerstag, 3. Dezember 2026" / "Thursday, 3 December 2026". */
int datefmt_date(const char *lang, const struct tm *t, struct buf *out);

/* "18:00 Uhr" / "6:00 pm" (noon "12:00 pm", midnight "12:00 am"). German
 * hours carry no leading zero ("9:00 Uhr"). */
int datefmt_time(const char *lang, const struct tm *t, struct buf *out);

/* Date and time: "Donnerstag, 3. Dezember 2026, 18:00 Uhr" /
 * "Thursday, 3 December 2026, 6:00 pm". */
int datefmt_datetime(const char *lang, const struct tm *t, struct buf *out);

/*
 * A range from start to end. end may be NULL (then: a date when all_day,
 * else a date and time).
 *
 * Timed (all_day == 0):
 *   same day         Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr
 *                    Thursday, 3 December 2026, 6:00–8:00 pm
 *                    Thursday, 3 December 2026, 11:00 am – 1:00 pm
 *   different days   Freitag, 4. Dezember 2026, 18:00 Uhr –
 *                    Samstag, 5. Dezember 2026, 14:00 Uhr (on one line)
 *   end == start     the same as datefmt_datetime()
 * All day (all_day != 0; end is the LAST day of the event, inclusive, not
 * iCalendar's exclusive DTEND; hours and minutes are ignored):
 *   one day          Dienstag, 15. Dezember 2026
 *   same month       4.–6. Dezember 2026 / 4–6 December 2026
 *   same year        30. November – 2. Dezember 2026
 *   across years     31. Dezember 2026 – 1. Januar 2027
 *
 * Returns -1 as above, and also when end is before start.
 */
int datefmt_range(const char *lang, const struct tm *start,
    const struct tm *end, int all_day, struct buf *out);

/*
 * A recurrence rule as datefmt_rule() words it. ical_rule_text() fills it
 * from an RRULE, with the parts the event's start implies filled in (the
 * weekday of a weekly rule, the day of a monthly one, ...).
 */
enum datefmt_freq {
	DATEFMT_DAILY,
	DATEFMT_WEEKLY,
	DATEFMT_MONTHLY,
	DATEFMT_YEARLY
};

#define DATEFMT_RULE_LIST 31

struct datefmt_rule {
	enum datefmt_freq freq;
	int interval;		/* 1: every day/week/...; n: every n-th */
	/*
	 * Weekdays, bit n for tm_wday n (bit 0 Sunday). WEEKLY: the days.
	 * MONTHLY and YEARLY: with nth, the days counted in the month.
	 */
	unsigned wdays;
	/*
	 * MONTHLY/YEARLY with wdays: the places in the month, 1..5 or -1..-5
	 * (-1 the last, -2 the one before), of that weekday (one day in
	 * wdays: 2 and Tuesday = the 2nd Tuesday) or of any of the days
	 * (several: -1 and Monday to Friday = the last weekday).
	 */
	int nth[DATEFMT_RULE_LIST];
	int nnth;
	/* MONTHLY/YEARLY without wdays: days of the month, 1..31 or -1..-5
	 * (-1 the last day). */
	int mday[DATEFMT_RULE_LIST];
	int nmday;
	int month;		/* YEARLY: 1..12 */
	int count;		/* the number of dates, 0: no limit */
	/* the last day (UNTIL) in the event's time zone; until_year 0: none */
	int until_year, until_month, until_day;
};

/*
 * Appends the rule in words. When start is not NULL, the times of day
 * start..end follow the rule (only tm_hour and tm_min are read; end may be
 * NULL: one time). Numbers up to twelve are written as words.
 *   jeden 2. Dienstag im Monat, 17:00–19:00 Uhr, bis 30. Juni 2027
 *   every second Tuesday of the month, 5:00–7:00 pm, until 30 June 2027
 *   alle zwei Wochen am Montag und Mittwoch, zehnmal
 *   every two weeks on Monday and Wednesday, ten times
 *   jeden letzten Werktag im Monat / every last weekday of the month
 *     (nth -1 of Monday to Friday)
 * Lists are written in the order given. Returns 0, or -1 (and appends
 * nothing) for an unsupported language or a rule outside the ranges above
 * (also: WEEKLY without wdays, MONTHLY/YEARLY with neither or both of
 * nth and mday, every day of the week with an interval).
 */
int datefmt_rule(const char *lang, const struct datefmt_rule *r,
    const struct tm *start, const struct tm *end, struct buf *out);

/* The newsletter's issue month: "Dezember 2026" / "December 2026".
 * month is 1..12 (not tm_mon), year 1..9999. */
int datefmt_month(const char *lang, int year, int month, struct buf *out);

/*
 * Parses "YYYY-MM-DD HH:MM" (a 'T' may stand for the space) or "YYYY-MM-DD",
 * nothing before or after. Checks that the date exists (2026-02-30 does
 * not), year 0001..9999, hour 00..23, minute 00..59.
 *
 * On success returns 0 and fills *out: tm_year, tm_mon, tm_mday, tm_hour,
 * tm_min (0:00 for a date alone), tm_sec = 0, the computed tm_wday and
 * tm_yday, tm_isdst = -1; *has_time (if has_time != NULL) is 1 when a time
 * was given, else 0. On failure returns -1 and leaves *out and *has_time
 * untouched.
 */
int datefmt_parse_local(const char *s, struct tm *out, int *has_time);

#endif
