/* cli_queue: `rundbrief newsletter send` and `rundbrief queue …`. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "ical.h"
#include "mailing.h"
#include "newsletter.h"
#include "outbox.h"
#include "schedule.h"
#include "senderlock.h"
#include "util.h"

static const char newsletter_usage[] =
    "usage: rundbrief newsletter send [--month YYYY-MM] [--again]\n"
    "       rundbrief newsletter hold YYYY-MM\n"
    "       rundbrief newsletter release YYYY-MM\n"
    "\n"
    "send      makes the month's newsletter now (default: this month) and\n"
    "          queues it for every active subscriber; 'rundbrief queue run'\n"
    "          (or the daemon) sends it. Its content (editorial, events,\n"
    "          templates) is frozen now. A second newsletter for the same\n"
    "          month needs --again (a special edition).\n"
    "hold      the daemon does not send that month's newsletter until it is\n"
    "          released (a month already sent cannot be held)\n"
    "release   frees a held month: the daemon sends it at its moment, or at\n"
    "          once if the moment has passed and [newsletter] grace has not\n"
    "\n"
    "'rundbrief status' shows the held months and the next jobs.\n";

static const char queue_usage[] =
    "usage: rundbrief queue [--format table|tsv|json]\n"
    "       rundbrief queue run\n"
    "       rundbrief queue retry [MAILING]\n"
    "       rundbrief queue cancel MAILING\n"
    "\n"
    "queue         counts per state per mailing, and the recent errors\n"
    "run           delivers everything that is due, in the foreground, and\n"
    "              returns when nothing is due (deferred messages wait for\n"
    "              their next attempt)\n"
    "retry         queues failed messages again (of one mailing, or all)\n"
    "cancel        stops a mailing: what has not gone out will not\n";

/* newsletter hold|release YYYY-MM */
static int
cmd_hold(struct cli *c, int argc, char **argv)
{
	const char *what = argv[0];
	int hold = !strcmp(what, "hold");
	char *err = NULL, when[TM_TEXT_LEN];
	int rc, year, mon;
	time_t now = time(NULL), due;
	struct tm tm;

	if (argc != 2) {
		cli_err("newsletter %s takes one month, YYYY-MM (see rundbrief "
		    "newsletter --help)", what);
		return EX_USAGE;
	}
	if (newsletter_parse_month(argv[1], &year, &mon) < 0) {
		cli_err("newsletter %s: the month must be YYYY-MM, not \"%s\"",
		    what, argv[1]);
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	rc = hold ? schedule_hold(c->db, year, mon, now, &err) :
	    schedule_release(c->db, year, mon, &err);
	if (rc < 0) {
		cli_err("%s", err != NULL ? err : db_errmsg(c->db));
		free(err);
		return EX_DATAERR;
	}
	if (hold) {
		if (rc == 1)
			printf("newsletter %04d-%02d is held already\n", year,
			    mon);
		else
			printf("newsletter %04d-%02d is held; `rundbrief "
			    "newsletter release %04d-%02d` frees it\n", year,
			    mon, year, mon);
		return 0;
	}
	if (rc == 1) {
		printf("newsletter %04d-%02d was not held\n", year, mon);
		return 0;
	}
	printf("newsletter %04d-%02d is released", year, mon);
	if (schedule_month_due(c->cfg->schedule, c->cfg->timezone, year, mon,
	    &due) != 0 || ical_utc_to_local(c->cfg->timezone, due, &tm) < 0) {
		printf("\n");
		return 0;
	}
	tm_text(&tm, 1, when);
	if (due > now)
		printf("; the daemon sends it at %s\n", when);
	else if (schedule_in_grace(due, now, c->cfg->grace))
		printf("; its moment (%s) has passed: the daemon sends it "
		    "now\n", when);
	else
		printf("; its moment (%s) is past [newsletter] grace, so the "
		    "daemon will not send it: `rundbrief newsletter send "
		    "--month %04d-%02d` does\n", when, year, mon);
	return 0;
}

int
cli_newsletter(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "again", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *month = NULL;
	char *err = NULL;
	int ch, again = 0, rc, year, mon;
	int64_t id;
	long queued;
	time_t now = time(NULL);

	if (argc >= 2 && (!strcmp(argv[1], "hold") ||
	    !strcmp(argv[1], "release"))) {
		if (argc >= 3 && (!strcmp(argv[2], "--help") ||
		    !strcmp(argv[2], "help"))) {
			fputs(newsletter_usage, stdout);
			return 0;
		}
		return cmd_hold(c, argc - 1, argv + 1);
	}
	if (argc < 2 || strcmp(argv[1], "send") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") ||
		    !strcmp(argv[1], "help"))) {
			fputs(newsletter_usage, stdout);
			return 0;
		}
		fputs(newsletter_usage, stderr);
		return EX_USAGE;
	}
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': month = optarg; break;
		case 'a': again = 1; break;
		case 'h': fputs(newsletter_usage, stdout); return 0;
		default:
			cli_err("newsletter send: unknown option %s",
			    argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		cli_err("newsletter send takes options only");
		return EX_USAGE;
	}
	if (month == NULL) {
		struct tm tm;
		ical_utc_to_local(c->cfg->timezone, now, &tm);
		year = tm.tm_year + 1900;
		mon = tm.tm_mon + 1;
	} else if (newsletter_parse_month(month, &year, &mon) < 0) {
		cli_err("--month must be YYYY-MM, not \"%s\"", month);
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (mailing_newsletter(c->cfg, c->db, year, mon, again, now, &id,
	    &queued, &err) < 0) {
		cli_err("%s", err);
		free(err);
		return EX_DATAERR;
	}
	printf("mailing %" PRId64 ": newsletter %04d-%02d queued for %ld "
	    "subscriber%s\n", id, year, mon, queued, queued == 1 ? "" : "s");
	return 0;
}

