#!/usr/bin/python3
"""The daemon's schedule (issue 10) end to end: `rundbriefd --once --now`
passes at chosen instants of 2027 against tests/integration/smtpd.py
(aiosmtpd, 127.0.0.1), and the running daemon on the real clock for its
signals. After every pass the test knows EXACTLY which messages must have
arrived since the one before: each message received is parsed with
Python's email package (its calendar part with python3-icalendar) and
named by its kind (the Subject the German templates write, the iCalendar
METHOD), its recipient and the key of its mailing (outbox.message_id is
the Message-ID; mailings.key is the job key: "newsletter:2027-02",
"reminder:UID:single:7d", …).

Every scripted test begins with a pass at an instant before the jobs it
expects: the first pass records the scheduler's start, and nothing due
before it is ever sent (no backlog on a first start).

Events are published at the real time (December 2026); their dates and
every instant of the passes lie in 2027, so no reminder falls before its
event's publication.

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build directory,
RUNDBRIEF_SRC the repository root."""
import collections
import datetime
import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import zoneinfo

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_delivery import DAEMON, FROM_ADDR, wait_for  # noqa: E402
from test_pressure import Pressure, report  # noqa: E402

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = datetime.timezone.utc
COORD = FROM_ADDR               # [general] organizer_email, no subscriber
REVIEW_TO = "redaktion@landkreis.example"
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
             "August", "September", "Oktober", "November", "Dezember"]
# kind by the Subject the German templates write
SUBJECT_KINDS = [("Einladung: ", "invitation"), ("Geändert: ", "update"),
                 ("Abgesagt: ", "cancellation"), ("Erinnerung: ", "reminder"),
                 ("Rundbrief ", "newsletter")]
# the iCalendar METHOD each event mail must carry
METHODS = {"invitation": "REQUEST", "update": "REQUEST",
           "cancellation": "CANCEL"}
EDITORIAL = "Liebe Engagierte,\n\nein Gruß aus der Koordinierungsstelle.\n"


