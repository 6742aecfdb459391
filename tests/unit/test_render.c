/* Unit tests: template lookup, newsletter content and rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
#include "newsletter.h"
#include "render.h"
#include "subscriber.h"
#include "tmplset.h"
#include "util.h"

#include "render_testlib.h"

static void
test_shipped_templates_parse(void **state)
{
	struct config *cfg = test_config();
	FILE *out = tmpfile();
	char buf[4096] = "";
	int errors;

	(void)state;
	errors = render_check(cfg, out);
	rewind(out);
	fread(buf, 1, sizeof(buf) - 1, out);
	fclose(out);
	if (errors != 0 || buf[0] != '\0')
		fail_msg("shipped templates: %d errors:\n%s", errors, buf);
	config_free(cfg);
}

static void
test_override_and_language_fallback(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts;
	struct render *r;
	struct rendered m;
	struct subscriber *de = person("Anna", "de", NULL),
	    *en = person("Olena", "en", NULL), *uk = person("Ivan", "uk", NULL);
	char *err = NULL;

	(void)state;
	put("override/de/welcome.subject.mustache",
	    "Eigener Betreff für {{subscriber.name}}\n");
	cfg->templates = xasprintf("%s/override", dir);
	ts = tmplset_new(cfg->templates, "de");
	r = render_new(cfg, ts);

	assert_int_equal(render_notice(r, "welcome", de, &m, &err), 0);
	assert_string_equal(m.subject, "Eigener Betreff für Anna");
	assert_string_equal(m.lang, "de");
	assert_non_null(strstr(m.html.data, "lang=\"de\""));
	assert_true(m.text.len > 0); /* built-in text part */
	rendered_free(&m);

	/* English has no override: the built-in English subject */
	assert_int_equal(render_notice(r, "welcome", en, &m, &err), 0);
	assert_string_equal(m.lang, "en");
	assert_null(strstr(m.subject, "Eigener"));
	assert_non_null(strstr(m.html.data, "lang=\"en\""));
	rendered_free(&m);

	/* Ukrainian has no templates: the default language */
	assert_int_equal(render_notice(r, "welcome", uk, &m, &err), 0);
	assert_string_equal(m.lang, "de");
	assert_string_equal(m.subject, "Eigener Betreff für Ivan");
	rendered_free(&m);

	render_free(r);
	tmplset_free(ts);
	subscriber_free(de);
	subscriber_free(en);
	subscriber_free(uk);
	config_free(cfg);
}

static void
test_template_errors_name_file_line_column(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts;
	struct subscriber *s = person("Anna", "de", NULL);
	struct render *r;
	struct rendered m;
	char *err = NULL, want[700];
	FILE *out;
	char buf[4096] = "";

	(void)state;
	put("broken/de/unsubscribed.html.mustache",
	    "<p>\n  {{#subscriber}}\n    {{name}}\n");
	put("broken/de/confirm.txt.mustache", "Hallo {{> nosuchpartial}}\n");
	free(cfg->templates);
	cfg->templates = xasprintf("%s/broken", dir);
	ts = tmplset_new(cfg->templates, "de");
	r = render_new(cfg, ts);
	assert_int_equal(render_notice(r, "unsubscribed", s, &m, &err), -1);
	snprintf(want, sizeof(want), "%s/broken/de/unsubscribed.html.mustache:",
	    dir);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "unclosed section \"subscriber\" "
	    "(opened at 2:3)"));
	free(err);
	err = NULL;
	assert_int_equal(render_notice(r, "confirm", s, &m, &err), -1);
	snprintf(want, sizeof(want), "%s/broken/de/confirm.txt.mustache:1:7: "
	    "unknown partial \"nosuchpartial\"", dir);
	assert_non_null(strstr(err, want));
	free(err);
	render_free(r);
	tmplset_free(ts);

	/* rundbrief check reports both, and warns about unknown names */
	put("broken/en/welcome.txt.mustache", "Hi {{subscriber.nmae}}\n");
	out = tmpfile();
	assert_int_equal(render_check(cfg, out), 2);
	rewind(out);
	fread(buf, 1, sizeof(buf) - 1, out);
	fclose(out);
	assert_non_null(strstr(buf, "unsubscribed.html.mustache"));
	assert_non_null(strstr(buf, "confirm.txt.mustache:1:7"));
	subscriber_free(s);
	config_free(cfg);
}

