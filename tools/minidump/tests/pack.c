// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: packs a body as the kernel writes it: raw, or gzip members
 * (hand-made 10-byte header, raw deflate, CRC-32/ISIZE) or zstd frames
 * with checksum, one for the whole body or one per chunk as the kernel's
 * compression workers write them, zero padding to 4096 and the big-endian
 * kerneldumpheader trailer with parity; or without the trailer, as
 * bsdlivedump leaves it.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "gen.h"

static size_t pack_gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	z_stream zs;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	assert(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8,
			    Z_DEFAULT_STRATEGY) == Z_OK);
	memcpy(out, hdr, 10);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out + 10;
	zs.avail_out = (uInt)(cap - 18);
	assert(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	n = 10 + zs.total_out;
	deflateEnd(&zs);
	md_put_le32(out + n, (uint32_t)crc32(crc32(0, Z_NULL, 0), in, (uInt)len));
	md_put_le32(out + n + 4, (uint32_t)len);
	return n + 8;
}

/* Fed in pieces with the size unknown, as the kernel's stream does. */
static size_t pack_zstd(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			bool checksum)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_outBuffer ob = { out, cap, 0 };
	ZSTD_inBuffer ib;
	size_t pos = 0, piece, ret;

	assert(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	while (pos < len) {
		piece = len - pos < 65536 ? len - pos : 65536;
		ib = (ZSTD_inBuffer){ in + pos, piece, 0 };
		while (ib.pos < ib.size)
			assert(!ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib,
								  ZSTD_e_continue)));
		pos += piece;
	}
	ib = (ZSTD_inBuffer){ NULL, 0, 0 };
	do {
		ret = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
		assert(!ZSTD_isError(ret));
	} while (ret);
	ZSTD_freeCCtx(c);
	return ob.pos;
}

void gen_trailer_fix_parity(uint8_t *file, size_t len)
{
	uint8_t *t = file + len - MD_TRAILER_SIZE;
	uint8_t x[4] = { 0, 0, 0, 0 };
	size_t i;

	memset(t + 508, 0, 4);
	for (i = 0; i < MD_TRAILER_SIZE; i++)
		x[i % 4] ^= t[i];
	memcpy(t + 508, x, 4);
}

static void trailer(uint8_t *t, enum md_format fmt, uint64_t dumplength,
		    uint64_t dumpextent)
{
	memset(t, 0, MD_TRAILER_SIZE);
	memcpy(t, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC));
	memcpy(t + 20, "amd64", 5);
	md_put_be32(t + 32, KERNELDUMPVERSION);
	md_put_be32(t + 36, KERNELDUMP_AMD64_VERSION);
	md_put_be64(t + 40, dumplength);
	md_put_be64(t + 48, 1700000000);
	md_put_be32(t + 60, KERNELDUMP_BLOCKSIZE);
	strcpy((char *)t + 64, "mdtest-host");
	strcpy((char *)t + 128, "Linux version 6.1.0-mdtest (gen@mdtest) #1 SMP PREEMPT_DYNAMIC\n");
	t[495] = (uint8_t)fmt;
	md_put_be64(t + 496, dumpextent);
}

void gen_retrailer(uint8_t **file, size_t c, enum md_format fmt,
		   uint64_t dumplength, uint64_t dumpextent, size_t *outlen)
{
	size_t n = (c + MD_PAGE_SIZE - 1) & ~(size_t)(MD_PAGE_SIZE - 1);
	uint8_t *f = realloc(*file, n + MD_TRAILER_SIZE);

	assert(f);
	memset(f + c, 0, n - c);
	trailer(f + n, fmt, dumplength, dumpextent);
	gen_trailer_fix_parity(f, n + MD_TRAILER_SIZE);
	*file = f;
	*outlen = n + MD_TRAILER_SIZE;
}

void gen_pack(const uint8_t *body, size_t len, enum md_format fmt, bool with_trailer,
	      uint8_t **out, size_t *outlen)
{
	gen_pack_frames(body, len, fmt, with_trailer, len, 0, out, outlen, NULL);
}

void gen_pack_frames(const uint8_t *body, size_t len, enum md_format fmt,
		     bool with_trailer, size_t chunk, size_t nocheck,
		     uint8_t **out, size_t *outlen, struct gen_frames *fr)
{
	size_t nf = chunk ? (len + chunk - 1) / chunk : 1, pos = 0, k, c = 0, n;
	size_t cap = len + len / 8 + nf * 1024 + 65536 + 2 * MD_PAGE_SIZE;
	uint8_t *f = calloc(1, cap);

	assert(f && (chunk || !len));
	if (fr) {
		fr->n = 0;
		fr->off = calloc(nf + 1, sizeof(*fr->off));
		assert(fr->off);
	}
	if (fmt == MD_FMT_RAW)
		memcpy(f, body, (c = len));
	for (k = 1; fmt != MD_FMT_RAW && (pos < len || k == 1); k++) {
		n = len - pos < chunk ? len - pos : chunk;
		if (fr)
			fr->off[fr->n++] = c;
		c += fmt == MD_FMT_GZIP ? pack_gzip(body + pos, n, f + c, cap - c) :
		     pack_zstd(body + pos, n, f + c, cap - c, k != nocheck);
		pos += n;
	}
	if (fr)
		fr->off[fr->n] = c;
	n = c;
	if (with_trailer) {
		n = (c + MD_PAGE_SIZE - 1) & ~(size_t)(MD_PAGE_SIZE - 1);
		trailer(f + n, fmt, c, len);
		n += MD_TRAILER_SIZE;
		gen_trailer_fix_parity(f, n);
	}
	*out = f;
	*outlen = n;
}
