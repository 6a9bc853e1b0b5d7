// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdmem read, write and lseek (SPEC §3.1, §3.2): the physical page of
 * our own buffer reads and writes through the device, the BIOS ROM equals
 * Linux /dev/mem's, driver-claimed MMIO is EPERM, beyond the CPU limit is
 * EFAULT, short counts once anything moved, a signal that comes during a
 * read ends it after the page being copied, and every RAM page of
 * /proc/iomem can be read. lseek runs on both devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bsdmem_harness.h"

/*
 * The per-test timeouts add up to the program's 980 s in selftests/suites:
 * 29 tests of the harness's 30 s and read_all_ram's 110 s.
 */

#define NPAGES		4
#define BIOS_BASE	0xf0000
#define BIOS_LEN	0x10000
#define SCAN_CHUNK	(1UL << 20)
#define WINDOW_LEN	(16UL << 20)

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

/*
 * Two pages of ours that are neighbours in physical memory: a locked,
 * patterned 2 MiB buffer (a transparent huge page if the kernel gives one)
 * and, by pagemap, the first of its pages whose successor in the buffer is
 * also the next physical page. Returns that page's address and sets *pa,
 * or NULL; *map is the mapping to unmap (2 * BT_HPAGE_SIZE).
 */
static unsigned char *adjacent_pages(void **map, uint64_t *pa)
{
	uint64_t a, b;
	unsigned char *p;
	size_t i;

	*map = mmap(NULL, 2 * BT_HPAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*map == MAP_FAILED)
		return NULL;
	p = (unsigned char *)(((uintptr_t)*map + BT_HPAGE_SIZE - 1) &
			      ~(BT_HPAGE_SIZE - 1));
	madvise(p, BT_HPAGE_SIZE, MADV_HUGEPAGE);
	bt_fill(p, BT_HPAGE_SIZE, 4);
	if (mlock(p, BT_HPAGE_SIZE) || bt_pagemap_paddr(p, &a))
		return NULL;
	for (i = 1; i < BT_HPAGE_SIZE / BT_PAGE_SIZE; i++, a = b) {
		if (bt_pagemap_paddr(p + i * BT_PAGE_SIZE, &b))
			return NULL;
		if (a && b == a + BT_PAGE_SIZE) {
			*pa = a;
			return p + (i - 1) * BT_PAGE_SIZE;
		}
	}
	return NULL;
}

/* Whether pagemap still shows va's page at physical address pa. */
static int still_at(const unsigned char *va, uint64_t pa)
{
	uint64_t now;

	return !bt_pagemap_paddr(va, &now) && now == pa;
}

/*
 * A read across a page boundary is split per page and fully done: all of
 * it holds our pattern, the end of one page and the start of the next.
 * mlock does not pin a page's physical address: compaction and khugepaged
 * migrate mlocked pages. So a read counts only when pagemap shows both
 * pages where they were before it and after it; otherwise (and when the
 * buffer had no two physical neighbours) the test takes a new buffer.
 */
#define CROSS_TRIES	32
TEST_F(mem, read_crosses_page)
{
	int tries, moved = 0, apart = 0;
	unsigned char b[200], *p;
	uint64_t pa = 0;
	void *map;

	for (tries = 0; tries < CROSS_TRIES; tries++) {
		p = adjacent_pages(&map, &pa);
		if (!p) {
			apart++;
		} else {
			ASSERT_EQ(200, pread(self->fd, b, 200, pa + 4000));
			if (still_at(p, pa) &&
			    still_at(p + BT_PAGE_SIZE, pa + BT_PAGE_SIZE))
				break;
			moved++;
			p = NULL;
		}
		if (map != MAP_FAILED)
			munmap(map, 2 * BT_HPAGE_SIZE);
	}
	ASSERT_TRUE(p != NULL)
		TH_LOG("%d buffers: %d had no two physical neighbours, in %d the pages moved during the read",
		       CROSS_TRIES, apart, moved);
	if (tries)
		TH_LOG("took buffer %d: %d had no neighbours, %d moved",
		       tries + 1, apart, moved);
	EXPECT_EQ(0, memcmp(b, p + 4000, 96)) TH_LOG("first page's end");
	EXPECT_EQ(0, memcmp(b + 96, p + BT_PAGE_SIZE, 104))
		TH_LOG("second page (%#" PRIx64 ")'s start", pa + BT_PAGE_SIZE);
	munmap(map, 2 * BT_HPAGE_SIZE);
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

/*
 * WINDOW_LEN bytes of System RAM by /proc/iomem alone (not by reading
 * through the device under test): page-aligned, above the first MiB.
 */
static int ram_window(uint64_t *start)
{
	struct bt_iomem res[512];
	uint64_t s;
	int i, n;

	n = bt_iomem(res, 512);
	for (i = 0; i < n; i++) {
		if (res[i].depth || strcmp(res[i].name, "System RAM"))
			continue;
		s = (res[i].start + BT_PAGE_SIZE - 1) & ~(BT_PAGE_SIZE - 1);
		if (s < 0x100000)
			s = 0x100000;
		if (s + WINDOW_LEN - 1 <= res[i].end) {
			*start = s;
			return 0;
		}
	}
	return -1;
}

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

/* The reading thread: one read(2) of the window into dst. */
struct sigread {
	int fd;
	unsigned char *dst;
	ssize_t got;
	int err;
	int done;		/* written when the read returned */
};

static void *sigread_reader(void *arg)
{
	struct sigread *r = arg;

	r->got = read(r->fd, r->dst, WINDOW_LEN);
	r->err = errno;
	if (write(r->done, "x", 1) != 1)
		r->err = errno;
	return NULL;
}

/*
 * The userfaultfd that catches the read's copy into dst's second page
 * (non-blocking: poll() reports an error on a blocking one).
 */
static int sigread_uffd(unsigned char *dst)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)dst + BT_PAGE_SIZE,
			   .len = BT_PAGE_SIZE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

