/*
 * schedule: the jobs — which are due, firing them once, listing those to
 * come. The due-time arithmetic is in scheddue.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "datefmt.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "log.h"
#include "mailing.h"
#include "newsletter.h"
#include "outbox.h"
#include "schedule.h"
#include "util.h"

/* The warning about a missing required editorial comes this long before
 * the newsletter's moment. */
#define WARNING_LEAD (2 * 86400L)
/* The hour reminders of all-day events count from. */
#define ALL_DAY_HOUR 9
/* Occurrences expanded per call while looking for reminders. */
#define OCC_BATCH 64

struct pass {
	const struct config *cfg;
	struct db *db;
	time_t now;
	time_t start;          /* when the scheduler first ran on db */
	int fire;              /* 1: fire due jobs; 0: only list them */
	time_t until;          /* listing: jobs due up to here */
	time_t next;           /* the earliest due time after now */
	int failed;
	struct schedule_job *jobs; /* listing: collected, keys owned */
	size_t njobs;
};

const char *
schedule_kind_name(enum schedule_kind k)
{
	switch (k) {
	case SCHEDULE_NEWSLETTER: return "newsletter";
	case SCHEDULE_REVIEW: return "review";
	case SCHEDULE_WARNING: return "warning";
	case SCHEDULE_REMINDER: return "reminder";
	}
	return "?";
}

/* "2027-03-01 09:00" in tzid (the logs' and notes' form). */
static const char *
local_str(const char *tzid, time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (ical_utc_to_local(tzid, t, &tm) < 0)
		snprintf(buf, size, "@%lld", (long long)t);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
	return buf;
}

/* ---- the jobs table ---- */

/* 1 when key was fired or skipped (or made by hand: mailings.key). */
static int
job_done(struct db *db, const char *key)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM jobs WHERE key = ?1"
	    " UNION ALL SELECT 1 FROM mailings WHERE key = ?1");
	int done;

	db_bind_text(st, 1, key);
	done = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return done;
}

