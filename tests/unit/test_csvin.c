/* Unit tests for csvin: encodings, separators, quoting, line numbers,
 * header mapping, row errors, list splitting and a 100,000-row file. */
#include <errno.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "csvin.h"
#include "util.h"

/* What the callbacks saw: one line per record ("LINE|email|name|language|
 * districts|topics|NFIELDS", NULL shown as ~) or row error ("E LINE msg"). */
static struct buf seen;
static size_t nprogress, last_done, last_total, stop_at;

#define S(x)	((x) != NULL ? (x) : "~")

static int
on_record(void *arg, const struct csvin_record *r)
{
	(void)arg;
	buf_printf(&seen, "%zu|%s|%s|%s|%s|%s|%zu\n", r->line, S(r->email),
	    S(r->name), S(r->language), S(r->districts), S(r->topics),
	    r->nfields);
	return stop_at != 0 && r->line >= stop_at;
}

static int
on_error(void *arg, size_t line, const char *msg)
{
	(void)arg;
	buf_printf(&seen, "E %zu %s\n", line, msg);
	return 0;
}

static void
on_progress(void *arg, size_t done, size_t total)
{
	(void)arg;
	assert_true(done <= total);
	assert_true(done >= last_done);
	nprogress++;
	last_done = done;
	last_total = total;
}

static const struct csvin_callbacks cbs = {
	on_record, on_error, on_progress, 2
};

static int
parse_n(const char *data, size_t len, struct csvin_info *info, char **err)
{
	buf_reset(&seen);
	nprogress = last_done = last_total = 0;
	return csvin_parse(data, len, &cbs, NULL, info, err);
}

/* Parses a NUL-free text that must succeed; returns what was seen. */
static const char *
parse_ok(const char *csv, struct csvin_info *info)
{
	char *err = NULL;
	int rc = parse_n(csv, strlen(csv), info, &err);

	if (rc != 0)
		fail_msg("csvin_parse: %d %s", rc, err ? err : "");
	assert_null(err);
	return seen.data != NULL ? seen.data : "";
}

/* Parses a text that must fail at file level; returns the message. */
static char *
parse_fail(const char *data, size_t len)
{
	char *err = NULL;

	assert_int_equal(parse_n(data, len, NULL, &err), -1);
	assert_non_null(err);
	return err;
}

static void
assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%.*s\" does not start with \"%s\"",
		    (int)strlen(prefix) + 20, s, prefix);
}

#define PF(lit)	parse_fail(lit, sizeof(lit) - 1)

static void
assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

static void
test_utf8_bom(void **state)
{
	struct csvin_info info;
	char *err;

	(void)state;
	assert_string_equal(parse_ok("\xef\xbb\xbf" "email,name\n"
	    "a@b.de,J\xc3\xb6rg\n", &info),
	    "2|a@b.de|J\xc3\xb6rg|~|~|~|2\n");
	assert_int_equal(info.encoding, CSVIN_UTF8_BOM);
	assert_int_equal(info.header_line, 1);
	assert_int_equal(info.records, 1);
	parse_ok("email\na@b.de\n", &info);
	assert_int_equal(info.encoding, CSVIN_UTF8);
	assert_string_equal(csvin_encoding_name(CSVIN_CP1252),
	    "Windows-1252");

	/* A UTF-8 BOM with broken UTF-8 behind it is an error, not 1252. */
	err = PF("\xef\xbb\xbf" "email\na@b.de\nM\xfc\n");
	assert_contains(err, "line 3: invalid UTF-8");
	free(err);
}

static void
test_cp1252(void **state)
{
	struct csvin_info info;
	const char *csv = "E-Mail;Name;Themen\r\n"
	    "a@b.de;M\xfcller;Spenden \x80 \x84gro\xdf\x93\r\n";
	char *err;

	(void)state;
	assert_string_equal(parse_ok(csv, &info),
	    "2|a@b.de|M\xc3\xbcller|~|~|Spenden \xe2\x82\xac "
	    "\xe2\x80\x9egro\xc3\x9f\xe2\x80\x9c|3\n");
	assert_int_equal(info.encoding, CSVIN_CP1252);
	assert_int_equal(info.separator, ';');

	/* An undefined byte (DOS 850 'ü' = 0x81) is an error naming the line. */
	err = PF("email,name\na@b.de,x\nc@d.de,M\x81ller\n");
	assert_contains(err, "line 3: byte 0x81");
	free(err);
}

