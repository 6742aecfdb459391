/*
 * test_ical: calendar output checked by two real parsers (ical.js and
 * python3-icalendar), reply parsing on sample files from Outlook, Gmail,
 * Thunderbird and broken ones, DST arithmetic and RRULE expansion.
 *
 * Includes ical.c to reach its static folding helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../daemon/ical.c"

#define ORG_NAME	"Koordination Flüchtlingshilfe Süd"
#define ORG_MAIL	"koordination@rundbrief.example.org"
#define STAMP		1790000000	/* 2026-09-21T14:13:20Z */
#define REPLIES		"tests/data/replies/"

/* ---- helpers ------------------------------------------------------------ */

static time_t
iso(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	return timegm(&tm);
}

static char *
must_invite(const struct ical_event *ev, enum ical_method m,
    const char *att_name, const char *att_mail, long alarm)
{
	char *err = NULL, *s;

	s = ical_invitation(ev, m, ORG_NAME, ORG_MAIL, att_name, att_mail,
	    alarm, STAMP, &err);
	if (s == NULL)
		fail_msg("ical_invitation: %s", err);
	return s;
}

static void
write_file(const char *dir, const char *name, const char *data)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
	free(path);
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *
jperson(const char *mail, const char *cn)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "email", jstr(mail));
	json_object_object_add(o, "cn", jstr(cn));
	return o;
}

/* Expectations for one event; occ: NULL-terminated list or NULL. */
static json_object *
jevent(const struct ical_event *ev, const char *status, const char *start,
    const char *end, const char *att_mail, const char *att_cn,
    const char *alarm, const char *location, const char *description,
    const char *const *occ)
{
	json_object *o = json_object_new_object(), *a;

	json_object_object_add(o, "uid", jstr(ev->uid));
	json_object_object_add(o, "sequence",
	    json_object_new_int(ev->sequence));
	json_object_object_add(o, "status", jstr(status));
	json_object_object_add(o, "summary", jstr(ev->summary));
	json_object_object_add(o, "description", jstr(description));
	json_object_object_add(o, "location", jstr(location));
	json_object_object_add(o, "url", jstr(ev->url));
	json_object_object_add(o, "tzid", jstr(ev->tzid));
	json_object_object_add(o, "all_day",
	    json_object_new_boolean(ev->all_day));
	json_object_object_add(o, "start", jstr(start));
	json_object_object_add(o, "end", jstr(end));
	json_object_object_add(o, "attendee",
	    att_mail ? jperson(att_mail, att_cn) : NULL);
	json_object_object_add(o, "alarm", jstr(alarm));
	if (occ != NULL) {
		a = json_object_new_array();
		for (; *occ; occ++)
			json_object_array_add(a, jstr(*occ));
		json_object_object_add(o, "occurrences", a);
	}
	return o;
}

/* Writes NAME.ics and NAME.json (method, organizer, events). */
static void
write_case(const char *dir, const char *name, const char *ics,
    const char *method, json_object *events)
{
	json_object *o = json_object_new_object();
	char *fn;

	json_object_object_add(o, "method", jstr(method));
	json_object_object_add(o, "organizer", jperson(ORG_MAIL, ORG_NAME));
	json_object_object_add(o, "events", events);
	fn = xasprintf("%s.ics", name);
	write_file(dir, fn, ics);
	free(fn);
	fn = xasprintf("%s.json", name);
	write_file(dir, fn, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	free(fn);
	json_object_put(o);
}

static json_object *
one(json_object *ev)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, ev);
	return a;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch directory of the current test, removed by its teardown
 * whether the test passed or not. */
static char tmpdir[64];

static int
tmpdir_setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/rundbrief-ical-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
tmpdir_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A new empty directory under tmpdir; caller frees. */
static char *
subdir(const char *name)
{
	char *d = xasprintf("%s/%s", tmpdir, name);

	assert_int_equal(mkdir(d, 0700), 0);
	return d;
}

/* Exit status of both real-parser checkers on dir. */
static void
run_checkers(const char *dir, int quiet, int *node_rc, int *py_rc)
{
	const char *redir = quiet ? " >/dev/null 2>&1" : "";
	char *cmd;
	int st;

	cmd = xasprintf("node tests/integration/ical_check.js '%s'%s", dir,
	    redir);
	st = system(cmd);
	*node_rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	free(cmd);
	cmd = xasprintf("/usr/bin/python3 tests/integration/ical_check.py "
	    "'%s'%s", dir, redir);
	st = system(cmd);
	*py_rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	free(cmd);
}

/* Every line at most 75 octets, valid UTF-8, CRLF-terminated. */
static void
assert_folded(const char *s)
{
	const char *line = s, *e;

	while (*line) {
		e = strstr(line, "\r\n");
		assert_non_null(e);		/* every line ends in CRLF */
		assert_true(e - line <= 75);
		assert_true(utf8_valid(line, e - line));
		assert_null(memchr(line, '\n', e - line));
		line = e + 2;
	}
}

/* s with folded lines joined again. */
static char *
unfold(const char *s)
{
	struct buf b;
	const char *p;

	buf_init(&b);
	for (p = s; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' ||
		    p[2] == '\t')) {
			p += 2;
			continue;
		}
		buf_putc(&b, *p);
	}
	return buf_steal(&b);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* ---- the events --------------------------------------------------------- */

static const char ARABIC_SENTENCE[] =
    "نرحب بجميع المتطوعين في الدورة التدريبية حول الإجراءات الإدارية، "
    "وسنشرح خطوة بخطوة كيفية مرافقة العائلات إلى المكاتب الحكومية. ";

static char *
long_arabic(void)
{
	struct buf b;
	int i;

	buf_init(&b);
	buf_puts(&b, "Beschreibung: Übung für Ehrenamtliche; Größe, Maß.\n");
	for (i = 0; i < 12; i++)
		buf_puts(&b, ARABIC_SENTENCE);
	buf_puts(&b, "\nEnde 😀 – Grüße");
	return buf_steal(&b);
}

