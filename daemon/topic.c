/* topic: the topics subscribers follow and events name, merged. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "topic.h"
#include "util.h"

/* A topic being counted: the folded key, and the spelling with the most
 * uses so far. */
struct entry {
	char *key;
	char *name;
	long uses;              /* of that spelling */
	struct topic_use t;
};

struct topics {
	struct entry *v;
	size_t n;
};

static struct entry *
find(struct topics *ts, const char *name, long uses)
{
	char *key = utf8_fold(name);
	struct entry *e;
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->v[i].key, key) == 0) {
			free(key);
			e = &ts->v[i];
			if (uses > e->uses) {
				free(e->name);
				e->name = xstrdup(name);
				e->uses = uses;
			}
			return e;
		}
	ts->v = xrealloc(ts->v, (ts->n + 1) * sizeof(*ts->v));
	e = &ts->v[ts->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->name = xstrdup(name);
	e->uses = uses;
	return e;
}

/* Adds the rows (topic, active/published, all) of sql to the subscriber
 * or the event counts. */
static int
count(struct db *db, struct topics *ts, const char *sql, int events)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	struct entry *e;
	long some, all;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		some = (long)sqlite3_column_int64(st, 1);
		all = (long)sqlite3_column_int64(st, 2);
		e = find(ts, db_col_text(st, 0), all);
		if (events) {
			e->t.published_events += some;
			e->t.events += all;
		} else {
			e->t.active_subscribers += some;
			e->t.subscribers += all;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
by_key(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int
topic_list(struct db *db, void (*fn)(void *arg, const struct topic_use *t),
    void *arg)
{
	struct topics ts = { NULL, 0 };
	size_t i;
	int rc;

	/* GROUP BY merges ASCII case (the columns are NOCASE); find() the
	 * rest */
	rc = count(db, &ts, "SELECT st.topic, sum(s.status = 'active'),"
	    " count(*) FROM subscriber_topics st JOIN subscribers s"
	    " ON s.id = st.subscriber_id GROUP BY st.topic", 0);
	if (rc == 0)
		rc = count(db, &ts, "SELECT et.topic,"
		    " sum(e.status = 'published'), count(*) FROM event_topics et"
		    " JOIN events e ON e.id = et.event_id GROUP BY et.topic", 1);
	if (rc == 0 && ts.n > 0)
		qsort(ts.v, ts.n, sizeof(*ts.v), by_key);
	for (i = 0; i < ts.n; i++) {
		ts.v[i].t.name = ts.v[i].name;
		if (rc == 0)
			fn(arg, &ts.v[i].t);
		free(ts.v[i].key);
		free(ts.v[i].name);
	}
	free(ts.v);
	return rc;
}
