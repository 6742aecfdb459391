/*
 * cli: the commands of the coordinator's tool `rundbrief`. The main file
 * parses the global options and hands each command's arguments (argv[0] is
 * the command word) to one of these. Each returns a sysexits.h code.
 */
#ifndef RUNDBRIEF_CLI_H
#define RUNDBRIEF_CLI_H

#include "output.h"
#include "util.h"

struct config;
struct db;

struct cli {
	struct config *cfg;
	struct db *db;          /* opened by cli_db() */
	enum out_format fmt;
};

/* Opens the database (must exist at the current schema). Returns 0 or an
 * EX_* code after printing why. */
int cli_db(struct cli *c);

/* Parses "--format F" values; prints an error and returns EX_USAGE. */
int cli_format(struct cli *c, const char *value);

/* Prints "rundbrief: " + message to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_init(struct cli *c, int argc, char **argv);
int cli_subscriber(struct cli *c, int argc, char **argv);
int cli_import(struct cli *c, int argc, char **argv);
int cli_district(struct cli *c, int argc, char **argv);
int cli_topic(struct cli *c, int argc, char **argv);
int cli_event(struct cli *c, int argc, char **argv);
int cli_ics(struct cli *c, int argc, char **argv);
int cli_sample(struct cli *c, int argc, char **argv);
int cli_preview(struct cli *c, int argc, char **argv);
int cli_newsletter(struct cli *c, int argc, char **argv);
int cli_queue(struct cli *c, int argc, char **argv);
int cli_status(struct cli *c, int argc, char **argv);
int cli_inbox(struct cli *c, int argc, char **argv);

#endif
