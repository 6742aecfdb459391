/*
 * rundbrief-web: the web service behind [general] base_url (issue 13),
 * on [http] listen, behind a TLS reverse proxy. It shares the database
 * with the daemon and never talks SMTP. The server (http.c) runs in
 * libmicrohttpd's threads; this main answers /healthz itself and hands
 * every other path to the pages (web.c).
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked before any thread
 * starts (the threads inherit the mask) and the main thread waits for
 * them with sigwaitinfo(), so no handler runs inside a connection
 * thread. SIGTERM/SIGINT stop the server (requests in progress finish)
 * and exit 0; SIGHUP has nothing to reload and is logged.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "sdnotify.h"
#include "util.h"
#include "version.h"
#include "web.h"

struct app {
	const struct config *cfg;
	struct web *web;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: rundbrief-web [-c FILE] [-n] [-v]\n"
	    "  -c FILE  configuration (default: $RUNDBRIEF_CONFIG, else "
	    RUNDBRIEF_SYSCONFDIR "/rundbrief/rundbrief.ini,\n"
	    "           else the embedded defaults)\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       debug logging (one line per request)\n"
	    "  --help, --version\n");
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* /healthz: "ok" when the database opens; for monitoring. */
static void
healthz(const struct config *cfg, struct http_response *resp)
{
	struct db *db;
	char *err = NULL;

	resp->content_type = "text/plain; charset=utf-8";
	if (db_open(cfg->database, DB_OPEN_EXISTING, &db, &err) < 0) {
		log_warnx("healthz: %s", err);
		free(err);
		resp->status = 503;
		buf_puts(&resp->body, "database unavailable\n");
		return;
	}
	db_close(db);
	buf_puts(&resp->body, "ok\n");
}

static void
handle(void *arg, const struct http_request *req, struct http_response *resp)
{
	struct app *a = arg;

	if (strcmp(req->path, "/healthz") == 0)
		healthz(a->cfg, resp);
	else
		web_handle(a->web, req, resp);
}

int
main(int argc, char **argv)
{
	const char *cfgpath = NULL;
	struct http_opts opts;
	struct http_server *srv;
	struct config *cfg;
	struct app app;
	sigset_t set;
	char *err = NULL;
	int ch, check = 0, sig;

	log_init("rundbrief-web");
	while ((ch = getopt_long(argc, argv, "c:nvh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'n': check = 1; break;
		case 'v': log_set_verbose(1); break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("rundbrief-web " RUNDBRIEF_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (config_load(cfgpath, &cfg) < 0)
		return EX_CONFIG;
	if (http_check_listen(cfg->http_listen, &err) < 0) {
		log_warnx("%s: %s", cfg->path ? cfg->path :
		    "(embedded defaults)", err);
		free(err);
		config_free(cfg);
		return EX_CONFIG;
	}
	if (check) {
		printf("%s: configuration OK\n", cfg->path ? cfg->path :
		    "(embedded defaults)");
		config_free(cfg);
		return 0;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	app.cfg = cfg;
	app.web = web_new(cfg, &err);
	if (app.web == NULL) {
		log_warnx("%s", err);
		free(err);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	memset(&opts, 0, sizeof(opts));
	opts.listen = cfg->http_listen;
	opts.trusted_proxies = cfg->trusted_proxies;
	opts.max_connections = (unsigned)cfg->http_max_connections;
	opts.per_client = (unsigned)cfg->http_per_client;
	srv = http_start(&opts, handle, &app, &err);
	if (srv == NULL) {
		log_warnx("%s", err);
		free(err);
		web_free(app.web);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	log_info("listening on %s: configuration %s, database %s",
	    cfg->http_listen, cfg->path ? cfg->path : "(embedded defaults)",
	    cfg->database);
	sdnotify("READY=1");
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			log_info("SIGHUP: nothing to reload; restart to read "
			    "the configuration again");
	}
	sdnotify("STOPPING=1");
	log_info("stopping");
	http_stop(srv);
	web_free(app.web);
	config_free(cfg);
	return 0;
}
