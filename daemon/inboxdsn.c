/*
 * inboxdsn: the text of delivery status notifications (RFC 3464
 * message/delivery-status, as Postfix, Exim and Exchange write them) and
 * VERP addresses (bounces+TOKEN@domain, smtp_verp_sender()). Pure text,
 * no libetpan; part of inbox_parse() (inboxparsepriv.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inboxparsepriv.h"
#include "util.h"

#define LINE_MAX_KEPT	4096	/* of one unfolded field; the rest dropped */
#define RCPT_MAX	320	/* an address longer than this is cut */
#define DIAG_MAX	300
#define BLOCKS_MAX	1000	/* recipient blocks looked at */

/* One recipient block while it is read. */
struct rcpt {
	char *final, *original, *action, *diag;
	char status[16];
	int any;
};

static void
rcpt_free(struct rcpt *r)
{
	free(r->final);
	free(r->original);
	free(r->action);
	free(r->diag);
	memset(r, 0, sizeof(*r));
}

/* "rfc822; <Anna@Example.org>" -> "anna@example.org" (cleaned). */
static char *
rcpt_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *a, *s, *e, *out;
	size_t i;

	if (semi != NULL)
		v = semi + 1;
	a = inbox_clean_line(v, strlen(v), RCPT_MAX);
	s = a;
	while (*s == ' ' || *s == '<')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '>'))
		e--;
	*e = '\0';
	for (i = 0; s[i]; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	out = *s != '\0' ? xstrdup(s) : NULL;
	free(a);
	return out;
}

/* Copies the first "D.D.D" status code (class 2, 4 or 5, up to three
 * digits each) in v to st; returns 1, or 0 if there is none. */
static int
status_find(const char *v, char st[16])
{
	const char *p;
	size_t n1, n2;

	for (p = v; *p; p++) {
		if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.' ||
		    (p > v && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		for (n1 = 0; n1 < 4 && isdigit((unsigned char)p[2 + n1]); n1++)
			;
		if (n1 == 0 || n1 > 3 || p[2 + n1] != '.')
			continue;
		for (n2 = 0; n2 < 4 &&
		    isdigit((unsigned char)p[3 + n1 + n2]); n2++)
			;
		if (n2 == 0 || n2 > 3 || isalnum((unsigned char)p[3 + n1 + n2]))
			continue;
		memcpy(st, p, 3 + n1 + n2);
		st[3 + n1 + n2] = '\0';
		return 1;
	}
	return 0;
}

static int
rcpt_permanent(const struct rcpt *r)
{
	return (r->action != NULL && strcmp(r->action, "failed") == 0) ||
	    r->status[0] == '5';
}

/* One unfolded field line of a block. */
static void
field(struct rcpt *r, const char *line)
{
	const char *colon = strchr(line, ':'), *v;
	size_t n;
	char *a;

	if (colon == NULL)
		return;
	for (n = (size_t)(colon - line); n > 0 && (line[n - 1] == ' ' ||
	    line[n - 1] == '\t'); n--)
		;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
#define IS(name) (n == sizeof(name) - 1 && strncasecmp(line, name, n) == 0)
	if (IS("Final-Recipient") && r->final == NULL) {
		r->final = rcpt_addr(v);
		r->any = 1;
	} else if (IS("Original-Recipient") && r->original == NULL) {
		r->original = rcpt_addr(v);
		r->any = 1;
	} else if (IS("Action") && r->action == NULL) {
		a = inbox_clean_line(v, strlen(v), 32);
		a[strcspn(a, " ;(")] = '\0';
		for (n = 0; a[n]; n++)
			a[n] = (char)tolower((unsigned char)a[n]);
		r->action = a;
		r->any = 1;
	} else if (IS("Status") && r->status[0] == '\0') {
		status_find(v, r->status);
		r->any = 1;
	} else if (IS("Diagnostic-Code") && r->diag == NULL)
		r->diag = inbox_clean_line(v, strlen(v), DIAG_MAX);
#undef IS
}

/* Keeps the recipient r in d if it matters more than what d has. */
static void
keep(struct inbox_dsn *d, struct rcpt *r, int *have_action)
{
	int better;

	if (!r->any)
		return;
	d->nrcpt++;
	if (r->status[0] == '\0' && r->diag != NULL)
		status_find(r->diag, r->status);
	if (d->nrcpt == 1)
		better = 1;
	else if (d->permanent)
		better = 0;
	else if (rcpt_permanent(r))
		better = 1;
	else
		better = !*have_action && r->action != NULL;
	if (!better)
		return;
	free(d->rcpt);
	free(d->action);
	free(d->diagnostic);
	d->rcpt = r->final != NULL ? r->final : r->original;
	if (d->rcpt == r->final)
		free(r->original);
	else
		free(r->final);
	d->action = r->action;
	d->diagnostic = r->diag;
	memcpy(d->status, r->status, sizeof(d->status));
	d->permanent = rcpt_permanent(r);
	*have_action = r->action != NULL;
	memset(r, 0, sizeof(*r));
}

int
inbox_dsn_parse(const char *text, size_t len, struct inbox_dsn *d)
{
	const char *p = text, *end = text + len, *eol;
	struct rcpt r;
	struct buf line;
	int have_action = 0, blank;
	size_t blocks = 0, n;

	memset(d, 0, sizeof(*d));
	memset(&r, 0, sizeof(r));
	buf_init(&line);
	while (p < end && blocks < BLOCKS_MAX) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		blank = 1;
		{
			size_t i;

			for (i = 0; i < n; i++)
				if (p[i] != ' ' && p[i] != '\t')
					blank = 0;
		}
		if (n > 0 && (p[0] == ' ' || p[0] == '\t') && !blank) {
			/* a continuation of the field before */
			if (line.len + n < LINE_MAX_KEPT)
				buf_append(&line, p, n);
		} else {
			if (line.len > 0)
				field(&r, line.data);
			buf_reset(&line);
			if (blank) {
				keep(d, &r, &have_action);
				rcpt_free(&r);
				blocks++;
			} else
				buf_append(&line, p, n < LINE_MAX_KEPT ? n :
				    LINE_MAX_KEPT);
		}
		/* a NUL ends a field as the end of a line would */
		if (line.len > 0 && memchr(line.data, '\0', line.len) != NULL)
			line.len = strlen(line.data);
		p = eol < end ? eol + 1 : end;
	}
	if (line.len > 0)
		field(&r, line.data);
	keep(d, &r, &have_action);
	rcpt_free(&r);
	buf_free(&line);
	return d->nrcpt > 0 ? 0 : -1;
}

