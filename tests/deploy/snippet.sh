# Helpers for the deployment tests (sourced after tests/lib.sh): the
# configuration snippets of a man page, marked in its mdoc source as
#
#   .\" BEGIN SNIPPET NAME VERB "ARG"
#   .Bd -literal ...
#   lines
#   .Ed
#   .\" END SNIPPET
#
# VERB "ARG" says what the page tells the administrator to do with the
# lines: replace "LINE" (the one line of a stock file that is LINE, give or
# take leading and trailing blanks, is replaced by them), after "LINE"
# (they go below it), append "" (at the end), create "NAME" (a new file
# NAME); run "" marks commands the administrator runs, which a test runs
# itself (snippet gives their lines; snippet_apply refuses them). A test
# applies exactly that to its private copy of the stock file, so the man
# page and the tests cannot drift apart.

# snippet_raw PAGE NAME: the BEGIN line's verb and argument on the first
# line, then the snippet's lines with mdoc's escapes undone; fails when
# PAGE has no such snippet.
snippet_raw() {
	awk -v name="$2" '
	$1 == ".\\\"" && $2 == "BEGIN" && $3 == "SNIPPET" && $4 == name {
		arg = $0
		sub(/^[^"]*"[^"]*"/, "", arg) # past the comment mark and the opening quote
		sub(/"[ \t]*$/, "", arg)
		print $5 "\t" arg
		on = 1
		found = 1
		next
	}
	on && $1 == ".\\\"" && $2 == "END" && $3 == "SNIPPET" { on = 0; next }
	on && /^\.(Bd|Ed)( |$)/ { next }
	on {
		gsub(/\\&/, "")
		gsub(/\\-/, "-")
		gsub(/\\e/, "\\")
		print
	}
	END { exit found ? 0 : 1 }' "$1"
}

# snippet PAGE NAME: the snippet's lines.
snippet() {
	snippet_raw "$1" "$2" | tail -n +2
}

# snippet_apply PAGE NAME TARGET: does what the snippet's BEGIN line says
# to TARGET (the stock file; for create, the directory the new file goes
# in). Fails, changing nothing, when the snippet is missing, the line it
# names is not exactly once in TARGET, or a file to create exists.
snippet_apply() {
	_raw=$(snippet_raw "$1" "$2") || {
		echo "snippet $2: not in $1" >&2
		return 1
	}
	_verb=$(printf '%s\n' "$_raw" | head -n 1 | cut -f1)
	_arg=$(printf '%s\n' "$_raw" | head -n 1 | cut -f2-)
	printf '%s\n' "$_raw" | tail -n +2 >"$TMP/.snippet"
	case $_verb in
	create)
		[ ! -e "$3/$_arg" ] && cp "$TMP/.snippet" "$3/$_arg"
		return
		;;
	append)
		cat "$TMP/.snippet" >>"$3"
		return
		;;
	replace | after) ;;
	*)
		echo "snippet $2: unknown verb $_verb" >&2
		return 1
		;;
	esac
	_times=$(awk -v a="$_arg" '{ l = $0; gsub(/^[ \t]+|[ \t]+$/, "", l) } l == a { n++ } END { print n + 0 }' "$3")
	if [ "$_times" != 1 ]; then
		echo "snippet $2: \"$_arg\" is $_times times in $3, want once" >&2
		return 1
	fi
	awk -v a="$_arg" -v verb="$_verb" -v f="$TMP/.snippet" '
	{ l = $0; gsub(/^[ \t]+|[ \t]+$/, "", l) }
	l == a {
		if (verb == "after")
			print
		while ((getline s <f) > 0)
			print s
		next
	}
	{ print }' "$3" >"$3.new" && cat "$3.new" >"$3" && rm -f "$3.new"
}

# pam_localize FILE: the one change a test makes to a PAM snippet it
# applied: the built module by absolute path, with this test's store
# (and $PAM_EXTRA, more options of the test's, when set).
pam_localize() {
	sed -i -E "s#(^|[[:space:]])pam_apikey\\.so#\\1$SO db=$DB${PAM_EXTRA:+ $PAM_EXTRA}#" "$1"
}

# sshd_stock: Debian's stock sshd_config in $TMP/sshd_config, after a
# listener on 127.0.0.1:$PORT (a free port), this test's host key, PID file
# and LogLevel VERBOSE, with the man page's ($MAN) keyboard-interactive
# snippet applied; then the real sshd on it (start_sshd, tests/pam_apikey/pamlib.sh).
sshd_stock() {
	PORT=$(free_port)
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$TMP/hostkey"
	{
		printf 'ListenAddress 127.0.0.1:%s\nHostKey %s\nPidFile %s\nLogLevel VERBOSE\n' \
			"$PORT" "$TMP/hostkey" "$TMP/sshd.pid"
		cat /etc/ssh/sshd_config
	} >"$TMP/sshd_config"
	check "the man page's keyboard-interactive snippet applies to the stock sshd_config" \
		snippet_apply "$MAN" sshd-kbdint "$TMP/sshd_config"
	start_sshd "$TMP/sshd_config"
}
