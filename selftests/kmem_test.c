// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdkmem (SPEC §4): kernel virtual addresses through lseek + read.
 * linux_banner reads as /proc/version and as /proc/kcore shows it, module
 * memory and every vmalloc area are readable, user, non-canonical, unmapped and
 * ioremap addresses are EFAULT; writes need writable=1, .rodata is EFAULT,
 * and a write to init_uts_ns's nodename is seen by gethostname().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "bsdmem_harness.h"

/*
 * The per-test timeouts add up to the program's 450 s in selftests/suites:
 * 15 tests of the harness's 30 s (a /proc/kallsyms scan alone can take
 * seconds on a loaded TCG guest).
 */

#define UTS_LEN		65	/* __NEW_UTS_LEN + 1 */
#define MAX_AREAS	4096	/* vmalloc lines of /proc/vmallocinfo */

FIXTURE(kmem) {
	int fd;
	char hostname[UTS_LEN];
	bool restore_hostname;
};

FIXTURE_SETUP(kmem)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDKMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDKMEM);
	self->fd = open(_PATH_BSDKMEM, O_RDWR);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(kmem)
{
	bt_set_writable(0);
	if (self->restore_hostname)
		sethostname(self->hostname, strlen(self->hostname));
	close(self->fd);
}

static uint64_t symbol(struct __test_metadata *_metadata, const char *name,
		       const char *module)
{
	uint64_t va = 0;

	if (bt_kallsyms(name, module, &va))
		TH_LOG("%s%s%s not in /proc/kallsyms", name,
		       module ? " in " : "", module ? module : "");
	return va;
}

/* linux_banner (in .rodata) holds the text of /proc/version. */
TEST_F(kmem, banner_matches_proc_version)
{
	char version[512], b[512];
	uint64_t va = symbol(_metadata, "linux_banner", NULL);
	ssize_t n;

	ASSERT_NE(0ULL, va);
	n = bt_read_file("/proc/version", version, sizeof(version));
	ASSERT_GT(n, 20);
	ASSERT_EQ(n, bt_kread(self->fd, va, b, n));
	ASSERT_EQ(0, memcmp(version, b, n));
}

/* lseek to a kernel VA returns it as a negative off_t, which is no error. */
TEST_F(kmem, lseek_returns_kernel_va)
{
	uint64_t va = symbol(_metadata, "linux_banner", NULL);

	ASSERT_NE(0ULL, va);
	errno = 0;
	ASSERT_EQ((off_t)va, lseek(self->fd, (off_t)va, SEEK_SET));
	ASSERT_EQ(0, errno);
	ASSERT_LT(lseek(self->fd, 0, SEEK_CUR), 0);
}

/* The same bytes as /proc/kcore for .rodata and for init_uts_ns. */
TEST_F(kmem, matches_kcore)
{
	static const char *const names[] = { "linux_banner", "init_uts_ns" };
	unsigned char a[256], b[256];
	unsigned int i;
	uint64_t va;

	for (i = 0; i < 2; i++) {
		va = symbol(_metadata, names[i], NULL);
		ASSERT_NE(0ULL, va);
		if (bt_kcore_read(va, a, sizeof(a)) != sizeof(a))
			SKIP(return, "/proc/kcore cannot read %s", names[i]);
		ASSERT_EQ((ssize_t)sizeof(b), bt_kread(self->fd, va, b, sizeof(b)));
		ASSERT_EQ(0, memcmp(a, b, sizeof(a))) TH_LOG("%s", names[i]);
	}
}

/* A loaded module's data (bsdmem's own struct module) is readable. */
TEST_F(kmem, module_data_readable)
{
	uint64_t va = symbol(_metadata, "__this_module", "bsdmem");
	unsigned char b[256];

	ASSERT_NE(0ULL, va);
	ASSERT_EQ((ssize_t)sizeof(b), bt_kread(self->fd, va, b, sizeof(b)));
	/* struct module carries the module's name near its start. */
	ASSERT_TRUE(memmem(b, sizeof(b), "bsdmem", 7) != NULL);
}

