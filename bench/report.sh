#!/bin/bash
# Prints the bench table from results.csv: each figure, what it is
# compared with, the ratio, the target and PASS/MISS; then plots the PAM
# and SASL costs to results.png with gnuplot.
set -eu
csv=$1
dir=$(dirname "$csv")
v() { awk -F, -v k="$1" '$1 == k {print $2}' "$csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "nan"}'; }
# verdict VALUE OP LIMIT
verdict() { awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
	if (x == "" || x == "nan") {print "MISS"; exit}
	ok = (op == "<=") ? (x + 0 <= l + 0) : (x + 0 >= l + 0); print ok ? "PASS" : "MISS"}'; }
row() { printf '%-44s %12s %-26s %8s  %-9s %s\n' "$@"; }

echo
row "measure" "value" "compared with" "ratio" "target" "verdict"
row "-------" "-----" "-------------" "-----" "------" "-------"
p_new=$(v pam_permit_new_us) a_new=$(v pam_apikey_new_us)
r=$(ratio "$a_new" "$p_new")
row "PAM pam_apikey, new handle (us)" "$a_new" "pam_permit $p_new" "$r" "<= 2.0" "$(verdict "$r" '<=' 2.0)"
p_re=$(v pam_permit_reuse_us) a_re=$(v pam_apikey_reuse_us)
r=$(ratio "$a_re" "$p_re")
row "PAM pam_apikey, reused handle (us)" "$a_re" "pam_permit $p_re" "$r" "<= 1.5" "$(verdict "$r" '<=' 1.5)"
u=$(v pam_unix_yescrypt_new_us)
r=$(ratio "$u" "$a_new")
row "PAM pam_unix yescrypt, new handle (us)" "$u" "x slower than pam_apikey" "$r" ">= 100" "$(verdict "$r" '>=' 100)"
u=$(v pam_userdb_sha512_new_us)
r=$(ratio "$u" "$a_new")
row "PAM pam_userdb sha512-crypt (us)" "$u" "x slower than pam_apikey" "$r" ">= 3" "$(verdict "$r" '>=' 3)"
u=$(v pam_userdb_yescrypt_new_us)
r=$(ratio "$u" "$a_new")
row "PAM pam_userdb yescrypt (us)" "$u" "x slower than pam_apikey" "$r" "-" "-"
s_st=$(v sasl_stock_plain_sasldb_us) s_ak=$(v sasl_apikey_plain_us)
r=$(ratio "$s_ak" "$s_st")
row "SASL PLAIN, libapikey (us)" "$s_ak" "stock PLAIN+sasldb $s_st" "$r" "<= 1.2" "$(verdict "$r" '<=' 1.2)"
for n in 1000 100000 1000000; do
	w=$(v "verify_warm_per_s_$n")
	[ -n "$w" ] || continue
	row "core verifications/s, warm, $n keys" "$w" "" "" ">= 200000" "$(verdict "$w" '>=' 200000)"
	row "core ak_verify_path/s, $n keys" "$(v "verify_path_per_s_$n")" "" "" "-" "-"
done
w1=$(v verify_warm_per_s_1000)
for n in 100000 1000000; do
	w=$(v "verify_warm_per_s_$n")
	[ -n "$w" ] || continue
	r=$(ratio "$w1" "$w")
	row "core slowdown at $n keys" "$r" "1000 keys" "$r" "<= 1.5" "$(verdict "$r" '<=' 1.5)"
done
for n in 1000 100000 1000000; do
	b=$(v "bytes_per_key_$n")
	[ -n "$b" ] || continue
	row "store bytes per key, $n keys" "$b" "" "" "<= 300" "$(verdict "$b" '<=' 300)"
	lim=-
	[ "$n" = 100000 ] && lim=100
	[ "$n" = 1000000 ] && lim=1000
	rv=$(v "revoke_ms_$n")
	if [ "$lim" = - ]; then row "keyadm revoke, $n keys (ms)" "$rv" "" "" "-" "-"; else
		row "keyadm revoke, $n keys (ms)" "$rv" "" "" "<= $lim" "$(verdict "$rv" '<=' "$lim")"; fi
	row "keyadm create one key, $n keys (ms)" "$(v "create_one_ms_$n")" "" "" "-" "-"
	row "keyadm create --batch of $n keys (s)" "$(v "create_batch_s_$n")" "" "" "-" "-"
	row "keyadm peak RSS, batch / revoke, $n (kB)" "$(v "keyadm_batch_peak_rss_kb_$n")/$(v "keyadm_revoke_peak_rss_kb_$n")" "" "" "-" "-"
done
for n in 1000 100000 1000000; do
	b=$(v "fleet_bundle_bytes_per_key_$n")
	[ -n "$b" ] || continue
	lim=-
	[ "$n" = 100000 ] && lim=150
	if [ "$lim" = - ]; then row "fleet bundle bytes per key, $n keys" "$b" "" "" "-" "-"; else
		row "fleet bundle bytes per key, $n keys" "$b" "" "" "<= $lim" "$(verdict "$b" '<=' "$lim")"; fi
	row "keyadm publish, $n keys (s)" "$(v "fleet_publish_s_$n")" "" "" "-" "-"
	row "keyadm install, new / over a replica, $n (s)" "$(v "fleet_install_new_s_$n")/$(v "fleet_install_over_s_$n")" "" "" "-" "-"
	rp=$(v "fleet_replica_verify_path_per_s_$n")
	r=$(ratio "$(v "verify_path_per_s_$n")" "$rp")
	row "core ak_verify_path/s on a replica, $n keys" "$rp" "x slower than the primary" "$r" "<= 1.1" "$(verdict "$r" '<=' 1.1)"
done
# A leak of even one byte per authentication would show as >= 100 kB here;
# a page or two is the allocator settling, not growth.
row "RSS growth, 100k PAM auths (kB)" "$(v pam_apikey_rss_growth_kb_100k)" "after warm-up" "" "< 100" "$(verdict "$(v pam_apikey_rss_growth_kb_100k)" '<=' 99)"
row "RSS growth, 100k SASL auths (kB)" "$(v sasl_apikey_rss_growth_kb_100k)" "after warm-up" "" "< 100" "$(verdict "$(v sasl_apikey_rss_growth_kb_100k)" '<=' 99)"
row "load: keyadm revoke (ms)" "$(v load_revoke_ms)" "" "" "-" "-"
row "load: first rejection after return (us)" "$(v load_first_reject_after_return_us)" "the next attempt" "" "-" "-"
row "load: accepted after revoke returned" "$(v load_late_accepts)" "of $(v load_attempts) attempts" "" "0" "$(verdict "$(v load_late_accepts)" '<=' 0)"
row "load: other keys failed during write" "$(v load_other_key_failures)" "" "" "0" "$(verdict "$(v load_other_key_failures)" '<=' 0)"
echo
echo "figures: $csv"

if command -v gnuplot >/dev/null; then
	cat >"$dir/plot.dat" <<DAT
"pam_permit" $(v pam_permit_new_us)
"pam_apikey" $(v pam_apikey_new_us)
"pam_userdb\\nsha512" $(v pam_userdb_sha512_new_us)
"pam_userdb\\nyescrypt" $(v pam_userdb_yescrypt_new_us)
"pam_unix\\nyescrypt" $(v pam_unix_yescrypt_new_us)
"SASL PLAIN\\nsasldb" $(v sasl_stock_plain_sasldb_us)
"SASL PLAIN\\napikey" $(v sasl_apikey_plain_us)
DAT
	gnuplot <<GP 2>/dev/null && echo "plot: $dir/results.png"
set terminal png size 960,560 noenhanced
set bmargin 5
set output "$dir/results.png"
set title "One authentication, median microseconds (log scale; lower is better)"
set logscale y
set style fill solid 0.6
set boxwidth 0.6
set grid ytics
unset key
plot "$dir/plot.dat" using 0:2:xtic(1) with boxes, '' using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,1
GP
fi
