#!/usr/bin/python3
"""A scriptable SMTP server for rundbrief's tests (aiosmtpd, 127.0.0.1 only).

    /usr/bin/python3 tests/integration/smtpd.py --store DIR [--port N]
        [--tls-cert PEM --tls-key PEM [--smtps]] [--auth USER:PASS]
        [--idle-timeout SECONDS] [--lifetime SECONDS] [--data-delay SECONDS]
        [--late-delay SECONDS]

Prints the port it listens on as the first line of stdout (useful with
--port 0), then serves until SIGTERM/SIGINT or until --lifetime runs out.

What it keeps in DIR:
  DIR/<rcpt>/<n>.eml    the message as received (dot-stuffing undone,
                        CRLF kept), one file per accepted message
  DIR/<rcpt>/<n>.json   its envelope: mail_from, rcpt_tos, helo, tls,
                        auth, connection (number of the connection)
  DIR/connections       the number of connections accepted so far
Files are written to a temporary name, fsynced and renamed, so a reader
never sees a partial file, and both are on disk before the 250 reply is
sent (a duplicate count survives the server's own crash).

Behaviour scripted by the recipient's local part (before the @):
  rcpt-NNN      answers NNN to RCPT TO           (e.g. rcpt-452, rcpt-550)
  unknown       answers "550 5.1.1 User unknown" to RCPT TO (no such user)
  rcptonce-NNN  answers NNN to RCPT TO the first time it sees this
                address, accepts it afterwards
  data-NNN      answers NNN after the message    (e.g. data-451, data-554)
  once-NNN      answers NNN after the message the first time it sees this
                address, 250 afterwards
  late-NNN      answers NNN after the message, but only --late-delay
                seconds later (default 3; late-250 keeps the message at once)
  drop          first time: reads a line of the message, then closes the
                connection (mid-DATA); afterwards accepts normally
  hang          never answers RCPT TO (until the client goes away)
  hang-data     never answers after the message
  hang-once     first time: never answers after the message (and does not
                keep it); afterwards accepts normally
and by the sender's local part:
  mail-NNN      answers NNN to MAIL FROM
and by files: if DIR/greet exists when a connection arrives, its first
line (e.g. "421 4.3.2 busy") is sent as the greeting, the connection is
closed and the file removed (so exactly one connection is refused).
While DIR/mail-reply or DIR/rcpt-reply exists, its first line is the
answer to every MAIL FROM or RCPT TO (a misconfigured server: "553 5.7.1
Sender address rejected"); while DIR/hang-data exists, no message gets
an answer after its data (a hung server). Remove the file to "fix" it.
Any 421 reply closes the connection after it is sent, as RFC 5321 3.8
asks of a real server.

--data-delay SECONDS makes a slow server: every accepted message is stored
at once but its 250 reply waits that long (a client killed meanwhile has
delivered a message it does not know about: the duplicate case).
"""

import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult

CODE_RE = re.compile(
    r'^(rcpt|rcptonce|data|once|late|mail)-([2-5][0-9][0-9])$')
REPLY_TEXT = {
    '2': 'OK (scripted)',
    '4': 'Temporary failure (scripted)',
    '5': 'Permanent failure (scripted)',
}


def local_part(addr):
    return addr.rsplit('@', 1)[0].lower() if addr else ''


def scripted(addr, kind):
    """'NNN text' if addr's local part scripts a reply for kind, else None."""
    m = CODE_RE.match(local_part(addr))
    if m is None or m.group(1) != kind:
        return None
    code = m.group(2)
    return '%s %s' % (code, REPLY_TEXT[code[0]])


