// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: builds the fake machine of gen.h (RAM ranges, dumped pages,
 * a Linux kernel page-table tree and the mappings the read tests use) and
 * serializes it as a minidump version 3 body with bsdmem's extension.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"

#define KB	MD_KERNBASE
#define ENT_RW	0x2ull
#define ENT_G	0x100ull
#define ENT_SW	(1ull << 58)	/* a software bit: must be masked out */
#define ENT_NX	(1ull << 63)
#define PAT_2M	0x1000ull	/* PAT bit of a large leaf: not address */

static void fill_pattern(uint8_t *p, uint64_t pa)
{
	size_t i;

	for (i = 0; i < MD_PAGE_SIZE; i += 8)
		md_put_le64(p + i, (pa + i) ^ 0xa5a5a5a5a5a5a5a5ull);
	snprintf((char *)p, 24, "DATA@%016llx", (unsigned long long)pa);
}

static bool in_ram(const struct gen *g, uint64_t pa)
{
	size_t i;

	for (i = 0; i < g->nranges; i++)
		if (pa >= g->ranges[i][0] && pa < g->ranges[i][1])
			return true;
	return false;
}

static struct gen_page *find(const struct gen *g, uint64_t pa)
{
	size_t i;

	for (i = 0; i < g->npages; i++)
		if (g->pages[i].pa == pa)
			return &g->pages[i];
	return NULL;
}

uint8_t *gen_page(struct gen *g, uint64_t pa)
{
	struct gen_page *p = find(g, pa);

	assert(!(pa & MD_PAGE_MASK) && in_ram(g, pa));
	if (p)
		return p->data;
	if (g->npages == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->pages = realloc(g->pages, g->cap * sizeof(*g->pages));
		assert(g->pages);
	}
	p = &g->pages[g->npages++];
	p->pa = pa;
	p->data = malloc(MD_PAGE_SIZE);
	assert(p->data);
	fill_pattern(p->data, pa);
	return p->data;
}

void gen_drop_page(struct gen *g, uint64_t pa)
{
	struct gen_page *p = find(g, pa);

	assert(p);
	free(p->data);
	*p = g->pages[--g->npages];
}

bool gen_lookup(const struct gen *g, uint64_t pa, uint8_t *out, size_t len)
{
	const struct gen_page *p = find(g, pa & ~MD_PAGE_MASK);

	if (!p || (pa & MD_PAGE_MASK) + len > MD_PAGE_SIZE)
		return false;
	memcpy(out, p->data + (pa & MD_PAGE_MASK), len);
	return true;
}

static uint64_t alloc_table(struct gen *g)
{
	uint64_t pa = g->next_table;

	g->next_table += MD_PAGE_SIZE;
	memset(gen_page(g, pa), 0, MD_PAGE_SIZE);
	return pa;
}

/* Maps va to pa with a leaf at level shift (12, 21 or 30). */
static void map(struct gen *g, uint64_t va, uint64_t pa, unsigned int leaf,
		uint64_t extra)
{
	unsigned int shift = g->la57 ? 48 : 39;
	uint64_t table = g->root, ent;
	uint8_t *t;

	for (;; shift -= 9) {
		t = gen_page(g, table) + ((va >> shift) & 511) * 8;
		if (shift == leaf) {
			md_put_le64(t, pa | MD_PTE_P | ENT_RW | ENT_G | ENT_NX |
				     ENT_SW | extra | (leaf > 12 ? MD_PTE_PS : 0));
			return;
		}
		ent = md_le64(t);
		if (!(ent & MD_PTE_P)) {
			ent = alloc_table(g) | MD_PTE_P | ENT_RW | ENT_SW;
			md_put_le64(t, ent);
		}
		table = ent & MD_PHYS_MASK;
	}
}

static void init_ranges(struct gen *g, size_t extra)
{
	static const uint64_t base[3][2] = {
		{ 0x1000, 0x9f000 },
		{ 0x100000, 0x80000000 },
		{ 0x100000000ull, 0x100400000ull },
	};
	size_t i;

	memcpy(g->ranges, base, sizeof(base));
	g->nranges = 3;
	for (i = 0; i < extra && g->nranges < GEN_MAX_RANGES; i++) {
		g->ranges[g->nranges][0] = 0x200000000ull + i * 0x10000;
		g->ranges[g->nranges][1] = 0x200000000ull + i * 0x10000 + 0x2000;
		g->nranges++;
	}
}

static void init_log(struct gen *g)
{
	size_t cap = 8192, n = 0;
	int i;

	g->msgbuf = malloc(cap);
	assert(g->msgbuf);
	n += (size_t)snprintf(g->msgbuf, cap,
			      "<5>[    0.000000] Linux version 6.1.0-mdtest (gen@mdtest) #1 SMP PREEMPT_DYNAMIC\n");
	for (i = 1; n < 5000; i++)
		n += (size_t)snprintf(g->msgbuf + n, cap - n,
				      "<6>[    0.%06d] mdtest: synthetic kernel log line %d\n",
				      i * 37, i);
	g->msglen = n;
}

/*
 * The VMCOREINFO note as the kernel lays it out: 12-byte header, the name
 * "VMCOREINFO" padded to 12, the text padded to 4, then an empty note; in
 * a larger extent that crosses a page boundary (the text does too).
 */
