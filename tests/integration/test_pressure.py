#!/usr/bin/python3
"""Delivery under pressure: the outbox's promise (nothing lost, at most the
messages on the wire sent twice) against a database locked by another
process, a second sender, a server that refuses us rather than the
recipients, long rate-limited runs under a watchdog, and a hung server at
shutdown.

Every test talks to tests/integration/smtpd.py (aiosmtpd, 127.0.0.1), which
fsyncs every accepted message before its 250, and prints its figures
(trials, lost, duplicates). Set PRESSURE_RUN_SECONDS for a longer
rate-limited run (default 75).

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build directory,
RUNDBRIEF_SRC the repository root."""
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_delivery import (DAEMON, PYTHON, TOOL, Delivery,  # noqa: E402
                           stop_process, wait_for)

EX_TEMPFAIL = 75
CONNECTIONS = 4


def report(what, **figures):
    print("\n  %s: %s" % (what, ", ".join("%s %s" % kv
                                          for kv in figures.items())),
          flush=True)


class Pressure(Delivery):
    def people(self, n, prefix="v"):
        return [("%s%04d@example.org" % (prefix, i), "Person %d" % i)
                for i in range(n)]

    def configure_extra(self, port, extra, **kw):
        self.configure(port, **kw)
        with open(self.conf, "a") as f:
            f.write(extra)

    def start_daemon(self, env=None):
        log = open(os.path.join(self.dir, "daemon-%d.log"
                                % time.monotonic_ns()), "wb")
        proc = subprocess.Popen([DAEMON, "-c", self.conf, "-f"],
                                stdout=log, stderr=log,
                                env=env or self.env)
        log.close()
        self.addCleanup(stop_process, proc, signal.SIGKILL)
        self.daemon_log = log.name
        return proc

    def log_text(self):
        with open(self.daemon_log, errors="replace") as f:
            return f.read()

    def hold_lock(self, seconds):
        """Another process (like a long import) holds the write lock."""
        code = ("import sqlite3, sys, time\n"
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN IMMEDIATE')\n"
                "print('locked', flush=True)\n"
                "time.sleep(float(sys.argv[2]))\n"
                "c.execute('COMMIT')\n")
        p = subprocess.Popen([PYTHON, "-c", code, self.db, str(seconds)],
                             stdout=subprocess.PIPE, text=True)
        self.addCleanup(stop_process, p, signal.SIGKILL)
        self.assertEqual(p.stdout.readline().strip(), "locked")
        return p

    def dups_and_lost(self, srv, addrs):
        c = srv.counts()
        lost = sum(1 for a in addrs if c.get(a, 0) == 0)
        dups = sum(max(c.get(a, 0) - 1, 0) for a in addrs)
        return dups, lost

    def settled(self, mailing):
        return self.sql("SELECT state, count(*) FROM outbox WHERE"
                        " mailing_id = ? GROUP BY state", mailing)


class TestLockedDatabase(Pressure):
    def test_kill_while_locked_duplicates_at_most_connections(self):
        """Defect 1: while the database is locked the connections used to
        go on sending, and a kill -9 then resent 2 x connections."""
        trials, worst, total_dups, total_lost = 5, 0, 0, 0
        for trial in range(trials):
            with self.subTest(trial=trial):
                srv = self.start_server("--data-delay", "0.01")
                if os.path.exists(self.db):
                    os.unlink(self.db)
                    for ext in ("-wal", "-shm"):
                        if os.path.exists(self.db + ext):
                            os.unlink(self.db + ext)
                self.configure(srv.port, connections=CONNECTIONS)
                people = self.people(200, "t%d-" % trial)
                self.add_subscribers(people)
                mailing, _, _ = self.newsletter()
                proc = subprocess.Popen([TOOL, "-c", self.conf, "queue",
                                         "run"], env=self.env,
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                self.addCleanup(stop_process, proc, signal.SIGKILL)
                self.assertTrue(wait_for(lambda: srv.total() >= 40, 30))
                lock = self.hold_lock(2)
                time.sleep(1.0 + random.random() * 0.5)
                proc.kill()
                proc.wait()
                lock.wait(10)
                self.queue_run(limit=60)
                dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
                worst = max(worst, dups)
                total_dups += dups
                total_lost += lost
                self.assertEqual(lost, 0)
                self.assertLessEqual(dups, CONNECTIONS)
                self.assertEqual(self.settled(mailing), [("sent", 200)])
                srv.stop()
        report("kill -9 with the database locked", trials=trials,
               lost=total_lost, duplicates=total_dups, worst=worst,
               connections=CONNECTIONS)

    def test_long_lock_during_send_nothing_left_sending(self):
        """Defect 2: a lock held longer than the busy timeout (a long
        import) while results are written: each is written later, none is
        left in 'sending' to be sent again."""
        srv = self.start_server("--data-delay", "0.02")
        self.configure(srv.port, connections=CONNECTIONS)
        people = self.people(150)
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= 20, 30))
        lock = self.hold_lock(7)      # > the 5 s busy timeout
        # the import's own failure is a temporary one, not bad data
        r = self.run_tool("subscriber", "add", "late@example.org",
                          "--confirmed", timeout=30)
        self.assertEqual(r.returncode, EX_TEMPFAIL, r.stderr)
        self.assertIn("locked", r.stderr)
        lock.wait(15)
        self.assertTrue(wait_for(lambda: srv.total() >= 150, 60))
        self.assertTrue(wait_for(
            lambda: self.settled(mailing) == [("sent", 150)], 20),
            self.settled(mailing))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(20), 0)
        dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
        self.assertEqual((dups, lost), (0, 0))
        self.assertIn("trying again until the database takes it",
                      self.log_text())
        self.assertEqual(self.sql("SELECT state FROM mailings WHERE id = ?",
                                  mailing), [("done",)])
        report("7 s lock during a send", messages=150, lost=lost,
               duplicates=dups, left_sending=0)


