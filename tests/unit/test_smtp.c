/*
 * Tests for smtp over plain SMTP (against a real SMTP server:
 * tests/integration/smtpd.py on 127.0.0.1, started per group and killed in
 * the teardown): delivery, classification of failures, connection reuse,
 * parallelism, rate limits, stopping, option checks; and VERP senders.
 * STARTTLS, smtps and AUTH are in test_smtp_tls.c.
 */
#include "smtp_testlib.h"

static struct server plain;

/* ---- plain SMTP ---- */

static void
test_sent_byte_identical(void **state)
{
	/* Lines that need dot-stuffing: a lone ".", "..", ".x", and one at
	 * the very start of the data. */
	static const char body[] = MSG "Hallo Welt, Grüße!\r\n"
	    ".\r\n..\r\n.hidden line\r\n\r\n.\r\nend\r\n";
	static const char first[] = ".first line starts with a dot\r\n"
	    "Subject: x\r\n\r\n.\r\nbody\r\n";
	struct tmsg m[] = {
		{ .from = "news@example.org", .rcpt = "ok@example.net",
		    .data = body },
		{ .from = "news@example.org", .rcpt = "dot@example.net",
		    .data = first },
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	json_object *env;

	(void)state;
	assert_int_equal(send_all(&o, m, 2), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_true(strncmp(m[0].r.text, "250 2.0.0 OK queued as", 22) == 0);
	expect(&m[1], SMTP_SENT, 250, SMTP_STAGE_BODY);
	env = check_stored(&plain, "ok@example.net", body);
	assert_string_equal(jstr(env, "mail_from"), "news@example.org");
	/* EHLO: the sender's domain, never the machine's host name. */
	assert_string_equal(jstr(env, "helo"), "example.org");
	json_object_put(env);
	json_object_put(check_stored(&plain, "dot@example.net", first));
}

static void
test_helo_option_and_null_sender(void **state)
{
	struct tmsg m[] = {
		{ .from = "", .rcpt = "helo@example.net", .data = MSG "x\r\n" },
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	json_object *env;
	char url[128];

	(void)state;
	o.helo = "mx.example.com";
	send_all(&o, m, 1);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	env = check_stored(&plain, "helo@example.net", MSG "x\r\n");
	assert_string_equal(jstr(env, "helo"), "mx.example.com");
	assert_string_equal(jstr(env, "mail_from"), "<>");
	json_object_put(env);

	/* The URL's path names the EHLO domain too. */
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d/path.example", plain.port);
	o.url = url;
	o.helo = NULL;
	m[0].done = 0;
	send_all(&o, m, 1);
	env = check_stored(&plain, "helo@example.net", MSG "x\r\n");
	assert_string_equal(jstr(env, "helo"), "path.example");
	json_object_put(env);

	/* Nothing to derive it from: "localhost", not our host name. */
	o.url = opts_for(&plain, "127.0.0.1").url;
	m[0].done = 0;
	send_all(&o, m, 1);
	env = check_stored(&plain, "helo@example.net", MSG "x\r\n");
	assert_string_equal(jstr(env, "helo"), "localhost");
	json_object_put(env);
}

static void
test_classification(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "rcpt-452@example.net", MSG "1\r\n"),
		T("a@example.org", "rcpt-550@example.net", MSG "2\r\n"),
		T("a@example.org", "data-451@example.net", MSG "3\r\n"),
		T("a@example.org", "data-554@example.net", MSG "4\r\n"),
		T("mail-550@example.org", "m550@example.net", MSG "5\r\n"),
		T("mail-451@example.org", "m451@example.net", MSG "6\r\n"),
		T("a@example.org", "fine@example.net", MSG "7\r\n"),
		T("a@example.org", "bad\r\nRCPT TO:<x@y>", MSG "8\r\n"),
		T("a b@example.org", "c@example.net", MSG "9\r\n"),
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");

	(void)state;
	o.connections = 3;
	assert_int_equal(send_all(&o, m, 9), SMTP_RUN_DONE);
	expect(&m[0], SMTP_TEMPFAIL, 452, SMTP_STAGE_RCPT);
	assert_string_equal(m[0].r.text,
	    "452 Temporary failure (scripted)");
	expect(&m[1], SMTP_PERMFAIL, 550, SMTP_STAGE_RCPT);
	expect(&m[2], SMTP_TEMPFAIL, 451, SMTP_STAGE_BODY);
	/* content refused: not the recipient's bounce */
	expect(&m[3], SMTP_REJECTED, 554, SMTP_STAGE_BODY);
	/* our sender refused: about us, every message would fail */
	expect(&m[4], SMTP_BLOCKED, 550, SMTP_STAGE_MAIL);
	expect(&m[5], SMTP_TEMPFAIL, 451, SMTP_STAGE_MAIL);
	expect(&m[6], SMTP_SENT, 250, SMTP_STAGE_BODY);
	/* Addresses that would inject commands never reach the server. */
	expect(&m[7], SMTP_PERMFAIL, 0, SMTP_STAGE_RCPT);
	expect(&m[8], SMTP_BLOCKED, 0, SMTP_STAGE_MAIL);
	assert_int_equal(stored(&plain, "rcpt-452@example.net", NULL), 0);
	assert_int_equal(stored(&plain, "data-451@example.net", NULL), 0);
	assert_int_equal(stored(&plain, "data-554@example.net", NULL), 0);
	assert_int_equal(stored(&plain, "fine@example.net", NULL), 1);
}

static void
test_greeting_421(void **state)
{
	struct tmsg m[] = { T("a@example.org", "greet@example.net", MSG "g\r\n") };
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	char *p = xasprintf("%s/greet", plain.store), *err;
	FILE *f = fopen(p, "w");
	struct queue q;

	(void)state;
	assert_non_null(f);
	fputs("421 4.3.2 Too busy, come back later\n", f);
	fclose(f);
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 1;
	assert_non_null(q.s = smtp_new(&o, &err));
	/* One connection refused in a row = all connections: back off. */
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q),
	    SMTP_RUN_SERVER_DOWN);
	expect(&m[0], SMTP_TEMPFAIL, 421, SMTP_STAGE_CONNECT);
	assert_string_equal(m[0].r.text, "421 4.3.2 Too busy, come back later");
	assert_int_equal(access(p, F_OK), -1);	/* consumed */
	/* The next run tries again (same handle) and gets through. */
	m[0].done = 0;
	q.next = 0;
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "greet@example.net", NULL), 1);
	smtp_free(q.s);
	free(p);
}

