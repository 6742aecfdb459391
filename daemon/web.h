/*
 * web: the pages and files of rundbrief-web behind [general] base_url —
 * what a path means. The server (http.c) parses requests and calls
 * web_handle() from its threads; this module answers them from the
 * database and the templates in templates/{de,en}/web/.
 *
 *   /u/TOKEN             unsubscribe (GET: a page and a button; POST,
 *                        also the RFC 8058 one-click POST: unsubscribes)
 *   /c/TOKEN             double opt-in (GET: a button; POST: confirms)
 *   /kalender.ics        the published upcoming events (METHOD:PUBLISH)
 *   /kalender/D.ics      county-wide events and district D's
 *   /e/UID.ics           one published event
 *
 * A GET or HEAD never changes anything. An unknown, malformed or expired
 * token gets the same neutral 404 page; unknown paths a 404 page.
 */
#ifndef RUNDBRIEF_WEB_H
#define RUNDBRIEF_WEB_H

#include "http.h"

struct config;
struct web;

/*
 * Opens the database ([general] database, which must exist at the current
 * schema version) and loads the templates. NULL with *errstr (caller
 * frees) on failure. cfg must outlive the handle.
 */
struct web *web_new(const struct config *cfg, char **errstr);
void web_free(struct web *w);

/* The http_handler: arg is the struct web *. Thread-safe. */
void web_handle(void *arg, const struct http_request *req,
    struct http_response *resp);

#endif
