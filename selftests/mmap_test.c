// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of /dev/bsdmem (SPEC §3.3, §2): a shared mapping of our own buffer's
 * physical page shows its bytes; writable=0 refuses shared writable mappings
 * and their later mprotect; MAP_PRIVATE copies on write; wrapping, beyond the
 * CPU limit and driver-claimed ranges are refused; /proc/self/mem goes
 * through the driver's access hook; /dev/bsdkmem cannot be mapped; a
 * memfd_secret page, which read() refuses, cannot be mapped either. O_DSYNC
 * leaves RAM write-back and makes device memory uncached, as the PTE itself
 * shows; on device memory the access hook serves /proc/PID/mem and ptrace,
 * while process_vm_readv, which never calls it, is EFAULT.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "bsdmem_harness.h"
#include "memrange_util.h"

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

/*
 * Map our page shared and read-only with writable=@made, then check that
 * mprotect(PROT_WRITE) is EACCES both then and after writable=@later.
 */
static void mprotect_stays_refused(struct __test_metadata *_metadata,
				   FIXTURE_DATA(mmap) *self, int made,
				   int later)
{
	unsigned char *m;

	ASSERT_EQ(0, bt_set_writable(made));
	m = map_phys(self, self->fd, self->paddr, BT_PAGE_SIZE, PROT_READ,
		     MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	EXPECT_EQ(-1, mprotect(m, BT_PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, bt_set_writable(later));
	EXPECT_EQ(-1, mprotect(m, BT_PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

/*
 * With writable=0 the read-only mapping has no VM_MAYWRITE: mprotect EACCES;
 * turning writable on later does not grant it to the old mapping.
 */
TEST_F(mmap, mprotect_write_eacces)
{
	mprotect_stays_refused(_metadata, self, 0, 1);
}

/*
 * A shared mapping created read-only never gets VM_MAYWRITE, whatever
 * writable was at the time: with writable=1, mprotect(PROT_WRITE) is EACCES,
 * and still after writable goes back to 0.
 */
TEST_F(mmap, mprotect_write_eacces_made_while_writable)
{
	mprotect_stays_refused(_metadata, self, 1, 0);
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

/* ---- memory types: O_DSYNC (SPEC 3.3) ---- */

#define PTE_PRESENT	(1ULL << 0)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PAT		(1ULL << 7)	/* in a 4 KiB PTE */
#define PTE_SPECIAL	(1ULL << 9)	/* what remap_pfn_range() sets */
#define PTE_PFN_MASK	0x000ffffffffff000ULL
#define MSR_PAT		0x277
#define PAT_POWER_ON	0x0007040600070406ULL	/* also the PCD/PWT-only meaning */
#define MT_UC_MINUS	7
#define MT_WB		6
#define KERNEL_IMAGE	0xffffffff80000000ULL

/*
 * Why the PTE, and how it is found. pat_memtype_list tracks device memory
 * only: mappings of RAM never enter it (the kernel keeps RAM's type in page
 * flags), and /proc/self/pagemap has no cache bits. With PAT on, the
 * kernel even overrides a non-write-back request for RAM and only logs it
 * ("map pfn RAM range req"), so that log line is one oracle; the other is
 * the memory type the CPU will use, read from the user PTE itself. Our CR3
 * is not visible, so every System RAM page is read through /proc/kcore
 * (the kernel's own view, not the module's) and the page-table page is the
 * one whose entry for va's index is a present, special (PFN-map) entry of
 * pa: only our /dev/bsdmem mapping makes such an entry for that frame at
 * that index, and zapped page tables are cleared. Copies of a page table
 * (this scan's own freed buffers, on a kernel that does not clear freed
 * pages at once) are not page tables: /proc/kpageflags says which page is
 * one (KPF_PGTABLE). The type is then the
 * PAT MSR's entry (read through /dev/cpu/0/msr) that PAT/PCD/PWT select.
 * Returns the number of matching entries (the last in *pte), or -1.
 */
static int find_user_pte(uint64_t va, uint64_t pa, uint64_t *pte)
{
	const size_t chunk = 1 << 20;
	unsigned int idx = (va >> 12) & 511;
	uint64_t off, e, kpf;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, found = 0;
	char *buf;
	size_t n, pg;

	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	buf = malloc(chunk);
	if (fd < 0 || !buf ||
	    pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		found = -1;
		goto out;
	}
	for (i = 0; i < eh.e_phnum && found >= 0; i++) {
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph)) {
			found = -1;
			break;
		}
		/* RAM segments: a physical address, and not the image alias. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 ||
		    ph.p_vaddr >= KERNEL_IMAGE)
			continue;
		for (off = 0; off < ph.p_memsz && found >= 0; off += n) {
			n = ph.p_memsz - off < chunk ? ph.p_memsz - off : chunk;
			if (pread(fd, buf, n, (off_t)(ph.p_offset + off)) != (ssize_t)n) {
				found = -1;
				break;
			}
			for (pg = 0; pg + BT_PAGE_SIZE <= n && found >= 0;
			     pg += BT_PAGE_SIZE) {
				memcpy(&e, buf + pg + idx * 8, 8);
				if ((e & (PTE_PRESENT | PTE_SPECIAL)) !=
				    (PTE_PRESENT | PTE_SPECIAL) ||
				    (e & PTE_PFN_MASK) != pa)
					continue;
				if (bt_kpageflags((ph.p_paddr + off + pg) / BT_PAGE_SIZE,
						  &kpf)) {
					found = -1;
					break;
				}
				if (kpf >> BT_KPF_PGTABLE & 1) {
					*pte = e;
					found++;
				}
			}
		}
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return found;
}

/* The memory type a 4 KiB PTE selects (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-). */
static int pte_memtype(struct __test_metadata *_metadata, uint64_t pte)
{
	unsigned int idx = (pte & PTE_PAT ? 4 : 0) | (pte & PTE_PCD ? 2 : 0) |
			   (pte & PTE_PWT ? 1 : 0);
	uint64_t pat = PAT_POWER_ON;

	if (bt_cpu_flag("pat") == 1)
		EXPECT_EQ(0, mru_rdmsr(MSR_PAT, &pat));
	return (pat >> (8 * idx)) & 7;
}

/* The type of the one PTE mapping our va to pa; -1 after a failed check. */
static int mapped_memtype(struct __test_metadata *_metadata, const void *va,
			  uint64_t pa)
{
	uint64_t pte = 0;
	int n = find_user_pte((uintptr_t)va, pa, &pte);

	EXPECT_EQ(1, n) TH_LOG("%d page-table entries map %p to %#llx", n, va,
			       (unsigned long long)pa);
	if (n != 1)
		return -1;
	TH_LOG("%p -> %#llx: PTE %#llx, type %d", va, (unsigned long long)pa,
	       (unsigned long long)pte, pte_memtype(_metadata, pte));
	return pte_memtype(_metadata, pte);
}

/*
 * O_DSYNC asks for uncached device memory, never for RAM (SPEC 3.3): our
 * own page maps write-back, the kernel's PAT code logs no overridden
 * request for it, and the mapping shows the page.
 */
TEST_F(mmap, dsync_ram_stays_write_back)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_DSYNC);
	int kmsg = mru_kmsg_open();
	char range[64], line[512];
	const char *const needles[] = { range };
	unsigned char *m;

	ASSERT_GE(fd, 0);
	ASSERT_GE(kmsg, 0);
	snprintf(range, sizeof(range), "[mem %#010llx-%#010llx]",
		 (unsigned long long)self->paddr,
		 (unsigned long long)self->paddr + BT_PAGE_SIZE - 1);
	m = map_phys(self, fd, self->paddr, BT_PAGE_SIZE, PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	EXPECT_FALSE(mru_kmsg_grep(kmsg, needles, 1, line, sizeof(line)))
		TH_LOG("the kernel says: %s", line);
	EXPECT_EQ(MT_WB, mapped_memtype(_metadata, m, self->paddr));
	ASSERT_EQ(0, memcmp(m, self->buf, BT_PAGE_SIZE));
	close(kmsg);
	close(fd);
}

/*
 * Device memory that nothing has reserved (a free piece of a PCI window
 * with no variable MTRR): plain mmap is write-back, as on /dev/mem; with
 * O_DSYNC it is uncached-minus. Both in the kernel's PAT table and in the
 * PTE.
 */
TEST_F(mmap, dsync_mmio_uncached)
{
	static const struct { int flags; int type; const char *word; } cases[] = {
		{ 0, MT_WB, "write-back" },
		{ O_DSYNC, MT_UC_MINUS, "uncached-minus" },
	};
	uint64_t hole;
	unsigned int i;
	int fd;

	if (access(MRU_PAT_LIST, R_OK))
		SKIP(return, "no %s: PAT is off in boot %s", MRU_PAT_LIST, bt_boot());
	ASSERT_EQ(0, mru_find_hole(&hole, false))
		TH_LOG("no free piece of a PCI window without a variable MTRR");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = open(_PATH_BSDMEM, O_RDONLY | cases[i].flags);
		ASSERT_GE(fd, 0);
		ASSERT_TRUE(map_phys(self, fd, hole, BT_PAGE_SIZE, PROT_READ,
				     MAP_SHARED) != MAP_FAILED);
		EXPECT_EQ(1, mru_pat_count(hole, BT_PAGE_SIZE, cases[i].word))
			TH_LOG("%s: no %s entry for %#llx", i ? "O_DSYNC" : "plain",
			       cases[i].word, (unsigned long long)hole);
		EXPECT_EQ(cases[i].type, mapped_memtype(_metadata, self->map, hole))
			TH_LOG("%s", i ? "O_DSYNC" : "plain");
		munmap(self->map, BT_PAGE_SIZE);
		self->map = MAP_FAILED;
		close(fd);
	}
}

/* ---- the access hook on memory that is not RAM (SPEC 3.3) ---- */

#define ROM_BASE	0xf0000
#define ROM_LEN		0x10000

/* The BIOS ROM as Linux /dev/mem reads it (allowed below 1 MiB). */
static void rom_by_devmem(struct __test_metadata *_metadata, unsigned char *b)
{
	int devmem = open("/dev/mem", O_RDONLY);

	ASSERT_GE(devmem, 0) TH_LOG("/dev/mem: %s", strerror(errno));
	ASSERT_EQ(ROM_LEN, pread(devmem, b, ROM_LEN, ROM_BASE));
	close(devmem);
}

/*
 * /proc/self/mem over a mapping of the BIOS ROM (not RAM: the access hook
 * hands it to generic_access_phys) reads what /dev/mem reads, across all
 * sixteen pages; loads from the mapping agree.
 */
TEST_F(mmap, access_rom_proc_mem)
{
	static unsigned char want[ROM_LEN], got[ROM_LEN];
	unsigned char *m;
	int pm;

	rom_by_devmem(_metadata, want);
	m = map_phys(self, self->fd, ROM_BASE, ROM_LEN, PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(0, memcmp(m, want, ROM_LEN));
	pm = open("/proc/self/mem", O_RDONLY);
	ASSERT_GE(pm, 0);
	ASSERT_EQ(ROM_LEN - 100, pread(pm, got, ROM_LEN - 100,
				       (off_t)(uintptr_t)(m + 100)));
	ASSERT_EQ(0, memcmp(got, want + 100, ROM_LEN - 100));
	close(pm);
}

/*
 * ptrace reaches a tracee's ROM mapping through the access hook: PEEKDATA
 * gives /dev/mem's words (one of them across a page boundary); POKEDATA
 * into the read-only mapping is EIO, even with writable=1.
 */
TEST_F(mmap, access_rom_ptrace)
{
	static const size_t offs[] = { 0, 8, 0x1ffc, ROM_LEN - 8 };
	static unsigned char want[ROM_LEN];
	unsigned char *m;
	unsigned int i;
	int status;
	long w;
	pid_t pid;

	rom_by_devmem(_metadata, want);
	ASSERT_EQ(0, bt_set_writable(1));
	m = map_phys(self, self->fd, ROM_BASE, ROM_LEN, PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, pid, m + offs[i], NULL);
		EXPECT_EQ(0, errno) TH_LOG("PEEKDATA at +%#zx", offs[i]);
		EXPECT_EQ(0, memcmp(&w, want + offs[i], sizeof(w)))
			TH_LOG("PEEKDATA at +%#zx", offs[i]);
	}
	memcpy(&w, want + 16, sizeof(w));
	EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, pid, m + 16, (void *)(w ^ 1)));
	EXPECT_EQ(EIO, errno);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/*
 * MMIO (the HPET's registers) through /proc/self/mem: the capabilities
 * register reads as loads from the mapping read it.
 */
TEST_F(mmap, access_mmio_proc_mem)
{
	volatile uint32_t *m;
	struct bt_iomem r;
	uint32_t want[2], got[2] = { 0, 0 };
	int pm;

	if (!bt_iomem_find("HPET", &r))
		SKIP(return, "no HPET in /proc/iomem");
	m = map_phys(self, self->fd, r.start & ~(BT_PAGE_SIZE - 1), BT_PAGE_SIZE,
		     PROT_READ, MAP_SHARED);
	ASSERT_TRUE(m != MAP_FAILED);
	m += (r.start & (BT_PAGE_SIZE - 1)) / 4;
	want[0] = m[0];
	want[1] = m[1];
	ASSERT_NE(0U, want[0] & 0xff);
	pm = open("/proc/self/mem", O_RDONLY);
	ASSERT_GE(pm, 0);
	ASSERT_EQ(8, pread(pm, got, 8, (off_t)(uintptr_t)m));
	EXPECT_EQ(want[0], got[0]);
	EXPECT_EQ(want[1], got[1]);
	close(pm);
}

/*
 * process_vm_readv pins pages and never calls the access hook: over a
 * VM_IO | VM_PFNMAP mapping, of the ROM or of RAM, it is EFAULT.
 */
TEST_F(mmap, access_process_vm_readv_efault)
{
	const uint64_t pas[] = { ROM_BASE, self->paddr };
	unsigned char b[64];
	struct iovec local = { .iov_base = b, .iov_len = sizeof(b) };
	struct iovec remote = { .iov_len = sizeof(b) };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		remote.iov_base = map_phys(self, self->fd, pas[i], BT_PAGE_SIZE,
					   PROT_READ, MAP_SHARED);
		ASSERT_TRUE(remote.iov_base != MAP_FAILED);
		EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0))
			TH_LOG("paddr %#llx", (unsigned long long)pas[i]);
		EXPECT_EQ(EFAULT, errno);
		munmap(self->map, BT_PAGE_SIZE);
		self->map = MAP_FAILED;
	}
}

