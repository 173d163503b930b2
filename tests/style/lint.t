#!/bin/sh
# Style gates: every C file is clang-formatted with the project's
# .clang-format, and every man page passes mandoc -Tlint.
. "$TOP/tests/lib.sh"
cd "$TOP" || exit 1
for f in $(git ls-files '*.c' '*.h'); do
	if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		ok "clang-format: $f"
	else
		not_ok "clang-format: $f (run: clang-format -i $f)"
	fi
done
for m in man/*.[1-8]; do
	[ -f "$m" ] || continue
	out=$(mandoc -Tlint -Wwarning "$m" 2>&1)
	if [ -z "$out" ]; then ok "mandoc -Tlint: $m"; else not_ok "mandoc -Tlint: $m: $(echo "$out" | head -3)"; fi
done
done_testing
