#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of "make install" / "make uninstall" (scripts/install.sh) into a
# DESTDIR, TAP on stdout: every expected file is there and nothing else, the
# tools are dynamic and say the version, bsdmem.pc gives the installed
# headers through a sysroot, README's porting example compiles against them
# with pkg-config (and its headers come from the DESTDIR), the DKMS source
# tree carries the version, AUTOLOAD=1 adds modules-load.d and a reinstall
# without it drops it, a failure half-way leaves the DESTDIR as it was, and
# uninstall leaves it empty. Last, without root and without DESTDIR, install
# and uninstall refuse and touch nothing (run as nobody when we are root).
# usage: install_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=$tmp/dest
P=/usr/local
n=0
fails=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	echo "not ok $n $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# check DESC CMD...: ok if CMD succeeds, else not ok with its output.
check() {
	d=$1
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi
}

mk() {
	make -s --no-print-directory -C "$top" "$@"
}

# The files an install must leave (DESTDIR-relative), from the tree itself.
expected() {
	v=$1
	for h in $(cd "$top/include/uapi" && find . -name '*.h'); do
		echo "$P/include/bsdmem/${h#./}"
	done
	echo "$P/share/pkgconfig/bsdmem.pc"
	echo "$P/sbin/memcontrol"
	echo "$P/sbin/bsdlivedump"
	echo "$P/bin/minidump"
	for m in "$top"/driver/*.[1-8] "$top"/tools/*/*.[1-8]; do
		[ -f "$m" ] && echo "$P/share/man/man${m##*.}/$(basename "$m")"
	done
	echo /etc/udev/rules.d/60-bsdmem.rules
	[ "$2" = 1 ] && echo /etc/modules-load.d/bsdmem.conf
	for f in Kbuild dkms.conf VERSION \
		$(cd "$top" && find driver include/uapi -name '*.[ch]'); do
		echo "/usr/src/bsdmem-$v/$f"
	done
	echo "$P/share/bsdmem/manifest"
}

# tree_is LIST: the files under $D are exactly LIST's.
tree_is() {
	(cd "$D" && find . ! -type d | sed 's|^\.||') | sort >"$tmp/have"
	sort "$1" >"$tmp/want"
	diff "$tmp/want" "$tmp/have" | sed -n 's/^</missing:/p; s/^>/unexpected:/p' |
		head -n 20 >"$tmp/diff"
	[ ! -s "$tmp/diff" ] || { cat "$tmp/diff"; return 1; }
}

# manifest_lists LIST: the manifest's files are LIST's (but itself).
manifest_lists() {
	sed -n 's/^f //p' "$D$P/share/bsdmem/manifest" | sort >"$tmp/listed"
	grep -vx "$P/share/bsdmem/manifest" "$1" | sort | diff - "$tmp/listed"
}

same_version() {
	got=$("$@" 2>&1)
	[ "$got" = "$v" ] || { echo "$* says '$got', version.sh '$v'"; return 1; }
}

tool_version() {
	"$D$1" --version | sed -n 's/^[a-z]* (bsdmem) //p'
}

dynamic() {
	readelf -l "$D$1" | grep -q 'program interpreter' ||
		{ echo "$1 is not dynamically linked"; return 1; }
}

pc() {
	PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$D$P/share/pkgconfig pkg-config "$@"
}

# The example's own headers come from the DESTDIR (not include/uapi or a
# package's /usr/include/bsdmem): the compiler's dependency list says so.
example_headers() {
	# shellcheck disable=SC2046 # pkg-config's words
	deps=$(cc -M $(pc --cflags bsdmem) "$ex" | tr -cs 'A-Za-z0-9_./+-' '\n' |
		grep -E 'sys/memrange.h|sys/kerneldump.h|machine/minidump.h')
	[ -n "$deps" ] || { echo "the example includes none of bsdmem's headers"; return 1; }
	echo "$deps" | grep -v "^$D$P/include/bsdmem/" && return 1
	return 0
}

echo "TAP version 13"
echo "1..25"
v=$("$top/scripts/version.sh") || v=
if [ -n "$v" ]; then ok "scripts/version.sh says $v"; else not_ok "scripts/version.sh gives a version"; fi
mkdir -p "$D"

# 1. Install with AUTOLOAD=1.
if out=$(DESTDIR=$D AUTOLOAD=1 mk install 2>&1); then
	ok "make install DESTDIR=... AUTOLOAD=1"
else
	not_ok "make install DESTDIR=... AUTOLOAD=1" "$out"
fi
if echo "$out" | grep -q "DKMS was not called.*$D/usr/src/bsdmem-$v"; then
	ok "install says DKMS was skipped and where the DKMS tree went"
else
	not_ok "install says DKMS was skipped and where the DKMS tree went" "$out"
fi
expected "$v" 1 >"$tmp/list1"
check "every expected file and nothing else" tree_is "$tmp/list1"
check "the manifest lists exactly the files" manifest_lists "$tmp/list1"
check "modules-load.d/bsdmem.conf loads bsdmem" \
	grep -qx bsdmem "$D/etc/modules-load.d/bsdmem.conf"
