/*
 * mime: composes complete Internet messages (RFC 5322 + MIME) ready to be
 * handed to SMTP: Date, Message-ID, From, Reply-To, To, Subject and
 * caller-supplied headers (List-Id, List-Unsubscribe, ...), a body of
 * text/plain and text/html (multipart/alternative, quoted-printable), an
 * optional iMIP calendar invitation and attachments.
 *
 * Everything that reaches a header may come from outside (subscriber
 * names, event titles): it is cleaned (control characters become spaces),
 * non-ASCII text is written as RFC 2047 encoded-words, and lines are folded,
 * so no value can add a header, end the header block or break the MIME
 * structure. Addresses and header names are checked and refused, not
 * repaired. The output uses CRLF line ends and no line exceeds 998 octets
 * (header lines stay within 78 characters where the content allows it).
 */
#ifndef RUNDBRIEF_MIME_H
#define RUNDBRIEF_MIME_H

#include <stddef.h>
#include <time.h>

#include "util.h"

/* Flags of struct mime_header. */
#define MIME_HDR_RAW	0x1	/* structured value, see below */

/*
 * A header added by the caller.
 * name: 1..64 characters of printable ASCII except ':'. Names mime_build
 *   writes itself (Date, Message-ID, From, Reply-To, To, Subject,
 *   MIME-Version, Content-*) are refused.
 * value: UTF-8 text. Control characters become spaces and the value is
 *   trimmed. By default (flags 0) it is unstructured text: words that need
 *   it are RFC 2047-encoded. With MIME_HDR_RAW the value is structured
 *   (List-Unsubscribe: <https://...>, <mailto:...>): it is written as it is,
 *   folded only at its own spaces, and must be ASCII.
 */
struct mime_header {
	const char	*name;
	const char	*value;
	unsigned	 flags;
};

/*
 * An attachment (a part of multipart/mixed, base64-encoded).
 * filename: UTF-8, required; written as Content-Disposition filename, RFC
 *   2231-encoded when it is not plain ASCII.
 * content_type: "type/subtype" (RFC 2045 tokens, no parameters, not
 *   multipart/ or message/), or NULL for application/octet-stream.
 */
struct mime_attachment {
	const char	*filename;
	const char	*content_type;
	const void	*data;
	size_t		 len;
};

/*
 * A message to compose. Strings are UTF-8 and NUL-terminated (invalid
 * UTF-8 in a header value becomes U+FFFD); the body parts have explicit
 * lengths, are UTF-8 and may use LF or CRLF line ends (CRLF is sent).
 * from_addr and to_addr are required; everything else may be NULL/0.
 * At least one of text and html is required. The struct is only read.
 */
struct mime_msg {
	const char	*from_name;
	const char	*from_addr;
	const char	*to_name;
	const char	*to_addr;
	const char	*reply_to_addr;
	const char	*subject;
	/* Domain of the Message-ID; NULL = the domain of from_addr. Never
	 * the machine's host name. */
	const char	*msgid_domain;
	const char	*msgid_local;	/* NULL: 128 random bits */
	time_t		 date;
	/* Zone of the Date header in seconds east of UTC (0 = +0000); see
	 * mime_utc_offset(). Must be within +-24 hours. */
	long		 utc_offset;
	const struct mime_header *extra;
	size_t		 n_extra;
	const char	*text;
	size_t		 text_len;
	const char	*html;
	size_t		 html_len;
	/* An iCalendar object (RFC 5545) sent as an invitation (RFC 6047):
	 * a text/calendar part inside multipart/alternative plus the same
	 * bytes as attachment invite.ics. Line ends are normalised to CRLF. */
	const char	*calendar;
	size_t		 calendar_len;
	/* iTIP method, e.g. "REQUEST" or "CANCEL"; required with calendar. */
	const char	*calendar_method;
	const struct mime_attachment *att;
	size_t		 n_att;
};