/* UTF-8 but for one broken byte: the line is named, nothing is decoded as
 * Windows-1252 (which would garble every correct umlaut). */
static void
test_mostly_utf8_names_the_line(void **state)
{
	char *err;

	(void)state;
	err = PF("email,name\na@b.de,J\xc3\xbcrgen M\xc3\xbcller\n"
	    "c@d.de,Gro\xc3\x9f\nd@e.de,Sch\xf6n\ne@f.de,\xc3\x96zt\xc3\xbcrk\n");
	assert_contains(err, "line 4: invalid UTF-8");
	free(err);
}

/* A header with a huge number of unknown columns: the first few are
 * named, the error stays one short line. */
static void
test_many_unknown_columns(void **state)
{
	struct buf b;
	char *err;
	int i;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "email");
	for (i = 0; i < 100000; i++)
		buf_printf(&b, ",junk%d", i);
	buf_puts(&b, "\na@b.de\n");
	err = parse_fail(b.data, b.len);
	assert_contains(err, "\"junk0\" (column 2)");
	assert_contains(err, "and 99995 more");
	assert_true(strlen(err) < 2000);
	free(err);
	buf_free(&b);
}

/* Every byte 0x80..0xFF against glibc's own CP1252 converter. */
static void
test_cp1252_table(void **state)
{
	iconv_t cd = iconv_open("UTF-8", "CP1252");
	char in[1], out[8], *ip, *op, csv[64], want[64], *err;
	size_t il, ol, n;
	int b;

	(void)state;
	assert_true(cd != (iconv_t)-1);
	for (b = 0x80; b <= 0xff; b++) {
		in[0] = (char)b;
		ip = in;
		il = 1;
		op = out;
		ol = sizeof(out);
		iconv(cd, NULL, NULL, NULL, NULL);
		n = iconv(cd, &ip, &il, &op, &ol);
		snprintf(csv, sizeof(csv), "email,name\na@b.de,x%cy\n", b);
		if (n == (size_t)-1) {
			assert_int_equal(errno, EILSEQ);
			err = parse_fail(csv, strlen(csv));
			assert_contains(err, "neither UTF-8 nor Windows-1252");
			free(err);
			continue;
		}
		snprintf(want, sizeof(want), "2|a@b.de|x%.*sy|~|~|~|2\n",
		    (int)(sizeof(out) - ol), out);
		assert_string_equal(parse_ok(csv, NULL), want);
	}
	iconv_close(cd);
}

/* UTF-8 text to UTF-16 with a byte order mark, through iconv. */
static size_t
to_utf16(const char *s, const char *code, char *out, size_t outsz)
{
	iconv_t cd = iconv_open(code, "UTF-8");
	char *ip = (char *)s, *op = out + 2;
	size_t il = strlen(s), ol = outsz - 2;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	if (strcmp(code, "UTF-16LE") == 0)
		memcpy(out, "\xff\xfe", 2);
	else
		memcpy(out, "\xfe\xff", 2);
	return outsz - ol;
}

