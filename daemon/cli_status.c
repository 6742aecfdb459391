/*
 * cli_status: `rundbrief status` — what the daemon does next (the jobs of
 * the coming weeks with their local times), how the running mailings are
 * getting on, the last newsletter and the subscribers per status. In
 * tables for people, or one JSON object for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "ical.h"
#include "outbox.h"
#include "schedule.h"
#include "subscriber.h"
#include "util.h"

#define STATUS_DAYS     60      /* how far ahead the jobs are listed */
#define STATUS_JOBS     20      /* at most this many of them */
#define LOCAL_LEN       64      /* "2027-03-01T09:00:00+01:00" */

static const char status_usage[] =
    "usage: rundbrief status [--format table|json]\n"
    "\n"
    "What the daemon does next and how it is going: the held months, the\n"
    "jobs of the next 60 days (newsletter, review copy or warning,\n"
    "reminders) at their local times in [general] timezone, with what a\n"
    "due job waits for (the first 20, and how many more); every running\n"
    "mailing with its progress; the last newsletter with its counts; the\n"
    "subscribers per status.\n"
    "\n"
    "JSON: one object with \"timezone\", \"held\", \"jobs\", \"more_jobs\",\n"
    "\"mailings\", \"last_newsletter\" (null before the first) and\n"
    "\"subscribers\"; times in UTC (ISO 8601) and, in the *_local fields,\n"
    "as local times with their offset.\n";

/*
 * A section of the output: a table (made with its first row, so that an
 * empty one says "none" instead of showing a header alone), or (JSON) an
 * array of records collected for the object printed at the end.
 */
struct section {
	const struct cli *c;
	struct table *t;
	struct buf json;
	const struct column *cols;
	size_t ncols;
	long rows;
};

static void
section_init(struct section *s, const struct cli *c,
    const struct column *cols, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->cols = cols;
	s->ncols = n;
	buf_init(&s->json);
	buf_putc(&s->json, '[');
}

static void
section_row(struct section *s, const struct cell *cells)
{
	if (s->c->fmt == OUT_JSON) {
		buf_puts(&s->json, s->rows ? ",\n    " : "\n    ");
		json_record(&s->json, s->cols, s->ncols, cells, 0);
	} else {
		if (s->t == NULL)
			s->t = table_new(stdout, s->c->fmt,
			    s->c->cfg->timezone, s->cols, s->ncols);
		table_row(s->t, cells);
	}
	s->rows++;
}

/* Prints the table, or `none` when it is empty; closes the JSON array. */
static void
section_end(struct section *s, const char *none)
{
	if (s->t != NULL)
		table_end(s->t);
	else if (s->c->fmt != OUT_JSON)
		printf("  %s\n", none);
	buf_puts(&s->json, s->rows ? "\n  ]" : "]");
}

/* t as a local time in tz with its UTC offset: 2027-03-01T09:00:00+01:00
 * ("" when it cannot be converted). */
static const char *
local_iso(const char *tz, time_t t, char out[LOCAL_LEN])
{
	struct tm tm;
	long off;

	if (ical_utc_to_local(tz, t, &tm) < 0) {
		out[0] = '\0';
		return out;
	}
	off = tm.tm_gmtoff;
	snprintf(out, LOCAL_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600,
	    labs(off) % 3600 / 60);
	return out;
}

/* ---- the jobs ---- */

enum { J_DUE, J_DUE_LOCAL, J_KIND, J_WHAT, J_KEY, J_MONTH, J_EVENT_ID,
	J_EVENT_UID, J_EVENT_TITLE, J_OCC, J_OCC_LOCAL, J_OFFSET,
	J_RECIPIENTS, J_WAITING, J_NCOLS };

