/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the bsdmem selftests: the oracles Linux gives userspace
 * (/proc/kallsyms, /proc/self/pagemap, /proc/kpageflags, /proc/iomem,
 * /proc/vmallocinfo, /proc/cpuinfo), capability dropping with raw syscalls,
 * the `writable` module parameter, and pinned test buffers.
 */
#ifndef BSDMEM_TEST_H
#define BSDMEM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/memrange.h>

#define BT_PAGE_SIZE		4096UL
#define BT_HPAGE_SIZE		(2UL << 20)
#define BT_WRITABLE_PARAM	"/sys/module/bsdmem/parameters/writable"
#define BT_PAGEMAP_PRESENT	(1ULL << 63)
#define BT_PAGEMAP_FILE		(1ULL << 61)
#define BT_PAGEMAP_PFN_MASK	((1ULL << 55) - 1)
#define BT_KPF_THP		22
#define BT_KPF_ZERO_PAGE	24
#define BT_KPF_PGTABLE		26

/* Test address that is non-canonical under both 4- and 5-level paging. */
#define BT_NONCANONICAL		0x8000000000000000ULL

/* One line of /proc/iomem; depth 0 for top-level lines. */
struct bt_iomem {
	uint64_t start;
	uint64_t end;		/* inclusive */
	int depth;
	char name[64];
};

/* One line of /proc/vmallocinfo. */
struct bt_vmarea {
	uint64_t start;
	uint64_t end;		/* exclusive, includes the guard page */
	char line[160];
};

/* The ABI the compiler built this program for. */
#if defined(__x86_64__) && defined(__ILP32__)
#define BT_ABI		"x32"
#elif defined(__i386__)
#define BT_ABI		"i386"
#else
#define BT_ABI		"amd64"
#endif

/*
 * Is the running program of the ABI its file name promises (NAME_32 i386,
 * NAME_x32 x32, else amd64)? Checks BT_ABI, the ELF class and machine of
 * /proc/self/exe, sizeof(long) and the MEMRANGE_GET/SET values this build
 * sends, so that a mislabelled build fails. 0, or -1 and why.
 */
int bt_abi_check(char *why, size_t size);

/* Name of the QEMU boot we run in (env BSDMEM_BOOT), "default" if unset. */
const char *bt_boot(void);
bool bt_boot_is(const char *name);

/* Address of a symbol in /proc/kallsyms; module NULL for vmlinux. 0/-1. */
int bt_kallsyms(const char *name, const char *module, uint64_t *addr);

/* Physical address bits of the CPU from /proc/cpuinfo, or -1. */
int bt_phys_bits(void);

/*
 * Whether every CPU's "flags" line in /proc/cpuinfo holds the word @flag:
 * 1 all, 0 none, -1 unreadable or some CPUs only.
 */
int bt_cpu_flag(const char *flag);

/* Number of online NUMA nodes from /sys/devices/system/node, at least 1. */
int bt_numa_nodes(void);

/* Read a whole small file into buf (NUL-terminated); bytes read or -1. */
ssize_t bt_read_file(const char *path, char *buf, size_t size);
/* Write a string to a file (sysfs, procfs); 0 or -1 with errno. */
int bt_write_file(const char *path, const char *s);
/* Pages of the open file @fd's first @size bytes in the page cache, or -1. */
long bt_cached_pages(int fd, off_t size);

#define BT_THP_DIR	"/sys/kernel/mm/transparent_hugepage/"
/*
 * Make MADV_HUGEPAGE effective through @file (BT_THP_DIR "enabled" or
 * "defrag": at least "madvise"); the mode it replaced (the word in
 * brackets) goes to @saved for the teardown to write back, else @saved
 * is left alone.
 */
void bt_thp_allow(const char *file, char *saved, size_t len);

/* Set the module parameter `writable` to 0 or 1; 0 or -1 with errno. */
int bt_set_writable(int on);
/* Current value of `writable` (reads as 0/1 or N/Y): 0, 1, or -1. */
int bt_get_writable(void);

/* A numeric module parameter of bsdmem (dump_threads, gzip_level...): its
 * value, or -1 if it cannot be read. */
int bt_param(const char *name);
/* Set a numeric module parameter of bsdmem: 0, or the errno of the write. */
int bt_set_param(const char *name, int value);
/*
 * Tests whose subject is what a gzip dump does around its codec (faults in
 * the sink, worker threads), not gzip's output: gzip_level 1, the fastest
 * (under TCG a kernel-only dump takes 2.4 times as long at the default
 * level 6). Returns the level it replaced for bt_set_param() to put back,
 * or -1 (then nothing changed). livedump_codec_test and the others keep
 * the default level.
 */
int bt_gzip_fastest(void);

/* The /proc/self/pagemap entry of a virtual address; 0 or -1. */
int bt_pagemap(const void *va, uint64_t *entry);
/* Physical address of va from pagemap (0 if not present); 0 or -1. */
int bt_pagemap_paddr(const void *va, uint64_t *paddr);
/* The /proc/kpageflags word of a pfn; 0 or -1. */
int bt_kpageflags(uint64_t pfn, uint64_t *flags);

/* /proc/iomem lines, in file order; number filled or -1. */
int bt_iomem(struct bt_iomem *out, int max);
/* First line whose name starts with prefix (any depth); true if found. */
bool bt_iomem_find(const char *prefix, struct bt_iomem *out);

/* /proc/vmallocinfo lines containing word; number filled or -1. */
int bt_vmallocinfo(const char *word, struct bt_vmarea *out, int max);

/*
 * Anonymous memory for oracles: MADV_NOHUGEPAGE, every page written with a
 * pattern, mlock'ed. NULL on failure. Free with bt_free_pinned().
 */
void *bt_alloc_pinned(size_t len);
void bt_free_pinned(void *p, size_t len);
/*
 * A one-page (4 KiB) mmapable BPF array: a vmalloc'ed kernel page that the
 * caller can map too. Return: the map's fd, or -1 (errno set).
 */
int bt_bpf_page(void);
/* Fill buf with a pattern that differs for each seed and each offset. */
void bt_fill(void *buf, size_t len, unsigned int seed);

/*
 * Remove CAP_SYS_RAWIO from the effective, permitted and inheritable sets
 * and from the bounding set of the calling process; 0 or -1.
 */
int bt_drop_rawio(void);
/* The same for any capability @cap; 0 or -1. */
int bt_drop_cap(int cap);

/* MEM_EXTRACT_PADDR for va with sentinel paddr/domain; ioctl's return. */
int bt_extract(int fd, uint64_t va, uint64_t sentinel_paddr,
	       int sentinel_domain, struct mem_extract *me);

/*
 * Read kernel virtual memory through /proc/kcore's PT_LOAD segments (the
 * kernel's own view, an oracle for /dev/bsdkmem); bytes read or -1.
 */
ssize_t bt_kcore_read(uint64_t va, void *buf, size_t len);

/* lseek(fd, va, SEEK_SET) then read/write, for /dev/bsdkmem; as read(2). */
ssize_t bt_kread(int fd, uint64_t va, void *buf, size_t len);
ssize_t bt_kwrite(int fd, uint64_t va, const void *buf, size_t len);

/*
 * A pty pair, raw mode, without libutil (mounts /dev/pts when the guest's
 * devtmpfs has none): 0 or -1.
 */
int bt_open_pty(int *master, int *slave);

#endif /* BSDMEM_TEST_H */
