#!/usr/bin/env python3
# mc_sasl.py PORT THREADS ROUNDS CASE...: concurrent SASL logins to a
# memcached -S on 127.0.0.1:PORT over the binary protocol, one new
# connection per login. CASE is WANT:MECH:USER:KEYFILE (WANT ok or no,
# MECH PLAIN or LOGIN). Each of THREADS threads runs ROUNDS rounds over
# every case, starting at a different case. A login counts as accepted
# when SASL_AUTH (and SASL_STEP for LOGIN) answers success and a following
# NOOP, which memcached refuses before authentication, succeeds; as
# refused when the server answers an auth error and the NOOP fails.
# Prints one line:
#   attempts accepted refused wrong
# and the first wrong answers on stderr (case index, never the key).
# Exits 1 when any answer was wrong.
import socket
import struct
import sys
import threading

SASL_AUTH, SASL_STEP, NOOP = 0x21, 0x22, 0x0A
OK, AUTH_ERROR, AUTH_CONTINUE = 0x00, 0x20, 0x21


def request(sock, opcode, key=b"", value=b""):
    hdr = struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), 0, 0, 0,
                      len(key) + len(value), 0, 0)
    sock.sendall(hdr + key + value)
    hdr = recv_exact(sock, 24)
    if hdr is None:
        return None, b""
    magic, _, _, _, _, status, body, _, _ = struct.unpack(">BBHBBHIIQ", hdr)
    if magic != 0x81:
        raise ValueError("not a binary-protocol response")
    return status, recv_exact(sock, body) or b""


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def login(port, mech, user, key):
    """True when accepted, False when refused, None for anything else."""
    with socket.create_connection(("127.0.0.1", port), 30) as s:
        if mech == "PLAIN":
            st, _ = request(s, SASL_AUTH, b"PLAIN", b"\0" + user + b"\0" + key)
        else:
            st, _ = request(s, SASL_AUTH, b"LOGIN", user)
            if st == AUTH_CONTINUE:
                st, _ = request(s, SASL_STEP, b"LOGIN", key)
        try:
            after, _ = request(s, NOOP)
        except OSError:
            after = None
    if st == OK and after == OK:
        return True
    if st == AUTH_ERROR and after != OK:
        return False
    return None


def main():
    port, nthreads, rounds = (int(a) for a in sys.argv[1:4])
    cases = []
    for spec in sys.argv[4:]:
        want, mech, user, path = spec.split(":", 3)
        with open(path, "rb") as f:
            key = f.read().strip()
        cases.append((want == "ok", mech, user.encode(), key))
    lock = threading.Lock()
    tally = {"attempts": 0, "accepted": 0, "refused": 0, "wrong": 0}
    wrong = []

    def worker(t):
        for r in range(rounds):
            for i in range(len(cases)):
                c = (i + t + r) % len(cases)
                want, mech, user, key = cases[c]
                try:
                    got = login(port, mech, user, key)
                except (OSError, ValueError) as ex:
                    got, why = None, type(ex).__name__
                else:
                    why = "answer"
                with lock:
                    tally["attempts"] += 1
                    if got is True:
                        tally["accepted"] += 1
                    elif got is False:
                        tally["refused"] += 1
                    if got is not want:
                        tally["wrong"] += 1
                        wrong.append("case %d (%s %s): %s %s" % (c, mech, user.decode(),
                                                                 why, got))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in wrong[:10]:
        print("wrong: " + w, file=sys.stderr)
    print("%(attempts)d %(accepted)d %(refused)d %(wrong)d" % tally)
    return 1 if tally["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
