/* Unit tests for markdown: HTML and plain-text rendering, front matter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "markdown.h"
#include "util.h"

#define NBSP	"\xc2\xa0"

/* ---- helpers ---- */

static char *
to_html(const char *md)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(md_to_html(md, strlen(md), &b), 0);
	assert_true(utf8_valid(b.data ? b.data : "", b.len));
	return buf_steal(&b);
}

/* Characters (code points) in s[0..n). */
static size_t
chars(const char *s, size_t n)
{

	const unsigned char *p = (const unsigned char *)s;
	size_t i, c = 0;

	/* combining diacritical marks U+0300..U+036F take no room */
	for (i = 0; i < n; i++)
		c += (p[i] & 0xc0) != 0x80 && p[i] != 0xcc &&
		    !(p[i] == 0xcd && i + 1 < n && p[i + 1] < 0xb0);
	return c;
}

/* The rules every text rendering keeps: valid UTF-8, no trailing blanks,
 * exactly one newline at the end (or nothing at all), and no line longer
 * than width unless it is one word. */
static void
check_text_rules(const char *t, size_t width)
{
	const char *line = t, *nl;
	size_t n = strlen(t);

	assert_true(utf8_valid(t, n));
	if (n == 0)
		return;
	assert_true(t[n - 1] == '\n');
	assert_false(n >= 2 && t[n - 2] == '\n');
	while ((nl = strchr(line, '\n')) != NULL) {
		if (nl > line && (nl[-1] == ' ' || nl[-1] == '\t'))
			fail_msg("trailing blank in \"%.*s\"", (int)(nl - line),
			    line);
		if (width > 0 && chars(line, (size_t)(nl - line)) > width &&
		    memchr(line, ' ', (size_t)(nl - line)) != NULL &&
		    strncmp(line, "    ", 4) != 0 && strchr(line, '|') == NULL)
			fail_msg("line too long: \"%.*s\"", (int)(nl - line),
			    line);
		line = nl + 1;
	}
}

static char *
to_text(const char *md, size_t width)
{
	struct buf b;
	char *t;

	buf_init(&b);
	assert_int_equal(md_to_text(md, strlen(md), width, &b), 0);
	t = buf_steal(&b);
	check_text_rules(t, width);
	return t;
}

static void
text_is(const char *md, size_t width, const char *want)
{
	char *t = to_text(md, width);

	assert_string_equal(t, want);
	free(t);
}

static void
html_has(const char *md, const char *want)
{
	char *h = to_html(md);

	if (strstr(h, want) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want, h);
	free(h);
}

static void
html_lacks(const char *md, const char *unwanted)
{
	char *h = to_html(md);

	if (strcasestr(h, unwanted) != NULL)
		fail_msg("\"%s\" in \"%s\"", unwanted, h);
	free(h);
}

/* ---- HTML ---- */

static void
test_html_elements(void **state)
{
	(void)state;
	html_has("# Titel", "<h1>Titel</h1>");
	html_has("## Unter", "<h2>Unter</h2>");
	html_has("eins\nzwei\n\ndrei", "<p>eins\nzwei</p>\n<p>drei</p>");
	html_has("*a* **b**", "<p><em>a</em> <strong>b</strong></p>");
	html_has("- a\n- b\n  - c", "<ul>\n<li>a</li>\n<li>b<ul>\n<li>c</li>");
	html_has("3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>");
	html_has("[Web](https://example.org/x)",
	    "<a href=\"https://example.org/x\">Web</a>");
	html_has("<https://example.org/y>",
	    "<a href=\"https://example.org/y\">https://example.org/y</a>");
	html_has("siehe https://example.org/z!",
	    "<a href=\"https://example.org/z\">https://example.org/z</a>!");
	html_has("www.example.org",
	    "<a href=\"http://www.example.org\">www.example.org</a>");
	html_has("info@example.org",
	    "<a href=\"mailto:info@example.org\">info@example.org</a>");
	html_has("`a<b`", "<code>a&lt;b</code>");
	html_has("```\nx < y\n```", "<pre><code>x &lt; y\n</code></pre>");
	html_has("> zitiert", "<blockquote>\n<p>zitiert</p>\n</blockquote>");
	html_has("a\n\n---\n\nb", "<hr");
	html_has("a\\\nb", "a<br");
	html_has("a  \nb", "a<br");
	html_has("~~weg~~", "<del>weg</del>");
	html_has("&auml;&szlig;&euro;&#8211;&amp;", "\xc3\xa4\xc3\x9f"
	    "\xe2\x82\xac\xe2\x80\x93&amp;");
	html_has("| Tag | Zeit |\n|---|--:|\n| Mo | 18:00 |",
	    "<th align=\"right\">Zeit</th>");
	html_has("| Tag | Zeit |\n|---|--:|\n| Mo | 18:00 |", "<td>Mo</td>");
	html_has("![Logo](https://example.org/l.png)",
	    "<img src=\"https://example.org/l.png\" alt=\"Logo\"");
	html_has("[a](tel:+4930123) [b](mailto:x@example.org) [c](#oben)",
	    "<a href=\"tel:+4930123\">a</a> <a href=\"mailto:x@example.org\">"
	    "b</a> <a href=\"#oben\">c</a>");
}

