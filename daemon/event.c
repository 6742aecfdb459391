/* event: the events table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "datefmt.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
#include "markdown.h"
#include "util.h"

static const char *const kinds[] = { "welcome_conference", "volunteer_fair",
	"training", "network_meeting", "deadline", "other", NULL };

int
event_kind_valid(const char *kind)
{
	const char *const *k;

	for (k = kinds; *k != NULL; k++)
		if (strcmp(*k, kind) == 0)
			return 1;
	return 0;
}

static int
valid_text(const char *s, size_t max, int multiline)
{
	const unsigned char *p;
	size_t n = strlen(s);

	if (n > max || !utf8_valid(s, n))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' ||
		    *p == '\r'))) || *p == 0x7f)
			return 0;
	return 1;
}

static int
valid_web_url(const char *s)
{
	const char *p;

	if (strncasecmp(s, "https://", 8) != 0 &&
	    strncasecmp(s, "http://", 7) != 0)
		return 0;
	if (s[strcspn(s, ":") + 3] == '\0' || s[strcspn(s, ":") + 3] == '/')
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' ||
		    *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* Checks one date/time value; normalises it into out ("YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DD"). */
static int
norm_when(const char *what, const char *s, int all_day,
    char out[TM_TEXT_LEN], char **errstr)
{
	struct tm tm;
	int has_time = 0;

	if (datefmt_parse_local(s, &tm, &has_time) < 0) {
		*errstr = xasprintf("%s \"%s\" is not a date and time (write "
		    "'YYYY-MM-DD HH:MM', or 'YYYY-MM-DD' with --all-day)", what, s);
		return -1;
	}
	if (!all_day && !has_time) {
		*errstr = xasprintf("%s \"%s\" has no time of day (write "
		    "'YYYY-MM-DD HH:MM', or use --all-day)", what, s);
		return -1;
	}
	tm_text(&tm, !all_day, out);
	return 0;
}

/* Local day "YYYY-MM-DD" + days as a local midnight instant. */
static int
day_to_utc(const char *tzid, const char *day, int plus_days, time_t *out)
{
	struct tm tm;
	char buf[TM_TEXT_LEN];
	int has_time;

	if (datefmt_parse_local(day, &tm, &has_time) < 0)
		return -1;
	tm.tm_mday += plus_days;
	tm.tm_hour = 12; /* normalise the date with timegm, then midnight */
	{
		time_t t = timegm(&tm);
		gmtime_r(&t, &tm);
	}
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm_text(&tm, 1, buf);
	return ical_local_to_utc(tzid, buf, out);
}

/* Resolved, checked values of an event being written. */
struct vals {
	char start[TM_TEXT_LEN], end[TM_TEXT_LEN];
	time_t start_utc, end_utc;
};

static int
resolve_times(const char *tzid, int all_day, const char *start,
    const char *end, struct vals *v, char **errstr)
{
	if (norm_when("start", start, all_day, v->start, errstr) < 0)
		return -1;
	if (end != NULL && *end != '\0') {
		if (norm_when("end", end, all_day, v->end, errstr) < 0)
			return -1;
	} else if (all_day)
		memcpy(v->end, v->start, sizeof(v->end));
	else
		v->end[0] = '\0';
	if (all_day) {
		if (day_to_utc(tzid, v->start, 0, &v->start_utc) < 0 ||
		    day_to_utc(tzid, v->end, 1, &v->end_utc) < 0)
			goto zone;
	} else {
		if (ical_local_to_utc(tzid, v->start, &v->start_utc) < 0)
			goto zone;
		if (v->end[0] == '\0') {
			/* default length: one hour */
			struct tm tm;
			v->end_utc = v->start_utc + 3600;
			if (ical_utc_to_local(tzid, v->end_utc, &tm) < 0)
				goto zone;
			tm_text(&tm, 1, v->end);
		} else if (ical_local_to_utc(tzid, v->end, &v->end_utc) < 0)
			goto zone;
	}
	if (v->end_utc <= v->start_utc && !(all_day &&
	    strcmp(v->end, v->start) >= 0)) {
		*errstr = xasprintf("the end (%s) must come after the start (%s)",
		    v->end, v->start);
		return -1;
	}
	return 0;
zone:
	*errstr = xasprintf("cannot convert the time in zone %s", tzid);
	return -1;
}

