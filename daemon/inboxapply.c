/*
 * inboxapply: acting on a classified inbound message.
 *
 * The rules, one per kind (the what line says which applied):
 *  - RSVP: the event by UID, the person by the ATTENDEE address (never by
 *    From); someone who is not a subscriber is a guest. A reply with a
 *    SEQUENCE below the event's, or older than the stored answer of the
 *    same person for the same occurrence, changes nothing ("outdated").
 *    ACCEPTED, TENTATIVE, DECLINED are stored; DELEGATED, NEEDS-ACTION and
 *    the like are not. When the acceptances of the fullest occurrence
 *    (rsvp_fullest(): an occurrence's own answers plus the series
 *    acceptances of those who gave none for it; a one-off event has just
 *    the one) reach the event's capacity, the coordinator gets one notice
 *    (events.full_noticed; guests count, they take a place too).
 *  - UNSUBSCRIBE: by token, else by the From address; at once, with one
 *    confirmation mail (not to an address that bounced).
 *  - BOUNCE: by the VERP token, else by the recipient address; recorded,
 *    and a permanent one counts by subscriber_bounce()'s rule.
 *  - SUBSCRIBE: a new address becomes pending with a confirmation
 *    request; a pending one gets the request again (at most once a day);
 *    an unsubscribed or bounced one is pending again (their own mail is a
 *    new request); an active one: nothing.
 *  - CONFIRM: a pending subscriber's token makes them active (consent
 *    source "mail-confirmation", now) and sends the welcome mail.
 *  - AUTOREPLY: nothing, never answered. UNKNOWN: for the coordinator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "event.h"
#include "inboxapply.h"
#include "inboxparse.h"
#include "mailing.h"
#include "outbox.h"
#include "rsvp.h"
#include "schedule.h"
#include "subscriber.h"
#include "util.h"

/* A confirmation request is sent again at most this often. */
#define CONFIRM_AGAIN 86400

/* ---- RSVPs ---- */

/*
 * The occurrence a reply is for, as rsvps and the reminders name it:
 * "" for the series or a one-off event, else the RECURRENCE-ID in the
 * event's zone (schedule_occurrence_id()), or as written when its instant
 * is unknown (a date: the same form for all-day events). -1 when it does
 * not fit.
 */
static int
occurrence_of(const struct event *ev, const struct ical_reply *r, char *buf,
    size_t size)
{
	buf[0] = '\0';
	if (r->recurrence_id == NULL || ev->rrule == NULL || *ev->rrule == '\0')
		return 0;
	if (r->recurrence_utc != 0)
		return schedule_occurrence_id(ev, r->recurrence_utc, buf, size);
	if (strlen(r->recurrence_id) >= size)
		return -1;
	snprintf(buf, size, "%s", r->recurrence_id);
	return 0;
}

static const char *
partstat_of(const char *p)
{
	if (p == NULL)
		return NULL;
	if (strcmp(p, "ACCEPTED") == 0)
		return "accepted";
	if (strcmp(p, "TENTATIVE") == 0)
		return "tentative";
	if (strcmp(p, "DECLINED") == 0)
		return "declined";
	return NULL;
}

