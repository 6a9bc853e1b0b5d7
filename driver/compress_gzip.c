// SPDX-License-Identifier: GPL-2.0
/*
 * The gzip dump codec: one RFC 1952 member per stream (the whole body, or
 * one chunk of it when workers compress). Linux's zlib has no gzip
 * wrapper, so the 10-byte header and the CRC-32/ISIZE trailer are written
 * here around a raw deflate stream (negative windowBits). The level is the
 * module parameter gzip_level (1-9, default 6, as gzip and FreeBSD), read
 * once per dump.
 */
#include <linux/crc32.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>

#include "bsdmem.h"
#include "compress.h"

#define BSDMEM_GZIP_OBUF	(128 * 1024)

static unsigned int gzip_level = 6;

static int bsdmem_gzip_set_level(const char *val, const struct kernel_param *kp)
{
	return bsdmem_main_param_range(val, kp, 1, 9);
}

static const struct kernel_param_ops bsdmem_gzip_level_ops = {
	.set	= bsdmem_gzip_set_level,
	.get	= param_get_uint,
};

module_param_cb(gzip_level, &bsdmem_gzip_level_ops, &gzip_level, 0644);
MODULE_PARM_DESC(gzip_level, "gzip level for MEM_KERNELDUMP, 1-9 (default 6)");

/* magic, deflate, no flags, no mtime, no extra flags, OS 3 (Unix) */
static const u8 bsdmem_gzip_header[10] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03
};

struct bsdmem_gzip {
	struct z_stream_s strm;
	u32 crc;		/* running crc32_le, pre- and post-inverted */
	u32 isize;		/* input length modulo 2^32 */
	u8 *obuf;
};

static void bsdmem_gzip_free(struct bsdmem_compress *c)
{
	struct bsdmem_gzip *gz = c->priv;

	if (!gz)
		return;
	kvfree(gz->obuf);
	vfree(gz->strm.workspace);
	kfree(gz);
	c->priv = NULL;
}

/* A new member on the same workspace: deflate state, CRC, size, header. */
static int bsdmem_gzip_reset(struct bsdmem_compress *c)
{
	struct bsdmem_gzip *gz = c->priv;
	int ret;

	ret = zlib_deflateInit2(&gz->strm, c->level, Z_DEFLATED, -MAX_WBITS,
				MAX_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	if (ret != Z_OK)
		return bsdmem_compress_lib_error(c, ret);
	gz->crc = ~0U;
	gz->isize = 0;
	return c->out(c->arg, bsdmem_gzip_header, sizeof(bsdmem_gzip_header));
}

/* The level of this dump, read once; what init allocates. */
static size_t bsdmem_gzip_workspace(struct bsdmem_compress *c)
{
	if (!c->level)
		c->level = READ_ONCE(gzip_level);
	return zlib_deflate_workspacesize(-MAX_WBITS, MAX_MEM_LEVEL) +
	       BSDMEM_GZIP_OBUF;
}

/* The facade calls bsdmem_gzip_free() after this, whatever it returns. */
static int bsdmem_gzip_init(struct bsdmem_compress *c)
{
	struct bsdmem_gzip *gz;

	gz = kzalloc(sizeof(*gz), GFP_KERNEL);
	if (!gz)
		return -ENOMEM;
	c->priv = gz;
	bsdmem_gzip_workspace(c);
	gz->strm.workspace =
		__vmalloc(zlib_deflate_workspacesize(-MAX_WBITS, MAX_MEM_LEVEL),
			  BSDMEM_GFP_ZERO);
	gz->obuf = kvmalloc(BSDMEM_GZIP_OBUF, BSDMEM_GFP);
	if (!gz->strm.workspace || !gz->obuf)
		return -ENOMEM;
	return bsdmem_gzip_reset(c);
}

/*
 * One deflate call into the empty output buffer, and the output pushed on.
 * Z_BUF_ERROR only says the call could do nothing (no input left, nothing
 * pending): not a failure.
 * Return: 1 at the end of the stream, 0 otherwise, or -errno.
 */
static int bsdmem_gzip_step(struct bsdmem_compress *c, int flush)
{
	struct bsdmem_gzip *gz = c->priv;
	size_t produced;
	int ret, err;

	gz->strm.next_out = gz->obuf;
	gz->strm.avail_out = BSDMEM_GZIP_OBUF;
	ret = zlib_deflate(&gz->strm, flush);
	if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
		return bsdmem_compress_lib_error(c, ret);
	produced = BSDMEM_GZIP_OBUF - gz->strm.avail_out;
	if (produced) {
		err = c->out(c->arg, gz->obuf, produced);
		if (err)
			return err;
	}
	return ret == Z_STREAM_END;
}

static int bsdmem_gzip_write(struct bsdmem_compress *c, const void *buf,
			     size_t len)
{
	struct bsdmem_gzip *gz = c->priv;
	int err;

	gz->crc = crc32_le(gz->crc, buf, len);
	gz->isize += len;
	gz->strm.next_in = buf;
	gz->strm.avail_in = len;
	/* zlib consumed all input once it leaves output space unused */
	do {
		err = bsdmem_gzip_step(c, Z_NO_FLUSH);
		if (err < 0)
			return err;
	} while (gz->strm.avail_out == 0);
	return 0;
}

static int bsdmem_gzip_finish(struct bsdmem_compress *c)
{
	struct bsdmem_gzip *gz = c->priv;
	__le32 trailer[2];
	int ret;

	gz->strm.avail_in = 0;
	do {
		ret = bsdmem_gzip_step(c, Z_FINISH);
		if (ret < 0)
			return ret;
	} while (!ret);
	zlib_deflateEnd(&gz->strm);
	trailer[0] = cpu_to_le32(~gz->crc);
	trailer[1] = cpu_to_le32(gz->isize);
	return c->out(c->arg, trailer, sizeof(trailer));
}

const struct bsdmem_compress_ops bsdmem_compress_gzip_ops = {
	.name	= "gzip",
	.format	= KERNELDUMP_COMP_GZIP,
	.init	= bsdmem_gzip_init,
	.write	= bsdmem_gzip_write,
	.finish	= bsdmem_gzip_finish,
	.reset	= bsdmem_gzip_reset,
	.workspace = bsdmem_gzip_workspace,
	.free	= bsdmem_gzip_free,
};
