/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place in bsdmem that knows kernel versions (Linux 6.1 to 6.12).
 * Forced into every driver file with -include. Shims keep the upstream
 * name, so call sites read as code for the newest kernel.
 */
#ifndef _BSDMEM_COMPAT_H
#define _BSDMEM_COMPAT_H

/* Every message of the module starts with its name. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/page-flags.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#warning "bsdmem is tested on Linux 6.1 to 6.12 only"
#endif

/*
 * 6.12 (commit "fs: add FOP_UNSIGNED_OFFSET") moved the unsigned-offset
 * flag from file->f_mode, set at open, to file_operations.fop_flags.
 */
#ifdef FOP_UNSIGNED_OFFSET
#define BSDMEM_FOP_FLAGS	.fop_flags = FOP_UNSIGNED_OFFSET,
static inline void bsdmem_file_set_unsigned_offset(struct file *file)
{
}
#else
#define BSDMEM_FOP_FLAGS
static inline void bsdmem_file_set_unsigned_offset(struct file *file)
{
	file->f_mode |= FMODE_UNSIGNED_OFFSET;
}
#endif

/* 6.3 made vma->vm_flags read-only and added vm_flags_set/clear. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 6.9 (commit "crash: split vmcoreinfo exporting code out from
 * crash_core.c") moved paddr_vmcoreinfo_note() and VMCOREINFO_NOTE_SIZE
 * to linux/vmcore_info.h.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#include <linux/vmcore_info.h>
#else
#include <linux/crash_core.h>
#endif

/*
 * The largest buddy order. Before 6.4 MAX_ORDER was exclusive (orders
 * 0..MAX_ORDER-1); 6.4 made it inclusive and 6.8 renamed it
 * MAX_PAGE_ORDER.
 */
#ifndef MAX_PAGE_ORDER
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define MAX_PAGE_ORDER	(MAX_ORDER - 1)
#else
#define MAX_PAGE_ORDER	MAX_ORDER
#endif
#endif

/*
 * 6.5 added unaccepted memory (TDX, SNP guests): memory the firmware has
 * not yet accepted waits on a zone list in whole MAX_PAGE_ORDER blocks,
 * the block's first page typed Unaccepted (page-flags.h), until the
 * allocator accepts it; touching it before that can kill the guest.
 * range_contains_unaccepted_memory() is not exported, the page type is an
 * inline test. 6.1 has neither the feature nor its Kconfig symbol.
 */
#ifdef CONFIG_UNACCEPTED_MEMORY
static inline bool bsdmem_pfn_unaccepted(unsigned long pfn)
{
	struct page *head = pfn_to_online_page(ALIGN_DOWN(pfn,
						     MAX_ORDER_NR_PAGES));

	return head && PageUnaccepted(head);
}
#else
static inline bool bsdmem_pfn_unaccepted(unsigned long pfn)
{
	return false;
}
#endif

/*
 * arch/x86/kernel/cpu/mtrr exports mtrr_state (GPL) but declares it only
 * in its private mtrr.h, on 6.1 and 6.12 alike; memrange_x86.c reads the
 * kernel's copy of the MTRRs from it.
 */
#ifdef CONFIG_MTRR
#include <asm/mtrr.h>
extern struct mtrr_state_type mtrr_state;
#endif

#endif /* _BSDMEM_COMPAT_H */
