/*
 * web: the pages and calendar files of rundbrief-web.
 *
 * One database connection and one template set, both behind one mutex:
 * the server calls web_handle() from several threads, and neither a
 * SQLite connection nor the template cache may be used by two at once.
 * A request holds the lock while it reads or changes the database and
 * renders its answer; that is short (no network inside).
 *
 * Tokens: a token in a path is looked at only when it is 32 lower-case
 * hex digits; the subscriber found by it is then compared again with
 * mem_equal_ct(). Whatever is wrong with a token (malformed, unknown),
 * the answer is the same 404 page, byte for byte, so nobody can tell
 * which tokens exist. A client that sends more than WEB_TOKEN_MAX wrong
 * tokens in WEB_TOKEN_WINDOW gets 429 on every token path (a right token
 * too, so the answer tells nothing) until the window is over.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "eventics.h"
#include "inboxapply.h"
#include "log.h"
#include "subscriber.h"
#include "tmplset.h"
#include "util.h"
#include "web.h"
#include "webguard.h"
#include "webpriv.h"

#define TOKEN_LEN 32

/* Counters kept for the limits (webguard.h): clients and addresses. */
#define GUARD_SLOTS 4096


struct web *
web_new(const struct config *cfg, char **errstr)
{
	struct web *w = xcalloc(1, sizeof(*w));

	if (db_open(cfg->database, DB_OPEN_EXISTING, &w->db, errstr) < 0) {
		free(w);
		return NULL;
	}
	w->cfg = cfg;
	w->ts = tmplset_new(cfg->templates, cfg->language);
	w->guard = webguard_new(GUARD_SLOTS);
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->lock);
	webguard_free(w->guard);
	tmplset_free(w->ts);
	db_close(w->db);
	free(w);
}

/* ---- language ---- */

static int
have_lang(struct web *w, const char *lang, size_t n)
{
	const char *const *l;

	for (l = tmplset_languages(w->ts); *l != NULL; l++)
		if (strlen(*l) == n && strncasecmp(*l, lang, n) == 0)
			return 1;
	return 0;
}

/*
 * The language of a page: the subscriber's (s may be NULL), else the
 * Accept-Language entry with the highest q that we have pages for, else
 * [general] language. Written into out (3 bytes at least).
 */
void
web_page_lang(struct web *w, const struct subscriber *s, const char *accept,
    char out[16])
{
	const char *p = accept, *e;
	double best = 0, q;
	size_t n;

	snprintf(out, 16, "%s", w->cfg->language);
	if (s != NULL && s->language != NULL && *s->language != '\0') {
		snprintf(out, 16, "%s", s->language);
		return;
	}
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = strcspn(p, "-;, ");
		q = 1;
		{
			const char *qs = memchr(p, ';', (size_t)(e - p));

			if (qs != NULL && (qs = strstr(qs, "q=")) != NULL &&
			    qs < e)
				q = strtod(qs + 2, NULL);
		}
		if (n >= 2 && n <= 3 && q > best && have_lang(w, p, n)) {
			best = q;
			snprintf(out, 16, "%.*s", (int)n, p);
			for (char *c = out; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c += 'a' - 'A';
		}
		p = e;
	}
}

/* ---- pages ---- */

/* "a…@example.org": the first character of the local part, the domain. */
char *
web_mask_email(const char *email)
{
	const char *at = strrchr(email, '@');
	size_t first = 1;

	if (at == NULL || at == email)
		return xstrdup("…");
	/* keep a whole UTF-8 character */
	while (email + first < at &&
	    ((unsigned char)email[first] & 0xc0) == 0x80)
		first++;
	return xasprintf("%.*s…%s", (int)first, email, at);
}

static struct tv *
base_tv(struct web *w, const char *lang)
{
	const struct config *cfg = w->cfg;
	struct tv *o = tv_object(), *org = tv_object();

	tv_set_str(o, "lang", lang);
	tv_set_str(org, "name", cfg->organisation ? cfg->organisation :
	    "rundbrief");
	tv_set_str(org, "contact_email", cfg->reply_to ? cfg->reply_to :
	    cfg->organizer_email);
	tv_set(o, "org", org);
	return o;
}

/* Renders web/<name> in lang with the values of page (taken, may be
 * NULL) into resp. A template that cannot be used is a 500 in plain
 * text (and logged). */
