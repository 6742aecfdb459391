/*
 * webpriv: what the pages of rundbrief-web share (web.c and the web*.c
 * files of single pages): the service's state and the helpers to answer
 * with a page. Calls come with w->lock held (web_handle()).
 */
#ifndef RUNDBRIEF_WEBPRIV_H
#define RUNDBRIEF_WEBPRIV_H

#include <pthread.h>

#include "http.h"

struct config;
struct db;
struct subscriber;
struct tmplset;
struct tv;

struct web {
	const struct config *cfg;
	struct db *db;
	struct tmplset *ts;
	pthread_mutex_t lock;
};

/* The page language: the subscriber's (s may be NULL), else the best
 * Accept-Language we have pages for, else [general] language. */
void web_page_lang(struct web *w, const struct subscriber *s,
    const char *accept, char out[16]);

/* Renders templates/LANG/web/<name>.html.mustache with vals (taken; may
 * be NULL; org and lang are always there) into resp with status. */
void web_page(struct web *w, const char *lang, const char *name,
    struct tv *vals, int status, struct http_response *resp);

/* The neutral 404 page (every unknown path, every bad token). */
void web_not_found(struct web *w, const struct http_request *req,
    struct http_response *resp);

/* The 500 page. */
void web_server_error(struct web *w, const struct http_request *req,
    const struct subscriber *s, struct http_response *resp);

/* The subscriber whose token is tok (compared in constant time): 0 and
 * *s, 1 when there is none or tok is malformed, -1 on a database error. */
int web_by_token(struct web *w, const char *tok, struct subscriber **s);

int web_is_post(const struct http_request *req);

/* "a…@example.org" (caller frees). */
char *web_mask_email(const char *email);

/* {email_masked} of s. */
struct tv *web_person_tv(const struct subscriber *s);

/* The X of PREFIX X SUFFIX when path is that and X has no '/' (caller
 * frees), else NULL. */
char *web_path_arg(const char *path, const char *prefix,
    const char *suffix);

/* /archiv/ and /archiv/YYYY-MM (webarchive.c); path starts with
 * "/archiv". */
void web_archive(struct web *w, const struct http_request *req,
    const char *path, struct http_response *resp);

#endif
