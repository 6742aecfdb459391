/*
 * Runs the official Mustache spec (JSON files in $MUSTACHE_SPEC_DIR,
 * default ../shared/mustache-spec) through the template engine. The core
 * files must pass completely; the optional ones (~dynamic-names,
 * ~inheritance) print their pass counts and never fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "template.h"
#include "util.h"

static const char *
spec_dir(void)
{
	const char *d = getenv("MUSTACHE_SPEC_DIR");

	return d != NULL && *d != '\0' ? d : "../shared/mustache-spec";
}

/* A JSON number as the spec expects to see it: integers as integers,
 * doubles in their shortest round-trip form (1.10 -> "1.1"). */
static struct tv *
number_tv(struct json_object *j)
{
	char s[64];
	double d;
	int prec;

	if (json_object_is_type(j, json_type_int)) {
		snprintf(s, sizeof(s), "%lld",
		    (long long)json_object_get_int64(j));
		return tv_string(s);
	}
	d = json_object_get_double(j);
	for (prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	return tv_string(s);
}

static struct tv *
json_to_tv(struct json_object *j)
{
	struct tv *v;
	size_t i, n;

	switch (json_object_get_type(j)) {
	case json_type_null:
		return tv_null();
	case json_type_boolean:
		return tv_bool(json_object_get_boolean(j));
	case json_type_int:
	case json_type_double:
		return number_tv(j);
	case json_type_string:
		return tv_stringn(json_object_get_string(j),
		    (size_t)json_object_get_string_len(j));
	case json_type_array:
		v = tv_list();
		n = json_object_array_length(j);
		for (i = 0; i < n; i++)
			tv_push(v, json_to_tv(json_object_array_get_idx(j, i)));
		return v;
	case json_type_object:
		v = tv_object();
		json_object_object_foreach(j, key, val)
			tv_set(v, key, json_to_tv(val));
		return v;
	}
	return tv_null();
}

/* Partials come from the test's "partials" object. The spec wants a
 * missing partial to render as "": the callback answers 1 for those. */
static int
spec_partial(void *arg, const char *name, char **src, size_t *len,
    char **filename)
{
	struct json_object *partials = arg, *p;

	if (partials == NULL || !json_object_object_get_ex(partials, name, &p))
		return 1;
	*src = xstrdup(json_object_get_string(p));
	*len = strlen(*src);
	*filename = xasprintf("%s.mustache", name);
	return 0;
}

/* s with control characters shown, for failure reports. */
static void
print_quoted(const char *label, const char *s)
{
	printf("    %s: \"", label);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			printf("\\n");
		else if (*s == '\r')
			printf("\\r");
		else if (*s == '\t')
			printf("\\t");
		else
			putchar(*s);
	}
	printf("\"\n");
}

/* Runs one spec case; 1 if it passed. */
static int
run_case(struct json_object *tc)
{
	struct json_object *jname, *jtmpl, *jdata, *jexp, *jpart = NULL;
	const struct tv *stack[1];
	struct tmpl *t;
	struct tv *data;
	struct buf out;
	char *err = NULL;
	const char *src;
	int ok;

	if (!json_object_object_get_ex(tc, "name", &jname) ||
	    !json_object_object_get_ex(tc, "template", &jtmpl) ||
	    !json_object_object_get_ex(tc, "data", &jdata) ||
	    !json_object_object_get_ex(tc, "expected", &jexp)) {
		printf("  malformed spec case\n");
		return 0;
	}
	json_object_object_get_ex(tc, "partials", &jpart);
	src = json_object_get_string(jtmpl);
	t = tmpl_parse(src, strlen(src), "spec.mustache", TMPL_HTML,
	    spec_partial, jpart, &err);
	if (t == NULL) {
		printf("  FAIL %s: parse error: %s\n",
		    json_object_get_string(jname), err);
		free(err);
		return 0;
	}
	tmpl_dynamic_partials(t, spec_partial, jpart);
	data = json_to_tv(jdata);
	stack[0] = data;
	buf_init(&out);
	buf_puts(&out, "");
	ok = tmpl_render(t, stack, 1, &out) == 0 &&
	    strcmp(out.data, json_object_get_string(jexp)) == 0;
	if (!ok) {
		printf("  FAIL %s\n", json_object_get_string(jname));
		print_quoted("template", src);
		print_quoted("expected", json_object_get_string(jexp));
		print_quoted("got     ", out.data);
	}
	buf_free(&out);
	tv_free(data);
	tmpl_free(t);
	return ok;
}

/* Runs every case of one spec file; -1 when the file cannot be read. */
static int
run_file(const char *file, int *total)
{
	struct json_object *root, *tests;
	char *path;
	size_t i, n;
	int passed = 0;

	path = xasprintf("%s/%s", spec_dir(), file);
	root = json_object_from_file(path);
	if (root == NULL) {
		printf("cannot read %s: %s\n", path, json_util_get_last_err());
		free(path);
		return -1;
	}
	free(path);
	if (!json_object_object_get_ex(root, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array)) {
		json_object_put(root);
		return -1;
	}
	n = json_object_array_length(tests);
	for (i = 0; i < n; i++)
		passed += run_case(json_object_array_get_idx(tests, i));
	json_object_put(root);
	*total = (int)n;
	return passed;
}

static void
test_spec_file(void **state)
{
	const char *file = *state;
	int total = 0, passed;

	passed = run_file(file, &total);
	if (passed < 0)
		fail_msg("spec file %s/%s missing or unreadable "
		    "(set MUSTACHE_SPEC_DIR)", spec_dir(), file);
	printf("%s: %d/%d passed\n", file, passed, total);
	assert_true(total > 0);
	assert_int_equal(passed, total);
}

static void
test_optional(void **state)
{
	static const char *files[] = { "~dynamic-names", "~inheritance" };
	char *file;
	size_t i;
	int total, passed;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		total = 0;
		file = xasprintf("%s.json", files[i]);
		passed = run_file(file, &total);
		free(file);
		if (passed < 0)
			printf("optional %s: not found\n", files[i]);
		else
			printf("optional %s: %d/%d passed\n", files[i], passed,
			    total);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_spec_file, "comments.json"),
		cmocka_unit_test_prestate(test_spec_file, "delimiters.json"),
		cmocka_unit_test_prestate(test_spec_file,
		    "interpolation.json"),
		cmocka_unit_test_prestate(test_spec_file, "inverted.json"),
		cmocka_unit_test_prestate(test_spec_file, "partials.json"),
		cmocka_unit_test_prestate(test_spec_file, "sections.json"),
		cmocka_unit_test(test_optional),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