def utc(text):
    """"2027-02-01T08:00" (UTC) as an aware datetime."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(
        tzinfo=UTC)


def now_arg(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Msg:
    """One message as the server stored it, parsed."""

    def __init__(self, path, raw, envelope):
        self.path = path
        self.raw = raw
        self.envelope = envelope
        self.msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.rcpt = envelope["rcpt_tos"][0]
        self.subject = str(self.msg["Subject"])
        self.message_id = str(self.msg["Message-ID"]).strip().strip("<>")
        body = self.msg.get_body(("plain",))
        self.text = body.get_content() if body is not None else ""
        self.calendar = None
        for part in self.msg.walk():
            if part.get_content_type() == "text/calendar":
                self.calendar = icalendar.Calendar.from_ical(
                    part.get_payload(decode=True))
                self.mime_method = part.get_param("method")
        self.kind = None
        for prefix, kind in SUBJECT_KINDS:
            if self.subject.startswith(prefix):
                self.kind = kind
        if self.rcpt.lower() in (COORD, REVIEW_TO):
            # the coordinator's mail: the warning says that the editorial
            # is missing, the review copy is the newsletter with a note
            self.kind = "warning" if re.search(
                r"(?i)fehlt das editorial|editorial fehlt|no editorial|"
                r"missing", self.text) else "review"
        self.method = str(self.calendar.get("METHOD")) \
            if self.calendar is not None else None


class Schedule(Pressure):
    """A configuration with a schedule, passes of `rundbriefd --once --now`
    and the messages each pass delivered."""

    PEOPLE = ["anna@example.org", "bert@example.org", "carla@example.org"]

    def setUp(self):
        super().setUp()
        self.seen = set()
        self.passes = []        # (instant, log of the pass)

    def configure_schedule(self, srv, newsletter="", reminders="",
                           connections=2):
        """[newsletter] and [reminders] appended to Delivery's
        configuration (its [smtp] section ends the file)."""
        self.configure(srv.port, connections=connections)
        with open(self.conf, "a") as f:
            f.write("[newsletter]\n%s[reminders]\n%s" % (newsletter,
                                                        reminders))

    def editorial(self, month, text=EDITORIAL):
        with open(os.path.join(self.dir, "content", "%s.md" % month),
                  "w") as f:
            f.write(text)

    def no_editorial(self, month):
        path = os.path.join(self.dir, "content", "%s.md" % month)
        if os.path.exists(path):
            os.unlink(path)

    def once(self, instant):
        """One pass as if it were `instant`; its log."""
        r = subprocess.run([DAEMON, "-c", self.conf, "--once", "--now",
                            now_arg(instant)], capture_output=True,
                           text=True, env=self.env, timeout=120)
        self.assertEqual(r.returncode, 0, "rundbriefd --once --now %s: "
                         "exit %d\n%s%s" % (now_arg(instant), r.returncode,
                                            r.stdout, r.stderr))
        self.passes.append((instant, r.stdout + r.stderr))
        return r.stdout + r.stderr

    def new_messages(self, srv):
        """The messages received since the last call, parsed."""
        out = []
        for rcpt in sorted(os.listdir(srv.store)):
            d = os.path.join(srv.store, rcpt)
            if not os.path.isdir(d):
                continue
            for n in sorted(f for f in os.listdir(d) if f.endswith(".eml")):
                path = os.path.join(d, n)
                if path in self.seen:
                    continue
                self.seen.add(path)
                with open(path, "rb") as f:
                    raw = f.read()
                with open(path[:-4] + ".json") as f:
                    env = json.load(f)
                m = Msg(path, raw, env)
                self.check_wire_format(raw)
                for part in m.msg.walk():
                    self.assertEqual(list(part.defects), [], path)
                out.append(m)
        return out

    def keys(self):
        """{Message-ID: mailing key} for every outbox row."""
        return dict(self.sql("SELECT o.message_id, m.key FROM outbox o"
                             " JOIN mailings m ON m.id = o.mailing_id"
                             " WHERE o.message_id IS NOT NULL"))

    def label(self, m, keys):
        """(kind, what, recipient): what is the mailing key for the
        scheduled kinds, the event's title for the tool's mail."""
        if m.kind in ("invitation", "update", "cancellation"):
            self.assertIsNotNone(m.calendar, "%s without a calendar: %s"
                                 % (m.kind, m.path))
            self.assertEqual(m.method, METHODS[m.kind], m.path)
            self.assertEqual(m.mime_method.upper(), METHODS[m.kind], m.path)
            return (m.kind, m.subject.split(": ", 1)[1], m.rcpt)
        self.assertIn(m.message_id, keys, "%s: Message-ID %s of no outbox "
                      "row" % (m.path, m.message_id))
        return (m.kind, keys[m.message_id], m.rcpt)

    def step(self, srv, instant, want, what):
        """A pass at instant; want: {(kind, what, rcpt): count} of the
        messages it must deliver, nothing more. Returns the messages."""
        mailings = self.sql("SELECT count(*) FROM mailings")[0][0]
        self.once(instant)
        msgs = self.new_messages(srv)
        if not want:
            self.assertEqual(self.sql("SELECT count(*) FROM mailings")[0][0],
                             mailings, "%s: a mailing was made (pass at "
                             "%s)" % (what, now_arg(instant)))
        keys = self.keys()
        got = collections.Counter(self.label(m, keys) for m in msgs)
        self.assertEqual(dict(got), dict(want), "%s (pass at %s)"
                         % (what, now_arg(instant)))
        return msgs

    def to(self, people, kind, what):
        return {(kind, what, a): 1 for a in people}

    def add_event(self, *args):
        out = self.ok("event", "add", *args)
        m = re.search(r"added event (\d+)", out)
        self.assertIsNotNone(m, out)
        return m.group(1)

    def uid(self, eid):
        return json.loads(self.ok("event", "show", eid, "--format",
                                  "json"))["uid"]

    def job(self, key):
        rows = self.sql("SELECT kind, state, mailing_id FROM jobs WHERE"
                        " key = ?", key)
        return rows[0] if rows else None

    # Holds: `rundbrief newsletter hold|release YYYY-MM` is being written
    # on another branch and is not on main yet; until it lands the test
    # writes the holds table (schema 6) directly, as the command will.
    def hold(self, month):
        self.sql("INSERT INTO holds(month, created_at) VALUES (?, 0)", month)

    def release(self, month):
        self.sql("DELETE FROM holds WHERE month = ?", month)


class TestScriptedYear(Schedule):
    """Publication, reminders, the review copy, the newsletter, a move, a
    cancellation, a hold, downtime: pass by pass, exactly what arrives."""

    def test_a_year_pass_by_pass(self):
        srv = self.start_server("--lifetime", "600")
        # default schedule (first Monday 09:00) and review lead (24h)
        self.configure_schedule(srv, reminders="offsets = 7d, 1d\n")
        abc = self.PEOPLE
        self.add_subscribers([(a, "") for a in abc])
        # pending, as an import leaves her (no confirmation request: its
        # mail is test_replies_cli's)
        self.ok("subscriber", "add", "paula@example.org", "--no-mail")
        self.assertEqual(self.sql("SELECT count(*) FROM subscribers WHERE"
                                  " email = ?", COORD), [(0,)])
        for month in ("2027-02", "2027-03"):
            self.editorial(month)
        # no editorial for April: the weekly event below is its content
        self.no_editorial("2027-04")
        self.assertTrue(os.path.exists(os.path.join(
            self.dir, "content", "2027-01.md")))

        # January's newsletter (Mon 4 Jan, 08:00Z) is within its grace, and
        # there is an editorial, but it was due before the first pass
        log = self.once(utc("2027-01-05T12:00"))
        self.assertEqual(self.new_messages(srv), [], log)
        self.assertEqual(len(self.sql("SELECT value FROM meta WHERE key ="
                                      " 'schedule_start'")), 1)
        self.assertEqual(self.sql("SELECT count(*) FROM mailings"), [(0,)])

        e1 = self.add_event("--kind", "welcome_conference", "--title",
                            "Willkommenskonferenz", "--start",
                            "2027-02-20 18:00", "--end", "2027-02-20 20:00",
                            "--location", "Kreishaus")
        u1 = self.uid(e1)
        self.ok("event", "publish", e1)
        self.step(srv, utc("2027-01-06T10:00"),
                  self.to(abc, "invitation", "Willkommenskonferenz"),
                  "publish: the invitations")
        self.step(srv, utc("2027-01-06T10:00"), {}, "the same instant again")
        # subscribes after the invitations: gets newsletters, not E1's
        # reminders (they go to those invited)
        self.ok("subscriber", "add", "lena@example.org", "--confirmed")
        abcl = abc + ["lena@example.org"]

        # review copy: 24 h before Mon 1 Feb 09:00 CET = 08:00Z
        self.step(srv, utc("2027-01-31T07:59"), {}, "a minute before the "
                  "review copy")
        [review] = self.step(srv, utc("2027-01-31T08:00"),
                             {("review", "review:2027-02", COORD): 1},
                             "the review copy")
        self.check_review(review, "2027-02", "Februar", 4)
        self.step(srv, utc("2027-02-01T07:59"), {}, "a minute before")
        msgs = self.step(srv, utc("2027-02-01T08:00"),
                         self.to(abcl, "newsletter", "newsletter:2027-02"),
                         "the newsletter at the schedule's instant")
        for m in msgs:
            self.assertEqual(m.subject, "Rundbrief Februar 2027")
            self.assertIn("Liebe Engagierte", m.text)
        # one line when the job fires (what, for how many), one when its
        # mailing is finished
        log = self.passes[-1][1]
        self.assertRegex(log, r"(?m)^(?=.*newsletter)(?=.*2027-02)"
                         r"(?=.*\b4\b).*$", "no log line for the job")
        [(mid,)] = self.sql("SELECT id FROM mailings WHERE key ="
                            " 'newsletter:2027-02'")
        self.assertGreaterEqual(len(re.findall(
            r"(?m)^.*(?:2027-02|mailing %d\b).*$" % mid, log)), 2,
            "no log line for the finished mailing:\n" + log)
        self.assertEqual(self.job("newsletter:2027-02")[:2],
                         ("newsletter", "done"))

        # E1 (Sat 20 Feb 18:00 CET = 17:00Z): 7d reminder on 13 Feb 17:00Z
        self.step(srv, utc("2027-02-13T16:59"), {}, "before the 7d reminder")
        self.step(srv, utc("2027-02-13T17:00"),
                  self.to(abc, "reminder", "reminder:%s:single:7d" % u1),
                  "7 days before")
        # moved two days later: updates; the 1d reminder follows
        out = self.ok("event", "update", e1, "--start", "2027-02-22 18:00")
        self.assertIn("update queued for 3 subscribers", out)
        self.step(srv, utc("2027-02-14T10:00"),
                  self.to(abc, "update", "Willkommenskonferenz"),
                  "the move: updates")
        self.step(srv, utc("2027-02-15T17:00"), {},
                  "the new 7d moment: the 7d reminder was sent already")
        e2 = self.add_event("--kind", "training", "--title", "Schulung",
                            "--start", "2027-03-10 18:00", "--end",
                            "2027-03-10 20:00")
        u2 = self.uid(e2)
        self.ok("event", "publish", e2)
        self.step(srv, utc("2027-02-19T17:00"),
                  self.to(abcl, "invitation", "Schulung"),
                  "E1's old 1d moment: nothing of E1 (E2's invitations)")
        self.step(srv, utc("2027-02-21T16:59"), {}, "before the new 1d")
        self.step(srv, utc("2027-02-21T17:00"),
                  self.to(abc, "reminder", "reminder:%s:single:1d" % u1),
                  "E1's new 1d moment")

        # March: review, hold, the moment passes, release within grace
        [review] = self.step(srv, utc("2027-02-28T08:00"),
                             {("review", "review:2027-03", COORD): 1},
                             "March's review copy")
        self.check_review(review, "2027-03", "März", 4)
        self.hold("2027-03")
        self.step(srv, utc("2027-03-01T08:00"), {}, "held at its moment")
        self.step(srv, utc("2027-03-01T20:00"), {}, "still held")
        self.assertIsNone(self.job("newsletter:2027-03"))
        self.release("2027-03")
        self.step(srv, utc("2027-03-02T10:00"),
                  self.to(abcl, "newsletter", "newsletter:2027-03"),
                  "released within the grace")

        # E2 (Wed 10 Mar 18:00 CET = 17:00Z): 7d, then cancelled
        self.step(srv, utc("2027-03-03T17:00"),
                  self.to(abcl, "reminder", "reminder:%s:single:7d" % u2),
                  "E2 7 days before")
        self.assertIn("cancellation queued for 4 subscribers",
                      self.ok("event", "cancel", e2))
        self.step(srv, utc("2027-03-04T10:00"),
                  self.to(abcl, "cancellation", "Schulung"),
                  "cancel: the cancellations")
        self.step(srv, utc("2027-03-09T17:00"), {},
                  "E2's 1d moment: cancelled, no reminder")

        # a weekly event: Tue 20 Apr, 27 Apr, 4 May 18:00 CEST = 16:00Z
        e3 = self.add_event("--kind", "network_meeting", "--title",
                            "Sprachcafé", "--start", "2027-04-20 18:00",
                            "--end", "2027-04-20 20:00", "--rrule",
                            "FREQ=WEEKLY;COUNT=3")
        u3 = self.uid(e3)
        self.ok("event", "publish", e3)
        self.step(srv, utc("2027-03-10T10:00"),
                  self.to(abcl, "invitation", "Sprachcafé"),
                  "the weekly event's invitations")

        # down from 10 March to 9 April: April's newsletter (Mon 5 Apr
        # 09:00 CEST = 07:00Z) is 3 days and 5 hours late, past the 3d
        # grace; its review copy is late too
        self.step(srv, utc("2027-04-09T12:00"), {},
                  "down longer than the grace")
        log = self.passes[-1][1]
        self.assertRegex(log, r"(?im)^(?=.*2027-04)(?=.*(?:skip|grace)).*$",
                         "no log line for the skipped newsletter")
        self.assertEqual(self.job("newsletter:2027-04")[:2],
                         ("newsletter", "skipped"))
        self.assertEqual(self.sql("SELECT count(*) FROM mailings WHERE"
                                  " key LIKE '%2027-04'"), [(0,)])

        # down again: occurrence 1's 7d (13 Apr) and 1d (19 Apr 16:00Z)
        # both missed, the occurrence not begun: only the last one
        occ = ["20270420T180000", "20270427T180000", "20270504T180000"]
        self.step(srv, utc("2027-04-19T17:00"),
                  self.to(abcl, "reminder", "reminder:%s:%s:1d" % (u3,
                                                                   occ[0])),
                  "two missed reminders of one occurrence: the last")
        self.step(srv, utc("2027-04-20T16:00"),
                  self.to(abcl, "reminder", "reminder:%s:%s:7d" % (u3,
                                                                   occ[1])),
                  "7d before the second occurrence")
        # occurrence 2's 1d (26 Apr) missed and it has begun: not sent;
        # occurrence 3's 7d (27 Apr 16:00Z) missed, not begun: sent late
        self.step(srv, utc("2027-04-27T16:30"),
                  self.to(abcl, "reminder", "reminder:%s:%s:7d" % (u3,
                                                                   occ[2])),
                  "after the second occurrence began")
        self.step(srv, utc("2027-04-27T16:30"), {}, "the same instant again")
        keys = [k for (k,) in self.sql("SELECT key FROM mailings WHERE key"
                                       " LIKE 'reminder:%' ORDER BY key")]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(sorted(k for k in keys if u3 in k), sorted([
            "reminder:%s:%s:1d" % (u3, occ[0]),
            "reminder:%s:%s:7d" % (u3, occ[1]),
            "reminder:%s:%s:7d" % (u3, occ[2])]))
        # at no pass did a pending subscriber or the coordinator get
        # anything but the review copies
        self.assertNotIn("paula@example.org", srv.counts())
        self.assertEqual(srv.counts().get(COORD), 2)

    def check_review(self, m, month, month_de, n):
        """The note on top: when, to how many, and the hold command; then
        the newsletter as a German subscriber gets it."""
        self.assertEqual(m.msg["To"].addresses[0].addr_spec.lower(), COORD)
        self.assertIn("Rundbrief %s 2027" % month_de, m.subject)
        head = m.text.split("Liebe Engagierte", 1)
        self.assertEqual(len(head), 2, "the editorial is not in the review "
                         "copy:\n" + m.text)
        note = head[0]
        self.assertIn("rundbrief newsletter hold %s" % month, note)
        day = 1
        self.assertRegex(note, r"%d\. %s 2027|0?%d\.0?%d\.2027|%s-0%d" % (
            day, month_de, day, int(month[5:]), month, day),
            "the note does not say when:\n" + note)
        self.assertRegex(note, r"\b0?9[:.]00\b",
                         "the note does not say the time:\n" + note)
        self.assertRegex(note, r"\b%d\b" % n,
                         "the note does not say how many:\n" + note)


class TestMonths(Schedule):
    def test_no_editorial_no_event_skips_the_month(self):
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="review_lead = 0\n")
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        self.no_editorial("2027-06")
        self.step(srv, utc("2027-06-01T12:00"), {}, "the start")
        # Mon 7 Jun 09:00 CEST = 07:00Z
        self.step(srv, utc("2027-06-07T07:00"), {}, "nothing to send")
        self.assertRegex(self.passes[-1][1], r"(?im)^(?=.*2027-06)"
                         r"(?=.*(?:skip|nothing|no editorial)).*$",
                         "no log line for the skipped month")
        self.step(srv, utc("2027-06-08T07:00"), {}, "a day later")
        self.assertEqual(self.sql("SELECT count(*) FROM mailings"), [(0,)])

    def test_review_to(self):
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="review_to = %s\n"
                                % REVIEW_TO)
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        self.editorial("2027-06")
        self.step(srv, utc("2027-06-01T12:00"), {}, "the start")
        [m] = self.step(srv, utc("2027-06-06T07:00"),
                        {("review", "review:2027-06", REVIEW_TO): 1},
                        "the review copy to review_to, not the organizer")
        self.assertIn("rundbrief newsletter hold 2027-06", m.text)
        self.step(srv, utc("2027-06-07T07:00"),
                  self.to(self.PEOPLE, "newsletter", "newsletter:2027-06"),
                  "the newsletter")

    def test_require_editorial_warns_once_and_holds(self):
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="require_editorial = yes\n")
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        self.no_editorial("2027-06")
        e = self.add_event("--kind", "training", "--title", "Juni-Termin",
                           "--start", "2027-06-20 18:00")
        self.ok("event", "publish", e, "--no-mail")
        self.step(srv, utc("2027-06-01T12:00"), {}, "the start")
        # two days before Mon 7 Jun 07:00Z
        self.step(srv, utc("2027-06-05T06:59"), {}, "before the warning")
        [w] = self.step(srv, utc("2027-06-05T07:00"),
                        {("warning", "warning:2027-06", COORD): 1},
                        "the warning two days before")
        self.assertRegex(w.text, r"2027-06|Juni 2027")
        self.step(srv, utc("2027-06-05T07:00"), {}, "the same instant")
        self.step(srv, utc("2027-06-06T07:00"), {},
                  "no review copy of a newsletter without its editorial")
        self.step(srv, utc("2027-06-07T07:00"), {}, "held: no editorial")
        self.editorial("2027-06")
        self.step(srv, utc("2027-06-08T10:00"),
                  self.to(self.PEOPLE, "newsletter", "newsletter:2027-06"),
                  "the editorial arrived within the grace")


class TestRetries(Schedule):
    def test_retries_follow_the_simulated_clock(self):
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="review_lead = 0\n")
        people = self.PEOPLE + ["once-451@example.org"]
        self.add_subscribers([(a, "") for a in people])
        self.editorial("2027-02")
        self.step(srv, utc("2027-01-20T12:00"), {}, "the start")
        self.step(srv, utc("2027-02-01T08:00"),
                  self.to(self.PEOPLE, "newsletter", "newsletter:2027-02"),
                  "the newsletter; 451 for one")
        self.assertEqual(self.states()["once-451@example.org"], "deferred")
        [(due,)] = self.sql("SELECT next_attempt FROM outbox WHERE"
                            " state = 'deferred'")
        self.assertGreater(due, utc("2027-02-01T08:00").timestamp())
        self.step(srv, datetime.datetime.fromtimestamp(due - 1, UTC), {},
                  "a second before the retry")
        self.step(srv, datetime.datetime.fromtimestamp(due, UTC),
                  {("newsletter", "newsletter:2027-02",
                    "once-451@example.org"): 1}, "the retry")


class TestReminders(Schedule):
    def test_no_reminder_due_before_the_event_was_published(self):
        """An event three days ahead, published now: its 7d moment came
        before the publication (though after the scheduler's start)."""
        srv = self.start_server()
        now = datetime.datetime.now(BERLIN).replace(second=0, microsecond=0)
        # a monthly moment outside the days this test passes through
        d = (now + datetime.timedelta(days=15)).day
        self.configure_schedule(srv, newsletter="schedule = FREQ=MONTHLY;"
                                "BYMONTHDAY=%d;BYHOUR=9;BYMINUTE=0\n"
                                "review_lead = 0\n" % d,
                                reminders="offsets = 7d, 1d\n")
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        self.step(srv, now - datetime.timedelta(days=5), {}, "the start")
        start = now + datetime.timedelta(days=3)
        e = self.add_event("--kind", "training", "--title", "Kurzfristig",
                           "--start", start.strftime("%Y-%m-%d %H:%M"))
        u = self.uid(e)
        self.ok("event", "publish", e)
        self.step(srv, now + datetime.timedelta(hours=1),
                  self.to(self.PEOPLE, "invitation", "Kurzfristig"),
                  "the invitations, and no 7d reminder: its moment (4 days "
                  "ago) came before the publication")
        self.assertEqual(self.job("reminder:%s:single:7d" % u)[:2],
                         ("reminder", "skipped"))
        self.step(srv, start - datetime.timedelta(days=1, minutes=1), {},
                  "a minute before the 1d reminder")
        self.step(srv, start - datetime.timedelta(days=1),
                  self.to(self.PEOPLE, "reminder",
                          "reminder:%s:single:1d" % u), "1 day before")


class TestDst(Schedule):
    """02:30 on the last Sunday: 28 March 2027 has no 02:30 in Berlin
    (02:00 CET -> 03:00 CEST), 31 October 2027 has two (03:00 CEST -> 02:00
    CET). Each gives one newsletter, at one of the instants 02:30 local
    can mean."""

    RULE = "FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30"

    def around(self, month, start, instants, candidates):
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="schedule = %s\n"
                                "review_lead = 0\n" % self.RULE)
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        self.editorial(month)
        self.step(srv, utc(start), {}, "the start")
        fired = []
        for t in instants:
            self.once(utc(t))
            msgs = self.new_messages(srv)
            if msgs:
                fired.append(t)
                keys = self.keys()
                got = collections.Counter(self.label(m, keys) for m in msgs)
                self.assertEqual(dict(got), self.to(
                    self.PEOPLE, "newsletter", "newsletter:%s" % month), t)
        self.assertEqual(len(fired), 1, "newsletters at %s" % fired)
        [(due,)] = self.sql("SELECT due FROM jobs WHERE key = ?",
                            "newsletter:%s" % month)
        due = datetime.datetime.fromtimestamp(due, UTC)
        self.assertIn(due.strftime("%Y-%m-%dT%H:%M"), candidates)
        self.assertLessEqual(due, utc(fired[0]))
        report("02:30 on %s" % month, due=now_arg(due),
               first_pass_after=fired[0], newsletters=len(self.PEOPLE))

    def test_march_gap(self):
        # 02:30 CET would be 01:30Z (RFC 5545 3.3.5: the offset before the
        # gap); 02:30 CEST 00:30Z
        self.around("2027-03", "2027-03-27T12:00", [
            "2027-03-28T00:00", "2027-03-28T00:29", "2027-03-28T00:31",
            "2027-03-28T01:00", "2027-03-28T01:29", "2027-03-28T01:31",
            "2027-03-28T02:00", "2027-03-28T03:00", "2027-03-29T12:00",
            "2027-03-31T00:00"],
            ["2027-03-28T00:30", "2027-03-28T01:30"])

    def test_october_fold(self):
        # the first 02:30 (CEST) is 00:30Z, the second (CET) 01:30Z
        self.around("2027-10", "2027-10-30T12:00", [
            "2027-10-31T00:00", "2027-10-31T00:29", "2027-10-31T00:31",
            "2027-10-31T01:00", "2027-10-31T01:29", "2027-10-31T01:31",
            "2027-10-31T02:00", "2027-10-31T03:00", "2027-11-01T12:00",
            "2027-11-02T00:00"],
            ["2027-10-31T00:30", "2027-10-31T01:30"])

    def test_reminder_days_are_calendar_days_across_the_change(self):
        # Thu 1 Apr 2027 18:00 CEST = 16:00Z; 7 calendar days before is
        # Thu 25 Mar 18:00 CET = 17:00Z (7 x 24 h would be 16:00Z)
        srv = self.start_server()
        self.configure_schedule(srv, newsletter="review_lead = 0\n",
                                reminders="offsets = 7d\n")
        self.add_subscribers([(a, "") for a in self.PEOPLE])
        e = self.add_event("--kind", "training", "--title", "Aprilschulung",
                           "--start", "2027-04-01 18:00")
        u = self.uid(e)
        self.ok("event", "publish", e)
        self.step(srv, utc("2027-03-20T12:00"),
                  self.to(self.PEOPLE, "invitation", "Aprilschulung"),
                  "the start, the invitations")
        self.step(srv, utc("2027-03-25T16:30"), {}, "7 x 24 h before")
        self.step(srv, utc("2027-03-25T17:00"),
                  self.to(self.PEOPLE, "reminder",
                          "reminder:%s:single:7d" % u),
                  "7 calendar days before")


