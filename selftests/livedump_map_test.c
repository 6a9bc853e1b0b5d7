// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel addresses in a MEM_KERNELDUMP minidump (SPEC §7.3): a module's
 * data through the pmap, vmalloc, ioremap and vmemmap addresses through the
 * extension block's page-table root, each translated to the physical page
 * the live kernel maps it to (its page tables read through /proc/kcore
 * from this process's root as the kernel records it, a BPF map's user
 * mapping, /proc/vmallocinfo's phys=); the header's and extension block's
 * layout against the kernel's own variables; and a page taken out of the
 * direct map (memfd_secret) left out of the dump, refused by reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "kcore.h"
#include "mdview.h"

#define MAX_AREAS	64

FIXTURE(kva) {
	int dev, mem, kmem;
	char path[300];		/* the raw dump */
	uint8_t *map;
	off_t size;
	struct mdv m;
	struct kc k;		/* the oracle: /proc/kallsyms and /proc/kcore */
	struct kc_layout l;
	uint64_t root;		/* this process's page-table root, by the oracle */
};

FIXTURE_SETUP(kva)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->mem = open(_PATH_BSDMEM, O_RDONLY);
	self->kmem = open(_PATH_BSDKMEM, O_RDONLY);
	ASSERT_LE(0, self->mem);
	ASSERT_LE(0, self->kmem);
	signal(SIGPIPE, SIG_IGN);
	self->map = MAP_FAILED;
	ASSERT_EQ(0, kc_open(&self->k));
	ASSERT_STREQ(KC_OK, kc_layout(&self->k, &self->l));
	ASSERT_STREQ(KC_OK, kc_current_root(&self->k, &self->l, &self->root));
}

FIXTURE_TEARDOWN(kva)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->path[0])
		unlink(self->path);
	kc_close(&self->k);
	close(self->kmem);
	close(self->mem);
	close(self->dev);
}

/*
 * A raw dump of the kernel as it is now, on the scratch disk when there is
 * one (a dump is ~100 MiB), mapped and checked; its page-table root is the
 * kernel's (init_top_pgt), whose upper half this process's root shares.
 */
static void take_dump(struct __test_metadata *_metadata,
		      FIXTURE_DATA(kva) *self)
{
	const char *disk = getenv("BSDMEM_DISK");
	uint64_t extent;
	struct stat st;
	int fd;

	snprintf(self->path, sizeof(self->path), "%s/kva.%d",
		 disk && *disk ? disk : "/tmp", getpid());
	fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mdv_dump(self->dev, fd, 0, KERNELDUMP_COMP_NONE));
	ASSERT_EQ(0, fstat(fd, &st));
	self->size = st.st_size;
	self->map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_STREQ(MDV_OK, mdv_check_trailer(self->map + st.st_size - 512,
					       st.st_size, 0, &extent));
	ASSERT_STREQ(MDV_OK, mdv_check_body(&self->m, self->map, extent,
					    extent));
}

/*
 * @va translates in the dump (from the extension block's root) to the
 * physical address the live page tables give it (from the oracle's root,
 * read through /proc/kcore), at the same level (*level if not NULL: 1 PTE,
 * 2 PMD, 3 PUD). Return: that physical address.
 */
static uint64_t same_translation(struct __test_metadata *_metadata,
				 FIXTURE_DATA(kva) *self, uint64_t va,
				 int *level)
{
	const struct mdv *m = &self->m;
	uint64_t dleaf = 0, lleaf = 0;
	int dlevel = 0, llevel = 0;

	ASSERT_EQ(0, mdv_walk(kc_read_entry, &self->k, self->root,
			      self->l.levels, va, &lleaf, &llevel)) {
		TH_LOG("0x%" PRIx64 ": no live translation", va);
	}
	ASSERT_EQ(0, mdv_walk(mdv_read_dump_entry, (void *)m,
			      m->ext->pgtable_root, m->levels, va, &dleaf,
			      &dlevel)) {
		TH_LOG("0x%" PRIx64 ": no translation in the dump", va);
	}
	EXPECT_EQ(llevel, dlevel);
	if (level)
		*level = llevel;
	EXPECT_EQ(mdv_leaf_pa(lleaf, llevel, va), mdv_leaf_pa(dleaf, dlevel, va));
	return mdv_leaf_pa(lleaf, llevel, va);
}

