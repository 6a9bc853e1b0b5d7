#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds bsdmem.ko for one kernel out of a private copy of the sources:
#   module.sh build KVER    W=1 into build/KVER/bsdmem.ko
#   module.sh sparse KVER   W=1 C=2 (sparse on every file) in build/sparse-KVER/
# Only changed files are copied, so Kbuild rebuilds only what changed. Any
# compiler, modpost or sparse warning fails. BSDMEM_SRC overrides the tree.
set -eu

mode=$1
kver=$2
top=$(cd "$(dirname "$0")/.." && pwd)
src=${BSDMEM_SRC:-$top}
case $mode in
build) out=$top/build/$kver; extra= ;;
sparse) out=$top/build/sparse-$kver; extra=C=2 ;;
*) echo "usage: $0 build|sparse KVER" >&2; exit 2 ;;
esac
# BSDMEM_KROOT: a kernel installed under another root (scripts/kernels.sh).
kdir=${BSDMEM_KROOT:-}/lib/modules/$kver/build
[ -d "$kdir" ] || { echo "module: no kernel build tree $kdir" >&2; exit 1; }

# Mirror Kbuild, driver/ and include/ into $out. Unchanged files keep their
# copy and its time; a changed one gets a fresh time even if the tree's copy is
# older (git checkout), so Kbuild never keeps a stale object.
mkdir -p "$out"
(cd "$src" && find Kbuild driver include -type f \( -name Kbuild -o -name '*.[ch]' \)) |
while read -r f; do
	if ! cmp -s "$src/$f" "$out/$f"; then
		mkdir -p "$out/$(dirname "$f")"
		cp "$src/$f" "$out/$f"
	fi
done
# Drop sources (and their objects) deleted from the tree.
(cd "$out" && find driver include -type f -name '*.[ch]' 2>/dev/null) |
while read -r f; do
	[ -e "$src/$f" ] || rm -f "$out/$f" "$out/${f%.c}.o"
done

# Kbuild's MODULE_VERSION: the copy is not a git tree, so it gets VERSION.
v=$("$top/scripts/version.sh")
[ "$(cat "$out/VERSION" 2>/dev/null)" = "$v" ] || echo "$v" >"$out/VERSION"

log=$out/make.log
set +e
# The debug kernel's module counts coverage (Kbuild, scripts/coverage.sh).
[ "${BSDMEM_DEBUG:-}" = 1 ] && extra="$extra BSDMEM_GCOV=1"
make -C "$kdir" M="$out" W=1 $extra modules >"$log" 2>&1
rc=$?
set -e
sed "s|$out/||g" "$log"
if [ $rc -ne 0 ]; then
	echo "module: $mode for $kver failed (log: $log)" >&2
	exit 1
fi
# Warnings from the kernel's own headers under sparse are not ours.
if [ "$mode" = sparse ]; then
	bad=$(grep -E '(warning|error):' "$log" | grep -F "$out/" || true)
else
	bad=$(grep -i 'warning:' "$log" || true)
fi
if [ -n "$bad" ]; then
	echo "module: $mode for $kver has warnings (treated as errors):" >&2
	echo "$bad" | sed "s|$out/||g" >&2
	# Force a full rebuild next time so the warnings cannot hide.
	find "$out" -name '*.o' -delete
	rm -f "$out/bsdmem.ko"
	exit 1
fi
