// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: `minidump elf` and `minidump vmcoreinfo` on synthetic dumps.
 * The ELF files are read back by tools that are not ours: elfcheck.py
 * (python3's struct, see its head) and binutils' readelf. The expected
 * program headers are derived here from the generator's page list: one
 * PT_LOAD per run of contiguous dumped pages at dmapbase + pa, and the
 * kernel image loads (the generator's kernel image PDEs, see KIMG_*).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mdtest.h"

#define PY		"/usr/bin/python3"
#define READELF		"/usr/bin/readelf"
#define ELFCHECK	MDT_TESTDIR "/elfcheck.py"
/*
 * The present PDEs of kernbase's first GiB in gen.c's init_maps: PDE 1
 * (k4k, a PT page) and PDE 8 (k2m, the 2 MiB leaf at 0x4000000, linear
 * with GEN_PHYS_BASE). Their linear physical extents are the kernel image.
 */
#define KIMG_PDE_A	1u
#define KIMG_PDE_B	8u
#define XNUM_BASE	0x8000000ull
#define XNUM_PAGES	65536u	/* single-page runs: phnum > 65535 */

static const enum md_format fmts[] = { MD_FMT_RAW, MD_FMT_GZIP, MD_FMT_ZSTD };

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_kimg(uint64_t pa)
{
	uint64_t a = KIMG_PDE_A * 0x200000ull + GEN_PHYS_BASE;
	uint64_t b = KIMG_PDE_B * 0x200000ull + GEN_PHYS_BASE;

	return (pa >= a && pa < a + 0x200000) || (pa >= b && pa < b + 0x200000);
}

/* Prints "load" lines for runs of pas (sorted) that pass keep. */
static size_t runs(FILE *f, const uint64_t *pas, size_t n, bool kimg,
		   uint64_t dmapbase)
{
	size_t i, j, count = 0;

	for (i = 0; i < n; i = j) {
		if (kimg && !in_kimg(pas[i])) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < n && pas[j] == pas[j - 1] + MD_PAGE_SIZE &&
		     (!kimg || in_kimg(pas[j])); j++)
			;
		count++;
		if (f)
			fprintf(f, "load %llx %llx %llx %llx\n",
				(unsigned long long)(kimg ? pas[i] - GEN_PHYS_BASE +
						     MD_KERNBASE : dmapbase + pas[i]),
				(unsigned long long)pas[i],
				(unsigned long long)((j - i) * MD_PAGE_SIZE),
				(unsigned long long)((j - i) * MD_PAGE_SIZE));
	}
	return count;
}

struct rd {
	uint64_t va;
	uint64_t pa;
	size_t len;
};

/* elfcheck.py's expected output for the dumped pages pas[n]. */
static char *expect(const struct gen *g, const uint64_t *pas, size_t n,
		    const struct rd *rd, size_t nrd, bool xnum_pages)
{
	size_t phnum = 1 + runs(NULL, pas, n, true, 0) +
		       runs(NULL, pas, n, false, g->dmapbase), i, k, len;
	uint8_t buf[64];
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);

	fprintf(f, "elf type=4 machine=62 phnum=%zu xnum=%d\nnote VMCOREINFO type=0 desc=",
		phnum, phnum >= 0xffff);
	for (i = 0; i < g->note_text_len; i++)
		fprintf(f, "%02x", (uint8_t)g->note_text[i]);
	fputc('\n', f);
	runs(f, pas, n, true, 0);
	runs(f, pas, n, false, g->dmapbase);
	fputs("notes-first=1\n", f);
	for (i = 0; i < nrd; i++) {
		if (!gen_lookup(g, rd[i].pa, buf, rd[i].len)) {
			/* An XNUM page, read at its start: its pa. */
			if (!xnum_pages || rd[i].pa & MD_PAGE_MASK || rd[i].len != 8)
				abort();
			md_put_le64(buf, rd[i].pa);
		}
		fprintf(f, "read %llx ", (unsigned long long)rd[i].va);
		for (k = 0; k < rd[i].len; k++)
			fprintf(f, "%02x", buf[k]);
		fputc('\n', f);
	}
	fclose(f);
	return s;
}

