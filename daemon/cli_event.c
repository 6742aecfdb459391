/* cli_event: `rundbrief event …` and `rundbrief district …`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "datefmt.h"
#include "db.h"
#include "district.h"
#include "event.h"
#include "ical.h"
#include "mailing.h"
#include "rsvp.h"
#include "util.h"

static const char event_usage[] =
    "usage: rundbrief event COMMAND …\n"
    "\n"
    "  add --kind K --title T --start 'YYYY-MM-DD HH:MM' [--end …] [--all-day]\n"
    "      [--location L] [--online-url U] [--district D] [--capacity N]\n"
    "      [--rrule R] [--description-file F.md]\n"
    "  update ID [same options as add; an empty value clears an optional one]\n"
    "  publish ID [--no-mail]\n"
    "  cancel ID [--no-mail]\n"
    "  list [--from DATE] [--to DATE] [--format table|tsv|json]\n"
    "  show ID [--format table|tsv|json]\n"
    "  attendees ID [--format table|tsv|json]\n"
    "      who answered the invitation (accepted, tentative, declined)\n"
    "  ics [ID…] [--output FILE] [--from DATE] [--to DATE]\n"
    "      a METHOD:PUBLISH calendar of published events (for a website)\n"
    "\n"
    "Kinds: welcome_conference, volunteer_fair, training, network_meeting,\n"
    "deadline, other. Dates are local time in the configured time zone;\n"
    "all-day events take 'YYYY-MM-DD' (the end date is inclusive). Without\n"
    "--district an event is county-wide. New events are drafts until\n"
    "published. A new --start without --end keeps the event's length.\n"
    "\n"
    "Publishing queues a calendar invitation for the active subscribers of\n"
    "the event's district (everyone for county-wide events). When the date,\n"
    "place, online link or recurrence of a published event changes, everyone\n"
    "invited gets an update (same UID, SEQUENCE + 1); a cancellation tells\n"
    "them too. Title or description changes send nothing. --no-mail (on\n"
    "update, publish, cancel) changes the event without any mail.\n"
    "\n"
    "Answers to invitations are read from the mailbox ([imap]); show counts\n"
    "them (guests: people who answered a forwarded invitation), attendees\n"
    "lists them. Whoever declined gets no reminders.\n";

enum { E_KIND = 256, E_TITLE, E_START, E_END, E_ALLDAY, E_LOCATION, E_URL,
	E_DISTRICT, E_CAPACITY, E_RRULE, E_DESCFILE, E_FROM, E_TO, E_FORMAT,
	E_HELP, E_TIMED, E_NOMAIL };

static const struct option event_opts[] = {
	{ "kind", required_argument, NULL, E_KIND },
	{ "title", required_argument, NULL, E_TITLE },
	{ "start", required_argument, NULL, E_START },
	{ "end", required_argument, NULL, E_END },
	{ "all-day", no_argument, NULL, E_ALLDAY },
	{ "timed", no_argument, NULL, E_TIMED },
	{ "location", required_argument, NULL, E_LOCATION },
	{ "online-url", required_argument, NULL, E_URL },
	{ "district", required_argument, NULL, E_DISTRICT },
	{ "capacity", required_argument, NULL, E_CAPACITY },
	{ "rrule", required_argument, NULL, E_RRULE },
	{ "description-file", required_argument, NULL, E_DESCFILE },
	{ "from", required_argument, NULL, E_FROM },
	{ "to", required_argument, NULL, E_TO },
	{ "format", required_argument, NULL, E_FORMAT },
	{ "help", no_argument, NULL, E_HELP },
	{ "no-mail", no_argument, NULL, E_NOMAIL },
	{ NULL, 0, NULL, 0 }
};

struct eopts {
	struct event_fields f;
	char *description;     /* read from --description-file */
	const char *from, *to;
	int nfields;
	int no_mail;
};

