#!/bin/sh
# Change hooks (keyadm(8) HOOKS): after every committed change keyadm runs
# the hooks of hooks_dir with the facts of the change on stdin and in the
# environment. The negative twins: no hook for a refused, failed or no-op
# command; a failing, hanging, group-writable, foreign, misnamed or
# non-executable hook changes nothing about the result. The self-service
# side (a real user through the installed setuid copy) is in
# selfservice.t.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"

HD="$TMP/hooks.d"
REC="$TMP/rec"
mkdir -m 755 "$HD"
printf 'hooks_dir %s\n' "$HD" >"$TMP/hooks.conf"
export APIKEY_CONFIG="$TMP/hooks.conf"
# hook NAME BODY: an executable hook, root's, mode 0755
hook() {
	printf '#!/bin/sh\n%s\n' "$2" >"$HD/$1"
	chmod 755 "$HD/$1"
}
# The recorder: the facts, then stdin, appended to $REC.
hook 50-rec "{ echo \"== \$APIKEY_ACTION \$APIKEY_KEY_ID \$APIKEY_USER \$APIKEY_COUNT \$APIKEY_GENERATION \$APIKEY_DB\"; cat; } >>$REC"
T=$(printf '\t')
# facts ACTION ID USER COUNT LINES...: what the recorder should hold
facts() {
	printf '== %s %s %s %s %s %s\n' "$1" "$2" "$3" "$4" "$(generation)" "$DB"
	shift 4
	for l in "$@"; do printf '%s\n' "$l"; done
}

rm -f "$REC"
new_store
is "init: the facts" "$(cat "$REC")" "$(facts init "" "" 0)"

: >"$REC"
A=$(new_key "$TMP/a" alice --name laptop)
is "create: the facts" "$(cat "$REC")" "$(facts create "$A" alice 1 "create${T}$A${T}alice")"
B1=$(new_key "$TMP/b1" bob)
B2=$(new_key "$TMP/b2" bob)

: >"$REC"
ka disable "$A" --reason away 2>/dev/null
is "disable: the facts" "$(cat "$REC")" "$(facts disable "$A" alice 1 "disable${T}$A${T}alice")"
: >"$REC"
ka enable "$A" 2>/dev/null
is "enable: the facts" "$(cat "$REC")" "$(facts enable "$A" alice 1 "enable${T}$A${T}alice")"
: >"$REC"
ka set "$A" --name phone 2>/dev/null
is "set: the facts" "$(cat "$REC")" "$(facts set "$A" alice 1 "set${T}$A${T}alice")"
: >"$REC"
ka rotate "$A" >"$TMP/a2" 2>/dev/null
A2=$(cut -d_ -f2 "$TMP/a2")
is "rotate: the old key's rotate, then the new key's create" "$(cat "$REC")" \
	"$(facts rotate "$A" alice 2 "rotate${T}$A${T}alice" "create${T}$A2${T}alice")"
: >"$REC"
ka revoke "$A2" --reason done 2>/dev/null
is "revoke: the facts" "$(cat "$REC")" "$(facts revoke "$A2" alice 1 "revoke${T}$A2${T}alice")"
: >"$REC"
ka revoke --user bob 2>/dev/null
got=$(cat "$REC")
like "revoke --user: two lines" "$got" "^== revoke $B1|$B2 bob 2 "
is "revoke --user: each of bob's keys once" "$(printf '%s\n' "$got" | grep -v '^==' | sort)" \
	"$(printf 'revoke\t%s\tbob\nrevoke\t%s\tbob\n' "$B1" "$B2" | sort)"
: >"$REC"
ka purge "$A" 2>/dev/null
is "purge: the facts" "$(cat "$REC")" "$(facts purge "$A" alice 1 "purge${T}$A${T}alice")"
: >"$REC"
printf 'carol\ndave\nerin\n' | ka create --batch >"$TMP/batch" 2>/dev/null
got=$(cat "$REC")
is "batch: one run, three lines" "$(printf '%s\n' "$got" | grep -c '^create')" 3
like "batch: the first key's facts" "$got" "^== create $(head -1 "$TMP/batch" | cut -d_ -f2) carol 3 "
is "batch: the users in order" "$(printf '%s\n' "$got" | grep '^create' | cut -f3 | tr '\n' ' ')" "carol dave erin "
no_key_in "$(cat "$REC")" "$TMP/a2" "hook stdin"