static void
test_real_parsers(void **state)
{
	const char *dir = tmpdir;
	char *s, *desc;
	struct ical_event ev, evs[4];
	json_object *a;
	int nrc, prc;
	static const char *const occ_offer[] = { "2026-12-08T17:00:00Z",
	    "2027-01-12T17:00:00Z", "2027-02-09T17:00:00Z", NULL };
	static const char *const occ_dst[] = { "2027-02-09T17:00:00Z",
	    "2027-03-09T17:00:00Z", "2027-04-13T16:00:00Z", NULL };

	(void)state;

	/* Timed, on the autumn DST day. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-1-2026@rundbrief.example.org";
	ev.summary = "Sprachcafé am Sonntag (Zeitumstellung)";
	ev.description = "Bitte pünktlich: die Uhren werden in der Nacht "
	    "zurückgestellt.\r\nZweite Zeile, mit Komma; Semikolon und \\.";
	ev.location = "Stadtteilzentrum, Raum 2";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-10-25 10:00";
	ev.end = "2026-10-25 11:00";
	ev.created = STAMP - 86400;
	ev.last_modified = STAMP - 3600;
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Jörg Müller",
	    "joerg@example.net", 86400);
	write_case(dir, "dst_autumn", s, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2026-10-25T09:00:00Z", "2026-10-25T10:00:00Z",
	    "joerg@example.net", "Jörg Müller", "-P1D", ev.location,
	    "Bitte pünktlich: die Uhren werden in der Nacht zurückgestellt."
	    "\nZweite Zeile, mit Komma; Semikolon und \\.", NULL)));
	free(s);

	/* Update of it (SEQUENCE 1): one hour later. */
	ev.sequence = 1;
	ev.start = "2026-10-25 11:00";
	ev.end = "2026-10-25 12:30";
	s = must_invite(&ev, ICAL_MSG_REQUEST, NULL, "joerg@example.net", 0);
	write_case(dir, "update", s, "REQUEST", one(jevent(&ev, "CONFIRMED",
	    "2026-10-25T10:00:00Z", "2026-10-25T11:30:00Z",
	    "joerg@example.net", NULL, NULL, ev.location,
	    "Bitte pünktlich: die Uhren werden in der Nacht zurückgestellt."
	    "\nZweite Zeile, mit Komma; Semikolon und \\.", NULL)));
	free(s);

	/* Cancellation: METHOD:CANCEL, STATUS:CANCELLED, no alarm. */
	ev.sequence = 2;
	s = must_invite(&ev, ICAL_MSG_CANCEL, "Jörg Müller",
	    "joerg@example.net", 86400);
	write_case(dir, "cancel", s, "CANCEL", one(jevent(&ev, "CANCELLED",
	    "2026-10-25T10:00:00Z", "2026-10-25T11:30:00Z",
	    "joerg@example.net", "Jörg Müller", NULL, ev.location,
	    "Bitte pünktlich: die Uhren werden in der Nacht zurückgestellt."
	    "\nZweite Zeile, mit Komma; Semikolon und \\.", NULL)));
	free(s);

	/* Timed, on the spring DST day. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-2-2027@rundbrief.example.org";
	ev.summary = "Willkommensfrühstück";
	ev.tzid = "Europe/Berlin";
	ev.start = "2027-03-28 10:00";
	ev.end = "2027-03-28 11:00";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Amira Haddad",
	    "amira.haddad@example.com", 1800);
	write_case(dir, "dst_spring", s, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2027-03-28T08:00:00Z", "2027-03-28T09:00:00Z",
	    "amira.haddad@example.com", "Amira Haddad", "-PT30M", NULL, NULL,
	    NULL)));
	free(s);

	/* All-day deadline: DTEND is the next day. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "deadline-7@rundbrief.example.org";
	ev.summary = "Frist: Anmeldung Winterkleiderbörse";
	ev.all_day = 1;
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-12-15";
	ev.end = "2026-12-15";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Kim Schneider",
	    "kim@example.org", 86400);
	write_case(dir, "deadline", s, "REQUEST", one(jevent(&ev, "CONFIRMED",
	    "2026-12-15", "2026-12-16", "kim@example.org", "Kim Schneider",
	    "-P1D", NULL, NULL, NULL)));
	free(s);

	/* Recurring offer, second Tuesday each month. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-3-offer@rundbrief.example.org";
	ev.summary = "Beratungsangebot: Behördengänge";
	ev.location = "Rathaus, Zimmer 12";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-12-08 18:00";
	ev.end = "2026-12-08 20:00";
	ev.rrule = "FREQ=MONTHLY;BYDAY=2TU";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Kim Schneider",
	    "kim@example.org", 0);
	write_case(dir, "recurring", s, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2026-12-08T17:00:00Z", "2026-12-08T19:00:00Z",
	    "kim@example.org", "Kim Schneider", NULL, ev.location, NULL,
	    occ_offer)));
	free(s);

	/* Recurring across the spring change (UTC hour moves), COUNT. */
	ev.uid = "evt-3b-offer@rundbrief.example.org";
	ev.start = "2027-02-09 18:00";
	ev.end = "2027-02-09 20:00";
	ev.rrule = "FREQ=MONTHLY;BYDAY=2TU;COUNT=6";
	s = must_invite(&ev, ICAL_MSG_REQUEST, NULL, "kim@example.org", 0);
	write_case(dir, "recurring_dst", s, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2027-02-09T17:00:00Z", "2027-02-09T19:00:00Z",
	    "kim@example.org", NULL, NULL, ev.location, NULL, occ_dst)));
	free(s);

	/* Online training: URL, and the URL as LOCATION. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-8-online@rundbrief.example.org";
	ev.summary = "Online-Schulung: Asylverfahren, Grundlagen";
	ev.description = "Zugang über den Link.";
	ev.url = "https://meet.example.org/rundbrief-schulung?pw=a,b;c";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-11-03 19:00";
	ev.end = "2026-11-03 20:30";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Lea Wagner",
	    "lea.wagner@example.org", 3600);
	write_case(dir, "online", s, "REQUEST", one(jevent(&ev, "CONFIRMED",
	    "2026-11-03T18:00:00Z", "2026-11-03T19:30:00Z",
	    "lea.wagner@example.org", "Lea Wagner", "-PT1H", ev.url,
	    ev.description, NULL)));
	free(s);

	/* German title with umlauts, long Arabic description. */
	desc = long_arabic();
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-9-ar@rundbrief.example.org";
	ev.summary = "Schulung für Übersetzerinnen und Übersetzer: Ärzte, "
	    "Ämter, Behörden – Größe; Maße";
	ev.description = desc;
	ev.location = "Bürgerhaus Süd, Saal „Österreich“";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-11-14 09:30";
	ev.end = "2026-11-14 16:00";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "سارة الأحمد",
	    "sara@example.org", 86400);
	assert_folded(s);
	write_case(dir, "utf8", s, "REQUEST", one(jevent(&ev, "CONFIRMED",
	    "2026-11-14T08:30:00Z", "2026-11-14T15:00:00Z", "sara@example.org",
	    "سارة الأحمد", "-P1D", ev.location, desc, NULL)));
	free(s);
	free(desc);

	/* PUBLISH: two zones, UTC, an all-day one, a cancelled one. */
	memset(evs, 0, sizeof(evs));
	evs[0].uid = "pub-1@rundbrief.example.org";
	evs[0].summary = "Nähcafé";
	evs[0].tzid = "Europe/Berlin";
	evs[0].start = "2027-03-28 10:00";
	evs[0].end = "2027-03-28 12:00";
	evs[1].uid = "pub-2@rundbrief.example.org";
	evs[1].summary = "Videocall mit Partnern in New York";
	evs[1].tzid = "America/New_York";
	evs[1].start = "2026-11-01 09:00";	/* its DST day, after it */
	evs[1].end = "2026-11-01 10:30";
	evs[1].sequence = 3;
	evs[2].uid = "pub-3@rundbrief.example.org";
	evs[2].summary = "Sommerfest";
	evs[2].all_day = 1;
	evs[2].start = "2027-07-03";
	evs[2].end = "2027-07-04";
	evs[2].status = ICAL_EVENT_CANCELLED;
	evs[3].uid = "pub-4@rundbrief.example.org";
	evs[3].summary = "Kleiderkammer";
	evs[3].tzid = "Europe/Berlin";
	evs[3].start = "2026-10-25 09:00";
	evs[3].end = "2026-10-25 12:00";
	s = ical_publish(evs, 4, ORG_NAME, ORG_MAIL, STAMP, NULL);
	assert_non_null(s);
	assert_int_equal(count(s, "BEGIN:VTIMEZONE"), 2);
	a = json_object_new_array();
	json_object_array_add(a, jevent(&evs[0], "CONFIRMED",
	    "2027-03-28T08:00:00Z", "2027-03-28T10:00:00Z", NULL, NULL, NULL,
	    NULL, NULL, NULL));
	json_object_array_add(a, jevent(&evs[1], "CONFIRMED",
	    "2026-11-01T14:00:00Z", "2026-11-01T15:30:00Z", NULL, NULL, NULL,
	    NULL, NULL, NULL));
	json_object_array_add(a, jevent(&evs[2], "CANCELLED", "2027-07-03",
	    "2027-07-05", NULL, NULL, NULL, NULL, NULL, NULL));
	json_object_array_add(a, jevent(&evs[3], "CONFIRMED",
	    "2026-10-25T08:00:00Z", "2026-10-25T11:00:00Z", NULL, NULL, NULL,
	    NULL, NULL, NULL));
	write_case(dir, "publish", s, "PUBLISH", a);
	free(s);

	run_checkers(dir, 0, &nrc, &prc);
	assert_int_equal(nrc, 0);
	assert_int_equal(prc, 0);
}