static void
test_utf16(void **state)
{
	const char *text = "E-Mail\tName\tSprache\r\n"
	    "a@b.de\tJ\xc3\xb6rg \xf0\x9f\x98\x80\tde\r\n"
	    "c@d.de\t\"Tab\there\"\ten\r\n";
	const char *want = "2|a@b.de|J\xc3\xb6rg \xf0\x9f\x98\x80|de|~|~|3\n"
	    "3|c@d.de|Tab\there|en|~|~|3\n";
	struct csvin_info info;
	char buf[512], *err;
	size_t n;

	(void)state;
	n = to_utf16(text, "UTF-16LE", buf, sizeof(buf));
	assert_int_equal(parse_n(buf, n, &info, &err), 0);
	assert_string_equal(seen.data, want);
	assert_int_equal(info.encoding, CSVIN_UTF16LE);
	assert_int_equal(info.separator, '\t');
	n = to_utf16(text, "UTF-16BE", buf, sizeof(buf));
	assert_int_equal(parse_n(buf, n, &info, &err), 0);
	assert_string_equal(seen.data, want);
	assert_int_equal(info.encoding, CSVIN_UTF16BE);

	/* A lone high surrogate, and an odd length. */
	err = PF("\xff\xfe" "e\0\n\0\x3d\xd8x\0");
	assert_contains(err, "line 2: invalid UTF-16");
	free(err);
	err = PF("\xff\xfe" "e\0\n");
	assert_contains(err, "odd number of bytes");
	free(err);
}

static void
test_separator(void **state)
{
	struct csvin_info info;
	char *err;

	(void)state;
	/* Commas inside quotes do not count. */
	assert_string_equal(parse_ok("email;name;topics\n"
	    "a@b.de;\"M\xc3\xbcller, Hans\";\"Kultur, Sport\"\n", &info),
	    "2|a@b.de|M\xc3\xbcller, Hans|~|~|Kultur, Sport|3\n");
	assert_int_equal(info.separator, ';');
	assert_int_equal(parse_n("\"x,y,z\";email\n", 14, &info, &err), -1);
	assert_int_equal(info.separator, ';');
	assert_contains(err, "unknown column \"x,y,z\" (column 1)");
	free(err);
	assert_string_equal(parse_ok("email,name\na@b.de,\"A; B\"\n", &info),
	    "2|a@b.de|A; B|~|~|~|2\n");
	assert_int_equal(info.separator, ',');
	/* Tab, a tie (','), and Excel's "sep=" line. */
	parse_ok("email\tname\n", &info);
	assert_int_equal(info.separator, '\t');
	assert_int_equal(parse_n("email;name,x\n", 13, &info, &err), -1);
	assert_int_equal(info.separator, ',');
	free(err);
	assert_string_equal(parse_ok("sep=;\r\nemail;name\r\na@b.de;x,y\r\n",
	    &info), "3|a@b.de|x,y|~|~|~|2\n");
	assert_int_equal(info.separator, ';');
	assert_int_equal(info.sep_hint, 1);
	assert_int_equal(info.header_line, 2);
	/* Blank lines before the header do not spoil the detection. */
	parse_ok("\n;;\n\nemail;name\na@b.de;x\n", &info);
	assert_int_equal(info.separator, ';');
	assert_int_equal(info.header_line, 4);
}

static void
test_quoted_line_breaks(void **state)
{
	(void)state;
	assert_string_equal(parse_ok("email,name,topics\n"
	    "a@b.de,\"Anna\nMaria\",x\n"
	    "c@d.de,Bob,y\n"
	    "\n"
	    "\"e@f.de\",\"multi\r\nline\r\n\r\nname\",z\r\n"
	    "g@h.de,\"\",\"w\n\"\n"
	    "i@j.de,Ida,\"v\rx\"\n"
	    "\"m@n.de\n\n\",Max,t\n"
	    "k@l.de,Kai,u", NULL),
	    "2|a@b.de|Anna\nMaria|~|~|x|3\n"
	    "4|c@d.de|Bob|~|~|y|3\n"
	    "6|e@f.de|multi\r\nline\r\n\r\nname|~|~|z|3\n"
	    "10|g@h.de||~|~|w|3\n"
	    "12|i@j.de|Ida|~|~|v\rx|3\n"
	    "14|m@n.de|Max|~|~|t|3\n"
	    "17|k@l.de|Kai|~|~|u|3\n");
}

