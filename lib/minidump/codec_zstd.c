// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the zstd decoder for compressed dumps. The kernel writes
 * exactly one frame with the content checksum on; the frame header's
 * checksum flag is required and the checksum verified by libzstd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>
#include "internal.h"

#define ZS_OUT		(128u << 10)
#define ZS_FHD		4	/* offset of the Frame_Header_Descriptor */
#define ZS_CHECKSUM	0x04	/* its Content_Checksum_flag */

struct zs_state {
	ZSTD_DCtx *dctx;
	bool seen_fhd;
	bool done;
	uint64_t in_total;
	uint8_t out[ZS_OUT];
};

static void *zs_create(void)
{
	struct zs_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dctx = ZSTD_createDCtx();
	if (!s->dctx) {
		free(s);
		return NULL;
	}
	return s;
}

static void zs_destroy(void *st)
{
	struct zs_state *s = st;

	if (s) {
		ZSTD_freeDCtx(s->dctx);
		free(s);
	}
}

static int zs_check_fhd(struct zs_state *s, const uint8_t *in, size_t len,
			struct md_error *e)
{
	if (s->seen_fhd || s->in_total + len <= ZS_FHD)
		return 0;
	s->seen_fhd = true;
	if (!(in[ZS_FHD - s->in_total] & ZS_CHECKSUM))
		return md_fail(e, -EBADMSG, "zstd-checksum",
			       "the frame has no content checksum (flag off)");
	return 0;
}

static int zs_feed(void *st, const uint8_t *in, size_t len, size_t *used,
		   bool *ended, const struct md_sink *sink, struct md_error *e)
{
	struct zs_state *s = st;
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob;
	size_t ret;
	int err = zs_check_fhd(s, in, len, e);

	while (!err && !s->done) {
		ob = (ZSTD_outBuffer){ s->out, ZS_OUT, 0 };
		ret = ZSTD_decompressStream(s->dctx, &ob, &ib);
		if (ZSTD_isError(ret)) {
			if (ZSTD_getErrorCode(ret) == ZSTD_error_checksum_wrong)
				err = md_fail(e, -EBADMSG, "zstd-checksum",
					      "frame content checksum does not match the data");
			else
				err = md_fail(e, -EBADMSG, "zstd-data",
					      "decompression failed near compressed offset %llu: %s",
					      (unsigned long long)(s->in_total + ib.pos),
					      ZSTD_getErrorName(ret));
			break;
		}
		if (ob.pos)
			err = sink->data(sink->ctx, s->out, ob.pos, e);
		if (ret == 0)
			s->done = true;
		if (ib.pos == ib.size && ob.pos < ob.size)
			break;
	}
	*used = ib.pos;
	s->in_total += ib.pos;
	*ended = s->done;
	return err;
}

const struct md_codec md_codec_zstd = {
	.name = "zstd",
	.create = zs_create,
	.feed = zs_feed,
	.destroy = zs_destroy,
};
