/*
 * http: the small web service behind [general] base_url (rundbrief-web),
 * on libmicrohttpd. This module owns the server: listening, limits per
 * client and overall, timeouts against slow clients, request bodies
 * capped at 16 KB, only GET, HEAD and POST, the security headers on every
 * answer, X-Forwarded-For from [http] trusted_proxies only, and parsing
 * application/x-www-form-urlencoded bodies. What a path means is the
 * handler's (web.c): it sees a parsed request and fills a response.
 */
#ifndef RUNDBRIEF_HTTP_H
#define RUNDBRIEF_HTTP_H

#include <stddef.h>
#include <time.h>

#include "util.h"

#define HTTP_BODY_MAX (16 * 1024)

/* One form field (urlencoded, decoded: UTF-8 as sent). */
struct http_field {
	char *name;
	char *value;
};

struct http_request {
	const char *method;        /* "GET", "HEAD" or "POST" */
	const char *path;          /* percent-decoded, starts with "/" */
	const char *client;        /* the client's address as text (the
	                              X-Forwarded-For entry a trusted proxy
	                              added, else the peer's) */
	const char *accept_language; /* or NULL */
	const char *if_none_match;   /* or NULL */
	const char *if_modified_since; /* or NULL */
	const char *content_type;  /* or NULL */
	const char *body;          /* POST: the body (NUL-terminated) */
	size_t body_len;
	struct http_field *form;   /* POST urlencoded: the fields */
	size_t nform;
};

/* The value of form field name (the first), or NULL. */
const char *http_form_value(const struct http_request *r, const char *name);

/*
 * Parses an application/x-www-form-urlencoded body ('+' is a space, %XX
 * bytes) into fields (caller frees with http_fields_free). Returns 0, or
 * -1 for malformed input (a bad %-escape, a field without '=' is a field
 * with an empty value, not an error). At most 64 fields.
 */
int http_parse_form(const char *body, size_t len, struct http_field **out,
    size_t *n);
void http_fields_free(struct http_field *f, size_t n);

struct http_response {
	int status;                /* 200 unless set */
	const char *content_type;  /* default "text/html; charset=utf-8" */
	struct buf body;           /* (HEAD: sent without the body) */
	char *etag;                /* or NULL (the strong tag, quoted) */
	time_t last_modified;      /* 0: none */
	char *location;            /* a redirect (303 after a POST), or NULL */
	char *cache_control;       /* or NULL: "no-store" */
	const char *csp;           /* a stricter Content-Security-Policy
	                              (static text), or NULL: the pages' */
};

typedef void (*http_handler)(void *arg, const struct http_request *req,
    struct http_response *resp);

struct http_server;

struct http_opts {
	const char *listen;          /* "127.0.0.1:8080", "[::1]:8080" */
	const char *trusted_proxies; /* comma-separated addresses, or NULL */
	unsigned max_connections;    /* overall, default 512 */
	unsigned per_client;         /* connections per client, default 16 */
	unsigned timeout;            /* seconds idle before a connection is
	                                closed, default 15 */
};

/*
 * Starts serving in libmicrohttpd's own threads; handler is called from
 * them (one request at a time per connection, several connections at
 * once: the handler must be thread-safe, e.g. a database connection per
 * call or a lock). NULL with *errstr when the address cannot be used.
 */
struct http_server *http_start(const struct http_opts *o, http_handler h,
    void *arg, char **errstr);

/* 0 if listen is an address http_start accepts ("127.0.0.1:8080",
 * "[::1]:8080"), else -1 with *errstr (for rundbrief-web -n). */
int http_check_listen(const char *listen, char **errstr);

/* Stops accepting, lets requests in progress finish, frees. */
void http_stop(struct http_server *s);

#endif
