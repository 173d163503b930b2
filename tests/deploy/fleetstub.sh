#!/bin/sh
# fleetstub.sh: keyadm for the fleet tests while keyadm has no publish,
# install and status: "publish --out FILE" copies the store, "install
# FILE" puts such a copy in place by rename, "status --json" prints the
# last serial; everything else is the real keyadm ($REAL_KEYADM).
set -eu
db=${APIKEY_DB:-}
case ${1:-} in --db=*) db=${1#--db=}; shift ;; esac
case ${1:-} in
publish)
	n=$(($(cat "$db.serial" 2>/dev/null || echo 0) + 1))
	cp "$db" "$3.tmp" && mv "$3.tmp" "$3" && echo "$n" >"$db.serial"
	;;
status) echo "{\"serial\": $(cat "$db.serial" 2>/dev/null || echo 0)}" ;;
install)
	[ "$2" = --check ] && exit 0
	n=${2##*/bundle-}
	cp "$2" "$db.tmp" && mv "$db.tmp" "$db" && expr "${n%.akb}" + 0 >"$db.serial"
	;;
*) exec "$REAL_KEYADM" ${db:+--db="$db"} "$@" ;;
esac
