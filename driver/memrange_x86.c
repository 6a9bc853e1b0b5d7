// SPDX-License-Identifier: GPL-2.0
/*
 * x86 memory types for MEMRANGE_GET/SET. Linux owns the MTRRs: they are
 * read from its copy (mtrr_state) and, with PAT off, a write-combining one
 * can be added through arch_phys_wc_add(). With PAT on, a range is an
 * ioremap mapping of the requested type, held so that the kernel's PAT
 * table keeps the type reserved.
 */
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/memtype.h>
#include <asm/msr.h>
#include <asm/mtrr.h>
#include <asm/pgtable.h>

#include "memrange.h"

#define BSDMEM_MSR_MTRRCAP	0xfe
#define BSDMEM_MTRRCAP_VCNT	0xff
#define BSDMEM_MTRRCAP_FIXED	BIT(8)
#define BSDMEM_MTRR_VALID	BIT(11)

/* What the MTRRs looked like at load; set once in bsdmem_memrange_x86_init(). */
static struct {
	bool enabled;		/* MTRRs present and enabled */
	bool fixed;		/* fixed ranges supported and enabled */
	unsigned int nvar;
	struct mtrr_var_range firmware[MTRR_MAX_VAR_RANGES];
} bsdmem_mtrr;

/**
 * bsdmem_memrange_x86_init() - look at the CPU and pick the backend
 *
 * Return: the backend memory ranges will use.
 */
enum bsdmem_memrange_backend bsdmem_memrange_x86_init(void)
{
	bool have_mtrr = boot_cpu_has(X86_FEATURE_MTRR);
	u64 cap = 0;

	if (have_mtrr && !rdmsrl_safe(BSDMEM_MSR_MTRRCAP, &cap) &&
	    (mtrr_state.enabled & MTRR_STATE_MTRR_ENABLED)) {
		bsdmem_mtrr.enabled = true;
		bsdmem_mtrr.fixed = (cap & BSDMEM_MTRRCAP_FIXED) &&
			mtrr_state.have_fixed &&
			(mtrr_state.enabled & MTRR_STATE_MTRR_FIXED_ENABLED);
		bsdmem_mtrr.nvar = min_t(unsigned int,
					 cap & BSDMEM_MTRRCAP_VCNT,
					 MTRR_MAX_VAR_RANGES);
		memcpy(bsdmem_mtrr.firmware, mtrr_state.var_ranges,
		       sizeof(bsdmem_mtrr.firmware));
	}

	if (pat_enabled())
		return BSDMEM_MEMRANGE_PAT;
	if (!have_mtrr)
		return BSDMEM_MEMRANGE_NONE;
	if (!bsdmem_mtrr.enabled)
		return BSDMEM_MEMRANGE_DISABLED;
	return BSDMEM_MEMRANGE_MTRR;
}

/**
 * bsdmem_memrange_x86_nfixed() - number of fixed-range descriptors
 *
 * Return: 88 when fixed MTRRs are supported and enabled, else 0.
 */
unsigned int bsdmem_memrange_x86_nfixed(void)
{
	return bsdmem_mtrr.fixed ? BSDMEM_MEMRANGE_NFIXED : 0;
}

/**
 * bsdmem_memrange_x86_nvar() - number of variable-range MTRR slots
 *
 * Return: the CPU's count, or 0 when MTRRs are absent or disabled.
 */
unsigned int bsdmem_memrange_x86_nvar(void)
{
	return bsdmem_mtrr.nvar;
}

static s32 bsdmem_memrange_x86_type2attr(u8 type)
{
	switch (type) {
	case MTRR_TYPE_UNCACHABLE:
		return MDF_UNCACHEABLE;
	case MTRR_TYPE_WRCOMB:
		return MDF_WRITECOMBINE;
	case MTRR_TYPE_WRTHROUGH:
		return MDF_WRITETHROUGH;
	case MTRR_TYPE_WRPROT:
		return MDF_WRITEPROTECT;
	case MTRR_TYPE_WRBACK:
		return MDF_WRITEBACK;
	default:
		return MDF_UNKNOWN;
	}
}

static void bsdmem_memrange_x86_fill_fixed(struct mem_range_desc *d)
{
	unsigned int i;
	u8 type;
	u64 base;

	for (i = 0; i < BSDMEM_MEMRANGE_NFIXED; i++, d++) {
		if (i < 8) {
			base = i * SZ_64K;
			d->mr_len = SZ_64K;
		} else if (i < 24) {
			base = 0x80000 + (i - 8) * SZ_16K;
			d->mr_len = SZ_16K;
		} else {
			base = 0xc0000 + (i - 24) * SZ_4K;
			d->mr_len = SZ_4K;
		}
		type = READ_ONCE(mtrr_state.fixed_ranges[i]);
		d->mr_base = base;
		d->mr_flags = MDF_FIXBASE | MDF_FIXLEN | MDF_FIXACTIVE |
			      MDF_FIRMWARE | MDF_ACTIVE | MDF_BUSY |
			      bsdmem_memrange_x86_type2attr(type);
		strscpy(d->mr_owner, "BIOS", sizeof(d->mr_owner));
	}
}

