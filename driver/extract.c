// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_EXTRACT_PADDR: the physical address and NUMA node behind a virtual
 * address of the calling process, found by the lockless walk of pgwalk.c
 * under the mmap lock.
 */
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/pfn.h>
#include <linux/sched.h>
#include <sys/memrange.h>

#include "bsdmem.h"

/* 0 on one node (as FreeBSD); the page's node, or the firmware's, or -1. */
static int bsdmem_extract_node(phys_addr_t pa)
{
	struct page *page;

	if (num_online_nodes() <= 1)
		return 0;
	page = pfn_to_online_page(PHYS_PFN(pa));
	if (page)
		return page_to_nid(page);
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
	mapped = bsdmem_pgwalk_user(mm, va, &pa);
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