static void
test_unknown_name_warning(void **state)
{
	struct config *cfg = test_config();
	FILE *out = tmpfile();
	char buf[4096] = "";

	(void)state;
	put("typo/en/welcome.txt.mustache", "Hi {{subscriber.nmae}},\n"
	    "{{> footer}}\n");
	free(cfg->templates);
	cfg->templates = xasprintf("%s/typo", dir);
	assert_int_equal(render_check(cfg, out), 0); /* a warning only */
	rewind(out);
	fread(buf, 1, sizeof(buf) - 1, out);
	fclose(out);
	assert_non_null(strstr(buf, "/typo/en/welcome.txt.mustache:1:4: "
	    "warning: \"subscriber.nmae\""));
	assert_non_null(strstr(buf, "context of en/welcome.txt"));
	config_free(cfg);
}

/* A typo in a partial is reported at the partial's file and line, once,
 * though several mails include it. */
static void
test_unknown_name_in_partial(void **state)
{
	struct config *cfg = test_config();
	FILE *out = tmpfile();
	char buf[8192] = "", want[700];
	const char *p;

	(void)state;
	put("partial/de/event.txt.mustache", "» {{title}}\n  Wann: {{wehn}}\n");
	free(cfg->templates);
	cfg->templates = xasprintf("%s/partial", dir);
	assert_int_equal(render_check(cfg, out), 0);
	rewind(out);
	fread(buf, 1, sizeof(buf) - 1, out);
	fclose(out);
	snprintf(want, sizeof(want), "%s/partial/de/event.txt.mustache:2:9: "
	    "warning: \"wehn\"", dir);
	if ((p = strstr(buf, want)) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, buf);
	assert_null(strstr(p + strlen(want), "\"wehn\""));
	assert_null(strstr(buf, "invitation.txt:2:9"));
	config_free(cfg);
}

/* Splits "a,b" into a list (none for ""); free with csv_list_free. */
static size_t
csv_list(const char *s, char ***out)
{
	size_t n = 0;
	const char *p = s, *e;

	*out = NULL;
	while (*p != '\0') {
		e = p + strcspn(p, ",");
		*out = xrealloc(*out, (n + 1) * sizeof(char *));
		(*out)[n++] = xstrndup(p, (size_t)(e - p));
		p = *e ? e + 1 : e;
	}
	return n;
}

static void
csv_list_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Adds a published event; returns its id. */
static int64_t
add_event(struct db *db, const char *kind, const char *title,
    const char *start, const char *end, const char *district,
    const char *rrule, int publish)
{
	struct event_fields f;
	int64_t id;
	char *err = NULL;

	memset(&f, 0, sizeof(f));
	f.capacity = -1;
	f.all_day = end == NULL && strlen(start) == 10;
	f.kind = kind;
	f.title = title;
	f.start = start;
	f.end = end;
	f.district = district;
	f.rrule = rrule;
	f.description = "Mit **Anmeldung**.";
	if (event_add(db, "Europe/Berlin", "example.org", &f, &id, &err) < 0)
		fail_msg("event_add %s: %s", title, err);
	if (publish == 1)
		assert_int_equal(event_publish(db, id, &err), 0);
	if (publish == 2) {
		assert_int_equal(event_publish(db, id, &err), 0);
		assert_int_equal(event_cancel(db, id, &err), 0);
	}
	return id;
}

