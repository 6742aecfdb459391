/*
 * ical: iCalendar objects (RFC 5545) for iTIP/iMIP (RFC 5546, RFC 6047):
 * invitations, cancellations and published calendars out, attendee replies
 * in, and the time-zone arithmetic the rest of the program needs (local
 * wall-clock times, RRULE expansion). libical is used here and nowhere else.
 *
 * The MIME packaging (text/calendar; method=...; charset=UTF-8) is mime.c's
 * job: this module produces and parses the calendar text only.
 *
 * UIDs: ONE UID PER EVENT, stable for the event's whole life, and ONE
 * ATTENDEE per message (each recipient gets a message naming only
 * themselves, so no address is disclosed to the other recipients).
 *  - A reply is matched by (UID, attendee address): the UID names the
 *    event, the ATTENDEE line the subscriber. No per-recipient state is
 *    needed to read a reply, and a reply that a recipient's client sends
 *    from a different address still names the event.
 *  - Updates (SEQUENCE + 1) and cancellations reuse the UID, so every
 *    copy of the event updates in place: also the copy a recipient
 *    forwarded to a colleague, or imported into a shared/team calendar.
 *  - Per-recipient UIDs would instead create duplicate entries when one
 *    person is subscribed twice or a shared calendar receives two copies,
 *    and would not identify the event when a forwarded copy replies.
 *    There is no privacy gain either: the UID carries no personal data.
 * Recurring events use one UID for the whole series; a reply for one
 * occurrence carries RECURRENCE-ID (see struct ical_reply).
 *
 * Time zones come from the system's tzdata (/usr/share/zoneinfo, or $TZDIR)
 * through libical. Every VTIMEZONE we write is named by its plain IANA name
 * ("Europe/Berlin"), cut down to one recurring STANDARD and one DAYLIGHT
 * rule where the zone allows it (the form Outlook understands).
 *
 * Local wall-clock times ("YYYY-MM-DD HH:MM") are resolved as follows:
 *  - a time that does not exist (spring-forward gap, e.g. 2027-03-28 02:30
 *    Europe/Berlin) is shifted forward by the length of the gap
 *    (-> 03:30 CEST = 01:30 UTC), as if the clock had not yet changed;
 *  - a time that exists twice (autumn overlap, e.g. 2026-10-25 02:30
 *    Europe/Berlin) is the FIRST, earlier one (02:30 CEST = 00:30 UTC).
 * Both are RFC 5545's rules (3.3.5). Beware: ical.js (Thunderbird) and
 * python-icalendar/pytz read an ambiguous DTSTART as the LATER time, so
 * an event inside the autumn hour shows an hour apart in some clients.
 */
#ifndef RUNDBRIEF_ICAL_H
#define RUNDBRIEF_ICAL_H

#include <stddef.h>
#include <time.h>

struct buf;

enum ical_method {
	ICAL_MSG_REQUEST = 0,	/* invitation or update */
	ICAL_MSG_CANCEL		/* cancellation */
};

enum ical_evstatus {
	ICAL_EVENT_CONFIRMED = 0,
	ICAL_EVENT_CANCELLED
};

/*
 * One event as the database holds it. All strings are UTF-8 and owned by
 * the caller; NULL means absent where allowed.
 */
struct ical_event {
	const char *uid;	/* required, stable for the event's life */
	int sequence;		/* 0 first, +1 for every significant change */
	const char *summary;	/* required, one line (newlines -> spaces) */
	const char *description; /* plain text, newlines kept, or NULL */
	const char *location;	/* or NULL; an online event without one gets
				 * its url as LOCATION (Outlook shows no URL) */
	const char *url;	/* online link, or NULL */
	const char *tzid;	/* IANA zone, e.g. "Europe/Berlin"; required
				 * for timed events, ignored for all-day */
	int all_day;		/* 1: start/end are dates */
	/*
	 * Timed: "YYYY-MM-DD HH:MM" local wall-clock time in tzid.
	 * All-day: "YYYY-MM-DD"; end is the LAST day, inclusive (written
	 * as DTEND = end + 1 day, exclusive, per RFC 5545). end may be NULL
	 * for a one-day all-day event; a timed event needs an end.
	 */
	const char *start;
	const char *end;
	const char *rrule;	/* e.g. "FREQ=MONTHLY;BYDAY=2TU;COUNT=6" or NULL;
				 * start must be its first occurrence */
	enum ical_evstatus status;
	time_t created;		/* 0 = not written */
	time_t last_modified;	/* 0 = not written */
};

