/*
 * output: what the command-line tool prints — aligned tables for people,
 * TSV and JSON for scripts.
 */
#ifndef RUNDBRIEF_OUTPUT_H
#define RUNDBRIEF_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

enum out_format {
	OUT_TABLE,
	OUT_TSV,
	OUT_JSON
};

/* "table", "tsv" or "json" -> 0 and *f; -1 otherwise. */
int out_parse_format(const char *s, enum out_format *f);

struct table;

/*
 * A table with n named columns written to fp. TSV and JSON rows are
 * written as they come (JSON: an array of objects keyed by column name);
 * an aligned table is buffered to measure its columns.
 */
struct table *table_new(FILE *fp, enum out_format f, const char *const *cols,
    size_t n);
/* One row of n cells (NULL prints as empty / JSON null). */
void table_row(struct table *t, const char *const *cells);
/* Writes what is buffered and frees the table. */
void table_end(struct table *t);

/* Appends s as a JSON string literal (quoted, escaped) to b. */
void json_str(struct buf *b, const char *s);

/* Display width of UTF-8 text (code points; control characters count 0). */
size_t utf8_width(const char *s);

#endif
