/*
 * ical: iCalendar output -- iTIP REQUEST/CANCEL for one attendee, PUBLISH
 * calendars -- with the VTIMEZONEs they need, through libical 3.0. The
 * zone and RRULE arithmetic is in icaltime.c, reply parsing in
 * icalreply.c (icalpriv.h holds what they share).
 *
 * libical 3.0.16 notes, checked on Debian 12's libical3 3.0.16:
 *  - The builtin zones' TZID carries the prefix
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
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "icalpriv.h"
#include "log.h"
#include "util.h"
#include "version.h"

#define PRODID		"-//rundbrief//rundbrief " RUNDBRIEF_VERSION "//DE"
#define FOLD_MAX	75		/* octets per line, CRLF excluded */
#define ALARM_MAX	(366L * 86400)

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

	if (ical_zone_is_utc(z))
		return 0;
	if ((orig = icaltimezone_get_component(z)) == NULL) {
		ical_seterr(errstr, "no VTIMEZONE for time zone \"%s\"", tzid);
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
	icaltimezone_truncate_vtimezone(vtz, ical_utc_ical(from - 366L * 86400),
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
		ical_seterr(errstr, "%s is not valid UTF-8", what);
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
	ical_seterr(errstr, "%s: invalid e-mail address \"%s\"", what,
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
	if (z != NULL && !ical_zone_is_utc(z))
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
		ical_seterr(errstr, "event has no usable UID");
		return NULL;
	}
	if (ev->summary == NULL || *ev->summary == '\0') {
		ical_seterr(errstr, "event %s has no summary", ev->uid);
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
		ical_seterr(errstr, "event %s: invalid URL", ev->uid);
		return NULL;
	}
	if (ev->sequence < 0) {
		ical_seterr(errstr, "event %s: negative SEQUENCE", ev->uid);
		return NULL;
	}
	endstr = ev->end;
	if (all_day && endstr == NULL)
		endstr = ev->start;
	if (ical_parse_wall(ev->start, &ws) == -1 || endstr == NULL ||
	    ical_parse_wall(endstr, &we) == -1 || ws.is_date != all_day ||
	    we.is_date != all_day) {
		ical_seterr(errstr, "event %s: start/end must be %s", ev->uid,
		    all_day ? "\"YYYY-MM-DD\"" : "\"YYYY-MM-DD HH:MM\"");
		return NULL;
	}
	ts = ical_wall_to_ical(&ws);
	te = ical_wall_to_ical(&we);
	if (all_day) {
		icaltime_adjust(&te, 1, 0, 0, 0);	/* inclusive -> exclusive */
		*start_utc = ical_wall_as_if_utc(ws.y, ws.mo, ws.d, 0, 0, 0);
	} else {
		if ((z = ical_zone_get(ev->tzid)) == NULL) {
			ical_seterr(errstr, "event %s: unknown time zone "
			    "\"%s\" (is tzdata installed?)", ev->uid,
			    ev->tzid ? ev->tzid : "(none)");
			return NULL;
		}
		*start_utc = ical_to_utc(z, ts);
	}
	if (all_day ? icaltime_compare(te, ts) <= 0 :
	    ical_to_utc(z, te) <= *start_utc) {
		ical_seterr(errstr, "event %s ends before it starts", ev->uid);
		return NULL;
	}
	if (ev->rrule != NULL) {
		if (ical_recur_prepare(ev->rrule, z, all_day, &rprop, &riter,
		    errstr) == -1)
			return NULL;
		if ((it = icalrecur_iterator_new(riter, ts)) == NULL) {
			ical_seterr(errstr, "event %s: RRULE not usable",
			    ev->uid);
			return NULL;
		}
		first = icalrecur_iterator_next(it);
		icalrecur_iterator_free(it);
		if (icaltime_is_null_time(first)) {
			ical_seterr(errstr, "event %s: RRULE %s has no "
			    "occurrence from the start on", ev->uid, ev->rrule);
			return NULL;
		}
		if (icaltime_compare(first, ts) != 0) {
			ical_seterr(errstr, "event %s: start %s is not the "
			    "first occurrence of RRULE %s", ev->uid, ev->start,
			    ev->rrule);
			return NULL;
		}
	}

	vev = icalcomponent_new_vevent();
	icalcomponent_add_property(vev, icalproperty_new_uid(ev->uid));
	icalcomponent_add_property(vev,
	    icalproperty_new_dtstamp(ical_utc_ical(dtstamp)));
	icalcomponent_add_property(vev,
	    icalproperty_new_sequence(ev->sequence));
	if (z != NULL && ical_zone_is_utc(z)) {
		ts = ical_utc_ical(*start_utc);
		te = ical_utc_ical(ical_to_utc(z, te));
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
		    icalproperty_new_created(ical_utc_ical(ev->created)));
	if (ev->last_modified != 0)
		icalcomponent_add_property(vev, icalproperty_new_lastmodified(
		    ical_utc_ical(ev->last_modified)));
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
		ical_seterr(errstr, "alarm of %ld seconds is out of range",
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
