/* audience: who gets which mail (see audience.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "db.h"
#include "district.h"
#include "log.h"
#include "subscriber.h"
#include "topic.h"
#include "util.h"

/*
 * The parts of the one query. Parameters: ?1 mailing, ?2 event, ?3 the
 * organizer's address, ?4 the occurrence, ?5 now. Fixed text only.
 */
#define BASE \
	" FROM subscribers s WHERE s.status = 'active'" \
	" AND (?3 IS NULL OR s.email <> ?3)"
#define WANTS_NEWSLETTER \
	" AND s.newsletter = 1"
#define INVITED \
	" AND s.invitations = 'all'" \
	" AND ((SELECT district_id FROM events WHERE id = ?2) IS NULL" \
	"  OR EXISTS (SELECT 1 FROM subscriber_districts sd" \
	"   WHERE sd.subscriber_id = s.id AND sd.district_id =" \
	"   (SELECT district_id FROM events WHERE id = ?2)))" \
	" AND (NOT EXISTS (SELECT 1 FROM event_topics et" \
	"   WHERE et.event_id = ?2)" \
	"  OR EXISTS (SELECT 1 FROM event_topics et JOIN subscriber_topics st" \
	"   ON fold(st.topic) = fold(et.topic) WHERE et.event_id = ?2" \
	"   AND st.subscriber_id = s.id))"
#define REACHED \
	" AND EXISTS (SELECT 1 FROM outbox o JOIN mailings m" \
	"  ON m.id = o.mailing_id WHERE o.subscriber_id = s.id" \
	"  AND m.event_id = ?2 AND m.id <> ?1" \
	"  AND m.kind IN ('invitation','update','announcement')" \
	"  AND o.state IN ('queued','sending','sent','deferred'))"
#define IS_DEADLINE \
	" (SELECT kind FROM events WHERE id = ?2) = 'deadline'"
/* their answer for this occurrence if they gave one, else for the
 * series: not declined */
#define NOT_DECLINED \
	" AND coalesce(" \
	"  (SELECT r.partstat FROM rsvps r WHERE r.event_id = ?2" \
	"   AND r.occurrence = ?4 AND r.subscriber_id = s.id" \
	"   ORDER BY r.dtstamp DESC LIMIT 1)," \
	"  (SELECT r.partstat FROM rsvps r WHERE r.event_id = ?2" \
	"   AND r.occurrence = '' AND r.subscriber_id = s.id" \
	"   ORDER BY r.dtstamp DESC LIMIT 1), '') <> 'declined'"

#define SELECT_IDS "SELECT s.id"
#define SELECT_MEMBERS "SELECT s.id, s.email, s.language," \
	" coalesce((SELECT group_concat(name, ', ') FROM (SELECT d.name" \
	"  FROM subscriber_districts sd JOIN districts d" \
	"  ON d.id = sd.district_id WHERE sd.subscriber_id = s.id" \
	"  ORDER BY d.name)), '')"
#define INSERT_ROWS "INSERT OR IGNORE INTO outbox (mailing_id," \
	" subscriber_id, next_attempt, created_at, updated_at)" \
	" SELECT ?1, s.id, ?5, ?5, ?5"

/* The WHERE of each kind (after BASE). */
#define W_NEWSLETTER WANTS_NEWSLETTER
#define W_INVITATION INVITED
#define W_CHANGE REACHED
#define W_REMINDER \
	" AND ((" IS_DEADLINE INVITED ") OR (NOT" IS_DEADLINE REACHED "))" \
	NOT_DECLINED

#define QUERIES(head) { \
	head BASE W_NEWSLETTER " ORDER BY s.id", \
	head BASE W_INVITATION " ORDER BY s.id", \
	head BASE W_INVITATION " ORDER BY s.id", \
	head BASE W_CHANGE " ORDER BY s.id", \
	head BASE W_CHANGE " ORDER BY s.id", \
	head BASE W_REMINDER " ORDER BY s.id" }

static const char *const insert_sql[] = QUERIES(INSERT_ROWS);
static const char *const member_sql[] = QUERIES(SELECT_MEMBERS);

int
audience_of(const char *kind)
{
	static const char *const names[] = { "newsletter", "invitation",
	    "announcement", "update", "cancellation", "reminder" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(kind, names[i]) == 0)
			return (int)i;
	return -1;
}

static void
bind(sqlite3_stmt *st, const struct audience *a, time_t now)
{
	sqlite3_bind_int64(st, 1, a->mailing_id);
	sqlite3_bind_int64(st, 2, a->event_id);
	db_bind_text(st, 3, a->skip);
	db_bind_text(st, 4, a->occurrence);
	sqlite3_bind_int64(st, 5, (int64_t)now);
}

long
audience_enqueue(struct db *db, const struct audience *a, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, insert_sql[a->kind]);
	char *err = NULL;

	bind(st, a, now);
	if (db_exec_stmt(db, st, &err) < 0) {
		log_warnx("audience: %s", err);
		free(err);
		return -1;
	}
	return sqlite3_changes(db_handle(db));
}

long
audience_each(struct db *db, const struct audience *a,
    void (*fn)(void *arg, const struct audience_member *m), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, member_sql[a->kind]);
	struct audience_member m;
	long n = 0;
	int rc;

	bind(st, a, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.id = sqlite3_column_int64(st, 0);
		m.email = db_col_text(st, 1);
		m.language = db_col_text(st, 2);
		m.districts = db_col_text(st, 3);
		if (fn != NULL)
			fn(arg, &m);
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
audience_reached(struct db *db, int64_t event_id, int64_t subscriber_id)
{
	/* ?1 (the mailing being made) is none here */
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers s"
	    " WHERE s.id = ?3" REACHED);
	int rc, n = 0;

	sqlite3_bind_int64(st, 1, 0);
	sqlite3_bind_int64(st, 2, event_id);
	sqlite3_bind_int64(st, 3, subscriber_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? n > 0 : -1;
}

/* ---- the made-up reader ---- */

static void
add_district(void *arg, int64_t id, const char *name, long subscribers,
    long events)
{
	struct subscriber *s = arg;

	(void)id;
	(void)subscribers;
	(void)events;
	s->districts = xrealloc(s->districts, (s->ndistricts + 1) *
	    sizeof(char *));
	s->districts[s->ndistricts++] = xstrdup(name);
}

static void
add_topic(void *arg, const struct topic_use *t)
{
	struct subscriber *s = arg;

	s->topics = xrealloc(s->topics, (s->ntopics + 1) * sizeof(char *));
	s->topics[s->ntopics++] = xstrdup(t->name);
}

struct subscriber *
audience_everyone(struct db *db, const char *lang, const char *name,
    const char *email)
{
	struct subscriber *s = xcalloc(1, sizeof(*s));

	s->email = xstrdup(email);
	s->name = xstrdup(name);
	s->language = xstrdup(lang);
	s->status = xstrdup("active");
	s->token = xstrdup(AUDIENCE_NOBODY_TOKEN);
	s->invitations = xstrdup("all");
	s->newsletter = 1;
	if (district_list(db, add_district, s) < 0 ||
	    topic_list(db, add_topic, s) < 0) {
		subscriber_free(s);
		return NULL;
	}
	return s;
}
