/* subscriber: subscribers, their districts and topics, tombstones. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "district.h"
#include "lang.h"
#include "log.h"
#include "subscriber.h"
#include "util.h"

int
subscriber_valid_language(const char *s)
{
	return lang_valid(s);
}

int
subscriber_valid_invitations(const char *s)
{
	return strcmp(s, "all") == 0 || strcmp(s, "none") == 0;
}

int
subscriber_valid_email(const char *s)
{
	return strlen(s) <= 254 && config_valid_email(s);
}

static int
valid_text(const char *s, size_t max)
{
	const unsigned char *p;
	size_t n = strlen(s);

	if (n > max || !utf8_valid(s, n))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * A name as people see it in a mail header or greeting: line breaks and tabs
 * (Alt+Enter in a spreadsheet cell) become single spaces. Returns a copy to
 * use instead of f->name, or NULL when the name is fine as it is.
 */
static char *
fold_name(const char *name)
{
	struct buf b;
	const char *p;
	int space = 0;

	if (name == NULL || strpbrk(name, "\r\n\t") == NULL)
		return NULL;
	buf_init(&b);
	for (p = name; *p; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\t' || *p == ' ') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, *p);
	}
	return buf_steal(&b);
}

int
subscriber_check_fields(const char *email, const struct sub_fields *f,
    char **errstr)
{
	size_t i;

	if (email != NULL && !subscriber_valid_email(email)) {
		*errstr = xasprintf("\"%s\" is not a valid e-mail address", email);
		return SUB_ERR_INVALID;
	}
	if (f->name != NULL && !valid_text(f->name, 200)) {
		*errstr = xasprintf("the name must be at most 200 characters "
		    "of UTF-8 text without control characters");
		return SUB_ERR_INVALID;
	}
	if (f->language != NULL && !subscriber_valid_language(f->language)) {
		*errstr = xasprintf("\"%s\" is not an ISO 639-1 language code "
		    "(two letters, e.g. de, en, ar, uk)", f->language);
		return SUB_ERR_INVALID;
	}
	if (f->invitations != NULL &&
	    !subscriber_valid_invitations(f->invitations)) {
		*errstr = xasprintf("\"%s\" is not a choice of invitations "
		    "(all, none)", f->invitations);
		return SUB_ERR_INVALID;
	}
	if (f->set_newsletter && f->newsletter != 0 && f->newsletter != 1) {
		*errstr = xasprintf("the newsletter choice must be yes or no");
		return SUB_ERR_INVALID;
	}
	for (i = 0; f->set_topics && i < f->ntopics; i++)
		if (!valid_text(f->topics[i], 80) || f->topics[i][0] == '\0' ||
		    strchr(f->topics[i], ',') != NULL) {
			*errstr = xasprintf("\"%s\" is not a usable topic "
			    "(1 to 80 characters, no commas)", f->topics[i]);
			return SUB_ERR_INVALID;
		}
	return 0;
}