/*
 * The iTIP message for one attendee: a VCALENDAR with METHOD:REQUEST or
 * METHOD:CANCEL, the VTIMEZONE of a timed event, and one VEVENT with
 * ORGANIZER and exactly one ATTENDEE (ROLE=REQ-PARTICIPANT,
 * PARTSTAT=NEEDS-ACTION, and RSVP=TRUE in a REQUEST). CANCEL writes
 * STATUS:CANCELLED whatever ev->status says; the caller raises
 * ev->sequence for it. An RRULE's UNTIL is written as RFC 5545 wants it:
 * in UTC for a timed event (a date or local time is read in tzid, a date
 * meaning the end of that day), as a date for an all-day one.
 * A VALARM (ACTION:DISPLAY) fires alarm_seconds_before the start when that
 * is > 0 (never in a CANCEL). dtstamp is the DTSTAMP (now, normally).
 * Replies go to organizer_email: make it the mailbox inbox.c reads.
 * Names may be NULL (no CN).
 *
 * Text is escaped and lines are folded by libical (CRLF, at most 75 octets,
 * never inside a UTF-8 character; checked, and re-folded if a libical
 * build ever did otherwise).
 *
 * Returns the calendar text (caller frees), or NULL with *errstr set
 * (caller frees; errstr may be NULL) for: missing uid/summary/start/end,
 * a malformed date, an end not after the start, unknown time zone,
 * invalid RRULE or a start that is not its first occurrence, invalid
 * e-mail address or URL, text that is not valid UTF-8, a negative
 * sequence, an alarm outside 0..366 days.
 */
char *ical_invitation(const struct ical_event *ev, enum ical_method method,
    const char *organizer_name, const char *organizer_email,
    const char *attendee_name, const char *attendee_email,
    long alarm_seconds_before, time_t dtstamp, char **errstr);

/*
 * A METHOD:PUBLISH calendar (e.g. a "subscribe"/download .ics) of n events:
 * ORGANIZER but no ATTENDEE, one VTIMEZONE per distinct zone used by the
 * timed events, cancelled events with STATUS:CANCELLED. n may be 0.
 * Returns the text (caller frees) or NULL with *errstr as ical_invitation().
 */
char *ical_publish(const struct ical_event *evs, size_t n,
    const char *organizer_name, const char *organizer_email, time_t dtstamp,
    char **errstr);

/* 1 if tzid names a zone libical knows (IANA name, case-sensitive), else 0. */
int ical_tz_valid(const char *tzid);

/*
 * 0 if rrule is a valid RFC 5545 RRULE value (without "RRULE:") that
 * libical can expand, with FREQ HOURLY or slower (SECONDLY/MINUTELY are
 * refused: not for events or newsletters; RSCALE too). Refused as well:
 * combinations RFC 5545 forbids (BYWEEKNO without YEARLY, BYMONTHDAY with
 * WEEKLY, ...) and rules no date can match (BYMONTH=2;BYMONTHDAY=30).
 * Otherwise -1 and *errstr (caller frees; may be NULL) names the bad part
 * where it can, e.g. "invalid RRULE part \"BYDAY=XX\"".
 */
int ical_rrule_valid(const char *rrule, char **errstr);

/*
 * Converts a local wall-clock time "YYYY-MM-DD HH:MM" (or "YYYY-MM-DD",
 * meaning 00:00) in tzid to a UTC instant (gap and overlap as described at
 * the top). Returns 0, or -1 for an unknown zone or a malformed/invalid
 * date (out untouched).
 */
int ical_local_to_utc(const char *tzid, const char *local, time_t *out);

/*
 * Breaks t down into local time in tzid: tm_year..tm_sec, tm_wday,
 * tm_yday, tm_isdst (1 in daylight-saving time) and tm_gmtoff (seconds
 * east of UTC). tm_zone is NULL: format with %z, not %Z.
 * Returns 0, or -1 for an unknown zone or a time out of range.
 */
int ical_utc_to_local(const char *tzid, time_t t, struct tm *out);

/*
 * Expands rrule (NULL: dtstart alone) from dtstart_local ("YYYY-MM-DD
 * HH:MM" or "YYYY-MM-DD") as wall-clock times in tzid, and stores in out
 * the first max occurrences strictly after `after`, as UTC instants in
 * ascending order; *n is their number (< max when the rule ends first).
 * A UTC UNTIL is compared as an instant. An occurrence inside a DST gap or
 * overlap resolves as ical_local_to_utc(). libical does not count a
 * DTSTART that does not match the rule as an occurrence.
 * Example: tz "Europe/Berlin", "2026-01-01 00:00",
 * "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0" gives 09:00 local on every
 * first Monday: 08:00Z in winter, 07:00Z in summer.
 * Returns 0, or -1 for an unknown zone, malformed dtstart or invalid RRULE
 * (*n = 0).
 */
int ical_next_occurrences(const char *tzid, const char *dtstart_local,
    const char *rrule, time_t after, size_t max, time_t *out, size_t *n);

