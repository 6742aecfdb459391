/*
 * test_inboxparse: inbox_parse() on the sample mails of tests/data/replies
 * (README.md there names their tokens and UIDs) and on crafted messages:
 * reply prefixes, command words where they count and where they do not,
 * DSNs with several recipients, each kind of automatic reply, loops,
 * forwarded invitations, charsets, and input that is not mail at all
 * (truncated, binary, 20 MB, deeply nested).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inboxparse.h"
#include "util.h"

#define REPLIES		"tests/data/replies/"
#define OWN_FROM	"rundbrief@rundbrief.example.org"
#define OWN_REPLY	"koordination@rundbrief.example.org"
#define ENVELOPE	"bounces@rundbrief.example.org"

#define T_ANNA		"3f9a1c2e7b6d4058a1e2c3b4d5f60718"
#define T_BEN		"a7c41e0b9d2f4e6a8b1c3d5e7f902468"
#define T_CARLA		"5e2d8f1a0c3b4e79d6a5b8c7e1f20394"
#define T_DORA		"9b8e7d6c5f4a3b2c1d0e9f8a7b6c5d4e"
#define T_EMIL		"4d3c2b1a09f8e7d6c5b4a3928170f6e5"
#define T_FRIEDA	"e1d2c3b4a5968778695a4b3c2d1e0f90"
#define T_GUS		"0a1b2c3d4e5f60718293a4b5c6d7e8f9"

static const char *const own[] = { OWN_FROM, OWN_REPLY };
static const struct inbox_addrs addrs = { ENVELOPE, OWN_REPLY, own, 2 };

/* ---- helpers ------------------------------------------------------------ */

static void
parse_file(const char *name, struct inbox_msg *m)
{
	char *path = xasprintf(REPLIES "%s", name), *data;
	size_t len;

	assert_int_equal(file_read_all(path, &data, &len), 0);
	free(path);
	assert_int_equal(inbox_parse(data, len, &addrs, m), 0);
	assert_non_null(m->why);
	free(data);
}

static void
parse_str(const char *s, struct inbox_msg *m)
{
	assert_int_equal(inbox_parse(s, strlen(s), &addrs, m), 0);
	assert_non_null(m->why);
}