def write_atomic(path, data):
    tmp = '%s.tmp%d' % (path, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def sticky_reply(store, name):
    """The first line of DIR/name while that file exists, else None."""
    try:
        with open(os.path.join(store, name)) as f:
            return f.readline().strip() or None
    except FileNotFoundError:
        return None


class State:
    def __init__(self, store, data_delay=0, late_delay=3):
        self.store = store
        self.data_delay = data_delay
        self.late_delay = late_delay
        self.connections = 0
        self.seen = {}          # address -> times seen (for once-/drop)
        self.counter = 0

    def count_connection(self):
        self.connections += 1
        write_atomic(os.path.join(self.store, 'connections'),
                     b'%d\n' % self.connections)
        return self.connections

    def first_time(self, addr):
        n = self.seen.get(addr, 0)
        self.seen[addr] = n + 1
        return n == 0

    def save(self, envelope, session, conn_no):
        for rcpt in envelope.rcpt_tos:
            safe = re.sub(r'[^A-Za-z0-9@._+=-]', '_', rcpt)
            d = os.path.join(self.store, safe)
            os.makedirs(d, exist_ok=True)
            self.counter += 1
            base = os.path.join(d, '%06d' % self.counter)
            write_atomic(base + '.eml', envelope.original_content)
            meta = {
                'mail_from': envelope.mail_from,
                'rcpt_tos': envelope.rcpt_tos,
                'helo': session.host_name,
                'tls': session.ssl is not None,
                'auth': (session.auth_data.decode()
                         if isinstance(session.auth_data, bytes)
                         else session.auth_data),
                'connection': conn_no,
            }
            write_atomic(base + '.json', json.dumps(meta).encode())


class Handler:
    def __init__(self, state):
        self.state = state

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = sticky_reply(self.state.store, 'mail-reply') or \
            scripted(address, 'mail')
        if reply and reply[0] != '2':
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, options):
        lp = local_part(address)
        if lp == 'hang':
            await asyncio.sleep(3600)
        if lp == 'unknown':
            return '550 5.1.1 User unknown (scripted)'
        reply = sticky_reply(self.state.store, 'rcpt-reply') or \
            scripted(address, 'rcpt')
        if reply is None and scripted(address, 'rcptonce') and \
                self.state.first_time(address):
            reply = scripted(address, 'rcptonce')
        if reply and reply[0] != '2':
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        late = [scripted(r, 'late') for r in envelope.rcpt_tos
                if scripted(r, 'late')]
        if late:
            if late[0][0] == '2':
                self.state.save(envelope, session, server.conn_no)
            await asyncio.sleep(self.state.late_delay)
            return late[0]
        if os.path.exists(os.path.join(self.state.store, 'hang-data')):
            await asyncio.sleep(3600)
        for rcpt in envelope.rcpt_tos:
            lp = local_part(rcpt)
            if lp == 'hang-data':
                await asyncio.sleep(3600)
            if lp == 'hang-once' and self.state.first_time(rcpt):
                await asyncio.sleep(3600)
                return '421 4.4.2 Timeout (scripted)'
            reply = scripted(rcpt, 'data')
            if reply is None and CODE_RE.match(lp) and \
                    lp.startswith('once-') and self.state.first_time(rcpt):
                reply = scripted(rcpt.replace('once-', 'data-', 1), 'data')
            if reply and reply[0] != '2':
                return reply
        self.state.save(envelope, session, server.conn_no)
        counter = self.state.counter
        if self.state.data_delay > 0:
            await asyncio.sleep(self.state.data_delay)
        return '250 2.0.0 OK queued as %06d' % counter


class ScriptedSMTP(SMTP):
    """Adds the connection counter, the scripted greeting and drop."""

    def __init__(self, state, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = state
        self.conn_no = 0

    def connection_made(self, transport):
        if self.transport is None:  # not the STARTTLS upgrade
            self.conn_no = self.state.count_connection()
        super().connection_made(transport)

    async def push(self, status):
        await super().push(status)
        code = status[:3] if isinstance(status, bytes) else \
            status[:3].encode('ascii', 'replace')
        if code == b'421' and self.transport is not None:
            self.transport.close()

    async def _handle_client(self):
        greet = os.path.join(self.state.store, 'greet')
        try:
            with open(greet) as f:
                line = f.readline().strip()
            os.unlink(greet)
        except FileNotFoundError:
            line = None
        if line:
            await self.push(line)
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_DATA(self, arg):
        rcpts = self.envelope.rcpt_tos if self.envelope else []
        if any(local_part(r) == 'drop' and self.state.first_time(r)
               for r in rcpts):
            await self.push('354 End data with <CR><LF>.<CR><LF>')
            await self._reader.readuntil(b'\r\n')
            self.transport.abort()
            return
        await super().smtp_DATA(arg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--store', required=True)
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--smtps', action='store_true',
                    help='TLS from the first byte instead of STARTTLS')
    ap.add_argument('--auth', help='USER:PASS required before MAIL')
    ap.add_argument('--idle-timeout', type=float, default=60,
                    help='close a connection idle this long')
    ap.add_argument('--lifetime', type=float, default=300,
                    help='exit after this many seconds (safety net)')
    ap.add_argument('--data-delay', type=float, default=0,
                    help='wait this long before each 250 after a message')
    ap.add_argument('--late-delay', type=float, default=3,
                    help='how late late-NNN answers')
    args = ap.parse_args()

    os.makedirs(args.store, exist_ok=True)
    state = State(args.store, args.data_delay, args.late_delay)
    handler = Handler(state)

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    auth_user = auth_pass = None
    if args.auth:
        auth_user, auth_pass = args.auth.split(':', 1)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == auth_user and
              auth_data.password.decode() == auth_pass)
        if not ok:
            return AuthResult(success=False, handled=False,
                              message='535 5.7.8 Authentication failed')
        return AuthResult(success=True, auth_data=auth_user)

    def factory():
        kw = dict(hostname='smtpd.test', timeout=args.idle_timeout,
                  auth_required=bool(args.auth),
                  auth_require_tls=bool(tls_context),
                  authenticator=authenticator if args.auth else None)
        if tls_context and not args.smtps:
            kw.update(tls_context=tls_context, require_starttls=True)
        return ScriptedSMTP(state, handler, **kw)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host='127.0.0.1', port=args.port,
        ssl=tls_context if args.smtps else None))
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write('%d\n' % port)
    sys.stdout.flush()

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))
    loop.call_later(args.lifetime,
                    lambda: stop.done() or stop.set_result(0))
    loop.run_until_complete(stop)
    server.close()
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()


if __name__ == '__main__':
    main()
