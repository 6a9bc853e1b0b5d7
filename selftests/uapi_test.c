// SPDX-License-Identifier: GPL-2.0
/*
 * Run-time checks of the uapi headers (SPEC §1, §7.2): struct sizes and field
 * offsets, the four FreeBSD ioctl numbers (12-byte mem_range_op for 32-bit
 * callers), the constants, and kerneldump_parity() on a real header. Built
 * 64-bit, -m32 and -mx32; needs no device.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/memrange.h>
#include <sys/kerneldump.h>
#include <machine/minidump.h>

#include "bsdmem_harness.h"

/*
 * uapi_test_32 is i386 and uapi_test_x32 is x32 at run time, so that the
 * checks below really ran for that ABI.
 */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

/* Every struct has the size SPEC §1.1 gives for this ABI. */
TEST(struct_sizes)
{
	ASSERT_EQ(32U, sizeof(struct mem_range_desc));
	ASSERT_EQ(8U, _Alignof(struct mem_range_desc));
	ASSERT_EQ(sizeof(void *) == 8 ? 16U : 12U, sizeof(struct mem_range_op));
	ASSERT_EQ(64U, sizeof(struct mem_extract));
	ASSERT_EQ(32U, sizeof(struct mem_livedump_arg));
	ASSERT_EQ(512U, sizeof(struct kerneldumpheader));
	ASSERT_EQ(72U, sizeof(struct minidumphdr));
}

/* mem_range_desc and mem_range_op fields sit where FreeBSD puts them. */
TEST(memrange_offsets)
{
	struct mem_range_desc d;

	ASSERT_EQ(0U, offsetof(struct mem_range_desc, mr_base));
	ASSERT_EQ(8U, offsetof(struct mem_range_desc, mr_len));
	ASSERT_EQ(16U, offsetof(struct mem_range_desc, mr_flags));
	ASSERT_EQ(20U, offsetof(struct mem_range_desc, mr_owner));
	ASSERT_EQ(8U, sizeof(d.mr_owner));
	ASSERT_EQ(0U, offsetof(struct mem_range_op, mo_desc));
	ASSERT_EQ(sizeof(void *), offsetof(struct mem_range_op, mo_arg));
}

/* mem_extract and mem_livedump_arg fields (SPEC §1.1). */
TEST(extract_livedump_offsets)
{
	ASSERT_EQ(0U, offsetof(struct mem_extract, me_vaddr));
	ASSERT_EQ(8U, offsetof(struct mem_extract, me_paddr));
	ASSERT_EQ(16U, offsetof(struct mem_extract, me_domain));
	ASSERT_EQ(20U, offsetof(struct mem_extract, me_state));
	ASSERT_EQ(24U, offsetof(struct mem_extract, pad1));
	ASSERT_EQ(0U, offsetof(struct mem_livedump_arg, fd));
	ASSERT_EQ(4U, offsetof(struct mem_livedump_arg, flags));
	ASSERT_EQ(8U, offsetof(struct mem_livedump_arg, compression));
	ASSERT_EQ(9U, offsetof(struct mem_livedump_arg, pad1));
	ASSERT_EQ(16U, offsetof(struct mem_livedump_arg, pad2));
}

/* kerneldumpheader offsets that savecore reads (SPEC §7.2). */
TEST(kerneldumpheader_offsets)
{
	ASSERT_EQ(0U, offsetof(struct kerneldumpheader, magic));
	ASSERT_EQ(20U, offsetof(struct kerneldumpheader, architecture));
	ASSERT_EQ(32U, offsetof(struct kerneldumpheader, version));
	ASSERT_EQ(36U, offsetof(struct kerneldumpheader, architectureversion));
	ASSERT_EQ(40U, offsetof(struct kerneldumpheader, dumplength));
	ASSERT_EQ(48U, offsetof(struct kerneldumpheader, dumptime));
	ASSERT_EQ(56U, offsetof(struct kerneldumpheader, dumpkeysize));
	ASSERT_EQ(60U, offsetof(struct kerneldumpheader, blocksize));
	ASSERT_EQ(64U, offsetof(struct kerneldumpheader, hostname));
	ASSERT_EQ(128U, offsetof(struct kerneldumpheader, versionstring));
	ASSERT_EQ(320U, offsetof(struct kerneldumpheader, panicstring));
	ASSERT_EQ(495U, offsetof(struct kerneldumpheader, compression));
	ASSERT_EQ(496U, offsetof(struct kerneldumpheader, dumpextent));
	ASSERT_EQ(504U, offsetof(struct kerneldumpheader, unused));
	ASSERT_EQ(508U, offsetof(struct kerneldumpheader, parity));
}

/* minidumphdr is FreeBSD's amd64 version-3 header, 72 bytes. */
TEST(minidumphdr_offsets)
{
	ASSERT_EQ(0U, offsetof(struct minidumphdr, magic));
	ASSERT_EQ(24U, offsetof(struct minidumphdr, version));
	ASSERT_EQ(28U, offsetof(struct minidumphdr, msgbufsize));
	ASSERT_EQ(32U, offsetof(struct minidumphdr, bitmapsize));
	ASSERT_EQ(36U, offsetof(struct minidumphdr, pmapsize));
	ASSERT_EQ(40U, offsetof(struct minidumphdr, kernbase));
	ASSERT_EQ(48U, offsetof(struct minidumphdr, dmapbase));
	ASSERT_EQ(56U, offsetof(struct minidumphdr, dmapend));
	ASSERT_EQ(64U, offsetof(struct minidumphdr, dumpavailsize));
	ASSERT_LE(MINIDUMP_LINUX_OFFSET + sizeof(struct minidump_linux), 4096U);
	ASSERT_GE((size_t)MINIDUMP_LINUX_OFFSET, sizeof(struct minidumphdr));
}