/* A message with these header lines (LF, turned into CRLF) and body. */
static char *
mail(const char *headers, const char *body)
{
	struct buf b;
	const char *p;

	buf_init(&b);
	for (p = headers; *p; p++) {
		if (*p == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	buf_puts(&b, "\r\n");
	for (p = body; *p; p++) {
		if (*p == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	return buf_steal(&b);
}

/* The kind (and token, or NULL for none) of a plain mail from
 * anna@example.org with this subject and body. */
static void
expect_subject(const char *subject, const char *body, enum inbox_kind kind,
    const char *token)
{
	struct inbox_msg m;
	char *h = xasprintf("From: Anna Becker <anna@example.org>\n"
	    "To: " OWN_REPLY "\nSubject: %s\nMessage-ID: <x1@example.org>\n"
	    "Content-Type: text/plain; charset=utf-8\n", subject);
	char *msg = mail(h, body);

	parse_str(msg, &m);
	if (m.kind != kind || (token == NULL) != (m.token == NULL) ||
	    (token != NULL && strcmp(token, m.token) != 0))
		fail_msg("subject \"%s\": got %s (token %s, %s), expected %s "
		    "(token %s)", subject, inbox_kind_name(m.kind),
		    m.token ? m.token : "none", m.why, inbox_kind_name(kind),
		    token ? token : "none");
	inbox_msg_free(&m);
	free(msg);
	free(h);
}

/* The kind of a mail with these extra header lines. */
static enum inbox_kind
kind_with(const char *extra, const char *subject, char **why)
{
	struct inbox_msg m;
	char *h = xasprintf("From: Anna Becker <anna@example.org>\n"
	    "To: " OWN_REPLY "\nSubject: %s\n%s", subject, extra);
	char *msg = mail(h, "abmelden\n");
	enum inbox_kind k;

	parse_str(msg, &m);
	k = m.kind;
	if (why != NULL)
		*why = xstrdup(m.why);
	inbox_msg_free(&m);
	free(msg);
	free(h);
	return k;
}

/* ---- the samples ------------------------------------------------------- */

struct rsvp_case {
	const char *file, *from, *subject, *attendee, *partstat, *uid;
	int sequence;
	const char *recurrence;
};

static void
test_samples_rsvp(void **state)
{
	static const struct rsvp_case cases[] = {
		{ "outlook_accept.eml", "joerg.mueller@example.net",
		  "Angenommen: Sprachcafé am Sonntag (Zeitumstellung)",
		  "joerg.mueller@example.net", "ACCEPTED",
		  "evt-1-2026@rundbrief.example.org", 1, NULL },
		{ "outlook_decline_base64.eml", "anna@example.org",
		  "Abgelehnt: Schulung Asylrecht kompakt", "anna@example.org",
		  "DECLINED",
		  "b2c4e6f80a1c3e5f7a9b1d3f5a7c9e1b@rundbrief.example.org", 0,
		  NULL },
		{ "gmail_tentative.eml", "amira.haddad@gmail.com",
		  "Mit Vorbehalt angenommen: Willkommensfrühstück @ So. 28. "
		  "März 2027 10am - 11am (MESZ) "
		  "(koordination@rundbrief.example.org)",
		  "amira.haddad@gmail.com", "TENTATIVE",
		  "evt-2-2027@rundbrief.example.org", 0, NULL },
		{ "apple_accept_other_account.eml", "lena.h@icloud.com",
		  "Zugesagt: Netzwerktreffen Ehrenamt Süd",
		  "lena.hoffmann@web.de", "ACCEPTED",
		  "c3d5e7f91b2d4f6a8c0e2a4c6e8a0c2d@rundbrief.example.org", 0,
		  NULL },
		{ "thunderbird_decline.eml", "kim.schneider@posteo.de",
		  "Abgelehnt: Beratungsangebot: Behördengänge",
		  "kim.schneider@posteo.de", "DECLINED",
		  "evt-3-offer@rundbrief.example.org", 0, "20270112T180000" },
		{ "reply_old_sequence.eml", "anna@example.org",
		  "Angenommen: Willkommenskonferenz Frühjahr",
		  "anna@example.org", "ACCEPTED",
		  "d4e6f8a02c3e5a7b9d1f3b5d7f9b1d3e@rundbrief.example.org", 0,
		  NULL },
		{ "reply_no_organizer.eml", "ben.krueger@example.net",
		  "Zugesagt: Ehrenamtsmesse im Kreishaus",
		  "ben.krueger@example.net", "ACCEPTED",
		  "e5f7a9b13d4f6b8c0e2a4c6e8a0c2e4f@rundbrief.example.org", 1,
		  NULL },
	};
	struct inbox_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rsvp_case *c = &cases[i];

		parse_file(c->file, &m);
		if (m.kind != INBOX_RSVP)
			fail_msg("%s: %s (%s)", c->file,
			    inbox_kind_name(m.kind), m.why);
		assert_string_equal(m.from, c->from);
		assert_string_equal(m.subject, c->subject);
		assert_string_equal(m.rsvp.attendee, c->attendee);
		assert_string_equal(m.rsvp.partstat, c->partstat);
		assert_string_equal(m.rsvp.uid, c->uid);
		assert_int_equal(m.rsvp.sequence, c->sequence);
		if (c->recurrence != NULL)
			assert_string_equal(m.rsvp.recurrence_id,
			    c->recurrence);
		else
			assert_null(m.rsvp.recurrence_id);
		assert_non_null(m.message_id);
		assert_null(strchr(m.message_id, '<'));
		assert_non_null(strstr(m.why, c->partstat));
		assert_non_null(strstr(m.why, c->uid));
		assert_null(m.token);
		inbox_msg_free(&m);
	}
	/* the no-organizer reply has no METHOD either: the MIME method= */
	parse_file("reply_no_organizer.eml", &m);
	assert_null(m.rsvp.method);
	inbox_msg_free(&m);
	parse_file("outlook_accept.eml", &m);
	assert_string_equal(m.from_name, "Müller-Lüdenscheidt, Jörg-Friedrich");
	assert_string_equal(m.message_id, "AM0PR07MB4417C3E1A2B4F5D6E7A8B9C0D1"
	    "E2F3A4B5C6D7@AM0PR07MB4417.eurprd07.prod.outlook.com");
	inbox_msg_free(&m);
}

struct bounce_case {
	const char *file, *rcpt, *verp, *status;
	int permanent;
	const char *listunsub;
};

static void
test_samples_bounce(void **state)
{
	static const struct bounce_case cases[] = {
		{ "postfix_dsn_5.1.1.eml", "emil.schulz@example.com", T_EMIL,
		  "5.1.1", 1, T_EMIL },
		{ "exchange_dsn.eml", "frieda@contoso-verein.de", T_FRIEDA,
		  "5.1.10", 1, T_FRIEDA },
		{ "exim_dsn_temporary.eml", "gus@mail.example.de", T_GUS,
		  "4.0.0", 0, T_GUS },
	};
	struct inbox_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bounce_case *c = &cases[i];

		parse_file(c->file, &m);
		if (m.kind != INBOX_BOUNCE)
			fail_msg("%s: %s (%s)", c->file,
			    inbox_kind_name(m.kind), m.why);
		assert_string_equal(m.bounce_rcpt, c->rcpt);
		assert_string_equal(m.bounce_token, c->verp);
		assert_string_equal(m.status, c->status);
		assert_int_equal(m.permanent, c->permanent);
		assert_string_equal(m.token, c->listunsub);
		assert_non_null(m.diagnostic);
		assert_non_null(strstr(m.why, c->status));
		assert_non_null(strstr(m.why, c->rcpt));
		inbox_msg_free(&m);
	}
	parse_file("postfix_dsn_5.1.1.eml", &m);
	assert_string_equal(m.diagnostic, "smtp; 550 5.1.1 "
	    "<emil.schulz@example.com>: Recipient address rejected: User "
	    "unknown in virtual mailbox table");
	assert_string_equal(m.subject, "Undelivered Mail Returned to Sender");
	inbox_msg_free(&m);
	parse_file("exchange_dsn.eml", &m);
	assert_string_equal(m.subject, "Unzustellbar: Rundbrief März 2027");
	inbox_msg_free(&m);
}

static void
test_samples_commands(void **state)
{
	struct inbox_msg m;

	(void)state;
	parse_file("unsubscribe_mailto.eml", &m);
	assert_int_equal(m.kind, INBOX_UNSUBSCRIBE);
	assert_string_equal(m.token, T_BEN);
	assert_string_equal(m.from, "ben.krueger@example.net");
	assert_string_equal(m.from_name, "Ben Krüger");
	assert_string_equal(m.subject, "unsubscribe " T_BEN);
	assert_non_null(strstr(m.why, "List-Unsubscribe"));
	inbox_msg_free(&m);

	/* the token comes from the quoted newsletter footer */
	parse_file("unsubscribe_subject_aw.eml", &m);
	assert_int_equal(m.kind, INBOX_UNSUBSCRIBE);
	assert_string_equal(m.subject, "AW: Abmelden");
	assert_string_equal(m.from, "carla.vogel@example.de");
	assert_string_equal(m.token, T_CARLA);
	inbox_msg_free(&m);

	parse_file("subscribe.eml", &m);
	assert_int_equal(m.kind, INBOX_SUBSCRIBE);
	assert_string_equal(m.from, "dora.neumann@example.com");
	assert_string_equal(m.from_name, "Dora Neumann");
	assert_string_equal(m.subject, "Anmelden");
	inbox_msg_free(&m);

	/* a plain reply to the confirmation mail: the token is quoted */
	parse_file("confirm_reply.eml", &m);
	assert_int_equal(m.kind, INBOX_CONFIRM);
	assert_string_equal(m.token, T_DORA);
	assert_string_equal(m.subject,
	    "Re: Bitte bestätigen Sie Ihr Abonnement");
	inbox_msg_free(&m);

	parse_file("out_of_office.eml", &m);
	assert_int_equal(m.kind, INBOX_AUTOREPLY);
	assert_string_equal(m.subject,
	    "Automatische Antwort: Rundbrief März 2027");
	assert_null(m.token);
	inbox_msg_free(&m);
}

static void
test_samples_garbage(void **state)
{
	static const char *const files[] = { "truncated_mime.eml",
	    "binary_junk.eml" };
	struct inbox_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		parse_file(files[i], &m);
		assert_int_equal(m.kind, INBOX_UNKNOWN);
		assert_non_null(strstr(m.why, "not understood"));
		if (m.subject != NULL)
			assert_null(strpbrk(m.subject, "\x1b\r\n\t"));
		inbox_msg_free(&m);
	}
	parse_file("truncated_mime.eml", &m);
	assert_string_equal(m.from, "anna@example.org");
	inbox_msg_free(&m);
}

/* Every sample cut at many places and with bytes changed: anything may
 * come out, but nothing crashes or leaks (valgrind, ASan). */
static void
test_samples_cut(void **state)
{
	static const char *const files[] = { "outlook_accept.eml",
	    "gmail_tentative.eml", "postfix_dsn_5.1.1.eml",
	    "exchange_dsn.eml", "unsubscribe_subject_aw.eml",
	    "apple_accept_other_account.eml" };
	struct inbox_msg m;
	unsigned seed = 4711;
	char *path, *data;
	size_t len, i, cut, k;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = xasprintf(REPLIES "%s", files[i]);
		assert_int_equal(file_read_all(path, &data, &len), 0);
		free(path);
		for (cut = 0; cut <= len; cut += 1 + cut % 97) {
			assert_int_equal(inbox_parse(data, cut, &addrs, &m), 0);
			assert_non_null(m.why);
			inbox_msg_free(&m);
		}
		for (k = 0; k < 40; k++) {
			size_t j;

			for (j = 0; j < 8; j++)
				data[rand_r(&seed) % len] =
				    (char)(rand_r(&seed) & 0xff);
			assert_int_equal(inbox_parse(data, len, &addrs, &m), 0);
			inbox_msg_free(&m);
		}
		free(data);
	}
}