static const struct column job_cols[J_NCOLS] = {
	[J_DUE] = { "due", COL_TIME, 0, NULL },
	[J_DUE_LOCAL] = { "due_local", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_KIND] = { "kind", COL_TEXT, 0, NULL },
	[J_WHAT] = { "what", COL_TEXT, COL_NO_JSON, NULL },
	[J_KEY] = { "key", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_MONTH] = { "month", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_EVENT_ID] = { "event_id", COL_INT, COL_JSON_ONLY, NULL },
	[J_EVENT_UID] = { "event_uid", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_EVENT_TITLE] = { "event_title", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_OCC] = { "occurrence", COL_TIME, COL_JSON_ONLY, NULL },
	[J_OCC_LOCAL] = { "occurrence_local", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_OFFSET] = { "offset", COL_TEXT, COL_JSON_ONLY, NULL },
	[J_RECIPIENTS] = { "recipients", COL_INT, 0, NULL },
	[J_WAITING] = { "waiting", COL_TEXT, 0, NULL },
};

struct jobs {
	const struct cli *c;
	struct section s;
	long more;
};

static void
job_row(void *arg, const struct schedule_job *j)
{
	struct jobs *js = arg;
	const char *tz = js->c->cfg->timezone;
	struct cell f[J_NCOLS];
	char due[LOCAL_LEN], occ[LOCAL_LEN], month[16], offset[32];
	char when[TM_TEXT_LEN];
	struct tm tm;
	struct buf what;
	int i;

	if (js->s.rows >= STATUS_JOBS) {
		js->more++;
		return;
	}
	for (i = 0; i < J_NCOLS; i++)
		f[i] = cell_null();
	buf_init(&what);
	f[J_DUE] = cell_time(j->due);
	f[J_DUE_LOCAL] = cell_text(local_iso(tz, j->due, due));
	f[J_KIND] = cell_text(schedule_kind_name(j->kind));
	f[J_KEY] = cell_text(j->key);
	f[J_RECIPIENTS] = cell_int(j->recipients);
	f[J_WAITING] = cell_text(j->waiting);
	if (j->kind == SCHEDULE_REMINDER && j->event != NULL) {
		schedule_offset_name(j->offset, offset, sizeof(offset));
		f[J_EVENT_ID] = cell_int(j->event->id);
		f[J_EVENT_UID] = cell_text(j->event->uid);
		f[J_EVENT_TITLE] = cell_text(j->event->title);
		f[J_OCC] = cell_time(j->occurrence);
		f[J_OCC_LOCAL] = cell_text(local_iso(tz, j->occurrence, occ));
		f[J_OFFSET] = cell_text(offset);
		buf_puts(&what, j->event->title);
		if (ical_utc_to_local(tz, j->occurrence, &tm) == 0) {
			tm_text(&tm, !j->event->all_day, when);
			buf_printf(&what, " (%s)", when);
		}
		buf_printf(&what, ", %s before", offset);
	} else if (j->kind != SCHEDULE_REMINDER) {
		snprintf(month, sizeof(month), "%04d-%02d", j->year, j->month);
		f[J_MONTH] = cell_text(month);
		buf_puts(&what, month);
	}
	f[J_WHAT] = cell_text(what.data != NULL ? what.data : "");
	section_row(&js->s, f);
	buf_free(&what);
}

/* ---- the mailings ---- */

enum { M_ID, M_KIND, M_TITLE, M_STATE, M_CREATED, M_CREATED_LOCAL,
	M_PROGRESS, M_SENT, M_TOTAL, M_QUEUED, M_DEFERRED, M_FAILED,
	M_CANCELLED, M_REASON, M_NCOLS };

static const struct column mailing_cols[M_NCOLS] = {
	[M_ID] = { "mailing", COL_INT, 0, NULL },
	[M_KIND] = { "kind", COL_TEXT, 0, NULL },
	[M_TITLE] = { "title", COL_TEXT, 0, NULL },
	[M_STATE] = { "state", COL_TEXT, 0, NULL },
	[M_CREATED] = { "created_at", COL_TIME, 0, NULL },
	[M_CREATED_LOCAL] = { "created_at_local", COL_TEXT, COL_JSON_ONLY,
	    NULL },
	[M_PROGRESS] = { "sent/total", COL_TEXT, COL_NO_JSON, NULL },
	[M_SENT] = { "sent", COL_INT, COL_JSON_ONLY, NULL },
	[M_TOTAL] = { "total", COL_INT, COL_JSON_ONLY, NULL },
	[M_QUEUED] = { "queued", COL_INT, COL_JSON_ONLY, NULL },
	[M_DEFERRED] = { "deferred", COL_INT, 0, NULL },
	[M_FAILED] = { "failed", COL_INT, 0, NULL },
	[M_CANCELLED] = { "cancelled", COL_INT, COL_JSON_ONLY, NULL },
	[M_REASON] = { "blocked_reason", COL_TEXT, 0, NULL },
};