class TestServerRefusesUs(Pressure):
    def refused_then_fixed(self, filename, reply, n=30):
        srv = self.start_server()
        self.configure(srv.port)
        people = self.people(n)
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        with open(os.path.join(srv.store, filename), "w") as f:
            f.write(reply + "\n")
        out, err, _ = self.queue_run()
        self.assertEqual(srv.total(), 0)
        self.assertEqual(self.sql(
            "SELECT count(*) FROM subscribers WHERE status <> 'active'"
            " OR bounces > 0"), [(0,)])
        state, reason = self.sql("SELECT state, blocked_reason FROM mailings"
                                 " WHERE id = ?", mailing)[0]
        self.assertEqual(state, "blocked")
        self.assertIn(reply.split()[0], reason)
        self.assertIn("blocked", self.ok("queue"))
        self.assertIn("queue retry %d" % mailing, err)
        self.assertEqual(self.settled(mailing), [("queued", n)])
        # the coordinator fixes the server and resumes
        os.unlink(os.path.join(srv.store, filename))
        self.ok("queue", "retry", str(mailing))
        out, _, _ = self.queue_run()
        self.assertIn("sent %d" % n, out)
        dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
        self.assertEqual((dups, lost), (0, 0))
        self.assertEqual(self.sql("SELECT state FROM mailings WHERE id = ?",
                                  mailing), [("done",)])
        report(reply, subscribers=n, bounced=0, lost=lost, duplicates=dups)

    def test_553_sender_rejected_blocks_the_mailing(self):
        self.refused_then_fixed(
            "mail-reply", "553 5.7.1 <bounces@landkreis.example>: Sender "
            "address rejected: not owned by user")

    def test_554_relay_denied_to_every_rcpt_blocks(self):
        self.refused_then_fixed("rcpt-reply", "554 5.7.1 Relay access denied")

    def test_554_relay_denied_without_enhanced_code_blocks(self):
        self.refused_then_fixed("rcpt-reply", "554 Relay access denied")

    def test_same_550_for_everyone_is_taken_back(self):
        """A 550 to every RCPT looks like bounces one by one; 20 in a row
        are taken back and the mailing is paused."""
        self.refused_then_fixed("rcpt-reply", "550 Mailbox unavailable",
                                n=45)

    def test_real_bounces_still_bounce(self):
        """A hard bounce of the recipient's mailbox counts; "5.1.1 user
        unknown" makes the subscriber bounced at once, a plain 550 only
        after [imap] bounce_limit of them."""
        srv = self.start_server()
        self.configure(srv.port)
        people = self.people(10) + [("rcpt-550@example.org", "Gone"),
                                    ("unknown@example.org", "Nobody")]
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        out, _, _ = self.queue_run()
        self.assertIn("sent 10, deferred 0, failed 2", out)
        self.assertEqual(self.subscriber("unknown@example.org")["status"],
                         "bounced")
        gone = self.subscriber("rcpt-550@example.org")
        self.assertEqual((gone["status"], gone["hard_bounces"]), ("active", 1))
        self.assertEqual(self.sql("SELECT state FROM mailings WHERE id = ?",
                                  mailing), [("done",)])


class TestOneSender(Pressure):
    def test_queue_run_beside_the_daemon_is_refused(self):
        srv = self.start_server("--data-delay", "0.1")
        self.configure(srv.port, connections=2)
        people = self.people(40)
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= 3, 20))
        trials = 3
        for _ in range(trials):
            r = self.run_tool("queue", "run", timeout=30)
            self.assertEqual(r.returncode, EX_TEMPFAIL, r.stderr)
            self.assertIn("pid %d" % d.pid, r.stderr)
        # a second daemon on the same database does not start
        d2 = subprocess.run([DAEMON, "-c", self.conf], capture_output=True,
                            text=True, env=self.env, timeout=20)
        self.assertEqual(d2.returncode, EX_TEMPFAIL)
        self.assertIn("another sender", d2.stderr)
        self.assertTrue(wait_for(lambda: srv.total() >= 40, 60))
        self.assertTrue(wait_for(
            lambda: self.settled(mailing) == [("sent", 40)], 20))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(20), 0)
        dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
        self.assertEqual((dups, lost), (0, 0))
        report("queue run beside the daemon", trials=trials, refused=trials,
               lost=lost, duplicates=dups)


