#!/bin/sh
# Untrusted text stays inert. In: names and reasons with control
# characters, bidi controls, line separators or bytes that are not UTF-8
# are refused (one error, nothing changed), by a real user through the
# setuid keyadm and by root. Out: whatever reaches keyadm's printers (a
# record written before these rules, a file name, the events file) is
# escaped on a terminal as vis(3) does, and --json is valid UTF-8 JSON.
# Twins: clean text is accepted and printed unchanged.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/keyadm/suid.sh"

new_user U1
new_store
policy "self_service yes" "store $DB"

# inert DESC < OUTPUT: valid UTF-8 with no control character but newline
# and tab, no C1 control, no bidi control, no line or paragraph separator
inert() {
	if python3 -c '
import sys
b = sys.stdin.buffer.read()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError:
    sys.exit(1)
bad = set(range(0x20)) - {9, 10} | {0x7f} | set(range(0x80, 0xa0)) | \
    {0x61c, 0x200e, 0x200f, 0x2028, 0x2029} | set(range(0x202a, 0x202f)) | \
    set(range(0x2066, 0x206a))
sys.exit(1 if any(ord(c) in bad for c in s) else 0)'; then ok "$1"; else not_ok "$1"; fi
}
# json_ok DESC < OUTPUT: strict UTF-8 and JSON (one document or one per line)
json_ok() {
	if python3 -c '
import json, sys
s = sys.stdin.buffer.read().decode("utf-8")
try:
    json.loads(s)
except ValueError:
    [json.loads(l) for l in s.splitlines() if l.strip()]'; then ok "$1"; else not_ok "$1"; fi
}

# ---- input: one clear error, nothing changed
as "$U1" create "$U1" --name laptop >"$TMP/u1.key" 2>/dev/null
k1=$(cut -d_ -f2 "$TMP/u1.key")
before=$(state)
for lh in U+202E:'\342\200\256' U+202A:'\342\200\252' U+2066:'\342\201\246' U+2069:'\342\201\251' \
	U+200E:'\342\200\216' U+200F:'\342\200\217' U+061C:'\330\234' U+2028:'\342\200\250' \
	U+2029:'\342\200\251' ESC:'\033[31m' U+0085:'\302\205' U+009B:'\302\233' DEL:'\177' \
	0xFF:'\377' CR:'\r' LF:'\n'; do
	h=${lh%%:*}
	bad=$(printf "a${lh#*:}b")
	[ "$h" = LF ] && bad=$(printf 'a\nb')
	err=$(as "$U1" create "$U1" --name "$bad" 2>&1 >/dev/null)
	rc=$?
	is "name with $h: refused (exit 2)" "$rc" 2
	is "name with $h: one clear error" "$err" \
		"keyadm: invalid name (1 to 128 bytes of UTF-8 without control characters, bidi controls or line separators): nothing was changed"
	check_exit "reason with $h: refused" 2 q as "$U1" disable "$k1" --reason "$bad"
	check_exit "root: name with $h refused" 2 q ka create "$U1" --name "$bad"
	check_exit "root: revoke reason with $h refused" 2 q ka revoke "$k1" --reason "$bad"
done
unchanged "refused names and reasons" "$before"
clean=$(printf 'laptop \342\200\224 \303\251t\303\251 \346\227\245\346\234\254')
as "$U1" create "$U1" --name "$clean" >"$TMP/u2.key" 2>/dev/null
is "a clean UTF-8 name: accepted" "$?" 0
k2=$(cut -d_ -f2 "$TMP/u2.key")
check "a clean reason: accepted" q as "$U1" disable "$k2" --reason "$(printf 'd\303\251j\303\240 vu')"
like "show prints the clean name unchanged" "$(as "$U1" show "$k2")" "^name:      $clean\$"
like "list prints it unchanged" "$(ka list "$U1")" "$k2  $U1 +$clean "
like "the clean reason unchanged" "$(ka show "$k2")" "by $U1: $(printf 'd\303\251j\303\240 vu')\$"
is "JSON: the clean name as is" "$(json_get "$(ka show "$k2" --json)" 'j["name"]')" "$clean"
ka create "$U1" --name 'C:\temp' >"$TMP/u3.key" 2>/dev/null
k3=$(cut -d_ -f2 "$TMP/u3.key")
like "a backslash is doubled on a terminal" "$(ka show "$k3")" '^name:      C:\\\\temp$'
is "JSON: the backslash is the name's" "$(json_get "$(ka show "$k3" --json)" 'j["name"]')" 'C:\temp'

# ---- output: a record written before these rules (as an older keyadm could)
cat >"$TMP/plant.c" <<'EOF'
#include <stdio.h>
#include "apikey_admin.h"
int main(int argc, char **argv)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_txn *t;
	struct ak_key k;

	if (argc != 6 || ak_txn_begin(&t, argv[1], 0, "root", &e) != 0 ||
	    ak_store_get_key(&k, ak_txn_store(t), argv[2], &e) != 0)
		return 1;
	snprintf(k.name, sizeof(k.name), "%s", argv[3]);
	snprintf(k.disabled_reason, sizeof(k.disabled_reason), "%s", argv[4]);
	snprintf(k.disabled_by, sizeof(k.disabled_by), "%s", argv[5]);
	k.state = AK_STATE_DISABLED;
	k.disabled_ms = ak_now_ms();
	return ak_txn_put_key(t, &k, &e) != 0 || ak_txn_commit(t, &e) != 0;
}
EOF
# shellcheck disable=SC2086 # SAN_CFLAGS: the sanitizers of a SANITIZE=1 core
cc -std=c11 -D_GNU_SOURCE $SAN_CFLAGS -I"$TOP/common" -o "$TMP/plant" "$TMP/plant.c" "$TOP/common/libakcore.a" \
	-Wl,-Bstatic -lsodium -Wl,-Bdynamic -lgdbm || not_ok "build the record planter"
