/*
 * inboxword: the words people write to us -- reply prefixes, command
 * words, out-of-office subjects -- and subscriber tokens in text. Pure text
 * (UTF-8), no libetpan; part of inbox_parse() (inboxparsepriv.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inboxparse.h"
#include "inboxparsepriv.h"
#include "mime.h"
#include "util.h"

/* The one list of command words (inboxparse.h). Lower case, as
 * utf8_fold() writes them. */
const char *const inbox_unsubscribe_words[] = {
	"abmelden", "unsubscribe", "austragen", "abmeldung", NULL
};
const char *const inbox_subscribe_words[] = {
	"anmelden", "subscribe", NULL
};
const char *const inbox_confirm_words[] = {
	"bestaetigen", "bestätigen", "confirm", NULL
};

/* Reply and forward prefixes, lower case, without the colon. */
static const char *const prefixes[] = {
	"re", "aw", "antw", "antwort", "wg", "fwd", "fw", "tr", "sv", "vs",
	NULL
};

/* Subjects of automatic replies: anywhere in the subject ... */
static const char *const ooo_anywhere[] = {
	"automatische antwort", "automatic reply", "out of office",
	"out of the office", "abwesenheitsnotiz", "autoreply", "auto-reply",
	"auto reply", "nicht im büro", "im urlaub", "abwesenheitsmeldung",
	"vacation reply", NULL
};
/* ... or at its start. */
static const char *const ooo_start[] = {
	"abwesend", "abwesenheit", "urlaub", "auto:", "vacation", NULL
};

/* Letters and digits end a word or a token; other scripts' letters do
 * not count (a closing „quote“ is UTF-8 too). */
static int
is_alnum_byte(unsigned char c)
{
	return isalnum(c);
}

