/* cli_topic: `rundbrief topic list`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "topic.h"
#include "util.h"

static const char topic_usage[] =
    "usage: rundbrief topic list [--format table|tsv|json]\n"
    "\n"
    "The topics in use: those subscribers follow (subscriber add/set\n"
    "--topic, the Themen column of an import) and those events name, with\n"
    "how many subscribers follow each (active ones, and all) and how many\n"
    "events name it (published ones, and all). Topics compare without\n"
    "regard to case. A topic that events name but nobody follows reaches\n"
    "nobody: usually a typo.\n";

static const struct column topic_cols[] = {
	{ "name", COL_TEXT, 0, NULL },
	{ "active_subscribers", COL_INT, 0, NULL },
	{ "subscribers", COL_INT, 0, NULL },
	{ "published_events", COL_INT, 0, NULL },
	{ "events", COL_INT, 0, NULL },
};

struct list_ctx {
	struct table *t;
	struct buf unfollowed;  /* topics of events that nobody follows */
	long n;
};

static void
topic_row(void *arg, const struct topic_use *u)
{
	struct list_ctx *lc = arg;
	const struct cell cells[] = { cell_text(u->name),
		cell_int(u->active_subscribers), cell_int(u->subscribers),
		cell_int(u->published_events), cell_int(u->events) };

	table_row(lc->t, cells);
	if (u->events > 0 && u->active_subscribers == 0) {
		char *s = str_sanitize(u->name);
		buf_printf(&lc->unfollowed, "%s\"%s\"", lc->n++ ? ", " : "", s);
		free(s);
	}
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct list_ctx lc;
	long n;
	int i, rc;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			fputs(topic_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (cli_format(c, argv[++i]) != 0)
				return EX_USAGE;
		} else if (!strncmp(argv[i], "--format=", 9)) {
			if (cli_format(c, argv[i] + 9) != 0)
				return EX_USAGE;
		} else {
			cli_err("topic list: unexpected \"%s\" (see --help)",
			    argv[i]);
			return EX_USAGE;
		}
	}
	if ((rc = cli_db(c)) != 0)
		return rc;
	memset(&lc, 0, sizeof(lc));
	buf_init(&lc.unfollowed);
	lc.t = table_new(stdout, c->fmt, c->cfg->timezone, topic_cols,
	    NCOLS(topic_cols));
	rc = topic_list(c->db, topic_row, &lc);
	n = table_rows(lc.t);
	table_end(lc.t);
	if (c->fmt == OUT_TABLE && rc == 0) {
		fprintf(stderr, "%ld topic%s\n", n, n == 1 ? "" : "s");
		if (lc.n > 0)
			fprintf(stderr, "events name %s, which no active "
			    "subscriber follows: a typo?\n", lc.unfollowed.data);
	}
	buf_free(&lc.unfollowed);
	if (rc < 0) {
		cli_err("reading topics failed");
		return EX_SOFTWARE;
	}
	return 0;
}

int
cli_topic(struct cli *c, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(topic_usage, cmd ? stdout : stderr);
		return cmd ? 0 : EX_USAGE;
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(c, argc, argv);
	cli_err("unknown command 'topic %s'", cmd);
	fputs(topic_usage, stderr);
	return EX_USAGE;
}
