/*
 * csvin: reads a subscriber list exported from a spreadsheet (CSV) for
 * `rundbrief subscriber import`. It only reads: it finds the encoding and
 * the separator, maps the header to our column names and hands each data
 * row to a callback. Validation and storage are the caller's business.
 *
 * Encoding: a UTF-16LE/BE byte order mark means UTF-16 (Excel's "Unicode
 * text"); a UTF-8 byte order mark means UTF-8 (it is stripped); otherwise the
 * bytes are UTF-8 if they are valid UTF-8 and Windows-1252 if not (what
 * Excel in Germany writes as "CSV (Trennzeichen-getrennt)"). Everything is
 * converted to UTF-8. A byte that Windows-1252 leaves undefined (0x81, 0x8D,
 * 0x8F, 0x90, 0x9D) is an error rather than U+FFFD: it means the file is in
 * yet another encoding (DOS code page 850 writes 'ü' as 0x81) and importing
 * it would store garbled names. Invalid UTF-8 after a UTF-8 byte order mark
 * is an error too (a damaged file, not a Windows-1252 one). NUL bytes are an
 * error (usually an .xlsx/.xls file given instead of a CSV file).
 *
 * Separator: a first line "sep=;" (Excel's hint; also "sep=," and a tab) is
 * obeyed and skipped. Otherwise ',', ';' and tab are counted outside double
 * quotes in the first non-blank record; the most frequent wins, a tie or
 * none means ','.
 *
 * Quoting follows RFC 4180 strictly (libcsv with CSV_STRICT): quoted fields
 * may hold separators, line breaks and doubled quotes; CRLF, LF and CR end
 * lines; blank lines are ignored; the last line needs no line break. A row
 * whose quoting is broken (a quote inside an unquoted field, text after a
 * closing quote, a quote that is never closed) is reported through
 * row_error with the line where that record starts, and reading resumes on
 * the line after it, so a stray quote costs one row, not the rest of the
 * file. (No text is re-read twice: should a broken quote start inside text
 * already re-read, reading resumes after the line where the error was
 * detected and the message names the lines that were skipped.) A row with
 * the wrong number of fields that spans several lines is reported with a
 * hint at a missing or superfluous quote; its lines are not re-read.
 *
 * Line numbers are physical lines (1-based) where a record starts; a quoted
 * field with embedded line breaks makes its record span several lines.
 */
#ifndef RUNDBRIEF_CSVIN_H
#define RUNDBRIEF_CSVIN_H

#include <stddef.h>

/* Returned by csvin_parse when a callback asked to stop. */
#define CSVIN_STOPPED	(-2)

enum csvin_encoding {
	CSVIN_UTF8,		/* UTF-8 (or plain ASCII), no byte order mark */
	CSVIN_UTF8_BOM,		/* UTF-8 with byte order mark */
	CSVIN_CP1252,		/* Windows-1252, converted to UTF-8 */
	CSVIN_UTF16LE,		/* UTF-16LE with byte order mark, converted */
	CSVIN_UTF16BE		/* UTF-16BE with byte order mark, converted */
};

/* One data row. The strings are UTF-8, NUL-terminated and trimmed of
 * surrounding white space (ASCII white space and U+00A0 no-break space);
 * a column the header does not have is NULL, an empty cell is "".
 * Everything is owned by csvin and valid only during the callback. */
struct csvin_record {
	size_t		 line;		/* physical line where the row starts */
	const char	*email;
	const char	*name;		/* or first and last name joined */
	const char	*language;
	const char	*districts;	/* use csvin_split_districts() */
	const char	*topics;	/* use csvin_split_list() */
	const char	*newsletter;	/* use csvin_yes_no() */
	const char	*invitations;	/* use csvin_invitations() */
	size_t		 nfields;	/* number of fields in the row */
};

/*
 * Callbacks; arg is passed through. A callback that returns non-zero stops
 * the parse (csvin_parse returns CSVIN_STOPPED).
 *
 * record: every data row that has as many fields as the header and is not
 *	entirely empty (empty rows are skipped silently). Required.
 * row_error: a row that cannot be used: wrong number of fields, broken
 *	quoting, a value in a column without a header name. msg is English,
 *	holds no text from the file and no line number (line is given apart).
 *	May be NULL: such rows are then skipped silently (still counted).
 * progress: if not NULL, called every progress_every data rows (10000 if
 *	0) and once at the end, with the bytes of the UTF-8 text read so far
 *	and in total.
 */
