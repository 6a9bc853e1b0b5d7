// SPDX-License-Identifier: GPL-2.0
/*
 * The "none" dump codec: the body goes to the writer unchanged. It is the
 * identity element of the codec table in compress.h, so the dump writer
 * has one code path for raw and compressed dumps.
 */
#include "compress.h"

static int bsdmem_none_init(struct bsdmem_compress *c)
{
	c->priv = NULL;
	return 0;
}

static int bsdmem_none_write(struct bsdmem_compress *c, const void *buf,
			     size_t len)
{
	return c->out(c->arg, buf, len);
}

static int bsdmem_none_finish(struct bsdmem_compress *c)
{
	return 0;
}

static void bsdmem_none_free(struct bsdmem_compress *c)
{
}

const struct bsdmem_compress_ops bsdmem_compress_none_ops = {
	.name	= "none",
	.format	= KERNELDUMP_COMP_NONE,
	.init	= bsdmem_none_init,
	.write	= bsdmem_none_write,
	.finish	= bsdmem_none_finish,
	.free	= bsdmem_none_free,
};
