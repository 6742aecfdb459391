#!/usr/bin/python3
"""A fake IMAP server over TLS that speaks just enough to get a client into
IDLE (greeting, CAPABILITY, LOGIN, LIST, CREATE, SELECT of an empty
mailbox, NOOP, LOGOUT) and then misbehaves:

  --idle exists   answers IDLE with "* 1 EXISTS" and never "+ idling"
  --idle silent   never answers IDLE at all

    fakeimap.py --cert server.pem --key server.key --idle MODE --log FILE

Prints its port on stdout, then serves each connection in a thread. FILE
gets one line per event: "connect N", "cmd N TAG COMMAND", "idle N". For
tests/integration/test_inbox.py."""
import argparse
import socket
import ssl
import sys
import threading

LOCK = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--idle", choices=("exists", "silent"), required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    logf = open(a.log, "a", buffering=1)

    def log(text):
        with LOCK:
            logf.write(text + "\n")

    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        threading.Thread(target=serve, args=(ctx, conn, n, a.idle, log),
                         daemon=True).start()


def serve(ctx, conn, n, mode, log):
    log("connect %d" % n)
    try:
        s = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        log("tls-failed %d %s" % (n, e))
        conn.close()
        return
    f = s.makefile("rwb", buffering=0)

    def out(text):
        f.write(text.encode() + b"\r\n")

    try:
        out("* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] fake ready")
        while True:
            line = f.readline()
            if not line:
                break
            parts = line.decode(errors="replace").rstrip("\r\n").split(" ")
            tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else "")
            log("cmd %d %s %s" % (n, tag, cmd))
            if cmd == "CAPABILITY":
                out("* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN")
                out("%s OK done" % tag)
            elif cmd == "LOGIN":
                out("%s OK logged in" % tag)
            elif cmd == "LIST":
                name = parts[3] if len(parts) > 3 else '""'
                if name == '""':
                    out('* LIST (\\Noselect) "/" ""')
                else:
                    out('* LIST () "/" %s' % name)
                out("%s OK done" % tag)
            elif cmd == "SELECT":
                out("* 0 EXISTS")
                out("* 0 RECENT")
                out("* OK [UIDVALIDITY 7] ok")
                out("* OK [UIDNEXT 1] ok")
                out("%s OK [READ-WRITE] selected" % tag)
            elif cmd == "IDLE":
                log("idle %d" % n)
                if mode == "exists":
                    out("* 1 EXISTS")
                # and then nothing, ever
            elif cmd == "LOGOUT":
                out("* BYE bye")
                out("%s OK bye" % tag)
                break
            elif cmd in ("NOOP", "CREATE", "DONE"):
                if cmd != "DONE":
                    out("%s OK done" % tag)
            else:
                out("%s BAD unknown" % tag)
    except (OSError, ssl.SSLError):
        pass
    log("closed %d" % n)
    try:
        s.close()
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
