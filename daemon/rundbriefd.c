/*
 * rundbriefd: the daemon. Single-threaded: it fires the jobs of the
 * schedule that are due (newsletter, review copy, reminders), delivers what
 * the outbox has due, then sleeps until the next job or due message, a
 * change of the database (inotify on its directory: `rundbrief newsletter
 * send` wakes it at once) or a signal. Signal handlers only set flags. An
 * idle daemon uses no CPU. With --once it makes one pass and exits.
 *
 * With [imap] url set, the reply reader (inbox.c) runs beside it in its
 * own thread with its own database connection; what it queues (a
 * confirmation mail) wakes the loop through the database's inotify watch.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "ical.h"
#include "inbox.h"
#include "log.h"
#include "outbox.h"
#include "render.h"
#include "schedule.h"
#include "sdnotify.h"
#include "senderlock.h"
#include "smtp.h"
#include "util.h"
#include "version.h"

/* Longest sleep without looking (in case a change was not noticed). */
#define MAX_SLEEP 600
/* Back-off when the mail server cannot be reached. */
#define SERVER_DOWN_WAIT 60
/* Back-off after a schedule pass hit a database error. */
#define SCHEDULE_RETRY 10

static volatile sig_atomic_t got_term, got_hup;
static struct deliver *current;
static struct inbox *reader;

/* What the tick needs while a delivery run goes on. */
static struct {
	unsigned long long wd_usec;	/* $WATCHDOG_USEC, 0: none */
	struct timespec last_wd;
	struct timespec term_at;	/* when SIGTERM was seen */
	long grace;			/* [smtp] stop_grace */
	int aborted;
} loop;

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* WATCHDOG=1 at half the interval systemd asked for. */
static void
watchdog(void)
{
	if (loop.wd_usec == 0 ||
	    since(&loop.last_wd) * 2e6 < (double)loop.wd_usec)
		return;
	sdnotify("WATCHDOG=1");
	clock_gettime(CLOCK_MONOTONIC, &loop.last_wd);
}

/*
 * Called during delivery runs (at least every 100 ms): keeps the watchdog
 * fed and acts on signals. SIGTERM: the messages in flight get
 * stop_grace seconds, then they are cut off (they stay queued). SIGHUP:
 * the run ends after the messages in flight, the main loop reloads and
 * goes on.
 */
static void
tick(void *arg)
{
	(void)arg;
	watchdog();
	if (got_term && current != NULL) {
		if (loop.term_at.tv_sec == 0) {
			clock_gettime(CLOCK_MONOTONIC, &loop.term_at);
			deliver_stop(current);
		} else if (!loop.aborted && since(&loop.term_at) >=
		    (double)loop.grace) {
			log_warnx("stopping: messages still on their way after "
			    "%lds are cut off; they stay queued", loop.grace);
			deliver_abort(current);
			loop.aborted = 1;
		}
	}
	if (got_hup && current != NULL)
		deliver_yield(current);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else {
		got_term = 1;
		if (current != NULL)
			deliver_stop(current);
	}
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: rundbriefd [-c FILE] [-n] [-f] [-v] [--once "
	    "[--now T]]\n"
	    "  -c FILE  configuration (default: $RUNDBRIEF_CONFIG, else "
	    RUNDBRIEF_SYSCONFDIR "/rundbrief/rundbrief.ini,\n"
	    "           else the embedded defaults)\n"
	    "  -n       check the configuration and templates, and exit\n"
	    "  -f       stay in the foreground (always true; for symmetry)\n"
	    "  -v       debug logging\n"
	    "  --once   one pass (read the mailbox if [imap] url is set, "
	    "fire the due jobs,\n"
	    "           deliver what is due), then exit\n"
	    "  --now T  with --once: as if it were T, a UTC instant\n"
	    "           (2027-03-01T08:00:00Z) or a local time in [general]\n"
	    "           timezone (\"2027-03-01 09:00\")\n"
	    "  --help, --version\n");
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "once", no_argument, NULL, 'O' },
	{ "now", required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 }
};

static void
status(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT"
	    " (SELECT count(*) FROM subscribers WHERE status = 'active'),"
	    " (SELECT count(*) FROM events WHERE status = 'published'"
	    "  AND (end_utc >= ?1 OR rrule IS NOT NULL)),"
	    " (SELECT count(*) FROM outbox WHERE state IN ('queued','deferred'))");

	sqlite3_bind_int64(st, 1, (sqlite3_int64)clock_now());
	if (sqlite3_step(st) == SQLITE_ROW)
		log_info("%lld active subscribers, %lld upcoming published "
		    "events, %lld messages queued",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
}

/* Watches the database's directory, and the editorials' (a newsletter
 * waiting for its editorial goes when the file comes); -1 if inotify is
 * not available. */
static int
watch_db(const char *path, const char *content)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		log_warn("inotify on %s (falling back to periodic checks)", dir);
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && content != NULL && inotify_add_watch(fd, content,
	    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
		log_debug("inotify on %s: %s (editorials are looked for every "
		    "%d minutes)", content, strerror(errno), MAX_SLEEP / 60);
	free(dir);
	return fd;
}

