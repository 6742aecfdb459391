/* Unit tests: a month's editorials per language (newsletter.c) and their
 * freezing with the mailing (mailing.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "ical.h"
#include "mailing.h"
#include "newsletter.h"
#include "render.h"
#include "subscriber.h"
#include "tmplset.h"
#include "util.h"

#include "render_testlib.h"

/* The newsletter of December 2026, made on 1 December. */
static time_t
december(void)
{
	time_t now;

	assert_int_equal(ical_local_to_utc("Europe/Berlin", "2026-12-01 09:00",
	    &now), 0);
	return now;
}

static void
editorials(void)
{
	put("content/2026-12.md", "---\nsubject: Rundbrief Advent\n"
	    "preheader: Termine im Advent\n---\nDeutscher Text.\n");
	put("content/2026-12.en.md", "---\nsubject: Advent newsletter\n---\n"
	    "English text.\n");
	put("content/2026-12.uk.md", "Український текст.\n");
	/* not editorials: not a language code, another month */
	put("content/2026-12.EN.md", "Falsch.\n");
	put("content/2026-12.draft.md", "Entwurf.\n");
	put("content/2026-11.en.md", "November.\n");
}

/* Renders nl for s; checks the subject and that the text has body. */
static void
expect(struct render *r, const struct newsletter *nl, const char *lang,
    const char *subject, const char *body, const char *frame)
{
	struct subscriber *s = person("Anna", lang, NULL);
	struct rendered m;
	char *err = NULL;

	assert_int_equal(render_newsletter(r, nl, s, &m, &err), 0);
	if (strcmp(m.subject, subject) != 0 ||
	    strstr(m.text.data, body) == NULL ||
	    strstr(m.html.data, body) == NULL ||
	    strncmp(m.text.data, frame, strlen(frame)) != 0)
		fail_msg("%s: want \"%s\", \"%s\", \"%s\", got:\nSubject: %s\n%s",
		    lang, subject, body, frame, m.subject, m.text.data);
	rendered_free(&m);
	subscriber_free(s);
}

static void
test_editorial_per_language(void **state)
{
	struct config *cfg = test_config();
	struct tmplset *ts = tmplset_new(NULL, "de");
	struct render *r = render_new(cfg, ts);
	struct newsletter nl;
	struct db *db;
	char *err = NULL, want[600];

	(void)state;
	assert_int_equal(db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err), 0);
	editorials();
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, december(), &nl,
	    &err), 0);
	assert_int_equal(nl.neditorials, 3);
	assert_string_equal(nl.editorials[0].lang, "");
	assert_string_equal(nl.editorials[1].lang, "en");
	assert_string_equal(nl.editorials[2].lang, "uk");
	snprintf(want, sizeof(want), "%s/content/2026-12.en.md", dir);
	assert_string_equal(newsletter_editorial(&nl, "en")->file, want);
	snprintf(want, sizeof(want), "%s/content/2026-12.md", dir);
	assert_string_equal(newsletter_editorial(&nl, "fr")->file, want);
	assert_string_equal(newsletter_editorial(&nl, "de")->file, want);

	expect(r, &nl, "de", "Rundbrief Advent", "Deutscher Text.",
	    "Rundbrief Dezember 2026");
	/* the English frame with the English editorial and its subject */
	expect(r, &nl, "en", "Advent newsletter", "English text.",
	    "Newsletter December 2026");
	/* no Ukrainian templates: the German frame, the Ukrainian text and
	 * the frame's subject (the file has none) */
	expect(r, &nl, "uk", "Rundbrief Dezember 2026", "Український текст.",
	    "Rundbrief Dezember 2026");
	/* no French editorial: the default one */
	expect(r, &nl, "fr", "Rundbrief Advent", "Deutscher Text.",
	    "Rundbrief Dezember 2026");
	newsletter_free(&nl);

	/* without YYYY-MM.md, other languages have no editorial */
	snprintf(want, sizeof(want), "%s/content/2026-12.md", dir);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, december(), &nl,
	    &err), 0);
	assert_int_equal(nl.neditorials, 2);
	assert_null(newsletter_editorial(&nl, "fr"));
	expect(r, &nl, "en", "Advent newsletter", "English text.",
	    "Newsletter December 2026");
	newsletter_free(&nl);

	/* a broken translation names its file */
	put("content/2026-12.en.md", "---\nsubject: x\n");
	assert_int_equal(newsletter_load(cfg, db, 2026, 12, december(), &nl,
	    &err), -1);
	snprintf(want, sizeof(want), "%s/content/2026-12.en.md:", dir);
	assert_non_null(strstr(err, want));
	free(err);

	db_close(db);
	render_free(r);
	tmplset_free(ts);
	config_free(cfg);
}

/* Renders mailing m for a subscriber of lang; checks subject and body. */
static void
expect_frozen(struct mailing *m, const char *lang, const char *subject,
    const char *body)
{
	struct subscriber *s = person("Anna", lang, NULL);
	struct mailing_msg mm;
	char *err = NULL;

	assert_int_equal(mailing_render(m, s, &mm, &err), 0);
	if (strcmp(mm.r.subject, subject) != 0 ||
	    strstr(mm.r.text.data, body) == NULL)
		fail_msg("%s: want \"%s\", \"%s\", got:\nSubject: %s\n%s", lang,
		    subject, body, mm.r.subject, mm.r.text.data);
	mailing_msg_free(&mm);
	subscriber_free(s);
}

/* Every language's editorial is frozen when the mailing is made. */
static void
test_editorials_frozen_with_mailing(void **state)
{
	struct config *cfg = test_config();
	struct mailing *m;
	struct db *db;
	char *err = NULL, sql[200];
	int64_t id;
	long queued;

	(void)state;
	assert_int_equal(db_open(cfg->database, DB_OPEN_MIGRATE, &db, &err), 0);
	editorials();
	assert_int_equal(mailing_newsletter(cfg, db, 2026, 12, 0, december(),
	    &id, &queued, &err), 0);
	/* the coordinator edits the files after sending */
	put("content/2026-12.md", "Neuer Text.\n");
	put("content/2026-12.en.md", "New text.\n");
	put("content/2026-12.fr.md", "Texte français.\n");
	assert_int_equal(mailing_load(cfg, db, id, &m, &err), 0);
	expect_frozen(m, "de", "Rundbrief Advent", "Deutscher Text.");
	expect_frozen(m, "en", "Advent newsletter", "English text.");
	expect_frozen(m, "uk", "Rundbrief Dezember 2026", "Український текст.");
	expect_frozen(m, "fr", "Rundbrief Advent", "Deutscher Text.");
	mailing_free(m);

	/* a mailing made before there were editorials per language keeps
	 * its one editorial in the mailings row */
	snprintf(sql, sizeof(sql), "DELETE FROM mailing_editorials WHERE "
	    "mailing_id = %lld; UPDATE mailings SET editorial = 'Alter Text.', "
	    "subject = 'Alter Betreff' WHERE id = %lld", (long long)id,
	    (long long)id);
	assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(mailing_load(cfg, db, id, &m, &err), 0);
	expect_frozen(m, "de", "Alter Betreff", "Alter Text.");
	expect_frozen(m, "en", "Alter Betreff", "Alter Text.");
	mailing_free(m);

	db_close(db);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_editorial_per_language),
		cmocka_unit_test(test_editorials_frozen_with_mailing),
	};

	return cmocka_run_group_tests_name("newsletter", tests, tmpdir_setup,
	    tmpdir_teardown);
}
