// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: corrupted dumps. Each case breaks exactly one rule of SPEC §7
 * (in the model, the body or the packed file) and expects `minidump check`
 * to exit 1 naming that rule; a case that passes or fails otherwise fails.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdtest.h"

#define TR(f, len) ((f) + (len) - MD_TRAILER_SIZE)

/* ---- file mutations (after packing) ---- */
static void tr_parity(uint8_t **f, size_t *n, size_t bl)
{
	(void)bl;
	TR(*f, *n)[70] ^= 1;
}

#define TR_EDIT(name, stmt)						\
static void name(uint8_t **f, size_t *n, size_t bl)			\
{									\
	uint8_t *t = TR(*f, *n);					\
	(void)bl;							\
	stmt;								\
	gen_trailer_fix_parity(*f, *n);					\
}
TR_EDIT(tr_magic, t[0] = 'X')
TR_EDIT(tr_version, md_put_be32(t + 32, 5))
TR_EDIT(tr_arch, memcpy(t + 20, "i386\0", 6))
TR_EDIT(tr_archver, md_put_be32(t + 36, 1))
TR_EDIT(tr_blocksize, md_put_be32(t + 60, 512))
TR_EDIT(tr_keysize, md_put_be32(t + 56, 16))
TR_EDIT(tr_comp3, t[495] = 3)
TR_EDIT(tr_comp_zstd, t[495] = 2)
TR_EDIT(tr_len_plus, md_put_be64(t + 40, md_be64(t + 40) + 4096))
TR_EDIT(tr_len_minus1, md_put_be64(t + 40, md_be64(t + 40) - 1))
TR_EDIT(tr_ext_minus, md_put_be64(t + 496, md_be64(t + 496) - 4096))
TR_EDIT(tr_ext_plus, md_put_be64(t + 496, md_be64(t + 496) + 4096))

#define FILE_EDIT(name, stmt)						\
static void name(uint8_t **f, size_t *n, size_t bl)			\
{									\
	(void)f;							\
	(void)n;							\
	(void)bl;							\
	stmt;								\
}
FILE_EDIT(cut100, *n -= 100)
FILE_EDIT(cut_page, *n -= MD_PAGE_SIZE)
FILE_EDIT(cut50, *n -= 50)
FILE_EDIT(gz_crc, (*f)[*n - 8] ^= 1)
FILE_EDIT(gz_isize, (*f)[*n - 4] ^= 1)
FILE_EDIT(gz_os, (*f)[9] = 0)
FILE_EDIT(zs_checksum, (*f)[*n - 1] ^= 1)
FILE_EDIT(zs_noflag, (*f)[4] &= (uint8_t)~4)

static void zs_trunc_trailer(uint8_t **f, size_t *n, size_t bl)
{
	uint64_t c = md_be64(TR(*f, *n) + 40) - 50;

	gen_retrailer(f, c, MD_FMT_ZSTD, c, bl, n);
}

static void pad_nonzero(uint8_t **f, size_t *n, size_t bl)
{
	uint64_t c = md_be64(TR(*f, *n) + 40);

	(void)bl;
	assert(c % MD_PAGE_SIZE);
	(*f)[c] = 0x55;
}

static void pad_extra(uint8_t **f, size_t *n, size_t bl)
{
	uint8_t *g = realloc(*f, *n + MD_PAGE_SIZE);

	(void)bl;
	assert(g);
	memmove(g + *n - MD_TRAILER_SIZE + MD_PAGE_SIZE, g + *n - MD_TRAILER_SIZE,
		MD_TRAILER_SIZE);
	memset(g + *n - MD_TRAILER_SIZE, 0, MD_PAGE_SIZE);
	*f = g;
	*n += MD_PAGE_SIZE;
}

static void append(uint8_t **f, size_t *n, size_t len, int byte)
{
	uint8_t *g = realloc(*f, *n + len);

	assert(g);
	memset(g + *n, byte, len);
	*f = g;
	*n += len;
}

FILE_EDIT(append_page, append(f, n, MD_PAGE_SIZE, 0))
FILE_EDIT(append_junk, append(f, n, 100, 0x11))

