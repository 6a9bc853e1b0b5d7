#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of "make bench" (scripts/bench.sh): /init runs it in a
# bench boot with bsdmem loaded, from the 9p share ($BSDMEM_SHARE), where the
# host put benchg and lime.ko. It times bsdmem against its peers and writes
# one line per figure to $BSDMEM_SHARE/bench.results for
# scripts/bench-report.awk:
#   M KEY VALUE...                      what was measured where
#   R ROW TOOL RUN VALUE UNIT BYTES     one run (s, ns or MBps)
#   R ROW TOOL RUN FAIL REASON...       one run that failed
# Progress goes to the console as "bench: ..." lines. Every timed write to
# the disk ends with sync: the time is until the file is on the disk.
# bsdlivedump writes its file O_DIRECT (its default on ext4); the
# "bsdmem-cached" rows use --cached, through the page cache like the peers.
#   bench-guest.sh BOOT   bench (1 GiB: every row), bench512 or bench2g
#                         (the scaling rows only)
# Env: BSDMEM_SHARE, BSDMEM_DISK (the ext4 scratch disk), BENCH_RUNS (2).
set -u

boot=$1
share=${BSDMEM_SHARE:?}
disk=${BSDMEM_DISK:?no scratch disk}
runs=${BENCH_RUNS:-2}
out=$share/bench.results
params=/sys/module/bsdmem/parameters
cp "$share/benchg" /tmp/benchg && chmod 755 /tmp/benchg
cp "$share/lime.ko" /tmp/lime.ko 2>/dev/null
B=/tmp/benchg
mib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
# The size the scaling rows are filed under: the boot's -m.
case $boot in
bench) size=1024 ;;
bench512) size=512 ;;
bench2g) size=2048 ;;
*) echo "bench: unknown boot $boot" >&2; exit 2 ;;
esac

say() {
	echo "bench: $*"
}

res() {
	echo "$*" >>"$out"
}

drop() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# size_of FILE...: their bytes together.
size_of() {
	stat -c %s "$@" 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'
}

# timed ROW TOOL RUN SIZEGLOB CMD...: drop caches, run CMD (through sh -c),
# file its seconds and the size of what SIZEGLOB names ("-": none). Also
# files it under every "ROW TOOL" pair in $ALSO. $LAST: the seconds, or
# empty if it failed; CMD's output stays in /tmp/cmd.out.
timed() {
	row=$1 tool=$2 run=$3 glob=$4
	shift 4
	drop
	say "$row $tool run $run: $*"
	LAST=
	if $B time /tmp/t sh -c "$*" >/tmp/cmd.out 2>&1; then
		if [ "$glob" = - ]; then
			bytes=-
		else
			# shellcheck disable=SC2086 # a glob
			bytes=$(size_of $glob)
		fi
		line="$(cat /tmp/t) s $bytes"
		LAST=$(cat /tmp/t)
		say "  $line"
	else
		line="FAIL exit $?: $(tail -n 1 /tmp/cmd.out)"
		say "  $line"
	fi
	res "R $row $tool $run $line"
	for pair in ${ALSO:-}; do
		res "R ${pair%:*} ${pair#*:} $run $line"
	done
	ALSO=
}

threads() {
	echo "$1" >$params/dump_threads
}

# The dump commands. bsdlivedump writes DIR/livecore.0[.gz|.zst].
bsd() { # DIR FLAGS...
	d=$1
	shift
	echo "rm -rf $d && mkdir -p $d && /tools/bsdlivedump $* $d && sync"
}

lime() { # FILE PARAMS
	echo "rm -f $1 && insmod /tmp/lime.ko 'path=$1 timeout=0 $2' && rmmod lime && sync"
}

# scale_kernel RUN: the last kernel-only dump under the scaling row, its
# size the body before compression (bsdlivedump's "N before compression"),
# so that time per page means pages, not compressed bytes.
scale_kernel() {
	ext=$(sed -n 's/.*(\([0-9]*\) before compression).*/\1/p' /tmp/cmd.out)
	if [ -n "$LAST" ] && [ -n "$ext" ]; then
		res "R scale-kernel-zstd $size $1 $LAST s $ext"
	else
		res "R scale-kernel-zstd $size $1 FAIL no time or size"
	fi
}

# Memory filled with the same bytes before each compressed dump: the
# saved full-RAM image read into the page cache after a drop.
refill() {
	drop
	cat "$disk/refill.bin" >/dev/null
}

res "M boot $boot: $mib MiB MemTotal, $(nproc) vCPU, kernel $(uname -r)"
res "M guest CPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
res "M bsdmem $(cat /sys/module/bsdmem/version 2>/dev/null) dump_threads=$(cat $params/dump_threads) dump_chunk_kb=$(cat $params/dump_chunk_kb)"
[ -f /tmp/lime.ko ] || res "M note no lime.ko in the share: the LiME rows fail"

if [ "$boot" != bench ]; then
	for r in $(seq "$runs"); do
		timed kernel-zstd "bsdmem-$size" "$r" "$disk/k/livecore.*" "$(bsd "$disk/k" -Z)"
		scale_kernel "$r"
		timed scale-raw "$size" "$r" "$disk/a/livecore.*" "$(bsd "$disk/a" --all)"
	done
	rm -rf "$disk/k" "$disk/a"
	say "done"
	exit 0
fi

