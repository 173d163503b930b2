#!/bin/sh
# The build says what it builds: every C file and header git has in
# common/ and keyadm/ is in its fragment's explicit list and every listed
# file exists; every fragment opens with its Products, Sources and Needs;
# a missing fragment, a fragment before one it needs, or a missing .pc
# stops make with a clear message.
# The negative twins run in a copy of the tree with the lists drifted.
. "$TOP/tests/lib.sh"
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE

# quiet CMD...: CMD without its output (make -n prints every command)
quiet() { "$@" >/dev/null 2>&1; }
# var DIR NAME: the value of the make variable NAME in DIR's Makefile
var() { make -s -C "$1" --no-print-directory --eval='print-var-%: ; @echo $($*)' "print-var-$2"; }

# drift DIR: one line per file git has in common/ or keyadm/ that its list
# lacks, and per listed file that is not in git; nothing when they agree.
drift() {
	for _l in "common CORE_SRC CORE_HDR" "keyadm KEYADM_SRC KEYADM_HDR"; do
		set -- $_l
		_listed=$(var "$D" "$2"; var "$D" "$3")
		_git=$(git -C "$D" ls-files "$1" | grep -E "^$1/[^/]+\.[ch]\$")
		for _f in $_git; do
			echo "$_listed" | tr ' ' '\n' | grep -qx "$_f" || echo "$1/module.mk lacks $_f"
		done
		for _f in $_listed; do
			echo "$_git" | grep -qx "$_f" || echo "$1/module.mk lists $_f, not in git"
		done
	done
}

# headers DIR: the fragments of DIR that do not open with the header
# (their path, Products:, Sources:, Needs:) or name a file git lacks.
headers() {
	for _m in $(git -C "$D" ls-files '*/module.mk' | grep -v '^tests/'); do
		_top=$(sed -n '1,/^[^#]/p' "$D/$_m")
		echo "$_top" | head -n 1 | grep -q "^# $_m: " || echo "$_m: first line is not '# $_m: what'"
		for _k in Products Sources Needs; do
			echo "$_top" | grep -q "^# $_k: " || echo "$_m: no '# $_k:' line"
		done
		for _f in $(echo "$_top" | sed -n 's/^# Sources: *//p'); do
			_f=${_f%,}
			case $_f in */*) ;; *) continue ;; esac # a path, not a word
			case $_f in *'<'* | *'$'* | */) continue ;; esac
			git -C "$D" ls-files --error-unmatch "$_f" >/dev/null 2>&1 || echo "$_m: source $_f not in git"
		done
	done
}

D=$TOP
is "every C file and header of common/ and keyadm/ is listed, every listed file exists" "$(drift)" ""
check "the lists are not empty" test -n "$(var "$D" CORE_SRC)" -a -n "$(var "$D" KEYADM_SRC)"
is "every fragment opens with Products, Sources, Needs" "$(headers)" ""
is "the Makefile includes no fragment with -include" "$(grep -n '^-include' "$TOP/Makefile")" ""

# The twins, in a copy that git knows (make -n there rewrites the flags stamp).
D=$TMP/src
copy_tree "$D"
git -C "$D" init -q && git -C "$D" add -A
: >"$D/common/drifted.c"
git -C "$D" add common/drifted.c
git -C "$D" rm -q --cached -f keyadm/hooks.c # out of git, left on disk
out=$(drift)
like "a new common/*.c that the list lacks is found" "$out" "^common/module.mk lacks common/drifted.c\$"
like "a listed keyadm/*.c that is gone is found" "$out" "^keyadm/module.mk lists keyadm/hooks.c, not in git\$"
is "... and nothing else" "$(echo "$out" | wc -l | tr -d ' ')" 2
sed -i '/^# Needs:/d; s|^# Sources:  pam_apikey/pam_apikey.c|# Sources:  pam_apikey/gone.c|' "$D/pam_apikey/module.mk"
out=$(headers)
like "a fragment without its Needs line is found" "$out" "^pam_apikey/module.mk: no '# Needs:' line\$"
like "a fragment naming a source git lacks is found" "$out" "^pam_apikey/module.mk: source pam_apikey/gone.c not in git\$"

# A missing fragment stops make, naming it; the tree builds nothing.
rm "$D/bench/module.mk"
out=$(make -C "$D" -n all 2>&1)
check_fails "make fails without bench/module.mk" quiet make -s -C "$D" -n all
like "... saying which fragment is missing" "$out" "bench/module.mk: No such file"
git -C "$D" checkout -q bench/module.mk

# A fragment included before one it needs stops make, naming both.
cp "$D/Makefile" "$TMP/Makefile.orig"
sed -i '/^include common\/module.mk$/d; s|^include bench/module.mk$|&\ninclude common/module.mk|' "$D/Makefile"
out=$(make -C "$D" -n all 2>&1)
check_fails "make fails with the core's fragment included last" quiet make -s -C "$D" -n all
like "... saying what keyadm/module.mk needs" "$out" "keyadm/module.mk needs CORE_LIB: include it after"
cp "$TMP/Makefile.orig" "$D/Makefile"

# A missing .pc stops the build naming the -dev package, and only what
# needs it; make deps (which installs them) works without any.
nopam=$TMP/pkg-config-nopam
printf '#!/bin/sh\nfor a; do [ "$a" = pam ] && exit 1; done\nexec pkg-config "$@"\n' >"$nopam"
chmod +x "$nopam"
out=$(make -C "$D" -n -B pam_apikey/pam_apikey.so PKG_CONFIG="$nopam" 2>&1)
check_fails "without pam.pc the PAM module is not built" \
	quiet make -s -C "$D" -n -B pam_apikey/pam_apikey.so PKG_CONFIG="$nopam"
like "... and make names the package to install" "$out" "finds no pam\.pc: install libpam0g-dev"
check "without pam.pc keyadm still builds (it needs no PAM)" \
	quiet make -s -C "$D" -n -B keyadm/keyadm PKG_CONFIG="$nopam"
out=$(make -C "$D" -n -B keyadm/keyadm PKG_CONFIG=/nonexistent/pkg-config 2>&1)
like "without pkg-config make names it and libsodium-dev" "$out" \
	"finds no libsodium\.pc: install libsodium-dev and pkg-config"
like "make deps works without pkg-config (it installs it)" \
	"$(make -s -C "$D" -n deps PKG_CONFIG=/nonexistent/pkg-config 2>&1)" "^sh \.ci/deps\.sh .*pkg-config"

# The link is as before: libsodium from pkg-config, linked statically.
line=$(make -s -C "$D" -n -B pam_apikey/pam_apikey.so | tr '\n' ' ')
like "the PAM module links libsodium statically, then libpam" "$line" \
	"-Wl,-Bstatic -lsodium -Wl,-Bdynamic -lgdbm -lpam"
done_testing