/* Returns 0, an EX_* code, or -1 after --help. */
static int
parse_event_opts(struct cli *c, int argc, char **argv, int fields,
    struct eopts *o)
{
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->f.all_day = -1;
	o->f.capacity = -1;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", event_opts, NULL)) != -1) {
		if (ch == E_HELP) {
			fputs(event_usage, stdout);
			return -1;
		}
		if (ch == E_NOMAIL) {
			o->no_mail = 1;
			continue;
		}
		if (ch == '?' || ch == ':' || (!fields && ch < E_FROM) ||
		    (fields && (ch == E_FROM || ch == E_TO))) {
			cli_err("event %s: unknown or incomplete option %s (see "
			    "rundbrief event --help)", argv[0], argv[optind - 1]);
			return EX_USAGE;
		}
		o->nfields += ch < E_FROM;
		switch (ch) {
		case E_KIND: o->f.kind = optarg; break;
		case E_TITLE: o->f.title = optarg; break;
		case E_START: o->f.start = optarg; break;
		case E_END: o->f.end = optarg; break;
		case E_ALLDAY: o->f.all_day = 1; break;
		case E_TIMED: o->f.all_day = 0; break;
		case E_LOCATION: o->f.location = optarg; break;
		case E_URL: o->f.online_url = optarg; break;
		case E_DISTRICT: o->f.district = optarg; break;
		case E_RRULE: o->f.rrule = optarg; break;
		case E_CAPACITY:
			o->f.capacity = *optarg ? strtol(optarg, &end, 10) : 0;
			if (*optarg && (*end != '\0' || o->f.capacity < 0)) {
				cli_err("--capacity must be a number of places "
				    "(0 or empty = unlimited)");
				return EX_USAGE;
			}
			break;
		case E_DESCFILE:
			free(o->description);
			if (file_read_all(optarg, &o->description, NULL) < 0) {
				cli_err("--description-file %s: %m", optarg);
				return EX_NOINPUT;
			}
			o->f.description = o->description;
			break;
		case E_FROM: o->from = optarg; break;
		case E_TO: o->to = optarg; break;
		case E_FORMAT:
			if (cli_format(c, optarg) != 0)
				return EX_USAGE;
			break;
		}
	}
	return 0;
}

static int
parse_id(int argc, char **argv, int64_t *id)
{
	char *end;
	long long v;

	if (optind + 1 != argc) {
		cli_err("event %s needs one event ID (see rundbrief event list)",
		    argv[0]);
		return EX_USAGE;
	}
	v = strtoll(argv[optind], &end, 10);
	if (*end != '\0' || v <= 0) {
		cli_err("\"%s\" is not an event ID", argv[optind]);
		return EX_USAGE;
	}
	*id = v;
	return 0;
}

/* The domain part of an address, for UIDs. */
static const char *
uid_domain(const struct config *cfg)
{
	const char *at = strrchr(cfg->organizer_email, '@');

	return at ? at + 1 : "rundbrief.invalid";
}

/*
 * Queues the mail that goes with a change of a published event: the
 * invitation on publishing, an update when date, place or recurrence
 * changed, a cancellation. Prints what was queued.
 */
