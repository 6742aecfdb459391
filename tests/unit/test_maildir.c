/*
 * Tests for maildir_deliver: files in new/ with the exact bytes and mode
 * 0600, nothing left in tmp/, directories created 0700, and a path that
 * cannot become a Maildir refused.
 */
#include "smtp_testlib.h"

#include "maildir.h"

static int
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_maildir(void **state)
{
	char *dir = xasprintf("%s/maildir/nested/outbox", tmproot);
	char *p[3], *err, *got, *sub;
	const char *data[3] = { MSG "eins\r\n", MSG "zwei\r\n", "" };
	struct stat st;
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(maildir_deliver(dir, data[i], strlen(data[i]),
		    &p[i], &err), 0);
		sub = xasprintf("%s/new/", dir);
		assert_true(strncmp(p[i], sub, strlen(sub)) == 0);
		assert_non_null(strstr(p[i], ".rundbrief"));
		free(sub);
		assert_int_equal(file_read_all(p[i], &got, &len), 0);
		assert_int_equal(len, strlen(data[i]));
		assert_memory_equal(got, data[i], len);
		free(got);
		assert_int_equal(stat(p[i], &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_string_not_equal(p[0], p[1]);
	assert_string_not_equal(p[1], p[2]);
	sub = xasprintf("%s/tmp", dir);
	assert_int_equal(count_dir(sub), 0);	/* nothing left behind */
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(sub);
	sub = xasprintf("%s/new", dir);
	assert_int_equal(count_dir(sub), 3);
	free(sub);
	sub = xasprintf("%s/cur", dir);
	assert_int_equal(count_dir(sub), 0);
	free(sub);
	for (i = 0; i < 3; i++)
		free(p[i]);
	assert_int_equal(maildir_deliver(dir, "x", 1, NULL, &err), 0);

	/* A path through a regular file cannot become a Maildir. */
	sub = xasprintf("%s/plainfile", tmproot);
	fclose(fopen(sub, "w"));
	p[0] = xasprintf("%s/mail", sub);
	assert_int_equal(maildir_deliver(p[0], "x", 1, NULL, &err), -1);
	assert_non_null(strstr(err, "Not a directory"));
	free(err);
	free(p[0]);
	free(sub);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildir),
	};
	int fails;

	if (mkdtemp(tmproot) == NULL) {
		fprintf(stderr, "setup: %s\n", strerror(errno));
		return 1;
	}
	fails = cmocka_run_group_tests_name("maildir", tests, NULL, NULL);
	nftw(tmproot, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return fails != 0;
}
