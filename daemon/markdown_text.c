/*
 * markdown_text: Markdown to plain text for the text/plain part, on md4c's
 * parser. Part of the markdown module (markdown.h).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <md4c.h>

#include "markdown.h"
#include "util.h"

/* The dialect of markdown.c (keep the two in step), with inline HTML
 * recognised so it can be dropped, and no HTML blocks, so the text
 * between block-level tags stays. */
#define MD_TEXT_FLAGS	(MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
	MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOINDENTEDCODEBLOCKS | \
	MD_FLAG_NOHTMLBLOCKS)

#define MIN_AVAIL	20	/* characters per line kept when nested deep */
#define MAX_PREFIX	40	/* deeper nesting is not indented further */
#define UTF8_BOM	"\xef\xbb\xbf"

/* ---- UTF-8 ---- */

/* The code point at s, which starts a valid UTF-8 sequence of *len
 * bytes (all text here is checked input or written by this module). */
static uint32_t
u8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len = 2;
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 |
		    (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*len = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

/* Combining marks, soft hyphen, zero-width and format characters. */
static int
zero_width(uint32_t c)
{
	return (c >= 0x300 && c <= 0x36f) || c == 0xad ||
	    (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2060 && c <= 0x2064) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
	    (c >= 0xfe20 && c <= 0xfe2f) || c == 0xfeff;
}

/* Width of s (valid UTF-8, n bytes) in characters. */
static size_t
text_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, w = 0;
	uint32_t c;

	while (i < n) {
		c = u8_next(p + i, &k);
		if (i + k > n)
			break;
		i += k;
		w += !zero_width(c);
	}
	return w;
}

/* ---- plain text ---- */

/* A container on the way from the document to the current block. */
struct tnode {
	MD_BLOCKTYPE	 type;		/* DOC, QUOTE, UL, OL or LI */
	int		 tight;		/* lists and their items */
	int		 has_child;	/* a block was started inside */
	int		 pending;	/* LI: marker not written yet */
	unsigned	 next;		/* OL: number of the next item */
	size_t		 mlen;		/* LI: width of marker */
	char		 marker[16];	/* LI: "- ", "* ", "12. " */
};

struct tlink {
	size_t		 start;		/* link text's offset in inl */
	char		*href;		/* decoded; NULL when not allowed */
};

struct ttable {
	char		**cells;	/* row after row, ncols each */
	size_t		 ncells, cap;
	size_t		 row;		/* index of the current row's first */
	unsigned	 ncols;
	MD_ALIGN	*align;
};

struct trender {
	struct buf	*out;
	size_t		 base;		/* out->len before rendering */
	size_t		 width;		/* SIZE_MAX: no wrapping */
	struct tnode	*st;
	size_t		 nst, cst;
	struct buf	 inl;		/* inline text of the current block */
	struct tlink	*links;
	size_t		 nlinks, clinks;
	int		 em, del;	/* open emphasis, strikethrough */
	size_t		 lists;		/* lists open */
	size_t		 npending;	/* items whose marker is pending */
	int		 blank;		/* a blank line is due ... */
	size_t		 blank_depth;	/* ... inside st[0 .. blank_depth) */
	int		 in_code, in_table;
	struct ttable	 tab;
};

/* Appends s with control characters as spaces, but for line feeds and
 * tabs in code blocks. */
static void
put_clean(struct buf *b, const char *s, size_t n, int code)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 0x20 && c != 0x7f) || (code && (c == '\n' ||
		    c == '\t')))
			continue;
		buf_append(b, s + from, i - from);
		buf_putc(b, ' ');
		from = i + 1;
	}
	buf_append(b, s + from, n - from);
}

/* Width of what the container t puts before a line. */
static size_t
node_width(const struct tnode *t)
{
	if (t->type == MD_BLOCK_QUOTE)
		return 2;
	return t->type == MD_BLOCK_LI ? t->mlen : 0;
}

/* Width of the prefix of a continuation line. Containers that would take
 * it past MAX_PREFIX add nothing, so each line costs O(1) however deep
 * the nesting is, and the output stays linear in the input. */
static size_t
prefix_width(const struct trender *r)
{
	size_t i, w = 0, nw;

	for (i = 0; i < r->nst && w < MAX_PREFIX; i++) {
		nw = node_width(&r->st[i]);
		if (w + nw <= MAX_PREFIX)
			w += nw;
	}
	return w;
}

/* Characters left for text on a line of width w after the prefix, but at
 * least MIN_AVAIL (or w, if smaller). */
