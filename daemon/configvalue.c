/*
 * configvalue: the formats configuration values are checked against while
 * parsing (durations, e-mail addresses, domains, URLs, language codes,
 * booleans). config.c reads the file and the keys.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "configpriv.h"
#include "util.h"

int
config_parse_duration(const char *s, long *seconds)
{
	long total = 0, n, mult;
	const char *q = s;
	char *end;
	int parts = 0;

	while (isspace((unsigned char)*q))
		q++;
	if (*q == '\0')
		return -1;
	while (*q != '\0') {
		if (!isdigit((unsigned char)*q))
			return -1;
		errno = 0;
		n = strtol(q, &end, 10);
		if (errno != 0 || n < 0)
			return -1;
		switch (*end) {
		case 's': mult = 1; end++; break;
		case 'm': mult = 60; end++; break;
		case 'h': mult = 3600; end++; break;
		case 'd': mult = 86400; end++; break;
		case 'w': mult = 7 * 86400; end++; break;
		case '\0': case ' ':
			if (parts > 0)
				return -1; /* "1h 30" is ambiguous */
			mult = 1;
			break;
		default:
			return -1;
		}
		if (n > LONG_MAX / mult || total > LONG_MAX - n * mult)
			return -1;
		total += n * mult;
		parts++;
		while (*end == ' ')
			end++;
		q = end;
	}
	*seconds = total;
	return 0;
}

int
config_invites(const struct config *cfg, const char *kind)
{
	size_t n = strlen(kind);
	const char *p;

	if (cfg->invite_kinds == NULL || n == 0)
		return 0;
	for (p = strstr(cfg->invite_kinds, kind); p != NULL;
	    p = strstr(p + 1, kind))
		if (p[-1] == ',' && p[n] == ',')
			return 1;
	return 0;
}

int
config_valid_email(const char *s)
{
	const char *at = strrchr(s, '@'), *p;
	size_t local, dlen;
	int dot = 0;

	if (at == NULL)
		return 0;
	local = (size_t)(at - s);
	dlen = strlen(at + 1);
	if (local == 0 || local > 64 || dlen == 0 || dlen > 253)
		return 0;
	for (p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f || strchr("()<>[]:;@\\,\"", c))
			return 0;
	}
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (p = at + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.') {
			if (p == at + 1 || p[1] == '\0' || p[1] == '.')
				return 0;
			dot = 1;
		} else if (!isalnum(c) && c != '-')
			return 0;
	}
	return dot;
}

int
config_valid_domain(const char *s)
{
	char *tmp = xasprintf("x@%s", s);
	int ok = config_valid_email(tmp);

	free(tmp);
	return ok;
}

/* "Name <addr>" or "addr". */
int
config_valid_from(const char *s)
{
	const char *lt = strrchr(s, '<');
	char *addr;
	int ok;
	size_t n;

	if (strpbrk(s, "\r\n") != NULL)
		return 0;
	if (lt == NULL)
		return config_valid_email(s);
	n = strlen(lt);
	if (n < 3 || lt[n - 1] != '>')
		return 0;
	addr = xstrndup(lt + 1, n - 2);
	ok = config_valid_email(addr);
	free(addr);
	return ok;
}

/* scheme://host[:port][/path], host non-empty, port 1..65535. */
int
config_valid_url(const char *s, const char *const *schemes, char *why,
    size_t whylen)
{
	const char *const *sc;
	const char *host = NULL, *p, *hend;
	size_t n;

	for (sc = schemes; *sc != NULL; sc++) {
		n = strlen(*sc);
		if (strncasecmp(s, *sc, n) == 0 && strncmp(s + n, "://", 3) == 0) {
			host = s + n + 3;
			break;
		}
	}
	if (host == NULL) {
		snprintf(why, whylen, "unsupported URL scheme (use %s://…%s%s%s)",
		    schemes[0], schemes[1] ? " or " : "",
		    schemes[1] ? schemes[1] : "", schemes[1] ? "://…" : "");
		return 0;
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(why, whylen, "URL contains white space or "
			    "control characters");
			return 0;
		}
	hend = host + strcspn(host, ":/?#");
	if (hend == host) {
		snprintf(why, whylen, "URL has no host name");
		return 0;
	}
	if (*hend == ':') {
		char *end;
		long port = strtol(hend + 1, &end, 10);
		if (end == hend + 1 || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != '/')) {
			snprintf(why, whylen, "port must be 1..65535");
			return 0;
		}
	}
	return 1;
}

int
config_valid_lang(const char *s)
{
	return strlen(s) == 2 && islower((unsigned char)s[0]) &&
	    islower((unsigned char)s[1]);
}

int
config_parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}
