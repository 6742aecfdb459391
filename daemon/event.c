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
	if (db_exec_stmt(db, st, errstr) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	return 0;
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
	    (f->district && differs(f->district, ev->district)))
		mask |= EVENT_CHANGED_OTHER;
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
	if (db_exec_stmt(db, st, errstr) < 0)
		goto fail;
	event_free(ev);
	*changed = mask;
	return 0;
fail:
	event_free(ev);
	return -1;
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
