#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Boots one test guest under QEMU (TCG) and waits for it to power off:
#   qemu-boot.sh KVER BOOT   console -> build/logs/KVER-BOOT.console,
#                            TAP (guest ttyS1) -> build/logs/KVER-BOOT.results,
#                            9p share build/share/KVER-BOOT/ at /mnt/host,
#                            and in it, after the boot, the scratch disk's
#                            /share (what the guest's programs left there)
#   qemu-boot.sh KVER run    the "make run" demo, console on this terminal
#   qemu-boot.sh --list      the boot names (TESTING.md's matrix)
#   qemu-boot.sh KVER bench|bench512|bench2g   a "make bench" guest (1 GiB,
#                            512 MiB, 2 GiB; scripts/bench.sh): the share is
#                            filled from BSDMEM_SHARE_FROM, logs as above
# Env: BSDMEM_BOOT_TIMEOUT (seconds), SUITES (programs to run, "a,b"),
# BSDMEM_TCG_THREAD (single or multi: QEMU's TCG threading, default multi),
# BSDMEM_KROOT (the root the kernel is installed under, scripts/kernels.sh),
# BSDMEM_DEBUG=1 (a debug kernel: any warning or KASAN report panics it),
# BSDMEM_TIMEOUT_SCALE=N (a slow kernel: the guest stretches every program's
# and test's timeout N times).
set -eu

BOOTS="default no5lvl nopat numa lockdown nomtrr mtrroff big noerms vmem vmemmov"
if [ "${1:-}" = --list ]; then
	echo "$BOOTS"
	exit 0
fi
[ $# -eq 2 ] || { echo "usage: $0 KVER BOOT|run | --list" >&2; exit 2; }
kver=$1
boot=$2
top=$(cd "$(dirname "$0")/.." && pwd)

mem=512
cpu=max
smp=2
qextra=
kextra=
disksize=4G
case $boot in
default | lockdown | run) ;;
bench)
	mem=1G
	disksize=8G
	;;
bench512) disksize=4G ;;
bench2g)
	mem=2G
	disksize=10G
	;;
no5lvl)
	# 4-level paging (32 TiB of vmalloc space) with 46 physical address
	# bits, as on many servers: a memory range can be larger than vmalloc.
	cpu=max,phys-bits=46
	kextra=no5lvl
	;;
nopat) kextra=nopat ;;
numa)
	mem=2G
	smp=2,sockets=2,cores=1,threads=1
	qextra="-object memory-backend-ram,id=m0,size=1G
		-object memory-backend-ram,id=m1,size=1G
		-numa node,nodeid=0,cpus=0,memdev=m0
		-numa node,nodeid=1,cpus=1,memdev=m1"
	kextra=numa_balancing=disable
	;;
nomtrr)
	cpu=max,mtrr=off
	kextra=nopat
	;;
mtrroff)
	# qboot leaves the MTRRs present but disabled (SeaBIOS enables them);
	# with PAT off too, memory ranges have no backend: ENXIO.
	qextra="-bios /usr/share/qemu/qboot.rom"
	kextra=nopat
	;;
noerms)
	# No ERMS (nor MCE recovery under TCG): copy_mc_to_kernel() is a plain
	# memcpy here, so the dump's page copy must be fault-safe by itself.
	cpu=max,erms=off
	;;
vmem)
	# A virtio-mem device with 128 MiB plugged and onlined: System RAM
	# inside an IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE resource.
	mem=512M,maxmem=1G
	qextra="-object memory-backend-ram,id=vmem0,size=256M
		-device virtio-mem-pci,id=vmem0dev,memdev=vmem0,requested-size=128M"
	kextra=memhp_default_state=online
	;;
vmemmov)
	# The same device, its memory onlined into ZONE_MOVABLE: no kernel
	# allocation lands there, so a block of it can go offline (memory
	# hot-unplug while a dump runs).
	mem=512M,maxmem=1G
	qextra="-object memory-backend-ram,id=vmem0,size=256M
		-device virtio-mem-pci,id=vmem0dev,memdev=vmem0,requested-size=128M"
	kextra=memhp_default_state=online_movable
	;;
big)
	mem=4G
	kextra="hugepagesz=1G hugepages=1"
	;;
*) echo "qemu-boot: unknown boot '$boot' (one of: $BOOTS run)" >&2; exit 2 ;;
esac

# A debug kernel's KASAN shadow, quarantine and kmemleak take a few hundred
# MiB more: the 512 MiB boots get 1 GiB there.
[ "${BSDMEM_DEBUG:-}" = 1 ] && [ "$mem" = 512 ] && mem=1G
initrd=$("$top/scripts/initramfs.sh" "$kver")
# syscall.x32=y: Debian builds x32 in but off (CONFIG_X86_X32_DISABLED); the
# NAME_x32 selftests need it on.
append="console=ttyS0 quiet panic=-1 panic_on_warn=0 log_buf_len=4M syscall.x32=y bsdmemtest.boot=$boot${kextra:+ $kextra}"
# memfd_secret (pages out of the direct map) is off by default on 6.1.
append="$append secretmem.enable=1"
if [ "${BSDMEM_DEBUG:-}" = 1 ]; then
	# scripts/debug/debug.config: a report ends the boot, so it cannot
	# pass unseen; the guest's kernel-log verdicts name the program.
	append=$(echo "$append" | sed 's/panic_on_warn=0/panic_on_warn=1/')
	# Under TCG a debug kernel's RCU kthread can starve 20 s and more
	# with no bug anywhere (seen while booting): give it two minutes.
	append="$append kasan.fault=panic rcupdate.rcu_cpu_stall_timeout=120"
