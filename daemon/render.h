/*
 * render: turns subscribers, events and the monthly editorial into the
 * subject, plain text and HTML of each mail, through the templates.
 *
 * Contexts (what the templates see) are documented in templates/README.md.
 * The newsletter's events are filtered per subscriber (county-wide events
 * plus those of the subscriber's districts); the context for one language
 * and one set of districts is built once and reused for every subscriber
 * with the same, so rendering a personalised newsletter costs a template
 * render and a few small strings.
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
