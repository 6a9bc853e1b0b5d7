// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdmem read, write and lseek (SPEC §3.1, §3.2): the physical page of
 * our own buffer reads and writes through the device, the BIOS ROM equals
 * Linux /dev/mem's, driver-claimed MMIO is EPERM, beyond the CPU limit is
 * EFAULT, short counts once anything moved, signals end long reads early, and
 * every RAM page of /proc/iomem can be read. lseek runs on both devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "bsdmem_harness.h"

#define NPAGES		4
#define BIOS_BASE	0xf0000
#define BIOS_LEN	0x10000
#define SCAN_CHUNK	(1UL << 20)

FIXTURE(mem) {
	int fd;
	int bits;
	unsigned char *buf;
	uint64_t paddr[NPAGES];
};

FIXTURE_SETUP(mem)
{
	int i;

	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(_PATH_BSDMEM, O_RDWR);
	ASSERT_GE(self->fd, 0);
	self->bits = bt_phys_bits();
	ASSERT_GT(self->bits, 31);
	self->buf = bt_alloc_pinned(NPAGES * BT_PAGE_SIZE);
	ASSERT_TRUE(self->buf != NULL);
	bt_fill(self->buf, NPAGES * BT_PAGE_SIZE, 1);
	/* pagemap is the independent oracle for where the buffer lives. */
	for (i = 0; i < NPAGES; i++) {
		ASSERT_EQ(0, bt_pagemap_paddr(self->buf + i * BT_PAGE_SIZE,
					      &self->paddr[i]));
		if (!self->paddr[i])
			SETUP_SKIP("pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
	}
}

FIXTURE_TEARDOWN(mem)
{
	bt_set_writable(0);
	bt_free_pinned(self->buf, NPAGES * BT_PAGE_SIZE);
	close(self->fd);
}

/* MEM_EXTRACT_PADDR then pread at that address reads our own pattern. */
TEST_F(mem, read_own_buffer)
{
	unsigned char page[BT_PAGE_SIZE];
	struct mem_extract me;
	int i;

	for (i = 0; i < NPAGES; i++) {
		unsigned char *va = self->buf + i * BT_PAGE_SIZE;

		ASSERT_EQ(0, bt_extract(self->fd, (uintptr_t)va, 0, 0, &me));
		ASSERT_EQ(ME_STATE_MAPPED, me.me_state);
		ASSERT_EQ(self->paddr[i], me.me_paddr);
		ASSERT_EQ((ssize_t)BT_PAGE_SIZE,
			  pread(self->fd, page, BT_PAGE_SIZE, me.me_paddr));
		ASSERT_EQ(0, memcmp(page, va, BT_PAGE_SIZE));
	}
}

/* A read inside a page returns exactly the bytes at that offset. */
TEST_F(mem, read_subpage)
{
	unsigned char b[100];

	ASSERT_EQ(100, pread(self->fd, b, 100, self->paddr[1] + 1000));
	ASSERT_EQ(0, memcmp(b, self->buf + BT_PAGE_SIZE + 1000, 100));
}

/* A read across a page boundary is split per page and fully done. */
TEST_F(mem, read_crosses_page)
{
	unsigned char b[200];

	ASSERT_EQ(200, pread(self->fd, b, 200, self->paddr[0] + 4000));
	ASSERT_EQ(0, memcmp(b, self->buf + 4000, 96));
}

/* read(2) advances the file position by what it returned. */
TEST_F(mem, read_advances_position)
{
	unsigned char b[100];

	ASSERT_EQ((off_t)self->paddr[2], lseek(self->fd, self->paddr[2], SEEK_SET));
	ASSERT_EQ(100, read(self->fd, b, 100));
	ASSERT_EQ(100, read(self->fd, b, 100));
	ASSERT_EQ((off_t)self->paddr[2] + 200, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(0, memcmp(b, self->buf + 2 * BT_PAGE_SIZE + 100, 100));
}

/* A zero-length read moves nothing and is no error. */
TEST_F(mem, read_zero_length)
{
	unsigned char b[1];

	ASSERT_EQ(0, pread(self->fd, b, 0, self->paddr[0]));
}

/* With writable=0 a write is EPERM before a single byte moves. */
TEST_F(mem, write_needs_writable)
{
	unsigned char old[BT_PAGE_SIZE], new[2 * BT_PAGE_SIZE];

	ASSERT_EQ(0, bt_set_writable(0));
	memcpy(old, self->buf, BT_PAGE_SIZE);
	bt_fill(new, sizeof(new), 2);
	ASSERT_EQ(-1, pwrite(self->fd, new, sizeof(new), self->paddr[0]));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, pwrite(self->fd, new, 1, self->paddr[0]));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, memcmp(old, self->buf, BT_PAGE_SIZE));
}

