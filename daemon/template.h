/*
 * template: Mustache templates for rundbrief's mails.
 *
 * A template is parsed once (tmpl_parse) into a flat instruction array,
 * together with every partial it uses, and can then be rendered any number
 * of times (tmpl_render) against a stack of context values (tmplvalue.h).
 * Rendering allocates nothing but the output buffer's growth.
 *
 * Supported: the Mustache spec's interpolation, sections, inverted
 * sections, comments, partials, set-delimiter tags and standalone-line
 * rules (all of comments, delimiters, interpolation, inverted, partials and
 * sections), plus the optional dynamic partial names ({{>*name}}) and
 * template inheritance ({{<parent}}{{$block}}...{{/block}}{{/parent}}),
 * except that a block's lines are not re-indented to the indentation of
 * the place it is expanded at. Not supported: lambdas (a context holds no
 * code).
 *
 * What a value renders as: a string renders its bytes; null and a missing
 * name render nothing; a bool renders "true" or "false"; a list or an
 * object renders nothing. In TMPL_HTML templates {{name}} escapes & < > "
 * and ' (as &amp; &lt; &gt; &quot; &#39;), so a value can neither inject
 * markup nor leave a quoted attribute; TMPL_TEXT templates do not escape.
 * {{{name}}} and {{& name}} never escape.
 *
 * Sections: a non-empty list renders its body once per item with the item
 * pushed on the context stack; an object and a non-empty string are pushed
 * and rendered once (so {{.}} inside shows the string); true renders once
 * without pushing; false, null, a missing name, "" and an empty list render
 * nothing (and make an inverted section render).
 *
 * Names: "a.b.c" finds "a" through the whole context stack (top first) and
 * then "b" and "c" only inside it; "." is the top of the stack. A key whose
 * value is null still hides the same key further down the stack.
 */
#ifndef RUNDBRIEF_TEMPLATE_H
#define RUNDBRIEF_TEMPLATE_H

#include <stddef.h>

#include "tmplvalue.h"
#include "util.h"

struct tmpl;

enum tmpl_mode {
	TMPL_HTML,	/* {{x}} is HTML-escaped */
	TMPL_TEXT	/* nothing is escaped */
};

/*
 * Looks up the partial called name (as written after "{{>"). Returns 0 and
 * sets *src to a malloc'd source of *len bytes (the engine frees it) and
 * *filename to a malloc'd name used in error messages (the engine frees it;
 * it may be left NULL, then the partial's name is used). Returns -1 when
 * there is no such partial: tmpl_parse fails with "unknown partial". Returns
 * 1 to have a missing partial render as the empty string instead (the
 * Mustache spec's lenient behaviour). Called once per distinct name.
 */
typedef int (*tmpl_partial_fn)(void *arg, const char *name, char **src,
    size_t *len, char **filename);

/*
 * Parses len bytes of src (copied; the caller keeps src) and, through fn,
 * every partial it uses, each once, recursive partials included. filename
 * is used in error messages (NULL gives "<template>"). fn may be NULL when
 * the template uses no partials.
 *
 * fn and arg are not kept: fn is never called after tmpl_parse returns
 * (but see tmpl_dynamic_partials).
 *
 * Returns the template (free with tmpl_free), or NULL with *errstr set
 * (when errstr is not NULL; caller frees) to "FILE:LINE:COL: message",
 * LINE and COL 1-based, COL in characters, pointing at the tag at fault:
 *   unclosed section "x" (opened at L:C)       (points at the end of file)
 *   mismatched close tag "x", expected "y"
 *   unexpected close tag "x"
 *   unknown partial "x"
 *   bad delimiter tag
 *   unclosed tag, expected "}}"
 *   empty tag / bad name "x"
 *   partials nested too deep                   (over 100 levels)
 * An error inside a partial names the partial's file.
 */
struct tmpl *tmpl_parse(const char *src, size_t len, const char *filename,
    enum tmpl_mode mode, tmpl_partial_fn fn, void *arg, char **errstr);

/*
 * A dynamic partial ({{>*name}}) renders the partial named by the value of
 * name. By default it finds only the partials tmpl_parse loaded (those the
 * template names with {{>...}}); a name it does not find renders nothing.
 * This lets it load others while rendering, through fn (as in tmpl_parse),
 * the first time each name is met; one that fn does not know, or that does
 * not parse, renders nothing (a parse error is logged once). arg must stay
 * valid as long as t. A NULL fn turns loading off again. Not thread-safe:
 * rendering then modifies t.
 */
void tmpl_dynamic_partials(struct tmpl *t, tmpl_partial_fn fn, void *arg);

/*
 * Renders t, appending to out. stack holds depth context values, the LAST
 * one is the top (searched first); entries may be NULL (skipped). Values
 * stay owned by the caller. A missing name is not an error: it renders
 * nothing. Returns 0, or -1 for a template that recurses without end:
 * partials nested more than 1000 deep, or more than a million partials
 * rendered in all; out then holds what was rendered up to there.
 */
int tmpl_render(const struct tmpl *t, const struct tv *const *stack,
    size_t depth, struct buf *out);

/* Frees t and its partials. NULL is ignored. */
void tmpl_free(struct tmpl *t);

/*
 * Calls fn once for every occurrence of a context name in t and in each of
 * its partials (each partial once): variables, sections, inverted sections
 * and the name of a dynamic partial, in source order, the template first.
 * file is the file the name occurs in (the template's filename, or the
 * partial's as its tmpl_partial_fn named it), and line and col (1-based)
 * are in that file; name is the name as written ("event.title"). "." is
 * not reported. Names inside a section are reported as written, though
 * they may be found in the section's value at render time. Returns the
 * number of calls.
 */
int tmpl_names(const struct tmpl *t, void (*fn)(void *arg, const char *file,
    const char *name, int line, int col), void *arg);

#endif
