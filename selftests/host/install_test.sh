#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of "make install" / "make uninstall" (scripts/install.sh) into a
# DESTDIR, TAP on stdout: every expected file is there and nothing else, the
# tools are dynamic and say the version, bsdmem.pc gives the installed
# headers through a sysroot, README's porting example compiles against them
# with pkg-config (and its headers come from the DESTDIR), the DKMS source
# tree carries the version, AUTOLOAD=1 adds modules-load.d and a reinstall
# without it drops it, a failure half-way leaves the DESTDIR as it was, and
# uninstall leaves it empty. install refuses to overwrite a file that is not
# its own, and a failed reinstall leaves the previous install as it was.
# uninstall trusts no manifest line: one with "..", one through a symbolic
# link out of the DESTDIR, one outside bsdmem's places and a DKMS line
# under DESTDIR touch nothing; a file changed since install is kept; a
# removal that fails stays in the manifest and uninstall exits 1. Without
# root and without DESTDIR, install and uninstall refuse and touch nothing
# (run as nobody, from a world-readable copy of the tree, when we are root).
# Last, as root only, the real thing: make install with a PREFIX under /tmp
# registers bsdmem with DKMS, built for every target kernel
# (scripts/kernels.sh) and signed with DKMS's MOK key when there is one,
# and make uninstall leaves the host as it was (skipped, touching nothing,
# where bsdmem is already installed). Then README.md's install-make.sh, each
# line run as written from the top, on the real /usr/local and /usr: make
# install (and README's make uninstall after it), make install PREFIX=/usr
# AUTOLOAD=1 and make install DESTDIR=/tmp/stage, each undone with make
# uninstall of the same PREFIX or DESTDIR, which must leave the host as it
# was (skipped, touching nothing, where any of those holds bsdmem already).
# usage: install_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
tmp=$(mktemp -d)
host_done=1
trap 'host_cleanup; readme_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
D=$tmp/dest
P=/usr/local
# shellcheck source=selftests/host/lib/tap.sh
. "$top/selftests/host/lib/tap.sh"
kernels=$("$top/scripts/kernels.sh") || kernels=
nk=$(echo "$kernels" | wc -w)
plan=$((41 + 3 + 2 * nk + 7))

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
	sed -n 's/^f \([^ ]*\).*/\1/p' "$D$P/share/bsdmem/manifest" | sort >"$tmp/listed"
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

# state: each path under $D with its type and sha256 (files).
state() {
	(cd "$D" && find . -printf '%y %p\n' | sort | while read -r y p; do
		if [ "$y" = f ]; then echo "$y $p $(sha256sum <"$p")"; else echo "$y $p"; fi
	done)
}

as_nobody() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

echo "TAP version 13"
echo "1..$plan"
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

# 5. A failure half-way (a file where /usr/src should be a directory: the
# DKMS tree cannot go in, after the tools did) undoes itself.
mkdir -p "$D/usr"
echo "not a directory" >"$D/usr/src"
find "$D" | sort >"$tmp/before"
if out=$(DESTDIR=$D mk install 2>&1); then
	not_ok "install fails when the DKMS tree cannot be put in place" "$out"
else
	ok "install fails when the DKMS tree cannot be put in place"