/* With writable=1 a write to our page's physical address shows in our VA. */
TEST_F(mem, write_own_buffer)
{
	unsigned char new[BT_PAGE_SIZE];

	ASSERT_EQ(0, bt_set_writable(1));
	bt_fill(new, sizeof(new), 3);
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE,
		  pwrite(self->fd, new, BT_PAGE_SIZE, self->paddr[1]));
	ASSERT_EQ(0, memcmp(new, self->buf + BT_PAGE_SIZE, BT_PAGE_SIZE));
	ASSERT_EQ(5, pwrite(self->fd, "hello", 5, self->paddr[3] + 10));
	ASSERT_EQ(0, memcmp("hello", self->buf + 3 * BT_PAGE_SIZE + 10, 5));
	/* The rest of that page is untouched. */
	ASSERT_EQ(0, memcmp(new, self->buf + BT_PAGE_SIZE, BT_PAGE_SIZE));
}

/* The writable parameter is read at each operation, not at open. */
TEST_F(mem, writable_read_per_operation)
{
	unsigned char b = 0x5a;

	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(1, pwrite(self->fd, &b, 1, self->paddr[2]));
	ASSERT_EQ(0x5a, self->buf[2 * BT_PAGE_SIZE]);
	ASSERT_EQ(0, bt_set_writable(0));
	b = 0xa5;
	ASSERT_EQ(-1, pwrite(self->fd, &b, 1, self->paddr[2]));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0x5a, self->buf[2 * BT_PAGE_SIZE]);
}

/* The BIOS ROM (below 1 MiB, not RAM) reads as Linux /dev/mem shows it. */
TEST_F(mem, bios_rom_matches_devmem)
{
	unsigned char *a, *b;
	int devmem;

	devmem = open("/dev/mem", O_RDONLY);
	if (devmem < 0)
		SKIP(return, "/dev/mem: %s", strerror(errno));
	a = malloc(BIOS_LEN);
	b = malloc(BIOS_LEN);
	ASSERT_TRUE(a && b);
	ASSERT_EQ(BIOS_LEN, pread(devmem, a, BIOS_LEN, BIOS_BASE));
	ASSERT_EQ(BIOS_LEN, pread(self->fd, b, BIOS_LEN, BIOS_BASE));
	ASSERT_EQ(0, memcmp(a, b, BIOS_LEN));
	/* SeaBIOS ends the ROM with the reset vector: not all zeros. */
	ASSERT_NE(0, b[BIOS_LEN - 16]);
	free(a);
	free(b);
	close(devmem);
}

/* Every 4 KiB page below 1 MiB is readable, RAM or not. */
TEST_F(mem, low_mib_readable)
{
	unsigned char page[BT_PAGE_SIZE];
	uint64_t pa;

	for (pa = 0; pa < 0x100000; pa += BT_PAGE_SIZE)
		ASSERT_EQ((ssize_t)BT_PAGE_SIZE,
			  pread(self->fd, page, BT_PAGE_SIZE, pa))
			TH_LOG("page %#" PRIx64 ": %s", pa, strerror(errno));
}

/* QEMU's 0x9f000 is part RAM, part reserved: it reads whole (no WARN). */
TEST_F(mem, mixed_page_9f000)
{
	unsigned char b[2 * BT_PAGE_SIZE];

	ASSERT_EQ((ssize_t)sizeof(b), pread(self->fd, b, sizeof(b), 0x9f000));
	ASSERT_EQ(100, pread(self->fd, b, 100, 0x9fbc0));
}

/*
 * MMIO that a driver claimed (a busy resource above 1 MiB: the I/O APIC,
 * the local APIC, virtio's BARs) is EPERM for reads and writes. (HPET is
 * not one: arch/x86/kernel/acpi/boot.c registers it without IORESOURCE_BUSY.)
 */