# ---- nothing committed: no hook
: >"$REC"
check_exit "revoke of a missing id: 3" 3 q ka revoke AAAAAAAAAAAA
check_exit "create for a bad user: 2" 2 q ka create -bad
q ka enable "$B1" # revoked: nothing to enable
is "no hook for a failed, refused or no-op command" "$(cat "$REC")" ""

# ---- a failing hook: warned, the change stands, later hooks run
hook 10-fail 'exit 3'
: >"$REC"
C=$(new_key "$TMP/c" carol)
ka revoke "$C" 2>"$TMP/err"
is "a failing hook: keyadm's exit status unchanged" "$?" 0
like "a failing hook: warned on stderr" "$(cat "$TMP/err")" "warning: hook $HD/10-fail failed \(exit 3\)"
is "a failing hook: the change stands" "$(ka verify carol <"$TMP/c" 2>/dev/null)" REVOKED
like "a failing hook: the later hooks still run" "$(cat "$REC")" "revoke${T}$C${T}carol"
check_exit "a failing hook: a failed command keeps its own status" 3 q ka revoke AAAAAAAAAAAA
rm "$HD/10-fail"

# ---- a hanging hook: killed after 10 s with what it started
hook 10-hang "echo \$\$ >$TMP/hang.pid; sleep 300 & echo \$! >$TMP/hang.child; wait"
: >"$REC"
t0=$(date +%s)
D=$(new_key "$TMP/d" dave)
ka revoke "$D" 2>"$TMP/err"
rc=$?
t1=$(date +%s)
is "a hanging hook: exit status unchanged" "$rc" 0
check "a hanging hook: bounded (10 s, not 300)" test $((t1 - t0)) -ge 10 -a $((t1 - t0)) -lt 40
like "a hanging hook: warned" "$(cat "$TMP/err")" "hook $HD/10-hang killed after 10 s"
check_fails "a hanging hook: it is gone" kill -0 "$(cat "$TMP/hang.pid")"
gone() { # PID: not running (a killed child may take a moment to be reaped)
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = "" ] && return 0
		[ "$(ps -o stat= -p "$1" | cut -c1)" = Z ] && return 0
		sleep 0.2
	done
	return 1
}
check "a hanging hook: its child is gone too" gone "$(cat "$TMP/hang.child")"
is "a hanging hook: the change stands" "$(ka verify dave <"$TMP/d" 2>/dev/null)" REVOKED
like "a hanging hook: the later hooks ran" "$(cat "$REC")" "revoke${T}$D${T}dave"
rm "$HD/10-hang"

# ---- hooks that must not run
hook 20-gw "touch $TMP/ran.gw"
chmod 775 "$HD/20-gw"
hook 20-ow "touch $TMP/ran.ow"
chmod 757 "$HD/20-ow"
hook 20-nobody "touch $TMP/ran.nobody"
chown nobody "$HD/20-nobody"
hook 20-bad.sh "touch $TMP/ran.name"
hook 20-old~ "touch $TMP/ran.tilde"
hook 20-off "touch $TMP/ran.off"
chmod 644 "$HD/20-off"
ln -s "$HD/50-rec" "$HD/20-link"
E=$(new_key "$TMP/e" erin)
: >"$REC"
ka revoke "$E" 2>"$TMP/err"
is "unsafe hooks: exit status unchanged" "$?" 0
for h in gw ow nobody name tilde off; do
	check_fails "hook not run: $h" test -e "$TMP/ran.$h"
done
like "a group-writable hook: skipped and warned" "$(cat "$TMP/err")" "hook $HD/20-gw skipped"
like "a world-writable hook: skipped and warned" "$(cat "$TMP/err")" "hook $HD/20-ow skipped"
like "a hook not root's: skipped and warned" "$(cat "$TMP/err")" "hook $HD/20-nobody skipped"
is "a symbolic link is not a hook: the recorder ran once" "$(grep -c '^==' "$REC")" 1
like "a symbolic link: skipped and warned" "$(cat "$TMP/err")" "hook $HD/20-link skipped: not a regular file"
unlike "a misnamed hook: no warning on stderr" "$(cat "$TMP/err")" "20-bad.sh|20-old~"
is "unsafe hooks: the change stands" "$(ka verify erin <"$TMP/e" 2>/dev/null)" REVOKED
rm -f "$HD"/20-*

