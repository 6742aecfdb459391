/*
 * schedule: the daemon's routine. Each month's newsletter at the first
 * occurrence of [newsletter] schedule in that month, the coordinator's
 * review copy [newsletter] review_lead before it (or, with
 * require_editorial and no editorial, a warning two days before), and the
 * reminders [reminders] offsets before every occurrence of every published
 * event. Rules are local wall-clock times in [general] timezone; due times
 * are UTC instants computed with libical's zone data, so a DST change
 * neither skips nor doubles a job.
 *
 * A job has a unique key:
 *   newsletter:2026-12   review:2026-12   warning:2026-12
 *   reminder:UID:OCCURRENCE:7d
 * where OCCURRENCE is "single" for a one-off event and the occurrence's
 * RECURRENCE-ID (local "20270310T180000", "20270310" all-day) for a
 * recurring one. A job is written to the jobs table when it fires or is
 * skipped, in the transaction that makes its mailing and outbox rows, so it
 * happens once however often the daemon passes the same instant, restarts
 * or crashes. Jobs to come are not stored: they are computed from the
 * rules and the events as they are now, so when an event moves its pending
 * reminders move with it, and when it is cancelled they are gone.
 *
 * Late jobs (the daemon was down): a newsletter is still sent within
 * [newsletter] grace of its moment, else skipped; a reminder is sent late
 * only while its occurrence has not started, and of several missed
 * reminders of one occurrence only the last; a review copy only before its
 * newsletter's moment. Nothing due before the scheduler first ran on a
 * database (its "start", kept in meta) is sent late, so a first start
 * sends no backlog; nor is a reminder whose moment came before its event
 * was published.
 */
#ifndef RUNDBRIEF_SCHEDULE_H
#define RUNDBRIEF_SCHEDULE_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;
struct event;

enum schedule_kind {
	SCHEDULE_NEWSLETTER,
	SCHEDULE_REVIEW,
	SCHEDULE_WARNING,
	SCHEDULE_REMINDER
};

/* A job to come (or due now), as schedule_pending() reports it. */
struct schedule_job {
	enum schedule_kind kind;
	const char *key;
	time_t due;                /* UTC */
	int year, month;           /* newsletter, review, warning: the issue */
	const struct event *event; /* reminder: the event */
	time_t occurrence;         /* reminder: the occurrence's start (UTC) */
	long offset;               /* reminder: seconds before, as configured */
	long recipients;           /* how many it would go to now */
	const char *waiting;       /* NULL, or why a due job waits: "held",
	                              "no editorial" */
};

/* "newsletter", "review", "warning", "reminder". */
const char *schedule_kind_name(enum schedule_kind k);

/* ---- the arithmetic ---- */

/*
 * The newsletter moment of year-month: the first occurrence of rrule,
 * expanded as wall-clock times in tzid, that falls in that (local) month.
 * Returns 0 and *due, 1 when the rule has no occurrence in that month, -1
 * for an invalid rule or zone.
 */
int schedule_month_due(const char *rrule, const char *tzid, int year,
    int month, time_t *due);

/*
 * The instant `offset` seconds before t: whole days of it count as
 * calendar days in tzid (7d before 10:00 is 10:00, also across a DST
 * change), the rest as elapsed seconds.
 */
time_t schedule_before(const char *tzid, time_t t, long offset);

/* An offset as the key writes it: "7d", "2h", "90m", "45s". */
void schedule_offset_name(long offset, char *buf, size_t size);

/*
 * The OCCURRENCE part of a reminder key for ev's occurrence starting at
 * occ: "single" for a one-off event, else its RECURRENCE-ID. Returns 0, -1
 * when it does not fit.
 */
int schedule_occurrence_id(const struct event *ev, time_t occ, char *buf,
    size_t size);

/* 1 when a newsletter due at `due` may still go out at now. */
int schedule_in_grace(time_t due, time_t now, long grace);

/* ---- the jobs ---- */

/*
 * Calls fn for every job that is not done, due at or before `until`
 * (overdue ones that are still to be sent included), in order of due time.
 * Returns 0 or -1.
 */
int schedule_pending(const struct config *cfg, struct db *db, time_t now,
    time_t until, void (*fn)(void *arg, const struct schedule_job *j),
    void *arg);

/*
 * The daemon's pass at `now`: fires every due job, logging one line per
 * job (what, for how many) and per skip. *next: the earliest due time
 * after now of a job to come (0: none within reach). Returns 0, or -1
 * after a database error (jobs fired before it stay fired).
 */
int schedule_run(const struct config *cfg, struct db *db, time_t now,
    time_t *next);

/*
 * Holds the newsletter of year-month: it is not sent until released.
 * Returns 0, 1 when it was held already, -1 with *errstr (e.g. it was sent
 * already).
 */
int schedule_hold(struct db *db, int year, int month, time_t now,
    char **errstr);

/*
 * Releases a held month. Returns 0, 1 when it was not held, -1 with
 * *errstr. The daemon sends it at once if its moment has passed and the
 * grace period has not.
 */
int schedule_release(struct db *db, int year, int month, char **errstr);

/* 1 when year-month is held, 0 if not. */
int schedule_held(struct db *db, int year, int month);

#endif
