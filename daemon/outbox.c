/* outbox: the durable per-recipient queue. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "outbox.h"
#include "subscriber.h"
#include "util.h"

static const long backoff[] = { 60, 300, 1800, 7200, 21600 };
#define NBACKOFF (sizeof(backoff) / sizeof(backoff[0]))

void
outbox_item_free(struct outbox_item *it)
{
	if (it == NULL)
		return;
	subscriber_free(it->sub);
	free(it);
}

static int
run(struct db *db, sqlite3_stmt *st)
{
	char *err = NULL;

	if (db_exec_stmt(db, st, &err) < 0) {
		log_warnx("outbox: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

int
outbox_recover(struct db *db, long *n)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state = 'queued'"
	    " WHERE state = 'sending'");

	if (run(db, st) < 0)
		return -1;
	*n = sqlite3_changes(db_handle(db));
	return 0;
}

long
outbox_enqueue(struct db *db, int64_t mailing_id, const char *district,
    const char *skip, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT OR IGNORE INTO outbox"
	    " (mailing_id, subscriber_id, next_attempt, created_at, updated_at)"
	    " SELECT ?1, s.id, ?2, ?2, ?2 FROM subscribers s"
	    " WHERE s.status = 'active' AND (?4 IS NULL OR s.email <> ?4)"
	    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM subscriber_districts sd"
	    "  JOIN districts d ON d.id = sd.district_id"
	    "  WHERE sd.subscriber_id = s.id AND d.name = ?3))"
	    " ORDER BY s.id");

	sqlite3_bind_int64(st, 1, mailing_id);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	db_bind_text(st, 3, district);
	db_bind_text(st, 4, skip);
	if (run(db, st) < 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

/*
 * Who hears of an event after its invitation (updates, cancellations,
 * reminders): the active subscribers an invitation or update of event ?3
 * was sent to or is on its way to, never the address ?4. The one place
 * that says so. A reminder (?5: the occurrence it is for, as
 * schedule_occurrence_id() writes it) leaves out whoever declined: their
 * answer for that occurrence if they gave one, else their answer for the
 * whole series. Updates and cancellations (?5 NULL) still go to them: a
 * new date may suit them, and a cancelled event must leave their calendar.
 */
#define INVITED_SQL \
	" FROM outbox o" \
	" JOIN mailings m ON m.id = o.mailing_id" \
	" JOIN subscribers s ON s.id = o.subscriber_id" \
	" WHERE m.event_id = ?3 AND m.id <> ?1" \
	" AND m.kind IN ('invitation','update')" \
	" AND o.state IN ('queued','sending','sent','deferred')" \
	" AND s.status = 'active' AND (?4 IS NULL OR s.email <> ?4)" \
	" AND (?5 IS NULL OR coalesce(" \
	"  (SELECT r.partstat FROM rsvps r WHERE r.event_id = ?3" \
	"   AND r.occurrence = ?5 AND r.subscriber_id = s.id" \
	"   ORDER BY r.dtstamp DESC LIMIT 1)," \
	"  (SELECT r.partstat FROM rsvps r WHERE r.event_id = ?3" \
	"   AND r.occurrence = '' AND r.subscriber_id = s.id" \
	"   ORDER BY r.dtstamp DESC LIMIT 1), '') <> 'declined')"

long
outbox_enqueue_invited(struct db *db, int64_t mailing_id, int64_t event_id,
    const char *skip, const char *occurrence, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT OR IGNORE INTO outbox"
	    " (mailing_id, subscriber_id, next_attempt, created_at, updated_at)"
	    " SELECT DISTINCT ?1, s.id, ?2, ?2, ?2" INVITED_SQL
	    " ORDER BY s.id");

	sqlite3_bind_int64(st, 1, mailing_id);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	sqlite3_bind_int64(st, 3, event_id);
	db_bind_text(st, 4, skip);
	db_bind_text(st, 5, occurrence);
	if (run(db, st) < 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

long
outbox_count_invited(struct db *db, int64_t event_id, const char *skip,
    const char *occurrence)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(DISTINCT s.id)"
	    INVITED_SQL);
	long n = -1;

	sqlite3_bind_int64(st, 1, 0);
	sqlite3_bind_int64(st, 3, event_id);
	db_bind_text(st, 4, skip);
	db_bind_text(st, 5, occurrence);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
outbox_enqueue_one(struct db *db, int64_t mailing_id, int64_t subscriber_id,
    time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT OR IGNORE INTO outbox"
	    " (mailing_id, subscriber_id, next_attempt, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?3, ?3)");

	sqlite3_bind_int64(st, 1, mailing_id);
	sqlite3_bind_int64(st, 2, subscriber_id);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	return run(db, st);
}

