#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the bsdmem test guest (busybox). Mounts the basics, loads bsdmem and
# the helper modules, runs the selftests of this boot (bsdmemtest.boot=NAME),
# reports them as TAP on /dev/ttyS1, then checks unload/reload and the kernel
# log. bsdmemtest.boot=run runs /guest-demo.sh on the console instead. (Not
# "bsdmem.": modprobe would hand those words to bsdmem as module parameters.)

/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1

BOOT=default
SUITES=
# A slower kernel (the debug kernel) stretches every timeout by this much:
# the programs' here, the tests' in selftests/lib/bsdmem_harness.h.
BSDMEM_TIMEOUT_SCALE=1
for w in $(cat /proc/cmdline); do
	case $w in
	bsdmemtest.boot=*) BOOT=${w#*=} ;;
	bsdmemtest.suites=*) SUITES=${w#*=} ;;
	bsdmemtest.timeout_scale=*) BSDMEM_TIMEOUT_SCALE=${w#*=} ;;
	esac
done
export SUITES BSDMEM_TIMEOUT_SCALE
KVER=$(uname -r)
SHARE=/mnt/host
TAINT0=$(cat /proc/sys/kernel/tainted)
# In-tree modules the tests use, in load order: scripts/guest-modules.
HELPERS=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /guest-modules)

say() {
	echo "bsdmem-init: $*"
}

