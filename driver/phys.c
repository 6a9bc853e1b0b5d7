// SPDX-License-Identifier: GPL-2.0
/*
 * The one page policy of bsdmem (SPEC §3.1): what a physical page is (RAM
 * that may be touched, RAM that must not be, device memory, driver-claimed,
 * beyond the CPU's limit), decided here for read, write, mmap, the mmap
 * access handler, /dev/bsdkmem and the dump alike, and the ways to copy
 * each class. RAM goes through the direct map, the rest through a one-page
 * ioremap.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/page-flags.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include "bsdmem.h"
#include "unaccepted.h"

/* First address the CPU cannot reach (exclusive limit). */
static u64 bsdmem_phys_limit(void)
{
	return 1ULL << boot_cpu_data.x86_phys_bits;
}

/**
 * bsdmem_phys_range_valid() - is [start, start + len) addressable?
 * @start: first physical address
 * @len: length in bytes
 *
 * Return: true if the range does not wrap and ends at or below the CPU's
 * physical address limit.
 */
bool bsdmem_phys_range_valid(phys_addr_t start, u64 len)
{
	u64 end;

	if (check_add_overflow((u64)start, len, &end))
		return false;
	return end <= bsdmem_phys_limit();
}

static int bsdmem_phys_busy_cb(struct resource *res, void *arg)
{
	/* RAM and its children (kernel code, crash kernel) have their own rules. */
	if (res->flags & IORESOURCE_SYSRAM)
		return 0;
	return 1;
}

/**
 * bsdmem_phys_range_claimed() - does a driver own part of this range?
 * @start: first physical address
 * @len: length in bytes, at least 1
 *
 * A busy I/O memory resource above 1 MiB that is not System RAM belongs
 * to a driver (what IO_STRICT_DEVMEM protects): reading a device register
 * behind its back can have side effects. The first MiB is the legacy
 * BIOS area and stays open, as on /dev/mem.
 *
 * Return: true if such a resource overlaps the range.
 */
bool bsdmem_phys_range_claimed(phys_addr_t start, u64 len)
{
	u64 last = (u64)start + len - 1;

	if (last < SZ_1M)
		return false;
	start = max_t(u64, start, SZ_1M);
	return walk_iomem_res_desc(IORES_DESC_NONE,
				   IORESOURCE_MEM | IORESOURCE_BUSY,
				   start, last, NULL, bsdmem_phys_busy_cb) == 1;
}

/**
 * bsdmem_phys_range_has_ram() - does the range touch System RAM?
 * @start: first physical address
 * @len: length in bytes
 *
 * Return: true if any byte of the range is System RAM.
 */
bool bsdmem_phys_range_has_ram(phys_addr_t start, u64 len)
{
	return region_intersects(start, len, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) != REGION_DISJOINT;
}

static int bsdmem_phys_found_cb(struct resource *res, void *arg)
{
	return 1;
}

/**
 * bsdmem_phys_ram_range_ok() - the range layer of the RAM rules
 * @start: first physical address of System RAM
 * @len: length in bytes, at least 1
 *
 * System RAM inside an IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE
 * resource (virtio-mem's device range, plugged or not) belongs to its
 * driver, which forbids /dev/mem access to it.
 *
 * Return: false if such a resource overlaps the range.
 */
bool bsdmem_phys_ram_range_ok(phys_addr_t start, u64 len)
{
	return walk_iomem_res_desc(IORES_DESC_NONE,
				   IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE,
				   start, start + len - 1, NULL,
				   bsdmem_phys_found_cb) != 1;
}

/* The direct-map entry of a RAM page: present, and writable if asked. */
static bool bsdmem_phys_direct_mapped(unsigned long pfn, bool write)
{
	unsigned int level;
	pte_t *ptep;
	pte_t pte;

	ptep = lookup_address((unsigned long)pfn_to_kaddr(pfn), &level);
	if (!ptep)
		return false;
	pte = READ_ONCE(*ptep);
	/* Not pte_present(): a kernel PTE's GLOBAL bit reads as PROTNONE. */
	if (!(pte_flags(pte) & _PAGE_PRESENT))
		return false;
	return !write || pte_write(pte);
}

/*
 * Is a unit under the page still waiting for acceptance in the EFI bitmap
 * (TDX, SNP)? Read without the kernel's lock, which is not exported: a bit
 * is cleared only after its unit has been accepted, so a stale read errs
 * on the safe side.
 */
static bool bsdmem_phys_unaccepted(unsigned long pfn)
{
	return bsdmem_unaccepted_range(efi_get_unaccepted_table(),
				       PFN_PHYS(pfn), PAGE_SIZE);
}

