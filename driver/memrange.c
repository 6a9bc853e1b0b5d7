// SPDX-License-Identifier: GPL-2.0
/*
 * MEMRANGE_GET and MEMRANGE_SET: FreeBSD's memory-range descriptors on
 * Linux. The array is the fixed MTRRs, the variable MTRRs, then this
 * module's own software slots (PAT backend). Ranges live until removed or
 * until the module unloads; /dev/bsdmem reads and mmaps use their types.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <linux/rwsem.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "bsdmem.h"
#include "memrange.h"

struct bsdmem_memrange_slot {
	struct mem_range_desc desc;	/* all zero while the slot is free */
	void __iomem *map;		/* PAT: the mapping holding the type */
	u64 map_len;			/* PAT: its length */
	int handle;			/* MTRR: from arch_phys_wc_add() */
};

static unsigned int memrange_slots = 16;

/* Anything but a number in 1-256 refuses the load with -EINVAL. */
static int bsdmem_memrange_slots_set(const char *val,
				     const struct kernel_param *kp)
{
	return bsdmem_main_param_range(val, kp, 1, 256);
}

static const struct kernel_param_ops bsdmem_memrange_slots_ops = {
	.set = bsdmem_memrange_slots_set,
	.get = param_get_uint,
};

module_param_cb(memrange_slots, &bsdmem_memrange_slots_ops,
		&memrange_slots, 0444);
MODULE_PARM_DESC(memrange_slots,
		 "software memory-range slots, 1-256 (default 16)");

static enum bsdmem_memrange_backend bsdmem_memrange_backend;

/*
 * Protects the slots, the mappings or MTRRs they hold, and their total:
 * written by MEMRANGE_SET, read by GET and by every access to device
 * memory from the type lookup until its mapping is made (or gone).
 */
static DECLARE_RWSEM(bsdmem_memrange_lock);
static struct bsdmem_memrange_slot *bsdmem_memrange_slots;
/* Bytes the PAT slots' mappings span, all together. */
static u64 bsdmem_memrange_mapped;

static int bsdmem_memrange_usable(void)
{
	switch (bsdmem_memrange_backend) {
	case BSDMEM_MEMRANGE_NONE:
		return -EOPNOTSUPP;
	case BSDMEM_MEMRANGE_DISABLED:
		return -ENXIO;
	default:
		return 0;
	}
}

static unsigned int bsdmem_memrange_nsoft(void)
{
	return bsdmem_memrange_backend == BSDMEM_MEMRANGE_PAT ?
	       memrange_slots : 0;
}

static unsigned int bsdmem_memrange_count(void)
{
	return bsdmem_memrange_x86_nfixed() + bsdmem_memrange_x86_nvar() +
	       bsdmem_memrange_nsoft();
}

static bool bsdmem_memrange_active(const struct bsdmem_memrange_slot *s)
{
	return s->desc.mr_flags & MDF_ACTIVE;
}

/* Called with the lock held; @d has room for bsdmem_memrange_count(). */
static void bsdmem_memrange_fill(struct mem_range_desc *d)
{
	unsigned int nfixed = bsdmem_memrange_x86_nfixed();
	unsigned int nvar = bsdmem_memrange_x86_nvar();
	struct mem_range_desc *var = d + nfixed;
	struct bsdmem_memrange_slot *s;
	unsigned int i;
	int reg;

	bsdmem_memrange_x86_fill(d, var);
	for (i = 0; i < memrange_slots; i++) {
		s = &bsdmem_memrange_slots[i];
		if (bsdmem_memrange_nsoft())
			var[nvar + i] = s->desc;
		if (!bsdmem_memrange_active(s) || !s->handle)
			continue;
		/* A write-combining MTRR of ours: show it as ours. */
		reg = bsdmem_memrange_x86_mtrr_index(s->handle);
		if (reg < 0 || reg >= nvar)
			continue;
		var[reg].mr_flags &= ~(MDF_BUSY | MDF_FIRMWARE);
		memcpy(var[reg].mr_owner, s->desc.mr_owner,
		       sizeof(s->desc.mr_owner));
	}
}