static size_t
avail_width(const struct trender *r, size_t w)
{
	size_t pw = prefix_width(r), min = w < MIN_AVAIL ? w : MIN_AVAIL;

	return w > pw && w - pw > min ? w - pw : min;
}

/* Asks for a blank line between the block just entered and the one
 * before it, inside the containers st[0 .. depth). */
static void
want_blank(struct trender *r, size_t depth)
{
	if (!r->blank || depth < r->blank_depth)
		r->blank_depth = depth;
	r->blank = 1;
}

/* Writes one line with the prefix of the containers st[0 .. depth): "> "
 * per quote, an item's marker on its first line and spaces under it after
 * that. A blank line (s == NULL) writes no marker. No trailing blanks. */
static void
put_line(struct trender *r, size_t depth, const char *s, size_t n)
{
	struct tnode *t;
	size_t i, start, w = 0, nw;

	start = r->out->len;
	for (i = 0; i < depth; i++) {
		if (w >= MAX_PREFIX && (s == NULL || r->npending == 0))
			break;
		t = &r->st[i];
		nw = node_width(t);
		if (t->type == MD_BLOCK_LI && t->pending && s != NULL) {
			/* a marker is written, even past MAX_PREFIX */
			buf_puts(r->out, t->marker);
			t->pending = 0;
			r->npending--;
		} else if (nw == 0 || w + nw > MAX_PREFIX)
			continue;
		else if (t->type == MD_BLOCK_QUOTE)
			buf_puts(r->out, "> ");
		else
			buf_printf(r->out, "%*s", (int)nw, "");
		w += nw;
	}
	if (s != NULL)
		buf_append(r->out, s, n);
	while (r->out->len > start && (r->out->data[r->out->len - 1] == ' ' ||
	    r->out->data[r->out->len - 1] == '\t'))
		r->out->len--;
	buf_putc(r->out, '\n');
}

/* Writes a line of the current block, after a blank line if one is due. */
static void
emit_line(struct trender *r, const char *s, size_t n)
{
	if (r->blank) {
		r->blank = 0;
		if (r->out->len > r->base)
			put_line(r, r->blank_depth, NULL, 0);
	}
	put_line(r, r->nst, s, n);
}

/* Fills s (n bytes; '\n' forces a break) into lines of the width left by
 * the prefix, breaking at spaces only. Returns the widest line's width. */
static size_t
emit_wrapped(struct trender *r, const char *s, size_t n)
{
	struct buf line;
	size_t avail = avail_width(r, r->width), i = 0, j, lw = 0, ww, maxw = 0;

	buf_init(&line);
	while (i <= n) {
		if (i == n || s[i] == '\n') {
			if (line.len > 0)
				emit_line(r, line.data, line.len);
			buf_reset(&line);
			lw = 0;
			i++;
			continue;
		}
		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < n && s[j] != ' ' && s[j] != '\n'; j++)
			;
		ww = text_width(s + i, j - i);
		if (lw > 0 && lw + 1 + ww > avail) {
			emit_line(r, line.data, line.len);
			buf_reset(&line);
			lw = 0;
		}
		if (lw > 0) {
			buf_putc(&line, ' ');
			lw++;
		}
		buf_append(&line, s + i, j - i);
		lw += ww;
		if (lw > maxw)
			maxw = lw;
		i = j;
	}
	buf_free(&line);
	return maxw;
}

static void
flush_para(struct trender *r)
{
	emit_wrapped(r, r->inl.data, r->inl.len);
	buf_reset(&r->inl);
}

static void
flush_heading(struct trender *r, unsigned level)
{
	struct buf h;
	size_t w;

	buf_init(&h);
	if (level >= 3)
		buf_printf(&h, "%.*s ", (int)level, "######");
	buf_append(&h, r->inl.data, r->inl.len);
	w = emit_wrapped(r, h.data, h.len);
	if (level <= 2 && w > 0) {
		buf_reset(&h);
		while (w-- > 0)
			buf_putc(&h, level == 1 ? '=' : '-');
		emit_line(r, h.data, h.len);
	}
	buf_free(&h);
	buf_reset(&r->inl);
}

