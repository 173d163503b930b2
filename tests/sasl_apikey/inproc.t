#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# sasl_apikey through the real libsasl2 (client and server in one process,
# tests/sasl_apikey/sasl-try): the server's plugin directory holds only our plugin,
# the client uses the stock PLAIN and LOGIN client plugins.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
D=$(new_key "$TMP/d" alice)
E=$(new_key "$TMP/e" alice --expires 1s)
S=$(new_key "$TMP/s" alice --service imap)
F=$(new_key "$TMP/f" alice --from 192.0.2.0/24)
B=$(new_key "$TMP/b" bob)
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
forge "$TMP/a" "$TMP/forged"
printf 'hunter2\n' >"$TMP/pw"
printf '\n' >"$TMP/empty"
sleep 2 # the 1s key has expired

P="--mech PLAIN --user alice --service smtp --remote 127.0.0.1"
{
	res "valid key, PLAIN: SASL_OK" SASL_OK "$TMP/a" $P
	like "the authenticated user is alice, through our plugin" "$(cat "$TMP/st.out")" \
		"^SASL_OK user=alice authcid=alice mech=PLAIN plugin=apikey$"
	like "the server log names the key id, user, service and source" "$(cat "$TMP/st.err")" \
		"key $A accepted for alice service smtp source 127.0.0.1"
	no_secret_in "$TMP/st.err" "$TMP/a"
	res "revoked: SASL_BADAUTH" SASL_BADAUTH "$TMP/r" $P
	like "revoked: the log has the real result and the key id" "$(cat "$TMP/st.err")" "key=$R result=REVOKED"
	res "disabled: SASL_BADAUTH" SASL_BADAUTH "$TMP/d" $P
	like "disabled: logged as DISABLED" "$(cat "$TMP/st.err")" "result=DISABLED"
	res "expired: SASL_BADAUTH" SASL_BADAUTH "$TMP/e" $P
	like "expired: logged as EXPIRED" "$(cat "$TMP/st.err")" "result=EXPIRED"
	res "forged key (right id, other secret): SASL_BADAUTH" SASL_BADAUTH "$TMP/forged" $P
	like "forged: logged as NOT_FOUND" "$(cat "$TMP/st.err")" "result=NOT_FOUND"
	no_secret_in "$TMP/st.err" "$TMP/forged" "$TMP/a"
	res "alice's key presented as bob: SASL_BADAUTH" SASL_BADAUTH "$TMP/a" --mech PLAIN --user bob --service smtp
	like "wrong user: logged as WRONG_USER" "$(cat "$TMP/st.err")" "user=bob key=$A result=WRONG_USER"
	res "alice's key with its secret as the user name: SASL_BADAUTH" SASL_BADAUTH "$TMP/a" \
		--mech PLAIN --user "$(cut -d_ -f3 "$TMP/a")" --service smtp
	like "a secret typed as the user name is logged as user=-" "$(cat "$TMP/st.err")" \
		"user=- key=$A result=WRONG_USER"
	no_secret_in "$TMP/st.err" "$TMP/a"
	res "bob's own key: SASL_OK" SASL_OK "$TMP/b" --mech PLAIN --user bob --service smtp
	res "a normal password (fallback off): SASL_BADAUTH" SASL_BADAUTH "$TMP/pw" $P
	like "a normal password: logged as MALFORMED" "$(cat "$TMP/st.err")" "result=MALFORMED"
	no_secret_in "$TMP/st.err" "$TMP/pw"
	res "an empty password (RFC 4616 needs one byte): SASL_BADPROT" SASL_BADPROT "$TMP/empty" $P

	res "key for imap used on smtp: SASL_BADAUTH" SASL_BADAUTH "$TMP/s" $P
	like "wrong service: logged as SERVICE_DENIED" "$(cat "$TMP/st.err")" "result=SERVICE_DENIED"
	res "key for imap used on imap: SASL_OK" SASL_OK "$TMP/s" --mech PLAIN --user alice --service imap
	res "apikey_service=imap overrides the connection's service" SASL_OK "$TMP/s" $P --opt apikey_service=imap
	res "apikey_service=pop3 overrides it the other way" SASL_BADAUTH "$TMP/s" --mech PLAIN --user alice --service imap --opt apikey_service=pop3
	res "apikey_service=pop3 does not deny an unlimited key" SASL_OK "$TMP/a" $P --opt apikey_service=pop3
	res "key limited to 192.0.2.0/24 from 127.0.0.1: SASL_BADAUTH" SASL_BADAUTH "$TMP/f" $P
	like "wrong source: logged as SOURCE_DENIED" "$(cat "$TMP/st.err")" "result=SOURCE_DENIED"
	res "key limited to 192.0.2.0/24 from 192.0.2.9: SASL_OK" SASL_OK "$TMP/f" --mech PLAIN --user alice --remote 192.0.2.9
	res "key limited to 192.0.2.0/24 with no remote address: SASL_BADAUTH" SASL_BADAUTH "$TMP/f" --mech PLAIN --user alice
	res "IPv6 remote address outside the list: SASL_BADAUTH" SASL_BADAUTH "$TMP/f" --mech PLAIN --user alice --remote 2001:db8::1

	# authorisation identity
	res "authzid equal to the authcid: SASL_OK" SASL_OK "$TMP/a" $P --authzid alice
	like "authzid alice: user alice" "$(cat "$TMP/st.out")" "user=alice authcid=alice"
	: >"$TMP/keys.events"
	is "a different authzid is refused by the default proxy policy" \
		"$(st "$TMP/a" $P --authzid bob | sed 's/SASL_NOAUTHZ/SASL_BADAUTH/')" SASL_BADAUTH
	like "refused authzid: logged as an authorization failure" "$(cat "$TMP/st.err")" \
		"apikey: authorization failure; user=alice key=$A service=smtp"
	unlike "refused authzid: not logged as accepted" "$(cat "$TMP/st.err")" "accepted for"
	is "refused authzid: no event recorded" "$(wc -l <"$TMP/keys.events" | tr -d ' ')" 0
	res "the same key without the authzid: SASL_OK" SASL_OK "$TMP/a" $P
	is "and its use is recorded as VALID" "$(grep -c "	VALID	$A	alice	" "$TMP/keys.events")" 1
	rm -f "$TMP/keys.events"
	res "a different authzid with a permissive proxy policy: SASL_OK" SASL_OK "$TMP/a" $P --authzid bob --proxy yes
	like "proxied: acts as bob, authenticated as alice" "$(cat "$TMP/st.out")" "user=bob authcid=alice"
	res "a revoked key with an authzid: SASL_BADAUTH" SASL_BADAUTH "$TMP/r" $P --authzid alice

	# LOGIN
	res "LOGIN, valid key: SASL_OK" SASL_OK "$TMP/a" --mech LOGIN --user alice --service smtp
	like "LOGIN: through our plugin" "$(cat "$TMP/st.out")" "user=alice .*mech=LOGIN plugin=apikey"
	res "LOGIN without an initial response: SASL_OK" SASL_OK "$TMP/a" --mech LOGIN --user alice --initial no
	res "PLAIN without an initial response: SASL_OK" SASL_OK "$TMP/a" $P --initial no
	res "LOGIN, revoked: SASL_BADAUTH" SASL_BADAUTH "$TMP/r" --mech LOGIN --user alice
	res "LOGIN, forged: SASL_BADAUTH" SASL_BADAUTH "$TMP/forged" --mech LOGIN --user alice --initial no
	res "LOGIN, wrong user: SASL_BADAUTH" SASL_BADAUTH "$TMP/a" --mech LOGIN --user bob
	res "LOGIN, wrong service: SASL_BADAUTH" SASL_BADAUTH "$TMP/s" --mech LOGIN --user alice --service smtp
	no_secret_in "$TMP/st.err" "$TMP/s"
}