/* Who the newsletter lists an event for: district and topics. */
static void
test_event_for_table(void **state)
{
	static const struct {
		const char *ev_district;    /* NULL: county-wide */
		const char *ev_topics;      /* ","-separated, "" for none */
		const char *districts;      /* the subscriber's */
		const char *topics;         /* the subscriber's */
		int all_topics;
		int want;
	} table[] = {
		/* no topics: the district decides, as before */
		{ NULL, "", "", "", 0, 1 },
		{ NULL, "", "Nord", "Kultur", 0, 1 },
		{ "Nord", "", "Nord", "", 0, 1 },
		{ "Nord", "", "nord", "", 0, 1 },
		{ "Nord", "", "Süd", "", 0, 0 },
		{ "Nord", "", "", "", 0, 0 },
		{ "Nord", "", "Süd,Nord", "", 0, 1 },
		/* topics: one in common is enough, in any case */
		{ NULL, "Sprachcafé", "", "Sprachcafé", 0, 1 },
		{ NULL, "Sprachcafé", "", "SPRACHCAFÉ", 0, 1 },
		{ NULL, "ökologie", "", "Ökologie", 0, 1 },
		{ NULL, "Sprachcafé", "", "", 0, 0 },
		{ NULL, "Sprachcafé", "", "Kultur", 0, 0 },
		{ NULL, "Sprachcafé", "", "Sprachcafe", 0, 0 },
		{ NULL, "Kultur,Sprachcafé", "", "Patenschaften,Sprachcafé", 0,
		    1 },
		{ "Nord", "Sprachcafé", "Nord", "Sprachcafé", 0, 1 },
		{ "Nord", "Sprachcafé", "Nord", "Kultur", 0, 0 },
		/* the topic never makes up for the district */
		{ "Nord", "Sprachcafé", "Süd", "Sprachcafé", 0, 0 },
		{ "Nord", "Sprachcafé", "Süd", "Sprachcafé", 1, 0 },
		/* all_topics: topics do not matter, districts still do */
		{ NULL, "Sprachcafé", "", "", 1, 1 },
		{ NULL, "Sprachcafé", "", "Kultur", 1, 1 },
		{ "Nord", "Sprachcafé", "Nord", "", 1, 1 },
		{ "Nord", "", "Süd", "", 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct event ev;
		struct subscriber s;
		char **et, **sd, **st;
		size_t net, nsd, nst;
		int got;

		memset(&ev, 0, sizeof(ev));
		memset(&s, 0, sizeof(s));
		net = csv_list(table[i].ev_topics, &et);
		nsd = csv_list(table[i].districts, &sd);
		nst = csv_list(table[i].topics, &st);
		ev.district = (char *)table[i].ev_district;
		ev.topics = et;
		ev.ntopics = net;
		s.districts = sd;
		s.ndistricts = nsd;
		s.topics = st;
		s.ntopics = nst;
		got = render_event_for(&ev, &s, table[i].all_topics);
		if (got != table[i].want)
			fail_msg("row %zu: event in %s with topics \"%s\", "
			    "subscriber in \"%s\" with \"%s\", all_topics %d: "
			    "got %d, want %d", i, table[i].ev_district ?
			    table[i].ev_district : "(county-wide)",
			    table[i].ev_topics, table[i].districts,
			    table[i].topics, table[i].all_topics, got,
			    table[i].want);
		csv_list_free(et, net);
		csv_list_free(sd, nsd);
		csv_list_free(st, nst);
	}
}

/* The newsletter lists topic events only for those who follow a topic;
 * two people of one district with different topics get different
 * newsletters (the shared context is not reused across them). */
static void
test_newsletter_topics(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *r;
	struct subscriber *cafe = person("Anna", "de", "Nord"),
	    *other = person("Bernd", "de", "Nord"), *none = person("Carla",
	    "de", "Nord");
	char *cafe_topics[] = { "sprachcafé" }, *other_topics[] = { "Kultur" },
	    *ev_topics[] = { "Sprachcafé", "Lesepaten" };
	struct newsletter nl;
	struct rendered m;
	struct db *db;
	char *err = NULL, **saved;
	size_t i, nsaved = 0, at = 0;
	time_t now;

	(void)state;
	free(cfg->database);
	cfg->database = xasprintf("%s/topics.sqlite", dir);
	assert_int_equal(db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err), 0);
	district_add(db, "Nord", &err);
	add_event(db, "training", "Sprachcafé-Schulung", "2026-12-08 18:00",
	    "2026-12-08 20:00", "Nord", NULL, 1);
	add_event(db, "network_meeting", "Treffen Nord", "2026-12-03 19:00",
	    "2026-12-03 21:00", "Nord", NULL, 1);
	assert_int_equal(ical_local_to_utc("Europe/Berlin", "2026-12-01 09:00",
	    &now), 0);
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, now, &nl, &err), 0);
	assert_int_equal(nl.nevents, 2);
	/* the event's topics, as event.c will read them from event_topics;
	 * the loaded ones are put back before newsletter_free */
	while (strcmp(nl.events[at].title, "Sprachcafé-Schulung") != 0)
		at++;
	saved = nl.events[at].topics;
	nsaved = nl.events[at].ntopics;
	nl.events[at].topics = ev_topics;
	nl.events[at].ntopics = 2;
	cafe->topics = xcalloc(1, sizeof(char *));
	cafe->topics[0] = xstrdup(cafe_topics[0]);
	cafe->ntopics = 1;
	other->topics = xcalloc(1, sizeof(char *));
	other->topics[0] = xstrdup(other_topics[0]);
	other->ntopics = 1;

	for (i = 0; i < 2; i++) {
		cfg->all_topics = (int)i;
		r = render_new(cfg, ts);
		/* the one without the topic first: a context cached for the
		 * district alone would hide the event from the next */
		assert_int_equal(render_newsletter(r, &nl, other, &m, &err), 0);
		assert_non_null(strstr(m.text.data, "Treffen Nord"));
		if (i == 0)
			assert_null(strstr(m.text.data, "Sprachcafé-Schulung"));
		else
			assert_non_null(strstr(m.text.data,
			    "Sprachcafé-Schulung"));
		rendered_free(&m);
		assert_int_equal(render_newsletter(r, &nl, cafe, &m, &err), 0);
		assert_non_null(strstr(m.text.data, "Treffen Nord"));
		assert_non_null(strstr(m.text.data, "Sprachcafé-Schulung"));
		assert_non_null(strstr(m.html.data, "Sprachcafé-Schulung"));
		rendered_free(&m);
		assert_int_equal(render_newsletter(r, &nl, none, &m, &err), 0);
		assert_non_null(strstr(m.text.data, "Treffen Nord"));
		assert_int_equal(strstr(m.text.data, "Sprachcafé-Schulung") !=
		    NULL, (int)i);
		rendered_free(&m);
		render_free(r);
	}
	nl.events[at].topics = saved;
	nl.events[at].ntopics = nsaved;
	newsletter_free(&nl);
	subscriber_free(cafe);
	subscriber_free(other);
	subscriber_free(none);
	db_close(db);
	tmplset_free(ts);
	config_free(cfg);
}

