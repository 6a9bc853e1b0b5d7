// SPDX-License-Identifier: GPL-2.0
/*
 * The two MEMRANGE_SET backends (SPEC §6): with PAT, ranges against the
 * kernel's PAT table (conflicts, overlaps, each attribute reserved and used
 * by mmap and read); with nopat, write-combining MTRRs against /proc/mtrr
 * and the MSRs. Last, ranges left active for rmmod to undo.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "memrange_harness.h"

/* This program's ABI is the one its name promises (see memrange_test). */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

/* ---- PAT backend ---- */

FIXTURE(pat) {
	struct mru_fix m;
};
FIXTURE_SETUP(pat) { mru_setup(_metadata, &self->m, "pat", true); }
FIXTURE_TEARDOWN(pat) { mru_teardown(_metadata, &self->m); }

/* HPET: the kernel holds it uncached-minus, so WB or UC clash: EBUSY. */
TEST_F(pat, kernel_type_conflict_ebusy)
{
	static char pat0[MRU_SNAP_SIZE], pat1[MRU_SNAP_SIZE], mtrr[MRU_SNAP_SIZE];
	struct mem_range_desc *d0, *d1;
	struct mru_iomem hpet;
	int fd = self->m.fd, n0, n1;
	uint64_t b;

	if (!mru_iomem_find("HPET", &hpet))
		SKIP(return, "no HPET in /proc/iomem");
	b = hpet.start & ~0xfffULL;
	if (mru_pat_count(b, PG, "uncached-minus") < 1)
		SKIP(return, "the kernel holds no uncached-minus entry at HPET");
	mru_snapshot(pat0, mtrr);
	n0 = mru_get_all(fd, &d0);
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, OWNER));
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_UNCACHEABLE, OWNER));
	/* Nothing left behind: GET and the PAT table are unchanged. */
	n1 = mru_get_all(fd, &d1);
	mru_snapshot(pat1, mtrr);
	ASSERT_EQ(n0, n1);
	EXPECT_EQ(0, memcmp(d0, d1, n0 * sizeof(*d0)));
	EXPECT_STREQ(pat0, pat1);
	free(d0);
	free(d1);
}

/* Under the firmware's UC MTRR, WB cannot be had (UC- wins): EBUSY. */
TEST_F(pat, wb_under_uc_mtrr_ebusy)
{
	int fd = self->m.fd;
	uint64_t b;

	if (mru_find_hole(&b, true))
		SKIP(return, "no unused MMIO under an uncachable MTRR");
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, OWNER));
	EXPECT_EQ(0, mru_pat_overlaps(b, PG));
	/* Write-combining does not clash with it. */
	EXPECT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
	/* Retyping that range to WB fails and keeps it as it was. */
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, "mtother"));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
	EXPECT_EQ(1, mru_pat_overlaps(b, PG));
}

/* SET exactly on a range of ours with another type retypes it. */
TEST_F(pat, exact_update_changes_attribute)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, MDF_UNCACHEABLE, "mta"));
	EXPECT_EQ(1, mru_pat_count(b, PG, "uncached"));
	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mtb"));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, "mtb"));
	EXPECT_EQ(1, mru_pat_count(b, PG, NULL));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
}

/* A range overlapping one of ours with another attribute: EINVAL. */
TEST_F(pat, overlap_other_attr_einval)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, 0x2000, WC, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b + PG, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b, 0x4000, MDF_WRITETHROUGH, OWNER));
	EXPECT_EQ(0, mru_pat_count(b + PG, PG, NULL));
	EXPECT_EQ(1, mru_pat_overlaps(b, 0x4000));
}

/* ... with the same attribute: allowed, both ranges exist. */
TEST_F(pat, overlap_same_attr_allowed)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, 0x2000, WC, OWNER));
	EXPECT_EQ(0, mru_set(fd, UPD, b + PG, PG, WC, OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b, 0x2000, MDF_ACTIVE | WC, OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b + PG, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b + PG, PG, "write-combining"));
}