# 6: one address translated, 4096 touched pages, 20 passes.
for r in $(seq "$runs"); do
	for t in extract pagemap; do
		if v=$($B "$t" 4096 20); then
			res "R xlate $t $r $v ns -"
			say "xlate $t run $r: $v ns"
		else
			res "R xlate $t $r FAIL benchg $t"
		fi
	done
done

# 5: all RAM through /dev/bsdmem and /proc/kcore, 1 MiB preads.
for r in $(seq "$runs"); do
	for d in /dev/bsdmem /proc/kcore; do
		drop
		t=bsdmem
		[ "$d" = /proc/kcore ] && t=kcore
		if v=$($B readall "$d"); then
			# shellcheck disable=SC2086 # the numbers
			set -- $v
			res "R readall $t $r $1 MBps $2"
			say "readall $t run $r: $v"
		else
			res "R readall $t $r FAIL benchg readall $d"
		fi
	done
done

# 1: full RAM raw, bsdmem and LiME alternating. The first bsdmem image is
# kept: it refills memory before the compressed rows.
for r in $(seq "$runs"); do
	ALSO="scale-raw:$size"
	timed raw bsdmem "$r" "$disk/a/livecore.*" "$(bsd "$disk/a" --all)"
	[ -f "$disk/refill.bin" ] || mv "$disk/a/livecore.0" "$disk/refill.bin"
	timed raw lime "$r" "$disk/lime.raw" "$(lime "$disk/lime.raw" format=raw)"
	timed raw bsdmem-cached "$r" "$disk/a/livecore.*" "$(bsd "$disk/a" --all --cached)"
done
rawmib=$(($(size_of "$disk/refill.bin") / 1048576))
rm -rf "$disk/a" "$disk/lime.raw"
# dd of the same size: the disk's own speed.
for r in $(seq "$runs"); do
	timed dd dd "$r" "$disk/dd.bin" \
		"rm -f $disk/dd.bin && dd if=/dev/zero of=$disk/dd.bin bs=1M count=$rawmib 2>/dev/null && sync"
done
rm -f "$disk/dd.bin"

# 3: the default dump (kernel only, zstd).
for r in $(seq "$runs"); do
	timed kernel-zstd bsdmem "$r" "$disk/k/livecore.*" "$(bsd "$disk/k" -Z)"
	scale_kernel "$r"
done

# 4: the codecs alone, on one thread: in the kernel (a kernel-only dump to
# /dev/null) against userspace on a raw kernel-only dump in the page cache.
timed kernel-raw bsdmem 1 "$disk/k/livecore.*" "$(bsd "$disk/k")"
# What that dump holds and leaves out, by each page's /proc/kpageflags class
# (counted before the copy below allocates page cache and slab).
if v=$($B classes "$disk/k/livecore.0"); then
	echo "$v" | while read -r _ c ram dumped; do
		res "M classes $c: $dumped of $ram pages in the kernel-only dump"
	done
else
	res "M classes: benchg classes failed"
fi
cp "$disk/k/livecore.0" "$disk/kraw.bin"
threads 1
for r in $(seq "$runs"); do
	for c in zstd gzip; do
		flag=-Z
		[ $c = gzip ] && flag=-z
		timed "compress-$c" kernel1 "$r" - "/tools/bsdlivedump $flag - | cat >/dev/null"
		drop
		cat "$disk/kraw.bin" >/dev/null
		if v=$($B $c "$disk/kraw.bin" /dev/null); then
			# shellcheck disable=SC2086 # the numbers
			set -- $v
			res "R compress-$c user $r $1 s $2"
			say "compress-$c user run $r: $v"
		else
			res "R compress-$c user $r FAIL benchg $c"
		fi
	done
done
threads 0
rm -rf "$disk/k" "$disk/kraw.bin"

# 2 and 8: ALLRAM zstd and gzip on every CPU against LiME's zlib, memory
# refilled before each; then the same two on one CPU.
for r in $(seq "$runs"); do
	refill
	ALSO="threads-zstd:2cpu"
	timed allram-zstd bsdmem "$r" "$disk/z/livecore.*" "$(bsd "$disk/z" --all -Z)"
	refill
	timed lime-compress lime "$r" "$disk/lime.lime" "$(lime "$disk/lime.lime" "format=lime compress=1")"
	refill
	ALSO="threads-gzip:2cpu"
	timed allram-gzip bsdmem "$r" "$disk/z/livecore.*" "$(bsd "$disk/z" --all -z)"
done
rm -f "$disk/lime.lime"
if echo 0 >/sys/devices/system/cpu/cpu1/online; then
	res "M threads rows: 1cpu = cpu1 offline ($(nproc) online), dump_threads=0"
	for r in $(seq "$runs"); do
		refill
		timed threads-zstd 1cpu "$r" "$disk/z/livecore.*" "$(bsd "$disk/z" --all -Z)"
		refill
		timed threads-gzip 1cpu "$r" "$disk/z/livecore.*" "$(bsd "$disk/z" --all -z)"
	done
	echo 1 >/sys/devices/system/cpu/cpu1/online
else
	res "R threads-zstd 1cpu 1 FAIL cpu1 cannot go offline"
	res "R threads-gzip 1cpu 1 FAIL cpu1 cannot go offline"
fi
rm -rf "$disk/z" "$disk/refill.bin"
say "done"