static void
test_newsletter_events_per_district(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *r = render_new(cfg, ts);
	struct subscriber *nord = person("Anna", "de", "Nord"),
	    *sued = person("Mehmet", "en", "Süd"), *none = person("", "de", NULL),
	    *nord_en = person("Olena", "en", "Nord");
	struct newsletter nl;
	struct rendered m;
	struct db *db;
	char *err = NULL;
	const char *p, *q;
	time_t now;

	(void)state;
	assert_int_equal(db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err), 0);
	district_add(db, "Nord", &err);
	district_add(db, "Süd", &err);
	add_event(db, "volunteer_fair", "Messe Süd", "2026-12-10 14:00",
	    "2026-12-10 18:00", "Süd", NULL, 1);
	add_event(db, "welcome_conference", "Konferenz <Kreis>",
	    "2026-12-05 10:00", "2026-12-05 13:00", NULL, NULL, 1);
	add_event(db, "network_meeting", "Treffen Nord", "2026-12-03 19:00",
	    "2026-12-03 21:00", "Nord", NULL, 1);
	add_event(db, "training", "Entwurf", "2026-12-04 10:00", NULL, NULL,
	    NULL, 0);
	add_event(db, "training", "Abgesagt", "2026-12-04 11:00", NULL, NULL,
	    NULL, 2);
	add_event(db, "training", "Vorbei", "2026-11-20 10:00", NULL, NULL,
	    NULL, 1);
	add_event(db, "training", "Zu spät", "2027-02-20 10:00", NULL, NULL,
	    NULL, 1);
	add_event(db, "deadline", "Antragsfrist", "2026-12-20", NULL, NULL,
	    NULL, 1);
	add_event(db, "training", "Selbstfürsorge", "2026-06-09 18:00",
	    "2026-06-09 20:00", "Nord", "FREQ=MONTHLY;BYDAY=2TU", 1);
	/* the newsletter of December 2026, made on 1 December */
	assert_int_equal(ical_local_to_utc("Europe/Berlin", "2026-12-01 09:00",
	    &now), 0);
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, now, &nl, &err), 0);
	assert_int_equal(nl.nevents, 5);
	assert_int_equal(nl.neditorials, 0);

	/* Nord: county-wide + Nord, by date (the default) */
	assert_int_equal(render_newsletter(r, &nl, nord, &m, &err), 0);
	p = m.text.data;
	assert_null(strstr(p, "=== Willkommenskonferenzen ==="));
	assert_non_null(q = strstr(p, "Treffen Nord"));         /* 3 Dec */
	assert_non_null(q = strstr(q, "Konferenz <Kreis>"));    /* 5 Dec */
	assert_non_null(q = strstr(q, "Selbstfürsorge"));       /* 8 Dec */
	assert_non_null(q = strstr(q, "Antragsfrist"));         /* 20 Dec */
	assert_null(strstr(p, "Messe Süd"));
	assert_non_null(q = strstr(m.html.data, "Treffen Nord"));
	assert_non_null(strstr(q, "Konferenz &lt;Kreis&gt;"));
	rendered_free(&m);

	/* [newsletter] order = kind: grouped by kind, in kind order */
	cfg->order = CONFIG_ORDER_KIND;
	render_free(r); /* its cached contexts were made for date order */
	r = render_new(cfg, ts);
	assert_int_equal(render_newsletter(r, &nl, nord, &m, &err), 0);
	p = m.text.data;
	assert_non_null(strstr(p, "=== Willkommenskonferenzen ==="));
	assert_non_null(q = strstr(p, "Konferenz <Kreis>"));
	assert_non_null(q = strstr(q, "Treffen Nord"));
	assert_non_null(strstr(p, "Selbstfürsorge"));
	assert_non_null(strstr(p, "Dienstag, 8. Dezember 2026, 18:00"));
	/* the recurring event: its rule in words, then the next date */
	assert_non_null(strstr(p, "  Wann:    jeden 2. Dienstag im Monat, "
	    "18:00–20:00 Uhr\n           nächster Termin: Dienstag, "
	    "8. Dezember 2026, 18:00–20:00 Uhr\n"));
	assert_non_null(strstr(m.html.data, "<strong>jeden 2. Dienstag im "
	    "Monat, 18:00–20:00 Uhr</strong><br>nächster Termin: Dienstag, "
	    "8. Dezember 2026, 18:00–20:00 Uhr"));
	assert_null(strstr(p, "Wiederkehrender Termin"));
	assert_non_null(strstr(p, "Antragsfrist"));
	assert_null(strstr(p, "Messe Süd"));
	assert_null(strstr(p, "Entwurf"));
	assert_null(strstr(p, "Abgesagt"));
	assert_null(strstr(p, "Vorbei"));
	assert_null(strstr(p, "Zu spät"));
	assert_true(strstr(p, "Willkommenskonferenz") < strstr(p, "Treffen Nord"));
	assert_true(strstr(p, "Treffen Nord") < strstr(p, "Antragsfrist"));
	assert_non_null(strstr(p, "Hallo Anna,"));
	assert_non_null(strstr(p, "Dezember 2026"));
	/* HTML: escaped title, never raw markup from data */
	assert_non_null(strstr(m.html.data, "Konferenz &lt;Kreis&gt;"));
	assert_null(strstr(m.html.data, "<Kreis>"));
	assert_non_null(strstr(m.html.data, "<strong>Anmeldung</strong>"));
	/* the unsubscribe address with the token, in both parts */
	assert_non_null(strstr(m.text.data, "00112233445566778899aabbccddeeff"));
	assert_non_null(strstr(m.html.data, "00112233445566778899aabbccddeeff"));
	rendered_free(&m);

	/* Süd, in English: county-wide + Süd */
	assert_int_equal(render_newsletter(r, &nl, sued, &m, &err), 0);
	p = m.text.data;
	assert_non_null(strstr(p, "Messe Süd"));
	assert_non_null(strstr(p, "Konferenz <Kreis>"));
	assert_null(strstr(p, "Treffen Nord"));
	assert_null(strstr(p, "Selbstfürsorge"));
	assert_non_null(strstr(p, "Thursday, 10 December 2026, 2:00"));
	assert_non_null(strstr(p, "December 2026"));
	rendered_free(&m);

	/* Nord in English */
	assert_int_equal(render_newsletter(r, &nl, nord_en, &m, &err), 0);
	assert_non_null(strstr(m.text.data, "  When:    every second Tuesday "
	    "of the month, 6:00–8:00 pm\n           next date: Tuesday, "
	    "8 December 2026, 6:00–8:00 pm\n"));
	assert_non_null(strstr(m.html.data, "<strong>every second Tuesday of "
	    "the month, 6:00–8:00 pm</strong><br>next date: Tuesday, "
	    "8 December 2026"));
	rendered_free(&m);

	/* no districts: county-wide only, neutral salutation */
	assert_int_equal(render_newsletter(r, &nl, none, &m, &err), 0);
	assert_non_null(strstr(m.text.data, "Hallo,"));
	assert_null(strstr(m.text.data, "Messe Süd"));
	assert_null(strstr(m.text.data, "Treffen Nord"));
	assert_non_null(strstr(m.text.data, "Antragsfrist"));
	rendered_free(&m);
	newsletter_free(&nl);

	/* an editorial with front matter sets the subject */
	put("content/2026-12.md", "---\nsubject: Rundbrief Advent\n---\n"
	    "# Liebe Ehrenamtliche\n\nDanke für alles!\n");
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, now, &nl, &err), 0);
	assert_int_equal(render_newsletter(r, &nl, nord, &m, &err), 0);
	assert_string_equal(m.subject, "Rundbrief Advent");
	assert_non_null(strstr(m.html.data, "<h1>Liebe Ehrenamtliche</h1>"));
	assert_non_null(strstr(m.text.data, "Danke für alles!"));
	rendered_free(&m);
	newsletter_free(&nl);

	/* a broken front matter names the file and the line */
	put("content/2027-02.md", "---\nsubject: Februar\nno colon here\n---\n");
	assert_int_equal(newsletter_load(cfg, db, 2027, 2, now, &nl, &err), -1);
	{
		char want[600];
		snprintf(want, sizeof(want), "%s/content/2027-02.md:3: ", dir);
		if (strstr(err, want) == NULL)
			fail_msg("\"%s\" does not start with \"%s\"", err, want);
	}
	free(err);
	err = NULL;

	/* require_editorial without a file is an error naming it */
	cfg->require_editorial = 1;
	assert_int_equal(newsletter_load(cfg, db, 2027, 1, now, &nl, &err), -1);
	assert_non_null(strstr(err, "2027-01.md"));
	free(err);

	db_close(db);
	render_free(r);
	tmplset_free(ts);
	subscriber_free(nord);
	subscriber_free(sued);
	subscriber_free(none);
	subscriber_free(nord_en);
	config_free(cfg);
}

