#!/bin/sh
# keyadm init, create, list, show, verify, help: the happy paths, each
# with its negative twin.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

# ---- init
out=$(ka init 2>&1)
check "init creates a store" test -f "$DB"
like "init says what it did" "$out" "created the key store"
is "store mode 0640" "$(stat -c %a "$DB")" 640
is "writers' lock mode 0600: no reader can open it" "$(stat -c %a "$DB.wlock")" 600
check_fails "no lock file of older versions" test -e "$DB.lock"
is "store owned by the caller" "$(stat -c %u "$DB")" "$(id -u)"
if getent group apikey >/dev/null; then
	is "store in group apikey" "$(stat -c %G "$DB")" apikey
else
	like "init explains the missing group" "$out" "groupadd --system apikey"
fi
before=$(cksum <"$DB")
check_exit "init refuses to overwrite" 1 ka init 2>/dev/null
is "init left the store alone" "$(cksum <"$DB")" "$before"
like "refusal is one clear line" "$(ka init 2>&1)" "already exists"
sub="$TMP/sub/keys.db"
check "init makes a missing directory" ka --db "$sub" init 2>/dev/null
is "new directory mode 0750" "$(stat -c %a "$TMP/sub")" 750
check_exit "init rejects a bad prefix" 2 ka --db "$TMP/p.db" init --prefix 9X 2>/dev/null
check_fails "nothing made for a bad prefix" test -e "$TMP/p.db"
check "init with --prefix" ka --db "$TMP/p.db" init --prefix acme 2>/dev/null
ka --db "$TMP/p.db" create bob >"$TMP/p.key" 2>/dev/null
is "the prefix starts the keys" "$(cut -d_ -f1 "$TMP/p.key")" acme
check_exit "a key of another store is rejected here" 4 sh -c "'$KEYADM' verify bob <'$TMP/p.key' >/dev/null"

# ---- create
ka create alice --name laptop --expires 90d --service sshd,smtp --from 192.0.2.0/24,2001:db8::/32 \
	>"$TMP/a.key" 2>"$TMP/err"
is "create exits 0" $? 0
is "stdout is exactly one line" "$(wc -l <"$TMP/a.key" | tr -d ' ')" 1
like "the line is a key" "$(tr 'A-Za-z0-9' 'x' <"$TMP/a.key")" '^xx_x{12}_x{49}$'
id=$(cut -d_ -f2 "$TMP/a.key")
like "details on stderr name the id" "$(cat "$TMP/err")" "key $id for alice, expires 20"
no_key_in "$(cat "$TMP/err")" "$TMP/a.key" "create stderr"
ka create bob --json >"$TMP/b.json" 2>/dev/null
is "create --json: id, key, owner, expiresAt" \
	"$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sorted(j), j["owner"], j["expiresAt"], j["key"].split("_")[1]==j["id"])' "$TMP/b.json")" \
	"['expiresAt', 'id', 'key', 'owner'] bob None True"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$TMP/b.json" >"$TMP/b.key"
is "the JSON key verifies" "$(ka verify bob <"$TMP/b.key")" VALID
ka create alice >"$TMP/a2.key" 2>/dev/null
id2=$(cut -d_ -f2 "$TMP/a2.key")
check "two keys differ" test "$(cat "$TMP/a.key")" != "$(cat "$TMP/a2.key")"

# ---- verify: VALID and every rejection
v() {
	if [ "$1" = -- ]; then
		u=$2 f=$3
		shift 3
		ka verify -- "$u" "$@" <"$f" 2>/dev/null
		return
	fi
	u=$1 f=$2
	shift 2
	ka verify "$u" "$@" <"$f" 2>/dev/null
}
is "verify VALID" "$(v alice "$TMP/a.key" --service sshd --from 192.0.2.7)" VALID
check_exit "verify VALID exits 0" 0 q v alice "$TMP/a.key" --service sshd --from 192.0.2.7
is "verify IPv6 source" "$(v alice "$TMP/a.key" --service smtp --from 2001:db8::5)" VALID
is "wrong user" "$(v bob "$TMP/a.key" --service sshd --from 192.0.2.7)" WRONG_USER
check_exit "not VALID exits 4" 4 q v bob "$TMP/a.key" --service sshd
is "wrong service" "$(v alice "$TMP/a.key" --service imap --from 192.0.2.7)" SERVICE_DENIED
is "no service given for a restricted key" "$(v alice "$TMP/a.key" --from 192.0.2.7)" SERVICE_DENIED
is "wrong source" "$(v alice "$TMP/a.key" --service sshd --from 198.51.100.1)" SOURCE_DENIED
is "unrestricted key, any service" "$(v alice "$TMP/a2.key" --service whatever)" VALID
forge "$TMP/a2.key" "$TMP/forged.key"
check "the forged key differs" test "$(cat "$TMP/forged.key")" != "$(cat "$TMP/a2.key")"
is "forged key for a real id" "$(v alice "$TMP/forged.key")" NOT_FOUND
sed 's/^ak_./ak_~/' "$TMP/a2.key" >"$TMP/typo.key"
is "a typo is MALFORMED" "$(v alice "$TMP/typo.key")" MALFORMED
printf 'hunter2\n' >"$TMP/pw"
is "a password is MALFORMED" "$(v alice "$TMP/pw")" MALFORMED
: >"$TMP/empty"
is "empty input is MALFORMED" "$(v alice "$TMP/empty")" MALFORMED
{
	head -c 20 "$TMP/a2.key"
	printf '\0'
	tail -c +22 "$TMP/a2.key"
} >"$TMP/nul.key"
is "a NUL byte inside is MALFORMED" "$(v alice "$TMP/nul.key")" MALFORMED
{
	tr -d '\n' <"$TMP/a2.key"
	printf '\0\n'
} >"$TMP/nul2.key"
is "a trailing NUL is MALFORMED" "$(v alice "$TMP/nul2.key")" MALFORMED
{
	cat "$TMP/a2.key"
	echo
} >"$TMP/two.key"
is "two newlines: only one is stripped" "$(v alice "$TMP/two.key")" MALFORMED
head -c 100000 /dev/zero | tr '\0' 'a' >"$TMP/huge"
err=$(ka verify alice <"$TMP/huge" 2>&1 >/dev/null)
check_exit "huge stdin is refused" 2 v alice "$TMP/huge"
like "huge stdin: a clear error" "$err" "input too long"
is "verify --json" "$(ka verify alice --json <"$TMP/a2.key" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["result"], j["owner"])')" "VALID alice"
check_exit "verify: a user starting with - is a usage error" 2 v -- -alice "$TMP/a2.key"
check_exit "verify: an over-long user is a usage error" 2 v "$(printf '%065d' 0)" "$TMP/a2.key"
check_exit "verify takes no key on argv" 2 ka verify alice "$(cat "$TMP/a2.key")" 2>/dev/null </dev/null