static void init_note(struct gen *g)
{
	uint8_t note[GEN_NOTE_EXTENT];
	size_t n = 0, i, off;
	int k;

	n += (size_t)snprintf(g->note_text, sizeof(g->note_text),
			      "OSRELEASE=6.1.0-mdtest\nPAGESIZE=4096\nKERNELOFFSET=2000000\nNUMBER(phys_base)=%llu\nNUMBER(pgtable_l5_enabled)=%d\n",
			      (unsigned long long)GEN_PHYS_BASE, g->la57);
	for (k = 0; k < 12; k++)
		n += (size_t)snprintf(g->note_text + n, sizeof(g->note_text) - n,
				      "SYMBOL(mdtest_symbol_%02d)=ffffffff81%06x\n",
				      k, k * 0x1234);
	g->note_text_len = n;
	memset(note, 0, sizeof(note));
	md_put_le32(note, 11);
	md_put_le32(note + 4, (uint32_t)n);
	memcpy(note + 12, "VMCOREINFO", 11);
	memcpy(note + 24, g->note_text, n);
	g->note_len = 24 + ((n + 3) & ~(size_t)3);
	g->vmcoreinfo_paddr = GEN_NOTE_PA;
	g->vmcoreinfo_size = GEN_NOTE_EXTENT;
	for (i = 0; i < GEN_NOTE_EXTENT; i += off) {
		uint64_t pa = GEN_NOTE_PA + i;

		off = MD_PAGE_SIZE - (pa & MD_PAGE_MASK);
		if (off > GEN_NOTE_EXTENT - i)
			off = GEN_NOTE_EXTENT - i;
		memcpy(gen_page(g, pa & ~MD_PAGE_MASK) + (pa & MD_PAGE_MASK),
		       note + i, off);
	}
}

static void init_maps(struct gen *g)
{
	struct gen_addrs *a = &g->a;
	char *banner;

	a->k4k = KB + 0x200000;
	map(g, a->k4k, 0x3000000, 12, 0);
	a->k4k_pt = g->next_table - MD_PAGE_SIZE;
	map(g, a->k4k + 0x1000, 0x3005000, 12, 0);
	a->k_nopte = KB + 0x202000;
	a->k_notdumped = KB + 0x203000;
	map(g, a->k_notdumped, 0x3200000, 12, 0);
	a->k_nopde = KB + 0x600000;
	a->k2m = KB + 0x1000000;
	map(g, a->k2m, 0x4000000, 21, PAT_2M);
	a->kmod = 0xffffffffc0005000ull;
	map(g, a->kmod, 0x3100000, 12, 0);
	a->dmap = g->dmapbase + 0x3000000;
	a->l4k = g->vmalloc_base + 0x5000;
	map(g, a->l4k, 0x5000000, 12, 0);
	map(g, a->l4k + 0x1000, 0x100002000ull, 12, 0);
	a->l2m = g->vmemmap_base + 0x200000;
	map(g, a->l2m, 0x6000000, 21, PAT_2M);
	a->l1g = g->vmalloc_base + 0x80000000ull + 0x3000;
	map(g, a->l1g & ~(MD_GIB - 1), 0x40000000, 30, PAT_2M);
	a->l_unmapped = g->vmalloc_base + 0x100000000ull;
	a->l_nopt = g->vmalloc_base + 0x40000000 + 0x1000;
	map(g, a->l_nopt, 0x5100000, 12, 0);
	gen_drop_page(g, g->next_table - MD_PAGE_SIZE);	/* its PT page */

	static const uint64_t data[] = {
		0x3000000, 0x3005000, 0x3100000, 0x4000000, 0x4001000, 0x4003000,
		0x5000000, 0x5100000, 0x100002000ull, 0x6000000, 0x6001000,
		0x40003000, 0x40004000, 0x9e000, 0x100001000ull,
	};
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		gen_page(g, data[i]);
	banner = (char *)gen_page(g, 0x4000000);
	strcpy(banner, "Linux version 6.1.0-mdtest (gen@mdtest) #1 SMP PREEMPT_DYNAMIC\n");
	init_note(g);
}

void gen_init(struct gen *g, bool la57, size_t extra_ranges)
{
	uint64_t top;

	memset(g, 0, sizeof(*g));
	g->la57 = la57;
	init_ranges(g, extra_ranges);
	g->dmapbase = la57 ? 0xff11000000000000ull : 0xffff888000000000ull;
	g->vmalloc_base = la57 ? 0xffa0000000000000ull : 0xffffc90000000000ull;
	g->vmemmap_base = la57 ? 0xffd4000000000000ull : 0xffffea0000000000ull;
	top = g->ranges[g->nranges - 1][1];
	g->dmapend = g->dmapbase + (top + MD_GIB - 1) / MD_GIB * MD_GIB;
	g->next_table = 0x1000000;
	g->root = alloc_table(g);
	init_log(g);
	init_maps(g);
}

void gen_free(struct gen *g)
{
	size_t i;

	for (i = 0; i < g->npages; i++)
		free(g->pages[i].data);
	free(g->pages);
	free(g->msgbuf);
	memset(g, 0, sizeof(*g));
}
