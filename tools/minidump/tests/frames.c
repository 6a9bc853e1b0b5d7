// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: dumps compressed on several CPUs, whose body is several gzip
 * members or zstd frames back to back (one per chunk). Each such packing
 * must pass `check`, report its count, and read, log, convert and describe
 * exactly as the one-frame packing of the same body; a bad frame or member
 * in the middle is refused, naming it and its compressed offset.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdtest.h"

#define BIG_PA		0x20000000ull	/* random pages: body > 4 MiB */
#define BIG_PAGES	1100u
#define CHUNK_2M	(2u << 20)
#define CHUNK_ODD	4097u
#define SMALL_CHUNK	80000u		/* the small body in 3 frames */

static const enum md_format cfmts[] = { MD_FMT_GZIP, MD_FMT_ZSTD };

static const char *unit(enum md_format fmt)
{
	return fmt == MD_FMT_GZIP ? "member" : "frame";
}

/* Incompressible pages: zstd and deflate store them as raw blocks. */
static void add_random_pages(struct gen *g)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t *p;
	size_t i, j;

	for (i = 0; i < BIG_PAGES; i++) {
		p = gen_page(g, BIG_PA + i * MD_PAGE_SIZE);
		for (j = 0; j < MD_PAGE_SIZE; j += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			md_put_le64(p + j, x);
		}
	}
}

static void run1(struct mdt *t, const char *cmd, const char *path,
		 const uint8_t *f, size_t fl, struct mdt_result *r)
{
	const char *args[] = { cmd, path, NULL };

	mdt_run(t, args, strcmp(path, "-") ? NULL : f, fl, r);
}

/* info without the lines that depend on the packing. */
static char *info_core(const char *out)
{
	static const char *const skip[] = {
		"file.size:", "compressed.size:", "gzip.members:",
		"zstd.frames:", "kdh.dumplength:", "kdh.parity:",
	};
	char *s = calloc(1, strlen(out) + 1), *d = s;
	const char *line = out, *nl;
	size_t i, n;

	assert(s);
	for (; *line; line += n) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			if (!strncmp(line, skip[i], strlen(skip[i])))
				break;
		if (i == sizeof(skip) / sizeof(skip[0])) {
			memcpy(d, line, n);
			d += n;
		}
	}
	return s;
}

struct packing {
	const char *path;	/* a file, or "-" */
	const uint8_t *f;
	size_t fl;
};

/* cmd on the packing and on the reference: the same exit and output. */
static bool same_as_ref(struct mdt *t, const char *cmd, const struct packing *p,
			const struct packing *ref)
{
	struct mdt_result a, b;
	char *x, *y;
	bool ok;

	run1(t, cmd, p->path, p->f, p->fl, &a);
	run1(t, cmd, ref->path, ref->f, ref->fl, &b);
	x = strcmp(cmd, "info") ? strdup(a.out) : info_core(a.out);
	y = strcmp(cmd, "info") ? strdup(b.out) : info_core(b.out);
	ok = a.status == 0 && b.status == 0 && a.outlen &&
	     (strcmp(cmd, "info") ? a.outlen == b.outlen &&
	      !memcmp(a.out, b.out, a.outlen) : !strcmp(x, y));
	if (!ok)
		mdt_diag("%s: exit %d and %d, %zu and %zu bytes out; stderr: %s",
			 cmd, a.status, b.status, a.outlen, b.outlen, a.err);
	free(x);
	free(y);
	mdt_free(&a);
	mdt_free(&b);
	return ok;
}

