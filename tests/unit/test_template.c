/*
 * Unit tests for the template engine (template.c) and its context values
 * (tmplvalue.c): escaping, modes, error messages with positions, partials,
 * the context stack, names, big lists and a timing print-out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "template.h"
#include "util.h"

/* Partials for the tests: a NULL-terminated list of name, file, source. */
struct partials {
	const char	*const *list;
	int		 calls;
	int		 missing;	/* what to answer for unknown names */
};

static int
get_partial(void *arg, const char *name, char **src, size_t *len,
    char **filename)
{
	struct partials *ps = arg;
	size_t i;

	ps->calls++;
	for (i = 0; ps->list[i] != NULL; i += 3) {
		if (strcmp(ps->list[i], name) != 0)
			continue;
		*src = xstrdup(ps->list[i + 2]);
		*len = strlen(*src);
		if (ps->list[i + 1] != NULL)
			*filename = xstrdup(ps->list[i + 1]);
		return 0;
	}
	return ps->missing;
}

/* Parses src (HTML mode unless said), renders it over one context value
 * and returns the output (caller frees). Fails the test on a parse error. */
static char *
render_mode(const char *src, enum tmpl_mode mode, const struct tv *ctx,
    struct partials *ps)
{
	const struct tv *stack[1] = { ctx };
	struct tmpl *t;
	struct buf out;
	char *err = NULL;

	t = tmpl_parse(src, strlen(src), "test.mustache", mode,
	    ps != NULL ? get_partial : NULL, ps, &err);
	if (t == NULL)
		fail_msg("parse failed: %s", err);
	buf_init(&out);
	assert_int_equal(tmpl_render(t, stack, 1, &out), 0);
	tmpl_free(t);
	return buf_steal(&out);
}

static char *
render(const char *src, const struct tv *ctx)
{
	return render_mode(src, TMPL_HTML, ctx, NULL);
}

/* Asserts that src fails to parse with exactly the message want. */
static void
assert_parse_error(const char *src, struct partials *ps, const char *want)
{
	struct tmpl *t;
	char *err = NULL;

	t = tmpl_parse(src, strlen(src),
	    "templates/de/newsletter.html.mustache", TMPL_HTML,
	    ps != NULL ? get_partial : NULL, ps, &err);
	assert_null(t);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
}

