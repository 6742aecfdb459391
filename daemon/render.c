/* render: mail contexts and rendering through the templates. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "datefmt.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "markdown.h"
#include "newsletter.h"
#include "render.h"
#include "renderpriv.h"
#include "subscriber.h"
#include "template.h"
#include "tmplset.h"
#include "tmplvalue.h"
#include "util.h"

#define TEXT_WIDTH 72

/* Words the code (not the templates) writes, per language. */
struct words {
	const char *lang;
	const char *hello_name, *hello;          /* salutations */
	const char *kind_heading[6], *kind_label[6];
	const char *county_wide, *recurring;
	const char *tomorrow, *today, *in_days, *in_hours;
	const char *until;                        /* "bis %s" */
	const char *label_start, *label_location, *label_online,
	    *label_rrule, *label_title, *label_none;
	const char *unsubscribe_subject, *confirm_subject;
};

static const char *const kinds[6] = { "welcome_conference", "volunteer_fair",
	"training", "network_meeting", "deadline", "other" };

static const struct words words[] = {
	{ "de", "Hallo %s,", "Hallo,",
	  { "Willkommenskonferenzen", "Ehrenamtsmessen", "Schulungen",
	    "Netzwerktreffen", "Fristen", "Weitere Termine" },
	  { "Willkommenskonferenz", "Ehrenamtsmesse", "Schulung",
	    "Netzwerktreffen", "Frist", "Termin" },
	  "kreisweit", "Wiederkehrender Termin", "morgen", "heute",
	  "in %ld Tagen", "in %ld Stunden", "bis %s",
	  "Zeit", "Ort", "Online-Link", "Wiederholung", "Titel", "(keine Angabe)",
	  "abmelden", "bestaetigen" },
	{ "en", "Dear %s,", "Hello,",
	  { "Welcome conferences", "Volunteer fairs", "Trainings",
	    "Network meetings", "Deadlines", "Other dates" },
	  { "Welcome conference", "Volunteer fair", "Training",
	    "Network meeting", "Deadline", "Event" },
	  "county-wide", "Recurring event", "tomorrow", "today",
	  "in %ld days", "in %ld hours", "until %s",
	  "Time", "Place", "Online link", "Recurrence", "Title", "(none)",
	  "unsubscribe", "confirm" },
};

static const struct words *
words_for(const char *lang)
{
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].lang, lang) == 0)
			return &words[i];
	return &words[1];
}

static int
kind_index(const char *kind)
{
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(kinds[i], kind) == 0)
			return i;
	return 5;
}

void
rendered_init(struct rendered *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text);
	buf_init(&r->html);
}

void
rendered_free(struct rendered *r)
{
	free(r->subject);
	free(r->lang);
	buf_free(&r->text);
	buf_free(&r->html);
	r->subject = NULL;
	r->lang = NULL;
}

struct render *
render_new(const struct config *cfg, struct tmplset *ts)
{
	struct render *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	r->ts = ts;
	return r;
}

static void
cache_clear(struct render *r)
{
	size_t i;

	for (i = 0; i < r->ncache; i++) {
		free(r->cache[i].key);
		tv_free(r->cache[i].ctx);
	}
	r->ncache = 0;
	r->next = 0;
}

void
render_free(struct render *r)
{
	if (r == NULL)
		return;
	cache_clear(r);
	free(r);
}

/* ---- values ---- */

static void
set_buf(struct tv *obj, const char *key, struct buf *b)
{
	tv_set(obj, key, tv_stringn(b->data ? b->data : "", b->len));
	buf_reset(b);
}

/* Local broken-down time of t in tz (UTC if the zone fails). */
static void
local_tm(const char *tz, time_t t, struct tm *tm)
{
	if (ical_utc_to_local(tz, t, tm) < 0)
		gmtime_r(&t, tm);
}

/* The date/time text of one occurrence starting at `at` (UTC). */
static void
when_text(const char *lang, const struct event *ev, time_t at, struct buf *b)
{
	struct tm s, e;
	int has;

	if (ev->all_day) {
		time_t len = ev->end_utc - ev->start_utc;
		if (at == ev->start_utc) {
			datefmt_parse_local(ev->start_local, &s, &has);
			datefmt_parse_local(ev->end_local, &e, &has);
		} else {
			local_tm(ev->tzid, at, &s);
			local_tm(ev->tzid, at + len - 1, &e);
		}
	} else {
		local_tm(ev->tzid, at, &s);
		local_tm(ev->tzid, at + (ev->end_utc - ev->start_utc), &e);
	}
	datefmt_range(lang, &s, &e, ev->all_day, b);
}

