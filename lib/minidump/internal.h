// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump internals: explicit little/big-endian loads (never the host
 * struct layout for on-disk integers), full-length I/O helpers and the
 * decompressor interface shared by stream.c and the codec files.
 */
#ifndef MD_INTERNAL_H
#define MD_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>
#include "minidump.h"

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

static inline uint64_t md_round_page(uint64_t x)
{
	return (x + MD_PAGE_MASK) & ~MD_PAGE_MASK;
}

/* read(2) until len bytes or EOF; returns bytes read or -errno. */
ssize_t md_read_full(int fd, void *buf, size_t len);
int md_pread_full(int fd, void *buf, size_t len, uint64_t off);
int md_write_full(int fd, const void *buf, size_t len);
int md_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* An anonymous temporary file in $TMPDIR (or /tmp), already unlinked. */
int md_tmpfile(struct md_error *e);

/*
 * A decompressor. feed() consumes input, pushes output to the sink, and
 * sets *ended once the stream (with its own trailer) is complete; input
 * after the end is left unconsumed.
 */
struct md_codec {
	const char *name;
	void *(*create)(void);
	int (*feed)(void *st, const uint8_t *in, size_t len, size_t *used,
		    bool *ended, const struct md_sink *sink, struct md_error *e);
	void (*destroy)(void *st);
};

extern const struct md_codec md_codec_gzip;
extern const struct md_codec md_codec_zstd;

#endif /* MD_INTERNAL_H */