static void
tombstone_hash(struct db *db, const char *email, char out[65])
{
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT value FROM meta WHERE key = 'tombstone_salt'");
	struct buf b;
	const char *p;

	buf_init(&b);
	if (sqlite3_step(st) == SQLITE_ROW)
		buf_puts(&b, db_col_text(st, 0));
	sqlite3_reset(st);
	buf_putc(&b, ':');
	for (p = email; *p; p++)
		buf_putc(&b, (char)tolower((unsigned char)*p));
	sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

int
subscriber_is_forgotten(struct db *db, const char *email)
{
	char hash[65];
	sqlite3_stmt *st;
	int rc;

	tombstone_hash(db, email, hash);
	st = db_stmt(db, "SELECT 1 FROM tombstones WHERE hash = ?");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
clear_tombstone(struct db *db, const char *email, char **errstr)
{
	char hash[65];
	sqlite3_stmt *st;

	tombstone_hash(db, email, hash);
	st = db_stmt(db, "DELETE FROM tombstones WHERE hash = ?");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	return db_exec_stmt(db, st, errstr);
}

static int64_t
lookup_id(struct db *db, const char *email, char **status)
{
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT id, status FROM subscribers WHERE email = ?");
	int64_t id = 0;

	db_bind_text(st, 1, email);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (status != NULL)
			*status = xstrdup(db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return id;
}

/* Replaces the district set; returns 1 if it changed, 0 if not, <0 error. */
static int
set_districts(struct db *db, int64_t sid, const struct sub_fields *f,
    int create, char **errstr)
{
	int64_t *ids = xcalloc(f->ndistricts + 1, sizeof(*ids));
	sqlite3_stmt *st;
	size_t i, n = 0, j;
	long old = 0, kept = 0;
	int rc = 0;

	for (i = 0; i < f->ndistricts; i++) {
		int64_t id = district_id(db, f->districts[i], create, errstr);
		if (id < 0) {
			rc = SUB_ERR_INVALID;
			goto out;
		}
		if (id == 0) {
			*errstr = xasprintf("unknown district \"%s\" (add it with "
			    "'rundbrief district add', or import with "
			    "--create-districts)", f->districts[i]);
			rc = SUB_ERR_DISTRICT;
			goto out;
		}
		for (j = 0; j < n && ids[j] != id; j++)
			;
		if (j == n)
			ids[n++] = id;
	}
	st = db_stmt(db, "SELECT district_id FROM subscriber_districts "
	    "WHERE subscriber_id = ?");
	sqlite3_bind_int64(st, 1, sid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		old++;
		for (j = 0; j < n; j++)
			if (ids[j] == id)
				kept++;
	}
	sqlite3_reset(st);
	if (old == kept && (size_t)kept == n)
		goto out; /* unchanged */
	st = db_stmt(db, "DELETE FROM subscriber_districts "
	    "WHERE subscriber_id = ?");
	sqlite3_bind_int64(st, 1, sid);
	if (db_exec_stmt(db, st, errstr) < 0) {
		rc = SUB_ERR_DB;
		goto out;
	}
	for (j = 0; j < n; j++) {
		st = db_stmt(db, "INSERT INTO subscriber_districts"
		    "(subscriber_id, district_id) VALUES (?, ?)");
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, ids[j]);
		if (db_exec_stmt(db, st, errstr) < 0) {
			rc = SUB_ERR_DB;
			goto out;
		}
	}
	rc = 1;
out:
	free(ids);
	return rc;
}

/* 1 if topics a and b are the same but for case. */
static int
same_topic(const char *a, const char *b)
{
	char *x[1], *y[1];

	x[0] = (char *)a;
	y[0] = (char *)b;
	return subscriber_topics_meet(x, 1, y, 1);
}

/* 1 if f->topics[i] repeats one before it. */
static int
repeated_topic(const struct sub_fields *f, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (same_topic(f->topics[i], f->topics[j]))
			return 1;
	return 0;
}

/* Replaces the topic set (topics compare as subscriber_topics_meet()
 * does; of two spellings of one topic the first is kept); returns 1 if it
 * changed, 0 if not, <0 error. */
static int
set_topics(struct db *db, int64_t sid, const struct sub_fields *f,
    char **errstr)
{
	sqlite3_stmt *st;
	size_t i;
	long old = 0, kept = 0, n = 0;

	st = db_stmt(db, "SELECT topic FROM subscriber_topics "
	    "WHERE subscriber_id = ?");
	sqlite3_bind_int64(st, 1, sid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = db_col_text(st, 0);
		old++;
		for (i = 0; i < f->ntopics; i++)
			if (same_topic(t, f->topics[i])) {
				kept++;
				break;
			}
	}
	sqlite3_reset(st);
	for (i = 0; i < f->ntopics; i++)
		n += !repeated_topic(f, i);
	if (old == kept && kept == n)
		return 0;
	st = db_stmt(db, "DELETE FROM subscriber_topics WHERE subscriber_id = ?");
	sqlite3_bind_int64(st, 1, sid);
	if (db_exec_stmt(db, st, errstr) < 0)
		return SUB_ERR_DB;
	for (i = 0; i < f->ntopics; i++) {
		if (repeated_topic(f, i))
			continue;
		st = db_stmt(db, "INSERT INTO subscriber_topics"
		    "(subscriber_id, topic) VALUES (?, ?)");
		sqlite3_bind_int64(st, 1, sid);
		db_bind_text(st, 2, f->topics[i]);
		if (db_exec_stmt(db, st, errstr) < 0)
			return SUB_ERR_DB;
	}
	return 1;
}

/* Applies name/language/sets to sid; returns 1 changed, 0 not, <0 error. */
static int
apply_fields(struct db *db, int64_t sid, const struct sub_fields *f,
    int create, char **errstr)
{
	sqlite3_stmt *st;
	int changed = 0, rc;

	if (f->name != NULL || f->language != NULL) {
		st = db_stmt(db, "UPDATE subscribers SET"
		    " name = coalesce(?2, name), language = coalesce(?3, language)"
		    " WHERE id = ?1 AND (name IS NOT coalesce(?2, name)"
		    " OR language IS NOT coalesce(?3, language))");
		sqlite3_bind_int64(st, 1, sid);
		db_bind_text(st, 2, f->name);
		db_bind_text(st, 3, f->language);
		if (db_exec_stmt(db, st, errstr) < 0)
			return SUB_ERR_DB;
		changed |= sqlite3_changes(db_handle(db)) > 0;
	}
	if (f->set_newsletter || f->invitations != NULL) {
		st = db_stmt(db, "UPDATE subscribers SET"
		    " newsletter = coalesce(?2, newsletter),"
		    " invitations = coalesce(?3, invitations)"
		    " WHERE id = ?1 AND (newsletter IS NOT coalesce(?2, newsletter)"
		    " OR invitations IS NOT coalesce(?3, invitations))");
		sqlite3_bind_int64(st, 1, sid);
		if (f->set_newsletter)
			sqlite3_bind_int(st, 2, f->newsletter);
		else
			sqlite3_bind_null(st, 2);
		db_bind_text(st, 3, f->invitations);
		if (db_exec_stmt(db, st, errstr) < 0)
			return SUB_ERR_DB;
		changed |= sqlite3_changes(db_handle(db)) > 0;
	}
	if (f->set_districts) {
		rc = set_districts(db, sid, f, create, errstr);
		if (rc < 0)
			return rc;
		changed |= rc;
	}
	if (f->set_topics) {
		rc = set_topics(db, sid, f, errstr);
		if (rc < 0)
			return rc;
		changed |= rc;
	}
	if (changed) {
		st = db_stmt(db, "UPDATE subscribers SET updated_at = ? "
		    "WHERE id = ?");
		sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
		sqlite3_bind_int64(st, 2, sid);
		if (db_exec_stmt(db, st, errstr) < 0)
			return SUB_ERR_DB;
	}
	return changed;
}

/* Every change runs on a savepoint, so a failing call leaves nothing
 * half-written (also inside a caller's transaction, e.g. an import). */
static void
savepoint(struct db *db)
{
	db_exec_stmt(db, db_stmt(db, "SAVEPOINT sub"), NULL);
}

/* Ends the savepoint: kept when rc >= 0, rolled back otherwise. */
static int
in_savepoint(struct db *db, int rc)
{
	if (rc < 0)
		db_exec_stmt(db, db_stmt(db, "ROLLBACK TO sub"), NULL);
	db_exec_stmt(db, db_stmt(db, "RELEASE sub"), NULL);
	return rc;
}

static int
insert_new(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create, int forgotten,
    char **errstr)
{
	sqlite3_stmt *st;
	char *token = random_hex(16);
	int64_t now = (int64_t)time(NULL), sid;
	int rc;

	st = db_stmt(db, "INSERT INTO subscribers(email, name, language, status,"
	    " consent_source, consent_at, token, created_at, updated_at,"
	    " newsletter, invitations)"
	    " VALUES (?, coalesce(?, ''), coalesce(?, ?, 'de'), ?, ?, ?, ?, ?, ?,"
	    " ?, coalesce(?, 'all'))");
	db_bind_text(st, 1, email);
	db_bind_text(st, 2, f->name);
	db_bind_text(st, 3, f->language);
	db_bind_text(st, 4, f->default_language);
	db_bind_text(st, 5, confirmed ? "active" : "pending");
	db_bind_text(st, 6, confirmed ? consent_source : NULL);
	if (confirmed)
		sqlite3_bind_int64(st, 7, now);
	else
		sqlite3_bind_null(st, 7);
	db_bind_text(st, 8, token);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int(st, 11, f->set_newsletter ? f->newsletter : 1);
	db_bind_text(st, 12, f->invitations);
	free(token);
	if (db_exec_stmt(db, st, errstr) < 0)
		return SUB_ERR_DB;
	sid = sqlite3_last_insert_rowid(db_handle(db));
	if (f->set_districts &&
	    (rc = set_districts(db, sid, f, create, errstr)) < 0)
		return rc;
	if (f->set_topics && (rc = set_topics(db, sid, f, errstr)) < 0)
		return rc;
	if (forgotten && clear_tombstone(db, email, errstr) < 0)
		return SUB_ERR_DB;
	return SUB_ADDED;
}

static int add_folded(struct db *db, const char *email,
    const struct sub_fields *f, int confirmed, const char *consent_source,
    int create_districts, char **errstr);
static int upsert_folded(struct db *db, const char *email,
    const struct sub_fields *f, int confirmed, const char *consent_source,
    int create_districts, char **errstr);
static int update_folded(struct db *db, const char *email,
    const struct sub_fields *f, int create_districts, char **errstr);

/* Calls fn with f, its name folded onto one line if needed. */
#define WITH_FOLDED_NAME(call) do {					\
	struct sub_fields ff = *f;					\
	char *folded = fold_name(f->name);				\
	int rc_;							\
	if (folded != NULL)						\
		ff.name = folded;					\
	f = &ff;							\
	rc_ = (call);							\
	free(folded);							\
	return rc_;							\
} while (0)

int
subscriber_add(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create_districts,
    char **errstr)
{
	WITH_FOLDED_NAME(add_folded(db, email, f, confirmed, consent_source,
	    create_districts, errstr));
}

int
subscriber_upsert(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create_districts,
    char **errstr)
{
	WITH_FOLDED_NAME(upsert_folded(db, email, f, confirmed, consent_source,
	    create_districts, errstr));
}

int
subscriber_update(struct db *db, const char *email, const struct sub_fields *f,
    int create_districts, char **errstr)
{
	WITH_FOLDED_NAME(update_folded(db, email, f, create_districts, errstr));
}

static int
add_folded(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create_districts,
    char **errstr)
{
	char *status = NULL;
	int rc;

	if ((rc = subscriber_check_fields(email, f, errstr)) < 0)
		return rc;
	if (lookup_id(db, email, &status) > 0) {
		*errstr = xasprintf("%s is already a subscriber (status %s); "
		    "change it with 'rundbrief subscriber set'", email, status);
		free(status);
		return SUB_ERR_EXISTS;
	}
	rc = subscriber_is_forgotten(db, email);
	if (rc < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return SUB_ERR_DB;
	}
	if (rc == 1 && !confirmed) {
		*errstr = xasprintf("%s asked to be forgotten; add them again "
		    "only with their new consent, using --confirmed", email);
		return SUB_ERR_FORGOTTEN;
	}
	savepoint(db);
	rc = insert_new(db, email, f, confirmed, consent_source,
	    create_districts, rc == 1, errstr);
	return in_savepoint(db, rc);
}

static int
upsert_folded(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create_districts,
    char **errstr)
{
	char *status = NULL;
	int64_t sid;
	int rc, changed;
	sqlite3_stmt *st;

	if ((rc = subscriber_check_fields(email, f, errstr)) < 0)
		return rc;
	sid = lookup_id(db, email, &status);
	if (sid == 0) {
		rc = subscriber_is_forgotten(db, email);
		if (rc == 1) {
			*errstr = xasprintf("%s asked to be forgotten; skipped "
			    "(add them again only with their new consent: "
			    "rundbrief subscriber add %s --confirmed)", email,
			    email);
			return SUB_ERR_FORGOTTEN;
		}
		savepoint(db);
		rc = insert_new(db, email, f, confirmed, consent_source,
		    create_districts, 0, errstr);
		return in_savepoint(db, rc);
	}
	if (strcmp(status, "unsubscribed") == 0 ||
	    strcmp(status, "bounced") == 0) {
		free(status);
		return SUB_SKIPPED;
	}
	savepoint(db);
	changed = apply_fields(db, sid, f, create_districts, errstr);
	if (changed >= 0 && confirmed && strcmp(status, "pending") == 0) {
		st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
		    " consent_source = ?, consent_at = ?, updated_at = ?"
		    " WHERE id = ?");
		db_bind_text(st, 1, consent_source);
		sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
		sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
		sqlite3_bind_int64(st, 4, sid);
		changed = db_exec_stmt(db, st, errstr) < 0 ? SUB_ERR_DB : 1;
	}
	free(status);
	if (changed < 0)
		return in_savepoint(db, changed);
	return in_savepoint(db, changed ? SUB_UPDATED : SUB_UNCHANGED);
}

