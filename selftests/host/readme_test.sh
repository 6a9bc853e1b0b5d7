#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of README.md's examples, so that the README cannot rot: every
# ```sh and ```c block must be tagged file=NAME; scripts/readme-examples.sh
# writes them out; each C example compiles against include/uapi with -Wall
# -Wextra -Werror; each shell example passes `sh -n` and every command it
# names exists: a make target of the Makefile (and the boots, programs and
# kernels given to make check, and any other VAR= the build reads), a tool
# in tools/, a script in scripts/, a program an earlier line builds with
# -o, or else a command on this machine. Blocks also tagged "guest" must
# have a test in selftests/readme_test.c, which runs them in the QEMU guest
# as shipped; blocks tagged "host=TEST" are run line by line, as written, by
# selftests/host/TEST.sh on this host (it must name the block and read it
# with readme_lines); the others are checked here alone (a TAP comment names
# them). TAP on stdout, the plan at the end.
# usage: readme_test.sh [TOP [README]] (TOP: the tree's top, by default the
# current directory, where make check runs its host tests)
set -u

# The README's root commands (modprobe, dkms) live in sbin.
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "${1:-.}" && pwd)
readme=${2:-$top/README.md}
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

# result STATUS NAME: one TAP line; $tmp/why, if any, as comments under it.
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
		[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why"
	fi
	: >"$tmp/why"
}

why() {
	echo "$*" >>"$tmp/why"
}

# The fenced blocks: "LINE LANG NAME GUEST HOST" (NAME "-" when untagged,
# GUEST "guest" or "-", HOST the host test that runs it or "-"), for the
# opening fence of each block.
awk '
	/^```/ && !open {
		open = 1
		info = substr($0, 4)
		lang = info
		sub(/[ \t].*/, "", lang)
		name = "-"
		if (info ~ /file=/) {
			name = info
			sub(/.*file=/, "", name)
			sub(/[ \t].*/, "", name)
		}
		guest = (" " info " ") ~ /[ \t]guest[ \t]/ ? "guest" : "-"
		host = "-"
		if (info ~ /[ \t]host=/) {
			host = info
			sub(/.*[ \t]host=/, "", host)
			sub(/[ \t].*/, "", host)
		}
		print NR, (lang == "" ? "-" : lang), name, guest, host
		next
	}
	/^```/ && open { open = 0 }
' "$readme" >"$tmp/blocks"

# Every shell or C example is tagged, so none escapes the checks below.
awk '($2 == "sh" || $2 == "c" || $2 == "shell" || $2 == "bash") && $3 == "-" {
	print "README line " $1 ": a ```" $2 " block without file=NAME"
}' "$tmp/blocks" >"$tmp/why"
[ -s "$tmp/why" ]
result $((! $?)) "every sh and c block of README.md is tagged file=NAME"

if scripts/readme-examples.sh "$tmp/ex" "$readme" >"$tmp/names" 2>"$tmp/why"; then
	awk '$3 != "-" { print $3 }' "$tmp/blocks" | cmp -s - "$tmp/names" ||
		why "written: $(tr '\n' ' ' <"$tmp/names"), tagged: $(awk '$3 != "-" { printf "%s ", $3 }' "$tmp/blocks")"
fi
[ -s "$tmp/why" ]
result $((! $?)) "scripts/readme-examples.sh writes every tagged block ($(wc -l <"$tmp/names") files)"

# The simple commands of a shell file, one a line, words single-spaced:
# quoted strings become Q, command substitutions S (their insides are
# commands too), comments and fd redirections go, and lines are cut at
# pipes, lists and semicolons.
cat >"$tmp/commands.awk" <<'AWK'
function emit(s,	parts, i, k, p) {
	k = split(s, parts, /\|\||&&|[|;&()]/)
	for (i = 1; i <= k; i++) {
		p = parts[i]
		gsub(/^[ \t]+|[ \t]+$/, "", p)
		gsub(/[ \t]+/, " ", p)
		if (p != "")
			print p
	}
}
/\\$/ { sub(/\\$/, ""); held = held $0 " "; next }
{
	line = held $0
	held = ""
	gsub(/'[^']*'/, "Q", line)
	gsub(/"[^"]*"/, "Q", line)
	sub(/(^|[ \t])#.*$/, "", line)
	gsub(/[0-9]*[<>]&[0-9-]+/, " ", line)
	while (match(line, /\$\([^()]*\)/)) {
		emit(substr(line, RSTART + 2, RLENGTH - 3))
		line = substr(line, 1, RSTART - 1) "S" substr(line, RSTART + RLENGTH)
	}
	emit(line)
}
AWK

in_list() {
	case " $(echo "$2" | tr '\n,' '  ') " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# make_var FILE VAR=VALUE: the value names things that exist, or at least
# the build reads VAR.
make_var() {
	var=${2%%=*}
	val=${2#*=}
	case $var in
	BOOTS)
		boots=$(scripts/qemu-boot.sh --list)
		for b in $(echo "$val" | tr ',' ' '); do
			in_list "$b" "$boots" || why "$1: make $var: no boot '$b' (boots: $boots)"
		done
		;;
	SUITES)
		progs=$(awk '!/^#/ && NF { print $1 }' selftests/suites)
		for s in $(echo "$val" | tr ',' ' '); do
			in_list "$s" "$progs" || why "$1: make $var: no program '$s' in selftests/suites"
		done
		;;
	KERNELS)
		KERNELS=$val scripts/kernels.sh >/dev/null 2>>"$tmp/why" ||
			why "$1: make $var=$val: no such kernel installed"
		;;
	*)
		grep -rqw -- "$var" Makefile scripts ||
			why "$1: make $var=: neither the Makefile nor scripts/ read $var"
		;;
	esac
}