static void
test_quotes_crlf_eof(void **state)
{
	(void)state;
	assert_string_equal(parse_ok("email,name\r\n"
	    "a@b.de,\"Hans \"\"Hansi\"\" Meier\"\r\n"
	    "  c@d.de  ,  \" Eva \"  \r\n"
	    "e@f.de,\"\"\"\"\r\n"
	    "\xc2\xa0g@h.de\xc2\xa0,x\r\n\r\n\r\n", NULL),
	    "2|a@b.de|Hans \"Hansi\" Meier|~|~|~|2\n"
	    "3|c@d.de|Eva|~|~|~|2\n"
	    "4|e@f.de|\"|~|~|~|2\n"
	    "5|g@h.de|x|~|~|~|2\n");
	/* No line break at the end, an empty last field, CR-only lines. */
	assert_string_equal(parse_ok("email,name\na@b.de,", NULL),
	    "2|a@b.de||~|~|~|2\n");
	assert_string_equal(parse_ok("email,name\ra@b.de,x\rc@d.de,\"y\"",
	    NULL), "2|a@b.de|x|~|~|~|2\n3|c@d.de|y|~|~|~|2\n");
}

static void
test_headers(void **state)
{
	(void)state;
	assert_string_equal(parse_ok("E-Mail;Name;Sprache;Stadtteile\n"
	    "a@b.de;Ali;ar;Nord\n", NULL),
	    "2|a@b.de|Ali|ar|Nord|~|4\n");
	assert_string_equal(parse_ok(" Thema ,NETZWERKE, lang ,Name,"
	    "E-Mail-Adresse\nt,d,fa,n,a@b.de\n", NULL),
	    "2|a@b.de|n|fa|d|t|5\n");
	assert_string_equal(parse_ok("topics,mail,district\n"
	    "t,a@b.de,d\n", NULL), "2|a@b.de|~|~|d|t|3\n");
	/* Unnamed trailing columns must stay empty. */
	assert_string_equal(parse_ok("email;name;;\n"
	    "a@b.de;x;;\n"
	    "c@d.de;y;;z\n", NULL),
	    "2|a@b.de|x|~|~|~|4\n"
	    "E 3 column 4 has a value but no name in the header\n");
}

/* First and last name columns are joined into the name; "Vorname" next to
 * "Name" makes "Name" the last name. */
static void
test_name_columns(void **state)
{
	(void)state;
	/* Excel in Germany: Vorname;Nachname;E-Mail;Sprache;Stadtteil */
	assert_string_equal(parse_ok("Vorname;Nachname;E-Mail;Sprache;"
	    "Stadtteil\r\n"
	    "Anna;Schneider;a@b.de;Deutsch;Nord/S\xc3\xbc" "d\r\n"
	    " J\xc3\xb6rg ; ;j@b.de;;\r\n"
	    ";Gro\xc3\x9f;g@b.de;;\r\n"
	    ";;n@b.de;;\r\n", NULL),
	    "2|a@b.de|Anna Schneider|Deutsch|Nord/S\xc3\xbc" "d|~|5\n"
	    "3|j@b.de|J\xc3\xb6rg|||~|5\n"
	    "4|g@b.de|Gro\xc3\x9f|||~|5\n"
	    "5|n@b.de||||~|5\n");
	assert_string_equal(parse_ok("E-Mail,Vorname,Name\n"
	    "a@b.de,Anna,Schneider\n", NULL),
	    "2|a@b.de|Anna Schneider|~|~|~|3\n");
	assert_string_equal(parse_ok("First Name,Last Name,Email\n"
	    "Olena,Kovalenko,o@b.de\n", NULL),
	    "2|o@b.de|Olena Kovalenko|~|~|~|3\n");
	assert_string_equal(parse_ok("firstname,email\nOlena,o@b.de\n", NULL),
	    "2|o@b.de|Olena|~|~|~|2\n");
	assert_string_equal(parse_ok("email,surname\no@b.de,Kovalenko\n",
	    NULL), "2|o@b.de|Kovalenko|~|~|~|2\n");
	/* the other district column names */
	assert_string_equal(parse_ok("email,Region\na@b.de,Nord\n", NULL),
	    "2|a@b.de|~|~|Nord|~|2\n");
	assert_string_equal(parse_ok("email,Netzwerk\na@b.de,Nord\n", NULL),
	    "2|a@b.de|~|~|Nord|~|2\n");
}