static int
update_folded(struct db *db, const char *email, const struct sub_fields *f,
    int create_districts, char **errstr)
{
	int64_t sid;
	int rc;

	if ((rc = subscriber_check_fields(NULL, f, errstr)) < 0)
		return rc;
	sid = lookup_id(db, email, NULL);
	if (sid == 0) {
		*errstr = xasprintf("no subscriber %s", email);
		return SUB_ERR_NOTFOUND;
	}
	savepoint(db);
	rc = apply_fields(db, sid, f, create_districts, errstr);
	if (rc < 0)
		return in_savepoint(db, rc);
	return in_savepoint(db, rc ? SUB_UPDATED : SUB_UNCHANGED);
}

int
subscriber_status(struct db *db, const char *email, char **status)
{
	return lookup_id(db, email, status) > 0;
}

int
subscriber_count(struct db *db, struct subscriber_counts *c)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT status, count(*) FROM subscribers"
	    " GROUP BY status");
	const char *status;
	long n;
	int rc;

	memset(c, 0, sizeof(*c));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		status = db_col_text(st, 0);
		n = (long)sqlite3_column_int64(st, 1);
		if (!strcmp(status, "pending")) c->pending = n;
		else if (!strcmp(status, "active")) c->active = n;
		else if (!strcmp(status, "unsubscribed")) c->unsubscribed = n;
		else if (!strcmp(status, "bounced")) c->bounced = n;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
