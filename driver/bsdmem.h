/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bsdmem internal interfaces shared by the driver's files: access policy
 * (main.c), physical page classification (phys.c), the device operations
 * (mem.c, kmem.c), the ioctl dispatcher (ioctl.c) and MEM_EXTRACT_PADDR
 * (extract.c).
 */
#ifndef _BSDMEM_H
#define _BSDMEM_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct mem_extract;

/* main.c: who may do what, checked at every operation */
int bsdmem_main_check_access(void);
int bsdmem_main_check_write(void);
bool bsdmem_main_writable(void);

/* phys.c: what a physical page is and how it may be touched */
enum bsdmem_phys_class {
	BSDMEM_PHYS_RAM,	/* online System RAM, read through the direct map */
	BSDMEM_PHYS_RAM_BAD,	/* RAM that must not be touched: offline, poisoned */
	BSDMEM_PHYS_IO,		/* anything else below the CPU limit: ioremap it */
	BSDMEM_PHYS_CLAIMED,	/* non-RAM claimed by a driver (busy resource) */
	BSDMEM_PHYS_BEYOND,	/* above the CPU's physical address limit */
};

enum bsdmem_phys_class bsdmem_phys_classify(phys_addr_t pa);
bool bsdmem_phys_range_valid(phys_addr_t start, u64 len);
bool bsdmem_phys_range_claimed(phys_addr_t start, u64 len);
bool bsdmem_phys_range_has_ram(phys_addr_t start, u64 len);
int bsdmem_phys_read_ram(void *dst, phys_addr_t pa, size_t len);
int bsdmem_phys_write_ram(phys_addr_t pa, const void *src, size_t len);
int bsdmem_phys_read_io(void *dst, phys_addr_t pa, size_t len);
int bsdmem_phys_write_io(phys_addr_t pa, const void *src, size_t len);
int bsdmem_phys_errno(enum bsdmem_phys_class class);
int bsdmem_phys_poke(void *dst, const void *src, size_t len);

/* mem.c, kmem.c: the two devices */
typedef int (*bsdmem_page_fn)(u64 pos, void *bounce, size_t len, bool write);

extern const struct file_operations bsdmem_fops;
extern const struct file_operations bsdkmem_fops;
loff_t bsdmem_mem_llseek(struct file *file, loff_t offset, int whence);
ssize_t bsdmem_mem_transfer(char __user *ubuf, size_t count, loff_t *ppos,
			    bool write, bsdmem_page_fn page_fn);
int bsdmem_mem_open(struct inode *inode, struct file *file);

/* ioctl.c */
long bsdmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long bsdmem_compat_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg);

/* extract.c */
void bsdmem_extract_paddr(struct mem_extract *me);
bool bsdmem_extract_walk(struct mm_struct *mm, unsigned long va,
			 phys_addr_t *pa);

#endif /* _BSDMEM_H */