static uint64_t *gen_pas(const struct gen *g, size_t extra, size_t *n)
{
	uint64_t *pas = malloc((g->npages + extra) * sizeof(*pas));
	size_t i;

	for (i = 0; i < g->npages; i++)
		pas[i] = g->pages[i].pa;
	for (i = 0; i < extra; i++)
		pas[g->npages + i] = XNUM_BASE + 2 * i * MD_PAGE_SIZE;
	*n = g->npages + extra;
	qsort(pas, *n, sizeof(*pas), by_u64);
	return pas;
}

static bool leftovers(const struct mdt *t, const char *base)
{
	char pre[64];
	struct dirent *de;
	DIR *d = opendir(t->dir);
	bool found = false;

	snprintf(pre, sizeof(pre), ".%s.", base);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, pre, strlen(pre)))
			found = true;
	if (d)
		closedir(d);
	return found;
}

/* Converts f (by path or stdin) to dir/NAME; true if exit 0. */
static bool convert(struct mdt *t, const uint8_t *f, size_t fl, bool pipe,
		    const char *name, char *out, size_t outsz,
		    struct mdt_result *r)
{
	const char *args[] = { "elf", pipe ? "-" : mdt_file(t, "in.dump", f, fl),
			       out, NULL };

	snprintf(out, outsz, "%s/%s", t->dir, name);
	unlink(out);
	mdt_run(t, args, pipe ? f : NULL, fl, r);
	if (r->status)
		mdt_diag("minidump elf exit %d: %s", r->status, r->err);
	return r->status == 0;
}

/* elfcheck.py's view of out equals want. */
static bool elfcheck(struct mdt *t, const char *out, const struct rd *rd,
		     size_t nrd, const char *want)
{
	char va[8][32], len[8][16];
	const char *args[20] = { ELFCHECK, out };
	struct mdt_result r;
	size_t i, a = 2;
	bool ok;

	for (i = 0; i < nrd && i < 8; i++) {
		snprintf(va[i], sizeof(va[i]), "0x%llx", (unsigned long long)rd[i].va);
		snprintf(len[i], sizeof(len[i]), "%zu", rd[i].len);
		args[a++] = va[i];
		args[a++] = len[i];
	}
	mdt_exec(t, PY, args, &r);
	ok = r.status == 0 && !strcmp(r.out, want);
	if (!ok) {
		const char *o = r.out, *w = want;

		while (*o && *o == *w)
			o++, w++;
		mdt_diag("elfcheck exit %d: %s", r.status, r.err);
		mdt_diag("first difference at byte %zu: got \"%.120s\", want \"%.120s\"",
			 (size_t)(o - r.out), o, w);
	}
	mdt_free(&r);
	return ok;
}

static void readelf_test(struct mdt *t, const char *out, size_t phnum,
			 const char *name)
{
	const char *args[] = { "-h", "-l", "-n", "-W", out, NULL };
	struct mdt_result r;
	char want[64];
	bool ok;

	if (phnum >= 0xffff)
		snprintf(want, sizeof(want), "Number of program headers:         65535 (%zu)",
			 phnum);
	else
		snprintf(want, sizeof(want), "Number of program headers:         %zu\n",
			 phnum);
	mdt_exec(t, READELF, args, &r);
	ok = r.status == 0 && !r.err[0] && strstr(r.out, "CORE (Core file)") &&
	     strstr(r.out, "Advanced Micro Devices X86-64") &&
	     strstr(r.out, "VMCOREINFO") && strstr(r.out, want);
	if (!ok)
		mdt_diag("readelf exit %d, want \"%s\"; stderr: %s\nstdout: %.1500s",
			 r.status, want, r.err, r.out);
	mdt_ok(t, ok, "elf %s: readelf -h -l -n reads it", name);
	mdt_free(&r);
}

