/*
 * tmplrender: rendering parsed templates (tmplpriv.h). The context stack
 * and the indentation of standalone partials are linked lists on the C
 * stack, so a render allocates nothing but the output's growth.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "template.h"
#include "tmplpriv.h"
#include "util.h"

/*
 * Bounds for templates that recurse without end: partials (and blocks)
 * within partials, and partials rendered in all by one render (a partial
 * including itself twice doubles the work at every level).
 */
#define MAX_NESTING	1000
#define MAX_EXPANSIONS	1000000

/* Context values pushed by sections, on the C stack. Below the last frame
 * lies the caller's stack array. */
struct frame {
	const struct tv		*v;
	const struct frame	*up;
};

/* Indentation of the standalone partials being rendered, innermost first
 * in the list, written outermost first. */
struct indent {
	const char		*s;
	size_t			 n;
	const struct indent	*up;
};

/* The bodies of the parent tags being rendered, innermost first. */
struct overrides {
	const struct op		*ops;
	size_t			 begin, end;
	const struct overrides	*up;
};

struct render {
	const struct tmpl	*t;
	const struct tv *const	*base;
	size_t			 nbase;
	struct buf		*out;
	int			 nesting;
	long			 expansions;
	int			 rc;
};

static const char *const html_entity[256] = {
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

static void	render_range(struct render *, const struct op *, size_t,
		    size_t, const struct frame *, const struct indent *,
		    const struct overrides *);

static int
has_body(const struct op *op)
{
	return op->kind == OP_SECTION || op->kind == OP_INVERTED ||
	    op->kind == OP_BLOCK || op->kind == OP_PARENT;
}

static void
put_escaped(struct buf *out, const char *s, size_t n)
{
	const char *e;
	size_t i, run = 0;

	buf_reserve(out, n);
	for (i = 0; i < n; i++) {
		if ((e = html_entity[(unsigned char)s[i]]) == NULL)
			continue;
		buf_append(out, s + run, i - run);
		buf_puts(out, e);
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
}

static void
put_indent(struct buf *out, const struct indent *ind)
{
	if (ind == NULL)
		return;
	put_indent(out, ind->up);
	buf_append(out, ind->s, ind->n);
}

/* Literal text; inside a standalone partial every line it starts gets the
 * indentation (the first line's comes with op->bol). */
static void
put_text(struct buf *out, const struct op *op, const struct indent *ind)
{
	const char *s = op->s, *end = op->s + op->n, *nl;

	if (ind != NULL) {
		while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL &&
		    nl + 1 < end) {
			buf_append(out, s, (size_t)(nl + 1 - s));
			put_indent(out, ind);
			s = nl + 1;
		}
	}
	buf_append(out, s, (size_t)(end - s));
}

static const struct tv *
lookup(const struct render *r, const struct frame *f, const struct name *nm)
{
	const struct seg *sg = nm->seg;
	const struct tv *v = NULL;
	size_t i;

	if (nm->nseg == 0) {
		if (f != NULL)
			return f->v;
		for (i = r->nbase; i-- > 0;)
			if (r->base[i] != NULL)
				return r->base[i];
		return NULL;
	}
	for (; v == NULL && f != NULL; f = f->up)
		v = tv_lookup(f->v, sg[0].s, sg[0].len, sg[0].hash);
	for (i = r->nbase; v == NULL && i-- > 0;)
		v = tv_lookup(r->base[i], sg[0].s, sg[0].len, sg[0].hash);
	for (i = 1; v != NULL && i < nm->nseg; i++)
		v = tv_lookup(v, sg[i].s, sg[i].len, sg[i].hash);
	return v;
}

static int
truthy(const struct tv *v)
{
	size_t n = 0;

	switch (tv_type(v)) {
	case TV_BOOL:
		return tv_true(v);
	case TV_STRING:
		tv_str(v, &n);
		return n > 0;
	case TV_LIST:
		return tv_len(v) > 0;
	case TV_OBJECT:
		return 1;
	default:
		return 0;
	}
}

static void
put_value(struct render *r, const struct tv *v, int raw)
{
	const char *s;
	size_t n;

	switch (tv_type(v)) {
	case TV_STRING:
		s = tv_str(v, &n);
		if (raw || r->t->mode == TMPL_TEXT)
			buf_append(r->out, s, n);
		else
			put_escaped(r->out, s, n);
		break;
	case TV_BOOL:
		buf_puts(r->out, tv_true(v) ? "true" : "false");
		break;
	default:
		break;
	}
}

static void
section(struct render *r, const struct op *ops, size_t i,
    const struct frame *f, const struct indent *ind,
    const struct overrides *ov)
{
	const struct tv *v = lookup(r, f, ops[i].name);
	struct frame fr;
	size_t k, n;

	if (!truthy(v))
		return;
	fr.up = f;
	switch (tv_type(v)) {
	case TV_LIST:
		n = tv_len(v);
		for (k = 0; k < n && r->rc == 0; k++) {
			fr.v = tv_at(v, k);
			render_range(r, ops, i + 1, ops[i].end, &fr, ind, ov);
		}
		break;
	case TV_BOOL:
		render_range(r, ops, i + 1, ops[i].end, f, ind, ov);
		break;
	default:
		fr.v = v;
		render_range(r, ops, i + 1, ops[i].end, &fr, ind, ov);
		break;
	}
}

/* The unit a dynamic partial names, loaded on first use; NULL if none. */
static struct unit *
dynamic_unit(struct render *r, const struct tv *v)
{
	struct units *us = r->t->units;
	struct unit *u;
	const char *s;
	char *err = NULL, *clean;
	size_t n;

	if ((s = tv_str(v, &n)) == NULL || n == 0 || memchr(s, '\0', n))
		return NULL;
	if ((u = tmpl_unit_find(us, s, n)) != NULL)
		return u->ok ? u : NULL;
	if (us->fn == NULL)
		return NULL;
	if ((u = tmpl_unit_load(us, s, n, &err)) == NULL)
		return NULL;
	if (!u->ok) {
		clean = str_sanitize(err != NULL ? err : s);
		log_warnx("template: %s", clean);
		free(clean);
		free(err);
		return NULL;
	}
	return u;
}

/* A partial or parent body: unit rendered in the current context. */
static void
render_unit(struct render *r, const struct op *op, const struct unit *u,
    const struct frame *f, const struct indent *ind,
    const struct overrides *ov)
{
	struct indent ni;

	if (u == NULL || !u->ok)
		return;
	if (++r->nesting > MAX_NESTING || ++r->expansions > MAX_EXPANSIONS) {
		r->rc = -1;
	} else if (!op->standalone) {
		render_range(r, u->ops, 0, u->nops, f, NULL, ov);
	} else if (op->n == 0) {
		render_range(r, u->ops, 0, u->nops, f, ind, ov);
	} else {
		ni.s = op->s;
		ni.n = op->n;
		ni.up = ind;
		render_range(r, u->ops, 0, u->nops, f, &ni, ov);
	}
	r->nesting--;
}

/* A block renders the outermost override of its name, else its own body. */
static void
block(struct render *r, const struct op *ops, size_t i,
    const struct frame *f, const struct indent *ind,
    const struct overrides *ov)
{
	const struct overrides *v;
	const struct op *bops = ops, *o;
	size_t bi = i, k;

	for (v = ov; v != NULL; v = v->up) {
		for (k = v->begin; k < v->end; k = has_body(o) ? o->end :
		    k + 1) {
			o = &v->ops[k];
			if (o->kind == OP_BLOCK &&
			    strcmp(o->name->full, ops[i].name->full) == 0) {
				bops = v->ops;
				bi = k;
			}
		}
	}
	if (++r->nesting > MAX_NESTING || ++r->expansions > MAX_EXPANSIONS)
		r->rc = -1;
	else
		render_range(r, bops, bi + 1, bops[bi].end, f, ind, ov);
	r->nesting--;
}

static void
render_range(struct render *r, const struct op *ops, size_t begin,
    size_t end, const struct frame *f, const struct indent *ind,
    const struct overrides *ov)
{
	const struct op *op;
	struct overrides o;
	size_t i = begin;

	while (i < end && r->rc == 0) {
		op = &ops[i];
		if (op->bol && ind != NULL)
			put_indent(r->out, ind);
		switch (op->kind) {
		case OP_TEXT:
			put_text(r->out, op, ind);
			break;
		case OP_VAR:
		case OP_RAW:
			put_value(r, lookup(r, f, op->name),
			    op->kind == OP_RAW);
			break;
		case OP_SECTION:
			section(r, ops, i, f, ind, ov);
			break;
		case OP_INVERTED:
			if (!truthy(lookup(r, f, op->name)))
				render_range(r, ops, i + 1, op->end, f, ind,
				    ov);
			break;
		case OP_PARTIAL:
			render_unit(r, op, op->unit, f, ind, ov);
			break;
		case OP_DYNAMIC:
			render_unit(r, op, dynamic_unit(r, lookup(r, f,
			    op->name)), f, ind, ov);
			break;
		case OP_BLOCK:
			block(r, ops, i, f, ind, ov);
			break;
		case OP_PARENT:
			o.ops = ops;
			o.begin = i + 1;
			o.end = op->end;
			o.up = ov;
			render_unit(r, op, op->unit, f, ind, &o);
			break;
		}
		i = has_body(op) ? op->end : i + 1;
	}
}

int
tmpl_render(const struct tmpl *t, const struct tv *const *stack,
    size_t depth, struct buf *out)
{
	const struct unit *u = t->units->u[0];
	struct render r;

	r.t = t;
	r.base = stack;
	r.nbase = stack != NULL ? depth : 0;
	r.out = out;
	r.nesting = 0;
	r.expansions = 0;
	r.rc = 0;
	buf_reserve(out, u->len);
	render_range(&r, u->ops, 0, u->nops, NULL, NULL, NULL);
	return r.rc;
}

