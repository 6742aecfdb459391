/*
 * ical: iCalendar output (iTIP REQUEST/CANCEL, PUBLISH), reply parsing and
 * time-zone arithmetic, all through libical 3.0 (the only user of it).
 *
 * libical 3.0.16 notes, checked on Debian 12's libical3 3.0.16:
 *  - Debian builds libical without its own zone files: builtin zones are
 *    read from the system's tzdata (zone.tab and the TZif files in
 *    /usr/share/zoneinfo, or $TZDIR). Without them every zone but "UTC"
 *    is unknown; libical3 depends on tzdata, so installing libical-dev
 *    brings it. Their TZID carries the prefix
 *    "/freeassociation.sourceforge.net/";
 *    icaltimezone_set_tzid_prefix("") does not remove it. We clone the
 *    zone's VTIMEZONE and rename it, and write TZID parameters ourselves.
 *  - The cloned VTIMEZONE holds the zone's whole history (from 1893 for
 *    Europe/Berlin) and, because TZif files list explicit transitions up
 *    to 2037, one rule pair until 2037 plus another pair after it. Outlook
 *    expects one recurring STANDARD and one DAYLIGHT: we truncate with
 *    icaltimezone_truncate_vtimezone(ms_compatible = 1, which keeps the
 *    rules' original DTSTART as Outlook wants) and then join the pairs
 *    that merely continue each other (vtz_join_continuations()).
 *  - Folding: libical 3.0.16 folds at 75 octets and never inside a UTF-8
 *    sequence (checked with 20,000 random mixes of 1- to 4-octet
 *    characters, and by the unit test). Nothing in libical's API promises
 *    it, so the output is still checked and re-folded at character
 *    boundaries should another build ever cut a line inside a character.
 *  - icalerror is set non-fatal once, so no input can make libical abort.
 *  - icalrecur_iterator_set_start() loses the INTERVAL phase of HOURLY
 *    rules (checked against a full walk), so expansions walk from DTSTART
 *    (a daily rule 26 years old takes ~70 ms).
 *  - Expanding a VTIMEZONE with a FREQ=SECONDLY rule from year 1 takes
 *    libical hours: replies' VTIMEZONEs are only used when plainly yearly.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "ical.h"
#include "log.h"
#include "util.h"

#ifndef RUNDBRIEF_VERSION
#define RUNDBRIEF_VERSION "1.0"
#endif
#define PRODID		"-//rundbrief//rundbrief " RUNDBRIEF_VERSION "//DE"
#define FOLD_MAX	75		/* octets per line, CRLF excluded */
#define REPLY_MAX	(4 * 1024 * 1024) /* larger "replies" are refused */
#define ALARM_MAX	(366L * 86400)
#define EXPAND_MAX	2000000		/* iterator steps per expansion */
#define YEAR_MIN	1900
#define YEAR_MAX	2499

struct wall {
	int y, mo, d, h, mi, s;
	int is_date;
};

static void
ical_init(void)
{
	static int done;

	if (!done) {
		icalerror_set_errors_are_fatal(0);
		done = 1;
	}
}