long
outbox_claim(struct db *db, time_t now, size_t max,
    struct outbox_item ***items)
{
	sqlite3_stmt *st;
	struct outbox_item **v = NULL;
	size_t n = 0, i;
	int rc;

	*items = NULL;
	if (db_begin(db) < 0)
		return -1;
	/* a row for a plain address (o.rcpt: the coordinator's copy) reads
	 * as an active subscriber 0 without a language or token, in every
	 * district */
	st = db_stmt(db, "SELECT o.id, o.mailing_id, o.attempts, o.created_at,"
	    " coalesce(s.id, 0), coalesce(s.email, o.rcpt), coalesce(s.name, ''),"
	    " coalesce(s.language, ''), coalesce(s.status, 'active'),"
	    " coalesce(s.token, ''),"
	    " CASE WHEN s.id IS NULL THEN (SELECT group_concat(name, char(31))"
	    "   FROM (SELECT name FROM districts ORDER BY name))"
	    " ELSE (SELECT group_concat(name, char(31)) FROM (SELECT d.name FROM"
	    "   subscriber_districts sd JOIN districts d ON d.id = sd.district_id"
	    "   WHERE sd.subscriber_id = s.id ORDER BY d.name)) END"
	    " FROM outbox o LEFT JOIN subscribers s ON s.id = o.subscriber_id"
	    " JOIN mailings m ON m.id = o.mailing_id"
	    " WHERE o.state IN ('queued','deferred') AND o.next_attempt <= ?1"
	    " AND m.state = 'active'"
	    " ORDER BY o.next_attempt, o.id LIMIT ?2");
	sqlite3_bind_int64(st, 1, (int64_t)now);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_item *it = xcalloc(1, sizeof(*it));
		struct subscriber *s = xcalloc(1, sizeof(*s));
		const char *d = db_col_text(st, 10), *p, *e;

		it->id = sqlite3_column_int64(st, 0);
		it->mailing_id = sqlite3_column_int64(st, 1);
		it->attempts = sqlite3_column_int(st, 2);
		it->created_at = (time_t)sqlite3_column_int64(st, 3);
		s->id = sqlite3_column_int64(st, 4);
		s->email = xstrdup(db_col_text(st, 5));
		s->name = xstrdup(db_col_text(st, 6));
		s->language = xstrdup(db_col_text(st, 7));
		s->status = xstrdup(db_col_text(st, 8));
		s->token = xstrdup(db_col_text(st, 9));
		for (p = d; *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, "\x1f");
			s->districts = xrealloc(s->districts,
			    (s->ndistricts + 1) * sizeof(char *));
			s->districts[s->ndistricts++] =
			    xstrndup(p, (size_t)(e - p));
		}
		it->sub = s;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = it;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	for (i = 0; i < n; i++) {
		st = db_stmt(db, "UPDATE outbox SET state = 'sending',"
		    " updated_at = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, (int64_t)now);
		sqlite3_bind_int64(st, 2, v[i]->id);
		if (run(db, st) < 0)
			goto fail;
	}
	if (db_commit(db) < 0)
		goto fail;
	*items = v;
	return (long)n;
fail:
	db_rollback(db);
	for (i = 0; i < n; i++)
		outbox_item_free(v[i]);
	free(v);
	return -1;
}

int
outbox_sent(struct db *db, int64_t id, const char *message_id,
    const char *reply, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state = 'sent',"
	    " attempts = attempts + 1, message_id = ?2, last_reply = ?3,"
	    " sent_at = ?4, updated_at = ?4 WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, message_id);
	db_bind_text(st, 3, reply);
	sqlite3_bind_int64(st, 4, (int64_t)now);
	return run(db, st);
}