/* ---- body mutations (before packing) ---- */
#define BODY_EDIT(name, stmt)						\
static void name(uint8_t *b, const struct gen_layout *l, const struct gen *g) \
{									\
	(void)l;							\
	(void)g;							\
	stmt;								\
}
BODY_EDIT(b_magic, b[0] = 'X')
BODY_EDIT(b_version, md_put_le32(b + 24, 2))
BODY_EDIT(b_bitmapsize, md_put_le32(b + 32, (uint32_t)(l->pmap - l->bitmap) + MD_PAGE_SIZE))
BODY_EDIT(b_pmapsize0, md_put_le32(b + 36, 0))
BODY_EDIT(b_pmapsize3, md_put_le32(b + 36, 3 * MD_PAGE_SIZE))
BODY_EDIT(b_availsize0, md_put_le32(b + 64, 0))
BODY_EDIT(b_availsize2, md_put_le32(b + 64, 2 * MD_PAGE_SIZE))
BODY_EDIT(b_kernbase, md_put_le64(b + 40, 0xffffffff00000000ull))
BODY_EDIT(b_dmapend, md_put_le64(b + 56, g->dmapend + MD_GIB))
BODY_EDIT(b_garbage, b[0x90] = 1)
BODY_EDIT(b_ext_magic, b[0x100] = 'X')
BODY_EDIT(b_ext_version, md_put_le32(b + 0x110, 2))
BODY_EDIT(b_ext_flags, b[0x114] |= 2)
BODY_EDIT(b_ext_root, md_put_le64(b + 0x118, 0x9d000))
BODY_EDIT(b_ext_root_align, md_put_le64(b + 0x118, g->root + 8))
BODY_EDIT(b_ext_pob, md_put_le64(b + 0x120, g->dmapbase + MD_GIB))
BODY_EDIT(b_ext_vmci, md_put_le64(b + 0x140, 0xa0000))
BODY_EDIT(b_ext_reserved, b[0x150] = 1)
BODY_EDIT(b_msg_nul, b[l->msgbuf + 100] = 0)
BODY_EDIT(b_msg_pad, b[l->msgbuf + g->msglen + 1] = 'x')
BODY_EDIT(b_avail_swap, { uint8_t tmp[16]; memcpy(tmp, b + l->avail, 16);
	  memcpy(b + l->avail, b + l->avail + 16, 16); memcpy(b + l->avail + 16, tmp, 16); })
BODY_EDIT(b_avail_overlap, md_put_le64(b + l->avail + 16, 0x9e000))
BODY_EDIT(b_avail_unaligned, md_put_le64(b + l->avail + 8, 0x9f800))
BODY_EDIT(b_avail_touch, md_put_le64(b + l->avail + 8, 0x100000))
BODY_EDIT(b_avail_junk, b[l->avail + 4000] = 1)
BODY_EDIT(b_bit_beyond, b[l->pmap - 1] |= 0x80)
BODY_EDIT(b_bit_extra, b[l->bitmap + 156 / 8] |= 1u << (156 % 8))
BODY_EDIT(b_leaf_noram, md_put_le64(b + l->pmap + 8 * 8, 0x7fc0000000ull | 0x83))
BODY_EDIT(b_leaf_rsvd, md_put_le64(b + l->pmap + 8 * 8, md_le64(b + l->pmap + 8 * 8) | 0x4000))
BODY_EDIT(b_pt_noram, md_put_le64(b + l->pmap + 8 * 5, 0xa0000 | 0x3))

static void m_drop_pt(struct gen *g)
{
	gen_drop_page(g, g->a.k4k_pt);
}

struct ccase {
	const char *rule;
	const char *name;
	enum md_format fmt;
	bool trailer;
	bool pipe;
	void (*model)(struct gen *g);
	void (*body)(uint8_t *b, const struct gen_layout *l, const struct gen *g);
	void (*file)(uint8_t **f, size_t *n, size_t bl);
};