/* The checkers must fail on a wrong expectation (else they prove nothing). */
static void
test_checkers_detect_errors(void **state)
{
	char *dir, *s, *bad;
	struct ical_event ev;
	int nrc, prc;

	(void)state;
	dir = subdir("wrong");
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-x@rundbrief.example.org";
	ev.summary = "Test";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-10-25 10:00";
	ev.end = "2026-10-25 11:00";
	s = must_invite(&ev, ICAL_MSG_REQUEST, NULL, "x@example.org", 0);
	/* 10:00 CET is 09:00Z; claim 10:00Z (what a zone-less parse gives). */
	write_case(dir, "wrong_utc", s, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2026-10-25T10:00:00Z", "2026-10-25T10:00:00Z",
	    "x@example.org", NULL, NULL, NULL, NULL, NULL)));
	run_checkers(dir, 1, &nrc, &prc);
	assert_int_equal(nrc, 1);
	assert_int_equal(prc, 1);
	free(dir);

	/* The libical prefix must be caught. */
	dir = subdir("prefixed");
	bad = xstrdup(s);
	{
		struct buf b;
		const char *p = s, *q;

		buf_init(&b);
		while ((q = strstr(p, "TZID:Europe/Berlin")) != NULL) {
			buf_append(&b, p, q - p);
			buf_puts(&b, "TZID:/freeassociation.sourceforge.net/"
			    "Europe/Berlin");
			p = q + strlen("TZID:Europe/Berlin");
		}
		buf_puts(&b, p);
		free(bad);
		bad = buf_steal(&b);
	}
	write_case(dir, "prefixed", bad, "REQUEST", one(jevent(&ev,
	    "CONFIRMED", "2026-10-25T09:00:00Z", "2026-10-25T10:00:00Z",
	    "x@example.org", NULL, NULL, NULL, NULL, NULL)));
	run_checkers(dir, 1, &nrc, &prc);
	assert_int_equal(nrc, 1);
	assert_int_equal(prc, 1);
	free(dir);
	free(bad);
	free(s);
}

static void
test_shape(void **state)
{
	struct ical_event ev;
	char *f, *s;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-1@rundbrief.example.org";
	ev.summary = "A, B; C\\ D: E";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-10-25 10:00";
	ev.end = "2026-10-25 11:00";
	f = must_invite(&ev, ICAL_MSG_REQUEST, "Name \"Quoted\"",
	    "a@example.org", 86400);
	assert_folded(f);
	s = unfold(f);
	free(f);
	assert_null(strstr(s, "freeassociation"));
	assert_non_null(strstr(s, "\r\nMETHOD:REQUEST\r\n"));
	assert_non_null(strstr(s, "\r\nPRODID:-//rundbrief//"));
	assert_non_null(strstr(s, "\r\nVERSION:2.0\r\n"));
	assert_non_null(strstr(s, "\r\nTZID:Europe/Berlin\r\n"));
	assert_int_equal(count(s, "BEGIN:VTIMEZONE"), 1);
	/* Outlook's form: one recurring STANDARD and one DAYLIGHT. */
	assert_int_equal(count(s, "BEGIN:STANDARD"), 1);
	assert_int_equal(count(s, "BEGIN:DAYLIGHT"), 1);
	assert_int_equal(count(s, "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH="), 2);
	assert_null(strstr(s, "UNTIL="));
	assert_non_null(strstr(s,
	    "\r\nDTSTART;TZID=Europe/Berlin:20261025T100000\r\n"));
	assert_non_null(strstr(s,
	    "\r\nDTEND;TZID=Europe/Berlin:20261025T110000\r\n"));
	assert_non_null(strstr(s, "\r\nDTSTAMP:20260921T141320Z\r\n"));
	/* Escaped once, by libical. */
	assert_non_null(strstr(s, "\r\nSUMMARY:A\\, B\\; C\\\\ D: E\r\n"));
	assert_int_equal(count(s, "ATTENDEE"), 1);
	assert_non_null(strstr(s, "ROLE=REQ-PARTICIPANT"));
	assert_non_null(strstr(s, "PARTSTAT=NEEDS-ACTION"));
	assert_non_null(strstr(s, "RSVP=TRUE"));
	assert_null(strstr(s, "\"Quoted\""));	/* DQUOTE removed from CN */
	assert_non_null(strstr(s, "\r\nORGANIZER;CN=" ORG_NAME ":mailto:"
	    ORG_MAIL "\r\n"));
	assert_non_null(strstr(s, "\r\nSTATUS:CONFIRMED\r\n"));
	assert_non_null(strstr(s, "\r\nTRIGGER:-P1D\r\n"));
	assert_non_null(strstr(s, "\r\nACTION:DISPLAY\r\n"));
	free(s);

	/* Cancel */
	ev.sequence = 1;
	f = must_invite(&ev, ICAL_MSG_CANCEL, NULL, "a@example.org", 86400);
	s = unfold(f);
	free(f);
	assert_non_null(strstr(s, "\r\nMETHOD:CANCEL\r\n"));
	assert_non_null(strstr(s, "\r\nSTATUS:CANCELLED\r\n"));
	assert_non_null(strstr(s, "\r\nSEQUENCE:1\r\n"));
	assert_null(strstr(s, "VALARM"));
	assert_null(strstr(s, "RSVP"));
	free(s);

	/* All-day: VALUE=DATE, exclusive end, no zone at all. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "d@rundbrief.example.org";
	ev.summary = "Frist";
	ev.all_day = 1;
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-12-31";
	ev.end = "2026-12-31";
	ev.rrule = "FREQ=YEARLY;UNTIL=20291231T235959Z";
	f = must_invite(&ev, ICAL_MSG_REQUEST, NULL, "a@example.org", 0);
	s = unfold(f);
	free(f);
	assert_non_null(strstr(s, "\r\nDTSTART;VALUE=DATE:20261231\r\n"));
	assert_non_null(strstr(s, "\r\nDTEND;VALUE=DATE:20270101\r\n"));
	assert_non_null(strstr(s, "\r\nRRULE:FREQ=YEARLY;UNTIL=20291231\r\n"));
	assert_null(strstr(s, "VTIMEZONE"));
	assert_null(strstr(s, "TZID"));
	free(s);

	/* A local UNTIL on a timed event is written in UTC. */
	memset(&ev, 0, sizeof(ev));
	ev.uid = "u@rundbrief.example.org";
	ev.summary = "Kurs";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-07-01 18:00";
	ev.end = "2026-07-01 19:00";
	ev.rrule = "FREQ=WEEKLY;UNTIL=20260729";
	f = must_invite(&ev, ICAL_MSG_REQUEST, NULL, "a@example.org", 0);
	s = unfold(f);
	free(f);
	assert_non_null(strstr(s, "UNTIL=20260729T215959Z"));
	free(s);
}

