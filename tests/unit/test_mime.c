/*
 * Unit tests for mime_build(): whole messages (headers, structure, hostile
 * input, errors) and a real parser: Python's email package checks the
 * messages through tests/integration/mime_check.py. The encoders on their
 * own are tested in test_mime_enc.c.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>

#include "mime.h"
#include "util.h"

#include "mime_decode.h"

/* A minimal valid message; tests change what they need. */
static struct mime_msg
base_msg(void)
{
	struct mime_msg m;

	memset(&m, 0, sizeof(m));
	m.from_addr = "rundbrief@example.org";
	m.to_addr = "max@example.com";
	m.subject = "Hallo";
	m.date = 1700000000;	/* Tue, 14 Nov 2023 22:13:20 UTC */
	m.text = "Hallo Welt\n";
	m.text_len = strlen(m.text);
	return m;
}

static char *
build_ok(const struct mime_msg *m, size_t *len, char **id)
{
	struct buf b;
	char *err = NULL;

	buf_init(&b);
	if (mime_build(m, &b, id, &err) != 0)
		fail_msg("mime_build: %s", err);
	check_lines(b.data, b.len);
	*len = b.len;
	return buf_steal(&b);
}

/* ---- whole messages ---- */

#define LONG_URL "<https://rundbrief.example.org/unsubscribe?list=kreis" \
	"&token=0123456789abcdef0123456789abcdef0123456789abcdef>"

