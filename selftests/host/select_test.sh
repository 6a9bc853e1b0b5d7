#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of running only some of a program's tests in a boot: the
# tests@BOOT option of selftests/suites as scripts/suites.sh reads it, and
# BSDMEM_TESTS as selftests/lib/bsdmem_harness.h's runner applies it, on a
# small harness program built here with the kselftest headers make check
# uses. TAP on stdout.
# usage: select_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
. "$top/selftests/host/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ksft=$("$top/scripts/ksft.sh" --dir)/ksft

echo "1..15"

# --- scripts/suites.sh: tests@BOOT ---
printf '%s\n' \
	'# a comment' \
	'prog_a	default,numa,vmem	timeout=50,tests@numa=fix.a+vf.*.b	tests@vmem=global.plain' \
	'prog_b	numa	m32' >"$tmp/suites"
check "suites.sh: the globs of tests@numa follow the timeout" \
	test "$(sh "$top/scripts/suites.sh" "$tmp/suites" numa)" = "prog_a 50 fix.a vf.*.b
prog_b 120"
check "suites.sh: a second tests@ option, for another boot" \
	test "$(sh "$top/scripts/suites.sh" "$tmp/suites" vmem)" = "prog_a 50 global.plain"
check "suites.sh: a boot with no tests@ option runs everything" \
	test "$(sh "$top/scripts/suites.sh" "$tmp/suites" default)" = "prog_a 50"

printf 'prog_c\tdefault,numa\ttests@nmua=fix.a\n' >"$tmp/misspelt"
if out=$(sh "$top/scripts/suites.sh" "$tmp/misspelt" default 2>&1); then
	not_ok "suites.sh: tests@ of a boot the program does not run in fails" "$out"
else
	case $out in
	*"names a boot the program does not run in"*)
		ok "suites.sh: tests@ of a boot the program does not run in fails" ;;
	*) not_ok "suites.sh: tests@ of a boot the program does not run in fails" "$out" ;;
	esac
fi
printf 'prog_c\tdefault\ttimeuot=5\n' >"$tmp/unknown"
if out=$(sh "$top/scripts/suites.sh" "$tmp/unknown" default 2>&1); then
	not_ok "suites.sh: an unknown option fails" "$out"
else
	ok "suites.sh: an unknown option fails"
fi

# --- the runner of bsdmem_harness.h ---
cat >"$tmp/prog.c" <<'EOF'
#include "bsdmem_harness.h"

FIXTURE(fix) { int x; };
FIXTURE_SETUP(fix) { self->x = 1; }
FIXTURE_TEARDOWN(fix) { }
TEST_F(fix, a) { ASSERT_EQ(1, self->x); }
TEST_F(fix, b) { ASSERT_EQ(1, self->x); }
TEST_F(fix, fails) { ASSERT_EQ(2, self->x); }

FIXTURE(vf) { int x; };
FIXTURE_VARIANT(vf) { int v; };
FIXTURE_VARIANT_ADD(vf, one) { .v = 1 };
FIXTURE_VARIANT_ADD(vf, two) { .v = 2 };
FIXTURE_SETUP(vf) { self->x = variant->v; }
FIXTURE_TEARDOWN(vf) { }
TEST_F(vf, b) { ASSERT_EQ(variant->v, self->x); }

TEST(plain) { SKIP(return, "skipped on purpose"); }

TEST_HARNESS_MAIN
EOF
if ! out=$(cc -std=gnu99 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I"$top/include/uapi" -isystem "$ksft" -I"$top/selftests/lib" \
	-o "$tmp/prog" "$tmp/prog.c" 2>&1); then
	not_ok "a harness program builds with bsdmem_harness.h" "$out"
	echo "# the rest need that program"
	while [ "$n" -lt 15 ]; do not_ok "not run: the program did not build"; done
	exit 1
fi
ok "a harness program builds with bsdmem_harness.h"

