/*
 * config: the INI configuration (read with inih), checked while parsing.
 *
 * Every key has an embedded default, so a program runs without any file.
 * Errors read "FILE:LINE: [section] key: message"; all of them are
 * collected before config_load() fails.
 */
#ifndef RUNDBRIEF_CONFIG_H
#define RUNDBRIEF_CONFIG_H

#include <stddef.h>

/* Set by the Makefile (SYSCONFDIR); the default file is
 * RUNDBRIEF_SYSCONFDIR/rundbrief/rundbrief.ini. */
#ifndef RUNDBRIEF_SYSCONFDIR
#define RUNDBRIEF_SYSCONFDIR "/etc"
#endif

enum config_tls {
	CONFIG_TLS_REQUIRED = 0,
	CONFIG_TLS_NONE
};

/* How the shipped newsletter templates list the events. */
enum config_order {
	CONFIG_ORDER_DATE = 0,  /* one list by date */
	CONFIG_ORDER_KIND       /* grouped by kind, by date in each group */
};

/*
 * A word the mails use, set per language: "key = …" for the default
 * language ([general] language), "key.LANG = …" for another language.
 */
struct config_word {
	char lang[3];          /* "" for the default language */
	char *text;
};

struct config_words {
	struct config_word *w;
	size_t n;
};

struct config {
	char *path; /* the file read, or NULL for embedded defaults */

	/* [general] */
	char *database;        /* default "var/rundbrief.db" */
	char *timezone;        /* default "Europe/Berlin" (libical name) */
	char *language;        /* default "de" */
	char *organisation;
	char *organizer_name;
	char *organizer_email;
	char *templates;       /* override dir, or NULL */
	char *content;         /* editorial dir, default "content" */
	char *base_url;        /* https://… or NULL */
	char *message_id_domain; /* NULL: domain of smtp.from */
	struct config_words area_name; /* the word for "everyone in the area" */

	/* [smtp] */
	char *smtp_url;        /* NULL: file transport */
	char *maildir;         /* default "var/outbox" */
	char *smtp_username;
	char *smtp_password_file;
	char *smtp_password;   /* read from smtp_password_file */
	char *envelope_from;   /* may contain "+TOKEN" ... see README */
	char *from;            /* "Name <addr>" or addr */
	char *reply_to;
	int connections;       /* 1..32, default 4 */
	double rate_per_second; /* 0 = unlimited */
	long rate_per_hour;    /* 0 = unlimited */
	long connect_timeout;  /* seconds, default 30 */
	long timeout;          /* seconds, default 120 */
	enum config_tls tls;   /* default required */
	char *ca_file;
	long max_age;          /* seconds before a deferred message fails, 3d */
	long stop_grace;       /* seconds in-flight messages get on SIGTERM */

	/* [newsletter] */
	char *schedule;        /* RRULE, local time */
	long horizon;          /* seconds, default 42d */
	long review_lead;      /* seconds, default 24h; 0: no review copy */
	char *review_to;       /* NULL: organizer_email */
	long grace;            /* seconds a late newsletter may go, 3d */
	char *list_id;         /* e.g. "rundbrief.example.org" */
	int require_editorial; /* 0/1, default 0 */
	enum config_order order; /* default date */
	int all_topics;        /* list topic events for everyone, default 0 */

	/* [invitations] */
	char *invite_kinds;    /* ",kind,kind,": see config_invites() */
	int announce;          /* announce events that invite nobody, 0 */

	/* [reminders] */
	long *reminder_offsets; /* seconds before start, descending */
	size_t n_reminder_offsets;
	long *deadline_offsets; /* reminders of deadlines, default 7d */
	size_t n_deadline_offsets;
	long alarm;            /* VALARM trigger, seconds before, default 1d */

	/* [http] (rundbrief-web) */
	char *http_listen;     /* "127.0.0.1:8080" */
	char *trusted_proxies; /* whose X-Forwarded-For is believed, or NULL */
	int http_max_connections; /* overall, default 512 */
	int http_per_client;   /* connections per client address, 16 */

	/* [imap] */
	char *imap_url;
	char *imap_username;
	char *imap_password_file;
	char *imap_password;
	char *imap_mailbox;    /* default "INBOX" */
	long poll_interval;    /* seconds, default 5m */
	char *processed_folder; /* handled mail, default "rundbrief/erledigt" */
	int imap_tls_verify;   /* default 1; 0 only for tests */
	char *imap_ca_file;    /* a private CA, or NULL: the system's */
	char *unhandled_folder; /* mail not understood, "rundbrief/unklar" */
	int bounce_limit;      /* hard bounces before "bounced", default 3 */
	long confirm_expiry;   /* pending subscriptions expire, default 14d */
};

/*
 * Chooses the file: explicit (-c) if not NULL, else $RUNDBRIEF_CONFIG, else
 * SYSCONFDIR/rundbrief/rundbrief.ini. A missing default file (only the
 * default) means the embedded defaults.
 * Returns 0 and sets *out, or -1 after printing every error to stderr.
 */
int config_load(const char *explicit_path, struct config **out);

/* The embedded defaults only (never fails). */
struct config *config_defaults(void);

void config_free(struct config *cfg);

/*
 * The text of a per-language word for language lang: "key.LANG", else
 * "key" when lang is the default language, else NULL (then the caller's
 * built-in word applies). Owned by cfg.
 */
const char *config_word(const struct config *cfg,
    const struct config_words *words, const char *lang);

/*
 * Parses a duration such as "90", "30s", "15m", "2h", "7d", "1w" into
 * seconds. Returns 0 or -1.
 */
int config_parse_duration(const char *s, long *seconds);

/* 1 when publishing an event of this kind sends invitations
 * ([invitations] kinds). */
int config_invites(const struct config *cfg, const char *kind);

/* Checks an addr-spec ("local@domain"); 1 if acceptable. */
int config_valid_email(const char *s);

#endif
