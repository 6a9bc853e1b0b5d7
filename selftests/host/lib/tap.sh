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