subscriber_set_status(struct db *db, const char *email, const char *status,
    const char *consent_source, char **errstr)
{
	sqlite3_stmt *st;
	char *old = NULL;
	int64_t sid, now = (int64_t)time(NULL);
	int rc;

	if (strcmp(status, "pending") && strcmp(status, "active") &&
	    strcmp(status, "unsubscribed") && strcmp(status, "bounced")) {
		*errstr = xasprintf("\"%s\" is not a status (pending, active, "
		    "unsubscribed, bounced)", status);
		return SUB_ERR_INVALID;
	}
	sid = lookup_id(db, email, &old);
	if (sid == 0) {
		*errstr = xasprintf("no subscriber %s", email);
		return SUB_ERR_NOTFOUND;
	}
	if (strcmp(old, status) == 0) {
		free(old);
		return SUB_UNCHANGED;
	}
	free(old);
	if (strcmp(status, "active") == 0 && consent_source == NULL) {
		*errstr = xasprintf("making %s active needs their consent: "
		    "add --confirmed", email);
		return SUB_ERR_INVALID;
	}
	if (strcmp(status, "active") == 0) {
		st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
		    " consent_source = ?, consent_at = ?, updated_at = ?,"
		    " bounces = 0 WHERE id = ?");
		db_bind_text(st, 1, consent_source);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, sid);
	} else {
		st = db_stmt(db, "UPDATE subscribers SET status = ?,"
		    " updated_at = ? WHERE id = ?");
		db_bind_text(st, 1, status);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, sid);
	}
	rc = db_exec_stmt(db, st, errstr);
	return rc < 0 ? SUB_ERR_DB : SUB_UPDATED;
}

