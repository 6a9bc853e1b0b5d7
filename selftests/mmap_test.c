// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of /dev/bsdmem (SPEC §3.3, §2): a shared mapping of our own buffer's
 * physical page shows its bytes; writable=0 refuses shared writable mappings
 * and their later mprotect; MAP_PRIVATE copies on write; wrapping, beyond the
 * CPU limit and driver-claimed ranges are refused; /proc/self/mem goes
 * through the driver's access hook; /dev/bsdkmem cannot be mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "bsdmem_harness.h"

FIXTURE(mmap) {
	int fd;			/* O_RDWR */
	int bits;
	unsigned char *buf;	/* one pinned page with a pattern */
	uint64_t paddr;
	void *map;
	size_t map_len;
};

FIXTURE_SETUP(mmap)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(_PATH_BSDMEM, O_RDWR);
	ASSERT_GE(self->fd, 0);
	self->bits = bt_phys_bits();
	ASSERT_GT(self->bits, 31);
	self->buf = bt_alloc_pinned(BT_PAGE_SIZE);
	ASSERT_TRUE(self->buf != NULL);
	bt_fill(self->buf, BT_PAGE_SIZE, 11);
	ASSERT_EQ(0, bt_pagemap_paddr(self->buf, &self->paddr));
	if (!self->paddr)
		SETUP_SKIP("pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
	self->map = MAP_FAILED;
}

FIXTURE_TEARDOWN(mmap)
{
	bt_set_writable(0);
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	bt_free_pinned(self->buf, BT_PAGE_SIZE);
	close(self->fd);
}

static void *map_phys(FIXTURE_DATA(mmap) *self, int fd, uint64_t pa,
		      size_t len, int prot, int flags)
{
	self->map_len = len;
	self->map = mmap(NULL, len, prot, flags, fd, (off_t)pa);
	return self->map;
}

/* A shared read-only mapping of our page shows its bytes, and follows them. */
TEST_F(mmap, shared_reads_own_page)
{
	unsigned char *m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE,
				    PROT_READ, MAP_SHARED);

	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(0, memcmp(m, self->buf, BT_PAGE_SIZE));
	self->buf[42] ^= 0xff;
	ASSERT_EQ(self->buf[42], m[42]);
}

/* An O_RDONLY fd gives read-only shared mappings like any device. */
TEST_F(mmap, rdonly_fd_reads)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY);
	unsigned char *m;

	ASSERT_GE(fd, 0);
	m = map_phys(self, fd, self->paddr, BT_PAGE_SIZE, PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(0, memcmp(m, self->buf, BT_PAGE_SIZE));
	close(fd);
}

/* With writable=0 a shared writable mapping is EPERM. */
TEST_F(mmap, shared_write_needs_writable)
{
	ASSERT_EQ(0, bt_set_writable(0));
	ASSERT_TRUE(map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EPERM, errno);
}

