/*
 * db: SQLite connection, schema migrations and the statement cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define STMT_CACHE 64

struct cached {
	const char *sql;
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct cached cache[STMT_CACHE];
	size_t ncache;
	int busy_ms;		/* how long a statement waits for a lock */
	int gave_up;		/* a statement found the database locked */
	int nest;		/* savepoints open inside the transaction */
};

#define BUSY_MS_DEFAULT 5000

/*
 * The schema, one entry per version. Never edit a released step: add one.
 * Times are Unix seconds (UTC). Local wall-clock values of events are kept
 * as text in the event's zone, next to their UTC instants for queries.
 */
static const char *const migrations[] = {
	/* 1: subscribers, districts, events */
	"CREATE TABLE districts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE subscribers ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  language TEXT NOT NULL DEFAULT 'de',"
	"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"    ('pending','active','unsubscribed','bounced')),"
	"  consent_source TEXT,"
	"  consent_at INTEGER,"
	"  token TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE subscriber_districts ("
	"  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id)"
	"    ON DELETE CASCADE,"
	"  district_id INTEGER NOT NULL REFERENCES districts(id),"
	"  PRIMARY KEY (subscriber_id, district_id)) WITHOUT ROWID;"
	"CREATE INDEX subscriber_districts_district ON"
	"  subscriber_districts(district_id);"
	"CREATE TABLE subscriber_topics ("
	"  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id)"
	"    ON DELETE CASCADE,"
	"  topic TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (subscriber_id, topic)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  uid TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('welcome_conference',"
	"    'volunteer_fair','training','network_meeting','deadline','other')),"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  location TEXT,"
	"  online_url TEXT,"
	"  tzid TEXT NOT NULL,"
	"  all_day INTEGER NOT NULL DEFAULT 0,"
	"  start_local TEXT NOT NULL,"
	"  end_local TEXT NOT NULL,"
	"  start_utc INTEGER NOT NULL,"
	"  end_utc INTEGER NOT NULL,"
	"  rrule TEXT,"
	"  capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),"
	"  district_id INTEGER REFERENCES districts(id),"
	"  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN"
	"    ('draft','published','cancelled')),"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX events_start ON events(start_utc);",

	/* 2: erasure tombstones, a per-database salt for their hashes,
	 * bounce counting */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE tombstones ("
	"  hash TEXT PRIMARY KEY,"
	"  forgotten_at INTEGER NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE subscribers ADD COLUMN bounces INTEGER NOT NULL"
	"  DEFAULT 0;",

	/* 3: mailings with their frozen content, and the outbox */
	"CREATE TABLE mailings ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('newsletter','invitation',"
	"    'update','cancellation','reminder','confirm','welcome',"
	"    'unsubscribed')),"
	"  key TEXT UNIQUE,"
	"  title TEXT NOT NULL,"
	"  event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,"
	"  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN"
	"    ('active','cancelled')),"
	"  year INTEGER, month INTEGER, win_from INTEGER, win_to INTEGER,"
	"  editorial TEXT, subject TEXT, preheader TEXT,"
	"  lead INTEGER,"
	"  languages TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE mailing_events ("
	"  mailing_id INTEGER NOT NULL REFERENCES mailings(id)"
	"    ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('item','old')),"
	"  pos INTEGER NOT NULL,"
	"  occurrence INTEGER NOT NULL,"
	"  event_id INTEGER, uid TEXT NOT NULL, kind TEXT NOT NULL,"
	"  title TEXT NOT NULL, description TEXT NOT NULL, location TEXT,"
	"  online_url TEXT, tzid TEXT NOT NULL, all_day INTEGER NOT NULL,"
	"  start_local TEXT NOT NULL, end_local TEXT NOT NULL,"
	"  start_utc INTEGER NOT NULL, end_utc INTEGER NOT NULL, rrule TEXT,"
	"  capacity INTEGER, district TEXT, status TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL,"
	"  PRIMARY KEY (mailing_id, role, pos)) WITHOUT ROWID;"
	"CREATE TABLE mailing_templates ("
	"  mailing_id INTEGER NOT NULL REFERENCES mailings(id)"
	"    ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  PRIMARY KEY (mailing_id, path)) WITHOUT ROWID;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  mailing_id INTEGER NOT NULL REFERENCES mailings(id)"
	"    ON DELETE CASCADE,"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id)"
	"    ON DELETE CASCADE,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',"
	"    'sending','sent','deferred','failed','cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_reply TEXT,"
	"  message_id TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  UNIQUE (mailing_id, subscriber_id));"
	/* Only the due index changes as rows move (claim, defer): every
	 * index a state change touches is another page written per message.
	 * Recovery and the hour-quota seed scan the table once at start. */
	"CREATE INDEX outbox_due ON outbox(next_attempt, id)"
	"  WHERE state IN ('queued','deferred');"
	"CREATE INDEX outbox_subscriber ON outbox(subscriber_id);",

	/* 4: a mailing is done once nothing of it is left to send, or
	 * blocked by a failure that is not the recipients' (the server
	 * refused our sender, relaying, our login …) until `queue retry`.
	 * SQLite cannot change a CHECK: the table is rebuilt (db_migrate
	 * runs migrations with foreign keys off, so nothing cascades). */
	"CREATE TABLE mailings_v4 ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('newsletter','invitation',"
	"    'update','cancellation','reminder','confirm','welcome',"
	"    'unsubscribed')),"
	"  key TEXT UNIQUE,"
	"  title TEXT NOT NULL,"
	"  event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,"
	"  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN"
	"    ('active','done','blocked','cancelled')),"
	"  year INTEGER, month INTEGER, win_from INTEGER, win_to INTEGER,"
	"  editorial TEXT, subject TEXT, preheader TEXT,"
	"  lead INTEGER,"
	"  languages TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  blocked_reason TEXT);"
	"INSERT INTO mailings_v4 (id, kind, key, title, event_id, state, year,"
	"  month, win_from, win_to, editorial, subject, preheader, lead,"
	"  languages, created_at)"
	"  SELECT id, kind, key, title, event_id, state, year, month, win_from,"
	"  win_to, editorial, subject, preheader, lead, languages, created_at"
	"  FROM mailings;"
	"DROP TABLE mailings;"
	"ALTER TABLE mailings_v4 RENAME TO mailings;"
	/* a failure that counted a bounce (undone if the failure turns out
	 * to be the server's, not the recipient's) */
	"ALTER TABLE outbox ADD COLUMN bounced INTEGER NOT NULL DEFAULT 0;",

	/* 5: a newsletter's editorials, one per language (lang '' for
	 * content/YYYY-MM.md); mailings made before keep their one editorial
	 * in mailings.editorial, subject and preheader */
	"CREATE TABLE mailing_editorials ("
	"  mailing_id INTEGER NOT NULL REFERENCES mailings(id)"
	"    ON DELETE CASCADE,"
	"  lang TEXT NOT NULL,"
	"  file TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  subject TEXT,"
	"  preheader TEXT,"
	"  PRIMARY KEY (mailing_id, lang)) WITHOUT ROWID;",

	/* 6: the daemon's schedule. A job is written when it fires (or is
	 * skipped), in the transaction that makes its mailing, so its key
	 * ("newsletter:2026-12", "review:2026-12", "warning:2026-12",
	 * "reminder:UID:OCCURRENCE:7d") makes it happen once; jobs still
	 * to come are computed from the rules, not stored. A held month
	 * waits in holds. Events remember when they were published (no
	 * reminder is due before that). Outbox rows may go to an address
	 * that is no subscriber's (the coordinator's review copy), with a
	 * note on top of the mailing's messages: the outbox is rebuilt,
	 * SQLite cannot drop a NOT NULL. */
	"CREATE TABLE jobs ("
	"  key TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('newsletter','review',"
	"    'warning','reminder')),"
	"  due INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('done','skipped')),"
	"  mailing_id INTEGER REFERENCES mailings(id) ON DELETE SET NULL,"
	"  event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,"
	"  note TEXT,"
	"  fired_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX jobs_fired ON jobs(fired_at);"
	"CREATE TABLE holds ("
	"  month TEXT PRIMARY KEY,"
	"  created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE events ADD COLUMN published_at INTEGER;"
	"UPDATE events SET published_at = updated_at WHERE status <> 'draft';"
	"ALTER TABLE mailings ADD COLUMN note TEXT;"
	"CREATE TABLE outbox_v6 ("
	"  id INTEGER PRIMARY KEY,"
	"  mailing_id INTEGER NOT NULL REFERENCES mailings(id)"
	"    ON DELETE CASCADE,"
	"  subscriber_id INTEGER REFERENCES subscribers(id)"
	"    ON DELETE CASCADE,"
	"  rcpt TEXT,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',"
	"    'sending','sent','deferred','failed','cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_reply TEXT,"
	"  message_id TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  bounced INTEGER NOT NULL DEFAULT 0,"
	"  CHECK ((subscriber_id IS NULL) <> (rcpt IS NULL)),"
	"  UNIQUE (mailing_id, subscriber_id));"
	"INSERT INTO outbox_v6 (id, mailing_id, subscriber_id, state, attempts,"
	"  next_attempt, last_reply, message_id, created_at, updated_at,"
	"  sent_at, bounced)"
	"  SELECT id, mailing_id, subscriber_id, state, attempts, next_attempt,"
	"  last_reply, message_id, created_at, updated_at, sent_at, bounced"
	"  FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v6 RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(next_attempt, id)"
	"  WHERE state IN ('queued','deferred');"
	"CREATE INDEX outbox_subscriber ON outbox(subscriber_id);",

	/* 7: what the reply reader learns. rsvps: one answer per event,
	 * occurrence ('' = the whole series, else its RECURRENCE-ID as the
	 * reply wrote it) and attendee address; subscriber_id NULL is a
	 * guest (a forwarded invitation answered). bounces: every DSN
	 * matched to a subscriber. inbox_state / inbox_seen: where the reader
	 * is in each mailbox, and the messages it handled (by Message-ID,
	 * with the folder they belong in), so nothing is handled twice, also
	 * after a UIDVALIDITY change. events.full_noticed: the coordinator
	 * was told the event is full. */
	"CREATE TABLE rsvps ("
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  occurrence TEXT NOT NULL DEFAULT '',"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,"
	"  name TEXT,"
	"  partstat TEXT NOT NULL CHECK (partstat IN ('accepted','tentative',"
	"    'declined')),"
	"  sequence INTEGER NOT NULL,"
	"  dtstamp INTEGER NOT NULL,"
	"  comment TEXT,"
	"  received_at INTEGER NOT NULL,"
	"  PRIMARY KEY (event_id, occurrence, email)) WITHOUT ROWID;"
	"CREATE INDEX rsvps_subscriber ON rsvps(subscriber_id);"
	"CREATE TABLE bounces ("
	"  id INTEGER PRIMARY KEY,"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id)"
	"    ON DELETE CASCADE,"
	"  status TEXT NOT NULL,"
	"  permanent INTEGER NOT NULL,"
	"  diagnostic TEXT,"
	"  message_id TEXT,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX bounces_subscriber ON bounces(subscriber_id);"
	"CREATE TABLE inbox_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE inbox_seen ("
	"  message_id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  folder TEXT,"
	"  outcome TEXT NOT NULL,"
	"  handled_at INTEGER NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE events ADD COLUMN full_noticed INTEGER NOT NULL DEFAULT 0;",

	/* 8: a mailing of kind 'notice' is a short mail to the coordinator
	 * (an event is full): its subject is mailings.subject, its text
	 * mailings.note, no templates; one outbox row to a plain address.
	 * The table is rebuilt for the CHECK, as in 4. */
	"CREATE TABLE mailings_v8 ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('newsletter','invitation',"
	"    'update','cancellation','reminder','confirm','welcome',"
	"    'unsubscribed','notice')),"
	"  key TEXT UNIQUE,"
	"  title TEXT NOT NULL,"
	"  event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,"
	"  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN"
	"    ('active','done','blocked','cancelled')),"
	"  year INTEGER, month INTEGER, win_from INTEGER, win_to INTEGER,"
	"  editorial TEXT, subject TEXT, preheader TEXT,"
	"  lead INTEGER,"
	"  languages TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  blocked_reason TEXT,"
	"  note TEXT);"
	"INSERT INTO mailings_v8 (id, kind, key, title, event_id, state, year,"
	"  month, win_from, win_to, editorial, subject, preheader, lead,"
	"  languages, created_at, finished_at, blocked_reason, note)"
	"  SELECT id, kind, key, title, event_id, state, year, month, win_from,"
	"  win_to, editorial, subject, preheader, lead, languages, created_at,"
	"  finished_at, blocked_reason, note FROM mailings;"
	"DROP TABLE mailings;"
	"ALTER TABLE mailings_v8 RENAME TO mailings;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
