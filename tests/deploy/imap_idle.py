#!/usr/bin/env python3
"""imap_idle.py PORT USER < password: one IMAP STARTTLS and LOGIN on
127.0.0.1:PORT, SELECT INBOX and IDLE, held until the server ends the
connection. Prints "IDLE" (flushed) once idling, then "DROPPED" when the
server closes the connection or says BYE, and exits 0; "NO" and exit 1
when the login fails; after 300 s without a drop, "TIMEOUT" and exit 2.
The password is read from stdin, never from argv, and never printed."""
import imaplib
import select
import ssl
import sys
import time

port, user = int(sys.argv[1]), sys.argv[2]
password = sys.stdin.readline().rstrip("\n")
imap = imaplib.IMAP4("127.0.0.1", port, timeout=20)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
imap.starttls(ctx)
try:
    imap.login(user, password)
except imaplib.IMAP4.error as e:
    print("NO", str(e))
    sys.exit(1)
imap.select("INBOX")
tag = imap._new_tag().decode()
imap.send(("%s IDLE\r\n" % tag).encode())
if not imap.readline().startswith(b"+"):
    print("NO IDLE")
    sys.exit(1)
print("IDLE", flush=True)
end = time.time() + 300
while time.time() < end:
    if not imap.sock.pending() and not select.select([imap.sock], [], [], 1)[0]:
        continue
    try:
        line = imap.readline()
    except (OSError, imaplib.IMAP4.abort):
        line = b""
    if line == b"" or line.startswith(b"* BYE"):
        print("DROPPED", flush=True)
        sys.exit(0)
print("TIMEOUT", flush=True)
sys.exit(2)
