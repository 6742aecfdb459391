/* cli_subscriber: `rundbrief subscriber …` (all but import). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "lang.h"
#include "mailing.h"
#include "outbox.h"
#include "subscriber.h"
#include "util.h"

static const char usage_text[] =
    "usage: rundbrief subscriber COMMAND …\n"
    "\n"
    "  add EMAIL [--name N] [--lang L] [--district D]… [--topic T]…\n"
    "            [--confirmed | --no-mail]\n"
    "  import FILE.csv [--dry-run] [--skip-invalid] [--create-districts] [--confirmed]\n"
    "  list [--status S] [--district D] [--format table|tsv|json]\n"
    "  show EMAIL [--format table|tsv|json]\n"
    "  set EMAIL [--name N] [--lang L] [--district D]… [--no-districts]\n"
    "            [--topic T]… [--no-topics] [--status S] [--confirmed]\n"
    "  unsubscribe EMAIL\n"
    "  forget EMAIL          erase the person; keep only a hashed tombstone\n"
    "  export [EMAIL]        all data held on a person (or everyone) and the\n"
    "                        mail sent to them, as JSON\n"
    "\n"
    "Without --confirmed new subscribers are 'pending' and get the\n"
    "confirmation mail (not with --no-mail); they confirm by replying.\n"
    "--confirmed records their consent (source and time) and makes them\n"
    "'active'. Statuses: pending, active, unsubscribed, bounced.\n"
    "Run 'rundbrief subscriber COMMAND --help' for one command.\n";

/* Options shared by add and set. */
struct opts {
	struct sub_fields f;
	const char **districts, **topics;
	size_t nd, nt;
	const char *status;
	int confirmed, no_districts, no_topics, no_mail;
};

static void
opts_free(struct opts *o)
{
	free(o->districts);
	free(o->topics);
}

enum { O_NAME = 256, O_LANG, O_DISTRICT, O_TOPIC, O_CONFIRMED, O_STATUS,
	O_FORMAT, O_NODIST, O_NOTOPIC, O_HELP, O_NOMAIL };

static const struct option field_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "lang", required_argument, NULL, O_LANG },
	{ "language", required_argument, NULL, O_LANG },
	{ "district", required_argument, NULL, O_DISTRICT },
	{ "topic", required_argument, NULL, O_TOPIC },
	{ "confirmed", no_argument, NULL, O_CONFIRMED },
	{ "status", required_argument, NULL, O_STATUS },
	{ "no-districts", no_argument, NULL, O_NODIST },
	{ "no-topics", no_argument, NULL, O_NOTOPIC },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "help", no_argument, NULL, O_HELP },
	{ "no-mail", no_argument, NULL, O_NOMAIL },
	{ NULL, 0, NULL, 0 }
};

/* Returns 0, EX_USAGE, EX_DATAERR (a language we do not know), or -1 for
 * --help (printed). */
static int
parse_opts(struct cli *c, int argc, char **argv, const char *allowed,
    const char *help, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", field_opts, NULL)) != -1) {
		const char *name = NULL;
		size_t i;
		for (i = 0; field_opts[i].name; i++)
			if (field_opts[i].val == ch) {
				name = field_opts[i].name;
				break;
			}
		if (ch == O_HELP) {
			fputs(help, stdout);
			return -1;
		}
		if (ch == '?' || ch == ':' || name == NULL ||
		    strstr(allowed, name) == NULL) {
			cli_err("%s: unknown or incomplete option %s (see "
			    "--help)", argv[0], argv[optind - 1]);
			return EX_USAGE;
		}
		switch (ch) {
		case O_NAME: o->f.name = optarg; break;
		case O_LANG: o->f.language = optarg; break;
		case O_DISTRICT:
			o->districts = xrealloc(o->districts,
			    (o->nd + 1) * sizeof(char *));
			o->districts[o->nd++] = optarg;
			break;
		case O_TOPIC:
			o->topics = xrealloc(o->topics,
			    (o->nt + 1) * sizeof(char *));
			o->topics[o->nt++] = optarg;
			break;
		case O_CONFIRMED: o->confirmed = 1; break;
		case O_STATUS: o->status = optarg; break;
		case O_NODIST: o->no_districts = 1; break;
		case O_NOTOPIC: o->no_topics = 1; break;
		case O_NOMAIL: o->no_mail = 1; break;
		case O_FORMAT:
			if (cli_format(c, optarg) != 0)
				return EX_USAGE;
			break;
		}
	}
	if (o->f.language != NULL) {
		const char *lang = lang_from_text(o->f.language);
		if (lang == NULL) {
			char *l = str_sanitize(o->f.language);
			cli_err("--lang: \"%s\" is not a language we know: "
			    "write %s", l, lang_hint());
			free(l);
			return EX_DATAERR;
		}
		o->f.language = lang;
	}
	o->f.set_districts = o->nd > 0 || o->no_districts;
	o->f.districts = o->districts;
	o->f.ndistricts = o->nd;
	o->f.set_topics = o->nt > 0 || o->no_topics;
	o->f.topics = o->topics;
	o->f.ntopics = o->nt;
	return 0;
}

