/*
 * config: reads the INI file with inih and checks every value while parsing.
 *
 * Debian's inih is built without line numbers in the handler, so the file is
 * fed through ini_parse_stream() with a reader that counts lines: when the
 * handler runs, the counter holds the line of the key being handled
 * (multi-line values are switched off).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "event.h"
#include "configpriv.h"
#include "ical.h"
#include "log.h"
#include "util.h"

struct parse {
	struct config *cfg;
	const char *file;
	FILE *fp;
	int line;
	int nerrors;
	char *seen[64];     /* "section.key" already set, to catch repeats */
	size_t nseen;
	int password_line;  /* line of an inline password, 0 if none */
	char *linebuf;      /* reader()'s */
	size_t linecap;
};

enum kind { K_STR, K_EMAIL, K_FROM, K_URL_SMTP, K_URL_IMAP, K_URL_WEB, K_TZ,
	K_LANG, K_INT, K_RATE, K_LONG, K_DURATION, K_BOOL, K_TLS, K_RRULE,
	K_OFFSETS, K_PATH, K_SECRET, K_DOMAIN, K_WORDS, K_ORDER, K_KINDS };

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	size_t off;       /* offset of the field in struct config */
	long min, max;    /* for K_INT, K_LONG, K_DURATION, K_RATE */
};

#define F(x) offsetof(struct config, x)
static const struct key keys[] = {
	{ "general", "database", K_PATH, F(database), 0, 0 },
	{ "general", "timezone", K_TZ, F(timezone), 0, 0 },
	{ "general", "language", K_LANG, F(language), 0, 0 },
	{ "general", "organisation", K_STR, F(organisation), 0, 0 },
	{ "general", "organizer_name", K_STR, F(organizer_name), 0, 0 },
	{ "general", "organizer_email", K_EMAIL, F(organizer_email), 0, 0 },
	{ "general", "templates", K_PATH, F(templates), 0, 0 },
	{ "general", "content", K_PATH, F(content), 0, 0 },
	{ "general", "base_url", K_URL_WEB, F(base_url), 0, 0 },
	{ "general", "message_id_domain", K_DOMAIN, F(message_id_domain), 0, 0 },
	{ "general", "area_name", K_WORDS, F(area_name), 0, 0 },
	{ "smtp", "url", K_URL_SMTP, F(smtp_url), 0, 0 },
	{ "smtp", "maildir", K_PATH, F(maildir), 0, 0 },
	{ "smtp", "username", K_STR, F(smtp_username), 0, 0 },
	{ "smtp", "password_file", K_PATH, F(smtp_password_file), 0, 0 },
	{ "smtp", "password", K_SECRET, F(smtp_password), 0, 0 },
	{ "smtp", "envelope_from", K_EMAIL, F(envelope_from), 0, 0 },
	{ "smtp", "from", K_FROM, F(from), 0, 0 },
	{ "smtp", "reply_to", K_EMAIL, F(reply_to), 0, 0 },
	{ "smtp", "connections", K_INT, F(connections), 1, 32 },
	{ "smtp", "rate_per_second", K_RATE, F(rate_per_second), 0, 10000 },
	{ "smtp", "rate_per_hour", K_LONG, F(rate_per_hour), 0, 10000000 },
	{ "smtp", "connect_timeout", K_DURATION, F(connect_timeout), 1, 600 },
	{ "smtp", "timeout", K_DURATION, F(timeout), 1, 3600 },
	{ "smtp", "tls", K_TLS, F(tls), 0, 0 },
	{ "smtp", "ca_file", K_PATH, F(ca_file), 0, 0 },
	{ "smtp", "max_age", K_DURATION, F(max_age), 60, 30 * 86400L },
	{ "smtp", "stop_grace", K_DURATION, F(stop_grace), 1, 60 },
	{ "newsletter", "schedule", K_RRULE, F(schedule), 0, 0 },
	{ "newsletter", "horizon", K_DURATION, F(horizon), 86400, 366 * 86400L },
	{ "newsletter", "review_lead", K_DURATION, F(review_lead), 0, 30 * 86400L },
	{ "newsletter", "review_to", K_EMAIL, F(review_to), 0, 0 },
	{ "newsletter", "grace", K_DURATION, F(grace), 0, 28 * 86400L },
	{ "newsletter", "list_id", K_DOMAIN, F(list_id), 0, 0 },
	{ "newsletter", "require_editorial", K_BOOL, F(require_editorial), 0, 0 },
	{ "newsletter", "order", K_ORDER, F(order), 0, 0 },
	{ "newsletter", "all_topics", K_BOOL, F(all_topics), 0, 0 },
	{ "invitations", "kinds", K_KINDS, F(invite_kinds), 0, 0 },
	{ "invitations", "announce", K_BOOL, F(announce), 0, 0 },
	{ "reminders", "offsets", K_OFFSETS, 0, 60, 366 * 86400L },
	{ "reminders", "deadline_offsets", K_OFFSETS, 1, 60, 366 * 86400L },
	{ "reminders", "alarm", K_DURATION, F(alarm), 0, 30 * 86400L },
	{ "http", "listen", K_STR, F(http_listen), 0, 0 },
	{ "http", "trusted_proxies", K_STR, F(trusted_proxies), 0, 0 },
	{ "http", "max_connections", K_INT, F(http_max_connections), 16, 10000 },
	{ "http", "per_client", K_INT, F(http_per_client), 1, 1000 },
	{ "imap", "url", K_URL_IMAP, F(imap_url), 0, 0 },
	{ "imap", "username", K_STR, F(imap_username), 0, 0 },
	{ "imap", "password_file", K_PATH, F(imap_password_file), 0, 0 },
	{ "imap", "password", K_SECRET, F(imap_password), 0, 0 },
	{ "imap", "mailbox", K_STR, F(imap_mailbox), 0, 0 },
	{ "imap", "poll_interval", K_DURATION, F(poll_interval), 10, 86400 },
	{ "imap", "processed_folder", K_STR, F(processed_folder), 0, 0 },
	{ "imap", "tls_verify", K_BOOL, F(imap_tls_verify), 0, 0 },
	{ "imap", "ca_file", K_PATH, F(imap_ca_file), 0, 0 },
	{ "imap", "unhandled_folder", K_STR, F(unhandled_folder), 0, 0 },
	{ "imap", "bounce_limit", K_INT, F(bounce_limit), 1, 100 },
	{ "imap", "confirm_expiry", K_DURATION, F(confirm_expiry), 3600,
	    365 * 86400L },
};
#undef F

