/*
 * icaltime: the ical module's time arithmetic -- IANA zones, local
 * wall-clock time <-> UTC, RRULE validation and expansion -- and the
 * plumbing the module's other files share (ical_init(), ical_seterr()).
 * Through libical 3.0; see icalpriv.h for who may use it.
 *
 * libical 3.0.16 notes, checked on Debian 12's libical3 3.0.16:
 *  - Debian builds libical without its own zone files: builtin zones are
 *    read from the system's tzdata (zone.tab and the TZif files in
 *    /usr/share/zoneinfo, or $TZDIR). Without them every zone but "UTC"
 *    is unknown; libical3 depends on tzdata, so installing libical-dev
 *    brings it.
 *  - icalerror is set non-fatal once, so no input can make libical abort.
 *  - icalrecur_iterator_set_start() loses the INTERVAL phase of HOURLY
 *    rules (checked against a full walk), so expansions walk from DTSTART
 *    (a daily rule 26 years old takes ~70 ms).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "icalpriv.h"
#include "log.h"
#include "util.h"

#define EXPAND_MAX	2000000		/* iterator steps per expansion */
#define YEAR_MIN	1900
#define YEAR_MAX	2499

void
ical_init(void)
{
	static int done;

	if (!done) {
		icalerror_set_errors_are_fatal(0);
		done = 1;
	}
}

void
ical_seterr(char **errstr, const char *fmt, ...)
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
int
ical_parse_wall(const char *s, struct wall *w)
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

struct icaltimetype
ical_wall_to_ical(const struct wall *w)
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

time_t
ical_wall_as_if_utc(int y, int mo, int d, int h, int mi, int s)
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
icaltimezone *
ical_zone_get(const char *tzid)
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

int
ical_zone_is_utc(icaltimezone *z)
{
	return z == icaltimezone_get_utc_timezone();
}