# Results channel: TAP for the host on the second serial port, unmangled.
open_results() {
	if [ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
		exec 3>/dev/ttyS1
	else
		say "no /dev/ttyS1: results go to the console"
		exec 3>&1
	fi
}

res() {
	printf '%s\n' "$*" >&3
}

is_builtin() {
	grep -q "/$1\.ko" "/lib/modules/$KVER/modules.builtin" 2>/dev/null
}

load_helpers() {
	for m in $HELPERS; do
		is_builtin "$m" && continue
		modprobe "$m" || say "modprobe $m failed"
	done
	mkdir -p $SHARE
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 bsdmem $SHARE
	SHARE_RC=$?
	[ "$SHARE_RC" = 0 ] || say "no 9p share at $SHARE"
	# Where this kernel sits, for scripts/host-checks/elf (a source
	# independent of the dumps): /proc/iomem's Kernel code, _text.
	[ "$SHARE_RC" = 0 ] || return 0
	{
		sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Kernel code$/kernel_code=0x\1/p' /proc/iomem
		awk '$3 == "_text" { print "text=0x" $1; exit }' /proc/kallsyms
	} >$SHARE/kernel-layout
}

lockdown_state() {
	grep -q securityfs /proc/mounts ||
		mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null
}

BAD_LOG='WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|KFENCE|list_del corruption|refcount_t|kmemleak:.*suspected'

# The stamp of the kernel log's last line (seconds since boot).
log_mark() {
	dmesg | sed -n '$s/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p'
}

# log_since MARK: the kernel log lines stamped after MARK (lines without a
# stamp go with the line before them).
log_since() {
	dmesg | awk -v t="${1:-0}" '
	/^\[ *[0-9]+\.[0-9]+\]/ {
		s = $0
		sub(/^\[ */, "", s)
		sub(/\].*/, "", s)
		after = s + 0 > t + 0
	}
	after'
}

# kernel_verdict NAME MARK TAINT: a section of its own saying whether the
# kernel logged a problem or took a new taint while NAME ran (from MARK,
# TAINT on), with the lines, so a warning is blamed on the program that
# caused it; the boot's final scan stays as a backstop.
kernel_verdict() {
	if [ -n "$2" ]; then
		bad=$(log_since "$2" | grep -E "$BAD_LOG")
	else
		# No time stamps (a kernel without CONFIG_PRINTK_TIME): nothing
		# can be placed after MARK, so every report since boot counts.
		bad=$(dmesg | grep -E "$BAD_LOG")
	fi
	taint=$(cat /proc/sys/kernel/tainted)
	new=$(( taint & ~$3 & ~(4096 | 8192) ))
	res "# bsdmem-suite: $1:kernel"
	res "1..1"
	[ -n "$bad" ] && echo "$bad" | sed 's/^/# /' >&3
	[ "$new" != 0 ] && res "# new taint flags $new (tainted $3 -> $taint)"
	if [ -z "$bad" ] && [ "$new" = 0 ]; then
		res "ok 1 kernel-log-clean-while-$1-ran"
	else
		res "not ok 1 kernel-log-clean-while-$1-ran"
	fi
	res "# bsdmem-suite-exit: $1:kernel 0"
}

uptime_s() {
	read -r up _ </proc/uptime
	echo "${up%%.*}"
}

# run_prog NAME TIMEOUT [GLOBS]: one program (only the tests GLOBS select,
# when given: selftests/suites' tests@BOOT), framed by the suite markers,
# then the kernel's verdict on it.
run_prog() {
	mark=$(log_mark)
	taint_before=$(cat /proc/sys/kernel/tainted)
	start=$(uptime_s)
	say "running $1 (timeout $2 s${3:+; only $3})"
	res "# bsdmem-suite: $1"
	if [ -x "/selftests/$1" ]; then
		(cd /tmp && exec env BSDMEM_BOOT="$BOOT" BSDMEM_SHARE=$OUT \
			BSDMEM_9P="$P9" BSDMEM_KVER="$KVER" BSDMEM_DISK="$DISK" \
			BSDMEM_MTRR_BEFORE=/run-mtrr.before \
			BSDMEM_TESTS="${3:-}" \
			timeout -k 5 "$2" "/selftests/$1") </dev/null >&3 2>&1
		rc=$?
	else
		res "# /selftests/$1 is not in the initramfs"
		rc=127
	fi
	res "# bsdmem-suite-exit: $1 $rc"
	say "$1: exit $rc after $(( $(uptime_s) - start )) s"
	# A timed-out harness leaves its forked tests behind: end them all.
	kill -KILL -1 2>/dev/null
	rm -rf /tmp/* /tmp/.[!.]* 2>/dev/null
	kernel_verdict "$1" "$mark" "$taint_before"
}

# The programs of this boot, in order, from the same lister the host uses.
run_suites() {
	sh /suites.sh /selftests/suites "$BOOT" >/tmp/.suites
	exec 4</tmp/.suites
	rm /tmp/.suites
	while read -r name t tests <&4; do
		run_prog "$name" $((t * BSDMEM_TIMEOUT_SCALE)) "$tests"
	done
	exec 4<&-
}

# tap OK NAME [DIRECTIVE]: the next line of the "boot" pseudo-suite, which
# numbers its own tests and gives its plan at the end.
FAILED=0
NTAP=0
tap() {
	NTAP=$((NTAP + 1))
	if [ "$1" = 0 ]; then
		res "ok $NTAP $2${3:+ # $3}"
	else
		res "not ok $NTAP $2"
		FAILED=1
	fi
}

log_clean() {
	bad=$(dmesg | grep -E "$BAD_LOG")
	taint=$(cat /proc/sys/kernel/tainted)
	new=$(( taint & ~TAINT0 & ~(4096 | 8192) ))
	[ -n "$bad" ] && echo "$bad" | sed 's/^/# /' >&3
	[ "$new" != 0 ] && res "# new taint flags $new (tainted $TAINT0 -> $taint)"
	[ -z "$bad" ] && [ "$new" = 0 ]
}

# The kernel's PAT reservations and MTRRs: unloading must leave them as
# they were before the module came (memory ranges are undone at unload).
memtypes() {
	cat /sys/kernel/debug/x86/pat_memtype_list /proc/mtrr 2>/dev/null
}

memtypes_restored() {
	memtypes >/run-memtypes.after
	cmp -s /run-memtypes.before /run-memtypes.after && return 0
	diff /run-memtypes.before /run-memtypes.after | sed 's/^/# /' >&3
	return 1
}

# slots_load VALUE: memrange_slots=VALUE loads, reads back, and unloads.
slots_load() {
	modprobe bsdmem "memrange_slots=$1" || return 1
	v=$(cat /sys/module/bsdmem/parameters/memrange_slots)
	rmmod bsdmem || return 1
	[ "$v" = "$1" ] || { res "# memrange_slots=$1 reads $v"; return 1; }
}

# The module parameter's limits: 1 and 256 load; 0, 257, a negative
# number and one beyond 32 bits refuse the load.
check_slots() {
	for v in 0 257 -1 4294967296; do
		if [ -n "$1" ]; then
			tap 0 "memrange_slots=$v-refused" "$1"
		else
			load_refused "memrange_slots=$v"
			tap $? "memrange_slots=$v-refused"
		fi
	done
	if [ -n "$1" ]; then
		tap 0 memrange_slots=1,256-load "$1"
	else
		slots_load 1 && slots_load 256
		tap $? memrange_slots=1,256-load
	fi
}

PARAMS=/sys/module/bsdmem/parameters

# param_is NAME VALUE: the loaded module's parameter NAME reads VALUE.
param_is() {
	v=$(cat "$PARAMS/$1" 2>/dev/null)
	[ "$v" = "$2" ] && return 0
	res "# $1 reads '$v', expected '$2'"
	return 1
}

# load_refused ARG: "modprobe bsdmem ARG" fails with EINVAL, logs why and
# leaves bsdmem unloaded (SPEC §8).
load_refused() {
	out=$(modprobe bsdmem "$1" 2>&1) && {
		res "# $1 loaded"
		rmmod bsdmem
		return 1
	}
	[ ! -e /sys/module/bsdmem ] || { res "# bsdmem is loaded"; return 1; }
	echo "$out" | grep -q 'Invalid argument' ||
		{ echo "$out" | sed 's/^/# /' >&3; return 1; }
	dmesg | grep -qF "\`${1#*=}' invalid for parameter \`${1%%=*}'" ||
		{ res "# no kernel log line for $1"; return 1; }
}

# set_refused NAME VALUE ERR: writing VALUE to the loaded module's NAME
# fails with ERR's text and leaves the value as it was.
set_refused() {
	before=$(cat "$PARAMS/$1")
	out=$( (echo "$2" >"$PARAMS/$1") 2>&1) &&
		{ res "# $1=$2 was accepted"; return 1; }
	echo "$out" | grep -q "$3" ||
		{ res "# $1=$2: $out (expected $3)"; return 1; }
	param_is "$1" "$before"
}

# The other parameters (SPEC §8): defaults, refused loads, the limits that
# load, and run-time writes (memrange_slots is fixed once loaded).
check_params() {
	names="params-defaults params-load-refused params-limits-load"
	names="$names params-runtime-writes"
	if [ -n "$1" ]; then
		for n in $names; do
			tap 0 "$n" "$1"
		done
		return
	fi
	modprobe bsdmem && param_is writable N && param_is memrange_slots 16 &&
		param_is gzip_level 6 && param_is zstd_level 3 &&
		param_is dump_threads 0
	tap $? params-defaults
	rmmod bsdmem 2>/dev/null
	ok=0
	for a in gzip_level=0 gzip_level=10 zstd_level=0 zstd_level=20 \
		writable=2 gzip_level=x dump_threads=65 dump_threads=-1; do
		load_refused "$a" || ok=1
	done
	tap $ok params-load-refused
	ok=0
	for a in "gzip_level=1 zstd_level=19 dump_threads=64" \
		"gzip_level=9 zstd_level=1 dump_threads=1"; do
		# shellcheck disable=SC2086 # two parameters
		modprobe bsdmem $a || { ok=1; continue; }
		for kv in $a; do
			param_is "${kv%%=*}" "${kv#*=}" || ok=1
		done
		rmmod bsdmem || ok=1
	done
	tap $ok params-limits-load
	ok=1
	if modprobe bsdmem; then
		ok=0
		set_refused gzip_level 0 'Invalid argument' || ok=1
		set_refused zstd_level 20 'Invalid argument' || ok=1
		set_refused dump_threads 65 'Invalid argument' || ok=1
		set_refused writable 2 'Invalid argument' || ok=1
		set_refused memrange_slots 8 'Permission denied' || ok=1
		mode=$(stat -c %a "$PARAMS/memrange_slots")
		[ "$mode" = 444 ] || { res "# memrange_slots mode $mode"; ok=1; }
		for kv in gzip_level=9 dump_threads=3 dump_threads=0 \
			writable=1:Y writable=0:N; do
			want=${kv#*=}
			want=${want#*:}
			v=${kv#*=}
			echo "${v%%:*}" >"$PARAMS/${kv%%=*}" || ok=1
			param_is "${kv%%=*}" "$want" || ok=1
		done
		rmmod bsdmem || ok=1
	fi
	tap $ok params-runtime-writes
}

KMEMLEAK=/sys/kernel/debug/kmemleak

# A debug kernel's kmemleak (scripts/debug/debug.config): forget what the
# boot itself left, so that a later scan reports only what came after.
kmemleak_forget() {
	[ -w $KMEMLEAK ] || return 0
	echo scan >$KMEMLEAK && echo clear >$KMEMLEAK
}

# kmemleak_clean: no object allocated since kmemleak_forget is unreferenced
# (two scans: an object must be a few seconds old to be reported).
kmemleak_clean() {
	echo scan >$KMEMLEAK || return 1
	sleep 6
	echo scan >$KMEMLEAK || return 1
	leaks=$(cat $KMEMLEAK)
	[ -z "$leaks" ] && return 0
	res "# kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') unreferenced objects:"
	echo "$leaks" | sed 's/^/# /' >&3
	return 1
}

# A debug kernel's coverage counters (GCOV_PROFILE of bsdmem.ko; they
# outlive unloads) go to the share's gcov/, by their build path, for the
# host's lcov (scripts/coverage.sh).
copy_gcov() {
	[ -d /sys/kernel/debug/gcov ] || return 0
	find /sys/kernel/debug/gcov -name '*.gcda' >/tmp/.gcda
	n=0
	while read -r f; do
		d=$SHARE/gcov/$(dirname "${f#/sys/kernel/debug/gcov/}")
		mkdir -p "$d" && cat "$f" >"$d/$(basename "$f")" || return 1
		n=$((n + 1))
	done </tmp/.gcda
	rm -f /tmp/.gcda
	res "# gcov: $n data files copied to the share"
	[ "$n" -gt 0 ]
}

check_boot() {
	res "# bsdmem-suite: boot"
	# The host checks what the guest leaves in the share: no share, no
	# check, so that is a failure of the boot.
	tap "$SHARE_RC" share-mounted
	tap "$LOAD_RC" load
	rmmod bsdmem
	tap $? rmmod
	memtypes_restored
	tap $? memory-types-restored
	ld=$(lockdown_state)
	case $ld in
	integrity | confidentiality)
		why="SKIP lockdown is $ld: loading modules is refused by design"
		check_slots "$why"
		check_params "$why"
		tap 0 reload "$why"
		tap 0 unload-again "$why"
		;;
	*)
		check_slots ""
		check_params ""
		modprobe bsdmem
		tap $? reload
		rmmod bsdmem
		tap $? unload-again
		;;
	esac
	# A debug kernel's checks read debugfs, which lockdown closes.
	case $ld in
	integrity | confidentiality) dbg="SKIP lockdown is $ld: debugfs is closed" ;;
	*) dbg= ;;
	esac
	if [ -w $KMEMLEAK ] && [ -n "$dbg" ]; then
		tap 0 kmemleak-clean "$dbg"
	elif [ -w $KMEMLEAK ]; then
		kmemleak_clean
		tap $? kmemleak-clean
	fi
	log_clean
	tap $? kernel-log-clean
	if [ -d /sys/kernel/debug/gcov ] && [ -n "$dbg" ]; then
		tap 0 gcov-copied "$dbg"
	elif [ -d /sys/kernel/debug/gcov ]; then
		copy_gcov
		tap $? gcov-copied
	fi
	res "1..$NTAP"
	res "# bsdmem-suite-exit: boot $FAILED"
}

power_off() {
	sync
	umount $SHARE 2>/dev/null
	[ -n "$DISK" ] && umount "$DISK"
	poweroff -f
}

say "boot $BOOT on $KVER"
open_results
load_helpers
# The scratch disk: ext4, made by qemu-boot.sh (tests need a disk file
# system: O_DIRECT, dumps too big for tmpfs in 512 MiB).
DISK=
mkdir -p /mnt/disk
if [ -b /dev/vda ] && mount -t ext4 -o noinit_itable /dev/vda /mnt/disk; then
	DISK=/mnt/disk
else
	say "no ext4 scratch disk at /dev/vda"
fi
# What the programs leave for the host's checks ($BSDMEM_SHARE) goes on the
# scratch disk: under TCG 9p writes and reads about 8 MB/s, the disk 60 MB/s
# and more (100 MiB: 12.9 s against 1.7 s written, 9.4 s against 1.3 s
# read). scripts/qemu-boot.sh copies $DISK/share into the host's share
# directory once the guest is off. Without the disk, the 9p share itself.
# $BSDMEM_9P is the 9p mount, for what must be tried on 9p.
OUT=$SHARE
P9=
[ "$SHARE_RC" = 0 ] && P9=$SHARE
if [ -n "$DISK" ] && mkdir -p "$DISK/share"; then
	OUT=$DISK/share
fi
memtypes >/run-memtypes.before
# The variable MTRRs the firmware left: memrange_test decides owners by it.
cat /proc/mtrr >/run-mtrr.before 2>/dev/null
# The host retries a boot once when the guest died before this line (an
# emulator crash that no bsdmem code can have caused).
kmemleak_forget
res "# bsdmem-loading"
modprobe bsdmem
LOAD_RC=$?

if [ "$BOOT" = run ]; then
	BSDMEM_BOOT=run BSDMEM_SHARE=$SHARE BSDMEM_KVER=$KVER BSDMEM_DISK=$DISK \
		sh /guest-demo.sh
	rmmod bsdmem || say "rmmod bsdmem failed"
	power_off
fi

case $BOOT in
bench*)
	# "make bench" (scripts/bench.sh): the benchmark from the share.
	BSDMEM_SHARE=$SHARE BSDMEM_DISK=$DISK sh $SHARE/bench-guest.sh "$BOOT"
	rmmod lime 2>/dev/null
	rmmod bsdmem || say "rmmod bsdmem failed"
	power_off
	;;
esac

run_suites
check_boot
res "# bsdmem-boot-done"
# The whole kernel log, for whoever reads the console file of a failure.
echo "---- dmesg ----"
dmesg
power_off