int
outbox_tempfail(struct db *db, const struct outbox_item *it,
    const char *reply, long max_age, time_t now)
{
	sqlite3_stmt *st;
	size_t i = (size_t)it->attempts;
	long delay = backoff[i < NBACKOFF ? i : NBACKOFF - 1];
	int fail = now + delay - it->created_at > max_age;

	st = db_stmt(db, "UPDATE outbox SET state = ?2,"
	    " attempts = attempts + 1, next_attempt = ?3, last_reply = ?4,"
	    " updated_at = ?5 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, it->id);
	db_bind_text(st, 2, fail ? "failed" : "deferred");
	sqlite3_bind_int64(st, 3, (int64_t)(now + delay));
	db_bind_text(st, 4, reply);
	sqlite3_bind_int64(st, 5, (int64_t)now);
	if (run(db, st) < 0)
		return -1;
	return fail;
}

int
outbox_permfail(struct db *db, const struct outbox_item *it,
    const char *reply, int bounce, int bounce_limit, time_t now)
{
	sqlite3_stmt *st;
	char *err = NULL;

	if (db_begin(db) < 0)
		return -1;
	st = db_stmt(db, "UPDATE outbox SET state = 'failed',"
	    " attempts = attempts + 1, last_reply = ?2, updated_at = ?3,"
	    " bounced = ?4 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, it->id);
	db_bind_text(st, 2, reply);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	sqlite3_bind_int(st, 4, bounce != 0);
	if (run(db, st) < 0 ||
	    (bounce && it->sub->id != 0 && subscriber_bounce(db, it->sub->id,
	    subscriber_user_unknown(reply), bounce_limit, now, &err) < 0)) {
		free(err);
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}

int
outbox_skip(struct db *db, int64_t id, const char *why, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state = 'cancelled',"
	    " last_reply = ?2, updated_at = ?3 WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, why);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	return run(db, st);
}

int
outbox_unclaim(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state = CASE"
	    " WHEN attempts > 0 THEN 'deferred' ELSE 'queued' END"
	    " WHERE id = ? AND state = 'sending'");

	sqlite3_bind_int64(st, 1, id);
	return run(db, st);
}

long
outbox_cancel_reminders(struct db *db, int64_t event_id, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state = 'cancelled',"
	    " last_reply = 'the event was cancelled', updated_at = ?2"
	    " WHERE state IN ('queued','deferred') AND mailing_id IN"
	    " (SELECT id FROM mailings WHERE event_id = ?1"
	    "  AND kind = 'reminder')");

	sqlite3_bind_int64(st, 1, event_id);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	if (run(db, st) < 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

int
outbox_fresh_due(struct db *db, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET next_attempt = ?1"
	    " WHERE state = 'queued' AND attempts = 0 AND next_attempt > ?1");

	sqlite3_bind_int64(st, 1, (int64_t)now);
	return run(db, st);
}

long
outbox_due_count(struct db *db, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM outbox"
	    " WHERE state IN ('queued','deferred') AND next_attempt <= ?");
	long n = 0;

	sqlite3_bind_int64(st, 1, (int64_t)now);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

time_t
outbox_next_due(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(o.next_attempt) FROM outbox o"
	    " JOIN mailings m ON m.id = o.mailing_id"
	    " WHERE o.state IN ('queued','deferred') AND m.state = 'active'");
	time_t t = 0;

	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

size_t
outbox_sent_since(struct db *db, time_t since, time_t **times)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT sent_at FROM outbox"
	    " WHERE sent_at >= ? ORDER BY sent_at");
	size_t n = 0, cap = 0;

	*times = NULL;
	sqlite3_bind_int64(st, 1, (int64_t)since);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			*times = xrealloc(*times, cap * sizeof(time_t));
		}
		(*times)[n++] = (time_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return n;
}

long
outbox_retry(struct db *db, int64_t mailing_id, time_t now)
{
	sqlite3_stmt *st;
	long n;

	if (db_begin(db) < 0)
		return -1;
	st = db_stmt(db, "UPDATE outbox SET state = 'queued',"
	    " next_attempt = ?2, created_at = ?2, updated_at = ?2"
	    " WHERE state = 'failed' AND (?1 = 0 OR mailing_id = ?1)"
	    " AND (outbox.rcpt IS NOT NULL OR EXISTS (SELECT 1 FROM"
	    "  subscribers s WHERE s.id = outbox.subscriber_id"
	    "  AND s.status = 'active'))");
	sqlite3_bind_int64(st, 1, mailing_id);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	if (run(db, st) < 0)
		goto fail;
	n = sqlite3_changes(db_handle(db));
	/* blocked mailings go on; done ones with rows queued again too */
	st = db_stmt(db, "UPDATE mailings SET state = 'active',"
	    " blocked_reason = NULL, finished_at = NULL"
	    " WHERE (?1 = 0 OR id = ?1) AND (state = 'blocked' OR"
	    " (state = 'done' AND EXISTS (SELECT 1 FROM outbox o WHERE"
	    "  o.mailing_id = mailings.id AND o.state = 'queued')))");
	sqlite3_bind_int64(st, 1, mailing_id);
	if (run(db, st) < 0)
		goto fail;
	return db_commit(db) < 0 ? -1 : n;
fail:
	db_rollback(db);
	return -1;
}

