#!/bin/sh
# Durations: every unit keyadm(8) and apikey.conf(5) list means what they
# say, on the command line and in the policy (one parser); m and M, which
# a reader may take for minutes or months, are refused with one message
# that names both spellings, and change nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
id=$(new_key "$TMP/a.key" alice)

# expiry_in DURATION: seconds from now to the expiry `set --expires` gives
expiry_in() {
	ka set "$id" --expires "$1" 2>/dev/null || return 1
	ka show "$id" --json | python3 -c 'import json,sys,time
print(round((json.load(sys.stdin)["expiresAt"] / 1000 - time.time()) / 60))'
}

# the units as both man pages list them, each as minutes
for pair in 45s:1 30min:30 12h:720 3d:4320 2w:20160 6mo:259200 1y:525600; do
	d=${pair%%:*} want=${pair#*:}
	is "--expires $d: $want minutes from now" "$(expiry_in "$d")" "$want"
done
for d in 45s 30min 12h 3d 2w 6mo 1y; do
	grep -q "^\.Ql $d" "$TOP/man/keyadm.8" && grep -q "^\.Ql $d" "$TOP/man/apikey.conf.5" ||
		case $d in 45s | 3d) ;; *) not_ok "$d is not shown in both man pages" ;; esac
done
for u in s min h d w mo y; do
	n=$(grep -c "^\.Cm $u\( \|$\)" "$TOP/man/apikey.conf.5")
	[ "$n" -ge 1 ] && grep -q "^\.Cm $u\( \|$\)" "$TOP/man/keyadm.8" &&
		ok "unit $u documented in both man pages" || not_ok "unit $u not documented in both"
done

# ---- refusals: one line, exit 2, nothing changed
before=$(state)
refused() { # DESC PATTERN ARGS...
	_d=$1 _p=$2
	shift 2
	_err=$(ka "$@" 2>&1 >/dev/null)
	_rc=$?
	is "$_d: exit 2" "$_rc" 2
	like "$_d: one clear line" "$_err" "$_p"
	is "$_d: one line" "$(printf '%s\n' "$_err" | wc -l)" 1
}
amb="m is ambiguous, write 30min for minutes or 6mo for months"
refused "--expires 6m" "$amb" set "$id" --expires 6m
refused "--expires 6M" "$amb" set "$id" --expires 6M
refused "create --expires 30m" "$amb" create bob --expires 30m
refused "rotate --grace 30m" "invalid --grace: .*$amb" rotate "$id" --grace 30m
refused "list --unused 3m" "invalid --unused: .*$amb" list --unused 3m
refused "audit --since 10m" "invalid --since: .*$amb" audit --since 10m
refused "--expires 1mon" "s, min, h, d, w, mo = 30 days, y = 365 days" set "$id" --expires 1mon
refused "--expires 1D (upper case)" "not a duration" set "$id" --expires 1D
refused "--expires 1d12h (combined)" "not a duration" set "$id" --expires 1d12h
refused "--expires 201y (past 200 years)" "not a duration" set "$id" --expires 201y
refused "--expires 0d" "not a duration" set "$id" --expires 0d
unchanged "refused durations" "$before"
ka set "$id" --no-expiry 2>/dev/null
before=$(state)

# ---- apikey.conf: the same parser, the same refusals
conf() {
	printf '%s\n' "$@" >"$TMP/p.conf"
}
conf "max_lifetime 1y" "default_expiry 6mo" "purge_revoked_after 2w" "self_service_rate 5/30min"
check "apikey.conf: 1y, 6mo, 2w, 30min accepted" q ka --config "$TMP/p.conf" list
ka --config "$TMP/p.conf" create carol >"$TMP/c.key" 2>/dev/null
cid=$(cut -d_ -f2 "$TMP/c.key")
days=$(ka show "$cid" --json | python3 -c 'import json,sys,time
print(round((json.load(sys.stdin)["expiresAt"] / 1000 - time.time()) / 86400))')
is "default_expiry 6mo: 180 days" "$days" 180
before=$(state)
for line in "max_lifetime 6m" "default_expiry 6M" "purge_revoked_after 30m" "self_service_rate 5/30m"; do
	conf "$line"
	err=$(ka --config "$TMP/p.conf" create dave 2>&1 >/dev/null)
	rc=$?
	is "apikey.conf $line: exit 1" "$rc" 1
	like "apikey.conf $line: file, line, setting, both spellings" "$err" \
		"^keyadm: $TMP/p.conf:1: ${line%% *}: not a duration: $amb\$"
done
conf "max_lifetime 6months"
like "apikey.conf 6months: the units listed" "$(ka --config "$TMP/p.conf" list 2>&1)" \
	"max_lifetime: not a duration \(a number and a unit: s, min, h, d, w, mo"
unchanged "refused policies" "$before"

done_testing