/*
 * The recurrence of an event in words, in lang ("de" or "en", as
 * datefmt_rule() writes it), appended to out:
 *   jeden 2. Dienstag im Monat, 17:00–19:00 Uhr, bis 30. Juni 2027
 *   every second Tuesday of the month, 5:00–7:00 pm, until 30 June 2027
 * start_local and end_local are the event's first occurrence as struct
 * ical_event has them (timed: "YYYY-MM-DD HH:MM" in tzid; all-day:
 * "YYYY-MM-DD", end inclusive, tzid unused); end_local may be NULL. What
 * the rule leaves out comes from the start (the weekday of a weekly rule,
 * the day of a monthly one). The times of day are said for a timed event
 * that ends on the day it starts; UNTIL is said as its day in tzid.
 *
 * Rules with a sentence: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY with
 * INTERVAL, COUNT or UNTIL, and
 *  - DAILY: BYDAY (without INTERVAL: the same as WEEKLY);
 *  - WEEKLY: BYDAY without places;
 *  - MONTHLY: BYMONTHDAY (1..31, -1..-5), or BYDAY of one weekday with
 *    places (2TU, -1FR, 1MO,3MO), or BYDAY of weekdays with BYSETPOS
 *    (BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1), places 1..5 and -1..-5;
 *    BYDAY without places and INTERVAL: the same as WEEKLY;
 *  - YEARLY: one BYMONTH (or the start's month) with BYMONTHDAY, BYDAY
 *    with places or BYSETPOS as MONTHLY, or neither (the start's day).
 * Returns 0, or -1 (nothing appended) for anything else -- BYHOUR,
 * BYMINUTE, BYSECOND, BYWEEKNO, BYYEARDAY, several BYMONTHs, mixtures
 * such as BYDAY=1MO,3WE or BYDAY with BYMONTHDAY -- and for an invalid
 * rule, start or zone, or a language datefmt does not know. The caller
 * then writes a generic text ("Recurring event").
 */
int ical_rule_text(const char *lang, const char *rrule, const char *tzid,
    const char *start_local, const char *end_local, struct buf *out);

/*
 * What an attendee's client sent back. All strings owned by the struct
 * (ical_reply_free()).
 */
struct ical_reply {
	/*
	 * The METHOD in upper case ("REPLY", or "REQUEST"/"COUNTER"/... when
	 * a client sent something else), or NULL when the object has none.
	 * This parser does not guess: with NULL, use the "method" parameter
	 * of the MIME Content-Type (RFC 6047 says they must agree), and treat
	 * a calendar with neither as a REPLY only if partstat is not
	 * NEEDS-ACTION.
	 */
	char *method;
	char *uid;
	/*
	 * RECURRENCE-ID when the reply is for one occurrence, else NULL:
	 * the value as written ("20270112T180000", "20270112T170000Z" or the
	 * date "20270112"), its TZID parameter (or NULL), and the instant in
	 * UTC (0 when it is a date or the zone cannot be resolved). A TZID
	 * that is an IANA name uses our zone data; another (Outlook's
	 * "W. Europe Standard Time") the reply's own VTIMEZONE, if its rules
	 * are plain yearly ones (anything else could keep libical busy for
	 * hours, so it is not used).
	 */
	char *recurrence_id;
	char *recurrence_tzid;
	time_t recurrence_utc;
	int sequence;		/* 0 if absent */
	time_t dtstamp;		/* 0 if absent or unreadable */
	/*
	 * The attendee: the one ATTENDEE, or of several the first whose
	 * PARTSTAT is not NEEDS-ACTION (else the first). Address without
	 * "mailto:", trimmed, lower-cased; name is its CN or NULL.
	 */
	char *attendee;
	char *attendee_name;
	/* "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION"
	 * (also when the parameter is missing, RFC 5545's default) or what
	 * else the client wrote, upper-cased. */
	char *partstat;
	char *comment;		/* the VEVENT's COMMENT (a note), or NULL */
};

/*
 * Parses one calendar part (text/calendar or application/ics body, already
 * transfer-decoded, charset UTF-8; need not be NUL-terminated; at most
 * 4 MiB). Tolerates a UTF-8 BOM, LF-only line ends, folded lines, X-
 * properties and parameters, a missing ORGANIZER or METHOD, several
 * VEVENTs (the first with an ATTENDEE wins) and several ATTENDEEs.
 * BEGIN/END nesting is checked before libical sees the text (libical
 * would print warnings to stderr for some malformed input).
 * Returns 0 and fills *out (free with ical_reply_free()), or -1 with *out
 * zeroed and *errstr (caller frees; may be NULL), e.g. "empty calendar
 * data", "not a calendar", "incomplete or malformed calendar", "no
 * VEVENT", "VEVENT has no UID", "no ATTENDEE", "ATTENDEE is not an e-mail
 * address", "malformed calendar (BEGIN/END do not match)". Never
 * crashes on malformed input (fuzzed under ASan).
 */
int ical_parse_reply(const char *data, size_t len, struct ical_reply *out,
    char **errstr);

/* Frees the strings of r and zeroes it (r may be NULL). */
void ical_reply_free(struct ical_reply *r);

/*
 * Releases libical's cached time zones and buffers (at exit, so leak
 * checkers see a clean heap). The module works again afterwards.
 */
void ical_cleanup(void);

#endif