static void
test_event_mails(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *r = render_new(cfg, ts);
	struct subscriber *s = person("Anna \"<b>\" Schmidt", "de", NULL);
	struct event ev, old;
	struct rendered m;
	char *err = NULL;
	static const char *const names[] = { "invitation", "update",
		"cancellation", "reminder" };
	static const struct {
		const char *now, *date;
	} next[] = {
		{ "2026-11-20 12:00", "Donnerstag, 3. Dezember 2026" },
		{ "2026-12-10 12:00", "Donnerstag, 10. Dezember 2026" },
		{ "2026-12-10 19:59", "Donnerstag, 10. Dezember 2026" },
		{ "2026-12-10 20:00", "Dienstag, 15. Dezember 2026" },
		/* the series is over: its first date */
		{ "2027-01-15 12:00", "Donnerstag, 3. Dezember 2026" },
	};
	char want[200];
	size_t i;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.uid = "u@example.org";
	ev.kind = "training";
	ev.title = "Schulung <script>alert(1)</script>";
	ev.description = "Bitte <b>pünktlich</b>.";
	ev.location = "Raum \"A\"";
	ev.online_url = "https://meet.example.org/x?a=1&b=\"2\"";
	ev.tzid = "Europe/Berlin";
	ev.start_local = "2026-12-03 18:00";
	ev.end_local = "2026-12-03 20:00";
	ev.start_utc = 1796317200;
	ev.end_utc = 1796324400;
	ev.status = "published";
	old = ev;
	old.start_local = "2026-12-02 18:00";
	old.end_local = "2026-12-02 20:00";
	old.start_utc = ev.start_utc - 86400;
	old.end_utc = ev.end_utc - 86400;
	old.location = "Raum B";
	for (i = 0; i < 4; i++) {
		assert_int_equal(render_event_mail(r, names[i], &ev,
		    i == 1 ? &old : NULL, 86400, ev.start_utc - 86400, s, &m,
		    &err), 0);
		assert_non_null(strstr(m.text.data, "Donnerstag, 3. Dezember "
		    "2026, 18:00–20:00 Uhr"));
		assert_null(strstr(m.html.data, "<script>"));
		assert_null(strstr(m.html.data, "<b>"));
		assert_null(strstr(m.html.data, "\"<b>\""));
		assert_non_null(strstr(m.html.data, "&lt;script&gt;"));
		assert_null(strstr(m.html.data, "b=\"2\""));
		assert_null(strchr(m.subject, '\n'));
		if (i == 1) {
			assert_non_null(strstr(m.text.data, "Mittwoch, 2. Dezember "
			    "2026"));
			assert_non_null(strstr(m.text.data, "Raum B"));
		}
		if (i == 3)
			assert_non_null(strstr(m.subject, "morgen"));
		rendered_free(&m);
	}

	/* a recurring event says its rule and the occurrence that is next
	 * when the mail is sent: Thu 3, Tue 8, Thu 10, ... Tue 29 December */
	ev.rrule = "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8";
	for (i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		time_t now;

		assert_int_equal(ical_local_to_utc("Europe/Berlin",
		    next[i].now, &now), 0);
		assert_int_equal(render_event_mail(r, "update", &ev, &ev, 0,
		    now, s, &m, &err), 0);
		assert_non_null(strstr(m.text.data, "Wann:    jeden Dienstag "
		    "und Donnerstag, 18:00–20:00 Uhr, achtmal\n"));
		assert_non_null(strstr(m.html.data, "<strong>jeden Dienstag "
		    "und Donnerstag, 18:00–20:00 Uhr, achtmal</strong>"));
		snprintf(want, sizeof(want), "\n           nächster Termin: "
		    "%s, 18:00–20:00 Uhr\n", next[i].date);
		if (strstr(m.text.data, want) == NULL)
			fail_msg("sent %s: no \"%s\" in\n%s", next[i].now, want,
			    m.text.data);
		rendered_free(&m);
	}
	/* an update of the rule says both in words, or as written when no
	 * sentence says them */
	old.rrule = "FREQ=MONTHLY;BYDAY=2TU";
	ev.rrule = "FREQ=MONTHLY;BYDAY=-1TU";
	assert_int_equal(render_event_mail(r, "update", &ev, &old, 0, 0, s,
	    &m, &err), 0);
	assert_non_null(strstr(m.text.data, "Wiederholung\n  bisher:  jeden "
	    "2. Dienstag im Monat, 18:00–20:00 Uhr\n  neu:     jeden letzten "
	    "Dienstag im Monat, 18:00–20:00 Uhr\n"));
	assert_null(strstr(m.text.data, "FREQ="));
	rendered_free(&m);
	old.rrule = "FREQ=DAILY;BYHOUR=9,17";
	assert_int_equal(render_event_mail(r, "update", &ev, &old, 0, 0, s,
	    &m, &err), 0);
	assert_non_null(strstr(m.text.data, "  bisher:  FREQ=DAILY;BYHOUR=9,17"
	    "\n  neu:     jeden letzten Dienstag"));
	rendered_free(&m);

	/* a rule without a sentence: the generic text */
	ev.rrule = "FREQ=DAILY;BYHOUR=9,17";
	assert_int_equal(render_event_mail(r, "invitation", &ev, NULL, 0, 0,
	    s, &m, &err), 0);
	assert_non_null(strstr(m.text.data, "Wann:    Wiederkehrender "
	    "Termin\n           nächster Termin: "));
	rendered_free(&m);
	render_free(r);
	tmplset_free(ts);
	subscriber_free(s);
	config_free(cfg);
}

