/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bsdmem: FreeBSD <machine/minidump.h> (amd64) for Linux.
 *
 * The minidump header (little-endian, at offset 0 of the dump body) and
 * bsdmem's Linux extension block at MINIDUMP_LINUX_OFFSET of the same page,
 * which FreeBSD readers ignore and Linux-aware readers use to walk every
 * kernel address.
 */
#ifndef _BSDMEM_MACHINE_MINIDUMP_H_
#define _BSDMEM_MACHINE_MINIDUMP_H_

#ifdef __KERNEL__
#include <linux/types.h>
#define __bsdmem_md_u64	u64
#define __bsdmem_md_u32	u32
#else
#include <stdint.h>
#define __bsdmem_md_u64	uint64_t
#define __bsdmem_md_u32	uint32_t
#endif

#define MINIDUMP_MAGIC		"minidump FreeBSD/amd64"
#define MINIDUMP_VERSION	3

struct minidumphdr {
	char		magic[24];
	__bsdmem_md_u32	version;
	__bsdmem_md_u32	msgbufsize;
	__bsdmem_md_u32	bitmapsize;
	__bsdmem_md_u32	pmapsize;
	__bsdmem_md_u64	kernbase;
	__bsdmem_md_u64	dmapbase;
	__bsdmem_md_u64	dmapend;
	__bsdmem_md_u32	dumpavailsize;
} __attribute__((aligned(8)));

/* Linux extension block, bsdmem's own (all fields little-endian). */
#define MINIDUMP_LINUX_OFFSET	0x100
#define MINIDUMP_LINUX_MAGIC	"bsdmem-linux"
#define MINIDUMP_LINUX_VERSION	1

/* flags */
#define MINIDUMP_LINUX_LA57	0x1	/* 5-level paging */

struct minidump_linux {
	char		magic[16];
	__bsdmem_md_u32	version;
	__bsdmem_md_u32	flags;
	__bsdmem_md_u64	pgtable_root;	/* phys. address of the top-level table */
	__bsdmem_md_u64	page_offset_base;
	__bsdmem_md_u64	vmalloc_base;
	__bsdmem_md_u64	vmemmap_base;
	__bsdmem_md_u64	phys_base;
	__bsdmem_md_u64	vmcoreinfo_paddr;
	__bsdmem_md_u64	vmcoreinfo_size;
	__bsdmem_md_u64	reserved[6];
} __attribute__((aligned(8)));

#endif /* _BSDMEM_MACHINE_MINIDUMP_H_ */