TEST_F(mem, claimed_mmio_eperm)
{
	static const char *const names[] = {
		"IOAPIC", "Local APIC", "virtio-pci-modern",
	};
	struct bt_iomem r;
	unsigned char b[4] = { 0 };
	unsigned int i, found = 0;

	ASSERT_EQ(0, bt_set_writable(1));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!bt_iomem_find(names[i], &r))
			continue;
		found++;
		ASSERT_EQ(-1, pread(self->fd, b, 4, r.start)) TH_LOG("%s", names[i]);
		ASSERT_EQ(EPERM, errno) TH_LOG("%s", names[i]);
		ASSERT_EQ(-1, pread(self->fd, b, 4, r.end - 3)) TH_LOG("%s", names[i]);
		ASSERT_EQ(EPERM, errno);
	}
	if (!found)
		SKIP(return, "no IOAPIC, Local APIC or virtio BAR in /proc/iomem");
	/* A write to the I/O APIC's index register would be harmless anyway. */
	if (bt_iomem_find("IOAPIC", &r)) {
		ASSERT_EQ(-1, pwrite(self->fd, b, 4, r.start));
		ASSERT_EQ(EPERM, errno);
	}
}

/*
 * Unclaimed MMIO above RAM (HPET's registers) reads through ioremap, which
 * Linux /dev/mem cannot do; the HPET capabilities register has a nonzero
 * revision in its low byte.
 */
TEST_F(mem, unclaimed_mmio_reads)
{
	struct bt_iomem r;
	uint64_t cap = 0;

	if (!bt_iomem_find("HPET", &r))
		SKIP(return, "no HPET in /proc/iomem");
	ASSERT_EQ(8, pread(self->fd, &cap, 8, r.start));
	ASSERT_NE(0ULL, cap & 0xff);
	ASSERT_NE(0xffffffffffffffffULL, cap);
}

/*
 * A read that starts on a free page and runs into a claimed one returns
 * the free part; starting on the claimed one it is EPERM.
 */
TEST_F(mem, partial_count_into_claimed)
{
	unsigned char b[2 * BT_PAGE_SIZE];
	struct bt_iomem res[512], ioapic;
	uint64_t before;
	int i, n;

	if (!bt_iomem_find("IOAPIC", &ioapic))
		SKIP(return, "no IOAPIC in /proc/iomem");
	before = (ioapic.start & ~(BT_PAGE_SIZE - 1)) - BT_PAGE_SIZE;
	n = bt_iomem(res, 512);
	for (i = 0; i < n; i++)
		if (res[i].start <= before + BT_PAGE_SIZE - 1 && res[i].end >= before &&
		    strncmp(res[i].name, "PCI Bus", 7))
			SKIP(return, "%s is just below the I/O APIC", res[i].name);
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE, pread(self->fd, b, sizeof(b), before));
	ASSERT_EQ(-1, pread(self->fd, b, sizeof(b), before + BT_PAGE_SIZE));
	ASSERT_EQ(EPERM, errno);
}

/* An address at or above 2^(physical address bits) is EFAULT. */
TEST_F(mem, beyond_phys_limit_efault)
{
	uint64_t limit = 1ULL << self->bits;
	unsigned char b[16];

	ASSERT_EQ(-1, pread(self->fd, b, 16, limit));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, pread(self->fd, b, 16, 1ULL << 62));
	ASSERT_EQ(EFAULT, errno);
	/* Reachable only through lseek: the top of the unsigned range. */
	ASSERT_EQ((off_t)0xffffffffffffe000ULL,
		  lseek(self->fd, (off_t)0xffffffffffffe000ULL, SEEK_SET));
	ASSERT_EQ(-1, read(self->fd, b, 16));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(-1, pwrite(self->fd, b, 16, limit));
	ASSERT_EQ(EFAULT, errno);
}

/* A read that runs off the CPU limit returns the part before it. */
TEST_F(mem, partial_count_at_limit)
{
	uint64_t last = (1ULL << self->bits) - BT_PAGE_SIZE;
	unsigned char b[2 * BT_PAGE_SIZE];
	struct bt_iomem res[512];
	int i, n;

	n = bt_iomem(res, 512);
	ASSERT_GT(n, 0);
	/*
	 * Bridge windows and e820 "Reserved" above 1 MiB are not claims
	 * (e820.c does not mark them busy); anything else might be.
	 */
	for (i = 0; i < n; i++)
		if (res[i].end >= last && strncmp(res[i].name, "PCI Bus", 7) &&
		    strcmp(res[i].name, "Reserved"))
			SKIP(return, "%s covers the last page", res[i].name);
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE, pread(self->fd, b, sizeof(b), last));
	ASSERT_EQ((off_t)last, lseek(self->fd, last, SEEK_SET));
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE, read(self->fd, b, sizeof(b)));
	ASSERT_EQ((off_t)(last + BT_PAGE_SIZE), lseek(self->fd, 0, SEEK_CUR));
}

