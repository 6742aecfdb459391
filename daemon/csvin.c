/*
 * csvin: reading subscriber CSV files. Three steps: decode the bytes to
 * UTF-8 and find the separator (both in csvindecode.c), then stream the
 * text through libcsv one physical line at a time, so that every record
 * knows the line it starts on and a row with broken quoting can be skipped
 * without losing the rest.
 */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "csvinpriv.h"
#include "log.h"
#include "util.h"

#define PROGRESS_EVERY	10000
#define SHOWN_NAME_MAX	40	/* bytes of a column name quoted in errors */

enum col {
	COL_UNNAMED = -1,	/* empty header cell: must stay empty */
	COL_EMAIL,
	COL_NAME,
	COL_LANGUAGE,
	COL_DISTRICTS,
	COL_TOPICS,
	COL_NEWSLETTER,
	COL_INVITATIONS,
	COL_FIRST,		/* first and last name: joined into the name */
	COL_LAST,
	NCOLS
};

/* The first entry for each column is its canonical name. */
static const struct {
	const char	*name;
	enum col	 col;
} aliases[] = {
	{ "email", COL_EMAIL }, { "e-mail", COL_EMAIL }, { "mail", COL_EMAIL },
	{ "e-mail-adresse", COL_EMAIL }, { "email-adresse", COL_EMAIL },
	{ "email address", COL_EMAIL }, { "e-mail address", COL_EMAIL },
	{ "name", COL_NAME }, { "full name", COL_NAME },
	{ "vor- und nachname", COL_NAME },
	{ "language", COL_LANGUAGE }, { "lang", COL_LANGUAGE },
	{ "sprache", COL_LANGUAGE },
	{ "districts", COL_DISTRICTS }, { "district", COL_DISTRICTS },
	{ "stadtteile", COL_DISTRICTS }, { "stadtteil", COL_DISTRICTS },
	{ "netzwerk", COL_DISTRICTS }, { "netzwerke", COL_DISTRICTS },
	{ "network", COL_DISTRICTS }, { "networks", COL_DISTRICTS },
	{ "region", COL_DISTRICTS }, { "regionen", COL_DISTRICTS },
	{ "bezirk", COL_DISTRICTS }, { "bezirke", COL_DISTRICTS },
	{ "ortsteil", COL_DISTRICTS }, { "ortsteile", COL_DISTRICTS },
	{ "topics", COL_TOPICS }, { "topic", COL_TOPICS },
	{ "themen", COL_TOPICS }, { "thema", COL_TOPICS },
	{ "newsletter", COL_NEWSLETTER },
	{ "invitations", COL_INVITATIONS }, { "einladungen", COL_INVITATIONS },
	{ "first name", COL_FIRST }, { "firstname", COL_FIRST },
	{ "first_name", COL_FIRST }, { "given name", COL_FIRST },
	{ "vorname", COL_FIRST },
	{ "last name", COL_LAST }, { "lastname", COL_LAST },
	{ "last_name", COL_LAST }, { "surname", COL_LAST },
	{ "family name", COL_LAST }, { "nachname", COL_LAST },
	{ "familienname", COL_LAST },
};
#define NALIASES	(sizeof(aliases) / sizeof(aliases[0]))

/* State of one csvin_parse run, shared with the libcsv callbacks. */
struct reader {
	const struct csvin_callbacks *cb;
	void		*arg;
	struct csvin_info *info;
	struct buf	 fields;	/* the row's fields, each NUL-terminated */
	struct buf	 name;		/* first and last name joined */
	size_t		*offs;		/* offset of each field in fields */
	size_t		 nf;		/* fields in the current row */
	size_t		 offcap;
	int		 row_ended;	/* the last libcsv event ended a row */
	size_t		 line;		/* line being read */
	size_t		 rec_line;	/* line where the current record starts */
	size_t		 rec_next;	/* offset of the line after rec_line */
	size_t		 reread_end;	/* end of the text re-read so far */
	int		*colmap;	/* header column -> enum col */
	size_t		 ncols;		/* 0 until the header has been read */
	int		 stop;		/* 0, -1 (err set) or CSVIN_STOPPED */
	char		*err;
	size_t		 nrows;		/* data rows seen, for progress */
	size_t		 done;		/* bytes handed to libcsv so far */
	size_t		 total;
	size_t		 every;
};