struct csvin_callbacks {
	int	(*record)(void *arg, const struct csvin_record *rec);
	int	(*row_error)(void *arg, size_t line, const char *msg);
	void	(*progress)(void *arg, size_t done, size_t total);
	size_t	  progress_every;
};

/* What csvin_parse found; filled as far as it got, also on errors. */
struct csvin_info {
	enum csvin_encoding encoding;
	char		 separator;	/* ',', ';' or '\t' */
	int		 sep_hint;	/* 1 if taken from a "sep=" line */
	size_t		 header_line;	/* 0 if no header was found */
	size_t		 records;	/* rows passed to cb->record */
	size_t		 row_errors;	/* rows reported to cb->row_error */
	size_t		 empty_rows;	/* rows skipped as entirely empty */
};

/*
 * Parses the CSV file held in data[0..len) (it need not be NUL-terminated
 * and is not modified). The first non-empty record is the header; column
 * names are matched case-insensitively after trimming:
 *   email:      email, e-mail, mail, e-mail-adresse, email-adresse,
 *               email address, e-mail address
 *   name:       name, full name, vor- und nachname
 *   first name: first name, firstname, first_name, given name, vorname
 *   last name:  last name, lastname, last_name, surname, family name,
 *               nachname, familienname
 *   language:   language, lang, sprache
 *   districts:  districts, district, stadtteile, stadtteil, netzwerk,
 *               netzwerke, network, networks, region, regionen, bezirk,
 *               bezirke, ortsteil, ortsteile
 *   topics:     topics, topic, themen, thema
 *   newsletter: newsletter
 *   invitations: invitations, einladungen
 * First and last name are joined into the record's name ("Anna" and
 * "Schneider" give "Anna Schneider"); next to a first name column, "Name"
 * means the last name (German forms write "Vorname, Name"). A name column
 * together with a last name column is an error.
 * A column with an empty name is allowed (Excel writes trailing separators)
 * but must stay empty in every row.
 *
 * Returns 0 when the whole file was read (row errors do not count as
 * failure: see info->row_errors); CSVIN_STOPPED if a callback returned
 * non-zero (*errstr is not set); -1 on a file-level error with *errstr set
 * (caller frees; text from the file in it is sanitised): undecodable
 * encoding, NUL bytes, no header, broken quoting in the header, an unknown
 * or duplicate column name, a name and a last name column, no email
 * column. Rows already passed to cb->record stay passed. info may be NULL.
 */
int	 csvin_parse(const char *data, size_t len,
	    const struct csvin_callbacks *cb, void *arg,
	    struct csvin_info *info, char **errstr);

/* "UTF-8", "UTF-8 (BOM)", "Windows-1252", "UTF-16LE", "UTF-16BE". */
const char *csvin_encoding_name(enum csvin_encoding enc);

/*
 * Splits a topics cell such as "Sprachcafé, Patenschaften ;Kultur" at
 * commas and semicolons into trimmed, non-empty items; an item that
 * repeats an earlier one but for case (utf8_fold(): Ü/ü, Д/д …) is
 * dropped, the first spelling is kept. cell may be NULL.
 *
 * Returns the number of items and sets *items to a NULL-terminated array of
 * them (never NULL, even for 0 items); free it with csvin_list_free().
 */
size_t	 csvin_split_list(const char *cell, char ***items);

/*
 * The same for a districts cell, which may also separate them with '|'
 * and '/' ("Nord / Süd"). As districts may have a '/' in their name
 * ("Pieschen/Trachau"), a piece between other separators that holds a '/'
 * stays whole when known(arg, piece) returns non-zero; known may be NULL.
 */
size_t	 csvin_split_districts(const char *cell,
	    int (*known)(void *arg, const char *name), void *arg,
	    char ***items);

/*
 * A yes/no cell (the newsletter column), in any case: 1 for ja, yes, 1
 * and x (a tick); 0 for nein, no and 0; -1 for an empty or NULL cell
 * (the default); -2 for anything else.
 */
int	 csvin_yes_no(const char *cell);

/*
 * An invitations cell, in any case: "all" for all and alle, "none" for
 * none and keine, "" for an empty or NULL cell (the default), NULL for
 * anything else.
 */
const char *csvin_invitations(const char *cell);

/* Frees an array from csvin_split_*(); NULL is allowed. */
void	 csvin_list_free(char **items);

#endif