# ---- the running daemon, on the real clock ----

def due_rule(moment):
    """A monthly rule whose occurrence this month is `moment` (local)."""
    return "FREQ=MONTHLY;BYMONTHDAY=%d;BYHOUR=%d;BYMINUTE=%d" % (
        moment.day, moment.hour, moment.minute)


class RealClock(Schedule):
    def due_now(self, srv, n, ago=90, newsletter="", connections=4):
        """A newsletter due now for n subscribers, the simplest honest way:
        the schedule names a moment `ago` seconds in the past (this month,
        within the grace), and a first pass `--once --now` an hour before
        that moment records the scheduler's start then (nothing is due at
        that instant, so it sends nothing). The daemon started afterwards
        finds the newsletter due, late but within the grace and after the
        start: it must send it at once."""
        now = datetime.datetime.now(BERLIN)
        moment = (now - datetime.timedelta(seconds=ago)).replace(
            second=0, microsecond=0)
        if moment.month != now.month or \
                (moment - datetime.timedelta(hours=1)).month != now.month:
            self.skipTest("too close to the start of a month")
        self.month = "%04d-%02d" % (moment.year, moment.month)
        self.configure_schedule(srv, newsletter="schedule = %s\n"
                                "review_lead = 0\n%s" % (due_rule(moment),
                                                         newsletter),
                                connections=connections)
        self.people_list = [p[0] for p in self.people(n)]
        self.add_subscribers(self.people(n))
        self.once(moment - datetime.timedelta(hours=1))
        self.assertEqual(self.sql("SELECT count(*) FROM mailings"), [(0,)])
        self.assertEqual(srv.total(), 0)
        return moment

    def newsletters(self):
        return self.sql("SELECT id, key FROM mailings WHERE kind ="
                        " 'newsletter'")

    def unsettled(self):
        return self.sql("SELECT count(*) FROM outbox WHERE state IN"
                        " ('queued','sending','deferred')")[0][0]


