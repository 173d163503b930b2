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
PY=/usr/bin/python3 # the actors run it: not a python under /root
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

# ---- the actors
GRP=aksg$$ SVC=akss$$ U=aksu$$ W=aksw$$
at_exit "userdel $SVC >/dev/null 2>&1; userdel $U >/dev/null 2>&1; userdel $W >/dev/null 2>&1; groupdel $GRP >/dev/null 2>&1"
groupadd "$GRP"
useradd -M -N -g "$GRP" -s /usr/sbin/nologin -d /nonexistent "$SVC"
useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$U"
useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$W"
# as USER CMD...: CMD run by USER (real, effective and saved ids), with its
# own groups only and no variable of ours
as() {
	_u=$1
	shift
	env -u APIKEY_DB -u APIKEY_CONFIG setpriv --reuid "$_u" --regid "$(id -g "$_u")" \
		--init-groups -- "$@"
}
# as_bg USER CMD... &: the same, in the background, with $! the pid of CMD
as_bg() {
	_u=$1
	shift
	exec env -u APIKEY_DB -u APIKEY_CONFIG setpriv --reuid "$_u" --regid "$(id -g "$_u")" \
		--init-groups -- "$@"
}
# where the actors write their reports
A="$TMP/actors"
mkdir -m 1777 "$A"

# ---- the store as README says: a directory 0750 and the store 0640 in
# the service's group, the events file 0660
ST="$TMP/st"
DB="$ST/keys.db"
export APIKEY_DB="$DB"
mkdir -m 0750 "$ST"
ka init 2>/dev/null
chgrp "$GRP" "$ST" "$DB" "$ST/keys.events"
printf 'self_service yes\nstore %s\n' "$DB" >"$TMP/etc/apikey/apikey.conf"
chmod 644 "$TMP/etc/apikey/apikey.conf"
check "the service account reads the store" as "$SVC" test -r "$DB"

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

# ==== 3. whoever can write the store's directory (a misconfiguration)
KO=$(new_key "$TMP/ko" dave)
cp -p "$DB" "$TMP/older.db" # root-owned copies from before the revoke
cp -p "$DB" "$ST/keys.db.old"
ka revoke "$KO" >/dev/null 2>&1
is "the key is revoked" "$(ka verify dave <"$TMP/ko" 2>/dev/null)" REVOKED
check_fails "with sane modes the user cannot put the older copy back" \
	as "$W" mv "$ST/keys.db.old" "$DB"
chgrp "$(id -g "$W")" "$ST"
chmod 0770 "$ST"
check "given write access to the directory, the user renames the older copy over the store" \
	as "$W" mv "$ST/keys.db.old" "$DB"
is "the twin: that copy holds the key VALID" \
	"$(ka --db "$TMP/older.db" verify dave <"$TMP/ko" 2>/dev/null)" VALID
is "readers refuse the store: UNAVAILABLE" "$(ka verify dave <"$TMP/ko" 2>/dev/null)" UNAVAILABLE
like "and say why" "$(ka verify dave <"$TMP/ko" 2>&1 >/dev/null)" \
	"directory $ST: writable by group or others \(mode 0770\)"
like "keyadm check says the same" "$(ka check 2>&1)" "problem: directory $ST: writable by group"
check_fails "writes refuse it too" q ka create dave
chmod 0750 "$ST"
chgrp "$GRP" "$ST"
is "with the directory sane again, readers use it (the restored copy)" \
	"$(ka verify dave <"$TMP/ko" 2>/dev/null)" VALID
ka revoke "$KO" >/dev/null 2>&1

# where a store may live: sticky ancestors, owners
v() { ka --db "$1" verify dave <"$TMP/ko" 2>&1; }
mkdir -m 1777 "$TMP/sticky"
mkdir -m 0755 "$TMP/sticky/sub"
cp -p "$DB" "$TMP/sticky/sub/keys.db"
is "a root-owned directory in a sticky one (like /tmp) is accepted" "$(v "$TMP/sticky/sub/keys.db")" REVOKED
check_fails "and the user cannot rename it away" as "$W" mv "$TMP/sticky/sub" "$TMP/sticky/gone"
cp -p "$DB" "$TMP/sticky/keys.db"
like "a store directly in the sticky directory is refused" "$(v "$TMP/sticky/keys.db")" \
	"directory $TMP/sticky: writable by group or others \(mode 1777\)"
