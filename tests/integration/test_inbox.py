#!/usr/bin/python3
"""The IMAP reader (daemon/inbox.c, daemon/imaptls.c) against a real
Dovecot on 127.0.0.1 (tests/integration/dovecot.py) over verified TLS, and
against a fake server that never answers IDLE (fakeimap.py).

Each message must be handled exactly once and end in the right folder,
across a second pass, a kill -9 in the middle of a batch, a UIDVALIDITY
change and a server restart; a 20 MB message is not read; a wrong
password backs off; a certificate for another name or from an unknown CA
is refused before LOGIN; imaps:// and imap:// + STARTTLS both work.

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build directory,
RUNDBRIEF_SRC the repository root."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dovecot import PASSWORD, USER, Dovecot, make_certs, message  # noqa: E402

SRC = os.environ.get("RUNDBRIEF_SRC",
                     os.path.dirname(os.path.dirname(os.path.dirname(
                         os.path.abspath(__file__)))))
BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "rundbrief")
DAEMON = os.path.join(BUILD, "rundbriefd")
FAKE = os.path.join(SRC, "tests", "integration", "fakeimap.py")
PYTHON = "/usr/bin/python3"
EX_TEMPFAIL, EX_CONFIG = 75, 78
PROCESSED, UNHANDLED = "rundbrief/erledigt", "rundbrief/unklar"
ORGANIZER = "ehrenamt@landkreis.example"
SUBSCRIBER = "anna@example.org"


def wait_for(pred, timeout, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


def msgid_of(raw):
    m = re.search(rb"^Message-ID: <([^>]*)>", raw, re.M | re.I)
    return m.group(1).decode() if m else None


class Inbox(unittest.TestCase):
    """A Dovecot, a configuration + database, helpers for tool and daemon
    (also for test_replies.py). The tests are in TestReader."""

    certs = None

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="rbcerts")
        make_certs(cls.certdir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-inbox-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        self.pwfile = os.path.join(self.dir, "imap-password")
        self.env = dict(os.environ)
        for k in ("RUNDBRIEF_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                  "WATCHDOG_PID", "CREDENTIALS_DIRECTORY"):
            self.env.pop(k, None)
        self.dv = Dovecot(certs=self.certdir)
        self.addCleanup(self.dv.stop)
        self.procs = []
        self.addCleanup(self.kill_all)

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def configure(self, url=None, password=PASSWORD, ca_file=None,
                  mailbox="INBOX", poll="10s"):
        if url is None:
            url = "imaps://localhost:%d" % self.dv.imaps_port
        with open(self.pwfile, "w") as f:
            f.write(password + "\n")
        os.chmod(self.pwfile, 0o600)
        with open(self.conf, "w") as f:
            f.write("[general]\n"
                    "database = %s\n"
                    "content = %s/content\n"
                    "organizer_email = %s\n"
                    "[smtp]\n"
                    "maildir = %s/outbox\n"
                    "[imap]\n"
                    "url = %s\n"
                    "username = %s\n"
                    "password_file = %s\n"
                    "mailbox = %s\n"
                    "poll_interval = %s\n"
                    "ca_file = %s\n"
                    % (self.db, self.dir, ORGANIZER, self.dir, url, USER,
                       self.pwfile, mailbox, poll,
                       ca_file or self.dv.ca))
        os.chmod(self.conf, 0o600)
        if not os.path.exists(self.db):
            self.tool_ok("init")
            self.tool_ok("subscriber", "add", SUBSCRIBER, "--confirmed")

    # ---- programs ----

    def tool(self, *args, timeout=120):
        return subprocess.run([TOOL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def tool_ok(self, *args):
        r = self.tool(*args)
        self.assertEqual(r.returncode, 0, "%s: %d %s%s" % (
            args, r.returncode, r.stdout, r.stderr))
        return r.stdout

    def start_daemon(self, name="daemon"):
        log = open(os.path.join(self.dir, "%s-%d.log" % (
            name, len(self.procs))), "w+")
        self.addCleanup(log.close)
        p = subprocess.Popen([DAEMON, "-c", self.conf, "-f"],
                             stdout=log, stderr=subprocess.STDOUT,
                             env=self.env)
        p.logfile = log.name
        self.procs.append(p)
        return p

    def stop_daemon(self, p, timeout=10):
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout)
        return time.monotonic() - t0

    @staticmethod
    def daemon_log(p):
        with open(p.logfile, errors="replace") as f:
            return f.read()

    # ---- the database ----

    def sql(self, q, *args):
        c = sqlite3.connect(self.db, timeout=10)
        try:
            return c.execute(q, args).fetchall()
        finally:
            c.close()

    def seen(self):
        return {r[0]: (r[1], r[2], r[3]) for r in self.sql(
            "SELECT message_id, kind, folder, outcome FROM inbox_seen")}

    def folder_ids(self, folder):
        return [msgid_of(r) for r in self.dv.messages(folder)]



class TestReader(Inbox):

    def test_handled_once_into_the_right_folders(self):
        """`inbox check` handles each message once, one line per message;
        the second pass finds nothing; both imaps:// and STARTTLS."""
        for n, url in enumerate(("imaps://localhost:%d" % self.dv.imaps_port,
                                 "imap://localhost:%d" % self.dv.imap_port)):
            self.configure(url=url)
            unsub = message("unsubscribe", "u%d@test" % n, sender=SUBSCRIBER)
            other = message("Frage zum Termin", "q%d@test" % n,
                            sender="bert@example.org")
            self.dv.append_many("INBOX", [unsub, other])
            out = self.tool_ok("inbox", "check")
            lines = out.strip().split("\n")
            self.assertEqual(len(lines), 2, out)
            self.assertIn("u%d@test" % n, lines[0])
            self.assertIn("q%d@test" % n, lines[1])
            self.assertIn("moved to " + PROCESSED, lines[0])
            self.assertIn("moved to " + UNHANDLED, lines[1])
            self.assertEqual(self.dv.messages("INBOX"), [])
            self.assertIn("u%d@test" % n, self.folder_ids(PROCESSED))
            self.assertIn("q%d@test" % n, self.folder_ids(UNHANDLED))
            seen = self.seen()
            self.assertEqual(seen["u%d@test" % n][1:],
                             (PROCESSED, "handled"))
            self.assertEqual(seen["q%d@test" % n][1:],
                             (UNHANDLED, "unhandled"))
            out = self.tool_ok("inbox", "check")
            self.assertEqual(out.strip(), "no new messages")
        self.assertEqual(len(self.seen()), 4)
        self.assertEqual(len(self.dv.messages(PROCESSED)), 2)
        self.assertEqual(len(self.dv.messages(UNHANDLED)), 2)
        [(uidvalidity, last)] = self.sql(
            "SELECT uidvalidity, last_uid FROM inbox_state "
            "WHERE mailbox = 'INBOX'")
        self.assertEqual(uidvalidity, self.dv.uidvalidity("INBOX"))
        self.assertEqual(last, 4)

    def test_servers_without_move_or_uidplus(self):
        """Without MOVE: COPY + \\Deleted + UID EXPUNGE (UIDPLUS). Without
        UIDPLUS either: copied, left flagged \\Deleted in the mailbox (no
        plain EXPUNGE of other people's deletions), never handled twice."""
        base = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+"
                " NAMESPACE")
        for n, caps in enumerate((base + " UIDPLUS", base)):
            self.dv.stop()
            self.dv = Dovecot(certs=self.certdir, imap_capability=caps)
            self.addCleanup(self.dv.stop)
            self.configure()
            self.dv.append_many("INBOX", [
                message("unsubscribe", "m%d@test" % n, sender=SUBSCRIBER),
                message("Frage", "f%d@test" % n, sender="x@example.org")])
            out = self.tool_ok("inbox", "check")
            self.assertEqual(len(out.strip().split("\n")), 2, out)
            self.assertEqual(self.folder_ids(PROCESSED), ["m%d@test" % n])
            self.assertEqual(self.folder_ids(UNHANDLED), ["f%d@test" % n])
            left = self.dv.messages("INBOX", with_flags=True)
            if "UIDPLUS" in caps:
                self.assertEqual(left, [])
            else:
                self.assertEqual(len(left), 2)
                self.assertTrue(all(b"\\Deleted" in f for _, f in left))
            self.assertEqual(self.tool_ok("inbox", "check").strip(),
                             "no new messages")
            self.assertEqual(len(self.dv.messages(PROCESSED)), 1)
            # a fresh database per server
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(self.db + ext):
                    os.unlink(self.db + ext)

    def test_once_reads_then_delivers(self):
        """`rundbriefd --once` reads the mailbox first, so the
        confirmation an unsubscribe queues goes out in the same pass."""
        self.configure()
        self.dv.append("INBOX", message("unsubscribe", "once@test",
                                        sender=SUBSCRIBER))
        r = subprocess.run([DAEMON, "-c", self.conf, "--once"],
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("<once@test>", r.stderr)
        self.assertEqual(self.seen()["once@test"][2], "handled")
        self.assertEqual(self.dv.count("INBOX"), 0)
        self.assertEqual(self.sql("SELECT status FROM subscribers WHERE "
                                  "email = ?", SUBSCRIBER),
                         [("unsubscribed",)])
        new = os.path.join(self.dir, "outbox", "new")
        sent = []
        for f in (os.listdir(new) if os.path.isdir(new) else []):
            with open(os.path.join(new, f), "rb") as fp:
                sent.append(fp.read())
        self.assertEqual(len([m for m in sent
                              if b"To: " + SUBSCRIBER.encode() in m or
                              SUBSCRIBER.encode() + b">" in m]), 1,
                         r.stderr)
        self.assertEqual(self.sql(
            "SELECT count(*) FROM outbox WHERE state = 'queued'"), [(0,)])

    def test_no_message_id_and_missing_url(self):
        """A message without Message-ID is recorded under a hash of its
        bytes; without [imap] url the command says so (EX_CONFIG)."""
        self.configure()
        raw = message("ohne Kennung", None, sender="carl@example.org")
        self.dv.append("INBOX", raw)
        self.tool_ok("inbox", "check")
        keys = list(self.seen())
        self.assertEqual(len(keys), 1)
        self.assertRegex(keys[0], r"^sha256:[0-9a-f]{64}$")
        # the same bytes again: recognised, only moved
        self.dv.append("INBOX", raw)
        out = self.tool_ok("inbox", "check")
        self.assertIn("handled before", out)
        self.assertEqual(len(self.seen()), 1)
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(re.sub(r"(?m)^url = imap.*\n", "", text))
        r = self.tool("inbox", "check")
        self.assertEqual(r.returncode, EX_CONFIG, r.stderr)
        self.assertIn("[imap] url", r.stderr)

    def import_people(self, addrs):
        path = os.path.join(self.dir, "people.csv")
        with open(path, "w") as f:
            f.write("email,name\r\n")
            for a in addrs:
                f.write("%s,Person %s\r\n" % (a, a.split("@")[0]))
        self.tool_ok("subscriber", "import", path, "--confirmed")

    def test_kill9_mid_batch_then_restart(self):
        """The daemon is killed (-9) in the middle of 50 messages and
        started again: each ends up handled exactly once, none is lost."""
        self.configure()
        people = ["k%02d@example.org" % i for i in range(50)]
        self.import_people(people)
        raws, unsub = [], set()
        for i in range(50):
            if i % 5 == 0:
                raws.append(message("Frage %d" % i, "k%02d@test" % i,
                                    sender="fremd%d@example.net" % i,
                                    size=60000))
            else:
                raws.append(message("unsubscribe", "k%02d@test" % i,
                                    sender=people[i], size=60000))
                unsub.add(people[i])
        self.dv.append_many("INBOX", raws)
        ids = {msgid_of(r) for r in raws}
        d = self.start_daemon()
        # kill as soon as a few are recorded
        self.assertTrue(wait_for(lambda: len(self.sql(
            "SELECT 1 FROM inbox_seen")) >= 5, 30, interval=0.01),
            self.daemon_log(d))
        d.kill()
        d.wait()
        at_kill = len(self.seen())
        self.assertLess(at_kill, 50, "the kill came after the batch")
        d2 = self.start_daemon()
        self.assertTrue(wait_for(lambda: len(self.seen()) == 50 and
                                 self.dv.count("INBOX") == 0, 60),
                        self.daemon_log(d2))
        self.stop_daemon(d2)
        moved = self.folder_ids(PROCESSED) + self.folder_ids(UNHANDLED)
        self.assertEqual(sorted(moved), sorted(ids),
                         "each message once in the folders")
        self.assertEqual(sorted(self.folder_ids(UNHANDLED)),
                         ["k%02d@test" % i for i in range(0, 50, 5)])
        self.assertEqual(set(self.seen()), ids)
        # what was done: every unsubscribe took effect, with one
        # confirmation each
        self.assertEqual({r[0] for r in self.sql(
            "SELECT email FROM subscribers WHERE status = 'unsubscribed'")},
            unsub)
        per_person = self.sql(
            "SELECT s.email, count(*) FROM outbox o JOIN mailings m ON "
            "m.id = o.mailing_id JOIN subscribers s ON s.id = "
            "o.subscriber_id WHERE m.kind = 'unsubscribed' GROUP BY s.email")
        self.assertEqual(dict(per_person), {a: 1 for a in unsub})
        # acted on at most once: one "UID n <id>: kind" line per message
        # over both runs (a message moved after the restart says
        # "handled before")
        text = self.daemon_log(d) + self.daemon_log(d2)
        for i in ids:
            acted = re.findall(r"UID \d+ <%s>: (?!handled before)" %
                               re.escape(i), text)
            self.assertLessEqual(len(acted), 1, i)
        print("kill -9 after %d of 50 recorded" % at_kill)

    def test_uidvalidity_change(self):
        """The mailbox is deleted and created again with the same messages
        (a new UIDVALIDITY): nothing is handled twice, only moved."""
        folder = "Eingang"
        self.configure(mailbox=folder)
        raws = [message("unsubscribe", "v1@test", sender=SUBSCRIBER),
                message("Frage", "v2@test", sender="x@example.org")]
        self.dv.append_many(folder, raws)
        self.tool_ok("inbox", "check")
        self.assertEqual(self.dv.messages(folder), [])
        # the same messages are back (as after a crash before the move),
        # then the server gives the mailbox a new UIDVALIDITY
        self.dv.append_many(folder, raws + [message("neu", "v3@test")])
        old, new = self.dv.recreate(folder)
        self.assertNotEqual(old, new)
        out = self.tool_ok("inbox", "check")
        lines = out.strip().split("\n")
        self.assertEqual(len(lines), 3, out)
        self.assertIn("v1@test>: handled before", lines[0])
        self.assertIn("v2@test>: handled before", lines[1])
        self.assertNotIn("handled before", lines[2])
        self.assertEqual(self.dv.messages(folder), [])
        self.assertEqual(self.folder_ids(PROCESSED), ["v1@test", "v1@test"])
        self.assertEqual(sorted(self.folder_ids(UNHANDLED)),
                         ["v2@test", "v2@test", "v3@test"])
        self.assertEqual(len(self.seen()), 3)
        [(uidvalidity,)] = self.sql("SELECT uidvalidity FROM inbox_state "
                                    "WHERE mailbox = ?", folder)
        self.assertEqual(uidvalidity, new)

    @staticmethod
    def hwm_kb(pid):
        with open("/proc/%d/status" % pid) as f:
            return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))

    def test_20mb_message_not_read(self):
        """A message over 20 MB goes to the unhandled folder unread; the
        daemon's peak memory grows far less than its size."""
        self.configure()
        d = self.start_daemon()
        self.dv.append("INBOX", message("klein", "small@test", size=100000))
        self.assertTrue(wait_for(lambda: len(self.seen()) == 1, 30),
                        self.daemon_log(d))
        before = self.hwm_kb(d.pid)
        big = message("Riesig", "big@test", size=21 * 1024 * 1024)
        self.dv.append("INBOX", big)
        self.dv.append("INBOX", message("danach", "after@test"))
        self.assertTrue(wait_for(lambda: len(self.seen()) == 3, 60),
                        self.daemon_log(d))
        after = self.hwm_kb(d.pid)
        self.assertTrue(wait_for(lambda: self.dv.count("INBOX") == 0, 30))
        self.stop_daemon(d)
        print("20 MB message: daemon VmHWM %d kB before, %d kB after" % (
            before, after))
        self.assertLess(after - before, 4 * 1024,
                        "the message was read into memory")
        self.assertEqual(self.seen()["big@test"],
                         ("unknown", UNHANDLED, "unhandled"))
        self.assertIn("big@test", self.folder_ids(UNHANDLED))
        self.assertIn("after@test", self.folder_ids(UNHANDLED))
        self.assertRegex(self.daemon_log(d),
                         r"<big@test>: unknown: .*over the 20 MB limit: "
                         r"not read")
        # Dovecot's log: the reader's session (closed without LOGOUT when
        # the daemon stops; the helpers here log out) never sent the body
        daemon_sessions = [line for line in self.dv.log_text().split("\n")
                           if "imap(%s)" % USER in line and
                           "body_bytes=" in line and "Logged out" not in line]
        self.assertTrue(daemon_sessions)
        for line in daemon_sessions:
            sent = int(re.search(r"body_bytes=(\d+)", line).group(1))
            self.assertLess(sent, 1000000, line)

    def test_server_restart_mid_session(self):
        """Dovecot restarts while the daemon idles: it reconnects and goes
        on."""
        self.configure()
        d = self.start_daemon()
        self.dv.append("INBOX", message("eins", "r1@test"))
        self.assertTrue(wait_for(lambda: "r1@test" in self.seen(), 30),
                        self.daemon_log(d))
        self.dv.restart()
        self.dv.append("INBOX", message("zwei", "r2@test"))
        self.assertTrue(wait_for(lambda: "r2@test" in self.seen(), 60),
                        self.daemon_log(d))
        self.stop_daemon(d)
        self.assertRegex(self.daemon_log(d), r"trying again in \d+s")
        self.assertEqual(sorted(self.folder_ids(UNHANDLED)),
                         ["r1@test", "r2@test"])

    def test_wrong_password_backs_off(self):
        """A wrong password: a clear error naming the user; the daemon
        backs off (a few attempts in 11 s, not a tight loop)."""
        self.configure(password="falsch")
        r = self.tool("inbox", "check")
        self.assertEqual(r.returncode, EX_TEMPFAIL, r.stderr)
        self.assertIn('login as "%s"' % USER, r.stderr)
        self.assertIn("refused", r.stderr)
        start = self.dv.log_size()
        d = self.start_daemon()
        time.sleep(11)
        self.stop_daemon(d)
        # imap-login logs each failed login when the client gives up or
        # the penalty ends: count the passdb's failures instead
        dlog = self.dv.log_text()[start:]
        attempts = len(re.findall(r"passwd-file\(%s,[^)]*\): "
                                  r"Password mismatch" % USER, dlog))
        log = self.daemon_log(d)
        print("wrong password: %d login attempts in 11 s" % attempts)
        self.assertGreaterEqual(attempts, 1, dlog)
        self.assertLessEqual(attempts, 3, dlog)
        self.assertIn('login as "%s"' % USER, log)
        self.assertIn("trying again in 5s", log)
        self.assertLessEqual(log.count("refused"), attempts, log)

    def check_refused(self, url, ca_file, expect):
        self.configure(url=url, ca_file=ca_file)
        self.dv.append("INBOX", message("geheim", "tls@test"))
        waiting = self.dv.count("INBOX")
        start = self.dv.log_size()
        r = self.tool("inbox", "check")
        self.assertEqual(r.returncode, EX_TEMPFAIL, r.stderr)
        self.assertIn("certificate", r.stderr)
        self.assertIn(expect, r.stderr)
        time.sleep(0.5)
        log = self.dv.log_text()[start:]
        # a connection came, and no login was ever tried
        self.assertRegex(log, r"imap-login: .*Disconnected.*no auth "
                         r"attempts.*user=<>", log)
        self.assertNotRegex(log, r"imap-login: .*user=<%s>" % USER, log)
        self.assertNotIn("Password mismatch", log)
        self.assertEqual(len(self.seen()), 0)
        self.assertEqual(self.dv.count("INBOX"), waiting)

    def test_certificate_for_another_name_refused(self):
        """The server certificate names localhost; 127.0.0.1 must fail
        (imaps and STARTTLS)."""
        self.check_refused("imaps://127.0.0.1:%d" % self.dv.imaps_port,
                           None, "does not match")
        self.check_refused("imap://127.0.0.1:%d" % self.dv.imap_port,
                           None, "does not match")

    def test_unknown_ca_refused(self):
        """A CA file that did not sign the server's certificate."""
        self.check_refused("imaps://localhost:%d" % self.dv.imaps_port,
                           self.dv.other_ca, "issuer is unknown")
        self.check_refused("imap://localhost:%d" % self.dv.imap_port,
                           self.dv.other_ca, "issuer is unknown")

    def fake_server(self, mode):
        log = os.path.join(self.dir, "fake-%s.log" % mode)
        p = subprocess.Popen([PYTHON, FAKE, "--cert",
                              os.path.join(self.certdir, "server.pem"),
                              "--key", os.path.join(self.certdir,
                                                    "server.key"),
                              "--idle", mode, "--log", log],
                             stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        port = int(p.stdout.readline())
        return port, log

    def test_server_never_answers_idle(self):
        """IDLE answered with an untagged EXISTS and then nothing, or with
        nothing at all: the daemon gives up, reconnects, and still stops
        at once on SIGTERM."""
        for mode in ("exists", "silent"):
            port, log = self.fake_server(mode)
            self.configure(url="imaps://localhost:%d" % port)

            def events():
                try:
                    with open(log) as f:
                        return f.read()
                except OSError:
                    return ""
            d = self.start_daemon(mode)
            self.assertTrue(wait_for(lambda: "idle 1" in events(), 20),
                            events() + self.daemon_log(d))
            # the first IDLE hangs; the daemon must come back on its own
            self.assertTrue(wait_for(lambda: "idle 2" in events(), 45),
                            events() + self.daemon_log(d))
            time.sleep(1)
            took = self.stop_daemon(d)
            print("IDLE %s: stopped %.2f s after SIGTERM" % (mode, took))
            self.assertLess(took, 3)
            self.assertEqual(d.returncode, 0)
            self.assertIn("IDLE at localhost", self.daemon_log(d))


if __name__ == "__main__":
    unittest.main(verbosity=2)