/* A recurring event's rule in words, else `other`; nothing for a one-off
 * event. */
static void
rule_text(const char *lang, const struct event *ev, const char *other,
    struct buf *b)
{
	if (ev->rrule != NULL && ical_rule_text(lang, ev->rrule, ev->tzid,
	    ev->start_local, ev->end_local, b) < 0)
		buf_puts(b, other);
}

/* base_url + the path, "" without a base_url (caller frees). */
static char *
web_link(const struct config *cfg, const char *path)
{
	size_t n;

	if (cfg->base_url == NULL || cfg->base_url[0] == '\0')
		return xstrdup("");
	n = strlen(cfg->base_url);
	return xasprintf("%s%s%s", cfg->base_url, cfg->base_url[n - 1] == '/' ?
	    "" : "/", path);
}

/* The event's calendar file on rundbrief-web ("In den Kalender": also
 * for the events that send no invitation), "" without a base_url. */
static void
set_ics_url(const struct config *cfg, struct tv *o, const struct event *ev)
{
	char *path = xasprintf("e/%s.ics", ev->uid), *u = web_link(cfg, path);

	tv_set_str(o, "ics_url", strcmp(ev->status, "published") == 0 ? u :
	    "");
	free(u);
	free(path);
}

static struct tv *
event_tv(const char *lang, const struct event *ev, time_t at)
{
	const struct words *w = words_for(lang);
	struct tv *o = tv_object();
	struct buf b;
	char cap[24];
	int info;

	buf_init(&b);
	tv_set_str(o, "title", ev->title);
	tv_set_str(o, "kind", ev->kind);
	tv_set_str(o, "kind_label", w->kind_label[kind_index(ev->kind)]);
	when_text(lang, ev, at ? at : ev->start_utc, &b);
	set_buf(o, "when", &b);
	tv_set_str(o, "location", ev->location ? ev->location : "");
	/* a deadline's link is information, not a place to join */
	info = ev->online_url != NULL && strcmp(ev->kind, "deadline") == 0;
	tv_set(o, "online", tv_bool(ev->online_url != NULL && !info));
	tv_set_str(o, "online_url", ev->online_url && !info ? ev->online_url : "");
	tv_set(o, "info", tv_bool(info));
	tv_set_str(o, "info_url", info ? ev->online_url : "");
	tv_set_str(o, "district", ev->district ? ev->district : "");
	tv_set(o, "county_wide", tv_bool(ev->district == NULL));
	tv_set(o, "has_description", tv_bool(ev->description[0] != '\0'));
	md_to_html(ev->description, strlen(ev->description), &b);
	set_buf(o, "description_html", &b);
	md_to_text(ev->description, strlen(ev->description), TEXT_WIDTH, &b);
	set_buf(o, "description_text", &b);
	if (ev->capacity > 0)
		snprintf(cap, sizeof(cap), "%ld", ev->capacity);
	else
		cap[0] = '\0';
	tv_set_str(o, "capacity", cap);
	tv_set(o, "recurring", tv_bool(ev->rrule != NULL));
	tv_set_str(o, "recurrence_text", ev->rrule ? w->recurring : "");
	rule_text(lang, ev, w->recurring, &b);
	set_buf(o, "recurrence", &b);
	tv_set(o, "cancelled", tv_bool(strcmp(ev->status, "cancelled") == 0));
	buf_free(&b);
	return o;
}

/* event_tv's values and the web link of ev; returns o. */
static struct tv *
set_event(const struct config *cfg, struct tv *o, const struct event *ev)
{
	set_ics_url(cfg, o, ev);
	return o;
}

struct tv *
render_event_values(const char *lang, const struct event *ev, time_t now)
{
	return event_tv(lang, ev, ev->rrule != NULL ?
	    event_next_start(ev, now) : 0);
}

/* mailto:addr?subject=WORD%20TOKEN */
static char *
mailto(const char *addr, const char *word, const char *token)
{
	return xasprintf("mailto:%s?subject=%s%%20%s", addr, word, token);
}

