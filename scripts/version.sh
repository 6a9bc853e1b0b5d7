#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bsdmem's version: the one source of MODULE_VERSION (Kbuild), the tools'
# --version and info.N, dkms.conf's PACKAGE_VERSION (make install, dh_dkms)
# and debian/changelog (make deb).
#   version.sh               prints it
#   version.sh --header FILE writes FILE, #define BSDMEM_VERSION "...", unless
#                            it already says exactly that (no rebuild then)
#   version.sh --stamp DIR   fills DIR's copy of the sources for a tree that is
#                            not git (make dist, make install's DKMS tree):
#                            writes DIR/VERSION, puts the version in
#                            DIR/dkms.conf and, unless it is a release the
#                            changelog has, a snapshot entry atop
#                            DIR/debian/changelog
# In a git work tree whose top is this tree it comes from
# `git describe --tags --match 'v[0-9]*' --always --dirty` (other tags,
# ci-passed or debian/..., are not versions), made a Debian version: tag v1.2
# gives 1.2, v1.3-rc1 gives 1.3~rc1 (below 1.3); 3 commits past it
# 1.2+3.g<hash>; before any tag 0.0+<commits>.g<hash> (it sorts below the
# first tag); a dirty tree adds .dirty (+0.dirty on a tag: above the tag,
# below the next commit's snapshot). A shallow clone whose history does not
# reach a version tag has no version (its commit count would be wrong): exit
# 1 saying so. Anywhere else (a dist tarball, the DKMS source tree, the tree
# make deb builds in) it is the VERSION file there. Exit 1 if neither gives
# a valid version.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# sudo make install in a tree a user cloned: git would refuse a repository
# owned by another user; this one tree is trusted.
g() {
	git -c safe.directory="$top" -C "$top" "$@"
}

# A Debian upstream version (no hyphen: the packages are native).
valid() {
	echo "$1" | grep -Eqx '[0-9][A-Za-z0-9.+~]*'
}

# from_git: the version from git; 1: this is not bsdmem's git tree; 2: it
# is, and has no version (said on stderr).
from_git() {
	command -v git >/dev/null || return 1
	t=$(g rev-parse --show-toplevel 2>/dev/null) || return 1
	[ "$(cd "$t" && pwd -P)" = "$(cd "$top" && pwd -P)" ] || return 1
	d=$(g describe --tags --match 'v[0-9]*' --always --dirty) || return 2
	dirty=
	case $d in
	*-dirty) dirty=dirty d=${d%-dirty} ;;
	esac
	case $d in
	*-[0-9]*-g[0-9a-f]*)
		# TAG-N-gHASH
		h=${d##*-g}
		rest=${d%-g*}
		n=${rest##*-}
		tag=${rest%-*}
		v=$(echo "${tag#v}" | tr - '~')+$n.g$h
		;;
	*)
		if g rev-parse -q --verify "refs/tags/$d" >/dev/null; then
			v=$(echo "${d#v}" | tr - '~')
		elif [ "$(g rev-parse --is-shallow-repository)" = true ]; then
			echo "version: $top is a shallow clone whose history reaches no version tag (v1.2): 'git fetch --unshallow --tags' there, or build from make dist's tarball" >&2
			return 2
		else
			v=0.0+$(g rev-list --count HEAD).g$d
		fi
		;;
	esac
	if [ -n "$dirty" ]; then
		case $v in
		*+*) v=$v.dirty ;;
		*) v=$v+0.dirty ;;
		esac
	fi
	echo "$v"
}

version() {
	rc=0
	v=$(from_git) || rc=$?
	if [ "$rc" -eq 2 ]; then
		return 1
	elif [ "$rc" -eq 0 ]; then
		:
	elif [ -f "$top/VERSION" ]; then
		v=$(cat "$top/VERSION")
	else
		echo "version: $top is neither bsdmem's git tree nor a tree with a VERSION file: a tarball of the sources (git archive, a GitHub download) carries no version; build from the one 'make dist' writes (build/dist/bsdmem-VERSION.tar.gz)" >&2
		return 1
	fi
	if ! valid "$v"; then
		echo "version: '$v' is not a version (tags must look like v1.2)" >&2
		return 1
	fi
	echo "$v"
}

case ${1:-} in
"")
	version
	;;
--header)
	f=${2:?usage: version.sh --header FILE}
	v=$(version)
	line="#define BSDMEM_VERSION \"$v\""
	if [ "$(cat "$f" 2>/dev/null)" != "$line" ]; then
		mkdir -p "$(dirname "$f")"
		echo "$line" >"$f.tmp"
		mv "$f.tmp" "$f"
	fi
	;;
--stamp)
	d=${2:?usage: version.sh --stamp DIR}
	v=$(version)
	echo "$v" >"$d/VERSION"
	if [ -f "$d/dkms.conf" ]; then
		sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$v\"/" "$d/dkms.conf"
	fi
	c=$d/debian/changelog
	# Between releases the changelog's top entry is the last release (or
	# 0.0): a snapshot entry for this version goes atop it, signed as that
	# entry is, dated by the commit.
	if [ -f "$c" ] && [ "$(sed -n '1s/^bsdmem (\([^)]*\)).*/\1/p' "$c")" != "$v" ]; then
		who=$(sed -n '/^ -- /{s/^ -- \(.*>\)  .*/\1/p;q}' "$c")
		# The commit's date, or a second after the entry below if
		# that is later (a snapshot cannot predate what it follows).
		t=$(g log -1 --format=%ct 2>/dev/null ||
			date +%s)
		below=$(date -d "$(sed -n '/^ -- /{s/^ -- .*>  //p;q}' "$c")" +%s)
		[ "$t" -gt "$below" ] || t=$((below + 1))
		when=$(LC_ALL=C date -R -u -d "@$t")
		{
			printf 'bsdmem (%s) unstable; urgency=medium\n\n' "$v"
			printf '  * Snapshot %s, built from the sources as they were.\n\n' "$v"
			printf ' -- %s  %s\n\n' "$who" "$when"
			cat "$c"
		} >"$c.tmp"
		mv "$c.tmp" "$c"
	fi
	;;
*)
	echo "usage: $0 [--header FILE | --stamp DIR]" >&2
	exit 2
	;;
esac
