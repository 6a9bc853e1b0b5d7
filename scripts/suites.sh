#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The one reader of selftests/suites (format in that file):
#   suites.sh FILE BOOT      the programs BOOT runs, in file order, as
#                            "NAME TIMEOUT" lines; NAME_32 (m32 suites), then
#                            NAME_x32 (x32 suites) follow NAME in the default
#                            boot. SUITES="a,b" (or "a b") keeps only those.
#   suites.sh --binaries FILE  every program to build: NAME, NAME_32, NAME_x32
#   suites.sh --timeouts FILE  every program as "NAME TIMEOUT"
#   suites.sh --boots FILE     every boot the file names, one per line
# The host runner, the guest's /init and selftests/Makefile all use it.
set -eu

if [ $# -eq 2 ] && case $1 in --binaries | --timeouts | --boots) ;; *) false ;; esac; then
	mode=${1#--}
	file=$2
	boot=
elif [ $# -eq 2 ]; then
	mode=boot
	file=$1
	boot=$2
else
	echo "usage: $0 SUITES_FILE BOOT | --binaries|--timeouts|--boots SUITES_FILE" >&2
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
	for (f = 3; f <= NF; f++) {
		k = split($f, opts, ",")
		for (i = 1; i <= k; i++) {
			if (opts[i] == "m32")
				m32 = 1
			else if (opts[i] == "x32")
				x32 = 1
			else if (opts[i] ~ /^timeout=[0-9]+$/)
				timeout = substr(opts[i], 9)
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
	if (wanted($1, ""))
		print $1, timeout
	if (m32 && boot == "default" && wanted($1 "_32", $1))
		print $1 "_32", timeout
	if (x32 && boot == "default" && wanted($1 "_x32", $1))
		print $1 "_x32", timeout
}' "$file"