void
web_page(struct web *w, const char *lang, const char *name, struct tv *vals,
    int status, struct http_response *resp)
{
	const struct tmpl *t;
	const struct tv *stack[2];
	char *tname = xasprintf("web/%s", name), *err = NULL;

	stack[0] = base_tv(w, lang);
	stack[1] = vals;
	t = tmplset_get(w->ts, lang, tname, "html", NULL, &err);
	buf_reset(&resp->body);
	if (t == NULL || tmpl_render(t, stack, 2, &resp->body) < 0) {
		log_warnx("web: page %s: %s", tname, err ? err : "does not "
		    "render");
		buf_reset(&resp->body);
		buf_puts(&resp->body, "internal error\n");
		resp->content_type = "text/plain; charset=utf-8";
		status = 500;
	}
	resp->status = status;
	free(err);
	free(tname);
	tv_free((struct tv *)stack[0]);
	tv_free(vals);
}

/* The neutral 404 page, for every unknown path and every bad token. It
 * depends on the Accept-Language only, never on the token. */
void
web_not_found(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	char lang[16];

	web_page_lang(w, NULL, req->accept_language, lang);
	web_page(w, lang, "notfound", NULL, 404, resp);
}

void
web_too_many(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	char lang[16];

	web_page_lang(w, NULL, req->accept_language, lang);
	web_page(w, lang, "toomany", NULL, 429, resp);
}

static const char *
client_of(const struct http_request *req)
{
	return req->client != NULL ? req->client : "";
}

void
web_bad_token(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	if (webguard_hit(w->guard, "token", client_of(req), WEB_TOKEN_MAX,
	    WEB_TOKEN_WINDOW, time(NULL)))
		web_too_many(w, req, resp);
	else
		web_not_found(w, req, resp);
}

/* 1 if path carries a token: /u/ /c/ /p/ /r/. */
static int
token_path(const char *path)
{
	return path[0] == '/' && strchr("ucpr", path[1]) != NULL &&
	    path[1] != '\0' && path[2] == '/';
}

void
web_server_error(struct web *w, const struct http_request *req,
    const struct subscriber *s, struct http_response *resp)
{
	char lang[16];

	web_page_lang(w, s, req->accept_language, lang);
	web_page(w, lang, "error", NULL, 500, resp);
}

/* 1 if t is TOKEN_LEN lower-case hex digits. */
static int
token_wellformed(const char *t)
{
	size_t i;

	for (i = 0; i < TOKEN_LEN; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' &&
		    t[i] <= 'f')))
			return 0;
	return t[TOKEN_LEN] == '\0';
}

/* The subscriber whose token is tok: 0 and *s, 1 when there is none (or
 * tok is malformed), -1 on a database error. */
int
web_by_token(struct web *w, const char *tok, struct subscriber **s)
{
	int rc;

	*s = NULL;
	if (!token_wellformed(tok))
		return 1;
	rc = subscriber_get_token(w->db, tok, s);
	if (rc == SUB_ERR_NOTFOUND)
		return 1;
	if (rc < 0)
		return -1;
	if ((*s)->token == NULL || strlen((*s)->token) != TOKEN_LEN ||
	    !mem_equal_ct((*s)->token, tok, TOKEN_LEN)) {
		subscriber_free(*s);
		*s = NULL;
		return 1;
	}
	return 0;
}

int
web_is_post(const struct http_request *req)
{
	return strcmp(req->method, "POST") == 0;
}

struct tv *
web_person_tv(const struct subscriber *s)
{
	struct tv *o = tv_object();
	char *m = web_mask_email(s->email);

	tv_set_str(o, "email_masked", m);
	free(m);
	return o;
}

/* /u/TOKEN: GET shows, POST (the button, or RFC 8058's one-click POST
 * "List-Unsubscribe=One-Click") unsubscribes. Both answer 200. */
static void
unsubscribe(struct web *w, const struct http_request *req, const char *tok,
    struct http_response *resp)
{
	struct subscriber *s;
	struct buf what;
	struct tv *v;
	char lang[16];
	int rc;

