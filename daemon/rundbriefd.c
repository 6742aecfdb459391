/*
 * rundbriefd: the daemon. Single-threaded; it sleeps until the next due
 * moment or a signal. Signal handlers only set flags.
 *
 * This version loads and checks the configuration, creates or upgrades the
 * database and waits; the newsletter schedule, reminders and delivery are
 * driven from here as those modules arrive.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "ical.h"
#include "log.h"
#include "render.h"
#include "sdnotify.h"

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: rundbriefd [-c FILE] [-n] [-f] [-v]\n"
	    "  -c FILE  configuration (default: $RUNDBRIEF_CONFIG, else "
	    RUNDBRIEF_SYSCONFDIR "/rundbrief/rundbrief.ini,\n"
	    "           else the embedded defaults)\n"
	    "  -n       check the configuration and exit\n"
	    "  -f       stay in the foreground (always true; for symmetry)\n"
	    "  -v       debug logging\n");
}

static void
status(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT"
	    " (SELECT count(*) FROM subscribers WHERE status = 'active'),"
	    " (SELECT count(*) FROM events WHERE status = 'published'"
	    "  AND (end_utc >= ?1 OR rrule IS NOT NULL))");

	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_ROW)
		log_info("%lld active subscribers, %lld upcoming published "
		    "events", (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
}

int
main(int argc, char **argv)
{
	const char *cfgpath = NULL;
	struct config *cfg, *fresh;
	struct sigaction sa;
	struct db *db;
	char *err = NULL;
	unsigned long long wd;
	int ch, check = 0, timeout_ms;

	log_init("rundbriefd");
	while ((ch = getopt(argc, argv, "c:nfvh")) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'n': check = 1; break;
		case 'f': break;
		case 'v': log_set_verbose(1); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (config_load(cfgpath, &cfg) < 0)
		return EX_CONFIG;
	if (check) {
		if (render_check(cfg, stderr) > 0) {
			config_free(cfg);
			return EX_CONFIG;
		}
		printf("%s: configuration OK\n", cfg->path ? cfg->path :
		    "(embedded defaults)");
		config_free(cfg);
		ical_cleanup();
		return 0;
	}
	if (db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0) {
		log_warnx("%s", err);
		free(err);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("started: configuration %s, database %s (schema %d)",
	    cfg->path ? cfg->path : "(embedded defaults)", cfg->database,
	    db_schema_version(db));
	status(db);
	sdnotify("READY=1");
	wd = sdnotify_watchdog_usec();
	while (!got_term) {
		/* Nothing is scheduled yet: sleep until a signal, waking only
		 * for the systemd watchdog when it is enabled. */
		timeout_ms = wd ? (int)(wd / 2000) : -1;
		if (poll(NULL, 0, timeout_ms) < 0 && errno != EINTR)
			log_warn("poll");
		if (wd)
			sdnotify("WATCHDOG=1");
		if (got_hup) {
			got_hup = 0;
			sdnotify("RELOADING=1");
			if (config_load(cfg->path, &fresh) < 0)
				log_warnx("reload: the new configuration has "
				    "errors (above); keeping the old one");
			else {
				config_free(cfg);
				cfg = fresh;
				log_info("reloaded configuration");
			}
			sdnotify("READY=1");
		}
	}
	sdnotify("STOPPING=1");
	log_info("stopping");
	db_close(db);
	config_free(cfg);
	ical_cleanup();
	return 0;
}
