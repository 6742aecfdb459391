/* output: tables, TSV and JSON for the command-line tool. */
#include <stdlib.h>
#include <string.h>

#include "output.h"

struct table {
	FILE *fp;
	enum out_format fmt;
	char **cols;
	size_t ncols;
	char **cells;       /* buffered rows (OUT_TABLE) */
	size_t nrows, cap;
	size_t *width;
	int first;          /* JSON: no row written yet */
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

void
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
static char *
table_cell(const char *s)
{
	char *c = xstrdup(s), *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

struct table *
table_new(FILE *fp, enum out_format f, const char *const *cols, size_t n)
{
	struct table *t = xcalloc(1, sizeof(*t));
	size_t i;

	t->fp = fp;
	t->fmt = f;
	t->ncols = n;
	t->cols = xcalloc(n, sizeof(char *));
	t->width = xcalloc(n, sizeof(size_t));
	t->first = 1;
	for (i = 0; i < n; i++) {
		t->cols[i] = xstrdup(cols[i]);
		t->width[i] = utf8_width(cols[i]);
	}
	if (f == OUT_TSV) {
		for (i = 0; i < n; i++) {
			fputs(i ? "\t" : "", fp);
			tsv_cell(fp, cols[i]);
		}
		fputc('\n', fp);
	} else if (f == OUT_JSON)
		fputc('[', fp);
	return t;
}

void
table_row(struct table *t, const char *const *cells)
{
	struct buf b;
	size_t i, w;

	switch (t->fmt) {
	case OUT_TSV:
		for (i = 0; i < t->ncols; i++) {
			fputs(i ? "\t" : "", t->fp);
			tsv_cell(t->fp, cells[i] ? cells[i] : "");
		}
		fputc('\n', t->fp);
		break;
	case OUT_JSON:
		buf_init(&b);
		buf_puts(&b, t->first ? "\n  {" : ",\n  {");
		for (i = 0; i < t->ncols; i++) {
			buf_puts(&b, i ? ", " : "");
			json_str(&b, t->cols[i]);
			buf_puts(&b, ": ");
			if (cells[i] == NULL)
				buf_puts(&b, "null");
			else
				json_str(&b, cells[i]);
		}
		buf_putc(&b, '}');
		fwrite(b.data, 1, b.len, t->fp);
		buf_free(&b);
		t->first = 0;
		break;
	case OUT_TABLE:
		if (t->nrows == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 64;
			t->cells = xrealloc(t->cells,
			    t->cap * t->ncols * sizeof(char *));
		}
		for (i = 0; i < t->ncols; i++) {
			char *c = table_cell(cells[i] ? cells[i] : "");
			w = utf8_width(c);
			if (w > t->width[i])
				t->width[i] = w;
			t->cells[t->nrows * t->ncols + i] = c;
		}
		t->nrows++;
		break;
	}
}

static void
print_row(struct table *t, char *const *cells)
{
	size_t i, w;

	for (i = 0; i < t->ncols; i++) {
		fputs(cells[i], t->fp);
		if (i + 1 == t->ncols)
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
		fputs(t->first ? "]\n" : "\n]\n", t->fp);
	else if (t->fmt == OUT_TABLE) {
		char **upper = xcalloc(t->ncols, sizeof(char *));
		for (i = 0; i < t->ncols; i++) {
			char *p;
			upper[i] = xstrdup(t->cols[i]);
			for (p = upper[i]; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
		}
		print_row(t, upper);
		for (i = 0; i < t->ncols; i++)
			free(upper[i]);
		free(upper);
		for (r = 0; r < t->nrows; r++)
			print_row(t, t->cells + r * t->ncols);
	}
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cells);
	free(t->cols);
	free(t->width);
	free(t);
}