static void
test_invitation_errors(void **state)
{
	struct ical_event ev, good;
	char *err = NULL, *s;

	(void)state;
	memset(&good, 0, sizeof(good));
	good.uid = "e@rundbrief.example.org";
	good.summary = "Treffen";
	good.tzid = "Europe/Berlin";
	good.start = "2026-12-08 18:00";
	good.end = "2026-12-08 20:00";

#define EXPECT_ERR(ev_, mail_, alarm_, needle) do {			\
	err = NULL;							\
	s = ical_invitation(&(ev_), ICAL_MSG_REQUEST, NULL, ORG_MAIL,	\
	    NULL, (mail_), (alarm_), STAMP, &err);			\
	assert_null(s);							\
	assert_non_null(err);						\
	if (strstr(err, (needle)) == NULL)				\
		fail_msg("error \"%s\" lacks \"%s\"", err, (needle));	\
	free(err);							\
} while (0)

	ev = good;
	ev.tzid = "Europe/Nowhere";
	EXPECT_ERR(ev, "a@example.org", 0, "unknown time zone");
	ev = good;
	ev.tzid = NULL;
	EXPECT_ERR(ev, "a@example.org", 0, "unknown time zone");
	ev = good;
	ev.end = "2026-12-08 17:59";
	EXPECT_ERR(ev, "a@example.org", 0, "ends before");
	ev = good;
	ev.end = NULL;
	EXPECT_ERR(ev, "a@example.org", 0, "start/end");
	ev = good;
	ev.start = "2026-12-08";
	EXPECT_ERR(ev, "a@example.org", 0, "start/end");
	ev = good;
	ev.start = "2026-02-30 18:00";
	EXPECT_ERR(ev, "a@example.org", 0, "start/end");
	ev = good;
	ev.all_day = 1;
	EXPECT_ERR(ev, "a@example.org", 0, "YYYY-MM-DD");
	ev = good;
	ev.summary = "bad \xc3\x28 utf8";
	EXPECT_ERR(ev, "a@example.org", 0, "UTF-8");
	ev = good;
	ev.summary = NULL;
	EXPECT_ERR(ev, "a@example.org", 0, "no summary");
	ev = good;
	ev.uid = "";
	EXPECT_ERR(ev, "a@example.org", 0, "UID");
	ev = good;
	ev.rrule = "FREQ=MONTHLY;BYDAY=XX";
	EXPECT_ERR(ev, "a@example.org", 0, "BYDAY=XX");
	ev = good;
	ev.start = "2026-12-01 18:00";
	ev.end = "2026-12-01 20:00";
	ev.rrule = "FREQ=MONTHLY;BYDAY=2TU";
	EXPECT_ERR(ev, "a@example.org", 0, "not the first occurrence");
	ev = good;
	ev.sequence = -1;
	EXPECT_ERR(ev, "a@example.org", 0, "negative SEQUENCE");
	ev = good;
	ev.rrule = "FREQ=DAILY;UNTIL=20261201T000000Z";
	EXPECT_ERR(ev, "a@example.org", 0, "no occurrence");
	ev = good;
	EXPECT_ERR(ev, "no-at-sign", 0, "invalid e-mail");
	EXPECT_ERR(ev, "a@example.org\r\nBCC: x@y", 0, "invalid e-mail");
	EXPECT_ERR(ev, "a@example.org", -5, "alarm");
	ev.url = "https://x.example/a b";
	EXPECT_ERR(ev, "a@example.org", 0, "URL");
#undef EXPECT_ERR
	/* A publish failure names the event and leaks nothing. */
	{
		struct ical_event evs[2] = { good, good };

		evs[1].tzid = "Mars/Olympus";
		err = NULL;
		assert_null(ical_publish(evs, 2, NULL, ORG_MAIL, STAMP, &err));
		assert_non_null(strstr(err, "Mars/Olympus"));
		free(err);
		s = ical_publish(evs, 0, NULL, ORG_MAIL, STAMP, NULL);
		assert_non_null(strstr(s, "METHOD:PUBLISH"));
		assert_null(strstr(s, "VEVENT"));
		free(s);
	}
}

