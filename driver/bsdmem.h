/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bsdmem internal interfaces shared by the driver's files: access policy
 * (main.c), physical page classification (phys.c), the device operations
 * (mem.c, kmem.c), the ioctl dispatcher (ioctl.c), MEM_EXTRACT_PADDR
 * (extract.c) and MEM_KERNELDUMP (livedump.c, minidump.c, dumpset.c,
 * sink.c).
 */
#ifndef _BSDMEM_H
#define _BSDMEM_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/sysfs.h>
#include <linux/mm_types.h>
#include <linux/moduleparam.h>
#include <linux/types.h>

struct bsdmem_compress;
struct mem_extract;

/* main.c: who may do what, checked at every operation */
int bsdmem_main_check_access(void);
int bsdmem_main_check_write(void);
bool bsdmem_main_writable(void);
int bsdmem_main_param_range(const char *val, const struct kernel_param *kp,
			    unsigned int min, unsigned int max);

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

/* memrange.c */
struct mem_range_desc;
extern const struct attribute_group bsdmem_memrange_group;
int bsdmem_memrange_init(void);
void bsdmem_memrange_uninit(void);
int bsdmem_memrange_get(struct mem_range_desc __user *udesc, s32 *nd);
int bsdmem_memrange_set(const struct mem_range_desc __user *udesc, s32 op);
void __iomem *bsdmem_memrange_ioremap_page(phys_addr_t pa);
int bsdmem_memrange_mmap_prot(phys_addr_t start, u64 len, pgprot_t *prot);

/* extract.c */
void bsdmem_extract_paddr(struct mem_extract *me);
bool bsdmem_extract_walk(struct mm_struct *mm, unsigned long va,
			 phys_addr_t *pa);

/* livedump.c: MEM_KERNELDUMP, and its progress in sysfs */
extern const struct attribute_group bsdmem_livedump_group;
long bsdmem_livedump_ioctl(const void __user *uarg);

/* dumpset.c: which pages a dump holds, decided once per dump */
#define BSDMEM_KERNBASE			__START_KERNEL_map
#define BSDMEM_DUMPSET_PMAP_SIZE	(2 * PAGE_SIZE)	/* kernbase to 2^64 */
#define BSDMEM_DUMPSET_MAX_RANGES	2040

/* A System RAM range and where its pages start in the bitmap. */
struct bsdmem_dumpset_range {
	u64 start_pfn;
	u64 end_pfn;		/* exclusive */
	u64 first_bit;
};

struct bsdmem_dumpset {
	struct bsdmem_dumpset_range *ranges;	/* ascending, merged */
	unsigned int nranges;
	u64 nbits;		/* RAM pages in all ranges */
	unsigned long *bitmap;	/* one bit per RAM page: in the dump */
	size_t bitmap_size;	/* bytes, a multiple of PAGE_SIZE */
	u64 ndata;		/* bits set */
	u64 *pmap;		/* PDEs from kernbase up */
	u64 *walk;		/* one copied table per paging level */
	int levels;		/* 4 or 5 */
};

int bsdmem_dumpset_build(struct bsdmem_dumpset *ds, bool allram);
void bsdmem_dumpset_free(struct bsdmem_dumpset *ds);
bool bsdmem_dumpset_next(const struct bsdmem_dumpset *ds, u64 *bit,
			 unsigned long *pfn);
int bsdmem_dumpset_read_page(void *dst, unsigned long pfn);
u64 bsdmem_dumpset_root(void);

/* minidump.c: the dump body, FreeBSD amd64 minidump version 3 */
struct bsdmem_minidump {
	struct bsdmem_dumpset ds;
	char *msg;		/* kernel log text, oldest line first */
	size_t msglen;
	u64 *avail;		/* dump_avail pairs, ended by 0,0 */
	size_t avail_size;	/* bytes, a multiple of PAGE_SIZE */
	void *page;		/* header page, then bounce page */
	u64 size;		/* body bytes */
};

int bsdmem_minidump_prepare(struct bsdmem_minidump *md, bool allram);
int bsdmem_minidump_write(struct bsdmem_minidump *md,
			  struct bsdmem_compress *c, atomic64_t *done);
void bsdmem_minidump_free(struct bsdmem_minidump *md);

/* sink.c: buffered, positioned writing to the caller's file */
struct bsdmem_sink {
	struct file *file;
	loff_t pos;		/* file position of buf[0] */
	u8 *buf;
	size_t len;		/* bytes in buf */
	u64 total;		/* bytes accepted: the output size so far */
};

int bsdmem_sink_init(struct bsdmem_sink *s, struct file *file);
void bsdmem_sink_free(struct bsdmem_sink *s);
int bsdmem_sink_write(void *arg, const void *buf, size_t len);
int bsdmem_sink_pad(struct bsdmem_sink *s, size_t align);
int bsdmem_sink_finish(struct bsdmem_sink *s);

#endif /* _BSDMEM_H */