	if ((rc = web_by_token(w, tok, &s)) != 0) {
		if (rc < 0)
			web_server_error(w, req, NULL, resp);
		else
			web_bad_token(w, req, resp);
		return;
	}
	web_page_lang(w, s, req->accept_language, lang);
	v = web_person_tv(s);
	if (!web_is_post(req)) {
		if (strcmp(s->status, "unsubscribed") == 0) {
			tv_set(v, "already", tv_bool(1));
			web_page(w, lang, "unsubscribed", v, 200, resp);
		} else
			web_page(w, lang, "unsubscribe", v, 200, resp);
		subscriber_free(s);
		return;
	}
	buf_init(&what);
	buf_printf(&what, "web: unsubscribe %s", s->email);
	rc = -1;
	if (db_begin(w->db) == 0) {
		rc = inbox_unsubscribe(w->cfg, w->db, s, time(NULL), &what);
		if (rc < 0 || db_commit(w->db) < 0) {
			db_rollback(w->db);
			rc = -1;
		}
	}
	if (rc < 0) {
		log_warnx("%s: failed", what.data);
		tv_free(v);
		web_server_error(w, req, s, resp);
	} else {
		char *line = str_sanitize(what.data);

		log_info("%s", line);
		free(line);
		tv_set(v, "already", tv_bool(rc == 0));
		web_page(w, lang, "unsubscribed", v, 200, resp);
	}
	buf_free(&what);
	subscriber_free(s);
}

/* /c/TOKEN: GET shows a button (or the state), POST confirms. */
static void
confirm(struct web *w, const struct http_request *req, const char *tok,
    struct http_response *resp)
{
	struct subscriber *s;
	struct buf what;
	struct tv *v;
	char lang[16];
	int rc;

	if ((rc = web_by_token(w, tok, &s)) != 0) {
		if (rc < 0)
			web_server_error(w, req, NULL, resp);
		else
			web_bad_token(w, req, resp);
		return;
	}
	web_page_lang(w, s, req->accept_language, lang);
	v = web_person_tv(s);
	if (!web_is_post(req) || strcmp(s->status, "pending") != 0) {
		tv_set(v, strcmp(s->status, "pending") == 0 ? "pending" :
		    strcmp(s->status, "active") == 0 ? "active" : "closed",
		    tv_bool(1));
		web_page(w, lang, "confirm", v, 200, resp);
		subscriber_free(s);
		return;
	}
	buf_init(&what);
	buf_printf(&what, "web: confirm %s", s->email);
	rc = -1;
	if (db_begin(w->db) == 0) {
		rc = inbox_confirm(w->cfg, w->db, s, "web-confirmation",
		    time(NULL), &what);
		if (rc < 0 || db_commit(w->db) < 0) {
			db_rollback(w->db);
			rc = -1;
		}
	}
	if (rc < 0) {
		log_warnx("%s: failed", what.data);
		tv_free(v);
		web_server_error(w, req, s, resp);
	} else {
		char *line = str_sanitize(what.data);

		log_info("%s", line);
		free(line);
		web_page(w, lang, "confirmed", v, 200, resp);
	}
	buf_free(&what);
	subscriber_free(s);
}

/* ---- calendar files ---- */

/* 1 if the If-None-Match header (a list of entity tags, or "*") names
 * etag ("\"…\""); weak tags compare by their opaque part. */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' ||
		    p[n] == ' ' || p[n] == '\t'))
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

/* Answers with calendar text (taken): ETag, Last-Modified, 304. */
static void
calendar(const struct http_request *req, char *text, time_t modified,
    struct http_response *resp)
{
	char hash[65];
	size_t len = strlen(text);

	sha256_hex(text, len, hash);
	resp->etag = xasprintf("\"%.32s\"", hash);
	resp->last_modified = modified;
	resp->cache_control = xstrdup("no-cache");
	resp->content_type = "text/calendar; charset=utf-8";
	buf_reset(&resp->body);
	if (req->if_none_match != NULL &&
	    etag_matches(req->if_none_match, resp->etag))
		resp->status = 304;
	else {
		resp->status = 200;
		buf_append(&resp->body, text, len);
	}
	free(text);
}

/*
 * The events as a calendar. DTSTAMP is the newest change of the events
 * (not now), so the file, and its ETag, stays the same until an event
 * changes or ends.
 */
static void
feed(struct web *w, const struct http_request *req,
    struct eventics_list *l, struct http_response *resp)
{
	time_t newest = eventics_newest(l);
	char *text, *err = NULL;