/* The kernel refuses user addresses: EFAULT, even for our own buffer. */
TEST_F(kmem, user_address_efault)
{
	char mine[64] = "user";
	char b[16];

	ASSERT_EQ(-1, bt_kread(self->fd, 0x1000, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, bt_kread(self->fd, (uintptr_t)mine, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
}

/* Addresses in the canonical hole of 4- and 5-level paging: EFAULT. */
TEST_F(kmem, noncanonical_efault)
{
	char b[16];

	ASSERT_EQ(-1, bt_kread(self->fd, BT_NONCANONICAL, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, bt_kread(self->fd, 0x0100000000000000ULL, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, bt_kread(self->fd, 0xfe00000000000000ULL, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
}

/* The vmalloc areas with pages of /proc/vmallocinfo (malloc'ed), or -1. */
static int vmalloc_areas(struct bt_vmarea **a)
{
	int i, n, k = 0;

	*a = calloc(MAX_AREAS, sizeof(**a));
	if (!*a)
		return -1;
	n = bt_vmallocinfo(" vmalloc", *a, MAX_AREAS);
	for (i = 0; i < n; i++)
		if (strstr((*a)[i].line, " pages="))
			(*a)[k++] = (*a)[i];
	return n < 0 ? -1 : k;
}

/*
 * bsdmem's own code lives in a vmalloc area of the module space, mapped as
 * long as the module is loaded (our open fd holds it): every mapped byte
 * of the area (/proc/vmallocinfo, which counts a guard page at its end)
 * reads in one read(2), its code is what /proc/kcore shows, the guard page
 * is EFAULT, and a read from the last mapped page into the guard returns
 * the mapped part.
 */
TEST_F(kmem, module_vmalloc_area_and_guard_page)
{
	uint64_t va = symbol(_metadata, "bsdkmem_read", "bsdmem");
	unsigned char a[256], b[2 * BT_PAGE_SIZE], *all;
	struct bt_vmarea *v, *area = NULL;
	size_t len;
	int i, n;

	ASSERT_NE(0ULL, va);
	n = vmalloc_areas(&v);
	ASSERT_LT(0, n) TH_LOG("no vmalloc area with pages in /proc/vmallocinfo");
	for (i = 0; i < n && !area; i++)
		if (v[i].start <= va && va < v[i].end)
			area = &v[i];
	ASSERT_TRUE(area != NULL)
		TH_LOG("bsdkmem_read %#" PRIx64 " in no vmalloc area", va);
	TH_LOG("area %s", area->line);
	ASSERT_LE(2 * BT_PAGE_SIZE, area->end - area->start);
	len = area->end - area->start - BT_PAGE_SIZE;
	all = malloc(len);
	ASSERT_TRUE(all != NULL);
	EXPECT_EQ((ssize_t)len, bt_kread(self->fd, area->start, all, len))
		TH_LOG("%s", strerror(errno));
	free(all);

	ASSERT_EQ((ssize_t)sizeof(a), bt_kcore_read(va, a, sizeof(a)))
		TH_LOG("/proc/kcore cannot read bsdkmem_read");
	EXPECT_EQ((ssize_t)sizeof(a), bt_kread(self->fd, va, b, sizeof(a)));
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));

	EXPECT_EQ(-1, bt_kread(self->fd, area->end - BT_PAGE_SIZE, b, 16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ((ssize_t)BT_PAGE_SIZE,
		  bt_kread(self->fd, area->end - 2 * BT_PAGE_SIZE, b, sizeof(b)));
	free(v);
}

/* Is this exact line (same area, same pages) still in /proc/vmallocinfo? */
static bool vmalloc_area_listed(const struct bt_vmarea *area)
{
	struct bt_vmarea *v;
	bool found = false;
	int i, n = vmalloc_areas(&v);

	for (i = 0; i < n && !found; i++)
		found = !strcmp(v[i].line, area->line);
	free(v);
	return found;
}

/*
 * The first page of every vmalloc area with pages reads. An area can be
 * freed (and its pages unmapped) after /proc/vmallocinfo listed it, so a
 * refused read counts once the area is listed again, unchanged, and a
 * second read is refused too.
 */
TEST_F(kmem, vmalloc_areas_readable)
{
	unsigned char b[BT_PAGE_SIZE];
	int i, n, ok = 0, gone = 0, bad = 0;
	struct bt_vmarea *v;

	n = vmalloc_areas(&v);
	ASSERT_LT(0, n) TH_LOG("no vmalloc area with pages in /proc/vmallocinfo");
	for (i = 0; i < n; i++) {
		if (bt_kread(self->fd, v[i].start, b, sizeof(b)) == sizeof(b)) {
			ok++;
			continue;
		}
		if (!vmalloc_area_listed(&v[i])) {
			gone++;
			continue;
		}
		if (bt_kread(self->fd, v[i].start, b, sizeof(b)) == sizeof(b)) {
			ok++;
			continue;
		}
		if (!bad++)
			TH_LOG("area %s: %s", v[i].line, strerror(errno));
	}
	TH_LOG("%d vmalloc areas: %d read, %d freed meanwhile, %d refused",
	       n, ok, gone, bad);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, ok);
	free(v);
}

/* An ioremap mapping maps device memory, not RAM: EFAULT. */
TEST_F(kmem, ioremap_efault)
{
	struct bt_vmarea a[64];
	unsigned char b[16];
	int n;

	n = bt_vmallocinfo(" ioremap", a, 64);
	if (n <= 0)
		SKIP(return, "no ioremap area in /proc/vmallocinfo");
	TH_LOG("area %s", a[0].line);
	ASSERT_EQ(-1, bt_kread(self->fd, a[0].start, b, sizeof(b)));
	ASSERT_EQ(EFAULT, errno);
}

/* Zero bytes at a valid address: 0, no error. */
TEST_F(kmem, read_zero_length)
{
	uint64_t va = symbol(_metadata, "linux_banner", NULL);
	char b[1];

	ASSERT_NE(0ULL, va);
	ASSERT_EQ(0, bt_kread(self->fd, va, b, 0));
}

/* With writable=0 a write is EPERM (and the banner is unchanged). */
TEST_F(kmem, write_needs_writable)
{
	uint64_t va = symbol(_metadata, "linux_banner", NULL);
	char b[8];

	ASSERT_NE(0ULL, va);
	ASSERT_EQ(0, bt_set_writable(0));
	ASSERT_EQ(-1, bt_kwrite(self->fd, va, "Linux", 5));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(5, bt_kread(self->fd, va, b, 5));
	ASSERT_EQ(0, memcmp(b, "Linux", 5));
}

/* With writable=1, .rodata is mapped read-only: EFAULT, nothing changed. */
TEST_F(kmem, write_rodata_efault)
{
	uint64_t va = symbol(_metadata, "linux_banner", NULL);
	char b[8];

	ASSERT_NE(0ULL, va);
	ASSERT_EQ(0, bt_set_writable(1));
	/* The same bytes it holds, so a wrong success would do no harm. */
	ASSERT_EQ(-1, bt_kwrite(self->fd, va, "Linux", 5));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(5, bt_kread(self->fd, va, b, 5));
	ASSERT_EQ(0, memcmp(b, "Linux", 5));
}

/* With writable=1, unmapped and user addresses are still EFAULT. */
TEST_F(kmem, write_unmapped_efault)
{
	char mine[8] = "mine";

	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(-1, bt_kwrite(self->fd, BT_NONCANONICAL, "x", 1));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, bt_kwrite(self->fd, (uintptr_t)mine, "x", 1));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_STREQ("mine", mine);
}

/*
 * The kernel sees what we write: sethostname("bsdmemtest"), read the
 * nodename in init_uts_ns (struct new_utsname at offset 0 of uts_namespace,
 * nodename after the 65-byte sysname), write "BSDMEMTEST", gethostname().
 */
TEST_F(kmem, hostname_write_seen_by_kernel)
{
	uint64_t va = symbol(_metadata, "init_uts_ns", NULL);
	char b[UTS_LEN + 1] = { 0 }, host[UTS_LEN];
	struct utsname u;

	ASSERT_NE(0ULL, va);
	ASSERT_EQ(0, uname(&u));
	/* struct uts_namespace starts with its new_utsname (6.1 and 6.12). */
	ASSERT_EQ(UTS_LEN, bt_kread(self->fd, va, b, UTS_LEN));
	ASSERT_STREQ(u.sysname, b);
	ASSERT_EQ(0, gethostname(self->hostname, sizeof(self->hostname)));
	self->restore_hostname = true;

	ASSERT_EQ(0, sethostname("bsdmemtest", 10));
	ASSERT_EQ(11, bt_kread(self->fd, va + UTS_LEN, b, 11));
	ASSERT_STREQ("bsdmemtest", b);

	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(10, bt_kwrite(self->fd, va + UTS_LEN, "BSDMEMTEST", 10));
	ASSERT_EQ(0, gethostname(host, sizeof(host)));
	ASSERT_STREQ("BSDMEMTEST", host);
}

/*
 * Our buffer's page is also mapped in the kernel's direct map at
 * page_offset_base + its physical address: it reads our pattern there,
 * and a write there (writable=1) shows in our buffer.
 */
TEST_F(kmem, direct_map_alias)
{
	uint64_t pob_va = symbol(_metadata, "page_offset_base", NULL);
	unsigned char page[BT_PAGE_SIZE];
	uint64_t pob, pa;
	unsigned char *buf;

	if (!pob_va)
		SKIP(return, "page_offset_base not in /proc/kallsyms");
	ASSERT_EQ(8, bt_kread(self->fd, pob_va, &pob, 8));
	ASSERT_EQ(0xffULL, pob >> 56);
	buf = bt_alloc_pinned(BT_PAGE_SIZE);
	ASSERT_TRUE(buf != NULL);
	bt_fill(buf, BT_PAGE_SIZE, 7);
	ASSERT_EQ(0, bt_pagemap_paddr(buf, &pa));
	if (!pa)
		SKIP(return, "pagemap shows no PFNs");
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE,
		  bt_kread(self->fd, pob + pa, page, BT_PAGE_SIZE));
	ASSERT_EQ(0, memcmp(page, buf, BT_PAGE_SIZE));

	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(6, bt_kwrite(self->fd, pob + pa + 100, "kernel", 6));
	ASSERT_EQ(0, memcmp(buf + 100, "kernel", 6));
	bt_free_pinned(buf, BT_PAGE_SIZE);
}

TEST_HARNESS_MAIN