# command_exists FILE WORD ARGS...: the command a line of FILE runs.
command_exists() {
	path=$1
	f=$(basename "$1")
	c=$2
	shift 2
	case $c in
	make)
		for a in "$@"; do
			case $a in
			-*) ;;
			[A-Za-z_]*=*) make_var "$f" "$a" ;;
			*)
				grep -Eq "^([^#:=]*[[:space:]])?$a([[:space:]][^:=]*)?:([^=]|\$)" Makefile ||
					why "$f: make $a: no such target in the Makefile"
				;;
			esac
		done
		;;
	scripts/* | ./scripts/*)
		[ -x "${c#./}" ] || why "$f: $c: no such script"
		;;
	./*)
		grep -Eq -- "-o ${c#./}([[:space:]]|\$)" "$path" ||
			why "$f: $c: nothing in the block builds it"
		;;
	*)
		if [ -d "tools/$c" ]; then
			[ -f "tools/$c/$c.c" ] || [ -f "tools/$c/Makefile" ] ||
				why "$f: $c: tools/$c has no $c.c or Makefile"
		elif ! command -v "$c" >/dev/null 2>&1; then
			why "$f: $c: not a make target, tool, script or command here"
		fi
		;;
	esac
}

# check_commands FILE: every simple command of FILE exists.
check_commands() {
	file=$1
	awk -f "$tmp/commands.awk" "$file" >"$tmp/cmds"
	[ -s "$tmp/cmds" ] || why "$(basename "$file"): no command found"
	while read -r line; do
		set -f
		# shellcheck disable=SC2086 # the words of one command
		set -- $line
		set +f
		while [ $# -gt 0 ]; do
			case $1 in
			[A-Za-z_]*=*) shift ;;
			*) break ;;
			esac
		done
		[ $# -gt 0 ] && command_exists "$file" "$@"
	done <"$tmp/cmds"
}

guest_tested() {
	grep -q "\"$1\"" selftests/readme_test.c 2>/dev/null ||
		why "selftests/readme_test.c runs no \"$1\""
	awk '$1 == "readme_test"' selftests/suites | grep -q . ||
		why "selftests/suites does not list readme_test"
}

# host_tested NAME TEST: selftests/host/TEST.sh (make check runs every
# selftests/host/*.sh) runs README's NAME.
host_tested() {
	t=selftests/host/$2.sh
	if [ ! -f "$t" ]; then
		why "no $t"
	elif ! grep -q "readme_lines $1 " "$t"; then
		why "$t does not run $1 (no 'readme_lines $1')"
	fi
}

while read -r line lang name guest host; do
	[ "$name" != - ] || continue
	f=$tmp/ex/$name
	[ -f "$f" ] || { why "$name was not written"; result 1 "$name (README line $line)"; continue; }
	case $lang in
	c)
		cc -Wall -Wextra -Werror -I include/uapi -o "$tmp/$name.bin" "$f" \
			>>"$tmp/why" 2>&1
		result $? "$name compiles against include/uapi with -Wall -Wextra -Werror"
		;;
	sh)
		sh -n "$f" >>"$tmp/why" 2>&1
		result $? "$name: sh -n"
		check_commands "$f"
		[ -s "$tmp/why" ]
		result $((! $?)) "$name: every command it names exists"
		;;
	*)
		why "README line $line: no check for a $lang example"
		result 1 "$name (README line $line)"
		continue
		;;
	esac
	if [ "$guest" = guest ]; then
		guest_tested "$name"
		[ -s "$tmp/why" ]
		result $((! $?)) "$name runs in the QEMU guest (selftests/readme_test.c)"
	elif [ "$host" != - ]; then
		host_tested "$name" "$host"
		[ -s "$tmp/why" ]
		result $((! $?)) "$name runs on the host, as written (selftests/host/$host.sh)"
	elif [ "$lang" = sh ]; then
		echo "# $name: host only, checked here by sh -n and its commands"
	fi
done <"$tmp/blocks"

echo "1..$n"
[ "$fails" -eq 0 ]
