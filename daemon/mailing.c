/* mailing: making mailings (freezing their content) and rendering them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "audience.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "log.h"
#include "markdown.h"
#include "mailing.h"
#include "newsletter.h"
#include "outbox.h"
#include "render.h"
#include "schedule.h"
#include "subscriber.h"
#include "tmplset.h"
#include "util.h"

struct frozen_tpl {
	char *rel;
	char *src;
	size_t len;
};

struct mailing {
	const struct config *cfg;
	int64_t id;
	char *kind;
	struct newsletter nl;      /* newsletter: content */
	struct event *event;       /* event mails: the event */
	struct event *old;         /* update: the version before */
	long lead;
	char *note;                /* the coordinator's copy: text on top;
	                              a notice: its text */
	char *subject;             /* a notice: its subject */
	struct frozen_tpl *tpl;
	size_t ntpl;
	char **langs;
	struct tmplset *ts;
	struct render *r;
};

const char *
mailing_kind(const struct mailing *m)
{
	return m->kind;
}

const struct newsletter *
mailing_content(const struct mailing *m)
{
	return strcmp(m->kind, "newsletter") == 0 ? &m->nl : NULL;
}

void
mailing_msg_free(struct mailing_msg *mm)
{
	rendered_free(&mm->r);
	free(mm->calendar);
	mm->calendar = NULL;
}

/* ---- freezing ---- */

static int
save_event(struct db *db, int64_t mid, const char *role, int pos,
    const struct event *ev, time_t occurrence)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO mailing_events(mailing_id,"
	    " role, pos, occurrence, event_id, uid, kind, title, description,"
	    " location, online_url, tzid, all_day, start_local, end_local,"
	    " start_utc, end_utc, rrule, capacity, district, status, sequence,"
	    " topics) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	char *topics = event_topics_joined(ev);
	int rc;

	sqlite3_bind_int64(st, 1, mid);
	db_bind_text(st, 2, role);
	sqlite3_bind_int(st, 3, pos);
	sqlite3_bind_int64(st, 4, (int64_t)occurrence);
	sqlite3_bind_int64(st, 5, ev->id);
	db_bind_text(st, 6, ev->uid);
	db_bind_text(st, 7, ev->kind);
	db_bind_text(st, 8, ev->title);
	db_bind_text(st, 9, ev->description);
	db_bind_text(st, 10, ev->location);
	db_bind_text(st, 11, ev->online_url);
	db_bind_text(st, 12, ev->tzid);
	sqlite3_bind_int(st, 13, ev->all_day);
	db_bind_text(st, 14, ev->start_local);
	db_bind_text(st, 15, ev->end_local);
	sqlite3_bind_int64(st, 16, (int64_t)ev->start_utc);
	sqlite3_bind_int64(st, 17, (int64_t)ev->end_utc);
	db_bind_text(st, 18, ev->rrule);
	sqlite3_bind_int64(st, 19, ev->capacity);
	db_bind_text(st, 20, ev->district);
	db_bind_text(st, 21, ev->status);
	sqlite3_bind_int(st, 22, ev->sequence);
	db_bind_text(st, 23, topics);
	rc = db_exec_stmt(db, st, NULL);
	free(topics);
	return rc;
}

static int
save_editorial(struct db *db, int64_t mid, const struct editorial *e)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO mailing_editorials("
	    "mailing_id, lang, file, body, subject, preheader)"
	    " VALUES (?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, mid);
	db_bind_text(st, 2, e->lang);
	db_bind_text(st, 3, e->file);
	db_bind_text(st, 4, e->body);
	db_bind_text(st, 5, e->subject);
	db_bind_text(st, 6, e->preheader);
	return db_exec_stmt(db, st, NULL);
}

struct save_ctx {
	struct db *db;
	int64_t mid;
	int failed;
};