fi
find "$D" | sort >"$tmp/after"
check "and leaves the DESTDIR as it was" diff "$tmp/before" "$tmp/after"
rm -rf "${D:?}"/*

# 6. A PREFIX bsdmem.pc cannot carry is refused.
for p in "/opt/a b" "/opt/a&b"; do
	if out=$(DESTDIR=$D PREFIX=$p mk install 2>&1); then
		not_ok "PREFIX='$p' is refused" "$out"
	elif echo "$out" | grep -q 'bsdmem.pc cannot carry' && [ -z "$(ls -A "$D")" ]; then
		ok "PREFIX='$p' is refused, nothing installed"
	else
		not_ok "PREFIX='$p' is refused with a clear message, nothing installed" "$out" "$(ls -A "$D")"
	fi
	rm -rf "${D:?}"/*
done

# 7. A file that is not bsdmem's where a tool goes is refused, and kept.
mkdir -p "$D$P/sbin"
echo "the admin's own memcontrol" >"$D$P/sbin/memcontrol"
state >"$tmp/before"
if out=$(DESTDIR=$D mk install 2>&1); then
	not_ok "install refuses to overwrite a file it did not install" "$out"
elif echo "$out" | grep -q "$P/sbin/memcontrol: already there, and not installed by bsdmem"; then
	ok "install refuses to overwrite a file it did not install: $(echo "$out" | head -n 1)"
else
	not_ok "install refuses to overwrite a file it did not install, naming it" "$out"
fi
state >"$tmp/after"
check "and touches nothing (that file intact, nothing installed)" diff "$tmp/before" "$tmp/after"
rm -rf "${D:?}"/*

# 8. A reinstall that fails half-way (a file where modules-load.d should be
# a directory) leaves the previous install exactly as it was.
check "install (no AUTOLOAD)" env DESTDIR="$D" make -s --no-print-directory -C "$top" install
state >"$tmp/before"
echo "not a directory" >"$D/etc/modules-load.d"
if out=$(DESTDIR=$D AUTOLOAD=1 mk install 2>&1); then
	not_ok "a reinstall with AUTOLOAD=1 fails when modules-load.d is a file" "$out"
else
	ok "a reinstall with AUTOLOAD=1 fails when modules-load.d is a file"
fi
rm -f "$D/etc/modules-load.d"
state >"$tmp/after"
check "and the previous install is still there, file for file" diff "$tmp/before" "$tmp/after"

# 9. A crafted manifest: uninstall removes what is bsdmem's and nothing else.
mkdir -p "$tmp/outside"
echo victim >"$tmp/outside/victim"
echo victim2 >"$tmp/outside/victim2"
echo "root:x:0:0" >"$D/etc/passwd"
ln -s "$tmp/outside" "$D$P/share/bsdmem/link"
sum() { sha256sum <"$1" | cut -d ' ' -f 1; }
{
	echo "f $P/../../../outside/victim $(sum "$tmp/outside/victim")"
	echo "f $P/share/bsdmem/link/victim2 $(sum "$tmp/outside/victim2")"
	echo "f /etc/passwd $(sum "$D/etc/passwd")"
	echo "dkms 9.9.9"
} >>"$D$P/share/bsdmem/manifest"
dkms status >"$tmp/dkms0" 2>&1
if out=$(DESTDIR=$D mk uninstall 2>&1); then
	not_ok "uninstall with a crafted manifest exits non-zero" "$out"
else
	ok "uninstall with a crafted manifest exits non-zero"
fi
if [ -f "$tmp/outside/victim" ] && [ -f "$tmp/outside/victim2" ] && [ -f "$D/etc/passwd" ]; then
	ok "files named with .., through a link out of DESTDIR, or outside bsdmem's places are not removed"
else
	not_ok "files named with .., through a link out of DESTDIR, or outside bsdmem's places are not removed" \
		"$(ls "$tmp/outside" "$D/etc" 2>&1)" "$out"
fi
dkms status >"$tmp/dkms1" 2>&1
if echo "$out" | grep -q "ignored 'dkms 9.9.9'" && ! echo "$out" | grep -q 'dkms remove' &&
	cmp -s "$tmp/dkms0" "$tmp/dkms1"; then
	ok "a dkms line under DESTDIR is ignored (the host's DKMS untouched)"
else
	not_ok "a dkms line under DESTDIR is ignored (the host's DKMS untouched)" "$out"
fi
rm -f "$D$P/share/bsdmem/link" "$D/etc/passwd"
left=$(cd "$D" && find . -mindepth 1 ! -type d | head -n 20)
check "all the rest was removed" test -z "$left"
rm -rf "${D:?}"/*

# 10. A removal that fails (as nobody: bin/ stays root's) stays listed and
# uninstall exits 1; a file changed since install is kept.
copy=$(mktemp -d)
chmod 755 "$copy"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$copy" -xf -
check "install" env DESTDIR="$D" make -s --no-print-directory -C "$top" install
chmod 755 "$tmp"
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$D"
	chown root "$D$P/bin"
else
	chmod 555 "$D$P/bin"
fi
if out=$(cd / && DESTDIR=$D as_nobody "$copy/scripts/install.sh" uninstall 2>&1); then
	not_ok "uninstall exits non-zero when a file cannot be removed" "$out"
else
	ok "uninstall exits non-zero when a file cannot be removed"
fi
chmod 755 "$D$P/bin"
M=$D$P/share/bsdmem/manifest
if [ -f "$M" ] && grep -q "^f $P/bin/minidump " "$M" && [ -f "$D$P/bin/minidump" ] &&
	! grep -q "^f $P/sbin/memcontrol " "$M" && [ ! -e "$D$P/sbin/memcontrol" ]; then
	ok "the manifest still lists what was not removed, and only that"
else
	not_ok "the manifest still lists what was not removed, and only that" \
		"$(cat "$M" 2>&1)" "$out"
fi
chown -R 0:0 "$D" 2>/dev/null
chmod 700 "$tmp"
echo "# changed by hand" >>"$D$P/bin/minidump"
check "uninstall again finishes" env DESTDIR="$D" make -s --no-print-directory -C "$top" uninstall
left=$(cd "$D" && find . -mindepth 1 ! -type d)
check "and keeps only the file changed since install" test "$left" = "./${P#/}/bin/minidump"
rm -rf "${D:?}"/*

# 11. No root and no DESTDIR: refused before anything is touched. From a
# copy of the tree anyone can read (the checkout may be under a 0700 home).
snap() {
	{
		find /usr/local /etc/udev/rules.d /etc/modules-load.d /usr/src \
			"$copy/build" -maxdepth 4 -printf '%p %T@\n' 2>/dev/null
		dkms status 2>/dev/null
	} | sort
}
snap >"$tmp/snap0"
for c in install uninstall; do
	if out=$(cd / && HOME=/ as_nobody make -s --no-print-directory -C "$copy" $c 2>&1); then
		not_ok "make $c without root and DESTDIR is refused" "$out"
	elif echo "$out" | grep -q "needs root"; then
		ok "make $c without root and DESTDIR is refused: $(echo "$out" | head -n 1)"
	else
		not_ok "make $c without root and DESTDIR is refused with a clear message" "$out"
	fi
done
snap >"$tmp/snap1"
check "and nothing on the host changed" diff "$tmp/snap0" "$tmp/snap1"
rm -rf "$copy"

# 12. The real host (root): DKMS registration, build, signature, removal.
rule=/etc/udev/rules.d/60-bsdmem.rules
HP=$tmp/prefix
host_snap() {
	{
		find /etc/udev/rules.d /etc/modules-load.d /usr/src /var/lib/dkms \
			/lib/modules/*/updates -printf '%p %y %s %m\n' 2>/dev/null
		dkms status 2>&1
	} | sort
}
# shellcheck disable=SC2317 # called by the trap
host_cleanup() {
	[ -z "$host_done" ] || return 0
	host_done=1
	[ -f "$HP/share/bsdmem/manifest" ] || [ -n "$(dkms status -m bsdmem 2>/dev/null)" ] ||
		[ -e "/usr/src/bsdmem-$v" ] || [ -e "$rule" ] || return 0
	echo "# cleaning up the host install"
	[ ! -f "$HP/share/bsdmem/manifest" ] ||
		PREFIX=$HP "$top/scripts/install.sh" uninstall >/dev/null 2>&1
	[ -z "$(dkms status -m bsdmem 2>/dev/null)" ] ||
		dkms remove "bsdmem/$v" --all >/dev/null 2>&1
	rm -rf "/usr/src/bsdmem-$v" /var/lib/dkms/bsdmem "$rule"
}
# why_untouched PATH...: why the host must be left alone (not root, no
# DKMS, or bsdmem already there: DKMS knows it, or its source, its udev
# rule or a PATH exists); false when the test may install.
why_untouched() {
	if [ "$(id -u)" != 0 ]; then
		echo "not root"
	elif ! command -v dkms >/dev/null; then
		echo "no dkms"
	elif [ -n "$(dkms status -m bsdmem 2>/dev/null)" ]; then
		echo "bsdmem is already installed on this host: not touched"
	else
		for p in "/usr/src/bsdmem-$v" "$rule" "$@"; do
			[ ! -e "$p" ] && continue
			echo "bsdmem is already installed on this host: not touched"
			return 0
		done
		return 1
	fi
}
why=$(why_untouched /var/lib/dkms/bsdmem) || why=
if [ -n "$why" ]; then
	for i in $(seq $((3 + 2 * nk))); do
		ok "real-host install $i # SKIP $why"
	done
