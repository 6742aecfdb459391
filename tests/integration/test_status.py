#!/usr/bin/python3
"""`rundbrief newsletter hold/release` and `rundbrief status` on a
temporary database: the holds table, the messages and exit codes; the next
jobs with their keys and local times (computed here with zoneinfo), the
running mailings with their progress, the last newsletter and the
subscribers per status, as a table and as JSON. Run by `make check`
(RUNDBRIEF_BUILD names the build dir)."""
import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import zoneinfo

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")
DAEMON = os.path.join(BUILD, "rundbriefd")

EX_USAGE, EX_DATAERR, EX_NOINPUT = 64, 65, 66
TZ = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = datetime.timezone.utc


def month_after(year, month, n=1):
    m = year * 12 + month - 1 + n
    return m // 12, m % 12 + 1


def first_monday_9(year, month):
    """[newsletter] schedule = FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0"""
    d = datetime.datetime(year, month, 1, 9, 0, tzinfo=TZ)
    return d + datetime.timedelta(days=(7 - d.weekday()) % 7)


def utc_text(d):
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Tool(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-status-")
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s\ncontent = %s/content\n"
                    "timezone = Europe/Berlin\nlanguage = de\n"
                    "[smtp]\nmaildir = %s/outbox\n"
                    "[newsletter]\n"
                    "schedule = FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0\n"
                    "[reminders]\noffsets = 7d, 1d\n"
                    % (self.db, self.dir, self.dir))
        os.chmod(self.conf, 0o600)
        self.addCleanup(shutil.rmtree, self.dir)
        self.ok("init")

    def run_tool(self, *args, conf=None):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        return subprocess.run([TOOL, "-c", conf or self.conf] + list(args),
                              capture_output=True, text=True, env=env,
                              timeout=120)

    def ok(self, *args):
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, 0,
                         "%s failed: %s%s" % (args, r.stdout, r.stderr))
        return r.stdout

    def fails(self, code, *args):
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, code,
                         "%s: want exit %d, got %d: %s%s" % (
                             args, code, r.returncode, r.stdout, r.stderr))
        return r.stderr

    def status(self):
        out = self.ok("status", "--format", "json")
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("status is not JSON (%s):\n%s" % (e, out))

    def holds(self):
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT month, created_at FROM holds"
                               " ORDER BY month").fetchall()
        finally:
            con.close()

    def sql(self, query, *params):
        con = sqlite3.connect(self.db)
        try:
            with con:
                return con.execute(query, params).lastrowid
        finally:
            con.close()


class TestHold(Tool):
    def test_round_trip(self):
        before = int(time.time())
        out = self.ok("newsletter", "hold", "2030-05")
        self.assertEqual(out, "newsletter 2030-05 is held; `rundbrief "
                         "newsletter release 2030-05` frees it\n")
        rows = self.holds()
        self.assertEqual([m for m, _ in rows], ["2030-05"])
        self.assertTrue(before <= rows[0][1] <= time.time() + 1, rows)
        # again: says so, changes nothing, succeeds
        self.assertIn("2030-05 is held already",
                      self.ok("newsletter", "hold", "2030-05"))
        self.assertEqual(self.holds(), rows)

        out = self.ok("newsletter", "release", "2030-05")
        # the first Monday of May 2030 is the 6th
        self.assertEqual(out, "newsletter 2030-05 is released; the daemon "
                         "sends it at 2030-05-06 09:00\n")
        self.assertEqual(self.holds(), [])
        self.assertIn("2030-05 was not held",
                      self.ok("newsletter", "release", "2030-05"))
        self.assertEqual(self.holds(), [])

    def test_release_of_a_month_long_past(self):
        self.ok("newsletter", "hold", "2020-01")
        out = self.ok("newsletter", "release", "2020-01")
        self.assertIn("past [newsletter] grace", out)
        self.assertIn("newsletter send --month 2020-01", out)

    def test_hold_of_a_month_already_sent(self):
        """The daemon sent June 2030 at its moment (the first Monday,
        09:00): holding it now is an error and changes nothing."""
        self.ok("subscriber", "add", "a@example.org", "--confirmed")
        os.makedirs(os.path.join(self.dir, "content"))
        with open(os.path.join(self.dir, "content", "2030-06.md"), "w") as f:
            f.write("# Juni\n\nHallo.\n")
        for now in ("2030-06-03 08:00", "2030-06-03 09:00"):
            r = subprocess.run([DAEMON, "-c", self.conf, "--once", "--now",
                                now], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
        con = sqlite3.connect(self.db)
        try:
            self.assertEqual(con.execute(
                "SELECT state FROM jobs WHERE key = 'newsletter:2030-06'"
            ).fetchall(), [("done",)])
        finally:
            con.close()
        err = self.fails(EX_DATAERR, "newsletter", "hold", "2030-06")
        self.assertTrue(err.startswith("rundbrief: "), err)
        self.assertIn("2030-06", err)
        self.assertEqual(self.holds(), [])
        # a month not sent yet can still be held
        self.ok("newsletter", "hold", "2030-07")
        self.assertEqual([m for m, _ in self.holds()], ["2030-07"])

    def test_usage_errors(self):
        for bad in ("2030-13", "2030-5", "May", "2030-05-01", ""):
            for cmd in ("hold", "release"):
                err = self.fails(EX_USAGE, "newsletter", cmd, bad)
                self.assertIn('"%s"' % bad, err)
        self.fails(EX_USAGE, "newsletter", "hold")
        self.fails(EX_USAGE, "newsletter", "release", "2030-05", "2030-06")
        self.fails(EX_USAGE, "newsletter", "frobnicate")
        self.assertEqual(self.holds(), [])

    def test_help(self):
        for args in (["newsletter", "--help"], ["newsletter", "hold",
                                                "--help"]):
            out = self.ok(*args)
            self.assertIn("rundbrief newsletter hold YYYY-MM", out)
            self.assertIn("rundbrief newsletter release YYYY-MM", out)
        self.assertIn("usage: rundbrief status", self.ok("status", "--help"))
        usage = self.ok("--help")
        self.assertRegex(usage, r"(?m)^  status ")
        self.assertRegex(usage, r"(?m)^  newsletter .*hold")

    def test_missing_database(self):
        conf = os.path.join(self.dir, "other.ini")
        with open(conf, "w") as f:
            f.write("[general]\ndatabase = %s/none.db\n" % self.dir)
        os.chmod(conf, 0o600)
        for args in (["status"], ["status", "--format", "json"],
                     ["newsletter", "hold", "2030-05"],
                     ["newsletter", "release", "2030-05"]):
            r = self.run_tool(*args, conf=conf)
            self.assertEqual(r.returncode, EX_NOINPUT, args)
            self.assertIn("rundbrief init", r.stderr)
            self.assertEqual(r.stdout, "")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "none.db")))


