#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints the kernels bsdmem is built and tested for, one version per line,
# oldest first: every /lib/modules/<v> with a build/ tree and a
# /boot/vmlinuz-<v>, Linux 6.1 to 6.12. KERNELS="v1 v2" overrides the list
# (each must still have its build tree).
set -eu

in_range() {
	major=${1%%.*}
	rest=${1#*.}
	minor=${rest%%[!0-9]*}
	[ "$major" = 6 ] && [ -n "$minor" ] && [ "$minor" -ge 1 ] && [ "$minor" -le 12 ]
}

if [ -n "${KERNELS:-}" ]; then
	for v in $KERNELS; do
		if [ ! -d "/lib/modules/$v/build" ]; then
			echo "kernels: KERNELS names $v, which has no /lib/modules/$v/build" >&2
			exit 1
		fi
		echo "$v"
	done
	exit 0
fi

found=
for d in /lib/modules/*/; do
	v=$(basename "$d")
	[ -d "$d/build" ] && [ -f "/boot/vmlinuz-$v" ] && in_range "$v" || continue
	found="$found$v
"
done
if [ -z "$found" ]; then
	echo "kernels: no installed kernel 6.1..6.12 with headers (run scripts/deps.sh)" >&2
	exit 1
fi
printf '%s' "$found" | sort -V