static int
job_insert(struct pass *p, const char *key, enum schedule_kind kind,
    time_t due, const char *state, int64_t event_id, const char *note)
{
	sqlite3_stmt *st = db_stmt(p->db, "INSERT INTO jobs(key, kind, due,"
	    " state, event_id, note, fired_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	char *err = NULL;

	db_bind_text(st, 1, key);
	db_bind_text(st, 2, schedule_kind_name(kind));
	sqlite3_bind_int64(st, 3, (int64_t)due);
	db_bind_text(st, 4, state);
	if (event_id > 0)
		sqlite3_bind_int64(st, 5, event_id);
	else
		sqlite3_bind_null(st, 5);
	db_bind_text(st, 6, note);
	sqlite3_bind_int64(st, 7, (int64_t)p->now);
	if (db_exec_stmt(p->db, st, &err) < 0) {
		log_warnx("schedule: recording %s: %s", key, err);
		free(err);
		return -1;
	}
	return 0;
}

/* A job that will not happen, with why (logged once, when recorded;
 * quietly for what needs no one's attention). */
static void
skip(struct pass *p, const char *key, enum schedule_kind kind, time_t due,
    int64_t event_id, const char *why, int loud)
{
	if (job_insert(p, key, kind, due, "skipped", event_id, why) < 0)
		p->failed = 1;
	else if (loud)
		log_info("%s: skipped: %s", key, why);
	else
		log_debug("%s: skipped: %s", key, why);
}

static void
job_skip(struct pass *p, const char *key, enum schedule_kind kind,
    time_t due, int64_t event_id, const char *why)
{
	skip(p, key, kind, due, event_id, why, 1);
}

/* Opens the job's transaction and writes its row. */
static int
job_begin(struct pass *p, const char *key, enum schedule_kind kind,
    time_t due, int64_t event_id)
{
	if (db_begin(p->db) < 0)
		return -1;
	if (job_insert(p, key, kind, due, "done", event_id, NULL) < 0) {
		db_rollback(p->db);
		return -1;
	}
	return 0;
}

/* Links the job to its mailing and commits both. */
static int
job_commit(struct pass *p, const char *key, int64_t mailing_id)
{
	sqlite3_stmt *st = db_stmt(p->db, "UPDATE jobs SET mailing_id = ?"
	    " WHERE key = ?");

	if (mailing_id > 0)
		sqlite3_bind_int64(st, 1, mailing_id);
	else
		sqlite3_bind_null(st, 1);
	db_bind_text(st, 2, key);
	if (db_exec_stmt(p->db, st, NULL) < 0 || db_commit(p->db) < 0) {
		db_rollback(p->db);
		return -1;
	}
	return 0;
}

/* When the scheduler first ran on this database (recorded when firing). */
static time_t
sched_start(struct pass *p)
{
	sqlite3_stmt *st = db_stmt(p->db, "SELECT value FROM meta"
	    " WHERE key = 'schedule_start'");
	time_t t = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		t = (time_t)strtoll(db_col_text(st, 0), NULL, 10);
	sqlite3_reset(st);
	if (t != 0 || !p->fire)
		return t != 0 ? t : p->now;
	st = db_stmt(p->db, "INSERT OR IGNORE INTO meta(key, value)"
	    " VALUES ('schedule_start', ?)");
	sqlite3_bind_int64(st, 1, (int64_t)p->now);
	if (db_exec_stmt(p->db, st, NULL) < 0)
		p->failed = 1;
	else
		log_info("schedule: first run on this database; nothing due "
		    "before now is sent late");
	return p->now;
}

/* ---- what the pass finds ---- */

static void
pending(struct pass *p, const struct schedule_job *j)
{
	struct schedule_job *c;

	if (j->due > p->now && (p->next == 0 || j->due < p->next))
		p->next = j->due;
	if (p->fire || j->due > p->until)
		return;
	p->jobs = xrealloc(p->jobs, (p->njobs + 1) * sizeof(*p->jobs));
	c = &p->jobs[p->njobs++];
	*c = *j;
	c->key = xstrdup(j->key);
	/* the event lives only while event_each() calls us; fn is called
	 * after the pass */
	if (j->event != NULL) {
		struct event *ev = xcalloc(1, sizeof(*ev));

		event_copy(ev, j->event);
		c->event = ev;
	}
}

static long
count_active(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE status = 'active'");
	long n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* The month's content; the editorial check is ours (require_editorial
 * holds the send instead of failing it). 0 or -1 (logged). */
static int
load_month(struct pass *p, int year, int month, struct newsletter *nl)
{
	struct config c = *p->cfg;
	char *err = NULL;

	c.require_editorial = 0;
	if (newsletter_load(&c, p->db, year, month, p->now, nl, &err) < 0) {
		log_warnx("newsletter %04d-%02d: %s", year, month, err);
		free(err);
		return -1;
	}
	return 0;
}

/* 1 when content/YYYY-MM.md (the default language's editorial) is there. */
static int
has_editorial(const struct newsletter *nl)
{
	size_t i;

	for (i = 0; i < nl->neditorials; i++)
		if (nl->editorials[i].lang[0] == '\0')
			return 1;
	return 0;
}

static int
nothing_to_say(const struct newsletter *nl)
{
	return nl->neditorials == 0 && nl->nevents == 0;
}

/* The coordinator's note on a review copy or warning, in the default
 * language. */
static char *
review_note(const struct config *cfg, int year, int month, time_t due,
    long n, int held, int warning, const char *file)
{
	int de = strcmp(cfg->language, "de") == 0;
	struct buf b;
	struct tm tm;
	char when[96];

	buf_init(&b);
	if (ical_utc_to_local(cfg->timezone, due, &tm) < 0 ||
	    datefmt_datetime(de ? "de" : "en", &tm, &b) < 0 ||
	    b.len >= sizeof(when))
		local_str(cfg->timezone, due, when, sizeof(when));
	else
		memcpy(when, b.data, b.len + 1);
	buf_free(&b);
	if (warning)
		return xasprintf(de ?
		    "Achtung: Für den Newsletter %04d-%02d fehlt das Editorial "
		    "%s.\nEr geht erst hinaus, wenn die Datei da ist (geplant: "
		    "%s, an %ld Abonnent*innen). Unten steht, wie er ohne "
		    "Editorial aussähe.\n\nAnhalten:  rundbrief newsletter hold "
		    "%04d-%02d" :
		    "Attention: the newsletter %04d-%02d has no editorial %s "
		    "yet.\nIt goes out only once that file is there (planned: "
		    "%s, to %ld subscribers). Below is how it would look without "
		    "one.\n\nTo hold it:  rundbrief newsletter hold %04d-%02d",
		    year, month, file, when, n, year, month);
	return xasprintf(de ?
	    "Vorschau: Dieser Newsletter %04d-%02d geht am %s an %ld "
	    "Abonnent*innen.%s\n\nAnhalten:   rundbrief newsletter hold "
	    "%04d-%02d\nFreigeben:  rundbrief newsletter release %04d-%02d" :
	    "Review copy: this newsletter %04d-%02d goes out on %s to %ld "
	    "subscribers.%s\n\nTo hold it:     rundbrief newsletter hold "
	    "%04d-%02d\nTo release it:  rundbrief newsletter release %04d-%02d",
	    year, month, when, n, held ? (de ? "\nDer Monat ist zurzeit "
	    "angehalten." : "\nThe month is held at the moment.") : "",
	    year, month, year, month);
}

/* Fires a review copy or warning: one message to the coordinator. */
static void
fire_copy(struct pass *p, enum schedule_kind kind, const char *key,
    time_t due, const struct newsletter *nl, time_t nl_due)
{
	const struct config *cfg = p->cfg;
	const char *rcpt = cfg->review_to ? cfg->review_to :
	    cfg->organizer_email;
	char title[64], *note, *file, *err = NULL;
	int64_t id = 0;
	int rc;

	file = xasprintf("%s/%04d-%02d.md", cfg->content, nl->year,
	    nl->month);
	note = review_note(cfg, nl->year, nl->month, nl_due,
	    count_active(p->db), schedule_held(p->db, nl->year, nl->month),
	    kind == SCHEDULE_WARNING, file);
	snprintf(title, sizeof(title), "%s %04d-%02d", kind ==
	    SCHEDULE_WARNING ? "Warning" : "Review copy", nl->year, nl->month);
	if (job_begin(p, key, kind, due, 0) < 0) {
		p->failed = 1;
		goto out;
	}
	rc = mailing_copy(cfg, p->db, nl, key, title, note, rcpt, p->now, &id,
	    &err);
	if (rc < 0 || job_commit(p, key, id) < 0) {
		db_rollback(p->db);
		log_warnx("%s: %s", key, err ? err : db_errmsg(p->db));
		p->failed = 1;
		goto out;
	}
	log_info("%s: %s to %s (mailing %lld)", key, kind == SCHEDULE_WARNING ?
	    "missing editorial, warning" : "review copy", rcpt, (long long)id);
out:
	free(err);
	free(note);
	free(file);
}

static void
fire_newsletter(struct pass *p, const char *key, time_t due,
    const struct newsletter *nl)
{
	char *err = NULL;
	int64_t id = 0;
	long queued = 0;
	int rc;

	if (job_begin(p, key, SCHEDULE_NEWSLETTER, due, 0) < 0) {
		p->failed = 1;
		return;
	}
	rc = mailing_newsletter_of(p->cfg, p->db, nl, key, p->now, &id,
	    &queued, &err);
	if (rc < 0 || job_commit(p, key, id) < 0) {
		db_rollback(p->db);
		log_warnx("%s: %s", key, err ? err : db_errmsg(p->db));
		free(err);
		p->failed = 1;
		return;
	}
	log_info("%s: sending to %ld subscriber%s (mailing %lld, %zu "
	    "event%s)", key, queued, queued == 1 ? "" : "s", (long long)id,
	    nl->nevents, nl->nevents == 1 ? "" : "s");
}

/* Says once per process that a due newsletter waits, and for what. */
static void
say_waiting(const struct config *cfg, const char *key, int held, int year,
    int month)
{
	static char said[64];
	char what[sizeof(said)];

	snprintf(what, sizeof(what), "%s:%d", key, held);
	if (strcmp(what, said) == 0)
		return;
	memcpy(said, what, sizeof(said));
	if (held)
		log_info("%s: due, but held; `rundbrief newsletter release "
		    "%04d-%02d` sends it (within [newsletter] grace)", key, year,
		    month);
	else
		log_info("%s: due, waiting for %s/%04d-%02d.md "
		    "(require_editorial)", key, cfg->content, year, month);
}

/* The newsletter of year-month, its review copy and its warning. */
static void
month_jobs(struct pass *p, int year, int month)
{
	const struct config *cfg = p->cfg;
	struct schedule_job j;
	struct newsletter nl;
	char key[40], rkey[40], wkey[40], why[160];
	time_t due, rdue = 0, wdue = 0, late;
	int held, loaded = 0, editorial = 0;

	if (schedule_month_due(cfg->schedule, cfg->timezone, year, month,
	    &due) != 0)
		return;
	snprintf(key, sizeof(key), "newsletter:%04d-%02d", year, month);
	snprintf(rkey, sizeof(rkey), "review:%04d-%02d", year, month);
	snprintf(wkey, sizeof(wkey), "warning:%04d-%02d", year, month);
	if (job_done(p->db, key))
		return;
	held = schedule_held(p->db, year, month);
	if (cfg->review_lead > 0)
		rdue = schedule_before(cfg->timezone, due, cfg->review_lead);
	if (cfg->require_editorial)
		wdue = schedule_before(cfg->timezone, due, WARNING_LEAD);
	/* the earliest moment of the three that matters now */
	late = due;
	if (rdue != 0 && rdue < late && !job_done(p->db, rkey))
		late = rdue;
	if (wdue != 0 && wdue < late && !job_done(p->db, wkey))
		late = wdue;

	memset(&j, 0, sizeof(j));
	j.year = year;
	j.month = month;
	j.recipients = count_active(p->db);
	if (late <= p->now || (!p->fire && late <= p->until)) {
		if (load_month(p, year, month, &nl) < 0) {
			p->failed = 1;
			return;
		}
		loaded = 1;
		editorial = has_editorial(&nl);
	}

	/* the warning: only when the editorial is required and missing */
	if (wdue != 0 && loaded && !editorial && !job_done(p->db, wkey)) {
		j.kind = SCHEDULE_WARNING;
		j.key = wkey;
		j.due = wdue;
		j.recipients = 1;
		if (wdue > p->now)
			pending(p, &j);
		else if (p->fire && due > p->now && wdue >= p->start)
			fire_copy(p, SCHEDULE_WARNING, wkey, wdue, &nl, due);
	}

	/* the review copy */
	if (rdue != 0 && !job_done(p->db, rkey)) {
		j.kind = SCHEDULE_REVIEW;
		j.key = rkey;
		j.due = rdue;
		j.recipients = 1;
		j.waiting = NULL;
		if (rdue > p->now)
			pending(p, &j);
		else if (!p->fire)
			;
		else if (due <= p->now || rdue < p->start)
			skip(p, rkey, SCHEDULE_REVIEW, rdue, 0, due <= p->now ?
			    "its newsletter's moment had passed" :
			    "due before the scheduler first ran", 0);
		else if (loaded && nothing_to_say(&nl))
			job_skip(p, rkey, SCHEDULE_REVIEW, rdue, 0,
			    "no editorial and no upcoming events");
		else if (loaded && (editorial || !cfg->require_editorial))
			fire_copy(p, SCHEDULE_REVIEW, rkey, rdue, &nl, due);
		/* else: waits for the required editorial */
	}

	/* the newsletter itself */
	j.kind = SCHEDULE_NEWSLETTER;
	j.key = key;
	j.due = due;
	j.recipients = count_active(p->db);
	j.waiting = held ? "held" : loaded && cfg->require_editorial &&
	    !editorial ? "no editorial" : NULL;
	if (due > p->now) {
		pending(p, &j);
		goto out;
	}
	if (!schedule_in_grace(due, p->now, cfg->grace) || due < p->start) {
		if (p->fire) {
			char when[64];

			local_str(cfg->timezone, due, when, sizeof(when));
			snprintf(why, sizeof(why), due < p->start ?
			    "due %s, before the scheduler first ran; "
			    "`rundbrief newsletter send --month %04d-%02d` "
			    "sends it by hand" : "due %s, the grace period has "
			    "passed; `rundbrief newsletter send --month "
			    "%04d-%02d` sends it by hand", when, year, month);
			job_skip(p, key, SCHEDULE_NEWSLETTER, due, 0, why);
		}
		goto out;
	}
	if (j.waiting != NULL) {
		pending(p, &j);	/* due, but waiting: listed, no wake-up */
		if (p->fire)
			say_waiting(cfg, key, held, year, month);
		goto out;
	}
	if (!p->fire) {
		pending(p, &j);
		goto out;
	}
	if (nothing_to_say(&nl))
		job_skip(p, key, SCHEDULE_NEWSLETTER, due, 0,
		    "no editorial and no upcoming events");
	else
		fire_newsletter(p, key, due, &nl);
out:
	if (loaded)
		newsletter_free(&nl);
}

/* ---- reminders ---- */

static time_t
published_at(struct db *db, int64_t event_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce(published_at, 0)"
	    " FROM events WHERE id = ?");
	time_t t = 0;

	sqlite3_bind_int64(st, 1, event_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

static char *
wall_str(const char *tzid, time_t t, int date_only)
{
	struct tm tm;

	if (ical_utc_to_local(tzid, t, &tm) < 0)
		return NULL;
	if (date_only)
		return xasprintf("%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	return xasprintf("%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* ev as its occurrence starting at occ, a one-off event (event_clear). */
static int
occurrence_event(const struct event *ev, time_t occ, struct event *out)
{
	time_t len = ev->end_utc - ev->start_utc;
	char *s, *e;

	s = wall_str(ev->tzid, occ, ev->all_day);
	e = wall_str(ev->tzid, ev->all_day ? occ + len - 1 : occ + len,
	    ev->all_day);
	if (s == NULL || e == NULL) {
		free(s);
		free(e);
		return -1;
	}
	event_copy(out, ev);
	free(out->start_local);
	free(out->end_local);
	free(out->rrule);
	out->rrule = NULL;
	out->start_local = s;
	out->end_local = e;
	out->start_utc = occ;
	out->end_utc = occ + len;
	return 0;
}

static void
fire_reminder(struct pass *p, const struct event *ev, time_t occ,
    long offset, const char *key, time_t due)
{
	struct event oe;
	char *err = NULL, when[64];
	int64_t id = 0;
	long queued = 0;
	int rc;

	if (occurrence_event(ev, occ, &oe) < 0) {
		log_warnx("%s: cannot place the occurrence", key);
		p->failed = 1;
		return;
	}
	if (job_begin(p, key, SCHEDULE_REMINDER, due, ev->id) < 0) {
		event_clear(&oe);
		p->failed = 1;
		return;
	}
	rc = mailing_event(p->cfg, p->db, "reminder", &oe, NULL, offset, key,
	    p->now, &id, &queued, &err);
	if (rc < 0 || job_commit(p, key, rc == 0 ? id : 0) < 0) {
		db_rollback(p->db);
		log_warnx("%s: %s", key, err ? err : db_errmsg(p->db));
		free(err);
		p->failed = 1;
	} else
		log_info("%s: reminder of \"%s\" (%s) to %ld subscriber%s "
		    "(mailing %lld)", key, ev->title, local_str(ev->tzid, occ,
		    when, sizeof(when)), queued, queued == 1 ? "" : "s",
		    (long long)id);
	event_clear(&oe);
}

/* The reminders of one occurrence. */
static void
occurrence_jobs(struct pass *p, const struct event *ev, time_t occ,
    time_t published)
{
	const struct config *cfg = p->cfg;
	struct schedule_job j;
	char occid[48], name[16], key[512], last_key[512] = "";
	time_t due, last_due = 0, base;
	long last_off = 0, invited;
	size_t i;

	if (schedule_occurrence_id(ev, occ, occid, sizeof(occid)) < 0)
		return;
	/* who it would go to now: those invited who did not decline it */
	invited = outbox_count_invited(p->db, ev->id, cfg->organizer_email,
	    occid);
	/* an all-day event's reminders count from 09:00 on its day (a
	 * deadline's "1d before" is the morning before, not midnight) */
	base = occ;
	if (ev->all_day) {
		char *day = wall_str(ev->tzid, occ, 1), *at;

		if (day != NULL) {
			at = xasprintf("%s %02d:00", day, ALL_DAY_HOUR);
			if (ical_local_to_utc(ev->tzid, at, &base) < 0)
				base = occ;
			free(at);
			free(day);
		}
	}
	memset(&j, 0, sizeof(j));
	j.kind = SCHEDULE_REMINDER;
	j.event = ev;
	j.occurrence = occ;
	j.recipients = invited;
	/* offsets run from the largest down: their moments ascend */
	for (i = 0; i < cfg->n_reminder_offsets; i++) {
		long off = cfg->reminder_offsets[i];

		schedule_offset_name(off, name, sizeof(name));
		if ((size_t)snprintf(key, sizeof(key), "reminder:%s:%s:%s",
		    ev->uid, occid, name) >= sizeof(key))
			continue;
		if (job_done(p->db, key))
			continue;
		due = schedule_before(ev->tzid, base, off);
		if (due > p->now) {
			j.key = key;
			j.due = due;
			j.offset = off;
			pending(p, &j);
			continue;
		}
		if (!p->fire)
			continue;
		if (due < published) {
			skip(p, key, SCHEDULE_REMINDER, due, ev->id,
			    "its moment came before the event was published", 0);
			continue;
		}
		if (last_key[0] != '\0')
			job_skip(p, last_key, SCHEDULE_REMINDER, last_due, ev->id,
			    "missed while the daemon was not running; a later "
			    "reminder goes instead");
		memcpy(last_key, key, sizeof(key));
		last_due = due;
		last_off = off;
	}
	if (last_key[0] != '\0')
		fire_reminder(p, ev, occ, last_off, last_key, last_due);
}

struct ev_ctx {
	struct pass *p;
	time_t to;
};

static int
event_jobs(void *arg, const struct event *ev)
{
	struct ev_ctx *c = arg;
	struct pass *p = c->p;
	time_t occ[OCC_BATCH], after = p->now, published;
	size_t n, i;

	published = published_at(p->db, ev->id);
	for (;;) {
		if (ical_next_occurrences(ev->tzid, ev->start_local, ev->rrule,
		    after, OCC_BATCH, occ, &n) < 0)
			return 0;
		for (i = 0; i < n && occ[i] <= c->to; i++)
			occurrence_jobs(p, ev, occ[i], published);
		if (n < OCC_BATCH || i < n)
			return 0;
		after = occ[n - 1];
	}
}

static void
reminder_jobs(struct pass *p, time_t to)
{
	struct ev_ctx c = { p, to };

	if (p->cfg->n_reminder_offsets == 0)
		return;
	if (event_each(p->db, p->now, to, "published", event_jobs, &c) < 0) {
		log_warnx("schedule: reading events: %s", db_errmsg(p->db));
		p->failed = 1;
	}
}

/* ---- the passes ---- */

static void
add_months(int *y, int *m, int k)
{
	int t = *y * 12 + (*m - 1) + k;

	*y = t / 12;
	*m = t % 12 + 1;
}

static void
pass_run(struct pass *p)
{
	const struct config *cfg = p->cfg;
	struct tm tm;
	time_t horizon_end, to;
	long max_off = cfg->n_reminder_offsets ? cfg->reminder_offsets[0] : 0;
	int y, m, ly, lm, guard = 0;

	p->start = sched_start(p);
	if (ical_utc_to_local(cfg->timezone, p->now, &tm) < 0) {
		p->failed = 1;
		return;
	}
	/* a month back (a late newsletter within grace) to a month past
	 * the last moment that matters (review copies come up to 30 days
	 * before) */
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	add_months(&y, &m, -1);
	ly = tm.tm_year + 1900;
	lm = tm.tm_mon + 1;
	add_months(&ly, &lm, 2);
	if (!p->fire && ical_utc_to_local(cfg->timezone, p->until, &tm) == 0 &&
	    (tm.tm_year + 1900) * 12 + tm.tm_mon + 2 > ly * 12 + lm) {
		ly = tm.tm_year + 1900;
		lm = tm.tm_mon + 1;
		add_months(&ly, &lm, 2);
	}
	while ((y < ly || (y == ly && m <= lm)) && guard++ < 240) {
		month_jobs(p, y, m);
		add_months(&y, &m, 1);
	}
	horizon_end = p->now + cfg->horizon;
	to = (p->fire ? horizon_end : (p->until > horizon_end ? p->until :
	    horizon_end)) + max_off;
	reminder_jobs(p, to);
}

int
schedule_run(const struct config *cfg, struct db *db, time_t now,
    time_t *next)
{
	struct pass p;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.db = db;
	p.now = now;
	p.fire = 1;
	pass_run(&p);
	*next = p.next;
	return p.failed ? -1 : 0;
}

static int
by_due(const void *a, const void *b)
{
	const struct schedule_job *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return strcmp(x->key, y->key);
}

int
schedule_pending(const struct config *cfg, struct db *db, time_t now,
    time_t until, void (*fn)(void *arg, const struct schedule_job *j),
    void *arg)
{
	struct pass p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.db = db;
	p.now = now;
	p.until = until;
	pass_run(&p);
	if (p.njobs > 1)
		qsort(p.jobs, p.njobs, sizeof(*p.jobs), by_due);
	for (i = 0; i < p.njobs; i++) {
		fn(arg, &p.jobs[i]);
		free((char *)p.jobs[i].key);
		if (p.jobs[i].event != NULL) {
			event_clear((struct event *)p.jobs[i].event);
			free((struct event *)p.jobs[i].event);
		}
	}
	free(p.jobs);
	return p.failed ? -1 : 0;
}

/* ---- holding a month ---- */

int
schedule_held(struct db *db, int year, int month)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM holds WHERE month = ?");
	char mon[16];
	int held;

	snprintf(mon, sizeof(mon), "%04d-%02d", year, month);
	db_bind_text(st, 1, mon);
	held = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return held;
}

int
schedule_hold(struct db *db, int year, int month, time_t now,
    char **errstr)
{
	sqlite3_stmt *st;
	char mon[16], key[40];

	snprintf(mon, sizeof(mon), "%04d-%02d", year, month);
	snprintf(key, sizeof(key), "newsletter:%s", mon);
	if (job_done(db, key)) {
		*errstr = xasprintf("the newsletter %s was made already (see "
		    "`rundbrief queue`); holding it now changes nothing", mon);
		return -1;
	}
	st = db_stmt(db, "INSERT OR IGNORE INTO holds(month, created_at)"
	    " VALUES (?, ?)");
	db_bind_text(st, 1, mon);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	return sqlite3_changes(db_handle(db)) == 0 ? 1 : 0;
}

int
schedule_release(struct db *db, int year, int month, char **errstr)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM holds WHERE month = ?");
	char mon[16];

	snprintf(mon, sizeof(mon), "%04d-%02d", year, month);
	db_bind_text(st, 1, mon);
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	return sqlite3_changes(db_handle(db)) == 0 ? 1 : 0;
}
