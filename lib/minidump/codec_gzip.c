// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the gzip decoder for compressed dumps. The kernel writes a
 * fixed 10-byte header (1f 8b 08 00 00000000 00 03), raw deflate, then the
 * CRC-32 and ISIZE trailer (little-endian); all three are verified here
 * with the real zlib.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "internal.h"

#define GZ_OUT	(64u << 10)

static const uint8_t kernel_gz_header[10] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03
};

enum gz_phase { GZ_HEADER, GZ_DEFLATE, GZ_TRAILER, GZ_DONE };

struct gz_state {
	z_stream zs;
	enum gz_phase phase;
	uint8_t small[10];	/* header, then trailer bytes */
	size_t nsmall;
	uLong crc;
	uint64_t size;
	uint64_t in_total;
	uint8_t out[GZ_OUT];
};

static void *gz_create(void)
{
	struct gz_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (inflateInit2(&s->zs, -MAX_WBITS) != Z_OK) {
		free(s);
		return NULL;
	}
	s->crc = crc32(0, Z_NULL, 0);
	return s;
}

static void gz_destroy(void *st)
{
	struct gz_state *s = st;

	if (s) {
		inflateEnd(&s->zs);
		free(s);
	}
}

static size_t take_small(struct gz_state *s, const uint8_t *in, size_t len,
			 size_t want)
{
	size_t n = want - s->nsmall;

	if (n > len)
		n = len;
	memcpy(s->small + s->nsmall, in, n);
	s->nsmall += n;
	return n;
}

static int gz_inflate(struct gz_state *s, const uint8_t *in, size_t len,
		      size_t *used, const struct md_sink *sink, struct md_error *e)
{
	size_t produced;
	int ret, err;

	s->zs.next_in = (Bytef *)in;
	s->zs.avail_in = (uInt)len;
	for (;;) {
		s->zs.next_out = s->out;
		s->zs.avail_out = GZ_OUT;
		ret = inflate(&s->zs, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			return md_fail(e, -EBADMSG, "gzip-data",
				       "inflate failed at compressed offset %llu: %s",
				       (unsigned long long)(s->in_total + 10 +
							    len - s->zs.avail_in),
				       s->zs.msg ? s->zs.msg : zError(ret));
		produced = GZ_OUT - s->zs.avail_out;
		s->crc = crc32(s->crc, s->out, (uInt)produced);
		s->size += produced;
		err = produced ? sink->data(sink->ctx, s->out, produced, e) : 0;
		if (err)
			return err;
		if (ret == Z_STREAM_END) {
			s->phase = GZ_TRAILER;
			break;
		}
		if (ret == Z_BUF_ERROR || (s->zs.avail_in == 0 && s->zs.avail_out))
			break;
	}
	*used = len - s->zs.avail_in;
	s->in_total += *used;
	return 0;
}

static int gz_trailer(struct gz_state *s, struct md_error *e)
{
	uint32_t crc = md_le32(s->small), isize = md_le32(s->small + 4);

	if (crc != (uint32_t)s->crc)
		return md_fail(e, -EBADMSG, "gzip-crc",
			       "gzip trailer CRC-32 0x%08x, data has 0x%08x", crc,
			       (uint32_t)s->crc);
	if (isize != (uint32_t)s->size)
		return md_fail(e, -EBADMSG, "gzip-isize",
			       "gzip trailer ISIZE %u, data has %llu bytes (mod 2^32: %u)",
			       isize, (unsigned long long)s->size,
			       (uint32_t)s->size);
	s->phase = GZ_DONE;
	return 0;
}

static int gz_feed(void *st, const uint8_t *in, size_t len, size_t *used,
		   bool *ended, const struct md_sink *sink, struct md_error *e)
{
	struct gz_state *s = st;
	size_t pos = 0, n = 0;
	int err = 0;

	while (pos < len && s->phase != GZ_DONE && !err) {
		switch (s->phase) {
		case GZ_HEADER:
			pos += take_small(s, in + pos, len - pos, 10);
			if (s->nsmall < 10)
				break;
			if (memcmp(s->small, kernel_gz_header, 10))
				return md_fail(e, -EBADMSG, "gzip-header",
					       "expected 1f 8b 08 00 00000000 00 03 (deflate, no flags, mtime 0, OS Unix)");
			s->nsmall = 0;
			s->phase = GZ_DEFLATE;
			break;
		case GZ_DEFLATE:
			err = gz_inflate(s, in + pos, len - pos, &n, sink, e);
			pos += n;
			break;
		case GZ_TRAILER:
			pos += take_small(s, in + pos, len - pos, 8);
			if (s->nsmall == 8)
				err = gz_trailer(s, e);
			break;
		case GZ_DONE:
			break;
		}
	}
	*used = pos;
	*ended = s->phase == GZ_DONE;
	return err;
}

const struct md_codec md_codec_gzip = {
	.name = "gzip",
	.create = gz_create,
	.feed = gz_feed,
	.destroy = gz_destroy,
};