/*
 * bsdmem's own struct module (module space, above kernbase): the pmap
 * reaches it; the dump, `minidump read`, /dev/bsdkmem and /dev/bsdmem at
 * the translated address all hold the name "bsdmem" at the same place.
 */
TEST_F_TIMEOUT(kva, module_data_through_pmap, 120)
{
	uint64_t va = 0, pa;
	char live[64], viakmem[64], reader[64];
	const uint8_t *d;
	char *name;

	ASSERT_EQ(0, bt_kallsyms("__this_module", "bsdmem", &va));
	ASSERT_EQ(64, bt_kread(self->kmem, va, viakmem, 64));
	name = memmem(viakmem, sizeof(viakmem), "bsdmem", 7);
	ASSERT_NE(NULL, name);
	take_dump(_metadata, self);
	d = mdv_va(&self->m, va);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, memcmp(d + (name - viakmem), "bsdmem", 7));
	pa = same_translation(_metadata, self, va, NULL);
	ASSERT_EQ(64, pread(self->mem, live, 64, pa));
	EXPECT_EQ(0, memcmp(live + (name - viakmem), "bsdmem", 7));
	ASSERT_EQ(64U, mdv_reader_read(self->path, va, reader, 64));
	EXPECT_EQ(0, memcmp(reader + (name - viakmem), "bsdmem", 7));
}

/*
 * Every ioremap area of /proc/vmallocinfo translates, through the dump's
 * page tables, to its phys= address; the MMIO pages are not in the dump.
 */
TEST_F_TIMEOUT(kva, ioremap_phys_through_root, 120)
{
	struct bt_vmarea *a = calloc(MAX_AREAS, sizeof(*a));
	unsigned long long phys;
	int i, n, checked = 0;
	const char *p;

	ASSERT_NE(NULL, a);
	take_dump(_metadata, self);
	n = bt_vmallocinfo("ioremap", a, MAX_AREAS);
	for (i = 0; i < n; i++) {
		p = strstr(a[i].line, " phys=");
		if (!p || sscanf(p, " phys=%llx", &phys) != 1)
			continue;
		EXPECT_EQ(phys, same_translation(_metadata, self,
						 a[i].start, NULL)) {
			TH_LOG("%s", a[i].line);
		}
		EXPECT_EQ(NULL, mdv_pa(&self->m, phys));
		checked++;
	}
	TH_LOG("%d ioremap areas checked", checked);
	EXPECT_LT(0, checked);
	free(a);
}

/* An mmapable BPF array: vmalloc'ed kernel pages this process maps too. */
static int bpf_mmapable_array(uint32_t pages)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = MDV_PG;
	attr.max_entries = pages;
	attr.map_flags = BPF_F_MMAPABLE;
	return syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

/* The kernel address of @len bytes equal to @want in a VM_USERMAP area. */
static uint64_t find_usermap(int kmem, const uint8_t *want, size_t len)
{
	struct bt_vmarea *a = calloc(MAX_AREAS, sizeof(*a));
	uint8_t page[4096];
	uint64_t va, found = 0;
	int i, n = a ? bt_vmallocinfo(" user", a, MAX_AREAS) : -1;

	for (i = 0; i < n && !found; i++)
		for (va = a[i].start; va < a[i].end - MDV_PG && !found;
		     va += MDV_PG)
			if (bt_kread(kmem, va, page, MDV_PG) == MDV_PG &&
			    !memcmp(page, want, len))
				found = va;
	free(a);
	return found;
}

/*
 * A vmalloc address (a BPF map's value page) reads through the extension
 * block's page-table root as the user wrote it through its own mapping,
 * and translates to the physical page MEM_EXTRACT_PADDR gives for that
 * user mapping; `minidump read` agrees.
 */
TEST_F_TIMEOUT(kva, vmalloc_through_root, 120)
{
	struct mem_extract me;
	uint64_t kva;
	const uint8_t *d;
	uint8_t *u, got[256];
	int map = bpf_mmapable_array(2);

	ASSERT_LE(0, map) {
		TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
	}
	u = mmap(NULL, 2 * MDV_PG, PROT_READ | PROT_WRITE, MAP_SHARED, map, 0);
	ASSERT_NE(MAP_FAILED, u);
	bt_fill(u, 2 * MDV_PG, 4711);
	ASSERT_EQ(0, bt_extract(self->dev, (uintptr_t)u + MDV_PG, 0, 0, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);
	kva = find_usermap(self->kmem, u + MDV_PG, 256);
	ASSERT_NE(0ULL, kva);
	ASSERT_LT(kva, MDV_KERNBASE);

	take_dump(_metadata, self);
	EXPECT_EQ(me.me_paddr, same_translation(_metadata, self, kva, NULL));
	d = mdv_va(&self->m, kva);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, memcmp(d, u + MDV_PG, MDV_PG));
	ASSERT_EQ(sizeof(got), mdv_reader_read(self->path, kva, got,
					       sizeof(got)));
	EXPECT_EQ(0, memcmp(got, u + MDV_PG, sizeof(got)));
	munmap(u, 2 * MDV_PG);
	close(map);
}