static void
seterr(char **errstr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seterr(char **errstr, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (errstr == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("out of memory in ical");
	va_end(ap);
	*errstr = s;
}

/* ---- dates, zones ------------------------------------------------------ */

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" ('T' allowed). */
static int
parse_wall(const char *s, struct wall *w)
{
	size_t len;

	memset(w, 0, sizeof(*w));
	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len != 10 && len != 16 && len != 19)
		return -1;
	if (digits(s, 4, &w->y) || s[4] != '-' || digits(s + 5, 2, &w->mo) ||
	    s[7] != '-' || digits(s + 8, 2, &w->d))
		return -1;
	if (len == 10)
		w->is_date = 1;
	else if ((s[10] != ' ' && s[10] != 'T') || digits(s + 11, 2, &w->h) ||
	    s[13] != ':' || digits(s + 14, 2, &w->mi) ||
	    (len == 19 && (s[16] != ':' || digits(s + 17, 2, &w->s))))
		return -1;
	if (w->y < YEAR_MIN || w->y > YEAR_MAX || w->mo < 1 || w->mo > 12 ||
	    w->d < 1 || w->d > icaltime_days_in_month(w->mo, w->y) ||
	    w->h > 23 || w->mi > 59 || w->s > 59)
		return -1;
	return 0;
}

static struct icaltimetype
wall_to_ical(const struct wall *w)
{
	struct icaltimetype t = icaltime_null_time();

	t.year = w->y;
	t.month = w->mo;
	t.day = w->d;
	if (w->is_date)
		t.is_date = 1;
	else {
		t.hour = w->h;
		t.minute = w->mi;
		t.second = w->s;
	}
	return t;
}

static time_t
wall_as_if_utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* The zone for an IANA name, or NULL. Names are checked before libical
 * sees them: it builds a file path from them. */
static icaltimezone *
zone_get(const char *tzid)
{
	const char *p;

	ical_init();
	if (tzid == NULL || *tzid == '\0' || strlen(tzid) > 64 ||
	    tzid[0] == '/' || strstr(tzid, "..") != NULL)
		return NULL;
	for (p = tzid; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return NULL;
	return icaltimezone_get_builtin_timezone(tzid);
}

static int
zone_is_utc(icaltimezone *z)
{
	return z == icaltimezone_get_utc_timezone();
}

/* Seconds east of UTC in zone z at the UTC instant t. */
static int
zone_offset_at(icaltimezone *z, time_t t, int *is_dst)
{
	struct icaltimetype tt;
	int dst = 0, off;

	if (zone_is_utc(z)) {
		if (is_dst != NULL)
			*is_dst = 0;
		return 0;
	}
	tt = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	off = icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
	if (is_dst != NULL)
		*is_dst = dst;
	return off;
}

/*
 * Local wall-clock time -> UTC. With the offsets a day before (oa) and a
 * day after (ob), the candidates are L - oa and L - ob; a candidate is
 * right if the zone has that offset at it. Two right ones: overlap, take
 * the earlier. None: a gap, use the offset from before the change, which
 * moves the time forward by the gap.
 */
static time_t
wall_to_utc(icaltimezone *z, int y, int mo, int d, int h, int mi, int s)
{
	time_t L = wall_as_if_utc(y, mo, d, h, mi, s), ua, ub;
	int oa, ob, va, vb;

	if (zone_is_utc(z))
		return L;
	oa = zone_offset_at(z, L - 86400, NULL);
	ob = zone_offset_at(z, L + 86400, NULL);
	ua = L - oa;
	ub = L - ob;
	va = zone_offset_at(z, ua, NULL) == oa;
	vb = zone_offset_at(z, ub, NULL) == ob;
	if (va && vb)
		return ua < ub ? ua : ub;
	if (vb)
		return ub;
	return ua;
}

static time_t
ical_to_utc(icaltimezone *z, struct icaltimetype t)
{
	return wall_to_utc(z, t.year, t.month, t.day, t.hour, t.minute,
	    t.second);
}

static struct icaltimetype
utc_ical(time_t t)
{
	return icaltime_from_timet_with_zone(t, 0,
	    icaltimezone_get_utc_timezone());
}

/* UTC instant -> floating local icaltimetype in z. */
static struct icaltimetype
utc_to_wall_ical(icaltimezone *z, time_t t)
{
	struct icaltimetype tt;

	tt = utc_ical(t + zone_offset_at(z, t, NULL));
	tt.zone = NULL;
	return tt;
}

int
ical_tz_valid(const char *tzid)
{
	return zone_get(tzid) != NULL;
}

int
ical_local_to_utc(const char *tzid, const char *local, time_t *out)
{
	icaltimezone *z = zone_get(tzid);
	struct wall w;

	if (z == NULL || parse_wall(local, &w) == -1)
		return -1;
	*out = wall_to_utc(z, w.y, w.mo, w.d, w.h, w.mi, w.s);
	return 0;
}

int
ical_utc_to_local(const char *tzid, time_t t, struct tm *out)
{
	icaltimezone *z = zone_get(tzid);
	int off, dst;
	time_t l;

	if (z == NULL || t < wall_as_if_utc(YEAR_MIN, 1, 2, 0, 0, 0) ||
	    t > wall_as_if_utc(YEAR_MAX, 12, 30, 0, 0, 0))
		return -1;
	off = zone_offset_at(z, t, &dst);
	l = t + off;
	if (gmtime_r(&l, out) == NULL)
		return -1;
	out->tm_isdst = dst ? 1 : 0;
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
	return 0;
}

/* ---- RRULE ------------------------------------------------------------- */

static int
recur_parse(const char *s, struct icalrecurrencetype *r)
{
	ical_init();
	icalerror_clear_errno();
	*r = icalrecurrencetype_from_string(s);
	if (r->rscale != NULL) {	/* RFC 7529: strdup()ed, unsupported */
		free(r->rscale);
		r->rscale = NULL;
		return -1;
	}
	if (icalerrno != ICAL_NO_ERROR || r->freq == ICAL_NO_RECURRENCE)
		return -1;
	return 0;
}

int
ical_rrule_valid(const char *rrule, char **errstr)
{
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	char *copy, *part, *save, *probe;

	if (rrule == NULL || *rrule == '\0') {
		seterr(errstr, "empty RRULE");
		return -1;
	}
	if (strncasecmp(rrule, "RRULE:", 6) == 0) {
		seterr(errstr, "write the RRULE without \"RRULE:\"");
		return -1;
	}
	if (recur_parse(rrule, &r) == 0) {
		if (r.freq == ICAL_SECONDLY_RECURRENCE ||
		    r.freq == ICAL_MINUTELY_RECURRENCE) {
			seterr(errstr, "RRULE: FREQ=%s is not supported (at "
			    "most HOURLY)", r.freq == ICAL_SECONDLY_RECURRENCE ?
			    "SECONDLY" : "MINUTELY");
			return -1;
		}
		/* libical refuses to expand part combinations RFC 5545 does
		 * not allow and rules no date can match. */
		if ((it = icalrecur_iterator_new(r,
		    icaltime_from_string("20260101T000000"))) == NULL) {
			seterr(errstr, "RRULE \"%s\" cannot be expanded: a "
			    "combination RFC 5545 does not allow (e.g. BYWEEKNO "
			    "without FREQ=YEARLY) or no date can match", rrule);
			return -1;
		}
		icalrecur_iterator_free(it);
		return 0;
	}
	/* Name the first part that is wrong on its own. */
	copy = xstrdup(rrule);
	for (part = strtok_r(copy, ";", &save); part != NULL;
	    part = strtok_r(NULL, ";", &save)) {
		if (strncmp(part, "FREQ=", 5) == 0)
			probe = xstrdup(part);
		else
			probe = xasprintf("FREQ=YEARLY;%s", part);
		if (recur_parse(probe, &r) == -1) {
			free(probe);
			seterr(errstr, "invalid RRULE part \"%s\"", part);
			free(copy);
			return -1;
		}
		free(probe);
	}
	free(copy);
	if (strstr(rrule, "FREQ=") == NULL)
		seterr(errstr, "RRULE has no FREQ");
	else if (strstr(rrule, "COUNT=") != NULL &&
	    strstr(rrule, "UNTIL=") != NULL)
		seterr(errstr, "RRULE has both COUNT and UNTIL");
	else
		seterr(errstr, "invalid RRULE \"%s\"", rrule);
	return -1;
}

/*
 * Parses rrule for an event starting at the wall time `start` in z.
 * prop: the rule to write, UNTIL made RFC 5545-conformant (UTC date-time
 * for a timed event, a date for an all-day one). iter: the same rule with
 * UNTIL as a wall time, for libical's iterator.
 */
static int
recur_prepare(const char *rrule, icaltimezone *z, int is_date,
    struct icalrecurrencetype *prop, struct icalrecurrencetype *iter,
    char **errstr)
{
	struct icaltimetype u;
	time_t t;

	if (ical_rrule_valid(rrule, errstr) == -1 || recur_parse(rrule, prop))
		return -1;
	*iter = *prop;
	u = prop->until;
	if (icaltime_is_null_time(u))
		return 0;
	if (is_date) {
		u.is_date = 1;
		u.hour = u.minute = u.second = 0;
		u.zone = NULL;
		prop->until = iter->until = u;
		return 0;
	}
	if (icaltime_is_utc(u)) {
		t = icaltime_as_timet_with_zone(u,
		    icaltimezone_get_utc_timezone());
	} else if (u.is_date) {
		/* The whole last day counts. */
		t = wall_to_utc(z, u.year, u.month, u.day, 23, 59, 59);
	} else
		t = ical_to_utc(z, u);
	prop->until = utc_ical(t);
	iter->until = utc_to_wall_ical(z, t);
	return 0;
}

int
ical_next_occurrences(const char *tzid, const char *dtstart_local,
    const char *rrule, time_t after, size_t max, time_t *out, size_t *n)
{
	icaltimezone *z = zone_get(tzid);
	struct icalrecurrencetype prop, iter;
	icalrecur_iterator *it;
	struct icaltimetype o;
	struct wall w;
	long steps = 0;
	time_t t;

	*n = 0;
	if (z == NULL || parse_wall(dtstart_local, &w) == -1)
		return -1;
	if (rrule == NULL) {
		t = wall_to_utc(z, w.y, w.mo, w.d, w.h, w.mi, w.s);
		if (t > after && max > 0)
			out[(*n)++] = t;
		return 0;
	}
	if (recur_prepare(rrule, z, w.is_date, &prop, &iter, NULL) == -1)
		return -1;
	if ((it = icalrecur_iterator_new(iter, wall_to_ical(&w))) == NULL)
		return -1;
	while (*n < max && steps++ < EXPAND_MAX) {
		o = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(o) || o.year > YEAR_MAX)
			break;
		/* No zone is more than 18 hours from UTC: skip the exact
		 * conversion while the wall time is that far before. */
		if (wall_as_if_utc(o.year, o.month, o.day, o.hour, o.minute,
		    o.second) + 18 * 3600 <= after)
			continue;
		t = ical_to_utc(z, o);
		if (t > after)
			out[(*n)++] = t;
	}
	icalrecur_iterator_free(it);
	return 0;
}

/* ---- VTIMEZONE --------------------------------------------------------- */

static int
rules_equal_but_until(struct icalrecurrencetype a,
    struct icalrecurrencetype b)
{
	char *sa, *sb;
	int eq;

	a.until = b.until = icaltime_null_time();
	sa = icalrecurrencetype_as_string_r(&a);
	sb = icalrecurrencetype_as_string_r(&b);
	eq = sa != NULL && sb != NULL && strcmp(sa, sb) == 0;
	icalmemory_free_buffer(sa);
	icalmemory_free_buffer(sb);
	return eq;
}

static int
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * b continues a: same kind, offsets and name, the same yearly rule, and
 * b's DTSTART is the occurrence of a's rule that follows a's UNTIL.
 */
static int
obs_continues(icalcomponent *a, icalcomponent *b)
{
	icalproperty *ra, *rb, *p, *q;
	struct icalrecurrencetype rule;
	struct icaltimetype start_a, start_b, until, o;
	icalrecur_iterator *it;
	int from_a, ok = 0, i;

	if (icalcomponent_isa(a) != icalcomponent_isa(b) ||
	    (ra = icalcomponent_get_first_property(a, ICAL_RRULE_PROPERTY)) ==
	    NULL ||
	    (rb = icalcomponent_get_first_property(b, ICAL_RRULE_PROPERTY)) ==
	    NULL)
		return 0;
	rule = icalproperty_get_rrule(ra);
	if (icaltime_is_null_time(rule.until) ||
	    !rules_equal_but_until(rule, icalproperty_get_rrule(rb)))
		return 0;
#define PROP(c, k) icalcomponent_get_first_property((c), (k))
	if (PROP(a, ICAL_TZOFFSETFROM_PROPERTY) == NULL ||
	    PROP(b, ICAL_TZOFFSETFROM_PROPERTY) == NULL ||
	    PROP(a, ICAL_TZOFFSETTO_PROPERTY) == NULL ||
	    PROP(b, ICAL_TZOFFSETTO_PROPERTY) == NULL ||
	    PROP(a, ICAL_DTSTART_PROPERTY) == NULL ||
	    PROP(b, ICAL_DTSTART_PROPERTY) == NULL)
		return 0;
	from_a = icalproperty_get_tzoffsetfrom(PROP(a,
	    ICAL_TZOFFSETFROM_PROPERTY));
	if (from_a != icalproperty_get_tzoffsetfrom(PROP(b,
	    ICAL_TZOFFSETFROM_PROPERTY)) ||
	    icalproperty_get_tzoffsetto(PROP(a, ICAL_TZOFFSETTO_PROPERTY)) !=
	    icalproperty_get_tzoffsetto(PROP(b, ICAL_TZOFFSETTO_PROPERTY)))
		return 0;
	p = PROP(a, ICAL_TZNAME_PROPERTY);
	q = PROP(b, ICAL_TZNAME_PROPERTY);
	if (!same_text(p ? icalproperty_get_tzname(p) : NULL,
	    q ? icalproperty_get_tzname(q) : NULL))
		return 0;
	start_a = icalproperty_get_dtstart(PROP(a, ICAL_DTSTART_PROPERTY));
	start_b = icalproperty_get_dtstart(PROP(b, ICAL_DTSTART_PROPERTY));
#undef PROP
	/* UNTIL is the last onset in UTC; onsets are local (offset_from). */
	until = rule.until;
	icaltime_adjust(&until, 0, 0, 0, from_a);
	until.zone = NULL;
	rule.until = icaltime_null_time();
	if ((it = icalrecur_iterator_new(rule, start_a)) == NULL)
		return 0;
	for (i = 0; i < 1000; i++) {
		o = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(o))
			break;
		if (icaltime_compare(o, until) > 0) {
			ok = icaltime_compare(o, start_b) == 0;
			break;
		}
	}
	icalrecur_iterator_free(it);
	return ok;
}

