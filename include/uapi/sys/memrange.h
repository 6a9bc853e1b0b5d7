/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bsdmem: FreeBSD <sys/memrange.h> for Linux.
 *
 * Memory-range descriptors (MEMRANGE_GET/SET), physical-address lookup
 * (MEM_EXTRACT_PADDR) and live kernel dumps (MEM_KERNELDUMP) on the
 * /dev/bsdmem and /dev/bsdkmem devices, with FreeBSD's names, layouts and
 * ioctl numbers, so that FreeBSD programs build unchanged.
 */
#ifndef _BSDMEM_SYS_MEMRANGE_H_
#define _BSDMEM_SYS_MEMRANGE_H_

#ifdef __KERNEL__
#include <linux/types.h>
#define __bsdmem_u64	u64
#define __bsdmem_s32	s32
#define __bsdmem_u8	u8
#define __bsdmem_user	__user
#else
#include <stdint.h>
#define __bsdmem_u64	uint64_t
#define __bsdmem_s32	int32_t
#define __bsdmem_u8	uint8_t
#define __bsdmem_user
#endif

#define _PATH_BSDMEM	"/dev/bsdmem"
#define _PATH_BSDKMEM	"/dev/bsdkmem"

/* Memory attributes (the low 24 bits of mr_flags). */
#define MDF_UNCACHEABLE		(1 << 0)
#define MDF_WRITECOMBINE	(1 << 1)
#define MDF_WRITETHROUGH	(1 << 2)
#define MDF_WRITEBACK		(1 << 3)
#define MDF_WRITEPROTECT	(1 << 4)
#define MDF_UNKNOWN		(1 << 5)
#define MDF_ATTRMASK		0x00ffffff

/* State and control flags (the high byte of mr_flags). */
#define MDF_FIXBASE		(1 << 24)
#define MDF_FIXLEN		(1 << 25)
#define MDF_FIRMWARE		(1 << 26)
#define MDF_ACTIVE		(1 << 27)
#define MDF_BOGUS		(1 << 28)
#define MDF_FIXACTIVE		(1 << 29)
#define MDF_BUSY		(1 << 30)
#define MDF_FORCE		((__bsdmem_s32)(1U << 31))

/*
 * One memory range. Declared 8-byte aligned so that i386 and x32 callers
 * see the same 32-byte layout as amd64 ones.
 */
struct mem_range_desc {
	__bsdmem_u64	mr_base;
	__bsdmem_u64	mr_len;
	__bsdmem_s32	mr_flags;
	char		mr_owner[8];
} __attribute__((aligned(8)));

/* 16 bytes on 64-bit callers, 12 bytes on i386 and x32 ones. */
struct mem_range_op {
	__bsdmem_user struct mem_range_desc *mo_desc;
	__bsdmem_s32		mo_arg[2];
};

#define MEMRANGE_SET_UPDATE	0
#define MEMRANGE_SET_REMOVE	1

#define ME_STATE_INVALID	0
#define ME_STATE_VALID		1
#define ME_STATE_MAPPED		2

struct mem_extract {
	__bsdmem_u64	me_vaddr;
	__bsdmem_u64	me_paddr;
	__bsdmem_s32	me_domain;
	__bsdmem_s32	me_state;
	__bsdmem_u64	pad1[5];
};

struct mem_livedump_arg {
	__bsdmem_s32	fd;
	__bsdmem_s32	flags;
	__bsdmem_u8	compression;
	__bsdmem_u8	pad1[7];
	__bsdmem_u64	pad2[2];
};

/*
 * Linux extension: MEM_KERNELDUMP flag asking for every readable RAM page,
 * not only the kernel's own memory. FreeBSD defines no flags.
 */
#define MEM_KERNELDUMP_ALLRAM	(1 << 16)
#define MEM_KERNELDUMP_FLAGS	MEM_KERNELDUMP_ALLRAM

/*
 * The ioctl numbers are FreeBSD's, bit for bit. FreeBSD marks "argument
 * copied in" with 0x80000000 and "copied out" with 0x40000000, the reverse of
 * Linux's _IOW/_IOR, so in Linux's terms MEMRANGE_SET and MEM_KERNELDUMP are
 * spelled _IOR. Encoding them here keeps the values FreeBSD programs use.
 */
#define _BSDMEM_IOC_OUT		0x40000000U
#define _BSDMEM_IOC_IN		0x80000000U
#define _BSDMEM_IOC(inout, group, num, len)				\
	((unsigned int)((inout) | (((unsigned int)(len) & 0x1fffU) << 16) | \
			((unsigned int)(group) << 8) | (unsigned int)(num)))

#define MEMRANGE_GET		_BSDMEM_IOC(_BSDMEM_IOC_IN | _BSDMEM_IOC_OUT, \
					    'm', 50, sizeof(struct mem_range_op))
#define MEMRANGE_SET		_BSDMEM_IOC(_BSDMEM_IOC_IN, 'm', 51, \
					    sizeof(struct mem_range_op))
#define MEM_EXTRACT_PADDR	_BSDMEM_IOC(_BSDMEM_IOC_IN | _BSDMEM_IOC_OUT, \
					    'm', 52, sizeof(struct mem_extract))
#define MEM_KERNELDUMP		_BSDMEM_IOC(_BSDMEM_IOC_IN, 'm', 53, \
					    sizeof(struct mem_livedump_arg))

#endif /* _BSDMEM_SYS_MEMRANGE_H_ */
