// SPDX-License-Identifier: GPL-2.0
/*
 * The memory type an mmap of /dev/bsdmem really gets (SPEC §6, PAT
 * backend): for a range set to each attribute, the PTE's PAT/PCD/PWT bits,
 * read from this process's page tables through /proc/kcore (the root and
 * the paging levels as the kernel records them, never asked of bsdmem; see
 * lib/kcore.h), index the IA32_PAT MSR (read through /dev/cpu/0/msr) at the
 * range's memory type; and a mapping that several ranges of one attribute
 * cover together gets that type (SPEC §3.3).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <sys/memrange.h>

#include "kcore.h"
#include "mdview.h"
#include "memrange_harness.h"

#define MSR_IA32_PAT	0x277
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PAT_4K	(1ULL << 7)
#define PTE_PAT_HUGE	(1ULL << 12)

/* Memory type encodings of the PAT MSR and MTRRs (Intel SDM). */
enum { MT_UC = 0, MT_WC = 1, MT_WT = 4, MT_WP = 5, MT_WB = 6, MT_UCM = 7 };

/* What the memory-type oracle needs. */
struct pte_oracle {
	uint64_t pat;		/* IA32_PAT */
	struct kc k;		/* /proc/kcore, through which tables are read */
	uint64_t root;		/* this process's top-level page table */
	int levels;
};

FIXTURE(pte) {
	struct mru_fix m;	/* fd, the unused MMIO hole */
	struct pte_oracle o;
};

FIXTURE_VARIANT(pte) {
	int attr;		/* the range's attribute, 0: no range */
	bool dsync;		/* mmap through an O_DSYNC descriptor */
	int type, alt;		/* expected memory type(s) of the PTE */
};

FIXTURE_VARIANT_ADD(pte, uc) { .attr = MDF_UNCACHEABLE, .type = MT_UC, .alt = MT_UC };
FIXTURE_VARIANT_ADD(pte, wc) { .attr = MDF_WRITECOMBINE, .type = MT_WC, .alt = MT_WC };
FIXTURE_VARIANT_ADD(pte, wt) { .attr = MDF_WRITETHROUGH, .type = MT_WT, .alt = MT_WT };
FIXTURE_VARIANT_ADD(pte, wp) { .attr = MDF_WRITEPROTECT, .type = MT_WP, .alt = MT_WP };
FIXTURE_VARIANT_ADD(pte, wb) { .attr = MDF_WRITEBACK, .type = MT_WB, .alt = MT_WB };
/* Controls: no range maps write-back (as /dev/mem on MMIO nobody holds)... */
FIXTURE_VARIANT_ADD(pte, norange) { .type = MT_WB, .alt = MT_WB };
/* ... and O_DSYNC asks for uncached: UC or UC-. */
FIXTURE_VARIANT_ADD(pte, norange_dsync) { .dsync = true, .type = MT_UC, .alt = MT_UCM };

/*
 * IA32_PAT, this process's page-table root and the paging levels, once per
 * fixture. The levels follow the boot: -cpu max has LA57 (5 levels), the
 * no5lvl boot turns it off (4).
 */
static void learn_oracle(struct __test_metadata *_metadata,
			 struct pte_oracle *o)
{
	int err = mru_rdmsr(MSR_IA32_PAT, &o->pat);
	struct kc_layout l;

	ASSERT_EQ(0, err) TH_LOG("rdmsr IA32_PAT: %s", strerror(-err));
	ASSERT_EQ(0, kc_open(&o->k));
	ASSERT_STREQ(KC_OK, kc_layout(&o->k, &l));
	ASSERT_STREQ(KC_OK, kc_current_root(&o->k, &l, &o->root));
	o->levels = l.levels;
	EXPECT_EQ(bt_boot_is("no5lvl") ? 4 : 5, o->levels);
}

FIXTURE_SETUP(pte)
{
	self->o.k.fd = -1;
	mru_setup(_metadata, &self->m, "pat", true);
	learn_oracle(_metadata, &self->o);
}

FIXTURE_TEARDOWN(pte)
{
	kc_close(&self->o.k);
	if (self->m.fd < 0)
		return;
	mru_fix_cleanup(self->m.fd);
	close(self->m.fd);
}

/*
 * The memory type the live PTE of @va selects through IA32_PAT; the PTE
 * maps @va to @pa.
 */