static bool counted(struct mdt *t, const struct packing *p, enum md_format fmt,
		    size_t n)
{
	char in_check[64], in_info[64];
	struct mdt_result c, i;
	bool ok;

	snprintf(in_check, sizeof(in_check), " bytes in %zu %s%s, ", n,
		 unit(fmt), n == 1 ? "" : "s");
	snprintf(in_info, sizeof(in_info), "\n%s.%ss: %zu\n", md_format_name(fmt),
		 unit(fmt), n);
	run1(t, "check", p->path, p->f, p->fl, &c);
	run1(t, "info", p->path, p->f, p->fl, &i);
	ok = c.status == 0 && !strncmp(c.out, "ok: ", 4) &&
	     strstr(c.out, in_check) && i.status == 0 && strstr(i.out, in_info);
	if (!ok)
		mdt_diag("check exit %d: %s%sinfo exit %d, wanted \"%s\"", c.status,
			 c.out, c.err, i.status, in_info + 1);
	mdt_free(&c);
	mdt_free(&i);
	return ok;
}

/* The random pages through the dmap, all chunk boundaries included. */
static bool read_all(struct mdt *t, const struct gen *g, const struct packing *p)
{
	char a[32], l[32];
	const char *args[] = { "read", p->path, a, l, NULL };
	struct mdt_result r;
	uint8_t *want = malloc((size_t)BIG_PAGES * MD_PAGE_SIZE);
	size_t i;
	bool ok;

	assert(want);
	for (i = 0; i < BIG_PAGES; i++)
		assert(gen_lookup(g, BIG_PA + i * MD_PAGE_SIZE, want + i * MD_PAGE_SIZE,
				  MD_PAGE_SIZE));
	snprintf(a, sizeof(a), "0x%llx", (unsigned long long)(g->dmapbase + BIG_PA));
	snprintf(l, sizeof(l), "%u", BIG_PAGES * MD_PAGE_SIZE);
	mdt_run(t, args, strcmp(p->path, "-") ? NULL : p->f, p->fl, &r);
	ok = r.status == 0 && r.outlen == (size_t)BIG_PAGES * MD_PAGE_SIZE &&
	     !memcmp(r.out, want, r.outlen);
	if (!ok)
		mdt_diag("read: exit %d, %zu bytes: %s", r.status, r.outlen, r.err);
	mdt_free(&r);
	free(want);
	return ok;
}

static uint8_t *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
			*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* `minidump elf` of the packing writes the very file the reference gives. */
static bool same_elf(struct mdt *t, const struct packing *p,
		     const struct packing *ref)
{
	char out_a[300], out_b[300];
	const char *args[] = { "elf", p->path, out_a, NULL };
	struct mdt_result r, s;
	uint8_t *x, *y;
	size_t xl, yl;
	bool ok;

	snprintf(out_a, sizeof(out_a), "%s/frames-a.elf", t->dir);
	snprintf(out_b, sizeof(out_b), "%s/frames-b.elf", t->dir);
	mdt_run(t, args, strcmp(p->path, "-") ? NULL : p->f, p->fl, &r);
	args[1] = ref->path;
	args[2] = out_b;
	mdt_run(t, args, strcmp(ref->path, "-") ? NULL : ref->f, ref->fl, &s);
	x = slurp_file(out_a, &xl);
	y = slurp_file(out_b, &yl);
	ok = r.status == 0 && s.status == 0 && x && y && xl == yl && xl &&
	     !memcmp(x, y, xl);
	if (!ok)
		mdt_diag("elf: exit %d and %d, %zu and %zu bytes: %s", r.status,
			 s.status, xl, yl, r.err);
	free(x);
	free(y);
	remove(out_a);
	remove(out_b);
	mdt_free(&r);
	mdt_free(&s);
	return ok;
}

struct shape {
	size_t chunk;		/* 0: the whole body in one */
	bool trailer;
	bool pipe;
};

