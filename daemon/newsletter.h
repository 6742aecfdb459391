/*
 * newsletter: what one month's newsletter contains — the issue month, the
 * coordinator's editorials (content/YYYY-MM.md, and content/YYYY-MM.LANG.md
 * for the subscribers of another language) and the published events in the
 * horizon — read once when the newsletter is made.
 */
#ifndef RUNDBRIEF_NEWSLETTER_H
#define RUNDBRIEF_NEWSLETTER_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;
struct event;

/* One editorial: content/YYYY-MM.md, or content/YYYY-MM.LANG.md. */
struct editorial {
	char lang[3];          /* LANG, or "" for YYYY-MM.md */
	char *file;            /* the path it was read from */
	char *body;            /* Markdown */
	char *subject;         /* from its front matter, or NULL */
	char *preheader;       /* from its front matter, or NULL */
};

struct newsletter {
	unsigned long serial;  /* differs for every load (render caches by it) */
	int year, month;
	time_t from, to;       /* the events' window [from, to) */
	char *editorial_file;  /* content/YYYY-MM.md (also when missing) */
	struct editorial *editorials; /* YYYY-MM.md first, if there is one,
	                                 then the languages in order */
	size_t neditorials;
	struct event *events;  /* ordered by `when` */
	time_t *when;          /* each event's next occurrence in the window */
	size_t nevents;
};

/*
 * Reads the newsletter for year-month. The window starts at the first day
 * of the month (00:00 in the configured zone), or at `now` when that is
 * later, and lasts [newsletter] horizon. Recurring events count with their
 * next occurrence in the window. The editorials are YYYY-MM.md and every
 * YYYY-MM.LANG.md (LANG two lower-case letters) in [general] content;
 * other names are not editorials. A missing YYYY-MM.md is fine unless
 * [newsletter] require_editorial is set. Returns 0, or -1 with *errstr.
 */
int newsletter_load(const struct config *cfg, struct db *db, int year,
    int month, time_t now, struct newsletter *out, char **errstr);
void newsletter_free(struct newsletter *nl);

/*
 * The editorial for a subscriber whose language is lang: YYYY-MM.LANG.md,
 * else YYYY-MM.md, else NULL. Owned by nl.
 */
const struct editorial *newsletter_editorial(const struct newsletter *nl,
    const char *lang);

/* Adds a copy of the editorial (lang, file, body, subject, preheader; the
 * last two may be NULL) to nl, keeping the order of nl->editorials. */
void newsletter_add_editorial(struct newsletter *nl, const char *lang,
    const char *file, const char *body, const char *subject,
    const char *preheader);

/* Parses "YYYY-MM" into year and month; 0 or -1. */
int newsletter_parse_month(const char *s, int *year, int *month);

#endif