static void
test_html_dialect(void **state)
{
	(void)state;
	/* no task-list check boxes in mail */
	html_lacks("- [ ] offen\n- [x] erledigt", "<input");
	html_has("- [ ] offen", "<li>[ ] offen</li>");
	/* an indented paragraph stays a paragraph */
	html_has("Text\n\n    eingerückt", "<p>eingerückt</p>");
	html_lacks("    eingerückt", "<pre");
}

static void
test_html_no_raw_html(void **state)
{
	(void)state;
	html_lacks("<script>alert(1)</script>", "<script");
	html_has("<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;");
	html_lacks("a <script>alert(1)</script> b", "<script");
	html_lacks("<div onclick=\"x()\">\nText\n</div>", "<div");
	html_lacks("a <img src=x onerror=alert(1)> b", "<img");
	html_lacks("<iframe src=\"https://evil.example\"></iframe>", "<iframe");
	html_lacks("&lt;script&gt;", "<script");
	html_lacks("&#60;script&#62;", "<script");
	html_lacks("<!-- x --><style>p{}</style>", "<style");
}

static void
test_html_links_neutralised(void **state)
{
	static const char *bad[] = {
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"[x](&#x6A;avascript&#58;alert(1))",
		"[x](java&#9;script:alert(1))",
		"[x](java%09script:alert(1))",
		"[x](<javascript:alert(1)> \"t>\\\"itel\")",
		"<javascript:alert(1)>",
		"[x](vbscript:msgbox)",
		"[x](data:text/html;base64,PHNjcmlwdD4=)",
		"[x](file:///etc/passwd)",
		"[x][r]\n\n[r]: javascript:alert(1)",
		NULL
	};
	char *h;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		h = to_html(bad[i]);
		if (strstr(h, "<a") != NULL || strstr(h, "href") != NULL ||
		    strstr(h, "</a>") != NULL)
			fail_msg("%s -> %s", bad[i], h);
		free(h);
	}
	/* the text stays, later links are untouched */
	html_has("[klick](javascript:alert(1)) und [gut](https://example.org)",
	    "<p>klick und <a href=\"https://example.org\">gut</a></p>");
	/* a neutralised image leaves its description */
	html_has("![Bild & Text](javascript:alert(1)) danach",
	    "<p>Bild &amp; Text danach</p>");
	html_lacks("![x](data:image/svg+xml;base64,AAAA)", "<img");
	html_lacks("![x](/relative.png)", "<img");
	html_has("![x](cid:logo@rundbrief)", "<img src=\"cid:logo@rundbrief\"");
	/* a linked image inside a bad link: the image stays, the link goes */
	html_has("[![Logo](https://example.org/l.png)](javascript:x)",
	    "<p><img src=\"https://example.org/l.png\" alt=\"Logo\"></p>");
}

