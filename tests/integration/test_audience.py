#!/usr/bin/python3
"""Who gets what, through the tool: publishing queues exactly the expected
addresses (district, county-wide, topics, the subscribers' choices), a
deadline never sends a calendar REQUEST, `--dry-run` queues nothing and
says what the real publish says, announcements carry no calendar, and
`--invite` / `--no-invite` / `event add --invite` decide for one event.
The queued mail is delivered into a Maildir and read with Python's email
package."""
import datetime
import email
import email.policy
import os
import re
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Tool  # noqa: E402

# email, districts, topics, newsletter, invitations
PEOPLE = [
    ("anna@example.org", "Nord", "Sprachcafé", "yes", "all"),
    ("ben@example.org", "Süd", "", "yes", "all"),
    ("cem@example.org", "Nord", "", "yes", "all"),
    ("dora@example.org", "Nord", "sprachcafé,Patenschaft", "yes", "none"),
    ("emil@example.org", "Nord,Süd", "Sprachcafé", "no", "all"),
    ("fatma@example.org", "", "Sprachcafé", "yes", "all"),
    ("gus@example.org", "Süd", "Sprachcafé", "yes", "all"),
]


class Audience(Tool):
    def setUp(self):
        super().setUp()
        for d in ("Nord", "Süd"):
            self.ok("district", "add", d)
        for email_, districts, topics, nl, inv in PEOPLE:
            args = ["subscriber", "add", email_, "--confirmed"]
            for d in filter(None, districts.split(",")):
                args += ["--district", d]
            for t in filter(None, topics.split(",")):
                args += ["--topic", t]
            self.ok(*args)
            self.prefs(email_, nl, inv)
        # two people who must never get anything (a pending one: without
        # its confirmation mail, where the tool would send one)
        self.ok("subscriber", "add", "pending@example.org", "--district",
                "Nord", *(["--no-mail"] if self.has_no_mail() else []))
        self.ok("subscriber", "add", "gone@example.org", "--confirmed",
                "--district", "Nord")
        self.ok("subscriber", "unsubscribe", "gone@example.org")

    def has_no_mail(self):
        return "--no-mail" in self.run_tool("subscriber", "add",
                                            "--help").stdout

    def prefs(self, email_, newsletter, invitations):
        """subscriber set --newsletter/--invitations where the tool has
        them; the columns themselves otherwise (schema 8)."""
        r = self.run_tool("subscriber", "set", email_, "--newsletter",
                          newsletter, "--invitations", invitations)
        if r.returncode == 0:
            return
        db = sqlite3.connect(os.path.join(self.dir, "db", "rundbrief.db"))
        with db:
            db.execute("UPDATE subscribers SET newsletter = ?, invitations"
                       " = ? WHERE email = ?", (newsletter == "yes",
                                                invitations, email_))
        db.close()

    def sql(self, q, *args):
        db = sqlite3.connect(os.path.join(self.dir, "db", "rundbrief.db"))
        try:
            return db.execute(q, args).fetchall()
        finally:
            db.close()

    def add_event(self, *args):
        out = self.ok("event", "add", "--title", "Termin", "--start",
                      "2027-05-10 18:00", *args)
        return int(re.search(r"added event (\d+)", out).group(1))

    def queued(self, kind, event):
        return sorted(r[0] for r in self.sql(
            "SELECT s.email FROM outbox o JOIN mailings m ON m.id ="
            " o.mailing_id JOIN subscribers s ON s.id = o.subscriber_id"
            " WHERE m.kind = ? AND m.event_id = ?", kind, event))

    def delivered(self):
        self.ok("queue", "run")
        box = os.path.join(self.dir, "outbox", "new")
        out = []
        for name in sorted(os.listdir(box)) if os.path.isdir(box) else []:
            with open(os.path.join(box, name), "rb") as f:
                out.append(email.message_from_binary_file(
                    f, policy=email.policy.default))
            os.unlink(os.path.join(box, name))
        return out

    @staticmethod
    def counts(text):
        """The summary's figures: total, by language, by district."""
        total = re.search(r"(?:goes|would go) to (\d+) subscriber", text)
        lang = re.search(r"by language:(.*)", text)
        dist = re.search(r"by district:(.*)", text)
        return (int(total.group(1)) if total else None,
                lang.group(1).strip() if lang else None,
                dist.group(1).strip() if dist else None)