static void
test_folding(void **state)
{
	struct buf b;
	char *bad, *fixed, *u1, *u2;
	const char *p;
	int i;

	(void)state;
	/* A 160-octet line of umlauts, not folded at all. */
	buf_init(&b);
	buf_puts(&b, "BEGIN:X\r\nDESCRIPTION:");
	for (i = 0; i < 74; i++)
		buf_puts(&b, "ä");
	buf_puts(&b, "\r\nEND:X\r\n");
	bad = buf_steal(&b);
	assert_false(fold_ok(bad));
	fixed = refold(bad);
	assert_true(fold_ok(fixed));
	assert_folded(fixed);
	u1 = refold(fixed);	/* folding again changes nothing */
	assert_string_equal(u1, fixed);
	free(u1);
	/* Unfolded, the content is the original. */
	buf_init(&b);
	for (p = fixed; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		buf_putc(&b, *p);
	}
	u1 = buf_steal(&b);
	assert_string_equal(u1, bad);
	free(u1);
	free(fixed);
	free(bad);

	/* Folded inside a character ("ä" = C3 A4 cut after C3). */
	bad = xstrdup("SUMMARY:Gr\xc3\r\n \xa4\xc3\x9f" "e\r\n");
	assert_false(fold_ok(bad));
	fixed = refold(bad);
	assert_string_equal(fixed, "SUMMARY:Gr\xc3\xa4\xc3\x9f" "e\r\n");
	free(fixed);
	free(bad);

	/* libical's own folding of a long mixed text is already right. */
	u2 = long_arabic();
	{
		struct ical_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.uid = "f@rundbrief.example.org";
		ev.summary = u2;
		ev.description = u2;
		ev.location = u2;
		ev.tzid = "Europe/Berlin";
		ev.start = "2026-11-14 09:30";
		ev.end = "2026-11-14 16:00";
		fixed = must_invite(&ev, ICAL_MSG_REQUEST, u2, "a@example.org",
		    0);
	}
	assert_folded(fixed);
	free(fixed);
	free(u2);
}

static void
test_rrule_and_tz_valid(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(ical_rrule_valid("FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
	    NULL), 0);
	assert_int_equal(ical_rrule_valid(
	    "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0", NULL), 0);
	assert_int_equal(ical_rrule_valid("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;"
	    "UNTIL=20271231T230000Z", NULL), 0);
	assert_int_equal(ical_rrule_valid("FREQ=YEARLY", NULL), 0);
	assert_int_equal(ical_rrule_valid("FREQ=HOURLY;INTERVAL=6", NULL), 0);

#define BAD(rule, needle) do {						\
	err = NULL;							\
	assert_int_equal(ical_rrule_valid((rule), &err), -1);		\
	assert_non_null(err);						\
	if (strstr(err, (needle)) == NULL)				\
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", (rule),	\
		    err, (needle));					\
	free(err);							\
} while (0)
	BAD("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY");
	BAD("FREQ=MONTHLY;BYDAY=XX", "BYDAY=XX");
	BAD("FREQ=MONTHLY;FOO=1", "FOO=1");
	BAD("FREQ=WEEKLY;COUNT=abc", "COUNT=abc");
	BAD("FREQ=WEEKLY;INTERVAL=0", "INTERVAL=0");
	BAD("FREQ=DAILY;BYHOUR=25", "BYHOUR=25");
	BAD("FREQ=WEEKLY;UNTIL=2026", "UNTIL=2026");
	BAD("BYDAY=MO", "no FREQ");
	BAD("FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z", "both COUNT");
	BAD("FREQ=MINUTELY", "MINUTELY");
	BAD("FREQ=SECONDLY", "SECONDLY");
	BAD("RRULE:FREQ=DAILY", "without \"RRULE:\"");
	BAD("", "empty");
	BAD("FREQ=YEARLY;RSCALE=HEBREW", "RSCALE");
	BAD("FREQ=MONTHLY;BYWEEKNO=3", "cannot be expanded");
	BAD("FREQ=WEEKLY;BYMONTHDAY=3", "cannot be expanded");
	BAD("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "cannot be expanded");
	/* what libical would skip silently */
	BAD("FREQ=WEEKLY\r\nATTENDEE:mailto:x@example.org", "line breaks");
	BAD("FREQ=WEEKLY;BYDAY=MO\n", "line breaks");
	BAD("FREQ=WEEKLY;BYDAY=MO garbage", "line breaks");
	BAD("FREQ=WEEKLY;", "invalid RRULE part \"\"");
	BAD("FREQ=WEEKLY;BYDAY=MO;BYDAY=TU", "BYDAY twice");
	BAD("FREQ=WEEKLY;BYDAY=MO,,TU", "BYDAY=MO,,TU");
	BAD("FREQ=WEEKLY;COUNT=3,4", "COUNT=3,4");
	BAD("FREQ=WEEKLY;UNTIL=20270101T000000X", "UNTIL=");
	BAD("FREQ=MONTHLY;BYDAY=123MO", "BYDAY=123MO");
#undef BAD
	assert_int_equal(ical_rrule_valid(NULL, NULL), -1);

	assert_true(ical_tz_valid("Europe/Berlin"));
	assert_true(ical_tz_valid("America/New_York"));
	assert_true(ical_tz_valid("UTC"));
	assert_true(ical_tz_valid("Asia/Kolkata"));
	assert_false(ical_tz_valid("Europe/Nowhere"));
	assert_false(ical_tz_valid("europe/berlin"));
	assert_false(ical_tz_valid("../../etc/passwd"));
	assert_false(ical_tz_valid("/etc/localtime"));
	assert_false(ical_tz_valid(""));
	assert_false(ical_tz_valid(NULL));
}

static void
test_local_utc(void **state)
{
	static const struct {
		const char *tz, *local, *utc;
	} cases[] = {
		/* autumn 2026: 03:00 CEST -> 02:00 CET at 01:00Z */
		{ "Europe/Berlin", "2026-10-25 10:00", "2026-10-25T09:00:00Z" },
		{ "Europe/Berlin", "2026-10-25 01:59", "2026-10-24T23:59:00Z" },
		{ "Europe/Berlin", "2026-10-25 02:00", "2026-10-25T00:00:00Z" },
		{ "Europe/Berlin", "2026-10-25 02:30", "2026-10-25T00:30:00Z" },
		{ "Europe/Berlin", "2026-10-25 02:59", "2026-10-25T00:59:00Z" },
		{ "Europe/Berlin", "2026-10-25 03:00", "2026-10-25T02:00:00Z" },
		/* spring 2027: 02:00 CET -> 03:00 CEST at 01:00Z */
		{ "Europe/Berlin", "2027-03-28 10:00", "2027-03-28T08:00:00Z" },
		{ "Europe/Berlin", "2027-03-28 01:59", "2027-03-28T00:59:00Z" },
		{ "Europe/Berlin", "2027-03-28 02:00", "2027-03-28T01:00:00Z" },
		{ "Europe/Berlin", "2027-03-28 02:30", "2027-03-28T01:30:00Z" },
		{ "Europe/Berlin", "2027-03-28 03:00", "2027-03-28T01:00:00Z" },
		{ "Europe/Berlin", "2027-03-28", "2027-03-27T23:00:00Z" },
		{ "Europe/Berlin", "2026-07-01 12:00:30", "2026-07-01T10:00:30Z" },
		{ "America/New_York", "2026-11-01 01:30", "2026-11-01T05:30:00Z" },
		{ "America/New_York", "2027-03-14 02:30", "2027-03-14T07:30:00Z" },
		{ "UTC", "2026-10-25 02:30", "2026-10-25T02:30:00Z" },
		{ "Asia/Kolkata", "2026-10-25 10:00", "2026-10-25T04:30:00Z" },
	};
	static const char *const bad[] = { "2026-02-29 10:00", "2026-10-25 24:00",
	    "2026-10-25 10:60", "2026-10-25 10:00Z", "2026-10-2510:00",
	    "26-10-25 10:00", "", "2026-13-01", "1000-01-01 00:00" };
	struct tm tm;
	time_t t, back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ical_local_to_utc(cases[i].tz, cases[i].local,
		    &t), 0);
		if (t != iso(cases[i].utc))
			fail_msg("%s %s: got %lld, want %s", cases[i].tz,
			    cases[i].local, (long long)t, cases[i].utc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ical_local_to_utc("Europe/Berlin", bad[i], &t),
		    -1);
	assert_int_equal(ical_local_to_utc("Mars/Base", "2026-10-25 10:00",
	    &t), -1);

	/* The two 02:30s of 2026-10-25. */
	assert_int_equal(ical_utc_to_local("Europe/Berlin",
	    iso("2026-10-25T00:30:00Z"), &tm), 0);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_min, 30);
	assert_int_equal(tm.tm_isdst, 1);
	assert_int_equal(tm.tm_gmtoff, 7200);
	assert_int_equal(ical_utc_to_local("Europe/Berlin",
	    iso("2026-10-25T01:30:00Z"), &tm), 0);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_isdst, 0);
	assert_int_equal(tm.tm_gmtoff, 3600);
	assert_int_equal(tm.tm_wday, 0);	/* Sunday */
	assert_int_equal(tm.tm_year, 126);
	assert_int_equal(tm.tm_mon, 9);
	assert_int_equal(tm.tm_mday, 25);
	assert_int_equal(ical_utc_to_local("Europe/Berlin",
	    iso("2027-03-28T01:00:00Z"), &tm), 0);
	assert_int_equal(tm.tm_hour, 3);
	assert_int_equal(tm.tm_isdst, 1);
	assert_int_equal(ical_utc_to_local("Nowhere/Zone", 0, &tm), -1);

	/* Round trip every 15 minutes over both changes: exact, except the
	 * second pass through the autumn hour, which maps to the first. */
	for (t = iso("2026-10-24T00:00:00Z"); t < iso("2027-03-30T00:00:00Z");
	    t += 900) {
		char buf[32];

		if (t == iso("2026-10-26T00:00:00Z"))
			t = iso("2027-03-27T00:00:00Z");
		assert_int_equal(ical_utc_to_local("Europe/Berlin", t, &tm), 0);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
		assert_int_equal(ical_local_to_utc("Europe/Berlin", buf, &back),
		    0);
		if (t >= iso("2026-10-25T01:00:00Z") &&
		    t < iso("2026-10-25T02:00:00Z"))
			assert_int_equal(back, t - 3600);
		else
			assert_int_equal(back, t);
	}
}

