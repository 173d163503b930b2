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

# pam_loop USER N KEYFILE / sasl_loop USER N KEYFILE: N logins through the
# real libpam (a new handle each) or libsasl2 (PLAIN); prints the bench
# line "median p10 p90 failures rss_growth_kb".
pam_loop() { "$TOP/bench/pam_bench" "$TMP/pam.d" apikey "$1" "$2" new <"$3"; }
sasl_loop() {
	"$TOP/bench/sasl_bench" "$TMP/sasl" "$STOCK" "$1" "$2" apikey_db="$DB" mech_list=PLAIN <"$3"
}
