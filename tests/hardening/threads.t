#!/bin/sh
# The SASL plugin under a multithreaded server, with two race detectors,
# while keyadm writes the store (each write replaces it, so the core's
# cached handle is reopened under load):
# - Helgrind over a real memcached -S with 4 worker threads on 127.0.0.1,
#   our plugin alone in its plugin path, 6 concurrent binary-protocol
#   clients (PLAIN and LOGIN; valid, revoked, forged, wrong-user keys);
# - ThreadSanitizer over the real libsasl2 in 8 threads, with the plugin
#   and the core built with -fsanitize=thread into this test's directory.
# No report may name our code; the answers must be right. Negative twins:
# the same runs with a copy of the core whose store-cache mutex is
# compiled out must be reported by each detector.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"

unsanitized "Helgrind and ThreadSanitizer do not run beside ASan; the normal make check runs this"
need "valgrind is not installed" have valgrind
need "memcached is not installed" have memcached
need "memcached has no SASL support" sh -c 'memcached -h | grep -q -- --enable-sasl'
need "there is no user nobody" id nobody
H="$TOP/tests/hardening"

new_store
# memcached passes its host name as the user_realm: the canonical names,
# and so the keys' owners, are alice@HOST and bob@HOST.
HN=$(hostname)
new_key "$TMP/a" "alice@$HN" >/dev/null
new_key "$TMP/b" "bob@$HN" >/dev/null
R=$(new_key "$TMP/r" "alice@$HN")
ka revoke "$R" >/dev/null 2>&1
forge "$TMP/a" "$TMP/f"
chmod 0644 "$DB" # memcached runs as nobody
chmod 0755 "$PLUGDIR"
CASES="ok:PLAIN:alice@$HN:$TMP/a ok:LOGIN:bob@$HN:$TMP/b no:PLAIN:alice@$HN:$TMP/r
no:LOGIN:alice@$HN:$TMP/f no:PLAIN:bob@$HN:$TMP/a"

# churn PID OUT: keyadm creates and revokes other keys while PID runs;
# OUT gets "writes failures".
churn() {
	_w=0 _e=0
	while kill -0 "$1" 2>/dev/null; do
		if _id=$(new_key "$TMP/x" "churn$_w"); then
			ka revoke "$_id" >/dev/null 2>&1 || _e=$((_e + 1))
		else
			_e=$((_e + 1))
		fi
		_w=$((_w + 2))
	done
	echo "$_w $_e" >"$2"
}

# hg NAME PLUGIN_DIR THREADS ROUNDS: memcached -S -t 4 under Helgrind with
# PLUGIN_DIR as its SASL path, the clients (tally in NAME.out) while keyadm
# writes (NAME.churn), then SIGTERM; Helgrind's XML in NAME.xml, its log
# (-v: the objects it read) in NAME.log, memcached's exit status in mc_rc.
# Valgrind keeps a few descriptors for itself and refuses memcached's
# setrlimit unless the limit memcached sets (-c) is the soft limit it
# started with (prlimit): both 256.
hg() {
	_nm=$1
	mkdir -p "$TMP/$_nm.conf"
	printf 'mech_list: PLAIN LOGIN\napikey_db: %s\napikey_events: %s\n' "$DB" "$TMP/$_nm.events" \
		>"$TMP/$_nm.conf/memcached.conf"
	: >"$TMP/$_nm.events"
	chown nobody "$TMP/$_nm.events"
	_port=$(free_port)
	prlimit --nofile=256: env SASL_CONF_PATH="$TMP/$_nm.conf" SASL_PATH="$2" valgrind \
		--tool=helgrind --vgdb=no -v --num-callers=40 --suppressions="$H/threads.supp" \
		--log-file="$TMP/$_nm.log" --xml=yes --xml-file="$TMP/$_nm.xml" \
		memcached -S -u nobody -l 127.0.0.1 -p "$_port" -U 0 -t 4 -c 256 -v \
		>"$TMP/$_nm.mc" 2>&1 &
	_mc=$!
	at_exit "kill $_mc"
	check "$_nm: memcached -S -t 4 under Helgrind listens on 127.0.0.1:$_port" wait_port "$_port"
	# shellcheck disable=SC2086 # the cases are words
	python3 "$H/mc_sasl.py" "$_port" "$3" "$4" $CASES >"$TMP/$_nm.out" 2>"$TMP/$_nm.err" &
	_py=$!
	churn "$_py" "$TMP/$_nm.churn"
	wait "$_py"
	kill -TERM "$_mc"
	wait "$_mc"
	mc_rc=$?
	python3 "$H/hg_reports.py" "$TMP/$_nm.xml" >"$TMP/$_nm.reports" 2>&1
}
count() { sed -n "s/^count $1 //p" "$2"; }

