#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints the kernels bsdmem is built and tested for, one version per line,
# oldest first: every /lib/modules/<v> with a build/ tree and a
# /boot/vmlinuz-<v>, Linux 6.1 to 6.12. KERNELS="v1 v2" (or "v1,v2")
# narrows the list: each word is an installed version (it must have its build
# tree) or a series such as 6.1 or 6.12, meaning every installed one of it.
# BSDMEM_KROOT=DIR looks for DIR/lib/modules and DIR/boot instead (the debug
# kernel of scripts/debug-kernel.sh).
set -eu
R=${BSDMEM_KROOT:-}

in_range() {
	major=${1%%.*}
	rest=${1#*.}
	minor=${rest%%[!0-9]*}
	[ "$major" = 6 ] && [ -n "$minor" ] && [ "$minor" -ge 1 ] && [ "$minor" -le 12 ]
}

installed() {
	for d in "$R"/lib/modules/*/; do
		v=$(basename "$d")
		[ -d "$d/build" ] && [ -f "$R/boot/vmlinuz-$v" ] && in_range "$v" &&
			echo "$v"
	done | sort -V
}

if [ -n "${KERNELS:-}" ]; then
	all=$(installed)
	for w in $(echo "$KERNELS" | tr ',' ' '); do
		if [ -d "$R/lib/modules/$w/build" ]; then
			echo "$w"
			continue
		fi
		m=$(echo "$all" | grep -E "^$(echo "$w" | sed 's/\./\\./g')[.-]" || true)
		if [ -z "$m" ]; then
			echo "kernels: KERNELS names $w: no $R/lib/modules/$w/build and no installed $w.* or $w-* kernel" >&2
			exit 1
		fi
		echo "$m"
	done
	exit 0
fi

found=$(installed)
if [ -z "$found" ]; then
	echo "kernels: no installed kernel 6.1..6.12 with headers (run scripts/deps.sh)" >&2
	exit 1
fi
echo "$found"
