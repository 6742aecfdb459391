/*
 * mimehdr: header fields for the mime module -- cleaning outside text,
 * RFC 2047 encoded-words, folding, display names, RFC 2231 file names and
 * the checks on addresses, domains, header names and MIME tokens.
 *
 * Private to the mime module (mime.c and mimehdr.c); other modules include
 * mime.h, whose mime_clean_header_value(), mime_encode_header_words() and
 * mime_valid_addr() are implemented in mimehdr.c. Nothing here uses
 * libetpan.
 *
 * Every writer appends complete header lines ("Name: value" folded with
 * CRLF + space, ending in CRLF) to b, using tmp (any initialised buffer,
 * reset here) as scratch space. Values are cleaned and trimmed first.
 */
#ifndef RUNDBRIEF_MIMEHDR_H
#define RUNDBRIEF_MIMEHDR_H

#include <stddef.h>

#include "util.h"

/* Errors of the writers (b may hold part of the field on error). */
#define MIMEHDR_TOO_LONG	(-1)	/* over MIMEHDR_TEXT_MAX bytes */
#define MIMEHDR_NOT_ASCII	(-2)	/* raw value is not ASCII */
#define MIMEHDR_UNFOLDABLE	(-3)	/* raw word over 998 octets */

#define MIMEHDR_TEXT_MAX	16384	/* longest value after cleaning */
/* Longest header name: "Name:" plus the space and the shortest
 * encoded-word (28) still fit a 78-character line, so a value never needs
 * to start with a fold (48 is far above any real header's name). */
#define MIMEHDR_NAME_MAX	48

/* "hdr: display-name <addr>", or "hdr: addr" when name is NULL or
 * empty after cleaning. addr must be valid. 0 or MIMEHDR_TOO_LONG. */
int	mimehdr_mailbox(struct buf *b, struct buf *tmp, const char *hdr,
	    const char *name, const char *addr);

/* "hdr: value": unstructured text with encoded-words as needed, or, with
 * raw set, structured ASCII written as it is and folded at its spaces.
 * value may be NULL (empty). 0 or a MIMEHDR_* error. */
int	mimehdr_field(struct buf *b, struct buf *tmp, const char *hdr,
	    const char *value, int raw);

/* "Content-Disposition: attachment; filename=..." with the file name as a
 * quoted-string or RFC 2231 extended (and continued) parameter. */
void	mimehdr_disposition(struct buf *b, struct buf *tmp,
	    const char *filename);

/* The value for a Content-Type name parameter next to the file name: the
 * cleaned, trimmed file name (stored in tmp) when it is printable ASCII of
 * 1..60 characters without "=?", else NULL (the parameter is left out). */
const char *mimehdr_name_param(const char *filename, struct buf *tmp);

/* 1 if d is a host name (letters, digits, inner hyphens, dots). */
int	mimehdr_valid_domain(const char *d);

/* 1 if name may be added by a caller: printable ASCII without ':', at
 * most MIMEHDR_NAME_MAX, and none of the fields mime_build writes. */
int	mimehdr_valid_extra_name(const char *name);

/* 1 if s is an RFC 2045 token of 1..max characters. */
int	mimehdr_valid_token(const char *s, size_t max);

/* 1 if ct is "type/subtype" of RFC 2045 tokens (127 characters at most)
 * and not multipart/ or message/ (composite types cannot be base64). */
int	mimehdr_valid_content_type(const char *ct);

#endif
