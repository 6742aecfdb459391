#!/usr/bin/python3
"""End-to-end tests of what the newsletter says: the example editorials of
`rundbrief sample`, editorials per language, frozen when the newsletter is
sent, and what `rundbrief preview` says about its choices. Run by `make
check` (RUNDBRIEF_BUILD names the build dir)."""
import datetime
import email
import email.policy
import glob
import os
import sys
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Tool  # noqa: E402  (the shared set-up, no tests)

MONTH = "2030-01"


class Content(Tool):
    """The tool's configuration, whose content directory is in self.dir."""

    def setUp(self):
        super().setUp()
        self.content = os.path.join(self.dir, "content")
        os.makedirs(self.content)

    def month(self):
        # this month where the tool lives (its default time zone)
        return datetime.datetime.now(zoneinfo.ZoneInfo(
            "Europe/Berlin")).strftime("%Y-%m")

    def editorial(self, name, text):
        return self.write(os.path.join("content", name), text)

    def preview(self, *args):
        r = self.run_tool("preview", "newsletter", "--month", MONTH, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout, r.stderr

    def delivered(self):
        """The messages in the outbox Maildir, by recipient."""
        out = {}
        for path in glob.glob(os.path.join(self.dir, "outbox", "new", "*")):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(
                    f, policy=email.policy.default)
            text = msg.get_body(("plain",)).get_content()
            out[msg["To"].addresses[0].addr_spec] = (str(msg["Subject"]),
                                                      text)
        return out


class TestSampleEditorial(Content):
    def test_sample_writes_commented_editorials(self):
        out = self.ok("sample")
        base = os.path.join(self.content, self.month())
        self.assertIn("example editorial: %s.md\n" % base, out)
        self.assertIn("example editorial: %s.en.md\n" % base, out)
        for name, hello in ((".md", "Hallo Anna Schneider,"),
                            (".en.md", "Dear Anna Schneider,")):
            with open(base + name, encoding="utf-8") as f:
                front = f.read().split("---\n")[1]
            # the comments explain the greeting, the front matter and
            # the files per language
            self.assertIn(hello, front)
            self.assertIn("{{greeting}}", front)
            self.assertIn("subject:", front)
            self.assertIn("preheader:", front)
            self.assertIn(self.month() + ".uk.md", front)
        r = self.run_tool("preview", "newsletter")
        self.assertEqual(r.returncode, 0, r.stderr)
        subject = r.stdout.splitlines()[0]
        self.assertTrue(subject.startswith("Subject: Rundbrief "), subject)
        self.assertIn("Willkommenskonferenz und neue Termine", subject)
        self.assertIn("schön, dass Sie dabei sind!", r.stdout)
        self.assertNotIn("#", r.stdout.split("Termine bis")[0])
        self.assertEqual(r.stdout.count("Hallo "), 1)  # greeted once
        self.assertIn("editorial: %s.md" % base, r.stderr)
        r = self.run_tool("preview", "newsletter", "--subscriber",
                          "olena.kovalenko@example.org")
        self.assertIn("welcome conference and new dates", r.stdout)
        self.assertIn("We are glad you are with us!", r.stdout)
        self.assertEqual(r.stdout.count("Dear "), 1)

    def test_sample_keeps_an_editorial_that_is_there(self):
        path = self.editorial(self.month() + ".md", "Mein Text.\n")
        out = self.ok("sample")
        self.assertNotIn("example editorial: %s\n" % path, out)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), "Mein Text.\n")


class TestEditorialPerLanguage(Content):
    def setUp(self):
        super().setUp()
        for addr, lang in (("anna@example.org", "de"),
                           ("olena@example.org", "en"),
                           ("marie@example.org", "fr")):
            self.ok("subscriber", "add", addr, "--name", "X", "--lang",
                    lang, "--confirmed")
        self.editorial(MONTH + ".md", "---\nsubject: Rundbrief Januar\n"
                       "---\nDeutscher Text.\n")
        self.editorial(MONTH + ".en.md", "---\nsubject: January news\n"
                       "---\nEnglish text.\n")

    def test_preview_uses_and_names_the_language_file(self):
        out, err = self.preview("--subscriber", "olena@example.org")
        self.assertTrue(out.startswith("Subject: January news\n"), out)
        self.assertIn("English text.", out)
        self.assertNotIn("Deutscher Text.", out)
        self.assertIn("editorial: %s/%s.en.md" % (self.content, MONTH), err)
        out, err = self.preview("--subscriber", "marie@example.org")
        self.assertIn("Deutscher Text.", out)
        self.assertIn("editorial: %s/%s.md (no %s/%s.fr.md)" % (
            self.content, MONTH, self.content, MONTH), err)
        out, err = self.preview("--subscriber", "anna@example.org")
        self.assertTrue(out.startswith("Subject: Rundbrief Januar\n"), out)
        self.assertIn("editorial: %s/%s.md\n" % (self.content, MONTH), err)
        os.unlink(os.path.join(self.content, MONTH + ".md"))
        out, err = self.preview("--subscriber", "anna@example.org")
        self.assertIn("editorial: none (no %s/%s.md)" % (self.content,
                                                         MONTH), err)

    def test_sent_newsletter_keeps_the_texts_it_was_sent_with(self):
        self.ok("newsletter", "send", "--month", MONTH)
        # edited after sending, before delivery
        self.editorial(MONTH + ".md", "Geändert.\n")
        self.editorial(MONTH + ".en.md", "Changed.\n")
        self.ok("queue", "run")
        got = self.delivered()
        self.assertEqual(sorted(got), ["anna@example.org",
                                       "marie@example.org",
                                       "olena@example.org"])
        self.assertEqual(got["olena@example.org"][0], "January news")
        self.assertIn("English text.", got["olena@example.org"][1])
        self.assertIn("Deutscher Text.", got["anna@example.org"][1])
        self.assertIn("Deutscher Text.", got["marie@example.org"][1])
        for subject, text in got.values():
            self.assertNotIn("Geändert", text)
            self.assertNotIn("Changed", text)


class TestPreviewDefault(Content):
    def test_made_up_subscriber_in_every_district(self):
        self.ok("sample")
        r = self.run_tool("preview", "newsletter")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("made-up subscriber (Max Mustermann "
                      "<max.mustermann@example.org>, language de, all 4 "
                      "districts, all 3 topics)", r.stderr)
        self.assertIn("Hallo Max Mustermann,", r.stdout)
        # events of Nord and of Süd, which no real subscriber both gets
        self.assertIn("Netzwerktreffen Nord", r.stdout)
        self.assertIn("Ehrenamtsmesse Süd", r.stdout)
        r = self.run_tool("preview", "invitation", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Hallo Max Mustermann,", r.stdout)
        self.assertIn("made-up subscriber", r.stderr)
        # a real one on request, and then no note
        out, err = self.preview("--subscriber", "anna.schneider@example.org")
        self.assertIn("Hallo Anna Schneider,", out)
        self.assertNotIn("made-up", err)


if __name__ == "__main__":
    unittest.main()