#define FIELD(cfg, off, type) ((type *)(void *)((char *)(cfg) + (off)))

static void perr(struct parse *p, const char *section, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
perr(struct parse *p, const char *section, const char *name,
    const char *fmt, ...)
{
	va_list ap;
	char msg[512], *m, *sec, *key;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* what came from the file reaches no terminal as raw bytes */
	m = str_sanitize(msg);
	sec = str_sanitize(section);
	key = name != NULL ? str_sanitize(name) : NULL;
	if (key != NULL)
		fprintf(stderr, "%s:%d: [%s] %s: %s\n", p->file, p->line,
		    sec, key, m);
	else
		fprintf(stderr, "%s:%d: [%s]: %s\n", p->file, p->line, sec, m);
	free(m);
	free(sec);
	free(key);
	p->nerrors++;
}

static int
cmp_long_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x < y) - (x > y);
}

/* "welcome_conference, training" -> ",welcome_conference,training,". */
static void
set_kinds(struct parse *p, const struct key *k, const char *v)
{
	char *copy = xstrdup(v), *tok, *save = NULL;
	struct buf b;

	buf_init(&b);
	buf_putc(&b, ',');
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (!event_kind_valid(tok)) {
			char *clean = str_sanitize(tok);

			perr(p, k->section, k->name, "\"%s\" is not an event "
			    "kind (welcome_conference, volunteer_fair, training, "
			    "network_meeting, deadline, other)", clean);
			free(clean);
			continue;
		}
		if (strcmp(tok, "deadline") == 0) {
			perr(p, k->section, k->name, "a deadline is not a "
			    "meeting: it is never sent as an invitation");
			continue;
		}
		buf_puts(&b, tok);
		buf_putc(&b, ',');
	}
	free(copy);
	free(*FIELD(p->cfg, k->off, char *));
	*FIELD(p->cfg, k->off, char *) = buf_steal(&b);
}

