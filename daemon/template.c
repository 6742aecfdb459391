/*
 * template: parsing Mustache sources into the instruction arrays of
 * tmplpriv.h, once per template and partial. Rendering is in tmplrender.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "template.h"
#include "tmplpriv.h"
#include "util.h"

/* Partials loading partials loading...: each level is a C stack frame. */
#define MAX_PARTIAL_DEPTH	100

struct parser {
	struct units	*units;
	struct unit	*u;
	const char	*src;
	size_t		 len;
	const char	*otag, *ctag;	/* delimiters, in src or static */
	size_t		 olen, clen;
	size_t		 cpos;		/* line/col cursor: position ... */
	uint32_t	 line, col;	/* ... and its line and column */
	size_t		*open;		/* indexes of unclosed section ops */
	size_t		 nopen, capopen;
	char		**errstr;
};

static int	parse_unit(struct units *, struct unit *, char **);

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Moves the line/column cursor forward to pos. */
static void
cursor_to(struct parser *p, size_t pos)
{
	size_t i;

	if (pos < p->cpos)
		return;
	for (i = p->cpos; i < pos; i++) {
		if (p->src[i] == '\n') {
			p->line++;
			p->col = 1;
		} else if (((unsigned char)p->src[i] & 0xc0) != 0x80)
			p->col++;
	}
	p->cpos = pos;
}

static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->errstr == NULL)
		return -1;
	cursor_to(p, pos);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatalx("out of memory in perr");
	va_end(ap);
	*p->errstr = xasprintf("%s:%u:%u: %s", p->u->file, p->line, p->col,
	    msg);
	free(msg);
	return -1;
}

static struct op *
emit(struct parser *p, enum op_kind kind, size_t pos)
{
	struct unit *u = p->u;
	struct op *op;

	if (u->nops == u->capops) {
		u->capops = u->capops ? u->capops * 2 : 32;
		u->ops = xrealloc(u->ops, u->capops * sizeof(*u->ops));
	}
	op = &u->ops[u->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	cursor_to(p, pos);
	op->line = p->line;
	op->col = p->col;
	op->bol = pos == 0 || p->src[pos - 1] == '\n';
	return op;
}

static int
in_parent(const struct parser *p)
{
	return p->nopen > 0 && p->u->ops[p->open[p->nopen - 1]].kind ==
	    OP_PARENT;
}

/* Literal text [from, to). Text directly inside a parent tag is dropped. */
static void
emit_text(struct parser *p, size_t from, size_t to)
{
	struct op *op;

	if (from >= to || in_parent(p))
		return;
	op = emit(p, OP_TEXT, from);
	op->s = p->src + from;
	op->n = to - from;
}

/* A tag that outputs nothing, first on its line but not standalone: an
 * empty text op still carries the line's indentation inside a partial. */
static void
emit_bol_mark(struct parser *p, size_t ts)
{
	struct op *op;

	if ((ts == 0 || p->src[ts - 1] == '\n') && !in_parent(p)) {
		op = emit(p, OP_TEXT, ts);
		op->s = p->src + ts;
	}
}

/* Only blanks precede ts on its line (not before text): *ls = line start. */
static int
line_prefix(const struct parser *p, size_t text, size_t ts, size_t *ls)
{
	size_t i = ts;

	while (i > text && is_blank(p->src[i - 1]))
		i--;
	if (i != 0 && p->src[i - 1] != '\n')
		return 0;
	*ls = i;
	return 1;
}

/* Only blanks follow te up to the end of line: *le = next line's start. */
static int
line_suffix(const struct parser *p, size_t te, size_t *le)
{
	size_t i;

	for (i = te; i < p->len && is_blank(p->src[i]); i++)
		;
	if (i < p->len && p->src[i] == '\r' && i + 1 < p->len &&
	    p->src[i + 1] == '\n')
		i++;
	if (i < p->len && p->src[i] != '\n')
		return 0;
	*le = i < p->len ? i + 1 : i;
	return 1;
}

static void
name_free(struct name *nm)
{
	if (nm == NULL)
		return;
	free(nm->full);
	free(nm);
}

/* Splits s (already trimmed, n > 0) into a name; NULL on a bad name. */
static struct name *
name_new(const char *s, size_t n)
{
	struct name *nm;
	size_t i, nseg = 1, k, start;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]) || s[i] == '\0')
			return NULL;
		if (s[i] == '.')
			nseg++;
	}
	if (n == 1 && s[0] == '.')
		nseg = 0;
	nm = xmalloc(sizeof(*nm) + nseg * sizeof(nm->seg[0]));
	nm->full = xstrndup(s, n);
	nm->nseg = nseg;
	for (k = 0, start = 0, i = 0; k < nseg; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i == start) {	/* "a..b", ".a", "a." */
			name_free(nm);
			return NULL;
		}
		nm->seg[k].s = nm->full + start;
		nm->seg[k].len = (uint32_t)(i - start);
		nm->seg[k].hash = tv_hash(nm->seg[k].s, i - start);
		k++;
		start = i + 1;
	}
	return nm;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Finds the closing delimiter at or after from; with lead != 0 it must
 * directly follow that character ("}}}" and "=}}"). */
