/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MEM_KERNELDUMP pipeline behind livedump.c: the snapshot of which
 * pages a dump holds (dumpset.c), the minidump body written from it
 * (minidump.c) through a codec (compress.h), and the writer that puts the
 * codec's output into the caller's file (sink.c).
 */
#ifndef _BSDMEM_LIVEDUMP_H
#define _BSDMEM_LIVEDUMP_H

#include <linux/atomic.h>
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/types.h>
#include <asm/page.h>

struct bsdmem_compress;

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
	unsigned long *walked;	/* one bit per RAM page: a table read below kernbase */
	u64 root;		/* physical address of the top-level table */
	int levels;		/* 4 or 5 */
	bool allram;		/* MEM_KERNELDUMP_ALLRAM: no page is excluded */
	bool intr;		/* the walk saw a signal: -EINTR */
};

int bsdmem_dumpset_init(void);
void bsdmem_dumpset_uninit(void);
int bsdmem_dumpset_build(struct bsdmem_dumpset *ds, bool allram);
void bsdmem_dumpset_free(struct bsdmem_dumpset *ds);
bool bsdmem_dumpset_next(const struct bsdmem_dumpset *ds, u64 *bit,
			 unsigned long *pfn);

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
	atomic64_t *written;	/* bytes the file took, for the progress file */
	struct bio_vec *bvec;	/* O_DIRECT: buf's pages, one each */
};

int bsdmem_sink_init(struct bsdmem_sink *s, struct file *file,
		     atomic64_t *written);
int bsdmem_sink_start(struct bsdmem_sink *s);
void bsdmem_sink_free(struct bsdmem_sink *s);
int bsdmem_sink_write(void *arg, const void *buf, size_t len);
int bsdmem_sink_pad(struct bsdmem_sink *s, size_t align);
int bsdmem_sink_finish(struct bsdmem_sink *s);

#endif /* _BSDMEM_LIVEDUMP_H */
