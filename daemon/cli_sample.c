/*
 * cli_sample: `rundbrief sample` fills a database with a small, realistic
 * sample (districts, subscribers, upcoming events) so a newcomer sees
 * rundbrief work at once, and writes this month's editorials (German and
 * English) as examples whose comments explain how to write one. Events are
 * dated relative to today. Running it again adds nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "datefmt.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
#include "mailing.h"
#include "subscriber.h"
#include "util.h"

static const char *const districts[] = { "Nord", "Süd", "Mitte", "Ost" };

static const struct {
	const char *email, *name, *lang, *district, *topics;
	int confirmed;
} people[] = {
	{ "anna.schneider@example.org", "Anna Schneider", "de", "Nord",
	    "Sprachkurse", 1 },
	{ "mehmet.yilmaz@example.org", "Mehmet Yılmaz", "de", "Süd",
	    "Patenschaften", 1 },
	{ "olena.kovalenko@example.org", "Olena Kovalenko", "en", "Mitte",
	    "Sprachcafé", 1 },
	{ "jonas.weber@example.org", "Jonas Weber", "de", "Ost", NULL, 1 },
	{ "fatima.haddad@example.org", "Fatima Haddad", "en", "Nord",
	    "Patenschaften", 1 },
	{ "claudia.mueller@example.org", "Claudia Müller", "de", "Süd",
	    "Sprachkurse", 0 },
	{ "peter.braun@example.org", "Peter Braun", "de", "Mitte", NULL, 1 },
};

struct sample_event {
	const char *kind, *title, *location, *url, *district, *rrule, *desc;
	int days, hour, minutes, all_day;
	long capacity;
};

static const struct sample_event events[] = {
	{ "welcome_conference", "Willkommenskonferenz 2027",
	  "Kreishaus, Großer Sitzungssaal, Am Markt 1", NULL, NULL, NULL,
	  "Die jährliche **Willkommenskonferenz** für alle Ehrenamtlichen im "
	  "Kreis: Austausch, Fachvorträge und ein Markt der Möglichkeiten.\n\n"
	  "- Begrüßung durch die Landrätin\n- Workshops am Nachmittag\n"
	  "- Imbiss und Getränke\n", 24, 10, 180, 0, 150 },
	{ "volunteer_fair", "Ehrenamtsmesse Süd",
	  "Bürgerhaus Süd, Lindenstraße 12", NULL, "Süd", NULL,
	  "Vereine und Initiativen stellen sich vor. Bringen Sie Interessierte "
	  "mit!\n", 31, 14, 240, 0, 0 },
	{ "training", "Online-Schulung: Asylrecht kompakt", NULL,
	  "https://meet.example.org/asylrecht", NULL, NULL,
	  "Eine Einführung in die Grundlagen des Asylverfahrens für "
	  "Ehrenamtliche. Die Zugangsdaten finden Sie im Link.\n",
	  10, 18, 90, 0, 40 },
	{ "network_meeting", "Netzwerktreffen Nord",
	  "Stadtteilzentrum Nord, Raum 2", NULL, "Nord", NULL,
	  "Offenes Treffen des Netzwerks Nord.\n", 17, 19, 120, 0, 0 },
	{ "deadline", "Förderaufruf Mikroprojekte: Antragsfrist", NULL,
	  "https://www.example.org/foerderung", NULL, NULL,
	  "Bis zu **2.000 Euro** für kleine Projekte von Ehrenamtlichen. "
	  "Anträge bis zum Fristende.\n", 38, 0, 0, 1, 0 },
	{ "training", "Selbstfürsorge-Workshop Nord",
	  "Familienzentrum Nord", NULL, "Nord",
	  "FREQ=MONTHLY;INTERVAL=6;COUNT=4",
	  "Ein Nachmittag für Sie: Grenzen setzen, Kraft schöpfen.\n",
	  45, 15, 180, 0, 20 },
};

/*
 * The example editorials, German and English: printf formats of the
 * month's file name without ".md" (%1$s) and the month (%2$s). Comments
 * in the front matter are lines starting with '#'.
 */
