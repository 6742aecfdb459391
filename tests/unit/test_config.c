/* Unit tests: configuration parsing and validation (daemon/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "ical.h"
#include "util.h"

#include "tmpdir.h"


/* Writes text to dir/name with mode; returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Loads path with stderr captured into errors (caller frees). */
static int
load_capture(const char *path, struct config **cfg, char **errors)
{
	char errpath[512];
	int saved, fd, rc;
	size_t len;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	rc = config_load(path, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(file_read_all(errpath, errors, &len), 0);
	return rc;
}

static void
test_defaults_without_file(void **state)
{
	struct config *cfg = config_defaults();

	(void)state;
	assert_string_equal(cfg->database, "var/rundbrief.db");
	assert_string_equal(cfg->timezone, "Europe/Berlin");
	assert_string_equal(cfg->language, "de");
	assert_string_equal(cfg->maildir, "var/outbox");
	assert_null(cfg->smtp_url); /* file transport */
	assert_int_equal(cfg->connections, 4);
	assert_int_equal(cfg->tls, CONFIG_TLS_REQUIRED);
	assert_int_equal(cfg->horizon, 42 * 86400);
	assert_int_equal(cfg->max_age, 3 * 86400);
	assert_int_equal(cfg->imap_tls_verify, 1);
	assert_int_equal(cfg->order, CONFIG_ORDER_DATE);
	config_free(cfg);
}

static void
test_full_valid_file(void **state)
{
	struct config *cfg;
	char *errors;
	const char *p;

	(void)state;
	write_file("secret", "s3cr3t\n", 0600);
	p = write_file("ok.ini",
	    "; comment\n"
	    "[general]\n"
	    "database = /var/lib/rundbrief/rundbrief.db\n"
	    "timezone = Europe/Vienna\n"
	    "language = en\n"
	    "organisation = \"Landkreis Beispiel\"\n"
	    "organizer_email = ehrenamt@landkreis.example\n"
	    "base_url = https://ehrenamt.landkreis.example/\n"
	    "[smtp]\n"
	    "url = smtp://mail.example.org:587\n"
	    "username = rundbrief\n"
	    "password_file = /tmp/rundbrief-test-config/secret\n"
	    "from = Ehrenamt im Kreis <ehrenamt@landkreis.example>\n"
	    "connections = 8\n"
	    "rate_per_second = 2.5\n"
	    "rate_per_hour = 1000\n"
	    "connect_timeout = 15s\n"
	    "timeout = 2m\n"
	    "tls = required\n"
	    "[newsletter]\n"
	    "schedule = FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0\n"
	    "horizon = 6w\n"
	    "review_lead = 1d 12h\n"
	    "require_editorial = yes\n"
	    "[reminders]\n"
	    "offsets = 2h, 7d,1d\n"
	    "[imap]\n"
	    "url = imaps://mail.example.org\n"
	    "poll_interval = 5m\n"
	    "tls_verify = no\n", 0600);
	/* the password_file path must be the real one */
	{
		char *text, *fixed;
		size_t len;
		char secret[512];
		snprintf(secret, sizeof(secret), "%s/secret", dir);
		assert_int_equal(file_read_all(p, &text, &len), 0);
		fixed = xasprintf("%.*s%s%s", (int)(strstr(text,
		    "/tmp/rundbrief-test-config/secret") - text), text, secret,
		    strstr(text, "/tmp/rundbrief-test-config/secret") +
		    strlen("/tmp/rundbrief-test-config/secret"));
		p = write_file("ok.ini", fixed, 0600);
		free(text);
		free(fixed);
	}
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	assert_string_equal(errors, "");
	assert_string_equal(cfg->timezone, "Europe/Vienna");
	assert_string_equal(cfg->organisation, "Landkreis Beispiel");
	assert_string_equal(cfg->smtp_password, "s3cr3t");
	assert_int_equal(cfg->connections, 8);
	assert_true(cfg->rate_per_second > 2.49 && cfg->rate_per_second < 2.51);
	assert_int_equal(cfg->connect_timeout, 15);
	assert_int_equal(cfg->timeout, 120);
	assert_int_equal(cfg->horizon, 42 * 86400);
	assert_int_equal(cfg->review_lead, 36 * 3600);
	assert_int_equal(cfg->require_editorial, 1);
	assert_int_equal(cfg->n_reminder_offsets, 3);
	assert_int_equal(cfg->reminder_offsets[0], 7 * 86400); /* sorted */
	assert_int_equal(cfg->reminder_offsets[1], 86400);
	assert_int_equal(cfg->reminder_offsets[2], 7200);
	assert_int_equal(cfg->imap_tls_verify, 0);
	free(errors);
	config_free(cfg);
}

/* Each bad line must be reported as FILE:LINE: [section] key: … */
static void
test_errors_name_file_line_key(void **state)
{
	struct config *cfg = NULL;
	char *errors, want[600];
	const char *p;
	size_t i;
	static const struct {
		int line;
		const char *text;
	} expect[] = {
		{ 2, "[general] timezone: unknown time zone \"Europe/Berlni\"" },
		{ 3, "[general] language: \"deu\" is not a two-letter" },
		{ 4, "[general] organizer_email: \"coordinator\" is not an e-mail" },
		{ 5, "[general] colour: unknown key" },
		{ 7, "[smtp] url: \"http://mail.example.org\": unsupported URL scheme" },
		{ 8, "[smtp] connections: \"0\" must be a whole number from 1 to 32" },
		{ 9, "[smtp] timeout: \"soon\" must be a duration" },
		{ 10, "[smtp] tls: \"maybe\" must be required or none" },
		{ 11, "[smtp] url: set twice in this file" },
		{ 12, "[smtp] rate_per_second: \"-1\" must be a number" },
		{ 14, "[newsletter] schedule: bad RRULE \"FREQ=FORTNIGHTLY\"" },
		{ 15, "[newsletter] horizon: \"3x\" must be a duration" },
		{ 16, "[newsletter] require_editorial: \"perhaps\" must be yes or no" },
		{ 18, "[reminders] offsets: \"1y\" is not a duration" },
		{ 20, "[mailer]: unknown section" },
		{ 22, "[imap] url: \"imaps://host:99999\": port must be 1..65535" },
	};

	(void)state;
	p = write_file("bad.ini",
	    "[general]\n"                         /* 1 */
	    "timezone = Europe/Berlni\n"          /* 2 */
	    "language = deu\n"                    /* 3 */
	    "organizer_email = coordinator\n"     /* 4 */
	    "colour = blue\n"                     /* 5 */
	    "[smtp]\n"                            /* 6 */
	    "url = http://mail.example.org\n"     /* 7 */
	    "connections = 0\n"                   /* 8 */
	    "timeout = soon\n"                    /* 9 */
	    "tls = maybe\n"                       /* 10 */
	    "url = smtp://a.example:25\n"         /* 11 */
	    "rate_per_second = -1\n"              /* 12 */
	    "[newsletter]\n"                      /* 13 */
	    "schedule = FREQ=FORTNIGHTLY\n"       /* 14 */
	    "horizon = 3x\n"                      /* 15 */
	    "require_editorial = perhaps\n"       /* 16 */
	    "[reminders]\n"                       /* 17 */
	    "offsets = 7d, 1y\n"                  /* 18 */
	    "\n"                                  /* 19 */
	    "[mailer]\n"                          /* 20 */
	    "[imap]\n"                            /* 21 */
	    "url = imaps://host:99999\n",         /* 22 */
	    0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_null(cfg);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		snprintf(want, sizeof(want), "%s:%d: %s", p, expect[i].line,
		    expect[i].text);
		if (strstr(errors, want) == NULL)
			fail_msg("missing error \"%s\" in:\n%s", want, errors);
	}
	assert_non_null(strstr(errors, "16 errors in configuration"));
	free(errors);
}

/* A NUL in a value is an error, and bytes from the file reach the terminal
 * only cleaned (no escape sequences, no invalid UTF-8). */
static void
test_nul_and_raw_bytes(void **state)
{
	static const char text[] = "[general]\ntimezone = Europe/Ber\0lin\n"
	    "[smtp]\nfo\x1b]0;pwned\x07o = 1\nfrom = \xff\x1b[31m\n";
	struct config *cfg = NULL;
	char *errors, want[600], path[512];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/nul.ini", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, fp),
	    sizeof(text) - 1);
	fclose(fp);
	assert_int_equal(load_capture(path, &cfg, &errors), -1);
	snprintf(want, sizeof(want), "%s:2: the line holds a NUL byte", path);
	if (strstr(errors, want) == NULL)
		fail_msg("no NUL error in: %s", errors);
	snprintf(want, sizeof(want), "%s:4: [smtp] fo?]0;pwned?o: unknown key",
	    path);
	if (strstr(errors, want) == NULL)
		fail_msg("key not cleaned in: %s", errors);
	assert_null(strchr(errors, '\x1b'));
	assert_null(strchr(errors, '\x07'));
	assert_null(strchr(errors, '\xff'));
	free(errors);
}