static void
test_html_escaping(void **state)
{
	struct tv *ctx = tv_object();
	char *out;

	(void)state;
	tv_set_str(ctx, "url",
	    "https://x.example/?a=1&b=2\" onmouseover=\"evil()");
	tv_set_str(ctx, "t", "it's' onclick='evil()");
	tv_set_str(ctx, "name", "<script>alert(\"x\")</script>");
	out = render("<a href=\"{{url}}\" title='{{t}}'>{{name}}</a>", ctx);
	assert_string_equal(out,
	    "<a href=\"https://x.example/?a=1&amp;b=2&quot; onmouseover=&quot;"
	    "evil()\" title='it&#39;s&#39; onclick=&#39;evil()'>"
	    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>");
	free(out);

	/* Dotted names and {{.}} escape as well. */
	tv_set(ctx, "list", tv_list());
	tv_push((struct tv *)tv_get(ctx, "list"), tv_string("<b>"));
	out = render("{{#list}}{{.}}{{/list}}", ctx);
	assert_string_equal(out, "&lt;b&gt;");
	free(out);

	/* Triple mustache and & never escape. */
	out = render("{{{name}}}|{{& name}}", ctx);
	assert_string_equal(out, "<script>alert(\"x\")</script>|"
	    "<script>alert(\"x\")</script>");
	free(out);
	tv_free(ctx);
}

static void
test_text_mode(void **state)
{
	struct tv *ctx = tv_object();
	char *out;

	(void)state;
	tv_set_str(ctx, "name", "Tom & Jerry <tj@example.org> \"quoted\" 'x'");
	out = render_mode("Hallo {{name}}!\n", TMPL_TEXT, ctx, NULL);
	assert_string_equal(out,
	    "Hallo Tom & Jerry <tj@example.org> \"quoted\" 'x'!\n");
	free(out);
	tv_free(ctx);
}

static void
test_values(void **state)
{
	struct tv *ctx = tv_object(), *l;
	char *out;

	(void)state;
	tv_set(ctx, "yes", tv_bool(1));
	tv_set(ctx, "no", tv_bool(0));
	tv_set_str(ctx, "nothing", NULL);
	tv_set_str(ctx, "empty", "");
	tv_set(ctx, "obj", tv_object());
	l = tv_list();
	tv_push(l, tv_string("a"));
	tv_set(ctx, "list", l);
	/* Missing names render nothing, bools render true/false, lists and
	 * objects nothing. */
	out = render("[{{missing}}][{{a.b.c}}][{{yes}}][{{no}}][{{nothing}}]"
	    "[{{list}}][{{obj}}]", ctx);
	assert_string_equal(out, "[][][true][false][][][]");
	free(out);
	/* Truthiness of each kind. */
	out = render("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#nothing}}0{{/nothing}}"
	    "{{#empty}}E{{/empty}}{{#obj}}O{{/obj}}{{#list}}L{{/list}}"
	    "{{#missing}}M{{/missing}}|{{^no}}!N{{/no}}{{^empty}}!E{{/empty}}"
	    "{{^missing}}!M{{/missing}}{{^yes}}!Y{{/yes}}", ctx);
	assert_string_equal(out, "YOL|!N!E!M");
	free(out);

	/* Setting a key again replaces its value in place. */
	assert_int_equal(tv_set_str(ctx, "yes", "again"), 0);
	assert_string_equal(tv_str(tv_get(ctx, "yes"), NULL), "again");
	assert_string_equal(tv_key_at(ctx, 0, NULL), "yes");
	assert_int_equal(tv_len(ctx), 6);
	/* Misuse is refused (and frees the value: valgrind checks that). */
	assert_int_equal(tv_set(l, "x", tv_string("y")), -1);
	assert_int_equal(tv_push(ctx, tv_string("y")), -1);
	assert_null(tv_get(l, "x"));
	tv_free(ctx);
}

static void
test_errors(void **state)
{
	struct partials ps = { NULL, 0, -1 };
	static const char *const list[] = {
		"footer", "templates/de/footer.html.mustache",
		"<p>\n  {{#links}}\n  <a>{{url}}</a>\n",
		"ok", NULL, "fine",
		NULL
	};

	(void)state;
	ps.list = list;
	/* The unclosed section is reported at the end of file. */
	assert_parse_error(
	    "<h1>{{title}}</h1>\n\n  {{#events}}\n<p>{{x}}</p>\n", NULL,
	    "templates/de/newsletter.html.mustache:5:1: unclosed "
	    "section \"events\" (opened at 3:3)");
	/* Columns count characters, not bytes. */
	assert_parse_error("Grüße, {{#a}}\näöü {{/b}}", NULL,
	    "templates/de/newsletter.html.mustache:2:5: mismatched close "
	    "tag \"b\", expected \"a\"");
	assert_parse_error("x {{/a}}", NULL,
	    "templates/de/newsletter.html.mustache:1:3: unexpected close "
	    "tag \"a\"");
	assert_parse_error("{{>ok}}\n\t{{> nope }}", &ps,
	    "templates/de/newsletter.html.mustache:2:2: unknown partial "
	    "\"nope\"");
	/* Without a callback every partial is unknown. */
	assert_parse_error("{{>ok}}", NULL,
	    "templates/de/newsletter.html.mustache:1:1: unknown partial "
	    "\"ok\"");
	assert_parse_error("ab\ncd {{=<% =}}", NULL,
	    "templates/de/newsletter.html.mustache:2:4: bad delimiter tag");
	assert_parse_error("{{= a b c =}}", NULL,
	    "templates/de/newsletter.html.mustache:1:1: bad delimiter tag");
	assert_parse_error("Hallo {{name", NULL,
	    "templates/de/newsletter.html.mustache:1:7: unclosed tag, "
	    "expected \"}}\"");
	assert_parse_error("Hallo {{{name}}", NULL,
	    "templates/de/newsletter.html.mustache:1:7: unclosed tag, "
	    "expected \"}}}\"");
	assert_parse_error("{{=<% %>=}}\n <%name", NULL,
	    "templates/de/newsletter.html.mustache:2:2: unclosed tag, "
	    "expected \"%>\"");
	assert_parse_error("a {{ }}", NULL,
	    "templates/de/newsletter.html.mustache:1:3: empty tag");
	assert_parse_error("a {{x..y}}", NULL,
	    "templates/de/newsletter.html.mustache:1:3: bad name \"x..y\"");
	/* An error inside a partial names the partial's file. */
	assert_parse_error("<body>\n{{>footer}}\n</body>", &ps,
	    "templates/de/footer.html.mustache:4:1: unclosed section "
	    "\"links\" (opened at 2:3)");
	/* errstr may be NULL. */
	assert_null(tmpl_parse("{{#a}}", 6, NULL, TMPL_HTML, NULL, NULL,
	    NULL));
}

static void
test_partials(void **state)
{
	static const char *const list[] = {
		"footer", "footer.mustache", "<hr>\n{{org}}\n",
		"node", NULL, "{{name}}({{#kids}}{{>node}}{{/kids}})",
		"self", NULL, "x{{>self}}",
		"two", NULL, "{{#n}}{{>two}}{{>two}}{{/n}}",
		"items", NULL, "{{#items}}\n- {{.}}\n  {{>more}}\n{{/items}}\n",
		"more", NULL, "({{.}})\n",
		NULL
	};
	struct partials ps = { list, 0, -1 };
	const struct tv *stack[1];
	struct tv *ctx = tv_object(), *kids, *kid, *deep, *o, *l;
	struct tmpl *t;
	struct buf out;
	char *s;
	int i;

	(void)state;
	tv_set_str(ctx, "org", "Helferkreis");
	/* The same partial twice is loaded once; standalone partials are
	 * indented line by line. */
	s = render_mode("{{>footer}}  {{>footer}}\n", TMPL_HTML, ctx, &ps);
	assert_string_equal(s, "<hr>\nHelferkreis\n  <hr>\nHelferkreis\n\n");
	assert_int_equal(ps.calls, 1);
	free(s);
	s = render_mode("<div>\n  {{>footer}}\n</div>", TMPL_HTML, ctx, &ps);
	assert_string_equal(s, "<div>\n  <hr>\n  Helferkreis\n</div>");
	free(s);

	/* Indentation adds up through nested standalone partials and is
	 * not applied inside values. */
	l = tv_list();
	tv_push(l, tv_string("a"));
	tv_push(l, tv_string("b\nc"));
	tv_set(ctx, "items", l);
	s = render_mode("<ul>\n  {{>items}}\n</ul>\n", TMPL_TEXT, ctx, &ps);
	assert_string_equal(s, "<ul>\n  - a\n    (a)\n  - b\nc\n    (b\nc)\n"
	    "</ul>\n");
	free(s);

	/* A recursive partial. */
	tv_set_str(ctx, "name", "a");
	kids = tv_list();
	kid = tv_object();
	tv_set_str(kid, "name", "b");
	tv_set(kid, "kids", tv_list());
	tv_push(kids, kid);
	tv_set(ctx, "kids", kids);
	ps.calls = 0;
	s = render_mode("{{>node}}", TMPL_HTML, ctx, &ps);
	assert_string_equal(s, "a(b())");
	assert_int_equal(ps.calls, 1);
	free(s);

	/* A partial including itself without end stops with -1. */
	t = tmpl_parse("{{>self}}", 9, NULL, TMPL_TEXT, get_partial, &ps,
	    NULL);
	assert_non_null(t);
	stack[0] = ctx;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, stack, 1, &out), -1);
	assert_int_equal(out.len, 1000);
	buf_free(&out);
	tmpl_free(t);

	/* So does one that doubles its work at each of 30 levels (2^30
	 * partials): it is stopped after a million. */
	deep = tv_object();
	for (i = 0, o = deep; i < 30; i++) {
		tv_set(o, "n", tv_object());
		o = (struct tv *)tv_get(o, "n");
	}
	t = tmpl_parse("{{>two}}", 8, NULL, TMPL_TEXT, get_partial, &ps, NULL);
	assert_non_null(t);
	stack[0] = deep;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, stack, 1, &out), -1);
	buf_free(&out);
	tmpl_free(t);
	tv_free(deep);

	/* A callback answering 1 makes a missing partial empty. */
	ps.missing = 1;
	s = render_mode("[{{>nope}}]", TMPL_HTML, ctx, &ps);
	assert_string_equal(s, "[]");
	free(s);
	tv_free(ctx);
}