static int
queue_event_mail(struct cli *c, const char *kind, int64_t id,
    const struct event *old)
{
	struct event *ev;
	char *err = NULL, key[48];
	int64_t mid;
	long queued = 0;
	int rc;

	if (event_get(c->db, id, &ev) != 0)
		return EX_SOFTWARE;
	snprintf(key, sizeof(key), "invitation:%" PRId64, id);
	rc = mailing_event(c->cfg, c->db, kind, ev, old, 0,
	    strcmp(kind, "invitation") == 0 ? key : NULL, time(NULL), &mid,
	    &queued, &err);
	event_free(ev);
	if (rc < 0) {
		cli_err("event %" PRId64 ": the %s was not queued: %s", id, kind,
		    err);
		free(err);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("mailing %" PRId64 ": %s queued for %ld subscriber%s "
		    "(rundbrief queue run, or the daemon, sends it)\n", mid, kind,
		    queued, queued == 1 ? "" : "s");
	return 0;
}

static int
cmd_add_update(struct cli *c, int argc, char **argv, int add)
{
	struct eopts o;
	struct event *old = NULL;
	int64_t id = 0;
	char *err = NULL;
	int rc, changed = 0;

	if ((rc = parse_event_opts(c, argc, argv, 1, &o)) != 0)
		goto out;
	if (add ? optind != argc : (rc = parse_id(argc, argv, &id)) != 0) {
		if (add)
			cli_err("event add takes options only (see --help)");
		rc = EX_USAGE;
		goto out;
	}
	if ((rc = cli_db(c)) != 0)
		goto out;
	if (!add && event_get(c->db, id, &old) < 0) {
		rc = EX_SOFTWARE;
		goto out;
	}
	if (add)
		rc = event_add(c->db, c->cfg->timezone, uid_domain(c->cfg), &o.f,
		    &id, &err);
	else
		rc = event_update(c->db, id, &o.f, &changed, &err);
	if (rc < 0) {
		cli_err("%s", err);
		free(err);
		rc = EX_DATAERR;
		goto out;
	}
	if (add)
		printf("added event %" PRId64 " (draft; publish it with: rundbrief "
		    "event publish %" PRId64 ")\n", id, id);
	else
		printf("event %" PRId64 ": %s%s\n", id, changed ? "updated" :
		    "unchanged", changed & EVENT_CHANGED_SEQUENCE ?
		    " (date, place or recurrence changed)" : "");
	rc = 0;
	/* invited people hear of changes to date, place or recurrence */
	if (!add && !o.no_mail && old != NULL && (changed &
	    EVENT_CHANGED_SEQUENCE) && strcmp(old->status, "published") == 0)
		rc = queue_event_mail(c, "update", id, old);
out:
	event_free(old);
	free(o.description);
	return rc < 0 ? 0 : rc;
}

static int
cmd_status(struct cli *c, int argc, char **argv)
{
	struct eopts o;
	struct event *before;
	int64_t id;
	char *err = NULL;
	int rc, was, cancel = strcmp(argv[0], "cancel") == 0;

	if ((rc = parse_event_opts(c, argc, argv, 0, &o)) != 0)
		return rc < 0 ? 0 : rc;
	free(o.description);
	if ((rc = parse_id(argc, argv, &id)) != 0 || (rc = cli_db(c)) != 0)
		return rc;
	if (event_get(c->db, id, &before) != 0) {
		cli_err("no event %" PRId64, id);
		return EX_DATAERR;
	}
	was = !strcmp(before->status, "published");
	event_free(before);
	rc = cancel ? event_cancel(c->db, id, &err) :
	    event_publish(c->db, id, &err);
	if (rc < 0) {
		cli_err("%s", err);
		free(err);
		return EX_DATAERR;
	}
	printf("event %" PRId64 ": %s\n", id, cancel ? "cancelled" : "published");
	if (o.no_mail)
		return 0;
	if (cancel)
		return was ? queue_event_mail(c, "cancellation", id, NULL) : 0;
	return queue_event_mail(c, "invitation", id, NULL);
}

static void
when_text(struct cli *c, const struct event *ev, struct buf *b)
{
	struct tm s, e;
	int hs, he;
	const char *lang = datefmt_supported(c->cfg->language) ?
	    c->cfg->language : "en";

	if (datefmt_parse_local(ev->start_local, &s, &hs) < 0 ||
	    datefmt_parse_local(ev->end_local, &e, &he) < 0) {
		buf_puts(b, ev->start_local);
		return;
	}
	datefmt_range(lang, &s, &e, ev->all_day, b);
}

static const char county_wide[] = "(county-wide)";

/* event list: one line per event; its JSON says where exactly. */
enum { L_ID, L_START, L_END, L_ALLDAY, L_KIND, L_TITLE, L_DISTRICT, L_STATUS,
	L_WHERE, L_LOCATION, L_URL, L_NCOLS };

static const struct column list_cols[L_NCOLS] = {
	[L_ID] = { "id", COL_INT, 0, NULL },
	[L_START] = { "start", COL_TEXT, 0, NULL },
	[L_END] = { "end", COL_TEXT, 0, NULL },
	[L_ALLDAY] = { "all_day", COL_BOOL, COL_JSON_ONLY, NULL },
	[L_KIND] = { "kind", COL_TEXT, 0, NULL },
	[L_TITLE] = { "title", COL_TEXT, 0, NULL },
	[L_DISTRICT] = { "district", COL_TEXT, 0, county_wide },
	[L_STATUS] = { "status", COL_TEXT, 0, NULL },
	[L_WHERE] = { "where", COL_TEXT, COL_NO_JSON, NULL },
	[L_LOCATION] = { "location", COL_TEXT, COL_JSON_ONLY, NULL },
	[L_URL] = { "online_url", COL_TEXT, COL_JSON_ONLY, NULL },
};

/* event show: every field, under the names list uses. */
enum { S_ID, S_UID, S_KIND, S_TITLE, S_STATUS, S_WHEN, S_START, S_END, S_TZ,
	S_ALLDAY, S_RRULE, S_LOCATION, S_URL, S_DISTRICT, S_CAPACITY,
	S_ACCEPTED, S_TENTATIVE, S_DECLINED, S_G_ACCEPTED, S_G_TENTATIVE,
	S_G_DECLINED, S_SEQUENCE, S_CREATED, S_UPDATED, S_DESCRIPTION,
	S_NCOLS };

static const struct column show_cols[S_NCOLS] = {
	[S_ID] = { "id", COL_INT, 0, NULL },
	[S_UID] = { "uid", COL_TEXT, 0, NULL },
	[S_KIND] = { "kind", COL_TEXT, 0, NULL },
	[S_TITLE] = { "title", COL_TEXT, 0, NULL },
	[S_STATUS] = { "status", COL_TEXT, 0, NULL },
	[S_WHEN] = { "when", COL_TEXT, 0, NULL },
	[S_START] = { "start", COL_TEXT, 0, NULL },
	[S_END] = { "end", COL_TEXT, 0, NULL },
	[S_TZ] = { "time_zone", COL_TEXT, 0, NULL },
	[S_ALLDAY] = { "all_day", COL_BOOL, 0, NULL },
	[S_RRULE] = { "rrule", COL_TEXT, 0, NULL },
	[S_LOCATION] = { "location", COL_TEXT, 0, NULL },
	[S_URL] = { "online_url", COL_TEXT, 0, NULL },
	[S_DISTRICT] = { "district", COL_TEXT, 0, county_wide },
	[S_CAPACITY] = { "capacity", COL_INT, 0, "unlimited" },
	/* the answers (every occurrence together): subscribers, guests */
	[S_ACCEPTED] = { "accepted", COL_INT, 0, NULL },
	[S_TENTATIVE] = { "tentative", COL_INT, 0, NULL },
	[S_DECLINED] = { "declined", COL_INT, 0, NULL },
	[S_G_ACCEPTED] = { "guests_accepted", COL_INT, 0, NULL },
	[S_G_TENTATIVE] = { "guests_tentative", COL_INT, 0, NULL },
	[S_G_DECLINED] = { "guests_declined", COL_INT, 0, NULL },
	[S_SEQUENCE] = { "sequence", COL_INT, 0, NULL },
	[S_CREATED] = { "created_at", COL_TIME, 0, NULL },
	[S_UPDATED] = { "updated_at", COL_TIME, 0, NULL },
	/* the table prints it below, as it is */
	[S_DESCRIPTION] = { "description", COL_TEXT, COL_NO_TABLE, NULL },
};

static int
list_row(void *arg, const struct event *ev)
{
	struct table *t = arg;
	struct cell c[L_NCOLS];

	c[L_ID] = cell_int(ev->id);
	c[L_START] = cell_text(ev->start_local);
	c[L_END] = cell_text(ev->end_local);
	c[L_ALLDAY] = cell_bool(ev->all_day);
	c[L_KIND] = cell_text(ev->kind);
	c[L_TITLE] = cell_text(ev->title);
	c[L_DISTRICT] = cell_text(ev->district);
	c[L_STATUS] = cell_text(ev->status);
	c[L_WHERE] = cell_text(ev->online_url ? "online" : ev->location ?
	    ev->location : "");
	c[L_LOCATION] = cell_text(ev->location);
	c[L_URL] = cell_text(ev->online_url);
	table_row(t, c);
	return 0;
}

static int
parse_bound(struct cli *c, const char *s, int end_of_day, time_t *out)
{
	struct tm tm;
	char buf[TM_TEXT_LEN];
	int has_time;

	*out = 0;
	if (s == NULL)
		return 0;
	if (datefmt_parse_local(s, &tm, &has_time) < 0) {
		cli_err("\"%s\" is not a date (write YYYY-MM-DD)", s);
		return EX_USAGE;
	}
	if (!has_time && end_of_day) {
		tm.tm_mday++;
		tm.tm_hour = 12;
		time_t t = timegm(&tm);
		gmtime_r(&t, &tm);
	}
	if (!has_time)
		tm.tm_hour = tm.tm_min = 0;
	tm_text(&tm, 1, buf);
	if (ical_local_to_utc(c->cfg->timezone, buf, out) < 0) {
		cli_err("cannot convert \"%s\" in zone %s", s, c->cfg->timezone);
		return EX_USAGE;
	}
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct eopts o;
	struct table *t;
	time_t from, to;
	long n;
	int rc;

	if ((rc = parse_event_opts(c, argc, argv, 0, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc) {
		cli_err("event list takes options only");
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0 || (rc = parse_bound(c, o.from, 0, &from)) ||
	    (rc = parse_bound(c, o.to, 1, &to)))
		return rc;
	t = table_new(stdout, c->fmt, c->cfg->timezone, list_cols, L_NCOLS);
	rc = event_each(c->db, from, to, NULL, list_row, t);
	n = table_rows(t);
	table_end(t);
	if (c->fmt == OUT_TABLE)
		fprintf(stderr, "%ld event%s\n", n, n == 1 ? "" : "s");
	return rc < 0 ? EX_SOFTWARE : 0;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	struct eopts o;
	struct event *ev;
	struct cell f[S_NCOLS];
	struct rsvp_counts rc_;
	struct buf when;
	int64_t eid;
	int rc;

	if ((rc = parse_event_opts(c, argc, argv, 0, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = parse_id(argc, argv, &eid)) != 0 || (rc = cli_db(c)) != 0)
		return rc;
	if ((rc = event_get(c->db, eid, &ev)) != 0) {
		cli_err("no event %" PRId64, eid);
		return rc > 0 ? EX_DATAERR : EX_SOFTWARE;
	}
	if (rsvp_counts(c->db, eid, &rc_) < 0) {
		event_free(ev);
		return EX_SOFTWARE;
	}
	buf_init(&when);
	when_text(c, ev, &when);
	f[S_ID] = cell_int(ev->id);
	f[S_UID] = cell_text(ev->uid);
	f[S_KIND] = cell_text(ev->kind);
	f[S_TITLE] = cell_text(ev->title);
	f[S_STATUS] = cell_text(ev->status);
	f[S_WHEN] = cell_text(when.data);
	f[S_START] = cell_text(ev->start_local);
	f[S_END] = cell_text(ev->end_local);
	f[S_TZ] = cell_text(ev->tzid);
	f[S_ALLDAY] = cell_bool(ev->all_day);
	f[S_RRULE] = cell_text(ev->rrule);
	f[S_LOCATION] = cell_text(ev->location);
	f[S_URL] = cell_text(ev->online_url);
	f[S_DISTRICT] = cell_text(ev->district);
	f[S_CAPACITY] = ev->capacity > 0 ? cell_int(ev->capacity) : cell_null();
	f[S_ACCEPTED] = cell_int(rc_.accepted);
	f[S_TENTATIVE] = cell_int(rc_.tentative);
	f[S_DECLINED] = cell_int(rc_.declined);
	f[S_G_ACCEPTED] = cell_int(rc_.guests_accepted);
	f[S_G_TENTATIVE] = cell_int(rc_.guests_tentative);
	f[S_G_DECLINED] = cell_int(rc_.guests_declined);
	f[S_SEQUENCE] = cell_int(ev->sequence);
	f[S_CREATED] = cell_time(ev->created_at);
	f[S_UPDATED] = cell_time(ev->updated_at);
	f[S_DESCRIPTION] = cell_text(ev->description);
	table_record(stdout, c->fmt, c->cfg->timezone, show_cols, S_NCOLS, f);
	if (c->fmt == OUT_TABLE && *ev->description)
		printf("\n%s%s", ev->description, ev->description[
		    strlen(ev->description) - 1] == '\n' ? "" : "\n");
	buf_free(&when);
	event_free(ev);
	return 0;
}

/* event attendees: one line per answer. */
enum { A_NAME, A_EMAIL, A_STATUS, A_OCCURRENCE, A_GUEST, A_RECEIVED,
	A_COMMENT, A_NCOLS };

static const struct column attendee_cols[A_NCOLS] = {
	[A_NAME] = { "name", COL_TEXT, 0, NULL },
	[A_EMAIL] = { "email", COL_TEXT, 0, NULL },
	[A_STATUS] = { "status", COL_TEXT, 0, NULL },
	[A_OCCURRENCE] = { "occurrence", COL_TEXT, 0, "(all)" },
	[A_GUEST] = { "guest", COL_BOOL, 0, NULL },
	[A_RECEIVED] = { "received_at", COL_TIME, 0, NULL },
	[A_COMMENT] = { "comment", COL_TEXT, COL_JSON_ONLY, NULL },
};

static void
attendee_row(void *arg, const struct rsvp *r)
{
	struct cell c[A_NCOLS];
	char *name = r->name ? str_sanitize(r->name) : NULL;
	char *comment = r->comment ? str_sanitize(r->comment) : NULL;

	c[A_NAME] = cell_text(name);
	c[A_EMAIL] = cell_text(r->email);
	c[A_STATUS] = cell_text(r->partstat);
	c[A_OCCURRENCE] = cell_text(*r->occurrence ? r->occurrence : NULL);
	c[A_GUEST] = cell_bool(r->subscriber_id == 0);
	c[A_RECEIVED] = cell_time(r->received_at);
	c[A_COMMENT] = cell_text(comment);
	table_row(arg, c);
	free(name);
	free(comment);
}

static int
cmd_attendees(struct cli *c, int argc, char **argv)
{
	struct eopts o;
	struct event *ev;
	struct table *t;
	int64_t eid;
	long n;
	int rc;

	if ((rc = parse_event_opts(c, argc, argv, 0, &o)) != 0)
		return rc < 0 ? 0 : rc;
	free(o.description);
	if ((rc = parse_id(argc, argv, &eid)) != 0 || (rc = cli_db(c)) != 0)
		return rc;
	if ((rc = event_get(c->db, eid, &ev)) != 0) {
		cli_err("no event %" PRId64, eid);
		return rc > 0 ? EX_DATAERR : EX_SOFTWARE;
	}
	event_free(ev);
	t = table_new(stdout, c->fmt, c->cfg->timezone, attendee_cols, A_NCOLS);
	rc = rsvp_each(c->db, eid, attendee_row, t);
	n = table_rows(t);
	table_end(t);
	if (c->fmt == OUT_TABLE)
		fprintf(stderr, "%ld answer%s\n", n, n == 1 ? "" : "s");
	return rc < 0 ? EX_SOFTWARE : 0;
}

int
cli_event(struct cli *c, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(event_usage, cmd ? stdout : stderr);
		return cmd ? 0 : EX_USAGE;
	}
	argc--;
	argv++;
	if (!strcmp(cmd, "add") || !strcmp(cmd, "update"))
		return cmd_add_update(c, argc, argv, !strcmp(cmd, "add"));
	if (!strcmp(cmd, "publish") || !strcmp(cmd, "cancel"))
		return cmd_status(c, argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(c, argc, argv);
	if (!strcmp(cmd, "show"))
		return cmd_show(c, argc, argv);
	if (!strcmp(cmd, "attendees"))
		return cmd_attendees(c, argc, argv);
	if (!strcmp(cmd, "ics"))
		return cli_ics(c, argc, argv);
	cli_err("unknown command 'event %s'", cmd);
	fputs(event_usage, stderr);
	return EX_USAGE;
}

/* ---- districts ---- */

static const char district_usage[] =
    "usage: rundbrief district add NAME…\n"
    "       rundbrief district list [--format table|tsv|json]\n"
    "\n"
    "Districts are the local networks (Stadtteile) that subscribers and\n"
    "events belong to. Names compare case-insensitively.\n";

static const struct column district_cols[] = {
	{ "id", COL_INT, 0, NULL }, { "name", COL_TEXT, 0, NULL },
	{ "active_subscribers", COL_INT, 0, NULL },
	{ "published_events", COL_INT, 0, NULL },
};

static void
district_row(void *arg, int64_t id, const char *name, long subs, long events)
{
	const struct cell cells[] = { cell_int(id), cell_text(name),
		cell_int(subs), cell_int(events) };

	table_row(arg, cells);
}

int
cli_district(struct cli *c, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct table *t;
	char *err = NULL;
	int i, rc;

	if (cmd == NULL || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(district_usage, cmd ? stdout : stderr);
		return cmd ? 0 : EX_USAGE;
	}
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			fputs(district_usage, stdout);
			return 0;
		}
	if (!strcmp(cmd, "add")) {
		if (argc < 3) {
			cli_err("district add needs at least one name");
			return EX_USAGE;
		}
		if ((rc = cli_db(c)) != 0)
			return rc;
		for (i = 2; i < argc; i++) {
			rc = district_add(c->db, argv[i], &err);
			if (rc < 0) {
				cli_err("%s", err);
				free(err);
				return EX_DATAERR;
			}
			printf("%s: %s\n", argv[i], rc ? "added" : "exists already");
		}
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--format") && i + 1 < argc) {
				if (cli_format(c, argv[++i]) != 0)
					return EX_USAGE;
			} else if (!strncmp(argv[i], "--format=", 9)) {
				if (cli_format(c, argv[i] + 9) != 0)
					return EX_USAGE;
			} else {
				cli_err("district list: unexpected \"%s\"", argv[i]);
				return EX_USAGE;
			}
		}
		if ((rc = cli_db(c)) != 0)
			return rc;
		t = table_new(stdout, c->fmt, c->cfg->timezone, district_cols,
		    NCOLS(district_cols));
		rc = district_list(c->db, district_row, t);
		table_end(t);
		return rc < 0 ? EX_SOFTWARE : 0;
	}
	cli_err("unknown command 'district %s'", cmd);
	fputs(district_usage, stderr);
	return EX_USAGE;
}
