/*
 * subscriber: the people who receive the newsletter, their districts,
 * topics, consent and status, and the erasure tombstones.
 *
 * E-mail addresses compare case-insensitively. Every subscriber has a
 * random token (128 bits from the kernel) used in unsubscribe links.
 */
#ifndef RUNDBRIEF_SUBSCRIBER_H
#define RUNDBRIEF_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db;

struct subscriber {
	int64_t id;
	char *email;
	char *name;
	char *language;
	char *status;          /* pending, active, unsubscribed, bounced */
	char *consent_source;  /* NULL if none recorded */
	time_t consent_at;     /* 0 if none */
	char *token;
	int bounces;
	time_t created_at;
	time_t updated_at;
	char **districts;      /* sorted by name */
	size_t ndistricts;
	char **topics;
	size_t ntopics;
	int newsletter;        /* 1: wants the newsletter (default) */
	char *invitations;     /* "all" (default) or "none" */
};

/* What add, import and set may change. NULL / set_* == 0 = leave as is. */
struct sub_fields {
	const char *name;
	const char *language;
	const char *default_language; /* for a new subscriber without one */
	int set_districts;
	const char *const *districts;
	size_t ndistricts;
	int set_topics;
	const char *const *topics;
	size_t ntopics;
	int set_newsletter;
	int newsletter;               /* 0/1, with set_newsletter */
	const char *invitations;      /* "all" or "none" */
};

enum sub_result {
	SUB_ADDED = 1,
	SUB_UPDATED,
	SUB_UNCHANGED,
	SUB_SKIPPED,            /* import: unsubscribed or bounced, untouched */
	SUB_ERR_DB = -1,        /* database error */
	SUB_ERR_INVALID = -2,   /* bad address, language, district name … */
	SUB_ERR_EXISTS = -3,    /* add: the address exists already */
	SUB_ERR_NOTFOUND = -4,  /* no such subscriber */
	SUB_ERR_FORGOTTEN = -5, /* tombstoned and not --confirmed */
	SUB_ERR_DISTRICT = -6   /* unknown district and create == 0 */
};

/* 1 if s is a subscriber's choice of invitations: "all" or "none". */
int subscriber_valid_invitations(const char *s);

/* 1 if s is an acceptable subscriber address (ASCII addr-spec). */
int subscriber_valid_email(const char *s);
/* 1 if s is an ISO 639-1 code as stored (lang_valid()); what people write
 * ("Deutsch", "DE") is turned into a code by lang_from_text() first. */
int subscriber_valid_language(const char *s);

/*
 * The checks of add, import and set (the tool's validators, also for the
 * web form): email (may be NULL), name, language, invitations, topics.
 * Districts are checked against the table by add and set. 0, or
 * SUB_ERR_INVALID with *errstr.
 */
int subscriber_check_fields(const char *email, const struct sub_fields *f,
    char **errstr);

/*
 * Adds a new subscriber. confirmed != 0 records consent (source, now) and
 * makes them active; else pending. A forgotten address needs confirmed.
 * create_districts != 0 creates unknown districts. Returns SUB_ADDED or a
 * negative sub_result with *errstr.
 */
int subscriber_add(struct db *db, const char *email, const struct sub_fields *f,
    int confirmed, const char *consent_source, int create_districts,
    char **errstr);

/*
 * Import semantics: adds, or updates name, language, the district/topic
 * sets and the newsletter/invitations choices of an existing subscriber
 * (those given in f; a new subscriber gets newsletter yes, invitations
 * all unless f says otherwise). An existing subscriber's status only
 * changes from pending to active when confirmed. People who unsubscribed
 * or bounced are left as they are: SUB_SKIPPED (*errstr is not set; see
 * subscriber_get() for why). A forgotten address gives SUB_ERR_FORGOTTEN.
 * Returns SUB_ADDED, SUB_UPDATED, SUB_UNCHANGED, SUB_SKIPPED or a negative
 * sub_result. Runs inside the caller's transaction if one is open.
 */
int subscriber_upsert(struct db *db, const char *email,
    const struct sub_fields *f, int confirmed, const char *consent_source,
    int create_districts, char **errstr);

/* Changes fields of an existing subscriber (SUB_UPDATED / SUB_UNCHANGED). */
int subscriber_update(struct db *db, const char *email,
    const struct sub_fields *f, int create_districts, char **errstr);

/*
 * Sets the status. "active" requires consent: consent_source (non-NULL)
 * is recorded with the current time. Returns SUB_UPDATED, SUB_UNCHANGED or
 * a negative sub_result.
 */
int subscriber_set_status(struct db *db, const char *email, const char *status,
    const char *consent_source, char **errstr);

