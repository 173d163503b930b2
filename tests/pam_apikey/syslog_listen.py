#!/usr/bin/env python3
# syslog_listen.py SOCKET OUT: a minimal syslog receiver for the tests.
# Binds a datagram socket at SOCKET and appends each message, as one line,
# to OUT (unbuffered). Creates OUT.ready once it listens. The test stops it
# with SIGTERM by the PID it recorded.
import os
import signal
import socket
import sys

sock_path, out_path = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
with open(out_path, "ab", buffering=0) as out:
    open(out_path + ".ready", "w").close()
    while True:
        msg = s.recv(65536)
        out.write(msg.rstrip(b"\0\n").replace(b"\n", b"\\n") + b"\n")
