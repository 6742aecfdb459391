/*
 * topic: the topics in use, as one list. Topics have no table of their
 * own: subscribers follow them (subscriber_topics) and events name them
 * (event_topics). A topic is the same topic in any case (utf8_fold():
 * "Sprachcafé", "SPRACHCAFÉ"), as subscriber_topics_meet() matches them.
 */
#ifndef RUNDBRIEF_TOPIC_H
#define RUNDBRIEF_TOPIC_H

struct db;

/* One topic in use and who uses it. */
struct topic_use {
	const char *name;        /* the spelling used most */
	long active_subscribers; /* subscribers with status active */
	long subscribers;        /* of any status */
	long published_events;
	long events;             /* of any status */
};

/*
 * Calls fn for every topic in use, ordered by name without regard to
 * case; t is valid during the call only. Returns 0, or -1 on a database
 * error (fn may have been called for none of them).
 */
int topic_list(struct db *db, void (*fn)(void *arg, const struct topic_use *t),
    void *arg);

#endif