/*
 * THE BOUNCE RULE. Records a hard bounce (a permanent failure: a 5.x.x
 * delivery status notification read from the mailbox, or a 5xx refusal
 * while sending): bounces + 1, and an active or pending subscriber becomes
 * "bounced" when this is their `limit`th hard bounce ([imap] bounce_limit)
 * or when at_once (user unknown, 5.1.1: the address does not exist). An
 * unsubscribed person stays unsubscribed. Temporary failures are not
 * counted here (only recorded with subscriber_bounce_record()).
 * `rundbrief subscriber set --status active --confirmed` starts the count
 * again. Returns 1 when the subscriber became bounced now, 0 when only
 * counted, SUB_ERR_DB.
 */
int subscriber_bounce(struct db *db, int64_t id, int at_once, int limit,
    time_t now, char **errstr);

/* 1 when s is the user-unknown status "5.1.1", or an SMTP reply carrying
 * it ("550 5.1.1 …"). */
int subscriber_user_unknown(const char *s);

/* Records a delivery status notification in the bounce history (status
 * "5.1.1" or "" when unknown; the rest may be NULL). 0 or SUB_ERR_DB. */
int subscriber_bounce_record(struct db *db, int64_t id, const char *status,
    int permanent, const char *diagnostic, const char *message_id,
    time_t now, char **errstr);

/* One entry of the bounce history: a DSN read from the mailbox ("dsn"),
 * or a refusal while sending that counted as a hard bounce ("smtp"). */
struct subscriber_bounce_info {
	time_t when;
	const char *source;      /* "dsn" or "smtp" */
	const char *status;      /* "5.1.1", "550" or "" */
	int permanent;
	const char *diagnostic;  /* or NULL */
	const char *message_id;  /* the DSN's, or NULL */
};

/* Calls fn for every entry of id's bounce history, oldest first. */
int subscriber_bounces_each(struct db *db, int64_t id,
    void (*fn)(void *arg, const struct subscriber_bounce_info *b), void *arg);

/* Loads the subscriber with this token: 0 and *out, SUB_ERR_NOTFOUND or
 * SUB_ERR_DB. */
int subscriber_get_token(struct db *db, const char *token,
    struct subscriber **out);

/*
 * Sets the status of subscriber id at `now` for what the person asked by
 * mail: "active" records consent (consent_source, now) and clears the
 * bounce count; "pending" is a new request (consent_source says how it
 * came, consent_at is cleared: an earlier consent was withdrawn); other
 * statuses are set as they are. Returns SUB_UPDATED or SUB_ERR_DB.
 */
int subscriber_set_status_at(struct db *db, int64_t id, const char *status,
    const char *consent_source, time_t now, char **errstr);

/*
 * Deletes the pending subscribers without consent whose request is older
 * than `before` (created before it, and no confirmation mail queued since):
 * they never confirmed, nothing of them is kept. Returns how many, or -1.
 */
long subscriber_expire_pending(struct db *db, time_t before);

/*
 * Erasure: deletes the person and everything linked to them, keeping only a
 * salted hash of the address as a tombstone. Returns 0, SUB_ERR_NOTFOUND or
 * SUB_ERR_DB.
 */
int subscriber_forget(struct db *db, const char *email, char **errstr);

/* 1 if the address was forgotten, 0 if not, -1 on error. */
int subscriber_is_forgotten(struct db *db, const char *email);

/* The status of the subscriber with this address in *status (caller
 * frees): 1, or 0 if there is no such subscriber. */
int subscriber_status(struct db *db, const char *email, char **status);

/* How many subscribers there are of each status. */
struct subscriber_counts {
	long pending, active, unsubscribed, bounced;
};

/* Fills *c. Returns 0 or -1. */
int subscriber_count(struct db *db, struct subscriber_counts *c);

/*
 * 1 if any subscriber (of any status) has the topic, compared without
 * regard to case as topics are stored; 0 if none does; -1 on a database
 * error. For warning about a topic on an event that nobody follows.
 */
int subscriber_topic_known(struct db *db, const char *topic);

/*
 * 1 if a topic of a[0..na) is one of b[0..nb) but for case (utf8_fold():
 * Ö/ö, Д/д …), else 0. Topics are matched this way everywhere: a
 * subscriber's against an event's, a new one against those in use.
 */
int subscriber_topics_meet(char *const *a, size_t na, char *const *b,
    size_t nb);

/* Loads one subscriber: 0 and *out, SUB_ERR_NOTFOUND, or SUB_ERR_DB. */
int subscriber_get(struct db *db, const char *email, struct subscriber **out);
void subscriber_free(struct subscriber *s);

/*
 * Streams subscribers ordered by address, filtered by status and district
 * (either may be NULL). The struct passed to fn is valid during the call
 * only. fn returns 0 to go on, non-zero to stop. Returns 0 or -1.
 */
int subscriber_each(struct db *db, const char *status, const char *district,
    int (*fn)(void *arg, const struct subscriber *s), void *arg);

#endif
