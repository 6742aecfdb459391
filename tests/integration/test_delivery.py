#!/usr/bin/python3
"""End-to-end delivery: `rundbrief newsletter send`, `queue run|retry|cancel`
and the daemon `rundbriefd`, against real SMTP servers on 127.0.0.1 — the
scriptable tests/integration/smtpd.py (aiosmtpd) and postfix's smtp-sink.

Every message received is parsed with Python's email package (policy
default) and must have no defects. Each test starts its own server on a free
port and its own temporary configuration and database; servers and programs
are stopped and the files removed even when a test fails.

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build directory,
RUNDBRIEF_SRC the repository root."""
import csv
import datetime
import email
import email.header
import email.policy
import email.utils
import getpass
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import zoneinfo

SRC = os.environ.get("RUNDBRIEF_SRC",
                     os.path.dirname(os.path.dirname(os.path.dirname(
                         os.path.abspath(__file__)))))
BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "rundbrief")
DAEMON = os.path.join(BUILD, "rundbriefd")
SMTPD = os.path.join(SRC, "tests", "integration", "smtpd.py")
PYTHON = "/usr/bin/python3"
SMTP_SINK = "/usr/sbin/smtp-sink"

EX_TEMPFAIL, EX_DATAERR = 75, 65
FROM_NAME = "Koordination Ehrenamt, Landkreis Süd-Östlich"
FROM_ADDR = "ehrenamt@landkreis.example"
BASE_URL = "https://ehrenamt.landkreis.example"
# In the editorial: one line of HTML far over 998 octets before encoding.
LONG_URL = BASE_URL + "/aktuelles/" + "x" * 1500
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
             "August", "September", "Oktober", "November", "Dezember"]
# What a newsletter carries, no more, no less (no Reply-To configured).
NEWSLETTER_HEADERS = sorted([
    "Date", "Message-ID", "From", "To", "Subject", "List-Id",
    "List-Unsubscribe", "List-Unsubscribe-Post", "Precedence",
    "MIME-Version", "Content-Type"])


def display_name(raw, header):
    """The RFC 2047 decoded display name of the one address in header.

    Python's policy.default parser puts a space between adjacent
    encoded-words inside a display name (RFC 2047 6.2 says to drop it), so
    names long enough to be split over several encoded-words are decoded
    here with the legacy decoder, which follows the RFC."""
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
    [(name, _)] = email.utils.getaddresses(legacy.get_all(header))
    return str(email.header.make_header(email.header.decode_header(name)))


def wait_for(pred, timeout, interval=0.05):
    """Polls pred() until it is true or timeout seconds pass; its value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, sig=signal.SIGTERM, grace=5):
    """Ends a process we started (by its handle), SIGKILL after grace."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            f.close()


class SmtpServer:
    """tests/integration/smtpd.py on 127.0.0.1 storing into `store`."""

    def __init__(self, store, *args, port=0):
        self.store = store
        os.makedirs(store, exist_ok=True)
        with open(store + ".log", "wb") as log:
            self.proc = subprocess.Popen(
                [PYTHON, SMTPD, "--store", store, "--port", str(port),
                 "--lifetime", "120"] + list(args),
                stdout=subprocess.PIPE, stderr=log)
        line = b""
        end = time.monotonic() + 15
        while not line.endswith(b"\n") and time.monotonic() < end:
            if select.select([self.proc.stdout], [], [], 0.2)[0]:
                c = os.read(self.proc.stdout.fileno(), 1)
                if not c:
                    break
                line += c
        if not line.endswith(b"\n") or not line.strip().isdigit():
            self.stop()
            raise RuntimeError("smtpd.py did not start: %r" % line)
        self.port = int(line)

    def stop(self):
        stop_process(self.proc)

    def received(self, rcpt):
        """[(raw message, envelope dict)] for rcpt, oldest first."""
        d = os.path.join(self.store, rcpt)
        if not os.path.isdir(d):
            return []
        out = []
        for n in sorted(f for f in os.listdir(d) if f.endswith(".eml")):
            with open(os.path.join(d, n), "rb") as f:
                raw = f.read()
            with open(os.path.join(d, n[:-4] + ".json")) as f:
                out.append((raw, json.load(f)))
        return out

    def counts(self):
        """{rcpt: number of messages received}."""
        c = {}
        for rcpt in os.listdir(self.store):
            d = os.path.join(self.store, rcpt)
            if os.path.isdir(d):
                c[rcpt] = sum(1 for f in os.listdir(d) if f.endswith(".eml"))
        return c

    def total(self):
        return sum(self.counts().values())


