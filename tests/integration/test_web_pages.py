#!/usr/bin/python3
"""rundbrief-web's pages through the real server: the tool delivers a
newsletter and a confirmation request into the file transport, a link
scanner GETs and HEADs every https link in them (nothing in the database
changes), then the unsubscribe page, the RFC 8058 one-click POST byte for
byte as Gmail sends it, the confirmation page and the calendar feeds are
driven with http.client and the database is checked afterwards; an
invitation carries the RSVP link /r/TOKEN/EVENT, and answers POSTed to
it land in the rsvps table. Run by
`make check` (RUNDBRIEF_BUILD names the build dir)."""
import datetime
import email
import email.policy
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")
WEB = os.path.join(BUILD, "rundbrief-web")
BASE_URL = "https://rundbrief.example.org/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebPages(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-web-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "db", "rundbrief.db")
        self.maildir = os.path.join(self.dir, "outbox")
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        self.port = free_port()
        os.makedirs(os.path.join(self.dir, "content"))
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s\ncontent = %s/content\n"
                    "language = de\norganisation = Netz <b>Kreis</b>\n"
                    "organizer_email = ehrenamt@example.org\n"
                    "base_url = %s\n[smtp]\nmaildir = %s\n"
                    "[http]\nlisten = 127.0.0.1:%d\n"
                    % (self.db, self.dir, BASE_URL, self.maildir, self.port))
        os.chmod(self.conf, 0o600)
        self.env = dict(os.environ)
        for k in ("RUNDBRIEF_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC"):
            self.env.pop(k, None)
        self.ok("init")

    def ok(self, *args):
        r = subprocess.run([TOOL, "-c", self.conf] + list(args),
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        self.assertEqual(r.returncode, 0, "%s: %s%s" % (args, r.stdout,
                                                       r.stderr))
        return r.stdout

    def sql(self, query, *params):
        db = sqlite3.connect(self.db)
        try:
            return db.execute(query, params).fetchall()
        finally:
            db.close()

    def state(self):
        """Everything a link could change."""
        return (self.sql("SELECT email, status, consent_source, consent_at,"
                         " updated_at FROM subscribers ORDER BY email"),
                self.sql("SELECT count(*) FROM mailings"),
                self.sql("SELECT count(*) FROM outbox"))

    def start_web(self):
        log = open(os.path.join(self.dir, "web.log"), "w")
        self.addCleanup(log.close)
        proc = subprocess.Popen([WEB, "-c", self.conf], env=self.env,
                                stdout=log, stderr=log)

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(stop)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if proc.poll() is not None:
                with open(os.path.join(self.dir, "web.log")) as f:
                    self.fail("rundbrief-web exited: %s" % f.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.fail("rundbrief-web does not listen")

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def mails(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "*", "*"))):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    out.append(email.message_from_binary_file(
                        f, policy=email.policy.default))
        return out

    def links(self, msg):
        """Every https link of ours in a message (parts and headers)."""
        text = str(msg.get("List-Unsubscribe", ""))
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                text += part.get_content()
        found = set()
        for m in re.finditer(r"https://rundbrief\.example\.org/[^\s\"'<>]*",
                             text):
            found.add(m.group(0).rstrip(".,;)"))
        return found

    def token(self, addr):
        return self.sql("SELECT token FROM subscribers WHERE email = ?",
                        addr)[0][0]

    def test_link_scanner_and_pages(self):
        self.ok("subscriber", "add", "anna@example.org", "--confirmed",
                "--no-mail")
        self.ok("subscriber", "add", "dora@example.org")  # confirmation
        self.ok("event", "add", "--kind", "training", "--title",
                "Schulung <script>x</script>", "--start", "2031-05-10 18:00")
        self.ok("event", "publish", "1", "--no-mail")
        # one within this month's newsletter: its card links its calendar
        # file, for events that send no invitation
        soon = datetime.date.today() + datetime.timedelta(days=10)
        self.ok("event", "add", "--kind", "volunteer_fair", "--title",
                "Messe", "--start", soon.isoformat() + " 15:00")
        self.ok("event", "publish", "2", "--no-mail")
        self.ok("newsletter", "send")
        self.ok("queue", "run")
        mails = self.mails()
        self.assertGreaterEqual(len(mails), 2)
        links = set()
        for m in mails:
            links |= self.links(m)
        anna, dora = self.token("anna@example.org"), self.token(
            "dora@example.org")
        self.assertIn(BASE_URL + "u/" + anna, links)
        self.assertIn(BASE_URL + "c/" + dora, links)
        self.assertIn(BASE_URL + "p/" + anna, links)  # the footer

        (y, mo), = self.sql("SELECT year, month FROM mailings WHERE"
                            " kind = 'newsletter'")
        self.assertIn(BASE_URL + "archiv/%04d-%02d" % (y, mo), links)
        fair = self.sql("SELECT uid FROM events WHERE id = 2")[0][0]
        self.assertIn(BASE_URL + "e/" + fair + ".ics", links)
        texts = [p.get_content() for m in mails for p in m.walk()
                 if p.get_content_type() == "text/plain"]
        self.assertTrue(any("webcal://rundbrief.example.org/kalender.ics"
                            in t for t in texts))

        self.start_web()
        before = self.state()
        for url in sorted(links):
            path = "/" + url[len(BASE_URL):]
            for method in ("GET", "HEAD"):
                status, hdrs, body = self.request(method, path)
                if path.startswith(("/u/", "/c/", "/p/", "/e/")):
                    self.assertEqual(status, 200, "%s %s" % (method, path))
                self.assertIn(status, (200, 404), "%s %s" % (method, path))
                if method == "HEAD":
                    self.assertEqual(body, b"")
        self.assertEqual(self.state(), before, "a GET changed something")

        # the unsubscribe page: masked address, a button, escaped names
        status, hdrs, body = self.request("GET", "/u/" + anna)
        page = body.decode()
        self.assertIn("a…@example.org", page)
        self.assertNotIn("anna@", page)
        self.assertIn('<form method="post">', page)
        self.assertIn("Netz &lt;b&gt;Kreis&lt;/b&gt;", page)
        self.assertNotIn("<script", page)

        # RFC 8058, as Gmail sends it
        status, hdrs, body = self.request(
            "POST", "/u/" + anna, body=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "User-Agent": "Mozilla/5.0 (compatible; Google-"
                     "Apps-Script)"})
        self.assertEqual(status, 200)
        self.assertEqual(self.sql("SELECT status FROM subscribers WHERE"
                                  " email = 'anna@example.org'"),
                         [("unsubscribed",)])
        notices = ("SELECT count(*) FROM outbox o JOIN mailings m ON m.id ="
                   " o.mailing_id JOIN subscribers s ON s.id ="
                   " o.subscriber_id WHERE m.kind = 'unsubscribed' AND"
                   " s.email = 'anna@example.org'")
        self.assertEqual(self.sql(notices), [(1,)])
        # a second POST: a calm page, no second mail
        status, _, body = self.request(
            "POST", "/u/" + anna, body=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertIn("bereits abgemeldet", body.decode())
        self.assertEqual(self.sql(notices), [(1,)])

        # wrong and malformed tokens: the same answer
        a = self.request("GET", "/u/" + "0" * 32)
        b = self.request("GET", "/u/xyz")
        c = self.request("POST", "/c/" + "f" * 32, body=b"confirm=yes",
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded"})
        self.assertEqual(a[0], 404)
        self.assertEqual(a[2], b[2])
        self.assertEqual(a[2], c[2])

        # the confirmation
        status, _, body = self.request(
            "POST", "/c/" + dora, body=b"confirm=yes",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertEqual(self.sql("SELECT status, consent_source FROM"
                                  " subscribers WHERE email ="
                                  " 'dora@example.org'"),
                         [("active", "web-confirmation")])
        self.assertEqual(self.sql(
            "SELECT count(*) FROM mailings WHERE kind = 'welcome'"), [(1,)])

        # the calendar feed: ETag and 304
        status, hdrs, body = self.request("GET", "/kalender.ics")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["Content-Type"].startswith("text/calendar"))
        self.assertIn(b"METHOD:PUBLISH", body)
        self.assertIn("Last-Modified", hdrs)
        etag = hdrs["ETag"]
        status, hdrs, body = self.request("GET", "/kalender.ics",
                                          headers={"If-None-Match": etag})
        self.assertEqual(status, 304)
        uid = self.sql("SELECT uid FROM events WHERE id = 1")[0][0]
        status, _, body = self.request(
            "GET", "/e/%s.ics" % urllib.parse.quote(uid))
        self.assertEqual(status, 200)
        self.assertIn(b"SUMMARY:Schulung <script>x</script>", body)
        status, _, _ = self.request("GET", "/kalender/Nirgendwo.ics")
        self.assertEqual(status, 404)

    def test_subscribe_form(self):
        """The form through the real server: a new address becomes pending
        with a confirm mail; a subscribed one gets the same page and no
        mail; the honeypot stores nothing; the confirm mail goes out."""
        self.ok("district", "add", "Nord")
        self.ok("subscriber", "add", "nora@example.org", "--confirmed",
                "--no-mail")
        self.start_web()
        status, hdrs, body = self.request("GET", "/anmelden")
        self.assertEqual(status, 200)
        self.assertIn(b'name="website"', body)
        self.assertIn(b'value="Nord"', body)
        self.assertIn(b"Netz &lt;b&gt;Kreis&lt;/b&gt;", body)
        self.assertIn("default-src 'none'", hdrs["Content-Security-Policy"])
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        def post(addr, **extra):
            fields = {"email": addr, "name": "Neu <i>", "language": "de",
                      "district": "Nord", "website": ""}
            fields.update(extra)
            return self.request("POST", "/anmelden", headers=form,
                                body=urllib.parse.urlencode(fields))
        status, _, new = post("neu@example.org")
        self.assertEqual(status, 200)
        self.assertEqual(self.sql(
            "SELECT status, consent_source, name FROM subscribers WHERE"
            " email = 'neu@example.org'"), [("pending", "web", "Neu <i>")])
        self.assertEqual(self.sql(
            "SELECT count(*) FROM outbox o JOIN mailings m ON m.id ="
            " o.mailing_id JOIN subscribers s ON s.id = o.subscriber_id"
            " WHERE m.kind = 'confirm' AND s.email = 'neu@example.org'"),
            [(1,)])
        before = self.state()
        status, _, known = post("nora@example.org")
        self.assertEqual((status, known), (200, new))
        status, _, trap = post("nix@example.org", website="x")
        self.assertEqual((status, trap), (200, new))
        self.assertEqual(self.state(), before)
        status, _, body = post("kein-at")
        self.assertEqual(status, 400)
        self.assertEqual(self.state(), before)
        # the daemon's queue sends the confirm mail with the /c/ link
        self.ok("queue", "run")
        tok = self.token("neu@example.org")
        found = [m for m in self.mails()
                 if BASE_URL + "c/" + tok in self.links(m)]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["To"].addresses[0].addr_spec,
                         "neu@example.org")

    def test_preferences(self):
        """The preferences page: GET changes nothing, POST saves what the
        form asks for, invalid input changes nothing."""
        self.ok("district", "add", "Nord", "Süd", "Mitte")
        self.ok("subscriber", "add", "paula@example.org", "--confirmed",
                "--no-mail", "--name", "Paula", "--district", "Nord",
                "--topic", "Garten")
        tok = self.token("paula@example.org")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        self.start_web()

        def row():
            return self.sql(
                "SELECT name, language, newsletter, invitations, updated_at"
                " FROM subscribers WHERE email = 'paula@example.org'")[0]

        def districts():
            return sorted(r[0] for r in self.sql(
                "SELECT d.name FROM subscriber_districts sd JOIN districts d"
                " ON d.id = sd.district_id JOIN subscribers s ON s.id ="
                " sd.subscriber_id WHERE s.email = 'paula@example.org'"))

        def topics():
            return sorted(r[0] for r in self.sql(
                "SELECT t.topic FROM subscriber_topics t JOIN subscribers s"
                " ON s.id = t.subscriber_id WHERE s.email ="
                " 'paula@example.org'"))

        before = (row(), districts(), topics())
        for method in ("GET", "HEAD"):
            status, hdrs, body = self.request(method, "/p/" + tok)
            self.assertEqual(status, 200)
        page = self.request("GET", "/p/" + tok)[2].decode()
        self.assertIn('<form method="post">', page)
        self.assertIn('value="Paula"', page)
        self.assertIn('value="Nord" checked>', page)
        self.assertNotIn("<script", page)
        self.assertEqual((row(), districts(), topics()), before)

        body = urllib.parse.urlencode(
            [("name", "Paula <b>P</b>"), ("language", "en"),
             ("district", "Süd"), ("district", "Mitte"),
             ("topics", "Garten, Chor"), ("topic", "Garten"),
             ("newsletter", "no"), ("invitations", "none")]).encode()
        status, _, page = self.request("POST", "/p/" + tok, body=body,
                                       headers=form)
        self.assertEqual(status, 200)
        page = page.decode()
        self.assertIn("Your preferences are saved.", page)
        self.assertIn("Paula &lt;b&gt;P&lt;/b&gt;", page)
        r = row()
        self.assertEqual(r[:4], ("Paula <b>P</b>", "en", 0, "none"))
        self.assertEqual(districts(), ["Mitte", "Süd"])
        self.assertEqual(sorted(t.lower() for t in topics()),
                         ["chor", "garten"])

        # an unknown district: nothing changes, the page says why
        saved = (row(), districts(), topics())
        body = urllib.parse.urlencode(
            [("name", "Anders"), ("district", "Atlantis"),
             ("newsletter", "yes")]).encode()
        status, _, page = self.request("POST", "/p/" + tok, body=body,
                                       headers=form)
        self.assertEqual(status, 200)
        self.assertIn("Atlantis", page.decode())
        self.assertIn("Nothing was changed", page.decode())
        self.assertEqual((row(), districts(), topics()), saved)

        # a wrong token: the neutral 404, the same as any unknown path
        a = self.request("POST", "/p/" + "0" * 32, body=b"name=x",
                         headers=form)
        b = self.request("GET", "/nirgends")

    def test_rsvp(self):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        self.ok("subscriber", "add", "anna@example.org", "--confirmed",
                "--no-mail")
        self.ok("subscriber", "add", "bert@example.org", "--confirmed",
                "--no-mail")
        self.ok("event", "add", "--kind", "training", "--title",
                "Schulung <script>x</script>", "--start", "2031-05-10 18:00",
                "--location", "Rathaus", "--capacity", "1")
        self.ok("event", "publish", "1")  # the invitations
        self.ok("queue", "run")
        anna, bert = self.token("anna@example.org"), self.token(
            "bert@example.org")
        link = BASE_URL + "r/%s/1" % anna
        invitations = [m for m in self.mails()
                       if "anna@example.org" in str(m["To"])]
        self.assertEqual(len(invitations), 1)
        msg = invitations[0]
        self.assertIn(link, self.links(msg))
        texts = {p.get_content_type(): p.get_content() for p in msg.walk()
                 if p.get_content_maintype() == "text"}
        self.assertIn(link, texts["text/plain"])
        self.assertIn('href="%s"' % link, texts["text/html"])
        self.assertIn("text/calendar", texts)

        self.start_web()
        rsvps = "SELECT email, occurrence, partstat FROM rsvps ORDER BY email"
        before = self.state()
        for method in ("GET", "HEAD"):
            status, _, body = self.request(method, "/r/%s/1" % anna)
            self.assertEqual(status, 200)
        page = self.request("GET", "/r/%s/1" % anna)[2].decode()
        self.assertIn("Schulung &lt;script&gt;x&lt;/script&gt;", page)
        self.assertNotIn("<script", page)
        self.assertIn("Samstag, 10. Mai 2031", page)
        self.assertEqual(page.count('<form method="post"'), 3)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.sql(rsvps), [])

        status, _, body = self.request("POST", "/r/%s/1" % anna,
                                       body=b"answer=accepted", headers=form)
        self.assertEqual(status, 200)
        self.assertIn("Sie sind dabei", body.decode())
        self.assertEqual(self.sql(rsvps),
                         [("anna@example.org", "", "accepted")])
        # one place, taken: bert may only decline, the coordinator is told
        self.assertEqual(self.sql("SELECT full_noticed FROM events"), [(1,)])
        self.assertEqual(self.sql("SELECT count(*) FROM mailings WHERE"
                                  " kind = 'notice'"), [(1,)])
        page = self.request("GET", "/r/%s/1" % bert)[2].decode()
        self.assertIn("Alle Plätze sind vergeben", page)
        self.assertEqual(page.count('<form method="post"'), 1)
        status, _, _ = self.request("POST", "/r/%s/1" % bert,
                                    body=b"answer=accepted", headers=form)
        self.assertEqual(status, 409)
        self.assertEqual(self.sql(rsvps),
                         [("anna@example.org", "", "accepted")])
        # a later answer replaces the earlier
        status, _, _ = self.request("POST", "/r/%s/1" % anna,
                                    body=b"answer=declined", headers=form)
        self.assertEqual(status, 200)
        self.assertEqual(self.sql(rsvps),
                         [("anna@example.org", "", "declined")])
        # a bad token and an unknown event: the neutral 404
        a = self.request("GET", "/r/%s/1" % ("0" * 32))
        b = self.request("GET", "/r/%s/2" % anna)
        self.assertEqual(a[0], 404)
        self.assertEqual(a[2], b[2])

    def test_archive(self):
        """/archiv/ lists the newsletters that went out (not the
        coordinator's review copies, not one still queued), newest
        first; a month's page is the mail as nobody in particular gets
        it: the editorial, no subscriber's token or address."""
        with open(os.path.join(self.dir, "content", "2031-04.md"), "w") as f:
            f.write("Unser **Sommerfest** im Stadtpark.\n")
        self.ok("subscriber", "add", "anna@example.org", "--name",
                "Anna Beispiel", "--confirmed", "--no-mail")
        self.ok("subscriber", "add", "bert@example.org", "--confirmed",
                "--no-mail", "--language", "en")
        self.ok("newsletter", "send", "--month", "2031-03")
        self.ok("newsletter", "send", "--month", "2031-04")
        self.ok("queue", "run")
        self.ok("newsletter", "send", "--month", "2031-06")  # queued only
        # the coordinator's review copy of May: a note, one sent row
        db = sqlite3.connect(self.db)
        with db:
            cur = db.execute(
                "INSERT INTO mailings (kind, key, title, state, year, month,"
                " note, created_at) VALUES ('newsletter', 'review:2031-05',"
                " 'Review', 'done', 2031, 5, 'Prüfexemplar', 0)")
            db.execute("INSERT INTO outbox (mailing_id, rcpt, state,"
                       " next_attempt, created_at, updated_at) VALUES"
                       " (?, 'ehrenamt@example.org', 'sent', 0, 0, 0)",
                       (cur.lastrowid,))
        db.close()
        tokens = [t for (t,) in self.sql("SELECT token FROM subscribers")]
        self.start_web()

        status, hdrs, body = self.request("GET", "/archiv/")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertEqual(re.findall(r'href="/archiv/([0-9-]+)"', page),
                         ["2031-04", "2031-03"])
        self.assertIn("April 2031", page)
        self.assertIn("März 2031", page)
        status, _, body = self.request("GET", "/archiv/",
                                       headers={"Accept-Language": "en"})
        self.assertIn("March 2031", body.decode())

        status, hdrs, body = self.request("GET", "/archiv/2031-04")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["Content-Type"].startswith("text/html"))
        self.assertIn("img-src 'none'", hdrs["Content-Security-Policy"])
        self.assertIn("style-src 'unsafe-inline'",
                      hdrs["Content-Security-Policy"])
        page = body.decode()
        self.assertIn("<strong>Sommerfest</strong>", page)
        self.assertNotIn("Im Browser ansehen", page)  # it is in one
        self.assertIn("April 2031", page)
        for t in tokens:
            self.assertNotIn(t, page)
        for text in ("anna@", "bert@", "Anna", "example.org/u/"):
            self.assertNotIn(text, page)

        for path in ("/archiv/2031-05", "/archiv/2031-06", "/archiv/2031-13",
                     "/archiv/2031-4", "/archiv/2031-%204", "/archiv/x",
                     "/archiv/2031-04/x"):
            status, _, _ = self.request("GET", path)
            self.assertEqual(status, 404, path)
        status, _, body = self.request("HEAD", "/archiv/2031-03")
        self.assertEqual((status, body), (200, b""))


if __name__ == "__main__":
    unittest.main()