static void
flush_code(struct trender *r)
{
	const char *s = r->inl.data, *nl;
	size_t n = r->inl.len;
	struct buf line;

	/* an unclosed fence takes the blank lines at the end along */
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		n--;
	buf_init(&line);
	while (n > 0) {
		nl = memchr(s, '\n', n);
		buf_reset(&line);
		buf_puts(&line, "    ");
		buf_append(&line, s, nl ? (size_t)(nl - s) : n);
		emit_line(r, line.data, line.len);
		if (nl == NULL)
			break;
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	buf_free(&line);
	buf_reset(&r->inl);
}

static void
emit_rule(struct trender *r)
{
	size_t w;
	char *s;

	w = avail_width(r, r->width == SIZE_MAX ? 72 : r->width);
	s = xmalloc(w);
	memset(s, '-', w);
	emit_line(r, s, w);
	free(s);
}

/* ---- tables ---- */

/* inl as one line: white space runs become one space, trimmed. */
static char *
cell_text(const struct buf *b)
{
	struct buf c;
	size_t i;
	int sp = 0;

	buf_init(&c);
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == ' ' || b->data[i] == '\n') {
			sp = c.len > 0;
			continue;
		}
		if (sp)
			buf_putc(&c, ' ');
		sp = 0;
		buf_putc(&c, b->data[i]);
	}
	return buf_steal(&c);
}

static void
table_add(struct ttable *t, char *cell)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->ncells++] = cell;
}

static void
table_free(struct ttable *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	memset(t, 0, sizeof(*t));
}

static void
table_emit(struct trender *r)
{
	struct ttable *t = &r->tab;
	struct buf line;
	size_t *w, c, i, cw, pad, left;
	const char *cell;

	if (t->ncols == 0)
		return;
	w = xcalloc(t->ncols, sizeof(*w));
	for (i = 0; i < t->ncells; i++) {
		cw = text_width(t->cells[i], strlen(t->cells[i]));
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	buf_init(&line);
	for (i = 0; i < t->ncells; i += t->ncols) {
		buf_reset(&line);
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[i + c];
			pad = (w[c] ? w[c] : 1) - text_width(cell, strlen(cell));
			left = t->align[c] == MD_ALIGN_RIGHT ? pad :
			    t->align[c] == MD_ALIGN_CENTER ? pad / 2 : 0;
			buf_printf(&line, "%s%*s%s%*s", c ? " | " : "",
			    (int)left, "", cell, (int)(pad - left), "");
		}
		/* an empty row of a one-column table would be a blank line */
		if (line.len > strspn(line.data, " "))
			emit_line(r, line.data, line.len);
		if (i > 0)
			continue;
		buf_reset(&line);
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				buf_puts(&line, "-+-");
			for (cw = w[c] ? w[c] : 1; cw > 0; cw--)
				buf_putc(&line, '-');
		}
		emit_line(r, line.data, line.len);
	}
	buf_free(&line);
	free(w);
}

/* ---- md4c callbacks ---- */

static void
push(struct trender *r, const struct tnode *n)
{
	if (r->nst == r->cst) {
		r->cst = r->cst ? r->cst * 2 : 16;
		r->st = xrealloc(r->st, r->cst * sizeof(*r->st));
	}
	r->st[r->nst++] = *n;
}

static void
enter_item(struct trender *r, struct tnode *n)
{
	struct tnode *list = &r->st[r->nst - 1];

	n->tight = list->tight;
	n->pending = 1;
	r->npending++;
	if (list->type == MD_BLOCK_OL)
		snprintf(n->marker, sizeof(n->marker), "%u. ", list->next++);
	else	/* "- " at the top, "* " one list deeper, and so on */
		snprintf(n->marker, sizeof(n->marker), "%s",
		    r->lists % 2 ? "- " : "* ");
	n->mlen = strlen(n->marker);
}