int
subscriber_user_unknown(const char *s)
{
	if (s == NULL)
		return 0;
	/* an SMTP reply: "550 5.1.1 …" or "550-5.1.1 …" */
	if (strlen(s) > 4 && s[0] == '5' && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && (s[3] == ' ' || s[3] == '-'))
		s += 4;
	return strncmp(s, "5.1.1", 5) == 0 && !isdigit((unsigned char)s[5]);
}

int
subscriber_bounce(struct db *db, int64_t id, int at_once, int limit,
    time_t now, char **errstr)
{
	sqlite3_stmt *st;
	int was = 0, is = 0;

	st = db_stmt(db, "SELECT status = 'bounced' FROM subscribers"
	    " WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		was = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	st = db_stmt(db, "UPDATE subscribers SET bounces = bounces + 1,"
	    " status = CASE WHEN status IN ('active','pending')"
	    "  AND (?1 OR bounces + 1 >= ?2) THEN 'bounced' ELSE status END,"
	    " updated_at = ?3 WHERE id = ?4");
	sqlite3_bind_int(st, 1, at_once != 0);
	sqlite3_bind_int(st, 2, limit < 1 ? 1 : limit);
	sqlite3_bind_int64(st, 3, (int64_t)now);
	sqlite3_bind_int64(st, 4, id);
	if (db_exec_stmt(db, st, errstr) < 0)
		return SUB_ERR_DB;
	st = db_stmt(db, "SELECT status = 'bounced' FROM subscribers"
	    " WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		is = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return !was && is;
}

int
subscriber_bounce_record(struct db *db, int64_t id, const char *status,
    int permanent, const char *diagnostic, const char *message_id,
    time_t now, char **errstr)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO bounces(subscriber_id,"
	    " status, permanent, diagnostic, message_id, received_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, status ? status : "");
	sqlite3_bind_int(st, 3, permanent != 0);
	db_bind_text(st, 4, diagnostic);
	db_bind_text(st, 5, message_id);
	sqlite3_bind_int64(st, 6, (int64_t)now);
	return db_exec_stmt(db, st, errstr) < 0 ? SUB_ERR_DB : 0;
}

/* The enhanced status code of an SMTP reply ("550 5.1.1 …" -> "5.1.1"),
 * else its reply code ("554"). */
static void
reply_status(const char *reply, char out[16])
{
	size_t n = 0;

	out[0] = '\0';
	if (reply == NULL || strlen(reply) < 3)
		return;
	if (reply[3] == ' ' || reply[3] == '-')
		n = strspn(reply + 4, "0123456789.");
	if (n >= 5 && n < 16 && reply[4] >= '2' && reply[4] <= '5' &&
	    reply[5] == '.')
		snprintf(out, 16, "%.*s", (int)n, reply + 4);
	else
		snprintf(out, 16, "%.3s", reply);
}

int
subscriber_bounces_each(struct db *db, int64_t id,
    void (*fn)(void *arg, const struct subscriber_bounce_info *b), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT received_at, 'dsn', status,"
	    " permanent, diagnostic, message_id FROM bounces"
	    " WHERE subscriber_id = ?1"
	    " UNION ALL SELECT o.updated_at, 'smtp', NULL, 1, o.last_reply,"
	    " NULL FROM outbox o WHERE o.subscriber_id = ?1 AND o.bounced = 1"
	    " AND o.state = 'failed' ORDER BY 1, 2");
	struct subscriber_bounce_info b;
	char code[16];
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		b.when = (time_t)sqlite3_column_int64(st, 0);
		b.source = db_col_text(st, 1);
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			reply_status(db_col_text(st, 4), code);
			b.status = code;
		} else
			b.status = db_col_text(st, 2);
		b.permanent = sqlite3_column_int(st, 3);
		b.diagnostic = sqlite3_column_type(st, 4) == SQLITE_NULL ?
		    NULL : db_col_text(st, 4);
		b.message_id = sqlite3_column_type(st, 5) == SQLITE_NULL ?
		    NULL : db_col_text(st, 5);
		fn(arg, &b);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