static void
set_offsets(struct parse *p, const struct key *k, const char *v)
{
	struct config *cfg = p->cfg;
	char *copy = xstrdup(v), *tok, *save = NULL;
	long *vals = NULL, sec;
	size_t n = 0, i;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (config_parse_duration(tok, &sec) < 0 || sec < k->min ||
		    sec > k->max) {
			perr(p, k->section, k->name, "\"%s\" is not a duration "
			    "between 1m and 366d (write e.g. \"7d, 1d, 2h\")",
			    tok);
			free(vals);
			free(copy);
			return;
		}
		for (i = 0; i < n; i++)
			if (vals[i] == sec) {
				perr(p, k->section, k->name, "offset \"%s\" "
				    "is listed twice", tok);
				free(vals);
				free(copy);
				return;
			}
		vals = xrealloc(vals, (n + 1) * sizeof(*vals));
		vals[n++] = sec;
	}
	free(copy);
	if (n > 1)
		qsort(vals, n, sizeof(*vals), cmp_long_desc);
	if (k->off == 1) {	/* deadline_offsets */
		free(cfg->deadline_offsets);
		cfg->deadline_offsets = vals;
		cfg->n_deadline_offsets = n;
		return;
	}
	free(cfg->reminder_offsets);
	cfg->reminder_offsets = vals;
	cfg->n_reminder_offsets = n;
}

/* "key.LANG = text" (lang "" for plain "key"); empty text: the default. */
static void
set_word(struct parse *p, const struct key *k, const char *name,
    const char *lang, const char *v)
{
	struct config_words *ws = FIELD(p->cfg, k->off, struct config_words);
	size_t i;

	if (*lang != '\0' && !config_valid_lang(lang)) {
		perr(p, k->section, name, "\"%s\" is not a two-letter ISO 639-1 "
		    "language code (write e.g. %s.en)", lang, k->name);
		return;
	}
	if (!utf8_valid(v, strlen(v))) {
		perr(p, k->section, name, "not valid UTF-8");
		return;
	}
	for (i = 0; i < ws->n && strcmp(ws->w[i].lang, lang) != 0; i++)
		;
	if (i == ws->n) {
		if (*v == '\0')
			return;
		ws->w = xrealloc(ws->w, (ws->n + 1) * sizeof(*ws->w));
		snprintf(ws->w[ws->n].lang, sizeof(ws->w[ws->n].lang), "%s",
		    lang);
		ws->w[ws->n++].text = NULL;
	}
	free(ws->w[i].text);
	if (*v != '\0') {
		ws->w[i].text = xstrdup(v);
		return;
	}
	ws->w[i] = ws->w[--ws->n];
}

const char *
config_word(const struct config *cfg, const struct config_words *ws,
    const char *lang)
{
	const char *dflt = NULL;
	size_t i;

	for (i = 0; i < ws->n; i++) {
		if (strcmp(ws->w[i].lang, lang) == 0)
			return ws->w[i].text;
		if (ws->w[i].lang[0] == '\0' && strcmp(lang, cfg->language) == 0)
			dflt = ws->w[i].text;
	}
	return dflt;
}

