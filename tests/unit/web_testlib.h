/*
 * What the tests of rundbrief-web's pages share: a request made by hand
 * and handed to web_handle() as the server would (the form of a body
 * parsed), and the response's release. Include after cmocka.h, http.h and
 * web.h.
 */
#ifndef RUNDBRIEF_TEST_WEB_TESTLIB_H
#define RUNDBRIEF_TEST_WEB_TESTLIB_H

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"
#include "web.h"

/* method path [body] from client (inm: If-None-Match, accept:
 * Accept-Language, each may be NULL) through web_handle into resp
 * (release with web_resp_free). A body must be a well-formed form. */
static void
web_request(struct web *w, const char *method, const char *path,
    const char *body, const char *client, const char *inm,
    const char *accept, struct http_response *resp)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
	resp->status = 200;
	req.method = method;
	req.path = path;
	req.client = client;
	req.accept_language = accept;
	req.if_none_match = inm;
	if (body != NULL) {
		req.content_type = "application/x-www-form-urlencoded";
		req.body = body;
		req.body_len = strlen(body);
		assert_int_equal(http_parse_form(body, req.body_len, &req.form,
		    &req.nform), 0);
	}
	web_handle(w, &req, resp);
	http_fields_free(req.form, req.nform);
	if (resp->body.data == NULL)
		buf_puts(&resp->body, "");
}

static void
resp_free(struct http_response *resp)
{
	buf_free(&resp->body);
	free(resp->etag);
	free(resp->location);
	free(resp->cache_control);
}

static void
expect_in(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in:\n%s", needle, hay);
}

#endif