db_schema_latest(void)
{
	return NMIGRATIONS;
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
exec(struct db *db, const char *sql, char **errstr)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (errstr != NULL)
			*errstr = xasprintf("%s", msg ? msg : db_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Post-migration steps that need C (random salt). */
static int
migrate_fixups(struct db *db, int version, char **errstr)
{
	sqlite3_stmt *st;
	char *salt;
	int rc;

	if (version != 2)
		return 0;
	salt = random_hex(16);
	st = db_stmt(db, "INSERT INTO meta(key, value) "
	    "VALUES ('tombstone_salt', ?)");
	sqlite3_bind_text(st, 1, salt, -1, SQLITE_TRANSIENT);
	rc = db_exec_stmt(db, st, errstr);
	free(salt);
	return rc;
}

/* Fails if a row points to a parent that is not there. */
static int
fk_check(struct db *db, char **errstr)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*errstr = xasprintf("a row of table %s points to a missing "
		    "row of %s", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 2));
	else if (rc != SQLITE_DONE)
		*errstr = xstrdup(db_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_migrate(struct db *db, int to, char **errstr)
{
	int v = db_schema_version(db), next;
	char pragma[64];

	if (to <= 0 || to > NMIGRATIONS)
		to = NMIGRATIONS;
	if (v < 0) {
		*errstr = xasprintf("cannot read schema version: %s",
		    db_errmsg(db));
		return -1;
	}
	if (v > NMIGRATIONS) {
		*errstr = xasprintf("database schema version %d is newer than "
		    "this program (%d); upgrade rundbrief", v, NMIGRATIONS);
		return -1;
	}
	/* Foreign keys off while the schema changes (a rebuilt table must
	 * not cascade), checked before each step commits. */
	if (v < to && exec(db, "PRAGMA foreign_keys = OFF", errstr) < 0)
		return -1;
	for (next = v + 1; next <= to; next++) {
		if (exec(db, "BEGIN IMMEDIATE", errstr) < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    next);
		if (exec(db, migrations[next - 1], errstr) < 0 ||
		    migrate_fixups(db, next, errstr) < 0 ||
		    fk_check(db, errstr) < 0 ||
		    exec(db, pragma, errstr) < 0) {
			char *inner = *errstr;
			*errstr = xasprintf("schema migration to version %d "
			    "failed: %s", next, inner);
			free(inner);
			exec(db, "ROLLBACK", NULL);
			goto fail;
		}
		if (exec(db, "COMMIT", errstr) < 0)
			goto fail;
	}
	return exec(db, "PRAGMA foreign_keys = ON", errstr);
fail:
	exec(db, "PRAGMA foreign_keys = ON", NULL);
	return -1;
}

/* Creates the directories above path (like mkdir -p of its dirname). */
static int
mkdir_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *p;
	int rc = 0;

	if (slash == NULL || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST)
				rc = -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
	return rc;
}

/*
 * SQLite's busy_timeout, with a note when it gives up: the tool then says
 * "try again" (EX_TEMPFAIL) instead of reporting bad data.
 */
static int
on_busy(void *arg, int count)
{
	struct db *db = arg;
	int ms = count < 10 ? 1 + count * 2 : count < 40 ? 25 : 100;
	long waited = count < 10 ? count * (long)count :
	    count < 40 ? 100 + (count - 10) * 25L : 850 + (count - 40) * 100L;

	if (waited >= db->busy_ms) {
		db->gave_up = 1;
		return 0;
	}
	sqlite3_sleep(ms);
	return 1;
}

void
db_set_busy_timeout(struct db *db, int ms)
{
	db->busy_ms = ms;
}

int
db_locked(struct db *db)
{
	int rc;

	if (db == NULL)
		return 0;
	rc = sqlite3_errcode(db->h);
	return db->gave_up || rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int
db_open(const char *path, enum db_open_mode mode, struct db **out,
    char **errstr)
{
	struct db *db;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, v;

	*out = NULL;
	if (mode == DB_OPEN_MIGRATE) {
		flags |= SQLITE_OPEN_CREATE;
		if (mkdir_parent(path) < 0) {
			*errstr = xasprintf("%s: cannot create its directory: %s",
			    path, strerror(errno));
			return -1;
		}
	} else if (access(path, F_OK) < 0) {
		*errstr = xasprintf("%s: no database (create it with: "
		    "rundbrief init)", path);
		return -1;
	}
	db = xcalloc(1, sizeof(*db));
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		*errstr = xasprintf("%s: %s", path, db->h ?
		    sqlite3_errmsg(db->h) : "cannot open");
		sqlite3_close(db->h);
		free(db);
		return -1;
	}
	db->busy_ms = BUSY_MS_DEFAULT;
	sqlite3_busy_handler(db->h, on_busy, db);
	sqlite3_extended_result_codes(db->h, 1);
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL;", errstr) < 0) {
		char *inner = *errstr;
		*errstr = xasprintf("%s: %s", path, inner);
		free(inner);
		db_close(db);
		return -1;
	}
	v = db_schema_version(db);
	if (mode == DB_OPEN_MIGRATE) {
		if (db_migrate(db, 0, errstr) < 0) {
			db_close(db);
			return -1;
		}
	} else if (mode == DB_OPEN_EXISTING && v != NMIGRATIONS) {
		*errstr = v < NMIGRATIONS ?
		    xasprintf("%s: database schema version %d is older than "
		    "%d (upgrade it with: rundbrief init)", path, v, NMIGRATIONS) :
		    xasprintf("%s: database schema version %d is newer than "
		    "this program (%d); upgrade rundbrief", path, v, NMIGRATIONS);
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		fatalx("cannot prepare SQL: %s: %s", db_errmsg(db), sql);
	if (db->ncache == STMT_CACHE) {
		/* full: drop the oldest */
		sqlite3_finalize(db->cache[0].st);
		memmove(db->cache, db->cache + 1,
		    (STMT_CACHE - 1) * sizeof(db->cache[0]));
		db->ncache--;
	}
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache].st = st;
	db->ncache++;
	return st;
}

