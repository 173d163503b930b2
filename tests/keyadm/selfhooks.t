#!/bin/sh
# Change hooks under self-service: a real unprivileged user runs keyadm as
# `make install SELF_SERVICE=1` installs it, from a hostile environment
# (variables, umask, limits, ignored signals, niceness, an open descriptor,
# its own directory). The hooks (the installed default hooks_dir) run as
# root with none of it, and the user can neither signal them nor stop
# them by killing keyadm. APIKEY_CONFIG from the user is refused outright.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/keyadm/setuid.sh"

install_setuid
U=akha$$
at_exit "userdel $U >/dev/null 2>&1"
useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$U"
DB="$ROOT/var/lib/apikey/keys.db"
export APIKEY_DB="$DB"
policy "self_service yes" "store $DB"
"$SU" init 2>/dev/null
mkdir -m 755 "$HOOKS"
P="$TMP/probe.out"
cat >"$HOOKS/50-probe" <<HOOK
#!/bin/sh
exec >>$P 2>&1
echo "== \$APIKEY_ACTION \$APIKEY_KEY_ID \$APIKEY_USER \$APIKEY_COUNT"
env | sort | sed 's/^/env /'
echo "ids=\$(id -u) \$(id -g) \$(id -G)"
echo "status=\$(awk '/^Uid:/ { print \$2, \$3, \$4, \$5 }' /proc/\$\$/status)"
echo "cwd=\$(pwd)"
echo "umask=\$(umask)"
echo "nice=\$(ps -o ni= -p \$\$ | tr -d ' ')"
echo "nofile=\$(ulimit -n) cpu=\$(ulimit -t)"
echo "sigign=\$(awk '/^SigIgn:/ { print \$2 }' /proc/\$\$/status)"
echo "sigblk=\$(awk '/^SigBlk:/ { print \$2 }' /proc/\$\$/status)"
ls -l /proc/\$\$/fd | sed 's/^/fd /'
echo "sched=\$(chrt -p \$\$ | sed -n 's/.*scheduling policy: //p')"
echo "cpus=\$(taskset -p \$\$ | sed 's/.*: //')"
echo "io=\$(ionice -p \$\$)"
echo "oom=\$(cat /proc/\$\$/oom_score_adj)"
sed 's/^/in /'
HOOK
chmod 755 "$HOOKS/50-probe"
mkdir -m 700 "$TMP/udir"
chown "$U" "$TMP/udir"
: >"$TMP/callerfd"

# rawign CMD...: CMD with glibc's own signals (32, 33) ignored, set with
# the raw system call as a hostile caller could (sigaction(2) refuses them)
cat >"$TMP/rawign.c" <<'C'
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct { void (*h)(int); unsigned long f; void (*r)(void); uint64_t m; } k;
	(void)argc;
	memset(&k, 0, sizeof(k));
	k.h = SIG_IGN;
	syscall(SYS_rt_sigaction, 32, &k, NULL, sizeof(k.m));
	syscall(SYS_rt_sigaction, 33, &k, NULL, sizeof(k.m));
	execvp(argv[1], argv + 1);
	return 127;
}
C
cc -o "$TMP/rawign" "$TMP/rawign.c" || not_ok "build rawign"

# ---- from a hostile environment
(cd "$TMP/udir" && exec 7>>"$TMP/callerfd" && umask 000 && ulimit -S -n 64 && ulimit -S -t 100 &&
	trap '' TERM HUP INT USR1 CHLD && echo 900 >/proc/self/oom_score_adj &&
	exec "$TMP/rawign" nice -n 5 chrt -i 0 taskset -c 0 ionice -c 3 setpriv --reuid "$U" --regid "$(id -g "$U")" \
		--clear-groups -- env -u APIKEY_DB -u APIKEY_CONFIG "$SU_ASAN" LD_PRELOAD=/nonexistent/x.so \
		PATH="$TMP/udir:/usr/bin:/bin" IFS=: FOO=bar HOME="$TMP/udir" "$SU" create "$U") \
	>"$TMP/k" 2>"$TMP/err"
is "create from a hostile environment: exit 0" "$?" 0
K=$(cut -d_ -f2 "$TMP/k")
unlike "no warning (SIGCHLD ignored by the caller reaps nothing unseen)" "$(cat "$TMP/err")" warning
got=$(cat "$P")
is "the hook ran once" "$(grep -c '^==' "$P")" 1
is "the facts" "$(grep '^==' "$P")" "== create $K $U 1"
is "stdin: the change" "$(grep '^in ' "$P")" "in create$(printf '\t')$K$(printf '\t')$U"
is "environment: only PATH, PWD and the facts" "$(grep '^env ' "$P" | sed 's/^env //; s/=.*//' | tr '\n' ' ')" \
	"APIKEY_ACTION APIKEY_COUNT APIKEY_DB APIKEY_GENERATION APIKEY_KEY_ID APIKEY_USER PATH PWD "