static void
test_connection_refused(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "r1@example.net", MSG "r\r\n"),
		T("a@example.org", "r2@example.net", MSG "r\r\n"),
		T("a@example.org", "r3@example.net", MSG "r\r\n"),
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct queue q;
	char url[64], *err;
	int fd;

	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(sin.sin_port));
	o.url = url;
	o.connections = 2;
	/* Two failures to connect in a row with two connections: the run
	 * gives up instead of failing the whole queue one by one. */
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 3;
	assert_non_null(q.s = smtp_new(&o, &err));
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q),
	    SMTP_RUN_SERVER_DOWN);
	smtp_free(q.s);
	assert_int_equal(q.next, 2);	/* the third stays queued */
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_CONNECT);
	expect(&m[1], SMTP_TEMPFAIL, 0, SMTP_STAGE_CONNECT);
	assert_non_null(strstr(m[0].text, "Couldn't connect"));
}

/* The server closed an idle connection between two runs: the next
 * message must notice and connect again, not fail. */
static void
test_idle_connection_closed_by_server(void **state)
{
	struct server sv;
	struct tmsg m[] = { T("a@example.org", "idle@example.net", MSG "i\r\n") };
	struct smtp_opts o;
	struct queue q;
	char *err;

	(void)state;
	assert_int_equal(server_start(&sv, "idle", "--idle-timeout", "0.3",
	    NULL), 0);
	o = opts_for(&sv, "127.0.0.1");
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 1;
	assert_non_null(q.s = smtp_new(&o, &err));
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	usleep(800000);
	m[0].done = 0;
	q.next = 0;
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(m[0].r.new_connection, 1);
	smtp_free(q.s);
	assert_int_equal(server_connections(&sv), 2);
	server_stop(&sv);
}

static void
test_once_451_then_sent(void **state)
{
	struct tmsg m[] = { T("a@example.org", "once-451@example.net", MSG "o\r\n") };
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");

	(void)state;
	send_all(&o, m, 1);
	expect(&m[0], SMTP_TEMPFAIL, 451, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "once-451@example.net", NULL), 0);
	m[0].done = 0;
	send_all(&o, m, 1);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "once-451@example.net", NULL), 1);
}