else
	host_snap >"$tmp/host0"
	host_done=
	if out=$(PREFIX=$HP mk install 2>&1); then
		ok "make install PREFIX=$HP (DKMS, the host's /etc and /usr/src)"
	else
		not_ok "make install PREFIX=$HP (DKMS, the host's /etc and /usr/src)" "$(echo "$out" | tail -n 30)"
	fi
	cert=/var/lib/dkms/mok.pub
	subject=$(openssl x509 -inform DER -in "$cert" -noout -subject -nameopt multiline 2>/dev/null |
		sed -n 's/^ *commonName *= *//p')
	for k in $kernels; do
		st=$(dkms status -m bsdmem -v "$v" -k "$k" 2>&1)
		if echo "$st" | grep -q ': installed'; then
			ok "dkms status: bsdmem/$v installed for $k"
		else
			not_ok "dkms status: bsdmem/$v installed for $k" "$st"
		fi
		ko=$(find "/lib/modules/$k/updates/dkms" -name 'bsdmem.ko*' 2>/dev/null | head -n 1)
		who=$(modinfo -F signer "${ko:-/nonexistent}" 2>/dev/null)
		mv=$(modinfo -F version "${ko:-/nonexistent}" 2>/dev/null)
		if [ ! -f /var/lib/dkms/mok.key ] || [ -z "$subject" ]; then
			ok "$k: module signed # SKIP no DKMS MOK key on this host"
		elif [ "$who" = "$subject" ] && [ "$mv" = "$v" ]; then
			ok "$k: the module says $v and is signed with DKMS's MOK key ($who)"
		else
			not_ok "$k: the module says $v and is signed with DKMS's MOK key ($subject)" \
				"${ko:-no module}: version '$mv' signer '$who'"
		fi
	done
	if out=$(PREFIX=$HP mk uninstall 2>&1); then
		ok "make uninstall PREFIX=$HP"
	else
		not_ok "make uninstall PREFIX=$HP" "$out"
	fi
	host_snap >"$tmp/host1"
	left=$(find "$HP" ! -type d 2>/dev/null)
	if [ -z "$(dkms status -m bsdmem 2>/dev/null)" ] && [ -z "$left" ] &&
		diff "$tmp/host0" "$tmp/host1" >"$tmp/hostdiff"; then
		ok "no DKMS registration, module or file left: the host is as before"
	else
		not_ok "no DKMS registration, module or file left: the host is as before" \
			"$(dkms status 2>&1)" "$left" "$(head -n 20 "$tmp/hostdiff")"
	fi
	host_cleanup