static int
t_enter_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	struct trender *r = arg;
	struct tnode n, *top;
	struct ttable *t = &r->tab;

	switch (type) {
	case MD_BLOCK_THEAD:
	case MD_BLOCK_TBODY:
		return 0;
	case MD_BLOCK_TR:
		t->row = t->ncells;
		return 0;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (t->row == 0 && t->ncells < t->ncols)
			t->align[t->ncells] =
			    ((MD_BLOCK_TD_DETAIL *)detail)->align;
		return 0;
	default:
		break;
	}
	if (r->inl.len > 0)	/* text of a tight item before a block */
		flush_para(r);
	memset(&n, 0, sizeof(n));
	n.type = type;
	if (type != MD_BLOCK_DOC && r->nst > 0) {
		top = &r->st[r->nst - 1];
		if (top->has_child && !top->tight)
			want_blank(r, r->nst);
		top->has_child = 1;
	}
	switch (type) {
	case MD_BLOCK_UL:
		n.tight = ((MD_BLOCK_UL_DETAIL *)detail)->is_tight;
		r->lists++;
		push(r, &n);
		break;
	case MD_BLOCK_OL:
		n.tight = ((MD_BLOCK_OL_DETAIL *)detail)->is_tight;
		n.next = ((MD_BLOCK_OL_DETAIL *)detail)->start;
		r->lists++;
		push(r, &n);
		break;
	case MD_BLOCK_LI:
		enter_item(r, &n);
		push(r, &n);
		break;
	case MD_BLOCK_DOC:
	case MD_BLOCK_QUOTE:
		push(r, &n);
		break;
	case MD_BLOCK_HR:
		emit_rule(r);
		break;
	case MD_BLOCK_CODE:
		r->in_code = 1;
		break;
	case MD_BLOCK_TABLE:
		table_free(t);
		t->ncols = ((MD_BLOCK_TABLE_DETAIL *)detail)->col_count;
		t->align = xcalloc(t->ncols ? t->ncols : 1, sizeof(*t->align));
		r->in_table = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int
t_leave_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	struct trender *r = arg;
	struct ttable *t = &r->tab;

	switch (type) {
	case MD_BLOCK_P:
		flush_para(r);
		break;
	case MD_BLOCK_H:
		flush_heading(r, ((MD_BLOCK_H_DETAIL *)detail)->level);
		break;
	case MD_BLOCK_CODE:
		flush_code(r);
		r->in_code = 0;
		break;
	case MD_BLOCK_HTML:
		buf_reset(&r->inl);
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (t->ncells - t->row < t->ncols)
			table_add(t, cell_text(&r->inl));
		buf_reset(&r->inl);
		break;
	case MD_BLOCK_TR:
		while (t->ncells - t->row < t->ncols)
			table_add(t, xstrdup(""));
		break;
	case MD_BLOCK_TABLE:
		table_emit(r);
		table_free(t);
		r->in_table = 0;
		break;
	case MD_BLOCK_LI:
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
	case MD_BLOCK_QUOTE:
	case MD_BLOCK_DOC:
		if (r->inl.len > 0)
			flush_para(r);
		if (type == MD_BLOCK_LI && r->st[r->nst - 1].pending)
			emit_line(r, "", 0);	/* an empty item */
		if (type == MD_BLOCK_UL || type == MD_BLOCK_OL)
			r->lists--;
		r->nst--;
		break;
	default:
		break;
	}
	return 0;
}

/* The decoded value of an md4c attribute; caller frees. */
static char *
attr_string(const MD_ATTRIBUTE *a)
{
	struct buf b;
	MD_OFFSET off, end;
	unsigned i;

	buf_init(&b);
	for (i = 0; a->substr_offsets[i] < a->size; i++) {
		off = a->substr_offsets[i];
		end = a->substr_offsets[i + 1];
		if (a->substr_types[i] == MD_TEXT_ENTITY)
			md_entity_decode(a->text + off, end - off, &b);
		else if (a->substr_types[i] == MD_TEXT_NULLCHAR)
			buf_puts(&b, "\xef\xbf\xbd");
		else
			buf_append(&b, a->text + off, end - off);
	}
	return buf_steal(&b);
}

/* "<url>" with blanks, controls and angle brackets percent-encoded. */
static void
put_url(struct buf *b, const char *u)
{
	buf_putc(b, '<');
	for (; *u != '\0'; u++)
		if ((unsigned char)*u <= 0x20 || *u == 0x7f || *u == '<' ||
		    *u == '>')
			buf_printf(b, "%%%02X", (unsigned char)*u);
		else
			buf_putc(b, *u);
	buf_putc(b, '>');
}

static void
link_open(struct trender *r, const MD_ATTRIBUTE *href, int image)
{
	struct tlink *l;

	if (r->nlinks == r->clinks) {
		r->clinks = r->clinks ? r->clinks * 2 : 4;
		r->links = xrealloc(r->links, r->clinks * sizeof(*r->links));
	}
	l = &r->links[r->nlinks++];
	l->start = r->inl.len;
	l->href = attr_string(href);
	/* in text, a URL without a scheme (relative) leads nowhere */
	if (!md_url_allowed(l->href, strlen(l->href), image) ||
	    l->href[strcspn(l->href, ":/?#")] != ':') {
		free(l->href);
		l->href = NULL;
	}
}