static void
test_dynamic_partials(void **state)
{
	static const char *const list[] = {
		"event", NULL, "<li>{{title}}</li>\n",
		"news", NULL, "<p>{{title}}</p>\n",
		"bad", NULL, "{{#x}}",
		NULL
	};
	struct partials ps = { list, 0, -1 };
	const struct tv *stack[1];
	struct tv *ctx = tv_object();
	struct tmpl *t;
	struct buf out;
	const char *src;
	int i;

	(void)state;
	tv_set_str(ctx, "kind", "event");
	tv_set_str(ctx, "other", "news");
	tv_set_str(ctx, "title", "Sprachcafé");
	tv_set_str(ctx, "broken", "bad");
	tv_set_str(ctx, "unknown", "zzz");
	src = "{{>*kind}}{{>*other}}{{>*broken}}{{>*unknown}}{{>*missing}}"
	    "{{^kind}}{{>news}}{{/kind}}";
	t = tmpl_parse(src, strlen(src), NULL, TMPL_HTML, get_partial, &ps,
	    NULL);
	assert_non_null(t);
	assert_int_equal(ps.calls, 1);		/* news */
	stack[0] = ctx;
	buf_init(&out);
	/* By default only the partials loaded by tmpl_parse are found. */
	assert_int_equal(tmpl_render(t, stack, 1, &out), 0);
	assert_string_equal(out.data, "<p>Sprachcafé</p>\n");
	assert_int_equal(ps.calls, 1);
	/* With a callback, others are loaded on first use. */
	tmpl_dynamic_partials(t, get_partial, &ps);
	for (i = 0; i < 3; i++) {
		buf_reset(&out);
		assert_int_equal(tmpl_render(t, stack, 1, &out), 0);
		assert_string_equal(out.data,
		    "<li>Sprachcafé</li>\n<p>Sprachcafé</p>\n");
	}
	/* Each name is asked for once, misses included. */
	assert_int_equal(ps.calls, 4);
	buf_free(&out);
	tmpl_free(t);
	tv_free(ctx);
}