static void
test_header_errors(void **state)
{
	char *err;

	(void)state;
	err = PF("email,Telefon,Geburtstag\n");
	assert_contains(err, "line 1: unknown columns \"Telefon\" (column 2),"
	    " \"Geburtstag\" (column 3); accepted column names");
	assert_contains(err, "email (or e-mail, mail, e-mail-adresse");
	assert_contains(err, "topics (or topic, themen, thema)");
	free(err);
	err = PF("\n\nname,E-Mail,email,Name\n");
	assert_string_equal(err, "line 3: columns 2 (\"E-Mail\") and 3 "
	    "(\"email\") both mean email; columns 1 (\"name\") and 4 "
	    "(\"Name\") both mean name");
	free(err);
	err = PF("email,Name,Nachname\n");
	assert_string_equal(err, "line 1: columns 2 (\"Name\") and 3 "
	    "(\"Nachname\") both give the name: keep a name column, or first "
	    "and last name columns");
	free(err);
	err = PF("Vorname,Name,Nachname,email\n");
	assert_contains(err, "columns 2 (\"Name\") and 3 (\"Nachname\") "
	    "both give the name");
	free(err);
	err = PF("name,sprache\nx,de\n");
	assert_string_equal(err, "line 1: there is no email column");
	free(err);
	err = PF("email,\"Na\x1bme\"\n");
	assert_contains(err, "\"Na?me\"");
	free(err);
	err = PF("");
	assert_string_equal(err, "the file is empty");
	free(err);
	err = PF(" \r\n,,\r\n");
	assert_contains(err, "no header");
	free(err);
	err = PF("email,\"na\"me\n");
	assert_string_equal(err, "line 1: broken quoting in the header line");
	free(err);
	err = PF("PK\x03\x04\x14\0");
	assert_contains(err, "not a CSV file");
	free(err);
	err = PF("email\na\0b\n");
	assert_contains(err, "line 2: the file contains NUL bytes");
	free(err);
}

static void
test_row_errors(void **state)
{
	struct csvin_info info;

	(void)state;
	assert_string_equal(parse_ok("email;name\n"
	    "a@b.de;x;y\n"
	    "\n"
	    "c@d.de\n"
	    "e@f.de;\"two\nlines\";z\n"
	    "g@h.de;ok\n", &info),
	    "E 2 the row has 3 fields, the header has 2 (separator ';')\n"
	    "E 4 the row has 1 field, the header has 2 (separator ';')\n"
	    "E 5 the row has 3 fields, the header has 2 (separator ';'); it "
	    "runs on to line 6: is a double quote missing or superfluous?\n"
	    "7|g@h.de|ok|~|~|~|2\n");
	assert_int_equal(info.records, 1);
	assert_int_equal(info.row_errors, 3);
}

static void
test_broken_quotes(void **state)
{
	(void)state;
	/* Text after a closing quote, and a quote in an unquoted field. */
	assert_string_equal(parse_ok("email,name\n"
	    "a@b.de,\"Bad\"x\n"
	    "c@d.de,Anna \"Ani\" M\n"
	    "e@f.de,ok\n", NULL),
	    "E 2 broken quoting: a double quote inside a field that is not "
	    "enclosed in double quotes, or text after a closing quote "
	    "(enclose the field in double quotes and double each quote in "
	    "it)\n"
	    "E 3 broken quoting: a double quote inside a field that is not "
	    "enclosed in double quotes, or text after a closing quote "
	    "(enclose the field in double quotes and double each quote in "
	    "it)\n"
	    "4|e@f.de|ok|~|~|~|2\n");
	/* A stray quote never closed: the lines after it still count. */
	assert_string_equal(parse_ok("email,name\n"
	    "a@b.de,\"Anna\n"
	    "c@d.de,Bob\n"
	    "e@f.de,Eve\n", NULL),
	    "E 2 broken quoting: a double quote opens a field that is never "
	    "closed\n"
	    "3|c@d.de|Bob|~|~|~|2\n"
	    "4|e@f.de|Eve|~|~|~|2\n");
	/* A stray quote "closed" by the next quoted field two lines on. */
	assert_string_equal(parse_ok("email,name\n"
	    "a@b.de,\"Anna\n"
	    "c@d.de,Bob\n"
	    "e@f.de,\"Eve\"\n"
	    "g@h.de,Gus", NULL),
	    "E 2 broken quoting: a double quote opens a field that runs on to "
	    "a later line and breaks there\n"
	    "3|c@d.de|Bob|~|~|~|2\n"
	    "4|e@f.de|Eve|~|~|~|2\n"
	    "5|g@h.de|Gus|~|~|~|2\n");
}