enum { N_ID, N_TITLE, N_STATE, N_CREATED, N_CREATED_LOCAL, N_FINISHED,
	N_FINISHED_LOCAL, N_RECIPIENTS, N_SENT, N_QUEUED, N_DEFERRED,
	N_FAILED, N_CANCELLED, N_NCOLS };

static const struct column newsletter_cols[N_NCOLS] = {
	[N_ID] = { "mailing", COL_INT, 0, NULL },
	[N_TITLE] = { "title", COL_TEXT, 0, NULL },
	[N_STATE] = { "state", COL_TEXT, 0, NULL },
	[N_CREATED] = { "created_at", COL_TIME, 0, NULL },
	[N_CREATED_LOCAL] = { "created_at_local", COL_TEXT, COL_JSON_ONLY,
	    NULL },
	[N_FINISHED] = { "finished_at", COL_TIME, 0, "(not yet)" },
	[N_FINISHED_LOCAL] = { "finished_at_local", COL_TEXT, COL_JSON_ONLY,
	    NULL },
	[N_RECIPIENTS] = { "recipients", COL_INT, 0, NULL },
	[N_SENT] = { "sent", COL_INT, 0, NULL },
	[N_QUEUED] = { "queued", COL_INT, 0, NULL },
	[N_DEFERRED] = { "deferred", COL_INT, 0, NULL },
	[N_FAILED] = { "failed", COL_INT, 0, NULL },
	[N_CANCELLED] = { "cancelled", COL_INT, 0, NULL },
};

struct mailings {
	const struct cli *c;
	struct section s;
	int64_t last;           /* the last newsletter, 0: none yet */
	int failed;
};

/* Of every message, not only the subscribers': progress is progress. */
static void
mailing_row(void *arg, const struct outbox_mailing *m)
{
	struct mailings *ms = arg;
	const char *tz = ms->c->cfg->timezone;
	const struct outbox_counts *n = &m->c;
	struct cell f[M_NCOLS];
	char created[LOCAL_LEN], *progress;
	long total = n->queued + n->sending + n->sent + n->deferred +
	    n->failed;

	if (ms->last == 0 && !strcmp(m->kind, "newsletter") && m->note == NULL)
		ms->last = m->id;
	if (strcmp(m->state, "active") && strcmp(m->state, "blocked"))
		return;
	progress = xasprintf("%ld/%ld", n->sent, total);
	f[M_ID] = cell_int(m->id);
	f[M_KIND] = cell_text(m->kind);
	f[M_TITLE] = cell_text(m->title);
	f[M_STATE] = cell_text(m->state);
	f[M_CREATED] = cell_time(m->created);
	f[M_CREATED_LOCAL] = cell_text(local_iso(tz, m->created, created));
	f[M_PROGRESS] = cell_text(progress);
	f[M_SENT] = cell_int(n->sent);
	f[M_TOTAL] = cell_int(total);
	f[M_QUEUED] = cell_int(n->queued + n->sending);
	f[M_DEFERRED] = cell_int(n->deferred);
	f[M_FAILED] = cell_int(n->failed);
	f[M_CANCELLED] = cell_int(n->cancelled);
	f[M_REASON] = cell_text(m->reason);
	section_row(&ms->s, f);
	free(progress);
}

/* The last newsletter: its messages to subscribers (not the review copy
 * to the coordinator's address). */
struct last {
	const struct cli *c;
	int64_t id;
	struct cell f[N_NCOLS];
	char created[LOCAL_LEN], finished[LOCAL_LEN];
	char *title, *state;
};

