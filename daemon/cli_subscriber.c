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
#include "outbox.h"
#include "subscriber.h"
#include "util.h"

static const char usage_text[] =
    "usage: rundbrief subscriber COMMAND …\n"
    "\n"
    "  add EMAIL [--name N] [--lang L] [--district D]… [--topic T]… [--confirmed]\n"
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
    "Without --confirmed new subscribers are 'pending' until they confirm.\n"
    "--confirmed records their consent (source and time) and makes them\n"
    "'active'. Statuses: pending, active, unsubscribed, bounced.\n"
    "Run 'rundbrief subscriber COMMAND --help' for one command.\n";

/* Options shared by add and set. */
struct opts {
	struct sub_fields f;
	const char **districts, **topics;
	size_t nd, nt;
	const char *status;
	int confirmed, no_districts, no_topics;
};

static void
opts_free(struct opts *o)
{
	free(o->districts);
	free(o->topics);
}

enum { O_NAME = 256, O_LANG, O_DISTRICT, O_TOPIC, O_CONFIRMED, O_STATUS,
	O_FORMAT, O_NODIST, O_NOTOPIC, O_HELP };

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
	{ NULL, 0, NULL, 0 }
};

/* Returns 0, EX_USAGE, or -1 for --help (printed). */
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
		case O_FORMAT:
			if (cli_format(c, optarg) != 0)
				return EX_USAGE;
			break;
		}
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
	const char *email;
	char *err = NULL;
	int rc;

	rc = parse_opts(c, argc, argv, "name lang language district topic "
	    "confirmed", "usage: rundbrief subscriber add EMAIL [--name N] "
	    "[--lang L] [--district D]… [--topic T]… [--confirmed]\n\n"
	    "Adds one subscriber, 'pending' unless --confirmed records their "
	    "consent\n(source \"cli\", now) and makes them 'active'. Districts "
	    "must exist\n(rundbrief district add). A person who was forgotten "
	    "comes back only\nwith --confirmed.\n", &o);
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
	rc = subscriber_add(c->db, email, &o.f, o.confirmed, "cli", 0, &err);
	opts_free(&o);
	if (rc < 0) {
		cli_err("%s", err);
		free(err);
		return sub_exit(rc);
	}
	printf("added %s (%s)\n", email, o.confirmed ? "active" : "pending");
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

static char *
join(char **v, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		buf_puts(&b, i ? ", " : "");
		buf_puts(&b, v[i]);
	}
	return buf_steal(&b);
}

struct list_ctx {
	struct cli *c;
	struct table *t;
	long n;
};

static int
list_row(void *arg, const struct subscriber *s)
{
	struct list_ctx *lc = arg;
	char *d = join(s->districts, s->ndistricts);
	char *t = join(s->topics, s->ntopics);
	char since[TM_TEXT_LEN];
	const char *cells[7];

	cli_local_time(lc->c, s->created_at, since);
	cells[0] = s->email;
	cells[1] = s->name;
	cells[2] = s->language;
	cells[3] = s->status;
	cells[4] = d;
	cells[5] = t;
	cells[6] = since;
	table_row(lc->t, cells);
	free(d);
	free(t);
	lc->n++;
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "email", "name", "language",
		"status", "districts", "topics", "created" };
	struct list_ctx lc;
	struct opts o;
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
	lc.c = c;
	lc.n = 0;
	lc.t = table_new(stdout, c->fmt, cols, 7);
	rc = subscriber_each(c->db, o.status, o.nd ? o.districts[0] : NULL,
	    list_row, &lc);
	table_end(lc.t);
	opts_free(&o);
	if (c->fmt == OUT_TABLE)
		fprintf(stderr, "%ld subscriber%s\n", lc.n, lc.n == 1 ? "" : "s");
	return rc < 0 ? EX_SOFTWARE : 0;
}

static void
json_list(struct buf *b, char **v, size_t n)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		buf_puts(b, i ? ", " : "");
		json_str(b, v[i]);
	}
	buf_putc(b, ']');
}

