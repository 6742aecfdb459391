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
struct webguard;

struct web {
	const struct config *cfg;
	struct db *db;
	struct tmplset *ts;
	struct webguard *guard;   /* the limits against abuse */
	pthread_mutex_t lock;
};

/* Wrong or malformed tokens: at most this many per client in this many
 * seconds, then 429 for every token path from that client. */
#define WEB_TOKEN_MAX 20
#define WEB_TOKEN_WINDOW 600

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

/* For a token that names nobody (malformed or unknown) on a token path
 * (/u/ /c/ /p/ /r/): counts it against the client, then the neutral 404,
 * or the 429 page when the client is over WEB_TOKEN_MAX. */
void web_bad_token(struct web *w, const struct http_request *req,
    struct http_response *resp);

/* The 429 page: the same for everyone over a limit (it depends on the
 * Accept-Language only). */
void web_too_many(struct web *w, const struct http_request *req,
    struct http_response *resp);

/* /anmelden and /subscribe (websub.c). */
void web_subscribe(struct web *w, const struct http_request *req,
    struct http_response *resp);

/* The 500 page. */
void web_server_error(struct web *w, const struct http_request *req,
    const struct subscriber *s, struct http_response *resp);

/* The subscriber whose token is tok (compared in constant time): 0 and
 * *s, 1 when there is none or tok is malformed, -1 on a database error. */
int web_by_token(struct web *w, const char *tok, struct subscriber **s);

int web_is_post(const struct http_request *req);

/* /p/TOKEN: the preferences page (webprefs.c). */
void web_preferences(struct web *w, const struct http_request *req,
    const char *tok, struct http_response *resp);

/* "a…@example.org" (caller frees). */
char *web_mask_email(const char *email);

/* {email_masked} of s. */
struct tv *web_person_tv(const struct subscriber *s);

/* The X of PREFIX X SUFFIX when path is that and X has no '/' (caller
 * frees), else NULL. */
char *web_path_arg(const char *path, const char *prefix,
    const char *suffix);

/* The pages in files of their own, called by route() with the path
 * after their prefix. */

/* /r/TOKEN/EVENT: the answer to an invitation (webrsvp.c). */
void web_rsvp(struct web *w, const struct http_request *req,
    const char *arg, struct http_response *resp);

/* /archiv/ and /archiv/YYYY-MM (webarchive.c); path starts with
 * "/archiv". */
void web_archive(struct web *w, const struct http_request *req,
    const char *path, struct http_response *resp);

#endif
