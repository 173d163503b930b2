#!/bin/sh
# Build dependencies apart from the test stack: `make deps` installs only
# DEPS_BUILD, which is debian/control's Build-Depends (but debhelper) plus
# the compiler and make, and README names it; none of it, nor what it pulls
# in, ships a service. The Makefile appends its flags to CFLAGS, CPPFLAGS
# and LDFLAGS from the environment or the command line.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/debian/deblib.sh"
command -v apt-cache >/dev/null 2>&1 || skip_all "not a Debian system (no apt-cache)"

# args TARGET: the packages `make TARGET` hands to .ci/deps.sh (a target
# that builds nothing: the tree's flags stamp is not touched)
args() { make -s -C "$TOP" -n "$1" | sed -n 's|^sh \.ci/deps\.sh ||p' | grep -v '^--fetch '; }
build=$(args deps | tr ' ' '\n' | grep . | sort)
testing=$(args deps-test | tr ' ' '\n' | grep . | sort)
check "make deps installs some packages" test -n "$build"
control=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$TOP/debian/control" | sed 's/^Build-Depends://' |
	tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | grep -v -e '^$' -e '^[A-Z]' -e '^debhelper-compat$' | sort)
is "make deps = debian/control's Build-Depends + gcc make" "$build" \
	"$(printf '%s\ngcc\nmake\n' "$control" | sort)"
missing=""
for p in $build; do
	grep -q "make deps.*$p" "$TOP/README.md" || missing="$missing $p"
done
is "README names every package make deps installs" "$missing" ""
only_build=$(echo "$build" | while read -r p; do echo "$testing" | grep -qx "$p" || echo "$p"; done)
is "make check installs the build dependencies too" "$only_build" ""

# No daemon in what make deps pulls in; the twin: the test stack has some.
is "nothing make deps pulls in ships a service" "$(daemons $build)" ""
like "the check finds the services of the test stack (sshd, postfix, ...)" "$(daemons $testing)" \
	"^openssh-server: .*ssh"

# Flags: the environment's first, the project's (-Werror, -Icommon) after.
# In a copy: make -n rewrites the flags stamp, which would rebuild the tree.
# Without the make check's own variables (SANITIZE=1 adds its flags).
copy_tree "$TMP/src"
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE
line() { make -s -C "$TMP/src" -n -B "$@" keyadm/keyadm | grep -- '-o keyadm/keyadm'; }
env_line=$(CFLAGS="-O1 -Wno-error" CPPFLAGS=-DAK_FROM_CPPFLAGS LDFLAGS=-Wl,--as-needed line)
like "CFLAGS and CPPFLAGS from the environment reach the compiler" "$env_line" \
	"-DAK_FROM_CPPFLAGS -O1 -Wno-error "
like "... and the project's flags come after them" "$env_line" "-Wno-error .*-Werror .*-Icommon"
like "LDFLAGS from the environment reach the linker, the project's after" "$env_line" \
	"-Wl,--as-needed -Wl,-z,relro,-z,now,-z,noexecstack"
cmd_line=$(line CFLAGS="-O1 -Wno-error" CPPFLAGS=-DAK_FROM_CPPFLAGS LDFLAGS=-Wl,--as-needed)
is "the same from the command line (make CFLAGS=...)" "$cmd_line" "$env_line"
plain=$(env -u CFLAGS -u CPPFLAGS -u LDFLAGS make -s -C "$TMP/src" -n -B keyadm/keyadm | grep -- '-o keyadm/keyadm')
unlike "without them, nothing of theirs" "$plain" "AK_FROM_CPPFLAGS|-Wno-error"
like "... and the project's flags are all there" "$plain" "-Werror .*-fstack-protector-strong .*-Icommon"
done_testing
