/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dump codecs for MEM_KERNELDUMP behind a small ops table, one file per
 * codec (compress_none.c, compress_gzip.c, compress_zstd.c). A codec takes
 * the dump body in pieces of any size and pushes whatever it produces to
 * an output callback; where those bytes go, and at which file position,
 * is the writer's business (sink.c). Formats without a codec are refused.
 */
#ifndef _BSDMEM_COMPRESS_H
#define _BSDMEM_COMPRESS_H

#include <linux/types.h>
#include <sys/kerneldump.h>

/* Where a codec delivers its output: 0 or -errno (which stops the dump). */
typedef int (*bsdmem_compress_out_fn)(void *arg, const void *buf, size_t len);

struct bsdmem_compress;

/**
 * struct bsdmem_compress_ops - one codec
 * @format: KERNELDUMP_COMP_* value it produces
 * @init: allocate the workspace for one dump, may emit a stream header
 * @write: compress @len bytes, pushing output as buffers fill
 * @finish: flush everything and emit the stream trailer
 * @free: release what @init allocated; called after every @init, even one
 *	that failed
 */
struct bsdmem_compress_ops {
	u8 format;
	int (*init)(struct bsdmem_compress *c);
	int (*write)(struct bsdmem_compress *c, const void *buf, size_t len);
	int (*finish)(struct bsdmem_compress *c);
	void (*free)(struct bsdmem_compress *c);
};

/**
 * struct bsdmem_compress - a codec's state for one dump
 * @ops: the codec
 * @out: output callback
 * @arg: its argument
 * @priv: the codec's own state, from @ops->init
 */
struct bsdmem_compress {
	const struct bsdmem_compress_ops *ops;
	bsdmem_compress_out_fn out;
	void *arg;
	void *priv;
};

extern const struct bsdmem_compress_ops bsdmem_compress_none_ops;
extern const struct bsdmem_compress_ops bsdmem_compress_gzip_ops;
extern const struct bsdmem_compress_ops bsdmem_compress_zstd_ops;

/* The codec for a KERNELDUMP_COMP_* value, or NULL: unsupported. */
static inline const struct bsdmem_compress_ops *bsdmem_compress_find(u8 format)
{
	switch (format) {
	case KERNELDUMP_COMP_NONE:
		return &bsdmem_compress_none_ops;
	case KERNELDUMP_COMP_GZIP:
		return &bsdmem_compress_gzip_ops;
	case KERNELDUMP_COMP_ZSTD:
		return &bsdmem_compress_zstd_ops;
	default:
		return NULL;
	}
}

static inline int bsdmem_compress_write(struct bsdmem_compress *c,
					const void *buf, size_t len)
{
	return c->ops->write(c, buf, len);
}

#endif /* _BSDMEM_COMPRESS_H */
