#!/bin/sh
# The per-user index is kept in chunks of 64 ids, so that making or
# purging a key rewrites one small record whatever the user's number of
# keys: the store grows linearly, every key stays listed, keyadm check
# follows the chunks and finds a gap, and an index written whole by an
# older keyadm (one record) is read and extended.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

# a small GDBM editor: "flatten DB USER" turns the chunks into the one
# record an older keyadm wrote; "drop DB KEY" deletes one record
cat >"$TMP/gd.c" <<'EOF'
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static datum key(const char *s) { datum k = {(char *)s, (int)strlen(s)}; return k; }
int main(int argc, char **argv)
{
	GDBM_FILE db = argc == 4 ? gdbm_open(argv[2], 0, GDBM_WRITER | GDBM_NOLOCK, 0, NULL) : NULL;
	char rk[128], *all = NULL;
	size_t n = 0;
	int c;

	if (db == NULL)
		return 2;
	if (strcmp(argv[1], "drop") == 0)
		return gdbm_delete(db, key(argv[3])) != 0 || gdbm_close(db) != 0;
	for (c = 0;; c++) {
		datum v;
		if (c == 0)
			snprintf(rk, sizeof(rk), "u:%s", argv[3]);
		else
			snprintf(rk, sizeof(rk), "u:%s/%d", argv[3], c);
		v = gdbm_fetch(db, key(rk));
		if (v.dptr == NULL)
			break;
		all = realloc(all, n + (size_t)v.dsize);
		memcpy(all + n, v.dptr, (size_t)v.dsize);
		n += (size_t)v.dsize;
		free(v.dptr);
		if (c > 0)
			gdbm_delete(db, key(rk));
	}
	snprintf(rk, sizeof(rk), "u:%s", argv[3]);
	datum v = {all, (int)n};
	return gdbm_store(db, key(rk), v, GDBM_REPLACE) != 0 || gdbm_close(db) != 0;
}
EOF
cc -o "$TMP/gd" "$TMP/gd.c" -lgdbm || not_ok "build the GDBM editor"

count() { ka list "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

new_store
yes bulk | head -n 2000 | ka create --batch >/dev/null 2>&1
is "2000 keys of one user listed" "$(count bulk)" 2000
check "check follows the chunks" q ka check
size=$(stat -c %s "$DB")
if [ "$size" -lt 2500000 ]; then ok "the store grows linearly ($size bytes for 2000 keys of one user)"; else not_ok "the store is $size bytes for 2000 keys of one user"; fi
ka create bulk >"$TMP/one.key" 2>/dev/null
is "one more key: listed" "$(count bulk)" 2001
grew=$(($(stat -c %s "$DB") - size))
if [ "$grew" -lt 65536 ]; then ok "one key more adds little ($grew bytes)"; else not_ok "one key more grew the store by $grew bytes"; fi

# purging from the middle of the chunks keeps every other key listed
ka list bulk --json | python3 -c 'import json,sys; print("\n".join(k["id"] for k in json.load(sys.stdin)[::7]))' >"$TMP/ids"
# shellcheck disable=SC2046
check "revoke every seventh key" q ka revoke $(cat "$TMP/ids")
# shellcheck disable=SC2046
check "purge them" q ka purge $(cat "$TMP/ids")
gone=$(wc -l <"$TMP/ids" | tr -d ' ')
is "the others are all listed" "$(count bulk)" $((2001 - gone))
ka list bulk --json | python3 -c 'import json,sys; print("\n".join(k["id"] for k in json.load(sys.stdin)))' >"$TMP/left"
is "no purged key is listed" "$(grep -cxFf "$TMP/ids" "$TMP/left")" 0
check "check after the purges" q ka check
yes few | head -n 3 | ka create --batch >/dev/null 2>&1
ka list few --json | python3 -c 'import json,sys; print(" ".join(k["id"] for k in json.load(sys.stdin)))' >"$TMP/few"
# shellcheck disable=SC2046
ka revoke $(cat "$TMP/few") >/dev/null 2>&1
# shellcheck disable=SC2046
ka purge $(cat "$TMP/few") >/dev/null 2>&1
is "a user whose keys are all purged has none" "$(count few)" 0
check "... and check agrees" q ka check

# an index in one record, as an older keyadm wrote it, is read and extended
check "flatten the index into one record" "$TMP/gd" flatten "$DB" bulk
is "the one-record index: every key listed" "$(count bulk)" $((2001 - gone))
check "check reads it" q ka check
ka create bulk >/dev/null 2>&1
is "a key added after it" "$(count bulk)" $((2002 - gone))
check "check after extending it" q ka check

# the negative twin: a missing chunk is a corrupt index, named by check
yes gap | head -n 200 | ka create --batch >/dev/null 2>&1
check "drop a chunk" "$TMP/gd" drop "$DB" "u:gap/1"
err=$(ka check 2>&1)
check_exit "check: a gap in the index fails" 1 q ka check
like "check names the gap" "$err" "index of user gap has a gap before chunk 2"

done_testing