/* ---- crafted: words and prefixes -------------------------------------- */

static void
test_prefixes(void **state)
{
	(void)state;
	expect_subject("abmelden", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("Re: abmelden", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("AW: AW: Abmelden!", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("Antw: austragen.", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("WG: Fwd: ABMELDUNG", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("RE : Unsubscribe  ", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("Re[2]: abmelden ...", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("Fw: re: aw: abmelden", "", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("abmelden " T_ANNA, "", INBOX_UNSUBSCRIBE, T_ANNA);
	expect_subject("Re: Abmelden " T_ANNA "!", "", INBOX_UNSUBSCRIBE,
	    T_ANNA);
	expect_subject("„abmelden " T_ANNA "“", "", INBOX_UNSUBSCRIBE, T_ANNA);
	expect_subject("unsubscribe%20" T_ANNA, "", INBOX_UNSUBSCRIBE, T_ANNA);
	expect_subject("unsubscribe:" T_ANNA, "", INBOX_UNSUBSCRIBE, T_ANNA);
	expect_subject("UNSUBSCRIBE 3F9A1C2E7B6D4058A1E2C3B4D5F60718", "",
	    INBOX_UNSUBSCRIBE, T_ANNA);
	expect_subject("anmelden", "", INBOX_SUBSCRIBE, NULL);
	expect_subject("Re: Subscribe.", "", INBOX_SUBSCRIBE, NULL);
	expect_subject("bestaetigen " T_DORA, "", INBOX_CONFIRM, T_DORA);
	expect_subject("Bestätigen " T_DORA, "", INBOX_CONFIRM, T_DORA);
	expect_subject("AW: confirm " T_DORA, "", INBOX_CONFIRM, T_DORA);
}

static void
test_words_not_commands(void **state)
{
	(void)state;
	/* a word that is not the whole subject is not a command */
	expect_subject("Ich möchte mich nicht abmelden", "Danke!\n",
	    INBOX_UNKNOWN, NULL);
	expect_subject("abmelden bitte und danke", "", INBOX_UNKNOWN, NULL);
	expect_subject("abmeldenx", "", INBOX_UNKNOWN, NULL);
	expect_subject("unsubscribed", "", INBOX_UNKNOWN, NULL);
	expect_subject("Re: Abmeldung erfolgt?  Nein", "", INBOX_UNKNOWN,
	    NULL);
	expect_subject("Anmeldung zur Schulung", "", INBOX_UNKNOWN, NULL);
	expect_subject("abmelden 3f9a1c2e7b6d4058a1e2c3b4d5f6071", "",
	    INBOX_UNKNOWN, NULL);	/* 31 digits: no token, more text */
	/* ... nor in the body, unless on the first non-empty line */
	expect_subject("Re: Rundbrief März", "Hallo,\nbitte abmelden\n",
	    INBOX_UNKNOWN, NULL);
	expect_subject("Re: Rundbrief März", "\n  \n\xc2\xa0\nAbmelden\n\n"
	    "Gruß\n", INBOX_UNSUBSCRIBE, NULL);
	expect_subject("Re: Rundbrief März", "anmelden!\n",
	    INBOX_SUBSCRIBE, NULL);
	/* a quoted first line is someone else's */
	expect_subject("Re: Rundbrief März", "> abmelden\n",
	    INBOX_UNKNOWN, NULL);
	/* a reply quoting a newsletter footer is not a confirmation */
	expect_subject("Re: Rundbrief März", "Danke!\n\n> Zum Abbestellen "
	    "...\n> „abmelden " T_ANNA "“\n> mailto:x@y?subject=abmelden%20"
	    T_ANNA "\n> https://x.example/u/" T_ANNA "\n",
	    INBOX_UNKNOWN, NULL);
	/* a Message-ID or UID of 32 hex digits is not a token */
	expect_subject("Re: Einladung", "> UID " T_ANNA "@rundbrief\n",
	    INBOX_UNKNOWN, NULL);
	/* but the confirmation link is, and so is a bare token */
	expect_subject("Re: Bitte bestätigen", "ja\n> https://x.example/"
	    "c/" T_DORA "\n", INBOX_CONFIRM, T_DORA);
	expect_subject("Bitte bestätigen " T_DORA, "", INBOX_CONFIRM, T_DORA);
	/* a token next to more digits is not one */
	expect_subject("Re: x", "1" T_DORA "\n", INBOX_UNKNOWN, NULL);
}

static void
test_word_lists(void **state)
{
	const char *const *lists[] = { inbox_unsubscribe_words,
	    inbox_subscribe_words, inbox_confirm_words };
	const enum inbox_kind kinds[] = { INBOX_UNSUBSCRIBE, INBOX_SUBSCRIBE,
	    INBOX_CONFIRM };
	/* what render.c puts into the footers' and the confirmation
	 * mail's subject ("WORD TOKEN"), in German and English */
	static const char *const unsub_rendered[] = { "abmelden",
	    "unsubscribe" };
	static const char *const confirm_rendered[] = { "bestaetigen",
	    "confirm" };
	size_t i, j;
	char *s;

	(void)state;
	for (i = 0; i < 3; i++)
		for (j = 0; lists[i][j] != NULL; j++) {
			s = xasprintf("Re: %s", lists[i][j]);
			expect_subject(s, "", kinds[i], NULL);
			free(s);
			s = xasprintf("%s " T_ANNA, lists[i][j]);
			expect_subject(s, "", kinds[i],
			    kinds[i] == INBOX_SUBSCRIBE ? NULL : T_ANNA);
			free(s);
		}
	for (i = 0; i < 2; i++) {
		for (j = 0; inbox_unsubscribe_words[j] != NULL; j++)
			if (strcmp(inbox_unsubscribe_words[j],
			    unsub_rendered[i]) == 0)
				break;
		assert_non_null(inbox_unsubscribe_words[j]);
		for (j = 0; inbox_confirm_words[j] != NULL; j++)
			if (strcmp(inbox_confirm_words[j],
			    confirm_rendered[i]) == 0)
				break;
		assert_non_null(inbox_confirm_words[j]);
	}
}

/* ---- crafted: bounces -------------------------------------------------- */

static const char exim_multi[] =
    "Return-path: <>\n"
    "Envelope-to: bounces+" T_GUS "@rundbrief.example.org\n"
    "From: Mail Delivery System <Mailer-Daemon@mx.example.de>\n"
    "To: bounces+" T_GUS "@rundbrief.example.org\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=1772-eximdsn-42\n"
    "\n"
    "--1772-eximdsn-42\n"
    "Content-type: text/plain; charset=us-ascii\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "--1772-eximdsn-42\n"
    "Content-type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.de\n"
    "\n"
    "Action: delayed\n"
    "Final-Recipient: rfc822;first@example.de\n"
    "Status: 4.4.1\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822;<Second@Example.DE>\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.de\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <second@example.de>: unknown user\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822;third@example.de\n"
    "Status: 5.2.2\n"
    "\n"
    "--1772-eximdsn-42--\n";

static void
test_dsn_several(void **state)
{
	struct inbox_msg m;
	char *msg = mail(exim_multi, "");

	(void)state;
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_string_equal(m.bounce_rcpt, "second@example.de");
	assert_string_equal(m.status, "5.1.1");
	assert_int_equal(m.permanent, 1);
	assert_string_equal(m.bounce_token, T_GUS);
	assert_null(m.token);
	assert_non_null(strstr(m.why, "+2 more recipients"));
	inbox_msg_free(&m);
	free(msg);
}

static void
test_dsn_variants(void **state)
{
	struct inbox_msg m;
	const struct inbox_addrs placeholder = { "bounces+TOKEN@rundbrief."
	    "example.org", OWN_REPLY, own, 2 };
	const struct inbox_addrs none = { NULL, NULL, NULL, 0 };
	char *msg;

	(void)state;
	/* the envelope written with its "+TOKEN" placeholder */
	msg = mail(exim_multi, "");
	assert_int_equal(inbox_parse(msg, strlen(msg), &placeholder, &m), 0);
	assert_string_equal(m.bounce_token, T_GUS);
	inbox_msg_free(&m);
	/* no VERP configured: still a bounce, with what it found */
	assert_int_equal(inbox_parse(msg, strlen(msg), &none, &m), 0);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_null(m.bounce_token);
	assert_string_equal(m.bounce_rcpt, "second@example.de");
	assert_non_null(strstr(m.why, "no VERP token"));
	inbox_msg_free(&m);
	assert_int_equal(inbox_parse(msg, strlen(msg), NULL, &m), 0);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	inbox_msg_free(&m);
	free(msg);

	/* Action failed without a Status, the status in the diagnostic */
	msg = mail("From: postmaster@example.net\nTo: x@example.org\n"
	    "Subject: Undeliverable\nContent-Type: multipart/report; "
	    "report-type=\"delivery-status\"; boundary=\"b\"\n",
	    "--b\nContent-Type: text/plain\n\nsorry\n--b\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Final-Recipient: RFC822; <who@example.net>\nAction: Failed\n"
	    "Diagnostic-Code: smtp; 554 5.7.1 rejected\n\n--b--\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_string_equal(m.bounce_rcpt, "who@example.net");
	assert_string_equal(m.status, "5.7.1");
	assert_int_equal(m.permanent, 1);
	inbox_msg_free(&m);
	free(msg);

	/* a report with no recipients: a bounce, status unknown */
	msg = mail("From: postmaster@example.net\nSubject: x\nContent-Type: "
	    "multipart/report; report-type=delivery-status; boundary=b\n",
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; x\n\n--b--\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_string_equal(m.status, "");
	assert_null(m.bounce_rcpt);
	assert_non_null(strstr(m.why, "status unknown"));
	inbox_msg_free(&m);
	free(msg);

	/* not a DSN, from MAILER-DAEMON, to a VERP address */
	msg = mail("From: MAILER-DAEMON@old.example.com\n"
	    "To: bounces+" T_EMIL "@rundbrief.example.org\n"
	    "Subject: failure notice\n",
	    "Hi. This is the qmail-send program at old.example.com.\n"
	    "<emil@old.example.com>:\nSorry, no mailbox here by that name.\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_string_equal(m.bounce_token, T_EMIL);
	assert_string_equal(m.status, "");
	assert_int_equal(m.permanent, 0);
	assert_non_null(strstr(m.why, "status unknown"));
	inbox_msg_free(&m);
	free(msg);

	/* ... and without one: an automatic message, never a command */
	msg = mail("From: postmaster@example.com\nTo: " OWN_REPLY "\n"
	    "Subject: abmelden\n", "abmelden\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_AUTOREPLY);
	inbox_msg_free(&m);
	free(msg);
	msg = mail("Return-Path: <>\nFrom: someone@example.com\nTo: "
	    OWN_REPLY "\nSubject: abmelden\n", "abmelden\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_AUTOREPLY);
	inbox_msg_free(&m);
	free(msg);

	/* a report with a calendar reply in it: a bounce, no RSVP kept
	 * (found by the fuzzer) */
	msg = mail("From: postmaster@x.example\nContent-Type: multipart/"
	    "report; report-type=delivery-status; boundary=b\n",
	    "--b\nContent-Type: text/calendar; method=REPLY\n\n"
	    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nATTENDEE;PARTSTAT=ACCEPTED:"
	    "mailto:a@b.c\nEND:VEVENT\nEND:VCALENDAR\n--b--\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_BOUNCE);
	assert_null(m.rsvp.uid);
	inbox_msg_free(&m);
	free(msg);
	/* a '+' at the very end of the To field (found by the fuzzer) */
	parse_str("From: a@b.c\r\nSubject: x\r\nTo: k+", &m);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);

	/* a report forwarded inside a message is not ours to count */
	msg = mail("From: anna@example.org\nTo: " OWN_REPLY "\nSubject: Fwd: "
	    "bounce\nContent-Type: multipart/mixed; boundary=o\n",
	    "--o\nContent-Type: text/plain\n\nsiehe unten\n--o\n"
	    "Content-Type: message/rfc822\n\n"
	    "From: postmaster@example.net\nSubject: x\nContent-Type: "
	    "multipart/report; report-type=delivery-status; boundary=b\n\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; a@b.c\nAction: failed\n\n--b--\n"
	    "--o--\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);
	free(msg);
}

/* ---- crafted: automatic replies and loops --------------------------- */

static void
test_autoreplies(void **state)
{
	static const struct {
		const char *extra, *subject;
		enum inbox_kind kind;
	} cases[] = {
		{ "Auto-Submitted: auto-replied\n", "Re: x", INBOX_AUTOREPLY },
		{ "Auto-Submitted: auto-generated (vacation)\n", "x",
		  INBOX_AUTOREPLY },
		{ "Auto-Submitted: no\n", "x", INBOX_UNSUBSCRIBE },
		{ "Auto-Submitted:  No \n", "x", INBOX_UNSUBSCRIBE },
		{ "Precedence: bulk\n", "x", INBOX_AUTOREPLY },
		{ "Precedence: junk\n", "x", INBOX_AUTOREPLY },
		{ "Precedence: list\n", "x", INBOX_AUTOREPLY },
		{ "Precedence: first-class\n", "x", INBOX_UNSUBSCRIBE },
		{ "X-Autoreply: yes\n", "x", INBOX_AUTOREPLY },
		{ "X-Autorespond: Abwesenheit\n", "x", INBOX_AUTOREPLY },
		{ "", "Automatische Antwort: Rundbrief", INBOX_AUTOREPLY },
		{ "", "Automatic reply: Newsletter", INBOX_AUTOREPLY },
		{ "", "Out of Office: Newsletter", INBOX_AUTOREPLY },
		{ "", "Abwesenheitsnotiz: Rundbrief März", INBOX_AUTOREPLY },
		{ "", "Abwesend", INBOX_AUTOREPLY },
		{ "", "AW: Urlaub bis 15.3.", INBOX_AUTOREPLY },
		{ "", "Ich bin im Urlaub", INBOX_AUTOREPLY },
		{ "", "Re: Rundbrief", INBOX_UNSUBSCRIBE },
		/* the List-Unsubscribe request itself, sent automatically */
		{ "Auto-Submitted: auto-generated\n", "unsubscribe " T_ANNA,
		  INBOX_UNSUBSCRIBE },
		{ "Auto-Submitted: auto-generated\n", "unsubscribe",
		  INBOX_AUTOREPLY },
	};
	size_t i;
	char *why;
	enum inbox_kind k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = kind_with(cases[i].extra, cases[i].subject, &why);
		if (k != cases[i].kind)
			fail_msg("\"%s\" + \"%s\": %s (%s)", cases[i].subject,
			    cases[i].extra, inbox_kind_name(k), why);
		free(why);
	}
	kind_with("Auto-Submitted: auto-replied\n", "x", &why);
	assert_string_equal(why, "automatic reply (Auto-Submitted)");
	free(why);
	kind_with("", "Out of Office: Newsletter", &why);
	assert_string_equal(why, "out-of-office reply: Out of Office: "
	    "Newsletter");
	free(why);
}

static void
test_own_address(void **state)
{
	static const char *const froms[] = { OWN_FROM, "KOORDINATION@"
	    "rundbrief.example.org", ENVELOPE, "bounces+" T_ANNA
	    "@rundbrief.example.org" };
	struct inbox_msg m;
	size_t i;
	char *h, *msg;

	(void)state;
	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		h = xasprintf("From: Rundbrief <%s>\nTo: " OWN_REPLY "\n"
		    "Subject: abmelden " T_ANNA "\n", froms[i]);
		msg = mail(h, "abmelden\n");
		parse_str(msg, &m);
		assert_int_equal(m.kind, INBOX_AUTOREPLY);
		assert_non_null(strstr(m.why, "loop"));
		inbox_msg_free(&m);
		free(msg);
		free(h);
	}
}

/* ---- crafted: calendars ------------------------------------------------ */

static char *
calendar(const char *method, const char *partstat)
{
	return xasprintf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n"
	    "%s%s%sBEGIN:VEVENT\nUID:u1@rundbrief.example.org\nSEQUENCE:3\n"
	    "DTSTAMP:20270301T100000Z\nATTENDEE;PARTSTAT=%s:mailto:"
	    "Anna@Example.org\nEND:VEVENT\nEND:VCALENDAR\n",
	    method ? "METHOD:" : "", method ? method : "", method ? "\n" : "",
	    partstat);
}

static void
test_calendar_rules(void **state)
{
	struct inbox_msg m;
	char *cal, *msg, *body;

	(void)state;
	/* Auto-Submitted on a genuine reply: still an RSVP */
	cal = calendar("REPLY", "ACCEPTED");
	body = xasprintf("--b\nContent-Type: text/plain\n\naccepted\n--b\n"
	    "Content-Type: text/calendar; method=REPLY\n\n%s--b--\n", cal);
	msg = mail("From: anna@example.org\nTo: " OWN_REPLY "\nSubject: "
	    "Accepted: x\nAuto-Submitted: auto-generated\nPrecedence: bulk\n"
	    "Content-Type: multipart/alternative; boundary=b\n", body);
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_RSVP);
	assert_string_equal(m.rsvp.attendee, "anna@example.org");
	assert_string_equal(m.rsvp.uid, "u1@rundbrief.example.org");
	assert_int_equal(m.rsvp.sequence, 3);
	inbox_msg_free(&m);
	free(msg);
	free(body);
	free(cal);

	/* application/ics attachment only, no METHOD, no method= */
	cal = calendar(NULL, "DECLINED");
	body = xasprintf("--b\nContent-Type: text/plain\n\nno\n--b\n"
	    "Content-Type: application/ics; name=invite.ics\n"
	    "Content-Disposition: attachment; filename=invite.ics\n\n%s"
	    "--b--\n", cal);
	msg = mail("From: anna@example.org\nSubject: x\nContent-Type: "
	    "multipart/mixed; boundary=b\n", body);
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_RSVP);
	assert_string_equal(m.rsvp.partstat, "DECLINED");
	inbox_msg_free(&m);
	free(msg);
	free(body);
	free(cal);

	/* neither METHOD nor method= and NEEDS-ACTION: not a reply */
	cal = calendar(NULL, "NEEDS-ACTION");
	body = xasprintf("--b\nContent-Type: text/calendar\n\n%s--b--\n", cal);
	msg = mail("From: anna@example.org\nSubject: x\nContent-Type: "
	    "multipart/mixed; boundary=b\n", body);
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_non_null(strstr(m.why, "not a reply"));
	inbox_msg_free(&m);
	free(msg);
	free(body);
	free(cal);

	/* an invitation forwarded inside message/rfc822: not a reply */
	cal = calendar("REQUEST", "NEEDS-ACTION");
	body = xasprintf("--o\nContent-Type: text/plain; charset=utf-8\n\n"
	    "Schau mal, das wäre was für dich.\n--o\n"
	    "Content-Type: message/rfc822\n\nFrom: " OWN_REPLY "\nSubject: "
	    "Einladung\nContent-Type: multipart/alternative; boundary=i\n\n"
	    "--i\nContent-Type: text/plain\n\nEinladung\n--i\n"
	    "Content-Type: text/calendar; method=REQUEST\n"
	    "Content-Transfer-Encoding: 7bit\n\n%s--i--\n--o--\n", cal);
	msg = mail("From: anna@example.org\nTo: " OWN_REPLY "\nSubject: "
	    "WG: Einladung\nContent-Type: multipart/mixed; boundary=o\n", body);
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_non_null(strstr(m.why, "METHOD REQUEST"));
	inbox_msg_free(&m);
	free(msg);
	free(body);
	free(cal);

	/* a reply forwarded inside message/rfc822 is still a reply */
	cal = calendar("REPLY", "TENTATIVE");
	body = xasprintf("--o\nContent-Type: text/plain\n\nFYI\n--o\n"
	    "Content-Type: message/rfc822\n\nFrom: guest@example.com\n"
	    "Subject: Tentative\nContent-Type: text/calendar; method=REPLY;"
	    " charset=utf-8\nContent-Transfer-Encoding: base64\n\n%s\n"
	    "--o--\n", "QkVHSU46VkNBTEVOREFSCk1FVEhPRDpSRVBMWQpCRUdJTjpWRVZFTlQK"
	    "VUlEOnUyQHJ1bmRicmllZi5leGFtcGxlLm9yZwpBVFRFTkRFRTtQQVJUU1RBVD1U"
	    "RU5UQVRJVkU6bWFpbHRvOmd1ZXN0QGV4YW1wbGUuY29tCkVORDpWRVZFTlQKRU5E"
	    "OlZDQUxFTkRBUgo=");
	msg = mail("From: anna@example.org\nSubject: Fwd: Tentative\n"
	    "Content-Type: multipart/mixed; boundary=o\n", body);
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_RSVP);
	assert_string_equal(m.rsvp.uid, "u2@rundbrief.example.org");
	assert_string_equal(m.rsvp.attendee, "guest@example.com");
	assert_string_equal(m.rsvp.partstat, "TENTATIVE");
	inbox_msg_free(&m);
	free(msg);
	free(body);
	free(cal);

	/* a calendar in Latin-1 */
	msg = mail("From: anna@example.org\nSubject: x\nContent-Type: "
	    "text/calendar; method=REPLY; charset=ISO-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n",
	    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u3\nATTENDEE;PARTSTAT=3DACCEPTED;"
	    "CN=3DJ=F6rg:mailto:j@example.org\nEND:VEVENT\nEND:VCALENDAR\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_RSVP);
	assert_string_equal(m.rsvp.attendee_name, "Jörg");
	inbox_msg_free(&m);
	free(msg);
}

/* ---- crafted: header decoding ------------------------------------------ */

static void
test_headers(void **state)
{
	struct inbox_msg m;
	char *msg;

	(void)state;
	msg = mail("From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <J.Mueller@Example."
	    "NET>\nTo: " OWN_REPLY "\nSubject: =?ISO-8859-1?Q?Abmeldung_f=FCr"
	    "_J=F6rg?=\n =?UTF-8?B?4oCTIEdyw7zDn2U=?=\n"
	    "Message-ID: <abc.def@example.net>\n", "Hallo\n");
	parse_str(msg, &m);
	assert_string_equal(m.subject, "Abmeldung für Jörg– Grüße");
	assert_string_equal(m.from, "j.mueller@example.net");
	assert_string_equal(m.from_name, "Jörg Müller");
	assert_string_equal(m.message_id, "abc.def@example.net");
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);
	free(msg);

	/* Latin-1 subject line decoded, the word found */
	expect_subject("=?iso-8859-1?q?Abmeldung?=", "", INBOX_UNSUBSCRIBE,
	    NULL);
	expect_subject("=?iso-8859-1?q?AW:_best=E4tigen?=", "", INBOX_CONFIRM,
	    NULL);

	/* control characters and escapes never reach the fields */
	msg = mail("From: \"Evil\x1b[2J\x07 Name\" <a@example.org>\n"
	    "Subject: =?utf-8?q?x=0D=0AInjected:_y=1B[31m=00z?=\n", "b\n");
	parse_str(msg, &m);
	assert_null(strpbrk(m.subject, "\r\n\x1b\x07"));
	assert_null(strpbrk(m.from_name, "\r\n\x1b\x07"));
	assert_null(strpbrk(m.why, "\r\n\x1b\x07"));
	inbox_msg_free(&m);
	free(msg);

	/* a body in Latin-1 with the word on its first line */
	msg = mail("From: a@example.org\nSubject: Re: Rundbrief\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n",
	    "=A0 \nBest=E4tigen\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_CONFIRM);
	inbox_msg_free(&m);
	free(msg);

	/* an HTML-only body: its first line of text */
	msg = mail("From: a@example.org\nSubject: Re: Rundbrief\n"
	    "Content-Type: text/html; charset=utf-8\n",
	    "<html><head><title>x</title><style>p { color: red }</style>"
	    "</head><body><!-- abmelden? --><p>&nbsp;</p><div>Abmelden"
	    "</div><p>Gruß</p></body></html>\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_UNSUBSCRIBE);
	inbox_msg_free(&m);
	free(msg);

	/* a token in a To address */
	msg = mail("From: dora@example.com\nTo: koordination+" T_DORA
	    "@rundbrief.example.org\nSubject: Re: Bitte bestätigen\n",
	    "Ja\n");
	parse_str(msg, &m);
	assert_int_equal(m.kind, INBOX_CONFIRM);
	assert_string_equal(m.token, T_DORA);
	inbox_msg_free(&m);
	free(msg);
}

/* ---- robustness -------------------------------------------------------- */

static void
test_garbage(void **state)
{
	static const char nul_msg[] = "From: a@example.org\r\nSubject: ab\0"
	    "melden\r\n\r\nabmelden\0\r\n";
	struct inbox_msg m;
	struct buf b;
	size_t i;
	char *big;

	(void)state;
	assert_int_equal(inbox_parse(NULL, 0, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);
	assert_int_equal(inbox_parse("", 0, &addrs, &m), 0);
	inbox_msg_free(&m);
	assert_int_equal(inbox_parse("x", 1, &addrs, &m), 0);
	inbox_msg_free(&m);
	assert_int_equal(inbox_parse(nul_msg, sizeof(nul_msg) - 1, &addrs,
	    &m), 0);
	inbox_msg_free(&m);
	/* no body at all, no content type */
	parse_str("From: a@example.org\r\nSubject: abmelden\r\n", &m);
	assert_int_equal(m.kind, INBOX_UNSUBSCRIBE);
	inbox_msg_free(&m);
	/* the input need not be NUL-terminated: a copy without one */
	big = xmalloc(12);
	memcpy(big, "Subject: ab", 11);
	assert_int_equal(inbox_parse(big, 11, &addrs, &m), 0);
	inbox_msg_free(&m);
	free(big);

	/* a huge subject is cut */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: ");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "abmelden ");
	buf_puts(&b, "\r\n\r\nx\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_non_null(m.subject);
	assert_true(strlen(m.subject) <= 1000);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);
	buf_free(&b);

	/* a header over 1 MiB is read in part, the message not parsed */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: abmelden\r\n");
	for (i = 0; i < 200000; i++)
		buf_puts(&b, "X-A: b\r\n");
	buf_puts(&b, "\r\nx\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_string_equal(m.subject, "abmelden");
	assert_non_null(strstr(m.why, "header too large"));
	inbox_msg_free(&m);
	buf_free(&b);

	/* deep nesting: message/rfc822 in message/rfc822 ... */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: deep\r\n");
	for (i = 0; i < 5000; i++)
		buf_puts(&b, "Content-Type: message/rfc822\r\n\r\n"
		    "Subject: y\r\n");
	buf_puts(&b, "\r\nabmelden\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_string_equal(m.subject, "deep");
	assert_non_null(strstr(m.why, "too many"));
	inbox_msg_free(&m);
	buf_free(&b);

	/* below the limit, but deeper than the walk goes */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: deep\r\n");
	for (i = 0; i < 100; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%zu"
		    "\r\n\r\n--b%zu\r\n", i, i);
	buf_puts(&b, "Content-Type: text/plain\r\n\r\nabmelden\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	inbox_msg_free(&m);
	buf_free(&b);

	/* many parts */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: many\r\nContent-Type: "
	    "multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 5000; i++)
		buf_puts(&b, "--b\r\nContent-Type: text/calendar\r\n\r\n"
		    "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
	buf_puts(&b, "--b--\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_non_null(strstr(m.why, "too many"));
	inbox_msg_free(&m);
	buf_free(&b);

	/* 300 parts are parsed, only the first 256 looked at */
	buf_init(&b);
	buf_puts(&b, "From: a@example.org\r\nSubject: many\r\nContent-Type: "
	    "multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 300; i++)
		buf_puts(&b, "--b\r\nContent-Type: application/pdf\r\n\r\nx\r\n");
	buf_puts(&b, "--b\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nATTENDEE;PARTSTAT="
	    "ACCEPTED:mailto:a@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n--b--\r\n");
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_non_null(strstr(m.why, "no calendar"));
	inbox_msg_free(&m);
	buf_free(&b);
}

/* A 20 MB message: classified by its header, not parsed. */
static void
test_huge(void **state)
{
	struct inbox_msg m;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "From: Anna <anna@example.org>\r\nSubject: abmelden\r\n"
	    "Message-ID: <big@example.org>\r\nContent-Type: multipart/mixed;"
	    " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	    "abmelden\r\n--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	buf_reserve(&b, 20 * 1024 * 1024 + 100);
	for (i = 0; b.len < 20 * 1024 * 1024; i++)
		buf_puts(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt"
		    "bm9wcXJzdHV2\r\n");
	buf_puts(&b, "--b--\r\n");
	assert_true(b.len > INBOX_PARSE_MAX);
	assert_int_equal(inbox_parse(b.data, b.len, &addrs, &m), 0);
	assert_int_equal(m.kind, INBOX_UNKNOWN);
	assert_non_null(strstr(m.why, "too large"));
	assert_string_equal(m.subject, "abmelden");
	assert_string_equal(m.from, "anna@example.org");
	assert_string_equal(m.message_id, "big@example.org");
	inbox_msg_free(&m);
	buf_free(&b);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inbox_kind_name(INBOX_UNKNOWN), "unknown");
	assert_string_equal(inbox_kind_name(INBOX_RSVP), "rsvp");
	assert_string_equal(inbox_kind_name(INBOX_UNSUBSCRIBE), "unsubscribe");
	assert_string_equal(inbox_kind_name(INBOX_SUBSCRIBE), "subscribe");
	assert_string_equal(inbox_kind_name(INBOX_CONFIRM), "confirm");
	assert_string_equal(inbox_kind_name(INBOX_BOUNCE), "bounce");
	assert_string_equal(inbox_kind_name(INBOX_AUTOREPLY), "autoreply");
	assert_string_equal(inbox_kind_name((enum inbox_kind)99), "unknown");
	inbox_msg_free(NULL);
}

static int
teardown_all(void **state)
{
	(void)state;
	ical_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_rsvp),
		cmocka_unit_test(test_samples_bounce),
		cmocka_unit_test(test_samples_commands),
		cmocka_unit_test(test_samples_garbage),
		cmocka_unit_test(test_samples_cut),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_words_not_commands),
		cmocka_unit_test(test_word_lists),
		cmocka_unit_test(test_dsn_several),
		cmocka_unit_test(test_dsn_variants),
		cmocka_unit_test(test_autoreplies),
		cmocka_unit_test(test_own_address),
		cmocka_unit_test(test_calendar_rules),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