/*
 * A signal that comes while read(2) moves the window ends the read with
 * the count done so far, and the file position moves by exactly that
 * count (SPEC 3.1: a pending signal stops a long transfer with the partial
 * count; a positive count is never restarted, SA_RESTART or not).
 *
 * The signal is sent on an event, not on a timer: the destination's second
 * page is missing and registered with userfaultfd, so the driver's copy of
 * the second page to the user blocks in the fault; then this thread sends
 * the signal to the reader and fills the page. The driver must stop right
 * after that page: two pages of WINDOW_LEN, which the same read gives
 * whole without the signal.
 */
static void signal_ends_read(struct __test_metadata *_metadata, int fd,
			     int sa_flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = sa_flags };
	struct sigread r = { .fd = fd, .got = -2 };
	struct uffdio_copy copy = { .len = BT_PAGE_SIZE };
	struct uffd_msg msg;
	struct pollfd pfd[2];
	unsigned char *big, page[BT_PAGE_SIZE];
	int uffd, done[2];
	uint64_t start;
	pthread_t t;

	ASSERT_EQ(0, ram_window(&start))
		TH_LOG("no %lu MiB of System RAM in /proc/iomem", WINDOW_LEN >> 20);
	big = mmap(NULL, WINDOW_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(big != MAP_FAILED);
	ASSERT_EQ((ssize_t)WINDOW_LEN, pread(fd, big, WINDOW_LEN, start))
		TH_LOG("RAM %#" PRIx64 " + %lu MiB does not read whole: %s",
		       start, WINDOW_LEN >> 20, strerror(errno));
	munmap(big, WINDOW_LEN);

	r.dst = mmap(NULL, WINDOW_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(r.dst != MAP_FAILED);
	r.dst[0] = 1;
	uffd = sigread_uffd(r.dst);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, pipe(done));
	r.done = done[1];
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ((off_t)start, lseek(fd, start, SEEK_SET));
	ASSERT_EQ(0, pthread_create(&t, NULL, sigread_reader, &r));

	/* The fault in the second page, or the read's end if none came. */
	pfd[0] = (struct pollfd){ .fd = uffd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = done[0], .events = POLLIN };
	ASSERT_LT(0, poll(pfd, 2, -1));
	ASSERT_TRUE(pfd[0].revents & POLLIN)
		TH_LOG("the read ended (%zd: %s) without touching the second page",
		       r.got, strerror(r.err));
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ((uintptr_t)r.dst + BT_PAGE_SIZE,
		  msg.arg.pagefault.address & ~(BT_PAGE_SIZE - 1));
	ASSERT_EQ(0, signals);
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	memset(page, 0x5a, sizeof(page));
	copy.dst = (uintptr_t)r.dst + BT_PAGE_SIZE;
	copy.src = (uintptr_t)page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy))
		TH_LOG("UFFDIO_COPY: %s", strerror(errno));
	ASSERT_EQ(0, pthread_join(t, NULL));

	TH_LOG("read %zd of %lu bytes, %d signal(s)", r.got, WINDOW_LEN,
	       (int)signals);
	EXPECT_EQ(1, signals);
	EXPECT_EQ((ssize_t)(2 * BT_PAGE_SIZE), r.got)
		TH_LOG("errno %d", r.err);
	EXPECT_EQ((off_t)(start + (r.got > 0 ? r.got : 0)),
		  lseek(fd, 0, SEEK_CUR));
	close(uffd);
	close(done[0]);
	close(done[1]);
	munmap(r.dst, WINDOW_LEN);
}

/* A signal without SA_RESTART ends a long read early (see above). */
TEST_F(mem, signal_ends_long_read)
{
	signal_ends_read(_metadata, self->fd, 0);
}

/* With SA_RESTART the same: a partial count is returned, not restarted. */
TEST_F(mem, signal_ends_long_read_sa_restart)
{
	signal_ends_read(_metadata, self->fd, SA_RESTART);
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