/* ---- queue ---- */

static const struct column mailing_cols[] = {
	{ "mailing", COL_INT, 0, NULL }, { "kind", COL_TEXT, 0, NULL },
	{ "title", COL_TEXT, 0, NULL }, { "state", COL_TEXT, 0, NULL },
	{ "created_at", COL_TIME, 0, NULL },
	{ "finished_at", COL_TIME, 0, NULL }, { "queued", COL_INT, 0, NULL },
	{ "sent", COL_INT, 0, NULL }, { "deferred", COL_INT, 0, NULL },
	{ "failed", COL_INT, 0, NULL }, { "cancelled", COL_INT, 0, NULL },
	{ "blocked_reason", COL_TEXT, 0, NULL },
};

static const struct column error_cols[] = {
	{ "mailing", COL_INT, 0, NULL }, { "email", COL_TEXT, 0, NULL },
	{ "state", COL_TEXT, 0, NULL }, { "attempts", COL_INT, 0, NULL },
	{ "when", COL_TIME, 0, NULL }, { "last_reply", COL_TEXT, 0, NULL },
};

static void
mailing_row(void *arg, const struct outbox_mailing *m)
{
	const struct cell cells[] = { cell_int(m->id), cell_text(m->kind),
		cell_text(m->title), cell_text(m->state), cell_time(m->created),
		cell_time(m->finished), cell_int(m->c.queued + m->c.sending),
		cell_int(m->c.sent), cell_int(m->c.deferred),
		cell_int(m->c.failed), cell_int(m->c.cancelled),
		cell_text(m->reason) };

	table_row(arg, cells);
}

static void
error_row(void *arg, int64_t mailing, const char *email, const char *state,
    int attempts, const char *reply, time_t when)
{
	const struct cell cells[] = { cell_int(mailing), cell_text(email),
		cell_text(state), cell_int(attempts), cell_time(when),
		cell_text(reply) };

	table_row(arg, cells);
}

static int
cmd_show(struct cli *c)
{
	struct table *t;
	int rc;

	if ((rc = cli_db(c)) != 0)
		return rc;
	t = table_new(stdout, c->fmt, c->cfg->timezone, mailing_cols,
	    NCOLS(mailing_cols));
	rc = outbox_mailings(c->db, mailing_row, t);
	table_end(t);
	if (rc == 0 && c->fmt == OUT_TABLE) {
		printf("\nrecent errors:\n");
		t = table_new(stdout, c->fmt, c->cfg->timezone, error_cols,
		    NCOLS(error_cols));
		rc = outbox_recent_errors(c->db, 10, error_row, t);
		table_end(t);
	}
	return rc < 0 ? EX_SOFTWARE : 0;
}

static struct deliver *running;

static void
on_signal(int sig)
{
	(void)sig;
	if (running != NULL)
		deliver_stop(running);
}

struct progress {
	long total;
	int tty;
	time_t last;
};

static void
show_progress(void *arg, const struct deliver_stats *s)
{
	struct progress *p = arg;
	long done = s->sent + s->deferred + s->failed + s->skipped;
	time_t now = time(NULL);

	if (p->tty)
		fprintf(stderr, "\r\033[Ksending: %ld/%ld  sent %ld, deferred %ld, "
		    "failed %ld", done, p->total, s->sent, s->deferred,
		    s->failed);
	else if (now - p->last >= 5 || done == p->total) {
		fprintf(stderr, "sending: %ld/%ld  sent %ld, deferred %ld, "
		    "failed %ld\n", done, p->total, s->sent, s->deferred,
		    s->failed);
		p->last = now;
	}
}

