#!/bin/sh
# Style gates: every C file is clang-formatted with the project's
# .clang-format, every man page passes mandoc -Tlint, and no sh script
# passes kill a "--".
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
# dash's kill builtin takes no "--": it reads it as a PID, signals
# nothing and fails. In the tests' sh scripts a process group is
# "kill -SIG -PGID".
dashkill=$(git grep -nE '(^|[[:space:];&|(])kill( -[A-Za-z0-9]+)* --( |$)' -- '*.sh' '*.t' ':!tests/style/lint.t' | cut -d: -f1,2)
is "no kill -- in the sh scripts (dash's kill would signal nothing)" "$dashkill" ""
done_testing
