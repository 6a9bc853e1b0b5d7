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
#include <linux/mm.h>

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
 * 6.5 added unaccepted memory (TDX, SNP guests) and the EFI table whose
 * bitmap says which units the firmware has not accepted yet (a bit is
 * cleared only once its unit is accepted). 6.1 has neither: no table.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
struct efi_unaccepted_memory {
	u32 version;
	u32 unit_size;
	u64 phys_base;
	u64 size;
	unsigned long bitmap[];
};
#else
/* Declared there; a kernel without CONFIG_EFI never includes it for us. */
#include <linux/efi.h>
#endif
#ifdef CONFIG_UNACCEPTED_MEMORY
#include <asm/unaccepted_memory.h>
#else
static inline struct efi_unaccepted_memory *efi_get_unaccepted_table(void)
{
	return NULL;
}
#endif

/* 6.3 (commit "fs: port to struct mnt_idmap") replaced file_mnt_user_ns(). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline struct user_namespace *file_mnt_idmap(const struct file *file)
{
	return file_mnt_user_ns((struct file *)file);
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

/*
 * 6.8 (commit "fs: move file_start_write() into vfs_iter_write()") made
 * vfs_iter_write() take the file system's freeze protection itself; before,
 * its callers did.
 */
#include <linux/uio.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
static inline ssize_t bsdmem_vfs_iter_write(struct file *file,
					    struct iov_iter *iter, loff_t *pos)
{
	ssize_t n;

	file_start_write(file);
	n = vfs_iter_write(file, iter, pos, 0);
	file_end_write(file);
	return n;
}
#else
static inline ssize_t bsdmem_vfs_iter_write(struct file *file,
					    struct iov_iter *iter, loff_t *pos)
{
	return vfs_iter_write(file, iter, pos, 0);
}
#endif

#endif /* _BSDMEM_COMPAT_H */
