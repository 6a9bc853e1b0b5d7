#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the debug test kernel of "make check-debug" from Debian's
# linux-source-6.12 with scripts/debug/debug.config (allnoconfig plus that
# fragment) into a cache outside the repo, keyed by the source package's
# version and the fragment's hash:
#   ${BSDMEM_CACHE:-/var/cache/bsdmem}/debug-kernel/VERSION-HASH/root/
#     boot/vmlinuz-KVER, lib/modules/KVER/ (modules.builtin...; build -> the
#     O= tree external modules build against)
# Prints that root (the BSDMEM_KROOT the other scripts take). Does nothing
# but print it when it is cached. "--root" prints the root and exits 1 when
# it is not built yet; "--kver" prints the kernel release of a built one.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${BSDMEM_CACHE:-/var/cache/bsdmem}
TARBALL=${BSDMEM_LINUX_SOURCE_DEBUG:-/usr/src/linux-source-6.12.tar.xz}
PKG=linux-source-6.12
FRAG=$top/scripts/debug/debug.config

ver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) || ver=
if [ -z "$ver" ] || [ ! -f "$TARBALL" ]; then
	echo "debug-kernel: $PKG is not installed (scripts/deps.sh)" >&2
	exit 1
fi
# The key: the source's version, the fragment and the recipe's version (raise
# RECIPE when a change below changes what gets built).
RECIPE=1
hash=$( (echo "recipe $RECIPE"; cat "$FRAG") | sha256sum | cut -c1-12)
dir=$CACHE/debug-kernel/$(echo "$ver" | tr '~:+' '___')-$hash
root=$dir/root

built() {
	[ -f "$dir/done" ]
}
kver() {
	cat "$dir/kver"
}

case ${1:-} in
--root)
	built || exit 1
	echo "$root"
	exit 0
	;;
--kver)
	built || exit 1
	kver
	exit 0
	;;
esac

if built; then
	echo "$root"
	exit 0
fi

jobs=$(nproc)
start=$(date +%s)
echo "debug-kernel: building $PKG $ver with $(basename "$FRAG") in $dir ($jobs jobs; about 10 minutes on 2 cores)" >&2
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
tar -xJf "$TARBALL" -C "$dir"
src=$dir/$PKG
obj=$dir/obj
mkdir -p "$obj"
k() {
	make -C "$src" O="$obj" -j"$jobs" "$@" >>"$log" 2>&1
}
if ! k KCONFIG_ALLCONFIG="$FRAG" allnoconfig; then
	tail -20 "$log" >&2
	echo "debug-kernel: configuring failed (log: $log)" >&2
	exit 1
fi
# Kconfig drops a symbol whose dependencies are not met, silently: every
# line of the fragment must be in the result.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAG" | while IFS= read -r line; do
	sym=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "$sym=.*" "$obj/.config" && echo "$line (got $(grep "^$sym=" "$obj/.config"))"
	else
		grep -qxF "$line" "$obj/.config" || echo "$line (got $(grep "^$sym=\|^# $sym " "$obj/.config" || echo nothing))"
	fi
done || true)
if [ -n "$missing" ]; then
	echo "debug-kernel: the configuration lacks what $(basename "$FRAG") asks for:" >&2
	echo "$missing" | sed 's/^/    /' >&2
	exit 1
fi
if ! k bzImage modules; then
	grep -E 'error|Error' "$log" | head -20 >&2
	echo "debug-kernel: the build failed (log: $log)" >&2
	exit 1
fi
rel=$(make -s -C "$src" O="$obj" kernelrelease 2>/dev/null | tail -1)
mkdir -p "$root/boot" "$root/lib/modules"
cp "$obj/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$rel"
k INSTALL_MOD_PATH="$root" DEPMOD=/sbin/depmod modules_install
rm -rf "$root/lib/modules/$rel/build"
ln -s "$obj" "$root/lib/modules/$rel/build"
echo "$rel" >"$dir/kver"
echo "$(( $(date +%s) - start ))" >"$dir/build-seconds"
touch "$dir/done"
# One debug kernel at a time: an older key's tree is 3 GB of nothing.
for old in "$CACHE"/debug-kernel/*; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
echo "debug-kernel: built $rel in $(( $(date +%s) - start )) s" >&2
echo "$root"
