/*
 * db: the SQLite database — opening, pragmas, the versioned schema
 * (PRAGMA user_version), transactions and a cache of prepared statements.
 *
 * The schema lives here in one place: migrations[] in db.c. Modules that own
 * tables (subscriber, event, outbox) use db_stmt() with bound parameters;
 * no SQL is ever built from data.
 */
#ifndef RUNDBRIEF_DB_H
#define RUNDBRIEF_DB_H

#include <sqlite3.h>

struct db;

enum db_open_mode {
	DB_OPEN_EXISTING,  /* fail unless the database exists at the current
			      schema version */
	DB_OPEN_MIGRATE,   /* create or upgrade as needed */
	DB_OPEN_ANY        /* an existing database at whatever version (for
			      inspection and tests; see db_migrate) */
};

/*
 * Opens the database at path (creating its directory for DB_OPEN_MIGRATE),
 * sets WAL, foreign keys and busy_timeout. Returns 0, or -1 with *errstr
 * (caller frees) saying what to do, e.g. "run: rundbrief init".
 */
int db_open(const char *path, enum db_open_mode mode, struct db **out,
    char **errstr);
void db_close(struct db *db);

/* The schema version this program writes. */
int db_schema_latest(void);
/* The database's current PRAGMA user_version. */
int db_schema_version(struct db *db);
/* Upgrades to version `to` (tests use it to build old schemas; to = 0 means
 * latest). Each step runs in its own transaction. Returns 0 or -1. */
int db_migrate(struct db *db, int to, char **errstr);

sqlite3 *db_handle(struct db *db);

/*
 * A prepared statement for sql, cached by the address of the string, so
 * pass string literals. The statement is reset and its bindings cleared.
 * Fatal if the SQL does not prepare (a programming error).
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0 or -1 (logged). Inside a
 * transaction they nest as savepoints: an inner commit keeps its changes
 * for the outer transaction, an inner rollback undoes only its own.
 */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* Executes a statement from db_stmt() that returns no rows.
 * Returns 0, or -1 with *errstr when errstr is not NULL. */
int db_exec_stmt(struct db *db, sqlite3_stmt *st, char **errstr);

/* How long a statement waits for another process's lock before it
 * fails (default 5 s). */
void db_set_busy_timeout(struct db *db, int ms);

/* 1 if a statement failed because another process held the database
 * locked for longer than the busy timeout (sticky), else 0. NULL: 0. */
int db_locked(struct db *db);

/* The last error message of the connection. */
const char *db_errmsg(struct db *db);

/* Binds a C string or NULL (as SQL NULL). */
void db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Column text as a C string, "" for NULL (valid until the next step). */
const char *db_col_text(sqlite3_stmt *st, int col);
/* Column text, NULL for SQL NULL; caller frees. */
char *db_col_strdup(sqlite3_stmt *st, int col);

#endif
