/*
 * webarchive: /archiv/ and /archiv/YYYY-MM, the newsletters that went
 * out, as a reader without personal data sees them.
 *
 * A month's newsletter is a mailing of kind newsletter that is active or
 * done, has at least one sent outbox row and carries no note (the
 * coordinator's review copies and warnings have one); of two in a month
 * (a special edition) the first is the month's. Its page is the mail's
 * own HTML document, rendered from the frozen content for a made-up
 * reader (audience_everyone(): every district, every topic, no name, no
 * address, a token that is nobody's), so it holds no subscriber's data.
 * The mail's document styles itself inline and loads nothing: its
 * Content-Security-Policy allows inline styles and nothing else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "datefmt.h"
#include "db.h"
#include "log.h"
#include "mailing.h"
#include "newsletter.h"
#include "subscriber.h"
#include "tmplvalue.h"
#include "util.h"
#include "webpriv.h"

#define ARCHIVE_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
	"img-src 'none'; form-action 'none'; frame-ancestors 'none'; " \
	"base-uri 'none'"

struct months {
	const char *lang;
	struct tv *list;
};

static void
add_month(void *arg, int year, int month)
{
	struct months *ms = arg;
	struct tv *o = tv_object();
	struct buf b;
	char ym[16];

	snprintf(ym, sizeof(ym), "%04d-%02d", year, month);
	buf_init(&b);
	if (datefmt_month(ms->lang, year, month, &b) < 0) {
		buf_reset(&b);
		buf_puts(&b, ym);
	}
	tv_set_str(o, "month", ym);
	tv_set_str(o, "name", b.data);
	buf_free(&b);
	tv_push(ms->list, o);
}

/* /archiv/: the months with a newsletter, newest first. */
static void
archive_index(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	struct months ms;
	struct tv *v;
	char lang[16];

	web_page_lang(w, NULL, req->accept_language, lang);
	ms.lang = lang;
	ms.list = tv_list();
	if (mailing_sent_months(w->db, add_month, &ms) < 0) {
		log_warnx("web: archive: %s", db_errmsg(w->db));
		tv_free(ms.list);
		web_server_error(w, req, NULL, resp);
		return;
	}
	v = tv_object();
	tv_set(v, "has_months", tv_bool(tv_len(ms.list) > 0));
	tv_set(v, "months", ms.list);
	web_page(w, lang, "archive", v, 200, resp);
}

/* 1 if ym is exactly YYYY-MM (digits), the month in *year and *month. */
static int
month_arg(const char *ym, int *year, int *month)
{
	size_t i;

	for (i = 0; i < 7; i++)
		if (i == 4 ? ym[i] != '-' : (ym[i] < '0' || ym[i] > '9'))
			return 0;
	return ym[7] == '\0' && newsletter_parse_month(ym, year, month) == 0;
}

/* /archiv/YYYY-MM: that month's newsletter for nobody in particular. */
static void
archive_month(struct web *w, const struct http_request *req,
    const char *ym, struct http_response *resp)
{
	struct subscriber *s = NULL;
	struct mailing *m = NULL;
	struct mailing_msg mm;
	char lang[16], *err = NULL;
	int year, month;
	int64_t id;

	if (!month_arg(ym, &year, &month) ||
	    (id = mailing_sent_newsletter(w->db, year, month)) == 0) {
		web_not_found(w, req, resp);
		return;
	}
	web_page_lang(w, NULL, req->accept_language, lang);
	if (id < 0 || (s = audience_everyone(w->db, lang, "", "")) == NULL) {
		log_warnx("web: archive %s: %s", ym, db_errmsg(w->db));
		web_server_error(w, req, NULL, resp);
		return;
	}
	if (mailing_load(w->cfg, w->db, id, &m, &err) < 0 ||
	    mailing_render(m, s, &mm, &err) < 0) {
		log_warnx("web: archive %s: %s", ym, err ? err : "?");
		free(err);
		mailing_free(m);
		subscriber_free(s);
		web_server_error(w, req, NULL, resp);
		return;
	}
	buf_reset(&resp->body);
	buf_append(&resp->body, mm.r.html.data, mm.r.html.len);
	resp->status = 200;
	resp->csp = ARCHIVE_CSP;
	resp->cache_control = xstrdup("no-cache");
	mailing_msg_free(&mm);
	mailing_free(m);
	subscriber_free(s);
}

void
web_archive(struct web *w, const struct http_request *req, const char *path,
    struct http_response *resp)
{
	char *arg;

	if (strcmp(path, "/archiv/") == 0 || strcmp(path, "/archiv") == 0)
		archive_index(w, req, resp);
	else if ((arg = web_path_arg(path, "/archiv/", "")) != NULL) {
		archive_month(w, req, arg, resp);
		free(arg);
	} else
		web_not_found(w, req, resp);
}
