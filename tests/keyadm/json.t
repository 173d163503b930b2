#!/bin/sh
# --json on every command: one JSON document on stdout (python3's json
# parses all of it, one value), or JSON Lines where keyadm(8) says so
# (every line one object); the messages stay on stderr. The twins: the
# same command without --json is not JSON, and a command that fails
# prints no document (check and audit --verify print theirs, then exit 1).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

# doc DESC EXPR ARGS...: keyadm --json ARGS exits 0 and its stdout is one
# JSON value on which the python expression EXPR (on j) is True.
doc() {
	_d=$1 _e=$2
	shift 2
	"$KEYADM" --json "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	_rc=$?
	is "$_d: exit 0" "$_rc" 0
	_r=$(python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print("yes" if ('"$_e"') else "no: %r" % (j,))' "$TMP/out" 2>&1)
	is "$_d: one JSON document, as documented" "$_r" yes
}
# lines DESC N EXPR ARGS...: JSON Lines: N lines, each an object with EXPR.
lines() {
	_d=$1 _want=$2 _e=$3
	shift 3
	"$KEYADM" --json "$@" >"$TMP/out" 2>"$TMP/err" <"${STDIN:-/dev/null}"
	_r=$(python3 -c 'import json,sys
ls = open(sys.argv[1]).read().splitlines()
js = [json.loads(l) for l in ls]
print(len(js), all(isinstance(j, dict) and ('"$_e"') for j in js))' "$TMP/out" 2>&1)
	is "$_d: JSON Lines, $_want objects" "$_r" "$_want True"
}
not_json() {
	_r=$(python3 -c 'import json,sys
try:
    json.load(open(sys.argv[1])); print("json")
except ValueError:
    print("text")' "$1")
	is "$2: without --json, text" "$_r" text
}

rm -f "$DB"
doc "init" 'j["db"] == "'"$DB"'" and j["prefix"] == "ak" and j["mode"] == "0640" and j["events"].endswith("keys.events") and j["group"] is None' init
like "init: the messages stay on stderr" "$(cat "$TMP/err")" "created the key store"
check_exit "init again: fails" 1 q ka --json init
mv "$DB" "$TMP/saved.db"
ka init >"$TMP/text" 2>/dev/null
is "init without --json: nothing on stdout" "$(wc -c <"$TMP/text" | tr -d ' ')" 0
mv "$TMP/saved.db" "$DB"

doc "check" 'j["ok"] is True and j["problems"] == [] and j["generation"] >= 1 and j["auditEntries"] >= 1' check
ka check >"$TMP/text" 2>/dev/null
not_json "$TMP/text" check
doc "group" 'j["group"] == "root" and j["gid"] == 0 and j["db"] == "'"$DB"'"' group root
ka group root >"$TMP/text" 2>/dev/null
is "group without --json: nothing on stdout" "$(wc -c <"$TMP/text" | tr -d ' ')" 0
check_exit "group of no such group: exit 2" 2 q ka --json group nosuchgroup$$

doc "create" 'set(j) == {"id", "key", "owner", "expiresAt"} and j["owner"] == "alice"' create alice --name laptop
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
doc "list" 'isinstance(j, list) and j[0]["id"] == "'"$id"'"' list
doc "show" 'j["id"] == "'"$id"'" and j["name"] == "laptop"' show "$id"
doc "set" 'j == {"set": True, "id": "'"$id"'", "owner": "alice", "changed": ["name", "expiry"]}' \
	set "$id" --name phone --expires 6mo
ka set "$id" --name tablet >"$TMP/text" 2>/dev/null
is "set without --json: nothing on stdout" "$(wc -c <"$TMP/text" | tr -d ' ')" 0
ka --json set AAAAAAAAAAAA --name x >"$TMP/out" 2>/dev/null
is "set of no such key: exit 3" "$?" 3
is "set of no such key: no document" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
doc "audit" 'isinstance(j, list) and j[-1]["action"] == "set"' audit
doc "audit --verify" 'j["intact"] is True and j["entries"] >= 4 and j["error"] is None' audit --verify
ka audit --verify >"$TMP/text" 2>/dev/null
not_json "$TMP/text" "audit --verify"
doc "failures" 'j == []' failures
doc "scan" 'j == []' scan "$TOP/README.md"
ka create alice >"$TMP/v.key" 2>/dev/null
vid=$(cut -d_ -f2 "$TMP/v.key")
"$KEYADM" --json verify alice <"$TMP/v.key" >"$TMP/out" 2>/dev/null
is "verify: one JSON object" "$(json_get "$(cat "$TMP/out")" 'j["result"], j["id"] == "'"$vid"'"')" "VALID True"
doc "rotate" 'set(j) == {"id", "key", "owner", "expiresAt"}' rotate "$vid"
lines "disable" 1 'j["disabled"] is True and j["changed"] is True' disable "$id"
lines "enable" 1 'j["enabled"] is True' enable "$id"
ka create alice >/dev/null 2>&1
lines "revoke --user (four keys, one already revoked)" 4 'j["revoked"] is True' revoke --user alice
lines "purge of two keys" 2 'j["purged"] is True' purge $(ka list alice --state revoked --json |
	python3 -c 'import json,sys; print(" ".join(k["id"] for k in json.load(sys.stdin)[:2]))')
printf 'carol\ndave\n' >"$TMP/users"
STDIN="$TMP/users" lines "create --batch" 2 'set(j) == {"id", "key", "owner"}' create --batch
ka create --batch <"$TMP/users" >"$TMP/text" 2>/dev/null
not_json "$TMP/text" "create --batch"

# ---- a failing check and a broken trail: the document, then exit 1
chmod 0666 "$DB"
"$KEYADM" --json check >"$TMP/out" 2>"$TMP/err"
is "check with problems: exit 1" "$?" 1
is "check with problems: ok false, the problems listed" \
	"$(json_get "$(cat "$TMP/out")" 'j["ok"], len(j["problems"]) >= 2, "readable by others" in " ".join(j["problems"])')" \
	"False True True"
like "check with problems: the count on stderr" "$(cat "$TMP/err")" "problems found"
chmod 0640 "$DB"
printf 'not a store' >"$TMP/bad.db"
chmod 0640 "$TMP/bad.db"
"$KEYADM" --json --db "$TMP/bad.db" check >"$TMP/out" 2>/dev/null
is "check of a corrupt store: exit 1" "$?" 1
is "check of a corrupt store: generation null" \
	"$(json_get "$(cat "$TMP/out")" 'j["ok"], j["generation"], len(j["problems"])')" "False None 1"
check_exit "audit --verify of a corrupt store: exit 1" 1 q ka --json --db "$TMP/bad.db" audit --verify

done_testing
