#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make deb": bsdmem-dkms (all) and bsdmem-tools (amd64) into build/deb/,
# built with Debian's tooling (debian/: dh, dh-dkms; dpkg-buildpackage -us
# -uc -b) in the tree "make dist" writes, so that the packages, the module
# and the tools carry scripts/version.sh's version. Then lintian on both:
# its report is build/deb/lintian.txt; an error fails make deb.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
for c in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$c" >/dev/null ||
		{ echo "deb: $c is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

out=$top/build/deb
tarball=$(scripts/dist.sh)
rm -rf "$out"
mkdir -p "$out/src"
tar -C "$out/src" -xzf "$tarball"
tree=$(find "$out/src" -mindepth 1 -maxdepth 1 -type d)
log=$out/build.log
echo "deb: dpkg-buildpackage -us -uc -b in $tree (log: $log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
# The debug symbols (bsdmem-tools-dbgsym) aside: build/deb/*.deb installs.
mkdir "$out/dbgsym"
# (none under DEB_BUILD_OPTIONS=noautodbgsym).
find "$out/src" -maxdepth 1 -name '*-dbgsym_*.deb' -exec mv -t "$out/dbgsym/" {} +
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"

# lintian's exit status follows its --fail-on (error by default here).
rc=0
lintian --display-info --fail-on error "$out"/*.deb >"$out/lintian.txt" 2>&1 || rc=$?
for t in E W I; do
	printf 'deb: lintian %s: %s\n' "$t" "$(grep -c "^$t: " "$out/lintian.txt")"
done
grep -E '^(E|W): ' "$out/lintian.txt" | sed 's/^/    /' || true
for d in "$out"/*.deb; do
	echo "deb: $(basename "$d") $(stat -c %s "$d") bytes"
done
if [ "$rc" -ne 0 ]; then
	echo "deb: lintian failed (exit $rc; $out/lintian.txt)" >&2
	exit 1
fi