/* A county-wide event says the configured word, per language, in every
 * mail that shows it. */
static void
test_area_name(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *r;
	struct subscriber *de = person("Anna", "de", NULL),
	    *en = person("Olena", "en", NULL), *uk = person("Ivan", "uk", NULL);
	const struct subscriber *who[3] = { de, en, uk };
	const char *want[3] = { "stadtweit", "city-wide", "stadtweit" };
	static const char *const names[] = { "invitation", "update",
		"cancellation", "reminder" };
	struct newsletter nl;
	struct event ev;
	struct rendered m;
	time_t when;
	char *err = NULL;
	size_t i, k;

	(void)state;
	cfg->area_name.w = xcalloc(2, sizeof(*cfg->area_name.w));
	cfg->area_name.w[0].text = xstrdup("stadtweit");
	strcpy(cfg->area_name.w[1].lang, "en");
	cfg->area_name.w[1].text = xstrdup("city-wide");
	cfg->area_name.n = 2;
	r = render_new(cfg, ts);
	memset(&ev, 0, sizeof(ev));
	ev.uid = "u@example.org";
	ev.kind = "training";
	ev.title = "Schulung";
	ev.description = "";
	ev.tzid = "Europe/Berlin";
	ev.start_local = "2026-12-03 18:00";
	ev.end_local = "2026-12-03 20:00";
	ev.start_utc = 1796317200;
	ev.end_utc = 1796324400;
	ev.status = "published";
	memset(&nl, 0, sizeof(nl));
	nl.serial = 1;
	nl.year = 2026;
	nl.month = 12;
	nl.to = ev.end_utc;
	nl.events = &ev;
	when = ev.start_utc;
	nl.when = &when;
	nl.nevents = 1;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 5; i++) {
			if (i < 4)
				assert_int_equal(render_event_mail(r, names[i], &ev,
				    &ev, 86400, 0, who[k], &m, &err), 0);
			else
				assert_int_equal(render_newsletter(r, &nl, who[k],
				    &m, &err), 0);
			if (strstr(m.text.data, want[k]) == NULL ||
			    strstr(m.html.data, want[k]) == NULL)
				fail_msg("%s for %s: no \"%s\" in:\n%s", i < 4 ?
				    names[i] : "newsletter", who[k]->language,
				    want[k], m.text.data);
			assert_null(strstr(m.text.data, "kreisweit"));
			assert_null(strstr(m.html.data, "county-wide"));
			rendered_free(&m);
		}
	}
	render_free(r);
	tmplset_free(ts);
	subscriber_free(de);
	subscriber_free(en);
	subscriber_free(uk);
	config_free(cfg);
}

