// SPDX-License-Identifier: GPL-2.0
/*
 * benchg classes DUMP: which kinds of RAM page a dump holds and which it
 * left out. The dump's own dump_avail and bitmap say what it holds (read,
 * and the dump checked, by lib/minidump's walk); /proc/kpageflags, read right
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

int benchg_classes(const char *path)
{
	struct md_check_summary sum;
	struct md_error e = { "", "" };
	struct md_map m;
	uint64_t flags[512], pfn, got, i;
	size_t r;
	ssize_t n;
	int fd, kpf, err;

	/* lib/minidump's one pass: the dump checked, its map kept */
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return benchg_die(path);
	err = md_walk_fd(fd, NULL, &sum, &m, &e);
	close(fd);
	if (err) {
		md_map_free(&m);
		fprintf(stderr, "benchg: %s: %s: %s\n", path, e.rule, e.detail);
		return 1;
	}

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
}