static void
test_stack(void **state)
{
	struct tv *mailing = tv_object(), *sub = tv_object(), *org;
	const struct tv *stack[3];
	struct tmpl *t;
	struct buf out;
	const char *src = "Hallo {{name}}, {{org.name}} grüßt. "
	    "{{#org}}{{name}}/{{email}}{{/org}} {{unsubscribe}}";

	(void)state;
	org = tv_object();
	tv_set_str(org, "name", "Helferkreis Nord");
	tv_set_str(org, "email", "info@example.org");
	tv_set(mailing, "org", org);
	tv_set_str(mailing, "name", "Liebe Alle");
	tv_set_str(mailing, "unsubscribe", "https://example.org/u");
	tv_set_str(sub, "name", "Anna");
	tv_set_str(sub, "unsubscribe", "https://example.org/u/abc");
	t = tmpl_parse(src, strlen(src), NULL, TMPL_TEXT, NULL, NULL, NULL);
	assert_non_null(t);
	/* The last element is the top and shadows the ones below. */
	stack[0] = mailing;
	stack[1] = NULL;	/* skipped */
	stack[2] = sub;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, stack, 3, &out), 0);
	assert_string_equal(out.data, "Hallo Anna, Helferkreis Nord grüßt. "
	    "Helferkreis Nord/info@example.org https://example.org/u/abc");
	/* Only the shared context: its own values. */
	buf_reset(&out);
	assert_int_equal(tmpl_render(t, stack, 1, &out), 0);
	assert_string_equal(out.data, "Hallo Liebe Alle, Helferkreis Nord "
	    "grüßt. Helferkreis Nord/info@example.org https://example.org/u");
	/* No context at all. */
	buf_reset(&out);
	assert_int_equal(tmpl_render(t, NULL, 0, &out), 0);
	assert_string_equal(out.data, "Hallo ,  grüßt.  ");
	buf_free(&out);
	tmpl_free(t);
	tv_free(mailing);
	tv_free(sub);
}