static void
last_row(void *arg, const struct outbox_mailing *m)
{
	struct last *l = arg;
	const char *tz = l->c->cfg->timezone;
	struct outbox_counts n;

	if (m->id != l->id || l->title != NULL)
		return;
	if (outbox_subscriber_counts(l->c->db, m->id, &n) < 0)
		memset(&n, 0, sizeof(n));
	l->title = xstrdup(m->title);
	l->state = xstrdup(m->state);
	l->f[N_ID] = cell_int(m->id);
	l->f[N_TITLE] = cell_text(l->title);
	l->f[N_STATE] = cell_text(l->state);
	l->f[N_CREATED] = cell_time(m->created);
	l->f[N_CREATED_LOCAL] = cell_text(local_iso(tz, m->created,
	    l->created));
	l->f[N_FINISHED] = cell_time(m->finished);
	l->f[N_FINISHED_LOCAL] = m->finished == 0 ? cell_null() :
	    cell_text(local_iso(tz, m->finished, l->finished));
	l->f[N_RECIPIENTS] = cell_int(n.queued + n.sending + n.sent +
	    n.deferred + n.failed + n.cancelled);
	l->f[N_SENT] = cell_int(n.sent);
	l->f[N_QUEUED] = cell_int(n.queued + n.sending);
	l->f[N_DEFERRED] = cell_int(n.deferred);
	l->f[N_FAILED] = cell_int(n.failed);
	l->f[N_CANCELLED] = cell_int(n.cancelled);
}

/* ---- the whole ---- */

enum { S_TZ, S_NOW, S_HELD, S_JOBS, S_MORE, S_MAILINGS, S_LAST, S_SUBS,
	S_NCOLS };

static const struct column status_cols[S_NCOLS] = {
	[S_TZ] = { "timezone", COL_TEXT, 0, NULL },
	[S_NOW] = { "now", COL_TIME, 0, NULL },
	[S_HELD] = { "held", COL_LIST, 0, NULL },
	[S_JOBS] = { "jobs", COL_JSON, 0, NULL },
	[S_MORE] = { "more_jobs", COL_INT, 0, NULL },
	[S_MAILINGS] = { "mailings", COL_JSON, 0, NULL },
	[S_LAST] = { "last_newsletter", COL_JSON, 0, NULL },
	[S_SUBS] = { "subscribers", COL_JSON, 0, NULL },
};

enum { C_PENDING, C_ACTIVE, C_UNSUBSCRIBED, C_BOUNCED, C_NCOLS };

static const struct column count_cols[C_NCOLS] = {
	[C_PENDING] = { "pending", COL_INT, 0, NULL },
	[C_ACTIVE] = { "active", COL_INT, 0, NULL },
	[C_UNSUBSCRIBED] = { "unsubscribed", COL_INT, 0, NULL },
	[C_BOUNCED] = { "bounced", COL_INT, 0, NULL },
};

/*
 * The held months among last month and the twelve to come (schedule.h
 * answers per month; a hold further off shows among the jobs when its
 * month comes near). Returns how many, names in held[] (caller frees).
 */
