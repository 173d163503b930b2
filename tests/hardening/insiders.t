#!/bin/sh
# Insiders cannot block or undo a revocation (docs/architecture.md,
# "Threat model"). Each capability tried by its real actor, each with its
# negative twin:
#  - a service account in the store's group (useradd, setpriv) holds every
#    lock it can take: root's revoke still takes well under a second; the
#    twin: a writer that really holds the writers' lock does hold a write,
#    and a lock file the group can open is refused, not waited on;
#  - a user of keyadm installed setuid root as `make install
#    SELF_SERVICE=1` installs it (into a private DESTDIR) cannot signal,
#    stop or trace it while it writes, nor stall it with a full pipe, nor
#    keep a change out of syslog; the twin: the same user stops it when it
#    is not writing;
#  - whoever can write the store's directory renames an older copy over
#    the store: readers refuse the store; the twin: the copy itself says
#    VALID for the revoked key, and with sane modes the rename is refused;
#  - whoever reads a core image of create --batch finds no key; the twin:
#    a core taken while a key is being written out has it;
#  - a remote client cannot tell real ids from unknown ones by timing; the
#    twin: the same measurement sees a malformed key's shortcut.
# The time of root's revoke under each attack is printed (# lines).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/hardening/insiderlib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd, a setuid install)"
for c in useradd userdel groupadd groupdel setpriv flock make tar gdb "$PY"; do
	need "needs $c" command -v "$c"
done
unsanitized "LeakSanitizer cannot trace a setuid program run by a user"

# ---- the setuid keyadm, installed as make install SELF_SERVICE=1 does,
# into a private DESTDIR, its policy under $TMP/etc
mkdir -p "$TMP/src" "$TMP/etc/apikey"
(cd "$TOP" && tar cf - --exclude=./tests/out --exclude=./.git .) | (cd "$TMP/src" && tar xf -)
rm -f "$TMP/src/keyadm/keyadm"
make -C "$TMP/src" install SELF_SERVICE=1 DESTDIR="$TMP/root" SYSCONFDIR="$TMP/etc" \
	>"$TMP/install.log" 2>&1 || {
	sed 's/^/# /' "$TMP/install.log" | tail -20
	not_ok "make install SELF_SERVICE=1"
	done_testing
	exit 1
}
SU="$TMP/root/usr/local/sbin/keyadm"
is "make install SELF_SERVICE=1 installs keyadm setuid root" "$(stat -c '%U %a' "$SU")" "root 4755"
rm -rf "$TMP/src"

insiders_setup

ms() { date +%s%3N; }
# timed CMD...: runs CMD (output to $TMP/timed.out and .err); sets $took
# (milliseconds) and returns CMD's status
timed() {
	_t0=$(ms)
	"$@" >"$TMP/timed.out" 2>"$TMP/timed.err"
	_rc=$?
	took=$(($(ms) - _t0))
	return $_rc
}
# revoke_fast WHILE: root revokes a fresh key of carol while WHILE goes
# on: done in well under a second, and the key is REVOKED
nrev=0
revoke_fast() {
	nrev=$((nrev + 1))
	_k=$(new_key "$TMP/r$nrev" carol)
	timed ka revoke "$_k" --reason "$1"
	is "while $1: root's revoke succeeds" "$?" 0
	diag "root's revoke while $1: $took ms"
	check "while $1: root's revoke took $took ms (< 1000)" test "$took" -lt 1000
	is "while $1: the key is REVOKED" "$(ka verify carol <"$TMP/r$nrev" 2>/dev/null)" REVOKED
}
diag "the store: $(ls -l "$DB" | cut -d' ' -f1,3,4) $(ls -ld "$ST" | cut -d' ' -f1,3,4)"