/* Text then " <url>", or "<url>" alone when the text is the URL. */
static void
link_close(struct trender *r)
{
	struct tlink *l;
	const char *text, *h;
	size_t tlen;

	if (r->nlinks == 0)
		return;		/* md4c 0.4.8 can leave a link never entered */
	l = &r->links[--r->nlinks];
	h = l->href;
	tlen = r->inl.len - l->start;
	if (h == NULL)
		return;
	text = tlen > 0 ? r->inl.data + l->start : "";
	if (strncasecmp(h, "mailto:", 7) == 0 && strlen(h + 7) == tlen &&
	    memcmp(h + 7, text, tlen) == 0) {
		/* the address alone */
	} else if (tlen == 0 || (strlen(h) == tlen &&
	    memcmp(h, text, tlen) == 0) || (strncmp(h, "http://", 7) == 0 &&
	    strlen(h + 7) == tlen && memcmp(h + 7, text, tlen) == 0)) {
		r->inl.len = l->start;
		put_url(&r->inl, h);
	} else {
		buf_putc(&r->inl, ' ');
		put_url(&r->inl, h);
	}
	free(l->href);
}

static int
t_enter_span(MD_SPANTYPE type, void *detail, void *arg)
{
	struct trender *r = arg;

	switch (type) {
	case MD_SPAN_EM:
	case MD_SPAN_STRONG:
		if (r->em++ == 0)
			buf_putc(&r->inl, '*');
		break;
	case MD_SPAN_DEL:
		if (r->del++ == 0)
			buf_puts(&r->inl, "~~");
		break;
	case MD_SPAN_A:
		link_open(r, &((MD_SPAN_A_DETAIL *)detail)->href, 0);
		break;
	case MD_SPAN_IMG:
		link_open(r, &((MD_SPAN_IMG_DETAIL *)detail)->src, 1);
		break;
	default:
		break;
	}
	return 0;
}

static int
t_leave_span(MD_SPANTYPE type, void *detail, void *arg)
{
	struct trender *r = arg;

	(void)detail;
	switch (type) {
	case MD_SPAN_EM:
	case MD_SPAN_STRONG:
		if (r->em > 0 && --r->em == 0)
			buf_putc(&r->inl, '*');
		break;
	case MD_SPAN_DEL:
		if (r->del > 0 && --r->del == 0)
			buf_puts(&r->inl, "~~");
		break;
	case MD_SPAN_A:
	case MD_SPAN_IMG:
		link_close(r);
		break;
	default:
		break;
	}
	return 0;
}

static int
t_text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE n, void *arg)
{
	struct trender *r = arg;

	switch (type) {
	case MD_TEXT_NULLCHAR:
		buf_puts(&r->inl, "\xef\xbf\xbd");
		break;
	case MD_TEXT_BR:
		buf_putc(&r->inl, r->in_table ? ' ' : '\n');
		break;
	case MD_TEXT_SOFTBR:
		buf_putc(&r->inl, ' ');
		break;
	case MD_TEXT_ENTITY:
		md_entity_decode(s, n, &r->inl);
		break;
	case MD_TEXT_HTML:
		break;		/* raw HTML is dropped */
	case MD_TEXT_CODE:
		put_clean(&r->inl, s, n, r->in_code);
		break;
	default:
		put_clean(&r->inl, s, n, 0);
		break;
	}
	return 0;
}

int
md_to_text(const char *src, size_t len, size_t width, struct buf *out)
{
	MD_PARSER p;
	struct trender r;
	char *in;
	size_t i, n;
	int rc;

	if (len >= UINT_MAX - 1 || !utf8_valid(src, len))
		return -1;
	if (len >= 3 && memcmp(src, UTF8_BOM, 3) == 0) {
		src += 3;
		len -= 3;
	}
	memset(&p, 0, sizeof(p));
	p.flags = MD_TEXT_FLAGS;
	p.enter_block = t_enter_block;
	p.leave_block = t_leave_block;
	p.enter_span = t_enter_span;
	p.leave_span = t_leave_span;
	p.text = t_text;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.base = out->len;
	r.width = width == 0 ? SIZE_MAX : width;
	buf_init(&r.inl);
	in = md_padded_copy(src, len, &n);
	rc = md_parse(in, (MD_SIZE)n, &p, &r);
	free(in);
	if (rc != 0 && out->data != NULL) {
		out->len = r.base;
		out->data[out->len] = '\0';
	}
	for (i = 0; i < r.nlinks; i++)
		free(r.links[i].href);
	free(r.links);
	free(r.st);
	table_free(&r.tab);
	buf_free(&r.inl);
	return rc == 0 ? 0 : -1;
}
