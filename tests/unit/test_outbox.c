/* Unit tests: the outbox state machine (claim, sent, backoff, max_age,
 * permanent failures and bounces, recovery after a crash, retry, cancel). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "ical.h"
#include "outbox.h"
#include "subscriber.h"
#include "util.h"

static char dir[] = "/tmp/rundbrief-test-outbox-XXXXXX";
static struct db *db;
static int64_t mid;

static const char *
state_of(int64_t id)
{
	static char s[32];
	sqlite3_stmt *st;

	sqlite3_prepare_v2(db_handle(db), "SELECT state FROM outbox WHERE id = ?",
	    -1, &st, NULL);
	sqlite3_bind_int64(st, 1, id);
	s[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(s, sizeof(s), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

static int64_t
scalar(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
free_items(struct outbox_item **v, long n)
{
	long i;

	for (i = 0; i < n; i++)
		outbox_item_free(v[i]);
	free(v);
}

static int
setup(void **state)
{
	char path[512], *err = NULL;
	struct sub_fields f;
	char email[64];
	int i;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/db.sqlite", dir);
	if (db_open(path, DB_OPEN_MIGRATE, &db, &err) < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	for (i = 0; i < 5; i++) {
		snprintf(email, sizeof(email), "p%d@example.org", i);
		if (subscriber_add(db, email, &f, 1, "test", 0, &err) != SUB_ADDED)
			return -1;
	}
	snprintf(email, sizeof(email), "pending@example.org");
	subscriber_add(db, email, &f, 0, NULL, 0, &err);
	sqlite3_exec(db_handle(db), "INSERT INTO mailings(kind, title, "
	    "created_at) VALUES ('newsletter', 'Test', 1000)", NULL, NULL, NULL);
	mid = sqlite3_last_insert_rowid(db_handle(db));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	db_close(db);
	ical_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_enqueue_only_active_once(void **state)
{
	(void)state;
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbox_enqueue(db, mid, NULL, "P4@example.org", 1000), 4);
	/* again: nothing new (one row per recipient per mailing) */
	assert_int_equal(outbox_enqueue(db, mid, NULL, NULL, 1000), 1);
	assert_int_equal(outbox_enqueue(db, mid, NULL, NULL, 1000), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(scalar("SELECT count(*) FROM outbox"), 5);
	assert_int_equal(scalar("SELECT count(*) FROM outbox o JOIN subscribers"
	    " s ON s.id = o.subscriber_id WHERE s.status = 'pending'"), 0);
}

static void
test_claim_sent_and_crash_recovery(void **state)
{
	struct outbox_item **v;
	struct outbox_counts c;
	long n, recovered;

	(void)state;
	/* not due yet */
	assert_int_equal(outbox_claim(db, 999, 10, &v), 0);
	free(v);
	n = outbox_claim(db, 1000, 2, &v);
	assert_int_equal(n, 2);
	assert_string_equal(state_of(v[0]->id), "sending");
	assert_non_null(v[0]->sub->email);
	assert_non_null(v[0]->sub->token);
	/* a claimed row is not claimed twice */
	{
		struct outbox_item **w;
		long m = outbox_claim(db, 1000, 10, &w);
		assert_int_equal(m, 3);
		free_items(w, m);
	}
	assert_int_equal(outbox_sent(db, v[0]->id, "<id@example.org>", "250 ok",
	    1001), 0);
	assert_string_equal(state_of(v[0]->id), "sent");
	/* "crash": everything in sending goes back to queued */
	assert_int_equal(outbox_recover(db, &recovered), 0);
	assert_int_equal(recovered, 4);
	assert_string_equal(state_of(v[0]->id), "sent");
	assert_string_equal(state_of(v[1]->id), "queued");
	assert_int_equal(outbox_counts(db, mid, &c), 0);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.queued, 4);
	free_items(v, n);
}