/* Seconds east of UTC in zone z at the UTC instant t. */
static int
zone_offset_at(icaltimezone *z, time_t t, int *is_dst)
{
	struct icaltimetype tt;
	int dst = 0, off;

	if (ical_zone_is_utc(z)) {
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
	time_t L = ical_wall_as_if_utc(y, mo, d, h, mi, s), ua, ub;
	int oa, ob, va, vb;

	if (ical_zone_is_utc(z))
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

time_t
ical_to_utc(icaltimezone *z, struct icaltimetype t)
{
	return wall_to_utc(z, t.year, t.month, t.day, t.hour, t.minute,
	    t.second);
}

struct icaltimetype
ical_utc_ical(time_t t)
{
	return icaltime_from_timet_with_zone(t, 0,
	    icaltimezone_get_utc_timezone());
}

/* UTC instant -> floating local icaltimetype in z. */
static struct icaltimetype
utc_to_wall_ical(icaltimezone *z, time_t t)
{
	struct icaltimetype tt;

	tt = ical_utc_ical(t + zone_offset_at(z, t, NULL));
	tt.zone = NULL;
	return tt;
}

int
ical_tz_valid(const char *tzid)
{
	return ical_zone_get(tzid) != NULL;
}

int
ical_local_to_utc(const char *tzid, const char *local, time_t *out)
{
	icaltimezone *z = ical_zone_get(tzid);
	struct wall w;

	if (z == NULL || ical_parse_wall(local, &w) == -1)
		return -1;
	*out = wall_to_utc(z, w.y, w.mo, w.d, w.h, w.mi, w.s);
	return 0;
}

int
ical_utc_to_local(const char *tzid, time_t t, struct tm *out)
{
	icaltimezone *z = ical_zone_get(tzid);
	int off, dst;
	time_t l;

	if (z == NULL || t < ical_wall_as_if_utc(YEAR_MIN, 1, 2, 0, 0, 0) ||
	    t > ical_wall_as_if_utc(YEAR_MAX, 12, 30, 0, 0, 0))
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

/* Digits, with at most max of them and an optional sign. */
static int
num_ok(const char *v, size_t n, int sign, size_t max)
{
	if (sign && n > 0 && (*v == '+' || *v == '-')) {
		v++;
		n--;
	}
	return n > 0 && n <= max && strspn(v, "0123456789") >= n;
}

static int
weekday_ok(const char *v, size_t n)
{
	static const char *const days[] = { "MO", "TU", "WE", "TH", "FR",
	    "SA", "SU" };
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < 7; i++)
		if (strncasecmp(v + n - 2, days[i], 2) == 0)
			return n == 2 || num_ok(v, n - 2, 1, 2);
	return 0;
}

/*
 * The RRULE grammar of RFC 5545 3.3.10, checked before libical sees the
 * text: libical skips what it does not understand (a CR/LF and whatever
 * follows, a part twice, trailing garbage), so it is no validator.
 */
static int
rrule_syntax(const char *rrule, char **errstr)
{
	static const char *const names[] = { "FREQ", "UNTIL", "COUNT",
	    "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
	    "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS",
	    "WKST" };
	unsigned seen = 0;
	const char *p = rrule, *eq, *end, *v, *c;
	size_t i, n, nl;

	if (strspn(rrule, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789;=,+-") != strlen(rrule)) {
		ical_seterr(errstr, "RRULE may hold only letters, digits and "
		    "; = , + - (no spaces or line breaks)");
		return -1;
	}
	for (;;) {
		end = p + strcspn(p, ";");
		eq = memchr(p, '=', (size_t)(end - p));
		nl = eq ? (size_t)(eq - p) : 0;
		for (i = 0; eq != NULL && i < sizeof(names) / sizeof(names[0]);
		    i++)
			if (strlen(names[i]) == nl &&
			    strncasecmp(p, names[i], nl) == 0)
				break;
		if (eq == NULL || i == sizeof(names) / sizeof(names[0]) ||
		    eq + 1 == end) {
			ical_seterr(errstr, "invalid RRULE part \"%.*s\"",
			    (int)(end - p), p);
			return -1;
		}
		if (seen & (1u << i)) {
			ical_seterr(errstr, "RRULE has %s twice", names[i]);
			return -1;
		}
		seen |= 1u << i;
		/* each value of a comma list */
		for (v = eq + 1; v < end; v = c + 1) {
			c = memchr(v, ',', (size_t)(end - v));
			if (c == NULL)
				c = end;
			n = (size_t)(c - v);
			if (i == 0 || (n == 0) ||
			    (i <= 3 && c != end) ||
			    (i == 1 && !(num_ok(v, n, 0, 8) && n == 8) &&
			    !(n >= 15 && n <= 16 && v[8] == 'T' &&
			    num_ok(v, 8, 0, 8) && num_ok(v + 9, 6, 0, 6) &&
			    (n == 15 || v[15] == 'Z'))) ||
			    ((i == 2 || i == 3) && !num_ok(v, n, 0, 9)) ||
			    ((i == 7 || i == 13) && !weekday_ok(v, n)) ||
			    (i >= 4 && i != 7 && i != 13 &&
			    !num_ok(v, n, 1, 3))) {
				if (i == 0 && c == end && n > 0)
					break;	/* FREQ: libical knows them */
				ical_seterr(errstr, "invalid RRULE part "
				    "\"%.*s\"", (int)(end - p), p);
				return -1;
			}
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return 0;
}

int
ical_rrule_valid(const char *rrule, char **errstr)
{
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	char *copy, *part, *save, *probe;

	if (rrule == NULL || *rrule == '\0') {
		ical_seterr(errstr, "empty RRULE");
		return -1;
	}
	if (strncasecmp(rrule, "RRULE:", 6) == 0) {
		ical_seterr(errstr, "write the RRULE without \"RRULE:\"");
		return -1;
	}
	if (rrule_syntax(rrule, errstr) < 0)
		return -1;
	if (recur_parse(rrule, &r) == 0) {
		if (r.freq == ICAL_SECONDLY_RECURRENCE ||
		    r.freq == ICAL_MINUTELY_RECURRENCE) {
			ical_seterr(errstr, "RRULE: FREQ=%s is not supported "
			    "(at most HOURLY)", r.freq ==
			    ICAL_SECONDLY_RECURRENCE ? "SECONDLY" : "MINUTELY");
			return -1;
		}
		/* libical refuses to expand part combinations RFC 5545 does
		 * not allow and rules no date can match. */
		if ((it = icalrecur_iterator_new(r,
		    icaltime_from_string("20260101T000000"))) == NULL) {
			ical_seterr(errstr, "RRULE \"%s\" cannot be expanded: "
			    "a combination RFC 5545 does not allow (e.g. "
			    "BYWEEKNO without FREQ=YEARLY) or no date can "
			    "match", rrule);
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
			ical_seterr(errstr, "invalid RRULE part \"%s\"", part);
			free(copy);
			return -1;
		}
		free(probe);
	}
	free(copy);
	if (strstr(rrule, "FREQ=") == NULL)
		ical_seterr(errstr, "RRULE has no FREQ");
	else if (strstr(rrule, "COUNT=") != NULL &&
	    strstr(rrule, "UNTIL=") != NULL)
		ical_seterr(errstr, "RRULE has both COUNT and UNTIL");
	else
		ical_seterr(errstr, "invalid RRULE \"%s\"", rrule);
	return -1;
}

/*
 * Parses rrule for an event starting at the wall time `start` in z.
 * prop: the rule to write, UNTIL made RFC 5545-conformant (UTC date-time
 * for a timed event, a date for an all-day one). iter: the same rule with
 * UNTIL as a wall time, for libical's iterator.
 */
int
ical_recur_prepare(const char *rrule, icaltimezone *z, int is_date,
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
	prop->until = ical_utc_ical(t);
	iter->until = utc_to_wall_ical(z, t);
	return 0;
}

int
ical_next_occurrences(const char *tzid, const char *dtstart_local,
    const char *rrule, time_t after, size_t max, time_t *out, size_t *n)
{
	icaltimezone *z = ical_zone_get(tzid);
	struct icalrecurrencetype prop, iter;
	icalrecur_iterator *it;
	struct icaltimetype o;
	struct wall w;
	long steps = 0;
	time_t t;

	*n = 0;
	if (z == NULL || ical_parse_wall(dtstart_local, &w) == -1)
		return -1;
	if (rrule == NULL) {
		t = wall_to_utc(z, w.y, w.mo, w.d, w.h, w.mi, w.s);
		if (t > after && max > 0)
			out[(*n)++] = t;
		return 0;
	}
	if (ical_recur_prepare(rrule, z, w.is_date, &prop, &iter, NULL) == -1)
		return -1;
	if ((it = icalrecur_iterator_new(iter, ical_wall_to_ical(&w))) == NULL)
		return -1;
	while (*n < max && steps++ < EXPAND_MAX) {
		o = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(o) || o.year > YEAR_MAX)
			break;
		/* No zone is more than 18 hours from UTC: skip the exact
		 * conversion while the wall time is that far before. */
		if (ical_wall_as_if_utc(o.year, o.month, o.day, o.hour,
		    o.minute, o.second) + 18 * 3600 <= after)
			continue;
		t = ical_to_utc(z, o);
		if (t > after)
			out[(*n)++] = t;
	}
	icalrecur_iterator_free(it);
	return 0;
}

/* ---- cleanup ----------------------------------------------------------- */

void
ical_cleanup(void)
{
	icaltimezone_free_builtin_timezones();
	icalmemory_free_ring();
}
