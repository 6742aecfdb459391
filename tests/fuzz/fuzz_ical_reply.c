/*
 * fuzz_ical_reply: the input is the calendar part of an attendee's reply
 * for ical_parse_reply(), then ical_reply_free().
 *
 * libical itself is Debian's build (not instrumented): the fuzzer is
 * guided by ical.c's own code (the BEGIN/END check, reply_fill, the
 * VTIMEZONE guard), while ASan still sees libical's heap through the
 * intercepted allocator. Run with -timeout=10 (run.sh does): a hang is
 * how a hostile VTIMEZONE that slips past reply_vtimezone() shows.
 *
 * Checked on success: uid and attendee are set, the attendee is a
 * lower-cased address with an '@' inside and no white space or <>";
 * partstat and method are upper case. On failure: an error message and
 * a zeroed struct. Odd-length inputs are parsed with errstr NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ical.h"
#include "util.h"

#include "fuzz_common.h"

static void
check_upper(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK(!(*s >= 'a' && *s <= 'z'));
}

static void
check_reply(const struct ical_reply *r)
{
	const char *at, *p;

	FUZZ_CHECK(r->uid != NULL && *r->uid != '\0');
	FUZZ_CHECK(r->attendee != NULL);
	at = strchr(r->attendee, '@');
	FUZZ_CHECK(at != NULL && at != r->attendee && at[1] != '\0');
	FUZZ_CHECK(strpbrk(r->attendee, " \t\r\n<>\"") == NULL);
	FUZZ_CHECK(utf8_valid(r->attendee, strlen(r->attendee)));
	for (p = r->attendee; *p; p++)
		FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
	FUZZ_CHECK(r->partstat != NULL && *r->partstat != '\0');
	check_upper(r->partstat);
	if (r->method != NULL) {
		FUZZ_CHECK(*r->method != '\0');
		check_upper(r->method);
	}
	if (r->attendee_name != NULL)
		FUZZ_CHECK(*r->attendee_name != '\0');
	if (r->comment != NULL)
		FUZZ_CHECK(*r->comment != '\0');
	if (r->recurrence_tzid != NULL)
		FUZZ_CHECK(r->recurrence_id != NULL);
	if (r->recurrence_id == NULL)
		FUZZ_CHECK(r->recurrence_utc == 0);
}

static int
zeroed(const struct ical_reply *r)
{
	static const struct ical_reply zero;

	return memcmp(r, &zero, sizeof(zero)) == 0;
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
	struct ical_reply r;
	char *err = NULL;
	int rc, with_err = size % 2 == 0;

	memset(&r, 0xa5, sizeof(r));	/* must be overwritten */
	/* libical may warn on stderr about what check_nesting lets through */
	fuzz_quiet_begin();
	rc = ical_parse_reply((const char *)data, size, &r,
	    with_err ? &err : NULL);
	fuzz_quiet_end();
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(err == NULL);
		check_reply(&r);
	} else {
		FUZZ_CHECK(zeroed(&r));
		if (with_err)
			FUZZ_CHECK(err != NULL && *err != '\0');
	}
	free(err);
	ical_reply_free(&r);
	FUZZ_CHECK(zeroed(&r));
	return 0;
}
