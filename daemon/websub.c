/*
 * websub: the subscribe form of rundbrief-web, /anmelden and /subscribe.
 *
 * GET shows the form: address, name, language (those we have pages
 * for), the districts and the topics in use as checkboxes, and the
 * consent text naming [general] organisation. POST checks the fields with
 * the tool's validators (subscriber_check_fields(), the districts in the
 * table, the topics offered) and applies THE SUBSCRIBE RULE
 * (inbox_subscribe(), source "web"): a new address becomes pending with a
 * confirmation mail, a pending one gets it again at most once a day, an
 * active one nothing.
 *
 * Nobody learns who is subscribed: after valid input the answer page is
 * the same whatever the address's state, byte for byte (it shows only
 * what was typed, in the language chosen in the form). Abuse: a hidden
 * honeypot field ("website"; a person never fills it) gets that answer
 * and nothing is done; at most SUB_CLIENT_MAX POSTs per client an hour
 * (then 429), at most SUB_ADDRESS_MAX requests per address a day (then
 * the same answer, nothing done: nobody can flood a stranger's mailbox).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "inboxapply.h"
#include "log.h"
#include "subscriber.h"
#include "tmplset.h"
#include "tmplvalue.h"
#include "topic.h"
#include "util.h"
#include "webguard.h"
#include "webpriv.h"

#define SUB_CLIENT_MAX 5
#define SUB_CLIENT_WINDOW 3600
#define SUB_ADDRESS_MAX 3
#define SUB_ADDRESS_WINDOW 86400

/* A list of names (districts, topics). */
struct names {
	char **v;
	size_t n;
};

