/*
 * fuzz_config: the input is an INI file for config_load().
 *
 * config_load() takes a path, so each input is written to one temporary
 * file per process (mode 0600, as a private configuration file would be),
 * overwritten for every input. The file is unlinked at once and read
 * through /proc/self/fd/N, so nothing is left in /tmp even after a crash.
 * config.c prints every error to stderr; that is silenced around the
 * call.
 *
 * Checked on success: every value the header documents a range for is in
 * range, the reminder offsets are descending, and the zone, the schedule
 * and the e-mail addresses pass the same validators the daemon relies on.
 * On failure *out must be NULL.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ical.h"

#include "fuzz_common.h"

static char cfg_path[64];
static int cfg_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/fuzz_config.XXXXXX";

	(void)argc;
	(void)argv;
	fuzz_quiet_init();
	unsetenv("RUNDBRIEF_CONFIG");
	if ((cfg_fd = mkstemp(tmpl)) < 0) {
		perror("mkstemp");
		exit(1);
	}
	unlink(tmpl);
	snprintf(cfg_path, sizeof(cfg_path), "/proc/self/fd/%d", cfg_fd);
	return 0;
}

static void
check_config(const struct config *cfg)
{
	size_t i;

	FUZZ_CHECK(cfg->path != NULL && strcmp(cfg->path, cfg_path) == 0);
	FUZZ_CHECK(cfg->database != NULL);
	FUZZ_CHECK(cfg->connections >= 1 && cfg->connections <= 32);
	FUZZ_CHECK(!isnan(cfg->rate_per_second) &&
	    cfg->rate_per_second >= 0 && cfg->rate_per_second <= 10000);
	FUZZ_CHECK(cfg->rate_per_hour >= 0 && cfg->rate_per_hour <= 10000000);
	FUZZ_CHECK(cfg->connect_timeout >= 1 && cfg->connect_timeout <= 600);
	FUZZ_CHECK(cfg->timeout >= 1 && cfg->timeout <= 3600);
	FUZZ_CHECK(cfg->tls == CONFIG_TLS_REQUIRED ||
	    cfg->tls == CONFIG_TLS_NONE);
	FUZZ_CHECK(cfg->max_age >= 60 && cfg->max_age <= 30 * 86400L);
	FUZZ_CHECK(cfg->horizon >= 86400 && cfg->horizon <= 366 * 86400L);
	FUZZ_CHECK(cfg->review_lead >= 0 && cfg->review_lead <= 30 * 86400L);
	FUZZ_CHECK(cfg->require_editorial == 0 || cfg->require_editorial == 1);
	FUZZ_CHECK(cfg->alarm >= 0 && cfg->alarm <= 30 * 86400L);
	FUZZ_CHECK(cfg->poll_interval >= 10 && cfg->poll_interval <= 86400);
	FUZZ_CHECK(cfg->imap_tls_verify == 0 || cfg->imap_tls_verify == 1);
	FUZZ_CHECK(cfg->n_reminder_offsets == 0 ||
	    cfg->reminder_offsets != NULL);
	for (i = 0; i < cfg->n_reminder_offsets; i++) {
		FUZZ_CHECK(cfg->reminder_offsets[i] >= 60 &&
		    cfg->reminder_offsets[i] <= 366 * 86400L);
		FUZZ_CHECK(i == 0 ||
		    cfg->reminder_offsets[i] < cfg->reminder_offsets[i - 1]);
	}
	if (cfg->timezone != NULL)
		FUZZ_CHECK(ical_tz_valid(cfg->timezone));
	if (cfg->schedule != NULL)
		FUZZ_CHECK(ical_rrule_valid(cfg->schedule, NULL) == 0);
	if (cfg->organizer_email != NULL)
		FUZZ_CHECK(config_valid_email(cfg->organizer_email));
	if (cfg->envelope_from != NULL)
		FUZZ_CHECK(strchr(cfg->envelope_from, '@') != NULL);
	if (cfg->reply_to != NULL)
		FUZZ_CHECK(config_valid_email(cfg->reply_to));
	if (cfg->smtp_username != NULL)
		FUZZ_CHECK(cfg->smtp_password != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = (struct config *)1;
	int rc;

	if (ftruncate(cfg_fd, 0) < 0 ||
	    pwrite(cfg_fd, data, size, 0) != (ssize_t)size)
		abort();
	fuzz_quiet_begin();
	rc = config_load(cfg_path, &cfg);
	fuzz_quiet_end();
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(cfg != NULL);
		check_config(cfg);
		config_free(cfg);
	} else
		FUZZ_CHECK(cfg == NULL);
	return 0;
}
