#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make install" / "make uninstall", configured through the environment:
#   DESTDIR=DIR  stage everything under DIR (no root needed); DKMS is then not
#                called: the module's DKMS source tree lands in
#                DIR/usr/src/bsdmem-VERSION for whoever registers it later
#   PREFIX=DIR   headers, tools, pkg-config file and man pages (/usr/local)
#   AUTOLOAD=1   also /etc/modules-load.d/bsdmem.conf: load bsdmem at boot
# install puts in place: the module through DKMS, built and installed for
# every target kernel (scripts/kernels.sh), from /usr/src/bsdmem-VERSION;
# the uapi headers in PREFIX/include/bsdmem/{sys,machine}/;
# PREFIX/share/pkgconfig/bsdmem.pc; memcontrol and bsdlivedump in
# PREFIX/sbin and minidump in PREFIX/bin, built dynamic for this host; the
# man pages in PREFIX/share/man/manN; the udev rule in /etc/udev/rules.d.
# Each file, each directory it had to create and the DKMS registration go
# into PREFIX/share/bsdmem/manifest, and uninstall removes exactly those.
# Everything is checked before anything is touched; a failure half-way
# removes again what was already in place. A previous install at the same
# DESTDIR and PREFIX is uninstalled first.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
D=${DESTDIR:-}
case $D in
"" | /*) ;;
*) D=$(pwd)/$D ;;
esac
D=${D%/}
prefix=${PREFIX:-/usr/local}
prefix=${prefix%/}
autoload=${AUTOLOAD:-}
cd "$top"
manifest=$prefix/share/bsdmem/manifest
M=$D$manifest
rule=/etc/udev/rules.d/60-bsdmem.rules
tmp=

die() {
	echo "$cmd: $*" >&2
	exit 1
}

reload_udev() {
	if [ -z "$D" ] && command -v udevadm >/dev/null; then
		udevadm control --reload-rules 2>/dev/null || true
	fi
}

# The DKMS registrations of bsdmem, one version a line.
dkms_versions() {
	dkms status -m bsdmem 2>/dev/null | sed -n 's|^bsdmem/\([^,:]*\)[,:].*|\1|p' | sort -u
}

# remove_listed LIST: undo what LIST (a manifest) says, last entry first;
# whatever cannot be undone is said and the rest still is.
remove_listed() {
	sed '/^#/d' "$1" | tac | while read -r kind path; do
		case $kind in
		dkms)
			echo "$cmd: dkms remove bsdmem/$path --all"
			dkms remove "bsdmem/$path" --all >/dev/null ||
				echo "$cmd: bsdmem/$path was not registered with DKMS" >&2
			rmdir /var/lib/dkms/bsdmem 2>/dev/null || true
			;;
		f)
			if [ -d "$D$path" ] && [ ! -L "$D$path" ]; then
				echo "$cmd: kept $D$path: now a directory" >&2
			elif [ -e "$D$path" ] || [ -L "$D$path" ]; then
				rm -f "$D$path" || echo "$cmd: could not remove $D$path" >&2
			else
				echo "$cmd: $D$path was already gone" >&2
			fi
			;;
		d)
			rmdir "$D$path" 2>/dev/null ||
				echo "$cmd: kept $D$path: it holds files not installed by bsdmem" >&2
			;;
		esac
	done
}

# uninstall_from MANIFEST: the whole of one earlier install.
uninstall_from() {
	list=$(mktemp)
	cp "$1" "$list"
	rm -f "$1"
	remove_listed "$list"
	rm -f "$list"
	reload_udev
}

cmd=${1:-}
case $cmd in
install | uninstall) ;;
*)
	echo "usage: [DESTDIR=DIR] [PREFIX=DIR] [AUTOLOAD=1] $0 install|uninstall" >&2
	exit 2
	;;
esac

# Checks, before anything is touched.
case $prefix in
/*) ;;
*) die "PREFIX must be an absolute path, not '$prefix'" ;;
esac
if [ -z "$D" ] && [ "$(id -u)" != 0 ]; then
	die "$cmd on / needs root: run 'sudo make $cmd', or stage it elsewhere with 'make $cmd DESTDIR=DIR'"
fi

if [ "$cmd" = uninstall ]; then
	[ -f "$M" ] || die "nothing to uninstall: no $M (make install writes it)"
	echo "uninstall: removing bsdmem $(sed -n '1s/^# bsdmem \([^:]*\):.*/\1/p' "$M"), as listed in $M"
	uninstall_from "$M"
	echo "uninstall: done"
	exit 0
fi