class Delivery(unittest.TestCase):
    """A temporary configuration + database and helpers to drive them."""

    maxDiff = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-delivery-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        self.env = dict(os.environ)
        for k in ("RUNDBRIEF_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                  "WATCHDOG_PID"):
            self.env.pop(k, None)
        self.write_editorials()

    # ---- setup ----

    def start_server(self, *args, port=0):
        store = os.path.join(self.dir, "smtpd-%d" % time.monotonic_ns())
        srv = SmtpServer(store, *args, port=port)
        self.addCleanup(srv.stop)
        return srv

    def configure(self, port, connections=4, timeout="3s", extra=""):
        with open(self.conf, "w") as f:
            f.write("[general]\n"
                    "database = %s\n"
                    "content = %s/content\n"
                    "timezone = Europe/Berlin\n"
                    "language = de\n"
                    "organizer_email = %s\n"
                    "base_url = %s\n"
                    "[smtp]\n"
                    "url = smtp://127.0.0.1:%d\n"
                    "tls = none\n"
                    "from = \"%s\" <%s>\n"
                    "envelope_from = bounces@landkreis.example\n"
                    "connections = %d\n"
                    "timeout = %s\n"
                    "connect_timeout = %s\n"
                    % (self.db, self.dir, FROM_ADDR, BASE_URL, port,
                       FROM_NAME, FROM_ADDR, connections, timeout, timeout)
                    + extra)
        os.chmod(self.conf, 0o600)
        if not os.path.exists(self.db):
            self.ok("init")

    def write_editorials(self):
        """An editorial with umlauts and over-long lines for this month and
        the next (the month `newsletter send` picks is the Berlin one)."""
        os.makedirs(os.path.join(self.dir, "content"))
        now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin"))
        nxt = (now.replace(day=1) + datetime.timedelta(days=32))
        text = ("Liebe Engagierte,\n\n" +
                ("wir danken Ihnen für Ihre Unterstützung im "
                 "Übergangswohnheim an der Große-Straße. ") * 30 +
                "\n\nMehr dazu: [Bericht](%s) und %s\n" % (LONG_URL, LONG_URL))
        for d in (now, nxt):
            with open(os.path.join(self.dir, "content",
                                   "%04d-%02d.md" % (d.year, d.month)),
                      "w") as f:
                f.write(text)

    # ---- the tool ----

    def run_tool(self, *args, timeout=60):
        return subprocess.run([TOOL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def ok(self, *args, timeout=60):
        r = self.run_tool(*args, timeout=timeout)
        self.assertEqual(r.returncode, 0, "%s failed (%d): %s%s" % (
            args, r.returncode, r.stdout, r.stderr))
        return r.stdout

    def add_subscribers(self, people, confirmed=True):
        """people: [(email, name)] imported from one CSV file."""
        path = os.path.join(self.dir, "people-%d.csv" % time.monotonic_ns())
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(["email", "name"])
            w.writerows(people)
        args = ["subscriber", "import", path]
        if confirmed:
            args.append("--confirmed")
        out = self.ok(*args)
        self.assertIn("%d added" % len(people), out)

    def subscriber(self, addr):
        return json.loads(self.ok("subscriber", "show", addr, "--format",
                                  "json"))

    def newsletter(self, *extra):
        """Queues a newsletter; (mailing id, year, month)."""
        out = self.ok("newsletter", "send", *extra)
        m = re.search(r"mailing (\d+): newsletter (\d{4})-(\d{2}) queued", out)
        self.assertIsNotNone(m, out)
        return int(m.group(1)), int(m.group(2)), int(m.group(3))

    def queue_run(self, want=0, limit=30):
        """`rundbrief queue run`: must end within limit seconds with exit
        status want; its (stdout, stderr, seconds)."""
        t0 = time.monotonic()
        r = self.run_tool("queue", "run", timeout=limit + 30)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, want, "queue run: %s%s" % (r.stdout,
                                                                 r.stderr))
        self.assertLess(took, limit, "queue run took %.1f s" % took)
        return r.stdout, r.stderr, took

    def queue_counts(self, mailing):
        for row in json.loads(self.ok("queue", "--format", "json")):
            if row["mailing"] == mailing:
                return {k: row[k] for k in ("queued", "sent", "deferred",
                                            "failed", "cancelled")}
        self.fail("mailing %d not in `rundbrief queue`" % mailing)

    # ---- the database, test side ----

    def sql(self, query, *params):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            with con:
                return con.execute(query, params).fetchall()
        finally:
            con.close()

    def make_due(self):
        """Test-side time travel: deferred rows are due now."""
        self.sql("UPDATE outbox SET next_attempt = 0 WHERE state='deferred'")

    def states(self):
        return dict(self.sql("SELECT s.email, o.state FROM outbox o JOIN"
                             " subscribers s ON s.id = o.subscriber_id"))

    # ---- message checks ----

    def check_wire_format(self, raw):
        """CRLF only, lines of at most 998 octets, 7-bit."""
        self.assertTrue(raw.endswith(b"\r\n"))
        self.assertNotRegex(raw, rb"[^\r]\n|\r[^\n]", "bare CR or LF")
        for no, line in enumerate(raw.split(b"\r\n"), 1):
            self.assertLessEqual(len(line), 998, "line %d too long" % no)
        self.assertTrue(raw.isascii(), "8-bit data in the message")

    def check_message(self, raw, envelope=None, subject=None):
        """Parses one newsletter and checks what every newsletter must have;
        returns (message, text part, html part)."""
        self.check_wire_format(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            self.assertEqual(list(part.defects), [],
                             "defects in %s" % part.get_content_type())
            for name, value in part.items():
                self.assertEqual(list(getattr(value, "defects", [])), [],
                                 "defects in header %s" % name)
        self.assertEqual(sorted(msg.keys()), NEWSLETTER_HEADERS)
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "text/html"])
        for p in parts:
            self.assertEqual(p.get_content_charset(), "utf-8")
            self.assertEqual(p["Content-Transfer-Encoding"],
                             "quoted-printable")
        text, html = (p.get_content() for p in parts)

        frm = msg["From"].addresses
        self.assertEqual(len(frm), 1)
        self.assertEqual(display_name(raw, "From"), FROM_NAME)
        self.assertEqual(frm[0].addr_spec, FROM_ADDR)
        self.assertEqual(len(msg["To"].addresses), 1)
        self.assertRegex(msg["Message-ID"],
                         r"^<[A-Za-z0-9._-]+@landkreis\.example>$")
        self.assertNotIn(socket.gethostname(), msg["Message-ID"])
        date = msg["Date"].datetime
        self.assertIsNotNone(date.tzinfo)
        self.assertLess(abs(time.time() - date.timestamp()), 600)
        self.assertTrue(msg["List-Id"].strip().endswith(">"))
        self.assertEqual(msg["List-Unsubscribe-Post"],
                         "List-Unsubscribe=One-Click")
        self.assertEqual(msg["Precedence"], "bulk")
        if subject is not None:
            self.assertEqual(msg["Subject"], subject)
        if envelope is not None:
            self.assertEqual(envelope["helo"], "landkreis.example")
        return msg, text, html

    def check_unsubscribe(self, msg, text, html, addr, envelope):
        """List-Unsubscribe, VERP and the visible link carry addr's token."""
        token = self.subscriber(addr)["unsubscribe_token"]
        self.assertRegex(token, r"^[0-9a-f]{32}$")
        url = "%s/u/%s" % (BASE_URL, token)
        lu = re.findall(r"<([^<>]*)>", str(msg["List-Unsubscribe"]))
        self.assertEqual(len(lu), 2, msg["List-Unsubscribe"])
        self.assertTrue(lu[0].startswith("mailto:%s?" % FROM_ADDR), lu)
        self.assertIn(token, lu[0])
        self.assertEqual(lu[1], url)
        self.assertEqual(envelope["mail_from"],
                         "bounces+%s@landkreis.example" % token)
        self.assertEqual(envelope["rcpt_tos"], [addr])
        self.assertIn(url, text)
        self.assertIn('href="%s"' % url, html)


class TestMessages(Delivery):
    """What arrives is a correct, safe newsletter."""

    def test_newsletter_parses_and_carries_everything(self):
        srv = self.start_server()
        self.configure(srv.port)
        juergen = "juergen.gross@example.org"
        names = {juergen: "Jürgen Groß-Öztürk",
                 "anna@example.org": "Anna Schneider",
                 "noname@example.org": "",
                 # long enough to need several encoded-words
                 "maria@example.org": "Maria-Theresia Müller-Lüdenscheidt "
                                      "von Überlingen-Söhnlein, geb. Öğüt"}
        self.add_subscribers(list(names.items()))
        start = datetime.date.today() + datetime.timedelta(days=3)
        self.ok("event", "add", "--kind", "welcome_conference", "--title",
                "Willkommenskonferenz für Ehrenamtliche", "--start",
                "%s 18:00" % start, "--end", "%s 21:00" % start,
                "--location", "Kreishaus, Saal Süd")
        # published without its invitation: this test is about the
        # newsletter (invitations have test_invitations.py)
        self.ok("event", "publish", "1", "--no-mail")
        mailing, year, month = self.newsletter()
        subject = "Rundbrief %s %d" % (MONTHS_DE[month - 1], year)
        out, _, _ = self.queue_run()
        self.assertIn("sent 4, deferred 0, failed 0", out)
        self.assertEqual(srv.counts(), {a: 1 for a in names})
        ids = dict(self.sql("SELECT s.email, o.message_id FROM outbox o JOIN"
                            " subscribers s ON s.id = o.subscriber_id"))
        for addr in srv.counts():
            [(raw, env)] = srv.received(addr)
            msg, text, html = self.check_message(raw, env, subject)
            self.check_unsubscribe(msg, text, html, addr, env)
            self.assertEqual(msg["To"].addresses[0].addr_spec, addr)
            self.assertEqual(display_name(raw, "To"), names[addr])
            self.assertEqual(msg["Message-ID"].strip("<>"), ids[addr])
            self.assertIn("Willkommenskonferenz für Ehrenamtliche", text)
            self.assertIn("Große-Straße", html)
            self.assertIn('href="%s"' % LONG_URL, html)
        [(raw, _)] = srv.received(juergen)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(display_name(raw, "To"), "Jürgen Groß-Öztürk")
        self.assertIn("Jürgen Groß-Öztürk", msg.get_body(("plain",))
                      .get_content())
        self.assertEqual(self.queue_counts(mailing)["sent"], 4)

    def test_hostile_names_add_no_header(self):
        srv = self.start_server()
        self.configure(srv.port)
        csvfile = os.path.join(self.dir, "hostile.csv")
        with open(csvfile, "wb") as f:
            f.write(b'email,name\r\n'
                    b'eve@example.org,"Eve\r\nBcc: victim@example.org"\r\n'
                    b'mallory@example.org,<script>alert(1)</script>\r\n'
                    b'quote@example.org,"Eve ""x"" <victim@example.org>,'
                    b' =?UTF-8?B?QmNjOg==?="\r\n')
        self.ok("subscriber", "import", csvfile, "--confirmed")
        # Past the tool's own cleaning: a raw line break straight into the
        # database must not reach the header either.
        self.add_subscribers([("raw@example.org", "Raw")])
        self.sql("UPDATE subscribers SET name = ? WHERE email = ?",
                 "Eve\r\nBcc: victim@example.org\r\n\r\n<b>x</b>",
                 "raw@example.org")
        _, year, _ = self.newsletter("--month", "%d-03" % (
            datetime.date.today().year + 1))
        subject = "Rundbrief März %d" % year
        self.queue_run()
        got = srv.counts()
        self.assertNotIn("victim@example.org", got)
        for addr in ("eve@example.org", "mallory@example.org",
                     "quote@example.org", "raw@example.org"):
            self.assertEqual(got.get(addr), 1, addr)
            [(raw, env)] = srv.received(addr)
            self.assertEqual(env["rcpt_tos"], [addr])
            head = raw.split(b"\r\n\r\n", 1)[0]
            self.assertNotRegex(head, rb"(?im)^bcc:")
            msg, text, html = self.check_message(raw, env, subject)
            to = msg["To"].addresses
            self.assertEqual([a.addr_spec for a in to], [addr])
            self.assertNotIn("<script", html.lower())
            if addr != "raw@example.org":
                self.assertEqual(display_name(raw, "To"),
                                 self.subscriber(addr)["name"])
            self.assertNotIn("<b>x</b>", html)
        msg = email.message_from_bytes(srv.received("mallory@example.org")
                                       [0][0], policy=email.policy.default)
        self.assertEqual(msg["To"].addresses[0].display_name,
                         "<script>alert(1)</script>")
        html = msg.get_body(("html",)).get_content()
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)