# answers NAME DESC WANT MIN_WRITES: NAME's tally is WANT ("attempts
# accepted refused wrong"), keyadm wrote at least MIN_WRITES times
# meanwhile without a failure, and the plugin recorded one event per
# attempt, VALID for each acceptance.
answers() {
	diag "$1: attempts accepted refused wrong: $(cat "$TMP/$1.out");" \
		"keyadm writes and failures meanwhile: $(cat "$TMP/$1.churn")"
	is "$1: $2: every answer right" "$(cat "$TMP/$1.out")" "$3"
	check "$1: keyadm wrote the store at least $4 times meanwhile" \
		test "$(cut -d' ' -f1 "$TMP/$1.churn")" -ge "$4"
	is "$1: every keyadm write succeeded" "$(cut -d' ' -f2 "$TMP/$1.churn")" 0
	is "$1: one event per attempt" "$(wc -l <"$TMP/$1.events" | tr -d ' ')" "${3%% *}"
	is "$1: one VALID event per acceptance" "$(grep -c '	VALID	' "$TMP/$1.events")" \
		"$(echo "$3" | cut -d' ' -f2)"
}

start=$(date +%s)
hg hg "$PLUGDIR" 6 12
diag "Helgrind run: $(($(date +%s) - start)) s"
sed 's/^/# /' "$TMP/hg.err"
is "memcached exits 0 on SIGTERM" "$mc_rc" 0
answers hg "6 clients x 12 rounds x 5 cases" "360 144 216 0" 10
check "the refusals are our plugin's" grep -q "apikey: authentication failure" "$TMP/hg.mc"
check "Helgrind read our plugin (it instruments what it reads)" \
	grep -q "Reading syms from $PLUGDIR/libapikey.so" "$TMP/hg.log"
check "Helgrind's XML report is complete" grep -q '^count ours ' "$TMP/hg.reports"
is "Helgrind: no report names libapikey.so or an ak_* function" "$(count ours "$TMP/hg.reports")" 0
is "Helgrind: no report at all after threads.supp" "$(count others "$TMP/hg.reports")" 0
diag "Helgrind errors suppressed, by suppression (threads.supp: memcached and libevent;" \
	"helgrind-glibc2X-*: Valgrind's defaults for libc):"
sed -n 's/^suppressed /#   /p' "$TMP/hg.reports"
grep -E '^(ours|other) ' "$TMP/hg.reports" | head -5 | sed 's/^/# /'
for f in hg.mc hg.log hg.xml hg.events; do no_secret_in "$TMP/$f" "$TMP/a" "$TMP/b" "$TMP/r" "$TMP/f"; done

# The negative twins' core: verify.c's mutex calls compiled out, nothing
# else changed. Built here, never installed.
printf '#include <pthread.h>\n#define pthread_mutex_lock(m) ((void)(m))\n#define pthread_mutex_unlock(m) ((void)(m))\n' \
	>"$TMP/nolock.h"