/*
 * An mmap that a range covers only in part, or that straddles it, would
 * need two memory types in one mapping: EINVAL (SPEC 3.3). The range's
 * own page maps.
 */
TEST_F(pat, mmap_straddling_range_einval)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;
	void *p;

	ASSERT_EQ(0, mru_set(fd, UPD, b + PG, PG, WC, OWNER));
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, b);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, b + PG);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, b + PG);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, PG);
	EXPECT_EQ(0, mru_set(fd, REM, b + PG, PG, 0, NULL));
}

/* ---- PAT backend, once per attribute ---- */

FIXTURE(pat_attr) {
	struct mru_fix m;
};
FIXTURE_VARIANT(pat_attr) {
	int attr;
};
FIXTURE_VARIANT_ADD(pat_attr, uc) { .attr = MDF_UNCACHEABLE };
FIXTURE_VARIANT_ADD(pat_attr, wc) { .attr = MDF_WRITECOMBINE };
FIXTURE_VARIANT_ADD(pat_attr, wt) { .attr = MDF_WRITETHROUGH };
FIXTURE_VARIANT_ADD(pat_attr, wp) { .attr = MDF_WRITEPROTECT };
FIXTURE_VARIANT_ADD(pat_attr, wb) { .attr = MDF_WRITEBACK };
FIXTURE_SETUP(pat_attr) { mru_setup(_metadata, &self->m, "pat", true); }
FIXTURE_TEARDOWN(pat_attr) { mru_teardown(_metadata, &self->m); }

/* The range is in GET and reserved in the PAT table with its type. */
TEST_F(pat_attr, reserved_in_pat_table)
{
	int fd = self->m.fd, a = variant->attr;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | a, OWNER));
	EXPECT_LE(self->m.count - self->m.nsoft, mru_index_ours(fd, b, PG))
		TH_LOG("not in the software part");
	EXPECT_EQ(1, mru_pat_count(b, PG, mru_pat_word(a)));
	EXPECT_EQ(1, mru_pat_overlaps(b, PG));
	/* REMOVE gives the reservation back. */
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_FALSE(mru_has_ours(fd, b, PG, MDF_ACTIVE | a, OWNER));
	EXPECT_EQ(0, mru_pat_overlaps(b, PG));
}

/*
 * mmap and read of the range use its type: a plain and an O_DSYNC mapping
 * both succeed and the kernel reports no clash with the reservation.
 */
TEST_F(pat_attr, mmap_and_read_use_its_type)
{
	static const char *const clash[4] = {
		"conflicting memory types", "map pfn expected", "ioremap error",
		"WARNING:",
	};
	int fd = self->m.fd, a = variant->attr, kmsg, fd2;
	uint64_t b = self->m.hole, v;
	volatile unsigned char *p1, *p2;
	struct mru_pat pl[64];
	char line[256];
	int n;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, OWNER));
	kmsg = mru_kmsg_open();
	ASSERT_LE(0, kmsg);
	p1 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, b);
	ASSERT_NE(MAP_FAILED, p1) TH_LOG("mmap: %s", strerror(errno));
	(void)p1[0];
	fd2 = open(_PATH_BSDMEM, O_RDONLY | O_DSYNC | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	p2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd2, b);
	ASSERT_NE(MAP_FAILED, p2) TH_LOG("O_DSYNC mmap: %s", strerror(errno));
	(void)p2[8];
	EXPECT_EQ((ssize_t)sizeof(v), pread(fd, &v, sizeof(v), b));
	/* Every reservation of the page has the range's type. */
	n = mru_pat_list(pl, 64);
	for (int i = 0; i < n; i++)
		if (pl[i].start < b + PG && b < pl[i].end) {
			EXPECT_STREQ(mru_pat_word(a), pl[i].type);
		}
	munmap((void *)p1, PG);
	munmap((void *)p2, PG);
	close(fd2);
	EXPECT_EQ(1, mru_pat_count(b, PG, mru_pat_word(a)));
	EXPECT_FALSE(mru_kmsg_grep(kmsg, clash, 4, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);
	close(kmsg);
}

/* ---- MTRR backend (nopat) ---- */

