#!/usr/bin/python3
"""End-to-end tests of event invitations, updates and cancellations (iMIP,
RFC 6047): events are published, changed and cancelled with `rundbrief`,
`rundbrief queue run` delivers them with the file transport into a Maildir,
and every message found there is read back with Python's email package; its
calendar part with two real parsers, python3-icalendar and ical.js
(Thunderbird's, through node and invite_check.js).

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build dir,
RUNDBRIEF_SRC the source tree (ical.js is in RUNDBRIEF_SRC/tests/node_modules).
"""
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from datetime import date, datetime, timedelta, timezone

import dateutil.rrule
import icalendar

SRC = os.environ.get("RUNDBRIEF_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "rundbrief")
HELPER = os.path.join(SRC, "tests", "integration", "invite_check.js")
UTC = timezone.utc

ORG_ADDR = "ehrenamt@landkreis.example"
ORG_CN = "Koordinierungsstelle Ehrenamt"
FROM = "Ehrenamt im Kreis <%s>" % ORG_ADDR
TZID = "Europe/Berlin"

DESCRIPTION_MD = """## Programm

Wir **begrüßen** alle neuen Ehrenamtlichen mit *Kaffee* und Kuchen.

- Grußwort der Landrätin
- Austausch in den Netzwerken

Anmeldung über das [Formular](https://ehrenamt.landkreis.example/anmeldung).
"""

# (address, name, districts, status). The organizer's own address (in
# another case) is a subscriber too: it must never be invited.
PEOPLE = [
    ("anna@example.org", "Anna Schneider", ["Nord"], "active"),
    ("joerg@example.org", "Jörg Müller-Lüdenscheidt", ["Nord", "Süd"],
     "active"),
    ("bob@example.org", "", ["Süd"], "active"),
    ("uelkue@example.org", "Ülkü Yılmaz", [], "active"),
    ("Ehrenamt@Landkreis.Example", "Postfach der Koordination", ["Nord"],
     "active"),
    ("paula@example.org", "Paula Wartend", ["Nord"], "pending"),
    ("gerd@example.org", "Gerd Abgemeldet", ["Nord", "Süd"], "unsubscribed"),
    ("bea@example.org", "Bea Unzustellbar", ["Nord", "Süd"], "bounced"),
]
NAMES = {p[0]: p[1] for p in PEOPLE}
NORD = {"anna@example.org", "joerg@example.org"}
SUED = {"joerg@example.org", "bob@example.org"}
MEET = "https://meet.landkreis.example/schulung?raum=42&sprache=de"
EVERYONE = {"anna@example.org", "joerg@example.org", "bob@example.org",
            "uelkue@example.org"}


def utc(text):
    """A UTC instant written "YYYY-MM-DD HH:MM", as a Unix time."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M")
               .replace(tzinfo=UTC).timestamp())


# The events of the invitation test, with what each invitation must say.
# Local times are Europe/Berlin; the expected instants are UTC.
EVENTS = {
    # 25 Oct 2026 is the day summer time ends (03:00 CEST -> 02:00 CET):
    # 10:00 is CET, UTC+1.
    "autumn": {
        "args": ["--kind", "welcome_conference", "--title",
                 "Willkommenskonferenz für Übersetzer – Nord",
                 "--start", "2026-10-25 10:00", "--end", "2026-10-25 12:30",
                 "--location", "Kreishaus, Saal Süd", "--district", "Nord",
                 "--description-file", "{desc}"],
        "recipients": NORD,
        "start": {"utc": utc("2026-10-25 09:00")},
        "end": {"utc": utc("2026-10-25 11:30")},
        "location": "Kreishaus, Saal Süd", "url": None,
        "description": ["begrüßen", "Grußwort der Landrätin",
                        "https://ehrenamt.landkreis.example/anmeldung"],
    },
    # 28 Mar 2027 is the day summer time starts: 10:00 is CEST, UTC+2.
    "spring": {
        "args": ["--kind", "volunteer_fair", "--title",
                 "Ehrenamtsmesse „Gemeinsam stärker“ im Bürgerhaus",
                 "--start", "2027-03-28 10:00", "--end", "2027-03-28 16:00",
                 "--location", "Bürgerhaus Großenlüder, Hauptstraße 7",
                 "--capacity", "120"],
        "recipients": EVERYONE,
        "start": {"utc": utc("2027-03-28 08:00")},
        "end": {"utc": utc("2027-03-28 14:00")},
        "location": "Bürgerhaus Großenlüder, Hauptstraße 7", "url": None,
        "description": None,
    },
    # An all-day deadline: DTEND is the day after (exclusive).
    "deadline": {
        "args": ["--kind", "deadline", "--title",
                 "Förderfrist: Anträge für die Übungsleiterpauschale",
                 "--start", "2026-12-15", "--all-day"],
        "recipients": EVERYONE,
        "start": {"date": "2026-12-15"},
        "end": {"date": "2026-12-16"},
        "location": None, "url": None, "description": None,
    },
    # A monthly offer on the 2nd Tuesday, 18:00 local: 17:00Z in winter,
    # 16:00Z from April on.
    "monthly": {
        "args": ["--kind", "network_meeting", "--title",
                 "Sprachcafé Süd – Netzwerktreffen",
                 "--start", "2027-02-09 18:00", "--end", "2027-02-09 20:00",
                 "--rrule", "FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
                 "--location", "Stadtteilbüro Süd, Lindenstraße 3",
                 "--district", "Süd"],
        "recipients": SUED,
        "start": {"utc": utc("2027-02-09 17:00")},
        "end": {"utc": utc("2027-02-09 19:00")},
        "location": "Stadtteilbüro Süd, Lindenstraße 3", "url": None,
        "description": None,
        "occurrences": [utc("2027-02-09 17:00"), utc("2027-03-09 17:00"),
                        utc("2027-04-13 16:00")],
        "all_occurrences": 6,
        "last_occurrence": utc("2027-07-13 16:00"),
    },
    # Online: the link is the URL, and (ical.h) the LOCATION too, since
    # Outlook shows no URL.
    "online": {
        "args": ["--kind", "training", "--title",
                 "Online-Schulung: Asylrecht für Ehrenamtliche",
                 "--start", "2026-12-08 17:00", "--end", "2026-12-08 18:30",
                 "--online-url", MEET],
        "recipients": EVERYONE,
        "start": {"utc": utc("2026-12-08 16:00")},
        "end": {"utc": utc("2026-12-08 17:30")},
        "location": MEET, "url": MEET,
        "description": None,
    },
}


# ---- the sandbox: a configuration, a database, a Maildir ----

class Sandbox:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-inv-")
        self.maildir = os.path.join(self.dir, "outbox")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[general]\n"
                    "database = %s/db/rundbrief.db\n"
                    "timezone = Europe/Berlin\n"
                    "language = de\n"
                    "organizer_email = %s\n"
                    "organizer_name = %s\n"
                    "[smtp]\n"
                    "maildir = %s\n"
                    "from = %s\n" % (self.dir, ORG_ADDR, ORG_CN,
                                     self.maildir, FROM))
        os.chmod(self.conf, 0o600)
        self.seen = set()
        self.ncal = 0
        self.ok("init")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, *args):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        return subprocess.run([TOOL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, env=env,
                              cwd=self.dir, timeout=60)

    def ok(self, *args):
        r = self.run(*args)
        if r.returncode != 0:
            raise AssertionError("rundbrief %s: exit %d: %s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout

    def people(self, people):
        self.ok("district", "add", "Nord", "Süd")
        for addr, name, districts, status in people:
            args = ["subscriber", "add", addr, "--name", name]
            for d in districts:
                args += ["--district", d]
            # the pending ones are in the database as an import leaves
            # them: without the confirmation request (test_replies_cli
            # checks that mail)
            args.append("--confirmed" if status != "pending" else
                        "--no-mail")
            self.ok(*args)
            if status == "unsubscribed":
                self.ok("subscriber", "unsubscribe", addr)
            elif status == "bounced":
                self.ok("subscriber", "set", addr, "--status", "bounced")
        got = {s["email"]: s["status"] for s in
               json.loads(self.ok("subscriber", "list", "--format", "json"))}
        want = {p[0]: p[3] for p in people}
        if got != want:
            raise AssertionError("subscribers: got %r, want %r" % (got, want))

    def add_event(self, args):
        desc = os.path.join(self.dir, "beschreibung.md")
        if not os.path.exists(desc):
            with open(desc, "w", encoding="utf-8") as f:
                f.write(DESCRIPTION_MD)
        out = self.ok("event", "add", *[a.replace("{desc}", desc)
                                        for a in args])
        m = re.search(r"added event (\d+)", out)
        if not m:
            raise AssertionError("event add said: " + out)
        return m.group(1)

    def show(self, eid):
        return json.loads(self.ok("event", "show", eid, "--format", "json"))

    def queue(self):
        return json.loads(self.ok("queue", "--format", "json"))

    def deliver(self):
        """Runs the queue; returns (its output, the new messages)."""
        out = self.ok("queue", "run")
        new = os.path.join(self.maildir, "new")
        names = sorted(set(os.listdir(new)) - self.seen) \
            if os.path.isdir(new) else []
        self.seen.update(names)
        mails = [Mail(os.path.join(new, n)) for n in names]
        read_calendars(self, [m for m in mails if m.calendar is not None])
        return out, mails


class Mail:
    """One delivered message, parsed with the email package."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.raw = f.read()
        self.msg = email.message_from_bytes(self.raw,
                                            policy=email.policy.default)
        addrs = self.msg["To"].addresses if self.msg["To"] else ()
        self.to = addrs[0].addr_spec if len(addrs) == 1 else None
        cals = [p for p in self.msg.walk()
                if p.get_content_type() == "text/calendar"]
        self.calendar = cals[0].get_payload(decode=True) \
            if len(cals) == 1 else None
        self.method = cals[0].get_param("method") if len(cals) == 1 else None
        plain = self.msg.get_body(("plain",))
        self.text = plain.get_content() if plain is not None else ""
        self.py = self.js = None

    def __repr__(self):
        return "<mail to %s, %s>" % (self.to, os.path.basename(self.path))


# ---- reading calendars with both parsers ----

def read_calendars(box, mails):
    """Sets mail.py and mail.js: what each parser read of its calendar."""
    if not mails:
        return
    caldir = os.path.join(box.dir, "calendars")
    os.makedirs(caldir, exist_ok=True)
    files = []
    for m in mails:
        box.ncal += 1
        path = os.path.join(caldir, "%04d.ics" % box.ncal)
        with open(path, "wb") as f:
            f.write(m.calendar)
        files.append(path)
        m.py = py_facts(m.calendar)
    env = dict(os.environ, RUNDBRIEF_SRC=SRC)
    r = subprocess.run(["node", HELPER] + files, capture_output=True,
                       text=True, env=env, timeout=60)
    if r.returncode != 0:
        raise AssertionError("ical.js could not read the calendars: "
                             + r.stderr)
    for m, facts in zip(mails, json.loads(r.stdout)):
        m.js = facts


def py_facts(raw):
    """What python3-icalendar reads, in invite_check.js's shape. Timed values
    carry "utc" as icalendar resolves the TZID by name (pytz), and
    "utc_vtimezone" as the calendar's own VTIMEZONE resolves it."""
    cal = icalendar.Calendar.from_ical(raw)
    zones = {}
    for vtz in cal.walk("VTIMEZONE"):
        zones[str(vtz["TZID"])] = vtz.to_tz()

    def text(v):
        return None if v is None else str(v)

    def time_of(prop):
        if prop is None:
            return None
        v = prop.dt
        if type(v) is date:
            return {"date": v.isoformat(), "value": prop.params.get("VALUE")}
        tzid = prop.params.get("TZID")
        out = {"utc": int(v.astimezone(UTC).timestamp()) if v.tzinfo
               else None, "tzid": tzid,
               "is_utc": tzid is None and v.tzinfo is not None and
               v.utcoffset() == timedelta(0)}
        if tzid in zones:
            local = zones[tzid].localize(v.replace(tzinfo=None))
            out["utc_vtimezone"] = int(local.astimezone(UTC).timestamp())
        return out

    def person(p):
        return {"value": str(p), "cn": text(p.params.get("CN")),
                "role": p.params.get("ROLE"),
                "partstat": p.params.get("PARTSTAT"),
                "rsvp": p.params.get("RSVP")}

    def occurrences(vev, start):
        """The first 3 occurrences, and all (at most 100), expanded in
        local time with dateutil and resolved with the VTIMEZONE."""
        rule = vev.get("RRULE")
        if rule is None:
            return None, None
        if type(start) is date:
            rr = dateutil.rrule.rrulestr(rule.to_ical().decode(),
                                         dtstart=datetime.combine(
                                             start, datetime.min.time()))
            every = [o.date().isoformat() for o in rr[:100]]
            return [{"date": d} for d in every[:3]], every
        rr = dateutil.rrule.rrulestr(rule.to_ical().decode(),
                                     dtstart=start.replace(tzinfo=None),
                                     ignoretz=True)
        tz = zones.get(vev["DTSTART"].params.get("TZID"))
        every = [int(tz.localize(o).astimezone(UTC).timestamp())
                 if tz else None for o in rr[:100]]
        return [{"utc": t} for t in every[:3]], every

    events = []
    for vev in cal.walk("VEVENT"):
        atts = vev.get("ATTENDEE")
        atts = [] if atts is None else (
            atts if isinstance(atts, list) else [atts])
        occ, every = occurrences(vev, vev["DTSTART"].dt) \
            if "DTSTART" in vev else (None, None)
        events.append({
            "uid": text(vev.get("UID")),
            "sequence": int(vev["SEQUENCE"]) if "SEQUENCE" in vev else None,
            "status": text(vev.get("STATUS")),
            "summary": text(vev.get("SUMMARY")),
            "description": text(vev.get("DESCRIPTION")),
            "location": text(vev.get("LOCATION")),
            "url": text(vev.get("URL")),
            "dtstamp": time_of(vev.get("DTSTAMP")),
            "start": time_of(vev.get("DTSTART")),
            "end": time_of(vev.get("DTEND")),
            "organizer": person(vev["ORGANIZER"])
            if "ORGANIZER" in vev else None,
            "attendees": [person(a) for a in atts],
            "alarms": [{"action": text(a.get("ACTION")),
                        "trigger": int(a["TRIGGER"].dt.total_seconds())
                        if isinstance(a["TRIGGER"].dt, timedelta) else None,
                        "description": text(a.get("DESCRIPTION"))}
                       for a in vev.subcomponents if a.name == "VALARM"],
            "rrule": vev["RRULE"].to_ical().decode()
            if "RRULE" in vev else None,
            "occurrences": occ,
            "every_occurrence": every,
        })
    return {"component": cal.name.lower(),
            "version": text(cal.get("VERSION")),
            "prodid": text(cal.get("PRODID")),
            "method": text(cal.get("METHOD")),
            "vtimezones": [str(v["TZID"]) for v in cal.walk("VTIMEZONE")],
            "events": events}


# ---- checks shared by the test classes ----

class Checks(unittest.TestCase):
    """A sandbox per class, set up by scenario(); shared assertions."""
    box = None

    @classmethod
    def setUpClass(cls):
        cls.box = Sandbox()
        try:
            cls.scenario(cls.box)
        except BaseException:
            cls.box.close()
            raise

    @classmethod
    def scenario(cls, box):
        pass

    @classmethod
    def tearDownClass(cls):
        if cls.box is not None:
            cls.box.close()

    def assert_mime(self, mail, method):
        """multipart/mixed { multipart/alternative { text/plain, text/html,
        text/calendar; method }, application/ics invite.ics }."""
        m = mail.msg
        for part in m.walk():
            self.assertEqual(list(part.defects), [], "MIME defects")
        self.assertEqual(m["From"], FROM)
        self.assertIsNotNone(mail.to, "To must name exactly one address")
        self.assertIsNone(m["Cc"])
        self.assertIsNone(m["Bcc"])
        self.assertEqual(m.get_content_type(), "multipart/mixed")
        top = list(m.iter_parts())
        self.assertEqual([p.get_content_type() for p in top],
                         ["multipart/alternative", "application/ics"])
        alt = list(top[0].iter_parts())
        self.assertEqual([p.get_content_type() for p in alt],
                         ["text/plain", "text/html", "text/calendar"])
        for p in alt:
            self.assertEqual((p.get_param("charset") or "").upper(), "UTF-8",
                             p.get_content_type())
            self.assertIsInstance(p.get_content(), str)
        cal, att = alt[2], top[1]
        self.assertEqual(cal.get_param("method"), method)
        self.assertIsNone(cal["Content-Disposition"],
                          "the text/calendar part must be inline, unnamed")
        self.assertIsNone(cal["Content-ID"])
        self.assertEqual(att.get_content_disposition(), "attachment")
        self.assertEqual(att.get_filename(), "invite.ics")
        self.assertEqual(cal.get_payload(decode=True),
                         att.get_payload(decode=True),
                         "the attachment differs from the calendar part")

    def assert_lines(self, raw):
        """CRLF line ends, folded at 75 octets, never inside a character."""
        self.assertTrue(raw.endswith(b"\r\n"))
        self.assertNotIn(b"freeassociation", raw.lower())
        for i, line in enumerate(raw[:-2].split(b"\r\n")):
            self.assertNotIn(b"\n", line, "bare LF in line %d" % (i + 1))
            self.assertNotIn(b"\r", line, "bare CR in line %d" % (i + 1))
            self.assertLessEqual(len(line), 75, "line %d too long" % (i + 1))
            line.decode("utf-8")  # raises if folded inside a character

    def assert_itip(self, mail, method, uid, sequence, summary):
        """What every invitation, update and cancellation must say, as both
        parsers read it. Returns the two VEVENT views (python, ical.js)."""
        self.assertEqual(mail.method, method, "MIME method parameter")
        self.assert_lines(mail.calendar)
        views = []
        for name, facts in (("python-icalendar", mail.py),
                            ("ical.js", mail.js)):
            with self.subTest(parser=name, to=mail.to):
                self.assertEqual(facts["component"], "vcalendar")
                self.assertEqual(facts["version"], "2.0")
                self.assertTrue(facts["prodid"], "PRODID missing")
                self.assertEqual(facts["method"], mail.method,
                                 "METHOD differs from the MIME method=")
                self.assertEqual(len(facts["events"]), 1, "one VEVENT")
                ev = facts["events"][0]
                views.append(ev)
                self.assertEqual(ev["uid"], uid)
                self.assertEqual(ev["sequence"], sequence)
                self.assertEqual(ev["summary"], summary)
                self.assertIsNotNone(ev["dtstamp"], "DTSTAMP missing")
                self.assertTrue(ev["dtstamp"]["is_utc"], "DTSTAMP not UTC")
                self.assertLessEqual(abs(ev["dtstamp"]["utc"] -
                                         time.time()), 600,
                                     "DTSTAMP is not the sending time")
                self.assertEqual(ev["organizer"]["value"],
                                 "mailto:" + ORG_ADDR)
                self.assertEqual(ev["organizer"]["cn"], ORG_CN)
                self.assertEqual(len(ev["attendees"]), 1, "one ATTENDEE")
                att = ev["attendees"][0]
                self.assertEqual(att["value"], "mailto:" + mail.to)
                self.assertEqual(att["cn"], NAMES.get(mail.to) or None)
                self.assertEqual(att["role"], "REQ-PARTICIPANT")
                self.assertEqual(att["partstat"], "NEEDS-ACTION")
                if method == "REQUEST":
                    self.assertEqual(att["rsvp"], "TRUE")
                    self.assertEqual(ev["status"], "CONFIRMED")
                    self.assertEqual(len(ev["alarms"]), 1, "one VALARM")
                    self.assertEqual(ev["alarms"][0]["action"], "DISPLAY")
                    self.assertEqual(ev["alarms"][0]["trigger"], -86400,
                                     "the alarm is 1d (the default)")
                else:
                    self.assertEqual(ev["status"], "CANCELLED")
                    self.assertEqual(ev["alarms"], [], "no alarm in CANCEL")
        return views

    def assert_times(self, mail, exp):
        """DTSTART/DTEND (and occurrences) against exp, in both parsers."""
        timed = "utc" in exp["start"]
        for name, facts in (("python-icalendar", mail.py),
                            ("ical.js", mail.js)):
            with self.subTest(parser=name, to=mail.to):
                if timed:
                    self.assertEqual(facts["vtimezones"], [TZID],
                                     "exactly one VTIMEZONE, Europe/Berlin")
                else:
                    for tzid in facts["vtimezones"]:
                        self.assertEqual(tzid, TZID)
                got = facts["events"][0]
                for key in ("start", "end"):
                    t, want = got[key], exp[key]
                    self.assertIsNotNone(t, key + " missing")
                    if timed:
                        self.assertEqual(t["tzid"], TZID, key + " TZID")
                        self.assertEqual(t["utc"], want["utc"], key)
                        if name == "python-icalendar":
                            self.assertEqual(t.get("utc_vtimezone"),
                                             want["utc"],
                                             key + " through the VTIMEZONE")
                    else:
                        self.assertEqual(t["date"], want["date"], key)
                        if name == "python-icalendar":
                            self.assertEqual(t["value"], "DATE")
                if "occurrences" in exp:
                    self.assertEqual([o.get("utc") for o in
                                      got["occurrences"]],
                                     exp["occurrences"], "occurrences")
                else:
                    self.assertIsNone(got["rrule"], "unexpected RRULE")


# ---- the tests ----

class Invitations(Checks):
    """`event publish` invites the active subscribers of the district."""

    @classmethod
    def scenario(cls, box):
        box.people(PEOPLE)
        cls.ids, cls.shows, cls.published = {}, {}, {}
        for key, ev in EVENTS.items():
            eid = box.add_event(ev["args"])
            cls.ids[key] = eid
            cls.published[key] = box.ok("event", "publish", eid)
            cls.shows[key] = box.show(eid)
        cls.run_output, cls.mails = box.deliver()
        cls.by_uid = {}
        for m in cls.mails:
            uid = m.py["events"][0]["uid"] if m.py and m.py["events"] \
                else None
            cls.by_uid.setdefault(uid, []).append(m)
        cls.uid_key = {cls.shows[k]["uid"]: k for k in EVENTS}

    def test_publish_reports_the_number_queued(self):
        for key, ev in EVENTS.items():
            with self.subTest(event=key):
                self.assertRegex(self.published[key],
                                 r"invitation queued for %d subscribers?\b"
                                 % len(ev["recipients"]))
        self.assertIn("sent %d," % sum(len(e["recipients"])
                                        for e in EVENTS.values()),
                      self.run_output)

    def test_one_message_per_active_subscriber_of_the_district(self):
        self.assertEqual(set(self.by_uid), set(self.uid_key),
                         "every message belongs to one published event")
        for uid, mails in self.by_uid.items():
            key = self.uid_key[uid]
            with self.subTest(event=key):
                got = sorted(m.to for m in mails)
                # no duplicates, exactly the active people of the district,
                # never the organizer (subscribed as Ehrenamt@Landkreis…)
                self.assertEqual(got, sorted(EVENTS[key]["recipients"]))
        everyone = {m.to.lower() for m in self.mails}
        for addr, _, _, status in PEOPLE:
            if status != "active" or addr.lower() == ORG_ADDR:
                self.assertNotIn(addr.lower(), everyone)

    def test_mime_structure(self):
        self.assertEqual(len(self.mails), sum(len(e["recipients"])
                                              for e in EVENTS.values()))
        for m in self.mails:
            with self.subTest(mail=m):
                self.assert_mime(m, "REQUEST")

    def test_calendar_object(self):
        self.assertEqual(len(self.mails), sum(len(e["recipients"])
                                              for e in EVENTS.values()))
        for m in self.mails:
            key = self.uid_key[m.py["events"][0]["uid"]]
            show = self.shows[key]
            with self.subTest(event=key, to=m.to):
                self.assertEqual(show["sequence"], 0)
                views = self.assert_itip(m, "REQUEST", show["uid"], 0,
                                         show["title"])
                exp = EVENTS[key]
                for ev in views:
                    self.assertEqual(ev["location"], exp["location"])
                    self.assertEqual(ev["url"], exp["url"])
                    if exp["description"] is None:
                        continue
                    desc = ev["description"] or ""
                    for s in exp["description"]:
                        self.assertIn(s, desc)
                    # plain text: no Markdown markup, no HTML tags, and
                    # line breaks that are line breaks
                    for s in ("**", "##", "](", "\\n"):
                        self.assertNotIn(s, desc)
                    self.assertNotRegex(desc, r"</?[A-Za-z][A-Za-z0-9]*"
                                        r"(\s[^>]*)?>")
                    self.assertIn("\n", desc)

    def check_event(self, key):
        mails = self.by_uid.get(self.shows[key]["uid"], [])
        self.assertEqual(len(mails), len(EVENTS[key]["recipients"]))
        for m in mails:
            self.assert_times(m, EVENTS[key])
        return mails

    def test_times_on_the_day_summer_time_ends(self):
        self.check_event("autumn")

    def test_times_on_the_day_summer_time_starts(self):
        self.check_event("spring")

    def test_all_day_deadline(self):
        for m in self.check_event("deadline"):
            self.assertRegex(m.calendar.decode(),
                             r"\r\nDTSTART;VALUE=DATE:20261215\r\n")

    def test_monthly_offer_on_the_second_tuesday(self):
        exp = EVENTS["monthly"]
        for m in self.check_event("monthly"):
            with self.subTest(to=m.to):
                rule = m.py["events"][0]["rrule"]
                self.assertEqual(dict(p.split("=") for p in rule.split(";")),
                                 {"FREQ": "MONTHLY", "BYDAY": "2TU",
                                  "COUNT": "6"})
                every = m.py["events"][0]["every_occurrence"]
                self.assertEqual(len(every), exp["all_occurrences"])
                self.assertEqual(every[-1], exp["last_occurrence"])
                # the mail says the rule in words, then the next date
                self.assertIn("jeden 2. Dienstag im Monat, 18:00–20:00 "
                              "Uhr, sechsmal", m.text)
                self.assertIn("nächster Termin: Dienstag, 9. Februar "
                              "2027, 18:00–20:00 Uhr", m.text)

    def test_online_event_has_its_link(self):
        for m in self.check_event("online"):
            for ev in (m.py["events"][0], m.js["events"][0]):
                self.assertEqual(ev["url"], EVENTS["online"]["url"])
            self.assertIn(EVENTS["online"]["url"], m.text)


class UpdatesAndCancellation(Checks):
    """A changed date goes to everyone invited as a REQUEST with SEQUENCE 1;
    a title change sends nothing; a cancellation goes to those invited."""

    OLD_START, OLD_END = "2026-10-25 10:00", "2026-10-25 12:30"
    NEW_START, NEW_END = "2026-10-31 15:00", "2026-10-31 17:30"

    @classmethod
    def scenario(cls, box):
        box.people(PEOPLE)
        cls.eid = eid = box.add_event([
            "--kind", "welcome_conference", "--title",
            "Willkommenskonferenz für Übersetzer", "--start", cls.OLD_START,
            "--end", cls.OLD_END, "--location", "Kreishaus, Saal Süd",
            "--district", "Nord"])
        box.ok("event", "publish", eid)
        cls.old = box.show(eid)
        _, cls.invitations = box.deliver()

        # A title-only change: no mail (README: title and description
        # changes keep the SEQUENCE and send nothing).
        cls.mailings_before = len(box.queue())
        cls.title_out = box.ok("event", "update", eid, "--title",
                               "Willkommenskonferenz für Dolmetscher:innen")
        cls.mailings_after_title = len(box.queue())
        cls.title_run, cls.title_mails = box.deliver()
        cls.after_title = box.show(eid)

        # Someone subscribes after the invitation went out.
        box.ok("subscriber", "add", "spaet@example.org", "--name",
               "Sven Später", "--district", "Nord", "--confirmed")

        cls.update_out = box.ok("event", "update", eid, "--start",
                                cls.NEW_START, "--end", cls.NEW_END)
        cls.new = box.show(eid)
        _, cls.updates = box.deliver()

        cls.cancel_out = box.ok("event", "cancel", eid)
        cls.cancelled = box.show(eid)
        _, cls.cancellations = box.deliver()

    def test_invitations_went_to_the_district(self):
        self.assertEqual(sorted(m.to for m in self.invitations), sorted(NORD))

    def test_title_only_update_sends_nothing(self):
        self.assertNotIn("queued", self.title_out)
        self.assertEqual(self.mailings_after_title, self.mailings_before)
        self.assertEqual(self.title_mails, [])
        self.assertIn("sent 0,", self.title_run)
        self.assertEqual(self.after_title["sequence"], 0)

    def test_update_goes_to_everyone_invited_and_nobody_else(self):
        self.assertRegex(self.update_out, r"update queued for 2 subscribers")
        self.assertEqual(sorted(m.to for m in self.updates), sorted(NORD))

    def test_update_is_a_request_with_sequence_1_and_new_times(self):
        self.assertEqual(self.new["sequence"], 1)
        self.assertEqual(self.new["uid"], self.old["uid"])
        exp = {"start": {"utc": utc("2026-10-31 14:00")},
               "end": {"utc": utc("2026-10-31 16:30")}}
        self.assertEqual(len(self.updates), len(NORD))
        for m in self.updates:
            with self.subTest(to=m.to):
                self.assert_mime(m, "REQUEST")
                views = self.assert_itip(m, "REQUEST", self.old["uid"], 1,
                                         self.new["title"])
                self.assert_times(m, exp)
                for ev in views:
                    self.assertEqual(ev["location"], "Kreishaus, Saal Süd")

    def test_update_text_says_what_changed(self):
        old_when, new_when = self.old["when"], self.new["when"]
        self.assertNotEqual(old_when, new_when)
        self.assertIn("25. Oktober 2026", old_when)
        self.assertIn("31. Oktober 2026", new_when)
        self.assertEqual(len(self.updates), len(NORD))
        for m in self.updates:
            with self.subTest(to=m.to):
                self.assertIn(old_when, m.text)
                self.assertIn(new_when, m.text)
                self.assertLess(m.text.index(old_when),
                                m.text.index(new_when), "old before new")

    def test_cancellation_goes_only_to_those_invited(self):
        self.assertRegex(self.cancel_out,
                         r"cancellation queued for 2 subscribers")
        self.assertEqual(sorted(m.to for m in self.cancellations),
                         sorted(NORD))

    def test_cancellation_object(self):
        self.assertEqual(self.cancelled["status"], "cancelled")
        seq = self.cancelled["sequence"]
        self.assertGreater(seq, 1, "cancelling raises the SEQUENCE")
        self.assertEqual(len(self.cancellations), len(NORD))
        for m in self.cancellations:
            with self.subTest(to=m.to):
                self.assert_mime(m, "CANCEL")
                self.assert_itip(m, "CANCEL", self.old["uid"], seq,
                                 self.cancelled["title"])


class PublishWithoutMail(Checks):
    def test_no_mail_queues_nothing(self):
        box = self.box
        box.people(PEOPLE[:2])
        eid = box.add_event(EVENTS["autumn"]["args"])
        out = box.ok("event", "publish", eid, "--no-mail")
        self.assertNotIn("queued", out)
        self.assertEqual(box.show(eid)["status"], "published")
        self.assertEqual(box.queue(), [])
        run, mails = box.deliver()
        self.assertIn("sent 0,", run)
        self.assertEqual(mails, [])


class UnsubscribeBeforeDelivery(Checks):
    def test_unsubscribed_before_the_run_is_not_sent(self):
        box = self.box
        box.people(PEOPLE)
        eid = box.add_event(EVENTS["spring"]["args"])
        out = box.ok("event", "publish", eid)
        self.assertRegex(out, r"mailing (\d+): invitation queued for 4 "
                         r"subscribers")
        mid = int(re.search(r"mailing (\d+)", out).group(1))
        box.ok("subscriber", "unsubscribe", "joerg@example.org")
        run, mails = box.deliver()
        self.assertIn("skipped 1", run)
        self.assertEqual(sorted(m.to for m in mails),
                         sorted(EVERYONE - {"joerg@example.org"}))
        row = [r for r in box.queue() if r["mailing"] == mid]
        self.assertEqual(len(row), 1)
        self.assertEqual((row[0]["kind"], row[0]["sent"], row[0]["cancelled"],
                          row[0]["queued"], row[0]["failed"]),
                         ("invitation", 3, 1, 0, 0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
