#!/usr/bin/python3
"""End-to-end tests of `rundbrief event ics` (the METHOD:PUBLISH calendar for
the website) on a temporary database. The output is read by two real
parsers: python3-icalendar, and ical.js (Thunderbird's) through node.
Run by `make check` (RUNDBRIEF_BUILD names the build dir, RUNDBRIEF_SRC the
source tree)."""
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest
from datetime import date, datetime, timezone

import icalendar

SRC = os.environ.get("RUNDBRIEF_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "rundbrief")
UTC = timezone.utc

EX_USAGE, EX_DATAERR, EX_CANTCREAT = 64, 65, 73

# Reads a calendar on stdin with ical.js and prints what it understood.
NODE_SCRIPT = r"""
'use strict';
const m = require(process.env.RUNDBRIEF_SRC + '/tests/node_modules/ical.js');
const ICAL = m.default || m;
const text = require('fs').readFileSync(0, 'utf8');
const cal = new ICAL.Component(ICAL.parse(text));
ICAL.TimezoneService.reset();
const tzids = cal.getAllSubcomponents('vtimezone').map(v => {
  ICAL.TimezoneService.register(v);
  return v.getFirstPropertyValue('tzid');
});
const iso = t => new Date(t.toUnixTime() * 1000).toISOString();
const events = cal.getAllSubcomponents('vevent').map(vev => {
  const e = new ICAL.Event(vev);
  const occ = [];
  if (e.isRecurring()) {
    const it = e.iterator();
    for (let n, k = 0; k < 10 && (n = it.next()); k++)
      occ.push(iso(n));
  }
  return {
    uid: e.uid,
    summary: e.summary,
    attendees: vev.getAllProperties('attendee').length,
    organizer: vev.getFirstPropertyValue('organizer'),
    status: vev.getFirstPropertyValue('status'),
    start_is_date: e.startDate.isDate,
    start: e.startDate.isDate ? e.startDate.toString() : iso(e.startDate),
    end: e.endDate.isDate ? e.endDate.toString() : iso(e.endDate),
    start_tzid: e.startDate.isDate ? null : e.startDate.zone.tzid,
    occurrences: e.isRecurring() ? occ : null,
  };
});
console.log(JSON.stringify({
  method: cal.getFirstPropertyValue('method'), tzids, events,
}));
"""


class Ics(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-ics-")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                    "timezone = Europe/Berlin\n"
                    "organizer_name = Koordination Nord\n"
                    "organizer_email = termine@example.org\n" % self.dir)
        os.chmod(self.conf, 0o600)
        self.ok("init")
        desc = os.path.join(self.dir, "desc.md")
        with open(desc, "w") as f:
            f.write("# Programm\n\n- Begrüßung mit **Kaffee**\n")
        # 1: timed, 2: all-day deadline, 3: recurring, 4: draft,
        # 5: cancelled, 6: published, long over
        self.add("--kind", "welcome_conference", "--title",
                 "Willkommenskonferenz", "--start", "2026-10-25 10:00",
                 "--end", "2026-10-25 13:00", "--location", "Kreishaus",
                 "--description-file", desc)
        self.add("--kind", "deadline", "--title", "Anmeldefrist",
                 "--start", "2026-12-15", "--all-day")
        self.add("--kind", "training", "--title", "Selbstfürsorge",
                 "--start", "2027-01-12 15:00", "--end", "2027-01-12 17:00",
                 "--rrule", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3",
                 "--online-url", "https://meet.example.org/sf")
        self.add("--kind", "other", "--title", "Entwurf",
                 "--start", "2026-12-01 10:00")
        self.add("--kind", "other", "--title", "Abgesagt",
                 "--start", "2026-12-02 10:00")
        self.add("--kind", "other", "--title", "Vergangen",
                 "--start", "2020-03-01 10:00")
        for i in ("1", "2", "3", "5", "6"):
            self.ok("event", "publish", i)
        self.ok("event", "cancel", "5")
        self.uid = {i: self.show(i)["uid"] for i in "123456"}
        # when each published, not cancelled event ends (recurring: the
        # last occurrence), for the default "not ended yet" selection
        self.ends = {
            "1": datetime(2026, 10, 25, 12, 0, tzinfo=UTC),
            "2": datetime(2026, 12, 15, 23, 0, tzinfo=UTC),
            "3": datetime(2027, 3, 9, 16, 0, tzinfo=UTC),
            "6": datetime(2020, 3, 1, 10, 0, tzinfo=UTC),
        }

    def tearDown(self):
        shutil.rmtree(self.dir)

    # ---- helpers ----

    def run_tool(self, *args):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        return subprocess.run([TOOL, "-c", self.conf] + list(args),
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
        self.assertEqual(r.stdout, "", args)
        return r.stderr

    def add(self, *args):
        self.ok("event", "add", *args)

    def show(self, ident):
        return json.loads(self.ok("event", "show", ident, "--format", "json"))

    def ics(self, *args):
        r = subprocess.run([TOOL, "-c", self.conf, "event", "ics"] +
                           list(args), capture_output=True, env=self.env(),
                           timeout=120)
        self.assertEqual(r.returncode, 0, "event ics %s failed: %s" % (
            args, r.stderr.decode("utf-8", "replace")))
        return r.stdout

    def env(self):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        env["RUNDBRIEF_SRC"] = SRC
        return env

    def icaljs(self, raw):
        r = subprocess.run(["node", "-e", NODE_SCRIPT], input=raw,
                           capture_output=True, env=self.env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode("utf-8", "replace"))
        return json.loads(r.stdout)

    def uids(self, raw):
        cal = icalendar.Calendar.from_ical(raw)
        return [str(e["UID"]) for e in cal.walk("VEVENT")]

    # ---- tests ----

    def test_publish_calendar_read_by_icalendar_and_icaljs(self):
        raw = self.ics("--from", "2026-10-01")
        text = raw.decode("utf-8")
        self.assertTrue(text.endswith("\r\n"))
        self.assertNotIn("\n", text.replace("\r\n", ""))
        self.assertNotIn("ATTENDEE", text.upper())
        want = [self.uid[i] for i in ("1", "2", "3")]  # ordered by start

        # python3-icalendar
        cal = icalendar.Calendar.from_ical(raw)
        self.assertEqual(str(cal["METHOD"]), "PUBLISH")
        vtz = cal.walk("VTIMEZONE")
        self.assertEqual([str(v["TZID"]) for v in vtz], ["Europe/Berlin"])
        berlin = vtz[0].to_tz()
        evs = cal.walk("VEVENT")
        self.assertEqual([str(e["UID"]) for e in evs], want)
        for e in evs:
            self.assertNotIn("ATTENDEE", e)
            self.assertEqual(str(e["STATUS"]), "CONFIRMED")
            self.assertEqual(str(e["ORGANIZER"]), "mailto:termine@example.org")
            self.assertEqual(str(e["ORGANIZER"].params["CN"]),
                             "Koordination Nord")
            stamp = e["DTSTAMP"].dt
            self.assertLess(abs((datetime.now(UTC) - stamp).total_seconds()),
                            600)
        timed, allday, series = evs
        self.assertEqual(str(timed["SUMMARY"]), "Willkommenskonferenz")
        start = timed["DTSTART"]
        self.assertEqual(start.params["TZID"], "Europe/Berlin")
        self.assertEqual(start.dt.astimezone(UTC),
                         datetime(2026, 10, 25, 9, 0, tzinfo=UTC))
        # the same instant through the file's own VTIMEZONE rules
        self.assertEqual(berlin.localize(start.dt.replace(tzinfo=None))
                         .astimezone(UTC),
                         datetime(2026, 10, 25, 9, 0, tzinfo=UTC))
        self.assertEqual(timed["DTEND"].dt.astimezone(UTC),
                         datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
        desc = str(timed["DESCRIPTION"])
        self.assertIn("Begrüßung mit *Kaffee*", desc)  # Markdown as text
        self.assertNotIn("**", desc)
        self.assertEqual(str(timed["LOCATION"]), "Kreishaus")
        self.assertNotIn("RRULE", timed)

        self.assertIs(type(allday["DTSTART"].dt), date)
        self.assertEqual(allday["DTSTART"].dt, date(2026, 12, 15))
        self.assertEqual(allday["DTEND"].dt, date(2026, 12, 16))

        rr = series["RRULE"]
        self.assertEqual(rr["FREQ"], ["MONTHLY"])
        self.assertEqual(rr["BYDAY"], ["2TU"])
        self.assertEqual(rr["COUNT"], [3])
        self.assertEqual(series["DTSTART"].dt.astimezone(UTC),
                         datetime(2027, 1, 12, 14, 0, tzinfo=UTC))
        self.assertEqual(str(series["URL"]), "https://meet.example.org/sf")

        # ical.js
        js = self.icaljs(raw)
        self.assertEqual(js["method"], "PUBLISH")
        self.assertEqual(js["tzids"], ["Europe/Berlin"])
        self.assertEqual([e["uid"] for e in js["events"]], want)
        for e in js["events"]:
            self.assertEqual(e["attendees"], 0)
            self.assertEqual(e["organizer"], "mailto:termine@example.org")
            self.assertEqual(e["status"], "CONFIRMED")
        t, a, s = js["events"]
        self.assertEqual((t["start"], t["end"], t["start_tzid"]),
                         ("2026-10-25T09:00:00.000Z",
                          "2026-10-25T12:00:00.000Z", "Europe/Berlin"))
        self.assertIsNone(t["occurrences"])
        self.assertEqual((a["start_is_date"], a["start"], a["end"]),
                         (True, "2026-12-15", "2026-12-16"))
        self.assertEqual(s["summary"], "Selbstfürsorge")
        self.assertEqual(s["occurrences"], [
            "2027-01-12T14:00:00.000Z", "2027-02-09T14:00:00.000Z",
            "2027-03-09T14:00:00.000Z"])

    def test_default_is_published_events_not_ended(self):
        now = datetime.now(UTC)
        raw = self.ics()
        want = [self.uid[i] for i in ("1", "2", "3") if self.ends[i] >= now]
        self.assertEqual(self.uids(raw), want)
        self.assertEqual([e["uid"] for e in self.icaljs(raw)["events"]], want)
        # a far wider range brings back the past event, never the draft
        # or the cancelled one
        got = self.uids(self.ics("--from", "2020-01-01"))
        self.assertEqual(got, [self.uid[i] for i in ("6", "1", "2", "3")])

    def test_date_range(self):
        got = self.uids(self.ics("--from", "2026-10-01", "--to", "2026-10-31"))
        self.assertEqual(got, [self.uid["1"]])
        # --to includes its whole day
        got = self.uids(self.ics("--from", "2026-12-01", "--to", "2026-12-15"))
        self.assertEqual(got, [self.uid["2"]])
        got = self.uids(self.ics("--from", "2026-10-25 13:01"))
        self.assertEqual(got, [self.uid["2"], self.uid["3"]])
        # a series is in while an occurrence is: the last is 2027-03-09
        self.assertEqual(self.uids(self.ics("--from", "2027-03-09")),
                         [self.uid["3"]])
        self.assertEqual(self.uids(self.ics("--from", "2027-03-10")), [])
        self.assertEqual(self.uids(self.ics("--from", "2027-02-10", "--to",
                                            "2027-03-08")), [])
        # an empty calendar is still a calendar
        cal = icalendar.Calendar.from_ical(self.ics("--from", "2030-01-01"))
        self.assertEqual(str(cal["METHOD"]), "PUBLISH")
        self.assertEqual(cal.walk("VEVENT"), [])
        self.assertEqual(cal.walk("VTIMEZONE"), [])

    def test_ids_exactly_those(self):
        raw = self.ics("3", "2", "3")
        self.assertEqual(self.uids(raw), [self.uid["3"], self.uid["2"]])
        # an ended event is published too when asked for by ID
        self.assertEqual(self.uids(self.ics("6")), [self.uid["6"]])
        err = self.fails(EX_DATAERR, "event", "ics", "1", "99")
        self.assertIn("99", err)
        self.assertNotIn("event 1", err)
        err = self.fails(EX_DATAERR, "event", "ics", "1", "4")
        self.assertRegex(err, r"event 4 is draft, not published")
        err = self.fails(EX_DATAERR, "event", "ics", "5")
        self.assertRegex(err, r"event 5 is cancelled, not published")
        self.fails(EX_USAGE, "event", "ics", "1", "x")
        self.fails(EX_USAGE, "event", "ics", "0")
        self.fails(EX_USAGE, "event", "ics", "1", "--from", "2026-01-01")
        self.fails(EX_USAGE, "event", "ics", "--from", "morgen")
        self.fails(EX_USAGE, "event", "ics", "--bogus")

    def test_output_file_atomic_and_equal_to_stdout(self):
        site = os.path.join(self.dir, "site")
        os.mkdir(site)
        path = os.path.join(site, "termine.ics")
        with open(path, "w") as f:
            f.write("old")
        os.chmod(path, 0o640)
        out = self.ok("event", "ics", "--from", "2026-10-01", "--output", path)
        self.assertIn("3 events", out)
        raw = self.ics("--from", "2026-10-01")
        with open(path, "rb") as f:
            written = f.read()

        def norm(b):  # DTSTAMP is "now": the two runs may differ there
            return re.sub(rb"DTSTAMP:\d{8}T\d{6}Z", b"DTSTAMP:X", b)

        self.assertEqual(norm(written), norm(raw))
        self.assertIn(b"BEGIN:VEVENT", written)
        self.assertEqual(os.listdir(site), ["termine.ics"])  # no temp left
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o640)
        # "-" is standard output
        self.assertEqual(norm(self.ics("--from", "2026-10-01", "--output",
                                       "-")), norm(raw))
        # a directory that does not exist: nothing written
        missing = os.path.join(self.dir, "nowhere", "termine.ics")
        err = self.fails(EX_CANTCREAT, "event", "ics", "--output", missing)
        self.assertIn(missing, err)
        self.assertFalse(os.path.exists(os.path.dirname(missing)))

    def test_help_says_cancelled_excluded(self):
        out = self.ok("event", "ics", "--help")
        self.assertIn("usage: rundbrief event ics", out)
        self.assertIn("cancelled events are never included", out)


if __name__ == "__main__":
    unittest.main(verbosity=1)
