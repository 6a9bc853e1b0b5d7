// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: kernel virtual to physical translation. The kernbase range
 * and the direct map follow FreeBSD's amd64 minidump rules (pmap PDEs,
 * 2 MiB leaves, PT pages through the bitmap); any other kernel address is
 * walked from the Linux extension's pgtable_root (4 or 5 levels, 1 GiB and
 * 2 MiB leaves), each table page read through the bitmap.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

static const char *level_name(unsigned int shift)
{
	switch (shift) {
	case 48:
		return "PML5";
	case 39:
		return "PML4";
	case 30:
		return "PDPT";
	case 21:
		return "PD";
	default:
		return "PT";
	}
}

static int read_entry(const struct md_dump *d, uint64_t table, uint64_t index,
		      uint64_t va, const char *level, uint64_t *ent,
		      struct md_error *e)
{
	uint8_t raw[8];
	int err = md_read_pa(d, table + index * 8, raw, sizeof(raw), e);

	if (err == -ENOENT)
		return md_fail(e, err, "not-dumped",
			       "va 0x%llx: %s page 0x%llx is not in the dump",
			       (unsigned long long)va, level,
			       (unsigned long long)table);
	if (err)
		return err;
	*ent = md_le64(raw);
	return 0;
}

static int not_mapped(uint64_t va, const char *what, uint64_t ent,
		      struct md_error *e)
{
	return md_fail(e, -EFAULT, "not-mapped",
		       "va 0x%llx: %s entry 0x%llx is not present",
		       (unsigned long long)va, what, (unsigned long long)ent);
}

/* libkvm's rule: the PDE from the pmap section, then a PT page or a 2 MiB leaf. */
static int kernbase_vtop(const struct md_dump *d, uint64_t va, uint64_t *pa,
			 struct md_error *e)
{
	uint64_t pde = d->pmap[(va - d->h.hdr.kernbase) >> 21], pte;
	int err;

	if (!(pde & MD_PTE_P))
		return not_mapped(va, "pmap PDE", pde, e);
	if (pde & MD_PTE_PS) {
		*pa = (pde & MD_PHYS_MASK_2M) + (va & 0x1fffffull);
		return 0;
	}
	err = read_entry(d, pde & MD_PHYS_MASK, (va >> 12) & 511, va,
			 "PT", &pte, e);
	if (err)
		return err;
	if (!(pte & MD_PTE_P))
		return not_mapped(va, "PTE", pte, e);
	*pa = (pte & MD_PHYS_MASK) + (va & MD_PAGE_MASK);
	return 0;
}

static int linux_walk(const struct md_dump *d, uint64_t va, uint64_t *pa,
		      struct md_error *e)
{
	bool la57 = d->h.ext.flags & MINIDUMP_LINUX_LA57;
	unsigned int bits = la57 ? 57 : 48, shift = la57 ? 48 : 39;
	uint64_t table = d->h.ext.pgtable_root, ent;
	int err;

	if (!(va >> 63) || (va >> (bits - 1)) != (~0ull >> (bits - 1)))
		return md_fail(e, -EFAULT, "not-mapped",
			       "va 0x%llx is not a canonical kernel address with %u-level paging",
			       (unsigned long long)va, la57 ? 5 : 4);
	for (;; shift -= 9) {
		err = read_entry(d, table, (va >> shift) & 511, va,
				 level_name(shift), &ent, e);
		if (err)
			return err;
		if (!(ent & MD_PTE_P))
			return not_mapped(va, level_name(shift), ent, e);
		if (shift == 12) {
			*pa = (ent & MD_PHYS_MASK) + (va & MD_PAGE_MASK);
			return 0;
		}
		if ((ent & MD_PTE_PS) && shift == 30) {
			*pa = (ent & MD_PHYS_MASK_1G) + (va & (MD_GIB - 1));
			return 0;
		}
		if ((ent & MD_PTE_PS) && shift == 21) {
			*pa = (ent & MD_PHYS_MASK_2M) + (va & 0x1fffffull);
			return 0;
		}
		if (ent & MD_PTE_PS)
			return md_fail(e, -EFAULT, "not-mapped",
				       "va 0x%llx: %s entry 0x%llx has the reserved PS bit",
				       (unsigned long long)va, level_name(shift),
				       (unsigned long long)ent);
		table = ent & MD_PHYS_MASK;
	}
}

int md_kvtop(const struct md_dump *d, uint64_t va, uint64_t *pa,
	     const char **how, struct md_error *e)
{
	const struct minidumphdr *m = &d->h.hdr;

	if (va >= m->kernbase && (va - m->kernbase) >> 21 < d->npde) {
		*how = "kernbase";
		return kernbase_vtop(d, va, pa, e);
	}
	if (va >= m->dmapbase && va < m->dmapend) {
		*how = "dmap";
		*pa = va - m->dmapbase;
		return 0;
	}
	*how = "linux";
	return linux_walk(d, va, pa, e);
}

int md_read_kva(const struct md_dump *d, uint64_t va, void *buf, size_t len,
		struct md_error *e)
{
	uint8_t *out = buf;
	char why[sizeof(e->detail)];
	const char *how;
	uint64_t pa, n;
	int err;

	while (len) {
		n = MD_PAGE_SIZE - (va & MD_PAGE_MASK);
		if (n > len)
			n = len;
		err = md_kvtop(d, va, &pa, &how, e);
		if (err)
			return err;
		err = md_read_pa(d, pa, out, n, e);
		if (err == -ENOENT && e) {
			memcpy(why, e->detail, sizeof(why));
			return md_fail(e, err, "not-dumped",
				       "va 0x%llx -> pa 0x%llx (via %s): %s",
				       (unsigned long long)va,
				       (unsigned long long)pa, how, why);
		}
		if (err)
			return err;
		if (out)
			out += n;
		va += n;
		len -= n;
	}
	return 0;
}