static void
test_url_allowed(void **state)
{
	(void)state;
	assert_true(md_url_allowed("https://x.org", 13, 0));
	assert_true(md_url_allowed("HTTP://x.org", 12, 0));
	assert_true(md_url_allowed("mailto:a@b.org", 14, 0));
	assert_true(md_url_allowed("tel:+49", 7, 0));
	assert_true(md_url_allowed("/pfad:x", 7, 0));
	assert_true(md_url_allowed("#oben", 5, 0));
	assert_true(md_url_allowed("seite?a=b:c", 11, 0));
	assert_false(md_url_allowed("javascript:x", 12, 0));
	assert_false(md_url_allowed(" javascript:x", 13, 0));
	assert_false(md_url_allowed("java\tscript:x", 13, 0));
	assert_false(md_url_allowed(":x", 2, 0));
	assert_false(md_url_allowed("cid:x", 5, 0));
	assert_true(md_url_allowed("cid:x", 5, 1));
	assert_true(md_url_allowed("https://x.org/a.png", 19, 1));
	assert_false(md_url_allowed("mailto:a@b.org", 14, 1));
	assert_false(md_url_allowed("a.png", 5, 1));
	/* only the first len bytes count */
	assert_true(md_url_allowed("https:javascript:", 6, 0));
}

static void
test_html_utf8(void **state)
{
	struct buf b;
	char *h;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "<!-- vorher -->");
	assert_int_equal(md_to_html("a\xff", 2, &b), -1);
	assert_int_equal(md_to_html("\xc3", 1, &b), -1);
	assert_int_equal(md_to_html("\xed\xa0\x80", 3, &b), -1);
	assert_string_equal(b.data, "<!-- vorher -->");
	/* appends */
	assert_int_equal(md_to_html("*x*", 3, &b), 0);
	assert_string_equal(b.data, "<!-- vorher --><p><em>x</em></p>\n");
	buf_free(&b);
	/* a surrogate entity must not produce invalid UTF-8 */
	h = to_html("a &#xD800; b &#0;");
	assert_non_null(strstr(h, "a \xef\xbf\xbd"));
	free(h);
	/* byte-order mark */
	h = to_html("\xef\xbb\xbf# Titel");
	assert_string_equal(h, "<h1>Titel</h1>\n");
	free(h);
	h = to_html("");
	assert_string_equal(h, "");
	free(h);
}