static int
is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Trims ASCII white space and U+00A0 (C2 A0) from both ends of s[0..*len). */
static const char *
trim(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t a = 0, b = *len;

	for (;;) {
		if (a < b && is_ws(p[a]))
			a++;
		else if (b - a >= 2 && p[a] == 0xc2 && p[a + 1] == 0xa0)
			a += 2;
		else
			break;
	}
	for (;;) {
		if (b > a && is_ws(p[b - 1]))
			b--;
		else if (b - a >= 2 && p[b - 2] == 0xc2 && p[b - 1] == 0xa0)
			b -= 2;
		else
			break;
	}
	*len = b - a;
	return s + a;
}

static const char *
field(const struct reader *r, size_t i)
{
	return r->fields.data + r->offs[i];
}

/* A column name from the file, made fit for an error message. */
static char *
shown_name(const char *name)
{
	char *s = str_sanitize(name);
	size_t n = strlen(s);
	char *t;

	if (n <= SHOWN_NAME_MAX)
		return s;
	n = SHOWN_NAME_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	t = xasprintf("%.*s...", (int)n, s);
	free(s);
	return t;
}

static int
lookup_column(const char *name)
{
	size_t i;

	for (i = 0; i < NALIASES; i++)
		if (strcasecmp(name, aliases[i].name) == 0)
			return (int)aliases[i].col;
	return -1;
}

static const char *
canonical_name(int col)
{
	size_t i;

	for (i = 0; i < NALIASES; i++)
		if ((int)aliases[i].col == col)
			return aliases[i].name;
	return "?";
}

static void
accepted_names(struct buf *b)
{
	size_t i, j;

	buf_puts(b, "accepted column names (in any case): ");
	for (i = 0; i < NALIASES; i = j) {
		buf_printf(b, "%s%s", i > 0 ? "; " : "", aliases[i].name);
		for (j = i + 1; j < NALIASES &&
		    aliases[j].col == aliases[i].col; j++)
			buf_printf(b, "%s%s", j == i + 1 ? " (or " : ", ",
			    aliases[j].name);
		if (j > i + 1)
			buf_putc(b, ')');
	}
}

/* Maps the header row to columns; on failure sets r->err and r->stop. */
static void
read_header(struct reader *r)
{
	int seen[NCOLS], col;
	size_t at[NCOLS], i, nunknown = 0;
	struct buf unknown, msg;
	char *a, *b;

	memset(seen, 0, sizeof(seen));
	buf_init(&unknown);
	buf_init(&msg);
	r->colmap = xcalloc(r->nf, sizeof(r->colmap[0]));
	for (i = 0; i < r->nf; i++) {
		r->colmap[i] = COL_UNNAMED;
		if (*field(r, i) == '\0')
			continue;
		if ((col = lookup_column(field(r, i))) == -1) {
			/* name the first few: a file with a million unknown
			 * columns gets a line, not megabytes */
			if (nunknown < 5) {
				a = shown_name(field(r, i));
				buf_printf(&unknown, "%s\"%s\" (column %zu)",
				    nunknown > 0 ? ", " : "", a, i + 1);
				free(a);
			}
			nunknown++;
			continue;
		}
		if (seen[col]) {
			a = shown_name(field(r, at[col]));
			b = shown_name(field(r, i));
			buf_printf(&msg, "%scolumns %zu (\"%s\") and %zu "
			    "(\"%s\") both mean %s", msg.len ? "; " : "",
			    at[col] + 1, a, i + 1, b, canonical_name(col));
			free(a);
			free(b);
			continue;
		}
		seen[col] = 1;
		at[col] = i;
		r->colmap[i] = col;
	}
	if (seen[COL_NAME] && seen[COL_FIRST] && !seen[COL_LAST]) {
		/* "Vorname;Name": the name column holds the last name. */
		r->colmap[at[COL_NAME]] = COL_LAST;
		seen[COL_LAST] = 1;
		at[COL_LAST] = at[COL_NAME];
		seen[COL_NAME] = 0;
	}
	if (seen[COL_NAME] && seen[COL_LAST]) {
		a = shown_name(field(r, at[COL_NAME]));
		b = shown_name(field(r, at[COL_LAST]));
		buf_printf(&msg, "%scolumns %zu (\"%s\") and %zu (\"%s\") "
		    "both give the name: keep a name column, or first and "
		    "last name columns", msg.len ? "; " : "", at[COL_NAME] + 1,
		    a, at[COL_LAST] + 1, b);
		free(a);
		free(b);
	}
	if (!seen[COL_EMAIL])
		buf_printf(&msg, "%sthere is no email column",
		    msg.len ? "; " : "");
	if (nunknown > 5)
		buf_printf(&unknown, " and %zu more", nunknown - 5);
	if (nunknown > 0) {
		buf_printf(&msg, "%sunknown column%s %s; ", msg.len ? "; " : "",
		    nunknown > 1 ? "s" : "", unknown.data);
		accepted_names(&msg);
	}
	buf_free(&unknown);
	if (msg.len > 0) {
		r->err = xasprintf("line %zu: %s", r->rec_line, msg.data);
		r->stop = -1;
		free(r->colmap);
		r->colmap = NULL;
	} else {
		r->ncols = r->nf;
		r->info->header_line = r->rec_line;
	}
	buf_free(&msg);
}