subscriber_get_token(struct db *db, const char *token, struct subscriber **out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT email FROM subscribers"
	    " WHERE token = ?");
	char *email = NULL;
	int rc;

	db_bind_text(st, 1, token);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		email = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	if (email == NULL)
		return rc == SQLITE_DONE ? SUB_ERR_NOTFOUND : SUB_ERR_DB;
	rc = subscriber_get(db, email, out);
	free(email);
	return rc;
}

int
subscriber_set_status_at(struct db *db, int64_t id, const char *status,
    const char *consent_source, time_t now, char **errstr)
{
	sqlite3_stmt *st;

	if (strcmp(status, "active") == 0) {
		st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
		    " consent_source = ?1, consent_at = ?2, updated_at = ?2,"
		    " bounces = 0 WHERE id = ?3");
		db_bind_text(st, 1, consent_source);
	} else if (strcmp(status, "pending") == 0) {
		/* a new request: whatever consent there was is not this one */
		st = db_stmt(db, "UPDATE subscribers SET status = 'pending',"
		    " consent_source = ?1, consent_at = NULL, updated_at = ?2,"
		    " bounces = 0 WHERE id = ?3");
		db_bind_text(st, 1, consent_source);
	} else {
		st = db_stmt(db, "UPDATE subscribers SET status = ?1,"
		    " updated_at = ?2 WHERE id = ?3");
		db_bind_text(st, 1, status);
	}
	sqlite3_bind_int64(st, 2, (int64_t)now);
	sqlite3_bind_int64(st, 3, id);
	return db_exec_stmt(db, st, errstr) < 0 ? SUB_ERR_DB : SUB_UPDATED;
}

