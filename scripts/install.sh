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
# Each file (with its sha256), each directory it had to create and the DKMS
# registration go into PREFIX/share/bsdmem/manifest, and uninstall removes
# exactly those: only paths bsdmem installs to (under PREFIX, a
# /usr/src/bsdmem-VERSION tree, the two /etc files), still under DESTDIR
# once symbolic links are resolved, and only a file whose sha256 is still
# the recorded one and that no package owns. The manifest is rewritten as
# entries are removed and deleted last; uninstall exits 1 if anything could
# not be removed (it stays listed). A DKMS line is ignored under DESTDIR.
# install checks everything before it touches anything: it refuses to
# overwrite a file that is not in the previous install's manifest or that a
# package owns. A previous install at the same DESTDIR and PREFIX is
# replaced: the new files go in over the old ones (which are kept aside), and
# only once all of them and the DKMS build are in place is what the old
# install had and the new one has not removed; a failure half-way removes
# the new files and puts the old install back as it was.
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
conf=/etc/modules-load.d/bsdmem.conf
tmp=
errors=0
stuck=0

die() {
	echo "$cmd: $*" >&2
	exit 1
}

say() {
	echo "$cmd: $*" >&2
}

reload_udev() {
	if [ -z "$D" ] && command -v udevadm >/dev/null; then
		udevadm control --reload-rules 2>/dev/null || true
	fi
}

valid_version() {
	echo "$1" | grep -Eqx '[0-9][A-Za-z0-9.+~]*'
}

# The DKMS registrations of bsdmem, one version a line.
dkms_versions() {
	dkms status -m bsdmem 2>/dev/null | sed -n 's|^bsdmem/\([^,:]*\)[,:].*|\1|p' | sort -u
}

sum_of() {
	sha256sum <"$1" | cut -d ' ' -f 1
}

