/*
 * fuzz_csvin: the input is a subscriber CSV file for csvin_parse().
 *
 * Each input is parsed twice:
 *  1. with every callback; each record's fields are read in full (strlen)
 *     and checked (UTF-8, trimmed), the districts and topics cells are
 *     split with csvin_split_districts() (with and without a "known"
 *     callback) and csvin_split_list(), and the items checked;
 *  2. without row_error and with a record callback that stops after a
 *     few records (how many depends on the input's length), which must
 *     end with CSVIN_STOPPED exactly when the first run had more records
 *     than that, and must see the same records first.
 * Checked besides: the counts in struct csvin_info agree with the
 * callbacks, line numbers are ascending, progress never runs backwards,
 * and -1 comes with an error message while 0 does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "util.h"

#include "fuzz_common.h"

struct run {
	size_t	 records, row_errors, stop_after;
	size_t	 last_line, progress_done, progress_total;
	uint64_t hash;		/* of the records seen, in order */
	size_t	 mark;		/* hash after this many records ... */
	uint64_t mark_hash;	/* ... is kept here */
};

static uint64_t
mix(uint64_t h, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return (h ^ 0xff) * 0x100000001b3ULL;
	for (; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (h ^ 0xfe) * 0x100000001b3ULL;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* UTF-8 and trimmed of ASCII white space and U+00A0 at both ends. */
static void
check_field(const char *s)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	FUZZ_CHECK(utf8_valid(s, n));
	if (n == 0)
		return;
	FUZZ_CHECK(!is_blank((unsigned char)s[0]) &&
	    !is_blank((unsigned char)s[n - 1]));
	FUZZ_CHECK(!(n >= 2 && (unsigned char)s[0] == 0xc2 &&
	    (unsigned char)s[1] == 0xa0));
	FUZZ_CHECK(!(n >= 2 && (unsigned char)s[n - 2] == 0xc2 &&
	    (unsigned char)s[n - 1] == 0xa0));
}

/* Says a district with a '/' in its name is known when its name has an
 * even length, so both ways of splitting are taken. */
static int
known_even(void *arg, const char *name)
{
	(void)arg;
	return strlen(name) % 2 == 0;
}

/* Splits cell as topics (kind 0) or districts (1: nothing known, 2: some
 * names with '/' known) and checks the items. */
static void
check_list(const char *cell, int kind)
{
	char **items = NULL;
	size_t n, i, j;

	if (kind == 0)
		n = csvin_split_list(cell, &items);
	else
		n = csvin_split_districts(cell, kind == 2 ? known_even : NULL,
		    NULL, &items);
	FUZZ_CHECK(items != NULL);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(items[i] != NULL && items[i][0] != '\0');
		FUZZ_CHECK(strpbrk(items[i], kind ? ",;|" : ",;") == NULL);
		FUZZ_CHECK(kind != 1 || strchr(items[i], '/') == NULL);
		check_field(items[i]);
		for (j = 0; j < i; j++)	/* ASCII case folding at least */
			FUZZ_CHECK(strcasecmp(items[i], items[j]) != 0);
	}
	FUZZ_CHECK(items[n] == NULL);
	csvin_list_free(items);
}

static int
on_record(void *arg, const struct csvin_record *rec)
{
	struct run *r = arg;

	FUZZ_CHECK(rec->line >= 1 && rec->line > r->last_line);
	FUZZ_CHECK(rec->nfields >= 1);
	r->last_line = rec->line;
	check_field(rec->email);
	check_field(rec->name);
	check_field(rec->language);
	check_field(rec->districts);
	check_field(rec->topics);
	check_field(rec->newsletter);
	check_field(rec->invitations);
	{
		int yn = csvin_yes_no(rec->newsletter);
		const char *inv = csvin_invitations(rec->invitations);
		FUZZ_CHECK(yn >= -2 && yn <= 1);
		FUZZ_CHECK(inv == NULL || strcmp(inv, "") == 0 ||
		    strcmp(inv, "all") == 0 || strcmp(inv, "none") == 0);
	}
	r->hash = mix(mix(mix(mix(mix(r->hash, rec->email), rec->name),
	    rec->language), rec->districts), rec->topics);
	r->records++;
	if (r->records == r->mark)
		r->mark_hash = r->hash;
	if (r->stop_after != 0) {
		/* the stopping run: only the count and the hash matter */
		return r->records == r->stop_after;
	}
	check_list(rec->districts, 1);
	check_list(rec->districts, 2);
	check_list(rec->topics, 0);
	return 0;
}

static int
on_row_error(void *arg, size_t line, const char *msg)
{
	struct run *r = arg;

	FUZZ_CHECK(line >= 1);
	FUZZ_CHECK(msg != NULL && *msg != '\0' && utf8_valid(msg,
	    strlen(msg)));
	r->row_errors++;
	return 0;
}

static void
on_progress(void *arg, size_t done, size_t total)
{
	struct run *r = arg;

	FUZZ_CHECK(done <= total && done >= r->progress_done);
	FUZZ_CHECK(r->progress_total == 0 || total == r->progress_total);
	r->progress_done = done;
	r->progress_total = total;
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
	struct csvin_callbacks cb = { on_record, on_row_error, on_progress, 1 };
	struct csvin_info info;
	struct run one, two;
	char *err = NULL;
	int rc, rc2;

	memset(&one, 0, sizeof(one));
	one.mark = 1 + size % 3;
	rc = csvin_parse((const char *)data, size, &cb, &one, &info, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == -1) == (err != NULL));
	if (err != NULL)
		FUZZ_CHECK(*err != '\0' && utf8_valid(err, strlen(err)));
	free(err);
	err = NULL;
	FUZZ_CHECK(info.records == one.records);
	FUZZ_CHECK(info.row_errors == one.row_errors);
	FUZZ_CHECK(info.separator == ',' || info.separator == ';' ||
	    info.separator == '\t');
	if (rc == 0)
		FUZZ_CHECK(info.header_line >= 1);
	FUZZ_CHECK(csvin_encoding_name(info.encoding) != NULL);

	/* Again, stopping after 1..3 records, without row_error. */
	memset(&two, 0, sizeof(two));
	two.stop_after = one.mark;
	cb.row_error = NULL;
	cb.progress = NULL;
	rc2 = csvin_parse((const char *)data, size, &cb, &two, NULL, &err);
	if (one.records >= two.stop_after) {
		FUZZ_CHECK(rc2 == CSVIN_STOPPED && err == NULL);
		FUZZ_CHECK(two.records == two.stop_after);
		FUZZ_CHECK(two.hash == one.mark_hash);
	} else {
		FUZZ_CHECK(rc2 == rc);
		FUZZ_CHECK(two.records == one.records && two.hash == one.hash);
	}
	free(err);
	return 0;
}
