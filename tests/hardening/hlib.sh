# Shared by the hardening tests, after new_store: the bench programs as
# real-library clients of the store in $TMP. bench_setup makes the PAM
# service "apikey" (our module for auth and account) in $TMP/pam.d and a
# SASL plugin directory $TMP/sasl holding only our plugin; STOCK is the
# system's plugin directory (for the canonicalisation plugin).
bench_setup() {
	chmod 755 "$TMP"
	mkdir -p "$TMP/pam.d" "$TMP/sasl"
	_m="$TOP/pam_apikey/pam_apikey.so db=$DB"
	printf 'auth required %s\naccount required %s\n' "$_m" "$_m" >"$TMP/pam.d/apikey"
	cp "$TOP/sasl_apikey/libapikey.so" "$TMP/sasl/"
	STOCK="/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/sasl2"
}

# bench_as USER GROUP: from here on the bench programs run as USER in
# GROUP, as a service does (GROUP stands for apikey: the store and the
# events file get it), from copies in $TMP/bin since the build tree may be
# closed to USER. as_svc CMD... runs CMD so (as it is before bench_as);
# BENCH_AS is that command prefix, for wrappers such as in_logns.
BENCH="$TOP/bench"
BENCH_AS=""
bench_as() {
	mkdir -p "$TMP/bin"
	cp "$TOP/bench/pam_bench" "$TOP/bench/sasl_bench" "$TOP/pam_apikey/pam_apikey.so" "$TMP/bin/"
	sed "s|$TOP/pam_apikey/|$TMP/bin/|g" "$TMP/pam.d/apikey" >"$TMP/bin/svc" && mv "$TMP/bin/svc" "$TMP/pam.d/apikey"
	chgrp "$2" "$DB" "${DB%.db}.events"
	BENCH="$TMP/bin"
	BENCH_AS="setpriv --reuid=$1 --regid=$2 --clear-groups"
}
# shellcheck disable=SC2086 # BENCH_AS is a command prefix, empty or words
as_svc() { $BENCH_AS "$@"; }

# pam_loop USER N KEYFILE / sasl_loop USER N KEYFILE [OPT=VALUE...]: N
# logins (after 20 for warm-up) through the real libpam (a new handle each)
# or libsasl2 (PLAIN); prints the bench line "median p10 p90 failures
# rss_growth_kb".
pam_loop() { as_svc "$BENCH/pam_bench" "$TMP/pam.d" apikey "$1" "$2" new <"$3"; }
sasl_loop() {
	_u=$1 _n=$2 _k=$3
	shift 3
	as_svc "$BENCH/sasl_bench" "$TMP/sasl" "$STOCK" "$_u" "$_n" apikey_db="$DB" mech_list=PLAIN "$@" <"$_k"
}