class TestPublish(Audience):
    def test_topic_training_reaches_exactly_the_matching_people(self):
        ev = self.add_event("--kind", "training", "--district", "Nord",
                            "--topic", "Sprachcafé")
        dry = self.ok("event", "publish", str(ev), "--dry-run")
        # nothing queued, still a draft
        self.assertEqual(self.sql("SELECT count(*) FROM outbox"), [(0,)])
        self.assertEqual(self.sql("SELECT status FROM events WHERE id = ?",
                                  ev), [("draft",)])
        real = self.ok("event", "publish", str(ev))
        # Nord + Sprachcafé (any case), wanting invitations: anna, emil
        # (no newsletter, but invitations yes); not dora (none), fatma (no
        # district), gus (Süd), cem (no topic), pending, unsubscribed
        want = ["anna@example.org", "emil@example.org"]
        self.assertEqual(self.queued("invitation", ev), want)
        self.assertEqual(self.counts(dry), self.counts(real))
        self.assertEqual(self.counts(real)[0], len(want))
        self.assertIn("anna@example.org", real)
        mails = self.delivered()
        self.assertEqual(sorted(m["To"].addresses[0].addr_spec
                                for m in mails), want)
        for m in mails:
            cal = [p for p in m.walk()
                   if p.get_content_type() == "text/calendar"]
            self.assertEqual(len(cal), 1)
            self.assertIn("METHOD:REQUEST", cal[0].get_content())

    def test_county_wide_without_topics_reaches_everyone_who_wants_it(self):
        ev = self.add_event("--kind", "welcome_conference")
        self.ok("event", "publish", str(ev))
        self.assertEqual(self.queued("invitation", ev), [
            "anna@example.org", "ben@example.org", "cem@example.org",
            "emil@example.org", "fatma@example.org", "gus@example.org"])

    def test_deadline_never_sends_a_request(self):
        ev = self.add_event("--kind", "deadline", "--all-day", "--start",
                            "2027-05-31", "--end", "2027-05-31")
        out = self.ok("event", "publish", str(ev))
        self.assertIn("no invitation", out)
        self.assertEqual(self.sql("SELECT count(*) FROM mailings"), [(0,)])
        self.assertEqual(self.delivered(), [])
        # not even when asked
        self.fails(64, "event", "publish", str(ev), "--invite")
        self.assertIn("deadline", self.fails(
            65, "event", "update", str(ev), "--invite", "yes"))

    def test_kinds_and_overrides(self):
        fair = self.add_event("--kind", "volunteer_fair")
        out = self.ok("event", "publish", str(fair))
        self.assertIn("no invitation", out)
        self.assertEqual(self.queued("invitation", fair), [])
        # --invite on publish decides for this event
        fair2 = self.add_event("--kind", "volunteer_fair", "--district",
                               "Süd")
        self.ok("event", "publish", str(fair2), "--invite")
        self.assertEqual(self.queued("invitation", fair2),
                         ["ben@example.org", "emil@example.org",
                          "gus@example.org"])
        # --no-invite on a training
        tr = self.add_event("--kind", "training")
        self.ok("event", "publish", str(tr), "--no-invite")
        self.assertEqual(self.sql("SELECT count(*) FROM mailings WHERE"
                                  " event_id = ?", tr), [(0,)])
        # a stored choice: event add --invite no
        tr2 = self.add_event("--kind", "training", "--invite", "no")
        show = self.json("event", "show", str(tr2))
        self.assertEqual((show["invite"], show["sends_invitations"]),
                         ("no", False))
        self.ok("event", "publish", str(tr2))
        self.assertEqual(self.queued("invitation", tr2), [])
        # and back to the kind's default
        self.ok("event", "update", str(tr2), "--invite", "default")
        show = self.json("event", "show", str(tr2))
        self.assertEqual((show["invite"], show["sends_invitations"]),
                         ("default", True))

    def test_announcement_without_calendar(self):
        with open(self.conf, "a") as f:
            f.write("[invitations]\nannounce = yes\n")
        fair = self.add_event("--kind", "volunteer_fair", "--topic",
                              "Patenschaft")
        out = self.ok("event", "publish", str(fair))
        self.assertIn("announcement", out)
        # topic Patenschaft: only dora has it, and she wants no
        # invitations (announcements count as such)
        self.assertEqual(self.queued("announcement", fair), [])
        fair2 = self.add_event("--kind", "volunteer_fair", "--district",
                               "Süd")
        self.ok("event", "publish", str(fair2))
        want = ["ben@example.org", "emil@example.org", "gus@example.org"]
        self.assertEqual(self.queued("announcement", fair2), want)
        mails = self.delivered()
        self.assertEqual(sorted(m["To"].addresses[0].addr_spec
                                for m in mails), want)
        for m in mails:
            self.assertFalse([p for p in m.walk()
                              if p.get_content_type() == "text/calendar"])
            self.assertTrue(str(m["Subject"]).startswith("Hinweis: "))

    def test_update_reaches_those_invited_even_if_they_changed_their_mind(
            self):
        ev = self.add_event("--kind", "training", "--district", "Nord")
        self.ok("event", "publish", str(ev))
        invited = self.queued("invitation", ev)
        self.prefs("anna@example.org", "yes", "none")
        self.ok("event", "update", str(ev), "--start", "2027-05-11 18:00")
        self.assertEqual(self.queued("update", ev), invited)

    def test_topic_typo_is_warned_about(self):
        r = self.run_tool("event", "add", "--kind", "training", "--title",
                          "T", "--start", "2027-05-10 18:00", "--topic",
                          "Sprachcafe", "--topic", "SPRACHCAFÉ")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"Sprachcafe"', r.stderr)   # nobody follows it
        self.assertNotIn("SPRACHCAFÉ", r.stderr)  # anna's, in any case

    def test_newsletter_lists_topic_events_for_those_who_share_one(self):
        # within this month's newsletter's horizon (--start: the last
        # one given counts)
        soon = (datetime.date.today() + datetime.timedelta(days=10))
        tr = self.add_event("--kind", "training", "--title", "Sprachcafé-"
                            "Treff", "--topic", "Sprachcafé", "--start",
                            soon.isoformat() + " 18:00")
        self.ok("event", "publish", str(tr), "--no-mail")
        self.ok("newsletter", "send")
        got = {}
        for m in self.delivered():
            text = m.get_body(("plain",)).get_content()
            got[m["To"].addresses[0].addr_spec] = "Sprachcafé-Treff" in text
        self.assertEqual(got, {
            "anna@example.org": True, "ben@example.org": False,
            "cem@example.org": False, "dora@example.org": True,
            "fatma@example.org": True, "gus@example.org": True})

    def test_newsletter_goes_to_those_who_want_it(self):
        self.ok("newsletter", "send")
        rows = sorted(r[0] for r in self.sql(
            "SELECT s.email FROM outbox o JOIN subscribers s ON"
            " s.id = o.subscriber_id"))
        self.assertNotIn("emil@example.org", rows)
        self.assertIn("dora@example.org", rows)
        self.assertEqual(len(rows), 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