static const struct mime_header list_headers[] = {
	{ "List-Id", "Rundbrief Kreis G\xc3\xb6ttingen <kreis.rundbrief."
	    "example.org>", 0 },
	{ "List-Unsubscribe", LONG_URL ", <mailto:unsubscribe@example.org"
	    "?subject=unsubscribe>", MIME_HDR_RAW },
	{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click", 0 },
	{ "Precedence", "bulk", 0 },
	{ "Auto-Submitted", "auto-generated", 0 },
};

static const char subject_de_ar[] = "Einladung: Sprachcaf\xc3\xa9 f\xc3\xbcr "
    "Gefl\xc3\xbc" "chtete \xe2\x80\x93 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8"
    "\xd8\xa7 \xd8\xa8\xd9\x83\xd9\x85 \xf0\x9f\x8e\x89 am Montag, 3. "
    "M\xc3\xa4rz";

static const char html_body[] = "<html><body><p>Hallo Max,</p>\n<p>Gr\xc3\xbc"
    "\xc3\x9f" "e &amp; bis bald &ndash; <a href=\"https://example.org/"
    "events/42?x=1&amp;y=2\">Details</a></p>\n</body></html>\n";

static struct mime_msg
newsletter_msg(void)
{
	struct mime_msg m = base_msg();

	m.from_name = "Kreis G\xc3\xb6ttingen \xe2\x80\x93 Rundbrief";
	m.to_name = "Dr. Max \"Maxi\" Mustermann, Jr.";
	m.reply_to_addr = "info@example.org";
	m.subject = subject_de_ar;
	m.utc_offset = 3600;
	m.extra = list_headers;
	m.n_extra = sizeof(list_headers) / sizeof(list_headers[0]);
	m.text = "Hallo Max,\n\nein langer Absatz, der weit \xc3\xbc" "ber "
	    "sechsundsiebzig Zeichen hinausgeht, damit weiche Zeilenumbr"
	    "\xc3\xbc" "che entstehen m\xc3\xbcssen.   \n-- \nAbmelden: "
	    "https://example.org/u?t=abc\n";
	m.text_len = strlen(m.text);
	m.html = html_body;
	m.html_len = strlen(html_body);
	return m;
}

/* The boundary of the Content-Type value v (boundary="..."). */
static void
get_boundary(const char *msg, const struct hdrs *h, size_t i, char *out)
{
	const char *p = memmem(msg + h->vstart[i], h->vend[i] - h->vstart[i],
	    "boundary=\"", 10);
	const char *q;

	assert_non_null(p);
	p += 10;
	q = strchr(p, '"');
	assert_non_null(q);
	assert_true(q - p < 64);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

/* Number of lines of msg that are exactly line (without CRLF). */
static size_t
count_lines(const char *msg, const char *line)
{
	size_t n = 0, l = strlen(line);
	const char *p = msg;

	for (p = msg; (p = strstr(p, line)) != NULL; p += l)
		if ((p == msg || p[-1] == '\n') && p[l] == '\r')
			n++;
	return n;
}

static void
test_newsletter(void **state)
{
	static const char *const names[] = { "Date", "Message-ID", "From",
	    "Reply-To", "To", "Subject", "List-Id", "List-Unsubscribe",
	    "List-Unsubscribe-Post", "Precedence", "Auto-Submitted",
	    "MIME-Version", "Content-Type", NULL };
	struct mime_msg m = newsletter_msg();
	struct hdrs h;
	char *msg, *id, *dec, bnd[64], delim[80], idh[120];
	size_t len, i;

	(void)state;
	msg = build_ok(&m, &len, &id);
	parse_headers(msg, len, &h, 998);
	assert_names(&h, names);
	for (i = 0; i < h.n; i++) {
		const char *p;
		size_t col = 0;

		/* Lines within 78, but for the long raw URL. */
		if (strcmp(h.name[i], "List-Unsubscribe") == 0)
			continue;
		for (p = msg + h.vstart[i] - strlen(h.name[i]) - 1;
		    p < msg + h.vend[i]; p++) {
			col = *p == '\n' ? 0 : col + 1;
			assert_true(col <= 79);	/* with the CR */
		}
	}
	i = hidx(&h, "Date");
	assert_memory_equal(msg + h.vstart[i],
	    " Tue, 14 Nov 2023 23:13:20 +0100",
	    h.vend[i] - h.vstart[i]);
	assert_int_equal(strlen(id), 32 + 12);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	assert_string_equal(id + 32, "@example.org");
	snprintf(idh, sizeof(idh), " <%s>", id);
	i = hidx(&h, "Message-ID");
	assert_memory_equal(msg + h.vstart[i], idh, strlen(idh));
	i = hidx(&h, "Subject");
	dec = decode_words(msg + h.vstart[i], h.vend[i] - h.vstart[i]);
	assert_string_equal(dec, subject_de_ar);
	free(dec);
	i = hidx(&h, "From");
	dec = decode_words(msg + h.vstart[i], h.vend[i] - h.vstart[i]);
	assert_string_equal(dec, "Kreis G\xc3\xb6ttingen \xe2\x80\x93 "
	    "Rundbrief <rundbrief@example.org>");
	free(dec);
	i = hidx(&h, "To");
	assert_memory_equal(msg + h.vstart[i], " \"Dr. Max \\\"Maxi\\\" "
	    "Mustermann, Jr.\" <max@example.com>", h.vend[i] - h.vstart[i]);
	i = hidx(&h, "List-Unsubscribe-Post");
	assert_memory_equal(msg + h.vstart[i], " List-Unsubscribe=One-Click",
	    h.vend[i] - h.vstart[i]);
	i = hidx(&h, "List-Unsubscribe");
	assert_memory_equal(msg + h.vstart[i], " " LONG_URL ",\r\n <mailto:",
	    strlen(LONG_URL) + 13);
	i = hidx(&h, "Content-Type");
	assert_memory_equal(msg + h.vstart[i], " multipart/alternative;", 23);
	get_boundary(msg, &h, i, bnd);
	assert_int_equal(strncmp(bnd, "=_A", 3), 0);
	snprintf(delim, sizeof(delim), "--%s", bnd);
	assert_memory_equal(msg + h.body, delim, strlen(delim));
	assert_int_equal(count_lines(msg, delim), 2);
	strcat(delim, "--");
	assert_int_equal(count_lines(msg, delim), 1);
	assert_memory_equal(msg + len - strlen(delim) - 2, delim,
	    strlen(delim));
	free(id);
	free(msg);
}

static const char ics[] = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//rundbrief"
    "//DE\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:42@example.org\nSUMMARY:Sprach"
    "caf\xc3\xa9 \xf0\x9f\x8e\x89\nDTSTART:20240304T170000Z\nEND:VEVENT\n"
    "END:VCALENDAR\n";

static const struct mime_attachment atts[] = {
	{ "\xc3\x9c" "bersicht M\xc3\xa4rz 2024 \xe2\x80\x93 ein sehr langer "
	    "Dateiname f\xc3\xbcr den Test.pdf", "application/pdf",
	    "%PDF-1.4\n\x00\x01\x02\xff binary", 21 },
	{ "notes.txt", NULL, "plain notes\r\n", 13 },
};

static struct mime_msg
invitation_msg(void)
{
	struct mime_msg m = newsletter_msg();

	m.extra = NULL;
	m.n_extra = 0;
	m.subject = "Einladung: Sprachcaf\xc3\xa9";
	m.calendar = ics;
	m.calendar_len = strlen(ics);
	m.calendar_method = "REQUEST";
	m.att = atts;
	m.n_att = 2;
	return m;
}

/* The Content-Type lines of every part, in order, and checks that the
 * text/calendar part has no Content-Disposition or Content-ID. */
static void
test_invitation(void **state)
{
	static const char *const types[] = {
	    "Content-Type: multipart/mixed;",
	    "Content-Type: multipart/alternative;",
	    "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    "Content-Type: text/html; charset=\"UTF-8\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    "Content-Type: text/calendar; charset=\"UTF-8\"; method=\"REQUEST\""
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    "Content-Type: application/ics; name=\"invite.ics\"\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
	    "attachment; filename=\"invite.ics\"\r\n\r\n",
	    "Content-Type: application/pdf\r\nContent-Transfer-Encoding: "
	    "base64\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''"
	    "%C3%9Cbersicht%20M%C3%A4rz%202024%20%E2%80%93%20ein%20seh;\r\n "
	    "filename*1*=r%20langer%20Dateiname%20f%C3%BCr%20den%20Test.pdf"
	    "\r\n\r\n",
	    "Content-Type: application/octet-stream; name=\"notes.txt\"\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
	    "attachment; filename=\"notes.txt\"\r\n\r\n",
	    NULL };
	struct mime_msg m = invitation_msg();
	struct buf want, got;
	const char *p, *cal, *att, *e;
	char *msg, *id;
	size_t len, i;

	(void)state;
	msg = build_ok(&m, &len, &id);
	p = msg;
	for (i = 0; types[i] != NULL; i++) {
		p = strstr(p, "Content-Type: ");
		assert_non_null(p);
		assert_memory_equal(p, types[i], strlen(types[i]));
		p++;
	}
	assert_null(strstr(p, "Content-Type: "));
	assert_null(strstr(msg, "Content-ID"));
	/* Calendar part and invite.ics carry the same CRLF object. */
	buf_init(&want);
	buf_init(&got);
	crlf(ics, strlen(ics), &want);
	cal = strstr(msg, "text/calendar");
	cal = strstr(cal, "\r\n\r\n") + 4;
	e = strstr(cal, "\r\n--");
	b64_decode(cal, (size_t)(e - cal), &got);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, got.len);
	att = strstr(strstr(msg, "invite.ics"), "\r\n\r\n") + 4;
	assert_memory_equal(att, cal, (size_t)(e - cal) + 2);
	buf_free(&want);
	buf_free(&got);
	free(id);
	free(msg);
}

static void
test_structures(void **state)
{
	static const char *const single[] = { "Date", "Message-ID", "From",
	    "To", "Subject", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding", NULL };
	struct mime_msg m = base_msg();
	struct hdrs h;
	char *msg, *id;
	size_t len, i;

	(void)state;
	/* Text alone: one part. Negative zone, Message-ID domain given. */
	m.utc_offset = -(9 * 3600 + 30 * 60);
	m.msgid_domain = "lists.example.net";
	m.subject = NULL;
	msg = build_ok(&m, &len, &id);
	parse_headers(msg, len, &h, 78);
	assert_names(&h, (const char *const []){ "Date", "Message-ID",
	    "From", "To", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding", NULL });
	assert_non_null(strstr(msg,
	    "Date: Tue, 14 Nov 2023 12:43:20 -0930\r\n"));
	assert_non_null(strstr(id, "@lists.example.net"));
	assert_string_equal(msg + h.body, "Hallo Welt\r\n");
	i = hidx(&h, "Content-Type");
	assert_memory_equal(msg + h.vstart[i], " text/plain; charset=\"UTF-8\"",
	    h.vend[i] - h.vstart[i]);
	free(msg);
	free(id);
	/* HTML alone, no final line break: the message still ends in CRLF. */
	m = base_msg();
	m.text = NULL;
	m.html = "<p>x</p>";
	m.html_len = 8;
	msg = build_ok(&m, &len, &id);
	parse_headers(msg, len, &h, 78);
	assert_names(&h, single);
	assert_string_equal(msg + h.body, "<p>x</p>\r\n");
	assert_non_null(strstr(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000"));
	free(msg);
	free(id);
	/* The local zone's offset follows daylight saving time. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_int_equal(mime_utc_offset(1700000000), 3600);	/* November */
	assert_int_equal(mime_utc_offset(1690000000), 7200);	/* July */
	unsetenv("TZ");
	tzset();
	/* Text and an attachment: multipart/mixed without alternative. */
	m = base_msg();
	m.att = atts + 1;
	m.n_att = 1;
	msg = build_ok(&m, &len, NULL);
	assert_non_null(strstr(msg, "Content-Type: multipart/mixed;"));
	assert_null(strstr(msg, "multipart/alternative"));
	assert_true(strstr(msg, "Content-Type: text/plain") != NULL &&
	    strstr(msg, "Content-Type: text/plain") <
	    strstr(msg, "Content-Type: application/octet-stream"));
	free(msg);
	/* HTML and calendar: alternative of html and calendar. */
	m = base_msg();
	m.text = NULL;
	m.html = "<p>abgesagt</p>";
	m.html_len = strlen(m.html);
	m.calendar = ics;
	m.calendar_len = strlen(ics);
	m.calendar_method = "CANCEL";
	msg = build_ok(&m, &len, NULL);
	assert_non_null(strstr(msg, "method=\"CANCEL\""));
	assert_null(strstr(msg, "text/plain"));
	free(msg);
}

/* ---- hostile input ---- */

struct hostile {
	const char	*in;
	const char	*want;	/* cleaned and trimmed */
};

static struct hostile *
hostile_corpus(size_t *n)
{
	static struct hostile h[16];
	static char as[3001], us[3001];
	size_t i = 0, k;

	memset(as, 'A', 3000);
	for (k = 0; k < 1500; k++)
		memcpy(us + 2 * k, "\xc3\x9c", 2);
	h[i++] = (struct hostile){ "Hallo\r\nBcc: victim@example.net",
	    "Hallo  Bcc: victim@example.net" };
	h[i++] = (struct hostile){ "Hallo\nBcc: victim@example.net\n",
	    "Hallo Bcc: victim@example.net" };
	h[i++] = (struct hostile){ "x\r\n\r\n<html><body>pwned</body></html>",
	    "x    <html><body>pwned</body></html>" };
	h[i++] = (struct hostile){ "\r\n--=_A000000000000000000000000\r\n"
	    "Content-Type: text/html\r\n\r\nfake",
	    "--=_A000000000000000000000000  Content-Type: text/html    fake" };
	h[i++] = (struct hostile){ as, as };
	h[i++] = (struct hostile){ us, us };
	h[i++] = (struct hostile){ "=?UTF-8?B?QmNjOiB2aWN0aW1AZXhhbXBsZS5uZXQ="
	    "?=", "=?UTF-8?B?QmNjOiB2aWN0aW1AZXhhbXBsZS5uZXQ=?=" };
	h[i++] = (struct hostile){ "\x01\x02\x1b[31mred\x7f", "[31mred" };
	h[i++] = (struct hostile){ "\xff\xfe\xc3(",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(" };
	h[i++] = (struct hostile){ "\"Quoted\", <angle> @ (comment) \\ back",
	    "\"Quoted\", <angle> @ (comment) \\ back" };
	h[i++] = (struct hostile){ "   leading and  trailing   ",
	    "leading and  trailing" };
	h[i++] = (struct hostile){ "a\rb", "a b" };
	h[i++] = (struct hostile){ "\t\r\n", "" };
	h[i++] = (struct hostile){ "Gr\xc3\xbc\xc3\x9f" "e, \xc3\x9cnal (Caf"
	    "\xc3\xa9) \"Zitat\"", "Gr\xc3\xbc\xc3\x9f" "e, \xc3\x9cnal (Caf"
	    "\xc3\xa9) \"Zitat\"" };
	*n = i;
	return h;
}

static struct mime_msg
hostile_msg(const struct hostile *h, struct mime_header *x,
    struct mime_attachment *a)
{
	struct mime_msg m = base_msg();

	m.subject = h->in;
	m.from_name = h->in;
	m.to_name = h->in;
	x->name = "X-Event";
	x->value = h->in;
	x->flags = 0;
	m.extra = x;
	m.n_extra = 1;
	m.html = h->in;
	m.html_len = strlen(h->in);
	a->filename = h->in;
	a->content_type = "text/plain";
	a->data = h->in;
	a->len = strlen(h->in);
	m.att = a;
	m.n_att = 1;
	return m;
}

static void
test_hostile(void **state)
{
	static const char *const names[] = { "Date", "Message-ID", "From",
	    "To", "Subject", "X-Event", "MIME-Version", "Content-Type", NULL };
	struct hostile *hc;
	struct mime_header x;
	struct mime_attachment a;
	struct mime_msg m;
	struct hdrs h;
	char *msg, *dec, bnd[64], delim[80];
	size_t n, k, len, i, j;

	(void)state;
	hc = hostile_corpus(&n);
	for (k = 0; k < n; k++) {
		m = hostile_msg(&hc[k], &x, &a);
		msg = build_ok(&m, &len, NULL);
		/* Exactly our headers, all lines within 78, and the first
		 * empty line is followed by the first boundary. */
		parse_headers(msg, len, &h, 78);
		assert_names(&h, names);
		get_boundary(msg, &h, hidx(&h, "Content-Type"), bnd);
		snprintf(delim, sizeof(delim), "--%s\r\n", bnd);
		assert_memory_equal(msg + h.body, delim, strlen(delim));
		assert_null(memmem(msg, h.body, "\nBcc", 4));
		assert_null(memmem(msg, h.body, "\n<html>", 7));
		assert_null(memmem(msg, h.body, "\nContent-Type: text/html",
		    24));
		/* Exactly 3 delimiters of each boundary (2 alternative
		 * parts + close, 2 mixed parts + close). */
		snprintf(delim, sizeof(delim), "--%s", bnd);
		assert_int_equal(count_lines(msg, delim), 2);
		for (j = 0; j < 2; j++) {
			i = hidx(&h, j == 0 ? "Subject" : "X-Event");
			dec = decode_words(msg + h.vstart[i], h.vend[i] -
			    h.vstart[i]);
			assert_string_equal(dec, hc[k].want);
			free(dec);
		}
		free(msg);
	}
}

/* ---- errors ---- */

static void
assert_build_fails(const struct mime_msg *m, const char *why)
{
	struct buf b;
	char *err = NULL, *id = NULL;

	buf_init(&b);
	buf_puts(&b, "PREFIX");
	if (mime_build(m, &b, &id, &err) != -1)
		fail_msg("built a message with %s", why);
	assert_non_null(err);
	assert_null(id);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "PREFIX");
	assert_int_equal(mime_build(m, &b, NULL, NULL), -1);
	assert_int_equal(b.len, 6);
	free(err);
	buf_free(&b);
}

static void
test_errors(void **state)
{
	static const char *const addrs[] = { "victim@x.org\r\nBcc: a@b.de",
	    "a b@c.de", "a,b@c.de", "<a@b.de>", "a@b.de\n", "", NULL };
	static const char *const hnames[] = { "Bcc\r\nX-A", "X:Y", "",
	    "From", "content-type", "Content-Disposition", "message-id",
	    "X-\xc3\x9c", "X A", "X-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAA", NULL };
	struct mime_header x = { "X-Test", "v", 0 };
	struct mime_attachment a = { "a.txt", "text/plain", "x", 1 };
	struct mime_msg m;
	char longword[1200];
	size_t i;

	(void)state;
	for (i = 0; addrs[i] != NULL; i++) {
		m = base_msg();
		m.to_addr = addrs[i];
		assert_build_fails(&m, "a bad To address");
		m = base_msg();
		m.from_addr = addrs[i];
		assert_build_fails(&m, "a bad From address");
		m = base_msg();
		m.reply_to_addr = addrs[i];
		assert_build_fails(&m, "a bad Reply-To address");
	}
	m = base_msg();
	m.to_addr = NULL;
	assert_build_fails(&m, "no To address");
	m = base_msg();
	m.extra = &x;
	m.n_extra = 1;
	for (i = 0; hnames[i] != NULL; i++) {
		x.name = hnames[i];
		assert_build_fails(&m, hnames[i]);
	}
	x.name = "List-Unsubscribe";
	x.flags = MIME_HDR_RAW;
	x.value = "<https://example.org/\xc3\xbc>";
	assert_build_fails(&m, "a non-ASCII raw header");
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	x.value = longword;
	assert_build_fails(&m, "an unfoldable raw header");
	x.flags = 0;	/* as text it is fine */
	free(build_ok(&m, &i, NULL));
	m = base_msg();
	m.text = NULL;
	assert_build_fails(&m, "no body");
	m = base_msg();
	m.calendar = ics;
	m.calendar_len = strlen(ics);
	assert_build_fails(&m, "a calendar without method");
	m.calendar_method = "REQUEST\r\nX-A: b";
	assert_build_fails(&m, "a bad calendar method");
	m.calendar_method = "REQUEST";
	m.calendar_len = 0;
	assert_build_fails(&m, "an empty calendar");
	m = base_msg();
	m.msgid_domain = "example.org\r\n";
	assert_build_fails(&m, "a bad Message-ID domain");
	m.msgid_domain = "host_name";
	assert_build_fails(&m, "a bad Message-ID domain");
	m = base_msg();
	m.utc_offset = 90000;
	assert_build_fails(&m, "a bad UTC offset");
	m = base_msg();
	m.att = &a;
	m.n_att = 1;
	a.content_type = "text/plain; charset=x";
	assert_build_fails(&m, "a bad attachment type");
	a.content_type = "text/";
	assert_build_fails(&m, "a bad attachment type");
	a.content_type = "multipart/mixed";
	assert_build_fails(&m, "a multipart attachment");
	a.content_type = "Message/rfc822";
	assert_build_fails(&m, "a message attachment");
	a.content_type = "text/pl\xc3\xa4in";
	assert_build_fails(&m, "a non-ASCII attachment type");
	a.content_type = "text/plain";
	a.filename = NULL;
	assert_build_fails(&m, "an attachment without name");
}

static void
test_unique(void **state)
{
	struct mime_msg m = newsletter_msg();
	struct hdrs h1, h2;
	char *m1, *m2, *id1, *id2, b1[64], b2[64];
	size_t l1, l2;

	(void)state;
	m1 = build_ok(&m, &l1, &id1);
	m2 = build_ok(&m, &l2, &id2);
	assert_string_not_equal(id1, id2);
	parse_headers(m1, l1, &h1, 998);
	parse_headers(m2, l2, &h2, 998);
	get_boundary(m1, &h1, hidx(&h1, "Content-Type"), b1);
	get_boundary(m2, &h2, hidx(&h2, "Content-Type"), b2);
	assert_string_not_equal(b1, b2);
	assert_int_equal(strlen(b1), 27);
	free(m1);
	free(m2);
	free(id1);
	free(id2);
}

/* ---- a real parser: Python's email package ---- */

static json_object *
jstrs(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *
jhex(const void *data, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = data;
	json_object *o;
	char *s = malloc(2 * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[2 * i] = hx[p[i] >> 4];
		s[2 * i + 1] = hx[p[i] & 0xf];
	}
	o = json_object_new_string_len(s, (int)(2 * n));
	free(s);
	return o;
}

/* {"NAME": [[display, addr]]} entries, added to the "addresses" object. */
static void
jaddr(json_object *exp, const char *hdr, const char *display,
    const char *addr)
{
	json_object *all, *one, *pair;

	if (!json_object_object_get_ex(exp, "addresses", &all)) {
		all = json_object_new_object();
		json_object_object_add(exp, "addresses", all);
	}
	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string(display));
	json_object_array_add(pair, json_object_new_string(addr));
	one = json_object_new_array();
	json_object_array_add(one, pair);
	json_object_object_add(all, hdr, one);
}

static void
jset(json_object *o, const char *key, const char *sub, const char *val)
{
	json_object *d;

	if (!json_object_object_get_ex(o, key, &d)) {
		d = json_object_new_object();
		json_object_object_add(o, key, d);
	}
	json_object_object_add(d, sub, json_object_new_string(val));
}

static void
write_file(const char *dir, const char *name, const char *ext,
    const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Builds m into DIR/NAME.eml with expectations exp (consumed) in
 * DIR/NAME.json; returns the message (caller frees) and its length if
 * lenp is not NULL. */
static char *
write_case(const char *dir, const char *name, const struct mime_msg *m,
    json_object *exp, size_t *lenp)
{
	json_object *d = json_object_new_object();
	const char *js;
	char *msg, *id;
	size_t len;

	msg = build_ok(m, &len, &id);
	json_object_object_add(exp, "message_id", json_object_new_string(id));
	json_object_object_add(d, "epoch", json_object_new_int64(m->date));
	json_object_object_add(d, "utcoffset",
	    json_object_new_int64(m->utc_offset));
	json_object_object_add(exp, "date", d);
	write_file(dir, name, "eml", msg, len);
	js = json_object_to_json_string_ext(exp, JSON_C_TO_STRING_PRETTY);
	write_file(dir, name, "json", js, strlen(js));
	json_object_put(exp);
	free(id);
	if (lenp == NULL) {
		free(msg);
		return NULL;
	}
	*lenp = len;
	return msg;
}

/* Removes dir and the files in it. */
static void
rm_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Two temporary directories: messages that must pass, and one that must
 * not. Removed by the teardown, also when the test fails. */
struct tmpdirs {
	char	ok[32];
	char	bad[32];
};

static int
make_dirs(void **state)
{
	struct tmpdirs *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->ok, "/tmp/test_mime.XXXXXX");
	strcpy(t->bad, "/tmp/test_mime.XXXXXX");
	if (mkdtemp(t->ok) == NULL || mkdtemp(t->bad) == NULL) {
		rmdir(t->ok);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int
remove_dirs(void **state)
{
	struct tmpdirs *t = *state;

	rm_dir(t->ok);
	rm_dir(t->bad);
	free(t);
	return 0;
}

/* Exit status of mime_check.py on dir. */
static int
run_checker(const char *dir)
{
	const char *src = getenv("RUNDBRIEF_SRC");
	char cmd[1024];
	int rc;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/integration/"
	    "mime_check.py %s", src != NULL ? src : ".", dir);
	rc = system(cmd);
	assert_true(rc != -1 && WIFEXITED(rc));
	return WEXITSTATUS(rc);
}

static void
test_real_parser(void **state)
{
	static const char *const nl_names[] = { "Date", "Message-ID", "From",
	    "Reply-To", "To", "Subject", "List-Id", "List-Unsubscribe",
	    "List-Unsubscribe-Post", "Precedence", "Auto-Submitted",
	    "MIME-Version", "Content-Type", NULL };
	static const char *const inv_names[] = { "Date", "Message-ID", "From",
	    "Reply-To", "To", "Subject", "MIME-Version", "Content-Type", NULL };
	static const char *const host_names[] = { "Date", "Message-ID", "From",
	    "To", "Subject", "X-Event", "MIME-Version", "Content-Type", NULL };
	static const char *const plain_names[] = { "Date", "Message-ID",
	    "From", "Reply-To", "To", "Subject", "MIME-Version",
	    "Content-Type", "Content-Transfer-Encoding", NULL };
	static const char long_name[] =
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"
	    " Fr\xc3\xa4ulein Stra\xc3\x9f" "enbahn-Gesellschaft, "
	    "Abteilung f\xc3\xbcr Gefl\xc3\xbc" "chtetenhilfe (Kreis G\xc3\xb6"
	    "ttingen) \xe2\x80\x93 \xf0\x9f\x8e\x89 Willkommen \xd8\xa8\xd9\x83"
	    "\xd9\x85 und noch viel mehr Text, damit gefaltet werden muss";
	const char *dir = ((struct tmpdirs *)*state)->ok;
	const char *bad = ((struct tmpdirs *)*state)->bad;
	char name[32], *msg, *inj;
	struct mime_header x;
	struct mime_attachment a;
	struct hostile *hc;
	struct buf cal;
	struct mime_msg m;
	json_object *exp, *att, *arr;
	size_t n, k, len;


	m = newsletter_msg();
	exp = json_object_new_object();
	json_object_object_add(exp, "header_names", jstrs(nl_names));
	json_object_object_add(exp, "tree", jstrs((const char *const []){
	    "multipart/alternative", "text/plain", "text/html", NULL }));
	json_object_object_add(exp, "long_header_ok",
	    jstrs((const char *const []){ "List-Unsubscribe", NULL }));
	jset(exp, "headers", "Subject", subject_de_ar);
	for (k = 0; k < m.n_extra; k++)
		jset(exp, "headers", list_headers[k].name,
		    list_headers[k].value);
	jaddr(exp, "From", m.from_name, m.from_addr);
	jaddr(exp, "To", m.to_name, m.to_addr);
	jaddr(exp, "Reply-To", "", m.reply_to_addr);
	jset(exp, "bodies", "text/plain", m.text);
	jset(exp, "bodies", "text/html", m.html);
	msg = write_case(dir, "newsletter", &m, exp, &len);

	/* Negative control: the checker must notice an injected header. */
	exp = json_object_new_object();
	json_object_object_add(exp, "header_names", jstrs(nl_names));
	json_object_object_add(exp, "tree", jstrs((const char *const []){
	    "multipart/alternative", "text/plain", "text/html", NULL }));
	json_object_object_add(exp, "long_header_ok",
	    jstrs((const char *const []){ "List-Unsubscribe", NULL }));
	inj = malloc(len + 40);
	assert_non_null(inj);
	k = (size_t)(strstr(msg, "\r\n") - msg) + 2;
	memcpy(inj, msg, k);
	memcpy(inj + k, "Bcc: victim@example.net\r\n", 25);
	memcpy(inj + k + 25, msg + k, len - k);
	write_file(bad, "injected", "eml", inj, len + 25);
	write_file(bad, "injected", "json",
	    json_object_to_json_string(exp), strlen(
	    json_object_to_json_string(exp)));
	json_object_put(exp);
	free(inj);
	free(msg);

	m = invitation_msg();
	buf_init(&cal);
	crlf(ics, strlen(ics), &cal);
	exp = json_object_new_object();
	json_object_object_add(exp, "header_names", jstrs(inv_names));
	json_object_object_add(exp, "tree", jstrs((const char *const []){
	    "multipart/mixed", "multipart/alternative", "text/plain",
	    "text/html", "text/calendar", "application/ics",
	    "application/pdf", "application/octet-stream", NULL }));
	jset(exp, "calendar", "method", "REQUEST");
	json_object_object_add(json_object_object_get(exp, "calendar"),
	    "data_hex", jhex(cal.data, cal.len));
	jset(exp, "headers", "Subject", m.subject);
	jset(exp, "bodies", "text/html", m.html);
	arr = json_object_new_array();
	for (k = 0; k < 2; k++) {
		att = json_object_new_object();
		json_object_object_add(att, "filename",
		    json_object_new_string(atts[k].filename));
		json_object_object_add(att, "content_type",
		    json_object_new_string(k == 0 ? "application/pdf" :
		    "application/octet-stream"));
		json_object_object_add(att, "data_hex", jhex(atts[k].data,
		    atts[k].len));
		json_object_array_add(arr, att);
	}
	json_object_object_add(exp, "attachments", arr);
	write_case(dir, "invitation", &m, exp, NULL);

	m = base_msg();
	m.text = NULL;
	m.html = "<p>Der Termin f\xc3\xa4llt aus.</p>";
	m.html_len = strlen(m.html);
	m.calendar = (const char *)cal.data;	/* already CRLF */
	m.calendar_len = cal.len;
	m.calendar_method = "CANCEL";
	exp = json_object_new_object();
	json_object_object_add(exp, "header_names", jstrs(inv_names + 0));
	json_object_array_del_idx(json_object_object_get(exp,
	    "header_names"), 3, 1);	/* no Reply-To */
	json_object_object_add(exp, "tree", jstrs((const char *const []){
	    "multipart/mixed", "multipart/alternative", "text/html",
	    "text/calendar", "application/ics", NULL }));
	jset(exp, "calendar", "method", "CANCEL");
	json_object_object_add(json_object_object_get(exp, "calendar"),
	    "data_hex", jhex(cal.data, cal.len));
	write_case(dir, "cancel", &m, exp, NULL);

	m = base_msg();
	m.from_name = "M\xc3\xbcller, J\xc3\xbcrgen (Kreis G\xc3\xb6ttingen)";
	m.to_name = long_name;
	m.reply_to_addr = "antwort@example.org";
	m.subject = "=?UTF-8?Q?Hallo?= und Gr\xc3\xbc\xc3\x9f" "e";
	m.utc_offset = 2 * 3600;
	exp = json_object_new_object();
	json_object_object_add(exp, "header_names", jstrs(plain_names));
	json_object_object_add(exp, "tree", jstrs((const char *const []){
	    "text/plain", NULL }));
	jset(exp, "headers", "Subject", m.subject);
	jaddr(exp, "From", m.from_name, m.from_addr);
	jaddr(exp, "To", long_name, m.to_addr);
	jaddr(exp, "Reply-To", "", m.reply_to_addr);
	jset(exp, "bodies", "text/plain", m.text);
	write_case(dir, "nonascii", &m, exp, NULL);

	hc = hostile_corpus(&n);
	for (k = 0; k < n; k++) {
		m = hostile_msg(&hc[k], &x, &a);
		a.content_type = "application/octet-stream";
		exp = json_object_new_object();
		json_object_object_add(exp, "header_names",
		    jstrs(host_names));
		json_object_object_add(exp, "tree", jstrs((const char *const
		    []){ "multipart/mixed", "multipart/alternative",
		    "text/plain", "text/html", "application/octet-stream",
		    NULL }));
		jset(exp, "headers", "Subject", hc[k].want);
		jset(exp, "headers", "X-Event", hc[k].want);
		jaddr(exp, "From", hc[k].want, m.from_addr);
		jaddr(exp, "To", hc[k].want, m.to_addr);
		jset(exp, "bodies", "text/plain", m.text);
		if (utf8_valid(hc[k].in, strlen(hc[k].in)))
			jset(exp, "bodies", "text/html", hc[k].in);
		arr = json_object_new_array();
		att = json_object_new_object();
		json_object_object_add(att, "filename", hc[k].want[0] != '\0' ?
		    json_object_new_string(hc[k].want) : NULL);
		json_object_object_add(att, "content_type",
		    json_object_new_string("application/octet-stream"));
		json_object_object_add(att, "data_hex", jhex(hc[k].in,
		    strlen(hc[k].in)));
		json_object_array_add(arr, att);
		json_object_object_add(exp, "attachments", arr);
		snprintf(name, sizeof(name), "hostile-%02zu", k);
		write_case(dir, name, &m, exp, NULL);
	}
	buf_free(&cal);

	assert_int_equal(run_checker(dir), 0);
	assert_int_equal(run_checker(bad), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newsletter),
		cmocka_unit_test(test_invitation),
		cmocka_unit_test(test_structures),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unique),
		cmocka_unit_test_setup_teardown(test_real_parser, make_dirs,
		    remove_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