/* The address people write to (the mailbox rundbrief reads). */
static const char *
reply_address(const struct config *cfg)
{
	if (cfg->reply_to != NULL)
		return cfg->reply_to;
	return cfg->organizer_email;
}

/*
 * The ways to act on a mail by link or by reply: url (base_url/path/TOKEN,
 * "" without a base_url), mailto, address and subject (word TOKEN).
 */
static void
links_tv(struct tv *o, const struct config *cfg, const char *path,
    const char *word, const char *token)
{
	size_t n = cfg->base_url ? strlen(cfg->base_url) : 0;
	char *t;

	if (cfg->base_url != NULL) {
		t = xasprintf("%s%s%s/%s", cfg->base_url,
		    n && cfg->base_url[n - 1] == '/' ? "" : "/", path, token);
		tv_set_str(o, "url", t);
		free(t);
	} else
		tv_set_str(o, "url", "");
	t = mailto(reply_address(cfg), word, token);
	tv_set_str(o, "mailto", t);
	free(t);
	tv_set_str(o, "address", reply_address(cfg));
	t = xasprintf("%s %s", word, token);
	tv_set_str(o, "subject", t);
	free(t);
}

/* base_url/r/TOKEN/EVENT, "" without a base_url or a token. */
char *
render_rsvp_url(const struct config *cfg, int64_t event_id,
    const char *token)
{
	size_t n = cfg->base_url ? strlen(cfg->base_url) : 0;

	if (n == 0 || token == NULL || *token == '\0')
		return xstrdup("");
	return xasprintf("%s%sr/%s/%lld", cfg->base_url,
	    cfg->base_url[n - 1] == '/' ? "" : "/", token,
	    (long long)event_id);
}

/* Values every mail has, for subscriber s in language lang. */
struct tv *
render_person_tv(struct render *r, const char *lang,
    const struct subscriber *s)
{
	const struct config *cfg = r->cfg;
	const struct words *w = words_for(lang);
	struct tv *o = tv_object(), *sub = tv_object(), *un = tv_object(),
	    *cf = tv_object(), *pr;
	char *t;

	tv_set_str(sub, "name", s->name);
	tv_set_str(sub, "email", s->email);
	tv_set(o, "subscriber", sub);
	t = s->name[0] != '\0' ? xasprintf(w->hello_name, s->name) :
	    xstrdup(w->hello);
	tv_set_str(o, "greeting", t);
	tv_set_str(o, "salutation", t);  /* its older name */
	free(t);

	links_tv(un, cfg, "u", w->unsubscribe_subject, s->token);
	tv_set(o, "unsubscribe", un);
	links_tv(cf, cfg, "c", w->confirm_subject, s->token);
	tv_set(o, "confirm", cf);
	/* the preferences page is a link only: url, "" without a base_url */
	t = cfg->base_url == NULL ? xstrdup("") : xasprintf("%s%sp/%s",
	    cfg->base_url, cfg->base_url[0] != '\0' &&
	    cfg->base_url[strlen(cfg->base_url) - 1] == '/' ? "" : "/",
	    s->token);
	pr = tv_object();
	tv_set_str(pr, "url", t);
	tv_set(o, "preferences", pr);
	free(t);
	return o;
}

/* Values about the organisation and language. */
struct tv *
render_base_tv(struct render *r, const char *lang)
{
	const struct config *cfg = r->cfg;
	struct tv *o = tv_object(), *org = tv_object();
	const char *area = config_word(cfg, &cfg->area_name, lang);

	if (area == NULL)
		area = words_for(lang)->county_wide;
	tv_set_str(o, "lang", lang);
	tv_set_str(o, "area_name", area);
	tv_set_str(o, "county_wide_text", area);  /* its older name */
	tv_set_str(org, "name", cfg->organisation ? cfg->organisation : "");
	tv_set_str(org, "contact_name",
	    cfg->organizer_name ? cfg->organizer_name : "");
	tv_set_str(org, "contact_email", reply_address(cfg));
	tv_set_str(org, "base_url", cfg->base_url ? cfg->base_url : "");
	tv_set(o, "org", org);
	{
		/* the calendar feed to subscribe to: webcal://…/kalender.ics */
		char *u = web_link(cfg, "kalender.ics");
		const char *rest = strncmp(u, "https://", 8) == 0 ? u + 8 :
		    strncmp(u, "http://", 7) == 0 ? u + 7 : NULL;
		char *wc = rest ? xasprintf("webcal://%s", rest) : xstrdup("");

		tv_set_str(o, "calendar_feed", wc);
		free(wc);
		free(u);
	}
	tv_set_str(o, "preheader", "");
	return o;
}

