/*
 * cli_ics: `rundbrief event ics`, the published events as one iCalendar
 * file (METHOD:PUBLISH) for the organisation's website or a shared
 * calendar. It names the organizer and no attendee, so it can be public.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "datefmt.h"
#include "event.h"
#include "eventics.h"
#include "ical.h"
#include "util.h"

static const char ics_usage[] =
    "usage: rundbrief event ics [ID…] [--output FILE] [--from DATE] [--to DATE]\n"
    "\n"
    "Writes the published events as an iCalendar file (METHOD:PUBLISH) for\n"
    "the organisation's website or a shared calendar. The file names the\n"
    "organizer (organizer_name, organizer_email) and no subscriber.\n"
    "\n"
    "  ID…            exactly these events; each must exist and be published\n"
    "  --from DATE    events that end at or after DATE (default: now, i.e.\n"
    "                 every published event that has not ended)\n"
    "  --to DATE      events that start before DATE (a date alone: before\n"
    "                 the end of that day)\n"
    "  --output FILE  write FILE (replaced atomically, so a web server never\n"
    "                 serves half a file) instead of standard output\n"
    "\n"
    "DATE is 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' in the configured time zone.\n"
    "A recurring event is included while one of its occurrences falls in\n"
    "the range. Drafts and cancelled events are never included: only\n"
    "published events are; a cancelled event disappears from the file (the\n"
    "people invited to it get their cancellation by mail).\n";

enum { I_OUTPUT = 256, I_FROM, I_TO, I_HELP };

static const struct option ics_opts[] = {
	{ "output", required_argument, NULL, I_OUTPUT },
	{ "from", required_argument, NULL, I_FROM },
	{ "to", required_argument, NULL, I_TO },
	{ "help", no_argument, NULL, I_HELP },
	{ NULL, 0, NULL, 0 }
};

/*
 * "YYYY-MM-DD[ HH:MM]" in the configured zone to a UTC bound; a date alone
 * means its start, or with end_of_day the start of the next day.
 */
static int
parse_bound(struct cli *c, const char *opt, const char *s, int end_of_day,
    time_t *out)
{
	struct tm tm;
	char text[TM_TEXT_LEN];
	time_t t;
	int has_time;

	if (datefmt_parse_local(s, &tm, &has_time) < 0) {
		cli_err("%s \"%s\" is not a date (write YYYY-MM-DD or "
		    "'YYYY-MM-DD HH:MM')", opt, s);
		return EX_USAGE;
	}
	if (!has_time && end_of_day) {
		tm.tm_mday++;
		tm.tm_hour = 12;	/* normalise the day through timegm() */
		t = timegm(&tm);
		gmtime_r(&t, &tm);
		tm.tm_hour = 0;
	}
	tm_text(&tm, 1, text);
	if (ical_local_to_utc(c->cfg->timezone, text, out) < 0) {
		cli_err("%s: cannot convert \"%s\" in zone %s", opt, s,
		    c->cfg->timezone);
		return EX_USAGE;
	}
	return 0;
}

/*
 * The events named on the command line, in that order, each once. Every
 * ID that is missing or not published is reported before failing.
 */
static int
collect_ids(struct cli *c, int argc, char **argv, struct eventics_list *l)
{
	struct event *ev;
	long long v;
	char *end;
	size_t j;
	int i, rc, bad = 0;

	for (i = 0; i < argc; i++) {
		errno = 0;
		v = strtoll(argv[i], &end, 10);
		if (*argv[i] == '\0' || *end != '\0' || v <= 0 || errno != 0) {
			cli_err("event ics: \"%s\" is not an event ID", argv[i]);
			return EX_USAGE;
		}
	}
	for (i = 0; i < argc; i++) {
		v = strtoll(argv[i], NULL, 10);
		for (j = 0; j < l->n; j++)
			if (l->ev[j]->id == v)
				break;
		if (j < l->n)
			continue;
		if ((rc = event_get(c->db, v, &ev)) < 0) {
			cli_err("cannot read event %lld", v);
			return EX_SOFTWARE;
		}
		if (rc > 0) {
			cli_err("no event %lld", v);
			bad = 1;
			continue;
		}
		if (strcmp(ev->status, "published") != 0) {
			cli_err("event %lld is %s, not published", v, ev->status);
			event_free(ev);
			bad = 1;
			continue;
		}
		eventics_push(l, ev);
	}
	return bad ? EX_DATAERR : 0;
}

