#!/bin/sh
# logns.sh SOCKET CMD [ARG...]: runs CMD in a private mount namespace in
# which /dev/log is SOCKET (a datagram socket the test listens on), so the
# test reads exactly what syslog(3) sent, and nothing outside sees it.
# When the host has no /dev/log, the namespace gets its own small /dev
# (the usual character devices bound from the real one). The namespace
# and its mounts end with the last process in it; nothing is left behind.
# CMD keeps this script's PID (exec all the way), so a test can stop it.
set -eu
sock=$1
shift
exec unshare --mount --propagation private sh -eu -c '
sock=$1
shift
if [ -e /dev/log ] || [ -L /dev/log ]; then
	mount --bind "$sock" /dev/log
else
	# Stage the devices in a tmpfs private to this namespace first: the
	# new /dev hides the old one.
	stage=$(dirname "$sock")/.devstage
	mkdir -p "$stage"
	mount -t tmpfs -o mode=0755,size=64k tmpfs "$stage"
	for n in null zero full random urandom tty; do
		: >"$stage/$n"
		mount --bind "/dev/$n" "$stage/$n"
	done
	mount -t tmpfs -o mode=0755,size=64k tmpfs /dev
	for n in null zero full random urandom tty; do
		: >"/dev/$n"
		mount --bind "$stage/$n" "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	: >/dev/log
	mount --bind "$sock" /dev/log
	umount -l "$stage"
	rmdir "$stage" 2>/dev/null || true
fi
exec "$@"
' logns "$sock" "$@"