/*
 * Composes the message m and appends it to out (CRLF line ends, ending in
 * CRLF). The structure is:
 *   text or html alone              a single part
 *   text and html                   multipart/alternative
 *   with calendar and/or attachments
 *       multipart/mixed: [multipart/alternative: text, html, text/calendar]
 *                        [application/ics invite.ics] [attachments...]
 * Text parts are quoted-printable, the calendar and attachments base64.
 *
 * Returns 0 and, if message_id is not NULL, sets *message_id to the new
 * Message-ID without angle brackets ("<32 hex digits>@domain"; caller
 * frees). Returns -1 if the message cannot be written as asked (invalid
 * address, domain, header name, calendar method or attachment type,
 * missing body, date outside the years 1900-9999, a RAW header that is
 * not ASCII or cannot be folded within 998 octets, a header value or file
 * name over 16 KiB): then out is left as it was, *message_id is untouched
 * and, if errstr is not NULL, *errstr explains (caller frees; outside
 * text in it is cleaned for logging).
 */
int	mime_build(const struct mime_msg *m, struct buf *out,
	    char **message_id, char **errstr);

/* The local time zone's offset from UTC at t, in seconds east (for
 * struct mime_msg's utc_offset). */
long	mime_utc_offset(time_t t);

/*
 * 1 if addr is an address we write into headers: local@domain with a
 * dot-atom local part (at most 64 characters) and a host name domain
 * (letters, digits, hyphens, dots; at most 253 characters), 254
 * characters at most in all. Anything else (quoted local parts, domain
 * literals, white space, CR/LF, '<', '>', ',', non-ASCII) gives 0.
 */
int	mime_valid_addr(const char *addr);

/*
 * Appends to out a copy of s[0..len) (which may contain NUL) fit for a
 * header: C0 control characters (including CR, LF, TAB and NUL), DEL, C1
 * controls and U+2028/U+2029 become a space; bytes that are not valid UTF-8
 * become U+FFFD. Nothing is trimmed.
 */
void	mime_clean_header_value(const char *s, size_t len, struct buf *out);

/*
 * Appends the unstructured header text s[0..len) (UTF-8, may contain NUL)
 * to out as the value of a header: it is cleaned as by
 * mime_clean_header_value(), trimmed, and written as words separated by
 * folding white space, each word either plain ASCII or an RFC 2047
 * encoded-word (=?UTF-8?Q?...?= or =?UTF-8?B?...?=, 75 characters at most,
 * never splitting a UTF-8 character). col is the length of the line so far,
 * normally strlen("Name:"); the output starts with the space after the
 * colon, folds with CRLF + space so lines stay within 78 characters, and
 * does not end with CRLF.
 * Returns 0, or -1 (out unchanged) if col > 49 (no room left for an
 * encoded-word on the first line) or the cleaned text is longer than
 * 16 KiB.
 */
int	mime_encode_header_words(const char *s, size_t len, size_t col,
	    struct buf *out);

/*
 * Appends the quoted-printable encoding (RFC 2045 6.7) of the text
 * data[0..len) to out:
 * - line breaks in the input (CRLF, a lone LF or a lone CR) become CRLF
 *   hard line breaks; every byte outside printable ASCII, and '=', becomes
 *   "=XX" (upper-case hex);
 * - a space or tab at the end of a line (before a hard break or the end of
 *   the data) is encoded, so no output line ends in white space;
 * - soft line breaks ("=" CRLF) keep every line at 76 characters or fewer,
 *   and an "=XX" escape is never split;
 * - a '.' starting a line and the 'F' of a line starting "From " are
 *   encoded, so neither SMTP dot-stuffing nor mbox "From " quoting can
 *   alter the message (or break a DKIM signature).
 * The output never contains "=_" (every '=' is followed by a hex digit or
 * CR). It ends with CRLF only if the input ended with a line break.
 */
void	mime_qp_encode(const void *data, size_t len, struct buf *out);

/*
 * Appends the base64 encoding (RFC 2045 6.8) of data[0..len) to out, in
 * lines of 76 characters separated by CRLF, with no CRLF after the last
 * line. The output never contains "=_" ('=' is only final padding).
 */
void	mime_base64_encode(const void *data, size_t len, struct buf *out);

#endif
