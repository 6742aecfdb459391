/*
 * cli_inbox: `rundbrief inbox check` — one pass over the organizer's
 * mailbox, as the daemon's reader makes it, printing one line per message:
 * what it was taken for, what was done, where it was moved.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "inbox.h"

static const char inbox_usage[] =
    "usage: rundbrief inbox check\n"
    "\n"
    "Reads [imap] mailbox once, as rundbriefd does: every message in it is\n"
    "classified (RSVP, unsubscribe, subscribe, confirmation, bounce,\n"
    "auto-reply, or not understood), acted on, and moved to [imap]\n"
    "processed_folder or unhandled_folder. One line per message: its UID\n"
    "and Message-ID, what it was taken for, what was done, where it went.\n"
    "A message handled before (by the daemon, or before a UIDVALIDITY\n"
    "change) is only moved.\n"
    "\n"
    "Exit status 0, 75 (EX_TEMPFAIL) when the server cannot be reached or\n"
    "refuses the login (the error says why; nothing handled before that is\n"
    "lost), 78 (EX_CONFIG) without [imap] url.\n";

static void
print_line(void *arg, const char *text)
{
	long *n = arg;

	printf("%s\n", text);
	fflush(stdout);
	(*n)++;
}

int
cli_inbox(struct cli *c, int argc, char **argv)
{
	char *err = NULL;
	long n = 0;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))) {
		fputs(inbox_usage, stdout);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		cli_err("inbox: expected \"check\" (see rundbrief inbox --help)");
		return EX_USAGE;
	}
	if (c->cfg->imap_url == NULL) {
		cli_err("inbox check: no [imap] url in %s", c->cfg->path ?
		    c->cfg->path : "the configuration");
		return EX_CONFIG;
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	/* the plain socket before STARTTLS writes without MSG_NOSIGNAL */
	signal(SIGPIPE, SIG_IGN);
	if (inbox_check(c->cfg, c->db, print_line, &n, &err) < 0) {
		cli_err("inbox check: %s", err);
		free(err);
		return EX_TEMPFAIL;
	}
	if (n == 0)
		printf("no new messages\n");
	return 0;
}
