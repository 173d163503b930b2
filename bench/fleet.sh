#!/bin/sh
# make bench, the fleet: tests/deploy/fleet.t's setup (network namespaces,
# a real sshd with pam_apikey per replica, the shipped fleet-publish hook
# pushing with rsync over ssh, apikey-install-newest on every replica).
#   sh bench/fleet.sh latency N   revocation latency, from keyadm revoke
#                                 returning to a refused ssh login on every
#                                 one of N replicas (p50/p99 over
#                                 $FLEET_REVOCATIONS, 20)
#   sh bench/fleet.sh wire KEYS   at KEYS keys (100000): bundle bytes per
#                                 key, rsync's bytes per host per
#                                 revocation, keyadm install time
#   sh bench/fleet.sh             both: latency 5, latency 20, wire 100000
# Lines "measure,value,unit" are appended to bench/out/fleet.csv.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
if [ $# -eq 0 ]; then
	mkdir -p "$TOP/bench/out"
	echo "measure,value,unit" >"$TOP/bench/out/fleet.csv"
	for a in "latency 5" "latency 20" "wire 100000"; do
		# shellcheck disable=SC2086 # the mode and its number
		sh "$0" $a || exit 1
	done
	column -s, -t "$TOP/bench/out/fleet.csv"
	exit 0
fi
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/fleetlib.sh"
csv=$TOP/bench/out/fleet.csv
rec() { echo "$1,$2,$3" >>"$csv"; }
note() { printf '%s\n' "$*" >&2; }
# pct P: the P-th percentile (nearest rank) of the numbers on stdin.
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i]}'; }
ms() { echo $(($(date +%s%N) / 1000000)); }
mode=$1
if [ "$mode" = latency ]; then N=$2; else N=2; fi
fleet_net "$N" >/dev/null || exit 1
fleet_setup >/dev/null
printf 'timeout 60\n' >>"$PE/fleet.conf" # the first, whole bundles

if [ "$mode" = latency ]; then
	R=${FLEET_REVOCATIONS:-20}
	seq 1 "$R" | sed "s/.*/$U/" | ka create --batch >"$TMP/keys" 2>/dev/null
	i=1
	while [ "$i" -le "$R" ]; do
		sed -n "${i}p" "$TMP/keys" >"$TMP/k$i"
		chmod 0600 "$TMP/k$i"
		i=$((i + 1))
	done
	h=1
	while [ "$h" -le "$N" ]; do
		n=0
		until login_ok "$h" "$TMP/k1" || [ "$n" -ge 50 ]; do
			sleep 0.2
			n=$((n + 1))
		done
		h=$((h + 1))
	done
	sed -i '/^timeout 60$/d' "$PE/fleet.conf"
	: >"$TMP/lat"
	: >"$TMP/rv"
	i=1
	while [ "$i" -le "$R" ]; do
		t0=$(ms)
		ka revoke "$(cut -d_ -f2 "$TMP/k$i")" >/dev/null 2>&1
		t1=$(ms)
		h=1
		pids=""
		while [ "$h" -le "$N" ]; do
			(
				n=0
				until login_refused "$h" "$TMP/k$i" || [ "$n" -ge 100 ]; do n=$((n + 1)); done
				[ "$n" -lt 100 ] && ms >"$TMP/done.$h"
			) &
			pids="$pids $!"
			h=$((h + 1))
		done
		# shellcheck disable=SC2086 # the PIDs
		wait $pids
		[ "$(ls "$TMP"/done.* | wc -l)" -eq "$N" ] || {
			note "revocation $i: not refused on every host"
			exit 1
		}
		last=$(cat "$TMP"/done.* | sort -n | tail -n 1)
		echo $((last - t1)) >>"$TMP/lat"
		echo $((t1 - t0)) >>"$TMP/rv"
		rm -f "$TMP"/done.*
		i=$((i + 1))
	done
	rec "fleet_revoke_to_refused_everywhere_p50_ms_${N}hosts" "$(pct 50 <"$TMP/lat")" ms
	rec "fleet_revoke_to_refused_everywhere_p99_ms_${N}hosts" "$(pct 99 <"$TMP/lat")" ms
	rec "fleet_revoke_command_p50_ms_${N}hosts" "$(pct 50 <"$TMP/rv")" ms
	rec "fleet_revoke_command_p99_ms_${N}hosts" "$(pct 99 <"$TMP/rv")" ms
	note "latency at $N hosts over $R revocations: $(tr '\n' ' ' <"$TMP/lat")"
	exit 0
fi

# wire KEYS
K=${2:-100000}
seq 1 "$K" | sed 's/^/u/' | ka create --batch >"$TMP/keys" 2>/dev/null
check "a whole bundle reached every replica" publish_cmd
sed -i '/^timeout 60$/d' "$PE/fleet.conf"
b=$TMP/whole.akb # kept: the hook keeps only the newest few
cp "$(ls -1 "$TMP"/p/out/bundle-* | tail -n 1)" "$b"
rec "fleet_bundle_bytes_per_key_$K" "$(($(stat -c %s "$b") / K))" B
for k in 1 2 3 4 5 6 7 8 9 10; do
	mark
	ka revoke "$(sed -n "$((k * 97))p" "$TMP/keys" | cut -d_ -f2)" >/dev/null 2>&1
	since | sed -n 's/.*fleet-publish: h[0-9]*: bundle-[0-9]*\.akb sent (\([0-9]*\) bytes, \([0-9]*\) received).*/\1 \2/p'
done >"$TMP/wire"
[ -s "$TMP/wire" ] || {
	note "no rsync statistics in the hook's log lines"
	exit 1
}
rec "fleet_rsync_sent_bytes_per_host_per_revocation_p50_$K" "$(cut -d' ' -f1 "$TMP/wire" | pct 50)" B
rec "fleet_rsync_received_bytes_per_host_per_revocation_p50_$K" "$(cut -d' ' -f2 "$TMP/wire" | pct 50)" B
rec "fleet_rsync_wire_bytes_per_host_per_revocation_max_$K" "$(awk '{print $1 + $2}' "$TMP/wire" | pct 100)" B
for k in 1 2 3; do
	rm -f "$TMP/r.db" "$TMP/r.db.lock" "$TMP/r.events"
	t0=$(ms)
	APIKEY_DB=$TMP/r.db APIKEY_CONFIG=$TMP/h1/apikey.conf "$KEYADM" install "$b" >/dev/null 2>"$TMP/inst.err" || {
		note "keyadm install failed: $(cat "$TMP/inst.err")"
		exit 1
	}
	echo $(($(ms) - t0))
done >"$TMP/inst"
rec "fleet_install_ms_$K" "$(pct 50 <"$TMP/inst")" ms
