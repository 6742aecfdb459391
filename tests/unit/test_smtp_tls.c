/*
 * Tests for smtp over TLS (against real SMTP servers: tests/integration/
 * smtpd.py on 127.0.0.1 with certificates from tests/integration/tls/
 * mkcerts.sh, started per group and killed in the teardown): STARTTLS with
 * a verified certificate and AUTH, refusals for a wrong name, an unknown CA
 * or a wrong password, and implicit TLS (smtps).
 */
#include "smtp_testlib.h"

static struct server tls, tlsimpl;
static char *cadir;

/* ---- TLS ---- */

static void
test_starttls_verified_and_reused(void **state)
{
	struct tmsg m[5];
	struct smtp_opts o = opts_for(&tls, "localhost");
	char *ca = xasprintf("%s/ca.pem", cadir);
	json_object *env;
	int i, news = 0;

	(void)state;
	for (i = 0; i < 5; i++)
		m[i] = (struct tmsg)T("news@example.org", "tls@example.net", MSG "over TLS\r\n.\r\n");
	o.tls = SMTP_TLS_REQUIRED;
	o.ca_file = ca;
	o.username = "user";
	o.password = "s3cret";
	assert_int_equal(send_all(&o, m, 5), SMTP_RUN_DONE);
	for (i = 0; i < 5; i++) {
		expect(&m[i], SMTP_SENT, 250, SMTP_STAGE_BODY);
		news += m[i].r.new_connection;
	}
	assert_int_equal(news, 1);	/* one handshake, five messages */
	env = check_stored(&tls, "tls@example.net", MSG "over TLS\r\n.\r\n");
	assert_true(strcmp(jstr(env, "tls"), "true") == 0);
	assert_string_equal(jstr(env, "auth"), "user");
	json_object_put(env);
	free(ca);
}

static void
tls_refused(const char *host, const char *cafile, const char *password,
    enum smtp_status st, int code, enum smtp_stage stage)
{
	struct tmsg m[] = { T("a@example.org", "never@example.net", MSG "n\r\n") };
	struct smtp_opts o = opts_for(&tls, host);

	o.tls = SMTP_TLS_REQUIRED;
	o.ca_file = cafile;
	o.username = "user";
	o.password = password;
	send_all(&o, m, 1);
	expect(&m[0], st, code, stage);
	assert_int_equal(stored(&tls, "never@example.net", NULL), 0);
}

static void
test_tls_refusals(void **state)
{
	char *ca = xasprintf("%s/ca.pem", cadir);
	char *other = xasprintf("%s/other-ca.pem", cadir);
	struct tmsg m[] = { T("a@example.org", "never@example.net", MSG "n\r\n") };
	struct smtp_opts o;

	(void)state;
	/* The certificate names localhost, not 127.0.0.1. */
	tls_refused("127.0.0.1", ca, "s3cret", SMTP_TEMPFAIL, 0,
	    SMTP_STAGE_CONNECT);
	/* Unknown CA: system store only, or some other private CA. */
	tls_refused("localhost", NULL, "s3cret", SMTP_TEMPFAIL, 0,
	    SMTP_STAGE_CONNECT);
	tls_refused("localhost", other, "s3cret", SMTP_TEMPFAIL, 0,
	    SMTP_STAGE_CONNECT);
	/* Verified, but the password is wrong: about us, not the
	 * recipient (the caller blocks the mailing until it is fixed). */
	tls_refused("localhost", ca, "wrong", SMTP_BLOCKED, 535,
	    SMTP_STAGE_AUTH);
	/* tls=none against a server that insists on STARTTLS: refused by
	 * the server (530 at MAIL): about us too. */
	o = opts_for(&tls, "localhost");
	send_all(&o, m, 1);
	expect(&m[0], SMTP_BLOCKED, 530, SMTP_STAGE_MAIL);
	free(ca);
	free(other);
}

static void
test_smtps(void **state)
{
	struct tmsg m[] = { T("a@example.org", "smtps@example.net", MSG "i\r\n") };
	struct smtp_opts o = opts_for(&tlsimpl, "localhost");
	char url[128], *ca = xasprintf("%s/ca.pem", cadir);

	(void)state;
	snprintf(url, sizeof(url), "smtps://localhost:%d", tlsimpl.port);
	o.url = url;
	o.tls = SMTP_TLS_REQUIRED;
	o.ca_file = ca;
	send_all(&o, m, 1);
	expect(&m[0], SMTP_SENT, 250, SMTP_STAGE_BODY);
	json_object_put(check_stored(&tlsimpl, "smtps@example.net",
	    MSG "i\r\n"));
	free(ca);
}

/* ---- groups ---- */

static int
tls_setup(void **state)
{
	char *argv[5], *cert, *key;

	(void)state;
	cadir = xasprintf("%s/ca", tmproot);
	argv[0] = "/bin/sh";
	argv[1] = xasprintf("%s/tests/integration/tls/mkcerts.sh", srcdir());
	argv[2] = cadir;
	argv[3] = NULL;
	if (run_cmd(argv) != 0)
		return -1;
	free(argv[1]);
	cert = xasprintf("%s/server.pem", cadir);
	key = xasprintf("%s/server.key", cadir);
	if (server_start(&tls, "tls", "--tls-cert", cert, "--tls-key", key,
	    "--auth", "user:s3cret", NULL) == -1 ||
	    server_start(&tlsimpl, "smtps", "--tls-cert", cert, "--tls-key",
	    key, "--smtps", NULL) == -1)
		return -1;
	free(cert);
	free(key);
	return 0;
}

static int
tls_teardown(void **state)
{
	(void)state;
	server_stop(&tls);
	server_stop(&tlsimpl);
	free(cadir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tls_tests[] = {
		cmocka_unit_test(test_starttls_verified_and_reused),
		cmocka_unit_test(test_tls_refusals),
		cmocka_unit_test(test_smtps),
	};
	int fails = 0;

	if (testlib_init() == -1)
		return 1;
	fails += cmocka_run_group_tests_name("smtp-tls", tls_tests,
	    tls_setup, tls_teardown);
	testlib_cleanup();
	return fails != 0;
}
