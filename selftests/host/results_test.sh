#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of scripts/results.awk, the counter of every boot's results: each
# case is a results file the harness must count as failed (or passed) and
# would once have counted as passed. TAP on stdout.
# usage: results_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
awkf=$top/scripts/results.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/skips" <<'LIST'
# PROGRAM	TEST	BOOTS	KERNELS	REASON
prog_a	fix.only_here	nopat,nomtrr	*	backend is * here
prog_a	fix.old_kernel	default	6.1	no such thing on 6.1
boot	reload	lockdown	*	lockdown is *
prog_w	-	default	*	*
prog_a*	fix.glob_*	numa	*	first reason
prog_a	fix.glob_x	numa	*	second reason
prog_a	fix.dbg	big	debug	debug kernel only
LIST
printf 'prog_a\tfix.crlf\tvmem\t*\tsome reason\r\n' >"$tmp/skips.crlf"

n=0
fails=0
# case_ NAME WANT_FAILED WANT_SKIPPED BOOT KVER: $tmp/res must give
# WANT_FAILED failures and WANT_SKIPPED skips.
case_() {
	n=$((n + 1))
	out=$(awk -v expect="prog_a" -v skips="${SKIPS:-$tmp/skips}" -v boot="$4" \
		-v kver="$5" -f "$awkf" "$tmp/res")
	# shellcheck disable=SC2046 # the three counts
	set -- "$1" "$2" "$3" $(echo "$out" | sed -n 1p)
	if [ "$5" = "$2" ] && [ "$6" = "$3" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

echo "1..17"

# A section as the 6.1 kselftest harness prints it: RUN line, ok line
# without a name for a skip.
sect() {
	echo "# bsdmem-suite: prog_a"
	echo "1..$1"
	shift
	i=0
	for t in "$@"; do
		i=$((i + 1))
		echo "#  RUN           ${t%%|*} ..."
		case $t in
		*"|fail")	echo "# x.c:10:${t%%|*}:Expected 0 (0) == r (1)"
				echo "not ok $i ${t%%|*}" ;;
		*"|failskip")	echo "# x.c:10:${t%%|*}:Expected 0 (0) == r (1)"
				echo "#      SKIP      ${t#*|}"
				echo "ok $i # SKIP then skipped" ;;
		*"|"*)		echo "#      SKIP      ${t#*|}"
				echo "ok $i # SKIP ${t#*|}" ;;
		*)		echo "ok $i ${t}" ;;
		esac
	done
	echo "# bsdmem-suite-exit: prog_a 0"
	echo "# bsdmem-suite: boot"
	echo "ok 1 load"
	echo "1..1"
	echo "# bsdmem-suite-exit: boot 0"
	echo "# bsdmem-boot-done"
}

sect 2 fix.a "fix.only_here|backend is none here" >"$tmp/res"
case_ "listed skip in a listed boot counts as a skip" 0 1 nopat 6.12.1
sect 3 fix.a "fix.only_here|backend is none here" "fix.b|backend is none here" >"$tmp/res"
case_ "a skip not on the list fails" 1 1 nomtrr 6.12.1
sect 2 fix.a "fix.only_here|backend is none here" >"$tmp/res"
case_ "a listed skip in another boot fails" 1 0 default 6.12.1
sect 2 fix.a "fix.only_here|a different reason" >"$tmp/res"
case_ "a listed skip for another reason fails" 1 0 nomtrr 6.1.0
sect 2 fix.a fix.only_here >"$tmp/res"
case_ "a listed skip that passes fails" 1 0 nopat 6.12.1
sect 1 fix.a >"$tmp/res"
case_ "a listed test that is not reported fails" 1 0 nopat 6.12.1
sect 2 fix.a "fix.old_kernel|no such thing on 6.1" >"$tmp/res"
case_ "a skip listed for 6.1 counts on 6.1" 0 1 default 6.1.0-56-amd64
sect 2 fix.a "fix.old_kernel|no such thing on 6.1" >"$tmp/res"
case_ "the same skip on 6.12 fails" 1 0 default 6.12.117+deb12-amd64
sect 2 fix.a "fix.c|failskip" >"$tmp/res"
case_ "a skip after a failed check fails" 1 0 default 6.12.1
sect 2 fix.a "fix.c|fail" >"$tmp/res"
case_ "a plain failure fails" 1 0 default 6.12.1
sect 1 fix.a fix.b >"$tmp/res"
case_ "more results than the plan fail" 1 0 default 6.12.1
{
	echo "# bsdmem-suite: prog_a"
	echo "# bsdmem-suite-exit: prog_a 4"
	echo "# bsdmem-suite: boot"
	echo "1..1"
	echo "ok 1 load"
	echo "# bsdmem-suite-exit: boot 0"
	echo "# bsdmem-boot-done"
} >"$tmp/res"
case_ "a whole program skipping, unlisted, fails" 1 0 default 6.12.1

{
	sect 1 fix.a | sed '/bsdmem-suite: boot/,$d'
	echo "# bsdmem-suite: prog_w"
	echo "# bsdmem-suite-exit: prog_w 4"
	echo "# bsdmem-suite: boot"
	echo "1..1"
	echo "ok 1 load"
	echo "# bsdmem-suite-exit: boot 0"
	echo "# bsdmem-boot-done"
} >"$tmp/res"
case_ "a listed whole-program skip counts as a skip" 0 1 default 6.12.1
{
	sect 2 fix.a "fix.glob_x|second reason" | sed '/bsdmem-suite: boot/,$d'
	echo "# bsdmem-suite: prog_a:kernel"
	echo "1..1"
	echo "ok 1 kernel-log-clean-while-prog_a-ran"
	echo "# bsdmem-suite-exit: prog_a:kernel 0"
	echo "# bsdmem-suite: boot"
	echo "1..1"
	echo "ok 1 load"
	echo "# bsdmem-suite-exit: boot 0"
	echo "# bsdmem-boot-done"
} >"$tmp/res"
case_ "overlapping entries; a program glob leaves NAME:kernel alone" 0 1 numa 6.1.0
sect 2 fix.a "fix.crlf|some reason" >"$tmp/res"
SKIPS=$tmp/skips.crlf case_ "a list with CRLF line ends still matches" 0 1 vmem 6.1.0
sect 2 fix.a "fix.dbg|debug kernel only" >"$tmp/res"
case_ "a skip listed for the debug kernel counts there" 0 1 big 6.12.117-bsdmem-debug
case_ "the same skip on the 6.12 production kernel fails" 1 0 big 6.12.117+deb12-amd64

[ "$fails" = 0 ]
