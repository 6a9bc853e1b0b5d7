// SPDX-License-Identifier: GPL-2.0
/*
 * Which pages a live dump holds, decided once per dump (a snapshot): the
 * System RAM ranges (dump_avail), one bit per RAM page (the bitmap), and
 * the kernbase page directories (the pmap). The kernel's page tables are
 * walked from init_top_pgt. Only pages phys.c's policy lets read() touch are
 * ever in the bitmap or read, with phys.c's fault-safe page copy.
 */
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/elf.h>
#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include "bsdmem.h"
#include "livedump.h"

#define BSDMEM_PTRS		512	/* entries per table, every level */

static int bsdmem_dumpset_range_cb(struct resource *res, void *arg)
{
	struct bsdmem_dumpset *ds = arg;
	struct bsdmem_dumpset_range *last = NULL;
	u64 start = PFN_UP(res->start), end = PFN_DOWN(res->end + 1);

	if (end <= start ||
	    !bsdmem_phys_ram_range_ok(res->start, resource_size(res)))
		return 0;
	if (ds->nranges)
		last = &ds->ranges[ds->nranges - 1];
	if (last && start <= last->end_pfn) {
		last->end_pfn = max(last->end_pfn, end);
		return 0;
	}
	if (ds->nranges == BSDMEM_DUMPSET_MAX_RANGES)
		return -E2BIG;
	ds->ranges[ds->nranges].start_pfn = start;
	ds->ranges[ds->nranges].end_pfn = end;
	ds->nranges++;
	return 0;
}

/* System RAM, page-aligned inwards, touching ranges merged, ascending. */
static int bsdmem_dumpset_ranges(struct bsdmem_dumpset *ds)
{
	unsigned int i;
	int err;

	ds->ranges = kvcalloc(BSDMEM_DUMPSET_MAX_RANGES, sizeof(*ds->ranges),
			      BSDMEM_GFP);
	if (!ds->ranges)
		return -ENOMEM;
	err = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				  0, -1, ds, bsdmem_dumpset_range_cb);
	if (err < 0 && err != -EINVAL)	/* -EINVAL: no RAM at all */
		return err;
	if (!ds->nranges)
		return -ENODEV;
	for (i = 0; i < ds->nranges; i++) {
		ds->ranges[i].first_bit = ds->nbits;
		ds->nbits += ds->ranges[i].end_pfn - ds->ranges[i].start_pfn;
	}
	return 0;
}

static const struct bsdmem_dumpset_range *
bsdmem_dumpset_find(const struct bsdmem_dumpset *ds, unsigned long pfn)
{
	unsigned int lo = 0, hi = ds->nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pfn < ds->ranges[mid].start_pfn)
			hi = mid;
		else if (pfn >= ds->ranges[mid].end_pfn)
			lo = mid + 1;
		else
			return &ds->ranges[mid];
	}
	return NULL;
}

/* Put @pfn in the dump if it is readable RAM. Return: whether it is in. */
static bool bsdmem_dumpset_add(struct bsdmem_dumpset *ds, unsigned long pfn)
{
	const struct bsdmem_dumpset_range *r = bsdmem_dumpset_find(ds, pfn);

	if (!r || !bsdmem_phys_ram_page_ok(pfn))
		return false;
	__set_bit(r->first_bit + pfn - r->start_pfn, ds->bitmap);
	return true;
}

/*
 * Mark the table at @pfn (in the dump) as read. Return: whether it was read
 * before. KASAN's shadow maps petabytes through the same few tables, one
 * entry after another: each must be read once, or the walk never ends.
 */
static bool bsdmem_dumpset_seen(struct bsdmem_dumpset *ds, unsigned long pfn)
{
	const struct bsdmem_dumpset_range *r = bsdmem_dumpset_find(ds, pfn);

	return r && __test_and_set_bit(r->first_bit + pfn - r->start_pfn,
				       ds->walked);
}

static bool bsdmem_dumpset_test(const struct bsdmem_dumpset *ds,
				unsigned long pfn)
{
	const struct bsdmem_dumpset_range *r = bsdmem_dumpset_find(ds, pfn);

	return r && test_bit(r->first_bit + pfn - r->start_pfn, ds->bitmap);
}

