/*
 * rendercheck: `rundbrief check` and `rundbriefd -n` for the templates:
 * parse errors, and warnings about names that the context of a mail does
 * not provide (they would render empty), found by building each mail's
 * real context from sample data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "newsletter.h"
#include "render.h"
#include "renderpriv.h"
#include "subscriber.h"
#include "template.h"
#include "tmplset.h"
#include "tmplvalue.h"
#include "util.h"

struct keyset {
	char **k;
	size_t n;
};

/* Adds k unless it is there: 1 if added, 0 if it was there. */
static int
keys_add(struct keyset *ks, const char *k)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->k[i], k) == 0)
			return 0;
	ks->k = xrealloc(ks->k, (ks->n + 1) * sizeof(char *));
	ks->k[ks->n++] = xstrdup(k);
	return 1;
}

static void
keys_free(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
}

/* Every key at any depth of v. */
static void
keys_collect(struct keyset *ks, const struct tv *v)
{
	const struct tv *val;
	const char *k;
	size_t i;

	if (tv_type(v) == TV_LIST)
		for (i = 0; i < tv_len(v); i++)
			keys_collect(ks, tv_at(v, i));
	else if (tv_type(v) == TV_OBJECT)
		for (i = 0; (k = tv_key_at(v, i, &val)) != NULL; i++) {
			keys_add(ks, k);
			keys_collect(ks, val);
		}
}

struct name_check {
	struct keyset *ks;
	struct keyset *reported;  /* "FILE:LINE:COL", each warned about once */
	const char *mail;         /* "de/invitation.txt" */
	void (*fn)(void *arg, const char *msg);
	void *arg;
	int unknown;
};

/* file is the file holding the name: the mail's template or a partial. */
static void
check_name(void *arg, const char *file, const char *name, int line, int col)
{
	struct name_check *nc = arg;
	char *copy, *seg, *save = NULL, *msg;
	size_t i;
	int known = 1;

	if (strcmp(name, ".") == 0 || strcmp(name, "subject") == 0)
		return;
	copy = xstrdup(name);
	for (seg = strtok_r(copy, ".", &save); seg != NULL && known;
	    seg = strtok_r(NULL, ".", &save)) {
		known = 0;
		for (i = 0; i < nc->ks->n; i++)
			if (strcmp(nc->ks->k[i], seg) == 0)
				known = 1;
	}
	free(copy);
	if (known)
		return;
	/* a partial used by several mails is warned about once */
	msg = xasprintf("%s:%d:%d", file, line, col);
	known = !keys_add(nc->reported, msg);
	free(msg);
	if (known)
		return;
	msg = xasprintf("%s:%d:%d: warning: \"%s\" is not provided by the "
	    "context of %s (it renders empty)", file, line, col, name,
	    nc->mail);
	nc->fn(nc->arg, msg);
	free(msg);
	nc->unknown++;
}

static void
sample_event(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->uid = "check@rundbrief.invalid";
	ev->kind = "training";
	ev->title = "Check";
	ev->description = "Text";
	ev->location = "Ort";
	ev->online_url = "https://example.org/";
	ev->tzid = "Europe/Berlin";
	ev->start_local = "2026-12-03 18:00";
	ev->end_local = "2026-12-03 20:00";
	ev->start_utc = 1796317200;
	ev->end_utc = 1796324400;
	ev->rrule = "FREQ=MONTHLY;COUNT=2";
	ev->district = "Nord";
	ev->status = "published";
}

/* The context of mail `name` in lang for the sample data (the subject,
 * which is put on top when rendering, is not in it). */
static struct tv *
mail_ctx(struct render *r, const char *name, const char *lang,
    const struct newsletter *nl, const struct subscriber *s,
    const struct event *ev)
{
	struct event old;

	if (strcmp(name, "newsletter") == 0)
		return render_newsletter_tv(r, nl, lang, s);
	if (strcmp(name, "invitation") == 0 || strcmp(name, "cancellation") == 0
	    || strcmp(name, "reminder") == 0 ||
	    strcmp(name, "announcement") == 0)
		return render_event_mail_tv(r, name, lang, ev, NULL, 86400,
		    ev->start_utc);
	if (strcmp(name, "update") == 0) {
		old = *ev;
		old.location = "Anderswo";  /* one change in the list */
		return render_event_mail_tv(r, name, lang, ev, &old, 0,
		    ev->start_utc);
	}
	return render_base_tv(r, lang);
}

int
render_check_names(struct render *r, void (*fn)(void *arg, const char *msg),
    void *arg)
{
	const char *const *langs = tmplset_languages(r->ts);
	struct subscriber s;
	struct newsletter nl;
	struct editorial ed = { "", NULL, NULL, NULL, NULL };
	struct event ev;
	struct name_check nc;
	struct keyset reported = { NULL, 0 };
	time_t when;
	char *dist[1] = { "Nord" }, *err = NULL, *mail;
	size_t l, n, p, i;
	int total = 0;

	memset(&s, 0, sizeof(s));
	s.email = "check@rundbrief.invalid";
	s.name = "Check";
	s.token = "0";
	s.districts = dist;
	s.ndistricts = 1;
	sample_event(&ev);
	memset(&nl, 0, sizeof(nl));
	nl.year = 2026;
	nl.month = 12;
	nl.to = 1798761600;
	ed.body = "Text";
	nl.editorials = &ed;
	nl.neditorials = 1;
	nl.events = &ev;
	when = ev.start_utc;
	nl.when = &when;
	nl.nevents = 1;
	for (l = 0; langs[l] != NULL; l++) {
		s.language = (char *)langs[l];
		for (n = 0; tmplset_names[n] != NULL; n++) {
			struct keyset ks = { NULL, 0 };
			struct tv *ctx[2];
			const char *name = tmplset_names[n];

			ctx[0] = mail_ctx(r, name, langs[l], &nl, &s, &ev);
			ctx[1] = render_person_tv(r, langs[l], &s);
			/* an event mail's person values carry its rsvp link */
			if (strcmp(name, "newsletter") != 0 &&
			    tv_get(ctx[0], "event") != NULL)
				tv_set_str(ctx[1], "rsvp", "");
			for (i = 0; i < 2; i++)
				keys_collect(&ks, ctx[i]);
			for (p = 0; tmplset_parts[p] != NULL; p++) {
				const struct tmpl *t = tmplset_get(r->ts, langs[l],
				    name, tmplset_parts[p], NULL, &err);
				if (t == NULL) {
					free(err);
					err = NULL;
					continue;
				}
				mail = xasprintf("%s/%s.%s", langs[l], name,
				    tmplset_parts[p]);
				nc.ks = &ks;
				nc.reported = &reported;
				nc.mail = mail;
				nc.fn = fn;
				nc.arg = arg;
				nc.unknown = 0;
				tmpl_names(t, check_name, &nc);
				free(mail);
				total += nc.unknown;
			}
			for (i = 0; i < 2; i++)
				tv_free(ctx[i]);
			keys_free(&ks);
		}
	}
	keys_free(&reported);
	return total;
}

static void
print_line(void *arg, const char *msg)
{
	fprintf((FILE *)arg, "%s\n", msg);
}

int
render_check(const struct config *cfg, FILE *out)
{
	struct tmplset *ts = tmplset_new(cfg->templates, cfg->language);
	struct render *r = render_new(cfg, ts);
	int errors;

	errors = tmplset_check(ts, print_line, out);
	if (errors == 0)
		render_check_names(r, print_line, out);
	render_free(r);
	tmplset_free(ts);
	return errors;
}
