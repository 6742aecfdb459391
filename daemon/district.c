/* district: the district table. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "district.h"
#include "util.h"

static int
valid_name(const char *name)
{
	const unsigned char *p;
	size_t n = strlen(name);

	if (n == 0 || n > 80 || !utf8_valid(name, n))
		return 0;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ',')
			return 0;
	return 1;
}

int64_t
district_id(struct db *db, const char *name, int create, char **errstr)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (!valid_name(name)) {
		*errstr = xasprintf("\"%s\" is not a usable district name "
		    "(1 to 80 characters, no commas or control characters)",
		    name);
		return -1;
	}
	st = db_stmt(db, "SELECT id FROM districts WHERE name = ?");
	db_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (id > 0 || !create)
		return id;
	st = db_stmt(db, "INSERT INTO districts(name, created_at) VALUES (?, ?)");
	db_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	return sqlite3_last_insert_rowid(db_handle(db));
}

int
district_add(struct db *db, const char *name, char **errstr)
{
	int64_t id = district_id(db, name, 0, errstr);

	if (id < 0)
		return -1;
	if (id > 0)
		return 0;
	return district_id(db, name, 1, errstr) > 0 ? 1 : -1;
}

int
district_list(struct db *db, void (*fn)(void *arg, int64_t id,
    const char *name, long subscribers, long events), void *arg)
{
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT d.id, d.name,"
	    " (SELECT count(*) FROM subscriber_districts sd JOIN subscribers s"
	    "   ON s.id = sd.subscriber_id WHERE sd.district_id = d.id"
	    "   AND s.status = 'active'),"
	    " (SELECT count(*) FROM events e WHERE e.district_id = d.id"
	    "   AND e.status = 'published')"
	    " FROM districts d ORDER BY d.name");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(st, 0), db_col_text(st, 1),
		    (long)sqlite3_column_int64(st, 2),
		    (long)sqlite3_column_int64(st, 3));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
