#!/usr/bin/python3
"""End-to-end tests of `rundbrief subscriber import` on a temporary
database: the column names, languages and separators people write, and a
summary that says what happened. Run by `make check` (RUNDBRIEF_BUILD names
the build dir). The older import tests are in test_cli.py."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")

EX_DATAERR = 65


class Tool(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-import-")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                    "language = de\n[smtp]\nmaildir = %s/outbox\n"
                    % (self.dir, self.dir))
        os.chmod(self.conf, 0o600)
        self.ok("init")
        self.ok("district", "add", "Nord", "Süd", "Mitte", "Pieschen/Trachau")

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
        return r

    def write(self, name, data, encoding="utf-8"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data.encode(encoding) if isinstance(data, str) else data)
        return path

    def show(self, email):
        return json.loads(self.ok("subscriber", "show", email,
                                  "--format", "json"))

    def tsv(self):
        """subscriber list --format tsv as {email: {column: value}}."""
        lines = self.ok("subscriber", "list", "--format", "tsv").splitlines()
        head = lines[0].split("\t")
        rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
        return {r["email"]: r for r in rows}


class TestColumns(Tool):
    def test_first_and_last_name_joined(self):
        path = self.write("names.csv",
                          "First Name,Last Name,Email\n"
                          "Olena,Kovalenko,olena@example.org\n"
                          "Ahmad,,ahmad@example.org\n")
        self.ok("subscriber", "import", path)
        rows = self.tsv()
        self.assertEqual(rows["olena@example.org"]["name"], "Olena Kovalenko")
        self.assertEqual(rows["ahmad@example.org"]["name"], "Ahmad")

    def test_vorname_name_is_first_and_last(self):
        path = self.write("names.csv", "E-Mail;Vorname;Name\n"
                          "anna@example.org;Anna;Schneider\n")
        self.ok("subscriber", "import", path)
        self.assertEqual(self.show("anna@example.org")["name"],
                         "Anna Schneider")

    def test_district_column_names_and_separators(self):
        for i, (column, cell, want) in enumerate((
                ("Stadtteil", "Nord/Süd", ["Nord", "Süd"]),
                ("Netzwerk", "Nord | Mitte", ["Mitte", "Nord"]),
                ("Region", "Süd; Mitte", ["Mitte", "Süd"]),
                ("Stadtteile", "Nord, Mitte / Süd", ["Mitte", "Nord", "Süd"]),
                ("Stadtteil", "Pieschen/Trachau", ["Pieschen/Trachau"]))):
            email = "p%d@example.org" % i
            path = self.write("d%d.csv" % i, "email,%s\n%s,\"%s\"\n"
                              % (column, email, cell))
            self.ok("subscriber", "import", path)
            self.assertEqual(sorted(self.show(email)["districts"]), want,
                             (column, cell))

    def test_unknown_district_after_slash_is_named(self):
        path = self.write("typo.csv", "email,Stadtteil\nx@example.org,Nord/Sud\n")
        r = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertIn(path + ":2: unknown district \"Sud\"", r.stderr)


# As Excel in Germany saves "CSV (Trennzeichen-getrennt)": Windows-1252,
# semicolons, CRLF; first and last name apart, languages as names.
EXCEL = ("Vorname;Nachname;E-Mail;Sprache;Stadtteil\r\n"
         "Jörg;Weiß;joerg@example.org;Deutsch;Nord/Süd\r\n"
         "Anna;Schneider;anna@example.org;Englisch;Mitte\r\n"
         "Zoë;Groß-Öztürk;zoe@example.org;deutsch ;Süd / Mitte\r\n"
         "Olena;;olena@example.org;UK;\r\n")


class TestLanguages(Tool):
    def test_excel_germany(self):
        path = self.write("ehrenamtliche.csv", EXCEL, "cp1252")
        r = self.run_tool("subscriber", "import", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Windows-1252", r.stdout)
        self.assertIn("separator ';'", r.stdout)
        self.assertIn("4 added", r.stdout)
        rows = self.tsv()
        got = {e: (r["name"], r["language"], r["districts"])
               for e, r in rows.items()}
        self.assertEqual(got, {
            "joerg@example.org": ("Jörg Weiß", "de", "Nord, Süd"),
            "anna@example.org": ("Anna Schneider", "en", "Mitte"),
            "zoe@example.org": ("Zoë Groß-Öztürk", "de", "Mitte, Süd"),
            "olena@example.org": ("Olena", "uk", ""),
        })

    def test_language_names_and_codes(self):
        cases = (("DE", "de"), ("German", "de"), ("English", "en"),
                 ("Ukrainisch", "uk"), ("Українська", "uk"),
                 ("УКРАЇНСЬКА", "uk"), ("Arabisch", "ar"), ("العربية", "ar"),
                 ("Farsi", "fa"), ("Dari", "fa"), ("Persisch", "fa"),
                 ("Paschtu", "ps"), ("Türkisch", "tr"), ("Kurdisch", "ku"),
                 ("Tigrinya", "ti"), ("Somali", "so"), ("Русский", "ru"),
                 ("Ελληνικά", "el"), ("Rumänisch", "ro"), ("pt-BR", "pt"))
        text = "email,language\n" + "".join(
            "p%d@example.org,%s\n" % (i, name)
            for i, (name, _) in enumerate(cases))
        self.ok("subscriber", "import", self.write("l.csv", text))
        rows = self.tsv()
        for i, (name, code) in enumerate(cases):
            self.assertEqual(rows["p%d@example.org" % i]["language"], code,
                             name)

    def test_unknown_language_names_the_line(self):
        path = self.write("bad.csv", "email,Sprache\na@example.org,Deutsch\n"
                          "b@example.org,Klingonisch\n")
        r = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertIn(path + ":3: \"Klingonisch\" is not a language",
                      r.stderr)
        self.assertIn("ISO 639-1", r.stderr)

    def test_add_and_set_take_the_same_names(self):
        self.ok("subscriber", "add", "a@example.org", "--lang", "Englisch")
        self.assertEqual(self.show("a@example.org")["language"], "en")
        self.ok("subscriber", "set", "a@example.org", "--language",
                "Українська")
        self.assertEqual(self.show("a@example.org")["language"], "uk")
        r = self.fails(EX_DATAERR, "subscriber", "set", "a@example.org",
                       "--lang", "Klingonisch")
        self.assertIn("\"Klingonisch\" is not a language", r.stderr)
        self.assertEqual(self.show("a@example.org")["language"], "uk")


class TestSummary(Tool):
    GOOD = ("email,name,Stadtteil\n"
            "anna@example.org,Anna,Nord\n"
            "bernd@example.org,Bernd,Süd\n")

    def emails(self):
        return sorted(self.tsv())

    def test_refused_import_says_nothing_was_imported(self):
        path = self.write("bad.csv", self.GOOD + "broken,Broken,Nord\n")
        r = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertNotIn("added", r.stdout)
        self.assertNotIn("pending", r.stdout)
        self.assertIn(path + ":4: ", r.stderr)
        self.assertIn("nothing imported: 1 invalid row", r.stderr)
        self.assertIn("--skip-invalid: that would add 2, update 0, leave 0 "
                      "unchanged", r.stderr)
        self.assertEqual(self.emails(), [])

    def test_dry_run_says_what_would_happen(self):
        path = self.write("good.csv", self.GOOD)
        out = self.ok("subscriber", "import", path, "--dry-run")
        self.assertIn("dry run, nothing changed: the import would add 2, "
                      "update 0, leave 0 unchanged", out)
        self.assertNotIn("2 added", out)
        self.assertIn("2 subscribers would be pending", out)
        self.assertEqual(self.emails(), [])
        # with an invalid row: nothing would be imported, unless skipped
        bad = self.write("bad.csv", self.GOOD + "broken,Broken,Nord\n")
        r = self.fails(EX_DATAERR, "subscriber", "import", bad, "--dry-run")
        self.assertIn("nothing would be imported: 1 invalid row", r.stdout)
        out = self.ok("subscriber", "import", bad, "--dry-run",
                      "--skip-invalid")
        self.assertIn("would add 2, update 0, leave 0 unchanged, and leave "
                      "out 1 invalid row", out)
        self.assertEqual(self.emails(), [])

    def test_unsubscribed_and_bounced_are_skipped_with_their_line(self):
        path = self.write("good.csv", self.GOOD)
        self.ok("subscriber", "import", path, "--confirmed")
        self.ok("subscriber", "unsubscribe", "anna@example.org")
        self.ok("subscriber", "set", "bernd@example.org", "--status",
                "bounced")
        changed = self.write("changed.csv", "email,name,Stadtteil\n"
                             "anna@example.org,Anna Neu,Süd\n"
                             "bernd@example.org,Bernd Neu,Nord\n"
                             "carla@example.org,Carla,Nord\n")
        r = self.run_tool("subscriber", "import", changed, "--confirmed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"%s:2: warning: anna@example\.org "
                         r"unsubscribed \(last change \d{4}-\d\d-\d\d "
                         r"\d\d:\d\d\), skipped" % changed)
        self.assertIn(changed + ":3: warning: bernd@example.org bounced",
                      r.stderr)
        self.assertIn("1 added, 0 updated, 0 unchanged, 2 skipped "
                      "(1 unsubscribed, 1 bounced)", r.stdout)
        anna = self.show("anna@example.org")
        self.assertEqual((anna["name"], anna["status"], anna["districts"]),
                         ("Anna", "unsubscribed", ["Nord"]))
        self.assertEqual(self.show("bernd@example.org")["status"], "bounced")

    def test_pending_people_are_pointed_to_confirmed(self):
        path = self.write("good.csv", self.GOOD)
        out = self.ok("subscriber", "import", path)
        self.assertIn("2 added", out)
        self.assertIn("2 subscribers are pending: they get no mail", out)
        self.assertIn("--confirmed", out)
        # a second import without --confirmed: still pending, still said
        out = self.ok("subscriber", "import", path)
        self.assertIn("2 unchanged", out)
        self.assertIn("2 subscribers are pending", out)
        out = self.ok("subscriber", "import", path, "--confirmed")
        self.assertNotIn("pending", out)
        self.assertEqual({r["status"] for r in self.tsv().values()},
                         {"active"})


class TestChoices(Tool):
    """The optional Newsletter and Einladungen/Invitations columns."""

    def choices(self):
        return {e: (r["newsletter"], r["invitations"])
                for e, r in self.tsv().items()}

    def test_values_in_any_case_and_the_defaults(self):
        path = self.write("choices.csv",
                          "E-Mail;Newsletter;Einladungen\n"
                          "a@example.org;Nein;keine\n"
                          "b@example.org;ja;ALLE\n"
                          "c@example.org;x;\n"
                          "d@example.org;;none\n"
                          "e@example.org;NO;All\n"
                          "f@example.org;0;\n"
                          "g@example.org;1;\n"
                          "h@example.org;yes;\n")
        out = self.ok("subscriber", "import", path, "--confirmed")
        self.assertIn("8 added", out)
        self.assertEqual(self.choices(), {
            "a@example.org": ("no", "none"),
            "b@example.org": ("yes", "all"),
            "c@example.org": ("yes", "all"),
            "d@example.org": ("yes", "none"),
            "e@example.org": ("no", "all"),
            "f@example.org": ("no", "all"),
            "g@example.org": ("yes", "all"),
            "h@example.org": ("yes", "all")})
        a = self.show("a@example.org")
        self.assertIs(a["newsletter"], False)
        self.assertEqual(a["invitations"], "none")

    def test_english_column_name(self):
        path = self.write("en.csv", "email,newsletter,invitations\n"
                          "a@example.org,no,none\n")
        self.ok("subscriber", "import", path)
        self.assertEqual(self.choices(), {"a@example.org": ("no", "none")})

    def test_empty_cell_or_no_column_keeps_what_people_chose(self):
        self.ok("subscriber", "add", "a@example.org", "--confirmed")
        self.ok("subscriber", "set", "a@example.org", "--newsletter", "no",
                "--invitations", "none")
        path = self.write("empty.csv", "email,Newsletter,Einladungen,Name\n"
                          "a@example.org,,,Anna\n")
        self.ok("subscriber", "import", path)
        path = self.write("none.csv", "email,Name\na@example.org,Anna\n")
        self.assertIn("1 unchanged", self.ok("subscriber", "import", path))
        self.assertEqual(self.choices(), {"a@example.org": ("no", "none")})
        # a value changes an existing subscriber
        path = self.write("yes.csv", "email,Newsletter\na@example.org,ja\n")
        self.assertIn("1 updated", self.ok("subscriber", "import", path))
        self.assertEqual(self.choices(), {"a@example.org": ("yes", "none")})

    def test_bad_values_name_the_line(self):
        path = self.write("bad.csv", "email;Newsletter;Einladungen\n"
                          "a@example.org;ja;alle\n"
                          "b@example.org;vielleicht;alle\n"
                          "c@example.org;nein;manche\n")
        r = self.fails(EX_DATAERR, "subscriber", "import", path)
        self.assertIn(path + ":3: \"vielleicht\" in the Newsletter column: "
                      "write ja or nein", r.stderr)
        self.assertIn(path + ":4: \"manche\" in the Einladungen "
                      "(invitations) column: write alle or keine", r.stderr)
        self.assertIn("nothing imported: 2 invalid rows", r.stderr)
        self.assertEqual(self.choices(), {})
        out = self.ok("subscriber", "import", path, "--skip-invalid")
        self.assertIn("1 added", out)
        self.assertEqual(self.choices(), {"a@example.org": ("yes", "all")})

    def test_help_lists_the_columns(self):
        out = self.ok("subscriber", "import", "--help")
        self.assertIn("newsletter (Newsletter): ja or nein", out)
        self.assertIn("invitations (Einladungen): alle or keine", out)


if __name__ == "__main__":
    unittest.main()
