// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdkmem: kernel virtual memory. The file offset is a kernel virtual
 * address (use lseek + read: pread refuses offsets with the top bit set).
 * A page is reachable when the kernel page tables map it to RAM; it is
 * copied from its own address with fault-safe accessors. No mmap.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <asm/pgtable.h>

#include "bsdmem.h"

static bool bsdkmem_is_kernel_va(unsigned long va)
{
	/* Canonical upper half for the paging depth in use (4 or 5 levels). */
	return va >= (unsigned long)(-1L << __VIRTUAL_MASK_SHIFT);
}

/*
 * Translate a kernel VA with the kernel's own page tables. Only RAM
 * counts: a VA that maps device memory (ioremap) is refused, since a read
 * could have side effects.
 */
static int bsdkmem_translate(unsigned long va, bool *writable)
{
	unsigned long pfn;
	unsigned int level;
	pte_t *ptep;
	pte_t pte;

	if (!bsdkmem_is_kernel_va(va))
		return -EFAULT;
	ptep = lookup_address(va, &level);
	if (!ptep)
		return -EFAULT;
	pte = READ_ONCE(*ptep);
	/* Not pte_present(): a kernel PTE's GLOBAL bit reads as PROTNONE. */
	if (!(pte_flags(pte) & _PAGE_PRESENT))
		return -EFAULT;

	switch (level) {
	case PG_LEVEL_4K:
		pfn = pte_pfn(pte);
		break;
	case PG_LEVEL_2M:
		pfn = pmd_pfn(__pmd(pte_val(pte))) +
		      ((va & ~PMD_MASK) >> PAGE_SHIFT);
		break;
	case PG_LEVEL_1G:
		pfn = pud_pfn(__pud(pte_val(pte))) +
		      ((va & ~PUD_MASK) >> PAGE_SHIFT);
		break;
	default:
		return -EFAULT;
	}
	if (bsdmem_phys_classify(PFN_PHYS(pfn)) != BSDMEM_PHYS_RAM)
		return -EFAULT;
	*writable = pte_write(pte);
	return 0;
}

static int bsdkmem_page(u64 pos, void *bounce, size_t len, bool write,
			struct bsdmem_phys_span *span)
{
	unsigned long va = pos;
	bool writable;
	int err;

	err = bsdkmem_translate(va, &writable);
	if (err)
		return err;
	if (write) {
		if (!writable)
			return -EFAULT;
		return bsdmem_nofault_write((void *)va, bounce, len);
	}
	return bsdmem_nofault_read(bounce, (void *)va, len);
}

static ssize_t bsdkmem_read(struct file *file, char __user *buf,
			    size_t count, loff_t *ppos)
{
	return bsdmem_file_transfer(buf, count, ppos, false, bsdkmem_page);
}

static ssize_t bsdkmem_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	return bsdmem_file_transfer((char __user *)buf, count, ppos, true,
				    bsdkmem_page);
}

/* FreeBSD refuses to mmap /dev/kmem too. */
static int bsdkmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

const struct file_operations bsdkmem_fops = {
	.owner		= THIS_MODULE,
	BSDMEM_FOP_FLAGS
	.open		= bsdmem_file_open,
	.llseek		= bsdmem_file_llseek,
	.read		= bsdkmem_read,
	.write		= bsdkmem_write,
	.mmap		= bsdkmem_mmap,
	.unlocked_ioctl	= bsdmem_ioctl,
	.compat_ioctl	= bsdmem_compat_ioctl,
};
