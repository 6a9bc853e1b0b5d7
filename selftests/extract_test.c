// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_EXTRACT_PADDR (SPEC §5) against Linux's own answers: /proc/self/pagemap
 * for the physical address (4 KiB, THP, 2 MiB and 1 GiB hugetlb, zero page,
 * PROT_NONE, stack, shmem, our own PFN map), /proc/kpageflags for THP, and
 * get_mempolicy()/move_pages() for me_domain on the numa boot, and for
 * device memory the firmware's SRAT and the memory blocks in sysfs. INVALID
 * and VALID leave the fields SPEC says they leave. Also built -m32 and -mx32.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bsdmem_harness.h"

#define SENTINEL_PA	0x5a5a5a5a5a5a5000ULL
#define SENTINEL_DOM	77
#define HUGE_1G		(1UL << 30)
#define HP2M_DIR	"/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define HP1G_DIR	"/sys/kernel/mm/hugepages/hugepages-1048576kB/"
#define SRAT_PATH	"/sys/firmware/acpi/tables/SRAT"
#define MEMBLK_DIR	"/sys/devices/system/memory/"

/* <numaif.h> is libnuma's; the guest has none, so the syscall ABI values. */
#define BT_MPOL_BIND	2
#define BT_MPOL_F_NODE	(1 << 0)
#define BT_MPOL_F_ADDR	(1 << 1)

/* extract_test_32 is i386 and extract_test_x32 is x32 at run time. */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

FIXTURE(extract) {
	int fd;
	int nodes;
	void *map;
	size_t map_len;
	char hp_path[128];
	long hp_old;
	char thp_enabled[16];	/* to restore, if changed */
	char thp_defrag[16];
};