/* The command values are FreeBSD's; 32-bit callers send a 12-byte op. */
TEST(ioctl_numbers)
{
	if (sizeof(void *) == 8) {
		ASSERT_EQ(0xC0106D32u, MEMRANGE_GET);
		ASSERT_EQ(0x80106D33u, MEMRANGE_SET);
	} else {
		ASSERT_EQ(0xC00C6D32u, MEMRANGE_GET);
		ASSERT_EQ(0x800C6D33u, MEMRANGE_SET);
	}
	ASSERT_EQ(0xC0406D34u, MEM_EXTRACT_PADDR);
	ASSERT_EQ(0x80206D35u, MEM_KERNELDUMP);
}

/* Attribute, state, SET, ME_STATE and compression constants (SPEC §1.2). */
TEST(constants)
{
	ASSERT_EQ(0x01, MDF_UNCACHEABLE);
	ASSERT_EQ(0x02, MDF_WRITECOMBINE);
	ASSERT_EQ(0x04, MDF_WRITETHROUGH);
	ASSERT_EQ(0x08, MDF_WRITEBACK);
	ASSERT_EQ(0x10, MDF_WRITEPROTECT);
	ASSERT_EQ(0x20, MDF_UNKNOWN);
	ASSERT_EQ(0x00ffffff, MDF_ATTRMASK);
	ASSERT_EQ(1 << 24, MDF_FIXBASE);
	ASSERT_EQ(1 << 25, MDF_FIXLEN);
	ASSERT_EQ(1 << 26, MDF_FIRMWARE);
	ASSERT_EQ(1 << 27, MDF_ACTIVE);
	ASSERT_EQ(1 << 28, MDF_BOGUS);
	ASSERT_EQ(1 << 29, MDF_FIXACTIVE);
	ASSERT_EQ(1 << 30, MDF_BUSY);
	ASSERT_EQ(0x80000000u, (uint32_t)MDF_FORCE);
	ASSERT_EQ(0, MEMRANGE_SET_UPDATE);
	ASSERT_EQ(1, MEMRANGE_SET_REMOVE);
	ASSERT_EQ(0, ME_STATE_INVALID);
	ASSERT_EQ(1, ME_STATE_VALID);
	ASSERT_EQ(2, ME_STATE_MAPPED);
	ASSERT_EQ(0, KERNELDUMP_COMP_NONE);
	ASSERT_EQ(1, KERNELDUMP_COMP_GZIP);
	ASSERT_EQ(2, KERNELDUMP_COMP_ZSTD);
	ASSERT_EQ(1 << 16, MEM_KERNELDUMP_ALLRAM);
	ASSERT_EQ(4, KERNELDUMPVERSION);
	ASSERT_EQ(2, KERNELDUMP_AMD64_VERSION);
	ASSERT_EQ(3, MINIDUMP_VERSION);
	ASSERT_STREQ("/dev/bsdmem", _PATH_BSDMEM);
	ASSERT_STREQ("/dev/bsdkmem", _PATH_BSDKMEM);
	ASSERT_STREQ("FreeBSD Kernel Dump", KERNELDUMPMAGIC);
	ASSERT_STREQ("minidump FreeBSD/amd64", MINIDUMP_MAGIC);
}

/* Fields print with PRIx64/PRId32 without a format warning (-Werror). */
TEST(printf_formats)
{
	struct mem_range_desc d = { .mr_base = 0xa0000, .mr_len = 0x20000 };
	struct mem_extract me = { .me_paddr = 0x1234, .me_domain = -1 };
	char buf[128];

	snprintf(buf, sizeof(buf), "0x%" PRIx64 "/0x%" PRIx64 " %" PRIx64 " %d",
		 d.mr_base, d.mr_len, me.me_paddr, me.me_domain);
	ASSERT_STREQ("0xa0000/0x20000 1234 -1", buf);
}

/* Big-endian fields in the header words. */
static void put_be32(void *p, uint32_t v)
{
	unsigned char *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* A header sealed with its parity XORs to 0; one changed bit breaks it. */
TEST(parity_helper)
{
	struct kerneldumpheader h;
	uint32_t p;

	memset(&h, 0, sizeof(h));
	ASSERT_EQ(0U, kerneldump_parity(&h));
	strcpy(h.magic, KERNELDUMPMAGIC);
	strcpy(h.architecture, "amd64");
	put_be32(&h.version, KERNELDUMPVERSION);
	put_be32(&h.architectureversion, KERNELDUMP_AMD64_VERSION);
	put_be32(&h.blocksize, KERNELDUMP_BLOCKSIZE);
	strcpy(h.hostname, "bsdmemtest");
	strcpy(h.versionstring, "Linux version 6.1\n");
	h.compression = KERNELDUMP_COMP_ZSTD;

	p = kerneldump_parity(&h);
	ASSERT_NE(0U, p);
	h.parity = p;
	ASSERT_EQ(0U, kerneldump_parity(&h));
	h.hostname[3] ^= 0x10;
	ASSERT_NE(0U, kerneldump_parity(&h));
	h.hostname[3] ^= 0x10;
	/* The parity of a single word is that word. */
	memset(&h, 0, sizeof(h));
	put_be32(&h.blocksize, 0x11223344);
	ASSERT_EQ(0x44332211u, kerneldump_parity(&h));
}

TEST_HARNESS_MAIN
