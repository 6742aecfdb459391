/*
 * Tests for the reader's pure parts: [imap] url parsing, the key a message
 * is recorded under (Message-ID, else a hash of its bytes), folder names
 * with the server's delimiter, and connection failures that must end
 * quickly (a refused port; a stop request during the TLS handshake).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../daemon/inbox.c"

static void
url_ok(const char *url, const char *host, const char *port, int implicit)
{
	char *h = NULL, *p = NULL, *err = NULL;
	int imp = -1;

	assert_int_equal(imaptls_parse_url(url, &h, &p, &imp, &err), 0);
	assert_string_equal(h, host);
	assert_string_equal(p, port);
	assert_int_equal(imp, implicit);
	assert_null(err);
	free(h);
	free(p);
}

static void
url_bad(const char *url)
{
	char *h = NULL, *p = NULL, *err = NULL;
	int imp;

	assert_int_equal(imaptls_parse_url(url, &h, &p, &imp, &err), -1);
	assert_non_null(err);
	assert_null(h);
	assert_non_null(strstr(err, "[imap] url"));
	free(err);
	free(p);
}

static void
test_url(void **state)
{
	(void)state;
	url_ok("imaps://mail.example.org", "mail.example.org", "993", 1);
	url_ok("imaps://mail.example.org/", "mail.example.org", "993", 1);
	url_ok("IMAP://mail.example.org:1143", "mail.example.org", "1143", 0);
	url_ok("imap://127.0.0.1", "127.0.0.1", "143", 0);
	url_ok("imaps://[::1]:10993", "::1", "10993", 1);
	url_ok("imaps://[2001:db8::1]", "2001:db8::1", "993", 1);
	url_bad("pop3://mail.example.org");
	url_bad("imaps://");
	url_bad("imaps://:993");
	url_bad("imaps://h:0");
	url_bad("imaps://h:65536");
	url_bad("imaps://h:99a");
	url_bad("imaps://h:");
	url_bad("imaps://h/INBOX");
	url_bad("imaps://[::1");
	url_bad("imaps://[::1]x");
}

static void
test_key(void **state)
{
	const char *with = "From: a@b\r\nMessage-ID:\r\n <abc.123@example.org>"
	    "\r\nSubject: x\r\n\r\nbody\r\n";
	const char *without = "From: a@b\r\nSubject: x\r\n\r\nbody\r\n";
	char hex[65], *k, *want, *raw;
	struct buf b;

	(void)state;
	k = message_key(with, strlen(with), "sha256:");
	assert_string_equal(k, "abc.123@example.org");
	free(k);
	k = message_key(without, strlen(without), "sha256:");
	sha256_hex(without, strlen(without), hex);
	want = xasprintf("sha256:%s", hex);
	assert_string_equal(k, want);
	free(k);
	free(want);
	/* the same bytes, the same key (stable across passes) */
	k = message_key(without, strlen(without), "sha256-header:");
	assert_int_equal(strncmp(k, "sha256-header:", 14), 0);
	assert_string_equal(k + 14, hex);
	free(k);
	/* an absurdly long Message-ID is hashed, not stored */
	buf_init(&b);
	buf_puts(&b, "Message-ID: <");
	while (b.len < 2000)
		buf_puts(&b, "x");
	buf_puts(&b, "@example.org>\r\n\r\nx\r\n");
	raw = buf_steal(&b);
	k = message_key(raw, strlen(raw), "sha256:");
	assert_int_equal(strncmp(k, "sha256:", 7), 0);
	assert_int_equal(strlen(k), 7 + 64);
	free(k);
	free(raw);
	/* garbage: still a key */
	k = message_key("\x01\x02", 2, "sha256:");
	assert_int_equal(strncmp(k, "sha256:", 7), 0);
	free(k);
}

static void
test_names(void **state)
{
	char *n;

	(void)state;
	n = server_name("rundbrief/erledigt", '.');
	assert_string_equal(n, "rundbrief.erledigt");
	free(n);
	n = server_name("rundbrief/erledigt", '/');
	assert_string_equal(n, "rundbrief/erledigt");
	free(n);
	n = server_name("rundbrief/erledigt", '\0');
	assert_string_equal(n, "rundbrief/erledigt");
	free(n);
	n = addr_of("\"Koordination\" <ehrenamt@landkreis.example>");
	assert_string_equal(n, "ehrenamt@landkreis.example");
	free(n);
	n = addr_of(" ehrenamt@landkreis.example ");
	assert_string_equal(n, "ehrenamt@landkreis.example");
	free(n);
	assert_null(addr_of(NULL));
}

/* A listening socket on 127.0.0.1 that never answers; its port. */
static int
silent_server(char port[8])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(port, 8, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

static void
test_connect_failures(void **state)
{
	struct imaptls_conf c;
	struct timespec t0, t1;
	mailimap *imap;
	char port[8], *err = NULL;
	int srv, p[2];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.host = "127.0.0.1";
	c.implicit = 1;
	c.verify = 1;
	c.timeout = 20;
	c.cancel_fd = -1;
	/* nobody listens (a port just closed) */
	srv = silent_server(port);
	close(srv);
	c.port = port;
	imap = mailimap_new(0, NULL);
	assert_int_equal(imaptls_connect(imap, &c, &err), -1);
	assert_non_null(strstr(err, "cannot connect"));
	free(err);
	err = NULL;
	imaptls_drop(imap);
	/* a server that accepts and stays silent: a stop request (the
	 * cancel pipe) ends the TLS handshake at once, not after 20 s */
	srv = silent_server(port);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	c.cancel_fd = p[0];
	c.ca_file = NULL;
	c.verify = 0;	/* no trust store needed to get to the handshake */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	imap = mailimap_new(0, NULL);
	assert_int_equal(imaptls_connect(imap, &c, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(err);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	free(err);
	imaptls_drop(imap);
	close(srv);
	close(p[0]);
	close(p[1]);
	/* a CA file without certificates */
	srv = silent_server(port);
	c.cancel_fd = -1;
	c.verify = 1;
	c.ca_file = "/dev/null";
	err = NULL;
	imap = mailimap_new(0, NULL);
	assert_int_equal(imaptls_connect(imap, &c, &err), -1);
	assert_non_null(strstr(err, "ca_file /dev/null"));
	free(err);
	imaptls_drop(imap);
	close(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_connect_failures),
	};

	log_init("test_inbox");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
