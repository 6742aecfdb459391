#!/usr/bin/python3
"""A throw-away Dovecot (dovecot-imapd) on 127.0.0.1 for the IMAP tests.

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from dovecot import Dovecot
    dv = Dovecot()              # starts it; dv.stop() in cleanup
    self.addCleanup(dv.stop)
    dv.append("INBOX", raw_bytes)
    dv.messages("rundbrief/erledigt")   # [raw bytes], in UID order

Its own configuration, certificates (a test CA from tls/mkcerts.sh; the
server certificate names DNS:localhost only, so a connection to
127.0.0.1 fails the host name check), ports chosen free, in a short
temporary directory (Dovecot's sockets need short paths). One user
USER/PASSWORD with a Maildir; folders separated by "/". Running as root,
the mail processes run as nobody (Dovecot refuses uid 0).

Not a test file: the runner only picks up test_*.py."""
import imaplib
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOVECOT = "/usr/sbin/dovecot"
USER = "rb"
PASSWORD = "geheim-Pa55"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(directory):
    """The test CA, a server certificate for localhost and an unrelated CA
    (ca.pem, server.pem/.key, other-ca.pem) in directory."""
    subprocess.run(["sh", os.path.join(HERE, "tls", "mkcerts.sh"),
                    directory], check=True)