/* pread takes a signed offset: the VFS refuses 2^63 and up with EINVAL. */
TEST_F(mem, pread_high_offset_einval)
{
	unsigned char b[16];

	ASSERT_EQ(-1, pread(self->fd, b, 16, (off_t)(1ULL << 63)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(self->fd, b, 16, (off_t)0xffffffff80000000ULL));
	ASSERT_EQ(EINVAL, errno);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * Find len bytes of System RAM that read back whole in SCAN_CHUNK pieces, so
 * that a short count later can only come from the signal.
 */
static int readable_ram_window(int fd, size_t len, uint64_t *start)
{
	struct bt_iomem res[512];
	char *chunk = malloc(SCAN_CHUNK);
	uint64_t run_start, pa, end;
	int i, n, ret = -1;

	n = bt_iomem(res, 512);
	for (i = 0; chunk && i < n && ret; i++) {
		if (res[i].depth || strcmp(res[i].name, "System RAM"))
			continue;
		run_start = (res[i].start + SCAN_CHUNK - 1) & ~(SCAN_CHUNK - 1);
		end = res[i].end + 1;
		for (pa = run_start; pa + SCAN_CHUNK <= end; pa += SCAN_CHUNK) {
			if (pread(fd, chunk, SCAN_CHUNK, pa) != (ssize_t)SCAN_CHUNK) {
				run_start = pa + SCAN_CHUNK;
				continue;
			}
			if (pa + SCAN_CHUNK - run_start >= len) {
				*start = run_start;
				ret = 0;
				break;
			}
		}
	}
	free(chunk);
	return ret;
}

/*
 * A long read interrupted by a signal (no SA_RESTART) ends early with the
 * count done so far, and the file position moves by exactly that count.
 */
TEST_F(mem, signal_ends_long_read)
{
	const size_t len = 64UL << 20;
	struct itimerval it = {
		.it_interval = { .tv_usec = 1000 },
		.it_value = { .tv_usec = 1000 },
	};
	struct itimerval off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t start;
	char *big;
	ssize_t r;
	int err;

	if (readable_ram_window(self->fd, len, &start))
		SKIP(return, "no 64 MiB of System RAM reads whole");
	big = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_TRUE(big != MAP_FAILED);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ((off_t)start, lseek(self->fd, start, SEEK_SET));

	alarms = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	r = read(self->fd, big, len);
	err = errno;
	setitimer(ITIMER_REAL, &off, NULL);

	TH_LOG("read %zd of %zu bytes, %d alarms", r, len, (int)alarms);
	ASSERT_GT(alarms, 0);
	if (r < 0) {
		ASSERT_EQ(EINTR, err);
		ASSERT_EQ((off_t)start, lseek(self->fd, 0, SEEK_CUR));
	} else {
		ASSERT_GT(r, 0);
		ASSERT_LT((size_t)r, len);
		ASSERT_EQ((off_t)(start + r), lseek(self->fd, 0, SEEK_CUR));
	}
	munmap(big, len);
}

struct scan {
	uint64_t pages;
	uint64_t refused;
};

/* Read [start, end) in big chunks; a page that gives EFAULT is counted. */
static int scan_range(int fd, char *chunk, uint64_t start, uint64_t end,
		      struct scan *s)
{
	uint64_t pa = start;
	ssize_t r;

	while (pa < end) {
		size_t want = end - pa < SCAN_CHUNK ? end - pa : SCAN_CHUNK;

		r = pread(fd, chunk, want, pa);
		if (r > 0) {
			s->pages += (pa + r + BT_PAGE_SIZE - 1) / BT_PAGE_SIZE -
				    pa / BT_PAGE_SIZE;
			pa += r;
			continue;
		}
		if (r < 0 && errno == EFAULT) {
			s->refused++;
			s->pages++;
			pa = (pa | (BT_PAGE_SIZE - 1)) + 1;
			continue;
		}
		return r < 0 ? -errno : -1;
	}
	return 0;
}

/*
 * Every page of every top-level System RAM range, and every page below 1
 * MiB, reads through /dev/bsdmem; pages that are not in the direct map
 * (KFENCE guards) may be EFAULT, but only a few percent.
 */
TEST_F_TIMEOUT(mem, read_all_ram, 110)
{
	struct bt_iomem res[512];
	struct scan s = { 0 }, low = { 0 };
	char *chunk = malloc(SCAN_CHUNK);
	int i, n, ranges = 0;

	ASSERT_TRUE(chunk != NULL);
	n = bt_iomem(res, 512);
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, scan_range(self->fd, chunk, 0, 0x100000, &low));
	ASSERT_EQ(0ULL, low.refused);
	for (i = 0; i < n; i++) {
		if (res[i].depth || strcmp(res[i].name, "System RAM"))
			continue;
		ranges++;
		ASSERT_EQ(0, scan_range(self->fd, chunk,
					res[i].start & ~(BT_PAGE_SIZE - 1),
					res[i].end + 1, &s))
			TH_LOG("range %#" PRIx64 "-%#" PRIx64, res[i].start,
			       res[i].end);
	}
	TH_LOG("%d RAM ranges: %" PRIu64 " pages read, %" PRIu64
	       " refused (EFAULT); %" PRIu64 " pages below 1 MiB",
	       ranges, s.pages - s.refused, s.refused, low.pages);
	ASSERT_GT(ranges, 0);
	ASSERT_LE(s.refused * 100, s.pages * 3);
	free(chunk);
}

/* lseek semantics are shared by both devices (SPEC §3.2, §4). */
FIXTURE(seek) {
	int fd;
};

FIXTURE_VARIANT(seek) {
	const char *path;
};

FIXTURE_VARIANT_ADD(seek, bsdmem) {
	.path = _PATH_BSDMEM,
};

FIXTURE_VARIANT_ADD(seek, bsdkmem) {
	.path = _PATH_BSDKMEM,
};

FIXTURE_SETUP(seek)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(variant->path, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", variant->path);
	self->fd = open(variant->path, O_RDONLY);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(seek)
{
	close(self->fd);
}

/* SEEK_SET sets, SEEK_CUR adds (also negative deltas). */
TEST_F(seek, set_and_cur)
{
	ASSERT_EQ(0x1000, lseek(self->fd, 0x1000, SEEK_SET));
	ASSERT_EQ(0x1010, lseek(self->fd, 0x10, SEEK_CUR));
	ASSERT_EQ(0x1000, lseek(self->fd, -0x10, SEEK_CUR));
	ASSERT_EQ(0x1000, lseek(self->fd, 0, SEEK_CUR));
}

/* SEEK_END, SEEK_DATA and SEEK_HOLE have no meaning here: EINVAL. */
TEST_F(seek, other_whence_einval)
{
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_DATA));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_HOLE));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, lseek(self->fd, 0, 42));
	ASSERT_EQ(EINVAL, errno);
}

