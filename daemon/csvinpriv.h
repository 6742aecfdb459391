/*
 * csvinpriv: what the files of the csvin module share. Private to the
 * csvin module -- csvin.c (the rows: libcsv, the header, line numbers,
 * lists in a cell) and csvindecode.c (the encoding and the separator).
 * Other modules include csvin.h.
 */
#ifndef RUNDBRIEF_CSVINPRIV_H
#define RUNDBRIEF_CSVINPRIV_H

#include <stddef.h>

#include "csvin.h"

struct buf;

/* Offset just past the line break (CRLF, LF or CR) that ends the line
 * starting at off in s[0..len), or len if the line has none. */
size_t	 csvin_next_break(const char *s, size_t off, size_t len);

/*
 * Decodes the file data[0..len) as described in csvin.h. Sets *text and
 * *tlen to it as UTF-8 (inside data, or in conv, which the caller has
 * initialised and frees) and *enc to the encoding found. Returns 0, or -1
 * with *errstr set (caller frees).
 */
int	 csvin_decode(const char *data, size_t len, struct buf *conv,
	    const char **text, size_t *tlen, enum csvin_encoding *enc,
	    char **errstr);

/*
 * Picks the separator of the UTF-8 text s[0..len): a "sep=" first line
 * (then *hint is 1), else the most frequent of ',' ';' and tab outside
 * double quotes in the first line with content (',' on a tie). *off and
 * *line tell where the records begin.
 */
char	 csvin_detect_sep(const char *s, size_t len, size_t *off,
	    size_t *line, int *hint);

#endif
