/*
 * lang: the language a subscriber reads, stored as an ISO 639-1 code
 * ("de", "uk", "fa"). This module holds the list of codes and the names
 * people write for them in a spreadsheet or on the command line, so that
 * `subscriber import`, `subscriber add --lang` and `subscriber set --lang`
 * accept the same things.
 */
#ifndef RUNDBRIEF_LANG_H
#define RUNDBRIEF_LANG_H

/* 1 if code is an ISO 639-1 code as stored: two lower-case letters from
 * the standard's list ("de", not "DE", "xx" or "deu"). */
int lang_valid(const char *code);

/*
 * The ISO 639-1 code for what a person wrote, or NULL if it names no
 * language we know. Accepted, ignoring case (utf8_fold()), surrounding white
 * space and repeated inner spaces:
 *  - an ISO 639-1 code ("de", "DE"), also with a region or script subtag
 *    ("de-DE", "pt_BR", "zh-Hans");
 *  - the ISO 639-2 code of a listed language ("deu", "ger", "ukr");
 *  - a language's name in German, English or the language itself, for the
 *    languages of the larger refugee, migrant and volunteer groups in
 *    Germany and their neighbours ("Deutsch", "German", "Ukrainisch",
 *    "Українська", "Arabisch", "العربية", "Farsi", "Dari", "Persisch"
 *    (all fa), "Paschtu", "Kurdisch", "Tigrinya", "Somali" …).
 * The returned string is static.
 */
const char *lang_from_text(const char *text);

/* What to write instead, for an error message: "an ISO 639-1 code …". */
const char *lang_hint(void);

#endif