static void
save_template(void *arg, const char *rel, const char *src, size_t len)
{
	struct save_ctx *sc = arg;
	sqlite3_stmt *st = db_stmt(sc->db, "INSERT OR REPLACE INTO"
	    " mailing_templates(mailing_id, path, source) VALUES (?, ?, ?)");

	sqlite3_bind_int64(st, 1, sc->mid);
	db_bind_text(st, 2, rel);
	sqlite3_bind_text(st, 3, src, (int)len, SQLITE_TRANSIENT);
	if (db_exec_stmt(sc->db, st, NULL) < 0)
		sc->failed = 1;
}

/*
 * Parses the templates of `name` in every language (so errors show now,
 * not at send time) and stores the files read with the mailing.
 */
static int
freeze_templates(const struct config *cfg, struct db *db, int64_t mid,
    const char *name, char **errstr)
{
	struct tmplset *ts = tmplset_new(cfg->templates, cfg->language);
	const char *const *langs = tmplset_languages(ts);
	struct save_ctx sc = { db, mid, 0 };
	struct buf list;
	sqlite3_stmt *st;
	size_t l, p;

	buf_init(&list);
	for (l = 0; langs[l] != NULL; l++) {
		for (p = 0; tmplset_parts[p] != NULL; p++)
			if (tmplset_get(ts, langs[l], name, tmplset_parts[p], NULL,
			    errstr) == NULL) {
				tmplset_free(ts);
				buf_free(&list);
				return -1;
			}
		buf_puts(&list, l ? "," : "");
		buf_puts(&list, langs[l]);
	}
	tmplset_each_source(ts, save_template, &sc);
	tmplset_free(ts);
	st = db_stmt(db, "UPDATE mailings SET languages = ? WHERE id = ?");
	db_bind_text(st, 1, list.data ? list.data : "");
	sqlite3_bind_int64(st, 2, mid);
	buf_free(&list);
	if (sc.failed || db_exec_stmt(db, st, errstr) < 0) {
		if (*errstr == NULL)
			*errstr = xasprintf("storing templates: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

static int64_t
insert_mailing(struct db *db, const char *kind, const char *key,
    const char *title, int64_t event_id, time_t now, char **errstr)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO mailings(kind, key, title,"
	    " event_id, created_at) VALUES (?, ?, ?, ?, ?)");

	db_bind_text(st, 1, kind);
	db_bind_text(st, 2, key);
	db_bind_text(st, 3, title);
	if (event_id > 0)
		sqlite3_bind_int64(st, 4, event_id);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (int64_t)now);
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	return sqlite3_last_insert_rowid(db_handle(db));
}

static int64_t
find_key(struct db *db, const char *key)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM mailings WHERE key = ?");
	int64_t id = 0;

	db_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

/* The newsletter's audience for mailing mid. */
static long
queue_newsletter(struct db *db, int64_t mid, time_t now)
{
	struct audience a;

	memset(&a, 0, sizeof(a));
	a.kind = AUDIENCE_NEWSLETTER;
	a.mailing_id = mid;
	return audience_enqueue(db, &a, now);
}

/*
 * Freezes nl as a newsletter mailing (key may be NULL) inside the caller's
 * transaction. Returns its id, or -1 with *errstr.
 */
static int64_t
freeze_newsletter(const struct config *cfg, struct db *db,
    const struct newsletter *nl, const char *key, const char *title,
    const char *note, time_t now, char **errstr)
{
	sqlite3_stmt *st;
	int64_t mid;
	size_t i;

	mid = insert_mailing(db, "newsletter", key, title, 0, now, errstr);
	if (mid < 0)
		return -1;
	st = db_stmt(db, "UPDATE mailings SET year = ?, month = ?, win_from = ?,"
	    " win_to = ?, note = ? WHERE id = ?");
	sqlite3_bind_int(st, 1, nl->year);
	sqlite3_bind_int(st, 2, nl->month);
	sqlite3_bind_int64(st, 3, (int64_t)nl->from);
	sqlite3_bind_int64(st, 4, (int64_t)nl->to);
	db_bind_text(st, 5, note);
	sqlite3_bind_int64(st, 6, mid);
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	for (i = 0; i < nl->neditorials; i++)
		if (save_editorial(db, mid, &nl->editorials[i]) < 0) {
			*errstr = xstrdup(db_errmsg(db));
			return -1;
		}
	for (i = 0; i < nl->nevents; i++)
		if (save_event(db, mid, "item", (int)i, &nl->events[i],
		    nl->when[i]) < 0) {
			*errstr = xstrdup(db_errmsg(db));
			return -1;
		}
	if (freeze_templates(cfg, db, mid, "newsletter", errstr) < 0)
		return -1;
	return mid;
}

int
mailing_newsletter(const struct config *cfg, struct db *db, int year,
    int month, int force, time_t now, int64_t *id, long *queued,
    char **errstr)
{
	struct newsletter nl;
	char key[32], title[64];
	int64_t mid, existing;

	snprintf(key, sizeof(key), "newsletter:%04d-%02d", year, month);
	snprintf(title, sizeof(title), "Newsletter %04d-%02d", year, month);
	if (!force && (existing = find_key(db, key)) > 0) {
		*errstr = xasprintf("the newsletter for %04d-%02d exists already "
		    "(mailing %lld); use --again for a special edition", year,
		    month, (long long)existing);
		return -1;
	}
	if (newsletter_load(cfg, db, year, month, now, &nl, errstr) < 0)
		return -1;
	if (db_begin(db) < 0) {
		newsletter_free(&nl);
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = freeze_newsletter(cfg, db, &nl, force ? NULL : key, title, NULL,
	    now, errstr);
	if (mid < 0)
		goto fail;
	*queued = queue_newsletter(db, mid, now);
	if (*queued < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	if (db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	newsletter_free(&nl);
	*id = mid;
	return 0;
fail:
	db_rollback(db);
	newsletter_free(&nl);
	return -1;
}

int
mailing_newsletter_of(const struct config *cfg, struct db *db,
    const struct newsletter *nl, const char *key, time_t now, int64_t *id,
    long *queued, char **errstr)
{
	char title[64];
	int64_t mid;

	if (find_key(db, key) > 0)
		return 1;
	snprintf(title, sizeof(title), "Newsletter %04d-%02d", nl->year,
	    nl->month);
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = freeze_newsletter(cfg, db, nl, key, title, NULL, now, errstr);
	if (mid < 0)
		goto fail;
	if ((*queued = queue_newsletter(db, mid, now)) < 0 ||
	    db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	*id = mid;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int
mailing_copy(const struct config *cfg, struct db *db,
    const struct newsletter *nl, const char *key, const char *title,
    const char *note, const char *rcpt, time_t now, int64_t *id,
    char **errstr)
{
	sqlite3_stmt *st;
	int64_t mid;

	if (find_key(db, key) > 0)
		return 1;
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = freeze_newsletter(cfg, db, nl, key, title, note, now, errstr);
	if (mid < 0)
		goto fail;
	st = db_stmt(db, "INSERT INTO outbox(mailing_id, rcpt, next_attempt,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?3, ?3)");
	sqlite3_bind_int64(st, 1, mid);
	db_bind_text(st, 2, rcpt);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	if (db_exec_stmt(db, st, errstr) < 0 || db_commit(db) < 0) {
		if (*errstr == NULL)
			*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	*id = mid;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/* The organizer's address, never invited (compared case-insensitively by
 * the column's collation). */
static const char *
organizer(const struct config *cfg)
{
	return cfg->organizer_email;
}

int
mailing_event(const struct config *cfg, struct db *db, const char *kind,
    const struct event *ev, const struct event *old, long lead,
    const char *occurrence, const char *key, time_t now, int64_t *id,
    long *queued, char **errstr)
{
	struct audience a;
	sqlite3_stmt *st;
	int64_t mid;

	if (key != NULL && find_key(db, key) > 0)
		return 1;
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = insert_mailing(db, kind, key, ev->title, ev->id, now, errstr);
	if (mid < 0)
		goto fail;
	st = db_stmt(db, "UPDATE mailings SET lead = ? WHERE id = ?");
	sqlite3_bind_int64(st, 1, lead);
	sqlite3_bind_int64(st, 2, mid);
	if (db_exec_stmt(db, st, errstr) < 0 ||
	    save_event(db, mid, "item", 0, ev, ev->start_utc) < 0 ||
	    (old != NULL && save_event(db, mid, "old", 0, old,
	    old->start_utc) < 0)) {
		if (*errstr == NULL)
			*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	if (freeze_templates(cfg, db, mid, kind, errstr) < 0)
		goto fail;
	/* who gets it: the audience module says (one place) */
	memset(&a, 0, sizeof(a));
	a.kind = (enum audience_kind)audience_of(kind);
	a.event_id = ev->id;
	a.occurrence = occurrence;
	a.skip = organizer(cfg);
	a.mailing_id = mid;
	*queued = audience_of(kind) < 0 ? -1 : audience_enqueue(db, &a, now);
	if (*queued < 0 || (strcmp(kind, "cancellation") == 0 &&
	    outbox_cancel_reminders(db, ev->id, now) < 0) ||
	    db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	*id = mid;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static const char *
notice_title(const char *kind)
{
	if (strcmp(kind, "confirm") == 0)
		return "confirmation request";
	if (strcmp(kind, "welcome") == 0)
		return "welcome";
	return "unsubscribe confirmation";
}

int
mailing_notice(const struct config *cfg, struct db *db, const char *kind,
    int64_t subscriber_id, time_t now, int64_t *id, char **errstr)
{
	int64_t mid;

	if (strcmp(kind, "confirm") != 0 && strcmp(kind, "welcome") != 0 &&
	    strcmp(kind, "unsubscribed") != 0) {
		*errstr = xasprintf("\"%s\" is not a notice", kind);
		return -1;
	}
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = insert_mailing(db, kind, NULL, notice_title(kind), 0, now,
	    errstr);
	if (mid < 0 || freeze_templates(cfg, db, mid, kind, errstr) < 0)
		goto fail;
	if (outbox_enqueue_one(db, mid, subscriber_id, now) < 0 ||
	    db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	*id = mid;
	return 0;
fail:
	if (*errstr == NULL)
		*errstr = xstrdup(db_errmsg(db));
	db_rollback(db);
	return -1;
}

int
mailing_coordinator(const struct config *cfg, struct db *db,
    const char *key, int64_t event_id, const char *subject,
    const char *text, time_t now, int64_t *id, char **errstr)
{
	sqlite3_stmt *st;
	const char *rcpt = cfg->review_to ? cfg->review_to :
	    cfg->organizer_email;
	int64_t mid;

	if (key != NULL && find_key(db, key) > 0)
		return 1;
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	mid = insert_mailing(db, "notice", key, subject, event_id, now, errstr);
	if (mid < 0)
		goto fail;
	st = db_stmt(db, "UPDATE mailings SET subject = ?, note = ?,"
	    " languages = ? WHERE id = ?");
	db_bind_text(st, 1, subject);
	db_bind_text(st, 2, text);
	db_bind_text(st, 3, cfg->language);
	sqlite3_bind_int64(st, 4, mid);
	if (db_exec_stmt(db, st, errstr) < 0)
		goto fail;
	st = db_stmt(db, "INSERT INTO outbox(mailing_id, rcpt, next_attempt,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?3, ?3)");
	sqlite3_bind_int64(st, 1, mid);
	db_bind_text(st, 2, rcpt);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	if (db_exec_stmt(db, st, errstr) < 0 || db_commit(db) < 0)
		goto fail;
	*id = mid;
	return 0;
fail:
	if (*errstr == NULL)
		*errstr = xstrdup(db_errmsg(db));
	db_rollback(db);
	return -1;
}

long
mailing_drop_orphan_notices(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM mailings WHERE kind IN"
	    " ('confirm','welcome','unsubscribed') AND NOT EXISTS (SELECT 1"
	    " FROM outbox o WHERE o.mailing_id = mailings.id)");

	if (db_exec_stmt(db, st, NULL) < 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

/* ---- loading ---- */

static int
frozen_loader(void *arg, const char *rel, char **src, size_t *len,
    char **filename)
{
	struct mailing *m = arg;
	size_t i;

	for (i = 0; i < m->ntpl; i++)
		if (strcmp(m->tpl[i].rel, rel) == 0) {
			*src = xstrndup(m->tpl[i].src, m->tpl[i].len);
			*len = m->tpl[i].len;
			*filename = xasprintf("(mailing %lld) templates/%s",
			    (long long)m->id, rel);
			return 0;
		}
	return 1;
}

/* Event mails; newsletters and notices have no event of their own. */
static int
needs_event(const char *kind)
{
	return strcmp(kind, "invitation") == 0 || strcmp(kind, "update") == 0 ||
	    strcmp(kind, "cancellation") == 0 || strcmp(kind, "reminder") == 0 ||
	    strcmp(kind, "announcement") == 0;
}

int
mailing_load(const struct config *cfg, struct db *db, int64_t id,
    struct mailing **out, char **errstr)
{
	struct mailing *m;
	sqlite3_stmt *st;
	const char *langs;
	char *copy, *tok, *save = NULL;
	size_t n = 0;

	st = db_stmt(db, "SELECT kind, year, month, win_from, win_to, editorial,"
	    " subject, preheader, lead, languages, note FROM mailings"
	    " WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		*errstr = xasprintf("no mailing %lld", (long long)id);
		return -1;
	}
	m = xcalloc(1, sizeof(*m));
	m->cfg = cfg;
	m->id = id;
	m->kind = xstrdup(db_col_text(st, 0));
	m->nl.year = sqlite3_column_int(st, 1);
	m->nl.month = sqlite3_column_int(st, 2);
	m->nl.from = (time_t)sqlite3_column_int64(st, 3);
	m->nl.to = (time_t)sqlite3_column_int64(st, 4);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		/* made before mailing_editorials: its one editorial */
		char *file = xasprintf("(mailing %lld) editorial",
		    (long long)id);
		newsletter_add_editorial(&m->nl, "", file, db_col_text(st, 5),
		    db_col_text(st, 6), db_col_text(st, 7));
		free(file);
	}
	m->nl.serial = (unsigned long)id;
	m->lead = (long)sqlite3_column_int64(st, 8);
	if (sqlite3_column_type(st, 10) != SQLITE_NULL)
		m->note = xstrdup(db_col_text(st, 10));
	if (strcmp(m->kind, "notice") == 0)
		m->subject = xstrdup(db_col_text(st, 6));
	langs = db_col_text(st, 9);
	copy = xstrdup(langs);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		m->langs = xrealloc(m->langs, (n + 2) * sizeof(char *));
		m->langs[n++] = xstrdup(tok);
		m->langs[n] = NULL;
	}
	free(copy);
	sqlite3_reset(st);

	st = db_stmt(db, "SELECT event_id, uid, kind, title, description,"
	    " location, online_url, tzid, all_day, start_local, end_local,"
	    " start_utc, end_utc, rrule, capacity, district, status, sequence,"
	    " 0, 0, occurrence, role, topics FROM mailing_events"
	    " WHERE mailing_id = ?"
	    " ORDER BY role, pos");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct event ev;
		time_t occ;

		event_from_row(st, &ev);
		event_set_topics(&ev, db_col_text(st, 22));
		occ = (time_t)sqlite3_column_int64(st, 20);
		if (strcmp(db_col_text(st, 21), "old") == 0) {
			m->old = xcalloc(1, sizeof(*m->old));
			*m->old = ev;
		} else if (strcmp(m->kind, "newsletter") != 0) {
			m->event = xcalloc(1, sizeof(*m->event));
			*m->event = ev;
		} else {
			size_t k = m->nl.nevents++;
			m->nl.events = xrealloc(m->nl.events,
			    m->nl.nevents * sizeof(*m->nl.events));
			m->nl.when = xrealloc(m->nl.when,
			    m->nl.nevents * sizeof(*m->nl.when));
			m->nl.events[k] = ev;
			m->nl.when[k] = occ;
		}
	}
	sqlite3_reset(st);

	st = db_stmt(db, "SELECT lang, file, body, subject, preheader FROM"
	    " mailing_editorials WHERE mailing_id = ?");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		newsletter_add_editorial(&m->nl, db_col_text(st, 0),
		    db_col_text(st, 1), db_col_text(st, 2), db_col_text(st, 3),
		    db_col_text(st, 4));
	sqlite3_reset(st);

	st = db_stmt(db, "SELECT path, source FROM mailing_templates"
	    " WHERE mailing_id = ?");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		m->tpl = xrealloc(m->tpl, (m->ntpl + 1) * sizeof(*m->tpl));
		m->tpl[m->ntpl].rel = xstrdup(db_col_text(st, 0));
		m->tpl[m->ntpl].len = (size_t)sqlite3_column_bytes(st, 1);
		m->tpl[m->ntpl].src = xstrndup(db_col_text(st, 1),
		    m->tpl[m->ntpl].len);
		m->ntpl++;
	}
	sqlite3_reset(st);
	if (needs_event(m->kind) && m->event == NULL) {
		*errstr = xasprintf("mailing %lld has no event", (long long)id);
		mailing_free(m);
		return -1;
	}
	m->ts = tmplset_new_loader(frozen_loader, m, cfg->language,
	    (const char *const *)m->langs);
	m->r = render_new(cfg, m->ts);
	*out = m;
	return 0;
}

void
mailing_free(struct mailing *m)
{
	size_t i;

	if (m == NULL)
		return;
	render_free(m->r);
	tmplset_free(m->ts);
	newsletter_free(&m->nl);
	if (m->event) {
		event_clear(m->event);
		free(m->event);
	}
	if (m->old) {
		event_clear(m->old);
		free(m->old);
	}
	for (i = 0; i < m->ntpl; i++) {
		free(m->tpl[i].rel);
		free(m->tpl[i].src);
	}
	free(m->tpl);
	for (i = 0; m->langs && m->langs[i]; i++)
		free(m->langs[i]);
	free(m->langs);
	free(m->note);
	free(m->subject);
	free(m->kind);
	free(m);
}

/* ---- the archive ---- */

#define SENT_NEWSLETTER \
	" FROM mailings m WHERE m.kind = 'newsletter'" \
	" AND m.state IN ('active', 'done') AND m.note IS NULL" \
	" AND m.year IS NOT NULL AND m.month IS NOT NULL" \
	" AND EXISTS (SELECT 1 FROM outbox o WHERE o.mailing_id = m.id" \
	" AND o.state = 'sent')"

int
mailing_sent_months(struct db *db, void (*fn)(void *arg, int year,
    int month), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT m.year, m.month"
	    SENT_NEWSLETTER " GROUP BY m.year, m.month"
	    " ORDER BY m.year DESC, m.month DESC");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int64_t
mailing_sent_newsletter(struct db *db, int year, int month)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(m.id)" SENT_NEWSLETTER
	    " AND m.year = ? AND m.month = ?");
	int64_t id = -1;

	sqlite3_bind_int(st, 1, year);
	sqlite3_bind_int(st, 2, month);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

int
mailing_preview(const struct config *cfg, struct db *db, const char *kind,
    int year, int month, const struct event *ev, time_t now,
    struct mailing **out, char **errstr)
{
	struct mailing *m = xcalloc(1, sizeof(*m));

	m->cfg = cfg;
	m->kind = xstrdup(kind);
	if (strcmp(kind, "newsletter") == 0) {
		if (newsletter_load(cfg, db, year, month, now, &m->nl,
		    errstr) < 0) {
			free(m->kind);
			free(m);
			return -1;
		}
	} else if (ev != NULL) {
		m->event = xcalloc(1, sizeof(*m->event));
		event_copy(m->event, ev);
		if (strcmp(kind, "update") == 0) {
			m->old = xcalloc(1, sizeof(*m->old));
			event_copy(m->old, ev);
		}
		m->lead = cfg->n_reminder_offsets ?
		    cfg->reminder_offsets[cfg->n_reminder_offsets - 1] : 86400;
	}
	m->ts = tmplset_new(cfg->templates, cfg->language);
	m->r = render_new(cfg, m->ts);
	*out = m;
	return 0;
}

/* ---- rendering ---- */

/* The coordinator's note on top of both parts of their copy. */
static void
add_note(const char *note, struct rendered *r)
{
	struct buf b;
	const char *body, *p;
	size_t at = 0;

	buf_init(&b);
	buf_puts(&b, note);
	buf_puts(&b, "\n\n----------------------------------------------------"
	    "--------------------\n\n");
	buf_append(&b, r->text.data, r->text.len);
	buf_free(&r->text);
	r->text = b;
	if (r->html.len == 0)
		return;
	buf_init(&b);
	if ((body = strstr(r->html.data, "<body")) != NULL &&
	    (p = strchr(body, '>')) != NULL)
		at = (size_t)(p + 1 - r->html.data);
	buf_append(&b, r->html.data, at);
	buf_puts(&b, "\n<div style=\"border:2px solid #b35900;padding:12px;"
	    "margin:12px;font-family:sans-serif;white-space:pre-wrap\">");
	for (p = note; *p != '\0'; p++) {
		switch (*p) {
		case '&': buf_puts(&b, "&amp;"); break;
		case '<': buf_puts(&b, "&lt;"); break;
		case '>': buf_puts(&b, "&gt;"); break;
		case '"': buf_puts(&b, "&quot;"); break;
		default: buf_putc(&b, *p); break;
		}
	}
	buf_puts(&b, "</div>\n");
	buf_append(&b, r->html.data + at, r->html.len - at);
	buf_free(&r->html);
	r->html = b;
}

int
mailing_render(struct mailing *m, const struct subscriber *s,
    struct mailing_msg *out, char **errstr)
{
	const struct config *cfg = m->cfg;
	struct ical_event ie;
	struct buf desc;
	time_t now = clock_now();
	int rc, cancel;

	memset(out, 0, sizeof(*out));
	if (strcmp(m->kind, "newsletter") == 0) {
		rc = render_newsletter(m->r, &m->nl, s, &out->r, errstr);
		if (rc == 0 && m->note != NULL)
			add_note(m->note, &out->r);
		return rc;
	}
	if (strcmp(m->kind, "notice") == 0) {
		/* the coordinator's notice: its own words, no template */
		rendered_init(&out->r);
		out->r.subject = xstrdup(m->subject ? m->subject : "rundbrief");
		buf_puts(&out->r.text, m->note ? m->note : "");
		out->r.lang = xstrdup(cfg->language);
		return 0;
	}
	if (!needs_event(m->kind))
		return render_notice(m->r, m->kind, s, &out->r, errstr);
	rc = render_event_mail(m->r, m->kind, m->event, m->old, m->lead, now, s,
	    &out->r, errstr);
	if (rc < 0 || strcmp(m->kind, "reminder") == 0 ||
	    strcmp(m->kind, "announcement") == 0)
		return rc;
	cancel = strcmp(m->kind, "cancellation") == 0;
	buf_init(&desc);
	event_to_ical(m->event, &ie, &desc);
	out->calendar = ical_invitation(&ie, cancel ? ICAL_MSG_CANCEL :
	    ICAL_MSG_REQUEST, cfg->organizer_name, cfg->organizer_email,
	    s->name, s->email, cancel ? 0 : cfg->alarm, now, errstr);
	buf_free(&desc);
	if (out->calendar == NULL) {
		rendered_free(&out->r);
		return -1;
	}
	out->calendar_method = cancel ? "CANCEL" : "REQUEST";
	return 0;
}
