/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own view of its memory layout, an oracle that never asks
 * bsdmem: symbol addresses from /proc/kallsyms, their values and any
 * kernel page read through /proc/kcore (its PT_LOAD headers also give
 * physical addresses), and this process's page-table root found through
 * the kernel's variables. Names start kc_.
 */
#ifndef BSDMEM_KCORE_H
#define BSDMEM_KCORE_H

#include <stddef.h>
#include <stdint.h>

#define KC_OK		"ok"	/* what the checks return when all is well */
#define KC_MAX_SEGS	128

/* vmlinux symbols kc_open() looks up, indexes of struct kc's sym[]. */
enum kc_sym {
	KC_PAGE_OFFSET_BASE,	/* unsigned long page_offset_base */
	KC_VMALLOC_BASE,
	KC_VMEMMAP_BASE,
	KC_PHYS_BASE,
	KC_PGDIR_SHIFT,		/* unsigned int: 48 with 5-level paging, 39 without */
	KC_TEXT,		/* _text */
	KC_INIT_TOP_PGT,	/* the kernel's top-level page table */
	KC_INIT_MM,
	KC_CPU_TLBSTATE,	/* per-CPU struct tlb_state, loaded_mm first */
	KC_PER_CPU_OFFSET,	/* unsigned long __per_cpu_offset[NR_CPUS] */
	KC_LINUX_BANNER,
	KC_NSYMS
};

/* One PT_LOAD of /proc/kcore; paddr is ~0 where kcore gives none. */
struct kc_seg {
	uint64_t vaddr, paddr, size, offset;
};

struct kc {
	int fd;
	int nseg;
	struct kc_seg seg[KC_MAX_SEGS];
	uint64_t sym[KC_NSYMS];	/* 0: not in /proc/kallsyms */
};

/* The layout as the kernel keeps it, each value read through /proc/kcore. */
struct kc_layout {
	uint64_t page_offset_base, vmalloc_base, vmemmap_base, phys_base;
	uint64_t text_pa;	/* physical address of _text (kcore's p_paddr) */
	uint64_t top_pgt;	/* physical address of init_top_pgt */
	uint32_t pgdir_shift;
	int levels;		/* 5 if every CPU has la57 in /proc/cpuinfo, else 4 */
};

/* Open /proc/kcore, read its program headers and the symbols; 0 or -1. */
int kc_open(struct kc *k);
void kc_close(struct kc *k);

/* @len bytes at kernel address @va, all inside one PT_LOAD; 0 or -1. */
int kc_read(const struct kc *k, uint64_t va, void *buf, size_t len);

/* @len bytes at physical address @pa, through a segment that maps it; 0 or -1. */
int kc_read_pa(const struct kc *k, uint64_t pa, void *buf, size_t len);

/* The physical address of kernel address @va by kcore's p_paddr; 0 or -1. */
int kc_paddr(const struct kc *k, uint64_t va, uint64_t *pa);

/* An mdv_read_entry for mdv_walk() over live tables; ctx = struct kc *. */
int kc_read_entry(void *ctx, uint64_t pa, uint64_t *entry);

/*
 * Fill @l, checking the sources against each other: kcore's text segment
 * against phys_base, page_offset_base against kcore's direct-map segments,
 * the la57 flag against pgdir_shift. Return: KC_OK or what is wrong.
 */
const char *kc_layout(const struct kc *k, struct kc_layout *l);

/*
 * The physical address of this process's top-level page table: the
 * running CPU's cpu_tlbstate.loaded_mm, its pgd (at the offset where
 * init_mm holds init_top_pgt), then checked by walking from it: the
 * kernel half is init_top_pgt's, _text translates to @l->text_pa and a
 * fresh page of this process to its /proc/self/pagemap frame.
 * Return: KC_OK or what is wrong.
 */
const char *kc_current_root(const struct kc *k, const struct kc_layout *l,
			    uint64_t *root);

#endif /* BSDMEM_KCORE_H */