static void
test_syntax_error_line(void **state)
{
	struct config *cfg = NULL;
	char *errors, want[600];
	const char *p;

	(void)state;
	p = write_file("syntax.ini", "[general]\nlanguage = de\nthis is not ini\n",
	    0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	snprintf(want, sizeof(want), "%s:3: syntax error", p);
	assert_non_null(strstr(errors, want));
	free(errors);
}

static void
test_secrets_readable_by_others_refused(void **state)
{
	struct config *cfg = NULL;
	char *errors, text[1024];
	const char *p, *secret;

	(void)state;
	secret = write_file("open-secret", "pw\n", 0644);
	snprintf(text, sizeof(text), "[smtp]\nusername = u\npassword_file = %s\n",
	    secret);
	p = write_file("pwfile.ini", text, 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "is readable by others"));
	assert_non_null(strstr(errors, "chmod 600"));
	free(errors);

	/* an inline password in a world-readable config */
	p = write_file("inline.ini", "[general]\nlanguage = de\n[smtp]\n"
	    "username = u\npassword = hunter2\n", 0644);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	snprintf(text, sizeof(text), "%s:5: password in a file readable by "
	    "others", p);
	assert_non_null(strstr(errors, text));
	free(errors);

	/* the same file, private: accepted */
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	assert_string_equal(cfg->smtp_password, "hunter2");
	config_free(cfg);
	free(errors);

	/* a missing password file */
	p = write_file("nofile.ini", "[smtp]\nusername = u\n"
	    "password_file = /nonexistent/pw\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "/nonexistent/pw"));
	free(errors);
}

/* Under systemd, a relative password_file is found among the service's
 * credentials (LoadCredential=). */
static void
test_secret_from_credentials_directory(void **state)
{
	struct config *cfg = NULL;
	char *errors, creds[512];
	const char *p;

	(void)state;
	snprintf(creds, sizeof(creds), "%s/creds", dir);
	assert_int_equal(mkdir(creds, 0700), 0);
	write_file("creds/smtp-password", "from-systemd\n", 0400);
	p = write_file("creds.ini", "[smtp]\nusername = u\n"
	    "password_file = smtp-password\n", 0644);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	assert_string_equal(cfg->smtp_password, "from-systemd");
	config_free(cfg);
	free(errors);
	unsetenv("CREDENTIALS_DIRECTORY");
	/* without it, the relative name is not found */
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "smtp-password"));
	free(errors);
}

