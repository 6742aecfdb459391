/*
 * tmplset: finds, parses and caches the mail templates.
 *
 * A template is <lang>/<name>.<part>.mustache, part being "subject", "txt"
 * or "html". Each file is looked up first in the coordinator's override
 * directory ([general] templates), then among the shipped templates built
 * into the program (the same files `make install` puts under
 * share/rundbrief/templates for reference). So copying one shipped file
 * into the override directory and editing it changes that file only.
 *
 * Languages: a template missing in the subscriber's language is taken from
 * the default language. Partials ({{> footer}}) resolve to
 * <lang>/footer.html.mustache in HTML templates and
 * <lang>/footer.txt.mustache in text and subject templates, with the same
 * lookup order and fallback. A template in a folder (name "web/unsubscribe":
 * the pages of rundbrief-web) finds its partials in that folder
 * ({{> layout}} is <lang>/web/layout.html.mustache).
 */
#ifndef RUNDBRIEF_TMPLSET_H
#define RUNDBRIEF_TMPLSET_H

#include "template.h"

struct tmplset;

/* The mail kinds and the parts of each. */
extern const char *const tmplset_names[];   /* NULL-terminated */
extern const char *const tmplset_parts[];   /* subject, txt, html, NULL */

/* override_dir may be NULL. default_lang: e.g. "de". */
struct tmplset *tmplset_new(const char *override_dir,
    const char *default_lang);

/*
 * Reads the file rel ("de/newsletter.html.mustache"): 0 with *src, *len and
 * *filename (all malloc'd), 1 when there is no such file, -1 on an error
 * (*filename then holds the message).
 */
typedef int (*tmplset_loader)(void *arg, const char *rel, char **src,
    size_t *len, char **filename);

/* A set that reads its files only through loader (e.g. the copies frozen
 * with a mailing), with templates in the languages langs (NULL-terminated);
 * arg must outlive the set. */
struct tmplset *tmplset_new_loader(tmplset_loader loader, void *arg,
    const char *default_lang, const char *const *langs);

/* Calls fn for every file read so far (to freeze them with a mailing). */
void tmplset_each_source(struct tmplset *ts, void (*fn)(void *arg,
    const char *rel, const char *src, size_t len), void *arg);
void tmplset_free(struct tmplset *ts);

/*
 * The parsed template for (lang, name, part), parsed once and cached.
 * *used_lang (if not NULL) is set to the language actually used. Returns
 * NULL with *errstr ("FILE:LINE:COL: message", or "no template …").
 */
const struct tmpl *tmplset_get(struct tmplset *ts, const char *lang,
    const char *name, const char *part, const char **used_lang,
    char **errstr);

/*
 * The languages that have templates (override or built-in), as a
 * NULL-terminated array owned by ts.
 */
const char *const *tmplset_languages(struct tmplset *ts);

/*
 * Parses every template of every language and reports each problem through
 * fn (one message per call). Returns the number of errors.
 */
int tmplset_check(struct tmplset *ts, void (*fn)(void *arg, const char *msg),
    void *arg);

#endif
