#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make lint": the static checks of TESTING.md, one line per step
# ("lint: PASS|FAIL|SKIP step"), details of a failure indented below it:
# W=1 and sparse builds per kernel, checkpatch --strict, LINUX_VERSION_CODE
# only in driver/compat.h, uapi headers alone in C99 and C++, the uapi layout
# check for -m64/-m32/-mx32, a DKMS build per kernel, each selftest's
# explicit per-test timeouts within its program's, one version everywhere
# (module, tools, dkms.conf, debian/changelog), the man pages, and
# every shell script through shellcheck. Exit 1 on a FAIL.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=$(scripts/ksft.sh) || exit 1
kernels=$(scripts/kernels.sh) || exit 1
uapi=$(find include/uapi -name '*.h' | sort)
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# step NAME CMD...: run CMD with output to $log; report and keep going.
step() {
	name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "lint: PASS $name"
	else
		echo "lint: FAIL $name"
		sed 's/^/    /' "$log" | head -n 60
		failed=1
	fi
}

skip() {
	echo "lint: SKIP $1 ($2)"
}

# Every shell script of the tree (by its #! line): the harness, the host
# tests and checks, CI's entry point and the packages' maintainer scripts.
# -x: a sourced file (selftests/host/lib/tap.sh) is read with its script, so
# the variables it sets count as set.
shell_scripts() {
	# shellcheck disable=SC2046 # one word per file (no spaces in our names)
	shellcheck -x -S warning $(grep -lE '^#!/bin/(ba|da)?sh' scripts/* \
		scripts/host-checks/* selftests/host/* .ci/run debian/*.preinst debian/*.postinst \
		debian/*.postrm debian/*.prerm 2>/dev/null)
}

checkpatch() {
	rc=0
	# Run outside the work tree (through links, so paths stay relative and
	# checkpatch still knows include/uapi): in a git checkout it caches
	# camel-case words in ./.checkpatch-camelcase.git.* files.
	cptmp=$(mktemp -d)
	ln -s "$top/driver" "$top/include" "$cptmp/"
	for f in driver/*.[ch] $uapi; do
		[ -f "$f" ] || continue
		# compat.h exists to compare kernel versions; checkpatch objects
		# to exactly that, and only that is waived there.
		ignore=
		[ "$f" = driver/compat.h ] &&
			ignore="--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON"
		# The kernel's zlib and zstd APIs are spelled in camel case
		# (zlib_deflateInit2, zstd_parameters.cParams): not ours to rename.
		case $f in
		driver/compress_gzip.c | driver/compress_zstd.c) ignore="--ignore CAMELCASE" ;;
		esac
		# shellcheck disable=SC2086 # $ignore is empty or two words
		out=$(cd "$cptmp" && perl "$cache/checkpatch/checkpatch.pl" \
			--no-tree --strict --show-types $ignore -f "$f" 2>&1)
		if ! echo "$out" | grep -q '^total: 0 errors, 0 warnings, 0 checks'; then
			echo "$out" | grep -v '^$'
			rc=1
		fi
	done
	rm -rf "$cptmp"
	return $rc
}

version_code() {
	bad=$(grep -rl LINUX_VERSION_CODE Kbuild driver include selftests tools \
		2>/dev/null | grep -vx driver/compat.h)
	[ -z "$bad" ] || { echo "LINUX_VERSION_CODE outside driver/compat.h: $bad"; return 1; }
}

# header_alone LANG HEADER: the header compiles as the only include.
header_alone() {
	case $1 in
	c) cc="gcc -std=c99 -x c" ;;
	c++) cc="g++ -std=c++11 -x c++" ;;
	esac
	echo "#include \"$top/$2\"" |
		$cc -Wall -Wextra -Werror -fsyntax-only -I include/uapi -
}

layout() {
	gcc "$1" -std=gnu99 -ffreestanding -Wall -Wextra -Werror -I include/uapi \
		-c selftests/uapi/layout.c -o /dev/null
}

# The per-test timeouts of one program (TEST_F_TIMEOUT, or the harness's
# default) must fit in the program's own (selftests/suites): else the guest
# kills the program first, and a slow test is reported as the program's
# timeout with every later test lost, not as its own.
test_timeouts() {
	rc=0
	dflt=$(sed -n 's/^#define TEST_TIMEOUT_DEFAULT \([0-9]*\)$/\1/p' \
		"$cache/ksft/kselftest_harness.h")
	[ -n "$dflt" ] || { echo "no TEST_TIMEOUT_DEFAULT in the harness"; return 1; }
	while read -r prog limit; do
		sum=$(awk -v dflt="$dflt" -f scripts/timeouts.awk "selftests/$prog.c")
		if [ "$sum" -gt "$limit" ]; then
			echo "$prog: per-test timeouts add up to $sum s, the program has $limit s"
			rc=1
		fi
	done <<EOT
$(scripts/suites.sh --timeouts selftests/suites)
EOT
	return $rc
}

# Every man page (driver/*.N, tools/*/*.N and lib/*/*.N)
# renders with no warning: groff -ww -z (-mdoc for pages that start with
# .Dd, else -man) and Debian's mandoc -T lint down to its style messages.
# Two of those depend on this machine, not on the page, and are left out:
# "referenced manual not found" (our own pages are not installed here, and
# FreeBSD's savecore(8) never is) and notes about an outdated mandoc.db.
man_pages() {
	rc=0
	pages=$(find driver tools lib -name '*.[1-9]' -type f | sort)
	[ -n "$pages" ] || { echo "no man pages in driver/, tools/ or lib/"; return 1; }
	for t in groff mandoc; do
		command -v "$t" >/dev/null || { echo "$t is missing (scripts/deps.sh)"; return 1; }
	done
	for p in $pages; do
		macros=-man
		grep -q '^\.Dd' "$p" && macros=-mdoc
		if ! out=$(groff -ww -z "$macros" "$p" 2>&1) || [ -n "$out" ]; then
			echo "$p: groff -ww -z $macros:"
			echo "$out"
			rc=1
		fi
		out=$(mandoc -T lint -W style "$p" 2>&1 |
			grep -v -e 'STYLE: referenced manual not found' -e 'mandoc\.db')
		[ -z "$out" ] || { echo "$p: mandoc -T lint:"; echo "$out"; rc=1; }
	done
	return "$rc"
}

# dkms_build KVER...: add and build a throw-away copy under /tmp, then remove it.
dkms_build() {
	ver=0.lint.$$
	tmp=$(mktemp -d /tmp/bsdmem-dkms.XXXXXX)
	src=$tmp/bsdmem-$ver
	mkdir -p "$src"
	cp -r Kbuild driver include "$src/"
	# VERSION for Kbuild's MODULE_VERSION; dkms.conf gets the lint version.
	scripts/version.sh --stamp "$src"
	sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" dkms.conf >"$src/dkms.conf"
	rc=0
	dkms add -m bsdmem -v "$ver" --sourcetree "$tmp" || rc=1
	for k in "$@"; do
		[ $rc -eq 0 ] || break
		dkms build -m bsdmem -v "$ver" -k "$k" --sourcetree "$tmp" || rc=1
	done
	[ $rc -eq 0 ] || cat /var/lib/dkms/bsdmem/"$ver"/build/make.log 2>/dev/null
	dkms remove "bsdmem/$ver" --all --sourcetree "$tmp" >/dev/null 2>&1
	rm -rf "$tmp" "/var/lib/dkms/bsdmem/$ver"
	rmdir /var/lib/dkms/bsdmem 2>/dev/null
	return $rc
}

# field FILE: the version a built file says (modinfo, or a tool's
# "NAME (bsdmem) VERSION").
field() {
	case $1 in
	*.ko) modinfo -F version "$1" ;;
	*) "$1" --version | sed -n 's/^[a-z]* (bsdmem) //p' ;;
	esac
}

# scripts/version.sh is the one source: dkms.conf leaves PACKAGE_VERSION to
# it, the dkms.conf and changelog that make dist and make install stamp say
# it, debian/changelog's top entry is the release it is based on (0.0 before
# the first tag), and the built module and tools say it (lint comes after
# the builds; they are rebuilt when the version changes).
versions() {
	rc=0
	v=$(scripts/version.sh) || return 1
	echo "version.sh: $v"
	p=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
	if [ "$p" != "#MODULE_VERSION#" ]; then
		echo "dkms.conf: PACKAGE_VERSION=\"$p\", not \"#MODULE_VERSION#\" (filled in from version.sh)"
		rc=1
	fi
	base=${v%%+*}
	c=$(dpkg-parsechangelog -l debian/changelog -S Version)
	if [ "$c" != "$base" ]; then
		echo "debian/changelog: top entry $c; version $v is based on $base (a new tag needs its changelog entry)"
		rc=1
	fi
	t=$(mktemp -d)
	cp -r dkms.conf debian "$t/"
	scripts/version.sh --stamp "$t"
	p=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$t/dkms.conf")
	c=$(dpkg-parsechangelog -l "$t/debian/changelog" -S Version)
	for got in "VERSION:$(cat "$t/VERSION")" "stamped dkms.conf:$p" \
		"stamped debian/changelog:$c"; do
		[ "${got##*:}" = "$v" ] || { echo "$got"; rc=1; }
	done
	rm -rf "$t"
	for f in $(for k in $kernels; do echo "build/$k/bsdmem.ko"; done) \
		build/tools/memcontrol build/tools/bsdlivedump build/tools/minidump \
		build/host-tools/memcontrol build/host-tools/bsdlivedump \
		build/host-tools/minidump; do
		if [ ! -f "$f" ]; then
			echo "$f: missing (make modules tools host-tools)"
			rc=1
		elif [ "$(field "$f")" != "$v" ]; then
			echo "$f: says '$(field "$f")'"
			rc=1
		fi
	done
	return $rc
}

for k in $kernels; do
	step "W=1 build, no warnings ($k)" scripts/module.sh build "$k"
done
for k in $kernels; do
	step "sparse C=2, no warnings ($k)" scripts/module.sh sparse "$k"
done
step "checkpatch --strict (driver/, include/uapi/)" checkpatch
step "LINUX_VERSION_CODE only in driver/compat.h" version_code
step "per-test timeouts within each program's (selftests/suites)" test_timeouts
step "one version: module, tools, dkms.conf, debian/changelog" versions
for h in $uapi; do
	step "$h alone as C99" header_alone c "$h"
	step "$h alone as C++11" header_alone c++ "$h"
done
for m in -m64 -m32 -mx32; do
	if [ -f selftests/uapi/layout.c ]; then
		step "uapi layout ($m)" layout "$m"
	else
		skip "uapi layout ($m)" "selftests/uapi/layout.c not written yet"
	fi
done
step "man pages: groff -ww -z and mandoc -T lint, no warnings" man_pages
step "shellcheck -x -S warning (every shell script)" shell_scripts
# BSDMEM_LINT_SKIP_DKMS=1: while another tree's host tests install bsdmem
# through DKMS on this host (they refuse a host where bsdmem is registered).
if [ -n "${BSDMEM_LINT_SKIP_DKMS:-}" ]; then
	skip "dkms add/build" "BSDMEM_LINT_SKIP_DKMS is set"
elif [ "$(id -u)" = 0 ]; then
	# shellcheck disable=SC2086 # one argument per kernel
	step "dkms add/build ($(echo $kernels))" dkms_build $kernels
else
	skip "dkms add/build" "needs root"
fi
exit $failed
