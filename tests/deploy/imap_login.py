#!/usr/bin/env python3
"""imap_login.py PORT USER [SOURCE] < password: one IMAP STARTTLS and
LOGIN on 127.0.0.1:PORT with python's imaplib, from the loopback address
SOURCE (default 127.0.0.1: Dovecot's auth penalty delays a source after
its failures, so a test spreads them). The server's certificate is not
checked (a test's self-signed one). Prints "OK" or "NO" and the server's
text (which never holds the password); exits 0 only for OK. The password
is read from stdin, never from argv."""
import imaplib
import socket
import ssl
import sys

port, user = int(sys.argv[1]), sys.argv[2]
source = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
password = sys.stdin.readline().rstrip("\n")


class FromSource(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, (source, 0))


imap = FromSource("127.0.0.1", port, timeout=20)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
imap.starttls(ctx)
try:
    typ, data = imap.login(user, password)
    print("OK", data[0].decode(errors="replace"))
    imap.logout()
except imaplib.IMAP4.error as e:
    print("NO", str(e))
    sys.exit(1)