check "the udev rule is the tree's" cmp "$top/udev/60-bsdmem.rules" \
	"$D/etc/udev/rules.d/60-bsdmem.rules"
ok=1
for t in $P/sbin/memcontrol $P/sbin/bsdlivedump $P/bin/minidump; do
	if ! [ -x "$D$t" ] || ! dynamic "$t" >"$tmp/out" 2>&1 ||
		[ "$(tool_version "$t")" != "$v" ]; then
		ok=
		echo "# $t: $(cat "$tmp/out") version '$(tool_version "$t")'"
	fi
done
if [ -n "$ok" ]; then
	ok "the tools are executable, dynamic and say $v"
else
	not_ok "the tools are executable, dynamic and say $v"
fi
src=$D/usr/src/bsdmem-$v
check "the DKMS tree's VERSION is $v" same_version cat "$src/VERSION"
check "the DKMS tree's dkms.conf says PACKAGE_VERSION=$v" grep -qx "PACKAGE_VERSION=\"$v\"" "$src/dkms.conf"
check "pkg-config --modversion bsdmem is $v" same_version pc --modversion bsdmem
cf=$(pc --cflags bsdmem | sed 's/ *$//')
if [ "$cf" = "-I$D$P/include/bsdmem" ]; then
	ok "pkg-config --cflags bsdmem is -I<sysroot>$P/include/bsdmem"
else
	not_ok "pkg-config --cflags bsdmem is -I<sysroot>$P/include/bsdmem" "$cf"
fi
libs=$(pc --libs bsdmem | tr -d ' ')
if [ -z "$libs" ]; then
	ok "pkg-config --libs bsdmem is empty (no library installed)"
else
	not_ok "pkg-config --libs bsdmem is empty (no library installed)" "$libs"
fi

# 2. README's porting example against the installed headers.
ex=$tmp/examples/port-example.c
check "README has port-example.c (scripts/readme-examples.sh)" \
	sh -c "'$top/scripts/readme-examples.sh' '$tmp/examples' '${BSDMEM_README:-$top/README.md}' && test -f '$ex'"
# shellcheck disable=SC2046 # pkg-config's words
check "port-example.c compiles with \$(pkg-config --cflags bsdmem), -Wall -Werror" \
	cc -Wall -Werror $(pc --cflags bsdmem) -o "$tmp/port-example" "$ex"
check "its bsdmem headers come from the DESTDIR" example_headers

# 3. A reinstall without AUTOLOAD replaces the first one.
check "make install again (no AUTOLOAD): replaces the first" env DESTDIR="$D" \
	make -s --no-print-directory -C "$top" install
expected "$v" 0 >"$tmp/list2"
check "now without modules-load.d/bsdmem.conf, all else the same" tree_is "$tmp/list2"

# 4. Uninstall.
check "make uninstall DESTDIR=..." env DESTDIR="$D" \
	make -s --no-print-directory -C "$top" uninstall
left=$(cd "$D" && find . -mindepth 1 | head -n 20)
if [ -z "$left" ]; then
	ok "the DESTDIR is empty after uninstall"
else
	not_ok "the DESTDIR is empty after uninstall" "$left"
fi

# 5. A failure half-way (a directory where a tool goes) undoes itself.
mkdir -p "$D$P/bin/minidump"
find "$D" | sort >"$tmp/before"
if out=$(DESTDIR=$D mk install 2>&1); then
	not_ok "install fails when a tool cannot be put in place" "$out"
else
	ok "install fails when a tool cannot be put in place"
fi
find "$D" | sort >"$tmp/after"
check "and leaves the DESTDIR as it was" diff "$tmp/before" "$tmp/after"
rm -rf "${D:?}"/*

# 6. No root and no DESTDIR: refused before anything is touched.
snap() {
	{
		find /usr/local /etc/udev/rules.d /etc/modules-load.d /usr/src \
			"$top/build/host-tools" -maxdepth 4 -printf '%p %T@\n' 2>/dev/null
		dkms status 2>/dev/null
	} | sort
}
if [ "$(id -u)" = 0 ]; then
	as="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
else
	as=
fi
snap >"$tmp/snap0"
for c in install uninstall; do
	# shellcheck disable=SC2086 # $as is a command prefix or nothing
	if out=$(cd / && HOME=/ $as make -s --no-print-directory -C "$top" $c 2>&1); then
		not_ok "make $c without root and DESTDIR is refused" "$out"
	elif echo "$out" | grep -q "needs root"; then
		ok "make $c without root and DESTDIR is refused: $(echo "$out" | head -n 1)"
	else
		not_ok "make $c without root and DESTDIR is refused with a clear message" "$out"
	fi
done
snap >"$tmp/snap1"
check "and nothing on the host changed" diff "$tmp/snap0" "$tmp/snap1"

[ "$n" -eq 25 ] || echo "# planned 25 tests, ran $n"
[ "$fails" -eq 0 ] && [ "$n" -eq 25 ]
