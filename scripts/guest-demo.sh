#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make run" inside the guest: /init runs this with bsdmem loaded and its
# output on the console. Later demos (memcontrol, a live dump written to
# $BSDMEM_SHARE, which is build/run/ on the host) go here.

if [ -x /tools/bsdmemdemo ]; then
	/tools/bsdmemdemo
	echo "bsdmem-demo: bsdmemdemo exited with $?"
else
	echo "bsdmem-demo: /tools/bsdmemdemo was not built (tools/bsdmemdemo/ missing)"
	ls -l /dev/bsdmem /dev/bsdkmem 2>&1
fi