/* Space, or U+00A0 (2 bytes). Returns the length, or 0. */
static size_t
space_len(const char *s)
{
	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

static const char *
skip_space(const char *s)
{
	size_t n;

	while ((n = space_len(s)) > 0)
		s += n;
	return s;
}

const char *
inbox_strip_prefixes(const char *s)
{
	const char *p, *q;
	size_t i, n;

	for (;;) {
		s = skip_space(s);
		for (i = 0; prefixes[i] != NULL; i++) {
			n = strlen(prefixes[i]);
			if (strncasecmp(s, prefixes[i], n) != 0)
				continue;
			p = s + n;
			if (*p == '[' || *p == '^' || *p == '(') {
				/* "Re[2]:", "Re^2:", "AW(2):" */
				q = p + 1;
				while (isdigit((unsigned char)*q))
					q++;
				if (q == p + 1)
					continue;
				if (*p != '^' && *q != (*p == '[' ? ']' : ')'))
					continue;
				p = *p == '^' ? q : q + 1;
			}
			while (*p == ' ' || *p == '\t')
				p++;		/* "RE :" */
			if (*p == ':' || ((unsigned char)p[0] == 0xef &&
			    (unsigned char)p[1] == 0xbc &&
			    (unsigned char)p[2] == 0x9a)) {	/* U+FF1A */
				s = p + (*p == ':' ? 1 : 3);
				break;
			}
		}
		if (prefixes[i] == NULL)
			return s;
	}
}

/* Punctuation tolerated around a command: ASCII, and the quotes German
 * and English text use („ “ ” ‘ ’ « »). Returns its length, or 0. */
static size_t
punct_len(const char *s)
{
	static const char *const quotes[] = { "„", "“", "”", "‘", "’", "«",
	    "»", "‚", NULL };
	size_t i;

	if (*s != '\0' && strchr(".,;:!?-\"'()*_~", *s) != NULL)
		return 1;
	for (i = 0; quotes[i] != NULL; i++)
		if (strncmp(s, quotes[i], strlen(quotes[i])) == 0)
			return strlen(quotes[i]);
	return 0;
}

static const char *
skip_punct_space(const char *s)
{
	size_t n;

	while ((n = space_len(s)) > 0 || (n = punct_len(s)) > 0)
		s += n;
	return s;
}

/* 1 if s starts with a token of exactly 32 hex digits (not followed by a
 * letter or digit). */
static int
token_at(const char *s)
{
	size_t i;

	for (i = 0; i < INBOX_TOKEN_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return !is_alnum_byte((unsigned char)s[INBOX_TOKEN_LEN]);
}

static void
token_copy(const char *s, char token[INBOX_TOKEN_LEN + 1])
{
	size_t i;

	for (i = 0; i < INBOX_TOKEN_LEN; i++)
		token[i] = (char)tolower((unsigned char)s[i]);
	token[INBOX_TOKEN_LEN] = '\0';
}

/* The length of the word of list that s (folded) starts with, followed
 * by something that is not a letter or digit; 0 if none. */
static size_t
word_at(const char *s, const char *const *list)
{
	size_t i, n;

	for (i = 0; list[i] != NULL; i++) {
		n = strlen(list[i]);
		if (strncmp(s, list[i], n) == 0 &&
		    !is_alnum_byte((unsigned char)s[n]))
			return n;
	}
	return 0;
}

enum inbox_cmd
inbox_command(const char *s, char token[INBOX_TOKEN_LEN + 1])
{
	static const struct {
		const char *const *words;
		enum inbox_cmd cmd;
	} lists[] = {
		{ inbox_unsubscribe_words, INBOX_CMD_UNSUBSCRIBE },
		{ inbox_subscribe_words, INBOX_CMD_SUBSCRIBE },
		{ inbox_confirm_words, INBOX_CMD_CONFIRM },
	};
	enum inbox_cmd cmd = INBOX_CMD_NONE;
	char *f;
	const char *p;
	size_t i, n = 0;

	token[0] = '\0';
	if (s == NULL)
		return INBOX_CMD_NONE;
	f = utf8_fold(inbox_strip_prefixes(s));
	p = skip_punct_space(f);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if ((n = word_at(p, lists[i].words)) > 0) {
			cmd = lists[i].cmd;
			break;
		}
	if (cmd == INBOX_CMD_NONE)
		goto out;
	p += n;
	/* separator: white space, ':', "%20" (a mailto not decoded) */
	for (;;) {
		if ((n = space_len(p)) > 0)
			p += n;
		else if (*p == ':')
			p++;
		else if (strncmp(p, "%20", 3) == 0)
			p += 3;
		else
			break;
	}
	if (token_at(p)) {
		token_copy(p, token);
		p += INBOX_TOKEN_LEN;
	}
	if (*skip_punct_space(p) != '\0') {
		cmd = INBOX_CMD_NONE;	/* more words: not a command */
		token[0] = '\0';
	}
out:
	free(f);
	return cmd;
}

int
inbox_ooo_subject(const char *subject)
{
	char *f;
	const char *p;
	size_t i;
	int hit = 0;

	if (subject == NULL)
		return 0;
	f = utf8_fold(subject);
	for (i = 0; !hit && ooo_anywhere[i] != NULL; i++)
		hit = strstr(f, ooo_anywhere[i]) != NULL;
	p = skip_punct_space(inbox_strip_prefixes(f));
	for (i = 0; !hit && ooo_start[i] != NULL; i++)
		hit = strncmp(p, ooo_start[i], strlen(ooo_start[i])) == 0;
	free(f);
	return hit;
}

/* 1 if the text before the token, s[0..at), ends with an unsubscribe
 * word and a separator (" ", ":", "%20", "/", "=", "+"), or is a link of
 * rundbrief-web that is not the confirmation's: /u/ (unsubscribe), /p/
 * (preferences), /r/ (RSVP), which every newsletter footer carries. */
static int
after_unsubscribe(const char *s, size_t at)
{
	size_t i, j, n, end = at;

	if (at >= 3 && s[at - 1] == '/' && s[at - 3] == '/' &&
	    strchr("upr", s[at - 2]) != NULL)
		return 1;
	while (end > 0) {
		if (end >= 3 && strncmp(s + end - 3, "%20", 3) == 0)
			end -= 3;
		else if (strchr(" \t/:=+", s[end - 1]) != NULL)
			end--;
		else
			break;
	}
	if (end == at)
		return 0;
	for (i = 0; inbox_unsubscribe_words[i] != NULL; i++) {
		n = strlen(inbox_unsubscribe_words[i]);
		if (end < n)
			continue;
		for (j = 0; j < n; j++)
			if (tolower((unsigned char)s[end - n + j]) !=
			    inbox_unsubscribe_words[i][j])
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

int
inbox_find_token(const char *s, size_t len, int skip_unsubscribe,
    char token[INBOX_TOKEN_LEN + 1])
{
	size_t i = 0, run;

	token[0] = '\0';
	while (i < len) {
		if (!is_alnum_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		/* a run of letters and digits: a token is exactly 32 hex */
		for (run = 0; i + run < len &&
		    is_alnum_byte((unsigned char)s[i + run]); run++)
			;
		if (i > 0 && s[i - 1] == '%' && run >= 2 &&
		    isxdigit((unsigned char)s[i]) &&
		    isxdigit((unsigned char)s[i + 1])) {
			i += 2;		/* "%20TOKEN": an escape, then the run */
			run -= 2;
		}
		if (run == INBOX_TOKEN_LEN) {
			size_t k;

			for (k = 0; k < run; k++)
				if (!isxdigit((unsigned char)s[i + k]))
					break;
			/* "HEX@domain" is a Message-ID or UID, not a token */
			if (k == run && !(i + run < len && s[i + run] == '@') &&
			    !(skip_unsubscribe && after_unsubscribe(s, i))) {
				token_copy(s + i, token);
				return 1;
			}
		}
		i += run;
	}
	return 0;
}

char *
inbox_first_line(const char *text, size_t len, size_t max)
{
	const char *p = text, *end = text + len, *eol, *a, *b;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		a = p;
		b = eol;
		for (;;) {
			if (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
				a++;
			else if (b - a >= 2 && (unsigned char)a[0] == 0xc2 &&
			    (unsigned char)a[1] == 0xa0)
				a += 2;
			else if (b - a >= 3 && memcmp(a, "\xef\xbb\xbf", 3) == 0)
				a += 3;		/* a BOM */
			else
				break;
		}
		for (;;) {
			if (b > a && (b[-1] == ' ' || b[-1] == '\t' ||
			    b[-1] == '\r'))
				b--;
			else if (b - a >= 2 && (unsigned char)b[-2] == 0xc2 &&
			    (unsigned char)b[-1] == 0xa0)
				b -= 2;
			else
				break;
		}
		if (b > a && memchr(a, '\0', (size_t)(b - a)) == NULL)
			return inbox_clean_line(a, (size_t)(b - a), max);
		p = eol < end ? eol + 1 : end;
	}
	return NULL;
}

char *
inbox_clean_line(const char *s, size_t len, size_t max)
{
	struct buf raw, out;
	size_t i, cut;

	buf_init(&raw);
	buf_init(&out);
	mime_clean_header_value(s, len, &raw);
	for (i = 0; i < raw.len; i++) {
		if (raw.data[i] == ' ' && (out.len == 0 ||
		    out.data[out.len - 1] == ' '))
			continue;
		buf_putc(&out, raw.data[i]);
	}
	while (out.len > 0 && out.data[out.len - 1] == ' ')
		out.data[--out.len] = '\0';
	if (max >= 4 && out.len > max) {
		cut = max - 3;
		while (cut > 0 && ((unsigned char)out.data[cut] & 0xc0) == 0x80)
			cut--;
		out.len = cut;
		buf_puts(&out, "…");
	}
	buf_free(&raw);
	return buf_steal(&out);
}
