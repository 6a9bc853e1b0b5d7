#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host test of README.md's commands.sh, the two commands it leads with, TAP
# on stdout. Its first line, make run, is run as written from the tree's top
# (stdin from /dev/null, as under CI): it must exit 0, every step of the demo
# in the guest must say it worked (the physical-memory round trip, the
# memcontrol round trip, the live dump), the dump must pass minidump check
# and zstd -t on the host, and the guest's console must show no kernel
# warning, oops or taint; the dump, made an ELF vmcore by minidump elf,
# shows its release and PID 1 in crash (or drgn, where Debian's crash is
# too old for the kernel) when the debug vmlinux is cached, and make run
# says how to get that otherwise. Its second line, make check, is what runs this
# test: it is checked to be the command CI's .ci/run runs. Takes about a
# minute (one QEMU boot).
# usage: run_test.sh [TOP] (TOP: the tree's top, by default the current
# directory, where make check runs its host tests)
set -u

top=${1:-$(pwd)}
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
# shellcheck source=selftests/host/lib/tap.sh
. "$top/selftests/host/lib/tap.sh"
plan=13
echo "TAP version 13"
echo "1..$plan"

scripts/readme-examples.sh "$tmp/examples" >/dev/null
readme_lines commands.sh "$tmp/examples" >"$tmp/steps"
if why=$(readme_shape "$tmp/steps" '^make run( |$)' '^make check( |$)'); then
	ok "README's commands.sh is make run, make check"
else
	not_ok "README's commands.sh is make run, make check" "$why" "update this test with README.md"
	exit 1
fi

# 1. make run, as written.
log=$tmp/run.log
start=$(date +%s)
sh -c "$(sed -n 1p "$tmp/steps")" </dev/null >"$log" 2>&1
rc=$?
took=$(($(date +%s) - start))
# The guest's serial console ends its lines with CR LF.
tr -d '\r' <"$log" >"$log.lf" && mv "$log.lf" "$log"
if [ "$rc" -eq 0 ]; then
	ok "README: make run exits 0 ($took s)"
else
	not_ok "README: make run exits 0" "exit $rc after $took s" "$(tail -n 30 "$log")"
fi
# saw DESC PATTERN: a line of make run's output matches PATTERN (grep -E).
saw() {
	if grep -Eq -- "$2" "$log"; then
		ok "$1"
	else
		not_ok "$1" "no line matches /$2/" "$(tail -n 20 "$log")"
	fi
}
saw "the guest's physical-memory round trip worked" '^bsdmem-demo: bsdmemdemo exited with 0$'
saw "the guest's memcontrol set/clear round trip worked" \
	'^bsdmem-demo: memcontrol round trip exited with 0$'
saw "the guest took a live dump" '^bsdmem-demo: live dump done'
saw "kvminfo read the running kernel through libbsdkvm" \
	'^bsdmem-demo: kvminfo \(live\) exited with 0$'
saw "kvminfo read the dump through libbsdkvm" \
	'^bsdmem-demo: kvminfo \(dump\) exited with 0$'
saw "the dump passes minidump check on the host" '^ok: zstd, .* pages dumped in '
saw "and zstd -t on the host" '^run: zstd -t: build/run/livecore\.0\.zst is one valid zstd frame$'
# The dump as an ELF vmcore, opened by a Linux debugger when the newest
# kernel's debug vmlinux is cached (crash, or drgn where this crash is too
# old), else the one line that says how to get it.
saw "minidump elf converts the dump for drgn and crash" \
	'^run: minidump elf: build/run/vmcore\.0 is an ELF vmcore for drgn and crash$'
kver=$(scripts/kernels.sh | tail -n 1)
if scripts/debuginfo.sh --path "$kver" >/dev/null 2>&1; then
	if awk -v k="$kver" '$1 == "RELEASE:" && $2 == k { f = 1 } END { exit !f }' \
		"$log" &&
		awk -f - "$log" <<'EOF'; then
# PID 1 only in a debugger's task table, after its header: crash's ps
# (PID PPID ... COMM, the name last) or scripts/run.sh's drgn (PID COMM).
{ sub(/\r$/, ""); sub(/^>/, "") }
/^(run|bsdmem-demo): / { mode = "" }
$1 == "PID" && $2 == "PPID" { mode = "crash"; next }
$1 == "PID" && $2 == "COMM" && NF == 2 { mode = "drgn"; next }
mode == "crash" && $1 == "1" && NF >= 9 && $NF !~ /^[0-9]+$/ { f = 1 }
mode == "drgn" && $1 == "1" && NF == 2 && $2 !~ /^[0-9]+$/ && $2 != "tasks" { f = 1 }
END { exit !f }
EOF
		ok "a debugger shows the vmcore's release ($kver) and PID 1"
	else
		not_ok "a debugger shows the vmcore's release ($kver) and PID 1" \
			"no RELEASE: $kver line or no PID 1 line" "$(tail -n 20 "$log")"
	fi
else
	hint="run: to open build/run/vmcore.0 with crash or drgn, fetch $kver's debug vmlinux once: make debuginfo"
	if grep -qxF "$hint" "$log"; then
		ok "without the debug vmlinux, make run says how to get it"
	else
		not_ok "without the debug vmlinux, make run says how to get it" \
			"no line \"$hint\"" "$(tail -n 20 "$log")"
	fi
fi
bad=$(grep -E 'WARNING:|BUG:|Oops|Call Trace|Tainted:|bsdmem-demo: .* exited with [1-9]' "$log")
if [ -z "$bad" ]; then
	ok "no kernel warning, oops or taint and no failed step on the console"
else
	not_ok "no kernel warning, oops or taint and no failed step on the console" "$bad"
fi

# 2. make check: this test is part of it; CI runs exactly that.
if grep -Eq '^make check( |$)' .ci/run; then
	ok "README's make check is what .ci/run runs"
else
	not_ok "README's make check is what .ci/run runs" "$(grep -n 'make' .ci/run)"
fi

[ "$n" -eq "$plan" ] || echo "# planned $plan tests, ran $n"
[ "$fails" -eq 0 ] && [ "$n" -eq "$plan" ]
