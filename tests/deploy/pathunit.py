#!/usr/bin/env python3
"""pathunit.py DIR CMD [ARG...]: what a systemd path unit with
PathChanged=DIR does, for a test without systemd: CMD runs whenever an
entry of DIR is created, renamed into it, written and closed, or removed;
changes that come while it runs make one more run. Stops on SIGTERM."""
import ctypes, os, select, subprocess, sys

IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x8, 0x80, 0x100, 0x200
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0:
    sys.exit("pathunit: inotify: " + os.strerror(ctypes.get_errno()))
open(sys.argv[1] + "/../pathunit.ready", "w").close()
while True:
    os.read(fd, 65536)
    while select.select([fd], [], [], 0.02)[0]:  # one run for a burst
        os.read(fd, 65536)
    subprocess.call(sys.argv[2:])
