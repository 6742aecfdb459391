#!/usr/bin/python3
"""Checks messages written by mime_build() with Python's email parser.

    /usr/bin/python3 tests/integration/mime_check.py DIR

For every DIR/NAME.eml there must be DIR/NAME.json with the expectations
(written by tests/unit/test_mime.c). Keys, all optional except
header_names and tree:

  header_names  the top-level header field names, in order
  headers       {name: decoded value}: str(msg[name]) must equal it
  addresses     {name: [[display name, addr-spec], ...]} (see
                legacy_addresses() for Python's gh-128110)
  message_id    the Message-ID without angle brackets
  date          {"epoch": seconds, "utcoffset": seconds east of UTC}
  tree          content types of msg.walk(), in order
  bodies        {content type: text}: decoded text, line ends ignored
  calendar      {"method": M, "data_hex": bytes}: the text/calendar part
                has method=M, charset UTF-8, no Content-Disposition and
                no Content-ID, and decodes to exactly the bytes of the
                application/ics attachment invite.ics, which are data_hex
  attachments   [{"filename", "content_type", "data_hex"}]: the other
                attachments, in order
  long_header_ok  header names whose lines may pass 78 characters

Always checked: every line ends with CRLF and has at most 998 octets;
header lines have at most 78 characters (unless allowed above); the
message, every part and every header parse without defects; parts carry
only Content-Type, Content-Transfer-Encoding and Content-Disposition.
Exits 0 if every message passes, 1 otherwise (2 on bad usage).
"""

import email
import email.header
import email.policy
import email.utils
import json
import os
import re
import sys

PART_HEADERS = {"content-type", "content-transfer-encoding",
                "content-disposition"}
ADJACENT_EW = re.compile(r"\?=\s+=\?")


class Checker:
    def __init__(self, name):
        self.name = name
        self.errors = []

    def fail(self, msg):
        self.errors.append("%s: %s" % (self.name, msg))

    def expect(self, cond, msg):
        if not cond:
            self.fail(msg)
        return cond


def raw_lines(c, data, exp):
    """Line ends, line lengths, and the header names as written."""
    if not data.endswith(b"\r\n"):
        c.fail("message does not end with CRLF")
    lines = data.split(b"\r\n")
    for i, line in enumerate(lines[:-1]):
        if b"\r" in line or b"\n" in line:
            c.fail("line %d has a bare CR or LF" % (i + 1))
        if len(line) > 998:
            c.fail("line %d has %d octets" % (i + 1, len(line)))
    names = []
    long_ok = {n.lower() for n in exp.get("long_header_ok", [])}
    current = None
    for i, line in enumerate(lines):
        if line == b"":
            break
        if line[:1] in (b" ", b"\t"):
            c.expect(current is not None, "continuation before a field")
        else:
            name, colon, _ = line.partition(b":")
            if not c.expect(colon and name and all(33 <= ch <= 126
                            for ch in name), "bad header line %r"
                            % line[:80]):
                continue
            current = name.decode("ascii")
            names.append(current)
        if len(line) > 78 and (current or "").lower() not in long_ok:
            c.fail("header line %d of %s has %d characters"
                   % (i + 1, current, len(line)))
    else:
        c.fail("no empty line ends the header block")
    c.expect(names == exp["header_names"],
             "header names %r, expected %r" % (names, exp["header_names"]))


def no_defects(c, msg):
    c.expect(not msg.defects, "message defects %r" % (msg.defects,))
    for i, part in enumerate(msg.walk()):
        c.expect(not part.defects, "part %d (%s) defects %r"
                 % (i, part.get_content_type(), part.defects))
        for k, v in part.items():
            c.expect(not getattr(v, "defects", ()), "part %d header %s "
                     "defects %r" % (i, k, getattr(v, "defects", ())))
        if i > 0:
            extra = {k.lower() for k in part.keys()} - PART_HEADERS
            c.expect(not extra, "part %d has headers %r" % (i, extra))


