// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdmem: physical memory. The file offset is a physical address.
 * read and write work a page at a time by the page's class (phys.c); mmap
 * maps a page-aligned range only if every page in it may be accessed, with
 * the type of the memory ranges covering it (memrange.c).
 */
#include <linux/fs.h>
#include <linux/mm.h>

#include "bsdmem.h"

static int bsdmem_page(u64 pa, void *bounce, size_t len, bool write,
		       struct bsdmem_phys_span *span)
{
	enum bsdmem_phys_class class = bsdmem_phys_classify_span(pa, span);

	switch (class) {
	case BSDMEM_PHYS_RAM:
		return write ? bsdmem_phys_write_ram(pa, bounce, len) :
			       bsdmem_phys_read_ram(bounce, pa, len);
	case BSDMEM_PHYS_IO:
		return write ? bsdmem_phys_write_io(pa, bounce, len) :
			       bsdmem_phys_read_io(bounce, pa, len);
	default:
		return bsdmem_phys_errno(class);
	}
}

static ssize_t bsdmem_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	return bsdmem_file_transfer(buf, count, ppos, false, bsdmem_page);
}

static ssize_t bsdmem_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return bsdmem_file_transfer((char __user *)buf, count, ppos, true,
				    bsdmem_page);
}

/*
 * ptrace, gdb and /proc/PID/mem reach a VM_PFNMAP mapping only through
 * this hook. RAM is copied through the direct map (generic_access_phys()
 * would ioremap it, which warns); device memory goes the generic way.
 * The page actually mapped is looked up, so private copies made by
 * copy-on-write are read, not the physical page behind them.
 */
static int bsdmem_vma_access(struct vm_area_struct *vma, unsigned long addr,
			     void *buf, int len, int write)
{
	enum bsdmem_phys_class class;
	phys_addr_t pa;
	int err;

	len = min_t(int, len, PAGE_SIZE - offset_in_page(addr));
	if (write && (!bsdmem_main_writable() ||
		      (vma->vm_flags & (VM_SHARED | VM_WRITE)) !=
		      (VM_SHARED | VM_WRITE)))
		return -EPERM;
	if (!bsdmem_pgwalk_user(vma->vm_mm, addr, &pa))
		return -EFAULT;

	class = bsdmem_phys_classify(pa);
	switch (class) {
	case BSDMEM_PHYS_RAM:
		err = write ? bsdmem_phys_write_ram(pa, buf, len) :
			      bsdmem_phys_read_ram(buf, pa, len);
		return err ? err : len;
	case BSDMEM_PHYS_IO:
		return generic_access_phys(vma, addr, buf, len, write);
	default:
		return bsdmem_phys_errno(class);
	}
}

static const struct vm_operations_struct bsdmem_vm_ops = {
	.access = bsdmem_vma_access,
};

static int bsdmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 len = vma->vm_end - vma->vm_start;
	phys_addr_t start;
	pgprot_t fallback;
	bool shared_write;
	int err;

	err = bsdmem_main_check_access();
	if (err)
		return err;
	if (vma->vm_pgoff > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;
	start = (phys_addr_t)vma->vm_pgoff << PAGE_SHIFT;

	/* A shared mapping made read-only stays so: mprotect cannot widen it. */
	if ((vma->vm_flags & VM_SHARED) && !(vma->vm_flags & VM_WRITE))
		vm_flags_clear(vma, VM_MAYWRITE);
	shared_write = (vma->vm_flags & (VM_SHARED | VM_WRITE)) ==
		       (VM_SHARED | VM_WRITE);

	if (shared_write && !bsdmem_main_writable())
		return -EPERM;
	err = bsdmem_phys_range_check(start, len, shared_write);
	if (err)
		return err;

	/*
	 * A memory range's type, else write-back as /dev/mem; O_DSYNC asks
	 * for uncached device memory.
	 */
	fallback = vma->vm_page_prot;
	if ((file->f_flags & O_DSYNC) && !bsdmem_phys_range_has_ram(start, len))
		fallback = pgprot_noncached(fallback);
	vma->vm_ops = &bsdmem_vm_ops;
	return bsdmem_memrange_remap(vma, start, len, fallback);
}

const struct file_operations bsdmem_fops = {
	.owner		= THIS_MODULE,
	BSDMEM_FOP_FLAGS
	.open		= bsdmem_file_open,
	.llseek		= bsdmem_file_llseek,
	.read		= bsdmem_read,
	.write		= bsdmem_write,
	.mmap		= bsdmem_mmap,
	.unlocked_ioctl	= bsdmem_ioctl,
	.compat_ioctl	= bsdmem_compat_ioctl,
};
