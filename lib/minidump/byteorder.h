/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one definition, for all of bsdmem's userspace outside selftests/, of
 * the page size and of explicit little/big-endian loads and stores: on-disk
 * integers are read and written byte by byte, never through the host's
 * struct layout. (selftests/lib/mdview.c keeps its own on purpose.)
 */
#ifndef MD_BYTEORDER_H
#define MD_BYTEORDER_H

#include <stdint.h>

#define MD_PAGE_SIZE		4096u
#define MD_PAGE_MASK		0xfffull

static inline uint32_t md_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t md_le64(const uint8_t *p)
{
	return (uint64_t)md_le32(p) | (uint64_t)md_le32(p + 4) << 32;
}

static inline uint32_t md_be32(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[0] << 24;
}

static inline uint64_t md_be64(const uint8_t *p)
{
	return (uint64_t)md_be32(p) << 32 | (uint64_t)md_be32(p + 4);
}

static inline void md_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void md_put_le32(uint8_t *p, uint32_t v)
{
	md_put_le16(p, (uint16_t)v);
	md_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void md_put_le64(uint8_t *p, uint64_t v)
{
	md_put_le32(p, (uint32_t)v);
	md_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void md_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void md_put_be64(uint8_t *p, uint64_t v)
{
	md_put_be32(p, (uint32_t)(v >> 32));
	md_put_be32(p + 4, (uint32_t)v);
}

/* x rounded up to a whole number of pages. */
static inline uint64_t md_round_page(uint64_t x)
{
	return (x + MD_PAGE_MASK) & ~MD_PAGE_MASK;
}

#endif /* MD_BYTEORDER_H */