/* ---- rendering ---- */

static char *
one_line(const char *s, size_t len)
{
	char *t = xstrndup(s, len), *p;

	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	p = str_trim(t);
	memmove(t, p, strlen(p) + 1);
	return t;
}

/*
 * Renders the three parts of `name` in the subscriber's language (or the
 * default). The stack is bottom..top; the subject is rendered first and put
 * on top as "subject" for the bodies' <title>.
 */
static int
render_parts(struct render *r, const char *name, const char *lang,
    struct tv **stack, size_t depth, const char *subject_override,
    struct rendered *out, char **errstr)
{
	const struct tmpl *ts, *tt, *th;
	const struct tv *full[8];
	const char *used;
	struct tv *top = tv_object();
	struct buf b;
	size_t i;

	rendered_init(out);
	if ((ts = tmplset_get(r->ts, lang, name, "subject", &used,
	    errstr)) == NULL ||
	    (tt = tmplset_get(r->ts, lang, name, "txt", NULL, errstr)) == NULL ||
	    (th = tmplset_get(r->ts, lang, name, "html", NULL, errstr)) ==
	    NULL) {
		tv_free(top);
		return -1;
	}
	for (i = 0; i < depth; i++)
		full[i] = stack[i];
	buf_init(&b);
	if (subject_override != NULL)
		buf_puts(&b, subject_override);
	else
		tmpl_render(ts, full, depth, &b);
	out->subject = one_line(b.data ? b.data : "", b.len);
	buf_free(&b);
	tv_set_str(top, "subject", out->subject);
	full[depth] = top;
	tmpl_render(tt, full, depth + 1, &out->text);
	tmpl_render(th, full, depth + 1, &out->html);
	out->lang = xstrdup(used);
	tv_free(top);
	return 0;
}

/* The language the templates and dates of s are written in. */
static const char *
mail_lang(struct render *r, const struct subscriber *s)
{
	const char *const *langs = tmplset_languages(r->ts);
	size_t i;

	for (i = 0; langs[i] != NULL; i++)
		if (strcmp(langs[i], s->language) == 0 &&
		    datefmt_supported(s->language))
			return s->language;
	return datefmt_supported(r->cfg->language) ? r->cfg->language : "en";
}

/* ---- newsletter ---- */

int
render_event_for(const struct event *ev, const struct subscriber *s,
    int all_topics)
{
	size_t i;
	int in_district = ev->district == NULL;

	for (i = 0; !in_district && i < s->ndistricts; i++)
		in_district = strcasecmp(s->districts[i], ev->district) == 0;
	if (!in_district)
		return 0;
	return ev->ntopics == 0 || all_topics ||
	    subscriber_topics_meet(ev->topics, ev->ntopics, s->topics,
	    s->ntopics);
}