static void valid_shape(struct mdt *t, const struct gen *g, const uint8_t *b,
			size_t bl, enum md_format fmt, const struct shape *sh,
			const struct packing *refs)
{
	const struct packing *ref = &refs[sh->trailer];
	static const char *const cmds[] = { "info", "log", "vmcoreinfo" };
	struct gen_frames fr;
	struct packing p;
	uint8_t *f;
	char name[96], path[300];
	size_t fl, want, i;

	gen_pack_frames(b, bl, fmt, sh->trailer, sh->chunk ? sh->chunk : bl, 0,
			&f, &fl, &fr);
	want = sh->chunk ? (bl + sh->chunk - 1) / sh->chunk : 1;
	snprintf(name, sizeof(name), "%s, %zu %s%s of %zu bytes, %s, via %s",
		 md_format_name(fmt), fr.n, unit(fmt), fr.n == 1 ? "" : "s",
		 sh->chunk ? sh->chunk : bl, sh->trailer ? "trailer" : "no trailer",
		 sh->pipe ? "stdin" : "file");
	snprintf(path, sizeof(path), "%s", sh->pipe ? "-" : mdt_file(t, "fr.dump", f, fl));
	p = (struct packing){ path, f, fl };
	mdt_ok(t, fr.n == want && counted(t, &p, fmt, want),
	       "frames: check passes and check/info count them: %s", name);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		mdt_ok(t, same_as_ref(t, cmds[i], &p, ref),
		       "frames: %s as with one frame: %s", cmds[i], name);
	mdt_ok(t, read_all(t, g, &p), "frames: read of %u pages across every boundary: %s",
	       BIG_PAGES, name);
	mdt_ok(t, same_elf(t, &p, ref), "frames: elf writes the same vmcore: %s", name);
	free(fr.off);
	free(f);
}

static void valid_tests(struct mdt *t)
{
	static const struct shape shapes[] = {
		{ 0, true, false },
		{ CHUNK_2M, true, false },
		{ CHUNK_2M, false, true },
		{ CHUNK_ODD, true, true },
		{ CHUNK_ODD, false, false },
	};
	struct gen_layout lay;
	struct packing ref[2];
	struct gen g;
	uint8_t *b, *rf[2];
	char path[2][300], name[16];
	size_t bl, rl[2], i, k, tr;

	gen_init(&g, false, 0);
	add_random_pages(&g);
	gen_body(&g, &b, &bl, &lay);
	assert(bl > 2 * CHUNK_2M);
	for (i = 0; i < sizeof(cfmts) / sizeof(cfmts[0]); i++) {
		for (tr = 0; tr < 2; tr++) {
			gen_pack(b, bl, cfmts[i], tr, &rf[tr], &rl[tr]);
			snprintf(name, sizeof(name), "ref%zu.dump", tr);
			snprintf(path[tr], sizeof(path[tr]), "%s",
				 mdt_file(t, name, rf[tr], rl[tr]));
			ref[tr] = (struct packing){ path[tr], rf[tr], rl[tr] };
		}
		for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
			valid_shape(t, &g, b, bl, cfmts[i], &shapes[k], ref);
		free(rf[0]);
		free(rf[1]);
	}
	free(b);
	gen_free(&g);
}

/* ---- corruptions of a dump in several frames ---- */
static void insert(uint8_t **f, size_t *n, size_t at, const uint8_t *bytes,
		   size_t len)
{
	uint8_t *g = realloc(*f, *n + len);

	assert(g);
	memmove(g + at + len, g + at, *n - at);
	memcpy(g + at, bytes, len);
	*f = g;
	*n += len;
}

static enum md_format fmt_of(const uint8_t *f)
{
	return f[0] == 0x1f ? MD_FMT_GZIP : MD_FMT_ZSTD;
}

/* After an insertion into the stream: padding and trailer made again. */
static void retrailer(uint8_t **f, size_t *n, const struct gen_frames *fr,
		      size_t grown, size_t bl)
{
	size_t c = fr->off[fr->n] + grown;

	gen_retrailer(f, c, fmt_of(*f), c, bl, n);
}

#define FR_EDIT(name, stmt)						\
static void name(uint8_t **f, size_t *n, const struct gen_frames *fr,	\
		 size_t bl, bool trailer)				\
{									\
	(void)f;							\
	(void)n;							\
	(void)bl;							\
	(void)trailer;							\
	stmt;								\
}
/* The stored checksum, CRC-32 or ISIZE at the end of frame 2. */
FR_EDIT(flip_last2, (*f)[fr->off[2] - 1] ^= 1)
FR_EDIT(flip_crc2, (*f)[fr->off[2] - 8] ^= 1)
FR_EDIT(flip_isize2, (*f)[fr->off[2] - 4] ^= 1)
/*
 * A data byte of frame 2, of random pages: inside the payload of a raw
 * zstd block (128 KiB) or stored deflate block (64 KiB), off their
 * headers, where only the checksum or CRC-32 can see it.
 */
