#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench": bsdmem against its peers, side by side in the same guests
# (never a test: nothing here passes or fails on a time). Boots the newest
# installed target kernel (scripts/kernels.sh) three times under TCG with
# 2 vCPUs: 1 GiB for every row of scripts/bench-guest.sh, 512 MiB and
# 2 GiB for the scaling rows. LiME is Debian's lime-forensics-dkms, built by
# DKMS for that kernel (installed when missing). Writes BENCHMARKS.md at
# the top of the tree (scripts/bench-report.awk) and keeps the raw results
# in build/bench/results.
# Env: KERNELS (the kernel to use instead of the newest), BENCH_RUNS (runs
# per figure, 2), BENCH_BOOTS (default "bench bench512 bench2g").
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=$(scripts/kernels.sh | sort -V | tail -n 1)
[ -n "$kver" ] || { echo "bench: no target kernel installed" >&2; exit 1; }
boots=${BENCH_BOOTS:-bench bench512 bench2g}
work=$top/build/bench
from=$work/share
results=$work/results

scripts/deps.sh
if ! dpkg-query -W -f='${db:Status-Status}' lime-forensics-dkms 2>/dev/null | grep -qx installed; then
	[ "$(id -u)" = 0 ] || { echo "bench: lime-forensics-dkms is missing; as root: apt-get install lime-forensics-dkms" >&2; exit 1; }
	echo "bench: installing lime-forensics-dkms (LiME, the peer)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends lime-forensics-dkms
fi
# DKMS builds LiME for the kernels it knows; make sure of this one.
lime=$(find "/lib/modules/$kver/updates" -name 'lime.ko*' 2>/dev/null | head -n 1)
if [ -z "$lime" ]; then
	lv=$(dpkg-query -W -f='${Version}' lime-forensics-dkms | sed 's/-[^-]*$//')
	dkms install "lime-forensics/$lv" -k "$kver"
	lime=$(find "/lib/modules/$kver/updates" -name 'lime.ko*' | head -n 1)
fi
[ -n "$lime" ] || { echo "bench: DKMS built no lime.ko for $kver" >&2; exit 1; }

make --no-print-directory modules selftests tools bench-tools KERNELS="$kver"

rm -rf "$from"
mkdir -p "$from"
cp build/bench/benchg scripts/bench-guest.sh "$from/"
case $lime in
*.xz) xz -dc "$lime" >"$from/lime.ko" ;;
*.zst) zstd -qdc "$lime" >"$from/lime.ko" ;;
*.gz) gzip -dc "$lime" >"$from/lime.ko" ;;
*) cp "$lime" "$from/lime.ko" ;;
esac
lime_deps=$(modinfo -F depends "$from/lime.ko")

: >"$results.tmp"
{
	echo "M kernel $kver"
	echo "M host CPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores; QEMU TCG ($(qemu-system-x86_64 --version | head -n 1)), -cpu max, 2 vCPU"
	echo "M peer LiME $(dpkg-query -W -f='${Version}' lime-forensics-dkms) (Debian lime-forensics-dkms), loaded with timeout=0${lime_deps:+, needs $lime_deps}"
	echo "M disk ext4 on a virtio sparse file; every timed write ends with sync"
	echo "M date $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "M runs ${BENCH_RUNS:-2} per figure, bsdmem and its peer alternating, caches dropped before each"
} >>"$results.tmp"

for b in $boots; do
	echo "bench: boot $b on $kver (console: build/logs/$kver-$b.console)"
	start=$(date +%s)
	BSDMEM_SHARE_FROM=$from BSDMEM_BOOT_TIMEOUT=5400 \
		scripts/qemu-boot.sh "$kver" "$b" &
	qpid=$!
	# The guest's progress, as it goes.
	console=build/logs/$kver-$b.console
	seen=0
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 5
		n=$(grep -c '^bench: ' "$console" 2>/dev/null || true)
		if [ "${n:-0}" -gt "$seen" ]; then
			grep '^bench: ' "$console" | sed -n "$((seen + 1)),\$p"
			seen=$n
		fi
	done
	rc=0
	wait "$qpid" || rc=$?
	grep '^bench: ' "$console" 2>/dev/null | sed -n "$((seen + 1)),\$p"
	share=build/share/$kver-$b
	if [ -f "$share/bench.results" ]; then
		cat "$share/bench.results" >>"$results.tmp"
	else
		echo "M note boot $b delivered no results (QEMU exit $rc; see $console)" >>"$results.tmp"
	fi
	grep -q '^bench: done' "$console" ||
		echo "M note boot $b did not finish its rows (QEMU exit $rc; see $console)" >>"$results.tmp"
	echo "bench: boot $b took $(($(date +%s) - start)) s"
	rm -f "build/disks/$kver-$b.img"
done
mv "$results.tmp" "$results"
awk -v cmd="make bench" -f scripts/bench-report.awk "$results" >BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md (raw results: build/bench/results)"
