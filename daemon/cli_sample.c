/*
 * cli_sample: `rundbrief sample` fills a database with a small, realistic
 * sample (districts, subscribers, upcoming events) so a newcomer sees
 * rundbrief work at once. Events are dated relative to today. Running it
 * again adds nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
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

int
cli_sample(struct cli *c, int argc, char **argv)
{
	struct subscriber *s = NULL;
	char *err = NULL, start[TM_TEXT_LEN], end[TM_TEXT_LEN];
	const char *at;
	size_t i;
	int rc;

	(void)argv;
	if (argc > 1) {
		printf("usage: rundbrief sample\n\nFills the database with a "
		    "small sample: districts, subscribers and\nupcoming events "
		    "(dated from today). Running it again adds nothing.\n");
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
		    event_publish(c->db, id, &err) < 0)
			goto fail;
	}
	if (db_commit(c->db) < 0)
		return EX_TEMPFAIL;
	printf("sample data added: %zu districts, %zu subscribers, %zu events\n",
	    sizeof(districts) / sizeof(districts[0]),
	    sizeof(people) / sizeof(people[0]), sizeof(events) / sizeof(events[0]));
	return 0;
fail:
	db_rollback(c->db);
	cli_err("sample: %s", err ? err : "database error");
	free(err);
	return EX_SOFTWARE;
}
