# SPDX-License-Identifier: GPL-2.0
# Sums the per-test timeouts of one kselftest program: TEST_F_TIMEOUT(f, t, N)
# and TEST_TIMEOUT(t, N) give N seconds, TEST() and TEST_F() the harness's
# default (-v dflt=, 30 s in kselftest_harness.h); a test of a fixture with
# variants runs once per variant. Prints the sum in seconds.
# usage: awk -v dflt=30 -f timeouts.awk PROGRAM.c

# arg LINE N: the Nth comma-separated argument of a one-line macro call.
function arg(line, n,    a) {
	sub(/^[A-Z_]+\([ \t]*/, "", line)
	sub(/\).*/, "", line)
	split(line, a, /[ \t]*,[ \t]*/)
	return a[n]
}

/^FIXTURE_VARIANT_ADD\(/ { variants[arg($0, 1)]++; next }
/^TEST_F_TIMEOUT\(/ { add(arg($0, 1), arg($0, 3) + 0); next }
/^TEST_F\(/ { add(arg($0, 1), dflt); next }
/^TEST_TIMEOUT\(/ { add("", arg($0, 2) + 0); next }
/^TEST\(/ { add("", dflt); next }

function add(fixture, secs) {
	fix[++nt] = fixture
	sec[nt] = secs
}

END {
	for (i = 1; i <= nt; i++)
		sum += sec[i] * (fix[i] != "" && variants[fix[i]] ? variants[fix[i]] : 1)
	print sum + 0
}