static void
drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
log_round(const struct deliver_stats *st)
{
	if (st->sent || st->deferred || st->failed || st->skipped)
		log_info("delivered: sent %ld, deferred %ld, failed %ld, "
		    "skipped %ld", st->sent, st->deferred, st->failed,
		    st->skipped);
}

/* Milliseconds until the next thing to do (bounded): the next job, the
 * next due message, the end of a wait (not_before). */
static int
sleep_ms(struct db *db, time_t not_before, time_t next_job,
    unsigned long long wd)
{
	time_t now = clock_now(), due = outbox_next_due(db);
	long s = MAX_SLEEP;

	if (due != 0)
		s = due > now ? (long)(due - now) : 0;
	if (not_before > now && s < not_before - now)
		s = (long)(not_before - now);
	if (next_job != 0 && s > next_job - now)
		s = next_job > now ? (long)(next_job - now) : 0;
	if (s > MAX_SLEEP)
		s = MAX_SLEEP;
	if (wd && (unsigned long long)s * 1000000ULL > wd / 2)
		return (int)(wd / 2000);
	return (int)(s * 1000);
}

/* The schedule's pass; the next job's moment (a database error: soon). */
static time_t
run_schedule(const struct config *cfg, struct db *db)
{
	time_t next = 0, now = clock_now();

	if (schedule_run(cfg, db, now, &next) < 0) {
		log_warnx("schedule: the pass did not finish; trying again in "
		    "%ds", SCHEDULE_RETRY);
		if (next == 0 || next > now + SCHEDULE_RETRY)
			next = now + SCHEDULE_RETRY;
	}
	return next;
}

/* --once: one pass, then exit 0. */
static int
once(const struct config *cfg, struct db *db)
{
	struct deliver_stats st;
	char *err = NULL;
	int rc, busy = 0;

	/* first the mailbox, so what it queues goes out in this pass */
	if (cfg->imap_url != NULL && inbox_check(cfg, db, NULL, NULL,
	    &err) < 0) {
		log_warnx("imap: %s", err);
		free(err);
	}
	if (clock_is_set())
		outbox_fresh_due(db, clock_now());
	run_schedule(cfg, db);
	for (;;) {
		memset(&st, 0, sizeof(st));
		rc = deliver_run(current, &st, NULL, NULL);
		log_round(&st);
		if (got_term || rc == DELIVER_IDLE || rc == DELIVER_STOPPED)
			break;
		if (rc == DELIVER_RATE_LIMITED) {
			poll(NULL, 0, deliver_wait_ms(current));
			continue;
		}
		if (rc == DELIVER_DB_BUSY && busy++ < 30) {
			poll(NULL, 0, 1000);
			continue;
		}
		if (rc == DELIVER_SERVER_DOWN)
			log_warnx("the mail server cannot be reached; the "
			    "messages stay queued");
		break;
	}
	return 0;
}

/* The IMAP reader, if [imap] url is set; without it the daemon goes on
 * with everything else. */
static void
start_reader(const struct config *cfg)
{
	char *err = NULL;

	reader = inbox_start(cfg, &err);
	if (reader == NULL && err != NULL) {
		log_warnx("imap: %s; replies are not read", err);
		free(err);
	}
}

static void
reload(struct config **cfg, struct db *db)
{
	struct config *fresh;
	char *err = NULL;
	struct deliver *d;

	sdnotify("RELOADING=1");
	if (config_load((*cfg)->path, &fresh) < 0 ||
	    render_check(fresh, stderr) > 0) {
		log_warnx("reload: the new configuration or templates have "
		    "errors (above); keeping the old ones");
		if (fresh != NULL)
			config_free(fresh);
	} else if ((d = deliver_new(fresh, db, &err)) == NULL) {
		log_warnx("reload: %s; keeping the old configuration", err);
		free(err);
		config_free(fresh);
	} else {
		deliver_free(current);
		current = d;
		deliver_set_tick(current, tick, NULL);
		loop.grace = fresh->stop_grace;
		/* the reader uses the old configuration until it stops */
		inbox_stop(reader);
		config_free(*cfg);
		*cfg = fresh;
		start_reader(fresh);
		log_info("reloaded configuration");
	}
	sdnotify("READY=1");
}