static void
test_drop_mid_data(void **state)
{
	static const char body[] = MSG "line 1\r\nline 2\r\nline 3\r\n";
	struct tmsg m[] = { T("a@example.org", "drop@example.net", body) };
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");

	(void)state;
	send_all(&o, m, 1);
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "drop@example.net", NULL), 0);
	m[0].done = 0;
	send_all(&o, m, 1);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "drop@example.net", NULL), 1);
	json_object_put(check_stored(&plain, "drop@example.net", body));
}

static void
test_hang_times_out(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "hang@example.net", MSG "h\r\n"),
		T("a@example.org", "besides-hang@example.net", MSG "b\r\n"),
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	double t0 = now_s(), el;

	(void)state;
	o.connections = 2;
	o.timeout = 2;
	send_all(&o, m, 2);
	el = now_s() - t0;
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_RCPT);
	assert_non_null(strstr(m[0].text, "Timeout was reached"));
	assert_true(m[0].at >= 1.8 && el < 9);
	/* The other connection did not wait for the hanging one. */
	expect(&m[1], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_true(m[1].at < m[0].at);
}

static void
test_hang_after_data_times_out(void **state)
{
	struct tmsg m[] = { T("a@example.org", "hang-data@example.net", MSG "h\r\n") };
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	double t0 = now_s(), el;

	(void)state;
	o.timeout = 2;
	send_all(&o, m, 1);
	el = now_s() - t0;
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_BODY);
	assert_non_null(strstr(m[0].text, "Timeout was reached"));
	/* Once the timeout is up the dead connection is dropped: no second
	 * wait of up to `timeout` for a QUIT reply (libcurl's own habit),
	 * neither then nor in smtp_free. */
	assert_true(m[0].at >= 1.9 && m[0].at < 3.5);
	assert_true(el < 3.5);
}

/*
 * A reply that comes after the timeout must never be taken for the reply
 * to the next message on the same connection (it would fail or bounce an
 * innocent recipient): a connection whose transaction failed in any way
 * is closed, never reused.
 */