# build_plugin DIR CFLAGS...: the plugin as sasl_apikey/module.mk links it.
build_plugin() {
	_d=$1
	shift
	mkdir -p "$_d"
	(cd "$TOP" && cc -std=c11 -D_GNU_SOURCE -g -fPIC -fvisibility=hidden -Icommon "$@" -shared \
		-o "$_d/libapikey.so" common/*.c sasl_apikey/plugin.c \
		-Wl,--version-script=sasl_apikey/libapikey.map -Wl,-z,defs -Wl,-z,nodelete \
		-Wl,-Bstatic -lsodium -Wl,-Bdynamic -lgdbm)
}
TSAN="-O1 -fsanitize=thread"
# shellcheck disable=SC2086 # flag lists
{
	build_plugin "$TMP/racy" -O2 -include "$TMP/nolock.h" >"$TMP/b1" 2>&1 &
	b1=$!
	build_plugin "$TMP/tsan" $TSAN >"$TMP/b2" 2>&1 &
	b2=$!
	build_plugin "$TMP/tsan-racy" $TSAN -include "$TMP/nolock.h" >"$TMP/b3" 2>&1
	b3=$?
	cc -std=c11 -D_GNU_SOURCE -g $TSAN -Wall -Wextra -Wconversion -Wshadow -Werror -fPIE -pie \
		-o "$TMP/sasl-threads" "$H/sasl-threads.c" -lsasl2 >"$TMP/b4" 2>&1
	b4=$?
}
wait "$b1"
is "racy plugin built" "$?" 0
wait "$b2"
is "plugin and core built with -fsanitize=thread" "$?" 0
is "racy plugin built with -fsanitize=thread" "$b3" 0
is "sasl-threads built with -fsanitize=thread" "$b4" 0

start=$(date +%s)
hg hgracy "$TMP/racy" 4 3
diag "Helgrind negative twin: $(($(date +%s) - start)) s; memcached exit $mc_rc;" \
	"$(count ours "$TMP/hgracy.reports") reports name our code"
check "negative twin: Helgrind reports the race in our code" \
	test "$(count ours "$TMP/hgracy.reports")" -gt 0
like "negative twin: at the store cache" "$(cat "$TMP/hgracy.reports")" \
	'^ours Race (cache_store|cache_drop|ak_verify_path)@libapikey.so'

# ThreadSanitizer. If its runtime cannot map its shadow memory under this
# kernel's address-space layout, try again without randomisation.
SETARCH=""
"$TMP/sasl-threads" >/dev/null 2>&1
if [ $? -ne 2 ]; then
	SETARCH="setarch $(uname -m) -R"
	# shellcheck disable=SC2086 # SETARCH is a command and its arguments
	if $SETARCH "$TMP/sasl-threads" >/dev/null 2>&1 || [ $? -ne 2 ]; then
		skip "ThreadSanitizer cannot run here, even with setarch -R"
		done_testing
		exit
	fi
	diag "ThreadSanitizer runs only with address-space randomisation off (setarch -R)"
fi

# tsan_run NAME PLUGIN_DIR THREADS ROUNDS TSAN_OPTIONS: sasl-threads while
# keyadm writes.
tsan_run() {
	: >"$TMP/$1.events"
	# shellcheck disable=SC2086 # SETARCH and the cases are words
	env TSAN_OPTIONS="$5" $SETARCH "$TMP/sasl-threads" "$2" "$DB" "$TMP/$1.events" "$3" "$4" \
		$CASES >"$TMP/$1.out" 2>"$TMP/$1.err" &
	_pid=$!
	churn "$_pid" "$TMP/$1.churn"
	wait "$_pid"
}
start=$(date +%s)
tsan_run ts "$TMP/tsan" 8 300 halt_on_error=0
is "ThreadSanitizer run exits 0" "$?" 0
diag "ThreadSanitizer run: $(($(date +%s) - start)) s"
answers ts "8 threads x 300 rounds x 5 cases" "12000 4800 7200 0" 5
is "ThreadSanitizer: no report" "$(grep -c 'WARNING: ThreadSanitizer' "$TMP/ts.err")" 0
no_secret_in "$TMP/ts.err" "$TMP/a" "$TMP/b" "$TMP/r" "$TMP/f"

tsan_run tsracy "$TMP/tsan-racy" 8 20 halt_on_error=1
like "negative twin: ThreadSanitizer reports a data race" "$(cat "$TMP/tsracy.err")" \
	'WARNING: ThreadSanitizer: data race'
like "negative twin: in the store cache" "$(cat "$TMP/tsracy.err")" \
	'#0 (cache_store|cache_drop|ak_verify_path) .*common/verify.c'
done_testing