int
main(int argc, char **argv)
{
	const char *cfgpath = NULL, *now_str = NULL;
	struct config *cfg;
	struct sigaction sa;
	struct deliver_stats st;
	struct pollfd pfd;
	struct db *db;
	char *err = NULL;
	unsigned long long wd;
	time_t not_before = 0, next_job = 0, now_arg = 0;
	long recovered;
	pid_t holder;
	int ch, check = 0, rc, wfd, lock, one = 0, now_given = 0;

	log_init("rundbriefd");
	while ((ch = getopt_long(argc, argv, "c:nfvh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'n': check = 1; break;
		case 'f': break;
		case 'v': log_set_verbose(1); break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("rundbriefd " RUNDBRIEF_VERSION); return 0;
		case 'O': one = 1; break;
		case 'N':
			now_given = 1;
			now_str = optarg;
			break;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc || (now_given && !one)) {
		if (now_given && !one)
			log_warnx("--now needs --once");
		usage(stderr);
		return EX_USAGE;
	}
	if (config_load(cfgpath, &cfg) < 0)
		return EX_CONFIG;
	/* a UTC instant, or a local time in [general] timezone */
	if (now_given && clock_parse_utc(now_str, &now_arg) < 0 &&
	    (strlen(now_str) != 16 || ical_local_to_utc(cfg->timezone, now_str,
	    &now_arg) < 0)) {
		log_warnx("--now %s: neither a UTC instant like "
		    "2027-03-01T08:00:00Z nor a local time like "
		    "\"2027-03-01 09:00\"", now_str);
		config_free(cfg);
		return EX_USAGE;
	}
	if (now_given)
		clock_set(now_arg);
	if (check) {
		if (smtp_global_init(&err) < 0) {
			log_warnx("%s", err);
			free(err);
			config_free(cfg);
			return EX_SOFTWARE;
		}
		rc = render_check(cfg, stderr) > 0 ||
		    deliver_check(cfg, stderr) < 0 ? EX_CONFIG : 0;
		if (rc == 0)
			printf("%s: configuration OK\n", cfg->path ? cfg->path :
			    "(embedded defaults)");
		config_free(cfg);
		ical_cleanup();
		smtp_global_cleanup();
		return rc;
	}
	if (smtp_global_init(&err) < 0 ||
	    db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0) {
		log_warnx("%s", err);
		free(err);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	lock = senderlock_take(cfg->database, &holder, &err);
	if (lock < 0) {
		if (lock == -1)
			log_warnx("another sender (pid %ld) is running on %s; "
			    "only one may", (long)holder, cfg->database);
		else {
			log_warnx("%s", err);
			free(err);
		}
		db_close(db);
		config_free(cfg);
		return EX_TEMPFAIL;
	}
	/* the only sender now: rows left in sending are a crash's */
	if (outbox_recover(db, &recovered) == 0 && recovered > 0)
		log_info("%ld message%s left in sending by a crash queued again",
		    recovered, recovered == 1 ? "" : "s");
	current = deliver_new(cfg, db, &err);
	if (current == NULL) {
		log_warnx("%s", err);
		free(err);
		senderlock_release(lock);
		db_close(db);
		config_free(cfg);
		return EX_CONFIG;
	}
	deliver_set_tick(current, tick, NULL);
	loop.grace = cfg->stop_grace;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("started: configuration %s, database %s (schema %d), %s",
	    cfg->path ? cfg->path : "(embedded defaults)", cfg->database,
	    db_schema_version(db), cfg->smtp_url ? cfg->smtp_url :
	    "file transport");
	if (cfg->smtp_url == NULL)
		log_info("no [smtp] url: messages are written to %s/new",
		    cfg->maildir);
	status(db);
	if (one) {
		if (now_given)
			log_info("one pass as of %s", now_str);
		rc = once(cfg, db);
		goto out;
	}
	wfd = watch_db(cfg->database, cfg->content);
	start_reader(cfg);
	sdnotify("READY=1");
	wd = loop.wd_usec = sdnotify_watchdog_usec();
	clock_gettime(CLOCK_MONOTONIC, &loop.last_wd);
	while (!got_term) {
		if (!got_hup)
			next_job = run_schedule(cfg, db);
		if (clock_now() >= not_before && !got_hup && !got_term) {
			memset(&st, 0, sizeof(st));
			rc = deliver_run(current, &st, NULL, NULL);
			log_round(&st);
			if (rc == DELIVER_SERVER_DOWN) {
				log_warnx("the mail server cannot be reached; "
				    "trying again in %ds", SERVER_DOWN_WAIT);
				not_before = clock_now() + SERVER_DOWN_WAIT;
			} else if (rc == DELIVER_RATE_LIMITED)
				not_before = clock_now() +
				    (deliver_wait_ms(current) + 999) / 1000;
			else if (rc == DELIVER_DB_BUSY)
				not_before = clock_now() + 1;
		}
		if (got_term)
			break;
		pfd.fd = wfd;
		pfd.events = POLLIN;
		if (!got_hup && poll(&pfd, wfd >= 0 ? 1 : 0,
		    sleep_ms(db, not_before, next_job, wd)) < 0 &&
		    errno != EINTR)
			log_warn("poll");
		drain(wfd);
		watchdog();
		if (got_hup) {
			got_hup = 0;
			reload(&cfg, db);
		}
	}
	sdnotify("STOPPING=1");
	log_info("stopping");
	if (wfd >= 0)
		close(wfd);
	rc = 0;
out:
	inbox_stop(reader);
	deliver_free(current);
	senderlock_release(lock);
	db_close(db);
	config_free(cfg);
	ical_cleanup();
	smtp_global_cleanup();
	return rc;
}