static void
test_failed_connection_never_reused(void **state)
{
	struct server sv;
	struct tmsg m[] = {
		T("a@example.org", "late-554@example.net", MSG "l\r\n"),
		T("a@example.org", "innocent@example.net", MSG "i\r\n"),
		T("a@example.org", "data-554@example.net", MSG "d\r\n"),
		T("a@example.org", "after-554@example.net", MSG "a\r\n"),
		T("a@example.org", "then@example.net", MSG "t\r\n"),
	};
	struct smtp_opts o;
	double t0 = now_s(), el;

	(void)state;
	/* The server answers 554 to the first message 3 s late. */
	assert_int_equal(server_start(&sv, "late", "--late-delay", "3",
	    NULL), 0);
	o = opts_for(&sv, "127.0.0.1");
	o.timeout = 1;
	assert_int_equal(send_all(&o, m, 5), SMTP_RUN_DONE);
	el = now_s() - t0;
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_BODY);
	assert_non_null(strstr(m[0].text, "Timeout was reached"));
	/* The next message went over a new connection and got its own
	 * reply, before the late 554 was even sent. */
	expect(&m[1], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(m[1].r.new_connection, 1);
	assert_true(m[1].at < 2.8);
	assert_int_equal(stored(&sv, "innocent@example.net", NULL), 1);
	/* A refusal read in full closes the connection too. */
	expect(&m[2], SMTP_REJECTED, 554, SMTP_STAGE_BODY);
	expect(&m[3], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(m[3].r.new_connection, 1);
	/* A success keeps it. */
	expect(&m[4], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(m[4].r.new_connection, 0);
	assert_int_equal(server_connections(&sv), 3);
	assert_true(el < 2.8);
	server_stop(&sv);
}

static double
timed_send(const struct server *sv, int conns, int n, const char *rcpt)
{
	struct tmsg *m = xcalloc((size_t)n, sizeof(*m));
	struct smtp_opts o = opts_for(sv, "127.0.0.1");
	double t0;
	int i;

	for (i = 0; i < n; i++)
		m[i] = (struct tmsg)T("a@example.org", rcpt, MSG "p\r\n");
	o.connections = conns;
	t0 = now_s();
	assert_int_equal(send_all(&o, m, (size_t)n), SMTP_RUN_DONE);
	t0 = now_s() - t0;
	for (i = 0; i < n; i++)
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
	free(m);
	return t0;
}

/*
 * A server that takes 100 ms to accept each message (as real ones do for
 * spam and virus checks): 4 connections must work in parallel, not wait
 * for each other. 40 messages over 4 connections take about as long as 10
 * over 1; serialised they would take 4 times as long. The bound (less
 * than twice) leaves room for a loaded machine.
 */
static void
test_connections_in_parallel(void **state)
{
	struct server sv;
	double one, four;
	int c0;

	(void)state;
	assert_int_equal(server_start(&sv, "slow", "--data-delay", "0.1",
	    NULL), 0);
	one = timed_send(&sv, 1, 10, "one@example.net");
	c0 = server_connections(&sv);
	four = timed_send(&sv, 4, 40, "four@example.net");
	assert_int_equal(c0, 1);
	assert_in_range(server_connections(&sv) - c0, 2, 4);
	assert_int_equal(stored(&sv, "four@example.net", NULL), 40);
	if (!(four < 2 * one))
		fail_msg("40 over 4 connections took %.2f s, 10 over 1 "
		    "took %.2f s: not parallel", four, one);
	server_stop(&sv);
}

/* A server silent after one message holds up nothing on the other
 * connection: its messages neither wait nor time out. */
static void
test_stall_holds_up_no_other(void **state)
{
	struct tmsg m[12];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	int i;

	(void)state;
	m[0] = (struct tmsg)T("a@example.org", "hang-data@example.net",
	    MSG "h\r\n");
	for (i = 1; i < 12; i++)
		m[i] = (struct tmsg)T("a@example.org", "beside@example.net",
		    MSG "b\r\n");
	o.connections = 2;
	o.timeout = 2;
	send_all(&o, m, 12);
	expect(&m[0], SMTP_TEMPFAIL, 0, SMTP_STAGE_BODY);
	for (i = 1; i < 12; i++) {
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
		assert_true(m[i].at < m[0].at);
	}
	assert_true(m[11].at < 1.5);
}

/* The connections' threads block all signals, so a SIGTERM reaches the
 * caller's thread, where the handler sets the flag its loop looks at. */
static int
signals_blocked_elsewhere(void)
{
	char path[PATH_MAX], line[256];
	struct dirent *e;
	DIR *d;
	FILE *f;
	unsigned long long blk;
	int others = 0, bad = 0;
	pid_t self = (pid_t)syscall(SYS_gettid);

	assert_non_null(d = opendir("/proc/self/task"));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;	/* ended meanwhile */
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "SigBlk: %llx", &blk) == 1) {
				others++;
				if ((blk & (1ULL << (SIGTERM - 1))) == 0 ||
				    (blk & (1ULL << (SIGINT - 1))) == 0 ||
				    (blk & (1ULL << (SIGHUP - 1))) == 0 ||
				    (blk & (1ULL << (SIGALRM - 1))) == 0)
					bad++;
			}
		fclose(f);
	}
	closedir(d);
	return bad > 0 ? -1 : others;
}

static void
test_signals_blocked_in_connections(void **state)
{
	struct tmsg m[] = { T("a@example.org", "sigs@example.net",
	    MSG "s\r\n") };
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct queue q;
	char *err;

	(void)state;
	o.connections = 3;
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 1;
	assert_non_null(q.s = smtp_new(&o, &err));
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	/* The three threads stay between runs, with their connections. */
	assert_true(signals_blocked_elsewhere() >= 3);
	smtp_free(q.s);
}

#define NREUSE 200

static void
test_reuse_connections(void **state)
{
	static struct tmsg m[NREUSE];
	static char bodies[NREUSE][256];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	int before = server_connections(&plain), news = 0, i;

	(void)state;
	for (i = 0; i < NREUSE; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), MSG "message %d\r\n", i);
		m[i] = (struct tmsg)T("news@example.org", "reuse@example.net", bodies[i]);
	}
	o.connections = 4;
	assert_int_equal(send_all(&o, m, NREUSE), SMTP_RUN_DONE);
	for (i = 0; i < NREUSE; i++) {
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
		news += m[i].r.new_connection;
	}
	/* Four connections in parallel, each reused for ~50 messages. */
	assert_in_range(news, 2, 4);
	assert_in_range(server_connections(&plain) - before, 2, 4);
	assert_int_equal(stored(&plain, "reuse@example.net", NULL), NREUSE);
}

static void
test_rate_per_second(void **state)
{
	struct tmsg m[40];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	double t0;
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		m[i] = (struct tmsg)T("a@example.org", "rate@example.net", MSG "r\r\n");
	o.connections = 4;
	o.rate_per_second = 20;
	t0 = now_s();
	assert_int_equal(send_all(&o, m, 40), SMTP_RUN_DONE);
	assert_true(now_s() - t0 >= 1.9);
	for (i = 0; i < 40; i++)
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
}

