// SPDX-License-Identifier: GPL-2.0
/*
 * The zstd dump codec: one frame per stream (the whole body, or one chunk
 * of it when workers compress) with the content checksum on and the
 * content size unknown (the body is produced on the fly). The level is the
 * module parameter zstd_level (1-19, default 3, zstd's own default); the
 * workspace for it is vmalloc'ed at the start of each dump, sized for the
 * chunk when there is one (a window never larger than the chunk).
 */
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/zstd.h>

#include "bsdmem.h"
#include "compress.h"

#define BSDMEM_ZSTD_OBUF	(128 * 1024)

static unsigned int zstd_level = 3;

static int bsdmem_zstd_set_level(const char *val, const struct kernel_param *kp)
{
	return bsdmem_main_param_range(val, kp, 1, 19);
}

static const struct kernel_param_ops bsdmem_zstd_level_ops = {
	.set	= bsdmem_zstd_set_level,
	.get	= param_get_uint,
};

module_param_cb(zstd_level, &bsdmem_zstd_level_ops, &zstd_level, 0644);
MODULE_PARM_DESC(zstd_level, "zstd level for MEM_KERNELDUMP, 1-19 (default 3)");

struct bsdmem_zstd {
	zstd_cstream *cstream;
	void *workspace;
	u8 *obuf;
};

static void bsdmem_zstd_free(struct bsdmem_compress *c)
{
	struct bsdmem_zstd *zs = c->priv;

	if (!zs)
		return;
	kvfree(zs->obuf);
	vfree(zs->workspace);
	kfree(zs);
	c->priv = NULL;
}

/* The parameters of this dump: its level (read once) and chunk. */
static zstd_parameters bsdmem_zstd_params(struct bsdmem_compress *c)
{
	zstd_parameters params;

	if (!c->level)
		c->level = READ_ONCE(zstd_level);
	params = zstd_get_params(c->level, c->chunk);
	params.fParams.checksumFlag = 1;
	params.fParams.contentSizeFlag = 0;
	return params;
}

static size_t bsdmem_zstd_workspace(struct bsdmem_compress *c)
{
	zstd_parameters params = bsdmem_zstd_params(c);

	return zstd_cstream_workspace_bound(&params.cParams) + BSDMEM_ZSTD_OBUF;
}

/* The facade calls bsdmem_zstd_free() after this, whatever it returns. */
static int bsdmem_zstd_init(struct bsdmem_compress *c)
{
	zstd_parameters params = bsdmem_zstd_params(c);
	struct bsdmem_zstd *zs;
	size_t size = zstd_cstream_workspace_bound(&params.cParams);

	zs = kzalloc(sizeof(*zs), GFP_KERNEL);
	if (!zs)
		return -ENOMEM;
	c->priv = zs;
	zs->workspace = __vmalloc(size, BSDMEM_GFP);
	zs->obuf = kvmalloc(BSDMEM_ZSTD_OBUF, BSDMEM_GFP);
	if (!zs->workspace || !zs->obuf)
		return -ENOMEM;
	zs->cstream = zstd_init_cstream(&params, 0, zs->workspace, size);
	if (!zs->cstream)
		return bsdmem_compress_lib_error(c, 0);
	return 0;
}

/* Push what the last zstd call produced, or report its failure. */
static int bsdmem_zstd_emit(struct bsdmem_compress *c, size_t ret,
			    const zstd_out_buffer *out)
{
	if (zstd_is_error(ret))
		return bsdmem_compress_lib_error(c, (long)zstd_get_error_code(ret));
	if (!out->pos)
		return 0;
	return c->out(c->arg, out->dst, out->pos);
}

static int bsdmem_zstd_write(struct bsdmem_compress *c, const void *buf,
			     size_t len)
{
	struct bsdmem_zstd *zs = c->priv;
	zstd_in_buffer in = { .src = buf, .size = len, .pos = 0 };
	zstd_out_buffer out;
	size_t ret;
	int err;

	while (in.pos < in.size) {
		out.dst = zs->obuf;
		out.size = BSDMEM_ZSTD_OBUF;
		out.pos = 0;
		ret = zstd_compress_stream(zs->cstream, &out, &in);
		err = bsdmem_zstd_emit(c, ret, &out);
		if (err)
			return err;
	}
	return 0;
}

/* A new frame with the parameters of init; its header comes with its data. */
static int bsdmem_zstd_reset(struct bsdmem_compress *c)
{
	struct bsdmem_zstd *zs = c->priv;
	size_t ret;

	ret = zstd_reset_cstream(zs->cstream, 0);
	if (zstd_is_error(ret))
		return bsdmem_compress_lib_error(c, (long)zstd_get_error_code(ret));
	return 0;
}

static int bsdmem_zstd_finish(struct bsdmem_compress *c)
{
	struct bsdmem_zstd *zs = c->priv;
	zstd_out_buffer out;
	size_t ret;
	int err;

	do {
		out.dst = zs->obuf;
		out.size = BSDMEM_ZSTD_OBUF;
		out.pos = 0;
		ret = zstd_end_stream(zs->cstream, &out);
		err = bsdmem_zstd_emit(c, ret, &out);
		if (err)
			return err;
	} while (ret);
	return 0;
}

const struct bsdmem_compress_ops bsdmem_compress_zstd_ops = {
	.name	= "zstd",
	.format	= KERNELDUMP_COMP_ZSTD,
	.init	= bsdmem_zstd_init,
	.write	= bsdmem_zstd_write,
	.finish	= bsdmem_zstd_finish,
	.reset	= bsdmem_zstd_reset,
	.workspace = bsdmem_zstd_workspace,
	.free	= bsdmem_zstd_free,
};