# Malformed PLAIN messages, straight to sasl_server_start.
hex() { python3 -c 'import sys; sys.stdout.write(sys.argv[1].encode("latin-1").hex())' "$1"; }
K=$(cat "$TMP/a")
raw() { "$SASLTRY" --plugins "$PLUGDIR" --db "$DB" --service smtp --mech "$1" --raw "$2" 2>"$TMP/raw.err"; }
is "well-formed hand-made PLAIN message: SASL_OK" "$(raw PLAIN "$(hex "")00$(hex alice)00$(hex "$K")" | cut -d' ' -f1)" SASL_OK
is "no NUL at all: SASL_BADPROT" "$(raw PLAIN "$(hex "alice$K")")" SASL_BADPROT
is "one NUL only: SASL_BADPROT" "$(raw PLAIN "$(hex alice)00$(hex "$K")")" SASL_BADPROT
is "an extra NUL: SASL_BADPROT" "$(raw PLAIN "00$(hex alice)00$(hex "$K")00")" SASL_BADPROT
is "three fields and an extra NUL in the middle: SASL_BADPROT" "$(raw PLAIN "0000$(hex alice)00$(hex "$K")")" SASL_BADPROT
is "empty authcid: SASL_BADPROT" "$(raw PLAIN "0000$(hex "$K")")" SASL_BADPROT
LONG=$(python3 -c 'print("a" * 300)')
is "300-byte authcid: SASL_BADPROT" "$(raw PLAIN "00$(hex "$LONG")00$(hex "$K")")" SASL_BADPROT
is "300-byte authzid: SASL_BADPROT" "$(raw PLAIN "$(hex "$LONG")00$(hex alice)00$(hex "$K")")" SASL_BADPROT
is "NUL inside the key: SASL_BADPROT" \
	"$(raw PLAIN "00$(hex alice)00$(hex "$(cut -c1-20 "$TMP/a")")00$(hex "$(cut -c21- "$TMP/a")")")" SASL_BADPROT
