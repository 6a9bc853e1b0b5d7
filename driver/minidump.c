// SPDX-License-Identifier: GPL-2.0
/*
 * The body of a live dump: a FreeBSD amd64 minidump (version 3) of the
 * running Linux kernel. Header page (with bsdmem's Linux extension block),
 * kernel log, dump_avail, bitmap, pmap and data pages, each section padded
 * to a page. Every size is fixed by the snapshot (dumpset.c) before the
 * first byte is written, so the output is well formed while memory moves.
 */
#include <linux/kmsg_dump.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <machine/minidump.h>

#include "bsdmem.h"
#include "compress.h"
#include "livedump.h"

/* Larger than any log buffer Debian configures; the newest lines win. */
#define BSDMEM_MINIDUMP_MSG_MAX	SZ_1M

/* Kernel log as text, oldest line first, without syslog prefixes. */
static int bsdmem_minidump_msgbuf(struct bsdmem_minidump *md)
{
	struct kmsg_dump_iter iter;

	md->msg = __vmalloc(BSDMEM_MINIDUMP_MSG_MAX, BSDMEM_GFP);
	if (!md->msg)
		return -ENOMEM;
	kmsg_dump_rewind(&iter);
	if (!kmsg_dump_get_buffer(&iter, false, md->msg,
				  BSDMEM_MINIDUMP_MSG_MAX, &md->msglen))
		md->msglen = 0;
	return 0;
}

/* dump_avail: [start, end) byte pairs of the RAM ranges, then 0,0. */
static int bsdmem_minidump_avail(struct bsdmem_minidump *md)
{
	const struct bsdmem_dumpset *ds = &md->ds;
	unsigned int i;

	md->avail_size = PAGE_ALIGN((ds->nranges + 1) * 2 * sizeof(u64));
	md->avail = __vmalloc(md->avail_size, BSDMEM_GFP_ZERO);
	if (!md->avail)
		return -ENOMEM;
	for (i = 0; i < ds->nranges; i++) {
		md->avail[2 * i] = PFN_PHYS(ds->ranges[i].start_pfn);
		md->avail[2 * i + 1] = PFN_PHYS(ds->ranges[i].end_pfn);
	}
	return 0;
}

static void bsdmem_minidump_linux(struct minidump_linux *ext,
				  const struct bsdmem_dumpset *ds)
{
	memcpy(ext->magic, MINIDUMP_LINUX_MAGIC, sizeof(MINIDUMP_LINUX_MAGIC));
	ext->version = MINIDUMP_LINUX_VERSION;
	ext->flags = pgtable_l5_enabled() ? MINIDUMP_LINUX_LA57 : 0;
	ext->pgtable_root = ds->root;
	ext->page_offset_base = page_offset_base;
	ext->vmalloc_base = vmalloc_base;
	ext->vmemmap_base = vmemmap_base;
	ext->phys_base = phys_base;
	ext->vmcoreinfo_paddr = paddr_vmcoreinfo_note();
	ext->vmcoreinfo_size = VMCOREINFO_NOTE_SIZE;
}

/* The first page: minidumphdr at 0, the Linux block at 0x100. */
static void bsdmem_minidump_header(const struct bsdmem_minidump *md,
				   void *page)
{
	const struct bsdmem_dumpset *ds = &md->ds;
	struct minidumphdr *h = page;
	u64 ram_end = PFN_PHYS(ds->ranges[ds->nranges - 1].end_pfn);

	BUILD_BUG_ON(sizeof(struct minidumphdr) != 72);
	BUILD_BUG_ON(MINIDUMP_LINUX_OFFSET + sizeof(struct minidump_linux) >
		     PAGE_SIZE);
	memset(page, 0, PAGE_SIZE);
	memcpy(h->magic, MINIDUMP_MAGIC, sizeof(MINIDUMP_MAGIC));
	h->version = MINIDUMP_VERSION;
	h->msgbufsize = md->msglen;
	h->bitmapsize = ds->bitmap_size;
	h->pmapsize = BSDMEM_DUMPSET_PMAP_SIZE;
	h->kernbase = BSDMEM_KERNBASE;
	h->dmapbase = page_offset_base;
	h->dmapend = page_offset_base + round_up(ram_end, SZ_1G);
	h->dumpavailsize = md->avail_size;
	bsdmem_minidump_linux(page + MINIDUMP_LINUX_OFFSET, ds);
}