# ---- an unsafe directory: no hook at all
chmod 775 "$HD"
: >"$REC"
F=$(new_key "$TMP/f" frank 2>/dev/null)
ka revoke "$F" 2>"$TMP/err"
is "group-writable hooks_dir: exit status unchanged" "$?" 0
is "group-writable hooks_dir: no hook run" "$(cat "$REC")" ""
like "group-writable hooks_dir: warned" "$(cat "$TMP/err")" "hooks_dir $HD: .*no hooks run"
chmod 755 "$HD"
mkdir -m 777 "$TMP/open"
mkdir -m 755 "$TMP/open/hooks.d"
cp -p "$HD/50-rec" "$TMP/open/hooks.d/"
printf 'hooks_dir %s\n' "$TMP/open/hooks.d" >"$TMP/open.conf"
: >"$REC"
ka --config "$TMP/open.conf" create frank >/dev/null 2>"$TMP/err"
is "hooks_dir under a world-writable directory: no hook run" "$(cat "$REC")" ""
like "hooks_dir under a world-writable directory: warned" "$(cat "$TMP/err")" "no hooks run"
printf 'hooks_dir %s\n' "$TMP/missing" >"$TMP/missing.conf"
ka --config "$TMP/missing.conf" create frank >/dev/null 2>"$TMP/err"
is "a missing hooks_dir that was set: the command succeeds" "$?" 0
like "a missing hooks_dir that was set: warned" "$(cat "$TMP/err")" "hooks_dir $TMP/missing: No such file"
printf 'hooks_dir relative/dir\n' >"$TMP/rel.conf"
check_exit "hooks_dir must be absolute" 1 q ka --config "$TMP/rel.conf" list
: >"$TMP/none.conf"
check "no hooks_dir and no default directory: silent" sh -c "'$KEYADM' --config '$TMP/none.conf' create frank 2>&1 >/dev/null | grep -v 'not in the passwd database' | grep -q warning && exit 1 || exit 0"

# ---- the hook's world: clean environment, /, its own session, no fds
hook 30-env "exec >$TMP/env.out; env; echo cwd=\$(pwd); echo sid=\$(ps -o sid= -p \$\$); echo umask=\$(umask); exec ls /proc/self/fd"
: >"$TMP/env.out"
(cd "$TMP" && exec 7>"$TMP/fd7" && LD_PRELOAD=/nonexistent.so IFS=x FOO=bar HOME=/tmp \
	"$KEYADM" create george >/dev/null 2>&1)
envs=$(grep -v '^cwd=\|^sid=\|^umask=\|^[0-9]' "$TMP/env.out" | sed 's/=.*//' | sort | tr '\n' ' ')
# /bin/sh adds PWD (and dash OLDPWD-free); nothing of the caller's
is "hook environment: only PATH, PWD and the facts" "$envs" \
	"APIKEY_ACTION APIKEY_COUNT APIKEY_DB APIKEY_GENERATION APIKEY_KEY_ID APIKEY_USER PATH PWD "
like "hook PATH" "$(cat "$TMP/env.out")" '^PATH=/usr/sbin:/usr/bin:/sbin:/bin$'
like "hook cwd is /" "$(cat "$TMP/env.out")" '^cwd=/$'
like "hook umask 022" "$(cat "$TMP/env.out")" '^umask=0?022$'
unlike "hook is not in keyadm's session" "$(cat "$TMP/env.out")" "^sid= *$$\$"
is "hook fds: 0, 1, 2 (and ls's own)" "$(grep '^[0-9]' "$TMP/env.out" | tr '\n' ' ')" "0 1 2 3 "
rm "$HD/30-env"

# ---- hook output goes to syslog
if logns_works && start_syslog; then
	hook 40-say 'echo "flushed $APIKEY_USER"; echo oops >&2'
	mark
	in_logns "$KEYADM" create henry >/dev/null 2>&1
	like "hook stdout to syslog" "$(since)" "keyadm\[[0-9]+\]: hook 40-say: flushed henry"
	like "hook stderr to syslog" "$(since)" "keyadm\[[0-9]+\]: hook 40-say: oops"
	hook 40-say.dpkg-old 'touch '"$TMP/ran.old"
	mark
	in_logns "$KEYADM" create henry >/dev/null 2>&1
	like "a misnamed hook: noted in syslog" "$(since)" "hooks_dir $HD: not run, not a hook's name: 40-say.dpkg-old"
	check_fails "a misnamed hook: not run" test -e "$TMP/ran.old"
	rm "$HD/40-say.dpkg-old"
	hook 40-say 'exit 7'
	mark
	in_logns "$KEYADM" create henry >/dev/null 2>&1
	like "a failure to syslog" "$(since)" "<84>.*keyadm\[[0-9]+\]: hook $HD/40-say failed \(exit 7\)"
	rm "$HD/40-say"
else
	skip "no private mount namespace or syslog listener here"
fi

