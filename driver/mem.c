// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdmem: physical memory. The file offset is a physical address;
 * read and write work a page at a time by page class (see phys.c), mmap
 * maps any page-aligned range below the CPU limit that no driver claims.
 * Also holds the page-by-page transfer loop that /dev/bsdkmem shares.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "bsdmem.h"

/**
 * bsdmem_mem_transfer() - move bytes between a user buffer and memory
 * @ubuf: user buffer
 * @count: bytes requested
 * @ppos: file position, advanced by what was moved
 * @write: direction
 * @page_fn: moves up to one page between the bounce page and memory
 *
 * Work is split at page boundaries and user memory is only touched
 * through a bounce page, never straight from an arbitrary kernel address.
 * Once anything moved, an error or a pending signal ends the transfer
 * with the short count (FreeBSD's rule).
 *
 * Return: bytes moved, or -errno if nothing moved.
 */
ssize_t bsdmem_mem_transfer(char __user *ubuf, size_t count, loff_t *ppos,
			    bool write, bsdmem_page_fn page_fn)
{
	u64 pos = *ppos;
	ssize_t done = 0;
	void *bounce;
	int err;

	err = write ? bsdmem_main_check_write() : bsdmem_main_check_access();
	if (err)
		return err;
	if (!count)
		return 0;
	bounce = (void *)__get_free_page(GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (count) {
		size_t len = min_t(size_t, count, PAGE_SIZE - offset_in_page(pos));

		if (write && copy_from_user(bounce, ubuf, len)) {
			err = -EFAULT;
			break;
		}
		err = page_fn(pos, bounce, len, write);
		if (err)
			break;
		if (!write && copy_to_user(ubuf, bounce, len)) {
			err = -EFAULT;
			break;
		}
		pos += len;
		ubuf += len;
		count -= len;
		done += len;
		if (signal_pending(current))
			break;
		cond_resched();
	}

	free_page((unsigned long)bounce);
	*ppos = pos;
	return done ? done : err;
}

static int bsdmem_page(u64 pa, void *bounce, size_t len, bool write)
{
	enum bsdmem_phys_class class = bsdmem_phys_classify(pa);

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
	return bsdmem_mem_transfer(buf, count, ppos, false, bsdmem_page);
}

static ssize_t bsdmem_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return bsdmem_mem_transfer((char __user *)buf, count, ppos, true,
				   bsdmem_page);
}

/**
 * bsdmem_mem_llseek() - SEEK_SET and SEEK_CUR over unsigned 64-bit offsets
 * @file: the open device
 * @offset: new or relative offset
 * @whence: SEEK_SET or SEEK_CUR
 *
 * A position in the last 4095 values would read back from lseek(2) as an
 * errno, so it is refused with -EOVERFLOW.
 *
 * Return: the new position, or -EINVAL / -EOVERFLOW.
 */
loff_t bsdmem_mem_llseek(struct file *file, loff_t offset, int whence)
{
	u64 pos;
	loff_t ret;

	if (whence != SEEK_SET && whence != SEEK_CUR)
		return -EINVAL;

	inode_lock(file_inode(file));
	pos = (u64)offset;
	if (whence == SEEK_CUR)
		pos += (u64)file->f_pos;
	if (IS_ERR_VALUE((unsigned long)pos)) {
		ret = -EOVERFLOW;
	} else {
		file->f_pos = pos;
		ret = pos;
		force_successful_syscall_return();
	}
	inode_unlock(file_inode(file));
	return ret;
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
	phys_addr_t pa;
	int err;

	len = min_t(int, len, PAGE_SIZE - offset_in_page(addr));
	if (write && (!bsdmem_main_writable() ||
		      (vma->vm_flags & (VM_SHARED | VM_WRITE)) !=
		      (VM_SHARED | VM_WRITE)))
		return -EPERM;
	if (!bsdmem_extract_walk(vma->vm_mm, addr, &pa))
		return -EFAULT;

	switch (bsdmem_phys_classify(pa)) {
	case BSDMEM_PHYS_RAM:
		err = write ? bsdmem_phys_write_ram(pa, buf, len) :
			      bsdmem_phys_read_ram(buf, pa, len);
		return err ? err : len;
	case BSDMEM_PHYS_IO:
		return generic_access_phys(vma, addr, buf, len, write);
	default:
		return -EFAULT;
	}
}

static const struct vm_operations_struct bsdmem_vm_ops = {
	.access = bsdmem_vma_access,
};

static int bsdmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 len = vma->vm_end - vma->vm_start;
	phys_addr_t start;
	int err;

	err = bsdmem_main_check_access();
	if (err)
		return err;
	if (vma->vm_pgoff > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;
	start = (phys_addr_t)vma->vm_pgoff << PAGE_SHIFT;
	if (!bsdmem_phys_range_valid(start, len))
		return -EINVAL;
	if (bsdmem_phys_range_claimed(start, len))
		return -EPERM;

	if ((vma->vm_flags & VM_SHARED) && !bsdmem_main_writable()) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		vm_flags_clear(vma, VM_MAYWRITE);
	}

	/*
	 * A memory range's type, else write-back as /dev/mem; O_DSYNC asks
	 * for uncached device memory.
	 */
	err = bsdmem_memrange_mmap_prot(start, len, &vma->vm_page_prot);
	if (err == -EINVAL)
		return err;
	if (err && (file->f_flags & O_DSYNC) &&
	    !bsdmem_phys_range_has_ram(start, len))
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);

	vma->vm_ops = &bsdmem_vm_ops;
	return remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, len,
			       vma->vm_page_prot);
}

/**
 * bsdmem_mem_open() - open either device: the access policy, unsigned offsets
 * @inode: device inode
 * @file: the new file
 *
 * Return: 0 or -EPERM.
 */
int bsdmem_mem_open(struct inode *inode, struct file *file)
{
	int err = bsdmem_main_check_access();

	if (err)
		return err;
	bsdmem_file_set_unsigned_offset(file);
	return 0;
}

const struct file_operations bsdmem_fops = {
	.owner		= THIS_MODULE,
	BSDMEM_FOP_FLAGS
	.open		= bsdmem_mem_open,
	.llseek		= bsdmem_mem_llseek,
	.read		= bsdmem_read,
	.write		= bsdmem_write,
	.mmap		= bsdmem_mmap,
	.unlocked_ioctl	= bsdmem_ioctl,
	.compat_ioctl	= bsdmem_compat_ioctl,
};
