/*
 * configpriv: the value checks of configvalue.c that only config.c uses
 * (config.h has the public ones, config_parse_duration and
 * config_valid_email).
 */
#ifndef RUNDBRIEF_CONFIGPRIV_H
#define RUNDBRIEF_CONFIGPRIV_H

#include <stddef.h>

/* A domain name such as rundbrief.example.org; 1 if acceptable. */
int config_valid_domain(const char *s);

/* "Name <addr>" or "addr", one line; 1 if acceptable. */
int config_valid_from(const char *s);

/*
 * scheme://host[:port][/path] with one of schemes (NULL-terminated, the
 * first named in the message), a host, a port 1..65535 and no blanks or
 * control characters. 1 if acceptable, else 0 with why (whylen bytes).
 */
int config_valid_url(const char *s, const char *const *schemes, char *why,
    size_t whylen);

/* A two-letter lower-case ISO 639-1 code; 1 if acceptable. */
int config_valid_lang(const char *s);

/* yes/true/on/1 or no/false/off/0 (any case) into *out; 0 or -1. */
int config_parse_bool(const char *v, int *out);

#endif
