// SPDX-License-Identifier: GPL-2.0
/*
 * Which physical page a user address maps right now, for MEM_EXTRACT_PADDR
 * and for the mmap access handler of /dev/bsdmem: a lockless page-table
 * walk in the style of GUP-fast. It never faults anything in, handles
 * 4 KiB, 2 MiB and 1 GiB leaves and PFN maps, 4- and 5-level paging.
 */
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/pgtable.h>

#include "bsdmem.h"

/*
 * Each level is read once into a local copy and the next level is found
 * from that copy, so an entry changing under us is seen consistently.
 */
static bool bsdmem_pgwalk_lockless(struct mm_struct *mm, unsigned long va,
				   phys_addr_t *pa)
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
 * bsdmem_pgwalk_user() - find the page an address of @mm maps right now
 * @mm: address space; the caller holds its mmap lock
 * @va: user virtual address
 * @pa: the physical address, offset included, when found
 *
 * Interrupts are off for the walk: page-table pages are freed only after
 * an IPI or an RCU grace period, which cannot complete meanwhile.
 *
 * Return: true if a present translation exists.
 */
bool bsdmem_pgwalk_user(struct mm_struct *mm, unsigned long va,
			phys_addr_t *pa)
{
	unsigned long flags;
	bool found;

	local_irq_save(flags);
	found = bsdmem_pgwalk_lockless(mm, va, pa);
	local_irq_restore(flags);
	return found;
}
