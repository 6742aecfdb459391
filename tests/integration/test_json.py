#!/usr/bin/python3
"""Every `--format json` output of `rundbrief` is what a script expects:
one object per record, JSON numbers for ids and counts, true/false, null
for "none"/"unlimited", arrays for lists, ISO 8601 UTC times, and the same
field names (and types) in `show`, `list` and `export`. Runs on a
temporary database with the sample data, a recurring draft event and a
delivered newsletter. Run by `make check` (RUNDBRIEF_BUILD names the
build dir)."""
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

TIME = "time"            # "YYYY-MM-DDTHH:MM:SSZ"
STRS = "list of strings"
OBJS = "list of objects"

# The type of every field, per kind of record; a tuple allows null.
SUBSCRIBER = {
    "email": str, "name": str, "language": str, "status": str,
    "districts": STRS, "topics": STRS, "consent_source": (str, None),
    "consent_at": (TIME, None), "hard_bounces": int, "created_at": TIME,
    "updated_at": TIME, "unsubscribe_token": str, "mail": OBJS,
    "bounce_history": OBJS,
}
BOUNCE = {
    "received_at": TIME, "source": str, "status": (str, None),
    "permanent": bool, "diagnostic": (str, None), "message_id": (str, None),
}
ATTENDEE = {
    "name": (str, None), "email": str, "status": str,
    "occurrence": (str, None), "guest": bool, "received_at": TIME,
    "comment": (str, None),
}
MAIL = {
    "mailing": int, "kind": str, "title": str, "state": str,
    "sent_at": (TIME, None), "message_id": (str, None),
}
EVENT = {
    "id": int, "uid": str, "kind": str, "title": str, "status": str,
    "when": str, "start": str, "end": str, "time_zone": str,
    "all_day": bool, "rrule": (str, None), "location": (str, None),
    "online_url": (str, None), "district": (str, None),
    "capacity": (int, None), "sequence": int, "created_at": TIME,
    "updated_at": TIME, "description": str,
    "accepted": int, "tentative": int, "declined": int,
    "guests_accepted": int, "guests_tentative": int, "guests_declined": int,
}
DISTRICT = {
    "id": int, "name": str, "active_subscribers": int, "published_events": int,
}
MAILING = {
    "mailing": int, "kind": str, "title": str, "state": str,
    "created_at": TIME, "finished_at": (TIME, None), "queued": int,
    "sent": int, "deferred": int, "failed": int, "cancelled": int,
    "blocked_reason": (str, None),
}

STATUS = {
    "timezone": str, "now": TIME, "held": STRS, "jobs": OBJS,
    "more_jobs": int, "mailings": OBJS, "last_newsletter": (dict, None),
    "subscribers": dict,
}
JOB = {
    "key": str, "kind": str, "due": TIME, "due_local": str,
    "month": (str, None), "event_id": (int, None), "event_uid": (str, None),
    "event_title": (str, None), "occurrence": (TIME, None),
    "occurrence_local": (str, None), "offset": (str, None),
    "recipients": int, "waiting": (str, None),
}
RUNNING = {
    "mailing": int, "kind": str, "title": str, "state": str,
    "created_at": TIME, "created_at_local": str, "sent": int, "total": int,
    "queued": int, "deferred": int, "failed": int, "cancelled": int,
    "blocked_reason": (str, None),
}
LAST_NEWSLETTER = {
    "mailing": int, "title": str, "state": str, "created_at": TIME,
    "created_at_local": str, "finished_at": (TIME, None),
    "finished_at_local": (str, None), "recipients": int, "sent": int,
    "queued": int, "deferred": int, "failed": int, "cancelled": int,
}
COUNTS = {"pending": int, "active": int, "unsubscribed": int, "bounced": int}

# What a field that should have been typed looks like as a string.
UNTYPED = re.compile(r"-?\d+|yes|no|true|false|none|null|unlimited|"
                     r"\(county-wide\)")


class JsonOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rundbrief-json-")
        cls.conf = os.path.join(cls.dir, "rundbrief.ini")
        with open(cls.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                    "content = %s/content\n"
                    "language = de\n[smtp]\nmaildir = %s/outbox\n"
                    % (cls.dir, cls.dir, cls.dir))
        os.chmod(cls.conf, 0o600)
        try:
            for args in (["init"], ["sample", "--no-mail"],
                         ["event", "add", "--kind", "training", "--title",
                          "Sprachcafé", "--start", "2027-03-02 17:00",
                          "--end", "2027-03-02 19:00", "--rrule",
                          "FREQ=MONTHLY;BYDAY=1TU;COUNT=4", "--district",
                          "Nord", "--location", "Café Nord"],
                         ["newsletter", "send"], ["queue", "run"]):
                r = cls.run_tool(*args)
                if r.returncode != 0:
                    raise AssertionError("%s: %s" % (args, r.stderr))
            # answers and a bounce, as the reply reader stores them
            db = sqlite3.connect(os.path.join(cls.dir, "db", "rundbrief.db"))
            with db:
                db.execute("INSERT INTO rsvps(event_id, occurrence, email,"
                           " subscriber_id, name, partstat, sequence,"
                           " dtstamp, comment, received_at) SELECT 1, '',"
                           " email, id, name, 'accepted', 0, 1700000000,"
                           " NULL, 1700000100 FROM subscribers WHERE email"
                           " = 'anna.schneider@example.org'")
                db.execute("INSERT INTO rsvps VALUES (7, '20270302T170000',"
                           " 'gast@example.net', NULL, NULL, 'declined', 0,"
                           " 1700000000, 'Leider krank', 1700000200)")
                db.execute("INSERT INTO bounces(subscriber_id, status,"
                           " permanent, diagnostic, message_id, received_at)"
                           " SELECT id, '5.2.2', 1, 'smtp; 552 full',"
                           " 'dsn@mx.example.org', 1700000300 FROM"
                           " subscribers WHERE email ="
                           " 'anna.schneider@example.org'")
            db.close()
        except BaseException:
            shutil.rmtree(cls.dir)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    @classmethod
    def run_tool(cls, *args):
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        return subprocess.run([TOOL, "-c", cls.conf] + list(args),
                              capture_output=True, text=True, env=env,
                              timeout=120)

    def ok(self, *args):
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, 0, "%s: %s" % (args, r.stderr))
        return r.stdout

    def json(self, *args):
        out = self.ok(*args)
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("%s is not JSON (%s):\n%s" % (args, e, out))

    # ---- checking records ----

    def check_value(self, where, want, v):
        if isinstance(want, tuple):
            if v is None:
                self.assertIn(None, want, "%s is null" % where)
                return
            want = want[0]
        if want is int:
            # bool is an int in Python: 1 and True must not pass for each other
            self.assertIs(type(v), int, "%s = %r, want a number" % (where, v))
        elif want is bool:
            self.assertIs(type(v), bool, "%s = %r, want true/false" % (where,
                                                                      v))
        elif want == TIME:
            self.assertIsInstance(v, str, where)
            self.assertRegex(v, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", where)
        elif want == STRS:
            self.assertIsInstance(v, list, where)
            for x in v:
                self.assertIsInstance(x, str, where)
        elif want == OBJS:
            self.assertIsInstance(v, list, where)
        elif want is dict:
            self.assertIsInstance(v, dict, where)
        else:
            self.assertIsInstance(v, str, where)
            self.assertIsNone(UNTYPED.fullmatch(v),
                              "%s = %r looks untyped" % (where, v))

    def check_record(self, where, schema, rec, required=None):
        self.assertIsInstance(rec, dict, "%s: a record is an object" % where)
        self.assertLessEqual(set(rec), set(schema),
                             "%s: unknown fields" % where)
        self.assertLessEqual(set(required or ()), set(rec),
                             "%s: missing fields" % where)
        for k, v in rec.items():
            self.check_value("%s: %s" % (where, k), schema[k], v)

    def check_list(self, where, schema, recs, required=None):
        self.assertIsInstance(recs, list, "%s is an array" % where)
        for rec in recs:
            self.check_record(where, schema, rec, required)
        return recs

    # ---- the commands ----

    def test_commands_that_offer_json_are_all_covered(self):
        """Every command whose usage offers `--format …json` is one of
        those checked here, so a new one cannot slip past."""
        covered = {("subscriber", "list"), ("subscriber", "show"),
                   ("event", "list"), ("event", "show"),
                   ("event", "attendees"),
                   ("district", "list"), ("queue", ""), ("status", "")}
        usage = self.ok("--help")
        commands = re.findall(r"^  ([a-z]+) ", usage, re.M)
        self.assertIn("subscriber", commands)
        offered = set()
        for cmd in commands:
            r = self.run_tool(cmd, "--help")
            for line in r.stdout.splitlines():
                if not re.search(r"--format [a-z|]*json", line):
                    continue
                words = [w for w in line.split() if w not in
                         ("usage:", "rundbrief", cmd)]
                sub = words[0] if words and words[0][0].isalpha() else ""
                offered.add((cmd, sub))
        self.assertLessEqual(offered, covered)
        self.assertEqual(len(offered), len(covered))

    def test_subscribers(self):
        listed = self.check_list("subscriber list", SUBSCRIBER,
                                 self.json("subscriber", "list", "--format",
                                           "json"),
                                 ["email", "districts", "created_at"])
        self.assertEqual(len(listed), 7)
        everyone = self.check_list("subscriber export", SUBSCRIBER,
                                   self.json("subscriber", "export"),
                                   SUBSCRIBER)
        self.assertEqual([p["email"] for p in everyone],
                         [p["email"] for p in listed])
        for row, exported in zip(listed, everyone):
            email = row["email"]
            show = self.json("subscriber", "show", email, "--format", "json")
            self.check_record("subscriber show", SUBSCRIBER, show, SUBSCRIBER)
            one = self.json("subscriber", "export", email)
            self.assertEqual(show, one, "show and export differ")
            self.assertEqual(show, exported, "export and export all differ")
            for k, v in row.items():
                self.assertEqual(v, show[k], "%s: %s differs between list "
                                 "and show" % (email, k))
            for m in show["mail"]:
                self.check_record("mail of " + email, MAIL, m, MAIL)
            for b in show["bounce_history"]:
                self.check_record("bounce of " + email, BOUNCE, b, BOUNCE)
        by = {p["email"]: p for p in everyone}
        anna = by["anna.schneider@example.org"]
        self.assertEqual(anna["bounce_history"], [{
            "received_at": "2023-11-14T22:18:20Z", "source": "dsn",
            "status": "5.2.2", "permanent": True,
            "diagnostic": "smtp; 552 full",
            "message_id": "dsn@mx.example.org"}])
        self.assertEqual(anna["districts"], ["Nord"])
        self.assertIs(type(anna["hard_bounces"]), int)
        self.assertEqual([(m["kind"], m["state"]) for m in anna["mail"]],
                         [("newsletter", "sent")])
        self.assertIsNotNone(anna["mail"][0]["sent_at"])
        self.assertIsInstance(anna["mail"][0]["mailing"], int)
        pending = [p for p in everyone if p["status"] == "pending"]
        self.assertTrue(pending)
        for p in pending:  # no consent yet: null, not "" or "none"
            self.assertIsNone(p["consent_source"])
            self.assertIsNone(p["consent_at"])
        self.assertEqual(self.json("subscriber", "list", "--status",
                                   "bounced", "--format", "json"), [])

    def test_events(self):
        listed = self.check_list("event list", EVENT,
                                 self.json("event", "list", "--format",
                                           "json"),
                                 ["id", "start", "end", "district"])
        self.assertEqual(sorted(e["id"] for e in listed), list(range(1, 8)))
        shows = {}
        for row in listed:
            show = self.json("event", "show", str(row["id"]), "--format",
                             "json")
            self.check_record("event show", EVENT, show, EVENT)
            for k, v in row.items():
                self.assertEqual(v, show[k], "event %d: %s differs between "
                                 "list and show" % (row["id"], k))
            shows[row["id"]] = show
        self.assertIsNone(self.json("event", "show", "1", "--format",
                                    "json")["district"])  # county-wide
        self.assertEqual(shows[1]["capacity"], 150)
        self.assertIs(shows[1]["all_day"], False)
        deadline = [e for e in shows.values() if e["kind"] == "deadline"]
        self.assertTrue(deadline and all(e["all_day"] is True
                                         for e in deadline))
        unlimited = [e for e in shows.values() if e["capacity"] is None]
        self.assertTrue(unlimited, "no event without a capacity")
        cafe = shows[7]
        self.assertEqual((cafe["status"], cafe["district"], cafe["sequence"],
                          cafe["online_url"]), ("draft", "Nord", 0, None))
        self.assertEqual(cafe["rrule"], "FREQ=MONTHLY;BYDAY=1TU;COUNT=4")
        self.assertEqual(self.json("event", "list", "--from", "2000-01-01",
                                   "--to", "2000-01-31", "--format", "json"),
                         [])

    def test_attendees(self):
        one = self.check_list("event attendees",  ATTENDEE,
                              self.json("event", "attendees", "1",
                                        "--format", "json"), ATTENDEE)
        self.assertEqual([(a["email"], a["status"], a["guest"],
                           a["occurrence"]) for a in one],
                         [("anna.schneider@example.org", "accepted", False,
                           None)])
        cafe = self.check_list("event attendees", ATTENDEE,
                               self.json("event", "attendees", "7",
                                         "--format", "json"), ATTENDEE)
        self.assertEqual([(a["email"], a["guest"], a["occurrence"],
                           a["comment"], a["name"]) for a in cafe],
                         [("gast@example.net", True, "20270302T170000",
                           "Leider krank", None)])
        self.assertEqual(self.json("event", "attendees", "2", "--format",
                                   "json"), [])
        show = self.json("event", "show", "7", "--format", "json")
        self.assertEqual((show["accepted"], show["guests_declined"]), (0, 1))

    def test_districts(self):
        rows = self.check_list("district list", DISTRICT,
                               self.json("district", "list", "--format",
                                         "json"), DISTRICT)
        by = {d["name"]: d for d in rows}
        self.assertEqual(set(by), {"Nord", "Süd", "Mitte", "Ost"})
        # subscribers name their districts as district list does
        for p in self.json("subscriber", "list", "--format", "json"):
            self.assertLessEqual(set(p["districts"]), set(by))

    def test_queue(self):
        rows = self.check_list("queue", MAILING,
                               self.json("queue", "--format", "json"),
                               MAILING)
        self.assertEqual(len(rows), 1)
        m = rows[0]
        self.assertEqual((m["mailing"], m["kind"]), (1, "newsletter"))
        active = [p for p in self.json("subscriber", "list", "--format",
                                       "json") if p["status"] == "active"]
        self.assertEqual(m["sent"], len(active))
        self.assertEqual(m["queued"] + m["deferred"] + m["failed"] +
                         m["cancelled"], 0)
        # everything sent: the mailing is done, with the time
        self.assertEqual(m["state"], "done")
        self.assertIsNotNone(m["finished_at"])
        self.assertIsNone(m["blocked_reason"])
        # the mailing is the one the subscribers' exports name
        for p in self.json("subscriber", "export"):
            for mail in p["mail"]:
                self.assertEqual(mail["mailing"], m["mailing"])

    def test_status(self):
        s = self.json("status", "--format", "json")
        self.check_record("status", STATUS, s, STATUS)
        self.check_list("status jobs", JOB, s["jobs"], JOB)
        self.check_list("status mailings", RUNNING, s["mailings"], RUNNING)
        self.check_record("status last_newsletter", LAST_NEWSLETTER,
                          s["last_newsletter"], LAST_NEWSLETTER)
        self.check_record("status subscribers", COUNTS, s["subscribers"],
                          COUNTS)
        # the newsletter was delivered: nothing runs, and it is the last
        self.assertEqual(s["mailings"], [])
        m = self.json("queue", "--format", "json")[0]
        last = s["last_newsletter"]
        self.assertEqual((last["mailing"], last["sent"], last["state"],
                          last["finished_at"]),
                         (m["mailing"], m["sent"], "done", m["finished_at"]))
        people = self.json("subscriber", "list", "--format", "json")
        for status, n in s["subscribers"].items():
            self.assertEqual(n, len([p for p in people
                                     if p["status"] == status]), status)

    def test_tables_and_tsv_stay_readable(self):
        """Typed JSON does not change what people and TSV readers see."""
        show = self.ok("event", "show", "1")
        self.assertRegex(show, r"(?m)^all_day +no$")
        self.assertRegex(show, r"(?m)^district +\(county-wide\)$")
        self.assertRegex(show, r"(?m)^capacity +150$")
        tsv = self.ok("event", "list", "--format", "tsv").splitlines()
        self.assertEqual(tsv[0].split("\t"), ["id", "start", "end", "kind",
                                              "title", "district", "status",
                                              "where"])
        self.assertIn("\t(county-wide)\t", "\n".join(tsv))
        tsv = self.ok("subscriber", "list", "--format", "tsv").splitlines()
        self.assertIn("Sprachkurse", tsv[1].split("\t"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
