/* newsletter: loads a month's editorial and events. */
#include <dirent.h>
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

void
newsletter_add_editorial(struct newsletter *nl, const char *lang,
    const char *file, const char *body, const char *subject,
    const char *preheader)
{
	struct editorial *e;
	size_t i;

	nl->editorials = xrealloc(nl->editorials, (nl->neditorials + 1) *
	    sizeof(*nl->editorials));
	for (i = nl->neditorials; i > 0 &&
	    strcmp(nl->editorials[i - 1].lang, lang) > 0; i--)
		nl->editorials[i] = nl->editorials[i - 1];
	e = &nl->editorials[i];
	snprintf(e->lang, sizeof(e->lang), "%s", lang);
	e->file = xstrdup(file);
	e->body = xstrdup(body);
	e->subject = subject && *subject ? xstrdup(subject) : NULL;
	e->preheader = preheader && *preheader ? xstrdup(preheader) : NULL;
	nl->neditorials++;
}

const struct editorial *
newsletter_editorial(const struct newsletter *nl, const char *lang)
{
	size_t i;

	for (i = 0; i < nl->neditorials; i++)
		if (strcmp(nl->editorials[i].lang, lang) == 0)
			return &nl->editorials[i];
	if (nl->neditorials > 0 && nl->editorials[0].lang[0] == '\0')
		return &nl->editorials[0];
	return NULL;
}

/* Reads the editorial at path for lang ("" for everyone): 0, 1 when there
 * is no such file, -1 with *errstr. */
static int
read_editorial(struct newsletter *nl, const char *path, const char *lang,
    char **errstr)
{
	struct md_front fm;
	char *src;
	size_t len;

	if (file_read_all(path, &src, &len) < 0) {
		if (errno == ENOENT)
			return 1;
		*errstr = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!utf8_valid(src, len)) {
		*errstr = xasprintf("%s: not UTF-8 text", path);
		free(src);
		return -1;
	}
	if (md_split_front_matter(src, len, &fm, errstr) < 0) {
		char *inner = *errstr;
		/* "line 3: …" -> "FILE:3: …" */
		*errstr = strncmp(inner, "line ", 5) == 0 ?
		    xasprintf("%s:%s", path, inner + 5) :
		    xasprintf("%s: %s", path, inner);
		free(inner);
		free(src);
		return -1;
	}
	newsletter_add_editorial(nl, lang, path, src + fm.body, fm.subject,
	    fm.preheader);
	md_front_free(&fm);
	free(src);
	return 0;
}

/* YYYY-MM.md, then every YYYY-MM.LANG.md in the content directory. */
static int
load_editorials(const struct config *cfg, struct newsletter *nl,
    char **errstr)
{
	struct dirent *de;
	char prefix[32], lang[3], *path;
	size_t n;
	DIR *d;
	int rc;

	nl->editorial_file = xasprintf("%s/%04d-%02d.md", cfg->content,
	    nl->year, nl->month);
	if ((rc = read_editorial(nl, nl->editorial_file, "", errstr)) < 0)
		return -1;
	if (rc > 0 && cfg->require_editorial) {
		*errstr = xasprintf("%s: no editorial for %04d-%02d ([newsletter] "
		    "require_editorial is on)", nl->editorial_file, nl->year,
		    nl->month);
		return -1;
	}
	if ((d = opendir(cfg->content)) == NULL) {
		if (errno == ENOENT)
			return 0;
		*errstr = xasprintf("%s: %s", cfg->content, strerror(errno));
		return -1;
	}
	n = (size_t)snprintf(prefix, sizeof(prefix), "%04d-%02d.", nl->year,
	    nl->month);
	rc = 0;
	while (rc >= 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;

		if (strncmp(name, prefix, n) != 0 || name[n] < 'a' ||
		    name[n] > 'z' || name[n + 1] < 'a' || name[n + 1] > 'z' ||
		    strcmp(name + n + 2, ".md") != 0)
			continue;
		snprintf(lang, sizeof(lang), "%.2s", name + n);
		path = xasprintf("%s/%s", cfg->content, name);
		rc = read_editorial(nl, path, lang, errstr);
		free(path);
	}
	closedir(d);
	return rc < 0 ? -1 : 0;
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
	if (load_editorials(cfg, nl, errstr) < 0) {
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
	for (i = 0; i < nl->neditorials; i++) {
		free(nl->editorials[i].file);
		free(nl->editorials[i].body);
		free(nl->editorials[i].subject);
		free(nl->editorials[i].preheader);
	}
	free(nl->editorials);
	free(nl->editorial_file);
	memset(nl, 0, sizeof(*nl));
}