static void
set_value(struct parse *p, const struct key *k, const char *v)
{
	struct config *cfg = p->cfg;
	char why[160];
	long l;
	char *end;
	double d;
	int b;
	static const char *const smtp_schemes[] = { "smtp", "smtps", NULL };
	static const char *const imap_schemes[] = { "imaps", "imap", NULL };
	static const char *const web_schemes[] = { "https", "http", NULL };

	switch (k->kind) {
	case K_STR:
	case K_PATH:
		if (k->kind == K_PATH && *v == '\0')
			return; /* empty = default */
		if (!utf8_valid(v, strlen(v))) {
			perr(p, k->section, k->name, "not valid UTF-8");
			return;
		}
		goto store;
	case K_SECRET:
		p->password_line = p->line;
		goto store;
	case K_EMAIL:
		if (!config_valid_email(v)) {
			perr(p, k->section, k->name, "\"%s\" is not an e-mail "
			    "address (write local@domain.org)", v);
			return;
		}
		goto store;
	case K_FROM:
		if (!config_valid_from(v)) {
			perr(p, k->section, k->name, "\"%s\" is not an address "
			    "(write addr@domain.org or \"Name <addr@domain.org>\")",
			    v);
			return;
		}
		goto store;
	case K_DOMAIN:
		if (!config_valid_domain(v)) {
			perr(p, k->section, k->name, "\"%s\" is not a domain "
			    "name (write e.g. rundbrief.example.org)", v);
			return;
		}
		goto store;
	case K_URL_SMTP:
	case K_URL_IMAP:
	case K_URL_WEB:
		if (*v == '\0')
			break; /* empty = not configured */
		if (!config_valid_url(v, k->kind == K_URL_SMTP ? smtp_schemes :
		    k->kind == K_URL_IMAP ? imap_schemes : web_schemes,
		    why, sizeof(why))) {
			perr(p, k->section, k->name, "\"%s\": %s", v, why);
			return;
		}
		goto store;
	case K_TZ:
		if (!ical_tz_valid(v)) {
			perr(p, k->section, k->name, "unknown time zone \"%s\" "
			    "(write e.g. Europe/Berlin)", v);
			return;
		}
		goto store;
	case K_LANG:
		if (!config_valid_lang(v)) {
			perr(p, k->section, k->name, "\"%s\" is not a two-letter "
			    "ISO 639-1 language code (e.g. de, en)", v);
			return;
		}
		goto store;
	case K_RRULE: {
		char *err = NULL;
		if (ical_rrule_valid(v, &err) < 0) {
			perr(p, k->section, k->name, "bad RRULE \"%s\": %s (write "
			    "e.g. FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0)",
			    v, err ? err : "invalid");
			free(err);
			return;
		}
		goto store;
	}
	case K_INT:
	case K_LONG:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || l < k->min ||
		    l > k->max) {
			perr(p, k->section, k->name, "\"%s\" must be a whole "
			    "number from %ld to %ld", v, k->min, k->max);
			return;
		}
		if (k->kind == K_INT)
			*FIELD(cfg, k->off, int) = (int)l;
		else
			*FIELD(cfg, k->off, long) = l;
		return;
	case K_RATE:
		errno = 0;
		d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(d >= k->min) ||
		    d > k->max) {
			perr(p, k->section, k->name, "\"%s\" must be a number "
			    "from %ld to %ld (0 = no limit)", v, k->min, k->max);
			return;
		}
		*FIELD(cfg, k->off, double) = d;
		return;
	case K_DURATION:
		if (config_parse_duration(v, &l) < 0 || l < k->min ||
		    l > k->max) {
			perr(p, k->section, k->name, "\"%s\" must be a duration "
			    "from %lds to %lds (write e.g. 90s, 15m, 24h, 7d)",
			    v, k->min, k->max);
			return;
		}
		*FIELD(cfg, k->off, long) = l;
		return;
	case K_BOOL:
		if (config_parse_bool(v, &b) < 0) {
			perr(p, k->section, k->name, "\"%s\" must be yes or no",
			    v);
			return;
		}
		*FIELD(cfg, k->off, int) = b;
		return;
	case K_TLS:
		if (strcmp(v, "required") == 0)
			cfg->tls = CONFIG_TLS_REQUIRED;
		else if (strcmp(v, "none") == 0)
			cfg->tls = CONFIG_TLS_NONE;
		else
			perr(p, k->section, k->name, "\"%s\" must be required "
			    "or none", v);
		return;
	case K_ORDER:
		if (strcmp(v, "date") == 0)
			cfg->order = CONFIG_ORDER_DATE;
		else if (strcmp(v, "kind") == 0)
			cfg->order = CONFIG_ORDER_KIND;
		else
			perr(p, k->section, k->name, "\"%s\" must be date or "
			    "kind", v);
		return;
	case K_OFFSETS:
		set_offsets(p, k, v);
		return;
	case K_KINDS:
		set_kinds(p, k, v);
		return;
	case K_WORDS:
		return; /* set_word(): the key names the language */
	}
	/* empty value: back to the default (NULL) */
	free(*FIELD(cfg, k->off, char *));
	*FIELD(cfg, k->off, char *) = NULL;
	return;
