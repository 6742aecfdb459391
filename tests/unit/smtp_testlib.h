/*
 * Shared helpers for the smtp and maildir unit tests: a temporary root
 * directory, a real SMTP server (tests/integration/smtpd.py on 127.0.0.1,
 * started per group and killed in the teardown), inspection of what it
 * stored, and a queue of test messages fed through smtp_run.
 *
 * Everything here is static; each tests/unit/test_*.c that includes it is
 * its own program (the Makefile builds them with -Wno-unused-function).
 */
#ifndef SMTP_TESTLIB_H
#define SMTP_TESTLIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "smtp.h"
#include "util.h"

#define PYTHON "/usr/bin/python3"

/* The thread that runs main(): every callback must run on it. */
static pthread_t main_thread;

/* ---- helpers: temp dirs, files, the server process ---- */

static char tmproot[] = "/tmp/rundbrief-test-smtp-XXXXXX";

static const char *
srcdir(void)
{
	const char *s = getenv("RUNDBRIEF_SRC");

	return s != NULL ? s : ".";
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv to completion; returns its exit status. */
static int
run_cmd(char *const argv[])
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid == -1)
		return -1;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct server {
	pid_t pid;
	int port;
	char store[PATH_MAX];
};

/* Starts smtpd.py with extra arguments (NULL-terminated); 0 or -1. */
static int
server_start(struct server *sv, const char *name, ...)
{
	char *argv[20], *script, line[32], *log;
	const char *a;
	struct pollfd pfd;
	va_list ap;
	size_t n = 0;
	int pfds[2], i = 0, fd;

	memset(sv, 0, sizeof(*sv));
	snprintf(sv->store, sizeof(sv->store), "%s/%s", tmproot, name);
	script = xasprintf("%s/tests/integration/smtpd.py", srcdir());
	argv[i++] = PYTHON;
	argv[i++] = script;
	argv[i++] = "--store";
	argv[i++] = sv->store;
	argv[i++] = "--lifetime";
	argv[i++] = "300";
	va_start(ap, name);
	while ((a = va_arg(ap, const char *)) != NULL && i < 19)
		argv[i++] = (char *)a;
	va_end(ap);
	argv[i] = NULL;
	log = xasprintf("%s/%s.log", tmproot, name);
	if (pipe(pfds) == -1)
		return -1;
	if ((sv->pid = fork()) == 0) {
		/* Dies with us even if we crash before the teardown. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfds[1], 1);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1)
			dup2(fd, 2);
		close(pfds[0]);
		close(pfds[1]);
		execv(PYTHON, argv);
		_exit(127);
	}
	free(script);
	free(log);
	close(pfds[1]);
	pfd.fd = pfds[0];
	pfd.events = POLLIN;
	for (;;) {
		if (n >= sizeof(line) - 1 || (i = poll(&pfd, 1, 15000)) == 0)
			break;
		if (i == -1 && errno == EINTR)
			continue;
		if (i == -1 || read(pfds[0], line + n, 1) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	close(pfds[0]);
	sv->port = atoi(line);
	return sv->port > 0 ? 0 : -1;
}

static void
server_stop(struct server *sv)
{
	int i, st;

	if (sv->pid <= 0)
		return;
	kill(sv->pid, SIGTERM);
	for (i = 0; i < 60; i++) {
		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
			sv->pid = 0;
			return;
		}
		usleep(50000);
	}
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, &st, 0);
	sv->pid = 0;
}

static int
server_connections(const struct server *sv)
{
	char *p = xasprintf("%s/connections", sv->store), *s;
	int n = 0;

	if (file_read_all(p, &s, NULL) == 0) {
		n = atoi(s);
		free(s);
	}
	free(p);
	return n;
}

static int
select_eml(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".eml") == 0;
}

/* Number of messages stored for rcpt; the newest one's path (without the
 * ".eml") in *last if wanted (caller frees). */
static int
stored(const struct server *sv, const char *rcpt, char **last)
{
	char *d = xasprintf("%s/%s", sv->store, rcpt);
	struct dirent **ents;
	int n, i;

	if (last != NULL)
		*last = NULL;
	n = scandir(d, &ents, select_eml, alphasort);
	if (n < 0) {
		free(d);
		return 0;
	}
	if (n > 0 && last != NULL)
		*last = xasprintf("%s/%.*s", d,
		    (int)strlen(ents[n - 1]->d_name) - 4, ents[n - 1]->d_name);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(d);
	return n;
}

/* The stored message for rcpt (newest) must equal data; returns its
 * envelope (json_object_put it). */
static json_object *
check_stored(const struct server *sv, const char *rcpt, const char *data)
{
	char *base, *p, *got;
	size_t len;
	json_object *env;

	assert_true(stored(sv, rcpt, &base) >= 1);
	p = xasprintf("%s.eml", base);
	assert_int_equal(file_read_all(p, &got, &len), 0);
	assert_int_equal(len, strlen(data));
	assert_memory_equal(got, data, len);
	free(got);
	free(p);
	p = xasprintf("%s.json", base);
	env = json_object_from_file(p);
	assert_non_null(env);
	free(p);
	free(base);
	return env;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* ---- a queue of test messages fed through smtp_run ---- */

struct tmsg {
	const char *from, *rcpt, *data;
	int done;
	struct smtp_result r;
	char text[600];
	double at;		/* when done() saw it, seconds since run */
};

#define T(f, r, d) { .from = (f), .rcpt = (r), .data = (d) }

struct queue {
	struct smtp *s;
	struct tmsg *m;
	size_t n, next, ndone;
	double t0;
	size_t stop_after;	/* smtp_stop() after this many results */
	/* Called at the end of each done(), on the caller's thread. */
	void (*hook)(struct queue *q, struct tmsg *t);
};

static int
q_next(void *arg, struct smtp_msg *m)
{
	struct queue *q = arg;
	struct tmsg *t;

	assert_true(pthread_equal(pthread_self(), main_thread));
	if (q->next >= q->n)
		return 0;
	t = &q->m[q->next++];
	m->envelope_from = t->from;
	m->rcpt = t->rcpt;
	m->data = t->data;
	m->len = strlen(t->data);
	m->cookie = t;
	return 1;
}

static void
q_done(void *arg, void *cookie, const struct smtp_result *r)
{
	struct queue *q = arg;
	struct tmsg *t = cookie;

	assert_true(pthread_equal(pthread_self(), main_thread));
	assert_int_equal(t->done, 0);	/* exactly once */
	t->done = 1;
	t->r = *r;
	snprintf(t->text, sizeof(t->text), "%s", r->text);
	t->r.text = t->text;
	t->at = now_s() - q->t0;
	q->ndone++;
	if (q->stop_after > 0 && q->ndone == q->stop_after)
		smtp_stop(q->s);
	if (q->hook != NULL)
		q->hook(q, t);
}

static struct smtp_opts
opts_for(const struct server *sv, const char *host)
{
	static char url[128];
	struct smtp_opts o;

	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "smtp://%s:%d", host, sv->port);
	o.url = url;
	o.tls = SMTP_TLS_NONE;
	o.connections = 1;
	o.connect_timeout = 5;
	o.timeout = 10;
	return o;
}

/* Sends n messages through a new handle, calling hook (unless NULL) in
 * each done(); returns smtp_run's result. */
static int
send_hooked(const struct smtp_opts *o, struct tmsg *m, size_t n,
    void (*hook)(struct queue *, struct tmsg *))
{
	struct queue q;
	char *err = NULL;
	size_t i;
	int r;

	memset(&q, 0, sizeof(q));
	q.m = m;
	q.n = n;
	q.hook = hook;
	q.s = smtp_new(o, &err);
	if (q.s == NULL)
		fail_msg("smtp_new: %s", err);
	q.t0 = now_s();
	r = smtp_run(q.s, q_next, q_done, &q);
	smtp_free(q.s);
	for (i = 0; i < n; i++)
		assert_true(m[i].done);
	return r;
}

static int
send_all(const struct smtp_opts *o, struct tmsg *m, size_t n)
{
	return send_hooked(o, m, n, NULL);
}

/* 1 when n messages for rcpt are stored within ms, else 0. */
static int
wait_stored(const struct server *sv, const char *rcpt, int n, int ms)
{
	double end = now_s() + ms / 1000.0;

	while (stored(sv, rcpt, NULL) < n) {
		if (now_s() > end)
			return 0;
		usleep(5000);
	}
	return 1;
}

#define MSG "From: Rundbrief <news@example.org>\r\n" \
	"To: <x@example.net>\r\nSubject: Test\r\n" \
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n\r\n"

static void
expect(const struct tmsg *t, enum smtp_status st, int code,
    enum smtp_stage stage)
{
	if (t->r.status != st || t->r.code != code || t->r.stage != stage)
		fail_msg("%s: got status %d code %d stage %s (%s), want %d %d %s",
		    t->rcpt, t->r.status, t->r.code,
		    smtp_stage_name(t->r.stage), t->r.text, st, code,
		    smtp_stage_name(stage));
}

/* Start of a test program: ignores SIGPIPE, records the main thread,
 * creates tmproot and initialises smtp; 0, or -1 with a message printed. */
static int
testlib_init(void)
{
	char *err = NULL;

	signal(SIGPIPE, SIG_IGN);
	main_thread = pthread_self();
	if (mkdtemp(tmproot) == NULL || smtp_global_init(&err) == -1) {
		fprintf(stderr, "setup: %s\n", err ? err : strerror(errno));
		return -1;
	}
	return 0;
}

/* End of a test program: undoes testlib_init, removing tmproot. */
static void
testlib_cleanup(void)
{
	smtp_global_cleanup();
	nftw(tmproot, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* SMTP_TESTLIB_H */
