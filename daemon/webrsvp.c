/*
 * webrsvp: the answer page /r/TOKEN/EVENT of rundbrief-web, for those who
 * read their invitations where no Accept/Decline buttons are shown.
 *
 * GET shows the event and three buttons (a form each, POSTing `answer`
 * to the same address); POST records the answer for the whole series
 * (occurrence "") by THE RSVP RULE of calendar replies (inbox_rsvp():
 * the newer answer wins, the coordinator is told once when the event is
 * full), with the event's SEQUENCE and now as DTSTAMP. A GET never
 * changes anything.
 *
 * Who may answer: the subscriber of TOKEN, for a published or cancelled
 * event that reached them (audience_reached(): an invitation, update or
 * announcement was sent or is on its way to them). Everything else — a
 * bad token, an unknown or draft event, someone not invited — is the
 * same neutral 404. A cancelled event shows that it is cancelled and
 * takes no answers.
 *
 * Capacity: when the fullest occurrence has as many acceptances as the
 * event has places (rsvp_fullest(), as the notice to the coordinator
 * counts), the page says so and offers only "decline", and an accept is
 * refused — unless this person has accepted already (their place is
 * theirs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "inboxapply.h"
#include "log.h"
#include "render.h"
#include "rsvp.h"
#include "subscriber.h"
#include "tmplvalue.h"
#include "util.h"
#include "webpriv.h"

/* The answers a form may send. */
static const char *const answers[] = { "accepted", "tentative", "declined",
	NULL };

/* TOKEN and the event id of TOKEN/EVENT (after "/r/"): 0, or -1 when the
 * path is not of that form. *tok is the caller's to free. */