# ---- keyadm killed after the rename, before it tells the supervisor:
# the hooks run all the same (the change is in the store); killed before
# the rename: no hook (it is not). A preloaded shim ends keyadm at once
# when it syncs the directory (right after the rename) or in rename.
cat >"$TMP/die.c" <<'C'
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int fsync(int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		_exit(9); /* the directory is synced after the rename */
	return (int)syscall(SYS_fsync, fd);
}
C
cat >"$TMP/norename.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int rename(const char *a, const char *b) { (void)a; (void)b; _exit(9); }
C
cat >"$TMP/stop.c" <<'C'
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int fsync(int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		raise(SIGSTOP); /* stopped right after the rename, the lock held */
	return (int)syscall(SYS_fsync, fd);
}
C
cat >"$TMP/failrename.c" <<'C'
#include <errno.h>
#include <stdio.h>
int rename(const char *a, const char *b) { (void)a; (void)b; errno = EIO; return -1; }
C
# Under SANITIZE=1 the ASan runtime must come first among the libraries.
ASAN_FIRST=${ASAN_LIB:+$ASAN_LIB:}
if cc -shared -fPIC -o "$TMP/die.so" "$TMP/die.c" && cc -shared -fPIC -o "$TMP/norename.so" "$TMP/norename.c" &&
	cc -shared -fPIC -o "$TMP/failrename.so" "$TMP/failrename.c" &&
	cc -shared -fPIC -o "$TMP/stop.so" "$TMP/stop.c"; then
	J=$(new_key "$TMP/j" judy)
	: >"$REC"
	LD_PRELOAD="$ASAN_FIRST$TMP/die.so" "$KEYADM" revoke "$J" >/dev/null 2>&1
	is "killed after the rename: keyadm died" "$?" 9
	i=0
	while ! grep -q "^revoke" "$REC" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	is "killed after the rename: the hooks ran" "$(grep -v '^==' "$REC")" "revoke${T}$J${T}judy"
	is "killed after the rename: the change is in" "$(ka verify judy <"$TMP/j" 2>/dev/null)" REVOKED
	J3=$(new_key "$TMP/j3" judy)
	: >"$REC"
	LD_PRELOAD="$ASAN_FIRST$TMP/stop.so" "$KEYADM" revoke "$J3" >/dev/null 2>&1 &
	stopped=$!
	i=0
	while ! grep -q "^revoke" "$REC" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	is "stopped after the rename: keyadm is stopped" "$(ps -o stat= -p "$stopped" | cut -c1)" T
	is "stopped after the rename: the hooks ran all the same" "$(grep -v '^==' "$REC")" "revoke${T}$J3${T}judy"
	kill -CONT "$stopped"
	wait "$stopped"
	is "stopped, then continued: exit 0" "$?" 0
	is "stopped, then continued: the hooks ran once" "$(grep -c '^==' "$REC")" 1
	J2=$(new_key "$TMP/j2" judy)
	: >"$REC"
	LD_PRELOAD="$ASAN_FIRST$TMP/norename.so" "$KEYADM" revoke "$J2" >/dev/null 2>&1
	is "killed before the rename: keyadm died" "$?" 9
	sleep 1
	is "killed before the rename: no hook" "$(cat "$REC")" ""
	is "killed before the rename: no change" "$(ka verify judy <"$TMP/j2" 2>/dev/null)" VALID
	: >"$REC"
	LD_PRELOAD="$ASAN_FIRST$TMP/failrename.so" "$KEYADM" revoke "$J2" >/dev/null 2>&1
	is "a failed rename: keyadm fails" "$?" 1
	is "a failed rename: no hook" "$(cat "$REC")" ""
	is "a failed rename: no change" "$(ka verify judy <"$TMP/j2" 2>/dev/null)" VALID
else
	skip "no compiler for the shims"
fi

# ---- the shipped Dovecot hook: harmless without a running Dovecot
cp "$TOP/conf/hooks.d/dovecot-auth-cache-flush" "$HD/60-dovecot"
sed -i "s|^SOCKET=.*|SOCKET=$TMP/no-such-socket|" "$HD/60-dovecot"
chmod 755 "$HD/60-dovecot"
ka create ivan >/dev/null 2>"$TMP/err"
is "dovecot hook without Dovecot: success" "$?" 0
unlike "dovecot hook without Dovecot: no warning" "$(grep -v 'not in the passwd database' "$TMP/err")" warning
check "dovecot hook: sh -n" sh -n "$TOP/conf/hooks.d/dovecot-auth-cache-flush"

done_testing