class TestServerReplies(Delivery):
    """Each reply of the server leads to the right state; nothing is lost
    and nothing is sent twice."""

    OK = ["ok1@example.org", "ok2@example.org", "ok3@example.org"]

    def setup_mailing(self, special, connections=4):
        srv = self.start_server()
        self.configure(srv.port, connections=connections)
        self.add_subscribers([(a, "") for a in self.OK + special])
        mailing, _, _ = self.newsletter()
        return srv, mailing

    def assert_all_once(self, srv, addrs):
        got = srv.counts()
        for a in addrs:
            self.assertEqual(got.get(a), 1, "%s received %s" % (a, got.get(a)))
            self.check_message(srv.received(a)[0][0])

    def test_250(self):
        srv, mailing = self.setup_mailing([])
        self.queue_run()
        self.assertEqual(self.queue_counts(mailing),
                         dict(queued=0, sent=3, deferred=0, failed=0,
                              cancelled=0))
        self.assert_all_once(srv, self.OK)
        replies = self.sql("SELECT last_reply, attempts FROM outbox")
        for reply, attempts in replies:
            self.assertRegex(reply, r"^250 ")
            self.assertEqual(attempts, 1)
        # Nothing is due: a second run sends nothing again.
        out, _, _ = self.queue_run()
        self.assertIn("sent 0,", out)
        self.assertEqual(srv.total(), 3)

    def deferred_then_delivered(self, special, reply_re):
        srv, mailing = self.setup_mailing(special)
        out, _, _ = self.queue_run()
        self.assertIn("sent 3, deferred %d" % len(special), out)
        c = self.queue_counts(mailing)
        self.assertEqual((c["sent"], c["deferred"], c["failed"]),
                         (3, len(special), 0))
        table = self.ok("queue")
        for a in special:
            line = [ln for ln in table.splitlines() if a in ln]
            self.assertEqual(len(line), 1, table)
            self.assertIn("deferred", line[0])
            self.assertRegex(line[0], reply_re)
        now = time.time()
        for (due,) in self.sql("SELECT next_attempt FROM outbox WHERE"
                               " state = 'deferred'"):
            self.assertTrue(now + 30 <= due <= now + 120, due - now)
        # Not due yet: nothing happens.
        out, _, _ = self.queue_run()
        self.assertIn("sent 0,", out)
        self.make_due()
        out, _, _ = self.queue_run()
        self.assertIn("sent %d, deferred 0" % len(special), out)
        self.assertEqual(self.queue_counts(mailing)["sent"],
                         3 + len(special))
        self.assert_all_once(srv, self.OK + special)
        for (n,) in self.sql("SELECT attempts FROM outbox o JOIN subscribers"
                             " s ON s.id = o.subscriber_id WHERE s.email IN"
                             " (%s)" % ",".join("?" * len(special)),
                             *special):
            self.assertEqual(n, 2)

    def test_421_and_451_after_data_deferred(self):
        self.deferred_then_delivered(["once-421@example.org",
                                      "once-451@example.org"],
                                     r"4[25]1 .*Temporary failure")

    def test_452_on_rcpt_deferred(self):
        self.deferred_then_delivered(["rcptonce-452@example.org"],
                                     r"452 .*Temporary failure")

    def test_drop_in_data_deferred_then_once(self):
        self.deferred_then_delivered(["drop@example.org"], r".")

    def test_550_bounces_554_after_data_does_not(self):
        bad = ["rcpt-550@example.org", "data-554@example.org",
               "unknown@example.org"]
        srv, mailing = self.setup_mailing(bad)
        out, _, _ = self.queue_run()
        self.assertIn("sent 3, deferred 0, failed 3", out)
        c = self.queue_counts(mailing)
        self.assertEqual((c["sent"], c["deferred"], c["failed"]), (3, 0, 3))
        table = self.ok("queue")
        # 550 to RCPT: the mailbox is refused, a hard bounce (bounced at
        # the third, [imap] bounce_limit, or at once for 5.1.1 user
        # unknown); 554 after the message: the content was refused, not
        # the person
        for a, reply, want in zip(bad, ("550 Permanent failure (scripted)",
                                        "554 Permanent failure (scripted)",
                                        "550 5.1.1 User unknown"),
                                  ((1, "active"), (0, "active"),
                                   (1, "bounced"))):
            s = self.subscriber(a)
            self.assertEqual((s["hard_bounces"], s["status"]), want)
            line = [ln for ln in table.splitlines() if a in ln]
            self.assertEqual(len(line), 1, table)
            self.assertIn("failed", line[0])
            self.assertIn(reply, line[0])
        # the bounce history names the refusals that counted
        hist = self.subscriber("unknown@example.org")["bounce_history"]
        self.assertEqual([(h["source"], h["status"], h["permanent"])
                          for h in hist], [("smtp", "5.1.1", True)])
        self.assertEqual(self.subscriber("data-554@example.org")
                         ["bounce_history"], [])
        for a in self.OK:
            self.assertEqual(self.subscriber(a)["status"], "active")
        self.make_due()
        out, _, _ = self.queue_run()
        self.assertIn("sent 0, deferred 0, failed 0", out)
        self.assertNotIn("rcpt-550@example.org", srv.counts())
        self.assertNotIn("data-554@example.org", srv.counts())
        self.assert_all_once(srv, self.OK)

    def test_silence_after_data_times_out(self):
        # hang-once: the server reads the message and never answers. The
        # run must defer it after the timeout and return, not hang.
        srv, mailing = self.setup_mailing(["hang-once@example.org"],
                                          connections=1)
        _, _, took = self.queue_run(limit=12)
        # the 3 s timeout; the dead connection is shut down, not waited for
        print("\n  queue run with a silent server returned after %.1f s "
              "(timeout 3 s)" % took, file=sys.stderr)
        self.assertEqual(self.states()["hang-once@example.org"], "deferred")
        self.assertIn("imeout", self.sql(
            "SELECT last_reply FROM outbox WHERE state = 'deferred'")[0][0])
        self.assertEqual(self.queue_counts(mailing)["sent"], 3)
        self.make_due()
        self.queue_run(limit=12)
        self.assert_all_once(srv, self.OK + ["hang-once@example.org"])

    # After a transaction times out waiting for the reply to the end of the
    # message, libcurl keeps the connection. Were it reused, the late reply
    # to the old message would be read as the reply to the next message's
    # MAIL FROM: a late 554 for one subscriber would bounce the NEXT one
    # (status 'bounced', hard_bounces 1). smtp.c closes the connection of
    # every failed transaction, so the next message gets a new one.
    def test_late_reply_is_not_taken_for_the_next_message(self):
        srv = self.start_server("--late-delay", "3")
        self.configure(srv.port, connections=1, timeout="2s")
        self.add_subscribers([("late-554@example.org", ""),
                              ("innocent@example.org", "")])
        self.newsletter()
        self.queue_run(limit=15)
        s = self.subscriber("innocent@example.org")
        self.assertEqual((s["status"], s["hard_bounces"]), ("active", 0))
        self.assertEqual(self.states()["innocent@example.org"], "sent")
        self.assertEqual(srv.counts(), {"innocent@example.org": 1})

    def test_server_never_greets_then_comes_up(self):
        # A port that accepts TCP connections but never says a word.
        mute = socket.socket()
        self.addCleanup(mute.close)
        mute.bind(("127.0.0.1", 0))
        mute.listen(64)
        port = mute.getsockname()[1]
        self.configure(port, connections=2)
        self.add_subscribers([(a, "") for a in self.OK])
        mailing, _, _ = self.newsletter()
        _, err, took = self.queue_run(want=EX_TEMPFAIL, limit=15)
        self.assertIn("cannot be reached", err)
        c = self.queue_counts(mailing)
        self.assertEqual(c["sent"] + c["failed"], 0)
        self.assertEqual(c["queued"] + c["deferred"], 3)
        self.assertEqual(self.sql("SELECT count(*) FROM outbox WHERE"
                                  " state = 'sending'"), [(0,)])
        mute.close()
        srv = self.start_server(port=port)
        self.make_due()
        self.queue_run()
        self.assert_all_once(srv, self.OK)