/* The calendar text for l (caller frees), or NULL after printing why. */
static char *
build_calendar(struct cli *c, const struct eventics_list *l)
{
	char *text, *err = NULL;

	text = eventics_calendar(c->cfg, l, time(NULL), &err);
	if (text == NULL) {
		cli_err("cannot write the calendar: %s", err ? err : "?");
		free(err);
	}
	return text;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Replaces path with data: a temporary file in the same directory, synced,
 * then renamed over path. Readers see the old file or the new one, never
 * a part. The new file keeps the mode of the one it replaces (else
 * 0666 minus the umask, as for any new file).
 */
static int
write_atomic(const char *path, const char *data, size_t len)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir, *tmp;
	mode_t mode, mask;
	int fd, dfd, rc = EX_IOERR, saved;

	if (*path == '\0') {
		cli_err("--output needs a file name");
		return EX_USAGE;
	}
	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	tmp = xasprintf("%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		cli_err("--output %s: cannot create a file in %s: %s", path, dir,
		    strerror(errno));
		free(tmp);
		free(dir);
		return EX_CANTCREAT;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		goto fail;
	}
	/* make the rename itself durable; a failure here loses nothing */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
fail:
	cli_err("--output %s: %s", path, strerror(saved));
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

int
cli_ics(struct cli *c, int argc, char **argv)
{
	struct eventics_list l;
	time_t from_t, to_t = 0;
	const char *output = NULL, *from = NULL, *to = NULL;
	char *text;
	size_t len;
	int ch, rc;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", ics_opts, NULL)) != -1) {
		switch (ch) {
		case I_HELP:
			fputs(ics_usage, stdout);
			return 0;
		case I_OUTPUT: output = optarg; break;
		case I_FROM: from = optarg; break;
		case I_TO: to = optarg; break;
		default:
			cli_err("event ics: unknown or incomplete option %s (see "
			    "rundbrief event ics --help)", argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind < argc && (from != NULL || to != NULL)) {
		cli_err("event ics: give event IDs or --from/--to, not both");
		return EX_USAGE;
	}
	memset(&l, 0, sizeof(l));
	from_t = time(NULL);
	if ((from != NULL &&
	    (rc = parse_bound(c, "--from", from, 0, &from_t)) != 0) ||
	    (to != NULL && (rc = parse_bound(c, "--to", to, 1, &to_t)) != 0))
		return rc;
	if ((rc = cli_db(c)) != 0)
		return rc;
	if (optind < argc)
		rc = collect_ids(c, argc - optind, argv + optind, &l);
	else if (eventics_collect(c->db, from_t, to_t, NULL, &l) < 0) {
		cli_err("cannot read the events");
		rc = EX_SOFTWARE;
	}
	if (rc != 0)
		goto out;
	if ((text = build_calendar(c, &l)) == NULL) {
		rc = EX_DATAERR;
		goto out;
	}
	len = strlen(text);
	if (output != NULL && strcmp(output, "-") != 0) {
		if ((rc = write_atomic(output, text, len)) == 0)
			printf("%s: %zu event%s\n", output, l.n,
			    l.n == 1 ? "" : "s");
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		cli_err("standard output: %s", strerror(errno));
		rc = EX_IOERR;
	}
	free(text);
out:
	eventics_list_free(&l);
	return rc;
}