# ---- list
out=$(ka list)
like "list header" "$(echo "$out" | head -1)" "^ID +OWNER +NAME +STATE +CREATED +EXPIRES +LAST USED$"
is "list: one line per key" "$(echo "$out" | sed 1d | wc -l | tr -d ' ')" 3
like "list shows the name and state" "$(echo "$out" | grep "$id")" "alice +laptop +active"
no_key_in "$out" "$TMP/a.key" "list"
is "list USER" "$(ka list alice | sed 1d | wc -l | tr -d ' ')" 2
is "list USER with no keys" "$(ka list nobody | sed 1d | wc -l | tr -d ' ')" 0
is "list --json is an array of keys" \
	"$(ka list --json | python3 -c 'import json,sys; print(sorted(k["owner"] for k in json.load(sys.stdin)))')" \
	"['alice', 'alice', 'bob']"
ka revoke "$id2" >/dev/null 2>&1
is "list --state revoked" "$(ka list --state revoked --json | python3 -c 'import json,sys; print([k["id"] for k in json.load(sys.stdin)])')" "['$id2']"
is "list --state active" "$(ka list alice --state active | sed 1d | wc -l | tr -d ' ')" 1
check_exit "list --state bogus" 2 ka list --state bogus 2>/dev/null

# ---- show
out=$(ka show "$id")
like "show: owner" "$out" "owner: +alice"
like "show: services" "$out" "services: +sshd, smtp"
like "show: sources" "$out" "sources: +192.0.2.0/24, 2001:db8::/32"
like "show: created by" "$out" "created: .* UTC by "
no_key_in "$out" "$TMP/a.key" "show"
keys=$(ka show "$id" --json | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')
is "show --json keys" "$keys" "createdAt createdBy disabledAt disabledBy disabledReason expiresAt id lastUsedAt lastUsedService lastUsedSource name owner revokedAt revokedBy revokedReason rotatedFrom rotatedTo services sources state"
is "--json before the command" "$(ka --json show "$id")" "$(ka show "$id" --json)"
j=$(ka show "$id" --json)
is "show --json values" "$(json_get "$j" 'j["state"], j["services"], j["sources"], j["revokedAt"], type(j["createdAt"]).__name__')" \
	"active ['sshd', 'smtp'] ['192.0.2.0/24', '2001:db8::/32'] None int"
check_exit "show an unknown id" 3 ka show AAAAAAAAAAAA 2>/dev/null
like "unknown id: a clear message" "$(ka show AAAAAAAAAAAA 2>&1)" "no key AAAAAAAAAAAA"
check_exit "show a malformed id" 2 ka show 'x;rm' 2>/dev/null
err=$(ka show "$(cat "$TMP/a.key")" 2>&1)
like "a full key on argv is refused" "$err" "full key, not an id"
no_key_in "$err" "$TMP/a.key" "full key refusal"

# ---- JSON escaping of user text
name=$(printf 'q"uote \\back \303\251t\303\251 \342\202\254')
ka create carol --name "$name" >"$TMP/c.key" 2>/dev/null
cid=$(cut -d_ -f2 "$TMP/c.key")
ka revoke "$cid" --reason 'said "no" \ twice' >/dev/null 2>&1
got=$(ka show "$cid" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.stdout.write(j["name"] + "|" + j["revokedReason"])')
is "names and reasons round-trip through JSON" "$got" "$name|said \"no\" \\ twice"

# ---- help and version
like "--version" "$(ka --version)" "^keyadm [0-9]+\.[0-9]+"
like "--help lists commands" "$(ka --help)" "revoke ID"
is "help CMD equals CMD --help" "$(ka help rotate)" "$(ka rotate --help)"
check_exit "no command is a usage error" 2 ka 2>/dev/null
check_exit "unknown command" 2 ka frobnicate 2>/dev/null

done_testing