/**
 * bsdmem_memrange_get() - MEMRANGE_GET
 * @udesc: user array of descriptors
 * @nd: in: room in @udesc (<= 0 asks for the count); out: count or copied
 *
 * Return: 0, -EFAULT, -EOPNOTSUPP (no MTRR, no PAT), -ENXIO (MTRRs
 * disabled, no PAT) or -ENOMEM.
 */
int bsdmem_memrange_get(struct mem_range_desc __user *udesc, s32 *nd)
{
	unsigned int count = bsdmem_memrange_count();
	struct mem_range_desc *d;
	unsigned int n;
	int err = bsdmem_memrange_usable();

	if (err)
		return err;
	if (*nd <= 0) {
		*nd = count;
		return 0;
	}
	n = min_t(unsigned int, *nd, count);
	d = kvcalloc(count, sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	down_read(&bsdmem_memrange_lock);
	bsdmem_memrange_fill(d);
	up_read(&bsdmem_memrange_lock);

	if (copy_to_user(udesc, d, n * sizeof(*d)))
		err = -EFAULT;
	else
		*nd = n;
	kvfree(d);
	return err;
}

static bool bsdmem_memrange_overlap(const struct mem_range_desc *a,
				    u64 base, u64 len)
{
	return a->mr_base < base + len && base < a->mr_base + a->mr_len;
}

static bool bsdmem_memrange_request_ok(u64 base, u64 len, s32 attr)
{
	u64 end;

	if (!IS_ALIGNED(base, SZ_4K) || len < SZ_4K || !is_power_of_2(len) ||
	    !IS_ALIGNED(base, len) || check_add_overflow(base, len, &end) ||
	    !bsdmem_phys_range_valid(base, len))
		return false;
	return attr == MDF_UNCACHEABLE || attr == MDF_WRITECOMBINE ||
	       attr == MDF_WRITETHROUGH || attr == MDF_WRITEPROTECT ||
	       attr == MDF_WRITEBACK;
}

/* -EBUSY if an MTRR this module cannot change has exactly this range. */
static int bsdmem_memrange_check_busy(u64 base, u64 len)
{
	unsigned int n = bsdmem_memrange_count(), i;
	struct mem_range_desc *d;
	int err = 0;

	d = kvcalloc(n, sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	bsdmem_memrange_fill(d);
	for (i = 0; i < n && !err; i++)
		if ((d[i].mr_flags & MDF_BUSY) && d[i].mr_base == base &&
		    d[i].mr_len == len)
			err = -EBUSY;
	kvfree(d);
	return err;
}

/*
 * Take the type for a slot. A PAT range is an ioremap of all of it, so the
 * slots together may map at most what memrange_x86.c budgets for that,
 * however many and however large they are: beyond it, -ENOSPC. The budget
 * can shrink below what is held (it follows the RAM on a KASAN kernel, and
 * memory goes offline); @restore takes back a range just let go, which the
 * budget never refuses.
 */
static int bsdmem_memrange_hold(struct bsdmem_memrange_slot *s, u64 base,
				u64 len, s32 attr, bool restore)
{
	u64 budget = bsdmem_memrange_x86_pat_budget();
	int err;

	if (bsdmem_memrange_backend == BSDMEM_MEMRANGE_MTRR)
		return bsdmem_memrange_x86_mtrr_add(base, len, &s->handle);
	if (!restore && (bsdmem_memrange_mapped > budget ||
			 len > budget - bsdmem_memrange_mapped))
		return -ENOSPC;
	err = bsdmem_memrange_x86_pat_hold(base, len, attr, &s->map);
	if (err)
		return err;
	s->map_len = len;
	bsdmem_memrange_mapped += len;
	return 0;
}

static void bsdmem_memrange_release(struct bsdmem_memrange_slot *s)
{
	if (s->map) {
		iounmap(s->map);
		/*
		 * KASAN frees a mapping's shadow only when vmalloc purges its
		 * lazily freed areas: do it now, or SET and REMOVE in a loop
		 * could hold several budgets' worth of shadow.
		 */
		if (IS_ENABLED(CONFIG_KASAN_VMALLOC))
			vm_unmap_aliases();
		bsdmem_memrange_mapped -= s->map_len;
	}
	if (s->handle)
		bsdmem_memrange_x86_mtrr_del(s->handle);
	memset(s, 0, sizeof(*s));
}

/*
 * An existing range of ours with a new attribute and owner. The kernel
 * would give a second mapping of the range the type the first one holds,
 * so the old type is let go before the new one is taken, and taken back
 * if the new one cannot be had. Should even that fail (the kernel handed
 * the range to someone else meanwhile, or is out of memory), the slot is
 * left empty rather than claiming a type nothing holds: the log says so
 * and the caller gets -EIO, not the first error.
 */
static int bsdmem_memrange_change(struct bsdmem_memrange_slot *s,
				  const struct mem_range_desc *req, s32 attr)
{
	struct mem_range_desc old = s->desc;
	s32 old_attr = old.mr_flags & MDF_ATTRMASK;
	int err;

	if (old_attr != attr) {
		bsdmem_memrange_release(s);
		err = bsdmem_memrange_hold(s, old.mr_base, old.mr_len, attr,
					   false);
		if (err && bsdmem_memrange_hold(s, old.mr_base, old.mr_len,
						old_attr, true)) {
			pr_warn("memory range %#llx/%#llx removed: its type could not be changed (%d) nor kept\n",
				old.mr_base, old.mr_len, err);
			return -EIO;
		}
		if (err) {
			s->desc = old;
			return err;
		}
	}
	s->desc = old;
	s->desc.mr_flags = MDF_ACTIVE | attr;
	memcpy(s->desc.mr_owner, req->mr_owner, sizeof(req->mr_owner));
	return 0;
}

static int bsdmem_memrange_update(const struct mem_range_desc *req)
{
	s32 attr = req->mr_flags & MDF_ATTRMASK;
	u64 base = req->mr_base, len = req->mr_len;
	struct bsdmem_memrange_slot *s, *match = NULL, *free = NULL;
	unsigned int i;
	int err;

	if (!bsdmem_memrange_request_ok(base, len, attr))
		return -EINVAL;
	if (bsdmem_phys_range_has_ram(base, len))
		return -EINVAL;
	if (base < SZ_1M)
		return -EBUSY;
	err = bsdmem_memrange_check_busy(base, len);
	if (err)
		return err;

	for (i = 0; i < memrange_slots; i++) {
		s = &bsdmem_memrange_slots[i];
		if (!bsdmem_memrange_active(s)) {
			free = free ?: s;
		} else if (s->desc.mr_base == base && s->desc.mr_len == len) {
			match = s;
		} else if (bsdmem_memrange_overlap(&s->desc, base, len) &&
			   ((s->desc.mr_flags & MDF_ATTRMASK) != attr ||
			    bsdmem_memrange_backend == BSDMEM_MEMRANGE_MTRR)) {
			/* The kernel merges overlapping MTRRs into one. */
			return -EINVAL;
		}
	}
	if (!bsdmem_memrange_x86_attr_ok(bsdmem_memrange_backend, attr))
		return -EINVAL;
	if (match)
		return bsdmem_memrange_change(match, req, attr);
	if (!free)
		return -ENOSPC;

	err = bsdmem_memrange_hold(free, base, len, attr, false);
	if (err)
		return err;
	free->desc.mr_base = base;
	free->desc.mr_len = len;
	free->desc.mr_flags = MDF_ACTIVE | attr;
	memcpy(free->desc.mr_owner, req->mr_owner, sizeof(req->mr_owner));
	return 0;
}

static int bsdmem_memrange_remove(const struct mem_range_desc *req)
{
	unsigned int n = bsdmem_memrange_count(), i;
	struct bsdmem_memrange_slot *s;
	struct mem_range_desc *d;
	int err = -ENOENT;

	for (i = 0; i < memrange_slots; i++) {
		s = &bsdmem_memrange_slots[i];
		if (bsdmem_memrange_active(s) &&
		    s->desc.mr_base == req->mr_base &&
		    s->desc.mr_len == req->mr_len) {
			bsdmem_memrange_release(s);
			return 0;
		}
	}

	d = kvcalloc(n, sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	bsdmem_memrange_fill(d);
	for (i = 0; i < n; i++) {
		if (!(d[i].mr_flags & MDF_ACTIVE) ||
		    d[i].mr_base != req->mr_base || d[i].mr_len != req->mr_len)
			continue;
		err = (d[i].mr_flags & MDF_FIXACTIVE) ? -EPERM : -EBUSY;
		break;
	}
	kvfree(d);
	return err;
}

/**
 * bsdmem_memrange_set() - MEMRANGE_SET
 * @udesc: user pointer to one descriptor
 * @op: MEMRANGE_SET_UPDATE or MEMRANGE_SET_REMOVE
 *
 * Return: 0 or -errno as SPEC.md section 6 lists them.
 */
int bsdmem_memrange_set(const struct mem_range_desc __user *udesc, s32 op)
{
	struct mem_range_desc req;
	int err = bsdmem_memrange_usable();

	if (err)
		return err;
	if (copy_from_user(&req, udesc, sizeof(req)))
		return -EFAULT;
	req.mr_owner[sizeof(req.mr_owner) - 1] = '\0';
	if (op != MEMRANGE_SET_UPDATE && op != MEMRANGE_SET_REMOVE)
		return -EOPNOTSUPP;

	down_write(&bsdmem_memrange_lock);
	if (op == MEMRANGE_SET_UPDATE)
		err = bsdmem_memrange_update(&req);
	else
		err = bsdmem_memrange_remove(&req);
	up_write(&bsdmem_memrange_lock);
	return err;
}

/*
 * The attribute of the software ranges over [start, start + len), from all
 * the slots that overlap it. Called with the lock held.
 * Return: 0 if ranges of one attribute together cover all of it, -ENOENT
 * if none touches it, -EINVAL if they cover it only in part or disagree.
 */
static int bsdmem_memrange_find_attr(phys_addr_t start, u64 len, s32 *attr)
{
	const struct mem_range_desc *d;
	u64 pos = start, end = start + len;
	bool found = false, grew = true;
	unsigned int i;

	for (i = 0; i < memrange_slots; i++) {
		d = &bsdmem_memrange_slots[i].desc;
		if (!(d->mr_flags & MDF_ACTIVE) ||
		    !bsdmem_memrange_overlap(d, start, len))
			continue;
		if (found && (d->mr_flags & MDF_ATTRMASK) != *attr)
			return -EINVAL;
		*attr = d->mr_flags & MDF_ATTRMASK;
		found = true;
	}
	if (!found)
		return -ENOENT;
	/* Advance through ranges that contain the first byte not yet covered. */
	while (pos < end && grew) {
		grew = false;
		for (i = 0; i < memrange_slots; i++) {
			d = &bsdmem_memrange_slots[i].desc;
			if ((d->mr_flags & MDF_ACTIVE) && d->mr_base <= pos &&
			    pos < d->mr_base + d->mr_len) {
				pos = d->mr_base + d->mr_len;
				grew = true;
			}
		}
	}
	return pos >= end ? 0 : -EINVAL;
}

/*
 * Copy @len bytes (not crossing the page) to device memory at @pa from
 * @src, or from it into @dst. The page is mapped with the type of the
 * memory range covering it, or write-back as /dev/mem maps it. The ranges
 * stay as they are until the mapping is gone: a MEMRANGE_SET in between
 * would ask PAT for another type over a page still mapped with the old
 * one, and one of the two would fail.
 * Return: 0, or -EFAULT if the page cannot be mapped.
 */
static int bsdmem_memrange_io(phys_addr_t pa, void *dst, const void *src,
			      size_t len)
{
	phys_addr_t page = pa & PAGE_MASK;
	void __iomem *map;
	s32 attr;

	down_read(&bsdmem_memrange_lock);
	if (bsdmem_memrange_find_attr(page, PAGE_SIZE, &attr))
		map = ioremap_cache(page, PAGE_SIZE);
	else
		map = bsdmem_memrange_x86_ioremap(page, PAGE_SIZE, attr);
	if (map) {
		if (dst)
			memcpy_fromio(dst, map + offset_in_page(pa), len);
		else
			memcpy_toio(map + offset_in_page(pa), src, len);
		iounmap(map);
	}
	up_read(&bsdmem_memrange_lock);
	return map ? 0 : -EFAULT;
}

/**
 * bsdmem_memrange_read_io() - load from device memory
 * @dst: kernel buffer
 * @pa: physical address
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page cannot be mapped.
 */
int bsdmem_memrange_read_io(void *dst, phys_addr_t pa, size_t len)
{
	return bsdmem_memrange_io(pa, dst, NULL, len);
}

/**
 * bsdmem_memrange_write_io() - store into device memory
 * @pa: physical address
 * @src: kernel buffer
 * @len: bytes, not crossing the page
 *
 * Return: 0, or -EFAULT if the page cannot be mapped.
 */
int bsdmem_memrange_write_io(phys_addr_t pa, const void *src, size_t len)
{
	return bsdmem_memrange_io(pa, NULL, src, len);
}

/**
 * bsdmem_memrange_remap() - map device or RAM pages into a process
 * @vma: the mapping being made (mmap's)
 * @start: physical address
 * @len: bytes
 * @fallback: the protection if no memory range touches the mapping
 *
 * A memory range covering the whole mapping gives it its type. As for reads and
 * writes, no range changes from the lookup until the
 * PAT reservation of the mapping is made.
 *
 * Return: 0, -EINVAL if ranges cover only part of it or have different
 * attributes, or remap_pfn_range()'s error.
 */
int bsdmem_memrange_remap(struct vm_area_struct *vma, phys_addr_t start,
			  u64 len, pgprot_t fallback)
{
	s32 attr;
	int err;

	down_read(&bsdmem_memrange_lock);
	err = bsdmem_memrange_find_attr(start, len, &attr);
	if (err == -EINVAL)
		goto out;
	if (err)
		vma->vm_page_prot = fallback;
	else
		vma->vm_page_prot = bsdmem_memrange_x86_pgprot(vma->vm_page_prot,
							       attr);
	err = remap_pfn_range(vma, vma->vm_start, PHYS_PFN(start), len,
			      vma->vm_page_prot);
out:
	up_read(&bsdmem_memrange_lock);
	return err;
}

static const char *const bsdmem_memrange_backend_names[] = {
	[BSDMEM_MEMRANGE_NONE] = "none",
	[BSDMEM_MEMRANGE_DISABLED] = "none",
	[BSDMEM_MEMRANGE_PAT] = "pat",
	[BSDMEM_MEMRANGE_MTRR] = "mtrr",
};

static ssize_t memrange_backend_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  bsdmem_memrange_backend_names[bsdmem_memrange_backend]);
}
static DEVICE_ATTR_RO(memrange_backend);

static struct attribute *bsdmem_memrange_attrs[] = {
	&dev_attr_memrange_backend.attr,
	NULL,
};

const struct attribute_group bsdmem_memrange_group = {
	.attrs = bsdmem_memrange_attrs,
};

/**
 * bsdmem_memrange_init() - choose the backend and allocate the slots
 *
 * Return: 0 or -ENOMEM.
 */
int bsdmem_memrange_init(void)
{
	bsdmem_memrange_backend = bsdmem_memrange_x86_init();
	bsdmem_memrange_slots = kcalloc(memrange_slots,
					sizeof(*bsdmem_memrange_slots),
					GFP_KERNEL);
	if (!bsdmem_memrange_slots)
		return -ENOMEM;
	pr_info("memory ranges: %s backend, %u MTRR descriptors, %u slots\n",
		bsdmem_memrange_backend_names[bsdmem_memrange_backend],
		bsdmem_memrange_x86_nfixed() + bsdmem_memrange_x86_nvar(),
		memrange_slots);
	return 0;
}

/**
 * bsdmem_memrange_uninit() - undo every range and free the slots
 */
void bsdmem_memrange_uninit(void)
{
	unsigned int i;

	down_write(&bsdmem_memrange_lock);
	for (i = 0; i < memrange_slots; i++)
		if (bsdmem_memrange_active(&bsdmem_memrange_slots[i]))
			bsdmem_memrange_release(&bsdmem_memrange_slots[i]);
	up_write(&bsdmem_memrange_lock);
	kfree(bsdmem_memrange_slots);
}