python3 -c 'import sys; sys.stdout.buffer.write(b"\0alice\0" + b"k" * 65536)' >"$TMP/huge"
is "a 64 KiB PLAIN message: SASL_BADPROT" \
	"$("$SASLTRY" --plugins "$PLUGDIR" --db "$DB" --mech PLAIN --raw-file "$TMP/huge" 2>/dev/null)" SASL_BADPROT
is "LOGIN with a 300-byte user name as initial response: SASL_BADPROT" "$(raw LOGIN "$(hex "$LONG")")" SASL_BADPROT
no_secret_in "$TMP/raw.err" "$TMP/a"

# The store: missing, untrusted, corrupt -> SASL_UNAVAIL.
cp "$DB" "$TMP/good.db"
res "store path is missing: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P --opt apikey_db=$TMP/nope.db
like "missing store: logged" "$(cat "$TMP/st.err")" "apikey"
chmod 0660 "$DB"
res "group-writable store: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P
chmod 0646 "$DB"
res "world-writable store: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P
chmod 0640 "$DB"
res "store mode restored: SASL_OK" SASL_OK "$TMP/a" $P
rm "$DB" && head -c 3000 "$TMP/good.db" >"$DB" && chmod 0640 "$DB"
is "truncated store: refused" "$(st "$TMP/a" $P | sed 's/SASL_BADAUTH/SASL_UNAVAIL/')" SASL_UNAVAIL
cp "$TMP/good.db" "$DB" && chmod 0640 "$DB"
# A malformed option is the administrator's error: a temporary failure
# (SASL_UNAVAIL, SMTP 454), logged naming the option.
res "apikey_fallback=maybe fails closed: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P --opt apikey_fallback=maybe
like "apikey_fallback=maybe: the log names the option" "$(cat "$TMP/st.err")" "apikey: invalid apikey_fallback option"
res "a relative apikey_db fails closed: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P --opt apikey_db=keys.db
like "a relative apikey_db: the log names the option" "$(cat "$TMP/st.err")" "apikey: invalid apikey_db option"
res "a relative apikey_events fails closed: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P --opt apikey_events=keys.events
like "a relative apikey_events: the log names the option" "$(cat "$TMP/st.err")" "apikey: invalid apikey_events option"
res "an over-long apikey_service fails closed: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P --opt "apikey_service=$(printf '%0300d' 0)"
like "an over-long apikey_service: the log names the option" "$(cat "$TMP/st.err")" "apikey: invalid apikey_service option"
res "a bad option refuses a plain password too: SASL_UNAVAIL" SASL_UNAVAIL "$TMP/pw" $P --opt apikey_fallback=maybe
res "the store is back: SASL_OK" SASL_OK "$TMP/a" $P