store:
	free(*FIELD(cfg, k->off, char *));
	*FIELD(cfg, k->off, char *) = xstrdup(v);
}

static int section_known(const char *name);

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct key *k;
	const char *lang;
	char *bare = NULL, seen[128];
	size_t i, j, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = &keys[i];
		n = strlen(k->name);
		if (strcmp(k->section, section) != 0 ||
		    strncmp(k->name, name, n) != 0 ||
		    (name[n] != '\0' && (name[n] != '.' || k->kind != K_WORDS)))
			continue;
		lang = name[n] == '.' ? name + n + 1 : "";
		snprintf(seen, sizeof(seen), "%s.%s", section, name);
		for (j = 0; j < p->nseen; j++)
			if (strcmp(p->seen[j], seen) == 0) {
				perr(p, section, name, "set twice in this file");
				return 1;
			}
		if (p->nseen < sizeof(p->seen) / sizeof(p->seen[0]))
			p->seen[p->nseen++] = xstrdup(seen);
		n = strlen(value);
		/* organisation = "Landkreis Beispiel": quotes are not part of
		 * the value */
		if (n >= 2 && ((value[0] == '"' && value[n - 1] == '"') ||
		    (value[0] == '\'' && value[n - 1] == '\'')))
			value = bare = xstrndup(value + 1, n - 2);
		if (k->kind == K_WORDS)
			set_word(p, k, name, lang, value);
		else
			set_value(p, k, value);
		free(bare);
		return 1;
	}
	if (*section == '\0')
		perr(p, "", name, "key outside a section (start with "
		    "[general])");
	else if (section_known(section)) /* unknown sections: see reader() */
		perr(p, section, name, "unknown key");
	return 1;
}

static int
section_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, name) == 0)
			return 1;
	return 0;
}

/*
 * Feeds inih line by line, counting lines, and checks section headers here:
 * inih only calls the handler for keys, so an empty unknown section would
 * otherwise pass unnoticed.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n = getline(&p->linebuf, &p->linecap, p->fp);
	char *r = str, *s, *e;

	if (n < 0)
		return NULL;
	p->line++;
	/* fgets would cut the line at a NUL, and inih would take the rest
	 * for a value of its own: an error, and the line is not used */
	if (memchr(p->linebuf, '\0', (size_t)n) != NULL) {
		fprintf(stderr, "%s:%d: the line holds a NUL byte (a binary or "
		    "UTF-16 file?)\n", p->file, p->line);
		p->nerrors++;
		n = 0;
	} else if (n >= num) {
		fprintf(stderr, "%s:%d: the line is longer than %d bytes\n",
		    p->file, p->line, num - 1);
		p->nerrors++;
		n = 0;
	}
	memcpy(str, p->linebuf, (size_t)n);
	str[n] = '\0';
	for (s = str; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[' && (e = strchr(s, ']')) != NULL) {
		char *name = xstrndup(s + 1, (size_t)(e - s - 1));
		char *t = str_trim(name);
		if (!section_known(t)) {
			char *clean = str_sanitize(t);
			perr(p, clean, NULL, "unknown section (known: general, "
			    "smtp, newsletter, invitations, reminders, imap, http)");
			free(clean);
		}
		free(name);
	}
	return r;
}

