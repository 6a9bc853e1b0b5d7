#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Extracts the few linux-source-6.1 files the build needs into a cache outside
# the repo (${BSDMEM_CACHE:-/var/cache/bsdmem}): the kselftest headers into
# ksft/ and checkpatch.pl with its data files into checkpatch/. Does nothing
# when they are cached. Prints the cache directory; "--dir" only prints it.
set -eu

CACHE=${BSDMEM_CACHE:-/var/cache/bsdmem}
TARBALL=${BSDMEM_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
TOP=linux-source-6.1

if [ "${1:-}" = --dir ]; then
	echo "$CACHE"
	exit 0
fi

# cache subdir, then the tarball members (below $TOP/) it gets, flattened
KSFT="tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h"
CHECKPATCH="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch"

cached() {
	for m in $2; do
		[ -s "$CACHE/$1/$(basename "$m")" ] || return 1
	done
}

if cached ksft "$KSFT" && cached checkpatch "$CHECKPATCH"; then
	echo "$CACHE"
	exit 0
fi

if [ ! -f "$TARBALL" ]; then
	echo "ksft: $TARBALL is missing (install linux-source-6.1: scripts/deps.sh)" >&2
	exit 1
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
members=
for m in $KSFT $CHECKPATCH; do
	members="$members $TOP/$m"
done
echo "ksft: extracting kselftest headers and checkpatch from $TARBALL" >&2
# shellcheck disable=SC2086 # one word per member
tar -xJf "$TARBALL" -C "$tmp" $members

for pair in "ksft:$KSFT" "checkpatch:$CHECKPATCH"; do
	dir=${pair%%:*}
	mkdir -p "$tmp/$dir"
	for m in ${pair#*:}; do
		mv "$tmp/$TOP/$m" "$tmp/$dir/"
	done
	rm -rf "${CACHE:?}/$dir"
	mv "$tmp/$dir" "$CACHE/$dir"
done
echo "$CACHE"
