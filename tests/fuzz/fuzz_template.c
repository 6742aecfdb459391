/*
 * fuzz_template: the input is a Mustache template. It is parsed in both
 * modes (TMPL_HTML, TMPL_TEXT) with a partial callback, its names are
 * listed (tmpl_names), and it is rendered against a small fixed context,
 * once with loading of dynamic partials ({{>*name}}) switched on.
 *
 * The partial callback answers by the first letter of the name: 'x' means
 * no such partial (-1: a parse error), 'y' an empty lenient partial (1),
 * 'z' a partial that does not parse, anything else one small fixed partial
 * with a section, an inverted section and a block (so {{<name}} parents
 * work). The context has strings with markup in them, booleans, null, an
 * object and lists of two items.
 *
 * Mustache output can be exponential in the template's length: sections
 * over a list nested n deep render 2^n times. That is the language, not a
 * bug, so a template that names a list more than LIST_NAMES_MAX times is
 * parsed but not rendered (at most 2^LIST_NAMES_MAX bodies).
 *
 * Checked: a parse failure comes with "FILE:LINE:COL: message"; rendering
 * returns 0 or -1 (a template that recurses without end) and gives the
 * same bytes when repeated; every reported name is non-empty with line
 * and column >= 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "tmplvalue.h"
#include "util.h"

#include "fuzz_common.h"

#define LIST_NAMES_MAX	10

static const char partial_src[] =
    "<li>{{name}} {{{raw}}} {{&title}}{{#items}}[{{.}}]{{/items}}"
    "{{^nothing}}-{{/nothing}}{{$block}}default{{/block}}</li>\n";
static const char broken_src[] = "{{#open}} never closed";

static struct tv *base, *ctx;
static const struct tv *stack[2];

static int
get_partial(void *arg, const char *name, char **src, size_t *len,
    char **filename)
{
	(void)arg;
	switch (name[0]) {
	case 'x':
		return -1;
	case 'y':
		return 1;
	case 'z':
		*src = xstrdup(broken_src);
		*len = sizeof(broken_src) - 1;
		*filename = xstrdup("broken.mustache");
		return 0;
	}
	*src = xstrdup(partial_src);
	*len = sizeof(partial_src) - 1;
	/* Half of them without a file name: the engine uses the name. */
	if (name[0] >= 'm')
		*filename = xstrdup("partial.mustache");
	return 0;
}

static struct tv *
str_list(const char *a, const char *b)
{
	struct tv *l = tv_list();

	tv_push(l, tv_string(a));
	tv_push(l, tv_string(b));
	return l;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tv *people, *p, *ev, *place;

	(void)argc;
	(void)argv;
	fuzz_quiet_init();

	base = tv_object();
	tv_set_str(base, "lang", "de");
	tv_set_str(base, "name", "hidden by the top");

	ctx = tv_object();
	tv_set_str(ctx, "name", "J\xc3\xb6rg <b>&\"'");
	tv_set_str(ctx, "title", "Sprachcaf\xc3\xa9");
	tv_set_str(ctx, "raw", "<i>raw</i>");
	tv_set_str(ctx, "empty", "");
	tv_set(ctx, "yes", tv_bool(1));
	tv_set(ctx, "no", tv_bool(0));
	tv_set(ctx, "nothing", tv_null());
	tv_set_str(ctx, "partial_name", "p");
	tv_set_str(ctx, "bad_partial", "zap");
	tv_set_str(ctx, "missing_partial", "xyz");
	tv_set(ctx, "items", str_list("eins", "<zwei>"));
	people = tv_list();
	p = tv_object();
	tv_set_str(p, "name", "A");
	tv_set_str(p, "email", "a@example.org");
	tv_set(p, "tags", str_list("x", "y"));
	tv_push(people, p);
	p = tv_object();
	tv_set_str(p, "name", "B");
	tv_set(p, "tags", tv_list());
	tv_set(p, "email", tv_null());
	tv_push(people, p);
	tv_set(ctx, "people", people);
	ev = tv_object();
	tv_set_str(ev, "title", "Fahrradwerkstatt");
	tv_set_str(ev, "url", "https://example.org/?a=1&b=2");
	place = tv_object();
	tv_set_str(place, "city", "K\xc3\xb6ln");
	tv_set(ev, "place", place);
	tv_set(ctx, "event", ev);
	stack[0] = base;
	stack[1] = ctx;
	return 0;
}