case $autoload in
"" | 0 | 1) ;;
*) die "AUTOLOAD=1 or nothing, not '$autoload'" ;;
esac
ver=$(scripts/version.sh) || die "no version"
src=/usr/src/bsdmem-$ver
if [ -z "$D" ]; then
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
	kernels=$(scripts/kernels.sh) || die "no kernel to build bsdmem for"
	st=$(dpkg-query -W -f '${db:Status-Status}' bsdmem-dkms 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		die "the bsdmem-dkms package is on this host ($st): use it, or 'apt-get purge bsdmem-dkms bsdmem-tools' before make install"
	fi
	ours=
	[ -f "$M" ] && ours=$(sed -n 's/^dkms //p' "$M")
	for v in $(dkms_versions); do
		[ "$v" = "$ours" ] ||
			die "bsdmem/$v is registered with DKMS, not by a make install with this PREFIX: remove it first ('dkms remove bsdmem/$v --all')"
	done
fi
${MAKE:-make} --no-print-directory -C "$top" host-tools ||
	die "building the tools failed; nothing was installed"
for t in memcontrol bsdlivedump minidump; do
	[ -x "build/host-tools/$t" ] || die "build/host-tools/$t is missing"
done

[ -f "$M" ] && {
	echo "install: first removing the previous install ($M)"
	uninstall_from "$M"
}

# From here on each step is recorded in $rec; a failure undoes them.
tmp=$(mktemp -d)
rec=$tmp/manifest
echo "# bsdmem $ver: what make install put under DESTDIR=${D:-/} (make uninstall removes it)" >"$rec"
finished=
# shellcheck disable=SC2317 # called by the trap
rollback() {
	if [ -z "$finished" ]; then
		echo "install: failed; removing what was already installed" >&2
		rm -f "$M"
		remove_listed "$rec"
	fi
	rm -rf "$tmp"
}
trap rollback EXIT
trap 'exit 1' INT TERM HUP

# mkd DIR: create DIR and its missing parents, recording each one.
mkd() {
	[ -d "$D$1" ] && return 0
	mkd "$(dirname "$1")"
	mkdir "$D$1"
	echo "d $1" >>"$rec"
}

# put MODE FILE TARGET
put() {
	mkd "$(dirname "$3")"
	install -T -m "$1" "$2" "$D$3"
	echo "f $3" >>"$rec"
}

[ -n "$D" ] && mkdir -p "$D"
for h in $(find include/uapi -name '*.h' | sort); do
	put 644 "$h" "$prefix/include/bsdmem/${h#include/uapi/}"
done
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$ver|g" include/bsdmem.pc.in >"$tmp/bsdmem.pc"
put 644 "$tmp/bsdmem.pc" "$prefix/share/pkgconfig/bsdmem.pc"
put 755 build/host-tools/memcontrol "$prefix/sbin/memcontrol"
put 755 build/host-tools/bsdlivedump "$prefix/sbin/bsdlivedump"
put 755 build/host-tools/minidump "$prefix/bin/minidump"
for m in driver/*.[1-8] tools/*/*.[1-8]; do
	[ -f "$m" ] || continue
	put 644 "$m" "$prefix/share/man/man${m##*.}/$(basename "$m")"
done
put 644 udev/60-bsdmem.rules "$rule"
if [ "$autoload" = 1 ]; then
	echo bsdmem >"$tmp/bsdmem.conf"
	put 644 "$tmp/bsdmem.conf" /etc/modules-load.d/bsdmem.conf
fi

# The DKMS source tree: what Kbuild needs, VERSION and dkms.conf stamped.
mkdir "$tmp/src"
cp Kbuild dkms.conf "$tmp/src/"
for f in $(find driver include/uapi -name '*.[ch]' | sort); do
	cp --parents "$f" "$tmp/src/"
done
scripts/version.sh --stamp "$tmp/src"
for f in $(cd "$tmp/src" && find . -type f | sort); do
	put 644 "$tmp/src/$f" "$src/${f#./}"
done

if [ -z "$D" ]; then
	echo "dkms $ver" >>"$rec"
	dkms add -m bsdmem -v "$ver"
	for k in $kernels; do
		dkms install -m bsdmem -v "$ver" -k "$k"
	done
else
	echo "install: DESTDIR is set, so DKMS was not called: the module's DKMS source tree is $D$src (on the target: dkms install bsdmem/$ver)"
fi

mkd "$(dirname "$manifest")"
cp "$rec" "$M"
finished=1
reload_udev
n=$(grep -c '^f ' "$rec")
echo "install: bsdmem $ver: $n files under ${D:-/} (listed in $M)"
[ -z "$D" ] && echo "install: load it with: modprobe bsdmem"
exit 0
