/* cli_preview: `rundbrief preview …` prints what a person would receive. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "audience.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "deliver.h"
#include "mailing.h"
#include "newsletter.h"
#include "render.h"
#include "subscriber.h"
#include "util.h"

static const char usage[] =
    "usage: rundbrief preview newsletter [--month YYYY-MM] [--subscriber EMAIL]\n"
    "                                    [--format text|html|eml]\n"
    "       rundbrief preview invitation|announcement|update|cancellation|reminder EVENT_ID\n"
    "                                    [--subscriber EMAIL] [--format text|html|eml]\n"
    "       rundbrief preview confirm|welcome|unsubscribed [--subscriber EMAIL]\n"
    "                                    [--format text|html|eml]\n"
    "\n"
    "Prints the mail as that subscriber would receive it; without\n"
    "--subscriber, as a made-up subscriber of the default language in every\n"
    "district, following every topic in use, would (so a newsletter shows\n"
    "every event). --format text (the default) prints the subject and the\n"
    "plain-text part; html prints the HTML part; eml the complete message\n"
    "with all headers and parts. For a newsletter, says on stderr which\n"
    "editorial it holds:\n"
    "content/YYYY-MM.LANG.md in the subscriber's language, else\n"
    "content/YYYY-MM.md.\n";

/*
 * A made-up subscriber of the default language in every district and
 * following every topic in use, who
 * sees every event a newsletter may hold; says so on stderr. NULL on a
 * database error.
 */
static struct subscriber *
sample_person(struct cli *c)
{
	struct subscriber *s = audience_everyone(c->db, c->cfg->language,
	    "Max Mustermann", "max.mustermann@example.org");

	if (s == NULL) {
		cli_err("reading districts and topics: %s", db_errmsg(c->db));
		return NULL;
	}
	cli_err("for a made-up subscriber (%s <%s>, language %s, all %zu "
	    "district%s, all %zu topic%s); --subscriber EMAIL shows a real one",
	    s->name, s->email, s->language, s->ndistricts, s->ndistricts == 1 ?
	    "" : "s", s->ntopics, s->ntopics == 1 ? "" : "s");
	return s;
}

/* Says on stderr which editorial the newsletter for s holds, and which
 * file would have been used first. */
static void
editorial_note(const struct config *cfg, const struct newsletter *nl,
    const struct subscriber *s)
{
	const struct editorial *e = newsletter_editorial(nl, s->language);
	char *own = NULL;

	if (strcmp(s->language, cfg->language) != 0 &&
	    (e == NULL || strcmp(e->lang, s->language) != 0))
		own = xasprintf("%s/%04d-%02d.%s.md", cfg->content, nl->year,
		    nl->month, s->language);
	if (e == NULL)
		cli_err("editorial: none (no %s%s%s)", own ? own : "",
		    own ? " and no " : "", nl->editorial_file);
	else if (own != NULL)
		cli_err("editorial: %s (no %s)", e->file, own);
	else
		cli_err("editorial: %s", e->file);
	free(own);
}

static int
print(const struct rendered *m, int html)
{
	if (html)
		fwrite(m->html.data, 1, m->html.len, stdout);
	else {
		printf("Subject: %s\n\n", m->subject);
		fwrite(m->text.data, 1, m->text.len, stdout);
	}
	return 0;
}

int
cli_preview(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "subscriber", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *month = NULL, *email = NULL, *what;
	struct subscriber *s = NULL;
	struct mailing *m = NULL;
	struct event *ev = NULL;
	char *err = NULL, *end;
	enum { FMT_TEXT, FMT_HTML, FMT_EML } format = FMT_TEXT;
	int ch, rc, year = 0, mon = 0;
	long long id = 0;
	time_t now = time(NULL);

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': month = optarg; break;
		case 's': email = optarg; break;
		case 'f':
			if (strcmp(optarg, "html") == 0)
				format = FMT_HTML;
			else if (strcmp(optarg, "eml") == 0)
				format = FMT_EML;
			else if (strcmp(optarg, "text") != 0) {
				cli_err("--format must be text, html or eml");
				return EX_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			cli_err("preview: unknown option %s", argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	what = argv[optind++];
	if (strcmp(what, "newsletter") == 0 || strcmp(what, "confirm") == 0 ||
	    strcmp(what, "welcome") == 0 || strcmp(what, "unsubscribed") == 0) {
		if (optind != argc) {
			cli_err("preview %s takes no event ID", what);
			return EX_USAGE;
		}
	} else if (!strcmp(what, "invitation") || !strcmp(what, "update") ||
	    !strcmp(what, "announcement") ||
	    !strcmp(what, "cancellation") || !strcmp(what, "reminder")) {
		if (optind + 1 != argc || (id = strtoll(argv[optind], &end, 10)) <= 0
		    || *end != '\0') {
			cli_err("preview %s needs one event ID", what);
			return EX_USAGE;
		}
	} else {
		cli_err("cannot preview \"%s\"", what);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (email != NULL) {
		if (subscriber_get(c->db, email, &s) != 0) {
			cli_err("no subscriber %s", email);
			return EX_NOUSER;
		}
	} else if ((s = sample_person(c)) == NULL)
		return EX_TEMPFAIL;
	if (strcmp(what, "newsletter") == 0) {
		struct tm tm;

		if (month == NULL) {
			ical_utc_to_local(c->cfg->timezone, now, &tm);
			year = tm.tm_year + 1900;
			mon = tm.tm_mon + 1;
		} else if (newsletter_parse_month(month, &year, &mon) < 0) {
			cli_err("--month must be YYYY-MM, not \"%s\"", month);
			rc = EX_USAGE;
			goto out;
		}
	} else if (id > 0 && (rc = event_get(c->db, id, &ev)) != 0) {
		cli_err("no event %lld", id);
		rc = EX_DATAERR;
		goto out;
	}
	if (mailing_preview(c->cfg, c->db, what, year, mon, ev, now, &m,
	    &err) < 0) {
		cli_err("%s", err);
		rc = EX_DATAERR;
		goto out;
	}
	if (mailing_content(m) != NULL)
		editorial_note(c->cfg, mailing_content(m), s);
	if (format == FMT_EML) {
		struct buf eml;

		buf_init(&eml);
		rc = deliver_compose(c->cfg, m, s, NULL, &eml, NULL, &err);
		if (rc == 0)
			fwrite(eml.data, 1, eml.len, stdout);
		buf_free(&eml);
	} else {
		struct mailing_msg mm;

		rc = mailing_render(m, s, &mm, &err);
		if (rc == 0) {
			print(&mm.r, format == FMT_HTML);
			mailing_msg_free(&mm);
		}
	}
	if (rc < 0) {
		cli_err("%s", err);
		rc = EX_DATAERR;
		goto out;
	}
	rc = 0;
out:
	free(err);
	event_free(ev);
	subscriber_free(s);
	mailing_free(m);
	return rc;
}
