#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Linux debuggers open our dumps. For each facts file a guest
# left next to its dump, the dump is converted with `minidump elf` (an ELF
# vmcore is used as it is: the QEMU dump-guest-memory control) and opened
# with Debian's drgn (/usr/bin/python3) and crash, no extra flags, with the
# debug vmlinux of scripts/debuginfo.sh; each fact the guest recorded is
# checked. TAP on stdout; each drgn and crash run's seconds in a comment.
# usage: debugger-check.sh [FACTS...]   (default: build/share/*/**/*.facts)
#        debugger-check.sh KVER BOOT SHARE [DISK]  (scripts/host-checks form)
# In the host-checks form (make check, after each boot) the plan is what
# the boot had to deliver: when BOOT ran selftests/debugger_test
# (scripts/suites.sh), SHARE/debugger/kernel.zst.facts, and in the nopat
# boot also SHARE/debugger/allram.raw.facts (debugger_test's ALLRAM_BOOT);
# a missing one fails. Any other facts file in SHARE is checked too, and
# every release= must be KVER.
# A facts file holds KEY=VALUE lines, written by the guest just before the
# dump (the value runs to the end of the line):
#   dump=FILE     the dump, relative to the facts file's directory
#   release=      uname -r            version=  the line of /proc/version
#   marker=       a line written to /dev/kmsg just before the dump
#   pid= comm=    the dumping process (PID 1 is always looked for too)
#   tasks=N       the tasks (threads) under /proc/PID/task, counted just
#                 before the facts were written
#   paddr=0xADDR bytes=HEX   a direct-map buffer's physical address and
#                 its first bytes (at most 64)
# Missing `minidump elf`, debug vmlinux, drgn or crash: the checks of that
# dump SKIP with the reason (never pass). Positively detected limits of the
# Debian tools (crash_limit, crash_too_old) SKIP with the version and cause.
# The dump is live: a task forked after its bitmap was taken may sit in
# a page that was free then, so drgn's task walk reads each task in a try
# and counts the faults (at most MAX_TASK_FAULTS pass, in the TAP comment);
# the walk must run to its end and reach at least tasks= minus
# TASK_ALLOWANCE (tasks that exited between the count and the dump); PID 1
# and the dumping process exist before the dump and must be found.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$top/scripts/debuginfo.sh" ] || top=$(pwd)
PY=/usr/bin/python3
MAX_TASK_FAULTS=3
TASK_ALLOWANCE=5
n=0
fails=0
tmp=$(mktemp -d)
trap '[ -n "${BSDMEM_KEEP:-}" ] || rm -rf "$tmp"' EXIT
# $tmp can hold a RAM-sized vmcore: on a signal, exit so EXIT removes it.
trap 'exit 130' INT TERM HUP

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# check NAME COND...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}

# fact KEY: its value (a guest's serial console may have added a CR).
fact() { sed -n "s/^$1=//p" "$facts" | head -n 1 | tr -d '\r'; }

minidump_bin() {
	[ -x "$top/build/host-tools/minidump" ] || return 1
	echo "$top/build/host-tools/minidump"
}

# ms_since T0: seconds (one decimal) since T0, a date +%s%N.
ms_since() { echo "$(date +%s%N) $1" | awk '{ printf "%.1f", ($1 - $2) / 1e9 }'; }

is_elf() { [ "$(od -An -c -N 4 "$1" 2>/dev/null | tr -d ' ')" = '177ELF' ]; }

# The drgn side: one Python run, one "key value" line per fact.
DRGN_PY='
import sys, drgn
from drgn import FaultError
from drgn.helpers.linux.pid import for_each_pid, pid_task
from drgn.helpers.linux.printk import get_printk_records
core, vmlinux, marker, paddr, nbytes = sys.argv[1:6]
prog = drgn.program_from_core_dump(core)
prog.load_debug_info([vmlinux])
print("release", prog["init_uts_ns"].name.release.string_().decode())
print("banner", prog["linux_banner"].string_().decode().rstrip("\n"))
# for_each_task(prog) with a try around each task: for_each_pid, then
# pid_task of each. A fault in the walk itself ends it (counted too).
PIDTYPE_PID = prog["PIDTYPE_PID"].value_()
tasks = faults = 0
walk = "complete"
pids = for_each_pid(prog)
while True:
    try:
        pid = next(pids)
    except StopIteration:
        break
    except FaultError as e:
        faults += 1
        walk = "ended by a fault at %#x" % e.address
        break
    try:
        t = pid_task(pid, PIDTYPE_PID)
        if not t:
            continue
        print("task", t.pid.value_(), t.comm.string_().decode(errors="replace"))
        tasks += 1
    except FaultError as e:
        faults += 1
        print("fault", "%#x:%#x" % (pid.value_(), e.address))
