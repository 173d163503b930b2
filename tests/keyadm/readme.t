#!/bin/sh
# README's "Five minutes of keyadm": the create and verify lines, taken
# from README.md itself, make a key that verify calls VALID; the same key
# from outside its network is SOURCE_DENIED (the twin).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

cd "$TMP" || exit 1
new_store
create=$(sed -n 's/^    \(keyadm create alice .*> alice.key\)$/\1/p' "$TOP/README.md")
verify=$(sed -n 's/^    \(keyadm verify alice .*< alice.key\) .*#.*$/\1/p' "$TOP/README.md")
like "README has the create line" "$create" '^keyadm create alice'
like "README has the verify line" "$verify" '^keyadm verify alice'
keyadm() { "$KEYADM" "$@"; }
eval "$create" 2>/dev/null
is "README's create: exit 0" "$?" 0
is "README's verify: VALID" "$(eval "$verify" 2>/dev/null)" VALID
is "the same key from another network: SOURCE_DENIED" \
	"$(keyadm verify alice --service sshd --from 198.51.100.7 <alice.key 2>/dev/null)" SOURCE_DENIED
done_testing
