#!/usr/bin/python3
"""rundbrief-web in a real browser: Debian's chromium, driven by
puppeteer-core (web_browser.js beside this file), at 375 px (a phone) and
1024 px opens the unsubscribe page and clicks its button, changes the
preferences (newsletter no, another district) and saves them, declines on
the RSVP page and subscribes through /anmelden; after each, the database
shows the result. On every page: no horizontal overflow, no console
errors, no CSP violations, no failed requests. The full-page screenshots
are kept for people to look at (RUNDBRIEF_SCREENSHOTS, default
/tmp/rundbrief-screenshots). Run by `make check` (RUNDBRIEF_BUILD names
the build dir)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_web_pages  # noqa: E402 (the module: its tests are not run here)

SRC = os.environ.get("RUNDBRIEF_SRC", os.getcwd())
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "web_browser.js")
SHOTS = os.environ.get("RUNDBRIEF_SCREENSHOTS", "/tmp/rundbrief-screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = shutil.which("node") or shutil.which("nodejs")
PUPPETEER = os.path.join(SRC, "tests", "node_modules", "puppeteer-core",
                         "package.json")


def kill_leftovers(marker):
    """Ends every process whose command line names marker (the browser's
    own profile directory, so only browsers this test started)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if marker.encode() in cmd:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