/* Joins each rule that only continues an earlier identical rule into it. */
static void
vtz_join_continuations(icalcomponent *vtz)
{
	icalcomponent *obs[64], *c;
	icalproperty *ra;
	struct icalrecurrencetype rule;
	size_t n, i, j;
	int joined;

	do {
		/* Collected first: libical has one component iterator per
		 * parent, which nested loops would disturb. */
		n = 0;
		for (c = icalcomponent_get_first_component(vtz,
		    ICAL_ANY_COMPONENT); c != NULL && n < 64;
		    c = icalcomponent_get_next_component(vtz,
		    ICAL_ANY_COMPONENT))
			obs[n++] = c;
		joined = 0;
		for (i = 0; i < n && !joined; i++)
			for (j = 0; j < n && !joined; j++) {
				if (i == j || !obs_continues(obs[i], obs[j]))
					continue;
				ra = icalcomponent_get_first_property(obs[i],
				    ICAL_RRULE_PROPERTY);
				rule = icalproperty_get_rrule(ra);
				rule.until = icalproperty_get_rrule(
				    icalcomponent_get_first_property(obs[j],
				    ICAL_RRULE_PROPERTY)).until;
				icalproperty_set_rrule(ra, rule);
				icalcomponent_remove_component(vtz, obs[j]);
				icalcomponent_free(obs[j]);
				joined = 1;
			}
	} while (joined);
}

