/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bsdmem internal interfaces shared by the driver's files: access policy
 * (main.c), the page policy (phys.c) and fault-safe copies (nofault.c),
 * the devices (file.c, mem.c, kmem.c), the ioctl dispatcher (ioctl.c),
 * memory ranges (memrange.c), MEM_EXTRACT_PADDR (pgwalk.c, extract.c) and
 * the entry of MEM_KERNELDUMP (livedump.c; its pipeline is livedump.h's).
 */
#ifndef _BSDMEM_H
#define _BSDMEM_H

#include <linux/fs.h>
#include <linux/sysfs.h>
#include <linux/mm_types.h>
#include <linux/moduleparam.h>
#include <linux/types.h>

/*
 * The dump's buffers: when one cannot be had, that is the caller's ENOMEM,
 * not a page-allocation report in the kernel log (nothing userspace does
 * may make bsdmem warn).
 */
#define BSDMEM_GFP		(GFP_KERNEL | __GFP_NOWARN)
#define BSDMEM_GFP_ZERO		(BSDMEM_GFP | __GFP_ZERO)

struct mem_extract;

/* main.c: who may do what, checked at every operation */
int bsdmem_main_check_access(void);
int bsdmem_main_check_write(void);
bool bsdmem_main_writable(void);
int bsdmem_main_param_range(const char *val, const struct kernel_param *kp,
			    unsigned int min, unsigned int max);

/* phys.c: the one page policy, and how each class is copied */
enum bsdmem_phys_class {
	BSDMEM_PHYS_RAM,	/* System RAM that may be read (direct map) */
	BSDMEM_PHYS_RAM_BAD,	/* RAM that must not be touched (SPEC §3.1) */
	BSDMEM_PHYS_IO,		/* anything else below the CPU limit: ioremap it */
	BSDMEM_PHYS_CLAIMED,	/* non-RAM claimed by a driver (busy resource) */
	BSDMEM_PHYS_BEYOND,	/* above the CPU's physical address limit */
};

/*
 * Pages [start, end) that one check found to be System RAM under the range
 * rules as a whole, so that only the per-page rules remain; empty: none.
 */
struct bsdmem_phys_span {
	phys_addr_t start, end;
};

enum bsdmem_phys_class bsdmem_phys_classify(phys_addr_t pa);
enum bsdmem_phys_class bsdmem_phys_classify_span(phys_addr_t pa,
						 struct bsdmem_phys_span *span);
bool bsdmem_phys_ram_range_ok(phys_addr_t start, u64 len);
bool bsdmem_phys_ram_page_ok(unsigned long pfn);
int bsdmem_phys_range_check(phys_addr_t start, u64 len, bool write);
bool bsdmem_phys_range_valid(phys_addr_t start, u64 len);
bool bsdmem_phys_range_claimed(phys_addr_t start, u64 len);
bool bsdmem_phys_range_has_ram(phys_addr_t start, u64 len);
int bsdmem_phys_errno(enum bsdmem_phys_class class);
int bsdmem_phys_read_ram(void *dst, phys_addr_t pa, size_t len);
int bsdmem_phys_write_ram(phys_addr_t pa, const void *src, size_t len);
int bsdmem_phys_read_io(void *dst, phys_addr_t pa, size_t len);
int bsdmem_phys_write_io(phys_addr_t pa, const void *src, size_t len);
int bsdmem_phys_read_page(void *dst, unsigned long pfn);

/* nofault.c: copies that survive a page vanishing under them */
int bsdmem_nofault_read(void *dst, const void *src, size_t len);
int bsdmem_nofault_write(void *dst, const void *src, size_t len);
int bsdmem_nofault_copy_page(void *dst, const void *src);

/* file.c: what both devices share; mem.c, kmem.c: the devices */
typedef int (*bsdmem_page_fn)(u64 pos, void *bounce, size_t len, bool write,
			      struct bsdmem_phys_span *span);

int bsdmem_file_open(struct inode *inode, struct file *file);
loff_t bsdmem_file_llseek(struct file *file, loff_t offset, int whence);
ssize_t bsdmem_file_transfer(char __user *ubuf, size_t count, loff_t *ppos,
			     bool write, bsdmem_page_fn page_fn);
extern const struct file_operations bsdmem_fops;
extern const struct file_operations bsdkmem_fops;

/* ioctl.c */
long bsdmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long bsdmem_compat_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg);

/* memrange.c */
struct mem_range_desc;
extern const struct attribute_group bsdmem_memrange_group;
int bsdmem_memrange_init(void);
void bsdmem_memrange_uninit(void);
int bsdmem_memrange_get(struct mem_range_desc __user *udesc, s32 *nd);
int bsdmem_memrange_set(const struct mem_range_desc __user *udesc, s32 op);
int bsdmem_memrange_read_io(void *dst, phys_addr_t pa, size_t len);
int bsdmem_memrange_write_io(phys_addr_t pa, const void *src, size_t len);
int bsdmem_memrange_remap(struct vm_area_struct *vma, phys_addr_t start,
			  u64 len, pgprot_t fallback);

/* pgwalk.c: the page a user address maps; extract.c: MEM_EXTRACT_PADDR */
bool bsdmem_pgwalk_user(struct mm_struct *mm, unsigned long va,
			phys_addr_t *pa);
void bsdmem_extract_paddr(struct mem_extract *me);

/* livedump.c: MEM_KERNELDUMP (its pipeline in livedump.h), progress in sysfs */
extern const struct attribute_group bsdmem_livedump_group;
long bsdmem_livedump_ioctl(const void __user *uarg);

#endif /* _BSDMEM_H */