static void
test_rate_per_hour_seeded(void **state)
{
	struct tmsg m[5];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct queue q;
	time_t now = time(NULL), seed[4];
	char *err;
	long w;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		m[i] = (struct tmsg)T("a@example.org", "hour@example.net", MSG "h\r\n");
	o.rate_per_hour = 5;
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 5;
	assert_non_null(q.s = smtp_new(&o, &err));
	/* Three of the five used in the last hour; one older does not count. */
	seed[0] = now - 10;
	seed[1] = now - 100;
	seed[2] = now - 200;
	seed[3] = now - 4000;
	smtp_seed_hour(q.s, seed, 4);
	assert_int_equal(smtp_rate_wait_ms(q.s), 0);
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q),
	    SMTP_RUN_RATE_LIMITED);
	assert_int_equal(q.next, 2);
	assert_int_equal(q.ndone, 2);
	/* Free again when the one from 200 s ago leaves the window. */
	w = smtp_rate_wait_ms(q.s);
	assert_in_range(w, (3600 - 202) * 1000L, (3600 - 199) * 1000L);
	smtp_free(q.s);

	/* A quota that frees up within seconds is waited for inside. */
	memset(&q, 0, sizeof(q));
	for (i = 0; i < 5; i++)
		m[i].done = 0;
	q.m = m;
	q.n = 1;
	assert_non_null(q.s = smtp_new(&o, &err));
	now = time(NULL);
	for (i = 0; i < 4; i++)
		seed[i] = now - 3598;
	smtp_seed_hour(q.s, seed, 4);
	smtp_seed_hour(q.s, seed, 1);	/* 5 in the window: full */
	assert_true(smtp_rate_wait_ms(q.s) > 500);
	q.t0 = now_s();
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_true(m[0].at >= 0.5);
	smtp_free(q.s);
}

static void
test_stop_finishes_in_flight(void **state)
{
	struct tmsg m[20];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct queue q;
	char *err;
	size_t i;
	int before;

	(void)state;
	for (i = 0; i < 20; i++)
		m[i] = (struct tmsg)T("a@example.org", "stop@example.net", MSG "s\r\n");
	o.connections = 2;
	before = stored(&plain, "stop@example.net", NULL);
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 20;
	q.stop_after = 3;
	assert_non_null(q.s = smtp_new(&o, &err));
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_STOPPED);
	/* 3 done + at most 2 per connection handed over (the one being
	 * sent and the one queued), which healthy connections still send. */
	assert_in_range(q.next, 3, 3 + 2 * 2);
	assert_int_equal(q.ndone, q.next);
	for (i = 0; i < q.next; i++)
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_int_equal(stored(&plain, "stop@example.net", NULL) - before,
	    (int)q.next);
	/* Sticky: no more messages are taken. */
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_STOPPED);
	assert_int_equal(q.ndone, q.next);
	smtp_free(q.s);
}

static struct smtp *alarm_target;

static void
on_alarm(int sig)
{
	(void)sig;
	smtp_stop(alarm_target);
}

/* SIGTERM-style: a signal handler stops the run while it waits. */
static void
test_stop_from_signal(void **state)
{
	struct tmsg m[20];
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct itimerval it = { { 0, 0 }, { 0, 500000 } };
	struct sigaction sa;
	struct queue q;
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		m[i] = (struct tmsg)T("a@example.org", "sig@example.net",
		    MSG "s\r\n");
	o.rate_per_second = 5;	/* 20 messages would take 4 s */
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 20;
	assert_non_null(q.s = alarm_target = smtp_new(&o, &err));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	q.t0 = now_s();
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_STOPPED);
	assert_true(now_s() - q.t0 < 1.5);
	assert_in_range(q.next, 2, 5);
	assert_int_equal(q.ndone, q.next);
	smtp_free(q.s);
	signal(SIGALRM, SIG_DFL);
}

/*
 * A message that failed after smtp_stop() leaves the connection, and the
 * message queued behind it is not started: it is reported not sent.
 */