/**
 * bsdmem_dumpset_next() - the next page of the dump, in file order
 * @ds: a built dump set
 * @bit: in: first bit to look at; out: the bit found
 * @pfn: out: its page frame
 *
 * Return: false when no set bit is left.
 */
bool bsdmem_dumpset_next(const struct bsdmem_dumpset *ds, u64 *bit,
			 unsigned long *pfn)
{
	const struct bsdmem_dumpset_range *r;
	unsigned int lo = 0, hi = ds->nranges, mid;
	u64 b = find_next_bit(ds->bitmap, ds->nbits, *bit);

	if (b >= ds->nbits)
		return false;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b < ds->ranges[mid].first_bit)
			hi = mid;
		else
			lo = mid;
	}
	r = &ds->ranges[lo];
	*bit = b;
	*pfn = r->start_pfn + (b - r->first_bit);
	return true;
}

/*
 * Decide about the page at @pfn (makedumpfile's level 31 keeps kernel
 * memory: not free, not user anonymous, not page or swap cache, not
 * hugetlb; ALLRAM keeps all), and about the pages after it that the same
 * look settles: a free buddy block is skipped whole (the CPUs' free lists
 * are bsdmem_dumpset_drop_pcp()'s).
 * Return: how many pages from @pfn on the decision in @keep covers.
 */
static unsigned long bsdmem_dumpset_decide(unsigned long pfn, bool allram,
					   bool *keep)
{
	struct page *page;
	struct folio *folio;
	unsigned long order;

	*keep = false;
	if (!bsdmem_phys_ram_page_ok(pfn))
		return 1;
	if (allram) {
		*keep = true;
		return 1;
	}
	page = pfn_to_page(pfn);
	if (PageBuddy(page)) {
		/* racy: the order may be stale or garbage, so clamp it */
		order = READ_ONCE(page->private);
		if (order > MAX_PAGE_ORDER || !IS_ALIGNED(pfn, 1UL << order))
			return 1;
		return 1UL << order;
	}
	folio = page_folio(page);
	/*
	 * A slab is kernel memory, and its struct slab reuses the word of a
	 * page's mapping (on 6.12, a per-CPU partial slab's count), whose
	 * low bit would read as "anonymous".
	 */
	if (folio_test_slab(folio)) {
		*keep = true;
		return 1;
	}
	*keep = !folio_test_hugetlb(folio) && !folio_test_anon(folio) &&
		!folio_test_lru(folio) && !folio_test_swapcache(folio);
	return 1;
}

/*
 * The pages from @pfn to the end of the free buddy block that holds it, or
 * 0: only a block's first page says it is free, so look for that first
 * page at each order (racy, like the rest: a stale order is clamped).
 */
static unsigned long bsdmem_dumpset_free_run(unsigned long pfn)
{
	unsigned long head, order, prev = ULONG_MAX;
	struct page *page;
	unsigned int o;

	for (o = 0; o <= MAX_PAGE_ORDER; o++) {
		head = pfn & ~((1UL << o) - 1);
		if (head == prev)
			continue;
		prev = head;
		page = pfn_to_online_page(head);
		if (!page)
			return 0;
		if (!PageBuddy(page))
			continue;
		/* a smaller free block before @pfn: no larger one holds it */
		order = READ_ONCE(page->private);
		if (order < o || order > MAX_PAGE_ORDER ||
		    !IS_ALIGNED(head, 1UL << order) || !PageBuddy(page))
			return 0;
		return head + (1UL << order) - pfn;
	}
	return 0;
}