static const struct {
	const char *lang, *text;
} editorials[] = {
	{ "de",
	  "---\n"
	  "# Das Editorial des Rundbriefs: eine Markdown-Datei je Monat und\n"
	  "# Sprache im Verzeichnis [general] content, %1$s.md für die\n"
	  "# Standardsprache, %1$s.en.md, %1$s.uk.md usw. für Abonnentinnen\n"
	  "# und Abonnenten einer anderen Sprache (ohne Datei in ihrer Sprache\n"
	  "# bekommen sie %1$s.md). Zeilen mit # zwischen den beiden Zeilen\n"
	  "# aus --- sind Kommentare; sie erscheinen nirgends.\n"
	  "#\n"
	  "# Anrede und Gruß schreibt der Rundbrief selbst: Er beginnt mit\n"
	  "# \"Hallo Anna Schneider,\" (jede Person mit ihrem Namen) und endet\n"
	  "# mit \"Herzliche Grüße\", Ihrem Namen und dem Ihrer Stelle.\n"
	  "# Beginnen Sie deshalb ohne Anrede (der erste Satz folgt auf das\n"
	  "# Komma) und enden Sie ohne Gruß. Wer lieber selbst grüßt (\"Liebe\n"
	  "# Ehrenamtliche,\"), entfernt {{greeting}} aus eigenen Kopien von\n"
	  "# de/newsletter.txt.mustache und de/newsletter.html.mustache\n"
	  "# (siehe templates/README.md).\n"
	  "#\n"
	  "# subject: ersetzt den Betreff (sonst \"Rundbrief %2$s\"),\n"
	  "# preheader: ist die Vorschauzeile, die viele Mailprogramme neben\n"
	  "# dem Betreff zeigen. Beide dürfen fehlen.\n"
	  "subject: Rundbrief %2$s: Willkommenskonferenz und neue Termine\n"
	  "preheader: Neues aus den Netzwerken und die Termine der nächsten "
	  "Wochen\n"
	  "---\n"
	  "schön, dass Sie dabei sind! In den nächsten Wochen ist viel los: Die\n"
	  "**Willkommenskonferenz** bringt alle Netzwerke zusammen, und im Süden\n"
	  "stellen sich bei der Ehrenamtsmesse Vereine und Initiativen vor.\n"
	  "\n"
	  "## Neu: Online-Schulung zum Asylrecht\n"
	  "\n"
	  "Viele von Ihnen haben danach gefragt. Die Schulung gibt einen\n"
	  "Überblick über das Asylverfahren und lässt Zeit für Ihre Fragen.\n"
	  "\n"
	  "Alle Termine finden Sie unten. Danke für Ihr Engagement!\n" },
	{ "en",
	  "---\n"
	  "# The newsletter's editorial: one Markdown file per month and\n"
	  "# language in the [general] content directory, %1$s.md for the\n"
	  "# default language, %1$s.de.md, %1$s.uk.md and so on for\n"
	  "# subscribers of another language (who get %1$s.md when there is\n"
	  "# no file in theirs). Lines starting with # between the\n"
	  "# two --- lines are comments; they appear nowhere.\n"
	  "#\n"
	  "# The newsletter greets and signs off by itself: it starts with\n"
	  "# \"Dear Anna Schneider,\" (each person by name) and ends with \"Kind\n"
	  "# regards\", your name and your office's. So start without a\n"
	  "# salutation and end without a sign-off. To greet in the editorial\n"
	  "# instead (\"Dear volunteers,\"), remove {{greeting}} from your own\n"
	  "# copies of en/newsletter.txt.mustache and\n"
	  "# en/newsletter.html.mustache (see templates/README.md).\n"
	  "#\n"
	  "# subject: replaces the subject line (else \"Newsletter %2$s\"),\n"
	  "# preheader: is the preview line many mail programs show next to\n"
	  "# the subject. Both may be left out.\n"
	  "subject: Newsletter %2$s: welcome conference and new dates\n"
	  "preheader: News from the networks and the dates of the coming "
	  "weeks\n"
	  "---\n"
	  "We are glad you are with us! The coming weeks are busy: the\n"
	  "**welcome conference** brings all networks together, and at the\n"
	  "volunteer fair in the south, clubs and initiatives present their "
	  "work.\n"
	  "\n"
	  "## New: an online training on asylum law\n"
	  "\n"
	  "Many of you asked for it. The training gives an overview of the\n"
	  "asylum procedure and leaves time for your questions.\n"
	  "\n"
	  "You find all dates below. Thank you for all you do!\n" },
};
#define NEDITORIALS (sizeof(editorials) / sizeof(editorials[0]))