static void
json_time(struct buf *b, time_t t)
{
	struct tm tm;
	char s[32];

	if (t == 0) {
		buf_puts(b, "null");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	buf_puts(b, s);
}

struct mail_rows {
	struct buf *b;
	int n;
};

static void
mail_row(void *arg, int64_t mailing_id, const char *kind, const char *title,
    const char *state, time_t sent_at, const char *message_id)
{
	struct mail_rows *mr = arg;
	struct buf *b = mr->b;

	buf_printf(b, "%s\n    {\"mailing\": %lld, \"kind\": ", mr->n++ ? "," : "",
	    (long long)mailing_id);
	json_str(b, kind);
	buf_puts(b, ", \"title\": ");
	json_str(b, title);
	buf_puts(b, ", \"state\": ");
	json_str(b, state);
	buf_puts(b, ", \"sent_at\": ");
	json_time(b, sent_at);
	buf_puts(b, ", \"message_id\": ");
	if (message_id)
		json_str(b, message_id);
	else
		buf_puts(b, "null");
	buf_putc(b, '}');
}

/* Everything held on one person, as a JSON object. */
static void
export_one(struct buf *b, struct db *db, const struct subscriber *s)
{
	struct mail_rows mr = { b, 0 };

	buf_puts(b, "{\n  \"email\": ");
	json_str(b, s->email);
	buf_puts(b, ",\n  \"name\": ");
	json_str(b, s->name);
	buf_puts(b, ",\n  \"language\": ");
	json_str(b, s->language);
	buf_puts(b, ",\n  \"status\": ");
	json_str(b, s->status);
	buf_puts(b, ",\n  \"districts\": ");
	json_list(b, s->districts, s->ndistricts);
	buf_puts(b, ",\n  \"topics\": ");
	json_list(b, s->topics, s->ntopics);
	buf_puts(b, ",\n  \"consent_source\": ");
	if (s->consent_source)
		json_str(b, s->consent_source);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\n  \"consent_at\": ");
	json_time(b, s->consent_at);
	buf_puts(b, ",\n  \"unsubscribe_token\": ");
	json_str(b, s->token);
	buf_printf(b, ",\n  \"hard_bounces\": %d", s->bounces);
	buf_puts(b, ",\n  \"created_at\": ");
	json_time(b, s->created_at);
	buf_puts(b, ",\n  \"updated_at\": ");
	json_time(b, s->updated_at);
	buf_puts(b, ",\n  \"mail\": [");
	outbox_each_for_subscriber(db, s->id, mail_row, &mr);
	buf_puts(b, mr.n ? "\n  ]\n}" : "]\n}");
}

static int
show_table(struct cli *c, const struct subscriber *s)
{
	static const char *const cols[] = { "field", "value" };
	struct table *t = table_new(stdout, c->fmt, cols, 2);
	char *d = join(s->districts, s->ndistricts);
	char *tp = join(s->topics, s->ntopics);
	char created[TM_TEXT_LEN], updated[TM_TEXT_LEN], consent[TM_TEXT_LEN];
	const char *rows[][2] = {
		{ "email", s->email }, { "name", s->name },
		{ "language", s->language }, { "status", s->status },
		{ "districts", d }, { "topics", tp },
		{ "consent", s->consent_source }, { "consent_at", consent },
		{ "hard_bounces", NULL }, { "created", created },
		{ "updated", updated },
	};
	char bounces[16];
	size_t i;

	cli_local_time(c, s->created_at, created);
	cli_local_time(c, s->updated_at, updated);
	cli_local_time(c, s->consent_at, consent);
	snprintf(bounces, sizeof(bounces), "%d", s->bounces);
	rows[8][1] = bounces;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		table_row(t, rows[i]);
	table_end(t);
	free(d);
	free(tp);
	return 0;
}

struct export_ctx {
	struct buf b;
	struct db *db;
};

static int
export_row(void *arg, const struct subscriber *s)
{
	struct export_ctx *ec = arg;
	struct buf *b = &ec->b;

	buf_puts(b, b->len > 2 ? ",\n" : "\n");
	export_one(b, ec->db, s);
	fwrite(b->data, 1, b->len, stdout);
	buf_reset(b);
	buf_puts(b, "[\n"); /* marks "not first" */
	return 0;
}

static int
cmd_show_export(struct cli *c, int argc, char **argv)
{
	int export = strcmp(argv[0], "export") == 0;
	struct subscriber *s;
	struct opts o;
	struct buf b;
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
	buf_init(&b);
	if (export && optind == argc) {
		struct export_ctx ec;
		buf_init(&ec.b);
		ec.db = c->db;
		fputs("[", stdout);
		rc = subscriber_each(c->db, NULL, NULL, export_row, &ec);
		fputs(ec.b.len ? "\n]\n" : "]\n", stdout);
		buf_free(&ec.b);
		return rc < 0 ? EX_SOFTWARE : 0;
	}
	rc = subscriber_get(c->db, argv[optind], &s);
	if (rc != 0) {
		cli_err("no subscriber %s", argv[optind]);
		return rc == SUB_ERR_NOTFOUND ? EX_NOUSER : EX_SOFTWARE;
	}
	if (export || c->fmt == OUT_JSON) {
		export_one(&b, c->db, s);
		printf("%s\n", b.data);
	} else
		show_table(c, s);
	buf_free(&b);
	subscriber_free(s);
	return 0;
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
