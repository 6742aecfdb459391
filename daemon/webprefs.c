/*
 * webprefs: the preferences page /p/TOKEN of rundbrief-web, linked from
 * every newsletter footer. GET shows a form with what the subscriber has
 * chosen (name, language, districts, topics, newsletter yes/no,
 * invitations all/none); POST saves it through subscriber_update(), the
 * function `rundbrief subscriber set` uses, inside one transaction, and
 * shows the saved state. A GET never changes anything.
 *
 * Invalid input (a district we do not have, a language without pages, a
 * name that is too long or not UTF-8, an unusable topic) changes nothing:
 * the form comes again, with the stored values and a message saying
 * which field was wrong (in the page's language: the template words it,
 * the code only names the field). People who unsubscribed or bounced get
 * a calm page without a form: they receive no mail, and nothing here
 * would change that.
 *
 * Topics: the text field holds the subscriber's topics, comma-separated;
 * the checkboxes are the topics in use (topic_list()). What is saved is
 * both together (a topic named twice but for case counts once), so a
 * topic is dropped by taking it out of the field and unticking it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "district.h"
#include "log.h"
#include "subscriber.h"
#include "tmplset.h"
#include "tmplvalue.h"
#include "topic.h"
#include "util.h"
#include "webpriv.h"

#define NAME_MAX_BYTES 200   /* subscriber.c's limit for a name */
#define TOPIC_MAX_BYTES 80   /* and for a topic */

/* A growing list of strings (owned). */
struct strs {
	char **v;
	size_t n;
};

static void
strs_push(struct strs *l, char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = s;
}

