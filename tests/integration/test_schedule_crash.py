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


# seconds after the start for the first kills: before, while and just
# after the job, the mailing and its outbox rows are made
EARLY = [(0.005, 0.02), (0.02, 0.045), (0.045, 0.09)]


class TestCrash(RealClock):
    """kill -9 at random moments, from the creation of the job on."""

    N = 5000
    CONNECTIONS = 4
    KILLS = 7

    def test_kill_9_while_a_scheduled_newsletter_goes_out(self):
        srv = self.start_server("--lifetime", "600")
        self.due_now(srv, self.N, connections=self.CONNECTIONS)
        # the first kills come right after the start, while the job, the
        # mailing and its 5,000 outbox rows are being made; the others at
        # random points of the delivery
        t0 = time.monotonic()
        kills = []
        for k in range(self.KILLS):
            d = self.start_daemon()
            t = time.monotonic()
            if k < len(EARLY):
                time.sleep(random.uniform(*EARLY[k]))
            else:
                # spread over what is left to send
                left = self.N - 200 - srv.total()
                target = srv.total() + random.randint(
                    30, max(31, left // (self.KILLS - k)))
                self.assertTrue(wait_for(lambda: srv.total() >= target, 60),
                                "stuck at %d: %s" % (srv.total(),
                                                     self.log_text()))
                time.sleep(random.uniform(0, 0.3))
            d.kill()
            d.wait()
            after = time.monotonic() - t
            log = self.log_text()
            stage = "sending" if "sending to" in log else \
                "started" if "started" in log else "starting"
            rows = self.sql("SELECT count(*) FROM outbox")[0][0]
            kills.append((after, stage, len(self.newsletters()), rows,
                          srv.total()))
        d = self.start_daemon()
        self.assertTrue(wait_for(lambda: srv.total() >= self.N, 90),
                        "%d received: %s" % (srv.total(), self.log_text()))
        self.assertTrue(wait_for(lambda: self.unsettled() == 0, 30))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(20), 0)
        took = time.monotonic() - t0

        [(mailing, key)] = self.newsletters()
        self.assertEqual(key, "newsletter:%s" % self.month)
        # (the first pass may have recorded last month's as skipped)
        self.assertEqual(self.sql("SELECT key, kind, mailing_id FROM jobs"
                                  " WHERE state = 'done'"),
                         [(key, "newsletter", mailing)])
        # each subscriber's row (sent) names a Message-ID that arrived; a
        # message sent again after a kill gets a new one, so the others
        # (stale) are the duplicates' first copies
        final = dict(self.sql("SELECT s.email, o.message_id FROM outbox o"
                              " JOIN subscribers s ON s.id = o.subscriber_id"
                              " WHERE o.mailing_id = ? AND o.state = 'sent'",
                              mailing))
        self.assertEqual(len(final), self.N)
        counts = srv.counts()
        subject = "Rundbrief %s %s" % (MONTHS_DE[int(self.month[5:]) - 1],
                                       self.month[:4])
        stale = same_id_twice = 0
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        for a in counts:
            mids = []
            for raw, env in srv.received(a):
                msg = parser.parsebytes(raw)
                self.assertEqual(str(msg["Subject"]), subject)
                self.assertEqual(env["rcpt_tos"], [a])
                self.assertEqual(msg["To"].addresses[0].addr_spec, a)
                mids.append(str(msg["Message-ID"]).strip().strip("<>"))
            if final[a] not in mids:
                self.fail("%s: the Message-ID of its sent row %s never "
                          "arrived (got %s)" % (a, final[a], mids))
            stale += sum(1 for m in mids if m != final[a])
            same_id_twice += len(mids) - len(set(mids))
        dups, lost = self.dups_and_lost(srv, self.people_list)
        self.assertEqual(set(counts) - set(self.people_list), set())
        report("kill -9 during a scheduled newsletter", subscribers=self.N,
               kills=self.KILLS, lost=lost, duplicates=dups,
               allowed="%d" % (self.CONNECTIONS * self.KILLS),
               stale_message_ids=stale, resent_with_same_id=same_id_twice,
               seconds="%.0f" % took)
        for i, (after, stage, m, rows, got) in enumerate(kills, 1):
            print("  kill %d after %.3f s (%s): %d newsletter mailing(s), "
                  "%d outbox rows, %d received" % (i, after, stage, m, rows,
                                                   got), flush=True)
        self.assertEqual(lost, 0)
        self.assertLessEqual(dups, self.CONNECTIONS * self.KILLS)
        self.assertLessEqual(stale, dups)


if __name__ == "__main__":
    unittest.main(verbosity=2)
