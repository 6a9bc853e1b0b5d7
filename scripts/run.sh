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
scripts/deps.sh
$MAKE --no-print-directory ksft modules tools host-tools
kver=$(scripts/kernels.sh | tail -n 1)
echo "run: booting $kver (QEMU TCG, about half a minute; Ctrl-A x quits)"
BSDMEM_BOOT_TIMEOUT=${BSDMEM_BOOT_TIMEOUT:-300} scripts/qemu-boot.sh "$kver" run

# The demo's live dump, checked again on the host with real tools.
core=build/run/livecore.0.zst
if [ -f "$core" ]; then
	echo
	echo "run: $core on the host:"
	build/host-tools/minidump check "$core"
	# bsdlivedump cut the file at dumplength, as savecore does: all zstd.
	zstd -q -t "$core" &&
		echo "run: zstd -t: $core is one valid zstd frame"
fi
