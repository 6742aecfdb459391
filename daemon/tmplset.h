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
 * lookup order and fallback.
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