FIXTURE_SETUP(extract)
{
	uint64_t pa;
	char *probe;

	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(_PATH_BSDMEM, O_RDONLY);
	ASSERT_GE(self->fd, 0);
	self->nodes = bt_numa_nodes();
	self->map = MAP_FAILED;
	self->hp_old = -1;
	probe = bt_alloc_pinned(BT_PAGE_SIZE);
	ASSERT_TRUE(probe != NULL);
	ASSERT_EQ(0, bt_pagemap_paddr(probe, &pa));
	bt_free_pinned(probe, BT_PAGE_SIZE);
	if (!pa)
		SETUP_SKIP("pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
}

FIXTURE_TEARDOWN(extract)
{
	char v[32];

	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	if (self->hp_old >= 0) {
		snprintf(v, sizeof(v), "%ld", self->hp_old);
		bt_write_file(self->hp_path, v);
	}
	if (self->thp_enabled[0])
		bt_write_file(BT_THP_DIR "enabled", self->thp_enabled);
	if (self->thp_defrag[0])
		bt_write_file(BT_THP_DIR "defrag", self->thp_defrag);
	close(self->fd);
}

static uint64_t va_of(const void *p)
{
	return (uintptr_t)p;
}

/*
 * The driver's answer for p is MAPPED at pagemap's address, on node 0 when
 * there is one node. Returns the physical address.
 */
static uint64_t expect_mapped(struct __test_metadata *_metadata,
			      FIXTURE_DATA(extract) *self, const void *p)
{
	struct mem_extract me;
	uint64_t pa = 0;

	if (bt_pagemap_paddr(p, &pa) || !pa) {
		TH_LOG("pagemap: %p not present", p);
		_metadata->passed = 0;
		return 0;
	}
	EXPECT_EQ(0, bt_extract(self->fd, va_of(p), SENTINEL_PA, SENTINEL_DOM, &me));
	EXPECT_EQ(ME_STATE_MAPPED, me.me_state) TH_LOG("va %p", p);
	EXPECT_EQ(pa, me.me_paddr) TH_LOG("va %p", p);
	if (self->nodes == 1)
		EXPECT_EQ(0, me.me_domain) TH_LOG("va %p", p);
	return me.me_paddr;
}

/* No VMA: INVALID, with me_paddr and me_domain as we passed them. */
static void expect_invalid(struct __test_metadata *_metadata, int fd,
			   uint64_t va)
{
	struct mem_extract me;

	ASSERT_EQ(0, bt_extract(fd, va, SENTINEL_PA, SENTINEL_DOM, &me));
	EXPECT_EQ(ME_STATE_INVALID, me.me_state) TH_LOG("va %#llx",
							(unsigned long long)va);
	EXPECT_EQ(SENTINEL_PA, me.me_paddr);
	EXPECT_EQ(SENTINEL_DOM, me.me_domain);
}

/* A munmap'ed page between two mapped ones has no VMA: INVALID. */
TEST_F(extract, unmapped_invalid)
{
	char *p = mmap(NULL, 3 * BT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	p[BT_PAGE_SIZE] = 1;
	ASSERT_EQ(0, munmap(p + BT_PAGE_SIZE, BT_PAGE_SIZE));
	expect_invalid(_metadata, self->fd, va_of(p + BT_PAGE_SIZE));
	expect_invalid(_metadata, self->fd, va_of(p + BT_PAGE_SIZE + 123));
	expect_invalid(_metadata, self->fd, 0);
	munmap(p, 3 * BT_PAGE_SIZE);
}

/* Kernel and non-canonical addresses are not in our address space. */
TEST_F(extract, kernel_and_noncanonical_invalid)
{
	uint64_t banner = 0;

	if (!bt_kallsyms("linux_banner", NULL, &banner))
		expect_invalid(_metadata, self->fd, banner);
	expect_invalid(_metadata, self->fd, BT_NONCANONICAL);
	expect_invalid(_metadata, self->fd, 0xffffffffffffffffULL);
	expect_invalid(_metadata, self->fd, 0xffffffff81000000ULL);
}

/*
 * All 64 bits of me_vaddr count: our buffer's address plus a high bit
 * (2^32 for a 32-bit caller, 2^56 beyond 5-level user space otherwise) is
 * not our buffer.
 */
TEST_F(extract, high_bits_not_dropped)
{
	char *p = bt_alloc_pinned(BT_PAGE_SIZE);
	uint64_t high = sizeof(void *) == 4 ? 1ULL << 32 : 1ULL << 56;

	ASSERT_TRUE(p != NULL);
	expect_invalid(_metadata, self->fd, high + va_of(p));
	expect_invalid(_metadata, self->fd, (1ULL << 63) | va_of(p));
	bt_free_pinned(p, BT_PAGE_SIZE);
}

/*
 * A mapped page never touched has no translation: VALID, me_paddr 0,
 * me_domain untouched; asking must not fault it in.
 */
TEST_F(extract, untouched_valid)
{
	struct mem_extract me;
	uint64_t pm;
	char *p;

	p = mmap(NULL, 4 * BT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = 4 * BT_PAGE_SIZE;
	ASSERT_EQ(0, madvise(p, 4 * BT_PAGE_SIZE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, bt_extract(self->fd, va_of(p + 2 * BT_PAGE_SIZE + 5),
				SENTINEL_PA, SENTINEL_DOM, &me));
	ASSERT_EQ(ME_STATE_VALID, me.me_state);
	ASSERT_EQ(0ULL, me.me_paddr);
	ASSERT_EQ(SENTINEL_DOM, me.me_domain);
	ASSERT_EQ(0, bt_pagemap(p + 2 * BT_PAGE_SIZE, &pm));
	ASSERT_EQ(0ULL, pm & BT_PAGEMAP_PRESENT);
}

/* Touched 4 KiB pages: MAPPED at pagemap's address, offset included. */
TEST_F(extract, anon_4k_mapped)
{
	static const size_t offs[] = { 0, 1, 2047, 4095, 4096 + 123, 3 * 4096 + 4000 };
	char *p = bt_alloc_pinned(4 * BT_PAGE_SIZE);
	unsigned int i;

	ASSERT_TRUE(p != NULL);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		expect_mapped(_metadata, self, p + offs[i]);
	bt_free_pinned(p, 4 * BT_PAGE_SIZE);
}

/* Our own stack is an ordinary touched page. */
TEST_F(extract, stack_mapped)
{
	volatile char stack[64];

	stack[0] = 1;
	expect_mapped(_metadata, self, (const void *)&stack[17]);
}

/* The shared zero page (a read-faulted anonymous page) is MAPPED too. */
TEST_F(extract, zero_page_mapped)
{
	volatile char *p;
	uint64_t pa, kpf;
	char c;

	p = mmap(NULL, BT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = (void *)p;
	self->map_len = BT_PAGE_SIZE;
	ASSERT_EQ(0, madvise((void *)p, BT_PAGE_SIZE, MADV_NOHUGEPAGE));
	c = p[100];
	ASSERT_EQ(0, c);
	pa = expect_mapped(_metadata, self, (const void *)(p + 100));
	if (!bt_kpageflags(pa / BT_PAGE_SIZE, &kpf))
		EXPECT_TRUE((kpf & (1ULL << BT_KPF_ZERO_PAGE)) != 0);
}

/* mprotect(PROT_NONE) keeps the page present: still MAPPED. */
TEST_F(extract, prot_none_mapped)
{
	char *p = bt_alloc_pinned(2 * BT_PAGE_SIZE);

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(0, mprotect(p + BT_PAGE_SIZE, BT_PAGE_SIZE, PROT_NONE));
	expect_mapped(_metadata, self, p + BT_PAGE_SIZE + 10);
	bt_free_pinned(p, 2 * BT_PAGE_SIZE);
}

/* A written page of a MAP_SHARED tmpfs file (page cache). */
TEST_F(extract, shmem_file_mapped)
{
	char path[] = "/tmp/bsdmem-extract-XXXXXX";
	uint64_t pm;
	char *p;
	int fd;

	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 2 * BT_PAGE_SIZE));
	p = mmap(NULL, 2 * BT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = 2 * BT_PAGE_SIZE;
	close(fd);
	memset(p + BT_PAGE_SIZE, 0x33, BT_PAGE_SIZE);
	ASSERT_EQ(0, bt_pagemap(p + BT_PAGE_SIZE, &pm));
	ASSERT_TRUE((pm & BT_PAGEMAP_FILE) != 0);
	expect_mapped(_metadata, self, p + BT_PAGE_SIZE + 99);
}

/* Our own /dev/bsdmem mapping (VM_PFNMAP) translates to what we mapped. */
TEST_F(extract, pfnmap_mapped)
{
	struct mem_extract me;
	uint64_t pa;
	char *buf = bt_alloc_pinned(BT_PAGE_SIZE);
	char *m;

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(0, bt_pagemap_paddr(buf, &pa));
	m = mmap64(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd,
		   (off64_t)pa);
	ASSERT_TRUE(m != MAP_FAILED);
	self->map = m;
	self->map_len = BT_PAGE_SIZE;
	ASSERT_EQ(0, bt_extract(self->fd, va_of(m + 123), SENTINEL_PA,
				SENTINEL_DOM, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);
	ASSERT_EQ(pa + 123, me.me_paddr);
	if (self->nodes == 1)
		ASSERT_EQ(0, me.me_domain);
	bt_free_pinned(buf, BT_PAGE_SIZE);
}

/* Map len bytes aligned to align (a power of two) inside a larger mapping. */
static char *map_aligned(FIXTURE_DATA(extract) *self, size_t len, size_t align)
{
	char *p, *a;

	p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	self->map = p;
	self->map_len = len + align;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	return a;
}

/* Offsets across a huge page: each is base + offset, as pagemap says. */
static void expect_huge(struct __test_metadata *_metadata,
			FIXTURE_DATA(extract) *self, char *p, size_t size)
{
	const size_t offs[] = { 0, 1, 4096, 0x12345, size / 2 + 7, size - 4096,
				size - 1 };
	uint64_t base, pa;
	unsigned int i;

	base = expect_mapped(_metadata, self, p);
	ASSERT_EQ(0ULL, base & (size - 1)) TH_LOG("huge page not aligned");
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		pa = expect_mapped(_metadata, self, p + offs[i]);
		EXPECT_EQ(base + offs[i], pa) TH_LOG("offset %#zx", offs[i]);
	}
}

/* A THP (PMD leaf) gives the right subpage address anywhere in its 2 MiB. */
TEST_F(extract, thp_mapped)
{
	uint64_t pa, kpf;
	char *p = map_aligned(self, BT_HPAGE_SIZE, BT_HPAGE_SIZE);

	ASSERT_TRUE(p != NULL);
	bt_thp_allow(BT_THP_DIR "enabled", self->thp_enabled, sizeof(self->thp_enabled));
	bt_thp_allow(BT_THP_DIR "defrag", self->thp_defrag, sizeof(self->thp_defrag));
	if (madvise(p, BT_HPAGE_SIZE, MADV_HUGEPAGE))
		SKIP(return, "MADV_HUGEPAGE: %s", strerror(errno));
	p[0] = 1;
	ASSERT_EQ(0, bt_pagemap_paddr(p, &pa));
	if (bt_kpageflags(pa / BT_PAGE_SIZE, &kpf) ||
	    !(kpf & (1ULL << BT_KPF_THP)))
		SKIP(return, "the kernel gave no THP for an aligned, touched 2 MiB");
	memset(p, 2, BT_HPAGE_SIZE);
	expect_huge(_metadata, self, p, BT_HPAGE_SIZE);
}

/* Reserve one more hugetlb page of the size in dir; false if none free. */
static bool reserve_hugepage(FIXTURE_DATA(extract) *self, const char *dir)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "%sfree_hugepages", dir);
	if (bt_read_file(path, v, sizeof(v)) > 0 && atol(v) > 0)
		return true;
	snprintf(self->hp_path, sizeof(self->hp_path), "%snr_hugepages", dir);
	if (bt_read_file(self->hp_path, v, sizeof(v)) <= 0)
		return false;
	self->hp_old = atol(v);
	snprintf(v, sizeof(v), "%ld", self->hp_old + 1);
	bt_write_file(self->hp_path, v);
	return bt_read_file(path, v, sizeof(v)) > 0 && atol(v) > 0;
}

/* A 2 MiB hugetlb page (PMD leaf) matches pagemap at every offset. */
TEST_F(extract, hugetlb_2m_mapped)
{
	char *p;

	if (!reserve_hugepage(self, HP2M_DIR))
		SKIP(return, "no free 2 MiB hugetlb page could be reserved");
	p = mmap(NULL, BT_HPAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT),
		 -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = BT_HPAGE_SIZE;
	p[0] = 1;
	expect_huge(_metadata, self, p, BT_HPAGE_SIZE);
}

/* A 1 GiB hugetlb page (PUD leaf); reserved at boot only in `big`. */
TEST_F(extract, hugetlb_1g_mapped)
{
	char path[128], v[32];
	char *p;

	if (sizeof(void *) == 4)
		SKIP(return, "a 32-bit address space has no room for 1 GiB pages");
	snprintf(path, sizeof(path), "%sfree_hugepages", HP1G_DIR);
	if (bt_read_file(path, v, sizeof(v)) <= 0 || atol(v) < 1)
		SKIP(return, "no free 1 GiB hugetlb page (reserved in the big boot; this is %s)",
		     bt_boot());
	p = mmap(NULL, HUGE_1G, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT),
		 -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = HUGE_1G;
	p[0] = 1;
	expect_huge(_metadata, self, p, HUGE_1G);
}

/* A NULL or read-only struct pointer: EFAULT (the only error it returns). */
TEST_F(extract, bad_struct_efault)
{
	struct mem_extract *ro;
	char *p;

	ASSERT_EQ(-1, ioctl(self->fd, MEM_EXTRACT_PADDR, NULL));
	ASSERT_EQ(EFAULT, errno);
	p = mmap(NULL, 2 * BT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = 2 * BT_PAGE_SIZE;
	ro = (struct mem_extract *)p;
	ro->me_vaddr = va_of(p);
	ASSERT_EQ(0, mprotect(p, BT_PAGE_SIZE, PROT_READ));
	ASSERT_EQ(-1, ioctl(self->fd, MEM_EXTRACT_PADDR, ro));
	ASSERT_EQ(EFAULT, errno);
	/* A struct running into an unmapped page. */
	ASSERT_EQ(0, munmap(p + BT_PAGE_SIZE, BT_PAGE_SIZE));
	ASSERT_EQ(0, mprotect(p, BT_PAGE_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(-1, ioctl(self->fd, MEM_EXTRACT_PADDR,
			    p + BT_PAGE_SIZE - sizeof(struct mem_extract) / 2));
	ASSERT_EQ(EFAULT, errno);
}

/* Bind, then touch, one page to node; check the driver against the kernel. */
static void expect_node(struct __test_metadata *_metadata,
			FIXTURE_DATA(extract) *self, char *p, int node)
{
	unsigned long mask = 1UL << node;
	struct mem_extract me;
	void *pages[1] = { p };
	int status = -1, mode = -1;

	ASSERT_EQ(0, syscall(SYS_mbind, p, BT_PAGE_SIZE, BT_MPOL_BIND, &mask,
			     8 * sizeof(mask) + 1, 0));
	memset(p, node + 1, BT_PAGE_SIZE);
	ASSERT_EQ(0, mlock(p, BT_PAGE_SIZE));
	ASSERT_EQ(0, syscall(SYS_get_mempolicy, &mode, NULL, 0, p,
			     BT_MPOL_F_NODE | BT_MPOL_F_ADDR));
	ASSERT_EQ(0, syscall(SYS_move_pages, 0, 1, pages, NULL, &status, 0));
	ASSERT_EQ(node, mode);
	ASSERT_EQ(node, status);
	ASSERT_EQ(0, bt_extract(self->fd, va_of(p + 5), SENTINEL_PA,
				SENTINEL_DOM, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);
	ASSERT_EQ(node, me.me_domain);
	expect_mapped(_metadata, self, p + 5);
}

/* On two nodes, me_domain is the node the page is on (numa boot). */
TEST_F(extract, numa_domain)
{
	char *p;

	if (self->nodes < 2)
		SKIP(return, "one NUMA node in boot %s (me_domain 0 is checked elsewhere)",
		     bt_boot());
	p = mmap(NULL, 2 * BT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	self->map = p;
	self->map_len = 2 * BT_PAGE_SIZE;
	ASSERT_EQ(0, madvise(p, 2 * BT_PAGE_SIZE, MADV_NOHUGEPAGE));
	expect_node(_metadata, self, p, 1);
	expect_node(_metadata, self, p + BT_PAGE_SIZE, 0);
}

/* The span of one proximity domain's enabled SRAT memory ranges. */
struct pxm_span {
	uint32_t pxm;
	uint64_t start;
	uint64_t end;		/* exclusive */
};

/*
 * Read the SRAT's memory affinity structures (type 1, 40 bytes: domain @2,
 * base @8, length @16, flags @28, bit 0 enabled) into one span per
 * proximity domain. Number of spans, or -1.
 */
static int srat_spans(struct pxm_span *out, int max)
{
	static unsigned char t[65536];
	uint64_t base, len;
	uint32_t pxm, flags;
	size_t o;
	ssize_t n = bt_read_file(SRAT_PATH, (char *)t, sizeof(t));
	int k, spans = 0;

	if (n < 48 || memcmp(t, "SRAT", 4))
		return -1;
	for (o = 48; o + 2 <= (size_t)n && t[o + 1]; o += t[o + 1]) {
		if (t[o] != 1 || t[o + 1] < 40 || o + 40 > (size_t)n)
			continue;
		memcpy(&pxm, t + o + 2, 4);
		memcpy(&base, t + o + 8, 8);
		memcpy(&len, t + o + 16, 8);
		memcpy(&flags, t + o + 28, 4);
		if (!(flags & 1) || !len)
			continue;
		for (k = 0; k < spans && out[k].pxm != pxm; k++)
			;
		if (k == spans) {
			if (spans == max)
				return -1;
			out[spans++] = (struct pxm_span){ pxm, base, base + len };
		}
		if (base < out[k].start)
			out[k].start = base;
		if (base + len > out[k].end)
			out[k].end = base + len;
	}
	return spans;
}

/* Is the memory block holding pa present in sysfs (it has struct pages)? */
static bool memblock_present(struct __test_metadata *_metadata, uint64_t pa)
{
	char v[32], path[128];
	unsigned long long size;

	ASSERT_LT(0, bt_read_file(MEMBLK_DIR "block_size_bytes", v, sizeof(v)));
	size = strtoull(v, NULL, 16);
	ASSERT_NE(0ULL, size);
	snprintf(path, sizeof(path), MEMBLK_DIR "memory%llu", pa / size);
	return access(path, F_OK) == 0;
}

/*
 * Device memory (the HPET's registers, mapped through /dev/bsdmem) is
 * MAPPED at its address; me_domain is 0 on one node (as FreeBSD). On the
 * numa boot it is -1: no memory block holds the page (no online page to
 * take a node from), and no node's span of SRAT memory ranges reaches it
 * (so phys_to_target_node() has no node for it either).
 */
TEST_F(extract, nonram_domain)
{
	struct pxm_span spans[16];
	struct mem_extract me;
	struct bt_iomem r;
	uint64_t pa;
	int i, n;
	char *m;

	if (!bt_iomem_find("HPET", &r))
		SKIP(return, "no HPET in /proc/iomem in boot %s", bt_boot());
	pa = r.start & ~(uint64_t)(BT_PAGE_SIZE - 1);
	m = mmap64(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd,
		   (off64_t)pa);
	ASSERT_TRUE(m != MAP_FAILED);
	self->map = m;
	self->map_len = BT_PAGE_SIZE;
	ASSERT_EQ(0, bt_extract(self->fd, va_of(m + 0x10), SENTINEL_PA,
				SENTINEL_DOM, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);
	ASSERT_EQ(pa + 0x10, me.me_paddr);
	if (self->nodes == 1) {
		ASSERT_EQ(0, me.me_domain);
		return;
	}
	ASSERT_FALSE(memblock_present(_metadata, pa))
		TH_LOG("a memory block holds %#llx", (unsigned long long)pa);
	n = srat_spans(spans, 16);
	ASSERT_LT(0, n) TH_LOG("no SRAT memory ranges on %d nodes", self->nodes);
	for (i = 0; i < n; i++)
		ASSERT_FALSE(pa >= spans[i].start && pa < spans[i].end)
			TH_LOG("SRAT domain %u spans [%#llx, %#llx)", spans[i].pxm,
			       (unsigned long long)spans[i].start,
			       (unsigned long long)spans[i].end);
	ASSERT_EQ(-1, me.me_domain);
}

TEST_HARNESS_MAIN
