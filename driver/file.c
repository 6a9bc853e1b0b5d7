// SPDX-License-Identifier: GPL-2.0
/*
 * What /dev/bsdmem and /dev/bsdkmem share as files: open (the access
 * policy, unsigned offsets), lseek over 64-bit unsigned offsets, and the
 * page-by-page transfer loop that read and write run with a per-device
 * function for one page.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "bsdmem.h"

/**
 * bsdmem_file_open() - open either device: the access policy, unsigned offsets
 * @inode: device inode
 * @file: the new file
 *
 * Return: 0 or -EPERM.
 */
int bsdmem_file_open(struct inode *inode, struct file *file)
{
	int err = bsdmem_main_check_access();

	if (err)
		return err;
	bsdmem_file_set_unsigned_offset(file);
	return 0;
}

/**
 * bsdmem_file_llseek() - SEEK_SET and SEEK_CUR over unsigned 64-bit offsets
 * @file: the open device
 * @offset: new or relative offset
 * @whence: SEEK_SET or SEEK_CUR
 *
 * A position in the last 4095 values would read back from lseek(2) as an
 * errno, so it is refused with -EOVERFLOW.
 *
 * Return: the new position, or -EINVAL / -EOVERFLOW.
 */
loff_t bsdmem_file_llseek(struct file *file, loff_t offset, int whence)
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

/**
 * bsdmem_file_transfer() - move bytes between a user buffer and memory
 * @ubuf: user buffer
 * @count: bytes requested
 * @ppos: file position, advanced by what was moved
 * @write: direction
 * @page_fn: moves up to one page between the bounce page and memory; it
 *	may remember, for the pages after, a span of RAM it has checked
 *
 * Work is split at page boundaries and user memory is only touched
 * through a bounce page, never straight from an arbitrary kernel address.
 * Once anything moved, an error or a pending signal ends the transfer
 * with the short count (FreeBSD's rule).
 *
 * Return: bytes moved, or -errno if nothing moved.
 */
ssize_t bsdmem_file_transfer(char __user *ubuf, size_t count, loff_t *ppos,
			     bool write, bsdmem_page_fn page_fn)
{
	struct bsdmem_phys_span span = { };
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
		err = page_fn(pos, bounce, len, write, &span);
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