struct tv *
render_newsletter_tv(struct render *r, const struct newsletter *nl,
    const char *lang, const struct subscriber *s)
{
	const struct words *w = words_for(lang);
	const struct editorial *e = newsletter_editorial(nl, s->language);
	struct tv *o = render_base_tv(r, lang), *groups = tv_list(),
	    *by_date = tv_list(), *ed = tv_object();
	struct buf b;
	struct tm tm;
	size_t i;
	int k;

	buf_init(&b);
	datefmt_month(lang, nl->year, nl->month, &b);
	set_buf(o, "month", &b);
	if (r->cfg->base_url != NULL) {
		size_t n = strlen(r->cfg->base_url);

		buf_printf(&b, "%s%sarchiv/%04d-%02d", r->cfg->base_url,
		    n && r->cfg->base_url[n - 1] == '/' ? "" : "/", nl->year,
		    nl->month);
	}
	set_buf(o, "archive_url", &b);  /* "" without a base_url */
	if (e != NULL && e->preheader != NULL)
		tv_set_str(o, "preheader", e->preheader);
	tv_set(o, "has_editorial", tv_bool(e != NULL));
	if (e != NULL) {
		md_to_html(e->body, strlen(e->body), &b);
		set_buf(ed, "html", &b);
		md_to_text(e->body, strlen(e->body), TEXT_WIDTH, &b);
		set_buf(ed, "text", &b);
	}
	tv_set(o, "editorial", ed);
	for (k = 0; k < 6; k++) {
		struct tv *g = NULL, *list = NULL;
		for (i = 0; i < nl->nevents; i++) {
			const struct event *ev = &nl->events[i];
			if (kind_index(ev->kind) != k ||
			    !render_event_for(ev, s, r->cfg->all_topics))
				continue;
			if (g == NULL) {
				g = tv_object();
				list = tv_list();
				tv_set_str(g, "kind", kinds[k]);
				tv_set_str(g, "heading", w->kind_heading[k]);
			}
			tv_push(list, set_event(r->cfg, event_tv(lang, ev,
			    nl->when[i]), ev));
		}
		if (g != NULL) {
			tv_set(g, "events", list);
			tv_push(groups, g);
		}
	}
	tv_set(o, "events_by_kind", groups);
	for (i = 0; i < nl->nevents; i++)
		if (render_event_for(&nl->events[i], s, r->cfg->all_topics))
			tv_push(by_date, set_event(r->cfg, event_tv(lang,
			    &nl->events[i], nl->when[i]), &nl->events[i]));
	tv_set(o, "has_events", tv_bool(tv_len(by_date) > 0));
	tv_set(o, "events_by_date", by_date);
	tv_set(o, "order_by_date", tv_bool(r->cfg->order == CONFIG_ORDER_DATE));
	tv_set(o, "order_by_kind", tv_bool(r->cfg->order == CONFIG_ORDER_KIND));
	local_tm(r->cfg->timezone, nl->to - 1, &tm);
	datefmt_date(lang, &tm, &b);
	{
		char *t = xasprintf(w->until, b.data);
		tv_set_str(o, "horizon_text", t);
		free(t);
	}
	buf_free(&b);
	return o;
}

/* The shared context for (language, editorial, the events s sees),
 * built once. */
static struct tv *
newsletter_ctx(struct render *r, const struct newsletter *nl, const char *lang,
    const struct subscriber *s, const struct editorial *e)
{
	struct buf key;
	size_t i;
	struct nl_cache *c;

	if (r->nl_serial != nl->serial) {
		cache_clear(r);
		r->nl_serial = nl->serial;
	}
	buf_init(&key);
	buf_puts(&key, lang);
	buf_putc(&key, '/');
	buf_puts(&key, e != NULL ? e->lang : "-");
	buf_putc(&key, '|');
	for (i = 0; i < nl->nevents; i++)
		if (render_event_for(&nl->events[i], s, r->cfg->all_topics))
			buf_printf(&key, "%zu,", i);
	for (i = 0; i < r->ncache; i++)
		if (strcmp(r->cache[i].key, key.data) == 0) {
			buf_free(&key);
			return r->cache[i].ctx;
		}
	if (r->ncache < NL_CACHE)
		c = &r->cache[r->ncache++];
	else {
		c = &r->cache[r->next];
		r->next = (r->next + 1) % NL_CACHE;
		free(c->key);
		tv_free(c->ctx);
	}
	c->key = buf_steal(&key);
	c->ctx = render_newsletter_tv(r, nl, lang, s);
	return c->ctx;
}

int
render_newsletter(struct render *r, const struct newsletter *nl,
    const struct subscriber *s, struct rendered *out, char **errstr)
{
	const char *lang = mail_lang(r, s);
	const struct editorial *e = newsletter_editorial(nl, s->language);
	struct tv *stack[2];
	int rc;

	stack[0] = newsletter_ctx(r, nl, lang, s, e);
	stack[1] = render_person_tv(r, lang, s);
	rc = render_parts(r, "newsletter", lang, stack, 2, e ? e->subject :
	    NULL, out, errstr);
	tv_free(stack[1]);
	return rc;
}

/* ---- event mails and notices ---- */

static void
add_change(struct tv *list, const char *label, const char *old,
    const char *new, const char *none)
{
	struct tv *c = tv_object();

	tv_set_str(c, "label", label);
	tv_set_str(c, "old", old && *old ? old : none);
	tv_set_str(c, "new", new && *new ? new : none);
	tv_push(list, c);
}