def norm(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_calendar(c, msg, cal):
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    ics = [p for p in msg.walk() if p.get_content_type() == "application/ics"]
    if not c.expect(len(parts) == 1 and len(ics) == 1,
                    "need one text/calendar and one application/ics part"):
        return
    p, a = parts[0], ics[0]
    c.expect(p.get_param("method") == cal["method"],
             "calendar method %r" % (p.get_param("method"),))
    c.expect((p.get_content_charset() or "").lower() == "utf-8",
             "calendar charset %r" % (p.get_content_charset(),))
    c.expect("Content-Disposition" not in p, "calendar part has a "
             "Content-Disposition")
    c.expect("Content-ID" not in p, "calendar part has a Content-ID")
    c.expect(p.get_content_disposition() is None, "calendar disposition")
    c.expect(a.get_content_disposition() == "attachment",
             "invite.ics is not an attachment")
    c.expect(a.get_filename() == "invite.ics", "attachment file name %r"
             % (a.get_filename(),))
    c.expect(a.get_param("name") == "invite.ics", "attachment name %r"
             % (a.get_param("name"),))
    inline = p.get_payload(decode=True)
    attached = a.get_payload(decode=True)
    c.expect(inline == attached, "calendar part and invite.ics differ")
    c.expect(attached == bytes.fromhex(cal["data_hex"]),
             "invite.ics is not the calendar object")


def raw_header(data, name):
    return email.message_from_bytes(
        data, policy=email.policy.compat32).get(name, "")


def legacy_addresses(data, name):
    """The addresses of header name, display names decoded by the legacy
    API. Python before the fix of gh-128110 (2025) keeps the white space
    between adjacent encoded-words of a display name, which RFC 2047 6.2
    says to ignore (it does ignore it in unstructured headers), so a long
    encoded name gains spaces where the encoder split it. Used only when
    the header has adjacent encoded-words and the modern parser disagrees.
    """
    m = email.message_from_bytes(data, policy=email.policy.compat32)
    out = []
    for n, a in email.utils.getaddresses(m.get_all(name, [])):
        n = str(email.header.make_header(email.header.decode_header(n)))
        out.append([n, a])
    return out


def check_message(path):
    c = Checker(os.path.basename(path))
    with open(path, "rb") as f:
        data = f.read()
    with open(path[:-4] + ".json", encoding="utf-8") as f:
        exp = json.load(f)
    raw_lines(c, data, exp)
    msg = email.message_from_bytes(data, policy=email.policy.default)
    no_defects(c, msg)
    for name, value in exp.get("headers", {}).items():
        got = msg[name]
        c.expect(got is not None and str(got) == value,
                 "%s is %r, expected %r" % (name, None if got is None
                                            else str(got), value))
    for name, addrs in exp.get("addresses", {}).items():
        got = msg[name]
        got = [[a.display_name, a.addr_spec] for a in got.addresses] \
            if got is not None else None
        if got != addrs and ADJACENT_EW.search(raw_header(data, name)):
            got = legacy_addresses(data, name)
        c.expect(got == addrs, "%s addresses %r, expected %r"
                 % (name, got, addrs))
    if "message_id" in exp:
        c.expect(str(msg["Message-ID"]) == "<%s>" % exp["message_id"],
                 "Message-ID %r" % str(msg["Message-ID"]))
    if "date" in exp:
        dt = msg["Date"].datetime
        c.expect(int(dt.timestamp()) == exp["date"]["epoch"] and
                 dt.utcoffset().total_seconds() == exp["date"]["utcoffset"],
                 "Date %r" % str(msg["Date"]))
    tree = [p.get_content_type() for p in msg.walk()]
    c.expect(tree == exp["tree"], "MIME tree %r, expected %r"
             % (tree, exp["tree"]))
    for ctype, text in exp.get("bodies", {}).items():
        parts = [p for p in msg.walk() if p.get_content_type() == ctype]
        if c.expect(len(parts) == 1, "need one %s part" % ctype):
            c.expect((parts[0].get_content_charset() or "").lower() ==
                     "utf-8", "%s charset" % ctype)
            c.expect(norm(parts[0].get_content()) == norm(text),
                     "%s body differs" % ctype)
    if "calendar" in exp:
        check_calendar(c, msg, exp["calendar"])
    atts = [p for p in msg.walk() if p.get_content_disposition() ==
            "attachment" and p.get_content_type() != "application/ics"]
    want = exp.get("attachments", [])
    if c.expect(len(atts) == len(want), "%d attachments, expected %d"
                % (len(atts), len(want))):
        for p, w in zip(atts, want):
            c.expect(p.get_filename() == w["filename"], "file name %r, "
                     "expected %r" % (p.get_filename(), w["filename"]))
            c.expect(p.get_content_type() == w["content_type"],
                     "attachment type %r" % p.get_content_type())
            c.expect(p.get_payload(decode=True) ==
                     bytes.fromhex(w["data_hex"]), "attachment %r data "
                     "differs" % w["filename"])
    return c.errors


def main():
    if len(sys.argv) != 2:
        print("usage: mime_check.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    files = sorted(f for f in os.listdir(d) if f.endswith(".eml"))
    if not files:
        print("mime_check: no .eml files in %s" % d, file=sys.stderr)
        return 1
    errors = []
    for f in files:
        try:
            errors += check_message(os.path.join(d, f))
        except Exception as e:  # a crash on one message is a failure
            errors.append("%s: %s: %s" % (f, type(e).__name__, e))
    for e in errors:
        print("mime_check: " + e)
    print("mime_check: %d messages, %d problems" % (len(files), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