static void valid_one(struct mdt *t, struct gen *g, const uint8_t *f, size_t fl,
		      bool pipe, const char *name, bool with_readelf)
{
	struct rd rd[] = {
		{ g->a.k2m, 0x4000000, 26 },
		{ g->a.k2m + 0x3010, 0x4003010, 16 },
		{ g->dmapbase + 0x3000010, 0x3000010, 16 },
		{ g->dmapbase + GEN_NOTE_PA + 24, GEN_NOTE_PA + 24, 32 },
	};
	struct mdt_result r;
	char out[512], *want;
	uint64_t *pas;
	size_t n;
	bool ok;

	ok = convert(t, f, fl, pipe, "v.elf", out, sizeof(out), &r);
	mdt_free(&r);
	pas = gen_pas(g, 0, &n);
	want = expect(g, pas, n, rd, 4, false);
	ok = ok && elfcheck(t, out, rd, 4, want);
	mdt_ok(t, ok, "elf %s: python reads the note, kernel image and RAM loads, banner and dmap bytes",
	       name);
	if (with_readelf)
		readelf_test(t, out, 1 + runs(NULL, pas, n, true, 0) +
			     runs(NULL, pas, n, false, g->dmapbase), name);
	free(want);
	free(pas);
	unlink(out);
}

static void vmcoreinfo_one(struct mdt *t, const struct gen *g, const uint8_t *f,
			   size_t fl, bool pipe, const char *name)
{
	const char *args[] = { "vmcoreinfo", pipe ? "-" : mdt_file(t, "in.dump", f, fl),
			       NULL };
	struct mdt_result r;
	bool ok;

	mdt_run(t, args, pipe ? f : NULL, fl, &r);
	ok = r.status == 0 && r.outlen == g->note_text_len &&
	     !memcmp(r.out, g->note_text, r.outlen);
	if (!ok)
		mdt_diag("exit %d, stdout %zu bytes: %s", r.status, r.outlen, r.err);
	mdt_ok(t, ok, "vmcoreinfo %s prints the note's text", name);
	mdt_free(&r);
}

static void valid_tests(struct mdt *t)
{
	struct gen_layout lay;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl;
	char name[64];
	int la57, i, p;

	for (la57 = 0; la57 < 2; la57++) {
		gen_init(&g, la57, 0);
		gen_body(&g, &b, &bl, &lay);
		for (i = 0; i < 3; i++) {
			gen_pack(b, bl, fmts[i], i != 1, &f, &fl);
			for (p = 0; p < 2; p++) {
				snprintf(name, sizeof(name), "%d-level %s %s via %s",
					 la57 ? 5 : 4, md_format_name(fmts[i]),
					 i != 1 ? "trailer" : "no-trailer",
					 p ? "stdin" : "file");
				valid_one(t, &g, f, fl, p, name, !la57 && i == 2 && p);
				vmcoreinfo_one(t, &g, f, fl, p, name);
			}
			free(f);
		}
		free(b);
		gen_free(&g);
	}
}

/* Expects exit 1, rule, no OUT and no temporary file left. */
static void elf_fails(struct mdt *t, const uint8_t *f, size_t fl, bool pipe,
		      const char *rule, const char *also, const char *name)
{
	struct mdt_result r;
	struct stat st;
	char out[512];
	bool ok;

	convert(t, f, fl, pipe, "bad.elf", out, sizeof(out), &r);
	ok = mdt_rule(&r, "elf", rule) && (!also || strstr(r.err, also));
	ok = ok && stat(out, &st) < 0 && !leftovers(t, "bad.elf");
	mdt_ok(t, ok, "elf %s: exit 1 (%s), no OUT and no temporary left", name, rule);
	mdt_free(&r);
}

/* Expects `minidump vmcoreinfo` of f to exit 1 (no-vmcoreinfo), silent. */
static void vmcoreinfo_fails(struct mdt *t, const uint8_t *f, size_t fl,
			     bool pipe, const char *name)
{
	const char *args[] = { "vmcoreinfo",
			       pipe ? "-" : mdt_file(t, "in.dump", f, fl), NULL };
	struct mdt_result r;

	mdt_run(t, args, pipe ? f : NULL, pipe ? fl : 0, &r);
	mdt_ok(t, mdt_rule(&r, "vmcoreinfo", "no-vmcoreinfo") && !r.outlen,
	       "vmcoreinfo: %s exits 1", name);
	mdt_free(&r);
}

/* The end of one error case: its packed file, body and model. */
static void case_free(struct gen *g, uint8_t *b, uint8_t *f)
{
	free(f);
	free(b);
	gen_free(g);
}