void
inbox_dsn_free(struct inbox_dsn *d)
{
	if (d == NULL)
		return;
	free(d->rcpt);
	free(d->action);
	free(d->diagnostic);
	memset(d, 0, sizeof(*d));
}

static int
addr_delim(char c)
{
	return c == '\0' || strchr(" \t\r\n<>,;:\"()[]", c) != NULL;
}

char *
inbox_verp_token(const char *s, const char *envelope_from)
{
	const char *at, *base_at, *p, *lstart, *dend, *tok;
	size_t blen, dlen, tlen, i;
	char *out;

	if (s == NULL || envelope_from == NULL ||
	    (base_at = strrchr(envelope_from, '@')) == NULL)
		return NULL;
	blen = (size_t)(base_at - envelope_from);
	if (blen >= 6 && strncmp(base_at - 6, "+TOKEN", 6) == 0)
		blen -= 6;
	dlen = strlen(base_at + 1);
	if (blen == 0 || dlen == 0)
		return NULL;
	for (p = s; (at = strchr(p, '@')) != NULL; p = at + 1) {
		for (lstart = at; lstart > s && !addr_delim(lstart[-1]); lstart--)
			;
		for (dend = at + 1; !addr_delim(*dend); dend++)
			;
		if ((size_t)(at - lstart) < blen + 2 ||
		    strncasecmp(lstart, envelope_from, blen) != 0 ||
		    lstart[blen] != '+' || (size_t)(dend - at - 1) != dlen ||
		    strncasecmp(at + 1, base_at + 1, dlen) != 0)
			continue;
		tok = lstart + blen + 1;
		tlen = (size_t)(at - tok);
		if (tlen == 0 || tlen > 64)
			continue;
		for (i = 0; i < tlen; i++)
			if (!isalnum((unsigned char)tok[i]) &&
			    strchr("._=-", tok[i]) == NULL)
				break;
		if (i < tlen)
			continue;
		out = xstrndup(tok, tlen);
		for (i = 0; i < tlen; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		return out;
	}
	return NULL;
}