static int bsdmem_dumpset_classify(struct bsdmem_dumpset *ds, bool allram)
{
	const struct bsdmem_dumpset_range *r;
	unsigned long pfn, n, since = 0;
	unsigned int i;
	bool keep;

	for (i = 0; i < ds->nranges; i++) {
		r = &ds->ranges[i];
		for (pfn = r->start_pfn; pfn < r->end_pfn; pfn += n) {
			n = bsdmem_dumpset_decide(pfn, allram, &keep);
			n = min(n, (unsigned long)(r->end_pfn - pfn));
			if (keep)
				__set_bit(r->first_bit + pfn - r->start_pfn,
					  ds->bitmap);
			since += n;
			if (since < 4096)
				continue;
			since = 0;
			if (signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/* Take the @n pages from @pfn out of the dump set. */
static void bsdmem_dumpset_drop(struct bsdmem_dumpset *ds, unsigned long pfn,
				unsigned long n)
{
	const struct bsdmem_dumpset_range *r;

	for (; n; n--, pfn++) {
		r = bsdmem_dumpset_find(ds, pfn);
		if (r)
			__clear_bit(r->first_bit + pfn - r->start_pfn,
				    ds->bitmap);
	}
}

/*
 * Memory going offline may free a zone's per-CPU pagesets (the last block
 * of a zone: zone_pcp_reset()) between MEM_GOING_OFFLINE and MEM_OFFLINE;
 * no dump reads them meanwhile. Offlining is serialized by the kernel's
 * hotplug lock: one at a time.
 */
static DEFINE_MUTEX(bsdmem_dumpset_pcp_mutex);
static bool bsdmem_dumpset_offlining;

static int bsdmem_dumpset_memory_event(struct notifier_block *nb,
				       unsigned long action, void *arg)
{
	switch (action) {
	case MEM_GOING_OFFLINE:
	case MEM_OFFLINE:
	case MEM_CANCEL_OFFLINE:
		mutex_lock(&bsdmem_dumpset_pcp_mutex);
		bsdmem_dumpset_offlining = action == MEM_GOING_OFFLINE;
		mutex_unlock(&bsdmem_dumpset_pcp_mutex);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block bsdmem_dumpset_memory_nb = {
	.notifier_call = bsdmem_dumpset_memory_event,
};

/**
 * bsdmem_dumpset_init() - follow memory going offline (module load)
 *
 * Return: 0 or the notifier chain's error.
 */
int bsdmem_dumpset_init(void)
{
	return register_memory_notifier(&bsdmem_dumpset_memory_nb);
}

/** bsdmem_dumpset_uninit() - stop following it (module unload) */
void bsdmem_dumpset_uninit(void)
{
	unregister_memory_notifier(&bsdmem_dumpset_memory_nb);
}

/* One block on a CPU's free list: its first page and order. */
struct bsdmem_dumpset_pcp {
	unsigned long pfn;
	unsigned int order;
};

/*
 * One list of one CPU's pageset: the blocks on it, at most @max of them,
 * copied under pcp->lock (taken as a drain from another CPU takes it); the
 * bits are cleared after the lock is dropped. A list that grew past @max
 * since it was measured keeps its other blocks in the dump.
 */
static void bsdmem_dumpset_drop_pcp_list(struct bsdmem_dumpset *ds,
					 struct per_cpu_pages *pcp,
					 unsigned int i,
					 struct bsdmem_dumpset_pcp *buf,
					 unsigned int max)
{
	/*
	 * The list's order, as mm/page_alloc.c's pindex_to_order() has it:
	 * MIGRATE_PCPTYPES lists per order up to PAGE_ALLOC_COSTLY_ORDER, then
	 * the THP lists (6.1 calls their order pageblock_order, 6.12
	 * HPAGE_PMD_ORDER: 9 on x86-64 either way).
	 */
	unsigned int order = i < NR_LOWORDER_PCP_LISTS ?
			     i / MIGRATE_PCPTYPES : pageblock_order;
	unsigned int n = 0, k;
	struct page *page;

	spin_lock(&pcp->lock);
	list_for_each_entry(page, &pcp->lists[i], pcp_list) {
		if (n == max)
			break;
		buf[n].pfn = page_to_pfn(page);
		buf[n++].order = order;
	}
	spin_unlock(&pcp->lock);
	for (k = 0; k < n; k++)
		bsdmem_dumpset_drop(ds, buf[k].pfn, 1UL << buf[k].order);
}

/*
 * Call @fn on every online CPU's pageset of every populated zone until it
 * returns false. A zone's pagesets are published before the zone counts
 * as populated (setup_zone_pageset(), then its present pages), so a
 * populated zone's pointer is a whole pageset. Return: false if stopped.
 */
static bool bsdmem_dumpset_each_pcp(bool (*fn)(struct per_cpu_pages *pcp,
					       void *arg),
				    void *arg)
{
	struct per_cpu_pages __percpu *pset;
	struct zone *zone;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			pset = READ_ONCE(zone->per_cpu_pageset);
			for_each_online_cpu(cpu)
				if (!fn(per_cpu_ptr(pset, cpu), arg))
					return false;
		}
	}
	return true;
}

/* The longest pageset seen so far, in pages (*@arg). */
static bool bsdmem_dumpset_pcp_count(struct per_cpu_pages *pcp, void *arg)
{
	unsigned int *max = arg;

	*max = max_t(unsigned int, *max, READ_ONCE(pcp->count));
	return true;
}

struct bsdmem_dumpset_pcp_walk {
	struct bsdmem_dumpset *ds;
	struct bsdmem_dumpset_pcp *buf;
	unsigned int max;
};

/* Every list of one pageset; false on a pending signal. */
static bool bsdmem_dumpset_pcp_drop(struct per_cpu_pages *pcp, void *arg)
{
	struct bsdmem_dumpset_pcp_walk *w = arg;
	unsigned int i;

	for (i = 0; i < NR_PCP_LISTS; i++)
		bsdmem_dumpset_drop_pcp_list(w->ds, pcp, i, w->buf, w->max);
	if (signal_pending(current))
		return false;
	cond_resched();
	return true;
}

/*
 * Free pages on the CPUs' free lists (each populated zone's per-CPU
 * pagesets) are free memory that is not buddy: take them out of the set.
 * Racy like the rest: a block taken from a list afterwards is written as
 * it is then. Skipped while memory goes offline.
 * Return: 0, -ENOMEM or -EINTR.
 */
static int bsdmem_dumpset_drop_pcp(struct bsdmem_dumpset *ds)
{
	struct bsdmem_dumpset_pcp_walk w = { .ds = ds };
	int err = 0;

	mutex_lock(&bsdmem_dumpset_pcp_mutex);
	if (bsdmem_dumpset_offlining)
		goto out;
	/* room for the longest list now and some growth (count is in pages) */
	bsdmem_dumpset_each_pcp(bsdmem_dumpset_pcp_count, &w.max);
	w.max = min(w.max + 256, 1U << 20);
	w.buf = kvmalloc_array(w.max, sizeof(*w.buf), BSDMEM_GFP);
	if (!w.buf)
		err = -ENOMEM;
	else if (!bsdmem_dumpset_each_pcp(bsdmem_dumpset_pcp_drop, &w))
		err = -EINTR;
	kvfree(w.buf);
out:
	mutex_unlock(&bsdmem_dumpset_pcp_mutex);
	return err;
}

static unsigned int bsdmem_dumpset_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

/*
 * A kernbase address maps a 4 KiB, 2 MiB or 1 GiB page: dump all of it but
 * what the kernel gave away. The image's 2 MiB leaves also map what it
 * freed at boot (init code, the gaps between sections), and those pages
 * now hold free, user or page-cache memory: they are left out as
 * everywhere else; the image's own pages are never in those states.
 */
static void bsdmem_dumpset_leaf(struct bsdmem_dumpset *ds, u64 e, int level,
				u64 va)
{
	u64 mask = PTE_PFN_MASK;
	unsigned long pfn, k, run, n = 1UL << (9 * (level - 1));
	bool keep;

	if (va < BSDMEM_KERNBASE)
		return;
	if (level == 2)
		mask = PHYSICAL_PMD_PAGE_MASK;
	else if (level == 3)
		mask = PHYSICAL_PUD_PAGE_MASK;
	pfn = PHYS_PFN(__sme_clr(e) & mask);
	for (k = 0; k < n; k += run) {
		run = 1;
		if (bsdmem_dumpset_test(ds, pfn + k))
			continue;	/* classify kept it already */
		if (!ds->allram) {
			run = bsdmem_dumpset_free_run(pfn + k);
			if (run)
				continue;
			run = 1;
			bsdmem_dumpset_decide(pfn + k, false, &keep);
			if (!keep)
				continue;
		}
		bsdmem_dumpset_add(ds, pfn + k);
	}
}

/*
 * The pmap page for the 1 GiB at kernbase address @va: 2 MiB leaves made
 * from a 1 GiB leaf, or the page directory as the walk just copied it
 * (level 2's buffer), without PDEs whose page table is not in the dump.
 */
static void bsdmem_dumpset_pmap(struct bsdmem_dumpset *ds, u64 pude, u64 va,
				bool walked)
{
	u64 *pd = ds->pmap + ((va - BSDMEM_KERNBASE) >> PUD_SHIFT) * BSDMEM_PTRS;
	const u64 *src = ds->walk + BSDMEM_PTRS;
	unsigned int i;
	u64 e;

	for (i = 0; i < BSDMEM_PTRS; i++) {
		if (pude & _PAGE_PSE) {
			pd[i] = pude + ((u64)i << PMD_SHIFT);
			continue;
		}
		e = walked ? src[i] : 0;
		if ((e & _PAGE_PRESENT) && !(e & _PAGE_PSE) &&
		    !bsdmem_dumpset_test(ds, PHYS_PFN(__sme_clr(e) & PTE_PFN_MASK)))
			e = 0;
		pd[i] = e;
	}
}

/*
 * Put the table at @pa (paging level @level, 1 = PTEs, mapping from @va)
 * and every table below it in the dump. PTEs are read only under
 * kernbase, the one range whose leaves are dumped as such; below kernbase
 * a table that is reached again (shared) is not read again, since its
 * tables are in already. A signal stops the walk (@ds->intr).
 * Return: whether the table page itself is in the dump.
 */
static bool bsdmem_dumpset_walk(struct bsdmem_dumpset *ds, u64 pa, int level,
				u64 va)
{
	u64 *tbl = ds->walk + (level - 1) * BSDMEM_PTRS;
	unsigned int i = level == ds->levels ? BSDMEM_PTRS / 2 : 0;
	bool walked;
	u64 e, va_i;

	if (!bsdmem_dumpset_add(ds, PHYS_PFN(pa)))
		return false;
	if (level == 1 && va < BSDMEM_KERNBASE)
		return true;
	if (ds->intr)
		return true;
	/* the span this table maps ends below kernbase: no leaf counts */
	if (va + ((1ULL << (bsdmem_dumpset_shift(level) + 9)) - 1) <
	    BSDMEM_KERNBASE && bsdmem_dumpset_seen(ds, PHYS_PFN(pa)))
		return true;
	if (level <= 2) {
		if (signal_pending(current)) {
			ds->intr = true;
			return true;
		}
		cond_resched();
	}
	bsdmem_phys_read_page(tbl, PHYS_PFN(pa));
	for (; i < BSDMEM_PTRS && !ds->intr; i++) {
		e = tbl[i];
		va_i = va + ((u64)i << bsdmem_dumpset_shift(level));
		if (!(e & _PAGE_PRESENT))
			continue;
		walked = false;
		if (level == 1 || (level <= 3 && (e & _PAGE_PSE)))
			bsdmem_dumpset_leaf(ds, e, level, va_i);
		else
			walked = bsdmem_dumpset_walk(ds, __sme_clr(e) & PTE_PFN_MASK,
						     level - 1, va_i);
		if (level == 3 && va_i >= BSDMEM_KERNBASE)
			bsdmem_dumpset_pmap(ds, e, va_i, walked && !ds->intr);
	}
	return true;
}

/*
 * The kernel's own top-level table, init_top_pgt. Modules cannot name it,
 * but VMCOREINFO carries its address as "SYMBOL(init_top_pgt)=<hex>".
 * Return: its physical address, or 0 if the note does not give it.
 */
static u64 bsdmem_dumpset_init_top_pgt(void)
{
	static const char key[] = "SYMBOL(init_top_pgt)=";
	phys_addr_t note = paddr_vmcoreinfo_note();
	const struct elf64_note *nhdr;
	const char *text, *p, *end;
	size_t room, len, n;
	char hex[17];
	u64 va;

	/* The note is a kernel allocation made at boot: direct-mapped RAM. */
	if (!pfn_valid(PHYS_PFN(note)) || !page_is_ram(PHYS_PFN(note)))
		return 0;
	nhdr = __va(note);
	text = (const char *)(nhdr + 1) + VMCOREINFO_NOTE_NAME_BYTES;
	room = VMCOREINFO_NOTE_SIZE - (text - (const char *)nhdr);
	len = min_t(size_t, nhdr->n_descsz, room);
	p = strnstr(text, key, len);
	if (!p)
		return 0;
	p += sizeof(key) - 1;
	end = text + len;
	for (n = 0; n < sizeof(hex) - 1 && p + n < end && isxdigit(p[n]); n++)
		hex[n] = p[n];
	hex[n] = '\0';
	/* the whole value, up to its line's end */
	if (p + n >= end || p[n] != '\n' || kstrtou64(hex, 16, &va) ||
	    va < BSDMEM_KERNBASE || !PAGE_ALIGNED(va))
		return 0;
	return va - BSDMEM_KERNBASE + phys_base;
}

/**
 * bsdmem_dumpset_root() - the kernel's top-level page table
 *
 * init_top_pgt, which lives in the kernel image. Without it, the table in
 * CR3: in kernel mode the current mm's PGD, whose upper half is the
 * kernel's, with PCID bits masked off and, under PTI, the even (kernel)
 * page of the pair. That one may sit in RAM the dump leaves out (a
 * virtio-mem block), hence init_top_pgt first.
 *
 * Return: its physical address.
 */
static u64 bsdmem_dumpset_root(void)
{
	u64 root = bsdmem_dumpset_init_top_pgt();

	if (root)
		return root;
	pr_notice_once("VMCOREINFO names no init_top_pgt: dumps walk the caller's page tables\n");
	root = read_cr3_pa();
	if (boot_cpu_has(X86_FEATURE_PTI))
		root &= ~(u64)PAGE_SIZE;
	return root;
}

/**
 * bsdmem_dumpset_free() - release a dump set
 * @ds: a dump set, built or not (zeroed by bsdmem_dumpset_build)
 */
void bsdmem_dumpset_free(struct bsdmem_dumpset *ds)
{
	kvfree(ds->walk);
	vfree(ds->walked);
	vfree(ds->pmap);
	vfree(ds->bitmap);
	kvfree(ds->ranges);
	memset(ds, 0, sizeof(*ds));
}

/**
 * bsdmem_dumpset_build() - take the snapshot of what the dump will hold
 * @ds: the dump set to fill; free it with bsdmem_dumpset_free() in any case
 * @allram: every readable RAM page, not only the kernel's
 *
 * Return: 0, -ENOMEM, -E2BIG (too many RAM ranges) or -EINTR.
 */
int bsdmem_dumpset_build(struct bsdmem_dumpset *ds, bool allram)
{
	phys_addr_t note = paddr_vmcoreinfo_note();
	unsigned long pfn;
	int err;

	memset(ds, 0, sizeof(*ds));
	ds->allram = allram;
	err = bsdmem_dumpset_ranges(ds);
	if (err)
		return err;
	ds->bitmap_size = PAGE_ALIGN(BITS_TO_LONGS(ds->nbits) * sizeof(long));
	ds->bitmap = __vmalloc(ds->bitmap_size, BSDMEM_GFP_ZERO);
	ds->walked = __vmalloc(ds->bitmap_size, BSDMEM_GFP_ZERO);
	ds->pmap = __vmalloc(BSDMEM_DUMPSET_PMAP_SIZE, BSDMEM_GFP_ZERO);
	ds->walk = kvmalloc_array(5, PAGE_SIZE, BSDMEM_GFP);
	if (!ds->bitmap || !ds->walked || !ds->pmap || !ds->walk)
		return -ENOMEM;

	err = bsdmem_dumpset_classify(ds, allram);
	if (err)
		return err;
	ds->levels = pgtable_l5_enabled() ? 5 : 4;
	ds->root = bsdmem_dumpset_root();
	bsdmem_dumpset_walk(ds, ds->root, ds->levels,
			    ~0ULL << (bsdmem_dumpset_shift(ds->levels) + 9));
	if (ds->intr)
		return -EINTR;
	/*
	 * After the walk: the image's 2 MiB leaves also map what it freed at
	 * boot, and the walk decides those pages again (buddy blocks out),
	 * which would put a CPU's free pages back.
	 */
	if (!allram) {
		err = bsdmem_dumpset_drop_pcp(ds);
		if (err)
			return err;
	}
	for (pfn = PHYS_PFN(note);
	     pfn <= PHYS_PFN(note + VMCOREINFO_NOTE_SIZE - 1); pfn++)
		bsdmem_dumpset_add(ds, pfn);
	ds->ndata = bitmap_weight(ds->bitmap, ds->nbits);
	return 0;
}