mkdir -m 0755 "$TMP/sticky/usr"
chown "$W" "$TMP/sticky/usr"
mkdir -m 0755 "$TMP/sticky/usr/sub"
cp -p "$DB" "$TMP/sticky/usr/sub/keys.db"
like "a directory of another user on the way is refused" "$(v "$TMP/sticky/usr/sub/keys.db")" \
	"directory $TMP/sticky/usr: owned by uid [0-9]+, not root"
check "the twin: that user could swap the store's directory" \
	as "$W" mv "$TMP/sticky/usr/sub" "$TMP/sticky/usr/away"
mkdir -m 0777 "$TMP/open"
mkdir -m 0755 "$TMP/open/sub"
cp -p "$DB" "$TMP/open/sub/keys.db"
like "a world-writable ancestor that is not sticky is refused" "$(v "$TMP/open/sub/keys.db")" \
	"directory $TMP/open: writable by group or others \(mode 0777\)"
check "the twin: anyone could rename the store's directory there" \
	as "$W" mv "$TMP/open/sub" "$TMP/open/away"
ln -s "$ST" "$TMP/link"
is "a symlink to a sane directory is followed (the real path is checked)" \
	"$(ka --db "$TMP/link/keys.db" verify dave <"$TMP/ko" 2>/dev/null)" REVOKED
mkdir -m 0777 "$TMP/wlink"
ln -s "$ST" "$TMP/wlink/st"
like "a symlink in a directory others can write is refused" \
	"$(v "$TMP/wlink/st/keys.db")" "directory $TMP/wlink: writable by group or others"
check "the twin: anyone could point it at another store" as "$W" ln -sfn "$TMP/sticky/sub" "$TMP/wlink/st"
as "$W" ln -s "$ST" "$TMP/sticky/wlink"
like "a symlink of another user in a sticky directory is refused" \
	"$(v "$TMP/sticky/wlink/keys.db")" "symbolic link $TMP/sticky/wlink: owned by uid [0-9]+, not root"
check "the twin: its owner could point it elsewhere" as "$W" ln -sfn "$TMP/sticky/sub" "$TMP/sticky/wlink"
mkdir -m 0755 "$TMP/sane"
ln -s ../wlink/st "$TMP/sane/chain"
like "a chain of symlinks is checked link by link" "$(v "$TMP/sane/chain/keys.db")" \
	"directory $TMP/wlink: writable by group or others"

# ==== 4. a core image of create --batch holds no key
printf 'erin\nfrank\ngina\n' >"$TMP/users"
# core_at BREAK OUT: a core of create --batch taken at function BREAK
core_at() {
	gdb -batch -ex "$1" -ex "run create --batch <$TMP/users >$2" -ex "gcore $TMP/core" \
		-ex kill "$KEYADM" >"$TMP/gdb.log" 2>&1
}
rm -f "$TMP/core"
core_at "catch syscall exit_group" "$TMP/bkeys"
is "create --batch printed its keys (under gdb)" "$(grep -c _ "$TMP/bkeys")" 3
check "a core image taken at its end" test -s "$TMP/core"
is "holds none of the keys it printed" "$(grep -c -a -F -f "$TMP/bkeys" "$TMP/core")" 0
is "nor any of their secrets" "$(cut -d_ -f3 "$TMP/bkeys" | grep -c -a -F -f - "$TMP/core")" 0
rm -f "$TMP/core"
core_at "break ka_write_all" "$TMP/bkeys2"
check "the twin: a core taken while the keys are written out" test -s "$TMP/core"
"$KEYADM" revoke --user erin >/dev/null 2>&1
check "has them (the search finds keys in a core)" test "$(strings -n 60 "$TMP/core" | grep -c "^ak_[0-9A-Za-z]\{12\}_")" -gt 0
rm -f "$TMP/core" "$TMP/bkeys" "$TMP/bkeys2"

# ==== 5. a remote client times its attempts
IDT="$TOP/bench/id_timing"
if [ -x "$IDT" ]; then
	printf 'u%s\n' $(seq 1 1000) | ka create --batch >"$TMP/many" 2>/dev/null
	t=$("$IDT" "$DB" "$TMP/many" 100000)
	diag "ak_verify, µs: real id with a wrong secret, unknown id, malformed: $t"
	set -- $t
	check "an unknown id takes as long as a real one with a wrong secret ($2 vs $1 µs)" \
		"$PY" -c "import sys; sys.exit(not ($2 >= 0.85 * $1))"
	check "the twin: the measurement sees a shortcut where there is one (malformed: $3 µs)" \
		"$PY" -c "import sys; sys.exit(not ($3 <= 0.6 * $1))"
	rm -f "$TMP/many"
else
	skip "bench/id_timing is not built (make check builds it)"
fi

done_testing