like "PATH is keyadm's, not the caller's" "$got" '^env PATH=/usr/sbin:/usr/bin:/sbin:/bin$'
unlike "no LD_PRELOAD, IFS, HOME or FOO" "$got" '^env (LD_PRELOAD|IFS|HOME|FOO)='
is "APIKEY_DB is the store" "$(sed -n 's/^env APIKEY_DB=//p' "$P")" "$DB"
like "root: uid, gid, no other group" "$got" '^ids=0 0 0$'
like "root in every uid (real, effective, saved, fs)" "$got" '^status=0 0 0 0$'
like "in /, not the caller's directory" "$got" '^cwd=/$'
like "umask 022, not the caller's 000" "$got" '^umask=0?022$'
like "niceness 0, not the caller's 5" "$got" '^nice=0$'
# (soft limits: a container without CAP_SYS_RESOURCE cannot raise a hard one)
nofile=$(prlimit --pid 1 --nofile --output SOFT --noheadings | tr -d ' ')
[ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$nofile" ] && nofile=$(ulimit -Hn)
like "init's limits, not the caller's" "$got" "^nofile=$nofile cpu=unlimited\$"
is "no signal ignored" "$(printf "%s\n" "$got" | grep "^sigign=")" "sigign=0000000000000000"
is "no signal blocked" "$(printf "%s\n" "$got" | grep "^sigblk=")" "sigblk=0000000000000000"
like "SCHED_OTHER, not the caller's SCHED_IDLE" "$got" '^sched=SCHED_OTHER$'
like "init's CPUs, not the caller's one" "$got" "^cpus=$(taskset -p 1 | sed 's/.*: //')\$"
like "init's I/O class, not the caller's idle" "$got" "^io=$(ionice -p 1)\$"
# lowering oom_score_adj needs CAP_SYS_RESOURCE, which a container may lack
if (echo 900 >/proc/self/oom_score_adj && echo 0 >/proc/self/oom_score_adj) 2>/dev/null; then
	like "oom_score_adj 0, not the caller's 900" "$got" '^oom=0$'
else
	skip "no CAP_SYS_RESOURCE here: oom_score_adj cannot be lowered"
fi
unlike "no descriptor of the caller's" "$got" "callerfd|$TMP/udir"
is "the key works" "$(ka verify "$U" <"$TMP/k" 2>/dev/null)" VALID

# ---- APIKEY_CONFIG from the caller: refused, no hook
: >"$P"
mkdir -m 755 "$TMP/uhooks"
printf 'hooks_dir %s\nself_service yes\nstore %s\n' "$TMP/uhooks" "$DB" >"$TMP/u.conf"
before=$(state)
check_exit "APIKEY_CONFIG set by the caller: refused" 2 q setpriv --reuid "$U" --regid "$(id -g "$U")" \
	--clear-groups -- env -u APIKEY_DB "$SU_ASAN" APIKEY_CONFIG="$TMP/u.conf" "$SU" create "$U"
check_exit "--config from the caller: refused" 2 q as "$U" --config "$TMP/u.conf" create "$U"
unchanged "a caller's policy" "$before"
is "a caller's policy: no hook ran" "$(cat "$P")" ""

# ---- the caller cannot signal the hooks, nor stop them by killing keyadm
rm "$HOOKS/50-probe"
cat >"$HOOKS/60-slow" <<HOOK
#!/bin/sh
echo \$\$ >$TMP/hook.pid.tmp
echo \$PPID >$TMP/sup.pid
ps -o ppid= -p \$PPID | tr -d ' ' >$TMP/keyadm.pid
mv $TMP/hook.pid.tmp $TMP/hook.pid
sleep 3
echo done >$TMP/hook.done
HOOK
chmod 755 "$HOOKS/60-slow"
as "$U" revoke "$K" >/dev/null 2>&1 &
bg=$!
i=0
while [ ! -s "$TMP/hook.pid" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
hp=$(cat "$TMP/hook.pid")
userkill() { setpriv --reuid "$U" --regid "$(id -g "$U")" --clear-groups -- kill "$@" 2>/dev/null; }
check_fails "the user cannot SIGTERM the hook" userkill -TERM "$hp"
check_fails "the user cannot SIGSTOP the hook" userkill -STOP "$hp"
check_fails "the user cannot SIGKILL the supervisor" userkill -KILL "$(cat "$TMP/sup.pid")"
check_fails "the user cannot signal the hook's process group" userkill -KILL -- "-$hp"
check "the user can kill their keyadm" userkill -KILL "$(cat "$TMP/keyadm.pid")"
wait "$bg"
i=0
while [ ! -e "$TMP/hook.done" ] && [ $i -lt 80 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the hook ran to its end all the same" test -e "$TMP/hook.done"
is "the revocation stands" "$(ka verify "$U" <"$TMP/k" 2>/dev/null)" REVOKED

# ---- keyadm(8)'s recipe for the shipped Dovecot hook, taken from the man
# page, with the install's root in front of its paths (PREFIX /usr here)
rm -f "$HOOKS"/*
rmdir "$HOOKS"
recipe=$(sed -n '/^install -d -m 0755 \/etc\/apikey\/hooks.d$/,/^\.Ed$/p' "$TOP/man/keyadm.8" | sed '/^\.Ed$/d')
like "the man page has the recipe" "$recipe" 'dovecot-auth-cache-flush'
(printf '%s\n' "$recipe" | sed "s|/usr/local/|$ROOT/usr/|g; s| /etc/| $ROOT/etc/|g; s|^  /etc/|  $ROOT/etc/|" | sh -e)
is "the recipe installs the hook, root's, 0755" "$(stat -c '%U %a' "$HOOKS/dovecot-auth-cache-flush" 2>&1)" "root 755"
K2=$(as "$U" create "$U" 2>"$TMP/err" | cut -d_ -f2)
check "a self-service change with the Dovecot hook: a key" test -n "$K2"
unlike "the Dovecot hook without a running Dovecot: no warning" "$(cat "$TMP/err")" warning

done_testing