/* ---- pages read() refuses: a memfd_secret page (SPEC 3.3) ---- */

#ifndef __NR_memfd_secret
#define __NR_memfd_secret	447
#endif
#define SECRET_PAGES	32

FIXTURE(secret) {
	int fd;			/* /dev/bsdmem, O_RDWR */
	int sfd;		/* the memfd_secret */
	unsigned char *sec;	/* SECRET_PAGES secret pages, each patterned */
	unsigned char *anon;	/* as many pinned ordinary pages */
	unsigned char *page;	/* the secret page the tests use ... */
	uint64_t pa;		/* ... and its physical address */
	int prev;		/* pa - 4096 is: 2 one of our anon pages,
				 * 1 another page read() accepts, 0 neither */
	void *map;
	size_t map_len;
};

/* Whether the harness booted with secretmem on (6.1 has it off by default). */
static bool secretmem_wanted(void)
{
	char cmdline[4096];

	return bt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "secretmem.enable=1");
}

/*
 * The secret page to test with, so that in the two-page test only the
 * second page is one read() refuses: preferably one whose physical
 * predecessor is one of our pinned anon pages (touched alternately with
 * the secret pages; rare, as secretmem pages are unmovable and anon pages
 * movable), else one whose predecessor read() accepts, else any.
 */