/* The newsletter greets with {{greeting}}; an override that greets in
 * the editorial leaves it out. */
static void
test_greeting(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts;
	struct render *r;
	struct subscriber *anna = person("Anna Schneider", "de", NULL),
	    *olena = person("Olena", "en", NULL), *none = person("", "de", NULL);
	struct newsletter nl;
	struct rendered m;
	char *err = NULL;

	(void)state;
	memset(&nl, 0, sizeof(nl));
	nl.serial = 1;
	nl.year = 2026;
	nl.month = 12;
	nl.to = 1798761600;
	ts = tmplset_new(NULL, "de");
	r = render_new(cfg, ts);
	assert_int_equal(render_newsletter(r, &nl, anna, &m, &err), 0);
	assert_non_null(strstr(m.text.data, "\nHallo Anna Schneider,\n"));
	assert_non_null(strstr(m.html.data, ">Hallo Anna Schneider,</p>"));
	rendered_free(&m);
	assert_int_equal(render_newsletter(r, &nl, olena, &m, &err), 0);
	assert_non_null(strstr(m.text.data, "\nDear Olena,\n"));
	rendered_free(&m);
	render_free(r);
	tmplset_free(ts);

	/* an override: the editorial greets, the template does not */
	put("greet/de/newsletter.txt.mustache", "[{{greeting}}]\n");
	put("greet/de/newsletter.html.mustache", "<p>{{editorial.html}}</p>\n");
	free(cfg->templates);
	cfg->templates = xasprintf("%s/greet", dir);
	ts = tmplset_new(cfg->templates, "de");
	r = render_new(cfg, ts);
	assert_int_equal(render_newsletter(r, &nl, anna, &m, &err), 0);
	assert_string_equal(m.text.data, "[Hallo Anna Schneider,]\n");
	assert_null(strstr(m.html.data, "Hallo"));
	rendered_free(&m);
	assert_int_equal(render_newsletter(r, &nl, none, &m, &err), 0);
	assert_string_equal(m.text.data, "[Hallo,]\n");
	rendered_free(&m);
	render_free(r);
	tmplset_free(ts);
	subscriber_free(anna);
	subscriber_free(olena);
	subscriber_free(none);
	config_free(cfg);
}

