/*
 * icalreply: parsing an attendee's iTIP reply (ical_parse_reply()):
 * structural checks before libical sees the text, then the fields of
 * struct ical_reply, through libical 3.0.
 *
 * libical 3.0.16 notes, checked on Debian 12's libical3 3.0.16:
 *  - Expanding a VTIMEZONE with a FREQ=SECONDLY rule from year 1 takes
 *    libical hours: replies' VTIMEZONEs are only used when plainly yearly.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "icalpriv.h"
#include "util.h"

#define REPLY_MAX	(4 * 1024 * 1024) /* larger "replies" are refused */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static char *
upper_dup(const char *s)
{
	char *u = xstrdup(s), *p;

	for (p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* "MAILTO:Jo@Example.ORG " -> "jo@example.org", or NULL if no address. */
static char *
normalise_address(const char *v)
{
	char *a, *p, *start, *end;

	if (v == NULL)
		return NULL;
	while (isspace((unsigned char)*v))
		v++;
	if (strncasecmp(v, "mailto:", 7) == 0)
		v += 7;
	a = xstrdup(v);
	start = str_trim(a);
	for (p = start; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	end = strchr(start, '@');
	if (end == NULL || end == start || end[1] == '\0' ||
	    strpbrk(start, " \t\r\n<>\"") != NULL ||
	    !utf8_valid(start, strlen(start))) {
		free(a);
		return NULL;
	}
	memmove(a, start, strlen(start) + 1);
	return a;
}

/* The PARTSTAT of an ATTENDEE, upper case; NEEDS-ACTION if missing. */
static char *
attendee_partstat(icalproperty *p)
{
	icalparameter *par;
	const char *eq;
	char *s, *out;

	par = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	if (par == NULL)
		return xstrdup("NEEDS-ACTION");
	s = icalparameter_as_ical_string_r(par);
	if (s == NULL || (eq = strchr(s, '=')) == NULL || eq[1] == '\0')
		out = xstrdup("NEEDS-ACTION");
	else
		out = upper_dup(eq + 1);
	icalmemory_free_buffer(s);
	return out;
}

static int
by_count(const short *a, int size)
{
	int n = 0;

	while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

/* A yearly rule with a handful of dates per year, like every real zone. */
static int
tz_rule_cheap(const struct icalrecurrencetype *r)
{
	return r->freq == ICAL_YEARLY_RECURRENCE && r->interval >= 1 &&
	    by_count(r->by_second, ICAL_BY_SECOND_SIZE) == 0 &&
	    by_count(r->by_minute, ICAL_BY_MINUTE_SIZE) == 0 &&
	    by_count(r->by_hour, ICAL_BY_HOUR_SIZE) == 0 &&
	    by_count(r->by_year_day, ICAL_BY_YEARDAY_SIZE) == 0 &&
	    by_count(r->by_week_no, ICAL_BY_WEEKNO_SIZE) == 0 &&
	    by_count(r->by_day, ICAL_BY_DAY_SIZE) <= 7 &&
	    by_count(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) <= 7 &&
	    by_count(r->by_month, ICAL_BY_MONTH_SIZE) <= 2;
}

/*
 * The reply's VTIMEZONE named tzid, if libical can expand it cheaply:
 * only yearly rules with few dates a year (a hostile FREQ=SECONDLY rule,
 * or a YEARLY one with BYMINUTE/BYSECOND lists, from year 1 keeps libical
 * expanding for hours) and a sane number of observances.
 */
static icalcomponent *
reply_vtimezone(icalcomponent *vcal, const char *tzid)
{
	icalcomponent *vtz, *obs;
	icalproperty *p;
	struct icalrecurrencetype r;
	int n, nrules;

	for (vtz = icalcomponent_get_first_component(vcal,
	    ICAL_VTIMEZONE_COMPONENT); vtz != NULL;
	    vtz = icalcomponent_get_next_component(vcal,
	    ICAL_VTIMEZONE_COMPONENT)) {
		p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
		if (p != NULL && icalproperty_get_tzid(p) != NULL &&
		    strcmp(icalproperty_get_tzid(p), tzid) == 0)
			break;
	}
	if (vtz == NULL)
		return NULL;
	n = 0;
	nrules = 0;
	for (obs = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	    obs != NULL; obs = icalcomponent_get_next_component(vtz,
	    ICAL_ANY_COMPONENT)) {
		if (++n > 64)
			return NULL;
		for (p = icalcomponent_get_first_property(obs,
		    ICAL_RRULE_PROPERTY); p != NULL;
		    p = icalcomponent_get_next_property(obs,
		    ICAL_RRULE_PROPERTY)) {
			icalrecur_iterator *it;

			/* Real zones need a rule for summer and one for
			 * winter, a few more with their history. A rule no
			 * date can match (FREQ=YEARLY;BYMONTH=2;
			 * BYMONTHDAY=30) makes libical search for years:
			 * refuse those too (tests/fuzz/findings). */
			r = icalproperty_get_rrule(p);
			if (++nrules > 8 || !tz_rule_cheap(&r))
				return NULL;
			it = icalrecur_iterator_new(r,
			    icaltime_from_string("20000101T000000"));
			if (it == NULL)
				return NULL;
			icalrecur_iterator_free(it);
		}
	}
	return vtz;
}

/* t as a UTC instant: builtin IANA zone first, then the reply's own
 * VTIMEZONE (Outlook's "W. Europe Standard Time"); 0 if unknown. */
static time_t
reply_instant(icalcomponent *vcal, struct icaltimetype t, const char *tzid)
{
	icaltimezone *z;

	if (icaltime_is_null_time(t) || t.is_date || !icaltime_is_valid_time(t))
		return 0;
	if (icaltime_is_utc(t) || tzid == NULL)	/* floating read as UTC */
		return ical_wall_as_if_utc(t.year, t.month, t.day, t.hour,
		    t.minute, t.second);
	if ((z = ical_zone_get(tzid)) != NULL)
		return ical_to_utc(z, t);
	if (vcal != NULL && reply_vtimezone(vcal, tzid) != NULL &&
	    (z = icalcomponent_get_timezone(vcal, tzid)) != NULL)
		return icaltime_as_timet_with_zone(t, z);
	return 0;
}

/*
 * Checks that BEGIN/END lines nest. libical prints a warning to stderr
 * for an unmatched END (it cannot be silenced at run time) and returns
 * nothing useful for a truncated object, so both are told apart here.
 * Lines are read as libical reads them: unfolded, ending at LF (a CR
 * before it dropped), the name being what precedes the first ';' or ':'
 * with trailing white space removed. Returns NULL or the error.
 */
static const char *
check_nesting(const char *s)
{
	char stack[16][32], head[80], *v;
	const char *p = s;
	size_t depth = 0, h, n;
	int begin;

	while (*p) {
		for (h = 0; *p; p++) {
			if (*p == '\n' && (p[1] == ' ' || p[1] == '\t')) {
				p++;		/* fold: drop LF and the blank */
				if (h > 0 && head[h - 1] == '\r')
					h--;
				continue;
			}
			if (*p == '\n') {
				p++;
				break;
			}
			if (h < sizeof(head) - 1)
				head[h++] = *p;
		}
		head[h] = '\0';
		if ((v = strpbrk(head, ";:")) == NULL)
			continue;
		for (n = v - head; n > 0 && isspace((unsigned char)head[n - 1]);
		    n--)
			;
		if (n == 5 && strncasecmp(head, "BEGIN", 5) == 0)
			begin = 1;
		else if (n == 3 && strncasecmp(head, "END", 3) == 0)
			begin = 0;
		else
			continue;
		v++;
		for (n = strlen(v); n > 0 && isspace((unsigned char)v[n - 1]);
		    n--)
			;
		if (n == 0 || n >= sizeof(stack[0]))
			return "malformed calendar (bad BEGIN/END line)";
		if (begin) {
			if (depth == sizeof(stack) / sizeof(stack[0]))
				return "malformed calendar (nested too deeply)";
			memcpy(stack[depth], v, n);
			stack[depth++][n] = '\0';
		} else if (depth == 0 || strncasecmp(stack[depth - 1], v, n) ||
		    stack[depth - 1][n] != '\0')
			return "malformed calendar (BEGIN/END do not match)";
		else
			depth--;
	}
	return depth ? "incomplete or malformed calendar (truncated?)" : NULL;
}

static icalcomponent *
find_vcalendar(icalcomponent *root, int *has_vevent)
{
	icalcomponent *c, *first = NULL;

	*has_vevent = 0;
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
		*has_vevent = icalcomponent_get_first_component(root,
		    ICAL_VEVENT_COMPONENT) != NULL;
		return root;
	}
	for (c = icalcomponent_get_first_component(root,
	    ICAL_VCALENDAR_COMPONENT); c != NULL;
	    c = icalcomponent_get_next_component(root,
	    ICAL_VCALENDAR_COMPONENT)) {
		if (first == NULL)
			first = c;
		if (icalcomponent_get_first_component(c,
		    ICAL_VEVENT_COMPONENT) != NULL) {
			*has_vevent = 1;
			return c;
		}
	}
	return first;
}

static int
reply_fill(icalcomponent *vcal, struct ical_reply *out, char **errstr)
{
	icalcomponent *vev;
	icalproperty *p, *pick = NULL, *first = NULL;
	icalparameter *par;
	struct icaltimetype t;
	const char *s;
	char *ps;

	/* The first VEVENT with an ATTENDEE. */
	for (vev = icalcomponent_get_first_component(vcal,
	    ICAL_VEVENT_COMPONENT); vev != NULL;
	    vev = icalcomponent_get_next_component(vcal,
	    ICAL_VEVENT_COMPONENT))
		if (icalcomponent_get_first_property(vev,
		    ICAL_ATTENDEE_PROPERTY) != NULL)
			break;
	if (vev == NULL) {
		ical_seterr(errstr, "no ATTENDEE");
		return -1;
	}
	if ((s = icalcomponent_get_uid(vev)) == NULL || *s == '\0') {
		ical_seterr(errstr, "VEVENT has no UID");
		return -1;
	}
	out->uid = xstrdup(s);
	for (p = icalcomponent_get_first_property(vev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(vev,
	    ICAL_ATTENDEE_PROPERTY)) {
		if (first == NULL)
			first = p;
		ps = attendee_partstat(p);
		if (strcmp(ps, "NEEDS-ACTION") != 0)
			pick = p;
		free(ps);
		if (pick != NULL)
			break;
	}
	if (pick == NULL)
		pick = first;
	if ((out->attendee = normalise_address(
	    icalproperty_get_attendee(pick))) == NULL) {
		ical_seterr(errstr, "ATTENDEE is not an e-mail address");
		return -1;
	}
	out->partstat = attendee_partstat(pick);
	if ((par = icalproperty_get_first_parameter(pick,
	    ICAL_CN_PARAMETER)) != NULL && (s = icalparameter_get_cn(par)) &&
	    *s != '\0')
		out->attendee_name = xstrdup(s);

	if ((p = icalcomponent_get_first_property(vcal,
	    ICAL_METHOD_PROPERTY)) != NULL) {
		char *m = icalproperty_get_value_as_string_r(p);

		if (m != NULL && *m != '\0')
			out->method = upper_dup(m);
		icalmemory_free_buffer(m);
	}
	if ((p = icalcomponent_get_first_property(vev,
	    ICAL_RECURRENCEID_PROPERTY)) != NULL) {
		t = icalproperty_get_recurrenceid(p);
		if (!icaltime_is_null_time(t)) {
			char *v = icaltime_as_ical_string_r(t);

			out->recurrence_id = dup_or_null(v);
			icalmemory_free_buffer(v);
			if ((par = icalproperty_get_first_parameter(p,
			    ICAL_TZID_PARAMETER)) != NULL)
				out->recurrence_tzid =
				    dup_or_null(icalparameter_get_tzid(par));
			out->recurrence_utc = reply_instant(vcal, t,
			    out->recurrence_tzid);
		}
	}
	if (icalcomponent_get_first_property(vev, ICAL_SEQUENCE_PROPERTY))
		out->sequence = icalcomponent_get_sequence(vev);
	if (icalcomponent_get_first_property(vev, ICAL_DTSTAMP_PROPERTY))
		out->dtstamp = reply_instant(NULL,
		    icalcomponent_get_dtstamp(vev), NULL);
	if ((p = icalcomponent_get_first_property(vev,
	    ICAL_COMMENT_PROPERTY)) != NULL &&
	    (s = icalproperty_get_comment(p)) != NULL && *s != '\0')
		out->comment = xstrdup(s);
	return 0;
}

int
ical_parse_reply(const char *data, size_t len, struct ical_reply *out,
    char **errstr)
{
	icalcomponent *root, *vcal;
	const char *p, *nest;
	char *text;
	int has_vevent, rc;

	ical_init();
	memset(out, 0, sizeof(*out));
	if (data == NULL || len == 0) {
		ical_seterr(errstr, "empty calendar data");
		return -1;
	}
	if (len > REPLY_MAX) {
		ical_seterr(errstr, "calendar data too large (%zu bytes)", len);
		return -1;
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	text = xstrndup(data, len);	/* stops at a NUL inside, too */
	for (p = text; isspace((unsigned char)*p); p++)
		;
	if (strncasecmp(p, "BEGIN:VCALENDAR", 15) != 0) {
		free(text);
		ical_seterr(errstr, "not a calendar (no BEGIN:VCALENDAR)");
		return -1;
	}
	if ((nest = check_nesting(p)) != NULL) {
		free(text);
		ical_seterr(errstr, "%s", nest);
		return -1;
	}
	icalerror_clear_errno();
	root = icalparser_parse_string(p);
	free(text);
	if (root == NULL) {
		ical_seterr(errstr, "incomplete or malformed calendar");
		return -1;
	}
	vcal = find_vcalendar(root, &has_vevent);
	if (vcal == NULL) {
		rc = -1;
		ical_seterr(errstr, "not a calendar (no VCALENDAR)");
	} else if (!has_vevent) {
		rc = -1;
		ical_seterr(errstr, "no VEVENT");
	} else if ((rc = reply_fill(vcal, out, errstr)) == -1)
		ical_reply_free(out);
	icalcomponent_free(root);
	return rc;
}

void
ical_reply_free(struct ical_reply *r)
{
	if (r == NULL)
		return;
	free(r->method);
	free(r->uid);
	free(r->recurrence_id);
	free(r->recurrence_tzid);
	free(r->attendee);
	free(r->attendee_name);
	free(r->partstat);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}
