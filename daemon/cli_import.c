/*
 * cli_import: `rundbrief subscriber import FILE.csv`.
 *
 * The whole import runs in one transaction: every row is applied as it is
 * read (each row on its own savepoint, so no half-written row remains), and
 * at the end the transaction is committed, or rolled back when a row was
 * invalid (unless --skip-invalid) or for --dry-run. So the file is streamed
 * once and nothing is imported from a file with errors.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "csvin.h"
#include "db.h"
#include "district.h"
#include "ical.h"
#include "lang.h"
#include "subscriber.h"
#include "util.h"

/* A set of lower-cased addresses with the line each came from. */
struct seen {
	char **keys;
	size_t *lines;
	size_t cap, n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Inserts key; returns 0 if new, else the line it was first seen on. */
static size_t
seen_add(struct seen *s, const char *key, size_t line)
{
	size_t i, mask;

	if (2 * (s->n + 1) > s->cap) {
		struct seen g = { NULL, NULL, s->cap ? 2 * s->cap : 1024, 0 };
		g.keys = xcalloc(g.cap, sizeof(char *));
		g.lines = xcalloc(g.cap, sizeof(size_t));
		for (i = 0; i < s->cap; i++)
			if (s->keys[i] != NULL) {
				size_t j = hash_str(s->keys[i]) & (g.cap - 1);
				while (g.keys[j] != NULL)
					j = (j + 1) & (g.cap - 1);
				g.keys[j] = s->keys[i];
				g.lines[j] = s->lines[i];
				g.n++;
			}
		free(s->keys);
		free(s->lines);
		*s = g;
	}
	mask = s->cap - 1;
	for (i = hash_str(key) & mask; s->keys[i] != NULL; i = (i + 1) & mask)
		if (strcmp(s->keys[i], key) == 0)
			return s->lines[i];
	s->keys[i] = xstrdup(key);
	s->lines[i] = line;
	s->n++;
	return 0;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->lines);
}

struct import {
	struct cli *c;
	const char *file;
	int confirmed, create_districts, progress_tty;
	struct seen seen;
	char *consent_source;
	long added, updated, unchanged, invalid;
	long forgotten, unsubscribed, bounced;	/* skipped */
	long pending;		/* rows whose person is pending afterwards */
	int db_failed;
};