	text = eventics_calendar(w->cfg, l, newest, &err);
	if (text == NULL) {
		log_warnx("web: calendar: %s", err ? err : "?");
		free(err);
		web_server_error(w, req, NULL, resp);
		return;
	}
	calendar(req, text, newest, resp);
}

/* /kalender.ics (district NULL) and /kalender/DISTRICT.ics. */
static void
district_feed(struct web *w, const struct http_request *req,
    const char *district, struct http_response *resp)
{
	struct eventics_list l;
	char *err = NULL;

	memset(&l, 0, sizeof(l));
	if (district != NULL) {
		int64_t id = district_id(w->db, district, 0, &err);

		free(err);
		if (id <= 0) {
			web_not_found(w, req, resp);
			return;
		}
	}
	if (eventics_collect(w->db, time(NULL), 0, district, &l) < 0)
		web_server_error(w, req, NULL, resp);
	else
		feed(w, req, &l, resp);
	eventics_list_free(&l);
}

/* /e/UID.ics: one published event. */
static void
event_file(struct web *w, const struct http_request *req, const char *uid,
    struct http_response *resp)
{
	struct eventics_list l;
	struct event *ev;
	int64_t id;
	int rc;

	if ((rc = event_find_uid(w->db, uid, &id)) == 0)
		rc = event_get(w->db, id, &ev);
	if (rc < 0) {
		web_server_error(w, req, NULL, resp);
		return;
	}
	if (rc > 0 || strcmp(ev->status, "published") != 0) {
		if (rc == 0)
			event_free(ev);
		web_not_found(w, req, resp);
		return;
	}
	memset(&l, 0, sizeof(l));
	eventics_push(&l, ev);
	feed(w, req, &l, resp);
	eventics_list_free(&l);
}

/* ---- routing ---- */

/* If path is prefix + X + suffix with X non-empty and without '/',
 * X (caller frees), else NULL. */
char *
web_path_arg(const char *path, const char *prefix, const char *suffix)
{
	size_t np = strlen(prefix), ns = strlen(suffix), n = strlen(path);

	if (n <= np + ns || strncmp(path, prefix, np) != 0 ||
	    strcmp(path + n - ns, suffix) != 0)
		return NULL;
	if (memchr(path + np, '/', n - np - ns) != NULL ||
	    memchr(path + np, '\0', n - np - ns) != NULL)
		return NULL;
	return xstrndup(path + np, n - np - ns);
}

static void
route(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	const char *path = req->path ? req->path : "/";
	int get = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;
	char *arg = NULL;

	if (token_path(path) && webguard_over(w->guard, "token",
	    client_of(req), WEB_TOKEN_MAX, WEB_TOKEN_WINDOW, time(NULL)))
		web_too_many(w, req, resp);
	else if (strcmp(path, "/anmelden") == 0 ||
	    strcmp(path, "/subscribe") == 0)
		web_subscribe(w, req, resp);
	else if ((arg = web_path_arg(path, "/u/", "")) != NULL)
		unsubscribe(w, req, arg, resp);
	else if ((arg = web_path_arg(path, "/c/", "")) != NULL)
		confirm(w, req, arg, resp);
	else if ((arg = web_path_arg(path, "/p/", "")) != NULL)
		web_preferences(w, req, arg, resp);
	else if (strncmp(path, "/r/", 3) == 0)
		web_rsvp(w, req, path + 3, resp);
	else if (get && strcmp(path, "/kalender.ics") == 0)
		district_feed(w, req, NULL, resp);
	else if (get && (arg = web_path_arg(path, "/kalender/", ".ics")) != NULL)
		district_feed(w, req, arg, resp);
	else if (get && (arg = web_path_arg(path, "/e/", ".ics")) != NULL)
		event_file(w, req, arg, resp);
	else if (get && (strcmp(path, "/archiv") == 0 ||
	    strncmp(path, "/archiv/", 8) == 0))
		web_archive(w, req, path, resp);
	else if (token_path(path))
		web_bad_token(w, req, resp);
	else
		web_not_found(w, req, resp);
	free(arg);
}

void
web_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct web *w = arg;

	pthread_mutex_lock(&w->lock);
	route(w, req, resp);
	pthread_mutex_unlock(&w->lock);
}