struct config *
config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->database = xstrdup("var/rundbrief.db");
	cfg->timezone = xstrdup("Europe/Berlin");
	cfg->language = xstrdup("de");
	cfg->organisation = xstrdup("Koordinierungsstelle Ehrenamt");
	cfg->organizer_name = xstrdup("Ehrenamtskoordination");
	cfg->organizer_email = xstrdup("ehrenamt@example.org");
	cfg->content = xstrdup("content");
	cfg->maildir = xstrdup("var/outbox");
	cfg->from = xstrdup("Ehrenamtskoordination <ehrenamt@example.org>");
	cfg->connections = 4;
	cfg->connect_timeout = 30;
	cfg->timeout = 120;
	cfg->tls = CONFIG_TLS_REQUIRED;
	cfg->max_age = 3 * 86400;
	cfg->stop_grace = 10;
	cfg->schedule = xstrdup("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0");
	cfg->horizon = 42 * 86400;
	cfg->review_lead = 24 * 3600;
	cfg->grace = 3 * 86400;
	cfg->list_id = xstrdup("rundbrief.example.org");
	cfg->order = CONFIG_ORDER_DATE;
	cfg->invite_kinds = xstrdup(",welcome_conference,training,"
	    "network_meeting,");
	cfg->deadline_offsets = xcalloc(1, sizeof(long));
	cfg->deadline_offsets[0] = 7 * 86400;
	cfg->n_deadline_offsets = 1;
	cfg->reminder_offsets = xcalloc(2, sizeof(long));
	cfg->reminder_offsets[0] = 7 * 86400;
	cfg->reminder_offsets[1] = 86400;
	cfg->n_reminder_offsets = 2;
	cfg->alarm = 86400;
	cfg->imap_mailbox = xstrdup("INBOX");
	cfg->poll_interval = 300;
	cfg->imap_tls_verify = 1;
	cfg->http_listen = xstrdup("127.0.0.1:8080");
	cfg->http_max_connections = 512;
	cfg->http_per_client = 16;
	cfg->processed_folder = xstrdup("rundbrief/erledigt");
	cfg->unhandled_folder = xstrdup("rundbrief/unklar");
	cfg->bounce_limit = 3;
	cfg->confirm_expiry = 14 * 86400;
	return cfg;
}

static int read_secret_file(const char *file, const char *cfgfile,
    const char *section, char **out);

/*
 * Reads a secret from a file that only its owner may read. A relative
 * path is looked up in $CREDENTIALS_DIRECTORY first, where systemd's
 * LoadCredential= puts secrets for a DynamicUser service.
 */
static int
read_secret(const char *path, const char *cfgfile, const char *section,
    char **out)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *cpath = NULL;
	const char *file = path;
	int rc;

	if (path[0] != '/' && creds != NULL && *creds != '\0') {
		cpath = xasprintf("%s/%s", creds, path);
		if (access(cpath, F_OK) == 0)
			file = cpath;
	}
	rc = read_secret_file(file, cfgfile, section, out);
	free(cpath);
	return rc;
}

static int
read_secret_file(const char *file, const char *cfgfile, const char *section,
    char **out)
{
	struct stat st;
	char *data;
	size_t len;

	if (stat(file, &st) < 0) {
		fprintf(stderr, "%s: [%s] password_file: %s: %s\n", cfgfile,
		    section, file, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr, "%s: [%s] password_file: %s is readable by "
		    "others (mode %03o); refusing it. Run: chmod 600 %s\n",
		    cfgfile, section, file, (unsigned)(st.st_mode & 0777), file);
		return -1;
	}
	if (file_read_all(file, &data, &len) < 0) {
		fprintf(stderr, "%s: [%s] password_file: %s: %s\n", cfgfile,
		    section, file, strerror(errno));
		return -1;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0 || strlen(data) != len) {
		fprintf(stderr, "%s: [%s] password_file: %s is empty or "
		    "binary\n", cfgfile, section, file);
		free(data);
		return -1;
	}
	*out = data;
	return 0;
}