/*
 * Adds to vcal the VTIMEZONE for zone z under the name tzid, cut to the
 * era from `from` (UTC) on. UTC needs none. Returns 0, or -1 if libical
 * has no VTIMEZONE for the zone.
 */
static int
add_vtimezone(icalcomponent *vcal, icaltimezone *z, const char *tzid,
    time_t from, char **errstr)
{
	icalcomponent *orig, *vtz;
	icalproperty *p;

	if (zone_is_utc(z))
		return 0;
	if ((orig = icaltimezone_get_component(z)) == NULL) {
		seterr(errstr, "no VTIMEZONE for time zone \"%s\"", tzid);
		return -1;
	}
	vtz = icalcomponent_new_clone(orig);
	if ((p = icalcomponent_get_first_property(vtz,
	    ICAL_TZID_PROPERTY)) != NULL)
		icalproperty_set_tzid(p, tzid);
	else
		icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
	/* A year of margin: a zone without DST gets one observance, which
	 * must not start exactly at the event. */
	icaltimezone_truncate_vtimezone(vtz, utc_ical(from - 366L * 86400),
	    icaltime_null_time(), 1);
	vtz_join_continuations(vtz);
	icalcomponent_add_component(vcal, vtz);
	return 0;
}

/* ---- text checks ------------------------------------------------------- */