static void __attribute__((format(printf, 3, 4)))
row_error(struct reader *r, size_t line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	r->info->row_errors++;
	if (r->cb->row_error == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatalx("out of memory in row_error");
	va_end(ap);
	if (r->cb->row_error(r->arg, line, msg) != 0)
		r->stop = CSVIN_STOPPED;
	free(msg);
}

/* A complete row with at least one field. */
static void
end_row(struct reader *r)
{
	const char *v[NCOLS] = { NULL }, *sep;
	struct csvin_record rec;
	size_t i;

	for (i = 0; i < r->nf && *field(r, i) == '\0'; i++)
		;
	if (i == r->nf) {
		if (r->ncols > 0)
			r->info->empty_rows++;
		return;
	}
	if (r->ncols == 0) {
		read_header(r);
		return;
	}
	r->nrows++;
	if (r->nf != r->ncols) {
		sep = r->info->separator == '\t' ? "\\t" :
		    r->info->separator == ';' ? ";" : ",";
		if (r->line == r->rec_line)
			row_error(r, r->rec_line, "the row has %zu field%s, "
			    "the header has %zu (separator '%s')", r->nf,
			    r->nf == 1 ? "" : "s", r->ncols, sep);
		else
			row_error(r, r->rec_line, "the row has %zu field%s, "
			    "the header has %zu (separator '%s'); it runs "
			    "on to line %zu: is a double quote missing or "
			    "superfluous?", r->nf, r->nf == 1 ? "" : "s",
			    r->ncols, sep, r->line);
		goto progress;
	}
	for (i = 0; i < r->nf; i++) {
		if (r->colmap[i] != COL_UNNAMED)
			v[r->colmap[i]] = field(r, i);
		else if (*field(r, i) != '\0') {
			row_error(r, r->rec_line, "column %zu has a value but "
			    "no name in the header", i + 1);
			goto progress;
		}
	}
	rec.line = r->rec_line;
	rec.email = v[COL_EMAIL];
	rec.name = v[COL_NAME];
	if (v[COL_FIRST] != NULL || v[COL_LAST] != NULL) {
		buf_reset(&r->name);
		buf_puts(&r->name, v[COL_FIRST] ? v[COL_FIRST] : "");
		if (r->name.len > 0 && v[COL_LAST] && *v[COL_LAST])
			buf_putc(&r->name, ' ');
		buf_puts(&r->name, v[COL_LAST] ? v[COL_LAST] : "");
		rec.name = r->name.data;
	}
	rec.language = v[COL_LANGUAGE];
	rec.districts = v[COL_DISTRICTS];
	rec.topics = v[COL_TOPICS];
	rec.newsletter = v[COL_NEWSLETTER];
	rec.invitations = v[COL_INVITATIONS];
	rec.nfields = r->nf;
	r->info->records++;
	if (r->cb->record(r->arg, &rec) != 0)
		r->stop = CSVIN_STOPPED;
progress:
	if (r->cb->progress != NULL && r->nrows % r->every == 0)
		r->cb->progress(r->arg, r->done, r->total);
}

static void
on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;
	const char *f;

	r->row_ended = 0;
	if (r->stop)
		return;
	f = trim(s, &len);
	if (r->nf == r->offcap) {
		r->offcap = r->offcap ? 2 * r->offcap : 16;
		r->offs = xrealloc(r->offs, r->offcap * sizeof(r->offs[0]));
	}
	r->offs[r->nf++] = r->fields.len;
	buf_append(&r->fields, f, len);
	buf_putc(&r->fields, '\0');
}

