/*
 * Unit tests for output: typed columns as JSON (parsed back with json-c),
 * TSV and aligned tables, hidden columns, records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "ical.h"
#include "output.h"
#include "util.h"

/* 2026-12-03 17:00:00 UTC = 18:00 in Berlin */
#define T0 ((time_t)1796317200)

enum { C_ID, C_NAME, C_ON, C_AT, C_TAGS, C_CAP, C_RAW, C_SECRET, NCOLS };

static const struct column cols[NCOLS] = {
	[C_ID] = { "id", COL_INT, 0, NULL },
	[C_NAME] = { "name", COL_TEXT, 0, "(none)" },
	[C_ON] = { "on", COL_BOOL, 0, NULL },
	[C_AT] = { "at", COL_TIME, 0, NULL },
	[C_TAGS] = { "tags", COL_LIST, 0, NULL },
	[C_CAP] = { "capacity", COL_INT, 0, "unlimited" },
	[C_RAW] = { "raw", COL_JSON, COL_JSON_ONLY, NULL },
	[C_SECRET] = { "secret", COL_TEXT, COL_NO_JSON | COL_NO_TSV, NULL },
};

static char *tags[] = { "a\"b", "Süd" };

static void
full_row(struct cell c[NCOLS])
{
	c[C_ID] = cell_int(42);
	c[C_NAME] = cell_text("Anna\tS.\n");
	c[C_ON] = cell_bool(1);
	c[C_AT] = cell_time(T0);
	c[C_TAGS] = cell_list(tags, 2);
	c[C_CAP] = cell_int(120);
	c[C_RAW] = cell_json("[{\"x\": 1}]");
	c[C_SECRET] = cell_text("s3cret");
}

static void
empty_row(struct cell c[NCOLS])
{
	c[C_ID] = cell_int(0);
	c[C_NAME] = cell_text(NULL);
	c[C_ON] = cell_bool(0);
	c[C_AT] = cell_time(0);
	c[C_TAGS] = cell_list(NULL, 0);
	c[C_CAP] = cell_null();
	c[C_RAW] = cell_json(NULL);
	c[C_SECRET] = cell_text("s3cret");
}

/* Writes two rows in format f; returns what was printed (caller frees). */
static char *
two_rows(enum out_format f)
{
	struct cell c[NCOLS];
	struct table *t;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	t = table_new(fp, f, "Europe/Berlin", cols, NCOLS);
	full_row(c);
	table_row(t, c);
	empty_row(c);
	table_row(t, c);
	assert_int_equal(table_rows(t), 2);
	table_end(t);
	fclose(fp);
	return out;
}

static void
test_json_types(void **state)
{
	static const char *const nulls[] = { "name", "at", "capacity", "raw" };
	char *out = two_rows(OUT_JSON);
	json_object *a = json_tokener_parse(out), *r, *v;
	size_t i;

	(void)state;
	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	assert_int_equal(json_object_array_length(a), 2);

	r = json_object_array_get_idx(a, 0);
	assert_true(json_object_is_type(r, json_type_object));
	assert_int_equal(json_object_object_length(r), 7);   /* not "secret" */
	assert_false(json_object_object_get_ex(r, "secret", NULL));
	json_object_object_get_ex(r, "id", &v);
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 42);
	json_object_object_get_ex(r, "name", &v);
	assert_string_equal(json_object_get_string(v), "Anna\tS.\n");
	json_object_object_get_ex(r, "on", &v);
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_get_boolean(v));
	json_object_object_get_ex(r, "at", &v);
	assert_string_equal(json_object_get_string(v), "2026-12-03T17:00:00Z");
	json_object_object_get_ex(r, "tags", &v);
	assert_true(json_object_is_type(v, json_type_array));
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 0)), "a\"b");
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 1)), "Süd");
	json_object_object_get_ex(r, "raw", &v);
	assert_true(json_object_is_type(v, json_type_array));

	/* null for none, unlimited, no time; false; an empty array */
	r = json_object_array_get_idx(a, 1);
	json_object_object_get_ex(r, "on", &v);
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		assert_true(json_object_object_get_ex(r, nulls[i], &v));
		assert_null(v);
	}
	json_object_object_get_ex(r, "tags", &v);
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(a);
	free(out);
}

static void
test_json_empty(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	(void)state;
	table_end(table_new(fp, OUT_JSON, NULL, cols, NCOLS));
	fclose(fp);
	assert_string_equal(out, "[]\n");
	free(out);
}

static void
test_tsv(void **state)
{
	char *out = two_rows(OUT_TSV);

	(void)state;
	assert_string_equal(out,
	    "id\tname\ton\tat\ttags\tcapacity\n"
	    "42\tAnna\\tS.\\n\tyes\t2026-12-03 18:00\ta\"b, Süd\t120\n"
	    "0\t(none)\tno\t\t\tunlimited\n");
	free(out);
}

static void
test_table(void **state)
{
	char *out = two_rows(OUT_TABLE);

	(void)state;
	assert_string_equal(out,
	    "ID  NAME      ON   AT                TAGS      CAPACITY   SECRET\n"
	    "42  Anna S.   yes  2026-12-03 18:00  a\"b, Süd  120        s3cret\n"
	    "0   (none)    no                               unlimited  s3cret\n");
	free(out);
}

static void
test_record(void **state)
{
	struct cell c[NCOLS];
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	json_object *o, *v;

	(void)state;
	full_row(c);
	table_record(fp, OUT_JSON, NULL, cols, NCOLS, c);
	fflush(fp);
	o = json_tokener_parse(out);
	assert_true(json_object_is_type(o, json_type_object));
	json_object_object_get_ex(o, "id", &v);
	assert_int_equal(json_object_get_int(v), 42);
	json_object_put(o);
	assert_non_null(strstr(out, "{\n  \"id\": 42,\n  \"name\": "));

	rewind(fp);
	empty_row(c);
	table_record(fp, OUT_TSV, NULL, cols, NCOLS, c);
	fputc('\0', fp);
	fclose(fp);
	assert_string_equal(out,
	    "field\tvalue\nid\t0\nname\t(none)\non\tno\nat\t\ntags\t\n"
	    "capacity\tunlimited\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_types),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_record),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	ical_cleanup();
	return rc;
}