static const char *
find_close(const struct parser *p, size_t from, char lead)
{
	const char *end = p->src + p->len, *q = p->src + from;

	while (q < end) {
		q = memmem(q, (size_t)(end - q), p->ctag, p->clen);
		if (q == NULL)
			return NULL;
		if (lead == 0 || (q > p->src + from && q[-1] == lead))
			return q;
		q++;
	}
	return NULL;
}

/* {{=<% %>=}}: the new delimiters are two words of the tag's own text. */
static int
set_delims(struct parser *p, const char *s, size_t n)
{
	size_t a, b;

	trim(&s, &n);
	for (a = 0; a < n && !is_space(s[a]) && s[a] != '='; a++)
		;
	for (b = a; b < n && is_space(s[b]); b++)
		;
	if (a == 0 || b == a || b == n)
		return -1;
	p->otag = s;
	p->olen = a;
	p->ctag = s + b;
	p->clen = n - b;
	if (memchr(p->ctag, '=', p->clen) != NULL)
		return -1;
	for (a = 0; a < p->clen; a++)
		if (is_space(p->ctag[a]))
			return -1;
	return 0;
}

struct unit *
tmpl_unit_find(const struct units *us, const char *name, size_t n)
{
	size_t i;

	for (i = 1; i < us->n; i++)
		if (strlen(us->u[i]->name) == n &&
		    memcmp(us->u[i]->name, name, n) == 0)
			return us->u[i];
	return NULL;
}

/* Adds a unit for partial name (n bytes) that owns file and src. */
static struct unit *
unit_add(struct units *us, const char *name, size_t n, char *file, char *src,
    size_t len)
{
	struct unit *u = xcalloc(1, sizeof(*u));

	u->name = xstrndup(name, n);
	u->file = file != NULL ? file : xstrdup(u->name);
	u->src = src != NULL ? src : xstrdup("");
	u->len = src != NULL ? len : 0;
	if (us->n == us->cap) {
		us->cap = us->cap ? us->cap * 2 : 8;
		us->u = xrealloc(us->u, us->cap * sizeof(*us->u));
	}
	us->u[us->n++] = u;
	return u;
}

/* The unit is added before it is parsed, so a partial that includes
 * itself finds itself. */
struct unit *
tmpl_unit_load(struct units *us, const char *name, size_t n, char **errstr)
{
	struct unit *u;
	char *src = NULL, *file = NULL, *key;
	size_t len = 0;
	int rc = -1;

	key = xstrndup(name, n);
	if (us->fn != NULL)
		rc = us->fn(us->arg, key, &src, &len, &file);
	free(key);
	if (rc != 0) {
		free(src);
		free(file);
		src = file = NULL;
	}
	u = unit_add(us, name, n, file, src, len);
	if (rc < 0)
		return NULL;	/* remembered as a unit that is not ok */
	/* rc > 0: known to be empty. */
	parse_unit(us, u, errstr);
	return u;
}

/* The op for a tag with a body: pushes it on the open-section stack. */
static struct op *
open_section(struct parser *p, enum op_kind kind, size_t ts, struct name *nm)
{
	struct op *op = emit(p, kind, ts);

	op->name = nm;
	if (p->nopen == p->capopen) {
		p->capopen = p->capopen ? p->capopen * 2 : 16;
		p->open = xrealloc(p->open, p->capopen * sizeof(*p->open));
	}
	p->open[p->nopen++] = p->u->nops - 1;
	return op;
}