/* Stray quotes in a long file: each costs one row, even though each one
 * swallows hundreds of lines before the error shows. */
static void
test_broken_quotes_long(void **state)
{
	struct buf b;
	struct csvin_info info;
	char *err = NULL;
	const char *second;
	int i, j;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "email,name\n");
	for (i = 0; i < 2; i++) {
		buf_puts(&b, "a@b.de,\"x\n");
		for (j = 0; j < 999; j++)
			buf_puts(&b, "g@h.de,ok\n");
	}
	assert_int_equal(parse_n(b.data, b.len, &info, &err), 0);
	assert_int_equal(info.records, 1998);
	assert_int_equal(info.row_errors, 2);
	assert_prefix(seen.data, "E 2 broken quoting: a double quote "
	    "opens a field that runs on to a later line and breaks there\n"
	    "3|g@h.de|ok|~|~|~|2\n");
	second = strstr(seen.data, "\nE ");
	assert_non_null(second);
	assert_prefix(second, "\nE 1002 broken quoting: a double "
	    "quote opens a field that is never closed\n1003|g@h.de|");
	assert_non_null(strstr(seen.data, "\n2001|g@h.de|ok|~|~|~|2\n"));
	buf_free(&b);
}

static void
test_empty_rows(void **state)
{
	struct csvin_info info;

	(void)state;
	assert_string_equal(parse_ok("\r\n\r\nemail;name\r\n"
	    ";\r\n"
	    "   ;   \r\n"
	    "\r\n"
	    "a@b.de;x\r\n"
	    ";;;\r\n"
	    "\"\";\"\"\r\n"
	    "\t\r\n", &info),
	    "7|a@b.de|x|~|~|~|2\n");
	assert_int_equal(info.empty_rows, 4);
	assert_int_equal(info.header_line, 3);
}

static int
stop_errors(void *arg, size_t line, const char *msg)
{
	(void)arg;
	(void)line;
	(void)msg;
	return 1;
}

static void
test_stop_and_progress(void **state)
{
	struct csvin_callbacks c = { on_record, stop_errors, NULL, 0 };
	struct csvin_info info;
	const char *csv = "email\na\nb\nc\nd\ne\n";
	char *err = (char *)"x";

	(void)state;
	stop_at = 3;
	assert_int_equal(parse_n(csv, strlen(csv), &info, &err), CSVIN_STOPPED);
	assert_null(err);
	assert_string_equal(seen.data, "2|a|~|~|~|~|1\n3|b|~|~|~|~|1\n");
	stop_at = 0;
	buf_reset(&seen);
	assert_int_equal(csvin_parse("email\na,b\nc\n", 12, &c, NULL, &info,
	    &err), CSVIN_STOPPED);
	assert_string_equal(seen.data, "");
	/* Every 2 data rows, then at the end. */
	parse_ok(csv, NULL);
	assert_int_equal(nprogress, 3);
	assert_int_equal(last_done, strlen(csv));
	assert_int_equal(last_total, strlen(csv));
}