struct seen {
	struct buf	b;
};

static void
note_name(void *arg, const char *file, const char *name, int line, int col)
{
	struct seen *s = arg;

	buf_printf(&s->b, "%s@%s:%d:%d ", name, file, line, col);
}

static void
test_names(void **state)
{
	static const char *const list[] = {
		"footer", "de/footer.txt.mustache",
		"\n{{! not a name }}{{>footer}} {{org.name}}", NULL
	};
	struct partials ps = { list, 0, -1 };
	const char *src = "{{title}}\n  {{#events}}{{{ title }}} {{.}}"
	    "{{/events}}\n{{^none}}é{{& x.y }}{{/none}}{{>*dyn}}{{>footer}}";
	struct seen seen;
	struct tmpl *t;

	(void)state;
	t = tmpl_parse(src, strlen(src), "de/mail.txt.mustache", TMPL_HTML,
	    get_partial, &ps, NULL);
	assert_non_null(t);
	buf_init(&seen.b);
	buf_puts(&seen.b, "");
	assert_int_equal(tmpl_names(t, note_name, &seen), 7);
	/* a name in a partial: the partial's file, line and column */
	assert_string_equal(seen.b.data, "title@de/mail.txt.mustache:1:1 "
	    "events@de/mail.txt.mustache:2:3 title@de/mail.txt.mustache:2:14 "
	    "none@de/mail.txt.mustache:3:1 x.y@de/mail.txt.mustache:3:11 "
	    "dyn@de/mail.txt.mustache:3:30 org.name@de/footer.txt.mustache:2:30 ");
	buf_free(&seen.b);
	tmpl_free(t);
}

/* A list of n events, each an object of a few strings. */
static struct tv *
events(int n)
{
	struct tv *list = tv_list(), *e;
	char s[64];
	int i;

	for (i = 0; i < n; i++) {
		e = tv_object();
		snprintf(s, sizeof(s), "Event %d", i);
		tv_set_str(e, "title", s);
		snprintf(s, sizeof(s), "2025-%02d-%02d 18:00", i % 12 + 1,
		    i % 28 + 1);
		tv_set_str(e, "when", s);
		tv_set_str(e, "where", "Gemeindehaus, Hauptstr. 1");
		tv_set_str(e, "desc", "Deutschkurs & Café <offen für alle>");
		tv_set(e, "urgent", tv_bool(i % 5 == 0));
		snprintf(s, sizeof(s), "https://example.org/e/%d?r=1&x=2", i);
		tv_set_str(e, "url", s);
		tv_push(list, e);
	}
	return list;
}

