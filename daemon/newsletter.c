/* newsletter: loads a month's editorial and events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "markdown.h"
#include "newsletter.h"
#include "util.h"

int
newsletter_parse_month(const char *s, int *year, int *month)
{
	char tail;

	if (strlen(s) != 7 || sscanf(s, "%4d-%2d%c", year, month, &tail) != 2 ||
	    s[4] != '-' || *year < 2000 || *year > 2999 || *month < 1 ||
	    *month > 12)
		return -1;
	return 0;
}

struct collect {
	const struct config *cfg;
	struct newsletter *nl;
	size_t cap;
	int failed;
};

/* The first occurrence of ev that ends after `from` and starts before `to`,
 * or 0. */
static time_t
occurrence(const struct event *ev, time_t from, time_t to)
{
	time_t at = event_next_start(ev, from);

	return at < to ? at : 0;
}

static int
collect(void *arg, const struct event *ev)
{
	struct collect *c = arg;
	struct newsletter *nl = c->nl;
	time_t at = occurrence(ev, nl->from, nl->to);

	if (at == 0)
		return 0;
	if (nl->nevents == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		nl->events = xrealloc(nl->events, c->cap * sizeof(*nl->events));
		nl->when = xrealloc(nl->when, c->cap * sizeof(*nl->when));
	}
	event_copy(&nl->events[nl->nevents], ev);
	nl->when[nl->nevents++] = at;
	return 0;
}

/* Orders events by their occurrence (insertion sort: a few dozen). */
static void
sort_events(struct newsletter *nl)
{
	size_t i, j;

	for (i = 1; i < nl->nevents; i++)
		for (j = i; j > 0 && nl->when[j - 1] > nl->when[j]; j--) {
			struct event e = nl->events[j];
			time_t t = nl->when[j];
			nl->events[j] = nl->events[j - 1];
			nl->when[j] = nl->when[j - 1];
			nl->events[j - 1] = e;
			nl->when[j - 1] = t;
		}
}

static int
load_editorial(const struct config *cfg, struct newsletter *nl, char **errstr)
{
	struct md_front fm;
	char *src;
	size_t len;

	nl->editorial_file = xasprintf("%s/%04d-%02d.md", cfg->content, nl->year,
	    nl->month);
	if (file_read_all(nl->editorial_file, &src, &len) < 0) {
		if (errno == ENOENT && !cfg->require_editorial)
			return 0;
		*errstr = errno == ENOENT ? xasprintf("%s: no editorial for "
		    "%04d-%02d ([newsletter] require_editorial is on)",
		    nl->editorial_file, nl->year, nl->month) :
		    xasprintf("%s: %s", nl->editorial_file, strerror(errno));
		return -1;
	}
	if (!utf8_valid(src, len)) {
		*errstr = xasprintf("%s: not UTF-8 text", nl->editorial_file);
		free(src);
		return -1;
	}
	if (md_split_front_matter(src, len, &fm, errstr) < 0) {
		char *inner = *errstr;
		/* "line 3: …" -> "FILE:3: …" */
		*errstr = strncmp(inner, "line ", 5) == 0 ?
		    xasprintf("%s:%s", nl->editorial_file, inner + 5) :
		    xasprintf("%s: %s", nl->editorial_file, inner);
		free(inner);
		free(src);
		return -1;
	}
	nl->editorial = xstrdup(src + fm.body);
	nl->subject = fm.subject && *fm.subject ? xstrdup(fm.subject) : NULL;
	nl->preheader = fm.preheader && *fm.preheader ?
	    xstrdup(fm.preheader) : NULL;
	md_front_free(&fm);
	free(src);
	return 0;
}

int
newsletter_load(const struct config *cfg, struct db *db, int year, int month,
    time_t now, struct newsletter *nl, char **errstr)
{
	static unsigned long serial;
	struct collect c;
	char first[TM_TEXT_LEN];

	memset(nl, 0, sizeof(*nl));
	nl->serial = ++serial;
	nl->year = year;
	nl->month = month;
	snprintf(first, sizeof(first), "%04d-%02d-01 00:00", year, month);
	if (ical_local_to_utc(cfg->timezone, first, &nl->from) < 0) {
		*errstr = xasprintf("cannot compute %s in %s", first,
		    cfg->timezone);
		return -1;
	}
	if (now > nl->from)
		nl->from = now;
	nl->to = nl->from + cfg->horizon;
	if (load_editorial(cfg, nl, errstr) < 0) {
		newsletter_free(nl);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.nl = nl;
	if (event_each(db, nl->from, nl->to, "published", collect, &c) < 0) {
		*errstr = xasprintf("reading events: %s", db_errmsg(db));
		newsletter_free(nl);
		return -1;
	}
	sort_events(nl);
	return 0;
}

void
newsletter_free(struct newsletter *nl)
{
	size_t i;

	for (i = 0; i < nl->nevents; i++)
		event_clear(&nl->events[i]);
	free(nl->events);
	free(nl->when);
	free(nl->editorial);
	free(nl->editorial_file);
	free(nl->subject);
	free(nl->preheader);
	memset(nl, 0, sizeof(*nl));
}