static void
test_stop_leaves_queued_behind_failure(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "stopq0@example.net", MSG "0\r\n"),
		T("a@example.org", "hang@example.net", MSG "h\r\n"),
		T("a@example.org", "stopq2@example.net", MSG "2\r\n"),
		T("a@example.org", "stopq3@example.net", MSG "3\r\n"),
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct itimerval it = { { 0, 0 }, { 0, 400000 } };
	struct sigaction sa;
	struct queue q;
	char *err;

	(void)state;
	o.timeout = 1;
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 4;
	assert_non_null(q.s = alarm_target = smtp_new(&o, &err));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	q.t0 = now_s();
	/* m[1] hangs at RCPT until the timeout (1 s); m[2] waits behind it
	 * in the queue; the stop comes at 0.4 s. */
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_STOPPED);
	smtp_free(q.s);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(q.next, 3);
	assert_int_equal(q.ndone, 3);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	expect(&m[1], SMTP_TEMPFAIL, 0, SMTP_STAGE_RCPT);
	expect(&m[2], SMTP_TEMPFAIL, 0, SMTP_STAGE_CONNECT);
	assert_string_equal(m[2].text, "not sent (stopping)");
	assert_int_equal(m[2].r.new_connection, 0);
	assert_true(m[2].at >= 0.9);
	assert_int_equal(stored(&plain, "stopq2@example.net", NULL), 0);
}

static int next_during_done;

static void
hook_next_during_done(struct queue *q, struct tmsg *t)
{
	/* While the caller is still busy recording the result of the
	 * second message, the connection must not send the third: after a
	 * crash now, two messages would be sent again, not one. */
	if (t == &q->m[1])
		next_during_done = wait_stored(&plain, q->m[2].rcpt, 1, 300);
}

/*
 * A connection starts its next message only once the caller has taken
 * (and recorded) the result of its last one: at most one message per
 * connection is ever unrecorded, whatever holds the caller up.
 */
static void
test_no_next_message_before_recorded(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "busy0@example.net", MSG "0\r\n"),
		T("a@example.org", "busy1@example.net", MSG "1\r\n"),
		T("a@example.org", "busy2@example.net", MSG "2\r\n"),
		T("a@example.org", "busy3@example.net", MSG "3\r\n"),
	};
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	int i;

	(void)state;
	next_during_done = 0;
	assert_int_equal(send_hooked(&o, m, 4, hook_next_during_done),
	    SMTP_RUN_DONE);
	for (i = 0; i < 4; i++)
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
	assert_false(next_during_done);
	/* One connection for all: the queue changes nothing on the wire. */
	assert_int_equal(m[2].r.new_connection, 0);
	assert_int_equal(m[3].r.new_connection, 0);
	assert_int_equal(stored(&plain, "busy3@example.net", NULL), 1);
}

static struct server refusing;

static void
hook_refuse_next_connection(struct queue *q, struct tmsg *t)
{
	char *p;
	FILE *f;

	if (t != &q->m[0])
		return;
	/* The server refuses the next connection, and closes the idle one
	 * (after 0.3 s) while we are busy here. */
	p = xasprintf("%s/greet", refusing.store);
	assert_non_null(f = fopen(p, "w"));
	fputs("421 4.3.2 Too busy, come back later\n", f);
	fclose(f);
	free(p);
	usleep(800000);
}

/*
 * Messages queued behind a connection that was refused are not tried on
 * another: the run ends SERVER_DOWN and reports them not sent; the rest
 * stays with the caller.
 */
static void
test_queued_behind_refused_connection(void **state)
{
	struct tmsg m[] = {
		T("a@example.org", "ref0@example.net", MSG "0\r\n"),
		T("a@example.org", "ref1@example.net", MSG "1\r\n"),
		T("a@example.org", "ref2@example.net", MSG "2\r\n"),
		T("a@example.org", "ref3@example.net", MSG "3\r\n"),
	};
	struct smtp_opts o;
	struct queue q;
	char *err;

	(void)state;
	assert_int_equal(server_start(&refusing, "refuse", "--idle-timeout",
	    "0.3", NULL), 0);
	o = opts_for(&refusing, "127.0.0.1");
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = 4;
	q.hook = hook_refuse_next_connection;
	assert_non_null(q.s = smtp_new(&o, &err));
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q),
	    SMTP_RUN_SERVER_DOWN);
	assert_int_equal(q.next, 3);	/* the fourth stays queued */
	assert_int_equal(q.ndone, 3);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	expect(&m[1], SMTP_TEMPFAIL, 421, SMTP_STAGE_CONNECT);
	expect(&m[2], SMTP_TEMPFAIL, 0, SMTP_STAGE_CONNECT);
	assert_string_equal(m[2].text, "not sent (server down)");
	assert_int_equal(stored(&refusing, "ref2@example.net", NULL), 0);
	/* The next run tries again and gets through (greet was consumed). */
	m[2].done = 0;
	q.next = 2;
	q.hook = NULL;
	assert_int_equal(smtp_run(q.s, q_next, q_done, &q), SMTP_RUN_DONE);
	expect(&m[2], SMTP_SENT, 250, SMTP_STAGE_BODY);
	expect(&m[3], SMTP_SENT, 250, SMTP_STAGE_BODY);
	smtp_free(q.s);
	assert_int_equal(server_connections(&refusing), 3);
	server_stop(&refusing);
}

