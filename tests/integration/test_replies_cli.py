#!/usr/bin/python3
"""What the coordinator's tool shows and sends around the replies read from
the mailbox: `subscriber add` sends the confirmation request (delivered into
the file transport and read back with Python's email package: the token is
in it), `event show` counts the answers, `event attendees` lists them
(table, TSV, JSON), `subscriber show` and `export` carry the bounce
history, and every newsletter's footer names the words the reader
understands. The answers and bounces are put into the database as the
reply reader stores them (its own tests feed it real mail). Run by `make
check` (RUNDBRIEF_BUILD names the build dir)."""
import email
import email.policy
import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")


class Replies(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-replies-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        self.maildir = os.path.join(self.dir, "outbox")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s\ncontent = %s/content\n"
                    "language = de\norganizer_email = ehrenamt@example.org\n"
                    "[smtp]\nmaildir = %s\n"
                    % (self.db, self.dir, self.maildir))
        os.chmod(self.conf, 0o600)
        self.ok("init")

    def run_tool(self, *args):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        return subprocess.run([TOOL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, env=env,
                              timeout=120)

    def ok(self, *args):
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, 0, "%s: %s%s" % (args, r.stdout,
                                                       r.stderr))
        return r.stdout

    def json(self, *args):
        return json.loads(self.ok(*(list(args) + ["--format", "json"])))

    def sql(self, query, *params):
        db = sqlite3.connect(self.db)
        try:
            with db:
                return db.execute(query, params).fetchall()
        finally:
            db.close()

    def delivered(self):
        """Every message in the file transport, parsed, oldest first."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "new", "*")),
                           key=os.path.getmtime):
            with open(path, "rb") as f:
                out.append(email.message_from_binary_file(
                    f, policy=email.policy.default))
        return out

    @staticmethod
    def texts(msg):
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",))
        return plain, html.get_content() if html is not None else ""

    # ---- the confirmation request ----

    def test_subscriber_add_sends_the_confirmation_request(self):
        out = self.ok("subscriber", "add", "nora@example.org", "--name",
                      "Nora Neu")
        self.assertRegex(out, r"pending; confirmation mail queued")
        self.ok("subscriber", "add", "still@example.org", "--no-mail")
        self.ok("subscriber", "add", "ja@example.org", "--confirmed")
        queue = self.json("queue")
        self.assertEqual([(m["kind"], m["queued"]) for m in queue],
                         [("confirm", 1)])
        self.ok("queue", "run")
        msgs = self.delivered()
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        token = self.json("subscriber", "show",
                          "nora@example.org")["unsubscribe_token"]
        self.assertEqual(m["To"].addresses[0].addr_spec, "nora@example.org")
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        # a plain reply carries the token: it is in the subject
        self.assertIn(token, m["Subject"])
        self.assertTrue(m["Subject"].startswith(
            "Bitte bestätigen Sie Ihr Abonnement"))
        plain, html = self.texts(m)
        self.assertIn("Hallo Nora Neu,", plain)
        self.assertIn("Antworten Sie dazu einfach auf diese E-Mail", plain)
        self.assertIn("bestaetigen %s" % token, plain)
        self.assertIn("mailto:ehrenamt@example.org?subject=bestaetigen%%20%s"
                      % token, html)
        # it offers no unsubscribing (there is nothing to leave yet)
        self.assertNotIn("abmelden", plain)
        # the subscriber stays pending until they reply
        self.assertEqual(self.json("subscriber", "show",
                                   "nora@example.org")["status"], "pending")
        # the export names the mail
        mail = self.json("subscriber", "show", "nora@example.org")["mail"]
        self.assertEqual([(x["kind"], x["state"]) for x in mail],
                         [("confirm", "sent")])

    def test_confirmation_request_with_a_link(self):
        with open(self.conf) as f:
            text = f.read().replace(
                "[smtp]", "base_url = https://rundbrief.example.org\n[smtp]")
        with open(self.conf, "w") as f:
            f.write(text)
        self.ok("subscriber", "add", "lina@example.org")
        self.ok("queue", "run")
        m = self.delivered()[0]
        token = self.json("subscriber", "show",
                          "lina@example.org")["unsubscribe_token"]
        plain, _ = self.texts(m)
        # the link, and the reply still works
        self.assertIn("https://rundbrief.example.org/c/%s" % token,
                      plain)
        self.assertIn("Antworten Sie dazu einfach auf diese E-Mail", plain)
        self.assertIn(token, m["Subject"])

    def test_confirmation_not_sent_once_the_status_changed(self):
        self.ok("subscriber", "add", "schnell@example.org")
        # confirmed by other means before the request went out
        self.ok("subscriber", "set", "schnell@example.org", "--status",
                "active", "--confirmed")
        out = self.ok("queue", "run")
        self.assertIn("skipped 1", out)
        self.assertEqual(self.delivered(), [])

    # ---- answers and bounces ----

    def add_event(self, capacity=None):
        args = ["event", "add", "--kind", "training", "--title",
                "Schulung Asylrecht", "--start", "2027-05-10 18:00"]
        if capacity:
            args += ["--capacity", str(capacity)]
        out = self.ok(*args)
        return int(re.search(r"added event (\d+)", out).group(1))

    def test_event_show_and_attendees(self):
        for a in ("anna@example.org", "bert@example.org",
                  "carla@example.org"):
            self.ok("subscriber", "add", a, "--confirmed")
        eid = self.add_event(capacity=20)
        ids = dict(self.sql("SELECT email, id FROM subscribers"))
        rows = [("anna@example.org", ids["anna@example.org"], "Anna A.",
                 "accepted", "", None),
                ("bert@example.org", ids["bert@example.org"], None,
                 "declined", "", "Bin verreist"),
                ("carla@example.org", ids["carla@example.org"], None,
                 "tentative", "", None),
                ("gast@example.net", None, "Gast G.", "accepted", "", None),
                ("gast2@example.net", None, None, "declined",
                 "20270517T180000", None)]
        for addr, sid, name, ps, occ, comment in rows:
            self.sql("INSERT INTO rsvps(event_id, occurrence, email,"
                     " subscriber_id, name, partstat, sequence, dtstamp,"
                     " comment, received_at) VALUES (?, ?, ?, ?, ?, ?, 0,"
                     " 1800000000, ?, 1800000060)", eid, occ, addr, sid,
                     name, ps, comment)
        # show: the counts, subscribers and guests apart
        show = self.json("event", "show", str(eid))
        self.assertEqual({k: show[k] for k in (
            "accepted", "tentative", "declined", "guests_accepted",
            "guests_tentative", "guests_declined")},
            {"accepted": 1, "tentative": 1, "declined": 1,
             "guests_accepted": 1, "guests_tentative": 0,
             "guests_declined": 1})
        table = self.ok("event", "show", str(eid))
        self.assertRegex(table, r"(?m)^accepted +1$")
        self.assertRegex(table, r"(?m)^guests_declined +1$")
        # attendees, as JSON
        got = self.json("event", "attendees", str(eid))
        self.assertEqual([(a["email"], a["status"], a["guest"],
                           a["occurrence"], a["name"]) for a in got], [
            ("anna@example.org", "accepted", False, None, "Anna A."),
            ("bert@example.org", "declined", False, None, None),
            ("carla@example.org", "tentative", False, None, None),
            ("gast@example.net", "accepted", True, None, "Gast G."),
            ("gast2@example.net", "declined", True, "20270517T180000",
             None)])
        self.assertEqual(got[1]["comment"], "Bin verreist")
        self.assertEqual(got[0]["received_at"], "2027-01-15T08:01:00Z")
        # as TSV: a header and one line each
        tsv = self.ok("event", "attendees", str(eid), "--format",
                      "tsv").splitlines()
        self.assertEqual(tsv[0].split("\t"), ["name", "email", "status",
                                              "occurrence", "guest",
                                              "received_at"])
        self.assertEqual(len(tsv), 6)
        guest = [ln.split("\t") for ln in tsv if "gast@" in ln][0]
        self.assertEqual(guest[:5], ["Gast G.", "gast@example.net",
                                     "accepted", "(all)", "yes"])
        # as a table for people
        r = self.run_tool("event", "attendees", str(eid))
        self.assertRegex(r.stdout, r"(?m)^Anna A\. +anna@example.org +"
                         r"accepted +\(all\) +no +2027-01-15 09:01$")
        self.assertIn("5 answers", r.stderr)
        # no such event
        r = self.run_tool("event", "attendees", "99")
        self.assertEqual(r.returncode, 65, r.stderr)

    def test_subscriber_show_bounce_history(self):
        self.ok("subscriber", "add", "voll@example.org", "--confirmed")
        sid = self.sql("SELECT id FROM subscribers")[0][0]
        self.assertIn("bounce history: none",
                      self.ok("subscriber", "show", "voll@example.org"))
        self.sql("INSERT INTO bounces(subscriber_id, status, permanent,"
                 " diagnostic, message_id, received_at) VALUES"
                 " (?, '4.2.2', 0, 'smtp; 452 4.2.2 over quota',"
                 " 'a@mx.example.org', 1800000000),"
                 " (?, '5.2.2', 1, ?, NULL, 1800003600)", sid, sid,
                 "smtp; 552 mailbox full\x1b[31m")
        self.sql("UPDATE subscribers SET bounces = 1")
        show = self.json("subscriber", "show", "voll@example.org")
        self.assertEqual(show["hard_bounces"], 1)
        self.assertEqual(show["bounce_history"], [
            {"received_at": "2027-01-15T08:00:00Z", "source": "dsn",
             "status": "4.2.2", "permanent": False,
             "diagnostic": "smtp; 452 4.2.2 over quota",
             "message_id": "a@mx.example.org"},
            {"received_at": "2027-01-15T09:00:00Z", "source": "dsn",
             "status": "5.2.2", "permanent": True,
             "diagnostic": "smtp; 552 mailbox full?[31m",
             "message_id": None}])
        self.assertEqual(json.loads(self.ok("subscriber", "export",
                                            "voll@example.org")), show)
        table = self.ok("subscriber", "show", "voll@example.org")
        self.assertNotIn("\x1b", table)
        lines = table.split("bounce history:")[1].strip().splitlines()
        self.assertEqual(lines[0].split(), ["RECEIVED_AT", "SOURCE",
                                            "STATUS", "PERMANENT",
                                            "DIAGNOSTIC", "MESSAGE_ID"])
        self.assertRegex(lines[1], r"^2027-01-15 09:00 +dsn +4\.2\.2 +no ")
        self.assertRegex(lines[2], r"^2027-01-15 10:00 +dsn +5\.2\.2 +yes ")

    # ---- the footer ----

    def test_every_newsletter_names_the_unsubscribe_words(self):
        self.ok("sample", "--no-mail")
        self.ok("newsletter", "send")
        self.ok("queue", "run")
        msgs = self.delivered()
        self.assertGreater(len(msgs), 3)
        for m in msgs:
            plain, html = self.texts(m)
            for part in (plain, html):
                for word in ("abmelden", "austragen", "Abmeldung",
                             "unsubscribe"):
                    self.assertIn(word, part, m["To"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