static void
test_split_list(void **state)
{
	char **v;

	(void)state;
	assert_int_equal(csvin_split_list("Nord, S\xc3\xbc" "d ,Mitte", &v), 3);
	assert_string_equal(v[0], "Nord");
	assert_string_equal(v[1], "S\xc3\xbc" "d");
	assert_string_equal(v[2], "Mitte");
	assert_null(v[3]);
	csvin_list_free(v);
	assert_int_equal(csvin_split_list(" , ,Nord,,nord; NORD;S\xc3\xbc" "d,"
	    "S\xc3\x9c" "D,\xc3\x97,\xc3\xb7,", &v), 4);
	assert_string_equal(v[0], "Nord");
	assert_string_equal(v[1], "S\xc3\xbc" "d");
	assert_string_equal(v[2], "\xc3\x97");
	assert_string_equal(v[3], "\xc3\xb7");
	assert_null(v[4]);
	csvin_list_free(v);
	assert_int_equal(csvin_split_list("", &v), 0);
	assert_null(v[0]);
	csvin_list_free(v);
	assert_int_equal(csvin_split_list(NULL, &v), 0);
	csvin_list_free(v);
	csvin_list_free(NULL);
	/* Cyrillic and Greek fold too */
	assert_int_equal(csvin_split_list("\xd0\x94\xd0\xb0\xd0\xbd\xd0\xb0, "
	    "\xd0\xb4\xd0\xb0\xd0\xbd\xd0\xb0", &v), 1);
	csvin_list_free(v);
	/* topics keep '/' and '|' */
	assert_int_equal(csvin_split_list("Kunst/Kultur|Sport", &v), 1);
	assert_string_equal(v[0], "Kunst/Kultur|Sport");
	csvin_list_free(v);
}

/* Says "Pieschen/Trachau" is a district. */
static int
known_district(void *arg, const char *name)
{
	(*(int *)arg)++;
	return strcmp(name, "Pieschen/Trachau") == 0;
}

static void
test_split_districts(void **state)
{
	char **v;
	int calls = 0;

	(void)state;
	assert_int_equal(csvin_split_districts("Nord / S\xc3\xbc" "d|Mitte;"
	    "Ost,West", NULL, NULL, &v), 5);
	assert_string_equal(v[0], "Nord");
	assert_string_equal(v[1], "S\xc3\xbc" "d");
	assert_string_equal(v[2], "Mitte");
	assert_string_equal(v[3], "Ost");
	assert_string_equal(v[4], "West");
	assert_null(v[5]);
	csvin_list_free(v);
	/* a known district with a '/' in its name stays whole */
	assert_int_equal(csvin_split_districts(" Pieschen/Trachau | Nord/"
	    "nord/", known_district, &calls, &v), 2);
	assert_string_equal(v[0], "Pieschen/Trachau");
	assert_string_equal(v[1], "Nord");
	assert_null(v[2]);
	assert_int_equal(calls, 2);	/* only pieces with a '/' are asked */
	csvin_list_free(v);
	assert_int_equal(csvin_split_districts("Cotta/L\xc3\xb6" "btau",
	    known_district, &calls, &v), 2);
	assert_string_equal(v[1], "L\xc3\xb6" "btau");
	csvin_list_free(v);
	assert_int_equal(csvin_split_districts(" / | ", NULL, NULL, &v), 0);
	assert_null(v[0]);
	csvin_list_free(v);
}

static size_t big_count, big_last_line;

static int
count_record(void *arg, const struct csvin_record *r)
{
	(void)arg;
	if (r->topics == NULL || r->email[0] != 'u')
		return 1;
	big_count++;
	big_last_line = r->line;
	return 0;
}

/* 100,000 rows; every 1000th has a quoted line break. Prints the time. */
/* The choice columns: what the record holds ("LINE|newsletter|invitations"). */
static int
on_choices(void *arg, const struct csvin_record *r)
{
	(void)arg;
	buf_printf(&seen, "%zu|%s|%s\n", r->line, S(r->newsletter),
	    S(r->invitations));
	return 0;
}

