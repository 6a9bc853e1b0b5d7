// SPDX-License-Identifier: GPL-2.0
/*
 * The codec facade: the dump writer finds a codec by format and drives it
 * through init/write/finish/free without touching its ops. With more than
 * one dump thread (compress_par.c) a compressing codec runs in workers, one
 * stream per chunk; the writer does not see the difference. Empty writes
 * (an empty kernel log) never reach a codec, and a library's own status
 * (zlib's, zstd's) becomes an errno only here, never by accident.
 */
#include <linux/printk.h>

#include "compress.h"

/**
 * bsdmem_compress_find() - the codec for a format
 * @format: a KERNELDUMP_COMP_* value
 *
 * Return: the codec, or NULL when bsdmem has none for it.
 */
const struct bsdmem_compress_ops *bsdmem_compress_find(u8 format)
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

/**
 * bsdmem_compress_init() - start one compressed stream
 * @c: the state to fill
 * @ops: a codec from bsdmem_compress_find()
 * @out: where its output goes
 * @arg: @out's argument
 *
 * Call bsdmem_compress_free() afterwards in any case.
 *
 * Return: 0, -ENOMEM, or an error of @out (a stream header).
 */
int bsdmem_compress_init(struct bsdmem_compress *c,
			 const struct bsdmem_compress_ops *ops,
			 bsdmem_compress_out_fn out, void *arg)
{
	unsigned int workers;

	c->ops = ops;
	c->out = out;
	c->arg = arg;
	c->priv = NULL;
	c->par = NULL;
	c->chunk = 0;
	c->level = 0;
	workers = bsdmem_compress_par_workers(c);
	if (workers > 1)
		return bsdmem_compress_par_init(c, workers);
	return ops->init(c);
}

/**
 * bsdmem_compress_write() - compress bytes of the body
 * @c: an initialised stream
 * @buf: bytes
 * @len: how many; 0 is a no-op
 *
 * Return: 0 or -errno.
 */
int bsdmem_compress_write(struct bsdmem_compress *c, const void *buf,
			  size_t len)
{
	if (!len)
		return 0;
	if (c->par)
		return bsdmem_compress_par_write(c->par, buf, len);
	return c->ops->write(c, buf, len);
}

/**
 * bsdmem_compress_finish() - flush the stream and write its trailer
 * @c: an initialised stream
 *
 * Return: 0 or -errno.
 */
int bsdmem_compress_finish(struct bsdmem_compress *c)
{
	if (c->par)
		return bsdmem_compress_par_finish(c->par);
	return c->ops->finish(c);
}

/**
 * bsdmem_compress_free() - release the codec's state
 * @c: a stream bsdmem_compress_init() was called on, whatever it returned
 */
void bsdmem_compress_free(struct bsdmem_compress *c)
{
	if (c->par) {
		bsdmem_compress_par_free(c->par);
		c->par = NULL;
		return;
	}
	c->ops->free(c);
	c->priv = NULL;
}

/**
 * bsdmem_compress_format() - the KERNELDUMP_COMP_* value of a stream
 * @c: an initialised stream
 *
 * Return: the format written into the dump's trailer.
 */
u8 bsdmem_compress_format(const struct bsdmem_compress *c)
{
	return c->ops->format;
}

/**
 * bsdmem_compress_lib_error() - a codec library failed
 * @c: the stream
 * @status: the library's own status, for the log only
 *
 * The one place a library status turns into an errno: zlib's codes are
 * small negative numbers that would read as unrelated errnos (Z_BUF_ERROR
 * is -5, -EIO), zstd's are large unsigned values.
 *
 * Return: -EIO.
 */
int bsdmem_compress_lib_error(struct bsdmem_compress *c, long status)
{
	pr_err_ratelimited("%s codec failed (library status %ld)\n",
			   c->ops->name, status);
	return -EIO;
}
