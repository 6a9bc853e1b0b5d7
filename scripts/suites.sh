#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The one reader of selftests/suites (format in that file):
#   suites.sh FILE BOOT      the programs BOOT runs, in file order, as
#                            "NAME TIMEOUT [GLOB...]" lines (the globs of
#                            tests@BOOT, when BOOT runs only those tests);
#                            NAME_32 (m32 suites), then NAME_x32 (x32 suites)
#                            follow NAME in the default boot. SUITES="a,b"
#                            (or "a b") keeps only those.
#   suites.sh --binaries FILE  every program to build: NAME, NAME_32, NAME_x32
#   suites.sh --timeouts FILE  every program as "NAME TIMEOUT"
#   suites.sh --boots FILE     every boot the file names, one per line
#   suites.sh --runs FILE BOOT PROGRAM TEST
#                            exit 0 if BOOT runs PROGRAM's test TEST (its
#                            TAP name), 1 if not (a host check's plan)
# The host runner, the guest's /init and selftests/Makefile all use it.
set -eu

if [ $# -eq 5 ] && [ "$1" = --runs ]; then
	# The program's line for the boot, then its globs, matched as the
	# guest's runner (fnmatch) matches them.
	line=$(SUITES='' sh "$0" "$2" "$3" | awk -v p="$4" '$1 == p')
	[ -n "$line" ] || exit 1
	set -f
	# shellcheck disable=SC2086 # NAME TIMEOUT GLOB...: one word each
	set -- "$5" $line
	test=$1
	shift 3
	[ $# -eq 0 ] && exit 0
	for g in "$@"; do
		# shellcheck disable=SC2254 # the glob is the point
		case $test in $g) exit 0 ;; esac
	done
	exit 1
fi
if [ $# -eq 2 ] && case $1 in --binaries | --timeouts | --boots) ;; *) false ;; esac; then
	mode=${1#--}
	file=$2
	boot=
elif [ $# -eq 2 ]; then
	mode=boot
	file=$1
	boot=$2
else
	echo "usage: $0 SUITES_FILE BOOT | --binaries|--timeouts|--boots SUITES_FILE | --runs SUITES_FILE BOOT PROGRAM TEST" >&2
	exit 2
fi
filter=$(echo "${SUITES:-}" | tr ' ' ',')
awk -v mode="$mode" -v boot="$boot" -v filter=",$filter," '
function wanted(name, base) {
	return filter == ",," || index(filter, "," name ",") || (base != "" && index(filter, "," base ","))
}
/^[ \t]*(#|$)/ { next }
{
	n = split($2, boots, ",")
	runs = 0
	for (i = 1; i <= n; i++)
		if (boots[i] == boot)
			runs = 1
	timeout = 120
	m32 = 0
	x32 = 0
	tests = ""
	for (f = 3; f <= NF; f++) {
		k = split($f, opts, ",")
		for (i = 1; i <= k; i++) {
			if (opts[i] == "m32")
				m32 = 1
			else if (opts[i] == "x32")
				x32 = 1
			else if (opts[i] ~ /^timeout=[0-9]+$/)
				timeout = substr(opts[i], 9)
			else if (opts[i] ~ /^tests@[a-z0-9]+=[^+]+(\+[^+]+)*$/) {
				eq = index(opts[i], "=")
				tb = substr(opts[i], 7, eq - 7)
				if (index("," $2 ",", "," tb ",") == 0) {
					printf "suites.sh: %s: %s names a boot the program does not run in\n", $1, opts[i] > "/dev/stderr"
					bad = 1
				}
				if (tb == boot) {
					tests = substr(opts[i], eq + 1)
					gsub(/\+/, " ", tests)
				}
			} else {
				printf "suites.sh: %s: unknown option %s\n", $1, opts[i] > "/dev/stderr"
				bad = 1
			}
		}
	}
	if (mode == "boots") {
		for (i = 1; i <= n; i++)
			if (!(boots[i] in named)) {
				named[boots[i]] = 1
				print boots[i]
			}
		next
	}
	if (mode == "timeouts") {
		print $1, timeout
		next
	}
	if (mode == "binaries") {
		print $1
		if (m32)
			print $1 "_32"
		if (x32)
			print $1 "_x32"
		next
	}
	if (!runs)
		next
	tail = tests == "" ? "" : " " tests
	if (wanted($1, ""))
		print $1, timeout tail
	if (m32 && boot == "default" && wanted($1 "_32", $1))
		print $1 "_32", timeout tail
	if (x32 && boot == "default" && wanted($1 "_x32", $1))
		print $1 "_x32", timeout tail
}
END { exit bad }' "$file"
