/*
 * newsletter: what one month's newsletter contains — the issue month, the
 * coordinator's editorial (content/YYYY-MM.md) and the published events in
 * the horizon — read once when the newsletter is made.
 */
#ifndef RUNDBRIEF_NEWSLETTER_H
#define RUNDBRIEF_NEWSLETTER_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;
struct event;

struct newsletter {
	unsigned long serial;  /* differs for every load (render caches by it) */
	int year, month;
	time_t from, to;       /* the events' window [from, to) */
	char *editorial;       /* Markdown body, NULL when there is none */
	char *editorial_file;  /* its path (also when missing) */
	char *subject;         /* from the editorial's front matter, or NULL */
	char *preheader;       /* from the front matter, or NULL */
	struct event *events;  /* ordered by `when` */
	time_t *when;          /* each event's next occurrence in the window */
	size_t nevents;
};

/*
 * Reads the newsletter for year-month. The window starts at the first day
 * of the month (00:00 in the configured zone), or at `now` when that is
 * later, and lasts [newsletter] horizon. Recurring events count with their
 * next occurrence in the window. A missing editorial is fine unless
 * [newsletter] require_editorial is set. Returns 0, or -1 with *errstr.
 */
int newsletter_load(const struct config *cfg, struct db *db, int year,
    int month, time_t now, struct newsletter *out, char **errstr);
void newsletter_free(struct newsletter *nl);

/* Parses "YYYY-MM" into year and month; 0 or -1. */
int newsletter_parse_month(const char *s, int *year, int *month);

#endif