static uint8_t *body_of(struct gen *g, size_t *bl, struct gen_layout *lay)
{
	uint8_t *b;

	gen_body(g, &b, bl, lay);
	return b;
}

static void error_tests(struct mdt *t)
{
	const char *a_dash[] = { "elf", "-", "-", NULL };
	struct gen_layout lay;
	struct mdt_result r;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl, i;

	/* No Linux extension block. */
	gen_init(&g, false, 0);
	b = body_of(&g, &bl, &lay);
	memset(b + MINIDUMP_LINUX_OFFSET, 0, sizeof(struct minidump_linux));
	gen_pack(b, bl, MD_FMT_RAW, true, &f, &fl);
	elf_fails(t, f, fl, false, "ext-magic", "no bsdmem Linux extension block",
		  "without the extension block");
	case_free(&g, b, f);

	/* The note's second page not dumped: found before any page is written. */
	gen_init(&g, false, 0);
	gen_drop_page(&g, (GEN_NOTE_PA & ~MD_PAGE_MASK) + MD_PAGE_SIZE);
	b = body_of(&g, &bl, &lay);
	gen_pack(b, bl, MD_FMT_ZSTD, true, &f, &fl);
	elf_fails(t, f, fl, true, "no-vmcoreinfo", "not in the dump",
		  "note page not dumped (zstd, stdin)");
	vmcoreinfo_fails(t, f, fl, true, "note page not dumped (zstd, stdin)");
	case_free(&g, b, f);

	/* The pages are there but hold no VMCOREINFO note: found at the end. */
	gen_init(&g, false, 0);
	b = body_of(&g, &bl, &lay);
	for (i = 0; i < g.npages; i++)
		if (g.pages[i].pa == (GEN_NOTE_PA & ~MD_PAGE_MASK))
			memset(b + lay.pages + i * MD_PAGE_SIZE +
			       (GEN_NOTE_PA & MD_PAGE_MASK), 0, 24);
	gen_pack(b, bl, MD_FMT_RAW, false, &f, &fl);
	elf_fails(t, f, fl, false, "no-vmcoreinfo", "no ELF note named VMCOREINFO",
		  "no note in its pages (raw file)");
	vmcoreinfo_fails(t, f, fl, false, "no note in its pages (raw file)");
	case_free(&g, b, f);

	/*
	 * A note extent (vmcoreinfo_size) of 12 bytes, namesz 11: the name
	 * must not be compared past the 12 bytes read. Under valgrind's
	 * memcheck, which sees the read past the buffer.
	 */
	gen_init(&g, false, 0);
	g.vmcoreinfo_size = 12;
	b = body_of(&g, &bl, &lay);
	gen_pack(b, bl, MD_FMT_RAW, false, &f, &fl);
	{
		const char *vg[] = { "-q", "--error-exitcode=99", t->bin, "vmcoreinfo",
				     mdt_file(t, "short-note.dump", f, fl), NULL };

		if (access("/usr/bin/valgrind", X_OK)) {
			mdt_ok(t, false, "vmcoreinfo: a 12-byte note extent (no /usr/bin/valgrind: scripts/deps.sh installs it)");
		} else {
			mdt_exec(t, "/usr/bin/valgrind", vg, &r);
			mdt_ok(t, r.status == 1 && strstr(r.err, "no-vmcoreinfo") &&
			       !strstr(r.err, "Invalid read"),
			       "vmcoreinfo: a 12-byte note extent is refused (no-vmcoreinfo), nothing read past it (valgrind)");
			if (r.status != 1)
				mdt_diag("exit %d: %s", r.status, r.err);
			mdt_free(&r);
		}
	}
	case_free(&g, b, f);

	/*
	 * A crafted bitmap: every other page of the 2 GiB range claims to be
	 * dumped (131072 single-page runs, 7 MB of program headers), but the
	 * body ends before its first data page. The walk fails before any
	 * header is written: under a 2 MiB file size limit it still exits 1
	 * (popcount), never SIGXFSZ or EFBIG.
	 */
	gen_init(&g, false, 0);
	b = body_of(&g, &bl, &lay);
	for (i = 0; i < 32768; i++)
		b[lay.bitmap + (0x9f000 - 0x1000) / MD_PAGE_SIZE / 8 + 8 + i] |= 0x55;
	gen_pack(b, lay.pages, MD_FMT_ZSTD, false, &f, &fl);
	t->fsize_limit = 2ul << 20;
	elf_fails(t, f, fl, true, "popcount", NULL,
		  "bitmap of 131072 runs over a body without pages (zstd, stdin, 2 MiB file size limit)");
	t->fsize_limit = 0;
	case_free(&g, b, f);

	/* A stream cut in the middle of the data pages. */
	gen_init(&g, false, 0);
	b = body_of(&g, &bl, &lay);
	gen_pack(b, bl, MD_FMT_GZIP, false, &f, &fl);
	elf_fails(t, f, fl * 3 / 4, true, "truncated", NULL, "gzip cut short (stdin)");
	case_free(&g, b, f);

	mdt_run(t, a_dash, NULL, 0, &r);
	mdt_ok(t, r.status == 2 && strstr(r.err, "OUT must be a regular file"),
	       "elf to - is refused (exit 2)");
	mdt_free(&r);
}

