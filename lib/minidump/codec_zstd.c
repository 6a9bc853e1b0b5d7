// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the zstd decoder for compressed dumps. The kernel writes one
 * or more complete frames in a row (one per chunk its workers compress),
 * each with the content checksum on; every frame's header must have the
 * checksum flag, and libzstd verifies every checksum.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>
#include "internal.h"

#define ZS_OUT		(128u << 10)
#define ZS_HEAD		5	/* the magic, then the Frame_Header_Descriptor */
#define ZS_CHECKSUM	0x04	/* its Content_Checksum_flag */

static const uint8_t zs_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

enum zs_phase { ZS_FRAME, ZS_BETWEEN, ZS_END };

struct zs_state {
	ZSTD_DCtx *dctx;
	enum zs_phase phase;
	uint8_t head[ZS_HEAD];	/* the current frame's first bytes */
	size_t nhead;
	uint64_t frame;		/* number of the current frame, from 1 */
	uint64_t start;		/* its compressed offset */
	uint64_t off;		/* compressed offset of the next input byte */
	uint64_t done;		/* frames complete */
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
	s->phase = ZS_FRAME;
	s->frame = 1;
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

/* Looks at a frame's first bytes before libzstd decodes them. */
static int zs_head(struct zs_state *s, const uint8_t *in, size_t len,
		   struct md_error *e)
{
	for (; s->nhead < ZS_HEAD && len; len--) {
		s->head[s->nhead++] = *in++;
		if (s->nhead == sizeof(zs_magic) &&
		    memcmp(s->head, zs_magic, sizeof(zs_magic)))
			return md_fail(e, -EBADMSG, "zstd-data",
				       "frame %llu at compressed offset %llu does not start with the zstd magic 28 b5 2f fd",
				       (unsigned long long)s->frame,
				       (unsigned long long)s->start);
		if (s->nhead == ZS_HEAD && !(s->head[ZS_HEAD - 1] & ZS_CHECKSUM))
			return md_fail(e, -EBADMSG, "zstd-checksum",
				       "frame %llu at compressed offset %llu has no content checksum (flag off)",
				       (unsigned long long)s->frame,
				       (unsigned long long)s->start);
	}
	return 0;
}

static int zs_error(const struct zs_state *s, size_t ret, uint64_t at,
		    struct md_error *e)
{
	if (ZSTD_getErrorCode(ret) == ZSTD_error_checksum_wrong)
		return md_fail(e, -EBADMSG, "zstd-checksum",
			       "frame %llu at compressed offset %llu: content checksum does not match the data",
			       (unsigned long long)s->frame,
			       (unsigned long long)s->start);
	return md_fail(e, -EBADMSG, "zstd-data",
		       "frame %llu at compressed offset %llu: decompression failed near compressed offset %llu: %s",
		       (unsigned long long)s->frame, (unsigned long long)s->start,
		       (unsigned long long)at, ZSTD_getErrorName(ret));
}

/* Decodes the current frame; stops at its end, input after it unused. */
static int zs_frame(struct zs_state *s, const uint8_t *in, size_t len,
		    size_t *used, const struct md_sink *sink, struct md_error *e)
{
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob;
	size_t ret;
	int err = zs_head(s, in, len, e);

	while (!err) {
		ob = (ZSTD_outBuffer){ s->out, ZS_OUT, 0 };
		ret = ZSTD_decompressStream(s->dctx, &ob, &ib);
		if (ZSTD_isError(ret)) {
			err = zs_error(s, ret, s->off + ib.pos, e);
			break;
		}
		if (ob.pos)
			err = sink->data(sink->ctx, s->out, ob.pos, e);
		if (ret == 0) {
			s->phase = ZS_BETWEEN;
			s->done++;
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size)
			break;
	}
	*used = ib.pos;
	return err;
}

/* After a frame: its magic's first byte starts the next, else the end. */
static void zs_next(struct zs_state *s, uint8_t byte)
{
	if (byte != zs_magic[0]) {
		s->phase = ZS_END;
		return;
	}
	ZSTD_DCtx_reset(s->dctx, ZSTD_reset_session_only);
	s->phase = ZS_FRAME;
	s->frame++;
	s->start = s->off;
	s->nhead = 0;
}

static int zs_feed(void *st, const uint8_t *in, size_t len, size_t *used,
		   bool *ended, const struct md_sink *sink, struct md_error *e)
{
	struct zs_state *s = st;
	size_t pos = 0, n;
	int err = 0;

	while (!err && pos < len && s->phase != ZS_END) {
		if (s->phase == ZS_BETWEEN) {
			zs_next(s, in[pos]);
			continue;
		}
		n = 0;
		err = zs_frame(s, in + pos, len - pos, &n, sink, e);
		pos += n;
		s->off += n;
	}
	*used = pos;
	*ended = s->phase == ZS_END;
	return err;
}

static uint64_t zs_frames(const void *st, bool *between)
{
	const struct zs_state *s = st;

	*between = s->phase != ZS_FRAME;
	return s->done;
}

const struct md_codec md_codec_zstd = {
	.name = "zstd",
	.unit = "frame",
	.magic0 = 0x28,
	.create = zs_create,
	.feed = zs_feed,
	.frames = zs_frames,
	.destroy = zs_destroy,
};
