#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Line and branch coverage of driver/ over the boots of "make check-debug":
#   coverage.sh KVER BOOT...
# Each boot's guest left bsdmem.ko's gcov counters in build/share/KVER-BOOT/
# gcov/ (scripts/guest-init.sh); lcov reads them against the .gcno files of
# build/KVER/ (the module built with GCOV_PROFILE), the boots are merged into
# build/coverage/driver.info with an HTML report in build/coverage/html/, and
# one line per driver file is printed, then the total. Exit 1 when a boot
# has no data or lcov fails; exit 2 when the total is below
# BSDMEM_COVERAGE_MIN percent of lines (default 90).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kver=$1
shift
obj=build/$kver
out=build/coverage
min=${BSDMEM_COVERAGE_MIN:-90}
rm -rf "$out"
mkdir -p "$out"
LCOV="lcov --quiet --rc lcov_branch_coverage=1"

rc=0
infos=
for b in "$@"; do
	data=build/share/$kver-$b/gcov
	find "$obj/driver" -name '*.gcda' -delete
	# The guest names them by the build path: keep the file name.
	find "$data" -name '*.gcda' -exec cp {} "$obj/driver/" \; 2>/dev/null
	n=$(find "$obj/driver" -name '*.gcda' | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "coverage: $kver $b left no gcov data ($data)"
		rc=1
		continue
	fi
	if ! $LCOV --capture --directory "$obj/driver" \
		--output-file "$out/$b.info" >"$out/$b.log" 2>&1; then
		echo "coverage: lcov failed for $b (log: $out/$b.log)"
		rc=1
		continue
	fi
	infos="$infos -a $out/$b.info"
done
find "$obj/driver" -name '*.gcda' -delete
[ -n "$infos" ] || exit 1

# shellcheck disable=SC2086 # one -a per boot
if ! $LCOV $infos -o "$out/all.info" >"$out/merge.log" 2>&1 ||
	! $LCOV --extract "$out/all.info" '*/driver/*' -o "$out/driver.info" \
		>>"$out/merge.log" 2>&1; then
	echo "coverage: lcov merge failed ($out/merge.log)"
	exit 1
fi
genhtml --quiet --branch-coverage -o "$out/html" "$out/driver.info" \
	>"$out/genhtml.log" 2>&1 || echo "coverage: genhtml failed ($out/genhtml.log)"

# Per file, from the tracefile itself: LF/LH lines found/hit, BRF/BRH
# branches found/hit.
awk -v min="$min" '
function pct(h, f) { return f ? sprintf("%5.1f%%", 100 * h / f) : "    -" }
/^SF:/ { file = $0; sub(/^SF:.*\/driver\//, "driver/", file) }
/^LF:/ { lf = substr($0, 4) } /^LH:/ { lh = substr($0, 4) }
/^BRF:/ { bf = substr($0, 5) } /^BRH:/ { bh = substr($0, 5) }
/^end_of_record/ {
	printf "coverage: %-24s lines %s (%d/%d)  branches %s (%d/%d)\n",
		file, pct(lh, lf), lh, lf, pct(bh, bf), bh, bf
	LF += lf; LH += lh; BF += bf; BH += bh
	lf = lh = bf = bh = 0
}
END {
	printf "coverage: %-24s lines %s (%d/%d)  branches %s (%d/%d)\n",
		"total", pct(LH, LF), LH, LF, pct(BH, BF), BH, BF
	exit (LF && 100 * LH / LF >= min) ? 0 : 2
}' "$out/driver.info"
r=$?
echo "coverage: HTML report in $top/$out/html/index.html"
[ "$r" -ne 0 ] && echo "coverage: driver lines below the $min% target"
[ "$rc" -ne 0 ] && exit "$rc"
exit "$r"
