#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The examples README.md shows, as files, so that tests compile and run what
# a reader copies: every fenced block whose info string names a file
# ("```c file=port-example.c") is written to OUTDIR/NAME, verbatim.
#   scripts/readme-examples.sh OUTDIR [README]
# Prints the names written, one per line; exit 1 if there are none or a name
# repeats or is not a plain file name.
set -eu

out=${1:?usage: readme-examples.sh OUTDIR [README]}
readme=${2:-$(dirname "$0")/../README.md}
mkdir -p "$out"
awk -v out="$out" '
	/^```/ && name == "" && $0 ~ /file=/ {
		name = $0
		sub(/.*file=/, "", name)
		sub(/[ \t].*/, "", name)
		if (name !~ /^[A-Za-z0-9._-]+$/ || name ~ /^\./) {
			print "readme-examples: bad file name: " name > "/dev/stderr"
			bad = 1
			exit
		}
		if (name in seen) {
			print "readme-examples: " name " twice" > "/dev/stderr"
			bad = 1
			exit
		}
		seen[name] = 1
		path = out "/" name
		printf "" > path
		next
	}
	/^```/ && name != "" {
		close(path)
		print name
		n++
		name = ""
		next
	}
	name != "" { print >> path }
	END {
		if (name != "") {
			print "readme-examples: " name " never ends" > "/dev/stderr"
			exit 1
		}
		if (bad || !n)
			exit 1
	}
' "$readme"