#define R MD_FMT_RAW
#define GZ MD_FMT_GZIP
#define ZS MD_FMT_ZSTD
static const struct ccase cases[] = {
	{ "trailer-parity", "parity word wrong", R, 1, 0, NULL, NULL, tr_parity },
	{ "trailer-parity", "parity word wrong (zstd, stdin)", ZS, 1, 1, NULL, NULL, tr_parity },
	{ "trailer-magic", "trailer magic", R, 1, 0, NULL, NULL, tr_magic },
	{ "trailer-magic", "trailer magic (zstd)", ZS, 1, 0, NULL, NULL, tr_magic },
	{ "trailer-version", "trailer version 5", R, 1, 0, NULL, NULL, tr_version },
	{ "trailer-architecture", "architecture i386", R, 1, 0, NULL, NULL, tr_arch },
	{ "trailer-architectureversion", "architectureversion 1", R, 1, 0, NULL, NULL, tr_archver },
	{ "trailer-blocksize", "blocksize 512", R, 1, 0, NULL, NULL, tr_blocksize },
	{ "trailer-dumpkeysize", "dumpkeysize 16", R, 1, 0, NULL, NULL, tr_keysize },
	{ "trailer-compression", "compression code 3", R, 1, 0, NULL, NULL, tr_comp3 },
	{ "trailer-compression", "gzip file says zstd", GZ, 1, 0, NULL, NULL, tr_comp_zstd },
	{ "trailer-dumplength", "raw dumplength + 4096", R, 1, 0, NULL, NULL, tr_len_plus },
	{ "trailer-dumplength", "gzip dumplength - 1", GZ, 1, 0, NULL, NULL, tr_len_minus1 },
	{ "trailer-dumplength", "zstd dumplength + 4096", ZS, 1, 0, NULL, NULL, tr_len_plus },
	{ "trailer-dumpextent", "raw dumpextent - 4096", R, 1, 0, NULL, NULL, tr_ext_minus },
	{ "trailer-dumpextent", "zstd dumpextent + 4096", ZS, 1, 0, NULL, NULL, tr_ext_plus },
	{ "truncated", "raw file cut by 100 bytes", R, 1, 0, NULL, NULL, cut100 },
	{ "popcount", "raw file without trailer cut by a page", R, 0, 0, NULL, NULL, cut_page },
	{ "popcount", "raw file with a page appended", R, 0, 0, NULL, NULL, append_page },
	{ "truncated", "gzip stream cut by 50 bytes", GZ, 0, 0, NULL, NULL, cut50 },
	{ "truncated", "zstd frame cut by 50 bytes", ZS, 0, 0, NULL, NULL, cut50 },
	{ "truncated", "zstd frame cut by 50 bytes (stdin)", ZS, 0, 1, NULL, NULL, cut50 },
	{ "truncated", "zstd frame cut, then padding and trailer", ZS, 1, 0, NULL, NULL, zs_trunc_trailer },
	{ "gzip-crc", "gzip CRC-32 corrupt", GZ, 0, 0, NULL, NULL, gz_crc },
	{ "gzip-crc", "gzip CRC-32 corrupt (stdin)", GZ, 0, 1, NULL, NULL, gz_crc },
	{ "gzip-isize", "gzip ISIZE corrupt", GZ, 0, 0, NULL, NULL, gz_isize },
	{ "gzip-header", "gzip OS byte not 3", GZ, 1, 0, NULL, NULL, gz_os },
	{ "zstd-checksum", "zstd checksum corrupt", ZS, 0, 0, NULL, NULL, zs_checksum },
	{ "zstd-checksum", "zstd frame without checksum flag", ZS, 0, 0, NULL, NULL, zs_noflag },
	{ "padding", "gzip non-zero padding", GZ, 1, 0, NULL, NULL, pad_nonzero },
	{ "padding", "zstd non-zero padding (stdin)", ZS, 1, 1, NULL, NULL, pad_nonzero },
	{ "padding", "gzip trailer a page too late", GZ, 1, 0, NULL, NULL, pad_extra },
	{ "padding", "zstd junk after the frame", ZS, 0, 0, NULL, NULL, append_junk },
	{ "magic", "body magic", R, 1, 0, NULL, b_magic, NULL },
	{ "version", "minidump version 2", R, 1, 0, NULL, b_version, NULL },
	{ "version", "minidump version 2 (gzip, stdin)", GZ, 1, 1, NULL, b_version, NULL },
	{ "bitmapsize", "bitmapsize one page too big", R, 1, 0, NULL, b_bitmapsize, NULL },
	{ "pmapsize", "pmapsize 0", R, 1, 0, NULL, b_pmapsize0, NULL },
	{ "pmapsize", "pmapsize 3 pages (past 2^64)", R, 1, 0, NULL, b_pmapsize3, NULL },
	{ "dumpavailsize", "dumpavailsize 0", R, 1, 0, NULL, b_availsize0, NULL },
	{ "dumpavailsize", "dumpavailsize 2 pages for 3 ranges", R, 1, 0, NULL, b_availsize2, NULL },
	{ "kernbase", "kernbase not __START_KERNEL_map", R, 1, 0, NULL, b_kernbase, NULL },
	{ "dmap", "dmapend a GiB too far", R, 1, 0, NULL, b_dmapend, NULL },
	{ "header", "garbage in the header page", R, 1, 0, NULL, b_garbage, NULL },
	{ "ext-magic", "extension magic", R, 1, 0, NULL, b_ext_magic, NULL },
	{ "ext-version", "extension version 2", R, 1, 0, NULL, b_ext_version, NULL },
	{ "ext-flags", "unknown extension flag", R, 1, 0, NULL, b_ext_flags, NULL },
	{ "ext-pgtable_root", "pgtable_root not dumped", R, 1, 0, NULL, b_ext_root, NULL },
	{ "ext-pgtable_root", "pgtable_root not page-aligned", R, 1, 0, NULL, b_ext_root_align, NULL },
	{ "ext-page_offset_base", "page_offset_base != dmapbase", R, 1, 0, NULL, b_ext_pob, NULL },
	{ "ext-vmcoreinfo", "vmcoreinfo outside RAM", R, 1, 0, NULL, b_ext_vmci, NULL },
	{ "ext-reserved", "extension reserved word set", R, 1, 0, NULL, b_ext_reserved, NULL },
	{ "msgbuf", "NUL byte in the log", R, 1, 0, NULL, b_msg_nul, NULL },
	{ "msgbuf", "non-zero msgbuf padding", R, 1, 0, NULL, b_msg_pad, NULL },
	{ "dump_avail", "dump_avail unsorted", R, 1, 0, NULL, b_avail_swap, NULL },
	{ "dump_avail", "dump_avail overlapping", R, 1, 0, NULL, b_avail_overlap, NULL },
	{ "dump_avail", "dump_avail not page-aligned", R, 1, 0, NULL, b_avail_unaligned, NULL },
	{ "dump_avail", "dump_avail touching ranges", R, 1, 0, NULL, b_avail_touch, NULL },
	{ "dump_avail", "dump_avail junk after 0,0", R, 1, 0, NULL, b_avail_junk, NULL },
	{ "bitmap", "bit set beyond the range total", R, 1, 0, NULL, b_bit_beyond, NULL },
	{ "popcount", "extra bitmap bit, no page", R, 1, 0, NULL, b_bit_extra, NULL },
	{ "popcount", "extra bitmap bit, no page (zstd, stdin)", ZS, 1, 1, NULL, b_bit_extra, NULL },
	{ "pmap-pt-page", "PT page missing from the bitmap", R, 1, 0, m_drop_pt, NULL, NULL },
	{ "pmap-pt-page", "PT page missing (zstd, stdin)", ZS, 0, 1, m_drop_pt, NULL, NULL },
	{ "pmap-pt-page", "PDE points to a PT page outside RAM", R, 1, 0, NULL, b_pt_noram, NULL },
	{ "pmap-leaf", "2 MiB leaf maps no RAM", R, 1, 0, NULL, b_leaf_noram, NULL },
	{ "pmap-leaf", "2 MiB leaf with reserved bits", GZ, 0, 0, NULL, b_leaf_rsvd, NULL },
};