fi

# 13. README's install-make.sh, line by line as written, on the real host.
stage=/tmp/stage
readme_snap() {
	{
		host_snap
		find /usr/local /usr/sbin /usr/bin /usr/include /usr/share/pkgconfig \
			/usr/share/man/man1 /usr/share/man/man4 /usr/share/man/man8 /usr/share/bsdmem \
			-printf '%p %y %s %m\n' 2>/dev/null
	} | sort
}
# shellcheck disable=SC2317 # called by the trap
readme_cleanup() {
	[ -n "${readme_started:-}" ] || return 0
	readme_started=
	for p in /usr/local /usr; do
		[ ! -f "$p/share/bsdmem/manifest" ] ||
			PREFIX=$p "$top/scripts/install.sh" uninstall >/dev/null 2>&1
	done
	[ -n "${made_stage:-}" ] || return 0
	[ ! -f "$stage/usr/local/share/bsdmem/manifest" ] ||
		DESTDIR=$stage "$top/scripts/install.sh" uninstall >/dev/null 2>&1
	[ ! -d "$stage" ] || find "$stage" -depth -type d -empty -delete
}
# run_line N: README's line N, as written, from the top; its output in $out.
run_line() {
	out=$(cd "$top" && sh -c "$(sed -n "${1}p" "$tmp/steps")" 2>&1)
}
# same_host WHAT: the host's places are as before line 1 ran.
same_host() {
	readme_snap >"$tmp/readme1"
	if diff "$tmp/readme0" "$tmp/readme1" >"$tmp/readmediff"; then
		ok "$1: the host is as before"
	else
		not_ok "$1: the host is as before" "$(head -n 20 "$tmp/readmediff")"
	fi
}
why=$(why_untouched /usr/local/share/bsdmem /usr/share/bsdmem) || why=
[ -n "$why" ] || [ ! -e "$stage" ] || why="$stage exists: not touched"
if [ -n "$why" ]; then
	for i in $(seq 7); do
		ok "README install-make.sh $i # SKIP $why"
	done