static int
cmd_run(struct cli *c)
{
	struct deliver_stats st;
	struct progress p;
	struct sigaction sa;
	char *err = NULL;
	long recovered;
	pid_t holder;
	int rc, lock;

	if ((rc = cli_db(c)) != 0)
		return rc;
	lock = senderlock_take(c->cfg->database, &holder, &err);
	if (lock == -1) {
		if (holder > 0)
			cli_err("the daemon or another 'queue run' (pid %ld) is "
			    "sending from this database; it sends what is "
			    "queued by itself", (long)holder);
		else
			cli_err("another process is sending from this "
			    "database; it sends what is queued by itself");
		return EX_TEMPFAIL;
	}
	if (lock < 0) {
		cli_err("%s", err);
		free(err);
		return EX_CANTCREAT;
	}
	/* we are the only sender: rows left in sending are orphans */
	if (outbox_recover(c->db, &recovered) == 0 && recovered > 0)
		fprintf(stderr, "rundbrief: %ld message%s left in sending by an "
		    "interrupted run queued again\n", recovered,
		    recovered == 1 ? "" : "s");
	running = deliver_new(c->cfg, c->db, &err);
	if (running == NULL) {
		cli_err("%s", err);
		free(err);
		senderlock_release(lock);
		return EX_CONFIG;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&st, 0, sizeof(st));
	p.total = outbox_due_count(c->db, time(NULL));
	p.tty = isatty(2);
	p.last = time(NULL);
	for (;;) {
		rc = deliver_run(running, &st, show_progress, &p);
		if (rc != DELIVER_RATE_LIMITED)
			break;
		usleep((useconds_t)(deliver_wait_ms(running) * 1000));
	}
	if (p.tty)
		fputs("\r\033[K", stderr);
	deliver_free(running);
	running = NULL;
	senderlock_release(lock);
	printf("sent %ld, deferred %ld, failed %ld, skipped %ld\n", st.sent,
	    st.deferred, st.failed, st.skipped);
	if (rc == DELIVER_SERVER_DOWN) {
		cli_err("the mail server cannot be reached now; the rest stays "
		    "queued");
		return EX_TEMPFAIL;
	}
	if (rc == DELIVER_STOPPED) {
		cli_err("stopped; the rest stays queued");
		return EX_TEMPFAIL;
	}
	if (rc == DELIVER_DB_BUSY) {
		cli_err("the database was locked by another process; the rest "
		    "stays queued");
		return EX_TEMPFAIL;
	}
	return rc == DELIVER_ERROR ? EX_SOFTWARE : 0;
}

static int
parse_mailing(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*end != '\0' || v <= 0) {
		cli_err("\"%s\" is not a mailing number (see rundbrief queue)",
		    s);
		return EX_USAGE;
	}
	*id = v;
	return 0;
}

int
cli_queue(struct cli *c, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int64_t id = 0;
	long n;
	int rc, i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "help")) {
			fputs(queue_usage, stdout);
			return 0;
		}
	if (cmd == NULL || !strcmp(cmd, "--format") ||
	    !strncmp(cmd, "--format=", 9)) {
		if (cmd != NULL) {
			const char *v = cmd[8] == '=' ? cmd + 9 :
			    argc > 2 ? argv[2] : "";
			if (cli_format(c, v) != 0)
				return EX_USAGE;
		}
		return cmd_show(c);
	}
	if (!strcmp(cmd, "run") && argc == 2)
		return cmd_run(c);
	if (!strcmp(cmd, "retry") && argc <= 3) {
		if (argc == 3 && (rc = parse_mailing(argv[2], &id)) != 0)
			return rc;
		if ((rc = cli_db(c)) != 0)
			return rc;
		n = outbox_retry(c->db, id, time(NULL));
		if (n < 0)
			return EX_SOFTWARE;
		printf("%ld failed message%s queued again\n", n, n == 1 ? "" : "s");
		return 0;
	}
	if (!strcmp(cmd, "cancel") && argc == 3) {
		if ((rc = parse_mailing(argv[2], &id)) != 0 ||
		    (rc = cli_db(c)) != 0)
			return rc;
		n = outbox_cancel(c->db, id, time(NULL));
		if (n < 0) {
			cli_err("no mailing %" PRId64, id);
			return EX_DATAERR;
		}
		printf("mailing %" PRId64 " cancelled: %ld message%s will not be "
		    "sent\n", id, n, n == 1 ? "" : "s");
		return 0;
	}
	fputs(queue_usage, stderr);
	return EX_USAGE;
}
