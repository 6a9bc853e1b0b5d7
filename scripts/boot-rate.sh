#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Measures how often a test guest dies before it loads bsdmem (an emulator
# crash, nothing of ours running yet): boots KVER's BOOT N times with no test
# program (only the boot checks), one after another, and prints one line per
# boot and a total. Env BSDMEM_TCG_THREAD=single|multi as for qemu-boot.sh.
# usage: boot-rate.sh KVER BOOT N
set -u

[ $# -eq 3 ] || { echo "usage: $0 KVER BOOT N" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
k=$1
b=$2
res=$top/build/logs/$k-$b.results
con=$top/build/logs/$k-$b.console
early=0
other=0
total=0
i=0
while [ "$i" -lt "$3" ]; do
	i=$((i + 1))
	start=$(date +%s)
	SUITES=- BSDMEM_BOOT_TIMEOUT=300 "$top/scripts/qemu-boot.sh" "$k" "$b" >/dev/null 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	total=$((total + secs))
	if ! grep -q '^# bsdmem-loading' "$res" 2>/dev/null; then
		early=$((early + 1))
		what="died before loading bsdmem: $(grep -m 2 -E 'Oops|BUG:|panic|RIP:' "$con" |
			tr -s ' \t' ' ' | paste -sd '|' -)"
		cp "$con" "$con.early.$i"
	elif ! grep -q '^# bsdmem-boot-done' "$res"; then
		other=$((other + 1))
		what="died after loading bsdmem (exit $rc)"
		cp "$con" "$con.late.$i"
	else
		what=ok
	fi
	echo "boot $i: $what ($secs s)"
done
echo "$k $b thread=${BSDMEM_TCG_THREAD:-multi}: $3 boots, $early died before loading bsdmem, $other died after, $((total / $3)) s per boot"