class TestSignals(RealClock):
    def test_sigterm_during_a_scheduled_send(self):
        srv = self.start_server("--data-delay", "0.03")
        self.due_now(srv, 300)
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= 40, 30),
                        self.log_text())
        time.sleep(0.2)
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(15), 0, self.log_text())
        rows = dict(self.sql("SELECT state, count(*) FROM outbox"
                             " GROUP BY state"))
        self.assertNotIn("sending", rows)
        self.assertEqual(rows.get("sent", 0), srv.total())
        self.assertLess(rows["sent"], 300, "the send ended before SIGTERM")
        # started again: the rest, once; still one newsletter
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= 300, 60))
        self.assertTrue(wait_for(lambda: self.unsettled() == 0, 20))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(15), 0)
        self.assertEqual(srv.counts(), {a: 1 for a in self.people_list})
        self.assertEqual(len(self.newsletters()), 1)

    def test_sighup_broken_keeps_old_changed_schedule_takes_effect(self):
        srv = self.start_server()
        moment = self.due_now(srv, 20, ago=90)
        now = datetime.datetime.now(BERLIN)
        later = (now + datetime.timedelta(hours=1)).replace(second=0,
                                                           microsecond=0)
        if later.month != now.month:
            self.skipTest("too close to the end of a month")
        with open(self.conf) as f:
            due = f.read()
        # started with this month's moment an hour ahead: nothing due
        self.write_conf(due.replace(due_rule(moment), due_rule(later)))
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: "started" in self.log_text(), 10))
        time.sleep(1.5)
        self.assertEqual(srv.total(), 0)
        # a configuration whose schedule is due now but which has an error
        # elsewhere: nothing of it may be taken
        self.write_conf(due.replace("[reminders]\n",
                                    "no_such_key = 1\n[reminders]\n"))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "keeping" in self.log_text(), 10),
                        self.log_text())
        time.sleep(3)
        self.assertIsNone(d.poll())
        self.assertEqual(srv.total(), 0, "the broken configuration's "
                         "schedule was used")
        # the next whole minute at least 10 s ahead: the daemon must wake
        # for it by itself (no signal, no change of the database)
        t = datetime.datetime.now(BERLIN) + datetime.timedelta(seconds=70)
        nxt = t.replace(second=0, microsecond=0)
        if nxt.month != now.month:
            self.skipTest("too close to the end of a month")
        self.write_conf(due.replace(due_rule(moment), due_rule(nxt)))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "reloaded" in self.log_text(), 10))
        before = nxt.timestamp() - time.time() - 2
        if before > 0:
            time.sleep(before)
        self.assertEqual(srv.total(), 0, "sent before its moment")
        self.assertTrue(wait_for(lambda: srv.total() >= 20,
                                 nxt.timestamp() - time.time() + 15),
                        "nothing at the new moment: %s" % self.log_text())
        late = time.time() - nxt.timestamp()
        self.assertTrue(wait_for(lambda: self.unsettled() == 0, 20))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(15), 0)
        self.assertEqual(srv.counts(), {a: 1 for a in self.people_list})
        self.assertEqual(len(self.newsletters()), 1)
        report("SIGHUP with a new schedule", delivered_after_moment="%.1f s"
               % late, messages=20)

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write(text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
