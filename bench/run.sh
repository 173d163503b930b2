#!/bin/bash
# make bench: one run of every measurement, side by side with the real
# alternatives, printed as one table of ratios (plus results.csv and
# results.png in bench/out/). QUICK=1 skips the million-key store.
# Creates and removes one system user (pam_unix with a yescrypt hash).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bench/out"
mkdir -p "$out"
keyadm="$top/keyadm/keyadm"
pam_so="$top/pam_apikey/pam_apikey.so"
sasl_so="$top/sasl_apikey/libapikey.so"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
stock_sasl="/usr/lib/$multiarch/sasl2"
sizes="1000 100000 1000000"
[ "${QUICK:-0}" = 1 ] && sizes="1000 100000"
tmp=$(mktemp -d /tmp/apikey-bench.XXXXXX)
chmod 755 "$tmp"
user="akbench$$"
cleanup() {
	if id "$user" >/dev/null 2>&1; then userdel "$user" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
csv="$out/results.csv"
echo "measure,value,unit" >"$csv"
rec() { echo "$1,$2,$3" >>"$csv"; }
note() { printf '%s\n' "$*" >&2; }
# field N of a line
f() { echo "$1" | awk -v n="$2" '{print $n}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

pw="bench-Passw0rd-7"

# fleet_bench N DB: publish DB as a bundle (bytes per key), install it on a
# new replica and over an existing one (which reads every key of the old
# store for revoked keys), and the replica's ak_verify_path rate beside
# the primary's (the freshness check must leave it unchanged).
fleet_bench() {
	"$keyadm" --db "$2" signing-key create >/dev/null 2>&1
	rdb="$tmp/replica-$1/keys.db"
	mkdir -p "$tmp/replica-$1"
	t0=$(date +%s%N)
	"$keyadm" --db "$2" publish --out "$tmp/bundle-$1.akb" >/dev/null 2>&1
	t1=$(date +%s%N)
	rec "fleet_publish_s_$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')" s
	rec "fleet_bundle_bytes_per_key_$1" "$(($(stat -c %s "$tmp/bundle-$1.akb") / $1))" B
	for how in new over; do
		[ "$how" = over ] && "$keyadm" --db "$2" publish --out "$tmp/bundle-$1.akb" >/dev/null 2>&1
		t0=$(date +%s%N)
		"$keyadm" --db "$rdb" install "$tmp/bundle-$1.akb" --trust "$2.pub" >/dev/null 2>&1
		t1=$(date +%s%N)
		rec "fleet_install_${how}_s_$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')" s
	done
	r=$("$top/bench/core_bench" "$rdb" "$tmp/sample-$1" 400000)
	rec "fleet_replica_verify_path_per_s_$1" "$(f "$r" 2)" 1/s
	rm -rf "$tmp/replica-$1" "$tmp/bundle-$1.akb" "$2.sign" "$2.pub" "$2.serial"
}

# ---------------------------------------------------------------- stores
note "== stores, writes and core verification"
for n in $sizes; do
	db="$tmp/keys-$n.db"
	"$keyadm" --db "$db" init >/dev/null 2>&1
	t0=$(date +%s%N)
	seq 1 "$n" | sed 's/^/u/' | /usr/bin/time -f '%M' -o "$tmp/rss" \
		"$keyadm" --db "$db" create --batch --name bench >"$tmp/keys-$n" 2>/dev/null
	t1=$(date +%s%N)
	rec "create_batch_s_$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')" s
	rec "keyadm_batch_peak_rss_kb_$n" "$(cat "$tmp/rss")" kB
	size=$(stat -c %s "$db")
	rec "bytes_per_key_$n" "$((size / n))" B
	paste -d' ' <(seq 1 "$n" | sed 's/^/u/' | head -1000) <(head -1000 "$tmp/keys-$n") >"$tmp/sample-$n"
	r=$("$top/bench/core_bench" "$db" "$tmp/sample-$n" 400000)
	rec "verify_warm_per_s_$n" "$(f "$r" 1)" 1/s
	rec "verify_path_per_s_$n" "$(f "$r" 2)" 1/s
	for i in 1 2 3 4 5; do
		id=$(sed -n "$((i + 10))p" "$tmp/keys-$n" | cut -d_ -f2)
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$tmp/rss-revoke" "$keyadm" --db "$db" revoke "$id" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000))"
	done | median >"$tmp/rv"
	rec "revoke_ms_$n" "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/rv")" ms
	rec "keyadm_revoke_peak_rss_kb_$n" "$(cat "$tmp/rss-revoke")" kB
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$keyadm" --db "$db" create "extra$i" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000))"
	done | median >"$tmp/cr"
	rec "create_one_ms_$n" "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/cr")" ms
	fleet_bench "$n" "$db"
	[ "$n" = 1000 ] || rm -f "$db" "$tmp/keys-$n"
done

