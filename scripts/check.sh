#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make check": deps and builds, then every target kernel x every boot that
# has a suite, BSDMEM_JOBS boots at once (below), with lint and the host tests
# running beside them; prints one line per boot (and its failures) as it
# ends, the lint and host lines when they end, and, last, "N passed, N
# failed, N skipped" over everything, each lint step counting as one test. Exit 1 if anything
# failed. Narrow with KERNELS=, BOOTS=, SUITES= (space or comma separated);
# BSDMEM_SKIP_BUILD=1 boots what is already built (harness development
# only). Skips are counted only when selftests/skips expects them.
# BSDMEM_DEBUG=1 (scripts/check-debug.sh) builds only what the boots need and
# leaves lint and the host tests to make check.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
MAKE=${MAKE:-make}
export BSDMEM_SUITES="${BSDMEM_SUITES:-$top/selftests/suites}"
# The skips each boot is expected to report; any other skip fails.
BSDMEM_SKIPS="${BSDMEM_SKIPS:-$top/selftests/skips}"
passed=0
failed=0
skipped=0
host_side=

# tally PASSED FAILED SKIPPED: add one part's counts to the totals.
tally() {
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
}

summary() {
	[ -n "${work:-}" ] && rm -rf "$work"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# host_tests SUMFILE: lint, the minidump reader's host tests and
# build/host/*, each counted like a boot; their three totals go to SUMFILE.
host_tests() {
	passed=0
	failed=0
	skipped=0
	lint_out=$(mktemp)
	scripts/lint.sh >"$lint_out" 2>&1
	lint_rc=$?
	cat "$lint_out"
	p=$(grep -c '^lint: PASS' "$lint_out")
	f=$(grep -c '^lint: FAIL' "$lint_out")
	s=$(grep -c '^lint: SKIP' "$lint_out")
	rm -f "$lint_out"
	[ "$lint_rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	echo "lint: $p passed, $f failed, $s skipped"
	tally "$p" "$f" "$s"

	# Host-side unit tests of the minidump reader (synthetic dumps), TAP.
	tap_out=build/logs/host-minidump.tap
	mkdir -p build/logs
	build/tests/mdtest build/host-tools/minidump >"$tap_out" 2>&1
	tap_rc=$?
	p=$(grep -c '^ok ' "$tap_out")
	f=$(grep -c '^not ok ' "$tap_out")
	s=$(grep '^ok ' "$tap_out" | grep -c '# SKIP')
	p=$((p - s))
	[ "$tap_rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	grep '^not ok ' "$tap_out"
	echo "host minidump reader: $p passed, $f failed, $s skipped ($tap_out)"
	tally "$p" "$f" "$s"

	# Host unit tests of driver logic (build/host/*), TAP each.
	for t in build/host/*; do
		[ -x "$t" ] || continue
		tap_out=build/logs/host-$(basename "$t").tap
		"$t" >"$tap_out" 2>&1
		tap_rc=$?
		p=$(grep -c '^ok ' "$tap_out")
		f=$(grep -c '^not ok ' "$tap_out")
		# "ok N ... # SKIP why" is a skip, not a pass.
		s=$(grep '^ok ' "$tap_out" | grep -c '# SKIP')
		p=$((p - s))
		[ "$tap_rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
		[ "$p" -eq 0 ] && [ "$s" -eq 0 ] && [ "$f" -eq 0 ] && f=1
		grep '^not ok ' "$tap_out"
		echo "host $(basename "$t"): $p passed, $f failed, $s skipped ($tap_out)"
		tally "$p" "$f" "$s"
	done
	echo "$passed $failed $skipped" >"$1"
}

# Setup and builds: nothing can be tested without them.
if [ -z "${BSDMEM_SKIP_BUILD:-}" ] && [ "${BSDMEM_DEBUG:-}" = 1 ]; then
	# port-example: release_test runs it in the default boot.
	if ! $MAKE --no-print-directory ksft modules selftests tools \
		port-example; then
		echo "check: build failed (see above); no boot was run"
		failed=1
		summary
	fi
elif [ -z "${BSDMEM_SKIP_BUILD:-}" ]; then
	if ! scripts/deps.sh ||
		! $MAKE --no-print-directory ksft modules selftests tools \
			host-tools port-example host-tests; then
		echo "check: setup or build failed (see above); no boot was run"
		failed=1
		summary
	fi
	host_side=yes
fi

# The debug vmlinux of each target kernel, for drgn and crash in the host
# check debuggers (scripts/debuginfo.sh: a download the first time, then a
# check of the cache). Without it those checks SKIP, saying why, and an
# unexpected skip fails the boot. The debug kernel has no Debian -dbg.
if [ "${BSDMEM_DEBUG:-}" != 1 ]; then
	t0=$(date +%s)
	if scripts/debuginfo.sh; then
		echo "debuginfo: ready in $(($(date +%s) - t0)) s"
	else
		echo "debuginfo: failed (see above): the debugger checks will SKIP"
	fi
fi

kernels=$(scripts/kernels.sh) || { failed=$((failed + 1)); summary; }
known=$(scripts/qemu-boot.sh --list)
boots=$(echo "${BOOTS:-$known}" | tr ',' ' ')
# A misspelt boot must fail, not run nothing and pass: in BOOTS= and in
# the suites file (qemu-boot.sh --list is the one list of boots).
named=$(scripts/suites.sh --boots "$BSDMEM_SUITES")
for b in $boots $named; do
	case " $known " in
	*" $b "*) ;;
	*)
		echo "check: unknown boot '$b' (boots: $known)"
		failed=$((failed + 1))
		;;
	esac
done

# early_crash CONSOLE: the first lines of the crash that ended a boot early
# (the kernel's report and where it was), on one line.
early_crash() {
	out=$(grep -m 3 -E 'Oops|BUG:|panic|general protection|RIP:|Call Trace' "$1" |
		sed 's/^\[ *[0-9.]*\] *//' | tr -s ' \t' ' ' | paste -sd '|' -)
	echo "${out:-no crash report on the console} (console: $1.first)"
}

# host_checks KVER BOOT: scripts/host-checks/* examine what the guest left in
# its 9p share and scratch disk; their TAP joins the boot's results.
host_checks() {
	for h in scripts/host-checks/*; do
		[ -f "$h" ] && [ -x "$h" ] || continue
		name=host:$(basename "$h")
		echo "# bsdmem-suite: $name"
		"$h" "$1" "$2" "build/share/$1-$2" "build/disks/$1-$2.img" 2>&1
		echo "# bsdmem-suite-exit: $name $?"
	done >>"build/logs/$1-$2.results"
}

# run_boot KVER BOOT NEED: one boot of the matrix, then its host checks; its
# report goes to build/logs/KVER-BOOT.summary (the counts first) and, under
# the lock, to stdout.
run_boot() {
	k=$1 b=$2 need=$3
	start=$(date +%s)
	res=build/logs/$k-$b.results
	# Never parse an earlier run's results (or blame its console's
	# crash) as this one's.
	rm -f "$res" "build/logs/$k-$b.console" "build/logs/$k-$b.console.first"
	BSDMEM_BOOT_TIMEOUT=${BSDMEM_BOOT_TIMEOUT:-$need} \
		scripts/qemu-boot.sh "$k" "$b"
	boot_rc=$?
	retried=
	con=build/logs/$k-$b.console
	if [ -f "$con" ] && ! grep -q '^# bsdmem-loading' "$res" 2>/dev/null; then
		# The guest died before it loaded bsdmem (a TCG crash,
		# nothing of ours ran): boot once more, and say so.
		retried="retried once, the first boot died before loading bsdmem: $(early_crash "$con")"
		mv "$con" "$con.first"
		rm -f "$res"
		BSDMEM_BOOT_TIMEOUT=${BSDMEM_BOOT_TIMEOUT:-$need} \
			scripts/qemu-boot.sh "$k" "$b"
		boot_rc=$?
	fi
	host_checks "$k" "$b"
	rm -f "build/disks/$k-$b.img"
	secs=$(($(date +%s) - start))
	progs=$(scripts/suites.sh "$BSDMEM_SUITES" "$b")
	expect=$(echo "$progs" | awk '{ printf "%s ", $1 } END { print "boot" }')
	[ -f "$res" ] || : >"$res"
	out=$(awk -v expect="$expect" -v skips="$BSDMEM_SKIPS" \
		-v boot="$b" -v kver="$k" -f scripts/results.awk "$res")
	if [ "$boot_rc" -ne 0 ]; then
		# The image, QEMU or the timeout failed: one more failure.
		# shellcheck disable=SC2086 # the three counts, then reasons
		set -- $out
		out=$(printf '%s %s %s\n%s\nqemu-boot: exit %s (see the console)' \
			"$1" $(($2 + 1)) "$3" \
			"$(echo "$out" | sed -n '2,$p')" "$boot_rc" | sed '/^$/d')
	fi
	# shellcheck disable=SC2086 # the three counts
	set -- $out
	report="$k $b: $1 passed, $2 failed, $3 skipped ($secs s${retried:+; $retried})"
	if [ "$2" -ne 0 ]; then
		report="$report
$(echo "$out" | sed -n '2,$s/^/    FAIL /p')
    console: $top/build/logs/$k-$b.console
    results: $top/$res"
	fi
	printf '%s %s %s\n%s\n' "$1" "$2" "$3" "$report" >"build/logs/$k-$b.summary"
	# one boot's lines together, not between another's
	lock
	printf '%s\n' "$report"
	unlock
}

# The boots to run, each once, longest first (by the sum of the programs'
# timeouts), so that parallel boots end close together.
kernels=$(echo "$kernels" | tr ' ' '\n' | awk 'NF && !seen[$0]++')
boots=$(echo "$boots" | tr ' ' '\n' | awk 'NF && !seen[$0]++')
mkdir -p build/logs
work=$(mktemp -d "$top/build/logs/check.XXXXXX") || exit 1
queued=
for k in $kernels; do
	for b in $boots; do
		progs=$(scripts/suites.sh "$BSDMEM_SUITES" "$b") || exit 1
		[ -n "$progs" ] || continue
		# Room for every program's own timeout before the boot is killed.
		# The programs' timeouts are the sums of their tests' (lint), so
		# a guest that hangs as a whole is cut off at 40 minutes.
		# BSDMEM_TIMEOUT_SCALE (a slow debug kernel) stretches it all.
		scale=${BSDMEM_TIMEOUT_SCALE:-1}
		est=$(echo "$progs" | awk '{ s += $2 } END { print s }')
		need=$((est + 120))
		[ "$need" -lt 600 ] && need=600
		[ "$need" -gt 2400 ] && need=2400
		need=$((need * scale))
		rm -f "build/logs/$k-$b.summary"
		echo "$est $k $b $need" >>"$work/all"
		queued="$queued $k/$b"
	done
done
[ -f "$work/all" ] && sort -k1,1nr -s "$work/all" | cut -d' ' -f2- >"$work/queue"

# Boots in parallel: BSDMEM_JOBS guests at once (default: one per two host
# CPUs, at least 1, at most 4; each guest has two vCPUs). Two guests on two
# CPUs gain nothing: measured here, each program took 1.8-2.9 times as long
# as alone (fault_test 721 s instead of 321 s). Each boot has its own share,
# disk and logs; scripts/initramfs.sh packs each image once, under a lock.
if [ -n "${BSDMEM_JOBS:-}" ]; then
	case $BSDMEM_JOBS in
	*[!0-9]* | 0*)
		echo "check: BSDMEM_JOBS=$BSDMEM_JOBS is not a number of boots at once (1 or more)"
		failed=$((failed + 1))
		summary
		;;
	esac
	njobs=$BSDMEM_JOBS
else
	njobs=$(($(nproc) / 2))
	[ "$njobs" -lt 1 ] && njobs=1
	[ "$njobs" -gt 4 ] && njobs=4
fi
for k in $kernels; do
	if ! scripts/initramfs.sh "$k" >/dev/null; then
		echo "check: the initramfs of $k failed (see above); no boot was run"
		failed=$((failed + 1))
		summary
	fi
done

# lock, unlock: this run's one lock (the queue, the output).
lock() {
	while ! mkdir "$work/lock" 2>/dev/null; do
		sleep 1
	done
}
unlock() {
	rmdir "$work/lock"
}

# next_job: the next "KVER BOOT NEED" line of the queue, taken under the lock.
next_job() {
	lock
	line=$(sed -n 1p "$work/queue" 2>/dev/null)
	[ -n "$line" ] && sed -i 1d "$work/queue"
	unlock
	[ -n "$line" ] && echo "$line"
}

# A signal stops the workers and, through qemu-boot.sh's own trap, their
# guests; the boots that did not end count as failed.
workers=
stop_workers() {
	for w in $workers $hpid; do
		pkill -TERM -P "$w"
		kill -TERM "$w"
	done 2>/dev/null
}

# Lint and the host tests run beside the boots, not before them: they are
# mostly one process at a time, and a guest leaves part of the two CPUs
# idle. Their lines are printed together when they end; their totals are
# added at the end. (They share nothing with the boots: lint's DKMS build
# and install_test's are theirs, run_test boots its own guest, "run".)
hpid=
if [ -n "$host_side" ]; then
	(
		host_tests "$work/host.sum" >"$work/host.out" 2>&1
		lock
		cat "$work/host.out"
		unlock
	) &
	hpid=$!
fi
trap 'trap - INT TERM; stop_workers; wait; echo "check: interrupted"; failed=$((failed + 1)); summary' INT TERM
i=0
while [ "$i" -lt "$njobs" ]; do
	(
		while job=$(next_job); do
			# shellcheck disable=SC2086 # KVER BOOT NEED
			run_boot $job
		done
	) &
	workers="$workers $!"
	i=$((i + 1))
done
wait
trap - INT TERM

# The host's totals, then the boots' in matrix order; a boot that left no
# summary failed, and so did a host side that left none.
if [ -n "$host_side" ]; then
	if [ -s "$work/host.sum" ]; then
		# shellcheck disable=SC2046 # the three counts
		tally $(cat "$work/host.sum")
	else
		echo "check: lint and the host tests did not finish"
		tally 0 1 0
	fi
fi
for kb in $queued; do
	k=${kb%/*} b=${kb#*/}
	sum=build/logs/$k-$b.summary
	if [ -s "$sum" ]; then
		# shellcheck disable=SC2046 # the three counts
		set -- $(sed -n 1p "$sum")
		tally "$1" "$2" "$3"
	else
		echo "$k $b: no report (the boot did not end)"
		tally 0 1 0
	fi
done
rm -rf "$work"
summary
