// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's layout and this process's page-table root as the kernel
 * itself records them, read through /proc/kallsyms and /proc/kcore only:
 * an oracle for what bsdmem reports (the minidump's header and extension
 * block, its page-table root), so it never opens a bsdmem device.
 */
#define _FILE_OFFSET_BITS 64
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "bsdmem_test.h"
#include "kcore.h"
#include "mdview.h"

#define KC_KERNBASE	0xffffffff80000000ULL	/* __START_KERNEL_map */
#define KC_NO_PADDR	(~0ULL)
#define KC_MM_WORDS	128	/* how far into init_mm the pgd is looked for */

static const char *const kc_names[KC_NSYMS] = {
	[KC_PAGE_OFFSET_BASE] = "page_offset_base",
	[KC_VMALLOC_BASE] = "vmalloc_base",
	[KC_VMEMMAP_BASE] = "vmemmap_base",
	[KC_PHYS_BASE] = "phys_base",
	[KC_PGDIR_SHIFT] = "pgdir_shift",
	[KC_TEXT] = "_text",
	[KC_INIT_TOP_PGT] = "init_top_pgt",
	[KC_INIT_MM] = "init_mm",
	[KC_CPU_TLBSTATE] = "cpu_tlbstate",
	[KC_PER_CPU_OFFSET] = "__per_cpu_offset",
	[KC_LINUX_BANNER] = "linux_banner",
};