/* With writable=0 the read-only mapping has no VM_MAYWRITE: mprotect EACCES. */
TEST_F(mmap, mprotect_write_eacces)
{
	unsigned char *m;

	ASSERT_EQ(0, bt_set_writable(0));
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE, PROT_READ,
		     MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(-1, mprotect(m, BT_PAGE_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	/* Turning writable on later does not grant it to the old mapping. */
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(-1, mprotect(m, BT_PAGE_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
}

/* With writable=1 a write through a shared mapping lands in our page. */
TEST_F(mmap, shared_write_visible)
{
	unsigned char *m;

	ASSERT_EQ(0, bt_set_writable(1));
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	memcpy(m + 200, "shared", 6);
	ASSERT_EQ(0, memcmp(self->buf + 200, "shared", 6));
}

/* The VFS refuses a shared writable mapping of an O_RDONLY fd: EACCES. */
TEST_F(mmap, rdonly_fd_shared_write_eacces)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_TRUE(map_phys(self, fd, self->paddr, BT_PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EACCES, errno);
	close(fd);
}

/* MAP_PRIVATE writable is allowed: writes go to a copy, not to memory. */
TEST_F(mmap, private_copy_on_write)
{
	unsigned char before[BT_PAGE_SIZE];
	unsigned char *m;

	ASSERT_EQ(0, bt_set_writable(0));
	memcpy(before, self->buf, BT_PAGE_SIZE);
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(0, memcmp(m, before, BT_PAGE_SIZE));
	memcpy(m + 300, "private", 7);
	ASSERT_EQ(0, memcmp(m + 300, "private", 7));
	ASSERT_EQ(0, memcmp(self->buf, before, BT_PAGE_SIZE));
}

/* The BIOS ROM (not RAM, below 1 MiB) maps and equals what read(2) gives. */
TEST_F(mmap, bios_rom)
{
	unsigned char b[0x10000];
	unsigned char *m;

	m = map_phys(self, self->fd, 0xf0000, sizeof(b), PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ((ssize_t)sizeof(b), pread(self->fd, b, sizeof(b), 0xf0000));
	ASSERT_EQ(0, memcmp(m, b, sizeof(b)));
}

/*
 * offset + length past 2^64 is EINVAL from the driver (the VFS lets exactly
 * 2^64 through for unsigned-offset files); one more page and the VFS itself
 * answers EOVERFLOW.
 */
TEST_F(mmap, wrap_refused)
{
	ASSERT_TRUE(map_phys(self, self->fd, 0xffffffffffffe000ULL,
			     2 * BT_PAGE_SIZE, PROT_READ, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(map_phys(self, self->fd, 0xffffffffffffe000ULL,
			     3 * BT_PAGE_SIZE, PROT_READ, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EOVERFLOW, errno);
}

/* A range reaching past 2^(physical address bits) is EINVAL. */
TEST_F(mmap, beyond_phys_limit_einval)
{
	uint64_t limit = 1ULL << self->bits;

	ASSERT_TRUE(map_phys(self, self->fd, limit, BT_PAGE_SIZE, PROT_READ,
			     MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(map_phys(self, self->fd, limit - BT_PAGE_SIZE,
			     2 * BT_PAGE_SIZE, PROT_READ, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
}

/* Driver-claimed MMIO (the I/O APIC), or a range that includes it: EPERM. */
TEST_F(mmap, claimed_mmio_eperm)
{
	struct bt_iomem r;

	if (!bt_iomem_find("IOAPIC", &r))
		SKIP(return, "no IOAPIC in /proc/iomem");
	ASSERT_TRUE(map_phys(self, self->fd, r.start, BT_PAGE_SIZE,
			     PROT_READ, MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(EPERM, errno);
	ASSERT_TRUE(map_phys(self, self->fd, r.start - BT_PAGE_SIZE,
			     2 * BT_PAGE_SIZE, PROT_READ, MAP_PRIVATE) == MAP_FAILED);
	ASSERT_EQ(EPERM, errno);
}

/* Unclaimed MMIO (HPET, not busy) maps and shows what read(2) shows. */
TEST_F(mmap, unclaimed_mmio_maps)
{
	volatile uint32_t *m;
	struct bt_iomem r;
	uint32_t cap = 0;

	if (!bt_iomem_find("HPET", &r))
		SKIP(return, "no HPET in /proc/iomem");
	m = map_phys(self, self->fd, r.start, BT_PAGE_SIZE, PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(4, pread(self->fd, &cap, 4, r.start));
	ASSERT_EQ(cap, m[0]);
}

/* The VMA is VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP (smaps). */
TEST_F(mmap, vma_flags)
{
	char line[256], want[64];
	unsigned char *m;
	bool in = false, found = false;
	FILE *f;

	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE, PROT_READ,
		     MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)m);
	f = fopen("/proc/self/smaps", "re");
	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = true;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			found = true;
			EXPECT_TRUE(strstr(line, " io") != NULL) TH_LOG("%s", line);
			EXPECT_TRUE(strstr(line, " pf") != NULL) TH_LOG("%s", line);
			EXPECT_TRUE(strstr(line, " de") != NULL) TH_LOG("%s", line);
			EXPECT_TRUE(strstr(line, " dd") != NULL) TH_LOG("%s", line);
			break;
		}
	}
	fclose(f);
	ASSERT_TRUE(found);
	/* VM_DONTEXPAND: the mapping cannot grow. */
	ASSERT_TRUE(mremap(m, BT_PAGE_SIZE, 2 * BT_PAGE_SIZE, 0) == MAP_FAILED);
}

/* /proc/self/mem reads a RAM mapping through the driver's access hook. */
TEST_F(mmap, proc_mem_reads)
{
	unsigned char b[64];
	unsigned char *m;
	int pm;

	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE, PROT_READ,
		     MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	pm = open("/proc/self/mem", O_RDWR);
	ASSERT_GE(pm, 0);
	ASSERT_EQ((ssize_t)sizeof(b), pread(pm, b, sizeof(b), (off_t)(uintptr_t)(m + 1000)));
	ASSERT_EQ(0, memcmp(b, self->buf + 1000, sizeof(b)));
	close(pm);
}

/* /proc/self/mem cannot write through a read-only mapping (EIO). */
TEST_F(mmap, proc_mem_write_readonly_refused)
{
	unsigned char before[BT_PAGE_SIZE];
	unsigned char *m;
	int pm;

	ASSERT_EQ(0, bt_set_writable(1));
	memcpy(before, self->buf, BT_PAGE_SIZE);
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE, PROT_READ,
		     MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	pm = open("/proc/self/mem", O_RDWR);
	ASSERT_GE(pm, 0);
	ASSERT_EQ(-1, pwrite(pm, "poke", 4, (off_t)(uintptr_t)(m + 10)));
	ASSERT_EQ(EIO, errno);
	ASSERT_EQ(0, memcmp(self->buf, before, BT_PAGE_SIZE));
	close(pm);
}

/* With writable=1, /proc/self/mem writes a shared writable mapping. */
TEST_F(mmap, proc_mem_write_shared)
{
	unsigned char *m;
	int pm;

	ASSERT_EQ(0, bt_set_writable(1));
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	pm = open("/proc/self/mem", O_RDWR);
	ASSERT_GE(pm, 0);
	ASSERT_EQ(4, pwrite(pm, "poke", 4, (off_t)(uintptr_t)(m + 10)));
	ASSERT_EQ(0, memcmp(self->buf + 10, "poke", 4));
	close(pm);
}

/* /dev/bsdkmem has no mmap, as on FreeBSD: ENODEV. */
TEST_F(mmap, kmem_enodev)
{
	int fd = open(_PATH_BSDKMEM, O_RDONLY);

	ASSERT_GE(fd, 0);
	ASSERT_TRUE(map_phys(self, fd, 0, BT_PAGE_SIZE, PROT_READ,
			     MAP_SHARED) == MAP_FAILED);
	ASSERT_EQ(ENODEV, errno);
	close(fd);
}

TEST_HARNESS_MAIN
