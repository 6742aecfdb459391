/* cli: shared helpers of the command-line tool, and `init`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "util.h"

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("rundbrief: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_db(struct cli *c)
{
	char *err = NULL;

	if (c->db != NULL)
		return 0;
	if (db_open(c->cfg->database, DB_OPEN_EXISTING, &c->db, &err) < 0) {
		cli_err("%s", err);
		free(err);
		return EX_NOINPUT;
	}
	return 0;
}

int
cli_format(struct cli *c, const char *value)
{
	if (out_parse_format(value, &c->fmt) < 0) {
		cli_err("--format must be table, tsv or json, not \"%s\"", value);
		return EX_USAGE;
	}
	return 0;
}

int
cli_init(struct cli *c, int argc, char **argv)
{
	struct db *db;
	char *err = NULL;
	int before;

	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			printf("usage: rundbrief [-c FILE] init\n\n"
			    "Creates the database named in the configuration, or "
			    "upgrades its schema\nto this version. Safe to run "
			    "again.\n");
			return 0;
		}
		cli_err("init takes no arguments (see rundbrief init --help)");
		return EX_USAGE;
	}
	if (db_open(c->cfg->database, DB_OPEN_EXISTING, &db, &err) == 0) {
		printf("%s: schema version %d, up to date\n", c->cfg->database,
		    db_schema_version(db));
		db_close(db);
		return 0;
	}
	free(err);
	err = NULL;
	/* does it exist at an older version? */
	before = 0;
	{
		FILE *fp = fopen(c->cfg->database, "r");
		if (fp != NULL) {
			before = 1;
			fclose(fp);
		}
	}
	if (db_open(c->cfg->database, DB_OPEN_MIGRATE, &db, &err) < 0) {
		cli_err("%s", err);
		free(err);
		return EX_CANTCREAT;
	}
	printf("%s: %s, schema version %d\n", c->cfg->database,
	    before ? "upgraded" : "created", db_schema_version(db));
	db_close(db);
	return 0;
}