/* A closing tag [ts, te), alone on its line or not. */
static int
close_section(struct parser *p, size_t ts, size_t te, const char *s,
    size_t n, int alone, size_t *text)
{
	struct op *op, *prev;
	size_t idx, le;

	if (p->nopen == 0)
		return perr(p, ts, "unexpected close tag \"%.*s\"", (int)n, s);
	op = &p->u->ops[p->open[p->nopen - 1]];
	if (strlen(op->name->full) != n || memcmp(op->name->full, s, n) != 0)
		return perr(p, ts, "mismatched close tag \"%.*s\", expected "
		    "\"%s\"", (int)n, s, op->name->full);
	idx = p->open[--p->nopen];
	op->end = p->u->nops;
	/*
	 * "  {{<parent}}...{{/parent}}" on one line is as alone as a
	 * standalone partial: its blanks become the indentation.
	 */
	if (op->kind == OP_PARENT && !alone && !op->standalone &&
	    op->s != NULL && line_suffix(p, te, &le)) {
		op->standalone = 1;
		op->bol = 0;
		*text = le;
		prev = idx > 0 ? &p->u->ops[idx - 1] : NULL;
		if (prev != NULL && prev->kind == OP_TEXT &&
		    prev->s + prev->n == op->s + op->n && prev->n >= op->n)
			prev->n -= op->n;
	}
	return 0;
}

/* A partial or parent tag: finds or loads the unit it names. */
static int
partial_tag(struct parser *p, enum op_kind kind, size_t ts, const char *s,
    size_t n, struct op **opp)
{
	struct name *nm = NULL;
	struct unit *u;
	struct op *op;

	if (memchr(s, '\0', n) != NULL ||
	    (kind == OP_PARENT && (nm = name_new(s, n)) == NULL))
		return perr(p, ts, "bad name \"%.*s\"", (int)n, s);
	if ((u = tmpl_unit_find(p->units, s, n)) == NULL) {
		if (p->units->loading >= MAX_PARTIAL_DEPTH) {
			name_free(nm);
			return perr(p, ts, "partials nested too deep");
		}
		p->units->loading++;
		u = tmpl_unit_load(p->units, s, n, p->errstr);
		p->units->loading--;
		if (u == NULL || !u->ok) {
			name_free(nm);
			if (u != NULL)
				return -1;	/* errstr set */
			return perr(p, ts, "unknown partial \"%.*s\"", (int)n,
			    s);
		}
	}
	if (kind == OP_PARENT)
		op = open_section(p, OP_PARENT, ts, nm);
	else
		op = emit(p, kind, ts);
	op->unit = u;
	*opp = op;
	return 0;
}

/* One tag at ts (the opening delimiter). Moves *text, the start of the
 * pending literal text, past it. */
static int
parse_tag(struct parser *p, size_t *text, size_t ts)
{
	const char *q, *s;
	size_t body = ts + p->olen, te, n, ls = 0, le = 0;
	char sigil = body < p->len ? p->src[body] : '\0', lead = 0;
	struct name *nm = NULL;
	struct op *op = NULL;
	int alone = 0, pre;

	if (sigil == '{')
		lead = '}';
	else if (sigil == '=')
		lead = '=';
	if ((q = find_close(p, lead ? body + 1 : body, lead)) == NULL)
		return perr(p, ts, "unclosed tag, expected \"%.*s%.*s\"",
		    lead ? 1 : 0, &lead, (int)p->clen, p->ctag);
	te = (size_t)(q - p->src) + p->clen;
	s = p->src + body;
	n = (size_t)(q - s) - (lead ? 1 : 0);
	if (strchr("{&#^/>!=<$", sigil) != NULL && sigil != '\0') {
		s++;
		n--;
	}
	trim(&s, &n);
	pre = line_prefix(p, *text, ts, &ls);
	if (strchr("#^/>!=<$", sigil) != NULL && sigil != '\0')
		alone = pre && line_suffix(p, te, &le);
	/* Text in a parent tag is dropped, so a block opening there is alone
	 * when nothing but blanks follow it on its line. */
	if (sigil == '$' && in_parent(p) && !alone &&
	    line_suffix(p, te, &le)) {
		alone = 1;
		ls = ts;
	}
	if (alone) {
		emit_text(p, *text, ls);
		*text = le;
	} else {
		emit_text(p, *text, ts);
		*text = te;
	}
	if (sigil == '!')
		goto mark;
	if (sigil == '=') {
		if (set_delims(p, s, n) != 0)
			return perr(p, ts, "bad delimiter tag");
		goto mark;
	}
	if (n == 0)
		return perr(p, ts, "empty tag");
	if (sigil == '/') {
		if (!alone)
			emit_bol_mark(p, ts);
		return close_section(p, ts, te, s, n, alone, text);
	}
	if (sigil == '>' || sigil == '<') {
		if (sigil == '>' && s[0] == '*') {
			s++;
			n--;
			trim(&s, &n);
			if (n == 0 || (nm = name_new(s, n)) == NULL)
				return perr(p, ts, "bad name \"%.*s\"", (int)n,
				    s);
			op = emit(p, OP_DYNAMIC, ts);
			op->name = nm;
		} else if (partial_tag(p, sigil == '>' ? OP_PARTIAL :
		    OP_PARENT, ts, s, n, &op) != 0)
			return -1;
		if (alone || (pre && sigil == '<')) {
			/* A parent whose closing tag ends its line is alone
			 * too (close_section). */
			op->standalone = alone;
			op->bol = op->bol && !alone;
			op->s = p->src + ls;
			op->n = ts - ls;
		}
		return 0;
	}
	if ((nm = name_new(s, n)) == NULL)
		return perr(p, ts, "bad name \"%.*s\"", (int)n, s);
	switch (sigil) {
	case '#':
		op = open_section(p, OP_SECTION, ts, nm);
		break;
	case '^':
		op = open_section(p, OP_INVERTED, ts, nm);
		break;
	case '$':
		op = open_section(p, OP_BLOCK, ts, nm);
		break;
	case '{':
	case '&':
		op = emit(p, OP_RAW, ts);
		op->name = nm;
		return 0;
	default:
		op = emit(p, OP_VAR, ts);
		op->name = nm;
		return 0;
	}
	if (alone)
		op->bol = 0;
	return 0;
mark:
	if (!alone)
		emit_bol_mark(p, ts);
	return 0;
}