/* events_by_date: the subscriber's events by date, whatever the order
 * the shipped templates show. */
static void
test_events_by_date(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts;
	struct render *r;
	struct subscriber *s = person("Anna", "de", "Nord");
	struct event ev[3];
	struct newsletter nl;
	struct rendered m;
	time_t when[3];
	char *err = NULL;
	size_t i;

	(void)state;
	put("bydate/de/newsletter.txt.mustache", "{{#events_by_date}}"
	    "{{title}};{{/events_by_date}}|{{#events_by_kind}}{{heading}}:"
	    "{{#events}}{{title}};{{/events}}{{/events_by_kind}}|"
	    "{{#order_by_date}}date{{/order_by_date}}"
	    "{{#order_by_kind}}kind{{/order_by_kind}}\n");
	free(cfg->templates);
	cfg->templates = xasprintf("%s/bydate", dir);
	cfg->order = CONFIG_ORDER_KIND;
	ts = tmplset_new(cfg->templates, "de");
	r = render_new(cfg, ts);
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 3; i++) {
		ev[i].uid = "u@example.org";
		ev[i].kind = i == 1 ? "welcome_conference" : "training";
		ev[i].title = i == 0 ? "A" : i == 1 ? "B" : "C";
		ev[i].description = "";
		ev[i].tzid = "Europe/Berlin";
		ev[i].start_local = "2026-12-03 18:00";
		ev[i].end_local = "2026-12-03 20:00";
		ev[i].start_utc = 1796317200 + (time_t)i * 86400;
		ev[i].end_utc = ev[i].start_utc + 7200;
		ev[i].district = i == 2 ? "Süd" : NULL;
		ev[i].status = "published";
		when[i] = ev[i].start_utc;
	}
	memset(&nl, 0, sizeof(nl));
	nl.serial = 1;
	nl.year = 2026;
	nl.month = 12;
	nl.to = 1798761600;
	nl.events = ev;
	nl.when = when;
	nl.nevents = 3;
	assert_int_equal(render_newsletter(r, &nl, s, &m, &err), 0);
	assert_string_equal(m.text.data, "A;B;|Willkommenskonferenzen:B;"
	    "Schulungen:A;|kind\n");
	rendered_free(&m);
	render_free(r);
	tmplset_free(ts);
	subscriber_free(s);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_templates_parse),
		cmocka_unit_test(test_override_and_language_fallback),
		cmocka_unit_test(test_template_errors_name_file_line_column),
		cmocka_unit_test(test_unknown_name_warning),
		cmocka_unit_test(test_unknown_name_in_partial),
		cmocka_unit_test(test_newsletter_events_per_district),
		cmocka_unit_test(test_event_for_table),
		cmocka_unit_test(test_newsletter_topics),
		cmocka_unit_test(test_event_mails),
		cmocka_unit_test(test_area_name),
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_events_by_date),
	};

	return cmocka_run_group_tests_name("render", tests, tmpdir_setup,
	    tmpdir_teardown);
}