/* c is the character that ended the row, -1 at the end of the input. With
 * CSV_REPALL_NL libcsv also reports blank lines (and the LF of CRLF) as
 * rows without fields. */
static void
on_row(int c, void *data)
{
	struct reader *r = data;

	(void)c;
	r->row_ended = 1;
	if (r->nf > 0 && !r->stop)
		end_row(r);
	r->nf = 0;
	buf_reset(&r->fields);
}

static int
space_only(unsigned char c)
{
	return c == ' ';
}

static void
parser_init(struct csv_parser *p, char sep)
{
	if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
		fatalx("csv_init failed");
	csv_set_delim(p, (unsigned char)sep);
	/* By default libcsv skips tabs around fields as blanks. */
	if (sep == '\t')
		csv_set_space_func(p, space_only);
}

/*
 * Broken quoting in the record that started on r->rec_line, found on line
 * r->line (ending at offset end), or at the end of the input. Reports it
 * and sets *off and r->line to where reading resumes.
 */
static void
quoting_error(struct reader *r, size_t end, int at_eof, size_t *off)
{
	size_t start = r->rec_line;
	const char *what;
	char *skipped = NULL;

	r->nf = 0;
	buf_reset(&r->fields);
	r->row_ended = 1;
	if (r->ncols == 0) {
		r->err = xasprintf("line %zu: broken quoting in the header "
		    "line", start);
		r->stop = -1;
		return;
	}
	if (at_eof)
		what = "a double quote opens a field that is never closed";
	else if (r->line == start)
		what = "a double quote inside a field that is not enclosed in "
		    "double quotes, or text after a closing quote (enclose "
		    "the field in double quotes and double each quote in it)";
	else
		what = "a double quote opens a field that runs on to a later "
		    "line and breaks there";
	if (r->line != start && r->rec_next >= r->reread_end) {
		/* Most likely a stray quote: read the lines it swallowed
		 * again as rows of their own. */
		*off = r->rec_next;
		r->reread_end = end;
		r->line = start + 1;
	} else {
		/* Within text already re-read once: move on, so that no
		 * byte is read more than twice. */
		if (r->line != start)
			skipped = xasprintf("; lines %zu to %zu were skipped",
			    start + 1, r->line);
		*off = end;
		r->line++;
	}
	r->nrows++;
	row_error(r, start, "broken quoting: %s%s", what,
	    skipped ? skipped : "");
	free(skipped);
}

/* Feeds s[off..len) to libcsv one physical line at a time. */
static void
read_rows(struct reader *r, const char *s, size_t len, size_t off)
{
	struct csv_parser p;
	size_t end, got;

	parser_init(&p, r->info->separator);
	r->row_ended = 1;
	r->rec_next = off;
	while (!r->stop) {
		if (off >= len) {
			r->line--;	/* the last line */
			if (csv_fini(&p, on_field, on_row, r) == 0)
				break;
			/* An unterminated quoted field at the end. */
			csv_free(&p);
			parser_init(&p, r->info->separator);
			quoting_error(r, len, 1, &off);
			continue;
		}
		end = csvin_next_break(s, off, len);
		if (r->row_ended) {
			r->rec_line = r->line;
			r->rec_next = end;
		}
		r->row_ended = 0;
		r->done = end;
		got = csv_parse(&p, s + off, end - off, on_field, on_row, r);
		if (got == end - off) {
			off = end;
			r->line++;
			continue;
		}
		if (csv_error(&p) != CSV_EPARSE)
			fatalx("csv_parse: %s", csv_strerror(csv_error(&p)));
		csv_free(&p);
		parser_init(&p, r->info->separator);
		quoting_error(r, end, 0, &off);
	}
	csv_free(&p);
}