else
	"$top/scripts/readme-examples.sh" "$tmp/examples" >/dev/null
	readme_lines install-make.sh "$tmp/examples" >"$tmp/steps"
	if why=$(readme_shape "$tmp/steps" '^make install( |$)' \
		'^make install PREFIX=/usr AUTOLOAD=1( |$)' "^make install DESTDIR=$stage( |\$)" \
		'^make uninstall( |$)'); then
		ok "README's install-make.sh is make install, with PREFIX=/usr AUTOLOAD=1, with DESTDIR=$stage, make uninstall"
		readme_snap >"$tmp/readme0"
		readme_started=1
		# installed PREFIX KERNELS: what each install must have done.
		installed() {
			got=$("$1/sbin/memcontrol" --version 2>&1)
			[ "$got" = "memcontrol (bsdmem) $v" ] || echo "$1/sbin/memcontrol --version: $got"
			for k in $2; do
				dkms status -m bsdmem -v "$v" -k "$k" 2>&1 | grep -q ': installed' ||
					echo "dkms status: not installed for $k: $(dkms status 2>&1)"
			done
		}
		if run_line 1 && w=$(installed /usr/local "$kernels") && [ -z "$w" ]; then
			ok "README: make install (PREFIX=/usr/local, DKMS for $nk kernels)"
		else
			not_ok "README: make install (PREFIX=/usr/local, DKMS for $nk kernels)" \
				"$(echo "$out" | tail -n 20)" "$w"
		fi
		if run_line 4; then
			same_host "README: make uninstall"
		else
			not_ok "README: make uninstall" "$out"
		fi
		if run_line 2 && w=$(installed /usr "$kernels") && [ -z "$w" ] &&
			[ "$(cat /etc/modules-load.d/bsdmem.conf 2>&1)" = bsdmem ]; then
			ok "README: make install PREFIX=/usr AUTOLOAD=1 (/usr/sbin, modules-load.d, DKMS)"
		else
			not_ok "README: make install PREFIX=/usr AUTOLOAD=1 (/usr/sbin, modules-load.d, DKMS)" \
				"$(echo "$out" | tail -n 20)" "$w" "$(cat /etc/modules-load.d/bsdmem.conf 2>&1)"
		fi
		if out=$(PREFIX=/usr mk uninstall 2>&1); then
			same_host "make uninstall PREFIX=/usr"
		else
			not_ok "make uninstall PREFIX=/usr" "$out"
		fi
		# $stage is made here, root's, right before the install: no other
		# user's directory (or link) in world-writable /tmp is installed into.
		w=
		out=
		made_stage=
		mkdir -m 755 "$stage" 2>"$tmp/mkdir.err" && made_stage=1
		if [ -z "$made_stage" ]; then
			not_ok "README: make install DESTDIR=$stage" \
				"mkdir $stage: $(cat "$tmp/mkdir.err") (made by someone else meanwhile?)"
		elif run_line 3 && w=$(installed "$stage/usr/local" "") && [ -z "$w" ] &&
			[ -z "$(dkms status -m bsdmem 2>&1)" ] &&
			[ -f "$stage/usr/src/bsdmem-$v/dkms.conf" ]; then
			ok "README: make install DESTDIR=$stage (the DKMS tree staged, DKMS not called)"
		else
			not_ok "README: make install DESTDIR=$stage (the DKMS tree staged, DKMS not called)" \
				"$(echo "$out" | tail -n 20)" "$w" "$(dkms status 2>&1)"
		fi
		if [ -z "$made_stage" ]; then
			not_ok "make uninstall DESTDIR=$stage (not run: $stage is not this test's)"
		elif out=$(DESTDIR=$stage mk uninstall 2>&1) &&
			left=$(find "$stage" ! -type d 2>&1) && [ -z "$left" ]; then
			find "$stage" -depth -type d -empty -delete
			same_host "make uninstall DESTDIR=$stage (nothing left in it)"
		else
			not_ok "make uninstall DESTDIR=$stage leaves nothing in it" "$out" "$left"
		fi
		readme_cleanup
	else
		not_ok "README's install-make.sh is the four lines this test runs" "$why" \
			"update this test with README.md"
		for i in $(seq 6); do
			not_ok "README install-make.sh $i (not run: the example changed)"
		done
	fi
fi

[ "$n" -eq "$plan" ] || echo "# planned $plan tests, ran $n"
[ "$fails" -eq 0 ] && [ "$n" -eq "$plan" ]