static void secret_choose(FIXTURE_DATA(secret) *self)
{
	uint64_t spa[SECRET_PAGES], apa[SECRET_PAGES];
	struct mem_extract me;
	int pick = -1, best = -1, rank;
	char b;

	for (int i = 0; i < SECRET_PAGES; i++) {
		spa[i] = apa[i] = 0;
		if (!bt_extract(self->fd, (uintptr_t)(self->sec + i * BT_PAGE_SIZE),
				0, 0, &me) && me.me_state == ME_STATE_MAPPED)
			spa[i] = me.me_paddr;
		bt_pagemap_paddr(self->anon + i * BT_PAGE_SIZE, &apa[i]);
	}
	for (int i = 0; i < SECRET_PAGES; i++) {
		if (spa[i] < BT_PAGE_SIZE)
			continue;
		rank = pread(self->fd, &b, 1, (off_t)(spa[i] - BT_PAGE_SIZE)) == 1;
		for (int j = 0; j < SECRET_PAGES; j++)
			if (apa[j] && apa[j] + BT_PAGE_SIZE == spa[i])
				rank = 2;
		if (rank > best) {
			best = rank;
			pick = i;
		}
	}
	if (pick < 0)
		return;
	self->page = self->sec + pick * BT_PAGE_SIZE;
	self->pa = spa[pick];
	self->prev = best;
}