/* Every symbol of kc_names in one pass over /proc/kallsyms (vmlinux only). */
static void kc_kallsyms(struct kc *k)
{
	char line[512], name[256];
	unsigned long long a;
	char type;
	FILE *f = fopen("/proc/kallsyms", "re");
	int i, found = 0;

	while (f && found < KC_NSYMS && fgets(line, sizeof(line), f)) {
		if (strchr(line, '[') ||
		    sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		for (i = 0; i < KC_NSYMS; i++)
			if (!k->sym[i] && a && !strcmp(name, kc_names[i])) {
				k->sym[i] = a;
				found++;
			}
	}
	if (f)
		fclose(f);
}

int kc_open(struct kc *k)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	memset(k, 0, sizeof(*k));
	k->fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return -1;
	if (pread(k->fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto err;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(k->fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			goto err;
		if (ph.p_type != PT_LOAD)
			continue;
		if (k->nseg == KC_MAX_SEGS)
			goto err;
		k->seg[k->nseg++] = (struct kc_seg){ ph.p_vaddr, ph.p_paddr,
						     ph.p_memsz, ph.p_offset };
	}
	kc_kallsyms(k);
	return 0;
err:
	close(k->fd);
	k->fd = -1;
	return -1;
}

void kc_close(struct kc *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

static int kc_pread(const struct kc *k, const struct kc_seg *s, uint64_t off,
		    void *buf, size_t len)
{
	return pread(k->fd, buf, len, (off_t)(s->offset + off)) == (ssize_t)len ?
	       0 : -1;
}

int kc_read(const struct kc *k, uint64_t va, void *buf, size_t len)
{
	const struct kc_seg *s;

	for (s = k->seg; s < k->seg + k->nseg; s++)
		if (va >= s->vaddr && va - s->vaddr + len <= s->size)
			return kc_pread(k, s, va - s->vaddr, buf, len);
	return -1;
}

int kc_read_pa(const struct kc *k, uint64_t pa, void *buf, size_t len)
{
	const struct kc_seg *s;

	for (s = k->seg; s < k->seg + k->nseg; s++)
		if (s->paddr != KC_NO_PADDR && pa >= s->paddr &&
		    pa - s->paddr + len <= s->size)
			return kc_pread(k, s, pa - s->paddr, buf, len);
	return -1;
}

int kc_paddr(const struct kc *k, uint64_t va, uint64_t *pa)
{
	const struct kc_seg *s;

	for (s = k->seg; s < k->seg + k->nseg; s++)
		if (s->paddr != KC_NO_PADDR && va >= s->vaddr &&
		    va - s->vaddr < s->size) {
			*pa = s->paddr + (va - s->vaddr);
			return 0;
		}
	return -1;
}

int kc_read_entry(void *ctx, uint64_t pa, uint64_t *entry)
{
	return kc_read_pa(ctx, pa, entry, 8);
}

/* The 8-byte variable @sym through kcore; 0 or -1. */
static int kc_u64(const struct kc *k, enum kc_sym sym, uint64_t *v)
{
	return k->sym[sym] ? kc_read(k, k->sym[sym], v, 8) : -1;
}

/* Every direct-map segment sits at page_offset_base; at least one exists. */
static bool kc_direct_map_at(const struct kc *k, uint64_t base)
{
	const struct kc_seg *s;
	int n = 0;

	for (s = k->seg; s < k->seg + k->nseg; s++) {
		if (s->paddr == KC_NO_PADDR || s->vaddr >= KC_KERNBASE)
			continue;
		if (s->vaddr - s->paddr != base)
			return false;
		n++;
	}
	return n > 0;
}

/* A segment (kcore's vmalloc area) starts at @va. */
static bool kc_segment_at(const struct kc *k, uint64_t va)
{
	int i;

	for (i = 0; i < k->nseg; i++)
		if (k->seg[i].vaddr == va)
			return true;
	return false;
}

const char *kc_layout(const struct kc *k, struct kc_layout *l)
{
	static char why[96];
	int i, la57 = bt_cpu_flag("la57");

	memset(l, 0, sizeof(*l));
	for (i = 0; i < KC_NSYMS; i++)
		if (!k->sym[i]) {
			snprintf(why, sizeof(why), "%s is not in /proc/kallsyms",
				 kc_names[i]);
			return why;
		}
	if (kc_u64(k, KC_PAGE_OFFSET_BASE, &l->page_offset_base) ||
	    kc_u64(k, KC_VMALLOC_BASE, &l->vmalloc_base) ||
	    kc_u64(k, KC_VMEMMAP_BASE, &l->vmemmap_base) ||
	    kc_u64(k, KC_PHYS_BASE, &l->phys_base) ||
	    kc_read(k, k->sym[KC_PGDIR_SHIFT], &l->pgdir_shift, 4))
		return "a layout variable does not read through /proc/kcore";
	if (kc_paddr(k, k->sym[KC_TEXT], &l->text_pa) ||
	    kc_paddr(k, k->sym[KC_INIT_TOP_PGT], &l->top_pgt))
		return "kcore gives _text or init_top_pgt no physical address";
	if (l->text_pa != k->sym[KC_TEXT] - KC_KERNBASE + l->phys_base)
		return "kcore's p_paddr of _text is not _text - __START_KERNEL_map + phys_base";
	if (!kc_direct_map_at(k, l->page_offset_base))
		return "kcore's direct-map segments are not at page_offset_base";
	if (!kc_segment_at(k, l->vmalloc_base))
		return "no kcore segment (the vmalloc area) starts at vmalloc_base";
	if (la57 < 0)
		return "la57 in /proc/cpuinfo on some CPUs only";
	l->levels = la57 ? 5 : 4;
	if (l->pgdir_shift != (la57 ? 48U : 39U))
		return "la57 in /proc/cpuinfo and the kernel's pgdir_shift disagree";
	return KC_OK;
}

/* cpu_tlbstate.loaded_mm of the CPU this runs on, pinned to it; 0 or -1. */
static int kc_loaded_mm(const struct kc *k, uint64_t *mm)
{
	cpu_set_t was, one;
	uint64_t off;
	int cpu = sched_getcpu(), ret = -1;

	if (cpu < 0 || sched_getaffinity(0, sizeof(was), &was))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -1;
	if (sched_getcpu() == cpu &&
	    !kc_read(k, k->sym[KC_PER_CPU_OFFSET] + 8ULL * cpu, &off, 8) &&
	    !kc_read(k, k->sym[KC_CPU_TLBSTATE] + off, mm, 8))
		ret = 0;
	sched_setaffinity(0, sizeof(was), &was);
	return ret;
}

/* @va of this process walks from @root to @pa; 0 or -1. */
static int kc_walks_to(const struct kc *k, const struct kc_layout *l,
		       uint64_t root, uint64_t va, uint64_t pa)
{
	uint64_t leaf;
	int level;

	if (mdv_walk(kc_read_entry, (void *)k, root, l->levels, va, &leaf,
		     &level))
		return -1;
	return mdv_leaf_pa(leaf, level, va) == pa ? 0 : -1;
}

/* Is @root this process's page table? Return: KC_OK or what is wrong. */
static const char *kc_check_root(const struct kc *k,
				 const struct kc_layout *l, uint64_t root)
{
	uint64_t mine[512], init[512], pa = 0;
	unsigned int first = (l->page_offset_base >> l->pgdir_shift) & 511;
	const char *why = KC_OK;
	uint8_t *page;

	if (kc_read_pa(k, root, mine, sizeof(mine)) ||
	    kc_read_pa(k, l->top_pgt, init, sizeof(init)))
		return "the root or init_top_pgt does not read through /proc/kcore";
	if (memcmp(mine + first, init + first, (512 - first) * 8))
		return "the root's kernel half is not init_top_pgt's";
	if (kc_walks_to(k, l, root, k->sym[KC_TEXT], l->text_pa))
		return "_text does not walk from the root to its physical address";
	page = bt_alloc_pinned(MDV_PG);
	if (!page || bt_pagemap_paddr(page, &pa) || !pa)
		why = "no pinned page with a /proc/self/pagemap frame";
	else if (kc_walks_to(k, l, root, (uintptr_t)page, pa))
		why = "a page of this process does not walk from the root to its pagemap frame";
	if (page)
		bt_free_pinned(page, MDV_PG);
	return why;
}

const char *kc_current_root(const struct kc *k, const struct kc_layout *l,
			    uint64_t *root)
{
	uint64_t words[KC_MM_WORDS], mm, pgd;
	int i;

	if (kc_read(k, k->sym[KC_INIT_MM], words, sizeof(words)))
		return "init_mm does not read through /proc/kcore";
	for (i = 0; i < KC_MM_WORDS; i++)
		if (words[i] == k->sym[KC_INIT_TOP_PGT])
			break;
	if (i == KC_MM_WORDS)
		return "init_mm does not hold init_top_pgt's address";
	if (kc_loaded_mm(k, &mm))
		return "cpu_tlbstate.loaded_mm does not read through /proc/kcore";
	if (kc_read(k, mm + 8ULL * i, &pgd, 8) || kc_paddr(k, pgd, root))
		return "this mm's pgd does not read through /proc/kcore";
	return kc_check_root(k, l, *root);
}