int
outbox_block(struct db *db, int64_t mailing_id, const char *reason,
    time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE mailings SET state = 'blocked',"
	    " blocked_reason = ?2, finished_at = ?3"
	    " WHERE id = ?1 AND state = 'active'");

	sqlite3_bind_int64(st, 1, mailing_id);
	db_bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	if (run(db, st) < 0)
		return -1;
	return sqlite3_changes(db_handle(db)) > 0;
}

int
outbox_unfail(struct db *db, const int64_t *ids, size_t n, time_t now)
{
	sqlite3_stmt *st;
	size_t i;

	if (db_begin(db) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* the bounce this failure counted, if it counted one */
		st = db_stmt(db, "UPDATE subscribers SET"
		    " bounces = max(bounces - 1, 0), status = CASE status"
		    "  WHEN 'bounced' THEN 'active' ELSE status END,"
		    " updated_at = ?2 WHERE id = (SELECT subscriber_id FROM"
		    "  outbox WHERE id = ?1 AND state = 'failed'"
		    "  AND bounced = 1)");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, (int64_t)now);
		if (run(db, st) < 0)
			goto fail;
		st = db_stmt(db, "UPDATE outbox SET state = 'queued',"
		    " attempts = max(attempts - 1, 0), bounced = 0,"
		    " next_attempt = ?2, updated_at = ?2"
		    " WHERE id = ?1 AND state = 'failed'");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, (int64_t)now);
		if (run(db, st) < 0)
			goto fail;
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return -1;
}

int
outbox_finish_mailings(struct db *db, time_t now,
    void (*fn)(void *arg, int64_t id, const char *kind, const char *title,
    const struct outbox_counts *c), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, kind, title FROM mailings m"
	    " WHERE state = 'active' AND NOT EXISTS (SELECT 1 FROM outbox o"
	    "  WHERE o.mailing_id = m.id AND o.state IN ('queued','sending',"
	    "  'deferred'))");
	struct outbox_counts c;
	int64_t *ids = NULL;
	char **kinds = NULL, **titles = NULL;
	size_t n = 0, i;
	int rc = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		kinds = xrealloc(kinds, (n + 1) * sizeof(*kinds));
		titles = xrealloc(titles, (n + 1) * sizeof(*titles));
		ids[n] = sqlite3_column_int64(st, 0);
		kinds[n] = xstrdup(db_col_text(st, 1));
		titles[n++] = xstrdup(db_col_text(st, 2));
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		st = db_stmt(db, "UPDATE mailings SET state = 'done',"
		    " finished_at = ?2 WHERE id = ?1 AND state = 'active'");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, (int64_t)now);
		if (run(db, st) < 0)
			rc = -1;
		else if (fn != NULL && outbox_counts(db, ids[i], &c) == 0)
			fn(arg, ids[i], kinds[i], titles[i], &c);
		free(kinds[i]);
		free(titles[i]);
	}
	free(ids);
	free(kinds);
	free(titles);
	return rc < 0 ? -1 : (int)n;
}

long
outbox_cancel(struct db *db, int64_t mailing_id, time_t now)
{
	sqlite3_stmt *st;
	long n;

	if (db_begin(db) < 0)
		return -1;
	st = db_stmt(db, "UPDATE mailings SET state = 'cancelled' WHERE id = ?");
	sqlite3_bind_int64(st, 1, mailing_id);
	if (run(db, st) < 0 || sqlite3_changes(db_handle(db)) == 0) {
		db_rollback(db);
		return -1;
	}
	st = db_stmt(db, "UPDATE outbox SET state = 'cancelled',"
	    " last_reply = 'mailing cancelled', updated_at = ?2"
	    " WHERE mailing_id = ?1 AND state IN ('queued','deferred')");
	sqlite3_bind_int64(st, 1, mailing_id);
	sqlite3_bind_int64(st, 2, (int64_t)now);
	if (run(db, st) < 0) {
		db_rollback(db);
		return -1;
	}
	n = sqlite3_changes(db_handle(db));
	return db_commit(db) < 0 ? -1 : n;
}

static void
add_count(struct outbox_counts *c, const char *state, long n)
{
	if (!strcmp(state, "queued")) c->queued += n;
	else if (!strcmp(state, "sending")) c->sending += n;
	else if (!strcmp(state, "sent")) c->sent += n;
	else if (!strcmp(state, "deferred")) c->deferred += n;
	else if (!strcmp(state, "failed")) c->failed += n;
	else if (!strcmp(state, "cancelled")) c->cancelled += n;
}

