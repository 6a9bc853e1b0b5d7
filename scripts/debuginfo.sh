#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Caches the debug vmlinux of every target kernel (scripts/kernels.sh) for
# drgn and crash: $BSDMEM_CACHE/debuginfo/<kver>/vmlinux, taken out of
# Debian's linux-image-<kver>-dbg .deb (only that one file; the .deb is
# downloaded to a temporary directory and deleted). The file is accepted
# only when its GNU build-id equals the one in /boot/vmlinuz-<kver> (the
# compressed kernel inside the bzImage, unpacked) and its md5 equals the
# .deb's md5sums entry. A second run finds the cache valid and says so.
#   scripts/debuginfo.sh            fill the cache (root)
#   scripts/debuginfo.sh --path KVER
#                                   print the cached vmlinux, exit 1 if the
#                                   cache lacks it (no download)
set -eu
CACHE=${BSDMEM_CACHE:-/var/cache/bsdmem}/debuginfo
cd "$(dirname "$0")/.."
TMP=
NEW=

say() { echo "debuginfo: $*"; }
die() { echo "debuginfo: $*" >&2; exit 1; }
cleanup() {
	[ -z "$TMP" ] || rm -rf "$TMP"
	[ -z "$NEW" ] || rm -f "$NEW"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The GNU build-id note of an ELF file, as hex ("" if none).
build_id() {
	readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'
}

# The build-id of /boot/vmlinuz-KVER: a bzImage (signed or not) carries the
# kernel ELF compressed; find the first xz, zstd or gzip stream whose
# unpacked output is an ELF with a build-id. Trailing bytes after the
# stream make the unpackers complain; their status is not the test, the
# note is.
vmlinuz_build_id() {
	img=/boot/vmlinuz-$1
	[ -r "$img" ] || die "$1: no readable $img"
	for codec in 'xz:\xfd\x37\x7a\x58\x5a\x00' 'zstd:\x28\xb5\x2f\xfd' \
		'gzip:\x1f\x8b\x08'; do
		prog=${codec%%:*}
		magic=${codec#*:}
		off=$(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null |
			head -n 1 | cut -d: -f1) || true
		[ -n "$off" ] || continue
		tail -c +$((off + 1)) "$img" | "$prog" -dc >"$TMP/vmlinux.boot" \
			2>/dev/null || true
		id=$(build_id "$TMP/vmlinux.boot")
		rm -f "$TMP/vmlinux.boot"
		[ -n "$id" ] && { echo "$id"; return 0; }
	done
	die "$1: found no compressed kernel with a build-id in $img"
}

mib() { echo $((($(stat -c %s "$1") + 1048575) / 1048576)); }

# Valid cache: vmlinux with the build-id recorded (from the bzImage) when
# it was fetched, and the bzImage unchanged since (its sha256 recorded too).
cached() {
	d=$CACHE/$1
	[ -f "$d/vmlinux" ] && [ -f "$d/stamp" ] || return 1
	read -r sum id <"$d/stamp" || return 1
	[ "$(sha256sum </boot/vmlinuz-"$1" | cut -d' ' -f1)" = "$sum" ] &&
		[ "$(build_id "$d/vmlinux")" = "$id" ]
}

fetch() {
	k=$1
	pkg=linux-image-$k-dbg
	ver=$(dpkg-query -W -f='${Version}' "linux-image-$k" 2>/dev/null) ||
		ver=$(dpkg-query -W -f='${Version}' "linux-image-$k-unsigned" \
			2>/dev/null) || die "$k: linux-image-$k is not installed"
	# Root's files in root's directory; apt's sandbox user (_apt) may
	# write only into dl/, and its .deb is moved out before it is read.
	TMP=$(mktemp -d /var/tmp/bsdmem-debuginfo.XXXXXX)
	mkdir "$TMP/dl"
	chown _apt "$TMP/dl" 2>/dev/null || true
	want=$(vmlinuz_build_id "$k")
	if ! apt-cache show "$pkg=$ver" >/dev/null 2>&1; then
		say "$k: $pkg $ver unknown to apt, running apt-get update"
		apt-get update -qq
	fi
	t0=$(date +%s)
	(cd "$TMP/dl" && apt-get download -q "$pkg=$ver") >"$TMP/apt.log" 2>&1 ||
		{ cat "$TMP/apt.log" >&2; die "$k: apt-get download $pkg=$ver failed"; }
	set -- "$TMP"/dl/*.deb
	[ $# -eq 1 ] && [ -f "$1" ] && [ ! -L "$1" ] ||
		die "$k: apt-get download left $# files in $TMP/dl, expected one .deb"
	mv "$1" "$TMP/" && rm -rf "$TMP/dl"
	deb=$TMP/$(basename "$1")
	t1=$(date +%s)
	member=./usr/lib/debug/boot/vmlinux-$k
	# The package's md5sums lists its files: cheaper than dpkg-deb -c,
	# which unpacks the whole 5 GB data.tar to list it.
	dpkg-deb -e "$deb" "$TMP/control"
	md5=$(awk -v f="${member#./}" '$2 == f { print $1 }' "$TMP/control/md5sums")
	[ -n "$md5" ] || die "$k: $pkg has no $member"
	mkdir -p "$CACHE/$k"
	NEW=$CACHE/$k/vmlinux.new
	# --occurrence: tar stops at the member instead of unpacking the
	# other 5 GB of the archive to its end; dpkg-deb then dies of SIGPIPE
	# and says so, hence its silenced stderr: the md5 and build-id
	# checks below judge what came out.
	dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
		tar -x -O -f - --occurrence=1 "$member" >"$CACHE/$k/vmlinux.new"
	got=$(md5sum <"$CACHE/$k/vmlinux.new" | cut -d' ' -f1)
	[ "$got" = "$md5" ] ||
		die "$k: extracted vmlinux md5 $got, the .deb's md5sums says '$md5'"
	id=$(build_id "$CACHE/$k/vmlinux.new")
	t2=$(date +%s)
	[ "$id" = "$want" ] ||
		die "$k: $pkg vmlinux build-id '$id' is not /boot/vmlinuz-$k's $want"
	say "$k: downloaded $(basename "$deb") ($(mib "$deb") MiB) in" \
		"$((t1 - t0)) s, extracted $member ($(mib "$CACHE/$k/vmlinux.new")" \
		"MiB) and checked it in $((t2 - t1)) s: md5 matches the" \
		".deb's md5sums, build-id $id matches /boot/vmlinuz-$k"
	echo "$(sha256sum </boot/vmlinuz-"$k" | cut -d' ' -f1) $id" \
		>"$CACHE/$k/stamp"
	mv "$NEW" "$CACHE/$k/vmlinux"
	NEW=
	rm -rf "$TMP"
	TMP=
	say "$k: deleted the .deb; cached $CACHE/$k/vmlinux"
}

if [ "${1:-}" = --path ]; then
	[ $# -eq 2 ] || die "usage: $0 [--path KVER]"
	cached "$2" || exit 1
	echo "$CACHE/$2/vmlinux"
	exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--path KVER]"

for k in $(scripts/kernels.sh); do
	if cached "$k"; then
		say "$k: cached $CACHE/$k/vmlinux (build-id $(cut -d' ' -f2 \
			"$CACHE/$k/stamp")), nothing to do"
		continue
	fi
	[ "$(id -u)" -eq 0 ] || die "$k: not cached; run as root to fetch it"
	fetch "$k"
done
