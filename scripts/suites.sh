#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Lists the selftest programs one boot runs, in file order, as "NAME TIMEOUT"
# lines; NAME_32 (m32 suites), then NAME_x32 (x32 suites) follow NAME in the
# default boot. Reads a file in selftests/suites format; SUITES="a,b" (or
# "a b") keeps only those programs. The host runner and the guest's /init both use it.
# usage: suites.sh SUITES_FILE BOOT
set -eu

[ $# -eq 2 ] || { echo "usage: $0 SUITES_FILE BOOT" >&2; exit 2; }
filter=$(echo "${SUITES:-}" | tr ' ' ',')
awk -v boot="$2" -v filter=",$filter," '
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
	if (!runs)
		next
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
	if (wanted($1, ""))
		print $1, timeout
	if (m32 && boot == "default" && wanted($1 "_32", $1))
		print $1 "_32", timeout
	if (x32 && boot == "default" && wanted($1 "_x32", $1))
		print $1 "_x32", timeout
}' "$1"
