// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: a dump as an ELF64 vmcore, the shape of a kdump
 * /proc/vmcore: ET_CORE, EM_X86_64, a PT_NOTE with the kernel's VMCOREINFO
 * note, PT_LOADs for the kernel image mapping (kernbase virtual ->
 * physical) and one PT_LOAD per run of physically contiguous dumped pages
 * (p_paddr physical, p_vaddr the direct-map address). Pages not in the
 * dump are holes: no segment covers them.
 *
 * One pass over the input, bounded memory: the bitmap precedes the data
 * pages, so every program header is known when the walker reaches them.
 * The file is: ELF header, program headers (and section header 0 when
 * there are PN_XNUM or more of them), room for the VMCOREINFO note (the
 * extension's vmcoreinfo_size, an upper bound of the note's own size),
 * zeros to a page boundary, then every data page in the dump's order
 * (page k of the dump at data_off + 4096 k). The kernel image segments
 * point into the same page data as the RAM runs (file ranges may overlap
 * in ELF), so no page is written twice.
 *
 * The layout is known from the bitmap, but the headers are written last:
 * the pages first, from data_off on, and the headers only once the body
 * has delivered every page the bitmap promised. A crafted bitmap (a huge
 * popcount over a short body) thus fails before any header is written,
 * instead of after tens of megabytes of program headers.
 *
 * The note must sit before the first segment's data, as in a kdump
 * vmcore: crash reads the file up to there as "the header" and finds the
 * note only inside it (with the note after the pages it warns "Elf64_Nhdr
 * pointer ... ELF header end" and misses VMCOREINFO). But the note's
 * bytes, and so its size, are only known when its page streams by. So
 * its room is left zero, and at the end the note is written into it and
 * its program header's p_filesz/p_memsz patched, with pwrite: the output
 * must be seekable (the tool writes a temporary file beside OUT and
 * renames it only on success).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define EHDR_SIZE	64u
#define PHDR_SIZE	56u
#define SHDR_SIZE	64u
#define WBUF_SIZE	(1u << 20)
#define PDE_SPAN	(2ull << 20)
#define KIMG_PDES	512u	/* the kernel image lies in kernbase's first GiB */
/*
 * A PDE with a page table is taken as the image's only below 512 MiB, the
 * image's size without KASLR, where the modules area begins: its PTEs come
 * later in the stream than the headers, so they are not read.
 */
#define KIMG_PT_PDES	256u

struct elfw {
	int out;
	uint8_t *buf;
	size_t nbuf;
	uint64_t pos;		/* bytes handed to out_bytes so far */
	struct md_vmcoreinfo vi;
	const struct md_header *h;
	uint64_t phnum;
	uint64_t data_off;
	uint64_t note_off;
	uint64_t end;		/* file size: past the last data page */
	uint64_t pages_written;
	uint64_t nk, nr;	/* kernel image and RAM PT_LOADs */
	uint8_t kpmap[KIMG_PDES * 8];	/* the pmap's first page */
	struct md_elf_stats *st;
};

static int flush(struct elfw *w, struct md_error *e)
{
	int err = md_write_full(w->out, w->buf, w->nbuf);

	w->nbuf = 0;
	if (err)
		return md_fail(e, err, "io", "writing the ELF file: %s",
			       strerror(-err));
	return 0;
}

static int out_bytes(struct elfw *w, const void *p, size_t n,
		     struct md_error *e)
{
	size_t k;
	int err;

	while (n) {
		if (w->nbuf == WBUF_SIZE) {
			err = flush(w, e);
			if (err)
				return err;
		}
		k = WBUF_SIZE - w->nbuf;
		if (k > n)
			k = n;
		memcpy(w->buf + w->nbuf, p, k);
		w->nbuf += k;
		w->pos += k;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return 0;
}

static int phdr(struct elfw *w, uint32_t type, uint64_t off, uint64_t vaddr,
		uint64_t paddr, uint64_t size, struct md_error *e)
{
	uint8_t p[PHDR_SIZE];

	md_put_le32(p, type);
	md_put_le32(p + 4, type == PT_LOAD ? PF_R | PF_W | PF_X : 0);
	md_put_le64(p + 8, off);
	md_put_le64(p + 16, vaddr);
	md_put_le64(p + 24, paddr);
	md_put_le64(p + 32, size);	/* p_filesz */
	md_put_le64(p + 40, size);	/* p_memsz */
	md_put_le64(p + 48, 0);		/* p_align, as /proc/vmcore */
	return out_bytes(w, p, sizeof(p), e);
}

/* The file offset of the dumped page at pa (its rank among data pages). */
static uint64_t page_off(const struct elfw *w, const struct md_map *m,
			 uint64_t pa)
{
	uint64_t rank = 0;

	md_pa_rank(m, pa, &rank);
	return w->data_off + rank * MD_PAGE_SIZE;
}

/*
 * Runs of dumped pages, in bitmap order (ascending physical address);
 * with emit, their PT_LOADs. Returns the number of runs.
 */
static uint64_t ram_runs(struct elfw *w, const struct md_map *m, bool emit,
			 int *err, struct md_error *e)
{
	uint64_t n = 0, start = 0, end = 0, pa, w64, base;
	size_t r, i;

	for (r = 0; r < m->nranges && !*err; r++) {
		const struct md_range *rg = &m->ranges[r];
		uint64_t first = rg->first_bit;
		uint64_t last = first + (rg->end - rg->start) / MD_PAGE_SIZE;

		for (i = first / 64; i * 64 < last && !*err; i++) {
			w64 = m->words[i];
			base = i * 64;
			if (base < first)
				w64 &= ~0ull << (first - base);
			if (last - base < 64)
				w64 &= (1ull << (last - base)) - 1;
			while (w64 && !*err) {
				pa = rg->start + (base + (uint64_t)__builtin_ctzll(w64) -
						  first) * MD_PAGE_SIZE;
				w64 &= w64 - 1;
				if (n && pa == end) {
					end += MD_PAGE_SIZE;
					continue;
				}
				if (n && emit)
					*err = phdr(w, PT_LOAD, page_off(w, m, start),
						    w->h->hdr.dmapbase + start, start,
						    end - start, e);
				n++;
				start = pa;
				end = pa + MD_PAGE_SIZE;
			}
		}
	}
	if (n && emit && !*err)
		*err = phdr(w, PT_LOAD, page_off(w, m, start),
			    w->h->hdr.dmapbase + start, start, end - start, e);
	return n;
}

/*
 * The kernel image mapping: the present PDEs in kernbase's first GiB
 * (with KASLR the modules area starts above it), where va - kernbase +
 * phys_base is the physical address (a 2 MiB leaf that says otherwise is
 * not the image and is left out). A PDE with a page table counts only
 * below 512 MiB (KIMG_PT_PDES), and its pages are taken to be mapped the
 * image's way, as Linux maps it: the PTEs are not read (they come after
 * the headers), so a page the image freed at boot and unmapped there, yet
 * dumped as other memory, appears mapped at its kernbase address too. Each stretch of such addresses whose pages are
 * dumped becomes a PT_LOAD; with emit, they are written. Returns the count.
 */
static uint64_t kernel_runs(struct elfw *w, const struct md_map *m,
			    const uint8_t *pmap, bool emit, int *err,
			    struct md_error *e)
{
	uint64_t n = 0, i, pde, va, pa, lin, end = 0, start = 0, pb;
	uint64_t kb = w->h->hdr.kernbase, phys_base = w->h->ext.phys_base;
	bool in_run = false;

	for (i = 0; i <= KIMG_PDES && !*err; i++) {
		bool ok = false;

		if (i < KIMG_PDES) {
			pde = md_le64(pmap + 8 * i);
			va = kb + i * PDE_SPAN;
			lin = va - kb + phys_base;
			ok = (pde & MD_PTE_P) &&
			     ((pde & MD_PTE_PS) ? (pde & MD_PHYS_MASK_2M) == lin :
						  i < KIMG_PT_PDES);
		}
		for (pb = 0; pb < (ok ? PDE_SPAN : 1) && !*err; pb += MD_PAGE_SIZE) {
			pa = ok ? i * PDE_SPAN + phys_base + pb : 0;
			if (ok && md_pa_dumped(m, pa)) {
				if (in_run && pa == end) {
					end += MD_PAGE_SIZE;
					continue;
				}
				if (in_run && emit)
					*err = phdr(w, PT_LOAD, page_off(w, m, start),
						    start - phys_base + kb, start,
						    end - start, e);
				n++;
				in_run = true;
				start = pa;
				end = pa + MD_PAGE_SIZE;
			} else if (in_run) {
				if (emit)
					*err = phdr(w, PT_LOAD, page_off(w, m, start),
						    start - phys_base + kb, start,
						    end - start, e);
				in_run = false;
			}
		}
	}
	return n;
}

static int on_header(void *ctx, const struct md_header *h, struct md_error *e)
{
	struct elfw *w = ctx;

	w->h = NULL;
	return md_vmcoreinfo_init(&w->vi, h, e);
}

static int note_present(const struct elfw *w, const struct md_map *m,
			struct md_error *e)
{
	uint64_t pa;

	for (pa = w->vi.pa & ~MD_PAGE_MASK; pa < w->vi.pa + w->vi.size;
	     pa += MD_PAGE_SIZE)
		if (!md_pa_dumped(m, pa))
			return md_fail(e, -EBADMSG, "no-vmcoreinfo",
				       "the VMCOREINFO note [0x%llx, +0x%llx) is not in the dump: page 0x%llx is %s",
				       (unsigned long long)w->vi.pa,
				       (unsigned long long)w->vi.size,
				       (unsigned long long)pa,
				       md_pa_in_ram(m, pa) ? "not dumped" : "not RAM");
	return 0;
}

/* Counts the program headers and places everything but the headers. */
static int layout(struct elfw *w, const struct md_map *m, const uint8_t *pmap,
		  struct md_error *e)
{
	uint64_t end;
	int err = 0;

	w->nk = kernel_runs(w, m, pmap, false, &err, e);
	w->nr = ram_runs(w, m, false, &err, e);
	w->phnum = 1 + w->nk + w->nr;
	if (!err && w->phnum > UINT32_MAX)
		return md_fail(e, -EBADMSG, "popcount",
			       "%llu program headers: more than section header 0 can count",
			       (unsigned long long)w->phnum);
	if (err)
		return err;
	end = EHDR_SIZE + w->phnum * PHDR_SIZE +
	      (w->phnum >= PN_XNUM ? SHDR_SIZE : 0);
	w->note_off = end;
	w->data_off = md_round_page(end + w->vi.size);
	w->end = w->data_off + m->popcount * MD_PAGE_SIZE;
	w->st->phnum = w->phnum;
	w->st->loads_kernel = w->nk;
	w->st->loads_ram = w->nr;
	w->st->xnum = w->phnum >= PN_XNUM;
	return 0;
}

/* Moves the output to off: the next out_bytes land there. */
static int seek_to(struct elfw *w, uint64_t off, struct md_error *e)
{
	int err = flush(w, e);

	if (err)
		return err;
	if (lseek(w->out, (off_t)off, SEEK_SET) < 0) {
		err = -errno;
		return md_fail(e, err, "io", "seeking in the ELF file: %s",
			       strerror(-err));
	}
	w->pos = off;
	return 0;
}

/* The ELF header, the program headers and the zeros up to data_off. */
static int headers(struct elfw *w, const struct md_map *m, struct md_error *e)
{
	uint8_t eh[EHDR_SIZE] = { 0 }, sh[SHDR_SIZE] = { 0 }, zero[64] = { 0 };
	bool xnum = w->phnum >= PN_XNUM;
	int err;

	memcpy(eh, ELFMAG, SELFMAG);
	eh[EI_CLASS] = ELFCLASS64;
	eh[EI_DATA] = ELFDATA2LSB;
	eh[EI_VERSION] = EV_CURRENT;
	eh[EI_OSABI] = ELFOSABI_NONE;
	md_put_le16(eh + 16, ET_CORE);
	md_put_le16(eh + 18, EM_X86_64);
	md_put_le32(eh + 20, EV_CURRENT);
	md_put_le64(eh + 32, EHDR_SIZE);			/* e_phoff */
	md_put_le64(eh + 40, xnum ? EHDR_SIZE + w->phnum * PHDR_SIZE : 0);
	md_put_le16(eh + 52, EHDR_SIZE);
	md_put_le16(eh + 54, PHDR_SIZE);
	md_put_le16(eh + 56, xnum ? PN_XNUM : (uint16_t)w->phnum);
	md_put_le16(eh + 58, xnum ? SHDR_SIZE : 0);
	md_put_le16(eh + 60, xnum ? 1 : 0);			/* e_shnum */
	err = out_bytes(w, eh, sizeof(eh), e);
	/* p_filesz/p_memsz of the note are patched once it is read. */
	if (!err)
		err = phdr(w, PT_NOTE, w->note_off, 0, 0, 0, e);
	if (!err)
		kernel_runs(w, m, w->kpmap, true, &err, e);
	if (!err)
		ram_runs(w, m, true, &err, e);
	if (!err && xnum) {
		/* Section header 0 (SHT_NULL) carries the real count. */
		md_put_le32(sh + 44, (uint32_t)w->phnum);	/* sh_info */
		err = out_bytes(w, sh, sizeof(sh), e);
	}
	while (!err && w->pos < w->data_off)
		err = out_bytes(w, zero, w->data_off - w->pos < sizeof(zero) ?
				w->data_off - w->pos : sizeof(zero), e);
	return err;
}

static int on_map(void *ctx, const struct md_header *h, const struct md_map *m,
		  const uint8_t *pmap, struct md_error *e)
{
	struct elfw *w = ctx;
	int err;

	w->h = h;
	memcpy(w->kpmap, pmap, sizeof(w->kpmap));
	err = note_present(w, m, e);
	if (!err)
		err = layout(w, m, pmap, e);
	return err ? err : seek_to(w, w->data_off, e);
}

static int on_page(void *ctx, uint64_t pa, const uint8_t *data,
		   struct md_error *e)
{
	struct elfw *w = ctx;

	md_vmcoreinfo_page(&w->vi, pa, data);
	w->pages_written++;
	return out_bytes(w, data, MD_PAGE_SIZE, e);
}

/* Every page is in: the headers, then the note into its room. */
static int finish(struct elfw *w, const struct md_map *m, struct md_error *e)
{
	uint8_t sz[16];
	int err;

	err = md_vmcoreinfo_parse(&w->vi, e);
	if (!err && w->pos != w->end)
		err = md_fail(e, -EBADMSG, "popcount",
			      "wrote %llu bytes of pages up to offset %llu, expected %llu",
			      (unsigned long long)(w->pos - w->data_off),
			      (unsigned long long)w->pos,
			      (unsigned long long)w->end);
	if (!err)
		err = seek_to(w, 0, e);
	if (!err)
		err = headers(w, m, e);
	if (!err)
		err = flush(w, e);
	if (err)
		return err;
	/* note_len <= vi.size: parse checked it, so it fits its room. */
	err = md_pwrite_full(w->out, w->vi.buf, w->vi.note_len, w->note_off);
	md_put_le64(sz, w->vi.note_len);
	md_put_le64(sz + 8, w->vi.note_len);
	if (!err)
		err = md_pwrite_full(w->out, sz, sizeof(sz), EHDR_SIZE + 32);
	if (err)
		return md_fail(e, err, "io", "writing the VMCOREINFO note: %s",
			       strerror(-err));
	return 0;
}

int md_elf_write(int in, int out, struct md_elf_stats *st, struct md_error *e)
{
	struct elfw w = { .out = out, .st = st };
	struct md_walk_ops ops = {
		.header = on_header, .map = on_map, .page = on_page, .ctx = &w,
	};
	struct md_check_summary *sum = calloc(1, sizeof(*sum));
	struct md_map map;
	int err;

	memset(st, 0, sizeof(*st));
	w.buf = malloc(WBUF_SIZE);
	if (!w.buf || !sum) {
		free(w.buf);
		free(sum);
		return md_fail(e, -ENOMEM, "io", "out of memory");
	}
	err = md_walk_fd(in, &ops, sum, &map, e);
	w.h = &sum->h;
	if (!err)
		err = finish(&w, &map, e);
	st->pages = w.pages_written;
	st->size = err ? w.pos : w.end;
	md_map_free(&map);
	md_vmcoreinfo_free(&w.vi);
	free(w.buf);
	free(sum);
	return err;
}