static void
test_next_occurrences(void **state)
{
	/* First Mondays 09:00 Berlin: CEST until 2026-10-25, CET until
	 * 2027-03-28, then CEST again. */
	static const char *const newsletter[] = { "2026-09-07T07:00:00Z",
	    "2026-10-05T07:00:00Z", "2026-11-02T08:00:00Z",
	    "2026-12-07T08:00:00Z", "2027-01-04T08:00:00Z",
	    "2027-02-01T08:00:00Z", "2027-03-01T08:00:00Z",
	    "2027-04-05T07:00:00Z" };
	time_t out[16];
	size_t n, i;

	(void)state;
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-01-01 00:00", "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0",
	    iso("2026-09-01T00:00:00Z"), 8, out, &n), 0);
	assert_int_equal(n, 8);
	for (i = 0; i < 8; i++)
		if (out[i] != iso(newsletter[i]))
			fail_msg("occurrence %zu: got %lld, want %s", i,
			    (long long)out[i], newsletter[i]);

	/* Strictly after: the instant itself is not repeated. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-01-01 00:00", "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0",
	    iso(newsletter[0]), 1, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], iso(newsletter[1]));

	/* COUNT ends the rule before max. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-12-08 18:00", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3", 0, 16, out,
	    &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[2], iso("2027-02-09T17:00:00Z"));

	/* A UTC UNTIL is an instant: 18:00 CET on the 27th is 17:00Z. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-10-24 18:00", "FREQ=DAILY;UNTIL=20261027T170000Z", 0, 16,
	    out, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], iso("2026-10-24T16:00:00Z"));
	assert_int_equal(out[1], iso("2026-10-25T17:00:00Z"));
	assert_int_equal(out[3], iso("2026-10-27T17:00:00Z"));

	/* 02:30 daily through the spring gap: shifted to 03:30 CEST. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2027-03-27 02:30", "FREQ=DAILY", 0, 3, out, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], iso("2027-03-27T01:30:00Z"));
	assert_int_equal(out[1], iso("2027-03-28T01:30:00Z"));
	assert_int_equal(out[2], iso("2027-03-29T00:30:00Z"));

	/* No rule: the start alone, if after. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-10-25 10:00", NULL, 0, 4, out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], iso("2026-10-25T09:00:00Z"));
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-10-25 10:00", NULL, out[0], 4, out, &n), 0);
	assert_int_equal(n, 0);

	/* A rule that ended before it started; bad input fails. */
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-01-01 10:00", "FREQ=DAILY;UNTIL=20250101T000000Z", 0, 4,
	    out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-01-01 10:00", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 0, 4,
	    out, &n), -1);
	assert_int_equal(ical_next_occurrences("Europe/Berlin",
	    "2026-01-01 10:00", "FREQ=NEVER", 0, 4, out, &n), -1);
	assert_int_equal(ical_next_occurrences("Mars/Base",
	    "2026-01-01 10:00", "FREQ=DAILY", 0, 4, out, &n), -1);
	assert_int_equal(ical_next_occurrences("Europe/Berlin", "tomorrow",
	    "FREQ=DAILY", 0, 4, out, &n), -1);
}

/* ---- replies ------------------------------------------------------------ */

static int
parse_file(const char *name, struct ical_reply *r, char **err)
{
	char *path = xasprintf(REPLIES "%s", name), *data;
	size_t len;
	int rc;

	if (file_read_all(path, &data, &len) == -1)
		fail_msg("cannot read %s", path);
	free(path);
	rc = ical_parse_reply(data, len, r, err);
	free(data);
	return rc;
}