# With a user_realm the library canonicalises alice to alice@REALM before
# any check: a key must belong to that canonical name, and the log names it.
AR=$(new_key "$TMP/ar" alice@example.org)
res "realm example.org: alice's key is refused" SASL_BADAUTH "$TMP/a" $P --realm example.org
like "realm: refused as WRONG_USER for the canonical name" "$(cat "$TMP/st.err")" \
	"user=alice@example.org key=$A result=WRONG_USER"
res "realm example.org: alice@example.org's key logs in as alice" SASL_OK "$TMP/ar" $P --realm example.org
like "realm: the application sees alice@example.org" "$(cat "$TMP/st.out")" \
	"^SASL_OK user=alice@example.org authcid=alice@example.org "
like "realm: the log names the identity authorised" "$(cat "$TMP/st.err")" \
	"key $AR accepted for alice@example.org service smtp"
res "realm: LOGIN as alice, the same" SASL_OK "$TMP/ar" --mech LOGIN --user alice --realm example.org
like "realm, LOGIN: alice@example.org" "$(cat "$TMP/st.out")" "^SASL_OK user=alice@example.org "
res "no realm: alice@example.org's key as alice is refused" SASL_BADAUTH "$TMP/ar" $P
res "no realm: alice@example.org's key as alice@example.org" SASL_OK "$TMP/ar" --mech PLAIN --user alice@example.org
res "realm example.org: alice@other.org keeps its own realm (refused)" SASL_BADAUTH "$TMP/ar" \
	--mech PLAIN --user alice@other.org --realm example.org

# A revocation between two exchanges in the same process.
V=$(new_key "$TMP/v" alice)
"$SASLTRY" --plugins "$PLUGDIR" --db "$DB" $P --between "'$KEYADM' revoke $V >/dev/null 2>&1" \
	<"$TMP/v" >"$TMP/two.out" 2>"$TMP/two.err"
is "revoked between two exchanges in one process: the second is refused" \
	"$(cut -d' ' -f1 "$TMP/two.out" | tr '\n' ' ')" "SASL_OK SASL_BADAUTH "
res "and in a new process" SASL_BADAUTH "$TMP/v" $P

