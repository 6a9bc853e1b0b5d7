#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make dist": build/dist/bsdmem-VERSION.tar.gz, the source tree as it is
# (git's tracked files, or in a tree that is not git every file but build/)
# with the version written in: VERSION, dkms.conf's PACKAGE_VERSION and, when
# it is not a release the changelog has, a snapshot entry atop
# debian/changelog (scripts/version.sh --stamp). Built from it, everything
# says the same version without git. Prints the tarball's path.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(scripts/version.sh)
name=bsdmem-$ver
out=$top/build/dist
stage=$out/$name
rm -rf "$stage" "$out/$name.tar.gz"
mkdir -p "$stage"

if git -c safe.directory="$top" rev-parse --show-toplevel 2>/dev/null |
	grep -qxF "$(pwd -P)"; then
	files=$(git -c safe.directory="$top" ls-files)
	new=$(git -c safe.directory="$top" ls-files --others --exclude-standard)
	[ -z "$new" ] ||
		echo "dist: not in the tarball (not known to git): $(echo "$new" | tr '\n' ' ')" >&2
	when=$(git -c safe.directory="$top" log -1 --format=%ct)
else
	files=$(find . -path ./build -prune -o ! -type d -print | sed 's|^\./||')
	when=$(stat -c %Y VERSION 2>/dev/null || date +%s)
fi
echo "$files" | while read -r f; do
	# A tracked file deleted in the work tree is not part of it.
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ "$f" = VERSION ] && continue
	cp -P --parents "$f" "$stage/"
done
scripts/version.sh --stamp "$stage"
tar -C "$out" --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime="@$when" -czf "$out/$name.tar.gz" "$name"
rm -rf "$stage"
echo "$out/$name.tar.gz"
