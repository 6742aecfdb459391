/* rsvp: attendees' answers to invitations. */
#include <string.h>

#include "db.h"
#include "rsvp.h"
#include "util.h"

int
rsvp_store(struct db *db, const struct rsvp *r)
{
	sqlite3_stmt *st;
	int outdated = 0;

	st = db_stmt(db, "SELECT sequence > ?4 OR (sequence = ?4 AND"
	    " dtstamp > ?5) FROM rsvps WHERE event_id = ?1"
	    " AND occurrence = ?2 AND email = ?3");
	sqlite3_bind_int64(st, 1, r->event_id);
	db_bind_text(st, 2, r->occurrence);
	db_bind_text(st, 3, r->email);
	sqlite3_bind_int(st, 4, r->sequence);
	sqlite3_bind_int64(st, 5, (int64_t)r->dtstamp);
	if (sqlite3_step(st) == SQLITE_ROW)
		outdated = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (outdated)
		return 1;
	st = db_stmt(db, "INSERT OR REPLACE INTO rsvps(event_id, occurrence,"
	    " email, subscriber_id, name, partstat, sequence, dtstamp, comment,"
	    " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, r->event_id);
	db_bind_text(st, 2, r->occurrence);
	db_bind_text(st, 3, r->email);
	if (r->subscriber_id > 0)
		sqlite3_bind_int64(st, 4, r->subscriber_id);
	else
		sqlite3_bind_null(st, 4);
	db_bind_text(st, 5, r->name);
	db_bind_text(st, 6, r->partstat);
	sqlite3_bind_int(st, 7, r->sequence);
	sqlite3_bind_int64(st, 8, (int64_t)r->dtstamp);
	db_bind_text(st, 9, r->comment);
	sqlite3_bind_int64(st, 10, (int64_t)r->received_at);
	return db_exec_stmt(db, st, NULL) < 0 ? -1 : 0;
}

int
rsvp_get(struct db *db, int64_t event_id, const char *occurrence,
    const char *email, char **partstat)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT partstat FROM rsvps WHERE"
	    " event_id = ? AND occurrence = ? AND email = ?");
	int rc;

	*partstat = NULL;
	sqlite3_bind_int64(st, 1, event_id);
	db_bind_text(st, 2, occurrence);
	db_bind_text(st, 3, email);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*partstat = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
rsvp_counts(struct db *db, int64_t event_id, struct rsvp_counts *c)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT subscriber_id IS NULL, partstat,"
	    " count(*) FROM rsvps WHERE event_id = ? GROUP BY 1, 2");
	int rc;

	memset(c, 0, sizeof(*c));
	sqlite3_bind_int64(st, 1, event_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int guest = sqlite3_column_int(st, 0);
		const char *p = db_col_text(st, 1);
		long n = (long)sqlite3_column_int64(st, 2);

		if (strcmp(p, "accepted") == 0)
			*(guest ? &c->guests_accepted : &c->accepted) += n;
		else if (strcmp(p, "tentative") == 0)
			*(guest ? &c->guests_tentative : &c->tentative) += n;
		else if (strcmp(p, "declined") == 0)
			*(guest ? &c->guests_declined : &c->declined) += n;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
rsvp_fullest(struct db *db, int64_t event_id, long *n, char **occurrence)
{
	/* per occurrence: its own acceptances, and the series acceptances
	 * of those who did not answer for it ("" counts the series alone) */
	sqlite3_stmt *st = db_stmt(db, "SELECT o.occ,"
	    " (SELECT count(*) FROM rsvps a WHERE a.event_id = ?1"
	    "  AND a.occurrence = o.occ AND a.partstat = 'accepted')"
	    " + (SELECT count(*) FROM rsvps a WHERE a.event_id = ?1"
	    "  AND a.occurrence = '' AND o.occ <> '' AND a.partstat = 'accepted'"
	    "  AND NOT EXISTS (SELECT 1 FROM rsvps b WHERE b.event_id = ?1"
	    "   AND b.occurrence = o.occ AND b.email = a.email)) AS n"
	    " FROM (SELECT DISTINCT occurrence AS occ FROM rsvps"
	    "  WHERE event_id = ?1 UNION SELECT '') o"
	    " ORDER BY n DESC, o.occ LIMIT 1");
	int rc;

	*n = 0;
	if (occurrence != NULL)
		*occurrence = NULL;
	sqlite3_bind_int64(st, 1, event_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(st, 1);
		if (occurrence != NULL)
			*occurrence = xstrdup(db_col_text(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
rsvp_each(struct db *db, int64_t event_id,
    void (*fn)(void *arg, const struct rsvp *r), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT occurrence, email,"
	    " coalesce(subscriber_id, 0), name, partstat, sequence, dtstamp,"
	    " comment, received_at FROM rsvps WHERE event_id = ?"
	    " ORDER BY occurrence, subscriber_id IS NULL, email");
	struct rsvp r;
	int rc;

	sqlite3_bind_int64(st, 1, event_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.event_id = event_id;
		r.occurrence = db_col_text(st, 0);
		r.email = db_col_text(st, 1);
		r.subscriber_id = sqlite3_column_int64(st, 2);
		r.name = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
		    db_col_text(st, 3);
		r.partstat = db_col_text(st, 4);
		r.sequence = sqlite3_column_int(st, 5);
		r.dtstamp = (time_t)sqlite3_column_int64(st, 6);
		r.comment = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL :
		    db_col_text(st, 7);
		r.received_at = (time_t)sqlite3_column_int64(st, 8);
		fn(arg, &r);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