/*
 * 65536 more single-page runs between 0x8000000 and 0x28000000 (each page:
 * its pa, 2 KiB of noise, zeros): phnum passes 65535, so PN_XNUM. Piped
 * zstd, with $TMPDIR unusable and the address space smaller than the
 * 268 MB body: elf and info must stream. Then read, under a file size
 * limit smaller than the body, must decode only the start it needs.
 */
static void xnum_tests(struct mdt *t)
{
	const char *a_info[] = { "info", "-", NULL };
	const char *a_read[] = { "read", "-", NULL, "26", NULL };
	uint64_t first_bit = (0x9f000 - 0x1000) / MD_PAGE_SIZE, bit, pa;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct gen_layout lay;
	struct mdt_result r;
	struct gen g;
	uint8_t *b, *nb, *f;
	size_t bl, nbl, fl, k, i, j, n;
	uint64_t *pas;
	struct rd rd[] = {
		{ 0, XNUM_BASE + 2 * 40000 * MD_PAGE_SIZE, 8 },
		{ 0, 0x4000000, 26 },
	};
	char out[512], *want, line[96];
	bool ok;

	gen_init(&g, false, 0);
	b = body_of(&g, &bl, &lay);
	for (k = 0; k < g.npages && g.pages[k].pa < XNUM_BASE; k++)
		;
	nbl = bl + (size_t)XNUM_PAGES * MD_PAGE_SIZE;
	nb = calloc(1, nbl);
	if (!nb)
		abort();
	memcpy(nb, b, lay.pages + k * MD_PAGE_SIZE);
	memcpy(nb + lay.pages + (k + XNUM_PAGES) * MD_PAGE_SIZE,
	       b + lay.pages + k * MD_PAGE_SIZE, bl - lay.pages - k * MD_PAGE_SIZE);
	for (i = 0; i < XNUM_PAGES; i++) {
		pa = XNUM_BASE + 2 * i * MD_PAGE_SIZE;
		bit = first_bit + (pa - 0x100000) / MD_PAGE_SIZE;
		nb[lay.bitmap + bit / 8] |= (uint8_t)(1u << (bit % 8));
		md_put_le64(nb + lay.pages + (k + i) * MD_PAGE_SIZE, pa);
		/* Half a page of noise: about 2:1 compressible, not 1000:1. */
		for (j = 8; j < MD_PAGE_SIZE / 2; j += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			md_put_le64(nb + lay.pages + (k + i) * MD_PAGE_SIZE + j, x);
		}
	}
	free(b);
	gen_pack(nb, nbl, MD_FMT_ZSTD, true, &f, &fl);
	free(nb);
	rd[0].va = g.dmapbase + rd[0].pa;
	rd[1].va = g.a.k2m;
	t->tmpdir = "/nonexistent/mdtest";
	t->as_limit = 160ul << 20;
	ok = convert(t, f, fl, true, "x.elf", out, sizeof(out), &r);
	mdt_free(&r);
	pas = gen_pas(&g, XNUM_PAGES, &n);
	want = expect(&g, pas, n, rd, 2, true);
	ok = ok && elfcheck(t, out, rd, 2, want);
	mdt_ok(t, ok, "elf PN_XNUM: %zu program headers via section header 0, python reads them (268 MB zstd body on stdin, 160 MB address space, no $TMPDIR)",
	       1 + runs(NULL, pas, n, true, 0) + runs(NULL, pas, n, false, g.dmapbase));
	readelf_test(t, out, 1 + runs(NULL, pas, n, true, 0) +
		     runs(NULL, pas, n, false, g.dmapbase), "PN_XNUM");
	unlink(out);
	mdt_run(t, a_info, f, fl, &r);
	snprintf(line, sizeof(line), "\npages.dumped: %zu\n", n);
	ok = r.status == 0 && strstr(r.out, line) &&
	     strstr(r.out, "\nvmcoreinfo.OSRELEASE: 6.1.0-mdtest\n");
	if (!ok)
		mdt_diag("info exit %d: %s", r.status, r.err);
	mdt_ok(t, ok, "info streams the same 268 MB zstd body from stdin (160 MB address space, no $TMPDIR)");
	mdt_free(&r);
	t->tmpdir = NULL;
	t->as_limit = 0;
	/* read decodes only up to the page it needs: 64 MiB of spool. */
	t->fsize_limit = 64ul << 20;
	snprintf(line, sizeof(line), "0x%llx", (unsigned long long)g.a.k2m);
	a_read[2] = line;
	mdt_run(t, a_read, f, fl, &r);
	ok = r.status == 0 && r.outlen == 26 &&
	     !memcmp(r.out, "Linux version 6.1.0-mdtest", 26);
	if (!ok)
		mdt_diag("read exit %d, %zu bytes: %s", r.status, r.outlen, r.err);
	mdt_ok(t, ok, "read of the banner from the same 268 MB zstd body on stdin decodes only what it needs (64 MiB file size limit)");
	mdt_free(&r);
	t->fsize_limit = 0;
	free(want);
	free(pas);
	free(f);
	gen_free(&g);
}

