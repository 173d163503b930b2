#!/usr/bin/env python3
"""sasl_syslog.py PLUGDIR REMOTE USER [NAME=VALUE...] < password

One SASL PLAIN server exchange through the real libsasl2 (ctypes), as an
application that gives the library no log callback: libsasl2 then logs
what the plugins say through syslog(3) itself (LOG_AUTH), as Cyrus IMAP
and others do. The plugins come from PLUGDIR only; the NAME=VALUE pairs
are the application's SASL options (apikey_db=..., log_level=...).
REMOTE is the client address as the application passes it ("IP;PORT").
Prints the result code (0 is SASL_OK). The password is read from stdin,
never from argv, and never printed."""
import ctypes
import ctypes.util
import sys
import syslog

plugdir, remote, user = sys.argv[1:4]
opts = {"mech_list": "PLAIN", "log_level": "4"}
opts.update(a.split("=", 1) for a in sys.argv[4:])
opts = {k: v.encode() for k, v in opts.items()}
secret = sys.stdin.buffer.readline().rstrip(b"\n")

sasl = ctypes.CDLL(ctypes.util.find_library("sasl2"))
GETOPT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                          ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_uint))
GETPATH = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p))


class Callback(ctypes.Structure):
    _fields_ = [("id", ctypes.c_ulong), ("proc", ctypes.c_void_p), ("context", ctypes.c_void_p)]


@GETOPT
def getopt(_ctx, _plugin, option, result, length):
    v = opts.get(option.decode())
    if v is None:
        return -1  # SASL_FAIL: not set
    result[0] = v
    if length:
        length[0] = len(v)
    return 0


path = plugdir.encode()


@GETPATH
def getpath(_ctx, out):
    out[0] = path
    return 0


SASL_CB_LIST_END, SASL_CB_GETOPT, SASL_CB_GETPATH = 0, 1, 3
cbs = (Callback * 3)(Callback(SASL_CB_GETOPT, ctypes.cast(getopt, ctypes.c_void_p), None),
                     Callback(SASL_CB_GETPATH, ctypes.cast(getpath, ctypes.c_void_p), None),
                     Callback(SASL_CB_LIST_END, None, None))
syslog.openlog("apikey-sasl-app", 0, syslog.LOG_MAIL)
if sasl.sasl_server_init(cbs, b"apikey-sasl-app") != 0:
    sys.exit("sasl_server_init failed")
conn = ctypes.c_void_p()
rc = sasl.sasl_server_new(b"smtp", b"localhost", None, b"127.0.0.1;25", remote.encode(), None, 0,
                          ctypes.byref(conn))
if rc != 0:
    sys.exit("sasl_server_new: %d" % rc)
msg = b"\0" + user.encode() + b"\0" + secret
out, outlen = ctypes.c_char_p(), ctypes.c_uint()
rc = sasl.sasl_server_start(conn, b"PLAIN", msg, len(msg), ctypes.byref(out), ctypes.byref(outlen))
sasl.sasl_dispose(ctypes.byref(conn))
print(rc)
