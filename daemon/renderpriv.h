/*
 * renderpriv: what the mail contexts are made of, shared by render.c
 * (building contexts and rendering mails) and rendercheck.c (checking the
 * names templates use against those contexts) only. Other modules use
 * render.h.
 */
#ifndef RUNDBRIEF_RENDERPRIV_H
#define RUNDBRIEF_RENDERPRIV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "render.h"

#define NL_CACHE 64

struct nl_cache {
	char *key;          /* lang/editorial|indices of the events shown */
	struct tv *ctx;
};

struct render {
	const struct config *cfg;
	struct tmplset *ts;
	unsigned long nl_serial;       /* the newsletter the cache is for */
	struct nl_cache cache[NL_CACHE];
	size_t ncache, next;
};

/* The values every mail has: the language and the organisation. */
struct tv *render_base_tv(struct render *r, const char *lang);

/* The values about the recipient s: name, greeting, links. */
struct tv *render_person_tv(struct render *r, const char *lang,
    const struct subscriber *s);

/* An event mail's `rsvp`: base_url/r/TOKEN/EVENT, the web page to answer
 * on; "" without a base_url or a token (caller frees). */
char *render_rsvp_url(const struct config *cfg, int64_t event_id,
    const char *token);

/* The newsletter's context in lang for the events s sees (base included). */
struct tv *render_newsletter_tv(struct render *r, const struct newsletter *nl,
    const char *lang, const struct subscriber *s);

/* An event mail's context (base included): see render_event_mail(). */
struct tv *render_event_mail_tv(struct render *r, const char *name,
    const char *lang, const struct event *ev, const struct event *old,
    long lead, time_t now);

#endif