# apikey_fallback: a sasldb user keeps a normal password.
if command -v saslpasswd2 >/dev/null 2>&1 && [ -f "$STOCK/libsasldb.so" ]; then
	cp "$STOCK/libsasldb.so" "$PLUGDIR/"
	printf 'carol-password' | saslpasswd2 -f "$TMP/sasldb" -p -c -u localhost carol
	printf 'carol-password\n' >"$TMP/carolpw"
	printf 'not-carols\n' >"$TMP/carolbad"
	FB="--opt auxprop_plugin=sasldb --opt sasldb_path=$TMP/sasldb --opt pwcheck_method=auxprop"
	res "fallback yes: a sasldb password logs in" SASL_OK "$TMP/carolpw" --mech PLAIN --user carol $FB --opt apikey_fallback=yes
	like "fallback yes: the user is carol" "$(cat "$TMP/st.out")" "user=carol"
	res "fallback yes: LOGIN with a sasldb password" SASL_OK "$TMP/carolpw" --mech LOGIN --user carol $FB --opt apikey_fallback=yes
	res "fallback yes: a wrong sasldb password is refused" SASL_BADAUTH "$TMP/carolbad" --mech PLAIN --user carol $FB --opt apikey_fallback=yes
	res "fallback yes: a key user still logs in with the key" SASL_OK "$TMP/a" $P $FB --opt apikey_fallback=yes
	res "fallback yes: a revoked key is not passed to sasldb" SASL_BADAUTH "$TMP/r" $P $FB --opt apikey_fallback=yes
	res "fallback yes: a forged key is refused" SASL_BADAUTH "$TMP/forged" $P $FB --opt apikey_fallback=yes
	res "fallback no: the sasldb password is refused" SASL_BADAUTH "$TMP/carolpw" --mech PLAIN --user carol $FB --opt apikey_fallback=no
	res "fallback default (no): the sasldb password is refused" SASL_BADAUTH "$TMP/carolpw" --mech PLAIN --user carol $FB
	no_secret_in "$TMP/st.err" "$TMP/carolpw"

	# No apikey_ option at all: the application did not opt in, and the
	# plugin behaves as the stock PLAIN and LOGIN (pwcheck_method).
	N="--db none $FB"
	res "not opted in: a sasldb password logs in" SASL_OK "$TMP/carolpw" --mech PLAIN --user carol $N
	like "not opted in: through our plugin, user carol" "$(cat "$TMP/st.out")" "^SASL_OK user=carol authcid=carol mech=PLAIN plugin=apikey$"
	unlike "not opted in: no apikey line in the log" "$(cat "$TMP/st.err")" "apikey:"
	res "not opted in: LOGIN with a sasldb password" SASL_OK "$TMP/carolpw" --mech LOGIN --user carol $N
	res "not opted in: a wrong sasldb password is refused" SASL_BADAUTH "$TMP/carolbad" --mech PLAIN --user carol $N
	is "not opted in: a key is only a password sasldb does not know" "$(st "$TMP/a" --mech PLAIN --user alice $N | sed 's/SASL_NOUSER/SASL_BADAUTH/')" SASL_BADAUTH
	unlike "not opted in: the key never reached the store" "$(cat "$TMP/st.err")" "apikey:"
	res "not opted in: carol as authzid of carol" SASL_OK "$TMP/carolpw" --mech PLAIN --user carol --authzid carol $N
	is "not opted in: another authzid refused by the proxy policy" "$(st "$TMP/carolpw" --mech PLAIN --user carol --authzid alice $N | sed 's/SASL_NOAUTHZ/SASL_BADAUTH/')" SASL_BADAUTH
	# The same exchanges with only the stock plugins: the same results.
	mkdir "$TMP/stockonly"
	cp "$STOCK/libplain.so" "$STOCK/liblogin.so" "$STOCK/libsasldb.so" "$TMP/stockonly/"
	for c in "carolpw PLAIN carol" "carolpw LOGIN carol" "carolbad PLAIN carol" "a PLAIN alice"; do
		set -- $c
		st "$TMP/$1" --mech "$2" --user "$3" $N >/dev/null
		ours=$(cut -d' ' -f1-3 "$TMP/st.out")
		stock=$("$SASLTRY" --plugins "$TMP/stockonly" $N --mech "$2" --user "$3" <"$TMP/$1" 2>/dev/null | cut -d' ' -f1-3)
		is "not opted in: $2 $3 with $1 gives what the stock plugins give" "$ours" "$stock"
	done
	rm -f "$PLUGDIR/libsasldb.so"
else
	skip "saslpasswd2 or the stock libsasldb.so is missing"
fi

done_testing