/*
 * The layout the dump records is the kernel's own, as /proc/kcore reads
 * the kernel's variables at their /proc/kallsyms addresses: dmapbase and
 * page_offset_base, vmalloc_base, vmemmap_base, phys_base, the paging
 * levels and the page-table root: the kernel's own, init_top_pgt (at its
 * /proc/kallsyms address, translated by kcore), whatever process dumps.
 * linux_banner translates to the physical address kcore's text segment
 * gives it, and the struct page of that page, at the kernel's vmemmap_base,
 * holds in the dump what kcore reads there.
 */
TEST_F_TIMEOUT(kva, vmemmap_and_kernbase_match_live, 120)
{
	const struct kc_layout *l = &self->l;
	uint64_t banner = self->k.sym[KC_LINUX_BANNER], pa = 0, page;
	uint64_t top = 0, top_pa = 0;
	const struct minidump_linux *ext;
	uint8_t live[64];
	const uint8_t *d;

	ASSERT_EQ(0, kc_paddr(&self->k, banner, &pa));
	ASSERT_EQ(0, bt_kallsyms("init_top_pgt", NULL, &top));
	ASSERT_EQ(0, kc_paddr(&self->k, top, &top_pa));
	take_dump(_metadata, self);
	ext = self->m.ext;
	EXPECT_EQ(MDV_KERNBASE, self->m.h.kernbase);
	EXPECT_EQ(l->page_offset_base, self->m.h.dmapbase);
	EXPECT_EQ(l->page_offset_base, ext->page_offset_base);
	EXPECT_EQ(l->vmalloc_base, ext->vmalloc_base);
	EXPECT_EQ(l->vmemmap_base, ext->vmemmap_base);
	EXPECT_EQ(l->phys_base, ext->phys_base);
	EXPECT_EQ(l->levels, self->m.levels);
	EXPECT_EQ(top_pa, ext->pgtable_root);
	TH_LOG("%d levels, page_offset_base 0x%" PRIx64 ", vmalloc_base 0x%"
	       PRIx64 ", vmemmap_base 0x%" PRIx64 ", phys_base 0x%" PRIx64
	       ", init_top_pgt 0x%" PRIx64 ", this process's root 0x%" PRIx64,
	       l->levels, l->page_offset_base, l->vmalloc_base,
	       l->vmemmap_base, l->phys_base, top_pa, self->root);

	EXPECT_EQ(pa, same_translation(_metadata, self, banner, NULL));
	d = mdv_va(&self->m, banner);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, kc_read(&self->k, banner, live, sizeof(live)));
	EXPECT_EQ(0, memcmp(live, d, sizeof(live)));
	/* struct page is 64 bytes on x86-64; a kernel rodata page's is stable. */
	page = l->vmemmap_base + (pa >> 12) * 64;
	same_translation(_metadata, self, page, NULL);
	d = mdv_va(&self->m, page);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, kc_read(&self->k, page, live, sizeof(live)));
	EXPECT_EQ(0, memcmp(live, d, sizeof(live)));
}

/*
 * KFENCE's pool (a kernel with CONFIG_KFENCE: the debug kernel), as
 * physical addresses [*start, *end): its pages leave and rejoin the
 * direct map as its objects are freed and allocated, so their
 * translation at the dump and now may differ. At most 2 * (255 + 1)
 * pages, CONFIG_KFENCE_NUM_OBJECTS' default. Empty without KFENCE.
 */
static void kfence_pool(FIXTURE_DATA(kva) *self, uint64_t *start,
			uint64_t *end)
{
	uint64_t sym = 0, va = 0;

	*start = *end = 0;
	if (bt_kallsyms("__kfence_pool", NULL, &sym) ||
	    kc_read(&self->k, sym, &va, 8) || !va)
		return;
	*start = va - self->l.page_offset_base;
	*end = *start + 2 * (255 + 1) * 4096ULL;
}

