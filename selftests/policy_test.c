// SPDX-License-Identifier: GPL-2.0
/*
 * The page policy's classes that only special hardware shows (SPEC §3.1,
 * §3.3, §7.3), in the vmem boot: RAM that a virtio-mem device plugged and
 * the kernel onlined sits inside an IORESOURCE_SYSTEM_RAM |
 * IORESOURCE_EXCLUSIVE resource, which its driver keeps from /dev/mem.
 * read, mmap and the dump must all leave it alone, although every page of
 * it is online, ordinary RAM in the direct map.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define VMEM_NAME	"System RAM (virtio_mem)"

FIXTURE(vmem) {
	int fd;
	struct bt_iomem ram;	/* the first plugged virtio-mem RAM block */
};

/* The first "System RAM (virtio_mem)" line of /proc/iomem; true if found. */
static bool find_vmem_ram(struct bt_iomem *out)
{
	struct bt_iomem r[256];
	int i, n = bt_iomem(r, 256);

	for (i = 0; i < n; i++) {
		if (r[i].depth > 0 && !strcmp(r[i].name, VMEM_NAME)) {
			*out = r[i];
			return true;
		}
	}
	return false;
}

FIXTURE_SETUP(vmem)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->fd = open(_PATH_BSDMEM, O_RDONLY);
	if (self->fd < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	if (!find_vmem_ram(&self->ram)) {
		/* The vmem boot exists for this: it must show the memory. */
		ASSERT_FALSE(bt_boot_is("vmem")) TH_LOG("no '%s' in /proc/iomem",
							VMEM_NAME);
		SETUP_SKIP("no virtio-mem memory (the vmem boot has it)");
	}
	TH_LOG("virtio-mem RAM %#" PRIx64 "-%#" PRIx64, self->ram.start,
	       self->ram.end);
}

FIXTURE_TEARDOWN(vmem)
{
	close(self->fd);
}

/* The memory is online: only its exclusive parent resource forbids it. */
TEST_F(vmem, memory_is_online)
{
	char path[96], buf[64];
	unsigned long long block;

	ASSERT_LT(0, bt_read_file("/sys/devices/system/memory/block_size_bytes",
				  buf, sizeof(buf)));
	block = strtoull(buf, NULL, 16);
	ASSERT_LT(0ULL, block);
	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%llu/state",
		 (unsigned long long)(self->ram.start / block));
	ASSERT_LT(0, bt_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "online", 6)) TH_LOG("%s: %s", path, buf);
}

/* read(2) of any page of it is EFAULT, as for other RAM read() refuses. */
TEST_F(vmem, pread_efault)
{
	uint64_t last = (self->ram.end & ~(BT_PAGE_SIZE - 1));
	char b[64];

	EXPECT_EQ(-1, pread(self->fd, b, sizeof(b), (off_t)self->ram.start));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->fd, b, sizeof(b), (off_t)last));
	EXPECT_EQ(EFAULT, errno);
}

/* mmap refuses what read refuses, shared or private: EFAULT. */
TEST_F(vmem, mmap_efault)
{
	void *m;

	m = mmap(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd,
		 (off_t)self->ram.start);
	EXPECT_TRUE(m == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	if (m != MAP_FAILED)
		munmap(m, BT_PAGE_SIZE);
	m = mmap(NULL, BT_PAGE_SIZE, PROT_READ, MAP_PRIVATE, self->fd,
		 (off_t)self->ram.start);
	EXPECT_TRUE(m == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	if (m != MAP_FAILED)
		munmap(m, BT_PAGE_SIZE);
}

/*
 * The device's part that is not plugged has no "System RAM" child, only the
 * exclusive parent: read and mmap refuse it all the same.
 */
TEST_F(vmem, unplugged_part_efault)
{
	struct bt_iomem r[256];
	uint64_t pa = self->ram.end + 1;
	bool inside = false;
	char b[64];
	int i, n = bt_iomem(r, 256);
	void *m;

	for (i = 0; i < n; i++)
		if (r[i].depth == self->ram.depth - 1 && r[i].start <= pa &&
		    pa + BT_PAGE_SIZE - 1 <= r[i].end &&
		    r[i].start <= self->ram.start)
			inside = true;
	ASSERT_TRUE(inside) TH_LOG("no unplugged part after %#" PRIx64, pa);
	EXPECT_EQ(-1, pread(self->fd, b, sizeof(b), (off_t)pa));
	EXPECT_EQ(EFAULT, errno);
	m = mmap(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd, (off_t)pa);
	EXPECT_TRUE(m == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	if (m != MAP_FAILED)
		munmap(m, BT_PAGE_SIZE);
}

/* A dump's dump_avail leaves the range out, so no page of it is dumped. */
TEST_F_TIMEOUT(vmem, not_in_dump, 300)
{
	const struct minidumphdr *h;
	struct mdv_drain d;
	const uint64_t *av;
	uint64_t off, i;

	ASSERT_EQ(0, mdv_dump_stream(self->fd, &d, 0, 0, KERNELDUMP_COMP_NONE,
				     self->ram.start));
	ASSERT_LE(2 * MDV_PG, d.total);
	h = (const struct minidumphdr *)d.head;
	ASSERT_EQ(0, strncmp(h->magic, MINIDUMP_MAGIC, sizeof(h->magic)));
	off = MDV_PG + mdv_pg_round(h->msgbufsize);
	ASSERT_LE(off + h->dumpavailsize, (uint64_t)MDV_HEAD_MAX);
	av = (const uint64_t *)(d.head + off);
	for (i = 0; i + 1 < h->dumpavailsize / 8 && (av[i] || av[i + 1]); i += 2)
		EXPECT_TRUE(av[i + 1] <= self->ram.start || av[i] > self->ram.end)
			TH_LOG("dump_avail [%#" PRIx64 ", %#" PRIx64 ") overlaps it",
			       av[i], av[i + 1]);
	EXPECT_GT(i, 0);
	EXPECT_EQ(-1, d.want_off);
	free(d.head);
}

TEST_HARNESS_MAIN