static void
test_reply_outlook(void **state)
{
	struct ical_reply r;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_file("outlook_accepted.ics", &r, &err), 0);
	assert_string_equal(r.method, "REPLY");
	assert_string_equal(r.uid, "evt-1-2026@rundbrief.example.org");
	assert_string_equal(r.attendee, "joerg.mueller@example.net");
	assert_string_equal(r.attendee_name,
	    "Müller-Lüdenscheidt, Jörg-Friedrich (Ehrenamtliche Koordination)");
	assert_string_equal(r.partstat, "ACCEPTED");
	assert_int_equal(r.sequence, 1);
	assert_int_equal(r.dtstamp, iso("2026-10-01T08:15:00Z"));
	assert_null(r.recurrence_id);
	assert_string_equal(r.comment, "Ich komme gern, bringe aber erst ab "
	    "10:30 Uhr Zeit mit.\n");
	ical_reply_free(&r);
	assert_null(r.uid);
}

static void
test_reply_gmail(void **state)
{
	struct ical_reply r;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_file("gmail_tentative.ics", &r, &err), 0);
	assert_string_equal(r.method, "REPLY");
	assert_string_equal(r.uid, "evt-2-2027@rundbrief.example.org");
	assert_string_equal(r.attendee, "amira.haddad@gmail.com");
	assert_string_equal(r.attendee_name, "Amira Haddad");
	assert_string_equal(r.partstat, "TENTATIVE");
	assert_int_equal(r.sequence, 0);
	assert_int_equal(r.dtstamp, iso("2027-03-01T12:00:00Z"));
	assert_null(r.comment);
	ical_reply_free(&r);
}

static void
test_reply_thunderbird(void **state)
{
	struct ical_reply r;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_file("thunderbird_declined_occurrence.ics", &r,
	    &err), 0);
	assert_string_equal(r.method, "REPLY");
	assert_string_equal(r.uid, "evt-3-offer@rundbrief.example.org");
	assert_string_equal(r.attendee, "kim.schneider@posteo.de");
	assert_string_equal(r.partstat, "DECLINED");
	assert_string_equal(r.recurrence_id, "20270112T180000");
	assert_string_equal(r.recurrence_tzid, "Europe/Berlin");
	assert_int_equal(r.recurrence_utc, iso("2027-01-12T17:00:00Z"));
	assert_int_equal(r.dtstamp, iso("2026-11-30T09:30:12Z"));
	ical_reply_free(&r);
}

static void
test_reply_tolerant(void **state)
{
	struct ical_reply r;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse_file("multi_attendee_accepted.ics", &r, &err),
	    0);
	assert_string_equal(r.attendee, "lea.wagner@example.org");
	assert_string_equal(r.attendee_name, "Lea Wagner");
	assert_string_equal(r.partstat, "ACCEPTED");
	assert_int_equal(r.sequence, 2);
	ical_reply_free(&r);

	assert_int_equal(parse_file("lf_bom_no_method.ics", &r, &err), 0);
	assert_null(r.method);
	assert_string_equal(r.uid, "evt-5@rundbrief.example.org");
	assert_string_equal(r.attendee, "ahmad@example.com");
	assert_string_equal(r.partstat, "ACCEPTED");
	assert_int_equal(r.dtstamp, iso("2026-11-01T10:15:00Z"));
	ical_reply_free(&r);

	/* Not NUL-terminated: only len bytes are read. */
	{
		char *path = xasprintf(REPLIES "gmail_tentative.ics"), *data,
		    *copy;
		size_t len;

		assert_int_equal(file_read_all(path, &data, &len), 0);
		copy = xmalloc(len);
		memcpy(copy, data, len);
		assert_int_equal(ical_parse_reply(copy, len, &r, NULL), 0);
		assert_string_equal(r.partstat, "TENTATIVE");
		ical_reply_free(&r);
		free(copy);
		free(data);
		free(path);
	}
	/* RECURRENCE-ID in a Windows zone: resolved with the reply's own
	 * VTIMEZONE; a VTIMEZONE that would take libical hours to expand
	 * (FREQ=SECONDLY from year 1) is not used. */
	{
		static const char fmt[] = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"
		    "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
		    "BEGIN:STANDARD\r\nDTSTART:%s\r\nTZOFFSETFROM:+0200\r\n"
		    "TZOFFSETTO:+0100\r\nRRULE:FREQ=%s;BYDAY=-1SU;BYMONTH=10"
		    "\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
		    "DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\n"
		    "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
		    "\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n"
		    "UID:u2\r\nRECURRENCE-ID;TZID=W. Europe Standard Time:"
		    "20270112T180000\r\nATTENDEE;PARTSTAT=ACCEPTED:MAILTO:"
		    "a@b.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
		char *msg;

		msg = xasprintf(fmt, "16010101T030000", "YEARLY");
		assert_int_equal(ical_parse_reply(msg, strlen(msg), &r, NULL),
		    0);
		assert_string_equal(r.recurrence_id, "20270112T180000");
		assert_string_equal(r.recurrence_tzid,
		    "W. Europe Standard Time");
		assert_int_equal(r.recurrence_utc, iso("2027-01-12T17:00:00Z"));
		ical_reply_free(&r);
		free(msg);
		msg = xasprintf(fmt, "00010101T030000", "SECONDLY");
		assert_int_equal(ical_parse_reply(msg, strlen(msg), &r, NULL),
		    0);
		assert_string_equal(r.recurrence_id, "20270112T180000");
		assert_int_equal(r.recurrence_utc, 0);
		ical_reply_free(&r);
		free(msg);
		msg = xasprintf(fmt, "00010101T030000", "YEARLY;BYMINUTE=0,1,"
		    "2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
		    "24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40;BYSECOND="
		    "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22");
		assert_int_equal(ical_parse_reply(msg, strlen(msg), &r, NULL),
		    0);
		assert_int_equal(r.recurrence_utc, 0);
		ical_reply_free(&r);
		free(msg);
	}
	/* BEGIN folded inside its name, END with blanks: libical reads
	 * them, so must we. */
	{
		static const char s[] = "BEGIN:VCALENDAR\r\nBEG\r\n IN:VEVENT"
		    "\r\nUID:u3\r\nATTENDEE;PARTSTAT=DECLINED:mailto:d@e.example"
		    "\r\nEND :VEVENT \r\nEND:VCALENDAR\r\n";

		assert_int_equal(ical_parse_reply(s, strlen(s), &r, NULL), 0);
		assert_string_equal(r.uid, "u3");
		assert_string_equal(r.partstat, "DECLINED");
		ical_reply_free(&r);
	}
	/* A missing PARTSTAT is NEEDS-ACTION; a floating DTSTAMP is UTC. */
	{
		static const char s[] = "BEGIN:VCALENDAR\nMETHOD:reply\n"
		    "BEGIN:VEVENT\nUID:u1\nDTSTAMP:20261101T101500\n"
		    "ATTENDEE:mailto: X@Example.ORG \nEND:VEVENT\n"
		    "END:VCALENDAR\n";

		assert_int_equal(ical_parse_reply(s, strlen(s), &r, NULL), 0);
		assert_string_equal(r.method, "REPLY");
		assert_string_equal(r.partstat, "NEEDS-ACTION");
		assert_string_equal(r.attendee, "x@example.org");
		assert_int_equal(r.dtstamp, iso("2026-11-01T10:15:00Z"));
		ical_reply_free(&r);
	}
}