static void
test_backoff_then_max_age(void **state)
{
	static const long delays[] = { 60, 300, 1800, 7200, 21600, 21600 };
	struct outbox_item **v;
	time_t now = 2000;
	int64_t id;
	size_t i;
	long n;

	(void)state;
	n = outbox_claim(db, now, 1, &v);
	assert_int_equal(n, 1);
	id = v[0]->id;
	assert_int_equal(outbox_unclaim(db, id), 0);
	assert_string_equal(state_of(id), "queued");
	free_items(v, n);
	/* only this row is due during the test */
	{
		char sql[160];
		snprintf(sql, sizeof(sql), "UPDATE outbox SET next_attempt ="
		    " 1000000000000 WHERE id <> %lld AND state = 'queued'",
		    (long long)id);
		assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL,
		    NULL), SQLITE_OK);
	}
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		n = outbox_claim(db, now, 1, &v);
		assert_int_equal(n, 1);
		assert_int_equal(v[0]->id, id);
		assert_int_equal(v[0]->attempts, (int)i);
		assert_int_equal(outbox_tempfail(db, v[0], "451 later",
		    3 * 86400, now), 0);
		assert_string_equal(state_of(id), "deferred");
		assert_int_equal(outbox_next_due(db) >= now, 1);
		{
			char sql[128];
			snprintf(sql, sizeof(sql), "SELECT next_attempt FROM outbox"
			    " WHERE id = %lld", (long long)id);
			assert_int_equal(scalar(sql), now + delays[i]);
		}
		/* not due before its time */
		{
			struct outbox_item **w;
			long m = outbox_claim(db, now + delays[i] - 1, 10, &w);
			for (long k = 0; k < m; k++)
				assert_int_not_equal(w[k]->id, id);
			for (long k = 0; k < m; k++)
				outbox_unclaim(db, w[k]->id);
			free_items(w, m);
		}
		now += delays[i];
		free_items(v, n);
	}
	/* three days after creation it fails for good */
	now = 1000 + 3 * 86400;
	n = outbox_claim(db, now, 1, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->id, id);
	assert_int_equal(outbox_tempfail(db, v[0], "451 still", 3 * 86400, now),
	    1);
	assert_string_equal(state_of(id), "failed");
	free_items(v, n);
	assert_int_equal(sqlite3_exec(db_handle(db), "UPDATE outbox SET"
	    " next_attempt = 1000 WHERE next_attempt = 1000000000000", NULL,
	    NULL, NULL), SQLITE_OK);
}

static void
test_permfail_bounces_and_retry(void **state)
{
	struct outbox_item **v;
	struct subscriber *s;
	char email[64];
	long n;

	(void)state;
	n = outbox_claim(db, 1000 + 3 * 86400, 1, &v);
	assert_int_equal(n, 1);
	snprintf(email, sizeof(email), "%s", v[0]->sub->email);
	/* user unknown: bounced at the first hard bounce */
	assert_int_equal(outbox_permfail(db, v[0], "550 5.1.1 no such user",
	    1, 3, 5000), 0);
	assert_string_equal(state_of(v[0]->id), "failed");
	assert_int_equal(subscriber_get(db, email, &s), 0);
	assert_string_equal(s->status, "bounced");
	assert_int_equal(s->bounces, 1);
	subscriber_free(s);
	free_items(v, n);
	/* retry re-queues failed rows of active subscribers only: the one
	 * that failed for being too old, not the bounced one */
	assert_int_equal(outbox_retry(db, mid, 6000), 1);
	assert_int_equal(scalar("SELECT count(*) FROM outbox WHERE state ="
	    " 'failed'"), 1);
}

static void
test_cancel_mailing(void **state)
{
	struct outbox_item **v;
	long n;

	(void)state;
	n = outbox_cancel(db, mid, 7000);
	assert_true(n >= 1);
	assert_int_equal(scalar("SELECT count(*) FROM outbox WHERE state IN"
	    " ('queued','deferred')"), 0);
	assert_int_equal(outbox_claim(db, 1 << 30, 10, &v), 0);
	free(v);
	assert_int_equal(outbox_next_due(db), 0);
	assert_int_equal(outbox_cancel(db, 9999, 7000), -1);
}

static int nfinished;