static int
check_fields(const struct event_fields *f, char **errstr)
{
	char *err = NULL;

	if (f->kind != NULL && !event_kind_valid(f->kind)) {
		*errstr = xasprintf("\"%s\" is not an event kind (welcome_conference,"
		    " volunteer_fair, training, network_meeting, deadline, other)",
		    f->kind);
		return -1;
	}
	if (f->title != NULL && (f->title[0] == '\0' ||
	    !valid_text(f->title, 200, 0))) {
		*errstr = xasprintf("the title must be 1 to 200 characters of "
		    "UTF-8 text on one line");
		return -1;
	}
	if (f->description != NULL && !valid_text(f->description, 100000, 1)) {
		*errstr = xasprintf("the description must be UTF-8 text without "
		    "control characters (at most 100,000 bytes)");
		return -1;
	}
	if (f->invite != NULL && strcmp(f->invite, "default") != 0 &&
	    strcmp(f->invite, "yes") != 0 && strcmp(f->invite, "no") != 0) {
		*errstr = xasprintf("--invite takes yes, no or default, not "
		    "\"%s\"", f->invite);
		return -1;
	}
	if (f->invite != NULL && strcmp(f->invite, "yes") == 0 &&
	    f->kind != NULL && strcmp(f->kind, "deadline") == 0) {
		*errstr = xstrdup("a deadline is not a meeting: it never sends "
		    "an invitation");
		return -1;
	}
	if (f->set_topics) {
		size_t i;

		for (i = 0; i < f->ntopics; i++)
			if (!valid_text(f->topics[i], 100, 0) ||
			    strchr(f->topics[i], '\x1f') != NULL) {
				*errstr = xstrdup("a topic must be one line of "
				    "at most 100 characters");
				return -1;
			}
	}
	if (f->location != NULL && !valid_text(f->location, 300, 0)) {
		*errstr = xasprintf("the location must be one line of at most "
		    "300 characters");
		return -1;
	}
	if (f->online_url != NULL && *f->online_url != '\0' &&
	    !valid_web_url(f->online_url)) {
		*errstr = xasprintf("\"%s\" is not a web address (write "
		    "https://…)", f->online_url);
		return -1;
	}
	if (f->rrule != NULL && *f->rrule != '\0' &&
	    ical_rrule_valid(f->rrule, &err) < 0) {
		*errstr = xasprintf("bad RRULE \"%s\": %s (e.g. "
		    "FREQ=MONTHLY;BYDAY=2TU;COUNT=6)", f->rrule,
		    err ? err : "invalid");
		free(err);
		return -1;
	}
	if (f->capacity < -1 || f->capacity > 1000000) {
		*errstr = xasprintf("capacity must be a number of places from 1 "
		    "to 1000000 (0 = unlimited)");
		return -1;
	}
	return 0;
}

static int
resolve_district(struct db *db, const char *name, int64_t *id, char **errstr)
{
	*id = 0;
	if (name == NULL || *name == '\0')
		return 0;
	*id = district_id(db, name, 0, errstr);
	if (*id < 0)
		return -1;
	if (*id == 0) {
		*errstr = xasprintf("unknown district \"%s\" (add it with "
		    "'rundbrief district add')", name);
		return -1;
	}
	return 0;
}

static void
bind_opt(sqlite3_stmt *st, int idx, const char *s)
{
	db_bind_text(st, idx, s != NULL && *s != '\0' ? s : NULL);
}

static int topics_differ(const struct event_fields *f,
    const struct event *ev);
static int save_topics(struct db *db, int64_t id,
    const struct event_fields *f, char **errstr);