int
csvin_parse(const char *data, size_t len, const struct csvin_callbacks *cb,
    void *arg, struct csvin_info *info, char **errstr)
{
	struct csvin_info scratch;
	struct reader r;
	struct buf conv;
	const char *text = NULL;
	size_t tlen = 0, off, line;
	int rc = 0;

	*errstr = NULL;
	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	info->separator = ',';
	buf_init(&conv);
	if (csvin_decode(data, len, &conv, &text, &tlen, &info->encoding,
	    errstr) == -1) {
		buf_free(&conv);
		return -1;
	}
	info->separator = csvin_detect_sep(text, tlen, &off, &line,
	    &info->sep_hint);

	memset(&r, 0, sizeof(r));
	r.cb = cb;
	r.arg = arg;
	r.info = info;
	r.total = tlen;
	r.every = cb->progress_every ? cb->progress_every : PROGRESS_EVERY;
	buf_init(&r.fields);
	buf_init(&r.name);
	r.line = line;
	read_rows(&r, text, tlen, off);

	if (r.stop == -1) {
		*errstr = r.err;
		rc = -1;
	} else if (r.stop == CSVIN_STOPPED)
		rc = CSVIN_STOPPED;
	else if (r.ncols == 0) {
		*errstr = xstrdup(tlen == 0 ? "the file is empty" :
		    "the file has no header line (only empty lines)");
		rc = -1;
	} else if (cb->progress != NULL)
		cb->progress(arg, tlen, tlen);
	buf_free(&r.fields);
	buf_free(&r.name);
	free(r.offs);
	free(r.colmap);
	buf_free(&conv);
	return rc;
}

const char *
csvin_encoding_name(enum csvin_encoding enc)
{
	static const char *const names[] = { "UTF-8", "UTF-8 (BOM)",
	    "Windows-1252", "UTF-16LE", "UTF-16BE" };

	return (unsigned)enc < 5 ? names[enc] : "?";
}

int
csvin_yes_no(const char *cell)
{
	static const char *const yes[] = { "ja", "yes", "1", "x" },
	    *const no[] = { "nein", "no", "0" };
	size_t i;

	if (cell == NULL || *cell == '\0')
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(cell, yes[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(cell, no[i]) == 0)
			return 0;
	return -2;
}

const char *
csvin_invitations(const char *cell)
{
	if (cell == NULL || *cell == '\0')
		return "";
	if (strcasecmp(cell, "all") == 0 || strcasecmp(cell, "alle") == 0)
		return "all";
	if (strcasecmp(cell, "none") == 0 || strcasecmp(cell, "keine") == 0)
		return "none";
	return NULL;
}

/* 1 if a and b are equal but for case (utf8_fold). */
static int
fold_equal(const char *a, const char *b)
{
	char *x = utf8_fold(a), *y = utf8_fold(b);
	int eq = strcmp(x, y) == 0;

	free(x);
	free(y);
	return eq;
}

/* A list being split: v[n] is always NULL. */
struct list {
	char		**v;
	size_t		 n, cap;
};

/* Adds s[0..len), trimmed, unless it is empty or repeats an earlier item. */
static void
list_add(struct list *l, const char *s, size_t len)
{
	const char *t = trim(s, &len);
	char *item;
	size_t i;

	if (len == 0)
		return;
	item = xstrndup(t, len);
	for (i = 0; i < l->n; i++)
		if (fold_equal(l->v[i], item)) {
			free(item);
			return;
		}
	if (l->n + 1 == l->cap) {
		l->cap *= 2;
		l->v = xrealloc(l->v, l->cap * sizeof(l->v[0]));
	}
	l->v[l->n++] = item;
	l->v[l->n] = NULL;
}

/* Splits cell at the characters of seps, and each piece further at those
 * of subseps unless whole(arg, piece) says it is one item. */
static size_t
split(const char *cell, const char *seps, const char *subseps,
    int (*whole)(void *, const char *), void *arg, char ***items)
{
	struct list l = { xcalloc(4, sizeof(char *)), 0, 4 };
	const char *p, *e, *q, *f, *t;
	char *piece;
	size_t len;

	for (p = cell; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, seps);
		len = (size_t)(e - p);
		t = trim(p, &len);
		piece = xstrndup(t, len);
		if (strpbrk(piece, subseps) == NULL ||
		    (whole != NULL && whole(arg, piece)))
			list_add(&l, piece, len);
		else
			for (q = piece; *q != '\0'; q = *f ? f + 1 : f) {
				f = q + strcspn(q, subseps);
				list_add(&l, q, (size_t)(f - q));
			}
		free(piece);
	}
	*items = l.v;
	return l.n;
}

size_t
csvin_split_list(const char *cell, char ***items)
{
	return split(cell, ",;", "", NULL, NULL, items);
}

size_t
csvin_split_districts(const char *cell,
    int (*known)(void *arg, const char *name), void *arg, char ***items)
{
	return split(cell, ",;|", "/", known, arg, items);
}

void
csvin_list_free(char **items)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; items[i] != NULL; i++)
		free(items[i]);
	free(items);
}
