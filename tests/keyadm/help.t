#!/bin/sh
# keyadm CMD --help describes every option CMD takes, each with words of
# its own; the list of options comes from keyadm's own tables (main.c),
# and the twin: every option the table does not give CMD is refused by it.
# So neither the help nor this test can drift from the parser.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

# "CMD OPT takes-value" for every command and option main.c knows
python3 - "$TOP/keyadm/main.c" >"$TMP/table" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
bits = {}
for name, bit, kind in re.findall(r'\{"([a-z-]+)", (KA_O_\w+), (STR|FLAG)\(', src):
    if bit != "KA_O_VERSION":  # keyadm --version, of no command
        bits[bit] = (name, kind == "STR")
glob = re.search(r'#define KA_O_GLOBAL \(([^)]*)\)', src).group(1)
glob = [b.strip() for b in glob.split("|") if b.strip() != "KA_O_VERSION"]
table = src[src.index("cmddefs[] = {"):]
table = table[:table.index("\n};")]
for cmd, opts in re.findall(r'\{"([a-z-]+)", ka_cmd_\w+,\s*([^,]+),', table, re.S):
    mine = [] if opts.strip() == "0" else [b.strip() for b in opts.split("|")]
    for b in bits:
        print(cmd, bits[b][0], int(bits[b][1]), "yes" if b in mine or b in glob else "no")
PY
ncmd=$(cut -d' ' -f1 "$TMP/table" | sort -u | wc -l)
[ "$ncmd" -ge 15 ] && ok "the tables name $ncmd commands" || not_ok "only $ncmd commands parsed from main.c"
grep -q "^create batch 0 yes$" "$TMP/table" && grep -q "^create grace 1 no$" "$TMP/table" &&
	ok "the parse reads main.c right (create takes --batch, not --grace)" ||
	not_ok "main.c parse: $(grep '^create ' "$TMP/table" | tr '\n' ';')"

# a path no command can make a store in: a refused option changes nothing
: >"$TMP/file"
NODB="$TMP/file/keys.db"
missing="" described="" refused="" accepted=""
while read -r cmd opt val takes; do
	help=$(ka "$cmd" --help 2>&1)
	line=$(printf '%s\n' "$help" | grep -E -- "^  --$opt( [A-Z]+)? ")
	if [ "$takes" = yes ]; then
		[ -n "$line" ] || missing="$missing $cmd:--$opt"
		# the words after the option, not just its name
		words=$(printf '%s\n' "$line" | sed -E "s/^  --$opt( [A-Z]+)? +//")
		[ "${#words}" -ge 8 ] || described="$described $cmd:--$opt"
		continue
	fi
	[ -z "$line" ] || missing="$missing $cmd:+--$opt"
	if [ "$val" = 1 ]; then set -- "--$opt" x; else set -- "--$opt"; fi
	err=$(ka --db "$NODB" "$cmd" "$@" 2>&1 </dev/null)
	rc=$?
	case "$err" in *"$cmd does not take --$opt"*) [ "$rc" = 2 ] || refused="$refused $cmd:--$opt" ;;
	*) refused="$refused $cmd:--$opt" ;; esac
	accepted="$accepted."
done <"$TMP/table"
is "every option of every command is in its --help (and no other)" "$missing" ""
# and no word of CMD --help names an option CMD refuses (a completion
# may read the options from it)
stray=""
for cmd in $(cut -d' ' -f1 "$TMP/table" | sort -u); do
	for o in $(ka "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q "^$cmd ${o#--} [01] yes$" "$TMP/table" || stray="$stray $cmd:$o"
	done
done
is "CMD --help names only options CMD takes" "$stray" ""
is "every option has words of its own in --help" "$described" ""
is "every option a command does not take is refused with exit 2" "$refused" ""
[ "${#accepted}" -gt 100 ] && ok "${#accepted} refusals tried" || not_ok "only ${#accepted} refusals tried"

# what the words say where one option means different things
like "create --name: names a new key" "$(ka create --help)" "^  --name TEXT +a label for the key"
like "set --name: renames" "$(ka set --help)" "^  --name TEXT +rename the key"
like "rotate --grace: a DURATION" "$(ka rotate --help)" "^  --grace DURATION +the old key still logs in"
like "create --json: JSON Lines with --batch" "$(ka create --help)" "with --batch JSON"
like "revoke --json: JSON Lines" "$(ka revoke --help)" "^  --json +JSON Lines"
like "help COMMAND is CMD --help" "$(ka help set)" "^  --any-source +every source again"
check_exit "help for no such command: exit 2" 2 q ka frob --help
# the lines fit a terminal
wide=$(for c in $(cut -d' ' -f1 "$TMP/table" | sort -u); do ka "$c" --help; done |
	grep -v '^usage:\|^   ' | awk 'length > 79' | head -3)
is "option lines are at most 79 columns" "$wide" ""

done_testing