class TestThroughput(Delivery):
    # libcurl waits for the reply to the end of each message without
    # returning to its caller (under the multi interface too), so smtp.c
    # runs each connection in a thread of its own: `connections` parallel
    # connections deliver faster than one when the server takes time to
    # accept each message (a real MTA syncs its queue file before the
    # 250), and one silent connection holds up none of the others.
    def test_connections_work_in_parallel(self):
        srv = self.start_server("--data-delay", "0.1")
        people = ["p%02d@example.org" % i for i in range(20)]
        took = {}
        for conns in (1, 4):
            self.configure(srv.port, connections=conns)
            if conns == 1:
                self.add_subscribers([(a, "") for a in people])
                self.newsletter()
            else:
                self.newsletter("--again")
            t0 = time.monotonic()
            self.queue_run()
            took[conns] = time.monotonic() - t0
        print("\n  20 messages, 100 ms per 250 reply: %.2f s over 1 "
              "connection, %.2f s over 4" % (took[1], took[4]),
              file=sys.stderr)
        self.assertEqual(srv.counts(), {a: 2 for a in people})
        self.assertLess(took[4], took[1] * 0.6)


class TestQueueCommands(Delivery):
    def test_retry_requeues_failed(self):
        srv = self.start_server()
        # one hard bounce is enough to be "bounced" here
        self.configure(srv.port, extra="[imap]\nbounce_limit = 1\n")
        self.add_subscribers([("once-451@example.org", ""),
                              ("rcpt-550@example.org", ""),
                              ("ok@example.org", "")])
        mailing, _, _ = self.newsletter()
        # Older than max_age (3 days): a temporary failure now fails.
        self.sql("UPDATE outbox SET created_at = created_at - 4 * 86400")
        out, _, _ = self.queue_run()
        self.assertIn("sent 1, deferred 0, failed 2", out)
        self.assertEqual(self.states(), {"once-451@example.org": "failed",
                                         "rcpt-550@example.org": "failed",
                                         "ok@example.org": "sent"})
        self.assertEqual(self.subscriber("once-451@example.org")["status"],
                         "active")
        # Only the active subscriber's row comes back, not the bounced one.
        self.assertIn("1 failed message queued again",
                      self.ok("queue", "retry", str(mailing)))
        self.assertEqual(self.queue_counts(mailing)["queued"], 1)
        out, _, _ = self.queue_run()
        self.assertIn("sent 1, deferred 0, failed 0", out)
        self.assertEqual(srv.counts(), {"once-451@example.org": 1,
                                        "ok@example.org": 1})
        self.assertIn("0 failed messages queued again",
                      self.ok("queue", "retry"))

    def test_cancel_leaves_the_rest_unsent(self):
        srv = self.start_server()
        self.configure(srv.port)
        self.add_subscribers([("once-451@example.org", ""),
                              ("a@example.org", ""), ("b@example.org", "")])
        first, _, _ = self.newsletter()
        self.queue_run()
        self.assertEqual(self.queue_counts(first)["deferred"], 1)
        self.assertIn("1 message will not be sent",
                      self.ok("queue", "cancel", str(first)))
        second, _, _ = self.newsletter("--again")
        self.assertIn("3 messages will not be sent",
                      self.ok("queue", "cancel", str(second)))
        r = self.run_tool("queue", "cancel", "999")
        self.assertEqual(r.returncode, EX_DATAERR)
        self.make_due()
        self.sql("UPDATE outbox SET next_attempt = 0")
        out, _, _ = self.queue_run()
        self.assertIn("sent 0, deferred 0, failed 0", out)
        self.assertEqual(self.queue_counts(first),
                         dict(queued=0, sent=2, deferred=0, failed=0,
                              cancelled=1))
        self.assertEqual(self.queue_counts(second),
                         dict(queued=0, sent=0, deferred=0, failed=0,
                              cancelled=3))
        self.assertEqual(srv.counts(), {"a@example.org": 1,
                                        "b@example.org": 1})