/**
 * bsdmem_phys_ram_page_ok() - the page layer of the RAM rules
 * @pfn: a page frame inside System RAM
 *
 * Racy by nature (a page can change state right after), so every copy is
 * fault-safe as well; this keeps the known-bad pages out in the first place.
 *
 * Return: true if the page is online, not PageOffline (ballooned, hot-
 * removed), not hardware-poisoned, accepted (confidential guests), and
 * present in the direct map (memfd_secret and a protected kexec crash
 * kernel are taken out of it).
 */
bool bsdmem_phys_ram_page_ok(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	if (!page || PageOffline(page) || PageHWPoison(page))
		return false;
	if (bsdmem_phys_unaccepted(pfn))
		return false;
	return bsdmem_phys_direct_mapped(pfn, false);
}

/**
 * bsdmem_phys_classify() - what is the page at @pa?
 * @pa: physical address, any offset within the page
 *
 * The dump, which already holds System RAM ranges, applies the same rules
 * as bsdmem_phys_ram_range_ok() once per range and bsdmem_phys_ram_page_ok()
 * per page.
 *
 * Return: the class that decides how the page may be accessed.
 */
enum bsdmem_phys_class bsdmem_phys_classify(phys_addr_t pa)
{
	pa &= PAGE_MASK;
	if (!bsdmem_phys_range_valid(pa, PAGE_SIZE))
		return BSDMEM_PHYS_BEYOND;

	if (region_intersects(pa, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) == REGION_INTERSECTS) {
		if (bsdmem_phys_ram_range_ok(pa, PAGE_SIZE) &&
		    bsdmem_phys_ram_page_ok(PHYS_PFN(pa)))
			return BSDMEM_PHYS_RAM;
		return BSDMEM_PHYS_RAM_BAD;
	}

	/* Not RAM, or only partly (QEMU's 0x9f000): device rules apply. */
	if (bsdmem_phys_range_claimed(pa, PAGE_SIZE))
		return BSDMEM_PHYS_CLAIMED;
	return BSDMEM_PHYS_IO;
}

/* The first System RAM piece of the walk's range, as the walk clips it. */
static int bsdmem_phys_span_cb(struct resource *res, void *arg)
{
	struct bsdmem_phys_span *found = arg;

	found->start = res->start;
	found->end = res->end;
	return 1;
}

/**
 * bsdmem_phys_classify_span() - bsdmem_phys_classify(), faster page after page
 * @pa: physical address, any offset within the page
 * @span: what an earlier call with the same @span found (zeroed at first)
 *
 * The range rules (System RAM, and no exclusive System RAM in it) walk the
 * resource tree twice a page, which a read of all RAM, 256 pages a MiB,
 * pays for every page. When @pa is RAM, both are asked once for the rest of
 * its System RAM resource (up to 1 GiB): if the whole of it passes, the
 * pages after @pa inside it need only the per-page rules, which are the
 * ones that follow memory going offline. The answer is the same as
 * bsdmem_phys_classify()'s.
 *
 * Return: the class of the page at @pa.
 */
enum bsdmem_phys_class bsdmem_phys_classify_span(phys_addr_t pa,
						 struct bsdmem_phys_span *span)
{
	struct bsdmem_phys_span found = { };
	enum bsdmem_phys_class class;
	u64 end;

	pa &= PAGE_MASK;
	if (pa >= span->start && pa < span->end)
		return bsdmem_phys_ram_page_ok(PHYS_PFN(pa)) ? BSDMEM_PHYS_RAM :
							      BSDMEM_PHYS_RAM_BAD;
	class = bsdmem_phys_classify(pa);
	if (class != BSDMEM_PHYS_RAM ||
	    walk_iomem_res_desc(IORES_DESC_NONE,
				IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, pa,
				pa + SZ_1G - 1, &found, bsdmem_phys_span_cb) != 1 ||
	    found.start != pa)
		return class;
	end = (found.end + 1) & PAGE_MASK;
	if (end > pa + PAGE_SIZE &&
	    region_intersects(pa, end - pa, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) == REGION_INTERSECTS &&
	    bsdmem_phys_ram_range_ok(pa, end - pa)) {
		span->start = pa;
		span->end = end;
	}
	return class;
}

/**
 * bsdmem_phys_errno() - the error a class gives when it cannot be accessed
 * @class: a class from bsdmem_phys_classify()
 *
 * Return: -EPERM for driver-claimed memory, -EFAULT otherwise.
 */
int bsdmem_phys_errno(enum bsdmem_phys_class class)
{
	return class == BSDMEM_PHYS_CLAIMED ? -EPERM : -EFAULT;
}

