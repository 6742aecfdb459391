/*
 * A temporary directory per test program: tmpdir_setup() creates it
 * (cmocka group setup), tmpdir_teardown() removes it and frees libical's
 * caches, so valgrind sees a clean heap. The path is in `dir`.
 */
#ifndef RUNDBRIEF_TEST_TMPDIR_H
#define RUNDBRIEF_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

#include "ical.h"

static char dir[] = "/tmp/rundbrief-test-XXXXXX";

static int
tmpdir_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
tmpdir_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ical_cleanup();
	return system(cmd) == 0 ? 0 : -1;
}

#endif