static void
test_large_list(void **state)
{
	struct tv *ctx = tv_object();
	char *out, *p;
	int count = 0;

	(void)state;
	tv_set(ctx, "events", events(5000));
	out = render("{{#events}}<li>{{title}}{{#urgent}} !{{/urgent}}</li>\n"
	    "{{/events}}", ctx);
	for (p = out; (p = strstr(p, "<li>Event ")) != NULL; p++)
		count++;
	assert_int_equal(count, 5000);
	assert_non_null(strstr(out, "<li>Event 4999</li>\n"));
	assert_non_null(strstr(out, "<li>Event 4995 !</li>\n"));
	free(out);
	tv_free(ctx);
}

/* A ~20 KB newsletter: ~50 variables, a few sections, 20 events. */
static char *
big_template(void)
{
	struct buf b;
	int i;

	buf_init(&b);
	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"{{lang}}\">\n<head>"
	    "<title>{{subject}}</title></head>\n<body>\n"
	    "<p>Hallo {{subscriber.name}},</p>\n");
	for (i = 0; i < 96; i++)
		buf_printf(&b, "<p class=\"p%d\">Lorem ipsum dolor sit amet, "
		    "consectetur adipiscing elit {{v%d}}, sed do eiusmod "
		    "tempor incididunt ut labore et dolore magna aliqua. Ut "
		    "enim ad minim veniam, quis nostrud exercitation.</p>\n",
		    i, i % 48);
	buf_puts(&b, "{{#events}}\n<div class=\"event\">\n  <h2><a href=\""
	    "{{url}}\">{{title}}</a></h2>\n  <p>{{when}} &middot; {{where}}"
	    "</p>\n  {{#urgent}}<p class=\"urgent\">Dringend!</p>{{/urgent}}\n"
	    "  <p>{{desc}}</p>\n</div>\n{{/events}}\n{{^events}}<p>Keine "
	    "Termine.</p>{{/events}}\n<p><a href=\"{{unsubscribe}}\">"
	    "Abmelden</a></p>\n</body>\n</html>\n");
	return buf_steal(&b);
}

static void
test_benchmark(void **state)
{
	struct tv *mailing = tv_object(), *sub = tv_object();
	const struct tv *stack[2] = { mailing, sub };
	struct timespec a, z;
	struct tmpl *t;
	struct buf out;
	char *src, *first, k[16];
	double us;
	int i, n = 10000;

	(void)state;
	for (i = 0; i < 48; i++) {
		snprintf(k, sizeof(k), "v%d", i);
		tv_set_str(mailing, k, "Wert & <mehr>");
	}
	tv_set_str(mailing, "lang", "de");
	tv_set_str(mailing, "subject", "Newsletter März");
	tv_set(mailing, "events", events(20));
	tv_set(sub, "subscriber", tv_object());
	tv_set_str((struct tv *)tv_get(sub, "subscriber"), "name", "Anna");
	tv_set_str(sub, "unsubscribe", "https://example.org/u/abc");
	src = big_template();
	t = tmpl_parse(src, strlen(src), "bench.mustache", TMPL_HTML, NULL,
	    NULL, NULL);
	assert_non_null(t);
	buf_init(&out);
	assert_int_equal(tmpl_render(t, stack, 2, &out), 0);
	first = buf_steal(&out);
	assert_non_null(strstr(first, "Hallo Anna,"));
	assert_non_null(strstr(first, "Event 19</a>"));
	assert_non_null(strstr(first, "Wert &amp; &lt;mehr&gt;"));
	assert_null(strstr(first, "Keine Termine"));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		buf_reset(&out);
		tmpl_render(t, stack, 2, &out);
	}
	clock_gettime(CLOCK_MONOTONIC, &z);
	assert_string_equal(out.data, first);
	us = ((double)(z.tv_sec - a.tv_sec) * 1e9 +
	    (double)(z.tv_nsec - a.tv_nsec)) / 1e3 / n;
	printf("template: %zu-byte template, %zu-byte output: %.2f us per "
	    "render\n", strlen(src), strlen(first), us);
	free(first);
	free(src);
	buf_free(&out);
	tmpl_free(t);
	tv_free(mailing);
	tv_free(sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_text_mode),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_dynamic_partials),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_large_list),
		cmocka_unit_test(test_benchmark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