FIXTURE_SETUP(secret)
{
	size_t len = SECRET_PAGES * BT_PAGE_SIZE;

	self->fd = self->sfd = -1;
	self->page = NULL;
	self->sec = self->anon = MAP_FAILED;
	self->map = MAP_FAILED;
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(_PATH_BSDMEM, O_RDWR);
	ASSERT_GE(self->fd, 0);
	self->sfd = syscall(__NR_memfd_secret, 0);
	if (self->sfd < 0 && !secretmem_wanted())
		SETUP_SKIP("memfd_secret: %s (boot with secretmem.enable=1)",
			   strerror(errno));
	ASSERT_LE(0, self->sfd) TH_LOG("memfd_secret: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->sfd, len));
	self->sec = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->sfd, 0);
	ASSERT_NE(MAP_FAILED, self->sec);
	self->anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->anon);
	ASSERT_EQ(0, madvise(self->anon, len, MADV_NOHUGEPAGE));
	for (int i = 0; i < SECRET_PAGES; i++) {
		self->anon[i * BT_PAGE_SIZE] = 1;
		bt_fill(self->sec + i * BT_PAGE_SIZE, BT_PAGE_SIZE, 50 + i);
	}
	ASSERT_EQ(0, mlock(self->anon, len));
	secret_choose(self);
	ASSERT_TRUE(self->page != NULL) TH_LOG("no secret page is mapped");
}

