#!/usr/bin/env python3
# hg_reports.py XMLFILE: sorts the reports of a Valgrind run written with
# --xml=yes. A report involves our code when any frame of any of its
# stacks (the access, the conflicting access, where the memory or the lock
# came from) is in libapikey.so or is one of the core's ak_* functions.
# Prints "count ours N", "count others N", "count suppressed N", one line
# "suppressed NAME N" per suppression used (N: the errors it hid, each
# occurrence counted) and, for each report, a line
# "ours|other KIND top-frames" (function@object, never data).
import sys
import xml.etree.ElementTree as ET


def frame_name(f):
    obj = (f.findtext("obj") or "?").rsplit("/", 1)[-1]
    return "%s@%s" % (f.findtext("fn") or "?", obj)


def is_ours(f):
    obj = f.findtext("obj") or ""
    fn = f.findtext("fn") or ""
    return obj.endswith("/libapikey.so") or fn.startswith("ak_")


def main():
    root = ET.parse(sys.argv[1]).getroot()
    lines, ours, others = [], 0, 0
    for err in root.findall("error"):
        stacks = err.findall(".//stack")
        mine = any(is_ours(f) for s in stacks for f in s.findall("frame"))
        top = [frame_name(f) for f in stacks[0].findall("frame")[:4]] if stacks else []
        if mine:
            ours += 1
        else:
            others += 1
        lines.append("%s %s %s" % ("ours" if mine else "other", err.findtext("kind"),
                                   " < ".join(top)))
    pairs = [(p.findtext("name"), int(p.findtext("count") or 0))
             for p in root.findall("suppcounts/pair")]
    supp = sum(n for _, n in pairs)
    print("count ours %d" % ours)
    print("count others %d" % others)
    print("count suppressed %d" % supp)
    for name, n in pairs:
        print("suppressed %s %d" % (name, n))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