static void run_case(struct mdt *t, const struct ccase *c)
{
	const char *args[] = { "check", NULL, NULL };
	struct gen_layout lay;
	struct mdt_result r;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl;

	gen_init(&g, false, 0);
	if (c->model)
		c->model(&g);
	gen_body(&g, &b, &bl, &lay);
	if (c->body)
		c->body(b, &lay, &g);
	gen_pack(b, bl, c->fmt, c->trailer, &f, &fl);
	if (c->file)
		c->file(&f, &fl, bl);
	args[1] = c->pipe ? "-" : mdt_file(t, "c.dump", f, fl);
	mdt_run(t, args, c->pipe ? f : NULL, fl, &r);
	if (getenv("MDTEST_VERBOSE"))
		mdt_diag("%s", r.err);
	mdt_ok(t, mdt_rule(&r, "check", c->rule), "corrupt: %s -> %s", c->name, c->rule);
	mdt_free(&r);
	if (!strcmp(c->rule, "magic")) {
		args[0] = "info";
		mdt_run(t, args, NULL, 0, &r);
		mdt_ok(t, mdt_rule(&r, "info", c->rule), "corrupt: info refuses %s", c->name);
		mdt_free(&r);
	}
	free(f);
	free(b);
	gen_free(&g);
}

void mdt_corrupt_tests(struct mdt *t)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(t, &cases[i]);
}