static struct tv *
changes_tv(const char *lang, const struct event *ev, const struct event *old)
{
	const struct words *w = words_for(lang);
	struct tv *list = tv_list();
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	if (old->start_utc != ev->start_utc || old->end_utc != ev->end_utc ||
	    old->all_day != ev->all_day) {
		when_text(lang, old, old->start_utc, &a);
		when_text(lang, ev, ev->start_utc, &b);
		add_change(list, w->label_start, a.data, b.data, w->label_none);
	}
	if ((old->location == NULL) != (ev->location == NULL) ||
	    (old->location && strcmp(old->location, ev->location)))
		add_change(list, w->label_location, old->location, ev->location,
		    w->label_none);
	if ((old->online_url == NULL) != (ev->online_url == NULL) ||
	    (old->online_url && strcmp(old->online_url, ev->online_url)))
		add_change(list, w->label_online, old->online_url,
		    ev->online_url, w->label_none);
	if ((old->rrule == NULL) != (ev->rrule == NULL) ||
	    (old->rrule && strcmp(old->rrule, ev->rrule))) {
		/* in words where a sentence says the rule */
		buf_reset(&a);
		buf_reset(&b);
		rule_text(lang, old, old->rrule, &a);
		rule_text(lang, ev, ev->rrule, &b);
		add_change(list, w->label_rrule, a.data, b.data, w->label_none);
	}
	if (strcmp(old->title, ev->title) != 0)
		add_change(list, w->label_title, old->title, ev->title,
		    w->label_none);
	buf_free(&a);
	buf_free(&b);
	return list;
}

static char *
lead_text(const char *lang, long lead)
{
	const struct words *w = words_for(lang);
	long days = (lead + 43200) / 86400, hours = (lead + 1800) / 3600;

	if (lead < 86400 - 3600 && hours >= 2)
		return xasprintf(w->in_hours, hours);
	if (lead < 2 * 3600)
		return xstrdup(w->today);
	if (days <= 1)
		return xstrdup(w->tomorrow);
	return xasprintf(w->in_days, days);
}

struct tv *
render_event_mail_tv(struct render *r, const char *name, const char *lang,
    const struct event *ev, const struct event *old, long lead, time_t now)
{
	struct tv *o = render_base_tv(r, lang);

	/* an event mail carries the calendar object itself (or, for a
	 * reminder, follows one): no second way into the calendar */
	{
		struct tv *et = event_tv(lang, ev, ev->rrule != NULL ?
		    event_next_start(ev, now) : 0);

		tv_set_str(et, "ics_url", "");
		tv_set(o, "event", et);
	}
	if (old != NULL) {
		struct tv *ch = changes_tv(lang, ev, old);
		tv_set(o, "has_changes", tv_bool(tv_len(ch) > 0));
		tv_set(o, "changes", ch);
	} else {
		tv_set(o, "has_changes", tv_bool(0));
		tv_set(o, "changes", tv_list());
	}
	if (strcmp(name, "reminder") == 0) {
		char *t = lead_text(lang, lead);
		tv_set_str(o, "reminder_lead", t);
		free(t);
	}
	return o;
}

int
render_event_mail(struct render *r, const char *name, const struct event *ev,
    const struct event *old, long lead, time_t now, const struct subscriber *s,
    struct rendered *out, char **errstr)
{
	const char *lang = mail_lang(r, s);
	struct tv *stack[2];
	int rc;

	stack[0] = render_event_mail_tv(r, name, lang, ev, old, lead, now);
	stack[1] = render_person_tv(r, lang, s);
	{
		/* a deadline invites nobody: nothing to answer */
		char *u = strcmp(ev->kind, "deadline") == 0 ? xstrdup("") :
		    render_rsvp_url(r->cfg, ev->id, s->token);

		tv_set_str(stack[1], "rsvp", u);
		free(u);
	}
	rc = render_parts(r, name, lang, stack, 2, NULL, out, errstr);
	tv_free(stack[0]);
	tv_free(stack[1]);
	return rc;
}

int
render_notice(struct render *r, const char *name, const struct subscriber *s,
    struct rendered *out, char **errstr)
{
	const char *lang = mail_lang(r, s);
	struct tv *stack[2];
	int rc;

	stack[0] = render_base_tv(r, lang);
	stack[1] = render_person_tv(r, lang, s);
	rc = render_parts(r, name, lang, stack, 2, NULL, out, errstr);
	tv_free(stack[0]);
	tv_free(stack[1]);
	return rc;
}