/*
 * The direct map walked through the extension root rather than by
 * subtraction: every 2 MiB of every dump_avail range, at the kernel's
 * page_offset_base, translates as live to its offset there; its huge
 * leaves are there (1 GiB ones in the big boot, whose 4 GiB of RAM hold
 * whole aligned gigabytes). KFENCE's pool is left out (kfence_pool()).
 */
TEST_F_TIMEOUT(kva, direct_map_leaves_match_live, 300)
{
	const uint64_t *a;
	uint64_t pa, step = 2ULL << 20, kf_start, kf_end;
	int level, n[4] = { 0 }, kf = 0;

	kfence_pool(self, &kf_start, &kf_end);
	take_dump(_metadata, self);
	for (a = self->m.avail; a[1]; a += 2)
		for (pa = a[0]; pa < a[1]; pa = (pa + step) & ~(step - 1)) {
			if (pa >= kf_start && pa < kf_end) {
				kf++;
				continue;
			}
			EXPECT_EQ(pa, same_translation(_metadata, self,
					self->l.page_offset_base + pa, &level));
			if (level >= 1 && level <= 3)
				n[level]++;
		}
	TH_LOG("direct map: %d 4K, %d 2M, %d 1G leaves walked; %d in KFENCE's pool left out",
	       n[1], n[2], n[3], kf);
	EXPECT_LT(0, n[2] + n[3]);
	if (bt_boot_is("big"))
		EXPECT_LT(0, n[3]);
}

/* Whether the harness booted with secretmem on (6.1 has it off by default). */
static bool secretmem_wanted(void)
{
	char cmdline[4096];

	return bt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "secretmem.enable=1");
}

/*
 * A memfd_secret page is RAM taken out of the direct map, so unreadable RAM
 * (SPEC §3.1): an ALLRAM dump taken while the page exists leaves its bit
 * clear (never dumped, not even as zeros; the dump goes on), and
 * /dev/bsdmem and /dev/bsdkmem reads of it fail with EFAULT.
 */
TEST_F_TIMEOUT(kva, secret_page_not_in_dump, 300)
{
	static const uint8_t zero[4096];
	struct mem_extract me;
	struct mdv_drain d;
	struct mdv m;
	uint8_t *s, buf[64];
	uint64_t extent;
	int fd;

	if (bt_boot_is("big"))
		SKIP(return, "a 4 GiB ALLRAM dump is too slow under TCG; default and no5lvl run this");
	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0 && !secretmem_wanted())
		SKIP(return, "memfd_secret: %s (boot with secretmem.enable=1)",
		     strerror(errno));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, MDV_PG));
	s = mmap(NULL, MDV_PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, s);
	bt_fill(s, MDV_PG, 99);
	ASSERT_EQ(0, bt_extract(self->dev, (uintptr_t)s, 0, 0, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);

	errno = 0;
	EXPECT_EQ(-1, pread(self->mem, buf, sizeof(buf), me.me_paddr));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mdv_dump_stream(self->dev, &d, 0, MEM_KERNELDUMP_ALLRAM,
				     0, me.me_paddr));
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total, 0, &extent));
	ASSERT_STREQ(MDV_OK, mdv_check_body(&m, d.head, MDV_HEAD_MAX, extent));
	/* RAM, so inside dump_avail, but not dumped */
	EXPECT_EQ(0, mdv_bit(&m, me.me_paddr)) {
		TH_LOG("bit of 0x%" PRIx64 " is %d", (uint64_t)me.me_paddr,
		       mdv_bit(&m, me.me_paddr));
	}
	EXPECT_EQ(-1, d.want_off);
	errno = 0;
	EXPECT_EQ(-1, bt_kread(self->kmem, self->l.page_offset_base +
			       me.me_paddr, buf, sizeof(buf)));
	EXPECT_EQ(EFAULT, errno);
	/* the page existed throughout, and still holds what was written */
	ASSERT_EQ(0, bt_extract(self->dev, (uintptr_t)s, 0, 0, &me));
	EXPECT_EQ(ME_STATE_MAPPED, me.me_state);
	EXPECT_NE(0, memcmp(s, zero, MDV_PG));
	free(d.head);
	munmap(s, MDV_PG);
	close(fd);
}

TEST_HARNESS_MAIN
