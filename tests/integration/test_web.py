#!/usr/bin/python3
"""End-to-end tests of the web service's server `rundbrief-web` (issue 13):
it runs on a free 127.0.0.1 port with a temporary configuration and
database and is driven with http.client and raw sockets: /healthz, the
security headers on every answer, methods, body and path limits, HEAD,
X-Forwarded-For from trusted and untrusted peers (seen in the -v request
log), idle connections, SIGTERM, -n. What the pages answer is the pages'
own test's. Run by `make check` (RUNDBRIEF_BUILD names the build dir)."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("RUNDBRIEF_BUILD", os.path.join(os.getcwd(), "build"))
TOOL = os.path.join(BUILD, "rundbrief")
WEB = os.path.join(BUILD, "rundbrief-web")
EX_CONFIG = 78

SECURITY = {
    "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' "
        "data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """rundbrief-web -v on its own directory, configuration and database."""

    def __init__(self, extra=""):
        self.dir = tempfile.mkdtemp(prefix="rundbrief-web-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "rundbrief.ini")
        with open(self.conf, "w") as f:
            f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                    "[smtp]\nmaildir = %s/outbox\n"
                    "[http]\nlisten = 127.0.0.1:%d\n%s"
                    % (self.dir, self.dir, self.port, extra))
        os.chmod(self.conf, 0o600)
        env = dict(os.environ)
        env.pop("RUNDBRIEF_CONFIG", None)
        subprocess.run([TOOL, "-c", self.conf, "init"], check=True,
                       capture_output=True, env=env, timeout=60)
        self.log = os.path.join(self.dir, "web.log")
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([WEB, "-v", "-c", self.conf],
                                     stdout=self.logf, stderr=self.logf,
                                     env=env)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("rundbrief-web did not start: " +
                                       open(self.log).read())
                time.sleep(0.05)

    def request(self, method, path, body=None, headers=None,
                source="127.0.0.1"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5,
                                       source_address=(source, 0))
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r, r.read()
        finally:
            c.close()

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        shutil.rmtree(self.dir)


@unittest.skipUnless(os.access(WEB, os.X_OK),
                     "%s not built (it needs daemon/web.c, the pages)" % WEB)
class TestServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def assert_secure(self, r, what):
        for k, v in SECURITY.items():
            self.assertEqual(r.getheader(k), v, "%s: %s" % (what, k))
        self.assertTrue(r.getheader("Cache-Control"), what)

    def test_healthz(self):
        r, body = self.srv.request("GET", "/healthz")
        self.assertEqual((r.status, body), (200, b"ok\n"))
        self.assertTrue(r.getheader("Content-Type").startswith("text/plain"))
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        self.assert_secure(r, "GET /healthz")

    def test_head_has_no_body(self):
        r, body = self.srv.request("HEAD", "/healthz")
        self.assertEqual((r.status, body), (200, b""))
        self.assertEqual(r.getheader("Content-Length"), "3")
        self.assert_secure(r, "HEAD /healthz")

    def test_other_paths_go_to_the_pages(self):
        r, _ = self.srv.request("GET", "/nothing-here")
        self.assertEqual(r.status, 404)
        self.assert_secure(r, "GET /nothing-here")

    def test_methods(self):
        for m in ("PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"):
            r, _ = self.srv.request(m, "/healthz", body=b"x")
            self.assertEqual(r.status, 405, m)
            self.assertEqual(r.getheader("Allow"), "GET, HEAD, POST", m)
            self.assert_secure(r, m)

    def test_body_limit(self):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r, _ = self.srv.request("POST", "/u/x", body=b"a=" + b"b" * 20480,
                                headers=form)
        self.assertEqual(r.status, 413)
        self.assert_secure(r, "20 KB POST")
        # 16 KB is still allowed (the pages answer it: not a 413)
        r, _ = self.srv.request("POST", "/u/x", body=b"a=" + b"b" * 16382,
                                headers=form)
        self.assertNotEqual(r.status, 413)
        # a huge declared body is refused before it is sent
        s = socket.create_connection(("127.0.0.1", self.srv.port), 5)
        s.sendall(b"POST /u/x HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 50000000\r\n\r\n")
        self.assertIn(b" 413 ", s.recv(4096).split(b"\r\n")[0] + b" ")
        s.close()

    def test_bad_form_is_400(self):
        r, _ = self.srv.request("POST", "/u/x", body=b"a=%zz", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 400)
        self.assert_secure(r, "bad form")

    def test_bad_paths(self):
        for p in ("/u/%00abc", "/a/../healthz", "/a/%2e%2e/healthz",
                  "/%ff", "/a/%0d%0aX-Injected:%201", "/a%zz"):
            r, _ = self.srv.request("GET", p)
            self.assertEqual(r.status, 400, p)
            self.assertIsNone(r.getheader("X-Injected"), p)
            self.assert_secure(r, p)
        # percent-decoding happens: /health%7a is /healthz
        r, body = self.srv.request("GET", "/health%7a")
        self.assertEqual((r.status, body), (200, b"ok\n"))

    def test_forwarded_for_ignored_from_untrusted_peer(self):
        self.srv.request("GET", "/xff-untrusted", headers={
            "X-Forwarded-For": "203.0.113.9"})
        self.assertIn("GET /xff-untrusted from 127.0.0.1: 404",
                      self.srv.log_text())

    def test_idle_connections_and_per_client_limit(self):
        idle = []
        try:
            # 200 connections that send nothing, 16 (the per-client
            # limit) from each of 127.0.0.2 ... 127.0.0.14
            for i in range(200):
                s = socket.socket()
                s.bind(("127.0.0.%d" % (2 + i // 16), 0))
                s.connect(("127.0.0.1", self.srv.port))
                idle.append(s)
            time.sleep(0.3)
            t = time.monotonic()
            r, body = self.srv.request("GET", "/healthz")
            self.assertEqual((r.status, body), (200, b"ok\n"))
            self.assertLess(time.monotonic() - t, 1.0)
            # they are still open (the server waits for them) ...
            open_ = 0
            for s in idle:
                s.setblocking(False)
                try:
                    open_ += s.recv(1) != b""
                except BlockingIOError:
                    open_ += 1
            self.assertEqual(open_, 200)
            # ... but a 17th from one address is closed at once
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", self.srv.port))
            s.settimeout(3)
            try:
                s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
                got = s.recv(100)
            except ConnectionResetError:
                got = b""
            s.close()
            self.assertEqual(got, b"")
        finally:
            for s in idle:
                s.close()


@unittest.skipUnless(os.access(WEB, os.X_OK),
                     "%s not built (it needs daemon/web.c, the pages)" % WEB)
class TestLifecycle(unittest.TestCase):
    def test_forwarded_for_believed_from_trusted_proxy(self):
        srv = Server("trusted_proxies = 10.0.0.1, 127.0.0.1\n")
        try:
            srv.request("GET", "/xff-trusted", headers={
                "X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.0.0.1"})
            srv.request("GET", "/xff-mine", headers={
                "X-Forwarded-For": "198.51.100.4"}, source="127.0.0.5")
            log = srv.log_text()
            self.assertIn("GET /xff-trusted from 203.0.113.9: 404", log)
            self.assertIn("GET /xff-mine from 127.0.0.5: 404", log)
        finally:
            srv.stop()

    def test_sigterm_exits_0_quickly(self):
        srv = Server()
        idle = []
        try:
            for _ in range(10):
                idle.append(socket.create_connection(("127.0.0.1",
                                                      srv.port)))
            r, _ = srv.request("GET", "/healthz")
            self.assertEqual(r.status, 200)
            t = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(timeout=5)
            self.assertEqual(rc, 0, srv.log_text())
            self.assertLess(time.monotonic() - t, 2.0)
            self.assertIn("stopping", srv.log_text())
        finally:
            for s in idle:
                s.close()
            srv.stop()

    def test_check_config(self):
        d = tempfile.mkdtemp(prefix="rundbrief-web-n-")
        try:
            def check(text):
                p = os.path.join(d, "c.ini")
                with open(p, "w") as f:
                    f.write(text)
                os.chmod(p, 0o600)
                return subprocess.run([WEB, "-n", "-c", p],
                                      capture_output=True, text=True,
                                      timeout=30)
            r = check("[http]\nlisten = 127.0.0.1:8080\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration OK", r.stdout)
            r = check("[http]\nlisten = localhost:8080\n")
            self.assertEqual(r.returncode, EX_CONFIG)
            self.assertIn("[http] listen", r.stderr)
            r = check("[http]\nlisen = 127.0.0.1:8080\n")
            self.assertEqual(r.returncode, EX_CONFIG)
            self.assertIn("lisen", r.stderr)
            r = subprocess.run([WEB, "--version"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith("rundbrief-web "))
        finally:
            shutil.rmtree(d)

    def test_address_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            d = tempfile.mkdtemp(prefix="rundbrief-web-busy-")
            try:
                p = os.path.join(d, "c.ini")
                with open(p, "w") as f:
                    f.write("[general]\ndatabase = %s/db/rundbrief.db\n"
                            "[http]\nlisten = 127.0.0.1:%d\n" % (d, port))
                os.chmod(p, 0o600)
                subprocess.run([TOOL, "-c", p, "init"], check=True,
                               capture_output=True, timeout=60)
                r = subprocess.run([WEB, "-c", p], capture_output=True,
                                   text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("cannot listen", r.stderr)
            finally:
                shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