class TestStatus(Tool):
    def setUp(self):
        super().setUp()
        for addr in ("a@example.org", "b@example.org", "d@example.org",
                     "e@example.org"):
            self.ok("subscriber", "add", addr, "--confirmed")
        self.ok("subscriber", "add", "c@example.org")
        self.ok("subscriber", "set", "d@example.org", "--status",
                "unsubscribed")
        self.ok("subscriber", "set", "e@example.org", "--status", "bounced")
        # a published one-off event 20 days from now, 18:00 local
        today = datetime.datetime.now(TZ).date()
        day = today + datetime.timedelta(days=20)
        self.start = datetime.datetime(day.year, day.month, day.day, 18, 0,
                                       tzinfo=TZ)
        self.ok("event", "add", "--kind", "training", "--title",
                "Sprachcafé", "--start", self.start.strftime("%Y-%m-%d %H:%M"),
                "--end", self.start.strftime("%Y-%m-%d 20:00"))
        # published with its invitations: the reminders go to the invited
        self.ok("event", "publish", "1")
        self.uid = json.loads(self.ok("event", "show", "1", "--format",
                                      "json"))["uid"]
        # next month is held; this month's newsletter is on its way
        self.next = month_after(today.year, today.month)
        self.next_text = "%04d-%02d" % self.next
        self.ok("newsletter", "hold", self.next_text)
        self.mailing = int(re.match(r"mailing (\d+):",
                                    self.ok("newsletter", "send")).group(1))

    def test_json(self):
        s = self.status()
        self.assertEqual(set(s), {"timezone", "now", "held", "jobs",
                                  "more_jobs", "mailings", "last_newsletter",
                                  "subscribers"})
        self.assertEqual(s["timezone"], "Europe/Berlin")
        self.assertRegex(s["now"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(s["held"], [self.next_text])
        self.assertIs(type(s["more_jobs"]), int)
        self.assertEqual(s["subscribers"], {"pending": 1, "active": 2,
                                            "unsubscribed": 1, "bounced": 1})

        jobs = {j["key"]: j for j in s["jobs"]}
        self.assertEqual(len(jobs), len(s["jobs"]), "keys are unique")
        dues = [j["due"] for j in s["jobs"]]
        self.assertEqual(dues, sorted(dues), "in order of due time")
        for j in s["jobs"]:
            local = datetime.datetime.fromisoformat(j["due_local"])
            self.assertEqual(utc_text(local), j["due"], j)
            self.assertEqual(local.utcoffset(),
                             local.astimezone(TZ).utcoffset(), j)
            self.assertIs(type(j["recipients"]), int)
        # reminders: 7 and 1 calendar days before the start, local time
        for days, name in ((7, "7d"), (1, "1d")):
            key = "reminder:%s:single:%s" % (self.uid, name)
            self.assertIn(key, jobs)
            j = jobs[key]
            due = self.start - datetime.timedelta(days=days)
            self.assertEqual(j["kind"], "reminder")
            self.assertEqual(j["due_local"], due.isoformat())
            self.assertEqual(j["due"], utc_text(due))
            self.assertEqual(j["occurrence"], utc_text(self.start))
            self.assertEqual(j["occurrence_local"], self.start.isoformat())
            self.assertEqual((j["event_id"], j["event_uid"], j["event_title"],
                              j["offset"], j["month"]),
                             (1, self.uid, "Sprachcafé", name, None))
            self.assertEqual(j["recipients"], 2)
            self.assertIsNone(j["waiting"])
        # next month's newsletter, held
        j = jobs["newsletter:" + self.next_text]
        due = first_monday_9(*self.next)
        self.assertEqual((j["kind"], j["month"], j["due"], j["due_local"]),
                         ("newsletter", self.next_text, utc_text(due),
                          due.isoformat()))
        self.assertEqual(j["waiting"], "held")
        self.assertIsNone(j["event_id"])

        # the running mailing: queued, nothing sent yet
        m = {x["mailing"]: x for x in s["mailings"]}[self.mailing]
        self.assertEqual((m["kind"], m["state"], m["sent"], m["total"],
                          m["queued"], m["deferred"], m["failed"],
                          m["blocked_reason"]),
                         ("newsletter", "active", 0, 2, 2, 0, 0, None))
        last = s["last_newsletter"]
        self.assertEqual((last["mailing"], last["recipients"], last["sent"],
                          last["queued"], last["finished_at"]),
                         (self.mailing, 2, 0, 2, None))
        self.assertEqual(datetime.datetime.fromisoformat(
            last["created_at_local"]).astimezone(UTC),
            datetime.datetime.strptime(last["created_at"],
                                       "%Y-%m-%dT%H:%M:%SZ").replace(
                                           tzinfo=UTC))

    def test_table(self):
        out = self.ok("status")
        self.assertIn("held: %s" % self.next_text, out)
        lines = out.splitlines()
        due = first_monday_9(*self.next).strftime("%Y-%m-%d %H:%M")
        line = [l for l in lines if l.startswith(due) and "newsletter" in l]
        self.assertEqual(len(line), 1, out)
        self.assertRegex(line[0], r"newsletter +%s +\d+ +held$"
                         % self.next_text)
        for days, name in ((7, "7d"), (1, "1d")):
            due = (self.start - datetime.timedelta(days=days)).strftime(
                "%Y-%m-%d %H:%M")
            self.assertRegex(out, r"(?m)^%s +reminder +Sprachcafé \(%s\), "
                             r"%s before +2 *$" % (
                                 due, self.start.strftime("%Y-%m-%d %H:%M"),
                                 name))
        self.assertRegex(out, r"(?m)^%d +newsletter .* active .* 0/2 +0 +0 *$"
                         % self.mailing)
        self.assertIn("subscribers: 2 active, 1 pending, 1 unsubscribed, "
                      "1 bounced", out)
        self.fails(EX_USAGE, "status", "--format", "tsv")
        self.fails(EX_USAGE, "status", "--format", "xml")
        self.fails(EX_USAGE, "status", "extra")

    def test_review_copies_are_not_the_newsletter(self):
        """A copy to a plain address counts in a mailing's progress but not
        among the newsletter's subscribers, and a mailing with a note (the
        coordinator's review copy) is no newsletter of its own."""
        now = int(time.time())
        review = self.sql("INSERT INTO mailings (kind, title, state,"
                          " created_at, note) VALUES ('newsletter',"
                          " 'Review', 'active', ?, 'review copy')", now + 5)
        self.sql("INSERT INTO outbox (mailing_id, rcpt, next_attempt,"
                 " created_at, updated_at) VALUES (?, 'redaktion@example.org',"
                 " ?, ?, ?)", review, now, now, now)
        self.sql("INSERT INTO outbox (mailing_id, rcpt, next_attempt,"
                 " created_at, updated_at) VALUES (?, 'redaktion@example.org',"
                 " ?, ?, ?)", self.mailing, now, now, now)
        s = self.status()
        ms = {x["mailing"]: x for x in s["mailings"]}
        self.assertEqual((ms[review]["sent"], ms[review]["total"]), (0, 1))
        self.assertEqual(ms[self.mailing]["total"], 3)
        self.assertEqual(s["last_newsletter"]["mailing"], self.mailing)
        self.assertEqual(s["last_newsletter"]["recipients"], 2)

    def test_nothing_running_no_newsletter_yet(self):
        self.ok("queue", "cancel", str(self.mailing))
        self.sql("DELETE FROM outbox")
        self.sql("DELETE FROM mailings")
        s = self.status()
        self.assertEqual(s["mailings"], [])
        self.assertIsNone(s["last_newsletter"])
        out = self.ok("status")
        self.assertRegex(out, r"running mailings:\n  none\n")
        self.assertRegex(out, r"last newsletter:\n  none yet\n")

    def test_a_finished_newsletter(self):
        self.ok("queue", "run")
        s = self.status()
        self.assertEqual(s["mailings"], [])
        last = s["last_newsletter"]
        self.assertEqual((last["mailing"], last["state"], last["sent"],
                          last["recipients"]), (self.mailing, "done", 2, 2))
        self.assertRegex(last["finished_at"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(datetime.datetime.fromisoformat(
            last["finished_at_local"]).astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), last["finished_at"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
