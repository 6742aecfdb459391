/* output: tables, TSV and JSON for the command-line tool. */
#include <stdlib.h>
#include <string.h>

#include "ical.h"
#include "log.h"
#include "output.h"

struct table {
	FILE *fp;
	enum out_format fmt;
	const char *tz;
	const struct column *cols;
	size_t ncols;
	size_t *vis;        /* the columns shown in this format */
	size_t nvis;
	char **cells;       /* buffered rows (OUT_TABLE), nvis per row */
	size_t nrows, cap;
	size_t *width;
	long records;       /* rows given, in any format */
};

int
out_parse_format(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "tsv") == 0)
		*f = OUT_TSV;
	else if (strcmp(s, "json") == 0)
		*f = OUT_JSON;
	else
		return -1;
	return 0;
}

size_t
utf8_width(const char *s)
{
	const unsigned char *p;
	size_t w = 0;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80 && *p >= 0x20)
			w++;
	return w;
}

static void
json_str(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}


/* TSV cells: tabs and line breaks would break the format. */
static void
tsv_cell(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\t')
			fputs("\\t", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\r')
			fputs("\\r", fp);
		else if (*s == '\\')
			fputs("\\\\", fp);
		else
			fputc(*s, fp);
	}
}

/* Table cells: one line, no control characters. */
static void
one_line(char *c)
{
	for (; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

struct cell
cell_text(const char *s)
{
	struct cell c = { .type = COL_TEXT, .null = s == NULL, .s = s };

	return c;
}

struct cell
cell_int(long long i)
{
	struct cell c = { .type = COL_INT, .i = i };

	return c;
}

struct cell
cell_bool(int b)
{
	struct cell c = { .type = COL_BOOL, .i = b != 0 };

	return c;
}

struct cell
cell_time(time_t t)
{
	struct cell c = { .type = COL_TIME, .null = t == 0, .t = t };

	return c;
}

struct cell
cell_list(char *const *v, size_t n)
{
	struct cell c = { .type = COL_LIST, .v = v, .n = n };

	return c;
}

struct cell
cell_json(const char *json)
{
	struct cell c = { .type = COL_JSON, .null = json == NULL, .s = json };

	return c;
}

struct cell
cell_null(void)
{
	struct cell c = { .null = 1 };

	return c;
}

static void
check_type(const struct column *col, const struct cell *c)
{
	if (!c->null && c->type != col->type)
		fatalx("output: column \"%s\" holds a %d, not a %d", col->name,
		    (int)col->type, (int)c->type);
}

/* A cell as tables and TSV show it; caller frees. */
static char *
cell_string(const char *tz, const struct column *col, const struct cell *c)
{
	struct buf b;
	struct tm tm;
	char t[TM_TEXT_LEN];
	size_t i;

	check_type(col, c);
	if (c->null)
		return xstrdup(col->none ? col->none : "");
	switch (col->type) {
	case COL_TEXT:
		return xstrdup(c->s);
	case COL_INT:
		return xasprintf("%lld", c->i);
	case COL_BOOL:
		return xstrdup(c->i ? "yes" : "no");
	case COL_TIME:
		if (tz != NULL ? ical_utc_to_local(tz, c->t, &tm) < 0 :
		    gmtime_r(&c->t, &tm) == NULL)
			return xstrdup("");
		tm_text(&tm, 1, t);
		return xstrdup(t);
	case COL_LIST:
		buf_init(&b);
		for (i = 0; i < c->n; i++) {
			buf_puts(&b, i ? ", " : "");
			buf_puts(&b, c->v[i]);
		}
		return buf_steal(&b);
	case COL_JSON:
		break;
	}
	return xstrdup("");
}

static void
json_value(struct buf *b, const struct column *col, const struct cell *c)
{
	struct tm tm;
	char t[32];
	size_t i;

	check_type(col, c);
	if (c->null) {
		buf_puts(b, "null");
		return;
	}
	switch (col->type) {
	case COL_TEXT:
		json_str(b, c->s);
		break;
	case COL_INT:
		buf_printf(b, "%lld", c->i);
		break;
	case COL_BOOL:
		buf_puts(b, c->i ? "true" : "false");
		break;
	case COL_TIME:
		gmtime_r(&c->t, &tm);
		strftime(t, sizeof(t), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
		buf_puts(b, t);
		break;
	case COL_LIST:
		buf_putc(b, '[');
		for (i = 0; i < c->n; i++) {
			buf_puts(b, i ? ", " : "");
			json_str(b, c->v[i]);
		}
		buf_putc(b, ']');
		break;
	case COL_JSON:
		buf_puts(b, c->s);
		break;
	}
}

void
json_record(struct buf *b, const struct column *cols, size_t n,
    const struct cell *cells, int indent)
{
	size_t i;
	int first = 1;

	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (cols[i].hide & COL_NO_JSON)
			continue;
		if (indent > 0)
			buf_printf(b, "%s\n%*s", first ? "" : ",", indent, "");
		else
			buf_puts(b, first ? "" : ", ");
		first = 0;
		json_str(b, cols[i].name);
		buf_puts(b, ": ");
		json_value(b, &cols[i], &cells[i]);
	}
	if (indent > 0)
		buf_printf(b, "\n%*s", indent - 2, "");
	buf_putc(b, '}');
}

struct table *
table_new(FILE *fp, enum out_format f, const char *tz,
    const struct column *cols, size_t n)
{
	struct table *t = xcalloc(1, sizeof(*t));
	size_t i;

	t->fp = fp;
	t->fmt = f;
	t->tz = tz;
	t->cols = cols;
	t->ncols = n;
	t->vis = xcalloc(n, sizeof(size_t));
	t->width = xcalloc(n, sizeof(size_t));
	for (i = 0; i < n; i++)
		if (!(cols[i].hide & (1u << f))) {
			t->width[t->nvis] = utf8_width(cols[i].name);
			t->vis[t->nvis++] = i;
		}
	if (f == OUT_TSV) {
		for (i = 0; i < t->nvis; i++) {
			fputs(i ? "\t" : "", fp);
			tsv_cell(fp, cols[t->vis[i]].name);
		}
		fputc('\n', fp);
	} else if (f == OUT_JSON)
		fputc('[', fp);
	return t;
}

void
table_row(struct table *t, const struct cell *cells)
{
	struct buf b;
	size_t i, k, w;
	char *c;

	switch (t->fmt) {
	case OUT_TSV:
		for (i = 0; i < t->nvis; i++) {
			k = t->vis[i];
			c = cell_string(t->tz, &t->cols[k], &cells[k]);
			fputs(i ? "\t" : "", t->fp);
			tsv_cell(t->fp, c);
			free(c);
		}
		fputc('\n', t->fp);
		break;
	case OUT_JSON:
		buf_init(&b);
		buf_puts(&b, t->records ? ",\n  " : "\n  ");
		json_record(&b, t->cols, t->ncols, cells, 0);
		fwrite(b.data, 1, b.len, t->fp);
		buf_free(&b);
		break;
	case OUT_TABLE:
		if (t->nrows == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 64;
			t->cells = xrealloc(t->cells,
			    t->cap * t->nvis * sizeof(char *));
		}
		for (i = 0; i < t->nvis; i++) {
			k = t->vis[i];
			c = cell_string(t->tz, &t->cols[k], &cells[k]);
			one_line(c);
			w = utf8_width(c);
			if (w > t->width[i])
				t->width[i] = w;
			t->cells[t->nrows * t->nvis + i] = c;
		}
		t->nrows++;
		break;
	}
	t->records++;
}

long
table_rows(const struct table *t)
{
	return t->records;
}

static void
print_row(struct table *t, char *const *cells)
{
	size_t i, w;

	for (i = 0; i < t->nvis; i++) {
		fputs(cells[i], t->fp);
		if (i + 1 == t->nvis)
			break;
		for (w = utf8_width(cells[i]); w < t->width[i] + 2; w++)
			fputc(' ', t->fp);
	}
	fputc('\n', t->fp);
}

void
table_end(struct table *t)
{
	size_t i, r;

	if (t->fmt == OUT_JSON)
		fputs(t->records ? "\n]\n" : "]\n", t->fp);
	else if (t->fmt == OUT_TABLE) {
		char **upper = xcalloc(t->nvis, sizeof(char *));
		for (i = 0; i < t->nvis; i++) {
			char *p;
			upper[i] = xstrdup(t->cols[t->vis[i]].name);
			for (p = upper[i]; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
		}
		print_row(t, upper);
		for (i = 0; i < t->nvis; i++)
			free(upper[i]);
		free(upper);
		for (r = 0; r < t->nrows; r++)
			print_row(t, t->cells + r * t->nvis);
	}
	for (i = 0; i < t->nrows * t->nvis; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->vis);
	free(t->width);
	free(t);
}

void
table_record(FILE *fp, enum out_format f, const char *tz,
    const struct column *cols, size_t n, const struct cell *cells)
{
	static const struct column fv[] = {
		{ "field", COL_TEXT, 0, NULL }, { "value", COL_TEXT, 0, NULL }
	};
	struct table *t;
	struct cell row[2];
	struct buf b;
	size_t i;
	char *v;

	if (f == OUT_JSON) {
		buf_init(&b);
		json_record(&b, cols, n, cells, 2);
		buf_putc(&b, '\n');
		fwrite(b.data, 1, b.len, fp);
		buf_free(&b);
		return;
	}
	t = table_new(fp, f, tz, fv, 2);
	for (i = 0; i < n; i++) {
		if (cols[i].hide & (1u << f))
			continue;
		v = cell_string(tz, &cols[i], &cells[i]);
		row[0] = cell_text(cols[i].name);
		row[1] = cell_text(v);
		table_row(t, row);
		free(v);
	}
	table_end(t);
}