FR_EDIT(flip_data2, (*f)[fr->off[1] + 100000] ^= 0x40)
FR_EDIT(cut_mid2, *n = (fr->off[1] + fr->off[2]) / 2)
FR_EDIT(cut_mid2_trailer, {
	size_t c = (fr->off[1] + fr->off[2]) / 2;

	gen_retrailer(f, c, fmt_of(*f), c, bl, n);
})
FR_EDIT(claim_end2, {
	md_put_be64(*f + *n - MD_TRAILER_SIZE + 40, fr->off[2]);
	gen_trailer_fix_parity(*f, *n);
})

static void garbage12(uint8_t **f, size_t *n, const struct gen_frames *fr,
		      size_t bl, bool trailer)
{
	static const uint8_t junk[16] = {
		0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
		0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
	};

	insert(f, n, fr->off[1], junk, sizeof(junk));
	if (trailer)
		retrailer(f, n, fr, sizeof(junk), bl);
}

/* The first byte of the magic, then no magic. */
static void fake_magic12(uint8_t **f, size_t *n, const struct gen_frames *fr,
			 size_t bl, bool trailer)
{
	uint8_t junk[12] = { (*f)[0], 0x00, 0x11, 0x22 };

	insert(f, n, fr->off[1], junk, sizeof(junk));
	if (trailer)
		retrailer(f, n, fr, sizeof(junk), bl);
}

struct fcase {
	const char *name;
	enum md_format fmt;
	bool big;		/* the 2 MiB chunks of the big body, else 3 small */
	bool trailer;
	bool pipe;
	size_t nocheck;		/* zstd frame packed without checksum */
	void (*edit)(uint8_t **f, size_t *n, const struct gen_frames *fr,
		     size_t bl, bool trailer);
	const char *rule;
	const char *detail;	/* printf format of one size_t: off[1] */
};