static int pte_type(struct __test_metadata *_metadata,
		    const struct pte_oracle *o, const volatile void *va,
		    uint64_t pa)
{
	uint64_t leaf = 0, patbit;
	int level = 0, index;

	ASSERT_EQ(0, mdv_walk(kc_read_entry, (void *)&o->k, o->root, o->levels,
			      (uintptr_t)va, &leaf, &level));
	EXPECT_EQ(1, level);
	EXPECT_EQ(pa, mdv_leaf_pa(leaf, level, (uintptr_t)va));
	patbit = level == 1 ? PTE_PAT_4K : PTE_PAT_HUGE;
	index = !!(leaf & patbit) << 2 | !!(leaf & PTE_PCD) << 1 |
		!!(leaf & PTE_PWT);
	TH_LOG("PTE 0x%016" PRIx64 ": PAT index %d", leaf, index);
	return o->pat >> (8 * index) & 7;
}

/*
 * A range of each attribute: an mmap of it gets that memory type in its
 * PTE (write-protect too: the PAT has a WP entry even though ioremap()
 * maps WP as uncached), and the range's physical page is what it maps.
 * The controls show the oracle tells the types apart.
 */
TEST_F(pte, mmap_pte_has_expected_type)
{
	volatile uint8_t *p;
	struct mem_extract me;
	int fd = self->m.fd, t;

	if (variant->attr)
		ASSERT_EQ(0, mru_set(self->m.fd, MEMRANGE_SET_UPDATE, self->m.hole,
				     MDV_PG, variant->attr, OWNER));
	if (variant->dsync)
		fd = open(_PATH_BSDMEM, O_RDONLY | O_DSYNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, MDV_PG, PROT_READ, MAP_SHARED, fd, self->m.hole);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	(void)p[0];
	ASSERT_EQ(0, bt_extract(self->m.fd, (uintptr_t)p, 0, 0, &me));
	EXPECT_EQ(self->m.hole, me.me_paddr);
	t = pte_type(_metadata, &self->o, p, self->m.hole);
	EXPECT_TRUE(t == variant->type || t == variant->alt)
		TH_LOG("memory type %d, expected %d", t, variant->type);
	munmap((void *)p, MDV_PG);
	if (fd != self->m.fd)
		close(fd);
}

/* ---- several ranges of one attribute covering one mapping ---- */

FIXTURE(cover) {
	struct mru_fix m;
	struct pte_oracle o;
	void *map;
	size_t map_len;
};

FIXTURE_SETUP(cover)
{
	self->map = MAP_FAILED;
	self->o.k.fd = -1;
	mru_setup(_metadata, &self->m, "pat", true);
	learn_oracle(_metadata, &self->o);
}

FIXTURE_TEARDOWN(cover)
{
	kc_close(&self->o.k);
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	mru_teardown(_metadata, &self->m);
}

/* A shared read-only mapping of the hole's first len bytes, or MAP_FAILED. */
static volatile uint8_t *cover_map(FIXTURE_DATA(cover) *self, size_t len)
{
	self->map_len = len;
	self->map = mmap(NULL, len, PROT_READ, MAP_SHARED, self->m.fd,
			 self->m.hole);
	return self->map;
}

/* Both pages of an 8 KiB mapping at the hole get uncached PTEs. */
static void cover_check_uc(struct __test_metadata *_metadata,
			   FIXTURE_DATA(cover) *self)
{
	volatile uint8_t *p = cover_map(self, 2 * MDV_PG);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	(void)p[0];
	(void)p[MDV_PG];
	EXPECT_EQ(MT_UC, pte_type(_metadata, &self->o, p, self->m.hole));
	EXPECT_EQ(MT_UC, pte_type(_metadata, &self->o, p + MDV_PG,
				  self->m.hole + MDV_PG));
}

/*
 * UC at B/4K and UC at B/8K overlap and together cover an 8 KiB mapping
 * at B: one attribute throughout, so it maps, uncached (SPEC 3.3).
 */
TEST_F(cover, overlapping_same_attr_maps_uc)
{
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b, PG, MDF_UNCACHEABLE, OWNER));
	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b, 2 * PG, MDF_UNCACHEABLE, OWNER));
	cover_check_uc(_metadata, self);
}

/* UC at B/4K and UC at B+4K/4K side by side cover it too: uncached. */
TEST_F(cover, adjacent_same_attr_maps_uc)
{
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b, PG, MDF_UNCACHEABLE, OWNER));
	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b + PG, PG, MDF_UNCACHEABLE,
			     OWNER));
	cover_check_uc(_metadata, self);
}

/*
 * Ranges covering [B, B+8K) leave the third page of a 12 KiB mapping
 * without one: two memory types in one mapping, EINVAL.
 */
TEST_F(cover, partly_covered_einval)
{
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b, PG, MDF_UNCACHEABLE, OWNER));
	ASSERT_EQ(0, mru_set(self->m.fd, UPD, b, 2 * PG, MDF_UNCACHEABLE, OWNER));
	ASSERT_EQ(MAP_FAILED, cover_map(self, 3 * MDV_PG));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
