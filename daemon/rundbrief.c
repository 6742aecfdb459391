/*
 * rundbrief: the coordinator's command-line tool.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "ical.h"
#include "log.h"
#include "render.h"
#include "smtp.h"
#include "version.h"

static const char usage[] =
    "usage: rundbrief [-c FILE] [-v] COMMAND …\n"
    "\n"
    "  init          create or upgrade the database\n"
    "  check         check the configuration and the templates\n"
    "  subscriber …  add, import, list, show, set, unsubscribe, forget, export\n"
    "  district …    add, list\n"
    "  topic list    the topics subscribers follow and events name\n"
    "  event …       add, update, publish, cancel, list, show, ics\n"
    "  preview …     print a mail as a subscriber would receive it\n"
    "  status        the next jobs, running mailings, the last newsletter,\n"
    "                the subscribers per status\n"
    "  newsletter …  send a month's newsletter now; hold or release a month\n"
    "  queue …       show, run, retry or cancel what is queued\n"
    "  inbox check   read the mailbox once (replies, unsubscribes, bounces)\n"
    "  sample        fill the database with a small sample\n"
    "\n"
    "  -c FILE  configuration (default: $RUNDBRIEF_CONFIG, else\n"
    "           " RUNDBRIEF_SYSCONFDIR "/rundbrief/rundbrief.ini, else the "
    "embedded defaults)\n"
    "  -v       more log output\n"
    "  --help, --version\n"
    "Run 'rundbrief COMMAND --help' for a command's options.\n";

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	const char *cfgpath = NULL, *cmd;
	char *err = NULL;
	struct cli c;
	int ch, rc;

	log_init("rundbrief");
	while ((ch = getopt_long(argc, argv, "+c:vh", global_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'v': log_set_verbose(1); break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': puts("rundbrief " RUNDBRIEF_VERSION); return 0;
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	cmd = argv[0];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.fmt = OUT_TABLE;
	if (config_load(cfgpath, &c.cfg) < 0)
		return EX_CONFIG;
	if (smtp_global_init(&err) < 0) {
		fprintf(stderr, "rundbrief: %s\n", err);
		free(err);
		config_free(c.cfg);
		return EX_SOFTWARE;
	}
	if (!strcmp(cmd, "init"))
		rc = cli_init(&c, argc, argv);
	else if (!strcmp(cmd, "check")) {
		if (render_check(c.cfg, stderr) > 0 ||
		    deliver_check(c.cfg, stderr) < 0)
			rc = EX_CONFIG;
		else {
			printf("%s: configuration OK\n", c.cfg->path ?
			    c.cfg->path : "(embedded defaults)");
			rc = 0;
		}
	} else if (!strcmp(cmd, "preview"))
		rc = cli_preview(&c, argc, argv);
	else if (!strcmp(cmd, "newsletter"))
		rc = cli_newsletter(&c, argc, argv);
	else if (!strcmp(cmd, "status"))
		rc = cli_status(&c, argc, argv);
	else if (!strcmp(cmd, "inbox"))
		rc = cli_inbox(&c, argc, argv);
	else if (!strcmp(cmd, "queue"))
		rc = cli_queue(&c, argc, argv);
	else if (!strcmp(cmd, "subscriber"))
		rc = cli_subscriber(&c, argc, argv);
	else if (!strcmp(cmd, "district"))
		rc = cli_district(&c, argc, argv);
	else if (!strcmp(cmd, "topic"))
		rc = cli_topic(&c, argc, argv);
	else if (!strcmp(cmd, "event"))
		rc = cli_event(&c, argc, argv);
	else if (!strcmp(cmd, "sample"))
		rc = cli_sample(&c, argc, argv);
	else {
		fprintf(stderr, "rundbrief: unknown command '%s'\n\n%s", cmd,
		    usage);
		rc = EX_USAGE;
	}
	/* a lock held too long is no data error: say "try again" */
	if (rc != 0 && rc != EX_USAGE && rc != EX_TEMPFAIL &&
	    db_locked(c.db)) {
		fprintf(stderr, "rundbrief: the database is locked by another "
		    "process (a long import?); nothing was changed, try again\n");
		rc = EX_TEMPFAIL;
	}
	db_close(c.db);
	config_free(c.cfg);
	ical_cleanup();
	smtp_global_cleanup();
	return rc;
}
