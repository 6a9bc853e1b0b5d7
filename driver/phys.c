// SPDX-License-Identifier: GPL-2.0
/*
 * Physical memory as /dev/bsdmem sees it: which class a page belongs to
 * (RAM, device memory, driver-claimed, beyond the CPU's limit) and the
 * fault-safe ways to copy each class. RAM goes through the direct map,
 * everything else through a one-page ioremap.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/page-flags.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "bsdmem.h"

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

/**
 * bsdmem_phys_classify() - what is the page at @pa?
 * @pa: physical address, any offset within the page
 *
 * Return: the class that decides how the page may be accessed.
 */
enum bsdmem_phys_class bsdmem_phys_classify(phys_addr_t pa)
{
	struct page *page;

	pa &= PAGE_MASK;
	if (!bsdmem_phys_range_valid(pa, PAGE_SIZE))
		return BSDMEM_PHYS_BEYOND;

	if (region_intersects(pa, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) == REGION_INTERSECTS) {
		page = pfn_to_online_page(PHYS_PFN(pa));
		if (!page || PageOffline(page) || PageHWPoison(page))
			return BSDMEM_PHYS_RAM_BAD;
		return BSDMEM_PHYS_RAM;
	}

	/* Not RAM, or only partly (QEMU's 0x9f000): device rules apply. */
	if (bsdmem_phys_range_claimed(pa, PAGE_SIZE))
		return BSDMEM_PHYS_CLAIMED;
	return BSDMEM_PHYS_IO;
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

/**
 * bsdmem_phys_poke() - write kernel memory without risking an oops
 * @dst: kernel virtual address
 * @src: kernel buffer
 * @len: bytes
 *
 * copy_to_kernel_nofault() is not exported; this is the same idea: stores
 * that take the exception-table path when the page is unmapped or
 * read-only.
 *
 * Return: 0 or -EFAULT (then part of @dst may have been written).
 */
int bsdmem_phys_poke(void *dst, const void *src, size_t len)
{
	pagefault_disable();
	for (; len >= sizeof(u64); len -= sizeof(u64)) {
		__put_kernel_nofault(dst, src, u64, err_fault);
		dst += sizeof(u64);
		src += sizeof(u64);
	}
	for (; len; len--) {
		__put_kernel_nofault(dst, src, u8, err_fault);
		dst++;
		src++;
	}
	pagefault_enable();
	return 0;

err_fault:
	pagefault_enable();
	return -EFAULT;
}

/**
 * bsdmem_phys_read_ram() - copy RAM through the direct map
 * @dst: kernel buffer
 * @pa: physical address of a BSDMEM_PHYS_RAM page
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page is not mapped (e.g. removed from the
 * direct map).
 */
int bsdmem_phys_read_ram(void *dst, phys_addr_t pa, size_t len)
{
	if (copy_from_kernel_nofault(dst, __va(pa), len))
		return -EFAULT;
	return 0;
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
	unsigned long va = (unsigned long)__va(pa);
	unsigned int level;
	pte_t *ptep;
	pte_t pte;

	ptep = lookup_address(va, &level);
	if (!ptep)
		return -EFAULT;
	pte = READ_ONCE(*ptep);
	if (!(pte_flags(pte) & _PAGE_PRESENT) || !pte_write(pte))
		return -EFAULT;
	return bsdmem_phys_poke((void *)va, src, len);
}

/*
 * The type of a memory range covering the page, else write-back as
 * /dev/mem requests it: PAT then hands back the type already reserved for
 * the page, and MTRR-uncached ranges come out UC-.
 */
static void __iomem *bsdmem_phys_map_io(phys_addr_t pa)
{
	return bsdmem_memrange_ioremap_page(pa);
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
	void __iomem *map = bsdmem_phys_map_io(pa);

	if (!map)
		return -EFAULT;
	memcpy_fromio(dst, map + offset_in_page(pa), len);
	iounmap(map);
	return 0;
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
	void __iomem *map = bsdmem_phys_map_io(pa);

	if (!map)
		return -EFAULT;
	memcpy_toio(map + offset_in_page(pa), src, len);
	iounmap(map);
	return 0;
}