static void
test_entity_decode(void **state)
{
	static const struct {
		const char *in, *out;
		int known;
	} cases[] = {
		{ "&amp;", "&", 1 }, { "&auml;", "\xc3\xa4", 1 },
		{ "&Auml;", "\xc3\x84", 1 }, { "&szlig;", "\xc3\x9f", 1 },
		{ "&nbsp;", NBSP, 1 }, { "&yuml;", "\xc3\xbf", 1 },
		{ "&euro;", "\xe2\x82\xac", 1 }, { "&#8364;", "\xe2\x82\xac", 1 },
		{ "&#x20AC;", "\xe2\x82\xac", 1 }, { "&#128;", "\xe2\x82\xac", 1 },
		{ "&#x1F600;", "\xf0\x9f\x98\x80", 1 }, { "&#65;", "A", 1 },
		{ "&#0000065;", "A", 1 }, { "&#x110000;", "\xef\xbf\xbd", 1 },
		{ "&#99999999999;", "\xef\xbf\xbd", 1 },
		{ "&#xDFFF;", "\xef\xbf\xbd", 1 }, { "&#129;", "\xef\xbf\xbd", 1 },
		{ "&#9;", " ", 1 }, { "&#127;", " ", 1 },
		{ "&AMP;", "&AMP;", 0 }, { "&nosuch;", "&nosuch;", 0 },
		{ "&amp", "&amp", 0 }, { "&;", "&;", 0 },
		{ NULL, NULL, 0 }
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	for (i = 0; cases[i].in != NULL; i++) {
		buf_reset(&b);
		assert_int_equal(md_entity_decode(cases[i].in,
		    strlen(cases[i].in), &b), cases[i].known);
		if (strcmp(b.data, cases[i].out) != 0)
			fail_msg("%s -> \"%s\"", cases[i].in, b.data);
	}
	buf_free(&b);
}

/* ---- text ---- */

static void
test_text_headings(void **state)
{
	(void)state;
	text_is("# Titel\n\n## Unter\n\n### Drei\n\n#### Vier\n\nText", 72,
	    "Titel\n=====\n\nUnter\n-----\n\n### Drei\n\n#### Vier\n\nText\n");
	/* underlines count characters, not bytes */
	text_is("# \xc3\x84rger\n\nSetext \xc3\xbc\n---", 72,
	    "\xc3\x84rger\n=====\n\nSetext \xc3\xbc\n--------\n");
}

static void
test_text_wrap_utf8(void **state)
{
	/* 11 x "Grüße" + "Größe!" = 72 characters, 96 bytes */
	const char *line72 = "Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f" "e "
	    "Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f"
	    "e Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc"
	    "\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f" "e Gr\xc3\xbc\xc3\x9f" "e Gr"
	    "\xc3\xbc\xc3\x9f" "e Gr\xc3\xb6\xc3\x9f" "e!";
	char md[256], want[256];

	(void)state;
	assert_int_equal(chars(line72, strlen(line72)), 72);
	snprintf(want, sizeof(want), "%s\n", line72);
	text_is(line72, 72, want);

	/* one character more wraps the last word */
	snprintf(md, sizeof(md), "%s \xc3\xa4", line72);
	snprintf(want, sizeof(want), "%s\n\xc3\xa4\n", line72);
	text_is(md, 72, want);

	/* at 71 "Größe!" moves down */
	snprintf(want, sizeof(want), "%.*s\nGr\xc3\xb6\xc3\x9f" "e!\n",
	    (int)(strlen(line72) - strlen(" Gr\xc3\xb6\xc3\x9f" "e!")), line72);
	text_is(line72, 71, want);

	/* decomposed umlauts (u + U+0308) count as one character */
	text_is("a\xcc\x88" "a\xcc\x88 b", 4, "a\xcc\x88" "a\xcc\x88 b\n");
	text_is("a\xcc\x88" "a\xcc\x88" "a\xcc\x88 b", 4,
	    "a\xcc\x88" "a\xcc\x88" "a\xcc\x88\nb\n");

	/* soft breaks are spaces; width 0 does not wrap */
	text_is("eins\nzwei  drei\n   vier", 0, "eins zwei drei vier\n");
	text_is("aaa bbb ccc ddd", 7, "aaa bbb\nccc ddd\n");
	text_is("aaa bbb ccc ddd", 8, "aaa bbb\nccc ddd\n");
	text_is("aaa bbb ccc ddd", 11, "aaa bbb ccc\nddd\n");
}

static void
test_text_long_words(void **state)
{
	(void)state;
	text_is("Siehe https://example.org/ein/sehr/langer/pfad/der/nicht/"
	    "passt danach weiter", 30,
	    "Siehe\n<https://example.org/ein/sehr/langer/pfad/der/nicht/passt>\n"
	    "danach weiter\n");
	text_is("Donaudampfschifffahrtsgesellschaftskapit\xc3\xa4n ja", 20,
	    "Donaudampfschifffahrtsgesellschaftskapit\xc3\xa4n\nja\n");
	/* non-breaking spaces do not break */
	text_is("100&nbsp;km weit weg", 6, "100" NBSP "km\nweit\nweg\n");
}

static void
test_text_lists(void **state)
{
	(void)state;
	text_is("- eins\n- zwei\n  - drei\n    - vier\n- f\xc3\xbcnf", 72,
	    "- eins\n- zwei\n  * drei\n    - vier\n- f\xc3\xbcnf\n");
	text_is("Vorher\n\n1. a\n2. b\n\nNachher", 72,
	    "Vorher\n\n1. a\n2. b\n\nNachher\n");
	text_is("3. c\n4. d", 72, "3. c\n4. d\n");
	text_is("9. neun\n10. zehn\n    weiter", 72,
	    "9. neun\n10. zehn weiter\n");
	/* loose list: blank lines between items and their paragraphs */
	text_is("- a\n\n  b\n- c", 72, "- a\n\n  b\n\n- c\n");
	/* continuation lines line up under the text */
	text_is("- aaaa bbbb cccc dddd eeee ffff gggg", 22,
	    "- aaaa bbbb cccc dddd\n  eeee ffff gggg\n");
	text_is("12. aaaa bbbb cccc dddd eeee", 24,
	    "12. aaaa bbbb cccc dddd\n    eeee\n");
	text_is("1. eins\n   - a\n   - b\n2. zwei", 72,
	    "1. eins\n   * a\n   * b\n2. zwei\n");
	text_is("- a\n  1. b\n     - c", 72, "- a\n  1. b\n     - c\n");
	/* an empty item keeps its marker */
	text_is("- a\n-\n- c", 72, "- a\n-\n- c\n");
	/* task-list syntax stays text, as in the HTML part */
	text_is("- [ ] offen", 72, "- [ ] offen\n");
}

static void
test_text_links(void **state)
{
	(void)state;
	text_is("[Webseite](https://example.org/x) und "
	    "<https://example.org/y> und info@example.org und www.example.org "
	    "und [https://example.org](https://example.org)", 0,
	    "Webseite <https://example.org/x> und <https://example.org/y> und "
	    "info@example.org und <http://www.example.org> und "
	    "<https://example.org>\n");
	text_is("[Mail](mailto:a@example.org) [Tel](tel:+4930123)", 0,
	    "Mail <mailto:a@example.org> Tel <tel:+4930123>\n");
	text_is("[*fett* verlinkt](https://example.org \"Titel\")", 0,
	    "*fett* verlinkt <https://example.org>\n");
	text_is("[x](https://example.org/a&amp;b \"t\")", 0,
	    "x <https://example.org/a&b>\n");
	text_is("[x](<https://example.org/a b>)", 0,
	    "x <https://example.org/a%20b>\n");
	text_is("[klick](javascript:alert(1)) [rel](/pfad:x) [anker](#oben)", 0,
	    "klick rel anker\n");
	text_is("![Logo](https://example.org/l.png) ![x](javascript:y)", 0,
	    "Logo <https://example.org/l.png> x\n");
	text_is("[r]\n\n[r]: https://example.org/ref", 0,
	    "r <https://example.org/ref>\n");
	/* empty link text, first thing in the document */
	text_is("[](https://example.org/leer)", 0,
	    "<https://example.org/leer>\n");
	text_is("[](javascript:x)x", 0, "x\n");
}

static void
test_text_inline(void **state)
{
	(void)state;
	text_is("*a* _b_ **c** __d__ ***e*** ~~f~~ `g *h*` **i *j* k**", 0,
	    "*a* *b* *c* *d* *e* ~~f~~ g *h* *i j k*\n");
	text_is("`` a `b` c ``", 0, "a `b` c\n");
	text_is("a\\\nb  \nc\nd", 72, "a\nb\nc d\n");
	text_is("Zeile eins\\\nZeile zwei ist l\xc3\xa4nger als", 12,
	    "Zeile eins\nZeile zwei\nist l\xc3\xa4nger\nals\n");
	text_is("\\*kein\\* \\# Zeichen", 0, "*kein* # Zeichen\n");
}

static void
test_text_blocks(void **state)
{
	(void)state;
	text_is("> a\n>\n> b\n\nc", 72, "> a\n>\n> b\n\nc\n");
	text_is("> Ein Zitat, das umbrochen wird und weitergeht", 24,
	    "> Ein Zitat, das\n> umbrochen wird und\n> weitergeht\n");
	text_is("> a\n> > b\n>\n> c", 72, "> a\n>\n> > b\n>\n> c\n");
	text_is("- > q1\n  > q2\n- x", 72, "- > q1 q2\n- x\n");
	text_is("> - a\n> - b", 72, "> - a\n> - b\n");
	text_is("a\n\n---\n\nb", 30,
	    "a\n\n------------------------------\n\nb\n");
	text_is("***", 0, "------------------------------------------------"
	    "------------------------\n");
	text_is("```\nx  y\n\n\tz   \n```\nnach", 72,
	    "    x  y\n\n        z\n\nnach\n");	/* md4c expands the tab */
	text_is("Text\n\n    nicht eingerückt", 72,
	    "Text\n\nnicht eingerückt\n");
	text_is("- a\n\n  ```\n  c\n  ```", 72, "- a\n\n      c\n");
	text_is("```\ncode\n\n  \n", 72, "    code\n");	/* unclosed */
	text_is("```\n```\n\nText", 72, "Text\n");
}

static void
test_text_tables(void **state)
{
	(void)state;
	text_is("| Tag | Zeit | Ort |\n|---|--:|:-:|\n| Montag | 18:00 | "
	    "Caf\xc3\xa9 |\n| Di | 9:00 | Haus **B** |", 72,
	    "Tag    |  Zeit |   Ort\n"
	    "-------+-------+---------\n"
	    "Montag | 18:00 |   Caf\xc3\xa9\n"
	    "Di     |  9:00 | Haus *B*\n");
	/* a one-column table skips empty rows */
	text_is("| a |\n|---|\n|  |\n| b |\n|\x01|", 72, "a\n-\nb\n");
	/* missing cells are empty, extra cells dropped */
	text_is("| a | b |\n|---|---|\n| 1 |\n| 2 | 3 | 4 |\n\nnach", 72,
	    "a | b\n--+--\n1 |\n2 | 3\n\nnach\n");
}

static void
test_text_entities(void **state)
{
	(void)state;
	text_is("&amp; &lt; &gt; &quot; &apos; &auml;&ouml;&uuml;&szlig;&Auml;"
	    "&Ouml;&Uuml; &euro; &copy; &#228; &#xE4; &#XC4; &#150; "
	    "&bdquo;x&ldquo; &hellip; &ndash; &mdash; &unknown; &#0; "
	    "&#x110000; &#xD800;", 0,
	    "& < > \" ' \xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f\xc3\x84\xc3\x96"
	    "\xc3\x9c \xe2\x82\xac \xc2\xa9 \xc3\xa4 \xc3\xa4 \xc3\x84 "
	    "\xe2\x80\x93 \xe2\x80\x9ex\xe2\x80\x9c \xe2\x80\xa6 "
	    "\xe2\x80\x93 \xe2\x80\x94 &unknown; \xef\xbf\xbd \xef\xbf\xbd "
	    "\xef\xbf\xbd\n");
	/* a decoded control character is a space, not a line break */
	text_is("a&#10;b&#9;c&#27;d", 0, "a b c d\n");
	/* in code, entities are text */
	text_is("`&amp;`", 0, "&amp;\n");
}

static void
test_text_raw_html(void **state)
{
	(void)state;
	text_is("a <b>fett</b> <!-- Notiz --> b", 0, "a fett b\n");
	text_is("<div class=\"x\">\nBlock\n</div>", 0, "Block\n");
	text_is("<script>alert(1)</script>", 0, "alert(1)\n");
	text_is("<!-- nur ein Kommentar -->", 0, "");
	text_is("Kinder < 6 Jahre, a<b", 0, "Kinder < 6 Jahre, a<b\n");
}

static void
test_text_document(void **state)
{
	const char *md =
	    "\xef\xbb\xbf# Rundbrief Dezember\n\n"
	    "Liebe Ehrenamtliche,  \nim Dezember gibt es **viele** Termine. "
	    "Bitte lest *alles* genau durch.\n\n"
	    "## Termine\n\n"
	    "- Sprachcaf\xc3\xa9, siehe [Webseite](https://example.org/cafe)\n"
	    "- Fahrradwerkstatt\n  - Werkzeug\n\n"
	    "> Ein Zitat.\n\n---\n\nGr\xc3\xbc\xc3\x9f" "e\n";
	const char *want =
	    "Rundbrief Dezember\n==================\n\n"
	    "Liebe Ehrenamtliche,\nim Dezember gibt es *viele*\n"
	    "Termine. Bitte lest *alles*\ngenau durch.\n\n"
	    "Termine\n-------\n\n"
	    "- Sprachcaf\xc3\xa9, siehe Webseite\n"
	    "  <https://example.org/cafe>\n"
	    "- Fahrradwerkstatt\n  * Werkzeug\n\n"
	    "> Ein Zitat.\n\n------------------------------\n\n"
	    "Gr\xc3\xbc\xc3\x9f" "e\n";
	struct buf b;

	(void)state;
	text_is(md, 30, want);

	/* appends; empty input renders nothing */
	buf_init(&b);
	buf_puts(&b, "Kopf\n");
	assert_int_equal(md_to_text("*x*", 3, 72, &b), 0);
	assert_int_equal(md_to_text("", 0, 72, &b), 0);
	assert_int_equal(md_to_text("\n\n  \n", 5, 72, &b), 0);
	assert_string_equal(b.data, "Kopf\n*x*\n");
	/* invalid UTF-8 is refused and out left alone */
	assert_int_equal(md_to_text("a\xc3(", 3, 72, &b), -1);
	assert_int_equal(md_to_text("\xf8\x88\x80\x80\x80", 5, 72, &b), -1);
	assert_string_equal(b.data, "Kopf\n*x*\n");
	buf_free(&b);
}

/* Deep nesting is indented up to 40 characters and still leaves at least
 * 20 for the text. */
static void
test_text_deep(void **state)
{
	struct buf md, out;
	char *t;
	int i;

	(void)state;
	buf_init(&md);
	for (i = 0; i < 40; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "aaaa bbbb cccc dddd eeee ffff");
	buf_init(&out);
	assert_int_equal(md_to_text(md.data, md.len, 50, &out), 0);
	t = buf_steal(&out);
	check_text_rules(t, 0);
	buf_reset(&md);
	for (i = 0; i < 20; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "aaaa bbbb cccc dddd\n");
	for (i = 0; i < 20; i++)
		buf_puts(&md, "> ");
	buf_puts(&md, "eeee ffff\n");
	assert_string_equal(t, md.data);
	free(t);
	buf_free(&md);
}

/* Pathological nesting is indented no further than 40 characters, so the
 * output grows with the input, not with lines times depth. */
static void
test_text_deep_linear(void **state)
{
	const char *items = "- - - - - - - - - - - - - - - - - - - - - - - - "
	    "x\n  y";
	struct buf md, out;
	int i;

	(void)state;
	buf_init(&md);
	buf_init(&out);
	for (i = 0; i < 5000; i++)
		buf_puts(&md, "> ");
	for (i = 0; i < 5000; i++)
		buf_puts(&md, "wort\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&md, "%*s- x\n", 2 * i, "");
	assert_int_equal(md_to_text(md.data, md.len, 72, &out), 0);
	check_text_rules(out.data, 0);
	assert_true(out.len < 4 * md.len);
	/* every item keeps its marker */
	buf_reset(&out);
	assert_int_equal(md_to_text(items, strlen(items), 72, &out), 0);
	assert_string_equal(out.data, "- * - * - * - * - * - * - * - * - * - * "
	    "- * - * x y\n");
	buf_free(&md);
	buf_free(&out);
}

/* ---- front matter ---- */

static void
test_front_none(void **state)
{
	struct md_front f;
	char *err = NULL;

	(void)state;
	assert_int_equal(md_split_front_matter("# Titel\n", 8, &f, &err), 0);
	assert_int_equal(f.body, 0);
	assert_int_equal(f.nfields, 0);
	assert_null(f.subject);
	md_front_free(&f);
	assert_int_equal(md_split_front_matter("", 0, &f, &err), 0);
	assert_int_equal(f.body, 0);
	md_front_free(&f);
	/* "---" not on the first line is no front matter */
	assert_int_equal(md_split_front_matter("\n---\na: b\n---\n", 14, &f,
	    &err), 0);
	assert_int_equal(f.nfields, 0);
	assert_int_equal(f.body, 0);
	md_front_free(&f);
	assert_int_equal(md_split_front_matter("----\na: b\n---\n", 14, &f,
	    &err), 0);
	assert_int_equal(f.nfields, 0);
	md_front_free(&f);
	assert_null(err);
}

static void
test_front_fields(void **state)
{
	const char *src =
	    "---\n"
	    "Subject:  Rundbrief Dezember: Termine  \n"
	    "title: \"Unser Rundbrief\"\n"
	    "# ein Kommentar\n"
	    "\n"
	    "preheader: 'Sprachcaf\xc3\xa9 & mehr'\n"
	    "Extra_Key-2: \"\"\n"
	    "leer:\n"
	    "quote: \"nur links\n"
	    "---\n"
	    "# Body\n";
	struct md_front f;
	char *err = NULL;

	(void)state;
	assert_int_equal(md_split_front_matter(src, strlen(src), &f, &err), 0);
	assert_null(err);
	assert_string_equal(src + f.body, "# Body\n");
	assert_int_equal(f.nfields, 6);
	assert_string_equal(f.subject, "Rundbrief Dezember: Termine");
	assert_string_equal(f.title, "Unser Rundbrief");
	assert_string_equal(f.preheader, "Sprachcaf\xc3\xa9 & mehr");
	assert_string_equal(f.fields[0].key, "subject");
	assert_string_equal(f.fields[3].key, "extra_key-2");
	assert_string_equal(md_front_get(&f, "extra_key-2"), "");
	assert_string_equal(md_front_get(&f, "leer"), "");
	assert_string_equal(md_front_get(&f, "quote"), "\"nur links");
	assert_null(md_front_get(&f, "Subject"));
	assert_null(md_front_get(&f, "missing"));
	md_front_free(&f);
	assert_null(f.fields);
	assert_int_equal(f.nfields, 0);
}

static void
test_front_crlf_bom(void **state)
{
	const char *src = "\xef\xbb\xbf---  \r\nsubject: Hallo\r\n---\r\nText";
	struct md_front f;
	char *err = NULL;

	(void)state;
	assert_int_equal(md_split_front_matter(src, strlen(src), &f, &err), 0);
	assert_string_equal(f.subject, "Hallo");
	assert_string_equal(src + f.body, "Text");
	md_front_free(&f);
	/* closing fence at the very end, no body */
	assert_int_equal(md_split_front_matter("---\na: b\n---", 12, &f, &err),
	    0);
	assert_int_equal(f.body, 12);
	assert_string_equal(md_front_get(&f, "a"), "b");
	md_front_free(&f);
	/* BOM but no front matter: the body starts after the BOM */
	assert_int_equal(md_split_front_matter("\xef\xbb\xbfText", 7, &f,
	    &err), 0);
	assert_int_equal(f.body, 3);
	md_front_free(&f);
}

static void
front_error(const char *src, const char *want)
{
	struct md_front f;
	char *err = NULL;

	assert_int_equal(md_split_front_matter(src, strlen(src), &f, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_null(f.fields);
	free(err);
}

static void
test_front_errors(void **state)
{
	(void)state;
	front_error("---\nsubject: x\n\n# nur Kommentar\n",
	    "line 1: front matter is not closed by a \"---\" line");
	front_error("---\nsubject: x\n\nText ohne Ende\n",
	    "line 4: expected \"key: value\" or the \"---\" that ends the "
	    "front matter");
	front_error("---\n", "line 1: front matter is not closed by a \"---\" "
	    "line");
	front_error("---\nsubject: x\ntitle y\n---\n",
	    "line 3: expected \"key: value\" or the \"---\" that ends the "
	    "front matter");
	front_error("---\r\nsubject: x\r\nSUBJECT: y\r\n---\r\n",
	    "line 3: duplicate key \"subject\"");
	front_error("---\nAb C: x\n---\n", "line 2: invalid key \"Ab C\"");
	front_error("---\n: x\n---\n", "line 2: missing key before ':'");
	front_error("---\na: x\nb: \xff\n---\n",
	    "line 3: value is not valid UTF-8 text for key \"b\"");
	front_error("---\na: x\x1b[31m\n---\n",
	    "line 2: value is not valid UTF-8 text for key \"a\"");
	front_error("---\nk\xc3\xa4y: x\n---\n",
	    "line 2: invalid key \"k\xc3\xa4y\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_elements),
		cmocka_unit_test(test_html_dialect),
		cmocka_unit_test(test_html_no_raw_html),
		cmocka_unit_test(test_html_links_neutralised),
		cmocka_unit_test(test_url_allowed),
		cmocka_unit_test(test_html_utf8),
		cmocka_unit_test(test_entity_decode),
		cmocka_unit_test(test_text_headings),
		cmocka_unit_test(test_text_wrap_utf8),
		cmocka_unit_test(test_text_long_words),
		cmocka_unit_test(test_text_lists),
		cmocka_unit_test(test_text_links),
		cmocka_unit_test(test_text_inline),
		cmocka_unit_test(test_text_blocks),
		cmocka_unit_test(test_text_tables),
		cmocka_unit_test(test_text_entities),
		cmocka_unit_test(test_text_raw_html),
		cmocka_unit_test(test_text_document),
		cmocka_unit_test(test_text_deep),
		cmocka_unit_test(test_text_deep_linear),
		cmocka_unit_test(test_front_none),
		cmocka_unit_test(test_front_fields),
		cmocka_unit_test(test_front_crlf_bom),
		cmocka_unit_test(test_front_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