CONF = """\
instance_name = rb-test-{tag}
base_dir = {T}/run
state_dir = {T}/state
log_path = {T}/log/dovecot.log
info_log_path = {T}/log/dovecot.log
debug_log_path = {T}/log/dovecot.log
auth_verbose = yes
auth_debug = no
verbose_proctitle = no
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{T}/ssl/server.pem
ssl_key = <{T}/ssl/server.key
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
disable_plaintext_auth = yes
mail_location = maildir:{T}/mail/%u
mail_log_prefix = "%s(%u)<%{{pid}}>: "
login_log_format_elements = user=<%u> method=%m rip=%r lip=%l %c
{imap_caps}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {T}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={T}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """One running Dovecot; see the module's doc string."""

    def __init__(self, certs=None, imap_capability=None):
        """certs: a directory from make_certs() to share between servers
        (default: made here). imap_capability: Dovecot's imap_capability
        setting (e.g. to hide MOVE), or None for its default."""
        self.dir = tempfile.mkdtemp(prefix="rbdv")
        os.chmod(self.dir, 0o755)
        for d in ("run", "state", "log", "mail", "ssl"):
            os.mkdir(os.path.join(self.dir, d))
        if certs is None:
            make_certs(os.path.join(self.dir, "ssl"))
        else:
            for f in ("ca.pem", "other-ca.pem", "server.pem", "server.key"):
                shutil.copy(os.path.join(certs, f),
                            os.path.join(self.dir, "ssl", f))
        self.ca = os.path.join(self.dir, "ssl", "ca.pem")
        self.other_ca = os.path.join(self.dir, "ssl", "other-ca.pem")
        self.log = os.path.join(self.dir, "log", "dovecot.log")
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s::::::\n" % (USER, PASSWORD))
        if os.getuid() == 0:
            uid, gid = pwd.getpwnam("nobody").pw_uid, \
                grp.getgrnam("nogroup").gr_gid
            os.chown(os.path.join(self.dir, "mail"), uid, gid)
        else:
            uid, gid = os.getuid(), os.getgid()
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(
                T=self.dir, tag=os.path.basename(self.dir), uid=uid,
                gid=gid, imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                imap_caps=("imap_capability = %s" % imap_capability
                           if imap_capability else "")))
        self.proc = None
        self.start()

    # ---- the server ----

    def start(self):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited: %s" % self.log_text())
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port),
                                              timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start: %s" % self.log_text())

    def kill(self):
        """Stops the server (SIGTERM to the master) and waits for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        # the children (a logged-in imap process in particular) can outlive
        # the master: end every process of this instance, so a client's
        # connection really breaks
        self.kill_children()
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port),
                                              timeout=0.5):
                    pass
            except OSError:
                break
            time.sleep(0.05)

    def kill_children(self):
        tag = ("rb-test-%s/" % os.path.basename(self.dir)).encode()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = 0
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if tag not in f.read():
                            continue
                    os.kill(int(pid), sig)
                    left += 1
                except OSError:
                    pass
            if not left:
                return
            time.sleep(0.5)

    def restart(self):
        self.kill()
        self.start()

    def stop(self):
        """Stops the server and removes its directory (for addCleanup)."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def login_attempts(self, since=0):
        """Login lines in the log after byte offset since (successful or
        not): imap-login writes one per attempt."""
        text = self.log_text()[since:]
        return len(re.findall(r"imap-login: (?:Info: )?(?:Login|"
                              r"Disconnected|Aborted login).*method=",
                              text))

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    # ---- a client (Python's imaplib, verified TLS) ----

    def client(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        c = imaplib.IMAP4_SSL("localhost", self.imaps_port, ssl_context=ctx,
                              timeout=30)
        c.login(USER, PASSWORD)
        return c

    def append(self, folder, raw, client=None):
        c = client or self.client()
        try:
            if folder != "INBOX":
                c.create(folder)
            typ, data = c.append(folder, None, None, raw)
            if typ != "OK":
                raise RuntimeError("APPEND: %s" % data)
        finally:
            if client is None:
                c.logout()

    def append_many(self, folder, raws):
        c = self.client()
        try:
            for r in raws:
                self.append(folder, r, client=c)
        finally:
            c.logout()

    def messages(self, folder, with_flags=False):
        """The raw messages in folder in UID order ([] if it does not
        exist); with_flags: [(raw, flags bytes)]."""
        c = self.client()
        try:
            typ, _ = c.select('"%s"' % folder, readonly=True)
            if typ != "OK":
                return []
            typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
            out = []
            for item in data:
                if isinstance(item, tuple):
                    m = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                    flags = m.group(1) if m else b""
                    out.append((item[1], flags) if with_flags else item[1])
            return out
        finally:
            c.logout()

    def count(self, folder):
        """How many messages folder holds (STATUS: no message is read)."""
        c = self.client()
        try:
            typ, data = c.status('"%s"' % folder, "(MESSAGES)")
            if typ != "OK":
                return 0
            return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
        finally:
            c.logout()

    def uidvalidity(self, folder="INBOX"):
        c = self.client()
        try:
            typ, data = c.status(folder, "(UIDVALIDITY)")
            return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        finally:
            c.logout()

    def recreate(self, folder):
        """Gives folder (not INBOX) a new UIDVALIDITY with the same
        messages: they are read, the folder deleted and created again, and
        the messages appended anew. Returns (old, new) UIDVALIDITY."""
        old = self.uidvalidity(folder)
        raws = self.messages(folder)
        c = self.client()
        try:
            typ, data = c.delete('"%s"' % folder)
            if typ != "OK":
                raise RuntimeError("DELETE: %s" % data)
            c.create('"%s"' % folder)
            for r in raws:
                c.append('"%s"' % folder, None, None, r)
        finally:
            c.logout()
        return old, self.uidvalidity(folder)


def message(subject, msgid=None, sender="anna@example.org", body="Hallo\n",
            size=0, to="ehrenamt@landkreis.example"):
    """A small RFC 5322 message (bytes, CRLF); size pads the body to about
    that many bytes."""
    lines = ["From: %s" % sender, "To: %s" % to, "Subject: %s" % subject,
             "Date: Mon, 01 Mar 2027 09:00:00 +0100"]
    if msgid is not None:
        lines.append("Message-ID: <%s>" % msgid)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
              "", body]
    raw = "\r\n".join(lines).encode()
    if size > len(raw):
        line = b"x" * 76 + b"\r\n"
        raw += line * ((size - len(raw)) // len(line) + 1)
    return raw
