/*
 * output: what the command-line tool prints — aligned tables for people,
 * TSV and JSON for scripts.
 *
 * A command declares its columns once, each with a type; the type decides
 * how a cell is written in each format, so every JSON output has numbers
 * for counts and ids, true/false, null for "none", arrays for lists and
 * ISO 8601 UTC times, while tables and TSV stay readable.
 */
#ifndef RUNDBRIEF_OUTPUT_H
#define RUNDBRIEF_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

enum out_format {
	OUT_TABLE,
	OUT_TSV,
	OUT_JSON
};

/* "table", "tsv" or "json" -> 0 and *f; -1 otherwise. */
int out_parse_format(const char *s, enum out_format *f);

/* What a column holds; how tables and TSV show it / how JSON does. */
enum col_type {
	COL_TEXT,       /* the text / a string */
	COL_INT,        /* digits / a number */
	COL_BOOL,       /* "yes" or "no" / true or false */
	COL_TIME,       /* "YYYY-MM-DD HH:MM" local / "YYYY-MM-DDTHH:MM:SSZ" */
	COL_LIST,       /* "a, b" / an array of strings */
	COL_JSON        /* (nothing) / JSON text as it is (nested records) */
};

/* Formats a column is left out of (struct column .hide). */
#define COL_NO_TABLE    (1u << OUT_TABLE)
#define COL_NO_TSV      (1u << OUT_TSV)
#define COL_NO_JSON     (1u << OUT_JSON)
#define COL_JSON_ONLY   (COL_NO_TABLE | COL_NO_TSV)

struct column {
	const char *name;       /* the JSON key; upper-cased as table header */
	enum col_type type;
	unsigned hide;          /* COL_NO_* */
	const char *none;       /* a null cell in tables and TSV ("" if NULL) */
};

/* The number of columns in a static array of them. */
#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/*
 * One value. Make it with a cell_*() function; its type must match the
 * column's (a mismatch is a programming error and fatal). A null cell is
 * JSON null in any column. Strings are borrowed, not copied.
 */
struct cell {
	enum col_type type;
	int null;
	const char *s;          /* COL_TEXT, COL_JSON */
	long long i;            /* COL_INT, COL_BOOL */
	time_t t;               /* COL_TIME */
	char *const *v;         /* COL_LIST */
	size_t n;
};

struct cell cell_text(const char *s);           /* NULL: null */
struct cell cell_int(long long i);
struct cell cell_bool(int b);
struct cell cell_time(time_t t);                /* 0: null */
struct cell cell_list(char *const *v, size_t n);
struct cell cell_json(const char *json);
struct cell cell_null(void);

struct table;

/*
 * A table of records with the n columns cols (which must outlive it),
 * written to fp. tz is the time zone of COL_TIME cells in tables and TSV
 * (NULL: UTC). JSON is an array of objects, TSV a header line and one
 * line per record, both written as they come; an aligned table is
 * buffered to measure its columns.
 */
struct table *table_new(FILE *fp, enum out_format f, const char *tz,
    const struct column *cols, size_t n);
/* One record: a cell for each of the table's columns, hidden ones too. */
void table_row(struct table *t, const struct cell *cells);
/* The number of records given to table_row() so far. */
long table_rows(const struct table *t);
/* Writes what is buffered and frees the table. */
void table_end(struct table *t);

/*
 * One record on its own (a `show` command): a JSON object, or a two-column
 * FIELD/VALUE table (TSV: field<TAB>value lines) with one line per column.
 */
void table_record(FILE *fp, enum out_format f, const char *tz,
    const struct column *cols, size_t n, const struct cell *cells);

/*
 * Appends one record as a JSON object to b: on one line, or with one
 * member per line indented by indent spaces (the closing brace by
 * indent - 2).
 */
void json_record(struct buf *b, const struct column *cols, size_t n,
    const struct cell *cells, int indent);

/* Display width of UTF-8 text (code points; control characters count 0). */
size_t utf8_width(const char *s);

#endif