# ---------------------------------------------------------------- PAM
note "== PAM transactions"
db="$tmp/keys-1000.db"
k1=$(head -1 "$tmp/keys-1000")
conf="$tmp/pam.d"
mkdir -p "$conf"
useradd -M -N -s /usr/sbin/nologin -p "$(echo "$pw" | mkpasswd -m yescrypt -s)" "$user"
printf '%s\n%s\n' "$user" "$(echo "$pw" | mkpasswd -m sha-512 -s)" | db5.3_load -T -t hash "$tmp/userdb-sha512.db"
printf '%s\n%s\n' "$user" "$(echo "$pw" | mkpasswd -m yescrypt -s)" | db5.3_load -T -t hash "$tmp/userdb-yescrypt.db"
stack() { printf 'auth required %s\naccount required %s\n' "$2" "$2" >"$conf/$1"; }
stack permit pam_permit.so
stack apikey "$pam_so db=$db"
stack unix pam_unix.so
stack userdb-sha512 "pam_userdb.so db=$tmp/userdb-sha512 crypt=crypt"
stack userdb-yescrypt "pam_userdb.so db=$tmp/userdb-yescrypt crypt=crypt"
pam() { # service user iterations mode < password
	"$top/bench/pam_bench" "$conf" "$1" "$2" "$3" "$4"
}
# pam_permit and pam_apikey alternate over three rounds and each keeps its
# median round: the ratio then compares like with like on a noisy machine.
med3() { sort -n | sed -n 2p; }
for mode in new reuse; do
	: >"$tmp/permit" && : >"$tmp/apikey"
	for round in 1 2 3; do
		echo x | pam permit root 3000 $mode | awk '{print $1}' >>"$tmp/permit"
		r=$(echo "$k1" | pam apikey u1 3000 $mode)
		echo "$r" | awk '{print $1}' >>"$tmp/apikey"
		rec "pam_apikey_${mode}_failures_round$round" "$(f "$r" 4)" count
	done
	rec "pam_permit_${mode}_us" "$(med3 <"$tmp/permit")" us
	rec "pam_apikey_${mode}_us" "$(med3 <"$tmp/apikey")" us
done
r=$(echo "$pw" | pam unix "$user" 40 new)
rec pam_unix_yescrypt_new_us "$(f "$r" 1)" us
r=$(echo "$pw" | pam userdb-sha512 "$user" 400 new)
rec pam_userdb_sha512_new_us "$(f "$r" 1)" us
r=$(echo "$pw" | pam userdb-yescrypt "$user" 40 new)
rec pam_userdb_yescrypt_new_us "$(f "$r" 1)" us
r=$(echo "$k1" | pam apikey u1 100000 new)
rec pam_apikey_rss_growth_kb_100k "$(f "$r" 5)" kB

# ---------------------------------------------------------------- SASL
note "== SASL PLAIN exchanges"
mkdir -p "$tmp/sasl-ours" "$tmp/sasl-stock"
cp "$sasl_so" "$tmp/sasl-ours/"
cp -P "$stock_sasl"/libplain.so* "$stock_sasl"/libsasldb.so* "$tmp/sasl-stock/"
echo "$pw" | saslpasswd2 -f "$tmp/sasldb" -p -c "$user" -u localhost
: >"$tmp/stock" && : >"$tmp/ours"
for round in 1 2 3; do
	echo "$pw" | "$top/bench/sasl_bench" "$tmp/sasl-stock" "$stock_sasl" "$user" 3000 \
		pwcheck_method=auxprop auxprop_plugin=sasldb sasldb_path="$tmp/sasldb" mech_list=PLAIN |
		awk '{print $1}' >>"$tmp/stock"
	r=$(echo "$k1" | "$top/bench/sasl_bench" "$tmp/sasl-ours" "$stock_sasl" u1 3000 \
		apikey_db="$db" mech_list=PLAIN)
	echo "$r" | awk '{print $1}' >>"$tmp/ours"
	rec "sasl_apikey_failures_round$round" "$(f "$r" 4)" count
done
rec sasl_stock_plain_sasldb_us "$(med3 <"$tmp/stock")" us
rec sasl_apikey_plain_us "$(med3 <"$tmp/ours")" us
r=$(echo "$k1" | "$top/bench/sasl_bench" "$tmp/sasl-ours" "$stock_sasl" u1 100000 \
	apikey_db="$db" mech_list=PLAIN)
rec sasl_apikey_rss_growth_kb_100k "$(f "$r" 5)" kB

# ---------------------------------------------------------------- revocation under load
note "== revocation under load"
victim=$(sed -n 3p "$tmp/keys-1000")
sed -n 1p "$tmp/keys-1000" >"$tmp/k-a"
sed -n 2p "$tmp/keys-1000" >"$tmp/k-b"
echo "$victim" >"$tmp/k-v"
r=$("$top/bench/revoke_load" "$conf" apikey "$keyadm" "$db" "$(echo "$victim" | cut -d_ -f2)" \
	u1 "$tmp/k-a" u2 "$tmp/k-b" u3 "$tmp/k-v") || true
rec load_revoke_ms "$(f "$r" 1)" ms
rec load_first_reject_after_return_us "$(f "$r" 2)" us
rec load_late_accepts "$(f "$r" 3)" count
rec load_other_key_failures "$(f "$r" 4)" count
rec load_attempts "$(f "$r" 5)" count

bash "$top/bench/report.sh" "$csv"