/* Copy with CR/LF/TAB and other control characters as spaces; newline
 * kept (CRLF -> LF) when multiline. */
static char *
clean_text(const char *s, int multiline)
{
	char *out = xmalloc(strlen(s) + 1), *q = out;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' && p[1] == '\n' && multiline)
			continue;
		if ((*p == '\n' || *p == '\r') && multiline)
			*q++ = '\n';
		else if (*p < 0x20 || *p == 0x7f)
			*q++ = ' ';
		else
			*q++ = (char)*p;
	}
	*q = '\0';
	return out;
}

/* A CN parameter value: one line, no DQUOTE (not encodable for Outlook). */
static char *
clean_name(const char *s)
{
	char *n = clean_text(s, 0), *p;

	for (p = n; *p; p++)
		if (*p == '"')
			*p = '\'';
	return n;
}

static int
text_ok(const char *what, const char *s, char **errstr)
{
	if (s != NULL && !utf8_valid(s, strlen(s))) {
		seterr(errstr, "%s is not valid UTF-8", what);
		return 0;
	}
	return 1;
}

static int
email_ok(const char *what, const char *s, char **errstr)
{
	const unsigned char *p;
	const char *at;

	if (s == NULL || *s == '\0' || (at = strchr(s, '@')) == NULL ||
	    at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		goto bad;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("\"<>,;:()\\", *p))
			goto bad;
	return 1;
bad:
	seterr(errstr, "%s: invalid e-mail address \"%s\"", what,
	    s ? s : "(none)");
	return 0;
}

static int
uri_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '"')
			return 0;
	return *s != '\0';
}

/* ---- building ---------------------------------------------------------- */

static icalproperty *
person(icalproperty *p, const char *name)
{
	char *n;

	if (name != NULL && *name != '\0') {
		n = clean_name(name);
		icalproperty_add_parameter(p, icalparameter_new_cn(n));
		free(n);
	}
	return p;
}