FIXTURE(mtrr) {
	struct mru_fix m;
};
FIXTURE_SETUP(mtrr) { mru_setup(_metadata, &self->m, "mtrr", true); }
FIXTURE_TEARDOWN(mtrr) { mru_teardown(_metadata, &self->m); }

/* Register of the /proc/mtrr line for base/len of this type, or -1. */
static int mrt_proc_mtrr_reg(uint64_t base, uint64_t len, const char *type)
{
	struct mru_mtrr m[256];
	int n = mru_proc_mtrr(m, 256);

	for (int i = 0; i < n; i++)
		if (m[i].base == base && m[i].size == len &&
		    !strcmp(m[i].type, type))
			return m[i].reg;
	return -1;
}

/* WC programs a real MTRR: in /proc/mtrr, the MSRs and GET, as ours. */
TEST_F(mtrr, wc_programs_an_mtrr)
{
	int fd = self->m.fd, reg, nvar, first = mru_var_part(&self->m, &nvar);
	uint64_t b = self->m.hole, msr;
	struct mem_range_desc *d;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mtwc"));
	reg = mrt_proc_mtrr_reg(b, PG, "write-combining");
	ASSERT_LE(0, reg) TH_LOG("no write-combining line in /proc/mtrr");
	if (first >= 0) {
		ASSERT_EQ(0, mru_rdmsr(MRU_MSR_PHYSBASE0 + 2 * reg, &msr));
		EXPECT_EQ(b | 1, msr);
		ASSERT_EQ(self->m.count, mru_get_all(fd, &d));
		EXPECT_EQ(b, d[first + reg].mr_base);
		EXPECT_EQ(PG, d[first + reg].mr_len);
		EXPECT_EQ(MDF_ACTIVE | WC, d[first + reg].mr_flags);
		EXPECT_STREQ("mtwc", d[first + reg].mr_owner);
		free(d);
	}
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, "mtwc"));
	/* REMOVE deletes the MTRR again. */
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, PG, "write-combining"));
}

/*
 * The kernel folds overlapping MTRRs into one, so with the MTRR backend a
 * range overlapping one of ours is refused (EINVAL) and the first stays.
 */
TEST_F(mtrr, overlapping_range_refused)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mta"));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b, 0x2000, WC, "mtb"));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, "mta"));
	EXPECT_FALSE(mru_has_ours(fd, b, 0x2000, MDF_ACTIVE | WC, "mtb"));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, 0x2000, "write-combining"));
	EXPECT_LE(0, mrt_proc_mtrr_reg(b, PG, "write-combining"));
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, PG, "write-combining"));
}

/* Linux can only add write-combining MTRRs: other attributes are EINVAL. */
TEST_F(mtrr, other_attrs_einval)
{
	const int attrs[] = {
		MDF_UNCACHEABLE, MDF_WRITETHROUGH, MDF_WRITEPROTECT, MDF_WRITEBACK,
	};

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, self->m.hole, PG,
					   attrs[i], OWNER))
			TH_LOG("attr 0x%x", attrs[i]);
	}
}

/* ---- last: ranges left for the module unload to undo ---- */

FIXTURE(unload) {
	struct mru_fix m;
};
FIXTURE_SETUP(unload) { mru_setup(_metadata, &self->m, "pat,mtrr", true); }
FIXTURE_TEARDOWN(unload) { close(self->m.fd); }

/*
 * Two ranges stay active on purpose (owner "mtkeep"): the harness's rmmod
 * must undo them without a warning and leave no PAT entry or MTRR behind.
 */
TEST_F(unload, ranges_left_for_rmmod)
{
	int fd = self->m.fd, a = self->m.nsoft ? MDF_UNCACHEABLE : WC;
	uint64_t b = self->m.hole + 0x80000;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, KEEP_OWNER));
	ASSERT_EQ(0, mru_set(fd, UPD, b + 0x10000, 0x10000, WC, KEEP_OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | a, KEEP_OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b + 0x10000, 0x10000, MDF_ACTIVE | WC,
				 KEEP_OWNER));
}

TEST_HARNESS_MAIN