#define GZ MD_FMT_GZIP
#define ZS MD_FMT_ZSTD
static const struct fcase fcases[] = {
	{ "frame 2's data byte flipped", ZS, 1, 1, 0, 0, flip_data2, "zstd-checksum",
	  "frame 2 at compressed offset %zu: content checksum" },
	{ "member 2's data byte flipped", GZ, 1, 1, 0, 0, flip_data2, "gzip-crc",
	  "member 2 at compressed offset %zu: trailer CRC-32" },
	{ "frame 2's checksum flipped (stdin)", ZS, 0, 0, 1, 0, flip_last2, "zstd-checksum",
	  "frame 2 at compressed offset %zu: content checksum" },
	{ "member 2's CRC-32 flipped", GZ, 0, 1, 0, 0, flip_crc2, "gzip-crc",
	  "member 2 at compressed offset %zu: trailer CRC-32" },
	{ "member 2's ISIZE wrong", GZ, 0, 1, 0, 0, flip_isize2, "gzip-isize",
	  "member 2 at compressed offset %zu: trailer ISIZE" },
	{ "member 2's ISIZE wrong (stdin)", GZ, 0, 0, 1, 0, flip_isize2, "gzip-isize",
	  "member 2 at compressed offset %zu: trailer ISIZE" },
	{ "frame 2 without the checksum flag", ZS, 0, 1, 0, 2, NULL, "zstd-checksum",
	  "frame 2 at compressed offset %zu has no content checksum" },
	{ "frame 2 without the checksum flag (stdin)", ZS, 0, 0, 1, 2, NULL, "zstd-checksum",
	  "frame 2 at compressed offset %zu has no content checksum" },
	{ "zstd cut inside frame 2 of 3", ZS, 0, 0, 0, 0, cut_mid2, "truncated", NULL },
	{ "gzip cut inside member 2 of 3 (stdin)", GZ, 0, 0, 1, 0, cut_mid2, "truncated", NULL },
	{ "zstd cut inside frame 2 of 3, then padding and trailer", ZS, 0, 1, 0, 0,
	  cut_mid2_trailer, "truncated", NULL },
	{ "gzip cut inside member 2 of 3, then padding and trailer", GZ, 0, 1, 0, 0,
	  cut_mid2_trailer, "truncated", NULL },
	{ "zstd garbage between frames 1 and 2", ZS, 0, 0, 0, 0, garbage12, "padding",
	  "byte 0x55 at offset %zu, after frame 1 of the zstd stream" },
	{ "gzip garbage between members 1 and 2, trailer", GZ, 0, 1, 0, 0, garbage12, "padding",
	  "byte 0x55 at offset %zu, after member 1 of the gzip stream" },
	{ "zstd garbage between frames 1 and 2, trailer (stdin)", ZS, 0, 1, 1, 0, garbage12,
	  "padding", "byte 0x55 at offset %zu, after frame 1 of the zstd stream" },
	{ "0x28 then no zstd magic between frames 1 and 2", ZS, 0, 1, 0, 0, fake_magic12,
	  "zstd-data", "frame 2 at compressed offset %zu does not start with the zstd magic" },
	{ "0x1f then no gzip header between members 1 and 2", GZ, 0, 0, 0, 0, fake_magic12,
	  "gzip-header", "member 2 at compressed offset %zu: expected 1f 8b" },
	{ "zstd dumplength at the end of frame 2 of 3", ZS, 0, 1, 0, 0, claim_end2,
	  "trailer-dumplength", NULL },
	{ "gzip dumplength at the end of member 2 of 3", GZ, 0, 1, 0, 0, claim_end2,
	  "trailer-dumplength", NULL },
};

static void run_fcase(struct mdt *t, const struct fcase *c, const uint8_t *b,
		      size_t bl)
{
	const char *args[] = { "check", NULL, NULL };
	struct gen_frames fr;
	struct mdt_result r;
	char detail[160];
	uint8_t *f;
	size_t fl;
	bool ok;

	gen_pack_frames(b, bl, c->fmt, c->trailer, c->big ? CHUNK_2M : SMALL_CHUNK,
			c->nocheck, &f, &fl, &fr);
	assert(fr.n == 3);
	if (c->edit)
		c->edit(&f, &fl, &fr, bl, c->trailer);
	args[1] = c->pipe ? "-" : mdt_file(t, "fc.dump", f, fl);
	mdt_run(t, args, c->pipe ? f : NULL, fl, &r);
	if (getenv("MDTEST_VERBOSE"))
		mdt_diag("%s", r.err);
	ok = mdt_rule(&r, "check", c->rule);
	if (ok && c->detail) {
		snprintf(detail, sizeof(detail), c->detail, fr.off[1]);
		ok = strstr(r.err, detail);
		if (!ok)
			mdt_diag("expected \"%s\" in: %s", detail, r.err);
	}
	mdt_ok(t, ok, "frames corrupt: %s -> %s", c->name, c->rule);
	mdt_free(&r);
	free(fr.off);
	free(f);
}

static void corrupt_tests(struct mdt *t)
{
	struct gen_layout lay;
	struct gen small, big;
	uint8_t *sb, *bb;
	size_t sl, bl, i;

	gen_init(&small, false, 0);
	gen_body(&small, &sb, &sl, &lay);
	gen_init(&big, false, 0);
	add_random_pages(&big);
	gen_body(&big, &bb, &bl, &lay);
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++)
		run_fcase(t, &fcases[i], fcases[i].big ? bb : sb,
			  fcases[i].big ? bl : sl);
	free(sb);
	free(bb);
	gen_free(&small);
	gen_free(&big);
}

void mdt_frames_tests(struct mdt *t)
{
	valid_tests(t);
	corrupt_tests(t);
}
