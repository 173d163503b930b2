#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# sasl_apikey(8) "Postfix with the plugin", verbatim from the man page, on
# Debian's own main.cf and master.cf (smtpd chrooted: y), in a private
# config_directory and queue_directory: smtp on a high port and the
# commented-out submission block uncommented as the page says, the store
# bind-mounted into the chroot by the page's fstab line, its group set by
# the page's command. swaks drives both services over STARTTLS.
[ -n "${DEPLOY_NS:-}" ] || exec env DEPLOY_NS=1 unshare --mount --propagation private "$0"
. "$(dirname "$0")/deploylib.sh"

need_postfix

need_snippet MAIN postfix-main.cf
need_snippet CHROOT postfix-chroot
need_snippet GROUP store-group
need_snippet SUBMISSION postfix-submission

deploy_store
keyset "alice$$" smtp imap
pf_stock
check "the page's smtpd.conf is created" apply_here postfix-smtpd.conf "$PF/conf/sasl"
like "smtpd.conf names the store" "$(cat "$PF/conf/sasl/smtpd.conf")" "^apikey_db: $DB$"
# postconf -e, as the page writes it, on the private main.cf
printf '%s\n' "$MAIN" | sed "s|^postconf |postconf -c '$PF/conf' |" >"$TMP/main.sh"
check "the page's postconf command applies" sh "$TMP/main.sh"
printf '%s\n' "$SUBMISSION" | here >"$TMP/submission.sh"
check "the page's command uncomments the submission block" sh "$TMP/submission.sh"
SUBPORT=$(free_port)
sed -i "s|^submission inet|127.0.0.1:$SUBPORT inet|" "$PF/conf/master.cf"
is "smtp runs chrooted, as Debian ships it" "$(pf_chroot_is_y "127.0.0.1:$PORT")" y
is "submission runs chrooted, as Debian ships it" "$(pf_chroot_is_y "127.0.0.1:$SUBPORT")" y

# The store's group and the bind mount into the chroot, as the page says.
printf '%s\n' "$GROUP" | here | sed "s|^keyadm |'$KEYADM' |" >"$TMP/group.sh"
check "the page's keyadm group applies" sh "$TMP/group.sh"
is "the store is root:postfix 0640" "$(stat -c '%U:%G %a' "$DB")" "root:postfix 640"
is "the events file is root:postfix 0660" "$(stat -c '%U:%G %a' "$STORE/keys.events")" "root:postfix 660"
is "the writers' lock stays root:root 0600" "$(stat -c '%U:%G %a' "$DB.wlock")" "root:root 600"
printf '%s\n' "$CHROOT" | here | sed "s|^mount |mount -T '$TMP/fstab' |" >"$TMP/chroot.sh"
: >"$TMP/fstab"
check "the page's bind mount applies" sh "$TMP/chroot.sh"
# before $TMP is removed, or the mount point outlives it
at_exit "umount '$Q$STORE' 2>/dev/null"
check "the store is visible inside the chroot at its own path" test -f "$Q$DB"

pf_start || {
	done_testing
	exit 1
}
smtp_keyset "$PORT" "alice$$"
smtp_keyset_sub() {
	accepted "$SUBPORT" "$TMP/k.valid" PLAIN "alice$$"
	accepted "$SUBPORT" "$TMP/k.valid" LOGIN "alice$$"
	for _k in forged other revoked disabled expired wrongsvc password valid2; do
		refused "$SUBPORT" "$TMP/k.$_k" PLAIN "alice$$"
	done
}
smtp_keyset_sub

# Without AUTH, relaying is refused (the relay rule is not open).
swaks --server 127.0.0.1 --port "$PORT" --tls --from a@example.org --to b@example.net \
	--quit-after RCPT >"$TMP/swaks.out" 2>&1 </dev/null
if grep -Eq "^<[~*]+ +554 " "$TMP/swaks.out" && ! rcpt_ok; then ok "no AUTH: relaying refused (554)"; else
	not_ok "no AUTH: relaying refused ($(_smtp_why))"
fi

sleep 1
M="$PF/maillog"
check "the mail log names the revoked key's result" grep -q "key=$K_revoked result=REVOKED" "$M"
check "the mail log names the key revoked while postfix ran" grep -q "key=$K_valid2 result=REVOKED" "$M"
check "the mail log names another user's key" grep -q "user=alice$$ key=$K_other result=WRONG_USER" "$M"
check "the mail log names the wrong service" grep -q "key=$K_wrongsvc result=SERVICE_DENIED" "$M"
check "the mail log names the expired key" grep -q "key=$K_expired result=EXPIRED" "$M"
check "the mail log names the disabled key" grep -q "key=$K_disabled result=DISABLED" "$M"
check "the mail log names the forged key" grep -q "result=NOT_FOUND service=smtp" "$M"
unlike "no store error in the chroot" "$(cat "$M")" "result=UNAVAILABLE"
used_in_list "$K_valid"
# Postfix does not log the library's notices: the events file names the
# identity authorised, alice, exactly.
is "the events file has the valid uses (smtp and submission)" \
	"$(grep -c "	VALID	$K_valid	alice$$	smtp	127.0.0.1" "$STORE/keys.events")" 4
is "keyadm revoke kept the store's group and mode" "$(stat -c '%G %a' "$DB")" "postfix 640"
# shellcheck disable=SC2086 # the key files are words
no_secret_in "$M" $KEYFILES
# shellcheck disable=SC2086
no_secret_in "$STORE/keys.events" $KEYFILES

# With smtpd_sasl_local_domain the canonical name is alice@example.org:
# keys belong to that name (sasl_apikey(8), Identity and realms).
pf_stop
postconf -c "$PF/conf" -e "smtpd_sasl_local_domain = example.org"
K_realm=$(new_key "$TMP/k.realm" "alice$$@example.org")
pf_start >/dev/null
accepted "$PORT" "$TMP/k.realm" PLAIN "alice$$"
accepted "$PORT" "$TMP/k.realm" LOGIN "alice$$"
refused "$PORT" "$TMP/k.valid" PLAIN "alice$$"
sleep 1
check "realm: alice's own key is WRONG_USER for alice@example.org" \
	grep -q "user=alice$$@example.org key=$K_valid result=WRONG_USER" "$M"
is "realm: the events name alice@example.org, the key's owner" \
	"$(grep -c "	VALID	$K_realm	alice$$@example.org	smtp	" "$STORE/keys.events")" 2
ka revoke --user "alice$$@example.org" >/dev/null 2>&1
is "realm: revoke --user alice@example.org finds the key" \
	"$(ka list "alice$$@example.org" | awk -v id="$K_realm" '$1 == id { print $4 }')" revoked
refused "$PORT" "$TMP/k.realm" PLAIN "alice$$"
postconf -c "$PF/conf" -X smtpd_sasl_local_domain

# Negative twin of the bind mount: without it the chroot has no store.
pf_stop
umount "$Q$STORE"
K_after=$(new_key "$TMP/k.after" "alice$$")
pf_start >/dev/null
refused "$PORT" "$TMP/k.after" PLAIN "alice$$" 454
check "without the bind mount: UNAVAILABLE in the log" grep -q "user=alice$$ key=- result=UNAVAILABLE service=smtp source=127.0.0.1: $DB: No such file" "$M"
done_testing
