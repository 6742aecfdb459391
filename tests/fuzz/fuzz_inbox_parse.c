/*
 * fuzz_inbox_parse: the input is a whole inbound message for
 * inbox_parse(), then inbox_msg_free(). Seeds: tests/data/replies (the
 * sample mails) and corpus/inbox_parse.
 *
 * libetpan and libical are Debian's builds (not instrumented): coverage is
 * that of inboxparse.c, inboxpart.c, inboxword.c, inboxdsn.c and
 * icalreply.c, while ASan still sees the libraries' heap through the
 * intercepted allocator. The input buffer is exactly size bytes (no NUL
 * after it), so a read past len is reported.
 *
 * Checked: rc 0; a kind of the enum; why set, one line of valid UTF-8
 * without control characters; subject and from_name likewise (subject
 * at most 1000 bytes); from lower-case with an '@' and no white space;
 * token NULL or 32 lower-case hex digits, and only for UNSUBSCRIBE,
 * CONFIRM and BOUNCE; an RSVP has uid, attendee and partstat, anything
 * else an empty rsvp; bounce fields only in a BOUNCE, its status "" or
 * D.D.D, permanent 0 or 1; the VERP token of our alphabet; the struct
 * zeroed by inbox_msg_free(). Odd-length inputs are parsed with a NULL
 * struct inbox_addrs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inboxparse.h"
#include "util.h"

#include "fuzz_common.h"

static const char *const own[] = { "rundbrief@rundbrief.example.org",
	"koordination@rundbrief.example.org" };
static const struct inbox_addrs addrs = { "bounces+TOKEN@rundbrief.example."
	"org", "koordination@rundbrief.example.org", own, 2 };

/* One line of text: valid UTF-8, no C0 control characters or DEL. */
static void
check_line(const char *s, size_t max)
{
	const unsigned char *p;

	FUZZ_CHECK(utf8_valid(s, strlen(s)));
	FUZZ_CHECK(strlen(s) <= max);
	for (p = (const unsigned char *)s; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

static void
check_token(const char *t)
{
	size_t i;

	FUZZ_CHECK(strlen(t) == 32);
	for (i = 0; i < 32; i++)
		FUZZ_CHECK((t[i] >= '0' && t[i] <= '9') ||
		    (t[i] >= 'a' && t[i] <= 'f'));
}

static void
check_status(const char *s)
{
	const char *p = s;
	int part, n;

	if (*s == '\0')
		return;
	FUZZ_CHECK(*p == '2' || *p == '4' || *p == '5');
	FUZZ_CHECK(p[1] == '.');
	p += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; *p >= '0' && *p <= '9'; p++)
			n++;
		FUZZ_CHECK(n >= 1 && n <= 3);
		if (part == 0) {
			FUZZ_CHECK(*p == '.');
			p++;
		}
	}
	FUZZ_CHECK(*p == '\0');
}

static int
zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static void
check_msg(const struct inbox_msg *m)
{
	const char *p;

	FUZZ_CHECK(m->kind >= INBOX_UNKNOWN && m->kind <= INBOX_AUTOREPLY);
	FUZZ_CHECK(m->why != NULL && *m->why != '\0');
	check_line(m->why, 400);
	if (m->subject != NULL)
		check_line(m->subject, 1000);
	if (m->from_name != NULL)
		check_line(m->from_name, 200);
	if (m->message_id != NULL)
		check_line(m->message_id, 998);
	if (m->from != NULL) {
		check_line(m->from, 320);
		FUZZ_CHECK(strchr(m->from, '@') != NULL);
		FUZZ_CHECK(strchr(m->from, ' ') == NULL);
		for (p = m->from; *p; p++)
			FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
	}
	if (m->token != NULL) {
		check_token(m->token);
		FUZZ_CHECK(m->kind == INBOX_UNSUBSCRIBE ||
		    m->kind == INBOX_CONFIRM || m->kind == INBOX_BOUNCE);
	}
	if (m->kind == INBOX_RSVP) {
		FUZZ_CHECK(m->rsvp.uid != NULL && m->rsvp.attendee != NULL);
		FUZZ_CHECK(m->rsvp.partstat != NULL);
	} else
		FUZZ_CHECK(zeroed(&m->rsvp, sizeof(m->rsvp)));
	if (m->kind == INBOX_BOUNCE) {
		check_status(m->status);
		FUZZ_CHECK(m->permanent == 0 || m->permanent == 1);
		if (m->status[0] == '5')
			FUZZ_CHECK(m->permanent == 1);
		if (m->bounce_rcpt != NULL)
			check_line(m->bounce_rcpt, 320);
		if (m->diagnostic != NULL)
			check_line(m->diagnostic, 300);
		if (m->bounce_token != NULL) {
			size_t n = strlen(m->bounce_token);

			FUZZ_CHECK(n >= 1 && n <= 64);
			FUZZ_CHECK(strspn(m->bounce_token, "abcdefghijklmnop"
			    "qrstuvwxyz0123456789._=-") == n);
		}
	} else {
		FUZZ_CHECK(m->bounce_rcpt == NULL && m->bounce_token == NULL);
		FUZZ_CHECK(m->diagnostic == NULL && m->status[0] == '\0');
		FUZZ_CHECK(m->permanent == 0);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbox_msg m;
	int rc;

	memset(&m, 0xa5, sizeof(m));	/* must be overwritten */
	/* libical may warn on stderr about a calendar part */
	fuzz_quiet_begin();
	rc = inbox_parse((const char *)data, size, size % 2 ? NULL : &addrs,
	    &m);
	fuzz_quiet_end();
	FUZZ_CHECK(rc == 0);
	check_msg(&m);
	inbox_msg_free(&m);
	FUZZ_CHECK(zeroed(&m, sizeof(m)));
	return 0;
}