/*
 * Writes editorials[e] for this month as content/YYYY-MM.md (dflt) or
 * content/YYYY-MM.LANG.md, unless the file is there. Returns 1 with *path
 * when written, 0 when it exists, -1 (*path names the file, errno is set).
 */
static int
sample_editorial(const struct config *cfg, size_t e, int dflt, char **path)
{
	struct buf month;
	struct tm tm;
	time_t now = time(NULL);
	char base[32];
	FILE *fp;
	int rc = 1;

	if (ical_utc_to_local(cfg->timezone, now, &tm) < 0)
		gmtime_r(&now, &tm);
	snprintf(base, sizeof(base), "%04d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1);
	*path = dflt ? xasprintf("%s/%s.md", cfg->content, base) :
	    xasprintf("%s/%s.%s.md", cfg->content, base, editorials[e].lang);
	if ((mkdir(cfg->content, 0750) < 0 && errno != EEXIST) ||
	    (fp = fopen(*path, "wx")) == NULL)
		return errno == EEXIST ? 0 : -1;
	buf_init(&month);
	datefmt_month(editorials[e].lang, tm.tm_year + 1900, tm.tm_mon + 1,
	    &month);
	fprintf(fp, editorials[e].text, base, month.data);
	if (fclose(fp) != 0)
		rc = -1;
	buf_free(&month);
	return rc;
}

/* This month's example editorials: the default language's (English for
 * a language without one) and the other one beside it. */
static int
sample_editorials(const struct config *cfg)
{
	size_t e, dflt = 1;
	char *path;
	int rc = 0;

	for (e = 0; e < NEDITORIALS; e++)
		if (strcmp(editorials[e].lang, cfg->language) == 0)
			dflt = e;
	for (e = 0; e < NEDITORIALS && rc >= 0; e++) {
		rc = sample_editorial(cfg, e, e == dflt, &path);
		if (rc > 0)
			printf("example editorial: %s\n", path);
		else if (rc < 0)
			cli_err("sample: cannot write %s: %s", path,
			    strerror(errno));
		free(path);
	}
	return rc < 0 ? -1 : 0;
}

static void
local_day(const char *tz, int days, int hour, int minute, int all_day,
    char out[TM_TEXT_LEN])
{
	struct tm tm;
	time_t t = time(NULL) + (time_t)days * 86400;

	if (ical_utc_to_local(tz, t, &tm) < 0)
		gmtime_r(&t, &tm);
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm_text(&tm, !all_day, out);
}

/* Queues event id's invitation, as `event publish` does. */
static int
invite(struct cli *c, int64_t id, long *invited, char **err)
{
	struct event *ev;
	char key[48];
	int64_t mid;
	long n = 0;
	int rc;

	if (event_get(c->db, id, &ev) != 0) {
		*err = xasprintf("event %lld vanished", (long long)id);
		return -1;
	}
	if (!event_invites(ev, config_invites(c->cfg, ev->kind))) {
		event_free(ev);
		return 0;
	}
	snprintf(key, sizeof(key), "invitation:%lld", (long long)id);
	rc = mailing_event(c->cfg, c->db, "invitation", ev, NULL, 0, NULL, key,
	    time(NULL), &mid, &n, err);
	event_free(ev);
	if (rc == 0)
		*invited += n;
	return rc < 0 ? -1 : 0;
}

int
cli_sample(struct cli *c, int argc, char **argv)
{
	struct subscriber *s = NULL;
	char *err = NULL, start[TM_TEXT_LEN], end[TM_TEXT_LEN];
	const char *at;
	size_t i;
	long invited = 0;
	int rc, mail = 1;

	if (argc == 2 && strcmp(argv[1], "--no-mail") == 0)
		mail = 0;
	else if (argc > 1) {
		printf("usage: rundbrief sample [--no-mail]\n\nFills the "
		    "database with a small sample: districts, subscribers and\n"
		    "upcoming events (dated from today), published with their "
		    "invitations\nqueued (not with --no-mail). Running it again "
		    "adds nothing.\n");
		return strcmp(argv[1], "--help") == 0 ? 0 : EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (subscriber_get(c->db, people[0].email, &s) == 0) {
		subscriber_free(s);
		printf("sample data is there already\n");
		return 0;
	}
	if (db_begin(c->db) < 0)
		return EX_TEMPFAIL;
	for (i = 0; i < sizeof(districts) / sizeof(districts[0]); i++)
		if (district_add(c->db, districts[i], &err) < 0)
			goto fail;
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		struct sub_fields f;
		const char *d[1] = { people[i].district };
		const char *t[1] = { people[i].topics };

		memset(&f, 0, sizeof(f));
		f.name = people[i].name;
		f.language = people[i].lang;
		f.set_districts = 1;
		f.districts = d;
		f.ndistricts = 1;
		f.set_topics = people[i].topics != NULL;
		f.topics = t;
		f.ntopics = people[i].topics != NULL;
		if (subscriber_add(c->db, people[i].email, &f,
		    people[i].confirmed, "sample", 0, &err) < 0)
			goto fail;
	}
	at = strrchr(c->cfg->organizer_email, '@');
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		const struct sample_event *e = &events[i];
		struct event_fields f;
		int64_t id;

		local_day(c->cfg->timezone, e->days, e->hour, 0, e->all_day,
		    start);
		if (e->all_day)
			memcpy(end, start, sizeof(end));
		else
			local_day(c->cfg->timezone, e->days,
			    e->hour + e->minutes / 60, e->minutes % 60, 0, end);
		memset(&f, 0, sizeof(f));
		f.kind = e->kind;
		f.title = e->title;
		f.description = e->desc;
		f.location = e->location;
		f.online_url = e->url;
		f.district = e->district;
		f.rrule = e->rrule;
		f.start = start;
		f.end = end;
		f.all_day = e->all_day;
		f.capacity = e->capacity;
		if (event_add(c->db, c->cfg->timezone, at ? at + 1 :
		    "rundbrief.invalid", &f, &id, &err) < 0 ||
		    event_publish(c->db, id, &err) < 0 ||
		    (mail && invite(c, id, &invited, &err) < 0))
			goto fail;
	}
	if (db_commit(c->db) < 0)
		return EX_TEMPFAIL;
	printf("sample data added: %zu districts, %zu subscribers, %zu events\n",
	    sizeof(districts) / sizeof(districts[0]),
	    sizeof(people) / sizeof(people[0]), sizeof(events) / sizeof(events[0]));
	if (mail)
		printf("invitations queued: %ld messages (the daemon sends "
		    "them)\n", invited);
	return sample_editorials(c->cfg) < 0 ? EX_CANTCREAT : 0;
fail:
	db_rollback(c->db);
	cli_err("sample: %s", err ? err : "database error");
	free(err);
	return EX_SOFTWARE;
}