static int
parse_path(const char *arg, char **tok, int64_t *id)
{
	const char *slash = strchr(arg, '/'), *p;
	long long v = 0;

	*tok = NULL;
	if (slash == NULL || slash == arg || slash[1] == '\0' ||
	    strlen(slash + 1) > 18 || slash[1] == '0')
		return -1;
	for (p = slash + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	*tok = xstrndup(arg, (size_t)(slash - arg));
	*id = (int64_t)v;
	return 0;
}

static const char *
valid_answer(const char *a)
{
	size_t i;

	for (i = 0; a != NULL && answers[i] != NULL; i++)
		if (strcmp(a, answers[i]) == 0)
			return answers[i];
	return NULL;
}

/* answer_accepted, answer_tentative, answer_declined: which one ps is. */
static void
set_answer(struct tv *v, const char *ps)
{
	size_t i;
	char key[32];

	for (i = 0; answers[i] != NULL; i++) {
		snprintf(key, sizeof(key), "answer_%s", answers[i]);
		tv_set(v, key, tv_bool(ps != NULL &&
		    strcmp(ps, answers[i]) == 0));
	}
	tv_set(v, "answered", tv_bool(ps != NULL));
}

/* 1 when ev's places are taken (and it has a limit), 0, -1 on error. */
static int
is_full(struct db *db, const struct event *ev)
{
	long n;

	if (ev->capacity <= 0)
		return 0;
	if (rsvp_fullest(db, ev->id, &n, NULL) < 0)
		return -1;
	return n >= ev->capacity;
}

/*
 * The subscriber of tok and the event id, if they may answer: 0, 1 (the
 * 404), -1 (the 500).
 */
static int
load(struct web *w, const char *tok, int64_t id, struct subscriber **s,
    struct event **ev)
{
	int rc;

	*ev = NULL;
	if ((rc = web_by_token(w, tok, s)) != 0)
		return rc;
	if ((rc = event_get(w->db, id, ev)) == 0) {
		if (strcmp((*ev)->status, "draft") == 0)
			rc = 1;
		else if ((rc = audience_reached(w->db, id, (*s)->id)) >= 0)
			rc = !rc;
	}
	if (rc != 0) {
		event_free(*ev);
		*ev = NULL;
		subscriber_free(*s);
		*s = NULL;
	}
	return rc;
}

/* Records answer ps of s (email lower-cased) to ev: 0, 1 (a newer answer
 * is stored), -1. */
static int
record(struct web *w, const struct subscriber *s, const struct event *ev,
    const char *email, const char *ps, time_t now)
{
	struct rsvp a;
	struct buf what;
	char *line;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.event_id = ev->id;
	a.occurrence = "";
	a.email = email;
	a.subscriber_id = s->id;
	a.name = s->name != NULL && *s->name != '\0' ? s->name : NULL;
	a.partstat = ps;
	a.sequence = ev->sequence;
	a.dtstamp = now;
	a.received_at = now;
	buf_init(&what);
	buf_printf(&what, "web: %s: %s for event %lld '%s'", ps, email,
	    (long long)ev->id, ev->title);
	if (db_begin(w->db) == 0) {
		rc = inbox_rsvp(w->cfg, w->db, ev, &a, now, &what);
		if (rc < 0 || db_commit(w->db) < 0) {
			db_rollback(w->db);
			rc = -1;
		}
	}
	line = str_sanitize(what.data);
	if (rc < 0)
		log_warnx("%s: failed", line);
	else
		log_info("%s", line);
	free(line);
	buf_free(&what);
	return rc;
}

/* The page for s and ev: answering (GET, or a refused or invalid POST),
 * or the thanks after a recorded answer. */
static void
answer_page(struct web *w, const struct http_request *req,
    const struct subscriber *s, const struct event *ev, const char *email,
    struct http_response *resp)
{
	struct tv *v;
	const char *want = NULL;
	char lang[16], *mine = NULL;
	time_t now = time(NULL);
	int full, cancelled = strcmp(ev->status, "cancelled") == 0, status = 200;
	int had_accepted, refused = 0, done = 0;

	if (rsvp_get(w->db, ev->id, "", email, &mine) < 0 ||
	    (full = is_full(w->db, ev)) < 0) {
		free(mine);
		web_server_error(w, req, s, resp);
		return;
	}
	had_accepted = mine != NULL && strcmp(mine, "accepted") == 0;
	if (web_is_post(req) && !cancelled) {
		want = valid_answer(http_form_value(req, "answer"));
		if (want == NULL)
			status = 400;
		else if (strcmp(want, "accepted") == 0 && full &&
		    !had_accepted) {
			refused = 1;
			status = 409;
		} else {
			int rc = record(w, s, ev, email, want, now);

			if (rc < 0) {
				free(mine);
				web_server_error(w, req, s, resp);
				return;
			}
			/* what is stored now (a newer answer may have won) */
			free(mine);
			mine = NULL;
			if (rsvp_get(w->db, ev->id, "", email, &mine) < 0 ||
			    (full = is_full(w->db, ev)) < 0) {
				free(mine);
				web_server_error(w, req, s, resp);
				return;
			}
			had_accepted = mine != NULL &&
			    strcmp(mine, "accepted") == 0;
			done = 1;
		}
	}
	web_page_lang(w, s, req->accept_language, lang);
	v = web_person_tv(s);
	tv_set(v, "event", render_event_values(lang, ev, now));
	tv_set(v, "cancelled", tv_bool(cancelled));
	/* full: no place left for them; only declining is offered */
	tv_set(v, "full", tv_bool(!cancelled && full && !had_accepted));
	tv_set(v, "open", tv_bool(!cancelled && !(full && !had_accepted)));
	tv_set(v, "refused", tv_bool(refused));
	tv_set(v, "invalid", tv_bool(status == 400));
	set_answer(v, mine);
	web_page(w, lang, done ? "rsvp_done" : "rsvp", v, status, resp);
	free(mine);
}

void
web_rsvp(struct web *w, const struct http_request *req, const char *arg,
    struct http_response *resp)
{
	struct subscriber *s;
	struct event *ev;
	char *tok, *email, *p;
	int64_t id;
	int rc;

	if (parse_path(arg, &tok, &id) < 0) {
		web_bad_token(w, req, resp);
		return;
	}
	rc = load(w, tok, id, &s, &ev);
	free(tok);
	if (rc != 0) {
		if (rc < 0)
			web_server_error(w, req, NULL, resp);
		else
			web_bad_token(w, req, resp);
		return;
	}
	/* rsvps keeps addresses lower-cased, as the ATTENDEE of a reply */
	email = xstrdup(s->email);
	for (p = email; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	answer_page(w, req, s, ev, email, resp);
	free(email);
	event_free(ev);
	subscriber_free(s);
}
