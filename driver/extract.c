// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_EXTRACT_PADDR: the physical address and NUMA node behind a virtual
 * address of the calling process. A lockless page-table walk in the style
 * of GUP-fast: it never faults anything in, handles 4 KiB, 2 MiB and 1 GiB
 * leaves and PFN maps, and works with 4- and 5-level paging.
 */
#include <linux/irqflags.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/pfn.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <sys/memrange.h>

#include "bsdmem.h"

/*
 * Each level is read once into a local copy and the next level is found
 * from that copy, so an entry changing under us is seen consistently.
 */
static bool bsdmem_extract_walk_lockless(struct mm_struct *mm,
					 unsigned long va, phys_addr_t *pa)
{
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	pgd = READ_ONCE(*pgd_offset(mm, va));
	if (pgd_none(pgd) || !pgd_present(pgd))
		return false;
	p4d = READ_ONCE(*p4d_offset(&pgd, va));
	if (p4d_none(p4d) || !p4d_present(p4d))
		return false;
	pud = READ_ONCE(*pud_offset(&p4d, va));
	if (pud_none(pud) || !pud_present(pud))
		return false;
	if (pud_leaf(pud)) {
		*pa = PFN_PHYS(pud_pfn(pud)) | (va & ~PUD_MASK);
		return true;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, va));
	if (pmd_none(pmd) || !pmd_present(pmd))
		return false;
	if (pmd_leaf(pmd)) {
		*pa = PFN_PHYS(pmd_pfn(pmd)) | (va & ~PMD_MASK);
		return true;
	}
	pte = ptep_get_lockless(pte_offset_kernel(&pmd, va));
	/* pte_present() includes PROT_NONE (NUMA-hinting) entries, as wanted. */
	if (!pte_present(pte))
		return false;
	*pa = PFN_PHYS(pte_pfn(pte)) | offset_in_page(va);
	return true;
}

/**
 * bsdmem_extract_walk() - find the page an address of @mm maps right now
 * @mm: address space; the caller holds its mmap lock
 * @va: user virtual address
 * @pa: the physical address, offset included, when found
 *
 * Interrupts are off for the walk: page-table pages are freed only after
 * an IPI or an RCU grace period, which cannot complete meanwhile.
 *
 * Return: true if a present translation exists.
 */
bool bsdmem_extract_walk(struct mm_struct *mm, unsigned long va,
			 phys_addr_t *pa)
{
	unsigned long flags;
	bool found;

	local_irq_save(flags);
	found = bsdmem_extract_walk_lockless(mm, va, pa);
	local_irq_restore(flags);
	return found;
}

/* 0 on one node (as FreeBSD); the page's node, or the firmware's, or -1. */
static int bsdmem_extract_node(phys_addr_t pa)
{
	struct page *page;

	if (num_online_nodes() <= 1)
		return 0;
	if (bsdmem_phys_classify(pa) == BSDMEM_PHYS_RAM) {
		page = pfn_to_online_page(PHYS_PFN(pa));
		if (page)
			return page_to_nid(page);
	}
	return phys_to_target_node(pa);
}

/**
 * bsdmem_extract_paddr() - answer MEM_EXTRACT_PADDR for the current process
 * @me: the request; me_state, and me_paddr and me_domain when they are
 *	known, are filled in
 *
 * No mapping: ME_STATE_INVALID, other fields untouched. A mapping without
 * a present page: ME_STATE_VALID and me_paddr 0. A present page:
 * ME_STATE_MAPPED with its address and node.
 */
void bsdmem_extract_paddr(struct mem_extract *me)
{
	struct mm_struct *mm = current->mm;
	unsigned long va = me->me_vaddr;
	phys_addr_t pa = 0;
	bool mapped;

	me->me_state = ME_STATE_INVALID;
	if (!mm || me->me_vaddr != va)
		return;

	mmap_read_lock(mm);
	if (!vma_lookup(mm, va)) {
		mmap_read_unlock(mm);
		return;
	}
	mapped = bsdmem_extract_walk(mm, va, &pa);
	mmap_read_unlock(mm);

	if (!mapped) {
		me->me_state = ME_STATE_VALID;
		me->me_paddr = 0;
		return;
	}
	me->me_state = ME_STATE_MAPPED;
	me->me_paddr = pa;
	me->me_domain = bsdmem_extract_node(pa);
}
