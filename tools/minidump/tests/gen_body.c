// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: serializes a struct gen as a minidump body (header page with
 * the Linux extension, msgbuf, dump_avail, bitmap, the kernbase pmap copied
 * from the fake page tables, data pages in ascending order).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"

static size_t rpage(size_t x)
{
	return (x + MD_PAGE_SIZE - 1) & ~(size_t)(MD_PAGE_SIZE - 1);
}

static int by_pa(const void *a, const void *b)
{
	const struct gen_page *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static uint64_t total_pages(const struct gen *g)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < g->nranges; i++)
		n += (g->ranges[i][1] - g->ranges[i][0]) / MD_PAGE_SIZE;
	return n;
}

static uint64_t bit_of(const struct gen *g, uint64_t pa)
{
	uint64_t bit = 0;
	size_t i;

	for (i = 0; i < g->nranges; i++) {
		if (pa >= g->ranges[i][0] && pa < g->ranges[i][1])
			return bit + (pa - g->ranges[i][0]) / MD_PAGE_SIZE;
		bit += (g->ranges[i][1] - g->ranges[i][0]) / MD_PAGE_SIZE;
	}
	assert(0 && "page outside RAM");
	return 0;
}

static void header(const struct gen *g, uint8_t *p, size_t bitmapsize,
		   size_t availsize)
{
	uint8_t *x = p + MINIDUMP_LINUX_OFFSET;

	memcpy(p, MINIDUMP_MAGIC, sizeof(MINIDUMP_MAGIC));
	md_put_le32(p + 24, MINIDUMP_VERSION);
	md_put_le32(p + 28, (uint32_t)g->msglen);
	md_put_le32(p + 32, (uint32_t)bitmapsize);
	md_put_le32(p + 36, GEN_PMAP_PAGES * MD_PAGE_SIZE);
	md_put_le64(p + 40, MD_KERNBASE);
	md_put_le64(p + 48, g->dmapbase);
	md_put_le64(p + 56, g->dmapend);
	md_put_le32(p + 64, (uint32_t)availsize);
	memcpy(x, MINIDUMP_LINUX_MAGIC, sizeof(MINIDUMP_LINUX_MAGIC));
	md_put_le32(x + 16, MINIDUMP_LINUX_VERSION);
	md_put_le32(x + 20, g->la57 ? MINIDUMP_LINUX_LA57 : 0);
	md_put_le64(x + 24, g->root);
	md_put_le64(x + 32, g->dmapbase);
	md_put_le64(x + 40, g->vmalloc_base);
	md_put_le64(x + 48, g->vmemmap_base);
	md_put_le64(x + 56, GEN_PHYS_BASE);
	md_put_le64(x + 64, g->vmcoreinfo_paddr);
	md_put_le64(x + 72, g->vmcoreinfo_size);
}

/* The PD page behind kernbase + n GiB, as the kernel's pmap copy. */
static void pmap_page(const struct gen *g, unsigned int n, uint8_t *out)
{
	uint64_t va = MD_KERNBASE + n * MD_GIB, table = g->root, ent = 0;
	unsigned int shift = g->la57 ? 48 : 39;
	uint8_t e[8];
	int i;

	for (; shift >= 30; shift -= 9) {
		if (!gen_lookup(g, table + ((va >> shift) & 511) * 8, e, 8))
			return;
		for (ent = 0, i = 7; i >= 0; i--)
			ent = ent << 8 | e[i];
		if (!(ent & MD_PTE_P) || (ent & MD_PTE_PS))
			return;
		table = ent & MD_PHYS_MASK;
	}
	gen_lookup(g, table, out, MD_PAGE_SIZE);
}

void gen_body(struct gen *g, uint8_t **out, size_t *len, struct gen_layout *lay)
{
	uint64_t total = total_pages(g), bit;
	size_t bitmapsize = rpage((total + 7) / 8);
	size_t availsize = rpage((g->nranges + 1) * 16), i, size;
	uint8_t *b;

	qsort(g->pages, g->npages, sizeof(*g->pages), by_pa);
	lay->msgbuf = MD_PAGE_SIZE;
	lay->avail = lay->msgbuf + rpage(g->msglen);
	lay->bitmap = lay->avail + availsize;
	lay->pmap = lay->bitmap + bitmapsize;
	lay->pages = lay->pmap + GEN_PMAP_PAGES * MD_PAGE_SIZE;
	size = lay->pages + g->npages * MD_PAGE_SIZE;
	b = calloc(1, size);
	assert(b);
	header(g, b, bitmapsize, availsize);
	memcpy(b + lay->msgbuf, g->msgbuf, g->msglen);
	for (i = 0; i < g->nranges; i++) {
		md_put_le64(b + lay->avail + 16 * i, g->ranges[i][0]);
		md_put_le64(b + lay->avail + 16 * i + 8, g->ranges[i][1]);
	}
	for (i = 0; i < g->npages; i++) {
		bit = bit_of(g, g->pages[i].pa);
		b[lay->bitmap + bit / 8] |= (uint8_t)(1u << (bit % 8));
		memcpy(b + lay->pages + i * MD_PAGE_SIZE, g->pages[i].data,
		       MD_PAGE_SIZE);
	}
	for (i = 0; i < GEN_PMAP_PAGES; i++)
		pmap_page(g, (unsigned int)i, b + lay->pmap + i * MD_PAGE_SIZE);
	*out = b;
	*len = size;
}