# ==== 1. a service account holds every lock it can take
cat >"$TMP/hold.py" <<'PY'
import errno, fcntl, os, sys, time
ready, paths = sys.argv[1], sys.argv[2:]
out = []
for p in paths:
    try:
        fd = os.open(p, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            out.append("%s:open-%s" % (os.path.basename(p), errno.errorcode[e.errno]))
            continue
    for name, fn in (("flock", lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                     ("fcntl", lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                     ("fcntl-read", lambda: fcntl.fcntl(fd, fcntl.F_SETLK,
                                                        b"\0" * 32)),
                     ("lease", lambda: fcntl.fcntl(fd, 1024, fcntl.F_RDLCK))):
        try:
            fn()
            out.append("%s:%s" % (os.path.basename(p), name))
        except OSError:
            pass
open(ready + ".tmp", "w").write(" ".join(out) + "\n")
os.rename(ready + ".tmp", ready)
time.sleep(120)
PY
LEGACY="$DB.lock"
# the lock file older versions made: 0640 in the store's group
: >"$LEGACY"
chgrp "$GRP" "$LEGACY"
chmod 0640 "$LEGACY"
(as_bg "$SVC" "$PY" "$TMP/hold.py" "$A/held" "$DB" "$ST/keys.events" "$ST" "$DB.wlock" "$LEGACY") &
HOLDER=$!
at_exit "kill $HOLDER"
i=0
while [ ! -e "$A/held" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
held=$(cat "$A/held" 2>/dev/null)
diag "the service account holds: $held"
like "the service account holds a flock on the store" "$held" "keys.db:flock"
like "and on the events file" "$held" "keys.events:flock"
like "and on the directory" "$held" "st:flock"
like "and an fcntl lock on the events file" "$held" "keys.events:fcntl"
like "and the old versions' lock file" "$held" "keys.db.lock:flock"
like "but cannot open the writers' lock" "$held" "keys.db.wlock:open-EACCES"
unlike "nor take a lease on the store" "$held" "keys.db:lease"
check_fails "the twin: its flock on the store is real (root cannot take it)" flock -n -x "$DB" true
revoke_fast "a service account holds every lock it can"
check_fails "the write removed the old versions' lock file" test -e "$LEGACY"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# the twin of the design: a lock file the group can open (as older
# versions made it) is refused at once, not waited on
K=$(new_key "$TMP/k" carol)
chgrp "$GRP" "$DB.wlock"
chmod 0640 "$DB.wlock"
rm -f "$A/held"
(as_bg "$SVC" "$PY" "$TMP/hold.py" "$A/held" "$DB.wlock") &
HOLDER=$!
at_exit "kill $HOLDER"
i=0
while [ ! -e "$A/held" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
like "the twin: the group holds a lock file it can open" "$(cat "$A/held")" "keys.db.wlock:flock"
timed ka revoke "$K"
is "a write refuses that lock file" "$?" 1
like "and says how to fix it" "$(cat "$TMP/timed.err")" "keys.db.wlock: .*mode 0640: remove it"
check "at once ($took ms), not after 30 s" test "$took" -lt 1000
like "keyadm check says so" "$(ka check 2>/dev/null)" "keys.db.wlock: open to group or others"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
rm -f "$DB.wlock"
check "with the lock file removed, the write works" q ka revoke "$K"
is "the writers' lock made again is 0600 root:root" "$(stat -c '%a %U:%G' "$DB.wlock")" "600 root:root"

# the twin: a real writer holding the lock does hold a write (this is
# what a reader could do when it could open the lock), for 30 s at most,
# and the write that gives up names the holder
flock -x "$DB.wlock" sleep 40 &
FL=$!
at_exit "kill $FL"
sleep 0.3
timed ka revoke "$(cut -d_ -f2 "$TMP/r1")"
is "the twin: a write waiting on a real writer gives up" "$?" 1
check "after 30 s ($took ms)" test "$took" -ge 29000
like "naming the holder's pid and command" "$(cat "$TMP/timed.err")" \
	"keys.db.wlock: still locked after 30 s by another writer, pid [0-9]+ \((flock|sleep)\)"
kill "$FL" 2>/dev/null
wait "$FL" 2>/dev/null

# ==== 2. a self-service user and the setuid keyadm
K1=$(as "$U" "$SU" create "$U" --name one 2>/dev/null | cut -d_ -f2)
K2=$(as "$U" "$SU" create "$U" --name two 2>/dev/null | cut -d_ -f2)
check "the user makes keys through the setuid keyadm" test -n "$K1" -a -n "$K2"

# a write held at the lock by root: the user's keyadm, waiting there, is
# already in its write (every id root's, signals held)
flock -x "$DB.wlock" sleep 30 &
FL=$!
at_exit "kill $FL"
sleep 0.3
(as_bg "$U" "$SU" disable "$K1" --reason mine >"$TMP/u.out" 2>"$TMP/u.err") &
UP=$!
# waiting for the lock: signals held (SigBlk not 0) and the ids root's
i=0
while ! grep -q '^SigBlk:[[:space:]]*0*[1-9a-f]' "/proc/$UP/status" 2>/dev/null &&
	[ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.2
like "in its write, every uid of the setuid keyadm is root's" "$(grep '^Uid:' "/proc/$UP/status")" \
	'^Uid:\s+0\s+0\s+0\s+0'
like "and every gid" "$(grep '^Gid:' "/proc/$UP/status")" '^Gid:\s+0\s+0\s+0\s+0'
blocked=$("$PY" -c 'import sys; m = int(sys.argv[1], 16); print(" ".join(str(s) for s in (1, 2, 3, 13, 15, 20, 21, 22) if m >> (s - 1) & 1))' \
	"$(sed -n 's/^SigBlk:\t//p' "/proc/$UP/status")")
is "SIGHUP INT QUIT PIPE TERM TSTP TTIN TTOU wait (a terminal's ^C, ^Z, hang-up)" "$blocked" "1 2 3 13 15 20 21 22"
check_fails "the user cannot SIGSTOP it" as "$U" kill -STOP "$UP"
check_fails "nor SIGKILL it" as "$U" kill -KILL "$UP"
check_fails "nor signal it at all" as "$U" kill -0 "$UP"
out=$(as "$U" gdb -batch -p "$UP" -ex 'info registers' 2>&1)
unlike "nor trace it (gdb -p)" "$out" "^rip "
check_fails "nor read its memory" as "$U" dd if="/proc/$UP/mem" of=/dev/null bs=1 count=1 skip=4096
like "the user's keyadm is still waiting, not stopped" "$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$UP/status")" '^[SR]$'
kill "$FL"
wait "$FL" 2>/dev/null
wait "$UP"
is "released, the user's write completes" "$?" 0
is "and its key is disabled" "$(ka show "$K1" 2>/dev/null | sed -n 's/^state: *//p')" disabled
like "its messages came out after the lock" "$(cat "$TMP/u.out")" "^disabled $K1"

# the twin: the same user stops the same program when it is not writing
mkfifo "$TMP/fifo"
(as_bg "$U" "$SU" verify "$U" <"$TMP/fifo" >/dev/null 2>&1) &
VP=$!
exec 7>"$TMP/fifo"
sleep 0.3
check "the twin: the user can SIGSTOP it while it only reads its stdin" as "$U" kill -STOP "$VP"
sleep 0.1
is "and it is stopped" "$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$VP/status")" T
as "$U" kill -KILL "$VP"
exec 7>&-
wait "$VP" 2>/dev/null

# the attack: the user runs its own writes and tries to stop each, at any
# moment, keeping it stopped 1 s whenever it can; root revokes meanwhile
cat >"$TMP/stop.py" <<'PY'
import os, signal, subprocess, sys, time
su, ids, runs, report = sys.argv[1], sys.argv[2:4], int(sys.argv[4]), sys.argv[5]
stopped = refused = 0
for n in range(runs):
    cmd = "enable" if n % 2 else "disable"
    p = subprocess.Popen([su, cmd, ids[0]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGSTOP)
            stopped += 1
            time.sleep(1)
            os.kill(p.pid, signal.SIGCONT)
        except PermissionError:
            refused += 1
        except ProcessLookupError:
            break
open(report, "w").write("%d %d\n" % (stopped, refused))
PY
(as_bg "$U" "$PY" "$TMP/stop.py" "$SU" "$K2" "$K2" 8 "$A/stop.report") &
SP=$!
at_exit "kill $SP"
sleep 1
revoke_fast "the user stops its setuid keyadm whenever it can"
sleep 2
revoke_fast "the user stops its setuid keyadm whenever it can (again)"
wait "$SP"
diag "the user's SIGSTOPs: stopped refused = $(cat "$A/stop.report")"
like "the user's SIGSTOPs were refused inside writes" "$(cat "$A/stop.report")" '^[0-9]+ [1-9][0-9]*$'

# a full stderr pipe: the message keyadm has while holding the lock (an
# id that is not the user's) would block its write; now it waits in
# memory, and keyadm blocks on the pipe only after the lock is released
cat >"$TMP/fullpipe.py" <<'PY'
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, 0)
p = subprocess.Popen(sys.argv[2:], stdout=w, stderr=w)
os.close(w)
open(sys.argv[1] + ".pid", "w").write("%d\n" % p.pid)
while not os.path.exists(sys.argv[1] + ".go"):
    time.sleep(0.05)
data = b""
while True:
    b = os.read(r, 65536)
    if not b:
        break
    data += b
p.wait()
open(sys.argv[1], "w").write("%d %s\n" % (p.returncode, data.replace(b"x", b"").decode()))
PY
(as_bg "$U" "$PY" "$TMP/fullpipe.py" "$A/fp" "$SU" enable "$K1" AAAAAAAAAAAA) &
FP=$!
at_exit "kill $FP"
i=0
while [ ! -s "$A/fp.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
revoke_fast "the user's keyadm writes to a full pipe"
FPP=$(cat "$A/fp.pid")
like "the twin: the user's keyadm is really stuck on the pipe" \
	"$(cat "/proc/$FPP/wchan" 2>/dev/null) $(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$FPP/status")" 'pipe.* S$'
check "but not holding the lock" flock -n -x "$DB.wlock" true
: >"$A/fp.go"
wait "$FP"
like "drained, it finishes and its messages arrive" "$(cat "$A/fp")" "^3 keyadm: no key AAAAAAAAAAAA"
like "all of them" "$(cat "$A/fp")" "unknown key id: nothing was changed"
is "and nothing was changed" "$(ka show "$K1" 2>/dev/null | sed -n 's/^state: *//p')" disabled

# every committed change reaches syslog, whatever the user kills when
need "no private mount namespace for a captured syslog" logns_works
need "the syslog listener does not start" start_syslog
cat >"$TMP/kill.py" <<'PY'
import os, signal, subprocess, sys, time
su, ids, runs, report = sys.argv[1], sys.argv[2:4], int(sys.argv[4]), sys.argv[5]
killed = refused = done = 0
for n in range(runs):
    t0 = time.time()
    p = subprocess.Popen([su, "enable" if n % 2 else "disable", ids[0]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(n * 0.0003) # the runs' first kills sweep a run's life
    while p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGKILL)
            killed += 1
        except PermissionError:
            refused += 1
        except ProcessLookupError:
            break
    done += p.wait() == 0
    last = time.time() - t0
open(report, "w").write("%d %d %d %.0fms\n" % (killed, refused, done, last * 1000))
PY
a0=$(ka audit --json 2>/dev/null | grep -c "\"actor\":\"$U\"")
mark
in_logns env -u APIKEY_DB -u APIKEY_CONFIG setpriv --reuid "$U" --regid "$(id -g "$U")" --init-groups -- \
	"$PY" "$TMP/kill.py" "$SU" "$K2" "$K2" 60 "$A/kill.report"
a1=$(ka audit --json 2>/dev/null | grep -c "\"actor\":\"$U\"")
logged_n=$(since | grep -c "keyadm\[[0-9]*\]: .* by=\"$U\"")
diag "the user's SIGKILLs: landed refused unharmed-runs last-run = $(cat "$A/kill.report"); committed $((a1 - a0)), logged $logged_n"
like "the twin: some of the user's kills landed (outside writes)" "$(cat "$A/kill.report")" '^[1-9]'
like "some were aimed inside writes (refused)" "$(cat "$A/kill.report")" '^[0-9]+ [1-9]'
check "some changes were committed" test $((a1 - a0)) -gt 0
is "every committed change reached syslog" "$logged_n" $((a1 - a0))

done_testing
