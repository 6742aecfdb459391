#!/usr/bin/python3
"""kill -9 while the daemon sends a scheduled newsletter to 5,000
subscribers, over 4 connections, into tests/integration/smtpd.py (which
fsyncs every message before its 250): nothing lost, at most one duplicate
per connection per kill, and one newsletter mailing however often the
daemon was killed while it made the job, the mailing and its outbox rows.
Prints the figures (kills, lost, duplicates).

Run by tests/run-tests.sh: RUNDBRIEF_BUILD names the build directory,
RUNDBRIEF_SRC the repository root."""
import email.parser
import email.policy
import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_delivery import wait_for  # noqa: E402
from test_pressure import report  # noqa: E402
from test_schedule import MONTHS_DE, RealClock  # noqa: E402


class TestCrash(RealClock):
    """kill -9 at random moments, from the creation of the job on."""

    N = 5000
    CONNECTIONS = 4
    KILLS = 6

    def test_kill_9_while_a_scheduled_newsletter_goes_out(self):
        srv = self.start_server("--lifetime", "600")
        self.due_now(srv, self.N, connections=self.CONNECTIONS)
        # the first two kills come while the job, the mailing and its 5,000
        # outbox rows are being made (right after the start), the others
        # at random points of the delivery
        t0 = time.monotonic()
        kills = []
        for k in range(self.KILLS):
            d = self.start_daemon()
            if k < 2:
                time.sleep(random.uniform(0.005, 0.08))
            else:
                target = min(self.N - 200, srv.total() +
                             random.randint(50, 600))
                self.assertTrue(wait_for(lambda: srv.total() >= target, 60),
                                "stuck at %d: %s" % (srv.total(),
                                                     self.log_text()))
                time.sleep(random.uniform(0, 0.3))
            d.kill()
            d.wait()
            rows = self.sql("SELECT count(*) FROM outbox")[0][0]
            kills.append((len(self.newsletters()), rows, srv.total()))
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= self.N, 90),
                        "%d received: %s" % (srv.total(), self.log_text()))
        self.assertTrue(wait_for(lambda: self.unsettled() == 0, 30))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(20), 0)
        took = time.monotonic() - t0

        [(mailing, key)] = self.newsletters()
        self.assertEqual(key, "newsletter:%s" % self.month)
        self.assertEqual(self.sql("SELECT kind, state, mailing_id FROM jobs"),
                         [("newsletter", "done", mailing)])
        ids = set(mid for (mid,) in self.sql(
            "SELECT message_id FROM outbox WHERE mailing_id = ?", mailing))
        counts = srv.counts()
        subject = "Rundbrief %s %s" % (MONTHS_DE[int(self.month[5:]) - 1],
                                       self.month[:4])
        distinct = 0
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        for a in counts:
            mids = set()
            for raw, env in srv.received(a):
                msg = parser.parsebytes(raw)
                self.assertEqual(str(msg["Subject"]), subject)
                self.assertEqual(env["rcpt_tos"], [a])
                self.assertEqual(msg["To"].addresses[0].addr_spec, a)
                mid = str(msg["Message-ID"]).strip().strip("<>")
                self.assertIn(mid, ids, "a message of no outbox row")
                mids.add(mid)
            distinct += len(mids)
        dups, lost = self.dups_and_lost(srv, self.people_list)
        self.assertEqual(set(counts) - set(self.people_list), set())
        report("kill -9 during a scheduled newsletter", subscribers=self.N,
               kills=self.KILLS, lost=lost, duplicates=dups,
               allowed="%d" % (self.CONNECTIONS * self.KILLS),
               distinct_message_ids=distinct, seconds="%.0f" % took)
        for i, (m, rows, got) in enumerate(kills, 1):
            print("  kill %d: %d newsletter mailing(s), %d outbox rows, "
                  "%d received" % (i, m, rows, got), flush=True)
        self.assertEqual(lost, 0)
        self.assertLessEqual(dups, self.CONNECTIONS * self.KILLS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
