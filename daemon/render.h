/*
 * render: turns subscribers, events and the monthly editorial into the
 * subject, plain text and HTML of each mail, through the templates.
 *
 * Contexts (what the templates see) are documented in templates/README.md.
 * The newsletter's events are filtered per subscriber (render_event_for:
 * county-wide events plus those of the subscriber's districts, and of
 * those with topics only the ones the subscriber follows); the context for
 * one language and one set of events is built once and reused for every
 * subscriber who sees the same, so rendering a personalised newsletter
 * costs a template render and a few small strings.
 *
 * Checking templates (render_check_names, render_check) is in
 * rendercheck.c, the rest in render.c.
 */
#ifndef RUNDBRIEF_RENDER_H
#define RUNDBRIEF_RENDER_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

struct config;
struct db;
struct event;
struct subscriber;
struct tmplset;
struct tv;
struct newsletter;

/* What one mail says. */
struct rendered {
	char *subject;     /* one line, trimmed */
	struct buf text;
	struct buf html;
	char *lang;        /* the language the templates were in */
};

void rendered_init(struct rendered *r);
void rendered_free(struct rendered *r);

struct render;

struct render *render_new(const struct config *cfg, struct tmplset *ts);
void render_free(struct render *r);

/*
 * 1 if the newsletter lists event ev for subscriber s: the event is
 * county-wide or in one of their districts, and it names no topics, or
 * s follows one of them (subscriber_topics_meet(): without regard to
 * case), or all_topics ([newsletter] all_topics) is set. Else 0.
 */
int render_event_for(const struct event *ev, const struct subscriber *s,
    int all_topics);

/* The newsletter as subscriber s gets it. Returns 0 or -1 (*errstr). */
int render_newsletter(struct render *r, const struct newsletter *nl,
    const struct subscriber *s, struct rendered *out, char **errstr);

/*
 * An event mail: name is "invitation", "update", "cancellation" or
 * "reminder". old is the event before the change (update only, else NULL);
 * lead is the time before the start (reminder only). now is the time of
 * sending: a recurring event's `when` is its first occurrence that has not
 * ended by then (its start when none is left). Returns 0 or -1.
 */
int render_event_mail(struct render *r, const char *name,
    const struct event *ev, const struct event *old, long lead, time_t now,
    const struct subscriber *s, struct rendered *out, char **errstr);

/*
 * The values of event ev as the event mails show it (title, when in
 * words, location, online_url, recurrence, cancelled, …: see
 * templates/README.md), in lang; a recurring event's `when` is its first
 * occurrence not ended by now. Caller frees (tv_free).
 */
struct tv *render_event_values(const char *lang, const struct event *ev,
    time_t now);

/* "confirm", "welcome" or "unsubscribed". Returns 0 or -1. */
int render_notice(struct render *r, const char *name,
    const struct subscriber *s, struct rendered *out, char **errstr);

/*
 * For `rundbrief check`: calls fn for each name a template uses that no
 * context of its kind provides. Returns the number of such names.
 */
int render_check_names(struct render *r, void (*fn)(void *arg,
    const char *msg), void *arg);

/*
 * Parses every template (override directory and built-in, every language)
 * and prints each error, then each warning about unknown names, to out.
 * Returns the number of errors (warnings do not count).
 */
int render_check(const struct config *cfg, FILE *out);

#endif