int
event_add(struct db *db, const char *tzid, const char *uid_domain,
    const struct event_fields *f, int64_t *id, char **errstr)
{
	struct vals v;
	sqlite3_stmt *st;
	int64_t did, now = (int64_t)time(NULL);
	char *uid, *rnd;
	int all_day = f->all_day > 0;

	if (f->kind == NULL || f->title == NULL || f->start == NULL) {
		*errstr = xstrdup("an event needs --kind, --title and --start");
		return -1;
	}
	if (check_fields(f, errstr) < 0 ||
	    resolve_times(tzid, all_day, f->start, f->end, &v, errstr) < 0 ||
	    resolve_district(db, f->district, &did, errstr) < 0)
		return -1;
	rnd = random_hex(16);
	uid = xasprintf("%s@%s", rnd, uid_domain);
	free(rnd);
	st = db_stmt(db, "INSERT INTO events(uid, kind, title, description,"
	    " location, online_url, tzid, all_day, start_local, end_local,"
	    " start_utc, end_utc, rrule, capacity, district_id, status,"
	    " sequence, created_at, updated_at) VALUES (?, ?, ?, coalesce(?, ''),"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', 0, ?, ?)");
	db_bind_text(st, 1, uid);
	db_bind_text(st, 2, f->kind);
	db_bind_text(st, 3, f->title);
	db_bind_text(st, 4, f->description);
	bind_opt(st, 5, f->location);
	bind_opt(st, 6, f->online_url);
	db_bind_text(st, 7, tzid);
	sqlite3_bind_int(st, 8, all_day);
	db_bind_text(st, 9, v.start);
	db_bind_text(st, 10, v.end);
	sqlite3_bind_int64(st, 11, (int64_t)v.start_utc);
	sqlite3_bind_int64(st, 12, (int64_t)v.end_utc);
	bind_opt(st, 13, f->rrule);
	if (f->capacity > 0)
		sqlite3_bind_int64(st, 14, f->capacity);
	else
		sqlite3_bind_null(st, 14);
	if (did > 0)
		sqlite3_bind_int64(st, 15, did);
	else
		sqlite3_bind_null(st, 15);
	sqlite3_bind_int64(st, 16, now);
	sqlite3_bind_int64(st, 17, now);
	free(uid);
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		return -1;
	}
	if (db_exec_stmt(db, st, errstr) < 0)
		goto fail;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	if (save_topics(db, *id, f, errstr) < 0)
		goto fail;
	if (f->invite != NULL) {
		st = db_stmt(db, "UPDATE events SET invite = ? WHERE id = ?");
		db_bind_text(st, 1, f->invite);
		sqlite3_bind_int64(st, 2, *id);
		if (db_exec_stmt(db, st, errstr) < 0)
			goto fail;
	}
	if (db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static int
differs(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return !(b == NULL || *b == '\0');
	return b == NULL || strcmp(a, b) != 0;
}

/*
 * The end of an event whose start moves to new_start, keeping its length as
 * the wall clock measures it (15:00-18:00 stays three hours, a fair from
 * Friday to Sunday stays three days, also across a DST change).
 */
static int
keep_length(const struct event *ev, int all_day, const char *new_start,
    char out[TM_TEXT_LEN], char **errstr)
{
	struct tm os, oe, ns;
	int h1, h2, h3;
	time_t len;

	if (norm_when("start", new_start, all_day, out, errstr) < 0)
		return -1;
	if (datefmt_parse_local(ev->start_local, &os, &h1) < 0 ||
	    datefmt_parse_local(ev->end_local, &oe, &h2) < 0 ||
	    datefmt_parse_local(out, &ns, &h3) < 0) {
		*errstr = xasprintf("event %lld has unreadable times",
		    (long long)ev->id);
		return -1;
	}
	len = timegm(&oe) - timegm(&os);
	if (len < 0)
		len = 0;
	{
		time_t t = timegm(&ns) + len;
		gmtime_r(&t, &ns);
	}
	tm_text(&ns, !all_day, out);
	return 0;
}

int
event_update(struct db *db, int64_t id, const struct event_fields *f,
    int *changed, char **errstr)
{
	struct event *ev;
	struct vals v;
	sqlite3_stmt *st;
	int64_t did = -1;
	int all_day, mask = 0, rc;
	const char *start, *end;
	char day[11], moved_end[TM_TEXT_LEN];

	*changed = 0;
	if ((rc = event_get(db, id, &ev)) != 0) {
		*errstr = rc > 0 ? xasprintf("no event %lld", (long long)id) :
		    xstrdup(db_errmsg(db));
		return -1;
	}
	if (strcmp(ev->status, "cancelled") == 0) {
		*errstr = xasprintf("event %lld is cancelled and cannot change",
		    (long long)id);
		event_free(ev);
		return -1;
	}
	if (check_fields(f, errstr) < 0)
		goto fail;
	all_day = f->all_day >= 0 ? f->all_day : ev->all_day;
	start = f->start ? f->start : ev->start_local;
	/* A move keeps the event's length (all-day events their number of
	 * days); a switch between timed and all-day without a new end gets
	 * the default length (one hour, one day). */
	if (f->end != NULL)
		end = f->end;
	else if (f->start != NULL && all_day == ev->all_day) {
		if (keep_length(ev, all_day, start, moved_end, errstr) < 0)
			goto fail;
		end = moved_end;
	} else if (f->start != NULL || f->all_day >= 0)
		end = all_day ? start : NULL;
	else
		end = ev->end_local;
	if (all_day && !ev->all_day && f->start == NULL) {
		snprintf(day, sizeof(day), "%.10s", ev->start_local);
		start = day;
		if (f->end == NULL)
			end = day;
	}
	if (resolve_times(ev->tzid, all_day, start, end, &v, errstr) < 0)
		goto fail;
	if (f->district != NULL && resolve_district(db, f->district, &did,
	    errstr) < 0)
		goto fail;
	if (strcmp(v.start, ev->start_local) || strcmp(v.end, ev->end_local) ||
	    all_day != ev->all_day)
		mask |= EVENT_CHANGED_TIME;
	if (f->rrule && differs(f->rrule, ev->rrule))
		mask |= EVENT_CHANGED_RRULE;
	if ((f->location && differs(f->location, ev->location)) ||
	    (f->online_url && differs(f->online_url, ev->online_url)))
		mask |= EVENT_CHANGED_LOCATION;
	if ((f->title && strcmp(f->title, ev->title)) ||
	    (f->description && strcmp(f->description, ev->description)))
		mask |= EVENT_CHANGED_TEXT;
	if ((f->kind && strcmp(f->kind, ev->kind)) ||
	    (f->capacity >= 0 && f->capacity != ev->capacity) ||
	    (f->district && differs(f->district, ev->district)) ||
	    (f->invite && strcmp(f->invite, ev->invite ? ev->invite :
	    "default")) || (f->set_topics && topics_differ(f, ev)))
		mask |= EVENT_CHANGED_OTHER;
	if (f->invite != NULL && strcmp(f->invite, "yes") == 0 &&
	    strcmp(f->kind ? f->kind : ev->kind, "deadline") == 0) {
		*errstr = xstrdup("a deadline is not a meeting: it never sends "
		    "an invitation");
		goto fail;
	}
	if (mask == 0) {
		event_free(ev);
		return 0;
	}
	st = db_stmt(db, "UPDATE events SET kind = coalesce(?2, kind),"
	    " title = coalesce(?3, title),"
	    " description = coalesce(?4, description),"
	    " location = CASE WHEN ?5 IS NULL THEN location"
	    "   WHEN ?5 = '' THEN NULL ELSE ?5 END,"
	    " online_url = CASE WHEN ?6 IS NULL THEN online_url"
	    "   WHEN ?6 = '' THEN NULL ELSE ?6 END,"
	    " all_day = ?7, start_local = ?8, end_local = ?9,"
	    " start_utc = ?10, end_utc = ?11,"
	    " rrule = CASE WHEN ?12 IS NULL THEN rrule"
	    "   WHEN ?12 = '' THEN NULL ELSE ?12 END,"
	    " capacity = CASE WHEN ?13 < 0 THEN capacity WHEN ?13 = 0 THEN NULL"
	    "   ELSE ?13 END,"
	    " district_id = CASE WHEN ?14 < 0 THEN district_id WHEN ?14 = 0"
	    "   THEN NULL ELSE ?14 END,"
	    " sequence = sequence + ?15, updated_at = ?16 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, f->kind);
	db_bind_text(st, 3, f->title);
	db_bind_text(st, 4, f->description);
	db_bind_text(st, 5, f->location);
	db_bind_text(st, 6, f->online_url);
	sqlite3_bind_int(st, 7, all_day);
	db_bind_text(st, 8, v.start);
	db_bind_text(st, 9, v.end);
	sqlite3_bind_int64(st, 10, (int64_t)v.start_utc);
	sqlite3_bind_int64(st, 11, (int64_t)v.end_utc);
	db_bind_text(st, 12, f->rrule);
	sqlite3_bind_int64(st, 13, f->capacity);
	sqlite3_bind_int64(st, 14, f->district ? did : -1);
	sqlite3_bind_int(st, 15, (mask & EVENT_CHANGED_SEQUENCE) &&
	    strcmp(ev->status, "published") == 0 ? 1 : 0);
	sqlite3_bind_int64(st, 16, (int64_t)time(NULL));
	if (db_begin(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto fail;
	}
	if (db_exec_stmt(db, st, errstr) < 0 ||
	    save_topics(db, id, f, errstr) < 0)
		goto rollback;
	if (f->invite != NULL) {
		st = db_stmt(db, "UPDATE events SET invite = ? WHERE id = ?");
		db_bind_text(st, 1, f->invite);
		sqlite3_bind_int64(st, 2, id);
		if (db_exec_stmt(db, st, errstr) < 0)
			goto rollback;
	}
	if (db_commit(db) < 0) {
		*errstr = xstrdup(db_errmsg(db));
		goto rollback;
	}
	event_free(ev);
	*changed = mask;
	return 0;
rollback:
	db_rollback(db);
fail:
	event_free(ev);
	return -1;
}

/* 1 when the topics of f (a replacement) are not those of ev. */
static int
topics_differ(const struct event_fields *f, const struct event *ev)
{
	size_t i, j, n = 0;

	for (i = 0; i < f->ntopics; i++) {
		char *t = xstrdup(f->topics[i]), *tt = str_trim(t);
		int found = *tt == '\0';

		for (j = 0; !found && j < ev->ntopics; j++)
			found = strcasecmp(tt, ev->topics[j]) == 0;
		n += *tt != '\0';
		free(t);
		if (!found)
			return 1;
	}
	return n != ev->ntopics;
}

static int
set_status(struct db *db, int64_t id, const char *to, char **errstr)
{
	struct event *ev;
	sqlite3_stmt *st;
	int rc;

	if ((rc = event_get(db, id, &ev)) != 0) {
		*errstr = rc > 0 ? xasprintf("no event %lld", (long long)id) :
		    xstrdup(db_errmsg(db));
		return -1;
	}
	if (strcmp(ev->status, to) == 0) {
		event_free(ev);
		return 0;
	}
	if (strcmp(ev->status, "cancelled") == 0) {
		*errstr = xasprintf("event %lld is cancelled; add a new event "
		    "instead", (long long)id);
		event_free(ev);
		return -1;
	}
	st = db_stmt(db, "UPDATE events SET status = ?1, sequence = sequence + ?2,"
	    " updated_at = ?3, published_at = CASE WHEN ?1 = 'published'"
	    " THEN coalesce(published_at, ?3) ELSE published_at END"
	    " WHERE id = ?4");
	db_bind_text(st, 1, to);
	sqlite3_bind_int(st, 2, strcmp(to, "cancelled") == 0 &&
	    strcmp(ev->status, "published") == 0 ? 1 : 0);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 4, id);
	event_free(ev);
	return db_exec_stmt(db, st, errstr);
}

int
event_publish(struct db *db, int64_t id, char **errstr)
{
	return set_status(db, id, "published", errstr);
}

int
event_cancel(struct db *db, int64_t id, char **errstr)
{
	return set_status(db, id, "cancelled", errstr);
}

#define EVENT_COLUMNS \
	"e.id, e.uid, e.kind, e.title, e.description, e.location," \
	" e.online_url, e.tzid, e.all_day, e.start_local, e.end_local," \
	" e.start_utc, e.end_utc, e.rrule, e.capacity, d.name, e.status," \
	" e.sequence, e.created_at, e.updated_at" \
	" FROM events e LEFT JOIN districts d ON d.id = e.district_id"

void
event_from_row(sqlite3_stmt *st, struct event *ev)
{
	ev->id = sqlite3_column_int64(st, 0);
	ev->uid = xstrdup(db_col_text(st, 1));
	ev->kind = xstrdup(db_col_text(st, 2));
	ev->title = xstrdup(db_col_text(st, 3));
	ev->description = xstrdup(db_col_text(st, 4));
	ev->location = db_col_strdup(st, 5);
	ev->online_url = db_col_strdup(st, 6);
	ev->tzid = xstrdup(db_col_text(st, 7));
	ev->all_day = sqlite3_column_int(st, 8);
	ev->start_local = xstrdup(db_col_text(st, 9));
	ev->end_local = xstrdup(db_col_text(st, 10));
	ev->start_utc = (time_t)sqlite3_column_int64(st, 11);
	ev->end_utc = (time_t)sqlite3_column_int64(st, 12);
	ev->rrule = db_col_strdup(st, 13);
	ev->capacity = (long)sqlite3_column_int64(st, 14);
	ev->district = db_col_strdup(st, 15);
	ev->status = xstrdup(db_col_text(st, 16));
	ev->sequence = sqlite3_column_int(st, 17);
	ev->created_at = (time_t)sqlite3_column_int64(st, 18);
	ev->updated_at = (time_t)sqlite3_column_int64(st, 19);
	ev->topics = NULL;	/* event_load_extra, event_set_topics */
	ev->ntopics = 0;
	ev->invite = NULL;
}

static void
clear_topics(struct event *ev)
{
	size_t i;

	for (i = 0; i < ev->ntopics; i++)
		free(ev->topics[i]);
	free(ev->topics);
	ev->topics = NULL;
	ev->ntopics = 0;
}

void
event_set_topics(struct event *ev, const char *joined)
{
	const char *p, *e;

	clear_topics(ev);
	for (p = joined; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\x1f");
		if (e == p)
			continue;
		ev->topics = xrealloc(ev->topics, (ev->ntopics + 1) *
		    sizeof(char *));
		ev->topics[ev->ntopics++] = xstrndup(p, (size_t)(e - p));
	}
}

char *
event_topics_joined(const struct event *ev)
{
	struct buf b;
	size_t i;

	if (ev->ntopics == 0)
		return NULL;
	buf_init(&b);
	for (i = 0; i < ev->ntopics; i++) {
		if (i > 0)
			buf_putc(&b, '\x1f');
		buf_puts(&b, ev->topics[i]);
	}
	return buf_steal(&b);
}

int
event_load_extra(struct db *db, struct event *ev)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT e.invite, (SELECT"
	    " group_concat(topic, char(31)) FROM (SELECT topic FROM event_topics"
	    "  WHERE event_id = e.id ORDER BY topic COLLATE NOCASE))"
	    " FROM events e WHERE e.id = ?");
	int rc;

	sqlite3_bind_int64(st, 1, ev->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		free(ev->invite);
		ev->invite = xstrdup(db_col_text(st, 0));
		event_set_topics(ev, db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
event_invites(const struct event *ev, int kind_invites)
{
	if (strcmp(ev->kind, "deadline") == 0)
		return 0;
	if (ev->invite != NULL && strcmp(ev->invite, "yes") == 0)
		return 1;
	if (ev->invite != NULL && strcmp(ev->invite, "no") == 0)
		return 0;
	return kind_invites;
}

/* Replaces event id's topics (in the caller's transaction). */
static int
save_topics(struct db *db, int64_t id, const struct event_fields *f,
    char **errstr)
{
	sqlite3_stmt *st;
	size_t i;

	if (!f->set_topics)
		return 0;
	st = db_stmt(db, "DELETE FROM event_topics WHERE event_id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	for (i = 0; i < f->ntopics; i++) {
		char *t = xstrdup(f->topics[i]), *tt = str_trim(t);

		if (*tt == '\0') {
			free(t);
			continue;
		}
		st = db_stmt(db, "INSERT OR IGNORE INTO event_topics(event_id,"
		    " topic) VALUES (?, ?)");
		sqlite3_bind_int64(st, 1, id);
		db_bind_text(st, 2, tt);
		free(t);
		if (db_exec_stmt(db, st, errstr) < 0)
			return -1;
	}
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
event_copy(struct event *dst, const struct event *src)
{
	*dst = *src;
	dst->uid = xstrdup(src->uid);
	dst->kind = xstrdup(src->kind);
	dst->title = xstrdup(src->title);
	dst->description = xstrdup(src->description);
	dst->location = dup_or_null(src->location);
	dst->online_url = dup_or_null(src->online_url);
	dst->tzid = xstrdup(src->tzid);
	dst->start_local = xstrdup(src->start_local);
	dst->end_local = xstrdup(src->end_local);
	dst->rrule = dup_or_null(src->rrule);
	dst->district = dup_or_null(src->district);
	dst->status = xstrdup(src->status);
	dst->invite = dup_or_null(src->invite);
	dst->topics = NULL;
	dst->ntopics = 0;
	if (src->ntopics > 0) {
		size_t i;

		dst->topics = xcalloc(src->ntopics, sizeof(char *));
		for (i = 0; i < src->ntopics; i++)
			dst->topics[i] = xstrdup(src->topics[i]);
		dst->ntopics = src->ntopics;
	}
}

void
event_clear(struct event *ev)
{
	free(ev->uid);
	free(ev->kind);
	free(ev->title);
	free(ev->description);
	free(ev->location);
	free(ev->online_url);
	free(ev->tzid);
	free(ev->start_local);
	free(ev->end_local);
	free(ev->rrule);
	free(ev->district);
	free(ev->status);
	free(ev->invite);
	clear_topics(ev);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	event_clear(ev);
	free(ev);
}

int
event_get(struct db *db, int64_t id, struct event **out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " EVENT_COLUMNS
	    " WHERE e.id = ?");
	int rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = xcalloc(1, sizeof(**out));
		event_from_row(st, *out);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW && event_load_extra(db, *out) < 0) {
		event_free(*out);
		*out = NULL;
		return -1;
	}
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
event_each(struct db *db, time_t from, time_t to, const char *status,
    int (*fn)(void *arg, const struct event *ev), void *arg)
{
	sqlite3_stmt *st;
	struct event ev;
	int rc, stop = 0;

	if (sqlite3_prepare_v2(db_handle(db), "SELECT " EVENT_COLUMNS
	    " WHERE (?1 = 0 OR e.end_utc >= ?1 OR e.rrule IS NOT NULL)"
	    " AND (?2 = 0 OR e.start_utc < ?2)"
	    " AND (?3 IS NULL OR e.status = ?3)"
	    " ORDER BY e.start_utc, e.id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_int64(st, 2, (int64_t)to);
	db_bind_text(st, 3, status);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		event_from_row(st, &ev);
		event_load_extra(db, &ev);
		stop = fn(arg, &ev);
		event_clear(&ev);
	}
	sqlite3_finalize(st);
	return stop || rc == SQLITE_DONE ? 0 : -1;
}

time_t
event_next_start(const struct event *ev, time_t after)
{
	time_t len = ev->end_utc - ev->start_utc, t;
	size_t n = 0;

	if (ev->rrule == NULL)
		return ev->end_utc > after ? ev->start_utc : 0;
	if (ical_next_occurrences(ev->tzid, ev->start_local, ev->rrule,
	    after - len, 1, &t, &n) < 0 || n == 0)
		return 0;
	return t;
}

void
event_to_ical(const struct event *ev, struct ical_event *ie, struct buf *desc)
{
	memset(ie, 0, sizeof(*ie));
	buf_reset(desc);
	if (ev->description[0] != '\0' &&
	    md_to_text(ev->description, strlen(ev->description), 72, desc) < 0)
		buf_puts(desc, ev->description);
	while (desc->len > 0 && desc->data[desc->len - 1] == '\n')
		desc->data[--desc->len] = '\0';
	ie->uid = ev->uid;
	ie->sequence = ev->sequence;
	ie->summary = ev->title;
	ie->description = desc->len > 0 ? desc->data : NULL;
	ie->location = ev->location;
	ie->url = ev->online_url;
	ie->tzid = ev->tzid;
	ie->all_day = ev->all_day;
	ie->start = ev->start_local;
	ie->end = ev->end_local;
	ie->rrule = ev->rrule;
	ie->status = strcmp(ev->status, "cancelled") == 0 ?
	    ICAL_EVENT_CANCELLED : ICAL_EVENT_CONFIRMED;
	ie->created = ev->created_at;
	ie->last_modified = ev->updated_at;
}

int
event_find_uid(struct db *db, const char *uid, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM events WHERE uid = ?");
	int rc;

	db_bind_text(st, 1, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
event_mark_full(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE events SET full_noticed = 1"
	    " WHERE id = ? AND full_noticed = 0");

	sqlite3_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st, NULL) < 0)
		return -1;
	return sqlite3_changes(db_handle(db)) > 0;
}
