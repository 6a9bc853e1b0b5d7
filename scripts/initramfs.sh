#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Packs the test guest's initramfs for one kernel, build/initramfs/KVER.cpio.gz
# (prints its path; rebuilt only when an input changed): static busybox, /init,
# bsdmem.ko plus the in-tree modules the tests use (decompressed, depmod'ed),
# build/selftests/*, the suites file, build/tools/* and README.md's example
# blocks in /readme (scripts/readme-examples.sh). For harness work,
# BSDMEM_KO_DIR (DIR/KVER/bsdmem.ko), BSDMEM_SELFTESTS, BSDMEM_SUITES override.
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ko=$(realpath -m "${BSDMEM_KO_DIR:-$top/build}/$kver/bsdmem.ko")
tests=$(realpath -m "${BSDMEM_SELFTESTS:-$top/build/selftests}")
suites=$(realpath -m "${BSDMEM_SUITES:-$top/selftests/suites}")
# In-tree modules the guest loads besides bsdmem's own dependencies.
GUEST_MODULES=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$top/scripts/guest-modules")

out=$top/build/initramfs/$kver.cpio.gz
root=$top/build/initramfs/$kver.root
# BSDMEM_KROOT: a kernel installed under another root (scripts/kernels.sh).
kroot=${BSDMEM_KROOT:-}
mods=$kroot/lib/modules/$kver

[ -f "$ko" ] || { echo "initramfs: $ko is missing (make modules)" >&2; exit 1; }
[ -f "$suites" ] || { echo "initramfs: $suites is missing" >&2; exit 1; }

# Everything the image depends on, with sizes and times: the manifest.
inputs() {
	echo "modules: $GUEST_MODULES"
	find /bin/busybox "$top/scripts/guest-init.sh" "$top/scripts/guest-demo.sh" \
		"$top/scripts/suites.sh" "$top/scripts/guest-modules" "$ko" "$suites" "$mods/modules.dep" \
		"$top/README.md" "$top/scripts/readme-examples.sh" -maxdepth 0 -printf '%p %s %T@\n'
	for d in "$tests" "$top/build/tools"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -perm -u+x -printf '%p %s %T@\n'
	done
	true
}
manifest=$(inputs | sort)
# One packer per image at a time (make check boots in parallel): the others
# wait, then find it up to date.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -f "$out" ] && [ "$manifest" = "$(cat "$out.inputs" 2>/dev/null)" ]; then
	echo "$out"
	exit 0
fi

echo "initramfs: packing $out" >&2
rm -rf "$root"
mkdir -p "$root" && cd "$root"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev tmp mnt/host root etc \
	selftests tools "lib/modules/$kver/extra"
cp /bin/busybox bin/
cp "$top/scripts/guest-init.sh" init
cp "$top/scripts/guest-demo.sh" guest-demo.sh
cp "$top/scripts/suites.sh" suites.sh
cp "$top/scripts/guest-modules" guest-modules
chmod 755 init guest-demo.sh suites.sh
[ "$(id -u)" = 0 ] && mknod -m 600 dev/console c 5 1
echo "root:x:0:0:root:/root:/bin/sh" >etc/passwd
printf 'root:x:0:\nkmem:x:15:\n' >etc/group

# bsdmem.ko's own dependencies (modpost records them) plus the helpers.
deps=$(modinfo -F depends "$ko" | tr ',' ' ')
cp "$ko" "lib/modules/$kver/extra/bsdmem.ko"
for m in $deps $GUEST_MODULES; do
	modprobe -d "${kroot:-/}" -S "$kver" --show-depends "$m" | while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		rel=${path#"$mods"/}
		dst=lib/modules/$kver/${rel%.*z}
		dst=${dst%.zst}
		[ -f "$dst" ] && continue
		mkdir -p "$(dirname "$dst")"
		case $path in
		*.xz) xz -dc "$path" >"$dst" ;;
		*.zst) zstd -qdc "$path" >"$dst" ;;
		*.gz) gzip -dc "$path" >"$dst" ;;
		*) cp "$path" "$dst" ;;
		esac
	done
done
cp "$mods/modules.builtin" "$mods/modules.builtin.modinfo" "$mods/modules.order" \
	"lib/modules/$kver/"
err=$(depmod -b . -e -E "$mods/build/Module.symvers" "$kver" 2>&1)
if echo "$err" | grep -q 'unknown symbol'; then
	echo "initramfs: modules need symbols nothing in the image provides:" >&2
	echo "$err" >&2
	exit 1
fi

cp "$suites" selftests/suites
# selftests/readme_test runs README.md's guest examples as they are written.
"$top/scripts/readme-examples.sh" readme "$top/README.md" >/dev/null
# The tests run the tools (memcontrol, bsdlivedump, minidump): no image
# without them.
for d in "$tests:selftests" "$top/build/tools:tools"; do
	src=${d%:*}
	[ -d "$src" ] || { echo "initramfs: $src is missing (make selftests tools)" >&2; exit 1; }
	find "$src" -maxdepth 1 -type f -perm -u+x -exec cp -p {} "${d##*:}/" \;
done

find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$manifest" >"$out.inputs"
echo "$out"