/* The coordinator's notice that ev is full, in the default language. */
static int
notice_full(const struct config *cfg, struct db *db, const struct event *ev,
    long n, const char *occ, time_t now)
{
	int de = strcmp(cfg->language, "de") == 0;
	char *subject, *text, *err = NULL, key[64];
	int64_t id;
	int rc;

	snprintf(key, sizeof(key), "full:%lld", (long long)ev->id);
	subject = xasprintf(de ? "Ausgebucht: %s" : "Full: %s", ev->title);
	if (de)
		text = xasprintf("Für „%s“ (Veranstaltung %lld, %s) gibt es "
		    "jetzt %ld Zusagen bei %ld Plätzen%s%s%s.\n\n"
		    "Wer zugesagt hat: rundbrief event attendees %lld\n\n"
		    "Diese Nachricht kommt einmal je Veranstaltung; weitere "
		    "Zusagen werden gezählt, aber nicht abgewiesen.\n",
		    ev->title, (long long)ev->id, ev->start_local, n,
		    ev->capacity, *occ ? " (Termin " : "", occ,
		    *occ ? ")" : "", (long long)ev->id);
	else
		text = xasprintf("\"%s\" (event %lld, %s) now has %ld "
		    "acceptances for %ld places%s%s%s.\n\n"
		    "Who accepted: rundbrief event attendees %lld\n\n"
		    "This mail comes once per event; further acceptances are "
		    "counted, not refused.\n",
		    ev->title, (long long)ev->id, ev->start_local, n,
		    ev->capacity, *occ ? " (occurrence " : "", occ,
		    *occ ? ")" : "", (long long)ev->id);
	rc = mailing_coordinator(cfg, db, key, ev->id, subject, text, now, &id,
	    &err);
	free(subject);
	free(text);
	free(err);
	return rc < 0 ? -1 : 0;
}

/* After an acceptance: tells the coordinator once when the event is full. */
static int
check_full(const struct config *cfg, struct db *db, const struct event *ev,
    time_t now, struct buf *w)
{
	char *occ = NULL;
	long n;
	int rc;

	if (ev->capacity <= 0)
		return 0;
	if (rsvp_fullest(db, ev->id, &n, &occ) < 0)
		return -1;
	rc = 0;
	if (n >= ev->capacity) {
		rc = event_mark_full(db, ev->id);
		if (rc == 1) {
			rc = notice_full(cfg, db, ev, n, occ, now);
			if (rc == 0)
				buf_printf(w, "; full (%ld of %ld places): the "
				    "coordinator is told", n, ev->capacity);
		}
	}
	free(occ);
	return rc < 0 ? -1 : 0;
}

static int
apply_rsvp(const struct config *cfg, struct db *db, const struct inbox_msg *m,
    time_t now, struct buf *w)
{
	const struct ical_reply *r = &m->rsvp;
	struct subscriber *s = NULL;
	struct event *ev = NULL;
	struct rsvp a;
	const char *ps;
	char occ[64];
	int64_t eid;
	int rc;

	if (r->uid == NULL || r->attendee == NULL) {
		buf_puts(w, "calendar reply without UID or ATTENDEE");
		return INBOX_UNHANDLED;
	}
	if (r->method != NULL && strcmp(r->method, "REPLY") != 0) {
		buf_printf(w, "calendar METHOD:%s from %s (not a reply): for "
		    "the coordinator", r->method, r->attendee);
		return INBOX_UNHANDLED;
	}
	rc = event_find_uid(db, r->uid, &eid);
	if (rc == 0)
		rc = event_get(db, eid, &ev);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		buf_printf(w, "reply of %s for an unknown event (UID %s)",
		    r->attendee, r->uid);
		return INBOX_UNHANDLED;
	}
	ps = partstat_of(r->partstat);
	buf_printf(w, "%s: %s for event %lld '%s'", ps ? ps : r->partstat ?
	    r->partstat : "NEEDS-ACTION", r->attendee, (long long)ev->id,
	    ev->title);
	if (occurrence_of(ev, r, occ, sizeof(occ)) < 0) {
		buf_puts(w, ": RECURRENCE-ID not understood");
		event_free(ev);
		return INBOX_UNHANDLED;
	}
	if (*occ)
		buf_printf(w, " (occurrence %s)", occ);
	if (ps == NULL) {
		buf_puts(w, ": nothing stored (only accepted, tentative and "
		    "declined are)");
		event_free(ev);
		return INBOX_HANDLED;
	}
	if (r->sequence < ev->sequence) {
		buf_printf(w, ": outdated (SEQUENCE %d, the event is at %d), "
		    "not stored", r->sequence, ev->sequence);
		event_free(ev);
		return INBOX_HANDLED;
	}
	rc = subscriber_get(db, r->attendee, &s);
	if (rc == SUB_ERR_DB) {
		event_free(ev);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.event_id = ev->id;
	a.occurrence = occ;
	a.email = r->attendee;
	a.subscriber_id = s ? s->id : 0;
	a.name = r->attendee_name;
	a.partstat = ps;
	a.sequence = r->sequence;
	a.dtstamp = r->dtstamp ? r->dtstamp : now;
	a.comment = r->comment;
	a.received_at = now;
	if (s == NULL)
		buf_puts(w, " (guest)");
	subscriber_free(s);
	rc = inbox_rsvp(cfg, db, ev, &a, now, w);
	event_free(ev);
	return rc < 0 ? -1 : INBOX_HANDLED;
}