print("walk", tasks, faults, walk)
m = marker.encode()
print("marker", sum(1 for r in get_printk_records(prog) if m in r.text))
if int(nbytes):
    va = prog["page_offset_base"].value_() + int(paddr, 0)
    print("bytes", prog.read(va, int(nbytes)).hex())
'

drgn_checks() {
	out=$tmp/drgn.out
	t0=$(date +%s%N)
	timeout 600 "$PY" -c "$DRGN_PY" "$core" "$vmlinux" "$marker" "$paddr" \
		"$nbytes" >"$out" 2>"$tmp/drgn.err"
	rc=$?
	secs=$(ms_since "$t0")
	if [ "$rc" -ne 0 ]; then
		notok "$tag drgn opens the vmcore: $(tail -n 1 "$tmp/drgn.err") # $secs s"
		return
	fi
	ok "$tag drgn opens the vmcore # $secs s"
	check "$tag drgn init_uts_ns release is $release" \
		grep -qxF "release $release" "$out"
	# walk TASKS FAULTS HOW
	walk=$(sed -n 's/^walk //p' "$out")
	set -- $walk
	faulted=$(sed -n 's/^fault //p' "$out" | paste -sd ' ' -)
	why="${1:-?} tasks, ${2:-?} faulted, walk ${walk#* * }${faulted:+ (struct pid:faulting address $faulted)}"
	check "$tag drgn task walk: at most $MAX_TASK_FAULTS tasks fault # $why" \
		[ "${2:-99}" -le "$MAX_TASK_FAULTS" ]
	# A walk cut short by a fault in the pid list is not ok, however few
	# tasks faulted: the rest were never visited.
	least=$((ntasks - TASK_ALLOWANCE))
	[ "$least" -ge 1 ] || least=1
	if [ "${3:-}" = complete ] && [ "${1:-0}" -ge "$least" ]; then
		ok "$tag drgn task walk runs to its end and reaches $least of the guest's $ntasks tasks # $why"
	else
		notok "$tag drgn task walk runs to its end and reaches $least of the guest's $ntasks tasks # $why"
	fi
	check "$tag drgn for_each_task has PID 1" grep -q '^task 1 ' "$out"
	check "$tag drgn for_each_task has PID $pid ($comm)" \
		grep -qxF "task $pid $comm" "$out"
	check "$tag drgn printk records hold the marker line" \
		grep -qx 'marker [1-9][0-9]*' "$out"
	check "$tag drgn linux_banner is /proc/version" \
		grep -qxF "banner $version" "$out"
	check "$tag drgn direct-map bytes at $paddr match" \
		grep -qxF "bytes $bytes" "$out"
}

# crash_limit: why crash 8.0.2 cannot list the tasks here, if it is the
# known limit: crash before 8.0.4 reads sizeof(struct pid) bytes and takes
# numbers[0].ns past them once numbers[] is a flexible array (kernel
# commit b69f0aeb0689, in Debian's 6.1 by stable), so it drops every task
# but the idle ones (fixed by crash commit 88580068). Prints the reason;
# false when that is not the case.
crash_limit() {
	ver=$(crash --version 2>/dev/null | awk '/^crash / { print $2; exit }')
	dpkg --compare-versions "${ver:-0}" lt 8.0.4 || return 1
	size=$(awk '/^SIZE:/ { print $2; exit }' "$tmp/pid.out")
	noff=$(sed -n 's/^ *\[\([0-9]*\)\] struct upid numbers\[\];.*/\1/p' \
		"$tmp/pid.out")
	[ -n "$size" ] && [ "$size" = "$noff" ] || return 1
	echo "crash $ver reads struct pid ($size bytes) without its numbers[] flexible array: ps shows only idle tasks (fixed in crash 8.0.4, commit 88580068)"
}