static void
strs_free(struct strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* 1 if l holds t but for case (utf8_fold()). */
static int
strs_has_folded(const struct strs *l, const char *t)
{
	char *one[1];

	one[0] = (char *)t;
	return l->n > 0 && subscriber_topics_meet(l->v, l->n, one, 1);
}

/* 1 if s is UTF-8 text of at most max bytes without control characters
 * (what subscriber.c accepts for names and topics). */
static int
usable_text(const char *s, size_t max)
{
	const unsigned char *p;
	size_t n = strlen(s);

	if (n > max || !utf8_valid(s, n))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static void
district_cb(void *arg, int64_t id, const char *name, long subscribers,
    long events)
{
	(void)id;
	(void)subscribers;
	(void)events;
	strs_push(arg, xstrdup(name));
}

static void
topic_cb(void *arg, const struct topic_use *t)
{
	strs_push(arg, xstrdup(t->name));
}

/* A language's name in itself, for the choice of languages (the code
 * where we have none). */
static const char *
lang_label(const char *code)
{
	static const char *const names[][2] = {
		{ "de", "Deutsch" }, { "en", "English" },
		{ "uk", "Українська" }, { "ru", "Русский" },
		{ "ar", "العربية" }, { "fa", "فارسی" }, { "tr", "Türkçe" },
		{ "fr", "Français" }, { "es", "Español" }, { "pl", "Polski" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], code) == 0)
			return names[i][1];
	return code;
}

/* 1 if lang is a language we have pages for. */
static int
page_language(struct web *w, const char *lang)
{
	const char *const *l;

	for (l = tmplset_languages(w->ts); *l != NULL; l++)
		if (strcmp(*l, lang) == 0)
			return 1;
	return 0;
}

/* The form's values: the stored state of s. -1 on a database error. */
static int
form_tv(struct web *w, const struct subscriber *s, struct tv *v)
{
	struct strs dist = { NULL, 0 }, topics = { NULL, 0 }, mine;
	const char *const *l;
	struct tv *list;
	struct buf b;
	size_t i, j;

	if (district_list(w->db, district_cb, &dist) < 0 ||
	    topic_list(w->db, topic_cb, &topics) < 0) {
		strs_free(&dist);
		strs_free(&topics);
		return -1;
	}
	tv_set_str(v, "name", s->name);

	list = tv_list();
	for (l = tmplset_languages(w->ts); *l != NULL; l++) {
		struct tv *o = tv_object();

		tv_set_str(o, "code", *l);
		tv_set_str(o, "label", lang_label(*l));
		tv_set(o, "selected", tv_bool(s->language != NULL &&
		    strcmp(s->language, *l) == 0));
		tv_push(list, o);
	}
	tv_set(v, "languages", list);

	list = tv_list();
	for (i = 0; i < dist.n; i++) {
		struct tv *o = tv_object();
		int on = 0;

		for (j = 0; j < s->ndistricts; j++)
			if (strcasecmp(s->districts[j], dist.v[i]) == 0)
				on = 1;
		tv_set_str(o, "name", dist.v[i]);
		tv_set(o, "checked", tv_bool(on));
		tv_push(list, o);
	}
	tv_set(v, "has_districts", tv_bool(dist.n > 0));
	tv_set(v, "districts", list);

	buf_init(&b);
	for (i = 0; i < s->ntopics; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", s->topics[i]);
	tv_set_str(v, "topics_text", b.len ? b.data : "");
	buf_free(&b);
	mine.v = s->topics;
	mine.n = s->ntopics;
	list = tv_list();
	for (i = 0; i < topics.n; i++) {
		struct tv *o = tv_object();

		tv_set_str(o, "name", topics.v[i]);
		tv_set(o, "checked", tv_bool(strs_has_folded(&mine,
		    topics.v[i])));
		tv_push(list, o);
	}
	tv_set(v, "has_topics", tv_bool(topics.n > 0));
	tv_set(v, "topics", list);

	tv_set(v, "newsletter_yes", tv_bool(s->newsletter));
	tv_set(v, "newsletter_no", tv_bool(!s->newsletter));
	tv_set(v, "invitations_all", tv_bool(s->invitations == NULL ||
	    strcmp(s->invitations, "none") != 0));
	tv_set(v, "invitations_none", tv_bool(s->invitations != NULL &&
	    strcmp(s->invitations, "none") == 0));
	strs_free(&dist);
	strs_free(&topics);
	return 0;
}

/* What the posted form asks for. */
struct wish {
	struct sub_fields f;
	struct strs districts, topics;
	const char **dv, **tv;   /* f's arrays */
	const char *bad;         /* what is wrong, for the template:
	                            "bad_name", "bad_language", "bad_district",
	                            "bad_topic", "bad_newsletter",
	                            "bad_invitations"; NULL if nothing */
	char *bad_value;         /* the wrong district or topic (cleaned) */
};

static void
wish_free(struct wish *x)
{
	free(x->dv);
	free(x->tv);
	strs_free(&x->districts);
	strs_free(&x->topics);
	free(x->bad_value);
}

static void
wish_bad(struct wish *x, const char *field, const char *value)
{
	if (x->bad != NULL)
		return;
	x->bad = field;
	if (value != NULL) {
		size_t n = strnlen(value, 80);
		char *t;

		/* whole UTF-8 characters only */
		while (n > 0 && value[n] != '\0' &&
		    ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
		t = xstrndup(value, n);

		x->bad_value = str_sanitize(t);
		free(t);
	}
}

/* Adds topic t (trimmed; empty ones are skipped) unless it is there. */
static void
wish_topic(struct wish *x, const char *t, size_t len)
{
	char *c = xstrndup(t, len), *s = str_trim(c);

	if (*s == '\0' || strs_has_folded(&x->topics, s)) {
		free(c);
		return;
	}
	if (!usable_text(s, TOPIC_MAX_BYTES))
		wish_bad(x, "bad_topic", s);
	strs_push(&x->topics, xstrdup(s));
	free(c);
}

/* Reads and checks the posted form into x (x->bad says what is
 * wrong). */
static void
wish_read(struct web *w, const struct http_request *req, struct wish *x)
{
	const char *v;
	size_t i;

	memset(x, 0, sizeof(*x));
	if ((v = http_form_value(req, "name")) != NULL) {
		if (!usable_text(v, NAME_MAX_BYTES))
			wish_bad(x, "bad_name", NULL);
		x->f.name = v;
	}
	if ((v = http_form_value(req, "language")) != NULL) {
		if (!subscriber_valid_language(v) || !page_language(w, v))
			wish_bad(x, "bad_language", NULL);
		x->f.language = v;
	}
	if ((v = http_form_value(req, "newsletter")) != NULL) {
		x->f.set_newsletter = 1;
		if (strcmp(v, "yes") == 0)
			x->f.newsletter = 1;
		else if (strcmp(v, "no") == 0)
			x->f.newsletter = 0;
		else
			wish_bad(x, "bad_newsletter", NULL);
	}
	if ((v = http_form_value(req, "invitations")) != NULL) {
		if (!subscriber_valid_invitations(v))
			wish_bad(x, "bad_invitations", NULL);
		x->f.invitations = v;
	}
	/* districts: the ticked ones replace the set (none ticked: none) */
	for (i = 0; i < req->nform; i++) {
		const char *d = req->form[i].value;
		char *err = NULL;
		int64_t id;

		if (strcmp(req->form[i].name, "district") != 0)
			continue;
		/* -1 (an unusable name) and 0 (none) are both unknown */
		id = utf8_valid(d, strlen(d)) ? district_id(w->db, d, 0, &err) :
		    0;
		free(err);
		err = NULL;
		if (id <= 0)
			wish_bad(x, "bad_district", d);
		else
			strs_push(&x->districts, xstrdup(d));
	}
	x->f.set_districts = 1;
	/* topics: the text field and the ticked boxes together */
	if ((v = http_form_value(req, "topics")) != NULL) {
		const char *p = v, *e;

		do {
			e = p + strcspn(p, ",");
			wish_topic(x, p, (size_t)(e - p));
			p = *e ? e + 1 : e;
		} while (*p != '\0');
	}
	for (i = 0; i < req->nform; i++)
		if (strcmp(req->form[i].name, "topic") == 0)
			wish_topic(x, req->form[i].value,
			    strlen(req->form[i].value));
	x->f.set_topics = 1;
	x->dv = xcalloc(x->districts.n + 1, sizeof(char *));
	for (i = 0; i < x->districts.n; i++)
		x->dv[i] = x->districts.v[i];
	x->f.districts = x->dv;
	x->f.ndistricts = x->districts.n;
	x->tv = xcalloc(x->topics.n + 1, sizeof(char *));
	for (i = 0; i < x->topics.n; i++)
		x->tv[i] = x->topics.v[i];
	x->f.topics = x->tv;
	x->f.ntopics = x->topics.n;
}

/* Shows the form for s (with v, taken), or the 500 page. */
static void
show_form(struct web *w, const struct http_request *req,
    const struct subscriber *s, struct tv *v, struct http_response *resp)
{
	char lang[16];

	if (form_tv(w, s, v) < 0) {
		tv_free(v);
		web_server_error(w, req, s, resp);
		return;
	}
	web_page_lang(w, s, req->accept_language, lang);
	web_page(w, lang, "preferences", v, 200, resp);
}

/* Saves what x asks for s: SUB_UPDATED, SUB_UNCHANGED, or negative (with
 * *errstr from subscriber_update, or a database error). */
static int
save(struct web *w, const struct subscriber *s, const struct wish *x,
    char **errstr)
{
	int rc;

	if (db_begin(w->db) < 0)
		return SUB_ERR_DB;
	rc = subscriber_update(w->db, s->email, &x->f, 0, errstr);
	if (rc < 0 || db_commit(w->db) < 0) {
		db_rollback(w->db);
		return rc < 0 ? rc : SUB_ERR_DB;
	}
	return rc;
}

/* /p/TOKEN */
void
web_preferences(struct web *w, const struct http_request *req,
    const char *tok, struct http_response *resp)
{
	struct subscriber *s, *now;
	struct wish x;
	struct tv *v;
	char lang[16], *err = NULL;
	int rc;

	if ((rc = web_by_token(w, tok, &s)) != 0) {
		if (rc < 0)
			web_server_error(w, req, NULL, resp);
		else
			web_bad_token(w, req, resp);
		return;
	}
	v = web_person_tv(s);
	if (strcmp(s->status, "unsubscribed") == 0 ||
	    strcmp(s->status, "bounced") == 0) {
		tv_set(v, "closed", tv_bool(1));
		tv_set(v, strcmp(s->status, "bounced") == 0 ? "bounced" :
		    "unsubscribed", tv_bool(1));
		web_page_lang(w, s, req->accept_language, lang);
		web_page(w, lang, "preferences", v, 200, resp);
		subscriber_free(s);
		return;
	}
	tv_set(v, "open", tv_bool(1));
	if (!web_is_post(req)) {
		show_form(w, req, s, v, resp);
		subscriber_free(s);
		return;
	}
	wish_read(w, req, &x);
	rc = SUB_ERR_INVALID;
	if (x.bad == NULL)
		rc = save(w, s, &x, &err);
	if (x.bad != NULL || rc == SUB_ERR_INVALID || rc == SUB_ERR_DISTRICT) {
		struct tv *e = tv_object();

		tv_set(e, x.bad ? x.bad : "bad_other", tv_bool(1));
		if (x.bad_value != NULL)
			tv_set_str(e, "value", x.bad_value);
		tv_set(v, "error", e);
		show_form(w, req, s, v, resp);
	} else if (rc < 0 || subscriber_get_token(w->db, tok, &now) != 0) {
		log_warnx("web: preferences of subscriber %lld: %s",
		    (long long)s->id, err ? err : "database error");
		tv_free(v);
		web_server_error(w, req, s, resp);
	} else {
		if (rc == SUB_UPDATED)
			log_info("web: preferences of subscriber %lld changed",
			    (long long)s->id);
		tv_set(v, rc == SUB_UPDATED ? "saved" : "unchanged",
		    tv_bool(1));
		show_form(w, req, now, v, resp);
		subscriber_free(now);
	}
	free(err);
	wish_free(&x);
	subscriber_free(s);
}