static void
test_reply_malformed(void **state)
{
	static const struct {
		const char *file, *error;
	} cases[] = {
		{ "no_vevent.ics", "no VEVENT" },
		{ "no_attendee.ics", "no ATTENDEE" },
		{ "garbage.ics", "not a calendar" },
		{ "truncated.ics", "incomplete or malformed" },
		{ "empty.ics", "empty calendar data" },
	};
	static const char *const inline_bad[][2] = {
		{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED:"
		  "mailto:a@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		  "no UID" },
		{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;"
		  "PARTSTAT=ACCEPTED:urn:uuid:1234\r\nEND:VEVENT\r\n"
		  "END:VCALENDAR\r\n", "not an e-mail address" },
		{ "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", "not a calendar" },
		{ "BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		  "do not match" },
		{ "BEGIN:VCALENDAR\r\nMETHOD:REPLY\rBEGIN:VEVENT\r\nUID:x\r\n"
		  "END \r:VEVENT\r\nEND:VCALENDAR\r\n", "do not match" },
		{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n",
		  "truncated" },
		{ "   \r\n\r\n", "not a calendar" },
	};
	struct ical_reply r;
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		memset(&r, 0x55, sizeof(r));
		assert_int_equal(parse_file(cases[i].file, &r, &err), -1);
		assert_non_null(err);
		if (strstr(err, cases[i].error) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", cases[i].file,
			    err, cases[i].error);
		assert_null(r.uid);		/* zeroed on failure */
		assert_null(r.attendee);
		free(err);
	}
	for (i = 0; i < sizeof(inline_bad) / sizeof(inline_bad[0]); i++) {
		err = NULL;
		assert_int_equal(ical_parse_reply(inline_bad[i][0],
		    strlen(inline_bad[i][0]), &r, &err), -1);
		if (err == NULL || strstr(err, inline_bad[i][1]) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i,
			    err ? err : "(null)", inline_bad[i][1]);
		free(err);
	}
	assert_int_equal(ical_parse_reply(NULL, 0, &r, NULL), -1);
	ical_reply_free(NULL);
}

static void
test_reply_roundtrip(void **state)
{
	struct ical_event ev;
	struct ical_reply r;
	char *s, *err = NULL;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.uid = "evt-rt@rundbrief.example.org";
	ev.sequence = 4;
	ev.summary = "Rundreise";
	ev.tzid = "Europe/Berlin";
	ev.start = "2026-12-08 18:00";
	ev.end = "2026-12-08 20:00";
	ev.rrule = "FREQ=MONTHLY;BYDAY=2TU";
	s = must_invite(&ev, ICAL_MSG_REQUEST, "Jörg Müller",
	    "Joerg@Example.NET", 86400);
	assert_int_equal(ical_parse_reply(s, strlen(s), &r, &err), 0);
	assert_string_equal(r.method, "REQUEST");
	assert_string_equal(r.uid, ev.uid);
	assert_int_equal(r.sequence, 4);
	assert_int_equal(r.dtstamp, STAMP);
	assert_string_equal(r.attendee, "joerg@example.net");
	assert_string_equal(r.attendee_name, "Jörg Müller");
	assert_string_equal(r.partstat, "NEEDS-ACTION");
	assert_null(r.recurrence_id);
	ical_reply_free(&r);
	free(s);
}

/* Truncations and byte mutations of every sample: errors, never a crash
 * (run under ASan/valgrind for that to mean something). */
static void
test_reply_fuzz(void **state)
{
	static const char *const files[] = { "outlook_accepted.ics",
	    "gmail_tentative.ics", "thunderbird_declined_occurrence.ics",
	    "multi_attendee_accepted.ics", "lf_bom_no_method.ics",
	    "no_attendee.ics" };
	static const char inserts[] = ":;=,\"\\\r\n \t\xc3\xff";
	struct ical_reply r;
	unsigned int seed = 12345;
	char *path, *data, *mut, *err;
	size_t len, i, k, cut;
	int ok = 0, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = xasprintf(REPLIES "%s", files[i]);
		assert_int_equal(file_read_all(path, &data, &len), 0);
		free(path);
		for (cut = 0; cut <= len; cut += 1 + cut % 3) {
			err = NULL;
			if (ical_parse_reply(data, cut, &r, &err) == 0) {
				ok++;
				ical_reply_free(&r);
			} else {
				assert_non_null(err);
				failed++;
			}
			free(err);
		}
		mut = xmalloc(len);
		for (k = 0; k < 300; k++) {
			size_t j, nmut = 1 + rand_r(&seed) % 8;

			memcpy(mut, data, len);
			for (j = 0; j < nmut; j++)
				mut[rand_r(&seed) % len] = inserts[rand_r(&seed) %
				    (sizeof(inserts) - 1)];
			err = NULL;
			if (ical_parse_reply(mut, len, &r, &err) == 0) {
				ok++;
				ical_reply_free(&r);
			} else
				failed++;
			free(err);
		}
		free(mut);
		free(data);
	}
	assert_true(ok > 0);
	assert_true(failed > 0);
}

/* libical reads the system's zone data (Debian: libical3 depends on
 * tzdata); say so plainly instead of failing every test obscurely. */
static int
setup_all(void **state)
{
	(void)state;
	if (!ical_tz_valid("Europe/Berlin")) {
		fprintf(stderr, "test_ical: libical finds no zone data for "
		    "Europe/Berlin: is tzdata installed (/usr/share/zoneinfo "
		    "or $TZDIR)?\n");
		return -1;
	}
	return 0;
}

static int
teardown_all(void **state)
{
	(void)state;
	ical_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_invitation_errors),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_rrule_and_tz_valid),
		cmocka_unit_test(test_local_utc),
		cmocka_unit_test(test_next_occurrences),
		cmocka_unit_test_setup_teardown(test_real_parsers,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_checkers_detect_errors,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_reply_outlook),
		cmocka_unit_test(test_reply_gmail),
		cmocka_unit_test(test_reply_thunderbird),
		cmocka_unit_test(test_reply_tolerant),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_fuzz),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
