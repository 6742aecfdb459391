#!/usr/bin/python3
"""End-to-end tests of the coordinator's tool `rundbrief` on a temporary
database: init, subscribers, CSV import, districts, events, output formats,
exit codes. Run by `make check` (RUNDBRIEF_BUILD names the build dir)."""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")
DAEMON = os.path.join(BUILD, "rundbriefd")
SRC = os.environ.get("RUNDBRIEF_SRC", os.getcwd())

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER, EX_CONFIG = 64, 65, 66, 67, 78


class Tool(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-cli-")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                    "content = %s/content\n"
                    "language = de\n[smtp]\nmaildir = %s/outbox\n"
                    % (self.dir, self.dir, self.dir))
        os.chmod(self.conf, 0o600)
        self.ok("init")

    def tearDown(self):
        shutil.rmtree(self.dir)

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

    def json(self, *args):
        return json.loads(self.ok(*(list(args) + ["--format", "json"])))

    def write(self, name, data, encoding="utf-8"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data.encode(encoding) if isinstance(data, str) else data)
        return path

    def emails(self, *filters):
        return sorted(s["email"] for s in self.json("subscriber", "list",
                                                    *filters))


class TestInitAndConfig(Tool):
    def test_init_idempotent(self):
        self.assertIn("up to date", self.ok("init"))

    def test_config_errors_exit_78_with_file_line_key(self):
        bad = self.write("bad.ini", "[general]\ntimezone = Mars/Olympus\n"
                         "[smtp]\nconnections = 99\n")
        os.chmod(bad, 0o600)
        r = self.run_tool("check", conf=bad)
        self.assertEqual(r.returncode, EX_CONFIG)
        self.assertIn(bad + ":2: [general] timezone:", r.stderr)
        self.assertIn(bad + ":4: [smtp] connections:", r.stderr)

    def test_example_config_is_valid(self):
        """conf/rundbrief.ini sets every key, and all of them parse."""
        src = os.path.join(SRC, "conf", "rundbrief.ini")
        with open(src) as f:
            text = f.read()
        secret = self.write("secret", "pw\n")
        os.chmod(secret, 0o600)
        text = text.replace("/etc/rundbrief/smtp-password", secret)
        text = text.replace("/etc/rundbrief/imap-password", secret)
        text = text.replace("/var/lib/rundbrief/", self.dir + "/")
        conf = self.write("example.ini", text)
        os.chmod(conf, 0o600)
        r = self.run_tool("check", conf=conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        keys = [l.split("=")[0].strip().lstrip(";") for l in text.splitlines()
                if "=" in l and not l.startswith(("; ", "#"))]
        for key in ("database", "timezone", "language", "organisation",
                    "organizer_name", "organizer_email", "templates",
                    "content", "base_url", "area_name", "area_name.en",
                    "url", "maildir", "username",
                    "password_file", "envelope_from", "from", "reply_to",
                    "connections", "rate_per_second", "rate_per_hour",
                    "connect_timeout", "timeout", "tls", "ca_file",
                    "schedule", "horizon", "review_lead", "list_id",
                    "require_editorial", "order", "offsets", "mailbox",
                    "poll_interval", "processed_folder", "tls_verify",
                    "listen", "trusted_proxies"):
            self.assertIn(key, keys)

    def test_check_ok(self):
        self.assertIn("configuration OK", self.ok("check"))

    def test_missing_database_says_init(self):
        conf = self.write("other.ini", "[general]\ndatabase = %s/none.db\n"
                          % self.dir)
        r = self.run_tool("subscriber", "list", conf=conf)
        self.assertEqual(r.returncode, EX_NOINPUT)
        self.assertIn("rundbrief init", r.stderr)

    def test_help_everywhere(self):
        for args in (["--help"], ["subscriber", "--help"],
                     ["subscriber", "add", "--help"],
                     ["subscriber", "import", "--help"],
                     ["subscriber", "list", "--help"],
                     ["subscriber", "set", "--help"],
                     ["subscriber", "forget", "--help"],
                     ["subscriber", "export", "--help"],
                     ["district", "--help"], ["event", "--help"],
                     ["event", "add", "--help"], ["init", "--help"]):
            out = self.ok(*args)
            self.assertIn("usage:", out, args)

    def test_help_and_version_of_both_programs(self):
        """--help and --version: usage or "NAME VERSION" on stdout, nothing
        on stderr, exit 0; the version is the one in daemon/version.h,
        which the iCalendar PRODID carries too."""
        with open(os.path.join(SRC, "daemon", "version.h")) as f:
            version = re.search(r'#define RUNDBRIEF_VERSION "([^"]+)"',
                                f.read()).group(1)
        for prog in (TOOL, DAEMON):
            name = os.path.basename(prog)
            for opt, want in (("--help", "usage: " + name + " "),
                              ("-h", "usage: " + name + " "),
                              ("--version", "%s %s\n" % (name, version))):
                r = subprocess.run([prog, opt], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual((r.returncode, r.stderr), (0, ""),
                                 (name, opt))
                self.assertTrue(r.stdout.startswith(want),
                                (name, opt, r.stdout))
        self.ok("event", "add", "--kind", "training", "--title", "x",
                "--start", "2026-12-01 18:00")
        self.ok("event", "publish", "1", "--no-mail")
        self.assertIn("PRODID:-//rundbrief//rundbrief %s//" % version,
                      self.ok("event", "ics"))

    def test_usage_errors(self):
        self.fails(EX_USAGE, "frobnicate")
        self.fails(EX_USAGE, "subscriber", "add")
        self.fails(EX_USAGE, "subscriber", "add", "a@example.org", "--bogus")
        self.fails(EX_USAGE, "subscriber", "list", "--format", "xml")


class TestSubscribers(Tool):
    def test_lifecycle(self):
        self.ok("district", "add", "Nord", "Süd")
        self.ok("subscriber", "add", "Anna@Example.org", "--name",
                "Anna Schneider", "--district", "Nord", "--topic",
                "Sprachcafé", "--confirmed")
        self.ok("subscriber", "add", "bob@example.org", "--lang", "en")
        err = self.fails(EX_DATAERR, "subscriber", "add", "anna@example.org")
        self.assertIn("already a subscriber", err)
        self.fails(EX_DATAERR, "subscriber", "add", "c@example.org",
                   "--district", "Nrod")
        self.fails(EX_DATAERR, "subscriber", "add", "not-an-address")
        self.fails(EX_DATAERR, "subscriber", "add", "d@example.org",
                   "--lang", "xx")

        rows = {s["email"]: s for s in self.json("subscriber", "list")}
        self.assertEqual(set(rows), {"Anna@Example.org", "bob@example.org"})
        self.assertEqual(rows["Anna@Example.org"]["status"], "active")
        self.assertEqual(rows["bob@example.org"]["status"], "pending")
        self.assertEqual(rows["bob@example.org"]["language"], "en")
        self.assertEqual(self.emails("--status", "pending"),
                         ["bob@example.org"])
        self.assertEqual(self.emails("--district", "nord"),
                         ["Anna@Example.org"])

        show = self.json("subscriber", "show", "anna@example.org")
        self.assertEqual(show["districts"], ["Nord"])
        self.assertEqual(show["topics"], ["Sprachcafé"])
        self.assertEqual(show["consent_source"], "cli")
        self.assertRegex(show["unsubscribe_token"], r"^[0-9a-f]{32}$")

        self.ok("subscriber", "set", "anna@example.org", "--district", "Süd",
                "--district", "Nord", "--name", "Anna S.")
        show = self.json("subscriber", "show", "anna@example.org")
        self.assertEqual(sorted(show["districts"]), ["Nord", "Süd"])
        self.assertEqual(show["name"], "Anna S.")
        self.fails(EX_DATAERR, "subscriber", "set", "bob@example.org",
                   "--status", "active")  # needs --confirmed
        self.ok("subscriber", "set", "bob@example.org", "--confirmed")
        self.assertEqual(self.json("subscriber", "show",
                                   "bob@example.org")["status"], "active")
        self.ok("subscriber", "unsubscribe", "bob@example.org")
        self.assertEqual(self.json("subscriber", "show",
                                   "bob@example.org")["status"],
                         "unsubscribed")
        self.fails(EX_NOUSER, "subscriber", "show", "nobody@example.org")

        # tsv: header + one line per subscriber, tab separated
        tsv = self.ok("subscriber", "list", "--format", "tsv").splitlines()
        self.assertEqual(tsv[0].split("\t")[:4],
                         ["email", "name", "language", "status"])
        self.assertEqual(len(tsv), 3)
        # the aligned table
        table = self.ok("subscriber", "list")
        self.assertIn("EMAIL", table.splitlines()[0])

    def test_export_and_forget(self):
        self.ok("subscriber", "add", "eva@example.org", "--name", "Eva",
                "--confirmed")
        exported = json.loads(self.ok("subscriber", "export",
                                      "eva@example.org"))
        self.assertEqual(exported["email"], "eva@example.org")
        self.assertEqual(exported["name"], "Eva")
        self.assertIn("consent_at", exported)
        self.assertEqual(exported["mail"], [])
        # the mail sent to her is part of what is held on her
        self.ok("newsletter", "send")
        self.ok("queue", "run")
        exported = json.loads(self.ok("subscriber", "export",
                                      "eva@example.org"))
        self.assertEqual([(m["kind"], m["state"]) for m in exported["mail"]],
                         [("newsletter", "sent")])
        self.assertRegex(exported["mail"][0]["message_id"], r"@example\.org$")
        everyone = json.loads(self.ok("subscriber", "export"))
        self.assertEqual([p["email"] for p in everyone], ["eva@example.org"])

        self.ok("subscriber", "forget", "EVA@example.org")
        self.fails(EX_NOUSER, "subscriber", "show", "eva@example.org")
        self.assertEqual(json.loads(self.ok("subscriber", "export")), [])
        db = os.path.join(self.dir, "db", "rundbrief.db")
        out = subprocess.run(["sqlite3", db, ".dump"], capture_output=True,
                             text=True).stdout
        self.assertNotIn("eva@example.org", out.lower())
        self.assertNotIn("Eva", out)

        # import skips the forgotten person, names the line, imports the rest
        path = self.write("again.csv", "email,name\nfrank@example.org,Frank\n"
                          "eva@example.org,Eva\n")
        r = self.run_tool("subscriber", "import", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(path + ":3: warning:", r.stderr)
        self.assertIn("1 added", r.stdout)
        self.assertIn("1 skipped", r.stdout)
        self.assertEqual(self.emails(), ["frank@example.org"])
        # only an explicit confirmed add brings her back
        self.fails(EX_DATAERR, "subscriber", "add", "eva@example.org")
        self.ok("subscriber", "add", "eva@example.org", "--confirmed")
        self.assertEqual(self.emails(), ["eva@example.org",
                                         "frank@example.org"])


GERMAN_EXCEL = ("E-Mail;Name;Sprache;Stadtteile\r\n"
                "anna@example.org;Anna Müller;de;Nord\r\n"
                "bernd@example.org;\"Bernd \"\"Bär\"\" Groß\";de;\"Nord, Süd\"\r\n"
                "chiara@example.org;Chiara;it;Süd\r\n")


class TestImport(Tool):
    def setUp(self):
        super().setUp()
        self.ok("district", "add", "Nord", "Süd", "Mitte")

    def test_windows_1252_semicolon_german_headers(self):
        path = self.write("excel.csv", GERMAN_EXCEL, "cp1252")
        r = self.run_tool("subscriber", "import", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Windows-1252", r.stdout)
        self.assertIn("separator ';'", r.stdout)
        self.assertIn("3 added", r.stdout)
        rows = {s["email"]: s for s in self.json("subscriber", "list")}
        self.assertEqual(rows["anna@example.org"]["name"], "Anna Müller")
        self.assertEqual(rows["bernd@example.org"]["name"], 'Bernd "Bär" Groß')
        self.assertEqual(rows["bernd@example.org"]["districts"],
                         ["Nord", "Süd"])
        self.assertEqual(rows["chiara@example.org"]["language"], "it")
        self.assertEqual(rows["anna@example.org"]["status"], "pending")
        # the same file again changes nothing
        r = self.run_tool("subscriber", "import", path)
        self.assertIn("0 added, 0 updated, 3 unchanged", r.stdout)
        self.assertEqual(len(self.emails()), 3)
        # --confirmed activates the pending ones and records the source
        self.ok("subscriber", "import", path, "--confirmed")
        show = self.json("subscriber", "show", "anna@example.org")
        self.assertEqual(show["status"], "active")
        self.assertTrue(show["consent_source"].startswith("import:"))

    def test_utf8_bom_comma_any_column_order(self):
        text = ("\ufeffname,districts,email,topics\n"
                "Olena,Mitte,olena@example.org,\"Sprachcafé, Patenschaften\"\n")
        path = self.write("bom.csv", text)
        r = self.run_tool("subscriber", "import", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("UTF-8 (BOM)", r.stdout)
        show = self.json("subscriber", "show", "olena@example.org")
        self.assertEqual(show["name"], "Olena")
        self.assertEqual(sorted(show["topics"]),
                         ["Patenschaften", "Sprachcafé"])
        self.assertEqual(show["language"], "de")  # the configured default

    def test_bad_rows_reported_with_lines_nothing_imported(self):
        text = ("email,name,language,districts\n"          # 1
                "good@example.org,Good,de,Nord\n"          # 2
                "broken-address,Broken,de,Nord\n"          # 3
                "\"multi@example.org\",\"Two\nLines\",de,Nord\n"  # 4-5
                "lang@example.org,Lang,klingonisch,Nord\n" # 6
                "GOOD@example.org,Dup,de,Nord\n"           # 7
                "typo@example.org,Typo,de,Nrod\n"          # 8
                "short@example.org,Short\n"                # 9
                "fine@example.org,Fine,en,Süd\n")          # 10
        path = self.write("bad.csv", text)
        r = self.run_tool("subscriber", "import", path)
        self.assertEqual(r.returncode, EX_DATAERR)
        lines = r.stderr.splitlines()
        for line, what in ((3, "not a valid e-mail address"),
                           (6, "ISO 639-1"), (7, "first on line 2"),
                           (8, "unknown district \"Nrod\""),
                           (9, "has 2 fields")):
            prefix = "%s:%d: " % (path, line)
            self.assertTrue([x for x in lines if x.startswith(prefix)
                             and what in x], (prefix, what, r.stderr))
        self.assertNotIn(":4:", r.stderr)
        self.assertNotIn(":10:", r.stderr)
        self.assertIn("nothing imported: 5 invalid rows", r.stderr)
        self.assertNotIn(":4:", r.stderr)
        self.assertEqual(self.emails(), [])
        # --dry-run counts, changes nothing
        r = self.run_tool("subscriber", "import", path, "--dry-run")
        self.assertIn("dry run", r.stdout)
        self.assertEqual(self.emails(), [])
        # --skip-invalid imports exactly the good rows
        r = self.run_tool("subscriber", "import", path, "--skip-invalid")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.emails(), ["fine@example.org",
                                         "good@example.org",
                                         "multi@example.org"])
        self.assertEqual(self.json("subscriber", "show", "multi@example.org")
                         ["name"], "Two Lines")  # folded onto one line
        # no district was created by the typo
        names = [d["name"] for d in self.json("district", "list")]
        self.assertNotIn("Nrod", names)

    def test_create_districts(self):
        path = self.write("new.csv", "email,districts\nx@example.org,Neustadt\n")
        self.fails(EX_DATAERR, "subscriber", "import", path)
        self.ok("subscriber", "import", path, "--create-districts")
        names = [d["name"] for d in self.json("district", "list")]
        self.assertIn("Neustadt", names)

    def test_file_level_errors(self):
        self.fails(EX_NOINPUT, "subscriber", "import",
                   os.path.join(self.dir, "missing.csv"))
        path = self.write("nomail.csv", "name,language\nA,de\n")
        err = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertIn("email", err)
        path = self.write("unknown.csv", "email,telefon\na@example.org,1\n")
        err = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertIn("telefon", err)

    def test_hostile_values_stay_data(self):
        text = ("email,name\n"
                "h@example.org,\"Eve\r\nBcc: victim@example.org\"\n")
        path = self.write("hostile.csv", text)
        self.ok("subscriber", "import", path)
        out = self.ok("subscriber", "list")
        # the table shows one line per subscriber: no raw CR/LF
        self.assertEqual(len(out.splitlines()), 2)
        self.assertEqual(self.json("subscriber", "show", "h@example.org")
                         ["name"], "Eve Bcc: victim@example.org")


class TestPreview(Tool):
    def test_preview_formats(self):
        import email
        import email.policy
        self.ok("sample")
        text = self.ok("preview", "newsletter", "--subscriber",
                       "olena.kovalenko@example.org")
        self.assertTrue(text.startswith("Subject: Newsletter "))
        self.assertIn("Dear Olena Kovalenko,", text)
        html = self.ok("preview", "newsletter", "--format", "html")
        self.assertIn('<html lang="de"', html)
        r = subprocess.run([TOOL, "-c", self.conf, "preview", "newsletter",
                            "--format", "eml"], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        msg = email.message_from_bytes(r.stdout, policy=email.policy.default)
        self.assertEqual(msg.defects, [])
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertEqual([p.get_content_type() for p in msg.iter_parts()],
                         ["text/plain", "text/html"])
        self.assertIn("List-Unsubscribe", msg)
        self.assertTrue(b"\r\n" in r.stdout)
        # an invitation as eml carries the calendar
        r = subprocess.run([TOOL, "-c", self.conf, "preview", "invitation",
                            "1", "--format", "eml"], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        msg = email.message_from_bytes(r.stdout, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        types = [p.get_content_type() for p in msg.walk()]
        self.assertIn("text/calendar", types)
        self.assertIn("application/ics", types)
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        for what in ("update", "cancellation", "reminder"):
            self.ok("preview", what, "1")
        for what in ("confirm", "welcome", "unsubscribed"):
            self.ok("preview", what)
        self.fails(EX_USAGE, "preview", "newsletter", "--month", "2026-13")
        self.fails(EX_USAGE, "preview", "invitation")


class TestEvents(Tool):
    def test_event_lifecycle(self):
        self.ok("district", "add", "Nord")
        desc = self.write("desc.md", "# Programm\n\n- Begrüßung\n")
        out = self.ok("event", "add", "--kind", "welcome_conference",
                      "--title", "Willkommenskonferenz", "--start",
                      "2026-10-25 10:00", "--end", "2026-10-25 13:00",
                      "--location", "Kreishaus", "--description-file", desc,
                      "--capacity", "120")
        self.assertIn("added event 1", out)
        self.ok("event", "add", "--kind", "training", "--title",
                "Online-Schulung", "--start", "2026-12-01 18:00",
                "--online-url", "https://meet.example.org/x",
                "--district", "Nord")
        self.ok("event", "add", "--kind", "deadline", "--title", "Frist",
                "--start", "2026-12-15", "--all-day")
        self.ok("event", "add", "--kind", "training", "--title",
                "Selbstfürsorge", "--start", "2027-01-12 15:00",
                "--rrule", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3")
        err = self.fails(EX_DATAERR, "event", "add", "--kind", "party",
                         "--title", "x", "--start", "2026-12-01 10:00")
        self.assertIn("not an event kind", err)
        self.fails(EX_DATAERR, "event", "add", "--kind", "training",
                   "--title", "x", "--start", "tomorrow")

        ev = self.json("event", "show", "1")
        self.assertEqual(ev["status"], "draft")
        self.assertEqual(ev["sequence"], 0)
        self.assertIn("Sonntag, 25. Oktober 2026", ev["when"])
        self.assertIn("Begrüßung", ev["description"])
        self.assertEqual(ev["capacity"], 120)

        self.ok("event", "publish", "1")
        self.ok("event", "update", "1", "--title", "Willkommenskonferenz 2026")
        ev = self.json("event", "show", "1")
        self.assertEqual(ev["sequence"], 0)
        out = self.ok("event", "update", "1", "--start", "2026-10-25 11:00",
                      "--end", "2026-10-25 14:00")
        self.assertIn("date, place or recurrence changed", out)
        ev = self.json("event", "show", "1")
        self.assertEqual(ev["sequence"], 1)
        self.ok("event", "cancel", "1")
        ev = self.json("event", "show", "1")
        self.assertEqual((ev["status"], ev["sequence"]), ("cancelled", 2))
        self.fails(EX_DATAERR, "event", "update", "1", "--title", "again")

        # list, ordered by start, with date bounds in local time
        ids = [e["id"] for e in self.json("event", "list")]
        self.assertEqual(ids, [1, 2, 3, 4])
        ids = [e["id"] for e in self.json("event", "list", "--from",
                                           "2026-12-01", "--to",
                                           "2026-12-31")]
        self.assertEqual(ids, [2, 3])
        ids = [e["id"] for e in self.json("event", "list", "--from",
                                           "2026-12-02", "--to",
                                           "2026-12-10")]
        self.assertEqual(ids, [])
        # a recurring offer that started earlier still recurs in February
        ids = [e["id"] for e in self.json("event", "list", "--from",
                                           "2027-02-01", "--to",
                                           "2027-02-28")]
        self.assertEqual(ids, [4])


if __name__ == "__main__":
    unittest.main(verbosity=1)