static icalproperty *
time_prop(icalproperty *p, const char *tzid, icaltimezone *z)
{
	if (z != NULL && !zone_is_utc(z))
		icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

static void
add_text(icalcomponent *c, icalproperty *(*mk)(const char *), const char *s,
    int multiline)
{
	char *t;

	if (s == NULL || *s == '\0')
		return;
	t = clean_text(s, multiline);
	icalcomponent_add_property(c, mk(t));
	free(t);
}

/*
 * The VEVENT for ev. *z_out gets the zone of a timed event (NULL for an
 * all-day one) and *start_utc its start, for the VTIMEZONE.
 */
static icalcomponent *
build_vevent(const struct ical_event *ev, int cancel, time_t dtstamp,
    const char *org_name, const char *org_email, icaltimezone **z_out,
    time_t *start_utc, char **errstr)
{
	struct icalrecurrencetype rprop, riter;
	struct icaltimetype ts, te, first;
	icalrecur_iterator *it;
	icalcomponent *vev;
	icaltimezone *z = NULL;
	struct wall ws, we;
	const char *endstr;
	int all_day = ev->all_day != 0;

	*z_out = NULL;
	if (ev->uid == NULL || *ev->uid == '\0' || !uri_ok(ev->uid)) {
		seterr(errstr, "event has no usable UID");
		return NULL;
	}
	if (ev->summary == NULL || *ev->summary == '\0') {
		seterr(errstr, "event %s has no summary", ev->uid);
		return NULL;
	}
	if (!text_ok("summary", ev->summary, errstr) ||
	    !text_ok("description", ev->description, errstr) ||
	    !text_ok("location", ev->location, errstr) ||
	    !text_ok("organizer name", org_name, errstr) ||
	    !email_ok("organizer", org_email, errstr))
		return NULL;
	if (ev->url != NULL && (!uri_ok(ev->url) ||
	    !utf8_valid(ev->url, strlen(ev->url)))) {
		seterr(errstr, "event %s: invalid URL", ev->uid);
		return NULL;
	}
	if (ev->sequence < 0) {
		seterr(errstr, "event %s: negative SEQUENCE", ev->uid);
		return NULL;
	}
	endstr = ev->end;
	if (all_day && endstr == NULL)
		endstr = ev->start;
	if (parse_wall(ev->start, &ws) == -1 || endstr == NULL ||
	    parse_wall(endstr, &we) == -1 || ws.is_date != all_day ||
	    we.is_date != all_day) {
		seterr(errstr, "event %s: start/end must be %s", ev->uid,
		    all_day ? "\"YYYY-MM-DD\"" : "\"YYYY-MM-DD HH:MM\"");
		return NULL;
	}
	ts = wall_to_ical(&ws);
	te = wall_to_ical(&we);
	if (all_day) {
		icaltime_adjust(&te, 1, 0, 0, 0);	/* inclusive -> exclusive */
		*start_utc = wall_as_if_utc(ws.y, ws.mo, ws.d, 0, 0, 0);
	} else {
		if ((z = zone_get(ev->tzid)) == NULL) {
			seterr(errstr, "event %s: unknown time zone \"%s\" "
			    "(is tzdata installed?)", ev->uid,
			    ev->tzid ? ev->tzid : "(none)");
			return NULL;
		}
		*start_utc = ical_to_utc(z, ts);
	}
	if (all_day ? icaltime_compare(te, ts) <= 0 :
	    ical_to_utc(z, te) <= *start_utc) {
		seterr(errstr, "event %s ends before it starts", ev->uid);
		return NULL;
	}
	if (ev->rrule != NULL) {
		if (recur_prepare(ev->rrule, z, all_day, &rprop, &riter,
		    errstr) == -1)
			return NULL;
		if ((it = icalrecur_iterator_new(riter, ts)) == NULL) {
			seterr(errstr, "event %s: RRULE not usable", ev->uid);
			return NULL;
		}
		first = icalrecur_iterator_next(it);
		icalrecur_iterator_free(it);
		if (icaltime_is_null_time(first)) {
			seterr(errstr, "event %s: RRULE %s has no occurrence "
			    "from the start on", ev->uid, ev->rrule);
			return NULL;
		}
		if (icaltime_compare(first, ts) != 0) {
			seterr(errstr, "event %s: start %s is not the first "
			    "occurrence of RRULE %s", ev->uid, ev->start,
			    ev->rrule);
			return NULL;
		}
	}

	vev = icalcomponent_new_vevent();
	icalcomponent_add_property(vev, icalproperty_new_uid(ev->uid));
	icalcomponent_add_property(vev,
	    icalproperty_new_dtstamp(utc_ical(dtstamp)));
	icalcomponent_add_property(vev,
	    icalproperty_new_sequence(ev->sequence));
	if (z != NULL && zone_is_utc(z)) {
		ts = utc_ical(*start_utc);
		te = utc_ical(ical_to_utc(z, te));
	}
	icalcomponent_add_property(vev,
	    time_prop(icalproperty_new_dtstart(ts), ev->tzid, z));
	icalcomponent_add_property(vev,
	    time_prop(icalproperty_new_dtend(te), ev->tzid, z));
	if (ev->rrule != NULL)
		icalcomponent_add_property(vev, icalproperty_new_rrule(rprop));
	add_text(vev, icalproperty_new_summary, ev->summary, 0);
	add_text(vev, icalproperty_new_description, ev->description, 1);
	if (ev->location != NULL && *ev->location != '\0')
		add_text(vev, icalproperty_new_location, ev->location, 0);
	else if (ev->url != NULL)
		add_text(vev, icalproperty_new_location, ev->url, 0);
	if (ev->url != NULL)
		icalcomponent_add_property(vev, icalproperty_new_url(ev->url));
	{
		char *mail = xasprintf("mailto:%s", org_email);

		icalcomponent_add_property(vev,
		    person(icalproperty_new_organizer(mail), org_name));
		free(mail);
	}
	icalcomponent_add_property(vev, icalproperty_new_status(
	    cancel || ev->status == ICAL_EVENT_CANCELLED ?
	    ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	if (ev->created != 0)
		icalcomponent_add_property(vev,
		    icalproperty_new_created(utc_ical(ev->created)));
	if (ev->last_modified != 0)
		icalcomponent_add_property(vev, icalproperty_new_lastmodified(
		    utc_ical(ev->last_modified)));
	*z_out = z;
	return vev;
}

static void
add_alarm(icalcomponent *vev, const char *summary, long before)
{
	struct icaltriggertype trig;
	icalcomponent *va;
	char *text;

	memset(&trig, 0, sizeof(trig));
	trig.time = icaltime_null_time();
	trig.duration = icaldurationtype_from_int((int)-before);
	text = clean_text(summary, 0);
	va = icalcomponent_vanew(ICAL_VALARM_COMPONENT,
	    icalproperty_new_action(ICAL_ACTION_DISPLAY),
	    icalproperty_new_description(text),
	    icalproperty_new_trigger(trig), (void *)0);
	free(text);
	icalcomponent_add_component(vev, va);
}

static icalcomponent *
new_vcalendar(icalproperty_method method)
{
	return icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT,
	    icalproperty_new_prodid(PRODID),
	    icalproperty_new_version("2.0"),
	    icalproperty_new_calscale("GREGORIAN"),
	    icalproperty_new_method(method), (void *)0);
}

/* 1 if every CRLF-terminated line is valid UTF-8 of at most 75 octets. */
static int
fold_ok(const char *s)
{
	const char *line = s, *e;

	while (*line) {
		if ((e = strstr(line, "\r\n")) == NULL)
			e = line + strlen(line);
		if (e - line > FOLD_MAX || !utf8_valid(line, e - line))
			return 0;
		line = *e ? e + 2 : e;
	}
	return 1;
}

static size_t
utf8_len(unsigned char c)
{
	if (c < 0xc0)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

/* Unfolds s and folds it again, at character boundaries only. */
static char *
refold(const char *s)
{
	struct buf logical, out;
	const char *p = s, *q;
	size_t col, n;

	buf_init(&logical);
	buf_init(&out);
	while (*p) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' ||
		    p[2] == '\t')) {
			p += 3;		/* continuation: join */
			continue;
		}
		if (p[0] == '\r' && p[1] == '\n') {
			buf_putc(&logical, '\n');
			p += 2;
			continue;
		}
		buf_putc(&logical, *p++);
	}
	col = 0;
	for (q = logical.data; q != NULL && *q; q += n) {
		if (*q == '\n') {
			buf_puts(&out, "\r\n");
			col = 0;
			n = 1;
			continue;
		}
		n = utf8_len((unsigned char)*q);
		if (strnlen(q, n) < n)
			n = strnlen(q, n);
		if (col + n > FOLD_MAX) {
			buf_puts(&out, "\r\n ");
			col = 1;
		}
		buf_append(&out, q, n);
		col += n;
	}
	buf_free(&logical);
	return buf_steal(&out);
}

