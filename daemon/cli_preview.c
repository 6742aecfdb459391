/* cli_preview: `rundbrief preview …` prints what a person would receive. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "newsletter.h"
#include "render.h"
#include "subscriber.h"
#include "tmplset.h"
#include "util.h"

static const char usage[] =
    "usage: rundbrief preview newsletter [--month YYYY-MM] [--subscriber EMAIL]\n"
    "                                    [--format text|html]\n"
    "       rundbrief preview invitation|update|cancellation|reminder EVENT_ID\n"
    "                                    [--subscriber EMAIL] [--format text|html]\n"
    "       rundbrief preview confirm|welcome|unsubscribed [--subscriber EMAIL]\n"
    "                                    [--format text|html]\n"
    "\n"
    "Prints the mail as that subscriber would receive it (default: the first\n"
    "active subscriber, or a made-up one). --format text (the default) prints\n"
    "the subject and the plain-text part; html prints the HTML part.\n";

/* A stand-in when the database has nobody to preview for. */
static struct subscriber *
sample_person(const struct config *cfg)
{
	struct subscriber *s = xcalloc(1, sizeof(*s));

	s->email = xstrdup("max.mustermann@example.org");
	s->name = xstrdup("Max Mustermann");
	s->language = xstrdup(cfg->language);
	s->status = xstrdup("active");
	s->token = xstrdup("0123456789abcdef0123456789abcdef");
	return s;
}

static int
first_active(void *arg, const struct subscriber *s)
{
	struct subscriber **out = arg;
	size_t i;

	*out = xcalloc(1, sizeof(**out));
	**out = *s;
	(*out)->email = xstrdup(s->email);
	(*out)->name = xstrdup(s->name);
	(*out)->language = xstrdup(s->language);
	(*out)->status = xstrdup(s->status);
	(*out)->consent_source = NULL;
	(*out)->token = xstrdup(s->token);
	(*out)->districts = xcalloc(s->ndistricts + 1, sizeof(char *));
	for (i = 0; i < s->ndistricts; i++)
		(*out)->districts[i] = xstrdup(s->districts[i]);
	(*out)->topics = NULL;
	(*out)->ntopics = 0;
	return 1;
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
	struct tmplset *ts = NULL;
	struct render *r = NULL;
	struct rendered m;
	struct event *ev = NULL;
	char *err = NULL, *end;
	int ch, html = 0, rc, year, mon;
	long long id = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': month = optarg; break;
		case 's': email = optarg; break;
		case 'f':
			if (strcmp(optarg, "html") == 0)
				html = 1;
			else if (strcmp(optarg, "text") != 0) {
				cli_err("--format must be text or html");
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
	} else if (subscriber_each(c->db, "active", NULL, first_active, &s) < 0 ||
	    s == NULL)
		s = sample_person(c->cfg);
	ts = tmplset_new(c->cfg->templates, c->cfg->language);
	r = render_new(c->cfg, ts);
	if (strcmp(what, "newsletter") == 0) {
		struct newsletter nl;
		time_t now = time(NULL);
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
		if (newsletter_load(c->cfg, c->db, year, mon, now, &nl,
		    &err) < 0) {
			cli_err("%s", err);
			rc = EX_DATAERR;
			goto out;
		}
		rc = render_newsletter(r, &nl, s, &m, &err);
		newsletter_free(&nl);
	} else if (id > 0) {
		if ((rc = event_get(c->db, id, &ev)) != 0) {
			cli_err("no event %lld", id);
			rc = EX_DATAERR;
			goto out;
		}
		rc = render_event_mail(r, what, ev, !strcmp(what, "update") ? ev :
		    NULL, c->cfg->n_reminder_offsets ?
		    c->cfg->reminder_offsets[c->cfg->n_reminder_offsets - 1] :
		    86400, s, &m, &err);
	} else
		rc = render_notice(r, what, s, &m, &err);
	if (rc < 0) {
		cli_err("%s", err);
		rc = EX_DATAERR;
		goto out;
	}
	print(&m, html);
	rendered_free(&m);
	rc = 0;
out:
	free(err);
	event_free(ev);
	subscriber_free(s);
	render_free(r);
	tmplset_free(ts);
	return rc;
}