static bool bsdmem_memrange_x86_valid_pair(u64 base, u64 len)
{
	return IS_ALIGNED(base, SZ_4K) && len >= SZ_4K &&
	       is_power_of_2(len) && IS_ALIGNED(base, len);
}

static void bsdmem_memrange_x86_fill_var(struct mem_range_desc *d,
					 unsigned int reg)
{
	u64 physmask = (BIT_ULL(boot_cpu_data.x86_phys_bits) - 1) & ~0xfffULL;
	const struct mtrr_var_range *fw = &bsdmem_mtrr.firmware[reg];
	struct mtrr_var_range r;
	u64 mask;

	r.base_lo = READ_ONCE(mtrr_state.var_ranges[reg].base_lo);
	r.base_hi = READ_ONCE(mtrr_state.var_ranges[reg].base_hi);
	r.mask_lo = READ_ONCE(mtrr_state.var_ranges[reg].mask_lo);
	r.mask_hi = READ_ONCE(mtrr_state.var_ranges[reg].mask_hi);
	if (!(r.mask_lo & BSDMEM_MTRR_VALID))
		return;

	mask = ((u64)r.mask_hi << 32 | r.mask_lo) & physmask;
	d->mr_base = ((u64)r.base_hi << 32 | r.base_lo) & physmask;
	d->mr_len = (~mask & (physmask | 0xfff)) + 1;
	d->mr_flags = MDF_ACTIVE | MDF_BUSY |
		      bsdmem_memrange_x86_type2attr(r.base_lo & 0xff);
	if (!bsdmem_memrange_x86_valid_pair(d->mr_base, d->mr_len))
		d->mr_flags |= MDF_BOGUS;
	if (!memcmp(&r, fw, sizeof(r))) {
		d->mr_flags |= MDF_FIRMWARE;
		strscpy(d->mr_owner, "BIOS", sizeof(d->mr_owner));
	} else {
		strscpy(d->mr_owner, "kernel", sizeof(d->mr_owner));
	}
}

/**
 * bsdmem_memrange_x86_fill() - describe the MTRRs as FreeBSD does
 * @fixed: room for bsdmem_memrange_x86_nfixed() descriptors
 * @var: room for bsdmem_memrange_x86_nvar() descriptors, zeroed
 *
 * Variable MTRRs unchanged since load are the firmware's; others were
 * added by the kernel later. Both are BUSY: this module cannot change
 * them. The caller marks the ones it added itself.
 */
void bsdmem_memrange_x86_fill(struct mem_range_desc *fixed,
			      struct mem_range_desc *var)
{
	unsigned int reg;

	if (bsdmem_mtrr.fixed)
		bsdmem_memrange_x86_fill_fixed(fixed);
	for (reg = 0; reg < bsdmem_mtrr.nvar; reg++)
		bsdmem_memrange_x86_fill_var(&var[reg], reg);
}

static int bsdmem_memrange_x86_attr2pcm(s32 attr)
{
	switch (attr) {
	case MDF_UNCACHEABLE:
		return _PAGE_CACHE_MODE_UC;
	case MDF_WRITECOMBINE:
		return _PAGE_CACHE_MODE_WC;
	case MDF_WRITETHROUGH:
		return _PAGE_CACHE_MODE_WT;
	case MDF_WRITEPROTECT:
		return _PAGE_CACHE_MODE_WP;
	case MDF_WRITEBACK:
		return _PAGE_CACHE_MODE_WB;
	default:
		return -EINVAL;
	}
}

/**
 * bsdmem_memrange_x86_attr_ok() - can the backend give this attribute?
 * @backend: the backend in use
 * @attr: exactly one MDF_ attribute
 *
 * Return: true if a range of this attribute can be set.
 */
bool bsdmem_memrange_x86_attr_ok(enum bsdmem_memrange_backend backend,
				 s32 attr)
{
	if (backend == BSDMEM_MEMRANGE_MTRR)
		return attr == MDF_WRITECOMBINE;
	return backend == BSDMEM_MEMRANGE_PAT &&
	       bsdmem_memrange_x86_attr2pcm(attr) >= 0;
}

/**
 * bsdmem_memrange_x86_ioremap() - map device memory with an attribute
 * @base: physical address
 * @len: bytes
 * @attr: one MDF_ attribute
 *
 * Return: the mapping, or NULL if the kernel refused it.
 */
void __iomem *bsdmem_memrange_x86_ioremap(phys_addr_t base, u64 len,
					  s32 attr)
{
	switch (attr) {
	case MDF_UNCACHEABLE:
		return ioremap_uc(base, len);
	case MDF_WRITECOMBINE:
		return ioremap_wc(base, len);
	case MDF_WRITETHROUGH:
		return ioremap_wt(base, len);
	case MDF_WRITEPROTECT:
		return ioremap_prot(base, len,
				    cachemode2protval(_PAGE_CACHE_MODE_WP));
	default:
		return ioremap_cache(base, len);
	}
}