static int
parse_unit(struct units *us, struct unit *u, char **errstr)
{
	struct parser p;
	size_t text = 0;
	const char *q;
	struct op *op;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.units = us;
	p.u = u;
	p.src = u->src;
	p.len = u->len;
	p.otag = "{{";
	p.ctag = "}}";
	p.olen = p.clen = 2;
	p.line = p.col = 1;
	p.errstr = errstr;
	while (text < p.len && (q = memmem(p.src + text, p.len - text,
	    p.otag, p.olen)) != NULL) {
		if ((rc = parse_tag(&p, &text, (size_t)(q - p.src))) != 0)
			break;
	}
	if (rc == 0) {
		emit_text(&p, text, p.len);
		if (p.nopen > 0) {
			op = &u->ops[p.open[p.nopen - 1]];
			rc = perr(&p, p.len, "unclosed section \"%s\" (opened "
			    "at %u:%u)", op->name->full, op->line, op->col);
		}
	}
	free(p.open);
	u->ok = rc == 0;
	return rc;
}

struct tmpl *
tmpl_parse(const char *src, size_t len, const char *filename,
    enum tmpl_mode mode, tmpl_partial_fn fn, void *arg, char **errstr)
{
	struct tmpl *t;
	struct unit *u;

	if (errstr != NULL)
		*errstr = NULL;
	t = xcalloc(1, sizeof(*t));
	t->mode = mode;
	t->units = xcalloc(1, sizeof(*t->units));
	t->units->fn = fn;
	t->units->arg = arg;
	t->units->cap = 8;
	t->units->u = xcalloc(t->units->cap, sizeof(*t->units->u));
	u = xcalloc(1, sizeof(*u));
	u->file = xstrdup(filename != NULL ? filename : "<template>");
	u->src = xstrndup(src, len);
	u->len = len;
	t->units->u[t->units->n++] = u;
	if (parse_unit(t->units, u, errstr) != 0) {
		tmpl_free(t);
		return NULL;
	}
	/* arg may not outlive this call: see tmpl_dynamic_partials(). */
	t->units->fn = NULL;
	t->units->arg = NULL;
	return t;
}

void
tmpl_dynamic_partials(struct tmpl *t, tmpl_partial_fn fn, void *arg)
{
	t->units->fn = fn;
	t->units->arg = arg;
}

static void
unit_free(struct unit *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nops; i++)
		name_free(u->ops[i].name);
	free(u->ops);
	free(u->name);
	free(u->file);
	free(u->src);
	free(u);
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->units->n; i++)
		unit_free(t->units->u[i]);
	free(t->units->u);
	free(t->units);
	free(t);
}

int
tmpl_names(const struct tmpl *t, void (*fn)(void *arg, const char *file,
    const char *name, int line, int col), void *arg)
{
	const struct unit *u;
	const struct op *op;
	size_t i, k;
	int count = 0;

	for (i = 0; i < t->units->n; i++) {
		u = t->units->u[i];
		for (k = 0; k < u->nops; k++) {
			op = &u->ops[k];
			switch (op->kind) {
			case OP_VAR:
			case OP_RAW:
			case OP_SECTION:
			case OP_INVERTED:
			case OP_DYNAMIC:
				if (op->name->nseg == 0)
					break;
				fn(arg, u->file, op->name->full,
				    (int)op->line, (int)op->col);
				count++;
				break;
			default:
				break;
			}
		}
	}
	return count;
}