# run GLOBS: the program's TAP with BSDMEM_TESTS=GLOBS in $out, status in $rc.
run() {
	out=$(cd "$tmp" && BSDMEM_TESTS=$1 ./prog 2>&1)
	rc=$?
}
# names: the names of the ok / not ok lines of $out, a skip as "skip".
names() {
	echo "$out" | sed -n -e 's/^ok [0-9]* # SKIP.*/skip/p' \
		-e 's/^ok [0-9]* \(.*\)/\1/p' -e 's/^not ok [0-9]* \(.*\)/!\1/p' |
		paste -sd ' ' -
}

# expect DESC GLOBS NAMES PLAN STATUS: with BSDMEM_TESTS=GLOBS the program
# reports NAMES (in its order, "!" a failure, "skip" a skip), plans PLAN tests
# and exits 0 (STATUS ok) or not (fail); "-" for PLAN or STATUS: not checked.
expect() {
	run "$2"
	good=yes
	[ "$(names)" = "$3" ] || good=
	[ "$4" = - ] || echo "$out" | grep -qx "1\.\.$4" || good=
	case $5 in
	ok) [ "$rc" -eq 0 ] || good= ;;
	fail) [ "$rc" -ne 0 ] || good= ;;
	esac
	if [ -n "$good" ]; then
		ok "$1"
	else
		not_ok "$1" "rc $rc" "$out"
	fi
}

all="skip fix.a fix.b !fix.fails vf.one.b vf.two.b"
expect "without BSDMEM_TESTS every test runs (the harness's own runner)" \
	"" "$all" 6 fail
expect "one exact name: the plan is 1 and only it runs" "fix.a" "fix.a" 1 ok
expect "a glob selects one variant of a fixture's test" "vf.two.*" \
	"vf.two.b" - ok
expect "several globs, a plain TEST as global.NAME, in the program's order" \
	"fix.[ab] global.plain" "skip fix.a fix.b" 3 ok
expect "a selected test that fails fails the program" "fix.fails" \
	"!fix.fails" - fail

run "fix.a fix.nosuch"
if [ "$rc" -ne 0 ] && echo "$out" | grep -qx '1\.\.1' &&
	echo "$out" | grep -q "^not ok 1 " &&
	echo "$out" | grep -q "'fix.nosuch' matches no test" &&
	! echo "$out" | grep -q 'RUN'; then
	ok "a glob that matches no test fails before any test runs"
else
	not_ok "a glob that matches no test fails before any test runs" "rc $rc" "$out"
fi

expect "a blank BSDMEM_TESTS runs everything" "   " "$all" - -

run "*"
if [ "$(names)" = "$all" ] && echo "$out" | grep -q 'Running 6 of 6 tests'; then
	ok "'*' runs everything through the selecting runner"
else
	not_ok "'*' runs everything through the selecting runner" "$out"
fi

# The same through the guest's reader: the line suites.sh prints for a
# boot, split as scripts/guest-init.sh splits it.
line=$(sh "$top/scripts/suites.sh" "$tmp/suites" numa | sed -n 1p)
# shellcheck disable=SC2086 # split like read(1) in guest-init.sh
echo "$line" | {
	read -r name t tests
	out=$(cd "$tmp" && BSDMEM_TESTS="$tests" ./prog 2>&1)
	r=$(echo "$out" | sed -n 's/^ok [0-9]* \(.*\)/\1/p' | paste -sd ' ' -)
	if [ "$name $t" = "prog_a 50" ] && [ "$r" = "fix.a vf.one.b vf.two.b" ]; then
		echo ok
	else
		printf 'bad\n%s %s [%s]\n%s\n' "$name" "$t" "$tests" "$out"
	fi
} >"$tmp/guest"
if [ "$(sed -n 1p "$tmp/guest")" = ok ]; then
	ok "suites.sh's globs, read as the guest reads them, select those tests"
else
	not_ok "suites.sh's globs, read as the guest reads them, select those tests" "$(cat "$tmp/guest")"
fi

[ "$fails" -eq 0 ]
