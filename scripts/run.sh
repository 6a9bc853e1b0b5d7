#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make run": sets up and builds, then boots one guest (the newest target
# kernel, default machine) that loads bsdmem and runs scripts/guest-demo.sh
# with its output on this terminal. Files the demo writes to its share
# ($BSDMEM_SHARE in the guest) land in build/run/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MAKE=${MAKE:-make}
MINIDUMP=build/host-tools/minidump
scripts/deps.sh
$MAKE --no-print-directory ksft modules tools host-tools
kver=$(scripts/kernels.sh | tail -n 1)
echo "run: booting $kver (QEMU TCG, about half a minute; Ctrl-A x quits)"
BSDMEM_BOOT_TIMEOUT=${BSDMEM_BOOT_TIMEOUT:-300} scripts/qemu-boot.sh "$kver" run

# drgn's view of VMCORE with VMLINUX: the release and the first tasks, as
# crash's sys and ps | head show them.
DRGN_PY='
import sys, drgn
from drgn.helpers.linux.pid import for_each_task
prog = drgn.program_from_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
print("RELEASE:", prog["init_uts_ns"].name.release.string_().decode())
print("   PID  COMM")
n = 0
try:
    for t in for_each_task(prog):
        n += 1
        if n <= 10:
            print("%6d  %s" % (t.pid.value_(), t.comm.string_().decode()))
except drgn.FaultError as e:
    # a task forked while the live dump ran can sit in a page that was
    # still free when the dump copied it
    print("(the task walk stopped at a fault after %d tasks: %s)" % (n, e))
print("%d tasks" % n)
'

# show_in_debuggers DUMP KVER: the dump as an ELF vmcore (minidump elf),
# opened with crash (sys, ps | head) when the debug vmlinux of KVER is
# cached; with drgn when this crash cannot read that kernel.
show_in_debuggers() {
	vmcore=build/run/vmcore.0
	rm -f "$vmcore"
	if ! $MINIDUMP elf "$1" "$vmcore"; then
		echo "run: minidump elf failed on $1"
		return 1
	fi
	echo "run: minidump elf: $vmcore is an ELF vmcore for drgn and crash"
	if ! vmlinux=$(scripts/debuginfo.sh --path "$2" 2>/dev/null); then
		echo "run: to open $vmcore with crash or drgn, fetch $2's debug vmlinux once: make debuginfo"
		return 0
	fi
	echo "run: crash -s $vmlinux $vmcore (sys; ps | head):"
	# crash exits 1 after a command file whatever it read: judge its output
	printf 'sys\nps | head\nexit\n' |
		timeout 300 crash -s "$vmlinux" "$vmcore" >build/run/crash.out 2>&1 ||
		true
	if grep -q 'RELEASE:' build/run/crash.out; then
		cat build/run/crash.out
		return 0
	fi
	ver=$(crash --version 2>/dev/null | awk '/^crash / { print $2; exit }')
	# crash -s can end without a word: -d1 prints why
	err=$(grep -m 1 '^crash: ' build/run/crash.out || true)
	[ -n "$err" ] || err=$(timeout 300 crash -d1 "$vmlinux" "$vmcore" \
		</dev/null 2>&1 | grep -m 1 '^crash: ' || true)
	echo "run: crash ${ver:-?} does not open a $2 vmcore (${err:-it printed no reason}); drgn does:"
	timeout 300 /usr/bin/python3 -c "$DRGN_PY" "$vmcore" "$vmlinux" ||
		echo "run: drgn could not read $vmcore either"
}

# The demo's live dump, checked again on the host with real tools.
core=build/run/livecore.0.zst
if [ -f "$core" ]; then
	echo
	echo "run: $core on the host:"
	$MINIDUMP check "$core"
	# bsdlivedump cut the file at dumplength, as savecore does: all zstd.
	zstd -q -t "$core" &&
		echo "run: zstd -t: $core is one valid zstd frame"
	show_in_debuggers "$core" "$kver"
fi