int
db_exec_stmt(struct db *db, sqlite3_stmt *st, char **errstr)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	if (errstr != NULL)
		*errstr = xstrdup(db_errmsg(db));
	sqlite3_reset(st);
	return -1;
}

static int
tx(struct db *db, const char *sql)
{
	char *err = NULL;

	if (exec(db, sql, &err) < 0) {
		log_warnx("%s: %s", sql, err);
		free(err);
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	if (sqlite3_get_autocommit(db->h)) {
		db->nest = 0;
		return tx(db, "BEGIN IMMEDIATE");
	}
	if (tx(db, "SAVEPOINT nest") < 0)
		return -1;
	db->nest++;
	return 0;
}

int
db_commit(struct db *db)
{
	if (db->nest > 0 && !sqlite3_get_autocommit(db->h)) {
		db->nest--;
		return tx(db, "RELEASE nest");
	}
	db->nest = 0;
	return tx(db, "COMMIT");
}

int
db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h)) {
		db->nest = 0;
		return 0;
	}
	if (db->nest > 0) {
		db->nest--;
		if (tx(db, "ROLLBACK TO nest") < 0)
			return -1;
		return tx(db, "RELEASE nest");
	}
	return tx(db, "ROLLBACK");
}

void
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

const char *
db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

char *
db_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? xstrdup((const char *)t) : NULL;
}
