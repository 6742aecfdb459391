/*
 * Shared helpers for the unit tests of rendering and newsletter content
 * (test_render.c, test_newsletter.c): files in the temporary directory, a
 * configuration that keeps everything there, and a made-up subscriber.
 *
 * Everything here is static; each tests/unit/test_*.c that includes it is
 * its own program (the Makefile builds them with -Wno-unused-function).
 * Include it after cmocka.h.
 */
#ifndef RENDER_TESTLIB_H
#define RENDER_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "subscriber.h"
#include "util.h"

#include "tmpdir.h"

/* Writes text to dir/rel, creating the directories on the way. */
static void
put(const char *rel, const char *text)
{
	char path[600], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* The defaults, with the database and content/ in the temporary
 * directory. */
static struct config *
test_config(void)
{
	struct config *cfg = config_defaults();

	free(cfg->database);
	cfg->database = xasprintf("%s/db.sqlite", dir);
	free(cfg->content);
	cfg->content = xasprintf("%s/content", dir);
	cfg->organisation = (free(cfg->organisation),
	    xstrdup("Landkreis Beispiel"));
	return cfg;
}

/* An active subscriber of language lang in district (NULL: none). */
static struct subscriber *
person(const char *name, const char *lang, const char *district)
{
	struct subscriber *s = xcalloc(1, sizeof(*s));

	s->email = xstrdup("p@example.org");
	s->name = xstrdup(name);
	s->language = xstrdup(lang);
	s->status = xstrdup("active");
	s->token = xstrdup("00112233445566778899aabbccddeeff");
	if (district != NULL) {
		s->districts = xcalloc(1, sizeof(char *));
		s->districts[0] = xstrdup(district);
		s->ndistricts = 1;
	}
	return s;
}

#endif
