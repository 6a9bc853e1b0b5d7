// SPDX-License-Identifier: GPL-2.0
/*
 * benchg classes DUMP: which kinds of RAM page a raw (uncompressed) dump
 * holds and which it left out. The dump's own dump_avail and bitmap say
 * what it holds (read through lib/minidump); /proc/kpageflags, read right
 * after the dump, says what each page is. Live memory moves between the
 * two: the counts describe a dump, they are not exact.
 *
 * One line per class, "classes CLASS IN_RAM IN_DUMP", in the order of the
 * table below; a page gets the first class whose test it passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minidump.h"
#include "benchg.h"

/* /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) */
#define KPF(n)		(1ull << (n))
#define KPF_LRU		KPF(5)
#define KPF_SLAB	KPF(7)
#define KPF_BUDDY	KPF(10)
#define KPF_ANON	KPF(12)
#define KPF_SWAPCACHE	KPF(13)
#define KPF_SWAPBACKED	KPF(14)
#define KPF_HUGE	KPF(17)
#define KPF_NOPAGE	KPF(20)
#define KPF_OFFLINE	KPF(23)
#define KPF_PGTABLE	KPF(26)
#define KPF_RESERVED	KPF(32)

struct page_class {
	const char *name;
	uint64_t flag;		/* the kpageflags bit that makes a page one */
	uint64_t in_ram;
	uint64_t in_dump;
};

static struct page_class classes[] = {
	{ .name = "nopage", .flag = KPF_NOPAGE },
	{ .name = "offline", .flag = KPF_OFFLINE },
	{ .name = "buddy", .flag = KPF_BUDDY },
	{ .name = "hugetlb", .flag = KPF_HUGE },
	{ .name = "slab", .flag = KPF_SLAB },
	{ .name = "pgtable", .flag = KPF_PGTABLE },
	{ .name = "reserved", .flag = KPF_RESERVED },
	{ .name = "swapcache", .flag = KPF_SWAPCACHE },
	{ .name = "anon", .flag = KPF_ANON },
	{ .name = "shmem", .flag = KPF_SWAPBACKED },
	{ .name = "pagecache", .flag = KPF_LRU },
	/* no flag the kernel exports: its own allocations, per-CPU free lists */
	{ .name = "other", .flag = 0 },
};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

static struct page_class *classify(uint64_t f)
{
	unsigned int i;

	for (i = 0; i < NCLASSES - 1; i++)
		if (f & classes[i].flag)
			return &classes[i];
	return &classes[NCLASSES - 1];
}

/* The section of @len bytes at @off into a new buffer, or NULL. */
static uint8_t *section(int fd, uint64_t off, uint64_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	if (buf && pread(fd, buf, len, off) != (ssize_t)len) {
		free(buf);
		return NULL;
	}
	return buf;
}

int benchg_classes(const char *path)
{
	uint8_t page[MD_PAGE_SIZE], *sec;
	uint64_t flags[512], pfn, got, i;
	struct md_header h;
	struct md_map m = { 0 };
	struct md_error e = { "", "" };
	size_t r;
	ssize_t n;
	int fd, kpf, err;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return benchg_die(path);
	if (pread(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page))
		return benchg_bad("the dump has no header page");
	err = md_header_parse(page, &h, &e);
	if (err)
		goto bad_dump;
	sec = section(fd, h.avail_off, h.hdr.dumpavailsize);
	if (!sec)
		return benchg_bad("cannot read dump_avail");
	err = md_avail_parse(sec, h.hdr.dumpavailsize, &m, &e);
	free(sec);
	if (err)
		goto bad_dump;
	sec = section(fd, h.bitmap_off, h.hdr.bitmapsize);
	if (!sec)
		return benchg_bad("cannot read the bitmap");
	err = md_bitmap_load(&m, sec, h.hdr.bitmapsize, &e);
	free(sec);
	if (err)
		goto bad_dump;
	close(fd);

	kpf = open("/proc/kpageflags", O_RDONLY);
	if (kpf < 0)
		return benchg_die("/proc/kpageflags");
	for (r = 0; r < m.nranges; r++) {
		for (pfn = m.ranges[r].start / MD_PAGE_SIZE;
		     pfn < m.ranges[r].end / MD_PAGE_SIZE; pfn += got) {
			got = m.ranges[r].end / MD_PAGE_SIZE - pfn;
			if (got > 512)
				got = 512;
			n = pread(kpf, flags, got * 8, pfn * 8);
			if (n <= 0)
				return benchg_die("/proc/kpageflags");
			got = n / 8;
			for (i = 0; i < got; i++) {
				struct page_class *c = classify(flags[i]);

				c->in_ram++;
				if (md_pa_dumped(&m, (pfn + i) * MD_PAGE_SIZE))
					c->in_dump++;
			}
		}
	}
	close(kpf);
	md_map_free(&m);
	for (i = 0; i < NCLASSES; i++)
		printf("classes %s %" PRIu64 " %" PRIu64 "\n", classes[i].name,
		       classes[i].in_ram, classes[i].in_dump);
	return 0;

bad_dump:
	fprintf(stderr, "benchg: %s: %s: %s\n", path, e.rule, e.detail);
	return 1;
}