FIXTURE_TEARDOWN(secret)
{
	size_t len = SECRET_PAGES * BT_PAGE_SIZE;

	bt_set_writable(0);
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	if (self->sec != MAP_FAILED)
		munmap(self->sec, len);
	if (self->anon != MAP_FAILED)
		munmap(self->anon, len);
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * mmap of [pa, pa + len) is refused with EFAULT. A mapping that is made
 * anyway is checked for what it exposes, so the failure says so.
 */
static void secret_map_refused(struct __test_metadata *_metadata,
			       FIXTURE_DATA(secret) *self, uint64_t pa,
			       size_t len, int prot, int flags)
{
	unsigned char *m;

	self->map_len = len;
	self->map = mmap(NULL, len, prot, flags, self->fd, (off_t)pa);
	m = self->map;
	if (m != MAP_FAILED) {
		m += len - BT_PAGE_SIZE;
		TH_LOG("mapped; it %s the secret page's bytes",
		       memcmp(m, self->page, BT_PAGE_SIZE) ? "does not show" :
		       "SHOWS");
	}
	ASSERT_TRUE(self->map == MAP_FAILED);
	ASSERT_EQ(EFAULT, errno);
}

/* The baseline: read() of a page out of the direct map is EFAULT (3.1). */
TEST_F(secret, pread_efault)
{
	char b[64];

	ASSERT_EQ(-1, pread(self->fd, b, sizeof(b), (off_t)self->pa));
	ASSERT_EQ(EFAULT, errno);
}

/* mmap never reaches a page read() refuses: shared read-only, EFAULT. */
TEST_F(secret, mmap_shared_efault)
{
	secret_map_refused(_metadata, self, self->pa, BT_PAGE_SIZE, PROT_READ,
			   MAP_SHARED);
}

/* ... nor through a private mapping: EFAULT. */
TEST_F(secret, mmap_private_efault)
{
	secret_map_refused(_metadata, self, self->pa, BT_PAGE_SIZE, PROT_READ,
			   MAP_PRIVATE);
}

/* Every page is checked: one secret page after an ordinary one, EFAULT. */
TEST_F(secret, mmap_second_page_efault)
{
	static const char *const first[] = {
		"a page read() refuses too", "a page read() accepts",
		"one of our pinned pages",
	};

	TH_LOG("secret page 0x%llx; the page before it is %s",
	       (unsigned long long)self->pa, first[self->prev]);
	secret_map_refused(_metadata, self, self->pa - BT_PAGE_SIZE,
			   2 * BT_PAGE_SIZE, PROT_READ, MAP_SHARED);
}

/* With writable=1, a shared writable mapping of it is EFAULT too. */
TEST_F(secret, mmap_shared_write_efault)
{
	ASSERT_EQ(0, bt_set_writable(1));
	secret_map_refused(_metadata, self, self->pa, BT_PAGE_SIZE,
			   PROT_READ | PROT_WRITE, MAP_SHARED);
}

/*
 * With writable=0 a shared writable mapping is EPERM whatever the pages:
 * the parameter is checked before any page is looked at.
 */
TEST_F(secret, mmap_shared_write_writable_off_eperm)
{
	ASSERT_EQ(0, bt_set_writable(0));
	self->map_len = BT_PAGE_SIZE;
	self->map = mmap(NULL, BT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, (off_t)self->pa);
	ASSERT_TRUE(self->map == MAP_FAILED);
	ASSERT_EQ(EPERM, errno);
}

TEST_HARNESS_MAIN