# allowed KIND PATH: PATH is somewhere bsdmem installs (for a directory:
# also one created on the way there); never with a . or .. component.
allowed() {
	case "$2/" in
	*/../* | */./* | *//*) return 1 ;;
	/*) ;;
	*) return 1 ;;
	esac
	case $2 in
	"$prefix"/* | /usr/src/bsdmem-[0-9]*/* | "$rule" | "$conf") return 0 ;;
	esac
	[ "$1" = d ] || return 1
	case $2 in
	/usr/src/bsdmem-[0-9]*) return 0 ;;
	esac
	for p in "$prefix/" /usr/src/bsdmem-x "$rule" "$conf"; do
		case $p in
		"$2"/*) return 0 ;;
		esac
	done
	return 1
}

# inside PATH: $D$PATH, symbolic links resolved, is still under $D.
inside() {
	[ -n "$D" ] || return 0
	r=$(realpath -m -- "$D$1") || return 1
	case $r in
	"$Dreal"/*) return 0 ;;
	esac
	return 1
}

# owners PATH...: "PACKAGE: PATH" for each PATH a package owns (only on
# the real host: a DESTDIR's files are nobody's).
owners() {
	[ -z "$D" ] && [ $# -gt 0 ] || return 0
	command -v dpkg-query >/dev/null || return 0
	dpkg-query -S -- "$@" 2>/dev/null | grep -v '^diversion ' || true
}

# owned PATH: in $tmp/owned (what owners said, computed once).
owned() {
	grep -F ": $1" "$tmp/owned" | while read -r l; do
		[ "${l#*: }" = "$1" ] && echo "${l%%: *}"
	done | head -n 1
}

# undo KIND PATH [SUM]: undo one manifest entry. 0: done (or dropped with a
# word why), 1: it stays listed (it failed: $errors counts those, or it
# waits: a directory the manifest itself is in, a directory still in use).
undo() {
	kind=${1:-} path=${2:-} sum=${3:-}
	case $kind in
	"") return 0 ;;
	dkms)
		if [ -n "$D" ]; then
			say "ignored 'dkms $path': DESTDIR is set, DKMS is the host's"
			return 0
		fi
		if ! valid_version "$path"; then
			say "ignored 'dkms $path': not a version"
			errors=$((errors + 1))
			return 0
		fi
		if [ -n "$(owned "/usr/src/bsdmem-$path/dkms.conf")" ]; then
			say "kept DKMS's bsdmem/$path: the bsdmem-dkms package has it"
			return 0
		fi
		if [ -z "$(dkms status -m bsdmem -v "$path" 2>/dev/null)" ]; then
			say "bsdmem/$path was not registered with DKMS"
			return 0
		fi
		echo "$cmd: dkms remove bsdmem/$path --all"
		if ! dkms remove "bsdmem/$path" --all >/dev/null; then
			say "dkms remove bsdmem/$path failed"
			errors=$((errors + 1)) stuck=$((stuck + 1))
			return 1
		fi
		rmdir /var/lib/dkms/bsdmem 2>/dev/null || true
		;;
	f)
		if ! allowed f "$path" || ! inside "$path"; then
			say "ignored '$path': not a place bsdmem installs to"
			errors=$((errors + 1))
		elif [ -L "$D$path" ]; then
			say "kept $D$path: a symbolic link now, not what bsdmem installed"
		elif [ -d "$D$path" ]; then
			say "kept $D$path: now a directory"
		elif [ ! -e "$D$path" ]; then
			say "$D$path was already gone"
		elif [ -z "$sum" ]; then
			say "kept $D$path: no sha256 listed (an older make install: 'make install' again, then uninstall)"
		elif [ "$(sum_of "$D$path")" != "$sum" ]; then
			say "kept $D$path: changed since bsdmem installed it"
		elif [ -n "$(owned "$path")" ]; then
			say "kept $path: the package $(owned "$path") owns it now"
		elif ! rm -f "$D$path"; then
			say "could not remove $D$path"
			errors=$((errors + 1)) stuck=$((stuck + 1))
			return 1
		fi
		;;
	d)
		if ! allowed d "$path" || ! inside "$path"; then
			say "ignored directory '$path': not a place bsdmem installs to"
			errors=$((errors + 1))
			return 0
		fi
		case $mode in
		uninstall)
			case $manifest in
			"$path"/*) return 1 ;;
			esac
			rmdir "$D$path" 2>/dev/null || [ ! -d "$D$path" ] ||
				say "kept $D$path: it holds files not installed by bsdmem"
			;;
		stale)
			rmdir "$D$path" 2>/dev/null || [ ! -d "$D$path" ] || return 1
			;;
		*)
			rmdir "$D$path" 2>/dev/null || [ ! -d "$D$path" ] ||
				say "kept $D$path: not empty"
			;;
		esac
		;;
	"#"*) return 1 ;;
	*)
		say "ignored a manifest line of kind '$kind'"
		errors=$((errors + 1))
		;;
	esac
	return 0
}

# remove_listed LIST [LIVE]: undo LIST's entries, last first; each one done
# leaves LIST, and LIST is copied to LIVE after each (the manifest then
# always lists what is still installed). What stays is left in LIST.
remove_listed() {
	i=$(wc -l <"$1")
	while [ "$i" -gt 0 ]; do
		line=$(sed -n "${i}p" "$1")
		set -f
		# shellcheck disable=SC2086 # kind, path and sum: one word each
		if undo $line; then
			sed -i "${i}d" "$1"
			if [ -n "${2:-}" ]; then
				cp "$1" "$2.tmp"
				mv "$2.tmp" "$2"
			fi
		fi
		set +f
		i=$((i - 1))
	done
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
# bsdmem.pc and the manifest carry it as is: no spaces, no sed specials.
case $prefix in
*[!A-Za-z0-9/._+-]*) die "PREFIX '$prefix' has a character bsdmem.pc cannot carry (allowed: letters, digits and / . _ + -)" ;;
esac
allowed d "$prefix" || die "PREFIX '$prefix' has a . or .. component"
if [ -z "$D" ] && [ "$(id -u)" != 0 ]; then
	die "$cmd on / needs root: run 'sudo make $cmd', or stage it elsewhere with 'make $cmd DESTDIR=DIR'"
fi
Dreal=
[ -z "$D" ] || Dreal=$(realpath -m -- "$D")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

if [ "$cmd" = uninstall ]; then
	[ -f "$M" ] || die "nothing to uninstall: no $M (make install writes it)"
	echo "uninstall: removing bsdmem $(sed -n '1s/^# bsdmem \([^:]*\):.*/\1/p' "$M"), as listed in $M"
	cp "$M" "$tmp/list"
	# shellcheck disable=SC2046 # paths have no spaces (allowed)
	owners $(sed -n 's/^f \([^ ]*\).*/\1/p; s|^dkms \([^ ]*\).*|/usr/src/bsdmem-\1/dkms.conf|p' \
		"$tmp/list") >"$tmp/owned"
	mode=uninstall
	remove_listed "$tmp/list" "$M"
	reload_udev
	if [ "$stuck" -ne 0 ]; then
		say "$stuck entries could not be removed: still listed in $M"
		exit 1
	fi
	rm -f "$M"
	# The manifest's own directories, now empty.
	mode=last
	remove_listed "$tmp/list"
	if [ "$errors" -ne 0 ]; then
		say "done, but $errors manifest entries were wrong (see above)"
		exit 1
	fi
	echo "uninstall: done"
	exit 0
