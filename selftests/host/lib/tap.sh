# SPDX-License-Identifier: GPL-2.0
# TAP output for the host tests (sourced, not run): ok DESC, not_ok DESC
# [LINES...] (each line shown as a "# " comment), check DESC CMD... (ok if
# CMD succeeds, else not ok with its output). $n counts the tests, $fails
# the failures.
# shellcheck shell=sh
n=0
fails=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	echo "not ok $n $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

check() {
	d=$1
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi
}

# readme_lines NAME DIR: the command lines of README.md's example NAME, which
# scripts/readme-examples.sh wrote to DIR, one a line and verbatim (their
# comments too); blank and comment-only lines are left out. The tests that run
# an example line by line check these against the steps they expect, so that
# a line added to README.md is not silently left unrun.
readme_lines() {
	grep -v -e '^[[:space:]]*$' -e '^[[:space:]]*#' "$2/$1"
}

# readme_shape FILE PATTERN...: FILE has as many lines as patterns and line
# i matches the extended regular expression PATTERN i; else says where not.
readme_shape() {
	f=$1
	shift
	i=0
	for p in "$@"; do
		i=$((i + 1))
		l=$(sed -n "${i}p" "$f")
		echo "$l" | grep -Eq -- "$p" || { echo "line $i is '$l', expected /$p/"; return 1; }
	done
	[ "$(wc -l <"$f")" -eq "$i" ] || { echo "$(wc -l <"$f") lines, expected $i"; return 1; }
}
