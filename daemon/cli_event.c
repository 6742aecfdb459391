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
    "update, publish, cancel) changes the event without any mail.\n";

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

struct elist {
	struct cli *c;
	struct table *t;
	long n;
};

static int
list_row(void *arg, const struct event *ev)
{
	struct elist *el = arg;
	char id[24], end[20];
	const char *cells[8];

	snprintf(id, sizeof(id), "%" PRId64, ev->id);
	snprintf(end, sizeof(end), "%s", ev->end_local);
	cells[0] = id;
	cells[1] = ev->start_local;
	cells[2] = end;
	cells[3] = ev->kind;
	cells[4] = ev->title;
	cells[5] = ev->district ? ev->district : "(county-wide)";
	cells[6] = ev->status;
	cells[7] = ev->online_url ? "online" : ev->location ? ev->location : "";
	table_row(el->t, cells);
	el->n++;
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
	static const char *const cols[] = { "id", "start", "end", "kind",
		"title", "district", "status", "where" };
	struct eopts o;
	struct elist el;
	time_t from, to;
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
	el.c = c;
	el.n = 0;
	el.t = table_new(stdout, c->fmt, cols, 8);
	rc = event_each(c->db, from, to, NULL, list_row, &el);
	table_end(el.t);
	if (c->fmt == OUT_TABLE)
		fprintf(stderr, "%ld event%s\n", el.n, el.n == 1 ? "" : "s");
	return rc < 0 ? EX_SOFTWARE : 0;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "field", "value" };
	struct eopts o;
	struct event *ev;
	struct table *t;
	struct buf when;
	char id[24], seq[16], cap[24], created[TM_TEXT_LEN], updated[TM_TEXT_LEN];
	int64_t eid;
	int rc;
	size_t i;

	if ((rc = parse_event_opts(c, argc, argv, 0, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = parse_id(argc, argv, &eid)) != 0 || (rc = cli_db(c)) != 0)
		return rc;
	if ((rc = event_get(c->db, eid, &ev)) != 0) {
		cli_err("no event %" PRId64, eid);
		return rc > 0 ? EX_DATAERR : EX_SOFTWARE;
	}
	buf_init(&when);
	when_text(c, ev, &when);
	snprintf(id, sizeof(id), "%" PRId64, ev->id);
	snprintf(seq, sizeof(seq), "%d", ev->sequence);
	if (ev->capacity > 0)
		snprintf(cap, sizeof(cap), "%ld", ev->capacity);
	else
		snprintf(cap, sizeof(cap), "unlimited");
	cli_local_time(c, ev->created_at, created);
	cli_local_time(c, ev->updated_at, updated);
	{
		const char *rows[][2] = {
			{ "id", id }, { "uid", ev->uid }, { "kind", ev->kind },
			{ "title", ev->title }, { "status", ev->status },
			{ "when", when.data }, { "start", ev->start_local },
			{ "end", ev->end_local }, { "time_zone", ev->tzid },
			{ "all_day", ev->all_day ? "yes" : "no" },
			{ "rrule", ev->rrule }, { "location", ev->location },
			{ "online_url", ev->online_url },
			{ "district", ev->district ? ev->district :
			    "(county-wide)" },
			{ "capacity", cap }, { "sequence", seq },
			{ "created", created }, { "updated", updated },
			{ "description", ev->description },
		};
		t = table_new(stdout, c->fmt, cols, 2);
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			if (c->fmt != OUT_TABLE || i + 1 < sizeof(rows) /
			    sizeof(rows[0]))
				table_row(t, rows[i]);
		table_end(t);
		if (c->fmt == OUT_TABLE && *ev->description)
			printf("\n%s%s", ev->description, ev->description[
			    strlen(ev->description) - 1] == '\n' ? "" : "\n");
	}
	buf_free(&when);
	event_free(ev);
	return 0;
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

struct dlist {
	struct table *t;
};

static void
district_row(void *arg, int64_t id, const char *name, long subs, long events)
{
	struct dlist *dl = arg;
	char sid[24], s[24], e[24];
	const char *cells[4] = { sid, name, s, e };

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(s, sizeof(s), "%ld", subs);
	snprintf(e, sizeof(e), "%ld", events);
	table_row(dl->t, cells);
}

int
cli_district(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "id", "name", "active_subscribers",
		"published_events" };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct dlist dl;
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
		dl.t = table_new(stdout, c->fmt, cols, 4);
		rc = district_list(c->db, district_row, &dl);
		table_end(dl.t);
		return rc < 0 ? EX_SOFTWARE : 0;
	}
	cli_err("unknown command 'district %s'", cmd);
	fputs(district_usage, stderr);
	return EX_USAGE;
}