/*
 * Did the kernel give the mapping the type asked for, or one it already
 * held? ioremap() reserves write-protect in the PAT table but maps it
 * uncached (it has no write-protect mapping), so that is what WP looks
 * like here; a clash with an existing UC reservation cannot be told apart
 * for WP.
 */
static bool bsdmem_memrange_x86_has_type(void __iomem *map, s32 attr)
{
	int pcm = bsdmem_memrange_x86_attr2pcm(attr);
	unsigned int level;
	pgprot_t prot;
	pte_t *ptep;

	if (pcm == _PAGE_CACHE_MODE_WP)
		pcm = _PAGE_CACHE_MODE_UC;

	ptep = lookup_address((unsigned long)map, &level);
	if (!ptep)
		return false;
	prot = pte_pgprot(READ_ONCE(*ptep));
	if (level != PG_LEVEL_4K)
		prot = pgprot_large_2_4k(prot);
	return (pgprot_val(prot) & _PAGE_CACHE_MASK) == cachemode2protval(pcm);
}

/**
 * bsdmem_memrange_x86_pat_hold() - reserve a memory type for a range
 * @base: physical address, not RAM
 * @len: bytes
 * @attr: one MDF_ attribute
 * @map: the mapping that holds the reservation, for iounmap() at removal
 *
 * Return: 0, or -EBUSY if the kernel already holds another type there
 * (nothing is left behind).
 */
int bsdmem_memrange_x86_pat_hold(phys_addr_t base, u64 len, s32 attr,
				 void __iomem **map)
{
	void __iomem *m = bsdmem_memrange_x86_ioremap(base, len, attr);

	if (!m)
		return -EBUSY;
	if (!bsdmem_memrange_x86_has_type(m, attr)) {
		iounmap(m);
		return -EBUSY;
	}
	*map = m;
	return 0;
}

/**
 * bsdmem_memrange_x86_pat_budget() - how much all PAT ranges may map
 *
 * Each range is an ioremap of all of it: vmalloc space (32 TiB in all with
 * 4-level paging), page tables and the time to fill them. 1 TiB holds every
 * framebuffer and PCI BAR of today's machines, costs a few MiB of page
 * tables with the 2 MiB pages ioremap uses, and is 1/32 of the smallest
 * vmalloc area.
 *
 * A KASAN_VMALLOC kernel also backs every vmap area, ioremap's included,
 * with shadow memory when it is made: one byte of RAM for each 8 bytes
 * mapped, so a 1 TiB range would ask for 128 GiB and set off the OOM
 * killer until the machine panics. There the ranges map at most half as
 * much as there is RAM, which keeps their shadow within a sixteenth of it.
 * The RAM can shrink (memory offlined, a balloon): the budget with it.
 *
 * Return: bytes.
 */
u64 bsdmem_memrange_x86_pat_budget(void)
{
	if (IS_ENABLED(CONFIG_KASAN_VMALLOC))
		return min_t(u64, SZ_1T,
			     ((u64)totalram_pages() << PAGE_SHIFT) / 2);
	return SZ_1T;
}

/**
 * bsdmem_memrange_x86_mtrr_add() - program a write-combining MTRR
 * @base: physical address
 * @len: bytes, a power of two, base aligned to it
 * @handle: for bsdmem_memrange_x86_mtrr_del()
 *
 * Return: 0, -ENOSPC when no MTRR is free, -EINVAL when it would clash
 * with an MTRR of another type.
 */
int bsdmem_memrange_x86_mtrr_add(phys_addr_t base, u64 len, int *handle)
{
	int h = arch_phys_wc_add(base, len);

	if (h < 0)
		return h;
	if (!h)
		return -ENXIO;
	*handle = h;
	return 0;
}

/**
 * bsdmem_memrange_x86_mtrr_del() - remove an MTRR added by this module
 * @handle: from bsdmem_memrange_x86_mtrr_add()
 */
void bsdmem_memrange_x86_mtrr_del(int handle)
{
	arch_phys_wc_del(handle);
}

/**
 * bsdmem_memrange_x86_mtrr_index() - which variable MTRR a handle uses
 * @handle: from bsdmem_memrange_x86_mtrr_add()
 *
 * Return: the register number, or -1.
 */
int bsdmem_memrange_x86_mtrr_index(int handle)
{
	return arch_phys_wc_index(handle);
}

/**
 * bsdmem_memrange_x86_pgprot() - page protection with an attribute's type
 * @prot: the protection to adjust
 * @attr: one MDF_ attribute
 *
 * Return: @prot with its cache bits replaced.
 */
pgprot_t bsdmem_memrange_x86_pgprot(pgprot_t prot, s32 attr)
{
	int pcm = bsdmem_memrange_x86_attr2pcm(attr);

	if (pcm < 0)
		return prot;
	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) |
			cachemode2protval(pcm));
}