/* Offsets are unsigned: 2^63 and up are positions, not errors. */
TEST_F(seek, unsigned_offsets)
{
	const off_t top = (off_t)0xfffffffffffff000ULL;	/* -4096 */

	errno = 0;
	ASSERT_EQ((off_t)(1ULL << 63), lseek(self->fd, (off_t)(1ULL << 63), SEEK_SET));
	ASSERT_EQ(0, errno);
	ASSERT_EQ(top, lseek(self->fd, top, SEEK_SET));
	ASSERT_EQ(0, errno);
	ASSERT_EQ(top, lseek(self->fd, 0, SEEK_CUR));
}

/* The last 4095 positions would read as errnos: EOVERFLOW, position kept. */
TEST_F(seek, last_4095_eoverflow)
{
	const off_t top = (off_t)0xfffffffffffff000ULL;

	ASSERT_EQ(-1, lseek(self->fd, (off_t)0xfffffffffffff001ULL, SEEK_SET));
	ASSERT_EQ(EOVERFLOW, errno);
	ASSERT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	ASSERT_EQ(EOVERFLOW, errno);
	ASSERT_EQ(top, lseek(self->fd, top, SEEK_SET));
	ASSERT_EQ(-1, lseek(self->fd, 1, SEEK_CUR));
	ASSERT_EQ(EOVERFLOW, errno);
	ASSERT_EQ(top, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(-1, lseek(self->fd, -1, SEEK_CUR));
	ASSERT_EQ(EOVERFLOW, errno);
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_CUR));
}

/* pread/pwrite refuse offsets with the top bit set (VFS): EINVAL. */
TEST_F(seek, pread_top_bit_einval)
{
	unsigned char b[8];

	ASSERT_EQ(-1, pread(self->fd, b, 8, (off_t)0xffffffff81000000ULL));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
