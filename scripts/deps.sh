#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages that building and testing bsdmem need.
# Silent when everything is present (one dpkg-query call). As root it runs
# apt-get; otherwise it prints the apt-get line to run and exits 1.
set -eu

PKGS="linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.1
qemu-system-x86 busybox-static cpio kmod zstd gzip xz-utils dkms e2fsprogs
groff-base mandoc mokutil
make gcc g++ libc6-dev gcc-multilib libc6-dev-i386 libc6-dev-x32
libzstd-dev zlib1g-dev sparse perl openssl
linux-source-6.12 bc bison flex libelf-dev libssl-dev lcov
debhelper dh-dkms dpkg-dev fakeroot lintian pkgconf git shellcheck
python3 binutils python3-drgn crash valgrind"

# shellcheck disable=SC2086 # word splitting of the list is intended
have=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null |
	awk '$2 == "installed" { print $1 }') || true
missing=
for p in $PKGS; do
	echo "$have" | grep -qx "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
apt-get update
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
