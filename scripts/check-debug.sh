#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make check-debug": the QEMU boots of make check on the debug kernel of
# scripts/debug-kernel.sh (KASAN, KFENCE, UBSAN, lockdep, kmemleak, fault
# injection, gcov; built when not cached), with any warning fatal, then the
# driver's line and branch coverage merged over the boots
# (scripts/coverage.sh; at least BSDMEM_COVERAGE_MIN percent of lines, counted
# as one test). Last line: "N passed, N failed, N skipped".
#   BOOTS=   the boots (default: every boot of the matrix that applies)
#   SUITES=  the programs (default: all of selftests/suites for those boots)
#   BSDMEM_DEBUG_BUILD=no   use the kernel only when it is cached: otherwise
#            report every boot as skipped, with the reason (CI without time)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# The matrix on a debug kernel: not the boots whose point is another CPU or
# firmware (nomtrr, mtrroff, noerms) or virtio-mem (vmem): their code paths
# are the same ones, and each boot costs minutes under KASAN.
BOOTS=$(echo "${BOOTS:-default no5lvl nopat numa lockdown big}" | tr ',' ' ')
nboots=$(echo "$BOOTS" | wc -w)

if ! scripts/deps.sh; then
	echo "check-debug: missing packages"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
start=$(date +%s)
if root=$(scripts/debug-kernel.sh --root); then
	how="cached in $(dirname "$root")"
elif [ "${BSDMEM_DEBUG_BUILD:-yes}" = no ]; then
	echo "check-debug: SKIPPED: the debug kernel is not cached and BSDMEM_DEBUG_BUILD=no; its $nboots boots ($BOOTS) did not run"
	echo "0 passed, 0 failed, $nboots skipped"
	exit 0
elif ! root=$(scripts/debug-kernel.sh); then
	echo "check-debug: building the debug kernel failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
else
	how="built in $(($(date +%s) - start)) s"
fi
kver=$(scripts/debug-kernel.sh --kver)
echo "check-debug: kernel $kver ($how)"

# KASAN, lockdep and kmemleak under TCG: several times slower than make check.
BSDMEM_TIMEOUT_SCALE=${BSDMEM_TIMEOUT_SCALE:-4}
export BSDMEM_KROOT="$root" KERNELS="$kver" BSDMEM_DEBUG=1 BOOTS BSDMEM_TIMEOUT_SCALE
log=build/logs/check-debug.log
mkdir -p build/logs
rm -rf build/share/"$kver"-*
# make check's boots on this kernel; its summary line comes last, after the
# coverage, so it is held back.
scripts/check.sh | tee "$log" | sed '$d'
# shellcheck disable=SC2046 # the three counts
set -- $(tail -n 1 "$log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
if [ $# -ne 3 ]; then
	echo "check-debug: make check's boots printed no summary"
	set -- 0 1 0
fi
passed=$1 failed=$2 skipped=$3

# Coverage over the boots that can leave it (lockdown closes debugfs).
cov=
for b in $BOOTS; do
	[ -d "build/share/$kver-$b/gcov" ] && cov="$cov $b"
done
if [ -z "$cov" ]; then
	echo "coverage: no boot left gcov data"
	failed=$((failed + 1))
else
	# shellcheck disable=SC2086 # one word per boot
	scripts/coverage.sh "$kver" $cov
	case $? in
	0) passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
fi
echo "check-debug: $(($(date +%s) - start)) s in all"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