static int
config_check(struct parse *p, const struct stat *st)
{
	struct config *cfg = p->cfg;
	int bad = 0;

	if (p->password_line > 0 && (st->st_mode & (S_IRWXG | S_IRWXO))) {
		fprintf(stderr, "%s:%d: password in a file readable by others "
		    "(mode %03o); refusing it. Move it to a password_file "
		    "(chmod 600) or run: chmod 600 %s\n", p->file,
		    p->password_line, (unsigned)(st->st_mode & 0777), p->file);
		bad++;
	}
	if (cfg->smtp_password_file != NULL) {
		free(cfg->smtp_password);
		cfg->smtp_password = NULL;
		if (read_secret(cfg->smtp_password_file, p->file, "smtp",
		    &cfg->smtp_password) < 0)
			bad++;
	}
	if (cfg->imap_password_file != NULL) {
		free(cfg->imap_password);
		cfg->imap_password = NULL;
		if (read_secret(cfg->imap_password_file, p->file, "imap",
		    &cfg->imap_password) < 0)
			bad++;
	}
	if (cfg->smtp_username != NULL && cfg->smtp_password == NULL) {
		fprintf(stderr, "%s: [smtp] username is set but no "
		    "password_file\n", p->file);
		bad++;
	}
	return bad;
}

int
config_load(const char *explicit_path, struct config **out)
{
	struct parse p;
	struct stat st;
	const char *path = explicit_path;
	int is_default = 0, r, bad;
	size_t i;

	*out = NULL;
	if (path == NULL)
		path = getenv("RUNDBRIEF_CONFIG");
	if (path == NULL || *path == '\0') {
		path = RUNDBRIEF_SYSCONFDIR "/rundbrief/rundbrief.ini";
		is_default = 1;
	}
	memset(&p, 0, sizeof(p));
	p.cfg = config_defaults();
	p.file = path;
	p.fp = fopen(path, "r");
	if (p.fp == NULL) {
		if (is_default && errno == ENOENT) {
			*out = p.cfg;
			return 0;
		}
		fprintf(stderr, "%s: cannot read configuration: %s\n", path,
		    strerror(errno));
		config_free(p.cfg);
		return -1;
	}
	if (fstat(fileno(p.fp), &st) < 0)
		memset(&st, 0, sizeof(st));
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 8192;
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (r > 0) {
		fprintf(stderr, "%s:%d: syntax error: expected \"[section]\" or "
		    "\"key = value\"\n", path, r);
		p.nerrors++;
	} else if (r < 0) {
		fprintf(stderr, "%s: cannot parse configuration\n", path);
		p.nerrors++;
	}
	for (i = 0; i < p.nseen; i++)
		free(p.seen[i]);
	free(p.linebuf);
	p.cfg->path = xstrdup(path);
	bad = p.nerrors > 0 ? p.nerrors : config_check(&p, &st);
	if (bad > 0) {
		fprintf(stderr, "%s: %d error%s in configuration\n", path, bad,
		    bad == 1 ? "" : "s");
		config_free(p.cfg);
		return -1;
	}
	*out = p.cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		switch (keys[i].kind) {
		case K_STR: case K_EMAIL: case K_FROM: case K_URL_SMTP:
		case K_URL_IMAP: case K_URL_WEB: case K_TZ: case K_LANG:
		case K_RRULE: case K_PATH: case K_SECRET: case K_DOMAIN:
		case K_KINDS:
			free(*FIELD(cfg, keys[i].off, char *));
			break;
		case K_WORDS: {
			struct config_words *ws = FIELD(cfg, keys[i].off,
			    struct config_words);
			size_t j;

			for (j = 0; j < ws->n; j++)
				free(ws->w[j].text);
			free(ws->w);
			break;
		}
		default:
			break;
		}
	}
	free(cfg->reminder_offsets);
	free(cfg->deadline_offsets);
	free(cfg->path);
	free(cfg);
}
