// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the gzip decoder for compressed dumps. The kernel writes one
 * or more members in a row (one per chunk its workers compress), each a
 * fixed 10-byte header (1f 8b 08 00 00000000 00 03), raw deflate, then its
 * own CRC-32 and ISIZE (little-endian); all are verified, member by member,
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

enum gz_phase { GZ_HEADER, GZ_DEFLATE, GZ_TRAILER, GZ_BETWEEN, GZ_END };

struct gz_state {
	z_stream zs;
	enum gz_phase phase;
	uint8_t small[10];	/* header, then trailer bytes */
	size_t nsmall;
	uLong crc;		/* of the current member's data */
	uint64_t size;
	uint64_t member;	/* number of the current member, from 1 */
	uint64_t start;		/* its compressed offset */
	uint64_t off;		/* compressed offset of the next input byte */
	uint64_t done;		/* members complete */
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
	s->member = 1;
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
				       "member %llu at compressed offset %llu: inflate failed near compressed offset %llu: %s",
				       (unsigned long long)s->member,
				       (unsigned long long)s->start,
				       (unsigned long long)(s->off + len - s->zs.avail_in),
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
	return 0;
}

static int gz_trailer(struct gz_state *s, struct md_error *e)
{
	uint32_t crc = md_le32(s->small), isize = md_le32(s->small + 4);

	if (crc != (uint32_t)s->crc)
		return md_fail(e, -EBADMSG, "gzip-crc",
			       "member %llu at compressed offset %llu: trailer CRC-32 0x%08x, data has 0x%08x",
			       (unsigned long long)s->member,
			       (unsigned long long)s->start, crc, (uint32_t)s->crc);
	if (isize != (uint32_t)s->size)
		return md_fail(e, -EBADMSG, "gzip-isize",
			       "member %llu at compressed offset %llu: trailer ISIZE %u, data has %llu bytes (mod 2^32: %u)",
			       (unsigned long long)s->member,
			       (unsigned long long)s->start, isize,
			       (unsigned long long)s->size, (uint32_t)s->size);
	s->phase = GZ_BETWEEN;
	s->done++;
	return 0;
}

/* After a member: the gzip magic's first byte starts the next, else the end. */
static int gz_next(struct gz_state *s, uint8_t byte, struct md_error *e)
{
	if (byte != kernel_gz_header[0]) {
		s->phase = GZ_END;
		return 0;
	}
	if (inflateReset(&s->zs) != Z_OK)
		return md_fail(e, -ENOMEM, "io", "cannot reset the gzip decoder");
	s->phase = GZ_HEADER;
	s->member++;
	s->start = s->off;
	s->nsmall = 0;
	s->crc = crc32(0, Z_NULL, 0);
	s->size = 0;
	return 0;
}

static int gz_check_header(struct gz_state *s, struct md_error *e)
{
	if (memcmp(s->small, kernel_gz_header, 10))
		return md_fail(e, -EBADMSG, "gzip-header",
			       "member %llu at compressed offset %llu: expected 1f 8b 08 00 00000000 00 03 (deflate, no flags, mtime 0, OS Unix)",
			       (unsigned long long)s->member,
			       (unsigned long long)s->start);
	s->nsmall = 0;
	s->phase = GZ_DEFLATE;
	return 0;
}

static int gz_feed(void *st, const uint8_t *in, size_t len, size_t *used,
		   bool *ended, const struct md_sink *sink, struct md_error *e)
{
	struct gz_state *s = st;
	size_t n;
	int err = 0;

	*used = 0;
	while (*used < len && s->phase != GZ_END && !err) {
		n = 0;
		switch (s->phase) {
		case GZ_HEADER:
			n = take_small(s, in, len - *used, 10);
			if (s->nsmall == 10)
				err = gz_check_header(s, e);
			break;
		case GZ_DEFLATE:
			err = gz_inflate(s, in, len - *used, &n, sink, e);
			break;
		case GZ_TRAILER:
			n = take_small(s, in, len - *used, 8);
			if (s->nsmall == 8)
				err = gz_trailer(s, e);
			break;
		case GZ_BETWEEN:
			err = gz_next(s, *in, e);
			break;
		case GZ_END:
			break;
		}
		in += n;
		*used += n;
		s->off += n;
	}
	*ended = s->phase == GZ_END;
	return err;
}

static uint64_t gz_frames(const void *st, bool *between)
{
	const struct gz_state *s = st;

	*between = s->phase == GZ_BETWEEN || s->phase == GZ_END;
	return s->done;
}

const struct md_codec md_codec_gzip = {
	.name = "gzip",
	.unit = "member",
	.magic0 = 0x1f,
	.create = gz_create,
	.feed = gz_feed,
	.frames = gz_frames,
	.destroy = gz_destroy,
};
