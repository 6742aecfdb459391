#!/usr/bin/python3
"""End-to-end tests of each volunteer's choices (subscriber set --newsletter
--invitations, shown by show, list and export) and of `rundbrief topic
list`, on a temporary database. Run by `make check` (RUNDBRIEF_BUILD names
the build dir)."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")

EX_USAGE, EX_NOUSER = 64, 67


class Tool(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-topics-")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s\nlanguage = de\n"
                    "[smtp]\nmaildir = %s/outbox\n" % (self.db, self.dir))
        os.chmod(self.conf, 0o600)
        self.ok("init")
        self.ok("district", "add", "Nord", "Süd")

    def tearDown(self):
        shutil.rmtree(self.dir)

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
        return r.stderr

    def json(self, *args):
        return json.loads(self.ok(*args))

    def tsv(self, *args):
        lines = self.ok(*(list(args) + ["--format", "tsv"])).splitlines()
        head = lines[0].split("\t")
        return [dict(zip(head, line.split("\t"))) for line in lines[1:]]


class TestChoices(Tool):
    def setUp(self):
        super().setUp()
        self.ok("subscriber", "add", "anna@example.org", "--confirmed",
                "--district", "Nord")

    def choices(self, email):
        p = self.json("subscriber", "show", email, "--format", "json")
        return p["newsletter"], p["invitations"]

    def test_defaults_are_yes_and_all(self):
        self.assertEqual(self.choices("anna@example.org"), (True, "all"))
        show = self.ok("subscriber", "show", "anna@example.org")
        self.assertRegex(show, r"(?m)^newsletter +yes$")
        self.assertRegex(show, r"(?m)^invitations +all$")

    def test_set_show_list_export(self):
        out = self.ok("subscriber", "set", "anna@example.org",
                      "--newsletter", "no", "--invitations", "none")
        self.assertIn("anna@example.org: updated", out)
        out = self.ok("subscriber", "set", "anna@example.org",
                      "--newsletter", "no")
        self.assertIn("anna@example.org: unchanged", out)
        self.assertEqual(self.choices("anna@example.org"), (False, "none"))
        show = self.ok("subscriber", "show", "anna@example.org")
        self.assertRegex(show, r"(?m)^newsletter +no$")
        self.assertRegex(show, r"(?m)^invitations +none$")
        table = self.ok("subscriber", "list").splitlines()
        self.assertIn("NEWSLETTER", table[0].split())
        self.assertIn("INVITATIONS", table[0].split())
        row = self.tsv("subscriber", "list")[0]
        self.assertEqual((row["newsletter"], row["invitations"]),
                         ("no", "none"))
        listed = self.json("subscriber", "list", "--format", "json")[0]
        self.assertIs(listed["newsletter"], False)
        self.assertEqual(listed["invitations"], "none")
        exported = self.json("subscriber", "export", "anna@example.org")
        self.assertIs(exported["newsletter"], False)
        self.assertEqual(exported["invitations"], "none")
        self.assertEqual(self.json("subscriber", "export")[0], exported)
        # one at a time; the other choice and everything else stay
        self.ok("subscriber", "set", "anna@example.org", "--newsletter",
                "yes")
        self.assertEqual(self.choices("anna@example.org"), (True, "none"))
        p = self.json("subscriber", "show", "anna@example.org", "--format",
                      "json")
        self.assertEqual((p["status"], p["districts"]), ("active", ["Nord"]))

    def test_add_takes_the_choices(self):
        self.ok("subscriber", "add", "bob@example.org", "--newsletter", "no",
                "--invitations", "none")
        self.assertEqual(self.choices("bob@example.org"), (False, "none"))

    def test_bad_values_change_nothing(self):
        err = self.fails(EX_USAGE, "subscriber", "set", "anna@example.org",
                         "--newsletter", "ja", "--invitations", "none")
        self.assertIn("--newsletter must be yes or no", err)
        err = self.fails(EX_USAGE, "subscriber", "set", "anna@example.org",
                         "--invitations", "some")
        self.assertIn("--invitations must be all or none", err)
        self.assertEqual(self.choices("anna@example.org"), (True, "all"))
        self.fails(EX_NOUSER, "subscriber", "set", "nobody@example.org",
                   "--newsletter", "no")

    def test_help_says_what_they_mean(self):
        out = self.ok("subscriber", "set", "--help")
        self.assertIn("--newsletter yes|no", out)
        self.assertIn("--invitations all|none", out)
        self.assertIn("--newsletter", self.ok("subscriber", "--help"))


class TestTopicList(Tool):
    def add_event_topics(self, *rows):
        """Events with topics (kind, status, [topics]), written straight
        into the database."""
        con = sqlite3.connect(self.db)
        with con:
            for i, (status, topics) in enumerate(rows):
                cur = con.execute(
                    "INSERT INTO events(uid, kind, title, tzid, start_local,"
                    " end_local, start_utc, end_utc, status, created_at,"
                    " updated_at) VALUES (?, 'training', 'T', 'Europe/Berlin',"
                    " '2027-01-01 10:00', '2027-01-01 11:00', 1, 2, ?, 1, 1)",
                    ("u%d@example.org" % i, status))
                for t in topics:
                    con.execute("INSERT INTO event_topics VALUES (?, ?)",
                                (cur.lastrowid, t))
        con.close()

    def test_empty(self):
        r = self.run_tool("topic", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 topics", r.stderr)
        self.assertEqual(self.json("topic", "list", "--format", "json"), [])

    def test_counts_merged_without_regard_to_case(self):
        self.ok("subscriber", "add", "a@example.org", "--confirmed",
                "--topic", "Sprachcafé", "--topic", "Kultur")
        self.ok("subscriber", "add", "b@example.org", "--confirmed",
                "--topic", "SPRACHCAFÉ")
        self.ok("subscriber", "add", "c@example.org", "--topic",
                "sprachcafé")  # pending
        self.ok("subscriber", "add", "d@example.org", "--confirmed",
                "--topic", "Ökologie")
        self.ok("subscriber", "unsubscribe", "d@example.org")
        self.add_event_topics(("published", ["sprachcafé", "Lesepaten"]),
                              ("draft", ["Kultur"]),
                              ("published", ["ÖKOLOGIE"]))
        rows = self.json("topic", "list", "--format", "json")
        self.assertEqual([r["name"].casefold() for r in rows],
                         ["kultur", "lesepaten", "sprachcafé", "ökologie"])
        by = {r["name"].casefold(): r for r in rows}
        counts = {k: (r["active_subscribers"], r["subscribers"],
                      r["published_events"], r["events"])
                  for k, r in by.items()}
        self.assertEqual(counts, {"kultur": (1, 1, 0, 1),
                                  "lesepaten": (0, 0, 1, 1),
                                  "sprachcafé": (2, 3, 1, 1),
                                  "ökologie": (0, 1, 1, 1)})
        for r in rows:
            for k in ("active_subscribers", "subscribers",
                      "published_events", "events"):
                self.assertIs(type(r[k]), int)
        # the table says which topics of events reach nobody
        r = self.run_tool("topic", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        head = r.stdout.splitlines()[0].split()
        self.assertEqual(head, ["NAME", "ACTIVE_SUBSCRIBERS", "SUBSCRIBERS",
                                "PUBLISHED_EVENTS", "EVENTS"])
        self.assertIn("4 topics", r.stderr)
        self.assertIn("events name \"Lesepaten\", \"Ökologie\", which no "
                      "active subscriber follows: a typo?", r.stderr)
        # TSV: the same rows, for scripts
        tsv = self.tsv("topic", "list")
        self.assertEqual([t["name"] for t in tsv], [r["name"] for r in rows])
        self.assertEqual(tsv[2]["subscribers"], "3")

    def test_usage(self):
        self.assertIn("topic list", self.ok("--help"))
        self.assertIn("--format table|tsv|json", self.ok("topic", "--help"))
        self.assertIn("--format table|tsv|json",
                      self.ok("topic", "list", "--help"))
        self.fails(EX_USAGE, "topic")
        self.fails(EX_USAGE, "topic", "remove")
        self.fails(EX_USAGE, "topic", "list", "--format", "xml")
        self.fails(EX_USAGE, "topic", "list", "extra")


if __name__ == "__main__":
    unittest.main()