static int
sub_exit(int rc)
{
	switch (rc) {
	case SUB_ERR_NOTFOUND: return EX_NOUSER;
	case SUB_ERR_DB: return EX_SOFTWARE;
	default: return EX_DATAERR;
	}
}

/* The one positional argument (an address) after the options. */
static const char *
one_arg(int argc, char **argv, const char *what)
{
	if (optind + 1 != argc) {
		cli_err("%s needs exactly one %s (see rundbrief subscriber %s "
		    "--help)", argv[0], what, argv[0]);
		return NULL;
	}
	return argv[optind];
}

static int
cmd_add(struct cli *c, int argc, char **argv)
{
	struct opts o;
	struct subscriber *s = NULL;
	const char *email;
	char *err = NULL;
	int64_t mid = 0;
	int rc, mail;

	rc = parse_opts(c, argc, argv, "name lang language district topic "
	    "confirmed no-mail", "usage: rundbrief subscriber add EMAIL "
	    "[--name N] [--lang L] [--district D]… [--topic T]…\n"
	    "       [--confirmed | --no-mail]\n\n"
	    "Adds one subscriber, 'pending' unless --confirmed records their "
	    "consent\n(source \"cli\", now) and makes them 'active'. A pending "
	    "subscriber gets the\nconfirmation mail (its token; they reply to "
	    "confirm) unless --no-mail.\nUnconfirmed requests expire after "
	    "[imap] confirm_expiry. Districts must\nexist (rundbrief district "
	    "add). A person who was forgotten comes back only\nwith "
	    "--confirmed.\n", &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((email = one_arg(argc, argv, "e-mail address")) == NULL) {
		opts_free(&o);
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0) {
		opts_free(&o);
		return rc;
	}
	if (o.f.language == NULL)
		o.f.language = c->cfg->language;
	mail = !o.confirmed && !o.no_mail;
	if (db_begin(c->db) < 0) {
		opts_free(&o);
		return EX_TEMPFAIL;
	}
	rc = subscriber_add(c->db, email, &o.f, o.confirmed, "cli", 0, &err);
	opts_free(&o);
	if (rc >= 0 && mail && (subscriber_get(c->db, email, &s) != 0 ||
	    mailing_notice(c->cfg, c->db, "confirm", s->id, time(NULL), &mid,
	    &err) < 0)) {
		if (err == NULL)
			err = xstrdup(db_errmsg(c->db));
		rc = SUB_ERR_DB;
	}
	subscriber_free(s);
	if (rc < 0) {
		db_rollback(c->db);
		cli_err("%s", err);
		free(err);
		return sub_exit(rc);
	}
	if (db_commit(c->db) < 0)
		return EX_TEMPFAIL;
	if (mail)
		printf("added %s (pending; confirmation mail queued as mailing "
		    "%lld)\n", email, (long long)mid);
	else
		printf("added %s (%s)\n", email, o.confirmed ? "active" :
		    "pending");
	return 0;
}

static int
cmd_set(struct cli *c, int argc, char **argv)
{
	struct opts o;
	const char *email;
	char *err = NULL;
	int rc, changed = 0;

	rc = parse_opts(c, argc, argv, "name lang language district topic "
	    "confirmed status no-districts no-topics", "usage: rundbrief "
	    "subscriber set EMAIL [--name N] [--lang L] [--district D]… "
	    "[--no-districts]\n       [--topic T]… [--no-topics] [--status S] "
	    "[--confirmed]\n\nChanges a subscriber. --district and --topic "
	    "replace the whole set.\n--status active needs --confirmed (their "
	    "consent is recorded).\n", &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((email = one_arg(argc, argv, "e-mail address")) == NULL ||
	    (rc = cli_db(c)) != 0) {
		opts_free(&o);
		return email == NULL ? EX_USAGE : rc;
	}
	if (o.confirmed && o.status == NULL)
		o.status = "active";
	if (db_begin(c->db) < 0) {
		opts_free(&o);
		return EX_TEMPFAIL;
	}
	rc = subscriber_update(c->db, email, &o.f, 0, &err);
	changed |= rc == SUB_UPDATED;
	if (rc >= 0 && o.status != NULL) {
		rc = subscriber_set_status(c->db, email, o.status,
		    o.confirmed ? "cli" : NULL, &err);
		changed |= rc == SUB_UPDATED;
	}
	opts_free(&o);
	if (rc < 0) {
		db_rollback(c->db);
		cli_err("%s", err);
		free(err);
		return sub_exit(rc);
	}
	if (db_commit(c->db) < 0)
		return EX_TEMPFAIL;
	printf("%s: %s\n", email, changed ? "updated" : "unchanged");
	return 0;
}

static int
cmd_simple(struct cli *c, int argc, char **argv)
{
	struct opts o;
	const char *email;
	char *err = NULL;
	int rc, forget = strcmp(argv[0], "forget") == 0;

	rc = parse_opts(c, argc, argv, "", forget ?
	    "usage: rundbrief subscriber forget EMAIL\n\nErases the person "
	    "and everything linked to them (for an erasure request).\nOnly a "
	    "salted hash of the address is kept, so a later import skips it\n"
	    "instead of silently subscribing them again.\n" :
	    "usage: rundbrief subscriber unsubscribe EMAIL\n\nStops all mail "
	    "to this person; their data stays (see 'forget').\n", &o);
	opts_free(&o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((email = one_arg(argc, argv, "e-mail address")) == NULL)
		return EX_USAGE;
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (forget)
		rc = subscriber_forget(c->db, email, &err);
	else
		rc = subscriber_set_status(c->db, email, "unsubscribed", NULL,
		    &err);
	if (rc < 0) {
		cli_err("%s", err);
		free(err);
		return sub_exit(rc);
	}
	printf("%s: %s\n", email, forget ? "forgotten" :
	    rc == SUB_UNCHANGED ? "was unsubscribed already" : "unsubscribed");
	return 0;
}

/*
 * A subscriber's fields, in the order show and export print them; list
 * prints the first SUB_LIST of them, under the same names.
 */
enum { S_EMAIL, S_NAME, S_LANGUAGE, S_STATUS, S_DISTRICTS, S_TOPICS,
	S_CONSENT_SOURCE, S_CONSENT_AT, S_BOUNCES, S_CREATED, S_UPDATED,
	SUB_LIST, S_TOKEN = SUB_LIST, S_MAIL, S_BOUNCE_HISTORY, SUB_NCOLS };

static const struct column sub_cols[SUB_NCOLS] = {
	[S_EMAIL] = { "email", COL_TEXT, 0, NULL },
	[S_NAME] = { "name", COL_TEXT, 0, NULL },
	[S_LANGUAGE] = { "language", COL_TEXT, 0, NULL },
	[S_STATUS] = { "status", COL_TEXT, 0, NULL },
	[S_DISTRICTS] = { "districts", COL_LIST, 0, NULL },
	[S_TOPICS] = { "topics", COL_LIST, 0, NULL },
	[S_CONSENT_SOURCE] = { "consent_source", COL_TEXT, 0, NULL },
	[S_CONSENT_AT] = { "consent_at", COL_TIME, 0, NULL },
	[S_BOUNCES] = { "hard_bounces", COL_INT, 0, NULL },
	[S_CREATED] = { "created_at", COL_TIME, 0, NULL },
	[S_UPDATED] = { "updated_at", COL_TIME, 0, NULL },
	[S_TOKEN] = { "unsubscribe_token", COL_TEXT, COL_JSON_ONLY, NULL },
	[S_MAIL] = { "mail", COL_JSON, COL_JSON_ONLY, NULL },
	[S_BOUNCE_HISTORY] = { "bounce_history", COL_JSON, COL_JSON_ONLY,
	    NULL },
};

/* The list table keeps to one line per person; its JSON has all fields. */
static const struct column list_cols[SUB_LIST] = {
	[S_EMAIL] = { "email", COL_TEXT, 0, NULL },
	[S_NAME] = { "name", COL_TEXT, 0, NULL },
	[S_LANGUAGE] = { "language", COL_TEXT, 0, NULL },
	[S_STATUS] = { "status", COL_TEXT, 0, NULL },
	[S_DISTRICTS] = { "districts", COL_LIST, 0, NULL },
	[S_TOPICS] = { "topics", COL_LIST, 0, NULL },
	[S_CONSENT_SOURCE] = { "consent_source", COL_TEXT, COL_JSON_ONLY,
	    NULL },
	[S_CONSENT_AT] = { "consent_at", COL_TIME, COL_JSON_ONLY, NULL },
	[S_BOUNCES] = { "hard_bounces", COL_INT, COL_JSON_ONLY, NULL },
	[S_CREATED] = { "created_at", COL_TIME, 0, NULL },
	[S_UPDATED] = { "updated_at", COL_TIME, COL_JSON_ONLY, NULL },
};

/* mail, bounces: the JSON arrays of mail sent to them and of their bounce
 * history, or NULL. */
static void
sub_cells(const struct subscriber *s, const char *mail, const char *bounces,
    struct cell c[SUB_NCOLS])
{
	c[S_EMAIL] = cell_text(s->email);
	c[S_NAME] = cell_text(s->name);
	c[S_LANGUAGE] = cell_text(s->language);
	c[S_STATUS] = cell_text(s->status);
	c[S_DISTRICTS] = cell_list(s->districts, s->ndistricts);
	c[S_TOPICS] = cell_list(s->topics, s->ntopics);
	c[S_CONSENT_SOURCE] = cell_text(s->consent_source);
	c[S_CONSENT_AT] = cell_time(s->consent_at);
	c[S_BOUNCES] = cell_int(s->bounces);
	c[S_CREATED] = cell_time(s->created_at);
	c[S_UPDATED] = cell_time(s->updated_at);
	c[S_TOKEN] = cell_text(s->token);
	c[S_MAIL] = cell_json(mail);
	c[S_BOUNCE_HISTORY] = cell_json(bounces);
}

static int
list_row(void *arg, const struct subscriber *s)
{
	struct cell cells[SUB_NCOLS];

	sub_cells(s, NULL, NULL, cells);
	table_row(arg, cells);
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct table *t;
	struct opts o;
	long n;
	int rc;

	rc = parse_opts(c, argc, argv, "status district format",
	    "usage: rundbrief subscriber list [--status S] [--district D] "
	    "[--format table|tsv|json]\n", &o);
	if (rc != 0) {
		opts_free(&o);
		return rc < 0 ? 0 : rc;
	}
	if (optind != argc) {
		opts_free(&o);
		cli_err("list takes no arguments besides options");
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0) {
		opts_free(&o);
		return rc;
	}
	t = table_new(stdout, c->fmt, c->cfg->timezone, list_cols, SUB_LIST);
	rc = subscriber_each(c->db, o.status, o.nd ? o.districts[0] : NULL,
	    list_row, t);
	n = table_rows(t);
	table_end(t);
	opts_free(&o);
	if (c->fmt == OUT_TABLE)
		fprintf(stderr, "%ld subscriber%s\n", n, n == 1 ? "" : "s");
	return rc < 0 ? EX_SOFTWARE : 0;
}

static const struct column mail_cols[] = {
	{ "mailing", COL_INT, 0, NULL }, { "kind", COL_TEXT, 0, NULL },
	{ "title", COL_TEXT, 0, NULL }, { "state", COL_TEXT, 0, NULL },
	{ "sent_at", COL_TIME, 0, NULL }, { "message_id", COL_TEXT, 0, NULL },
};

static void
mail_row(void *arg, int64_t mailing_id, const char *kind, const char *title,
    const char *state, time_t sent_at, const char *message_id)
{
	struct buf *b = arg;
	const struct cell cells[] = { cell_int(mailing_id), cell_text(kind),
		cell_text(title), cell_text(state), cell_time(sent_at),
		cell_text(message_id) };

	buf_puts(b, b->len > 1 ? ",\n    " : "\n    ");
	json_record(b, mail_cols, NCOLS(mail_cols), cells, 0);
}

/* The mail sent to a person, as a JSON array; caller frees. */
static char *
mail_json(struct db *db, const struct subscriber *s)
{
	struct buf b;

	buf_init(&b);
	buf_putc(&b, '[');
	outbox_each_for_subscriber(db, s->id, mail_row, &b);
	buf_puts(&b, b.len > 1 ? "\n  ]" : "]");
	return buf_steal(&b);
}

static const struct column bounce_cols[] = {
	{ "received_at", COL_TIME, 0, NULL }, { "source", COL_TEXT, 0, NULL },
	{ "status", COL_TEXT, 0, NULL }, { "permanent", COL_BOOL, 0, NULL },
	{ "diagnostic", COL_TEXT, 0, NULL },
	{ "message_id", COL_TEXT, 0, NULL },
};

static void
bounce_cells(const struct subscriber_bounce_info *bi, struct cell c[6],
    char **diag)
{
	*diag = bi->diagnostic ? str_sanitize(bi->diagnostic) : NULL;
	c[0] = cell_time(bi->when);
	c[1] = cell_text(bi->source);
	c[2] = cell_text(*bi->status ? bi->status : NULL);
	c[3] = cell_bool(bi->permanent);
	c[4] = cell_text(*diag);
	c[5] = cell_text(bi->message_id);
}

static void
bounce_row(void *arg, const struct subscriber_bounce_info *bi)
{
	struct buf *b = arg;
	struct cell cells[6];
	char *diag;

	bounce_cells(bi, cells, &diag);
	buf_puts(b, b->len > 1 ? ",\n    " : "\n    ");
	json_record(b, bounce_cols, NCOLS(bounce_cols), cells, 0);
	free(diag);
}

/* The bounce history, as a JSON array; caller frees. */
static char *
bounces_json(struct db *db, const struct subscriber *s)
{
	struct buf b;

	buf_init(&b);
	buf_putc(&b, '[');
	subscriber_bounces_each(db, s->id, bounce_row, &b);
	buf_puts(&b, b.len > 1 ? "\n  ]" : "]");
	return buf_steal(&b);
}

static void
bounce_table_row(void *arg, const struct subscriber_bounce_info *bi)
{
	struct cell cells[6];
	char *diag;

	bounce_cells(bi, cells, &diag);
	table_row(arg, cells);
	free(diag);
}

static void
count_bounce(void *arg, const struct subscriber_bounce_info *bi)
{
	(void)bi;
	(*(long *)arg)++;
}

/* Everything held on one person, as a JSON object. */
static void
export_one(struct buf *b, struct db *db, const struct subscriber *s)
{
	struct cell cells[SUB_NCOLS];
	char *mail = mail_json(db, s), *bounces = bounces_json(db, s);

	sub_cells(s, mail, bounces, cells);
	json_record(b, sub_cols, SUB_NCOLS, cells, 2);
	free(mail);
	free(bounces);
}

struct export_ctx {
	struct buf b;
	struct db *db;
	long n;
};

static int
export_row(void *arg, const struct subscriber *s)
{
	struct export_ctx *ec = arg;

	buf_reset(&ec->b);
	buf_puts(&ec->b, ec->n++ ? ",\n" : "\n");
	export_one(&ec->b, ec->db, s);
	fwrite(ec->b.data, 1, ec->b.len, stdout);
	return 0;
}

static int
cmd_show_export(struct cli *c, int argc, char **argv)
{
	int export = strcmp(argv[0], "export") == 0;
	struct subscriber *s;
	struct cell cells[SUB_NCOLS];
	struct opts o;
	char *mail, *bounces;
	int rc;

	rc = parse_opts(c, argc, argv, export ? "" : "format", export ?
	    "usage: rundbrief subscriber export [EMAIL]\n\nPrints all data "
	    "held on a person as JSON (for a data-access request);\nwithout "
	    "EMAIL, everyone's, as a JSON array.\n" :
	    "usage: rundbrief subscriber show EMAIL [--format table|tsv|json]\n",
	    &o);
	opts_free(&o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((export && optind + 1 < argc) || (!export && optind + 1 != argc)) {
		cli_err("%s takes %s e-mail address", argv[0],
		    export ? "at most one" : "one");
		return EX_USAGE;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (export && optind == argc) {
		struct export_ctx ec;
		buf_init(&ec.b);
		ec.db = c->db;
		ec.n = 0;
		fputs("[", stdout);
		rc = subscriber_each(c->db, NULL, NULL, export_row, &ec);
		fputs(ec.n ? "\n]\n" : "]\n", stdout);
		buf_free(&ec.b);
		return rc < 0 ? EX_SOFTWARE : 0;
	}
	rc = subscriber_get(c->db, argv[optind], &s);
	if (rc != 0) {
		cli_err("no subscriber %s", argv[optind]);
		return rc == SUB_ERR_NOTFOUND ? EX_NOUSER : EX_SOFTWARE;
	}
	if (export)
		c->fmt = OUT_JSON;
	mail = c->fmt == OUT_JSON ? mail_json(c->db, s) : NULL;
	bounces = c->fmt == OUT_JSON ? bounces_json(c->db, s) : NULL;
	sub_cells(s, mail, bounces, cells);
	table_record(stdout, c->fmt, c->cfg->timezone, sub_cols, SUB_NCOLS,
	    cells);
	if (c->fmt == OUT_TABLE) {
		/* the bounce history below, as a table of its own */
		long n = 0;
		rc = subscriber_bounces_each(c->db, s->id, count_bounce, &n);
		printf("\nbounce history:%s\n", n ? "" : " none");
		if (n > 0) {
			struct table *t = table_new(stdout, c->fmt,
			    c->cfg->timezone, bounce_cols, NCOLS(bounce_cols));
			rc = subscriber_bounces_each(c->db, s->id,
			    bounce_table_row, t);
			table_end(t);
		}
	}
	free(mail);
	free(bounces);
	subscriber_free(s);
	return rc < 0 ? EX_SOFTWARE : 0;
}

int
cli_subscriber(struct cli *c, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(usage_text, cmd ? stdout : stderr);
		return cmd ? 0 : EX_USAGE;
	}
	argc--;
	argv++;
	if (!strcmp(cmd, "add"))
		return cmd_add(c, argc, argv);
	if (!strcmp(cmd, "import"))
		return cli_import(c, argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(c, argc, argv);
	if (!strcmp(cmd, "show") || !strcmp(cmd, "export"))
		return cmd_show_export(c, argc, argv);
	if (!strcmp(cmd, "set"))
		return cmd_set(c, argc, argv);
	if (!strcmp(cmd, "unsubscribe") || !strcmp(cmd, "forget"))
		return cmd_simple(c, argc, argv);
	cli_err("unknown command 'subscriber %s'", cmd);
	fputs(usage_text, stderr);
	return EX_USAGE;
}