int
outbox_counts(struct db *db, int64_t mailing_id, struct outbox_counts *c)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT state, count(*) FROM outbox"
	    " WHERE ?1 = 0 OR mailing_id = ?1 GROUP BY state");
	int rc;

	memset(c, 0, sizeof(*c));
	sqlite3_bind_int64(st, 1, mailing_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_count(c, db_col_text(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
outbox_subscriber_counts(struct db *db, int64_t mailing_id,
    struct outbox_counts *c)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT state, count(*) FROM outbox"
	    " WHERE (?1 = 0 OR mailing_id = ?1) AND subscriber_id IS NOT NULL"
	    " GROUP BY state");
	int rc;

	memset(c, 0, sizeof(*c));
	sqlite3_bind_int64(st, 1, mailing_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_count(c, db_col_text(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
outbox_mailings(struct db *db, void (*fn)(void *arg,
    const struct outbox_mailing *m), void *arg)
{
	sqlite3_stmt *st;
	struct outbox_mailing m;
	int rc;

	if (sqlite3_prepare_v2(db_handle(db), "SELECT m.id, m.kind, m.title,"
	    " m.state, m.created_at, m.finished_at, m.blocked_reason,"
	    " o.state, count(o.id), m.note FROM mailings m"
	    " LEFT JOIN outbox o ON o.mailing_id = m.id"
	    " GROUP BY m.id, o.state ORDER BY m.id DESC", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	while (rc == SQLITE_ROW) {
		char *kind = xstrdup(db_col_text(st, 1));
		char *title = xstrdup(db_col_text(st, 2));
		char *state = xstrdup(db_col_text(st, 3));
		char *reason = db_col_strdup(st, 6);
		char *note = db_col_strdup(st, 9);

		memset(&m, 0, sizeof(m));
		m.id = sqlite3_column_int64(st, 0);
		m.kind = kind;
		m.title = title;
		m.state = state;
		m.reason = reason;
		m.note = note;
		m.created = (time_t)sqlite3_column_int64(st, 4);
		m.finished = (time_t)sqlite3_column_int64(st, 5);
		do {
			if (sqlite3_column_type(st, 7) != SQLITE_NULL)
				add_count(&m.c, db_col_text(st, 7),
				    sqlite3_column_int64(st, 8));
			rc = sqlite3_step(st);
		} while (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == m.id);
		fn(arg, &m);
		free(kind);
		free(title);
		free(state);
		free(reason);
		free(note);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
outbox_recent_errors(struct db *db, int n, void (*fn)(void *arg,
    int64_t mailing_id, const char *email, const char *state, int attempts,
    const char *reply, time_t when), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT o.mailing_id, s.email, o.state,"
	    " o.attempts, o.last_reply, o.updated_at FROM outbox o"
	    " JOIN subscribers s ON s.id = o.subscriber_id"
	    " WHERE o.state IN ('failed','deferred')"
	    " ORDER BY o.updated_at DESC, o.id DESC LIMIT ?");
	int rc;

	sqlite3_bind_int(st, 1, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(st, 0), db_col_text(st, 1),
		    db_col_text(st, 2), sqlite3_column_int(st, 3),
		    db_col_text(st, 4), (time_t)sqlite3_column_int64(st, 5));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
outbox_each_for_subscriber(struct db *db, int64_t subscriber_id,
    void (*fn)(void *arg, int64_t mailing_id, const char *kind,
    const char *title, const char *state, time_t sent_at,
    const char *message_id), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT m.id, m.kind, m.title, o.state,"
	    " o.sent_at, o.message_id FROM outbox o"
	    " JOIN mailings m ON m.id = o.mailing_id"
	    " WHERE o.subscriber_id = ? ORDER BY o.id");
	int rc;

	sqlite3_bind_int64(st, 1, subscriber_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(st, 0), db_col_text(st, 1),
		    db_col_text(st, 2), db_col_text(st, 3),
		    (time_t)sqlite3_column_int64(st, 4),
		    sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL :
		    db_col_text(st, 5));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

time_t
outbox_last_notice(struct db *db, int64_t subscriber_id, const char *kind)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT max(o.created_at) FROM outbox o"
	    " JOIN mailings m ON m.id = o.mailing_id"
	    " WHERE o.subscriber_id = ? AND m.kind = ?");
	time_t t = 0;

	sqlite3_bind_int64(st, 1, subscriber_id);
	db_bind_text(st, 2, kind);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}