static char *
finish(icalcomponent *vcal)
{
	char *s, *out;

	s = icalcomponent_as_ical_string_r(vcal);
	icalcomponent_free(vcal);
	if (s == NULL)
		fatalx("libical could not write a calendar");
	if (fold_ok(s))
		out = xstrdup(s);
	else
		out = refold(s);
	icalmemory_free_buffer(s);
	return out;
}

char *
ical_invitation(const struct ical_event *ev, enum ical_method method,
    const char *organizer_name, const char *organizer_email,
    const char *attendee_name, const char *attendee_email,
    long alarm_seconds_before, time_t dtstamp, char **errstr)
{
	icalcomponent *vcal, *vev;
	icalproperty *att;
	icaltimezone *z;
	time_t start;
	char *mail;
	int cancel = method == ICAL_MSG_CANCEL;

	ical_init();
	if (!email_ok("attendee", attendee_email, errstr) ||
	    !text_ok("attendee name", attendee_name, errstr))
		return NULL;
	if (alarm_seconds_before < 0 || alarm_seconds_before > ALARM_MAX) {
		seterr(errstr, "alarm of %ld seconds is out of range",
		    alarm_seconds_before);
		return NULL;
	}
	if ((vev = build_vevent(ev, cancel, dtstamp, organizer_name,
	    organizer_email, &z, &start, errstr)) == NULL)
		return NULL;
	mail = xasprintf("mailto:%s", attendee_email);
	att = person(icalproperty_new_attendee(mail), attendee_name);
	free(mail);
	icalproperty_add_parameter(att,
	    icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
	icalproperty_add_parameter(att,
	    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
	if (!cancel)
		icalproperty_add_parameter(att,
		    icalparameter_new_rsvp(ICAL_RSVP_TRUE));
	icalcomponent_add_property(vev, att);
	if (!cancel && alarm_seconds_before > 0)
		add_alarm(vev, ev->summary, alarm_seconds_before);

	vcal = new_vcalendar(cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST);
	if (z != NULL && add_vtimezone(vcal, z, ev->tzid, start, errstr)) {
		icalcomponent_free(vev);
		icalcomponent_free(vcal);
		return NULL;
	}
	icalcomponent_add_component(vcal, vev);
	return finish(vcal);
}

char *
ical_publish(const struct ical_event *evs, size_t n,
    const char *organizer_name, const char *organizer_email, time_t dtstamp,
    char **errstr)
{
	icalcomponent *vcal, **vevs;
	icaltimezone **zones;
	time_t *starts;
	size_t i, j;
	int rc = 0;

	ical_init();
	vevs = xcalloc(n, sizeof(*vevs));
	zones = xcalloc(n, sizeof(*zones));
	starts = xcalloc(n, sizeof(*starts));
	for (i = 0; i < n; i++) {
		if ((vevs[i] = build_vevent(&evs[i], 0, dtstamp,
		    organizer_name, organizer_email, &zones[i], &starts[i],
		    errstr)) == NULL) {
			while (i-- > 0)
				icalcomponent_free(vevs[i]);
			free(vevs);
			free(zones);
			free(starts);
			return NULL;
		}
	}
	vcal = new_vcalendar(ICAL_METHOD_PUBLISH);
	/* One VTIMEZONE per zone, from the earliest start using it. */
	for (i = 0; i < n; i++) {
		time_t from = starts[i];

		if (zones[i] == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (zones[j] == zones[i])
				break;
		if (j < i)
			continue;
		for (j = i + 1; j < n; j++)
			if (zones[j] == zones[i] && starts[j] < from)
				from = starts[j];
		if ((rc = add_vtimezone(vcal, zones[i], evs[i].tzid, from,
		    errstr)) == -1)
			break;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0)
			icalcomponent_add_component(vcal, vevs[i]);
		else
			icalcomponent_free(vevs[i]);
	}
	free(vevs);
	free(zones);
	free(starts);
	if (rc == -1) {
		icalcomponent_free(vcal);
		return NULL;
	}
	return finish(vcal);
}

/* ---- replies ----------------------------------------------------------- */

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
	int n;

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
	for (obs = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	    obs != NULL; obs = icalcomponent_get_next_component(vtz,
	    ICAL_ANY_COMPONENT)) {
		if (++n > 64)
			return NULL;
		for (p = icalcomponent_get_first_property(obs,
		    ICAL_RRULE_PROPERTY); p != NULL;
		    p = icalcomponent_get_next_property(obs,
		    ICAL_RRULE_PROPERTY)) {
			r = icalproperty_get_rrule(p);
			if (!tz_rule_cheap(&r))
				return NULL;
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
		return wall_as_if_utc(t.year, t.month, t.day, t.hour,
		    t.minute, t.second);
	if ((z = zone_get(tzid)) != NULL)
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
		seterr(errstr, "no ATTENDEE");
		return -1;
	}
	if ((s = icalcomponent_get_uid(vev)) == NULL || *s == '\0') {
		seterr(errstr, "VEVENT has no UID");
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
		seterr(errstr, "ATTENDEE is not an e-mail address");
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
		seterr(errstr, "empty calendar data");
		return -1;
	}
	if (len > REPLY_MAX) {
		seterr(errstr, "calendar data too large (%zu bytes)", len);
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
		seterr(errstr, "not a calendar (no BEGIN:VCALENDAR)");
		return -1;
	}
	if ((nest = check_nesting(p)) != NULL) {
		free(text);
		seterr(errstr, "%s", nest);
		return -1;
	}
	icalerror_clear_errno();
	root = icalparser_parse_string(p);
	free(text);
	if (root == NULL) {
		seterr(errstr, "incomplete or malformed calendar");
		return -1;
	}
	vcal = find_vcalendar(root, &has_vevent);
	if (vcal == NULL) {
		rc = -1;
		seterr(errstr, "not a calendar (no VCALENDAR)");
	} else if (!has_vevent) {
		rc = -1;
		seterr(errstr, "no VEVENT");
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

void
ical_cleanup(void)
{
	icaltimezone_free_builtin_timezones();
	icalmemory_free_ring();
}