static void
test_options_checked(void **state)
{
	struct smtp_opts o = opts_for(&plain, "127.0.0.1");
	struct smtp *s;
	char *err;

	(void)state;
#define BAD(field, value) do {						\
	struct smtp_opts b = o;						\
	b.field = value;						\
	s = smtp_new(&b, &err);						\
	assert_null(s);							\
	assert_non_null(err);						\
	free(err);							\
} while (0)
	BAD(url, "http://127.0.0.1:25");
	BAD(url, "not a url");
	BAD(url, "smtp://mail.example.org:587");	/* tls=none, not lo */
	BAD(url, "smtps://127.0.0.1:465");		/* tls=none, smtps */
	BAD(url, "smtp://user:pw@127.0.0.1:25");
	BAD(url, "smtp://127.0.0.1:25/bad_name!");
	BAD(connections, 0);
	BAD(connections, 33);
	BAD(timeout, 0);
	BAD(rate_per_second, -1);
	BAD(helo, "no spaces allowed");
#undef BAD
	o.tls = SMTP_TLS_REQUIRED;
	o.url = "smtp://mail.example.org:587";
	assert_non_null(s = smtp_new(&o, &err));
	smtp_free(s);
	o.url = "smtps://mail.example.org";
	assert_non_null(s = smtp_new(&o, &err));
	smtp_free(s);
}

/* ---- VERP ---- */

