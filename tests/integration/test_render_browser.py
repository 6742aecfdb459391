#!/usr/bin/python3
"""Renders the default HTML newsletter (sample database, German and English)
in headless Chromium at 375 px and 1024 px: it must lay out without
horizontal overflow, and the screenshots are kept for people to look at
(RUNDBRIEF_SCREENSHOTS, default /tmp/rundbrief-screenshots)."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")
SHOTS = os.environ.get("RUNDBRIEF_SCREENSHOTS", "/tmp/rundbrief-screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
# The page is laid out in an iframe of the exact width (headless Chromium
# keeps a minimum window width), and reports its own scroll width.
PROBE = ("<script>window.addEventListener('load',function(){parent.document"
         ".title='W='+document.documentElement.scrollWidth+',V='+"
         "window.innerWidth;});</script>")
FRAME = ("<!doctype html><html><head><title>none</title></head><body "
         "style='margin:0'><iframe src='%s' width='%d' height='2400' "
         "style='border:0'></iframe></body></html>")


class Browser(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(CHROMIUM, "chromium is not installed")
        self.dir = tempfile.mkdtemp(prefix="rundbrief-browser-")
        self.conf = os.path.join(self.dir, "c.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db.sqlite\ncontent = %s/content\n"
                    % (self.dir, self.dir))
        for args in (["init"], ["sample"]):
            subprocess.run([TOOL, "-c", self.conf] + args, check=True,
                           capture_output=True)
        os.makedirs(SHOTS, exist_ok=True)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def chromium(self, args, width):
        profile = tempfile.mkdtemp(dir=self.dir)
        return subprocess.run([CHROMIUM] + FLAGS + [
            "--user-data-dir=" + profile, "--window-size=%d,2400" % width]
            + args, capture_output=True, text=True, timeout=120)

    def check(self, who, lang):
        html = subprocess.run([TOOL, "-c", self.conf, "preview", "newsletter",
                               "--subscriber", who, "--format", "html"],
                              check=True, capture_output=True,
                              text=True).stdout
        self.assertIn('lang="%s"' % lang, html)
        page = os.path.join(self.dir, "nl-%s.html" % lang)
        with open(page, "w") as f:
            f.write(html)
        probe = os.path.join(self.dir, "probe-%s.html" % lang)
        with open(probe, "w") as f:
            f.write(html.replace("</body>", PROBE + "</body>"))
        for width in (375, 1024):
            shot = os.path.join(SHOTS, "newsletter-%s-%d.png" % (lang, width))
            self.chromium(["--screenshot=" + shot, "file://" + page], width)
            self.assertTrue(os.path.getsize(shot) > 20000, shot)
            frame = os.path.join(self.dir, "frame-%s-%d.html" % (lang, width))
            with open(frame, "w") as f:
                f.write(FRAME % ("file://" + probe, width))
            dom = self.chromium(["--allow-file-access-from-files",
                                 "--virtual-time-budget=5000",
                                 "--dump-dom", "file://" + frame], 1200)
            m = re.search(r"<title>W=(\d+),V=(\d+)</title>", dom.stdout)
            self.assertIsNotNone(m, dom.stderr[-500:])
            self.assertEqual(int(m.group(2)), width)
            self.assertLessEqual(int(m.group(1)), width,
                                 "%s at %d px overflows" % (lang, width))

    def test_german(self):
        self.check("anna.schneider@example.org", "de")

    def test_english(self):
        self.check("olena.kovalenko@example.org", "en")


if __name__ == "__main__":
    unittest.main(verbosity=1)