long
subscriber_expire_pending(struct db *db, time_t before)
{
	/* pending since: its creation, or the last confirmation mail sent
	 * to it (a request made again) */
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM subscribers"
	    " WHERE status = 'pending' AND consent_at IS NULL"
	    " AND created_at < ?1 AND NOT EXISTS (SELECT 1 FROM outbox o"
	    "  JOIN mailings m ON m.id = o.mailing_id"
	    "  WHERE o.subscriber_id = subscribers.id AND m.kind = 'confirm'"
	    "  AND o.created_at >= ?1)");

	sqlite3_bind_int64(st, 1, (int64_t)before);
	if (db_exec_stmt(db, st, NULL) < 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

int
subscriber_forget(struct db *db, const char *email, char **errstr)
{
	sqlite3_stmt *st;
	char hash[65];
	int64_t sid;

	sid = lookup_id(db, email, NULL);
	if (sid == 0) {
		*errstr = xasprintf("no subscriber %s", email);
		return SUB_ERR_NOTFOUND;
	}
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return SUB_ERR_DB;
	}
	tombstone_hash(db, email, hash);
	st = db_stmt(db, "INSERT OR REPLACE INTO tombstones(hash, forgotten_at)"
	    " VALUES (?, ?)");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (db_exec_stmt(db, st, errstr) < 0)
		goto fail;
	/* districts and topics go with ON DELETE CASCADE */
	st = db_stmt(db, "DELETE FROM subscribers WHERE id = ?");
	sqlite3_bind_int64(st, 1, sid);
	if (db_exec_stmt(db, st, errstr) < 0)
		goto fail;
	if (db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	return 0;
fail:
	db_rollback(db);
	return SUB_ERR_DB;
}

int
subscriber_topics_meet(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i, j;
	int met = 0;

	for (i = 0; i < na && !met; i++) {
		char *x = utf8_fold(a[i]);
		for (j = 0; j < nb && !met; j++) {
			char *y = utf8_fold(b[j]);
			met = strcmp(x, y) == 0;
			free(y);
		}
		free(x);
	}
	return met;
}

int
subscriber_topic_known(struct db *db, const char *topic)
{
	/* NOCASE folds ASCII only: compare the few distinct topics here */
	sqlite3_stmt *st = db_stmt(db, "SELECT DISTINCT topic"
	    " FROM subscriber_topics");
	char *want[1];
	int rc, known = 0;

	want[0] = (char *)topic;
	while (!known && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *have[1];
		have[0] = (char *)db_col_text(st, 0);
		known = subscriber_topics_meet(want, 1, have, 1);
	}
	sqlite3_reset(st);
	return known ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static size_t
split_list(const char *s, char ***out)
{
	size_t n = 0;
	const char *p = s, *e;

	*out = NULL;
	if (*s == '\0')
		return 0;
	for (;;) {
		e = strchr(p, '\x1f');
		*out = xrealloc(*out, (n + 1) * sizeof(char *));
		(*out)[n++] = e ? xstrndup(p, (size_t)(e - p)) : xstrdup(p);
		if (e == NULL)
			break;
		p = e + 1;
	}
	return n;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

#define SUB_COLUMNS \
	"s.id, s.email, s.name, s.language, s.status, s.consent_source," \
	" s.consent_at, s.token, s.bounces, s.created_at, s.updated_at," \
	" (SELECT group_concat(name, char(31)) FROM (SELECT d.name FROM" \
	"   subscriber_districts sd JOIN districts d ON d.id = sd.district_id" \
	"   WHERE sd.subscriber_id = s.id ORDER BY d.name))," \
	" (SELECT group_concat(topic, char(31)) FROM (SELECT topic FROM" \
	"   subscriber_topics WHERE subscriber_id = s.id ORDER BY topic))," \
	" s.newsletter, s.invitations"

static void
fill(sqlite3_stmt *st, struct subscriber *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->email = xstrdup(db_col_text(st, 1));
	s->name = xstrdup(db_col_text(st, 2));
	s->language = xstrdup(db_col_text(st, 3));
	s->status = xstrdup(db_col_text(st, 4));
	s->consent_source = db_col_strdup(st, 5);
	s->consent_at = (time_t)sqlite3_column_int64(st, 6);
	s->token = xstrdup(db_col_text(st, 7));
	s->bounces = sqlite3_column_int(st, 8);
	s->created_at = (time_t)sqlite3_column_int64(st, 9);
	s->updated_at = (time_t)sqlite3_column_int64(st, 10);
	s->ndistricts = split_list(db_col_text(st, 11), &s->districts);
	s->ntopics = split_list(db_col_text(st, 12), &s->topics);
	s->newsletter = sqlite3_column_int(st, 13);
	s->invitations = xstrdup(db_col_text(st, 14));
}

static void
clear(struct subscriber *s)
{
	free(s->email);
	free(s->name);
	free(s->language);
	free(s->status);
	free(s->consent_source);
	free(s->token);
	free(s->invitations);
	free_list(s->districts, s->ndistricts);
	free_list(s->topics, s->ntopics);
}

void
subscriber_free(struct subscriber *s)
{
	if (s == NULL)
		return;
	clear(s);
	free(s);
}

int
subscriber_get(struct db *db, const char *email, struct subscriber **out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " SUB_COLUMNS
	    " FROM subscribers s WHERE s.email = ?");
	int rc;

	db_bind_text(st, 1, email);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = xcalloc(1, sizeof(**out));
		fill(st, *out);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? SUB_ERR_NOTFOUND :
	    SUB_ERR_DB;
}

int
subscriber_each(struct db *db, const char *status, const char *district,
    int (*fn)(void *arg, const struct subscriber *s), void *arg)
{
	sqlite3_stmt *st;
	struct subscriber s;
	int rc, stop = 0;

	/* Not cached: fn may use other statements (and even this query). */
	if (sqlite3_prepare_v2(db_handle(db), "SELECT " SUB_COLUMNS
	    " FROM subscribers s WHERE (?1 IS NULL OR s.status = ?1)"
	    " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM subscriber_districts sd"
	    "  JOIN districts d ON d.id = sd.district_id"
	    "  WHERE sd.subscriber_id = s.id AND d.name = ?2))"
	    " ORDER BY s.email", -1, &st, NULL) != SQLITE_OK)
		return -1;
	db_bind_text(st, 1, status);
	db_bind_text(st, 2, district);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&s, 0, sizeof(s));
		fill(st, &s);
		stop = fn(arg, &s);
		clear(&s);
	}
	sqlite3_finalize(st);
	return stop || rc == SQLITE_DONE ? 0 : -1;
}