/* Whose fault a refusal is: by phase and enhanced status code. */
static void
test_classify_table(void **state)
{
	static const struct {
		enum smtp_stage stage;
		int code;
		const char *reply;
		enum smtp_status want;
	} t[] = {
		{ SMTP_STAGE_RCPT, 450, "450 4.2.0 busy", SMTP_TEMPFAIL },
		{ SMTP_STAGE_BODY, 0, NULL, SMTP_TEMPFAIL },
		/* the recipient's mailbox */
		{ SMTP_STAGE_RCPT, 550, "550 5.1.1 <a@b>: Recipient address "
		    "rejected: User unknown", SMTP_PERMFAIL },
		{ SMTP_STAGE_RCPT, 550, "550-5.1.1 The email account does not "
		    "exist. 550 5.1.1 https://support.example", SMTP_PERMFAIL },
		{ SMTP_STAGE_RCPT, 552, "552 5.2.2 Mailbox full",
		    SMTP_PERMFAIL },
		{ SMTP_STAGE_RCPT, 550, "550 5.2.1 Mailbox disabled",
		    SMTP_PERMFAIL },
		{ SMTP_STAGE_RCPT, 550, "550 Requested action not taken",
		    SMTP_PERMFAIL },
		{ SMTP_STAGE_RCPT, 553, "553 mailbox name not allowed",
		    SMTP_PERMFAIL },
		/* about us: sender, relaying, policy, login */
		{ SMTP_STAGE_MAIL, 553, "553 5.7.1 <n@x>: Sender address "
		    "rejected: not owned by user", SMTP_BLOCKED },
		{ SMTP_STAGE_MAIL, 550, "550 5.1.1 unknown", SMTP_BLOCKED },
		{ SMTP_STAGE_RCPT, 554, "554 5.7.1 <a@b>: Relay access denied",
		    SMTP_BLOCKED },
		{ SMTP_STAGE_RCPT, 554, "554 Relay access denied",
		    SMTP_BLOCKED },
		{ SMTP_STAGE_RCPT, 550, "550 5.1.8 Sender domain does not "
		    "exist", SMTP_BLOCKED },
		{ SMTP_STAGE_AUTH, 535, "535 5.7.8 Authentication failed",
		    SMTP_BLOCKED },
		{ SMTP_STAGE_CONNECT, 554, "554 No SMTP service here",
		    SMTP_BLOCKED },
		{ SMTP_STAGE_BODY, 550, "550 5.7.1 Message rejected as spam",
		    SMTP_BLOCKED },
		/* this message, not the person */
		{ SMTP_STAGE_BODY, 554, "554 5.6.0 Content rejected",
		    SMTP_REJECTED },
		{ SMTP_STAGE_BODY, 552, "552 5.3.4 Message too big",
		    SMTP_REJECTED },
		{ SMTP_STAGE_DATA, 554, "554 5.5.1 No valid recipients",
		    SMTP_REJECTED },
		{ SMTP_STAGE_RCPT, 554, "554 Transaction failed",
		    SMTP_REJECTED },
		{ SMTP_STAGE_RCPT, 550, "550 5.4.1 Recipient address rejected: "
		    "Access denied", SMTP_REJECTED },
		/* not an enhanced code */
		{ SMTP_STAGE_RCPT, 550, "550 5.1 nope", SMTP_PERMFAIL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (smtp_classify(t[i].stage, t[i].code, t[i].reply) !=
		    t[i].want)
			fail_msg("%zu: %s at %s: got %d, want %d", i,
			    t[i].reply ? t[i].reply : "(none)",
			    smtp_stage_name(t[i].stage),
			    smtp_classify(t[i].stage, t[i].code, t[i].reply),
			    t[i].want);
}

static void
test_verp(void **state)
{
	char *s, *err;

	(void)state;
	s = smtp_verp_sender("bounces@example.org", "a1b2.c3", &err);
	assert_string_equal(s, "bounces+a1b2.c3@example.org");
	free(s);
	s = smtp_verp_sender("bounces+TOKEN@example.org", "42", &err);
	assert_string_equal(s, "bounces+42@example.org");
	free(s);
	s = smtp_verp_sender("news+list@example.org", "x", &err);
	assert_string_equal(s, "news+list+x@example.org");
	free(s);
	assert_null(smtp_verp_sender("bounces@example.org", "a@b", &err));
	free(err);
	assert_null(smtp_verp_sender("bounces@example.org", "", &err));
	free(err);
	assert_null(smtp_verp_sender("no-at-sign", "t", &err));
	free(err);
	assert_null(smtp_verp_sender("@example.org", "t", &err));
	free(err);
	/* 64 octets in the local part are fine, 65 are not. */
	s = smtp_verp_sender("b@example.org", "0123456789012345678901"
	    "2345678901234567890123456789012345678901", &err);
	assert_non_null(s);
	free(s);
	assert_null(smtp_verp_sender("bb@example.org", "0123456789012345678901"
	    "2345678901234567890123456789012345678901", &err));
	free(err);
}

/* ---- groups ---- */

static int
plain_setup(void **state)
{
	(void)state;
	return server_start(&plain, "plain", NULL);
}

static int
plain_teardown(void **state)
{
	(void)state;
	server_stop(&plain);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest plain_tests[] = {
		cmocka_unit_test(test_sent_byte_identical),
		cmocka_unit_test(test_helo_option_and_null_sender),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_greeting_421),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_idle_connection_closed_by_server),
		cmocka_unit_test(test_once_451_then_sent),
		cmocka_unit_test(test_drop_mid_data),
		cmocka_unit_test(test_hang_times_out),
		cmocka_unit_test(test_hang_after_data_times_out),
		cmocka_unit_test(test_failed_connection_never_reused),
		cmocka_unit_test(test_connections_in_parallel),
		cmocka_unit_test(test_stall_holds_up_no_other),
		cmocka_unit_test(test_signals_blocked_in_connections),
		cmocka_unit_test(test_reuse_connections),
		cmocka_unit_test(test_rate_per_second),
		cmocka_unit_test(test_rate_per_hour_seeded),
		cmocka_unit_test(test_stop_finishes_in_flight),
		cmocka_unit_test(test_stop_from_signal),
		cmocka_unit_test(test_stop_leaves_queued_behind_failure),
		cmocka_unit_test(test_no_next_message_before_recorded),
		cmocka_unit_test(test_queued_behind_refused_connection),
		cmocka_unit_test(test_options_checked),
	};
	const struct CMUnitTest local_tests[] = {
		cmocka_unit_test(test_verp),
		cmocka_unit_test(test_classify_table),
	};
	int fails = 0;

	if (testlib_init() == -1)
		return 1;
	fails += cmocka_run_group_tests_name("smtp", plain_tests,
	    plain_setup, plain_teardown);
	fails += cmocka_run_group_tests_name("verp", local_tests, NULL, NULL);
	testlib_cleanup();
	return fails != 0;
}
