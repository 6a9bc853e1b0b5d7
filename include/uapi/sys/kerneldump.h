/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bsdmem: FreeBSD <sys/kerneldump.h> for Linux.
 *
 * The 512-byte kerneldumpheader that ends a live dump file (integers in
 * big-endian "dump byte order"), its magic strings and versions, the
 * compression codes and the parity helper.
 */
#ifndef _BSDMEM_SYS_KERNELDUMP_H_
#define _BSDMEM_SYS_KERNELDUMP_H_

#ifdef __KERNEL__
#include <linux/types.h>
#define __bsdmem_kdh_u64	u64
#define __bsdmem_kdh_u32	u32
#define __bsdmem_kdh_u8		u8
#else
#include <stdint.h>
#define __bsdmem_kdh_u64	uint64_t
#define __bsdmem_kdh_u32	uint32_t
#define __bsdmem_kdh_u8		uint8_t
#endif

#define KERNELDUMPMAGIC		"FreeBSD Kernel Dump"
#define TEXTDUMPMAGIC		"FreeBSD Text Dump"
#define KERNELDUMPMAGIC_CLEARED	"Cleared Kernel Dump"

#define KERNELDUMPVERSION		4
#define KERNELDUMP_TEXT_VERSION		4
#define KERNELDUMP_AMD64_VERSION	2

#define KERNELDUMP_COMP_NONE	0
#define KERNELDUMP_COMP_GZIP	1
#define KERNELDUMP_COMP_ZSTD	2

#define KERNELDUMP_ENC_NONE	0

#define KERNELDUMP_BLOCKSIZE	4096

struct kerneldumpheader {
	char			magic[20];
	char			architecture[12];
	__bsdmem_kdh_u32	version;
	__bsdmem_kdh_u32	architectureversion;
	__bsdmem_kdh_u64	dumplength;	/* bytes of body, excluding headers */
	__bsdmem_kdh_u64	dumptime;	/* seconds since the epoch */
	__bsdmem_kdh_u32	dumpkeysize;
	__bsdmem_kdh_u32	blocksize;
	char			hostname[64];
	char			versionstring[192];
	char			panicstring[175];
	__bsdmem_kdh_u8		compression;
	__bsdmem_kdh_u64	dumpextent;	/* uncompressed body size */
	char			unused[4];
	__bsdmem_kdh_u32	parity;
};

/*
 * XOR of the header's 128 32-bit words. Computed with parity set to 0 and
 * stored in parity, so that a valid header XORs to 0 whatever the byte order.
 */
static inline __bsdmem_kdh_u32
kerneldump_parity(const struct kerneldumpheader *kdhp)
{
	const unsigned char *p = (const unsigned char *)kdhp;
	__bsdmem_kdh_u32 parity = 0, word;
	unsigned int i, j;

	for (i = 0; i < sizeof(*kdhp); i += 4) {
		word = 0;
		for (j = 0; j < 4; j++)
			word |= (__bsdmem_kdh_u32)p[i + j] << (8 * j);
		parity ^= word;
	}
	return parity;
}

#endif /* _BSDMEM_SYS_KERNELDUMP_H_ */
