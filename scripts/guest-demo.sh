#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make run" inside the guest: /init runs this with bsdmem loaded and its
# output on the console: the devices at work (bsdmemdemo), memory ranges
# with memcontrol, a live dump written to $BSDMEM_SHARE (build/run/ on the
# host), and kvm(3) through libbsdkvm, live and on that dump (kvminfo).

step() {
	echo
	echo "== $*"
}

if [ -x /tools/bsdmemdemo ]; then
	step "kernel memory read through /dev/bsdkmem, an address translated and read back through /dev/bsdmem"
	/tools/bsdmemdemo
	echo "bsdmem-demo: bsdmemdemo exited with $?"
else
	echo "bsdmem-demo: /tools/bsdmemdemo was not built (tools/bsdmemdemo/ missing)"
	ls -l /dev/bsdmem /dev/bsdkmem 2>&1
fi

if [ -x /tools/memcontrol ]; then
	# 0x40000000 is an unused MMIO hole in QEMU's 512 MiB guest, outside the
	# firmware's uncached MTRR.
	step "memory ranges (memcontrol list; backend $(cat /sys/class/misc/bsdmem/memrange_backend))"
	/tools/memcontrol list >/tmp/ranges
	grep -v fixed-base /tmp/ranges
	echo "($(grep -c fixed-base /tmp/ranges) fixed-range MTRR lines not shown)"
	step "memcontrol set -b 0x40000000 -l 0x1000 -o demo write-combine"
	/tools/memcontrol set -b 0x40000000 -l 0x1000 -o demo write-combine &&
		/tools/memcontrol list -o demo &&
		grep 0x0000000040000000 /sys/kernel/debug/x86/pat_memtype_list
	step "memcontrol clear -o demo"
	/tools/memcontrol clear -o demo && /tools/memcontrol list -o demo
	echo "bsdmem-demo: memcontrol round trip exited with $?"
fi

if [ -x /tools/bsdlivedump ] && [ -x /tools/minidump ]; then
	out=${BSDMEM_SHARE:-/tmp}
	step "a live zstd minidump of the running kernel: bsdlivedump -Z $out"
	/tools/bsdlivedump -Z "$out" && core=$out/livecore.0.zst
	if [ -n "${core:-}" ]; then
		step "minidump check $core"
		/tools/minidump check "$core"
		banner=$(grep ' linux_banner$' /proc/kallsyms | cut -d' ' -f1)
		step "minidump read $core 0x$banner 80 (linux_banner, translated like libkvm)"
		/tools/minidump read "$core" "0x$banner" 80 | tr -d '\0'
		echo
		echo "bsdmem-demo: live dump done; on the host it is build/run/livecore.0.zst"
	fi
fi

if [ -x /tools/kvminfo ]; then
	# kvminfo is written like a FreeBSD kvm(3) tool (-M core, -N system)
	# and linked to libbsdkvm (lib/kvm).
	step "kvm(3) on the running kernel: kvminfo (libbsdkvm over /dev/bsdkmem)"
	/tools/kvminfo
	echo "bsdmem-demo: kvminfo (live) exited with $?"
	if [ -n "${core:-}" ]; then
		# The guest has no System.map: the dump's symbols from kallsyms.
		step "kvm(3) on the dump just taken: kvminfo -M $core -N /proc/kallsyms"
		/tools/kvminfo -M "$core" -N /proc/kallsyms
		echo "bsdmem-demo: kvminfo (dump) exited with $?"
	fi
fi
