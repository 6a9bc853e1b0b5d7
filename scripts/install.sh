#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make install" / "make uninstall" on this machine (root): registers the
# sources with DKMS as bsdmem/<version from dkms.conf>, builds and installs the
# module for every target kernel, and installs the udev rule (root:kmem 0640).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
src=/usr/src/bsdmem-$ver
rule=/etc/udev/rules.d/60-bsdmem.rules
[ "$(id -u)" = 0 ] || { echo "install: run as root" >&2; exit 1; }

reload_udev() {
	command -v udevadm >/dev/null && udevadm control --reload-rules 2>/dev/null || true
}

case ${1:-} in
install)
	dkms remove "bsdmem/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
	mkdir -p "$src"
	cp -r Kbuild dkms.conf driver include "$src/"
	dkms add -m bsdmem -v "$ver"
	for k in $(scripts/kernels.sh); do
		dkms install -m bsdmem -v "$ver" -k "$k"
	done
	install -D -m 644 udev/60-bsdmem.rules "$rule"
	reload_udev
	echo "install: bsdmem $ver installed; load it with: modprobe bsdmem"
	;;
uninstall)
	dkms remove "bsdmem/$ver" --all || true
	rm -rf "$src" "$rule"
	reload_udev
	;;
*)
	echo "usage: $0 install|uninstall" >&2
	exit 2
	;;
esac