struct names {
	int	 calls;
	int	 lists;		/* names with a segment naming a list */
};

static int
names_list(const char *name)
{
	static const char *const lists[] = { "items", "people", "tags" };
	const char *seg = name, *dot;
	size_t i, n;

	for (;;) {
		dot = strchr(seg, '.');
		n = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
		for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
			if (strlen(lists[i]) == n &&
			    memcmp(lists[i], seg, n) == 0)
				return 1;
		if (dot == NULL)
			return 0;
		seg = dot + 1;
	}
}

static void
on_name(void *arg, const char *file, const char *name, int line, int col)
{
	struct names *nm = arg;

	FUZZ_CHECK(file != NULL && *file != '\0');
	FUZZ_CHECK(name != NULL && *name != '\0' && strcmp(name, ".") != 0);
	FUZZ_CHECK(line >= 1 && col >= 1);
	nm->calls++;
	nm->lists += names_list(name);
}

/* "FILE:LINE:COL: message" with LINE and COL >= 1 */
static void
check_error(const char *err)
{
	const char *p = err;
	int field;

	FUZZ_CHECK(err != NULL);
	/* The file is ours or a partial's name (which may hold ':'):
	 * find ":LINE:COL: " from the end of the file name onwards. */
	for (; (p = strchr(p, ':')) != NULL; p++) {
		const char *q = p + 1;

		for (field = 0; field < 2; field++) {
			if (*q < '1' || *q > '9')
				break;
			while (*q >= '0' && *q <= '9')
				q++;
			if (*q++ != ':')
				break;
		}
		if (field == 2 && *q == ' ' && q[1] != '\0')
			return;
	}
	FUZZ_CHECK(!"error message is not FILE:LINE:COL: message");
}

static void
run(const uint8_t *data, size_t size, enum tmpl_mode mode, int dynamic)
{
	struct tmpl *t;
	struct names nm = { 0, 0 };
	struct buf out;
	char *err = NULL;
	int rc;

	fuzz_quiet_begin();
	t = tmpl_parse((const char *)data, size, "fuzz.mustache", mode,
	    get_partial, NULL, &err);
	fuzz_quiet_end();
	if (t == NULL) {
		check_error(err);
		free(err);
		return;
	}
	FUZZ_CHECK(err == NULL);
	rc = tmpl_names(t, on_name, &nm);
	FUZZ_CHECK(rc == nm.calls);
	if (nm.lists <= LIST_NAMES_MAX) {
		if (dynamic)
			tmpl_dynamic_partials(t, get_partial, NULL);
		buf_init(&out);
		fuzz_quiet_begin();
		rc = tmpl_render(t, stack, 2, &out);
		fuzz_quiet_end();
		/* -1: recursion without end, which a template can still
		 * build, e.g. {{<p}}{{$block}}{{>p}}{{/block}}{{/p}} (the
		 * override holds a partial whose block it overrides). */
		FUZZ_CHECK(rc == 0 || rc == -1);
		/* Rendering twice gives the same bytes (no state kept). */
		if (!dynamic) {
			struct buf again;

			buf_init(&again);
			FUZZ_CHECK(tmpl_render(t, stack, 2, &again) == rc);
			FUZZ_CHECK(again.len == out.len && (out.len == 0 ||
			    memcmp(again.data, out.data, out.len) == 0));
			buf_free(&again);
		}
		buf_free(&out);
	}
	tmpl_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, TMPL_HTML, 0);
	run(data, size, TMPL_TEXT, 1);
	return 0;
}