static void
on_finished(void *arg, int64_t id, const char *kind, const char *title,
    const struct outbox_counts *c)
{
	(void)arg;
	(void)kind;
	(void)title;
	assert_int_equal(c->sent, 4);
	assert_int_equal(c->queued + c->sending + c->deferred, 0);
	nfinished += id > 0;
}

/* Blocked mailings, failures taken back, and done mailings. */
static void
test_block_unfail_and_done(void **state)
{
	struct outbox_item **v;
	int64_t m2, ids[2];
	long n, i;
	int b0;

	(void)state;
	sqlite3_exec(db_handle(db), "INSERT INTO mailings(kind, title, "
	    "created_at) VALUES ('newsletter', 'Second', 8000)", NULL, NULL,
	    NULL);
	m2 = sqlite3_last_insert_rowid(db_handle(db));
	assert_int_equal(outbox_enqueue(db, m2, NULL, NULL, 8000), 4);
	n = outbox_claim(db, 8000, 10, &v);
	assert_int_equal(n, 4);
	b0 = (int)scalar("SELECT sum(bounces) FROM subscribers");
	/* two "bounces" that turn out to be the server's refusal */
	for (i = 0; i < 2; i++) {
		ids[i] = v[i]->id;
		assert_int_equal(outbox_permfail(db, v[i], "554 no", 1, 1,
		    8001), 0);
	}
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE"
	    " status = 'bounced'"), 3);
	assert_int_equal(outbox_unfail(db, ids, 2, 8002), 0);
	assert_string_equal(state_of(ids[0]), "queued");
	assert_int_equal(scalar("SELECT count(*) FROM subscribers WHERE"
	    " status = 'bounced'"), 1);
	assert_int_equal(scalar("SELECT sum(bounces) FROM subscribers"), b0);
	assert_int_equal(scalar("SELECT max(attempts) FROM outbox WHERE"
	    " mailing_id = (SELECT max(id) FROM mailings)"), 0);
	/* blocked: nothing of it is claimed, and it is not done */
	assert_int_equal(outbox_block(db, m2, "553 5.7.1 sender rejected",
	    8003), 1);
	assert_int_equal(outbox_block(db, m2, "again", 8003), 0);
	for (i = 2; i < n; i++)
		assert_int_equal(outbox_unclaim(db, v[i]->id), 0);
	free_items(v, n);
	assert_int_equal(outbox_claim(db, 9000, 10, &v), 0);
	free(v);
	assert_int_equal(outbox_next_due(db), 0);
	assert_int_equal(outbox_finish_mailings(db, 9000, NULL, NULL), 0);
	/* retry: active again, everything goes out, then it is done */
	assert_int_equal(outbox_retry(db, m2, 9100), 0);
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE"
	    " state = 'blocked' OR blocked_reason IS NOT NULL"), 0);
	n = outbox_claim(db, 9100, 10, &v);
	assert_int_equal(n, 4);
	assert_int_equal(outbox_finish_mailings(db, 9100, NULL, NULL), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(outbox_sent(db, v[i]->id, "<x@y>", "250 ok",
		    9200), 0);
	free_items(v, n);
	nfinished = 0;
	assert_int_equal(outbox_finish_mailings(db, 9300, on_finished, NULL),
	    1);
	assert_int_equal(nfinished, 1);
	assert_int_equal(scalar("SELECT finished_at FROM mailings WHERE"
	    " state = 'done'"), 9300);
	assert_int_equal(outbox_finish_mailings(db, 9400, NULL, NULL), 0);
	assert_int_equal(outbox_retry(db, m2, 9500), 0);
	assert_int_equal(scalar("SELECT count(*) FROM mailings WHERE"
	    " state = 'done'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue_only_active_once),
		cmocka_unit_test(test_claim_sent_and_crash_recovery),
		cmocka_unit_test(test_backoff_then_max_age),
		cmocka_unit_test(test_permfail_bounces_and_retry),
		cmocka_unit_test(test_cancel_mailing),
		cmocka_unit_test(test_block_unfail_and_done),
	};

	return cmocka_run_group_tests_name("outbox", tests, setup, teardown);
}