class WebBrowser(unittest.TestCase):
    # the server and the tool as test_web_pages drives them
    # (no module-level name for WebPages: unittest would run its tests)
    setUp = test_web_pages.WebPages.setUp
    ok = test_web_pages.WebPages.ok
    sql = test_web_pages.WebPages.sql
    start_web = test_web_pages.WebPages.start_web
    token = test_web_pages.WebPages.token

    def browse(self, name, width, steps, lang=None):
        """Runs one visit in a fresh browser; returns its pages. Fails on
        any problem the browser saw and on overflow at any width."""
        self.assertIsNotNone(CHROMIUM, "chromium is not installed")
        self.assertIsNotNone(NODE, "node is not installed")
        self.assertTrue(os.path.exists(PUPPETEER), "puppeteer-core is not"
                        " installed: sh tests/tools/deps.sh test")
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.dir)
        self.addCleanup(kill_leftovers, profile)
        job = {"chromium": CHROMIUM, "profile": profile, "width": width,
               "base": "http://127.0.0.1:%d" % self.port, "shots": SHOTS,
               "name": "web-%s-%d" % (name, width), "steps": steps,
               "lang": lang}
        env = dict(self.env, RUNDBRIEF_SRC=SRC)
        proc = subprocess.Popen([NODE, SCRIPT], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        try:
            out, err = proc.communicate(json.dumps(job), timeout=90)
        except subprocess.TimeoutExpired:
            # SIGTERM first: puppeteer then closes the browser itself
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
            self.fail("%s at %d px: the browser hung" % (name, width))
        self.assertIn(proc.returncode, (0, 1), "%s at %d px: %s"
                      % (name, width, err[-2000:]))
        result = json.loads(out)
        self.assertNotIn("error", result, "%s at %d px" % (name, width))
        self.assertEqual(result["problems"], [], "%s at %d px"
                         % (name, width))
        for p in result["pages"]:
            where = "%s at %d px: %s" % (name, width, p["url"])
            self.assertEqual(p["status"], 200, where)
            # a phone zooms out when the page is wider than the screen
            self.assertEqual(p["innerWidth"], width, where + " overflows")
            self.assertLessEqual(p["scrollWidth"], p["innerWidth"],
                                 where + " overflows")
            self.assertGreater(os.path.getsize(p["shot"]), 5000, where)
        return result["pages"]

    def subscriber(self, addr):
        return self.sql("SELECT status, newsletter FROM subscribers WHERE"
                        " email = ?", addr)

    def districts(self, addr):
        return sorted(r[0] for r in self.sql(
            "SELECT d.name FROM subscriber_districts sd JOIN districts d ON"
            " d.id = sd.district_id JOIN subscribers s ON s.id ="
            " sd.subscriber_id WHERE s.email = ?", addr))

    def test_pages_in_chromium(self):
        widths = (375, 1024)
        self.ok("district", "add", "Nord", "Süd", "Mitte")
        for w in widths:
            for who in ("ulla", "paul", "rita"):
                self.ok("subscriber", "add", "%s%d@example.org" % (who, w),
                        "--confirmed", "--no-mail", "--name",
                        "%s %d" % (who.title(), w), "--district", "Nord")
        self.ok("event", "add", "--kind", "training", "--title",
                "Erste-Hilfe-Schulung für alle Ehrenamtlichen im Kreis",
                "--start", "2031-05-10 18:00", "--location",
                "Rathaus, Großer Sitzungssaal, Marktplatz 1")
        self.ok("event", "publish", "1")  # invitations: the RSVP link works
        self.start_web()
        rsvps = "SELECT partstat FROM rsvps WHERE email = ?"

        for w in widths:
            with self.subTest(width=w):
                # unsubscribe: a GET page with a button, the POST behind it
                ulla = "ulla%d@example.org" % w
                pages = self.browse("unsubscribe", w, [
                    {"goto": "/u/" + self.token(ulla)},
                    {"click": "button[type=submit]"}])
                self.assertEqual(len(pages), 2)
                self.assertIn("abmelden", pages[0]["text"])
                self.assertEqual(pages[1]["h1"], "Sie sind abgemeldet")
                self.assertEqual(self.subscriber(ulla),
                                 [("unsubscribed", 1)])

                # preferences: newsletter no, Süd instead of Nord
                paul = "paul%d@example.org" % w
                self.assertEqual(self.subscriber(paul), [("active", 1)])
                pages = self.browse("preferences", w, [
                    {"goto": "/p/" + self.token(paul)},
                    {"check": "input[name=newsletter][value=no]"},
                    {"uncheck": "input[name=district][value=Nord]"},
                    {"check": "input[name=district][value='Süd']"},
                    {"click": "button[type=submit]"}])
                self.assertIn("Ihre Einstellungen sind gespeichert.",
                              pages[-1]["text"])
                self.assertEqual(self.subscriber(paul), [("active", 0)])
                self.assertEqual(self.districts(paul), ["Süd"])

                # RSVP: three buttons, "Absagen" clicked
                rita = "rita%d@example.org" % w
                pages = self.browse("rsvp", w, [
                    {"goto": "/r/%s/1" % self.token(rita)},
                    {"click": "button[value=declined]"}])
                for label in ("Zusagen", "Vielleicht", "Absagen"):
                    self.assertIn(label, pages[0]["text"])
                self.assertIn("Sie sind nicht dabei.", pages[1]["text"])
                self.assertEqual(self.sql(rsvps, rita), [("declined",)])

                # subscribe: the form, filled in as a person does
                # (a German phone, an English desktop browser)
                neu = "neu%d@example.org" % w
                lang = "de-DE,de;q=0.9" if w < 600 else "en-GB,en;q=0.8"
                pages = self.browse("subscribe", w, [
                    {"goto": "/anmelden"},
                    {"type": ["#email", neu]},
                    {"type": ["#name", "Neue Helferin"]},
                    {"select": ["#language", "de"]},
                    {"check": "input[name=district][value=Mitte]"},
                    {"click": "button[type=submit]"}], lang=lang)
                self.assertEqual(pages[0]["h1"], "Newsletter abonnieren"
                                 if w < 600 else
                                 "Subscribe to the newsletter")
                self.assertEqual(pages[-1]["h1"], "Fast geschafft")
                self.assertEqual(self.sql(
                    "SELECT status, name, consent_source FROM subscribers"
                    " WHERE email = ?", neu),
                    [("pending", "Neue Helferin", "web")])
                self.assertEqual(self.districts(neu), ["Mitte"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