/* The exit status and the first line of stderr of `minidump CMD IN`. */
static void run_cmd(struct mdt *t, const char *cmd, const uint8_t *f,
		    size_t fl, bool pipe, int *status, char *err, size_t errsz)
{
	const char *args[] = { cmd, pipe ? "-" : mdt_file(t, "in.dump", f, fl),
			       NULL };
	struct mdt_result r;

	mdt_run(t, args, pipe ? f : NULL, pipe ? fl : 0, &r);
	*status = r.status;
	snprintf(err, errsz, "%.*s", (int)strcspn(r.err, "\n"), r.err);
	mdt_free(&r);
}

/*
 * A vmcoreinfo_size above MD_VMCOREINFO_MAX, inside RAM: a raw file read
 * in place and the same file streamed from stdin get the same verdict
 * from check, info, vmcoreinfo and elf (exit status and message).
 */
static void oversized_note_tests(struct mdt *t)
{
	static const char *const cmds[] = { "check", "info", "vmcoreinfo" };
	struct gen_layout lay;
	char e_file[400], e_pipe[400];
	int s_file, s_pipe;
	struct gen g;
	bool ok;
	uint8_t *b, *f;
	size_t bl, fl, i;

	gen_init(&g, false, 0);
	g.vmcoreinfo_size = MD_VMCOREINFO_MAX + 1;
	b = body_of(&g, &bl, &lay);
	gen_pack(b, bl, MD_FMT_RAW, true, &f, &fl);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run_cmd(t, cmds[i], f, fl, false, &s_file, e_file, sizeof(e_file));
		run_cmd(t, cmds[i], f, fl, true, &s_pipe, e_pipe, sizeof(e_pipe));
		ok = s_file == s_pipe && !strcmp(e_file, e_pipe);
		mdt_ok(t, ok, "%s: a %u-byte note extent, the same verdict in place and streamed",
		       cmds[i], MD_VMCOREINFO_MAX + 1);
		if (!ok)
			mdt_diag("in place: exit %d \"%s\"; streamed: exit %d \"%s\"",
				 s_file, e_file, s_pipe, e_pipe);
	}
	case_free(&g, b, f);
}

void mdt_elf_tests(struct mdt *t)
{
	valid_tests(t);
	error_tests(t);
	oversized_note_tests(t);
	xnum_tests(t);
}
