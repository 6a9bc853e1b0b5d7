// SPDX-License-Identifier: GPL-2.0
/*
 * Compile-time checks of the bsdmem uapi layouts (SPEC §1.1, §1.3, §7.2),
 * freestanding so that lint can build it with `-ffreestanding -c` under
 * -m64, -m32 and -mx32: every struct offset, size and ioctl number that a
 * FreeBSD program relies on, per ABI.
 */
#include <stddef.h>
#include <sys/memrange.h>
#include <sys/kerneldump.h>
#include <machine/minidump.h>

#define LAYOUT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " is at " #off)
#define SIZE(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " is " #size " bytes")

#if __SIZEOF_POINTER__ == 8
#define OP_SIZE		16
#define MEMRANGE_GET_NR	0xC0106D32u
#define MEMRANGE_SET_NR	0x80106D33u
#else
#define OP_SIZE		12
#define MEMRANGE_GET_NR	0xC00C6D32u
#define MEMRANGE_SET_NR	0x800C6D33u
#endif

/* mem_range_desc: 32 bytes under every ABI, thanks to aligned(8). */
SIZE(mem_range_desc, 32);
_Static_assert(_Alignof(struct mem_range_desc) == 8, "mem_range_desc align");
LAYOUT(mem_range_desc, mr_base, 0);
LAYOUT(mem_range_desc, mr_len, 8);
LAYOUT(mem_range_desc, mr_flags, 16);
LAYOUT(mem_range_desc, mr_owner, 20);
_Static_assert(sizeof(((struct mem_range_desc *)0)->mr_owner) == 8, "owner");

/* mem_range_op: a pointer then two ints; 16 bytes on LP64, 12 on ILP32. */
SIZE(mem_range_op, OP_SIZE);
LAYOUT(mem_range_op, mo_desc, 0);
LAYOUT(mem_range_op, mo_arg, __SIZEOF_POINTER__);

SIZE(mem_extract, 64);
LAYOUT(mem_extract, me_vaddr, 0);
LAYOUT(mem_extract, me_paddr, 8);
LAYOUT(mem_extract, me_domain, 16);
LAYOUT(mem_extract, me_state, 20);
LAYOUT(mem_extract, pad1, 24);

SIZE(mem_livedump_arg, 32);
LAYOUT(mem_livedump_arg, fd, 0);
LAYOUT(mem_livedump_arg, flags, 4);
LAYOUT(mem_livedump_arg, compression, 8);
LAYOUT(mem_livedump_arg, pad1, 9);
LAYOUT(mem_livedump_arg, pad2, 16);

SIZE(kerneldumpheader, 512);
LAYOUT(kerneldumpheader, magic, 0);
LAYOUT(kerneldumpheader, architecture, 20);
LAYOUT(kerneldumpheader, version, 32);
LAYOUT(kerneldumpheader, architectureversion, 36);
LAYOUT(kerneldumpheader, dumplength, 40);
LAYOUT(kerneldumpheader, dumptime, 48);
LAYOUT(kerneldumpheader, dumpkeysize, 56);
LAYOUT(kerneldumpheader, blocksize, 60);
LAYOUT(kerneldumpheader, hostname, 64);
LAYOUT(kerneldumpheader, versionstring, 128);
LAYOUT(kerneldumpheader, panicstring, 320);
LAYOUT(kerneldumpheader, compression, 495);
LAYOUT(kerneldumpheader, dumpextent, 496);
LAYOUT(kerneldumpheader, unused, 504);
LAYOUT(kerneldumpheader, parity, 508);

SIZE(minidumphdr, 72);
LAYOUT(minidumphdr, magic, 0);
LAYOUT(minidumphdr, version, 24);
LAYOUT(minidumphdr, msgbufsize, 28);
LAYOUT(minidumphdr, bitmapsize, 32);
LAYOUT(minidumphdr, pmapsize, 36);
LAYOUT(minidumphdr, kernbase, 40);
LAYOUT(minidumphdr, dmapbase, 48);
LAYOUT(minidumphdr, dmapend, 56);
LAYOUT(minidumphdr, dumpavailsize, 64);
_Static_assert(MINIDUMP_LINUX_OFFSET >= sizeof(struct minidumphdr) &&
	       MINIDUMP_LINUX_OFFSET + sizeof(struct minidump_linux) <= 4096,
	       "the Linux block fits in the header page after minidumphdr");

/* FreeBSD's command values, bit for bit (SPEC §1.3). */
_Static_assert(MEMRANGE_GET == MEMRANGE_GET_NR, "MEMRANGE_GET");
_Static_assert(MEMRANGE_SET == MEMRANGE_SET_NR, "MEMRANGE_SET");
_Static_assert(MEM_EXTRACT_PADDR == 0xC0406D34u, "MEM_EXTRACT_PADDR");
_Static_assert(MEM_KERNELDUMP == 0x80206D35u, "MEM_KERNELDUMP");

/* Constants (SPEC §1.2). */
_Static_assert(MDF_UNCACHEABLE == 0x01 && MDF_WRITECOMBINE == 0x02 &&
	       MDF_WRITETHROUGH == 0x04 && MDF_WRITEBACK == 0x08 &&
	       MDF_WRITEPROTECT == 0x10 && MDF_UNKNOWN == 0x20 &&
	       MDF_ATTRMASK == 0x00ffffff, "attribute flags");
_Static_assert(MDF_FIXBASE == 1 << 24 && MDF_FIXLEN == 1 << 25 &&
	       MDF_FIRMWARE == 1 << 26 && MDF_ACTIVE == 1 << 27 &&
	       MDF_BOGUS == 1 << 28 && MDF_FIXACTIVE == 1 << 29 &&
	       MDF_BUSY == 1 << 30 && (unsigned int)MDF_FORCE == 1u << 31,
	       "state flags");
_Static_assert(MEMRANGE_SET_UPDATE == 0 && MEMRANGE_SET_REMOVE == 1, "SET");
_Static_assert(ME_STATE_INVALID == 0 && ME_STATE_VALID == 1 &&
	       ME_STATE_MAPPED == 2, "ME_STATE");
_Static_assert(KERNELDUMP_COMP_NONE == 0 && KERNELDUMP_COMP_GZIP == 1 &&
	       KERNELDUMP_COMP_ZSTD == 2, "compression codes");
_Static_assert(KERNELDUMPVERSION == 4 && KERNELDUMP_AMD64_VERSION == 2 &&
	       MINIDUMP_VERSION == 3, "dump versions");
_Static_assert(MEM_KERNELDUMP_ALLRAM == 1 << 16, "ALLRAM flag");