class TestChecks(Pressure):
    def test_check_refuses_what_the_daemon_refuses(self):
        """tls = none to a host that only looks like loopback is refused by
        `rundbrief check` and `rundbriefd -n`, as at start."""
        for host, want in (("127.example.org", 78), ("127.0.0.9", 0),
                           ("localhost", 0),
                           ("mail.example.org", 78)):
            self.configure(25)
            with open(self.conf) as f:
                text = f.read()
            with open(self.conf, "w") as f:
                f.write(text.replace("smtp://127.0.0.1:25",
                                     "smtp://%s:25" % host))
            r = self.run_tool("check")
            self.assertEqual(r.returncode, want, (host, r.stderr))
            d = subprocess.run([DAEMON, "-c", self.conf, "-n"],
                               capture_output=True, text=True, env=self.env)
            self.assertEqual(d.returncode, want, (host, d.stderr))
            if want:
                self.assertIn("loopback", r.stderr + d.stderr)


class NotifySocket:
    """A fake systemd notification socket that records what it is told."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []      # (monotonic time, text)
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            self.messages.append((time.monotonic(), data.decode()))

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    def times(self, what):
        return [t for t, m in self.messages if what in m.split("\n")]


class TestLongRuns(Pressure):
    def test_watchdog_and_sighup_during_a_rate_limited_run(self):
        seconds = float(os.environ.get("PRESSURE_RUN_SECONDS", "75"))
        rate = 2.0
        n = int(seconds * rate)
        srv = self.start_server("--lifetime", str(seconds * 3 + 60))
        self.configure_extra(srv.port, "rate_per_second = %g\n" % rate)
        people = self.people(n)
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        ns = NotifySocket(os.path.join(self.dir, "notify"))
        self.addCleanup(ns.close)
        env = dict(self.env, NOTIFY_SOCKET=ns.path, WATCHDOG_USEC="1000000")
        t0 = time.monotonic()
        d = self.start_daemon(env)
        self.assertTrue(wait_for(lambda: srv.total() >= n // 2,
                                 seconds + 30))
        # halfway: a faster rate, applied during the run
        half = time.monotonic()
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(text.replace("rate_per_second = 2\n",
                                 "rate_per_second = 20\n"))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: srv.total() >= n, seconds))
        done = time.monotonic()
        self.assertTrue(wait_for(
            lambda: self.settled(mailing) == [("sent", n)], 20))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(20), 0)
        pings = [t for t in ns.times("WATCHDOG=1") if t0 < t < done]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertGreater(len(pings), (done - t0) * 1.5)
        self.assertLess(max(gaps), 1.0, "a gap in the watchdog pings")
        self.assertIn("reloaded configuration", self.log_text())
        # the rest went out at the new rate, far faster than at 2/s
        self.assertLess(done - half, (n - n // 2) / rate * 0.6)
        dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
        self.assertEqual((dups, lost), (0, 0))
        report("rate-limited run under a 1 s watchdog",
               seconds="%.0f" % (done - t0), messages=n, pings=len(pings),
               max_gap="%.2f s" % max(gaps), lost=lost, duplicates=dups)

    def test_sigterm_against_a_hung_server_exits_within_the_grace(self):
        srv = self.start_server()
        self.configure_extra(srv.port, "stop_grace = 2s\n", timeout="60s")
        people = self.people(12)
        self.add_subscribers(people)
        mailing, _, _ = self.newsletter()
        open(os.path.join(srv.store, "hang-data"), "w").close()
        d = self.start_daemon()
        self.assertTrue(wait_for(
            lambda: self.sql("SELECT count(*) FROM outbox WHERE"
                             " state = 'sending'")[0][0] > 0, 20))
        time.sleep(1)
        t0 = time.monotonic()
        d.send_signal(signal.SIGTERM)
        rc = d.wait(30)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0)
        self.assertLess(took, 2 + 3, "SIGTERM took %.1f s" % took)
        self.assertEqual(self.sql("SELECT count(*) FROM outbox WHERE"
                                  " state IN ('sending','failed')"), [(0,)])
        self.assertIn("cut off", self.log_text())
        # a restart against a healthy server delivers them all, once
        os.unlink(os.path.join(srv.store, "hang-data"))
        self.make_due()
        self.queue_run()
        dups, lost = self.dups_and_lost(srv, [p[0] for p in people])
        self.assertEqual(lost, 0)
        self.assertLessEqual(dups, CONNECTIONS)
        report("SIGTERM with a hung server", grace="2 s",
               exit_after="%.1f s" % took, lost=lost, duplicates=dups)


if __name__ == "__main__":
    unittest.main(verbosity=2)