# crash_too_old: why crash cannot open this kernel's vmcore at all, if it
# is the known limit: crash before 8.0.6 relocates a KASLR kernel from an
# ELF vmcore's KERNELOFFSET only when vmlinux has module_load_offset (gone
# by 6.12; 8.0.6 also looks for kaslr_get_random_long), so it finds
# "vmlinux and vmcore do not match"; and before 8.0.4 it cannot read the
# module layout of Linux 6.4 and later even with --kaslr=auto. Prints the
# reason; false when that is not the case.
crash_too_old() {
	ver=$(crash --version 2>/dev/null | awk '/^crash / { print $2; exit }')
	dpkg --compare-versions "${ver:-0}" lt 8.0.6 || return 1
	nm "$vmlinux" 2>/dev/null | grep -q ' module_load_offset$' && return 1
	echo "crash $ver cannot relocate this KASLR kernel from an ELF vmcore: its vmlinux has no module_load_offset (crash 8.0.6 looks for kaslr_get_random_long too; and before 8.0.4 crash cannot read Linux 6.4+ modules)"
}

crash_checks() {
	# One crash run; each command's output goes to its own file.
	for c in sys ps log pid list; do
		: >"$tmp/$c.out"
	done
	cat >"$tmp/crash.in" <<EOF
sys > $tmp/sys.out
ps > $tmp/ps.out
log > $tmp/log.out
struct pid -o > $tmp/pid.out
list task_struct.tasks -s task_struct.pid,comm -h init_task > $tmp/list.out
EOF
	t0=$(date +%s%N)
	timeout 600 crash -s "$vmlinux" "$core" -i "$tmp/crash.in" \
		</dev/null >"$tmp/crash.out" 2>&1
	# crash -i exits 1 even when every command ran: judge its output.
	rc=$?
	secs=$(ms_since "$t0")
	if ! grep -q 'RELEASE:' "$tmp/sys.out"; then
		err=$(grep -m 1 '^crash: ' "$tmp/crash.out")
		[ -n "$err" ] || err=$(sed '/^ *$/d' "$tmp/crash.out" | tail -n 1)
		err=${err:-nothing, exit $rc}
		if [ "$osrel" = "$release" ] && why=$(crash_too_old); then
			skip "$tag crash opens the vmcore" "$why; it said: $err ($secs s)"
		else
			notok "$tag crash opens the vmcore (exit $rc): $err"
		fi
		return
	fi
	ok "$tag crash opens the vmcore # $secs s"
	check "$tag crash sys RELEASE is $release" \
		grep -qE "^ *RELEASE: $release\$" "$tmp/sys.out"
	# ps columns: [>] PID PPID CPU TASK ST %MEM VSZ RSS COMM
	psline() {
		sed 's/^>//' "$tmp/ps.out" | awk -v p="$1" -v c="$2" \
			'$1 == p && (c == "" || $NF == c || $NF == "[" c "]") { f = 1 }
			END { exit !f }'
	}
	if psline 1 "" || ! why=$(crash_limit); then
		check "$tag crash ps has PID 1" psline 1 ""
		check "$tag crash ps has PID $pid ($comm)" psline "$pid" "$comm"
	else
		skip "$tag crash ps has PID 1" "$why"
		skip "$tag crash ps has PID $pid ($comm)" "$why"
	fi
	check "$tag crash log holds the marker line" grep -qF "$marker" "$tmp/log.out"
	# The task list itself, walked by crash from init_task.
	awk '/pid = / { gsub(",", "", $3); p = $3 }
		/comm = / { c = $3; sub(/^"/, "", c); sub(/(\\000)*",?$/, "", c)
		print p, c }' "$tmp/list.out" >"$tmp/tasks.out"
	check "$tag crash task list (init_task.tasks) has PID 1" \
		grep -q '^1 ' "$tmp/tasks.out"
	check "$tag crash task list has PID $pid ($comm)" \
		grep -qxF "$pid $comm" "$tmp/tasks.out"
}
# one_dump FACTS: every check of the dump FACTS describes.
one_dump() {
	facts=$1
	dir=$(dirname "$facts")
	if [ ! -f "$facts" ]; then
		notok "$facts exists (the boot did not deliver it)"
		return
	fi
	tag=$(basename "$(dirname "$dir")")/$(basename "$dir")/$(fact dump):
	dump=$dir/$(fact dump)
	release=$(fact release)
	version=$(fact version)
	marker=$(fact marker)
	pid=$(fact pid)
	comm=$(fact comm)
	paddr=$(fact paddr)
	bytes=$(fact bytes)
	ntasks=$(fact tasks)
	nbytes=$((${#bytes} / 2))
	for k in release version marker pid comm tasks paddr bytes; do
		if [ -z "$(fact $k)" ]; then
			notok "$tag facts file $facts has $k="
			return
		fi
	done
	case $ntasks in
	'' | *[!0-9]*)
		notok "$tag facts file $facts has a number in tasks= ($ntasks)"
		return ;;
	esac
	if [ ! -f "$dump" ]; then
		notok "$tag the dump $dump exists"
		return
	fi
	if [ -n "$kver" ] && [ "$release" != "$kver" ]; then
		notok "$tag release $release is the guest's kernel $kver"
		return
	fi
	if ! KERNELS='' "$top/scripts/kernels.sh" | grep -qxF "$release"; then
		notok "$tag release $release is an installed target kernel"
		return
	fi
	reason=
	vmlinux=$("$top/scripts/debuginfo.sh" --path "$release") ||
		reason="no debug vmlinux of $release cached (make debuginfo)"
	core=$dump
	if [ -z "$reason" ] && ! is_elf "$dump"; then
		core=$tmp/vmcore
		if ! md=$(minidump_bin); then
			reason="no minidump built (make host-tools)"
		elif ! "$md" 2>&1 | grep -q 'minidump elf '; then
			reason="$md has no elf command yet"
		elif "$md" elf "$dump" "$core" 2>"$tmp/elf.err"; then
			ok "$tag minidump elf converts it"
		else
			notok "$tag minidump elf converts it: $(head -n 1 "$tmp/elf.err")"
			return
		fi
	fi
	if [ -n "$reason" ]; then
		skip "$tag drgn and crash" "$reason"
		return
	fi
	# The VMCOREINFO note sits in the PT_NOTE at the head of the file.
	osrel=$(head -c 1048576 "$core" | tr '\0' '\n' |
		sed -n 's/^OSRELEASE=//p' | head -n 1)
	check "$tag VMCOREINFO OSRELEASE is $release" [ "$osrel" = "$release" ]
	if "$PY" -c 'import drgn' 2>/dev/null; then
		drgn_checks
	else
		skip "$tag drgn" "no python3-drgn for $PY (scripts/deps.sh)"
	fi
	if command -v crash >/dev/null; then
		crash_checks
	else
		skip "$tag crash" "no crash (scripts/deps.sh)"
	fi
	rm -f "$tmp/vmcore"
}

# required BOOT SHARE: the facts files BOOT had to leave in SHARE.
required() {
	suites=${BSDMEM_SUITES:-$top/selftests/suites}
	progs=$("$top/scripts/suites.sh" "$suites" "$1") || return 1
	for p in $progs; do
		[ "$p" = debugger_test ] || continue
		echo "$2/debugger/kernel.zst.facts"
		# debugger_test's ALLRAM_BOOT
		[ "$1" = nopat ] && echo "$2/debugger/allram.raw.facts"
	done
	return 0
}

kver=
# shellcheck disable=SC2046 # one word per facts file (no blanks in them)
if { [ $# -eq 3 ] || [ $# -eq 4 ]; } && [ "${1%.facts}" = "$1" ]; then
	kver=$1
	boot=$2
	if ! want=$(required "$2" "$3"); then
		notok "the programs of boot $boot (scripts/suites.sh failed)"
		echo "1..$n"
		exit 1
	fi
	set -- $( (echo "$want"
		find "$3" -name '*.facts' -type f 2>/dev/null) | sed '/^$/d' |
		sort -u)
	if [ $# -eq 0 ]; then
		echo "1..0 # boot $boot did not run debugger_test"
		exit 0
	fi
elif [ $# -eq 0 ]; then
	set -- $(find "$top/build/share" -name '*.facts' -type f 2>/dev/null | sort)
	if [ $# -eq 0 ]; then
		skip "debugger checks" "no guest left a dump with a facts file (build/share/*/**/*.facts)"
		echo "1..$n"
		exit 0
	fi
fi
for f in "$@"; do
	one_dump "$f"
done
echo "1..$n"
[ "$fails" -eq 0 ]