/**
 * bsdmem_minidump_prepare() - take the snapshot a dump is written from
 * @md: zeroed; free it with bsdmem_minidump_free() in any case
 * @allram: every readable RAM page, not only the kernel's
 *
 * Return: 0 or -errno; then @md->size is the body's size in bytes.
 */
int bsdmem_minidump_prepare(struct bsdmem_minidump *md, bool allram)
{
	int err;

	md->page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!md->page)
		return -ENOMEM;
	err = bsdmem_dumpset_build(&md->ds, allram);
	if (!err)
		err = bsdmem_minidump_avail(md);
	if (!err)
		err = bsdmem_minidump_msgbuf(md);
	if (err)
		return err;
	md->size = PAGE_SIZE + PAGE_ALIGN(md->msglen) + md->avail_size +
		   md->ds.bitmap_size + BSDMEM_DUMPSET_PMAP_SIZE +
		   md->ds.ndata * PAGE_SIZE;
	return 0;
}

/**
 * bsdmem_minidump_free() - release what bsdmem_minidump_prepare() took
 * @md: the snapshot
 */
void bsdmem_minidump_free(struct bsdmem_minidump *md)
{
	bsdmem_dumpset_free(&md->ds);
	vfree(md->msg);
	vfree(md->avail);
	kfree(md->page);
}

/* @len bytes of @buf, then zeros up to the next page boundary. */
static int bsdmem_minidump_section(struct bsdmem_minidump *md,
				   struct bsdmem_compress *c,
				   const void *buf, size_t len)
{
	size_t pad = PAGE_ALIGN(len) - len;
	int err;

	err = bsdmem_compress_write(c, buf, len);
	if (err || !pad)
		return err;
	memset(md->page, 0, pad);
	return bsdmem_compress_write(c, md->page, pad);
}

/* The data pages: one per set bit, ascending, unreadable ones as zeros. */
static int bsdmem_minidump_pages(struct bsdmem_minidump *md,
				 struct bsdmem_compress *c, atomic64_t *done)
{
	unsigned long pfn;
	u64 bit = 0, n = 0;
	int err;

	while (n < md->ds.ndata && bsdmem_dumpset_next(&md->ds, &bit, &pfn)) {
		bsdmem_phys_read_page(md->page, pfn);
		err = bsdmem_compress_write(c, md->page, PAGE_SIZE);
		if (err)
			return err;
		bit++;
		atomic64_set(done, ++n);
		if (n % 64)
			continue;
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * bsdmem_minidump_write() - push the whole body through a codec
 * @md: a prepared snapshot
 * @c: the codec, initialised
 * @done: counts the data pages written, for the progress file
 *
 * Return: 0, or -errno from the codec or its writer, -EINTR on a signal.
 */
int bsdmem_minidump_write(struct bsdmem_minidump *md,
			  struct bsdmem_compress *c, atomic64_t *done)
{
	int err;

	bsdmem_minidump_header(md, md->page);
	err = bsdmem_compress_write(c, md->page, PAGE_SIZE);
	if (!err)
		err = bsdmem_minidump_section(md, c, md->msg, md->msglen);
	if (!err)
		err = bsdmem_compress_write(c, md->avail, md->avail_size);
	if (!err)
		err = bsdmem_compress_write(c, md->ds.bitmap,
					    md->ds.bitmap_size);
	if (!err)
		err = bsdmem_compress_write(c, md->ds.pmap,
					    BSDMEM_DUMPSET_PMAP_SIZE);
	if (!err)
		err = bsdmem_minidump_pages(md, c, done);
	return err;
}