int
inbox_rsvp(const struct config *cfg, struct db *db, const struct event *ev,
    const struct rsvp *a, time_t now, struct buf *w)
{
	int rc = rsvp_store(db, a);

	if (rc == 1)
		buf_puts(w, ": outdated (an answer with a later DTSTAMP is "
		    "stored), not stored");
	else if (rc == 0 && strcmp(a->partstat, "accepted") == 0)
		rc = check_full(cfg, db, ev, now, w);
	return rc;
}

/* ---- subscriptions ---- */

/* Queues a notice; -1 with the reason in w. */
static int
notice(const struct config *cfg, struct db *db, const char *kind,
    int64_t sid, time_t now, struct buf *w)
{
	char *err = NULL;
	int64_t id;

	if (mailing_notice(cfg, db, kind, sid, now, &id, &err) < 0) {
		buf_printf(w, ": the %s mail cannot be made: %s", kind,
		    err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

/* By token, else by address; *s NULL when neither names anyone. */
static int
find(struct db *db, const char *token, const char *email,
    struct subscriber **s)
{
	int rc = SUB_ERR_NOTFOUND;

	*s = NULL;
	if (token != NULL)
		rc = subscriber_get_token(db, token, s);
	if (rc == SUB_ERR_NOTFOUND && email != NULL)
		rc = subscriber_get(db, email, s);
	if (rc == SUB_ERR_NOTFOUND) {
		*s = NULL;
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

static int
apply_unsubscribe(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, struct buf *w)
{
	struct subscriber *s;
	int rc;

	if (find(db, m->token, m->from, &s) < 0)
		return -1;
	if (s == NULL) {
		buf_printf(w, "unsubscribe from %s: %s", m->from ? m->from :
		    "(no sender)", m->token ? "unknown token, and the sender "
		    "is no subscriber" : "the sender is no subscriber");
		return INBOX_UNHANDLED;
	}
	buf_printf(w, "unsubscribe %s%s", s->email, m->token ? " (by token)" :
	    "");
	rc = inbox_unsubscribe(cfg, db, s, now, w) < 0 ? -1 : INBOX_HANDLED;
	subscriber_free(s);
	return rc;
}

int
inbox_unsubscribe(const struct config *cfg, struct db *db,
    const struct subscriber *s, time_t now, struct buf *w)
{
	int mail;

	if (strcmp(s->status, "unsubscribed") == 0) {
		buf_puts(w, ": was unsubscribed already");
		return 0;
	}
	/* an address that bounced gets no confirmation */
	mail = strcmp(s->status, "bounced") != 0;
	if (subscriber_set_status_at(db, s->id, "unsubscribed", NULL, now,
	    NULL) < 0)
		return -1;
	if (mail && notice(cfg, db, "unsubscribed", s->id, now, w) < 0)
		return -1;
	buf_puts(w, mail ? ": unsubscribed, confirmation queued" :
	    ": unsubscribed (the address bounced: no confirmation)");
	return 1;
}

static int
apply_bounce(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, struct buf *w)
{
	struct subscriber *s;
	int rc;

	if (find(db, m->bounce_token, m->bounce_rcpt, &s) < 0)
		return -1;
	buf_printf(w, "%s %s for ", m->permanent ? "hard bounce" :
	    "temporary failure", m->status[0] ? m->status : "(no status)");
	if (s == NULL) {
		buf_printf(w, "%s: no such subscriber", m->bounce_rcpt ?
		    m->bounce_rcpt : "an unknown recipient");
		return INBOX_UNHANDLED;
	}
	buf_puts(w, s->email);
	if (subscriber_bounce_record(db, s->id, m->status, m->permanent,
	    m->diagnostic, m->message_id, now, NULL) < 0) {
		subscriber_free(s);
		return -1;
	}
	if (!m->permanent) {
		buf_puts(w, ": recorded");
		subscriber_free(s);
		return INBOX_HANDLED;
	}
	rc = subscriber_bounce(db, s->id, subscriber_user_unknown(m->status),
	    cfg->bounce_limit, now, NULL);
	if (rc == 1)
		buf_puts(w, ": bounced (no more mail)");
	else if (rc == 0 && strcmp(s->status, "bounced") == 0)
		buf_puts(w, ": recorded (bounced already)");
	else if (rc == 0 && strcmp(s->status, "unsubscribed") == 0)
		buf_puts(w, ": recorded (unsubscribed)");
	else if (rc == 0)
		buf_printf(w, ": %d of %d", s->bounces + 1, cfg->bounce_limit);
	subscriber_free(s);
	return rc < 0 ? -1 : INBOX_HANDLED;
}

/* A new pending subscriber for email with f: 0 and *s, 2 when the
 * address cannot be subscribed (said in w), -1. */
static int
add_pending(const struct config *cfg, struct db *db, const char *email,
    const struct sub_fields *fields, struct buf *w, struct subscriber **s)
{
	struct sub_fields f = *fields;
	char *err = NULL;
	int rc;

	if (f.default_language == NULL)
		f.default_language = cfg->language;
	rc = subscriber_add(db, email, &f, 0, NULL, 0, &err);
	if (rc == SUB_ERR_INVALID && f.name != NULL) {
		/* a display name we cannot take: without it */
		free(err);
		err = NULL;
		f.name = NULL;
		rc = subscriber_add(db, email, &f, 0, NULL, 0, &err);
	}
	free(err);
	if (rc == SUB_ERR_FORGOTTEN) {
		buf_puts(w, ": asked to be forgotten earlier; for the "
		    "coordinator (rundbrief subscriber add … --confirmed)");
		return 2;
	}
	if (rc == SUB_ERR_INVALID || rc == SUB_ERR_DISTRICT) {
		buf_puts(w, ": not an address we can subscribe");
		return 2;
	}
	if (rc < 0 || subscriber_get(db, email, s) != 0)
		return -1;
	return 0;
}

int
inbox_subscribe(const struct config *cfg, struct db *db, const char *email,
    const struct sub_fields *f, const char *source, time_t now,
    struct buf *w)
{
	struct subscriber *s = NULL;
	int rc;

	rc = subscriber_get(db, email, &s);
	if (rc == SUB_ERR_DB)
		return -1;
	if (rc == SUB_ERR_NOTFOUND) {
		if ((rc = add_pending(cfg, db, email, f, w, &s)) != 0)
			return rc;
		buf_puts(w, ": new, pending");
	} else if (strcmp(s->status, "active") == 0) {
		buf_puts(w, ": subscribed already");
		subscriber_free(s);
		return 0;
	} else if (strcmp(s->status, "pending") == 0) {
		time_t last = outbox_last_notice(db, s->id, "confirm");
		if (last != 0 && now - last < CONFIRM_AGAIN) {
			buf_puts(w, ": pending, a confirmation request went "
			    "out within the last day");
			subscriber_free(s);
			return 0;
		}
		buf_puts(w, ": pending");
	} else
		buf_printf(w, ": was %s, pending again", s->status);
	/* the request itself; consent comes with the confirmation */
	rc = subscriber_set_status_at(db, s->id, "pending", source, now, NULL);
	if (rc >= 0)
		rc = notice(cfg, db, "confirm", s->id, now, w);
	if (rc >= 0)
		buf_puts(w, ", confirmation request queued");
	subscriber_free(s);
	return rc < 0 ? -1 : 1;
}

static int
apply_subscribe(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, struct buf *w)
{
	struct sub_fields f;
	int rc;

	if (m->from == NULL) {
		buf_puts(w, "subscribe without a sender address");
		return INBOX_UNHANDLED;
	}
	buf_printf(w, "subscribe %s", m->from);
	memset(&f, 0, sizeof(f));
	f.name = m->from_name;
	/* their own mail is the request */
	rc = inbox_subscribe(cfg, db, m->from, &f, "mail", now, w);
	return rc < 0 ? -1 : rc == 2 ? INBOX_UNHANDLED : INBOX_HANDLED;
}

static int
apply_confirm(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, struct buf *w)
{
	struct subscriber *s = NULL;
	int rc;

	if (m->token == NULL) {
		buf_printf(w, "confirmation from %s without a token",
		    m->from ? m->from : "(no sender)");
		return INBOX_UNHANDLED;
	}
	rc = subscriber_get_token(db, m->token, &s);
	if (rc == SUB_ERR_DB)
		return -1;
	if (rc == SUB_ERR_NOTFOUND) {
		buf_printf(w, "confirmation from %s with an unknown token",
		    m->from ? m->from : "(no sender)");
		return INBOX_UNHANDLED;
	}
	buf_printf(w, "confirm %s", s->email);
	rc = inbox_confirm(cfg, db, s, "mail-confirmation", now, w);
	if (rc == 2)
		buf_puts(w, " (they can write 'anmelden')");
	subscriber_free(s);
	return rc < 0 ? -1 : rc == 2 ? INBOX_UNHANDLED : INBOX_HANDLED;
}

int
inbox_confirm(const struct config *cfg, struct db *db,
    const struct subscriber *s, const char *source, time_t now,
    struct buf *w)
{
	if (strcmp(s->status, "active") == 0) {
		buf_puts(w, ": active already");
		return 0;
	}
	if (strcmp(s->status, "pending") != 0) {
		buf_printf(w, ": is %s; a confirmation does not subscribe "
		    "again", s->status);
		return 2;
	}
	if (subscriber_set_status_at(db, s->id, "active", source, now,
	    NULL) < 0 || notice(cfg, db, "welcome", s->id, now, w) < 0)
		return -1;
	buf_puts(w, ": active, welcome mail queued");
	return 1;
}

/* ---- the entry points ---- */

int
inbox_apply(const struct config *cfg, struct db *db,
    const struct inbox_msg *m, time_t now, char **what)
{
	struct buf w;
	int rc;

	*what = NULL;
	buf_init(&w);
	if (db_begin(db) < 0)
		return -1;
	switch (m->kind) {
	case INBOX_RSVP:
		rc = apply_rsvp(cfg, db, m, now, &w);
		break;
	case INBOX_UNSUBSCRIBE:
		rc = apply_unsubscribe(cfg, db, m, now, &w);
		break;
	case INBOX_BOUNCE:
		rc = apply_bounce(cfg, db, m, now, &w);
		break;
	case INBOX_SUBSCRIBE:
		rc = apply_subscribe(cfg, db, m, now, &w);
		break;
	case INBOX_CONFIRM:
		rc = apply_confirm(cfg, db, m, now, &w);
		break;
	case INBOX_AUTOREPLY:
		buf_puts(&w, "auto-reply: nothing done");
		if (m->why != NULL)
			buf_printf(&w, " (%s)", m->why);
		rc = INBOX_HANDLED;
		break;
	default:
		buf_puts(&w, m->why ? m->why : "not understood");
		rc = INBOX_UNHANDLED;
		break;
	}
	if (rc < 0 || db_commit(db) < 0) {
		db_rollback(db);
		buf_free(&w);
		return -1;
	}
	/* one line, nothing from outside that a terminal would act on */
	*what = str_sanitize(w.data ? w.data : "");
	buf_free(&w);
	return rc;
}

long
inbox_expire_pending(const struct config *cfg, struct db *db, time_t now)
{
	long n;

	if (db_begin(db) < 0)
		return -1;
	n = subscriber_expire_pending(db, now - cfg->confirm_expiry);
	if (n < 0 || mailing_drop_orphan_notices(db) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return n;
}