static void
row_err(struct import *im, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
row_err(struct import *im, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (im->progress_tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s:%zu: ", im->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
on_row_error(void *arg, size_t line, const char *msg)
{
	struct import *im = arg;

	row_err(im, line, "%s", msg);
	im->invalid++;
	return 0;
}

/* For csvin_split_districts(): 1 if a district of that name exists. */
static int
district_known(void *arg, const char *name)
{
	struct import *im = arg;
	char *err = NULL;
	int64_t id = district_id(im->c->db, name, 0, &err);

	free(err);
	return id > 0;
}

/* Counts the person of an updated or unchanged row if they are (still)
 * pending, as they get no mail. */
static void
count_pending(struct import *im, const char *email)
{
	char *status = NULL;

	if (im->confirmed)
		return;
	if (subscriber_status(im->c->db, email, &status) &&
	    strcmp(status, "pending") == 0)
		im->pending++;
	free(status);
}

/* A row of someone who unsubscribed or bounced: say so on its line. */
static void
warn_skipped(struct import *im, size_t line, const char *email,
    const char *shown)
{
	struct subscriber *s = NULL;
	char when[TM_TEXT_LEN] = "?";
	struct tm tm;

	if (subscriber_get(im->c->db, email, &s) != 0) {
		row_err(im, line, "warning: %s skipped", shown);
		im->unsubscribed++;
		return;
	}
	if (ical_utc_to_local(im->c->cfg->timezone, s->updated_at, &tm) == 0)
		tm_text(&tm, 1, when);
	if (strcmp(s->status, "bounced") == 0) {
		row_err(im, line, "warning: %s bounced (%d hard bounce%s, last "
		    "change %s), skipped: an import never makes them active "
		    "again", shown, s->bounces, s->bounces == 1 ? "" : "s",
		    when);
		im->bounced++;
	} else {
		row_err(im, line, "warning: %s unsubscribed (last change %s), "
		    "skipped: an import never subscribes them again", shown,
		    when);
		im->unsubscribed++;
	}
	subscriber_free(s);
}

static int
on_record(void *arg, const struct csvin_record *r)
{
	struct import *im = arg;
	struct sub_fields f;
	char **districts = NULL, **topics = NULL, *lower, *err = NULL, *clean;
	size_t nd = 0, nt = 0, i, first;
	int rc;

	memset(&f, 0, sizeof(f));
	clean = str_sanitize(r->email ? r->email : "");
	if (r->email == NULL || *r->email == '\0') {
		row_err(im, r->line, "no e-mail address");
		goto invalid;
	}
	if (!subscriber_valid_email(r->email)) {
		row_err(im, r->line, "\"%s\" is not a valid e-mail address",
		    clean);
		goto invalid;
	}
	lower = xstrdup(r->email);
	for (i = 0; lower[i]; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	first = seen_add(&im->seen, lower, r->line);
	free(lower);
	if (first != 0) {
		row_err(im, r->line, "%s appears twice in the file (first on "
		    "line %zu)", clean, first);
		goto invalid;
	}
	f.name = r->name && *r->name ? r->name : NULL;
	f.default_language = im->c->cfg->language;
	if (r->language && *r->language) {
		if ((f.language = lang_from_text(r->language)) == NULL) {
			char *l = str_sanitize(r->language);
			row_err(im, r->line, "\"%s\" is not a language we know: "
			    "write %s", l, lang_hint());
			free(l);
			goto invalid;
		}
	}
	if (r->districts != NULL) {
		nd = csvin_split_districts(r->districts, district_known, im,
		    &districts);
		f.set_districts = 1;
		f.districts = (const char *const *)districts;
		f.ndistricts = nd;
		for (i = 0; i < nd && !im->create_districts; i++) {
			int64_t id = district_id(im->c->db, districts[i], 0, &err);
			if (id <= 0) {
				char *d = str_sanitize(districts[i]);
				if (id < 0)
					row_err(im, r->line, "%s", err);
				else
					row_err(im, r->line, "unknown district "
					    "\"%s\" (a typo? add it with 'rundbrief "
					    "district add', or import with "
					    "--create-districts)", d);
				free(d);
				free(err);
				goto invalid;
			}
		}
	}
	if ((rc = csvin_yes_no(r->newsletter)) == -2) {
		char *v = str_sanitize(r->newsletter);
		row_err(im, r->line, "\"%s\" in the Newsletter column: write "
		    "ja or nein (yes/no, 1/0, x for yes; empty: yes for new "
		    "subscribers, unchanged for others)", v);
		free(v);
		goto invalid;
	}
	f.set_newsletter = rc >= 0;
	f.newsletter = rc == 1;
	if ((f.invitations = csvin_invitations(r->invitations)) == NULL) {
		char *v = str_sanitize(r->invitations);
		row_err(im, r->line, "\"%s\" in the Einladungen (invitations) "
		    "column: write alle or keine (all/none; empty: all for new "
		    "subscribers, unchanged for others)", v);
		free(v);
		goto invalid;
	}
	if (*f.invitations == '\0')
		f.invitations = NULL;
	if (r->topics != NULL) {
		nt = csvin_split_list(r->topics, &topics);
		f.set_topics = 1;
		f.topics = (const char *const *)topics;
		f.ntopics = nt;
	}
	rc = subscriber_upsert(im->c->db, r->email, &f, im->confirmed,
	    im->consent_source, im->create_districts, &err);
	switch (rc) {
	case SUB_ADDED:
		im->added++;
		im->pending += !im->confirmed;
		break;
	case SUB_UPDATED:
		im->updated++;
		count_pending(im, r->email);
		break;
	case SUB_UNCHANGED:
		im->unchanged++;
		count_pending(im, r->email);
		break;
	case SUB_SKIPPED:
		warn_skipped(im, r->line, r->email, clean);
		break;
	case SUB_ERR_FORGOTTEN:
		row_err(im, r->line, "warning: %s", err);
		im->forgotten++;
		break;
	case SUB_ERR_DB:
		row_err(im, r->line, "database error: %s", err);
		im->db_failed = 1;
		goto invalid;
	default:
		row_err(im, r->line, "%s", err);
		goto invalid;
	}
	free(err);
	free(clean);
	csvin_list_free(districts);
	csvin_list_free(topics);
	return 0;
invalid:
	im->invalid++;
	free(err);
	free(clean);
	csvin_list_free(districts);
	csvin_list_free(topics);
	return im->db_failed;
}

static void
on_progress(void *arg, size_t done, size_t total)
{
	struct import *im = arg;
	long rows = im->added + im->updated + im->unchanged + im->forgotten +
	    im->unsubscribed + im->bounced + im->invalid;

	if (im->progress_tty)
		fprintf(stderr, "\r\033[Kimporting %s: %3d%% (%ld rows)",
		    im->file, total ? (int)(100.0 * done / total) : 100, rows);
	else if (done < total)
		fprintf(stderr, "importing %s: %d%% (%ld rows)\n", im->file,
		    total ? (int)(100.0 * done / total) : 100, rows);
}

/* " (forgotten)", " (1 forgotten, 2 unsubscribed)", or "" if none. */
static void
skipped_why(struct buf *b, const struct import *im)
{
	const struct {
		long		 n;
		const char	*why;
	} kinds[] = { { im->forgotten, "forgotten" },
	    { im->unsubscribed, "unsubscribed" }, { im->bounced, "bounced" } };
	size_t i, nkinds = 0;
	const char *sep = " (";

	for (i = 0; i < 3; i++)
		nkinds += kinds[i].n > 0;
	for (i = 0; i < 3; i++) {
		if (kinds[i].n == 0)
			continue;
		if (nkinds == 1)
			buf_printf(b, "%s%s", sep, kinds[i].why);
		else
			buf_printf(b, "%s%ld %s", sep, kinds[i].n, kinds[i].why);
		sep = ", ";
	}
	if (nkinds > 0)
		buf_putc(b, ')');
}

/* What the rows that were valid do: "add 3, update 1, leave 2 unchanged
 * and skip 1 (unsubscribed)". */
static void
would(struct buf *b, const struct import *im)
{
	long skipped = im->forgotten + im->unsubscribed + im->bounced;

	buf_printf(b, "add %ld, update %ld, leave %ld unchanged", im->added,
	    im->updated, im->unchanged);
	if (skipped > 0) {
		buf_printf(b, " and skip %ld", skipped);
		skipped_why(b, im);
	}
}

/* People who get no mail until they are confirmed: say so, with the flag
 * to use, so that nobody wonders why the newsletter goes to nobody. */
static void
pending_note(const struct import *im, int dry)
{
	if (im->pending == 0)
		return;
	printf("%ld subscriber%s %s pending: they get no mail until they are "
	    "confirmed. %s --confirmed if they have agreed already (on paper, "
	    "in a form, by e-mail).\n", im->pending, im->pending == 1 ? "" :
	    "s", dry ? "would be" : im->pending == 1 ? "is" : "are",
	    dry ? "Add" : "Import again with");
}

/* The import was committed. */
static void
summary(const struct import *im)
{
	struct buf b;
	long skipped = im->forgotten + im->unsubscribed + im->bounced;

	buf_init(&b);
	buf_printf(&b, "%ld added, %ld updated, %ld unchanged, %ld skipped",
	    im->added, im->updated, im->unchanged, skipped);
	skipped_why(&b, im);
	if (im->invalid > 0)
		buf_printf(&b, ", %ld invalid row%s left out", im->invalid,
		    im->invalid == 1 ? "" : "s");
	puts(b.data);
	buf_free(&b);
	pending_note(im, 0);
}

/* Rows were invalid and --skip-invalid was not given: nothing changed. */
static void
refused(const struct import *im)
{
	struct buf b;

	buf_init(&b);
	would(&b, im);
	cli_err("nothing imported: %ld invalid row%s. Fix %s, or import the "
	    "valid rows with --skip-invalid: that would %s", im->invalid,
	    im->invalid == 1 ? "" : "s", im->invalid == 1 ? "it" : "them",
	    b.data);
	buf_free(&b);
}

/* --dry-run: what the same command without it would do. */
static void
dry_run(const struct import *im, int skip)
{
	struct buf b;

	buf_init(&b);
	would(&b, im);
	if (im->invalid > 0 && !skip) {
		printf("dry run, nothing changed: nothing would be imported: "
		    "%ld invalid row%s. Fix %s, or use --skip-invalid: that "
		    "would %s\n", im->invalid, im->invalid == 1 ? "" : "s",
		    im->invalid == 1 ? "it" : "them", b.data);
	} else {
		printf("dry run, nothing changed: the import would %s", b.data);
		if (im->invalid > 0)
			printf(", and leave out %ld invalid row%s", im->invalid,
			    im->invalid == 1 ? "" : "s");
		putchar('\n');
		pending_note(im, 1);
	}
	buf_free(&b);
}

static const char usage[] =
    "usage: rundbrief subscriber import FILE.csv [--dry-run] [--skip-invalid]\n"
    "                                  [--create-districts] [--confirmed]\n"
    "\n"
    "Imports subscribers from a CSV file with a header row naming the\n"
    "columns, in any order and in English or German: email (E-Mail), name\n"
    "(Name) or first and last name (Vorname, Nachname), language (Sprache),\n"
    "districts (Stadtteil, Netzwerk, Region), topics (Themen). Separator\n"
    "',' ';' or tab; UTF-8 (with or without BOM), Windows-1252 as Excel\n"
    "writes it, or UTF-16 with BOM. Several districts in one cell are\n"
    "separated by , ; / or |, several topics by , or ;.\n"
    "Optional choices of each person: newsletter (Newsletter): ja or nein\n"
    "(yes/no, 1/0, x for yes); invitations (Einladungen): alle or keine\n"
    "(all/none). An empty cell or no such column means yes and all for\n"
    "new subscribers and leaves existing ones as they are.\n"
    "\n"
    "Every invalid row is reported with its line number. By default nothing\n"
    "is imported when any row is invalid.\n"
    "  --dry-run           say what the import would do, change nothing\n"
    "  --skip-invalid      import the valid rows, report the others\n"
    "  --create-districts  create districts that do not exist yet\n"
    "                      (without it they are errors: typos must not\n"
    "                      create new networks)\n"
    "  --confirmed         the people have consented: record it and make\n"
    "                      new and pending subscribers active (without it\n"
    "                      they are pending and get no mail)\n"
    "Importing the same file again changes nothing. People who were\n"
    "forgotten, unsubscribed or bounced are skipped with a warning.\n";

int
cli_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "skip-invalid", no_argument, NULL, 's' },
		{ "create-districts", no_argument, NULL, 'd' },
		{ "confirmed", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct csvin_callbacks cb;
	struct csvin_info info;
	struct import im;
	char *data = NULL, *err = NULL;
	size_t len;
	int ch, dry = 0, skip = 0, rc, commit;

	memset(&im, 0, sizeof(im));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': dry = 1; break;
		case 's': skip = 1; break;
		case 'd': im.create_districts = 1; break;
		case 'y': im.confirmed = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			cli_err("import: unknown option %s (see --help)",
			    argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_err("import needs one CSV file (see rundbrief subscriber "
		    "import --help)");
		return EX_USAGE;
	}
	im.c = c;
	im.file = argv[optind];
	if (file_read_all(im.file, &data, &len) < 0) {
		cli_err("%s: %m", im.file);
		return EX_NOINPUT;
	}
	if ((rc = cli_db(c)) != 0) {
		free(data);
		return rc;
	}
	im.progress_tty = isatty(2);
	im.consent_source = xasprintf("import:%s", im.file);
	memset(&cb, 0, sizeof(cb));
	cb.record = on_record;
	cb.row_error = on_row_error;
	cb.progress = len > 1000000 ? on_progress : NULL;
	cb.progress_every = 20000;
	if (db_begin(c->db) < 0) {
		free(data);
		free(im.consent_source);
		return EX_TEMPFAIL;
	}
	rc = csvin_parse(data, len, &cb, &im, &info, &err);
	free(data);
	if (im.progress_tty && cb.progress != NULL)
		fputs("\r\033[K", stderr);
	if (rc == -1) {
		db_rollback(c->db);
		fprintf(stderr, "%s: %s\n", im.file, err);
		free(err);
		rc = EX_DATAERR;
		goto out;
	}
	if (im.db_failed) {
		db_rollback(c->db);
		cli_err("%s: database error, nothing imported", im.file);
		rc = EX_SOFTWARE;
		goto out;
	}
	commit = !dry && (im.invalid == 0 || skip);
	if (commit ? db_commit(c->db) < 0 : db_rollback(c->db) < 0) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	printf("%s: %zu row%s read (%s, separator '%s')\n", im.file,
	    info.records + info.row_errors, info.records + info.row_errors == 1 ?
	    "" : "s", csvin_encoding_name(info.encoding),
	    info.separator == '\t' ? "\\t" : info.separator == ';' ? ";" : ",");
	if (commit) {
		summary(&im);
		rc = 0;
	} else if (!dry) {
		refused(&im);
		rc = EX_DATAERR;
	} else {
		dry_run(&im, skip);
		rc = im.invalid > 0 && !skip ? EX_DATAERR : 0;
	}
out:
	seen_free(&im.seen);
	free(im.consent_source);
	return rc;
}
