/*
 * icalpriv: what the files of the ical module share. Private to the ical
 * module -- ical.c (invitations, PUBLISH calendars, their VTIMEZONEs),
 * icaltime.c (zones, local <-> UTC, RRULEs; defines everything declared
 * here), icalreply.c (attendee replies) and icalrule.c (RRULEs in words).
 * Other modules include ical.h.
 *
 * libical is used in the ical*.c files only (STYLE.md's "libical in
 * ical.c" now reads "libical only in the ical*.c files"). This header
 * includes <libical/ical.h>, so no other file may include it.
 *
 * Wall-clock times are years 1900..2499; "in z" means local time in the
 * libical zone z (UTC included).
 */
#ifndef RUNDBRIEF_ICALPRIV_H
#define RUNDBRIEF_ICALPRIV_H

#include <time.h>

#include <libical/ical.h>

/* A parsed local date or date-time (s 0 unless given). */
struct wall {
	int y, mo, d, h, mi, s;
	int is_date;
};

/* Makes libical's errors non-fatal (once). Call before using libical. */
void	ical_init(void);

/* Sets *errstr to the formatted message (caller frees) unless errstr is
 * NULL. Out of memory is fatal. */
void	ical_seterr(char **errstr, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Parses "YYYY-MM-DD" (is_date = 1), "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DD HH:MM:SS" ('T' allowed for the blank) into *w. Returns 0, or
 * -1 for NULL, a malformed string or a date/time that does not exist.
 */
int	ical_parse_wall(const char *s, struct wall *w);

/* *w as a floating libical time (a date when w->is_date). */
struct icaltimetype ical_wall_to_ical(const struct wall *w);

/* The instant whose UTC breakdown is the given wall time (timegm()). */
time_t	ical_wall_as_if_utc(int y, int mo, int d, int h, int mi, int s);

/* libical's builtin zone for an IANA name, or NULL if the name is unknown
 * or unsafe (it becomes a file path). Owned by libical (ical_cleanup()). */
icaltimezone *ical_zone_get(const char *tzid);

/* 1 if z is libical's UTC zone, else 0. */
int	ical_zone_is_utc(icaltimezone *z);

/* The wall time t (its date and time fields; zone ignored) in z as a UTC
 * instant, gap and overlap resolved as ical.h describes. */
time_t	ical_to_utc(icaltimezone *z, struct icaltimetype t);

/* t as a libical UTC date-time. */
struct icaltimetype ical_utc_ical(time_t t);

/*
 * Validates rrule (ical_rrule_valid()) and parses it for an event that
 * starts at a wall time in z (z unused when is_date). *prop: the rule to
 * write, UNTIL made RFC 5545-conformant (UTC date-time for a timed event,
 * a date for an all-day one). *iter: the same rule with UNTIL as a wall
 * time in z, for libical's iterator. Returns 0, or -1 with *errstr set
 * (caller frees; errstr may be NULL).
 */
int	ical_recur_prepare(const char *rrule, icaltimezone *z, int is_date,
	    struct icalrecurrencetype *prop, struct icalrecurrencetype *iter,
	    char **errstr);

#endif