static size_t
held_months(const struct cli *c, time_t now, char *held[14])
{
	struct tm tm;
	size_t n = 0;
	int y, m, i;

	if (ical_utc_to_local(c->cfg->timezone, now, &tm) < 0)
		return 0;
	y = tm.tm_year + 1900;
	m = tm.tm_mon;          /* last month, 1..12 (0: December before) */
	if (m == 0) {
		m = 12;
		y--;
	}
	for (i = 0; i < 14; i++) {
		if (schedule_held(c->db, y, m) == 1)
			held[n++] = xasprintf("%04d-%02d", y, m);
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return n;
}

static int
show(struct cli *c)
{
	time_t now = time(NULL);
	struct jobs js;
	struct mailings ms;
	struct last l;
	struct subscriber_counts sc;
	struct cell f[S_NCOLS], cf[C_NCOLS];
	struct buf lastjson, subsjson;
	char *held[14], held_text[256];
	size_t nheld, i;
	int rc = 0;

	nheld = held_months(c, now, held);
	if (c->fmt == OUT_TABLE) {
		held_text[0] = '\0';
		for (i = 0; i < nheld; i++)
			snprintf(held_text + strlen(held_text),
			    sizeof(held_text) - strlen(held_text), "%s%s",
			    i ? ", " : "", held[i]);
		printf("time zone %s; held: %s\n\nnext jobs (%d days):\n",
		    c->cfg->timezone, nheld ? held_text : "none", STATUS_DAYS);
	}

	memset(&js, 0, sizeof(js));
	js.c = c;
	section_init(&js.s, c, job_cols, J_NCOLS);
	if (schedule_pending(c->cfg, c->db, now, now + STATUS_DAYS * 86400L,
	    job_row, &js) < 0)
		rc = -1;
	section_end(&js.s, "none");
	if (c->fmt == OUT_TABLE) {
		if (js.more > 0)
			printf("… and %ld more\n", js.more);
		printf("\nrunning mailings:\n");
	}

	memset(&ms, 0, sizeof(ms));
	ms.c = c;
	section_init(&ms.s, c, mailing_cols, M_NCOLS);
	if (outbox_mailings(c->db, mailing_row, &ms) < 0)
		rc = -1;
	section_end(&ms.s, "none");

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.id = ms.last;
	if (l.id != 0 && outbox_mailings(c->db, last_row, &l) < 0)
		rc = -1;
	buf_init(&lastjson);
	if (c->fmt == OUT_TABLE) {
		printf("\nlast newsletter:\n");
		if (l.title != NULL)
			table_record(stdout, c->fmt, c->cfg->timezone,
			    newsletter_cols, N_NCOLS, l.f);
		else
			printf("  none yet\n");
	} else if (l.title != NULL)
		json_record(&lastjson, newsletter_cols, N_NCOLS, l.f, 4);

	if (subscriber_count(c->db, &sc) < 0)
		rc = -1;
	cf[C_PENDING] = cell_int(sc.pending);
	cf[C_ACTIVE] = cell_int(sc.active);
	cf[C_UNSUBSCRIBED] = cell_int(sc.unsubscribed);
	cf[C_BOUNCED] = cell_int(sc.bounced);
	buf_init(&subsjson);
	if (c->fmt == OUT_TABLE)
		printf("\nsubscribers: %ld active, %ld pending, %ld "
		    "unsubscribed, %ld bounced\n", sc.active, sc.pending,
		    sc.unsubscribed, sc.bounced);
	else {
		json_record(&subsjson, count_cols, C_NCOLS, cf, 0);
		f[S_TZ] = cell_text(c->cfg->timezone);
		f[S_NOW] = cell_time(now);
		f[S_HELD] = cell_list(held, nheld);
		f[S_JOBS] = cell_json(js.s.json.data);
		f[S_MORE] = cell_int(js.more);
		f[S_MAILINGS] = cell_json(ms.s.json.data);
		f[S_LAST] = l.title != NULL ? cell_json(lastjson.data) :
		    cell_null();
		f[S_SUBS] = cell_json(subsjson.data);
		table_record(stdout, OUT_JSON, c->cfg->timezone, status_cols,
		    S_NCOLS, f);
	}

	buf_free(&js.s.json);
	buf_free(&ms.s.json);
	buf_free(&lastjson);
	buf_free(&subsjson);
	free(l.title);
	free(l.state);
	for (i = 0; i < nheld; i++)
		free(held[i]);
	if (rc < 0) {
		cli_err("reading the database failed: %s", db_errmsg(c->db));
		return EX_SOFTWARE;
	}
	return 0;
}

int
cli_status(struct cli *c, int argc, char **argv)
{
	const char *v;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "help")) {
			fputs(status_usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			v = argv[i] + 9;
		else {
			cli_err("status: unknown argument \"%s\" (see rundbrief "
			    "status --help)", argv[i]);
			return EX_USAGE;
		}
		if ((rc = cli_format(c, v)) != 0)
			return rc;
		if (c->fmt == OUT_TSV) {
			cli_err("status --format must be table or json, not "
			    "\"tsv\"");
			return EX_USAGE;
		}
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	return show(c);
}