fi
[ -n "${BSDMEM_TIMEOUT_SCALE:-}" ] &&
	append="$append bsdmemtest.timeout_scale=$BSDMEM_TIMEOUT_SCALE"
[ -n "${SUITES:-}" ] && append="$append bsdmemtest.suites=$(echo "$SUITES" | tr ' ' ',')"
# selftests/fuzz_test's knobs reach it through init's environment: the kernel
# hands NAME=VALUE words it does not know to init.
for v in FUZZ_SEED FUZZ_OPS FUZZ_SECONDS; do
	val=$(printenv "$v" || true)
	[ -n "$val" ] && append="$append $v=$val"
done

if [ "$boot" = run ]; then
	share=$top/build/run
	rm -rf "$share"
	mkdir -p "$share"
	set -- -chardev null,id=res
	console=
else
	name=$kver-$boot
	share=$top/build/share/$name
	logs=$top/build/logs
	rm -rf "$share"
	mkdir -p "$share" "$logs"
	rm -f "$logs/$name.results" "$logs/$name.console"
	[ -n "${BSDMEM_SHARE_FROM:-}" ] && cp -a "$BSDMEM_SHARE_FROM/." "$share/"
	set -- -chardev "file,id=res,path=$logs/$name.results"
	console=$logs/$name.console
fi
# A sparse ext4 scratch disk (/dev/vda, mounted at $BSDMEM_DISK) for tests
# that need a disk file system or write more than tmpfs holds;
# scripts/check.sh deletes it after the host checks.
disk=$top/build/disks/$kver-$boot.img
mkdir -p "$(dirname "$disk")"
rm -f "$disk"
truncate -s "$disksize" "$disk"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$disk"

# shellcheck disable=SC2086 # $qextra is a list of options
# -serial mon:stdio keeps ttyS0 on stdio: an explicit isa-serial device
# otherwise disables QEMU's default one.
set -- qemu-system-x86_64 -accel "tcg,thread=${BSDMEM_TCG_THREAD:-multi}" -cpu "$cpu" -m "$mem" -smp "$smp" \
	-nographic -serial mon:stdio -nic none -no-reboot \
	-kernel "${BSDMEM_KROOT:-}/boot/vmlinuz-$kver" -initrd "$initrd" -append "$append" \
	"$@" -device isa-serial,chardev=res,index=1 \
	-virtfs "local,path=$share,mount_tag=bsdmem,security_model=none" \
	-drive "file=$disk,format=raw,if=virtio" $qextra
timeout=${BSDMEM_BOOT_TIMEOUT:-600}

set +e
if [ -n "$console" ]; then
	# timeout puts QEMU in a process group of its own: a signal to this
	# script (scripts/check.sh stopping its boots) is passed on to it.
	timeout -k 10 "$timeout" "$@" </dev/null >"$console" 2>&1 &
	tpid=$!
	trap 'kill -TERM "$tpid" 2>/dev/null; wait "$tpid"; exit 143' INT TERM
	wait "$tpid"
	rc=$?
	trap - INT TERM
else
	timeout -k 10 --foreground "$timeout" "$@"
	rc=$?
fi
set -e
[ "$boot" = run ] && rm -f "$disk"
if [ "$boot" != run ]; then
	# What the programs left for the host on the scratch disk (the guest's
	# $BSDMEM_SHARE, scripts/guest-init.sh) joins the share directory:
	# the journal replayed first (a guest that died never unmounted it),
	# then debugfs copies it out of the image, no mount needed.
	out=$(mktemp -d "$top/build/disks/out.XXXXXX")
	fsck_rc=0
	e2fsck -fy "$disk" >"$out.fsck" 2>&1 || fsck_rc=$?
	if [ $fsck_rc -ge 4 ]; then
		echo "qemu-boot: $kver $boot: e2fsck could not repair the scratch disk:" >&2
		cat "$out.fsck" >&2
	fi
	if debugfs -R "rdump /share $out" "$disk" >"$out.log" 2>&1 &&
		[ -d "$out/share" ]; then
		if ! cp -a "$out/share/." "$share/"; then
			echo "qemu-boot: $kver $boot: copying the scratch disk's /share to $share failed" >&2
			[ $rc -eq 0 ] && rc=1
		fi
	elif debugfs -R "stat /share" "$disk" 2>/dev/null | grep -q Inode; then
		echo "qemu-boot: $kver $boot: copying /share off the scratch disk failed:" >&2
		cat "$out.log" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	rm -rf "$out" "$out.fsck" "$out.log"
fi
[ $rc -eq 124 ] && echo "qemu-boot: $kver $boot: no poweroff after $timeout s, killed" >&2
exit $rc