struct bsdmem_phys_scan {
	bool write;		/* for a shared writable mapping */
	int err;
};

/*
 * One System RAM piece of a range to be mapped (the walk hands it clipped
 * to the range): the range layer once, then every whole page of it; a page
 * only partly RAM follows the device rules, as in bsdmem_phys_classify().
 */
static int bsdmem_phys_scan_cb(struct resource *res, void *arg)
{
	struct bsdmem_phys_scan *scan = arg;
	unsigned long pfn = PFN_UP(res->start), end = PFN_DOWN(res->end + 1);

	if (pfn >= end)
		return 0;
	scan->err = -EFAULT;
	if (!bsdmem_phys_ram_range_ok(res->start, resource_size(res)))
		return 1;
	for (; pfn < end; pfn++) {
		if (!bsdmem_phys_ram_page_ok(pfn) ||
		    (scan->write && !bsdmem_phys_direct_mapped(pfn, true)))
			return 1;
		if (pfn % 1024)
			continue;
		if (fatal_signal_pending(current)) {
			scan->err = -EINTR;
			return 1;
		}
		cond_resched();
	}
	scan->err = 0;
	return 0;
}

/**
 * bsdmem_phys_range_check() - may a whole range be mapped?
 * @start: first physical address, page-aligned
 * @len: length in bytes, a multiple of the page size
 * @write: for a shared writable mapping
 *
 * The rules of bsdmem_phys_classify() for every page, so that mmap never
 * reaches a page read() would refuse: driver claims for the range as a
 * whole, the RAM rules for each page of the System RAM inside it; a
 * writable mapping of RAM also needs a writable direct map, as write()
 * does.
 *
 * Return: 0, -EINVAL (empty, wraps or beyond the CPU limit), -EPERM
 * (claimed by a driver), -EFAULT (RAM that must not be touched) or -EINTR
 * (killed while looking).
 */
int bsdmem_phys_range_check(phys_addr_t start, u64 len, bool write)
{
	struct bsdmem_phys_scan scan = { .write = write };

	if (!len || !bsdmem_phys_range_valid(start, len))
		return -EINVAL;
	if (bsdmem_phys_range_claimed(start, len))
		return -EPERM;
	/* Not BUSY: virtio-mem's exclusive parent, plugged or not, is not. */
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM,
			    start, start + len - 1, &scan, bsdmem_phys_scan_cb);
	return scan.err;
}

/**
 * bsdmem_phys_read_ram() - copy RAM through the direct map
 * @dst: kernel buffer
 * @pa: physical address of a BSDMEM_PHYS_RAM page
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page left the direct map meanwhile.
 */
int bsdmem_phys_read_ram(void *dst, phys_addr_t pa, size_t len)
{
	return bsdmem_nofault_read(dst, __va(pa), len);
}

/**
 * bsdmem_phys_write_ram() - store into RAM through the direct map
 * @pa: physical address of a BSDMEM_PHYS_RAM page
 * @src: kernel buffer
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the direct map of the page is absent or
 * read-only.
 */
int bsdmem_phys_write_ram(phys_addr_t pa, const void *src, size_t len)
{
	if (!bsdmem_phys_direct_mapped(PHYS_PFN(pa), true))
		return -EFAULT;
	return bsdmem_nofault_write(__va(pa), src, len);
}

/**
 * bsdmem_phys_read_io() - copy non-RAM memory through a temporary mapping
 * @dst: kernel buffer
 * @pa: physical address of a BSDMEM_PHYS_IO page
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page cannot be mapped.
 */
int bsdmem_phys_read_io(void *dst, phys_addr_t pa, size_t len)
{
	return bsdmem_memrange_read_io(dst, pa, len);
}

/**
 * bsdmem_phys_write_io() - store into non-RAM memory
 * @pa: physical address of a BSDMEM_PHYS_IO page
 * @src: kernel buffer
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page cannot be mapped.
 */
int bsdmem_phys_write_io(phys_addr_t pa, const void *src, size_t len)
{
	return bsdmem_memrange_write_io(pa, src, len);
}

/**
 * bsdmem_phys_read_page() - copy one RAM page for the dump
 * @dst: a page-sized buffer
 * @pfn: a page the dump set holds
 *
 * Return: 0, or -EIO with @dst zeroed (the page left the direct map or
 * could not be read).
 */
int bsdmem_phys_read_page(void *dst, unsigned long pfn)
{
	if (bsdmem_phys_direct_mapped(pfn, false) &&
	    !bsdmem_nofault_copy_page(dst, pfn_to_kaddr(pfn)))
		return 0;
	memset(dst, 0, PAGE_SIZE);
	return -EIO;
}
