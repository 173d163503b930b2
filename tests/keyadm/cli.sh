# Helpers for the keyadm CLI tests (sourced after tests/lib.sh).
# Keys live only in files under $TMP: tests compare them, never print them.

if [ ! -x "$KEYADM" ]; then
	skip "keyadm is not built"
	done_testing
	exit 0
fi

ka() { "$KEYADM" "$@"; }
# q CMD...: runs CMD with its output discarded (for check_exit).
q() { "$@" >/dev/null 2>&1; }

# new_store [PREFIX]: a fresh store at $DB.
new_store() {
	rm -f "$DB" "$DB.wlock"
	if [ $# -gt 0 ]; then ka init --prefix "$1" 2>/dev/null; else ka init 2>/dev/null; fi
}

# new_key FILE USER [OPTIONS...]: creates a key into FILE, echoes its id.
new_key() {
	f=$1
	shift
	ka create "$@" >"$f" 2>/dev/null || return 1
	cut -d_ -f2 "$f"
}

# state: everything a command could change, for "nothing changed" checks
# (the keys as JSON and the audit trail; no key material in either).
state() {
	ka list --json 2>&1
	ka audit --json 2>&1
}

# unchanged DESC BEFORE: the store is as BEFORE (from state).
unchanged() {
	is "$1: nothing changed" "$(state)" "$2"
}

# generation: the store's write counter, from keyadm check.
generation() {
	ka check 2>/dev/null | sed -n 's/.*generation \([0-9]*\).*/\1/p'
}

# json_get JSON EXPR: python expression on the parsed value j.
json_get() {
	printf '%s' "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); print('"$2"')'
}

# no_key_in TEXT KEYFILE: TEXT does not contain the key or its secret.
no_key_in() {
	_k=$(cat "$2")
	_s=$(cut -d_ -f3 "$2")
	case "$1" in
	*"$_k"* | *"$_s"*) not_ok "$3: a key leaked into the output" ;;
	*) ok "$3: no key material in the output" ;;
	esac
}
