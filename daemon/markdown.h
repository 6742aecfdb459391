/*
 * markdown: the coordinator's Markdown (monthly editorial, event
 * descriptions) rendered for both parts of an e-mail, with md4c.
 *
 * Dialect, the same for both renderers: CommonMark plus GitHub's tables,
 * strikethrough and autolinks (https://…, www.…, name@example.org without
 * angle brackets). Left out on purpose: task lists (check boxes mean nothing
 * in a mail) and indented code blocks (a paragraph indented by four spaces
 * by accident stays a paragraph; fenced ``` blocks still work).
 *
 * Raw HTML never passes through. The HTML renderer shows it as text
 * (escaped); the text renderer drops the tags and keeps the text between
 * them. Links and images whose URL has a scheme other than http, https,
 * mailto or tel (images: http, https, cid) are neutralised: the link text
 * or image description stays, the link does not.
 *
 * Input must be UTF-8 (a leading byte-order mark is skipped); the renderers
 * return -1 for invalid UTF-8. Output is always valid UTF-8.
 *
 * md_to_text() lives in markdown_text.c, the rest in markdown.c.
 */
#ifndef RUNDBRIEF_MARKDOWN_H
#define RUNDBRIEF_MARKDOWN_H

#include <stddef.h>

#include "util.h"

/*
 * Renders src (len bytes) as an HTML fragment (block elements, no <html> or
 * <body>) and APPENDS it to out. Returns 0, or -1 if src is not valid UTF-8
 * or md4c fails; on -1 out is left as it was.
 */
int md_to_html(const char *src, size_t len, struct buf *out);

/*
 * Renders src as plain text for a text/plain part and APPENDS it to out.
 * Lines are wrapped at width characters (Unicode characters, not bytes;
 * combining marks and soft hyphens count 0) on spaces only, so a word or
 * URL longer than a line stands alone on its line; width 0 means no
 * wrapping. Quotes and lists indent at most 40 characters (deeper levels
 * are not indented further) and leave at least 20 for the text.
 *
 * The text reads:
 *   Heading 1     underlined with '=' (Heading 2 with '-'; level 3 to 6
 *                 "### Heading")
 *   *emphasis*    for both emphasis and strong emphasis; ~~struck~~
 *   code          code spans as they are; code blocks indented 4 spaces
 *   text <url>    links; just <url> when the text is the URL, the bare
 *                 address for mailto autolinks; images as "alt <url>"
 *   - item        bullets "- ", nested lists "* ", then "- " again; ordered
 *   1. item       lists "1. "; continuation lines and nested lists are
 *                 indented under the item's text
 *   > quoted      block quotes
 *   ------        a rule across the line
 *   a | b         tables with aligned columns (not wrapped)
 * Links to other schemes and relative links keep only their text. Raw
 * HTML tags and comments are dropped, the text between tags stays.
 * Entities (&amp; &auml; &#8211; ...) are decoded to UTF-8. Blocks are
 * separated by one blank line (items of a tight list by none), no line
 * has trailing white space, and the text ends with exactly one newline (an
 * empty document renders as nothing).
 *
 * Returns 0, or -1 if src is not valid UTF-8 or md4c fails; on -1 out is
 * left as it was.
 */
/*
 * A copy of src[0..len) for md4c 0.4.8 (which reads past the end of an
 * input that does not end with a newline): it ends with a newline and
 * zero padding; *n gets the length to parse. Caller frees. For the two
 * renderers.
 */
char *md_padded_copy(const char *src, size_t len, size_t *n);

int md_to_text(const char *src, size_t len, size_t width, struct buf *out);

/*
 * 1 if url (len bytes, entities already decoded) may be a link target
 * (image == 0: scheme http, https, mailto or tel, or no scheme at all: a
 * relative URL or "#fragment") or an image source (image != 0: http,
 * https or cid), else 0. The scheme is what comes before the first ':'
 * that precedes any '/', '?' or '#', compared without regard to case;
 * anything else there (blanks, escapes, "java\tscript") makes it unknown.
 */
int md_url_allowed(const char *url, size_t len, int image);

/*
 * Decodes the HTML character reference s (n bytes, "&auml;", "&#228;" or
 * "&#xE4;", as md4c reports an entity) and appends its UTF-8 to out.
 * Numeric references follow HTML: 0, surrogates and values past U+10FFFF
 * give U+FFFD, 128..159 are read as Windows-1252 (&#150; is an en dash).
 * Known names: the Latin-1 set, &quot; &amp; &apos; &lt; &gt;, and common
 * typography (&ndash; &bdquo; &euro; &hellip; ...). A control character
 * becomes a space. Returns 1, or 0 when s is not a reference or the name
 * is unknown; then s is appended as it is.
 */
int md_entity_decode(const char *s, size_t n, struct buf *out);

/* One "key: value" line of front matter. */
struct md_front_field {
	char	*key;		/* lower case: [a-z0-9_-]+ */
	char	*value;		/* trimmed, one pair of quotes removed */
};

struct md_front {
	size_t			 body;	/* offset of the Markdown body in src */
	struct md_front_field	*fields; /* in the order written */
	size_t			 nfields;
	/* Shortcuts to the values of these keys in fields, or NULL. */
	const char		*subject;
	const char		*title;
	const char		*preheader;
};

/*
 * Splits optional front matter off the start of src:
 *
 *   ---
 *   subject: Rundbrief Dezember
 *   preheader: "Termine: Sprachcafé, Fahrradwerkstatt"
 *   ---
 *   Markdown body …
 *
 * The first line (after an optional byte-order mark) must be exactly
 * "---" (trailing blanks and CR allowed) for front matter to be present.
 * Inside, blank lines and lines starting with '#' are skipped; every other
 * line is "key: value" (the value may contain ':'). Keys are lower-cased;
 * every key is returned, known or not.
 *
 * Returns 0 and fills *out (body = 0, or 3 past a byte-order mark, and no
 * fields when there is no front matter); free it with md_front_free().
 * Returns -1 and sets *errstr (caller frees; "line N: what is wrong") when
 * the block is not closed by a "---" line, a line is not "key: value", a
 * key has other characters than letters, digits, '_' and '-', a key occurs
 * twice, or a value is not valid UTF-8 or holds control characters; *out
 * then needs no freeing.
 */
int md_split_front_matter(const char *src, size_t len, struct md_front *out,
    char **errstr);

/* The value of key (lower case) in f, or NULL. Owned by f. */
const char *md_front_get(const struct md_front *f, const char *key);

/* Frees what md_split_front_matter() put into f and clears it. */
void md_front_free(struct md_front *f);

#endif