class TestSmtpSink(Delivery):
    """postfix's smtp-sink as a second, independent server."""

    @unittest.skipUnless(os.access(SMTP_SINK, os.X_OK), "no smtp-sink")
    def test_50_over_4_connections(self):
        dump = os.path.join(self.dir, "sink")
        os.makedirs(dump)
        port = free_port()
        sink = subprocess.Popen([SMTP_SINK, "-u", getpass.getuser(), "-h",
                                 "sink.test", "-d", dump + "/msg.",
                                 "127.0.0.1:%d" % port, "100"],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        self.addCleanup(stop_process, sink)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False
        self.assertTrue(wait_for(listening, 10), "smtp-sink did not start")
        self.configure(port, connections=4)
        people = [("helfer%02d@example.org" % i, "Helfer Nr. %d Müller" % i)
                  for i in range(50)]
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        out, _, _ = self.queue_run()
        self.assertIn("sent 50, deferred 0, failed 0", out)
        stop_process(sink)
        seen = {}
        for name in os.listdir(dump):
            with open(os.path.join(dump, name), "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            for part in msg.walk():
                self.assertEqual(list(part.defects), [], name)
            rcpt = msg["X-Rcpt-Args"].strip("<>")
            seen[rcpt] = seen.get(rcpt, 0) + 1
            token = self.sql("SELECT token FROM subscribers WHERE email = ?",
                             rcpt)[0][0]
            self.assertEqual(msg["X-Mail-Args"],
                             "<bounces+%s@landkreis.example>" % token)
            self.assertEqual(msg["X-Helo-Args"], "landkreis.example")
            self.assertEqual(msg["To"].addresses[0].addr_spec, rcpt)
            self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertEqual(seen, {a: 1 for a, _ in people})
        self.assertEqual(self.queue_counts(mailing)["sent"], 50)


class TestCrashSafety(Delivery):
    """Killed in the middle of a run: nothing lost, duplicates only for the
    messages that were on the wire."""

    N = 300
    CONNECTIONS = 4

    def setup_slow(self):
        srv = self.start_server("--data-delay", "0.03")
        self.configure(srv.port, connections=self.CONNECTIONS)
        self.people = ["v%03d@example.org" % i for i in range(self.N)]
        self.add_subscribers([(a, "Freiwillige %d" % i)
                              for i, a in enumerate(self.people)])
        self.mailing, _, _ = self.newsletter()
        return srv

    def start(self, argv):
        log = open(os.path.join(self.dir, "proc-%d.log" %
                                time.monotonic_ns()), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                env=self.env)
        self.addCleanup(stop_process, proc, signal.SIGKILL)
        return proc, log

    def interrupt(self, srv, proc, sig):
        """Lets proc deliver a part, then sends sig; the number received."""
        self.assertTrue(wait_for(lambda: srv.total() >= 40, 20),
                        "nothing delivered")
        time.sleep(0.3)
        proc.send_signal(sig)
        return srv.total()

    def test_kill_9_during_queue_run(self):
        srv = self.setup_slow()
        proc, _ = self.start([TOOL, "-c", self.conf, "queue", "run"])
        self.interrupt(srv, proc, signal.SIGKILL)
        proc.wait(10)
        before = srv.total()
        self.assertLess(before, self.N, "the run ended before the kill")
        sending = self.sql("SELECT count(*) FROM outbox WHERE state ="
                           " 'sending'")[0][0]
        self.assertGreater(sending, 0)
        _, err, _ = self.queue_run(limit=40)
        self.assertRegex(err, r"\b%d messages? left in sending by an "
                         r"interrupted run queued again" % sending)
        got = srv.counts()
        missing = [a for a in self.people if a not in got]
        self.assertEqual(missing, [])
        dups = sum(got.values()) - self.N
        print("\n  kill -9 after %d of %d messages (%d rows in sending): "
              "%d duplicate(s), at most %d allowed" % (
                  before, self.N, sending, dups, self.CONNECTIONS),
              file=sys.stderr)
        self.assertLessEqual(dups, self.CONNECTIONS)
        self.assertEqual(self.queue_counts(self.mailing)["sent"], self.N)

    def test_sigterm_daemon_finishes_in_flight(self):
        srv = self.setup_slow()
        proc, log = self.start([DAEMON, "-c", self.conf])
        self.interrupt(srv, proc, signal.SIGTERM)
        t0 = time.monotonic()
        self.assertEqual(proc.wait(5), 0)
        print("\n  rundbriefd stopped %.2f s after SIGTERM with %d of %d "
              "sent" % (time.monotonic() - t0, srv.total(), self.N),
              file=sys.stderr)
        rows = dict(self.sql("SELECT state, count(*) FROM outbox"
                             " GROUP BY state"))
        self.assertNotIn("sending", rows)
        self.assertEqual(rows.get("sent", 0), srv.total())
        self.assertLess(rows["sent"], self.N)
        log.seek(0)
        self.assertIn("stopping", log.read())
        self.queue_run(limit=40)
        got = srv.counts()
        self.assertEqual(got, {a: 1 for a in self.people})


class TestDaemon(Delivery):
    def test_delivers_without_a_signal_and_stops_cleanly(self):
        srv = self.start_server()
        self.configure(srv.port)
        people = ["d1@example.org", "d2@example.org", "d3@example.org"]
        self.add_subscribers([(a, "") for a in people])
        logpath = os.path.join(self.dir, "rundbriefd.log")
        with open(logpath, "w") as log:
            proc = subprocess.Popen([DAEMON, "-c", self.conf], stdout=log,
                                    stderr=subprocess.STDOUT, env=self.env)
        self.addCleanup(stop_process, proc, signal.SIGKILL)

        def log_text():
            with open(logpath) as f:
                return f.read()
        self.assertTrue(wait_for(lambda: "started" in log_text(), 10),
                        log_text())
        time.sleep(0.2)
        self.assertEqual(srv.total(), 0)
        t0 = time.monotonic()
        mailing, _, _ = self.newsletter()
        self.assertTrue(wait_for(lambda: srv.total() == 3, 3),
                        "not delivered within 3 s: %s" % log_text())
        print("\n  rundbriefd delivered 3 messages %.2f s after newsletter "
              "send" % (time.monotonic() - t0), file=sys.stderr)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(5), 0, log_text())
        self.assertEqual(srv.counts(), {a: 1 for a in people})
        self.assertEqual(self.queue_counts(mailing)["sent"], 3)
        self.assertIn("stopping", log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