fi

case $autoload in
"" | 0 | 1) ;;
*) die "AUTOLOAD=1 or nothing, not '$autoload'" ;;
esac
ver=$(scripts/version.sh) || die "no version"
src=/usr/src/bsdmem-$ver
: >"$tmp/old"
[ -f "$M" ] && cp "$M" "$tmp/old"
oldver=$(sed -n 's/^dkms //p' "$tmp/old")
if [ -z "$D" ]; then
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
	kernels=$(scripts/kernels.sh) || die "no kernel to build bsdmem for"
	st=$(dpkg-query -W -f '${db:Status-Status}' bsdmem-dkms 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		die "the bsdmem-dkms package is on this host ($st): use it, or 'apt-get purge bsdmem-dkms bsdmem-tools' before make install"
	fi
	for v in $(dkms_versions); do
		[ "$v" = "$oldver" ] ||
			die "bsdmem/$v is registered with DKMS, not by a make install with this PREFIX: remove it first ('dkms remove bsdmem/$v --all')"
	done
fi
if [ "$(id -u)" = 0 ] && [ -n "${SUDO_UID:-}" ]; then
	echo "install: building the tools as root: build/host-tools will belong to root ('make host-tools' as yourself first avoids that)"
fi
${MAKE:-make} --no-print-directory -C "$top" host-tools ||
	die "building the tools failed; nothing was installed"
for t in memcontrol bsdlivedump minidump; do
	[ -x "build/host-tools/$t" ] || die "build/host-tools/$t is missing"
done

# The plan, "MODE TARGET SOURCE" a line; generated files staged in $tmp.
plan() {
	echo "$1 $3 $2" >>"$tmp/plan"
}
for h in $(find include/uapi -name '*.h' | sort); do
	plan 644 "$h" "$prefix/include/bsdmem/${h#include/uapi/}"
done
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$ver|g" include/bsdmem.pc.in >"$tmp/bsdmem.pc"
plan 644 "$tmp/bsdmem.pc" "$prefix/share/pkgconfig/bsdmem.pc"
plan 755 build/host-tools/memcontrol "$prefix/sbin/memcontrol"
plan 755 build/host-tools/bsdlivedump "$prefix/sbin/bsdlivedump"
plan 755 build/host-tools/minidump "$prefix/bin/minidump"
for m in driver/*.[1-8] tools/*/*.[1-8]; do
	[ -f "$m" ] || continue
	plan 644 "$m" "$prefix/share/man/man${m##*.}/$(basename "$m")"
done
plan 644 udev/60-bsdmem.rules "$rule"
if [ "$autoload" = 1 ]; then
	echo bsdmem >"$tmp/bsdmem.conf"
	plan 644 "$tmp/bsdmem.conf" "$conf"
fi
# The DKMS source tree: what Kbuild needs, VERSION and dkms.conf stamped.
mkdir "$tmp/src"
cp Kbuild dkms.conf "$tmp/src/"
for f in $(find driver include/uapi -name '*.[ch]' | sort); do
	cp --parents "$f" "$tmp/src/"
done
scripts/version.sh --stamp "$tmp/src"
for f in $(cd "$tmp/src" && find . -type f | sort); do
	plan 644 "$tmp/src/$f" "$src/${f#./}"
done

# Refuse to overwrite what is not ours: a file the previous install did not
# list, or that a package owns.
sed -n 's/^f \([^ ]*\).*/\1/p' "$tmp/old" >"$tmp/oldfiles"
# shellcheck disable=SC2046 # no spaces in targets (PREFIX is checked)
owners $(cut -d ' ' -f 2 "$tmp/plan") $(cat "$tmp/oldfiles") >"$tmp/owned"
while read -r perm t s; do
	if ! inside "$t"; then
		echo "$D$t: a symbolic link on the way leads out of DESTDIR"
	elif [ -n "$(owned "$t")" ]; then
		echo "$t: the package $(owned "$t") owns it"
	elif { [ -e "$D$t" ] || [ -L "$D$t" ]; } && ! grep -qxF "$t" "$tmp/oldfiles"; then
		echo "$D$t: already there, and not installed by bsdmem (not in $M)"
	fi
done <"$tmp/plan" >"$tmp/conflicts"
if [ -s "$tmp/conflicts" ]; then
	sed 's/^/install: /' "$tmp/conflicts" >&2
	die "refusing to overwrite those; nothing was installed"
fi

# The previous install's files, kept aside to put back on a failure.
while read -r p; do
	if allowed f "$p" && inside "$p" && [ -f "$D$p" ] && [ ! -L "$D$p" ]; then
		mkdir -p "$tmp/keep$(dirname "$p")"
		cp -p "$D$p" "$tmp/keep$p"
	fi
done <"$tmp/oldfiles"

# From here on each step is recorded in $rec; a failure undoes them and
# puts the previous install back.
rec=$tmp/manifest
echo "# bsdmem $ver: what make install put under DESTDIR=${D:-/} (make uninstall removes it)" >"$rec"
finished=
unregistered=
# shellcheck disable=SC2317 # called by the trap
rollback() {
	set +e
	if [ -z "$finished" ]; then
		echo "install: failed; removing what was already installed" >&2
		mode=rollback
		remove_listed "$rec"
		if [ -d "$tmp/keep" ]; then
			echo "install: putting the previous install back" >&2
			(cd "$tmp/keep" && find . -type f) | while read -r f; do
				mkdir -p "$(dirname "$D${f#.}")"
				cp -p "$tmp/keep/${f#./}" "$D${f#.}"
			done
		fi
		if [ -z "$D" ] && [ -n "$oldver" ]; then
			[ -z "$unregistered" ] || dkms add -m bsdmem -v "$oldver"
			for k in $kernels; do
				dkms install -m bsdmem -v "$oldver" -k "$k"
			done
		fi
	fi
	rm -rf "$tmp"
}
trap rollback EXIT

# mkd DIR: create DIR and its missing parents, recording each one.
mkd() {
	[ -d "$D$1" ] && return 0
	mkd "$(dirname "$1")"
	mkdir "$D$1"
	echo "d $1" >>"$rec"
}

[ -n "$D" ] && mkdir -p "$D"
while read -r perm t s; do
	mkd "$(dirname "$t")"
	install -T -m "$perm" "$s" "$D$t"
	echo "f $t $(sum_of "$D$t")" >>"$rec"
done <"$tmp/plan"

if [ -z "$D" ]; then
	if [ "$oldver" = "$ver" ]; then
		# The same version again: DKMS builds the new sources afresh.
		unregistered=1
		dkms remove "bsdmem/$ver" --all >/dev/null
	fi
	echo "dkms $ver" >>"$rec"
	dkms add -m bsdmem -v "$ver"
	for k in $kernels; do
		dkms install -m bsdmem -v "$ver" -k "$k"
	done
else
	echo "install: DESTDIR is set, so DKMS was not called: the module's DKMS source tree is $D$src (on the target: dkms install bsdmem/$ver)"
fi
mkd "$(dirname "$manifest")"

# The new install is complete: what only the previous one had goes (what
# cannot stays listed), and the manifest lists both.
finished=1
if [ -s "$tmp/old" ]; then
	awk 'NR == FNR { if ($1 != "#") new[$1 " " $2] = 1; next }
		$1 != "#" && !(($1 " " $2) in new)' "$rec" "$tmp/old" >"$tmp/stale"
	mode=stale
	remove_listed "$tmp/stale"
	[ "$errors" -eq 0 ] || echo "install: $errors files of the previous install could not be removed (still listed)" >&2
fi
{
	head -n 1 "$rec"
	grep -hs '^d ' "$rec" "$tmp/stale" | sort -u
	grep -hs '^f ' "$rec" "$tmp/stale" || true
	grep -hs '^dkms ' "$tmp/stale" "$rec" || true
} >"$tmp/final"
cp "$tmp/final" "$M.tmp"
mv "$M.tmp" "$M"
reload_udev
n=$(grep -c '^f ' "$rec")
echo "install: bsdmem $ver: $n files under ${D:-/} (listed in $M)"
[ -z "$D" ] && echo "install: load it with: modprobe bsdmem"
exit 0