static void
test_choice_columns(void **state)
{
	static const struct csvin_callbacks cb = { on_choices, on_error,
	    NULL, 0 };
	static const struct {
		const char *cell;
		int yes_no;
		const char *invitations;
	} table[] = {
		{ "ja", 1, NULL }, { "JA", 1, NULL }, { "Yes", 1, NULL },
		{ "1", 1, NULL }, { "x", 1, NULL }, { "X", 1, NULL },
		{ "nein", 0, NULL }, { "Nein", 0, NULL }, { "NO", 0, NULL },
		{ "0", 0, NULL }, { "", -1, "" },
		{ "alle", -2, "all" }, { "ALL", -2, "all" },
		{ "Keine", -2, "none" }, { "none", -2, "none" },
		{ "vielleicht", -2, NULL }, { "j", -2, NULL },
		{ "yes please", -2, NULL }, { "2", -2, NULL },
		{ "some", -2, NULL },
	};
	char *err = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *inv = csvin_invitations(table[i].cell);
		if (csvin_yes_no(table[i].cell) != table[i].yes_no)
			fail_msg("csvin_yes_no(\"%s\") = %d, want %d",
			    table[i].cell, csvin_yes_no(table[i].cell),
			    table[i].yes_no);
		if (table[i].invitations == NULL)
			assert_null(inv);
		else
			assert_string_equal(inv, table[i].invitations);
	}
	assert_int_equal(csvin_yes_no(NULL), -1);
	assert_string_equal(csvin_invitations(NULL), "");
	/* the header names, in any case; absent columns are NULL */
	buf_reset(&seen);
	{
		static const char csv[] = "E-Mail;NEWSLETTER;Einladungen\n"
		    "a@b.de; Nein ;keine\nb@b.de;;\n";
		assert_int_equal(csvin_parse(csv, sizeof(csv) - 1, &cb, NULL,
		    NULL, &err), 0);
	}
	assert_string_equal(seen.data, "2|Nein|keine\n3||\n");
	buf_reset(&seen);
	assert_int_equal(csvin_parse("email,Invitations\na@b.de,all\n", 29,
	    &cb, NULL, NULL, &err), 0);
	assert_string_equal(seen.data, "2|~|all\n");
	/* one column, two names: an error */
	assert_int_equal(csvin_parse("email,Invitations,einladungen\n", 30,
	    &cb, NULL, NULL, &err), -1);
	assert_contains(err, "both mean invitations");
	free(err);
}

static void
test_large(void **state)
{
	struct csvin_callbacks c = { count_record, NULL, NULL, 0 };
	struct csvin_info info;
	struct timespec t0, t1;
	struct buf b;
	char *err = NULL;
	size_t i, lines = 1;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "E-Mail;Name;Sprache;Stadtteile;Themen\r\n");
	for (i = 0; i < 100000; i++) {
		buf_printf(&b, "user%06zu@example.org;\"Vorname%zu%s "
		    "M\xc3\xbcller-L\xc3\xbc" "denscheid\";de;\"Nord, "
		    "S\xc3\xbc" "d\";Kultur, Sport\r\n", i, i,
		    i % 1000 == 0 ? "\r\n" : "");
		lines += i % 1000 == 0 ? 2 : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(csvin_parse(b.data, b.len, &c, NULL, &info, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("csvin: %zu rows, %.1f MB in %.3f s\n", info.records,
	    (double)b.len / 1e6, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(big_count, 100000);
	assert_int_equal(info.records, 100000);
	assert_int_equal(info.row_errors, 0);
	assert_int_equal(big_last_line, lines);
	buf_free(&b);
}

static int
teardown(void **state)
{
	(void)state;
	buf_free(&seen);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_cp1252),
		cmocka_unit_test(test_mostly_utf8_names_the_line),
		cmocka_unit_test(test_many_unknown_columns),
		cmocka_unit_test(test_cp1252_table),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_separator),
		cmocka_unit_test(test_quoted_line_breaks),
		cmocka_unit_test(test_quotes_crlf_eof),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_name_columns),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_row_errors),
		cmocka_unit_test(test_broken_quotes),
		cmocka_unit_test(test_broken_quotes_long),
		cmocka_unit_test(test_empty_rows),
		cmocka_unit_test(test_stop_and_progress),
		cmocka_unit_test(test_choice_columns),
		cmocka_unit_test(test_split_list),
		cmocka_unit_test(test_split_districts),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