static void
test_explicit_missing_file_is_error(void **state)
{
	struct config *cfg = NULL;
	char *errors;

	(void)state;
	assert_int_equal(load_capture("/nonexistent/rundbrief.ini", &cfg,
	    &errors), -1);
	assert_non_null(strstr(errors, "/nonexistent/rundbrief.ini: cannot "
	    "read configuration"));
	free(errors);
}

static void
test_env_variable(void **state)
{
	struct config *cfg;
	const char *p;
	char *errors;

	(void)state;
	p = write_file("env.ini", "[general]\nlanguage = en\n", 0600);
	setenv("RUNDBRIEF_CONFIG", p, 1);
	assert_int_equal(load_capture(NULL, &cfg, &errors), 0);
	assert_string_equal(cfg->language, "en");
	assert_string_equal(cfg->path, p);
	unsetenv("RUNDBRIEF_CONFIG");
	config_free(cfg);
	free(errors);
}

static void
test_durations(void **state)
{
	long s;

	(void)state;
	assert_int_equal(config_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(config_parse_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(config_parse_duration("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(config_parse_duration("2w", &s), 0);
	assert_int_equal(s, 14 * 86400);
	assert_int_equal(config_parse_duration("", &s), -1);
	assert_int_equal(config_parse_duration("-5m", &s), -1);
	assert_int_equal(config_parse_duration("5 minutes", &s), -1);
	assert_int_equal(config_parse_duration("1h 30", &s), -1);
	assert_int_equal(config_parse_duration("99999999999999999999d", &s), -1);
}

static void
test_email_validation(void **state)
{
	(void)state;
	assert_true(config_valid_email("anna@example.org"));
	assert_true(config_valid_email("anna.schneider+news@sub.example.org"));
	assert_true(config_valid_email("o'brien@example.ie"));
	assert_false(config_valid_email("anna"));
	assert_false(config_valid_email("anna@"));
	assert_false(config_valid_email("@example.org"));
	assert_false(config_valid_email("anna@localhost"));
	assert_false(config_valid_email("anna@@example.org"));
	assert_false(config_valid_email("an na@example.org"));
	assert_false(config_valid_email("anna@exa_mple.org"));
	assert_false(config_valid_email("anna..s@example.org"));
	assert_false(config_valid_email(".anna@example.org"));
	assert_false(config_valid_email("anna@example..org"));
	assert_false(config_valid_email("anna@example.org\r\nBcc: x@y.z"));
	assert_false(config_valid_email("<anna@example.org>"));
	assert_false(config_valid_email("anna,bob@example.org"));
	assert_false(config_valid_email("jürgen@example.org"));
}

/* area_name = … for the default language, area_name.LANG = … for others */
static void
test_words_per_language(void **state)
{
	struct config *cfg;
	char *errors;
	const char *p;

	(void)state;
	cfg = config_defaults();
	assert_null(config_word(cfg, &cfg->area_name, "de"));
	config_free(cfg);

	p = write_file("words.ini", "[general]\n"
	    "area_name = stadtweit\n"
	    "area_name.en = city-wide\n"
	    "area_name.uk = \"по всьому місту\"\n"
	    "language = de\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	assert_string_equal(errors, "");
	free(errors);
	assert_string_equal(config_word(cfg, &cfg->area_name, "de"),
	    "stadtweit");
	assert_string_equal(config_word(cfg, &cfg->area_name, "en"),
	    "city-wide");
	assert_string_equal(config_word(cfg, &cfg->area_name, "uk"),
	    "по всьому місту");
	assert_null(config_word(cfg, &cfg->area_name, "fr"));
	config_free(cfg);

	/* the plain key is the default language's, whatever its order */
	p = write_file("words2.ini", "[general]\narea_name = citywide\n"
	    "language = en\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	free(errors);
	assert_string_equal(config_word(cfg, &cfg->area_name, "en"),
	    "citywide");
	assert_null(config_word(cfg, &cfg->area_name, "de"));
	config_free(cfg);

	p = write_file("words3.ini", "[general]\n"
	    "area_name.english = city-wide\n"
	    "area_name.en = one\n"
	    "area_name.en = two\n"
	    "language_name.en = x\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "words3.ini:2: [general] "
	    "area_name.english: \"english\" is not a two-letter ISO 639-1 "
	    "language code"));
	assert_non_null(strstr(errors, "words3.ini:4: [general] "
	    "area_name.en: set twice"));
	assert_non_null(strstr(errors, "words3.ini:5: [general] "
	    "language_name.en: unknown key"));
	free(errors);
}

static void
test_newsletter_order(void **state)
{
	struct config *cfg;
	char *errors;
	const char *p;

	(void)state;
	p = write_file("order.ini", "[newsletter]\norder = kind\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), 0);
	assert_int_equal(cfg->order, CONFIG_ORDER_KIND);
	free(errors);
	config_free(cfg);
	p = write_file("order.ini", "[newsletter]\norder = title\n", 0600);
	assert_int_equal(load_capture(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "order.ini:2: [newsletter] order: "
	    "\"title\" must be date or kind"));
	free(errors);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_without_file),
		cmocka_unit_test(test_full_valid_file),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_secrets_readable_by_others_refused),
		cmocka_unit_test(test_secret_from_credentials_directory),
		cmocka_unit_test(test_explicit_missing_file_is_error),
		cmocka_unit_test(test_env_variable),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_email_validation),
		cmocka_unit_test(test_nul_and_raw_bytes),
		cmocka_unit_test(test_words_per_language),
		cmocka_unit_test(test_newsletter_order),
	};

	return cmocka_run_group_tests_name("config", tests, tmpdir_setup,
	    tmpdir_teardown);
}