static void
names_push(struct names *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

static void
names_free(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
names_has(const struct names *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static void
district_cb(void *arg, int64_t id, const char *name, long subs, long events)
{
	(void)id;
	(void)subs;
	(void)events;
	names_push(arg, name);
}

static void
topic_cb(void *arg, const struct topic_use *t)
{
	names_push(arg, t->name);
}

/* What the form offers: the districts and topics in use. -1 on a
 * database error. */
static int
offered(struct web *w, struct names *districts, struct names *topics)
{
	memset(districts, 0, sizeof(*districts));
	memset(topics, 0, sizeof(*topics));
	if (district_list(w->db, district_cb, districts) < 0 ||
	    topic_list(w->db, topic_cb, topics) < 0) {
		names_free(districts);
		names_free(topics);
		return -1;
	}
	return 0;
}

/* 1 if lang is a language we have pages (and mails) for. */
static int
lang_offered(struct web *w, const char *lang)
{
	const char *const *l;

	for (l = tmplset_languages(w->ts); *l != NULL; l++)
		if (strcmp(*l, lang) == 0)
			return 1;
	return 0;
}

static const char *
lang_name(const char *code)
{
	if (strcmp(code, "de") == 0)
		return "Deutsch";
	if (strcmp(code, "en") == 0)
		return "English";
	return code;
}

/* The values (all of the request's form fields, collected) in what was
 * chosen (or NULL: none), as a list of {name, checked}. */
static struct tv *
choices(const struct names *all, const struct http_request *req,
    const char *field)
{
	struct tv *l = tv_list();
	size_t i, j;

	for (i = 0; i < all->n; i++) {
		struct tv *o = tv_object();
		int on = 0;

		for (j = 0; j < req->nform; j++)
			if (strcmp(req->form[j].name, field) == 0 &&
			    strcasecmp(req->form[j].value, all->v[i]) == 0)
				on = 1;
		tv_set_str(o, "name", all->v[i]);
		tv_set(o, "checked", tv_bool(on));
		tv_push(l, o);
	}
	return l;
}

/* The form in lang, filled with what req sent; error names the field
 * that is wrong ("email", "name" …) or is NULL. */
static void
form_page(struct web *w, const struct http_request *req, const char *lang,
    const char *error, const struct names *districts,
    const struct names *topics, struct http_response *resp)
{
	const char *const *l;
	struct tv *v = tv_object(), *langs = tv_list();
	const char *chosen = http_form_value(req, "language");
	const char *email = http_form_value(req, "email");
	const char *name = http_form_value(req, "name");
	char key[32];

	for (l = tmplset_languages(w->ts); *l != NULL; l++) {
		struct tv *o = tv_object();

		tv_set_str(o, "code", *l);
		tv_set_str(o, "name", lang_name(*l));
		tv_set(o, "selected", tv_bool(strcmp(chosen ? chosen : lang,
		    *l) == 0));
		tv_push(langs, o);
	}
	tv_set(v, "languages", langs);
	tv_set(v, "districts", choices(districts, req, "district"));
	tv_set(v, "has_districts", tv_bool(districts->n > 0));
	tv_set(v, "topics", choices(topics, req, "topic"));
	tv_set(v, "has_topics", tv_bool(topics->n > 0));
	tv_set_str(v, "email", email ? email : "");
	tv_set_str(v, "name", name ? name : "");
	if (error != NULL) {
		snprintf(key, sizeof(key), "error_%s", error);
		tv_set(v, "error", tv_bool(1));
		tv_set(v, key, tv_bool(1));
	}
	web_page(w, lang, "subscribe", v, error ? 400 : 200, resp);
}

/* The answer after valid input: the same whatever was done. */
static void
answer_page(struct web *w, const char *lang, const char *email,
    struct http_response *resp)
{
	struct tv *v = tv_object();
	char *m = web_mask_email(email);

	tv_set_str(v, "email_masked", m);
	free(m);
	web_page(w, lang, "subscribed", v, 200, resp);
}

/* A copy of s without white space around it ("" for NULL). */
static char *
trimmed(const char *s)
{
	char *c = xstrdup(s ? s : ""), *t = xstrdup(str_trim(c));

	free(c);
	return t;
}

/* The fields of a valid form in *f (pointing into req and the lists),
 * and the trimmed address in *email (caller frees); else the name of the
 * wrong field. */
static const char *
check(struct web *w, const struct http_request *req,
    const struct names *topics, struct sub_fields *f, struct names *dist,
    struct names *tops, char **email, char **name)
{
	const char *lang = http_form_value(req, "language");
	const char *e = http_form_value(req, "email");
	const char *n = http_form_value(req, "name");
	char *err = NULL;
	size_t i;

	memset(f, 0, sizeof(*f));
	*email = trimmed(e);
	*name = trimmed(n);
	if (**email == '\0' || !subscriber_valid_email(*email))
		return "email";
	f->name = **name ? *name : NULL;
	if (subscriber_check_fields(NULL, f, &err) < 0) {
		free(err);
		return "name";
	}
	if (lang == NULL || !subscriber_valid_language(lang) ||
	    !lang_offered(w, lang))
		return "language";
	f->language = lang;
	for (i = 0; i < req->nform; i++) {
		const char *k = req->form[i].name, *val = req->form[i].value;

		if (strcmp(k, "district") == 0) {
			int64_t id = district_id(w->db, val, 0, &err);

			free(err);
			err = NULL;
			if (id <= 0)
				return "district";
			if (!names_has(dist, val))
				names_push(dist, val);
		} else if (strcmp(k, "topic") == 0) {
			if (!names_has(topics, val))
				return "topic";
			if (!names_has(tops, val))
				names_push(tops, val);
		}
	}
	f->set_districts = dist->n > 0;
	f->districts = (const char *const *)dist->v;
	f->ndistricts = dist->n;
	f->set_topics = tops->n > 0;
	f->topics = (const char *const *)tops->v;
	f->ntopics = tops->n;
	if (subscriber_check_fields(*email, f, &err) < 0) {
		free(err);
		return "topic";
	}
	return NULL;
}

/* Applies the subscribe rule for a valid form; 0 or -1. */
static int
apply(struct web *w, const char *email, const struct sub_fields *f)
{
	struct buf what;
	int rc = -1;

	buf_init(&what);
	buf_printf(&what, "web: subscribe %s", email);
	if (db_begin(w->db) == 0) {
		rc = inbox_subscribe(w->cfg, w->db, email, f, "web",
		    time(NULL), &what);
		if (rc < 0 || db_commit(w->db) < 0) {
			db_rollback(w->db);
			rc = -1;
		}
	}
	if (rc < 0)
		buf_puts(&what, ": failed");
	{
		char *line = str_sanitize(what.data);

		if (rc < 0)
			log_warnx("%s", line);
		else
			log_info("%s", line);
		free(line);
	}
	buf_free(&what);
	return rc < 0 ? -1 : 0;
}

void
web_subscribe(struct web *w, const struct http_request *req,
    struct http_response *resp)
{
	const char *client = req->client ? req->client : "";
	const char *hp, *chosen;
	struct names districts, topics, dist = { 0 }, tops = { 0 };
	struct sub_fields f;
	char lang[16], *email = NULL, *name = NULL;
	const char *bad;

	web_page_lang(w, NULL, req->accept_language, lang);
	if (web_is_post(req) && webguard_hit(w->guard, "subscribe", client,
	    SUB_CLIENT_MAX, SUB_CLIENT_WINDOW, time(NULL))) {
		web_too_many(w, req, resp);
		return;
	}
	/* the answer comes in the language chosen in the form */
	chosen = http_form_value(req, "language");
	if (web_is_post(req) && chosen != NULL && lang_offered(w, chosen))
		snprintf(lang, sizeof(lang), "%s", chosen);
	if (offered(w, &districts, &topics) < 0) {
		web_server_error(w, req, NULL, resp);
		return;
	}
	if (!web_is_post(req)) {
		form_page(w, req, lang, NULL, &districts, &topics, resp);
		goto out;
	}
	hp = http_form_value(req, "website");
	if (hp != NULL && *hp != '\0') {
		char *line = str_sanitize(client);

		log_info("web: subscribe form with the honeypot filled from "
		    "%s: nothing done", line);
		free(line);
		hp = http_form_value(req, "email");
		answer_page(w, lang, hp ? hp : "", resp);
		goto out;
	}
	bad = check(w, req, &topics, &f, &dist, &tops, &email, &name);
	if (bad != NULL) {
		form_page(w, req, lang, bad, &districts, &topics, resp);
		goto out;
	}
	if (webguard_hit(w->guard, "subscribe-address", email,
	    SUB_ADDRESS_MAX, SUB_ADDRESS_WINDOW, time(NULL))) {
		char *line = str_sanitize(email);

		log_info("web: subscribe %s: over %d requests a day, nothing "
		    "done", line, SUB_ADDRESS_MAX);
		free(line);
		answer_page(w, lang, email, resp);
		goto out;
	}
	if (apply(w, email, &f) < 0)
		web_server_error(w, req, NULL, resp);
	else
		answer_page(w, lang, email, resp);
out:
	free(email);
	free(name);
	names_free(&dist);
	names_free(&tops);
	names_free(&districts);
	names_free(&topics);
}