hname=$(printf 'inv\377 \033]0;pwn\007 \342\200\256evil \302\233x')
hwhy=$(printf 'r\342\200\250s \033[2J')
hby=$(printf 'mallory\033[1m')
check "plant a hostile name, reason and actor" "$TMP/plant" "$DB" "$k1" "$hname" "$hwhy" "$hby"
ka show "$k1" >"$TMP/out" 2>&1
inert "root's show: inert" <"$TMP/out"
like "show: the name escaped" "$(cat "$TMP/out")" '^name:      inv\\xff \\x1b\]0;pwn\\x07 \\u202eevil \\u009bx$'
like "show: actor and reason escaped" "$(cat "$TMP/out")" 'by mallory\\x1b\[1m: r\\u2028s \\x1b\[2J$'
ka list >"$TMP/out" 2>&1
inert "root's list: inert" <"$TMP/out"
like "list: the name escaped" "$(cat "$TMP/out")" "$k1  $U1 +inv"
as "$U1" list >"$TMP/out" 2>&1
inert "the user's list: inert" <"$TMP/out"
as "$U1" show "$k1" >"$TMP/out" 2>&1
inert "the user's show: inert" <"$TMP/out"
as "$U1" enable "$k1" >"$TMP/out" 2>&1
inert "the refusal naming who disabled: inert" <"$TMP/out"
like "... and says who, escaped" "$(cat "$TMP/out")" 'disabled by mallory\\x1b\[1m: r\\u2028s'
ka show "$k1" --json >"$TMP/out"
json_ok "show --json: valid UTF-8 JSON" <"$TMP/out"
inert "show --json: inert" <"$TMP/out"
is "JSON: the invalid byte is U+FFFD, the rest escaped" \
	"$(python3 -c 'import json,sys; print(ascii(json.load(sys.stdin)["name"]))' <"$TMP/out")" \
	"'inv\\ufffd \\x1b]0;pwn\\x07 \\u202eevil \\x9bx'"
ka list --json >"$TMP/out"
json_ok "list --json: valid UTF-8 JSON" <"$TMP/out"
as "$U1" list --json >"$TMP/out"
json_ok "the user's list --json: valid" <"$TMP/out"

# ---- file names in scan
mkdir -p "$TMP/scan"
cp "$TMP/u2.key" "$TMP/scan/clean.txt"
hfile=$(printf 'leak\033[31m\342\200\256txt\377')
cp "$TMP/u2.key" "$TMP/scan/$hfile"
ka scan "$TMP/scan" >"$TMP/out" 2>&1
inert "scan: inert" <"$TMP/out"
no_key_in "$(cat "$TMP/out")" "$TMP/u2.key" "scan"
like "scan: the file name escaped" "$(cat "$TMP/out")" 'leak\\x1b\[31m\\u202etxt\\xff:1: '
like "scan: a clean file name unchanged" "$(cat "$TMP/out")" "^$TMP/scan/clean.txt:1: "
ka scan --json "$TMP/scan" >"$TMP/out" 2>/dev/null
json_ok "scan --json: valid UTF-8 JSON" <"$TMP/out"
inert "scan --json: inert" <"$TMP/out"
like "scan --json: the file name's bytes escaped" \
	"$(python3 -c 'import json,sys; print(ascii(sorted(f["file"] for f in json.load(sys.stdin))))' <"$TMP/out")" \
	'leak\\x1b\[31m\\u202etxt\\ufffd'

# ---- the usage events file (whatever its reader lets through)
now=$(($(date +%s) * 1000))
ev="$TMP/keys.events"
printf '%s\tVALID\t%s\t%s\tsshd\t192.0.2.4\n' "$now" "$k3" "$U1" >>"$ev"
printf '%s\tVALID\t%s\t%s\tss\033[31mhd\t192.0.2.9\342\200\256\n' "$now" "$k2" "$U1" >>"$ev"
printf '%s\tNOT_FOUND\t%s\tbo\033[2Jb\342\200\250\tsm\377tp\t198.51.100.7\n' "$now" "$k2" >>"$ev"
like "a clean last use unchanged" "$(ka show "$k3")" "^last used: .* sshd 192.0.2.4\$"
for cmd in "show $k2" "list" "failures" "list --unused 1d"; do
	# shellcheck disable=SC2086
	ka $cmd >"$TMP/out" 2>&1
	inert "$cmd with a hostile events file: inert" <"$TMP/out"
	# shellcheck disable=SC2086
	ka $cmd --json >"$TMP/out" 2>/dev/null
	json_ok "$cmd --json with a hostile events file: valid UTF-8 JSON" <"$TMP/out"
done
as "$U1" show "$k2" >"$TMP/out" 2>&1
inert "the user's show with a hostile events file: inert" <"$TMP/out"

done_testing
